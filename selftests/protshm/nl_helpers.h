/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw generic netlink helpers for the protshm netlink selftests, on libmnl.
 * The tests talk to the kernel ABI directly (not through libprotshm): they
 * build requests attribute by attribute, so malformed ones too, and parse
 * replies, extended acks and NLM_F_DUMP_INTR themselves.
 *
 * This includes the family resolution (nlc_open()), which libprotshm also
 * does, internally: the tests need what the library does not expose - the
 * family's version and the number of commands it announces, checked by
 * netlink_test - and must see the kernel's answer to CTRL_CMD_GETFAMILY,
 * errors included, not the library's summary of it.  libprotshm's netlink
 * API (protshm_nl_*()) returns parsed records and hides the extended ack,
 * the sequence numbers and interrupted dumps, which are what these tests
 * check.
 */
#ifndef PROTSHM_SELFTEST_NL_HELPERS_H
#define PROTSHM_SELFTEST_NL_HELPERS_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/protshm.h>

#define NL_BUF_SIZE	(1 << 16)
#define NL_MAX_VMAS	512

/* A netlink socket with the protshm family resolved. */
struct nlc {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	uint16_t family;
	uint32_t version;
	uint32_t mcgrp;		/* id of the events group */
	int nops;		/* commands the family announces */
	/* outcome of the last request */
	int err;		/* 0 or -errno */
	char errmsg[256];	/* extack message, "" if none */
	uint32_t miss_type;	/* NLMSGERR_ATTR_MISS_TYPE, 0 if none */
	int intr;		/* a message carried NLM_F_DUMP_INTR */
	int nmsgs;		/* data messages received */
};

struct seg_rec {
	uint64_t id;
	char name[PROTSHM_NAME_MAX];
	uint64_t size;
	uint32_t uid, gid, mode, nr_attach;
	uint64_t resident;
	int unlinked;
	int lease;
	uint32_t lease_holder;	/* 0 if absent */
};

struct vma_rec {
	int has_addr;
	uint64_t start, end, pgoff, len;
	uint32_t flags;
};

struct att_rec {
	uint64_t seg_id;
	char seg_name[PROTSHM_NAME_MAX];
	uint64_t id, parent_id;
	int has_pid;
	uint32_t pid;
	char comm[32];
	uint32_t ceiling;
	int more;
	int nvma;
	struct vma_rec vma[NL_MAX_VMAS];
};

/* An event, flattened. */
struct ev_rec {
	uint8_t cmd;
	uint64_t seg_id, att_id, parent_id;
	char seg_name[PROTSHM_NAME_MAX];
	uint32_t pid, by_pid, parent_pid, ceiling, old_ceiling;
	uint32_t lease_holder, old_lease_holder;	/* 0 if absent */
	int has_pid;
	char comm[32];
};

static inline struct nlmsghdr *nl_req(struct nlc *c, char *buf, uint16_t type,
				      uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++c->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = PROTSHM_GENL_VERSION;
	return nlh;
}

static inline struct nlmsghdr *ps_req(struct nlc *c, char *buf, uint8_t cmd,
				      uint16_t flags)
{
	return nl_req(c, buf, c->family, cmd, flags);
}

/* Extended ack TLVs of an NLMSG_ERROR or NLMSG_DONE at @off. */
static inline void nl_parse_extack(struct nlc *c, const struct nlmsghdr *nlh,
				   unsigned int off)
{
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	mnl_attr_for_each(a, nlh, off) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(c->errmsg, sizeof(c->errmsg), "%s",
				 mnl_attr_get_str(a));
		else if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MISS_TYPE)
			c->miss_type = mnl_attr_get_u32(a);
	}
}

/* NLMSG_ERROR: 0 for an ack, else -errno; the extack is kept in @c. */
static inline int nl_error(struct nlc *c, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	unsigned int off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	nl_parse_extack(c, nlh, off);
	return e->error;
}

/* NLMSG_DONE: the dump's final status, 0 or -errno. */
static inline int nl_done(struct nlc *c, const struct nlmsghdr *nlh)
{
	int err = *(int *)mnl_nlmsg_get_payload(nlh);

	nl_parse_extack(c, nlh, sizeof(int));
	return err;
}

/*
 * The messages of one receive: 1 if more are to come, else the outcome.
 * Unlike mnl_cb_run(), an NLM_F_DUMP_INTR message is processed like any
 * other and only noted in c->intr.
 */
static inline int nl_dispatch(struct nlc *c, const char *buf, int len,
			      unsigned int seq, mnl_cb_t cb, void *data)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != c->portid)
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			c->intr = 1;
		if (nlh->nlmsg_type == NLMSG_ERROR)
			return nl_error(c, nlh);
		if (nlh->nlmsg_type == NLMSG_DONE)
			return nl_done(c, nlh);
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
			continue;
		c->nmsgs++;
		if (cb && cb(nlh, data) < MNL_CB_OK)
			return -EPROTO;
	}
	return 1;
}

/*
 * Send @nlh and process replies up to the ack or NLMSG_DONE.  @recv_size
 * is the receive buffer size, which the kernel uses to size dump parts.
 * Returns 0 or -errno; c->errmsg etc. describe the outcome.
 */
static inline int nl_run_sized(struct nlc *c, struct nlmsghdr *nlh,
			       mnl_cb_t cb, void *data, size_t recv_size)
{
	static char buf[NL_BUF_SIZE];
	ssize_t n;
	int ret;

	c->err = 0;
	c->errmsg[0] = 0;
	c->miss_type = 0;
	c->intr = 0;
	c->nmsgs = 0;
	if (recv_size > sizeof(buf))
		recv_size = sizeof(buf);
	if (mnl_socket_sendto(c->sock, nlh, nlh->nlmsg_len) < 0)
		return c->err = -errno;
	do {
		n = mnl_socket_recvfrom(c->sock, buf, recv_size);
		if (n < 0)
			return c->err = -errno;
		ret = nl_dispatch(c, buf, n, nlh->nlmsg_seq, cb, data);
	} while (ret > 0);
	return c->err = ret;
}

/*
 * With the usual MNL_SOCKET_BUFFER_SIZE (4 KiB) receive buffer, which also
 * keeps the kernel's dump parts at 4 KiB: dumps come in several parts.
 */
static inline int nl_run(struct nlc *c, struct nlmsghdr *nlh, mnl_cb_t cb,
			 void *data)
{
	return nl_run_sized(c, nlh, cb, data, MNL_SOCKET_BUFFER_SIZE);
}

/* ---- family resolution ------------------------------------------------ */

static int nl_mcgrps_cb(const struct nlattr *nest, struct nlc *c)
{
	const struct nlattr *grp, *a;

	mnl_attr_for_each_nested(grp, nest) {
		const char *name = NULL;
		uint32_t id = 0;

		mnl_attr_for_each_nested(a, grp) {
			if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME)
				name = mnl_attr_get_str(a);
			else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID)
				id = mnl_attr_get_u32(a);
		}
		if (name && !strcmp(name, PROTSHM_GENL_MCGRP_EVENTS))
			c->mcgrp = id;
	}
	return MNL_CB_OK;
}

static int nl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlc *c = data;
	const struct nlattr *a, *op;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			c->family = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_VERSION:
			c->version = mnl_attr_get_u32(a);
			break;
		case CTRL_ATTR_OPS:
			mnl_attr_for_each_nested(op, a)
				c->nops++;
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			nl_mcgrps_cb(a, c);
			break;
		}
	}
	return MNL_CB_OK;
}

/* Open a socket and resolve the family: 0, -ENOENT (no family) or -errno. */
static inline int nlc_open(struct nlc *c)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int one = 1, ret;

	memset(c, 0, sizeof(*c));
	c->seq = time(NULL);
	c->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!c->sock)
		return -errno;
	if (mnl_socket_bind(c->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	c->portid = mnl_socket_get_portid(c->sock);
	mnl_socket_setsockopt(c->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(c->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nlh = nl_req(c, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, PROTSHM_GENL_NAME);
	ret = nl_run(c, nlh, nl_family_cb, c);
	return ret;
}

static inline void nlc_close(struct nlc *c)
{
	if (c->sock)
		mnl_socket_close(c->sock);
	c->sock = NULL;
}

/* ---- replies ----------------------------------------------------------- */

static inline void nl_strcpy(char *dst, size_t len, const struct nlattr *a)
{
	snprintf(dst, len, "%s", mnl_attr_get_str(a));
}

static inline void seg_parse(const struct nlmsghdr *nlh, struct seg_rec *s)
{
	const struct nlattr *a;

	memset(s, 0, sizeof(*s));
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case PROTSHM_A_SEG_ID: s->id = mnl_attr_get_u64(a); break;
		case PROTSHM_A_SEG_NAME:
			nl_strcpy(s->name, sizeof(s->name), a);
			break;
		case PROTSHM_A_SEG_SIZE: s->size = mnl_attr_get_u64(a); break;
		case PROTSHM_A_SEG_UID: s->uid = mnl_attr_get_u32(a); break;
		case PROTSHM_A_SEG_GID: s->gid = mnl_attr_get_u32(a); break;
		case PROTSHM_A_SEG_MODE: s->mode = mnl_attr_get_u32(a); break;
		case PROTSHM_A_SEG_NR_ATTACH:
			s->nr_attach = mnl_attr_get_u32(a);
			break;
		case PROTSHM_A_SEG_RESIDENT:
			s->resident = mnl_attr_get_u64(a);
			break;
		case PROTSHM_A_SEG_UNLINKED: s->unlinked = 1; break;
		case PROTSHM_A_SEG_LEASE: s->lease = 1; break;
		case PROTSHM_A_LEASE_HOLDER:
			s->lease_holder = mnl_attr_get_u32(a);
			break;
		}
	}
}

static inline void vma_parse(const struct nlattr *nest, struct vma_rec *v)
{
	const struct nlattr *a;

	memset(v, 0, sizeof(*v));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case PROTSHM_VMA_A_START:
			v->start = mnl_attr_get_u64(a);
			v->has_addr = 1;
			break;
		case PROTSHM_VMA_A_END: v->end = mnl_attr_get_u64(a); break;
		case PROTSHM_VMA_A_PGOFF: v->pgoff = mnl_attr_get_u64(a); break;
		case PROTSHM_VMA_A_LEN: v->len = mnl_attr_get_u64(a); break;
		case PROTSHM_VMA_A_FLAGS: v->flags = mnl_attr_get_u32(a); break;
		}
	}
}

/* Parse one attachment message; VMAs are appended to @t->vma. */
static inline void att_parse(const struct nlmsghdr *nlh, struct att_rec *t)
{
	const struct nlattr *a;

	t->more = 0;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case PROTSHM_A_SEG_ID: t->seg_id = mnl_attr_get_u64(a); break;
		case PROTSHM_A_SEG_NAME:
			nl_strcpy(t->seg_name, sizeof(t->seg_name), a);
			break;
		case PROTSHM_A_ATT_ID: t->id = mnl_attr_get_u64(a); break;
		case PROTSHM_A_ATT_PARENT_ID:
			t->parent_id = mnl_attr_get_u64(a);
			break;
		case PROTSHM_A_PID:
			t->pid = mnl_attr_get_u32(a);
			t->has_pid = 1;
			break;
		case PROTSHM_A_COMM: nl_strcpy(t->comm, sizeof(t->comm), a); break;
		case PROTSHM_A_CEILING: t->ceiling = mnl_attr_get_u32(a); break;
		case PROTSHM_A_ATT_MORE: t->more = 1; break;
		case PROTSHM_A_VMA:
			if (t->nvma < NL_MAX_VMAS)
				vma_parse(a, &t->vma[t->nvma]);
			t->nvma++;
			break;
		}
	}
}

/*
 * A list of attachments from a dump, continuation messages merged.
 * @bad counts messages that broke the protocol (an attachment announced
 * with ATT_MORE whose continuation did not follow), @overflow those that
 * did not fit in @a.
 */
struct att_list {
	int n;
	int bad;
	int overflow;
	int parts;		/* messages that had ATT_MORE set */
	struct att_rec a[16];
};

static int att_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct att_list *l = data;
	struct att_rec *last = l->n ? &l->a[l->n - 1] : NULL;
	struct att_rec tmp = { 0 };

	att_parse(nlh, &tmp);
	if (last && last->more) {
		if (tmp.id != last->id) {
			l->bad++;	/* the rest never came */
		} else {
			int i;

			for (i = 0; i < tmp.nvma && last->nvma < NL_MAX_VMAS; i++)
				last->vma[last->nvma++] = tmp.vma[i];
			last->more = tmp.more;
			l->parts += tmp.more;
			return MNL_CB_OK;
		}
	}
	l->parts += tmp.more;
	if (l->n < (int)(sizeof(l->a) / sizeof(l->a[0])))
		l->a[l->n++] = tmp;
	else
		l->overflow++;
	return MNL_CB_OK;
}

/* Dump the attachments of segment @name (NULL: all), optionally of @pid. */
static inline int att_dump(struct nlc *c, const char *name, uint32_t pid,
			   struct att_list *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ps_req(c, buf, PROTSHM_CMD_ATTACH_GET, NLM_F_DUMP);

	memset(l, 0, sizeof(*l));
	if (name)
		mnl_attr_put_strz(nlh, PROTSHM_A_SEG_NAME, name);
	if (pid)
		mnl_attr_put_u32(nlh, PROTSHM_A_PID, pid);
	return nl_run(c, nlh, att_list_cb, l);
}

/* ATTACH_GET do: exactly one attachment, copied to @t; 0 or -errno. */
static inline int att_get(struct nlc *c, const char *name, uint32_t pid,
			  struct att_rec *t)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ps_req(c, buf, PROTSHM_CMD_ATTACH_GET, 0);
	struct att_list *l = calloc(1, sizeof(*l));
	int ret;

	if (name)
		mnl_attr_put_strz(nlh, PROTSHM_A_SEG_NAME, name);
	if (pid)
		mnl_attr_put_u32(nlh, PROTSHM_A_PID, pid);
	ret = nl_run(c, nlh, att_list_cb, l);
	if (!ret && l->n == 1)
		*t = l->a[0];
	else if (!ret)
		ret = -EPROTO;
	free(l);
	return ret;
}

static inline struct att_rec *att_find(struct att_list *l, uint32_t pid)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (l->a[i].has_pid && l->a[i].pid == pid)
			return &l->a[i];
	return NULL;
}

/* The VMA starting at @addr, or NULL. */
static inline struct vma_rec *vma_find(struct att_rec *t, void *addr)
{
	int i;

	for (i = 0; i < t->nvma && i < NL_MAX_VMAS; i++)
		if (t->vma[i].start == (uintptr_t)addr)
			return &t->vma[i];
	return NULL;
}

static int seg_one_cb(const struct nlmsghdr *nlh, void *data)
{
	seg_parse(nlh, data);
	return MNL_CB_OK;
}

/* SEG_GET do by name (@id 0) or id. */
static inline int seg_get(struct nlc *c, const char *name, uint64_t id,
			  struct seg_rec *s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ps_req(c, buf, PROTSHM_CMD_SEG_GET, 0);

	memset(s, 0, sizeof(*s));
	if (name)
		mnl_attr_put_strz(nlh, PROTSHM_A_SEG_NAME, name);
	if (id)
		mnl_attr_put_u64(nlh, PROTSHM_A_SEG_ID, id);
	return nl_run(c, nlh, seg_one_cb, s);
}

/* SEG_GET dump: every visible segment, those named @prefix* kept in @d. */
struct seg_dump {
	int n;
	struct seg_rec s[8];
	const char *prefix;
	int total;
};

static int seg_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct seg_dump *d = data;
	struct seg_rec s;

	seg_parse(nlh, &s);
	d->total++;
	if (!strncmp(s.name, d->prefix, strlen(d->prefix)) && d->n < 8)
		d->s[d->n++] = s;
	return MNL_CB_OK;
}

static inline int seg_dump(struct nlc *c, struct seg_dump *d, const char *prefix)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ps_req(c, buf, PROTSHM_CMD_SEG_GET, NLM_F_DUMP);

	memset(d, 0, sizeof(*d));
	d->prefix = prefix;
	return nl_run(c, nlh, seg_dump_cb, d);
}

/* RESTRICT through netlink. */
static inline int nl_restrict(struct nlc *c, const char *name, uint32_t pid,
			      uint32_t prot, uint32_t flags)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ps_req(c, buf, PROTSHM_CMD_RESTRICT, 0);

	mnl_attr_put_strz(nlh, PROTSHM_A_SEG_NAME, name);
	mnl_attr_put_u32(nlh, PROTSHM_A_PID, pid);
	mnl_attr_put_u32(nlh, PROTSHM_A_PROT, prot);
	if (flags)
		mnl_attr_put_u32(nlh, PROTSHM_A_RESTRICT_FLAGS, flags);
	return nl_run(c, nlh, NULL, NULL);
}

/*
 * RESTRICT through netlink of segment @id; the process named by its pid
 * or, with PROTSHM_RESTRICT_PIDFD in @flags, by the pidfd @pid.
 */
static inline int nl_restrict_id(struct nlc *c, uint64_t id, uint32_t pid,
				 uint32_t prot, uint32_t flags)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ps_req(c, buf, PROTSHM_CMD_RESTRICT, 0);

	mnl_attr_put_u64(nlh, PROTSHM_A_SEG_ID, id);
	mnl_attr_put_u32(nlh, flags & PROTSHM_RESTRICT_PIDFD ? PROTSHM_A_PIDFD :
			 PROTSHM_A_PID, pid);
	mnl_attr_put_u32(nlh, PROTSHM_A_PROT, prot);
	if (flags & PROTSHM_RESTRICT_DESCENDANTS)
		mnl_attr_put_u32(nlh, PROTSHM_A_RESTRICT_FLAGS,
				 PROTSHM_RESTRICT_DESCENDANTS);
	return nl_run(c, nlh, NULL, NULL);
}

/* RESTRICT through netlink naming the process by pidfd (and by pid if > 0). */
static inline int nl_restrict_pidfd(struct nlc *c, const char *name,
				    int pidfd, uint32_t pid, uint32_t prot)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ps_req(c, buf, PROTSHM_CMD_RESTRICT, 0);

	mnl_attr_put_strz(nlh, PROTSHM_A_SEG_NAME, name);
	mnl_attr_put_u32(nlh, PROTSHM_A_PIDFD, pidfd);
	if (pid)
		mnl_attr_put_u32(nlh, PROTSHM_A_PID, pid);
	mnl_attr_put_u32(nlh, PROTSHM_A_PROT, prot);
	return nl_run(c, nlh, NULL, NULL);
}

/* ---- events ------------------------------------------------------------ */

static inline int nl_subscribe(struct nlc *c)
{
	if (mnl_socket_setsockopt(c->sock, NETLINK_ADD_MEMBERSHIP, &c->mcgrp,
				  sizeof(c->mcgrp)) < 0)
		return -errno;
	return 0;
}

static inline void ev_parse(const struct nlmsghdr *nlh, struct ev_rec *e)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	memset(e, 0, sizeof(*e));
	e->cmd = g->cmd;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		switch (mnl_attr_get_type(a)) {
		case PROTSHM_A_SEG_ID: e->seg_id = mnl_attr_get_u64(a); break;
		case PROTSHM_A_SEG_NAME:
			nl_strcpy(e->seg_name, sizeof(e->seg_name), a);
			break;
		case PROTSHM_A_ATT_ID: e->att_id = mnl_attr_get_u64(a); break;
		case PROTSHM_A_ATT_PARENT_ID:
			e->parent_id = mnl_attr_get_u64(a);
			break;
		case PROTSHM_A_PID:
			e->pid = mnl_attr_get_u32(a);
			e->has_pid = 1;
			break;
		case PROTSHM_A_BY_PID: e->by_pid = mnl_attr_get_u32(a); break;
		case PROTSHM_A_PARENT_PID:
			e->parent_pid = mnl_attr_get_u32(a);
			break;
		case PROTSHM_A_CEILING: e->ceiling = mnl_attr_get_u32(a); break;
		case PROTSHM_A_OLD_CEILING:
			e->old_ceiling = mnl_attr_get_u32(a);
			break;
		case PROTSHM_A_COMM: nl_strcpy(e->comm, sizeof(e->comm), a); break;
		case PROTSHM_A_LEASE_HOLDER:
			e->lease_holder = mnl_attr_get_u32(a);
			break;
		case PROTSHM_A_OLD_LEASE_HOLDER:
			e->old_lease_holder = mnl_attr_get_u32(a);
			break;
		}
	}
}

/*
 * Receive events about segment @name into @ev (at most @max) until @max
 * arrived or nothing came for @timeout_ms.  Returns the number received.
 */
static inline int ev_collect(struct nlc *c, const char *name,
			     struct ev_rec *ev, int max, int timeout_ms)
{
	static char buf[8192];
	struct pollfd pfd = { .fd = mnl_socket_get_fd(c->sock),
			      .events = POLLIN };
	const struct nlmsghdr *nlh;
	int n = 0, len;

	while (n < max && poll(&pfd, 1, timeout_ms) == 1) {
		len = mnl_socket_recvfrom(c->sock, buf, sizeof(buf));
		if (len < 0)
			break;
		nlh = (const struct nlmsghdr *)buf;
		for (; mnl_nlmsg_ok(nlh, len) && n < max;
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != c->family)
				continue;
			ev_parse(nlh, &ev[n]);
			if (!strcmp(ev[n].seg_name, name))
				n++;
		}
	}
	return n;
}

#endif /* PROTSHM_SELFTEST_NL_HELPERS_H */
