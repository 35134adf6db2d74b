// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * dev.c - the device and handle life cycle: open, bind (create, attach,
 * adopt an fd), version, close.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

/*
 * protshm__ioctl - ioctl(2) that returns -errno and restarts on EINTR.
 * Every protshm ioctl is safe to repeat when it was interrupted (the kernel
 * only reports EINTR when it did nothing).  Returns the ioctl's non-negative
 * result on success.
 */
int protshm__ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

/* open_dev - open PROTSHM_DEVICE; returns the fd or -errno. */
static int open_dev(void)
{
	int fd;

	do {
		fd = open(PROTSHM_DEVICE, O_RDWR | O_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

/* handle_new - wrap @fd in a new handle; returns 0 or -ENOMEM. */
static int handle_new(int fd, struct protshm **out)
{
	struct protshm *shm = malloc(sizeof(*shm));

	if (!shm)
		return -ENOMEM;
	shm->fd = fd;
	*out = shm;
	return 0;
}

/*
 * bind_new - open the device, bind it with ioctl @req and wrap it in a
 * handle.  The fd is closed again on any failure.
 */
static int bind_new(unsigned long req, void *arg, struct protshm **out)
{
	int fd, ret;

	fd = open_dev();
	if (fd < 0)
		return fd;
	ret = protshm__ioctl(fd, req, arg);
	if (ret >= 0)
		ret = handle_new(fd, out);
	if (ret < 0)
		close(fd);
	return ret < 0 ? ret : 0;
}

PROTSHM_API int protshm_abi_version(void)
{
	int fd, ret;

	fd = open_dev();
	if (fd < 0)
		return fd;
	ret = protshm__ioctl(fd, PROTSHM_IOC_VERSION, NULL);
	close(fd);
	return ret;
}

int protshm__create(const char *name, size_t size, mode_t mode,
		    unsigned int prot, unsigned int flags, struct protshm **out)
{
	struct protshm_create arg = {
		.size = sizeof(arg),
		.flags = flags,
		.name = (uintptr_t)name,
		.seg_size = size,
		.mode = mode,
		.prot = prot,
	};

	if (!name || !out)
		return -EINVAL;
	return bind_new(PROTSHM_IOC_CREATE, &arg, out);
}

PROTSHM_API int protshm_create(const char *name, size_t size, mode_t mode,
			       unsigned int prot, struct protshm **out)
{
	return protshm__create(name, size, mode, prot, 0, out);
}

PROTSHM_API int protshm_attach(const char *name, unsigned int prot,
			       struct protshm **out)
{
	struct protshm_attach arg = {
		.size = sizeof(arg),
		.name = (uintptr_t)name,
		.prot = prot,
	};

	if (!name || !out)
		return -EINVAL;
	return bind_new(PROTSHM_IOC_ATTACH, &arg, out);
}

PROTSHM_API int protshm_from_fd(int fd, struct protshm **out)
{
	struct protshm_info info = { .size = sizeof(info) };
	int ret;

	if (fd < 0)
		return -EBADF;
	if (!out)
		return -EINVAL;
	ret = protshm__ioctl(fd, PROTSHM_IOC_INFO, &info);
	if (ret < 0)
		return ret;
	return handle_new(fd, out);
}

PROTSHM_API int protshm_fd(const struct protshm *shm)
{
	return shm ? shm->fd : -EINVAL;
}

PROTSHM_API void protshm_close(struct protshm *shm)
{
	if (!shm)
		return;
	/* Never retry close(2) on EINTR: on Linux the fd is gone anyway. */
	close(shm->fd);
	free(shm);
}
