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

/* struct protshm_create.flags */
/* the segment has a write lease: one writing process at a time */
#define PROTSHM_CREATE_LEASE	0x1

/**
 * struct protshm_create - argument of PROTSHM_IOC_CREATE
 * @size: sizeof(struct protshm_create)
 * @flags: PROTSHM_CREATE_LEASE or 0
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
/* @pid is a pidfd (pidfd_open(2), clone(CLONE_PIDFD)), not a pid number */
#define PROTSHM_RESTRICT_PIDFD		0x2

/**
 * struct protshm_restrict - argument of PROTSHM_IOC_RESTRICT
 * @size: sizeof(struct protshm_restrict)
 * @flags: PROTSHM_RESTRICT_DESCENDANTS and/or PROTSHM_RESTRICT_PIDFD, or 0
 * @pid: process (thread-group) id in the caller's pid namespace, 0 for the
 *	caller; with PROTSHM_RESTRICT_PIDFD a pidfd of the process (EBADF if
 *	it is not one), which, unlike a pid number, cannot come to name
 *	another process.  Another process requires the caller to own the
 *	segment or to have CAP_IPC_OWNER (else EPERM), and must be attached
 *	(else ESRCH).
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

/* struct protshm_wait.flags */
/* @timeout is an absolute CLOCK_MONOTONIC time in nanoseconds */
#define PROTSHM_WAIT_DEADLINE		0x1

/**
 * struct protshm_wait - argument of PROTSHM_IOC_WAIT
 * @size: sizeof(struct protshm_wait)
 * @flags: PROTSHM_WAIT_DEADLINE or 0
 * @offset: offset in the segment of an aligned 32-bit word
 * @expected: sleep only while the word holds this value (else EAGAIN)
 * @__reserved: must be 0
 * @timeout: with PROTSHM_WAIT_DEADLINE, the deadline (ETIMEDOUT once it
 *	has passed); else must be 0 (no timeout)
 *
 * Needs PROTSHM_PROT_READ.  Returns 0 when woken by PROTSHM_IOC_WAKE.
 */
struct protshm_wait {
	__u32 size;
	__u32 flags;
	__u64 offset;
	__u32 expected;
	__u32 __reserved;
	__u64 timeout;
};

/**
 * struct protshm_wake - argument of PROTSHM_IOC_WAKE
 * @size: sizeof(struct protshm_wake)
 * @flags: must be 0
 * @offset: offset in the segment of an aligned 32-bit word
 * @count: wake at most this many waiters of the word, oldest first
 *	(above INT_MAX: all)
 * @__reserved: must be 0
 *
 * Needs PROTSHM_PROT_WRITE.  Returns the number of waiters woken.
 */
struct protshm_wake {
	__u32 size;
	__u32 flags;
	__u64 offset;
	__u32 count;
	__u32 __reserved;
};

/* struct protshm_lease.flags */
/* @pid is a pidfd, not a pid number */
#define PROTSHM_LEASE_PIDFD	0x1

/**
 * struct protshm_lease - argument of PROTSHM_IOC_LEASE
 * @size: sizeof(struct protshm_lease)
 * @flags: PROTSHM_LEASE_PIDFD or 0
 * @pid: the new holder: a process (thread-group) id in the caller's pid
 *	namespace, 0 for the caller, or with PROTSHM_LEASE_PIDFD a pidfd.
 *	It must be attached (else ESRCH) and its ceiling must allow
 *	PROTSHM_PROT_WRITE (else EACCES).  The caller must own the segment,
 *	have CAP_IPC_OWNER or hold the lease (else EPERM); a segment created
 *	without PROTSHM_CREATE_LEASE is EINVAL.
 * @__reserved: must be 0
 */
struct protshm_lease {
	__u32 size;
	__u32 flags;
	__u32 pid;
	__u32 __reserved;
};

/*
 * Records read(2) from a bound file: changes of the reader's rights.
 * PROTSHM_EVENT_QUEUE records per queue are kept; older ones are dropped
 * and counted in @lost of the next record.
 */
#define PROTSHM_EVENT_VERSION	1
#define PROTSHM_EVENT_QUEUE	16

/* struct protshm_event.type */
#define PROTSHM_EVENT_CEILING		1	/* the process's ceiling */
#define PROTSHM_EVENT_FD		2	/* the file's rights (its binder) */
#define PROTSHM_EVENT_LEASE_LOST	3	/* the write lease moved away */
#define PROTSHM_EVENT_LEASE_GAINED	4	/* the write lease moved here */

/**
 * struct protshm_event - a record read(2) from a bound file
 * @version: PROTSHM_EVENT_VERSION
 * @size: sizeof(struct protshm_event) of the kernel; records are @size
 *	bytes apart
 * @type: PROTSHM_EVENT_*
 * @old_prot: rights before (PROTSHM_PROT_*)
 * @new_prot: rights after
 * @by_pid: the process that caused the change, in the reader's pid
 *	namespace; 0 if not visible there
 * @lost: records of the same queue dropped just before this one
 * @seq: number of the record in its queue, from 1
 * @time_ns: CLOCK_MONOTONIC time of the change
 */
struct protshm_event {
	__u16 version;
	__u16 size;
	__u32 type;
	__u32 old_prot;
	__u32 new_prot;
	__u32 by_pid;
	__u32 lost;
	__u64 seq;
	__u64 time_ns;
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
/* sleep on a word of the segment; see Documentation/userspace-api/protshm.rst */
#define PROTSHM_IOC_WAIT	_IOW(PROTSHM_IOC_MAGIC, 0x07, struct protshm_wait)
#define PROTSHM_IOC_WAKE	_IOW(PROTSHM_IOC_MAGIC, 0x08, struct protshm_wake)
/* moves the write lease of a PROTSHM_CREATE_LEASE segment */
#define PROTSHM_IOC_LEASE	_IOW(PROTSHM_IOC_MAGIC, 0x09, struct protshm_lease)

/*
 * Generic netlink family PROTSHM_GENL_NAME, version PROTSHM_GENL_VERSION:
 * read-only queries of segments and attachments, an administrative RESTRICT
 * and a multicast group of events.  Requests are validated strictly: an
 * unknown attribute, an attribute of the wrong size or one that only appears
 * in replies is refused with EINVAL, a value outside its range (a pid of 0,
 * a protection above PROTSHM_PROT_RW) with ERANGE; a missing required
 * attribute is EINVAL with the missing type in the extended ack.  Every attribute is at the top
 * level of its message except the members of PROTSHM_A_VMA.  The version
 * in a request's genlmsghdr is not checked.
 *
 * The queries SEG_GET and ATTACH_GET answer for whoever opened the netlink
 * socket: what they show depends on the credentials the socket was opened
 * with (uids, gids, groups, capabilities, user namespace), not on those of
 * the process that sends a request or reads a reply, as for an open file;
 * a dump keeps the credentials it started with.  A segment is visible if
 * the opener owns it (fsuid) or could attach it for reading
 * (PROTSHM_IOC_ATTACH with PROTSHM_PROT_READ: mode bits and groups, or
 * CAP_IPC_OWNER); any other segment does not exist for the queries
 * (ENOENT, left out of dumps), nor do its attachments.
 *
 * PROTSHM_CMD_SEG_GET
 *   do:   PROTSHM_A_SEG_ID or PROTSHM_A_SEG_NAME (if both, both must match)
 *   dump: no attribute; every visible segment of the caller's IPC
 *         namespace, unlinked ones included, by ascending id
 *   reply, one message per segment: SEG_ID, SEG_NAME, SEG_SIZE, SEG_UID,
 *         SEG_GID, SEG_MODE, SEG_NR_ATTACH, SEG_RESIDENT, [SEG_UNLINKED]
 *
 * PROTSHM_CMD_ATTACH_GET
 *   do:   (SEG_ID or SEG_NAME) and PID
 *   dump: optional filters SEG_ID or SEG_NAME, and PID; the attachments of
 *         the visible segments, by segment id, then attachment id.  A
 *         filter naming no visible segment fails the dump with ENOENT and
 *         an extended ack message: in an NLMSG_ERROR, or, where the
 *         netlink core gives a dump's start no extended ack (6.1), in the
 *         NLMSG_DONE that ends the dump
 *   reply, per attachment: SEG_ID, SEG_NAME, ATT_ID, [ATT_PARENT_ID], [PID,
 *         COMM], CEILING, [ATT_MORE], then one PROTSHM_A_VMA nest per mapping
 *         of the segment in the process, by ascending address:
 *         VMA_START, VMA_END, VMA_PGOFF, VMA_LEN, VMA_FLAGS.
 *         PID and COMM are present only if the process is visible in the
 *         caller's pid namespace; the PROTSHM_A_VMA nests only if, as well,
 *         the caller may read the process's memory map (see
 *         PROTSHM_VMA_A_START): else the process is reported without its
 *         mappings.  When the mappings do not fit in one message, ATT_MORE
 *         is set and a dump continues them in the next message (same
 *         ATT_ID); a do reply is then truncated.
 *
 * PROTSHM_CMD_RESTRICT (CAP_NET_ADMIN in the network namespace's user
 *   namespace, and, like PROTSHM_IOC_RESTRICT, ownership of the segment or
 *   CAP_IPC_OWNER)
 *   do:   (SEG_ID or SEG_NAME), (PID or PIDFD), PROT, [RESTRICT_FLAGS];
 *         lowers the ceiling of the process with the guarantees of
 *         PROTSHM_IOC_RESTRICT; PIDFD, unlike PID, cannot come to name
 *         another process
 *
 * Multi-part dumps resume by id, so a segment or attachment is never
 * reported twice; if segments or attachments were created or destroyed
 * while the dump was running, or the mappings of an attachment split over
 * two messages changed in between, a message of the dump (possibly the
 * final NLMSG_DONE) carries NLM_F_DUMP_INTR and the dump should be retried.
 *
 * Events on the multicast group PROTSHM_GENL_MCGRP_EVENTS (joining needs
 * CAP_NET_ADMIN; sent in the initial network namespace only, for the
 * segments of every IPC namespace; pids and ids are those of the initial
 * pid and user namespaces):
 *   PROTSHM_CMD_SEG_CREATE_NTF: SEG_ID, SEG_NAME, SEG_SIZE, SEG_UID,
 *         SEG_GID, SEG_MODE, SEG_IPC_NS, PID (creator), COMM
 *   PROTSHM_CMD_SEG_DESTROY_NTF: SEG_ID, SEG_NAME, SEG_IPC_NS; sent when
 *         the segment is freed (after the DETACH_NTF of what was attached)
 *   PROTSHM_CMD_ATTACH_NTF: SEG_ID, SEG_NAME, SEG_IPC_NS, ATT_ID, CEILING,
 *         and PID + COMM, or, for a child being forked (whose pid does not
 *         exist yet), ATT_PARENT_ID + PARENT_PID, or, for a child given the
 *         lowered ceiling of the process that forked it without a mapping,
 *         PID + ATT_PARENT_ID + PARENT_PID
 *   PROTSHM_CMD_DETACH_NTF: SEG_ID, SEG_NAME, SEG_IPC_NS, ATT_ID, [PID];
 *         sent when the attachment is forgotten: its process is gone and
 *         nothing of it is left, noticed at the next walk of the segment's
 *         attachments or when the segment is freed
 *   PROTSHM_CMD_RESTRICT_NTF: SEG_ID, SEG_NAME, SEG_IPC_NS, ATT_ID, [PID],
 *         BY_PID (the restricting process), OLD_CEILING, CEILING; one per
 *         process processed, also when the ceiling did not change
 *   PROTSHM_CMD_LEASE_NTF: SEG_ID, SEG_NAME, SEG_IPC_NS, [LEASE_HOLDER],
 *         [OLD_LEASE_HOLDER], BY_PID; the write lease moved (or was taken
 *         away by a RESTRICT of its holder: no LEASE_HOLDER)
 *
 * SEG_GET replies of a segment created with PROTSHM_CREATE_LEASE also
 * carry SEG_LEASE and, while its holder is alive and visible in the
 * caller's pid namespace, LEASE_HOLDER.
 */

/** PROTSHM_GENL_NAME - name of the generic netlink family */
#define PROTSHM_GENL_NAME		"protshm"
/** PROTSHM_GENL_VERSION - version of the generic netlink family */
#define PROTSHM_GENL_VERSION		1
/** PROTSHM_GENL_MCGRP_EVENTS - name of the events multicast group */
#define PROTSHM_GENL_MCGRP_EVENTS	"events"

/**
 * enum protshm_cmd - generic netlink commands
 * @PROTSHM_CMD_UNSPEC: unused
 * @PROTSHM_CMD_SEG_GET: get one segment (do) or all of them (dump)
 * @PROTSHM_CMD_ATTACH_GET: get one attachment (do) or several (dump)
 * @PROTSHM_CMD_RESTRICT: lower the ceiling of a process (administrators)
 * @PROTSHM_CMD_SEG_CREATE_NTF: event: a segment was created
 * @PROTSHM_CMD_SEG_DESTROY_NTF: event: a segment was freed
 * @PROTSHM_CMD_ATTACH_NTF: event: a process attached to a segment
 * @PROTSHM_CMD_DETACH_NTF: event: an attachment was forgotten
 * @PROTSHM_CMD_RESTRICT_NTF: event: a process's ceiling was restricted
 * @PROTSHM_CMD_LEASE_NTF: event: a segment's write lease moved
 * @__PROTSHM_CMD_MAX: one past the last command
 */
enum protshm_cmd {
	PROTSHM_CMD_UNSPEC,
	PROTSHM_CMD_SEG_GET,
	PROTSHM_CMD_ATTACH_GET,
	PROTSHM_CMD_RESTRICT,
	PROTSHM_CMD_SEG_CREATE_NTF,
	PROTSHM_CMD_SEG_DESTROY_NTF,
	PROTSHM_CMD_ATTACH_NTF,
	PROTSHM_CMD_DETACH_NTF,
	PROTSHM_CMD_RESTRICT_NTF,
	PROTSHM_CMD_LEASE_NTF,
	__PROTSHM_CMD_MAX
};

#define PROTSHM_CMD_MAX (__PROTSHM_CMD_MAX - 1)

/**
 * enum protshm_attr - generic netlink attributes
 * @PROTSHM_A_UNSPEC: unused
 * @PROTSHM_A_PAD: padding for 64-bit attributes
 * @PROTSHM_A_SEG_ID: u64, segment id (as in struct protshm_info)
 * @PROTSHM_A_SEG_NAME: NUL-terminated string, segment name
 * @PROTSHM_A_SEG_SIZE: u64, segment size in bytes
 * @PROTSHM_A_SEG_UID: u32, owner uid in the caller's user namespace
 * @PROTSHM_A_SEG_GID: u32, owner gid in the caller's user namespace
 * @PROTSHM_A_SEG_MODE: u32, permission bits
 * @PROTSHM_A_SEG_NR_ATTACH: u32, number of attachments (processes)
 * @PROTSHM_A_SEG_RESIDENT: u64, bytes of the segment with pages allocated
 * @PROTSHM_A_SEG_UNLINKED: flag, the segment's name has been removed
 * @PROTSHM_A_SEG_IPC_NS: u32, inode number of the segment's IPC namespace
 *	(events only)
 * @PROTSHM_A_ATT_ID: u64, attachment id, unique until the module is
 *	reloaded
 * @PROTSHM_A_ATT_PARENT_ID: u64, id of the attachment this one was
 *	inherited from by fork; once that one is forgotten (its process is
 *	gone), the id of the attachment that one was inherited from, and so
 *	on, as orphaned processes are reparented
 * @PROTSHM_A_PID: u32, process (thread-group) id
 * @PROTSHM_A_COMM: NUL-terminated string, the process's command name
 * @PROTSHM_A_CEILING: u32, the process's ceiling (PROTSHM_PROT_*)
 * @PROTSHM_A_OLD_CEILING: u32, the ceiling before a restriction
 * @PROTSHM_A_VMA: nest of enum protshm_vma_attr, one mapping; repeated
 * @PROTSHM_A_ATT_MORE: flag, the mappings of this attachment continue in
 *	the next message of the dump (in a do reply: were truncated)
 * @PROTSHM_A_PROT: u32, RESTRICT request: new ceiling = old ceiling & prot;
 *	PROTSHM_PROT_NONE, _READ or _RW
 * @PROTSHM_A_RESTRICT_FLAGS: u32, RESTRICT request: 0 or
 *	PROTSHM_RESTRICT_DESCENDANTS
 * @PROTSHM_A_BY_PID: u32, process that caused the event
 * @PROTSHM_A_PARENT_PID: u32, parent of a process being forked
 * @PROTSHM_A_PIDFD: u32, RESTRICT request: a pidfd in the sender's file
 *	table naming the process, instead of PID (EBADF if it is not one)
 * @PROTSHM_A_SEG_LEASE: flag, the segment has a write lease
 * @PROTSHM_A_LEASE_HOLDER: u32, pid of the process holding the write lease
 * @PROTSHM_A_OLD_LEASE_HOLDER: u32, pid of the previous holder (events)
 * @__PROTSHM_A_MAX: one past the last attribute
 */
enum protshm_attr {
	PROTSHM_A_UNSPEC,
	PROTSHM_A_PAD,
	PROTSHM_A_SEG_ID,
	PROTSHM_A_SEG_NAME,
	PROTSHM_A_SEG_SIZE,
	PROTSHM_A_SEG_UID,
	PROTSHM_A_SEG_GID,
	PROTSHM_A_SEG_MODE,
	PROTSHM_A_SEG_NR_ATTACH,
	PROTSHM_A_SEG_RESIDENT,
	PROTSHM_A_SEG_UNLINKED,
	PROTSHM_A_SEG_IPC_NS,
	PROTSHM_A_ATT_ID,
	PROTSHM_A_ATT_PARENT_ID,
	PROTSHM_A_PID,
	PROTSHM_A_COMM,
	PROTSHM_A_CEILING,
	PROTSHM_A_OLD_CEILING,
	PROTSHM_A_VMA,
	PROTSHM_A_ATT_MORE,
	PROTSHM_A_PROT,
	PROTSHM_A_RESTRICT_FLAGS,
	PROTSHM_A_BY_PID,
	PROTSHM_A_PARENT_PID,
	PROTSHM_A_PIDFD,
	PROTSHM_A_SEG_LEASE,
	PROTSHM_A_LEASE_HOLDER,
	PROTSHM_A_OLD_LEASE_HOLDER,
	__PROTSHM_A_MAX
};

#define PROTSHM_A_MAX (__PROTSHM_A_MAX - 1)

/**
 * enum protshm_vma_attr - attributes nested in PROTSHM_A_VMA
 * @PROTSHM_VMA_A_UNSPEC: unused
 * @PROTSHM_VMA_A_PAD: padding for 64-bit attributes
 * @PROTSHM_VMA_A_START: u64, start address.  The mappings of a process are
 *	reported only if the caller may read its memory map: CAP_SYS_ADMIN or
 *	CAP_SYS_PTRACE in the user namespace of the process's address space,
 *	or the caller's fsuid and fsgid equal the process's uid, euid and suid
 *	and its gid, egid and sgid, and the process is dumpable (its own
 *	process too: there is no exception for it).  Always present in a
 *	PROTSHM_A_VMA nest (module versions before this rule sent nests
 *	without START and END to other callers)
 * @PROTSHM_VMA_A_END: u64, end address (exclusive); present with START
 * @PROTSHM_VMA_A_PGOFF: u64, offset in the segment, in pages
 * @PROTSHM_VMA_A_LEN: u64, length in bytes
 * @PROTSHM_VMA_A_FLAGS: u32, enum protshm_vma_flags
 * @__PROTSHM_VMA_A_MAX: one past the last attribute
 */
enum protshm_vma_attr {
	PROTSHM_VMA_A_UNSPEC,
	PROTSHM_VMA_A_PAD,
	PROTSHM_VMA_A_START,
	PROTSHM_VMA_A_END,
	PROTSHM_VMA_A_PGOFF,
	PROTSHM_VMA_A_LEN,
	PROTSHM_VMA_A_FLAGS,
	__PROTSHM_VMA_A_MAX
};

#define PROTSHM_VMA_A_MAX (__PROTSHM_VMA_A_MAX - 1)

/**
 * enum protshm_vma_flags - PROTSHM_VMA_A_FLAGS bits, a mapping's VM_* flags
 * @PROTSHM_VMA_F_READ: readable now (VM_READ)
 * @PROTSHM_VMA_F_WRITE: writable now (VM_WRITE)
 * @PROTSHM_VMA_F_MAYREAD: may be made readable by mprotect (VM_MAYREAD)
 * @PROTSHM_VMA_F_MAYWRITE: may be made writable by mprotect (VM_MAYWRITE)
 * @PROTSHM_VMA_F_SHARED: a shared mapping (VM_MAYSHARE, "s" in
 *	/proc/pid/maps)
 */
enum protshm_vma_flags {
	PROTSHM_VMA_F_READ = 1 << 0,
	PROTSHM_VMA_F_WRITE = 1 << 1,
	PROTSHM_VMA_F_MAYREAD = 1 << 2,
	PROTSHM_VMA_F_MAYWRITE = 1 << 3,
	PROTSHM_VMA_F_SHARED = 1 << 4
};

#endif /* _UAPI_LINUX_PROTSHM_H */
