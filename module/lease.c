// SPDX-License-Identifier: GPL-2.0
/*
 * Write leases: a segment created with PROTSHM_CREATE_LEASE has at most one
 * writing process, the holder of its lease (seg->lease_holder).
 *
 * Its mappings have their own vm_operations (mmap.c) with ->pfn_mkwrite:
 * the core then maps even writable VMAs with read-only page protection
 * (write notification), so every first write to a page faults on a present
 * read-only PTE, and protshm_lease_pfn_mkwrite() lets it become writable
 * only in a mapping of the holder.  Moving the lease sets the new holder
 * first, then zaps the PTEs of the old holder's mappings
 * (protshm_vmas_unlease(), which flushes the TLBs).  Lease segments have no
 * ->huge_fault: no PMD mapping, so every PTE goes through the check.
 */
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>

#include "internal.h"
#include "netlink.h"

/**
 * protshm_lease_init() - give a new segment a write lease, held by current
 * @seg: the segment, not yet visible
 *
 * Context: process context.
 */
void protshm_lease_init(struct protshm_seg *seg)
{
	seg->lease = true;
	seg->lease_holder = get_pid(task_tgid(current));
}

/**
 * protshm_lease_may_write() - does @vma belong to the lease holder?
 * @vma: a mapping of a lease segment
 *
 * The holder pointer is only compared: the attachment of the VMA holds a
 * reference on its own pid, so an old holder's pid cannot come back as a
 * new struct pid at the same address while it is compared.
 *
 * Context: any context; the VMA cannot go away.
 * Return: true if the process of the mapping holds the lease.
 */
bool protshm_lease_may_write(struct vm_area_struct *vma)
{
	struct protshm_attachment *a = vma->vm_private_data;
	struct pid *tgid = READ_ONCE(a->tgid);

	return tgid && tgid == READ_ONCE(a->seg->lease_holder);
}

/**
 * protshm_lease_pfn_mkwrite() - vm_ops->pfn_mkwrite of lease segments
 * @vmf: a write fault on a present read-only PTE of a writable mapping
 *
 * Context: page fault; the mmap_lock or the VMA's lock held for reading.
 * Return: 0 (the core makes the PTE writable, if it did not change
 * meanwhile) or VM_FAULT_SIGSEGV (not the holder).
 */
vm_fault_t protshm_lease_pfn_mkwrite(struct vm_fault *vmf)
{
	return protshm_lease_may_write(vmf->vma) ? 0 : VM_FAULT_SIGSEGV;
}

/* Give the lease to @holder (may be NULL), by current.  seg->lock held. */
static void protshm_lease_set_locked(struct protshm_seg *seg,
				     struct pid *holder)
{
	struct pid *old = seg->lease_holder;

	lockdep_assert_held(&seg->lock);
	WRITE_ONCE(seg->lease_holder, get_pid(holder));
	protshm_nl_lease_event_locked(seg, old);
	put_pid(old);
}

/**
 * protshm_lease_restricted_locked() - @a's ceiling was lowered
 * @a: the attachment
 *
 * A process whose ceiling lacks PROTSHM_PROT_WRITE cannot hold the lease:
 * the segment is left without a holder.  Its mappings lose VM_WRITE and
 * their PTEs in the same RESTRICT.
 *
 * Context: process context; a->seg->lock held.
 */
void protshm_lease_restricted_locked(struct protshm_attachment *a)
{
	struct protshm_seg *seg = a->seg;

	lockdep_assert_held(&seg->lock);
	if (!seg->lease || (a->ceiling & PROTSHM_PROT_WRITE) || !a->tgid ||
	    a->tgid != seg->lease_holder)
		return;
	protshm_lease_set_locked(seg, NULL);
}

/* The attachment of process @pid to @seg (counted), or NULL. */
static struct protshm_attachment *protshm_lease_attach(struct protshm_seg *seg,
						       struct pid *pid)
{
	struct protshm_attachment *a = NULL;
	struct task_struct *task;

	task = pid ? get_pid_task(pid, PIDTYPE_TGID) : NULL;
	if (task) {
		a = protshm_attach_get(seg, task);
		put_task_struct(task);
	}
	return a;
}

/*
 * Move the lease from @from (the holder's attachment, or NULL if it has
 * none) to @to, queueing the records of both.  -EAGAIN if the holder is no
 * longer @old.  Context: seg->lock held.
 */
static int protshm_lease_give_locked(struct protshm_seg *seg, struct pid *old,
				     struct protshm_attachment *from,
				     struct protshm_attachment *to)
{
	lockdep_assert_held(&seg->lock);
	if (seg->lease_holder != old)
		return -EAGAIN;
	if (!protshm_seg_is_owner(seg) && old != task_tgid(current))
		return -EPERM;
	if (!(to->ceiling & PROTSHM_PROT_WRITE))
		return -EACCES;
	if (old == to->tgid)
		return 0;
	if (from)
		protshm_notify_locked(from, PROTSHM_EVENT_LEASE_LOST,
				      PROTSHM_PROT_RW, PROTSHM_PROT_READ);
	protshm_notify_locked(to, PROTSHM_EVENT_LEASE_GAINED,
			      PROTSHM_PROT_READ, PROTSHM_PROT_RW);
	protshm_lease_set_locked(seg, to->tgid);
	return 1;
}

/* One attempt of protshm_lease_move(); -EAGAIN if the holder changed. */
static int protshm_lease_try(struct protshm_seg *seg,
			     struct protshm_attachment *to)
{
	struct protshm_attachment *from;
	struct mm_struct *mm;
	struct pid *old;
	int err;

	mutex_lock(&seg->lock);
	old = get_pid(seg->lease_holder);
	mutex_unlock(&seg->lock);
	from = protshm_lease_attach(seg, old);
	mutex_lock(&seg->lock);
	err = protshm_lease_give_locked(seg, old, from, to);
	mutex_unlock(&seg->lock);
	put_pid(old);
	if (err > 0 && from) {
		mm = protshm_attach_mm(from);
		if (mm) {
			protshm_vmas_unlease(seg, mm);
			mmput(mm);
		}
	}
	if (from)
		protshm_attach_put(from);
	return err < 0 ? err : 0;
}

/**
 * protshm_lease_move() - move the write lease of @seg to process @to
 * @seg: the segment
 * @to: the new holder
 *
 * When this returns 0, the old holder has no writable PTE left in any
 * mapping of @seg (the TLBs are flushed), and the new holder's next write
 * makes its PTE writable in the write fault.
 *
 * Context: process context; no protshm lock held.
 * Return: 0, -EINVAL (no lease), -ESRCH (no such process, or not
 * attached), -EPERM (current neither owns @seg nor holds the lease),
 * -EACCES (@to's ceiling lacks PROTSHM_PROT_WRITE).
 */
int protshm_lease_move(struct protshm_seg *seg, struct pid *to)
{
	struct protshm_attachment *target;
	int err;

	if (!seg->lease)
		return -EINVAL;
	target = protshm_lease_attach(seg, to);
	if (!target)
		return -ESRCH;
	do {
		err = protshm_lease_try(seg, target);
	} while (err == -EAGAIN && !fatal_signal_pending(current));
	protshm_attach_put(target);
	return err;
}
