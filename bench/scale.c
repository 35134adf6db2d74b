// SPDX-License-Identifier: GPL-2.0
/*
 * B9: scale.  The cost of one operation with N = 1, 64, 512 and 2048
 * processes attached to one segment, against SysV shm with as many
 * processes attached to one SysV segment:
 *
 *   attach    open + ATTACH by name + mmap + write one byte + munmap +
 *             close of a 16-page segment (sysv: shmget by key + shmat +
 *             write + shmdt), by the measuring process, which is attached
 *             already after its first cycle (out of the window)
 *   fork      fork() of the measuring process with one mapping of the
 *             segment, inherited, timed in the parent
 *   exit      that child's exit, from waking it to waitpid()'s return
 *   restrict  RESTRICT to READ of one attached process that mapped and
 *             wrote the segment (a fresh one for every operation)
 *   desc      RESTRICT DESCENDANTS to READ of the process whose N - 1 fork
 *             children make the N (they inherited its mapping), per
 *             process; the peer is SysV's fork per process
 *   dump      one PROTSHM_CMD_ATTACH_GET dump of the segment, per
 *             attachment; the peer is SysV's attach cycle
 *
 * and, with one process attached, the cost of open + ATTACH by name +
 * close with 1, 256 and 4096 segments in the IPC namespace ("lookup"), and
 * of RESTRICT of a process with 1, 1000 and 10000 other (anonymous)
 * mappings ("restrict").  Implementations are named protshm-nN,
 * sysv-nN, protshm-sS and protshm-mM; see Documentation/performance.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/protshm.h>

#include "bench.h"

#define B9_PAGES	16
#define B9_CYCLES	40	/* attach and lookup cycles per sample */
#define B9_FORKS	12	/* forks (and exits) per sample */
#define B9_TARGETS	6	/* restricts per sample */
#define B9_MAX_REPS	3
#define MAX_SEGS_PARAM	"/sys/module/protshm/parameters/max_segments"
#define MAX_USER_PARAM	"/sys/module/protshm/parameters/max_user_segments"

static const int b9_procs[] = { 1, 64, 512, 2048 };
static const int b9_segs[] = { 1, 256, 4096 };
static const int b9_maps[] = { 1, 1000, 10000 };

struct b9_ctx {
	size_t len;
	char name[64];		/* the segment every process attaches */
	struct protshm *ps;	/* created here: the owner's handle */
	key_t key;		/* the SysV segment */
	int shmid;
	void *at;		/* 2 MiB aligned hole for the attach cycles */
	struct protshm_nl *nl;
};

/* N processes attached: a root and its N - 1 fork children. */
struct b9_tree {
	pid_t root;
	int hold;		/* write end: everybody exits when it closes */
};

static void *b9_map(struct b9_ctx *x, enum impl_id impl, int fd)
{
	void *p;

	if (impl == IMPL_SYSV) {
		p = shmat(x->shmid, NULL, 0);
		return p == (void *)-1 ? NULL : p;
	}
	p = mmap(NULL, x->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Attach and map @impl's segment in the calling process, write it. */
static int b9_attach_map(struct b9_ctx *x, enum impl_id impl)
{
	struct protshm *h = NULL;
	void *p;

	if (impl == IMPL_PROTSHM &&
	    ps_err(protshm_attach(x->name, PROTSHM_PROT_RW, &h)))
		return -1;
	p = b9_map(x, impl, h ? protshm_fd(h) : -1);
	protshm_close(h);
	if (!p)
		return -1;
	touch_write(p, x->len, cfg.page);
	return 0;
}

/* @maps extra anonymous mappings that do not merge: alternate protections. */
static int b9_extra_maps(int maps)
{
	char *p;
	int i;

	if (maps <= 1)
		return 0;
	p = mmap(NULL, maps * cfg.page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < maps; i += 2)
		if (mprotect(p + i * cfg.page, cfg.page, PROT_READ))
			return -1;
	return 0;
}

static void __attribute__((noreturn)) b9_sleep(int hold, int ready)
{
	char c;

	if (write(ready, "r", 1) != 1)
		_exit(1);
	close(ready);
	_exit(read(hold, &c, 1) ? 1 : 0);
}

/*
 * Close every file but @hold and @ready: another tree's hold pipe kept open
 * here would keep that tree alive when the bench closes its end.
 */
static void b9_close_others(int hold, int ready)
{
	int fd, max = sysconf(_SC_OPEN_MAX);

	for (fd = 3; fd < max; fd++)
		if (fd != hold && fd != ready)
			close(fd);
}

static void __attribute__((noreturn)) b9_root(struct b9_ctx *x,
					      enum impl_id impl, int n,
					      int maps, int hold, int ready)
{
	char c;
	int i;

	b9_close_others(hold, ready);
	if (b9_attach_map(x, impl) || b9_extra_maps(maps))
		_exit(1);
	for (i = 1; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			_exit(1);
		if (!pid)
			b9_sleep(hold, ready);
	}
	if (write(ready, "r", 1) != 1)
		_exit(1);
	close(ready);
	if (read(hold, &c, 1))
		_exit(1);
	while (wait(NULL) > 0)
		;
	_exit(0);
}

static void b9_tree_end(struct b9_tree *t)
{
	if (t->root <= 0)
		return;
	close(t->hold);
	waitpid(t->root, NULL, 0);
	t->root = 0;
}

/* A tree of @n processes attached to @impl's segment (the root: @maps VMAs more). */
static int b9_tree_start(struct b9_ctx *x, struct b9_tree *t,
			 enum impl_id impl, int n, int maps)
{
	int hold[2], ready[2], got = 0;
	char c;

	t->root = 0;
	if (pipe2(hold, O_CLOEXEC))
		return -1;
	if (pipe2(ready, O_CLOEXEC)) {
		close(hold[0]);
		close(hold[1]);
		return -1;
	}
	t->root = fork();
	if (!t->root) {
		close(hold[1]);
		close(ready[0]);
		b9_root(x, impl, n, maps, hold[0], ready[1]);
	}
	t->hold = hold[1];
	close(hold[0]);
	close(ready[1]);
	while (got < n && read(ready[0], &c, 1) == 1)
		got++;
	close(ready[0]);
	if (t->root < 0 || got < n) {
		if (t->root < 0)
			close(t->hold);
		else
			b9_tree_end(t);
		t->root = 0;
		return -1;
	}
	return 0;
}

static int b9_attach_cycle(struct b9_ctx *x, enum impl_id impl)
{
	int fd, err;
	void *p;

	if (impl == IMPL_SYSV) {
		p = shmat(shmget(x->key, 0, 0), x->at, 0);
		if (p == (void *)-1)
			return -1;
		*(volatile char *)p = 1;
		return shmdt(p);
	}
	fd = open(PROTSHM_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	err = ps_raw_attach(fd, x->name, PROTSHM_PROT_RW);
	if (!err) {
		p = mmap(x->at, x->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0);
		err = p == MAP_FAILED;
		if (!err) {
			*(volatile char *)p = 1;
			err = munmap(p, x->len);
		}
	}
	return close(fd) || err;
}

/*
 * Where the time of one attach cycle goes: each system call of the cycle
 * (and the write, i.e. the page fault) timed on its own, summed over
 * B9_CYCLES cycles, as implementation "<impl>-steps" (info, with one
 * process attached; the clock reads add a little to each step).
 */
enum { STEP_OPEN, STEP_ATTACH, STEP_MMAP, STEP_TOUCH, STEP_UNMAP, STEP_CLOSE,
	NR_STEPS };

static const char *const b9_step_names[2][NR_STEPS] = {
	{ "open", "ATTACH", "mmap", "touch", "munmap", "close" },
	{ "-", "shmget", "shmat", "touch", "shmdt", "-" },
};

/* One cycle of @impl, the time of each step added to @t; 0 or -1. */
static int b9_step_cycle(struct b9_ctx *x, enum impl_id impl, double *t)
{
	double t0 = now_ns(), t1;
	int fd = -1, id = -1, err = 0;
	void *p;

#define B9_STEP(i) (t1 = now_ns(), t[i] += t1 - t0, t0 = t1)
	if (impl == IMPL_SYSV) {
		id = shmget(x->key, 0, 0);
		B9_STEP(STEP_ATTACH);
		p = shmat(id, x->at, 0);
		B9_STEP(STEP_MMAP);
		if (p == (void *)-1)
			return -1;
	} else {
		fd = open(PROTSHM_DEVICE, O_RDWR | O_CLOEXEC);
		B9_STEP(STEP_OPEN);
		err = fd < 0 || ps_raw_attach(fd, x->name, PROTSHM_PROT_RW);
		B9_STEP(STEP_ATTACH);
		p = err ? MAP_FAILED : mmap(x->at, x->len, PROT_READ |
					    PROT_WRITE, MAP_SHARED, fd, 0);
		B9_STEP(STEP_MMAP);
		if (p == MAP_FAILED) {
			close(fd);
			return -1;
		}
	}
	*(volatile char *)p = 1;
	B9_STEP(STEP_TOUCH);
	err = impl == IMPL_SYSV ? shmdt(p) : munmap(p, x->len);
	B9_STEP(STEP_UNMAP);
	if (fd >= 0)
		err |= close(fd);
	B9_STEP(STEP_CLOSE);
#undef B9_STEP
	return err ? -1 : 0;
}

static int b9_steps(struct b9_ctx *x, enum impl_id impl)
{
	double t[NR_STEPS] = { 0 };
	const char *name;
	char impl_name[32];
	int i;

	for (i = 0; i < B9_CYCLES; i++)
		if (b9_step_cycle(x, impl, t))
			return -1;
	snprintf(impl_name, sizeof(impl_name), "%s-steps", impl_names[impl]);
	for (i = 0; i < NR_STEPS; i++) {
		name = b9_step_names[impl == IMPL_SYSV][i];
		if (strcmp(name, "-"))
			metric_add("B9", impl_name, name, "ns/op",
				   t[i] / B9_CYCLES);
	}
	return 0;
}

/* One name lookup: open + ATTACH(@name) + close, raw as in B7. */
static int b9_lookup_cycle(const char *name)
{
	int fd = open(PROTSHM_DEVICE, O_RDWR | O_CLOEXEC), err;

	if (fd < 0)
		return -1;
	err = ps_raw_attach(fd, name, PROTSHM_PROT_RW);
	return close(fd) || err;
}

static void b9_add(const char *impl, char tag, int n, const char *op,
		   double ns)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%s-%c%d", impl, tag, n);
	metric_add("B9", buf, op, "ns/op", ns);
}

static int b9_cycles(struct b9_ctx *x, enum impl_id impl, int n)
{
	double t0;
	int i;

	if (b9_attach_cycle(x, impl))	/* attached from now on */
		return -1;
	t0 = now_ns();
	for (i = 0; i < B9_CYCLES; i++)
		if (b9_attach_cycle(x, impl))
			return -1;
	t0 = (now_ns() - t0) / B9_CYCLES;
	b9_add(impl_names[impl], 'n', n, "attach", t0);
	if (impl == IMPL_SYSV)	/* the peer of a dump's cost per process */
		b9_add("sysv", 'n', n, "dump", t0);
	return 0;
}

/* Forks of the measuring process with one mapping, then their exits. */
static int b9_forks(struct b9_ctx *x, enum impl_id impl, int n)
{
	double t_fork = 0, t_exit = 0, t0, t1;
	int i, p[2], status, err = 0;
	void *map = b9_map(x, impl, protshm_fd(x->ps));
	pid_t c;

	if (!map)
		return -1;
	for (i = -1; i < B9_FORKS && !err; i++) {	/* one warm-up */
		if (pipe2(p, O_CLOEXEC)) {
			err = -1;
			break;
		}
		t0 = now_ns();
		c = fork();
		if (!c) {	/* until EOF: the parent closes its end */
			char ch;

			close(p[1]);
			_exit(read(p[0], &ch, 1) ? 1 : 0);
		}
		t1 = now_ns();
		if (i >= 0)
			t_fork += t1 - t0;
		close(p[0]);
		t0 = now_ns();
		close(p[1]);
		err = c < 0 || waitpid(c, &status, 0) != c || status;
		if (i >= 0)
			t_exit += now_ns() - t0;
	}
	if (impl == IMPL_SYSV)
		shmdt(map);
	else
		munmap(map, x->len);
	if (err)
		return -1;
	b9_add(impl_names[impl], 'n', n, "fork", t_fork / B9_FORKS);
	b9_add(impl_names[impl], 'n', n, "exit", t_exit / B9_FORKS);
	if (impl == IMPL_SYSV)	/* the peer of DESCENDANTS per process */
		b9_add("sysv", 'n', n, "desc", t_fork / B9_FORKS);
	return 0;
}

/* RESTRICT to READ of B9_TARGETS fresh processes, each with @maps VMAs. */
static int b9_restricts(struct b9_ctx *x, char tag, int n, int maps)
{
	struct b9_tree t[B9_TARGETS];
	double ns = 0, t0;
	int i, err = 0;

	for (i = 0; i < B9_TARGETS; i++)
		t[i].root = 0;
	for (i = 0; i < B9_TARGETS && !err; i++)
		err = b9_tree_start(x, &t[i], IMPL_PROTSHM, 1, maps);
	for (i = 0; i < B9_TARGETS && !err; i++) {
		t0 = now_ns();
		err = ps_err(protshm_restrict(x->ps, t[i].root,
					      PROTSHM_PROT_READ, 0));
		ns += now_ns() - t0;
	}
	for (i = 0; i < B9_TARGETS; i++)
		b9_tree_end(&t[i]);
	if (!err)
		b9_add("protshm", tag, tag == 'n' ? n : maps, "restrict",
		       ns / B9_TARGETS);
	return err;
}

#ifdef BENCH_HAVE_MNL
static int b9_count(const struct protshm_nl_attachment *a, void *arg)
{
	(void)a;
	++*(long *)arg;
	return 0;
}

/* One attachment dump of the segment; time per attachment. */
static int b9_dump(struct b9_ctx *x, int n)
{
	long count = 0;
	double t0;
	int err;

	if (!x->nl)
		return 0;
	t0 = now_ns();
	err = protshm_nl_attachments(x->nl, x->name, 0, b9_count, &count);
	if (err || count < n)
		return -1;
	b9_add("protshm", 'n', n, "dump", (now_ns() - t0) / count);
	return 0;
}
#else
static int b9_dump(struct b9_ctx *x, int n)
{
	(void)x;
	(void)n;
	return 0;
}
#endif

/* RESTRICT DESCENDANTS of the tree's root; time per process. */
static int b9_descendants(struct b9_ctx *x, struct b9_tree *t, int n)
{
	double t0 = now_ns();

	if (ps_err(protshm_restrict(x->ps, t->root, PROTSHM_PROT_READ,
				    PROTSHM_RESTRICT_DESCENDANTS)))
		return -1;
	b9_add("protshm", 'n', n, "desc", (now_ns() - t0) / n);
	return 0;
}

/*
 * Every operation with @n processes attached to each segment, protshm and
 * SysV interleaved (order rotated by @rep); DESCENDANTS last, it lowers
 * the tree.
 */
static int b9_level(struct b9_ctx *x, int n, int rep)
{
	struct b9_tree ps = { 0 }, sv = { 0 };
	int k, err;

	err = b9_tree_start(x, &ps, IMPL_PROTSHM, n, 1) ||
	      b9_tree_start(x, &sv, IMPL_SYSV, n, 1);
	for (k = 0; k < 5 && !err; k++) {
		switch ((k + rep) % 5) {
		case 0:
			err = b9_cycles(x, IMPL_PROTSHM, n) ||
			      b9_cycles(x, IMPL_SYSV, n);
			if (!err && n == 1)
				err = b9_steps(x, IMPL_PROTSHM) ||
				      b9_steps(x, IMPL_SYSV);
			break;
		case 1:
			err = b9_forks(x, IMPL_PROTSHM, n);
			break;
		case 2:
			err = b9_forks(x, IMPL_SYSV, n);
			break;
		case 3:
			err = b9_restricts(x, 'n', n, 1);
			break;
		default:
			err = b9_dump(x, n);
			break;
		}
	}
	if (!err)
		err = b9_descendants(x, &ps, n);
	b9_tree_end(&ps);
	b9_tree_end(&sv);
	return err ? -1 : 0;
}

/* Segments named "<x->name>-<i>", i < @to, created from @from on. */
static int b9_named(struct b9_ctx *x, int from, int to, bool create)
{
	struct protshm *h;
	char name[80];
	int i, err = 0;

	for (i = from; i < to && !err; i++) {
		snprintf(name, sizeof(name), "%s-%d", x->name, i);
		h = NULL;
		err = create ? protshm_create(name, cfg.page, 0600,
					      PROTSHM_PROT_RW, &h) :
		      protshm_attach(name, PROTSHM_PROT_RW, &h);
		if (!err && !create)
			err = protshm_unlink(h);
		protshm_close(h);
	}
	return ps_err(err);
}

/* Name lookups with 1, 256, 4096 segments (the first one looked up). */
static int b9_lookups(struct b9_ctx *x)
{
	char name[80];
	unsigned int i;
	int have = 0, k, err = 0;
	double t0;

	snprintf(name, sizeof(name), "%s-0", x->name);
	for (i = 0; i < ARRAY_SIZE(b9_segs) && !err; i++) {
		err = b9_named(x, have, b9_segs[i], true);
		have = b9_segs[i];
		if (err || b9_lookup_cycle(name))
			break;
		t0 = now_ns();
		for (k = 0; k < B9_CYCLES && !err; k++)
			err = b9_lookup_cycle(name);
		if (!err)
			b9_add("protshm", 's', b9_segs[i], "lookup",
			       (now_ns() - t0) / B9_CYCLES);
	}
	b9_named(x, 0, have, false);
	return err ? -1 : 0;
}

static int b9_rep(struct b9_ctx *x, int rep)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(b9_procs) && !err; i++) {
		progress("B9: repetition %d, %d processes attached\n", rep + 1,
			 b9_procs[i]);
		err = b9_level(x, b9_procs[i], rep);
	}
	for (i = 0; i < ARRAY_SIZE(b9_maps) && !err; i++)
		err = b9_restricts(x, 'm', 1, b9_maps[i]);
	if (!err)
		err = b9_lookups(x);
	return err;
}

static const char *b9_no_nl;	/* why there is no dump, or NULL */

static void b9_row(const char *what, const char *op, const char *impl,
		   const char *peer, double target, const char *text)
{
	enum goal g = target > 0 ? GOAL_RATIO_LE : GOAL_INFO;
	struct row *r = row_add("B9", what, "ns/op", op, impl, peer, g, target,
				text);

	if (r && !strcmp(op, "dump") && b9_no_nl)
		snprintf(r->na, sizeof(r->na), "%s", b9_no_nl);
}

static void b9_rows(void)
{
	b9_row("attach+mmap, N 2048 vs 1", "attach", "protshm-n2048",
	       "protshm-n1", 1.25, "<= 1.25x");
	b9_row("fork with mapping, N 2048 vs 1", "fork", "protshm-n2048",
	       "protshm-n1", 1.25, "<= 1.25x");
	b9_row("exit, N 2048 vs 1", "exit", "protshm-n2048", "protshm-n1",
	       1.25, "<= 1.25x");
	b9_row("RESTRICT one, N 2048 vs 1", "restrict", "protshm-n2048",
	       "protshm-n1", 1.25, "<= 1.25x");
	b9_row("DESCENDANTS/process, N 2048", "desc", "protshm-n2048",
	       "sysv-n2048", 1.5, "<= 1.5x sysv fork");
	b9_row("DESCENDANTS/process, N 2048 vs 64", "desc", "protshm-n2048",
	       "protshm-n64", 0, NULL);
	b9_row("dump/attachment, N 2048", "dump", "protshm-n2048",
	       "sysv-n2048", 1.5, "<= 1.5x sysv shmat");
	b9_row("dump/attachment, N 2048 vs 64", "dump", "protshm-n2048",
	       "protshm-n64", 0, NULL);
	b9_row("name lookup, 4096 vs 1 segments", "lookup", "protshm-s4096",
	       "protshm-s1", 1.1, "<= 1.1x");
	b9_row("RESTRICT, 10000 vs 1 mappings", "restrict", "protshm-m10000",
	       "protshm-m1", 0, NULL);
	b9_row("attach+mmap vs sysv, N 2048", "attach", "protshm-n2048",
	       "sysv-n2048", 0, NULL);
}

static int b9_setup(struct b9_ctx *x)
{
	void *p;

	x->len = B9_PAGES * cfg.page;
	ps_unique_name(x->name, sizeof(x->name), "b9");
	if (ps_err(protshm_create(x->name, x->len, 0600, PROTSHM_PROT_RW,
				  &x->ps)))
		return -1;
	x->key = 0x70b90000 ^ getpid();
	x->shmid = shmget(x->key, x->len, IPC_CREAT | IPC_EXCL | 0600);
	if (x->shmid < 0)
		return -1;
	x->at = map_reserve(BENCH_ALIGN);
	if (!x->at)
		return -1;
	munmap(x->at, x->len);
	p = b9_map(x, IMPL_PROTSHM, protshm_fd(x->ps));	/* allocate */
	if (p)
		munmap(p, x->len);
#ifdef BENCH_HAVE_MNL
	if (protshm_nl_open(&x->nl))
		b9_no_nl = "no protshm netlink family";
#else
	b9_no_nl = "netlink not built: no libmnl";
#endif
	return p ? 0 : -1;
}

static void b9_teardown(struct b9_ctx *x)
{
	if (x->at)
		munmap((char *)x->at + x->len, BENCH_ALIGN - x->len);
	if (x->ps) {
		protshm_unlink(x->ps);
		protshm_close(x->ps);
	}
	if (x->shmid >= 0)
		shmctl(x->shmid, IPC_RMID, NULL);
#ifdef BENCH_HAVE_MNL
	protshm_nl_close(x->nl);
#endif
}

/**
 * bench_b9() - B9: cost per operation against the number of processes,
 *	segments and mappings
 *
 * Return: 0, or -1 on a failure (reported).
 */
int bench_b9(void)
{
	struct b9_ctx x = { .shmid = -1 };
	long max_segs = read_long_file(MAX_SEGS_PARAM);
	long max_user = read_long_file(MAX_USER_PARAM);
	int rep, reps = cfg.reps < B9_MAX_REPS ? cfg.reps : B9_MAX_REPS;
	int err = 0;

	b9_rows();
	if (!cfg.have_protshm)
		return 0;
	progress("B9: scale, %d repetitions\n", reps);
	/* 4096 segments more than the bench's own */
	write_long_file(MAX_SEGS_PARAM, 2 * b9_segs[2] + max_segs);
	write_long_file(MAX_USER_PARAM, 2 * b9_segs[2] + max_user);
	if (b9_setup(&x)) {
		fail("B9: setup: %m\n");
		err = -1;
	}
	for (rep = 0; rep < reps && !err; rep++) {
		err = b9_rep(&x, rep);
		if (err)
			fail("B9: repetition %d: %m\n", rep + 1);
	}
	b9_teardown(&x);
	write_long_file(MAX_SEGS_PARAM, max_segs);
	write_long_file(MAX_USER_PARAM, max_user);
	return err;
}
