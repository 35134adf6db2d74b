// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * events.c - lowering notifications and write leases.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

#include "internal.h"

PROTSHM_API int protshm_events_read(struct protshm *shm,
				    struct protshm_event *ev, size_t n,
				    int timeout_ms)
{
	struct pollfd pfd = { .events = POLLPRI };
	ssize_t got;
	int fl;

	if (!shm || !ev || !n)
		return -EINVAL;
	pfd.fd = shm->fd;
	fl = fcntl(shm->fd, F_GETFL);
	if (fl < 0 || (!(fl & O_NONBLOCK) &&
		       fcntl(shm->fd, F_SETFL, fl | O_NONBLOCK)))
		return -errno;
	for (;;) {
		got = read(shm->fd, ev, n * sizeof(*ev));
		if (got >= 0)
			return (int)(got / sizeof(*ev));
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (errno == EAGAIN) {
			got = poll(&pfd, 1, timeout_ms);
			if (got < 0 && errno != EINTR)
				return -errno;
			if (!got)
				return -EAGAIN;
		}
	}
}

PROTSHM_API int protshm_create_flags(const char *name, size_t size,
				     mode_t mode, unsigned int prot,
				     unsigned int flags, struct protshm **out)
{
	return protshm__create(name, size, mode, prot, flags, out);
}

PROTSHM_API int protshm_lease_move(struct protshm *shm, pid_t pid,
				   unsigned int flags)
{
	struct protshm_lease arg = {
		.size = sizeof(arg),
		.flags = flags,
		.pid = (uint32_t)pid,
	};
	int ret;

	if (!shm || pid < 0)
		return -EINVAL;
	ret = protshm__ioctl(shm->fd, PROTSHM_IOC_LEASE, &arg);
	return ret < 0 ? ret : 0;
}
