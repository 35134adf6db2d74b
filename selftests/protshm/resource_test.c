// SPDX-License-Identifier: GPL-2.0
/*
 * Memory accounting (research/reliability_anchors.md rows K1-K2, DESIGN.md
 * section 2): a segment's pages are charged to the memory cgroup of the
 * process that created it - also when another process, in another cgroup,
 * faults them in, and after the creator has exited - and are uncharged
 * when the segment is freed.  Its kernel objects (the page array) are
 * charged too.  The limits (count, size, total) are in ioctl_test.
 *
 * Needs cgroup2 with the memory controller at /sys/fs/cgroup and root;
 * creates two child cgroups and removes them again.
 *
 * Fork records (fixture lineage): processes that restrict themselves must
 * not make the forks of other processes recorded.
 */
#include <sched.h>
#include <sys/stat.h>
#include <time.h>

#include "common.h"
#include "ioctl_helpers.h"
#include "kselftest_harness.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define RW		(PROT_READ | PROT_WRITE)
#define NR_PAGES	2048		/* 8 MiB with 4 KiB pages */
/*
 * memory.current is exact only to within the per-CPU charge batches
 * (64 pages per CPU, either way) plus the processes' own memory.
 */
#define SLACK		(768 * 1024)

/* @got is @want give or take SLACK. */
#define ASSERT_ABOUT(want, got) do {					\
	ASSERT_LE((long long)(want) - SLACK, (long long)(got));		\
	ASSERT_GE((long long)(want) + SLACK, (long long)(got));		\
} while (0)

static int cg_write(const char *cg, const char *file, const char *val)
{
	char path[512];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* memory.current of @cg, or -1. */
static long long cg_current(const char *cg)
{
	char path[512];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Does @file of the root cgroup list @word? */
static int cg_root_has(const char *file, const char *word)
{
	char path[256], buf[512], *tok, *save;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), CG_ROOT "/%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, word))
			return 1;
	return 0;
}

/*
 * Wait until memory.current of @cg is at most @limit (charges of exited
 * tasks are released with some delay, e.g. after RCU); the last value.
 */
static long long cg_wait_below(const char *cg, long long limit)
{
	long long v = cg_current(cg);
	int i;

	for (i = 0; i < 500 && v > limit; i++) {
		usleep(10000);
		v = cg_current(cg);
	}
	return v;
}

FIXTURE(memcg) {
	char a[128];	/* the creator's cgroup */
	char b[128];	/* the other process's cgroup */
	size_t ps;
	pid_t kids[2];	/* killed by the teardown if still there */
};

FIXTURE_SETUP(memcg)
{
	self->ps = page_size();
	self->kids[0] = 0;
	self->kids[1] = 0;
	self->a[0] = 0;
	self->b[0] = 0;
	if (geteuid())
		SKIP(return, "needs root for cgroups");
	if (!cg_root_has("cgroup.controllers", "memory"))
		SKIP(return, "no cgroup2 memory controller at " CG_ROOT);
	if (!cg_root_has("cgroup.subtree_control", "memory") &&
	    cg_write(CG_ROOT, "cgroup.subtree_control", "+memory"))
		SKIP(return, "cannot enable +memory in " CG_ROOT ": %s",
		     strerror(errno));
	snprintf(self->a, sizeof(self->a), CG_ROOT "/protshm-a-%d", getpid());
	snprintf(self->b, sizeof(self->b), CG_ROOT "/protshm-b-%d", getpid());
	ASSERT_EQ(0, mkdir(self->a, 0755));
	ASSERT_EQ(0, mkdir(self->b, 0755));
	ASSERT_LE(0, cg_current(self->a));
}

FIXTURE_TEARDOWN(memcg)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (self->kids[i] > 0) {
			kill(self->kids[i], SIGKILL);
			waitpid(self->kids[i], NULL, 0);
		}
	}
	/* the children have exited; their cgroups may take a moment */
	for (i = 0; i < 100; i++) {
		if ((!self->a[0] || !rmdir(self->a) || errno == ENOENT) &&
		    (!self->b[0] || !rmdir(self->b) || errno == ENOENT))
			return;
		usleep(10000);
	}
	EXPECT_EQ(0, rmdir(self->a));
	EXPECT_EQ(0, rmdir(self->b));
}

/*
 * A child that moves itself into @cg and then runs commands from the
 * parent: 'c' create @name of @size bytes, 'a' attach it, 't' touch
 * (write) pages [from, to) of its mapping, 'u' unlink, 'n' nothing, 'q'
 * unmap, close and exit.  Each command is acknowledged with one byte.
 */
struct cmd {
	char op;
	int from, to;
};

static void __attribute__((noreturn))
cg_child(const char *cg, const char *name, size_t size, int in, int out)
{
	volatile char *p = NULL;
	size_t ps = page_size();
	struct cmd c;
	int fd = -1, i;

	CHILD_ASSERT(cg_write(cg, "cgroup.procs", "0") == 0);
	while (read(in, &c, sizeof(c)) == sizeof(c)) {
		switch (c.op) {
		case 'c':
			fd = ps_open();
			CHILD_ASSERT(fd >= 0);
			CHILD_ASSERT(ps_create(fd, name, size, 0600,
					       PROTSHM_PROT_RW) == 0);
			break;
		case 'a':
			fd = ps_open();
			CHILD_ASSERT(fd >= 0);
			CHILD_ASSERT(ps_attach(fd, name, PROTSHM_PROT_RW) == 0);
			break;
		case 't':
			if (!p) {
				p = mmap(NULL, size, RW, MAP_SHARED, fd, 0);
				CHILD_ASSERT(p != MAP_FAILED);
			}
			for (i = c.from; i < c.to; i++)
				p[i * ps] = 1;
			break;
		case 'u':
			CHILD_ASSERT(ps_unlink(fd) == 0);
			break;
		case 'n':	/* nothing: proves it is in its cgroup */
			break;
		case 'q':
			if (p)
				CHILD_ASSERT(munmap((void *)p, size) == 0);
			if (fd >= 0)
				CHILD_ASSERT(close(fd) == 0);
			CHILD_ASSERT(write(out, "k", 1) == 1);
			_exit(0);
		default:
			_exit(2);
		}
		CHILD_ASSERT(write(out, "k", 1) == 1);
	}
	_exit(3);
}

struct cg_proc {
	pid_t pid;
	int to;		/* commands */
	int from;	/* acknowledgements */
};

static int cg_spawn(struct cg_proc *c, const char *cg, const char *name,
		    size_t size)
{
	int in[2], out[2];

	if (pipe(in) || pipe(out))
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (!c->pid) {
		close(in[1]);
		close(out[0]);
		cg_child(cg, name, size, in[0], out[1]);
	}
	close(in[0]);
	close(out[1]);
	c->to = in[1];
	c->from = out[0];
	return 0;
}

/* Send a command and wait for its acknowledgement; 0 or -1. */
static int cg_do(struct cg_proc *c, char op, int from, int to)
{
	struct cmd cmd = { .op = op, .from = from, .to = to };
	char k;

	if (write(c->to, &cmd, sizeof(cmd)) != sizeof(cmd))
		return -1;
	return read(c->from, &k, 1) == 1 && k == 'k' ? 0 : -1;
}

static int cg_quit(struct cg_proc *c, pid_t *kid)
{
	int ret = cg_do(c, 'q', 0, 0);

	close(c->to);
	close(c->from);
	ret = ret || wait_child(c->pid) ? -1 : 0;
	*kid = 0;
	return ret;
}

/*
 * The creator, in cgroup A, touches half of the pages; another process, in
 * cgroup B, touches the other half: A is charged for all of them, B for
 * none.  The creator exits first: A stays charged while B's process still
 * maps the segment; when that one exits too, A is uncharged.
 */
TEST_F(memcg, charged_to_creator)
{
	long long base_a, base_b, cur_a, cur_b, half, all;
	char name[PROTSHM_NAME_MAX];
	size_t size = NR_PAGES * self->ps;
	struct cg_proc c1, c2;

	half = (long long)NR_PAGES / 2 * self->ps;
	all = (long long)NR_PAGES * self->ps;
	ps_name(name, sizeof(name), "memcg");
	ASSERT_EQ(0, cg_spawn(&c1, self->a, name, size));
	self->kids[0] = c1.pid;
	ASSERT_EQ(0, cg_spawn(&c2, self->b, name, size));
	self->kids[1] = c2.pid;
	/* both children are in their cgroups once they answer a command */
	ASSERT_EQ(0, cg_do(&c1, 'c', 0, 0));
	ASSERT_EQ(0, cg_do(&c2, 'a', 0, 0));
	base_a = cg_current(self->a);
	base_b = cg_current(self->b);
	ASSERT_LE(0, base_a);
	ASSERT_LE(0, base_b);

	/* the creator touches the first half */
	ASSERT_EQ(0, cg_do(&c1, 't', 0, NR_PAGES / 2));
	cur_a = cg_current(self->a);
	cur_b = cg_current(self->b);
	TH_LOG("creator touched %lld KiB: A +%lld KiB, B +%lld KiB",
	       half >> 10, (cur_a - base_a) >> 10, (cur_b - base_b) >> 10);
	ASSERT_ABOUT(half, cur_a - base_a);
	ASSERT_ABOUT(0, cur_b - base_b);

	/* the other process, in B, touches the second half: charged to A */
	ASSERT_EQ(0, cg_do(&c2, 't', NR_PAGES / 2, NR_PAGES));
	cur_a = cg_current(self->a);
	cur_b = cg_current(self->b);
	TH_LOG("other process touched %lld KiB: A +%lld KiB, B +%lld KiB",
	       half >> 10, (cur_a - base_a) >> 10, (cur_b - base_b) >> 10);
	ASSERT_ABOUT(all, cur_a - base_a);
	ASSERT_ABOUT(0, cur_b - base_b);
	/* touching pages already there charges nothing more */
	ASSERT_EQ(0, cg_do(&c2, 't', 0, NR_PAGES));
	ASSERT_ABOUT(all, cg_current(self->a) - base_a);
	ASSERT_ABOUT(0, cg_current(self->b) - base_b);

	/* the creator unlinks and exits: the charge stays with A */
	ASSERT_EQ(0, cg_do(&c1, 'u', 0, 0));
	ASSERT_EQ(0, cg_quit(&c1, &self->kids[0]));
	cur_a = cg_current(self->a);
	TH_LOG("creator gone, segment still mapped: A +%lld KiB",
	       (cur_a - base_a) >> 10);
	ASSERT_ABOUT(all, cur_a - base_a);

	/* the last user goes: the segment is freed, A is uncharged */
	ASSERT_EQ(0, cg_quit(&c2, &self->kids[1]));
	cur_a = cg_wait_below(self->a, base_a + SLACK / 2);
	cur_b = cg_wait_below(self->b, base_b + SLACK / 2);
	TH_LOG("all closed: A %+lld KiB, B %+lld KiB against the baseline",
	       (cur_a - base_a) >> 10, (cur_b - base_b) >> 10);
	ASSERT_ABOUT(0, cur_a - base_a);
	ASSERT_ABOUT(0, cur_b - base_b);
}

/*
 * A segment's page array is allocated at CREATE, charged to the creator
 * (GFP_KERNEL_ACCOUNT) even though no page is touched, and freed with it.
 */
TEST_F(memcg, page_array_charged)
{
	unsigned long long max_bytes = 1ULL << 30;
	char name[PROTSHM_NAME_MAX];
	long long base, cur, array;
	struct cg_proc c;
	size_t size;

	if (!param_read("max_seg_bytes", &max_bytes) && max_bytes > 1ULL << 30)
		max_bytes = 1ULL << 30;
	size = max_bytes / self->ps * self->ps;
	array = size / self->ps * sizeof(void *);
	if (array < 2 * SLACK)
		SKIP(return, "max_seg_bytes %llu: page array too small to see",
		     max_bytes);
	ps_name(name, sizeof(name), "memcg-array");
	ASSERT_EQ(0, cg_spawn(&c, self->a, name, size));
	self->kids[0] = c.pid;
	ASSERT_EQ(0, cg_do(&c, 'n', 0, 0));	/* in A now */
	base = cg_current(self->a);
	ASSERT_EQ(0, cg_do(&c, 'c', 0, 0));
	cur = cg_current(self->a);
	TH_LOG("%zu MiB segment, nothing touched: A +%lld KiB (page array %lld KiB)",
	       size >> 20, (cur - base) >> 10, array >> 10);
	ASSERT_ABOUT(array, cur - base);
	ASSERT_EQ(0, cg_do(&c, 'u', 0, 0));
	ASSERT_EQ(0, cg_quit(&c, &self->kids[0]));
	cur = cg_wait_below(self->a, base + SLACK / 2);
	ASSERT_ABOUT(0, cur - base);
}

/*
 * Every fork of a process with a lowered ceiling is recorded, so that the
 * child gets the ceiling (see protshm.rst); anyone may lower their own
 * ceiling.  LINEAGE_PROCS processes that restrict themselves must not make
 * the forks of unrelated processes recorded: a record costs the forking
 * process an atomic allocation and work under the module's locks, and its
 * child is killed when that allocation fails.  The read-only parameter
 * fork_records counts the records made.  The module once kept a 1024-slot
 * filter: 1024 keys then left a given slot empty with a probability of
 * about 1/e, and 56 of the 72 forks below were recorded.  The restricted
 * processes share one address space (clone(CLONE_VM), each a process of
 * its own with its own attachment), so that starting them copies none: the
 * test fits the debug kernel's time.
 */
#define LINEAGE_PROCS	1024
#define LINEAGE_SEGS	64	/* 16 restricted processes on each */
#define LINEAGE_STACK	(64 << 10)
#define LINEAGE_FORKERS	8	/* unrelated processes, each forking: */
#define LINEAGE_FORKS	8

FIXTURE(lineage) {
	char name[LINEAGE_SEGS][PROTSHM_NAME_MAX];
	int fd[LINEAGE_SEGS];	/* the segments, created by the test */
	int hold[2];	/* the restricted processes exit at EOF on hold[0] */
	pid_t spawner;	/* their parent */
};

FIXTURE_SETUP(lineage)
{
	int i;

	self->spawner = 0;
	for (i = 0; i < LINEAGE_SEGS; i++)
		self->fd[i] = -1;
	for (i = 0; i < LINEAGE_SEGS; i++) {
		ps_name(self->name[i], sizeof(self->name[i]), "lineage");
		self->fd[i] = ps_new(self->name[i], page_size());
		ASSERT_LE(0, self->fd[i]);
	}
	ASSERT_EQ(0, pipe2(self->hold, O_CLOEXEC));
}

FIXTURE_TEARDOWN(lineage)
{
	int i;

	close(self->hold[1]);
	if (self->spawner > 0)
		EXPECT_EQ(0, wait_child(self->spawner));
	close(self->hold[0]);
	for (i = 0; i < LINEAGE_SEGS && self->fd[i] >= 0; i++) {
		ps_unlink(self->fd[i]);
		close(self->fd[i]);
	}
}

static long long fork_records(void)
{
	unsigned long long v;

	return param_read("fork_records", &v) ? -1 : (long long)v;
}

/* Attach to @name, lower the ceiling to READ, then return the file. */
static int restrict_self(const char *name)
{
	int fd = ps_open();

	CHILD_ASSERT(fd >= 0);
	CHILD_ASSERT(ps_attach(fd, name, PROTSHM_PROT_RW) == 0);
	CHILD_ASSERT(ps_restrict(fd, 0, PROTSHM_PROT_READ, 0) == 0);
	return fd;
}

struct sleeper_arg {
	const char *name;
	int hold;
	int ready;
};

/* clone() entry: restrict itself, say so, sleep until EOF on hold. */
static int restricted_sleeper(void *p)
{
	const struct sleeper_arg *a = p;
	char c;

	CHILD_ASSERT(close(restrict_self(a->name)) == 0);
	CHILD_ASSERT(write(a->ready, "r", 1) == 1);
	CHILD_ASSERT(close(a->ready) == 0);
	CHILD_ASSERT(read(a->hold, &c, 1) == 0);	/* EOF: the test is over */
	_exit(0);
}

/*
 * Start the restricted processes, then wait for them: exits with 0 if all
 * of them did.
 */
static void __attribute__((noreturn))
spawner(FIXTURE_DATA(lineage) *self, int ready)
{
	static struct sleeper_arg args[LINEAGE_SEGS];
	int i, status, ret = 0;
	char *stacks;

	stacks = mmap(NULL, (size_t)LINEAGE_PROCS * LINEAGE_STACK,
		      PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHILD_ASSERT(stacks != MAP_FAILED);
	CHILD_ASSERT(close(self->hold[1]) == 0);
	for (i = 0; i < LINEAGE_SEGS; i++)
		args[i] = (struct sleeper_arg){ self->name[i], self->hold[0],
						ready };
	for (i = 0; i < LINEAGE_PROCS; i++)
		CHILD_ASSERT(clone(restricted_sleeper,
				   stacks + (size_t)(i + 1) * LINEAGE_STACK,
				   CLONE_VM | SIGCHLD,
				   &args[i % LINEAGE_SEGS]) > 0);
	CHILD_ASSERT(close(ready) == 0);
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			ret = 1;
	_exit(ret);
}

/* Fork @n children that exit at once; 0 if all of them exited with 0. */
static int fork_exit(int n)
{
	pid_t pid;

	while (n--) {
		pid = fork();
		if (!pid)
			_exit(0);
		if (pid < 0 || wait_child(pid))
			return -1;
	}
	return 0;
}

/* A restricted process forks: its child has the READ ceiling. */
static int __attribute__((noreturn)) restricted_fork(const char *name)
{
	int fd = restrict_self(name);
	pid_t pid = fork();

	if (!pid) {
		CHILD_ASSERT(ceiling_of(fd) == PROTSHM_PROT_READ);
		_exit(0);
	}
	CHILD_ASSERT(pid > 0);
	_exit(wait_child(pid));
}

TEST_F_TIMEOUT(lineage, unrelated_forks_unrecorded, 110)
{
	long long before, after;
	int ready[2], i;
	char c;
	pid_t pid;

	before = fork_records();
	ASSERT_LE(0, before);
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	self->spawner = fork();
	ASSERT_LE(0, self->spawner);
	if (!self->spawner) {
		close(ready[0]);
		spawner(self, ready[1]);
	}
	close(ready[1]);
	for (i = 0; i < LINEAGE_PROCS; i++)
		ASSERT_EQ(1, read(ready[0], &c, 1));
	close(ready[0]);

	before = fork_records();
	for (i = 0; i < LINEAGE_FORKERS; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(fork_exit(LINEAGE_FORKS) ? 1 : 0);
		ASSERT_EQ(0, wait_child(pid));
	}
	after = fork_records();
	TH_LOG("%d processes restricted themselves; %d forks of unrelated processes made %lld fork records",
	       LINEAGE_PROCS, LINEAGE_FORKERS * (1 + LINEAGE_FORKS),
	       after - before);
	ASSERT_EQ(0, after - before);

	/* control: a restricted process's fork is recorded, exactly once */
	before = fork_records();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		restricted_fork(self->name[0]);
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(1, fork_records() - before);
}

TEST_HARNESS_MAIN
