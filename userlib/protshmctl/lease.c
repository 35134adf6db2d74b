// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * lease.c - protshmctl lease NAME PID: move the write lease of a segment
 * created with PROTSHM_CREATE_LEASE.  PROTSHM_IOC_LEASE on an fd attached
 * with no rights (the segment's owner, CAP_IPC_OWNER or the holder), the
 * process pinned by a pidfd as for restrict.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "protshmctl.h"

static int lease_move(const char *name, int pidfd)
{
	struct protshm *shm;
	int ret;

	ret = protshm_attach(name, PROTSHM_PROT_NONE, &shm);
	if (ret < 0)
		return ret;
	ret = protshm_lease_move(shm, pidfd, PROTSHM_LEASE_PIDFD);
	protshm_close(shm);
	return ret;
}

static int lease_report(const char *name, pid_t pid, int ret)
{
	const char *why = NULL;

	if (ret == -ENOENT)
		why = "no such segment";
	else if (ret == -ESRCH)
		why = "the process is not attached";
	else if (ret == -EPERM)
		why = "not permitted (needs to own the segment or hold the lease)";
	else if (ret == -EACCES)
		why = "the process's ceiling does not allow writing";
	else if (ret == -EINVAL)
		why = "the segment has no write lease";
	if (why)
		fprintf(stderr, "protshmctl: lease \"%s\" to %d: %s\n", name,
			(int)pid, why);
	else if (ret < 0)
		return ctl_error("lease", ret, NULL);
	return ret < 0 ? EXIT_FAIL : EXIT_OK;
}

int lease_main(struct ctl *ctl, int argc, char **argv)
{
	int ret, pidfd;
	char *end;
	long pid;

	(void)ctl;
	if (argc != 3)
		return ctl_usage_error("usage: lease NAME PID");
	errno = 0;
	pid = strtol(argv[2], &end, 10);
	if (errno || *end || end == argv[2] || pid <= 0 || pid > INT32_MAX)
		return ctl_usage_error("lease: '%s' is not a pid", argv[2]);
	pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pidfd < 0)
		return lease_report(argv[1], (pid_t)pid, -errno);
	ret = lease_move(argv[1], pidfd);
	close(pidfd);
	return lease_report(argv[1], (pid_t)pid, ret);
}
