/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * protshm: protected shared memory.
 *
 * An open file of /dev/protshm is bound to one named segment by
 * PROTSHM_IOC_CREATE or PROTSHM_IOC_ATTACH and then mapped with mmap(2)
 * (MAP_SHARED only).  Every process attached to a segment has a protection
 * ceiling that can only be lowered (RW -> R -> NONE); lowering it reaches the
 * process's existing mappings at once.  See
 * Documentation/userspace-api/protshm.rst.
 *
 * All argument structs start with a __u32 @size holding sizeof() of the
 * struct as the caller knows it.  A smaller size than the first version is
 * refused with EINVAL; a larger one is accepted if the bytes the kernel does
 * not know are zero (else E2BIG), so the structs can grow at the end.
 * Unknown flags and non-zero reserved fields give EINVAL; unknown ioctls
 * give ENOTTY.
 */
#ifndef _UAPI_LINUX_PROTSHM_H
#define _UAPI_LINUX_PROTSHM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/** PROTSHM_ABI_VERSION - returned by PROTSHM_IOC_VERSION */
#define PROTSHM_ABI_VERSION	1

/** PROTSHM_NAME_MAX - size of a name buffer, terminating NUL included */
#define PROTSHM_NAME_MAX	64

/*
 * Protection rights, used for ceilings, fd rights and mappings.  The only
 * valid sets are NONE, READ and READ|WRITE: the MMU cannot make memory
 * writable but not readable, so WRITE alone is refused with EINVAL.
 */
#define PROTSHM_PROT_NONE	0x0
#define PROTSHM_PROT_READ	0x1
#define PROTSHM_PROT_WRITE	0x2
#define PROTSHM_PROT_RW		(PROTSHM_PROT_READ | PROTSHM_PROT_WRITE)

/**
 * struct protshm_create - argument of PROTSHM_IOC_CREATE
 * @size: sizeof(struct protshm_create)
 * @flags: must be 0
 * @name: user pointer to the NUL-terminated segment name: 1 to 63 bytes of
 *	[A-Za-z0-9._-], not starting with '.'
 * @seg_size: size of the segment in bytes: a non-zero multiple of the page
 *	size, at most the module's max_seg_bytes (else E2BIG)
 * @mode: permission bits (0777 mask) checked by PROTSHM_IOC_ATTACH, like a
 *	file's mode; the owner is the caller's fsuid/fsgid
 * @prot: rights of this fd: PROTSHM_PROT_NONE, _READ or _RW
 */
struct protshm_create {
	__u32 size;
	__u32 flags;
	__u64 name;
	__u64 seg_size;
	__u32 mode;
	__u32 prot;
};

/**
 * struct protshm_attach - argument of PROTSHM_IOC_ATTACH
 * @size: sizeof(struct protshm_attach)
 * @flags: must be 0
 * @name: user pointer to the NUL-terminated segment name
 * @prot: rights requested for this fd; the segment's mode must grant them
 *	to the caller (else EACCES)
 * @__reserved: must be 0
 */
struct protshm_attach {
	__u32 size;
	__u32 flags;
	__u64 name;
	__u32 prot;
	__u32 __reserved;
};

/* struct protshm_info.seg_flags */
#define PROTSHM_INFO_UNLINKED	0x1	/* the name has been removed */

/**
 * struct protshm_info - argument of PROTSHM_IOC_INFO
 * @size: in: sizeof(struct protshm_info) as known to the caller; out: the
 *	kernel's size.  Only min(in, out) bytes are written.
 * @flags: in: must be 0
 * @name: in: user pointer to a PROTSHM_NAME_MAX byte buffer that receives
 *	the name, or 0
 * @id: out: segment id, unique until the module is reloaded
 * @seg_size: out: size in bytes
 * @uid: out: owner uid, in the caller's user namespace
 * @gid: out: owner gid, in the caller's user namespace
 * @mode: out: permission bits
 * @ceiling: out: the calling process's ceiling (PROTSHM_PROT_*)
 * @fd_prot: out: rights of this fd (PROTSHM_PROT_*), before the ceiling
 * @nr_attachments: out: number of live attachments (processes)
 * @resident: out: bytes of the segment that have pages allocated
 * @seg_flags: out: PROTSHM_INFO_*
 * @__reserved: out: 0
 */
struct protshm_info {
	__u32 size;
	__u32 flags;
	__u64 name;
	__u64 id;
	__u64 seg_size;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 ceiling;
	__u32 fd_prot;
	__u32 nr_attachments;
	__u64 resident;
	__u32 seg_flags;
	__u32 __reserved;
};

/* struct protshm_restrict.flags */
/* also lower every process that inherited the attachment by fork */
#define PROTSHM_RESTRICT_DESCENDANTS	0x1

/**
 * struct protshm_restrict - argument of PROTSHM_IOC_RESTRICT
 * @size: sizeof(struct protshm_restrict)
 * @flags: 0 or PROTSHM_RESTRICT_DESCENDANTS
 * @pid: process (thread-group) id in the caller's pid namespace, 0 for the
 *	caller.  Another process requires the caller to own the segment or
 *	to have CAP_IPC_OWNER (else EPERM), and must be attached (else ESRCH).
 * @prot: the new ceiling is the old one intersected with @prot
 */
struct protshm_restrict {
	__u32 size;
	__u32 flags;
	__u32 pid;
	__u32 prot;
};

/**
 * struct protshm_restrict_mapping - argument of PROTSHM_IOC_RESTRICT_MAPPING
 * @size: sizeof(struct protshm_restrict_mapping)
 * @flags: must be 0
 * @addr: start of the range, the start of a mapping of this segment
 * @len: length of the range, which must be covered exactly, without holes,
 *	by mappings of this segment in the calling process
 * @prot: the mappings' rights are intersected with @prot
 * @__reserved: must be 0
 */
struct protshm_restrict_mapping {
	__u32 size;
	__u32 flags;
	__u64 addr;
	__u64 len;
	__u32 prot;
	__u32 __reserved;
};

/* 0xB8 is not used in Documentation/userspace-api/ioctl/ioctl-number.rst */
#define PROTSHM_IOC_MAGIC	0xB8

/* returns PROTSHM_ABI_VERSION; works on any fd of /dev/protshm */
#define PROTSHM_IOC_VERSION	_IO(PROTSHM_IOC_MAGIC, 0x00)
#define PROTSHM_IOC_CREATE	_IOW(PROTSHM_IOC_MAGIC, 0x01, struct protshm_create)
#define PROTSHM_IOC_ATTACH	_IOW(PROTSHM_IOC_MAGIC, 0x02, struct protshm_attach)
#define PROTSHM_IOC_INFO	_IOWR(PROTSHM_IOC_MAGIC, 0x03, struct protshm_info)
#define PROTSHM_IOC_RESTRICT	_IOW(PROTSHM_IOC_MAGIC, 0x04, struct protshm_restrict)
#define PROTSHM_IOC_RESTRICT_MAPPING \
	_IOW(PROTSHM_IOC_MAGIC, 0x05, struct protshm_restrict_mapping)
/* removes the name; owner or CAP_IPC_OWNER only */
#define PROTSHM_IOC_UNLINK	_IO(PROTSHM_IOC_MAGIC, 0x06)

#endif /* _UAPI_LINUX_PROTSHM_H */
