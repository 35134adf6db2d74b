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
#include <sys/mman.h>
#include <sys/types.h>
#include <linux/protshm.h>

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
 * @pid: process id in the caller's pid namespace, 0 for the caller
 * @prot: the new ceiling is the old one intersected with @prot
 * @flags: 0, or PROTSHM_RESTRICT_DESCENDANTS to also lower every process that
 *	inherited the attachment from @pid by fork
 *
 * When this returns, no thread of @pid can access the segment beyond the new
 * ceiling through any of its mappings: a denied access raises SIGSEGV with
 * si_code SEGV_ACCERR.  The ceiling can never be raised again.
 *
 * Return: 0 on success; -EPERM if @pid is another process and the caller
 * neither owns the segment nor has CAP_IPC_OWNER; -ESRCH if @pid does not
 * exist or is not attached; -EINVAL for bad @prot, @flags or @pid.
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

#ifdef __cplusplus
}
#endif

#endif /* LIBPROTSHM_PROTSHM_H */
