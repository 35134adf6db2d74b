// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * example.c - a protshm segment in a few lines: create it, write to it,
 * lower this process's own ceiling to read-only, read it back.
 *   gcc example.c $(pkg-config --cflags --libs libprotshm)   (or -lprotshm)
 * Needs the protshm module loaded (/dev/protshm).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <protshm.h>

int main(void)
{
	struct protshm *shm;
	struct protshm_info info;
	char name[32], *p;
	size_t size = sysconf(_SC_PAGESIZE);
	int ret;

	snprintf(name, sizeof(name), "example-%d", (int)getpid());
	ret = protshm_create(name, size, 0600, PROTSHM_PROT_RW, &shm);
	if (ret < 0) {
		fprintf(stderr, "protshm_create: %s\n", strerror(-ret));
		return 1;
	}
	ret = protshm_map(shm, 0, size, PROT_READ | PROT_WRITE, (void **)&p);
	if (ret == 0) {
		strcpy(p, "hello from protshm");
		/* one-way: no mapping of this process can be written any more */
		ret = protshm_restrict(shm, 0, PROTSHM_PROT_READ, 0);
	}
	if (ret == 0)
		ret = protshm_info(shm, &info, NULL);
	if (ret < 0) {
		fprintf(stderr, "protshm: %s\n", strerror(-ret));
	} else {
		printf("%s: \"%s\", %llu bytes, ceiling %s\n", name, p,
		       (unsigned long long)info.seg_size,
		       protshm_strprot(info.ceiling));
		protshm_unmap(p, size);
	}
	protshm_unlink(shm);
	protshm_close(shm);
	return ret < 0;
}
