/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * internal.h - definitions shared by the files of libprotshm, not exported.
 *
 * The library is built with -fvisibility=hidden: only functions declared
 * PROTSHM_API in protshm.h (and listed in protshm.map) are exported.
 */
#ifndef LIBPROTSHM_INTERNAL_H
#define LIBPROTSHM_INTERNAL_H

#include "protshm.h"

/**
 * struct protshm - a handle
 * @fd: fd of PROTSHM_DEVICE bound to the segment, owned by the handle
 */
struct protshm {
	int fd;
};

int protshm__ioctl(int fd, unsigned long req, void *arg);
int protshm__create(const char *name, size_t size, mode_t mode,
		    unsigned int prot, unsigned int flags, struct protshm **out);

#endif /* LIBPROTSHM_INTERNAL_H */
