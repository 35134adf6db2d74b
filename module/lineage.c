// SPDX-License-Identifier: GPL-2.0
/*
 * Lineage: a process forked from a restricted one inherits its ceilings,
 * even when it inherits no mapping (then no ->open sees the fork) and even
 * when every restricted ancestor has exited before it first attaches.
 *
 * No fork hook is exported to modules, so a probe on the sched_process_fork
 * tracepoint records the forks of restricted processes.  It runs in the
 * parent, after copy_process() and before the child can run, with
 * preemption disabled.  It must cost every other fork in the system next to
 * nothing, and must never make one of them fail, whatever anybody else
 * restricted: it looks the parent up, lock-free, in an exact set of keys
 * (protshm_keys: the struct pid of a process with a lowered ceiling or with
 * a record of its own fork pending; an address space with a lowered
 * ceiling, or the mm of a fork child whose lowered attachments are still
 * pending), and only for a key found there allocates one record.  Each
 * lowered ceiling holds a struct protshm_mark on its key
 * (protshm_mark_locked()).
 *
 * A record is then "dispatched" (protshm_lineage_dispatch()), in the order
 * of the forks, to the segments of its parent's marks (by pid and by mm)
 * and of its parent's own record still to apply: only there can the child
 * inherit a ceiling.  Each such segment gets a node on its own queue (seg->forks),
 * which is applied under that segment's lock by the function given to
 * protshm_lineage_init() (attach.c's protshm_attach_inherit_locked())
 * by a work item, and before any lookup of an attachment of that segment
 * (protshm_lineage_drain()).  While a record names it as a parent, the
 * lowered attachment of a process that exited (the lowered ceiling of an
 * address space nobody uses) is kept, so that the record finds it
 * (protshm_parent_pending_locked()).
 */
#include <linux/llist.h>
#include <linux/memcontrol.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/rhashtable.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "internal.h"

/**
 * struct protshm_key - an entry of the set of keys whose forks are recorded
 * @node: entry in protshm_keys
 * @onode: entry in protshm_keys_overflow while @overflow
 * @overflow: the table refused it, see protshm_key_insert_locked()
 * @key: a thread group's struct pid, or an mm; pinned by whoever counts in
 *	@marks or @parents
 * @marks: entries of @list, plus one while @fork is pending: forks of @key
 *	are recorded while it is not 0
 * @parents: pending records whose parent (by pid or by mm) is @key
 * @list: the struct protshm_mark keyed by @key: the lowered attachments of
 *	its process (or pending child), the lowered ceilings of its mm
 * @pending: the struct protshm_fork_seg of @fork not applied yet
 * @fork_refs: @fork is pending while not 0: one until it is dispatched,
 *	plus one per entry of @pending
 * @fork: the record of the fork that created @key's process, in the entries
 *	that the probe creates for its children
 * @pkey: the entry of @fork's parent pid, counted in its @parents
 * @mkey: the entry of @fork's parent mm, counted in its @parents, or NULL
 * @rcu: frees the entry after the probes that may see it
 *
 * @onode, @overflow, @marks, @parents, @list, @pending and @fork_refs are
 * protected by
 * protshm_keys_lock; the probe reads @marks without it.
 */
struct protshm_key {
	struct rhash_head node;
	struct hlist_node onode;
	bool overflow;
	const void *key;
	unsigned int marks;
	unsigned int parents;
	struct list_head list;
	struct list_head pending;
	unsigned int fork_refs;
	struct protshm_fork fork;
	struct protshm_key *pkey;
	struct protshm_key *mkey;
	struct rcu_head rcu;
};

/**
 * struct protshm_fork_seg - a record to apply to one segment
 * @node: entry in @seg->forks
 * @key_node: entry in @child->pending; protshm_keys_lock
 * @seg: the segment (its reference is held by the lineage work list, see
 *	protshm_seg_queue())
 * @child: the entry holding the record
 */
struct protshm_fork_seg {
	struct llist_node node;
	struct list_head key_node;
	struct protshm_seg *seg;
	struct protshm_key *child;
};

static const struct rhashtable_params protshm_key_params = {
	.key_len = sizeof(void *),
	.key_offset = offsetof(struct protshm_key, key),
	.head_offset = offsetof(struct protshm_key, node),
	.automatic_shrinking = true,
};

/* the exact set of keys; lookups under RCU, changes under protshm_keys_lock */
static struct rhashtable protshm_keys;
/*
 * Protects the insertion and removal of keys and their counted fields (see
 * struct protshm_key).  Innermost: taken under seg->lock and in the probe.
 */
static DEFINE_SPINLOCK(protshm_keys_lock);
/*
 * The keys the table refused (a full table grows with GFP_ATOMIC when the
 * work that grows it runs late): looked up after the table, and moved into
 * it by the work item.  Empty but for bursts.  RCU readers, changes under
 * protshm_keys_lock.
 */
static HLIST_HEAD(protshm_keys_overflow);

/* records queued by the probe and not dispatched, newest first; lock-free */
static LLIST_HEAD(protshm_forks);
/* records queued and not yet dispatched */
static atomic_t protshm_forks_queued = ATOMIC_INIT(0);
/*
 * Serialises dispatching, so that records are dispatched in the order of
 * the forks, and a drain that finds records queued waits until they are
 * dispatched.  Taken before any seg->lock.
 */
static DEFINE_MUTEX(protshm_lineage_lock);
/* segments with records to apply, each holding a reference; lock-free */
static LLIST_HEAD(protshm_lineage_segs);

static struct tracepoint *protshm_fork_tp;

/* records made since the module was loaded, for tests and monitoring */
static atomic_long_t protshm_fork_records = ATOMIC_LONG_INIT(0);

/* applies one record to one segment, seg->lock held; set once at init */
static protshm_inherit_fn protshm_inherit;

static void protshm_lineage_workfn(struct work_struct *work);
static DECLARE_WORK(protshm_lineage_work, protshm_lineage_workfn);

static struct protshm_key *protshm_key_alloc(gfp_t gfp)
{
	struct protshm_key *k = kzalloc(sizeof(*k), gfp);

	if (k) {
		INIT_LIST_HEAD(&k->list);
		INIT_LIST_HEAD(&k->pending);
	}
	return k;
}

/* The entry of @key, or NULL.  Context: RCU read-side or protshm_keys_lock. */
static struct protshm_key *protshm_key_lookup(const void *key)
{
	struct protshm_key *k;

	k = rhashtable_lookup(&protshm_keys, &key, protshm_key_params);
	if (k || hlist_empty(&protshm_keys_overflow))
		return k;
	hlist_for_each_entry_rcu(k, &protshm_keys_overflow, onode,
				 lockdep_is_held(&protshm_keys_lock))
		if (k->key == key)
			return k;
	return NULL;
}

/* The entry of @key, or NULL.  Context: protshm_keys_lock held. */
static struct protshm_key *protshm_key_find_locked(const void *key)
{
	struct protshm_key *k;

	lockdep_assert_held(&protshm_keys_lock);
	rcu_read_lock();
	k = protshm_key_lookup(key);
	rcu_read_unlock();
	return k;
}

/*
 * Insert @k, prepared by the caller, as the entry of @key, which has none:
 * into the table, or, when the table cannot grow now (out of atomic
 * memory, its resize late), onto the overflow list.  Never fails, so that
 * no fork is killed for the table's sake.  protshm_keys_lock held.
 */
static void protshm_key_insert_locked(struct protshm_key *k, const void *key)
{
	lockdep_assert_held(&protshm_keys_lock);
	k->key = key;
	if (!rhashtable_lookup_insert_fast(&protshm_keys, &k->node,
					   protshm_key_params))
		return;
	k->overflow = true;
	hlist_add_head_rcu(&k->onode, &protshm_keys_overflow);
	queue_work(protshm_unbound_wq, &protshm_lineage_work);
}

/* Move the keys of the overflow list into the table while it takes them. */
static void protshm_keys_unoverflow(void)
{
	struct protshm_key *k;
	struct hlist_node *tmp;

	if (hlist_empty(&protshm_keys_overflow))
		return;
	spin_lock(&protshm_keys_lock);
	hlist_for_each_entry_safe(k, tmp, &protshm_keys_overflow, onode) {
		if (rhashtable_lookup_insert_fast(&protshm_keys, &k->node,
						  protshm_key_params))
			break;	/* found in the list until a later run */
		hlist_del_rcu(&k->onode);
		k->overflow = false;
	}
	spin_unlock(&protshm_keys_lock);
}

/*
 * The entry of @key, inserted from *@spare (then set to NULL) if there is
 * none; NULL if there is none and no spare.  protshm_keys_lock held.
 */
static struct protshm_key *protshm_key_get_locked(const void *key,
						  struct protshm_key **spare)
{
	struct protshm_key *k;

	lockdep_assert_held(&protshm_keys_lock);
	k = protshm_key_find_locked(key);
	if (k || !*spare)
		return k;
	k = *spare;
	*spare = NULL;
	protshm_key_insert_locked(k, key);
	return k;
}

/* Free @k once nothing counts in it.  Context: protshm_keys_lock held. */
static void protshm_key_put_locked(struct protshm_key *k)
{
	lockdep_assert_held(&protshm_keys_lock);
	if (k->marks || k->parents)
		return;
	if (k->overflow)
		hlist_del_rcu(&k->onode);
	else
		rhashtable_remove_fast(&protshm_keys, &k->node,
				       protshm_key_params);
	kfree_rcu(k, rcu);
}

/*
 * @m moves to the entry @k (or nowhere).  The new entry counts it before
 * the old one stops counting it (the probe looks at a pid before an mm,
 * and marks only move from a pending child's mm to its pid), so a fork
 * never sees neither.  Context: protshm_keys_lock held.
 */
static void protshm_mark_move_locked(struct protshm_mark *m,
				     struct protshm_key *k)
{
	struct protshm_key *old = m->key;

	lockdep_assert_held(&protshm_keys_lock);
	if (old)
		list_del(&m->node);
	if (k) {
		WRITE_ONCE(k->marks, k->marks + 1);
		list_add_tail(&m->node, &k->list);
	}
	m->key = k;
	if (old) {
		smp_wmb();	/* pairs with smp_rmb() in the probe */
		WRITE_ONCE(old->marks, old->marks - 1);
		protshm_key_put_locked(old);
	}
}

/**
 * protshm_mark_locked() - record the forks of the process (or mm) @key
 * @m: the mark of a lowered ceiling on @seg
 * @seg: the segment
 * @key: a process's struct pid, or an mm (of a pending child, or whose
 *	ceiling is lowered)
 *
 * From now on and while @m is marked, every fork of the process known by
 * @key (or of a process using the mm @key) is recorded, and its record is
 * applied to @seg.  The mark is ordered before what follows (a ceiling's
 * lowering time), against the probe's lookup, which follows the child's
 * start time.
 *
 * Context: process context; the holder's seg->lock held, or the holder
 * not visible yet; takes protshm_keys_lock.
 */
void protshm_mark_locked(struct protshm_mark *m, struct protshm_seg *seg,
			 const void *key)
{
	struct protshm_key *k, *spare = NULL;

	lockdep_assert_held(&seg->lock);
	if (m->key && m->key->key == key)
		return;
	spin_lock(&protshm_keys_lock);
	while (!(k = protshm_key_get_locked(key, &spare))) {
		spin_unlock(&protshm_keys_lock);
		spare = protshm_key_alloc(GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
		spin_lock(&protshm_keys_lock);
	}
	m->seg = seg;
	protshm_mark_move_locked(m, k);
	spin_unlock(&protshm_keys_lock);
	kfree(spare);
	smp_mb();	/* pairs with smp_mb() in the probe */
}

/**
 * protshm_unmark_locked() - stop recording forks for @m
 * @m: a mark, set or not
 *
 * Context: process context; the holder's seg->lock held, or the holder
 * unreachable; takes protshm_keys_lock.
 */
void protshm_unmark_locked(struct protshm_mark *m)
{
	lockdep_assert_held(&m->seg->lock);
	if (!m->key)
		return;
	spin_lock(&protshm_keys_lock);
	protshm_mark_move_locked(m, NULL);
	spin_unlock(&protshm_keys_lock);
}

/**
 * protshm_parent_pending_locked() - may a pending record name @m's key?
 * @m: a mark, set or not
 *
 * The caller saw @m's process (or mm) gone and issued smp_mb(): the record
 * of a fork it made before is counted already.  Exact: only the records of
 * the forks of @m's process (by its pid, or by its mm) count.
 *
 * Context: process context; the holder's seg->lock held; takes
 * protshm_keys_lock.
 * Return: true if one may.
 */
bool protshm_parent_pending_locked(const struct protshm_mark *m)
{
	bool pending;

	lockdep_assert_held(&m->seg->lock);
	if (!m->key)
		return false;
	spin_lock(&protshm_keys_lock);
	pending = m->key->parents;
	spin_unlock(&protshm_keys_lock);
	return pending;
}

/* Are the forks of @key recorded?  Context: RCU read-side. */
static bool protshm_key_marked(const void *key)
{
	struct protshm_key *k;

	k = protshm_key_lookup(key);
	return k && READ_ONCE(k->marks);
}

/*
 * Count the record @ck in the entries of its parent's pid (created from
 * *@spare if needed: a pending child marked by its mm only) and mm.
 * protshm_keys_lock held.  Return: false if the pid has no entry.
 */
static bool protshm_fork_count_locked(struct protshm_key *ck,
				      struct protshm_key **spare)
{
	struct protshm_fork *f = &ck->fork;

	lockdep_assert_held(&protshm_keys_lock);
	ck->pkey = protshm_key_get_locked(f->parent, spare);
	if (!ck->pkey)
		return false;
	ck->pkey->parents++;
	ck->mkey = f->parent_mm ? protshm_key_find_locked(f->parent_mm) : NULL;
	if (ck->mkey)
		ck->mkey->parents++;
	return true;
}

/* Undo protshm_fork_count_locked().  protshm_keys_lock held. */
static void protshm_fork_uncount_locked(struct protshm_key *ck)
{
	lockdep_assert_held(&protshm_keys_lock);
	ck->pkey->parents--;
	protshm_key_put_locked(ck->pkey);
	if (ck->mkey) {
		ck->mkey->parents--;
		protshm_key_put_locked(ck->mkey);
	}
}

/*
 * Queue the record of @child's fork: its entry, one allocation, counting
 * one mark until the record is applied everywhere.  Fails closed: a child
 * that could not be recorded is killed before it runs.
 * Context: the probe (preemption disabled); @child has not run yet.
 */
static void protshm_fork_record(struct task_struct *parent,
				struct task_struct *child)
{
	/* __GFP_HIGH: may exceed the memcg limit, records are short-lived */
	const gfp_t gfp = GFP_ATOMIC | __GFP_ACCOUNT | __GFP_NOWARN;
	struct protshm_key *ck, *spare = NULL;
	struct protshm_fork *f;

	atomic_long_inc(&protshm_fork_records);
	ck = protshm_key_alloc(gfp);
	if (!ck)
		goto fail;
	f = &ck->fork;
	f->parent = task_tgid(parent);
	f->child = task_tgid(child);
	f->parent_mm = parent->mm;
	f->child_mm = child->mm != parent->mm ? child->mm : NULL;
	f->start_ns = child->group_leader->start_time;
	ck->marks = 1;
	ck->fork_refs = 1;
	rcu_read_lock();
	if (!protshm_key_lookup(f->parent))
		spare = protshm_key_alloc(gfp);
	rcu_read_unlock();
	for (;;) {
		spin_lock(&protshm_keys_lock);
		if (protshm_fork_count_locked(ck, &spare))
			break;
		spin_unlock(&protshm_keys_lock);
		spare = protshm_key_alloc(gfp);	/* the pid's entry went */
		if (!spare)
			goto fail;
	}
	protshm_key_insert_locked(ck, f->child);
	spin_unlock(&protshm_keys_lock);
	kfree(spare);
	get_pid(f->parent);
	get_pid(f->child);
	mmgrab(f->parent_mm);
	if (f->child_mm)
		mmgrab(f->child_mm);
	atomic_inc(&protshm_forks_queued);
	/* fully ordered: all of the above is seen before the parent exits */
	llist_add(&f->node, &protshm_forks);
	queue_work(protshm_unbound_wq, &protshm_lineage_work);
	return;

fail:
	kfree(ck);
	/* the child would escape its parent's ceilings */
	pr_warn_ratelimited("no memory to record fork of %d: killing child %d\n",
			    task_tgid_nr(parent), task_pid_nr(child));
	send_sig(SIGKILL, child, 1);
}

/*
 * Work per fork: two lock-free lookups; a record only for the children of
 * a process that holds a lowered ceiling or is itself the child of a record
 * not applied yet.
 */
static void protshm_fork_probe(void *data, struct task_struct *parent,
			       struct task_struct *child)
{
	bool marked;

	if (!thread_group_leader(child) || !parent->mm)	/* a thread */
		return;
	/* pairs with protshm_mark_locked(): the child's start time was taken */
	smp_mb();
	rcu_read_lock();
	marked = protshm_key_marked(task_tgid(parent));
	if (!marked) {
		smp_rmb();	/* see protshm_mark_move_locked() */
		marked = protshm_key_marked(parent->mm);
	}
	rcu_read_unlock();
	if (marked)
		protshm_fork_record(parent, child);
}

/* The record of @ck is applied everywhere: drop its counts and pins. */
static void protshm_fork_done(struct protshm_key *ck)
{
	struct protshm_fork f = ck->fork;

	spin_lock(&protshm_keys_lock);
	protshm_fork_uncount_locked(ck);
	WRITE_ONCE(ck->marks, ck->marks - 1);
	protshm_key_put_locked(ck);
	spin_unlock(&protshm_keys_lock);
	put_pid(f.parent);
	put_pid(f.child);
	mmdrop(f.parent_mm);
	if (f.child_mm)
		mmdrop(f.child_mm);
}

/* Drop one of @ck's fork_refs. */
static void protshm_fork_put(struct protshm_key *ck)
{
	bool done;

	spin_lock(&protshm_keys_lock);
	WRITE_ONCE(ck->fork_refs, ck->fork_refs - 1);
	done = !ck->fork_refs;
	spin_unlock(&protshm_keys_lock);
	if (done)
		protshm_fork_done(ck);
}

/*
 * Have the work item apply @seg's records, unless it is queued already;
 * takes over the caller's reference on @seg.
 */
static void protshm_seg_queue(struct protshm_seg *seg)
{
	if (atomic_xchg(&seg->lineage_queued, 1)) {
		protshm_seg_put(seg);	/* not the last: the queue has one */
		return;
	}
	llist_add(&seg->lineage_node, &protshm_lineage_segs);
	queue_work(protshm_unbound_wq, &protshm_lineage_work);
}

/*
 * Add the segments of @key's marks and of its own pending record to @segs
 * (room for @max); return how many there are.
 * Context: protshm_keys_lock held.
 */
static unsigned int protshm_key_segs_locked(const void *key,
					    struct protshm_seg **segs,
					    unsigned int n, unsigned int max)
{
	struct protshm_fork_seg *fs;
	struct protshm_mark *m;
	struct protshm_key *k;

	lockdep_assert_held(&protshm_keys_lock);
	k = key ? protshm_key_find_locked(key) : NULL;
	if (!k)
		return n;
	list_for_each_entry(m, &k->list, node) {
		if (n < max)
			segs[n] = m->seg;
		n++;
	}
	list_for_each_entry(fs, &k->pending, key_node) {
		if (n < max)
			segs[n] = fs->seg;
		n++;
	}
	return n;
}

static int protshm_ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = *(uintptr_t *)a, y = *(uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The segments the record of @ck may concern, each once, with a reference:
 * those of its parent's pid and mm, and of the child's pid and pending mm
 * (which the child's inherited mappings made lowered attachments on).  Returns
 * their number and the array in *@out (kfree() it).
 * Context: protshm_lineage_lock held.
 */
static unsigned int protshm_fork_segs_locked(struct protshm_key *ck,
					     struct protshm_seg ***out)
{
	const struct protshm_fork *f = &ck->fork;
	struct protshm_seg **segs = NULL;
	unsigned int max = 0, n, i, m = 0;

	lockdep_assert_held(&protshm_lineage_lock);
	for (;;) {
		spin_lock(&protshm_keys_lock);
		n = protshm_key_segs_locked(f->parent, segs, 0, max);
		n = protshm_key_segs_locked(f->parent_mm, segs, n, max);
		n = protshm_key_segs_locked(f->child, segs, n, max);
		n = protshm_key_segs_locked(f->child_mm, segs, n, max);
		if (n <= max)
			break;
		spin_unlock(&protshm_keys_lock);
		kfree(segs);
		max = n + 4;
		segs = kmalloc_array(max, sizeof(*segs),
				     GFP_KERNEL | __GFP_NOFAIL);
	}
	sort(segs, n, sizeof(*segs), protshm_ptr_cmp, NULL);
	for (i = 0; i < n; i++)
		if ((!m || segs[m - 1] != segs[i]) &&
		    kref_get_unless_zero(&segs[i]->ref))
			segs[m++] = segs[i];
	spin_unlock(&protshm_keys_lock);
	*out = segs;
	return m;
}

/*
 * Queue the record of @ck on every segment it may concern, with a node
 * charged to the child's memory cgroup.  Context: protshm_lineage_lock held.
 */
static void protshm_fork_dispatch_locked(struct protshm_key *ck)
{
	const struct protshm_fork *f = &ck->fork;
	struct mem_cgroup *memcg, *old_memcg;
	struct protshm_fork_seg *fs;
	struct protshm_seg **segs;
	unsigned int i, n;

	lockdep_assert_held(&protshm_lineage_lock);
	n = protshm_fork_segs_locked(ck, &segs);
	memcg = get_mem_cgroup_from_mm(f->child_mm ?: f->parent_mm);
	old_memcg = set_active_memcg(memcg);
	for (i = 0; i < n; i++) {
		fs = kmalloc(sizeof(*fs), GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
		fs->seg = segs[i];
		fs->child = ck;
		spin_lock(&protshm_keys_lock);
		list_add_tail(&fs->key_node, &ck->pending);
		WRITE_ONCE(ck->fork_refs, ck->fork_refs + 1);
		spin_unlock(&protshm_keys_lock);
		llist_add(&fs->node, &segs[i]->forks);
		protshm_seg_queue(segs[i]);
	}
	set_active_memcg(old_memcg);
	mem_cgroup_put(memcg);
	kfree(segs);
	protshm_fork_put(ck);	/* dispatched */
}

/* Dispatch every queued record, oldest first. */
static void protshm_lineage_dispatch(void)
{
	struct protshm_fork *f, *tmp;
	struct llist_node *batch;

	if (!atomic_read_acquire(&protshm_forks_queued))
		return;
	mutex_lock(&protshm_lineage_lock);
	batch = llist_reverse_order(llist_del_all(&protshm_forks));
	llist_for_each_entry_safe(f, tmp, batch, node) {
		protshm_fork_dispatch_locked(container_of(f, struct protshm_key,
							  fork));
		smp_mb__before_atomic();	/* the nodes are queued */
		atomic_dec(&protshm_forks_queued);
	}
	mutex_unlock(&protshm_lineage_lock);
}

/* Apply the records queued on @seg, oldest first.  seg->lock held. */
static void protshm_seg_apply_locked(struct protshm_seg *seg)
{
	struct protshm_fork_seg *fs, *tmp;
	struct llist_node *batch;

	lockdep_assert_held(&seg->lock);
	batch = llist_reverse_order(llist_del_all(&seg->forks));
	llist_for_each_entry_safe(fs, tmp, batch, node) {
		protshm_inherit(seg, &fs->child->fork);
		spin_lock(&protshm_keys_lock);
		list_del(&fs->key_node);
		spin_unlock(&protshm_keys_lock);
		protshm_fork_put(fs->child);
		kfree(fs);
	}
}

/* Does @tgid have the record of its own fork pending? */
static bool protshm_forking(struct pid *tgid)
{
	struct protshm_key *k;
	bool forking;

	rcu_read_lock();
	k = protshm_key_lookup(tgid);
	forking = k && READ_ONCE(k->fork_refs);
	rcu_read_unlock();
	return forking;
}

/**
 * protshm_lineage_drain() - apply the fork records a lookup on @seg needs
 * @seg: a segment whose attachments are about to be looked up
 * @tgid: the process looked up, or NULL for all of them
 *
 * When this returns, every record of a fork that created @tgid (any fork,
 * if @tgid is NULL) that was queued before the call has been applied to
 * @seg if it concerns @seg.  The records of other segments are left to the
 * work item: a lookup never applies them.
 *
 * Context: process context; no protshm lock held but an mmap_lock may be;
 * takes protshm_lineage_lock and seg->lock.
 */
void protshm_lineage_drain(struct protshm_seg *seg, struct pid *tgid)
{
	if (!tgid || protshm_forking(tgid))
		protshm_lineage_dispatch();
	if (llist_empty(&seg->forks))
		return;
	mutex_lock(&seg->lock);
	protshm_seg_apply_locked(seg);
	mutex_unlock(&seg->lock);
}

static void protshm_lineage_workfn(struct work_struct *work)
{
	struct protshm_seg *seg, *next;
	struct llist_node *segs;

	protshm_keys_unoverflow();
	protshm_lineage_dispatch();
	segs = llist_del_all(&protshm_lineage_segs);
	llist_for_each_entry_safe(seg, next, segs, lineage_node) {
		/* a record queued from now on queues @seg again */
		atomic_xchg(&seg->lineage_queued, 0);
		mutex_lock(&seg->lock);
		protshm_seg_apply_locked(seg);
		mutex_unlock(&seg->lock);
		protshm_seg_put(seg);
	}
}

static void protshm_find_fork_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_fork"))
		protshm_fork_tp = tp;
}

/**
 * protshm_lineage_nr_records() - forks recorded since the module was loaded
 *
 * Context: any context; no lock needed.
 * Return: the count.
 */
long protshm_lineage_nr_records(void)
{
	return atomic_long_read(&protshm_fork_records);
}

/**
 * protshm_lineage_init() - attach the probe to sched_process_fork
 * @inherit: applies a fork record to a segment, called with seg->lock held
 *	in the order of the forks; the only way records reach attachments
 *
 * Context: module init, before the device exists; no protshm lock held.
 * Return: 0 or -errno.
 */
int protshm_lineage_init(protshm_inherit_fn inherit)
{
	int err;

	protshm_inherit = inherit;

	for_each_kernel_tracepoint(protshm_find_fork_tp, NULL);
	if (!protshm_fork_tp) {
		pr_err("tracepoint sched_process_fork not found\n");
		return -ENOENT;
	}
	err = rhashtable_init(&protshm_keys, &protshm_key_params);
	if (err)
		return err;
	err = tracepoint_probe_register(protshm_fork_tp, protshm_fork_probe,
					NULL);
	if (err) {
		pr_err("cannot probe sched_process_fork: %d\n", err);
		rhashtable_destroy(&protshm_keys);
	}
	return err;
}

/**
 * protshm_lineage_exit() - detach the probe and apply pending records
 *
 * Context: module exit, after the device is gone; no protshm lock held.
 */
void protshm_lineage_exit(void)
{
	tracepoint_probe_unregister(protshm_fork_tp, protshm_fork_probe, NULL);
	tracepoint_synchronize_unregister();
	flush_work(&protshm_lineage_work);
	protshm_lineage_workfn(NULL);
	flush_work(&protshm_lineage_work);
}

/**
 * protshm_lineage_destroy() - free the set of keys
 *
 * Context: module exit, after protshm_lineage_exit() and after every
 * attachment is freed (protshm_segments_destroy()); no protshm lock held.
 */
void protshm_lineage_destroy(void)
{
	WARN_ON(atomic_read(&protshm_keys.nelems) ||
		!hlist_empty(&protshm_keys_overflow));
	rhashtable_destroy(&protshm_keys);
}
