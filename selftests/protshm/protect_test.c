// SPDX-License-Identifier: GPL-2.0
/*
 * Protection: what mappings may do and what RESTRICT and RESTRICT_MAPPING
 * take away (Documentation/userspace-api/protshm.rst: "Concepts", the ioctl
 * table, "What RESTRICT guarantees" and "Rules the implementation keeps").
 *
 * Every "must fail" check is preceded by a control that succeeds on the
 * same object, so that no test can pass because the setup was broken.
 * Faults are checked with their signal, si_code and address.
 *
 * The binary re-executes itself (/proc/self/exe) with PROTECT_EXEC_ENV set
 * to check what survives execve(); exec_helper() handles that case before
 * the harness starts.
 */
#include <grp.h>
#include <sched.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "common.h"
#include "kselftest_harness.h"

#define NR_PAGES	4
#define RW		(PROT_READ | PROT_WRITE)
#define PROTECT_EXEC_ENV "PROTSHM_PROTECT_EXEC"

/* Are all @len bytes at @p equal to @c? */
static int bytes_are(const volatile char *p, char c, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

/*
 * The re-executed binary: check what a process can map through an fd it
 * inherited across execve() and through a fresh ATTACH.  The environment
 * holds "FD:CEILING:NAME", CEILING being the ceiling the process had before
 * execve().  Exits 0 if everything matched.
 */
static void __attribute__((constructor)) exec_helper(void)
{
	const char *env = getenv(PROTECT_EXEC_ENV);
	char name[PROTSHM_NAME_MAX];
	struct protshm_info info;
	volatile char *p, *q;
	unsigned int ceiling;
	size_t ps = page_size();
	char perms[5];
	int fd, fd2;

	if (!env)
		return;
	CHILD_ASSERT(sscanf(env, "%d:%u:%63s", &fd, &ceiling, name) == 3);
	CHILD_ASSERT(ps_info(fd, &info, NULL) == 0);
	CHILD_ASSERT(info.ceiling == ceiling);
	CHILD_ASSERT(info.fd_prot == PROTSHM_PROT_RW);

	/* reading through the inherited fd works either way */
	p = map(fd, ps, PROT_READ, 0);
	CHILD_ASSERT(p != MAP_FAILED);
	CHILD_ASSERT(p[0] == 'e');
	CHILD_ASSERT(!strcmp(maps_perms((void *)p, perms), "r--s"));

	q = map(fd, ps, RW, 0);
	if (ceiling == PROTSHM_PROT_RW) {
		CHILD_ASSERT(q != MAP_FAILED);
		CHILD_ASSERT(probe_write(q + 1, 'E') == 0);
		CHILD_ASSERT(p[1] == 'E');
		CHILD_ASSERT(munmap((void *)q, ps) == 0);
	} else {
		CHILD_ASSERT(q == MAP_FAILED && errno == EACCES);
	}

	/* a fresh ATTACH by name is granted RW by the mode, maps like above */
	fd2 = ps_open();
	CHILD_ASSERT(fd2 >= 0);
	CHILD_ASSERT(ps_attach(fd2, name, PROTSHM_PROT_RW) == 0);
	CHILD_ASSERT(ceiling_of(fd2) == ceiling);
	q = map(fd2, ps, PROT_READ, 0);
	CHILD_ASSERT(q != MAP_FAILED && q[0] == 'e');
	CHILD_ASSERT(munmap((void *)q, ps) == 0);
	q = map(fd2, ps, RW, 0);
	if (ceiling == PROTSHM_PROT_RW) {
		CHILD_ASSERT(q != MAP_FAILED);
		CHILD_ASSERT(probe_write(q + 2, 'F') == 0);
		CHILD_ASSERT(p[2] == 'F');
		CHILD_ASSERT(munmap((void *)q, ps) == 0);
	} else {
		CHILD_ASSERT(q == MAP_FAILED && errno == EACCES);
	}
	CHILD_ASSERT(munmap((void *)p, ps) == 0);
	CHILD_ASSERT(close(fd2) == 0);
	CHILD_ASSERT(close(fd) == 0);
	_exit(0);
}

FIXTURE(protect) {
	char name[PROTSHM_NAME_MAX];
	size_t ps;
	size_t size;
	int fd;
};

FIXTURE_SETUP(protect)
{
	SKIP_WITHOUT_DEVICE();
	self->fd = -1;
	self->ps = page_size();
	self->size = NR_PAGES * self->ps;
	ps_name(self->name, sizeof(self->name), "prot");
	self->fd = ps_new(self->name, self->size);
	ASSERT_LE(0, self->fd) {
		TH_LOG("create %s: %s", self->name, strerror(errno));
	}
}

FIXTURE_TEARDOWN(protect)
{
	struct protshm_info info;

	if (self->fd < 0)
		return;
	EXPECT_EQ(0, ps_info(self->fd, &info, NULL));
	if (!(info.seg_flags & PROTSHM_INFO_UNLINKED))
		EXPECT_EQ(0, ps_unlink(self->fd));
	EXPECT_EQ(0, close(self->fd));
}

/* Zero on first touch, shared between mappings, mappable at an offset. */
TEST_F(protect, basic_rw)
{
	size_t ps = self->ps;
	char *p, *q, *r;
	char perms[5];
	int i;

	p = map(self->fd, self->size, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_STREQ("rw-s", maps_perms(p, perms));
	for (i = 0; i < NR_PAGES; i++)
		ASSERT_TRUE(bytes_are(p + i * ps, 0, ps));
	for (i = 0; i < NR_PAGES; i++)
		memset(p + i * ps, 'a' + i, ps);
	for (i = 0; i < NR_PAGES; i++)
		ASSERT_TRUE(bytes_are(p + i * ps, 'a' + i, ps));

	/* a second mapping of the whole segment sees the same bytes */
	q = map(self->fd, self->size, RW, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_NE(p, q);
	for (i = 0; i < NR_PAGES; i++)
		ASSERT_TRUE(bytes_are(q + i * ps, 'a' + i, ps));
	q[ps + 3] = 'Q';
	ASSERT_EQ('Q', p[ps + 3]);

	/* a mapping of page 2 only */
	r = map(self->fd, ps, RW, 2 * ps);
	ASSERT_NE(MAP_FAILED, r);
	ASSERT_TRUE(bytes_are(r, 'c', ps));
	r[5] = 'Z';
	ASSERT_EQ('Z', p[2 * ps + 5]);
	ASSERT_EQ('Z', q[2 * ps + 5]);

	ASSERT_EQ(0, munmap(r, ps));
	ASSERT_EQ(0, munmap(q, self->size));
	/* unmapping one mapping does not lose anything */
	ASSERT_EQ('Q', p[ps + 3]);
	ASSERT_EQ(0, munmap(p, self->size));
	p = map(self->fd, self->size, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ('Z', p[2 * ps + 5]);
	ASSERT_EQ('d', p[3 * ps + ps - 1]);
	ASSERT_EQ(0, munmap(p, self->size));
}

/* MAP_SHARED only, never PROT_EXEC, never beyond the segment. */
TEST_F(protect, mmap_errors)
{
	size_t ps = self->ps;
	char *p;

	/* controls: the whole segment and its last page */
	p = map(self->fd, self->size, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, self->size));
	p = map(self->fd, ps, RW, self->size - ps);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, ps));

	ASSERT_ERRNO(mmap(NULL, ps, PROT_READ, MAP_PRIVATE,
			  self->fd, 0), EINVAL);
	ASSERT_ERRNO(mmap(NULL, ps, RW, MAP_PRIVATE, self->fd, 0), EINVAL);

	ASSERT_ERRNO(map(self->fd, ps, PROT_READ | PROT_EXEC, 0), EPERM);
	ASSERT_ERRNO(map(self->fd, ps, RW | PROT_EXEC, 0), EPERM);

	ASSERT_ERRNO(map(self->fd, self->size + ps, RW, 0), ENXIO);
	ASSERT_ERRNO(map(self->fd, ps, RW, self->size), ENXIO);
	ASSERT_ERRNO(map(self->fd, 2 * ps, RW, self->size - ps), ENXIO);

	/* an existing mapping can be lowered but never made executable */
	p = map(self->fd, ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mprotect(p, ps, PROT_READ));
	ASSERT_ERRNO(mprotect(p, ps, PROT_READ | PROT_EXEC), EACCES);
	ASSERT_EQ(0, munmap(p, ps));
}

/*
 * The per-VMA proof (Documentation/userspace-api/protshm.rst, "Rules the
 * implementation keeps"): two mappings a and b of the same page in one
 * process, b restricted to R by RESTRICT_MAPPING.  The per_vma_* tests each
 * check one consequence; per_vma_map() sets the two mappings up, with its
 * control (both writable, same page), and restricts b.
 *
 * Offsets in the page of the bytes written through a, b and a third
 * mapping c; PV_LAST is the page's last byte.  PV_DENIED is what a write
 * that must fault tries to store: it must never show up.
 */
#define PV_A		1
#define PV_B		2
#define PV_C		3
#define PV_LAST(ps)	((ps) - 1)
#define PV_DENIED	'X'

struct per_vma {
	volatile char *a, *b;
	uint64_t pfn;		/* the page's frame, as both map it */
};

static void per_vma_map(struct __test_metadata *_metadata,
			FIXTURE_DATA(protect) *self, struct per_vma *v)
{
	size_t ps = self->ps;
	char perms[5];

	v->a = map(self->fd, ps, RW, 0);
	ASSERT_NE(MAP_FAILED, v->a);
	v->b = map(self->fd, ps, RW, 0);
	ASSERT_NE(MAP_FAILED, v->b);
	ASSERT_NE(v->a, v->b);

	/* control: both writable, same page */
	ASSERT_EQ(0, probe_write(v->a + PV_A, 'a'));
	ASSERT_EQ(0, probe_write(v->b + PV_B, 'b'));
	ASSERT_EQ('b', v->a[PV_B]);
	ASSERT_EQ('a', v->b[PV_A]);
	v->pfn = pagemap_pfn((void *)v->a);
	ASSERT_NE(0, v->pfn) {
		TH_LOG("no PFN in /proc/self/pagemap (needs CAP_SYS_ADMIN)");
	}
	ASSERT_EQ(v->pfn, pagemap_pfn((void *)v->b));
	ASSERT_STREQ("rw-s", maps_perms((void *)v->a, perms));
	ASSERT_STREQ("rw-s", maps_perms((void *)v->b, perms));

	ASSERT_EQ(0, ps_restrict_mapping(self->fd, (void *)v->b, ps,
					 PROTSHM_PROT_READ));
	/* different flags */
	ASSERT_STREQ("rw-s", maps_perms((void *)v->a, perms));
	ASSERT_STREQ("r--s", maps_perms((void *)v->b, perms));
}

static void per_vma_unmap(struct __test_metadata *_metadata,
			  struct per_vma *v, size_t ps)
{
	ASSERT_EQ(0, munmap((void *)v->b, ps));
	ASSERT_EQ(0, munmap((void *)v->a, ps));
}

/*
 * The restriction is b's alone: the process's ceiling is untouched, and a
 * write through a is visible through b - still the same page.
 */
TEST_F(protect, per_vma_same_page)
{
	struct per_vma v;

	per_vma_map(_metadata, self, &v);
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(self->fd));
	ASSERT_EQ(0, probe_write(v.a + PV_A, 'A'));
	ASSERT_EQ(0, probe_read(v.b + PV_A));
	ASSERT_EQ('A', v.b[PV_A]);
	ASSERT_EQ(v.pfn, pagemap_pfn((void *)v.a));
	ASSERT_EQ(v.pfn, pagemap_pfn((void *)v.b));
	per_vma_unmap(_metadata, &v, self->ps);
}

/* A write through b faults, at its address, and changes nothing. */
TEST_F(protect, per_vma_restricted_write_faults)
{
	size_t last = PV_LAST(self->ps);
	struct per_vma v;

	per_vma_map(_metadata, self, &v);
	ASSERT_ACCERR(probe_write(v.b + PV_A, PV_DENIED), v.b + PV_A);
	ASSERT_ACCERR(probe_write(v.b + last, PV_DENIED), v.b + last);
	ASSERT_EQ('a', v.a[PV_A]);
	ASSERT_EQ('a', v.b[PV_A]);
	ASSERT_EQ(0, v.a[last]);
	per_vma_unmap(_metadata, &v, self->ps);
}

/*
 * mprotect() works as usual on a, down and back up (the control), but b
 * cannot be made writable again, by mprotect() or pkey_mprotect().
 */
TEST_F(protect, per_vma_mprotect_cannot_raise)
{
	size_t ps = self->ps;
	struct per_vma v;
	char perms[5];

	per_vma_map(_metadata, self, &v);
	ASSERT_EQ(0, mprotect((void *)v.a, ps, PROT_READ));
	ASSERT_ACCERR(probe_write(v.a + PV_A, 'Y'), v.a + PV_A);
	ASSERT_EQ(0, syscall(SYS_pkey_mprotect, v.a, ps, PROT_READ, -1));
	ASSERT_EQ(0, syscall(SYS_pkey_mprotect, v.a, ps, RW, -1));
	ASSERT_EQ(0, probe_write(v.a + PV_A, 'B'));

	ASSERT_ERRNO(mprotect((void *)v.b, ps, RW), EACCES);
	/* pkey -1: no key change, same checks */
	ASSERT_ERRNO(syscall(SYS_pkey_mprotect, v.b, ps, RW, -1), EACCES);
	ASSERT_STREQ("r--s", maps_perms((void *)v.b, perms));
	ASSERT_ACCERR(probe_write(v.b + PV_A, PV_DENIED), v.b + PV_A);
	ASSERT_EQ('B', v.b[PV_A]);
	per_vma_unmap(_metadata, &v, ps);
}

/* A new mapping c is not affected by b's restriction. */
TEST_F(protect, per_vma_new_mapping_unaffected)
{
	struct per_vma v;
	volatile char *c;

	per_vma_map(_metadata, self, &v);
	c = map(self->fd, self->ps, RW, 0);
	ASSERT_NE(MAP_FAILED, c);
	ASSERT_EQ(0, probe_write(c + PV_C, 'c'));
	ASSERT_EQ('c', v.b[PV_C]);
	ASSERT_EQ(0, munmap((void *)c, self->ps));
	per_vma_unmap(_metadata, &v, self->ps);
}

/* NONE on b: reads through b fault too, a and c keep working. */
TEST_F(protect, per_vma_none_blocks_reads)
{
	size_t ps = self->ps;
	struct per_vma v;
	volatile char *c;
	char perms[5];

	per_vma_map(_metadata, self, &v);
	c = map(self->fd, ps, RW, 0);
	ASSERT_NE(MAP_FAILED, c);
	ASSERT_EQ(0, probe_read(v.b + PV_C));
	ASSERT_EQ(0, ps_restrict_mapping(self->fd, (void *)v.b, ps,
					 PROTSHM_PROT_NONE));
	ASSERT_STREQ("---s", maps_perms((void *)v.b, perms));
	ASSERT_ACCERR(probe_read(v.b + PV_C), v.b + PV_C);
	ASSERT_ACCERR(probe_write(v.b + PV_C, PV_DENIED), v.b + PV_C);
	ASSERT_ERRNO(mprotect((void *)v.b, ps, PROT_READ), EACCES);
	ASSERT_EQ(0, probe_write(v.a + PV_C, 'd'));
	ASSERT_EQ('d', c[PV_C]);
	ASSERT_STREQ("rw-s", maps_perms((void *)v.a, perms));
	ASSERT_EQ(0, munmap((void *)c, ps));
	per_vma_unmap(_metadata, &v, ps);
}

/* Restrictions only go down: RW after NONE leaves b at NONE. */
TEST_F(protect, per_vma_restriction_only_lowers)
{
	size_t ps = self->ps;
	struct per_vma v;
	char perms[5];

	per_vma_map(_metadata, self, &v);
	ASSERT_EQ(0, ps_restrict_mapping(self->fd, (void *)v.b, ps,
					 PROTSHM_PROT_NONE));
	ASSERT_EQ(0, ps_restrict_mapping(self->fd, (void *)v.b, ps,
					 PROTSHM_PROT_RW));
	ASSERT_STREQ("---s", maps_perms((void *)v.b, perms));
	ASSERT_ACCERR(probe_read(v.b + PV_C), v.b + PV_C);
	per_vma_unmap(_metadata, &v, ps);
}

/* RESTRICT_MAPPING needs mappings of the segment covering the range exactly. */
TEST_F(protect, restrict_mapping_exact_cover)
{
	size_t ps = self->ps;
	char *res, *m, *anon;
	char perms[5];

	/* [res: page 0][res + ps: page 1][res + 2 ps: anonymous] */
	res = mmap(NULL, 3 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	ASSERT_EQ(res, mmap(res, ps, RW, MAP_SHARED | MAP_FIXED, self->fd, 0));
	ASSERT_EQ(res + ps, mmap(res + ps, ps, RW, MAP_SHARED | MAP_FIXED,
				 self->fd, ps));
	/* [m: pages 0-1][m + 2 ps: anonymous guard] */
	m = mmap(NULL, 3 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(m, mmap(m, 2 * ps, RW, MAP_SHARED | MAP_FIXED, self->fd, 0));
	anon = mmap(NULL, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);

	/* part of a mapping: its first page, its second page */
	ASSERT_ERRNO(ps_restrict_mapping(self->fd, m, ps, PROTSHM_PROT_READ),
		     EINVAL);
	ASSERT_ERRNO(ps_restrict_mapping(self->fd, m + ps, ps,
					 PROTSHM_PROT_READ), EINVAL);
	/* beyond its end (into the guard), unaligned, empty */
	ASSERT_ERRNO(ps_restrict_mapping(self->fd, m, 3 * ps,
					 PROTSHM_PROT_READ), EINVAL);
	ASSERT_ERRNO(ps_restrict_mapping(self->fd, m + 1, 2 * ps - 1,
					 PROTSHM_PROT_READ), EINVAL);
	ASSERT_ERRNO(ps_restrict_mapping(self->fd, m, 0, PROTSHM_PROT_READ),
		     EINVAL);
	/* not a protshm mapping */
	ASSERT_ERRNO(ps_restrict_mapping(self->fd, anon, ps,
					 PROTSHM_PROT_READ), EINVAL);
	/* two mappings of the segment followed by an anonymous one */
	ASSERT_ERRNO(ps_restrict_mapping(self->fd, res, 3 * ps,
					 PROTSHM_PROT_READ), EINVAL);
	/* ... or by a hole */
	ASSERT_EQ(0, munmap(res + 2 * ps, ps));
	ASSERT_ERRNO(ps_restrict_mapping(self->fd, res, 3 * ps,
					 PROTSHM_PROT_READ), EINVAL);
	/* an invalid prot */
	ASSERT_ERRNO(ps_restrict_mapping(self->fd, m, 2 * ps,
					 PROTSHM_PROT_WRITE), EINVAL);
	/* nothing was changed by the failures */
	ASSERT_STREQ("rw-s", maps_perms(m, perms));
	ASSERT_STREQ("rw-s", maps_perms(res, perms));
	ASSERT_STREQ("rw-s", maps_perms(res + ps, perms));
	ASSERT_EQ(0, probe_write(m + ps, 'm'));
	ASSERT_EQ(0, probe_write(res, 'r'));

	/* exact covers: one mapping, two adjacent ones */
	ASSERT_EQ(0, ps_restrict_mapping(self->fd, m, 2 * ps,
					 PROTSHM_PROT_READ));
	ASSERT_STREQ("r--s", maps_perms(m, perms));
	ASSERT_ACCERR(probe_write(m + ps, 'x'), m + ps);
	ASSERT_EQ(0, ps_restrict_mapping(self->fd, res, 2 * ps,
					 PROTSHM_PROT_READ));
	ASSERT_STREQ("r--s", maps_perms(res, perms));
	ASSERT_STREQ("r--s", maps_perms(res + ps, perms));
	ASSERT_ACCERR(probe_write(res, 'x'), res);
	ASSERT_ACCERR(probe_write(res + ps + 8, 'x'), res + ps + 8);
	ASSERT_EQ('m', res[ps]);
	ASSERT_EQ('r', m[0]);

	ASSERT_EQ(0, munmap(anon, ps));
	ASSERT_EQ(0, munmap(m, 3 * ps));
	ASSERT_EQ(0, munmap(res, 2 * ps));
}

/* The revoked child of revoke_other_process. */
static void __attribute__((noreturn))
revoked_child(const char *name, size_t ps, struct sync_pipe *s)
{
	size_t size = NR_PAGES * ps;
	struct protshm_info info;
	volatile char *p, *r;
	uint64_t pfn;
	char perms[5];
	int fd, fd2, i;

	close(s->to_parent[0]);
	close(s->to_child[1]);
	fd = ps_open();
	CHILD_ASSERT(fd >= 0);
	CHILD_ASSERT(ps_attach(fd, name, PROTSHM_PROT_RW) == 0);
	p = map(fd, size, RW, 0);
	CHILD_ASSERT(p != MAP_FAILED);
	CHILD_ASSERT(!strcmp(maps_perms((void *)p, perms), "rw-s"));
	/* control: before the revoke every write works, PTEs now exist */
	for (i = 0; i < NR_PAGES; i++) {
		CHILD_ASSERT(probe_write(p + i * ps, 'A' + i) == 0);
		CHILD_ASSERT(probe_write(p + i * ps + 7, 'w') == 0);
	}
	CHILD_ASSERT(mprotect((void *)p, size, PROT_READ) == 0);
	CHILD_ASSERT(mprotect((void *)p, size, RW) == 0);
	pfn = pagemap_pfn((void *)p);
	CHILD_ASSERT(pfn != 0);
	CHILD_ASSERT(write(s->to_parent[1], &pfn, sizeof(pfn)) == sizeof(pfn));

	CHILD_ASSERT(sync_recv(s->to_child[0]) == 'r');
	/* revoked: every write faults at its address, the data is intact */
	for (i = 0; i < NR_PAGES; i++) {
		CHILD_ASSERT_ACCERR(probe_write(p + i * ps + 7, 'x'),
				    p + i * ps + 7);
		CHILD_ASSERT(probe_read(p + i * ps) == 0);
		CHILD_ASSERT(p[i * ps] == 'A' + i);
		CHILD_ASSERT(p[i * ps + 7] == 'w');
	}
	/* the parent's write after the revoke is visible, same page */
	CHILD_ASSERT(p[1] == 'P');
	CHILD_ASSERT(pagemap_pfn((void *)p) == pfn);
	CHILD_ASSERT(!strcmp(maps_perms((void *)p, perms), "r--s"));
	CHILD_ASSERT(ps_info(fd, &info, NULL) == 0);
	CHILD_ASSERT(info.ceiling == PROTSHM_PROT_READ);
	CHILD_ASSERT(info.fd_prot == PROTSHM_PROT_RW);

	/* no way back to writing */
	CHILD_ASSERT(mprotect((void *)p, size, RW) == -1 && errno == EACCES);
	CHILD_ASSERT(mprotect((void *)p, ps, RW) == -1 && errno == EACCES);
	r = map(fd, size, PROT_READ, 0);
	CHILD_ASSERT(r != MAP_FAILED);
	CHILD_ASSERT(r[0] == 'A' && r[1] == 'P');
	CHILD_ASSERT(map(fd, ps, RW, 0) == MAP_FAILED && errno == EACCES);
	fd2 = ps_open();
	CHILD_ASSERT(fd2 >= 0);
	CHILD_ASSERT(ps_attach(fd2, name, PROTSHM_PROT_RW) == 0);
	CHILD_ASSERT(map(fd2, ps, RW, 0) == MAP_FAILED && errno == EACCES);
	CHILD_ASSERT_ACCERR(probe_write(p + 7, 'x'), p + 7);

	/* the parent keeps writing, the child keeps seeing it */
	CHILD_ASSERT(sync_send(s->to_parent[1], 'c') == 0);
	CHILD_ASSERT(sync_recv(s->to_child[0]) == 'n');
	CHILD_ASSERT(p[2] == 'N' && r[2] == 'N');

	/* and it can still clean up and exit normally */
	CHILD_ASSERT(munmap((void *)r, size) == 0);
	CHILD_ASSERT(munmap((void *)p, size) == 0);
	CHILD_ASSERT(close(fd2) == 0);
	CHILD_ASSERT(close(fd) == 0);
	_exit(0);
}

/*
 * The same across two processes: the owner revokes write from a child that
 * has written every page; the owner itself keeps writing.
 */
TEST_F(protect, revoke_other_process)
{
	size_t ps = self->ps;
	struct sync_pipe s;
	uint64_t pfn = 0;
	char perms[5];
	char *p;
	pid_t pid;
	int i;

	ASSERT_EQ(0, sync_init(&s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		revoked_child(self->name, ps, &s);
	close(s.to_parent[1]);
	close(s.to_child[0]);

	ASSERT_EQ(sizeof(pfn), read(s.to_parent[0], &pfn, sizeof(pfn)));
	p = map(self->fd, self->size, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < NR_PAGES; i++) {
		ASSERT_EQ('A' + i, p[i * ps]);
		ASSERT_EQ('w', p[i * ps + 7]);
	}
	ASSERT_EQ(pfn, pagemap_pfn(p));

	ASSERT_EQ(0, ps_restrict(self->fd, pid, PROTSHM_PROT_READ, 0));

	/* the owner is not affected */
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(self->fd));
	ASSERT_STREQ("rw-s", maps_perms(p, perms));
	ASSERT_EQ(0, probe_write(p + 1, 'P'));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'r'));
	ASSERT_EQ('c', sync_recv(s.to_parent[0]));
	ASSERT_EQ(0, probe_write(p + 2, 'N'));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'n'));
	ASSERT_CHILD_OK(pid);

	/* the child's faulting writes changed nothing, its data survives */
	for (i = 0; i < NR_PAGES; i++) {
		ASSERT_EQ('A' + i, p[i * ps]);
		ASSERT_EQ('w', p[i * ps + 7]);
	}
	ASSERT_EQ(0, munmap(p, self->size));
	close(s.to_parent[0]);
	close(s.to_child[1]);
}

/* RESTRICT of the caller: immediate, sticky, one-way. */
TEST_F(protect, restrict_self)
{
	size_t ps = self->ps;
	struct protshm_info info;
	volatile char *p, *q;
	char perms[5];

	p = map(self->fd, self->size, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, probe_write(p, 'a'));
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(self->fd));

	/* invalid requests change nothing */
	ASSERT_ERRNO(ps_restrict(self->fd, 0, PROTSHM_PROT_WRITE, 0), EINVAL);
	ASSERT_ERRNO(ps_restrict(self->fd, 0, PROTSHM_PROT_READ, 0x80), EINVAL);
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(self->fd));
	ASSERT_EQ(0, probe_write(p + 1, 'b'));

	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(0, ps_info(self->fd, &info, NULL));
	ASSERT_EQ(PROTSHM_PROT_READ, info.ceiling);
	ASSERT_EQ(PROTSHM_PROT_RW, info.fd_prot);
	ASSERT_STREQ("r--s", maps_perms((void *)p, perms));
	/* a touched page and an untouched one */
	ASSERT_ACCERR(probe_write(p + 2, 'x'), p + 2);
	ASSERT_ACCERR(probe_write(p + 3 * ps + 1, 'x'), p + 3 * ps + 1);
	ASSERT_EQ('a', p[0]);
	ASSERT_EQ('b', p[1]);
	ASSERT_EQ(0, p[2]);

	/* asking for RW again is a no-op */
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_RW, 0));
	ASSERT_EQ(PROTSHM_PROT_READ, ceiling_of(self->fd));
	ASSERT_ACCERR(probe_write(p, 'x'), p);

	/* new mappings: R yes, RW no; no mprotect() up */
	q = map(self->fd, self->size, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ('a', q[0]);
	ASSERT_ERRNO(map(self->fd, ps, RW, 0), EACCES);
	ASSERT_ERRNO(mprotect((void *)p, self->size, RW), EACCES);

	/* NONE: reads fault in every mapping, no readable mapping */
	ASSERT_EQ(0, probe_read(p + ps));
	ASSERT_EQ(0, probe_read(q + 5));
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_NONE, 0));
	ASSERT_EQ(PROTSHM_PROT_NONE, ceiling_of(self->fd));
	ASSERT_STREQ("---s", maps_perms((void *)p, perms));
	ASSERT_STREQ("---s", maps_perms((void *)q, perms));
	ASSERT_ACCERR(probe_read(p), p);
	ASSERT_ACCERR(probe_read(p + ps), p + ps);
	ASSERT_ACCERR(probe_read(q + 5), q + 5);
	ASSERT_ERRNO(map(self->fd, ps, PROT_READ, 0), EACCES);
	ASSERT_ERRNO(mprotect((void *)q, ps, PROT_READ), EACCES);

	/* and it can still unmap */
	ASSERT_EQ(0, munmap((void *)q, self->size));
	ASSERT_EQ(0, munmap((void *)p, self->size));
}

static long minflt(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_minflt;
}

/* Read one byte of each of @n pages at @p; the minor faults it took. */
static long read_pages_faults(const volatile char *p, size_t n, size_t ps,
			      char *first)
{
	long before = minflt();
	size_t i;

	for (i = 0; i < n; i++)
		first[i] = p[i * ps];
	return minflt() - before;
}

/*
 * A write revoke leaves what the process had mapped readable without a
 * refault (the PTEs come back read-only); control: a mapping made after
 * the restriction does fault, so the counting works.
 */
TEST_F(protect, revoke_refills_readers)
{
	enum { N = 64 };
	char name[PROTSHM_NAME_MAX], got[N];
	size_t ps = self->ps, i;
	volatile char *p, *q;
	FILE *param;
	int fd, on;

	param = fopen("/sys/module/protshm/parameters/revoke_refill", "r");
	ASSERT_NE(NULL, param);
	on = fgetc(param);
	fclose(param);
	if (on != 'Y')
		SKIP(return, "module parameter revoke_refill is off");

	fd = ps_new(ps_name(name, sizeof(name), "refill"), N * ps);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ps_unlink(fd));
	p = map(fd, N * ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < N; i++)
		p[i * ps] = 'A' + i % 26;
	ASSERT_EQ(0, read_pages_faults(p, N, ps, got));

	ASSERT_EQ(0, ps_restrict(fd, 0, PROTSHM_PROT_READ, 0));
	EXPECT_EQ(0, read_pages_faults(p, N, ps, got));
	for (i = 0; i < N; i++)
		ASSERT_EQ('A' + i % 26, got[i]);
	ASSERT_ACCERR(probe_write(p + 5 * ps, 'x'), p + 5 * ps);

	q = map(fd, N * ps, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_LT(0, read_pages_faults(q, N, ps, got));
	ASSERT_EQ('A' + 7, got[7]);
	ASSERT_EQ(0, munmap((void *)q, N * ps));
	ASSERT_EQ(0, munmap((void *)p, N * ps));
	ASSERT_EQ(0, close(fd));
}

/* C of spawn_line(): attach after a byte on @go, send the ceiling to @res. */
static void __attribute__((noreturn)) line_child(const char *name, int go,
						 int res)
{
	uint32_t ceiling;
	int fd;
	char b;

	CHILD_ASSERT(read(go, &b, 1) == 1);
	fd = ps_open();
	CHILD_ASSERT(fd >= 0 && !ps_attach(fd, name, PROTSHM_PROT_RW));
	ceiling = ceiling_of(fd);
	CHILD_ASSERT(write(res, &ceiling, sizeof(ceiling)) == sizeof(ceiling));
	_exit(0);
}

/* P of spawn_line(): restrict itself to READ, fork C, report C's pid. */
static void __attribute__((noreturn)) line_parent(const char *name, int go,
						  int res, int pids)
{
	int fd = ps_open();
	pid_t c;

	CHILD_ASSERT(fd >= 0 && !ps_attach(fd, name, PROTSHM_PROT_RW));
	CHILD_ASSERT(!ps_restrict(fd, 0, PROTSHM_PROT_READ, 0));
	c = fork();
	CHILD_ASSERT(c >= 0);
	if (!c)
		line_child(name, go, res);
	CHILD_ASSERT(write(pids, &c, sizeof(c)) == sizeof(c));
	CHILD_ASSERT(wait_child(c) == 0);
	_exit(0);
}

/*
 * Process P (no mapping) restricts itself to READ and forks C (no mapping
 * either), which waits.  Returns P's pid, and C's in *@child.
 */
static pid_t spawn_line(const char *name, int go, int res, pid_t *child)
{
	int pids[2];
	pid_t p;

	if (pipe(pids))
		return -1;
	p = fork();
	if (!p)
		line_parent(name, go, res, pids[1]);
	close(pids[1]);
	if (p < 0 || read(pids[0], child, sizeof(*child)) != sizeof(*child))
		p = -1;
	close(pids[0]);
	return p;
}

/*
 * RESTRICT_DESCENDANTS reaches a child that has neither a mapping nor an
 * attachment of its own making: its fork record gave it one.  Control:
 * without DESCENDANTS it keeps the ceiling it was forked with.
 */
TEST_F(protect, descendants_reach_unmapped_child)
{
	int desc;

	for (desc = 0; desc < 2; desc++) {
		uint32_t ceiling = ~0u;
		int go[2], res[2];
		pid_t p, c;

		ASSERT_EQ(0, pipe(go));
		ASSERT_EQ(0, pipe(res));
		p = spawn_line(self->name, go[0], res[1], &c);
		ASSERT_LT(0, p);
		ASSERT_EQ(0, ps_restrict(self->fd, p, PROTSHM_PROT_NONE,
					 desc ? PROTSHM_RESTRICT_DESCENDANTS : 0));
		ASSERT_EQ(1, write(go[1], "g", 1));
		ASSERT_EQ(sizeof(ceiling), read(res[0], &ceiling,
						sizeof(ceiling)));
		ASSERT_CHILD_OK(p);
		EXPECT_EQ(desc ? PROTSHM_PROT_NONE : PROTSHM_PROT_READ, ceiling);
		close(go[0]);
		close(go[1]);
		close(res[0]);
		close(res[1]);
	}
}

struct writer {
	volatile char *p;
	pthread_barrier_t barrier;
	int before, after;
	void *addr;
	int code;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;

	w->before = probe_write(w->p, 't');
	pthread_barrier_wait(&w->barrier);	/* written, PTE and TLB warm */
	pthread_barrier_wait(&w->barrier);	/* restricted */
	w->after = probe_write(w->p + 1, 'u');
	w->addr = probe_addr;
	w->code = probe_code;
	return NULL;
}

/* RESTRICT reaches every thread, including one that just wrote the page. */
TEST_F(protect, restrict_self_threads)
{
	struct writer w = { 0 };
	pthread_t thread;

	w.p = map(self->fd, self->ps, RW, 0);
	ASSERT_NE(MAP_FAILED, w.p);
	ASSERT_EQ(0, pthread_barrier_init(&w.barrier, NULL, 2));
	ASSERT_EQ(0, pthread_create(&thread, NULL, writer_thread, &w));
	pthread_barrier_wait(&w.barrier);
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ, 0));
	pthread_barrier_wait(&w.barrier);
	ASSERT_EQ(0, pthread_join(thread, NULL));

	ASSERT_EQ(0, w.before);
	ASSERT_EQ(SIGSEGV, w.after);
	ASSERT_EQ((void *)(w.p + 1), w.addr);
	ASSERT_EQ(SEGV_ACCERR, w.code);
	ASSERT_EQ('t', w.p[0]);
	ASSERT_EQ(0, w.p[1]);
	pthread_barrier_destroy(&w.barrier);
	ASSERT_EQ(0, munmap((void *)w.p, self->ps));
}

/* Only the owner (or CAP_IPC_OWNER) may restrict another process. */
TEST_F(protect, restrict_other_not_owner)
{
	size_t ps = self->ps;
	char name[PROTSHM_NAME_MAX];
	volatile char *p;
	pid_t pid, parent = getpid();
	int fd;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to another uid");
	ps_name(name, sizeof(name), "prot-shared");
	fd = ps_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ps_create(fd, name, self->size, 0666, PROTSHM_PROT_RW));
	p = map(fd, ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, probe_write(p, 'o'));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		volatile char *q;
		int fd2;

		CHILD_ASSERT(setgroups(0, NULL) == 0);
		CHILD_ASSERT(setresgid(65534, 65534, 65534) == 0);
		CHILD_ASSERT(setresuid(65534, 65534, 65534) == 0);
		fd2 = ps_open();
		CHILD_ASSERT(fd2 >= 0);
		CHILD_ASSERT(ps_attach(fd2, name, PROTSHM_PROT_RW) == 0);
		q = map(fd2, ps, RW, 0);
		CHILD_ASSERT(q != MAP_FAILED);
		CHILD_ASSERT(probe_write(q + 1, 'c') == 0);
		CHILD_ASSERT(q[0] == 'o');
		/* control: it may restrict itself */
		CHILD_ASSERT(ps_restrict(fd2, 0, PROTSHM_PROT_READ, 0) == 0);
		CHILD_ASSERT_ACCERR(probe_write(q + 1, 'x'), q + 1);
		CHILD_ASSERT(ps_restrict(fd2, getpid(), PROTSHM_PROT_READ,
					 0) == 0);
		/* but not the owner's process, through any fd */
		CHILD_ASSERT(ps_restrict(fd2, parent, PROTSHM_PROT_READ, 0) == -1 &&
			     errno == EPERM);
		CHILD_ASSERT(ps_restrict(fd2, parent, PROTSHM_PROT_NONE,
					 PROTSHM_RESTRICT_DESCENDANTS) == -1 &&
			     errno == EPERM);
		CHILD_ASSERT(ps_restrict(fd, parent, PROTSHM_PROT_READ, 0) == -1 &&
			     errno == EPERM);
		/* nor unlink it */
		CHILD_ASSERT(ps_unlink(fd2) == -1 && errno == EPERM);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);

	/* the owner was not restricted */
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(fd));
	ASSERT_EQ('c', p[1]);
	ASSERT_EQ(0, probe_write(p + 2, 'p'));
	ASSERT_EQ(0, ps_unlink(fd));
	ASSERT_EQ(0, munmap((void *)p, ps));
	ASSERT_EQ(0, close(fd));
}

/* RESTRICT of a process that is not attached, or does not exist: ESRCH. */
TEST_F(protect, restrict_other_esrch)
{
	struct sync_pipe s;
	pid_t pid;

	/* control: the caller's own pid, attached by CREATE */
	ASSERT_EQ(0, ps_restrict(self->fd, getpid(), PROTSHM_PROT_RW, 0));

	ASSERT_EQ(0, sync_init(&s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		volatile char *q;
		int fd;

		close(s.to_parent[0]);
		close(s.to_child[1]);
		CHILD_ASSERT(sync_recv(s.to_child[0]) == 'g');
		fd = ps_open();
		CHILD_ASSERT(fd >= 0);
		CHILD_ASSERT(ps_attach(fd, self->name, PROTSHM_PROT_RW) == 0);
		q = map(fd, self->ps, RW, 0);
		CHILD_ASSERT(q != MAP_FAILED);
		CHILD_ASSERT(probe_write(q, 'q') == 0);
		CHILD_ASSERT(sync_send(s.to_parent[1], 'a') == 0);
		CHILD_ASSERT(sync_recv(s.to_child[0]) == 'q');
		CHILD_ASSERT(ceiling_of(fd) == PROTSHM_PROT_READ);
		CHILD_ASSERT_ACCERR(probe_write(q, 'x'), q);
		_exit(0);
	}
	close(s.to_parent[1]);
	close(s.to_child[0]);

	/* alive, holds the owner's fd, but is not attached */
	ASSERT_ERRNO(ps_restrict(self->fd, pid, PROTSHM_PROT_READ, 0), ESRCH);
	ASSERT_EQ(0, sync_send(s.to_child[1], 'g'));
	ASSERT_EQ('a', sync_recv(s.to_parent[0]));
	/* attached now */
	ASSERT_EQ(0, ps_restrict(self->fd, pid, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'q'));
	ASSERT_CHILD_OK(pid);
	/* gone */
	ASSERT_ERRNO(ps_restrict(self->fd, pid, PROTSHM_PROT_READ, 0), ESRCH);
	close(s.to_parent[0]);
	close(s.to_child[1]);
}

/* A child forked after its parent was restricted inherits the ceiling. */
TEST_F(protect, fork_inherits_ceiling)
{
	size_t ps = self->ps;
	volatile char *p;
	pid_t pid;

	p = map(self->fd, self->size, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, probe_write(p, 'f'));

	/* control: forked while RW */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		volatile char *q;

		CHILD_ASSERT(ceiling_of(self->fd) == PROTSHM_PROT_RW);
		CHILD_ASSERT(probe_write(p + 1, 'c') == 0);
		q = map(self->fd, ps, RW, 0);
		CHILD_ASSERT(q != MAP_FAILED);
		CHILD_ASSERT(probe_write(q + 2, 'C') == 0);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	ASSERT_EQ('c', p[1]);
	ASSERT_EQ('C', p[2]);

	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		volatile char *q;
		char perms[5];
		int fd2;

		CHILD_ASSERT(ceiling_of(self->fd) == PROTSHM_PROT_READ);
		CHILD_ASSERT(!strcmp(maps_perms((void *)p, perms), "r--s"));
		CHILD_ASSERT_ACCERR(probe_write(p + 1, 'x'), p + 1);
		CHILD_ASSERT_ACCERR(probe_write(p + 3 * ps, 'x'), p + 3 * ps);
		CHILD_ASSERT(p[0] == 'f' && p[1] == 'c');
		CHILD_ASSERT(mprotect((void *)p, ps, RW) == -1 &&
			     errno == EACCES);
		q = map(self->fd, ps, PROT_READ, 0);
		CHILD_ASSERT(q != MAP_FAILED && q[2] == 'C');
		CHILD_ASSERT(map(self->fd, ps, RW, 0) == MAP_FAILED &&
			     errno == EACCES);
		fd2 = ps_open();
		CHILD_ASSERT(fd2 >= 0);
		CHILD_ASSERT(ps_attach(fd2, self->name, PROTSHM_PROT_RW) == 0);
		CHILD_ASSERT(ceiling_of(fd2) == PROTSHM_PROT_READ);
		CHILD_ASSERT(map(fd2, ps, RW, 0) == MAP_FAILED &&
			     errno == EACCES);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	ASSERT_EQ('c', p[1]);
	ASSERT_EQ(0, p[3 * ps]);
	ASSERT_EQ(0, munmap((void *)p, self->size));
}

/*
 * A child and a grandchild are forked while the parent is RW and write;
 * then the parent restricts itself with @flags, and they write again.
 * Without PROTSHM_RESTRICT_DESCENDANTS they keep writing, with it they
 * fault.
 */
static void restrict_after_fork(struct __test_metadata *_metadata,
				FIXTURE_DATA(protect) *self, uint32_t flags)
{
	int desc = !!(flags & PROTSHM_RESTRICT_DESCENDANTS);
	uint32_t want = desc ? PROTSHM_PROT_READ : PROTSHM_PROT_RW;
	struct sync_pipe s;
	volatile char *p;
	pid_t pid;

	p = map(self->fd, self->ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, sync_init(&s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pid_t gpid;
		int off;

		close(s.to_parent[0]);
		close(s.to_child[1]);
		CHILD_ASSERT(probe_write(p + 16, 'c') == 0);
		gpid = fork();
		CHILD_ASSERT(gpid >= 0);
		off = gpid ? 17 : 33;
		if (!gpid)
			CHILD_ASSERT(probe_write(p + 32, 'g') == 0);
		CHILD_ASSERT(sync_send(s.to_parent[1], 'w') == 0);
		CHILD_ASSERT(sync_recv(s.to_child[0]) == 'r');
		CHILD_ASSERT(ceiling_of(self->fd) == want);
		if (desc)
			CHILD_ASSERT_ACCERR(probe_write(p + off, 'X'), p + off);
		else
			CHILD_ASSERT(probe_write(p + off, 'X') == 0);
		if (gpid)
			CHILD_ASSERT(wait_child(gpid) == 0);
		_exit(0);
	}
	close(s.to_parent[1]);
	close(s.to_child[0]);
	ASSERT_EQ('w', sync_recv(s.to_parent[0]));
	ASSERT_EQ('w', sync_recv(s.to_parent[0]));
	/* control: both descendants wrote while RW */
	ASSERT_EQ('c', p[16]);
	ASSERT_EQ('g', p[32]);

	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ, flags));
	ASSERT_ACCERR(probe_write(p + 1, 'x'), p + 1);
	ASSERT_EQ(0, sync_send(s.to_child[1], 'r'));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'r'));
	ASSERT_CHILD_OK(pid);
	ASSERT_EQ(desc ? 0 : 'X', p[17]);
	ASSERT_EQ(desc ? 0 : 'X', p[33]);
	ASSERT_EQ(0, munmap((void *)p, self->ps));
	close(s.to_parent[0]);
	close(s.to_child[1]);
}

/* Without the flag, RESTRICT of a parent leaves its earlier children alone. */
TEST_F(protect, restrict_after_fork_self_only)
{
	restrict_after_fork(_metadata, self, 0);
}

/* With PROTSHM_RESTRICT_DESCENDANTS it reaches children and grandchildren. */
TEST_F(protect, restrict_after_fork_descendants)
{
	restrict_after_fork(_metadata, self, PROTSHM_RESTRICT_DESCENDANTS);
}

/*
 * A double fork does not escape PROTSHM_RESTRICT_DESCENDANTS: a child
 * forks a grandchild, which inherits the mapping, and exits at once; once
 * the parent has reaped it, the parent restricts itself with DESCENDANTS,
 * and the orphaned grandchild must be lowered too.
 */
TEST_F(protect, restrict_descendants_orphaned_grandchild)
{
	struct sync_pipe s;
	volatile char *p;
	pid_t pid;

	p = map(self->fd, self->ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, sync_init(&s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pid_t gpid = fork();

		CHILD_ASSERT(gpid >= 0);
		if (gpid)
			_exit(0);	/* the middle process goes at once */
		CHILD_ASSERT(probe_write(p + 32, 'g') == 0);
		CHILD_ASSERT(sync_send(s.to_parent[1], 'w') == 0);
		CHILD_ASSERT(sync_recv(s.to_child[0]) == 'r');
		CHILD_ASSERT(ceiling_of(self->fd) == PROTSHM_PROT_READ);
		CHILD_ASSERT_ACCERR(probe_write(p + 33, 'X'), p + 33);
		CHILD_ASSERT(sync_send(s.to_parent[1], 'd') == 0);
		_exit(0);
	}
	close(s.to_parent[1]);	/* a failing grandchild gives EOF */
	close(s.to_child[0]);
	ASSERT_CHILD_OK(pid);
	ASSERT_EQ('w', sync_recv(s.to_parent[0]));
	ASSERT_EQ('g', p[32]);	/* control: the grandchild wrote while RW */
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ,
				 PROTSHM_RESTRICT_DESCENDANTS));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'r'));
	ASSERT_EQ('d', sync_recv(s.to_parent[0]));
	ASSERT_EQ(0, p[33]);
	ASSERT_EQ(0, munmap((void *)p, self->ps));
	close(s.to_parent[0]);
	close(s.to_child[1]);
}

/*
 * An fd is capped by the ceiling of the process that bound it, wherever it
 * goes: a child binds an fd, passes it over SCM_RIGHTS, then restricts
 * itself; the parent (RW) can no longer map it RW.
 */
TEST_F(protect, fd_capped_by_binder)
{
	size_t ps = self->ps;
	volatile char *p, *q;
	int sv[2], fd;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int cfd;

		close(sv[0]);
		cfd = ps_open();
		CHILD_ASSERT(cfd >= 0);
		CHILD_ASSERT(ps_attach(cfd, self->name, PROTSHM_PROT_RW) == 0);
		CHILD_ASSERT(send_fd(sv[1], cfd) == 0);
		CHILD_ASSERT(sync_recv(sv[1]) == 'm');
		CHILD_ASSERT(ps_restrict(cfd, 0, PROTSHM_PROT_READ, 0) == 0);
		CHILD_ASSERT(sync_send(sv[1], 'r') == 0);
		CHILD_ASSERT(sync_recv(sv[1]) == 'd');
		_exit(0);
	}
	close(sv[1]);
	fd = recv_fd(sv[0]);
	ASSERT_LE(0, fd);

	/* control: while its binder is RW, the received fd maps RW */
	p = map(fd, ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, probe_write(p, 'p'));
	ASSERT_EQ(0, sync_send(sv[0], 'm'));
	ASSERT_EQ('r', sync_recv(sv[0]));

	/* the receiver's own ceiling is RW, but the binder's is READ */
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(fd));
	ASSERT_ERRNO(map(fd, ps, RW, 0), EACCES);
	q = map(fd, ps, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ('p', q[0]);
	/* the receiver's existing mapping and own fd are not affected */
	ASSERT_EQ(0, probe_write(p + 1, 'P'));
	ASSERT_EQ('P', q[1]);
	ASSERT_EQ(0, munmap((void *)q, ps));
	q = map(self->fd, ps, RW, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, probe_write(q + 2, 'Q'));

	ASSERT_EQ(0, sync_send(sv[0], 'd'));
	ASSERT_CHILD_OK(pid);
	ASSERT_EQ(0, munmap((void *)q, ps));
	ASSERT_EQ(0, munmap((void *)p, ps));
	ASSERT_EQ(0, close(fd));
	close(sv[0]);
}

/*
 * Unlink removes the name only: fds and mappings keep working with the
 * data, and the name can be created again as a new, zeroed segment.
 */
TEST_F(protect, unlink_keeps_data)
{
	size_t ps = self->ps;
	struct protshm_info info;
	char *p, *q, *r;
	uint64_t old_id;
	int fd2, fd3, i;

	p = map(self->fd, self->size, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < NR_PAGES; i++)
		memset(p + i * ps, 'a' + i, ps);
	ASSERT_EQ(0, ps_info(self->fd, &info, NULL));
	ASSERT_EQ(0, info.seg_flags & PROTSHM_INFO_UNLINKED);
	old_id = info.id;

	/* control: the name is found before the unlink */
	fd2 = ps_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ps_attach(fd2, self->name, PROTSHM_PROT_RW));

	ASSERT_EQ(0, ps_unlink(self->fd));
	ASSERT_EQ(0, ps_info(self->fd, &info, NULL));
	ASSERT_EQ(PROTSHM_INFO_UNLINKED, info.seg_flags & PROTSHM_INFO_UNLINKED);
	ASSERT_EQ(old_id, info.id);
	ASSERT_EQ(0, ps_info(fd2, &info, NULL));
	ASSERT_EQ(PROTSHM_INFO_UNLINKED, info.seg_flags & PROTSHM_INFO_UNLINKED);
	fd3 = ps_open();
	ASSERT_LE(0, fd3);
	ASSERT_ERRNO(ps_attach(fd3, self->name, PROTSHM_PROT_READ), ENOENT);

	/* the mapping and both fds keep working */
	for (i = 0; i < NR_PAGES; i++)
		ASSERT_TRUE(bytes_are(p + i * ps, 'a' + i, ps));
	ASSERT_EQ(0, probe_write(p + 5, 'U'));
	q = map(fd2, self->size, RW, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ('U', q[5]);
	ASSERT_EQ('d', q[3 * ps]);

	/* fds closed: the mappings alone keep the segment and its data */
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, probe_write(p + 6, 'V'));
	ASSERT_EQ('V', q[6]);
	ASSERT_EQ(0, munmap(p, self->size));
	for (i = 1; i < NR_PAGES; i++)
		ASSERT_TRUE(bytes_are(q + i * ps, 'a' + i, ps));
	ASSERT_EQ('U', q[5]);

	/* the name is free: a new, zeroed segment */
	ASSERT_EQ(0, ps_create(fd3, self->name, self->size, 0600,
			       PROTSHM_PROT_RW));
	self->fd = fd3;		/* unlinked by the teardown */
	ASSERT_EQ(0, ps_info(fd3, &info, NULL));
	ASSERT_NE(old_id, info.id);
	ASSERT_EQ(0, info.seg_flags & PROTSHM_INFO_UNLINKED);
	r = map(fd3, self->size, RW, 0);
	ASSERT_NE(MAP_FAILED, r);
	ASSERT_TRUE(bytes_are(r, 0, self->size));
	r[5] = 'N';
	ASSERT_EQ('U', q[5]);
	ASSERT_EQ(0, munmap(r, self->size));
	ASSERT_EQ(0, munmap(q, self->size));
}

/* A mapping keeps the segment after its only process's fds went away. */
TEST_F(protect, detach_keeps_data)
{
	char *p;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		volatile char *q;
		int fd = ps_open();

		CHILD_ASSERT(fd >= 0);
		CHILD_ASSERT(ps_attach(fd, self->name, PROTSHM_PROT_RW) == 0);
		q = map(fd, self->size, RW, 0);
		CHILD_ASSERT(q != MAP_FAILED);
		CHILD_ASSERT(close(fd) == 0);
		CHILD_ASSERT(probe_write(q + 3 * self->ps + 9, 'k') == 0);
		CHILD_ASSERT(ps_restrict(self->fd, 0, PROTSHM_PROT_NONE, 0) == 0);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	p = map(self->fd, self->size, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ('k', p[3 * self->ps + 9]);
	ASSERT_EQ(0, munmap(p, self->size));
}

/*
 * /proc/self/mem goes through vm_ops->access and honours the mapping's
 * current flags.
 */
TEST_F(protect, proc_self_mem)
{
	size_t ps = self->ps;
	volatile char *a, *b, *c;
	char buf[8];
	int mem;

	a = map(self->fd, ps, RW, 0);
	ASSERT_NE(MAP_FAILED, a);
	b = map(self->fd, ps, RW, 0);
	ASSERT_NE(MAP_FAILED, b);
	c = map(self->fd, ps, RW, ps);		/* never touched */
	ASSERT_NE(MAP_FAILED, c);
	mem = open("/proc/self/mem", O_RDWR);
	ASSERT_LE(0, mem);

	/* control: forced writes into writable mappings work */
	ASSERT_EQ(1, pwrite(mem, "W", 1, (uintptr_t)a));
	ASSERT_EQ('W', a[0]);
	ASSERT_EQ(1, pwrite(mem, "w", 1, (uintptr_t)(b + 1)));
	ASSERT_EQ('w', a[1]);
	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(sizeof(buf), pread(mem, buf, sizeof(buf), (uintptr_t)c));
	ASSERT_TRUE(bytes_are(buf, 0, sizeof(buf)));

	ASSERT_EQ(0, ps_restrict_mapping(self->fd, (void *)b, ps,
					 PROTSHM_PROT_READ));
	ASSERT_ERRNO(pwrite(mem, "X", 1, (uintptr_t)b), EIO);
	ASSERT_EQ('W', a[0]);
	/* reads of the readable mapping work */
	ASSERT_EQ(2, pread(mem, buf, 2, (uintptr_t)b));
	ASSERT_EQ('W', buf[0]);
	ASSERT_EQ('w', buf[1]);
	/* a is still writable that way */
	ASSERT_EQ(1, pwrite(mem, "Y", 1, (uintptr_t)(a + 2)));
	ASSERT_EQ('Y', b[2]);

	/* NONE: forced reads fail too */
	ASSERT_EQ(1, pread(mem, buf, 1, (uintptr_t)b));
	ASSERT_EQ(0, ps_restrict_mapping(self->fd, (void *)b, ps,
					 PROTSHM_PROT_NONE));
	ASSERT_ERRNO(pread(mem, buf, 1, (uintptr_t)b), EIO);
	ASSERT_EQ(1, pread(mem, buf, 1, (uintptr_t)a));
	ASSERT_EQ('W', buf[0]);

	/* a process ceiling of READ closes the RW mapping too */
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ, 0));
	ASSERT_ERRNO(pwrite(mem, "Z", 1, (uintptr_t)a), EIO);
	ASSERT_ERRNO(pwrite(mem, "Z", 1, (uintptr_t)c), EIO);
	ASSERT_EQ(1, pread(mem, buf, 1, (uintptr_t)a));
	ASSERT_EQ('W', buf[0]);
	ASSERT_EQ('W', a[0]);

	ASSERT_EQ(0, close(mem));
	ASSERT_EQ(0, munmap((void *)c, ps));
	ASSERT_EQ(0, munmap((void *)b, ps));
	ASSERT_EQ(0, munmap((void *)a, ps));
}

/* mremap(): never grows, may shrink, may move, keeps restrictions. */
TEST_F(protect, mremap)
{
	size_t ps = self->ps;
	volatile char *p, *q, *m;
	char *dst;
	char perms[5];

	p = map(self->fd, 2 * ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, probe_write(p + ps, 'p'));
	dst = mmap(NULL, 2 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);

	/* growing fails, in place or moving; so does duplicating */
	ASSERT_ERRNO(mremap((void *)p, 2 * ps, 3 * ps, 0), EFAULT);
	ASSERT_ERRNO(mremap((void *)p, 2 * ps, 3 * ps,
			    MREMAP_MAYMOVE), EFAULT);
	ASSERT_ERRNO(mremap((void *)p, 0, ps, MREMAP_MAYMOVE), EFAULT);
	ASSERT_STREQ("rw-s", maps_perms((void *)p, perms));
	/* control: shrinking works */
	ASSERT_EQ(p, mremap((void *)p, 2 * ps, ps, 0));
	ASSERT_EQ(0, probe_write(p, 'P'));

	/* control: moving a RW mapping keeps it writable */
	q = mremap((void *)p, ps, ps, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q);
	ASSERT_STREQ("rw-s", maps_perms((void *)q, perms));
	ASSERT_EQ('P', q[0]);
	ASSERT_EQ(0, probe_write(q + 1, 'Q'));

	/* moving a READ-restricted mapping keeps it read-only */
	m = map(self->fd, ps, RW, ps);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, probe_write(m + 1, 'm'));
	ASSERT_EQ(0, ps_restrict_mapping(self->fd, (void *)m, ps,
					 PROTSHM_PROT_READ));
	ASSERT_ACCERR(probe_write(m + 1, 'x'), m + 1);
	ASSERT_EQ(dst + ps, mremap((void *)m, ps, ps,
				   MREMAP_MAYMOVE | MREMAP_FIXED, dst + ps));
	m = dst + ps;
	ASSERT_STREQ("r--s", maps_perms((void *)m, perms));
	ASSERT_EQ('p', m[0]);
	ASSERT_EQ('m', m[1]);
	ASSERT_ACCERR(probe_write(m + 1, 'x'), m + 1);
	ASSERT_ERRNO(mprotect((void *)m, ps, RW), EACCES);
	/* the moved mappings are still mappings of the segment */
	ASSERT_EQ(0, ps_restrict_mapping(self->fd, (void *)q, ps,
					 PROTSHM_PROT_READ));
	ASSERT_ACCERR(probe_write(q + 1, 'x'), q + 1);
	ASSERT_EQ('Q', q[1]);

	ASSERT_EQ(0, munmap(dst, 2 * ps));
}

/*
 * Fork, optionally restrict to @ceiling, and execve() this binary with the
 * fixture fd inherited; exec_helper() checks what it can map.
 */
static int exec_with_ceiling(FIXTURE_DATA(protect) *self, uint32_t ceiling)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		char env[128];
		char *argv[] = { "protect_test", NULL };
		char *envp[] = { env, NULL };
		volatile char *q;

		q = map(self->fd, self->ps, RW, 0);
		CHILD_ASSERT(q != MAP_FAILED);
		CHILD_ASSERT(probe_write(q + 3, 'c') == 0);
		if (ceiling != PROTSHM_PROT_RW) {
			CHILD_ASSERT(ps_restrict(self->fd, 0, ceiling, 0) == 0);
			CHILD_ASSERT_ACCERR(probe_write(q + 3, 'x'), q + 3);
		}
		CHILD_ASSERT(fcntl(self->fd, F_SETFD, 0) == 0);
		snprintf(env, sizeof(env), PROTECT_EXEC_ENV "=%d:%u:%s",
			 self->fd, ceiling, self->name);
		execve("/proc/self/exe", argv, envp);
		CHILD_ASSERT(!"execve");
	}
	return wait_child(pid);
}

/* The ceiling belongs to the process and survives execve(). */
TEST_F(protect, exec_keeps_ceiling)
{
	volatile char *p;

	p = map(self->fd, self->ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 'e';

	/* control: an unrestricted process maps RW after execve() */
	ASSERT_EQ(0, exec_with_ceiling(self, PROTSHM_PROT_RW));
	ASSERT_EQ('E', p[1]);
	ASSERT_EQ('F', p[2]);
	p[1] = 0;
	p[2] = 0;

	ASSERT_EQ(0, exec_with_ceiling(self, PROTSHM_PROT_READ));
	ASSERT_EQ(0, p[1]);
	ASSERT_EQ(0, p[2]);
	ASSERT_EQ('c', p[3]);
	ASSERT_EQ(0, munmap((void *)p, self->ps));
}

/*
 * A CLONE_VM child (vfork-like, not a thread) shares the parent's address
 * space, so lowering the parent must bind the child too: otherwise the
 * child could map the segment writable where the parent can write to it.
 * The child only makes system calls: it shares the parent's heap and TLS.
 */
struct clone_vm_args {
	const char *name;
	size_t ps;
	int to_parent;
	int to_child;
};

static int clone_vm_child(void *arg)
{
	struct clone_vm_args *c = arg;
	char verdict = 'F', go;
	void *q;
	int fd;

	fd = open(PROTSHM_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ps_attach(fd, c->name, PROTSHM_PROT_RW))
		goto out;
	/* control: before the parent's restriction, RW mappings work */
	q = mmap(NULL, c->ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (q == MAP_FAILED || munmap(q, c->ps))
		goto out;
	if (write(c->to_parent, "r", 1) != 1 || read(c->to_child, &go, 1) != 1)
		goto out;
	q = mmap(NULL, c->ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (q != MAP_FAILED || errno != EACCES)
		goto out;
	q = mmap(NULL, c->ps, PROT_READ, MAP_SHARED, fd, 0);
	if (q == MAP_FAILED || munmap(q, c->ps))
		goto out;
	verdict = 'P';
out:
	if (write(c->to_parent, &verdict, 1) != 1)
		return 2;
	return 0;
}

TEST_F(protect, clone_vm_sibling_bound)
{
	struct clone_vm_args c = { .name = self->name, .ps = self->ps };
	size_t stack_size = 256 * 1024;
	int to_parent[2], to_child[2];
	char *stack, r = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	c.to_parent = to_parent[1];
	c.to_child = to_child[0];
	stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	ASSERT_NE(MAP_FAILED, stack);
	pid = clone(clone_vm_child, stack + stack_size, CLONE_VM | SIGCHLD, &c);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(to_parent[0], &r, 1));
	ASSERT_EQ('r', r);
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(1, write(to_child[1], "g", 1));
	ASSERT_EQ(1, read(to_parent[0], &r, 1));
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ('P', r);
	munmap(stack, stack_size);
}

/*
 * A mapping made by a CLONE_VM sibling lives on in the shared address space,
 * with the sibling's attachment, after the sibling has exited.  Lowering a
 * process that uses that address space must lower it too: a child forked
 * afterwards, or a sibling that attaches later, gets no more than the
 * lowered ceiling.  The CLONE_VM children only make system calls.
 */
struct sibling_args {
	const char *name;
	size_t ps;
	void *volatile map;
	int to_child;
};

/* clone(CLONE_VM) @fn(@arg) with a stack of its own; its pid or -1. */
static pid_t clone_vm(int (*fn)(void *), void *arg, char **stack)
{
	size_t stack_size = 256 * 1024;

	*stack = mmap(NULL, stack_size, RW,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (*stack == MAP_FAILED)
		return -1;
	return clone(fn, *stack + stack_size, CLONE_VM | SIGCHLD, arg);
}

/* The sibling: attach, map RW and exit; the mapping stays behind. */
static int sibling_map(void *arg)
{
	struct sibling_args *s = arg;
	int fd = open(PROTSHM_DEV, O_RDWR | O_CLOEXEC);
	void *p;

	if (fd < 0 || ps_attach(fd, s->name, PROTSHM_PROT_RW))
		return 1;
	p = mmap(NULL, s->ps, RW, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	s->map = p;
	return 0;
}

/*
 * A process expecting @ceiling attaches RW by name and tries to map RW
 * (writing 'c' at offset 1) and to write 'i' at offset 2 through @inherited,
 * a mapping it shares or inherited.
 */
static void check_new_attach(const char *name, volatile char *inherited,
			     size_t ps, uint32_t ceiling)
{
	volatile char *q;
	int fd = ps_open();

	CHILD_ASSERT(fd >= 0 && ps_attach(fd, name, PROTSHM_PROT_RW) == 0);
	CHILD_ASSERT(inherited[0] == 'q');
	q = map(fd, ps, RW, 0);
	if (ceiling == PROTSHM_PROT_RW) {
		CHILD_ASSERT(q != MAP_FAILED);
		CHILD_ASSERT(probe_write(q + 1, 'c') == 0);
		CHILD_ASSERT(probe_write(inherited + 2, 'i') == 0);
	} else {
		CHILD_ASSERT(q == MAP_FAILED && errno == EACCES);
		CHILD_ASSERT_ACCERR(probe_write(inherited + 2, 'i'),
				    inherited + 2);
	}
	CHILD_ASSERT(ceiling_of(fd) == ceiling);
}

/*
 * P: attached without a mapping of its own; a CLONE_VM sibling maps RW and
 * exits; P is restricted (by the test) to @ceiling, then forks C, which
 * must be held to @ceiling.
 */
static void __attribute__((noreturn))
sibling_fork_p(struct sync_pipe *s, const char *name, size_t ps,
	       uint32_t ceiling)
{
	struct sibling_args a = { .name = name, .ps = ps };
	int fd = ps_open();
	char *stack;
	pid_t pid;

	CHILD_ASSERT(fd >= 0 && ps_attach(fd, name, PROTSHM_PROT_RW) == 0);
	pid = clone_vm(sibling_map, &a, &stack);
	CHILD_ASSERT(pid > 0 && wait_child(pid) == 0);
	((volatile char *)a.map)[0] = 'q';
	CHILD_ASSERT(sync_send(s->to_parent[1], 'r') == 0);
	CHILD_ASSERT(sync_recv(s->to_child[0]) == 'g');
	pid = fork();
	if (!pid) {
		check_new_attach(name, a.map, ps, ceiling);
		_exit(0);
	}
	CHILD_ASSERT(wait_child(pid) == 0);
	_exit(0);
}

static void close_sync(struct sync_pipe *s)
{
	close(s->to_parent[0]);
	close(s->to_parent[1]);
	close(s->to_child[0]);
	close(s->to_child[1]);
}

/* Run sibling_fork_p(), restricting P to @ceiling; P's exit status. */
static int sibling_fork(FIXTURE_DATA(protect) *self, uint32_t ceiling)
{
	struct sync_pipe s;
	int ret = -1;
	pid_t pid;

	if (sync_init(&s))
		return -1;
	pid = fork();
	if (!pid)
		sibling_fork_p(&s, self->name, self->ps, ceiling);
	if (pid > 0 && sync_recv(s.to_parent[0]) == 'r' &&
	    (ceiling == PROTSHM_PROT_RW ||
	     !ps_restrict(self->fd, pid, ceiling, 0)))
		sync_send(s.to_child[1], 'g');
	if (pid > 0)
		ret = wait_child(pid);
	close_sync(&s);
	return ret;
}

typedef int (*sibling_run)(FIXTURE_DATA(protect) *self, uint32_t ceiling);

/*
 * @run unrestricted (the control: the new attachment maps RW, and both of
 * its writes land), then restricted to READ (nothing lands).
 */
static void sibling_cases(struct __test_metadata *_metadata,
			  FIXTURE_DATA(protect) *self, sibling_run run)
{
	volatile char *p = map(self->fd, self->ps, RW, 0);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, run(self, PROTSHM_PROT_RW));
	ASSERT_EQ('c', p[1]);
	ASSERT_EQ('i', p[2]);
	p[1] = 0;
	p[2] = 0;

	ASSERT_EQ(0, run(self, PROTSHM_PROT_READ));
	EXPECT_EQ('q', p[0]);
	EXPECT_EQ(0, p[1]);
	EXPECT_EQ(0, p[2]);
	ASSERT_EQ(0, munmap((void *)p, self->ps));
}

TEST_F(protect, fork_through_sibling_mapping)
{
	sibling_cases(_metadata, self, sibling_fork);
}

/* What R, a CLONE_VM child of P, is told; see sibling_late_p(). */
static struct {
	struct sibling_args a;
	uint32_t ceiling;
} late;

/* R: once P is restricted and gone, attach and check. */
static int sibling_late_r(void *arg)
{
	char go = 0;

	if (read(late.a.to_child, &go, 1) != 1 || go != 'g')
		_exit(1);
	check_new_attach(late.a.name, late.a.map, late.a.ps, late.ceiling);
	_exit(0);
}

/*
 * P maps RW (writing 'q'), clones R, sends R's pid and waits to be told to
 * exit; the test restricts P, lets it exit and reaps it, then lets R
 * attach: R shares the address space where P's lowered mapping lives.
 */
static void __attribute__((noreturn))
sibling_late_p(struct sync_pipe *s, int fd, size_t ps)
{
	char *stack;
	pid_t r;

	late.a.map = map(fd, ps, RW, 0);
	CHILD_ASSERT(late.a.map != MAP_FAILED);
	((volatile char *)late.a.map)[0] = 'q';
	r = clone_vm(sibling_late_r, NULL, &stack);
	CHILD_ASSERT(r > 0);
	CHILD_ASSERT(write(s->to_parent[1], &r, sizeof(r)) == sizeof(r));
	CHILD_ASSERT(sync_recv(s->to_child[0]) == 'x');
	_exit(0);
}

static int sibling_late_run(FIXTURE_DATA(protect) *self, uint32_t ceiling)
{
	struct sync_pipe s;
	pid_t pid, r = 0;
	int to_r[2];
	int ret = -1;

	if (sync_init(&s) || pipe(to_r) || prctl(PR_SET_CHILD_SUBREAPER, 1))
		return -1;
	late.a.name = self->name;
	late.a.ps = self->ps;
	late.a.to_child = to_r[0];
	late.ceiling = ceiling;
	pid = fork();
	if (!pid)
		sibling_late_p(&s, self->fd, self->ps);
	if (pid < 0 || read(s.to_parent[0], &r, sizeof(r)) != sizeof(r))
		goto out;
	if (ceiling != PROTSHM_PROT_RW &&
	    ps_restrict(self->fd, pid, ceiling, 0))
		goto out;
	/* P exits and is reaped; then R may go */
	if (sync_send(s.to_child[1], 'x') || wait_child(pid))
		goto out;
	pid = 0;
	if (sync_send(to_r[1], 'g'))
		goto out;
	ret = wait_child(r);
	r = 0;
out:
	if (pid > 0 && !kill(pid, SIGKILL))
		wait_child(pid);
	if (r > 0 && !kill(r, SIGKILL))
		wait_child(r);
	close(to_r[0]);
	close(to_r[1]);
	close_sync(&s);
	return ret;
}

TEST_F(protect, sibling_outlives_restricted)
{
	sibling_cases(_metadata, self, sibling_late_run);
}

/*
 * A pid number can be reused by another process between the moment the
 * owner looks it up and its RESTRICT; a pidfd cannot.  A attaches and
 * exits; B is created with A's pid (clone3 set_tid), attaches and maps RW.
 * RESTRICT by A's pidfd must fail with ESRCH and leave B writable; by B's
 * pidfd (the control) it lowers B.
 */
static int restrict_pidfd(int fd, int pidfd, uint32_t prot)
{
	struct protshm_restrict r = {
		.size = sizeof(r), .flags = PROTSHM_RESTRICT_PIDFD,
		.pid = pidfd, .prot = prot,
	};

	return ioctl(fd, PROTSHM_IOC_RESTRICT, &r) ? errno : 0;
}

/* A child that attaches and maps RW, then writes when told ('w'). */
static void __attribute__((noreturn))
pidfd_target(struct sync_pipe *s, const char *name, size_t ps)
{
	volatile char *p;
	int fd = ps_open();
	char cmd;

	CHILD_ASSERT(fd >= 0 && ps_attach(fd, name, PROTSHM_PROT_RW) == 0);
	p = map(fd, ps, RW, 0);
	CHILD_ASSERT(p != MAP_FAILED);
	CHILD_ASSERT(sync_send(s->to_parent[1], 'r') == 0);
	while ((cmd = sync_recv(s->to_child[0])) == 'w')
		CHILD_ASSERT(sync_send(s->to_parent[1],
				       probe_write(p + 1, 'w') ? 'S' : 'W') == 0);
	_exit(cmd == 'x' ? 0 : 1);
}

/* clone3() with @tid as the child's pid; like fork(). */
static pid_t fork_with_pid(pid_t tid)
{
	struct clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&tid,
		.set_tid_size = 1,
	};

	return syscall(SYS_clone3, &args, sizeof(args));
}

/*
 * pidfd_target() in a new process, with pid number @pid unless it is 0;
 * its pid, or -1 (errno).
 */
static pid_t pidfd_target_as(struct sync_pipe *s, const char *name, size_t ps,
			     pid_t pid)
{
	pid_t b = pid ? fork_with_pid(pid) : fork();

	if (!b)
		pidfd_target(s, name, ps);
	return b;
}

TEST_F(protect, restrict_pidfd_reused_pid)
{
	volatile char *p = map(self->fd, self->ps, RW, 0);
	struct sync_pipe s;
	pid_t a, b;
	int pidfd_a, pidfd_b;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, sync_init(&s));
	a = pidfd_target_as(&s, self->name, self->ps, 0);
	ASSERT_LT(0, a);
	ASSERT_EQ('r', sync_recv(s.to_parent[0]));
	pidfd_a = syscall(SYS_pidfd_open, a, 0);
	ASSERT_LE(0, pidfd_a);
	ASSERT_EQ(0, sync_send(s.to_child[1], 'x'));
	ASSERT_CHILD_OK(a);

	b = pidfd_target_as(&s, self->name, self->ps, a);
	if (b < 0 && (errno == EPERM || errno == EEXIST || errno == ENOSYS))
		SKIP(return, "cannot create a process with pid %d: %s", a,
		     strerror(errno));
	ASSERT_EQ(a, b);
	ASSERT_EQ('r', sync_recv(s.to_parent[0]));
	pidfd_b = syscall(SYS_pidfd_open, b, 0);
	ASSERT_LE(0, pidfd_b);

	/* A's pidfd does not name B, although B has A's pid number */
	ASSERT_EQ(ESRCH, restrict_pidfd(self->fd, pidfd_a,
					PROTSHM_PROT_READ));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'w'));
	ASSERT_EQ('W', sync_recv(s.to_parent[0]));
	ASSERT_EQ('w', p[1]);
	p[1] = 0;

	/* control: B's own pidfd */
	ASSERT_EQ(0, restrict_pidfd(self->fd, pidfd_b, PROTSHM_PROT_READ));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'w'));
	ASSERT_EQ('S', sync_recv(s.to_parent[0]));
	ASSERT_EQ(0, p[1]);
	ASSERT_EQ(0, sync_send(s.to_child[1], 'x'));
	ASSERT_CHILD_OK(b);
	close(pidfd_a);
	close(pidfd_b);
	close_sync(&s);
	ASSERT_EQ(0, munmap((void *)p, self->ps));
}

/* INFO's nr_attachments of the segment behind @fd, or -1. */
static int nr_attached(int fd)
{
	struct protshm_info info;

	return ps_info(fd, &info, NULL) ? -1 : (int)info.nr_attachments;
}

/*
 * Attachments are looked up by the process's struct pid, not its pid
 * number, and the attachment of a process that exited may stay in the
 * segment's index until the next prune.  A attaches, maps RW and is
 * restricted to READ (its write faults: the control), then exits; B, made
 * with A's pid number, attaches and maps RW: it gets an attachment of its
 * own, at RW, and writes.
 */
TEST_F(protect, reused_pid_gets_fresh_attachment)
{
	volatile char *p = map(self->fd, self->ps, RW, 0);
	struct sync_pipe s;
	pid_t a, b;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, sync_init(&s));
	a = pidfd_target_as(&s, self->name, self->ps, 0);
	ASSERT_LT(0, a);
	ASSERT_EQ('r', sync_recv(s.to_parent[0]));
	ASSERT_EQ(0, ps_restrict(self->fd, a, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'w'));
	ASSERT_EQ('S', sync_recv(s.to_parent[0]));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'x'));
	ASSERT_CHILD_OK(a);

	b = pidfd_target_as(&s, self->name, self->ps, a);
	if (b < 0 && (errno == EPERM || errno == EEXIST || errno == ENOSYS))
		SKIP(return, "cannot create a process with pid %d: %s", a,
		     strerror(errno));
	ASSERT_EQ(a, b);
	ASSERT_EQ('r', sync_recv(s.to_parent[0]));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'w'));
	ASSERT_EQ('W', sync_recv(s.to_parent[0]));
	ASSERT_EQ('w', p[1]);
	EXPECT_EQ(2, nr_attached(self->fd));	/* this process and B */
	ASSERT_EQ(0, sync_send(s.to_child[1], 'x'));
	ASSERT_CHILD_OK(b);
	close_sync(&s);
	ASSERT_EQ(0, munmap((void *)p, self->ps));
}

/*
 * A child that inherited a mapping has an attachment from the fork, first
 * keyed by its new address space; when it attaches by name itself, the
 * lookup finds that one (no second attachment), and its own RESTRICT
 * lowers the inherited mapping: a write faults.  Control: before that, the
 * inherited mapping is writable.
 */
TEST_F(protect, forked_child_attach_finds_inherited)
{
	volatile char *p = map(self->fd, self->ps, RW, 0);
	struct sync_pipe s;
	pid_t c;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, sync_init(&s));
	c = fork();
	ASSERT_LE(0, c);
	if (!c) {
		int fd = ps_open();

		CHILD_ASSERT(probe_write(p + 2, 'c') == 0);
		CHILD_ASSERT(fd >= 0);
		CHILD_ASSERT(ps_attach(fd, self->name, PROTSHM_PROT_RW) == 0);
		CHILD_ASSERT(sync_send(s.to_parent[1], 'a') == 0);
		CHILD_ASSERT(sync_recv(s.to_child[0]) == 'r');
		CHILD_ASSERT(ps_restrict(fd, 0, PROTSHM_PROT_READ, 0) == 0);
		CHILD_ASSERT(probe_accerr(probe_write(p + 2, 'd'), p + 2));
		_exit(0);
	}
	ASSERT_EQ('a', sync_recv(s.to_parent[0]));
	EXPECT_EQ(2, nr_attached(self->fd));	/* this process and the child */
	ASSERT_EQ(0, sync_send(s.to_child[1], 'r'));
	ASSERT_CHILD_OK(c);
	ASSERT_EQ('c', p[2]);
	close_sync(&s);
	ASSERT_EQ(0, munmap((void *)p, self->ps));
}

/*
 * Attachments of processes that exited are forgotten in batches; whatever
 * the batch, the count of INFO is exact and a new attachment works.
 * NR_EXITED children attach and exit; then one more attaches and writes.
 */
#define NR_EXITED	40

TEST_F(protect, many_exited_attachments_forgotten)
{
	volatile char *p = map(self->fd, self->ps, RW, 0);
	struct sync_pipe s;
	pid_t c;
	int i;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, sync_init(&s));
	for (i = 0; i < NR_EXITED; i++) {
		c = fork();
		ASSERT_LE(0, c);
		if (!c) {
			int fd = ps_open();

			CHILD_ASSERT(fd >= 0);
			_exit(ps_attach(fd, self->name, PROTSHM_PROT_RW) ? 1 : 0);
		}
		ASSERT_CHILD_OK(c);
	}
	EXPECT_EQ(1, nr_attached(self->fd));
	c = pidfd_target_as(&s, self->name, self->ps, 0);
	ASSERT_LT(0, c);
	ASSERT_EQ('r', sync_recv(s.to_parent[0]));
	EXPECT_EQ(2, nr_attached(self->fd));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'w'));
	ASSERT_EQ('W', sync_recv(s.to_parent[0]));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'x'));
	ASSERT_CHILD_OK(c);
	EXPECT_EQ(1, nr_attached(self->fd));
	close_sync(&s);
	ASSERT_EQ(0, munmap((void *)p, self->ps));
}

TEST_HARNESS_MAIN
