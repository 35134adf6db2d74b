// SPDX-License-Identifier: GPL-2.0
/*
 * protshm_bench - the benchmark suite defined in Documentation/performance.rst.
 *
 * Runs protshm and its peers (memfd MAP_SHARED, SysV shm, anonymous
 * MAP_SHARED, a process's own mprotect(), memfd_create/shm_open cycles,
 * genetlink CTRL_CMD_GETFAMILY and /proc/<pid>/maps) interleaved in one
 * boot, and prints exact counts first (faults per page, TLB-shootdown
 * IPIs), then the median time with its spread, the ratio to the peer and
 * whether the target is met.  See Documentation/performance.rst.
 *
 * Usage: protshm_bench [-r REPS] [-s SIZE] [-n CYCLES] [-b LIST] [-f PAGES]
 *                      [-c CSV] [-t TABLE_CSV] [-w SECONDS] [-k KO] [-i] [-v]
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

#define FAULT_AROUND_PARAM "/sys/module/protshm/parameters/fault_around_pages"
#define SHMEM_THP "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

struct bench_cfg cfg = {
	.size = 16UL << 20,
	.reps = 5,
	.cycles = 2000,
};

static const char *const bench_list[] = {
	"B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11",
	"B12",
};

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-r REPS] [-s SIZE] [-n CYCLES] [-b LIST] [-f PAGES] [-c CSV] [-t TABLE_CSV] [-w SECONDS] [-k KO] [-i] [-v]\n"
		"  -r REPS       repetitions, every implementation once each (default 5, max %d)\n"
		"  -s SIZE       segment size, suffix K/M/G (default 16M)\n"
		"  -n CYCLES     B7 cycles per repetition (default 2000)\n"
		"  -b LIST       run these benchmarks only, comma-separated: B1 ... B12\n"
		"  -f PAGES      set protshm's fault_around_pages for the run (restored after)\n"
		"  -c CSV        write every metric: benchmark,implementation,metric,unit,median,min,max,n\n"
		"  -t TABLE_CSV  write the summary table as CSV\n"
		"  -w SECONDS    wait at most this long for an idle machine first (default 20, 0: no wait)\n"
		"  -k KO         B10: the module file, to measure forks with the module unloaded (rmmod, insmod KO)\n"
		"  -i            the guest runs under QEMU -icount: say times are virtual\n"
		"  -v            print every sample, in the order of the repetitions\n",
		prog, BENCH_MAX_REPS);
	exit(2);
}

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'g': case 'G':
		v <<= 10;
		/* fall through */
	case 'm': case 'M':
		v <<= 10;
		/* fall through */
	case 'k': case 'K':
		v <<= 10;
		end++;
		break;
	}
	return *end ? 0 : v;
}

static void setup_meta(void)
{
	char thp[128] = "unknown";
	struct utsname u;
	FILE *f;

	uname(&u);
	f = fopen(SHMEM_THP, "re");
	if (f) {
		if (!fgets(thp, sizeof(thp), f))
			snprintf(thp, sizeof(thp), "unknown");
		thp[strcspn(thp, "\n")] = 0;
		fclose(f);
	}
	report_meta("kernel %s, %d CPU(s) online, page %ld bytes", u.release,
		    cfg.ncpus, cfg.page);
	report_meta("segments %zu KiB (%zu pages), %d repetitions, implementations interleaved (order rotated every repetition)",
		    cfg.size >> 10, cfg.pages, cfg.reps);
	if (cfg.have_protshm)
		report_meta("protshm fault_around_pages = %ld",
			    read_long_file(FAULT_AROUND_PARAM));
	else
		report_meta("protshm: %s", cfg.no_protshm);
	report_meta("shmem THP (shmem_enabled): %s", thp);
	if (cfg.icount)
		report_meta("times: QEMU -icount shift=0 -smp 1 virtual time (1 ns = 1 guest instruction): instruction-count ratios, not wall clock");
	else
		report_meta("times: CLOCK_MONOTONIC wall clock of the guest");
	report_meta("faults: getrusage() minor+major fault deltas; IPIs: /proc/interrupts \"TLB:\" summed over CPUs");
}

/* Total and idle (idle + iowait) jiffies of all CPUs, from /proc/stat. */
static int cpu_times(unsigned long long *total, unsigned long long *idle)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "re");
	int n, i;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 5)
		return -1;
	for (*total = 0, i = 0; i < 8; i++)
		*total += v[i];
	*idle = v[3] + v[4];
	return 0;
}

/*
 * Wait until the machine is idle: right after boot the guest kernel still
 * has work of its own to do, which would land in the first measurements
 * (about 2x the refault time in the first seconds of a 6.12 guest).  Idle
 * means at least 97 % idle over half a second; at most @max_s seconds.
 */
static double settle(int max_s)
{
	unsigned long long t0, i0, t1, i1;
	double start = now_ns();
	int tries;

	for (tries = 0; tries < max_s * 2; tries++) {
		if (cpu_times(&t0, &i0))
			break;
		usleep(500 * 1000);
		if (cpu_times(&t1, &i1))
			break;
		if (t1 > t0 && (double)(i1 - i0) / (t1 - t0) >= 0.97)
			return (now_ns() - start) / 1e9;
	}
	return -(now_ns() - start) / 1e9;
}

static int run_one(const char *name)
{
	if (!strcasecmp(name, "B1"))
		return bench_b1();
	if (!strcasecmp(name, "B2"))
		return bench_b2();
	if (!strcasecmp(name, "B3"))
		return bench_b3();
	if (!strcasecmp(name, "B4"))
		return bench_b4();
	if (!strcasecmp(name, "B5"))
		return bench_b5(true, false);
	if (!strcasecmp(name, "B6"))
		return bench_b5(false, true);
	if (!strcasecmp(name, "B7"))
		return bench_b7();
	if (!strcasecmp(name, "B8"))
		return bench_b8();
	if (!strcasecmp(name, "B9"))
		return bench_b9();
	if (!strcasecmp(name, "B10"))
		return bench_b10();
	if (!strcasecmp(name, "B11"))
		return bench_b11();
	if (!strcasecmp(name, "B12"))
		return bench_b12();
	return -1;
}

static int run_all(void)
{
	int err = 0;

	err |= bench_b1();
	err |= bench_b2();
	err |= bench_b3();
	err |= bench_b4();
	err |= bench_b5(true, true);
	err |= bench_b7();
	err |= bench_b8();
	err |= bench_b9();
	err |= bench_b10();
	err |= bench_b11();
	err |= bench_b12();
	return err ? -1 : 0;
}

/* Is @list a comma-separated list of benchmark names? */
static bool valid_bench(const char *list)
{
	size_t len;
	unsigned int i;

	for (; *list; list += len + !!list[len]) {
		len = strcspn(list, ",");
		for (i = 0; i < ARRAY_SIZE(bench_list); i++)
			if (strlen(bench_list[i]) == len &&
			    !strncasecmp(list, bench_list[i], len))
				break;
		if (i == ARRAY_SIZE(bench_list))
			return false;
	}
	return true;
}

/* Run the benchmarks of a list that valid_bench() accepted, in its order. */
static int run_list(const char *list)
{
	char name[8];
	size_t len;
	int err = 0;

	for (; *list; list += len + !!list[len]) {
		len = strcspn(list, ",");
		snprintf(name, sizeof(name), "%.*s", (int)len, list);
		err |= run_one(name);
	}
	return err ? -1 : 0;
}

static void probe_protshm(void)
{
	int ret = protshm_abi_version();

	if (ret < 0) {
		snprintf(cfg.no_protshm, sizeof(cfg.no_protshm),
			 "no /dev/protshm (%s): module not loaded",
			 strerror(-ret));
		return;
	}
	cfg.have_protshm = true;
}

int main(int argc, char **argv)
{
	const char *only = NULL, *csv = NULL, *table = NULL;
	long fault_around = -1, saved_fa = -1;
	int opt, err, settle_max = 20;
	double waited;

	while ((opt = getopt(argc, argv, "r:s:n:b:f:c:t:w:k:ivh")) != -1) {
		switch (opt) {
		case 'r':
			cfg.reps = atoi(optarg);
			break;
		case 's':
			cfg.size = parse_size(optarg);
			break;
		case 'n':
			cfg.cycles = atol(optarg);
			break;
		case 'b':
			only = optarg;
			break;
		case 'f':
			fault_around = atol(optarg);
			break;
		case 'c':
			csv = optarg;
			break;
		case 't':
			table = optarg;
			break;
		case 'w':
			settle_max = atoi(optarg);
			break;
		case 'k':
			bench_ko = optarg;
			break;
		case 'i':
			cfg.icount = true;
			break;
		case 'v':
			cfg.verbose = true;
			break;
		default:
			usage(argv[0]);
		}
	}
	cfg.page = sysconf(_SC_PAGESIZE);
	cfg.ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (optind != argc || cfg.reps < 1 || cfg.reps > BENCH_MAX_REPS ||
	    cfg.cycles < 1 || !cfg.size || cfg.size % (16 * cfg.page) ||
	    (only && !valid_bench(only)))
		usage(argv[0]);
	cfg.pages = cfg.size / cfg.page;
	/* first calls out of the measured windows (also linked -z now) */
	now_ns();
	faults_now();
	tlb_ipis_now();
	probe_protshm();
	if (fault_around >= 0 && cfg.have_protshm) {
		saved_fa = read_long_file(FAULT_AROUND_PARAM);
		if (write_long_file(FAULT_AROUND_PARAM, fault_around)) {
			fail("setting fault_around_pages: %m\n");
			return 1;
		}
	}
	waited = settle_max > 0 ? settle(settle_max) : 0;
	setup_meta();
	if (settle_max > 0)
		report_meta("settle: %s after %.1f s (machine idle >= 97%% over 0.5 s before measuring)",
			    waited >= 0 ? "idle" : "still busy", fabs(waited));
	err = only ? run_list(only) : run_all();
	if (saved_fa >= 0)
		write_long_file(FAULT_AROUND_PARAM, saved_fa);
	print_report(stdout);
	if (csv && write_csv(csv))
		fail("writing %s: %m\n", csv);
	if (table && write_table_csv(table))
		fail("writing %s: %m\n", table);
	if (err)
		fail("a benchmark failed: the table is incomplete\n");
	return err ? 1 : 0;
}
