// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * protshmctl - inspect and administer protshm segments through the
 * "protshm" generic netlink family: list, show, restrict, monitor.
 * See protshmctl(8).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protshmctl.h"

/* the project's version, from the VERSION file (see the Makefile) */
#define PROTSHMCTL_VERSION PROTSHM_VERSION

static const char *prog = "protshmctl";

struct subcmd {
	const char *name;
	int (*main)(struct ctl *ctl, int argc, char **argv);
	const char *args;
	const char *help;
	const char *details;	/* for "help CMD" and "CMD -h" */
};

static const struct subcmd subcmds[] = {
	{ "list", list_main, "[NAME]",
	  "segments of this IPC namespace",
	  "One line per segment (or only NAME): id, name, size, resident bytes,\n"
	  "owner uid:gid, mode and number of attached processes.\n" },
	{ "show", show_main, "NAME [PID]",
	  "a segment, its processes and their mappings",
	  "The segment, then each attached process (or only PID) with its\n"
	  "ceiling and every mapping: address range, offset, permissions and\n"
	  "what mprotect(2) may still grant.\n" },
	{ "restrict", restrict_main, "NAME PID rw|r|none [-d]",
	  "lower the ceiling of PID (-d: and its descendants)",
	  "PID's ceiling on segment NAME becomes its old ceiling intersected\n"
	  "with rw, r or none, at once in all its mappings; it can never be\n"
	  "raised again.  -d, --descendants: also every process forked from\n"
	  "PID that inherited the attachment.  Needs the segment's owner or\n"
	  "CAP_IPC_OWNER for another process.\n" },
	{ "lease", lease_main, "NAME PID",
	  "move the write lease of NAME to PID",
	  "Segment NAME (created with PROTSHM_CREATE_LEASE) gets PID as its one\n"
	  "writing process: when this returns, the previous holder can no\n"
	  "longer write.  Needs the segment's owner, CAP_IPC_OWNER or the\n"
	  "current holder; PID must be attached and its ceiling allow rw.\n" },
	{ "monitor", monitor_main, "[NAME]",
	  "print segment events as they happen (needs CAP_NET_ADMIN)",
	  "One line (or one JSON object with -j) per event: segment created or\n"
	  "destroyed, process attached or detached, ceiling lowered;\n"
	  "only NAME's with an argument.  Runs until interrupted.\n" },
	{ "help", NULL, "[COMMAND]",
	  "this help, or a command's",
	  "Without COMMAND the list of commands, with it that command's help\n"
	  "(the same as protshmctl COMMAND -h).\n" },
};

#define NR_SUBCMDS (sizeof(subcmds) / sizeof(subcmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s [-j [-p]] COMMAND [ARGS]\n"
		"       %s -h | -V\n\n"
		"Commands:\n", prog, prog);
	for (i = 0; i < NR_SUBCMDS; i++)
		fprintf(f, "  %-9s %-24s %s\n", subcmds[i].name,
			subcmds[i].args, subcmds[i].help);
	fprintf(f, "\nOptions:\n"
		"  -j, --json     JSON output\n"
		"  -p, --pretty   indented JSON (with -j)\n"
		"  -h, --help     this help\n"
		"  -V, --version  print the version\n\n"
		"Exit status: 0 success, 1 the request failed, 2 usage error.\n"
		"See protshmctl(8).\n");
}

static void cmd_usage(FILE *f, const struct subcmd *c)
{
	fprintf(f, "Usage: %s [-j [-p]] %s %s\n\n%s.\n\n%s\nSee protshmctl(8).\n",
		prog, c->name, c->args, c->help, c->details);
}

static const struct subcmd *find_subcmd(const char *name)
{
	size_t k;

	for (k = 0; k < NR_SUBCMDS; k++)
		if (!strcmp(name, subcmds[k].name))
			return &subcmds[k];
	return NULL;
}

/* help [COMMAND] */
static int help_main(int argc, char **argv)
{
	const struct subcmd *c;

	if (argc == 1) {
		usage(stdout);
		return EXIT_OK;
	}
	c = find_subcmd(argv[1]);
	if (argc > 2 || !c)
		return ctl_usage_error("help: no command '%s'", argv[1]);
	cmd_usage(stdout, c);
	return EXIT_OK;
}

/**
 * ctl_usage_error() - report a command-line error
 * @fmt: message
 *
 * Return: EXIT_USAGE.
 */
int ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s -h' for help.\n", prog);
	return EXIT_USAGE;
}

/**
 * ctl_error() - report a failed request, with the kernel's own message
 * @what: what failed
 * @err: negative errno value
 * @nl: the handle whose last request failed, or NULL
 *
 * Return: EXIT_FAIL.
 */
int ctl_error(const char *what, int err, const struct protshm_nl *nl)
{
	const char *msg = nl ? protshm_nl_errmsg(nl) : "";

	fprintf(stderr, "%s: %s: %s", prog, what, strerror(-err));
	if (*msg)
		fprintf(stderr, " (%s)", msg);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

/**
 * ctl_open() - open the netlink handle, explaining a missing module
 * @nl: receives the handle
 *
 * Return: EXIT_OK or EXIT_FAIL (reported).
 */
int ctl_open(struct protshm_nl **nl)
{
	int ret = protshm_nl_open(nl);

	if (ret == -ENOENT) {
		fprintf(stderr, "%s: no \"%s\" generic netlink family "
			"(is the protshm module loaded?)\n", prog,
			PROTSHM_GENL_NAME);
		return EXIT_FAIL;
	}
	if (ret < 0)
		return ctl_error("netlink", ret, NULL);
	return EXIT_OK;
}

/* Global options; returns the index of the command or -EXIT_*. */
static int parse_options(struct ctl *ctl, int argc, char **argv, int *pretty)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "-j") || !strcmp(o, "--json")) {
			ctl->json = 1;
		} else if (!strcmp(o, "-p") || !strcmp(o, "--pretty")) {
			*pretty = 1;
		} else if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage(stdout);
			return -EXIT_OK;
		} else if (!strcmp(o, "-V") || !strcmp(o, "--version")) {
			printf("%s %s (protshm ABI %d, netlink family version %d)\n",
			       prog, PROTSHMCTL_VERSION, PROTSHM_ABI_VERSION,
			       PROTSHM_GENL_VERSION);
			return -EXIT_OK;
		} else {
			return -ctl_usage_error("unknown option '%s'", o);
		}
	}
	if (i == argc)
		return -ctl_usage_error("no command given");
	return i;
}

int main(int argc, char **argv)
{
	struct ctl ctl = { 0 };
	const struct subcmd *c;
	int pretty = 0, i;

	i = parse_options(&ctl, argc, argv, &pretty);
	if (i <= 0)
		return -i;
	jw_init(&ctl.jw, stdout, pretty);
	c = find_subcmd(argv[i]);
	if (!c)
		return ctl_usage_error("unknown command '%s'", argv[i]);
	if (i + 1 < argc && (!strcmp(argv[i + 1], "-h") ||
			     !strcmp(argv[i + 1], "--help"))) {
		cmd_usage(stdout, c);
		return EXIT_OK;
	}
	if (!c->main)
		return help_main(argc - i, argv + i);
	return c->main(&ctl, argc - i, argv + i);
}
