/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * protshmctl.h - what the files of protshmctl share: the command context,
 * the JSON writer, formatting helpers and the subcommands.
 */
#ifndef PROTSHMCTL_H
#define PROTSHMCTL_H

#include <stdint.h>
#include <stdio.h>

#include <protshm.h>

/* exit codes */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* the request failed */
#define EXIT_USAGE	2	/* bad command line */

#define JW_MAX_DEPTH	8

/**
 * struct jw - a streaming JSON writer
 * @f: output
 * @pretty: indent and put one member per line
 * @depth: current nesting
 * @count: members written so far at each depth
 */
struct jw {
	FILE *f;
	int pretty;
	int depth;
	int count[JW_MAX_DEPTH];
};

/**
 * struct ctl - one run of protshmctl
 * @json: -j: JSON output
 * @jw: the JSON writer (if @json)
 */
struct ctl {
	int json;
	struct jw jw;
};

/* out.c: JSON (keys are NULL inside arrays and at the top) */
void jw_init(struct jw *w, FILE *f, int pretty);
void jw_obj_open(struct jw *w, const char *key);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *val);
void jw_u64(struct jw *w, const char *key, uint64_t val);
void jw_hex(struct jw *w, const char *key, uint64_t val);
void jw_bool(struct jw *w, const char *key, int val);
void jw_end(struct jw *w);

/* out.c: text */
const char *fmt_size(uint64_t bytes, char *buf, size_t len);
const char *fmt_perms(uint32_t vma_flags, char buf[5]);
const char *fmt_may(uint32_t vma_flags, char buf[3]);
const char *fmt_mode(uint32_t mode, char buf[8]);

/* main.c */
int ctl_error(const char *what, int err, const struct protshm_nl *nl);
int ctl_open(struct protshm_nl **nl);
int ctl_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* the subcommands: return an exit code */
int list_main(struct ctl *ctl, int argc, char **argv);
int show_main(struct ctl *ctl, int argc, char **argv);
int restrict_main(struct ctl *ctl, int argc, char **argv);
int lease_main(struct ctl *ctl, int argc, char **argv);
int monitor_main(struct ctl *ctl, int argc, char **argv);

/* shared by list and show */
void segment_json(struct jw *w, const char *key,
		  const struct protshm_nl_segment *s);

#endif /* PROTSHMCTL_H */
