// SPDX-License-Identifier: GPL-2.0
/*
 * Segments of protshm (through libprotshm) and of its peers behind one
 * interface.
 *
 * seg_map() always gives a *new* mapping of the whole segment, starting on
 * a 2 MiB boundary: fault-around windows (protshm's and the page cache's)
 * are naturally aligned, so an unaligned 16 MiB mapping straddles one
 * window more and reads 257 faults instead of 256.  The new mapping comes
 * from mmap(MAP_FIXED) over a reservation, shmat(SHM_REMAP) for SysV, and
 * mremap(old_size 0, MREMAP_FIXED) for anonymous shared memory, which
 * creates a second mapping of the same pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include <linux/protshm.h>

#include "bench.h"

const char *const impl_names[NR_IMPLS] = {
	[IMPL_PROTSHM] = "protshm",
	[IMPL_MEMFD] = "memfd",
	[IMPL_SYSV] = "sysv",
	[IMPL_ANON] = "anon",
};

const char *ps_unique_name(char *buf, size_t len, const char *tag)
{
	static unsigned int counter;

	snprintf(buf, len, "bench-%s-%d-%u", tag, getpid(), counter++);
	return buf;
}

/*
 * map_reserve() - reserve @len bytes of address space on a BENCH_ALIGN
 * boundary (PROT_NONE), to be replaced by a MAP_FIXED mapping.
 */
void *map_reserve(size_t len)
{
	char *p, *start;

	p = mmap(NULL, len + BENCH_ALIGN, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	start = (char *)(((uintptr_t)p + BENCH_ALIGN - 1) & ~(BENCH_ALIGN - 1));
	if (start > p)
		munmap(p, start - p);
	munmap(start + len, p + BENCH_ALIGN - start);
	return start;
}

static int seg_create_protshm(struct seg *s, bool keep_name)
{
	ps_unique_name(s->name, sizeof(s->name), "seg");
	if (ps_err(protshm_create(s->name, s->size, 0600, PROTSHM_PROT_RW,
				  &s->ps)))
		return -1;
	s->fd = protshm_fd(s->ps);
	/* unnamed segments live as long as the fd and the mappings */
	if (!keep_name && ps_err(protshm_unlink(s->ps))) {
		seg_destroy(s);
		return -1;
	}
	s->linked = keep_name;
	return 0;
}

/**
 * seg_create() - create a segment of @impl
 * @s: filled in
 * @impl: implementation
 * @size: size in bytes
 * @keep_name: protshm: keep the name linked (for ATTACH); else it is
 *	unlinked at once and the segment goes with its last fd and mapping
 *
 * Return: 0, or -1 with errno set.
 */
int seg_create(struct seg *s, enum impl_id impl, size_t size, bool keep_name)
{
	memset(s, 0, sizeof(*s));
	s->impl = impl;
	s->size = size;
	s->fd = -1;
	s->shmid = -1;
	switch (impl) {
	case IMPL_PROTSHM:
		return seg_create_protshm(s, keep_name);
	case IMPL_MEMFD:
		s->fd = memfd_create("bench", MFD_CLOEXEC);
		if (s->fd < 0)
			return -1;
		if (ftruncate(s->fd, size)) {
			close(s->fd);
			s->fd = -1;
			return -1;
		}
		return 0;
	case IMPL_SYSV:
		s->shmid = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
		return s->shmid < 0 ? -1 : 0;
	case IMPL_ANON:
		s->base = mmap(NULL, size, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (s->base == MAP_FAILED) {
			s->base = NULL;
			return -1;
		}
		return 0;
	default:
		errno = EINVAL;
		return -1;
	}
}

static void *seg_map_at(struct seg *s, int prot, void *at)
{
	void *p;

	switch (s->impl) {
	case IMPL_PROTSHM:
	case IMPL_MEMFD:
		return mmap(at, s->size, prot, MAP_SHARED | MAP_FIXED, s->fd, 0);
	case IMPL_SYSV:
		p = shmat(s->shmid, at, SHM_REMAP |
			  (prot & PROT_WRITE ? 0 : SHM_RDONLY));
		return p == (void *)-1 ? MAP_FAILED : p;
	case IMPL_ANON:
		p = mremap(s->base, 0, s->size, MREMAP_MAYMOVE | MREMAP_FIXED,
			   at);
		if (p != MAP_FAILED && !(prot & PROT_WRITE) &&
		    mprotect(p, s->size, prot)) {
			munmap(p, s->size);
			return MAP_FAILED;
		}
		return p;
	default:
		errno = EINVAL;
		return MAP_FAILED;
	}
}

/**
 * seg_map() - a new mapping of the whole segment, 2 MiB aligned
 * @s: the segment
 * @prot: PROT_READ or PROT_READ | PROT_WRITE
 *
 * Return: the mapping, or NULL with errno set.
 */
void *seg_map(struct seg *s, int prot)
{
	void *at = map_reserve(s->size);
	void *p;
	int err;

	if (!at)
		return NULL;
	p = seg_map_at(s, prot, at);
	if (p == MAP_FAILED) {
		err = errno;
		munmap(at, s->size);
		errno = err;
		return NULL;
	}
	if (p != at) {		/* cannot happen with MAP_FIXED semantics */
		seg_unmap(s, p);
		munmap(at, s->size);
		errno = EFAULT;
		return NULL;
	}
	return p;
}

void seg_unmap(struct seg *s, void *p)
{
	if (s->impl == IMPL_SYSV)
		shmdt(p);
	else
		munmap(p, s->size);
}

void seg_destroy(struct seg *s)
{
	if (s->linked && s->ps)
		protshm_unlink(s->ps);
	if (s->ps)
		protshm_close(s->ps);	/* closes s->fd */
	else if (s->fd >= 0)
		close(s->fd);
	if (s->shmid >= 0)
		shmctl(s->shmid, IPC_RMID, NULL);
	if (s->base)
		munmap(s->base, s->size);
	s->ps = NULL;
	s->fd = -1;
	s->shmid = -1;
	s->base = NULL;
	s->linked = false;
}

/* Allocate every page of @s: write one byte per page through a mapping. */
int seg_populate(struct seg *s)
{
	void *p = seg_map(s, PROT_READ | PROT_WRITE);

	if (!p)
		return -1;
	touch_write(p, s->size, cfg.page);
	seg_unmap(s, p);
	return 0;
}
