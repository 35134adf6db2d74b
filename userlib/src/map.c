// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * map.c - mappings: map, unmap, and lowering one's own mapping.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* The offset goes to mmap(2) as off_t: it must not be truncated. */
_Static_assert(sizeof(off_t) == 8, "build with -D_FILE_OFFSET_BITS=64");

PROTSHM_API int protshm_map(struct protshm *shm, size_t offset, size_t len,
			    int prot, void **addr)
{
	void *p;

	if (!shm || !addr || (uint64_t)offset > INT64_MAX)
		return -EINVAL;
	p = mmap(NULL, len, prot, MAP_SHARED, shm->fd, (off_t)offset);
	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	return 0;
}

PROTSHM_API int protshm_unmap(void *addr, size_t len)
{
	return munmap(addr, len) < 0 ? -errno : 0;
}

PROTSHM_API int protshm_restrict_mapping(struct protshm *shm, void *addr,
					 size_t len, unsigned int prot)
{
	struct protshm_restrict_mapping arg = {
		.size = sizeof(arg),
		.addr = (uintptr_t)addr,
		.prot = prot,
	};
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int ret;

	if (!shm || len > SIZE_MAX - (page - 1))
		return -EINVAL;
	/* Like mprotect(2), accept the length given to mmap(2): round it up. */
	arg.len = (len + page - 1) & ~(uint64_t)(page - 1);
	ret = protshm__ioctl(shm->fd, PROTSHM_IOC_RESTRICT_MAPPING, &arg);
	return ret < 0 ? ret : 0;
}
