/* SPDX-License-Identifier: GPL-2.0 */
/*
 * protshm_fuzz: model-checked random-operation fuzzer for /dev/protshm.
 *
 * One controller process (root, never restricted) owns the PRNG and the
 * reference model; worker processes run a command loop on a socketpair and
 * execute one concrete command at a time (lock step), reporting the return
 * value, errno, and the signal of a memory access.  See
 * Documentation/dev-tools/fuzzing.rst.
 */
#ifndef PROTSHM_FUZZ_H
#define PROTSHM_FUZZ_H

#include <stdint.h>

/* Commands a worker executes. */
enum wop {
	W_PING, W_OPEN, W_CLOSE, W_DUP, W_REOPEN, W_IOCTL, W_MMAP, W_MUNMAP,
	W_MPROTECT, W_MREMAP, W_MADVISE, W_READ, W_WRITE, W_PREAD, W_PWRITE,
	W_MEM_READ, W_MEM_WRITE, W_PVW, W_FORK, W_EXEC, W_EXIT, W_SETUID,
	W_GIVEFD, W_TAKEFD, W_RACE_START, W_RACE_STOP, W_VFORK,
	W_UNSHARE,
};

/* W_IOCTL argument placement (wcmd.mode). */
#define IOC_PTR_OK	0	/* the struct in readable memory */
#define IOC_PTR_NULL	1	/* NULL argument */
#define IOC_PTR_CUT	2	/* only the size field readable */
/* wcmd.flags for W_IOCTL */
#define IOC_NAME	0x1	/* patch the u64 at offset 8 with &name */
#define IOC_NAME_BAD	0x2	/* patch it with an unmapped address */
#define IOC_TAIL	0x4	/* a non-zero byte at offset size - 1 */

#define SCRATCH_PAGES	256	/* PROT_NONE area for MAP_FIXED/mremap */
#define IOC_BUF		160

struct wcmd {
	uint32_t op;
	int32_t fd;
	uint64_t addr, len, arg, arg2, val;
	uint32_t prot, flags, mode, pad;
	unsigned char buf[IOC_BUF];
	char name[64];
};

struct wres {
	int64_t ret;
	int32_t err;		/* errno when ret == -1 */
	int32_t sig, code;	/* signal of a memory access, si_code */
	int32_t pad;
	uint64_t fault_at;
	uint64_t val;		/* value read; scratch address (ready) */
	unsigned char out[IOC_BUF];
	char name[64];
};

int worker_main(int chan);

#endif /* PROTSHM_FUZZ_H */
