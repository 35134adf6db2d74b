// SPDX-License-Identifier: GPL-2.0
/*
 * The "protshm" generic netlink family: who is attached to which segment,
 * with which ceiling and mappings; RESTRICT for administrators; events.
 * The protocol is documented in uapi/linux/protshm.h.
 *
 * What a caller sees
 *   Segments of its own IPC namespace that it owns or could attach for
 *   reading (protshm_nl_seg_visible()), and the attachments of those.  Pids
 *   are numbers in its pid namespace; a process it cannot see there is
 *   reported without pid, command name or mappings.  Mappings are reported
 *   only if the caller may read the process's memory map
 *   (protshm_nl_may_read_maps(), a reduced PTRACE_MODE_READ_FSCREDS check:
 *   ptrace_may_access() is not exported); the address space of any other
 *   process is not even locked.  No kernel pointer is ever reported.
 *
 * Whose rights
 *   The credentials of whoever opened the socket (its file's f_cred), not
 *   current's: a request written into the socket by someone else, e.g. a
 *   set-user-ID program given it as its output, gets the opener's answer.
 *   A dump takes them in ->start and keeps them to ->done, whoever reads
 *   its later parts.  The checks that only look at current (in_group_p(),
 *   ns_capable()) run under override_creds() of those credentials.
 *
 * Dumps
 *   Where the netlink core gives a dump's ->start no extended ack (6.1), a
 *   request ->start refuses is refused by the dump's first part instead:
 *   its NLMSG_DONE carries the errno and the message.
 *   A dump resumes by id (struct protshm_nl_seg_dump, _att_dump in
 *   cb->ctx), so nothing is reported twice whatever comes and goes.  It is
 *   flagged NLM_F_DUMP_INTR when segments or attachments came or went
 *   between its parts (protshm_nl_gen), and when the mappings of an
 *   attachment that straddles two parts changed in between (a hash of the
 *   mappings already reported, checked when resuming).
 *
 * Events
 *   Multicast in the initial network namespace only, to listeners with
 *   CAP_NET_ADMIN there: they describe the segments of every IPC
 *   namespace, with pids of the initial pid namespace.  A message is built
 *   only if someone listens.  The hooks may run with seg->lock and an
 *   mmap_lock held; they only allocate and multicast, and take no protshm
 *   lock.
 *
 * Mappings
 *   One walk of an address space copies all of its protshm mappings
 *   (struct protshm_vmas, from protshm_vmas_snapshot() in mmap.c), sorted
 *   by segment; the attachments of the same process share that copy,
 *   across the parts of a dump too, for as long as no protshm mapping
 *   anywhere changed.
 *
 * Locking: the operations take no lock of their own (parallel_ops);
 * segments and attachments are copied with references, and a target's
 * mmap_lock is taken for reading with no protshm lock held.
 */
#include <linux/cred.h>
#include <linux/hash.h>
#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "compat.h"
#include "compat_genl.h"
#include "netlink.h"
#include "internal.h"

enum protshm_nl_mcgrp {
	PROTSHM_NL_MCGRP_EVENTS,
};

/* attachments copied at a time by a walk */
#define PROTSHM_NL_BATCH	8

/*
 * Bumped whenever a segment or attachment comes or goes; a dump stores it
 * in cb->seq so that the netlink core flags the parts that follow a change.
 */
static atomic_t protshm_nl_gen = ATOMIC_INIT(1);

/* The family is registered: events may be sent. */
static bool protshm_nl_registered;

static struct genl_family protshm_nl_family;

/**
 * struct protshm_nl_seg_dump - state of a segment dump, in cb->ctx
 * @seg_id: id of the last segment reported
 * @cred: the socket opener's credentials (counted), see the top
 */
struct protshm_nl_seg_dump {
	u64 seg_id;
	const struct cred *cred;
};

/**
 * struct protshm_nl_att_dump - state of an attachment dump, in cb->ctx
 * @seg_id: segment being reported, 0 before the first
 * @att_id: first attachment of @seg_id not completely reported
 * @vma_addr: if not 0, @att_id was reported up to this mapping address
 * @vma_hash: protshm_nl_vma_hash() of the mappings of @att_id reported
 * @st: the rest, allocated by ->start and freed by ->done
 */
struct protshm_nl_att_dump {
	u64 seg_id;
	u64 att_id;
	u64 vma_addr;
	u64 vma_hash;
	struct protshm_nl_att_state *st;
};

/**
 * struct protshm_nl_att - an attachment being reported
 * @seg: its segment
 * @snap: its copy
 * @pid: its process in the caller's pid namespace, 0 if not visible
 * @mm: the process's address space (counted) if the caller may see its
 *	mappings, else NULL
 */
struct protshm_nl_att {
	struct protshm_seg *seg;
	const struct protshm_attach_snap *snap;
	pid_t pid;
	struct mm_struct *mm;
};

/**
 * struct protshm_nl_cursor - position in the mappings of an attachment
 * @addr: address to continue at (0: from the start)
 * @hash: hash of the mappings below @addr
 * @max_len: the message must end before this length of its skb
 * @nr: mappings put into the current message
 * @more: some mappings did not fit
 */
struct protshm_nl_cursor {
	u64 addr;
	u64 hash;
	unsigned int max_len;
	unsigned int nr;
	bool more;
};

/**
 * struct protshm_nl_att_state - the allocated part of an attachment dump
 * @cred: the socket opener's credentials (counted), see the top
 * @filter_seg: report only this segment, or 0
 * @filter_pid: report only this process, or 0
 * @vmas: the copy of the mappings of the last process reported, kept from
 *	one part of the dump to the next
 * @err: why ->start refused the request, reported by the first part
 *	instead, where the netlink core gave ->start no extended ack (6.1)
 * @errmsg: the extended ack message that goes with @err
 */
struct protshm_nl_att_state {
	const struct cred *cred;
	u64 filter_seg;
	u32 filter_pid;
	struct protshm_vmas vmas;
	int err;
	const char *errmsg;
};

/**
 * struct protshm_nl_msg - header fields of a reply message
 * @portid: destination
 * @seq: sequence number of the request
 * @flags: NLM_F_* flags
 * @max_len: a reply must not grow beyond this length, 0 for the whole
 *	room of the skb (which can exceed what was asked from the allocator)
 * @cb: the dump's callback, or NULL for a do reply
 * @cred: whose rights apply: the socket opener's credentials
 * @vmas: the copy of the mappings of the last process reported
 */
struct protshm_nl_msg {
	u32 portid;
	u32 seq;
	int flags;
	unsigned int max_len;
	struct netlink_callback *cb;
	const struct cred *cred;
	struct protshm_vmas *vmas;
};

static u32 protshm_nl_seq(void)
{
	return atomic_read(&protshm_nl_gen) ?: 1;
}

/*
 * The credentials of whoever opened the socket @skb came from, with a
 * reference; current's for a kernel socket, which has no file.  Context:
 * the sender's, while its socket is in use.
 */
static const struct cred *protshm_nl_opener_cred(struct sk_buff *skb)
{
	struct socket *sock = NETLINK_CB(skb).sk->sk_socket;

	if (sock && sock->file)
		return get_cred(sock->file->f_cred);
	return get_current_cred();
}

/*
 * May @cred see @seg: does it own it, or could it attach it for reading
 * (mode bits, groups, CAP_IPC_OWNER)?
 */
static bool protshm_nl_seg_visible(const struct cred *cred,
				   const struct protshm_seg *seg)
{
	const struct cred *old;
	bool ok;

	if (uid_eq(cred->fsuid, seg->uid))
		return true;
	old = override_creds(cred);
	ok = !protshm_seg_permission(seg, PROTSHM_PROT_READ);
	revert_creds(old);
	return ok;
}

/* The next segment after @id that @cred may see, with a reference, or NULL. */
static struct protshm_seg *protshm_nl_seg_next(u64 id, const struct cred *cred)
{
	struct protshm_seg *seg;

	for (seg = protshm_seg_next(id); seg; seg = protshm_seg_next(id)) {
		if (protshm_nl_seg_visible(cred, seg))
			return seg;
		id = seg->id;
		protshm_seg_put(seg);
	}
	return NULL;
}

static int protshm_nl_put_seg_id(struct sk_buff *skb, struct protshm_seg *seg)
{
	if (nla_put_u64_64bit(skb, PROTSHM_A_SEG_ID, seg->id, PROTSHM_A_PAD) ||
	    nla_put_string(skb, PROTSHM_A_SEG_NAME, seg->name))
		return -EMSGSIZE;
	return 0;
}

/*
 * The segment named by PROTSHM_A_SEG_ID or PROTSHM_A_SEG_NAME (both must
 * match if both are given), with a reference, or ERR_PTR(-EINVAL/-ENOENT).
 */
static struct protshm_seg *protshm_nl_seg_attrs(struct nlattr **attrs,
						struct netlink_ext_ack *extack)
{
	struct nlattr *id = attrs[PROTSHM_A_SEG_ID];
	struct nlattr *name = attrs[PROTSHM_A_SEG_NAME];
	struct protshm_seg *seg;

	if (!id && !name) {
		NL_SET_ERR_MSG(extack, "Segment id or name required");
		NL_SET_ERR_ATTR_MISS(extack, NULL, PROTSHM_A_SEG_NAME);
		return ERR_PTR(-EINVAL);
	}
	if (id)
		seg = protshm_seg_lookup_id(nla_get_u64(id));
	else
		seg = protshm_seg_lookup(nla_data(name));
	if (seg && id && name && strcmp(seg->name, nla_data(name))) {
		protshm_seg_put(seg);
		seg = NULL;
	}
	if (!seg) {
		NL_SET_ERR_MSG_ATTR(extack, id ?: name, "No such segment");
		return ERR_PTR(-ENOENT);
	}
	return seg;
}

/* As protshm_nl_seg_attrs(), but a segment @cred may not see is -ENOENT. */
static struct protshm_seg *protshm_nl_seg_find(struct nlattr **attrs,
					       struct netlink_ext_ack *extack,
					       const struct cred *cred)
{
	struct protshm_seg *seg = protshm_nl_seg_attrs(attrs, extack);

	if (IS_ERR(seg) || protshm_nl_seg_visible(cred, seg))
		return seg;
	protshm_seg_put(seg);
	NL_SET_ERR_MSG_ATTR(extack, attrs[PROTSHM_A_SEG_ID] ?:
			    attrs[PROTSHM_A_SEG_NAME], "No such segment");
	return ERR_PTR(-ENOENT);
}

/* ---- segments ---------------------------------------------------------- */

/*
 * The pid of the lease holder of @seg in current's pid namespace, 0 if
 * none, gone, or not visible there.  Context: takes seg->lock.
 */
static pid_t protshm_nl_lease_holder(struct protshm_seg *seg)
{
	pid_t nr = 0;

	mutex_lock(&seg->lock);
	if (seg->lease_holder && pid_has_task(seg->lease_holder, PIDTYPE_TGID))
		nr = pid_nr_ns(seg->lease_holder, task_active_pid_ns(current));
	mutex_unlock(&seg->lock);
	return nr;
}

static int protshm_nl_put_lease(struct sk_buff *skb, struct protshm_seg *seg)
{
	pid_t holder;

	if (!seg->lease)
		return 0;
	holder = protshm_nl_lease_holder(seg);
	if (nla_put_flag(skb, PROTSHM_A_SEG_LEASE) ||
	    (holder && nla_put_u32(skb, PROTSHM_A_LEASE_HOLDER, holder)))
		return -EMSGSIZE;
	return 0;
}

static int protshm_nl_put_seg(struct sk_buff *skb, struct protshm_seg *seg,
			      const struct cred *cred)
{
	struct user_namespace *uns = cred->user_ns;
	u64 resident = (u64)atomic_long_read(&seg->nr_resident) << PAGE_SHIFT;

	if (protshm_nl_put_seg_id(skb, seg) ||
	    nla_put_u64_64bit(skb, PROTSHM_A_SEG_SIZE, seg->size, PROTSHM_A_PAD) ||
	    nla_put_u32(skb, PROTSHM_A_SEG_UID, from_kuid_munged(uns, seg->uid)) ||
	    nla_put_u32(skb, PROTSHM_A_SEG_GID, from_kgid_munged(uns, seg->gid)) ||
	    nla_put_u32(skb, PROTSHM_A_SEG_MODE, seg->mode) ||
	    nla_put_u32(skb, PROTSHM_A_SEG_NR_ATTACH,
			protshm_nr_attachments(seg)) ||
	    nla_put_u64_64bit(skb, PROTSHM_A_SEG_RESIDENT, resident,
			      PROTSHM_A_PAD))
		return -EMSGSIZE;
	if (protshm_seg_unlinked(seg) &&
	    nla_put_flag(skb, PROTSHM_A_SEG_UNLINKED))
		return -EMSGSIZE;
	return protshm_nl_put_lease(skb, seg);
}

static int protshm_nl_seg_msg(struct sk_buff *skb, struct protshm_seg *seg,
			      const struct protshm_nl_msg *m)
{
	void *hdr = genlmsg_put(skb, m->portid, m->seq, &protshm_nl_family,
				m->flags, PROTSHM_CMD_SEG_GET);

	if (!hdr)
		return -EMSGSIZE;
	if (m->cb)
		genl_dump_check_consistent(m->cb, hdr);
	if (protshm_nl_put_seg(skb, seg, m->cred)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int protshm_nl_seg_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct protshm_nl_msg m = {
		.portid = info->snd_portid, .seq = info->snd_seq,
		.cred = protshm_nl_opener_cred(skb),
	};
	struct protshm_seg *seg;
	struct sk_buff *msg;
	int err;

	seg = protshm_nl_seg_find(info->attrs, info->extack, m.cred);
	err = PTR_ERR_OR_ZERO(seg);
	if (err)
		goto out;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	err = msg ? protshm_nl_seg_msg(msg, seg, &m) : -ENOMEM;
	protshm_seg_put(seg);
	if (!err)
		err = genlmsg_reply(msg, info);
	else
		nlmsg_free(msg);
out:
	put_cred(m.cred);
	return err;
}

static int protshm_nl_seg_dump_start(struct netlink_callback *cb)
{
	struct protshm_nl_seg_dump *d = (void *)cb->ctx;

	BUILD_BUG_ON(sizeof(*d) > sizeof(cb->ctx));
	d->cred = protshm_nl_opener_cred(cb->skb);
	return 0;
}

static int protshm_nl_seg_dump_done(struct netlink_callback *cb)
{
	struct protshm_nl_seg_dump *d = (void *)cb->ctx;

	put_cred(d->cred);
	return 0;
}

static int protshm_nl_seg_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb)
{
	struct protshm_nl_seg_dump *d = (void *)cb->ctx;
	struct protshm_nl_msg m = {
		.portid = NETLINK_CB(cb->skb).portid,
		.seq = cb->nlh->nlmsg_seq, .flags = NLM_F_MULTI, .cb = cb,
		.cred = d->cred,
	};
	struct protshm_seg *seg, *next;
	int err = 0;

	cb->seq = protshm_nl_seq();
	for (seg = protshm_nl_seg_next(d->seg_id, d->cred); seg; seg = next) {
		err = protshm_nl_seg_msg(skb, seg, &m);
		next = err ? NULL : protshm_nl_seg_next(seg->id, d->cred);
		if (!err)
			d->seg_id = seg->id;
		protshm_seg_put(seg);
	}
	if (err && !skb->len)
		return err;
	if (!err)	/* the end: a change during this part flags NLMSG_DONE */
		cb->seq = protshm_nl_seq();
	return skb->len;
}

/* ---- attachments and their mappings ------------------------------------ */

/* The first mapping of @seg in @c, or the end. */
static const struct protshm_vma_snap *
protshm_nl_vmas_first(const struct protshm_vmas *c,
		      const struct protshm_seg *seg)
{
	unsigned int lo = 0, hi = c->nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->v[mid].seg < seg)
			lo = mid + 1;
		else
			hi = mid;
	}
	return c->v + lo;
}

/* Hash of a sequence of mappings: what the reported attributes depend on. */
static u64 protshm_nl_vma_hash(u64 hash, const struct protshm_vma_snap *v)
{
	hash = (hash ^ v->start) * GOLDEN_RATIO_64;
	hash = (hash ^ v->end) * GOLDEN_RATIO_64;
	hash = (hash ^ v->pgoff) * GOLDEN_RATIO_64;
	return (hash ^ v->flags) * GOLDEN_RATIO_64;
}

/* Room one PROTSHM_A_VMA nest needs at most. */
static size_t protshm_nl_vma_size(void)
{
	return nla_total_size(0) + 4 * nla_total_size_64bit(sizeof(u64)) +
	       nla_total_size(sizeof(u32));
}

static int protshm_nl_put_vma(struct sk_buff *skb,
			      const struct protshm_vma_snap *v)
{
	struct nlattr *nest = nla_nest_start(skb, PROTSHM_A_VMA);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, PROTSHM_VMA_A_START, v->start,
			      PROTSHM_VMA_A_PAD) ||
	    nla_put_u64_64bit(skb, PROTSHM_VMA_A_END, v->end,
			      PROTSHM_VMA_A_PAD) ||
	    nla_put_u64_64bit(skb, PROTSHM_VMA_A_PGOFF, v->pgoff,
			      PROTSHM_VMA_A_PAD) ||
	    nla_put_u64_64bit(skb, PROTSHM_VMA_A_LEN, v->end - v->start,
			      PROTSHM_VMA_A_PAD) ||
	    nla_put_u32(skb, PROTSHM_VMA_A_FLAGS, v->flags)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * Put the mappings of the segment from the cursor on while they fit with
 * room left for PROTSHM_A_ATT_MORE; the cursor tells how far it got.  A
 * cursor that resumes after mappings that changed flags the message.
 */
static void protshm_nl_put_vmas(struct sk_buff *skb, void *hdr,
				const struct protshm_nl_att *att,
				const struct protshm_vmas *c,
				struct protshm_nl_cursor *cur)
{
	size_t need = protshm_nl_vma_size() + nla_total_size(0);
	const struct protshm_vma_snap *v = protshm_nl_vmas_first(c, att->seg);
	const struct protshm_vma_snap *end = c->v + c->nr;
	u64 prefix = 0;

	for (; v < end && v->seg == att->seg && v->start < cur->addr; v++)
		prefix = protshm_nl_vma_hash(prefix, v);
	if (cur->addr && prefix != cur->hash)
		genlmsg_nlhdr(hdr)->nlmsg_flags |= NLM_F_DUMP_INTR;
	cur->nr = 0;
	cur->more = false;
	for (; v < end && v->seg == att->seg; v++) {
		if (skb->len + need > cur->max_len ||
		    protshm_nl_put_vma(skb, v)) {
			cur->more = true;
			cur->addr = v->start;
			return;
		}
		cur->hash = protshm_nl_vma_hash(cur->hash, v);
		cur->nr++;
	}
}

/* The mappings part of an attachment message, from a copy of them. */
static int protshm_nl_put_att_vmas(struct sk_buff *skb, void *hdr,
				   const struct protshm_nl_att *att,
				   struct protshm_vmas *c,
				   struct protshm_nl_cursor *cur)
{
	int err = protshm_vmas_snapshot(c, att->mm);

	if (err)
		return err;
	protshm_nl_put_vmas(skb, hdr, att, c, cur);
	if (cur->more && !cur->nr)
		return -EMSGSIZE;
	if (cur->more && nla_put_flag(skb, PROTSHM_A_ATT_MORE))
		return -EMSGSIZE;
	return 0;
}

static int protshm_nl_put_att(struct sk_buff *skb,
			      const struct protshm_nl_att *att)
{
	const struct protshm_attach_snap *s = att->snap;
	char comm[TASK_COMM_LEN];

	if (protshm_nl_put_seg_id(skb, att->seg) ||
	    nla_put_u64_64bit(skb, PROTSHM_A_ATT_ID, s->id, PROTSHM_A_PAD) ||
	    (s->parent_id &&
	     nla_put_u64_64bit(skb, PROTSHM_A_ATT_PARENT_ID, s->parent_id,
			       PROTSHM_A_PAD)) ||
	    nla_put_u32(skb, PROTSHM_A_CEILING, s->ceiling))
		return -EMSGSIZE;
	if (!att->pid)
		return 0;
	get_task_comm(comm, s->task);
	if (nla_put_u32(skb, PROTSHM_A_PID, att->pid) ||
	    nla_put_string(skb, PROTSHM_A_COMM, comm))
		return -EMSGSIZE;
	return 0;
}

/*
 * One message about an attachment: its attributes and as many of its
 * mappings, from the cursor on, as fit.
 * Return: 0 (every mapping put), 1 (more mappings remain, the cursor moved
 * on), -EMSGSIZE (nothing put), -EINTR (fatal signal), -ENOMEM.
 */
static int protshm_nl_att_msg(struct sk_buff *skb,
			      const struct protshm_nl_att *att,
			      const struct protshm_nl_msg *m,
			      struct protshm_nl_cursor *cur)
{
	void *hdr = genlmsg_put(skb, m->portid, m->seq, &protshm_nl_family,
				m->flags, PROTSHM_CMD_ATTACH_GET);
	int err;

	if (!hdr)
		return -EMSGSIZE;
	if (m->cb)
		genl_dump_check_consistent(m->cb, hdr);
	cur->max_len = min(m->max_len ?: UINT_MAX, skb->len + skb_tailroom(skb));
	err = protshm_nl_put_att(skb, att);
	if (!err && att->mm)
		err = protshm_nl_put_att_vmas(skb, hdr, att, m->vmas, cur);
	if (err) {
		genlmsg_cancel(skb, hdr);
		return err;
	}
	genlmsg_end(skb, hdr);
	return att->mm && cur->more;
}

/*
 * May @cred read the memory map of @task, whose address space is @mm, as
 * /proc/pid/maps requires (PTRACE_MODE_READ_FSCREDS)?  Same fsuid/fsgid as
 * all of the target's uids/gids and a dumpable target; or CAP_SYS_PTRACE
 * or CAP_SYS_ADMIN in the user namespace of the target's last exec (see
 * protshm_exec_user_ns()).  LSMs (e.g. Yama) are not consulted.  There is
 * no exception for current's own process: current need not be the socket's
 * opener.
 */
static bool protshm_nl_may_read_maps(const struct cred *cred,
				     struct task_struct *task,
				     struct mm_struct *mm)
{
	const struct cred *tcred, *old;
	struct user_namespace *ns;
	bool ok, dumpable;

	rcu_read_lock();
	tcred = __task_cred(task);
	ok = uid_eq(cred->fsuid, tcred->euid) &&
	     uid_eq(cred->fsuid, tcred->suid) &&
	     uid_eq(cred->fsuid, tcred->uid) &&
	     gid_eq(cred->fsgid, tcred->egid) &&
	     gid_eq(cred->fsgid, tcred->sgid) &&
	     gid_eq(cred->fsgid, tcred->gid);
	rcu_read_unlock();
	ns = protshm_exec_user_ns(task, mm, &dumpable);
	if (!(ok && dumpable)) {
		old = override_creds(cred);
		ok = ns_capable_noaudit(ns, CAP_SYS_PTRACE) ||
		     ns_capable_noaudit(ns, CAP_SYS_ADMIN);
		revert_creds(old);
	}
	put_user_ns(ns);
	return ok;
}

/*
 * The address space of @task's process (mm_users) if @cred may read its
 * memory map, else NULL.  It is taken from any thread that has one, as
 * RESTRICT does: the group leader may have exited while the others run on.
 */
static struct mm_struct *protshm_nl_readable_mm(const struct cred *cred,
						struct task_struct *task)
{
	struct task_struct *t, *thread = NULL;
	struct mm_struct *mm = NULL;

	rcu_read_lock();
	for_each_thread(task, t) {
		mm = get_task_mm(t);
		if (mm) {
			thread = get_task_struct(t);
			break;
		}
	}
	rcu_read_unlock();
	if (!mm)
		return NULL;
	if (!protshm_nl_may_read_maps(cred, thread, mm)) {
		mmput(mm);
		mm = NULL;
	}
	put_task_struct(thread);
	return mm;
}

/* The process of @s in current's pid namespace, 0 if gone or not there. */
static pid_t protshm_nl_pid(const struct protshm_attach_snap *s)
{
	return s->task ? pid_nr_ns(s->tgid, task_active_pid_ns(current)) : 0;
}

static void protshm_nl_att_init(struct protshm_nl_att *att,
				const struct cred *cred,
				struct protshm_seg *seg,
				const struct protshm_attach_snap *s)
{
	att->seg = seg;
	att->snap = s;
	att->pid = protshm_nl_pid(s);
	att->mm = att->pid ? protshm_nl_readable_mm(cred, s->task) : NULL;
}

static void protshm_nl_att_fini(struct protshm_nl_att *att)
{
	if (att->mm)
		mmput(att->mm);
}

/*
 * The attachment of process @pid (in current's pid namespace) to @seg,
 * copied into @out with its references, or -ESRCH.
 */
static int protshm_nl_find_att(struct protshm_seg *seg, pid_t pid,
			       struct protshm_attach_snap *out)
{
	struct protshm_attach_snap snap[PROTSHM_NL_BATCH];
	int err = -ESRCH;
	unsigned int i, n;
	u64 from = 0;

	do {
		n = protshm_attach_snapshot(seg, from, snap, ARRAY_SIZE(snap));
		for (i = 0; i < n; i++) {
			from = snap[i].id + 1;
			if (err && protshm_nl_pid(&snap[i]) == pid) {
				*out = snap[i];
				memset(&snap[i], 0, sizeof(snap[i]));
				err = 0;
			}
		}
		protshm_attach_snap_put(snap, n);
	} while (err && n == ARRAY_SIZE(snap));
	return err;
}

static int protshm_nl_att_reply(struct sk_buff *msg, struct genl_info *info,
				const struct cred *cred,
				struct protshm_seg *seg, pid_t pid)
{
	struct protshm_vmas vmas = {};
	struct protshm_nl_msg m = {
		.portid = info->snd_portid, .seq = info->snd_seq,
		.max_len = NLMSG_GOODSIZE, .cred = cred, .vmas = &vmas,
	};
	struct protshm_nl_cursor cur = {};
	struct protshm_attach_snap s;
	struct protshm_nl_att att;
	int err;

	err = protshm_nl_find_att(seg, pid, &s);
	if (err) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[PROTSHM_A_PID],
				    "Process not attached to the segment");
		return err;
	}
	protshm_nl_att_init(&att, cred, seg, &s);
	err = protshm_nl_att_msg(msg, &att, &m, &cur);
	protshm_nl_att_fini(&att);
	protshm_vmas_free(&vmas);
	protshm_attach_snap_put(&s, 1);
	return err < 0 ? err : 0;
}

static int protshm_nl_att_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	const struct cred *cred;
	struct protshm_seg *seg;
	struct sk_buff *msg;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, PROTSHM_A_PID)) {
		GENL_SET_ERR_MSG(info, "Process id required");
		return -EINVAL;
	}
	cred = protshm_nl_opener_cred(skb);
	seg = protshm_nl_seg_find(info->attrs, info->extack, cred);
	err = PTR_ERR_OR_ZERO(seg);
	if (err)
		goto out;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	err = -ENOMEM;
	if (msg)
		err = protshm_nl_att_reply(msg, info, cred, seg,
					   nla_get_u32(info->attrs[PROTSHM_A_PID]));
	protshm_seg_put(seg);
	if (!err)
		err = genlmsg_reply(msg, info);
	else
		nlmsg_free(msg);
out:
	put_cred(cred);
	return err;
}

static int protshm_nl_att_dump_start(struct netlink_callback *cb)
{
	struct protshm_nl_att_dump *d = (void *)cb->ctx;
	struct nlattr **attrs = protshm_genl_dump_attrs(cb);
	struct netlink_ext_ack ext = {};
	struct protshm_nl_att_state *st;
	struct protshm_seg *seg;
	int err;

	BUILD_BUG_ON(sizeof(*d) > sizeof(cb->ctx));
	st = kzalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		return -ENOMEM;
	st->cred = protshm_nl_opener_cred(cb->skb);
	if (attrs[PROTSHM_A_PID])
		st->filter_pid = nla_get_u32(attrs[PROTSHM_A_PID]);
	if (attrs[PROTSHM_A_SEG_ID] || attrs[PROTSHM_A_SEG_NAME]) {
		seg = protshm_nl_seg_find(attrs, cb->extack ?: &ext, st->cred);
		err = PTR_ERR_OR_ZERO(seg);
		if (err && cb->extack)
			goto err_free;
		if (err) {	/* no extended ack here: see protshm_nl_att_state */
			st->err = err;
			st->errmsg = ext._msg;
		} else {
			st->filter_seg = seg->id;
			protshm_seg_put(seg);
		}
	}
	d->st = st;
	return 0;

err_free:
	put_cred(st->cred);
	kfree(st);
	return err;
}

static int protshm_nl_att_dump_done(struct netlink_callback *cb)
{
	struct protshm_nl_att_dump *d = (void *)cb->ctx;

	if (d->st) {
		protshm_vmas_free(&d->st->vmas);
		put_cred(d->st->cred);
		kfree(d->st);
	}
	return 0;
}

/* Report one attachment, or the rest of it.  Return: 0, or why not all. */
static int protshm_nl_dump_att(struct sk_buff *skb,
			       const struct protshm_nl_msg *m,
			       struct protshm_seg *seg,
			       const struct protshm_attach_snap *s)
{
	struct protshm_nl_att_dump *d = (void *)m->cb->ctx;
	struct protshm_nl_cursor cur = {};
	struct protshm_nl_att att;
	int ret;

	if (d->st->filter_pid && protshm_nl_pid(s) != d->st->filter_pid) {
		d->att_id = s->id + 1;
		return 0;
	}
	if (s->id == d->att_id) {
		cur.addr = d->vma_addr;
		cur.hash = d->vma_hash;
	}
	protshm_nl_att_init(&att, m->cred, seg, s);
	ret = protshm_nl_att_msg(skb, &att, m, &cur);
	protshm_nl_att_fini(&att);
	if (ret < 0)
		return ret;
	d->att_id = ret ? s->id : s->id + 1;
	d->vma_addr = ret ? cur.addr : 0;
	d->vma_hash = ret ? cur.hash : 0;
	return ret ? -EMSGSIZE : 0;
}

static int protshm_nl_dump_seg_atts(struct sk_buff *skb,
				    const struct protshm_nl_msg *m,
				    struct protshm_seg *seg)
{
	struct protshm_nl_att_dump *d = (void *)m->cb->ctx;
	struct protshm_attach_snap snap[PROTSHM_NL_BATCH];
	unsigned int i, n;
	int err = 0;

	if (seg->id != d->seg_id) {
		d->seg_id = seg->id;
		d->att_id = 0;
		d->vma_addr = 0;
		d->vma_hash = 0;
	}
	do {
		n = protshm_attach_snapshot(seg, d->att_id, snap, ARRAY_SIZE(snap));
		for (i = 0; i < n && !err; i++)
			err = protshm_nl_dump_att(skb, m, seg, &snap[i]);
		protshm_attach_snap_put(snap, n);
	} while (!err && n == ARRAY_SIZE(snap));
	return err;
}

/*
 * The segment a dump goes on with, with a reference, or NULL at the end.
 * The one it was in (and the filter's) passed protshm_nl_seg_visible() with
 * the same credentials.
 */
static struct protshm_seg *protshm_nl_dump_seg(struct protshm_nl_att_dump *d)
{
	struct protshm_seg *seg = NULL;

	if (d->seg_id)
		seg = protshm_seg_lookup_id(d->seg_id);
	if (seg || !d->st->filter_seg)
		return seg ?: protshm_nl_seg_next(d->seg_id, d->st->cred);
	return d->seg_id ? NULL : protshm_seg_lookup_id(d->st->filter_seg);
}

static int protshm_nl_att_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb)
{
	struct protshm_nl_att_dump *d = (void *)cb->ctx;
	struct protshm_nl_msg m = {
		.portid = NETLINK_CB(cb->skb).portid,
		.seq = cb->nlh->nlmsg_seq, .flags = NLM_F_MULTI, .cb = cb,
		.cred = d->st->cred, .vmas = &d->st->vmas,
	};
	struct protshm_seg *seg, *next;
	int err = 0;

	if (d->st->err) {	/* the first part fails: NLMSG_DONE carries it */
		if (cb->extack)
			cb->extack->_msg = d->st->errmsg;
		return d->st->err;
	}
	cb->seq = protshm_nl_seq();
	for (seg = protshm_nl_dump_seg(d); seg; seg = next) {
		err = protshm_nl_dump_seg_atts(skb, &m, seg);
		next = NULL;
		if (!err && !d->st->filter_seg)
			next = protshm_nl_seg_next(seg->id, d->st->cred);
		protshm_seg_put(seg);
	}
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	if (err)
		return err;
	cb->seq = protshm_nl_seq();	/* the end, see the segment dump */
	return skb->len;
}

/* ---- RESTRICT ---------------------------------------------------------- */

/*
 * The process a RESTRICT request names by PID or by PIDFD (a file of the
 * sender: generic netlink requests run in the sender's context), counted.
 */
static struct pid *protshm_nl_target(struct genl_info *info)
{
	struct nlattr *pidfd = info->attrs[PROTSHM_A_PIDFD];
	struct nlattr *id = pidfd ?: info->attrs[PROTSHM_A_PID];
	struct pid *pid;

	if (!id || (pidfd && info->attrs[PROTSHM_A_PID])) {
		GENL_SET_ERR_MSG(info, "Either a process id or a pidfd required");
		return ERR_PTR(-EINVAL);
	}
	pid = protshm_target_pid(nla_get_u32(id), pidfd);
	if (pid == ERR_PTR(-EBADF))
		NL_SET_ERR_MSG_ATTR(info->extack, pidfd, "Not a pidfd");
	else if (IS_ERR(pid))
		NL_SET_ERR_MSG_ATTR(info->extack, id, "No such process");
	return pid;
}

static int protshm_nl_restrict_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct protshm_seg *seg;
	u32 prot, flags = 0;
	struct pid *pid;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, PROTSHM_A_PROT)) {
		GENL_SET_ERR_MSG(info, "Protection required");
		return -EINVAL;
	}
	prot = nla_get_u32(attrs[PROTSHM_A_PROT]);
	if (!protshm_prot_valid(prot)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[PROTSHM_A_PROT],
				    "Protection must be none, read or read-write");
		return -EINVAL;
	}
	if (attrs[PROTSHM_A_RESTRICT_FLAGS])
		flags = nla_get_u32(attrs[PROTSHM_A_RESTRICT_FLAGS]);
	pid = protshm_nl_target(info);
	if (IS_ERR(pid))
		return PTR_ERR(pid);
	seg = protshm_nl_seg_attrs(attrs, info->extack);
	if (IS_ERR(seg)) {
		put_pid(pid);
		return PTR_ERR(seg);
	}
	err = protshm_restrict_pid(seg, pid, prot, flags);
	protshm_seg_put(seg);
	put_pid(pid);
	if (err == -EPERM)
		GENL_SET_ERR_MSG(info, "Not the segment's owner, no CAP_IPC_OWNER");
	else if (err == -ESRCH)
		GENL_SET_ERR_MSG(info, "Process not attached to the segment");
	return err;
}

/* ---- events ------------------------------------------------------------ */

/* A new event message, or NULL if nobody listens (or no memory). */
static struct sk_buff *protshm_nl_event_new(u8 cmd, void **hdr)
{
	struct sk_buff *skb;

	if (!READ_ONCE(protshm_nl_registered) ||
	    !genl_has_listeners(&protshm_nl_family, &init_net,
				PROTSHM_NL_MCGRP_EVENTS))
		return NULL;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &protshm_nl_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static void protshm_nl_event_send(struct sk_buff *skb, void *hdr, int err)
{
	if (err) {	/* cannot happen: events are far below NLMSG_GOODSIZE */
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&protshm_nl_family, skb, 0, PROTSHM_NL_MCGRP_EVENTS,
			  GFP_KERNEL);
}

static int protshm_nl_put_seg_ev(struct sk_buff *skb, struct protshm_seg *seg)
{
	return protshm_nl_put_seg_id(skb, seg) ?:
	       nla_put_u32(skb, PROTSHM_A_SEG_IPC_NS, seg->ipc_ns->ns.inum);
}

static int protshm_nl_put_seg_created(struct sk_buff *skb,
				      struct protshm_seg *seg)
{
	char comm[TASK_COMM_LEN];

	get_task_comm(comm, current);
	if (nla_put_u64_64bit(skb, PROTSHM_A_SEG_SIZE, seg->size, PROTSHM_A_PAD) ||
	    nla_put_u32(skb, PROTSHM_A_SEG_UID,
			from_kuid_munged(&init_user_ns, seg->uid)) ||
	    nla_put_u32(skb, PROTSHM_A_SEG_GID,
			from_kgid_munged(&init_user_ns, seg->gid)) ||
	    nla_put_u32(skb, PROTSHM_A_SEG_MODE, seg->mode) ||
	    nla_put_u32(skb, PROTSHM_A_PID, task_tgid_nr(current)) ||
	    nla_put_string(skb, PROTSHM_A_COMM, comm))
		return -EMSGSIZE;
	return 0;
}

/**
 * protshm_nl_seg_event() - a segment was created or is being freed
 * @seg: the segment
 * @cmd: PROTSHM_CMD_SEG_CREATE_NTF (by current) or _SEG_DESTROY_NTF
 *
 * Context: process context; no protshm lock held.
 */
void protshm_nl_seg_event(struct protshm_seg *seg, u8 cmd)
{
	struct sk_buff *skb;
	void *hdr;
	int err;

	atomic_inc(&protshm_nl_gen);
	skb = protshm_nl_event_new(cmd, &hdr);
	if (!skb)
		return;
	err = protshm_nl_put_seg_ev(skb, seg);
	if (!err && cmd == PROTSHM_CMD_SEG_CREATE_NTF)
		err = protshm_nl_put_seg_created(skb, seg);
	protshm_nl_event_send(skb, hdr, err);
}

static int protshm_nl_put_att_ev(struct sk_buff *skb,
				 struct protshm_attachment *a)
{
	if (protshm_nl_put_seg_ev(skb, a->seg) ||
	    nla_put_u64_64bit(skb, PROTSHM_A_ATT_ID, a->id, PROTSHM_A_PAD) ||
	    (a->parent_id &&
	     nla_put_u64_64bit(skb, PROTSHM_A_ATT_PARENT_ID, a->parent_id,
			       PROTSHM_A_PAD)) ||
	    nla_put_u32(skb, PROTSHM_A_CEILING, a->ceiling) ||
	    (a->tgid && nla_put_u32(skb, PROTSHM_A_PID, pid_nr(a->tgid))))
		return -EMSGSIZE;
	return 0;
}

/*
 * Who attached: current; or, for a child being forked, its parent
 * (current); or, for a child given its parent's ceiling from its fork
 * record, @forker, its parent (current is whoever processed the record).
 */
static int protshm_nl_put_attacher(struct sk_buff *skb,
				   struct protshm_attachment *a,
				   struct pid *forker)
{
	char comm[TASK_COMM_LEN];

	if (forker)
		return nla_put_u32(skb, PROTSHM_A_PARENT_PID, pid_nr(forker));
	if (!a->tgid)
		return nla_put_u32(skb, PROTSHM_A_PARENT_PID,
				   task_tgid_nr(current));
	get_task_comm(comm, current);
	return nla_put_string(skb, PROTSHM_A_COMM, comm);
}

static void protshm_nl_att_event(struct protshm_attachment *a, u8 cmd,
				 struct pid *forker)
{
	struct sk_buff *skb;
	void *hdr;
	int err;

	atomic_inc(&protshm_nl_gen);
	skb = protshm_nl_event_new(cmd, &hdr);
	if (!skb)
		return;
	err = protshm_nl_put_att_ev(skb, a);
	if (!err && cmd == PROTSHM_CMD_ATTACH_NTF)
		err = protshm_nl_put_attacher(skb, a, forker);
	protshm_nl_event_send(skb, hdr, err);
}

/**
 * protshm_nl_attach_event_locked() - an attachment was created or is forgotten
 * @a: the attachment
 * @cmd: PROTSHM_CMD_ATTACH_NTF (current attached, or is forking the
 *	process of @a) or PROTSHM_CMD_DETACH_NTF
 *
 * Context: process context; a->seg->lock held.
 */
void protshm_nl_attach_event_locked(struct protshm_attachment *a, u8 cmd)
{
	lockdep_assert_held(&a->seg->lock);
	protshm_nl_att_event(a, cmd, NULL);
}

/**
 * protshm_nl_inherit_event_locked() - a forked child got an attachment from its
 *	fork record, with the ceiling of its parent
 * @a: the child's new attachment
 * @forker: the parent
 *
 * Context: process context; a->seg->lock held.
 */
void protshm_nl_inherit_event_locked(struct protshm_attachment *a,
				     struct pid *forker)
{
	lockdep_assert_held(&a->seg->lock);
	protshm_nl_att_event(a, PROTSHM_CMD_ATTACH_NTF, forker);
}

/**
 * protshm_nl_restrict_event_locked() - current restricted the process of @a
 * @a: the attachment, with its new ceiling
 * @old: its ceiling before
 *
 * Context: process context; a->seg->lock held.
 */
void protshm_nl_restrict_event_locked(struct protshm_attachment *a, u32 old)
{
	struct sk_buff *skb;
	void *hdr;
	int err;

	lockdep_assert_held(&a->seg->lock);
	skb = protshm_nl_event_new(PROTSHM_CMD_RESTRICT_NTF, &hdr);
	if (!skb)
		return;
	err = protshm_nl_put_att_ev(skb, a) ?:
	      nla_put_u32(skb, PROTSHM_A_OLD_CEILING, old) ?:
	      nla_put_u32(skb, PROTSHM_A_BY_PID, task_tgid_nr(current));
	protshm_nl_event_send(skb, hdr, err);
}

/**
 * protshm_nl_lease_event_locked() - current moved the write lease of @seg
 * @seg: the segment, seg->lease_holder the new holder (or NULL)
 * @old: the previous holder, or NULL
 *
 * Context: process context; seg->lock held.
 */
void protshm_nl_lease_event_locked(struct protshm_seg *seg, struct pid *old)
{
	struct pid *holder = seg->lease_holder;
	struct sk_buff *skb;
	void *hdr;
	int err;

	lockdep_assert_held(&seg->lock);
	skb = protshm_nl_event_new(PROTSHM_CMD_LEASE_NTF, &hdr);
	if (!skb)
		return;
	err = protshm_nl_put_seg_ev(skb, seg) ?:
	      (holder ? nla_put_u32(skb, PROTSHM_A_LEASE_HOLDER,
				    pid_nr(holder)) : 0) ?:
	      (old ? nla_put_u32(skb, PROTSHM_A_OLD_LEASE_HOLDER,
				 pid_nr(old)) : 0) ?:
	      nla_put_u32(skb, PROTSHM_A_BY_PID, task_tgid_nr(current));
	protshm_nl_event_send(skb, hdr, err);
}

/* ---- the family -------------------------------------------------------- */

/* not const: NLA_POLICY_FULL_RANGE() takes a non-const pointer on 6.1 */
static struct netlink_range_validation protshm_nl_pid_range __ro_after_init = {
	.min = 1,
	.max = INT_MAX,
};

static struct netlink_range_validation protshm_nl_fd_range __ro_after_init = {
	.min = 0,
	.max = INT_MAX,
};

/* Requests only; reply-only attributes are refused (strict validation). */
static const struct nla_policy protshm_nl_policy[PROTSHM_A_MAX + 1] = {
	[PROTSHM_A_SEG_ID] = { .type = NLA_U64 },
	[PROTSHM_A_SEG_NAME] = { .type = NLA_NUL_STRING,
				 .len = PROTSHM_NAME_MAX - 1 },
	[PROTSHM_A_PID] = NLA_POLICY_FULL_RANGE(NLA_U32, &protshm_nl_pid_range),
	[PROTSHM_A_PROT] = NLA_POLICY_MAX(NLA_U32, PROTSHM_PROT_RW),
	[PROTSHM_A_RESTRICT_FLAGS] =
		NLA_POLICY_MASK(NLA_U32, PROTSHM_RESTRICT_DESCENDANTS),
	[PROTSHM_A_PIDFD] = NLA_POLICY_FULL_RANGE(NLA_U32, &protshm_nl_fd_range),
};

static const struct genl_ops protshm_nl_ops[] = {
	{
		.cmd = PROTSHM_CMD_SEG_GET,
		.doit = protshm_nl_seg_get_doit,
		.start = protshm_nl_seg_dump_start,
		.dumpit = protshm_nl_seg_get_dumpit,
		.done = protshm_nl_seg_dump_done,
	},
	{
		.cmd = PROTSHM_CMD_ATTACH_GET,
		.doit = protshm_nl_att_get_doit,
		.start = protshm_nl_att_dump_start,
		.dumpit = protshm_nl_att_get_dumpit,
		.done = protshm_nl_att_dump_done,
	},
	{
		.cmd = PROTSHM_CMD_RESTRICT,
		.flags = GENL_UNS_ADMIN_PERM,
		.doit = protshm_nl_restrict_doit,
	},
};

static const struct genl_multicast_group protshm_nl_mcgrps[] = {
	[PROTSHM_NL_MCGRP_EVENTS] = {
		.name = PROTSHM_GENL_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

/* resv_start_op is 0: every command gets strict header and attr checks. */
static struct genl_family protshm_nl_family __ro_after_init = {
	.name = PROTSHM_GENL_NAME,
	.version = PROTSHM_GENL_VERSION,
	.maxattr = PROTSHM_A_MAX,
	.policy = protshm_nl_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = protshm_nl_ops,
	.n_ops = ARRAY_SIZE(protshm_nl_ops),
	.mcgrps = protshm_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(protshm_nl_mcgrps),
};

/**
 * protshm_nl_init() - register the generic netlink family
 *
 * Context: module init; no protshm lock held.
 * Return: 0 or a negative errno.
 */
int protshm_nl_init(void)
{
	int err = genl_register_family(&protshm_nl_family);

	if (!err)
		WRITE_ONCE(protshm_nl_registered, true);
	return err;
}

/**
 * protshm_nl_exit() - unregister the generic netlink family
 *
 * Waits for requests in progress; no event is sent afterwards.
 *
 * Context: module exit; no protshm lock held.
 */
void protshm_nl_exit(void)
{
	WRITE_ONCE(protshm_nl_registered, false);
	genl_unregister_family(&protshm_nl_family);
}

MODULE_ALIAS_GENL_FAMILY(PROTSHM_GENL_NAME);
