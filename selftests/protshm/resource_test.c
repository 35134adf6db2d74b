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
 * The writable tests check a kernel count no user may raise for good: the
 * writable shared mappings of /dev/protshm (read through debugfs).
 */
#include <sys/mount.h>
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
 * The kernel counts, on the inode of /dev/protshm, the shared mappings that
 * may be made writable (VM_SHARED and VM_MAYWRITE: i_mmap_writable) as they
 * come and go; once the count overflows, every writable mapping of the
 * device fails with EPERM, for everyone.  A mapping that RESTRICT or
 * RESTRICT_MAPPING lowers to read-only loses VM_MAYWRITE while it exists,
 * and must give its count back then.  The module's debugfs diagnostic
 * shows the count.
 */
#define MMAP_WRITABLE	"/sys/kernel/debug/protshm/dev_mmap_writable"
#define DEBUGFS		"/sys/kernel/debug"
#define NOBODY		65534
#define ROUNDS		200
#define NR_W		4	/* pages of the writable fixture's segment */

/* The count of writable mappings of /dev/protshm, or -1. */
static long mmap_writable(void)
{
	FILE *f = fopen(MMAP_WRITABLE, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

FIXTURE(writable) {
	char name[PROTSHM_NAME_MAX];
	size_t ps;
	int fd;		/* the segment, mode 0666 */
	long base;	/* the count before the test */
};

FIXTURE_SETUP(writable)
{
	self->fd = -1;
	self->ps = page_size();
	if (geteuid())
		SKIP(return, "needs root to read " MMAP_WRITABLE);
	if (access(MMAP_WRITABLE, F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	self->base = mmap_writable();
	if (self->base < 0)
		SKIP(return, "cannot read " MMAP_WRITABLE " (no debugfs?): %s",
		     strerror(errno));
	ps_name(self->name, sizeof(self->name), "writable");
	self->fd = ps_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ps_create(self->fd, self->name, NR_W * self->ps, 0666,
			       PROTSHM_PROT_RW));
}

FIXTURE_TEARDOWN(writable)
{
	if (self->fd < 0)
		return;
	EXPECT_EQ(0, ps_unlink(self->fd));
	EXPECT_EQ(0, close(self->fd));
	EXPECT_EQ(self->base, mmap_writable());
}

/*
 * An unprivileged process with a segment of its own: @rounds times map a
 * page read-write, write it, lower the mapping to read-only, unmap it.
 */
static void __attribute__((noreturn)) lower_rounds(int rounds)
{
	char name[PROTSHM_NAME_MAX];
	size_t ps = page_size();
	volatile char *p;
	int fd, i;

	CHILD_ASSERT(become_user(NOBODY, NOBODY) == 0);
	fd = ps_new(ps_name(name, sizeof(name), "rounds"), ps);
	CHILD_ASSERT(fd >= 0);
	for (i = 0; i < rounds; i++) {
		p = map(fd, ps, RW, 0);
		CHILD_ASSERT(p != MAP_FAILED);
		CHILD_ASSERT(probe_write(p, 'r') == 0);
		CHILD_ASSERT(ps_restrict_mapping(fd, (void *)p, ps,
						 PROTSHM_PROT_READ) == 0);
		CHILD_ASSERT(munmap((void *)p, ps) == 0);
	}
	CHILD_ASSERT(ps_unlink(fd) == 0);
	CHILD_ASSERT(close(fd) == 0);
	_exit(0);
}

/* Another process attaches @name, maps it read-write and writes @c. */
static int write_from_child(const char *name, char c)
{
	volatile char *p;
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid < 0 ? -1 : wait_child(pid);
	fd = ps_open();
	CHILD_ASSERT(fd >= 0);
	CHILD_ASSERT(ps_attach(fd, name, PROTSHM_PROT_RW) == 0);
	p = map(fd, page_size(), RW, 0);
	CHILD_ASSERT(p != MAP_FAILED);
	CHILD_ASSERT(probe_write(p, c) == 0);
	CHILD_ASSERT(munmap((void *)p, page_size()) == 0);
	_exit(0);
}

/*
 * RESTRICT_MAPPING in a loop: map read-write, lower to read-only, unmap.
 * The count must not grow, and everyone can still map read-write.
 */
TEST_F(writable, restrict_mapping_rounds)
{
	char *p;
	pid_t pid;

	RETURN_IF_SKIPPED();
	/* control: a read-write mapping is counted while it exists */
	p = map(self->fd, self->ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(self->base + 1, mmap_writable());
	ASSERT_EQ(0, munmap(p, self->ps));
	ASSERT_EQ(self->base, mmap_writable());

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		lower_rounds(ROUNDS);
	ASSERT_EQ(0, wait_child(pid));
	TH_LOG("after %d rounds: %+ld", ROUNDS, mmap_writable() - self->base);
	ASSERT_EQ(self->base, mmap_writable());

	/* another process still maps read-write and writes */
	ASSERT_EQ(0, write_from_child(self->name, 'W'));
	p = map(self->fd, self->ps, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ('W', p[0]);
	ASSERT_EQ(0, munmap(p, self->ps));
}

/* The child of restrict_other: maps read-write until lowered, then unmaps. */
static void __attribute__((noreturn))
lowered_child(const char *name, struct sync_pipe *s)
{
	size_t ps = page_size();
	volatile char *p;
	int fd;

	close(s->to_parent[0]);
	close(s->to_child[1]);
	fd = ps_open();
	CHILD_ASSERT(fd >= 0);
	CHILD_ASSERT(ps_attach(fd, name, PROTSHM_PROT_RW) == 0);
	p = map(fd, ps, RW, 0);
	CHILD_ASSERT(p != MAP_FAILED);
	CHILD_ASSERT(probe_write(p, 'o') == 0);
	CHILD_ASSERT(sync_send(s->to_parent[1], 'm') == 0);
	CHILD_ASSERT(sync_recv(s->to_child[0]) == 'r');
	CHILD_ASSERT_ACCERR(probe_write(p + 1, 'x'), p + 1);
	CHILD_ASSERT(p[0] == 'o' && p[1] == 0);
	CHILD_ASSERT(munmap((void *)p, ps) == 0);
	CHILD_ASSERT(sync_send(s->to_parent[1], 'u') == 0);
	_exit(0);
}

/* The owner lowers another process's read-write mapping; it unmaps it. */
TEST_F(writable, restrict_other)
{
	struct sync_pipe s;
	pid_t pid;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, sync_init(&s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		lowered_child(self->name, &s);
	close(s.to_parent[1]);
	close(s.to_child[0]);
	ASSERT_EQ('m', sync_recv(s.to_parent[0]));
	ASSERT_EQ(self->base + 1, mmap_writable());	/* control */
	ASSERT_EQ(0, ps_restrict(self->fd, pid, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(self->base, mmap_writable());
	ASSERT_EQ(0, sync_send(s.to_child[1], 'r'));
	ASSERT_EQ('u', sync_recv(s.to_parent[0]));
	ASSERT_EQ(self->base, mmap_writable());
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(self->base, mmap_writable());
	close(s.to_parent[0]);
	close(s.to_child[1]);
}

/*
 * Fork while @p (one page, 'f' at 0) is mapped: the child checks the data
 * and whether it can write (@writable), then waits for the parent.  The
 * count is @want while both have it.
 */
static void fork_with(struct __test_metadata *_metadata, volatile char *p,
		      int writable, long want)
{
	struct sync_pipe s;
	pid_t pid;

	ASSERT_EQ(0, sync_init(&s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(s.to_parent[0]);
		close(s.to_child[1]);
		CHILD_ASSERT(p[0] == 'f');
		if (writable)
			CHILD_ASSERT(probe_write(p + 1, 'c') == 0);
		else
			CHILD_ASSERT_ACCERR(probe_write(p + 1, 'c'), p + 1);
		CHILD_ASSERT(sync_send(s.to_parent[1], 'k') == 0);
		CHILD_ASSERT(sync_recv(s.to_child[0]) == 'q');
		_exit(0);
	}
	close(s.to_parent[1]);
	close(s.to_child[0]);
	ASSERT_EQ('k', sync_recv(s.to_parent[0]));
	EXPECT_EQ(want, mmap_writable());
	ASSERT_EQ(0, sync_send(s.to_child[1], 'q'));
	ASSERT_EQ(0, wait_child(pid));
	close(s.to_parent[0]);
	close(s.to_child[1]);
}

/* A lowered mapping inherited by fork is not counted in the child either. */
TEST_F(writable, fork_lowered)
{
	char *p;

	RETURN_IF_SKIPPED();
	p = map(self->fd, self->ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 'f';
	/* control: a read-write mapping is counted in both */
	fork_with(_metadata, p, 1, self->base + 2);
	ASSERT_EQ(self->base + 1, mmap_writable());
	ASSERT_EQ('c', p[1]);

	ASSERT_EQ(0, ps_restrict_mapping(self->fd, p, self->ps,
					 PROTSHM_PROT_READ));
	ASSERT_EQ(self->base, mmap_writable());
	fork_with(_metadata, p, 0, self->base);
	ASSERT_EQ(self->base, mmap_writable());
	ASSERT_EQ(0, munmap(p, self->ps));
	ASSERT_EQ(self->base, mmap_writable());
}

/*
 * Pieces of a lowered mapping (mprotect() or munmap() of part of it, a
 * piece moved by mremap()) are not counted, before or after the lowering.
 */
TEST_F(writable, split_lowered)
{
	size_t ps = self->ps;
	char *p, *dst;
	int i;

	RETURN_IF_SKIPPED();
	dst = mmap(NULL, ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	p = map(self->fd, NR_W * ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < NR_W; i++)
		p[i * ps] = 'a' + i;
	/* control: mprotect() of page 1 splits the mapping in three */
	ASSERT_EQ(0, mprotect(p + ps, ps, PROT_READ));
	ASSERT_EQ(self->base + 3, mmap_writable());

	ASSERT_EQ(0, ps_restrict_mapping(self->fd, p, NR_W * ps,
					 PROTSHM_PROT_READ));
	ASSERT_EQ(self->base, mmap_writable());
	ASSERT_EQ(0, mprotect(p + 2 * ps, ps, PROT_NONE));
	ASSERT_EQ(self->base, mmap_writable());
	ASSERT_EQ(0, munmap(p + 3 * ps, ps));
	ASSERT_EQ(self->base, mmap_writable());
	ASSERT_EQ(dst, mremap(p, ps, ps, MREMAP_MAYMOVE | MREMAP_FIXED, dst));
	ASSERT_EQ(self->base, mmap_writable());
	ASSERT_EQ('a', dst[0]);
	ASSERT_EQ('b', p[ps]);
	ASSERT_ACCERR(probe_write(dst + 1, 'x'), dst + 1);
	ASSERT_EQ(0, munmap(dst, ps));
	ASSERT_EQ(0, munmap(p + ps, 2 * ps));
	ASSERT_EQ(self->base, mmap_writable());
}

TEST_HARNESS_MAIN
