// SPDX-License-Identifier: GPL-2.0
/*
 * B7: set-up/tear-down cycles per second, a 16-page mapping each time with
 * one page written (the mmap1/mmap2 analogue of will-it-scale, plus one
 * fault).
 *
 *   protshm   open(/dev/protshm) + ATTACH(name) + mmap + write + munmap +
 *             close, on an existing segment whose pages are allocated
 *   memfd     memfd_create + ftruncate + mmap + write + munmap + close (a
 *             new object each time: the page is allocated and freed)
 *   shm_open  shm_open(existing name) + mmap + write + munmap + close, the
 *             POSIX counterpart of ATTACH (needs a tmpfs on /dev/shm)
 *   sysv      shmget(existing key) + shmat + write + shmdt (a peer too)
 *   anon      mmap(MAP_SHARED | MAP_ANONYMOUS) + write + munmap
 *
 * Every cycle maps at the same 2 MiB aligned address (see b7_setup()).
 * The set-up uses libprotshm; the measured protshm cycle makes the raw
 * calls: protshm_attach() and protshm_close() would add the handle's
 * malloc() and free() to every cycle (about 190 instructions, 0.5 % of a
 * cycle in icount), which no peer pays.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include <linux/protshm.h>

#include "bench.h"

#define B7_PAGES	16

enum b7_impl {
	B7_PROTSHM,
	B7_MEMFD,
	B7_SHM_OPEN,
	B7_SYSV,
	B7_ANON,
	NR_B7
};

static const char *const b7_names[NR_B7] = {
	"protshm", "memfd", "shm_open", "sysv", "anon",
};

struct b7_ctx {
	size_t len;
	char ps_name[64];	/* protshm segment */
	char posix_name[64];	/* shm_open object */
	key_t shm_key;		/* SysV segment */
	bool have[NR_B7];
	struct protshm *ps;	/* keeps the protshm segment alive */
	void *at;		/* free, 2 MiB aligned: the address hint */
};

static int b7_map_touch(void *p, size_t len)
{
	static bool warned;

	if (p == MAP_FAILED)
		return -1;
	if (!warned && ((uintptr_t)p & (BENCH_ALIGN - 1))) {
		warned = true;
		fail("B7: mapping at %p, not on 2 MiB: fault-around windows differ\n",
		     p);
	}
	*(volatile char *)p = 1;
	return munmap(p, len);
}

/**
 * ps_raw_attach() - the raw ATTACH ioctl, for measured windows (see the top)
 * @fd: an open, unbound /dev/protshm
 * @name: the segment's name
 * @prot: PROTSHM_PROT_* rights
 *
 * Return: 0, or -1 with errno set.
 */
int ps_raw_attach(int fd, const char *name, uint32_t prot)
{
	struct protshm_attach att = {
		.size = sizeof(att), .name = (uintptr_t)name, .prot = prot,
	};

	return ioctl(fd, PROTSHM_IOC_ATTACH, &att);
}

/* open + ATTACH + mmap + write + munmap + close, raw (see the top). */
static int b7_protshm_cycle(struct b7_ctx *x)
{
	int fd, err;

	fd = open(PROTSHM_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	err = ps_raw_attach(fd, x->ps_name, PROTSHM_PROT_RW);
	if (!err)
		err = b7_map_touch(mmap(x->at, x->len, PROT_READ | PROT_WRITE,
					MAP_SHARED, fd, 0), x->len);
	return close(fd) || err;
}

static int b7_cycle(struct b7_ctx *x, enum b7_impl impl)
{
	int fd, id, err;
	void *p;

	switch (impl) {
	case B7_PROTSHM:
		return b7_protshm_cycle(x);
	case B7_MEMFD:
		fd = memfd_create("b7", MFD_CLOEXEC);
		if (fd < 0)
			return -1;
		err = ftruncate(fd, x->len);
		if (!err)
			err = b7_map_touch(mmap(x->at, x->len, PROT_READ |
						PROT_WRITE, MAP_SHARED, fd, 0),
					   x->len);
		return close(fd) || err;
	case B7_SHM_OPEN:
		fd = shm_open(x->posix_name, O_RDWR | O_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		err = b7_map_touch(mmap(x->at, x->len, PROT_READ | PROT_WRITE,
					MAP_SHARED, fd, 0), x->len);
		return close(fd) || err;
	case B7_SYSV:
		id = shmget(x->shm_key, 0, 0);
		if (id < 0)
			return -1;
		p = shmat(id, x->at, 0);
		if (p == (void *)-1)
			return -1;
		*(volatile char *)p = 1;
		return shmdt(p);
	case B7_ANON:
		return b7_map_touch(mmap(x->at, x->len, PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0),
				    x->len);
	default:
		return -1;
	}
}

/*
 * Existing objects for ATTACH, shm_open and shmget, pages allocated, and
 * the address every cycle maps at: a free hole at the start of a 2 MiB
 * aligned PROT_NONE reservation, so that the fault-around window is the
 * same in every run whatever ASLR picks, and the page table stays
 * allocated between cycles (the reservation keeps it), as it does when a
 * mapping lands next to others.  It is a hint, taken because nothing else
 * is mapped in between.
 */
static void b7_setup(struct b7_ctx *x)
{
	void *p;
	int fd;

	x->at = map_reserve(BENCH_ALIGN);
	if (x->at)
		munmap(x->at, x->len);

	x->have[B7_MEMFD] = x->have[B7_ANON] = true;
	x->ps = NULL;
	if (cfg.have_protshm) {
		ps_unique_name(x->ps_name, sizeof(x->ps_name), "b7");
		if (!protshm_create(x->ps_name, x->len, 0600, PROTSHM_PROT_RW,
				    &x->ps)) {
			p = mmap(NULL, x->len, PROT_READ | PROT_WRITE,
				 MAP_SHARED, protshm_fd(x->ps), 0);
			x->have[B7_PROTSHM] = p != MAP_FAILED;
			if (p != MAP_FAILED) {
				touch_write(p, x->len, cfg.page);
				munmap(p, x->len);
			}
		}
	}
	snprintf(x->posix_name, sizeof(x->posix_name), "/protshm-bench-%d",
		 getpid());
	fd = shm_open(x->posix_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		      0600);
	if (fd >= 0) {
		x->have[B7_SHM_OPEN] = !ftruncate(fd, x->len);
		close(fd);
	} else {
		fail("B7: shm_open: %m (no tmpfs on /dev/shm?)\n");
	}
	/* a key, so that every cycle looks the segment up like a client */
	x->shm_key = 0x70b70000 ^ getpid();
	fd = shmget(x->shm_key, x->len, IPC_CREAT | IPC_EXCL | 0600);
	x->have[B7_SYSV] = fd >= 0;
	if (fd >= 0) {
		p = shmat(fd, NULL, 0);
		if (p != (void *)-1) {
			touch_write(p, x->len, cfg.page);
			shmdt(p);
		}
	}
	fd = shm_open(x->posix_name, O_RDWR | O_CLOEXEC, 0);
	if (fd >= 0) {
		p = mmap(NULL, x->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0);
		if (p != MAP_FAILED) {
			touch_write(p, x->len, cfg.page);
			munmap(p, x->len);
		}
		close(fd);
	}
}

static void b7_teardown(struct b7_ctx *x)
{
	int id;

	if (x->at)
		munmap((char *)x->at + x->len, BENCH_ALIGN - x->len);
	if (x->ps) {
		protshm_unlink(x->ps);
		protshm_close(x->ps);
	}
	if (x->have[B7_SHM_OPEN])
		shm_unlink(x->posix_name);
	if (x->have[B7_SYSV]) {
		id = shmget(x->shm_key, 0, 0);
		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
	}
}

static int b7_measure(struct b7_ctx *x, enum b7_impl impl)
{
	double t0, t1;
	long i, f0;

	f0 = faults_now();
	t0 = now_ns();
	for (i = 0; i < cfg.cycles; i++) {
		if (b7_cycle(x, impl)) {
			fail("B7 %s: cycle %ld: %m\n", b7_names[impl], i);
			return -1;
		}
	}
	t1 = now_ns();
	metric_add("B7", b7_names[impl], "ops_per_s", "ops/s",
		   cfg.cycles / ((t1 - t0) / 1e9));
	metric_add("B7", b7_names[impl], "faults_per_op", "faults/op",
		   (double)(faults_now() - f0) / cfg.cycles);
	return 0;
}

int bench_b7(void)
{
	const char *what = "attach+mmap+touch+unmap+close";
	struct b7_ctx x = { .len = B7_PAGES * cfg.page };
	int rep, k, impl, err = 0;
	struct row *r;

	progress("B7: %s, %ld cycles per repetition\n", what, cfg.cycles);
	row_add("B7", what, "ops/s", "ops_per_s", "protshm", "memfd",
		GOAL_RATIO_GE, 1.0, ">= 1.0x");
	r = row_add("B7", what, "ops/s", "ops_per_s", "protshm", "shm_open",
		    GOAL_RATIO_GE, 1.0, ">= 1.0x");
	b7_setup(&x);
	if (r && !x.have[B7_SHM_OPEN])
		snprintf(r->na, sizeof(r->na), "shm_open failed: no /dev/shm");
	r = row_add("B7", what, "ops/s", "ops_per_s", "protshm", "sysv",
		    GOAL_RATIO_GE, 1.0, ">= 1.0x");
	if (r && !x.have[B7_SYSV])
		snprintf(r->na, sizeof(r->na), "shmget failed");
	for (rep = 0; rep < cfg.reps && !err; rep++) {
		for (k = 0; k < NR_B7 && !err; k++) {
			impl = (k + rep) % NR_B7;
			if (x.have[impl])
				err = b7_measure(&x, impl);
		}
	}
	b7_teardown(&x);
	return err;
}
