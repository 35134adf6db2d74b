/* SPDX-License-Identifier: GPL-2.0 */
/*
 * protshm_fuzz controller: the reference model of segments, files,
 * processes, ceilings and mappings, and the checks against it.
 */
#ifndef PROTSHM_FUZZ_MODEL_H
#define PROTSHM_FUZZ_MODEL_H

#include <stdint.h>
#include <sys/types.h>

#include "fuzz.h"

#define MAXSEG		12	/* segment slots */
#define NNAMES		6	/* names segments are created under */
#define MAXPROC		2048	/* processes over a whole run */
#define MAXFD		24	/* protshm fds per process */
#define MAXVMA		40	/* protshm VMAs per process */
#define MAXFILE		1024	/* open files at once */
#define SEG_PAGES_MAX	8
#define USER2		1000	/* the second user (uid = gid) */

struct mseg {
	int live, unlinked, name_k;
	char name[40];
	uint64_t size, id;
	uint32_t mode, uid;
	int ref_fd;			/* the controller's own file, RW */
	volatile uint64_t *ref;		/* its mapping of the whole segment */
	uint64_t *shadow;		/* expected contents */
};

struct mfile {
	int refs;			/* fds of live processes */
	int seg;			/* -1: unbound */
	uint32_t prot;
	int binder;			/* process that bound it */
};

struct mvma {
	uint64_t start, end, pgoff;	/* pgoff in pages */
	int seg, dontfork;
	uint32_t prot, rights;		/* PROTSHM_PROT_* bits (== PROT_*) */
};

struct mfd {
	int fd, file, cloexec;
};

struct mproc {
	int live, ctl_child;
	pid_t pid;
	int pidfd, chan;
	uint32_t uid;
	int nondump;			/* not dumpable (after setuid) */
	int ipcns;			/* left the controller's IPC namespace */
	int parent;
	uint64_t scratch;
	uint8_t ceil[MAXSEG], attached[MAXSEG], linked[MAXSEG];
	int nfd, nvma;
	struct mfd fds[MAXFD];
	struct mvma vma[MAXVMA];
};

/* An operation as recorded: its kind and raw random values. */
struct op {
	uint32_t kind;
	uint32_t r[4];
};

enum kind {
	K_SPAWN, K_OPEN, K_CLOSE, K_DUP, K_REOPEN, K_CREATE, K_ATTACH, K_INFO,
	K_RESTRICT_SELF, K_RESTRICT_PEER, K_RESTRICT_CTL, K_RESTRICT_MAPPING,
	K_UNLINK, K_BAD_IOCTL, K_MMAP, K_MMAP_FIXED, K_MUNMAP, K_MPROTECT,
	K_MREMAP, K_MADVISE, K_READ, K_WRITE, K_PREAD, K_PWRITE, K_MEM,
	K_PVW, K_FORK, K_EXEC, K_EXIT, K_SETUID, K_PASSFD, K_RACE,
	K_RESTRICT_NL, K_VFORK, K_UNSHARE_IPC,
	K_NR
};

struct stats {
	uint64_t ops, skipped, checks, writes, maps, smaps, netlink, content,
		 final, results;
	uint64_t kind[K_NR];
	int workers_max;
};

/* model state, owned by ops.c */
extern struct mseg segs[MAXSEG];
extern struct mfile files[MAXFILE];
extern struct mproc procs[MAXPROC];
extern int nproc;
extern struct stats st;
extern int max_workers;
extern long pg;
extern int failed;
extern int trace_verbose;
extern char violation_msg[512];
extern const char *kind_name[K_NR];

/* ops.c */
int run_op(const struct op *o);
int nlive(void);
void shutdown_workers(void);
int final_checks(void);
void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* check.c */
int check_maps(struct mproc *p, int smaps);
int kernel_has_vma(pid_t pid, uint64_t start, uint64_t end);
int check_content(int s);
int check_netlink(void);
int nl_init(void);
int nl_seg_gone(uint64_t id);
struct protshm_restrict;
int nl_restrict_seg(uint64_t id, const struct protshm_restrict *a);

#endif /* PROTSHM_FUZZ_MODEL_H */
