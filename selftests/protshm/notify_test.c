// SPDX-License-Identifier: GPL-2.0
/*
 * Lowering notifications: read(2) and poll/epoll of a bound file report the
 * changes of the reader's rights (Documentation/userspace-api/protshm.rst,
 * "Lowering notifications").
 *
 * Every "nothing pending" check follows a control that finds a record on
 * the same file.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>

#include "common.h"
#include "kselftest_harness.h"

#define RW		(PROT_READ | PROT_WRITE)

FIXTURE(notify) {
	char name[PROTSHM_NAME_MAX];
	size_t ps;
	int fd;
};

FIXTURE_SETUP(notify)
{
	self->ps = page_size();
	ps_name(self->name, sizeof(self->name), "ntf");
	self->fd = ps_new(self->name, 4 * self->ps);
	ASSERT_LE(0, self->fd) {
		TH_LOG("create %s: %s", self->name, strerror(errno));
	}
}

FIXTURE_TEARDOWN(notify)
{
	if (self->fd < 0)
		return;
	EXPECT_EQ(0, ps_unlink(self->fd));
	EXPECT_EQ(0, close(self->fd));
}

/* Is an event pending on @fd for poll(2)?  Returns the revents. */
static short poll_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLPRI | POLLIN };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

/* Check a record's fixed fields. */
#define ASSERT_RECORD(ev, type_, old_, new_, by_, seq_, lost_) do {	\
	ASSERT_EQ(PROTSHM_EVENT_VERSION, (ev).version);			\
	ASSERT_EQ(sizeof(struct protshm_event), (ev).size);		\
	ASSERT_EQ((uint32_t)(type_), (ev).type);			\
	ASSERT_EQ((uint32_t)(old_), (ev).old_prot);			\
	ASSERT_EQ((uint32_t)(new_), (ev).new_prot);			\
	ASSERT_EQ((uint32_t)(by_), (ev).by_pid);			\
	ASSERT_EQ((uint64_t)(seq_), (ev).seq);				\
	ASSERT_EQ((uint32_t)(lost_), (ev).lost);			\
} while (0)

/* Errors: unbound file, short buffer, nothing pending. */
TEST_F(notify, errors_and_eagain)
{
	struct protshm_event ev[2];
	int unbound = ps_open();

	ASSERT_LE(0, unbound);
	ASSERT_EQ(-1, ps_events(unbound, ev, 1));
	ASSERT_EQ(EBADFD, errno);
	ASSERT_EQ(POLLERR, poll_now(unbound));
	close(unbound);

	ASSERT_EQ(0, poll_now(self->fd));
	ASSERT_EQ(-1, ps_events(self->fd, ev, 1));
	ASSERT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ, 0));
	/* a buffer smaller than one record consumes nothing */
	ASSERT_EQ(-1, read(self->fd, ev, sizeof(ev[0]) - 1));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(1, ps_events(self->fd, ev, 2));
	ASSERT_EQ(-1, ps_events(self->fd, ev, 2));
	ASSERT_EQ(EAGAIN, errno);
}

/* Record contents; a RESTRICT that changes nothing queues nothing. */
TEST_F(notify, record_contents_and_order)
{
	struct protshm_event ev[4];
	uint64_t t0, t1, t2;

	t0 = now_ns();
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ, 0));
	t1 = now_ns();
	ASSERT_EQ(POLLPRI | POLLIN, poll_now(self->fd));
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_RW, 0));
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_NONE, 0));
	t2 = now_ns();
	ASSERT_EQ(2, ps_events(self->fd, ev, 4));
	ASSERT_RECORD(ev[0], PROTSHM_EVENT_CEILING, PROTSHM_PROT_RW,
		      PROTSHM_PROT_READ, getpid(), 1, 0);
	ASSERT_LE(t0, ev[0].time_ns);
	ASSERT_GE(t1, ev[0].time_ns);
	ASSERT_RECORD(ev[1], PROTSHM_EVENT_CEILING, PROTSHM_PROT_READ,
		      PROTSHM_PROT_NONE, getpid(), 2, 0);
	ASSERT_LE(ev[0].time_ns, ev[1].time_ns);
	ASSERT_GE(t2, ev[1].time_ns);
	ASSERT_EQ(0, poll_now(self->fd));
}

/* One reader per process: two files of the process share one queue. */
TEST_F(notify, one_queue_per_process)
{
	struct protshm_event ev;
	int fd2 = ps_open();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ps_attach(fd2, self->name, PROTSHM_PROT_READ));
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(POLLPRI | POLLIN, poll_now(fd2));
	ASSERT_EQ(1, ps_events(fd2, &ev, 1));
	ASSERT_EQ(PROTSHM_EVENT_CEILING, ev.type);
	ASSERT_EQ(0, poll_now(self->fd));
	ASSERT_EQ(-1, ps_events(self->fd, &ev, 1));
	ASSERT_EQ(EAGAIN, errno);
	close(fd2);
}

/*
 * The owner restricts a child: the child, and only it, gets the record,
 * with the owner as by_pid; once RESTRICT has returned its write faults
 * (the record is queued when the ceiling drops, which can be before the
 * RESTRICT has lowered the child's mappings).
 */
TEST_F(notify, learns_before_fault)
{
	struct sync_pipe s;
	struct protshm_event ev;
	pid_t pid;
	char *p;

	p = map(self->fd, self->ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, sync_init(&s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct pollfd pfd = { .fd = self->fd, .events = POLLPRI };

		CHILD_ASSERT(probe_write(p, 'c') == 0);
		CHILD_ASSERT(sync_send(s.to_parent[1], 'm') == 0);
		CHILD_ASSERT(poll(&pfd, 1, 10000) == 1);
		CHILD_ASSERT(pfd.revents & POLLPRI);
		CHILD_ASSERT(read(self->fd, &ev, sizeof(ev)) == sizeof(ev));
		CHILD_ASSERT(ev.type == PROTSHM_EVENT_CEILING);
		CHILD_ASSERT(ev.old_prot == PROTSHM_PROT_RW);
		CHILD_ASSERT(ev.new_prot == PROTSHM_PROT_READ);
		CHILD_ASSERT(ev.by_pid == (uint32_t)getppid());
		CHILD_ASSERT(sync_recv(s.to_child[0]) == 'd');
		CHILD_ASSERT(probe_read(p) == 0 && *p == 'c');
		CHILD_ASSERT_ACCERR(probe_write(p, 'x'), p);
		_exit(0);
	}
	ASSERT_EQ('m', sync_recv(s.to_parent[0]));
	ASSERT_EQ(0, ps_restrict(self->fd, pid, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'd'));
	ASSERT_EQ(0, wait_child(pid));
	/* the owner was not lowered */
	ASSERT_EQ(0, poll_now(self->fd));
	ASSERT_EQ(0, probe_write(p, 'o'));
	ASSERT_EQ(0, munmap(p, self->ps));
}

/*
 * by_pid is a pid of the reader's pid namespace: 0 for a restricter outside
 * it, the restricter's own number inside it.
 */
TEST_F(notify, by_pid_in_reader_namespace)
{
	struct protshm_event ev;
	struct sync_pipe s;
	pid_t pid;
	int fd;

	if (unshare(CLONE_NEWPID))
		SKIP(return, "unshare(CLONE_NEWPID): %s", strerror(errno));
	ASSERT_EQ(0, sync_init(&s));
	pid = fork();		/* pid 1 of the new namespace */
	ASSERT_LE(0, pid);
	if (!pid) {
		fd = ps_open();
		CHILD_ASSERT(fd >= 0 && ps_attach(fd, self->name,
						  PROTSHM_PROT_RW) == 0);
		CHILD_ASSERT(getpid() == 1);
		CHILD_ASSERT(sync_send(s.to_parent[1], 'a') == 0);
		CHILD_ASSERT(sync_recv(s.to_child[0]) == 'r');
		CHILD_ASSERT(ps_events(fd, &ev, 1) == 1);
		CHILD_ASSERT(ev.by_pid == 0 && ev.new_prot == PROTSHM_PROT_READ);
		CHILD_ASSERT(ps_restrict(fd, 0, PROTSHM_PROT_NONE, 0) == 0);
		CHILD_ASSERT(ps_events(fd, &ev, 1) == 1);
		CHILD_ASSERT(ev.by_pid == 1 && ev.new_prot == PROTSHM_PROT_NONE);
		_exit(0);
	}
	ASSERT_EQ('a', sync_recv(s.to_parent[0]));
	ASSERT_EQ(0, ps_restrict(self->fd, pid, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'r'));
	ASSERT_EQ(0, wait_child(pid));
}

/*
 * A file bound by another process: the binder's lowerings are reported as
 * PROTSHM_EVENT_FD when they lower the file's rights.  The reader's own
 * ceiling stays RW.  Returns the number of records read (at most 1) into
 * @ev.
 */
static int fd_rights_case(const char *name, uint32_t fd_prot, uint32_t lower,
			  struct protshm_event *ev)
{
	int sv[2], fd, n;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {	/* the binder */
		fd = ps_open();
		CHILD_ASSERT(fd >= 0 && ps_attach(fd, name, fd_prot) == 0);
		CHILD_ASSERT(send_fd(sv[1], fd) == 0);
		CHILD_ASSERT(sync_recv(sv[1]) == 'l');
		CHILD_ASSERT(ps_restrict(fd, 0, lower, 0) == 0);
		CHILD_ASSERT(sync_send(sv[1], 'd') == 0);
		_exit(0);
	}
	fd = recv_fd(sv[0]);
	n = fd < 0 || ps_events(fd, ev, 1) != -1 || errno != EAGAIN ||
	    sync_send(sv[0], 'l') || sync_recv(sv[0]) != 'd' ? -1 :
	    ps_events(fd, ev, 1);
	if (n < 0 && errno == EAGAIN)
		n = 0;
	if (wait_child(pid))
		n = -1;
	close(fd);
	close(sv[0]);
	close(sv[1]);
	return n;
}

TEST_F(notify, fd_rights_combinations)
{
	static const struct {
		uint32_t fd_prot, lower;
		int want;
	} c[] = {
		{ PROTSHM_PROT_RW, PROTSHM_PROT_READ, 1 },
		{ PROTSHM_PROT_RW, PROTSHM_PROT_NONE, 1 },
		{ PROTSHM_PROT_READ, PROTSHM_PROT_READ, 0 },
		{ PROTSHM_PROT_READ, PROTSHM_PROT_NONE, 1 },
		{ PROTSHM_PROT_NONE, PROTSHM_PROT_NONE, 0 },
		{ PROTSHM_PROT_RW, PROTSHM_PROT_RW, 0 },
	};
	struct protshm_event ev;
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&ev, 0, sizeof(ev));
		ASSERT_EQ(c[i].want, fd_rights_case(self->name, c[i].fd_prot,
						    c[i].lower, &ev)) {
			TH_LOG("case %u", i);
		}
		if (!c[i].want)
			continue;
		ASSERT_EQ(PROTSHM_EVENT_FD, ev.type);
		ASSERT_EQ(c[i].fd_prot, ev.old_prot);
		ASSERT_EQ(c[i].fd_prot & c[i].lower, ev.new_prot);
		ASSERT_NE(0, ev.by_pid);
		ASSERT_NE((uint32_t)getpid(), ev.by_pid);
	}
	/* the reader's own ceiling never changed */
	ASSERT_EQ(PROTSHM_PROT_RW, ceiling_of(self->fd));
	ASSERT_EQ(0, poll_now(self->fd));
}

/* A blocking read sleeps until a record comes, and a signal interrupts it. */
static void *restrict_later(void *arg)
{
	int fd = *(int *)arg;

	usleep(100000);
	ps_restrict(fd, 0, PROTSHM_PROT_READ, 0);
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F(notify, blocking_read)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct protshm_event ev;
	pthread_t t;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	alarm(1);
	ASSERT_EQ(-1, read(self->fd, &ev, sizeof(ev)));
	ASSERT_EQ(EINTR, errno);

	ASSERT_EQ(0, pthread_create(&t, NULL, restrict_later, &self->fd));
	ASSERT_EQ(sizeof(ev), read(self->fd, &ev, sizeof(ev)));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_RECORD(ev, PROTSHM_EVENT_CEILING, PROTSHM_PROT_RW,
		      PROTSHM_PROT_READ, getpid(), 1, 0);
}

/* epoll, level-triggered: reported until read. */
TEST_F(notify, epoll_level)
{
	struct epoll_event e = { .events = EPOLLPRI }, out;
	struct protshm_event ev;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &e));
	ASSERT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 0));
	ASSERT_TRUE(out.events & EPOLLPRI);
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(1, ps_events(self->fd, &ev, 1));
	ASSERT_EQ(0, epoll_wait(ep, &out, 1, 0));
	close(ep);
}

/* epoll, edge-triggered: one report per record, read or not. */
TEST_F(notify, epoll_edge)
{
	struct epoll_event e = { .events = EPOLLPRI | EPOLLET }, out;
	struct protshm_event ev[2];
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &e));
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 1000));
	ASSERT_TRUE(out.events & EPOLLPRI);
	ASSERT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, ps_restrict(self->fd, 0, PROTSHM_PROT_NONE, 0));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 1000));
	ASSERT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(2, ps_events(self->fd, ev, 2));
	ASSERT_EQ(1, ev[0].seq);
	ASSERT_EQ(2, ev[1].seq);
	close(ep);
}

/*
 * A slow reader loses the oldest records only, and learns how many: the
 * lease of a segment moved 20 times queues 20 records for its creator.
 */
TEST_F(notify, overflow_loses_oldest)
{
	struct protshm_event ev[PROTSHM_EVENT_QUEUE + 1];
	char name[PROTSHM_NAME_MAX];
	int fd = ps_open(), i, n;
	char *p;
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ps_create_flags(fd, ps_name(name, sizeof(name), "ovf"),
				     self->ps, 0600, PROTSHM_PROT_RW,
				     PROTSHM_CREATE_LEASE));
	p = map(fd, self->ps, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	pid = fork_idle();	/* attached by its inherited mapping */
	ASSERT_LE(0, pid);
	for (i = 0; i < 20; i++)
		ASSERT_EQ(0, ps_lease(fd, i % 2 ? 0 : pid, 0));
	n = ps_events(fd, ev, PROTSHM_EVENT_QUEUE + 1);
	ASSERT_EQ(PROTSHM_EVENT_QUEUE, n);
	ASSERT_EQ(20 - PROTSHM_EVENT_QUEUE, ev[0].lost);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(20 - PROTSHM_EVENT_QUEUE + 1 + i, ev[i].seq);
		ASSERT_EQ(i ? 0 : 20 - PROTSHM_EVENT_QUEUE, ev[i].lost);
		ASSERT_EQ(i % 2 ? PROTSHM_EVENT_LEASE_GAINED :
			  PROTSHM_EVENT_LEASE_LOST, ev[i].type);
		ASSERT_EQ((uint32_t)getpid(), ev[i].by_pid);
		if (i)
			ASSERT_LE(ev[i - 1].time_ns, ev[i].time_ns);
	}
	ASSERT_EQ(-1, ps_events(fd, ev, 1));
	ASSERT_EQ(EAGAIN, errno);
	kill(pid, SIGKILL);
	wait_child(pid);
	ASSERT_EQ(0, munmap(p, self->ps));
	ASSERT_EQ(0, ps_unlink(fd));
	close(fd);
}

TEST_HARNESS_MAIN
