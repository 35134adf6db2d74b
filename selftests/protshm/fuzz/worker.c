// SPDX-License-Identifier: GPL-2.0
/*
 * protshm_fuzz worker: executes the controller's commands one at a time
 * and reports what happened.  It keeps no model of its own.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "../common.h"
#include "../ioctl_helpers.h"
#include "fuzz.h"

static int chan;
static char *scratch;
static char *iocbuf;		/* 2 pages + a PROT_NONE guard */
static int datafd = -1;		/* memfd for pread/pwrite */

/* Memory probes: a thread-local jump buffer, one handler for all threads. */
static __thread sigjmp_buf *probe_jmp;
static __thread void *volatile fault_addr;
static __thread volatile int fault_code;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!probe_jmp)
		_exit(100 + sig);
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(*probe_jmp, sig);
}

/* 8-byte access; 0 or the signal, with fault_addr/fault_code. */
static int probe(volatile uint64_t *p, int write, uint64_t *val)
{
	sigjmp_buf env;
	int sig;

	fault_addr = NULL;
	fault_code = 0;
	probe_jmp = &env;
	sig = sigsetjmp(env, 1);
	if (!sig) {
		if (write)
			*p = *val;
		else
			*val = *p;
	}
	probe_jmp = NULL;
	return sig;
}

static void setup_signals(void)
{
	struct sigaction sa = { .sa_sigaction = fault_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGCHLD, SIG_IGN);	/* forked workers are reaped at once */
	signal(SIGPIPE, SIG_IGN);
}

/* Refill [addr, addr+len) ∩ scratch with PROT_NONE pages where it is empty. */
static void scratch_fill(uint64_t addr, uint64_t len)
{
	uint64_t s = (uintptr_t)scratch, e = s + SCRATCH_PAGES * page_size();
	uint64_t a;

	if (addr < s)
		len = addr + len > s ? addr + len - s : 0, addr = s;
	if (addr + len > e)
		len = addr < e ? e - addr : 0;
	for (a = addr; a < addr + len; a += page_size())
		mmap((void *)(uintptr_t)a, page_size(), PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
}

/* Racer thread: writes an increasing counter until it faults. */
static struct {
	pthread_t th;
	volatile uint64_t *p;
	volatile uint64_t last;		/* last value whose store completed */
	volatile int started, stop, sig, code;
	void *addr;
} race;

/* The racer may run on any CPU, in parallel with the controller. */
static void unpin(pthread_t th)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	pthread_setaffinity_np(th, sizeof(set), &set);
}

static void *racer(void *arg)
{
	uint64_t v = race.last;

	(void)arg;
	while (!race.stop) {
		uint64_t next = v + 1;
		int sig = probe(race.p, 1, &next);

		if (sig) {
			race.sig = sig;
			race.code = fault_code;
			race.addr = fault_addr;
			break;
		}
		v = next;
		race.last = v;
		race.started = 1;
	}
	race.started = 1;
	return NULL;
}

static void do_ioctl(struct wcmd *c, struct wres *r)
{
	long pg = page_size();
	char *arg = iocbuf + 2 * pg - IOC_BUF;
	uint32_t size;
	uint64_t name = 0;

	memset(iocbuf, 0, 2 * pg);
	memcpy(arg, c->buf, IOC_BUF);
	memcpy(&size, c->buf, sizeof(size));
	if (size > IOC_BUF && size <= 2 * pg - 8) {
		/* a long struct: move it down so that all of it is readable */
		arg = iocbuf + 2 * pg - size;
		memset(iocbuf, 0, 2 * pg);
		memcpy(arg, c->buf, IOC_BUF);
	}
	if (c->flags & IOC_TAIL)
		arg[size - 1] = 1;
	if (c->flags & IOC_NAME)
		name = (uintptr_t)r->name;
	if (c->flags & IOC_NAME_BAD)
		name = (uintptr_t)iocbuf + 2 * pg;	/* the guard page */
	memcpy(r->name, c->name, sizeof(r->name));
	if (c->flags & (IOC_NAME | IOC_NAME_BAD))
		memcpy(arg + 8, &name, sizeof(name));
	if (c->mode == IOC_PTR_CUT) {
		memmove(iocbuf + 2 * pg - 8, arg, 8);
		arg = iocbuf + 2 * pg - 8;
	}
	r->ret = ioctl(c->fd, c->arg,
		       c->mode == IOC_PTR_NULL ? NULL : (void *)arg);
	r->err = r->ret < 0 ? errno : 0;
	if (c->mode == IOC_PTR_OK)
		memcpy(r->out, arg, IOC_BUF);
}

static int take_fd(void)
{
	return recv_fd(chan);
}

/* A new worker by fork: its channel arrives by SCM_RIGHTS. */
static void do_fork(struct wres *r)
{
	int nchan = take_fd();
	pid_t pid;

	if (nchan < 0) {
		r->ret = -1;
		r->err = errno;
		return;
	}
	pid = fork();
	if (!pid) {
		close(chan);
		chan = nchan;
		fcntl(chan, F_SETFD, 0);
		r->ret = getpid();
		r->val = (uintptr_t)scratch;
		return;		/* the child answers on its own channel */
	}
	close(nchan);
	r->ret = pid;
	r->err = pid < 0 ? errno : 0;
}

static void do_exec(struct wres *r)
{
	char fdarg[16];
	char *argv[] = { "protshm_fuzz", "--worker", fdarg, NULL };

	snprintf(fdarg, sizeof(fdarg), "%d", chan);
	fcntl(chan, F_SETFD, 0);
	execv("/proc/self/exe", argv);
	r->ret = -1;
	r->err = errno;
}

/*
 * A new worker by vfork() and execve() of the binary, its channel from
 * SCM_RIGHTS: the child uses this address space until it execs.
 */
static void do_vfork(struct wres *r)
{
	int nchan = take_fd();
	char fdarg[16];
	char *argv[] = { "protshm_fuzz", "--worker", fdarg, NULL };
	pid_t pid;

	if (nchan < 0) {
		r->ret = -1;
		r->err = errno;
		return;
	}
	snprintf(fdarg, sizeof(fdarg), "%d", nchan);
	fcntl(nchan, F_SETFD, 0);
	fcntl(chan, F_SETFD, FD_CLOEXEC);
	pid = vfork();
	if (!pid) {
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(nchan);
	r->ret = pid;
	r->err = pid < 0 ? errno : 0;
}

static void mem_rw(struct wcmd *c, struct wres *r, int write)
{
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	uint64_t v = c->val;

	if (fd < 0) {
		r->ret = -1;
		r->err = errno;
		return;
	}
	r->ret = write ? pwrite(fd, &v, 8, c->addr) : pread(fd, &v, 8, c->addr);
	r->err = r->ret < 0 ? errno : 0;
	r->val = v;
	close(fd);
}

static void do_pvw(struct wcmd *c, struct wres *r)
{
	uint64_t v = c->val;
	struct iovec l = { &v, 8 }, rem = { (void *)(uintptr_t)c->addr, 8 };

	r->ret = syscall(SYS_process_vm_writev, getpid(), &l, 1, &rem, 1, 0);
	r->err = r->ret < 0 ? errno : 0;
}

/* pread from the memfd into the mapping, or pwrite from the mapping. */
static void do_file_io(struct wcmd *c, struct wres *r, int into_map)
{
	uint64_t v = c->val;
	void *p = (void *)(uintptr_t)c->addr;

	if (into_map) {
		if (pwrite(datafd, &v, 8, 0) != 8)
			_exit(90);
		r->ret = pread(datafd, p, 8, 0);
	} else {
		r->ret = pwrite(datafd, p, 8, 0);
		if (r->ret == 8 && pread(datafd, &v, 8, 0) != 8)
			_exit(91);
		r->val = v;
	}
	r->err = r->ret < 0 ? errno : 0;
}

static void do_race(struct wcmd *c, struct wres *r, int start)
{
	if (start) {
		memset((void *)&race, 0, sizeof(race));
		race.p = (volatile uint64_t *)(uintptr_t)c->addr;
		race.last = c->val;
		r->ret = pthread_create(&race.th, NULL, racer, NULL);
		if (!r->ret)
			unpin(race.th);
		while (!r->ret && !race.started)
			sched_yield();
		return;
	}
	race.stop = 1;
	pthread_join(race.th, NULL);
	r->ret = 0;
	r->val = race.last;
	r->sig = race.sig;
	r->code = race.code;
	r->fault_at = (uintptr_t)race.addr;
}

static void mem_op(struct wcmd *c, struct wres *r)
{
	void *p = (void *)(uintptr_t)c->addr;

	switch (c->op) {
	case W_MMAP:
		p = mmap(p, c->len, c->prot, c->flags, c->fd, c->arg);
		r->ret = p == MAP_FAILED ? -1 : (int64_t)(uintptr_t)p;
		r->err = p == MAP_FAILED ? errno : 0;
		if (p == MAP_FAILED && (c->flags & MAP_FIXED))
			scratch_fill(c->addr, c->len);
		return;
	case W_MUNMAP:
		r->ret = munmap(p, c->len);
		scratch_fill(c->addr, c->len);
		break;
	case W_MPROTECT:
		r->ret = mprotect(p, c->len, c->prot);
		break;
	case W_MREMAP:
		p = mremap(p, c->len, c->arg, c->flags,
			   (void *)(uintptr_t)c->arg2);
		r->ret = p == MAP_FAILED ? -1 : (int64_t)(uintptr_t)p;
		r->err = p == MAP_FAILED ? errno : 0;
		if (p != MAP_FAILED && p != (void *)(uintptr_t)c->addr)
			scratch_fill(c->addr, c->len);
		else if (p != MAP_FAILED && c->arg < c->len)
			scratch_fill(c->addr + c->arg, c->len - c->arg);
		return;
	case W_MADVISE:
		r->ret = madvise(p, c->len, c->arg);
		break;
	}
	r->err = r->ret < 0 ? errno : 0;
}

static void access_op(struct wcmd *c, struct wres *r)
{
	uint64_t v = c->val;

	r->sig = probe((volatile uint64_t *)(uintptr_t)c->addr,
		       c->op == W_WRITE, &v);
	r->code = fault_code;
	r->fault_at = (uintptr_t)fault_addr;
	r->val = v;
}

static int fd_op(struct wcmd *c, struct wres *r)
{
	char path[64];

	switch (c->op) {
	case W_OPEN:
		r->ret = open(PROTSHM_DEV, O_RDWR | (c->flags ? O_CLOEXEC : 0));
		break;
	case W_CLOSE:
		r->ret = close(c->fd);
		break;
	case W_DUP:
		r->ret = c->flags ? fcntl(c->fd, F_DUPFD_CLOEXEC, 0) : dup(c->fd);
		break;
	case W_REOPEN:
		snprintf(path, sizeof(path), "/proc/self/fd/%d", c->fd);
		r->ret = open(path, O_RDWR | (c->flags ? O_CLOEXEC : 0));
		break;
	case W_GIVEFD:
		r->ret = 0;
		if (write(chan, r, sizeof(*r)) != sizeof(*r))
			_exit(92);
		return send_fd(chan, c->fd) ? -1 : 1;
	case W_TAKEFD:
		r->ret = take_fd();
		if (r->ret >= 0 && !c->flags)
			fcntl(r->ret, F_SETFD, 0);
		break;
	default:
		return 0;
	}
	r->err = r->ret < 0 ? errno : 0;
	return 0;
}

/* Execute one command; 1 if the reply was already sent. */
static int execute(struct wcmd *c, struct wres *r)
{
	memset(r, 0, sizeof(*r));
	switch (c->op) {
	case W_PING:
		r->ret = getpid();
		r->val = (uintptr_t)scratch;
		return 0;
	case W_OPEN: case W_CLOSE: case W_DUP: case W_REOPEN:
	case W_GIVEFD: case W_TAKEFD:
		return fd_op(c, r);
	case W_IOCTL:
		do_ioctl(c, r);
		return 0;
	case W_MMAP: case W_MUNMAP: case W_MPROTECT: case W_MREMAP:
	case W_MADVISE:
		mem_op(c, r);
		return 0;
	case W_READ: case W_WRITE:
		access_op(c, r);
		return 0;
	case W_PREAD: case W_PWRITE:
		do_file_io(c, r, c->op == W_PREAD);
		return 0;
	case W_MEM_READ: case W_MEM_WRITE:
		mem_rw(c, r, c->op == W_MEM_WRITE);
		return 0;
	case W_PVW:
		do_pvw(c, r);
		return 0;
	case W_FORK:
		do_fork(r);
		return 0;
	case W_EXEC:
		do_exec(r);
		return 0;
	case W_VFORK:
		do_vfork(r);
		return 0;
	case W_UNSHARE:
		r->ret = unshare(c->arg);
		r->err = r->ret < 0 ? errno : 0;
		return 0;
	case W_EXIT:
		_exit(0);
	case W_SETUID:
		r->ret = become_user(c->arg, c->arg);
		r->err = r->ret < 0 ? errno : 0;
		return 0;
	case W_RACE_START: case W_RACE_STOP:
		do_race(c, r, c->op == W_RACE_START);
		return 0;
	}
	r->ret = -1;
	r->err = ENOSYS;
	return 0;
}

/* Runs in a fresh image (spawn or exec): answers PING-like when ready. */
int worker_main(int fd)
{
	long pg = page_size();
	struct wcmd c;
	struct wres r;

	chan = fd;
	fcntl(chan, F_SETFD, FD_CLOEXEC);
	setup_signals();
	scratch = mmap(NULL, SCRATCH_PAGES * pg, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	iocbuf = guarded_pages(2);
	datafd = memfd_create("protshm_fuzz", MFD_CLOEXEC);
	if (scratch == MAP_FAILED || iocbuf == MAP_FAILED || datafd < 0)
		return 93;
	memset(&c, 0, sizeof(c));
	execute(&c, &r);	/* the ready message */
	for (;;) {
		if (write(chan, &r, sizeof(r)) != sizeof(r))
			return 94;
		if (read(chan, &c, sizeof(c)) != sizeof(c))
			return 0;	/* the controller is gone */
		while (execute(&c, &r)) {
			if (read(chan, &c, sizeof(c)) != sizeof(c))
				return 0;
		}
	}
}
