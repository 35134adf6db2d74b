// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for trinity (see trinity.sh).  trinity opens its victim
 * files itself, so a /dev/protshm file it fuzzes would be unbound: no
 * segment, and mmap, mprotect, mremap, madvise, read, ioctl ... would stop
 * at the first check.  This shim, loaded into trinity, binds them:
 *   - when loaded, it creates PROTSHM_TRINITY_SEGS (default 4) segments
 *     "trinity-<i>" of 1, 4, 16, 64 ... pages, mode 0666, and closes them
 *     (they live on by name until the module is unloaded);
 *   - every open of /dev/protshm (any path to its device number) that
 *     trinity makes through libc is attached to segment i mod N with the
 *     most rights the open mode and the segment give (RW, else R, else
 *     NONE), or creates it if trinity's IPC namespace has no such segment;
 *     every fourth is left unbound, to fuzz that state too.  A file
 *     that cannot be attached (opened O_PATH or write-only) is replaced,
 *     at the same fd number, by a read-write open of the device, attached.
 * A failure only leaves a file unbound.  When the process that loaded it
 * exits (trinity's main process; its children _exit), it prints how many
 * /dev/protshm files it saw opened and how many it bound.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "../common.h"

#define SEG_PREFIX	"trinity-"

static int nr_segs(void)
{
	const char *s = getenv("PROTSHM_TRINITY_SEGS");
	int n = s ? atoi(s) : 4;

	return n > 0 && n <= 64 ? n : 4;
}

/* Is @fd a file of the protshm device? */
static int is_protshm(int fd)
{
	struct stat st, dev;

	return !fstat(fd, &st) && !stat(PROTSHM_DEV, &dev) &&
	       S_ISCHR(st.st_mode) && st.st_rdev == dev.st_rdev;
}

/* /dev/protshm files opened, and bound, by this process; why not */
static unsigned int opens, bound;
static int last_err, last_flags;

/*
 * A file trinity opened with O_PATH (or write-only) cannot be attached:
 * put a read-write open of the same device in its place (same fd number,
 * close-on-exec kept), so that trinity fuzzes a bound file there.
 */
static int reopen_rdwr(int fd)
{
	char path[64];
	int nfd, ret;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = syscall(SYS_openat, AT_FDCWD, path, O_RDWR);
	if (nfd < 0)
		return -1;
	ret = dup3(nfd, fd, fcntl(fd, F_GETFD) & FD_CLOEXEC ? O_CLOEXEC : 0);
	close(nfd);
	return ret < 0 ? -1 : 0;
}

/* Size of segment @i: 1, 4, 16 ... pages. */
static uint64_t seg_bytes(unsigned int i)
{
	return (uint64_t)page_size() << (2 * (i % 6));
}

/*
 * Attach @fd to segment @i with the most rights it can have; create the
 * segment (which binds @fd too) if it does not exist in the caller's IPC
 * namespace (trinity may have moved to another one).
 */
static int attach_any(int fd, unsigned int i)
{
	static const uint32_t prots[] = {
		PROTSHM_PROT_RW, PROTSHM_PROT_READ, PROTSHM_PROT_NONE,
	};
	unsigned int p;
	char name[32];

	snprintf(name, sizeof(name), SEG_PREFIX "%u", i);
	for (p = 0; p < sizeof(prots) / sizeof(prots[0]); p++) {
		if (!ps_attach(fd, name, prots[p]))
			return 0;
		if (errno == ENOENT &&
		    !ps_create(fd, name, seg_bytes(i), 0666, prots[p]))
			return 0;
		last_err = errno;
	}
	return -1;
}

static void bind_fd(int fd, int flags)
{
	unsigned int i;
	int err = errno;

	if (!is_protshm(fd))
		goto out;
	i = __atomic_fetch_add(&opens, 1, __ATOMIC_RELAXED);
	if (i % 4 == 3)
		goto out;
	if (attach_any(fd, i % nr_segs())) {
		last_flags = flags;
		if (reopen_rdwr(fd) || attach_any(fd, i % nr_segs()))
			goto out;
	}
	__atomic_fetch_add(&bound, 1, __ATOMIC_RELAXED);
out:
	errno = err;
}

__attribute__((destructor)) static void report(void)
{
	fprintf(stderr,
		"trinity_bind: %u /dev/protshm files opened, %u bound (last refusal: errno %d, open flags %#x)\n",
		opens, bound, last_err, last_flags);
}

__attribute__((constructor)) static void create_segs(void)
{
	int i, fd, err = errno;
	char name[32];

	for (i = 0; i < nr_segs(); i++) {
		fd = ps_open();
		if (fd < 0)
			break;
		snprintf(name, sizeof(name), SEG_PREFIX "%d", i);
		/* EEXIST: created by an earlier run, or a sibling */
		ps_create(fd, name, seg_bytes(i), 0666, PROTSHM_PROT_RW);
		close(fd);
	}
	errno = err;
}

/* libc's open(), open64(), openat(), openat64(), with bind_fd() after. */
#define WRAP_OPEN(fn, params, args, ...)				\
int fn params								\
{									\
	static int (*real) params;					\
	mode_t mode = 0;						\
	va_list ap;							\
	int fd;								\
									\
	if (flags & (O_CREAT | __O_TMPFILE)) {				\
		va_start(ap, flags);					\
		mode = va_arg(ap, mode_t);				\
		va_end(ap);						\
	}								\
	if (!real)							\
		real = dlsym(RTLD_NEXT, #fn);				\
	fd = real args;							\
	if (fd >= 0)							\
		bind_fd(fd, flags);						\
	return fd;							\
}

WRAP_OPEN(open, (const char *path, int flags, ...), (path, flags, mode))
WRAP_OPEN(open64, (const char *path, int flags, ...), (path, flags, mode))
WRAP_OPEN(openat, (int dirfd, const char *path, int flags, ...),
	  (dirfd, path, flags, mode))
WRAP_OPEN(openat64, (int dirfd, const char *path, int flags, ...),
	  (dirfd, path, flags, mode))
