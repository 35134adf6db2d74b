// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * out.c - output helpers of protshmctl: a small streaming JSON writer
 * (iproute2-like -j output) and text formatting.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "protshmctl.h"

void jw_init(struct jw *w, FILE *f, int pretty)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->pretty = pretty;
}

static void jw_indent(struct jw *w)
{
	int i;

	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (i = 0; i < w->depth; i++)
		fputs("    ", w->f);
}

static void jw_string(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* Separator, indentation and key of the next member. */
static void jw_member(struct jw *w, const char *key)
{
	if (w->depth > 0 && w->count[w->depth]++)
		fputc(',', w->f);
	if (w->depth > 0)
		jw_indent(w);
	if (key) {
		jw_string(w->f, key);
		fputs(w->pretty ? ": " : ":", w->f);
	}
}

static void jw_open(struct jw *w, const char *key, char c)
{
	jw_member(w, key);
	fputc(c, w->f);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->count[w->depth] = 0;
}

static void jw_close(struct jw *w, char c)
{
	int empty = w->count[w->depth] == 0;

	if (w->depth > 0)
		w->depth--;
	if (!empty)
		jw_indent(w);
	fputc(c, w->f);
}

void jw_obj_open(struct jw *w, const char *key)
{
	jw_open(w, key, '{');
}

void jw_obj_close(struct jw *w)
{
	jw_close(w, '}');
}

void jw_arr_open(struct jw *w, const char *key)
{
	jw_open(w, key, '[');
}

void jw_arr_close(struct jw *w)
{
	jw_close(w, ']');
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	jw_member(w, key);
	jw_string(w->f, val);
}

void jw_u64(struct jw *w, const char *key, uint64_t val)
{
	jw_member(w, key);
	fprintf(w->f, "%" PRIu64, val);
}

/* Addresses as "0x..." strings: JSON numbers lose precision above 2^53. */
void jw_hex(struct jw *w, const char *key, uint64_t val)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, val);
	jw_str(w, key, buf);
}

void jw_bool(struct jw *w, const char *key, int val)
{
	jw_member(w, key);
	fputs(val ? "true" : "false", w->f);
}

/* End of a top-level value: a newline, so that streams are line-based. */
void jw_end(struct jw *w)
{
	fputc('\n', w->f);
	fflush(w->f);
}

/* 4096 -> "4K", 3 << 20 -> "3M", 1000 -> "1000". */
const char *fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (bytes && bytes % 1024 == 0 && u < 3) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64, bytes);
	else
		snprintf(buf, len, "%" PRIu64 "%c", bytes, units[u]);
	return buf;
}

/* "rw-s" as in /proc/pid/maps; never executable. */
const char *fmt_perms(uint32_t f, char buf[5])
{
	buf[0] = f & PROTSHM_VMA_F_READ ? 'r' : '-';
	buf[1] = f & PROTSHM_VMA_F_WRITE ? 'w' : '-';
	buf[2] = '-';
	buf[3] = f & PROTSHM_VMA_F_SHARED ? 's' : 'p';
	buf[4] = '\0';
	return buf;
}

/* What mprotect(2) may still grant: "rw", "r-", "--". */
const char *fmt_may(uint32_t f, char buf[3])
{
	buf[0] = f & PROTSHM_VMA_F_MAYREAD ? 'r' : '-';
	buf[1] = f & PROTSHM_VMA_F_MAYWRITE ? 'w' : '-';
	buf[2] = '\0';
	return buf;
}

const char *fmt_mode(uint32_t mode, char buf[8])
{
	snprintf(buf, 8, "%04o", mode & 07777);
	return buf;
}

/* A segment's members, as "list" and "show" print them. */
void segment_json(struct jw *w, const char *key,
		  const struct protshm_nl_segment *s)
{
	char mode[8];

	jw_obj_open(w, key);
	jw_u64(w, "id", s->id);
	jw_str(w, "name", s->name);
	jw_u64(w, "size", s->size);
	jw_u64(w, "resident", s->resident);
	jw_u64(w, "uid", s->uid);
	jw_u64(w, "gid", s->gid);
	jw_str(w, "mode", fmt_mode(s->mode, mode));
	jw_u64(w, "attachments", s->nr_attachments);
	jw_bool(w, "unlinked", s->unlinked);
	if (s->lease)
		jw_u64(w, "lease_holder", s->lease_holder);
	jw_obj_close(w);
}
