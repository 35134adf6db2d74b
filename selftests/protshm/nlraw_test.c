// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed requests to the "protshm" generic netlink family, sent through
 * a raw NETLINK_GENERIC socket (no libmnl, so that any byte can be wrong):
 * truncated and inconsistent headers, odd flags and versions, unknown
 * commands, attributes of the wrong type, length, range or nesting,
 * requests an unprivileged user may not make, and dumps that are
 * interrupted, resumed through small buffers, flagged NLM_F_DUMP_INTR, or
 * 10 000 objects long.
 *
 * Each case of the table is sent twice: well-formed (the control, which
 * must succeed) and malformed, which must be answered exactly as the 6.1
 * generic netlink core or the module answers it: the errno, and the set of
 * extended-ack TLVs (NETLINK_EXT_ACK and NETLINK_CAP_ACK are on), with
 * NLMSGERR_ATTR_OFFS pointing at the offending attribute.  What the core
 * answers (on 6.1):
 *   - a message shorter than struct nlmsghdr, or whose nlmsg_len is
 *     smaller than that header or larger than what was sent: nothing at all
 *     (netlink_rcv_skb() drops the rest of the buffer);
 *   - nlmsg_len shorter than the genlmsghdr: EINVAL; unknown family:
 *     ENOENT; unknown command: EOPNOTSUPP; RESTRICT without CAP_NET_ADMIN:
 *     EPERM; all without any TLV;
 *   - genlmsghdr.reserved or an nlmsg_flags bit other than REQUEST, ACK,
 *     ECHO and the two DUMP bits: EINVAL with a message;
 *   - no NLM_F_REQUEST: not processed, an ack of 0 if NLM_F_ACK;
 *   - genlmsghdr.version is not checked (by the core nor by the module);
 *   - policy violations: EINVAL or ERANGE with a message and OFFS, and a
 *     POLICY nest for those the policy entry describes.
 * Where the module itself refuses, it sets a message, plus OFFS or
 * MISS_TYPE where an attribute is wrong or missing.
 */
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "common.h"
#include "ioctl_helpers.h"
#include "kselftest_harness.h"

#define REQ_MAX		1024
#define RX_MAX		(1 << 16)
#define NOBODY		65534

/* Expected outcome that is no reply at all. */
#define SILENT		1

/* Extended-ack TLVs, as a bit mask of 1 << NLMSGERR_ATTR_*. */
#define T_MSG		(1u << NLMSGERR_ATTR_MSG)
#define T_OFFS		(1u << NLMSGERR_ATTR_OFFS)
#define T_POL		(1u << NLMSGERR_ATTR_POLICY)
#define T_MISS		(1u << NLMSGERR_ATTR_MISS_TYPE)
/*
 * Not a TLV: the module refuses in a dump's ->start, which on kernels that
 * give ->start no extended ack (6.1) it defers to the dump's first part:
 * then the answer is NLMSG_DONE with the errno and only the message.
 */
#define T_DEFER		(1u << 31)

/* A raw generic netlink socket with the protshm family resolved. */
struct nlraw {
	int fd;
	uint32_t portid;
	uint16_t family;
	uint32_t seq;
};

/* A request being built; @len bytes are sent, whatever nlmsg_len says. */
struct nlreq {
	union {
		struct nlmsghdr nlh;
		char buf[REQ_MAX];
	};
	size_t len;
	int bad_off;		/* offset of the attribute at fault, or -1 */
};

/* What came back for one request. */
struct nlans {
	int got;		/* an NLMSG_ERROR or NLMSG_DONE arrived */
	int done;		/* it was NLMSG_DONE */
	int err;
	int ndata;		/* data messages */
	int intr;		/* one of them carried NLM_F_DUMP_INTR */
	unsigned int tlvs;	/* T_* present */
	char msg[128];
	uint32_t offs, miss_type;
};

/* Each attribute of the @len bytes at @head that lies within them. */
#define for_each_nla(t, head, len, rem)					\
	for (t = (const void *)(head), rem = (len);			\
	     rem >= NLA_HDRLEN && t->nla_len >= NLA_HDRLEN &&		\
	     t->nla_len <= rem;						\
	     rem -= NLA_ALIGN(t->nla_len),				\
	     t = (const void *)((const char *)t + NLA_ALIGN(t->nla_len)))

/* The attributes of a generic netlink message. */
#define for_each_genl_attr(t, nlh, rem)					\
	for_each_nla(t, (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN,	\
		     (int)(nlh)->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), rem)

static const void *nla_payload(const struct nlattr *t)
{
	return (const char *)t + NLA_HDRLEN;
}

/* Called on every data message of a reply. */
typedef void (*nl_data_cb)(const struct nlmsghdr *nlh, void *arg);

static struct nlattr *req_put(struct nlreq *r, uint16_t type, size_t len,
			      const void *data)
{
	struct nlattr *a = (void *)(r->buf + NLMSG_ALIGN(r->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nlh.nlmsg_len = NLMSG_ALIGN(r->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
	r->len = r->nlh.nlmsg_len;
	return a;
}

static void req_u32(struct nlreq *r, uint16_t type, uint32_t v)
{
	req_put(r, type, sizeof(v), &v);
}

static void req_str(struct nlreq *r, uint16_t type, const char *s)
{
	req_put(r, type, strlen(s) + 1, s);
}

/* Mark the attribute just put as the one the kernel must point at. */
static void req_bad(struct nlreq *r, const struct nlattr *a)
{
	r->bad_off = (const char *)a - r->buf;
}

static void req_init(struct nlraw *c, struct nlreq *r, uint16_t type,
		     uint16_t flags, uint8_t cmd)
{
	struct genlmsghdr *g = NLMSG_DATA(&r->nlh);

	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->nlh.nlmsg_seq = ++c->seq;
	g->cmd = cmd;
	g->version = PROTSHM_GENL_VERSION;
	r->len = r->nlh.nlmsg_len;
	r->bad_off = -1;
}

static struct genlmsghdr *req_genl(struct nlreq *r)
{
	return NLMSG_DATA(&r->nlh);
}

static int req_send(struct nlraw *c, const struct nlreq *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (sendto(c->fd, r->buf, r->len, 0, (void *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

static void parse_tlvs(struct nlans *a, const struct nlmsghdr *nlh,
		       size_t off)
{
	const struct nlattr *t;
	int rem;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	for_each_nla(t, (const char *)nlh + off, (int)nlh->nlmsg_len - (int)off,
		     rem) {
		const void *d = nla_payload(t);
		int type = t->nla_type & NLA_TYPE_MASK;

		if (type < 32)
			a->tlvs |= 1u << type;
		if (type == NLMSGERR_ATTR_MSG)
			snprintf(a->msg, sizeof(a->msg), "%.*s",
				 t->nla_len - NLA_HDRLEN, (const char *)d);
		else if (type == NLMSGERR_ATTR_OFFS)
			memcpy(&a->offs, d, sizeof(a->offs));
		else if (type == NLMSGERR_ATTR_MISS_TYPE)
			memcpy(&a->miss_type, d, sizeof(a->miss_type));
	}
}

/* One reply being received: its sequence number and what came. */
struct nlwait {
	uint32_t seq;
	struct nlans a;
	nl_data_cb cb;
	void *arg;
	size_t bufsz;		/* bytes taken per receive, 0 for RX_MAX */
	int peek;		/* size each receive with MSG_PEEK|MSG_TRUNC */
	int truncated;		/* a receive reported MSG_TRUNC */
};

/* One message: to the reply it belongs to (if any); 1 if it ended it. */
static int take_msg(struct nlraw *c, const struct nlmsghdr *nlh,
		    struct nlwait *w)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	struct nlans *a = &w->a;
	size_t off;

	if (nlh->nlmsg_seq != w->seq || nlh->nlmsg_pid != c->portid)
		return 0;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		a->intr = 1;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		off = NLMSG_HDRLEN + sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		off = NLMSG_HDRLEN + sizeof(int);
		a->done = 1;
	} else {
		a->ndata++;
		if (w->cb)
			w->cb(nlh, w->arg);
		return 0;
	}
	a->got = 1;
	a->err = *(const int *)NLMSG_DATA(nlh);
	parse_tlvs(a, nlh, off);
	return 1;
}

/* One receive, sized by @w; the length, or -errno. */
static int nl_recv(struct nlraw *c, char *buf, struct nlwait *w)
{
	size_t len = w->bufsz ?: RX_MAX;
	struct iovec iov = { .iov_base = buf };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int n;

	if (w->peek) {
		n = recv(c->fd, buf, 16, MSG_PEEK | MSG_TRUNC);
		if (n < 0)
			return -errno;
		len = n;
	}
	iov.iov_len = len;
	n = recvmsg(c->fd, &msg, 0);
	if (n < 0)
		return -errno;
	w->truncated |= !!(msg.msg_flags & MSG_TRUNC);
	return n;
}

/*
 * Receive the replies @w[0..n-1] until each has ended (NLMSG_ERROR or
 * NLMSG_DONE), or until nothing came for @timeout_ms (a.got stays 0).
 * The first one sizes the receives.  Return: 0, or -errno of recv.
 */
static int nl_wait_many(struct nlraw *c, struct nlwait *w, int n,
			int timeout_ms)
{
	static char buf[RX_MAX];
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	const struct nlmsghdr *nlh;
	int len, i, left = n;

	for (i = 0; i < n; i++)
		memset(&w[i].a, 0, sizeof(w[i].a));
	while (left && poll(&pfd, 1, timeout_ms) == 1) {
		len = nl_recv(c, buf, w);
		if (len < 0)
			return len;
		for (nlh = (void *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len))
			for (i = 0; i < n; i++)
				if (!w[i].a.got)
					left -= take_msg(c, nlh, &w[i]);
	}
	return 0;
}

static int nl_wait(struct nlraw *c, uint32_t seq, struct nlans *a,
		   nl_data_cb cb, void *arg)
{
	struct nlwait w = { .seq = seq, .cb = cb, .arg = arg };
	int ret = nl_wait_many(c, &w, 1, 10000);

	*a = w.a;
	return ret;
}

/* Send @r and receive its reply into @a; 0 or -errno of the socket. */
static int nl_talk(struct nlraw *c, const struct nlreq *r, struct nlans *a,
		   nl_data_cb cb, void *arg)
{
	int ret = req_send(c, r);

	return ret ?: nl_wait(c, r->nlh.nlmsg_seq, a, cb, arg);
}

static void family_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *t;
	int rem;

	for_each_genl_attr(t, nlh, rem)
		if (t->nla_type == CTRL_ATTR_FAMILY_ID)
			memcpy(arg, nla_payload(t), sizeof(uint16_t));
}

static void nlraw_close(struct nlraw *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Open and bind a socket with extended, capped acks; resolve the family. */
static int nlraw_open(struct nlraw *c)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t salen = sizeof(sa);
	struct nlreq r;
	struct nlans a;
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->seq = time(NULL);
	c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (c->fd < 0 || bind(c->fd, (void *)&sa, sizeof(sa)) ||
	    getsockname(c->fd, (void *)&sa, &salen) ||
	    setsockopt(c->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(c->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)))
		return -errno;
	c->portid = sa.nl_pid;
	req_init(c, &r, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
	req_str(&r, CTRL_ATTR_FAMILY_NAME, PROTSHM_GENL_NAME);
	if (nl_talk(c, &r, &a, family_cb, &c->family) || !a.got)
		return -EIO;
	return a.err;
}

/* ---- the table of malformed requests ----------------------------------- */

/* What the builders need. */
struct mctx {
	struct nlraw *c;
	const char *name;	/* the fixture's segment */
	uint64_t seg_id;
	uint32_t pid;		/* getpid(), attached to the segment */
	int pidfd;		/* of getpid() */
};

struct mcase;
typedef void (*mbuild)(struct mctx *x, struct nlreq *r,
		       const struct mcase *m, int bad);

/*
 * @build makes the request, malformed if @bad; @err is the errno it must
 * fail with (negative), 0 if it is accepted, SILENT if nothing answers;
 * @tlvs the exact set of extended-ack TLVs; @msg a substring of the
 * message; @ndata the data messages of an accepted malformed request, or
 * the attribute NLMSGERR_ATTR_MISS_TYPE names.  @a, @b parametrize the
 * builder.
 */
struct mcase {
	const char *what;
	mbuild build;
	long a, b;
	int err;
	unsigned int tlvs;
	const char *msg;
	int ndata;
};

/* SEG_GET do by name; the base of many cases. */
static void seg_get_req(struct mctx *x, struct nlreq *r, uint16_t flags)
{
	req_init(x->c, r, x->c->family, flags, PROTSHM_CMD_SEG_GET);
	req_str(r, PROTSHM_A_SEG_NAME, x->name);
}

/* RESTRICT of the caller itself to RW (a no-op) by PID or PIDFD. */
static void restrict_req(struct mctx *x, struct nlreq *r, int by_pidfd)
{
	req_init(x->c, r, x->c->family, 0, PROTSHM_CMD_RESTRICT);
	req_str(r, PROTSHM_A_SEG_NAME, x->name);
	if (by_pidfd)
		req_u32(r, PROTSHM_A_PIDFD, x->pidfd);
	else
		req_u32(r, PROTSHM_A_PID, x->pid);
	req_u32(r, PROTSHM_A_PROT, PROTSHM_PROT_RW);
}

/* nlmsg_len: sent length + @a, or -@a if negative; @b bytes sent if not 0. */
static void b_nlmsg_len(struct mctx *x, struct nlreq *r,
			const struct mcase *m, int bad)
{
	seg_get_req(x, r, 0);
	if (!bad)
		return;
	if (m->a < 0)
		r->nlh.nlmsg_len = -m->a;
	else
		r->nlh.nlmsg_len += m->a;
	if (m->b)
		r->len = m->b;
}

/* The attributes cut off by nlmsg_len, and sent after it: @a bytes kept. */
static void b_cut_attrs(struct mctx *x, struct nlreq *r,
			const struct mcase *m, int bad)
{
	seg_get_req(x, r, 0);
	if (bad)
		r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + m->a;
}

static void b_family(struct mctx *x, struct nlreq *r, const struct mcase *m,
		     int bad)
{
	seg_get_req(x, r, 0);
	if (bad)
		r->nlh.nlmsg_type = m->a;
}

static void b_cmd(struct mctx *x, struct nlreq *r, const struct mcase *m,
		  int bad)
{
	seg_get_req(x, r, 0);
	if (bad)
		req_genl(r)->cmd = m->a;
}

static void b_version(struct mctx *x, struct nlreq *r, const struct mcase *m,
		      int bad)
{
	seg_get_req(x, r, 0);
	if (bad)
		req_genl(r)->version = m->a;
}

static void b_reserved(struct mctx *x, struct nlreq *r, const struct mcase *m,
		       int bad)
{
	seg_get_req(x, r, 0);
	if (bad)
		req_genl(r)->reserved = m->a;
}

/* nlmsg_flags: @a set, @b cleared; the control has NLM_F_ECHO. */
static void b_flags(struct mctx *x, struct nlreq *r, const struct mcase *m,
		    int bad)
{
	seg_get_req(x, r, NLM_F_ECHO);
	if (bad) {
		r->nlh.nlmsg_flags |= m->a;
		r->nlh.nlmsg_flags &= ~m->b;
	}
}

/* PROTSHM_A_SEG_ID of @a bytes (8 in the control). */
static void b_seg_id_len(struct mctx *x, struct nlreq *r,
			 const struct mcase *m, int bad)
{
	uint64_t id[2] = { x->seg_id, 0 };

	req_init(x->c, r, x->c->family, 0, PROTSHM_CMD_SEG_GET);
	req_bad(r, req_put(r, PROTSHM_A_SEG_ID, bad ? m->a : 8, id));
}

/* ATTACH_GET with a PROTSHM_A_PID of @a bytes (4 in the control). */
static void b_pid_len(struct mctx *x, struct nlreq *r, const struct mcase *m,
		      int bad)
{
	uint32_t pid[2] = { x->pid, 0 };

	req_init(x->c, r, x->c->family, 0, PROTSHM_CMD_ATTACH_GET);
	req_str(r, PROTSHM_A_SEG_NAME, x->name);
	req_bad(r, req_put(r, PROTSHM_A_PID, bad ? m->a : 4, pid));
}

/* RESTRICT with u32 attribute @a of @b bytes (4 in the control). */
static void b_u32_len(struct mctx *x, struct nlreq *r, const struct mcase *m,
		      int bad)
{
	uint32_t v[2] = { 0, 0 };

	restrict_req(x, r, 0);
	if (m->a == PROTSHM_A_PROT)
		v[0] = PROTSHM_PROT_RW;
	if (m->a != PROTSHM_A_PROT || bad) /* else a duplicate, the same */
		req_bad(r, req_put(r, m->a, bad ? m->b : 4, v));
}

/* RESTRICT with u32 attribute @a of value @b (a valid one in the control). */
static void b_u32_val(struct mctx *x, struct nlreq *r, const struct mcase *m,
		      int bad)
{
	req_init(x->c, r, x->c->family, 0, PROTSHM_CMD_RESTRICT);
	req_str(r, PROTSHM_A_SEG_NAME, x->name);
	if (m->a != PROTSHM_A_PID && m->a != PROTSHM_A_PIDFD)
		req_u32(r, PROTSHM_A_PID, x->pid);
	if (m->a != PROTSHM_A_PROT)
		req_u32(r, PROTSHM_A_PROT, PROTSHM_PROT_RW);
	if (!bad) {
		req_u32(r, m->a, m->a == PROTSHM_A_PROT ? PROTSHM_PROT_RW :
			m->a == PROTSHM_A_PIDFD ? (uint32_t)x->pidfd :
			m->a == PROTSHM_A_PID ? x->pid : 0);
		return;
	}
	req_bad(r, req_put(r, m->a, 4, &(uint32_t){ m->b }));
}

/* SEG_GET by name plus an attribute of type @a (flags included), @b bytes. */
static void b_extra(struct mctx *x, struct nlreq *r, const struct mcase *m,
		    int bad)
{
	static const char junk[64] = "\x08\x00\x02\x00garbage-garbage-garbage";

	seg_get_req(x, r, 0);
	if (bad)
		req_bad(r, req_put(r, m->a, m->b, junk));
}

/*
 * PROTSHM_A_SEG_NAME variants: @a characters ('x'), then nothing (@b 0), a
 * NUL (@b 1), or a NUL and junk up to 100 bytes (@b 2).
 */
static void b_name(struct mctx *x, struct nlreq *r, const struct mcase *m,
		   int bad)
{
	char s[128];
	size_t len = m->a + (m->b == 2 ? 100 - m->a : m->b);

	req_init(x->c, r, x->c->family, 0, PROTSHM_CMD_SEG_GET);
	if (!bad) {
		req_str(r, PROTSHM_A_SEG_NAME, x->name);
		return;
	}
	memset(s, 'x', sizeof(s));
	if (m->b)
		s[m->a] = 0;
	req_bad(r, req_put(r, PROTSHM_A_SEG_NAME, len, s));
}

/* @a junk bytes after the attributes, counted in nlmsg_len; @b: nla_len. */
static void b_trailing(struct mctx *x, struct nlreq *r, const struct mcase *m,
		       int bad)
{
	struct nlattr *a;

	seg_get_req(x, r, 0);
	if (!bad)
		return;
	a = (void *)(r->buf + r->nlh.nlmsg_len);
	memset(a, 0x41, m->a);
	if (m->b && m->a >= 4) {
		a->nla_len = m->b;
		a->nla_type = PROTSHM_A_PID;
	}
	r->nlh.nlmsg_len += m->a;
	r->len = r->nlh.nlmsg_len;
}

/* Without required attribute(s): @a the command. */
static void b_missing(struct mctx *x, struct nlreq *r, const struct mcase *m,
		      int bad)
{
	req_init(x->c, r, x->c->family, 0, m->a);
	if (m->a != PROTSHM_CMD_SEG_GET || !bad)
		req_str(r, PROTSHM_A_SEG_NAME, x->name);
	if (m->a == PROTSHM_CMD_SEG_GET)
		return;
	if (m->a == PROTSHM_CMD_ATTACH_GET) {
		if (!bad)
			req_u32(r, PROTSHM_A_PID, x->pid);
		return;
	}
	if (m->b != PROTSHM_A_PID || !bad)
		req_u32(r, PROTSHM_A_PID, x->pid);
	if (m->b != PROTSHM_A_PROT || !bad)
		req_u32(r, PROTSHM_A_PROT, PROTSHM_PROT_RW);
}

/* RESTRICT by pidfd, plus PID as well. */
static void b_pid_and_pidfd(struct mctx *x, struct nlreq *r,
			    const struct mcase *m, int bad)
{
	restrict_req(x, r, 1);
	if (bad)
		req_u32(r, PROTSHM_A_PID, x->pid);
}

/* SEG_GET by id and a name that is not the segment's. */
static void b_id_name(struct mctx *x, struct nlreq *r, const struct mcase *m,
		      int bad)
{
	req_init(x->c, r, x->c->family, 0, PROTSHM_CMD_SEG_GET);
	req_bad(r, req_put(r, PROTSHM_A_SEG_ID, 8, &x->seg_id));
	req_str(r, PROTSHM_A_SEG_NAME, bad ? "t-nlraw-none" : x->name);
}

/* ATTACH_GET do of a process (@a) that is not attached. */
static void b_not_attached(struct mctx *x, struct nlreq *r,
			   const struct mcase *m, int bad)
{
	req_init(x->c, r, x->c->family, 0, PROTSHM_CMD_ATTACH_GET);
	req_str(r, PROTSHM_A_SEG_NAME, x->name);
	req_bad(r, req_put(r, PROTSHM_A_PID, 4, &(uint32_t){
		bad ? (uint32_t)m->a : x->pid }));
}

/* RESTRICT of pid @a, which names no process. */
static void b_no_process(struct mctx *x, struct nlreq *r,
			 const struct mcase *m, int bad)
{
	req_init(x->c, r, x->c->family, 0, PROTSHM_CMD_RESTRICT);
	req_str(r, PROTSHM_A_SEG_NAME, x->name);
	req_bad(r, req_put(r, PROTSHM_A_PID, 4, &(uint32_t){
		bad ? (uint32_t)m->a : x->pid }));
	req_u32(r, PROTSHM_A_PROT, PROTSHM_PROT_RW);
}

/* A dump (command @a) with a filter attribute @b: wrong (2-byte PID). */
static void b_dump(struct mctx *x, struct nlreq *r, const struct mcase *m,
		   int bad)
{
	req_init(x->c, r, x->c->family, NLM_F_DUMP, m->a);
	if (!bad)
		return;
	if (m->b == PROTSHM_A_SEG_NAME)
		req_bad(r, req_put(r, m->b, 13, "t-nlraw-none"));
	else
		req_bad(r, req_put(r, m->b, 2, &x->pid));
}

#define C_POL		(T_MSG | T_OFFS | T_POL)
#define C_ATTR		(T_MSG | T_OFFS)
#define PS_A(x)		PROTSHM_A_##x
#define LEN_MSG		"invalid attribute length"
#define POL_MSG		"Attribute failed policy validation"

static const struct mcase mcases[] = {
	/* headers */
	{ "nlmsghdr cut to 8 bytes", b_nlmsg_len, 0, 8, SILENT, 0, NULL, 0 },
	{ "nlmsghdr cut to 15 bytes", b_nlmsg_len, 0, 15, SILENT, 0, NULL, 0 },
	{ "nlmsg_len 4 over what was sent", b_nlmsg_len, 4, 0, SILENT, 0, NULL, 0 },
	{ "nlmsg_len 4096 over what was sent", b_nlmsg_len, 4096, 0, SILENT, 0, NULL, 0 },
	{ "nlmsg_len 8, below NLMSG_HDRLEN", b_nlmsg_len, -8, 0, SILENT, 0, NULL, 0 },
	{ "nlmsg_len 1", b_nlmsg_len, -1, 0, SILENT, 0, NULL, 0 },
	{ "genlmsghdr cut to 0 bytes", b_cut_attrs, -GENL_HDRLEN, 0, -EINVAL, 0, NULL, 0 },
	{ "genlmsghdr cut to 2 bytes", b_cut_attrs, 2 - GENL_HDRLEN, 0,
	  -EINVAL, 0, NULL, 0 },
	{ "nlmsg_len cuts the attributes off", b_cut_attrs, 0, 0, -EINVAL,
	  T_MSG | T_MISS, "Segment id or name required", PS_A(SEG_NAME) },
	{ "nlmsg_len cuts an attribute header", b_cut_attrs, 2, 0, -EINVAL,
	  T_MSG, "bytes leftover", 0 },
	{ "nlmsg_len cuts an attribute's data", b_cut_attrs, 8, 0, -EINVAL,
	  T_MSG, "bytes leftover", 0 },
	{ "unknown family id", b_family, 0x7ff0, 0, -ENOENT, 0, NULL, 0 },
	{ "command 0 (UNSPEC)", b_cmd, PROTSHM_CMD_UNSPEC, 0, -EOPNOTSUPP, 0, NULL, 0 },
	{ "command MAX + 1", b_cmd, PROTSHM_CMD_MAX + 1, 0, -EOPNOTSUPP, 0, NULL, 0 },
	{ "command 255", b_cmd, 255, 0, -EOPNOTSUPP, 0, NULL, 0 },
	{ "event command as a request", b_cmd, PROTSHM_CMD_RESTRICT_NTF, 0,
	  -EOPNOTSUPP, 0, NULL, 0 },
	{ "genlmsghdr.reserved 1", b_reserved, 1, 0, -EINVAL, T_MSG,
	  "reserved field", 0 },
	{ "genlmsghdr.reserved 0xffff", b_reserved, 0xffff, 0, -EINVAL, T_MSG,
	  "reserved field", 0 },
	{ "genl version 0 (not checked)", b_version, 0, 0, 0, 0, NULL, 1 },
	{ "genl version 2 (not checked)", b_version, 2, 0, 0, 0, NULL, 1 },
	{ "genl version 255 (not checked)", b_version, 255, 0, 0, 0, NULL, 1 },
	{ "NLM_F_MULTI", b_flags, NLM_F_MULTI, 0, -EINVAL, T_MSG, "nlmsg_flags", 0 },
	{ "NLM_F_DUMP_INTR", b_flags, NLM_F_DUMP_INTR, 0, -EINVAL, T_MSG,
	  "nlmsg_flags", 0 },
	{ "NLM_F_DUMP_FILTERED", b_flags, NLM_F_DUMP_FILTERED, 0, -EINVAL, T_MSG,
	  "nlmsg_flags", 0 },
	{ "NLM_F_ROOT alone", b_flags, NLM_F_ROOT, 0, -EINVAL, T_MSG,
	  "nlmsg_flags", 0 },
	{ "NLM_F_MATCH alone", b_flags, NLM_F_MATCH, 0, -EINVAL, T_MSG,
	  "nlmsg_flags", 0 },
	{ "NLM_F_ATOMIC", b_flags, NLM_F_ATOMIC, 0, -EINVAL, T_MSG,
	  "nlmsg_flags", 0 },
	{ "NLM_F_APPEND", b_flags, NLM_F_APPEND, 0, -EINVAL, T_MSG,
	  "nlmsg_flags", 0 },
	{ "flag 0x8000", b_flags, 0x8000, 0, -EINVAL, T_MSG, "nlmsg_flags", 0 },
	{ "no NLM_F_REQUEST: acked, not run", b_flags, 0, NLM_F_REQUEST, 0, 0, NULL, 0 },
	/* attribute lengths */
	{ "SEG_ID (u64) of 0 bytes", b_seg_id_len, 0, 0, -EINVAL, C_POL, LEN_MSG, 0 },
	{ "SEG_ID (u64) of 4 bytes", b_seg_id_len, 4, 0, -EINVAL, C_POL, LEN_MSG, 0 },
	{ "SEG_ID (u64) of 12 bytes", b_seg_id_len, 12, 0, -EINVAL, C_POL,
	  LEN_MSG, 0 },
	{ "PID (u32) of 0 bytes", b_pid_len, 0, 0, -EINVAL, C_POL, LEN_MSG, 0 },
	{ "PID (u32) of 2 bytes", b_pid_len, 2, 0, -EINVAL, C_POL, LEN_MSG, 0 },
	{ "PID (u32) of 8 bytes", b_pid_len, 8, 0, -EINVAL, C_POL, LEN_MSG, 0 },
	{ "PROT (u32) of 2 bytes", b_u32_len, PS_A(PROT), 2, -EINVAL, C_POL,
	  LEN_MSG, 0 },
	{ "PROT (u32) of 8 bytes", b_u32_len, PS_A(PROT), 8, -EINVAL, C_POL,
	  LEN_MSG, 0 },
	{ "RESTRICT_FLAGS (u32) of 0 bytes", b_u32_len, PS_A(RESTRICT_FLAGS), 0,
	  -EINVAL, C_POL, LEN_MSG, 0 },
	{ "RESTRICT_FLAGS (u32) of 8 bytes", b_u32_len, PS_A(RESTRICT_FLAGS), 8,
	  -EINVAL, C_POL, LEN_MSG, 0 },
	/* strings */
	{ "SEG_NAME without NUL", b_name, 20, 0, -EINVAL, C_POL, POL_MSG, 0 },
	{ "SEG_NAME of 64 bytes and NUL", b_name, 64, 1, -EINVAL, C_POL,
	  POL_MSG, 0 },
	{ "SEG_NAME of 0 bytes", b_name, 0, 0, -EINVAL, C_POL, POL_MSG, 0 },
	{ "SEG_NAME, NUL, junk to 100 bytes", b_name, 10, 2, -ERANGE, C_POL,
	  POL_MSG, 0 },
	{ "SEG_NAME of 63 bytes (no such)", b_name, 63, 1, -ENOENT, C_ATTR,
	  "No such segment", 0 },
	{ "SEG_NAME empty (no such)", b_name, 0, 1, -ENOENT, C_ATTR,
	  "No such segment", 0 },
	/* types, nesting, layout */
	{ "attribute type MAX + 1", b_extra, PROTSHM_A_MAX + 1, 4, -EINVAL,
	  C_ATTR, "Unknown attribute type", 0 },
	{ "attribute type 0x3fff", b_extra, 0x3fff, 4, -EINVAL, C_ATTR,
	  "Unknown attribute type", 0 },
	{ "attribute type 0 (UNSPEC)", b_extra, 0, 4, -EINVAL, C_ATTR,
	  "Unknown attribute type", 0 },
	{ "zero-length attribute of type 0", b_extra, 0, 0, -EINVAL, C_ATTR,
	  "Unknown attribute type", 0 },
	{ "reply-only SEG_SIZE", b_extra, PS_A(SEG_SIZE), 8, -EINVAL, C_ATTR,
	  "Unsupported attribute", 0 },
	{ "reply-only zero-length SEG_UNLINKED", b_extra, PS_A(SEG_UNLINKED), 0,
	  -EINVAL, C_ATTR, "Unsupported attribute", 0 },
	{ "reply-only COMM", b_extra, PS_A(COMM), 16, -EINVAL, C_ATTR,
	  "Unsupported attribute", 0 },
	{ "nest VMA of garbage", b_extra, PS_A(VMA) | NLA_F_NESTED, 27, -EINVAL,
	  C_ATTR, "Unsupported attribute", 0 },
	{ "PID flagged NLA_F_NESTED", b_extra, PS_A(PID) | NLA_F_NESTED, 4,
	  -EINVAL, C_POL, "NLA_F_NESTED not expected", 0 },
	{ "SEG_NAME flagged NLA_F_NESTED", b_extra,
	  PS_A(SEG_NAME) | NLA_F_NESTED, 12, -EINVAL, C_POL,
	  "NLA_F_NESTED not expected", 0 },
	{ "3 bytes after the attributes", b_trailing, 3, 0, -EINVAL, T_MSG,
	  "bytes leftover", 0 },
	{ "attribute longer than the message", b_trailing, 8, 200, -EINVAL,
	  T_MSG, "bytes leftover", 0 },
	{ "attribute with nla_len 2", b_trailing, 8, 2, -EINVAL, T_MSG,
	  "bytes leftover", 0 },
	/* values */
	{ "PID 0", b_u32_val, PS_A(PID), 0, -ERANGE, C_POL, "out of range", 0 },
	{ "PID 2^31", b_u32_val, PS_A(PID), 0x80000000, -ERANGE, C_POL,
	  "out of range", 0 },
	{ "PIDFD 2^31", b_u32_val, PS_A(PIDFD), 0x80000000, -ERANGE, C_POL,
	  "out of range", 0 },
	{ "PROT 4", b_u32_val, PS_A(PROT), 4, -ERANGE, C_POL, "out of range", 0 },
	{ "PROT WRITE alone", b_u32_val, PS_A(PROT), PROTSHM_PROT_WRITE, -EINVAL,
	  C_ATTR, "Protection must be", 0 },
	{ "RESTRICT_FLAGS 2", b_u32_val, PS_A(RESTRICT_FLAGS), 2, -EINVAL, C_ATTR,
	  "reserved bit set", 0 },
	{ "RESTRICT_FLAGS ~0", b_u32_val, PS_A(RESTRICT_FLAGS), 0xffffffff,
	  -EINVAL, C_ATTR, "reserved bit set", 0 },
	{ "PIDFD of a non-pidfd (fd 0)", b_u32_val, PS_A(PIDFD), 0, -EBADF,
	  C_ATTR, "Not a pidfd", 0 },
	{ "PIDFD of a closed fd", b_u32_val, PS_A(PIDFD), 1000000, -EBADF, C_ATTR,
	  "Not a pidfd", 0 },
	{ "PID of no process", b_no_process, 0x7fffffff, 0, -ESRCH, C_ATTR,
	  "No such process", 0 },
	/* what the module requires */
	{ "SEG_GET without SEG_ID or NAME", b_missing, PROTSHM_CMD_SEG_GET, 0,
	  -EINVAL, T_MSG | T_MISS, "Segment id or name required",
	  PS_A(SEG_NAME) },
	{ "ATTACH_GET without PID", b_missing, PROTSHM_CMD_ATTACH_GET, 0,
	  -EINVAL, T_MSG | T_MISS, "Process id required", PS_A(PID) },
	{ "RESTRICT without PROT", b_missing, PROTSHM_CMD_RESTRICT, PS_A(PROT),
	  -EINVAL, T_MSG | T_MISS, "Protection required", PS_A(PROT) },
	{ "RESTRICT without PID or PIDFD", b_missing, PROTSHM_CMD_RESTRICT,
	  PS_A(PID), -EINVAL, T_MSG, "pidfd required", 0 },
	{ "RESTRICT with PID and PIDFD", b_pid_and_pidfd, 0, 0, -EINVAL, T_MSG,
	  "pidfd required", 0 },
	{ "SEG_ID and another segment's name", b_id_name, 0, 0, -ENOENT, C_ATTR,
	  "No such segment", 0 },
	{ "ATTACH_GET of a process not attached", b_not_attached, 1, 0, -ESRCH,
	  C_ATTR, "not attached", 0 },
	/* dumps: validated at their start */
	{ "SEG_GET dump with a 2-byte PID", b_dump, PROTSHM_CMD_SEG_GET,
	  PS_A(PID), -EINVAL, C_POL, LEN_MSG, 0 },
	{ "ATTACH_GET dump with a 2-byte PID", b_dump, PROTSHM_CMD_ATTACH_GET,
	  PS_A(PID), -EINVAL, C_POL, LEN_MSG, 0 },
	{ "ATTACH_GET dump of no segment", b_dump, PROTSHM_CMD_ATTACH_GET,
	  PS_A(SEG_NAME), -ENOENT, C_ATTR | T_DEFER, "No such segment", 0 },
};

FIXTURE(nlraw) {
	struct nlraw c;
	char name[64];
	int fd;
	struct mctx x;
};

FIXTURE_SETUP(nlraw)
{
	struct protshm_info info;
	int ret;

	self->fd = -1;
	self->c.fd = -1;
	self->x.pidfd = -1;
	SKIP_WITHOUT_DEVICE();
	ret = nlraw_open(&self->c);
	if (ret == -ENOENT)
		SKIP(return, "no generic netlink family \"protshm\"");
	ASSERT_EQ(0, ret);
	ASSERT_NE(0, self->c.family);
	ps_name(self->name, sizeof(self->name), "nlraw");
	self->fd = ps_new(self->name, 4 * page_size());
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ps_info(self->fd, &info, NULL));
	self->x = (struct mctx) {
		.c = &self->c, .name = self->name, .seg_id = info.id,
		.pid = getpid(),
		.pidfd = syscall(SYS_pidfd_open, getpid(), 0),
	};
	ASSERT_LE(0, self->x.pidfd);
}

FIXTURE_TEARDOWN(nlraw)
{
	if (self->fd >= 0) {
		ps_unlink(self->fd);
		close(self->fd);
	}
	if (self->x.pidfd >= 0)
		close(self->x.pidfd);
	nlraw_close(&self->c);
}

/* Did @a answer as @m says?  Logs and returns 0 if not. */
static int answer_ok(struct __test_metadata *_metadata, const struct mcase *m,
		     const struct nlreq *r, const struct nlans *a)
{
	unsigned int tlvs = m->tlvs & ~T_DEFER;
	int ok;

	if (a->done && (m->tlvs & T_DEFER))
		tlvs &= T_MSG;
	if (m->err == SILENT)
		ok = !a->got;
	else
		ok = a->got && a->err == m->err && a->tlvs == tlvs &&
		     (!a->done || (m->tlvs & T_DEFER)) &&
		     (!m->msg || strstr(a->msg, m->msg)) &&
		     (!(tlvs & T_OFFS) || (int)a->offs == r->bad_off) &&
		     (!(m->tlvs & T_MISS) || (int)a->miss_type == m->ndata) &&
		     (m->err || a->ndata == m->ndata);
	if (!ok)
		TH_LOG("%s: got %d done %d err %d tlvs %#x msg \"%s\" offs %u (want %d) miss %u data %d",
		       m->what, a->got, a->done, a->err, a->tlvs, a->msg, a->offs,
		       r->bad_off, a->miss_type, a->ndata);
	return ok;
}

/*
 * Send @m's control, then @m, then the control again (which shows that
 * the socket still works).  The controls succeed with the same number of
 * data messages: one for a do of SEG_GET or ATTACH_GET, none for a
 * RESTRICT, at least one for a dump.
 */
static int run_case(struct __test_metadata *_metadata, struct mctx *x,
		    const struct mcase *m)
{
	int dump = m->build == b_dump, ctl_data = -1, ok = 1, i;
	struct nlwait w = {};
	struct nlreq r;

	for (i = 0; i < 3; i++) {
		m->build(x, &r, m, i == 1);
		w.seq = r.nlh.nlmsg_seq;
		/* a request is processed within sendmsg(): no need to wait */
		if (req_send(x->c, &r) ||
		    nl_wait_many(x->c, &w, 1,
				 i == 1 && m->err == SILENT ? 50 : 10000))
			return 0;
		if (i == 1) {
			ok = answer_ok(_metadata, m, &r, &w.a);
			continue;
		}
		if (ctl_data < 0)
			ctl_data = w.a.ndata;
		if (!w.a.got || w.a.err || w.a.tlvs || w.a.ndata != ctl_data ||
		    (dump ? w.a.ndata < 1 : w.a.ndata > 1)) {
			TH_LOG("%s: control %d: got %d err %d \"%s\" data %d",
			       m->what, i, w.a.got, w.a.err, w.a.msg, w.a.ndata);
			return 0;
		}
	}
	return ok;
}

/* Every case of the table, each between two controls. */
TEST_F(nlraw, malformed_table)
{
	unsigned int i, bad = 0, n = sizeof(mcases) / sizeof(mcases[0]);
	uint64_t t0 = now_ns();

	RETURN_IF_SKIPPED();
	for (i = 0; i < n; i++)
		bad += !run_case(_metadata, &self->x, &mcases[i]);
	TH_LOG("%u malformed cases (%u failed) in %llu ms", n, bad,
	       (unsigned long long)(now_ns() - t0) / 1000000);
	EXPECT_EQ(0, bad);
}

/*
 * Three requests in one datagram, the middle one malformed: three answers,
 * in order; the malformed one does not stop the rest.
 */
TEST_F(nlraw, batch_with_bad_middle)
{
	static const struct mcase bad = { .build = b_pid_len, .a = 2 };
	struct nlreq r[3];
	struct nlwait w[3] = {};
	char buf[3 * REQ_MAX];
	size_t len = 0;
	int i;

	RETURN_IF_SKIPPED();
	for (i = 0; i < 3; i++) {
		b_pid_len(&self->x, &r[i], &bad, i == 1);
		memcpy(buf + len, r[i].buf, r[i].len);
		len += NLMSG_ALIGN(r[i].len);
		w[i].seq = r[i].nlh.nlmsg_seq;
	}
	ASSERT_EQ((ssize_t)len, send(self->c.fd, buf, len, 0));
	ASSERT_EQ(0, nl_wait_many(&self->c, w, 3, 10000));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, w[i].a.got);
		EXPECT_EQ(i == 1 ? -EINVAL : 0, w[i].a.err);
		EXPECT_EQ(i == 1 ? 0 : 1, w[i].a.ndata);
	}
	EXPECT_EQ(C_POL, w[1].a.tlvs);
	EXPECT_EQ(r[1].bad_off, (int)w[1].a.offs);
}

/* The outcome of @r sent on a new socket, by a child running as nobody. */
static int talk_as_nobody(struct mctx *x, const struct nlreq *r,
			  struct nlans *out)
{
	struct nlans *shared = mmap(NULL, sizeof(*out), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct nlraw c;
	pid_t pid;
	int ret;

	if (shared == MAP_FAILED)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct nlreq mine = *r;

		CHILD_ASSERT(!become_user(NOBODY, NOBODY));
		CHILD_ASSERT(!nlraw_open(&c));
		mine.nlh.nlmsg_seq = ++c.seq;
		CHILD_ASSERT(!nl_talk(&c, &mine, shared, NULL, NULL));
		_exit(0);
	}
	ret = pid > 0 ? wait_child(pid) : -1;
	*out = *shared;
	munmap(shared, sizeof(*out));
	return ret;
}

/*
 * Unprivileged: RESTRICT needs CAP_NET_ADMIN (the core refuses, EPERM with
 * no TLV); the segment of root, mode 0600, does not exist for nobody.  The
 * controls: the same requests from root succeed.
 */
TEST_F(nlraw, unprivileged)
{
	static const struct mcase m = {
		.build = b_u32_len, .a = PROTSHM_A_RESTRICT_FLAGS,
	};
	struct nlreq r;
	struct nlans a;

	RETURN_IF_SKIPPED();
	b_u32_len(&self->x, &r, &m, 0);
	ASSERT_EQ(0, nl_talk(&self->c, &r, &a, NULL, NULL));
	ASSERT_EQ(1, a.got);
	ASSERT_EQ(0, a.err);
	ASSERT_EQ(0, talk_as_nobody(&self->x, &r, &a));
	ASSERT_EQ(1, a.got);
	EXPECT_EQ(-EPERM, a.err);
	EXPECT_EQ(0, a.tlvs);

	seg_get_req(&self->x, &r, 0);
	ASSERT_EQ(0, nl_talk(&self->c, &r, &a, NULL, NULL));
	ASSERT_EQ(0, a.err);
	ASSERT_EQ(1, a.ndata);
	ASSERT_EQ(0, talk_as_nobody(&self->x, &r, &a));
	EXPECT_EQ(-ENOENT, a.err);
	EXPECT_EQ(0, a.ndata);
	EXPECT_EQ(C_ATTR, a.tlvs);
	EXPECT_STREQ("No such segment", a.msg);
}

/* ---- dumps ------------------------------------------------------------- */

/*
 * What a dump reported of the objects of one test: each object is known by
 * an index (the number in its segment's name, or its place in a table of
 * addresses); @seen counts its reports.
 */
struct tally {
	const char *prefix;	/* segment names of the test: prefix + index */
	unsigned int n;		/* objects */
	unsigned char *seen;	/* per object, saturating */
	unsigned int other;	/* reports of objects of no index */
	const uintptr_t *addrs;	/* mappings (sorted) for a VMA dump */
	uint64_t last_id;	/* segment dumps: ids must ascend */
	unsigned int unordered;
};

static void tally_index(struct tally *t, long i)
{
	if (i < 0 || (unsigned long)i >= t->n)
		t->other++;
	else if (t->seen[i] < 255)
		t->seen[i]++;
}

/* The index of the segment called @name, or -1. */
static long name_index(const struct tally *t, const char *name)
{
	size_t n = strlen(t->prefix);
	char *end;
	long i;

	if (strncmp(name, t->prefix, n))
		return -1;
	i = strtol(name + n, &end, 10);
	return *end ? -1 : i;
}

/* SEG_GET dump message, or ATTACH_GET message: count its segment. */
static void seg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tally *t = arg;
	const struct nlattr *a;
	uint64_t id = 0;
	long i = -1;
	int rem;

	for_each_genl_attr(a, nlh, rem) {
		if (a->nla_type == PROTSHM_A_SEG_NAME)
			i = name_index(t, nla_payload(a));
		else if (a->nla_type == PROTSHM_A_SEG_ID)
			memcpy(&id, nla_payload(a), sizeof(id));
	}
	if (i < 0)
		return;
	tally_index(t, i);
	t->unordered += id <= t->last_id;
	t->last_id = id;
}

static int addr_cmp(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* ATTACH_GET message: count each PROTSHM_A_VMA by its start address. */
static void vma_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct tally *t = arg;
	const struct nlattr *a, *v;
	int rem, vrem;

	for_each_genl_attr(a, nlh, rem) {
		if ((a->nla_type & NLA_TYPE_MASK) != PROTSHM_A_VMA)
			continue;
		for_each_nla(v, nla_payload(a), a->nla_len - NLA_HDRLEN, vrem) {
			uintptr_t start;
			const uintptr_t *hit;

			if (v->nla_type != PROTSHM_VMA_A_START)
				continue;
			memcpy(&start, nla_payload(v), sizeof(start));
			hit = bsearch(&start, t->addrs, t->n, sizeof(start),
				      addr_cmp);
			tally_index(t, hit ? hit - t->addrs : -1);
		}
	}
}

static void tally_reset(struct tally *t)
{
	memset(t->seen, 0, t->n);
	t->other = 0;
	t->last_id = 0;
	t->unordered = 0;
}

/* Objects reported other than exactly once (@skip: one may be missing). */
static unsigned int tally_wrong(const struct tally *t, long skip)
{
	unsigned int i, wrong = t->other + t->unordered;

	for (i = 0; i < t->n; i++)
		wrong += t->seen[i] != 1 && !(i == skip && !t->seen[i]);
	return wrong;
}

/* Start a dump of @cmd (on the segment @name if not NULL). */
static void dump_req(struct nlraw *c, struct nlreq *r, uint8_t cmd,
		     const char *name)
{
	req_init(c, r, c->family, NLM_F_DUMP, cmd);
	if (name)
		req_str(r, PROTSHM_A_SEG_NAME, name);
}

/*
 * Run a whole dump with receives as @w says (its seq is set here), until
 * it ends or nothing came for @timeout_ms.
 */
static int dump_wait(struct nlraw *c, uint8_t cmd, const char *name,
		     struct nlwait *w, int timeout_ms)
{
	struct nlreq r;

	dump_req(c, &r, cmd, name);
	w->seq = r.nlh.nlmsg_seq;
	tally_reset(w->arg);
	if (req_send(c, &r))
		return -1;
	return nl_wait_many(c, w, 1, timeout_ms);
}

static int dump_all(struct nlraw *c, uint8_t cmd, const char *name,
		    struct nlwait *w)
{
	return dump_wait(c, cmd, name, w, 10000);
}

/*
 * Receive exactly one part of the dump @w (one datagram), and return the
 * number of its data messages; -1 on error.
 */
static int dump_one_part(struct nlraw *c, struct nlwait *w)
{
	static char buf[RX_MAX];
	const struct nlmsghdr *nlh;
	int len = recv(c->fd, buf, sizeof(buf), 0);

	if (len < 0)
		return -1;
	for (nlh = (void *)buf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len))
		take_msg(c, nlh, w);
	return w->a.ndata;
}

/*
 * A child, as nobody, creates segments of one page (unlinked at once:
 * nothing of them outlives it) until the per-user limit refuses one;
 * it writes how many and the errno into @report, then waits until the
 * write end of the pipe @hold is closed.  Returns the child's pid.
 */
static pid_t fill_user_limit(const char *prefix, unsigned int max,
			     int report, const int hold[2])
{
	struct rlimit rl = { max + 64, max + 64 };
	unsigned int n[2] = { 0, 0 };
	char name[64];
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	close(hold[1]);
	CHILD_ASSERT(!setrlimit(RLIMIT_NOFILE, &rl));
	CHILD_ASSERT(!become_user(NOBODY, NOBODY));
	for (;; n[0]++) {
		snprintf(name, sizeof(name), "%s%u", prefix, n[0]);
		fd = ps_open();
		CHILD_ASSERT(fd >= 0);
		if (ps_create(fd, name, page_size(), 0600, PROTSHM_PROT_RW))
			break;
		CHILD_ASSERT(!ps_unlink(fd));
	}
	n[1] = errno;
	CHILD_ASSERT(write(report, n, sizeof(n)) == sizeof(n));
	(void)!read(hold[0], n, 1);
	_exit(0);
}

FIXTURE(dump) {
	struct nlraw c;
	pid_t kid;
	int hold[2];
	unsigned int nsegs;
	struct tally t;
	char prefix[32];
};

/*
 * As many segments as the per-user limit (max_user_segments) allows, all
 * of one unprivileged user (root is exempt: CAP_SYS_RESOURCE), each with
 * one attachment, its creator's.
 */
FIXTURE_SETUP(dump)
{
	unsigned long long max;
	unsigned int got[2];
	int report[2];

	self->kid = -1;
	self->c.fd = -1;
	self->hold[1] = -1;
	SKIP_WITHOUT_DEVICE();
	ASSERT_EQ(0, nlraw_open(&self->c));
	ASSERT_EQ(0, param_read("max_user_segments", &max));
	if (max > 20000)
		SKIP(return, "max_user_segments %llu: too many to fill", max);
	ASSERT_EQ(0, pipe(report));
	ASSERT_EQ(0, pipe(self->hold));
	snprintf(self->prefix, sizeof(self->prefix), "t-lim-%d-", getpid());
	self->kid = fill_user_limit(self->prefix, max, report[1], self->hold);
	ASSERT_LT(0, self->kid);
	close(report[1]);
	close(self->hold[0]);
	ASSERT_EQ(sizeof(got), read(report[0], got, sizeof(got)));
	close(report[0]);
	/* nobody owns no other segment: the limit is reached exactly */
	ASSERT_EQ(max, got[0]);
	ASSERT_EQ(ENOSPC, got[1]);
	self->nsegs = got[0];
	self->t.prefix = self->prefix;
	self->t.n = self->nsegs;
	self->t.seen = calloc(self->nsegs, 1);
	ASSERT_NE(NULL, self->t.seen);
}

FIXTURE_TEARDOWN(dump)
{
	if (self->hold[1] >= 0)
		close(self->hold[1]);
	if (self->kid > 0)
		EXPECT_CHILD_OK(self->kid);
	nlraw_close(&self->c);
	free(self->t.seen);
}

/*
 * The segments and the attachments at the limit, dumped with large, small
 * (MSG_PEEK | MSG_TRUNC sized) receive buffers: every one exactly once,
 * segments by ascending id.  Then buffers too small: MSG_TRUNC, messages
 * lost, but the dump ends and the next one works.
 */
static void dump_sizes(struct __test_metadata *_metadata,
		       FIXTURE_DATA(dump) *self)
{
	struct nlwait w = { .cb = seg_cb, .arg = &self->t };

	ASSERT_EQ(0, dump_all(&self->c, PROTSHM_CMD_SEG_GET, NULL, &w));
	ASSERT_EQ(0, w.a.err);
	EXPECT_EQ(0, tally_wrong(&self->t, -1));
	EXPECT_EQ(0, w.truncated);
	TH_LOG("%u segments of one user (max_user_segments): %d messages",
	       self->nsegs, w.a.ndata);

	w.peek = 1;
	ASSERT_EQ(0, dump_all(&self->c, PROTSHM_CMD_SEG_GET, NULL, &w));
	ASSERT_EQ(0, w.a.err);
	EXPECT_EQ(0, tally_wrong(&self->t, -1));

	/* one attachment per segment: by segment id as well */
	ASSERT_EQ(0, dump_all(&self->c, PROTSHM_CMD_ATTACH_GET, NULL, &w));
	ASSERT_EQ(0, w.a.err);
	EXPECT_EQ(0, tally_wrong(&self->t, -1));

	/* too small: truncated datagrams, the rest of each is lost */
	w.peek = 0;
	w.bufsz = 512;
	ASSERT_EQ(0, dump_wait(&self->c, PROTSHM_CMD_SEG_GET, NULL, &w, 500));
	EXPECT_EQ(1, w.truncated);
	while (recv(self->c.fd, NULL, 0, MSG_DONTWAIT | MSG_TRUNC) > 0)
		;
	w.bufsz = 0;
	w.truncated = 0;
	ASSERT_EQ(0, dump_all(&self->c, PROTSHM_CMD_SEG_GET, NULL, &w));
	ASSERT_EQ(0, w.a.err);
	EXPECT_EQ(0, tally_wrong(&self->t, -1));
	EXPECT_EQ(0, w.truncated);
}

/*
 * A dump interrupted: a do request and a second dump sent while it runs
 * (the do is answered in between, the second dump refused with EBUSY by
 * the core, and the first one goes on to report everything once); then a
 * socket closed in the middle of a dump (its state is freed: kmemleak and
 * the module's unload check it).
 */
static void dump_interrupted(struct __test_metadata *_metadata,
			     FIXTURE_DATA(dump) *self)
{
	struct nlwait w[3] = {
		{ .cb = seg_cb, .arg = &self->t },
	};
	struct nlraw c2;
	struct nlreq r;
	int n;

	dump_req(&self->c, &r, PROTSHM_CMD_SEG_GET, NULL);
	w[0].seq = r.nlh.nlmsg_seq;
	tally_reset(&self->t);
	ASSERT_EQ(0, req_send(&self->c, &r));
	n = dump_one_part(&self->c, &w[0]);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, w[0].a.got);

	req_init(&self->c, &r, self->c.family, 0, PROTSHM_CMD_SEG_GET);
	req_str(&r, PROTSHM_A_SEG_NAME, "t-nlraw-none");
	w[1].seq = r.nlh.nlmsg_seq;
	ASSERT_EQ(0, req_send(&self->c, &r));
	dump_req(&self->c, &r, PROTSHM_CMD_ATTACH_GET, NULL);
	w[2].seq = r.nlh.nlmsg_seq;
	ASSERT_EQ(0, req_send(&self->c, &r));

	/* w[0] was reset by nl_wait_many(): keep what the first part had */
	w[0].a.ndata = 0;
	ASSERT_EQ(0, nl_wait_many(&self->c, w, 3, 10000));
	ASSERT_EQ(1, w[0].a.got);
	EXPECT_EQ(0, w[0].a.err);
	EXPECT_EQ(0, tally_wrong(&self->t, -1));
	ASSERT_EQ(1, w[1].a.got);
	EXPECT_EQ(-ENOENT, w[1].a.err);
	EXPECT_EQ(C_ATTR, w[1].a.tlvs);
	ASSERT_EQ(1, w[2].a.got);
	EXPECT_EQ(-EBUSY, w[2].a.err);
	EXPECT_EQ(0, w[2].a.ndata);

	/* closed in the middle of a segment dump and of an attachment dump */
	for (n = 0; n < 2; n++) {
		ASSERT_EQ(0, nlraw_open(&c2));
		dump_req(&c2, &r, n ? PROTSHM_CMD_ATTACH_GET : PROTSHM_CMD_SEG_GET,
			 NULL);
		w[0].seq = r.nlh.nlmsg_seq;
		ASSERT_EQ(0, req_send(&c2, &r));
		ASSERT_LT(0, dump_one_part(&c2, &w[0]));
		nlraw_close(&c2);
	}
	/* and without reading anything */
	ASSERT_EQ(0, nlraw_open(&c2));
	dump_req(&c2, &r, PROTSHM_CMD_ATTACH_GET, NULL);
	ASSERT_EQ(0, req_send(&c2, &r));
	nlraw_close(&c2);

	ASSERT_EQ(0, dump_all(&self->c, PROTSHM_CMD_SEG_GET, NULL, &w[0]));
	EXPECT_EQ(0, w[0].a.err);
	EXPECT_EQ(0, tally_wrong(&self->t, -1));
}

/*
 * A segment created between two parts of a segment dump: a later message
 * carries NLM_F_DUMP_INTR, and nothing is reported twice.  The control:
 * the same dump with no change in between is not flagged.
 */
static void dump_intr_on_create(struct __test_metadata *_metadata,
				FIXTURE_DATA(dump) *self)
{
	struct nlwait w = { .cb = seg_cb, .arg = &self->t };
	char name[64];
	int round, fd;
	struct nlreq r;

	for (round = 0; round < 2; round++) {
		dump_req(&self->c, &r, PROTSHM_CMD_SEG_GET, NULL);
		w.seq = r.nlh.nlmsg_seq;
		tally_reset(&self->t);
		memset(&w.a, 0, sizeof(w.a));
		ASSERT_EQ(0, req_send(&self->c, &r));
		ASSERT_LT(0, dump_one_part(&self->c, &w));
		ASSERT_EQ(0, w.a.intr);
		fd = -1;
		if (round) {
			fd = ps_new(ps_name(name, sizeof(name), "intr"),
				    page_size());
			ASSERT_LE(0, fd);
		}
		while (!w.a.got)
			ASSERT_LE(0, dump_one_part(&self->c, &w));
		EXPECT_EQ(0, w.a.err);
		EXPECT_EQ(round, w.a.intr);
		EXPECT_EQ(0, tally_wrong(&self->t, -1));
		if (fd >= 0) {
			ps_unlink(fd);
			close(fd);
		}
	}
}

/*
 * The three above on one filling of the limit (filling it takes a while on
 * a debug kernel).
 */
TEST_F_TIMEOUT(dump, at_user_limit, PROTSHM_TIMEOUT)
{
	uint64_t t0 = now_ns();

	RETURN_IF_SKIPPED();
	dump_sizes(_metadata, self);
	dump_interrupted(_metadata, self);
	dump_intr_on_create(_metadata, self);
	TH_LOG("dumps in %llu ms",
	       (unsigned long long)(now_ns() - t0) / 1000000);
}

#define NR_VMAS		10000

#define NR_KIDS		8
#define KID_VMAS	(NR_VMAS / NR_KIDS)

/*
 * A child that maps the segment @fd at @at, KID_VMAS pages, and makes every
 * other page PROT_NONE: KID_VMAS mappings.  It writes 'm' to @ack, then
 * unmaps its first page at each 'u' read from @cmd (and acks), and exits
 * at end of file.  @wr: the write ends of all command pipes, closed here.
 */
static pid_t vma_kid(int fd, char *at, int cmd, const int *wr, int nwr,
		     int ack)
{
	long psz = page_size();
	pid_t pid = fork();
	char *p;
	int i;

	if (pid)
		return pid;
	for (i = 0; i < nwr; i++)
		close(wr[i]);
	p = mmap(at, KID_VMAS * psz, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	CHILD_ASSERT(p == at);
	for (i = 1; i < KID_VMAS; i += 2)
		CHILD_ASSERT(!mprotect(p + i * psz, psz, PROT_NONE));
	CHILD_ASSERT(!sync_send(ack, 'm'));
	while (sync_recv(cmd) == 'u') {
		CHILD_ASSERT(!munmap(p, psz));
		CHILD_ASSERT(!sync_send(ack, 'u'));
	}
	_exit(0);
}

/*
 * 10 000 mappings of one segment: NR_KIDS processes with KID_VMAS each
 * (10 000 in one process took more than a minute to make on the debug
 * kernel), at distinct addresses.  Dumped: every one exactly once, in many messages continued
 * with ATT_MORE.  One already reported unmapped between two parts:
 * NLM_F_DUMP_INTR, and every other one still exactly once.  The control:
 * the same with no change.
 */
TEST_F_TIMEOUT(nlraw, ten_thousand_vmas, PROTSHM_TIMEOUT)
{
	uintptr_t *addrs = calloc(NR_VMAS, sizeof(*addrs));
	struct tally t = { .n = NR_VMAS, .seen = calloc(NR_VMAS, 1) };
	struct nlwait w = { .cb = vma_cb, .arg = &t };
	int i, round, fd, ack[2], cmd[NR_KIDS][2], wr[NR_KIDS];
	pid_t kids[NR_KIDS];
	long psz = page_size();
	uint64_t t0 = now_ns();
	char name[64], *base;
	struct nlreq r;

	RETURN_IF_SKIPPED();
	ASSERT_NE(NULL, addrs);
	ASSERT_NE(NULL, t.seen);
	fd = ps_new(ps_name(name, sizeof(name), "vmas"), KID_VMAS * psz);
	ASSERT_LE(0, fd);
	/* room for all, reserved: no process maps anything else there */
	base = mmap(NULL, NR_VMAS * psz, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, base);
	ASSERT_EQ(0, pipe(ack));
	for (i = 0; i < NR_KIDS; i++) {
		ASSERT_EQ(0, pipe(cmd[i]));
		wr[i] = cmd[i][1];
		kids[i] = vma_kid(fd, base + i * KID_VMAS * psz, cmd[i][0], wr,
				  i + 1, ack[1]);
		ASSERT_LT(0, kids[i]);
		close(cmd[i][0]);
		/* one after the other: attachment ids in address order */
		ASSERT_EQ('m', sync_recv(ack[0]));
	}
	for (i = 0; i < NR_VMAS; i++)
		addrs[i] = (uintptr_t)base + i * psz;
	t.addrs = addrs;
	TH_LOG("%d mappings made in %llu ms", NR_VMAS,
	       (unsigned long long)(now_ns() - t0) / 1000000);
	ASSERT_EQ(0, dump_all(&self->c, PROTSHM_CMD_ATTACH_GET, name, &w));
	ASSERT_EQ(0, w.a.err);
	EXPECT_EQ(0, tally_wrong(&t, -1));
	EXPECT_EQ(0, w.a.intr);
	TH_LOG("%d mappings in %d messages", NR_VMAS, w.a.ndata);

	for (round = 0; round < 2; round++) {
		dump_req(&self->c, &r, PROTSHM_CMD_ATTACH_GET, name);
		w.seq = r.nlh.nlmsg_seq;
		tally_reset(&t);
		memset(&w.a, 0, sizeof(w.a));
		ASSERT_EQ(0, req_send(&self->c, &r));
		ASSERT_LT(0, dump_one_part(&self->c, &w));
		ASSERT_LE(1, t.seen[0]);
		if (round) {
			ASSERT_EQ(0, sync_send(wr[0], 'u'));
			ASSERT_EQ('u', sync_recv(ack[0]));
		}
		while (!w.a.got)
			ASSERT_LE(0, dump_one_part(&self->c, &w));
		EXPECT_EQ(0, w.a.err);
		EXPECT_EQ(round, w.a.intr);
		EXPECT_EQ(0, tally_wrong(&t, -1));
	}
	for (i = 0; i < NR_KIDS; i++)
		close(wr[i]);
	for (i = 0; i < NR_KIDS; i++)
		EXPECT_CHILD_OK(kids[i]);
	munmap(base, NR_VMAS * psz);
	ps_unlink(fd);
	close(fd);
	free(addrs);
	free(t.seen);
	TH_LOG("done in %llu ms", (unsigned long long)(now_ns() - t0) / 1000000);
}

TEST_HARNESS_MAIN
