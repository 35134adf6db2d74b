// SPDX-License-Identifier: GPL-2.0
/*
 * Attachments: one per (segment, process), holding the process's ceiling,
 * and the RESTRICT operations that lower ceilings and mappings.
 *
 * A process is identified by its thread-group pid (struct pid), which
 * survives execve().  A child being forked has no pid yet when its VMAs are
 * duplicated (->open runs from dup_mmap()), so its attachment is first
 * "pending": keyed by the child's new mm, which holds the copied VMAs.  Every
 * walk of the list resolves pending attachments to the pid of the mm's owner
 * once that task has finished forking.  No reference is taken on the child's
 * task_struct: a failed fork frees it whatever its reference count.
 */
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "netlink.h"
#include "compat.h"
#include "internal.h"

static atomic64_t protshm_next_attach_id = ATOMIC64_INIT(0);
static atomic64_t protshm_next_restrict_gen = ATOMIC64_INIT(0);

/**
 * protshm_prot_valid() - is @prot one of NONE, READ, READ|WRITE?
 * @prot: PROTSHM_PROT_* bits
 *
 * Return: true if valid.
 */
bool protshm_prot_valid(u32 prot)
{
	return prot == PROTSHM_PROT_NONE || prot == PROTSHM_PROT_READ ||
	       prot == PROTSHM_PROT_RW;
}

static void protshm_attach_release(struct kref *ref)
{
	struct protshm_attachment *a = container_of(ref, struct protshm_attachment, ref);

	protshm_unmark(&a->mark);
	put_pid(a->tgid);
	if (a->mm)
		mmdrop(a->mm);
	kfree(a);
}

/*
 * Keep @a's mark in the lineage set in step with its ceiling and key, so
 * that the forks of its process are recorded.  Context: seg->lock held, or
 * @a not yet visible.
 */
static void protshm_attach_mark(struct protshm_attachment *a)
{
	if (a->ceiling != PROTSHM_PROT_RW)
		protshm_mark(&a->mark, a->seg,
			     a->tgid ? (const void *)a->tgid : a->mm);
}

/**
 * protshm_attach_put() - drop an attachment reference
 * @a: the attachment
 *
 * Context: any process context.
 */
void protshm_attach_put(struct protshm_attachment *a)
{
	kref_put(&a->ref, protshm_attach_release);
}

/*
 * The task of @a with a reference, or NULL if the process is gone or still
 * being forked.  Context: seg->lock held.
 */
static struct task_struct *protshm_attach_task(struct protshm_attachment *a)
{
	struct task_struct *task;

	if (!a->tgid)
		return NULL;
	rcu_read_lock();
	task = pid_task(a->tgid, PIDTYPE_TGID);
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	return task;
}

/*
 * The thread-group pid of the task that owns a child's mm, once its fork can
 * no longer fail (it left TASK_NEW), or NULL.  A failed fork clears the owner
 * before freeing the task's signal struct, and the task_struct itself is
 * freed after an RCU grace period (delayed_free_task() with CONFIG_MEMCG).
 */
static struct pid *protshm_mm_owner_tgid(struct mm_struct *mm)
{
	struct task_struct *owner;
	struct pid *pid = NULL;

	rcu_read_lock();
	owner = rcu_dereference(mm->owner);
	if (owner && atomic_read(&mm->mm_users) &&
	    READ_ONCE(owner->__state) != TASK_NEW)
		pid = get_pid(task_tgid(owner));
	rcu_read_unlock();
	return pid;
}

/* Bind pending @a to its process @tgid (counted).  seg->lock held. */
static void protshm_attach_bind_locked(struct protshm_attachment *a,
				       struct pid *tgid)
{
	a->tgid = tgid;
	protshm_attach_mark(a);
	mmdrop(a->mm);
	a->mm = NULL;
}

/* Context: seg->lock held. */
static void protshm_resolve_locked(struct protshm_seg *seg)
{
	struct protshm_attachment *a;
	struct pid *tgid;

	lockdep_assert_held(&seg->lock);
	list_for_each_entry(a, &seg->attachments, node) {
		if (a->tgid)
			continue;
		tgid = protshm_mm_owner_tgid(a->mm);
		if (tgid)
			protshm_attach_bind_locked(a, tgid);
	}
}

/*
 * Remember when a ceiling that went from @old to @new lost WRITE and READ
 * (time @t), so that a process forked from its owner can be given the
 * ceiling as it was when it was forked.
 */
static void protshm_stamp(u32 old, u32 new, u64 t, u64 *lost_write_ns,
			  u64 *lost_read_ns)
{
	if ((old & PROTSHM_PROT_WRITE) && !(new & PROTSHM_PROT_WRITE))
		*lost_write_ns = t;
	if ((old & PROTSHM_PROT_READ) && !(new & PROTSHM_PROT_READ))
		*lost_read_ns = t;
}

/* A ceiling now @ceiling, stamped by protshm_stamp(), as it was at @t. */
static u32 protshm_stamped_at(u32 ceiling, u64 lost_write_ns, u64 lost_read_ns,
			      u64 t)
{
	u32 was = PROTSHM_PROT_RW;

	if (!(ceiling & PROTSHM_PROT_WRITE) && t >= lost_write_ns)
		was &= ~PROTSHM_PROT_WRITE;
	if (!(ceiling & PROTSHM_PROT_READ) && t >= lost_read_ns)
		was = PROTSHM_PROT_NONE;
	return was;
}

/*
 * Lower @a's ceiling to (ceiling & @prot), as of time @since (0: now).
 * The lineage mark is set before the time is taken (see protshm_mark()).
 * Context: seg->lock held.
 */
static void protshm_lower_since_locked(struct protshm_attachment *a, u32 prot,
				       u64 since)
{
	u32 old = a->ceiling;

	lockdep_assert_held(&a->seg->lock);
	a->ceiling &= prot;
	protshm_attach_mark(a);
	protshm_stamp(old, a->ceiling, since ?: ktime_get_ns(),
		      &a->lost_write_ns, &a->lost_read_ns);
}

/* Lower @a's ceiling to (ceiling & @prot) now.  Context: seg->lock held. */
static void protshm_lower_ceiling_locked(struct protshm_attachment *a, u32 prot)
{
	protshm_lower_since_locked(a, prot, 0);
}

/* @a's ceiling as it was at time @t (ktime_get_ns()). */
static u32 protshm_ceiling_at(const struct protshm_attachment *a, u64 t)
{
	return protshm_stamped_at(a->ceiling, a->lost_write_ns,
				  a->lost_read_ns, t);
}

/* Context: seg->lock held. */
static struct protshm_mm_ceiling *protshm_mm_find_locked(struct protshm_seg *seg,
							 struct mm_struct *mm)
{
	struct protshm_mm_ceiling *mc;

	lockdep_assert_held(&seg->lock);
	list_for_each_entry(mc, &seg->mm_ceilings, node)
		if (mc->mm == mm)
			return mc;
	return NULL;
}

/*
 * The ceiling of address space @mm (may be NULL) on @seg, as it was at time
 * @t (0: now).  Context: seg->lock held.
 */
static u32 protshm_mm_ceiling_locked(struct protshm_seg *seg,
				     struct mm_struct *mm, u64 t)
{
	struct protshm_mm_ceiling *mc = mm ? protshm_mm_find_locked(seg, mm) : NULL;

	if (!mc)
		return PROTSHM_PROT_RW;
	if (!t)
		return mc->ceiling;
	return protshm_stamped_at(mc->ceiling, mc->lost_write_ns,
				  mc->lost_read_ns, t);
}

/*
 * Lower the ceiling of address space @mm on @seg to (ceiling & @prot); its
 * mark makes the lineage probe record the forks of every process using
 * @mm.  Context: seg->lock held; @mm has a user.
 */
static void protshm_mm_lower_locked(struct protshm_seg *seg,
				    struct mm_struct *mm, u32 prot)
{
	struct protshm_mm_ceiling *mc = protshm_mm_find_locked(seg, mm);
	u32 old;

	if (!mc) {
		if (prot == PROTSHM_PROT_RW)
			return;
		mc = kzalloc(sizeof(*mc), GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
		mmgrab(mm);
		mc->mm = mm;
		mc->ceiling = PROTSHM_PROT_RW;
		protshm_mark(&mc->mark, seg, mm);
		list_add(&mc->node, &seg->mm_ceilings);
	}
	old = mc->ceiling;
	mc->ceiling &= prot;
	protshm_stamp(old, mc->ceiling, ktime_get_ns(), &mc->lost_write_ns,
		      &mc->lost_read_ns);
}

static void protshm_mm_ceiling_free(struct protshm_mm_ceiling *mc)
{
	list_del(&mc->node);
	protshm_unmark(&mc->mark);
	mmdrop(mc->mm);
	kfree(mc);
}

/*
 * Forget the ceilings of address spaces that nothing uses any more and that
 * no fork record names.  Context: seg->lock held.
 */
static void protshm_mm_prune_locked(struct protshm_seg *seg)
{
	struct protshm_mm_ceiling *mc, *tmp;

	lockdep_assert_held(&seg->lock);
	list_for_each_entry_safe(mc, tmp, &seg->mm_ceilings, node) {
		if (atomic_read(&mc->mm->mm_users))
			continue;
		/* unused: the records of its forks are counted */
		smp_mb();
		if (!protshm_parent_pending(&mc->mark))
			protshm_mm_ceiling_free(mc);
	}
}

/*
 * An attachment is dead when nothing but the list references it and its
 * process is gone (or, still unresolved, never came to exist).  A lowered
 * one is kept while a fork record may name it as the parent.
 */
static bool protshm_attach_dead(struct protshm_attachment *a)
{
	if (kref_read(&a->ref) != 1)
		return false;
	if (a->tgid && pid_has_task(a->tgid, PIDTYPE_TGID))
		return false;
	/* gone: the records of its forks are counted, see llist_add() */
	smp_mb();
	return !protshm_parent_pending(&a->mark);
}

/*
 * The children of @dead, which is being forgotten, become children of its
 * parent, as orphaned processes are reparented: a descendant stays a
 * descendant (RESTRICT with PROTSHM_RESTRICT_DESCENDANTS follows
 * @parent_id) when a process between it and the target has exited, as
 * after a double fork.  Context: seg->lock held.
 */
static void protshm_reparent_locked(struct protshm_seg *seg,
				    struct protshm_attachment *dead)
{
	struct protshm_attachment *a;

	lockdep_assert_held(&seg->lock);
	list_for_each_entry(a, &seg->attachments, node)
		if (a->parent_id == dead->id)
			a->parent_id = dead->parent_id;
}

/* Context: seg->lock held.  Resolves pending attachments, frees dead ones. */
static void protshm_prune_locked(struct protshm_seg *seg)
{
	struct protshm_attachment *a, *tmp;

	protshm_resolve_locked(seg);
	protshm_mm_prune_locked(seg);
	list_for_each_entry_safe(a, tmp, &seg->attachments, node) {
		if (protshm_attach_dead(a)) {
			protshm_nl_attach_event(a, PROTSHM_CMD_DETACH_NTF);
			protshm_reparent_locked(seg, a);
			list_del(&a->node);
			protshm_attach_put(a);
		}
	}
}

/*
 * The attachment of process @tgid, or, while it is pending, of the child
 * whose new mm is @mm (may be NULL).  Context: seg->lock held, pending
 * attachments resolved where they can be.
 */
static struct protshm_attachment *protshm_find_key_locked(struct protshm_seg *seg,
							  struct pid *tgid,
							  struct mm_struct *mm)
{
	struct protshm_attachment *a;

	lockdep_assert_held(&seg->lock);
	list_for_each_entry(a, &seg->attachments, node)
		if (a->tgid ? a->tgid == tgid : mm && a->mm == mm)
			return a;
	return NULL;
}

/* Context: seg->lock held, pending attachments resolved. */
static struct protshm_attachment *protshm_find_locked(struct protshm_seg *seg,
						      struct task_struct *task)
{
	return protshm_find_key_locked(seg, task_tgid(task), NULL);
}

/*
 * Does a thread of @a's process use @mm?  Any thread: the group leader may
 * have exited while the others run on.  Context: seg->lock held.
 */
static bool protshm_attach_uses_mm(struct protshm_attachment *a,
				   struct mm_struct *mm)
{
	struct task_struct *task, *t;
	bool found = false;

	if (!a->tgid)
		return a->mm == mm;
	rcu_read_lock();
	task = pid_task(a->tgid, PIDTYPE_TGID);
	if (task) {
		for_each_thread(task, t) {
			if (READ_ONCE(t->mm) == mm) {
				found = true;
				break;
			}
		}
	}
	rcu_read_unlock();
	return found;
}

/*
 * The address space of @a's process, with an mm_users reference, or NULL if
 * it has none (gone, exiting).  A child still being forked has no task->mm
 * yet but already has the VMAs copied into the mm it was created with.
 * Context: seg->lock held.
 */
static struct mm_struct *protshm_attach_mm_locked(struct protshm_attachment *a)
{
	struct mm_struct *mm = NULL;
	struct task_struct *task, *t;

	lockdep_assert_held(&a->seg->lock);
	if (!a->tgid)
		return mmget_not_zero(a->mm) ? a->mm : NULL;
	rcu_read_lock();
	task = pid_task(a->tgid, PIDTYPE_TGID);
	if (task) {
		for_each_thread(task, t) {
			mm = get_task_mm(t);
			if (mm)
				break;
		}
	}
	rcu_read_unlock();
	return mm;
}

/*
 * Processes that share current's address space without being its threads
 * (CLONE_VM, vfork) share its mappings, so a new attachment of current
 * starts at the lowest of their ceilings.  Context: seg->lock held.
 */
static u32 protshm_shared_mm_ceiling_locked(struct protshm_seg *seg)
{
	struct protshm_attachment *a;
	u32 ceiling = PROTSHM_PROT_RW;

	list_for_each_entry(a, &seg->attachments, node)
		if (protshm_attach_uses_mm(a, current->mm))
			ceiling &= a->ceiling;
	return ceiling;
}

/*
 * The ceiling a new attachment of current starts with: no more than the
 * ceiling of its address space, which every RESTRICT of a process using it
 * lowered (a process that shared it and has exited may have left lowered
 * mappings in it), nor than the ceilings of the processes sharing it.  What
 * it inherited from a restricted ancestor is already in an attachment of
 * its own, created from its fork record (see lineage.c).  seg->lock held.
 */
static u32 protshm_new_ceiling_locked(struct protshm_seg *seg)
{
	return protshm_shared_mm_ceiling_locked(seg) &
	       protshm_mm_ceiling_locked(seg, current->mm, 0);
}

static struct protshm_attachment *protshm_attach_new(struct protshm_seg *seg,
						     u32 ceiling, gfp_t gfp)
{
	struct protshm_attachment *a = kzalloc(sizeof(*a), gfp);

	if (!a)
		return NULL;
	kref_init(&a->ref);	/* the list's reference */
	a->seg = seg;
	a->ceiling = ceiling;
	a->id = atomic64_inc_return(&protshm_next_attach_id);
	list_add_tail(&a->node, &seg->attachments);
	return a;
}

/**
 * protshm_attach_current() - current's attachment to @seg, created if needed
 * @seg: the segment
 *
 * Context: process context; may be called with current's mmap_lock held.
 * Return: the attachment with a reference for the caller, or ERR_PTR().
 */
struct protshm_attachment *protshm_attach_current(struct protshm_seg *seg)
{
	struct protshm_attachment *a;

	protshm_lineage_drain(seg, task_tgid(current));
	mutex_lock(&seg->lock);
	protshm_prune_locked(seg);
	a = protshm_find_locked(seg, current);
	if (!a) {
		a = protshm_attach_new(seg, protshm_new_ceiling_locked(seg),
				       GFP_KERNEL_ACCOUNT);
		if (a) {
			a->tgid = get_pid(task_tgid(current));
			protshm_attach_mark(a);
			protshm_nl_attach_event(a, PROTSHM_CMD_ATTACH_NTF);
		}
	}
	if (a)
		kref_get(&a->ref);
	mutex_unlock(&seg->lock);
	return a ? a : ERR_PTR(-ENOMEM);
}

/**
 * protshm_attach_fork() - the attachment of a child being forked
 * @parent: attachment the parent's VMA belongs to
 * @child_mm: the child's new mm
 *
 * The child inherits, as they are at fork time, the lowest of the ceilings
 * of the attachments of every mapping it inherits (the parent's address
 * space may hold mappings of exited CLONE_VM siblings) and of the parent's
 * address space.  RESTRICT on the parent holds the parent's mmap_lock, as
 * dup_mmap() does, so the two cannot interleave.
 *
 * Context: vm_ops->open from dup_mmap(), in the parent; parent and child
 * mmap_lock held.
 * Return: the child's attachment with a reference (cannot fail).
 */
struct protshm_attachment *protshm_attach_fork(struct protshm_attachment *parent,
					       struct mm_struct *child_mm)
{
	struct protshm_seg *seg = parent->seg;
	struct protshm_attachment *a;
	u32 ceiling;

	mutex_lock(&seg->lock);
	ceiling = parent->ceiling &
		  protshm_mm_ceiling_locked(seg, current->mm, 0);
	list_for_each_entry(a, &seg->attachments, node) {
		if (!a->tgid && a->mm == child_mm) {
			protshm_lower_ceiling_locked(a, ceiling);
			goto found;
		}
	}
	a = protshm_attach_new(seg, ceiling, GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
	a->parent_id = parent->id;
	mmgrab(child_mm);
	a->mm = child_mm;
	protshm_attach_mark(a);
	protshm_nl_attach_event(a, PROTSHM_CMD_ATTACH_NTF);
found:
	kref_get(&a->ref);
	mutex_unlock(&seg->lock);
	return a;
}

/**
 * protshm_attach_exec() - bind a pending attachment to the exec'ing task
 * @a: a pending attachment whose mm current is leaving by execve()
 *
 * A forked child that execs before anything resolved its attachment would
 * otherwise leave no trace of its ceiling: its old mm, the attachment's key,
 * is torn down by the exec.  Its VMAs are closed by the exec'ing task, which
 * is the child (or a process sharing its address space).
 *
 * Context: vm_ops->close during execve(), the old mm's mmap_lock held.
 */
void protshm_attach_exec(struct protshm_attachment *a)
{
	struct protshm_seg *seg = a->seg;
	struct protshm_attachment *b;

	mutex_lock(&seg->lock);
	if (a->tgid)
		goto out;
	b = protshm_find_locked(seg, current);
	if (b) {
		protshm_lower_ceiling_locked(b, a->ceiling);
		goto out;
	}
	protshm_attach_bind_locked(a, get_pid(task_tgid(current)));
out:
	mutex_unlock(&seg->lock);
}

/**
 * protshm_ceiling_current() - current's ceiling on @seg
 * @seg: the segment
 *
 * Return: PROTSHM_PROT_* ceiling (what a new attachment would get if current
 * has none).
 */
u32 protshm_ceiling_current(struct protshm_seg *seg)
{
	struct protshm_attachment *a;
	u32 ceiling;

	protshm_lineage_drain(seg, task_tgid(current));
	mutex_lock(&seg->lock);
	protshm_prune_locked(seg);
	a = protshm_find_locked(seg, current);
	ceiling = a ? a->ceiling : protshm_new_ceiling_locked(seg);
	mutex_unlock(&seg->lock);
	return ceiling;
}

/**
 * protshm_nr_attachments() - number of live attachments
 * @seg: the segment
 *
 * Return: the count.
 */
unsigned int protshm_nr_attachments(struct protshm_seg *seg)
{
	struct protshm_attachment *a;
	unsigned int n = 0;

	protshm_lineage_drain(seg, NULL);
	mutex_lock(&seg->lock);
	protshm_prune_locked(seg);
	list_for_each_entry(a, &seg->attachments, node)
		n++;
	mutex_unlock(&seg->lock);
	return n;
}

/**
 * protshm_attach_snapshot() - copy a batch of a segment's attachments
 * @seg: the segment
 * @from_id: the attachments with a lower id are skipped
 * @snap: receives the copies, each holding references (see struct
 *	protshm_attach_snap); release them with protshm_attach_snap_put()
 * @max: size of @snap
 *
 * Forgets dead attachments and resolves those of finished forks first.
 *
 * Context: process context, no protshm lock held.
 * Return: the number of entries filled, by ascending id.
 */
unsigned int protshm_attach_snapshot(struct protshm_seg *seg, u64 from_id,
				     struct protshm_attach_snap *snap,
				     unsigned int max)
{
	struct protshm_attachment *a;
	unsigned int n = 0;

	protshm_lineage_drain(seg, NULL);
	mutex_lock(&seg->lock);
	protshm_prune_locked(seg);
	/* in id order: ids are taken and entries added under seg->lock */
	list_for_each_entry(a, &seg->attachments, node) {
		if (a->id < from_id)
			continue;
		if (n == max)
			break;
		snap[n].id = a->id;
		snap[n].parent_id = a->parent_id;
		snap[n].ceiling = a->ceiling;
		snap[n].tgid = get_pid(a->tgid);
		snap[n].task = protshm_attach_task(a);
		n++;
	}
	mutex_unlock(&seg->lock);
	return n;
}

/**
 * protshm_attach_snap_put() - release what protshm_attach_snapshot() took
 * @snap: the entries
 * @n: their number
 */
void protshm_attach_snap_put(struct protshm_attach_snap *snap, unsigned int n)
{
	while (n--) {
		put_pid(snap[n].tgid);
		if (snap[n].task)
			put_task_struct(snap[n].task);
	}
}

/**
 * protshm_attachments_free() - free the attachments of a dying segment
 * @seg: the segment, no longer referenced by any file or VMA
 */
void protshm_attachments_free(struct protshm_seg *seg)
{
	struct protshm_mm_ceiling *mc, *next;
	struct protshm_attachment *a, *tmp;

	list_for_each_entry_safe(mc, next, &seg->mm_ceilings, node)
		protshm_mm_ceiling_free(mc);

	list_for_each_entry_safe(a, tmp, &seg->attachments, node) {
		protshm_nl_attach_event(a, PROTSHM_CMD_DETACH_NTF);
		list_del(&a->node);
		WARN_ON(kref_read(&a->ref) != 1);
		protshm_attach_put(a);
	}
}

/*
 * A new attachment for the child of @f with a lowered ceiling, charged to
 * the child's memory cgroup (the drain may run in any task).  @parent is
 * NULL when only the address space of the forking process was lowered.
 * Context: seg->lock held.
 */
static void protshm_attach_child_locked(struct protshm_seg *seg,
					struct protshm_attachment *parent,
					struct protshm_fork *f, u32 ceiling)
{
	struct mem_cgroup *memcg, *old_memcg;
	struct protshm_attachment *a;

	memcg = get_mem_cgroup_from_mm(f->child_mm ?: f->parent_mm);
	old_memcg = set_active_memcg(memcg);
	a = protshm_attach_new(seg, ceiling, GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
	set_active_memcg(old_memcg);
	mem_cgroup_put(memcg);
	a->parent_id = parent ? parent->id : 0;
	a->tgid = get_pid(f->child);
	protshm_attach_mark(a);
	protshm_nl_inherit_event(a, f->parent);
}

/*
 * A record proves that its fork succeeded: bind the child's pending
 * attachment (if it inherited mappings) to it now, rather than through
 * mm->owner later, which an exec or a CLONE_VM sibling can change or clear.
 * Context: seg->lock held.
 */
static void protshm_bind_child_locked(struct protshm_seg *seg,
				      struct protshm_fork *f)
{
	struct protshm_attachment *a;

	if (!f->child_mm)
		return;
	list_for_each_entry(a, &seg->attachments, node) {
		if (!a->tgid && a->mm == f->child_mm) {
			protshm_attach_bind_locked(a, get_pid(f->child));
			return;
		}
	}
}

/**
 * protshm_attach_inherit_locked() - give a forked child its parent's ceiling
 * @seg: the segment
 * @f: the record of the fork
 *
 * A child gets the lower of its parent's ceiling on @seg and the ceiling of
 * its parent's address space as they were when it was forked: its
 * attachment is lowered to it, or created with it.  A child that inherited
 * mappings got its attachment from ->open (protshm_attach_fork()), bound to
 * it here, and nothing else can attach it before its record is applied.
 * Records reach a segment in the order of the forks, so the record of a
 * child's own child comes later.
 *
 * Context: seg->lock held.
 */
void protshm_attach_inherit_locked(struct protshm_seg *seg,
				   struct protshm_fork *f)
{
	struct protshm_attachment *parent, *child;
	u32 ceiling;

	lockdep_assert_held(&seg->lock);
	protshm_bind_child_locked(seg, f);
	protshm_resolve_locked(seg);
	parent = protshm_find_key_locked(seg, f->parent, f->parent_mm);
	ceiling = protshm_mm_ceiling_locked(seg, f->parent_mm, f->start_ns);
	if (parent)
		ceiling &= protshm_ceiling_at(parent, f->start_ns);
	if (ceiling == PROTSHM_PROT_RW)
		return;
	child = protshm_find_key_locked(seg, f->child, NULL);
	if (child)
		protshm_lower_since_locked(child, ceiling, f->start_ns);
	else
		protshm_attach_child_locked(seg, parent, f, ceiling);
}

static bool protshm_vma_of(struct vm_area_struct *vma, struct protshm_seg *seg)
{
	struct protshm_attachment *a = vma->vm_private_data;

	return vma->vm_ops == &protshm_vm_ops && a->seg == seg;
}

/*
 * Lower @mm to @prot on @seg: its own ceiling, the ceiling of every process
 * that uses it, and every mapping of @seg in it together with the
 * attachment the mapping belongs to.  Processes sharing an address space
 * without being threads of one another (CLONE_VM, vfork) share its
 * mappings, which outlive the process that made them: none of them may
 * map the segment more widely than another may access it, and no process
 * forked from one of them may get more.
 *
 * Context: mm's mmap_lock held for writing, seg->lock held.
 */
static void protshm_lower_mm_locked(struct mm_struct *mm,
				    struct protshm_seg *seg, u32 prot)
{
	VMA_ITERATOR(vmi, mm, 0);
	struct protshm_attachment *b;
	struct vm_area_struct *vma;

	protshm_assert_mmap_write_locked(mm);
	lockdep_assert_held(&seg->lock);
	protshm_mm_lower_locked(seg, mm, prot);
	list_for_each_entry(b, &seg->attachments, node)
		if (protshm_attach_uses_mm(b, mm))
			protshm_lower_ceiling_locked(b, prot);
	for_each_vma(vmi, vma) {
		if (protshm_vma_of(vma, seg)) {
			protshm_lower_ceiling_locked(vma->vm_private_data, prot);
			protshm_vma_lower(vma, prot);
		}
	}
}

/*
 * Lower the address space @a's process uses now to @a's ceiling.
 * Return: 1 if done (the process still used it once its mappings were
 * lowered, or it has none), 0 if the process moved to another address
 * space meanwhile (execve()), -EINTR.
 */
static int protshm_revoke_mm(struct protshm_seg *seg,
			     struct protshm_attachment *a)
{
	struct mm_struct *mm;
	int done;

	mutex_lock(&seg->lock);
	mm = protshm_attach_mm_locked(a);
	mutex_unlock(&seg->lock);
	if (!mm)
		return 1;
	if (mmap_write_lock_killable(mm)) {
		mmput(mm);
		return -EINTR;
	}
	mutex_lock(&seg->lock);
	protshm_lower_mm_locked(mm, seg, a->ceiling);
	done = protshm_attach_uses_mm(a, mm);
	mutex_unlock(&seg->lock);
	mmap_write_unlock(mm);
	mmput(mm);
	return done;
}

/*
 * Lower one attachment's ceiling to (ceiling & prot), then every mapping of
 * the segment in its process's address space.  The ceiling goes first, so
 * every mapping made after it, in any address space, is within it; the
 * mappings made before are in the address space the process used then,
 * which is lowered under its mmap_lock.  If the process execs meanwhile,
 * its new address space is lowered too, until the one lowered is still
 * the process's own afterwards.  Zapping the PTEs flushes the TLBs before
 * this returns.
 */
static int protshm_revoke(struct protshm_seg *seg, struct protshm_attachment *a,
			  u32 prot, u64 gen)
{
	int done;
	u32 old;

	mutex_lock(&seg->lock);
	old = a->ceiling;
	protshm_lower_ceiling_locked(a, prot);
	a->restrict_gen = gen;
	protshm_nl_restrict_event(a, old);
	mutex_unlock(&seg->lock);
	do {
		if (fatal_signal_pending(current))
			return -EINTR;
		done = protshm_revoke_mm(seg, a);
	} while (!done);
	return done < 0 ? done : 0;
}

/* Context: seg->lock held. */
static struct protshm_attachment *protshm_find_id_locked(struct protshm_seg *seg,
							 u64 id)
{
	struct protshm_attachment *a;

	list_for_each_entry(a, &seg->attachments, node)
		if (a->id == id)
			return a;
	return NULL;
}

/*
 * The next descendant of an attachment processed by restrict operation
 * @gen that has not been processed itself, with a reference, or NULL.
 */
static struct protshm_attachment *protshm_next_descendant(struct protshm_seg *seg,
							  u64 gen)
{
	struct protshm_attachment *a, *parent;

	protshm_lineage_drain(seg, NULL);
	mutex_lock(&seg->lock);
	protshm_resolve_locked(seg);
	list_for_each_entry(a, &seg->attachments, node) {
		if (!a->parent_id || a->restrict_gen == gen)
			continue;
		parent = protshm_find_id_locked(seg, a->parent_id);
		if (parent && parent->restrict_gen == gen) {
			kref_get(&a->ref);
			mutex_unlock(&seg->lock);
			return a;
		}
	}
	mutex_unlock(&seg->lock);
	return NULL;
}

/*
 * Descendants are processed until none is left: a child forked while its
 * parent was being processed is found by a later pass, and one forked after
 * inherits the lowered ceiling and mappings.
 */
static int protshm_revoke_descendants(struct protshm_seg *seg, u32 prot,
				      u64 gen)
{
	struct protshm_attachment *a;
	int err = 0;

	while (!err && (a = protshm_next_descendant(seg, gen))) {
		err = protshm_revoke(seg, a, prot, gen);
		protshm_attach_put(a);
	}
	return err;
}

static struct protshm_attachment *protshm_target_attach(struct protshm_seg *seg,
							struct task_struct *task)
{
	struct protshm_attachment *a;

	protshm_lineage_drain(seg, task_tgid(task));
	mutex_lock(&seg->lock);
	protshm_prune_locked(seg);
	a = protshm_find_locked(seg, task);
	if (a)
		kref_get(&a->ref);
	mutex_unlock(&seg->lock);
	return a;
}

/**
 * protshm_restrict_pid() - lower the ceiling of process @pid on @seg
 * @seg: the segment
 * @pid: the process (its thread group's pid)
 * @prot: new ceiling = old ceiling & @prot
 * @flags: PROTSHM_RESTRICT_DESCENDANTS or 0
 *
 * When this returns 0, no thread of the target can access the segment
 * beyond the new ceiling through any of its mappings.  On -EINTR the
 * target's ceiling may be lowered already, its mappings or its descendants
 * not yet: the same call again finishes the job.
 *
 * Context: process context, no locks held.
 * Return: 0, -ESRCH (no such process, or not attached, or still being
 * forked), -EPERM (another process and current is not the owner), -EINTR
 * (fatal signal).
 */
int protshm_restrict_pid(struct protshm_seg *seg, struct pid *pid, u32 prot,
			 u32 flags)
{
	u64 gen = atomic64_inc_return(&protshm_next_restrict_gen);
	struct protshm_attachment *a;
	struct task_struct *task;
	int err = -ESRCH;

	task = get_pid_task(pid, PIDTYPE_TGID);
	if (!task)
		return -ESRCH;
	if (!same_thread_group(task, current) && !protshm_seg_is_owner(seg)) {
		put_task_struct(task);
		return -EPERM;
	}
	a = protshm_target_attach(seg, task);
	put_task_struct(task);
	if (!a)
		return err;
	err = protshm_revoke(seg, a, prot, gen);
	protshm_attach_put(a);
	if (!err && (flags & PROTSHM_RESTRICT_DESCENDANTS))
		err = protshm_revoke_descendants(seg, prot, gen);
	return err;
}

/* Context: current's mmap_lock held.  Is [addr, end) exactly covered? */
static bool protshm_range_covered(struct protshm_seg *seg, unsigned long addr,
				  unsigned long end)
{
	VMA_ITERATOR(vmi, current->mm, addr);
	struct vm_area_struct *vma;
	unsigned long next = addr;

	for_each_vma_range(vmi, vma, end) {
		if (vma->vm_start != next || !protshm_vma_of(vma, seg))
			return false;
		next = vma->vm_end;
	}
	return next == end;
}

/**
 * protshm_restrict_mapping() - lower current's own mappings of @seg
 * @seg: the segment
 * @addr: start of the range
 * @len: length of the range
 * @prot: the mappings' rights are intersected with @prot
 *
 * Context: process context, no locks held.
 * Return: 0, -EINVAL (range not exactly covered by mappings of @seg),
 * -EINTR.
 */
int protshm_restrict_mapping(struct protshm_seg *seg, unsigned long addr,
			     unsigned long len, u32 prot)
{
	struct mm_struct *mm = current->mm;
	unsigned long end = addr + len;
	struct vm_area_struct *vma;
	int err = -EINVAL;

	if (!len || end < addr || !PAGE_ALIGNED(addr) || !PAGE_ALIGNED(len))
		return -EINVAL;
	if (mmap_write_lock_killable(mm))
		return -EINTR;
	if (protshm_range_covered(seg, addr, end)) {
		VMA_ITERATOR(vmi, mm, addr);

		for_each_vma_range(vmi, vma, end)
			protshm_vma_lower(vma, prot);
		err = 0;
	}
	mmap_write_unlock(mm);
	return err;
}
