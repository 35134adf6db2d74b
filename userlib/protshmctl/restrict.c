// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * restrict.c - protshmctl restrict NAME PID rw|r|none [-d]: lower the
 * ceiling of a process.  Administrators (CAP_NET_ADMIN) go through
 * netlink; for anyone else, e.g. the segment's owner, it falls back to
 * PROTSHM_IOC_RESTRICT on an fd attached with no rights.  The process is
 * pinned by a pidfd taken first, so that a reused pid number cannot make
 * it restrict another process.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "protshmctl.h"

static int parse_prot(const char *s, unsigned int *prot)
{
	if (!strcmp(s, "rw"))
		*prot = PROTSHM_PROT_RW;
	else if (!strcmp(s, "r"))
		*prot = PROTSHM_PROT_READ;
	else if (!strcmp(s, "none"))
		*prot = PROTSHM_PROT_NONE;
	else
		return -1;
	return 0;
}

/* The owner's way: attach with no rights, then the ioctl by pidfd. */
static int restrict_ioctl(const char *name, int pidfd, unsigned int prot,
			  unsigned int flags)
{
	struct protshm *shm;
	int ret;

	ret = protshm_attach(name, PROTSHM_PROT_NONE, &shm);
	if (ret < 0)
		return ret;
	ret = protshm_restrict(shm, pidfd, prot,
			       flags | PROTSHM_RESTRICT_PIDFD);
	protshm_close(shm);
	return ret;
}

static int restrict_report(const char *name, pid_t pid, int ret,
			   struct protshm_nl *nl)
{
	if (ret == -ENOENT)
		fprintf(stderr, "protshmctl: restrict: no segment \"%s\"\n", name);
	else if (ret == -ESRCH)
		fprintf(stderr, "protshmctl: restrict: process %d is not "
			"attached to \"%s\"\n", (int)pid, name);
	else if (ret == -EPERM)
		fprintf(stderr, "protshmctl: restrict: not permitted (needs "
			"CAP_NET_ADMIN, or to own \"%s\")\n", name);
	else if (ret < 0)
		return ctl_error("restrict", ret, nl);
	return ret < 0 ? EXIT_FAIL : EXIT_OK;
}

int restrict_main(struct ctl *ctl, int argc, char **argv)
{
	unsigned int prot, flags = 0;
	struct protshm_nl *nl;
	int ret, pidfd;
	char *end;
	long pid;

	(void)ctl;
	if (argc == 5 && (!strcmp(argv[4], "-d") ||
			  !strcmp(argv[4], "--descendants")))
		flags = PROTSHM_RESTRICT_DESCENDANTS;
	else if (argc != 4)
		return ctl_usage_error("usage: restrict NAME PID rw|r|none [-d]");
	errno = 0;
	pid = strtol(argv[2], &end, 10);
	if (errno || *end || end == argv[2] || pid <= 0 || pid > INT32_MAX)
		return ctl_usage_error("restrict: '%s' is not a pid", argv[2]);
	if (parse_prot(argv[3], &prot))
		return ctl_usage_error("restrict: protection must be rw, r or "
				       "none, not '%s'", argv[3]);
	ret = ctl_open(&nl);
	if (ret)
		return ret;
	pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		ret = -errno;
	else
		ret = protshm_nl_restrict(nl, argv[1], pidfd, prot,
					  flags | PROTSHM_RESTRICT_PIDFD);
	if (ret == -EPERM)
		ret = restrict_ioctl(argv[1], pidfd, prot, flags);
	ret = restrict_report(argv[1], (pid_t)pid, ret, nl);
	if (pidfd >= 0)
		close(pidfd);
	protshm_nl_close(nl);
	return ret;
}
