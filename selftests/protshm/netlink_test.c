// SPDX-License-Identifier: GPL-2.0
/*
 * The "protshm" generic netlink family: segment and attachment queries
 * (pids, ceilings, mappings after fork and split), what an unprivileged
 * caller may see and do, strict validation and extended acks, events in
 * order, and dumps racing with attach/detach.
 */
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "common.h"
#include "nl_helpers.h"
#include "kselftest_harness.h"

#define NPAGES	8

static const uint32_t rw_flags = PROTSHM_VMA_F_READ | PROTSHM_VMA_F_WRITE |
	PROTSHM_VMA_F_MAYREAD | PROTSHM_VMA_F_MAYWRITE | PROTSHM_VMA_F_SHARED;
static const uint32_t r_flags = PROTSHM_VMA_F_READ | PROTSHM_VMA_F_MAYREAD |
	PROTSHM_VMA_F_SHARED;

FIXTURE(nl) {
	struct nlc c;
	char name[64];
	int fd;
	long psz;
	struct att_list *l;
	pid_t kids[8];		/* killed by the teardown if still there */
	int nkids;
};

FIXTURE_SETUP(nl)
{
	int ret;

	self->fd = -1;
	self->l = calloc(1, sizeof(*self->l));
	ASSERT_NE(NULL, self->l);
	SKIP_WITHOUT_DEVICE();
	ret = nlc_open(&self->c);
	if (ret == -ENOENT)
		SKIP(return, "no generic netlink family \"protshm\"");
	ASSERT_EQ(0, ret);
	self->psz = page_size();
	ps_name(self->name, sizeof(self->name), "nl");
	self->fd = ps_new(self->name, NPAGES * self->psz);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(nl)
{
	int i;

	for (i = 0; i < self->nkids; i++) {
		if (self->kids[i] <= 0)
			continue;
		kill(self->kids[i], SIGKILL);
		waitpid(self->kids[i], NULL, 0);
	}
	if (self->fd >= 0) {
		ps_unlink(self->fd);
		close(self->fd);
	}
	nlc_close(&self->c);
	free(self->l);
}

/*
 * Drop to @uid, with gid @uid and the @ngroups supplementary groups
 * @groups, and no capabilities; 0 or -1.
 */
static int become_user(uid_t uid, size_t ngroups, const gid_t *groups)
{
	if (setgroups(ngroups, groups) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		return -1;
	return 0;
}

/* Drop to uid/gid 65534 with no capabilities; 0 or -1. */
static int become_nobody(void)
{
	return become_user(65534, 0, NULL);
}

static void *map_seg(int fd, long off, long len, int prot)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd, off);
}

TEST_F(nl, family)
{
	ASSERT_NE(0, self->c.family);
	EXPECT_EQ(PROTSHM_GENL_VERSION, self->c.version);
	EXPECT_EQ(3, self->c.nops);
	EXPECT_NE(0, self->c.mcgrp);
}

TEST_F(nl, seg_get)
{
	struct protshm_info info;
	struct seg_rec s;
	char *p;

	ASSERT_EQ(0, ps_info(self->fd, &info, NULL));
	p = map_seg(self->fd, 0, 2 * self->psz, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;

	ASSERT_EQ(0, seg_get(&self->c, self->name, 0, &s));
	EXPECT_EQ(info.id, s.id);
	EXPECT_STREQ(self->name, s.name);
	EXPECT_EQ(NPAGES * self->psz, s.size);
	EXPECT_EQ(getuid(), s.uid);
	EXPECT_EQ(getgid(), s.gid);
	EXPECT_EQ(0600, s.mode);
	EXPECT_EQ(1, s.nr_attach);
	/* the touched page, and maybe its neighbour (fault-around) */
	EXPECT_LE(self->psz, s.resident);
	EXPECT_GE(2 * self->psz, s.resident);
	EXPECT_EQ(0, s.unlinked);

	/* by id; both must match if both are given */
	ASSERT_EQ(0, seg_get(&self->c, NULL, info.id, &s));
	EXPECT_STREQ(self->name, s.name);
	EXPECT_EQ(0, seg_get(&self->c, self->name, info.id, &s));
	EXPECT_EQ(-ENOENT, seg_get(&self->c, "t-no-such-segment", info.id, &s));
	EXPECT_EQ(-ENOENT, seg_get(&self->c, "t-no-such-segment", 0, &s));
	EXPECT_STRNE("", self->c.errmsg);

	/* unlinked: gone by name, still there by id */
	ASSERT_EQ(0, ps_unlink(self->fd));
	EXPECT_EQ(-ENOENT, seg_get(&self->c, self->name, 0, &s));
	ASSERT_EQ(0, seg_get(&self->c, NULL, info.id, &s));
	EXPECT_EQ(1, s.unlinked);
	munmap(p, 2 * self->psz);
}

TEST_F(nl, seg_dump_ipc_ns)
{
	char prefix[32], names[3][64];
	struct seg_dump d;
	int fds[3], i, status;
	pid_t pid;

	snprintf(prefix, sizeof(prefix), "t-dump-%d-", getpid());
	for (i = 0; i < 3; i++) {
		snprintf(names[i], sizeof(names[i]), "%s%d", prefix, i);
		fds[i] = ps_new(names[i], (i + 1) * self->psz);
		ASSERT_LE(0, fds[i]);
	}
	ASSERT_EQ(0, seg_dump(&self->c, &d, prefix));
	ASSERT_EQ(3, d.n);
	for (i = 0; i < 3; i++) {	/* ascending ids: creation order */
		EXPECT_STREQ(names[i], d.s[i].name);
		EXPECT_EQ((i + 1) * self->psz, d.s[i].size);
		if (i) {
			EXPECT_LT(d.s[i - 1].id, d.s[i].id);
		}
	}

	/* another IPC namespace sees none of them, only its own */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nlc c;
		int fd;

		CHILD_ASSERT(unshare(CLONE_NEWIPC) == 0);
		CHILD_ASSERT(nlc_open(&c) == 0);
		CHILD_ASSERT(seg_dump(&c, &d, prefix) == 0 && d.n == 0);
		fd = ps_new(names[1], self->psz);	/* same name, other ns */
		CHILD_ASSERT(fd >= 0);
		CHILD_ASSERT(seg_dump(&c, &d, prefix) == 0 && d.n == 1);
		CHILD_ASSERT(d.s[0].size == (uint64_t)self->psz);
		_exit(0);
	}
	status = wait_child(pid);
	ASSERT_EQ(0, status);
	for (i = 0; i < 3; i++) {
		ps_unlink(fds[i]);
		close(fds[i]);
	}
	ASSERT_EQ(0, seg_dump(&self->c, &d, prefix));
	EXPECT_EQ(0, d.n);
}

/* Two mappings of one process: their ranges, offsets and flags. */
TEST_F(nl, attach_vmas)
{
	struct att_rec *t;
	struct vma_rec *v;
	char *a, *b;

	a = map_seg(self->fd, 0, 4 * self->psz, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, a);
	b = map_seg(self->fd, 5 * self->psz, self->psz, PROT_READ);
	ASSERT_NE(MAP_FAILED, b);

	ASSERT_EQ(0, att_dump(&self->c, self->name, 0, self->l));
	ASSERT_EQ(1, self->l->n);
	EXPECT_EQ(0, self->l->bad);
	t = &self->l->a[0];
	EXPECT_STREQ(self->name, t->seg_name);
	ASSERT_EQ(1, t->has_pid);
	EXPECT_EQ(getpid(), t->pid);
	EXPECT_STREQ("netlink_test", t->comm);
	EXPECT_EQ(PROTSHM_PROT_RW, t->ceiling);
	EXPECT_EQ(0, t->parent_id);
	ASSERT_EQ(2, t->nvma);
	EXPECT_LT(t->vma[0].start, t->vma[1].start);	/* by address */
	v = vma_find(t, a);
	ASSERT_NE(NULL, v);
	EXPECT_EQ((uintptr_t)a + 4 * self->psz, v->end);
	EXPECT_EQ(0, v->pgoff);
	EXPECT_EQ(4 * self->psz, v->len);
	EXPECT_EQ(rw_flags, v->flags);
	v = vma_find(t, b);
	ASSERT_NE(NULL, v);
	EXPECT_EQ((uintptr_t)b + self->psz, v->end);
	EXPECT_EQ(5, v->pgoff);
	/* PROT_READ, but may still be made writable */
	EXPECT_EQ(r_flags | PROTSHM_VMA_F_MAYWRITE, v->flags);

	/* RESTRICT_MAPPING shows in the flags */
	ASSERT_EQ(0, ps_restrict_mapping(self->fd, b, self->psz,
					 PROTSHM_PROT_NONE));
	ASSERT_EQ(0, att_dump(&self->c, self->name, getpid(), self->l));
	ASSERT_EQ(1, self->l->n);
	v = vma_find(&self->l->a[0], b);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(PROTSHM_VMA_F_SHARED, v->flags);
	munmap(a, 4 * self->psz);
	munmap(b, self->psz);
}

/*
 * After fork the child has its own attachment (pid, parent id, the same
 * ranges); a split by mprotect and a RESTRICT show in its mappings.
 */
TEST_F(nl, fork_and_split)
{
	struct sync_pipe sp;
	struct att_rec *par, *chi;
	struct vma_rec *v;
	char *a, *mid;
	pid_t pid;

	a = map_seg(self->fd, 0, 4 * self->psz, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, a);
	mid = a + self->psz;
	ASSERT_EQ(0, sync_init(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* split [a, a+4p) into rw | r | rw */
		CHILD_ASSERT(mprotect(mid, self->psz, PROT_READ) == 0);
		sync_send(sp.to_parent[1], 'r');
		sync_recv(sp.to_child[0]);
		_exit(0);
	}
	ASSERT_EQ('r', sync_recv(sp.to_parent[0]));

	ASSERT_EQ(0, att_dump(&self->c, self->name, 0, self->l));
	ASSERT_EQ(2, self->l->n);
	par = att_find(self->l, getpid());
	chi = att_find(self->l, pid);
	ASSERT_NE(NULL, par);
	ASSERT_NE(NULL, chi);
	EXPECT_EQ(par->id, chi->parent_id);
	EXPECT_LT(par->id, chi->id);	/* dumped in id order */
	EXPECT_EQ(par, &self->l->a[0]);
	ASSERT_EQ(1, par->nvma);
	EXPECT_EQ(rw_flags, par->vma[0].flags);
	ASSERT_EQ(3, chi->nvma);
	EXPECT_EQ((uintptr_t)a, chi->vma[0].start);
	EXPECT_EQ((uintptr_t)mid, chi->vma[0].end);
	EXPECT_EQ(0, chi->vma[0].pgoff);
	EXPECT_EQ(rw_flags, chi->vma[0].flags);
	EXPECT_EQ((uintptr_t)mid, chi->vma[1].start);
	EXPECT_EQ(1, chi->vma[1].pgoff);
	EXPECT_EQ(r_flags | PROTSHM_VMA_F_MAYWRITE, chi->vma[1].flags);
	EXPECT_EQ((uintptr_t)mid + self->psz, chi->vma[2].start);
	EXPECT_EQ((uintptr_t)a + 4 * self->psz, chi->vma[2].end);
	EXPECT_EQ(2, chi->vma[2].pgoff);
	EXPECT_EQ(rw_flags, chi->vma[2].flags);

	/* the owner lowers the child to r: every mapping loses write */
	ASSERT_EQ(0, ps_restrict(self->fd, pid, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(0, att_dump(&self->c, self->name, pid, self->l));
	ASSERT_EQ(1, self->l->n);
	chi = &self->l->a[0];
	EXPECT_EQ(PROTSHM_PROT_READ, chi->ceiling);
	ASSERT_EQ(3, chi->nvma);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(r_flags, chi->vma[i].flags);
	}
	v = vma_find(chi, mid);
	ASSERT_NE(NULL, v);

	sync_send(sp.to_child[1], 'x');
	EXPECT_CHILD_OK(pid);
	munmap(a, 4 * self->psz);
}

TEST_F(nl, attach_get_do)
{
	static struct att_rec t;
	char *a;

	a = map_seg(self->fd, 0, self->psz, PROT_READ);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(0, att_get(&self->c, self->name, getpid(), &t));
	EXPECT_EQ(getpid(), t.pid);
	EXPECT_EQ(PROTSHM_PROT_RW, t.ceiling);
	ASSERT_EQ(1, t.nvma);
	EXPECT_EQ((uintptr_t)a, t.vma[0].start);
	EXPECT_EQ(0, t.more);

	/* pid 1 is not attached */
	EXPECT_EQ(-ESRCH, att_get(&self->c, self->name, 1, &t));
	EXPECT_STRNE("", self->c.errmsg);
	/* the pid is required */
	EXPECT_EQ(-EINVAL, att_get(&self->c, self->name, 0, &t));
	EXPECT_EQ(PROTSHM_A_PID, self->c.miss_type);
	EXPECT_STRNE("", self->c.errmsg);
	munmap(a, self->psz);
}

/* 300 mappings do not fit in one message: the dump continues them. */
TEST_F(nl, dump_continues_vmas)
{
	enum { N = 300 };
	static char *maps[N];
	struct att_rec *t;
	int i;

	for (i = 0; i < N; i++) {
		maps[i] = map_seg(self->fd, (i % NPAGES) * self->psz, self->psz,
				  i % 2 ? PROT_READ : PROT_READ | PROT_WRITE);
		ASSERT_NE(MAP_FAILED, maps[i]);
	}
	/* parts are at most the receive buffer, 4 KiB here */
	ASSERT_EQ(0, att_dump(&self->c, self->name, 0, self->l));
	EXPECT_EQ(0, self->l->bad);
	EXPECT_LT(0, self->l->parts);
	EXPECT_EQ(0, self->c.intr);
	ASSERT_EQ(1, self->l->n);
	t = &self->l->a[0];
	EXPECT_EQ(0, t->more);
	ASSERT_EQ(N, t->nvma);
	for (i = 1; i < N; i++)
		ASSERT_LT(t->vma[i - 1].start, t->vma[i].start);
	for (i = 0; i < N; i++) {
		struct vma_rec *v = vma_find(t, maps[i]);

		ASSERT_NE(NULL, v);
		EXPECT_EQ(i % NPAGES, v->pgoff);
		EXPECT_EQ(i % 2 ? r_flags | PROTSHM_VMA_F_MAYWRITE : rw_flags,
			  v->flags);
	}
	/* a do reply cannot continue: it says it was truncated */
	ASSERT_EQ(0, att_get(&self->c, self->name, getpid(), t));
	EXPECT_EQ(1, t->more);
	EXPECT_LT(0, t->nvma);
	EXPECT_GT(N, t->nvma);
	for (i = 0; i < N; i++)
		munmap(maps[i], self->psz);
}

/* Run a command; its exit status, and its first @len bytes of output. */
static int run_cmd(const char *cmd, char *out, size_t len)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;
	int status;

	if (!f)
		return -1;
	while (n + 1 < len && fgets(out + n, len - n, f))
		n += strlen(out + n);
	out[n] = 0;
	status = pclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Replace the fixture's segment by one of the same name and size, of @mode. */
static int remake_seg(FIXTURE_DATA(nl) *self, uint32_t mode)
{
	ps_unlink(self->fd);
	close(self->fd);
	self->fd = ps_open();
	if (self->fd < 0)
		return -1;
	return ps_create(self->fd, self->name, NPAGES * self->psz, mode,
			 PROTSHM_PROT_RW);
}

/*
 * An unprivileged caller sees the pids but not the mappings of processes
 * it may not trace, its own and its same-uid dumpable child's mappings,
 * and can neither RESTRICT nor listen to events.
 */
TEST_F(nl, unprivileged)
{
	char *a;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, remake_seg(self, 0666));
	a = map_seg(self->fd, 0, self->psz, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, a);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct att_list *l = calloc(1, sizeof(*l));
		struct att_rec *t;
		struct sync_pipe sp;
		struct nlc c;
		pid_t gc;
		char *b;
		int fd;

		munmap(a, self->psz);	/* inherited: only its own below */
		CHILD_ASSERT(become_nobody() == 0);
		CHILD_ASSERT(prctl(PR_SET_DUMPABLE, 1) == 0);
		fd = ps_open();
		CHILD_ASSERT(fd >= 0);
		CHILD_ASSERT(ps_attach(fd, self->name, PROTSHM_PROT_RW) == 0);
		b = map_seg(fd, self->psz, self->psz, PROT_READ);
		CHILD_ASSERT(b != MAP_FAILED);
		CHILD_ASSERT(sync_init(&sp) == 0);
		gc = fork();	/* same uid, dumpable, inherits the mapping */
		CHILD_ASSERT(gc >= 0);
		if (gc == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			sync_recv(sp.to_child[0]);
			_exit(0);
		}
		CHILD_ASSERT(nlc_open(&c) == 0);
		CHILD_ASSERT(att_dump(&c, self->name, 0, l) == 0);
		CHILD_ASSERT(l->n == 3);
		t = att_find(l, getppid());	/* root: no mappings */
		CHILD_ASSERT(t && t->nvma == 0);
		CHILD_ASSERT(t->ceiling == PROTSHM_PROT_RW);
		t = att_find(l, getpid());	/* itself */
		CHILD_ASSERT(t && t->nvma == 1 && t->vma[0].has_addr);
		CHILD_ASSERT(t->vma[0].start == (uintptr_t)b);
		t = att_find(l, gc);		/* same uid, dumpable */
		CHILD_ASSERT(t && t->nvma == 1 && t->vma[0].has_addr);
		CHILD_ASSERT(t->vma[0].start == (uintptr_t)b);
		/* no RESTRICT without CAP_NET_ADMIN, not even of itself */
		CHILD_ASSERT(nl_restrict(&c, self->name, getppid(),
					 PROTSHM_PROT_READ, 0) == -EPERM);
		CHILD_ASSERT(nl_restrict(&c, self->name, getpid(),
					 PROTSHM_PROT_READ, 0) == -EPERM);
		/* and no events */
		CHILD_ASSERT(nl_subscribe(&c) == -EPERM);
		sync_send(sp.to_child[1], 'x');
		CHILD_ASSERT(wait_child(gc) == 0);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	/* the parent, root, was not restricted */
	ASSERT_EQ(0, att_dump(&self->c, self->name, getpid(), self->l));
	ASSERT_EQ(1, self->l->n);
	EXPECT_EQ(PROTSHM_PROT_RW, self->l->a[0].ceiling);
	munmap(a, self->psz);
}

/*
 * Pids are numbers of the caller's pid namespace: from inside a new one,
 * the caller is pid 1 and processes outside have no pid (nor addresses).
 */
TEST_F(nl, pid_namespace)
{
	struct sync_pipe sp;
	pid_t child, inner = 0;
	char *a;

	if (geteuid())
		SKIP(return, "needs root");
	a = map_seg(self->fd, 0, self->psz, PROT_READ);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(0, sync_init(&sp));
	child = fork();		/* inherits the mapping: attached */
	ASSERT_LE(0, child);
	if (child == 0) {
		pid_t gc;

		CHILD_ASSERT(unshare(CLONE_NEWPID) == 0);
		gc = fork();	/* pid 1 of the new namespace */
		CHILD_ASSERT(gc >= 0);
		if (gc == 0) {
			struct att_list *l = calloc(1, sizeof(*l));
			struct att_rec *t;
			struct nlc c;
			int i, visible = 0;

			CHILD_ASSERT(getpid() == 1);
			CHILD_ASSERT(nlc_open(&c) == 0);
			CHILD_ASSERT(att_dump(&c, self->name, 0, l) == 0);
			CHILD_ASSERT(l->n == 3);
			for (i = 0; i < l->n; i++)
				visible += l->a[i].has_pid;
			CHILD_ASSERT(visible == 1);
			t = att_find(l, 1);
			CHILD_ASSERT(t && t->nvma == 1 && t->vma[0].has_addr);
			for (i = 0; i < l->n; i++)
				CHILD_ASSERT(l->a[i].has_pid ||
					     (l->a[i].nvma == 0 && !l->a[i].comm[0]));
			/* the filter is a pid of this namespace too */
			CHILD_ASSERT(att_dump(&c, self->name, 1, l) == 0 &&
				     l->n == 1 && l->a[0].pid == 1);
			CHILD_ASSERT(att_dump(&c, self->name, 2, l) == 0 &&
				     l->n == 0);
			sync_send(sp.to_parent[1], 'd');
			sync_recv(sp.to_child[0]);
			_exit(0);
		}
		CHILD_ASSERT(write(sp.to_parent[1], &gc, sizeof(gc)) == sizeof(gc));
		_exit(wait_child(gc));
	}
	self->kids[self->nkids++] = child;
	ASSERT_EQ(sizeof(inner), read(sp.to_parent[0], &inner, sizeof(inner)));
	ASSERT_EQ('d', sync_recv(sp.to_parent[0]));
	/* from outside, all three have their (outer) pids */
	ASSERT_EQ(0, att_dump(&self->c, self->name, 0, self->l));
	ASSERT_EQ(3, self->l->n);
	EXPECT_NE(NULL, att_find(self->l, getpid()));
	EXPECT_NE(NULL, att_find(self->l, child));
	EXPECT_NE(NULL, att_find(self->l, inner));
	sync_send(sp.to_child[1], 'x');
	EXPECT_CHILD_OK(child);
	self->nkids = 0;
	munmap(a, self->psz);
}

/*
 * A segment is shown only to callers who could attach it for reading, or
 * own it: uid 1000 sees neither root's 0600 segment, by dump, name or id,
 * nor its attachments; it does see a 0644 one, and a 0640 one through a
 * supplementary group (controls), as root sees all three.
 */
TEST_F(nl, seg_visible_by_mode)
{
	char prefix[32], pub[64], grp[64];
	struct protshm_info info;
	struct seg_dump d;
	int fd_pub, fd_grp;
	pid_t pid;
	char *a;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, ps_info(self->fd, &info, NULL));
	a = map_seg(self->fd, 0, self->psz, PROT_READ);
	ASSERT_NE(MAP_FAILED, a);
	fd_pub = ps_open();
	ASSERT_LE(0, fd_pub);
	ASSERT_EQ(0, ps_create(fd_pub, ps_name(pub, sizeof(pub), "nl"),
			       self->psz, 0644, PROTSHM_PROT_RW));
	fd_grp = ps_open();
	ASSERT_LE(0, fd_grp);
	ASSERT_EQ(0, ps_create(fd_grp, ps_name(grp, sizeof(grp), "nl"),
			       self->psz, 0640, PROTSHM_PROT_RW));
	snprintf(prefix, sizeof(prefix), "t-nl-%d-", getpid());
	ASSERT_EQ(0, seg_dump(&self->c, &d, prefix));
	EXPECT_EQ(3, d.n);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct att_list *l = calloc(1, sizeof(*l));
		static struct att_rec t;
		const gid_t root_grp = 0;
		static char out[4096];
		struct seg_rec s;
		struct nlc c;
		int i;

		CHILD_ASSERT(become_user(1000, 1, &root_grp) == 0);
		CHILD_ASSERT(nlc_open(&c) == 0);
		CHILD_ASSERT(seg_dump(&c, &d, prefix) == 0);
		CHILD_ASSERT(d.n == 2);
		CHILD_ASSERT(!strcmp(d.s[0].name, pub));
		CHILD_ASSERT(!strcmp(d.s[1].name, grp));
		CHILD_ASSERT(seg_get(&c, self->name, 0, &s) == -ENOENT);
		CHILD_ASSERT(seg_get(&c, NULL, info.id, &s) == -ENOENT);
		CHILD_ASSERT(seg_get(&c, pub, 0, &s) == 0 && s.mode == 0644);
		CHILD_ASSERT(seg_get(&c, grp, 0, &s) == 0 && s.mode == 0640);
		/* nor its attachments, by segment or among all */
		CHILD_ASSERT(att_dump(&c, self->name, 0, l) == -ENOENT);
		CHILD_ASSERT(att_get(&c, self->name, getppid(), &t) == -ENOENT);
		CHILD_ASSERT(att_dump(&c, NULL, 0, l) == 0);
		for (i = 0; i < l->n; i++)
			CHILD_ASSERT(l->a[i].seg_id != info.id);
		if (access("bin/protshmctl", X_OK))
			_exit(0);
		/* and protshmctl lists what it sees */
		CHILD_ASSERT(run_cmd("bin/protshmctl list", out, sizeof(out)) == 0);
		CHILD_ASSERT(strstr(out, pub) && strstr(out, grp));
		CHILD_ASSERT(!strstr(out, self->name));
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	ps_unlink(fd_pub);
	close(fd_pub);
	ps_unlink(fd_grp);
	close(fd_grp);
	munmap(a, self->psz);
}

/*
 * The mappings of a process are reported only to callers who may read its
 * memory map: uid 1000 sees root's attachment (pid, ceiling) without its
 * mappings, by dump and by do, and its own mappings; root sees those of
 * uid 1000 (control).
 */
TEST_F(nl, maps_need_ptrace_read)
{
	static struct att_rec t;
	struct sync_pipe sp;
	struct att_rec *r;
	pid_t pid;
	char *a, *b;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, remake_seg(self, 0666));
	a = map_seg(self->fd, 0, self->psz, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(0, sync_init(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct att_list *l = calloc(1, sizeof(*l));
		static char out[4096], cmd[256];
		struct nlc c;
		int fd;

		munmap(a, self->psz);
		CHILD_ASSERT(become_user(1000, 0, NULL) == 0);
		CHILD_ASSERT(prctl(PR_SET_DUMPABLE, 1) == 0);
		fd = ps_open();
		CHILD_ASSERT(fd >= 0);
		CHILD_ASSERT(ps_attach(fd, self->name, PROTSHM_PROT_RW) == 0);
		b = map_seg(fd, self->psz, self->psz, PROT_READ);
		CHILD_ASSERT(b != MAP_FAILED);
		CHILD_ASSERT(write(sp.to_parent[1], &b, sizeof(b)) == sizeof(b));
		CHILD_ASSERT(sync_recv(sp.to_child[0]) == 'g');
		CHILD_ASSERT(nlc_open(&c) == 0);
		CHILD_ASSERT(att_dump(&c, self->name, 0, l) == 0 && l->n == 2);
		r = att_find(l, getppid());
		CHILD_ASSERT(r && r->ceiling == PROTSHM_PROT_RW);
		CHILD_ASSERT(!strcmp(r->comm, "netlink_test"));
		CHILD_ASSERT(r->nvma == 0);
		CHILD_ASSERT(att_get(&c, self->name, getppid(), &t) == 0);
		CHILD_ASSERT(t.pid == (uint32_t)getppid() && t.nvma == 0);
		r = att_find(l, getpid());
		CHILD_ASSERT(r && r->nvma == 1 && r->vma[0].has_addr);
		CHILD_ASSERT(r->vma[0].start == (uintptr_t)b);
		if (access("bin/protshmctl", X_OK))
			_exit(0);
		/* protshmctl shows the same */
		snprintf(cmd, sizeof(cmd), "bin/protshmctl show %s %d",
			 self->name, getppid());
		CHILD_ASSERT(run_cmd(cmd, out, sizeof(out)) == 0);
		CHILD_ASSERT(strstr(out, "(no mappings visible)"));
		snprintf(cmd, sizeof(cmd), "bin/protshmctl show %s %d",
			 self->name, getpid());
		CHILD_ASSERT(run_cmd(cmd, out, sizeof(out)) == 0);
		snprintf(cmd, sizeof(cmd), "%016lx-%016lx r--s",
			 (unsigned long)b, (unsigned long)b + self->psz);
		CHILD_ASSERT(strstr(out, cmd));
		_exit(0);
	}
	self->kids[self->nkids++] = pid;
	ASSERT_EQ(sizeof(b), read(sp.to_parent[0], &b, sizeof(b)));
	ASSERT_EQ(0, att_get(&self->c, self->name, pid, &t));
	ASSERT_EQ(1, t.nvma);
	EXPECT_EQ(1, t.vma[0].has_addr);
	EXPECT_EQ((uintptr_t)b, t.vma[0].start);
	ASSERT_EQ(0, sync_send(sp.to_child[1], 'g'));
	EXPECT_CHILD_OK(pid);
	self->nkids = 0;
	munmap(a, self->psz);
}

/*
 * A second segment, 0644, mapped by the caller (at *@p); its fd, or -1.
 * The socket tests below look at it and at the fixture's 0600 segment.
 */
static int map_public_seg(FIXTURE_DATA(nl) *self, char *name, size_t len,
			  char **p)
{
	int fd = ps_open();

	if (fd < 0)
		return -1;
	if (ps_create(fd, ps_name(name, len, "nl"), self->psz, 0644,
		      PROTSHM_PROT_RW))
		goto err;
	*p = map_seg(fd, 0, self->psz, PROT_READ);
	if (*p != MAP_FAILED)
		return fd;
	ps_unlink(fd);
err:
	close(fd);
	return -1;
}

/*
 * A socket answers for whoever opened it, not for whoever uses it: opened
 * as uid 1000 and used by root, it hides root's 0600 segment and root's
 * mappings of a 0644 one.
 */
TEST_F(nl, socket_opened_by_user)
{
	char pub[64];
	int fd_pub;
	pid_t pid;
	char *p;

	if (geteuid())
		SKIP(return, "needs root");
	fd_pub = map_public_seg(self, pub, sizeof(pub), &p);
	ASSERT_LE(0, fd_pub);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct att_list *l = calloc(1, sizeof(*l));
		struct seg_dump d;
		struct att_rec *r;
		struct seg_rec s;
		struct nlc c;

		CHILD_ASSERT(setgroups(0, NULL) == 0);
		CHILD_ASSERT(setresgid(1000, 1000, 0) == 0);
		CHILD_ASSERT(setresuid(1000, 1000, 0) == 0);
		CHILD_ASSERT(nlc_open(&c) == 0);
		/* root again, capabilities and all */
		CHILD_ASSERT(setresuid(0, 0, 0) == 0);
		CHILD_ASSERT(setresgid(0, 0, 0) == 0);
		CHILD_ASSERT(seg_get(&c, self->name, 0, &s) == -ENOENT);
		CHILD_ASSERT(seg_dump(&c, &d, self->name) == 0 && d.n == 0);
		CHILD_ASSERT(att_dump(&c, pub, 0, l) == 0);
		r = att_find(l, getppid());
		CHILD_ASSERT(r && r->nvma == 0);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	/* control: the same requests on a socket root opened */
	ASSERT_EQ(0, att_dump(&self->c, pub, getpid(), self->l));
	ASSERT_EQ(1, self->l->n);
	ASSERT_EQ(1, self->l->a[0].nvma);
	EXPECT_EQ((uintptr_t)p, self->l->a[0].vma[0].start);
	munmap(p, self->psz);
	ps_unlink(fd_pub);
	close(fd_pub);
}

/*
 * The other way round: opened as root and used by uid 1000, a socket shows
 * root's 0600 segment and root's mappings.
 */
TEST_F(nl, socket_opened_by_root)
{
	char pub[64];
	int fd_pub;
	pid_t pid;
	char *p;

	if (geteuid())
		SKIP(return, "needs root");
	fd_pub = map_public_seg(self, pub, sizeof(pub), &p);
	ASSERT_LE(0, fd_pub);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct att_list *l = calloc(1, sizeof(*l));
		struct seg_dump d;
		struct att_rec *r;
		struct seg_rec s;
		struct nlc c;

		CHILD_ASSERT(nlc_open(&c) == 0);
		CHILD_ASSERT(become_user(1000, 0, NULL) == 0);
		CHILD_ASSERT(seg_get(&c, self->name, 0, &s) == 0);
		CHILD_ASSERT(seg_dump(&c, &d, self->name) == 0 && d.n == 1);
		CHILD_ASSERT(att_dump(&c, pub, 0, l) == 0);
		r = att_find(l, getppid());
		CHILD_ASSERT(r && r->nvma == 1 && r->vma[0].has_addr);
		CHILD_ASSERT(r->vma[0].start == (uintptr_t)p);
		_exit(0);
	}
	EXPECT_CHILD_OK(pid);
	munmap(p, self->psz);
	ps_unlink(fd_pub);
	close(fd_pub);
}

/* The state letter of /proc/PID/stat ('R', 'S', 'Z'...), or 0. */
static int proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	int state = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')');
		if (p && p[1] == ' ')
			state = p[2];
	}
	fclose(f);
	return state;
}

/* A thread that ends its process when a byte arrives on fd *@arg. */
static void *park_thread(void *arg)
{
	sync_recv(*(int *)arg);
	_exit(0);
}

/*
 * A process whose main thread exited while another thread runs on (a
 * zombie group leader, without an address space) still has its mappings
 * reported, by dump and by do; control: before the main thread exits.
 */
TEST_F(nl, zombie_leader)
{
	static struct att_rec t;
	struct sync_pipe sp;
	int park[2], i;
	pid_t pid;
	char *b;

	ASSERT_EQ(0, sync_init(&sp));
	ASSERT_EQ(0, pipe(park));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pthread_t th;

		b = map_seg(self->fd, self->psz, self->psz, PROT_READ);
		CHILD_ASSERT(b != MAP_FAILED);
		CHILD_ASSERT(pthread_create(&th, NULL, park_thread, &park[0]) == 0);
		CHILD_ASSERT(write(sp.to_parent[1], &b, sizeof(b)) == sizeof(b));
		sync_recv(sp.to_child[0]);
		/*
		 * pthread_exit() without its unwinding: the VM has no
		 * libgcc_s, which glibc's pthread_exit() loads.
		 */
		syscall(SYS_exit, 0);
	}
	self->kids[self->nkids++] = pid;
	ASSERT_EQ(sizeof(b), read(sp.to_parent[0], &b, sizeof(b)));
	ASSERT_EQ(0, att_get(&self->c, self->name, pid, &t));
	ASSERT_EQ(1, t.nvma);
	EXPECT_EQ((uintptr_t)b, t.vma[0].start);

	ASSERT_EQ(0, sync_send(sp.to_child[1], 'e'));
	for (i = 0; i < 500 && proc_state(pid) != 'Z'; i++)
		usleep(10000);
	ASSERT_EQ('Z', proc_state(pid));
	ASSERT_EQ(0, att_dump(&self->c, self->name, pid, self->l));
	ASSERT_EQ(1, self->l->n);
	EXPECT_STREQ("netlink_test", self->l->a[0].comm);
	ASSERT_EQ(1, self->l->a[0].nvma);
	EXPECT_EQ((uintptr_t)b, self->l->a[0].vma[0].start);
	EXPECT_EQ(r_flags | PROTSHM_VMA_F_MAYWRITE, self->l->a[0].vma[0].flags);
	ASSERT_EQ(0, att_get(&self->c, self->name, pid, &t));
	ASSERT_EQ(1, t.nvma);
	EXPECT_EQ((uintptr_t)b, t.vma[0].start);

	ASSERT_EQ(0, sync_send(park[1], 'x'));
	EXPECT_CHILD_OK(pid);
	self->nkids = 0;
	close(park[0]);
	close(park[1]);
}

/* Build a raw request with @cmd and optional @flags; returns nlh. */
static struct nlmsghdr *raw(struct nlc *c, char *buf, uint8_t cmd)
{
	return ps_req(c, buf, cmd, 0);
}

/*
 * The nl_malformed_* tests each send one kind of malformed request, which
 * must be refused; after it, as the control, a good request still works.
 */
static void nl_good_request_works(struct __test_metadata *_metadata,
				  FIXTURE_DATA(nl) *self)
{
	struct seg_rec s;

	EXPECT_EQ(0, seg_get(&self->c, self->name, 0, &s));
}

/* Attributes the policy does not accept: type, direction, size, string. */
TEST_F(nl, malformed_attribute)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint32_t small = 1;

	/* unknown attribute type */
	nlh = raw(&self->c, buf, PROTSHM_CMD_SEG_GET);
	mnl_attr_put_strz(nlh, PROTSHM_A_SEG_NAME, self->name);
	mnl_attr_put_u32(nlh, PROTSHM_A_MAX + 5, 1);
	EXPECT_EQ(-EINVAL, nl_run(&self->c, nlh, NULL, NULL));
	EXPECT_STRNE("", self->c.errmsg);
	TH_LOG("unknown attr: %s", self->c.errmsg);

	/* an attribute that only appears in replies */
	nlh = raw(&self->c, buf, PROTSHM_CMD_SEG_GET);
	mnl_attr_put_strz(nlh, PROTSHM_A_SEG_NAME, self->name);
	mnl_attr_put_u64(nlh, PROTSHM_A_SEG_SIZE, 4096);
	EXPECT_EQ(-EINVAL, nl_run(&self->c, nlh, NULL, NULL));

	/* wrong size: a u64 id given as u32 */
	nlh = raw(&self->c, buf, PROTSHM_CMD_SEG_GET);
	mnl_attr_put(nlh, PROTSHM_A_SEG_ID, sizeof(small), &small);
	EXPECT_EQ(-EINVAL, nl_run(&self->c, nlh, NULL, NULL));

	/* name not NUL-terminated / too long */
	nlh = raw(&self->c, buf, PROTSHM_CMD_SEG_GET);
	mnl_attr_put(nlh, PROTSHM_A_SEG_NAME, 3, "abc");
	EXPECT_EQ(-EINVAL, nl_run(&self->c, nlh, NULL, NULL));
	nlh = raw(&self->c, buf, PROTSHM_CMD_SEG_GET);
	mnl_attr_put_strz(nlh, PROTSHM_A_SEG_NAME,
			  "0123456789012345678901234567890123456789012345678901234567890123");
	EXPECT_EQ(-EINVAL, nl_run(&self->c, nlh, NULL, NULL));
	nl_good_request_works(_metadata, self);
}

/* A missing required attribute: the extended ack says which. */
TEST_F(nl, malformed_missing_attribute)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = raw(&self->c, buf, PROTSHM_CMD_SEG_GET);
	EXPECT_EQ(-EINVAL, nl_run(&self->c, nlh, NULL, NULL));
	EXPECT_STRNE("", self->c.errmsg);
	EXPECT_EQ(PROTSHM_A_SEG_NAME, self->c.miss_type);
	TH_LOG("missing attr: %s", self->c.errmsg);

	nlh = raw(&self->c, buf, PROTSHM_CMD_RESTRICT);
	mnl_attr_put_strz(nlh, PROTSHM_A_SEG_NAME, self->name);
	mnl_attr_put_u32(nlh, PROTSHM_A_PID, getpid());
	EXPECT_EQ(-EINVAL, nl_run(&self->c, nlh, NULL, NULL));
	EXPECT_EQ(PROTSHM_A_PROT, self->c.miss_type);
	EXPECT_STRNE("", self->c.errmsg);
	nl_good_request_works(_metadata, self);
}

/* Values out of the policy's range (ERANGE) or invalid. */
TEST_F(nl, malformed_value)
{
	EXPECT_EQ(-EINVAL, nl_restrict(&self->c, self->name, getpid(),
				       PROTSHM_PROT_WRITE, 0));
	EXPECT_STRNE("", self->c.errmsg);
	EXPECT_EQ(-ERANGE, nl_restrict(&self->c, self->name, getpid(), 4, 0));
	EXPECT_EQ(-ERANGE, nl_restrict(&self->c, self->name, 0,
				       PROTSHM_PROT_READ, 0));
	EXPECT_EQ(-EINVAL, nl_restrict(&self->c, self->name, getpid(),
				       PROTSHM_PROT_READ, 2));
	nl_good_request_works(_metadata, self);
}

/* A dump filter naming no segment fails the dump. */
TEST_F(nl, malformed_dump_filter)
{
	EXPECT_EQ(-ENOENT, att_dump(&self->c, "t-no-such-segment", 0, self->l));
	nl_good_request_works(_metadata, self);
}

/* A non-zero reserved header field; unknown and reply-only commands. */
TEST_F(nl, malformed_header_or_command)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	nlh = raw(&self->c, buf, PROTSHM_CMD_SEG_GET);
	g = mnl_nlmsg_get_payload(nlh);
	g->reserved = 1;
	mnl_attr_put_strz(nlh, PROTSHM_A_SEG_NAME, self->name);
	EXPECT_EQ(-EINVAL, nl_run(&self->c, nlh, NULL, NULL));
	nlh = raw(&self->c, buf, PROTSHM_CMD_MAX + 1);
	EXPECT_EQ(-EOPNOTSUPP, nl_run(&self->c, nlh, NULL, NULL));
	nlh = raw(&self->c, buf, PROTSHM_CMD_SEG_CREATE_NTF);
	EXPECT_EQ(-EOPNOTSUPP, nl_run(&self->c, nlh, NULL, NULL));
	nl_good_request_works(_metadata, self);
}

/* RESTRICT through netlink has the ioctl's effect on a running process. */
TEST_F(nl, restrict_via_netlink)
{
	struct sync_pipe sp;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, sync_init(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = ps_open();
		char *p;

		CHILD_ASSERT(fd >= 0);
		CHILD_ASSERT(ps_attach(fd, self->name, PROTSHM_PROT_RW) == 0);
		p = map_seg(fd, 0, self->psz, PROT_READ | PROT_WRITE);
		CHILD_ASSERT(p != MAP_FAILED);
		CHILD_ASSERT(probe_write(p, 1) == 0);
		sync_send(sp.to_parent[1], 'm');
		sync_recv(sp.to_child[0]);
		CHILD_ASSERT_ACCERR(probe_write(p, 2), p);
		CHILD_ASSERT(probe_read(p) == 0 && *p == 1);
		_exit(0);
	}
	ASSERT_EQ('m', sync_recv(sp.to_parent[0]));
	ASSERT_EQ(0, nl_restrict(&self->c, self->name, pid, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(0, att_dump(&self->c, self->name, pid, self->l));
	ASSERT_EQ(1, self->l->n);
	EXPECT_EQ(PROTSHM_PROT_READ, self->l->a[0].ceiling);
	EXPECT_EQ(r_flags, self->l->a[0].vma[0].flags);
	sync_send(sp.to_child[1], 'g');
	EXPECT_CHILD_OK(pid);
	/* gone and reaped: not attached any more */
	EXPECT_EQ(-ESRCH, nl_restrict(&self->c, self->name, pid,
				      PROTSHM_PROT_NONE, 0));
	EXPECT_EQ(-ENOENT, nl_restrict(&self->c, "t-no-such-segment", getpid(),
				       PROTSHM_PROT_NONE, 0));
}

/*
 * RESTRICT through netlink by pidfd: a pidfd of an exited process is
 * ESRCH, a file that is not a pidfd EBADF, PID and PIDFD together EINVAL;
 * the control, a live child's pidfd, lowers it.
 */
TEST_F(nl, restrict_via_netlink_pidfd)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int pidfd, gone;
	struct sync_pipe sp;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_LE(0, null);
	ASSERT_EQ(0, sync_init(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = ps_open();
		char *p;

		CHILD_ASSERT(fd >= 0);
		CHILD_ASSERT(ps_attach(fd, self->name, PROTSHM_PROT_RW) == 0);
		p = map_seg(fd, 0, self->psz, PROT_READ | PROT_WRITE);
		CHILD_ASSERT(p != MAP_FAILED);
		CHILD_ASSERT(probe_write(p, 1) == 0);
		sync_send(sp.to_parent[1], 'm');
		sync_recv(sp.to_child[0]);
		CHILD_ASSERT_ACCERR(probe_write(p, 2), p);
		_exit(0);
	}
	ASSERT_EQ('m', sync_recv(sp.to_parent[0]));
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	ASSERT_LE(0, pidfd);
	EXPECT_EQ(-EBADF, nl_restrict_pidfd(&self->c, self->name, null, 0,
					    PROTSHM_PROT_READ));
	EXPECT_EQ(-EINVAL, nl_restrict_pidfd(&self->c, self->name, pidfd, pid,
					     PROTSHM_PROT_READ));
	ASSERT_EQ(0, att_dump(&self->c, self->name, pid, self->l));
	ASSERT_EQ(1, self->l->n);
	EXPECT_EQ(PROTSHM_PROT_RW, self->l->a[0].ceiling);
	/* control */
	ASSERT_EQ(0, nl_restrict_pidfd(&self->c, self->name, pidfd, 0,
				       PROTSHM_PROT_READ));
	ASSERT_EQ(0, att_dump(&self->c, self->name, pid, self->l));
	EXPECT_EQ(PROTSHM_PROT_READ, self->l->a[0].ceiling);
	sync_send(sp.to_child[1], 'g');
	EXPECT_CHILD_OK(pid);
	gone = pidfd;
	EXPECT_EQ(-ESRCH, nl_restrict_pidfd(&self->c, self->name, gone, 0,
					    PROTSHM_PROT_NONE));
	close(pidfd);
	close(null);
}

/* create, attach (owner, then a child), restrict, detach, destroy. */
TEST_F(nl, events_in_order)
{
	struct protshm_info info;
	struct sync_pipe sp;
	struct ev_rec ev[16];
	char name[64];
	int fd, n, i;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, nl_subscribe(&self->c));
	ps_name(name, sizeof(name), "ev");
	fd = ps_new(name, self->psz);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sync_init(&sp));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int cfd = ps_open();

		CHILD_ASSERT(cfd >= 0);
		CHILD_ASSERT(ps_attach(cfd, name, PROTSHM_PROT_RW) == 0);
		sync_send(sp.to_parent[1], 'a');
		sync_recv(sp.to_child[0]);
		_exit(0);
	}
	ASSERT_EQ('a', sync_recv(sp.to_parent[0]));
	ASSERT_EQ(0, ps_restrict(fd, pid, PROTSHM_PROT_READ, 0));
	sync_send(sp.to_child[1], 'x');
	ASSERT_CHILD_OK(pid);
	ASSERT_EQ(0, ps_info(fd, &info, NULL));	/* notices the exit */
	EXPECT_EQ(1, info.nr_attachments);
	ASSERT_EQ(0, ps_unlink(fd));
	close(fd);

	n = ev_collect(&self->c, name, ev, 16, 1000);
	for (i = 0; i < n; i++)
		TH_LOG("event %d: cmd %d pid %u", i, ev[i].cmd, ev[i].pid);
	ASSERT_EQ(7, n);
	EXPECT_EQ(PROTSHM_CMD_SEG_CREATE_NTF, ev[0].cmd);
	EXPECT_EQ(info.id, ev[0].seg_id);
	EXPECT_EQ(getpid(), ev[0].pid);
	EXPECT_EQ(PROTSHM_CMD_ATTACH_NTF, ev[1].cmd);
	EXPECT_EQ(getpid(), ev[1].pid);
	EXPECT_STREQ("netlink_test", ev[1].comm);
	EXPECT_EQ(PROTSHM_CMD_ATTACH_NTF, ev[2].cmd);
	EXPECT_EQ(pid, ev[2].pid);
	EXPECT_EQ(PROTSHM_CMD_RESTRICT_NTF, ev[3].cmd);
	EXPECT_EQ(pid, ev[3].pid);
	EXPECT_EQ(getpid(), ev[3].by_pid);
	EXPECT_EQ(PROTSHM_PROT_RW, ev[3].old_ceiling);
	EXPECT_EQ(PROTSHM_PROT_READ, ev[3].ceiling);
	EXPECT_EQ(ev[2].att_id, ev[3].att_id);
	EXPECT_EQ(PROTSHM_CMD_DETACH_NTF, ev[4].cmd);
	EXPECT_EQ(pid, ev[4].pid);
	EXPECT_EQ(ev[2].att_id, ev[4].att_id);
	EXPECT_EQ(PROTSHM_CMD_DETACH_NTF, ev[5].cmd);
	EXPECT_EQ(getpid(), ev[5].pid);
	EXPECT_EQ(ev[1].att_id, ev[5].att_id);
	EXPECT_EQ(PROTSHM_CMD_SEG_DESTROY_NTF, ev[6].cmd);
	EXPECT_EQ(info.id, ev[6].seg_id);
}

/* A forked child's attach event names its parent: its pid is not known. */
TEST_F(nl, event_fork_attach)
{
	struct ev_rec ev[4];
	char *p;
	pid_t pid;
	int n;

	if (geteuid())
		SKIP(return, "needs root");
	p = map_seg(self->fd, 0, self->psz, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, nl_subscribe(&self->c));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	ASSERT_CHILD_OK(pid);
	n = ev_collect(&self->c, self->name, ev, 1, 1000);
	ASSERT_EQ(1, n);
	EXPECT_EQ(PROTSHM_CMD_ATTACH_NTF, ev[0].cmd);
	EXPECT_EQ(0, ev[0].has_pid);
	EXPECT_EQ(getpid(), ev[0].parent_pid);
	EXPECT_NE(0, ev[0].parent_id);
	munmap(p, self->psz);
}

/*
 * A child forked without mappings from a restricted process gets an
 * attachment from its fork record: the event has its pid, its parent's
 * pid and attachment, the inherited ceiling, and no command name (the
 * module, not the child, attached it).
 */
TEST_F(nl, event_lineage_attach)
{
	struct ev_rec ev[2];
	int go[2];
	pid_t pid;
	char b;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, nl_subscribe(&self->c));
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(read(go[0], &b, 1) != 1);
	ASSERT_EQ(2, ev_collect(&self->c, self->name, ev, 2, 2000));
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(PROTSHM_CMD_RESTRICT_NTF, ev[0].cmd);
	EXPECT_EQ(PROTSHM_CMD_ATTACH_NTF, ev[1].cmd);
	EXPECT_EQ(1, ev[1].has_pid);
	EXPECT_EQ(pid, ev[1].pid);
	EXPECT_EQ(getpid(), ev[1].parent_pid);
	EXPECT_NE(0, ev[1].parent_id);
	EXPECT_EQ(PROTSHM_PROT_READ, ev[1].ceiling);
	EXPECT_STREQ("", ev[1].comm);
	close(go[0]);
	close(go[1]);
}

/* Children attach, map, fork and exit in a loop while we dump. */
static void churn(const char *name, long psz, int loops)
{
	int i;

	for (i = 0; i < loops; i++) {
		int fd = ps_open();
		char *p;
		pid_t pid;

		if (fd < 0 || ps_attach(fd, name, PROTSHM_PROT_RW))
			_exit(1);
		p = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			_exit(1);
		mprotect(p, psz, PROT_READ);
		pid = fork();
		if (pid == 0)
			_exit(0);
		munmap(p, 2 * psz);
		close(fd);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	_exit(0);
}

static int check_att_list(struct att_list *l, const char *name, long psz)
{
	int i, j;

	if (l->bad)
		return -1;
	for (i = 0; i < l->n; i++) {
		struct att_rec *t = &l->a[i];

		if (name && strcmp(t->seg_name, name))
			return -2;
		if (!t->id || t->ceiling > PROTSHM_PROT_RW || t->nvma > 64)
			return -3;
		for (j = 0; j < t->nvma; j++) {
			struct vma_rec *v = &t->vma[j];

			if (v->has_addr && (v->end <= v->start ||
					    v->end - v->start != v->len))
				return -4;
			if (v->pgoff >= NPAGES || v->len % psz ||
			    v->flags & ~(rw_flags))
				return -5;
		}
	}
	return 0;
}

/* Are any of @kids still running?  Reaps those that exited (status 0). */
static int kids_running(pid_t *kids, int n, int *bad)
{
	int i, status, running = 0;

	for (i = 0; i < n; i++) {
		if (!kids[i])
			continue;
		if (waitpid(kids[i], &status, WNOHANG) == kids[i]) {
			*bad += !WIFEXITED(status) || WEXITSTATUS(status);
			kids[i] = 0;
		} else {
			running++;
		}
	}
	return running;
}

/*
 * Dump, with and without a segment filter, for as long as the children
 * churn (at least 50 times): every answer must parse and be sane.
 */
TEST_F_TIMEOUT(nl, dump_races_attach_detach, PROTSHM_TIMEOUT)
{
	enum { KIDS = 4 };
	int i, intr = 0, bad = 0, ret;

	for (i = 0; i < KIDS; i++) {
		self->kids[i] = fork();
		ASSERT_LE(0, self->kids[i]);
		if (self->kids[i] == 0)
			churn(self->name, self->psz, 100);
		self->nkids++;
	}
	for (i = 0; i < 50 || kids_running(self->kids, KIDS, &bad); i++) {
		ret = att_dump(&self->c, i % 2 ? self->name : NULL, 0, self->l);
		ASSERT_EQ(0, ret);
		intr += self->c.intr;
		/* all segments in even rounds: no name check then */
		ASSERT_EQ(0, check_att_list(self->l, i % 2 ? self->name : NULL,
					    self->psz));
	}
	while (kids_running(self->kids, KIDS, &bad))
		usleep(10000);
	self->nkids = 0;
	EXPECT_EQ(0, bad);
	TH_LOG("%d of %d dumps were flagged NLM_F_DUMP_INTR", intr, i);
	/*
	 * Quiet again.  The first dump forgets the children that exited
	 * (which counts as a change), the second is clean and shows only
	 * the owner.
	 */
	ASSERT_EQ(0, att_dump(&self->c, self->name, 0, self->l));
	ASSERT_EQ(0, att_dump(&self->c, self->name, 0, self->l));
	EXPECT_EQ(0, self->c.intr);
	ASSERT_EQ(1, self->l->n);
	EXPECT_EQ(getpid(), self->l->a[0].pid);
}

/* Segments come and go while a segment dump runs in small parts. */
TEST_F_TIMEOUT(nl, seg_dump_races_create_destroy, PROTSHM_TIMEOUT)
{
	char prefix[32];
	struct seg_dump d;
	int i, fds[40], bad = 0;

	snprintf(prefix, sizeof(prefix), "t-race-%d-", getpid());
	for (i = 0; i < 40; i++) {	/* enough for several parts */
		char name[64];

		snprintf(name, sizeof(name), "%s%02d", prefix, i);
		fds[i] = ps_new(name, self->psz);
		ASSERT_LE(0, fds[i]);
	}
	self->kids[0] = fork();
	ASSERT_LE(0, self->kids[0]);
	if (self->kids[0] == 0) {
		for (i = 0; i < 300; i++) {
			char name[64];
			int fd;

			snprintf(name, sizeof(name), "t-churn-%d", getpid());
			fd = ps_new(name, self->psz);
			if (fd < 0)
				_exit(1);
			ps_unlink(fd);
			close(fd);
		}
		_exit(0);
	}
	self->nkids = 1;
	for (i = 0; i < 50 || kids_running(self->kids, 1, &bad); i++) {
		char buf[MNL_SOCKET_BUFFER_SIZE];
		struct nlmsghdr *nlh;
		uint64_t last = 0;
		int j;

		memset(&d, 0, sizeof(d));
		d.prefix = prefix;
		nlh = ps_req(&self->c, buf, PROTSHM_CMD_SEG_GET, NLM_F_DUMP);
		ASSERT_EQ(0, nl_run(&self->c, nlh, seg_dump_cb, &d));
		ASSERT_EQ(8, d.n);	/* the first 8 of ours, every time */
		for (j = 0; j < d.n; j++) {
			ASSERT_LT(last, d.s[j].id);
			last = d.s[j].id;
		}
	}
	while (kids_running(self->kids, 1, &bad))
		usleep(10000);
	self->nkids = 0;
	EXPECT_EQ(0, bad);
	for (i = 0; i < 40; i++) {
		ps_unlink(fds[i]);
		close(fds[i]);
	}
}

/* protshmctl (copied to bin/ by the build): list, show, restrict, errors. */
/*
 * The protshmctl_* tests run the tool (bin/protshmctl) against the test's
 * segment, which this process maps read-only at offset 2 pages and a forked
 * child, parked until ctl_end(), has attached too.
 */
struct ctl {
	char *p;
	pid_t pid;
	struct sync_pipe sp;
};

static char ctl_out[65536];

/* Sets @t up; 0, or -1 when the test is skipped. */
static int ctl_start(struct __test_metadata *_metadata,
		     FIXTURE_DATA(nl) *self, struct ctl *t)
{
	if (access("bin/protshmctl", X_OK))
		SKIP(return -1, "bin/protshmctl not built");
	if (geteuid())
		SKIP(return -1, "needs root");
	t->p = map_seg(self->fd, self->psz, 2 * self->psz, PROT_READ);
	ASSERT_NE(MAP_FAILED, t->p);
	ASSERT_EQ(0, sync_init(&t->sp));
	t->pid = fork();
	ASSERT_LE(0, t->pid);
	if (t->pid == 0) {
		sync_recv(t->sp.to_child[0]);
		_exit(0);
	}
	self->kids[self->nkids++] = t->pid;
	return 0;
}

static void ctl_end(struct __test_metadata *_metadata,
		    FIXTURE_DATA(nl) *self, struct ctl *t)
{
	sync_send(t->sp.to_child[1], 'x');
	EXPECT_CHILD_OK(t->pid);
	self->nkids = 0;
	munmap(t->p, 2 * self->psz);
}

/* list -j: the segment, with both attachments. */
TEST_F(nl, protshmctl_list_json)
{
	char cmd[256], want[128];
	struct ctl t;

	if (ctl_start(_metadata, self, &t))
		return;
	snprintf(cmd, sizeof(cmd), "bin/protshmctl -j list %s", self->name);
	ASSERT_EQ(0, run_cmd(cmd, ctl_out, sizeof(ctl_out)));
	snprintf(want, sizeof(want), "\"name\":\"%s\"", self->name);
	EXPECT_NE(NULL, strstr(ctl_out, want));
	EXPECT_NE(NULL, strstr(ctl_out, "\"attachments\":2"));
	ctl_end(_metadata, self, &t);
}

/* show -j: this process's mapping, its flags, offset and size. */
TEST_F(nl, protshmctl_show_json)
{
	char cmd[256], want[128];
	struct ctl t;

	if (ctl_start(_metadata, self, &t))
		return;
	snprintf(cmd, sizeof(cmd), "bin/protshmctl -j show %s", self->name);
	ASSERT_EQ(0, run_cmd(cmd, ctl_out, sizeof(ctl_out)));
	TH_LOG("%s", ctl_out);
	snprintf(want, sizeof(want), "\"pid\":%d,", getpid());
	EXPECT_NE(NULL, strstr(ctl_out, want));
	snprintf(want, sizeof(want), "\"start\":\"%p\"", t.p);
	EXPECT_NE(NULL, strstr(ctl_out, want));
	EXPECT_NE(NULL, strstr(ctl_out, "\"perms\":\"r--s\",\"may\":\"rw\""));
	snprintf(want, sizeof(want), "\"offset\":%ld,\"size\":%ld",
		 self->psz, 2 * self->psz);
	EXPECT_NE(NULL, strstr(ctl_out, want));
	ctl_end(_metadata, self, &t);
}

/* show as text, like a small pmap. */
TEST_F(nl, protshmctl_show_text)
{
	char cmd[256], want[128];
	struct ctl t;

	if (ctl_start(_metadata, self, &t))
		return;
	snprintf(cmd, sizeof(cmd), "bin/protshmctl show %s %d", self->name,
		 t.pid);
	ASSERT_EQ(0, run_cmd(cmd, ctl_out, sizeof(ctl_out)));
	TH_LOG("%s", ctl_out);
	snprintf(want, sizeof(want), "%016lx-%016lx r--s  rw ",
		 (unsigned long)t.p, (unsigned long)t.p + 2 * self->psz);
	EXPECT_NE(NULL, strstr(ctl_out, want));
	ctl_end(_metadata, self, &t);
}

/* restrict: the child's ceiling, as netlink then shows it. */
TEST_F(nl, protshmctl_restrict)
{
	char cmd[256];
	struct ctl t;

	if (ctl_start(_metadata, self, &t))
		return;
	snprintf(cmd, sizeof(cmd), "bin/protshmctl restrict %s %d none",
		 self->name, t.pid);
	ASSERT_EQ(0, run_cmd(cmd, ctl_out, sizeof(ctl_out)));
	ASSERT_EQ(0, att_dump(&self->c, self->name, t.pid, self->l));
	ASSERT_EQ(1, self->l->n);
	EXPECT_EQ(PROTSHM_PROT_NONE, self->l->a[0].ceiling);
	EXPECT_EQ(PROTSHM_VMA_F_SHARED, self->l->a[0].vma[0].flags);
	ctl_end(_metadata, self, &t);
}

/* Failures: exit status 1 with a message, usage errors 2; -h is not one. */
TEST_F(nl, protshmctl_errors)
{
	char cmd[256];
	struct ctl t;

	if (ctl_start(_metadata, self, &t))
		return;
	EXPECT_EQ(1, run_cmd("bin/protshmctl show t-no-such-segment 2>&1",
			     ctl_out, sizeof(ctl_out)));
	EXPECT_NE(NULL, strstr(ctl_out, "no segment"));
	snprintf(cmd, sizeof(cmd), "bin/protshmctl restrict %s 1 r 2>&1",
		 self->name);
	EXPECT_EQ(1, run_cmd(cmd, ctl_out, sizeof(ctl_out)));
	EXPECT_NE(NULL, strstr(ctl_out, "not attached"));
	EXPECT_EQ(2, run_cmd("bin/protshmctl restrict x 1 rwx 2>&1", ctl_out,
			     sizeof(ctl_out)));
	EXPECT_EQ(2, run_cmd("bin/protshmctl frobnicate 2>&1", ctl_out,
			     sizeof(ctl_out)));
	EXPECT_EQ(0, run_cmd("bin/protshmctl -h", ctl_out, sizeof(ctl_out)));
	EXPECT_NE(NULL, strstr(ctl_out, "Usage:"));
	ctl_end(_metadata, self, &t);
}

/* Start @argv with its stdout on a pipe; the read end, or NULL. */
static FILE *spawn_reader(char *const argv[], pid_t *pid)
{
	int p[2];

	if (pipe(p))
		return NULL;
	*pid = fork();
	if (*pid < 0)
		return NULL;
	if (*pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	return fdopen(p[0], "r");
}

/* protshmctl monitor prints the events of the segment it watches. */
TEST_F(nl, protshmctl_monitor)
{
	char *argv[] = { "bin/protshmctl", "-j", "monitor", self->name, NULL };
	char line[512] = "";
	struct pollfd pfd;
	pid_t pid;
	FILE *f;
	int i;

	if (access("bin/protshmctl", X_OK))
		SKIP(return, "bin/protshmctl not built");
	if (geteuid())
		SKIP(return, "needs root");
	f = spawn_reader(argv, &pid);
	ASSERT_NE(NULL, f);
	self->kids[self->nkids++] = pid;
	pfd.fd = fileno(f);
	pfd.events = POLLIN;
	/* a no-op restriction is an event too: repeat until one is seen */
	for (i = 0; i < 100 && poll(&pfd, 1, 50) == 0; i++)
		ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_RW, 0));
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, "\"event\":\"restrict\""));
	EXPECT_NE(NULL, strstr(line, self->name));
	EXPECT_NE(NULL, strstr(line, "\"old_ceiling\":\"rw\""));
	fclose(f);
}

TEST_HARNESS_MAIN
