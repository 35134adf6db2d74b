// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * demo.c - protshm in one story: an owner takes the pen from one writer
 * while the other keeps writing.
 *
 * The owner creates the segment "demo" (16 pages) and forks two consumers,
 * A and B.  Each attaches by name with read/write rights, maps the whole
 * segment and writes a counter into its own page as fast as it can:
 *
 *	page 0	control page: the owner's flags
 *	page 1	A's region
 *	page 2	B's region
 *
 * While both are writing, the owner lowers A's ceiling to read-only with
 * protshm_restrict(), at a moment when A is between two writes (A waits
 * while the owner's "hold A" flag is set).  A watches its handle's fd with
 * epoll: before writing again it learns of the revoke (EPOLLPRI, then the
 * record from protshm_events_read(): rw -> r, by the owner's pid), reports
 * it, and then writes anyway to show that the kernel enforces it.  That
 * write faults (SIGSEGV, SEGV_ACCERR); its signal handler reports the fault
 * to the owner through a pipe.  The owner then checks that:
 *   - A was told of the revoke through epoll before its write faulted, by
 *     a record naming the owner and the old and new ceilings;
 *   - the fault is SIGSEGV/SEGV_ACCERR at an address inside A's page;
 *   - A's data is intact: its page holds exactly the last value A completed
 *     before the fault, and nothing changed after protshm_restrict() returned;
 *   - A can still read its mapping, and its ceiling reads back as "r";
 *   - B, never restricted, is still writing.
 * It prints a PASS/FAIL summary and exits 0 only if every check passed.
 *
 * The write protocol that makes "intact" checkable: iteration i stores
 *	seq = i;  log[i % LOG_LEN] = i;  done = i;
 * in this order (sequentially consistent atomics), then records i as
 * completed in a private variable the signal handler reports.  A fault hits
 * one of the three stores of iteration i = last + 1, so afterwards
 * done == last, seq is last or last + 1, and the log holds the LOG_LEN - 1
 * values before last + 1.
 *
 * Coordination: each consumer has a pipe to the owner for its messages
 * (hello, fault, read-back, done, error); the owner's stop flag lives in the
 * control page.  Every wait has a timeout, and consumers die with the owner
 * (PR_SET_PDEATHSIG), so a broken kernel cannot make the demo hang.
 *
 * Hook: if PROTSHM_DEMO_SHOW is set (e.g. to "protshmctl show demo"), it is
 * run with system(3) after the checks, while the segment exists, A is
 * attached read-only and B is still writing.
 *
 * Only the libprotshm API and libc are used.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* pipe2() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <protshm.h>

#define SEG_NAME	"demo"
#define SEG_PAGES	16
#define LOG_LEN		256	/* log entries per consumer region */
#define WARMUP_ITERS	5000	/* iterations both must write before the revoke */
#define TIMEOUT_MS	10000	/* any single wait for a consumer */
#define WATCHDOG_S	120	/* the whole demo */

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
	       "shared-memory counters need lock-free 64-bit atomics");

/* Page 0 of the segment. */
struct control {
	_Atomic uint32_t stop;		/* set by the owner: consumers exit */
	_Atomic uint32_t revoked;	/* set by the owner once it has told of
					 * the revoke; only orders the output */
	_Atomic uint32_t hold_a;	/* set by the owner: A waits between
					 * two writes until it is cleared */
};

/* Pages 1 and 2: one per consumer, written only by that consumer. */
struct region {
	_Atomic uint64_t seq;		/* first store of an iteration */
	_Atomic uint64_t log[LOG_LEN];	/* log[i % LOG_LEN] = i */
	_Atomic uint64_t done;		/* last store: iteration complete */
};

/* Messages from a consumer to the owner, one write(2) each (< PIPE_BUF). */
enum msg_kind {
	MSG_HELLO = 1,	/* attached and mapped; @addr: its region */
	MSG_FAULT,	/* @signo, @code, @addr: si_addr, @value: last done */
	MSG_READBACK,	/* after the fault: @value read, @ceiling */
	MSG_DONE,	/* stopped normally; @value: last done */
	MSG_ERROR,	/* setup failed; @err: -errno */
	MSG_HELD,	/* A stopped between two writes for the owner */
	MSG_NOTIFIED,	/* A read a lowering record: @ev */
};

struct msg {
	int kind;
	int signo;
	int code;
	int err;
	unsigned int ceiling;
	uint64_t addr;
	uint64_t value;
	struct protshm_event ev;
};

/* The owner's view of one consumer. */
struct consumer {
	char name;		/* 'A' or 'B' */
	int page;		/* its region's page in the segment */
	pid_t pid;
	int fd;			/* read end of its pipe */
	uint64_t region_addr;	/* its region, in its own address space */
	struct region *region;	/* its region, through the owner's mapping */
};

static size_t page_size;
static size_t seg_size;

/* ---- messages ---------------------------------------------------------- */

/* send_msg - write one message; async-signal-safe. */
static void send_msg(int fd, const struct msg *m)
{
	ssize_t n;

	do {
		n = write(fd, m, sizeof(*m));
	} while (n < 0 && errno == EINTR);
}

/* recv_msg - read one message within @timeout_ms; 0 or -errno. */
static int recv_msg(int fd, struct msg *m, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret <= 0)
		return ret == 0 ? -ETIMEDOUT : -errno;
	do {
		n = read(fd, m, sizeof(*m));
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(*m))
		return 0;
	return n < 0 ? -errno : -EPIPE;	/* EOF: the consumer is gone */
}

/* expect_msg - receive a message of @kind from @c, or explain why not. */
static int expect_msg(const struct consumer *c, int kind, struct msg *m)
{
	int ret = recv_msg(c->fd, m, TIMEOUT_MS);

	if (ret < 0) {
		fprintf(stderr, "owner: no message from %c: %s\n", c->name,
			strerror(-ret));
		return ret;
	}
	if (m->kind == MSG_ERROR) {
		fprintf(stderr, "owner: consumer %c failed: %s\n", c->name,
			strerror(-m->err));
		return m->err;
	}
	if (m->kind != kind) {
		fprintf(stderr, "owner: unexpected message %d from %c\n",
			m->kind, c->name);
		return -EPROTO;
	}
	return 0;
}

/* ---- small helpers ----------------------------------------------------- */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *sig_name(int signo)
{
	return signo == SIGSEGV ? "SIGSEGV" : signo == SIGBUS ? "SIGBUS" : "signal";
}

static const char *si_code_name(int signo, int code)
{
	if (signo == SIGSEGV && code == SEGV_ACCERR)
		return "SEGV_ACCERR";
	if (signo == SIGSEGV && code == SEGV_MAPERR)
		return "SEGV_MAPERR";
	return "unexpected si_code";
}

static struct region *region_at(void *base, int page)
{
	return (struct region *)((char *)base + (size_t)page * page_size);
}

/* ---- the consumer (child process) -------------------------------------- */

static int report_fd = -1;		/* write end of the pipe to the owner */
static _Atomic uint64_t last_done;	/* last completed iteration */
static sigjmp_buf recover;		/* where the fault handler returns to */
static volatile sig_atomic_t recover_armed;
static struct msg fault_msg;		/* filled by the handler */

/*
 * on_fault - SIGSEGV/SIGBUS handler: report the fault to the owner with
 * write(2) (async-signal-safe), then jump back out of the write loop.  A
 * second fault (e.g. when even reading fails) just exits.
 */
static void on_fault(int signo, siginfo_t *si, void *ucontext)
{
	int saved_errno = errno;

	(void)ucontext;
	fault_msg.kind = MSG_FAULT;
	fault_msg.signo = signo;
	fault_msg.code = si->si_code;
	fault_msg.addr = (uintptr_t)si->si_addr;
	fault_msg.value = atomic_load(&last_done);
	send_msg(report_fd, &fault_msg);
	errno = saved_errno;
	if (recover_armed) {
		recover_armed = 0;
		siglongjmp(recover, 1);
	}
	_exit(3);
}

static int install_fault_handler(void)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) < 0 || sigaction(SIGBUS, &sa, NULL) < 0)
		return -errno;
	return 0;
}

/*
 * learn_revoke - A, held by the owner between two writes: is a lowering
 * pending on its fd (epoll, EPOLLPRI)?  Then read it and tell the owner
 * before writing again.
 */
static void learn_revoke(char name, struct protshm *shm, int ep)
{
	struct msg m = { .kind = MSG_NOTIFIED };
	struct epoll_event e;

	if (epoll_wait(ep, &e, 1, TIMEOUT_MS) != 1 || !(e.events & EPOLLPRI) ||
	    protshm_events_read(shm, &m.ev, 1, 0) != 1)
		return;
	printf("consumer %c: epoll: EPOLLPRI -- ceiling %s -> %s, by pid %u;"
	       " writing anyway\n", name, protshm_strprot(m.ev.old_prot),
	       protshm_strprot(m.ev.new_prot), m.ev.by_pid);
	send_msg(report_fd, &m);
}

/*
 * hold - tell the owner that A stopped between two writes, wait while it
 * holds A (A may not write the control page: it is about to lose write
 * access), then look for a lowering record.
 */
static void hold(const struct control *ctl, char name, struct protshm *shm,
		 int ep)
{
	struct msg m = { .kind = MSG_HELD };

	send_msg(report_fd, &m);
	while (atomic_load(&ctl->hold_a) && !atomic_load(&ctl->stop))
		sleep_ms(1);
	learn_revoke(name, shm, ep);
}

/*
 * write_loop - write the counter into @r until the owner says stop; A
 * stops between two writes while the owner holds it.
 */
static void write_loop(struct region *r, const struct control *ctl, char name,
		       struct protshm *shm, int ep)
{
	uint64_t i = 0;

	while (!atomic_load(&ctl->stop)) {
		if (name == 'A' && atomic_load(&ctl->hold_a))
			hold(ctl, name, shm, ep);
		i++;
		atomic_store(&r->seq, i);
		atomic_store(&r->log[i % LOG_LEN], i);
		atomic_store(&r->done, i);
		atomic_store(&last_done, i);
	}
}

/* wait_for - wait until the owner sets @flag (or says stop). */
static void wait_for(const _Atomic uint32_t *flag, const struct control *ctl)
{
	while (!atomic_load(flag) && !atomic_load(&ctl->stop))
		sleep_ms(1);
}

/*
 * after_fault - A's story after its write was denied: tell what happened,
 * show that the mapping is still readable and the ceiling is now "r", then
 * stay attached (for PROTSHM_DEMO_SHOW) until the owner says stop.
 */
static void after_fault(char name, struct protshm *shm, struct region *r,
			const struct control *ctl)
{
	struct msg m = { .kind = MSG_READBACK, .ceiling = ~0u };
	struct protshm_info info;

	wait_for(&ctl->revoked, ctl);	/* let the owner speak first */
	printf("consumer %c: %s at %#" PRIx64 " (%s) -- write denied\n", name,
	       sig_name(fault_msg.signo), fault_msg.addr,
	       si_code_name(fault_msg.signo, fault_msg.code));
	m.value = atomic_load(&r->done);	/* a read: still allowed */
	if (protshm_info(shm, &info, NULL) == 0)
		m.ceiling = info.ceiling;
	printf("consumer %c: can still read its page: last value %" PRIu64
	       ", ceiling now %s\n", name, m.value, protshm_strprot(m.ceiling));
	send_msg(report_fd, &m);
	wait_for(&ctl->stop, ctl);
}

/* report_done - the write loop ended because the owner said stop. */
static void report_done(char name)
{
	struct msg m = { .kind = MSG_DONE, .value = atomic_load(&last_done) };

	printf("consumer %c: stopped after %" PRIu64 " iterations\n", name, m.value);
	send_msg(report_fd, &m);
}

static int consumer_fail(char name, const char *what, int err)
{
	struct msg m = { .kind = MSG_ERROR, .err = err };

	fprintf(stderr, "consumer %c: %s: %s\n", name, what, strerror(-err));
	send_msg(report_fd, &m);
	return 1;
}

/* consumer_main - body of a consumer process; returns its exit status. */
static int consumer_main(char name, int page)
{
	struct epoll_event e = { .events = EPOLLPRI };
	struct msg hello = { .kind = MSG_HELLO };
	struct protshm *shm;
	const struct control *ctl;
	struct region *r;
	void *base;
	int ret, ep;

	ret = protshm_attach(SEG_NAME, PROTSHM_PROT_RW, &shm);
	if (ret < 0)
		return consumer_fail(name, "protshm_attach", ret);
	ret = protshm_map(shm, 0, seg_size, PROT_READ | PROT_WRITE, &base);
	if (ret < 0)
		return consumer_fail(name, "protshm_map", ret);
	ret = install_fault_handler();
	if (ret < 0)
		return consumer_fail(name, "sigaction", ret);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, protshm_fd(shm), &e) < 0)
		return consumer_fail(name, "epoll", -errno);
	ctl = base;
	r = region_at(base, page);
	printf("consumer %c (pid %d): attached \"%s\" rw, writing page %d at %p ...\n",
	       name, (int)getpid(), SEG_NAME, page, (void *)r);
	hello.addr = (uintptr_t)r;
	send_msg(report_fd, &hello);

	if (sigsetjmp(recover, 1) == 0) {
		recover_armed = 1;
		write_loop(r, ctl, name, shm, ep);
		recover_armed = 0;
		report_done(name);
	} else {
		after_fault(name, shm, r, ctl);	/* the write loop faulted */
	}
	close(ep);
	protshm_unmap(base, seg_size);
	protshm_close(shm);
	return 0;
}

/* ---- the owner --------------------------------------------------------- */

#define MAX_CHECKS 20

static struct {
	bool ok;
	char text[112];
} checks[MAX_CHECKS];
static int nr_checks;

/* check - record one PASS/FAIL line for the summary; returns @ok. */
__attribute__((format(printf, 2, 3)))
static bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (nr_checks < MAX_CHECKS) {
		checks[nr_checks].ok = ok;
		va_start(ap, fmt);
		vsnprintf(checks[nr_checks].text, sizeof(checks[0].text), fmt, ap);
		va_end(ap);
		nr_checks++;
	}
	return ok;
}

/* unlink_stale - remove a "demo" segment left over by an earlier run. */
static int unlink_stale(void)
{
	struct protshm *old;
	int ret;

	ret = protshm_attach(SEG_NAME, PROTSHM_PROT_NONE, &old);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	ret = protshm_unlink(old);
	protshm_close(old);
	if (ret == 0)
		printf("owner: removed a stale segment \"%s\"\n", SEG_NAME);
	return ret == -ENOENT ? 0 : ret;
}

/* owner_setup - create and map the segment; 0 or -errno (reported). */
static int owner_setup(struct protshm **shm, void **base)
{
	struct protshm_info info;
	int ret;

	ret = protshm_abi_version();
	if (ret < 0) {
		fprintf(stderr, "owner: %s: %s (is the module loaded?)\n",
			PROTSHM_DEVICE, strerror(-ret));
		return ret;
	}
	printf("owner: protshm ABI version %d (library built for %d)\n",
	       ret, PROTSHM_ABI_VERSION);
	ret = unlink_stale();
	if (ret < 0) {
		fprintf(stderr, "owner: stale \"%s\": %s\n", SEG_NAME, strerror(-ret));
		return ret;
	}
	ret = protshm_create(SEG_NAME, seg_size, 0600, PROTSHM_PROT_RW, shm);
	if (ret < 0) {
		fprintf(stderr, "owner: protshm_create: %s\n", strerror(-ret));
		return ret;
	}
	ret = protshm_map(*shm, 0, seg_size, PROT_READ | PROT_WRITE, base);
	if (ret == 0)
		ret = protshm_info(*shm, &info, NULL);
	if (ret < 0) {
		fprintf(stderr, "owner: map/info: %s\n", strerror(-ret));
		protshm_unlink(*shm);
		protshm_close(*shm);
		return ret;
	}
	printf("owner: created segment \"%s\" (%zu KiB, id %" PRIu64
	       ", mode %04o, rights %s), mapped at %p\n", SEG_NAME, seg_size / 1024,
	       (uint64_t)info.id, info.mode, protshm_strprot(info.ceiling), *base);
	return 0;
}

/*
 * start_consumer - fork consumer @c.  The child drops the owner's handle
 * and mapping it inherited and attaches by name like an unrelated process.
 */
static int start_consumer(struct consumer *c, struct protshm *shm, void *base)
{
	pid_t owner = getpid();
	struct msg m;
	int p[2], status;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0) {
		close(p[0]);
		close(p[1]);
		return -EAGAIN;
	}
	if (c->pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != owner)
			_exit(1);
		close(p[0]);
		report_fd = p[1];
		protshm_unmap(base, seg_size);
		protshm_close(shm);
		status = consumer_main(c->name, c->page);
		fflush(stdout);
		_exit(status);
	}
	close(p[1]);
	c->fd = p[0];
	c->region = region_at(base, c->page);
	if (expect_msg(c, MSG_HELLO, &m) < 0)
		return -EPROTO;
	c->region_addr = m.addr;
	return 0;
}

/* wait_warmup - wait until every consumer has written WARMUP_ITERS values. */
static bool wait_warmup(struct consumer *cons, int n)
{
	int waited, i, ready;

	for (waited = 0; waited < TIMEOUT_MS; waited++) {
		for (i = 0, ready = 0; i < n; i++)
			ready += atomic_load(&cons[i].region->done) >= WARMUP_ITERS;
		if (ready == n)
			return true;
		sleep_ms(1);
	}
	return check(false, "consumers started writing within %d ms", TIMEOUT_MS);
}

/* log_intact - the LOG_LEN - 1 values up to and including @last are in @r. */
static bool log_intact(struct region *r, uint64_t last)
{
	uint64_t k;

	for (k = last; k > 0 && k + LOG_LEN - 1 > last; k--)
		if (atomic_load(&r->log[k % LOG_LEN]) != k)
			return false;
	return true;
}

/* check_fault - the fault A reported is the expected one, in A's page. */
static void check_fault(const struct consumer *a, const struct msg *f)
{
	uint64_t off = f->addr - a->region_addr;
	bool in_page = f->addr >= a->region_addr && off < page_size;

	check(f->signo == SIGSEGV && f->code == SEGV_ACCERR,
	      "A's write faulted with SIGSEGV/SEGV_ACCERR (got %s/%s)",
	      sig_name(f->signo), si_code_name(f->signo, f->code));
	if (in_page)
		printf("owner: A's fault address is inside A's page %d (offset %#"
		       PRIx64 ")\n", a->page, off);
	check(in_page, "fault address %#" PRIx64 " inside A's page %d",
	      f->addr, a->page);
}

/* check_data - A's page holds exactly what A completed before the fault. */
static void check_data(const struct consumer *a, const struct msg *f,
		       const struct msg *rb)
{
	struct region *r = a->region;
	uint64_t last = f->value, done = atomic_load(&r->done);
	uint64_t seq = atomic_load(&r->seq);
	bool intact = done == last && (seq == last || seq == last + 1) &&
		      log_intact(r, last);

	if (intact)
		printf("owner: A's last value %" PRIu64 " intact\n", last);
	check(intact, "A's data intact (done %" PRIu64 ", last reported %"
	      PRIu64 ", seq %" PRIu64 ", log)", done, last, seq);
	check(rb->value == last, "A can still read its page (read %" PRIu64 ")",
	      rb->value);
	check(rb->ceiling == PROTSHM_PROT_READ, "A's ceiling is now r (got %s)",
	      protshm_strprot(rb->ceiling));
}

/* hold_a - stop A between two writes; false if it did not stop. */
static bool hold_a(struct control *ctl, const struct consumer *a)
{
	struct msg m;

	atomic_store(&ctl->hold_a, 1);
	return check(expect_msg(a, MSG_HELD, &m) == 0,
		     "A stopped between two writes for the revoke");
}

/* check_notified - A learned of the revoke through epoll, from the owner. */
static void check_notified(const struct consumer *a)
{
	const struct protshm_event *ev;
	struct msg m;

	if (!check(expect_msg(a, MSG_NOTIFIED, &m) == 0,
		   "A learned of its revoke through epoll before writing"))
		return;
	ev = &m.ev;
	check(ev->type == PROTSHM_EVENT_CEILING &&
	      ev->old_prot == PROTSHM_PROT_RW &&
	      ev->new_prot == PROTSHM_PROT_READ &&
	      ev->by_pid == (uint32_t)getpid(),
	      "A's record: ceiling %s -> %s by pid %u (type %u)",
	      protshm_strprot(ev->old_prot), protshm_strprot(ev->new_prot),
	      ev->by_pid, ev->type);
}

/*
 * revoke_a - lower A's ceiling to read-only while it is held between two
 * writes, let it go, then check.
 */
static void revoke_a(struct protshm *shm, struct control *ctl,
		     const struct consumer *a)
{
	struct msg fault, readback;
	uint64_t at_revoke, now;
	bool faulted;
	int ret;

	if (!hold_a(ctl, a))
		return;
	printf("owner: revoking write access of A (pid %d) ...\n", (int)a->pid);
	ret = protshm_restrict(shm, a->pid, PROTSHM_PROT_READ, 0);
	at_revoke = atomic_load(&a->region->done);
	if (!check(ret == 0, "protshm_restrict(A, r) returned %d", ret))
		return;
	printf("owner: restrict returned; A's counter stands at %" PRIu64 "\n",
	       at_revoke);
	atomic_store(&ctl->revoked, 1);
	atomic_store(&ctl->hold_a, 0);

	check_notified(a);
	faulted = expect_msg(a, MSG_FAULT, &fault) == 0;
	now = atomic_load(&a->region->done);
	check(now == at_revoke, "A's counter unchanged since the revoke "
	      "returned (%" PRIu64 " -> %" PRIu64 ")", at_revoke, now);
	if (!check(faulted, "A reported a write fault after the revoke"))
		return;
	if (!check(expect_msg(a, MSG_READBACK, &readback) == 0,
		   "A survived its fault and read its page"))
		return;
	check_fault(a, &fault);
	check_data(a, &fault, &readback);
}

/* check_still_writing - B's counter moves on after A's revoke. */
static void check_still_writing(const struct consumer *b)
{
	uint64_t before = atomic_load(&b->region->done), after;

	sleep_ms(100);
	after = atomic_load(&b->region->done);
	printf("consumer %c (pid %d): still writing: %" PRIu64 " -> %" PRIu64
	       " in 100 ms\n", b->name, (int)b->pid, before, after);
	check(after > before, "B still writing after A's revoke (%" PRIu64
	      " -> %" PRIu64 ")", before, after);
}

/* run_show_hook - run $PROTSHM_DEMO_SHOW while everything is still alive. */
static void run_show_hook(void)
{
	const char *cmd = getenv("PROTSHM_DEMO_SHOW");
	int status;

	if (!cmd || !*cmd)
		return;
	printf("owner: running PROTSHM_DEMO_SHOW: %s\n", cmd);
	fflush(stdout);
	status = system(cmd);
	check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "PROTSHM_DEMO_SHOW command succeeded (status %#x)", status);
}

/* reap - wait up to TIMEOUT_MS for @c to exit, then kill it; its status. */
static int reap(struct consumer *c)
{
	int waited, status = -1;

	for (waited = 0; waited < TIMEOUT_MS; waited++) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid)
			return status;
		sleep_ms(1);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
	return status;
}

/*
 * finish_consumer - after the stop flag: a writer that was never restricted
 * reports how far it got, which must be what its page holds; then every
 * consumer must exit with status 0.
 */
static void finish_consumer(struct consumer *c, bool expect_done)
{
	struct msg m;
	int status;

	if (expect_done && expect_msg(c, MSG_DONE, &m) == 0)
		check(atomic_load(&c->region->done) == m.value &&
		      log_intact(c->region, m.value),
		      "%c stopped cleanly, its last value %" PRIu64 " intact",
		      c->name, m.value);
	else if (expect_done)
		check(false, "%c stopped cleanly", c->name);
	status = reap(c);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "consumer %c (pid %d) exited normally (status %#x)",
	      c->name, (int)c->pid, status);
	close(c->fd);
}

static int print_summary(void)
{
	int i, failed = 0;

	printf("\nsummary:\n");
	for (i = 0; i < nr_checks; i++) {
		printf("  %s  %s\n", checks[i].ok ? "PASS" : "FAIL", checks[i].text);
		failed += !checks[i].ok;
	}
	if (failed || nr_checks == 0) {
		printf("demo: %d of %d checks FAILED\n", failed, nr_checks);
		return 1;
	}
	printf("demo: all checks passed\n");
	return 0;
}

int main(void)
{
	struct consumer cons[2] = {
		{ .name = 'A', .page = 1, .pid = -1 },
		{ .name = 'B', .page = 2, .pid = -1 },
	};
	struct control *ctl;
	struct protshm *shm;
	void *base;
	int i, started = 0, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* keep the processes' lines in order */
	alarm(WATCHDOG_S);	/* a hang kills us, and so the consumers */
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	seg_size = SEG_PAGES * page_size;
	if (owner_setup(&shm, &base) < 0)
		return 1;
	ctl = base;

	while (started < 2 && start_consumer(&cons[started], shm, base) == 0)
		started++;
	if (check(started == 2, "both consumers attached and mapped the segment") &&
	    wait_warmup(cons, 2)) {
		printf("owner: both consumers are writing (A at %" PRIu64 ", B at %"
		       PRIu64 ")\n", atomic_load(&cons[0].region->done),
		       atomic_load(&cons[1].region->done));
		revoke_a(shm, ctl, &cons[0]);
		check_still_writing(&cons[1]);
		run_show_hook();
	}

	printf("owner: stopping the consumers\n");
	atomic_store(&ctl->stop, 1);
	for (i = 0; i < 2; i++)
		if (cons[i].pid > 0)
			finish_consumer(&cons[i], i == 1);

	ret = protshm_unlink(shm);
	check(ret == 0, "unlinked \"%s\" (returned %d)", SEG_NAME, ret);
	protshm_unmap(base, seg_size);
	protshm_close(shm);
	return print_summary();
}
