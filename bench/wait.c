// SPDX-License-Identifier: GPL-2.0
/*
 * B11: wait and wake on a word of shared memory between two processes.
 *
 *   ping-pong   two processes hand a counter back and forth through one
 *               word, each sleeping until the other's wake: protshm's
 *               PROTSHM_IOC_WAIT/WAKE on a segment against FUTEX_WAIT/
 *               FUTEX_WAKE (shared futexes) on a memfd mapping; round
 *               trips per second
 *   lock        uncontended lock + unlock of libprotshm's protshm_mutex in
 *               a segment against a PTHREAD_PROCESS_SHARED pthread mutex
 *               in a memfd mapping; ns per pair.  Neither enters the
 *               kernel.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <protshm.h>

#include "bench.h"

#define B11_ROUNDS	5000	/* round trips per ping-pong sample */
#define B11_LOCKS	500000	/* lock + unlock pairs per lock sample */

enum b11_impl { B11_PROTSHM, B11_FUTEX, NR_B11 };

static const char *const b11_names[NR_B11] = { "protshm", "futex" };
static const char *const b11_lock_names[NR_B11] = {
	"protshm_mutex", "pthread_mutex",
};

/* One shared word and how to sleep and wake on it. */
struct b11_word {
	enum b11_impl impl;
	struct seg seg;
	uint32_t *word;
};

static int b11_wait(struct b11_word *w, uint32_t val)
{
	struct protshm_wait arg = {
		.size = sizeof(arg), .offset = 0, .expected = val,
	};

	if (w->impl == B11_PROTSHM)
		return ioctl(w->seg.fd, PROTSHM_IOC_WAIT, &arg);
	return syscall(SYS_futex, w->word, FUTEX_WAIT, val, NULL, NULL, 0);
}

static int b11_wake(struct b11_word *w)
{
	struct protshm_wake arg = { .size = sizeof(arg), .offset = 0, .count = 1 };

	if (w->impl == B11_PROTSHM)
		return ioctl(w->seg.fd, PROTSHM_IOC_WAKE, &arg);
	return syscall(SYS_futex, w->word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Wait until the word is @want, then store @want + 1 and wake the peer. */
static int b11_turn(struct b11_word *w, uint32_t want)
{
	uint32_t v;

	while ((v = __atomic_load_n(w->word, __ATOMIC_ACQUIRE)) != want)
		if (b11_wait(w, v) && errno != EAGAIN && errno != EINTR)
			return -1;
	__atomic_store_n(w->word, want + 1, __ATOMIC_RELEASE);
	return b11_wake(w) < 0 ? -1 : 0;
}

static int b11_word_open(struct b11_word *w, enum b11_impl impl)
{
	w->impl = impl;
	if (seg_create(&w->seg, impl == B11_PROTSHM ? IMPL_PROTSHM : IMPL_MEMFD,
		       cfg.page, false))
		return -1;
	w->word = seg_map(&w->seg, PROT_READ | PROT_WRITE);
	if (!w->word) {
		seg_destroy(&w->seg);
		return -1;
	}
	return 0;
}

static void b11_word_close(struct b11_word *w)
{
	seg_unmap(&w->seg, w->word);
	seg_destroy(&w->seg);
}

/* 0 if child @pid exited with status 0. */
static int b11_reap(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       !WEXITSTATUS(status) ? 0 : -1;
}

/* One ping-pong sample: the parent plays even turns, a child odd ones. */
static int b11_ping_pong(enum b11_impl impl)
{
	struct b11_word w;
	double t0, t1;
	uint32_t i;
	pid_t pid;
	int err = 0;

	if (b11_word_open(&w, impl))
		return -1;
	pid = fork();
	if (!pid) {
		for (i = 1; i < 2 * B11_ROUNDS; i += 2)
			if (b11_turn(&w, i))
				_exit(1);
		_exit(0);
	}
	t0 = now_ns();
	for (i = 0; i < 2 * B11_ROUNDS && !err && pid > 0; i += 2)
		err = b11_turn(&w, i);
	/* the last round trip ends when the child's answer is seen */
	while (!err && pid > 0 &&
	       __atomic_load_n(w.word, __ATOMIC_ACQUIRE) != 2 * B11_ROUNDS)
		b11_wait(&w, 2 * B11_ROUNDS - 1);
	t1 = now_ns();
	if (pid < 0 || b11_reap(pid) || err)
		err = -1;
	else
		metric_add("B11", b11_names[impl], "rt_per_s", "rt/s",
			   B11_ROUNDS / ((t1 - t0) / 1e9));
	b11_word_close(&w);
	return err;
}

static int b11_lock_protshm(struct b11_word *w, double *ns)
{
	struct protshm_mutex m;
	struct protshm *shm;
	double t0;
	long i;
	int fd = dup(w->seg.fd);

	if (fd < 0 || protshm_from_fd(fd, &shm))
		return -1;
	if (protshm_mutex_init(&m, shm, w->word, 0))
		return -1;
	protshm_mutex_lock(&m);		/* warm up: the thread id is cached */
	protshm_mutex_unlock(&m);
	t0 = now_ns();
	for (i = 0; i < B11_LOCKS; i++) {
		protshm_mutex_lock(&m);
		protshm_mutex_unlock(&m);
	}
	*ns = (now_ns() - t0) / B11_LOCKS;
	protshm_close(shm);
	return 0;
}

static int b11_lock_pthread(struct b11_word *w, double *ns)
{
	pthread_mutex_t *m = (pthread_mutex_t *)w->word;
	pthread_mutexattr_t a;
	double t0;
	long i;

	if (pthread_mutexattr_init(&a) ||
	    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) ||
	    pthread_mutex_init(m, &a))
		return -1;
	pthread_mutex_lock(m);
	pthread_mutex_unlock(m);
	t0 = now_ns();
	for (i = 0; i < B11_LOCKS; i++) {
		pthread_mutex_lock(m);
		pthread_mutex_unlock(m);
	}
	*ns = (now_ns() - t0) / B11_LOCKS;
	pthread_mutex_destroy(m);
	pthread_mutexattr_destroy(&a);
	return 0;
}

static int b11_lock(enum b11_impl impl)
{
	struct b11_word w;
	double ns = 0;
	int err;

	if (b11_word_open(&w, impl))
		return -1;
	err = impl == B11_PROTSHM ? b11_lock_protshm(&w, &ns) :
				    b11_lock_pthread(&w, &ns);
	if (!err)
		metric_add("B11", b11_lock_names[impl], "ns_per_lock", "ns",
			   ns);
	b11_word_close(&w);
	return err;
}

int bench_b11(void)
{
	int rep, k, impl, err = 0;

	progress("B11: ping-pong, %d round trips; lock+unlock, %d pairs\n",
		 B11_ROUNDS, B11_LOCKS);
	if (!cfg.have_protshm) {
		row_na("B11", "ping-pong through wait/wake", cfg.no_protshm);
		row_na("B11", "uncontended lock+unlock", cfg.no_protshm);
		return 0;
	}
	row_add("B11", "ping-pong through wait/wake", "round trips/s",
		"rt_per_s", "protshm", "futex", GOAL_RATIO_GE, 0.8, ">= 0.8x");
	row_add("B11", "uncontended lock+unlock", "ns/pair", "ns_per_lock",
		"protshm_mutex", "pthread_mutex", GOAL_RATIO_LE, 1.1,
		"<= 1.1x");
	for (rep = 0; rep < cfg.reps && !err; rep++) {
		for (k = 0; k < NR_B11 && !err; k++) {
			impl = (k + rep) % NR_B11;
			err = b11_ping_pong(impl);
			if (!err)
				err = b11_lock(impl);
			if (err)
				fail("B11 %s: %m\n", b11_names[impl]);
		}
	}
	return err;
}
