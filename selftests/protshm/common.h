/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the protshm selftests: raw ioctl wrappers, the errno and
 * child-exit assertions, fault probes that report the signal and its
 * address, and /proc readers.
 *
 * Why raw ioctl wrappers and not libprotshm: the selftests check the kernel
 * ABI itself.  libprotshm hides it - it wraps the fd in a struct protshm,
 * returns -errno, and refuses some bad arguments in user space (a negative
 * pid, a NULL object) before the kernel sees them - while the tests need
 * the plain fd (to pass it through fork, exec and SCM_RIGHTS, to close it
 * at a chosen moment), the errno the kernel set, and arguments the library
 * would never send: ioctl_test builds argument structs by hand, with wrong
 * sizes, reserved fields and unmapped pointers.  A libprotshm bug must not
 * hide or fake a kernel result either; the library has its own tests.
 */
#ifndef PROTSHM_SELFTEST_COMMON_H
#define PROTSHM_SELFTEST_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/protshm.h>

#define PROTSHM_DEV "/dev/protshm"

/*
 * PROTSHM_TIMEOUT - seconds, from the timeout= line of settings (the
 * Makefile passes it in): the kselftest runner's limit for one test program,
 * and the harness limit, TEST_F_TIMEOUT(), of every test that needs more
 * than the harness default of 30 s.  One value, so that no test is granted
 * more time than the program it runs in.  300: the slowest programs on the
 * slowest kernel, netlink_test and escape_test on debug-7.2 (KASAN,
 * lockdep, under TCG), took 76 s and 60 s in one run (run_kselftest.sh
 * prints each program's time) but were killed at the former 120 s in
 * another, while a second VM shared the host's two cores; 300 leaves room
 * for that.  The slowest single tests (failnth's fork sweeps with FI_ALL=1,
 * 20-40 s; a race test with a longer PROTSHM_RACE_SECONDS) fit too.
 */
#ifndef PROTSHM_TIMEOUT
#error "PROTSHM_TIMEOUT: build with the selftests Makefile (it reads settings)"
#endif

/*
 * ps_in_test_vm() - running in the project's test VM (scripts/vm.sh: its
 * initramfs has /etc/protshm-vm)?  Only there may a test touch the machine
 * outside its own segments: a RAM disk's blocks, mounts.
 */
static inline int ps_in_test_vm(void)
{
	return access("/etc/protshm-vm", F_OK) == 0;
}

static inline long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A name unique to this process and call, so tests never collide. */
static inline const char *ps_name(char *buf, size_t len, const char *tag)
{
	static unsigned int counter;

	snprintf(buf, len, "t-%s-%d-%u", tag, getpid(), counter++);
	return buf;
}

static inline int ps_open(void)
{
	return open(PROTSHM_DEV, O_RDWR | O_CLOEXEC);
}

static inline int ps_create_flags(int fd, const char *name, uint64_t size,
				  uint32_t mode, uint32_t prot, uint32_t flags)
{
	struct protshm_create c = {
		.size = sizeof(c), .flags = flags, .name = (uintptr_t)name,
		.seg_size = size, .mode = mode, .prot = prot,
	};

	return ioctl(fd, PROTSHM_IOC_CREATE, &c);
}

static inline int ps_create(int fd, const char *name, uint64_t size,
			    uint32_t mode, uint32_t prot)
{
	return ps_create_flags(fd, name, size, mode, prot, 0);
}

static inline int ps_attach(int fd, const char *name, uint32_t prot)
{
	struct protshm_attach a = {
		.size = sizeof(a), .name = (uintptr_t)name, .prot = prot,
	};

	return ioctl(fd, PROTSHM_IOC_ATTACH, &a);
}

static inline int ps_restrict(int fd, pid_t pid, uint32_t prot, uint32_t flags)
{
	struct protshm_restrict r = {
		.size = sizeof(r), .flags = flags, .pid = pid, .prot = prot,
	};

	return ioctl(fd, PROTSHM_IOC_RESTRICT, &r);
}

static inline int ps_restrict_mapping(int fd, void *addr, size_t len,
				      uint32_t prot)
{
	struct protshm_restrict_mapping r = {
		.size = sizeof(r), .addr = (uintptr_t)addr, .len = len,
		.prot = prot,
	};

	return ioctl(fd, PROTSHM_IOC_RESTRICT_MAPPING, &r);
}

static inline int ps_info(int fd, struct protshm_info *info, char *name)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->name = (uintptr_t)name;
	return ioctl(fd, PROTSHM_IOC_INFO, info);
}

static inline int ps_unlink(int fd)
{
	return ioctl(fd, PROTSHM_IOC_UNLINK);
}

/* Move the write lease to @pid (0: the caller; a pidfd with the flag). */
static inline int ps_lease(int fd, pid_t pid, uint32_t flags)
{
	struct protshm_lease l = {
		.size = sizeof(l), .flags = flags, .pid = pid,
	};

	return ioctl(fd, PROTSHM_IOC_LEASE, &l);
}

/*
 * Read lowering records without blocking: the number read, or -1 with
 * errno (EAGAIN: none pending).
 */
static inline int ps_events(int fd, struct protshm_event *ev, int max)
{
	ssize_t n;
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	n = read(fd, ev, max * sizeof(*ev));
	fcntl(fd, F_SETFL, fl);
	return n < 0 ? -1 : (int)(n / sizeof(*ev));
}

/* Open + create in one step; returns the fd or -1. */
static inline int ps_new(const char *name, uint64_t size)
{
	int fd = ps_open();

	if (fd < 0)
		return -1;
	if (ps_create(fd, name, size, 0600, PROTSHM_PROT_RW)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Fault probes.  probe_write()/probe_read() return 0 when the access
 * succeeded, or the signal number it raised, with the fault's si_addr and
 * si_code in probe_addr / probe_code.
 */
static sigjmp_buf probe_env;
static void *volatile probe_addr;
static volatile int probe_code;

static void probe_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	probe_addr = si->si_addr;
	probe_code = si->si_code;
	siglongjmp(probe_env, sig);
}

static inline int probe_access(volatile char *p, int write, char val)
{
	struct sigaction sa = { .sa_sigaction = probe_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	struct sigaction old_segv, old_bus;
	int sig;

	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	probe_addr = NULL;
	probe_code = 0;
	sig = sigsetjmp(probe_env, 1);
	if (!sig) {
		if (write)
			*p = val;
		else
			(void)*p;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return sig;
}

static inline int probe_write(volatile void *p, char val)
{
	return probe_access(p, 1, val);
}

static inline int probe_read(volatile void *p)
{
	return probe_access(p, 0, 0);
}

/* Did the last probe fault with SIGSEGV, SEGV_ACCERR, exactly at @addr? */
static inline int probe_accerr(int sig, volatile void *addr)
{
	return sig == SIGSEGV && probe_addr == (void *)addr &&
	       probe_code == SEGV_ACCERR;
}

/* A probe's result must be SIGSEGV with SEGV_ACCERR at exactly @addr. */
#define ASSERT_ACCERR(sig, addr) do {					\
	int __sig = (sig);						\
									\
	ASSERT_EQ(SIGSEGV, __sig);					\
	ASSERT_EQ((void *)(addr), (void *)probe_addr);			\
	ASSERT_EQ(SEGV_ACCERR, probe_code);				\
} while (0)

/*
 * The 6.1 harness runs the test body even after FIXTURE_SETUP() skipped:
 * the tests of a fixture whose setup may skip start with this.
 */
#define RETURN_IF_SKIPPED() do {					\
	if (_metadata->skip)						\
		return;							\
} while (0)

/* A shared mapping of @fd at an address chosen by the kernel. */
static inline void *map(int fd, size_t len, int prot, off_t off)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd, off);
}

/* The caller's ceiling as INFO reports it, ~0U if INFO fails. */
static inline uint32_t ceiling_of(int fd)
{
	struct protshm_info info;

	return ps_info(fd, &info, NULL) ? ~0U : info.ceiling;
}

/* errno's symbolic name ("EACCES"), or its number for an unknown one. */
static inline const char *errno_name(int err, char buf[16])
{
	const char *name = err ? strerrorname_np(err) : "0";

	if (name)
		return name;
	snprintf(buf, 16, "%d", err);
	return buf;
}

/*
 * The errno that @expr (a call returning -1, or MAP_FAILED, on failure)
 * failed with, 0 if it did not return -1; when that is not @want, logs the
 * call, what it returned and both errnos.  Used by ASSERT_ERRNO().
 */
#define __ERRNO_OF(expr, want, str) ({					\
	char __wb[16], __gb[16];					\
	int __want = (want), __err;					\
	long __ret;							\
									\
	errno = 0;							\
	__ret = (long)(expr);						\
	__err = errno;							\
	if (__ret != -1 || __err != __want)				\
		TH_LOG("%s: want -1 with errno %s, got %ld with errno %s", \
		       str, errno_name(__want, __wb), __ret,		\
		       errno_name(__err, __gb));			\
	__ret == -1 ? __err : 0;					\
})

/*
 * ASSERT_ERRNO(expr, err) - the call @expr must fail: return -1 (or
 * MAP_FAILED) with errno @err.  The one way the tests check "this call fails
 * with E"; like the harness's ASSERT_*(), it takes an optional TH_LOG()
 * after it.  @expr must be the call itself, not a variable holding its
 * result: errno is cleared right before @expr is evaluated.
 */
#define ASSERT_ERRNO(expr, err)						\
	ASSERT_EQ(err, __ERRNO_OF(expr, err, #expr))

/* How a child that wait_child() returned @status for ended. */
static inline const char *child_status_str(int status, char buf[64])
{
	if (status < 0)
		snprintf(buf, 64, "waitpid() failed");
	else if (status > 128)
		snprintf(buf, 64, "killed by signal %d (%s)", status - 128,
			 strsignal(status - 128));
	else
		snprintf(buf, 64, "exit status %d", status);
	return buf;
}

/* wait_child(@pid), logging how the child ended if not with status 0. */
#define __CHILD_STATUS(pid) ({						\
	pid_t __pid = (pid);						\
	int __st = wait_child(__pid);					\
	char __buf[64];							\
									\
	if (__st)							\
		TH_LOG("child %d: %s", __pid,				\
		       child_status_str(__st, __buf));			\
	__st;								\
})

/*
 * ASSERT_CHILD_OK(pid) / EXPECT_CHILD_OK(pid) - reap the child @pid; it must
 * have exited with status 0 (a CHILD_ASSERT() that failed exits with 1, a
 * fault kills it).  The EXPECT_ form is for teardowns and for tests that
 * must go on cleaning up.
 */
#define ASSERT_CHILD_OK(pid)	ASSERT_EQ(0, __CHILD_STATUS(pid))
#define EXPECT_CHILD_OK(pid)	EXPECT_EQ(0, __CHILD_STATUS(pid))

/*
 * SKIP_WITHOUT_DEVICE() - the first statement of a FIXTURE_SETUP(): without
 * /dev/protshm (module not loaded) the test is skipped, with the reason,
 * instead of failing.  The 6.1 harness would run the test body after a SKIP
 * in the setup, so the test process ends here with the status by which its
 * __run_test() reports SKIP (255); neither body nor teardown runs.
 */
#define SKIP_WITHOUT_DEVICE() do {					\
	if (access(PROTSHM_DEV, F_OK))					\
		SKIP(_exit(255), "%s missing: load the protshm module",	\
		     PROTSHM_DEV);					\
} while (0)

/*
 * Checks for forked children.  The harness's ASSERT_*() must not be used in
 * a child: a failure long-jumps into the fixture teardown in the child.
 * CHILD_ASSERT() prints the condition, the line and errno, and exits with 1.
 */
#define CHILD_ASSERT(cond) do {						\
	if (!(cond)) {							\
		int __e = errno;					\
									\
		fprintf(stderr, "# child %d: %s:%d: '%s' failed (errno %d: %s)\n", \
			getpid(), __FILE__, __LINE__, #cond, __e,	\
			strerror(__e));					\
		_exit(1);						\
	}								\
} while (0)

/* A probe's result must be SIGSEGV/SEGV_ACCERR at @addr (in a child). */
#define CHILD_ASSERT_ACCERR(sig, addr) do {				\
	int __sig = (sig);						\
	void *__addr = (void *)(addr);					\
									\
	if (!probe_accerr(__sig, __addr)) {				\
		fprintf(stderr,						\
			"# child %d: %s:%d: want SIGSEGV/SEGV_ACCERR at %p, got signal %d code %d at %p\n", \
			getpid(), __FILE__, __LINE__, __addr, __sig,	\
			probe_code, probe_addr);			\
		_exit(1);						\
	}								\
} while (0)

/* Physical frame of a mapped, present page (needs CAP_SYS_ADMIN); 0 if none. */
static inline uint64_t pagemap_pfn(void *addr)
{
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	off_t off = (uintptr_t)addr / page_size() * sizeof(entry);

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), off) != sizeof(entry))
		entry = 0;
	close(fd);
	if (!(entry & (1ULL << 63)))
		return 0;
	return entry & ((1ULL << 55) - 1);
}

/*
 * The "rw-s"-style permissions of the mapping starting at addr in the maps
 * file @maps, or "".
 */
static inline const char *maps_perms_in(const char *maps, void *addr,
					char perms[5])
{
	unsigned long start, end;
	char line[512];
	FILE *f = fopen(maps, "r");

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

/* The permissions of the process's mapping starting at addr, or "". */
static inline const char *maps_perms(void *addr, char perms[5])
{
	return maps_perms_in("/proc/self/maps", addr, perms);
}

/*
 * A child that only waits to be killed, and dies with its parent (a failed
 * assertion must not leave it holding files of the device).  Returns its
 * pid or -1.
 */
static inline pid_t fork_idle(void)
{
	pid_t pid = fork();

	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pause();
		_exit(0);
	}
	return pid;
}

/* Wait for a child and return its exit status, or 128+signal. */
static inline int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Simple pipe-based handshake between a parent and a child. */
struct sync_pipe {
	int to_parent[2];
	int to_child[2];
};

static inline int sync_init(struct sync_pipe *s)
{
	return pipe(s->to_parent) || pipe(s->to_child) ? -1 : 0;
}

static inline int sync_send(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -1;
}

static inline char sync_recv(int fd)
{
	char c = 0;

	return read(fd, &c, 1) == 1 ? c : 0;
}

/* Pass a file descriptor over a unix socket (SCM_RIGHTS). */
static inline int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* Receive a file descriptor sent by send_fd(); returns it or -1. */
static inline int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_level != SOL_SOCKET ||
	    cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

#endif /* PROTSHM_SELFTEST_COMMON_H */
