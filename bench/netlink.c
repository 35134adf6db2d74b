// SPDX-License-Identifier: GPL-2.0
/*
 * B8: the generic netlink family, with libmnl.
 *
 *   get    PROTSHM_CMD_SEG_GET of one segment by id, one request and one
 *          reply (no ACK), the reply's attributes walked; against a
 *          CTRL_CMD_GETFAMILY round trip for "protshm" done the same way.
 *   dumps  1000 one-page segments, each mapped 10 times by this process
 *          (10 000 VMAs): a PROTSHM_CMD_SEG_GET dump (1000 messages) and a
 *          PROTSHM_CMD_ATTACH_GET dump (the 10 000 VMAs, counted), against
 *          reading /proc/<pid>/maps of every process and counting the
 *          lines that map /dev/protshm.
 * Requests are sent and replies received with a 32 KiB buffer (the largest
 * dump skb the kernel builds for a reader).
 *
 * The segments are made with libprotshm, but the measured requests are
 * built here with libmnl, on purpose: the peer is a CTRL_CMD_GETFAMILY
 * round trip, which libprotshm does not offer as an operation, and the
 * protshm side must be the same shape (one request by id, one reply whose
 * attributes are walked) for the ratio to compare the kernel paths;
 * protshm_nl_segments() looks a segment up by name and copies every
 * attribute into a struct, and its dumps retry on NLM_F_DUMP_INTR.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/protshm.h>

#include "bench.h"

#ifndef BENCH_HAVE_MNL

int bench_b8(void)
{
	row_na("B8", "netlink get / dump", "netlink not built: no libmnl");
	return 0;
}

#else

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#define NL_BUF		32768
#define B8_SEGS		1000
#define B8_MAPS		10	/* mappings per segment */
#define B8_ROUND_TRIPS	1000
#define B8_DUMPS	3	/* dumps or scans per repetition */

struct nlb {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	uint16_t family;
	char *buf;
	long msgs;		/* messages seen by the callbacks */
	long vmas;		/* PROTSHM_A_VMA nests seen */
	uint64_t seg_id;	/* last PROTSHM_A_SEG_ID seen */
};

static struct nlmsghdr *nlb_put(struct nlb *n, uint16_t type, uint16_t flags,
				uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(n->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++n->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* Send @nlh, run @cb on the replies until it or NLMSG_DONE stops. */
static int nlb_run(struct nlb *n, struct nlmsghdr *nlh, mnl_cb_t cb)
{
	int ret;

	if (mnl_socket_sendto(n->sock, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		ret = mnl_socket_recvfrom(n->sock, n->buf, NL_BUF);
		if (ret <= 0)
			return -1;
		ret = mnl_cb_run(n->buf, ret, n->seq, n->portid, cb, n);
		if (ret <= MNL_CB_STOP)
			return ret;
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlb *n = data;
	const struct nlattr *a;

	n->msgs++;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    !mnl_attr_validate(a, MNL_TYPE_U16))
			n->family = mnl_attr_get_u16(a);
	return MNL_CB_STOP;	/* a do request: one reply, no ACK */
}

static int nlb_getfamily(struct nlb *n)
{
	struct nlmsghdr *nlh = nlb_put(n, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY,
				       1);

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, PROTSHM_GENL_NAME);
	return nlb_run(n, nlh, family_cb);
}

/* Walks a protshm message: the segment id and the VMA nests. */
static int protshm_msg(const struct nlmsghdr *nlh, struct nlb *n)
{
	const struct nlattr *a;

	n->msgs++;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case PROTSHM_A_SEG_ID:
			if (!mnl_attr_validate(a, MNL_TYPE_U64))
				n->seg_id = mnl_attr_get_u64(a);
			break;
		case PROTSHM_A_VMA:
			n->vmas++;
			break;
		}
	}
	return MNL_CB_OK;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	protshm_msg(nlh, data);
	return MNL_CB_STOP;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	return protshm_msg(nlh, data);
}

static int nlb_seg_get(struct nlb *n, uint64_t id)
{
	struct nlmsghdr *nlh = nlb_put(n, n->family, 0, PROTSHM_CMD_SEG_GET,
				       PROTSHM_GENL_VERSION);

	mnl_attr_put_u64(nlh, PROTSHM_A_SEG_ID, id);
	n->seg_id = 0;
	if (nlb_run(n, nlh, get_cb) < 0)
		return -1;
	return n->seg_id == id ? 0 : -1;
}

static int nlb_dump(struct nlb *n, uint8_t cmd)
{
	struct nlmsghdr *nlh = nlb_put(n, n->family, NLM_F_DUMP, cmd,
				       PROTSHM_GENL_VERSION);

	n->msgs = n->vmas = 0;
	return nlb_run(n, nlh, dump_cb);
}

/* The peer of the dumps: every /proc/<pid>/maps, protshm lines counted. */
static long proc_maps_scan(char *buf, size_t len)
{
	struct dirent *d;
	char path[300], *p, *line;
	long found = 0;
	DIR *dir = opendir("/proc");
	ssize_t r;
	size_t have;
	int fd;

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/maps", d->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		have = 0;
		while ((r = read(fd, buf + have, len - 1 - have)) > 0) {
			have += r;
			buf[have] = 0;
			/* count complete lines, keep the partial one */
			for (line = buf; (p = strchr(line, '\n')); line = p + 1)
				found += !!memmem(line, p - line,
						  "/dev/protshm", 12);
			have = buf + have - line;
			memmove(buf, line, have);
		}
		close(fd);
	}
	closedir(dir);
	return found;
}

struct b8_ctx {
	struct nlb nl;
	void **maps;
	int nr_maps;
	uint64_t first_id;
	char *scan_buf;
};

/* 1000 unlinked one-page segments, each mapped B8_MAPS times. */
static int b8_setup(struct b8_ctx *x)
{
	struct protshm_info info;
	struct protshm *h = NULL;
	char name[64];
	int i, j;
	void *p;

	x->maps = calloc(B8_SEGS * B8_MAPS, sizeof(*x->maps));
	if (!x->maps)
		return -1;
	for (i = 0; i < B8_SEGS; i++) {
		if (ps_err(protshm_create(ps_unique_name(name, sizeof(name),
				"b8"), cfg.page, 0600, PROTSHM_PROT_RW, &h)))
			goto err;
		if (!i && ps_err(protshm_info(h, &info, NULL)))
			goto err;
		for (j = 0; j < B8_MAPS; j++) {
			p = mmap(NULL, cfg.page, PROT_READ, MAP_SHARED,
				 protshm_fd(h), 0);
			if (p == MAP_FAILED)
				goto err;
			x->maps[x->nr_maps++] = p;
		}
		protshm_unlink(h);	/* lives on in its mappings */
		protshm_close(h);
		h = NULL;
	}
	x->first_id = info.id;
	return 0;
err:
	fail("B8: creating segment %d: %m\n", i);
	if (h) {
		protshm_unlink(h);
		protshm_close(h);
	}
	return -1;
}

static void b8_teardown(struct b8_ctx *x)
{
	int i;

	for (i = 0; i < x->nr_maps; i++)
		munmap(x->maps[i], cfg.page);
	free(x->maps);
}

static int b8_measure(struct b8_ctx *x, int what)
{
	static const char *const dump_impl[] = {
		[2] = "protshm-seg-dump", [3] = "protshm-att-dump",
		[4] = "proc-maps-scan",
	};
	struct nlb *n = &x->nl;
	double t0;
	long i, found;
	int err = 0;

	t0 = now_ns();
	switch (what) {
	case 0:
		for (i = 0; i < B8_ROUND_TRIPS && !err; i++)
			err = nlb_getfamily(n) < 0;
		metric_add("B8", "getfamily", "rt_us", "us",
			   (now_ns() - t0) / B8_ROUND_TRIPS / 1e3);
		return err ? -1 : 0;
	case 1:
		for (i = 0; i < B8_ROUND_TRIPS && !err; i++)
			err = nlb_seg_get(n, x->first_id);
		metric_add("B8", "protshm", "rt_us", "us",
			   (now_ns() - t0) / B8_ROUND_TRIPS / 1e3);
		return err ? -1 : 0;
	}
	for (i = 0; i < B8_DUMPS && !err; i++) {
		if (what == 4) {
			found = proc_maps_scan(x->scan_buf, NL_BUF);
		} else {
			err = nlb_dump(n, what == 2 ? PROTSHM_CMD_SEG_GET :
				       PROTSHM_CMD_ATTACH_GET) < 0;
			found = what == 2 ? n->msgs : n->vmas;
		}
		err = err || found < (what == 2 ? B8_SEGS : B8_SEGS * B8_MAPS);
	}
	metric_add("B8", dump_impl[what], "dump_ms", "ms",
		   (now_ns() - t0) / B8_DUMPS / 1e6);
	if (err)
		fail("B8 %s: failed or incomplete (%ld found)\n",
		     dump_impl[what], found);
	return err ? -1 : 0;
}

static void b8_rows(void)
{
	row_add("B8", "get 1 segment", "time/op (us)", "rt_us", "protshm",
		"getfamily", GOAL_RATIO_LE, 1.0, "<= 1.0x");
	row_add("B8", "dump 1000 segments", "time (ms)", "dump_ms",
		"protshm-seg-dump", "proc-maps-scan", GOAL_RATIO_LT, 1.0,
		"< 1.0x (faster)");
	row_add("B8", "dump attachments, 10000 VMAs", "time (ms)", "dump_ms",
		"protshm-att-dump", "proc-maps-scan", GOAL_RATIO_LT, 1.0,
		"< 1.0x (faster)");
}

int bench_b8(void)
{
	struct b8_ctx x = { 0 };
	int rep, k, err = -1;

	progress("B8: netlink get and dumps (%d segments, %d VMAs)\n", B8_SEGS,
		 B8_SEGS * B8_MAPS);
	if (!cfg.have_protshm) {
		row_na("B8", "netlink get / dump", cfg.no_protshm);
		return 0;
	}
	x.nl.buf = malloc(NL_BUF);
	x.scan_buf = malloc(NL_BUF);
	x.nl.sock = mnl_socket_open(NETLINK_GENERIC);
	if (!x.nl.buf || !x.scan_buf || !x.nl.sock ||
	    mnl_socket_bind(x.nl.sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		fail("B8: netlink socket: %m\n");
		goto out;
	}
	x.nl.portid = mnl_socket_get_portid(x.nl.sock);
	if (nlb_getfamily(&x.nl) < 0 || !x.nl.family) {
		row_na("B8", "netlink get / dump",
		       "netlink not built: no \"protshm\" genetlink family");
		err = 0;
		goto out;
	}
	b8_rows();
	if (b8_setup(&x))
		goto out;
	for (rep = 0; rep < cfg.reps; rep++)
		for (k = 0; k < 5; k++)
			if (b8_measure(&x, (k + rep) % 5))
				goto out;
	err = 0;
out:
	b8_teardown(&x);
	if (x.nl.sock)
		mnl_socket_close(x.nl.sock);
	free(x.nl.buf);
	free(x.scan_buf);
	return err;
}

#endif /* BENCH_HAVE_MNL */
