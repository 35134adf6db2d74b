// SPDX-License-Identifier: GPL-2.0
/*
 * protshm_fuzz controller: invariants checked against the model —
 * /proc/pid/maps and smaps of every worker, netlink's view, and the
 * contents of every segment against its shadow copy.
 */
#include "../common.h"
#include "../nl_helpers.h"
#include "model.h"

static struct nlc nl;
static int nl_ok;

/* One protshm VMA as /proc/pid/maps (+ smaps VmFlags) shows it. */
struct kvma {
	uint64_t start, end, off;
	char perms[5];
	char flags[160];
};

#define MAXK (MAXVMA + 8)

/* The /dev/protshm VMAs of @pid; -1 if the file cannot be read. */
static int read_maps(pid_t pid, int smaps, struct kvma *k, int max)
{
	char path[64], line[512];
	int n = 0, in = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, smaps ? "smaps" : "maps");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct kvma v = { 0 };
		unsigned long long s, e, off;

		if (sscanf(line, "%llx-%llx %4s %llx", &s, &e, v.perms, &off) == 4) {
			in = strstr(line, "/dev/protshm") != NULL;
			if (in && n < max) {
				v.start = s, v.end = e, v.off = off;
				k[n++] = v;
			}
		} else if (in && smaps && !strncmp(line, "VmFlags:", 8) && n) {
			size_t l = strlen(line + 8);

			if (l >= sizeof(k[0].flags))
				l = sizeof(k[0].flags) - 1;
			memcpy(k[n - 1].flags, line + 8, l);
			k[n - 1].flags[l] = 0;
		}
	}
	fclose(f);
	return n;
}

/* Has @pid a protshm VMA [start, end)? */
int kernel_has_vma(pid_t pid, uint64_t start, uint64_t end)
{
	static struct kvma k[MAXK];
	int n = read_maps(pid, 0, k, MAXK), i;

	for (i = 0; i < n; i++)
		if (k[i].start == start && k[i].end == end)
			return 1;
	return 0;
}

static int has_flag(const char *flags, const char *f)
{
	char pat[8];

	snprintf(pat, sizeof(pat), " %s", f);
	return strstr(flags, pat) != NULL;
}

static int cmp_vma(const void *a, const void *b)
{
	const struct mvma *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Model VMA @m against the kernel's @k. */
static int vma_differs(const struct mvma *m, const struct kvma *k, int smaps)
{
	if (m->start != k->start || m->end != k->end || m->pgoff * pg != k->off ||
	    k->perms[0] != ((m->prot & PROT_READ) ? 'r' : '-') ||
	    k->perms[1] != ((m->prot & PROT_WRITE) ? 'w' : '-') ||
	    k->perms[2] != '-' || k->perms[3] != 's')
		return 1;
	if (!smaps)
		return 0;
	return has_flag(k->flags, "rd") != !!(m->prot & PROT_READ) ||
	       has_flag(k->flags, "wr") != !!(m->prot & PROT_WRITE) ||
	       has_flag(k->flags, "mr") != !!(m->rights & PROT_READ) ||
	       has_flag(k->flags, "mw") != !!(m->rights & PROT_WRITE) ||
	       has_flag(k->flags, "ex") || has_flag(k->flags, "me");
}

static void dump_vmas(struct mproc *p, struct kvma *k, int n)
{
	int i;

	printf("#   model:\n");
	for (i = 0; i < p->nvma; i++)
		printf("#     %llx-%llx pgoff %llu seg %d prot %u rights %u\n",
		       (unsigned long long)p->vma[i].start,
		       (unsigned long long)p->vma[i].end,
		       (unsigned long long)p->vma[i].pgoff, p->vma[i].seg,
		       p->vma[i].prot, p->vma[i].rights);
	printf("#   kernel:\n");
	for (i = 0; i < n; i++)
		printf("#     %llx-%llx %s %llx %s", (unsigned long long)k[i].start,
		       (unsigned long long)k[i].end, k[i].perms,
		       (unsigned long long)k[i].off, k[i].flags[0] ? k[i].flags : "\n");
}

/* Every protshm VMA of @p is exactly the model's, with its rights. */
int check_maps(struct mproc *p, int smaps)
{
	static struct kvma k[MAXK];
	int n = read_maps(p->pid, smaps, k, MAXK), i;

	st.checks++;
	if (smaps)
		st.smaps++;
	else
		st.maps++;
	if (n < 0)
		return violation("cannot read the maps of w%d pid %d: %s",
				 (int)(p - procs), p->pid, strerror(errno));
	qsort(p->vma, p->nvma, sizeof(p->vma[0]), cmp_vma);
	for (i = 0; i < n && i < p->nvma; i++)
		if (vma_differs(&p->vma[i], &k[i], smaps))
			break;
	if (i == n && n == p->nvma)
		return 0;
	violation("%s of w%d (pid %d) differ from the model at VMA %d",
		  smaps ? "smaps" : "maps", (int)(p - procs), p->pid, i);
	dump_vmas(p, k, n);
	return -1;
}

/* The reference mapping of segment @s holds exactly its shadow. */
int check_content(int s)
{
	struct mseg *g = &segs[s];
	uint64_t i;

	st.checks++;
	st.content++;
	for (i = 0; i < g->size / 8; i++)
		if (g->ref[i] != g->shadow[i])
			return violation("segment %s byte %llu: %#llx, shadow %#llx (a write was lost or landed where the model forbids it)",
					 g->name, (unsigned long long)i * 8,
					 (unsigned long long)g->ref[i],
					 (unsigned long long)g->shadow[i]);
	return 0;
}

int nl_init(void)
{
	nl_ok = !nlc_open(&nl);
	return nl_ok ? 0 : -1;
}

/* SEG_GET of @id says ENOENT. */
int nl_seg_gone(uint64_t id)
{
	struct seg_rec r;

	if (!nl_ok)
		return 1;
	return seg_get(&nl, NULL, id, &r) == -ENOENT;
}

/*
 * RESTRICT of the segment @id through netlink, as the ioctl's struct @a
 * says; 0 or -errno, 1 without the netlink family.
 */
int nl_restrict_seg(uint64_t id, const struct protshm_restrict *a)
{
	if (!nl_ok)
		return 1;
	return nl_restrict_id(&nl, id, a->pid, a->prot, a->flags);
}

static uint32_t vma_flags(const struct mvma *m)
{
	return ((m->prot & PROT_READ) ? PROTSHM_VMA_F_READ : 0) |
	       ((m->prot & PROT_WRITE) ? PROTSHM_VMA_F_WRITE : 0) |
	       ((m->rights & PROT_READ) ? PROTSHM_VMA_F_MAYREAD : 0) |
	       ((m->rights & PROT_WRITE) ? PROTSHM_VMA_F_MAYWRITE : 0) |
	       PROTSHM_VMA_F_SHARED;
}

/* Netlink's attachment of @p on @s against the model. */
static int nl_att_check(struct mproc *p, int s, struct att_rec *a)
{
	int i, n = 0;

	if (!a)
		return p->attached[s] ? violation("netlink: w%d pid %d not attached to %s, model says attached",
						  (int)(p - procs), p->pid, segs[s].name), -1 : 0;
	if (!p->attached[s])
		return violation("netlink: w%d pid %d attached to %s, model says not",
				 (int)(p - procs), p->pid, segs[s].name);
	if (a->ceiling != p->ceil[s])
		return violation("netlink: w%d ceiling on %s %u, model %u",
				 (int)(p - procs), segs[s].name, a->ceiling,
				 p->ceil[s]);
	for (i = 0; i < p->nvma; i++) {
		const struct mvma *m = &p->vma[i];
		const struct vma_rec *v = &a->vma[n];

		if (m->seg != s)
			continue;
		if (n >= a->nvma || v->start != m->start || v->end != m->end ||
		    v->pgoff != m->pgoff || v->flags != vma_flags(m))
			return violation("netlink: w%d's mapping %d of %s differs: %llx-%llx pgoff %llu flags %#x, model %llx-%llx pgoff %llu flags %#x",
					 (int)(p - procs), n, segs[s].name,
					 (unsigned long long)v->start,
					 (unsigned long long)v->end,
					 (unsigned long long)v->pgoff, v->flags,
					 (unsigned long long)m->start,
					 (unsigned long long)m->end,
					 (unsigned long long)m->pgoff,
					 vma_flags(m));
		n++;
	}
	if (n != a->nvma)
		return violation("netlink: w%d has %d mappings of %s, model %d",
				 (int)(p - procs), a->nvma, segs[s].name, n);
	return 0;
}

/* Every live worker's attachments, ceilings and mappings as netlink says. */
int check_netlink(void)
{
	static struct att_list l;
	int i, s, j;

	if (!nl_ok)
		return 0;
	for (i = 0; i < nproc; i++) {
		struct mproc *p = &procs[i];

		if (!p->live)
			continue;
		qsort(p->vma, p->nvma, sizeof(p->vma[0]), cmp_vma);
		if (att_dump(&nl, NULL, p->pid, &l) || l.overflow || l.bad)
			return violation("netlink ATTACH_GET dump of pid %d: %d (%s), overflow %d bad %d",
					 p->pid, nl.err, nl.errmsg, l.overflow, l.bad);
		st.netlink++;
		st.checks++;
		for (s = 0; s < MAXSEG; s++) {
			struct att_rec *a = NULL;

			if (!segs[s].live)
				continue;
			for (j = 0; j < l.n; j++)
				if (l.a[j].seg_id == segs[s].id)
					a = &l.a[j];
			if (nl_att_check(p, s, a))
				return -1;
		}
	}
	return 0;
}
