// SPDX-License-Identifier: GPL-2.0
/*
 * Write leases: a segment created with PROTSHM_CREATE_LEASE has one writing
 * process at a time, and PROTSHM_IOC_LEASE moves it
 * (Documentation/userspace-api/protshm.rst, "Write leases").
 *
 * A write refused for want of the lease is SIGSEGV at the address written
 * (si_code SEGV_MAPERR: the fault handler's VM_FAULT_SIGSEGV); every such
 * check follows a control write that succeeds on the same page.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "common.h"
#include "ioctl_helpers.h"
#include "nl_helpers.h"
#include "kselftest_harness.h"

#define RW		(PROT_READ | PROT_WRITE)
#define NR_PAGES	4

FIXTURE(lease) {
	char name[PROTSHM_NAME_MAX];
	size_t ps;
	size_t size;
	int fd;
	char *p;
};

FIXTURE_SETUP(lease)
{
	self->ps = page_size();
	self->size = NR_PAGES * self->ps;
	self->p = MAP_FAILED;
	ps_name(self->name, sizeof(self->name), "lease");
	self->fd = ps_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ps_create_flags(self->fd, self->name, self->size, 0666,
				     PROTSHM_PROT_RW, PROTSHM_CREATE_LEASE)) {
		TH_LOG("create %s: %s", self->name, strerror(errno));
	}
	self->p = map(self->fd, self->size, RW, 0);
	ASSERT_NE(MAP_FAILED, self->p);
}

FIXTURE_TEARDOWN(lease)
{
	if (self->p != MAP_FAILED)
		EXPECT_EQ(0, munmap(self->p, self->size));
	EXPECT_EQ(0, ps_unlink(self->fd));
	EXPECT_EQ(0, close(self->fd));
}

/* A write refused for want of the lease: SIGSEGV at exactly @addr. */
static int lease_refused(int sig, volatile void *addr)
{
	return sig == SIGSEGV && probe_addr == (void *)addr &&
	       probe_code == SEGV_MAPERR;
}

/* A child attached by fork (its own mapping); runs @fn and exits with it. */
static pid_t child_run(int (*fn)(void *), void *arg, struct sync_pipe *s)
{
	pid_t pid;

	if (sync_init(s))
		return -1;
	pid = fork();
	if (!pid)
		_exit(fn(arg));
	return pid;
}

/* Flags, reserved bits, a segment without a lease, unbound files. */
TEST_F(lease, errors)
{
	char name[PROTSHM_NAME_MAX];
	struct protshm_lease l = { .size = sizeof(l), .__reserved = 1 };
	int fd = ps_open(), plain;

	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, ps_create_flags(fd, ps_name(name, sizeof(name), "x"),
				      self->ps, 0600, PROTSHM_PROT_RW, 0x2));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ps_lease(fd, 0, 0));
	ASSERT_EQ(EBADFD, errno);
	ASSERT_EQ(0, ps_create(fd, name, self->ps, 0600, PROTSHM_PROT_RW));
	ASSERT_EQ(-1, ps_lease(fd, 0, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ps_unlink(fd));
	close(fd);

	ASSERT_EQ(0, ps_lease(self->fd, 0, 0));
	ASSERT_EQ(-1, ps_lease(self->fd, 0, 0x2));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ioctl(self->fd, PROTSHM_IOC_LEASE, &l));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, ps_lease(self->fd, self->fd, PROTSHM_LEASE_PIDFD));
	ASSERT_EQ(EBADF, errno);
	/* a process that is gone */
	plain = fork();
	ASSERT_LE(0, plain);
	if (!plain)
		_exit(0);
	ASSERT_EQ(0, wait_child(plain));
	ASSERT_EQ(-1, ps_lease(self->fd, plain, 0));
	ASSERT_EQ(ESRCH, errno);
}

struct writer_arg {
	char *p;
	struct sync_pipe *s;
	int fd;
};

/* The child writes before and after the lease comes to it. */
static int child_gets_lease(void *arg)
{
	struct writer_arg *w = arg;
	struct protshm_event ev[2];

	CHILD_ASSERT(probe_read(w->p) == 0);
	CHILD_ASSERT(lease_refused(probe_write(w->p, 'c'), w->p));
	CHILD_ASSERT(sync_send(w->s->to_parent[1], 'r') == 0);
	CHILD_ASSERT(sync_recv(w->s->to_child[0]) == 'l');
	CHILD_ASSERT(probe_write(w->p, 'c') == 0);
	CHILD_ASSERT(probe_write(w->p + 3 * page_size(), 'd') == 0);
	CHILD_ASSERT(ps_events(w->fd, ev, 2) == 1);
	CHILD_ASSERT(ev[0].type == PROTSHM_EVENT_LEASE_GAINED);
	CHILD_ASSERT(ev[0].by_pid == (uint32_t)getppid());
	return 0;
}

/* The creator holds the lease; moving it gives the next write to the other. */
TEST_F(lease, move_to_child_and_back)
{
	struct writer_arg w = { .p = self->p, .fd = self->fd };
	struct protshm_event ev;
	struct sync_pipe s;
	pid_t pid;

	ASSERT_EQ(0, probe_write(self->p, 'o'));
	w.s = &s;
	pid = child_run(child_gets_lease, &w, &s);
	ASSERT_LE(0, pid);
	ASSERT_EQ('r', sync_recv(s.to_parent[0]));
	ASSERT_EQ('o', self->p[0]);
	ASSERT_EQ(0, ps_lease(self->fd, pid, 0));
	/* the owner's writable PTE is gone: its next write faults */
	ASSERT_TRUE(lease_refused(probe_write(self->p, 'x'), self->p));
	ASSERT_TRUE(lease_refused(probe_write(self->p + self->ps, 'x'),
				  self->p + self->ps));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'l'));
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ('c', self->p[0]);
	ASSERT_EQ('d', self->p[3 * self->ps]);
	ASSERT_EQ(1, ps_events(self->fd, &ev, 1));
	ASSERT_EQ(PROTSHM_EVENT_LEASE_LOST, ev.type);
	ASSERT_EQ(PROTSHM_PROT_RW, ev.old_prot);
	ASSERT_EQ(PROTSHM_PROT_READ, ev.new_prot);
	/* the holder is gone; the owner takes the lease back */
	ASSERT_EQ(0, ps_lease(self->fd, 0, 0));
	ASSERT_EQ(0, probe_write(self->p, 'b'));
	ASSERT_EQ('b', self->p[0]);
}

struct counter {
	volatile uint64_t *word;
	volatile int stop;
};

static void *count_up(void *arg)
{
	struct counter *c = arg;
	uint64_t i = 0;

	while (!c->stop)
		*c->word = ++i;
	return NULL;
}

static volatile uint64_t *fault_word;
static volatile int fault_ok = -1;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_ok = si->si_addr == (void *)fault_word &&
		   si->si_code == SEGV_MAPERR;
	pause();	/* the parent kills the process */
}

/* The holder counts in a thread until the lease is taken from it. */
static int racing_holder(void *arg)
{
	struct writer_arg *w = arg;
	struct sigaction sa = { .sa_sigaction = on_segv,
				.sa_flags = SA_SIGINFO };
	struct counter c = { .word = (uint64_t *)w->p };
	pthread_t t;

	fault_word = c.word;
	CHILD_ASSERT(prctl(PR_SET_PDEATHSIG, SIGKILL) == 0);
	CHILD_ASSERT(sigaction(SIGSEGV, &sa, NULL) == 0);
	CHILD_ASSERT(sync_recv(w->s->to_child[0]) == 'g');
	CHILD_ASSERT(pthread_create(&t, NULL, count_up, &c) == 0);
	while (*c.word < 1000)
		;
	CHILD_ASSERT(sync_send(w->s->to_parent[1], 'c') == 0);
	CHILD_ASSERT(sync_recv(w->s->to_child[0]) == 'm');
	/* the parent saw the value frozen; did the writer fault? */
	while (fault_ok < 0)
		usleep(1000);
	CHILD_ASSERT(sync_send(w->s->to_parent[1], fault_ok ? 'f' : 'n') == 0);
	pause();
	return 0;
}

/*
 * A thread of the holder writes a counter without pause; once the move
 * returns, the value never changes again and the writer faults at the
 * counter's address.
 */
TEST_F(lease, move_races_writer)
{
	struct writer_arg w = { .p = self->p, .fd = self->fd };
	uint64_t v;
	struct sync_pipe s;
	pid_t pid;
	int round;

	for (round = 0; round < 5; round++) {
		w.s = &s;
		pid = child_run(racing_holder, &w, &s);
		ASSERT_LE(0, pid);
		ASSERT_EQ(0, ps_lease(self->fd, pid, 0));
		ASSERT_EQ(0, sync_send(s.to_child[1], 'g'));
		ASSERT_EQ('c', sync_recv(s.to_parent[0]));
		ASSERT_EQ(0, ps_lease(self->fd, 0, 0));
		v = *(volatile uint64_t *)self->p;
		usleep(50000);
		ASSERT_EQ(v, *(volatile uint64_t *)self->p);
		ASSERT_LE(1000, v);
		ASSERT_EQ(0, sync_send(s.to_child[1], 'm'));
		ASSERT_EQ('f', sync_recv(s.to_parent[0]));
		ASSERT_EQ(v, *(volatile uint64_t *)self->p);
		kill(pid, SIGKILL);
		ASSERT_EQ(128 + SIGKILL, wait_child(pid));
		/* the new holder's next write needs no new mapping */
		ASSERT_EQ(0, probe_write(self->p, 0));
		close(s.to_parent[0]);
		close(s.to_parent[1]);
		close(s.to_child[0]);
		close(s.to_child[1]);
	}
}

/* Only the owner or the holder may move it. */
static int non_owner(void *arg)
{
	struct writer_arg *w = arg;

	CHILD_ASSERT(become_user(12345, 12345) == 0);
	CHILD_ASSERT(ps_lease(w->fd, 0, 0) == -1 && errno == EPERM);
	CHILD_ASSERT(sync_send(w->s->to_parent[1], 'e') == 0);
	CHILD_ASSERT(sync_recv(w->s->to_child[0]) == 'h');
	/* now the holder: it may give the lease away */
	CHILD_ASSERT(probe_write(w->p, 'h') == 0);
	CHILD_ASSERT(ps_lease(w->fd, getppid(), 0) == 0);
	CHILD_ASSERT(lease_refused(probe_write(w->p, 'x'), w->p));
	return 0;
}

TEST_F(lease, rights_to_move)
{
	struct writer_arg w = { .p = self->p, .fd = self->fd };
	struct sync_pipe s;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root to change uid");
	w.s = &s;
	pid = child_run(non_owner, &w, &s);
	ASSERT_LE(0, pid);
	ASSERT_EQ('e', sync_recv(s.to_parent[0]));
	ASSERT_EQ(0, ps_lease(self->fd, pid, 0));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'h'));
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ('h', self->p[0]);
	ASSERT_EQ(0, probe_write(self->p, 'o'));
}

/* A ceiling without WRITE cannot hold it, and RESTRICT takes it away. */
static int idle_child(void *arg)
{
	struct writer_arg *w = arg;

	CHILD_ASSERT(sync_send(w->s->to_parent[1], 'r') == 0);
	CHILD_ASSERT(sync_recv(w->s->to_child[0]) == 'q');
	return 0;
}

TEST_F(lease, ceiling_bounds_lease)
{
	struct writer_arg w = { .p = self->p, .fd = self->fd };
	struct sync_pipe s;
	pid_t pid;

	w.s = &s;
	pid = child_run(idle_child, &w, &s);
	ASSERT_LE(0, pid);
	ASSERT_EQ('r', sync_recv(s.to_parent[0]));
	ASSERT_EQ(0, ps_restrict(self->fd, pid, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(-1, ps_lease(self->fd, pid, 0));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(0, sync_send(s.to_child[1], 'q'));
	ASSERT_EQ(0, wait_child(pid));

	/* the holder restricted to READ loses it; nobody holds it */
	ASSERT_EQ(0, probe_write(self->p, 'a'));
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(-1, ps_lease(self->fd, 0, 0));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ('a', self->p[0]);
}

/* A child forked by the holder does not inherit writable PTEs. */
static int forked_writer(void *arg)
{
	struct writer_arg *w = arg;

	CHILD_ASSERT(probe_read(w->p) == 0 && *w->p == 'p');
	CHILD_ASSERT(lease_refused(probe_write(w->p, 'c'), w->p));
	return 0;
}

TEST_F(lease, fork_of_holder)
{
	struct writer_arg w = { .p = self->p, .fd = self->fd };
	struct sync_pipe s;
	pid_t pid;

	ASSERT_EQ(0, probe_write(self->p, 'p'));
	w.s = &s;
	pid = child_run(forked_writer, &w, &s);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ('p', self->p[0]);
	ASSERT_EQ(0, probe_write(self->p, 'q'));
}

/*
 * A fork racing the move: the holder forks while the owner takes the lease
 * back.  Had its dup_mmap() started before the move and its ->open() run
 * after it, the child would inherit the holder's writable PTE.  No child of
 * the holder, a process that never holds the lease, may write.
 */
#define FORK_RACE_ROUNDS	150
#define FORK_RACE_NS		(120ULL * 1000000000)	/* debug kernels: fewer rounds */
#define FORK_RACE_FORKS		200

/*
 * Fork until the lease is gone.  Exits with 0, 1 (a check failed) or 2 (a
 * child wrote).
 */
static int forking_holder(void *arg)
{
	struct writer_arg *w = arg;
	int i, status, wrote = 0;
	pid_t g;

	CHILD_ASSERT(sync_recv(w->s->to_child[0]) == 'l');
	CHILD_ASSERT(probe_write(w->p, 'h') == 0);
	CHILD_ASSERT(sync_send(w->s->to_parent[1], 'r') == 0);
	for (i = 0; i < FORK_RACE_FORKS && probe_write(w->p, 'h') == 0; i++) {
		g = fork();
		if (!g) {
			int sig = probe_write(w->p, 'g');

			_exit(!sig ? 2 : lease_refused(sig, w->p) ? 0 : 1);
		}
		CHILD_ASSERT(g > 0 && waitpid(g, &status, 0) == g);
		CHILD_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) != 1);
		wrote += !!WEXITSTATUS(status);
	}
	if (wrote)
		fprintf(stderr, "# %d of %d children wrote\n", wrote, i);
	return wrote ? 2 : 0;
}

TEST_F_TIMEOUT(lease, fork_races_move, PROTSHM_TIMEOUT)
{
	struct writer_arg w = { .p = self->p, .fd = self->fd };
	int round, status, bad = 0;
	uint64_t t0 = now_ns();
	struct sync_pipe s;
	pid_t pid;

	w.s = &s;
	for (round = 0; round < FORK_RACE_ROUNDS &&
	     now_ns() - t0 < FORK_RACE_NS; round++) {
		pid = child_run(forking_holder, &w, &s);
		ASSERT_LE(0, pid);
		ASSERT_EQ(0, ps_lease(self->fd, pid, 0));
		ASSERT_EQ(0, sync_send(s.to_child[1], 'l'));
		ASSERT_EQ('r', sync_recv(s.to_parent[0]));	/* it wrote */
		usleep(round * 250 % 5000);
		ASSERT_EQ(0, ps_lease(self->fd, 0, 0));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_NE(1, WEXITSTATUS(status));
		bad += WEXITSTATUS(status) == 2;
		close(s.to_parent[0]);
		close(s.to_parent[1]);
		close(s.to_child[0]);
		close(s.to_child[1]);
	}
	EXPECT_EQ(0, bad) {
		TH_LOG("in %d of %d rounds a child of the holder wrote without the lease",
		       bad, round);
	}
	TH_LOG("%d rounds", round);
	ASSERT_EQ(0, probe_write(self->p, 'o'));
}

/*
 * mprotect cycles, and /proc/self/mem, cannot get around it: the holder's
 * dirty PTEs, made read-only by mprotect(), do not become writable again
 * once the lease is gone.
 */
TEST_F(lease, mprotect_and_proc_mem)
{
	int mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	char c = 'm';
	pid_t pid;

	ASSERT_LE(0, mem);
	ASSERT_EQ(0, probe_write(self->p, 'a'));
	ASSERT_EQ(0, mprotect(self->p, self->size, PROT_READ));
	ASSERT_EQ(0, mprotect(self->p, self->size, RW));
	ASSERT_EQ(0, probe_write(self->p, 'a'));
	ASSERT_EQ(1, pwrite(mem, &c, 1, (uintptr_t)self->p));
	ASSERT_EQ('m', self->p[0]);
	ASSERT_EQ(0, mprotect(self->p, self->size, PROT_READ));

	/* give the lease to an idle process: now both paths fail */
	pid = fork_idle();
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, ps_lease(self->fd, pid, 0));
	ASSERT_EQ(0, mprotect(self->p, self->size, RW));
	ASSERT_TRUE(lease_refused(probe_write(self->p, 'x'), self->p));
	ASSERT_EQ(0, mprotect(self->p, self->size, PROT_READ));
	ASSERT_EQ(0, mprotect(self->p, self->size, RW));
	ASSERT_TRUE(lease_refused(probe_write(self->p, 'x'), self->p));
	ASSERT_EQ(-1, pwrite(mem, &c, 1, (uintptr_t)self->p + 1));
	ASSERT_EQ('m', self->p[0]);
	kill(pid, SIGKILL);
	wait_child(pid);
	close(mem);
}

/* A pidfd names the new holder. */
TEST_F(lease, pidfd)
{
	int pidfd = syscall(SYS_pidfd_open, getpid(), 0);

	if (pidfd < 0)
		SKIP(return, "pidfd_open: %s", strerror(errno));
	ASSERT_EQ(0, ps_lease(self->fd, pidfd, PROTSHM_LEASE_PIDFD));
	ASSERT_EQ(0, probe_write(self->p, 'a'));
	close(pidfd);
}

/* Netlink shows the holder, and every move is an event. */
TEST_F(lease, netlink_holder_and_event)
{
	struct ev_rec ev[8], *lease[2];
	struct seg_rec s;
	struct nlc c, e;	/* queries; events (a query reads past them) */
	int n, i, nl = 0;
	pid_t pid;

	ASSERT_EQ(0, nlc_open(&c));
	ASSERT_EQ(0, seg_get(&c, self->name, 0, &s));
	ASSERT_EQ(1, s.lease);
	ASSERT_EQ((uint32_t)getpid(), s.lease_holder);
	ASSERT_EQ(0, nlc_open(&e));
	if (nl_subscribe(&e)) {
		nlc_close(&e);
		nlc_close(&c);
		SKIP(return, "joining the events group needs CAP_NET_ADMIN");
	}
	pid = fork_idle();
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, ps_lease(self->fd, pid, 0));
	ASSERT_EQ(0, seg_get(&c, self->name, 0, &s));
	ASSERT_EQ((uint32_t)pid, s.lease_holder);
	/* a RESTRICT without WRITE takes the lease away: no holder */
	ASSERT_EQ(0, ps_restrict(self->fd, pid, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(0, seg_get(&c, self->name, 0, &s));
	ASSERT_EQ(1, s.lease);
	ASSERT_EQ(0, s.lease_holder);
	n = ev_collect(&e, self->name, ev, 8, 1000);
	for (i = 0; i < n && nl < 2; i++)
		if (ev[i].cmd == PROTSHM_CMD_LEASE_NTF)
			lease[nl++] = &ev[i];
	ASSERT_EQ(2, nl);
	ASSERT_EQ((uint32_t)pid, lease[0]->lease_holder);
	ASSERT_EQ((uint32_t)getpid(), lease[0]->old_lease_holder);
	ASSERT_EQ((uint32_t)getpid(), lease[0]->by_pid);
	ASSERT_EQ(0, lease[1]->lease_holder);
	ASSERT_EQ((uint32_t)pid, lease[1]->old_lease_holder);
	ASSERT_EQ(0, ps_lease(self->fd, 0, 0));
	ASSERT_EQ(0, seg_get(&c, self->name, 0, &s));
	ASSERT_EQ((uint32_t)getpid(), s.lease_holder);
	kill(pid, SIGKILL);
	wait_child(pid);
	nlc_close(&e);
	nlc_close(&c);
}

TEST_HARNESS_MAIN
