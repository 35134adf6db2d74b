/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic helpers for the protshm selftests that check ioctl arguments and
 * errnos: errno capture, module parameters, dropping privileges, and
 * buffers that end right before an inaccessible page.
 *
 * These and common.h's ps_*() wrappers issue ioctl(2) themselves instead of
 * calling libprotshm: the tests check the kernel ABI, malformed arguments
 * included, and need the kernel's errno unfiltered (see common.h).  Nothing
 * here duplicates libprotshm: it has no parameter, credential or guard-page
 * helpers.
 */
#ifndef PROTSHM_SELFTEST_IOCTL_HELPERS_H
#define PROTSHM_SELFTEST_IOCTL_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PROTSHM_PARAM_DIR	"/sys/module/protshm/parameters/"

/* The errno of a call that returns -1 on failure, 0 if it succeeded. */
static inline int err_of(long ret)
{
	return ret < 0 ? errno : 0;
}

/* Read a numeric module parameter; 0 or -1. */
static inline int param_read(const char *name, unsigned long long *val)
{
	char path[256];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), PROTSHM_PARAM_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%llu", val) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

/* Write a numeric module parameter (needs root); 0 or -1. */
static inline int param_write(const char *name, unsigned long long val)
{
	char path[256], buf[32];
	int fd, len, ret;

	snprintf(path, sizeof(path), PROTSHM_PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%llu\n", val);
	ret = write(fd, buf, len) == len ? 0 : -1;
	close(fd);
	return ret;
}

/*
 * Become uid/gid with no supplementary groups.  Setting all three uids of
 * a root process to non-zero values clears its capabilities (without
 * SECBIT_KEEP_CAPS), CAP_IPC_OWNER included.  0 or -1.
 */
static inline int become_user(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -1;
	return 0;
}

/*
 * @nr_pages read-write anonymous pages followed by one PROT_NONE page, so
 * that an object placed at the end of the last page ends right before
 * memory the kernel cannot read.  Returns the first page or MAP_FAILED;
 * free with munmap(p, (nr_pages + 1) * page size).
 */
static inline char *guarded_pages(int nr_pages)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, (nr_pages + 1) * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return p;
	if (mprotect(p + nr_pages * pg, pg, PROT_NONE)) {
		munmap(p, (nr_pages + 1) * pg);
		return MAP_FAILED;
	}
	return p;
}

#endif /* PROTSHM_SELFTEST_IOCTL_HELPERS_H */
