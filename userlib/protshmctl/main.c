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

#define PROTSHMCTL_VERSION "1.0.0"

static const char *prog = "protshmctl";

struct subcmd {
	const char *name;
	int (*main)(struct ctl *ctl, int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct subcmd subcmds[] = {
	{ "list", list_main, "[NAME]",
	  "segments of this IPC namespace" },
	{ "show", show_main, "NAME [PID]",
	  "a segment, its processes and their mappings" },
	{ "restrict", restrict_main, "NAME PID rw|r|none [-d]",
	  "lower the ceiling of PID (-d: and its descendants)" },
	{ "monitor", monitor_main, "[NAME]",
	  "print segment events as they happen (needs CAP_NET_ADMIN)" },
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
	int pretty = 0, i;
	size_t k;

	i = parse_options(&ctl, argc, argv, &pretty);
	if (i <= 0)
		return -i;
	jw_init(&ctl.jw, stdout, pretty);
	if (i + 1 < argc && (!strcmp(argv[i + 1], "-h") ||
			     !strcmp(argv[i + 1], "--help"))) {
		usage(stdout);
		return EXIT_OK;
	}
	for (k = 0; k < NR_SUBCMDS; k++)
		if (!strcmp(argv[i], subcmds[k].name))
			return subcmds[k].main(&ctl, argc - i, argv + i);
	return ctl_usage_error("unknown command '%s'", argv[i]);
}
