// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-injection sweep over every protshm path, with
 * /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION, failslab,
 * fail_page_alloc and fail_usercopy; the debug kernel has them).
 *
 * For each path, n = 1, 2, ...: set up, arm fail-nth with n, run the
 * operation, read fail-nth back (0: the n-th injection point in this task
 * was reached and failed), disarm, then check: the operation failed with a
 * clean errno (ENOMEM, EFAULT, and for netlink a lost message, ENOBUFS) or
 * succeeded anyway (a retry or fallback), the same operation without
 * injection succeeds, counts (INFO, netlink) agree, ceilings and mapping
 * rights are what a completed operation gives, and no byte of a segment
 * changed.  The first n whose fault was not consumed means the path has n - 1
 * points, every one of which was taken.  fail-nth counts every failable
 * allocation and user copy of the task, in the whole syscall (and in the
 * page faults of the process's own code between arming and reading back,
 * which the sweep keeps out by running on memory touched before, and not in
 * the kernel's rseq update on the way back to user mode, which it turns off:
 * fi_rseq_off()): the totals include the core kernel's points (FI_VERBOSE=2
 * tells how many went through the module).  One point fails per run, so the
 * points of a fallback (kvmalloc()'s vmalloc after its kmalloc failed,
 * kmemleak's object pool) are never failed themselves; and some points come
 * and go between runs (a slab needing a new page, the stack depot), so a
 * point can move by one between two runs and be missed by one sweep:
 * repeated sweeps cover those.
 *
 * Each path prints "# path NAME: N injection points, all taken (ENOMEM xA,
 * EFAULT xB, retried xC)", plus other outcomes it allows (ENOBUFS, a
 * child killed because its fork could not be recorded) when they occur.
 * Environment: FI_ALL=1 also sweeps fork (skipped by default, see
 * FI_SKIP_SLOW()), FI_ONLY=NAME sweeps only that path, FI_TRACE=1 traces every
 * run on stderr, FI_VERBOSE=2 makes every injected failure log its stack
 * (to tell the module's points from the core kernel's; the kernel log is
 * then not checked).
 */
#include <sys/mount.h>
#include <sys/rseq.h>
#include <sys/syscall.h>

#include "common.h"
#include "ioctl_helpers.h"
#include "nl_helpers.h"
#include "kselftest_harness.h"

#define NPAGES		8
#define FI_MAX_POINTS	100000
#define FI_DEBUGFS	"/sys/kernel/debug"
#define FI_NTH		"/proc/thread-self/fail-nth"
#define FI_SIG		1000	/* op result: FI_SIG + signal of an access */

/* Fault-attribute settings: every allocation and user copy is a point. */
static const char *const fi_attrs[][2] = {
	{ "failslab/verbose", "0" },
	{ "failslab/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/verbose", "0" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "fail_page_alloc/min-order", "0" },
	{ "fail_usercopy/verbose", "0" },
};

struct fi_ctx {
	long psz;
	int base_fd, aux_fd;		/* mapped (and filled) / never mapped */
	char base_name[64], aux_name[64];
	char *base;			/* base, NPAGES, RW */
	uint64_t base_id;
	/* per run */
	unsigned int n;			/* the point armed */
	int fd, nth_peer;		/* a second file; a child's fail-nth */
	char name[64];
	char *p, *dst;
	pid_t pid, gpid;		/* a peer, its child */
	int pidfd, hold[2];
	uint64_t id;
	struct nlc nl;
	struct seg_rec seg;
	struct att_list *l;
	/* per path */
	unsigned int killed;		/* children killed (fork record) */
	int npages;			/* size of a created segment */
	int nvmas;			/* the caller's mappings of base */
	const char *rseq_on;		/* why rseq is still registered */
	char rseq_why[160];
};

struct fi_path {
	const char *name;
	int (*setup)(struct fi_ctx *c);		/* 0 or -1 */
	int (*op)(struct fi_ctx *c);		/* 0 or the op's errno */
	int (*check)(struct fi_ctx *c, int err); /* 0 or -1 */
	void (*teardown)(struct fi_ctx *c);
	int (*taken)(struct fi_ctx *c);		/* op arms itself, says */
	int in_child;				/* each run in a new process */
	int allow;				/* an errno allowed besides */
};

struct fi_res {
	int taken, err, bad;
};

#define FI_FAIL(c, fmt, ...) ({						\
	fprintf(stderr, "# n=%u: %s:%d: " fmt "\n", (c)->n, __FILE__,	\
		__LINE__, ##__VA_ARGS__);				\
	-1;								\
})
#define FI_CHECK(c, cond) do {						\
	if (!(cond))							\
		return FI_FAIL(c, "'%s' failed (errno %d)", #cond, errno); \
} while (0)

/* ---- fail-nth -------------------------------------------------------- */

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* NULL when fault injection is ready, else why not (for SKIP). */
static const char *fi_configure(char *why, size_t len)
{
	const char *verbose = getenv("FI_VERBOSE");
	char path[256];
	size_t i;

	if (access(FI_NTH, F_OK))
		return "no " FI_NTH " (kernel without CONFIG_FAULT_INJECTION)";
	if (access(FI_DEBUGFS "/failslab", F_OK))
		mount("debugfs", FI_DEBUGFS, "debugfs", 0, NULL);
	for (i = 0; i < ARRAY_SIZE(fi_attrs); i++) {
		snprintf(path, sizeof(path), FI_DEBUGFS "/%s", fi_attrs[i][0]);
		if (write_str(path, verbose && strstr(path, "/verbose") ?
				    verbose : fi_attrs[i][1])) {
			snprintf(why, len, "cannot set %s (%s): needs debugfs, CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_USERCOPY, CONFIG_FAULT_INJECTION_DEBUG_FS and root",
				 path, strerror(errno));
			return why;
		}
	}
	/* other fault attributes this kernel has: no stack traces either */
	write_str(FI_DEBUGFS "/fail_futex/verbose", "0");
	/* a process killed by SIGSEGV/SIGBUS is logged with its address */
	write_str("/proc/sys/debug/exception-trace", "1");
	return NULL;
}

/*
 * glibc registers an rseq area in each thread's TLS, which the kernel
 * updates (cpu_id and the other ids) on the way back to user mode whenever
 * the task was scheduled out or migrated since, at the end of any syscall.
 * Right after a fork that page is copy-on-write, shared with a child that
 * has not run yet (or was killed before it ran): the update then takes a
 * page fault that allocates a page, one more injection point, outside the
 * operation under test and only when the parent happened to be scheduled
 * out.  With that allocation failed, the update fails, and the kernel kills
 * the task by SIGSEGV (kernel/rseq.c; a forced SIGSEGV with si_code
 * SI_KERNEL, no "segfault at" line): the fork sweeps died that way now and
 * then.  The sweep unregisters the area (also for the children it forks,
 * which inherit that), so that the armed window holds the syscall and the
 * task's own user-mode code only, whose failed page faults are retried.
 * NULL when no rseq area is registered any more, else why not.
 */
static const char *fi_rseq_off(char *why, size_t len)
{
	void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	/* glibc >= 2.40: __rseq_size is the feature size, 32 bytes registered */
	const unsigned int sizes[] = { __rseq_size, 32 };
	size_t i;

	if (!__rseq_size)
		return NULL;	/* not registered (GLIBC_TUNABLES) */
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		if (!syscall(__NR_rseq, area, sizes[i], RSEQ_FLAG_UNREGISTER,
			     RSEQ_SIG))
			return NULL;
	snprintf(why, len, "cannot unregister glibc's rseq area (%s), an injected failure could kill the parent of a fork: run with GLIBC_TUNABLES=glibc.pthread.rseq=0",
		 strerror(errno));
	return why;
}

static int fi_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return write(fd, buf, len) == len ? 0 : -1;
}

/*
 * Was the armed point reached and failed (fail-nth reads 0)?  Disarms.
 * If the count was not used up, this read's own copy or the disarming
 * write's may use up the rest: both end with fail-nth 0.
 */
static int fi_taken_fd(int fd)
{
	char buf[16] = "";
	ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);

	fi_arm(fd, 0);
	return len > 0 && buf[0] == '0';
}

/*
 * The kernel log from now on (/dev/kmsg at its end), to find what a sweep
 * made the kernel print: -1 if there is no /dev/kmsg.
 */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Reports the sweep must not cause: splats, and allocation-failure warnings
 * (a stack dump each), which an allocation whose size or number the user
 * chooses must not print (__GFP_NOWARN).  "Huh VM_FAULT_OOM leaked out to
 * the #PF handler. Retrying PF" is not among them: a page fault that failed
 * an allocation is retried, with that line and no stack.
 */
static const char *const kmsg_trouble[] = {
	"Call Trace:", "BUG:", "WARNING:", "Oops", "KASAN", "UBSAN",
	"general protection", "sleeping function called",
	"possible circular locking", "possible recursive locking",
	"inconsistent lock state", "suspicious RCU usage",
	"unreferenced object", "allocation failure", "vmalloc error",
};

/* 0 if nothing in kmsg_trouble[] was logged since kmsg_open(). */
static int kmsg_clean(int fd, const char *path)
{
	char rec[1024];
	ssize_t len;
	size_t i;
	int bad = 0;

	if (fd < 0 || getenv("FI_VERBOSE")) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((len = read(fd, rec, sizeof(rec) - 1)) > 0 ||
	       (len < 0 && errno == EPIPE)) {
		if (len < 0)
			continue;	/* overwritten records */
		rec[len] = 0;
		for (i = 0; i < ARRAY_SIZE(kmsg_trouble); i++)
			if (strstr(rec, kmsg_trouble[i]))
				break;
		if (i < ARRAY_SIZE(kmsg_trouble)) {
			fprintf(stderr, "# path %s: kernel log: %s", path,
				strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
			bad = 1;
		}
	}
	close(fd);
	return bad ? -1 : 0;
}

/*
 * FI_VERBOSE: did the stack the last injected failure logged go through
 * the module (a frame "[protshm]")?  Reads the log up to its end.
 */
static int kmsg_in_module(int fd)
{
	char rec[1024];
	ssize_t len;
	int in = 0;

	while ((len = read(fd, rec, sizeof(rec) - 1)) > 0 ||
	       (len < 0 && errno == EPIPE)) {
		if (len < 0)
			continue;
		rec[len] = 0;
		in |= !!strstr(rec, "[protshm]");
	}
	return in;
}

/* ---- segments and mappings ------------------------------------------- */

static void fill(char *p, int npages, long psz, int salt)
{
	int i;

	for (i = 0; i < npages; i++)
		memset(p + i * psz, salt + i, psz);
}

/* Does [p, p + npages pages) hold what fill(salt) wrote? */
static int intact(const char *p, int npages, long psz, int salt)
{
	long i;

	for (i = 0; i < npages * psz; i++)
		if (p[i] != (char)(salt + i / psz))
			return 0;
	return 1;
}

static int base_intact(struct fi_ctx *c)
{
	return intact(c->base, NPAGES, c->psz, 'B');
}

static uint32_t nr_attached(int fd)
{
	struct protshm_info info;

	return ps_info(fd, &info, NULL) ? ~0U : info.nr_attachments;
}

/* A new segment in c->fd/c->name, mapped RW at c->p (filled unless blank). */
static int seg_new(struct fi_ctx *c, int blank)
{
	struct protshm_info info;

	c->fd = ps_new(ps_name(c->name, sizeof(c->name), "fi"),
		       NPAGES * c->psz);
	FI_CHECK(c, c->fd >= 0);
	FI_CHECK(c, !ps_info(c->fd, &info, NULL));
	c->id = info.id;
	c->p = map(c->fd, NPAGES * c->psz, PROT_READ | PROT_WRITE, 0);
	FI_CHECK(c, c->p != MAP_FAILED);
	if (!blank)
		fill(c->p, NPAGES, c->psz, 'S');
	return 0;
}

static void seg_del(struct fi_ctx *c)
{
	if (c->p && c->p != MAP_FAILED)
		munmap(c->p, NPAGES * c->psz);
	c->p = NULL;
	if (c->fd >= 0) {
		ps_unlink(c->fd);
		close(c->fd);
	}
	c->fd = -1;
}

/* A retry without injection of an op that failed must succeed. */
static int retry_ok(struct fi_ctx *c, const struct fi_path *p, int err)
{
	int again;

	if (!err)
		return 0;
	again = p->op(c);
	if (again)
		return FI_FAIL(c, "%s failed with %d, then %d without injection",
			       p->name, err, again);
	return 0;
}

/* ---- peers: children that hold a mapping of c->p and wait ----------- */

/* Block until the parent closes c->hold[1]; then reap @kid and exit. */
static void peer_wait(struct fi_ctx *c, pid_t kid)
{
	char ch;

	close(c->hold[1]);
	while (read(c->hold[0], &ch, 1) > 0)
		;
	if (kid > 0)
		waitpid(kid, NULL, 0);
	_exit(0);
}

/*
 * A child of the caller that inherits c->p (so it is attached), and with
 * @grandchild one of its own; c->pid and c->gpid, both running.
 */
static int peer_start(struct fi_ctx *c, int grandchild)
{
	int ready[2];
	pid_t gpid = 0;

	FI_CHECK(c, !pipe(c->hold) && !pipe(ready));
	c->pid = fork();
	FI_CHECK(c, c->pid >= 0);
	if (!c->pid) {
		if (grandchild) {
			gpid = fork();
			if (!gpid)
				peer_wait(c, 0);
		}
		if (write(ready[1], &gpid, sizeof(gpid)) != sizeof(gpid))
			_exit(1);
		peer_wait(c, gpid);
	}
	close(ready[1]);
	FI_CHECK(c, read(ready[0], &c->gpid, sizeof(c->gpid)) ==
		    sizeof(c->gpid));
	close(ready[0]);
	return 0;
}

static void peer_stop(struct fi_ctx *c)
{
	if (c->pid <= 0)
		return;
	close(c->hold[0]);
	close(c->hold[1]);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
}

/* The rights of process @pid's mapping at c->p, as "r--s". */
static const char *peer_perms(struct fi_ctx *c, pid_t pid, char perms[5])
{
	char maps[64];

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	return maps_perms_in(maps, c->p, perms);
}

/* ---- the sweep ------------------------------------------------------- */

static void fi_once(struct fi_ctx *c, const struct fi_path *p,
		    struct fi_res *r)
{
	int nth = open(FI_NTH, O_RDWR | O_CLOEXEC);

	memset(r, 0, sizeof(*r));
	c->fd = -1;
	c->p = NULL;
	if (nth < 0 || (p->setup && p->setup(c))) {
		r->bad = 1;
		goto out;
	}
	if (p->taken) {
		r->err = p->op(c);
		r->taken = p->taken(c);
	} else {
		fi_arm(nth, c->n);
		r->err = p->op(c);
		r->taken = fi_taken_fd(nth);
	}
	if (p->check && p->check(c, r->err))
		r->bad = 1;
	if (p->teardown)
		p->teardown(c);
out:
	if (nth >= 0)
		close(nth);
}

/* fi_once() in a new process, which then exits. */
static void fi_once_child(struct fi_ctx *c, const struct fi_path *p,
			  struct fi_res *r)
{
	struct fi_res *shared = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	r->bad = 1;
	if (shared == MAP_FAILED)
		return;
	pid = fork();
	if (!pid) {
		fi_once(c, p, shared);
		_exit(0);
	}
	if (pid > 0 && !wait_child(pid))
		*r = *shared;
	munmap(shared, sizeof(*r));
}

struct fi_count {
	int err;
	const char *what;
	unsigned int n;
};

/* Sweep @p; 0 when every run was clean. */
static int fi_sweep_runs(struct fi_ctx *c, const struct fi_path *p)
{
	struct fi_count counts[] = {
		{ ENOMEM, "ENOMEM", 0 }, { EFAULT, "EFAULT", 0 }, { 0, "retried", 0 },
		{ p->allow, p->allow ? strerror(p->allow) : NULL, 0 },
	};
	const char *only = getenv("FI_ONLY");
	int trace = !!getenv("FI_TRACE");
	int kmsg = getenv("FI_VERBOSE") ? kmsg_open() : -1;
	unsigned int i, in_module = 0;
	uint64_t t0 = now_ns();
	struct fi_res r;

	c->killed = 0;
	if (only && strcmp(only, p->name)) {
		printf("# path %s: not swept (FI_ONLY=%s)\n", p->name, only);
		return 0;
	}
	for (c->n = 1; c->n <= FI_MAX_POINTS; c->n++) {
		if (trace)
			fprintf(stderr, "# path %s: n=%u\n", p->name, c->n);
		if (p->in_child)
			fi_once_child(c, p, &r);
		else
			fi_once(c, p, &r);
		if (trace)
			fprintf(stderr, "# path %s: n=%u taken %d err %d\n",
				p->name, c->n, r.taken, r.err);
		if (kmsg >= 0 && kmsg_in_module(kmsg) && r.taken)
			in_module++;
		if (r.bad)
			return FI_FAIL(c, "path %s: a check failed", p->name);
		if (!r.taken)
			break;
		for (i = 0; i < 4; i++)
			if (counts[i].what && r.err == counts[i].err)
				break;
		if (i == 4)
			return FI_FAIL(c, "path %s: unexpected result %d (%s)",
				       p->name, r.err,
				       r.err >= FI_SIG ? "signal" :
				       strerror(r.err));
		counts[i].n++;
	}
	if (r.err)
		return FI_FAIL(c, "path %s: failed without injection: %d",
			       p->name, r.err);
	if (c->n > FI_MAX_POINTS)
		return FI_FAIL(c, "path %s: more than %u points", p->name,
			       FI_MAX_POINTS);
	printf("# path %s: %u injection points, all taken (ENOMEM x%u, EFAULT x%u, retried x%u",
	       p->name, c->n - 1, counts[0].n, counts[1].n, counts[2].n);
	if (counts[3].n)
		printf(", %s x%u", counts[3].what, counts[3].n);
	if (c->killed)
		printf(", of them child killed x%u", c->killed);
	if (kmsg >= 0) {
		printf("; in the module x%u", in_module);
		close(kmsg);
	}
	printf(")\n# path %s: swept in %.2f s\n", p->name,
	       (now_ns() - t0) / 1e9);
	fflush(stdout);
	return 0;
}

/* ... and the kernel logged no trouble meanwhile. */
static int fi_sweep(struct fi_ctx *c, const struct fi_path *p)
{
	int kmsg = kmsg_open();
	int ret = fi_sweep_runs(c, p);

	if (kmsg_clean(kmsg, p->name))
		return FI_FAIL(c, "path %s: the kernel logged trouble", p->name);
	return ret;
}

/* ---- ioctl paths ----------------------------------------------------- */

static int op_version(struct fi_ctx *c)
{
	return ioctl(c->base_fd, PROTSHM_IOC_VERSION) == PROTSHM_ABI_VERSION ?
	       0 : errno;
}

static int new_fd(struct fi_ctx *c)
{
	c->fd = ps_open();
	FI_CHECK(c, c->fd >= 0);
	return 0;
}

static void close_fd(struct fi_ctx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int setup_create(struct fi_ctx *c)
{
	ps_name(c->name, sizeof(c->name), "fic");
	return new_fd(c);
}

static int op_create(struct fi_ctx *c)
{
	return err_of(ps_create(c->fd, c->name, (uint64_t)c->npages * c->psz,
				0600, PROTSHM_PROT_RW));
}

static const struct fi_path path_create;

static int check_create(struct fi_ctx *c, int err)
{
	struct protshm_info info;
	int fd;

	if (err) {
		/* nothing of it is left: the name is free, the file unbound */
		fd = ps_open();
		FI_CHECK(c, fd >= 0);
		FI_CHECK(c, ps_attach(fd, c->name, PROTSHM_PROT_READ) &&
			    errno == ENOENT);
		close(fd);
		FI_CHECK(c, ps_info(c->fd, &info, NULL) && errno == EBADFD);
	}
	if (retry_ok(c, &path_create, err))
		return -1;
	FI_CHECK(c, !ps_info(c->fd, &info, NULL));
	FI_CHECK(c, info.nr_attachments == 1 &&
		    info.seg_size == (uint64_t)c->npages * c->psz &&
		    info.ceiling == PROTSHM_PROT_RW && !info.resident);
	return 0;
}

static void teardown_create(struct fi_ctx *c)
{
	ps_unlink(c->fd);
	close_fd(c);
}

static const struct fi_path path_create = {
	.name = "create",
	.setup = setup_create,
	.op = op_create,
	.check = check_create,
	.teardown = teardown_create,
};

/* In a child not attached to aux: the first ATTACH makes an attachment. */
static int op_attach(struct fi_ctx *c)
{
	return err_of(ps_attach(c->fd, c->aux_name, PROTSHM_PROT_RW));
}

static const struct fi_path path_attach;

static int check_attach(struct fi_ctx *c, int err)
{
	char *p;

	if (err) {
		FI_CHECK(c, nr_attached(c->aux_fd) == 1);
		if (retry_ok(c, &path_attach, err))
			return -1;
	}
	FI_CHECK(c, nr_attached(c->fd) == 2);
	FI_CHECK(c, ceiling_of(c->fd) == PROTSHM_PROT_RW);
	p = map(c->fd, NPAGES * c->psz, PROT_READ, 0);
	FI_CHECK(c, p != MAP_FAILED);
	FI_CHECK(c, intact(p, NPAGES, c->psz, 'A'));
	munmap(p, NPAGES * c->psz);
	return 0;
}

static const struct fi_path path_attach = {
	.name = "attach",
	.setup = new_fd,
	.op = op_attach,
	.check = check_attach,
	.teardown = close_fd,
	.in_child = 1,
};

static char info_name[PROTSHM_NAME_MAX];
static struct protshm_info info_out;

static int op_info(struct fi_ctx *c)
{
	return err_of(ps_info(c->base_fd, &info_out, info_name));
}

static int check_info(struct fi_ctx *c, int err)
{
	if (err)
		return 0;
	FI_CHECK(c, info_out.id == c->base_id && !strcmp(info_name, c->base_name));
	FI_CHECK(c, info_out.nr_attachments == 1 &&
		    info_out.ceiling == PROTSHM_PROT_RW &&
		    info_out.resident == NPAGES * c->psz);
	return 0;
}

/* RESTRICT: after a failure, what is done may be partial, never more. */
static int restricted(struct fi_ctx *c, pid_t pid)
{
	char perms[5];

	FI_CHECK(c, !strcmp(peer_perms(c, pid, perms), "r--s"));
	return 0;
}

static int seg_new_filled(struct fi_ctx *c)
{
	return seg_new(c, 0);
}

static int op_restrict_self(struct fi_ctx *c)
{
	return err_of(ps_restrict(c->fd, 0, PROTSHM_PROT_READ, 0));
}

static const struct fi_path path_restrict_self;

static int check_restrict_self(struct fi_ctx *c, int err)
{
	uint32_t ceil = ceiling_of(c->fd);

	FI_CHECK(c, ceil == PROTSHM_PROT_READ ||
		    (err && ceil == PROTSHM_PROT_RW));
	if (retry_ok(c, &path_restrict_self, err))
		return -1;
	FI_CHECK(c, ceiling_of(c->fd) == PROTSHM_PROT_READ);
	if (restricted(c, getpid()))
		return -1;
	FI_CHECK(c, probe_accerr(probe_write(c->p, 1), c->p));
	FI_CHECK(c, intact(c->p, NPAGES, c->psz, 'S'));
	return 0;
}

static const struct fi_path path_restrict_self = {
	.name = "restrict-self",
	.setup = seg_new_filled,
	.op = op_restrict_self,
	.check = check_restrict_self,
	.teardown = seg_del,
};

static int setup_peer(struct fi_ctx *c, int grandchild, int pidfd)
{
	if (seg_new(c, 0) || peer_start(c, grandchild))
		return -1;
	c->pidfd = -1;
	if (pidfd) {
		c->pidfd = syscall(SYS_pidfd_open, c->pid, 0);
		FI_CHECK(c, c->pidfd >= 0);
	}
	return 0;
}

static int setup_peer_pid(struct fi_ctx *c)
{
	return setup_peer(c, 0, 0);
}

static int setup_peer_tree(struct fi_ctx *c)
{
	return setup_peer(c, 1, 0);
}

static int setup_peer_pidfd(struct fi_ctx *c)
{
	return setup_peer(c, 0, 1);
}

static void teardown_peer(struct fi_ctx *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	peer_stop(c);
	seg_del(c);
}

static int op_restrict_peer(struct fi_ctx *c)
{
	return err_of(ps_restrict(c->fd, c->pid, PROTSHM_PROT_READ, 0));
}

static int op_restrict_tree(struct fi_ctx *c)
{
	return err_of(ps_restrict(c->fd, c->pid, PROTSHM_PROT_READ,
				  PROTSHM_RESTRICT_DESCENDANTS));
}

static int op_restrict_pidfd(struct fi_ctx *c)
{
	return err_of(ps_restrict(c->fd, c->pidfd, PROTSHM_PROT_READ,
				  PROTSHM_RESTRICT_PIDFD));
}

/* The peers are lowered, the caller and the data are not touched. */
static int peers_lowered(struct fi_ctx *c)
{
	char perms[5];

	if (restricted(c, c->pid) || (c->gpid && restricted(c, c->gpid)))
		return -1;
	FI_CHECK(c, !strcmp(maps_perms(c->p, perms), "rw-s"));
	FI_CHECK(c, ceiling_of(c->fd) == PROTSHM_PROT_RW);
	FI_CHECK(c, intact(c->p, NPAGES, c->psz, 'S'));
	return 0;
}

static const struct fi_path path_restrict_peer, path_restrict_tree,
	path_restrict_pidfd;

static int check_restrict_peer(struct fi_ctx *c, int err)
{
	return retry_ok(c, &path_restrict_peer, err) ?: peers_lowered(c);
}

static int check_restrict_tree(struct fi_ctx *c, int err)
{
	return retry_ok(c, &path_restrict_tree, err) ?: peers_lowered(c);
}

static int check_restrict_pidfd(struct fi_ctx *c, int err)
{
	return retry_ok(c, &path_restrict_pidfd, err) ?: peers_lowered(c);
}

static const struct fi_path path_restrict_peer = {
	.name = "restrict-peer",
	.setup = setup_peer_pid,
	.op = op_restrict_peer,
	.check = check_restrict_peer,
	.teardown = teardown_peer,
};

static const struct fi_path path_restrict_tree = {
	.name = "restrict-descendants",
	.setup = setup_peer_tree,
	.op = op_restrict_tree,
	.check = check_restrict_tree,
	.teardown = teardown_peer,
};

static const struct fi_path path_restrict_pidfd = {
	.name = "restrict-pidfd",
	.setup = setup_peer_pidfd,
	.op = op_restrict_pidfd,
	.check = check_restrict_pidfd,
	.teardown = teardown_peer,
};

/* A second mapping of base, 4 pages from page 2, at c->p. */
static int map_base(struct fi_ctx *c)
{
	c->p = map(c->base_fd, 4 * c->psz, PROT_READ | PROT_WRITE,
		   2 * c->psz);
	FI_CHECK(c, c->p != MAP_FAILED);
	return 0;
}

static void unmap_base(struct fi_ctx *c)
{
	if (c->p && c->p != MAP_FAILED)
		munmap(c->p, 4 * c->psz);
	c->p = NULL;
}

/* Do the 4 pages at @p show base's pages 2-5? */
static int shows_base(struct fi_ctx *c, const char *p)
{
	return !memcmp(p, c->base + 2 * c->psz, 4 * c->psz);
}

static int op_restrict_mapping(struct fi_ctx *c)
{
	return err_of(ps_restrict_mapping(c->base_fd, c->p, 4 * c->psz,
					  PROTSHM_PROT_READ));
}

static const struct fi_path path_restrict_mapping;

static int check_restrict_mapping(struct fi_ctx *c, int err)
{
	char perms[5];

	if (retry_ok(c, &path_restrict_mapping, err))
		return -1;
	FI_CHECK(c, !strcmp(maps_perms(c->p, perms), "r--s"));
	FI_CHECK(c, !strcmp(maps_perms(c->base, perms), "rw-s"));
	FI_CHECK(c, shows_base(c, c->p) && base_intact(c));
	return 0;
}

static const struct fi_path path_restrict_mapping = {
	.name = "restrict-mapping",
	.setup = map_base,
	.op = op_restrict_mapping,
	.check = check_restrict_mapping,
	.teardown = unmap_base,
};

static int op_unlink(struct fi_ctx *c)
{
	return err_of(ps_unlink(c->fd));
}

static int check_unlink(struct fi_ctx *c, int err)
{
	struct protshm_info info;

	FI_CHECK(c, !ps_info(c->fd, &info, NULL));
	FI_CHECK(c, !!(info.seg_flags & PROTSHM_INFO_UNLINKED) == !err);
	if (err)
		FI_CHECK(c, !ps_unlink(c->fd));
	FI_CHECK(c, ps_unlink(c->fd) && errno == ENOENT);
	return 0;
}

static const struct fi_path path_unlink = {
	.name = "unlink",
	.setup = seg_new_filled,
	.op = op_unlink,
	.check = check_unlink,
	.teardown = seg_del,
};

/* ---- open and release ------------------------------------------------ */

static int op_open(struct fi_ctx *c)
{
	c->fd = ps_open();
	return c->fd < 0 ? errno : 0;
}

static int check_open(struct fi_ctx *c, int err)
{
	if (err)
		FI_CHECK(c, !op_open(c));
	FI_CHECK(c, ioctl(c->fd, PROTSHM_IOC_VERSION) == PROTSHM_ABI_VERSION);
	return 0;
}

static int setup_release(struct fi_ctx *c)
{
	if (new_fd(c))
		return -1;
	FI_CHECK(c, !ps_attach(c->fd, c->base_name, PROTSHM_PROT_RW));
	return 0;
}

static int op_close(struct fi_ctx *c)
{
	int ret = close(c->fd);

	c->fd = -1;
	return ret ? errno : 0;
}

static int check_release(struct fi_ctx *c, int err)
{
	FI_CHECK(c, nr_attached(c->base_fd) == 1 && base_intact(c));
	return 0;
}

/* The last file of an unlinked segment: release frees it. */
static int setup_release_last(struct fi_ctx *c)
{
	if (seg_new(c, 0))
		return -1;
	munmap(c->p, NPAGES * c->psz);
	c->p = NULL;
	FI_CHECK(c, !ps_unlink(c->fd));
	return nlc_open(&c->nl) ? -1 : 0;
}

static int check_release_last(struct fi_ctx *c, int err)
{
	int ret = seg_get(&c->nl, NULL, c->id, &c->seg);

	nlc_close(&c->nl);
	FI_CHECK(c, ret == -ENOENT);
	return 0;
}

/* ---- mm paths -------------------------------------------------------- */

static int op_mmap(struct fi_ctx *c)
{
	c->p = map(c->base_fd, 4 * c->psz, PROT_READ | PROT_WRITE,
		   2 * c->psz);
	return c->p == MAP_FAILED ? errno : 0;
}

static int check_mmap(struct fi_ctx *c, int err)
{
	if (err)
		FI_CHECK(c, !op_mmap(c));
	FI_CHECK(c, shows_base(c, c->p) && base_intact(c));
	return 0;
}

static int setup_mremap(struct fi_ctx *c)
{
	if (map_base(c))
		return -1;
	c->dst = mmap(NULL, 4 * c->psz, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FI_CHECK(c, c->dst != MAP_FAILED);
	return 0;
}

static int op_mremap(struct fi_ctx *c)
{
	void *to = mremap(c->p, 4 * c->psz, 4 * c->psz,
			  MREMAP_MAYMOVE | MREMAP_FIXED, c->dst);

	return to == MAP_FAILED ? errno : 0;
}

static int check_mremap(struct fi_ctx *c, int err)
{
	char perms[5];

	if (err) {
		FI_CHECK(c, !strcmp(maps_perms(c->p, perms), "rw-s"));
		FI_CHECK(c, shows_base(c, c->p));
		FI_CHECK(c, !op_mremap(c));
	}
	c->p = c->dst;
	FI_CHECK(c, !strcmp(maps_perms(c->p, perms), "rw-s"));
	FI_CHECK(c, shows_base(c, c->p) && base_intact(c));
	return 0;
}

static int op_mprotect(struct fi_ctx *c)
{
	return err_of(mprotect(c->p + c->psz, c->psz, PROT_READ));
}

static int check_mprotect(struct fi_ctx *c, int err)
{
	char perms[5];

	if (err)
		FI_CHECK(c, !op_mprotect(c));
	FI_CHECK(c, !strcmp(maps_perms(c->p, perms), "rw-s"));
	FI_CHECK(c, !strcmp(maps_perms(c->p + c->psz, perms), "r--s"));
	FI_CHECK(c, !strcmp(maps_perms(c->p + 2 * c->psz, perms), "rw-s"));
	FI_CHECK(c, shows_base(c, c->p) && base_intact(c));
	return 0;
}

static int op_munmap(struct fi_ctx *c)
{
	return err_of(munmap(c->p + c->psz, c->psz));
}

static int check_munmap(struct fi_ctx *c, int err)
{
	char perms[5];

	if (err) {
		FI_CHECK(c, shows_base(c, c->p));
		FI_CHECK(c, !op_munmap(c));
	}
	FI_CHECK(c, probe_read(c->p + c->psz) == SIGSEGV &&
		    probe_code == SEGV_MAPERR);
	FI_CHECK(c, !strcmp(maps_perms(c->p + 2 * c->psz, perms), "rw-s"));
	FI_CHECK(c, !memcmp(c->p, c->base + 2 * c->psz, c->psz));
	FI_CHECK(c, !memcmp(c->p + 2 * c->psz, c->base + 4 * c->psz,
			    2 * c->psz));
	return 0;
}

/* First touch of a page; the handler is installed by the setup. */
static sigjmp_buf touch_env;

static void touch_handler(int sig, siginfo_t *si, void *uc)
{
	siglongjmp(touch_env, sig);
}

static int setup_touch(struct fi_ctx *c)
{
	struct sigaction sa = { .sa_sigaction = touch_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER };

	FI_CHECK(c, !sigaction(SIGSEGV, &sa, NULL) &&
		    !sigaction(SIGBUS, &sa, NULL));
	return seg_new(c, 1);
}

static int touch(volatile char *p, int write)
{
	int sig = sigsetjmp(touch_env, 0);

	if (!sig) {
		if (write)
			*p = 'W';
		else
			(void)*p;
	}
	return sig ? FI_SIG + sig : 0;
}

static int op_fault_read(struct fi_ctx *c)
{
	return touch(c->p + c->psz, 0);
}

static int op_fault_write(struct fi_ctx *c)
{
	return touch(c->p + c->psz, 1);
}

static int check_touched(struct fi_ctx *c, char want)
{
	struct protshm_info info;
	long i;

	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	FI_CHECK(c, c->p[c->psz] == want);
	for (i = 1; i < NPAGES * c->psz; i++)
		FI_CHECK(c, i == c->psz || !c->p[i]);
	FI_CHECK(c, !ps_info(c->fd, &info, NULL));
	FI_CHECK(c, info.resident >= (uint64_t)c->psz &&
		    info.resident <= NPAGES * c->psz);
	return 0;
}

static int check_fault_read(struct fi_ctx *c, int err)
{
	return check_touched(c, 0);
}

static int check_fault_write(struct fi_ctx *c, int err)
{
	return check_touched(c, 'W');
}

/* ---- fork and exit --------------------------------------------------- */

/* fork(); the child checks what it inherited and exits 0 or 1. */
static int op_fork(struct fi_ctx *c)
{
	c->pid = fork();
	if (!c->pid)
		_exit(base_intact(c) && nr_attached(c->base_fd) >= 2 ? 0 : 1);
	return c->pid < 0 ? errno : 0;
}

static int check_fork(struct fi_ctx *c, int err)
{
	if (err)
		FI_CHECK(c, !op_fork(c));
	FI_CHECK(c, wait_child(c->pid) == 0);
	FI_CHECK(c, nr_attached(c->base_fd) == 1 && base_intact(c));
	return 0;
}

/*
 * The caller holds a lowered ceiling on aux (no mapping of it): every fork
 * is recorded, and the child must be bound by READ from its first
 * instruction.  A record that cannot be allocated kills the child with
 * SIGKILL (documented).
 */
static int op_fork_record(struct fi_ctx *c)
{
	c->pid = fork();
	if (!c->pid)
		_exit(ceiling_of(c->aux_fd) == PROTSHM_PROT_READ &&
		      map(c->aux_fd, c->psz, PROT_READ | PROT_WRITE, 0) ==
		      MAP_FAILED && errno == EACCES ? 0 : 1);
	return c->pid < 0 ? errno : 0;
}

static int check_fork_record(struct fi_ctx *c, int err)
{
	int status;

	if (err)
		FI_CHECK(c, !op_fork_record(c));
	status = wait_child(c->pid);
	if (status == 128 + SIGKILL && !err) {
		c->killed++;
		FI_CHECK(c, !op_fork_record(c));
		status = wait_child(c->pid);
	}
	FI_CHECK(c, status == 0);
	FI_CHECK(c, ceiling_of(c->aux_fd) == PROTSHM_PROT_READ);
	return 0;
}

/*
 * Exit of a process with its own file and mapping of base: the child arms
 * its own fail-nth and exits; the parent reads the zombie's fail-nth.
 */
static int setup_exit(struct fi_ctx *c)
{
	char path[64], ch = 0;
	int go[2], ready[2];

	FI_CHECK(c, !pipe(go) && !pipe(ready));
	c->pid = fork();
	FI_CHECK(c, c->pid >= 0);
	if (!c->pid) {
		int nth = open(FI_NTH, O_RDWR), fd = ps_open();
		char *p;

		if (nth < 0 || fd < 0 ||
		    ps_attach(fd, c->base_name, PROTSHM_PROT_RW))
			_exit(1);
		p = map(fd, c->psz, PROT_READ | PROT_WRITE, 7 * c->psz);
		if (p == MAP_FAILED)
			_exit(1);
		p[0] = 'E';
		if (write(ready[1], &ch, 1) != 1 || read(go[0], &ch, 1) != 1)
			_exit(1);
		fi_arm(nth, c->n);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	FI_CHECK(c, read(ready[0], &ch, 1) == 1);
	close(ready[0]);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/fail-nth", c->pid,
		 c->pid);
	c->nth_peer = open(path, O_RDONLY);
	FI_CHECK(c, c->nth_peer >= 0);
	FI_CHECK(c, write(go[1], &ch, 1) == 1);
	close(go[1]);
	return 0;
}

static int op_exit(struct fi_ctx *c)
{
	siginfo_t si;

	return err_of(waitid(P_PID, c->pid, &si, WEXITED | WNOWAIT));
}

static int taken_exit(struct fi_ctx *c)
{
	char buf[16] = "";
	ssize_t len = pread(c->nth_peer, buf, sizeof(buf) - 1, 0);

	close(c->nth_peer);
	return len > 0 && buf[0] == '0';
}

static int check_exit(struct fi_ctx *c, int err)
{
	FI_CHECK(c, wait_child(c->pid) == 0);
	FI_CHECK(c, c->base[7 * c->psz] == 'E');
	c->base[7 * c->psz] = 'B' + 7;
	FI_CHECK(c, base_intact(c) && nr_attached(c->base_fd) == 1);
	return 0;
}

/* ---- netlink --------------------------------------------------------- */

/* A new netlink socket per run: a failed dump may leave one unusable. */
static int setup_nl(struct fi_ctx *c)
{
	struct timeval tv = { .tv_sec = 10 };

	FI_CHECK(c, !nlc_open(&c->nl));
	FI_CHECK(c, !setsockopt(mnl_socket_get_fd(c->nl.sock), SOL_SOCKET,
				SO_RCVTIMEO, &tv, sizeof(tv)));
	return 0;
}

static void teardown_nl(struct fi_ctx *c)
{
	nlc_close(&c->nl);
}

/* Run @op again, without injection, on a new socket. */
static int nl_again(struct fi_ctx *c, int (*op)(struct fi_ctx *c))
{
	int err;

	nlc_close(&c->nl);
	if (setup_nl(c))
		return -1;
	err = op(c);
	if (err)
		return FI_FAIL(c, "netlink op again: %d", err);
	return 0;
}

static int op_nl_seg_get(struct fi_ctx *c)
{
	return -seg_get(&c->nl, c->base_name, 0, &c->seg);
}

static int check_nl_seg_get(struct fi_ctx *c, int err)
{
	if (err && nl_again(c, op_nl_seg_get))
		return -1;
	FI_CHECK(c, c->seg.id == c->base_id && c->seg.nr_attach == 1 &&
		    c->seg.resident == NPAGES * c->psz);
	return 0;
}

static struct seg_dump segs;

static int op_nl_seg_dump(struct fi_ctx *c)
{
	return -seg_dump(&c->nl, &segs, c->base_name);
}

static int check_nl_seg_dump(struct fi_ctx *c, int err)
{
	if (err && nl_again(c, op_nl_seg_dump))
		return -1;
	FI_CHECK(c, segs.n == 1 && segs.s[0].id == c->base_id &&
		    segs.s[0].nr_attach == 1);
	return 0;
}

/* ATTACH_GET do of the caller's attachment to base, into c->l. */
static int op_nl_att_get(struct fi_ctx *c)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ps_req(&c->nl, buf, PROTSHM_CMD_ATTACH_GET, 0);

	memset(c->l, 0, sizeof(*c->l));
	mnl_attr_put_strz(nlh, PROTSHM_A_SEG_NAME, c->base_name);
	mnl_attr_put_u32(nlh, PROTSHM_A_PID, getpid());
	return -nl_run(&c->nl, nlh, att_list_cb, c->l);
}

static int op_nl_att_dump(struct fi_ctx *c)
{
	return -att_dump(&c->nl, c->base_name, 0, c->l);
}

/* One attachment, the caller's, RW, with its c->nvmas mappings of base. */
static int att_list_ok(struct fi_ctx *c)
{
	struct att_rec *t = &c->l->a[0];

	FI_CHECK(c, c->l->n == 1 && t->has_pid && t->pid == (uint32_t)getpid());
	FI_CHECK(c, t->ceiling == PROTSHM_PROT_RW && t->nvma == c->nvmas &&
		    vma_find(t, c->base));
	return 0;
}

static int check_nl_att_get(struct fi_ctx *c, int err)
{
	if (err && nl_again(c, op_nl_att_get))
		return -1;
	return att_list_ok(c);
}

static int check_nl_att_dump(struct fi_ctx *c, int err)
{
	if (err && nl_again(c, op_nl_att_dump))
		return -1;
	return att_list_ok(c);
}

static int setup_nl_peer(struct fi_ctx *c)
{
	return setup_peer_pid(c) ?: setup_nl(c);
}

static int setup_nl_peer_pidfd(struct fi_ctx *c)
{
	return setup_peer_pidfd(c) ?: setup_nl(c);
}

static void teardown_nl_peer(struct fi_ctx *c)
{
	teardown_nl(c);
	teardown_peer(c);
}

static int op_nl_restrict(struct fi_ctx *c)
{
	return -nl_restrict(&c->nl, c->name, c->pid, PROTSHM_PROT_READ, 0);
}

static int op_nl_restrict_pidfd(struct fi_ctx *c)
{
	return -nl_restrict_pidfd(&c->nl, c->name, c->pidfd, 0,
				  PROTSHM_PROT_READ);
}

static int check_nl_restrict(struct fi_ctx *c, int err)
{
	if (err && nl_again(c, op_nl_restrict))
		return -1;
	return peers_lowered(c);
}

static int check_nl_restrict_pidfd(struct fi_ctx *c, int err)
{
	if (err && nl_again(c, op_nl_restrict_pidfd))
		return -1;
	return peers_lowered(c);
}

/* ---- the tests ------------------------------------------------------- */

FIXTURE(fi) {
	struct fi_ctx c;
};

FIXTURE_SETUP(fi)
{
	struct fi_ctx *c = &self->c;
	struct protshm_info info;
	char why[512];
	const char *skip;
	char *p;

	c->base_fd = c->aux_fd = -1;
	c->npages = NPAGES;
	c->nvmas = 1;
	SKIP_WITHOUT_DEVICE();
	skip = fi_configure(why, sizeof(why));
	if (skip)
		SKIP(return, "%s", skip);
	c->rseq_on = fi_rseq_off(c->rseq_why, sizeof(c->rseq_why));
	c->psz = page_size();
	c->l = calloc(1, sizeof(*c->l));
	ASSERT_NE(NULL, c->l);
	memset(c->l, 0, sizeof(*c->l));	/* no page faults in the sweep */
	ps_name(c->base_name, sizeof(c->base_name), "fib");
	c->base_fd = ps_new(c->base_name, NPAGES * c->psz);
	ASSERT_LE(0, c->base_fd);
	ASSERT_EQ(0, ps_info(c->base_fd, &info, NULL));
	c->base_id = info.id;
	c->base = map(c->base_fd, NPAGES * c->psz, PROT_READ | PROT_WRITE, 0);
	ASSERT_NE(MAP_FAILED, c->base);
	fill(c->base, NPAGES, c->psz, 'B');
	ps_name(c->aux_name, sizeof(c->aux_name), "fia");
	c->aux_fd = ps_new(c->aux_name, NPAGES * c->psz);
	ASSERT_LE(0, c->aux_fd);
	p = map(c->aux_fd, NPAGES * c->psz, PROT_READ | PROT_WRITE, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill(p, NPAGES, c->psz, 'A');
	munmap(p, NPAGES * c->psz);
}

FIXTURE_TEARDOWN(fi)
{
	struct fi_ctx *c = &self->c;

	if (c->base_fd >= 0) {
		munmap(c->base, NPAGES * c->psz);
		ps_unlink(c->base_fd);
		close(c->base_fd);
	}
	if (c->aux_fd >= 0) {
		ps_unlink(c->aux_fd);
		close(c->aux_fd);
	}
	free(c->l);
}

#define FI_TEST(test, path)						\
	TEST_F_TIMEOUT(fi, test, PROTSHM_TIMEOUT)			\
	{								\
		RETURN_IF_SKIPPED();					\
		ASSERT_EQ(0, fi_sweep(&self->c, &(path)));		\
		ASSERT_TRUE(base_intact(&self->c));			\
	}

static const struct fi_path path_version = {
	.name = "version",
	.setup = NULL,
	.op = op_version,
};

FI_TEST(version, path_version)
FI_TEST(create, path_create)

static const struct fi_path path_create_large = {
	.name = "create-large",
	.setup = setup_create,
	.op = op_create,
	.check = check_create,
	.teardown = teardown_create,
};

/*
 * 1024 pages: the page array (8 KiB) is a kvcalloc() that falls back to
 * vmalloc when kmalloc fails.
 */
TEST_F_TIMEOUT(fi, create_large, PROTSHM_TIMEOUT)
{
	RETURN_IF_SKIPPED();
	self->c.npages = 1024;
	ASSERT_EQ(0, fi_sweep(&self->c, &path_create_large));
}

FI_TEST(attach, path_attach)

static const struct fi_path path_info = {
	.name = "info",
	.setup = NULL,
	.op = op_info,
	.check = check_info,
};

FI_TEST(info, path_info)
FI_TEST(restrict_self, path_restrict_self)
FI_TEST(restrict_peer, path_restrict_peer)
FI_TEST(restrict_descendants, path_restrict_tree)
FI_TEST(restrict_pidfd, path_restrict_pidfd)
FI_TEST(restrict_mapping, path_restrict_mapping)
FI_TEST(unlink, path_unlink)

static const struct fi_path path_open = {
	.name = "open",
	.setup = NULL,
	.op = op_open,
	.check = check_open,
	.teardown = close_fd,
};

FI_TEST(open, path_open)

static const struct fi_path path_release = {
	.name = "release",
	.setup = setup_release,
	.op = op_close,
	.check = check_release,
	.teardown = close_fd,
};

FI_TEST(release, path_release)

static const struct fi_path path_release_last = {
	.name = "release-last",
	.setup = setup_release_last,
	.op = op_close,
	.check = check_release_last,
	.teardown = close_fd,
};

FI_TEST(release_last, path_release_last)

static const struct fi_path path_mmap = {
	.name = "mmap",
	.setup = NULL,
	.op = op_mmap,
	.check = check_mmap,
	.teardown = unmap_base,
};

FI_TEST(mmap, path_mmap)

static void teardown_mremap(struct fi_ctx *c)
{
	munmap(c->dst, 4 * c->psz);
	if (c->p != c->dst)
		unmap_base(c);
}

static const struct fi_path path_mremap = {
	.name = "mremap",
	.setup = setup_mremap,
	.op = op_mremap,
	.check = check_mremap,
	.teardown = teardown_mremap,
};

FI_TEST(mremap, path_mremap)

static const struct fi_path path_mprotect = {
	.name = "mprotect",
	.setup = map_base,
	.op = op_mprotect,
	.check = check_mprotect,
	.teardown = unmap_base,
};

FI_TEST(mprotect, path_mprotect)

static const struct fi_path path_munmap = {
	.name = "munmap",
	.setup = map_base,
	.op = op_munmap,
	.check = check_munmap,
	.teardown = unmap_base,
};

FI_TEST(munmap, path_munmap)

static const struct fi_path path_fault_read = {
	.name = "fault-read",
	.setup = setup_touch,
	.op = op_fault_read,
	.check = check_fault_read,
	.teardown = seg_del,
};

FI_TEST(fault_read, path_fault_read)

static const struct fi_path path_fault_write = {
	.name = "fault-write",
	.setup = setup_touch,
	.op = op_fault_write,
	.check = check_fault_write,
	.teardown = seg_del,
};

FI_TEST(fault_write, path_fault_write)

static const struct fi_path path_fork = {
	.name = "fork",
	.setup = NULL,
	.op = op_fork,
	.check = check_fork,
	.allow = EAGAIN,
};

/*
 * A fork has some 250 points (the caller's whole address space is copied):
 * each of the two fork sweeps takes 20-40 s on the debug kernel under TCG,
 * which would nearly double this program's time in the ordinary suite.
 * They run with FI_ALL=1 (make fuzz), outside it.
 */
#define FI_SKIP_SLOW() do {						\
	if (!getenv("FI_ALL"))						\
		SKIP(return, "fork sweeps take 20-40 s each on the debug kernel: run with FI_ALL=1"); \
	if (self->c.rseq_on)	/* see fi_rseq_off() */			\
		SKIP(return, "%s", self->c.rseq_on);			\
} while (0)

TEST_F_TIMEOUT(fi, fork, PROTSHM_TIMEOUT)
{
	RETURN_IF_SKIPPED();
	FI_SKIP_SLOW();
	ASSERT_EQ(0, fi_sweep(&self->c, &path_fork));
	ASSERT_TRUE(base_intact(&self->c));
}

static const struct fi_path path_fork_record = {
	.name = "fork-record",
	.setup = NULL,
	.op = op_fork_record,
	.check = check_fork_record,
	.allow = EAGAIN,
};

TEST_F_TIMEOUT(fi, fork_record, PROTSHM_TIMEOUT)
{
	RETURN_IF_SKIPPED();
	FI_SKIP_SLOW();
	ASSERT_EQ(0, ps_restrict(self->c.aux_fd, 0, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(0, fi_sweep(&self->c, &path_fork_record));
}

static const struct fi_path path_exit = {
	.name = "exit",
	.setup = setup_exit,
	.op = op_exit,
	.check = check_exit,
	.taken = taken_exit,
};

FI_TEST(exit, path_exit)

static const struct fi_path path_nl_seg_get = {
	.name = "nl-seg-get",
	.setup = setup_nl,
	.op = op_nl_seg_get,
	.check = check_nl_seg_get,
	.teardown = teardown_nl,
	.allow = ENOBUFS,
};

FI_TEST(nl_seg_get, path_nl_seg_get)

static const struct fi_path path_nl_seg_dump = {
	.name = "nl-seg-dump",
	.setup = setup_nl,
	.op = op_nl_seg_dump,
	.check = check_nl_seg_dump,
	.teardown = teardown_nl,
	.allow = ENOBUFS,
};

FI_TEST(nl_seg_dump, path_nl_seg_dump)

static const struct fi_path path_nl_att_get = {
	.name = "nl-attach-get",
	.setup = setup_nl,
	.op = op_nl_att_get,
	.check = check_nl_att_get,
	.teardown = teardown_nl,
	.allow = ENOBUFS,
};

FI_TEST(nl_attach_get, path_nl_att_get)

static const struct fi_path path_nl_att_dump = {
	.name = "nl-attach-dump",
	.setup = setup_nl,
	.op = op_nl_att_dump,
	.check = check_nl_att_dump,
	.teardown = teardown_nl,
	.allow = ENOBUFS,
};

FI_TEST(nl_attach_dump, path_nl_att_dump)

/*
 * With 128 more mappings of base, the copy of the caller's mappings (40
 * bytes each) is a kvmalloc() above a page, which falls back to vmalloc.
 */
#define NL_EXTRA_VMAS	128

static const struct fi_path path_nl_att_dump_many = {
	.name = "nl-attach-dump-many",
	.setup = setup_nl,
	.op = op_nl_att_dump,
	.check = check_nl_att_dump,
	.teardown = teardown_nl,
	.allow = ENOBUFS,
};

TEST_F_TIMEOUT(fi, nl_attach_dump_many, PROTSHM_TIMEOUT)
{
	struct fi_ctx *c = &self->c;
	char *extra[NL_EXTRA_VMAS];
	int i;

	RETURN_IF_SKIPPED();
	for (i = 0; i < NL_EXTRA_VMAS; i++) {
		extra[i] = map(c->base_fd, c->psz, PROT_READ, 0);
		ASSERT_NE(MAP_FAILED, extra[i]);
	}
	c->nvmas = 1 + NL_EXTRA_VMAS;
	ASSERT_EQ(0, fi_sweep(c, &path_nl_att_dump_many));
	for (i = 0; i < NL_EXTRA_VMAS; i++)
		munmap(extra[i], c->psz);
}

static const struct fi_path path_nl_restrict = {
	.name = "nl-restrict-pid",
	.setup = setup_nl_peer,
	.op = op_nl_restrict,
	.check = check_nl_restrict,
	.teardown = teardown_nl_peer,
	.allow = ENOBUFS,
};

FI_TEST(nl_restrict_pid, path_nl_restrict)

static const struct fi_path path_nl_restrict_pidfd = {
	.name = "nl-restrict-pidfd",
	.setup = setup_nl_peer_pidfd,
	.op = op_nl_restrict_pidfd,
	.check = check_nl_restrict_pidfd,
	.teardown = teardown_nl_peer,
	.allow = ENOBUFS,
};

FI_TEST(nl_restrict_pidfd, path_nl_restrict_pidfd)

TEST_HARNESS_MAIN
