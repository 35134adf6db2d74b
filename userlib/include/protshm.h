/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * protshm.h - user-space library for protected shared memory (/dev/protshm)
 *
 * A segment is a named piece of shared memory created by one process (its
 * owner) and attached by others.  Each attached process has a protection
 * ceiling (read/write, read, none) that only ever goes down; the owner can
 * lower the ceiling of another process, and the kernel applies it at once to
 * that process's existing mappings.  See protshm(3) and
 * Documentation/userspace-api/protshm.rst.
 *
 * Error convention
 * ----------------
 * Every function returning int returns 0 (or a non-negative value where
 * documented) on success and a negative errno value (-EINVAL, -ENOENT, ...)
 * on failure.  errno is not part of the API: its value after a call is
 * unspecified.  Functions returning a pointer or void never fail.
 *
 * Handles
 * -------
 * struct protshm is opaque.  A handle owns one file descriptor of
 * /dev/protshm bound to one segment, opened with O_CLOEXEC.  Mappings are
 * not tied to the handle: they stay valid after protshm_close() until
 * protshm_unmap().  A handle may be used from several threads at once, but
 * not concurrently with protshm_close().
 *
 * Protection values
 * -----------------
 * Segment rights, ceilings and mapping restrictions use PROTSHM_PROT_NONE,
 * PROTSHM_PROT_READ and PROTSHM_PROT_RW from <linux/protshm.h>.
 * protshm_map() alone takes mmap(2) PROT_READ / PROT_WRITE flags.
 */
#ifndef LIBPROTSHM_PROTSHM_H
#define LIBPROTSHM_PROTSHM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/types.h>
/* The kernel ABI, installed next to this file (include/protshm/linux/). */
#include "protshm/linux/protshm.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef PROTSHM_API
#define PROTSHM_API __attribute__((visibility("default")))
#endif

/** PROTSHM_DEVICE - path of the protshm character device */
#define PROTSHM_DEVICE "/dev/protshm"

/** struct protshm - opaque handle: one fd of PROTSHM_DEVICE bound to a segment */
struct protshm;

/**
 * protshm_abi_version() - ABI version of the loaded kernel module
 *
 * Opens PROTSHM_DEVICE, asks PROTSHM_IOC_VERSION and closes it again.
 * Compare the result with PROTSHM_ABI_VERSION.
 *
 * Return: the version (> 0) on success; -ENOENT if the device node does not
 * exist (module not loaded), other negative errno values from open(2) and
 * ioctl(2).
 */
PROTSHM_API int protshm_abi_version(void);

/**
 * protshm_create() - create a new named segment and bind a handle to it
 * @name: 1 to 63 bytes of [A-Za-z0-9._-], not starting with '.'
 * @size: size in bytes, a non-zero multiple of the page size
 * @mode: permission bits (like a file's, 0777 mask) checked by later
 *	protshm_attach() calls; the owner is the caller's fsuid/fsgid
 * @prot: rights of the new handle, PROTSHM_PROT_NONE, _READ or _RW
 * @out: receives the new handle on success; untouched on failure
 *
 * The segment's pages are zero-filled.  The segment lives until it is
 * unlinked and the last handle, fd and mapping of it are gone.
 *
 * Return: 0 on success; -EEXIST if the name is taken; -EINVAL for a bad
 * name, size, mode or prot; -ENOSPC if the segment count limit is reached;
 * -E2BIG or -ENOMEM if the size or memory limit is exceeded; -ENOENT if the
 * device does not exist.
 */
PROTSHM_API int protshm_create(const char *name, size_t size, mode_t mode,
			       unsigned int prot, struct protshm **out);

/**
 * protshm_create_flags() - protshm_create() with creation flags
 * @name: as for protshm_create()
 * @size: as for protshm_create()
 * @mode: as for protshm_create()
 * @prot: as for protshm_create()
 * @flags: PROTSHM_CREATE_LEASE (one writing process at a time, see
 *	protshm_lease_move()) or 0
 * @out: as for protshm_create()
 *
 * Since LIBPROTSHM_1.1.
 *
 * Return: as protshm_create(); -EINVAL for unknown @flags.
 */
PROTSHM_API int protshm_create_flags(const char *name, size_t size,
				     mode_t mode, unsigned int prot,
				     unsigned int flags, struct protshm **out);

/**
 * protshm_attach() - bind a handle to an existing segment by name
 * @name: name of the segment
 * @prot: rights requested for the handle (PROTSHM_PROT_*); the segment's
 *	mode must grant them to the caller
 * @out: receives the new handle on success; untouched on failure
 *
 * The calling process's ceiling is not raised by attaching: a process whose
 * ceiling was lowered stays restricted however it attaches again.
 *
 * Return: 0 on success; -ENOENT if no segment has that name (in the caller's
 * IPC namespace) or the device does not exist; -EACCES if the mode does not
 * allow @prot; -EINVAL for a bad name or prot.
 */
PROTSHM_API int protshm_attach(const char *name, unsigned int prot,
			       struct protshm **out);

/**
 * protshm_from_fd() - wrap an already bound fd of PROTSHM_DEVICE
 * @fd: a bound fd, e.g. received over SCM_RIGHTS or inherited
 * @out: receives the new handle on success; untouched on failure
 *
 * The fd is checked with PROTSHM_IOC_INFO.  On success the handle owns @fd
 * and protshm_close() closes it; on failure the caller still owns @fd.
 *
 * Return: 0 on success; -EBADF for a negative or closed fd; -ENOTTY if @fd
 * is not a protshm fd; -EBADFD if it is not bound to a segment; -ENOMEM.
 */
PROTSHM_API int protshm_from_fd(int fd, struct protshm **out);

/**
 * protshm_fd() - file descriptor of a handle
 * @shm: the handle
 *
 * The fd remains owned by the handle: do not close it.  It may be passed to
 * another process (SCM_RIGHTS), which then wraps it with protshm_from_fd().
 *
 * Return: the fd (>= 0), or -EINVAL if @shm is NULL.
 */
PROTSHM_API int protshm_fd(const struct protshm *shm);

/**
 * protshm_map() - map (part of) a segment, MAP_SHARED
 * @shm: the handle
 * @offset: start in the segment, a multiple of the page size
 * @len: length in bytes, non-zero; @offset + @len must not exceed the size
 * @prot: PROT_READ, PROT_READ | PROT_WRITE or PROT_NONE (mmap(2) flags)
 * @addr: receives the address of the mapping on success
 *
 * The mapping can never exceed the handle's rights intersected with the
 * process's ceiling, now or later: mprotect(2) cannot raise it past them.
 *
 * Return: 0 on success; -EACCES if @prot exceeds the effective rights;
 * -EPERM for PROT_EXEC; -EINVAL for a bad offset or length; -ENXIO if the
 * range goes past the end of the segment; -ENOMEM.
 */
PROTSHM_API int protshm_map(struct protshm *shm, size_t offset, size_t len,
			    int prot, void **addr);

/**
 * protshm_unmap() - unmap a mapping made by protshm_map()
 * @addr: address returned by protshm_map()
 * @len: length passed to protshm_map()
 *
 * Always allowed, also after a restriction or protshm_close().
 *
 * Return: 0 on success; -EINVAL for a bad range.
 */
PROTSHM_API int protshm_unmap(void *addr, size_t len);

/**
 * protshm_restrict() - lower the ceiling of a process attached to the segment
 * @shm: the handle
 * @pid: process id in the caller's pid namespace, 0 for the caller; with
 *	PROTSHM_RESTRICT_PIDFD, a pidfd of the process (pidfd_open(2)), which
 *	unlike a pid number cannot come to name another process
 * @prot: the new ceiling is the old one intersected with @prot
 * @flags: 0, or PROTSHM_RESTRICT_DESCENDANTS to also lower every process that
 *	inherited the attachment from @pid by fork, and/or
 *	PROTSHM_RESTRICT_PIDFD
 *
 * When this returns, no thread of @pid can access the segment beyond the new
 * ceiling through any of its mappings: a denied access raises SIGSEGV with
 * si_code SEGV_ACCERR.  The ceiling can never be raised again.
 *
 * Return: 0 on success; -EPERM if @pid is another process and the caller
 * neither owns the segment nor has CAP_IPC_OWNER; -ESRCH if @pid does not
 * exist or is not attached (or is still being forked); -EBADF if
 * PROTSHM_RESTRICT_PIDFD and @pid is not a pidfd; -EINTR if a fatal signal
 * interrupted it (the ceiling may be lowered already: call again); -EINVAL
 * for bad @prot, @flags or @pid.
 */
PROTSHM_API int protshm_restrict(struct protshm *shm, pid_t pid,
				 unsigned int prot, unsigned int flags);

/**
 * protshm_restrict_mapping() - lower the rights of the caller's own mapping(s)
 * @shm: the handle
 * @addr: start of a mapping of the segment (as returned by protshm_map())
 * @len: length, rounded up to a page multiple (like mprotect(2)); the range
 *	[@addr, @addr + @len) must be covered exactly, without holes, by
 *	mappings of this segment
 * @prot: the mappings' rights are intersected with @prot (PROTSHM_PROT_*)
 *
 * Only the given mapping(s) are affected; other mappings of the same pages
 * keep their rights.  The restriction is one-way.
 *
 * Return: 0 on success; -EINVAL if @addr is not page aligned, the range does
 * not match mappings of this segment exactly, or @prot is invalid.
 */
PROTSHM_API int protshm_restrict_mapping(struct protshm *shm, void *addr,
					 size_t len, unsigned int prot);

/**
 * protshm_info() - describe the segment and the caller's rights
 * @shm: the handle
 * @info: filled with id, size, owner, mode, the caller's ceiling and the
 *	handle's rights, attachment count and resident bytes; see struct
 *	protshm_info in <linux/protshm.h>.  The library sets the input
 *	fields (@info->size, @info->flags, @info->name) itself.
 * @name: if not NULL, receives the NUL-terminated segment name
 *
 * Return: 0 on success; -EINVAL if @shm or @info is NULL.
 */
PROTSHM_API int protshm_info(struct protshm *shm, struct protshm_info *info,
			     char name[PROTSHM_NAME_MAX]);

/**
 * protshm_unlink() - remove the segment's name
 * @shm: the handle
 *
 * Existing handles, fds and mappings keep working; the segment is freed when
 * the last of them is gone.  The name can be reused at once.
 *
 * Return: 0 on success; -EPERM if the caller is neither the owner nor has
 * CAP_IPC_OWNER; -ENOENT if the segment is already unlinked.
 */
PROTSHM_API int protshm_unlink(struct protshm *shm);

/**
 * protshm_close() - close a handle and free it
 * @shm: the handle, or NULL (no-op)
 *
 * Mappings made through the handle are not unmapped and stay valid.
 */
PROTSHM_API void protshm_close(struct protshm *shm);

/**
 * protshm_strprot() - printable name of a PROTSHM_PROT_* value
 * @prot: PROTSHM_PROT_NONE, _READ or _RW
 *
 * Return: "none", "r", "rw", or "invalid" for any other value; a static
 * string.
 */
PROTSHM_API const char *protshm_strprot(unsigned int prot);

/*
 * Netlink queries, administration and events
 * -------------------------------------------
 * The "protshm" generic netlink family (see <linux/protshm.h>) shows, from
 * outside, who is attached to which segment with which ceiling and
 * mappings, lets administrators restrict a process, and reports changes as
 * they happen.  The functions below use libmnl; they need no handle of a
 * segment.  What the kernel shows depends on the caller: segments of its
 * IPC namespace, pids of its pid namespace, mapping addresses only of
 * processes whose memory map it may read.
 *
 * The structs passed to callbacks belong to the library and are valid only
 * during the call; later versions may add fields at their end.
 * A callback returns 0 to go on, or a negative errno value to stop: the
 * function then returns that value.
 */

/** struct protshm_nl - opaque generic netlink handle */
struct protshm_nl;

/**
 * PROTSHM_NL_INCONSISTENT - returned by a query whose results were
 * delivered but may be inconsistent: segments or attachments kept coming
 * and going while the kernel answered, even after retries
 */
#define PROTSHM_NL_INCONSISTENT 1

/**
 * struct protshm_nl_segment - a segment, as reported by protshm_nl_segments()
 * @id: segment id (as in struct protshm_info)
 * @name: NUL-terminated name
 * @size: size in bytes
 * @uid: owner uid, in the caller's user namespace
 * @gid: owner gid, in the caller's user namespace
 * @mode: permission bits
 * @nr_attachments: number of attached processes
 * @resident: bytes with pages allocated
 * @unlinked: non-zero if the name was removed (the segment lives on)
 * @lease: non-zero for a segment created with PROTSHM_CREATE_LEASE
 *	(since 1.1: the library owns the struct, fields are only appended)
 * @lease_holder: the process holding its write lease, in the caller's pid
 *	namespace; 0 if none, gone or not visible there
 */
struct protshm_nl_segment {
	__u64 id;
	char name[PROTSHM_NAME_MAX];
	__u64 size;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 nr_attachments;
	__u64 resident;
	int unlinked;
	int lease;
	pid_t lease_holder;
};

/**
 * struct protshm_nl_vma - one mapping of a segment in a process
 * @has_addr: non-zero if @start and @end are known, else both are 0
 *	(current modules report the mappings of a process only to callers
 *	who may read its memory map, always with @start and @end)
 * @start: start address
 * @end: end address (exclusive)
 * @pgoff: offset in the segment, in pages
 * @len: length in bytes
 * @flags: PROTSHM_VMA_F_* bits: the mapping's current and possible rights
 */
struct protshm_nl_vma {
	int has_addr;
	__u64 start;
	__u64 end;
	__u64 pgoff;
	__u64 len;
	__u32 flags;
};

/**
 * struct protshm_nl_attachment - a process attached to a segment
 * @seg_id: id of the segment
 * @seg_name: name of the segment
 * @id: attachment id
 * @parent_id: id of the attachment it inherited by fork, or 0
 * @pid: the process, in the caller's pid namespace; 0 if not visible there
 *	(then @comm is empty and there are no mappings)
 * @comm: the process's command name, NUL-terminated
 * @ceiling: the process's ceiling, PROTSHM_PROT_*
 * @nr_vmas: number of mappings of the segment in the process
 * @vmas: the mappings, by ascending address
 */
struct protshm_nl_attachment {
	__u64 seg_id;
	char seg_name[PROTSHM_NAME_MAX];
	__u64 id;
	__u64 parent_id;
	pid_t pid;
	char comm[32];
	unsigned int ceiling;
	size_t nr_vmas;
	const struct protshm_nl_vma *vmas;
};

/**
 * struct protshm_nl_event - a change, as reported by protshm_nl_events()
 * @type: PROTSHM_CMD_SEG_CREATE_NTF, _SEG_DESTROY_NTF, _ATTACH_NTF,
 *	_DETACH_NTF or _RESTRICT_NTF
 * @seg_id: id of the segment
 * @seg_name: name of the segment
 * @ipc_ns: inode number of the segment's IPC namespace
 * @att_id: attachment id (attach, detach, restrict), else 0
 * @parent_id: for a process attached by fork, its parent's attachment id
 * @pid: the process concerned (creator, attacher, restricted process), in
 *	the initial pid namespace; 0 if unknown (a child being forked)
 * @parent_pid: for a forked child, the process that forked it
 * @by_pid: for a restriction, the process that restricted
 * @comm: command name of the creator or attacher, or ""
 * @ceiling: the ceiling (new ceiling of a restriction)
 * @old_ceiling: the ceiling before a restriction
 * @size: size of a created segment
 * @uid: owner uid of a created segment (initial user namespace)
 * @gid: owner gid of a created segment
 * @mode: mode of a created segment
 */
struct protshm_nl_event {
	unsigned int type;
	__u64 seg_id;
	char seg_name[PROTSHM_NAME_MAX];
	__u32 ipc_ns;
	__u64 att_id;
	__u64 parent_id;
	pid_t pid;
	pid_t parent_pid;
	pid_t by_pid;
	char comm[32];
	unsigned int ceiling;
	unsigned int old_ceiling;
	__u64 size;
	__u32 uid;
	__u32 gid;
	__u32 mode;
};

/** protshm_nl_segment_cb - callback of protshm_nl_segments() */
typedef int (*protshm_nl_segment_cb)(const struct protshm_nl_segment *seg,
				     void *arg);
/** protshm_nl_attachment_cb - callback of protshm_nl_attachments() */
typedef int (*protshm_nl_attachment_cb)(const struct protshm_nl_attachment *att,
					void *arg);
/** protshm_nl_event_cb - callback of protshm_nl_events() */
typedef int (*protshm_nl_event_cb)(const struct protshm_nl_event *ev,
				   void *arg);

/**
 * protshm_nl_open() - open a generic netlink socket to the protshm family
 * @out: receives the handle on success; untouched on failure
 *
 * The socket is opened with SOCK_CLOEXEC.  A handle must not be used by
 * two threads at once.
 *
 * Return: 0 on success; -ENOENT if the kernel has no "protshm" family (the
 * module is not loaded); -ENOMEM; other negative errno values from
 * socket(2) and the family lookup.
 */
PROTSHM_API int protshm_nl_open(struct protshm_nl **out);

/**
 * protshm_nl_close() - close a netlink handle and free it
 * @nl: the handle, or NULL (no-op)
 */
PROTSHM_API void protshm_nl_close(struct protshm_nl *nl);

/**
 * protshm_nl_fd() - the socket of a handle, e.g. to poll(2) for events
 * @nl: the handle
 *
 * Return: the file descriptor, or -EINVAL if @nl is NULL.
 */
PROTSHM_API int protshm_nl_fd(const struct protshm_nl *nl);

/**
 * protshm_nl_errmsg() - the kernel's message about the last failed request
 * @nl: the handle
 *
 * Return: the extended ack message of the last request (e.g. "No such
 * segment"), or "" if there was none; valid until the next call on @nl.
 */
PROTSHM_API const char *protshm_nl_errmsg(const struct protshm_nl *nl);

/**
 * protshm_nl_segments() - list segments
 * @nl: the handle
 * @name: only this segment, or NULL for every segment of the caller's IPC
 *	namespace (by ascending id, unlinked ones included)
 * @cb: called once per segment
 * @arg: passed to @cb
 *
 * Return: 0 on success; PROTSHM_NL_INCONSISTENT if the list was delivered
 * but segments kept changing while it was read; -ENOENT if @name does not
 * exist; the negative value @cb returned; other negative errno values.
 */
PROTSHM_API int protshm_nl_segments(struct protshm_nl *nl, const char *name,
				    protshm_nl_segment_cb cb, void *arg);

/**
 * protshm_nl_attachments() - list attachments and their mappings
 * @nl: the handle
 * @name: only the attachments of this segment, or NULL for those of every
 *	segment of the caller's IPC namespace
 * @pid: only this process (in the caller's pid namespace), or 0
 * @cb: called once per attachment, with all its mappings
 * @arg: passed to @cb
 *
 * Return: 0 on success; PROTSHM_NL_INCONSISTENT if the list was delivered
 * but attachments kept changing while it was read; -ENOENT if @name does
 * not exist; the negative value @cb returned; other negative errno values.
 */
PROTSHM_API int protshm_nl_attachments(struct protshm_nl *nl, const char *name,
				       pid_t pid, protshm_nl_attachment_cb cb,
				       void *arg);

/**
 * protshm_nl_restrict() - lower the ceiling of a process, as administrator
 * @nl: the handle
 * @name: the segment
 * @pid: the process, in the caller's pid namespace (> 0); with
 *	PROTSHM_RESTRICT_PIDFD in @flags, a pidfd of the process
 * @prot: the new ceiling is the old one intersected with @prot
 * @flags: 0, PROTSHM_RESTRICT_DESCENDANTS and/or PROTSHM_RESTRICT_PIDFD
 *
 * Same guarantees as protshm_restrict(); it needs CAP_NET_ADMIN, and the
 * caller must own the segment or have CAP_IPC_OWNER.  An owner without
 * CAP_NET_ADMIN can use protshm_attach() with PROTSHM_PROT_NONE and
 * protshm_restrict() instead.
 *
 * Return: 0 on success; -EPERM if not allowed; -ENOENT if @name does not
 * exist; -ESRCH if @pid is not attached to it; -EINVAL or -ERANGE for bad
 * arguments (see protshm_nl_errmsg()).
 */
PROTSHM_API int protshm_nl_restrict(struct protshm_nl *nl, const char *name,
				    pid_t pid, unsigned int prot,
				    unsigned int flags);

/**
 * protshm_nl_subscribe() - receive events on this handle from now on
 * @nl: the handle
 *
 * Events are sent in the initial network namespace only, to listeners with
 * CAP_NET_ADMIN; they cover the segments of every IPC namespace.  Use a
 * handle for events only: queries on it would have to skip them.
 *
 * Return: 0 on success; -EPERM without CAP_NET_ADMIN; other negative
 * errno values.
 */
PROTSHM_API int protshm_nl_subscribe(struct protshm_nl *nl);

/**
 * protshm_nl_events() - deliver pending events
 * @nl: a handle after protshm_nl_subscribe()
 * @timeout_ms: how long to wait for the first event: -1 forever, 0 not at all
 * @cb: called once per event, in the order of the changes
 * @arg: passed to @cb
 *
 * Return: the number of events delivered (0 on timeout); -ENOBUFS if
 * events were lost because they were not read fast enough (the next call
 * goes on after the loss); -EINTR if a signal interrupted the wait; the
 * negative value @cb returned; other negative errno values.
 */
PROTSHM_API int protshm_nl_events(struct protshm_nl *nl, int timeout_ms,
				  protshm_nl_event_cb cb, void *arg);

/*
 * Wait and wake on 32-bit words of a segment, and a process-shared mutex
 * and condition variable built on them; see protshm_wait(3).  futex(2)
 * cannot sleep on protshm mappings (they refuse get_user_pages()).
 * Deadlines are absolute CLOCK_MONOTONIC times; NULL waits forever.
 */
struct timespec;

/**
 * protshm_wait() - sleep while a word of the segment holds a value
 * @shm: the handle (READ needed: the process's ceiling and the handle's
 *	rights)
 * @offset: offset of the word in the segment, a multiple of 4
 * @expected: sleep only while the word equals it
 * @deadline: absolute CLOCK_MONOTONIC time to give up at, or NULL
 *
 * Return: 0 when woken by protshm_wake() (check the word again);
 * -EAGAIN if the word differs; -ETIMEDOUT; -EINTR if a signal handler
 * without SA_RESTART ran; -EACCES without READ, also when it is lost while
 * waiting; -EINVAL for a bad
 * offset or deadline.
 */
PROTSHM_API int protshm_wait(struct protshm *shm, uint64_t offset,
			     uint32_t expected, const struct timespec *deadline);

/**
 * protshm_wake() - wake processes sleeping on a word of the segment
 * @shm: the handle (WRITE needed)
 * @offset: offset of the word in the segment, a multiple of 4
 * @count: wake at most this many, oldest first (UINT32_MAX: all)
 *
 * Return: the number woken (>= 0); -EACCES without WRITE; -EINVAL.
 */
PROTSHM_API int protshm_wake(struct protshm *shm, uint64_t offset,
			     uint32_t count);

/** PROTSHM_MUTEX_WAITERS - mutex word bit: a thread may sleep on it */
#define PROTSHM_MUTEX_WAITERS	0x80000000u

/**
 * struct protshm_mutex - a process's descriptor of a mutex in a segment
 * @shm: handle of the segment
 * @word: the mutex word, in a readable and writable mapping of it
 * @offset: offset of the word in the segment
 *
 * The mutex itself is the 32-bit word: 0 is unlocked, else the owner's
 * thread id, with PROTSHM_MUTEX_WAITERS.  Each process fills its own
 * descriptor with protshm_mutex_init().
 */
struct protshm_mutex {
	struct protshm *shm;
	uint32_t *word;
	uint64_t offset;
};

/**
 * struct protshm_cond - a process's descriptor of a condition variable
 * @shm: handle of the segment
 * @word: the sequence word, in a readable and writable mapping of it
 * @offset: offset of the word in the segment
 */
struct protshm_cond {
	struct protshm *shm;
	uint32_t *word;
	uint64_t offset;
};

/**
 * protshm_mutex_init() - fill a mutex descriptor
 * @m: the descriptor
 * @shm: handle of the segment
 * @word: address of the word in a mapping, 4-byte aligned
 * @offset: offset of the same word in the segment, a multiple of 4
 *
 * The word is not written: a zero word (as in a new segment) is an unlocked
 * mutex.
 *
 * Return: 0; -EINVAL for a NULL or misaligned argument.
 */
PROTSHM_API int protshm_mutex_init(struct protshm_mutex *m, struct protshm *shm,
				   uint32_t *word, uint64_t offset);

/**
 * protshm_mutex_lock() - lock; sleeps in the kernel only if contended
 * @m: the descriptor
 *
 * Not recursive: locking a mutex the caller holds never returns.  The owner
 * dying with the mutex held is not detected (see protshm_wait(3)).
 *
 * Return: 0; -EACCES from protshm_wait() when it had to sleep.
 */
PROTSHM_API int protshm_mutex_lock(struct protshm_mutex *m);

/**
 * protshm_mutex_timedlock() - lock, giving up at a deadline
 * @m: the descriptor
 * @deadline: absolute CLOCK_MONOTONIC time, or NULL (as protshm_mutex_lock())
 *
 * Return: 0; -ETIMEDOUT; as protshm_mutex_lock().
 */
PROTSHM_API int protshm_mutex_timedlock(struct protshm_mutex *m,
					const struct timespec *deadline);

/**
 * protshm_mutex_trylock() - lock if free, never sleeps
 * @m: the descriptor
 *
 * Return: 0; -EBUSY if held.
 */
PROTSHM_API int protshm_mutex_trylock(struct protshm_mutex *m);

/**
 * protshm_mutex_unlock() - unlock; enters the kernel only to wake a waiter
 * @m: the descriptor
 *
 * Return: 0; -EPERM if the word does not hold the caller's thread id;
 * -EACCES from protshm_wake().
 */
PROTSHM_API int protshm_mutex_unlock(struct protshm_mutex *m);

/**
 * protshm_cond_init() - fill a condition variable descriptor
 * @c: the descriptor
 * @shm: handle of the segment
 * @word: address of the word in a mapping, 4-byte aligned
 * @offset: offset of the same word in the segment, a multiple of 4
 *
 * Return: 0; -EINVAL for a NULL or misaligned argument.
 */
PROTSHM_API int protshm_cond_init(struct protshm_cond *c, struct protshm *shm,
				  uint32_t *word, uint64_t offset);

/**
 * protshm_cond_wait() - unlock @m, wait for a signal, lock @m again
 * @c: the condition variable
 * @m: a mutex the caller holds
 * @deadline: absolute CLOCK_MONOTONIC time, or NULL
 *
 * May return 0 without a signal: check the predicate in a loop.  @m is held
 * again on return, except after an error of protshm_mutex_unlock() or
 * protshm_mutex_lock().
 *
 * Return: 0; -ETIMEDOUT (@m held again); -EACCES, -EPERM.
 */
PROTSHM_API int protshm_cond_wait(struct protshm_cond *c, struct protshm_mutex *m,
				  const struct timespec *deadline);

/**
 * protshm_cond_signal() - wake one waiter of a condition variable
 * @c: the condition variable
 *
 * Return: 0; -EACCES without WRITE.
 */
PROTSHM_API int protshm_cond_signal(struct protshm_cond *c);

/**
 * protshm_cond_broadcast() - wake every waiter of a condition variable
 * @c: the condition variable
 *
 * Return: 0; -EACCES without WRITE.
 */
PROTSHM_API int protshm_cond_broadcast(struct protshm_cond *c);
/**
 * protshm_events_read() - read the changes of the caller's rights
 * @shm: the handle
 * @ev: receives up to @n records, oldest first
 * @n: size of @ev, at least 1
 * @timeout_ms: how long to wait for a first record: 0 not at all, -1
 *	without limit (as poll(2))
 *
 * Reads the records of the calling process's lowered ceiling, of the lowered
 * rights of the handle's fd (bound by another process) and of write lease
 * moves (struct protshm_event, PROTSHM_EVENT_*); each record is read once by
 * one process.  A record's @lost counts the older ones dropped because the
 * process read too late.  protshm_fd() can be polled for POLLPRI meanwhile.
 * Sets O_NONBLOCK on the handle's fd.  Since LIBPROTSHM_1.1.
 *
 * Return: the number of records read (>= 1); -EAGAIN if none came in time;
 * -EINVAL for a NULL argument or @n 0; other negative errno values of
 * read(2) and poll(2).
 */
PROTSHM_API int protshm_events_read(struct protshm *shm,
				    struct protshm_event *ev, size_t n,
				    int timeout_ms);

/**
 * protshm_lease_move() - move the write lease of a segment
 * @shm: a handle of a segment created with PROTSHM_CREATE_LEASE
 * @pid: the new holder (attached to the segment), 0 for the caller; with
 *	PROTSHM_LEASE_PIDFD, a pidfd
 * @flags: PROTSHM_LEASE_PIDFD or 0
 *
 * When it returns 0 the previous holder can no longer write through any
 * mapping, and the new holder's next write succeeds.  Since LIBPROTSHM_1.1.
 *
 * Return: 0; -EPERM if the caller neither owns the segment nor holds the
 * lease; -EACCES if the new holder's ceiling lacks write; -ESRCH if it is
 * gone or not attached; -EINVAL if the segment has no lease, for bad flags
 * or a negative @pid; -EBADF for a bad pidfd.
 */
PROTSHM_API int protshm_lease_move(struct protshm *shm, pid_t pid,
				   unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif /* LIBPROTSHM_PROTSHM_H */
