// SPDX-License-Identifier: GPL-2.0
/*
 * B10: fork + exit of a process that has nothing to do with protshm, with
 * the module loaded against the same with the module not loaded.  The
 * module probes every fork in the system (sched_process_fork) to record
 * those of restricted processes; anyone may restrict himself, so nobody
 * else's fork may get slower, or be recorded, however many processes did.
 *
 *   unloaded        the module removed (rmmod) during the measurement and
 *                   loaded again after it (insmod of the -k file)
 *   protshm-0       loaded, no process restricted
 *   protshm-5000    loaded, B10_RESTRICTED processes that each lowered their
 *                   own ceiling on one of B10_SEGS segments, asleep
 *   unloaded-5000   unloaded, as many processes asleep (info: what the
 *                   kernel itself pays for their presence)
 *
 * The measuring process is forked afresh for each sample (small, outside
 * the window): it forks B10_FORKS children that _exit(0) at once and waits
 * for each.  The number of fork records the module made during the
 * protshm-5000 window is read from its fork_records parameter: 0 expected.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/protshm.h>

#include "bench.h"

#define B10_RESTRICTED	5000
#define B10_SEGS		50	/* restricted processes per segment: 100 */
#define B10_FORKS	1000
#define FORK_RECORDS	"/sys/module/protshm/parameters/fork_records"

enum b10_case {
	B10_UNLOADED, B10_LOADED, B10_CROWD, B10_UNLOADED_CROWD, NR_B10
};

static const char *const b10_impl[NR_B10] = {
	"unloaded", "protshm-0", "protshm-5000", "unloaded-5000",
};

const char *bench_ko;	/* -k: the module file, for rmmod/insmod */

/* ns per fork + exit + wait, measured in a fresh child; < 0 on failure. */
static double b10_forks(void)
{
	int p[2], status;
	double ns = -1;
	pid_t pid, c;
	long i;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		double t0 = 0;

		close(p[0]);
		for (i = -1; i < B10_FORKS; i++) {	/* one warm-up */
			if (!i)
				t0 = now_ns();
			c = fork();
			if (!c)
				_exit(0);
			if (c < 0 || waitpid(c, &status, 0) != c || status)
				_exit(1);
		}
		ns = (now_ns() - t0) / B10_FORKS;
		_exit(write(p[1], &ns, sizeof(ns)) != sizeof(ns));
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &ns, sizeof(ns)) != sizeof(ns))
		ns = -1;
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status)
		return -1;
	return ns;
}

/*
 * Attach to @name and lower the own ceiling to READ (unless @name is NULL),
 * then sleep until EOF on @hold.
 */
static void __attribute__((noreturn)) b10_sleeper(const char *name, int hold,
						 int ready)
{
	struct protshm *h;
	char c;

	if (name && (protshm_attach(name, PROTSHM_PROT_RW, &h) ||
		     protshm_restrict(h, 0, PROTSHM_PROT_READ, 0)))
		_exit(1);
	if (name)
		protshm_close(h);
	if (write(ready, "r", 1) != 1 || close(ready))
		_exit(1);
	_exit(read(hold, &c, 1) ? 1 : 0);
}

struct b10_crowd {
	struct seg segs[B10_SEGS];
	pid_t pids[B10_RESTRICTED];
	int nr;
	int hold;	/* write end: the sleepers exit when it is closed */
};

static void b10_crowd_end(struct b10_crowd *x)
{
	int i;

	if (x->hold >= 0)
		close(x->hold);
	for (i = 0; i < x->nr; i++)
		waitpid(x->pids[i], NULL, 0);
	for (i = 0; i < B10_SEGS; i++)
		seg_destroy(&x->segs[i]);
}

/*
 * B10_RESTRICTED sleeping processes, each restricted on one of the segments
 * if @restricted.
 */
static int b10_crowd_start(struct b10_crowd *x, bool restricted)
{
	int hold[2], ready[2], i, n = 0;
	char c;

	x->nr = 0;
	x->hold = -1;
	for (i = 0; i < B10_SEGS; i++)
		x->segs[i] = (struct seg){ .fd = -1, .shmid = -1 };
	for (i = 0; restricted && i < B10_SEGS; i++)
		if (seg_create(&x->segs[i], IMPL_PROTSHM, cfg.page, true))
			return -1;
	if (pipe2(hold, O_CLOEXEC))
		return -1;
	x->hold = hold[1];
	if (pipe2(ready, O_CLOEXEC)) {
		close(hold[0]);
		return -1;
	}
	for (i = 0; i < B10_RESTRICTED; i++) {
		x->pids[i] = fork();
		if (x->pids[i] < 0)
			break;
		if (!x->pids[i]) {
			close(hold[1]);
			close(ready[0]);
			b10_sleeper(restricted ? x->segs[i % B10_SEGS].name :
				   NULL, hold[0], ready[1]);
		}
		x->nr++;
	}
	close(hold[0]);
	close(ready[1]);
	while (n < x->nr && read(ready[0], &c, 1) == 1)
		n++;
	close(ready[0]);
	/*
	 * The sleepers' inherited files keep the segments: closing ours keeps
	 * 50 files out of every fork the measuring process makes.
	 */
	for (i = 0; i < B10_SEGS; i++)
		seg_destroy(&x->segs[i]);
	return n == B10_RESTRICTED ? 0 : -1;
}

/* rmmod or insmod; rmmod is retried for 5 s while a closing file holds it. */
static int b10_module(const char *cmd)
{
	char buf[512];
	int tries = strcmp(cmd, "rmmod") ? 1 : 50;

	snprintf(buf, sizeof(buf), "%s %s >/dev/null 2>&1", cmd,
		 strcmp(cmd, "insmod") ? "protshm" : bench_ko);
	while (system(buf)) {
		if (!--tries)
			return -1;
		usleep(100 * 1000);
	}
	return 0;
}

static int b10_sample(enum b10_case c)
{
	struct b10_crowd crowd;
	long rec0 = 0;
	double ns;

	switch (c) {
	case B10_UNLOADED:
		if (b10_module("rmmod"))
			return -1;
		ns = b10_forks();
		if (b10_module("insmod"))
			return -1;
		break;
	case B10_LOADED:
		ns = b10_forks();
		break;
	case B10_UNLOADED_CROWD:
		if (b10_module("rmmod"))
			return -1;
		ns = b10_crowd_start(&crowd, false) ? -1 : b10_forks();
		b10_crowd_end(&crowd);
		if (b10_module("insmod"))
			return -1;
		break;
	default:
		if (b10_crowd_start(&crowd, true)) {
			b10_crowd_end(&crowd);
			return -1;
		}
		rec0 = read_long_file(FORK_RECORDS);
		ns = b10_forks();
		rec0 = read_long_file(FORK_RECORDS) - rec0;
		b10_crowd_end(&crowd);
		/* the measuring process, its warm-up and measured forks */
		metric_add("B10", b10_impl[c], "records_per_fork", "records/fork",
			   (double)rec0 / (B10_FORKS + 2));
	}
	if (ns < 0)
		return -1;
	metric_add("B10", b10_impl[c], "ns_per_fork", "ns/fork", ns);
	return 0;
}

static void b10_rows(void)
{
	struct row *r;

	r = row_add("B10", "fork+exit, no restricted process", "time/fork",
		    "ns_per_fork", "protshm-0", "unloaded", GOAL_RATIO_LE, 1.05,
		    "<= 1.05x");
	if (r && !bench_ko)
		snprintf(r->na, sizeof(r->na), "no -k: cannot reload the module");
	r = row_add("B10", "fork+exit, 5000 restricted", "time/fork",
		    "ns_per_fork", "protshm-5000", "unloaded", GOAL_RATIO_LE,
		    1.05, "<= 1.05x");
	if (r && !bench_ko)
		snprintf(r->na, sizeof(r->na), "no -k: cannot reload the module");
	r = row_add("B10", "fork+exit, 5000 restricted", "time/fork",
		    "ns_per_fork", "protshm-5000", "unloaded-5000", GOAL_INFO, 0,
		    "-");
	if (r) {
		snprintf(r->note, sizeof(r->note),
			 "B10: the peer is the module unloaded with as many processes asleep, none restricted: what the kernel itself pays for their presence is out of the ratio");
		if (!bench_ko)
			snprintf(r->na, sizeof(r->na),
				 "no -k: cannot reload the module");
	}
	r = row_add("B10", "fork+exit, 5000 restricted", "records/fork",
		    "records_per_fork", "protshm-5000", NULL, GOAL_VALUE_LE, 0,
		    "0");
	if (r && read_long_file(FORK_RECORDS) < 0)
		snprintf(r->na, sizeof(r->na), "module without fork_records");
}

/**
 * bench_b10() - B10: fork + exit of an unrelated process
 *
 * Return: 0, or -1 on a failure (reported).
 */
int bench_b10(void)
{
	int rep, k, c, err = 0;

	b10_rows();
	if (!cfg.have_protshm)
		return 0;
	progress("B10: fork+exit, %d forks per sample, %d restricted processes\n",
		 B10_FORKS, B10_RESTRICTED);
	for (rep = 0; rep < cfg.reps && !err; rep++) {
		for (k = 0; k < NR_B10 && !err; k++) {
			c = (rep + k) % NR_B10;
			if ((c == B10_UNLOADED || c == B10_UNLOADED_CROWD) &&
			    !bench_ko)
				continue;
			err = b10_sample(c);
			if (err)
				fail("B10 %s: %m\n", b10_impl[c]);
		}
	}
	return err;
}
