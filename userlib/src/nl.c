// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * nl.c - the "protshm" generic netlink family through libmnl: family
 * resolution, segment and attachment queries, RESTRICT, events.
 *
 * A query collects the whole answer before the first callback: a dump the
 * kernel flags NLM_F_DUMP_INTR (segments or attachments came and went while
 * it ran) is retried, so the callbacks see one consistent answer whenever
 * the system is quiet enough to give one.  Attributes are checked for size
 * before use; unknown ones (a newer kernel) are ignored.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "internal.h"

#define NL_RECV_SIZE	32768	/* also the size of the kernel's dump parts */
#define NL_DUMP_TRIES	4	/* attempts at a dump the kernel flags */

/**
 * struct protshm_nl - a generic netlink handle
 * @sock: the socket
 * @portid: its netlink port id
 * @seq: sequence number of the last request
 * @family: id of the protshm family
 * @mcgrp: id of its events group
 * @buf: receive buffer, NL_RECV_SIZE bytes
 * @errmsg: extended ack message of the last failed request
 */
struct protshm_nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	uint16_t family;
	uint32_t mcgrp;
	char *buf;
	char errmsg[256];
};

/* The data messages of one answer, back to back; @intr: flagged. */
struct nl_answer {
	char *data;
	size_t len;
	size_t cap;
	int intr;
};

/* ---- requests ---------------------------------------------------------- */

static struct nlmsghdr *nl_request(struct protshm_nl *nl, char *buf,
				   uint16_t type, uint8_t cmd, uint8_t version,
				   uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* Keep the extended ack message of an NLMSG_ERROR or NLMSG_DONE. */
static void nl_extack(struct protshm_nl *nl, const struct nlmsghdr *nlh,
		      unsigned int off)
{
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	mnl_attr_for_each(a, nlh, off) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
			strncpy(nl->errmsg, mnl_attr_get_str(a),
				sizeof(nl->errmsg) - 1);
			nl->errmsg[sizeof(nl->errmsg) - 1] = '\0';
		}
	}
}

/* The status an NLMSG_ERROR or NLMSG_DONE carries: 0 or -errno. */
static int nl_status(struct protshm_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	unsigned int off;

	if (nlh->nlmsg_type == NLMSG_DONE) {
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
			return 0;
		nl_extack(nl, nlh, sizeof(int));
		return *(const int *)mnl_nlmsg_get_payload(nlh);
	}
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return -EBADMSG;
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	nl_extack(nl, nlh, off);
	return e->error;
}

static int answer_add(struct nl_answer *ans, const struct nlmsghdr *nlh)
{
	size_t need = ans->len + NLMSG_ALIGN(nlh->nlmsg_len);
	char *p;

	if (need > ans->cap) {
		size_t cap = ans->cap ? ans->cap * 2 : NL_RECV_SIZE;

		while (cap < need)
			cap *= 2;
		p = realloc(ans->data, cap);
		if (!p)
			return -ENOMEM;
		ans->data = p;
		ans->cap = cap;
	}
	memcpy(ans->data + ans->len, nlh, nlh->nlmsg_len);
	ans->len = need;
	return 0;
}

/* The messages of one receive: 1 if more are to come, else the status. */
static int nl_take(struct protshm_nl *nl, int len, unsigned int seq,
		   struct nl_answer *ans)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->buf;
	int ret;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != nl->portid)
			continue;	/* an event, or a stale answer */
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			ans->intr = 1;
		if (nlh->nlmsg_type == NLMSG_ERROR ||
		    nlh->nlmsg_type == NLMSG_DONE)
			return nl_status(nl, nlh);
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
			continue;
		ret = answer_add(ans, nlh);
		if (ret < 0)
			return ret;
	}
	return 1;
}

/*
 * Send a request and collect its answer up to the ack or NLMSG_DONE.
 * Return: 0 or -errno.  On failure, errmsg holds the kernel's message.
 */
static int nl_talk(struct protshm_nl *nl, struct nlmsghdr *nlh,
		   struct nl_answer *ans)
{
	ssize_t n;
	int ret;

	nl->errmsg[0] = '\0';
	ans->len = 0;
	ans->intr = 0;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		do {
			n = mnl_socket_recvfrom(nl->sock, nl->buf, NL_RECV_SIZE);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		ret = nl_take(nl, (int)n, nlh->nlmsg_seq, ans);
	} while (ret > 0);
	return ret;
}

/* A dump, retried while the kernel flags it; the last one is kept. */
static int nl_dump(struct protshm_nl *nl, char *req, struct nl_answer *ans)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)req;
	int tries, ret;

	for (tries = 0; tries < NL_DUMP_TRIES; tries++) {
		nlh->nlmsg_seq = ++nl->seq;
		ret = nl_talk(nl, nlh, ans);
		if (ret < 0 || !ans->intr)
			return ret;
	}
	return 0;
}

/* ---- attributes -------------------------------------------------------- */

static const enum mnl_attr_data_type nl_attr_types[PROTSHM_A_MAX + 1] = {
	[PROTSHM_A_SEG_ID] = MNL_TYPE_U64,
	[PROTSHM_A_SEG_NAME] = MNL_TYPE_NUL_STRING,
	[PROTSHM_A_SEG_SIZE] = MNL_TYPE_U64,
	[PROTSHM_A_SEG_UID] = MNL_TYPE_U32,
	[PROTSHM_A_SEG_GID] = MNL_TYPE_U32,
	[PROTSHM_A_SEG_MODE] = MNL_TYPE_U32,
	[PROTSHM_A_SEG_NR_ATTACH] = MNL_TYPE_U32,
	[PROTSHM_A_SEG_RESIDENT] = MNL_TYPE_U64,
	[PROTSHM_A_SEG_UNLINKED] = MNL_TYPE_FLAG,
	[PROTSHM_A_SEG_IPC_NS] = MNL_TYPE_U32,
	[PROTSHM_A_ATT_ID] = MNL_TYPE_U64,
	[PROTSHM_A_ATT_PARENT_ID] = MNL_TYPE_U64,
	[PROTSHM_A_PID] = MNL_TYPE_U32,
	[PROTSHM_A_COMM] = MNL_TYPE_NUL_STRING,
	[PROTSHM_A_CEILING] = MNL_TYPE_U32,
	[PROTSHM_A_OLD_CEILING] = MNL_TYPE_U32,
	[PROTSHM_A_VMA] = MNL_TYPE_NESTED,
	[PROTSHM_A_ATT_MORE] = MNL_TYPE_FLAG,
	[PROTSHM_A_PROT] = MNL_TYPE_U32,
	[PROTSHM_A_RESTRICT_FLAGS] = MNL_TYPE_U32,
	[PROTSHM_A_BY_PID] = MNL_TYPE_U32,
	[PROTSHM_A_PARENT_PID] = MNL_TYPE_U32,
	[PROTSHM_A_SEG_LEASE] = MNL_TYPE_FLAG,
	[PROTSHM_A_LEASE_HOLDER] = MNL_TYPE_U32,
	[PROTSHM_A_OLD_LEASE_HOLDER] = MNL_TYPE_U32,
};

static const enum mnl_attr_data_type nl_vma_types[PROTSHM_VMA_A_MAX + 1] = {
	[PROTSHM_VMA_A_START] = MNL_TYPE_U64,
	[PROTSHM_VMA_A_END] = MNL_TYPE_U64,
	[PROTSHM_VMA_A_PGOFF] = MNL_TYPE_U64,
	[PROTSHM_VMA_A_LEN] = MNL_TYPE_U64,
	[PROTSHM_VMA_A_FLAGS] = MNL_TYPE_U32,
};

/* A known, well-formed attribute of a table? */
static int attr_known(const struct nlattr *a,
		      const enum mnl_attr_data_type *types, unsigned int max)
{
	unsigned int type = mnl_attr_get_type(a);

	return type && type <= max && types[type] != MNL_TYPE_UNSPEC &&
	       mnl_attr_validate(a, types[type]) == 0;
}

/*
 * The top-level attributes of a message into @tb; each PROTSHM_A_VMA goes
 * to @vma_fn instead, if given.  Return: 0 or what @vma_fn returned.
 */
static int attrs_parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
		       int (*vma_fn)(const struct nlattr *, void *), void *arg)
{
	const struct nlattr *a;
	int ret;

	memset(tb, 0, (PROTSHM_A_MAX + 1) * sizeof(*tb));
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (!attr_known(a, nl_attr_types, PROTSHM_A_MAX))
			continue;
		if (mnl_attr_get_type(a) == PROTSHM_A_VMA && vma_fn) {
			ret = vma_fn(a, arg);
			if (ret < 0)
				return ret;
			continue;
		}
		tb[mnl_attr_get_type(a)] = a;
	}
	return 0;
}

static uint64_t tb_u64(const struct nlattr **tb, int type)
{
	return tb[type] ? mnl_attr_get_u64(tb[type]) : 0;
}

static uint32_t tb_u32(const struct nlattr **tb, int type)
{
	return tb[type] ? mnl_attr_get_u32(tb[type]) : 0;
}

static void tb_str(const struct nlattr **tb, int type, char *dst, size_t len)
{
	dst[0] = '\0';
	if (tb[type]) {
		strncpy(dst, mnl_attr_get_str(tb[type]), len - 1);
		dst[len - 1] = '\0';
	}
}

/* ---- the handle -------------------------------------------------------- */

static void family_mcgrps(struct protshm_nl *nl, const struct nlattr *nest)
{
	const struct nlattr *grp, *a;

	mnl_attr_for_each_nested(grp, nest) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(a, grp) {
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(a);
			else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
				 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(a);
		}
		if (name && !strcmp(name, PROTSHM_GENL_MCGRP_EVENTS))
			nl->mcgrp = id;
	}
}

static void family_attrs(struct protshm_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			nl->family = mnl_attr_get_u16(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
			family_mcgrps(nl, a);
	}
}

/* CTRL_CMD_GETFAMILY: the family id and the events group id. */
static int family_resolve(struct protshm_nl *nl)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nl_answer ans = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	nlh = nl_request(nl, req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, PROTSHM_GENL_NAME);
	ret = nl_talk(nl, nlh, &ans);
	if (ret == 0 && ans.len)
		family_attrs(nl, (const struct nlmsghdr *)ans.data);
	if (ret == 0 && !nl->family)
		ret = -ENOENT;
	free(ans.data);
	return ret;
}

/* Open, bind and configure the socket. */
static int nl_socket(struct protshm_nl *nl)
{
	int one = 1;

	nl->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	nl->portid = mnl_socket_get_portid(nl->sock);
	/* both are optional: older kernels just ignore what they lack */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

PROTSHM_API int protshm_nl_open(struct protshm_nl **out)
{
	struct protshm_nl *nl;
	int ret;

	if (!out)
		return -EINVAL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->buf = malloc(NL_RECV_SIZE);
	nl->seq = (unsigned int)time(NULL);
	ret = nl->buf ? nl_socket(nl) : -ENOMEM;
	if (ret == 0)
		ret = family_resolve(nl);
	if (ret < 0) {
		protshm_nl_close(nl);
		return ret;
	}
	*out = nl;
	return 0;
}

PROTSHM_API void protshm_nl_close(struct protshm_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl);
}

PROTSHM_API int protshm_nl_fd(const struct protshm_nl *nl)
{
	return nl ? mnl_socket_get_fd(nl->sock) : -EINVAL;
}

PROTSHM_API const char *protshm_nl_errmsg(const struct protshm_nl *nl)
{
	return nl ? nl->errmsg : "";
}

/* ---- segments ---------------------------------------------------------- */

static void seg_from(const struct nlmsghdr *nlh, struct protshm_nl_segment *s)
{
	const struct nlattr *tb[PROTSHM_A_MAX + 1];

	attrs_parse(nlh, tb, NULL, NULL);
	memset(s, 0, sizeof(*s));
	s->id = tb_u64(tb, PROTSHM_A_SEG_ID);
	tb_str(tb, PROTSHM_A_SEG_NAME, s->name, sizeof(s->name));
	s->size = tb_u64(tb, PROTSHM_A_SEG_SIZE);
	s->uid = tb_u32(tb, PROTSHM_A_SEG_UID);
	s->gid = tb_u32(tb, PROTSHM_A_SEG_GID);
	s->mode = tb_u32(tb, PROTSHM_A_SEG_MODE);
	s->nr_attachments = tb_u32(tb, PROTSHM_A_SEG_NR_ATTACH);
	s->resident = tb_u64(tb, PROTSHM_A_SEG_RESIDENT);
	s->unlinked = tb[PROTSHM_A_SEG_UNLINKED] != NULL;
	s->lease = tb[PROTSHM_A_SEG_LEASE] != NULL;
	s->lease_holder = (pid_t)tb_u32(tb, PROTSHM_A_LEASE_HOLDER);
}

PROTSHM_API int protshm_nl_segments(struct protshm_nl *nl, const char *name,
				    protshm_nl_segment_cb cb, void *arg)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nl_answer ans = { 0 };
	struct protshm_nl_segment seg;
	const struct nlmsghdr *nlh;
	int len, ret;

	if (!nl || !cb || (name && strlen(name) >= PROTSHM_NAME_MAX))
		return -EINVAL;
	nlh = nl_request(nl, req, nl->family, PROTSHM_CMD_SEG_GET,
			 PROTSHM_GENL_VERSION, name ? 0 : NLM_F_DUMP);
	if (name)
		mnl_attr_put_strz((struct nlmsghdr *)nlh, PROTSHM_A_SEG_NAME, name);
	ret = name ? nl_talk(nl, (struct nlmsghdr *)nlh, &ans) :
		     nl_dump(nl, req, &ans);
	nlh = (const struct nlmsghdr *)ans.data;
	len = (int)ans.len;
	for (; ret == 0 && mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		seg_from(nlh, &seg);
		ret = cb(&seg, arg);
	}
	free(ans.data);
	if (ret == 0 && ans.intr)
		return PROTSHM_NL_INCONSISTENT;
	return ret;
}

/* ---- attachments ------------------------------------------------------- */

/* An attachment being assembled from one or more messages. */
struct att_build {
	struct protshm_nl_attachment att;
	struct protshm_nl_vma *vmas;
	size_t cap;
	int more;		/* its mappings continue in the next message */
	int valid;
};

static int vma_add(const struct nlattr *nest, void *arg)
{
	struct att_build *b = arg;
	struct protshm_nl_vma *v;
	const struct nlattr *a;

	if (b->att.nr_vmas == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;

		v = realloc(b->vmas, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		b->vmas = v;
		b->cap = cap;
	}
	v = &b->vmas[b->att.nr_vmas++];
	memset(v, 0, sizeof(*v));
	mnl_attr_for_each_nested(a, nest) {
		if (!attr_known(a, nl_vma_types, PROTSHM_VMA_A_MAX))
			continue;
		switch (mnl_attr_get_type(a)) {
		case PROTSHM_VMA_A_START:
			v->start = mnl_attr_get_u64(a);
			v->has_addr = 1;
			break;
		case PROTSHM_VMA_A_END:
			v->end = mnl_attr_get_u64(a);
			break;
		case PROTSHM_VMA_A_PGOFF:
			v->pgoff = mnl_attr_get_u64(a);
			break;
		case PROTSHM_VMA_A_LEN:
			v->len = mnl_attr_get_u64(a);
			break;
		case PROTSHM_VMA_A_FLAGS:
			v->flags = mnl_attr_get_u32(a);
			break;
		}
	}
	return 0;
}

static void att_header(struct att_build *b, const struct nlattr **tb)
{
	struct protshm_nl_attachment *att = &b->att;

	att->seg_id = tb_u64(tb, PROTSHM_A_SEG_ID);
	tb_str(tb, PROTSHM_A_SEG_NAME, att->seg_name, sizeof(att->seg_name));
	att->id = tb_u64(tb, PROTSHM_A_ATT_ID);
	att->parent_id = tb_u64(tb, PROTSHM_A_ATT_PARENT_ID);
	att->pid = (pid_t)tb_u32(tb, PROTSHM_A_PID);
	tb_str(tb, PROTSHM_A_COMM, att->comm, sizeof(att->comm));
	att->ceiling = tb_u32(tb, PROTSHM_A_CEILING);
	b->valid = 1;
}

static int att_deliver(struct att_build *b, protshm_nl_attachment_cb cb,
		       void *arg)
{
	int ret = 0;

	if (b->valid) {
		b->att.vmas = b->vmas;
		ret = cb(&b->att, arg);
	}
	b->valid = 0;
	b->more = 0;
	b->att.nr_vmas = 0;
	return ret;
}

/*
 * One message: a new attachment (the previous one is delivered first) or
 * the continuation of the previous one's mappings.
 */
static int att_message(struct att_build *b, const struct nlmsghdr *nlh,
		       protshm_nl_attachment_cb cb, void *arg)
{
	const struct nlattr *tb[PROTSHM_A_MAX + 1];
	int ret;

	attrs_parse(nlh, tb, NULL, NULL);
	if (!b->more || tb_u64(tb, PROTSHM_A_ATT_ID) != b->att.id) {
		ret = att_deliver(b, cb, arg);
		if (ret)
			return ret;
		att_header(b, tb);
	}
	b->more = tb[PROTSHM_A_ATT_MORE] != NULL;
	return attrs_parse(nlh, tb, vma_add, b);
}

PROTSHM_API int protshm_nl_attachments(struct protshm_nl *nl, const char *name,
				       pid_t pid, protshm_nl_attachment_cb cb,
				       void *arg)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nl_answer ans = { 0 };
	struct att_build b = { 0 };
	const struct nlmsghdr *nlh;
	int len, ret;

	if (!nl || !cb || pid < 0 ||
	    (name && strlen(name) >= PROTSHM_NAME_MAX))
		return -EINVAL;
	nlh = nl_request(nl, req, nl->family, PROTSHM_CMD_ATTACH_GET,
			 PROTSHM_GENL_VERSION, NLM_F_DUMP);
	if (name)
		mnl_attr_put_strz((struct nlmsghdr *)nlh, PROTSHM_A_SEG_NAME, name);
	if (pid)
		mnl_attr_put_u32((struct nlmsghdr *)nlh, PROTSHM_A_PID, pid);
	ret = nl_dump(nl, req, &ans);
	nlh = (const struct nlmsghdr *)ans.data;
	len = (int)ans.len;
	for (; ret == 0 && mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		ret = att_message(&b, nlh, cb, arg);
	if (ret == 0)
		ret = att_deliver(&b, cb, arg);
	free(b.vmas);
	free(ans.data);
	if (ret == 0 && ans.intr)
		return PROTSHM_NL_INCONSISTENT;
	return ret;
}

/* ---- RESTRICT ---------------------------------------------------------- */

PROTSHM_API int protshm_nl_restrict(struct protshm_nl *nl, const char *name,
				    pid_t pid, unsigned int prot,
				    unsigned int flags)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nl_answer ans = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	unsigned int by_pidfd = flags & PROTSHM_RESTRICT_PIDFD;

	if (!nl || !name || strlen(name) >= PROTSHM_NAME_MAX || pid < 0 ||
	    (!pid && !by_pidfd))
		return -EINVAL;
	flags &= ~PROTSHM_RESTRICT_PIDFD;
	nlh = nl_request(nl, req, nl->family, PROTSHM_CMD_RESTRICT,
			 PROTSHM_GENL_VERSION, 0);
	mnl_attr_put_strz(nlh, PROTSHM_A_SEG_NAME, name);
	mnl_attr_put_u32(nlh, by_pidfd ? PROTSHM_A_PIDFD : PROTSHM_A_PID,
			 (uint32_t)pid);
	mnl_attr_put_u32(nlh, PROTSHM_A_PROT, prot);
	if (flags)
		mnl_attr_put_u32(nlh, PROTSHM_A_RESTRICT_FLAGS, flags);
	ret = nl_talk(nl, nlh, &ans);
	free(ans.data);
	return ret;
}

/* ---- events ------------------------------------------------------------ */

PROTSHM_API int protshm_nl_subscribe(struct protshm_nl *nl)
{
	if (!nl)
		return -EINVAL;
	if (!nl->mcgrp)
		return -ENOENT;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &nl->mcgrp,
				  sizeof(nl->mcgrp)) < 0)
		return -errno;
	return 0;
}

static void event_from(const struct nlmsghdr *nlh, struct protshm_nl_event *ev)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[PROTSHM_A_MAX + 1];

	attrs_parse(nlh, tb, NULL, NULL);
	memset(ev, 0, sizeof(*ev));
	ev->type = g->cmd;
	ev->seg_id = tb_u64(tb, PROTSHM_A_SEG_ID);
	tb_str(tb, PROTSHM_A_SEG_NAME, ev->seg_name, sizeof(ev->seg_name));
	ev->ipc_ns = tb_u32(tb, PROTSHM_A_SEG_IPC_NS);
	ev->att_id = tb_u64(tb, PROTSHM_A_ATT_ID);
	ev->parent_id = tb_u64(tb, PROTSHM_A_ATT_PARENT_ID);
	ev->pid = (pid_t)tb_u32(tb, PROTSHM_A_PID);
	ev->parent_pid = (pid_t)tb_u32(tb, PROTSHM_A_PARENT_PID);
	ev->by_pid = (pid_t)tb_u32(tb, PROTSHM_A_BY_PID);
	tb_str(tb, PROTSHM_A_COMM, ev->comm, sizeof(ev->comm));
	ev->ceiling = tb_u32(tb, PROTSHM_A_CEILING);
	ev->old_ceiling = tb_u32(tb, PROTSHM_A_OLD_CEILING);
	ev->size = tb_u64(tb, PROTSHM_A_SEG_SIZE);
	ev->uid = tb_u32(tb, PROTSHM_A_SEG_UID);
	ev->gid = tb_u32(tb, PROTSHM_A_SEG_GID);
	ev->mode = tb_u32(tb, PROTSHM_A_SEG_MODE);
}

/* Deliver the events of one receive; the count or a callback's error. */
static int events_take(struct protshm_nl *nl, int len, protshm_nl_event_cb cb,
		       void *arg)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->buf;
	struct protshm_nl_event ev;
	int n = 0, ret;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type != nl->family || nlh->nlmsg_pid != 0 ||
		    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
			continue;
		event_from(nlh, &ev);
		ret = cb(&ev, arg);
		if (ret)
			return ret < 0 ? ret : -EINVAL;
		n++;
	}
	return n;
}

PROTSHM_API int protshm_nl_events(struct protshm_nl *nl, int timeout_ms,
				  protshm_nl_event_cb cb, void *arg)
{
	struct pollfd pfd;
	int total = 0, ret;
	ssize_t n;

	if (!nl || !cb)
		return -EINVAL;
	pfd.fd = mnl_socket_get_fd(nl->sock);
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, timeout_ms);
	if (ret <= 0)
		return ret < 0 ? -errno : 0;
	for (;;) {
		n = recv(pfd.fd, nl->buf, NL_RECV_SIZE, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? total : -errno;
		ret = events_take(nl, (int)n, cb, arg);
		if (ret < 0)
			return ret;
		total += ret;
	}
}
