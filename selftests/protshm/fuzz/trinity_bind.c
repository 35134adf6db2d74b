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
 *     NONE); every fourth is left unbound, to fuzz that state too.
 * A failure only leaves a file unbound.  When the process that loaded it
 * exits (trinity's main process; its children _exit), it prints how many
 * /dev/protshm files it saw opened and how many it bound.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <sys/stat.h>

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

/* /dev/protshm files opened, and bound, by this process */
static unsigned int opens, bound;

static void bind_fd(int fd)
{
	static const uint32_t prots[] = {
		PROTSHM_PROT_RW, PROTSHM_PROT_READ, PROTSHM_PROT_NONE,
	};
	unsigned int i, p;
	char name[32];
	int err = errno;

	if (!is_protshm(fd))
		goto out;
	i = __atomic_fetch_add(&opens, 1, __ATOMIC_RELAXED);
	if (i % 4 == 3)
		goto out;
	snprintf(name, sizeof(name), SEG_PREFIX "%u", i % nr_segs());
	for (p = 0; p < sizeof(prots) / sizeof(prots[0]); p++) {
		if (!ps_attach(fd, name, prots[p])) {
			__atomic_fetch_add(&bound, 1, __ATOMIC_RELAXED);
			break;
		}
	}
out:
	errno = err;
}

__attribute__((destructor)) static void report(void)
{
	fprintf(stderr, "trinity_bind: %u /dev/protshm files opened, %u bound\n",
		opens, bound);
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
		ps_create(fd, name, page_size() << (2 * (i % 6)), 0666,
			  PROTSHM_PROT_RW);
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
		bind_fd(fd);						\
	return fd;							\
}

WRAP_OPEN(open, (const char *path, int flags, ...), (path, flags, mode))
WRAP_OPEN(open64, (const char *path, int flags, ...), (path, flags, mode))
WRAP_OPEN(openat, (int dirfd, const char *path, int flags, ...),
	  (dirfd, path, flags, mode))
WRAP_OPEN(openat64, (int dirfd, const char *path, int flags, ...),
	  (dirfd, path, flags, mode))
