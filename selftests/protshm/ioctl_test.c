// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl interface: the success path of every command and every errno
 * of the specification.  Each failing case has a control that succeeds with
 * the same setup and a valid argument, and where a failure could have
 * changed state the test checks that it did not.
 *
 * A segment lives until it is unlinked, whatever happens to its fds, so
 * every segment a test creates is tracked by name and unlinked by the
 * fixture's teardown; module parameters a test changes are restored there
 * and helper children are killed.
 */
#include <limits.h>
#include <sched.h>
#include <stdbool.h>

#include <sys/syscall.h>

#include "common.h"
#include "ioctl_helpers.h"
#include "kselftest_harness.h"

#define NOBODY		65534
#define CHILD_SETUP	200	/* child exit codes above this: setup failed */
#define MAX_NAMES	32
#define MAX_PARAMS	3
#define MAX_KIDS	4

/* Not NONE, READ or READ|WRITE. */
static const uint32_t bad_prots[] = {
	PROTSHM_PROT_WRITE, 0x4, 0x5, 0x7, 0x80000000, ~0U,
};

FIXTURE(ioctl) {
	char names[MAX_NAMES][PROTSHM_NAME_MAX];
	int nr_names;
	const char *params[MAX_PARAMS];
	unsigned long long saved[MAX_PARAMS];
	int nr_params;
	pid_t kids[MAX_KIDS];
	int nr_kids;
};

/* Remove a segment by name if it exists. */
static void unlink_name(const char *name)
{
	int fd = ps_open();

	if (fd < 0)
		return;
	if (!ps_attach(fd, name, PROTSHM_PROT_NONE))
		ps_unlink(fd);
	close(fd);
}

FIXTURE_SETUP(ioctl)
{
	SKIP_WITHOUT_DEVICE();
}

FIXTURE_TEARDOWN(ioctl)
{
	int i;

	for (i = 0; i < self->nr_kids; i++) {
		if (self->kids[i] > 0) {
			kill(self->kids[i], SIGKILL);
			waitpid(self->kids[i], NULL, 0);
		}
	}
	for (i = self->nr_params - 1; i >= 0; i--)
		if (param_write(self->params[i], self->saved[i]))
			TH_LOG("could not restore %s=%llu", self->params[i],
			       self->saved[i]);
	for (i = 0; i < self->nr_names; i++)
		unlink_name(self->names[i]);
}

/* A new unique name, unlinked in teardown; the buffer has PROTSHM_NAME_MAX bytes. */
static char *new_name(FIXTURE_DATA(ioctl) *self, const char *tag)
{
	char *buf;

	if (self->nr_names == MAX_NAMES) {
		fprintf(stderr, "# too many names, raise MAX_NAMES\n");
		abort();
	}
	buf = self->names[self->nr_names++];
	ps_name(buf, PROTSHM_NAME_MAX, tag);
	return buf;
}

/* Remember a module parameter to restore in teardown; 0 or -1. */
static int save_param(FIXTURE_DATA(ioctl) *self, const char *param)
{
	unsigned long long val;

	if (self->nr_params == MAX_PARAMS || param_read(param, &val))
		return -1;
	self->params[self->nr_params] = param;
	self->saved[self->nr_params++] = val;
	return 0;
}

/* fork(), with the child killed in teardown unless reaped before. */
static pid_t spawn(FIXTURE_DATA(ioctl) *self)
{
	pid_t pid;
	int i;

	for (i = 0; i < self->nr_kids && self->kids[i]; i++)
		;
	if (i == MAX_KIDS) {
		fprintf(stderr, "# too many children, raise MAX_KIDS\n");
		abort();
	}
	pid = fork();
	if (pid > 0) {
		self->kids[i] = pid;
		if (i == self->nr_kids)
			self->nr_kids++;
	}
	return pid;
}

static int reap(FIXTURE_DATA(ioctl) *self, pid_t pid)
{
	int i;

	for (i = 0; i < self->nr_kids; i++)
		if (self->kids[i] == pid)
			self->kids[i] = 0;
	return wait_child(pid);
}

struct child_arg {
	const char *name;
	uint32_t prot;
	uint32_t mode;
};

/*
 * Run fn(arg) in a child, as uid/gid unless uid is -1 (then as the
 * caller), and return its result: an errno or 0, CHILD_SETUP + n if the
 * child could not set itself up, or 128 + signal.
 */
static int run_child(FIXTURE_DATA(ioctl) *self, uid_t uid, gid_t gid,
		     int (*fn)(const struct child_arg *),
		     const struct child_arg *arg)
{
	pid_t pid = spawn(self);

	if (pid < 0)
		return -1;
	if (!pid) {
		if (uid != (uid_t)-1 && become_user(uid, gid))
			_exit(CHILD_SETUP);
		_exit(fn(arg));
	}
	return reap(self, pid);
}

/* ATTACH arg->name with arg->prot; the errno, or 0 if INFO then agrees. */
static int child_attach(const struct child_arg *arg)
{
	struct protshm_info info;
	int fd = ps_open();

	if (fd < 0)
		return CHILD_SETUP + 1;
	if (ps_attach(fd, arg->name, arg->prot))
		return errno;
	if (ps_info(fd, &info, NULL))
		return CHILD_SETUP + 2;
	return info.fd_prot == arg->prot ? 0 : CHILD_SETUP + 3;
}

/* CREATE arg->name (one page, arg->mode) and leave it behind. */
static int child_create(const struct child_arg *arg)
{
	int fd = ps_open();

	if (fd < 0)
		return CHILD_SETUP + 1;
	return err_of(ps_create(fd, arg->name, page_size(), arg->mode,
				PROTSHM_PROT_RW));
}

/* ATTACH read-write, then UNLINK: its errno, if the name stays. */
static int child_unlink(const struct child_arg *arg)
{
	struct protshm_info info;
	int fd = ps_open(), err;

	if (fd < 0 || ps_attach(fd, arg->name, PROTSHM_PROT_RW))
		return CHILD_SETUP + 1;
	err = err_of(ps_unlink(fd));
	if (ps_info(fd, &info, NULL))
		return CHILD_SETUP + 2;
	if (err && info.seg_flags)
		return CHILD_SETUP + 3;	/* failed, yet unlinked */
	return err;
}

/*
 * ATTACH read-write and RESTRICT the parent (the owner): the errno.  The
 * child's own ceiling must be unchanged by that, and restricting itself
 * (the control) must work.
 */
static int child_restrict_parent(const struct child_arg *arg)
{
	int fd = ps_open(), err;
	struct protshm_info info;

	if (fd < 0 || ps_attach(fd, arg->name, PROTSHM_PROT_RW))
		return CHILD_SETUP + 1;
	err = err_of(ps_restrict(fd, getppid(), PROTSHM_PROT_READ, 0));
	if (ps_info(fd, &info, NULL) || info.ceiling != PROTSHM_PROT_RW)
		return CHILD_SETUP + 2;
	if (ps_restrict(fd, 0, PROTSHM_PROT_READ, 0))
		return CHILD_SETUP + 3;
	if (ps_info(fd, &info, NULL) || info.ceiling != PROTSHM_PROT_READ)
		return CHILD_SETUP + 4;
	return err;
}

/* In a new IPC namespace: the errno of ATTACH arg->name (must be ENOENT). */
static int child_other_ipc_ns(const struct child_arg *arg)
{
	int fd, err;

	if (unshare(CLONE_NEWIPC))
		return CHILD_SETUP + 1;
	fd = ps_open();
	if (fd < 0)
		return CHILD_SETUP + 2;
	err = err_of(ps_attach(fd, arg->name, PROTSHM_PROT_NONE));
	if (!err)
		return 0;
	/* the name is free here: create and drop it */
	if (ps_create(fd, arg->name, page_size(), 0600, PROTSHM_PROT_RW) ||
	    ps_unlink(fd))
		return CHILD_SETUP + 3;
	return err;
}

/* After a failed CREATE: the name does not exist. */
static void assert_absent(struct __test_metadata *_metadata, const char *name)
{
	int fd = ps_open();

	ASSERT_LE(0, fd);
	ASSERT_ERRNO(ps_attach(fd, name, PROTSHM_PROT_NONE), ENOENT)
		TH_LOG("segment \"%s\" exists", name);
	close(fd);
}

static char *map_seg(int fd, size_t len, off_t off, void *fixed)
{
	return mmap(fixed, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | (fixed ? MAP_FIXED : 0), fd, off);
}

/*
 * Copy @ksize bytes of @valid into @buf, zero it up to @size and put @size
 * into the struct's size field.
 */
static void *padded(char *buf, const void *valid, uint32_t ksize,
		    uint32_t size)
{
	memset(buf, 0, size > ksize ? size : ksize);
	memcpy(buf, valid, ksize);
	memcpy(buf, &size, sizeof(size));
	return buf;
}

/*
 * The failing cases of the size protocol of @cmd, given @valid, a correct
 * argument of @ksize bytes: a smaller size (EINVAL), a non-zero byte beyond
 * the struct (E2BIG), a size above a page even if zero-padded (E2BIG), and
 * unreadable memory (EFAULT).  Controls and "nothing changed" checks are up
 * to the caller.
 */
static void size_protocol_errors(struct __test_metadata *_metadata, int fd,
				 unsigned long cmd, const void *valid,
				 uint32_t ksize)
{
	const uint32_t small[] = { 0, 1, 4, 8, ksize - 8, ksize - 4, ksize - 1 };
	long pg = page_size();
	const uint32_t big[] = { pg + 1, pg + 8, 2 * pg, 0x80000000, ~0U };
	char *buf = guarded_pages(2);
	uint32_t off, size;
	size_t i;

	ASSERT_NE(MAP_FAILED, buf);
	for (i = 0; i < ARRAY_SIZE(small); i++) {
		size = small[i];
		ASSERT_ERRNO(ioctl(fd, cmd,
				   padded(buf, valid, ksize, size)), EINVAL)
			TH_LOG("size %u", size);
	}
	for (off = ksize; off < ksize + 8; off++) {
		padded(buf, valid, ksize, ksize + 8);
		buf[off] = 1;
		ASSERT_ERRNO(ioctl(fd, cmd, buf), E2BIG)
			TH_LOG("size %u, byte %u non-zero", ksize + 8, off);
	}
	padded(buf, valid, ksize, pg);
	buf[pg - 1] = 0x80;
	ASSERT_ERRNO(ioctl(fd, cmd, buf), E2BIG)
		TH_LOG("size %ld, last byte non-zero", pg);
	for (i = 0; i < ARRAY_SIZE(big); i++) {
		size = big[i];
		padded(buf, valid, ksize, 2 * pg);
		memcpy(buf, &size, sizeof(size));
		ASSERT_ERRNO(ioctl(fd, cmd, buf), E2BIG)
			TH_LOG("size %u, zero-padded", size);
	}
	/* no struct at all: NULL, then the guard page */
	ASSERT_ERRNO(ioctl(fd, cmd, NULL), EFAULT);
	ASSERT_ERRNO(ioctl(fd, cmd, buf + 2 * pg), EFAULT);
	/* only the size field is readable */
	memcpy(buf + 2 * pg - 4, &ksize, 4);
	ASSERT_ERRNO(ioctl(fd, cmd, buf + 2 * pg - 4), EFAULT);
	/* the struct is readable, the zero tail that size claims is not */
	padded(buf + 2 * pg - ksize, valid, ksize, ksize);
	off = ksize + 8;
	memcpy(buf + 2 * pg - ksize, &off, 4);
	ASSERT_ERRNO(ioctl(fd, cmd, buf + 2 * pg - ksize), EFAULT);
	munmap(buf, 3 * pg);
}

/* ---- CREATE ---------------------------------------------------------- */

TEST_F(ioctl, create_success)
{
	static const uint32_t prots[] = {
		PROTSHM_PROT_NONE, PROTSHM_PROT_READ, PROTSHM_PROT_RW,
	};
	static const uint32_t modes[] = { 0, 0640, 0777 };
	uint64_t ids[ARRAY_SIZE(prots)];
	char got[PROTSHM_NAME_MAX + 8];
	struct protshm_info info;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(prots); i++) {
		const char *name = new_name(self, "create");
		int fd = ps_open();

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ps_create(fd, name, 3 * page_size(), modes[i],
				       prots[i]));
		memset(got, 0xa5, sizeof(got));
		ASSERT_EQ(0, ps_info(fd, &info, got));
		ASSERT_EQ(sizeof(info), info.size);
		ASSERT_EQ(0, info.flags);
		ASSERT_LT(0, info.id);
		ASSERT_EQ(3 * page_size(), info.seg_size);
		ASSERT_EQ(geteuid(), info.uid);
		ASSERT_EQ(getegid(), info.gid);
		ASSERT_EQ(modes[i], info.mode);
		ASSERT_EQ(PROTSHM_PROT_RW, info.ceiling);
		ASSERT_EQ(prots[i], info.fd_prot);
		ASSERT_EQ(1, info.nr_attachments);
		ASSERT_EQ(0, info.resident);
		ASSERT_EQ(0, info.seg_flags);
		ASSERT_EQ(0, info.__reserved);
		ASSERT_STREQ(name, got);
		/* the name buffer is PROTSHM_NAME_MAX bytes, no more */
		for (j = PROTSHM_NAME_MAX; j < sizeof(got); j++)
			ASSERT_EQ(0xa5, (unsigned char)got[j]);
		ids[i] = info.id;
		for (j = 0; j < i; j++)
			ASSERT_NE(ids[j], ids[i]);
	}
}

TEST_F(ioctl, create_size_protocol)
{
	const char *name = new_name(self, "csz");
	const char *name2 = new_name(self, "csz");
	struct protshm_create c = {
		.size = sizeof(c), .name = (uintptr_t)name,
		.seg_size = page_size(), .mode = 0600, .prot = PROTSHM_PROT_RW,
	};
	char *buf = guarded_pages(2);
	struct protshm_info info;
	int fd = ps_open();

	ASSERT_LE(0, fd);
	ASSERT_NE(MAP_FAILED, buf);
	size_protocol_errors(_metadata, fd, PROTSHM_IOC_CREATE, &c, sizeof(c));
	assert_absent(_metadata, name);
	/* control: zero-padded larger struct, 8 bytes more */
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_CREATE,
			   padded(buf, &c, sizeof(c), sizeof(c) + 8)));
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(page_size(), info.seg_size);
	close(fd);
	/* control: zero-padded to exactly a page */
	fd = ps_open();
	ASSERT_LE(0, fd);
	c.name = (uintptr_t)name2;
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_CREATE,
			   padded(buf, &c, sizeof(c), page_size())));
	close(fd);
}

TEST_F(ioctl, create_bad_flags_mode_prot)
{
	/* 0x1 is PROTSHM_CREATE_LEASE (lease_test.c) */
	static const uint32_t bad_flags[] = { 0x2, 0x4, 0x80000000, ~0U };
	static const uint32_t bad_modes[] = {
		01000, 02000, 04000, 010000, 0170000, 0x80000000, ~0U,
	};
	const char *name = new_name(self, "cbad");
	struct protshm_create c = {
		.size = sizeof(c), .name = (uintptr_t)name,
		.seg_size = page_size(), .mode = 0600, .prot = PROTSHM_PROT_RW,
	};
	struct protshm_create b;
	int fd = ps_open();
	size_t i;

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(bad_flags); i++) {
		b = c;
		b.flags = bad_flags[i];
		ASSERT_ERRNO(ioctl(fd, PROTSHM_IOC_CREATE, &b), EINVAL)
			TH_LOG("flags %#x", bad_flags[i]);
	}
	for (i = 0; i < ARRAY_SIZE(bad_modes); i++) {
		b = c;
		b.mode = bad_modes[i];
		ASSERT_ERRNO(ioctl(fd, PROTSHM_IOC_CREATE, &b), EINVAL)
			TH_LOG("mode %#o", bad_modes[i]);
	}
	for (i = 0; i < ARRAY_SIZE(bad_prots); i++) {
		b = c;
		b.prot = bad_prots[i];
		ASSERT_ERRNO(ioctl(fd, PROTSHM_IOC_CREATE, &b), EINVAL)
			TH_LOG("prot %#x", bad_prots[i]);
	}
	assert_absent(_metadata, name);
	/* control: the same fd and name with valid arguments */
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_CREATE, &c));
	close(fd);
}

TEST_F(ioctl, create_bad_seg_size)
{
	long pg = page_size();
	const uint64_t bad[] = {
		0, 1, pg - 1, pg + 1, 2 * pg - 1, (1ULL << 63) + 1, ~0ULL,
	};
	const char *name = new_name(self, "csize");
	unsigned long long size;
	int fd = ps_open();
	size_t i;

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		size = bad[i];
		ASSERT_ERRNO(ps_create(fd, name, size, 0600,
				       PROTSHM_PROT_RW), EINVAL)
			TH_LOG("seg_size %#llx", size);
	}
	assert_absent(_metadata, name);
	ASSERT_EQ(0, ps_create(fd, name, 2 * pg, 0600, PROTSHM_PROT_RW));
	close(fd);
}

TEST_F(ioctl, create_seg_size_limit)
{
	const char *name = new_name(self, "cmax");
	unsigned long long max;
	struct protshm_info info;
	long pg = page_size();
	const uint64_t *size;
	uint64_t too_big[3];
	int fd;

	if (param_read("max_seg_bytes", &max))
		SKIP(return, "no max_seg_bytes parameter");
	max &= ~(uint64_t)(pg - 1);
	ASSERT_LT(0, max);
	too_big[0] = max + pg;
	too_big[1] = 1ULL << 63;
	too_big[2] = ~0ULL & ~(uint64_t)(pg - 1);
	fd = ps_open();
	ASSERT_LE(0, fd);
	for (size = too_big; size < too_big + ARRAY_SIZE(too_big); size++) {
		ASSERT_ERRNO(ps_create(fd, name, *size, 0600, PROTSHM_PROT_RW),
			     E2BIG)
			TH_LOG("seg_size %#llx", (unsigned long long)*size);
	}
	assert_absent(_metadata, name);
	/* control: exactly the limit (1 GiB by default; nothing is reserved) */
	ASSERT_EQ(0, ps_create(fd, name, max, 0600, PROTSHM_PROT_RW));
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(max, info.seg_size);
	ASSERT_EQ(0, info.resident);
	/* do not keep the limit's worth of max_total_bytes */
	ASSERT_EQ(0, ps_unlink(fd));
	close(fd);
}

TEST_F(ioctl, create_name_length)
{
	char *name63 = new_name(self, "len");
	char name[PROTSHM_NAME_MAX + 64];
	size_t len = strlen(name63);
	int fd = ps_open();

	ASSERT_LE(0, fd);
	ASSERT_GT(60, len);
	memset(name63 + len, 'x', PROTSHM_NAME_MAX - 1 - len);
	name63[PROTSHM_NAME_MAX - 1] = 0;
	/* 64 bytes: no NUL within PROTSHM_NAME_MAX */
	snprintf(name, sizeof(name), "%sy", name63);
	ASSERT_EQ(PROTSHM_NAME_MAX, strlen(name));
	ASSERT_ERRNO(ps_create(fd, name, page_size(), 0600,
			       PROTSHM_PROT_RW), EINVAL);
	/* far longer */
	memset(name + PROTSHM_NAME_MAX, 'z', 40);
	name[PROTSHM_NAME_MAX + 40] = 0;
	ASSERT_ERRNO(ps_create(fd, name, page_size(), 0600,
			       PROTSHM_PROT_RW), EINVAL);
	/* empty */
	ASSERT_ERRNO(ps_create(fd, "", page_size(), 0600,
			       PROTSHM_PROT_RW), EINVAL);
	/* and not created under the 63-byte prefix */
	assert_absent(_metadata, name63);
	/* control: 63 bytes */
	ASSERT_EQ(63, strlen(name63));
	ASSERT_EQ(0, ps_create(fd, name63, page_size(), 0600,
			       PROTSHM_PROT_RW));
	close(fd);
	/* ATTACH applies the same rule */
	fd = ps_open();
	ASSERT_LE(0, fd);
	ASSERT_ERRNO(ps_attach(fd, name, PROTSHM_PROT_RW), EINVAL);
	ASSERT_EQ(0, ps_attach(fd, name63, PROTSHM_PROT_RW));
	close(fd);
}

static bool name_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* @in with bytes outside printable ASCII as \xNN, for messages. */
static void escape(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in && n + 5 < len; in++) {
		if (*in > ' ' && *in < 0x7f)
			out[n++] = *in;
		else
			n += snprintf(out + n, len - n, "\\x%02x",
				      (unsigned char)*in);
	}
	out[n] = 0;
}

/* 0 if @name can be created (the segment is removed again), or the errno. */
static int try_create(const char *name)
{
	int fd = ps_open(), err;

	if (fd < 0)
		return -1;
	err = err_of(ps_create(fd, name, page_size(), 0600, PROTSHM_PROT_RW));
	if (!err)
		ps_unlink(fd);
	close(fd);
	return err;
}

/*
 * Every byte value, inside a name and as its first byte: only
 * [A-Za-z0-9._-] is accepted, '.' not first.  Bytes >= 0x80 are refused
 * whatever a locale or the kernel's Latin-1 ctype table says.
 */
TEST_F(ioctl, create_name_chars)
{
	static const char *const bad[] = {
		".", "..", ".hidden", "a b", "a/b", "/a", "a/", "a\tb",
		"a\xc3\xa9", "\xe9t\xe9", "a\x80", "a\xff",
	};
	static const char *const good[] = { "a.b", "a..", "-a", "_a", "9" };
	char wrong[4 * 256 * 2 + 1] = "", name[PROTSHM_NAME_MAX];
	int c, first, expect, err;
	size_t i;

	for (first = 0; first <= 1; first++) {
		for (c = 1; c < 256; c++) {
			if (first)
				snprintf(name, sizeof(name), "%cc-%d", c,
					 getpid());
			else
				snprintf(name, sizeof(name), "t-chr-%d-%cz",
					 getpid(), c);
			expect = name_char_ok(c) && !(first && c == '.') ?
				 0 : EINVAL;
			err = try_create(name);
			if (err != expect)
				snprintf(wrong + strlen(wrong),
					 sizeof(wrong) - strlen(wrong),
					 " %s%02x", first ? "^" : "", c);
		}
	}
	EXPECT_EQ(0, strlen(wrong))
		TH_LOG("wrong verdict for bytes (hex, ^ = first byte):%s",
		       wrong);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		escape(bad[i], name, sizeof(name));
		EXPECT_EQ(EINVAL, try_create(bad[i]))
			TH_LOG("name \"%s\"", name);
	}
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(name, sizeof(name), "%s%d", good[i], getpid());
		EXPECT_EQ(0, try_create(name)) TH_LOG("name \"%s\"", name);
	}
}

TEST_F(ioctl, create_name_efault)
{
	const char *name = new_name(self, "nfault");
	size_t len = strlen(name);
	long pg = page_size();
	int fd, unmap;
	char *buf;

	fd = ps_open();
	ASSERT_LE(0, fd);
	ASSERT_ERRNO(ps_create(fd, NULL, pg, 0600,
			       PROTSHM_PROT_RW), EFAULT);
	/* the next page PROT_NONE, then unmapped */
	for (unmap = 0; unmap <= 1; unmap++) {
		buf = guarded_pages(1);
		ASSERT_NE(MAP_FAILED, buf);
		if (unmap)
			ASSERT_EQ(0, munmap(buf + pg, pg));
		/* name ends at the page's end without a NUL */
		memcpy(buf + pg - len, name, len);
		ASSERT_ERRNO(ps_create(fd, buf + pg - len, pg,
				       0600, PROTSHM_PROT_RW), EFAULT)
			TH_LOG("guard page %s", unmap ? "unmapped" : "PROT_NONE");
		assert_absent(_metadata, name);
		/* the NUL is the page's last byte */
		memcpy(buf + pg - len - 1, name, len + 1);
		ASSERT_EQ(0, ps_create(fd, buf + pg - len - 1, pg, 0600,
				       PROTSHM_PROT_RW))
			TH_LOG("guard page %s", unmap ? "unmapped" : "PROT_NONE");
		ASSERT_EQ(0, ps_unlink(fd));
		close(fd);
		fd = ps_open();
		ASSERT_LE(0, fd);
		munmap(buf, (unmap ? 1 : 2) * pg);
	}
	close(fd);
}

TEST_F(ioctl, create_eexist)
{
	const char *name = new_name(self, "exist");
	const struct child_arg arg = { .name = name, .mode = 0600 };
	struct protshm_info info, again;
	int fd1 = ps_open(), fd2 = ps_open();

	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ps_create(fd1, name, page_size(), 0600, PROTSHM_PROT_RW));
	ASSERT_EQ(0, ps_info(fd1, &info, NULL));
	/* another fd, other size and mode */
	ASSERT_ERRNO(ps_create(fd2, name, 2 * page_size(), 0644,
			       PROTSHM_PROT_READ), EEXIST);
	/* another process */
	ASSERT_EQ(EEXIST, run_child(self, -1, -1, child_create, &arg));
	/* the segment is unchanged */
	ASSERT_EQ(0, ps_info(fd1, &again, NULL));
	ASSERT_EQ(info.id, again.id);
	ASSERT_EQ(page_size(), again.seg_size);
	ASSERT_EQ(0600, again.mode);
	ASSERT_EQ(1, again.nr_attachments);
	/* fd2 is still unbound: ATTACH works (the control) */
	ASSERT_ERRNO(ps_info(fd2, &again, NULL), EBADFD);
	ASSERT_EQ(0, ps_attach(fd2, name, PROTSHM_PROT_READ));
	ASSERT_EQ(0, ps_info(fd2, &again, NULL));
	ASSERT_EQ(info.id, again.id);
	close(fd2);
	close(fd1);
}

TEST_F(ioctl, bind_twice_ebusy)
{
	const char *name = new_name(self, "busy");
	const char *other = new_name(self, "busy");
	const char *unused = new_name(self, "busy");
	struct protshm_info info, again;
	int by_create = ps_open(), by_attach = ps_open(), fd;

	ASSERT_LE(0, by_create);
	ASSERT_LE(0, by_attach);
	fd = ps_new(other, page_size());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ps_create(by_create, name, page_size(), 0600,
			       PROTSHM_PROT_RW));
	ASSERT_EQ(0, ps_attach(by_attach, name, PROTSHM_PROT_READ));
	ASSERT_EQ(0, ps_info(by_create, &info, NULL));

	ASSERT_ERRNO(ps_create(by_create, unused, page_size(),
			       0600, PROTSHM_PROT_RW), EBUSY);
	ASSERT_ERRNO(ps_attach(by_create, other, PROTSHM_PROT_RW), EBUSY);
	ASSERT_ERRNO(ps_attach(by_create, name, PROTSHM_PROT_RW), EBUSY);
	ASSERT_ERRNO(ps_create(by_attach, unused, page_size(),
			       0600, PROTSHM_PROT_RW), EBUSY);
	ASSERT_ERRNO(ps_attach(by_attach, other, PROTSHM_PROT_RW), EBUSY);
	/* nothing created, both fds still on the first segment */
	assert_absent(_metadata, unused);
	ASSERT_EQ(0, ps_info(by_create, &again, NULL));
	ASSERT_EQ(info.id, again.id);
	ASSERT_EQ(PROTSHM_PROT_RW, again.fd_prot);
	ASSERT_EQ(0, ps_info(by_attach, &again, NULL));
	ASSERT_EQ(info.id, again.id);
	ASSERT_EQ(PROTSHM_PROT_READ, again.fd_prot);
	/* control: the same calls on a fresh fd */
	close(fd);
	fd = ps_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ps_attach(fd, other, PROTSHM_PROT_RW));
	close(fd);
	fd = ps_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ps_create(fd, unused, page_size(), 0600,
			       PROTSHM_PROT_RW));
	close(fd);
	close(by_attach);
	close(by_create);
}

/*
 * The smallest value of module parameter @param in [1, hi] for which a
 * segment of @size can be created, given that smaller values fail with
 * @err; 0 if none (or on an unexpected error).
 */
static unsigned long long find_threshold(struct __test_metadata *_metadata,
					 const char *param, uint64_t unit,
					 unsigned long long hi, uint64_t size,
					 int err)
{
	char name[PROTSHM_NAME_MAX];
	unsigned long long lo = 0, mid;
	int got;

	ps_name(name, sizeof(name), "probe");
	if (param_write(param, hi * unit) || try_create(name))
		return 0;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (param_write(param, mid * unit))
			return 0;
		got = try_create(name);
		if (got && got != err) {
			TH_LOG("%s=%llu: errno %d, expected %d", param,
			       mid * unit, got, err);
			return 0;
		}
		if (got)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

TEST_F(ioctl, create_count_limit)
{
	const char *names[4];
	unsigned long long limit;
	int fds[4], n, err;
	size_t i;

	if (geteuid())
		SKIP(return, "needs root to set max_segments");
	if (save_param(self, "max_segments"))
		SKIP(return, "no max_segments parameter");
	for (i = 0; i < ARRAY_SIZE(names); i++)
		names[i] = new_name(self, "count");
	/* 0: nothing can be created */
	ASSERT_EQ(0, param_write("max_segments", 0));
	ASSERT_EQ(ENOSPC, try_create(names[0]));
	assert_absent(_metadata, names[0]);
	/* other segments may exist: with limit L one more fits iff L > count */
	limit = find_threshold(_metadata, "max_segments", 1, 1 << 20,
			       page_size(), ENOSPC);
	ASSERT_LT(0, limit);
	TH_LOG("%llu other segments exist", limit - 1);
	ASSERT_EQ(0, param_write("max_segments", limit - 1 + 3));
	for (n = 0; n < 4; n++) {
		fds[n] = ps_open();
		ASSERT_LE(0, fds[n]);
		err = err_of(ps_create(fds[n], names[n], page_size(), 0600,
				       PROTSHM_PROT_RW));
		if (err)
			break;
	}
	ASSERT_EQ(3, n);
	ASSERT_EQ(ENOSPC, err);
	assert_absent(_metadata, names[3]);
	/* unlinked but still open: the segment still exists and counts */
	ASSERT_EQ(0, ps_unlink(fds[0]));
	ASSERT_ERRNO(ps_create(fds[3], names[3], page_size(),
			       0600, PROTSHM_PROT_RW), ENOSPC);
	/* control: once it is gone, there is room again */
	close(fds[0]);
	ASSERT_EQ(0, ps_create(fds[3], names[3], page_size(), 0600,
			       PROTSHM_PROT_RW));
	for (n = 1; n < 4; n++)
		close(fds[n]);
}

TEST_F(ioctl, create_total_limit)
{
	const char *a = new_name(self, "total");
	const char *b = new_name(self, "total");
	const char *c = new_name(self, "total");
	unsigned long long pages;
	long pg = page_size();
	uint64_t used;
	int fda, fdb, fdc;

	if (geteuid())
		SKIP(return, "needs root to set max_total_bytes");
	if (save_param(self, "max_total_bytes"))
		SKIP(return, "no max_total_bytes parameter");
	ASSERT_EQ(0, param_write("max_total_bytes", 0));
	ASSERT_EQ(ENOMEM, try_create(a));
	assert_absent(_metadata, a);
	/* other segments may exist: find the bytes they use */
	pages = find_threshold(_metadata, "max_total_bytes", pg, 1ULL << 30,
			       pg, ENOMEM);
	ASSERT_LT(0, pages);
	used = (pages - 1) * pg;
	TH_LOG("other segments use %llu bytes", (unsigned long long)used);
	/* room for 3 pages: 2 fit, 2 more do not, 1 does, then nothing */
	ASSERT_EQ(0, param_write("max_total_bytes", used + 3 * pg));
	fda = ps_open();
	fdb = ps_open();
	fdc = ps_open();
	ASSERT_LE(0, fda);
	ASSERT_LE(0, fdb);
	ASSERT_LE(0, fdc);
	ASSERT_EQ(0, ps_create(fda, a, 2 * pg, 0600, PROTSHM_PROT_RW));
	ASSERT_ERRNO(ps_create(fdb, b, 2 * pg, 0600,
			       PROTSHM_PROT_RW), ENOMEM);
	assert_absent(_metadata, b);
	ASSERT_EQ(0, ps_create(fdc, c, pg, 0600, PROTSHM_PROT_RW));
	ASSERT_ERRNO(ps_create(fdb, b, pg, 0600,
			       PROTSHM_PROT_RW), ENOMEM);
	assert_absent(_metadata, b);
	/* control: freeing the 2-page segment makes room for b */
	ASSERT_EQ(0, ps_unlink(fda));
	close(fda);
	ASSERT_EQ(0, ps_create(fdb, b, 2 * pg, 0600, PROTSHM_PROT_RW));
	close(fdb);
	close(fdc);
}

/* ---- ATTACH ---------------------------------------------------------- */

TEST_F(ioctl, attach_success)
{
	static const uint32_t prots[] = {
		PROTSHM_PROT_NONE, PROTSHM_PROT_READ, PROTSHM_PROT_RW,
	};
	const char *name = new_name(self, "attach");
	struct protshm_info created, info;
	char got[PROTSHM_NAME_MAX];
	int fd, owner;
	size_t i;

	owner = ps_open();
	ASSERT_LE(0, owner);
	ASSERT_EQ(0, ps_create(owner, name, 2 * page_size(), 0640,
			       PROTSHM_PROT_READ));
	ASSERT_EQ(0, ps_info(owner, &created, NULL));
	for (i = 0; i < ARRAY_SIZE(prots); i++) {
		fd = ps_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ps_attach(fd, name, prots[i]));
		ASSERT_EQ(0, ps_info(fd, &info, got));
		ASSERT_EQ(created.id, info.id);
		ASSERT_EQ(2 * page_size(), info.seg_size);
		ASSERT_EQ(created.uid, info.uid);
		ASSERT_EQ(created.gid, info.gid);
		ASSERT_EQ(0640, info.mode);
		ASSERT_EQ(PROTSHM_PROT_RW, info.ceiling);
		ASSERT_EQ(prots[i], info.fd_prot);
		/* same process: one attachment for all its fds */
		ASSERT_EQ(1, info.nr_attachments);
		ASSERT_EQ(0, info.seg_flags);
		ASSERT_STREQ(name, got);
		close(fd);
	}
	close(owner);
}

TEST_F(ioctl, attach_size_protocol)
{
	const char *name = new_name(self, "asz");
	struct protshm_attach a = {
		.size = sizeof(a), .name = (uintptr_t)name,
		.prot = PROTSHM_PROT_READ,
	};
	char *buf = guarded_pages(2);
	struct protshm_info info;
	int owner = ps_new(name, page_size());
	int fd = ps_open();

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_LE(0, owner);
	ASSERT_LE(0, fd);
	size_protocol_errors(_metadata, fd, PROTSHM_IOC_ATTACH, &a, sizeof(a));
	/* still unbound */
	ASSERT_ERRNO(ps_info(fd, &info, NULL), EBADFD);
	/* controls: zero-padded by 8 bytes, and to a page */
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_ATTACH,
			   padded(buf, &a, sizeof(a), sizeof(a) + 8)));
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(PROTSHM_PROT_READ, info.fd_prot);
	close(fd);
	fd = ps_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_ATTACH,
			   padded(buf, &a, sizeof(a), page_size())));
	close(fd);
	close(owner);
}

TEST_F(ioctl, attach_bad_args)
{
	static const uint32_t bad_flags[] = { 0x1, 0x80000000, ~0U };
	const char *name = new_name(self, "abad");
	const char *missing = new_name(self, "abad");
	struct protshm_attach a = {
		.size = sizeof(a), .name = (uintptr_t)name,
		.prot = PROTSHM_PROT_RW,
	};
	struct protshm_attach b;
	struct protshm_info info;
	int owner = ps_new(name, page_size());
	int fd = ps_open();
	size_t i;

	ASSERT_LE(0, owner);
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(bad_flags); i++) {
		b = a;
		b.flags = bad_flags[i];
		ASSERT_ERRNO(ioctl(fd, PROTSHM_IOC_ATTACH, &b), EINVAL)
			TH_LOG("flags %#x", bad_flags[i]);
		b = a;
		b.__reserved = bad_flags[i];
		ASSERT_ERRNO(ioctl(fd, PROTSHM_IOC_ATTACH, &b), EINVAL)
			TH_LOG("__reserved %#x", bad_flags[i]);
	}
	for (i = 0; i < ARRAY_SIZE(bad_prots); i++) {
		b = a;
		b.prot = bad_prots[i];
		ASSERT_ERRNO(ioctl(fd, PROTSHM_IOC_ATTACH, &b), EINVAL)
			TH_LOG("prot %#x", bad_prots[i]);
	}
	b = a;
	b.name = 0;
	ASSERT_ERRNO(ioctl(fd, PROTSHM_IOC_ATTACH, &b), EFAULT);
	ASSERT_ERRNO(ps_attach(fd, "", PROTSHM_PROT_RW), EINVAL);
	ASSERT_ERRNO(ps_attach(fd, ".x", PROTSHM_PROT_RW), EINVAL);
	ASSERT_ERRNO(ps_attach(fd, "a/b", PROTSHM_PROT_RW), EINVAL);
	ASSERT_ERRNO(ps_attach(fd, missing, PROTSHM_PROT_RW), ENOENT);
	/* the fd is still unbound: a correct ATTACH works */
	ASSERT_ERRNO(ps_info(fd, &info, NULL), EBADFD);
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_ATTACH, &a));
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(PROTSHM_PROT_RW, info.fd_prot);
	close(fd);
	close(owner);
}

/* Lookups never cross IPC namespaces. */
TEST_F(ioctl, attach_other_ipc_ns_enoent)
{
	const char *name = new_name(self, "ns");
	const struct child_arg arg = { .name = name };
	int fd;

	if (geteuid())
		SKIP(return, "needs root for unshare(CLONE_NEWIPC)");
	fd = ps_new(name, page_size());
	ASSERT_LE(0, fd);
	ASSERT_EQ(ENOENT, run_child(self, -1, -1, child_other_ipc_ns, &arg));
	/* control: the same child without unshare() finds it */
	ASSERT_EQ(0, run_child(self, -1, -1, child_attach, &arg));
	close(fd);
}

struct mode_case {
	uint32_t mode;
	uint32_t prot;
	int err;
};

/* Segments created by root (uid 0, gid 0), attached by another user. */
static void check_modes(struct __test_metadata *_metadata,
			FIXTURE_DATA(ioctl) *self, gid_t gid,
			const struct mode_case *cases, size_t n)
{
	struct protshm_info info;
	struct child_arg arg;
	const char *name;
	size_t i;
	int fd;

	for (i = 0; i < n; i++) {
		name = new_name(self, "mode");
		fd = ps_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ps_create(fd, name, page_size(), cases[i].mode,
				       PROTSHM_PROT_RW));
		ASSERT_EQ(0, ps_info(fd, &info, NULL));
		ASSERT_EQ(0, info.gid);
		arg.name = name;
		arg.prot = cases[i].prot;
		ASSERT_EQ(cases[i].err,
			  run_child(self, NOBODY, gid, child_attach, &arg))
			TH_LOG("mode %04o prot %u gid %u", cases[i].mode,
			       cases[i].prot, gid);
		ASSERT_EQ(0, ps_unlink(fd));
		close(fd);
	}
}

/*
 * The child drops to uid/gid 65534: that clears its capabilities, so no
 * CAP_IPC_OWNER, and the "other" class bits apply.
 */
TEST_F(ioctl, attach_mode_other)
{
	static const struct mode_case cases[] = {
		{ 0600, PROTSHM_PROT_READ, EACCES },
		{ 0600, PROTSHM_PROT_RW, EACCES },
		/* binding at all needs read permission */
		{ 0600, PROTSHM_PROT_NONE, EACCES },
		{ 0602, PROTSHM_PROT_NONE, EACCES },
		{ 0604, PROTSHM_PROT_NONE, 0 },
		{ 0644, PROTSHM_PROT_READ, 0 },
		{ 0644, PROTSHM_PROT_RW, EACCES },
		{ 0602, PROTSHM_PROT_READ, EACCES },
		{ 0602, PROTSHM_PROT_RW, EACCES },
		{ 0666, PROTSHM_PROT_RW, 0 },
		{ 0666, PROTSHM_PROT_READ, 0 },
	};

	if (geteuid())
		SKIP(return, "needs root to switch users");
	check_modes(_metadata, self, NOBODY, cases, ARRAY_SIZE(cases));
}

/* uid 65534 in the segment's group 0: the group class, like a file. */
TEST_F(ioctl, attach_mode_group)
{
	static const struct mode_case cases[] = {
		{ 0640, PROTSHM_PROT_READ, 0 },
		{ 0640, PROTSHM_PROT_RW, EACCES },
		{ 0660, PROTSHM_PROT_RW, 0 },
		/* the group class applies, not "other" */
		{ 0606, PROTSHM_PROT_READ, EACCES },
	};

	if (geteuid() || getegid())
		SKIP(return, "needs root (uid and gid 0)");
	check_modes(_metadata, self, 0, cases, ARRAY_SIZE(cases));
}

/* An owner without CAP_IPC_OWNER gets the owner class bits only. */
TEST_F(ioctl, attach_mode_owner)
{
	static const struct mode_case cases[] = {
		{ 0400, PROTSHM_PROT_READ, 0 },
		{ 0400, PROTSHM_PROT_RW, EACCES },
		{ 0600, PROTSHM_PROT_RW, 0 },
		{ 0044, PROTSHM_PROT_READ, EACCES },
		/* ownership alone is enough to bind with NONE */
		{ 0000, PROTSHM_PROT_NONE, 0 },
		{ 0000, PROTSHM_PROT_READ, EACCES },
	};
	struct child_arg arg;
	size_t i;

	if (geteuid())
		SKIP(return, "needs root to switch users");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		arg.name = new_name(self, "owner");
		arg.mode = cases[i].mode;
		arg.prot = cases[i].prot;
		ASSERT_EQ(0, run_child(self, NOBODY, NOBODY, child_create,
				       &arg));
		ASSERT_EQ(cases[i].err,
			  run_child(self, NOBODY, NOBODY, child_attach, &arg))
			TH_LOG("mode %04o prot %u", cases[i].mode,
			       cases[i].prot);
	}
}

/*
 * Root owning a 0400 segment attaches read-write: the owner class (0400)
 * grants read only, but root has CAP_IPC_OWNER, which overrides the mode
 * like it does for SysV IPC.
 */
TEST_F(ioctl, attach_cap_ipc_owner_overrides_mode)
{
	const char *name = new_name(self, "cap");
	struct protshm_info info;
	int owner = ps_open(), fd = ps_open();

	if (geteuid())
		SKIP(return, "needs root (CAP_IPC_OWNER)");
	ASSERT_LE(0, owner);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ps_create(owner, name, page_size(), 0400,
			       PROTSHM_PROT_READ));
	ASSERT_EQ(0, ps_attach(fd, name, PROTSHM_PROT_RW));
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(PROTSHM_PROT_RW, info.fd_prot);
	ASSERT_EQ(0400, info.mode);
	close(fd);
	close(owner);
}

/* ---- INFO ------------------------------------------------------------ */

/*
 * Resident bytes count the pages that were touched.  Each page is mapped on
 * its own so that fault-around, which never maps beyond the VMA, cannot
 * bring in a neighbour; the 4-page mapping at the end shows fault-around.
 */
TEST_F(ioctl, info_resident)
{
	const char *name = new_name(self, "res");
	struct protshm_info info;
	long pg = page_size();
	int fd = ps_new(name, 4 * pg);
	char *p0, *p2, *all, *win;

	ASSERT_LE(0, fd);
	p0 = map_seg(fd, pg, 0, NULL);
	p2 = map_seg(fd, pg, 2 * pg, NULL);
	ASSERT_NE(MAP_FAILED, p0);
	ASSERT_NE(MAP_FAILED, p2);
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(0, info.resident);
	p0[0] = 1;
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(pg, info.resident);
	p2[5] = 1;
	p2[6] = 1;
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(2 * pg, info.resident);
	/* pages are never discarded while the segment exists */
	ASSERT_EQ(0, munmap(p0, pg));
	ASSERT_EQ(0, munmap(p2, pg));
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(2 * pg, info.resident);
	/*
	 * One touch of a 4-page mapping faults the whole window in: the
	 * window is naturally aligned (16 pages by default), so place the
	 * mapping at the start of one.
	 */
	win = mmap(NULL, 32 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, win);
	all = (char *)(((uintptr_t)win + 16 * pg - 1) & ~(16 * pg - 1));
	ASSERT_EQ(all, map_seg(fd, 4 * pg, 0, all));
	ASSERT_EQ(1, all[0]);
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(4 * pg, info.resident);
	ASSERT_EQ(0, all[pg]);
	ASSERT_EQ(1, all[2 * pg + 6]);
	ASSERT_EQ(0, munmap(win, 32 * pg));
	close(fd);
}

TEST_F(ioctl, info_size_protocol)
{
	const size_t ksize = sizeof(struct protshm_info);
	const char *name = new_name(self, "isz");
	struct protshm_info valid = { .size = sizeof(valid) }, created;
	struct protshm_info *out;
	int fd = ps_new(name, page_size());
	char *buf = guarded_pages(2);
	size_t i;

	ASSERT_LE(0, fd);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, ps_info(fd, &created, NULL));
	size_protocol_errors(_metadata, fd, PROTSHM_IOC_INFO, &valid, ksize);
	/*
	 * Control: 8 more zero bytes are accepted, only sizeof(struct
	 * protshm_info) bytes are written back (the zero tail and a canary
	 * after it stay as they were) and size is set to the kernel's size.
	 */
	memset(buf, 0xa5, 2 * page_size());
	padded(buf, &valid, ksize, ksize + 8);
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_INFO, buf));
	out = (struct protshm_info *)buf;
	ASSERT_EQ(ksize, out->size);
	ASSERT_EQ(created.id, out->id);
	ASSERT_EQ(page_size(), out->seg_size);
	for (i = ksize; i < ksize + 8; i++)
		ASSERT_EQ(0, buf[i]) TH_LOG("byte %zu", i);
	for (; i < ksize + 64; i++)
		ASSERT_EQ(0xa5, (unsigned char)buf[i]) TH_LOG("byte %zu", i);
	/* control: a page */
	padded(buf, &valid, ksize, page_size());
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_INFO, buf));
	ASSERT_EQ(ksize, out->size);
	ASSERT_EQ(created.id, out->id);
	close(fd);
}

TEST_F(ioctl, info_bad_flags)
{
	static const uint32_t bad_flags[] = { 0x1, 0x2, 0x80000000, ~0U };
	const char *name = new_name(self, "iflags");
	struct protshm_info info;
	int fd = ps_new(name, page_size());
	size_t i;

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(bad_flags); i++) {
		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		info.flags = bad_flags[i];
		ASSERT_ERRNO(ioctl(fd, PROTSHM_IOC_INFO, &info), EINVAL)
			TH_LOG("flags %#x", bad_flags[i]);
		/* nothing written back */
		ASSERT_EQ(0, info.id);
	}
	info.flags = 0;
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_INFO, &info));
	ASSERT_LT(0, info.id);
	close(fd);
}

TEST_F(ioctl, info_name_optional)
{
	const char *name = new_name(self, "iname");
	struct protshm_info info;
	long pg = page_size();
	int fd = ps_new(name, pg);
	char *buf = guarded_pages(1);

	ASSERT_LE(0, fd);
	ASSERT_NE(MAP_FAILED, buf);
	/* name = 0: no name, the rest is filled in */
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_LT(0, info.id);
	ASSERT_EQ(pg, info.seg_size);
	/* a buffer that is not writable, or not all of it */
	ASSERT_ERRNO(ps_info(fd, &info, buf + pg), EFAULT);
	ASSERT_ERRNO(ps_info(fd, &info, buf + pg - 8), EFAULT);
	ASSERT_ERRNO(ps_info(fd, &info, (char *)1), EFAULT);
	/* control: the buffer ends exactly at the guard page */
	ASSERT_EQ(0, ps_info(fd, &info,
			     buf + pg - PROTSHM_NAME_MAX));
	ASSERT_STREQ(name, buf + pg - PROTSHM_NAME_MAX);
	munmap(buf, 2 * pg);
	close(fd);
}

/* ---- RESTRICT -------------------------------------------------------- */

TEST_F(ioctl, restrict_self)
{
	const char *name = new_name(self, "rself");
	struct protshm_info info;
	int fd = ps_new(name, page_size());
	char *p;

	ASSERT_LE(0, fd);
	p = map_seg(fd, page_size(), 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, probe_write(p, 1));
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(fd));
	/* pid 0 is the caller */
	ASSERT_EQ(0, ps_restrict(fd, 0, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(PROTSHM_PROT_READ, info.ceiling);
	ASSERT_EQ(PROTSHM_PROT_RW, info.fd_prot);
	ASSERT_EQ(SIGSEGV, probe_write(p, 2));
	ASSERT_EQ(0, probe_read(p));
	/* raising is a successful no-op */
	ASSERT_EQ(0, ps_restrict(fd, getpid(), PROTSHM_PROT_RW, 0));
	ASSERT_EQ(PROTSHM_PROT_READ, ceiling_of(fd));
	ASSERT_EQ(SIGSEGV, probe_write(p, 2));
	/* own pid, with the descendants flag */
	ASSERT_EQ(0, ps_restrict(fd, getpid(), PROTSHM_PROT_NONE,
				 PROTSHM_RESTRICT_DESCENDANTS));
	ASSERT_EQ(PROTSHM_PROT_NONE, ceiling_of(fd));
	ASSERT_EQ(SIGSEGV, probe_read(p));
	ASSERT_EQ(0, ps_restrict(fd, 0, PROTSHM_PROT_RW, 0));
	ASSERT_EQ(PROTSHM_PROT_NONE, ceiling_of(fd));
	close(fd);
}

TEST_F(ioctl, restrict_size_protocol)
{
	const char *name = new_name(self, "rsz");
	struct protshm_restrict r = {
		.size = sizeof(r), .prot = PROTSHM_PROT_READ,
	};
	char *buf = guarded_pages(2);
	int fd = ps_new(name, page_size());

	ASSERT_LE(0, fd);
	ASSERT_NE(MAP_FAILED, buf);
	size_protocol_errors(_metadata, fd, PROTSHM_IOC_RESTRICT, &r,
			     sizeof(r));
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(fd));
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_RESTRICT,
			   padded(buf, &r, sizeof(r), sizeof(r) + 8)));
	ASSERT_EQ(PROTSHM_PROT_READ, ceiling_of(fd));
	r.prot = PROTSHM_PROT_NONE;
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_RESTRICT,
			   padded(buf, &r, sizeof(r), page_size())));
	ASSERT_EQ(PROTSHM_PROT_NONE, ceiling_of(fd));
	close(fd);
}

TEST_F(ioctl, restrict_bad_args)
{
	static const uint32_t bad_flags[] = { 0x4, 0x7, 0x80000000, ~0U };
	static const uint32_t bad_pids[] = { 0x80000000, 0xfffffffe, ~0U };
	const char *name = new_name(self, "rbad");
	struct protshm_restrict r = {
		.size = sizeof(r), .prot = PROTSHM_PROT_READ,
	};
	struct protshm_restrict b;
	int fd = ps_new(name, page_size());
	size_t i;

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(bad_flags); i++) {
		b = r;
		b.flags = bad_flags[i];
		ASSERT_ERRNO(ioctl(fd, PROTSHM_IOC_RESTRICT, &b), EINVAL)
			TH_LOG("flags %#x", bad_flags[i]);
	}
	for (i = 0; i < ARRAY_SIZE(bad_pids); i++) {
		b = r;
		b.pid = bad_pids[i];
		ASSERT_ERRNO(ioctl(fd, PROTSHM_IOC_RESTRICT, &b), EINVAL)
			TH_LOG("pid %#x", bad_pids[i]);
	}
	for (i = 0; i < ARRAY_SIZE(bad_prots); i++) {
		b = r;
		b.prot = bad_prots[i];
		ASSERT_ERRNO(ioctl(fd, PROTSHM_IOC_RESTRICT, &b), EINVAL)
			TH_LOG("prot %#x", bad_prots[i]);
	}
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(fd));
	/* control: INT_MAX is a valid pid number, just not a process */
	b = r;
	b.pid = INT_MAX;
	ASSERT_ERRNO(ioctl(fd, PROTSHM_IOC_RESTRICT, &b), ESRCH);
	/* control: valid flags */
	b = r;
	b.flags = PROTSHM_RESTRICT_DESCENDANTS;
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_RESTRICT, &b));
	ASSERT_EQ(PROTSHM_PROT_READ, ceiling_of(fd));
	close(fd);
}

/* PROTSHM_RESTRICT_PIDFD: the pid field must be a pidfd. */
TEST_F(ioctl, restrict_pidfd_ebadf)
{
	const char *name = new_name(self, "rpidfd");
	struct protshm_restrict r = {
		.size = sizeof(r), .flags = PROTSHM_RESTRICT_PIDFD,
		.prot = PROTSHM_PROT_READ,
	};
	int fd = ps_new(name, page_size());
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	const int not_pidfds[] = { null, fd, INT_MAX, 1000 };
	size_t i;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, null);
	ASSERT_LE(0, pidfd);
	for (i = 0; i < ARRAY_SIZE(not_pidfds); i++) {
		r.pid = not_pidfds[i];
		ASSERT_ERRNO(ioctl(fd, PROTSHM_IOC_RESTRICT, &r), EBADF)
			TH_LOG("fd %d", not_pidfds[i]);
	}
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(fd));
	/* control: a pidfd of the caller */
	r.pid = pidfd;
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_RESTRICT, &r));
	ASSERT_EQ(PROTSHM_PROT_READ, ceiling_of(fd));
	close(pidfd);
	close(null);
	close(fd);
}

TEST_F(ioctl, restrict_esrch)
{
	const char *name = new_name(self, "esrch");
	struct sync_pipe s;
	pid_t sleeper, gone;
	int fd;

	ASSERT_EQ(0, sync_init(&s));
	/* a live process that never touches the segment */
	sleeper = spawn(self);
	ASSERT_LE(0, sleeper);
	if (!sleeper) {
		close(s.to_child[1]);
		sync_recv(s.to_child[0]);
		_exit(0);
	}
	close(s.to_child[0]);
	/* a process that is gone */
	gone = spawn(self);
	ASSERT_LE(0, gone);
	if (!gone)
		_exit(0);
	ASSERT_EQ(0, reap(self, gone));

	fd = ps_new(name, page_size());
	ASSERT_LE(0, fd);
	ASSERT_ERRNO(ps_restrict(fd, sleeper, PROTSHM_PROT_READ, 0), ESRCH);
	ASSERT_ERRNO(ps_restrict(fd, sleeper, PROTSHM_PROT_NONE,
				 PROTSHM_RESTRICT_DESCENDANTS), ESRCH);
	ASSERT_ERRNO(ps_restrict(fd, gone, PROTSHM_PROT_READ, 0), ESRCH);
	ASSERT_ERRNO(ps_restrict(fd, INT_MAX, PROTSHM_PROT_READ,
				 0), ESRCH);
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(fd));
	/* control: an attached process (this one) */
	ASSERT_EQ(0, ps_restrict(fd, getpid(), PROTSHM_PROT_READ, 0));
	ASSERT_EQ(PROTSHM_PROT_READ, ceiling_of(fd));
	sync_send(s.to_child[1], 'q');
	ASSERT_EQ(0, reap(self, sleeper));
	close(fd);
}

/* A non-owner without CAP_IPC_OWNER may only restrict itself. */
TEST_F(ioctl, restrict_eperm)
{
	const char *name = new_name(self, "rperm");
	const struct child_arg arg = { .name = name };
	int fd = ps_open();

	if (geteuid())
		SKIP(return, "needs root to switch users");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ps_create(fd, name, page_size(), 0666, PROTSHM_PROT_RW));
	ASSERT_EQ(EPERM, run_child(self, NOBODY, NOBODY,
				   child_restrict_parent, &arg));
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(fd));
	close(fd);
}

/* The owner restricts another attached process. */
TEST_F(ioctl, restrict_other_process)
{
	const char *name = new_name(self, "rother");
	struct protshm_info info;
	struct sync_pipe s;
	int fd, cfd;
	pid_t pid;

	fd = ps_new(name, page_size());
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sync_init(&s));
	pid = spawn(self);
	ASSERT_LE(0, pid);
	if (!pid) {
		close(s.to_child[1]);
		close(s.to_parent[0]);
		cfd = ps_open();
		if (cfd < 0 || ps_attach(cfd, name, PROTSHM_PROT_RW))
			_exit(1);
		sync_send(s.to_parent[1], 'a');
		if (sync_recv(s.to_child[0]) != 'r')
			_exit(2);
		if (ps_info(cfd, &info, NULL))
			_exit(3);
		_exit(info.ceiling == PROTSHM_PROT_READ ? 0 : 4);
	}
	close(s.to_child[0]);
	close(s.to_parent[1]);
	ASSERT_EQ('a', sync_recv(s.to_parent[0]));
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(2, info.nr_attachments);
	ASSERT_EQ(0, ps_restrict(fd, pid, PROTSHM_PROT_READ, 0));
	/* the caller's own ceiling is untouched */
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(fd));
	sync_send(s.to_child[1], 'r');
	ASSERT_EQ(0, reap(self, pid));
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(1, info.nr_attachments);
	close(fd);
}

/* ---- RESTRICT_MAPPING ------------------------------------------------ */

TEST_F(ioctl, restrict_mapping_size_protocol)
{
	const char *name = new_name(self, "msz");
	long pg = page_size();
	int fd = ps_new(name, 2 * pg);
	char *buf = guarded_pages(2);
	struct protshm_restrict_mapping r = {
		.size = sizeof(r), .len = pg, .prot = PROTSHM_PROT_READ,
	};
	char *p, perms[5];

	ASSERT_LE(0, fd);
	ASSERT_NE(MAP_FAILED, buf);
	p = map_seg(fd, pg, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	r.addr = (uintptr_t)p;
	size_protocol_errors(_metadata, fd, PROTSHM_IOC_RESTRICT_MAPPING, &r,
			     sizeof(r));
	ASSERT_EQ(0, probe_write(p, 1));
	ASSERT_STREQ("rw-s", maps_perms(p, perms));
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_RESTRICT_MAPPING,
			   padded(buf, &r, sizeof(r), sizeof(r) + 8)));
	ASSERT_EQ(SIGSEGV, probe_write(p, 2));
	ASSERT_STREQ("r--s", maps_perms(p, perms));
	/* control with a page-sized struct, on a second mapping */
	p = map_seg(fd, pg, pg, NULL);
	ASSERT_NE(MAP_FAILED, p);
	r.addr = (uintptr_t)p;
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_RESTRICT_MAPPING,
			   padded(buf, &r, sizeof(r), page_size())));
	ASSERT_EQ(SIGSEGV, probe_write(p, 2));
	close(fd);
}

/*
 * RESTRICT_MAPPING's argument checks: a two-page segment mapped whole,
 * and the valid request for that mapping (to READ).  Each bad_* test
 * changes one field of it and expects EINVAL, then mbad_control() checks
 * that nothing changed and that the valid request works.
 */
struct mbad {
	int fd;
	char *p;
	struct protshm_restrict_mapping r;
};

static void mbad_map(struct __test_metadata *_metadata,
		     FIXTURE_DATA(ioctl) *self, struct mbad *m)
{
	long pg = page_size();

	m->fd = ps_new(new_name(self, "mbad"), 2 * pg);
	ASSERT_LE(0, m->fd);
	m->p = map_seg(m->fd, 2 * pg, 0, NULL);
	ASSERT_NE(MAP_FAILED, m->p);
	m->r = (struct protshm_restrict_mapping){
		.size = sizeof(m->r), .addr = (uintptr_t)m->p, .len = 2 * pg,
		.prot = PROTSHM_PROT_READ,
	};
}

static void mbad_control(struct __test_metadata *_metadata, struct mbad *m)
{
	long pg = page_size();
	char perms[5];

	/* unchanged */
	ASSERT_EQ(0, probe_write(m->p, 1));
	ASSERT_EQ(0, probe_write(m->p + pg, 1));
	ASSERT_STREQ("rw-s", maps_perms(m->p, perms));
	/* control */
	ASSERT_EQ(0, ioctl(m->fd, PROTSHM_IOC_RESTRICT_MAPPING, &m->r));
	ASSERT_EQ(SIGSEGV, probe_write(m->p, 2));
	ASSERT_EQ(SIGSEGV, probe_write(m->p + pg, 2));
	ASSERT_EQ(0, probe_read(m->p + pg));
	ASSERT_STREQ("r--s", maps_perms(m->p, perms));
	close(m->fd);
}

/* Unknown flags, and non-zero reserved bits, are refused. */
TEST_F(ioctl, restrict_mapping_bad_flags)
{
	static const uint32_t bad_flags[] = { 0x1, 0x80000000, ~0U };
	struct protshm_restrict_mapping b;
	struct mbad m;
	size_t i;

	mbad_map(_metadata, self, &m);
	for (i = 0; i < ARRAY_SIZE(bad_flags); i++) {
		b = m.r;
		b.flags = bad_flags[i];
		ASSERT_ERRNO(ioctl(m.fd, PROTSHM_IOC_RESTRICT_MAPPING, &b),
			     EINVAL)
			TH_LOG("flags %#x", bad_flags[i]);
		b = m.r;
		b.__reserved = bad_flags[i];
		ASSERT_ERRNO(ioctl(m.fd, PROTSHM_IOC_RESTRICT_MAPPING, &b),
			     EINVAL)
			TH_LOG("__reserved %#x", bad_flags[i]);
	}
	mbad_control(_metadata, &m);
}

/* A protection other than NONE, READ or READ|WRITE is refused. */
TEST_F(ioctl, restrict_mapping_bad_prot)
{
	struct protshm_restrict_mapping b;
	struct mbad m;
	size_t i;

	mbad_map(_metadata, self, &m);
	for (i = 0; i < ARRAY_SIZE(bad_prots); i++) {
		b = m.r;
		b.prot = bad_prots[i];
		ASSERT_ERRNO(ioctl(m.fd, PROTSHM_IOC_RESTRICT_MAPPING, &b),
			     EINVAL)
			TH_LOG("prot %#x", bad_prots[i]);
	}
	mbad_control(_metadata, &m);
}

/* Empty, unaligned and wrapping ranges are refused. */
TEST_F(ioctl, restrict_mapping_bad_range)
{
	/* addr relative to the mapping unless abs; len in bytes */
	static const struct {
		bool abs;
		uint64_t addr, len;
	} ranges[] = {
		{ false, 0, 0 },			/* empty */
		{ false, 1, 4096 },			/* addr unaligned */
		{ false, 4095, 4096 },
		{ false, 0, 4097 },			/* len unaligned */
		{ false, 0, 8191 },
		{ false, 0, 1 },
		{ false, 0, ~0ULL & ~4095ULL },		/* wraps */
		{ true, ~0ULL & ~4095ULL, 4096 },	/* ends at 0 */
		{ true, ~0ULL & ~4095ULL, 8192 },	/* wraps */
	};
	struct protshm_restrict_mapping b;
	struct mbad m;
	size_t i;

	if (page_size() != 4096)
		SKIP(return, "the ranges assume 4 KiB pages");
	mbad_map(_metadata, self, &m);
	for (i = 0; i < ARRAY_SIZE(ranges); i++) {
		b = m.r;
		b.addr = ranges[i].addr + (ranges[i].abs ? 0 : m.r.addr);
		b.len = ranges[i].len;
		ASSERT_ERRNO(ioctl(m.fd, PROTSHM_IOC_RESTRICT_MAPPING, &b),
			     EINVAL)
			TH_LOG("addr %#llx len %#llx",
			       (unsigned long long)b.addr,
			       (unsigned long long)b.len);
	}
	/* the end computed as 0 */
	b = m.r;
	b.len = -m.r.addr;
	ASSERT_ERRNO(ioctl(m.fd, PROTSHM_IOC_RESTRICT_MAPPING, &b), EINVAL);
	mbad_control(_metadata, &m);
}

/*
 * The restrict_mapping_* range tests map an area R; its layout, in pages
 * (MR_* are the first pages of the parts):
 *   0-1  A: segment pages 0-1      2-3  B: segment pages 2-3 (adjacent)
 *   4    anonymous PROT_NONE       5    C: segment page 0
 *   6    hole (unmapped)           7    D: segment page 1
 *   8-9  E: another segment        10-11 anonymous read-write
 */
enum { MR_A = 0, MR_B = 2, MR_NONE = 4, MR_C = 5, MR_HOLE = 6, MR_D = 7,
       MR_E = 8, MR_ANON = 10, MR_PAGES = 12 };

struct mrange {
	int fd, fd2;	/* the segment of A-D, the one of E */
	char *r;
};

/* Page @page of the area. */
static char *mr_page(const struct mrange *m, int page)
{
	return m->r + page * page_size();
}

static void mrange_map(struct __test_metadata *_metadata,
		       FIXTURE_DATA(ioctl) *self, struct mrange *m)
{
	long pg = page_size();

	m->fd = ps_new(new_name(self, "mrange"), 4 * pg);
	m->fd2 = ps_new(new_name(self, "mrange"), 2 * pg);
	ASSERT_LE(0, m->fd);
	ASSERT_LE(0, m->fd2);
	m->r = mmap(NULL, 16 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, m->r);
	ASSERT_EQ(mr_page(m, MR_A),
		  map_seg(m->fd, 2 * pg, 0, mr_page(m, MR_A)));
	ASSERT_EQ(mr_page(m, MR_B),
		  map_seg(m->fd, 2 * pg, 2 * pg, mr_page(m, MR_B)));
	ASSERT_EQ(mr_page(m, MR_C), map_seg(m->fd, pg, 0, mr_page(m, MR_C)));
	ASSERT_EQ(0, munmap(mr_page(m, MR_HOLE), pg));
	ASSERT_EQ(mr_page(m, MR_D), map_seg(m->fd, pg, pg, mr_page(m, MR_D)));
	ASSERT_EQ(mr_page(m, MR_E),
		  map_seg(m->fd2, 2 * pg, 0, mr_page(m, MR_E)));
	ASSERT_EQ(mr_page(m, MR_ANON),
		  mmap(mr_page(m, MR_ANON), 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	ASSERT_EQ(0, munmap(mr_page(m, MR_PAGES), 4 * pg));
}

static void mrange_unmap(struct mrange *m)
{
	munmap(m->r, MR_PAGES * page_size());
	close(m->fd2);
	close(m->fd);
}

/*
 * A range that does not cover mappings of the segment exactly is refused
 * and changes nothing; A and B together, exactly, is the control.
 */
TEST_F(ioctl, restrict_mapping_inexact_range)
{
	static const struct {
		int page, nr_pages;
		const char *what;
	} bad[] = {
		{ MR_A + 1, 1, "starts inside A" },
		{ MR_A, 1, "ends inside A" },
		{ MR_A + 1, 2, "starts inside A, ends inside B" },
		{ MR_A, 3, "ends inside B" },
		{ MR_A, 5, "A, B and an anonymous page" },
		{ MR_C, 3, "C, a hole, D" },
		{ MR_HOLE, 1, "the hole" },
		{ MR_NONE, 1, "anonymous PROT_NONE" },
		{ MR_ANON, 2, "anonymous read-write" },
		{ MR_E, 2, "another segment" },
		{ MR_D, 3, "D and another segment" },
		{ 0, MR_PAGES, "everything" },
	};
	/* the pages that must stay writable after the failures */
	static const int rw[] = { 0, 1, 2, 3, 5, 7, 8, 9, 10, 11 };
	long pg = page_size();
	char *a, *b, perms[5];
	struct mrange m;
	size_t i;

	mrange_map(_metadata, self, &m);
	a = mr_page(&m, MR_A);
	b = mr_page(&m, MR_B);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_ERRNO(ps_restrict_mapping(m.fd, mr_page(&m, bad[i].page),
						 bad[i].nr_pages * pg,
						 PROTSHM_PROT_READ), EINVAL)
			TH_LOG("%s", bad[i].what);
	}
	/* nothing changed */
	for (i = 0; i < ARRAY_SIZE(rw); i++) {
		ASSERT_EQ(0, probe_write(mr_page(&m, rw[i]), 1))
			TH_LOG("page %d", rw[i]);
	}
	ASSERT_STREQ("rw-s", maps_perms(a, perms));
	ASSERT_STREQ("rw-s", maps_perms(b, perms));
	ASSERT_STREQ("rw-s", maps_perms(mr_page(&m, MR_C), perms));
	ASSERT_STREQ("rw-s", maps_perms(mr_page(&m, MR_E), perms));

	/* control: A and B together, exactly */
	ASSERT_EQ(0, ps_restrict_mapping(m.fd, a, 4 * pg, PROTSHM_PROT_READ));
	ASSERT_STREQ("r--s", maps_perms(a, perms));
	ASSERT_STREQ("r--s", maps_perms(b, perms));
	ASSERT_ACCERR(probe_write(a, 2), a);
	ASSERT_EQ(SIGSEGV, probe_write(b + pg, 2));
	ASSERT_EQ(0, probe_read(a + pg));
	ASSERT_EQ(0, probe_read(b));
	/* C: the same page as A's first, another mapping */
	ASSERT_EQ(0, probe_write(mr_page(&m, MR_C), 3));
	ASSERT_EQ(3, a[0]);
	mrange_unmap(&m);
}

/* One page's mapping (C) alone, to NONE: the next page's (D) is untouched. */
TEST_F(ioctl, restrict_mapping_one_page_to_none)
{
	char *c, *d;
	struct mrange m;

	mrange_map(_metadata, self, &m);
	c = mr_page(&m, MR_C);
	d = mr_page(&m, MR_D);
	ASSERT_EQ(0, probe_read(c));	/* control */
	ASSERT_EQ(0, ps_restrict_mapping(m.fd, c, page_size(),
					 PROTSHM_PROT_NONE));
	ASSERT_EQ(SIGSEGV, probe_read(c));
	ASSERT_EQ(0, probe_write(d, 1));
	mrange_unmap(&m);
}

/* Another segment's mapping (E), through that segment's own fd. */
TEST_F(ioctl, restrict_mapping_other_segment)
{
	long pg = page_size();
	struct mrange m;
	char *e;

	mrange_map(_metadata, self, &m);
	e = mr_page(&m, MR_E);
	ASSERT_EQ(0, probe_write(e + pg, 1));	/* control */
	ASSERT_EQ(0, ps_restrict_mapping(m.fd2, e, 2 * pg, PROTSHM_PROT_READ));
	ASSERT_EQ(SIGSEGV, probe_write(e + pg, 2));
	mrange_unmap(&m);
}

/* ---- UNLINK ---------------------------------------------------------- */

TEST_F(ioctl, unlink_owner)
{
	const char *name = new_name(self, "unlink");
	struct protshm_info info, again;
	long pg = page_size();
	int fd = ps_new(name, 2 * pg), fd2 = ps_open(), fd3;
	char *p, *q;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ps_attach(fd2, name, PROTSHM_PROT_READ));
	p = map_seg(fd, 2 * pg, 0, NULL);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 42;
	ASSERT_EQ(0, ps_info(fd, &info, NULL));

	ASSERT_EQ(0, ps_unlink(fd));
	ASSERT_ERRNO(ps_unlink(fd), ENOENT);
	ASSERT_ERRNO(ps_unlink(fd2), ENOENT);
	ASSERT_EQ(0, ps_info(fd, &again, NULL));
	ASSERT_EQ(info.id, again.id);
	ASSERT_EQ(PROTSHM_INFO_UNLINKED, again.seg_flags);
	ASSERT_EQ(0, ps_info(fd2, &again, NULL));
	ASSERT_EQ(PROTSHM_INFO_UNLINKED, again.seg_flags);
	/* the name is gone */
	fd3 = ps_open();
	ASSERT_LE(0, fd3);
	ASSERT_ERRNO(ps_attach(fd3, name, PROTSHM_PROT_NONE), ENOENT);
	/* existing mappings and fds keep working */
	ASSERT_EQ(0, probe_write(p + pg, 7));
	q = map_seg(fd, pg, pg, NULL);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(7, q[0]);
	ASSERT_EQ(42, p[0]);
	/* the name can be reused, by a new segment */
	ASSERT_EQ(0, ps_create(fd3, name, pg, 0600, PROTSHM_PROT_RW));
	ASSERT_EQ(0, ps_info(fd3, &again, NULL));
	ASSERT_NE(info.id, again.id);
	ASSERT_EQ(0, again.seg_flags);
	ASSERT_EQ(0, ps_info(fd, &again, NULL));
	ASSERT_EQ(info.id, again.id);
	close(fd3);
	close(fd2);
	close(fd);
}

/* A non-owner without CAP_IPC_OWNER cannot unlink, even with RW rights. */
TEST_F(ioctl, unlink_eperm)
{
	const char *name = new_name(self, "uperm");
	const struct child_arg arg = { .name = name };
	struct protshm_info info;
	int fd = ps_open(), fd2;

	if (geteuid())
		SKIP(return, "needs root to switch users");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ps_create(fd, name, page_size(), 0666, PROTSHM_PROT_RW));
	ASSERT_EQ(EPERM, run_child(self, NOBODY, NOBODY, child_unlink, &arg));
	/* still there */
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(0, info.seg_flags);
	fd2 = ps_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ps_attach(fd2, name, PROTSHM_PROT_RW));
	/* control: the owner */
	ASSERT_EQ(0, ps_unlink(fd));
	close(fd2);
	close(fd);
}

/* Root is not the owner of a nobody's segment but has CAP_IPC_OWNER. */
TEST_F(ioctl, unlink_cap_ipc_owner)
{
	const char *name = new_name(self, "ucap");
	const struct child_arg arg = { .name = name, .mode = 0600 };
	struct protshm_info info;
	int fd = ps_open();

	if (geteuid())
		SKIP(return, "needs root to switch users");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, run_child(self, NOBODY, NOBODY, child_create, &arg));
	/* mode 0600 of uid 65534: CAP_IPC_OWNER also overrides the mode */
	ASSERT_EQ(0, ps_attach(fd, name, PROTSHM_PROT_RW));
	ASSERT_EQ(0, ps_info(fd, &info, NULL));
	ASSERT_EQ(NOBODY, info.uid);
	ASSERT_EQ(NOBODY, info.gid);
	ASSERT_EQ(0, ps_unlink(fd));
	close(fd);
	fd = ps_open();
	ASSERT_LE(0, fd);
	ASSERT_ERRNO(ps_attach(fd, name, PROTSHM_PROT_NONE), ENOENT);
	close(fd);
}

/* ---- other files ----------------------------------------------------- */

/*
 * protshm ioctls on files of other types: the VFS (regular file) or the
 * file's own driver (pipe, /dev/null) answers ENOTTY for a command it does
 * not know.
 */
TEST_F(ioctl, foreign_fd_enotty)
{
	const char *name = new_name(self, "foreign");
	struct protshm_info info = { .size = sizeof(info) };
	static const char *const what[] = { "regular file", "pipe", "/dev/null" };
	int fds[3], pfd[2], fd;
	size_t i;

	fds[0] = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ASSERT_EQ(0, pipe(pfd));
	fds[1] = pfd[0];
	fds[2] = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		ASSERT_LE(0, fds[i]) TH_LOG("%s", what[i]);
		ASSERT_ERRNO(ioctl(fds[i], PROTSHM_IOC_INFO, &info), ENOTTY)
			TH_LOG("%s", what[i]);
		ASSERT_ERRNO(ps_create(fds[i], name, page_size(),
				       0600, PROTSHM_PROT_RW), ENOTTY)
			TH_LOG("%s", what[i]);
		ASSERT_ERRNO(ps_unlink(fds[i]), ENOTTY)
			TH_LOG("%s", what[i]);
		close(fds[i]);
	}
	close(pfd[1]);
	assert_absent(_metadata, name);
	/* control: the same calls on /dev/protshm */
	fd = ps_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ps_create(fd, name, page_size(), 0600, PROTSHM_PROT_RW));
	ASSERT_EQ(0, ioctl(fd, PROTSHM_IOC_INFO, &info));
	ASSERT_EQ(0, ps_unlink(fd));
	close(fd);
}

TEST_HARNESS_MAIN
