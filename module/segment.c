// SPDX-License-Identifier: GPL-2.0
/*
 * Segments: the name table, permissions, limits and the backing pages.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/gfp.h>
#include <linux/ipc_namespace.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/rhashtable.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/user_namespace.h>
#include <linux/xarray.h>

#include "compat.h"
#include "netlink.h"
#include "internal.h"

/* Backing pages: zeroed, charged to the memcg set with set_active_memcg(). */
#define PROTSHM_PAGE_GFP	(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT)

/*
 * The name table: the linked segments by (IPC namespace, name).  Lookups
 * run under RCU without any lock (segments are freed after a grace period,
 * and a lookup takes a reference only if the count is not zero);
 * protshm_registry_lock serialises the changes of the table and of every
 * segment's linked.  The last put of a segment, which can happen under an
 * mmap_lock, does not take it (the limits are counted in account.c).
 */
DEFINE_MUTEX(protshm_registry_lock);
static struct rhashtable protshm_names;
static atomic64_t protshm_next_id = ATOMIC64_INIT(0);

/*
 * Every segment from CREATE until it is freed, named or not, by id, for the
 * netlink queries.  Its own lock (xa_lock) serialises lookups, which take a
 * reference only if the count is not zero, with protshm_seg_free().
 */
static DEFINE_XARRAY(protshm_segs);
static_assert(sizeof(unsigned long) == sizeof(u64), "ids index protshm_segs");

/* The key of the name table. */
struct protshm_name_key {
	const struct ipc_namespace *ns;
	const char *name;
};

static u32 protshm_name_hash(const struct ipc_namespace *ns, const char *name,
			     u32 seed)
{
	return full_name_hash(ns, name, strlen(name)) ^ seed;
}

static u32 protshm_names_hashfn(const void *data, u32 len, u32 seed)
{
	const struct protshm_name_key *k = data;

	return protshm_name_hash(k->ns, k->name, seed);
}

static u32 protshm_names_obj_hashfn(const void *data, u32 len, u32 seed)
{
	const struct protshm_seg *seg = data;

	return protshm_name_hash(seg->ipc_ns, seg->name, seed);
}

static int protshm_names_cmpfn(struct rhashtable_compare_arg *arg,
			       const void *obj)
{
	const struct protshm_name_key *k = arg->key;
	const struct protshm_seg *seg = obj;

	return seg->ipc_ns != k->ns || strcmp(seg->name, k->name);
}

static const struct rhashtable_params protshm_names_params = {
	.head_offset = offsetof(struct protshm_seg, hnode),
	.hashfn = protshm_names_hashfn,
	.obj_hashfn = protshm_names_obj_hashfn,
	.obj_cmpfn = protshm_names_cmpfn,
	.automatic_shrinking = true,
};

/**
 * protshm_names_init() - the empty name table
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int protshm_names_init(void)
{
	return rhashtable_init(&protshm_names, &protshm_names_params);
}

/* Context: RCU read lock held. */
static struct protshm_seg *protshm_find_rcu(const struct ipc_namespace *ns,
					    const char *name)
{
	struct protshm_name_key k = { .ns = ns, .name = name };

	return rhashtable_lookup(&protshm_names, &k, protshm_names_params);
}

/* Context: protshm_registry_lock held (so the answer stays true). */
static bool protshm_name_taken(const struct ipc_namespace *ns,
			       const char *name)
{
	bool taken;

	lockdep_assert_held(&protshm_registry_lock);
	rcu_read_lock();
	taken = protshm_find_rcu(ns, name);
	rcu_read_unlock();
	return taken;
}

/* Context: protshm_registry_lock held, @seg linked. */
static void protshm_name_remove_locked(struct protshm_seg *seg)
{
	lockdep_assert_held(&protshm_registry_lock);
	rhashtable_remove_fast(&protshm_names, &seg->hnode,
			       protshm_names_params);
	WRITE_ONCE(seg->linked, false);
}

static void protshm_seg_free(struct protshm_seg *seg)
{
	pgoff_t i;

	xa_erase(&protshm_segs, seg->id);
	protshm_attachments_free(seg);
	protshm_nl_seg_event(seg, PROTSHM_CMD_SEG_DESTROY_NTF);
	for (i = 0; i < seg->nr_pages; i++)
		if (seg->pages[i])
			__free_page(seg->pages[i]);
	kvfree(seg->pages);
	put_pid(seg->lease_holder);
	mem_cgroup_put(seg->memcg);
	xa_destroy(&seg->attachments);
	protshm_ktab_destroy(&seg->attach_keys);
	protshm_ktab_destroy(&seg->mm_keys);
	protshm_account_uncharge(seg);	/* may free seg->ipc_ns */
	kfree_rcu(seg, rcu);		/* a name lookup may still read it */
}

static void protshm_seg_release(struct kref *ref)
{
	protshm_seg_free(container_of(ref, struct protshm_seg, ref));
}

/**
 * protshm_seg_put() - drop a segment reference
 * @seg: the segment
 *
 * Context: process context; no protshm lock held but an mmap_lock may be
 * (may free the segment).
 */
void protshm_seg_put(struct protshm_seg *seg)
{
	kref_put(&seg->ref, protshm_seg_release);
}

static struct protshm_seg *protshm_seg_alloc(const char *name, u64 size,
					     umode_t mode)
{
	struct protshm_seg *seg;

	seg = kzalloc(sizeof(*seg), GFP_KERNEL_ACCOUNT);
	if (!seg)
		return NULL;
	seg->nr_pages = size >> PAGE_SHIFT;
	/* its size is the caller's choice: a failure is ENOMEM, not a splat */
	seg->pages = kvcalloc(seg->nr_pages, sizeof(*seg->pages),
			      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!seg->pages) {
		kfree(seg);
		return NULL;
	}
	kref_init(&seg->ref);	/* the name table's reference */
	mutex_init(&seg->lock);
	xa_init(&seg->attachments);
	INIT_LIST_HEAD(&seg->attach_list);
	protshm_ktab_init(&seg->attach_keys);
	INIT_LIST_HEAD(&seg->mm_ceilings);
	protshm_ktab_init(&seg->mm_keys);
	atomic_long_set(&seg->nr_resident, 0);
	strscpy(seg->name, name, sizeof(seg->name));
	seg->size = size;
	seg->mode = mode;
	seg->uid = current_fsuid();
	seg->gid = current_fsgid();
	seg->id = atomic64_inc_return(&protshm_next_id);
	/* pinned by protshm_account_charge_locked() */
	seg->ipc_ns = current->nsproxy->ipc_ns;
	seg->memcg = get_mem_cgroup_from_mm(current->mm);
	return seg;
}

/* Charge @seg and enter its name and id: 0, -EEXIST, -ENOSPC or -ENOMEM. */
static int protshm_seg_register(struct protshm_seg *seg)
{
	int err;

	mutex_lock(&protshm_registry_lock);
	err = -EEXIST;
	if (protshm_name_taken(seg->ipc_ns, seg->name))
		goto out;
	err = protshm_account_charge_locked(seg);
	if (err)
		goto out;
	err = xa_insert(&protshm_segs, seg->id, seg, GFP_KERNEL_ACCOUNT);
	if (err)
		goto uncharge;
	if (rhashtable_insert_fast(&protshm_names, &seg->hnode,
				   protshm_names_params)) {
		xa_erase(&protshm_segs, seg->id);
		err = -ENOMEM;
		goto uncharge;
	}
	WRITE_ONCE(seg->linked, true);
	kref_get(&seg->ref);
	goto out;
uncharge:
	protshm_account_uncharge(seg);
out:
	mutex_unlock(&protshm_registry_lock);
	return err;
}

/**
 * protshm_seg_create() - create a named segment in the caller's IPC namespace
 * @name: validated name
 * @size: validated size (page multiple, not above max_seg_bytes)
 * @mode: permission bits
 * @flags: PROTSHM_CREATE_LEASE or 0 (validated)
 * @out: the new segment, with one reference for the caller
 *
 * A limit that refuses is tried again once if segments of IPC namespaces
 * nothing else references were found (see protshm_ns_reclaim()).
 *
 * Context: process context; no protshm lock held; takes
 * protshm_registry_lock.
 * Return: 0, -EEXIST, -ENOSPC (a count limit), -ENOMEM (memory or a bytes
 * limit).
 */
int protshm_seg_create(const char *name, u64 size, umode_t mode, u32 flags,
		       struct protshm_seg **out)
{
	struct protshm_seg *seg;
	int err;

	seg = protshm_seg_alloc(name, size, mode);
	if (!seg)
		return -ENOMEM;
	if (flags & PROTSHM_CREATE_LEASE)
		protshm_lease_init(seg);
	err = protshm_seg_register(seg);
	if ((err == -ENOSPC || err == -ENOMEM) && protshm_ns_reclaim())
		err = protshm_seg_register(seg);
	if (err) {
		put_pid(seg->lease_holder);
		kvfree(seg->pages);
		mem_cgroup_put(seg->memcg);
		kfree(seg);
		return err;
	}
	protshm_nl_seg_event(seg, PROTSHM_CMD_SEG_CREATE_NTF);
	*out = seg;
	return 0;
}

/**
 * protshm_seg_lookup() - find a segment by name in the caller's IPC namespace
 * @name: the name
 *
 * Lock-free: a segment found as it is being unlinked (its name's reference
 * dropped) is as good as one found just before (the lookup ran first), or
 * not found if its last reference is gone.
 *
 * Context: process context; no lock needed.
 * Return: the segment with a reference, or NULL.
 */
struct protshm_seg *protshm_seg_lookup(const char *name)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct protshm_seg *seg;

	rcu_read_lock();
	seg = protshm_find_rcu(ns, name);
	if (seg && !kref_get_unless_zero(&seg->ref))
		seg = NULL;
	rcu_read_unlock();
	return seg;
}

static struct protshm_seg *
protshm_seg_next_in(u64 id, const struct ipc_namespace *ns)
{
	struct protshm_seg *seg;
	unsigned long idx;

	if (id == U64_MAX)
		return NULL;
	xa_lock(&protshm_segs);
	xa_for_each_start(&protshm_segs, idx, seg, id + 1)
		if ((!ns || seg->ipc_ns == ns) && kref_get_unless_zero(&seg->ref))
			break;
	xa_unlock(&protshm_segs);
	return seg;
}

/**
 * protshm_seg_next() - next segment of the caller's IPC namespace by id
 * @id: the segments with an id up to @id are skipped
 *
 * Named and unlinked segments alike, as long as they exist.
 *
 * Context: process context; any protshm lock may be held; takes the
 * xarray lock.
 * Return: the segment with the smallest id above @id, with a reference, or
 * NULL if there is none.
 */
struct protshm_seg *protshm_seg_next(u64 id)
{
	return protshm_seg_next_in(id, current->nsproxy->ipc_ns);
}

/**
 * protshm_seg_lookup_id() - find a segment by id in the caller's IPC namespace
 * @id: the id
 *
 * Context: process context; any protshm lock may be held; takes the
 * xarray lock.
 * Return: the segment (named or unlinked) with a reference, or NULL.
 */
struct protshm_seg *protshm_seg_lookup_id(u64 id)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct protshm_seg *seg;

	xa_lock(&protshm_segs);
	seg = xa_load(&protshm_segs, id);
	if (seg && (seg->ipc_ns != ns || !kref_get_unless_zero(&seg->ref)))
		seg = NULL;
	xa_unlock(&protshm_segs);
	return seg;
}

/**
 * protshm_seg_unlink() - remove a segment's name
 * @seg: the segment (the caller holds a reference)
 *
 * Context: process context; no protshm lock held; takes
 * protshm_registry_lock.
 * Return: 0, or -ENOENT if it was already unlinked.
 */
int protshm_seg_unlink(struct protshm_seg *seg)
{
	bool was_linked;

	mutex_lock(&protshm_registry_lock);
	was_linked = seg->linked;
	if (was_linked)
		protshm_name_remove_locked(seg);
	mutex_unlock(&protshm_registry_lock);
	if (!was_linked)
		return -ENOENT;
	protshm_seg_put(seg);	/* the name table's reference */
	return 0;
}

/**
 * protshm_seg_unlinked() - has the segment's name been removed?
 * @seg: the segment
 *
 * A name, once removed, never comes back: the answer is at worst that of a
 * moment ago, as with the lock.
 *
 * Context: any context; no lock needed.
 * Return: true once unlinked.
 */
bool protshm_seg_unlinked(struct protshm_seg *seg)
{
	return !READ_ONCE(seg->linked);
}

static bool protshm_capable_ipc_owner(const struct protshm_seg *seg)
{
	return ns_capable(seg->ipc_ns->user_ns, CAP_IPC_OWNER);
}

/**
 * protshm_seg_is_owner() - may current act as the segment's owner?
 * @seg: the segment
 *
 * Context: process context; no lock needed.
 * Return: true if current's fsuid owns the segment or current has
 * CAP_IPC_OWNER in the segment's IPC namespace.
 */
bool protshm_seg_is_owner(const struct protshm_seg *seg)
{
	return uid_eq(current_fsuid(), seg->uid) ||
	       protshm_capable_ipc_owner(seg);
}

/**
 * protshm_seg_permission() - check the segment's mode for @prot
 * @seg: the segment
 * @prot: PROTSHM_PROT_* rights wanted
 *
 * Context: process context; no lock needed.
 * Return: 0 or -EACCES.
 */
int protshm_seg_permission(const struct protshm_seg *seg, u32 prot)
{
	umode_t granted = seg->mode;
	umode_t want = 0;

	if (prot & PROTSHM_PROT_READ)
		want |= 4;
	if (prot & PROTSHM_PROT_WRITE)
		want |= 2;
	if (uid_eq(current_fsuid(), seg->uid))
		granted >>= 6;
	else if (in_group_p(seg->gid))
		granted >>= 3;
	if ((want & ~granted & 7) && !protshm_capable_ipc_owner(seg))
		return -EACCES;
	return 0;
}

/**
 * protshm_seg_page() - the page backing one page of the segment
 * @seg: the segment
 * @idx: page index, below seg->nr_pages
 * @alloc: allocate a zeroed page, charged to the creator's memcg, if none
 *
 * Pages are installed once with cmpxchg() and live as long as the segment.
 *
 * Context: process context, may sleep if @alloc; no lock needed (see
 * @pages).
 * Return: the page, or NULL if it is absent and @alloc is false or the
 * allocation failed.
 */
struct page *protshm_seg_page(struct protshm_seg *seg, pgoff_t idx, bool alloc)
{
	struct mem_cgroup *old_memcg;
	struct page *page, *prev;

	page = READ_ONCE(seg->pages[idx]);
	if (page || !alloc)
		return page;
	old_memcg = set_active_memcg(seg->memcg);
	page = alloc_page(PROTSHM_PAGE_GFP);
	set_active_memcg(old_memcg);
	if (!page)
		return NULL;
	prev = cmpxchg(&seg->pages[idx], NULL, page);
	if (prev) {
		__free_page(page);
		return prev;
	}
	atomic_long_inc(&seg->nr_resident);
	return page;
}

/**
 * protshm_seg_block_pfn() - the backing of a run of pages, if one block
 * @seg: the segment
 * @base: first page index of the run, a multiple of 1 << @order; the run
 *	lies inside the segment
 * @order: the run has 1 << @order pages
 *
 * Context: any context; no lock needed (see @pages).
 * Return: the PFN of the run's first page if all its pages are present,
 * physically contiguous and aligned to their number; 0 otherwise.
 */
unsigned long protshm_seg_block_pfn(struct protshm_seg *seg, pgoff_t base,
				    unsigned int order)
{
	struct page *page = READ_ONCE(seg->pages[base]);
	unsigned long pfn;
	pgoff_t i;

	if (!page)
		return 0;
	pfn = page_to_pfn(page);
	if (!IS_ALIGNED(pfn, 1UL << order))
		return 0;
	for (i = 1; i < (1UL << order); i++) {
		page = READ_ONCE(seg->pages[base + i]);
		if (!page || page_to_pfn(page) != pfn + i)
			return 0;
	}
	return pfn;
}

static bool protshm_seg_block_empty(struct protshm_seg *seg, pgoff_t base,
				    unsigned int order)
{
	pgoff_t i;

	for (i = 0; i < (1UL << order); i++)
		if (READ_ONCE(seg->pages[base + i]))
			return false;
	return true;
}

/*
 * A zeroed block of 1 << @order pages, charged like the single pages, split
 * so that each of its pages is an order-0 page that protshm_seg_free()
 * frees alone.
 */
static struct page *protshm_seg_block_alloc(struct protshm_seg *seg,
					    unsigned int order)
{
	struct mem_cgroup *old_memcg;
	struct page *block;

	old_memcg = set_active_memcg(seg->memcg);
	block = alloc_pages(PROTSHM_PAGE_GFP | __GFP_NORETRY | __GFP_NOWARN,
			    order);
	set_active_memcg(old_memcg);
	if (block)
		split_page(block, order);
	return block;
}

/*
 * Install @block's pages in the run's slots, in order, with the same
 * cmpxchg() as protshm_seg_page(); stop at the first slot someone else
 * filled meanwhile and free the pages that were not installed.
 */
static void protshm_seg_block_install(struct protshm_seg *seg, pgoff_t base,
				      struct page *block, unsigned int order)
{
	pgoff_t i, n;

	for (n = 0; n < (1UL << order); n++)
		if (cmpxchg(&seg->pages[base + n], NULL, block + n))
			break;
	atomic_long_add(n, &seg->nr_resident);
	for (i = n; i < (1UL << order); i++)
		__free_page(block + i);
}

/**
 * protshm_seg_block_fill() - back an empty run of pages with one block
 * @seg: the segment
 * @base: first page index of the run, a multiple of 1 << @order; the run
 *	lies inside the segment
 * @order: the run has 1 << @order pages
 *
 * If no page of the run exists yet, allocates them as one physically
 * contiguous, aligned block (without retrying hard: the caller falls back
 * to single pages).  Runs whose pages were allocated one by one (or that
 * lost a race against a single page's allocation) are left as they are.
 *
 * Context: process context, may sleep; no lock needed (see @pages).
 */
void protshm_seg_block_fill(struct protshm_seg *seg, pgoff_t base,
			    unsigned int order)
{
	struct page *block;

	if (!protshm_seg_block_empty(seg, base, order))
		return;
	block = protshm_seg_block_alloc(seg, order);
	if (block)
		protshm_seg_block_install(seg, base, block, order);
}

/*
 * Remove the names of the segments of @ns (of every segment if NULL) and
 * drop the name table's references; @last: nothing else may hold them.
 * Every linked segment is in protshm_segs, and cannot be freed while
 * protshm_registry_lock is held; the others may be, after a grace period.
 */
static void protshm_unlink_all(struct ipc_namespace *ns, bool last)
{
	struct protshm_seg *seg, *tmp;
	LIST_HEAD(names);
	unsigned long id;

	mutex_lock(&protshm_registry_lock);
	rcu_read_lock();
	xa_for_each(&protshm_segs, id, seg) {
		if (!seg->linked || (ns && seg->ipc_ns != ns))
			continue;
		protshm_name_remove_locked(seg);
		list_add_tail(&seg->unlink_node, &names);	/* unlinked: ours */
	}
	rcu_read_unlock();
	mutex_unlock(&protshm_registry_lock);
	list_for_each_entry_safe(seg, tmp, &names, unlink_node) {
		WARN_ON(last && kref_read(&seg->ref) != 1);
		protshm_seg_put(seg);
	}
}

/**
 * protshm_seg_unlink_ns() - remove the names of an IPC namespace's segments
 * @ns: the namespace, which no process can enter any more
 *
 * As protshm_seg_unlink() on each: files and mappings keep their segment.
 *
 * Context: process context; no protshm lock held; takes
 * protshm_registry_lock.
 */
void protshm_seg_unlink_ns(struct ipc_namespace *ns)
{
	protshm_unlink_all(ns, false);
}

/**
 * protshm_segments_destroy() - free every segment still in the name table
 *
 * Context: module exit (or a failed init), no file or mapping left; takes
 * protshm_registry_lock.
 */
void protshm_segments_destroy(void)
{
	protshm_unlink_all(NULL, true);
	rhashtable_destroy(&protshm_names);
}
