/* SPDX-License-Identifier: GPL-2.0 */
/*
 * protshm benchmark suite: shared declarations.
 *
 * Every benchmark runs protshm and its peers (memfd, SysV shm, anonymous
 * MAP_SHARED, or a process's own mprotect()) interleaved in one boot, stores
 * one sample per repetition in a metric (see results.c), and adds the rows
 * of the summary table that compare protshm with the peer its definition in
 * Documentation/performance.rst names.
 *
 * protshm is used through libprotshm (protshm.h), like any program, except
 * in two measured windows that must stay raw: B7's cycle (cycle.c) and
 * B8's netlink requests (netlink.c) say why.  Elsewhere a library call in a
 * window makes the same system call as the raw ioctl did.
 */
#ifndef PROTSHM_BENCH_H
#define PROTSHM_BENCH_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <protshm.h>

#define BENCH_MAX_REPS		64
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define BENCH_ALIGN		(2UL << 20)	/* mappings start on 2 MiB */

/* Run-wide settings, filled from the command line by main(). */
struct bench_cfg {
	size_t size;		/* segment size in bytes (-s) */
	size_t pages;		/* size / page size */
	long page;		/* page size */
	int reps;		/* repetitions (-r) */
	long cycles;		/* B7 cycles per repetition (-n) */
	int ncpus;		/* online CPUs */
	bool icount;		/* -i: times are QEMU icount virtual time */
	bool verbose;		/* -v: print every sample */
	bool have_protshm;	/* /dev/protshm opened */
	char no_protshm[96];	/* why not, for the table */
};

extern struct bench_cfg cfg;

/* ------------------------------------------------------------------ */
/* Segments: protshm and its peers behind one interface (segment.c).   */

enum impl_id {
	IMPL_PROTSHM,
	IMPL_MEMFD,
	IMPL_SYSV,
	IMPL_ANON,
	NR_IMPLS
};

/*
 * One segment of one implementation.  @ps is the libprotshm handle of a
 * protshm segment, @fd its bound /dev/protshm file (protshm_fd()) or the
 * memfd, @shmid the SysV id, @base the original anonymous mapping (the
 * object that keeps anonymous shared pages alive).
 */
struct seg {
	enum impl_id impl;
	size_t size;
	struct protshm *ps;
	int fd;
	int shmid;
	void *base;
	bool linked;
	char name[64];
};

extern const char *const impl_names[NR_IMPLS];

int seg_create(struct seg *s, enum impl_id impl, size_t size, bool keep_name);
void *seg_map(struct seg *s, int prot);
void seg_unmap(struct seg *s, void *p);
void seg_destroy(struct seg *s);
int seg_populate(struct seg *s);
void *map_reserve(size_t len);

const char *ps_unique_name(char *buf, size_t len, const char *tag);
int ps_raw_attach(int fd, const char *name, uint32_t prot);

/*
 * ps_err() - a libprotshm result (0 or -errno) as 0, or -1 with errno set,
 * the convention of the benchmark's own functions.
 */
static inline int ps_err(int ret)
{
	if (ret >= 0)
		return 0;
	errno = -ret;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Counters and clocks (results.c).                                    */

double now_ns(void);
long faults_now(void);
long tlb_ipis_now(void);
void touch_write(void *p, size_t len, long step);
unsigned long touch_read(const void *p, size_t len, long step);
int pin_cpu(int cpu);
const char *maps_perms(const void *addr, char perms[5]);
long read_long_file(const char *path);
int write_long_file(const char *path, long v);

/* ------------------------------------------------------------------ */
/* Results and the summary table (results.c).                          */

struct metric {
	char bench[8];
	char impl[32];
	char name[24];
	char unit[16];
	int n;
	double v[BENCH_MAX_REPS];
};

struct metric *metric_get(const char *bench, const char *impl,
			  const char *name, const char *unit);
void metric_add(const char *bench, const char *impl, const char *name,
		const char *unit, double v);
double metric_median(const struct metric *m);
double metric_min(const struct metric *m);
double metric_max(const struct metric *m);

/* What a table row's target is checked against. */
enum goal {
	GOAL_INFO,		/* no target: reported only */
	GOAL_VALUE_LE,		/* protshm value <= target */
	GOAL_MAX_LE,		/* protshm maximum over repetitions <= target */
	GOAL_RATIO_LE,		/* protshm / peer <= target */
	GOAL_RATIO_GE,		/* protshm / peer >= target */
	GOAL_RATIO_LT,		/* protshm / peer < target (strictly faster) */
};

/*
 * A row of the summary table: metric @metric of implementation @impl
 * against the same metric of @peer (both under @bench).  A non-empty @na
 * replaces the numbers with "n/a (@na)".
 */
struct row {
	char bench[8];
	char what[48];
	char label[24];
	char metric[24];
	char impl[32];
	char peer[32];
	enum goal goal;
	double target;
	char target_text[32];
	char note[320];
	char na[96];
};

struct row *row_add(const char *bench, const char *what, const char *label,
		    const char *metric, const char *impl, const char *peer,
		    enum goal goal, double target, const char *target_text);
void row_na(const char *bench, const char *what, const char *why);
void report_meta(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_report(FILE *out);
int write_csv(const char *path);
int write_table_csv(const char *path);

/* ------------------------------------------------------------------ */
/* The benchmarks.                                                     */

int bench_b1(void);
int bench_b2(void);
int bench_b3(void);
int bench_b4(void);
int bench_b5(bool b5, bool b6);
int bench_b7(void);
int bench_b8(void);
int bench_b9(void);
int bench_b10(void);
int bench_b11(void);
int bench_b12(void);
extern const char *bench_ko;

#define progress(...) do {						\
	fprintf(stderr, "bench: " __VA_ARGS__);				\
	fflush(stderr);							\
} while (0)

#define fail(...) do {							\
	fprintf(stderr, "bench: error: " __VA_ARGS__);			\
	fflush(stderr);							\
} while (0)

#endif /* PROTSHM_BENCH_H */
