// SPDX-License-Identifier: GPL-2.0
/*
 * Lineage: a process forked from a restricted one inherits its ceilings,
 * even when it inherits no mapping (then no ->open sees the fork) and even
 * when every restricted ancestor has exited before it first attaches.
 *
 * No fork hook is exported to modules, so a probe on the sched_process_fork
 * tracepoint records every fork of a process that may be restricted.  It
 * runs in the parent, after copy_process() and before the child can run,
 * with preemption disabled: it only queues a record.  The records are
 * turned into attachments of the children (protshm_attach_inherit()) by a
 * work item, and before any lookup of an attachment (protshm_lineage_drain()
 * or protshm_lineage_drain_for() is called first by the entry points of
 * attach.c).  While a record names it as a parent, the lowered attachment
 * of a process that exited is kept, so a record always finds it.
 *
 * The probe must be cheap for every fork in the system: it consults a
 * counting filter of the keys (struct pid of a thread group, or the mm of a
 * child whose attachment is still pending) of attachments with a lowered
 * ceiling and of children with a pending record.  A false positive only
 * costs a record that changes nothing.  A second filter counts the pending
 * records by parent key: only the lowered attachments of exited processes
 * whose key has records pending are kept from being pruned.
 */
#include <linux/hash.h>
#include <linux/llist.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include "protshm.h"

#ifndef CONFIG_TRACEPOINTS
#error "protshm needs CONFIG_TRACEPOINTS (fork lineage, see lineage.c)"
#endif
#ifdef CONFIG_PREEMPT_RT
#error "protshm's fork probe allocates with preemption disabled: not on PREEMPT_RT"
#endif

#define PROTSHM_MARK_BITS	10

/* counting filters; see protshm_mark() and protshm_parent_pending() */
static atomic_t protshm_marks[1 << PROTSHM_MARK_BITS];
static atomic_t protshm_parents[1 << PROTSHM_MARK_BITS];

/* records queued by the probe, newest first; lock-free (llist) */
static LLIST_HEAD(protshm_forks);
/* records queued and not yet fully processed */
static atomic_t protshm_forks_pending = ATOMIC_INIT(0);
/*
 * Serialises the processing of records, so that a walk that finds records
 * pending waits until they are processed; taken before any seg->lock.
 */
static DEFINE_MUTEX(protshm_lineage_lock);

static struct tracepoint *protshm_fork_tp;

/* records made since the module was loaded, for tests and monitoring */
static atomic_long_t protshm_fork_records = ATOMIC_LONG_INIT(0);

static int protshm_fork_records_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%ld\n",
			 atomic_long_read(&protshm_fork_records));
}

static const struct kernel_param_ops protshm_fork_records_ops = {
	.get = protshm_fork_records_get,
};
module_param_cb(fork_records, &protshm_fork_records_ops, NULL, 0444);
MODULE_PARM_DESC(fork_records,
		 "Forks recorded since the module was loaded (read-only)");

static void protshm_lineage_workfn(struct work_struct *work);
static DECLARE_WORK(protshm_lineage_work, protshm_lineage_workfn);

static atomic_t *protshm_mark_slot(const void *key)
{
	return &protshm_marks[hash_ptr(key, PROTSHM_MARK_BITS)];
}

static void protshm_parent_add(const void *key, int n)
{
	if (key)
		atomic_add(n, &protshm_parents[hash_ptr(key, PROTSHM_MARK_BITS)]);
}

/**
 * protshm_parent_pending() - may a pending record have @key as its parent?
 * @key: an attachment's mark key
 *
 * The caller saw the attachment's process gone and issued smp_mb(): the
 * record of a fork the process made before exiting is counted already.
 *
 * Return: true if one may.
 */
bool protshm_parent_pending(const void *key)
{
	return atomic_read(&protshm_parents[hash_ptr(key, PROTSHM_MARK_BITS)]);
}

/**
 * protshm_mark() - note that forks of the process known by @key matter
 * @key: a thread group's struct pid, or a pending attachment's mm
 *
 * Ordered before what follows (a ceiling's lowering time), against the
 * probe's read of the filter after the child's start time was taken.
 */
void protshm_mark(const void *key)
{
	atomic_inc(protshm_mark_slot(key));
	smp_mb__after_atomic();	/* pairs with smp_mb() in the probe */
}

/**
 * protshm_unmark() - undo one protshm_mark() of @key
 * @key: the same key
 */
void protshm_unmark(const void *key)
{
	atomic_dec(protshm_mark_slot(key));
}

static bool protshm_marked(const void *key)
{
	return key && atomic_read(protshm_mark_slot(key));
}

static void protshm_fork_free(struct protshm_fork *f)
{
	protshm_parent_add(f->parent, -1);
	protshm_parent_add(f->parent_mm, -1);
	protshm_unmark(f->child);
	put_pid(f->parent);
	put_pid(f->child);
	if (f->parent_mm)
		mmdrop(f->parent_mm);
	if (f->child_mm)
		mmdrop(f->child_mm);
	kfree(f);
}

/* Context: the probe (preemption disabled); @child has not run yet. */
static void protshm_fork_record(struct task_struct *parent,
				struct task_struct *child)
{
	struct protshm_fork *f;

	atomic_long_inc(&protshm_fork_records);
	/* __GFP_HIGH: may exceed the memcg limit, records are short-lived */
	f = kmalloc(sizeof(*f), GFP_ATOMIC | __GFP_ACCOUNT | __GFP_NOWARN);
	if (!f) {
		/* fail closed: the child would escape its ceilings */
		pr_warn_ratelimited("no memory to record fork of %d: killing child %d\n",
				    task_tgid_nr(parent), task_pid_nr(child));
		send_sig(SIGKILL, child, 1);
		return;
	}
	f->parent = get_pid(task_tgid(parent));
	f->child = get_pid(task_tgid(child));
	f->parent_mm = parent->mm;
	f->child_mm = child->mm != parent->mm ? child->mm : NULL;
	if (f->parent_mm)
		mmgrab(f->parent_mm);
	if (f->child_mm)
		mmgrab(f->child_mm);
	f->start_ns = child->group_leader->start_time;
	atomic_inc(&protshm_forks_pending);
	protshm_parent_add(f->parent, 1);
	protshm_parent_add(f->parent_mm, 1);
	protshm_mark(f->child);
	/* fully ordered: all of the above is seen before the parent exits */
	llist_add(&f->node, &protshm_forks);
	queue_work(system_unbound_wq, &protshm_lineage_work);
}

static void protshm_fork_probe(void *data, struct task_struct *parent,
			       struct task_struct *child)
{
	if (!thread_group_leader(child))	/* a thread: same process */
		return;
	/* pairs with protshm_mark(): the child's start time was taken */
	smp_mb();
	if (protshm_marked(task_tgid(parent)) || protshm_marked(parent->mm))
		protshm_fork_record(parent, child);
}

/**
 * protshm_lineage_drain() - turn pending fork records into attachments
 *
 * Context: process context; no seg->lock held (mmap_lock may be held).
 */
void protshm_lineage_drain(void)
{
	struct protshm_fork *f, *tmp;
	struct llist_node *batch;
	struct protshm_seg *seg, *next;
	int n = 0;

	if (!atomic_read_acquire(&protshm_forks_pending))
		return;
	mutex_lock(&protshm_lineage_lock);
	batch = llist_reverse_order(llist_del_all(&protshm_forks));
	for (seg = batch ? protshm_seg_next_any(0) : NULL; seg; seg = next) {
		protshm_attach_inherit(seg, batch);
		next = protshm_seg_next_any(seg->id);
		protshm_seg_put(seg);
	}
	llist_for_each_entry_safe(f, tmp, batch, node) {
		protshm_fork_free(f);
		n++;
	}
	smp_mb__before_atomic();	/* the attachments exist */
	atomic_sub(n, &protshm_forks_pending);
	mutex_unlock(&protshm_lineage_lock);
}

/**
 * protshm_lineage_drain_for() - drain if a record of @tgid may be pending
 * @tgid: a process about to be looked up in attachment lists
 *
 * A process that has no record pending as a child needs no drain before
 * its own attachments are looked up: its ceilings are in them already.
 *
 * Context: as protshm_lineage_drain().
 */
void protshm_lineage_drain_for(struct pid *tgid)
{
	if (protshm_marked(tgid))
		protshm_lineage_drain();
}

static void protshm_lineage_workfn(struct work_struct *work)
{
	protshm_lineage_drain();
}

static void protshm_find_fork_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_fork"))
		protshm_fork_tp = tp;
}

/**
 * protshm_lineage_init() - attach the probe to sched_process_fork
 *
 * Context: module init, before the device exists.
 * Return: 0 or -errno.
 */
int protshm_lineage_init(void)
{
	int err;

	for_each_kernel_tracepoint(protshm_find_fork_tp, NULL);
	if (!protshm_fork_tp) {
		pr_err("tracepoint sched_process_fork not found\n");
		return -ENOENT;
	}
	err = tracepoint_probe_register(protshm_fork_tp, protshm_fork_probe,
					NULL);
	if (err)
		pr_err("cannot probe sched_process_fork: %d\n", err);
	return err;
}

/**
 * protshm_lineage_exit() - detach the probe and forget pending records
 *
 * Context: module exit, after the device is gone.
 */
void protshm_lineage_exit(void)
{
	tracepoint_probe_unregister(protshm_fork_tp, protshm_fork_probe, NULL);
	tracepoint_synchronize_unregister();
	flush_work(&protshm_lineage_work);
	protshm_lineage_drain();
}
