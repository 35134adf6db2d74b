// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * show.c - protshmctl show NAME [PID]: a segment, the processes attached to
 * it with their ceilings, and each process's mappings of it with their
 * current and possible rights, like a small pmap(1).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protshmctl.h"

static const char *const flag_names[] = {
	"read", "write", "mayread", "maywrite", "shared",
};

static void vma_json(struct jw *w, const struct protshm_nl_vma *v, long psz)
{
	char perms[5], may[3];
	unsigned int i;

	jw_obj_open(w, NULL);
	if (v->has_addr) {
		jw_hex(w, "start", v->start);
		jw_hex(w, "end", v->end);
	}
	jw_u64(w, "pgoff", v->pgoff);
	jw_u64(w, "offset", v->pgoff * (uint64_t)psz);
	jw_u64(w, "size", v->len);
	jw_str(w, "perms", fmt_perms(v->flags, perms));
	jw_str(w, "may", fmt_may(v->flags, may));
	jw_arr_open(w, "flags");
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (v->flags & (1u << i))
			jw_str(w, NULL, flag_names[i]);
	jw_arr_close(w);
	jw_obj_close(w);
}

static void vma_text(const struct protshm_nl_vma *v, long psz)
{
	char perms[5], may[3], size[24], range[48];

	if (v->has_addr)
		snprintf(range, sizeof(range), "%016" PRIx64 "-%016" PRIx64,
			 (uint64_t)v->start, (uint64_t)v->end);
	else
		snprintf(range, sizeof(range), "%-33s", "(address hidden)");
	printf("    %s %s  %-3s %08" PRIx64 " %7s\n", range,
	       fmt_perms(v->flags, perms), fmt_may(v->flags, may),
	       (uint64_t)v->pgoff * (uint64_t)psz,
	       fmt_size(v->len, size, sizeof(size)));
}

static void att_json(struct jw *w, const struct protshm_nl_attachment *a,
		     long psz)
{
	size_t i;

	jw_obj_open(w, NULL);
	jw_u64(w, "id", a->id);
	if (a->pid) {
		jw_u64(w, "pid", (uint64_t)a->pid);
		jw_str(w, "comm", a->comm);
	}
	jw_str(w, "ceiling", protshm_strprot(a->ceiling));
	if (a->parent_id)
		jw_u64(w, "parent_id", a->parent_id);
	jw_arr_open(w, "vmas");
	for (i = 0; i < a->nr_vmas; i++)
		vma_json(w, &a->vmas[i], psz);
	jw_arr_close(w);
	jw_obj_close(w);
}

static void att_text(const struct protshm_nl_attachment *a, long psz)
{
	size_t i;

	if (a->pid)
		printf("\npid %d (%s)  ceiling %s", (int)a->pid, a->comm,
		       protshm_strprot(a->ceiling));
	else
		printf("\npid ? (not in this pid namespace)  ceiling %s",
		       protshm_strprot(a->ceiling));
	printf("  attachment %" PRIu64, (uint64_t)a->id);
	if (a->parent_id)
		printf(", forked from %" PRIu64, (uint64_t)a->parent_id);
	printf("\n");
	if (!a->nr_vmas) {
		printf("    (no mappings visible)\n");
		return;
	}
	printf("    %-33s %-4s  %-3s %-8s %7s\n", "ADDRESS", "PERM", "MAY",
	       "OFFSET", "SIZE");
	for (i = 0; i < a->nr_vmas; i++)
		vma_text(&a->vmas[i], psz);
}

static int show_att(const struct protshm_nl_attachment *a, void *arg)
{
	struct ctl *ctl = arg;
	long psz = sysconf(_SC_PAGESIZE);

	if (ctl->json)
		att_json(&ctl->jw, a, psz);
	else
		att_text(a, psz);
	return 0;
}

static int show_seg(const struct protshm_nl_segment *s, void *arg)
{
	struct ctl *ctl = arg;
	char size[24], res[24], mode[8];

	if (ctl->json) {
		segment_json(&ctl->jw, "segment", s);
		return 0;
	}
	printf("segment %s (id %" PRIu64 ")%s: %s, %s resident, owner %u:%u, "
	       "mode %s, %u process%s\n", s->name, (uint64_t)s->id,
	       s->unlinked ? " (unlinked)" : "",
	       fmt_size(s->size, size, sizeof(size)),
	       fmt_size(s->resident, res, sizeof(res)), s->uid, s->gid,
	       fmt_mode(s->mode, mode), s->nr_attachments,
	       s->nr_attachments == 1 ? "" : "es");
	if (s->lease && s->lease_holder)
		printf("write lease held by %d\n", (int)s->lease_holder);
	else if (s->lease)
		printf("write lease held by nobody\n");
	return 0;
}

static int parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v <= 0 || v > INT32_MAX)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

static int show_report(const char *name, int ret, struct protshm_nl *nl)
{
	if (ret == PROTSHM_NL_INCONSISTENT) {
		fprintf(stderr, "protshmctl: show: attachments kept changing, "
			"the output may be inconsistent\n");
		return EXIT_OK;
	}
	if (ret == -ENOENT) {
		fprintf(stderr, "protshmctl: show: no segment \"%s\"\n", name);
		return EXIT_FAIL;
	}
	return ret < 0 ? ctl_error("show", ret, nl) : EXIT_OK;
}

int show_main(struct ctl *ctl, int argc, char **argv)
{
	struct protshm_nl *nl;
	pid_t pid = 0;
	int ret;

	if (argc < 2 || argc > 3 || argv[1][0] == '-')
		return ctl_usage_error("usage: show NAME [PID]");
	if (argc == 3 && parse_pid(argv[2], &pid))
		return ctl_usage_error("show: '%s' is not a pid", argv[2]);
	ret = ctl_open(&nl);
	if (ret)
		return ret;
	if (ctl->json)
		jw_obj_open(&ctl->jw, NULL);
	ret = protshm_nl_segments(nl, argv[1], show_seg, ctl);
	if (ret >= 0) {
		if (ctl->json)
			jw_arr_open(&ctl->jw, "attachments");
		ret = protshm_nl_attachments(nl, argv[1], pid, show_att, ctl);
		if (ctl->json)
			jw_arr_close(&ctl->jw);
	}
	if (ctl->json) {
		jw_obj_close(&ctl->jw);
		jw_end(&ctl->jw);
	}
	ret = show_report(argv[1], ret, nl);
	protshm_nl_close(nl);
	return ret;
}
