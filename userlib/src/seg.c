// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * seg.c - operations on the segment a handle is bound to: info, unlink and
 * lowering a process's ceiling.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

PROTSHM_API int protshm_info(struct protshm *shm, struct protshm_info *info,
			     char name[PROTSHM_NAME_MAX])
{
	int ret;

	if (!shm || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->name = (uintptr_t)name;
	ret = protshm__ioctl(shm->fd, PROTSHM_IOC_INFO, info);
	if (ret < 0)
		return ret;
	if (name)
		name[PROTSHM_NAME_MAX - 1] = '\0';
	return 0;
}

PROTSHM_API int protshm_unlink(struct protshm *shm)
{
	int ret;

	if (!shm)
		return -EINVAL;
	ret = protshm__ioctl(shm->fd, PROTSHM_IOC_UNLINK, NULL);
	return ret < 0 ? ret : 0;
}

PROTSHM_API int protshm_restrict(struct protshm *shm, pid_t pid,
				 unsigned int prot, unsigned int flags)
{
	struct protshm_restrict arg = {
		.size = sizeof(arg),
		.flags = flags,
		.pid = (uint32_t)pid,
		.prot = prot,
	};
	int ret;

	if (!shm || pid < 0)
		return -EINVAL;
	ret = protshm__ioctl(shm->fd, PROTSHM_IOC_RESTRICT, &arg);
	return ret < 0 ? ret : 0;
}
