// SPDX-License-Identifier: GPL-2.0
/*
 * What segments count against: the global and per-user limits, and one
 * record per IPC namespace that has segments.
 *
 * The record pins its namespace once for all the namespace's segments, so
 * the module can tell when nothing else references the namespace: then no
 * process is in it and none can enter it again (setns() and /proc/PID/ns
 * need a reference), nobody can name its segments any more, and their
 * names are removed as by UNLINK, like SysV shared memory's shm_exit_ns().
 * Files and mappings that still hold such a segment keep it (and the
 * record, and the namespace) until they go.  No hook tells a module that a
 * namespace lost its last process, so this is checked when a segment file
 * is released (an exiting process releases its files after leaving its
 * namespaces), when a CREATE hits a limit, and by a work item every
 * PROTSHM_NS_CHECK_PERIOD while a namespace other than the initial one has
 * segments.
 */
#include <linux/capability.h>
#include <linux/ipc_namespace.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/proc_ns.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "compat.h"
#include "internal.h"

#define PROTSHM_NS_CHECK_PERIOD	HZ

/**
 * struct protshm_ns - the segments of one IPC namespace
 * @ns: the namespace, pinned while the record exists
 * @refs: segments charged to it, plus reclaim passes working on it
 * @mortal: @ns is not the initial namespace (which is never freed)
 * @dead: nothing but the pin references @ns: its names are (being) removed
 * @reclaim: entry in the list of one reclaim pass
 *
 * All fields but @ns and @mortal are protected by protshm_account_lock;
 * @dead is also read without it.
 */
struct protshm_ns {
	struct ipc_namespace *ns;
	unsigned long refs;
	bool mortal;
	bool dead;
	struct list_head reclaim;
};

/**
 * struct protshm_user - the segments of one owner; protshm_account_lock
 * @nr_segments: how many exist
 * @bytes: the sum of their sizes
 */
struct protshm_user {
	unsigned int nr_segments;
	u64 bytes;
};

/*
 * protshm_account_lock protects the counters below, the records in both
 * xarrays and their fields.  It nests inside protshm_registry_lock and is
 * the innermost protshm lock: a segment's last put, which may come under
 * an mmap_lock, takes it.
 */
static DEFINE_MUTEX(protshm_account_lock);
static unsigned int protshm_nr_segments;
static u64 protshm_total_bytes;
/* struct protshm_ns by the namespace's inode number */
static DEFINE_XARRAY(protshm_nss);
/* struct protshm_user by kuid */
static DEFINE_XARRAY(protshm_users);
/* records of mortal namespaces not found dead yet: the work item watches */
static unsigned int protshm_nr_watched;

static void protshm_ns_check_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(protshm_ns_check_work, protshm_ns_check_fn);

static struct ipc_namespace *protshm_get_ipc_ns(void)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;

	/* without CONFIG_IPC_NS there is only init_ipc_ns, never freed */
	if (!ns->ns.ops)
		return ns;
	return container_of(ns->ns.ops->get(current), struct ipc_namespace, ns);
}

static void protshm_put_ipc_ns(struct ipc_namespace *ns)
{
	if (ns->ns.ops)
		ns->ns.ops->put(&ns->ns);
}

/* Is the record's pin the only reference left to its namespace? */
static bool protshm_ns_unreferenced(const struct protshm_ns *pns)
{
	return pns->mortal && protshm_ipc_ns_refs(pns->ns) == 1;
}

/* The record of current's IPC namespace, with a reference; NULL if out of memory. */
static struct protshm_ns *protshm_ns_get_locked(void)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct protshm_ns *pns;

	lockdep_assert_held(&protshm_account_lock);
	pns = xa_load(&protshm_nss, ns->ns.inum);
	if (pns) {
		pns->refs++;
		return pns;
	}
	pns = kzalloc(sizeof(*pns), GFP_KERNEL_ACCOUNT);
	if (!pns)
		return NULL;
	pns->refs = 1;
	pns->mortal = !protshm_ipc_ns_initial(ns);
	pns->ns = protshm_get_ipc_ns();
	if (xa_insert(&protshm_nss, ns->ns.inum, pns, GFP_KERNEL_ACCOUNT)) {
		protshm_put_ipc_ns(pns->ns);
		kfree(pns);
		return NULL;
	}
	if (pns->mortal && !protshm_nr_watched++)
		schedule_delayed_work(&protshm_ns_check_work,
				      PROTSHM_NS_CHECK_PERIOD);
	return pns;
}

/*
 * Drop a reference to @pns; on the last one free it and return the
 * namespace for the caller to put after dropping the lock, else NULL.
 */
static struct ipc_namespace *protshm_ns_put_locked(struct protshm_ns *pns)
{
	struct ipc_namespace *ns = pns->ns;

	lockdep_assert_held(&protshm_account_lock);
	if (--pns->refs)
		return NULL;
	xa_erase(&protshm_nss, ns->ns.inum);
	if (pns->mortal && !pns->dead)
		protshm_nr_watched--;
	kfree(pns);
	return ns;
}

static void protshm_ns_put(struct protshm_ns *pns)
{
	struct ipc_namespace *ns;

	mutex_lock(&protshm_account_lock);
	ns = protshm_ns_put_locked(pns);
	mutex_unlock(&protshm_account_lock);
	if (ns)
		protshm_put_ipc_ns(ns);
}

/* The record of @uid, created if need be; NULL if out of memory. */
static struct protshm_user *protshm_user_get_locked(kuid_t uid)
{
	struct protshm_user *u;

	lockdep_assert_held(&protshm_account_lock);
	u = xa_load(&protshm_users, __kuid_val(uid));
	if (u)
		return u;
	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	if (u && xa_insert(&protshm_users, __kuid_val(uid), u,
			   GFP_KERNEL_ACCOUNT)) {
		kfree(u);
		u = NULL;
	}
	return u;
}

/* Free @uid's record @u if it counts nothing. */
static void protshm_user_trim_locked(kuid_t uid, struct protshm_user *u)
{
	lockdep_assert_held(&protshm_account_lock);
	if (u->nr_segments)
		return;
	xa_erase(&protshm_users, __kuid_val(uid));
	kfree(u);
}

/*
 * May @seg, of user @u, be created?  The per-user limits do not bind
 * CAP_SYS_RESOURCE (in the initial user namespace), asked only when they
 * would refuse.  0, -ENOSPC (a count) or -ENOMEM (bytes).
 */
static int protshm_limits_check_locked(const struct protshm_seg *seg,
				       const struct protshm_user *u)
{
	unsigned long max_bytes = READ_ONCE(protshm_max_total_bytes);
	unsigned long user_bytes = READ_ONCE(protshm_max_user_bytes);
	bool user_full, user_big;

	lockdep_assert_held(&protshm_account_lock);
	if (protshm_nr_segments >= READ_ONCE(protshm_max_segments))
		return -ENOSPC;
	user_full = u->nr_segments >= READ_ONCE(protshm_max_user_segments);
	if (user_full && !capable(CAP_SYS_RESOURCE))
		return -ENOSPC;
	if (seg->size > max_bytes - min_t(u64, protshm_total_bytes, max_bytes))
		return -ENOMEM;
	user_big = seg->size > user_bytes - min_t(u64, u->bytes, user_bytes);
	if (user_big && !capable(CAP_SYS_RESOURCE))
		return -ENOMEM;
	return 0;
}

/**
 * protshm_account_charge_locked() - count a new segment against the limits
 * @seg: the segment, of current's IPC namespace, with its size and owner
 *
 * On success the segment holds a reference to the record of its namespace
 * (which pins the namespace) and is counted, in the totals and for its
 * owner, until protshm_account_uncharge().
 *
 * Context: process context; protshm_registry_lock held; takes
 * protshm_account_lock.
 * Return: 0; -ENOSPC if max_segments or the owner's max_user_segments
 * is reached; -ENOMEM if max_total_bytes or the owner's max_user_bytes
 * would be exceeded, or out of memory.
 */
int protshm_account_charge_locked(struct protshm_seg *seg)
{
	struct protshm_user *u;
	struct protshm_ns *pns;
	int err = -ENOMEM;

	lockdep_assert_held(&protshm_registry_lock);
	mutex_lock(&protshm_account_lock);
	u = protshm_user_get_locked(seg->uid);
	if (!u)
		goto out;
	err = protshm_limits_check_locked(seg, u);
	if (!err) {
		pns = protshm_ns_get_locked();
		err = pns ? 0 : -ENOMEM;
	}
	if (err) {
		protshm_user_trim_locked(seg->uid, u);
		goto out;
	}
	seg->acct_ns = pns;
	u->nr_segments++;
	u->bytes += seg->size;
	protshm_nr_segments++;
	protshm_total_bytes += seg->size;
out:
	mutex_unlock(&protshm_account_lock);
	return err;
}

/**
 * protshm_account_uncharge() - a charged segment is being freed
 * @seg: the segment; its IPC namespace may be freed on return
 *
 * Context: process context; no protshm lock held but an mmap_lock may be;
 * takes protshm_account_lock.
 */
void protshm_account_uncharge(struct protshm_seg *seg)
{
	struct ipc_namespace *ns;
	struct protshm_user *u;

	mutex_lock(&protshm_account_lock);
	u = xa_load(&protshm_users, __kuid_val(seg->uid));
	u->nr_segments--;
	u->bytes -= seg->size;
	protshm_user_trim_locked(seg->uid, u);
	protshm_nr_segments--;
	protshm_total_bytes -= seg->size;
	ns = protshm_ns_put_locked(seg->acct_ns);
	mutex_unlock(&protshm_account_lock);
	if (ns)
		protshm_put_ipc_ns(ns);
}

/**
 * protshm_ns_reclaim() - remove the names of the segments of every IPC
 *	namespace that nothing but the module references
 *
 * Segments that no file or mapping holds are freed; the others lose their
 * name and stay until they are closed and unmapped.
 *
 * Context: process context; no protshm lock held.
 * Return: true if it found such a namespace.
 */
bool protshm_ns_reclaim(void)
{
	struct protshm_ns *pns, *tmp;
	unsigned long idx;
	LIST_HEAD(dead);

	mutex_lock(&protshm_account_lock);
	xa_for_each(&protshm_nss, idx, pns) {
		if (pns->dead || !protshm_ns_unreferenced(pns))
			continue;
		WRITE_ONCE(pns->dead, true);
		protshm_nr_watched--;
		pns->refs++;	/* for this pass */
		list_add_tail(&pns->reclaim, &dead);
	}
	mutex_unlock(&protshm_account_lock);
	list_for_each_entry_safe(pns, tmp, &dead, reclaim) {
		protshm_seg_unlink_ns(pns->ns);
		protshm_ns_put(pns);
	}
	return !list_empty(&dead);
}

/**
 * protshm_ns_released() - a file of @seg is being released
 * @seg: the segment
 *
 * An exiting process releases its files after it has left its namespaces:
 * if it was the last one in @seg's namespace, reclaim now.
 *
 * Context: process context; no protshm lock held.
 */
void protshm_ns_released(struct protshm_seg *seg)
{
	struct protshm_ns *pns = seg->acct_ns;

	if (!READ_ONCE(pns->dead) && protshm_ns_unreferenced(pns))
		protshm_ns_reclaim();
}

static void protshm_ns_check_fn(struct work_struct *work)
{
	protshm_ns_reclaim();
	mutex_lock(&protshm_account_lock);
	if (protshm_nr_watched)
		schedule_delayed_work(&protshm_ns_check_work,
				      PROTSHM_NS_CHECK_PERIOD);
	mutex_unlock(&protshm_account_lock);
}

/**
 * protshm_account_exit() - stop the periodic check
 *
 * Context: module exit; no protshm lock held (every segment is freed).
 */
void protshm_account_exit(void)
{
	cancel_delayed_work_sync(&protshm_ns_check_work);
	WARN_ON(!xa_empty(&protshm_nss) || !xa_empty(&protshm_users));
}
