// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * list.c - protshmctl list [NAME]: the segments of this IPC namespace.
 */
#include <errno.h>
#include <string.h>

#include "protshmctl.h"

static int list_one(const struct protshm_nl_segment *s, void *arg)
{
	struct ctl *ctl = arg;
	char size[24], res[24], mode[8], owner[24];

	if (ctl->json) {
		segment_json(&ctl->jw, NULL, s);
		return 0;
	}
	snprintf(owner, sizeof(owner), "%u:%u", s->uid, s->gid);
	printf("%-6llu %-24s %7s %9s %-11s %5s %5u%s\n",
	       (unsigned long long)s->id, s->name,
	       fmt_size(s->size, size, sizeof(size)),
	       fmt_size(s->resident, res, sizeof(res)), owner,
	       fmt_mode(s->mode, mode), s->nr_attachments,
	       s->unlinked ? "  (unlinked)" : "");
	return 0;
}

int list_main(struct ctl *ctl, int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	struct protshm_nl *nl;
	int ret;

	if (argc > 2 || (name && name[0] == '-'))
		return ctl_usage_error("usage: list [NAME]");
	ret = ctl_open(&nl);
	if (ret)
		return ret;
	if (ctl->json)
		jw_arr_open(&ctl->jw, NULL);
	else
		printf("%-6s %-24s %7s %9s %-11s %5s %5s\n", "ID", "NAME",
		       "SIZE", "RESIDENT", "OWNER", "MODE", "PROCS");
	ret = protshm_nl_segments(nl, name, list_one, ctl);
	if (ctl->json) {
		jw_arr_close(&ctl->jw);
		jw_end(&ctl->jw);
	}
	if (ret == PROTSHM_NL_INCONSISTENT)
		fprintf(stderr, "protshmctl: list: segments kept changing, "
			"the list may be inconsistent\n");
	else if (ret == -ENOENT && name)
		fprintf(stderr, "protshmctl: list: no segment \"%s\"\n", name);
	else if (ret < 0)
		ctl_error("list", ret, nl);
	protshm_nl_close(nl);
	return ret < 0 ? EXIT_FAIL : EXIT_OK;
}
