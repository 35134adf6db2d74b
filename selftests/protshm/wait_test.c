// SPDX-License-Identifier: GPL-2.0
/*
 * Wait and wake on words of a segment (PROTSHM_IOC_WAIT, PROTSHM_IOC_WAKE)
 * and libprotshm's mutex and condition variable built on them: rights,
 * values, deadlines, signals, RESTRICT, UNLINK and exit while waiting, many
 * waiters, and the locks under contention across processes.
 *
 * A waiter is known to sleep in WAIT when its /proc stat says S and its
 * /proc syscall says ioctl: WAIT is the only place where the ioctl sleeps
 * interruptibly.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "common.h"
#include "ioctl_helpers.h"
#include "kselftest_harness.h"
/* libprotshm, linked statically (protshm_mutex_*, protshm_cond_*) */
#include <protshm.h>

#define NR_PAGES	2
#define NR_WAITERS	8
#define SLEEP_TIMEOUT_NS (30ULL * 1000000000ULL)

/* WAIT: 0, or -1 with errno. */
static int ps_wait(int fd, uint64_t off, uint32_t expected, uint32_t flags,
		   uint64_t timeout)
{
	struct protshm_wait w = {
		.size = sizeof(w), .flags = flags, .offset = off,
		.expected = expected, .timeout = timeout,
	};

	return ioctl(fd, PROTSHM_IOC_WAIT, &w);
}

/* WAIT until @deadline_ns: 0, or -1 with errno. */
static int ps_wait_until(int fd, uint64_t off, uint32_t expected,
			 uint64_t deadline_ns)
{
	return ps_wait(fd, off, expected, PROTSHM_WAIT_DEADLINE, deadline_ns);
}

/* WAKE: the number woken, or -1 with errno. */
static int ps_wake(int fd, uint64_t off, uint32_t count)
{
	struct protshm_wake w = { .size = sizeof(w), .offset = off, .count = count };

	return ioctl(fd, PROTSHM_IOC_WAKE, &w);
}

/* Is @pid asleep in an ioctl (in WAIT)? */
static int asleep_in_wait(pid_t pid)
{
	char path[64], state = 0;
	long nr = -1;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	ok = fscanf(f, "%*d (%*[^)]) %c", &state) == 1 && state == 'S';
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	ok = ok && fscanf(f, "%ld", &nr) == 1 && nr == SYS_ioctl;
	fclose(f);
	return ok;
}

/* Wait until @pid sleeps in WAIT: 0, or -1 after SLEEP_TIMEOUT_NS. */
static int wait_asleep(pid_t pid)
{
	uint64_t end = now_ns() + SLEEP_TIMEOUT_NS;

	while (!asleep_in_wait(pid)) {
		if (now_ns() > end)
			return -1;
		usleep(1000);
	}
	return 0;
}

/* A child that WAITs once on (@fd, @off) for @expected and wants @want. */
static pid_t spawn_waiter(int fd, uint64_t off, uint32_t expected, int want)
{
	pid_t pid = fork();

	if (pid == 0) {
		CHILD_ASSERT(err_of(ps_wait(fd, off, expected, 0, 0)) == want);
		_exit(0);
	}
	return pid;
}

/* A child that ATTACHes on its own with @prot, then WAITs like above. */
static pid_t spawn_attached_waiter(const char *name, uint32_t prot,
				   uint64_t off, int want)
{
	pid_t pid = fork();
	int fd;

	if (pid == 0) {
		fd = ps_open();
		CHILD_ASSERT(fd >= 0 && ps_attach(fd, name, prot) == 0);
		CHILD_ASSERT(err_of(ps_wait(fd, off, 0, 0, 0)) == want);
		_exit(0);
	}
	return pid;
}

FIXTURE(wait) {
	char name[PROTSHM_NAME_MAX];
	size_t size;
	int fd;
	uint32_t *w;	/* the segment, mapped RW */
};

FIXTURE_SETUP(wait)
{
	SKIP_WITHOUT_DEVICE();
	self->size = NR_PAGES * page_size();
	ps_name(self->name, sizeof(self->name), "wait");
	self->fd = ps_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ps_create(self->fd, self->name, self->size, 0666,
			       PROTSHM_PROT_RW));
	self->w = map(self->fd, self->size, PROT_READ | PROT_WRITE, 0);
	ASSERT_NE(MAP_FAILED, self->w);
}

FIXTURE_TEARDOWN(wait)
{
	if (self->w != MAP_FAILED)
		munmap(self->w, self->size);
	if (self->fd >= 0) {
		ps_unlink(self->fd);
		close(self->fd);
	}
}

/*
 * WAIT needs READ and WAKE needs WRITE of ceiling ∩ fd rights, at every
 * combination; WAIT with a wrong value shows the right without sleeping.
 */
TEST_F(wait, rights_matrix)
{
	static const uint32_t prots[] = {
		PROTSHM_PROT_NONE, PROTSHM_PROT_READ, PROTSHM_PROT_RW,
	};
	unsigned int c, f;

	self->w[0] = 7;
	for (c = 0; c < 3; c++) {
		for (f = 0; f < 3; f++) {
			uint32_t rights = prots[c] & prots[f];
			pid_t pid = fork();
			int fd;

			if (pid == 0) {
				fd = ps_open();
				CHILD_ASSERT(ps_attach(fd, self->name, prots[f]) == 0);
				CHILD_ASSERT(ps_restrict(fd, 0, prots[c], 0) == 0);
				CHILD_ASSERT(err_of(ps_wait(fd, 0, 8, 0, 0)) ==
					     (rights & PROTSHM_PROT_READ ? EAGAIN : EACCES));
				CHILD_ASSERT(err_of(ps_wake(fd, 0, 1)) ==
					     (rights & PROTSHM_PROT_WRITE ? 0 : EACCES));
				_exit(0);
			}
			ASSERT_CHILD_OK(pid) TH_LOG("ceiling %u fd %u",
							      prots[c], prots[f]);
		}
	}
}

/* The rights of an fd are capped by the ceiling of the process that bound it. */
TEST_F(wait, origin_ceiling)
{
	struct sync_pipe s;
	int sv[2], fd;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, sync_init(&s));
	pid = fork();
	if (pid == 0) {
		fd = ps_open();
		CHILD_ASSERT(ps_attach(fd, self->name, PROTSHM_PROT_RW) == 0);
		CHILD_ASSERT(send_fd(sv[1], fd) == 0);
		CHILD_ASSERT(sync_recv(s.to_child[0]) == 'r');
		CHILD_ASSERT(ps_restrict(fd, 0, PROTSHM_PROT_READ, 0) == 0);
		CHILD_ASSERT(sync_send(s.to_parent[1], 'd') == 0);
		CHILD_ASSERT(sync_recv(s.to_child[0]) == 'x');
		_exit(0);
	}
	fd = recv_fd(sv[0]);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ps_wake(fd, 0, 1));	/* control */
	ASSERT_EQ(0, sync_send(s.to_child[1], 'r'));
	ASSERT_EQ('d', sync_recv(s.to_parent[0]));
	ASSERT_ERRNO(ps_wake(fd, 0, 1), EACCES);
	ASSERT_ERRNO(ps_wait(fd, 0, 1, 0, 0), EAGAIN);
	ASSERT_EQ(0, sync_send(s.to_child[1], 'x'));
	ASSERT_CHILD_OK(pid);
	close(fd);
}

TEST_F(wait, eagain_and_value)
{
	self->w[3] = 0xdeadbeef;
	ASSERT_ERRNO(ps_wait(self->fd, 12, 0, 0, 0), EAGAIN);
	ASSERT_ERRNO(ps_wait(self->fd, 12, 0xdeadbeee, 0, 0), EAGAIN);
	/* control: the right value sleeps, here until a past deadline */
	ASSERT_ERRNO(ps_wait_until(self->fd, 12, 0xdeadbeef, 1), ETIMEDOUT);
}

/* A page never touched reads as 0 and WAIT does not allocate it. */
TEST_F(wait, untouched_page_is_zero)
{
	uint64_t off = page_size() + 8;
	struct protshm_info info;

	/* nothing touched yet (a fault would map the pages around it too) */
	ASSERT_EQ(0, ps_info(self->fd, &info, NULL));
	ASSERT_EQ(0, info.resident);
	ASSERT_ERRNO(ps_wait(self->fd, off, 1, 0, 0), EAGAIN);
	ASSERT_ERRNO(ps_wait_until(self->fd, off, 0, 1), ETIMEDOUT);
	ASSERT_EQ(0, ps_info(self->fd, &info, NULL));
	EXPECT_EQ(0, info.resident);
	/* control: once written, the word reads as written */
	self->w[off / 4] = 1;
	ASSERT_ERRNO(ps_wait(self->fd, off, 0, 0, 0), EAGAIN);
	ASSERT_ERRNO(ps_wait_until(self->fd, off, 1, 1), ETIMEDOUT);
}

TEST_F(wait, deadline)
{
	uint64_t start = now_ns();

	ASSERT_ERRNO(ps_wait_until(self->fd, 0, 0, start + 50000000), ETIMEDOUT);
	EXPECT_LE(start + 50000000, now_ns());
	/* in the past: at once, also for 0 */
	ASSERT_ERRNO(ps_wait_until(self->fd, 0, 0, 0), ETIMEDOUT);
	ASSERT_ERRNO(ps_wait_until(self->fd, 0, 0, start), ETIMEDOUT);
	/* the value is checked first */
	ASSERT_ERRNO(ps_wait_until(self->fd, 0, 1, start), EAGAIN);
}

TEST_F(wait, bad_arguments)
{
	struct protshm_wait w = { .size = sizeof(w) };
	struct protshm_wake k = { .size = sizeof(k) };
	int unbound = ps_open();

	/* controls: the last word of the segment */
	ASSERT_ERRNO(ps_wait(self->fd, self->size - 4, 1, 0, 0), EAGAIN);
	EXPECT_EQ(0, ps_wake(self->fd, self->size - 4, 1));

	ASSERT_ERRNO(ps_wait(self->fd, 2, 1, 0, 0), EINVAL);
	ASSERT_ERRNO(ps_wait(self->fd, self->size, 1, 0, 0), EINVAL);
	ASSERT_ERRNO(ps_wait(self->fd, ~0ULL - 3, 1, 0, 0), EINVAL);
	ASSERT_ERRNO(ps_wait(self->fd, 0, 1, 2, 0), EINVAL);
	ASSERT_ERRNO(ps_wait(self->fd, 0, 1, 0, 1), EINVAL);	/* timeout, no flag */
	w.expected = 1;
	w.__reserved = 1;
	ASSERT_ERRNO(ioctl(self->fd, PROTSHM_IOC_WAIT, &w), EINVAL);
	w.size = sizeof(w) - 8;
	w.__reserved = 0;
	ASSERT_ERRNO(ioctl(self->fd, PROTSHM_IOC_WAIT, &w), EINVAL);

	ASSERT_ERRNO(ps_wake(self->fd, 1, 1), EINVAL);
	ASSERT_ERRNO(ps_wake(self->fd, self->size, 1), EINVAL);
	k.flags = 1;
	ASSERT_ERRNO(ioctl(self->fd, PROTSHM_IOC_WAKE, &k), EINVAL);
	k.flags = 0;
	k.__reserved = 1;
	ASSERT_ERRNO(ioctl(self->fd, PROTSHM_IOC_WAKE, &k), EINVAL);

	ASSERT_LE(0, unbound);
	ASSERT_ERRNO(ps_wait(unbound, 0, 1, 0, 0), EBADFD);
	ASSERT_ERRNO(ps_wake(unbound, 0, 1), EBADFD);
	close(unbound);
}

/* WAKE wakes at most count, oldest first, and returns how many. */
TEST_F(wait, many_waiters_one_word)
{
	pid_t pids[NR_WAITERS];
	int i;

	for (i = 0; i < NR_WAITERS; i++) {
		pids[i] = spawn_waiter(self->fd, 4, 0, 0);
		ASSERT_LT(0, pids[i]);
		ASSERT_EQ(0, wait_asleep(pids[i]));
	}
	EXPECT_EQ(0, ps_wake(self->fd, 8, NR_WAITERS));	/* another word */
	EXPECT_EQ(0, ps_wake(self->fd, 4, 0));
	EXPECT_EQ(3, ps_wake(self->fd, 4, 3));
	for (i = 0; i < 3; i++)		/* FIFO: the first three */
		EXPECT_CHILD_OK(pids[i]);
	for (; i < NR_WAITERS; i++)
		EXPECT_TRUE(asleep_in_wait(pids[i]));
	EXPECT_EQ(NR_WAITERS - 3, ps_wake(self->fd, 4, UINT32_MAX));
	for (i = 3; i < NR_WAITERS; i++)
		EXPECT_CHILD_OK(pids[i]);
	EXPECT_EQ(0, ps_wake(self->fd, 4, UINT32_MAX));
}

/* One waiter per word, on both pages: each WAKE finds exactly its own. */
TEST_F(wait, many_words)
{
	pid_t pids[NR_WAITERS];
	uint64_t off[NR_WAITERS];
	int i;

	for (i = 0; i < NR_WAITERS; i++) {
		off[i] = (i % 2) * page_size() + 4 * i;
		pids[i] = spawn_waiter(self->fd, off[i], 0, 0);
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < NR_WAITERS; i++)
		ASSERT_EQ(0, wait_asleep(pids[i]));
	for (i = NR_WAITERS - 1; i >= 0; i--) {
		EXPECT_EQ(1, ps_wake(self->fd, off[i], NR_WAITERS));
		EXPECT_CHILD_OK(pids[i]);
	}
}

/* SIGUSR1 handlers run, counted in the segment so that the parent sees it */
static uint32_t *handled;

static void on_usr1(int sig)
{
	__atomic_add_fetch(handled, 1, __ATOMIC_RELEASE);
}

static uint32_t handled_count(uint32_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_ACQUIRE);
}

static void catch_usr1(int flags)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

/* Without SA_RESTART a handled signal ends WAIT with EINTR. */
TEST_F(wait, signal_eintr)
{
	pid_t pid;

	handled = &self->w[1];
	pid = fork();
	if (pid == 0) {
		catch_usr1(0);
		CHILD_ASSERT(err_of(ps_wait(self->fd, 0, 0, 0, 0)) == EINTR);
		CHILD_ASSERT(handled_count(handled) == 1);
		_exit(0);
	}
	ASSERT_EQ(0, wait_asleep(pid));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_CHILD_OK(pid);
	EXPECT_EQ(0, ps_wake(self->fd, 0, 1));
}

/*
 * With SA_RESTART WAIT goes on after the handler: a later WAKE ends it
 * with 0, and a deadline still ends it at the same time.
 */
TEST_F(wait, signal_restart)
{
	uint64_t deadline;
	pid_t pid;

	handled = &self->w[1];
	pid = fork();
	if (pid == 0) {
		catch_usr1(SA_RESTART);
		CHILD_ASSERT(ps_wait(self->fd, 0, 0, 0, 0) == 0);
		deadline = now_ns() + 5000000000ULL;
		CHILD_ASSERT(err_of(ps_wait_until(self->fd, 0, 0, deadline)) ==
			     ETIMEDOUT);
		CHILD_ASSERT(now_ns() >= deadline);
		_exit(handled_count(handled));
	}
	ASSERT_EQ(0, wait_asleep(pid));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	/* once the handler ran, it sleeps again, restarted, until woken */
	while (handled_count(handled) != 1)
		usleep(1000);
	ASSERT_EQ(0, wait_asleep(pid));
	ASSERT_EQ(1, ps_wake(self->fd, 0, 1));
	/* the second WAIT, with a deadline, is restarted too */
	usleep(100000);
	ASSERT_EQ(0, wait_asleep(pid));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_EQ(2, wait_child(pid));
}

/* A waiter whose ceiling loses READ leaves with EACCES; READ keeps it. */
TEST_F(wait, restrict_while_waiting)
{
	pid_t keeps, loses;

	keeps = spawn_attached_waiter(self->name, PROTSHM_PROT_RW, 0, 0);
	loses = spawn_attached_waiter(self->name, PROTSHM_PROT_RW, 0, EACCES);
	ASSERT_LT(0, keeps);
	ASSERT_LT(0, loses);
	ASSERT_EQ(0, wait_asleep(keeps));
	ASSERT_EQ(0, wait_asleep(loses));
	ASSERT_EQ(0, ps_restrict(self->fd, keeps, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(0, ps_restrict(self->fd, loses, PROTSHM_PROT_NONE, 0));
	EXPECT_CHILD_OK(loses);
	/* still queued: exactly one left to wake, the one that kept READ */
	ASSERT_EQ(0, wait_asleep(keeps));
	EXPECT_EQ(1, ps_wake(self->fd, 0, UINT32_MAX));
	EXPECT_CHILD_OK(keeps);
}

/*
 * UNLINK removes the name only: waiters sleep on, and WAIT and WAKE keep
 * working through the bound files, also for a waiter that came after.
 */
TEST_F(wait, unlink_while_waiting)
{
	pid_t before, after;

	before = spawn_waiter(self->fd, 0, 0, 0);
	ASSERT_LT(0, before);
	ASSERT_EQ(0, wait_asleep(before));
	ASSERT_EQ(0, ps_unlink(self->fd));
	usleep(100000);
	EXPECT_TRUE(asleep_in_wait(before));
	after = spawn_waiter(self->fd, 0, 0, 0);
	ASSERT_LT(0, after);
	ASSERT_EQ(0, wait_asleep(after));
	ASSERT_ERRNO(ps_wait(self->fd, 0, 1, 0, 0), EAGAIN);
	EXPECT_EQ(2, ps_wake(self->fd, 0, UINT32_MAX));
	EXPECT_CHILD_OK(before);
	EXPECT_CHILD_OK(after);
}

/*
 * The last process that knows the segment waits on it after closing every
 * fd but the one it waits on: the segment stays until that WAIT returns.
 */
TEST_F(wait, last_reference_waits)
{
	struct protshm_info info;
	pid_t pid = fork();
	int fd;

	if (pid == 0) {
		fd = ps_open();
		CHILD_ASSERT(ps_attach(fd, self->name, PROTSHM_PROT_RW) == 0);
		/* only @fd is left of the segment in this process */
		CHILD_ASSERT(munmap(self->w, self->size) == 0);
		CHILD_ASSERT(close(self->fd) == 0);
		CHILD_ASSERT(err_of(ps_wait_until(fd, 0, 0,
						  now_ns() + 2000000000)) == ETIMEDOUT);
		CHILD_ASSERT(ps_info(fd, &info, NULL) == 0 &&
			     (info.seg_flags & PROTSHM_INFO_UNLINKED));
		_exit(0);
	}
	ASSERT_EQ(0, wait_asleep(pid));
	ASSERT_EQ(0, ps_unlink(self->fd));
	ASSERT_EQ(0, munmap(self->w, self->size));
	self->w = MAP_FAILED;
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_CHILD_OK(pid);
}

/* A waiter killed while waiting is gone from the queue. */
TEST_F(wait, exit_while_waiting)
{
	pid_t dies = spawn_waiter(self->fd, 0, 0, 0);
	pid_t stays = spawn_waiter(self->fd, 0, 0, 0);

	ASSERT_LT(0, dies);
	ASSERT_LT(0, stays);
	ASSERT_EQ(0, wait_asleep(dies));
	ASSERT_EQ(0, wait_asleep(stays));
	ASSERT_EQ(0, kill(dies, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, wait_child(dies));
	EXPECT_EQ(1, ps_wake(self->fd, 0, UINT32_MAX));
	EXPECT_CHILD_OK(stays);
}

/*
 * No lost wakeup: two processes hand a token back and forth through one
 * word many times, each sleeping in WAIT until the other's WAKE.
 */
TEST_F(wait, ping_pong)
{
	const uint32_t rounds = 2000;
	uint32_t *word = &self->w[0];
	pid_t pid = fork();
	uint32_t i;

	if (pid == 0) {
		for (i = 1; i < 2 * rounds; i += 2) {
			while (__atomic_load_n(word, __ATOMIC_ACQUIRE) != i)
				CHILD_ASSERT(err_of(ps_wait(self->fd, 0, i - 1, 0, 0)) !=
					     EINVAL);
			__atomic_store_n(word, i + 1, __ATOMIC_RELEASE);
			CHILD_ASSERT(ps_wake(self->fd, 0, 1) >= 0);
		}
		_exit(0);
	}
	for (i = 0; i < 2 * rounds; i += 2) {
		while (__atomic_load_n(word, __ATOMIC_ACQUIRE) != i)
			ASSERT_NE(EINVAL, err_of(ps_wait(self->fd, 0, i - 1, 0, 0)));
		__atomic_store_n(word, i + 1, __ATOMIC_RELEASE);
		ASSERT_LE(0, ps_wake(self->fd, 0, 1));
	}
	EXPECT_CHILD_OK(pid);
	EXPECT_EQ(2 * rounds, *word);
}

/* Library mutex and condition variable on the fixture's segment. */
struct sync_words {
	uint32_t mutex;
	uint32_t cond;
	uint32_t counter;
	uint32_t slot;		/* 0: empty */
};

static void locks_init(FIXTURE_DATA(wait) *self, struct protshm **shm,
		       struct protshm_mutex *m, struct protshm_cond *c)
{
	struct sync_words *sw = (struct sync_words *)self->w;
	int fd = dup(self->fd);

	CHILD_ASSERT(fd >= 0 && protshm_from_fd(fd, shm) == 0);
	CHILD_ASSERT(protshm_mutex_init(m, *shm, &sw->mutex,
					offsetof(struct sync_words, mutex)) == 0);
	CHILD_ASSERT(protshm_cond_init(c, *shm, &sw->cond,
				       offsetof(struct sync_words, cond)) == 0);
}

/* Processes increment a plain counter under the mutex: no update lost. */
TEST_F(wait, mutex_contention)
{
	const int nproc = 4, iters = 3000;
	struct sync_words *sw = (struct sync_words *)self->w;
	pid_t pids[4];
	int i, j;

	for (i = 0; i < nproc; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct protshm_mutex m;
			struct protshm_cond c;
			struct protshm *shm;

			locks_init(self, &shm, &m, &c);
			for (j = 0; j < iters; j++) {
				CHILD_ASSERT(protshm_mutex_lock(&m) == 0);
				*(volatile uint32_t *)&sw->counter += 1;
				if (j % 64 == 0)
					sched_yield();	/* hold it across a switch */
				CHILD_ASSERT(protshm_mutex_unlock(&m) == 0);
			}
			_exit(0);
		}
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < nproc; i++)
		EXPECT_CHILD_OK(pids[i]);
	EXPECT_EQ(nproc * iters, sw->counter);
	EXPECT_EQ(0, sw->mutex);
}

/* A producer hands items to a consumer through a one-slot buffer. */
TEST_F(wait, cond_producer_consumer)
{
	const uint32_t items = 1000;
	struct sync_words *sw = (struct sync_words *)self->w;
	struct protshm_mutex m;
	struct protshm_cond c;
	struct protshm *shm;
	uint64_t sum = 0;
	uint32_t i;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		locks_init(self, &shm, &m, &c);
		for (i = 1; i <= items; i++) {
			CHILD_ASSERT(protshm_mutex_lock(&m) == 0);
			while (sw->slot)
				CHILD_ASSERT(protshm_cond_wait(&c, &m, NULL) == 0);
			sw->slot = i;
			CHILD_ASSERT(protshm_cond_broadcast(&c) == 0);
			CHILD_ASSERT(protshm_mutex_unlock(&m) == 0);
		}
		_exit(0);
	}
	locks_init(self, &shm, &m, &c);
	for (i = 1; i <= items; i++) {
		ASSERT_EQ(0, protshm_mutex_lock(&m));
		while (!sw->slot)
			ASSERT_EQ(0, protshm_cond_wait(&c, &m, NULL));
		sum += sw->slot;
		sw->slot = 0;
		ASSERT_EQ(0, protshm_cond_signal(&c));
		ASSERT_EQ(0, protshm_mutex_unlock(&m));
	}
	EXPECT_CHILD_OK(pid);
	EXPECT_EQ((uint64_t)items * (items + 1) / 2, sum);
	protshm_close(shm);
}

/* trylock, unlock by another thread id, timed lock and timed wait. */
TEST_F(wait, mutex_errors_and_timeouts)
{
	struct timespec soon;
	struct protshm_mutex m;
	struct protshm_cond c;
	struct protshm *shm;
	pid_t pid;

	locks_init(self, &shm, &m, &c);
	ASSERT_EQ(0, protshm_mutex_trylock(&m));
	EXPECT_EQ((uint32_t)gettid(), self->w[0]);
	EXPECT_EQ(-EBUSY, protshm_mutex_trylock(&m));
	pid = fork();
	if (pid == 0) {
		clock_gettime(CLOCK_MONOTONIC, &soon);
		soon.tv_nsec = 0;
		soon.tv_sec += 1;
		CHILD_ASSERT(protshm_mutex_unlock(&m) == -EPERM);
		CHILD_ASSERT(protshm_mutex_timedlock(&m, &soon) == -ETIMEDOUT);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	/* the child marked it contended: unlock stores 0 and wakes nobody */
	EXPECT_EQ(PROTSHM_MUTEX_WAITERS | (uint32_t)gettid(), self->w[0]);
	/* a timed out wait holds the mutex again */
	clock_gettime(CLOCK_MONOTONIC, &soon);
	EXPECT_EQ(-ETIMEDOUT, protshm_cond_wait(&c, &m, &soon));
	EXPECT_EQ((uint32_t)gettid(), self->w[0]);
	EXPECT_EQ(0, protshm_mutex_unlock(&m));
	EXPECT_EQ(0, self->w[0]);
	EXPECT_EQ(-EPERM, protshm_mutex_unlock(&m));
	soon.tv_nsec = 1000000000;
	EXPECT_EQ(-EINVAL, protshm_wait(shm, 0, 0, &soon));
	protshm_close(shm);
}

#define NO_SECCOMP	4	/* exit status: the kernel has no seccomp */

/* The uncontended mutex never enters the kernel: ioctl is forbidden. */
TEST_F(wait, mutex_uncontended_no_syscall)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = filter };
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct protshm_mutex m;
		struct protshm_cond c;
		struct protshm *shm;
		int i;

		locks_init(self, &shm, &m, &c);
		CHILD_ASSERT(protshm_mutex_lock(&m) == 0);	/* caches the tid */
		CHILD_ASSERT(protshm_mutex_unlock(&m) == 0);
		CHILD_ASSERT(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
			CHILD_ASSERT(errno == EINVAL);
			_exit(NO_SECCOMP);
		}
		for (i = 0; i < 1000; i++) {
			CHILD_ASSERT(protshm_mutex_lock(&m) == 0);
			CHILD_ASSERT(protshm_mutex_unlock(&m) == 0);
		}
		/* control: the filter works, WAKE is refused */
		CHILD_ASSERT(protshm_wake(shm, 0, 1) == -ENOSYS);
		_exit(0);
	}
	status = wait_child(pid);
	if (status == NO_SECCOMP)
		SKIP(return, "no seccomp filters in this kernel (CONFIG_SECCOMP_FILTER)");
	EXPECT_EQ(0, status);
}

TEST_HARNESS_MAIN
