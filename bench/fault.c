// SPDX-License-Identifier: GPL-2.0
/*
 * B1-B4: page faults on a 16 MiB segment.
 *
 * B1 write refault: the segment's pages were allocated by an earlier touch;
 *    a new mapping is written one byte per page (will-it-scale page_fault3
 *    without the munmap).
 * B2 read refault: the same with reads through a PROT_READ mapping.
 * B3 first touch for write: a new segment every repetition, so every page
 *    is allocated and zeroed by the fault.
 * B4 2 MiB-aligned segment (6.12): a new segment every repetition, mapped
 *    on a 2 MiB boundary and memset() whole, so protshm maps it with PMDs
 *    (1/512 faults/page); the peer is a memfd with 4 KiB pages.  The
 *    bandwidth is compared with a second memset() of the same, now mapped,
 *    protshm memory.
 *
 * Only the touch loop is timed and counted; creating, mapping and
 * unmapping are outside.  Each repetition runs every implementation once,
 * starting with a different one each time.
 */
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

enum touch_kind {
	TOUCH_REFAULT_WRITE,
	TOUCH_REFAULT_READ,
	TOUCH_FIRST_WRITE,
};

static volatile unsigned long sink;

static bool impl_available(enum impl_id impl)
{
	return impl != IMPL_PROTSHM || cfg.have_protshm;
}

static int touch_once(const char *bench, struct seg *s, enum touch_kind kind)
{
	int prot = PROT_READ | (kind == TOUCH_REFAULT_READ ? 0 : PROT_WRITE);
	const char *impl = impl_names[s->impl];
	unsigned long sum = 0;
	double t0, t1;
	long f0, f1;
	void *p;

	p = seg_map(s, prot);
	if (!p) {
		fail("%s: mapping a %s segment: %m\n", bench, impl);
		return -1;
	}
	f0 = faults_now();
	t0 = now_ns();
	if (kind == TOUCH_REFAULT_READ)
		sum = touch_read(p, s->size, cfg.page);
	else
		touch_write(p, s->size, cfg.page);
	t1 = now_ns();
	f1 = faults_now();
	sink += sum;
	seg_unmap(s, p);
	metric_add(bench, impl, "faults_per_page", "faults/page",
		   (double)(f1 - f0) / cfg.pages);
	metric_add(bench, impl, "ns_per_page", "ns/page", (t1 - t0) / cfg.pages);
	return 0;
}

static int touch_rep(const char *bench, struct seg *segs, int rep,
		     enum touch_kind kind)
{
	struct seg fresh;
	int k, impl, err;

	for (k = 0; k < NR_IMPLS; k++) {
		impl = (k + rep) % NR_IMPLS;
		if (!impl_available(impl))
			continue;
		if (kind != TOUCH_FIRST_WRITE) {
			if (touch_once(bench, &segs[impl], kind))
				return -1;
			continue;
		}
		if (seg_create(&fresh, impl, cfg.size, false)) {
			fail("%s: creating a %s segment: %m\n", bench,
			     impl_names[impl]);
			return -1;
		}
		err = touch_once(bench, &fresh, kind);
		seg_destroy(&fresh);
		if (err)
			return -1;
	}
	return 0;
}

static int touch_bench(const char *bench, enum touch_kind kind)
{
	struct seg segs[NR_IMPLS];
	int impl, rep, err = 0;

	memset(segs, 0, sizeof(segs));
	for (impl = 0; impl < NR_IMPLS; impl++) {
		segs[impl].fd = segs[impl].shmid = -1;
		if (kind == TOUCH_FIRST_WRITE || !impl_available(impl))
			continue;
		if (seg_create(&segs[impl], impl, cfg.size, false) ||
		    seg_populate(&segs[impl])) {
			fail("%s: preparing a %s segment: %m\n", bench,
			     impl_names[impl]);
			err = -1;
			goto out;
		}
	}
	for (rep = 0; rep < cfg.reps && !err; rep++)
		err = touch_rep(bench, segs, rep, kind);
out:
	for (impl = 0; impl < NR_IMPLS; impl++)
		seg_destroy(&segs[impl]);
	return err;
}

int bench_b1(void)
{
	const char *what = "write refault, resident";

	progress("B1: %s\n", what);
	row_add("B1", what, "faults/page", "faults_per_page", "protshm",
		"memfd", GOAL_VALUE_LE, 1.0, "<= 1");
	row_add("B1", what, "time/page", "ns_per_page", "protshm", "memfd",
		GOAL_RATIO_LE, 1.0, "<= 1.0x");
	return touch_bench("B1", TOUCH_REFAULT_WRITE);
}

int bench_b2(void)
{
	const char *what = "sequential read, resident";
	struct row *r;

	progress("B2: %s\n", what);
	row_add("B2", what, "faults/page", "faults_per_page", "protshm",
		"memfd", GOAL_VALUE_LE, 0.0625, "<= 0.0625");
	r = row_add("B2", what, "time/page", "ns_per_page", "protshm", "memfd",
		    GOAL_INFO, 0, "-");
	if (r)
		snprintf(r->note, sizeof(r->note),
			 "B2 time: no time target, reported as info (the natural bar would be <= 1.0x memfd)");
	return touch_bench("B2", TOUCH_REFAULT_READ);
}

int bench_b3(void)
{
	const char *what = "first write (allocate+zero)";

	progress("B3: %s\n", what);
	row_add("B3", what, "faults/page", "faults_per_page", "protshm",
		"memfd", GOAL_VALUE_LE, 0.0625, "<= 0.0625");
	row_add("B3", what, "time/page", "ns_per_page", "protshm", "memfd",
		GOAL_RATIO_LE, 0.8, "<= 0.8x");
	return touch_bench("B3", TOUCH_FIRST_WRITE);
}

#define HUGE_PARAM	"/sys/module/protshm/parameters/huge_mappings"

/* Why B4 cannot run here, or NULL. */
static const char *b4_unavailable(void)
{
	char buf[8] = "";
	FILE *f;

	if (!cfg.have_protshm)
		return cfg.no_protshm;
	if (cfg.size % BENCH_ALIGN)
		return "segment size (-s) is not a multiple of 2 MiB";
	f = fopen(HUGE_PARAM, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	if (buf[0] != 'Y')
		return "module without 2 MiB mappings: the kernel has no huge PFN maps (6.12+)";
	return NULL;
}

/* memset() a new mapping of @s; faults and time, MB/s; then once more. */
static int b4_memset(struct seg *s)
{
	const char *impl = impl_names[s->impl];
	double t0, t1, t2;
	long f0, f1;
	void *p;

	p = seg_map(s, PROT_READ | PROT_WRITE);
	if (!p) {
		fail("B4: mapping a %s segment: %m\n", impl);
		return -1;
	}
	f0 = faults_now();
	t0 = now_ns();
	memset(p, 1, s->size);
	t1 = now_ns();
	f1 = faults_now();
	memset(p, 2, s->size);
	t2 = now_ns();
	seg_unmap(s, p);
	metric_add("B4", impl, "faults_per_page", "faults/page",
		   (double)(f1 - f0) / cfg.pages);
	metric_add("B4", impl, "ns_per_page", "ns/page", (t1 - t0) / cfg.pages);
	metric_add("B4", impl, "mb_per_s", "MB/s", s->size * 1e3 / (t1 - t0));
	if (s->impl == IMPL_PROTSHM)
		metric_add("B4", "memset", "mb_per_s", "MB/s",
			   s->size * 1e3 / (t2 - t1));
	return 0;
}

static int b4_rep(int rep)
{
	static const enum impl_id impls[] = { IMPL_PROTSHM, IMPL_MEMFD };
	struct seg s;
	int k, err;

	for (k = 0; k < 2; k++) {
		if (seg_create(&s, impls[(k + rep) % 2], cfg.size, false)) {
			fail("B4: creating a segment: %m\n");
			return -1;
		}
		err = b4_memset(&s);
		seg_destroy(&s);
		if (err)
			return -1;
	}
	return 0;
}

int bench_b4(void)
{
	const char *what = "2 MiB-aligned, first memset";
	const char *why = b4_unavailable();
	int rep, err = 0;

	if (why) {
		row_na("B4", "2 MiB-aligned segment", why);
		return 0;
	}
	progress("B4: %s\n", what);
	row_add("B4", what, "faults/page", "faults_per_page", "protshm",
		"memfd", GOAL_VALUE_LE, 1.0 / 512, "<= 1/512");
	row_add("B4", what, "bandwidth", "mb_per_s", "protshm", "memset",
		GOAL_RATIO_GE, 0.5, ">= 0.5x");
	row_add("B4", what, "time/page", "ns_per_page", "protshm", "memfd",
		GOAL_INFO, 0, "-");
	for (rep = 0; rep < cfg.reps && !err; rep++)
		err = b4_rep(rep);
	return err;
}
