// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * monitor.c - protshmctl monitor [NAME]: print events as they happen, one
 * line (or, with -j, one JSON object) per event, until interrupted.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "protshmctl.h"

struct monitor {
	struct ctl *ctl;
	const char *name;	/* only this segment, or NULL */
};

static const char *event_name(unsigned int type)
{
	switch (type) {
	case PROTSHM_CMD_SEG_CREATE_NTF:
		return "create";
	case PROTSHM_CMD_SEG_DESTROY_NTF:
		return "destroy";
	case PROTSHM_CMD_ATTACH_NTF:
		return "attach";
	case PROTSHM_CMD_DETACH_NTF:
		return "detach";
	case PROTSHM_CMD_RESTRICT_NTF:
		return "restrict";
	default:
		return "unknown";
	}
}

static void event_json(struct jw *w, const struct protshm_nl_event *ev)
{
	char mode[8];

	jw_obj_open(w, NULL);
	jw_str(w, "event", event_name(ev->type));
	jw_u64(w, "seg_id", ev->seg_id);
	jw_str(w, "seg_name", ev->seg_name);
	jw_u64(w, "ipc_ns", ev->ipc_ns);
	if (ev->att_id)
		jw_u64(w, "att_id", ev->att_id);
	if (ev->parent_id)
		jw_u64(w, "parent_id", ev->parent_id);
	if (ev->pid)
		jw_u64(w, "pid", (uint64_t)ev->pid);
	if (ev->parent_pid)
		jw_u64(w, "parent_pid", (uint64_t)ev->parent_pid);
	if (ev->by_pid)
		jw_u64(w, "by_pid", (uint64_t)ev->by_pid);
	if (*ev->comm)
		jw_str(w, "comm", ev->comm);
	if (ev->type == PROTSHM_CMD_SEG_CREATE_NTF) {
		jw_u64(w, "size", ev->size);
		jw_u64(w, "uid", ev->uid);
		jw_u64(w, "gid", ev->gid);
		jw_str(w, "mode", fmt_mode(ev->mode, mode));
	} else if (ev->type != PROTSHM_CMD_SEG_DESTROY_NTF) {
		jw_str(w, "ceiling", protshm_strprot(ev->ceiling));
	}
	if (ev->type == PROTSHM_CMD_RESTRICT_NTF)
		jw_str(w, "old_ceiling", protshm_strprot(ev->old_ceiling));
	jw_obj_close(w);
	jw_end(w);
}

/* The process part of an attach/detach/restrict line. */
static void event_process(const struct protshm_nl_event *ev)
{
	if (ev->pid)
		printf(" pid %d", (int)ev->pid);
	if (ev->parent_pid)
		printf(" child of pid %d", (int)ev->parent_pid);
	if (*ev->comm)
		printf(" (%s)", ev->comm);
	printf(" attachment %" PRIu64, (uint64_t)ev->att_id);
}

static void event_text(const struct protshm_nl_event *ev)
{
	char size[24], mode[8];

	printf("%-8s %s (id %" PRIu64 ")", event_name(ev->type), ev->seg_name,
	       (uint64_t)ev->seg_id);
	switch (ev->type) {
	case PROTSHM_CMD_SEG_CREATE_NTF:
		printf(" %s owner %u:%u mode %s by pid %d (%s)",
		       fmt_size(ev->size, size, sizeof(size)), ev->uid, ev->gid,
		       fmt_mode(ev->mode, mode), (int)ev->pid, ev->comm);
		break;
	case PROTSHM_CMD_SEG_DESTROY_NTF:
		break;
	case PROTSHM_CMD_RESTRICT_NTF:
		event_process(ev);
		printf(" %s -> %s by pid %d", protshm_strprot(ev->old_ceiling),
		       protshm_strprot(ev->ceiling), (int)ev->by_pid);
		break;
	default:
		event_process(ev);
		printf(" ceiling %s", protshm_strprot(ev->ceiling));
	}
	printf("\n");
	fflush(stdout);
}

static int monitor_one(const struct protshm_nl_event *ev, void *arg)
{
	struct monitor *m = arg;

	if (m->name && strcmp(m->name, ev->seg_name))
		return 0;
	if (m->ctl->json)
		event_json(&m->ctl->jw, ev);
	else
		event_text(ev);
	return 0;
}

int monitor_main(struct ctl *ctl, int argc, char **argv)
{
	struct monitor m = { .ctl = ctl, .name = argc > 1 ? argv[1] : NULL };
	struct protshm_nl *nl;
	int ret;

	if (argc > 2 || (m.name && m.name[0] == '-'))
		return ctl_usage_error("usage: monitor [NAME]");
	ret = ctl_open(&nl);
	if (ret)
		return ret;
	ret = protshm_nl_subscribe(nl);
	if (ret == -EPERM) {
		fprintf(stderr, "protshmctl: monitor: not permitted (joining "
			"the events group needs CAP_NET_ADMIN)\n");
		protshm_nl_close(nl);
		return EXIT_FAIL;
	}
	while (ret >= 0 || ret == -ENOBUFS || ret == -EINTR) {
		if (ret == -ENOBUFS)
			fprintf(stderr, "protshmctl: monitor: events lost "
				"(not read fast enough)\n");
		ret = protshm_nl_events(nl, -1, monitor_one, &m);
	}
	ctl_error("monitor", ret, nl);
	protshm_nl_close(nl);
	return EXIT_FAIL;
}
