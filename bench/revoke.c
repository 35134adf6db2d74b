// SPDX-License-Identifier: GPL-2.0
/*
 * B5 and B6: revoking write access from processes that have the whole
 * segment mapped and touched.
 *
 * protshm: the owner (this process) lowers the target's ceiling to READ with
 * PROTSHM_IOC_RESTRICT; the ioctl is timed, and the TLB-shootdown IPIs
 * (/proc/interrupts "TLB:", all CPUs) are counted around it.  Each target
 * opened /dev/protshm, attached by name and mapped the segment itself.
 * Peer: each process calls mprotect(PROT_READ) on its own mapping of a
 * memfd of the same size, timed and counted in that process; the peer
 * value is the sum over the processes.
 *
 * Cases:
 *   p1   one process A, sleeping in read(2) during the revoke.
 *   p2   A plus an unrelated process B busy-waiting on CPU 1 (so its mm is
 *        live there and a flush of it needs an IPI); two ioctls, one per
 *        process, timed together.
 *   p2d  the same, but B is a fork child of A (inheriting A's mapping) and
 *        one ioctl with PROTSHM_RESTRICT_DESCENDANTS on A lowers both.
 *   p2i  as p2, but B sleeps too: the same work without the IPI, which
 *        under TCG costs an emulated interrupt round trip.
 * The owner and A run on CPU 0.  With one CPU, B always sleeps.
 *
 * B6 is measured in A of case p1: after the revoke A reads one byte of
 * every page; protshm zapped the PTEs, so reads fault again, while
 * mprotect() kept them.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/protshm.h>

#include "bench.h"

/* What a child measured, written into the shared control page. */
struct child_out {
	pid_t pid;
	int err;		/* errno of a failure, 0 if none */
	int perms_ok;		/* the mapping reads "r--s" in the end */
	long ipis;		/* TLB IPIs around its own mprotect() */
	double mprotect_ns;
	long rd_faults;		/* faults of the read pass after the revoke */
	double rd_ns;
};

/* MAP_SHARED anonymous page shared by the owner and the children. */
struct ctl {
	int cmd[2];
	struct child_out out[2];
};

struct b5_case {
	const char *id;		/* metric prefix: p1, p2, p2d, p2i */
	const char *what;	/* table text */
	int nproc;
	bool fork_b;		/* B is forked by A */
	bool spin_b;		/* B busy-waits on CPU 1 (if there is one) */
};

static const struct b5_case b5_cases[] = {
	{ "p1", "restrict 1 process", 1, false, false },
	{ "p2", "restrict 2 processes, 2 ioctls", 2, false, true },
	{ "p2d", "restrict 2, 1 ioctl DESCENDANTS", 2, true, true },
	{ "p2i", "restrict 2 idle, 2 ioctls", 2, false, false },
};

struct b5_run {
	const struct b5_case *c;
	enum impl_id impl;	/* IMPL_PROTSHM or IMPL_MEMFD */
	bool spin_b;		/* this run's B busy-waits on CPU 1 */
	struct seg *seg;
	struct ctl *ctl;
	int cmd_pipe[2][2];
	int reply_pipe[2];
};

static volatile unsigned long sink;

static void reply(struct b5_run *run, int role, char kind)
{
	char msg[2] = { (char)role, kind };

	if (write(run->reply_pipe[1], msg, 2) != 2)
		_exit(2);
}

/* The owner waits for @n messages of @kind from the children. */
static int wait_replies(struct b5_run *run, char kind, int n)
{
	char msg[2];

	while (n > 0) {
		if (read(run->reply_pipe[0], msg, 2) != 2)
			return -1;
		if (msg[1] == kind)
			n--;
	}
	return 0;
}

static void send_cmd(struct b5_run *run, int role)
{
	char c = 'g';

	__atomic_store_n(&run->ctl->cmd[role], 1, __ATOMIC_RELEASE);
	if (write(run->cmd_pipe[role][1], &c, 1) != 1)
		fail("B5: command pipe: %m\n");
}

static void wait_cmd(struct b5_run *run, int role, bool spin)
{
	char c;

	if (spin) {
		while (!__atomic_load_n(&run->ctl->cmd[role], __ATOMIC_ACQUIRE))
			;
		return;
	}
	if (read(run->cmd_pipe[role][0], &c, 1) != 1)
		_exit(2);
}

/* A child's own mapping: protshm through its own fd and attachment. */
static void *child_map(struct b5_run *run)
{
	struct seg mine = *run->seg;
	void *p;

	if (run->impl != IMPL_PROTSHM)
		return seg_map(run->seg, PROT_READ | PROT_WRITE);
	if (ps_err(protshm_attach(run->seg->name, PROTSHM_PROT_RW, &mine.ps)))
		return NULL;
	mine.fd = protshm_fd(mine.ps);
	p = seg_map(&mine, PROT_READ | PROT_WRITE);
	protshm_close(mine.ps);
	return p;
}

/* What a child does after its command: mprotect (peer), then B6's reads. */
static void child_measure(struct b5_run *run, struct child_out *out, void *p)
{
	unsigned long sum;
	double t0, t1;
	long i0, f0;
	char perms[5];

	if (run->impl != IMPL_PROTSHM) {
		i0 = tlb_ipis_now();
		t0 = now_ns();
		if (mprotect(p, run->seg->size, PROT_READ))
			out->err = errno;
		t1 = now_ns();
		out->ipis = tlb_ipis_now() - i0;
		out->mprotect_ns = t1 - t0;
	}
	f0 = faults_now();
	t0 = now_ns();
	sum = touch_read(p, run->seg->size, cfg.page);
	t1 = now_ns();
	out->rd_faults = faults_now() - f0;
	out->rd_ns = t1 - t0;
	sink += sum;	/* after the count: a first write here is a COW fault */
	out->perms_ok = !strcmp(maps_perms(p, perms), "r--s");
}

static void __attribute__((noreturn))
b5_child(struct b5_run *run, int role, void *inherited)
{
	struct child_out *out = &run->ctl->out[role];
	bool spin = role == 1 && run->spin_b;
	void *p = inherited;
	pid_t kid = 0;

	out->pid = getpid();
	if (spin)
		pin_cpu(1);
	if (!p)
		p = child_map(run);
	if (!p) {
		out->err = errno ? errno : EIO;
		reply(run, role, 'r');
		_exit(1);
	}
	touch_write(p, run->seg->size, cfg.page);
	/*
	 * A forked child refaults the text and COW-breaks the stack it uses:
	 * run the measured code once now, on pages that are mapped anyway.
	 */
	sink += touch_read(p, run->seg->size, cfg.page) + faults_now() +
		now_ns();
	if (role == 0 && run->c->fork_b) {
		kid = fork();
		if (!kid)
			b5_child(run, 1, p);
		if (kid < 0)
			out->err = errno;
	}
	reply(run, role, 'r');
	wait_cmd(run, role, spin);
	child_measure(run, out, p);
	reply(run, role, 'd');
	if (kid > 0)
		waitpid(kid, NULL, 0);
	_exit(out->err ? 1 : 0);
}

static int b5_pipes(struct b5_run *run, bool open)
{
	int *fds[] = { run->cmd_pipe[0], run->cmd_pipe[1], run->reply_pipe };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		if (open && pipe2(fds[i], O_CLOEXEC))
			return -1;
		if (!open) {
			close(fds[i][0]);
			if (fds[i][1] >= 0)
				close(fds[i][1]);
		}
	}
	return 0;
}

/* The owner's ioctl(s); returns 0 or -1 with errno. */
static int b5_restrict(struct b5_run *run, pid_t a, pid_t b, double *ns,
		       long *ipis)
{
	uint32_t flags = run->c->fork_b ? PROTSHM_RESTRICT_DESCENDANTS : 0;
	double t0, t1;
	long i0;
	int err;

	i0 = tlb_ipis_now();
	t0 = now_ns();
	err = ps_err(protshm_restrict(run->seg->ps, a, PROTSHM_PROT_READ,
				      flags));
	if (!err && b && !run->c->fork_b)
		err = ps_err(protshm_restrict(run->seg->ps, b,
					      PROTSHM_PROT_READ, 0));
	t1 = now_ns();
	*ipis = tlb_ipis_now() - i0;
	*ns = t1 - t0;
	return err;
}

/* The children's results: the sums for the peer, checks for both. */
static int b5_collect(struct b5_run *run, double *ns, long *ipis)
{
	int role;

	for (role = 0; role < run->c->nproc; role++) {
		struct child_out *o = &run->ctl->out[role];

		if (o->err || !o->perms_ok) {
			errno = o->err ? o->err : EPERM;
			fail("B5 %s %s: child %d failed (perms_ok %d): %m\n",
			     run->c->id, impl_names[run->impl], role,
			     o->perms_ok);
			return -1;
		}
		if (run->impl != IMPL_PROTSHM) {
			*ns += o->mprotect_ns;
			*ipis += o->ipis;
		}
	}
	return 0;
}

/* One repetition of one case for one implementation. */
static int b5_once(struct b5_run *run, double *ns, long *ipis)
{
	pid_t a, b = 0;
	int role, err = -1;

	memset(run->ctl, 0, sizeof(*run->ctl));
	if (b5_pipes(run, true))
		return -1;
	a = fork();
	if (!a)
		b5_child(run, 0, NULL);
	if (a > 0 && run->c->nproc == 2 && !run->c->fork_b) {
		b = fork();
		if (!b)
			b5_child(run, 1, NULL);
	}
	/* only the children write replies: EOF if they all died */
	close(run->reply_pipe[1]);
	run->reply_pipe[1] = -1;
	if (a < 0 || b < 0 || wait_replies(run, 'r', run->c->nproc))
		goto out;
	if (run->ctl->out[0].err || run->ctl->out[1].err) {
		b5_collect(run, ns, ipis);
		goto out;
	}
	if (run->c->fork_b)
		b = run->ctl->out[1].pid;
	*ns = 0;
	*ipis = 0;
	if (run->impl == IMPL_PROTSHM && b5_restrict(run, a, b, ns, ipis)) {
		fail("B5 %s: RESTRICT: %m\n", run->c->id);
		goto out;
	}
	/* one at a time, so that the IPI windows of the peers never overlap */
	for (role = 0; role < run->c->nproc; role++) {
		send_cmd(run, role);
		if (wait_replies(run, 'd', 1))
			goto out;
	}
	err = b5_collect(run, ns, ipis);
out:
	for (role = 0; role < 2; role++)	/* a failed child may wait */
		send_cmd(run, role);
	if (a > 0)
		waitpid(a, NULL, 0);
	if (b > 0 && !run->c->fork_b)
		waitpid(b, NULL, 0);
	b5_pipes(run, false);
	return err;
}

static void b5_record(struct b5_run *run, double ns, long ipis, bool b5,
		      bool b6)
{
	const char *impl = run->impl == IMPL_PROTSHM ? "protshm" : "mprotect";
	const struct child_out *a = &run->ctl->out[0];
	char name[24];

	if (b5) {
		snprintf(name, sizeof(name), "%s_us", run->c->id);
		metric_add("B5", impl, name, "us", ns / 1e3);
		snprintf(name, sizeof(name), "%s_ipis", run->c->id);
		metric_add("B5", impl, name, "IPIs", ipis);
	}
	if (b6 && run->c->nproc == 1) {
		metric_add("B6", impl, "faults_per_page", "faults/page",
			   (double)a->rd_faults / cfg.pages);
		metric_add("B6", impl, "ns_per_page", "ns/page",
			   a->rd_ns / cfg.pages);
	}
}

static void b5_rows(bool b5, bool b6)
{
	static const char *tcg_note =
		"P=2: B busy-waits on CPU 1, so flushing its mm needs an IPI, which mprotect() by B itself does not; under TCG shootdown latency is emulated (no verdict may rest on it), so this time verdict is indicative only";
	char label[24], text[32];
	unsigned int i;
	struct row *r;

	for (i = 0; b5 && i < ARRAY_SIZE(b5_cases); i++) {
		const struct b5_case *c = &b5_cases[i];
		int budget = c->nproc * (cfg.ncpus - 1);

		snprintf(label, sizeof(label), "%s_us", c->id);
		r = row_add("B5", c->what, "time (us)", label, "protshm",
			    "mprotect", GOAL_RATIO_LE, 1.5, "<= 1.5x");
		if (r && c->spin_b)
			snprintf(r->note, sizeof(r->note), "%s%s", tcg_note,
				 cfg.ncpus < 2 ? " (1 CPU here: B sleeps)" : "");
		snprintf(label, sizeof(label), "%s_ipis", c->id);
		snprintf(text, sizeof(text), "max <= %d (1/mm/CPU)", budget);
		r = row_add("B5", c->what, "TLB IPIs", label, "protshm",
			    "mprotect", GOAL_MAX_LE, budget, text);
		if (r && tlb_ipis_now() < 0)
			snprintf(r->na, sizeof(r->na),
				 "no \"TLB:\" line in /proc/interrupts");
	}
	if (!b6)
		return;
	row_add("B6", "reads after write revoke", "faults/page",
		"faults_per_page", "protshm", "mprotect", GOAL_VALUE_LE, 0.0625,
		"<= 0.0625 (0)");
	r = row_add("B6", "reads after write revoke", "time/page",
		    "ns_per_page", "protshm", "mprotect", GOAL_INFO, 0, "-");
	if (r)
		snprintf(r->note, sizeof(r->note),
			 "B6 time: no target; the read pass over 4096 pages after the revoke, in the revoked process");
}

/**
 * bench_b5() - B5 and/or B6
 * @b5: record the B5 metrics and rows
 * @b6: record the B6 metrics and rows (from case p1)
 *
 * Return: 0, or -1 on a failure (reported).
 */
int bench_b5(bool b5, bool b6)
{
	struct seg segs[2] = { { .fd = -1, .shmid = -1 },
			       { .fd = -1, .shmid = -1 } };
	enum impl_id impls[2] = { IMPL_PROTSHM, IMPL_MEMFD };
	struct b5_run run = { 0 };
	unsigned int i, ncases = b5 ? ARRAY_SIZE(b5_cases) : 1;
	cpu_set_t saved;
	int rep, k, err = -1;
	double ns;
	long ipis;

	progress("B5/B6: revoke write access (%s)\n",
		 b5 ? "1 and 2 processes" : "1 process");
	b5_rows(b5, b6);
	run.ctl = mmap(NULL, sizeof(*run.ctl), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (run.ctl == MAP_FAILED)
		return -1;
	sched_getaffinity(0, sizeof(saved), &saved);
	if (cfg.ncpus > 1)
		pin_cpu(0);
	for (k = 0; k < 2; k++) {
		if (impls[k] == IMPL_PROTSHM && !cfg.have_protshm)
			continue;
		if (seg_create(&segs[k], impls[k], cfg.size, true) ||
		    seg_populate(&segs[k])) {
			fail("B5: preparing a %s segment: %m\n",
			     impl_names[impls[k]]);
			goto out;
		}
	}
	for (rep = 0; rep < cfg.reps; rep++) {
		for (i = 0; i < ncases; i++) {
			run.c = &b5_cases[i];
			run.spin_b = run.c->spin_b && cfg.ncpus > 1;
			for (k = 0; k < 2; k++) {
				int which = (k + rep) % 2;

				if (segs[which].fd < 0)
					continue;
				run.impl = impls[which];
				run.seg = &segs[which];
				if (b5_once(&run, &ns, &ipis))
					goto out;
				b5_record(&run, ns, ipis, b5, b6);
			}
		}
	}
	err = 0;
out:
	for (k = 0; k < 2; k++)
		seg_destroy(&segs[k]);
	sched_setaffinity(0, sizeof(saved), &saved);
	munmap(run.ctl, sizeof(*run.ctl));
	return err;
}
