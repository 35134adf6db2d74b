// SPDX-License-Identifier: GPL-2.0
/*
 * Counters, clocks, the sample store and the report: the summary table,
 * the per-implementation details and the two CSV files.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_METRICS	256
#define MAX_ROWS	64
#define MAX_META	16

static struct metric metrics[MAX_METRICS];
static int nr_metrics;
static struct row rows[MAX_ROWS];
static int nr_rows;
static char meta[MAX_META][160];
static int nr_meta;

/* ------------------------------------------------------------------ */
/* Counters and clocks                                                 */

double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Page faults of the calling process so far (minor + major). */
long faults_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

/*
 * TLB-shootdown IPIs received so far, summed over the CPUs: the "TLB:" line
 * of /proc/interrupts (x86).  -1 if there is none.
 */
long tlb_ipis_now(void)
{
	static char buf[64 * 1024];
	char *line, *p, *end;
	long sum = -1, v;
	ssize_t n;
	int fd;

	fd = open("/proc/interrupts", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	for (line = buf; line && *line; line = strchr(line, '\n')) {
		while (*line == '\n' || *line == ' ')
			line++;
		if (strncmp(line, "TLB:", 4))
			continue;
		sum = 0;
		for (p = line + 4;; p = end) {
			v = strtol(p, &end, 10);
			if (end == p)
				break;
			sum += v;
		}
		break;
	}
	return sum;
}

void touch_write(void *p, size_t len, long step)
{
	volatile char *c = p;
	size_t off;

	for (off = 0; off < len; off += step)
		c[off] = 1;
}

unsigned long touch_read(const void *p, size_t len, long step)
{
	const volatile char *c = p;
	unsigned long sum = 0;
	size_t off;

	for (off = 0; off < len; off += step)
		sum += c[off];
	return sum;
}

int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The "rw-s"-style permissions of the mapping starting at @addr, or "". */
const char *maps_perms(const void *addr, char perms[5])
{
	unsigned long start, end;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	perms[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 &&
		    start == (uintptr_t)addr)
			break;
		perms[0] = 0;
	}
	if (f)
		fclose(f);
	return perms;
}

/* The number in a one-line file such as a module parameter; -1 if none. */
long read_long_file(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Write @v to a one-line file such as a module parameter: 0 or -1. */
int write_long_file(const char *path, long v)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -1;
	fprintf(f, "%ld\n", v);
	return fclose(f);
}

/* ------------------------------------------------------------------ */
/* Samples                                                             */

struct metric *metric_get(const char *bench, const char *impl,
			  const char *name, const char *unit)
{
	struct metric *m;
	int i;

	for (i = 0; i < nr_metrics; i++) {
		m = &metrics[i];
		if (!strcmp(m->bench, bench) && !strcmp(m->impl, impl) &&
		    !strcmp(m->name, name))
			return m;
	}
	if (!unit || nr_metrics == MAX_METRICS)
		return NULL;
	m = &metrics[nr_metrics++];
	snprintf(m->bench, sizeof(m->bench), "%s", bench);
	snprintf(m->impl, sizeof(m->impl), "%s", impl);
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->unit, sizeof(m->unit), "%s", unit);
	return m;
}

void metric_add(const char *bench, const char *impl, const char *name,
		const char *unit, double v)
{
	struct metric *m = metric_get(bench, impl, name, unit);

	if (m && m->n < BENCH_MAX_REPS)
		m->v[m->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double metric_median(const struct metric *m)
{
	double v[BENCH_MAX_REPS];

	if (!m || !m->n)
		return NAN;
	memcpy(v, m->v, m->n * sizeof(v[0]));
	qsort(v, m->n, sizeof(v[0]), cmp_double);
	return m->n % 2 ? v[m->n / 2] : (v[m->n / 2 - 1] + v[m->n / 2]) / 2;
}

double metric_min(const struct metric *m)
{
	double r = NAN;
	int i;

	for (i = 0; m && i < m->n; i++)
		if (isnan(r) || m->v[i] < r)
			r = m->v[i];
	return r;
}

double metric_max(const struct metric *m)
{
	double r = NAN;
	int i;

	for (i = 0; m && i < m->n; i++)
		if (isnan(r) || m->v[i] > r)
			r = m->v[i];
	return r;
}

/* ------------------------------------------------------------------ */
/* Table rows                                                          */

struct row *row_add(const char *bench, const char *what, const char *label,
		    const char *metric, const char *impl, const char *peer,
		    enum goal goal, double target, const char *target_text)
{
	struct row *r;

	if (nr_rows == MAX_ROWS)
		return NULL;
	r = &rows[nr_rows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->bench, sizeof(r->bench), "%s", bench);
	snprintf(r->what, sizeof(r->what), "%s", what);
	snprintf(r->label, sizeof(r->label), "%s", label);
	snprintf(r->metric, sizeof(r->metric), "%s", metric);
	snprintf(r->impl, sizeof(r->impl), "%s", impl);
	snprintf(r->peer, sizeof(r->peer), "%s", peer ? peer : "");
	snprintf(r->target_text, sizeof(r->target_text), "%s",
		 target_text ? target_text : "-");
	r->goal = goal;
	r->target = target;
	if (!cfg.have_protshm && !strncmp(impl, "protshm", 7))
		snprintf(r->na, sizeof(r->na), "%s", cfg.no_protshm);
	return r;
}

void row_na(const char *bench, const char *what, const char *why)
{
	struct row *r = row_add(bench, what, "-", "-", "-", NULL, GOAL_INFO,
				0, NULL);

	if (r)
		snprintf(r->na, sizeof(r->na), "%s", why);
}

void report_meta(const char *fmt, ...)
{
	va_list ap;

	if (nr_meta == MAX_META)
		return;
	va_start(ap, fmt);
	vsnprintf(meta[nr_meta++], sizeof(meta[0]), fmt, ap);
	va_end(ap);
}

/* Numbers of very different sizes, compactly: 0.0625, 1, 5123, 12.34. */
static const char *fmt_num(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (v == 0 || fabs(v) >= 100)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.4g", v);
	return buf;
}

/* "median [min-max]", or just the median when all samples are equal. */
static const char *fmt_spread(char *buf, size_t len, const struct metric *m)
{
	char a[32], b[32], c[32];
	double med = metric_median(m), lo = metric_min(m), hi = metric_max(m);

	if (!m || !m->n)
		snprintf(buf, len, "-");
	else if (lo == hi)
		snprintf(buf, len, "%s", fmt_num(a, sizeof(a), med));
	else
		snprintf(buf, len, "%s [%s-%s]", fmt_num(a, sizeof(a), med),
			 fmt_num(b, sizeof(b), lo), fmt_num(c, sizeof(c), hi));
	return buf;
}

struct row_eval {
	const struct metric *m, *peer;
	double value, peer_value, ratio;
	const char *verdict;
};

static void row_eval(const struct row *r, struct row_eval *e)
{
	const double eps = 1e-9;
	double x;

	memset(e, 0, sizeof(*e));
	e->value = e->peer_value = e->ratio = NAN;
	e->verdict = "n/a";
	if (r->na[0])
		return;
	e->m = metric_get(r->bench, r->impl, r->metric, NULL);
	e->peer = r->peer[0] ? metric_get(r->bench, r->peer, r->metric, NULL) :
		  NULL;
	e->value = metric_median(e->m);
	e->peer_value = metric_median(e->peer);
	if (e->peer_value > 0)
		e->ratio = e->value / e->peer_value;
	if (isnan(e->value))
		return;
	switch (r->goal) {
	case GOAL_INFO:
		e->verdict = "info";
		return;
	case GOAL_VALUE_LE:
		x = e->value;
		break;
	case GOAL_MAX_LE:
		x = metric_max(e->m);
		break;
	default:
		x = e->ratio;
		break;
	}
	if (isnan(x))
		return;
	switch (r->goal) {
	case GOAL_RATIO_GE:
		e->verdict = x >= r->target - eps ? "met" : "NOT MET";
		break;
	case GOAL_RATIO_LT:
		e->verdict = x < r->target ? "met" : "NOT MET";
		break;
	default:
		e->verdict = x <= r->target + eps ? "met" : "NOT MET";
		break;
	}
}

/* Index of the first row with the same note as row @i. */
static int note_first(int i)
{
	int j;

	for (j = 0; j < i; j++)
		if (!rows[j].na[0] && !strcmp(rows[j].note, rows[i].note))
			return j;
	return i;
}

/* Footnote number of row @i (rows with the same note share one), or 0. */
static int note_number(int i)
{
	int j, n = 0, first;

	if (!rows[i].note[0] || rows[i].na[0])
		return 0;
	first = note_first(i);
	for (j = 0; j <= first; j++)
		if (rows[j].note[0] && !rows[j].na[0] && note_first(j) == j)
			n++;
	return n;
}

static void print_summary(FILE *out)
{
	char v[64], p[64], ra[32], verdict[24];
	struct row_eval e;
	int i;

	fprintf(out, "%-5s %-32s %-12s %-9s %-25s %-25s %-7s %-20s %s\n",
		"bench", "case", "metric", "peer", "protshm", "peer value",
		"ratio", "target", "verdict");
	for (i = 0; i < nr_rows; i++) {
		const struct row *r = &rows[i];

		row_eval(r, &e);
		if (r->na[0]) {
			fprintf(out, "%-5s %-32s %-12s %-9s n/a (%s)\n",
				r->bench, r->what, r->label, r->peer, r->na);
			continue;
		}
		snprintf(verdict, sizeof(verdict), "%s", e.verdict);
		if (note_number(i))
			snprintf(verdict, sizeof(verdict), "%s [%d]", e.verdict,
				 note_number(i));
		if (isnan(e.ratio))
			snprintf(ra, sizeof(ra), "-");
		else	/* 3 digits: 0.999 must not read as 1.00 */
			snprintf(ra, sizeof(ra), e.ratio < 1 ? "%.3g" :
				 e.ratio < 10 ? "%.3f" : "%.1f", e.ratio);
		fprintf(out, "%-5s %-32s %-12s %-9s %-25s %-25s %-7s %-20s %s\n",
			r->bench, r->what, r->label, r->peer[0] ? r->peer : "-",
			fmt_spread(v, sizeof(v), e.m),
			fmt_spread(p, sizeof(p), e.peer), ra, r->target_text,
			verdict);
	}
	for (i = 0; i < nr_rows; i++)
		if (note_number(i) && note_first(i) == i)
			fprintf(out, "[%d] %s\n", note_number(i), rows[i].note);
}

/* With -v: every sample, in the order of the repetitions. */
static void print_samples(FILE *out, const struct metric *m)
{
	char buf[32];
	int i;

	if (!cfg.verbose)
		return;
	fputs("  samples:", out);
	for (i = 0; i < m->n; i++)
		fprintf(out, " %s", fmt_num(buf, sizeof(buf), m->v[i]));
}

static void print_details(FILE *out)
{
	char v[64];
	bool *done = calloc(nr_metrics, sizeof(*done));
	int i, j;

	if (!done)
		return;
	fprintf(out, "%-5s %-16s %-14s %-30s %s\n", "bench", "metric",
		"unit", "implementation", "median [min-max]");
	for (i = 0; i < nr_metrics; i++) {
		if (done[i])
			continue;
		for (j = i; j < nr_metrics; j++) {
			const struct metric *m = &metrics[j];

			if (done[j] || strcmp(m->bench, metrics[i].bench) ||
			    strcmp(m->name, metrics[i].name))
				continue;
			done[j] = true;
			fprintf(out, "%-5s %-16s %-14s %-30s %s", m->bench,
				m->name, m->unit, m->impl,
				fmt_spread(v, sizeof(v), m));
			print_samples(out, m);
			fputc('\n', out);
		}
	}
	free(done);
}

void print_report(FILE *out)
{
	int i;

	fprintf(out, "\n=== protshm benchmarks (Documentation/performance.rst) ===\n");
	for (i = 0; i < nr_meta; i++)
		fprintf(out, "%s\n", meta[i]);
	fprintf(out, "\nSummary: protshm against the peer of its definition; median [min-max] over the repetitions; ratio = protshm / peer (medians)\n");
	print_summary(out);
	fprintf(out, "\nEvery implementation:\n");
	print_details(out);
	fflush(out);
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */

/* CSV field: quoted when it holds a comma or a quote. */
static void csv_str(FILE *f, const char *s, bool last)
{
	if (strpbrk(s, ",\"")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void csv_num(FILE *f, double v, bool last)
{
	if (isnan(v))
		fputs(last ? "\n" : ",", f);
	else
		fprintf(f, "%.6g%c", v, last ? '\n' : ',');
}

static void csv_meta(FILE *f)
{
	int i;

	for (i = 0; i < nr_meta; i++)
		fprintf(f, "# %s\n", meta[i]);
}

int write_csv(const char *path)
{
	FILE *f = fopen(path, "we");
	int i;

	if (!f)
		return -1;
	csv_meta(f);
	fprintf(f, "benchmark,implementation,metric,unit,median,min,max,n\n");
	for (i = 0; i < nr_metrics; i++) {
		const struct metric *m = &metrics[i];

		csv_str(f, m->bench, false);
		csv_str(f, m->impl, false);
		csv_str(f, m->name, false);
		csv_str(f, m->unit, false);
		csv_num(f, metric_median(m), false);
		csv_num(f, metric_min(m), false);
		csv_num(f, metric_max(m), false);
		fprintf(f, "%d\n", m->n);
	}
	return fclose(f);
}

static const char *const goal_names[] = {
	[GOAL_INFO] = "info",
	[GOAL_VALUE_LE] = "value_le",
	[GOAL_MAX_LE] = "max_le",
	[GOAL_RATIO_LE] = "ratio_le",
	[GOAL_RATIO_GE] = "ratio_ge",
	[GOAL_RATIO_LT] = "ratio_lt",
};

int write_table_csv(const char *path)
{
	FILE *f = fopen(path, "we");
	struct row_eval e;
	char na[128];
	int i;

	if (!f)
		return -1;
	csv_meta(f);
	fprintf(f, "benchmark,case,metric,implementation,peer,protshm,peer_value,ratio,target,goal,target_value,verdict,note\n");
	for (i = 0; i < nr_rows; i++) {
		const struct row *r = &rows[i];

		row_eval(r, &e);
		csv_str(f, r->bench, false);
		csv_str(f, r->what, false);
		csv_str(f, r->label, false);
		csv_str(f, r->impl, false);
		csv_str(f, r->peer, false);
		csv_num(f, e.value, false);
		csv_num(f, e.peer_value, false);
		csv_num(f, e.ratio, false);
		csv_str(f, r->target_text, false);
		csv_str(f, goal_names[r->goal], false);
		csv_num(f, r->goal == GOAL_INFO ? NAN : r->target, false);
		if (r->na[0]) {
			snprintf(na, sizeof(na), "n/a (%s)", r->na);
			csv_str(f, na, false);
		} else {
			csv_str(f, e.verdict, false);
		}
		csv_str(f, r->note, true);
	}
	return fclose(f);
}
