// SPDX-License-Identifier: GPL-2.0
/*
 * Races against RESTRICT (the race table, "Races", of
 * Documentation/security/threat-model.rst): the owner revokes a victim
 * process while the victim writes, maps, moves, forks or exits on another
 * CPU; two owners revoke at once; CREATE, ATTACH and UNLINK race each other.
 *
 * Every race runs for a bounded time (PROTSHM_RACE_SECONDS, default 3 s,
 * each) and a bounded number of iterations, and reports how many it ran.
 * The invariant checked after every RESTRICT is the core promise: once the
 * ioctl has returned, no write of the victim lands in the segment (the
 * owner snapshots the segment right after the return and compares it when
 * the victim is gone), and the victim's next write faults with SEGV_ACCERR.
 * The random timing can be replayed with PROTSHM_RACE_SEED.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

#include "common.h"
#include "ioctl_helpers.h"
#include "kselftest_harness.h"

#define NP		8	/* pages in the segment */
#define RW		(PROT_READ | PROT_WRITE)
#define MAX_ITERS	100000
#define MAX_KIDS	12

/* Shared between the owner (the test) and the victim. */
struct shared {
	volatile uint64_t progress;	/* victim: loops done */
	volatile int restricting;	/* owner: about to call RESTRICT */
	volatile int restricted;	/* owner: RESTRICT has returned */
	volatile int fault_sig;		/* victim: the fault that stopped it */
	volatile int fault_code;
	volatile uintptr_t fault_addr;
	volatile uintptr_t map_start;	/* victim: its mapping */
	volatile uintptr_t map_end;
	volatile int forks;		/* victim: children forked */
	volatile int counts[8];		/* per-race counters */
	volatile int go;		/* owner: round to run, -1 to quit */
	volatile int done;		/* victim: last round finished */
	char name[PROTSHM_NAME_MAX];	/* owner: the round's segment */
	char msg[256];			/* victim: why it failed */
};

static struct shared *g_sh;
static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static uint64_t budget_ns(void)
{
	const char *s = getenv("PROTSHM_RACE_SECONDS");
	double secs = s ? atof(s) : 3.0;

	if (secs <= 0)
		secs = 3.0;
	return secs * 1e9;
}

static void pin_cpu(int cpu)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (n < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu % n, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void spin(uint64_t loops)
{
	volatile uint64_t i;

	for (i = 0; i < loops; i++)
		;
}

/* Wait until *@flag is set, at most @ms milliseconds; 0 or -1. */
static int wait_flag(volatile int *flag, int ms)
{
	uint64_t end = now_ns() + ms * 1000000ULL;

	while (!*flag) {
		if (now_ns() > end)
			return -1;
		sched_yield();
	}
	return 0;
}

/* Victim side: record why it failed and exit. */
static void __attribute__((noreturn, format(printf, 1, 2)))
victim_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g_sh->msg, sizeof(g_sh->msg), fmt, ap);
	va_end(ap);
	_exit(1);
}

/* Victim side: a fault ends the victim's loop; record it and exit. */
static void fault_exit_handler(int sig, siginfo_t *si, void *uc)
{
	g_sh->fault_sig = sig;
	g_sh->fault_code = si->si_code;
	g_sh->fault_addr = (uintptr_t)si->si_addr;
	_exit(0);
}

static void set_handler(void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa = { .sa_sigaction = fn, .sa_flags = SA_SIGINFO };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/*
 * Wait for a victim at most @ms milliseconds, killing it after that; its
 * exit status, 128 + signal, or -1 on timeout.
 */
static int wait_victim(pid_t pid, int ms)
{
	uint64_t end = now_ns() + ms * 1000000ULL;
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0)
			return -1;
		if (now_ns() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(200);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

FIXTURE(race) {
	char name[PROTSHM_NAME_MAX];
	size_t ps;
	size_t size;
	int fd;
	volatile uint64_t *m;	/* the owner's RW mapping */
	struct shared *sh;
	uint64_t deadline;
	uint64_t seed;
};

FIXTURE_SETUP(race)
{
	const char *seed = getenv("PROTSHM_RACE_SEED");

	SKIP_WITHOUT_DEVICE();
	self->fd = -1;
	self->ps = page_size();
	self->size = NP * self->ps;
	ps_name(self->name, sizeof(self->name), "race");
	self->fd = ps_new(self->name, self->size);
	ASSERT_LE(0, self->fd);
	self->m = mmap(NULL, self->size, RW, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->m);
	self->sh = mmap(NULL, sizeof(*self->sh), RW,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	g_sh = self->sh;
	self->seed = seed ? strtoull(seed, NULL, 0) : now_ns() | 1;
	rnd_state = self->seed;
	TH_LOG("seed %llu", (unsigned long long)self->seed);
	pin_cpu(0);
	self->deadline = now_ns() + budget_ns();
}

FIXTURE_TEARDOWN(race)
{
	if (self->m && self->m != MAP_FAILED)
		munmap((void *)self->m, self->size);
	if (self->sh && self->sh != MAP_FAILED)
		munmap(self->sh, sizeof(*self->sh));
	if (self->fd < 0)
		return;
	EXPECT_EQ(0, ps_unlink(self->fd));
	EXPECT_EQ(0, close(self->fd));
}

static void reset(FIXTURE_DATA(race) *self)
{
	memset((void *)self->m, 0, self->size);
	memset(self->sh, 0, sizeof(*self->sh));
}

/* Wait until the victim made @n loops (or died); 0 or -1. */
static int wait_progress(FIXTURE_DATA(race) *self, pid_t pid, uint64_t n)
{
	uint64_t end = now_ns() + 5000000000ULL;

	while (self->sh->progress < n) {
		if (now_ns() > end || waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		sched_yield();
	}
	return 0;
}

/*
 * Rounds: forking a victim per iteration is slow under emulation, so the
 * races on a single victim use one victim process and a new segment per
 * round.  The owner creates the round's segment, the victim attaches it,
 * runs the round's body against it (which ends when RESTRICT has taken
 * its access away) and reports the round done.
 */
struct round {
	int n;		/* the round's number, from 1 */
	int fd;
	volatile uint64_t *m;	/* the owner's RW mapping of the segment */
	size_t size;
};

typedef void (*round_body)(int fd, size_t ps, struct shared *sh);

static sigjmp_buf round_env;

/* Victim side: a fault ends the round's store loop. */
static void round_fault_handler(int sig, siginfo_t *si, void *uc)
{
	g_sh->fault_sig = sig;
	g_sh->fault_code = si->si_code;
	g_sh->fault_addr = (uintptr_t)si->si_addr;
	siglongjmp(round_env, 1);
}

static void __attribute__((noreturn))
round_victim(struct shared *sh, round_body body)
{
	pid_t parent = getppid();
	size_t ps = page_size();
	int n, fd;

	pin_cpu(1);
	for (n = 1;; n++) {
		while (sh->go != n) {
			if (sh->go < 0 || getppid() != parent)
				_exit(0);
			sched_yield();
		}
		fd = ps_open();
		if (fd < 0 || ps_attach(fd, sh->name, PROTSHM_PROT_RW))
			victim_fail("round %d: attach %s: %s", n, sh->name,
				    strerror(errno));
		body(fd, ps, sh);
		close(fd);
		sh->done = n;
	}
}

/* Owner side: a new segment for round @n; the victim starts on it. */
static void round_begin(struct __test_metadata *_metadata,
			FIXTURE_DATA(race) *self, int n, struct round *r)
{
	char name[PROTSHM_NAME_MAX];

	snprintf(name, sizeof(name), "%.40s-%d", self->name, n);
	r->n = n;
	r->size = self->size;
	r->fd = ps_new(name, r->size);
	ASSERT_LE(0, r->fd);
	r->m = mmap(NULL, r->size, RW, MAP_SHARED, r->fd, 0);
	ASSERT_NE(MAP_FAILED, r->m);
	memset((void *)r->m, 0, r->size);
	memset(self->sh, 0, offsetof(struct shared, go));
	memcpy(self->sh->name, name, sizeof(name));
	__sync_synchronize();
	self->sh->go = n;
}

/* Owner side: wait for the victim to finish round @n. */
static void round_end(struct __test_metadata *_metadata,
		      FIXTURE_DATA(race) *self, pid_t pid, int n,
		      struct round *r)
{
	uint64_t end = now_ns() + 10000000000ULL;

	while (self->sh->done != n) {
		ASSERT_NE(pid, waitpid(pid, NULL, WNOHANG)) {
			TH_LOG("round %d: victim died: %s", n, self->sh->msg);
		}
		ASSERT_GT(end, now_ns()) {
			TH_LOG("round %d: victim stuck", n);
		}
		sched_yield();
	}
}

/* Owner side: free the round's segment. */
static void round_free(struct __test_metadata *_metadata, struct round *r)
{
	munmap((void *)r->m, r->size);
	EXPECT_EQ(0, ps_unlink(r->fd));
	close(r->fd);
}

static void round_quit(struct __test_metadata *_metadata,
		       FIXTURE_DATA(race) *self, pid_t pid)
{
	self->sh->go = -1;
	EXPECT_EQ(0, wait_victim(pid, 10000)) {
		TH_LOG("victim: %s", self->sh->msg);
	}
}

/* A copy of the round's segment as the owner sees it. */
static void round_snapshot(struct round *r, uint64_t *snap)
{
	memcpy(snap, (void *)r->m, r->size);
}

/* Index of the first word that differs from @snap, or -1. */
static long round_changed(struct round *r, const uint64_t *snap)
{
	size_t i, n = r->size / sizeof(uint64_t);

	for (i = 0; i < n; i++)
		if (r->m[i] != snap[i])
			return i;
	return -1;
}

/* The owner's part of a round: take the victim's write access away. */
typedef void (*round_revoke)(struct __test_metadata *_metadata,
			     FIXTURE_DATA(race) *self, struct round *r,
			     pid_t pid);

/* Checks of how the victim's round ended, after it ended. */
typedef void (*round_check)(struct __test_metadata *_metadata,
			    FIXTURE_DATA(race) *self);

/*
 * The rounds of a single-victim race: the victim runs @body on a new
 * segment each round; once it has made 1 to @steps steps, @revoke takes
 * its access away.  After that the segment must not change: the owner
 * snapshots it as soon as @revoke returns and compares once the victim has
 * finished the round; @check (may be NULL) then looks at how it finished.
 * Runs until the time budget is spent, at most MAX_ITERS rounds.
 * Return: the number of rounds; *@progress: the victim's steps, summed.
 */
static int run_rounds(struct __test_metadata *_metadata,
		      FIXTURE_DATA(race) *self, round_body body,
		      uint64_t steps, round_revoke revoke, round_check check,
		      uint64_t *progress)
{
	uint64_t *snap = calloc(1, self->size);
	struct round r;
	long changed;
	int n = 0;
	pid_t pid;

	ASSERT_NE(NULL, snap);
	*progress = 0;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		round_victim(self->sh, body);
	while (n < MAX_ITERS && (n < 10 || now_ns() < self->deadline)) {
		round_begin(_metadata, self, ++n, &r);
		ASSERT_EQ(0, wait_progress(self, pid, 1 + rnd() % steps)) {
			TH_LOG("victim: %s", self->sh->msg);
		}
		revoke(_metadata, self, &r, pid);
		round_snapshot(&r, snap);
		self->sh->restricted = 1;
		round_end(_metadata, self, pid, n, &r);
		if (check)
			check(_metadata, self);
		changed = round_changed(&r, snap);
		ASSERT_EQ(-1, changed) {
			TH_LOG("round %d: word %ld became %llu after RESTRICT returned (was %llu)",
			       n, changed, (unsigned long long)r.m[changed],
			       (unsigned long long)snap[changed]);
		}
		round_free(_metadata, &r);
		*progress += self->sh->progress;
	}
	round_quit(_metadata, self, pid);
	free(snap);
	return n;
}

/*
 * Writer body: a fresh RW mapping (so the race also covers first-touch
 * faults), stores of an increasing sequence number round-robin over the
 * pages until a store faults.
 */
static void writer_body(int fd, size_t ps, struct shared *sh)
{
	volatile uint64_t *w;
	char *volatile v;
	uint64_t seq;

	v = mmap(NULL, NP * ps, RW, MAP_SHARED, fd, 0);
	if (v == MAP_FAILED)
		victim_fail("mmap: %s", strerror(errno));
	sh->map_start = (uintptr_t)v;
	sh->map_end = (uintptr_t)v + NP * ps;
	if (!sigsetjmp(round_env, 1)) {
		set_handler(round_fault_handler);
		for (seq = 1;; seq++) {
			w = (volatile uint64_t *)(v + (seq % NP) * ps) +
			    (seq / NP) % 16;
			*w = seq;
			sh->progress = seq;
		}
	}
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	munmap(v, NP * ps);
}

/*
 * The owner revokes write from a victim storing in a loop on the other
 * CPU: after RESTRICT returns nothing changes any more, and the victim's
 * next store faults with SEGV_ACCERR inside its mapping.
 */
static void writer_revoke(struct __test_metadata *_metadata,
			  FIXTURE_DATA(race) *self, struct round *r, pid_t pid)
{
	spin(rnd() % 20000);
	ASSERT_EQ(0, ps_restrict(r->fd, pid, PROTSHM_PROT_READ, 0));
}

/* The victim's next store faulted with SEGV_ACCERR inside its mapping. */
static void writer_check(struct __test_metadata *_metadata,
			 FIXTURE_DATA(race) *self)
{
	ASSERT_EQ(SIGSEGV, self->sh->fault_sig);
	ASSERT_EQ(SEGV_ACCERR, self->sh->fault_code);
	ASSERT_LE(self->sh->map_start, self->sh->fault_addr);
	ASSERT_GT(self->sh->map_end, self->sh->fault_addr);
}

TEST_F_TIMEOUT(race, revoke_vs_writer, PROTSHM_TIMEOUT)
{
	uint64_t stores;
	int n;

	n = run_rounds(_metadata, self, writer_body, 4096, writer_revoke,
		       writer_check, &stores);
	TH_LOG("revoke vs writer: %d iterations, %llu victim stores before the restrictions, 0 after",
	       n, (unsigned long long)stores);
}

/* Victim side: a write that may fault only once RESTRICT has started. */
static int vma_victim_write(volatile char *q, uint64_t v, struct shared *sh)
{
	int sig = probe_write(q, (char)v);

	if (!sig)
		return 0;
	if (sig != SIGSEGV || probe_code != SEGV_ACCERR)
		victim_fail("write at %p: signal %d code %d", (void *)q, sig,
			    probe_code);
	if (!sh->restricting)
		victim_fail("write at %p faulted before RESTRICT", (void *)q);
	return -1;
}

/*
 * VMA body: mmap RW, write, mremap (move), write, mprotect down and up,
 * write, mremap (shrink), write, munmap - in a loop, until something is
 * refused.  Whatever it started after RESTRICT returned must be refused.
 */
static void vma_body(int fd, size_t ps, struct shared *sh)
{
	volatile char *q = NULL, *r;
	char *spare;
	uint64_t i;
	int done, rc;

	for (i = 1, done = 0; !done; i++) {
		off_t off = (i % (NP - 1)) * ps;

		spare = mmap(NULL, 2 * ps, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (spare == MAP_FAILED)
			victim_fail("spare: %s", strerror(errno));
		done = sh->restricted;
		q = mmap(NULL, 2 * ps, RW, MAP_SHARED, fd, off);
		if (q == MAP_FAILED) {
			if (errno != EACCES || !sh->restricting)
				victim_fail("mmap: %s", strerror(errno));
			munmap(spare, 2 * ps);
			q = NULL;
			break;
		}
		if (done)
			victim_fail("mmap RW worked after RESTRICT returned");
		if (vma_victim_write(q + 8, i, sh))
			break;
		r = mremap((void *)q, 2 * ps, 2 * ps,
			   MREMAP_MAYMOVE | MREMAP_FIXED, spare);
		if (r == MAP_FAILED)
			victim_fail("mremap move: %s", strerror(errno));
		q = r;
		if (vma_victim_write(q + ps + 16, i, sh))
			break;
		if (mprotect((void *)q, 2 * ps, PROT_READ))
			victim_fail("mprotect down: %s", strerror(errno));
		done = sh->restricted;
		rc = mprotect((void *)q, 2 * ps, RW);
		if (!rc && done)
			victim_fail("mprotect RW worked after RESTRICT returned");
		if (rc) {
			if (errno != EACCES || !sh->restricting)
				victim_fail("mprotect up: %s", strerror(errno));
			break;
		}
		if (vma_victim_write(q + 24, i, sh))
			break;
		r = mremap((void *)q, 2 * ps, ps, 0);
		if (r != q)
			victim_fail("mremap shrink: %s", strerror(errno));
		if (vma_victim_write(q + 32, i, sh))
			break;
		if (munmap((void *)q, ps))
			victim_fail("munmap: %s", strerror(errno));
		q = NULL;
		sh->progress = i;
	}
	/* after the restriction, from the victim's side */
	if (wait_flag(&sh->restricted, 10000))
		victim_fail("the owner never finished RESTRICT");
	if (mmap(NULL, ps, RW, MAP_SHARED, fd, 0) != MAP_FAILED ||
	    errno != EACCES)
		victim_fail("mmap RW after RESTRICT: not EACCES");
	r = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED)
		victim_fail("mmap R after RESTRICT: %s", strerror(errno));
	if (probe_write(r, 1) != SIGSEGV || probe_code != SEGV_ACCERR)
		victim_fail("write to a new R mapping did not fault");
	munmap((void *)r, ps);
	if (q) {
		if (probe_write(q, 1) != SIGSEGV || probe_code != SEGV_ACCERR)
			victim_fail("write to its last mapping did not fault");
		munmap((void *)q, 2 * ps);
	}
}

static void vma_revoke(struct __test_metadata *_metadata,
		       FIXTURE_DATA(race) *self, struct round *r, pid_t pid)
{
	spin(rnd() % 50000);
	self->sh->restricting = 1;
	ASSERT_EQ(0, ps_restrict(r->fd, pid, PROTSHM_PROT_READ, 0));
}

/* RESTRICT racing mmap, mremap (move, shrink), mprotect and munmap. */
TEST_F_TIMEOUT(race, revoke_vs_vma_ops, PROTSHM_TIMEOUT)
{
	uint64_t loops;
	int n;

	n = run_rounds(_metadata, self, vma_body, 16, vma_revoke, NULL, &loops);
	TH_LOG("revoke vs mmap/mremap/mprotect/munmap: %d iterations, %llu victim loops",
	       n, (unsigned long long)loops);
}

/*
 * Fork victim: forks children while the owner revokes it.  Every child
 * waits for the end of RESTRICT, then writes through the inherited
 * mapping: a child forked after RESTRICT returned (or any child, with
 * PROTSHM_RESTRICT_DESCENDANTS) must fault and report a READ ceiling.
 */
static void __attribute__((noreturn))
fork_victim(int fd, volatile char *v, size_t ps, struct shared *sh, int desc)
{
	pid_t kids[MAX_KIDS];
	int n = 0, i, bad = 0, st;

	pin_cpu(1);
	while (n < MAX_KIDS) {
		int after = sh->restricted;
		pid_t pid = fork();

		if (!pid) {
			struct protshm_info info;
			int sig;

			if (wait_flag(&sh->restricted, 10000))
				_exit(3);
			sig = probe_write(v + ps + 8 * n, 1);
			if (!desc && !after)
				_exit(0);	/* forked before: may write */
			if (sig != SIGSEGV || probe_code != SEGV_ACCERR)
				_exit(4);
			if (ps_info(fd, &info, NULL) ||
			    info.ceiling != PROTSHM_PROT_READ)
				_exit(5);
			_exit(0);
		}
		if (pid < 0)
			victim_fail("fork: %s", strerror(errno));
		kids[n++] = pid;
		sh->forks = n;
		sh->counts[after ? 1 : 0]++;
		if (after)
			break;
	}
	if (wait_flag(&sh->restricted, 10000))
		victim_fail("the owner never finished RESTRICT");
	if (probe_write(v, 1) != SIGSEGV || probe_code != SEGV_ACCERR)
		victim_fail("the victim's own write did not fault");
	for (i = 0; i < n; i++) {
		st = wait_child(kids[i]);
		if (st) {
			snprintf(sh->msg, sizeof(sh->msg),
				 "child %d of %d (pid %d): status %d", i, n,
				 kids[i], st);
			bad++;
		}
	}
	_exit(bad ? 1 : 0);
}

static void revoke_vs_fork(struct __test_metadata *_metadata,
			   FIXTURE_DATA(race) *self, int desc)
{
	uint64_t iters = 0, kids_before = 0, kids_after = 0, end;
	int st, target;
	pid_t pid;

	while (iters < MAX_ITERS && (iters < 5 || now_ns() < self->deadline)) {
		reset(self);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			fork_victim(self->fd, (volatile char *)self->m,
				    self->ps, self->sh, desc);
		/* the victim inherits self->m, and with it an RW attachment */
		target = 1 + rnd() % 6;
		end = now_ns() + 10000000000ULL;
		while (self->sh->forks < target) {
			ASSERT_NE(pid, waitpid(pid, NULL, WNOHANG)) {
				TH_LOG("victim: %s", self->sh->msg);
			}
			ASSERT_GT(end, now_ns());
			sched_yield();
		}
		spin(rnd() % 20000);
		ASSERT_EQ(0, ps_restrict(self->fd, pid, PROTSHM_PROT_READ,
					 desc ? PROTSHM_RESTRICT_DESCENDANTS : 0));
		self->sh->restricted = 1;
		st = wait_victim(pid, 20000);
		ASSERT_EQ(0, st) {
			TH_LOG("iteration %llu: victim status %d: %s",
			       (unsigned long long)iters, st, self->sh->msg);
		}
		kids_before += self->sh->counts[0];
		kids_after += self->sh->counts[1];
		iters++;
	}
	TH_LOG("revoke%s vs fork: %llu iterations, %llu children forked before RESTRICT returned, %llu after",
	       desc ? " (descendants)" : "", (unsigned long long)iters,
	       (unsigned long long)kids_before,
	       (unsigned long long)kids_after);
}

TEST_F_TIMEOUT(race, revoke_vs_fork, PROTSHM_TIMEOUT)
{
	revoke_vs_fork(_metadata, self, 0);
}

TEST_F_TIMEOUT(race, revoke_descendants_vs_fork, PROTSHM_TIMEOUT)
{
	revoke_vs_fork(_metadata, self, 1);
}

/*
 * Victim of descendants_mid_fork: hands the owner a userfaultfd that
 * reports fork events, then forks once; the child writes through the
 * inherited mapping when the owner says so and reports what happened.
 */
static void __attribute__((noreturn))
mid_fork_victim(int sock, int fd, volatile char *v, size_t ps,
		struct shared *sh)
{
	struct protshm_info info;
	char perms[5];
	struct uffdio_api api = {
		.api = UFFD_API, .features = UFFD_FEATURE_EVENT_FORK,
	};
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	char *anon;
	pid_t pid;
	int uffd;

	/* poll() on a blocking userfaultfd only ever reports POLLERR */
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		victim_fail("userfaultfd: %s", strerror(errno));
	anon = mmap(NULL, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon == MAP_FAILED)
		victim_fail("mmap: %s", strerror(errno));
	reg.range.start = (uintptr_t)anon;
	reg.range.len = ps;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		victim_fail("UFFDIO_REGISTER: %s", strerror(errno));
	if (send_fd(sock, uffd) || sync_recv(sock) != 'f')
		victim_fail("handshake");
	pid = fork();		/* stops until the owner reads the event */
	if (!pid) {
		if (wait_flag(&sh->restricted, 10000))
			_exit(3);
		sh->fault_sig = probe_write(v + 8, 1);
		sh->fault_code = probe_code;
		if (ps_info(fd, &info, NULL))
			info.ceiling = ~0U;
		snprintf(sh->msg, sizeof(sh->msg),
			 "the child's mapping is %s, its ceiling %u",
			 maps_perms((void *)v, perms), info.ceiling);
		_exit(0);
	}
	if (pid < 0)
		victim_fail("fork: %s", strerror(errno));
	_exit(wait_child(pid));
}

/*
 * The window that revoke_descendants_vs_fork hits by chance, held open: a
 * userfaultfd with UFFD_FEATURE_EVENT_FORK stops fork() after dup_mmap()
 * has copied the parent's VMAs - protshm mappings included - and dropped
 * the parent's mmap_lock, but before the child's task->mm is set, until
 * the owner reads the fork event.  RESTRICT with DESCENDANTS of the parent
 * inside that window must lower the child's copies too.
 */
TEST_F(race, descendants_mid_fork)
{
	struct pollfd pfd;
	struct uffd_msg msg;
	int sv[2], uffd, st;
	pid_t pid;

	reset(self);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(sv[0]);
		mid_fork_victim(sv[1], self->fd, (volatile char *)self->m,
				self->ps, self->sh);
	}
	close(sv[1]);
	uffd = recv_fd(sv[0]);
	if (uffd < 0) {
		wait_victim(pid, 10000);
		SKIP(return, "victim: %s", self->sh->msg);
	}
	ASSERT_EQ(0, sync_send(sv[0], 'f'));
	/* the fork event is pending: the child's VMAs exist, its mm is unset */
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_EQ(POLLIN, pfd.revents);
	ASSERT_EQ(0, ps_restrict(self->fd, pid, PROTSHM_PROT_READ,
				 PROTSHM_RESTRICT_DESCENDANTS));
	self->sh->restricted = 1;
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_FORK, msg.event);
	close(msg.arg.fork.ufd);
	st = wait_victim(pid, 10000);
	ASSERT_EQ(0, st) {
		TH_LOG("victim status %d: %s", st, self->sh->msg);
	}
	EXPECT_EQ(SIGSEGV, self->sh->fault_sig) {
		TH_LOG("the child forked during RESTRICT(DESCENDANTS) still wrote: %s",
		       self->sh->msg);
	}
	EXPECT_EQ(SEGV_ACCERR, self->sh->fault_code);
	EXPECT_EQ(0, self->m[1]);	/* the word holding byte 8 */
	close(uffd);
	close(sv[0]);
}

/* Exit victim: maps, writes, maybe unmaps, exits after a random time. */
static void __attribute__((noreturn))
exit_victim(int fd, size_t ps, struct shared *sh, uint64_t delay, int unmap)
{
	volatile char *v;
	int i;

	pin_cpu(1);
	v = mmap(NULL, NP * ps, RW, MAP_SHARED, fd, 0);
	if (v == MAP_FAILED)
		victim_fail("mmap: %s", strerror(errno));
	set_handler(fault_exit_handler);
	for (i = 0; i < NP; i++)
		v[i * ps] = i;
	sh->progress = 1;
	spin(delay);
	if (unmap)
		munmap((void *)v, NP * ps);
	_exit(0);
}

/*
 * RESTRICT racing the victim's munmap and exit: 0 or ESRCH, nothing else,
 * and no attachment is left behind.
 */
TEST_F_TIMEOUT(race, revoke_vs_exit, PROTSHM_TIMEOUT)
{
	uint64_t iters = 0, ok = 0, esrch = 0, exited = 0;
	struct protshm_info info;
	siginfo_t si;
	pid_t pid;
	int st;

	while (iters < MAX_ITERS && (iters < 10 || now_ns() < self->deadline)) {
		uint64_t delay = rnd() % 200000;

		reset(self);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			exit_victim(self->fd, self->ps, self->sh, delay,
				    rnd() & 1);
		while (!self->sh->progress)
			sched_yield();
		spin(rnd() % 250000);
		memset(&si, 0, sizeof(si));
		if (!waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) &&
		    si.si_pid == pid)
			exited++;	/* a zombie already: no mm */
		if (ps_restrict(self->fd, pid, PROTSHM_PROT_NONE, 0)) {
			ASSERT_EQ(ESRCH, errno);
			esrch++;
		} else {
			ok++;
		}
		st = wait_victim(pid, 10000);
		ASSERT_EQ(0, st) {
			TH_LOG("victim status %d: %s", st, self->sh->msg);
		}
		/* after the exit: gone */
		ASSERT_ERRNO(ps_restrict(self->fd, pid, PROTSHM_PROT_NONE, 0),
			     ESRCH);
		iters++;
	}
	/* only the owner's attachment is left */
	ASSERT_EQ(0, ps_info(self->fd, &info, NULL));
	ASSERT_EQ(1, info.nr_attachments);
	TH_LOG("revoke vs munmap/exit: %llu iterations (victim already exited %llu times), RESTRICT returned 0 %llu times, ESRCH %llu times",
	       (unsigned long long)iters, (unsigned long long)exited,
	       (unsigned long long)ok, (unsigned long long)esrch);
}

/*
 * Two-owner body: stores until a store faults, then waits for both
 * RESTRICTs to return and checks the result: ceiling NONE, every access
 * faults.
 */
static void two_body(int fd, size_t ps, struct shared *sh)
{
	struct protshm_info info;
	volatile uint64_t *w;
	char *volatile v;
	uint64_t seq;

	v = mmap(NULL, NP * ps, RW, MAP_SHARED, fd, 0);
	if (v == MAP_FAILED)
		victim_fail("mmap: %s", strerror(errno));
	if (!sigsetjmp(round_env, 1)) {
		set_handler(round_fault_handler);
		for (seq = 1;; seq++) {
			w = (volatile uint64_t *)(v + (seq % NP) * ps);
			*w = seq;
			sh->progress = seq;
		}
	}
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	if (sh->fault_code != SEGV_ACCERR)
		victim_fail("store fault code %d", sh->fault_code);
	if (wait_flag(&sh->restricted, 10000))
		victim_fail("the owners never finished");
	if (ps_info(fd, &info, NULL) || info.ceiling != PROTSHM_PROT_NONE)
		victim_fail("ceiling %u, not NONE", info.ceiling);
	if (probe_read(v) != SIGSEGV || probe_code != SEGV_ACCERR)
		victim_fail("a read did not fault");
	if (probe_read(v + (NP - 1) * ps) != SIGSEGV)
		victim_fail("a read of the last page did not fault");
	if (mprotect(v, NP * ps, PROT_READ) != -1 || errno != EACCES)
		victim_fail("mprotect(PROT_READ) not EACCES");
	munmap(v, NP * ps);
}

struct owner_thread {
	pthread_barrier_t *barrier;
	int fd;
	pid_t pid;
	uint32_t prot;
	uint32_t flags;
	uint64_t delay;
	int ret;
	int err;
};

static void *owner_thread(void *arg)
{
	struct owner_thread *o = arg;

	pthread_barrier_wait(o->barrier);
	spin(o->delay);
	o->ret = ps_restrict(o->fd, o->pid, o->prot, o->flags);
	o->err = errno;
	return NULL;
}

static pthread_barrier_t owners_barrier;

/* Two threads RESTRICT the victim at once, to READ and to NONE. */
static void two_revoke(struct __test_metadata *_metadata,
		       FIXTURE_DATA(race) *self, struct round *r, pid_t pid)
{
	struct owner_thread o[2];
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++) {
		o[i] = (struct owner_thread){
			.barrier = &owners_barrier, .fd = r->fd,
			.pid = pid, .delay = rnd() % 5000,
			.prot = (r->n + i) & 1 ? PROTSHM_PROT_NONE :
							PROTSHM_PROT_READ,
			.flags = rnd() & 1 ? PROTSHM_RESTRICT_DESCENDANTS : 0,
		};
		ASSERT_EQ(0, pthread_create(&t[i], NULL, owner_thread, &o[i]));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		ASSERT_EQ(0, o[i].ret) {
			TH_LOG("owner %d: %s", i, strerror(o[i].err));
		}
	}
}

/* Two owners revoke the same victim at once, to READ and to NONE. */
TEST_F_TIMEOUT(race, two_owners, PROTSHM_TIMEOUT)
{
	uint64_t steps;
	int n;

	ASSERT_EQ(0, pthread_barrier_init(&owners_barrier, NULL, 2));
	n = run_rounds(_metadata, self, two_body, 2048, two_revoke, NULL,
		       &steps);
	pthread_barrier_destroy(&owners_barrier);
	TH_LOG("two owners: %d iterations", n);
}

/* 0 if a one-page segment can be created now (it is removed), or errno. */
static int try_create(const char *name)
{
	int fd = ps_open(), err = 0;

	if (fd < 0)
		return errno;
	if (ps_create(fd, name, page_size(), 0600, PROTSHM_PROT_RW))
		err = errno;
	else
		ps_unlink(fd);
	close(fd);
	return err;
}

/*
 * How many segments exist (linked or not), measured with max_segments:
 * the smallest limit that still allows a CREATE, minus one.  -1 on error.
 */
static long count_segments(void)
{
	unsigned long long saved, lo = 0, hi = 1 << 16, mid;
	char name[PROTSHM_NAME_MAX];
	int err = 0;

	if (param_read("max_segments", &saved))
		return -1;
	ps_name(name, sizeof(name), "count");
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (param_write("max_segments", mid))
			return -1;
		err = try_create(name);
		if (err && err != ENOSPC)
			break;
		if (err)
			lo = mid;
		else
			hi = mid;
	}
	if (param_write("max_segments", saved))
		return -1;
	return err && err != ENOSPC ? -1 : (long)hi - 1;
}

enum { C_CREATE, C_EEXIST, C_ATTACH, C_ENOENT, C_UNLINK, C_UNLINK_ENOENT,
       C_RESTRICT };

/*
 * One racer process: creators CREATE, map, write and UNLINK the name;
 * attachers ATTACH it, check what they got, map, read, sometimes restrict
 * themselves or UNLINK.  Counts go to sh->counts; any other result fails.
 */
static void __attribute__((noreturn))
name_racer(const char *name, int creator, uint64_t deadline, uint64_t seed,
	   struct shared *sh)
{
	char got[PROTSHM_NAME_MAX];
	struct protshm_info info;
	volatile char *q;
	size_t ps = page_size();
	int fd;

	rnd_state = seed;
	pin_cpu(creator);
	while (now_ns() < deadline) {
		fd = ps_open();
		if (fd < 0)
			victim_fail("open: %s", strerror(errno));
		if (creator) {
			if (ps_create(fd, name, (1 + rnd() % 2) * ps, 0600,
				      PROTSHM_PROT_RW)) {
				if (errno != EEXIST)
					victim_fail("CREATE: %s",
						    strerror(errno));
				__sync_fetch_and_add(&sh->counts[C_EEXIST], 1);
				close(fd);
				continue;
			}
			__sync_fetch_and_add(&sh->counts[C_CREATE], 1);
		} else {
			if (ps_attach(fd, name, PROTSHM_PROT_RW)) {
				if (errno != ENOENT)
					victim_fail("ATTACH: %s",
						    strerror(errno));
				__sync_fetch_and_add(&sh->counts[C_ENOENT], 1);
				close(fd);
				continue;
			}
			__sync_fetch_and_add(&sh->counts[C_ATTACH], 1);
		}
		if (ps_info(fd, &info, got))
			victim_fail("INFO: %s", strerror(errno));
		if (strcmp(got, name) ||
		    (info.seg_size != ps && info.seg_size != 2 * ps))
			victim_fail("INFO: %s, %llu bytes", got,
				    (unsigned long long)info.seg_size);
		q = mmap(NULL, info.seg_size, PROT_READ, MAP_SHARED, fd, 0);
		if (q == MAP_FAILED)
			victim_fail("mmap: %s", strerror(errno));
		if (creator)
			(void)q[0];
		else if (q[info.seg_size - 1] != 0)
			victim_fail("a new segment is not zero");
		if (!creator && !(rnd() % 8)) {
			if (ps_restrict_mapping(fd, (void *)q, info.seg_size,
						PROTSHM_PROT_NONE))
				victim_fail("RESTRICT_MAPPING: %s",
					    strerror(errno));
			__sync_fetch_and_add(&sh->counts[C_RESTRICT], 1);
		}
		munmap((void *)q, info.seg_size);
		if (creator || !(rnd() % 4)) {
			if (ps_unlink(fd)) {
				if (errno != ENOENT)
					victim_fail("UNLINK: %s",
						    strerror(errno));
				__sync_fetch_and_add(
					&sh->counts[C_UNLINK_ENOENT], 1);
			} else {
				__sync_fetch_and_add(&sh->counts[C_UNLINK], 1);
			}
		}
		close(fd);
	}
	_exit(0);
}

/*
 * CREATE, ATTACH and UNLINK of one name race in four processes; at the
 * end the name is gone and no segment was leaked.
 */
TEST_F_TIMEOUT(race, create_attach_unlink, PROTSHM_TIMEOUT)
{
	char name[PROTSHM_NAME_MAX];
	long before, after;
	uint64_t left;
	pid_t pids[4];
	int i, fd;

	if (geteuid())
		SKIP(return, "needs root for max_segments");
	before = count_segments();
	ASSERT_LE(0, before);
	ps_name(name, sizeof(name), "name-race");
	reset(self);
	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			name_racer(name, i < 2, self->deadline, rnd(),
				   self->sh);
	}
	left = self->deadline > now_ns() ? self->deadline - now_ns() : 0;
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, wait_victim(pids[i], 30000 + left / 1000000)) {
			TH_LOG("racer %d: %s", i, self->sh->msg);
		}
	fd = ps_open();
	ASSERT_LE(0, fd);
	ASSERT_ERRNO(ps_attach(fd, name, PROTSHM_PROT_READ), ENOENT);
	close(fd);
	after = count_segments();
	ASSERT_EQ(before, after);
	ASSERT_LT(0, self->sh->counts[C_CREATE]);
	TH_LOG("create/attach/unlink: %d CREATE (%d EEXIST), %d ATTACH (%d ENOENT), %d UNLINK (%d ENOENT), %d RESTRICT_MAPPING; %ld segments before and after",
	       self->sh->counts[C_CREATE], self->sh->counts[C_EEXIST],
	       self->sh->counts[C_ATTACH], self->sh->counts[C_ENOENT],
	       self->sh->counts[C_UNLINK], self->sh->counts[C_UNLINK_ENOENT],
	       self->sh->counts[C_RESTRICT], before);
}

/*
 * RESTRICT against a victim that execs in a loop.  Each image maps the
 * segment (an fd kept open across execve()) read-write, adds one to the
 * counter in its first word for about a millisecond and execs again; once
 * a mapping is refused (EACCES) it waits to be killed.  The owner
 * restricts the victim at a random moment: from the ioctl's return on, the
 * counter must not move and the victim must have no writable mapping of
 * the segment, whichever image it is in.  The owner runs at nice 19 beside
 * a CPU hog, so that it is preempted inside RESTRICT (at the sleeping
 * points between choosing the victim's address space and locking it) long
 * enough for the victim to exec and map in its new one.
 */
#define EXEC_ENV	"PROTSHM_RACE_EXEC_FD"
#define HOLD_BYTES	(16UL << 20)

/*
 * A CLONE_VM sibling of an image keeps its address space's mmap_lock busy
 * (populating and dropping 16 MiB holds it for reading): RESTRICT, which
 * wants it for writing, waits there, while the image's execve() may still
 * take it for reading and move on to a new address space.
 */
static int exec_holder(void *region)
{
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (i = 0; i < 4; i++) {
		madvise(region, HOLD_BYTES, MADV_POPULATE_WRITE);
		madvise(region, HOLD_BYTES, MADV_DONTNEED);
	}
	return 0;
}

static void exec_start_holder(void)
{
	size_t stack_size = 64 * 1024;
	char *stack = mmap(NULL, stack_size + HOLD_BYTES, RW,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (stack != MAP_FAILED)
		clone(exec_holder, stack + stack_size, CLONE_VM | SIGCHLD,
		      stack + stack_size);
}

static void __attribute__((constructor)) exec_victim(void)
{
	const char *env = getenv(EXEC_ENV);
	char *argv[] = { "/proc/self/exe", NULL };
	volatile uint64_t *p;
	uint64_t end;
	int fd;

	if (!env)
		return;
	fd = atoi(env);
	p = mmap(NULL, page_size(), RW, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		for (;;)
			pause();
	exec_start_holder();
	p[1]++;		/* images */
	for (end = now_ns() + 1000000; now_ns() < end;)
		(*p)++;
	munmap((void *)p, page_size());
	execve("/proc/self/exe", argv, environ);
	_exit(1);
}

/* Has process @pid a writable shared mapping of /dev/protshm? */
static int has_rw_protshm(pid_t pid)
{
	char maps[64], perms[5], line[512];
	int found = 0;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	f = fopen(maps, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, PROTSHM_DEV) &&
		    sscanf(line, "%*x-%*x %4s", perms) == 1 && perms[1] == 'w') {
			fprintf(stderr, "# victim %d: %s", pid, line);
			found = 1;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* One round: a new segment, a new exec'ing victim, one RESTRICT. */
static void exec_round(struct __test_metadata *_metadata,
		       FIXTURE_DATA(race) *self, uint64_t *execs)
{
	char name[PROTSHM_NAME_MAX], env[32];
	volatile uint64_t *m;
	uint64_t snap, end;
	pid_t pid;
	int fd;

	fd = ps_new(ps_name(name, sizeof(name), "exec"), self->ps);
	ASSERT_LE(0, fd);
	m = mmap(NULL, self->ps, RW, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pin_cpu(1);
		snprintf(env, sizeof(env), "%d", fd);
		CHILD_ASSERT(fcntl(fd, F_SETFD, 0) == 0);
		CHILD_ASSERT(setenv(EXEC_ENV, env, 1) == 0);
		/* never outlive the test, which may stop at an assertion */
		CHILD_ASSERT(prctl(PR_SET_PDEATHSIG, SIGKILL) == 0);
		/* its only protshm mapping is the round segment's */
		CHILD_ASSERT(munmap((void *)self->m, self->size) == 0);
		/* the holders are reaped automatically, across execve() too */
		CHILD_ASSERT(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
		exec_victim();
		_exit(1);
	}
	/* the victim execs: two images have run (slow on debug kernels) */
	end = now_ns() + 60000000000ULL;
	while (m[1] < 3 && now_ns() < end)
		sched_yield();
	ASSERT_LE(3, m[1]);
	usleep(rnd() % 5000);
	ASSERT_EQ(0, ps_restrict(fd, pid, PROTSHM_PROT_READ, 0));
	snap = *m;
	ASSERT_EQ(0, has_rw_protshm(pid)) {
		usleep(50000);
		TH_LOG("counter %llu at the return, %llu 50 ms later, still writable: %d",
		       (unsigned long long)snap, (unsigned long long)*m,
		       has_rw_protshm(pid));
	}
	/* the next images are refused RW mappings; give them time */
	usleep(20000 + rnd() % 30000);
	ASSERT_EQ(snap, *m);
	ASSERT_EQ(0, has_rw_protshm(pid));
	*execs += snap;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	munmap((void *)m, self->ps);
	ASSERT_EQ(0, ps_unlink(fd));
	close(fd);
}

TEST_F_TIMEOUT(race, revoke_vs_exec, PROTSHM_TIMEOUT)
{
	uint64_t execs = 0;
	int rounds = 0;
	pid_t hog;

	hog = fork();
	ASSERT_LE(0, hog);
	if (!hog) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			spin(1000000);
	}
	ASSERT_EQ(0, setpriority(PRIO_PROCESS, 0, 19));
	while (rounds < MAX_ITERS && (!rounds || now_ns() < self->deadline)) {
		exec_round(_metadata, self, &execs);
		rounds++;
	}
	kill(hog, SIGKILL);
	waitpid(hog, NULL, 0);
	TH_LOG("revoke vs exec: %d rounds, %llu stores by images before the RESTRICTs, none after",
	       rounds, (unsigned long long)execs);
}

TEST_HARNESS_MAIN
