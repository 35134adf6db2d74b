// SPDX-License-Identifier: GPL-2.0
/*
 * Wait and wake on aligned 32-bit words of a segment (PROTSHM_IOC_WAIT,
 * PROTSHM_IOC_WAKE): the futex(2) of protshm mappings, which refuse GUP.
 *
 * Waiters sleep in a table of hashed buckets keyed by (segment id, offset),
 * each a spinlock and a FIFO list of struct protshm_waiter, which lives on
 * the waiter's stack.  The word is read from the segment's own page under
 * the bucket lock after the waiter is queued, and a waker takes the same
 * lock after changing the word, so a wakeup is never lost (as futex(2)).
 *
 * A waiter holds no reference and no lock while it sleeps: its ioctl's file
 * keeps the segment alive, so a segment is never freed with waiters, and
 * UNLINK, which only removes the name, leaves them alone.  RESTRICT makes
 * every waiter of the segment recompute its rights
 * (protshm_wait_restricted(), which walks the whole table).
 *
 * Locking: a bucket lock is taken with no other protshm lock held, and no
 * protshm lock is taken under it.  A waiter is only ever dequeued and woken
 * under its bucket lock, and leaves through that lock, so no waker touches
 * a waiter that has returned.
 */
#include <linux/cache.h>
#include <linux/cpumask.h>
#include <linux/highmem.h>
#include <linux/hrtimer.h>
#include <linux/jhash.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "internal.h"

/**
 * struct protshm_wait_bucket - one hash bucket of waiters
 * @lock: protects @waiters and the fields of its waiters marked so
 * @waiters: struct protshm_waiter, oldest first
 */
struct protshm_wait_bucket {
	/* protects @waiters and the waiters' fields marked so */
	spinlock_t lock;
	struct list_head waiters;
} ____cacheline_aligned_in_smp;

/**
 * struct protshm_waiter - a process sleeping in PROTSHM_IOC_WAIT
 * @node: entry in its bucket while queued; bucket lock
 * @seg: the segment (not counted: the waiter's file holds it)
 * @offset: offset of the word
 * @task: the sleeping thread
 * @woken: dequeued by a WAKE; set under the bucket lock
 * @recheck: a RESTRICT happened: recompute the rights; set under the
 *	bucket lock, cleared by the waiter
 */
struct protshm_waiter {
	struct list_head node;
	struct protshm_seg *seg;
	u64 offset;
	struct task_struct *task;
	bool woken;
	bool recheck;
};

static struct protshm_wait_bucket *protshm_buckets;
static unsigned long protshm_nr_buckets;

static struct protshm_wait_bucket *protshm_bucket(struct protshm_seg *seg,
						  u64 offset)
{
	u32 key[4] = { lower_32_bits(seg->id), upper_32_bits(seg->id),
		       lower_32_bits(offset), upper_32_bits(offset) };

	return &protshm_buckets[jhash2(key, 4, 0) & (protshm_nr_buckets - 1)];
}

/*
 * The rights a WAIT or WAKE by current through @pf has now.
 * Context: process context; no protshm lock held; takes seg->lock.
 */
static u32 protshm_wait_rights(struct protshm_file *pf)
{
	/* the origin's ceiling only goes down; mmap reads it the same way */
	return protshm_ceiling_current(pf->seg) & pf->rights &
	       READ_ONCE(pf->origin->ceiling);
}

/*
 * The word at @offset; 0 if its page was never allocated.
 * Context: any context; the caller's bucket lock held (the value is then
 * ordered against WAKE).
 */
static u32 protshm_word_read_locked(struct protshm_wait_bucket *b,
				    struct protshm_seg *seg, u64 offset)
{
	struct page *page = protshm_seg_page(seg, offset >> PAGE_SHIFT, false);
	u32 *kaddr, val;

	lockdep_assert_held(&b->lock);
	if (!page)
		return 0;
	kaddr = kmap_local_page(page);
	val = READ_ONCE(kaddr[offset_in_page(offset) / sizeof(u32)]);
	kunmap_local(kaddr);
	return val;
}

/*
 * Queue @w if the word still holds @expected: 0 or -EAGAIN.
 * Context: process context; no protshm lock held; takes @b's lock.
 */
static int protshm_wait_queue(struct protshm_wait_bucket *b,
			      struct protshm_waiter *w, u32 expected)
{
	int err = 0;

	spin_lock(&b->lock);
	if (protshm_word_read_locked(b, w->seg, w->offset) != expected)
		err = -EAGAIN;
	else
		list_add_tail(&w->node, &b->waiters);
	spin_unlock(&b->lock);
	return err;
}

/*
 * Sleep until dequeued (0), the deadline (-ETIMEDOUT), a signal
 * (-ERESTARTSYS) or the loss of READ (-EACCES).  @w stays queued.
 * Context: process context; no protshm lock held; takes seg->lock.
 */
static int protshm_wait_sleep(struct protshm_file *pf, struct protshm_waiter *w,
			      ktime_t *deadline)
{
	int err = 0;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (READ_ONCE(w->woken))
			break;
		if (READ_ONCE(w->recheck)) {
			__set_current_state(TASK_RUNNING);
			WRITE_ONCE(w->recheck, false);
			if (!(protshm_wait_rights(pf) & PROTSHM_PROT_READ))
				return -EACCES;
			continue;
		}
		if (signal_pending(current)) {
			err = -ERESTARTSYS;
			break;
		}
		if (!schedule_hrtimeout_range(deadline, current->timer_slack_ns,
					      HRTIMER_MODE_ABS)) {
			err = -ETIMEDOUT;
			break;
		}
	}
	__set_current_state(TASK_RUNNING);
	return err;
}

/*
 * Leave the queue: a WAKE wins over @err, so that it is not lost.
 * Context: process context; no protshm lock held; takes @b's lock.
 */
static int protshm_wait_leave(struct protshm_wait_bucket *b,
			      struct protshm_waiter *w, int err)
{
	spin_lock(&b->lock);
	if (list_empty(&w->node))
		err = 0;
	else
		list_del(&w->node);
	spin_unlock(&b->lock);
	return err;
}

/**
 * protshm_wait() - sleep while a word of the segment holds a value
 * @pf: a bound file
 * @offset: offset of an aligned 32-bit word inside the segment
 * @expected: the value
 * @deadline: absolute CLOCK_MONOTONIC deadline, or NULL
 *
 * Context: process context; no protshm lock held; takes seg->lock, then
 * a bucket lock.
 * Return: 0 when woken by protshm_wake(), -EACCES (no READ, or lost while
 * waiting), -EAGAIN (the word differs), -ETIMEDOUT, -ERESTARTSYS (signal).
 */
int protshm_wait(struct protshm_file *pf, u64 offset, u32 expected,
		 ktime_t *deadline)
{
	struct protshm_waiter w = {
		.seg = pf->seg,
		.offset = offset,
		.task = current,
	};
	struct protshm_wait_bucket *b = protshm_bucket(pf->seg, offset);
	int err;

	if (!(protshm_wait_rights(pf) & PROTSHM_PROT_READ))
		return -EACCES;
	INIT_LIST_HEAD(&w.node);
	err = protshm_wait_queue(b, &w, expected);
	if (err)
		return err;
	err = protshm_wait_sleep(pf, &w, deadline);
	return protshm_wait_leave(b, &w, err);
}

/**
 * protshm_wake() - wake the waiters of a word of the segment
 * @pf: a bound file
 * @offset: offset of an aligned 32-bit word inside the segment
 * @count: wake at most this many, oldest first
 *
 * Context: process context; no protshm lock held; takes seg->lock, then
 * a bucket lock.
 * Return: the number woken, or -EACCES (no WRITE).
 */
int protshm_wake(struct protshm_file *pf, u64 offset, int count)
{
	struct protshm_wait_bucket *b = protshm_bucket(pf->seg, offset);
	struct protshm_waiter *w, *tmp;
	int n = 0;

	if (!(protshm_wait_rights(pf) & PROTSHM_PROT_WRITE))
		return -EACCES;
	spin_lock(&b->lock);
	list_for_each_entry_safe(w, tmp, &b->waiters, node) {
		if (n >= count)
			break;
		if (w->seg == pf->seg && w->offset == offset) {
			list_del_init(&w->node);
			WRITE_ONCE(w->woken, true);
			wake_up_process(w->task);
			n++;
		}
	}
	spin_unlock(&b->lock);
	return n;
}

/**
 * protshm_wait_restricted() - a ceiling on @seg was lowered
 * @seg: the segment
 *
 * Every waiter of @seg recomputes its rights and leaves with -EACCES if it
 * lost READ; the others stay queued.
 *
 * Context: process context; no protshm lock held; takes every bucket lock
 * in turn.  Called after the new ceiling is set.
 */
void protshm_wait_restricted(struct protshm_seg *seg)
{
	struct protshm_waiter *w;
	unsigned long i;

	for (i = 0; i < protshm_nr_buckets; i++) {
		struct protshm_wait_bucket *b = &protshm_buckets[i];

		spin_lock(&b->lock);
		list_for_each_entry(w, &b->waiters, node) {
			if (w->seg == seg) {
				WRITE_ONCE(w->recheck, true);
				wake_up_process(w->task);
			}
		}
		spin_unlock(&b->lock);
		cond_resched();
	}
}

/**
 * protshm_wait_init() - allocate the table of wait buckets
 *
 * 64 buckets per possible CPU, at least 256, at most 64 Ki.
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int protshm_wait_init(void)
{
	unsigned long i;

	protshm_nr_buckets = roundup_pow_of_two(clamp(64UL * num_possible_cpus(),
						      256UL, 65536UL));
	protshm_buckets = kvcalloc(protshm_nr_buckets, sizeof(*protshm_buckets),
				   GFP_KERNEL);
	if (!protshm_buckets)
		return -ENOMEM;
	for (i = 0; i < protshm_nr_buckets; i++) {
		spin_lock_init(&protshm_buckets[i].lock);
		INIT_LIST_HEAD(&protshm_buckets[i].waiters);
	}
	return 0;
}

/**
 * protshm_wait_exit() - free the table
 *
 * Context: module init or exit; no waiter can exist.
 */
void protshm_wait_exit(void)
{
	kvfree(protshm_buckets);
}
