// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * wait.c - wait and wake on words of a segment (PROTSHM_IOC_WAIT/WAKE), and
 * the process-shared mutex and condition variable built on them.  The
 * algorithms are described in Documentation/userspace-api/protshm.rst,
 * "Wait and wake".
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define NSEC_PER_SEC	1000000000LL
#define TID_MASK	(~PROTSHM_MUTEX_WAITERS)

/* The deadline in nanoseconds, saturated; false if it is not a time. */
static bool deadline_ns(const struct timespec *ts, __u64 *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NSEC_PER_SEC)
		return false;
	if ((uint64_t)ts->tv_sec >= INT64_MAX / NSEC_PER_SEC)
		*ns = INT64_MAX;
	else
		*ns = (uint64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
	return true;
}

/* Not protshm__ioctl(): a signal must reach the caller as -EINTR. */
PROTSHM_API int protshm_wait(struct protshm *shm, uint64_t offset,
			     uint32_t expected, const struct timespec *deadline)
{
	struct protshm_wait arg = {
		.size = sizeof(arg),
		.offset = offset,
		.expected = expected,
	};

	if (!shm)
		return -EINVAL;
	if (deadline) {
		if (!deadline_ns(deadline, &arg.timeout))
			return -EINVAL;
		arg.flags = PROTSHM_WAIT_DEADLINE;
	}
	return ioctl(shm->fd, PROTSHM_IOC_WAIT, &arg) < 0 ? -errno : 0;
}

PROTSHM_API int protshm_wake(struct protshm *shm, uint64_t offset,
			     uint32_t count)
{
	struct protshm_wake arg = {
		.size = sizeof(arg),
		.offset = offset,
		.count = count,
	};

	if (!shm)
		return -EINVAL;
	return protshm__ioctl(shm->fd, PROTSHM_IOC_WAKE, &arg);
}

/*
 * The caller's thread id, cached per thread: the uncontended mutex must
 * not enter the kernel.  A forked child has a new id: forget it there.
 */
static __thread pid_t tid_cache __attribute__((tls_model("initial-exec")));
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void tid_forget(void)
{
	tid_cache = 0;
}

static void atfork_register(void)
{
	pthread_atfork(NULL, NULL, tid_forget);
}

static uint32_t self_tid(void)
{
	if (__builtin_expect(!tid_cache, 0)) {
		pthread_once(&atfork_once, atfork_register);
		tid_cache = gettid();
	}
	return (uint32_t)tid_cache;
}

static bool word_ok(struct protshm *shm, uint32_t *word, uint64_t offset)
{
	return shm && word && !((uintptr_t)word & 3) && !(offset & 3);
}

PROTSHM_API int protshm_mutex_init(struct protshm_mutex *m, struct protshm *shm,
				   uint32_t *word, uint64_t offset)
{
	if (!m || !word_ok(shm, word, offset))
		return -EINVAL;
	m->shm = shm;
	m->word = word;
	m->offset = offset;
	return 0;
}

PROTSHM_API int protshm_cond_init(struct protshm_cond *c, struct protshm *shm,
				  uint32_t *word, uint64_t offset)
{
	if (!c || !word_ok(shm, word, offset))
		return -EINVAL;
	c->shm = shm;
	c->word = word;
	c->offset = offset;
	return 0;
}

static bool cas(uint32_t *word, uint32_t *old, uint32_t new)
{
	return __atomic_compare_exchange_n(word, old, new, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/*
 * Contended lock: mark the word WAITERS and sleep while it holds that
 * value.  The mutex is taken with WAITERS set, since other threads may
 * still sleep on it.  @v is the value the fast path saw.
 */
static int lock_slow(struct protshm_mutex *m, uint32_t me, uint32_t v,
		     const struct timespec *deadline)
{
	int ret;

	for (;;) {
		if (!v) {
			if (cas(m->word, &v, me | PROTSHM_MUTEX_WAITERS))
				return 0;
			continue;
		}
		if (!(v & PROTSHM_MUTEX_WAITERS)) {
			if (!cas(m->word, &v, v | PROTSHM_MUTEX_WAITERS))
				continue;
			v |= PROTSHM_MUTEX_WAITERS;
		}
		ret = protshm_wait(m->shm, m->offset, v, deadline);
		if (ret && ret != -EAGAIN && ret != -EINTR)
			return ret;
		v = __atomic_load_n(m->word, __ATOMIC_RELAXED);
	}
}

PROTSHM_API int protshm_mutex_timedlock(struct protshm_mutex *m,
					const struct timespec *deadline)
{
	uint32_t me = self_tid(), v = 0;

	if (cas(m->word, &v, me))
		return 0;
	return lock_slow(m, me, v, deadline);
}

PROTSHM_API int protshm_mutex_lock(struct protshm_mutex *m)
{
	return protshm_mutex_timedlock(m, NULL);
}

PROTSHM_API int protshm_mutex_trylock(struct protshm_mutex *m)
{
	uint32_t v = 0;

	return cas(m->word, &v, self_tid()) ? 0 : -EBUSY;
}

PROTSHM_API int protshm_mutex_unlock(struct protshm_mutex *m)
{
	uint32_t me = self_tid(), v = me;
	int ret;

	if (__atomic_compare_exchange_n(m->word, &v, 0, false, __ATOMIC_RELEASE,
					__ATOMIC_RELAXED))
		return 0;
	if ((v & TID_MASK) != me)
		return -EPERM;
	/* WAITERS is set: nobody else writes the word until it is 0 */
	__atomic_store_n(m->word, 0, __ATOMIC_RELEASE);
	ret = protshm_wake(m->shm, m->offset, 1);
	return ret < 0 ? ret : 0;
}

PROTSHM_API int protshm_cond_wait(struct protshm_cond *c, struct protshm_mutex *m,
				  const struct timespec *deadline)
{
	uint32_t seq = __atomic_load_n(c->word, __ATOMIC_RELAXED);
	int ret, err;

	ret = protshm_mutex_unlock(m);
	if (ret)
		return ret;
	err = protshm_wait(c->shm, c->offset, seq, deadline);
	ret = protshm_mutex_lock(m);
	if (ret)
		return ret;
	/* woken, changed before we slept, or a signal: all look like wakeups */
	if (err == -EAGAIN || err == -EINTR)
		return 0;
	return err;
}

static int cond_wake(struct protshm_cond *c, uint32_t count)
{
	int ret;

	__atomic_fetch_add(c->word, 1, __ATOMIC_SEQ_CST);
	ret = protshm_wake(c->shm, c->offset, count);
	return ret < 0 ? ret : 0;
}

PROTSHM_API int protshm_cond_signal(struct protshm_cond *c)
{
	return cond_wake(c, 1);
}

PROTSHM_API int protshm_cond_broadcast(struct protshm_cond *c)
{
	return cond_wake(c, UINT32_MAX);
}
