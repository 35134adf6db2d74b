// SPDX-License-Identifier: GPL-2.0
/*
 * Attachments: one per (segment, process), holding the process's ceiling,
 * and the ceilings of address spaces.  This file owns them: everything
 * else reads and lowers ceilings through its functions (restrict.c runs the
 * RESTRICT operations with them, lineage.c's fork records reach
 * protshm_attach_inherit_locked()).  Every helper named *_locked needs
 * seg->lock and asserts it.
 *
 * A process is identified by its thread-group pid (struct pid), which
 * survives execve().  A child being forked has no pid yet when its VMAs are
 * duplicated (->open runs from dup_mmap()), so its attachment is first
 * "pending": keyed by the child's new mm, which holds the copied VMAs, until
 * it is bound to the pid of the mm's owner once that task has finished
 * forking.  No reference is taken on the child's task_struct: a failed fork
 * frees it whatever its reference count.
 *
 * Every lookup costs the same whatever the number of attachments: a
 * segment's attachments are indexed by id (seg->attachments; listed in the
 * same order in seg->attach_list, which the walks of them all use) and by
 * key (seg->attach_keys: the process, or the child's mm while pending), its
 * address-space ceilings by mm (seg->mm_keys).  A pending attachment is
 * resolved when its own process is looked up.  Dead attachments are
 * forgotten in one walk when their number may have doubled since the last
 * one (protshm_maybe_prune_locked()), and before anything that reports the
 * attachments (counts, the start of a dump).  The processes that use an
 * address space are found without a walk when only one process's threads
 * use it (see protshm_mm_private()), which is the common case; a walk of
 * the attachments answers otherwise (CLONE_VM, vfork).
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

/**
 * protshm_prot_valid() - is @prot one of NONE, READ, READ|WRITE?
 * @prot: PROTSHM_PROT_* bits
 *
 * Context: any context; no lock needed.
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

	protshm_unmark_locked(&a->mark);
	protshm_notify_free(a);
	put_pid(a->tgid);
	if (a->mm)
		mmdrop(a->mm);
	kfree(a);
}

/*
 * Keep @a's mark in the lineage set in step with its ceiling and key, so
 * that the forks of its process are recorded.  Context: seg->lock held.
 */
static void protshm_attach_mark_locked(struct protshm_attachment *a)
{
	lockdep_assert_held(&a->seg->lock);
	if (a->ceiling != PROTSHM_PROT_RW)
		protshm_mark_locked(&a->mark, a->seg,
				    a->tgid ? (const void *)a->tgid : a->mm);
}

/**
 * protshm_attach_put() - drop an attachment reference
 * @a: the attachment
 *
 * Context: process context; any protshm lock but protshm_keys_lock may be
 * held; takes protshm_keys_lock.
 */
void protshm_attach_put(struct protshm_attachment *a)
{
	kref_put(&a->ref, protshm_attach_release);
}

/*
 * The task of @a with a reference, or NULL if the process is gone or still
 * being forked.  Context: seg->lock held.
 */
static struct task_struct *protshm_attach_task_locked(struct protshm_attachment *a)
{
	struct task_struct *task;

	lockdep_assert_held(&a->seg->lock);
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
	lockdep_assert_held(&a->seg->lock);
	protshm_ktab_del(&a->seg->attach_keys, &a->knode);
	protshm_ktab_add(&a->seg->attach_keys, &a->knode, tgid);
	a->tgid = tgid;
	protshm_attach_mark_locked(a);
	mmdrop(a->mm);
	a->mm = NULL;
}

/* Bind @a if it is pending and its fork is done.  seg->lock held. */
static void protshm_resolve_one_locked(struct protshm_attachment *a)
{
	struct pid *tgid;

	lockdep_assert_held(&a->seg->lock);
	if (a->tgid)
		return;
	tgid = protshm_mm_owner_tgid(a->mm);
	if (tgid)
		protshm_attach_bind_locked(a, tgid);
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
 * The lineage mark is set before the time is taken (see
 * protshm_mark_locked()).
 * Context: seg->lock held.
 */
static void protshm_restrict_since_locked(struct protshm_attachment *a,
					  u32 prot, u64 since)
{
	u32 old = a->ceiling;

	lockdep_assert_held(&a->seg->lock);
	a->ceiling &= prot;
	protshm_attach_mark_locked(a);
	protshm_stamp(old, a->ceiling, since ?: ktime_get_ns(),
		      &a->lost_write_ns, &a->lost_read_ns);
}

/**
 * protshm_attach_restrict_locked() - lower an attachment's ceiling now
 * @a: the attachment
 * @prot: its new ceiling is (ceiling & @prot)
 *
 * A change is queued for @a's process to read (notify.c) and may take the
 * write lease away (lease.c).
 *
 * Context: process context; seg->lock held.
 */
void protshm_attach_restrict_locked(struct protshm_attachment *a, u32 prot)
{
	u32 old = a->ceiling;

	lockdep_assert_held(&a->seg->lock);
	protshm_restrict_since_locked(a, prot, 0);
	if (a->ceiling == old)
		return;
	protshm_notify_locked(a, PROTSHM_EVENT_CEILING, old, a->ceiling);
	protshm_lease_restricted_locked(a);
}

/* @a's ceiling as it was at time @t (ktime_get_ns()). */
static u32 protshm_ceiling_at_locked(const struct protshm_attachment *a, u64 t)
{
	lockdep_assert_held(&a->seg->lock);
	return protshm_stamped_at(a->ceiling, a->lost_write_ns,
				  a->lost_read_ns, t);
}

/* Context: seg->lock held. */
static struct protshm_mm_ceiling *protshm_mm_find_locked(struct protshm_seg *seg,
							 struct mm_struct *mm)
{
	struct protshm_knode *kn;

	lockdep_assert_held(&seg->lock);
	protshm_ktab_for_each_possible(&seg->mm_keys, kn, mm)
		if (kn->key == mm)
			return container_of(kn, struct protshm_mm_ceiling,
					    knode);
	return NULL;
}

/*
 * The ceiling of address space @mm (may be NULL) on @seg, as it was at time
 * @t (0: now).  Context: seg->lock held.
 */
static u32 protshm_mm_ceiling_locked(struct protshm_seg *seg,
				     struct mm_struct *mm, u64 t)
{
	struct protshm_mm_ceiling *mc;

	lockdep_assert_held(&seg->lock);
	mc = mm ? protshm_mm_find_locked(seg, mm) : NULL;
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
static void protshm_mm_ceiling_restrict_locked(struct protshm_seg *seg,
					       struct mm_struct *mm, u32 prot)
{
	struct protshm_mm_ceiling *mc;
	u32 old;

	lockdep_assert_held(&seg->lock);
	mc = protshm_mm_find_locked(seg, mm);
	if (!mc) {
		if (prot == PROTSHM_PROT_RW)
			return;
		mc = kzalloc(sizeof(*mc), GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
		mmgrab(mm);
		mc->mm = mm;
		mc->ceiling = PROTSHM_PROT_RW;
		protshm_mark_locked(&mc->mark, seg, mm);
		list_add(&mc->node, &seg->mm_ceilings);
		protshm_ktab_add(&seg->mm_keys, &mc->knode, mm);
		seg->nr_mm_ceilings++;
	}
	old = mc->ceiling;
	mc->ceiling &= prot;
	protshm_stamp(old, mc->ceiling, ktime_get_ns(), &mc->lost_write_ns,
		      &mc->lost_read_ns);
}

/* Context: seg->lock held. */
static void protshm_mm_ceiling_free_locked(struct protshm_seg *seg,
					   struct protshm_mm_ceiling *mc)
{
	lockdep_assert_held(&seg->lock);
	list_del(&mc->node);
	protshm_ktab_del(&seg->mm_keys, &mc->knode);
	seg->nr_mm_ceilings--;
	protshm_unmark_locked(&mc->mark);
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
		if (!protshm_parent_pending_locked(&mc->mark))
			protshm_mm_ceiling_free_locked(seg, mc);
	}
}

/*
 * An attachment is dead when nothing but the list references it and its
 * process is gone (or, still unresolved, never came to exist).  A lowered
 * one is kept while a fork record may name it as the parent.
 * Context: seg->lock held.
 */
static bool protshm_attach_dead_locked(struct protshm_attachment *a)
{
	lockdep_assert_held(&a->seg->lock);
	if (kref_read(&a->ref) != 1)
		return false;
	if (a->tgid && pid_has_task(a->tgid, PIDTYPE_TGID))
		return false;
	/* gone: the records of its forks are counted, see llist_add() */
	smp_mb();
	return !protshm_parent_pending_locked(&a->mark);
}

/*
 * seg->attachments is indexed by id - seg->id_base: the ids are global, so
 * the segment's own are spread; counted from the first one the segment has
 * had since it last had none, they stay close to 0, which keeps the
 * array's walks short.
 */

/* The attachment with id @id, or NULL.  seg->lock held. */
static struct protshm_attachment *protshm_attach_by_id_locked(struct protshm_seg *seg,
							      u64 id)
{
	lockdep_assert_held(&seg->lock);
	if (!id || id < seg->id_base)
		return NULL;
	return xa_load(&seg->attachments, id - seg->id_base);
}

/* The index to walk seg->attachments from to reach ids from @id on. */
static unsigned long protshm_attach_index_from(const struct protshm_seg *seg,
					       u64 id)
{
	return id > seg->id_base ? id - seg->id_base : 0;
}

/*
 * The children of a dead attachment, which is being forgotten, become
 * children of its parent, as orphaned processes are reparented: a
 * descendant stays a descendant (RESTRICT with PROTSHM_RESTRICT_DESCENDANTS
 * follows @parent_id) when a process between it and the target has exited,
 * as after a double fork.  A parent is older than its children (a lower
 * id), so in one walk by id its own parent is already settled.
 * Context: seg->lock held, in that walk.
 */
static void protshm_reparent_locked(struct protshm_seg *seg,
				    struct protshm_attachment *a)
{
	struct protshm_attachment *parent;

	lockdep_assert_held(&seg->lock);
	parent = protshm_attach_by_id_locked(seg, a->parent_id);
	if (parent && parent->dead)
		a->parent_id = parent->parent_id;
}

/* Take @a off the segment's indexes and drop their reference.  seg->lock. */
static void protshm_attach_forget_locked(struct protshm_seg *seg,
					 struct protshm_attachment *a)
{
	lockdep_assert_held(&seg->lock);
	protshm_nl_attach_event_locked(a, PROTSHM_CMD_DETACH_NTF);
	xa_erase(&seg->attachments, a->id - seg->id_base);
	list_del(&a->node);
	protshm_ktab_del(&seg->attach_keys, &a->knode);
	seg->nr_attachments--;
	protshm_attach_put(a);
}

/*
 * Resolves pending attachments, forgets dead ones and unused address-space
 * ceilings, in one walk (and one more over the dead ones if there are).
 * Context: seg->lock held.
 */
static void protshm_prune_locked(struct protshm_seg *seg)
{
	struct protshm_attachment *a, *tmp;
	unsigned int dead = 0;

	lockdep_assert_held(&seg->lock);
	protshm_mm_prune_locked(seg);
	list_for_each_entry(a, &seg->attach_list, node) {
		protshm_resolve_one_locked(a);
		protshm_reparent_locked(seg, a);
		a->dead = protshm_attach_dead_locked(a);
		dead += a->dead;
	}
	if (dead)
		list_for_each_entry_safe(a, tmp, &seg->attach_list, node)
			if (a->dead)
				protshm_attach_forget_locked(seg, a);
	seg->prune_at = 2 * (seg->nr_attachments + seg->nr_mm_ceilings) + 16;
}

/*
 * protshm_prune_locked() once the attachments and address-space ceilings
 * may have doubled since the last one: each of them then costs a bounded
 * number of visits, whatever their number.  Context: seg->lock held.
 */
static void protshm_maybe_prune_locked(struct protshm_seg *seg)
{
	lockdep_assert_held(&seg->lock);
	if (seg->nr_attachments + seg->nr_mm_ceilings >= seg->prune_at)
		protshm_prune_locked(seg);
}

/* The attachment keyed by @key (a struct pid or an mm).  seg->lock held. */
static struct protshm_attachment *protshm_find_one_locked(struct protshm_seg *seg,
							  const void *key)
{
	struct protshm_knode *kn;

	lockdep_assert_held(&seg->lock);
	if (!key)
		return NULL;
	protshm_ktab_for_each_possible(&seg->attach_keys, kn, key)
		if (kn->key == key)
			return container_of(kn, struct protshm_attachment,
					    knode);
	return NULL;
}

/*
 * The attachment of process @tgid, or, while it is pending, of the child
 * whose new mm is @mm (may be NULL).  A struct pid and an mm are never at
 * the same address while their attachments hold them, so the two keys never
 * meet.  Context: seg->lock held.
 */
static struct protshm_attachment *protshm_find_key_locked(struct protshm_seg *seg,
							  struct pid *tgid,
							  struct mm_struct *mm)
{
	lockdep_assert_held(&seg->lock);
	return protshm_find_one_locked(seg, tgid) ?:
	       protshm_find_one_locked(seg, mm);
}

/*
 * The address space a thread of @task's process uses (any thread: the
 * group leader may have exited while the others run on), or NULL.  Only a
 * pointer to compare, not a reference.
 */
static const struct mm_struct *protshm_task_mm_ptr(struct task_struct *task)
{
	const struct mm_struct *mm = NULL;
	struct task_struct *t;

	rcu_read_lock();
	for_each_thread(task, t) {
		mm = READ_ONCE(t->mm);
		if (mm)
			break;
	}
	rcu_read_unlock();
	return mm;
}

/*
 * The attachment of @task's process: bound to it, or still pending on the
 * mm the process uses (a child that inherited mappings), which is then
 * bound to it if the process owns that mm and is done forking.  Only the
 * pointers are compared: a pending attachment holds its mm.
 * Context: seg->lock held.
 */
static struct protshm_attachment *
protshm_find_task_locked(struct protshm_seg *seg, struct task_struct *task)
{
	struct pid *tgid = task_tgid(task);
	struct protshm_attachment *a;

	lockdep_assert_held(&seg->lock);
	a = protshm_find_one_locked(seg, tgid);
	if (a)
		return a;
	a = protshm_find_one_locked(seg, protshm_task_mm_ptr(task));
	if (!a)
		return NULL;
	protshm_resolve_one_locked(a);
	return a->tgid == tgid ? a : NULL;
}

/**
 * protshm_attach_uses_mm_locked() - does @a's process use @mm?
 * @a: the attachment
 * @mm: an address space
 *
 * Any thread of the process counts: the group leader may have exited while
 * the others run on.
 *
 * Context: process context; seg->lock held.
 * Return: true if one of its threads (or, while @a is pending, the child
 * being forked) uses @mm.
 */
bool protshm_attach_uses_mm_locked(struct protshm_attachment *a,
				   struct mm_struct *mm)
{
	struct task_struct *task, *t;
	bool found = false;

	lockdep_assert_held(&a->seg->lock);
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
 * Is @mm used by @task's threads only, no other process?  @extra: the
 * mm_users references the caller holds.  Every task using @mm holds one
 * mm_users reference, dropped only after it stopped using it (exit_mm()
 * and exec clear task->mm first): reading the count first, a thread seen
 * using @mm is in it, so a count no higher than the threads seen leaves no
 * room for another process.  A reference held by anyone else (/proc, a
 * kernel thread) only sends the caller to its walk.
 * Context: RCU read lock held, @task alive.
 */
static bool protshm_mm_private(struct task_struct *task, struct mm_struct *mm,
			       int extra)
{
	int users = atomic_read(&mm->mm_users);
	struct task_struct *t;
	int n = extra;

	smp_rmb();	/* the count, then the threads' mm */
	for_each_thread(task, t)
		if (READ_ONCE(t->mm) == mm)
			n++;
	return users <= n;
}

/* @a's ceiling, lowered first to (ceiling & @prot).  seg->lock held. */
static u32 protshm_user_ceiling_locked(struct protshm_attachment *a, u32 prot)
{
	if (prot != PROTSHM_PROT_RW)
		protshm_attach_restrict_locked(a, prot);
	return a->ceiling;
}

/*
 * Lower every attachment whose process uses @mm to (ceiling & @prot), and
 * return the lowest of their ceilings (PROTSHM_PROT_RW if none).  When only
 * the threads of process @tgid (may be NULL) use @mm (see
 * protshm_mm_private()), these are the attachment of @tgid and a pending
 * one on @mm; otherwise every attachment is looked at.
 * Context: seg->lock held.
 */
static u32 protshm_users_restrict_locked(struct protshm_seg *seg,
					 struct mm_struct *mm,
					 struct pid *tgid, int extra, u32 prot)
{
	struct protshm_attachment *a, *own[2];
	u32 ceiling = PROTSHM_PROT_RW;
	struct task_struct *task;
	bool private = false;
	int i;

	lockdep_assert_held(&seg->lock);
	rcu_read_lock();
	task = tgid ? pid_task(tgid, PIDTYPE_TGID) : NULL;
	if (task)
		private = protshm_mm_private(task, mm, extra);
	rcu_read_unlock();
	if (!private) {
		list_for_each_entry(a, &seg->attach_list, node)
			if (protshm_attach_uses_mm_locked(a, mm))
				ceiling &= protshm_user_ceiling_locked(a, prot);
		return ceiling;
	}
	own[0] = protshm_find_one_locked(seg, tgid);
	own[1] = protshm_find_one_locked(seg, mm);
	for (i = 0; i < 2; i++)
		if (own[i] && protshm_attach_uses_mm_locked(own[i], mm))
			ceiling &= protshm_user_ceiling_locked(own[i], prot);
	return ceiling;
}

/*
 * Processes that share current's address space without being its threads
 * (CLONE_VM, vfork) share its mappings, so a new attachment of current
 * starts at the lowest of their ceilings.  Context: seg->lock held.
 */
static u32 protshm_shared_mm_ceiling_locked(struct protshm_seg *seg)
{
	lockdep_assert_held(&seg->lock);
	return protshm_users_restrict_locked(seg, current->mm,
					     task_tgid(current), 0,
					     PROTSHM_PROT_RW);
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
	lockdep_assert_held(&seg->lock);
	return protshm_shared_mm_ceiling_locked(seg) &
	       protshm_mm_ceiling_locked(seg, current->mm, 0);
}

/*
 * A new attachment of process @tgid (counted here), or pending on the new
 * mm @mm of a child being forked (grabbed here), in the segment's indexes.
 * Context: seg->lock held.
 */
static struct protshm_attachment *
protshm_attach_new_locked(struct protshm_seg *seg, u32 ceiling, gfp_t gfp,
			  struct pid *tgid, struct mm_struct *mm)
{
	struct protshm_attachment *a;
	int err;

	lockdep_assert_held(&seg->lock);
	a = kzalloc(sizeof(*a), gfp);
	if (!a)
		return NULL;
	kref_init(&a->ref);	/* the indexes' reference */
	a->seg = seg;
	a->mark.seg = seg;
	a->ceiling = ceiling;
	a->id = atomic64_inc_return(&protshm_next_attach_id);
	if (!seg->nr_attachments)
		seg->id_base = a->id;
	err = xa_err(xa_store(&seg->attachments, a->id - seg->id_base, a, gfp));
	if (err) {
		kfree(a);
		return NULL;
	}
	a->tgid = get_pid(tgid);
	if (!tgid) {
		mmgrab(mm);
		a->mm = mm;
	}
	list_add_tail(&a->node, &seg->attach_list);
	protshm_ktab_add(&seg->attach_keys, &a->knode, tgid ?: (void *)mm);
	seg->nr_attachments++;
	return a;
}

/**
 * protshm_attach_current() - current's attachment to @seg, created if needed
 * @seg: the segment
 *
 * Context: process context; no protshm lock held but current's mmap_lock
 * may be; takes seg->lock.
 * Return: the attachment with a reference for the caller, or ERR_PTR().
 */
struct protshm_attachment *protshm_attach_current(struct protshm_seg *seg)
{
	struct protshm_attachment *a;

	protshm_lineage_drain(seg, task_tgid(current));
	mutex_lock(&seg->lock);
	protshm_maybe_prune_locked(seg);
	a = protshm_find_task_locked(seg, current);
	if (!a) {
		a = protshm_attach_new_locked(seg,
					      protshm_new_ceiling_locked(seg),
					      GFP_KERNEL_ACCOUNT,
					      task_tgid(current), NULL);
		if (a) {
			protshm_attach_mark_locked(a);
			protshm_nl_attach_event_locked(a, PROTSHM_CMD_ATTACH_NTF);
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
 * Context: vm_ops->open from dup_mmap(), in the parent; the parent's and
 * the child's mmap_lock held; takes seg->lock.
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
	a = protshm_find_one_locked(seg, child_mm);
	if (a) {
		protshm_attach_restrict_locked(a, ceiling);
		goto found;
	}
	a = protshm_attach_new_locked(seg, ceiling,
				      GFP_KERNEL_ACCOUNT | __GFP_NOFAIL, NULL,
				      child_mm);
	a->parent_id = parent->id;
	protshm_attach_mark_locked(a);
	protshm_nl_attach_event_locked(a, PROTSHM_CMD_ATTACH_NTF);
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
 * Context: vm_ops->close during execve(); the old mm's mmap_lock held;
 * takes seg->lock.
 */
void protshm_attach_exec(struct protshm_attachment *a)
{
	struct protshm_seg *seg = a->seg;
	struct protshm_attachment *b;

	if (READ_ONCE(a->tgid))		/* resolved: nothing to keep */
		return;
	mutex_lock(&seg->lock);
	if (a->tgid)
		goto out;
	b = protshm_find_task_locked(seg, current);
	if (b) {
		protshm_attach_restrict_locked(b, a->ceiling);
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
 * Context: process context; no protshm lock held; takes seg->lock.
 * Return: PROTSHM_PROT_* ceiling (what a new attachment would get if current
 * has none).
 */
u32 protshm_ceiling_current(struct protshm_seg *seg)
{
	struct protshm_attachment *a;
	u32 ceiling;

	protshm_lineage_drain(seg, task_tgid(current));
	mutex_lock(&seg->lock);
	protshm_maybe_prune_locked(seg);
	a = protshm_find_task_locked(seg, current);
	ceiling = a ? a->ceiling : protshm_new_ceiling_locked(seg);
	mutex_unlock(&seg->lock);
	return ceiling;
}

/**
 * protshm_nr_attachments() - number of live attachments
 * @seg: the segment
 *
 * Context: process context; no protshm lock held; takes seg->lock.
 * Return: the count.
 */
unsigned int protshm_nr_attachments(struct protshm_seg *seg)
{
	unsigned int n;

	protshm_lineage_drain(seg, NULL);
	mutex_lock(&seg->lock);
	protshm_prune_locked(seg);
	n = seg->nr_attachments;
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
 * A walk that starts (@from_id 0) forgets dead attachments first, so that
 * it lists live ones only; the next batches of the walk do not walk
 * everything again (see protshm_maybe_prune_locked()).  The attachments of
 * finished forks are resolved as they are copied.
 *
 * Context: process context; no protshm lock held; takes seg->lock.
 * Return: the number of entries filled, by ascending id.
 */
unsigned int protshm_attach_snapshot(struct protshm_seg *seg, u64 from_id,
				     struct protshm_attach_snap *snap,
				     unsigned int max)
{
	struct protshm_attachment *a;
	unsigned int n = 0;
	unsigned long idx;

	protshm_lineage_drain(seg, NULL);
	mutex_lock(&seg->lock);
	if (from_id)	/* a walk goes on: pruned when it started */
		protshm_maybe_prune_locked(seg);
	else
		protshm_prune_locked(seg);
	xa_for_each_start(&seg->attachments, idx, a,
			  protshm_attach_index_from(seg, from_id)) {
		if (n == max)
			break;
		protshm_resolve_one_locked(a);
		snap[n].id = a->id;
		snap[n].parent_id = a->parent_id;
		snap[n].ceiling = a->ceiling;
		snap[n].tgid = get_pid(a->tgid);
		snap[n].task = protshm_attach_task_locked(a);
		n++;
	}
	mutex_unlock(&seg->lock);
	return n;
}

/**
 * protshm_attach_snap_put() - release what protshm_attach_snapshot() took
 * @snap: the entries
 * @n: their number
 *
 * Context: process context; no protshm lock held.
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
 *
 * Context: process context; no protshm lock held but an mmap_lock may be;
 * takes seg->lock.
 */
void protshm_attachments_free(struct protshm_seg *seg)
{
	struct protshm_mm_ceiling *mc, *next;
	struct protshm_attachment *a, *tmp;

	mutex_lock(&seg->lock);
	list_for_each_entry_safe(mc, next, &seg->mm_ceilings, node)
		protshm_mm_ceiling_free_locked(seg, mc);

	list_for_each_entry_safe(a, tmp, &seg->attach_list, node) {
		WARN_ON(kref_read(&a->ref) != 1);
		protshm_attach_forget_locked(seg, a);
	}
	mutex_unlock(&seg->lock);
}

/*
 * A new attachment for the child of @f with a lowered ceiling, charged to
 * the child's memory cgroup (the drain may run in any task).  @parent is
 * NULL when only the address space of the forking process was lowered.
 * Context: seg->lock held.
 */
static void protshm_attach_child_locked(struct protshm_seg *seg,
					struct protshm_attachment *parent,
					const struct protshm_fork *f,
					u32 ceiling)
{
	struct mem_cgroup *memcg, *old_memcg;
	struct protshm_attachment *a;

	lockdep_assert_held(&seg->lock);
	memcg = get_mem_cgroup_from_mm(f->child_mm ?: f->parent_mm);
	old_memcg = set_active_memcg(memcg);
	a = protshm_attach_new_locked(seg, ceiling,
				      GFP_KERNEL_ACCOUNT | __GFP_NOFAIL, f->child,
				      NULL);
	set_active_memcg(old_memcg);
	mem_cgroup_put(memcg);
	a->parent_id = parent ? parent->id : 0;
	protshm_attach_mark_locked(a);
	protshm_nl_inherit_event_locked(a, f->parent);
}

/*
 * A record proves that its fork succeeded: bind the child's pending
 * attachment (if it inherited mappings) to it now, rather than through
 * mm->owner later, which an exec or a CLONE_VM sibling can change or clear.
 * Context: seg->lock held.
 */
static void protshm_bind_child_locked(struct protshm_seg *seg,
				      const struct protshm_fork *f)
{
	struct protshm_attachment *a;

	lockdep_assert_held(&seg->lock);
	a = protshm_find_one_locked(seg, f->child_mm);
	if (a)
		protshm_attach_bind_locked(a, get_pid(f->child));
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
 * Context: process context; seg->lock held.
 */
void protshm_attach_inherit_locked(struct protshm_seg *seg,
				   const struct protshm_fork *f)
{
	struct protshm_attachment *parent, *child;
	u32 ceiling;

	lockdep_assert_held(&seg->lock);
	protshm_bind_child_locked(seg, f);
	parent = protshm_find_key_locked(seg, f->parent, f->parent_mm);
	ceiling = protshm_mm_ceiling_locked(seg, f->parent_mm, f->start_ns);
	if (parent)
		ceiling &= protshm_ceiling_at_locked(parent, f->start_ns);
	if (ceiling == PROTSHM_PROT_RW)
		return;
	child = protshm_find_key_locked(seg, f->child, NULL);
	if (child)
		protshm_restrict_since_locked(child, ceiling, f->start_ns);
	else
		protshm_attach_child_locked(seg, parent, f, ceiling);
}

/**
 * protshm_attach_file_rights() - rights of a new mapping through a file
 * @a: the attachment of the process mapping it
 * @pf: the bound file it maps
 *
 * Context: process context; takes seg->lock.
 * Return: the PROTSHM_PROT_* rights the mapping may have at most: those
 * granted when @pf was bound, within @a's ceiling and the ceiling of the
 * attachment that bound @pf.
 */
u32 protshm_attach_file_rights(struct protshm_attachment *a,
			       const struct protshm_file *pf)
{
	struct protshm_seg *seg = a->seg;
	u32 rights;

	mutex_lock(&seg->lock);
	rights = a->ceiling & pf->rights & pf->origin->ceiling;
	mutex_unlock(&seg->lock);
	return rights;
}

/**
 * protshm_attach_get() - the attachment of a process to @seg
 * @seg: the segment
 * @task: a task of the process
 *
 * Applies the fork records that may concern it first.
 *
 * Context: process context; no protshm lock held; takes seg->lock.
 * Return: the attachment with a reference, or NULL if there is none.
 */
struct protshm_attachment *protshm_attach_get(struct protshm_seg *seg,
					      struct task_struct *task)
{
	struct protshm_attachment *a;

	protshm_lineage_drain(seg, task_tgid(task));
	mutex_lock(&seg->lock);
	protshm_maybe_prune_locked(seg);
	a = protshm_find_task_locked(seg, task);
	if (a)
		kref_get(&a->ref);
	mutex_unlock(&seg->lock);
	return a;
}

/**
 * protshm_attach_restrict() - lower an attachment's ceiling for a RESTRICT
 * @a: the attachment
 * @prot: its new ceiling is (ceiling & @prot)
 * @gen: the RESTRICT operation, recorded in @a (see
 *	protshm_attach_next_descendant())
 *
 * Sends the RESTRICT event.  The mappings are left to the caller.
 *
 * Context: process context; no protshm lock held; takes seg->lock.
 */
void protshm_attach_restrict(struct protshm_attachment *a, u32 prot, u64 gen)
{
	struct protshm_seg *seg = a->seg;
	u32 old;

	mutex_lock(&seg->lock);
	old = a->ceiling;
	protshm_attach_restrict_locked(a, prot);
	a->restrict_gen = gen;
	protshm_nl_restrict_event_locked(a, old);
	mutex_unlock(&seg->lock);
}

/**
 * protshm_attach_mm() - the address space @a's process uses now
 * @a: the attachment
 *
 * A child still being forked has no task->mm yet but already has the VMAs
 * copied into the mm it was created with: that one.
 *
 * Context: process context; no protshm lock held; takes seg->lock.
 * Return: the mm with an mm_users reference, or NULL if the process has
 * none (gone, exiting).
 */
struct mm_struct *protshm_attach_mm(struct protshm_attachment *a)
{
	struct mm_struct *mm;

	mutex_lock(&a->seg->lock);
	mm = protshm_attach_mm_locked(a);
	mutex_unlock(&a->seg->lock);
	return mm;
}

/**
 * protshm_mm_restrict_locked() - lower the ceilings tied to an address space
 * @a: the attachment whose ceiling applies
 * @mm: an address space @a's process used
 *
 * Lowers to @a's ceiling the ceiling of @mm on @a's segment and of every
 * process using @mm.  Processes sharing an address space without being
 * threads of one another (CLONE_VM, vfork) share its mappings, which
 * outlive the process that made them: none of them may map the segment
 * more widely than another may access it, and no process forked from one
 * of them may get more.  The ceiling's mark makes the lineage probe record
 * the forks of every process using @mm.
 *
 * Context: process context; @mm's mmap_lock held for writing and
 * seg->lock held; the caller holds an mm_users reference of @mm.
 * Return: @a's ceiling, to which the mappings in @mm must be restricted
 * (protshm_vmas_restrict_locked()).
 */
u32 protshm_mm_restrict_locked(struct protshm_attachment *a,
			       struct mm_struct *mm)
{
	struct protshm_seg *seg = a->seg;
	u32 prot = a->ceiling;

	lockdep_assert_held(&seg->lock);
	protshm_assert_mmap_write_locked(mm);
	protshm_mm_ceiling_restrict_locked(seg, mm, prot);
	/* the caller holds an mm_users reference of its own */
	protshm_users_restrict_locked(seg, mm, a->tgid, 1, prot);
	return prot;
}

/**
 * protshm_attach_next_descendant() - the next descendant to restrict
 * @seg: the segment
 * @gen: a RESTRICT operation (see protshm_attach_restrict())
 * @pos: the id the walk is at; moves to the attachment returned
 *
 * The walk goes by id from the target's: a parent is older than its
 * children (a lower id, also after reparenting), so it has been processed
 * when the walk reaches them; a child forked while its parent was being
 * processed comes later in the walk, and one forked after inherits the
 * lowered ceiling and mappings.
 *
 * Context: process context; no protshm lock held; takes seg->lock.
 * Return: with a reference, the next attachment after *@pos whose parent
 * operation @gen processed and that it has not processed itself, or NULL
 * if none is left.
 */
struct protshm_attachment *protshm_attach_next_descendant(struct protshm_seg *seg,
							  u64 gen,
							  u64 *pos)
{
	struct protshm_attachment *a, *parent;
	unsigned long idx;

	protshm_lineage_drain(seg, NULL);
	mutex_lock(&seg->lock);
	xa_for_each_start(&seg->attachments, idx, a,
			  protshm_attach_index_from(seg, *pos + 1)) {
		if (!a->parent_id || a->restrict_gen == gen)
			continue;
		parent = protshm_attach_by_id_locked(seg, a->parent_id);
		if (parent && parent->restrict_gen == gen) {
			*pos = a->id;
			protshm_resolve_one_locked(a);
			kref_get(&a->ref);
			mutex_unlock(&seg->lock);
			return a;
		}
	}
	mutex_unlock(&seg->lock);
	return NULL;
}
