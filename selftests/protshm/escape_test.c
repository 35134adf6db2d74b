// SPDX-License-Identifier: GPL-2.0
/*
 * Escape routes: every way a process could get back, or around, access to
 * a segment that a restriction took away (the escape-route table, rows A-G,
 * of Documentation/security/threat-model.rst; the promise itself is
 * "What RESTRICT guarantees" in Documentation/userspace-api/protshm.rst).
 *
 * Each test first runs its route as a control that must succeed - on the
 * still unrestricted mapping, or, for routes protshm refuses by design, on
 * an ordinary memfd or anonymous mapping - then restricts the process and
 * runs the route again, where it must fail.  No test can pass because its
 * setup was broken.
 *
 * The variants restrict the test process to READ or to NONE, either itself
 * (RESTRICT with pid 0) or by the owner from another process.  A "witness"
 * process, forked in the setup before any restriction, keeps its own RW
 * mapping: it checks the segment's bytes from outside (the test process
 * may not read them any more) and is the owner that restricts the test
 * process.
 *
 * Pins: segment pages are special PTEs of a VM_IO mapping, so
 * get_user_pages() refuses them (EFAULT) whether a mapping is restricted
 * or not: process_vm_readv/writev, O_DIRECT, vmsplice, io_uring fixed
 * buffers, MADV_POPULATE_*, shared futexes.  Pins on protshm memory are
 * impossible by design, so nothing pinned can outlive a restriction.  The
 * tests of those routes run the control on a memfd mapping, then check the
 * failure on an unrestricted and on a restricted protshm mapping.
 *
 * The binary re-executes itself with ESCAPE_EXEC_ENV set for the execve()
 * route; exec_helper() handles that before the harness starts.
 */
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/futex.h>
#include <linux/userfaultfd.h>
#include <liburing.h>

#include "common.h"
#include "kselftest_harness.h"

#define NR_PAGES	4
#define RW		(PROT_READ | PROT_WRITE)
#define ESCAPE_EXEC_ENV	"PROTSHM_ESCAPE_EXEC"

/*
 * Offsets in the segment's first page of the bytes that helpers running in
 * other processes write or probe, and the tests then read back through the
 * witness (wread()).
 */
#define OFF_RECEIVED	10	/* receiver_main(): through a received fd */
#define OFF_CHILD_NEW	11	/* a child's or exec'ed program's new mapping */
#define OFF_CHILD_OLD	12	/* a child's inherited mapping (probed) */
#define OFF_ORPHAN	13	/* orphan_child(): through its own attachment */

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

/* The byte at offset @off of the segment, as a fresh pattern has it. */
static char pattern(size_t off, size_t ps)
{
	return 'a' + off / ps;
}

static void *map_at(void *addr, int fd, size_t len, int prot, off_t off)
{
	return mmap(addr, len, prot, MAP_SHARED | MAP_FIXED, fd, off);
}

/* Open a new fd and ATTACH it to @name with @prot; the fd or -1. */
static int attach_new(const char *name, uint32_t prot)
{
	int fd = ps_open();

	if (fd < 0)
		return -1;
	if (ps_attach(fd, name, prot)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A memfd of @len bytes mapped shared RW at *@p; the memfd or -1. */
static int memfd_map(size_t len, char **p)
{
	int fd = memfd_create("escape-control", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, len)) {
		close(fd);
		return -1;
	}
	*p = mmap(NULL, len, RW, MAP_SHARED, fd, 0);
	if (*p == MAP_FAILED) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 0 if mmap(@prot) of @fd works (the mapping is removed again), or errno. */
static int map_err(int fd, size_t len, int prot)
{
	void *q = map(fd, len, prot, 0);

	if (q == MAP_FAILED)
		return errno;
	munmap(q, len);
	return 0;
}

/*
 * The witness: a process forked before any restriction, with its own RW
 * mapping of the whole segment, serving requests over a socket.
 */
enum { W_QUIT, W_READ, W_WRITE, W_RESTRICT, W_MEM_WRITE, W_MEM_READ };

struct wmsg {
	int op;
	uint32_t prot;
	uint32_t flags;
	pid_t pid;
	uint64_t off;
	char val;
};

struct wreply {
	long ret;
	int err;
};

/* Read or write one byte of process @pid at @addr through /proc/pid/mem. */
static long proc_mem_rw(pid_t pid, uint64_t addr, char *val, int write)
{
	char path[64];
	long ret;
	int mem;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, write ? O_RDWR : O_RDONLY);
	if (mem < 0)
		return -1;
	if (write)
		ret = pwrite(mem, val, 1, addr);
	else
		ret = pread(mem, val, 1, addr);
	if (ret < 0) {
		int e = errno;

		close(mem);
		errno = e;
		return -1;
	}
	close(mem);
	return ret;
}

static void __attribute__((noreturn))
witness_main(int sock, int fd, volatile char *p, size_t size)
{
	struct wreply r;
	struct wmsg m;

	for (;;) {
		if (read(sock, &m, sizeof(m)) != sizeof(m))
			_exit(1);
		r.ret = 0;
		r.err = 0;
		errno = 0;
		switch (m.op) {
		case W_QUIT:
			_exit(0);
		case W_READ:
			if (m.off >= size)
				_exit(2);
			r.ret = (unsigned char)p[m.off];
			break;
		case W_WRITE:
			if (m.off >= size)
				_exit(2);
			p[m.off] = m.val;
			break;
		case W_RESTRICT:
			r.ret = ps_restrict(fd, m.pid, m.prot, m.flags);
			break;
		case W_MEM_WRITE:
			r.ret = proc_mem_rw(m.pid, m.off, &m.val, 1);
			break;
		case W_MEM_READ:
			r.ret = proc_mem_rw(m.pid, m.off, &m.val, 0);
			if (r.ret == 1)
				r.ret = (unsigned char)m.val;
			break;
		default:
			_exit(3);
		}
		r.err = errno;
		if (write(sock, &r, sizeof(r)) != sizeof(r))
			_exit(1);
	}
}

FIXTURE(escape) {
	char name[PROTSHM_NAME_MAX];
	size_t ps;
	size_t size;
	int fd;
	char *p;	/* RW mapping of the whole segment, made in the setup */
	size_t p_len;
	pid_t witness;
	int wsock;
};

FIXTURE_VARIANT(escape) {
	uint32_t prot;		/* the ceiling the test process is lowered to */
	int by_owner;		/* restricted by the owner (witness), not itself */
};

FIXTURE_VARIANT_ADD(escape, self_read) {
	.prot = PROTSHM_PROT_READ,
	.by_owner = 0,
};

FIXTURE_VARIANT_ADD(escape, self_none) {
	.prot = PROTSHM_PROT_NONE,
	.by_owner = 0,
};

FIXTURE_VARIANT_ADD(escape, owner_read) {
	.prot = PROTSHM_PROT_READ,
	.by_owner = 1,
};

FIXTURE_VARIANT_ADD(escape, owner_none) {
	.prot = PROTSHM_PROT_NONE,
	.by_owner = 1,
};

/* Send a request to the witness; its ret (errno in *err), or LONG_MIN. */
static long wcall(FIXTURE_DATA(escape) *self, int op, uint64_t off, char val,
		  pid_t pid, uint32_t prot, uint32_t flags, int *err)
{
	struct wmsg m = {
		.op = op, .off = off, .val = val, .pid = pid, .prot = prot,
		.flags = flags,
	};
	struct wreply r;

	if (write(self->wsock, &m, sizeof(m)) != sizeof(m) ||
	    read(self->wsock, &r, sizeof(r)) != sizeof(r))
		return LONG_MIN;
	if (err)
		*err = r.err;
	return r.ret;
}

/* The segment's byte at @off, read by the witness (-1 on error). */
static int wread(FIXTURE_DATA(escape) *self, size_t off)
{
	long r = wcall(self, W_READ, off, 0, 0, 0, 0, NULL);

	return r == LONG_MIN ? -1 : (int)r;
}

static int wwrite(FIXTURE_DATA(escape) *self, size_t off, char val)
{
	return wcall(self, W_WRITE, off, val, 0, 0, 0, NULL) == 0 ? 0 : -1;
}

FIXTURE_SETUP(escape)
{
	int sv[2];
	size_t i;

	SKIP_WITHOUT_DEVICE();
	self->fd = -1;
	self->witness = -1;
	self->wsock = -1;
	self->p = NULL;
	self->ps = page_size();
	self->size = NR_PAGES * self->ps;
	ps_name(self->name, sizeof(self->name), "esc");
	self->fd = ps_new(self->name, self->size);
	ASSERT_LE(0, self->fd) {
		TH_LOG("create %s: %s", self->name, strerror(errno));
	}
	self->p = map(self->fd, self->size, RW, 0);
	ASSERT_NE(MAP_FAILED, self->p);
	self->p_len = self->size;
	for (i = 0; i < self->size; i++)
		self->p[i] = pattern(i, self->ps);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	self->witness = fork();
	ASSERT_LE(0, self->witness);
	if (!self->witness) {
		close(sv[0]);
		witness_main(sv[1], self->fd, self->p, self->size);
	}
	close(sv[1]);
	self->wsock = sv[0];
	ASSERT_EQ('a', wread(self, 0));
	ASSERT_EQ('d', wread(self, self->size - 1));
}

FIXTURE_TEARDOWN(escape)
{
	struct protshm_info info;

	if (self->witness > 0) {
		wcall(self, W_QUIT, 0, 0, 0, 0, 0, NULL);
		EXPECT_CHILD_OK(self->witness);
	}
	if (self->wsock >= 0)
		close(self->wsock);
	if (self->p && self->p != MAP_FAILED)
		munmap(self->p, self->p_len);
	if (self->fd < 0)
		return;
	EXPECT_EQ(0, ps_info(self->fd, &info, NULL));
	if (!(info.seg_flags & PROTSHM_INFO_UNLINKED))
		EXPECT_EQ(0, ps_unlink(self->fd));
	EXPECT_EQ(0, close(self->fd));
}

static int is_none(const FIXTURE_VARIANT(escape) *variant)
{
	return variant->prot == PROTSHM_PROT_NONE;
}

/* The permissions every mapping of the restricted process must show. */
static const char *restricted_perms(const FIXTURE_VARIANT(escape) *variant)
{
	return is_none(variant) ? "---s" : "r--s";
}

/* The errno of a readable mmap once restricted: 0 under READ. */
static int read_map_err(const FIXTURE_VARIANT(escape) *variant)
{
	return is_none(variant) ? EACCES : 0;
}

/*
 * Lower the test process to variant->prot: itself, or by the owner from
 * the witness process.  Checks the new ceiling.
 */
static void restrict_me(struct __test_metadata *_metadata,
			FIXTURE_DATA(escape) *self,
			const FIXTURE_VARIANT(escape) *variant)
{
	int err = 0;

	if (variant->by_owner) {
		ASSERT_EQ(0, wcall(self, W_RESTRICT, 0, 0, getpid(),
				   variant->prot, 0, &err)) {
			TH_LOG("owner's RESTRICT: %s", strerror(err));
		}
	} else {
		ASSERT_EQ(0, ps_restrict(self->fd, 0, variant->prot, 0));
	}
	ASSERT_EQ(variant->prot, ceiling_of(self->fd));
}

#define RESTRICT() restrict_me(_metadata, self, variant)

/* ---- A: upgrading an existing mapping -------------------------------- */

/* A1: mprotect() of a mapping made before the restriction. */
TEST_F(escape, mprotect_up)
{
	size_t ps = self->ps;
	char *p = self->p;
	char perms[5];

	/* control: down and up again, then a write */
	ASSERT_EQ(0, mprotect(p, self->size, PROT_READ));
	ASSERT_ACCERR(probe_write(p + 1, 'x'), p + 1);
	ASSERT_EQ(0, mprotect(p, self->size, PROT_NONE));
	ASSERT_EQ(0, mprotect(p, self->size, RW));
	ASSERT_EQ(0, probe_write(p + 1, 'M'));
	ASSERT_EQ('M', wread(self, 1));

	RESTRICT();
	ASSERT_STREQ(restricted_perms(variant), maps_perms(p, perms));
	ASSERT_ERRNO(mprotect(p, self->size, RW), EACCES);
	ASSERT_ERRNO(mprotect(p, ps, PROT_WRITE), EACCES);
	ASSERT_ERRNO(mprotect(p + ps, ps, RW), EACCES);
	ASSERT_ERRNO(mprotect(p, self->size, RW | PROT_EXEC), EACCES);
	if (is_none(variant)) {
		ASSERT_ERRNO(mprotect(p, self->size, PROT_READ), EACCES);
		ASSERT_ACCERR(probe_read(p + 2), p + 2);
	} else {
		ASSERT_EQ(0, mprotect(p, self->size, PROT_READ));
		ASSERT_EQ(0, probe_read(p + 2));
	}
	ASSERT_STREQ(restricted_perms(variant), maps_perms(p, perms));
	ASSERT_ACCERR(probe_write(p + 1, 'x'), p + 1);
	ASSERT_ACCERR(probe_write(p + 3 * ps + 9, 'x'), p + 3 * ps + 9);
	ASSERT_EQ('M', wread(self, 1));
	ASSERT_EQ('d', wread(self, 3 * ps + 9));
}

/* A3: a mapping split into four VMAs before the restriction. */
TEST_F(escape, mprotect_split_before)
{
	size_t ps = self->ps;
	char *p = self->p;
	char perms[5];
	int i;

	/* control: split it (VM_IO mappings never merge back), raise each */
	for (i = 0; i < NR_PAGES; i++)
		ASSERT_EQ(0, mprotect(p + i * ps, ps,
				      i % 2 ? PROT_READ : PROT_NONE));
	for (i = 0; i < NR_PAGES; i++) {
		ASSERT_EQ(0, mprotect(p + i * ps, ps, RW));
		ASSERT_STREQ("rw-s", maps_perms(p + i * ps, perms));
		ASSERT_EQ(0, probe_write(p + i * ps + 5, 'S'));
	}

	RESTRICT();
	for (i = 0; i < NR_PAGES; i++) {
		ASSERT_STREQ(restricted_perms(variant),
			     maps_perms(p + i * ps, perms));
		ASSERT_ERRNO(mprotect(p + i * ps, ps, RW), EACCES);
		ASSERT_ACCERR(probe_write(p + i * ps + 6, 'x'), p + i * ps + 6);
		ASSERT_EQ('S', wread(self, i * ps + 5));
		ASSERT_EQ(pattern(i * ps, ps), wread(self, i * ps + 6));
	}
	/* across the pieces, and all of them */
	ASSERT_ERRNO(mprotect(p + ps, 2 * ps, RW), EACCES);
	ASSERT_ERRNO(mprotect(p, self->size, RW), EACCES);
	if (is_none(variant)) {
		ASSERT_ERRNO(mprotect(p + ps, 2 * ps, PROT_READ), EACCES);
	} else {
		ASSERT_EQ(0, mprotect(p + ps, 2 * ps, PROT_READ));
	}
	for (i = 0; i < NR_PAGES; i++)
		ASSERT_STREQ(restricted_perms(variant),
			     maps_perms(p + i * ps, perms));
}

/* A3: a mapping split after the restriction; pieces stay bounded. */
TEST_F(escape, mprotect_split_after)
{
	size_t ps = self->ps;
	char *p = self->p, *q;
	char perms[5];

	/* control: an unrestricted mapping split and raised again */
	q = map(self->fd, self->size, RW, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, mprotect(q + ps, ps, PROT_NONE));
	ASSERT_STREQ("---s", maps_perms(q + ps, perms));
	ASSERT_EQ(0, mprotect(q + ps, ps, RW));
	ASSERT_EQ(0, probe_write(q + ps + 3, 'T'));
	ASSERT_EQ('T', wread(self, ps + 3));

	RESTRICT();
	/*
	 * Split p now (a flag change does it under any ceiling): no piece
	 * goes above the ceiling, but a piece can go down.
	 */
	ASSERT_EQ(0, madvise(p + ps, ps, MADV_DONTFORK));
	ASSERT_STREQ(restricted_perms(variant), maps_perms(p, perms));
	ASSERT_STREQ(restricted_perms(variant), maps_perms(p + ps, perms));
	ASSERT_STREQ(restricted_perms(variant), maps_perms(p + 2 * ps, perms));
	ASSERT_EQ(0, mprotect(p + ps, ps, PROT_NONE));
	ASSERT_STREQ("---s", maps_perms(p + ps, perms));
	ASSERT_ERRNO(mprotect(p + ps, ps, RW), EACCES);
	ASSERT_ERRNO(mprotect(p + ps, ps, PROT_WRITE), EACCES);
	ASSERT_ERRNO(mprotect(p, 2 * ps, RW), EACCES);
	if (is_none(variant)) {
		ASSERT_ERRNO(mprotect(p + ps, ps, PROT_READ), EACCES);
	} else {
		ASSERT_EQ(0, mprotect(p + ps, ps, PROT_READ));
		ASSERT_EQ('T', p[ps + 3]);
	}
	ASSERT_ACCERR(probe_write(p + ps + 3, 'x'), p + ps + 3);
	/* q, the control, was lowered as well */
	ASSERT_STREQ(restricted_perms(variant), maps_perms(q, perms));
	ASSERT_ERRNO(mprotect(q + ps, ps, RW), EACCES);
	ASSERT_ACCERR(probe_write(q + ps + 3, 'x'), q + ps + 3);
	ASSERT_EQ('T', wread(self, ps + 3));
	ASSERT_EQ(0, munmap(q, self->size));
}

/* A2: pkey_mprotect(), with no key and with an allocated key. */
TEST_F(escape, pkey_mprotect)
{
	size_t ps = self->ps;
	char *p = self->p;
	char perms[5];
	long pkey;

	pkey = syscall(SYS_pkey_alloc, 0, 0);
	if (pkey < 0)
		TH_LOG("pkey_alloc: %s: checking pkey -1 only", strerror(errno));

	/* control */
	ASSERT_EQ(0, syscall(SYS_pkey_mprotect, p, self->size, PROT_READ, -1));
	ASSERT_EQ(0, syscall(SYS_pkey_mprotect, p, self->size, RW, -1));
	if (pkey >= 0) {
		ASSERT_EQ(0, syscall(SYS_pkey_mprotect, p, ps, PROT_READ, pkey));
		ASSERT_EQ(0, syscall(SYS_pkey_mprotect, p, ps, RW, pkey));
	}
	ASSERT_EQ(0, probe_write(p + 7, 'K'));
	ASSERT_EQ('K', wread(self, 7));

	RESTRICT();
	ASSERT_ERRNO(syscall(SYS_pkey_mprotect, p, self->size, RW, -1), EACCES);
	ASSERT_ERRNO(syscall(SYS_pkey_mprotect, p + ps, ps, RW, -1), EACCES);
	if (pkey >= 0) {
		ASSERT_ERRNO(syscall(SYS_pkey_mprotect, p, ps, RW,
				     pkey), EACCES);
		ASSERT_ERRNO(syscall(SYS_pkey_mprotect, p + ps, ps,
				     RW, pkey), EACCES);
	}
	if (is_none(variant)) {
		ASSERT_ERRNO(syscall(SYS_pkey_mprotect, p, ps,
				     PROT_READ, -1), EACCES);
	} else {
		ASSERT_EQ(0, syscall(SYS_pkey_mprotect, p, ps, PROT_READ, -1));
	}
	ASSERT_STREQ(restricted_perms(variant), maps_perms(p, perms));
	ASSERT_ACCERR(probe_write(p + 7, 'x'), p + 7);
	ASSERT_EQ('K', wread(self, 7));
	if (pkey >= 0)
		syscall(SYS_pkey_free, pkey);
}

/* ---- B: new mappings -------------------------------------------------- */

/* B1: mmap() after the restriction, every protection. */
TEST_F(escape, mmap_new)
{
	size_t ps = self->ps;
	char perms[5];
	char *q;

	/* control */
	q = map(self->fd, ps, RW, ps);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, probe_write(q + 8, 'N'));
	ASSERT_EQ(0, munmap(q, ps));
	q = map(self->fd, ps, PROT_NONE, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, mprotect(q, ps, RW));
	ASSERT_EQ(0, munmap(q, ps));
	ASSERT_EQ('N', wread(self, ps + 8));

	RESTRICT();
	ASSERT_ERRNO(map(self->fd, ps, RW, ps), EACCES);
	ASSERT_ERRNO(map(self->fd, ps, PROT_WRITE, ps), EACCES);
	ASSERT_ERRNO(mmap(NULL, ps, RW, MAP_SHARED | MAP_POPULATE,
			  self->fd, 0), EACCES);
	ASSERT_ERRNO(mmap(NULL, ps, RW, MAP_SHARED_VALIDATE,
			  self->fd, 0), EACCES);
	if (is_none(variant)) {
		ASSERT_ERRNO(map(self->fd, ps, PROT_READ, ps), EACCES);
	} else {
		q = map(self->fd, ps, PROT_READ, ps);
		ASSERT_NE(MAP_FAILED, q);
		ASSERT_STREQ("r--s", maps_perms(q, perms));
		ASSERT_EQ('N', q[8]);
		ASSERT_ACCERR(probe_write(q + 8, 'x'), q + 8);
		ASSERT_ERRNO(mprotect(q, ps, RW), EACCES);
		ASSERT_EQ(0, munmap(q, ps));
	}
	/* PROT_NONE is within any ceiling, but cannot be raised beyond it */
	q = map(self->fd, ps, PROT_NONE, ps);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_STREQ("---s", maps_perms(q, perms));
	ASSERT_ERRNO(mprotect(q, ps, RW), EACCES);
	if (is_none(variant)) {
		ASSERT_ERRNO(mprotect(q, ps, PROT_READ), EACCES);
	} else {
		ASSERT_EQ(0, mprotect(q, ps, PROT_READ));
	}
	ASSERT_ACCERR(probe_write(q + 8, 'x'), q + 8);
	ASSERT_EQ(0, munmap(q, ps));
	ASSERT_EQ('N', wread(self, ps + 8));
}

/* B2: MAP_FIXED over the restricted mapping, and into a hole. */
TEST_F(escape, mmap_fixed_over)
{
	size_t ps = self->ps;
	char *p = self->p, *q;
	char perms[5];
	int sig;

	/* control: a RW MAP_FIXED mapping over page 1 of p */
	ASSERT_EQ(p + ps, map_at(p + ps, self->fd, ps, RW, ps));
	ASSERT_EQ(0, probe_write(p + ps + 3, 'F'));
	ASSERT_EQ('F', wread(self, ps + 3));

	RESTRICT();
	ASSERT_ERRNO(map_at(p + ps, self->fd, ps, RW, ps), EACCES);
	/*
	 * What is left there - the old restricted mapping, or a hole where
	 * the kernel unmapped it before calling ->mmap (6.1) - is not
	 * writable.
	 */
	sig = probe_write(p + ps + 3, 'x');
	ASSERT_EQ(SIGSEGV, sig);
	ASSERT_EQ((void *)(p + ps + 3), probe_addr);
	TH_LOG("after the failed MAP_FIXED: '%s' at the address, si_code %d",
	       maps_perms(p + ps, perms), probe_code);
	/* another page of the segment, over page 2 */
	ASSERT_ERRNO(map_at(p + 2 * ps, self->fd, ps, RW, 0), EACCES);
	ASSERT_EQ(SIGSEGV, probe_write(p + 2 * ps, 'x'));
	/* into a hole, without replacing anything */
	ASSERT_EQ(0, munmap(p + 3 * ps, ps));
	ASSERT_ERRNO(mmap(p + 3 * ps, ps, RW,
			  MAP_SHARED | MAP_FIXED_NOREPLACE,
			  self->fd, 3 * ps), EACCES);
	/* a readable mapping is within READ */
	if (is_none(variant)) {
		ASSERT_ERRNO(map_at(p + ps, self->fd, ps, PROT_READ, ps),
			     EACCES);
	} else {
		q = map_at(p + ps, self->fd, ps, PROT_READ, ps);
		ASSERT_EQ(p + ps, q);
		ASSERT_STREQ("r--s", maps_perms(q, perms));
		ASSERT_EQ('F', q[3]);
		ASSERT_ACCERR(probe_write(q + 3, 'x'), q + 3);
	}
	ASSERT_EQ('F', wread(self, ps + 3));
	ASSERT_EQ('c', wread(self, 2 * ps));
	ASSERT_EQ('d', wread(self, 3 * ps));
}

/* B2: munmap() and mmap() again at the same address. */
TEST_F(escape, munmap_mmap)
{
	size_t ps = self->ps;
	char *p = self->p, *q;
	char perms[5];

	/* control */
	q = map(self->fd, ps, RW, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, munmap(q, ps));
	ASSERT_EQ(q, map_at(q, self->fd, ps, RW, 0));
	ASSERT_EQ(0, probe_write(q + 4, 'U'));
	ASSERT_EQ(0, munmap(q, ps));
	ASSERT_EQ('U', wread(self, 4));

	RESTRICT();
	ASSERT_EQ(0, munmap(p + 2 * ps, ps));
	ASSERT_ERRNO(map_at(p + 2 * ps, self->fd, ps, RW, 2 * ps), EACCES);
	ASSERT_ERRNO(mmap(p + 2 * ps, ps, RW, MAP_SHARED, self->fd,
			  2 * ps), EACCES);
	/* the whole range at once */
	ASSERT_EQ(0, munmap(p, self->size));
	ASSERT_ERRNO(map_at(p, self->fd, self->size, RW, 0), EACCES);
	if (is_none(variant)) {
		ASSERT_ERRNO(map_at(p, self->fd, self->size, PROT_READ, 0),
			     EACCES);
		self->p = NULL;
	} else {
		q = map_at(p, self->fd, self->size, PROT_READ, 0);
		ASSERT_EQ(p, q);
		ASSERT_STREQ("r--s", maps_perms(p, perms));
		ASSERT_EQ('U', p[4]);
		ASSERT_ACCERR(probe_write(p + 2 * ps, 'x'), p + 2 * ps);
		ASSERT_ERRNO(mprotect(p, self->size, RW), EACCES);
	}
	ASSERT_EQ('U', wread(self, 4));
	ASSERT_EQ('c', wread(self, 2 * ps));
}

/* ---- C: VMA manipulation ---------------------------------------------- */

/* C1: mremap() shrink. */
TEST_F(escape, mremap_shrink)
{
	size_t ps = self->ps;
	char *p = self->p, *q;
	char perms[5];

	/* control: a shrunk RW mapping stays writable */
	q = map(self->fd, 2 * ps, RW, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(q, mremap(q, 2 * ps, ps, 0));
	ASSERT_STREQ("rw-s", maps_perms(q, perms));
	ASSERT_EQ(0, probe_write(q + 5, 'H'));
	ASSERT_EQ(0, munmap(q, ps));
	ASSERT_EQ('H', wread(self, 5));

	RESTRICT();
	ASSERT_EQ(p, mremap(p, self->size, 2 * ps, 0));
	ASSERT_STREQ(restricted_perms(variant), maps_perms(p, perms));
	ASSERT_ACCERR(probe_write(p + ps, 'x'), p + ps);
	ASSERT_ERRNO(mprotect(p, 2 * ps, RW), EACCES);
	ASSERT_EQ('b', wread(self, ps));
}

/* C1, C2: mremap() never grows a mapping, restricted or not. */
TEST_F(escape, mremap_expand)
{
	size_t ps = self->ps;
	char *p = self->p, *m, *r;
	char perms[5];
	int mfd;

	/* control: the same calls grow a memfd mapping */
	mfd = memfd_map(2 * ps, &m);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, munmap(m + ps, ps));
	r = mremap(m, ps, 2 * ps, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, r);
	r[ps] = 'g';
	ASSERT_EQ(0, munmap(r, 2 * ps));
	close(mfd);
	/* ... and never a protshm one, even unrestricted */
	ASSERT_EQ(p, mremap(p, self->size, 2 * ps, 0));
	ASSERT_ERRNO(mremap(p, 2 * ps, 3 * ps, 0), EFAULT);

	RESTRICT();
	ASSERT_ERRNO(mremap(p, 2 * ps, 3 * ps, 0), EFAULT);
	ASSERT_ERRNO(mremap(p, 2 * ps, 4 * ps, MREMAP_MAYMOVE), EFAULT);
	ASSERT_ERRNO(mremap(p, 0, ps, MREMAP_MAYMOVE), EFAULT);
	ASSERT_STREQ(restricted_perms(variant), maps_perms(p, perms));
	ASSERT_ACCERR(probe_write(p + ps, 'x'), p + ps);
	ASSERT_EQ('b', wread(self, ps));
}

/* C1: mremap() moving a mapping, whole or one page out of its middle. */
TEST_F(escape, mremap_move)
{
	size_t ps = self->ps;
	char *dst, *q, *r, *m;
	char perms[5];

	dst = mmap(NULL, 3 * self->size, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);

	/* control: a moved RW mapping stays writable */
	q = map(self->fd, ps, RW, 3 * ps);
	ASSERT_NE(MAP_FAILED, q);
	r = mremap(q, ps, ps, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, r);
	ASSERT_STREQ("rw-s", maps_perms(r, perms));
	ASSERT_EQ(0, probe_write(r + 5, 'V'));
	ASSERT_EQ('V', wread(self, 3 * ps + 5));

	RESTRICT();
	m = mremap(self->p, self->size, self->size,
		   MREMAP_MAYMOVE | MREMAP_FIXED, dst + self->size);
	ASSERT_EQ(dst + self->size, m);
	self->p = NULL;
	ASSERT_STREQ(restricted_perms(variant), maps_perms(m, perms));
	ASSERT_ACCERR(probe_write(m + 3 * ps + 5, 'x'), m + 3 * ps + 5);
	ASSERT_ERRNO(mprotect(m, self->size, RW), EACCES);
	if (!is_none(variant))
		ASSERT_EQ('V', m[3 * ps + 5]);
	/* one page out of the middle, over the control mapping */
	ASSERT_EQ(dst, mremap(m + ps, ps, ps, MREMAP_MAYMOVE | MREMAP_FIXED,
			      dst));
	ASSERT_STREQ(restricted_perms(variant), maps_perms(dst, perms));
	ASSERT_STREQ(restricted_perms(variant), maps_perms(m, perms));
	ASSERT_STREQ(restricted_perms(variant), maps_perms(m + 2 * ps, perms));
	ASSERT_ACCERR(probe_write(dst + 5, 'x'), dst + 5);
	ASSERT_ERRNO(mprotect(dst, ps, RW), EACCES);
	if (!is_none(variant))
		ASSERT_EQ('b', dst[5]);
	ASSERT_EQ('b', wread(self, ps + 5));
	ASSERT_EQ('V', wread(self, 3 * ps + 5));
	ASSERT_EQ(0, munmap(dst, 3 * self->size));
}

/* C1: MREMAP_FIXED of a restricted mapping over a writable one. */
TEST_F(escape, mremap_fixed_over)
{
	size_t ps = self->ps;
	char *q, *a;
	char perms[5];

	/* control: q, a RW protshm mapping, replaced by another RW one */
	q = map(self->fd, ps, RW, 0);
	ASSERT_NE(MAP_FAILED, q);
	a = map(self->fd, ps, RW, 2 * ps);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(q, mremap(a, ps, ps, MREMAP_MAYMOVE | MREMAP_FIXED, q));
	ASSERT_STREQ("rw-s", maps_perms(q, perms));
	ASSERT_EQ(0, probe_write(q + 6, 'X'));
	ASSERT_EQ('X', wread(self, 2 * ps + 6));
	/* and an anonymous RW mapping to be replaced after the restriction */
	a = mmap(NULL, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(0, probe_write(a, 1));

	RESTRICT();
	ASSERT_EQ(a, mremap(self->p + ps, ps, ps,
			    MREMAP_MAYMOVE | MREMAP_FIXED, a));
	ASSERT_STREQ(restricted_perms(variant), maps_perms(a, perms));
	ASSERT_ACCERR(probe_write(a + 6, 'x'), a + 6);
	ASSERT_ERRNO(mprotect(a, ps, RW), EACCES);
	/* over the (lowered) q */
	ASSERT_EQ(q, mremap(a, ps, ps, MREMAP_MAYMOVE | MREMAP_FIXED, q));
	ASSERT_STREQ(restricted_perms(variant), maps_perms(q, perms));
	ASSERT_ACCERR(probe_write(q + 6, 'x'), q + 6);
	ASSERT_EQ('b', wread(self, ps + 6));
	ASSERT_EQ('X', wread(self, 2 * ps + 6));
	ASSERT_EQ(0, munmap(q, ps));
}

/* C1: MREMAP_DONTUNMAP is refused on protshm mappings. */
TEST_F(escape, mremap_dontunmap)
{
	size_t ps = self->ps;
	char *p = self->p, *m, *r, *dst;
	char perms[5];
	int mfd;

	/* control: the call works on a shared memfd mapping (5.13+) */
	mfd = memfd_map(ps, &m);
	ASSERT_LE(0, mfd);
	m[0] = 'm';
	r = mremap(m, ps, ps, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	ASSERT_NE(MAP_FAILED, r);
	ASSERT_EQ('m', r[0]);
	ASSERT_EQ(0, munmap(r, ps));
	ASSERT_EQ(0, munmap(m, ps));
	close(mfd);
	/* VM_DONTEXPAND mappings refuse it, restricted or not */
	ASSERT_ERRNO(mremap(p, ps, ps,
			    MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL), EINVAL);

	RESTRICT();
	ASSERT_ERRNO(mremap(p, ps, ps,
			    MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL), EINVAL);
	ASSERT_ERRNO(mremap(p, self->size, self->size,
			    MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL), EINVAL);
	dst = mmap(NULL, ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	ASSERT_ERRNO(mremap(p, ps, ps, MREMAP_MAYMOVE |
			    MREMAP_FIXED | MREMAP_DONTUNMAP, dst), EINVAL);
	ASSERT_EQ(0, munmap(dst, ps));
	ASSERT_STREQ(restricted_perms(variant), maps_perms(p, perms));
	ASSERT_ACCERR(probe_write(p, 'x'), p);
}

/*
 * C4: remap_file_pages() re-runs ->mmap with the protection of the
 * mapping it replaces; the result stays within the ceiling.
 */
TEST_F(escape, remap_file_pages)
{
	size_t ps = self->ps;
	char *p = self->p, *q, *t;
	char perms[5];
	int ret;

	/* control: pages 0-1 of q show page 3, still writable */
	q = map(self->fd, 2 * ps, RW, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, syscall(SYS_remap_file_pages, q, ps, 0, 3, 0));
	ASSERT_STREQ("rw-s", maps_perms(q, perms));
	ASSERT_EQ('d', q[0]);
	ASSERT_EQ(0, probe_write(q + 7, 'R'));
	ASSERT_EQ('R', wread(self, 3 * ps + 7));
	/* beyond the segment (on 6.1 that leaves a hole: use a spare) */
	t = map(self->fd, ps, RW, 0);
	ASSERT_NE(MAP_FAILED, t);
	ASSERT_NE(0, syscall(SYS_remap_file_pages, t, ps, 0, NR_PAGES, 0));
	munmap(t, ps);

	RESTRICT();
	ret = syscall(SYS_remap_file_pages, p, ps, 0, 3, 0);
	TH_LOG("remap_file_pages of the restricted mapping: %d (%s)", ret,
	       ret ? strerror(errno) : "ok");
	ASSERT_STREQ(restricted_perms(variant), maps_perms(p, perms));
	ASSERT_ACCERR(probe_write(p + 7, 'x'), p + 7);
	ASSERT_ERRNO(mprotect(p, ps, RW), EACCES);
	if (is_none(variant)) {
		ASSERT_ERRNO(mprotect(p, ps, PROT_READ), EACCES);
	} else {
		ASSERT_EQ(ret ? 'a' : 'R', p[7]);
	}
	/* q, writable before, was lowered: its remap stays lowered */
	ret = syscall(SYS_remap_file_pages, q, ps, 0, 1, 0);
	ASSERT_STREQ(restricted_perms(variant), maps_perms(q, perms));
	ASSERT_ACCERR(probe_write(q + 7, 'x'), q + 7);
	ASSERT_ERRNO(mprotect(q, 2 * ps, RW), EACCES);
	ASSERT_EQ('R', wread(self, 3 * ps + 7));
	ASSERT_EQ('b', wread(self, ps + 7));
	ASSERT_EQ(0, munmap(q, 2 * ps));
}

/* B3: MAP_PRIVATE is refused, so no copy-on-write view exists. */
TEST_F(escape, map_private)
{
	size_t ps = self->ps;
	char *m, *q;
	int mfd;

	/* control: the calls are valid on a memfd; MAP_SHARED works here */
	mfd = memfd_map(ps, &m);
	ASSERT_LE(0, mfd);
	q = mmap(NULL, ps, RW, MAP_PRIVATE, mfd, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, munmap(q, ps));
	ASSERT_EQ(0, munmap(m, ps));
	close(mfd);
	ASSERT_EQ(0, map_err(self->fd, ps, RW));
	ASSERT_ERRNO(mmap(NULL, ps, PROT_READ, MAP_PRIVATE,
			  self->fd, 0), EINVAL);

	RESTRICT();
	ASSERT_ERRNO(mmap(NULL, ps, PROT_READ, MAP_PRIVATE,
			  self->fd, 0), EINVAL);
	ASSERT_ERRNO(mmap(NULL, ps, RW, MAP_PRIVATE, self->fd, 0), EINVAL);
	ASSERT_ERRNO(mmap(NULL, ps, RW, MAP_PRIVATE | MAP_POPULATE,
			  self->fd, ps), EINVAL);
	ASSERT_EQ(read_map_err(variant), map_err(self->fd, ps, PROT_READ));
	ASSERT_EQ(EACCES, map_err(self->fd, ps, RW));
}

/* ---- D: other files for the same segment ------------------------------ */

/* D3: dup() and F_DUPFD share the process's ceiling. */
TEST_F(escape, dup)
{
	size_t ps = self->ps;
	int d, d2;

	/* control */
	d = dup(self->fd);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, map_err(d, ps, RW));
	ASSERT_EQ(0, close(d));

	RESTRICT();
	d = dup(self->fd);
	ASSERT_LE(0, d);
	d2 = fcntl(self->fd, F_DUPFD_CLOEXEC, 100);
	ASSERT_LE(100, d2);
	ASSERT_EQ(variant->prot, ceiling_of(d));
	ASSERT_EQ(EACCES, map_err(d, ps, RW));
	ASSERT_EQ(EACCES, map_err(d2, ps, RW));
	ASSERT_EQ(read_map_err(variant), map_err(d, ps, PROT_READ));
	ASSERT_EQ(0, close(d2));
	ASSERT_EQ(0, close(d));
}

/* D3: a new open of /dev/protshm and ATTACH with RW. */
TEST_F(escape, reopen_attach)
{
	struct protshm_info info;
	size_t ps = self->ps;
	int fd2;

	/* control */
	fd2 = attach_new(self->name, PROTSHM_PROT_RW);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, map_err(fd2, ps, RW));
	ASSERT_EQ(0, close(fd2));

	RESTRICT();
	/* the mode still grants RW: ATTACH succeeds, the ceiling binds */
	fd2 = attach_new(self->name, PROTSHM_PROT_RW);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ps_info(fd2, &info, NULL));
	ASSERT_EQ(variant->prot, info.ceiling);
	ASSERT_EQ(PROTSHM_PROT_RW, info.fd_prot);
	ASSERT_EQ(EACCES, map_err(fd2, ps, RW));
	ASSERT_EQ(read_map_err(variant), map_err(fd2, ps, PROT_READ));
	/* a second ATTACH on a bound file */
	ASSERT_ERRNO(ps_attach(fd2, self->name, PROTSHM_PROT_RW), EBUSY);
	ASSERT_EQ(0, close(fd2));
	/* nor by ATTACH with READ only */
	fd2 = attach_new(self->name, PROTSHM_PROT_READ);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(EACCES, map_err(fd2, ps, RW));
	ASSERT_EQ(read_map_err(variant), map_err(fd2, ps, PROT_READ));
	ASSERT_EQ(0, close(fd2));
}

/*
 * D3: drop every file and mapping of the segment, then ATTACH again: the
 * ceiling belongs to the process, not to its files.
 */
TEST_F(escape, reattach_after_detach)
{
	size_t ps = self->ps;
	volatile char *q;

	/* control: detach completely, reattach, still RW */
	ASSERT_EQ(0, munmap(self->p, self->p_len));
	self->p = NULL;
	ASSERT_EQ(0, close(self->fd));
	self->fd = attach_new(self->name, PROTSHM_PROT_RW);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(self->fd));
	q = map(self->fd, ps, RW, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, probe_write(q + 9, 'A'));
	ASSERT_EQ('A', wread(self, 9));

	RESTRICT();
	ASSERT_ACCERR(probe_write(q + 9, 'x'), q + 9);
	ASSERT_EQ(0, munmap((void *)q, ps));
	ASSERT_EQ(0, close(self->fd));
	self->fd = attach_new(self->name, PROTSHM_PROT_RW);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(variant->prot, ceiling_of(self->fd));
	ASSERT_EQ(EACCES, map_err(self->fd, ps, RW));
	ASSERT_EQ(read_map_err(variant), map_err(self->fd, ps, PROT_READ));
	ASSERT_EQ('A', wread(self, 9));
}

/*
 * D3: open("/proc/self/fd/N") opens the device again: a new, unbound
 * file, which gets the process's ceiling when bound.
 */
TEST_F(escape, proc_fd_reopen)
{
	struct protshm_info info;
	size_t ps = self->ps;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->fd);
	/* control */
	r = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, r);
	ASSERT_ERRNO(ps_info(r, &info, NULL), EBADFD);
	ASSERT_EQ(EBADFD, map_err(r, ps, PROT_READ));
	ASSERT_EQ(0, ps_attach(r, self->name, PROTSHM_PROT_RW));
	ASSERT_EQ(0, map_err(r, ps, RW));
	ASSERT_EQ(0, close(r));

	RESTRICT();
	r = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, r);
	ASSERT_ERRNO(ps_info(r, &info, NULL), EBADFD);
	ASSERT_ERRNO(ps_restrict(r, 0, PROTSHM_PROT_NONE, 0), EBADFD);
	ASSERT_EQ(EBADFD, map_err(r, ps, RW));
	ASSERT_EQ(EBADFD, map_err(r, ps, PROT_READ));
	ASSERT_EQ(0, ps_attach(r, self->name, PROTSHM_PROT_RW));
	ASSERT_EQ(variant->prot, ceiling_of(r));
	ASSERT_EQ(EACCES, map_err(r, ps, RW));
	ASSERT_EQ(read_map_err(variant), map_err(r, ps, PROT_READ));
	ASSERT_EQ(0, close(r));
}

/*
 * D5: /proc/self/map_files/ (root only) reopens the mapped file, which is
 * /dev/protshm itself: an unbound file, never raw segment memory.
 */
TEST_F(escape, map_files)
{
	size_t ps = self->ps;
	struct protshm_info info;
	char path[96], link[PATH_MAX];
	ssize_t n;
	int r;

	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)self->p, (unsigned long)self->p + self->size);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0 && (errno == EPERM || errno == EACCES))
		SKIP(return, "map_files needs CAP_SYS_ADMIN");
	ASSERT_LT(0, n);
	link[n] = 0;
	ASSERT_STREQ(PROTSHM_DEV, link);

	/* control: opens, unbound; bound by ATTACH it maps RW */
	r = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, r);
	ASSERT_ERRNO(ps_info(r, &info, NULL), EBADFD);
	ASSERT_EQ(EBADFD, map_err(r, ps, PROT_READ));
	ASSERT_EQ(0, ps_attach(r, self->name, PROTSHM_PROT_RW));
	ASSERT_EQ(0, map_err(r, ps, RW));
	ASSERT_EQ(0, close(r));

	RESTRICT();
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	r = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, r);
	ASSERT_ERRNO(ps_info(r, &info, NULL), EBADFD);
	ASSERT_EQ(EBADFD, map_err(r, ps, RW));
	ASSERT_EQ(EBADFD, map_err(r, ps, PROT_READ));
	ASSERT_EQ(0, ps_attach(r, self->name, PROTSHM_PROT_RW));
	ASSERT_EQ(variant->prot, ceiling_of(r));
	ASSERT_EQ(EACCES, map_err(r, ps, RW));
	ASSERT_EQ(read_map_err(variant), map_err(r, ps, PROT_READ));
	ASSERT_EQ(0, close(r));
}

struct recv_result {
	int rw_err;		/* mmap(RW) of the received fd */
	int r_err;		/* mmap(PROT_READ) of the received fd */
	uint32_t ceiling;	/* the receiver's own ceiling */
};

/* The receiver of scm_rights: maps what it gets, reports. */
static void __attribute__((noreturn)) receiver_main(int sock, size_t ps)
{
	struct recv_result res;
	volatile char *q;
	int fd;

	while ((fd = recv_fd(sock)) >= 0) {
		q = map(fd, ps, RW, 0);
		res.rw_err = q == MAP_FAILED ? errno : 0;
		if (q != MAP_FAILED) {
			q[OFF_RECEIVED] = 'S';
			munmap((void *)q, ps);
		}
		res.r_err = map_err(fd, ps, PROT_READ);
		res.ceiling = ceiling_of(fd);
		close(fd);
		if (write(sock, &res, sizeof(res)) != sizeof(res))
			_exit(1);
	}
	_exit(0);
}

/*
 * D4: an fd sent over SCM_RIGHTS to an unrestricted process is capped by
 * the ceiling of the process that bound it.
 */
TEST_F(escape, scm_rights)
{
	struct recv_result res;
	int sv[2], fd2;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(sv[0]);
		close(self->wsock);
		receiver_main(sv[1], self->ps);
	}
	close(sv[1]);

	/* control */
	ASSERT_EQ(0, send_fd(sv[0], self->fd));
	ASSERT_EQ(sizeof(res), read(sv[0], &res, sizeof(res)));
	ASSERT_EQ(0, res.rw_err);
	ASSERT_EQ(0, res.r_err);
	ASSERT_EQ(PROTSHM_PROT_RW, res.ceiling);
	ASSERT_EQ('S', wread(self, OFF_RECEIVED));
	ASSERT_EQ(0, wwrite(self, 10, 'a'));

	RESTRICT();
	ASSERT_EQ(0, send_fd(sv[0], self->fd));
	ASSERT_EQ(sizeof(res), read(sv[0], &res, sizeof(res)));
	ASSERT_EQ(EACCES, res.rw_err);
	ASSERT_EQ(read_map_err(variant), res.r_err);
	ASSERT_EQ(PROTSHM_PROT_RW, res.ceiling);	/* its own is untouched */
	/* nor a file the restricted process binds afresh */
	fd2 = attach_new(self->name, PROTSHM_PROT_RW);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, send_fd(sv[0], fd2));
	ASSERT_EQ(sizeof(res), read(sv[0], &res, sizeof(res)));
	ASSERT_EQ(EACCES, res.rw_err);
	ASSERT_EQ(read_map_err(variant), res.r_err);
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ('a', wread(self, OFF_RECEIVED));

	close(sv[0]);
	ASSERT_CHILD_OK(pid);
}

/*
 * In a child: its own ceiling must be @want - what INFO reports, what a
 * fresh ATTACH with RW maps; the inherited @fd maps at most @want and its
 * binder's ceiling @fd_cap; @p (may be NULL) must be bounded by @want.
 * Exits with 0, or 1 at the first failed check.
 */
static void __attribute__((noreturn))
child_check_ceiling(const char *name, int fd, volatile char *p, size_t ps,
		    uint32_t want, uint32_t fd_cap)
{
	uint32_t fd_rights = want & fd_cap;
	volatile char *q;
	int fd2;

	CHILD_ASSERT(ceiling_of(fd) == want);
	CHILD_ASSERT(map_err(fd, ps, RW) ==
		     (fd_rights == PROTSHM_PROT_RW ? 0 : EACCES));
	CHILD_ASSERT(map_err(fd, ps, PROT_READ) ==
		     (fd_rights == PROTSHM_PROT_NONE ? EACCES : 0));
	fd2 = attach_new(name, PROTSHM_PROT_RW);
	CHILD_ASSERT(fd2 >= 0);
	CHILD_ASSERT(ceiling_of(fd2) == want);
	CHILD_ASSERT(map_err(fd2, ps, PROT_READ) ==
		     (want == PROTSHM_PROT_NONE ? EACCES : 0));
	q = map(fd2, ps, RW, 0);
	if (want == PROTSHM_PROT_RW)
		CHILD_ASSERT(q != MAP_FAILED &&
			     probe_write(q + OFF_CHILD_NEW, 'C') == 0);
	else
		CHILD_ASSERT(q == MAP_FAILED && errno == EACCES);
	if (p && want != PROTSHM_PROT_RW)
		CHILD_ASSERT(probe_write(p + OFF_CHILD_OLD, 'x') == SIGSEGV &&
			     probe_code == SEGV_ACCERR);
	if (p && want == PROTSHM_PROT_NONE)
		CHILD_ASSERT(probe_read(p + OFF_CHILD_OLD) == SIGSEGV &&
			     probe_code == SEGV_ACCERR);
	_exit(0);
}

/*
 * D1: fork.  A child forked before the restriction keeps RW (the flag
 * PROTSHM_RESTRICT_DESCENDANTS is not used); one forked after inherits
 * the ceiling, for its mappings, its fd and a fresh ATTACH.
 */
TEST_F(escape, fork)
{
	struct sync_pipe s;
	pid_t before, after;

	ASSERT_EQ(0, sync_init(&s));
	before = fork();
	ASSERT_LE(0, before);
	if (!before) {
		close(self->wsock);
		CHILD_ASSERT(sync_recv(s.to_child[0]) == 'g');
		/* its fd was bound by the parent: capped by its ceiling */
		child_check_ceiling(self->name, self->fd, self->p, self->ps,
				    PROTSHM_PROT_RW, variant->prot);
	}

	RESTRICT();
	/* control: the child forked before the restriction is still RW */
	ASSERT_EQ(0, sync_send(s.to_child[1], 'g'));
	ASSERT_CHILD_OK(before);
	ASSERT_EQ('C', wread(self, OFF_CHILD_NEW));

	after = fork();
	ASSERT_LE(0, after);
	if (!after)
		child_check_ceiling(self->name, self->fd, self->p, self->ps,
				    variant->prot, variant->prot);
	ASSERT_CHILD_OK(after);
	ASSERT_EQ('a', wread(self, OFF_CHILD_OLD));
	close(s.to_parent[0]);
	close(s.to_parent[1]);
	close(s.to_child[0]);
	close(s.to_child[1]);
}

/*
 * D1: fork of a restricted process that holds its fd but no mapping: the
 * child inherits no VMA, and still must inherit the ceiling.
 */
TEST_F(escape, fork_unmapped)
{
	pid_t pid;
	int st;

	ASSERT_EQ(0, munmap(self->p, self->p_len));
	self->p = NULL;

	/* control */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		child_check_ceiling(self->name, self->fd, NULL, self->ps,
				    PROTSHM_PROT_RW, PROTSHM_PROT_RW);
	ASSERT_CHILD_OK(pid);
	ASSERT_EQ('C', wread(self, OFF_CHILD_NEW));
	ASSERT_EQ(0, wwrite(self, 11, 'a'));

	RESTRICT();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		child_check_ceiling(self->name, self->fd, NULL, self->ps,
				    variant->prot, variant->prot);
	st = wait_child(pid);
	EXPECT_EQ('a', wread(self, OFF_CHILD_NEW)) {
		TH_LOG("the child wrote into the segment");
	}
	ASSERT_EQ(0, st);
}

/*
 * The grandchild of orphan_attach(): waits until it has been reparented
 * away from @mid and process @gone (if not 0) has been reaped, attaches
 * @name, maps it RW if it may and writes @val at OFF_ORPHAN, and sends the
 * ceiling it got to @res.
 */
static void orphan_child(const char *name, size_t ps, char val, pid_t mid,
			 pid_t gone, int res)
{
	uint32_t ceiling = ~0u;
	volatile char *q;
	int fd, i;

	for (i = 0; i < 10000; i++) {
		if (getppid() != mid && (!gone || kill(gone, 0)))
			break;
		usleep(1000);
	}
	fd = attach_new(name, PROTSHM_PROT_RW);
	if (fd >= 0) {
		ceiling = ceiling_of(fd);
		q = map(fd, ps, RW, 0);
		if (q != MAP_FAILED)
			q[OFF_ORPHAN] = val;
	}
	CHILD_ASSERT(write(res, &ceiling, sizeof(ceiling)) == sizeof(ceiling));
	_exit(0);
}

/*
 * Double fork from the calling process; the middle process exits at once
 * and the grandchild runs orphan_child().  Returns the middle process's
 * exit status (0); the grandchild is not waited for.
 */
static int orphan_attach(const char *name, size_t ps, char val, pid_t gone,
			 int res)
{
	pid_t mid = fork();

	if (mid < 0)
		return -1;
	if (!mid) {
		pid_t self = getpid(), pid = fork();

		if (!pid)
			orphan_child(name, ps, val, self, gone, res);
		_exit(pid < 0);
	}
	return wait_child(mid);
}

/* The ceiling the orphan sent to the read end of @res (closes it). */
static uint32_t orphan_ceiling(int res[2])
{
	uint32_t ceiling = ~0u;

	close(res[1]);
	if (read(res[0], &ceiling, sizeof(ceiling)) != sizeof(ceiling))
		ceiling = ~0u;
	close(res[0]);
	return ceiling;
}

/*
 * D1': like fork_unmapped, but the process in between is gone (double fork,
 * the middle process exits) before the grandchild attaches: the grandchild
 * has been reparented, and still inherits the ceiling through the fork
 * records.
 */
TEST_F(escape, fork_orphan)
{
	int res[2];

	ASSERT_EQ(0, munmap(self->p, self->p_len));
	self->p = NULL;

	/* control: the orphan of an unrestricted process writes */
	ASSERT_EQ(0, pipe(res));
	ASSERT_EQ(0, orphan_attach(self->name, self->ps, 'y', 0, res[1]));
	ASSERT_EQ(PROTSHM_PROT_RW, orphan_ceiling(res));
	ASSERT_EQ('y', wread(self, OFF_ORPHAN));
	ASSERT_EQ(0, wwrite(self, 13, 'a'));

	RESTRICT();
	ASSERT_EQ(0, pipe(res));
	ASSERT_EQ(0, orphan_attach(self->name, self->ps, 'x', 0, res[1]));
	EXPECT_EQ(variant->prot, orphan_ceiling(res));
	EXPECT_EQ('a', wread(self, OFF_ORPHAN)) {
		TH_LOG("the orphan wrote into the segment");
	}
}

/*
 * D1'': the whole line is gone: a process without mappings restricts
 * itself, forks, and it and its child exit before the grandchild attaches.
 */
TEST_F(escape, fork_orphan_line_gone)
{
	uint32_t prot[] = { PROTSHM_PROT_RW, variant->prot };	/* control first */
	char val[] = { 'y', 'x' };
	int res[2];

	for (int i = 0; i < 2; i++) {
		pid_t r;

		ASSERT_EQ(0, pipe(res));
		r = fork();
		ASSERT_LE(0, r);
		if (!r) {
			int fd = attach_new(self->name, PROTSHM_PROT_RW);

			/* no mapping to inherit: only the fork records link */
			CHILD_ASSERT(!munmap(self->p, self->p_len));
			CHILD_ASSERT(fd >= 0);
			CHILD_ASSERT(!ps_restrict(fd, 0, prot[i], 0));
			CHILD_ASSERT(ceiling_of(fd) == prot[i]);
			_exit(orphan_attach(self->name, self->ps, val[i],
					    getpid(), res[1]) ? 1 : 0);
		}
		ASSERT_CHILD_OK(r);
		ASSERT_EQ(prot[i], orphan_ceiling(res));
		if (prot[i] == PROTSHM_PROT_RW) {
			ASSERT_EQ('y', wread(self, OFF_ORPHAN));
			ASSERT_EQ(0, wwrite(self, 13, 'a'));
		} else {
			EXPECT_EQ('a', wread(self, OFF_ORPHAN)) {
				TH_LOG("the orphan wrote into the segment");
			}
		}
	}
}

/*
 * D2: MADV_DOFORK is refused on protshm mappings (VM_IO); MADV_DONTFORK
 * is allowed, so the child gets no VMA - and still the ceiling.
 */
TEST_F(escape, madv_dontfork)
{
	size_t ps = self->ps;
	char *a;
	pid_t pid;
	int st;

	/* control: MADV_DONTFORK/DOFORK on an anonymous mapping */
	a = mmap(NULL, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(0, madvise(a, ps, MADV_DONTFORK));
	ASSERT_EQ(0, madvise(a, ps, MADV_DOFORK));
	ASSERT_EQ(0, munmap(a, ps));
	ASSERT_ERRNO(madvise(self->p, self->size, MADV_DOFORK), EINVAL);
	ASSERT_EQ(0, madvise(self->p, self->size, MADV_DONTFORK));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* not inherited */
		CHILD_ASSERT(probe_read(self->p) == SIGSEGV &&
			     probe_code == SEGV_MAPERR);
		child_check_ceiling(self->name, self->fd, NULL, ps,
				    PROTSHM_PROT_RW, PROTSHM_PROT_RW);
	}
	ASSERT_CHILD_OK(pid);
	ASSERT_EQ(0, wwrite(self, 11, 'a'));

	RESTRICT();
	ASSERT_ERRNO(madvise(self->p, self->size, MADV_DOFORK), EINVAL);
	ASSERT_ERRNO(madvise(self->p + ps, ps, MADV_DOFORK), EINVAL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		CHILD_ASSERT(probe_read(self->p) == SIGSEGV &&
			     probe_code == SEGV_MAPERR);
		child_check_ceiling(self->name, self->fd, NULL, ps,
				    variant->prot, variant->prot);
	}
	st = wait_child(pid);
	EXPECT_EQ('a', wread(self, OFF_CHILD_NEW)) {
		TH_LOG("the child wrote into the segment");
	}
	ASSERT_EQ(0, st);
}

/*
 * The re-executed binary: "FD:CEILING:NAME"; FD is -1 when the process
 * kept no file of the segment.  A fresh ATTACH, and the inherited fd if
 * any, must map exactly what CEILING allows.
 */
static void __attribute__((constructor)) exec_helper(void)
{
	const char *env = getenv(ESCAPE_EXEC_ENV);
	char name[PROTSHM_NAME_MAX];
	unsigned int ceiling;
	size_t ps = page_size();
	int fd, fd2;
	volatile char *q;

	if (!env)
		return;
	CHILD_ASSERT(sscanf(env, "%d:%u:%63s", &fd, &ceiling, name) == 3);
	if (fd >= 0) {
		CHILD_ASSERT(ceiling_of(fd) == ceiling);
		CHILD_ASSERT(map_err(fd, ps, RW) ==
			     (ceiling == PROTSHM_PROT_RW ? 0 : EACCES));
		CHILD_ASSERT(map_err(fd, ps, PROT_READ) ==
			     (ceiling == PROTSHM_PROT_NONE ? EACCES : 0));
	}
	fd2 = attach_new(name, PROTSHM_PROT_RW);
	CHILD_ASSERT(fd2 >= 0);
	CHILD_ASSERT(ceiling_of(fd2) == ceiling);
	CHILD_ASSERT(map_err(fd2, ps, PROT_READ) ==
		     (ceiling == PROTSHM_PROT_NONE ? EACCES : 0));
	q = map(fd2, ps, RW, 0);
	CHILD_ASSERT((q != MAP_FAILED) == (ceiling == PROTSHM_PROT_RW));
	/* a write where none is allowed shows up in the segment */
	if (q != MAP_FAILED)
		q[OFF_CHILD_NEW] = ceiling == PROTSHM_PROT_RW ? 'a' : 'x';
	_exit(0);
}

/* Fork, execve() this binary, keeping self->fd if @keep_fd. */
static int exec_child(FIXTURE_DATA(escape) *self, uint32_t ceiling,
		      int keep_fd)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		char env[128];
		char *argv[] = { "escape_test", NULL };
		char *envp[] = { env, NULL };

		if (keep_fd)
			CHILD_ASSERT(fcntl(self->fd, F_SETFD, 0) == 0);
		snprintf(env, sizeof(env), ESCAPE_EXEC_ENV "=%d:%u:%s",
			 keep_fd ? self->fd : -1, ceiling, self->name);
		execve("/proc/self/exe", argv, envp);
		CHILD_ASSERT(!"execve");
	}
	return wait_child(pid);
}

/*
 * D6: execve() of a restricted process, with an inherited fd or with
 * nothing of the segment left at all (the ceiling survives by pid).
 */
TEST_F(escape, exec)
{
	/* control */
	ASSERT_EQ(0, exec_child(self, PROTSHM_PROT_RW, 1));
	ASSERT_EQ(0, exec_child(self, PROTSHM_PROT_RW, 0));

	RESTRICT();
	ASSERT_EQ(0, exec_child(self, variant->prot, 1));
	ASSERT_EQ(0, exec_child(self, variant->prot, 0));
	ASSERT_EQ('a', wread(self, OFF_CHILD_NEW));
}

/* posix_spawn() this binary (vfork + execve: no VMA is ever copied). */
static int spawn_child(FIXTURE_DATA(escape) *self, uint32_t ceiling)
{
	char env[128];
	char *argv[] = { "escape_test", NULL };
	char *envp[] = { env, NULL };
	pid_t pid;

	snprintf(env, sizeof(env), ESCAPE_EXEC_ENV "=-1:%u:%s", ceiling,
		 self->name);
	if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, envp))
		return -1;
	return wait_child(pid);
}

/*
 * D1, D6: posix_spawn() - a vfork()-style child that shares the parent's
 * mm until it execs - of a restricted process inherits the ceiling.
 */
TEST_F(escape, posix_spawn)
{
	int st;

	/* control */
	ASSERT_EQ(0, spawn_child(self, PROTSHM_PROT_RW));

	RESTRICT();
	st = spawn_child(self, variant->prot);
	EXPECT_EQ('a', wread(self, OFF_CHILD_NEW)) {
		TH_LOG("the spawned child wrote into the segment");
	}
	ASSERT_EQ(0, st);
}

/* ---- E: writes and reads that bypass the page tables ------------------ */

/* E1: /proc/self/mem (FOLL_FORCE) honours the mapping's current flags. */
TEST_F(escape, proc_self_mem)
{
	char *p = self->p;
	char c = 0;
	int mem;

	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mem);
	/* control */
	ASSERT_EQ(1, pwrite(mem, "P", 1, (uintptr_t)(p + 13)));
	ASSERT_EQ('P', wread(self, 13));
	ASSERT_EQ(1, pread(mem, &c, 1, (uintptr_t)(p + 13)));
	ASSERT_EQ('P', c);

	RESTRICT();
	ASSERT_ERRNO(pwrite(mem, "X", 1, (uintptr_t)(p + 13)), EIO);
	ASSERT_ERRNO(pwrite(mem, "X", 1, (uintptr_t)(p + 3 * self->ps)), EIO);
	if (is_none(variant)) {
		ASSERT_ERRNO(pread(mem, &c, 1, (uintptr_t)(p + 13)), EIO);
	} else {
		ASSERT_EQ(1, pread(mem, &c, 1, (uintptr_t)(p + 13)));
		ASSERT_EQ('P', c);
	}
	ASSERT_EQ('P', wread(self, 13));
	ASSERT_EQ('d', wread(self, 3 * self->ps));
	ASSERT_EQ(0, close(mem));
}

/*
 * E1: the owner's /proc/<pid>/mem of the restricted process: the owner
 * has RW itself, but the target mapping has not.
 */
TEST_F(escape, proc_pid_mem)
{
	uint64_t addr = (uintptr_t)(self->p + 14);
	int err = 0;

	/* control */
	ASSERT_EQ(1, wcall(self, W_MEM_WRITE, addr, 'O', getpid(), 0, 0, &err));
	ASSERT_EQ('O', self->p[14]);
	ASSERT_EQ('O', wcall(self, W_MEM_READ, addr, 0, getpid(), 0, 0, &err));

	RESTRICT();
	ASSERT_EQ(-1, wcall(self, W_MEM_WRITE, addr, 'X', getpid(), 0, 0,
			    &err));
	ASSERT_EQ(EIO, err);
	if (is_none(variant)) {
		ASSERT_EQ(-1, wcall(self, W_MEM_READ, addr, 0, getpid(), 0, 0,
				    &err));
		ASSERT_EQ(EIO, err);
	} else {
		ASSERT_EQ('O', wcall(self, W_MEM_READ, addr, 0, getpid(), 0, 0,
				     &err));
	}
	ASSERT_EQ('O', wread(self, 14));
}

/* Tracee of the ptrace test: waits for commands on @cmd, answers on @ans. */
static void __attribute__((noreturn))
tracee_main(int cmd, int ans, int fd, uint32_t prot)
{
	char c;

	for (;;) {
		c = sync_recv(cmd);
		switch (c) {
		case 'r':	/* restrict yourself */
			CHILD_ASSERT(ps_restrict(fd, 0, prot, 0) == 0);
			CHILD_ASSERT(sync_send(ans, 'R') == 0);
			break;
		case 'c':	/* report your ceiling */
			CHILD_ASSERT(sync_send(ans, '0' + ceiling_of(fd)) == 0);
			break;
		default:
			_exit(c == 'q' ? 0 : 1);
		}
	}
}

/* Stop a seized tracee; 0 or -1. */
static int tracee_stop(pid_t pid)
{
	int status;

	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0))
		return -1;
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return -1;
	return 0;
}

/*
 * E2: ptrace(POKEDATA/PEEKDATA) into a restricted tracee.  GUP refuses the
 * VM_IO mapping, so ptrace falls back to vm_ops->access, which allows what
 * the tracee's mapping allows right now: POKE fails with EIO (ptrace's
 * errno for a short access), PEEK works under READ and fails under NONE.
 */
TEST_F(escape, ptrace)
{
	uintptr_t addr = (uintptr_t)(self->p + 16);
	long word = 0x5441525450545250L, other = 0x5858585858585858L, v;
	struct sync_pipe s;
	pid_t pid;

	ASSERT_EQ(0, sync_init(&s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(self->wsock);
		close(s.to_parent[0]);
		close(s.to_child[1]);
		tracee_main(s.to_child[0], s.to_parent[1], self->fd,
			    variant->prot);
	}
	close(s.to_parent[1]);
	close(s.to_child[0]);
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, pid, 0, 0));

	/* control: the tracee's RW mapping can be poked and peeked */
	ASSERT_EQ(0, tracee_stop(pid));
	ASSERT_EQ(0, ptrace(PTRACE_POKEDATA, pid, addr, word));
	ASSERT_EQ(word, *(long *)(self->p + 16));
	errno = 0;
	ASSERT_EQ(word, ptrace(PTRACE_PEEKDATA, pid, addr, 0));
	ASSERT_EQ(0, errno);
	ASSERT_EQ(0, ptrace(PTRACE_CONT, pid, 0, 0));

	/* restrict the tracee: by the owner (this process) or itself */
	if (variant->by_owner) {
		ASSERT_EQ(0, ps_restrict(self->fd, pid, variant->prot, 0));
	} else {
		ASSERT_EQ(0, sync_send(s.to_child[1], 'r'));
		ASSERT_EQ('R', sync_recv(s.to_parent[0]));
	}
	ASSERT_EQ(0, sync_send(s.to_child[1], 'c'));
	ASSERT_EQ('0' + variant->prot, sync_recv(s.to_parent[0]));

	ASSERT_EQ(0, tracee_stop(pid));
	ASSERT_ERRNO(ptrace(PTRACE_POKEDATA, pid, addr, other), EIO);
	ASSERT_ERRNO(ptrace(PTRACE_POKETEXT, pid, addr, other), EIO);
	if (is_none(variant)) {
		ASSERT_ERRNO(ptrace(PTRACE_PEEKDATA, pid, addr, 0), EIO);
	} else {
		errno = 0;
		v = ptrace(PTRACE_PEEKDATA, pid, addr, 0);
		ASSERT_EQ(0, errno);
		ASSERT_EQ(word, v);
	}
	ASSERT_EQ(word, *(long *)(self->p + 16));	/* ours is still RW */
	ASSERT_EQ(0, ptrace(PTRACE_DETACH, pid, 0, 0));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'q'));
	ASSERT_CHILD_OK(pid);
	close(s.to_parent[0]);
	close(s.to_child[1]);
}

/*
 * E3: process_vm_writev/readv pin the remote pages: refused on protshm
 * mappings, restricted or not.  On the local side the kernel copies with
 * copy_to_user(), which a restricted mapping refuses.
 */
TEST_F(escape, process_vm)
{
	struct iovec local, remote;
	char buf[8] = "vmvmvmvm";
	char *p = self->p, *m;
	int mfd;

	mfd = memfd_map(self->ps, &m);
	ASSERT_LE(0, mfd);
	/* control: a memfd mapping, either direction */
	local = (struct iovec){ buf, sizeof(buf) };
	remote = (struct iovec){ m, sizeof(buf) };
	ASSERT_EQ(8, process_vm_writev(getpid(), &local, 1, &remote, 1, 0));
	ASSERT_EQ('v', m[0]);
	ASSERT_EQ(8, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	/* control: unrestricted protshm memory as the local buffer */
	local = (struct iovec){ p + 24, sizeof(buf) };
	ASSERT_EQ(8, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	ASSERT_EQ('v', wread(self, 24));
	/* no pins on protshm memory, even unrestricted */
	local = (struct iovec){ buf, sizeof(buf) };
	remote = (struct iovec){ p + 32, sizeof(buf) };
	ASSERT_ERRNO(process_vm_writev(getpid(), &local, 1, &remote, 1,
				       0), EFAULT);
	ASSERT_ERRNO(process_vm_readv(getpid(), &local, 1, &remote, 1,
				      0), EFAULT);

	RESTRICT();
	ASSERT_ERRNO(process_vm_writev(getpid(), &local, 1, &remote, 1,
				       0), EFAULT);
	ASSERT_ERRNO(process_vm_readv(getpid(), &local, 1, &remote, 1,
				      0), EFAULT);
	/* the restricted mapping as the local destination */
	m[0] = 'X';
	local = (struct iovec){ p + 24, sizeof(buf) };
	remote = (struct iovec){ m, sizeof(buf) };
	ASSERT_ERRNO(process_vm_readv(getpid(), &local, 1, &remote, 1,
				      0), EFAULT);
	/* ... and as the local source */
	if (is_none(variant)) {
		ASSERT_ERRNO(process_vm_writev(getpid(), &local, 1,
					       &remote, 1, 0), EFAULT);
	} else {
		ASSERT_EQ(8, process_vm_writev(getpid(), &local, 1, &remote, 1,
					       0));
	}
	ASSERT_EQ('v', wread(self, 24));
	ASSERT_EQ('a', wread(self, 32));
	ASSERT_EQ(0, munmap(m, self->ps));
	close(mfd);
}

/* E4: the kernel writing into the mapping as a syscall buffer. */
TEST_F(escape, kernel_write)
{
	char *p = self->p;
	char buf[4];
	int pfd[2];

	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC | O_NONBLOCK));
	/* control */
	ASSERT_EQ(4, write(pfd[1], "RRRR", 4));
	ASSERT_EQ(4, read(pfd[0], p + 40, 4));
	ASSERT_EQ(4, getrandom(p + 44, 4, 0));
	ASSERT_EQ('R', wread(self, 40));
	ASSERT_EQ(0, wwrite(self, 44, 'a'));

	RESTRICT();
	ASSERT_EQ(4, write(pfd[1], "XXXX", 4));
	ASSERT_ERRNO(read(pfd[0], p + 40, 4), EFAULT);
	ASSERT_ERRNO(readv(pfd[0], &(struct iovec){ p + 40, 4 }, 1), EFAULT);
	ASSERT_ERRNO(getrandom(p + 44, 4, 0), EFAULT);
	ASSERT_ERRNO(getcwd(p + 44, 64) ? 0 : -1, EFAULT);
	/* the kernel reading from it: allowed under READ only */
	if (is_none(variant)) {
		ASSERT_ERRNO(write(pfd[1], p + 40, 4), EFAULT);
	} else {
		ASSERT_EQ(4, write(pfd[1], p + 40, 4));
	}
	ASSERT_EQ(4, read(pfd[0], buf, 4));	/* the XXXX left behind */
	ASSERT_EQ('X', buf[0]);
	ASSERT_EQ('R', wread(self, 40));
	ASSERT_EQ('a', wread(self, 44));
	close(pfd[0]);
	close(pfd[1]);
}

static long futex(void *uaddr, int op, int val, void *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, uaddr2, val3);
}

/*
 * E5: futexes.  A shared futex key needs a page reference (GUP): refused
 * on protshm memory, restricted or not.  Private futexes only read the
 * word, and FUTEX_WAKE_OP writes it with an atomic user access: bounded
 * by the mapping's current rights.
 */
TEST_F(escape, futex)
{
	char *p = self->p, *m;
	int *w = (int *)(p + 64), *w2 = (int *)(p + 128);
	int mfd;

	/* control: a shared futex on a memfd resolves its key (EAGAIN) */
	mfd = memfd_map(self->ps, &m);
	ASSERT_LE(0, mfd);
	ASSERT_ERRNO(futex(m, FUTEX_WAIT, 1, NULL, 0), EAGAIN);
	/* protshm: no shared key even unrestricted; private ones work */
	ASSERT_ERRNO(futex(w, FUTEX_WAIT, 0, NULL, 0), EFAULT);
	ASSERT_ERRNO(futex(w, FUTEX_WAIT_PRIVATE, 0, NULL, 0), EAGAIN);
	ASSERT_EQ(0, futex(w, FUTEX_WAKE_OP_PRIVATE, 1, w2,
			   FUTEX_OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 0)));
	ASSERT_EQ(7, *w2);

	RESTRICT();
	ASSERT_ERRNO(futex(w, FUTEX_WAIT, 0, NULL, 0), EFAULT);
	ASSERT_ERRNO(futex(w, FUTEX_WAKE, 1, NULL, 0), EFAULT);
	if (is_none(variant)) {
		ASSERT_ERRNO(futex(w, FUTEX_WAIT_PRIVATE, 0, NULL, 0), EFAULT);
	} else {
		ASSERT_ERRNO(futex(w, FUTEX_WAIT_PRIVATE, 0, NULL, 0), EAGAIN);
	}
	ASSERT_ERRNO(futex(w, FUTEX_WAKE_OP_PRIVATE, 1, w2,
			   FUTEX_OP(FUTEX_OP_SET, 9, FUTEX_OP_CMP_EQ,
				    0)), EFAULT);
	ASSERT_EQ(7, wread(self, 128));
	ASSERT_EQ(0, munmap(m, self->ps));
	close(mfd);
}

/*
 * E5: O_DIRECT pins the user buffer.  The guest's only filesystem is
 * tmpfs (no O_DIRECT on 6.1; on 6.6+ its O_DIRECT is a buffered copy, not
 * a pin), so this needs a block device whose first two pages it overwrites:
 * PROTSHM_DIRECT_DEV, else in the test VM only /dev/ram0 (insmod brd).
 */
TEST_F(escape, odirect)
{
	const char *dev = getenv("PROTSHM_DIRECT_DEV");
	size_t ps = self->ps;
	char *p = self->p, *m;
	int dfd, mfd;

	if (!dev && ps_in_test_vm())
		dev = "/dev/ram0";
	if (!dev)
		SKIP(return, "set PROTSHM_DIRECT_DEV to a scratch block device (its first 2 pages are overwritten; /dev/ram0 is the default only in the test VM)");
	dfd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (dfd < 0)
		SKIP(return, "no O_DIRECT target: %s: %s (tmpfs has no O_DIRECT on 6.1; load brd or set PROTSHM_DIRECT_DEV)",
		     dev, strerror(errno));
	mfd = memfd_map(ps, &m);
	ASSERT_LE(0, mfd);
	/* control: direct I/O from and to a memfd mapping */
	memset(m, 'D', ps);
	ASSERT_EQ(ps, pwrite(dfd, m, ps, 0));
	memset(m, 0, ps);
	ASSERT_EQ(ps, pread(dfd, m, ps, 0));
	ASSERT_EQ('D', m[ps - 1]);
	/* no pins on protshm memory, even unrestricted */
	ASSERT_ERRNO(pread(dfd, p, ps, 0), EFAULT);
	ASSERT_ERRNO(pwrite(dfd, p + ps, ps, ps), EFAULT);
	ASSERT_EQ('a', wread(self, 0));

	RESTRICT();
	ASSERT_ERRNO(pread(dfd, p, ps, 0), EFAULT);
	ASSERT_ERRNO(pread(dfd, p + 2 * ps, ps, 0), EFAULT);
	ASSERT_ERRNO(pwrite(dfd, p, ps, ps), EFAULT);
	ASSERT_EQ('a', wread(self, 0));
	ASSERT_EQ('c', wread(self, 2 * ps));
	/* the device kept what the control wrote */
	memset(m, 0, ps);
	ASSERT_EQ(ps, pread(dfd, m, ps, 0));
	ASSERT_EQ('D', m[0]);
	ASSERT_EQ(0, munmap(m, ps));
	close(mfd);
	close(dfd);
}

/*
 * E5: vmsplice() into a pipe takes page references (refused on protshm
 * memory); vmsplice() out of a pipe copies into the mapping like read().
 */
TEST_F(escape, vmsplice)
{
	size_t ps = self->ps;
	char *p = self->p, *m;
	struct iovec iov;
	char buf[8];
	int pfd[2], mfd;

	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC | O_NONBLOCK));
	mfd = memfd_map(ps, &m);
	ASSERT_LE(0, mfd);
	/* control: gift a memfd page to the pipe, drain it */
	iov = (struct iovec){ m, ps };
	ASSERT_EQ(ps, vmsplice(pfd[1], &iov, 1, 0));
	while (read(pfd[0], buf, sizeof(buf)) > 0)
		;
	/* control: vmsplice out of a pipe into unrestricted protshm memory */
	ASSERT_EQ(4, write(pfd[1], "SSSS", 4));
	iov = (struct iovec){ p + 48, 4 };
	ASSERT_EQ(4, vmsplice(pfd[0], &iov, 1, 0));
	ASSERT_EQ('S', wread(self, 48));
	/* no page references to protshm memory, even unrestricted */
	iov = (struct iovec){ p, ps };
	ASSERT_ERRNO(vmsplice(pfd[1], &iov, 1, 0), EFAULT);

	RESTRICT();
	ASSERT_ERRNO(vmsplice(pfd[1], &iov, 1, 0), EFAULT);
	iov = (struct iovec){ p + ps, 16 };
	ASSERT_ERRNO(vmsplice(pfd[1], &iov, 1, SPLICE_F_GIFT), EFAULT);
	ASSERT_EQ(4, write(pfd[1], "XXXX", 4));
	iov = (struct iovec){ p + 48, 4 };
	ASSERT_ERRNO(vmsplice(pfd[0], &iov, 1, 0), EFAULT);
	ASSERT_EQ('S', wread(self, 48));
	ASSERT_EQ(0, munmap(m, ps));
	close(mfd);
	close(pfd[0]);
	close(pfd[1]);
}

/* Submit one read or write of @len bytes at @buf on @fd; the cqe's res. */
static int uring_rw(struct io_uring *ring, int write, int fd, void *buf,
		    unsigned int len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return -ENOSPC;
	if (write)
		io_uring_prep_write(sqe, fd, buf, len, 0);
	else
		io_uring_prep_read(sqe, fd, buf, len, 0);
	ret = io_uring_submit(ring);
	if (ret != 1)
		return ret < 0 ? ret : -EIO;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/*
 * E5: io_uring.  Registering fixed buffers pins them: refused on protshm
 * memory, restricted or not.  Plain reads copy into the mapping like
 * read(2) (from the task or an io-wq worker of the same mm).
 */
TEST_F(escape, io_uring)
{
	size_t ps = self->ps;
	char *p = self->p, *m;
	struct io_uring ring;
	struct iovec iov;
	char buf[4];
	int pfd[2], mfd, ret;

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring unavailable: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	mfd = memfd_map(ps, &m);
	ASSERT_LE(0, mfd);

	/* control: a memfd buffer registers; a plain read into protshm */
	iov = (struct iovec){ m, ps };
	ASSERT_EQ(0, io_uring_register_buffers(&ring, &iov, 1));
	ASSERT_EQ(0, io_uring_unregister_buffers(&ring));
	ASSERT_EQ(4, write(pfd[1], "IIII", 4));
	ASSERT_EQ(4, uring_rw(&ring, 0, pfd[0], p + 56, 4));
	ASSERT_EQ('I', wread(self, 56));
	/* no fixed buffers in protshm memory, even unrestricted */
	iov = (struct iovec){ p, ps };
	ASSERT_EQ(-EFAULT, io_uring_register_buffers(&ring, &iov, 1));

	RESTRICT();
	ASSERT_EQ(-EFAULT, io_uring_register_buffers(&ring, &iov, 1));
	ASSERT_EQ(4, write(pfd[1], "XXXX", 4));
	ASSERT_EQ(-EFAULT, uring_rw(&ring, 0, pfd[0], p + 56, 4));
	ASSERT_EQ(-EFAULT, io_uring_register_buffers(&ring, &iov, 1));
	/* reading from it: under READ only */
	ret = uring_rw(&ring, 1, pfd[1], p + 56, 4);
	if (is_none(variant)) {
		ASSERT_EQ(-EFAULT, ret);
	} else {
		ASSERT_EQ(4, ret);	/* behind the XXXX */
	}
	ASSERT_EQ(4, read(pfd[0], buf, 4));
	ASSERT_EQ('X', buf[0]);
	ASSERT_EQ('I', wread(self, 56));
	io_uring_queue_exit(&ring);
	ASSERT_EQ(0, munmap(m, ps));
	close(mfd);
	close(pfd[0]);
	close(pfd[1]);
}

/* A userfaultfd with the API handshake done, or -1 (errno). */
static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int uffd;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		return -1;
	if (ioctl(uffd, UFFDIO_API, &api)) {
		close(uffd);
		return -1;
	}
	return uffd;
}

static int uffd_register(int uffd, void *addr, size_t len, uint64_t mode)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = mode,
	};

	return ioctl(uffd, UFFDIO_REGISTER, &reg);
}

/* F1: userfaultfd registration is refused on protshm mappings. */
TEST_F(escape, userfaultfd)
{
	size_t ps = self->ps;
	struct uffdio_range range;
	char *a;
	int uffd;

	uffd = uffd_open();
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	/* control: an anonymous mapping registers */
	a = mmap(NULL, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(0, uffd_register(uffd, a, ps, UFFDIO_REGISTER_MODE_MISSING));
	range = (struct uffdio_range){ .start = (uintptr_t)a, .len = ps };
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_UNREGISTER, &range));
	ASSERT_EQ(0, munmap(a, ps));
	/* protshm mappings are neither anonymous nor shmem */
	ASSERT_ERRNO(uffd_register(uffd, self->p, ps,
				   UFFDIO_REGISTER_MODE_MISSING), EINVAL);

	RESTRICT();
	ASSERT_ERRNO(uffd_register(uffd, self->p, self->size,
				   UFFDIO_REGISTER_MODE_MISSING), EINVAL);
	ASSERT_ERRNO(uffd_register(uffd, self->p, ps,
				   UFFDIO_REGISTER_MODE_WP), EINVAL);
	ASSERT_ACCERR(probe_write(self->p, 'x'), self->p);
	close(uffd);
}

/* ---- G: destroying content without write access ---------------------- */

/* G1: MADV_REMOVE punches holes through the file: never on protshm. */
TEST_F(escape, madv_remove)
{
	size_t ps = self->ps;
	char *m;
	int mfd;

	/* control: it punches a hole in a memfd */
	mfd = memfd_map(ps, &m);
	ASSERT_LE(0, mfd);
	m[0] = 'm';
	ASSERT_EQ(0, madvise(m, ps, MADV_REMOVE));
	ASSERT_EQ(0, m[0]);
	ASSERT_EQ(0, munmap(m, ps));
	close(mfd);
	/* a character device has no fallocate: nothing is discarded */
	ASSERT_ERRNO(madvise(self->p, ps, MADV_REMOVE), ENODEV);
	ASSERT_EQ('a', self->p[0]);

	RESTRICT();
	/* without VM_MAYWRITE it is refused before reaching the file */
	ASSERT_ERRNO(madvise(self->p, self->size, MADV_REMOVE), EACCES);
	ASSERT_ERRNO(madvise(self->p + ps, ps, MADV_REMOVE), EACCES);
	ASSERT_EQ('a', wread(self, 0));
	ASSERT_EQ('b', wread(self, ps));
}

/*
 * G2: MADV_DONTNEED only drops the PTEs: the pages are the segment's, and
 * the refault goes through ->fault with the mapping's current flags.
 */
TEST_F(escape, madv_dontneed)
{
	size_t ps = self->ps;
	char *p = self->p, *a;
	int ret;

	/* control: a private anonymous page is discarded ... */
	a = mmap(NULL, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	a[0] = 1;
	ASSERT_EQ(0, madvise(a, ps, MADV_DONTNEED));
	ASSERT_EQ(0, a[0]);
	ASSERT_EQ(0, madvise(a, ps, MADV_FREE));
	ASSERT_EQ(0, munmap(a, ps));
	/* ... a protshm page is not, and refaults writable */
	ASSERT_EQ(0, madvise(p, self->size, MADV_DONTNEED));
	ASSERT_EQ('a', p[0]);
	ASSERT_EQ(0, probe_write(p + 17, 'D'));

	RESTRICT();
	ASSERT_EQ(0, madvise(p, self->size, MADV_DONTNEED));
	ASSERT_ERRNO(madvise(p, self->size, MADV_FREE), EINVAL);
	ret = madvise(p, self->size, MADV_PAGEOUT);
	ASSERT_TRUE(ret == 0 || errno == EINVAL);
	ret = madvise(p, self->size, MADV_COLD);
	ASSERT_TRUE(ret == 0 || errno == EINVAL);
	if (is_none(variant)) {
		ASSERT_ACCERR(probe_read(p + 17), p + 17);
	} else {
		ASSERT_EQ(0, probe_read(p + 17));
		ASSERT_EQ('D', p[17]);
	}
	ASSERT_ACCERR(probe_write(p + 17, 'x'), p + 17);
	ASSERT_ACCERR(probe_write(p + 3 * ps, 'x'), p + 3 * ps);
	ASSERT_EQ('D', wread(self, 17));
	ASSERT_EQ('d', wread(self, 3 * ps));
}

/* MADV_POPULATE_WRITE/READ fault pages in through GUP: refused. */
TEST_F(escape, madv_populate)
{
	size_t ps = self->ps;
	char *m;
	int mfd;

	/* control (5.14+) */
	mfd = memfd_map(ps, &m);
	ASSERT_LE(0, mfd);
	if (madvise(m, ps, MADV_POPULATE_WRITE) && errno == EINVAL)
		SKIP(return, "no MADV_POPULATE_WRITE");
	ASSERT_EQ(0, madvise(m, ps, MADV_POPULATE_READ));
	ASSERT_EQ(0, munmap(m, ps));
	close(mfd);
	ASSERT_ERRNO(madvise(self->p, ps, MADV_POPULATE_WRITE), EINVAL);
	ASSERT_ERRNO(madvise(self->p, ps, MADV_POPULATE_READ), EINVAL);

	RESTRICT();
	ASSERT_ERRNO(madvise(self->p, self->size,
			     MADV_POPULATE_WRITE), EINVAL);
	ASSERT_ERRNO(madvise(self->p, self->size,
			     MADV_POPULATE_READ), EINVAL);
	ASSERT_ACCERR(probe_write(self->p, 'x'), self->p);
	ASSERT_EQ('a', wread(self, 0));
}

/*
 * G3: the file itself: no write, read, truncate, fallocate, splice or
 * sendfile on a /dev/protshm fd, restricted or not.  Control: the same
 * calls on a memfd.
 */
TEST_F(escape, device_fd_ops)
{
	size_t ps = self->ps;
	int pfd[2], mfd, i;
	char buf[8];
	char *m;

	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC | O_NONBLOCK));
	mfd = memfd_map(ps, &m);
	ASSERT_LE(0, mfd);
	/* control */
	ASSERT_EQ(4, pwrite(mfd, "wwww", 4, 0));
	ASSERT_EQ(4, pread(mfd, buf, 4, 0));
	ASSERT_EQ(0, fallocate(mfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       0, ps));
	ASSERT_EQ(0, ftruncate(mfd, 2 * ps));
	ASSERT_EQ(4, sendfile(pfd[1], mfd, &(off_t){ 0 }, 4));
	ASSERT_EQ(4, read(pfd[0], buf, 4));
	ASSERT_EQ(0, munmap(m, ps));
	close(mfd);

	for (i = 0; i < 2; i++) {
		if (i)
			RESTRICT();
		ASSERT_ERRNO(write(self->fd, "w", 1), EINVAL);
		ASSERT_ERRNO(pwrite(self->fd, "w", 1, 0), EINVAL);
		ASSERT_ERRNO(read(self->fd, buf, 1), EINVAL);
		ASSERT_ERRNO(pread(self->fd, buf, 1, 0), EINVAL);
		ASSERT_ERRNO(ftruncate(self->fd, 0), EINVAL);
		ASSERT_ERRNO(fallocate(self->fd,
				       FALLOC_FL_PUNCH_HOLE |
				       FALLOC_FL_KEEP_SIZE, 0, ps), ENODEV);
		ASSERT_ERRNO(fallocate(self->fd, 0, 0, ps), ENODEV);
		ASSERT_ERRNO(sendfile(pfd[1], self->fd, NULL, 1), EINVAL);
		ASSERT_ERRNO(splice(self->fd, NULL, pfd[1], NULL, 1,
				    0), EINVAL);
		ASSERT_ERRNO(splice(pfd[0], NULL, self->fd, NULL, 1,
				    0), EINVAL);
		ASSERT_EQ(0, lseek(self->fd, 0, SEEK_END));
	}
	ASSERT_EQ('a', wread(self, 0));
	ASSERT_EQ('d', wread(self, self->size - 1));
	close(pfd[0]);
	close(pfd[1]);
}

/*
 * C4 for a per-mapping restriction: remap_file_pages() of a mapping that
 * RESTRICT_MAPPING lowered keeps its visible protection (the kernel
 * rebuilds the protection from the VMA's flags) and cannot be written.
 * The new VMA comes from ->mmap, like one made by MAP_FIXED: it may be
 * raised again up to the process's own rights, which the process could
 * map there anyway - RESTRICT_MAPPING binds a mapping, the ceiling binds
 * the process.
 */
TEST(restrict_mapping_remap_file_pages)
{
	char name[PROTSHM_NAME_MAX];
	size_t ps = page_size();
	char perms[5];
	int fd, ret;
	char *q;

	fd = ps_new(ps_name(name, sizeof(name), "esc-rm"), 2 * ps);
	ASSERT_LE(0, fd);
	q = map(fd, 2 * ps, RW, 0);
	ASSERT_NE(MAP_FAILED, q);
	q[ps] = 'r';
	/* control: the same call on an unrestricted mapping */
	ASSERT_EQ(0, syscall(SYS_remap_file_pages, q, ps, 0, 1, 0));
	ASSERT_EQ('r', q[0]);
	ASSERT_EQ(0, probe_write(q + 1, 'w'));
	ASSERT_EQ(0, syscall(SYS_remap_file_pages, q, ps, 0, 0, 0));

	ASSERT_EQ(0, ps_restrict_mapping(fd, q, 2 * ps, PROTSHM_PROT_READ));
	ASSERT_ERRNO(mprotect(q, ps, RW), EACCES);
	ret = syscall(SYS_remap_file_pages, q, ps, 0, 1, 0);
	ASSERT_EQ(0, ret);
	ASSERT_STREQ("r--s", maps_perms(q, perms));
	ASSERT_EQ('r', q[0]);
	ASSERT_ACCERR(probe_write(q + 2, 'x'), q + 2);
	ret = mprotect(q, ps, RW);
	TH_LOG("mprotect(RW) of the remapped page: %s (the process's ceiling is RW)",
	       ret ? strerror(errno) : "allowed, like a MAP_FIXED mapping");
	/* the rest of the restricted mapping is untouched */
	ASSERT_STREQ("r--s", maps_perms(q + ps, perms));
	ASSERT_ACCERR(probe_write(q + ps, 'x'), q + ps);
	ASSERT_ERRNO(mprotect(q + ps, ps, RW), EACCES);
	ASSERT_EQ(0, munmap(q, 2 * ps));
	ASSERT_EQ(0, ps_unlink(fd));
	ASSERT_EQ(0, close(fd));
}

/* ---- threads -------------------------------------------------------- */

struct leader_args {
	volatile char *p;
	int fd;
	uint32_t prot;
	int by_owner;
	int cmd;	/* pipe from the test */
	int ans;	/* pipe to the test */
};

struct leader_result {
	int sig;
	int code;
	void *addr;
	uint32_t ceiling;
	char perms[5];
};

/* maps_perms() of the calling thread's view (/proc/thread-self/maps). */
static void thread_maps_perms(void *addr, char perms[5])
{
	maps_perms_in("/proc/thread-self/maps", addr, perms);
}

static void *leader_worker(void *arg)
{
	struct leader_args *a = arg;
	struct leader_result res = { 0 };

	CHILD_ASSERT(probe_write(a->p + 60, 'L') == 0);
	CHILD_ASSERT(sync_send(a->ans, 'w') == 0);
	CHILD_ASSERT(sync_recv(a->cmd) == 'g');
	if (!a->by_owner) {
		CHILD_ASSERT(ps_restrict(a->fd, 0, a->prot, 0) == 0);
		CHILD_ASSERT(sync_send(a->ans, 'R') == 0);
		CHILD_ASSERT(sync_recv(a->cmd) == 'g');
	}
	res.sig = probe_write(a->p + 61, 'X');
	res.code = probe_code;
	res.addr = probe_addr;
	res.ceiling = ceiling_of(a->fd);
	/* /proc/self is the zombie leader, whose maps are empty */
	thread_maps_perms((void *)a->p, res.perms);
	CHILD_ASSERT(write(a->ans, &res, sizeof(res)) == sizeof(res));
	_exit(0);
	return NULL;
}

/* Is the thread-group leader of @pid a zombie already? */
static int leader_is_zombie(pid_t pid)
{
	char path[64], buf[256], *s;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	s = strrchr(buf, ')');
	return s && s[1] == ' ' && s[2] == 'Z';
}

/*
 * No thread of the target: a process whose main thread has exited
 * (pthread_exit) keeps running in its other threads; the thread-group
 * leader is a zombie without an mm.  Restricting the process must still
 * reach the mappings the other threads use.
 */
TEST_F(escape, leader_exited)
{
	struct leader_args a = {
		.p = self->p, .fd = self->fd, .prot = variant->prot,
		.by_owner = variant->by_owner,
	};
	struct leader_result res;
	struct sync_pipe s;
	int tries = 0;
	pid_t pid;

	ASSERT_EQ(0, sync_init(&s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pthread_t t;

		close(self->wsock);
		a.cmd = s.to_child[0];
		a.ans = s.to_parent[1];
		CHILD_ASSERT(pthread_create(&t, NULL, leader_worker, &a) == 0);
		syscall(SYS_exit, 0);	/* this thread only */
	}
	/* control: the worker wrote while the process was RW */
	ASSERT_EQ('w', sync_recv(s.to_parent[0]));
	ASSERT_EQ('L', self->p[60]);
	while (!leader_is_zombie(pid) && tries++ < 1000)
		usleep(1000);
	ASSERT_TRUE(leader_is_zombie(pid));

	if (variant->by_owner) {
		ASSERT_EQ(0, ps_restrict(self->fd, pid, variant->prot, 0));
	} else {
		ASSERT_EQ(0, sync_send(s.to_child[1], 'g'));
		ASSERT_EQ('R', sync_recv(s.to_parent[0]));
	}
	ASSERT_EQ(0, sync_send(s.to_child[1], 'g'));
	ASSERT_EQ(sizeof(res), read(s.to_parent[0], &res, sizeof(res)));
	ASSERT_CHILD_OK(pid);
	EXPECT_EQ(variant->prot, res.ceiling);
	EXPECT_STREQ(restricted_perms(variant), res.perms);
	EXPECT_EQ(SIGSEGV, res.sig) {
		TH_LOG("the surviving thread still wrote after RESTRICT returned");
	}
	EXPECT_EQ(SEGV_ACCERR, res.code);
	EXPECT_EQ((void *)(self->p + 61), res.addr);
	EXPECT_EQ('a', self->p[61]);
	close(s.to_parent[0]);
	close(s.to_parent[1]);
	close(s.to_child[0]);
	close(s.to_child[1]);
}

TEST_HARNESS_MAIN
