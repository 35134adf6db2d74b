// SPDX-License-Identifier: GPL-2.0
/*
 * Memory accounting (Documentation/security/threat-model.rst, "Other users";
 * Documentation/userspace-api/protshm.rst, "Limits"): a segment's pages are
 * charged to the memory cgroup of the process that created it - also when
 * another process, in another cgroup, faults them in, and after the creator
 * has exited - and are uncharged when the segment is freed.  Its kernel
 * objects (the page array) are charged too.  The global limits (count, size,
 * total) are in ioctl_test.
 *
 * Unprivileged users (fixture users): the segments of an IPC namespace
 * that nothing references any more are freed with it, unless a file or
 * mapping still holds them; and one user's segments are limited by a
 * quota, so that other users can still create.
 *
 * Needs cgroup2 with the memory controller at /sys/fs/cgroup and root;
 * creates child cgroups and removes them again.
 *
 * The writable tests check a kernel count no user may raise for good: the
 * writable shared mappings of /dev/protshm (read through debugfs).
 *
 * Fork records (fixture lineage): processes that restrict themselves must
 * not make the forks of other processes recorded.
 */
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
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
 * Wait up to @ms milliseconds until memory.current of @cg is at most
 * @limit (charges of exited tasks are released with some delay, e.g. after
 * RCU); the last value.
 */
static long long cg_wait_below(const char *cg, long long limit, int ms)
{
	long long v = cg_current(cg);
	int i;

	for (i = 0; i < ms / 10 && v > limit; i++) {
		usleep(10000);
		v = cg_current(cg);
	}
	return v;
}

/*
 * Make the cgroup CG_ROOT/protshm-@tag-PID, with the memory controller, in
 * @path (len bytes): NULL, or why it cannot be done (@path stays "").
 */
static const char *cg_make(char *path, size_t len, const char *tag)
{
	static char why[128];

	path[0] = 0;
	if (geteuid())
		return "needs root for cgroups";
	if (!cg_root_has("cgroup.controllers", "memory"))
		return "no cgroup2 memory controller at " CG_ROOT;
	if (!cg_root_has("cgroup.subtree_control", "memory") &&
	    cg_write(CG_ROOT, "cgroup.subtree_control", "+memory")) {
		snprintf(why, sizeof(why), "cannot enable +memory in " CG_ROOT ": %s",
			 strerror(errno));
		return why;
	}
	snprintf(path, len, CG_ROOT "/protshm-%s-%d", tag, getpid());
	if (mkdir(path, 0755)) {
		snprintf(why, sizeof(why), "mkdir %s: %s", path, strerror(errno));
		path[0] = 0;
		return why;
	}
	return NULL;
}

/* Remove the cgroups @a and @b ("" or gone: nothing), waiting for their tasks to go. */
static int cg_remove(const char *a, const char *b)
{
	int i;

	for (i = 0; i < 100; i++) {
		if ((!a[0] || !rmdir(a) || errno == ENOENT) &&
		    (!b[0] || !rmdir(b) || errno == ENOENT))
			return 0;
		usleep(10000);
	}
	return -1;
}

FIXTURE(memcg) {
	char a[128];	/* the creator's cgroup */
	char b[128];	/* the other process's cgroup */
	size_t ps;
	pid_t kids[2];	/* killed by the teardown if still there */
};

FIXTURE_SETUP(memcg)
{
	SKIP_WITHOUT_DEVICE();
	self->ps = page_size();
	self->kids[0] = 0;
	self->kids[1] = 0;
	const char *why;

	self->b[0] = 0;
	why = cg_make(self->a, sizeof(self->a), "a");
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(NULL, cg_make(self->b, sizeof(self->b), "b"));
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
	EXPECT_EQ(0, cg_remove(self->a, self->b));
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
	cur_a = cg_wait_below(self->a, base_a + SLACK / 2, 5000);
	cur_b = cg_wait_below(self->b, base_b + SLACK / 2, 5000);
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
	cur = cg_wait_below(self->a, base + SLACK / 2, 5000);
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
	SKIP_WITHOUT_DEVICE();
	self->fd = -1;
	self->ps = page_size();
	if (geteuid())
		SKIP(return, "needs root to read " MMAP_WRITABLE);
	if (access(MMAP_WRITABLE, F_OK) && ps_in_test_vm())
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
	ASSERT_CHILD_OK(pid);
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
	ASSERT_CHILD_OK(pid);
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
	ASSERT_CHILD_OK(pid);
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

/* ---- unprivileged users: their IPC namespaces and quotas ------------- */

/* Test users; a user's segments count against its quota wherever they are. */
#define USER_A		54321
#define USER_B		54322
#define USER_C		54323
#define U_MAX		3	/* servers per test */
#define U_MAX_FDS	64	/* segments per server */
#define U_UNSHARE	1	/* server flag: a new user and IPC namespace */
#define U_PAGES		64	/* pages of a segment in the namespace tests */
#define U_SEGS		32	/* max_segments while a test fills it */
/* the module checks for namespaces nothing references once a second */
#define RECLAIM_WAIT_MS	10000

/*
 * A server: a child that becomes an unprivileged user (optionally in a new
 * user and IPC namespace, optionally in a cgroup) and runs the commands
 * the test sends over a SOCK_SEQPACKET socket, one reply each.
 */
struct u_cmd {
	char op;
	int arg;
};

struct u_reply {
	int err;	/* 0 or an errno */
	int n;		/* 'f': segments created; setup: the step that failed */
};

/* A server's segments, by creation order; an fd is -1 once closed. */
struct u_state {
	int fds[U_MAX_FDS];
	int nr;
	int sock;
	size_t ps;
};

static char page_byte(int i)
{
	return 'a' + i % 26;
}

/* Name of segment @i of server @pid, in @buf (PROTSHM_NAME_MAX bytes). */
static const char *u_name(char *buf, pid_t pid, int i)
{
	snprintf(buf, PROTSHM_NAME_MAX, "t-user-%d-%d", pid, i);
	return buf;
}

/* Create segment s->nr of @pages pages and write page i's first byte. */
static int u_create(struct u_state *s, int pages)
{
	char name[PROTSHM_NAME_MAX];
	size_t len = pages * s->ps;
	char *p;
	int fd, i;

	if (s->nr == U_MAX_FDS)
		return EMFILE;
	fd = ps_open();
	if (fd < 0)
		return errno;
	if (ps_create(fd, u_name(name, getpid(), s->nr), len, 0600,
		      PROTSHM_PROT_RW)) {
		i = errno;
		close(fd);
		return i;
	}
	s->fds[s->nr++] = fd;
	p = map(fd, len, RW, 0);
	if (p == MAP_FAILED)
		return errno;
	for (i = 0; i < pages; i++)
		p[i * s->ps] = page_byte(i);
	return munmap(p, len) ? errno : 0;
}

/* Close the server's segment files from @i on (all if -1: only @i), unlinking first if @unlink. */
static void u_close(struct u_state *s, int i, int unlink)
{
	int end = i < 0 ? s->nr : i + 1;

	for (i = i < 0 ? 0 : i; i < end; i++) {
		if (s->fds[i] < 0)
			continue;
		if (unlink)
			ps_unlink(s->fds[i]);
		close(s->fds[i]);
		s->fds[i] = -1;
	}
}

static struct u_reply u_run(struct u_state *s, const struct u_cmd *c)
{
	struct u_reply r = { 0, 0 };
	char name[PROTSHM_NAME_MAX];
	int fd;

	if (strchr("su", c->op) && (c->arg < 0 || c->arg >= s->nr ||
				    s->fds[c->arg] < 0)) {
		r.err = EBADF;
		return r;
	}
	switch (c->op) {
	case 'c':	/* create a segment of arg pages, write every page */
		r.err = u_create(s, c->arg);
		break;
	case 'f':	/* the same until it fails */
		while (!(r.err = u_create(s, c->arg)))
			r.n++;
		break;
	case 'a':	/* ATTACH segment arg by name, then close the file */
		fd = ps_open();
		r.err = fd < 0 ? errno :
			err_of(ps_attach(fd, u_name(name, getpid(), c->arg),
					 PROTSHM_PROT_READ));
		close(fd);
		break;
	case 's':	/* send the file of segment arg (SCM_RIGHTS) */
		r.err = send_fd(s->sock, s->fds[c->arg]) ? errno : 0;
		break;
	case 'u':	/* UNLINK segment arg and close its file */
		r.err = err_of(ps_unlink(s->fds[c->arg]));
		u_close(s, c->arg, 0);
		break;
	case 'x':	/* close every file, leave the names */
		u_close(s, -1, 0);
		break;
	case 'U':	/* unlink and close everything */
		u_close(s, -1, 1);
		break;
	case 'e':	/* exit as it is */
		_exit(0);
	default:
		r.err = EINVAL;
	}
	return r;
}

static void __attribute__((noreturn))
u_server(int sock, uid_t uid, const char *cg, int flags)
{
	struct u_state s = { .nr = 0, .sock = sock, .ps = page_size() };
	struct u_reply r = { 0, 0 };
	struct u_cmd c;

	if (cg && cg_write(cg, "cgroup.procs", "0"))
		r = (struct u_reply){ errno, 1 };
	else if (become_user(uid, uid))
		r = (struct u_reply){ errno, 2 };
	else if ((flags & U_UNSHARE) && unshare(CLONE_NEWUSER | CLONE_NEWIPC))
		r = (struct u_reply){ errno, 3 };
	/* after the credential changes, which clear it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (send(sock, &r, sizeof(r), 0) != sizeof(r) || r.err)
		_exit(1);
	while (recv(sock, &c, sizeof(c), 0) == sizeof(c)) {
		r = u_run(&s, &c);
		if (send(sock, &r, sizeof(r), 0) != sizeof(r))
			_exit(2);
	}
	_exit(0);
}

struct u_proc {
	pid_t pid;	/* 0: none */
	int sock;
};

#define U_PARAMS	4

FIXTURE(users) {
	char cg[128];	/* memory cgroup for the servers, "" if none */
	size_t ps;
	struct u_proc u[U_MAX];
	const char *params[U_PARAMS];
	unsigned long long saved[U_PARAMS];
	int nr_params;
};

FIXTURE_SETUP(users)
{
	SKIP_WITHOUT_DEVICE();
	memset(self->u, 0, sizeof(self->u));
	self->nr_params = 0;
	self->ps = page_size();
	self->cg[0] = 0;
	if (geteuid())
		SKIP(return, "needs root to switch users and set module parameters");
	/* only the namespace tests need it; they skip without */
	cg_make(self->cg, sizeof(self->cg), "u");
}

/* Start server @i as @uid; 0, or the errno of the setup step that failed. */
static int u_spawn(FIXTURE_DATA(users) *self, int i, uid_t uid, const char *cg,
		   int flags, int *step)
{
	struct u_reply r = { EPROTO, 0 };
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return errno;
	self->u[i].pid = fork();
	if (self->u[i].pid < 0)
		return errno;
	if (!self->u[i].pid) {
		close(sv[0]);
		u_server(sv[1], uid, cg, flags);
	}
	close(sv[1]);
	self->u[i].sock = sv[0];
	if (recv(sv[0], &r, sizeof(r), 0) != sizeof(r))
		r.err = EPROTO;
	if (step)
		*step = r.n;
	if (r.err) {	/* it exits */
		close(sv[0]);
		wait_child(self->u[i].pid);
		self->u[i].pid = 0;
	}
	return r.err;
}

/* Run one command in server @u: its errno (0: success), -1 if it is gone. */
static int u_do(struct u_proc *u, char op, int arg, int *n)
{
	struct u_cmd c = { .op = op, .arg = arg };
	struct u_reply r;

	if (send(u->sock, &c, sizeof(c), MSG_NOSIGNAL) != sizeof(c) ||
	    recv(u->sock, &r, sizeof(r), 0) != sizeof(r))
		return -1;
	if (n)
		*n = r.n;
	return r.err;
}

/* The file of server @u's segment @i, passed with SCM_RIGHTS; -1 if not. */
static int u_recv_fd(struct u_proc *u, int i)
{
	struct u_cmd c = { .op = 's', .arg = i };
	struct u_reply r;
	int fd;

	if (send(u->sock, &c, sizeof(c), MSG_NOSIGNAL) != sizeof(c))
		return -1;
	fd = recv_fd(u->sock);
	if (recv(u->sock, &r, sizeof(r), 0) != sizeof(r) || r.err) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Let server @u exit as it is; its exit status. */
static int u_exit(struct u_proc *u)
{
	struct u_cmd c = { .op = 'e' };
	int ret;

	send(u->sock, &c, sizeof(c), MSG_NOSIGNAL);
	close(u->sock);
	ret = wait_child(u->pid);
	u->pid = 0;
	return ret;
}

/*
 * Set a module parameter, restored by the teardown: 0, or -1 if it does
 * not exist or cannot be set.
 */
static int u_param(FIXTURE_DATA(users) *self, const char *param,
		   unsigned long long val)
{
	unsigned long long old;

	if (self->nr_params == U_PARAMS || param_read(param, &old) ||
	    param_write(param, val))
		return -1;
	self->params[self->nr_params] = param;
	self->saved[self->nr_params++] = old;
	return 0;
}

FIXTURE_TEARDOWN(users)
{
	int i;

	for (i = 0; i < U_MAX; i++) {
		if (!self->u[i].pid)
			continue;
		u_do(&self->u[i], 'U', 0, NULL);
		EXPECT_EQ(0, u_exit(&self->u[i]));
	}
	for (i = self->nr_params - 1; i >= 0; i--)
		if (param_write(self->params[i], self->saved[i]))
			TH_LOG("could not restore %s=%llu", self->params[i],
			       self->saved[i]);
	EXPECT_EQ(0, cg_remove(self->cg, ""));
}

/* Create 1-page segments as the caller until one fails (*err), at most @max. */
static int root_fill(int *fds, int max, int *err)
{
	char name[PROTSHM_NAME_MAX];
	int n;

	for (n = 0, *err = 0; n < max && !*err; n++) {
		fds[n] = ps_open();
		*err = fds[n] < 0 ? errno :
		       err_of(ps_create(fds[n], ps_name(name, sizeof(name), "fill"),
					page_size(), 0600, PROTSHM_PROT_RW));
		if (*err && fds[n] >= 0)
			close(fds[n]);
	}
	return *err ? n - 1 : n;
}

static void root_unfill(int *fds, int n)
{
	while (n--) {
		ps_unlink(fds[n]);
		close(fds[n]);
	}
}

/* Start server @i as @uid in a new user and IPC namespace, or skip. */
#define U_SPAWN_NS(i, uid, cg) do {					\
	int __step, __err = u_spawn(self, i, uid, cg, U_UNSHARE, &__step); \
									\
	if (__err && __step == 3)					\
		SKIP(return, "no unprivileged user namespace: %s",	\
		     strerror(__err));					\
	ASSERT_EQ(0, __err);						\
} while (0)

/*
 * An unprivileged user creates segments in an IPC namespace of its own,
 * writes every page and exits without unlinking them.  Nothing can name
 * them any more: they are freed as the namespace goes - their pages are
 * uncharged, and the initial namespace can create as many segments again.
 */
TEST_F(users, dead_ipc_ns_reclaimed)
{
	long long base, cur, seg_bytes = U_PAGES * self->ps;
	int fds[U_SEGS + 1], n, m, err;

	RETURN_IF_SKIPPED();

	if (!self->cg[0])
		SKIP(return, "no memory cgroup to measure with");
	ASSERT_EQ(0, u_param(self, "max_segments", U_SEGS));
	U_SPAWN_NS(0, USER_A, self->cg);
	base = cg_current(self->cg);
	ASSERT_EQ(ENOSPC, u_do(&self->u[0], 'f', U_PAGES, &n));
	if (n < 4)
		SKIP(return, "%d other segments exist", U_SEGS - n);
	cur = cg_current(self->cg);
	TH_LOG("%d segments of %lld KiB in a new IPC namespace: +%lld KiB",
	       n, seg_bytes >> 10, (cur - base) >> 10);
	ASSERT_ABOUT(n * seg_bytes, cur - base);

	ASSERT_EQ(0, u_exit(&self->u[0]));
	cur = cg_wait_below(self->cg, base + SLACK / 2, 5000);
	TH_LOG("creator and namespace gone: %+lld KiB", (cur - base) >> 10);
	ASSERT_ABOUT(0, cur - base);
	m = root_fill(fds, n + 1, &err);
	TH_LOG("the initial namespace can create %d segments (errno %d)", m, err);
	root_unfill(fds, m);
	ASSERT_EQ(ENOSPC, err);
	ASSERT_EQ(n, m);
}

/*
 * The namespace outlives the segments' files: while a process is in it the
 * names stay - also after the module's periodic check ran.  When that
 * process exits, with no protshm file open, nothing tells the module, and
 * its periodic check frees the segments.
 */
TEST_F(users, dead_ipc_ns_reclaimed_later)
{
	long long base, cur, bytes = 4 * 8 * U_PAGES * self->ps;
	int i;

	RETURN_IF_SKIPPED();

	if (!self->cg[0])
		SKIP(return, "no memory cgroup to measure with");
	U_SPAWN_NS(0, USER_A, self->cg);
	base = cg_current(self->cg);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, u_do(&self->u[0], 'c', 8 * U_PAGES, NULL));
	ASSERT_EQ(0, u_do(&self->u[0], 'x', 0, NULL));
	ASSERT_ABOUT(bytes, cg_current(self->cg) - base);
	/* control: a live namespace keeps its names */
	usleep(2500 * 1000);
	ASSERT_EQ(0, u_do(&self->u[0], 'a', 3, NULL));
	ASSERT_ABOUT(bytes, cg_current(self->cg) - base);

	ASSERT_EQ(0, u_exit(&self->u[0]));
	cur = cg_wait_below(self->cg, base + SLACK / 2, RECLAIM_WAIT_MS);
	TH_LOG("last process of the namespace gone: %+lld KiB of %lld",
	       (cur - base) >> 10, bytes >> 10);
	ASSERT_ABOUT(0, cur - base);
}

/*
 * A file passed out of the namespace keeps its segment when the namespace
 * goes: only the name is removed, as by UNLINK, and the data stays
 * readable and writable through the file.
 */
TEST_F(users, dead_ipc_ns_fd_outlives)
{
	struct protshm_info info;
	int fd, i;
	char *p;

	RETURN_IF_SKIPPED();

	U_SPAWN_NS(0, USER_A, NULL);
	ASSERT_EQ(0, u_do(&self->u[0], 'c', 4, NULL));
	fd = u_recv_fd(&self->u[0], 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, u_do(&self->u[0], 'x', 0, NULL));
	ASSERT_EQ(0, u_exit(&self->u[0]));
	/* this file is the segment's only user: no release in the namespace */
	for (i = 0; i < RECLAIM_WAIT_MS / 50; i++) {
		ASSERT_EQ(0, ps_info(fd, &info, NULL));
		if (info.seg_flags & PROTSHM_INFO_UNLINKED)
			break;
		usleep(50000);
	}
	TH_LOG("unlinked after %d ms", i * 50);
	ASSERT_EQ(PROTSHM_INFO_UNLINKED, info.seg_flags);
	ASSERT_EQ(4 * self->ps, info.resident);
	p = map(fd, 4 * self->ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(page_byte(i), p[i * self->ps]);
		p[i * self->ps + 1] = 'X';
		ASSERT_EQ('X', p[i * self->ps + 1]);
	}
	ASSERT_EQ(0, munmap(p, 4 * self->ps));
	close(fd);
}

/*
 * One user fills its quota of segments (ENOSPC) long before the global
 * limit: another user can still create.  Its segments count until they
 * are freed; the root of a user namespace is bound by the quota too, root
 * (CAP_SYS_RESOURCE) is not.
 */
TEST_F(users, user_quota_segments)
{
	int fds[6], n, err, step;

	RETURN_IF_SKIPPED();

	ASSERT_EQ(0, u_param(self, "max_segments", U_SEGS));
	if (u_param(self, "max_user_segments", 4))
		TH_LOG("no max_user_segments parameter");
	ASSERT_EQ(0, u_spawn(self, 0, USER_A, NULL, 0, NULL));
	ASSERT_EQ(0, u_spawn(self, 1, USER_B, NULL, 0, NULL));
	ASSERT_EQ(ENOSPC, u_do(&self->u[0], 'f', 1, &n));
	TH_LOG("user A created %d segments", n);
	ASSERT_EQ(0, u_do(&self->u[1], 'c', 1, NULL));
	ASSERT_EQ(4, n);
	/* a freed segment no longer counts */
	ASSERT_EQ(ENOSPC, u_do(&self->u[0], 'c', 1, NULL));
	ASSERT_EQ(0, u_do(&self->u[0], 'u', 0, NULL));
	ASSERT_EQ(0, u_do(&self->u[0], 'c', 1, NULL));
	ASSERT_EQ(ENOSPC, u_do(&self->u[0], 'c', 1, NULL));
	/* root is exempt */
	n = root_fill(fds, 6, &err);
	root_unfill(fds, n);
	ASSERT_EQ(0, err);
	ASSERT_EQ(6, n);
	/* the root of a user namespace is not */
	err = u_spawn(self, 2, USER_C, NULL, U_UNSHARE, &step);
	if (err && step == 3) {
		TH_LOG("no unprivileged user namespace: %s", strerror(err));
		return;
	}
	ASSERT_EQ(0, err);
	ASSERT_EQ(ENOSPC, u_do(&self->u[2], 'f', 1, &n));
	ASSERT_EQ(4, n);
}

/*
 * The same for bytes (ENOMEM): one user's segments cannot exceed its
 * quota, another user still creates, freeing gives the bytes back.
 */
TEST_F(users, user_quota_bytes)
{
	RETURN_IF_SKIPPED();
	if (u_param(self, "max_user_bytes", 4 * self->ps))
		TH_LOG("no max_user_bytes parameter");
	ASSERT_EQ(0, u_spawn(self, 0, USER_A, NULL, 0, NULL));
	ASSERT_EQ(0, u_spawn(self, 1, USER_B, NULL, 0, NULL));
	ASSERT_EQ(0, u_do(&self->u[0], 'c', 3, NULL));
	ASSERT_EQ(ENOMEM, u_do(&self->u[0], 'c', 2, NULL));
	ASSERT_EQ(0, u_do(&self->u[0], 'c', 1, NULL));
	ASSERT_EQ(ENOMEM, u_do(&self->u[0], 'c', 1, NULL));
	ASSERT_EQ(0, u_do(&self->u[1], 'c', 4, NULL));
	ASSERT_EQ(0, u_do(&self->u[0], 'u', 0, NULL));
	ASSERT_EQ(0, u_do(&self->u[0], 'c', 3, NULL));
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

	SKIP_WITHOUT_DEVICE();
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
		EXPECT_CHILD_OK(self->spawner);
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
	int go;
};

/*
 * clone() entry: once every sleeper exists, restrict itself, say so, sleep
 * until EOF on hold.  They share the spawner's address space, whose forks
 * are recorded once a process using it is restricted: no clone may follow.
 */
static int restricted_sleeper(void *p)
{
	const struct sleeper_arg *a = p;
	char c;

	CHILD_ASSERT(read(a->go, &c, 1) == 1);
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
	int i, status, ret = 0, go[2];
	char *stacks;

	stacks = mmap(NULL, (size_t)LINEAGE_PROCS * LINEAGE_STACK,
		      PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHILD_ASSERT(stacks != MAP_FAILED);
	CHILD_ASSERT(close(self->hold[1]) == 0);
	CHILD_ASSERT(pipe2(go, O_CLOEXEC) == 0);
	for (i = 0; i < LINEAGE_SEGS; i++)
		args[i] = (struct sleeper_arg){ self->name[i], self->hold[0],
						ready, go[0] };
	for (i = 0; i < LINEAGE_PROCS; i++)
		CHILD_ASSERT(clone(restricted_sleeper,
				   stacks + (size_t)(i + 1) * LINEAGE_STACK,
				   CLONE_VM | SIGCHLD,
				   &args[i % LINEAGE_SEGS]) > 0);
	for (i = 0; i < LINEAGE_PROCS; i++)
		CHILD_ASSERT(write(go[1], "g", 1) == 1);
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

TEST_F_TIMEOUT(lineage, unrelated_forks_unrecorded, PROTSHM_TIMEOUT)
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
		ASSERT_CHILD_OK(pid);
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
	ASSERT_CHILD_OK(pid);
	ASSERT_EQ(1, fork_records() - before);
}

TEST_HARNESS_MAIN
