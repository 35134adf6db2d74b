// SPDX-License-Identifier: GPL-2.0
/*
 * protshm_fuzz controller: operations and the model's predictions.
 *
 * Every operation is a kind plus four raw random values; run_op()
 * interprets them against the current model (which process, which fd,
 * which mapping...), so that a recorded list replays, and a shortened list
 * still means something.  An operation the model cannot apply (no such
 * worker, no mapping...) is skipped.
 */
#include <sched.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "../common.h"
#include "../ioctl_helpers.h"
#include "model.h"

struct mseg segs[MAXSEG];
struct mfile files[MAXFILE];
struct mproc procs[MAXPROC];
int nproc;
struct stats st;
int max_workers = 6;
long pg;
int failed;
char violation_msg[512];
static uint64_t counter = 1;	/* values written, unique */

const char *kind_name[K_NR] = {
	"spawn", "open", "close", "dup", "reopen", "create", "attach", "info",
	"restrict-self", "restrict-peer", "restrict-ctl", "restrict-mapping",
	"unlink", "bad-ioctl", "mmap", "mmap-fixed", "munmap", "mprotect",
	"mremap", "madvise", "read", "write", "pread", "pwrite", "proc-mem",
	"process_vm_writev", "fork", "exec", "exit", "setuid", "scm-rights",
	"race", "restrict-netlink", "vfork-exec",
	"unshare-ipc",
};

/* ---- trace and violations -------------------------------------------- */

#define TRACE_LINES 48
static char trace_ring[TRACE_LINES][200];
static unsigned int trace_n;
int trace_verbose;

void trace(const char *fmt, ...)
{
	va_list ap;
	char *l = trace_ring[trace_n++ % TRACE_LINES];

	va_start(ap, fmt);
	vsnprintf(l, sizeof(trace_ring[0]), fmt, ap);
	va_end(ap);
	if (trace_verbose)
		printf("# %s\n", l);
}

int violation(const char *fmt, ...)
{
	unsigned int i = trace_n > TRACE_LINES ? trace_n - TRACE_LINES : 0;
	va_list ap;

	if (failed++)
		return -1;
	if (!trace_verbose) {
		printf("# trace of the last operations:\n");
		for (; i < trace_n; i++)
			printf("#   %s\n", trace_ring[i % TRACE_LINES]);
	}
	va_start(ap, fmt);
	vsnprintf(violation_msg, sizeof(violation_msg), fmt, ap);
	va_end(ap);
	printf("# VIOLATION after %llu ops: %s\n", (unsigned long long)st.ops,
	       violation_msg);
	fflush(stdout);
	return -1;
}

/* An outcome against the prediction: @want_err 0 means success. */
static int expect(const char *what, long ret, int err, int want_err)
{
	st.results++;
	if (!want_err && ret >= 0)
		return 0;
	if (want_err && ret < 0 && err == want_err)
		return 0;
	if (want_err < 0 && ret < 0)	/* any error */
		return 0;
	violation("%s: got %ld (%s), model expects %s", what, ret,
		  ret < 0 ? strerror(err) : "success",
		  want_err > 0 ? strerror(want_err) :
		  want_err < 0 ? "an error" : "success");
	return -1;
}

/* ---- workers ----------------------------------------------------------- */

int nlive(void)
{
	int i, n = 0;

	for (i = 0; i < nproc; i++)
		n += procs[i].live;
	return n;
}

/* The live process chosen by @r, or NULL. */
static struct mproc *pick_proc(uint32_t r)
{
	int i, n = nlive();

	if (!n)
		return NULL;
	n = r % n;
	for (i = 0; i < nproc; i++)
		if (procs[i].live && !n--)
			return &procs[i];
	return NULL;
}

static int proc_idx(struct mproc *p)
{
	return p - procs;
}

static int recv_res(struct mproc *p, struct wres *r)
{
	ssize_t n = read(p->chan, r, sizeof(*r));

	if (n != sizeof(*r)) {
		violation("worker %d (pid %d) died or broke the protocol (read %zd)",
			  proc_idx(p), p->pid, n);
		return -1;
	}
	return 0;
}

static int call(struct mproc *p, struct wcmd *c, struct wres *r)
{
	if (write(p->chan, c, sizeof(*c)) != sizeof(*c)) {
		violation("worker %d (pid %d): cannot send", proc_idx(p), p->pid);
		return -1;
	}
	return recv_res(p, r);
}

static void proc_init(struct mproc *p, pid_t pid, int chan, uint64_t scratch)
{
	int s;

	memset(p, 0, sizeof(*p));
	p->live = 1;
	p->pid = pid;
	p->chan = chan;
	p->scratch = scratch;
	p->parent = -1;
	p->pidfd = syscall(SYS_pidfd_open, pid, 0);
	for (s = 0; s < MAXSEG; s++)
		p->ceil[s] = PROTSHM_PROT_RW;
	if (nlive() > st.workers_max)
		st.workers_max = nlive();
}

static int op_spawn(void)
{
	struct mproc *p;
	struct wres r;
	int sv[2];
	pid_t pid;

	if (nlive() >= max_workers || nproc >= MAXPROC)
		return 1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return violation("socketpair: %s", strerror(errno));
	pid = fork();
	if (!pid) {
		char fdarg[16];
		char *argv[] = { "protshm_fuzz", "--worker", fdarg, NULL };

		fcntl(sv[1], F_SETFD, 0);
		snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(sv[1]);
	p = &procs[nproc++];
	proc_init(p, pid, sv[0], 0);
	p->ctl_child = 1;
	if (recv_res(p, &r))
		return -1;
	p->scratch = r.val;
	trace("spawn: worker %d pid %d", proc_idx(p), pid);
	return 0;
}

/* ---- files and fds ---------------------------------------------------- */

static int file_new(int seg, uint32_t prot, int binder)
{
	int i;

	for (i = 0; i < MAXFILE; i++)
		if (!files[i].refs) {
			files[i] = (struct mfile){ 0, seg, prot, binder };
			return i;
		}
	return -1;
}

static void fd_add(struct mproc *p, int fd, int file, int cloexec)
{
	p->fds[p->nfd++] = (struct mfd){ fd, file, cloexec };
	files[file].refs++;
}

static void seg_maybe_free(int s);

static void fd_del(struct mproc *p, int i)
{
	int f = p->fds[i].file;

	p->fds[i] = p->fds[--p->nfd];
	files[f].refs--;
	if (!files[f].refs && files[f].seg >= 0)
		seg_maybe_free(files[f].seg);
}

/* An fd of @p; seven times in eight a bound one, if @p has one. */
static struct mfd *pick_fd(struct mproc *p, uint32_t r)
{
	int i, n = 0;

	if (!p->nfd)
		return NULL;
	for (i = 0; i < p->nfd; i++)
		n += files[p->fds[i].file].seg >= 0;
	if (!n || r % 8 == 0)
		return &p->fds[r / 8 % p->nfd];
	n = r / 8 % n;
	for (i = 0; i < p->nfd; i++)
		if (files[p->fds[i].file].seg >= 0 && !n--)
			break;
	return &p->fds[i];
}

/* ---- segments ----------------------------------------------------------- */

static int seg_held(int s)
{
	int i, v;

	for (i = 0; i < MAXFILE; i++)
		if (files[i].refs && files[i].seg == s)
			return 1;
	for (i = 0; i < nproc; i++)
		for (v = 0; procs[i].live && v < procs[i].nvma; v++)
			if (procs[i].vma[v].seg == s)
				return 1;
	return 0;
}

/* An unlinked segment nothing of the workers holds: check it, let it go. */
static void seg_maybe_free(int s)
{
	struct mseg *g = &segs[s];

	if (!g->live || !g->unlinked || seg_held(s))
		return;
	check_content(s);
	munmap((void *)g->ref, g->size);
	close(g->ref_fd);
	if (!nl_seg_gone(g->id))
		violation("segment %s (id %llu) still exists after its last file and mapping went",
			  g->name, (unsigned long long)g->id);
	st.final++;
	free(g->shadow);
	g->live = 0;
	trace("segment slot %d (%s) freed", s, g->name);
}

static int seg_by_name(int k)
{
	int s;

	for (s = 0; s < MAXSEG; s++)
		if (segs[s].live && !segs[s].unlinked && segs[s].name_k == k)
			return s;
	return -1;
}

static int seg_free_slot(void)
{
	int s, i;

	for (s = 0; s < MAXSEG && segs[s].live; s++)
		;
	if (s == MAXSEG)
		return -1;
	for (i = 0; i < nproc; i++) {
		procs[i].ceil[s] = PROTSHM_PROT_RW;
		procs[i].attached[s] = 0;
		procs[i].linked[s] = 0;
	}
	return s;
}

static char name_prefix[24];

static void seg_name(int k, char *buf, size_t len)
{
	snprintf(buf, len, "%s%d", name_prefix, k);
}

/* The controller attaches the new segment and maps all of it. */
static int seg_adopt(int s, int k, uint64_t size, uint32_t mode, uint32_t uid)
{
	struct mseg *g = &segs[s];
	struct protshm_info info;

	memset(g, 0, sizeof(*g));
	g->name_k = k;
	seg_name(k, g->name, sizeof(g->name));
	g->size = size;
	g->mode = mode;
	g->uid = uid;
	g->ref_fd = ps_open();
	if (g->ref_fd < 0 || ps_attach(g->ref_fd, g->name, PROTSHM_PROT_RW) ||
	    ps_info(g->ref_fd, &info, NULL))
		return violation("controller cannot attach %s: %s", g->name,
				 strerror(errno));
	g->id = info.id;
	g->ref = map(g->ref_fd, size, PROT_READ | PROT_WRITE, 0);
	if (g->ref == MAP_FAILED)
		return violation("controller cannot map %s: %s", g->name,
				 strerror(errno));
	/* spawned workers fork from the controller: they must not inherit it */
	if (madvise((void *)g->ref, size, MADV_DONTFORK))
		return violation("MADV_DONTFORK of the reference mapping: %s",
				 strerror(errno));
	g->shadow = calloc(size / 8, 8);
	g->live = 1;
	return 0;
}

/* ---- ioctls -------------------------------------------------------------- */

/* Garbage applied to an ioctl's argument: the errno it must give. */
enum garbage {
	G_NONE, G_SMALL, G_BIG_ZERO, G_BIG_TAIL, G_HUGE, G_NULL, G_CUT,
	G_FLAGS, G_PROT, G_NR
};

static const int garbage_err[G_NR] = {
	0, EINVAL, 0, E2BIG, E2BIG, EFAULT, EFAULT, EINVAL, EINVAL,
};

/* One garbage mutation in five ioctls. */
static enum garbage pick_garbage(uint32_t r)
{
	return r % 5 ? G_NONE : (enum garbage)(1 + (r / 5) % (G_NR - 1));
}

/*
 * Fill @c for ioctl @cmd with the struct @arg of @ksize bytes, its flags
 * word at offset 4 and its prot at @prot_off (0: none), mutated by @g.
 */
static void ioc_build(struct wcmd *c, int fd, unsigned long cmd,
		      const void *arg, uint32_t ksize, int prot_off,
		      enum garbage g)
{
	uint32_t size = ksize, bad = 0x80, prot = PROTSHM_PROT_WRITE;

	memset(c, 0, sizeof(*c));
	c->op = W_IOCTL;
	c->fd = fd;
	c->arg = cmd;
	memcpy(c->buf, arg, ksize);
	switch (g) {
	case G_SMALL: size = ksize - 4; break;
	case G_BIG_ZERO: size = ksize + 64; break;
	case G_BIG_TAIL: size = ksize + 64; c->flags |= IOC_TAIL; break;
	case G_HUGE: size = 2 * pg; break;
	case G_NULL: c->mode = IOC_PTR_NULL; break;
	case G_CUT: c->mode = IOC_PTR_CUT; break;
	case G_FLAGS: memcpy(c->buf + 4, &bad, 4); break;
	case G_PROT:
		if (prot_off)
			memcpy(c->buf + prot_off, &prot, 4);
		break;
	default: break;
	}
	memcpy(c->buf, &size, 4);
}

static int is_owner(struct mproc *p, int s)
{
	return p->uid == 0 || p->uid == segs[s].uid;
}

/* The mode bits that apply to @p on segment @s (root: everything). */
static uint32_t mode_grants(struct mproc *p, int s)
{
	uint32_t m = segs[s].mode, bits;

	if (p->uid == 0)
		return PROTSHM_PROT_RW;
	bits = p->uid == segs[s].uid ? m >> 6 : (m & 7);
	return ((bits & 4) ? PROTSHM_PROT_READ : 0) |
	       ((bits & 2) ? PROTSHM_PROT_WRITE : 0);
}

static const uint32_t prots[] = {
	PROTSHM_PROT_NONE, PROTSHM_PROT_READ, PROTSHM_PROT_RW, PROTSHM_PROT_RW,
};

static const uint32_t modes[] = { 0600, 0640, 0644, 0666, 0604, 0400, 0, 0606 };

static int ioc_call(struct mproc *p, struct wcmd *c, struct wres *r,
		    const char *what, int want)
{
	if (call(p, c, r))
		return -1;
	return expect(what, r->ret, r->err, want);
}

/* The errno a bound-file command must give on @f (unbound: EBADFD). */
static int bound_err(struct mfd *f, enum garbage g)
{
	if (files[f->file].seg < 0)
		return EBADFD;
	return garbage_err[g];
}

static int op_create(struct mproc *p, const struct op *o)
{
	struct mfd *f = pick_fd(p, o->r[1]);
	int k = o->r[2] % NNAMES, s = seg_free_slot(), want;
	enum garbage g = pick_garbage(o->r[3]);
	uint64_t size = (1 + o->r[2] / NNAMES % SEG_PAGES_MAX) * pg;
	uint32_t mode = modes[o->r[3] / 100 % 8], prot = prots[o->r[3] / 900 % 4];
	struct protshm_create a = { .seg_size = size, .mode = mode, .prot = prot };
	struct wcmd c;
	struct wres r;

	if (!f || s < 0 || p->ipcns)
		return 1;	/* not in another namespace: the model has one */
	ioc_build(&c, f->fd, PROTSHM_IOC_CREATE, &a, sizeof(a), 28, g);
	c.flags |= IOC_NAME;
	seg_name(k, c.name, sizeof(c.name));
	want = garbage_err[g];
	if (!want && files[f->file].seg >= 0)
		want = EBUSY;
	else if (!want && seg_by_name(k) >= 0)
		want = EEXIST;
	trace("w%d create fd %d %s size %llu mode %o prot %u garbage %d: want %d",
	      proc_idx(p), f->fd, c.name, (unsigned long long)size, mode, prot,
	      g, want);
	if (ioc_call(p, &c, &r, "CREATE", want) || want)
		return failed ? -1 : 0;
	files[f->file].seg = s;
	files[f->file].prot = prot;
	files[f->file].binder = proc_idx(p);
	p->attached[s] = 1;
	return seg_adopt(s, k, size, mode, p->uid);
}

static int attach_err(struct mproc *p, int s, uint32_t prot)
{
	uint32_t need = prot;

	if (s < 0)
		return ENOENT;
	if (prot == PROTSHM_PROT_NONE && !is_owner(p, s))
		need = PROTSHM_PROT_READ;
	return (need & ~mode_grants(p, s)) ? EACCES : 0;
}

static int op_attach(struct mproc *p, const struct op *o)
{
	struct mfd *f = pick_fd(p, o->r[1]);
	int k = o->r[2] % NNAMES, s = seg_by_name(k), want;
	enum garbage g = pick_garbage(o->r[3]);
	uint32_t prot = prots[o->r[2] / NNAMES % 4];
	struct protshm_attach a = { .prot = prot };
	struct wcmd c;
	struct wres r;

	if (!f)
		return 1;
	ioc_build(&c, f->fd, PROTSHM_IOC_ATTACH, &a, sizeof(a), 16, g);
	c.flags |= IOC_NAME;
	seg_name(k, c.name, sizeof(c.name));
	want = garbage_err[g];
	if (!want && files[f->file].seg >= 0)
		want = EBUSY;
	else if (!want)	/* names of another namespace are not seen */
		want = attach_err(p, p->ipcns ? -1 : s, prot);
	trace("w%d attach fd %d %s prot %u garbage %d: want %d", proc_idx(p),
	      f->fd, c.name, prot, g, want);
	if (ioc_call(p, &c, &r, "ATTACH", want) || want)
		return failed ? -1 : 0;
	files[f->file].seg = s;
	files[f->file].prot = prot;
	files[f->file].binder = proc_idx(p);
	p->attached[s] = 1;
	return 0;
}

static int info_check(struct mproc *p, struct mfd *f, const struct wres *r)
{
	const struct protshm_info *i = (const void *)r->out;
	int s = files[f->file].seg;
	struct mseg *g = &segs[s];

	st.checks++;
	if (i->size != sizeof(*i) || i->id != g->id || i->seg_size != g->size ||
	    i->uid != g->uid || i->gid != g->uid || i->mode != g->mode ||
	    i->fd_prot != files[f->file].prot || i->ceiling != p->ceil[s] ||
	    !!(i->seg_flags & PROTSHM_INFO_UNLINKED) != g->unlinked ||
	    strcmp(r->name, g->name) || i->resident > g->size)
		return violation("INFO of w%d on %s: id %llu size %llu uid %u gid %u mode %o fd_prot %u ceiling %u flags %#x name %s; model: id %llu size %llu uid %u mode %o fd_prot %u ceiling %u unlinked %d",
				 proc_idx(p), g->name, (unsigned long long)i->id,
				 (unsigned long long)i->seg_size, i->uid, i->gid,
				 i->mode, i->fd_prot, i->ceiling, i->seg_flags,
				 r->name, (unsigned long long)g->id,
				 (unsigned long long)g->size, g->uid, g->mode,
				 files[f->file].prot, p->ceil[s], g->unlinked);
	return 0;
}

static int op_info(struct mproc *p, const struct op *o)
{
	struct mfd *f = pick_fd(p, o->r[1]);
	enum garbage g = pick_garbage(o->r[3]);
	struct protshm_info a = { 0 };
	struct wcmd c;
	struct wres r;
	int want;

	if (!f)
		return 1;
	if (g == G_PROT)
		g = G_NONE;
	ioc_build(&c, f->fd, PROTSHM_IOC_INFO, &a, sizeof(a), 0, g);
	c.flags |= IOC_NAME;
	want = bound_err(f, g);
	trace("w%d info fd %d garbage %d: want %d", proc_idx(p), f->fd, g, want);
	if (ioc_call(p, &c, &r, "INFO", want) || want)
		return failed ? -1 : 0;
	return info_check(p, f, &r);
}

/* The model's RESTRICT of process @t on @s. */
static void model_restrict(int t, int s, uint32_t prot, int desc)
{
	struct mproc *p = &procs[t];
	int v, i;

	p->ceil[s] &= prot;
	for (v = 0; p->live && v < p->nvma; v++) {
		if (p->vma[v].seg != s)
			continue;
		p->vma[v].rights &= prot;
		p->vma[v].prot &= p->vma[v].rights;
	}
	if (!desc)
		return;
	for (i = 0; i < nproc; i++)
		if (procs[i].parent == t && procs[i].linked[s])
			model_restrict(i, s, prot, 1);
}

static int restrict_want(struct mproc *by, int s, struct mproc *t)
{
	if (by && by != t && !is_owner(by, s))
		return EPERM;
	if (!t->live)
		return ESRCH;
	return t->attached[s] ? 0 : ESRCH;
}

static int op_restrict(struct mproc *p, const struct op *o, int self)
{
	struct mfd *f = pick_fd(p, o->r[1]);
	struct mproc *t = self ? p : pick_proc(o->r[2]);
	enum garbage g = pick_garbage(o->r[3]);
	uint32_t prot = prots[o->r[2] % 3], fl = (o->r[2] >> 8) & 1;
	struct protshm_restrict a = { .flags = fl, .prot = prot };
	struct wcmd c;
	struct wres r;
	int want, s;

	if (!f || !t)
		return 1;
	s = files[f->file].seg;
	a.pid = self && (o->r[2] & 0x10000) ? 0 : t->pid;
	ioc_build(&c, f->fd, PROTSHM_IOC_RESTRICT, &a, sizeof(a), 12, g);
	want = bound_err(f, g);
	if (!want)
		want = restrict_want(p, s, t);
	trace("w%d restrict fd %d (seg %d) pid %d prot %u flags %u garbage %d: want %d",
	      proc_idx(p), f->fd, s, a.pid, prot, fl, g, want);
	if (ioc_call(p, &c, &r, "RESTRICT", want) || want)
		return failed ? -1 : 0;
	model_restrict(proc_idx(t), s, prot, fl);
	return 0;
}

/*
 * RESTRICT by the controller (root), by pid or by pidfd, through the ioctl
 * or (@nl) netlink's PROTSHM_CMD_RESTRICT by segment id: the same
 * predictions.
 */
static int ctl_restrict(int s, struct mproc *t, uint32_t prot, int fl, int nl)
{
	struct protshm_restrict a = { sizeof(a), fl, t->pid, prot };
	int want = restrict_want(NULL, s, t), ret, err;

	if (fl & PROTSHM_RESTRICT_PIDFD)
		a.pid = t->pidfd;
	if (nl) {
		ret = nl_restrict_seg(segs[s].id, &a);
		if (ret > 0)
			return 1;
		err = -ret;
	} else {
		ret = ioctl(segs[s].ref_fd, PROTSHM_IOC_RESTRICT, &a);
		err = errno;
	}
	if (expect(nl ? "RESTRICT (controller, netlink)" : "RESTRICT (controller)",
		   ret, err, want) || want)
		return failed ? -1 : 0;
	model_restrict(t - procs, s, prot, fl & PROTSHM_RESTRICT_DESCENDANTS);
	return 0;
}

static int pick_seg(uint32_t r)
{
	int s, n = 0;

	for (s = 0; s < MAXSEG; s++)
		n += segs[s].live;
	if (!n)
		return -1;
	n = r % n;
	for (s = 0; s < MAXSEG; s++)
		if (segs[s].live && !n--)
			return s;
	return -1;
}

static int op_restrict_ctl(const struct op *o, int nl)
{
	int s = pick_seg(o->r[1]), fl = o->r[3] & 3, t;

	if (s < 0 || !nproc)
		return 1;
	t = o->r[2] % nproc;
	if (!procs[t].live &&
	    (!(fl & PROTSHM_RESTRICT_PIDFD) || procs[t].pidfd < 0))
		return 1;	/* a dead pid number may be reused */
	trace("ctl restrict%s seg %d w%d (pid %d%s) prot %u flags %d",
	      nl ? " (netlink)" : "", s, t, procs[t].pid,
	      procs[t].live ? "" : ", dead", prots[o->r[3] / 4 % 3], fl);
	return ctl_restrict(s, &procs[t], prots[o->r[3] / 4 % 3], fl, nl);
}

static int op_unlink(struct mproc *p, const struct op *o)
{
	struct mfd *f = pick_fd(p, o->r[1]);
	struct wcmd c = { .op = W_IOCTL, .mode = IOC_PTR_NULL };
	struct wres r;
	int s, want;

	if (!f)
		return 1;
	s = files[f->file].seg;
	c.fd = f->fd;
	c.arg = PROTSHM_IOC_UNLINK;
	want = s < 0 ? EBADFD : !is_owner(p, s) ? EPERM :
	       segs[s].unlinked ? ENOENT : 0;
	trace("w%d unlink fd %d seg %d: want %d", proc_idx(p), f->fd, s, want);
	if (ioc_call(p, &c, &r, "UNLINK", want) || want)
		return failed ? -1 : 0;
	segs[s].unlinked = 1;
	return 0;
}

static int op_bad_ioctl(struct mproc *p, const struct op *o)
{
	struct mfd *f = pick_fd(p, o->r[1]);
	struct wcmd c = { .op = W_IOCTL, .mode = IOC_PTR_NULL };
	struct wres r;
	static const unsigned long cmds[] = {
		_IO(PROTSHM_IOC_MAGIC, 0x07), _IO(PROTSHM_IOC_MAGIC, 0xff),
		_IOW(PROTSHM_IOC_MAGIC, 0x01, int), _IO('T', 0x01),
	};

	if (!f)
		return 1;
	c.fd = f->fd;
	c.arg = cmds[o->r[2] % 4];
	if (o->r[2] % 5 == 4) {
		c.arg = PROTSHM_IOC_VERSION;
		trace("w%d VERSION fd %d", proc_idx(p), f->fd);
		if (call(p, &c, &r))
			return -1;
		if (r.ret != PROTSHM_ABI_VERSION)
			return violation("VERSION returned %lld", (long long)r.ret);
		return 0;
	}
	trace("w%d ioctl %#lx fd %d: want ENOTTY", proc_idx(p), c.arg, f->fd);
	return ioc_call(p, &c, &r, "unknown ioctl", ENOTTY);
}

/* ---- mappings -------------------------------------------------------- */

static struct mvma *pick_vma(struct mproc *p, uint32_t r)
{
	return p->nvma ? &p->vma[r % p->nvma] : NULL;
}

/* Make a VMA boundary at @addr (kernel VMAs of protshm never merge). */
static void vma_split(struct mproc *p, uint64_t addr)
{
	int v;

	for (v = 0; v < p->nvma; v++) {
		struct mvma *m = &p->vma[v], *n;

		if (addr <= m->start || addr >= m->end)
			continue;
		n = &p->vma[p->nvma++];
		*n = *m;
		m->end = addr;
		n->start = addr;
		n->pgoff = m->pgoff + (addr - m->start) / pg;
		return;
	}
}

static void vma_remove(struct mproc *p, uint64_t addr, uint64_t len)
{
	int v;

	vma_split(p, addr);
	vma_split(p, addr + len);
	for (v = 0; v < p->nvma; v++) {
		struct mvma *m = &p->vma[v];

		if (m->start >= addr && m->end <= addr + len) {
			int s = m->seg;

			*m = p->vma[--p->nvma];
			v--;
			seg_maybe_free(s);
		}
	}
}

/* Room for two more VMAs (a split of each end)? */
static int vma_room(struct mproc *p)
{
	return p->nvma + 3 <= MAXVMA;
}

static int mmap_want(struct mproc *p, struct mfd *f, uint64_t off,
		     uint64_t len, int prot, int flags)
{
	struct mfile *fl = &files[f->file];
	uint32_t rights;

	if (fl->seg < 0)
		return EBADFD;
	if (!(flags & MAP_SHARED))
		return EINVAL;
	if (prot & PROT_EXEC)
		return EPERM;
	if (off + len > segs[fl->seg].size)
		return ENXIO;
	rights = p->ceil[fl->seg] & fl->prot & procs[fl->binder].ceil[fl->seg];
	return (prot & ~rights) ? EACCES : 0;
}

/*
 * A refused mmap(MAP_FIXED) may or may not have unmapped the range first
 * (it depends on where the kernel refused it): keep the model's VMAs in
 * [addr, addr+len) that the kernel still has.
 */
static int resync_range(struct mproc *p, uint64_t addr, uint64_t len)
{
	int v;

	vma_split(p, addr);
	vma_split(p, addr + len);
	for (v = 0; v < p->nvma; v++) {
		struct mvma *m = &p->vma[v];

		if (m->start >= addr && m->end <= addr + len &&
		    !kernel_has_vma(p->pid, m->start, m->end)) {
			int s = m->seg;

			*m = p->vma[--p->nvma];
			v--;
			seg_maybe_free(s);
		}
	}
	return failed ? -1 : 0;
}

static const int mmap_prots[] = {
	PROT_NONE, PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE,
	PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
};

/* mmap; @fixed: 0 anywhere, 1 into the scratch area, 2 over a VMA. */
static int do_mmap(struct mproc *p, const struct op *o, int fixed)
{
	struct mfd *f = pick_fd(p, o->r[1]);
	uint64_t off = o->r[2] % SEG_PAGES_MAX * pg;
	uint64_t len = (1 + o->r[2] / 8 % SEG_PAGES_MAX) * pg, addr = 0;
	int prot = mmap_prots[o->r[3] % 6], flags = MAP_SHARED, want, s;
	struct wcmd c = { .op = W_MMAP };
	struct mvma *v = pick_vma(p, o->r[3] / 6);
	struct wres r;

	if (!f || !vma_room(p) || (fixed == 2 && !v))
		return 1;
	if (o->r[3] / 64 % 16 == 0)
		flags = MAP_PRIVATE;
	else if (o->r[3] / 64 % 16 == 1)
		flags = MAP_SHARED_VALIDATE;
	else if (o->r[3] / 64 % 16 == 2)
		flags |= MAP_POPULATE;
	if (o->r[2] / 64 % 16 == 0)	/* exactly the segment, offset 0 */
		off = 0;
	if (fixed == 1)
		addr = p->scratch + o->r[0] / 16 % (SCRATCH_PAGES - SEG_PAGES_MAX) * pg;
	if (fixed == 2) {	/* over a mapping, never beyond it */
		addr = v->start;
		if (len > v->end - v->start)
			len = v->end - v->start;
	}
	if (fixed)
		flags |= MAP_FIXED;
	s = files[f->file].seg;
	want = mmap_want(p, f, off, len, prot, flags);
	c.fd = f->fd;
	c.addr = addr;
	c.len = len;
	c.prot = prot;
	c.flags = flags;
	c.arg = off;
	trace("w%d mmap %#llx len %llu prot %d flags %#x fd %d (seg %d) off %llu: want %d",
	      proc_idx(p), (unsigned long long)addr, (unsigned long long)len,
	      prot, flags, f->fd, s, (unsigned long long)off, want);
	if (call(p, &c, &r))
		return -1;
	if (fixed && r.ret >= 0)
		vma_remove(p, addr, len);
	else if (fixed && resync_range(p, addr, len))
		return -1;
	if (want == EACCES)
		p->attached[s] = 1;	/* attached before the rights check */
	if (expect("mmap", r.ret, r.err, want) || want)
		return failed ? -1 : 0;
	p->vma[p->nvma++] = (struct mvma){
		.start = r.ret, .end = r.ret + len, .pgoff = off / pg, .seg = s,
		.prot = prot, .rights = p->ceil[s] & files[f->file].prot &
			procs[files[f->file].binder].ceil[s],
	};
	p->attached[s] = 1;
	return 0;
}

/* A page range inside VMA @v chosen by @r: whole, head, tail or middle. */
static void sub_range(struct mvma *v, uint32_t r, uint64_t *a, uint64_t *l)
{
	uint64_t n = (v->end - v->start) / pg, i = r / 4 % n;

	*a = v->start;
	*l = v->end - v->start;
	if (n < 2 || r % 4 == 0)
		return;
	if (r % 4 == 1)
		*l = (i + 1) * pg;
	else if (r % 4 == 2)
		*a = v->start + i * pg, *l = (n - i) * pg;
	else
		*a = v->start + i * pg, *l = pg;
}

static int op_munmap(struct mproc *p, const struct op *o)
{
	struct mvma *v = pick_vma(p, o->r[1]);
	struct wcmd c = { .op = W_MUNMAP };
	struct wres r;

	if (!v || !vma_room(p))
		return 1;
	sub_range(v, o->r[2], &c.addr, &c.len);
	trace("w%d munmap %#llx+%llu", proc_idx(p), (unsigned long long)c.addr,
	      (unsigned long long)c.len);
	if (call(p, &c, &r) || expect("munmap", r.ret, r.err, 0))
		return -1;
	vma_remove(p, c.addr, c.len);
	return 0;
}

static int op_mprotect(struct mproc *p, const struct op *o)
{
	struct mvma *v = pick_vma(p, o->r[1]);
	struct wcmd c = { .op = W_MPROTECT };
	int prot = mmap_prots[o->r[3] % 6], want, i;
	struct wres r;

	if (!v || !vma_room(p))
		return 1;
	sub_range(v, o->r[2], &c.addr, &c.len);
	c.prot = prot;
	want = (prot & PROT_EXEC) || (prot & ~v->rights) ? EACCES : 0;
	trace("w%d mprotect %#llx+%llu prot %d (rights %u): want %d", proc_idx(p),
	      (unsigned long long)c.addr, (unsigned long long)c.len, prot,
	      v->rights, want);
	if (call(p, &c, &r) || expect("mprotect", r.ret, r.err, want) || want)
		return failed ? -1 : 0;
	if ((uint32_t)prot == v->prot)
		return 0;	/* unchanged: the kernel does not split */
	vma_split(p, c.addr);
	vma_split(p, c.addr + c.len);
	for (i = 0; i < p->nvma; i++)
		if (p->vma[i].start >= c.addr && p->vma[i].end <= c.addr + c.len)
			p->vma[i].prot = prot;
	return 0;
}

/* mremap: 0 shrink, 1 move, 2 grow (EFAULT), 3 DONTUNMAP (EINVAL). */
static int op_mremap(struct mproc *p, const struct op *o)
{
	struct mvma *v = pick_vma(p, o->r[1]), m;
	struct wcmd c = { .op = W_MREMAP };
	uint64_t len, dst;
	int how = o->r[2] % 4, want = 0;
	struct wres r;

	if (!v || !vma_room(p))
		return 1;
	len = v->end - v->start;
	dst = p->scratch + o->r[3] % (SCRATCH_PAGES - SEG_PAGES_MAX) * pg;
	c.addr = v->start;
	c.len = len;
	c.arg = len;
	if (how == 0 && len > (uint64_t)pg) {
		c.arg = len - (1 + o->r[3] % (len / pg - 1)) * pg;
	} else if (how == 1 || how == 0) {
		how = 1;
		c.flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		c.arg2 = dst;
		if (dst < v->end && dst + len > v->start)
			want = EINVAL;
	} else if (how == 2) {
		c.arg = len + pg;
		want = EFAULT;
	} else {
		c.flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
		want = EINVAL;
	}
	trace("w%d mremap %#llx len %llu -> %llu flags %#x dst %#llx: want %d",
	      proc_idx(p), (unsigned long long)c.addr, (unsigned long long)len,
	      (unsigned long long)c.arg, c.flags, (unsigned long long)c.arg2, want);
	if (call(p, &c, &r) || expect("mremap", r.ret, r.err, want) || want)
		return failed ? -1 : 0;
	m = *v;
	if (how == 0) {
		vma_remove(p, c.addr + c.arg, len - c.arg);
		return 0;
	}
	v->pgoff = ~0ULL;	/* find it again after vma_remove() */
	vma_remove(p, dst, len);
	for (v = p->vma; v->pgoff != ~0ULL; v++)
		;
	*v = m;
	v->start = dst;
	v->end = dst + len;
	return 0;
}

static int op_madvise(struct mproc *p, const struct op *o)
{
	static const int adv[] = {
		MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK, MADV_WILLNEED,
		MADV_REMOVE, MADV_FREE, MADV_COLD, MADV_PAGEOUT,
	};
	static const int want[] = { 0, 0, EINVAL, -1, -1, -1, -1, -1 };
	struct mvma *v = pick_vma(p, o->r[1]);
	struct wcmd c = { .op = W_MADVISE };
	int i = o->r[2] % 8;
	struct wres r;

	if (!v)
		return 1;
	c.addr = v->start;
	c.len = v->end - v->start;
	c.arg = adv[i];
	trace("w%d madvise %#llx+%llu advice %d", proc_idx(p),
	      (unsigned long long)c.addr, (unsigned long long)c.len, adv[i]);
	if (call(p, &c, &r))
		return -1;
	if (want[i] >= 0 && expect("madvise", r.ret, r.err, want[i]))
		return -1;
	if (adv[i] == MADV_DONTFORK)
		v->dontfork = 1;
	return 0;
}

/* The VMA of @p starting at @addr, or NULL. */
static struct mvma *vma_at(struct mproc *p, uint64_t addr)
{
	int v;

	for (v = 0; v < p->nvma; v++)
		if (p->vma[v].start == addr)
			return &p->vma[v];
	return NULL;
}

/* Is [a, a+len) covered exactly by contiguous VMAs of segment @s? */
static int covered(struct mproc *p, int s, uint64_t a, uint64_t len)
{
	uint64_t next = a;
	struct mvma *v;

	if (!len || a % pg || len % pg)
		return 0;
	while (next < a + len) {
		v = vma_at(p, next);
		if (!v || v->seg != s || v->end > a + len)
			return 0;
		next = v->end;
	}
	return 1;
}

static int op_restrict_mapping(struct mproc *p, const struct op *o)
{
	struct mfd *f = pick_fd(p, o->r[1]);
	struct mvma *v = pick_vma(p, o->r[2]), *w;
	enum garbage g = pick_garbage(o->r[3]);
	uint32_t prot = prots[o->r[2] / 64 % 3];
	struct protshm_restrict_mapping a = { .prot = prot };
	int n = 1 + o->r[2] / 256 % 3, want, s, i;
	struct wcmd c;
	struct wres r;

	if (!f || !v)
		return 1;
	s = files[f->file].seg;
	a.addr = v->start;
	a.len = v->end - v->start;
	for (i = 1, w = v; i < n && (w = vma_at(p, w->end)); i++)
		a.len = w->end - a.addr;
	if (o->r[3] / 5 % 7 == 0)
		a.len += pg;		/* beyond the mappings */
	else if (o->r[3] / 5 % 7 == 1)
		a.addr += 8;		/* unaligned */
	ioc_build(&c, f->fd, PROTSHM_IOC_RESTRICT_MAPPING, &a, sizeof(a), 24, g);
	want = bound_err(f, g);
	if (!want && !covered(p, s, a.addr, a.len))
		want = EINVAL;
	trace("w%d restrict-mapping fd %d (seg %d) %#llx+%llu prot %u garbage %d: want %d",
	      proc_idx(p), f->fd, s, (unsigned long long)a.addr,
	      (unsigned long long)a.len, prot, g, want);
	if (ioc_call(p, &c, &r, "RESTRICT_MAPPING", want) || want)
		return failed ? -1 : 0;
	for (i = 0; i < p->nvma; i++) {
		w = &p->vma[i];
		if (w->start >= a.addr && w->end <= a.addr + a.len) {
			w->rights &= prot;
			w->prot &= w->rights;
		}
	}
	return 0;
}

/* ---- memory accesses ------------------------------------------------- */

static uint64_t *shadow_of(struct mvma *v, uint64_t addr)
{
	return &segs[v->seg].shadow[(v->pgoff * pg + addr - v->start) / 8];
}

static int fault_ok(struct mproc *p, const struct wres *r, uint64_t addr,
		    const char *what)
{
	st.checks++;
	if (r->sig == SIGSEGV && r->code == SEGV_ACCERR && r->fault_at == addr)
		return 0;
	return violation("w%d %s at %#llx: got signal %d code %d addr %#llx, model expects SIGSEGV/SEGV_ACCERR there",
			 proc_idx(p), what, (unsigned long long)addr, r->sig,
			 r->code, (unsigned long long)r->fault_at);
}

static int op_access(struct mproc *p, const struct op *o, int write)
{
	struct mvma *v = pick_vma(p, o->r[1]);
	struct wcmd c = { .op = write ? W_WRITE : W_READ };
	uint64_t *sh;
	int allowed;
	struct wres r;

	if (!v)
		return 1;
	c.addr = v->start + o->r[2] % ((v->end - v->start) / 8) * 8;
	c.val = counter++;
	sh = shadow_of(v, c.addr);
	/* x86: a writable page is readable */
	allowed = write ? v->prot & PROT_WRITE : v->prot != 0;
	trace("w%d %s %#llx (prot %u): %s", proc_idx(p), write ? "write" : "read",
	      (unsigned long long)c.addr, v->prot, allowed ? "allowed" : "fault");
	if (call(p, &c, &r))
		return -1;
	st.checks++;
	if (write)
		st.writes++;
	if (!allowed)
		return fault_ok(p, &r, c.addr, write ? "write" : "read");
	if (r.sig)
		return violation("w%d %s at %#llx: signal %d code %d at %#llx, model allows it (prot %u)",
				 proc_idx(p), write ? "write" : "read",
				 (unsigned long long)c.addr, r.sig, r.code,
				 (unsigned long long)r.fault_at, v->prot);
	if (write)
		*sh = c.val;
	else if (r.val != *sh)
		return violation("w%d read %#llx: %#llx, shadow %#llx", proc_idx(p),
				 (unsigned long long)c.addr,
				 (unsigned long long)r.val,
				 (unsigned long long)*sh);
	return 0;
}

/* pread/pwrite through a mapping, /proc/self/mem, process_vm_writev. */
static int op_io(struct mproc *p, const struct op *o, int kind)
{
	struct mvma *v = pick_vma(p, o->r[1]);
	struct wcmd c;
	struct wres r;
	int into, want;
	uint64_t *sh;

	if (!v)
		return 1;
	memset(&c, 0, sizeof(c));
	c.addr = v->start + o->r[2] % ((v->end - v->start) / 8) * 8;
	c.val = counter++;
	sh = shadow_of(v, c.addr);
	into = kind == K_PREAD || (kind == K_MEM && (o->r[3] & 1));
	if (kind == K_PVW) {
		c.op = W_PVW;
		want = EFAULT;	/* never pinned, whatever the rights */
	} else if (kind == K_MEM) {
		c.op = into ? W_MEM_WRITE : W_MEM_READ;
		want = (v->prot & (into ? PROT_WRITE : PROT_READ)) ? 0 : EIO;
		/* the /proc files of a non-dumpable process belong to root */
		if (p->nondump && p->uid)
			want = EACCES;
	} else {
		c.op = into ? W_PREAD : W_PWRITE;
		want = (into ? v->prot & PROT_WRITE : v->prot) ? 0 : EFAULT;
	}
	trace("w%d %s %#llx (prot %u) into-map %d: want %d", proc_idx(p),
	      kind_name[kind], (unsigned long long)c.addr, v->prot, into, want);
	if (call(p, &c, &r) || expect(kind_name[kind], r.ret, r.err, want))
		return -1;
	st.checks++;
	if (want)
		return 0;
	if (r.ret != 8)
		return violation("%s: %lld bytes, want 8", kind_name[kind],
				 (long long)r.ret);
	if (into) {
		*sh = c.val;
		st.writes++;
	} else if (r.val != *sh) {
		return violation("w%d %s of %#llx: %#llx, shadow %#llx", proc_idx(p),
				 kind_name[kind], (unsigned long long)c.addr,
				 (unsigned long long)r.val,
				 (unsigned long long)*sh);
	}
	return 0;
}

/* ---- processes ------------------------------------------------------- */

static int op_fd(struct mproc *p, const struct op *o, int kind)
{
	struct mfd *f = pick_fd(p, o->r[1]);
	struct wcmd c = { .flags = o->r[2] & 1 };
	struct wres r;
	int file;

	if (kind != K_OPEN && !f)
		return 1;
	if (kind != K_CLOSE && p->nfd >= MAXFD)
		return 1;
	c.op = kind == K_OPEN ? W_OPEN : kind == K_CLOSE ? W_CLOSE :
	       kind == K_DUP ? W_DUP : W_REOPEN;
	c.fd = f ? f->fd : -1;
	trace("w%d %s fd %d cloexec %u", proc_idx(p), kind_name[kind], c.fd,
	      c.flags);
	if (call(p, &c, &r) || expect(kind_name[kind], r.ret, r.err, 0))
		return -1;
	if (kind == K_CLOSE) {
		fd_del(p, f - p->fds);
		return 0;
	}
	file = kind == K_DUP ? f->file : file_new(-1, 0, -1);
	if (file < 0)
		return violation("model: out of file slots");
	fd_add(p, r.ret, file, c.flags);
	return 0;
}

/* The model of fork(): what the child inherits. */
static void model_fork(struct mproc *p, struct mproc *ch, int vfork_exec)
{
	int i, s;

	ch->uid = p->uid;
	ch->nondump = vfork_exec ? 0 : p->nondump;
	ch->ipcns = p->ipcns;
	ch->parent = proc_idx(p);
	ch->scratch = p->scratch;
	for (i = 0; i < p->nfd; i++)
		if (!vfork_exec || !p->fds[i].cloexec)
			fd_add(ch, p->fds[i].fd, p->fds[i].file, p->fds[i].cloexec);
	for (i = 0; i < p->nvma && !vfork_exec; i++)
		if (!p->vma[i].dontfork)
			ch->vma[ch->nvma++] = p->vma[i];
	for (s = 0; s < MAXSEG; s++) {
		int inherits = 0;

		for (i = 0; i < ch->nvma; i++)
			inherits |= ch->vma[i].seg == s;
		ch->ceil[s] = p->ceil[s];
		ch->linked[s] = inherits ||
			(p->attached[s] && p->ceil[s] != PROTSHM_PROT_RW);
		ch->attached[s] = ch->linked[s];
	}
}

/*
 * fork() (@vfork 0) or vfork() and execve() of the binary: the child gets
 * its channel by SCM_RIGHTS.  A vfork child shares the address space until
 * its exec, so it inherits no mapping: only its parent's lowered ceilings
 * (its fork lineage) and the fds without O_CLOEXEC.
 */
static int op_fork(struct mproc *p, int vfork)
{
	struct wcmd c = { .op = vfork ? W_VFORK : W_FORK };
	struct mproc *ch;
	struct wres r;
	int sv[2];

	if (nlive() >= max_workers || nproc >= MAXPROC)
		return 1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return violation("socketpair: %s", strerror(errno));
	trace("w%d %s", proc_idx(p), vfork ? "vfork-exec" : "fork");
	if (write(p->chan, &c, sizeof(c)) != sizeof(c) || send_fd(p->chan, sv[1]))
		return violation("w%d: cannot send fork", proc_idx(p));
	close(sv[1]);
	if (recv_res(p, &r) || expect("fork", r.ret, r.err, 0))
		return -1;
	ch = &procs[nproc++];
	proc_init(ch, r.ret, sv[0], 0);
	model_fork(p, ch, vfork);
	if (recv_res(ch, &r))
		return -1;
	if (r.ret != ch->pid)
		return violation("%s: the child says pid %lld, the parent %d",
				 vfork ? "vfork" : "fork", (long long)r.ret, ch->pid);
	ch->scratch = r.val;
	trace("w%d forked w%d pid %d", proc_idx(p), proc_idx(ch), ch->pid);
	return check_maps(ch, 0);
}

static int op_exec(struct mproc *p)
{
	struct wcmd c = { .op = W_EXEC };
	struct wres r;
	int i;

	trace("w%d exec", proc_idx(p));
	if (call(p, &c, &r) || expect("exec", r.ret, r.err, 0))
		return -1;
	if (r.ret != p->pid)
		return violation("exec: pid %lld, was %d", (long long)r.ret,
				 p->pid);
	p->scratch = r.val;
	p->nondump = 0;		/* a readable binary, same uids */
	while (p->nvma) {
		int s = p->vma[--p->nvma].seg;

		seg_maybe_free(s);
	}
	for (i = p->nfd - 1; i >= 0; i--)
		if (p->fds[i].cloexec)
			fd_del(p, i);
	return 0;
}

/* Wait until @p's pid is gone (reaped), at most 10 s. */
static int wait_gone(struct mproc *p)
{
	uint64_t t0 = now_ns();

	for (;;) {
		if (p->ctl_child)
			waitpid(p->pid, NULL, WNOHANG);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;	/* orphans reparented to the controller */
		if (kill(p->pid, 0) && errno == ESRCH)
			return 0;
		if (now_ns() - t0 > 10000000000ULL)
			return violation("w%d pid %d does not go away",
					 proc_idx(p), p->pid);
		usleep(200);
	}
}

/*
 * The pidfds of the last DEAD_PIDFDS exited workers stay open (RESTRICT
 * by the pidfd of an exited process is ESRCH); older ones are closed, so
 * that a long run does not run out of fds.
 */
#define DEAD_PIDFDS 32

static void pidfd_retire(struct mproc *p)
{
	static int ring[DEAD_PIDFDS], n;
	struct mproc *old;

	if (n >= DEAD_PIDFDS) {
		old = &procs[ring[n % DEAD_PIDFDS]];
		close(old->pidfd);
		old->pidfd = -1;
	}
	ring[n++ % DEAD_PIDFDS] = proc_idx(p);
}

static int proc_exit(struct mproc *p)
{
	struct wcmd c = { .op = W_EXIT };
	struct wres r;

	trace("w%d exit", proc_idx(p));
	if (write(p->chan, &c, sizeof(c)) != sizeof(c) ||
	    read(p->chan, &r, sizeof(r)) != 0)
		return violation("w%d: exit not clean", proc_idx(p));
	close(p->chan);
	p->live = 0;
	pidfd_retire(p);
	if (wait_gone(p))
		return -1;
	while (p->nfd)
		fd_del(p, p->nfd - 1);
	while (p->nvma) {
		int s = p->vma[--p->nvma].seg;

		seg_maybe_free(s);
	}
	return 0;
}

/*
 * unshare(CLONE_NEWIPC): the names of the controller's namespace are gone
 * for @p and its later children (ATTACH: ENOENT), its files and mappings
 * keep working; EPERM without CAP_SYS_ADMIN (uid USER2).
 */
static int op_unshare_ipc(struct mproc *p)
{
	struct wcmd c = { .op = W_UNSHARE, .arg = CLONE_NEWIPC };
	struct wres r;
	int want = p->uid ? EPERM : 0;

	trace("w%d unshare ipc: want %d", proc_idx(p), want);
	if (call(p, &c, &r) || expect("unshare(CLONE_NEWIPC)", r.ret, r.err, want))
		return -1;
	if (!want)
		p->ipcns = 1;
	return 0;
}

static int op_setuid(struct mproc *p)
{
	struct wcmd c = { .op = W_SETUID, .arg = USER2 };
	struct wres r;

	if (p->uid)
		return 1;
	trace("w%d setuid %d", proc_idx(p), USER2);
	if (call(p, &c, &r) || expect("setuid", r.ret, r.err, 0))
		return -1;
	p->uid = USER2;
	p->nondump = 1;		/* credentials changed */
	return 0;
}

/* SCM_RIGHTS from one worker to another, through the controller. */
static int op_passfd(struct mproc *p, const struct op *o)
{
	struct mfd *f = pick_fd(p, o->r[1]);
	struct mproc *t = pick_proc(o->r[2]);
	struct wcmd c = { .op = W_GIVEFD };
	struct wres r;
	int fd, file;

	if (!f || !t || t->nfd >= MAXFD)
		return 1;
	file = f->file;
	c.fd = f->fd;
	trace("w%d passes fd %d to w%d", proc_idx(p), f->fd, proc_idx(t));
	if (call(p, &c, &r))
		return -1;
	fd = recv_fd(p->chan);
	if (fd < 0)
		return violation("GIVEFD: no fd received");
	memset(&c, 0, sizeof(c));
	c.op = W_TAKEFD;
	c.flags = o->r[3] & 1;
	if (write(t->chan, &c, sizeof(c)) != sizeof(c) || send_fd(t->chan, fd))
		return violation("TAKEFD failed");
	close(fd);
	if (recv_res(t, &r) || expect("scm-rights", r.ret, r.err, 0))
		return -1;
	fd_add(t, r.ret, file, c.flags);
	return 0;
}

/*
 * A thread of @p writes an increasing counter into a writable mapping
 * while the controller lowers @p: once RESTRICT returned, the value must
 * not change any more, and the thread must have faulted at that address
 * with the last value it stored in memory.
 */
static int op_race(struct mproc *p, const struct op *o)
{
	struct mvma *v = pick_vma(p, o->r[1]);
	uint32_t prot = o->r[3] & 1 ? PROTSHM_PROT_READ : PROTSHM_PROT_NONE;
	struct wcmd c = { .op = W_RACE_START };
	uint64_t v1, v2, *sh, addr;
	int s, idx;
	struct wres r;

	if (!v || !(v->prot & PROT_WRITE) || !p->attached[v->seg])
		return 1;
	s = v->seg;
	c.addr = v->start + o->r[2] % ((v->end - v->start) / 8) * 8;
	sh = shadow_of(v, c.addr);
	idx = (c.addr - v->start + v->pgoff * pg) / 8;
	c.val = counter << 20;
	counter++;
	trace("w%d race at %#llx, controller restricts to %u", proc_idx(p),
	      (unsigned long long)c.addr, prot);
	if (call(p, &c, &r) || expect("race start", r.ret, r.err, 0))
		return -1;
	if (ctl_restrict(s, p, prot, 0, 0))
		return -1;
	v1 = segs[s].ref[idx];
	usleep(2000);
	v2 = segs[s].ref[idx];
	addr = c.addr;
	memset(&c, 0, sizeof(c));
	c.op = W_RACE_STOP;
	if (call(p, &c, &r))
		return -1;
	st.checks += 2;
	st.writes++;
	if (v1 != v2 || r.val != v1)
		return violation("race: a write landed after RESTRICT returned: %#llx then %#llx, the thread's last store %#llx",
				 (unsigned long long)v1, (unsigned long long)v2,
				 (unsigned long long)r.val);
	if (r.sig != SIGSEGV || r.code != SEGV_ACCERR || r.fault_at != addr)
		return violation("race: the writer got signal %d code %d at %#llx, want SIGSEGV/SEGV_ACCERR at the counter",
				 r.sig, r.code, (unsigned long long)r.fault_at);
	*sh = v1;
	return 0;
}

/* ---- dispatch -------------------------------------------------------- */

static int run_proc_op(struct mproc *p, const struct op *o)
{
	switch (o->kind) {
	case K_OPEN: case K_CLOSE: case K_DUP: case K_REOPEN:
		return op_fd(p, o, o->kind);
	case K_CREATE: return op_create(p, o);
	case K_ATTACH: return op_attach(p, o);
	case K_INFO: return op_info(p, o);
	case K_RESTRICT_SELF: return op_restrict(p, o, 1);
	case K_RESTRICT_PEER: return op_restrict(p, o, 0);
	case K_RESTRICT_MAPPING: return op_restrict_mapping(p, o);
	case K_UNLINK: return op_unlink(p, o);
	case K_BAD_IOCTL: return op_bad_ioctl(p, o);
	case K_MMAP: return do_mmap(p, o, 0);
	case K_MMAP_FIXED: return do_mmap(p, o, 1 + (o->r[0] & 1));
	case K_MUNMAP: return op_munmap(p, o);
	case K_MPROTECT: return op_mprotect(p, o);
	case K_MREMAP: return op_mremap(p, o);
	case K_MADVISE: return op_madvise(p, o);
	case K_READ: return op_access(p, o, 0);
	case K_WRITE: return op_access(p, o, 1);
	case K_PREAD: case K_PWRITE: case K_MEM: case K_PVW:
		return op_io(p, o, o->kind);
	case K_FORK: case K_VFORK: return op_fork(p, o->kind == K_VFORK);
	case K_EXEC: return op_exec(p);
	case K_EXIT: return proc_exit(p);
	case K_SETUID: return op_setuid(p);
	case K_UNSHARE_IPC: return op_unshare_ipc(p);
	case K_PASSFD: return op_passfd(p, o);
	case K_RACE: return op_race(p, o);
	}
	return 1;
}

/* The processes whose mappings an operation may have changed: all of them. */
static int check_all_maps(int smaps)
{
	int i;

	for (i = 0; i < nproc; i++)
		if (procs[i].live && check_maps(&procs[i], smaps))
			return -1;
	return 0;
}

/* Operations that may change the mappings of the process that runs them. */
static int changes_maps(int kind)
{
	switch (kind) {
	case K_MMAP: case K_MMAP_FIXED: case K_MUNMAP: case K_MPROTECT:
	case K_MREMAP: case K_MADVISE: case K_RESTRICT_MAPPING: case K_FORK:
	case K_VFORK: case K_EXEC: case K_RESTRICT_SELF: case K_RACE:
		return 1;
	}
	return 0;
}

/* ... and those that may change the mappings of other processes. */
static int changes_all(const struct op *o)
{
	return o->kind == K_RESTRICT_CTL || o->kind == K_RESTRICT_NL ||
	       o->kind == K_RESTRICT_PEER ||
	       (o->kind == K_RESTRICT_SELF && ((o->r[2] >> 8) & 1));
}

/* Run one operation and the cheap checks; 0, 1 skipped, -1 violation. */
int run_op(const struct op *o)
{
	struct mproc *p = NULL;
	int ret;

	if (!name_prefix[0])
		snprintf(name_prefix, sizeof(name_prefix), "fz%d-", getpid());
	if (o->kind == K_SPAWN) {
		ret = op_spawn();
	} else if (o->kind == K_RESTRICT_CTL || o->kind == K_RESTRICT_NL) {
		ret = op_restrict_ctl(o, o->kind == K_RESTRICT_NL);
	} else {
		p = pick_proc(o->r[0]);
		ret = p ? run_proc_op(p, o) : 1;
	}
	if (ret < 0 || failed)
		return -1;
	if (ret > 0) {
		st.skipped++;
		return 1;
	}
	st.ops++;
	st.kind[o->kind]++;
	if (changes_all(o))
		return check_all_maps(0);
	if (p && p->live && changes_maps(o->kind))
		return check_maps(p, 0);
	return 0;
}

/* Every worker exits; then the counts must add up and nothing be left. */
void shutdown_workers(void)
{
	int i;

	for (i = 0; i < nproc; i++)
		if (procs[i].live && proc_exit(&procs[i]))
			return;
}

/* Bytes of segment @s the model knows were written (so must be resident). */
static uint64_t written_bytes(int s)
{
	uint64_t pgi, i, n = 0, words = pg / 8;

	for (pgi = 0; pgi < segs[s].size / pg; pgi++)
		for (i = 0; i < words; i++)
			if (segs[s].shadow[pgi * words + i]) {
				n += pg;
				break;
			}
	return n;
}

int final_checks(void)
{
	struct protshm_info info;
	int s;

	shutdown_workers();
	for (s = 0; s < MAXSEG && !failed; s++) {
		struct mseg *g = &segs[s];

		if (!g->live)
			continue;
		if (ps_info(g->ref_fd, &info, NULL))
			return violation("final INFO: %s", strerror(errno));
		st.final++;
		if (info.nr_attachments != 1 || info.ceiling != PROTSHM_PROT_RW ||
		    info.resident > g->size || info.resident < written_bytes(s))
			return violation("final INFO of %s: %u attachments (want 1, the controller), ceiling %u, resident %llu of %llu, %llu written",
					 g->name, info.nr_attachments, info.ceiling,
					 (unsigned long long)info.resident,
					 (unsigned long long)g->size,
					 (unsigned long long)written_bytes(s));
		if (!g->unlinked && ps_unlink(g->ref_fd))
			return violation("final UNLINK: %s", strerror(errno));
		g->unlinked = 1;
		seg_maybe_free(s);
	}
	return failed ? -1 : 0;
}
