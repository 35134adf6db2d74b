// SPDX-License-Identifier: GPL-2.0
/*
 * Lowering notifications: read(2) and poll(2) of a bound file.
 *
 * Every attachment queues the changes of its process's rights (ceiling
 * lowered, write lease lost or gained) in a ring of PROTSHM_EVENT_QUEUE
 * records, allocated at the first change and freed with the attachment.
 * Records are numbered: record n (from 0) lives in ring[n % size], so a
 * reader that fell more than a ring behind has lost the oldest records and
 * is told how many.  The process's read position is in the attachment (one
 * reader per process); a file bound by another process also shows the
 * ceiling changes of its binder that lowered the file's rights, from a
 * read position kept in the file, merged with the process's own records by
 * a global queueing order.  Everything is under seg->lock.
 *
 * Pollers and blocked readers sleep on a wait queue hashed from the
 * segment; every record queued on a segment wakes its sleepers, which
 * check their own queues again.
 */
#include <linux/hash.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "internal.h"

#define PROTSHM_NOTIFY_WQ_BITS	6
static wait_queue_head_t protshm_notify_wqs[1 << PROTSHM_NOTIFY_WQ_BITS];
static atomic64_t protshm_event_order = ATOMIC64_INIT(0);

/* Records taken at a time by read(2) (copied out from the stack). */
#define PROTSHM_NOTIFY_BATCH	8

#define PROTSHM_NOTIFY_MASK	(EPOLLPRI | EPOLLIN | EPOLLRDNORM)

/**
 * protshm_notify_init() - initialise the wait queues
 */
void protshm_notify_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(protshm_notify_wqs); i++)
		init_waitqueue_head(&protshm_notify_wqs[i]);
}

static wait_queue_head_t *protshm_notify_wq(struct protshm_seg *seg)
{
	return &protshm_notify_wqs[hash_ptr(seg, PROTSHM_NOTIFY_WQ_BITS)];
}

/**
 * protshm_notify_locked() - queue a change of @a's rights, by current
 * @a: the attachment
 * @type: PROTSHM_EVENT_*
 * @old: rights before
 * @new: rights after
 *
 * The oldest record is dropped when the ring is full.
 *
 * Context: a->seg->lock held.
 */
void protshm_notify_locked(struct protshm_attachment *a, u32 type, u32 old,
			   u32 new)
{
	struct protshm_events *ev = &a->events;
	struct protshm_event_rec *rec;

	lockdep_assert_held(&a->seg->lock);
	if (!ev->ring)
		ev->ring = kcalloc(PROTSHM_EVENT_QUEUE, sizeof(*ev->ring),
				   GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
	rec = &ev->ring[ev->head % PROTSHM_EVENT_QUEUE];
	put_pid(rec->by);
	rec->by = get_pid(task_tgid(current));
	rec->order = atomic64_inc_return(&protshm_event_order);
	rec->time_ns = ktime_get_ns();
	rec->type = type;
	rec->old_prot = old;
	rec->new_prot = new;
	ev->head++;
	wake_up_interruptible_poll(protshm_notify_wq(a->seg), PROTSHM_NOTIFY_MASK);
}

/**
 * protshm_notify_free() - free the queue of a dying attachment
 * @a: the attachment
 */
void protshm_notify_free(struct protshm_attachment *a)
{
	unsigned int i;

	if (!a->events.ring)
		return;
	for (i = 0; i < PROTSHM_EVENT_QUEUE; i++)
		put_pid(a->events.ring[i].by);
	kfree(a->events.ring);
}

/*
 * A read position in a queue: @pos the next record to read, @mask the
 * file's rights when the queue is the binder's (only the ceiling changes
 * that change them are shown), else 0.
 */
struct protshm_cursor {
	struct protshm_events *ev;
	u64 *pos;
	u32 mask;
};

static bool protshm_rec_shown(const struct protshm_event_rec *rec, u32 mask)
{
	return !mask || (rec->type == PROTSHM_EVENT_CEILING &&
			 ((rec->old_prot ^ rec->new_prot) & mask));
}

/*
 * The number of the next record @c shows, or -1; records skipped as not
 * shown are consumed.  @lost: how many were dropped before it.
 */
static s64 protshm_cursor_next(struct protshm_cursor *c, u32 *lost)
{
	struct protshm_events *ev = c->ev;
	u64 first = ev->head > PROTSHM_EVENT_QUEUE ?
		    ev->head - PROTSHM_EVENT_QUEUE : 0;
	u64 n = max(*c->pos, first);

	*lost = n - *c->pos;
	for (; n < ev->head; n++)
		if (protshm_rec_shown(&ev->ring[n % PROTSHM_EVENT_QUEUE], c->mask))
			return n;
	if (!*lost)
		*c->pos = ev->head;
	return -1;
}

static void protshm_rec_fill(struct protshm_event *out,
			     const struct protshm_event_rec *rec, u64 n,
			     u32 lost, u32 mask)
{
	*out = (struct protshm_event) {
		.version = PROTSHM_EVENT_VERSION,
		.size = sizeof(*out),
		.type = mask ? PROTSHM_EVENT_FD : rec->type,
		.old_prot = mask ? rec->old_prot & mask : rec->old_prot,
		.new_prot = mask ? rec->new_prot & mask : rec->new_prot,
		.by_pid = pid_vnr(rec->by),
		.lost = lost,
		.seq = n + 1,
		.time_ns = rec->time_ns,
	};
}

/*
 * Take up to @max records (0: only look) from the cursors @c[0..@nr),
 * oldest first, into @out.  Context: seg->lock held.
 * Return: the number taken, or with @max 0, whether one is pending.
 */
static unsigned int protshm_take_locked(struct protshm_cursor *c,
					unsigned int nr,
					struct protshm_event *out,
					unsigned int max)
{
	const struct protshm_event_rec *rec, *best_rec;
	unsigned int i, n = 0, best = 0;
	u32 lost, best_lost = 0;
	s64 next, best_n = 0;

	do {
		best_rec = NULL;
		for (i = 0; i < nr; i++) {
			next = protshm_cursor_next(&c[i], &lost);
			if (next < 0)
				continue;
			rec = &c[i].ev->ring[next % PROTSHM_EVENT_QUEUE];
			if (best_rec && best_rec->order < rec->order)
				continue;
			best_rec = rec;
			best = i;
			best_n = next;
			best_lost = lost;
		}
		if (!best_rec)
			break;
		if (!max)
			return 1;
		protshm_rec_fill(&out[n++], best_rec, best_n, best_lost,
				 c[best].mask);
		*c[best].pos = best_n + 1;
	} while (n < max);
	return n;
}

/*
 * Read (@max > 0) or look for (@max 0) the records current may read
 * through @pf: those of its own attachment, if it has one, and those of
 * the file's binder if that is another process.
 */
static unsigned int protshm_notify_take(struct protshm_file *pf,
					struct protshm_event *out,
					unsigned int max)
{
	struct protshm_seg *seg = pf->seg;
	struct protshm_cursor c[2];
	struct protshm_attachment *a;
	unsigned int nr = 0, n;

	a = protshm_attach_get(seg, current);
	mutex_lock(&seg->lock);
	if (a)
		c[nr++] = (struct protshm_cursor) {
			.ev = &a->events, .pos = &a->events.read,
		};
	if (a != pf->origin && pf->rights)
		c[nr++] = (struct protshm_cursor) {
			.ev = &pf->origin->events, .pos = &pf->origin_read,
			.mask = pf->rights,
		};
	n = protshm_take_locked(c, nr, out, max);
	mutex_unlock(&seg->lock);
	if (a)
		protshm_attach_put(a);
	return n;
}

/**
 * protshm_notify_read() - f_op->read: read lowering records
 * @file: a file of /dev/protshm
 * @buf: user buffer
 * @count: its size, at least one struct protshm_event
 * @ppos: unused
 *
 * Blocks until a record is pending unless the file is O_NONBLOCK.
 *
 * Context: process context, no locks held.
 * Return: bytes read (whole records), -EBADFD (unbound), -EINVAL (buffer
 * too small), -EAGAIN, -ERESTARTSYS, -EFAULT.
 */
ssize_t protshm_notify_read(struct file *file, char __user *buf, size_t count,
			    loff_t *ppos)
{
	struct protshm_event out[PROTSHM_NOTIFY_BATCH];
	struct protshm_file *pf = file->private_data;
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	size_t max = count / sizeof(out[0]), done = 0;
	wait_queue_head_t *wq;
	unsigned int n;

	/* pairs with smp_store_release() in protshm_bind_locked() */
	if (!smp_load_acquire(&pf->seg))
		return -EBADFD;
	if (!max)
		return -EINVAL;
	wq = protshm_notify_wq(pf->seg);
	add_wait_queue(wq, &wait);
	for (;;) {
		n = protshm_notify_take(pf, out, min_t(size_t, max - done,
						       ARRAY_SIZE(out)));
		if (n && copy_to_user(buf + done * sizeof(out[0]), out,
				      n * sizeof(out[0]))) {
			done = 0;
			break;
		}
		done += n;
		if (done == max || (done && n < ARRAY_SIZE(out)) ||
		    (!done && ((file->f_flags & O_NONBLOCK) ||
			       signal_pending(current))))
			break;
		if (!n)
			wait_woken(&wait, TASK_INTERRUPTIBLE,
				   MAX_SCHEDULE_TIMEOUT);
	}
	remove_wait_queue(wq, &wait);
	if (done)
		return done * sizeof(out[0]);
	if (n)
		return -EFAULT;
	return (file->f_flags & O_NONBLOCK) ? -EAGAIN : -ERESTARTSYS;
}

/**
 * protshm_notify_poll() - f_op->poll: is a lowering record pending?
 * @file: a file of /dev/protshm
 * @pt: poll table
 *
 * Context: process context, no locks held.
 * Return: EPOLLPRI | EPOLLIN | EPOLLRDNORM if a record is pending for
 * current, 0 if not, EPOLLERR for an unbound file.
 */
__poll_t protshm_notify_poll(struct file *file, struct poll_table_struct *pt)
{
	struct protshm_file *pf = file->private_data;

	/* pairs with smp_store_release() in protshm_bind_locked() */
	if (!smp_load_acquire(&pf->seg))
		return EPOLLERR;
	poll_wait(file, protshm_notify_wq(pf->seg), pt);
	return protshm_notify_take(pf, NULL, 0) ? PROTSHM_NOTIFY_MASK : 0;
}
