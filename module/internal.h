/* SPDX-License-Identifier: GPL-2.0 */
/*
 * protshm internal interfaces.
 *
 * Objects and their lifetime
 * --------------------------
 * struct protshm_seg      a named segment.  Reference counted (@ref):
 *                         one reference while its name is in the table,
 *                         one per bound file, one per VMA.
 * struct protshm_attachment   a (segment, process) pair holding the process's
 *                         ceiling.  Reference counted (@ref): one while it
 *                         is in seg->attachments, one per VMA, one per file
 *                         bound by that process (the file's "origin").
 * struct protshm_file     file->private_data of /dev/protshm.
 *
 * Owners (the one file that changes each piece of data)
 * -----------------------------------------------------
 *   segment.c  the name table, segment ids, seg->pages and nr_resident
 *   account.c  the limits' counts, seg->acct_ns
 *   attach.c   seg->attachments, seg->mm_ceilings and their indexes
 *              (seg->attach_keys, seg->mm_keys, through ktab.c): every
 *              ceiling
 *   restrict.c nothing of its own: the order of a RESTRICT's steps
 *   lineage.c  the key set, fork records, seg->forks and lineage_*
 *   mmap.c     every VMA and PTE of a protshm mapping, the mapping
 *              generation (protshm_vmas_snapshot())
 *   huge.c     PMD mappings and their insertion locks
 *   netlink.c  the generic netlink family; messages only
 *   wait.c     the wait buckets and the waiters queued on them
 *   dev.c, ioctl.c  struct protshm_file
 *
 * Lock order (outer to inner)
 * ---------------------------
 *   mm->mmap_lock (of one mm at a time)
 *     -> protshm_lineage_lock (lineage.c)
 *       -> protshm_seg.lock
 *         -> protshm_registry_lock
 *           -> protshm_account_lock (account.c)
 *         -> protshm_keys_lock (lineage.c, spinlock; also in the fork probe)
 *     -> protshm_pmd_locks (huge.c: a page fault's PTE or PMD insertion)
 *   protshm_wait_bucket.lock (wait.c, spinlock): taken with no other
 *   protshm lock held; wakes tasks (scheduler locks) inside
 * vm_ops are called with mmap_lock held, so seg->lock is never held while
 * an mmap_lock is taken, while copying from or to user space, or while
 * calling mmput().
 */
#ifndef PROTSHM_INTERNAL_H
#define PROTSHM_INTERNAL_H

#include <linux/kref.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include <linux/protshm.h>

#include "config.h"

struct file;
struct ipc_namespace;
struct mem_cgroup;
struct pid;
struct protshm_ns;
struct protshm_key;
struct poll_table_struct;
struct task_struct;
struct vm_fault;

/* module parameters, see main.c */
extern unsigned int protshm_max_segments;
extern unsigned long protshm_max_seg_bytes;
extern unsigned long protshm_max_total_bytes;
extern unsigned int protshm_max_user_segments;
extern unsigned long protshm_max_user_bytes;
extern unsigned long protshm_fault_around_pages;
#define PROTSHM_FAULT_AROUND_MAX	512UL
extern bool protshm_restrict_refill;

/**
 * struct protshm_knode - an entry of a struct protshm_ktab
 * @node: entry in the table's chain
 * @key: the key (a kernel pointer)
 */
struct protshm_knode {
	struct hlist_node node;
	const void *key;
};

/**
 * struct protshm_ktab - hash table by pointer key (ktab.c); its owner's lock
 * @heads: 1 << @bits chains
 * @one: the chain of an empty table
 * @bits: log2 of the number of chains
 * @nr: number of entries
 */
struct protshm_ktab {
	struct hlist_head *heads;
	struct hlist_head one;
	unsigned int bits;
	unsigned int nr;
};

/* every entry of @t's chain that may be keyed by @k, then test kn->key == @k */
#define protshm_ktab_for_each_possible(t, kn, k) \
	hlist_for_each_entry(kn, protshm_ktab_head(t, k), node)

/**
 * struct protshm_seg - a named shared memory segment
 * @ref: see the top of this file
 * @hnode: entry in the name table (lookups under RCU); changed under
 *	protshm_registry_lock
 * @linked: the name is in the table; changed under protshm_registry_lock,
 *	read without it (protshm_seg_unlinked())
 * @unlink_node: entry in a list of segments being unlinked together
 * @rcu: frees the segment after the name lookups that may see it
 * @id: unique id
 * @name: NUL-terminated name
 * @size: size in bytes
 * @nr_pages: size in pages
 * @uid: owner; its per-user limits count the segment
 * @gid: owner group
 * @mode: permission bits
 * @ipc_ns: IPC namespace of the creator (pinned by @acct_ns); names never
 *	cross it
 * @acct_ns: the record of @ipc_ns (account.c), counted
 * @memcg: memory cgroup of the creator (pinned); pages are charged to it
 * @lock: protects @attachments and every attachment's fields marked so
 * @attachments: the struct protshm_attachment, indexed by id - @id_base
 *	(so in the order they were made); changed under @lock
 * @id_base: the id of the first attachment since @attachments was last
 *	empty; @lock
 * @attach_list: the same attachments in a list, in the same order, for the
 *	walks of them all (cheaper than the array's); @lock
 * @attach_keys: the attachments by key: process (struct pid), or the new mm
 *	of a child being forked while pending; @lock
 * @nr_attachments: entries of @attachments; @lock
 * @mm_ceilings: list of struct protshm_mm_ceiling; @lock
 * @mm_keys: the same by mm; @lock
 * @nr_mm_ceilings: entries of @mm_ceilings; @lock
 * @prune_at: forget dead attachments and unused address-space ceilings
 *	when there are that many of both together (see
 *	protshm_maybe_prune_locked()); @lock
 * @nr_resident: number of pages allocated
 * @pages: @nr_pages slots, each set at most once (cmpxchg) and freed with
 *	the segment; read locklessly
 * @forks: fork records to apply to this segment (lineage.c); lock-free
 *	queue, applied under @lock
 * @lineage_node: entry in the lineage work list while @lineage_queued
 * @lineage_queued: on that list, holding a reference, while @forks may
 *	hold records
 * @lease: created with PROTSHM_CREATE_LEASE (set before it is visible)
 * @lease_holder: the process holding the write lease (counted), or NULL;
 *	written under @lock, read locklessly by the write fault (lease.c)
 */
struct protshm_seg {
	struct kref ref;
	struct rhash_head hnode;
	bool linked;
	struct list_head unlink_node;
	struct rcu_head rcu;
	u64 id;
	char name[PROTSHM_NAME_MAX];
	u64 size;
	pgoff_t nr_pages;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	struct ipc_namespace *ipc_ns;
	struct protshm_ns *acct_ns;
	struct mem_cgroup *memcg;
	/* protects @attachments and the attachments' fields marked so */
	struct mutex lock;
	struct xarray attachments;
	u64 id_base;
	struct list_head attach_list;
	struct protshm_ktab attach_keys;
	unsigned int nr_attachments;
	struct list_head mm_ceilings;
	struct protshm_ktab mm_keys;
	unsigned int nr_mm_ceilings;
	unsigned int prune_at;
	atomic_long_t nr_resident;
	struct page **pages;
	struct llist_head forks;
	struct llist_node lineage_node;
	atomic_t lineage_queued;
	bool lease;
	struct pid *lease_holder;
};

/**
 * struct protshm_event_rec - a queued change of an attachment's rights
 * @by: the process that caused it (counted)
 * @order: global queueing order, to merge two queues
 * @time_ns: ktime_get_ns() of the change
 * @type: PROTSHM_EVENT_*
 * @old_prot: rights before
 * @new_prot: rights after
 */
struct protshm_event_rec {
	struct pid *by;
	u64 order;
	u64 time_ns;
	u32 type;
	u32 old_prot;
	u32 new_prot;
};

/**
 * struct protshm_events - the queue of an attachment's rights changes
 * @ring: PROTSHM_EVENT_QUEUE records, allocated at the first one, or NULL
 * @head: number of records ever queued; record n is ring[n % size]
 * @read: number of records the process has read or lost
 *
 * All fields: seg->lock.  See notify.c.
 */
struct protshm_events {
	struct protshm_event_rec *ring;
	u64 head;
	u64 read;
};

/**
 * struct protshm_mark - a lowered ceiling on a segment, in the lineage set
 * @key: the entry of the set it counts in (a process's struct pid, or an
 *	mm), or NULL; changed under the owner's seg->lock and protshm_keys_lock
 * @node: entry in @key's list of marks; protshm_keys_lock
 * @seg: the segment, to which the records of @key's forks are applied; set
 *	when the mark's holder is created, whose lock is @seg->lock
 *
 * While marked, every fork of the process (or of a process using the mm)
 * is recorded; see lineage.c.
 */
struct protshm_mark {
	struct protshm_key *key;
	struct list_head node;
	struct protshm_seg *seg;
};

/**
 * struct protshm_attachment - one process attached to one segment
 * @ref: see the top of this file
 * @node: entry in seg->attach_list; seg->lock
 * @knode: entry in seg->attach_keys, keyed by @tgid (by @mm while
 *	pending); seg->lock
 * @dead: being forgotten, see protshm_prune_locked(); seg->lock
 * @seg: the segment (not counted: whoever holds @ref holds a segment ref)
 * @id: unique id, for descendant tracking
 * @parent_id: id of the attachment this one was forked from (once that
 *	one is forgotten, its own parent's: see protshm_reparent_locked()),
 *	or 0; seg->lock
 * @tgid: the process (counted); seg->lock.  NULL while the attachment is
 *	pending: a child being forked has no pid yet.
 * @mm: while pending, the child's mm (mmgrab), which holds the VMAs
 *	dup_mmap() copied, before task->mm is even set; seg->lock
 * @ceiling: PROTSHM_PROT_* ceiling; written under seg->lock and the
 *	process's mmap_lock, only ever lowered
 * @lost_write_ns: when @ceiling lost PROTSHM_PROT_WRITE (ktime_get_ns(), 0
 *	if it never had it); seg->lock
 * @lost_read_ns: likewise for PROTSHM_PROT_READ; seg->lock
 * @restrict_gen: last restrict operation that processed it; seg->lock
 * @mark: its mark in the lineage set (keyed by @tgid, or by @mm while
 *	pending) while its ceiling is lowered; seg->lock
 * @events: the changes of its rights, read(2) by its process; seg->lock
 */
struct protshm_attachment {
	struct kref ref;
	struct list_head node;
	struct protshm_knode knode;
	bool dead;
	struct protshm_seg *seg;
	u64 id;
	u64 parent_id;
	struct pid *tgid;
	struct mm_struct *mm;
	u32 ceiling;
	u64 lost_write_ns;
	u64 lost_read_ns;
	u64 restrict_gen;
	struct protshm_mark mark;
	struct protshm_events events;
};

/**
 * struct protshm_mm_ceiling - the ceiling of an address space on a segment
 * @node: entry in seg->mm_ceilings; seg->lock
 * @knode: entry in seg->mm_keys, keyed by @mm; seg->lock
 * @mm: the address space (mmgrab)
 * @ceiling: the lowest ceiling a RESTRICT applied to a process using @mm;
 *	seg->lock.  Every process that shares @mm, and every process forked
 *	from one of them afterwards, is held to it (see attach.c).
 * @lost_write_ns: as in struct protshm_attachment; seg->lock
 * @lost_read_ns: as in struct protshm_attachment; seg->lock
 *
 * @mark: its mark in the lineage set, keyed by @mm
 *
 * Kept, marked, until @mm has no user and no fork record names it.
 */
struct protshm_mm_ceiling {
	struct list_head node;
	struct protshm_knode knode;
	struct mm_struct *mm;
	u32 ceiling;
	u64 lost_write_ns;
	u64 lost_read_ns;
	struct protshm_mark mark;
};

/**
 * struct protshm_fork - a fork of a restricted process
 * @node: entry in the queue of records not dispatched yet (lineage.c)
 * @parent: the forking process (counted)
 * @parent_mm: its mm (mmgrab), which keys its attachments while pending
 * @child: the new process (counted)
 * @child_mm: the child's own new mm (mmgrab), NULL if it shares @parent_mm
 * @start_ns: the child's start time (ktime_get_ns())
 */
struct protshm_fork {
	struct llist_node node;
	struct pid *parent;
	struct mm_struct *parent_mm;
	struct pid *child;
	struct mm_struct *child_mm;
	u64 start_ns;
};

/**
 * struct protshm_file - private data of an open /dev/protshm
 * @bind_lock: serialises binding; the fields below are set once under it
 *	and published with smp_store_release() of @seg
 * @seg: bound segment (counted), or NULL
 * @rights: PROTSHM_PROT_* rights granted when the file was bound
 * @origin: attachment of the process that bound the file (counted); its
 *	ceiling also caps every use of the file, whoever holds it
 * @origin_read: records of @origin's queue read through this file by
 *	another process (notify.c); seg->lock
 */
struct protshm_file {
	/* serialises CREATE/ATTACH on this file; see @seg */
	struct mutex bind_lock;
	struct protshm_seg *seg;
	u32 rights;
	struct protshm_attachment *origin;
	u64 origin_read;
};

/**
 * struct protshm_attach_snap - an attachment as copied by
 *	protshm_attach_snapshot()
 * @id: its id
 * @parent_id: id of the attachment it was forked from, or 0
 * @ceiling: its ceiling at the time of the copy
 * @tgid: its process (counted), or NULL while a fork is not finished
 * @task: the process's task (counted), or NULL if the process is gone
 */
struct protshm_attach_snap {
	u64 id;
	u64 parent_id;
	u32 ceiling;
	struct pid *tgid;
	struct task_struct *task;
};

/**
 * struct protshm_vma_snap - a mapping as copied by protshm_vmas_snapshot()
 * @seg: its segment (compared, never dereferenced)
 * @start: first address
 * @end: address after the last one
 * @pgoff: offset in the segment, in pages
 * @flags: PROTSHM_VMA_F_*
 */
struct protshm_vma_snap {
	const struct protshm_seg *seg;
	u64 start;
	u64 end;
	u64 pgoff;
	u32 flags;
};

/**
 * struct protshm_vmas - the protshm mappings of one address space
 * @mm: the address space (mmgrab: only its identity is used), or NULL
 * @gen: the generation of protshm mappings when they were copied; the copy
 *	is exact while no protshm mapping anywhere changed
 * @nr: number of entries
 * @v: the mappings, sorted by segment, then address
 */
struct protshm_vmas {
	struct mm_struct *mm;
	u64 gen;
	unsigned int nr;
	struct protshm_vma_snap *v;
};

/*
 * Interfaces, by owning file.  Every function documents its locking in
 * its kernel-doc, in one form: "Context: <where it runs>; <locks held or
 * taken>."  Every function that needs its caller to hold a lock is named
 * *_locked and starts with lockdep_assert_held() (or
 * protshm_assert_mmap_write_locked()).  The exceptions are the callbacks
 * the MM core calls with its own locks held (vm_ops, ->mmap, ->fault, page
 * table walkers) and the halves they alone call; their Context: line names
 * the callback.
 */

/* segment.c: the name table and the backing pages */
extern struct mutex protshm_registry_lock;	/* taken in segment.c only */
int protshm_seg_create(const char *name, u64 size, umode_t mode, u32 flags,
		       struct protshm_seg **out);
struct protshm_seg *protshm_seg_lookup(const char *name);
struct protshm_seg *protshm_seg_lookup_id(u64 id);
struct protshm_seg *protshm_seg_next(u64 id);
int protshm_seg_unlink(struct protshm_seg *seg);
bool protshm_seg_unlinked(struct protshm_seg *seg);
void protshm_seg_put(struct protshm_seg *seg);
struct page *protshm_seg_page(struct protshm_seg *seg, pgoff_t idx,
			      bool alloc);
unsigned long protshm_seg_block_pfn(struct protshm_seg *seg, pgoff_t base,
				    unsigned int order);
void protshm_seg_block_fill(struct protshm_seg *seg, pgoff_t base,
			    unsigned int order);
bool protshm_seg_is_owner(const struct protshm_seg *seg);
int protshm_seg_permission(const struct protshm_seg *seg, u32 prot);
void protshm_seg_unlink_ns(struct ipc_namespace *ns);
int protshm_names_init(void);
void protshm_segments_destroy(void);

/* account.c: limits and per-user, per-IPC-namespace counts */
int protshm_account_charge_locked(struct protshm_seg *seg);
void protshm_account_uncharge(struct protshm_seg *seg);
bool protshm_ns_reclaim(void);
void protshm_ns_released(struct protshm_seg *seg);
void protshm_account_exit(void);

/* ktab.c: the hash tables of attach.c, by pointer key; the owner's lock */
void protshm_ktab_init(struct protshm_ktab *t);
void protshm_ktab_destroy(struct protshm_ktab *t);
struct hlist_head *protshm_ktab_head(const struct protshm_ktab *t,
				     const void *key);
void protshm_ktab_add(struct protshm_ktab *t, struct protshm_knode *kn,
		      const void *key);
void protshm_ktab_del(struct protshm_ktab *t, struct protshm_knode *kn);

/* attach.c: attachments and the ceilings of processes and address spaces */
bool protshm_prot_valid(u32 prot);
struct protshm_attachment *protshm_attach_current(struct protshm_seg *seg);
struct protshm_attachment *protshm_attach_get(struct protshm_seg *seg,
					      struct task_struct *task);
struct protshm_attachment *protshm_attach_fork(struct protshm_attachment *parent,
					       struct mm_struct *child_mm);
void protshm_attach_put(struct protshm_attachment *a);
void protshm_attach_exec(struct protshm_attachment *a);
u32 protshm_ceiling_current(struct protshm_seg *seg);
u32 protshm_attach_file_rights(struct protshm_attachment *a,
			       const struct protshm_file *pf);
unsigned int protshm_nr_attachments(struct protshm_seg *seg);
unsigned int protshm_attach_snapshot(struct protshm_seg *seg, u64 from_id,
				     struct protshm_attach_snap *snap,
				     unsigned int max);
void protshm_attach_snap_put(struct protshm_attach_snap *snap, unsigned int n);
void protshm_attachments_free(struct protshm_seg *seg);
void protshm_attach_inherit_locked(struct protshm_seg *seg,
				   const struct protshm_fork *f);
void protshm_attach_restrict(struct protshm_attachment *a, u32 prot, u64 gen);
void protshm_attach_restrict_locked(struct protshm_attachment *a, u32 prot);
struct mm_struct *protshm_attach_mm(struct protshm_attachment *a);
u32 protshm_mm_restrict_locked(struct protshm_attachment *a,
			       struct mm_struct *mm);
bool protshm_attach_uses_mm_locked(struct protshm_attachment *a,
				   struct mm_struct *mm);
struct protshm_attachment *protshm_attach_next_descendant(struct protshm_seg *seg,
							  u64 gen,
							  u64 *pos);

/* restrict.c: the RESTRICT operations */
int protshm_restrict_pid(struct protshm_seg *seg, struct pid *pid, u32 prot,
			 u32 flags);
int protshm_restrict_mapping(struct protshm_seg *seg, unsigned long addr,
			     unsigned long len, u32 prot);
struct pid *protshm_target_pid(u32 id, bool pidfd);

/* lineage.c: fork records; a leaf, it reaches attach.c only through @inherit */
typedef void (*protshm_inherit_fn)(struct protshm_seg *seg,
				   const struct protshm_fork *f);
void protshm_mark_locked(struct protshm_mark *m, struct protshm_seg *seg,
			 const void *key);
void protshm_unmark_locked(struct protshm_mark *m);
bool protshm_parent_pending_locked(const struct protshm_mark *m);
void protshm_lineage_drain(struct protshm_seg *seg, struct pid *tgid);
long protshm_lineage_nr_records(void);
int protshm_lineage_init(protshm_inherit_fn inherit);
void protshm_lineage_exit(void);
void protshm_lineage_destroy(void);

/* mmap.c: every VMA and PTE operation */
int protshm_mmap(struct file *file, struct vm_area_struct *vma);
vm_fault_t protshm_fault_map(struct vm_fault *vmf, struct protshm_seg *seg,
			     unsigned long pfn);
struct protshm_attachment *protshm_vma_attachment(struct vm_area_struct *vma);
void protshm_vma_restrict_locked(struct vm_area_struct *vma, u32 prot);
void protshm_vmas_restrict_locked(struct protshm_seg *seg,
				  struct mm_struct *mm, u32 prot);
int protshm_range_restrict_locked(struct mm_struct *mm, struct protshm_seg *seg,
				  unsigned long addr, unsigned long end,
				  u32 prot);
int protshm_vmas_snapshot(struct protshm_vmas *c, struct mm_struct *mm);
void protshm_vmas_free(struct protshm_vmas *c);
void protshm_vmas_unlease(struct protshm_seg *seg, struct mm_struct *mm);

/* huge.c: 2 MiB mappings, stubs when this build has none (config.h) */
#ifdef PROTSHM_HUGE
#define PROTSHM_HUGE_MAPPINGS	true
#define PROTSHM_VM_HUGE		VM_HUGEPAGE	/* for THP "madvise" mode */
#define PROTSHM_VM_HUGE_FAULT	protshm_vm_huge_fault
/* vm_start = pgoff mod 2 MiB where possible, for PMD mappings */
#define PROTSHM_GET_UNMAPPED_AREA	thp_get_unmapped_area
void protshm_huge_init(void);
vm_fault_t protshm_vm_huge_fault(struct vm_fault *vmf, unsigned int order);
vm_fault_t protshm_huge_insert_pte(struct vm_fault *vmf,
				   struct protshm_seg *seg, unsigned long pfn);
bool protshm_vma_may_be_huge_locked(struct vm_area_struct *vma);
#else
#define PROTSHM_HUGE_MAPPINGS	false
#define PROTSHM_VM_HUGE		0
#define PROTSHM_VM_HUGE_FAULT	NULL
#define PROTSHM_GET_UNMAPPED_AREA	NULL
static inline void protshm_huge_init(void)
{
}

static inline vm_fault_t protshm_huge_insert_pte(struct vm_fault *vmf,
						 struct protshm_seg *seg,
						 unsigned long pfn)
{
	return protshm_fault_map(vmf, seg, pfn);
}

static inline bool protshm_vma_may_be_huge_locked(struct vm_area_struct *vma)
{
	lockdep_assert_held_write(&vma->vm_mm->mmap_lock);
	return false;
}
#endif

/* wait.c: WAIT and WAKE on words of a segment */
int protshm_wait(struct protshm_file *pf, u64 offset, u32 expected,
		 ktime_t *deadline);
int protshm_wake(struct protshm_file *pf, u64 offset, int count);
void protshm_wait_restricted(struct protshm_seg *seg);
int protshm_wait_init(void);
void protshm_wait_exit(void);

/* notify.c: lowering records, read(2) and poll(2) of a bound file */
void protshm_notify_init(void);
void protshm_notify_locked(struct protshm_attachment *a, u32 type, u32 old,
			   u32 new);
void protshm_notify_free(struct protshm_attachment *a);
ssize_t protshm_notify_read(struct file *file, char __user *buf, size_t count,
			    loff_t *ppos);
__poll_t protshm_notify_poll(struct file *file, struct poll_table_struct *pt);

/* lease.c: write leases */
void protshm_lease_init(struct protshm_seg *seg);
bool protshm_lease_may_write(struct vm_area_struct *vma);
vm_fault_t protshm_lease_pfn_mkwrite(struct vm_fault *vmf);
void protshm_lease_restricted_locked(struct protshm_attachment *a);
int protshm_lease_move(struct protshm_seg *seg, struct pid *to);

/* ioctl.c */
long protshm_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
void protshm_check_abi(void);

/* dev.c */
int protshm_dev_init(void);
void protshm_dev_exit(void);

#endif /* PROTSHM_INTERNAL_H */
