// SPDX-License-Identifier: GPL-2.0
/*
 * protshm_fuzz: model-checked random-operation fuzzer for /dev/protshm.
 *
 *   protshm_fuzz [-s SEED] [-n OPS] [-w WORKERS] [-N NETLINK_EVERY]
 *                [-S SMAPS_EVERY] [-C CONTENT_EVERY] [-T SHRINK_SECS]
 *                [-P CPU] [-r OPLIST | -R FILE] [-v] [-q]
 *
 * Exit status: 0 no violation, 1 violation, 4 (kselftest skip) when
 * /dev/protshm is missing or the fuzzer does not run as root.
 * See Documentation/dev-tools/fuzzing.rst.
 */
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>

#include "../common.h"
#include "model.h"

#define KSFT_SKIP 4

static uint64_t rng[4];

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t next_rand(void)
{
	uint64_t r = rotl(rng[1] * 5, 7) * 9, t = rng[1] << 17;

	rng[2] ^= rng[0];
	rng[3] ^= rng[1];
	rng[1] ^= rng[2];
	rng[0] ^= rng[3];
	rng[2] ^= t;
	rng[3] = rotl(rng[3], 45);
	return r;
}

/* Relative weights of the operation kinds. */
static const int weight[K_NR] = {
	[K_SPAWN] = 6, [K_OPEN] = 8, [K_CLOSE] = 3, [K_DUP] = 2, [K_REOPEN] = 2,
	[K_CREATE] = 6, [K_ATTACH] = 10, [K_INFO] = 4, [K_RESTRICT_SELF] = 3,
	[K_RESTRICT_PEER] = 3, [K_RESTRICT_CTL] = 4, [K_RESTRICT_MAPPING] = 4,
	[K_UNLINK] = 2, [K_BAD_IOCTL] = 2, [K_MMAP] = 24, [K_MMAP_FIXED] = 6,
	[K_MUNMAP] = 5, [K_MPROTECT] = 8, [K_MREMAP] = 5, [K_MADVISE] = 3,
	[K_READ] = 40, [K_WRITE] = 45, [K_PREAD] = 5, [K_PWRITE] = 5,
	[K_MEM] = 5, [K_PVW] = 2, [K_FORK] = 2, [K_EXEC] = 1, [K_EXIT] = 1,
	[K_SETUID] = 1, [K_PASSFD] = 3, [K_RACE] = 3, [K_RESTRICT_NL] = 3,
	[K_VFORK] = 2, [K_UNSHARE_IPC] = 1,
};

static struct op gen_op(void)
{
	static int total;
	struct op o;
	int i, w;

	if (!total)
		for (i = 0; i < K_NR; i++)
			total += weight[i];
	w = next_rand() % total;
	for (i = 0; w >= weight[i]; i++)
		w -= weight[i];
	o.kind = i;
	for (w = 0; w < 4; w++)
		o.r[w] = next_rand();
	return o;
}

static struct {
	uint64_t seed, nops;
	int nl_every, smaps_every, content_every, shrink_secs, quiet, cpu;
	const char *replay, *replay_file;
} opt = { 1, 10000, 1000, 200, 100, 120, 0, 1, NULL, NULL };

static struct op *ops;
static size_t nops, cap;

static void record(const struct op *o)
{
	if (nops == cap) {
		cap = cap ? 2 * cap : 4096;
		ops = realloc(ops, cap * sizeof(*ops));
	}
	ops[nops++] = *o;
}

/* "K.R0.R1.R2.R3,..." */
static void print_ops(FILE *f, const struct op *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%s%u.%x.%x.%x.%x", i ? "," : "", l[i].kind,
			l[i].r[0], l[i].r[1], l[i].r[2], l[i].r[3]);
}

static size_t parse_ops(const char *s, struct op **out)
{
	size_t n = 0, c = 0;
	struct op o, *l = NULL;

	while (*s && sscanf(s, "%u.%x.%x.%x.%x", &o.kind, &o.r[0], &o.r[1],
			    &o.r[2], &o.r[3]) == 5) {
		if (o.kind < K_NR) {
			if (n == c)
				l = realloc(l, (c = c ? 2 * c : 64) * sizeof(*l));
			l[n++] = o;
		}
		s = strchr(s, ',');
		if (!s)
			break;
		s++;
	}
	*out = l;
	return n;
}

static int periodic_checks(uint64_t i, int last)
{
	int s, w;

	if (last || (opt.content_every && i % opt.content_every == 0))
		for (s = 0; s < MAXSEG; s++)
			if (segs[s].live && check_content(s))
				return -1;
	if (last || (opt.smaps_every && i % opt.smaps_every == 0))
		for (w = 0; w < nproc; w++)
			if (procs[w].live && check_maps(&procs[w], 1))
				return -1;
	if (last || (opt.nl_every && i % opt.nl_every == 0))
		return check_netlink();
	return 0;
}

/*
 * Run @n recorded ops, or generate until opt.nops ran (operations the
 * model cannot apply are skipped and not counted).
 */
static int run(const struct op *list, size_t n)
{
	uint64_t i = 0, done = 0;

	while (!failed && (list ? i < n : done < opt.nops)) {
		struct op o = list ? list[i] : gen_op();
		int ret;

		i++;
		record(&o);
		ret = run_op(&o);
		if (ret < 0)
			break;
		if (!ret && periodic_checks(++done, 0))
			break;
		if (!ret && !opt.quiet && done % 10000 == 0)
			printf("# %llu ops, %llu skipped\n", (unsigned long long)done,
			       (unsigned long long)st.skipped);
	}
	if (!failed)
		periodic_checks(done, 1);
	if (!failed)
		final_checks();
	return failed ? -1 : 0;
}

/* The kind of a violation: its message up to the first ':' or digit. */
static void violation_kind(const char *line, char *kind, size_t len)
{
	const char *m = strstr(line, " ops: ");
	size_t n = 0;

	kind[0] = 0;
	if (!m)
		return;
	for (m += 6; m[n] && m[n] != ':' && !(m[n] >= '0' && m[n] <= '9') &&
	     n + 1 < len; n++)
		kind[n] = m[n];
	kind[n] = 0;
}

static char first_kind[64];	/* of the original failure */
static uint64_t shrink_end;	/* deadline of the shrinking, ns */

/*
 * Wait until @fd is readable; past shrink_end, kill the replay @pid (its
 * workers exit when their channels close) and return 0.
 */
static int wait_readable(int fd, pid_t pid)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (!shrink_end || now_ns() < shrink_end) {
		if (poll(&p, 1, 100) > 0)
			return 1;
	}
	kill(pid, SIGKILL);
	return 0;
}

/*
 * Does @l still end with a violation of the original kind, in a fresh
 * process tree?  @verbose: show its output.
 */
static int still_fails(const struct op *l, size_t n, int verbose)
{
	char path[] = "/tmp/protshm_fuzz-XXXXXX", line[512], kind[64] = "";
	int fd = mkstemp(path), status, pfd[2];
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL, *out;
	pid_t pid;

	if (!f || pipe(pfd))
		return 0;
	print_ops(f, l, n);
	fclose(f);
	pid = fork();
	if (!pid) {
		char *argv[] = { "protshm_fuzz", verbose ? "-v" : "-q", "-T", "0",
				 "-R", path, NULL };

		dup2(pfd[1], 1);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(pfd[1]);
	out = fdopen(pfd[0], "r");
	while (out && wait_readable(pfd[0], pid) && fgets(line, sizeof(line), out)) {
		if (verbose)
			fputs(line, stdout);
		if (!kind[0] && strstr(line, "# VIOLATION"))
			violation_kind(line, kind, sizeof(kind));
	}
	if (out)
		fclose(out);
	waitpid(pid, &status, 0);
	unlink(path);
	return WIFEXITED(status) && WEXITSTATUS(status) == 1 &&
	       !strcmp(kind, first_kind);
}

/* ddmin over the recorded ops, within opt.shrink_secs. */
static size_t shrink(struct op *l, size_t n)
{
	uint64_t end = now_ns() + opt.shrink_secs * 1000000000ULL;

	shrink_end = end;
	struct op *tmp = malloc(n * sizeof(*l));
	size_t chunks = 2, i, j, k, len, runs = 0;

	while (n > 1 && now_ns() < end) {
		int reduced = 0;

		len = (n + chunks - 1) / chunks;
		for (i = 0; i < n && now_ns() < end; i += len) {
			/* the complement of chunk [i, i+len) */
			for (j = 0, k = 0; j < n; j++)
				if (j < i || j >= i + len)
					tmp[k++] = l[j];
			runs++;
			if (k && still_fails(tmp, k, 0)) {
				memcpy(l, tmp, k * sizeof(*l));
				n = k;
				chunks = chunks > 2 ? chunks - 1 : 2;
				reduced = 1;
				break;
			}
		}
		if (!reduced) {
			if (len == 1)
				break;
			chunks = chunks * 2 < n ? chunks * 2 : n;
		}
	}
	printf("# shrink: %zu replays, %zu ops left%s\n", runs, n,
	       now_ns() >= end ? " (time bound reached)" : "");
	free(tmp);
	return n;
}

static void summary(int ok)
{
	int i;

	printf("# per-op counts:");
	for (i = 0; i < K_NR; i++)
		printf(" %s %llu", kind_name[i], (unsigned long long)st.kind[i]);
	printf("\n");
	printf("protshm_fuzz: seed %llu ops %llu workers-max %d: %s; invariant checks %llu (results %llu, writes %llu, maps %llu, smaps %llu, netlink %llu, content %llu, final %llu)\n",
	       (unsigned long long)opt.seed, (unsigned long long)st.ops,
	       st.workers_max, ok ? "OK" : "VIOLATION",
	       (unsigned long long)(st.checks + st.results),
	       (unsigned long long)st.results, (unsigned long long)st.writes,
	       (unsigned long long)st.maps, (unsigned long long)st.smaps,
	       (unsigned long long)st.netlink, (unsigned long long)st.content,
	       (unsigned long long)st.final);
}

static void replay_hint(void)
{
	char line[600];
	size_t n;
	struct op *l;

	printf("# reproduce: protshm_fuzz -s %llu -n %llu\n",
	       (unsigned long long)opt.seed, (unsigned long long)nops);
	if (opt.shrink_secs <= 0)
		return;
	snprintf(line, sizeof(line), "# VIOLATION after 0 ops: %s", violation_msg);
	violation_kind(line, first_kind, sizeof(first_kind));
	l = malloc(nops * sizeof(*l));
	memcpy(l, ops, nops * sizeof(*l));
	n = shrink(l, nops);
	printf("# minimal replay (%zu ops):\n", n);
	for (size_t i = 0; i < n; i++)
		printf("#   %s r=%x.%x.%x.%x\n", kind_name[l[i].kind], l[i].r[0],
		       l[i].r[1], l[i].r[2], l[i].r[3]);
	printf("# replay: protshm_fuzz -v -T 0 -r '");
	print_ops(stdout, l, n);
	printf("'\n");
	printf("# the minimal replay, in a fresh process tree:\n");
	shrink_end = now_ns() + opt.shrink_secs * 1000000000ULL;
	still_fails(l, n, 1);
	free(l);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f || getdelim(&buf, &len, 0, f) < 0) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

/*
 * Lock step between the controller and one worker costs two wake-ups per
 * operation; on one CPU they are cheap, across CPUs (IPIs, emulated by
 * QEMU's TCG) they are not.  Pin every process to CPU @cpu - 1 (default
 * 1: CPU 0); 0: do not.  The racer thread of a race step runs anywhere.
 */
static void pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu <= 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu - 1, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int parse_args(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "s:n:w:N:S:C:T:r:R:P:vq")) != -1) {
		switch (c) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); break;
		case 'n': opt.nops = strtoull(optarg, NULL, 0); break;
		case 'w': max_workers = atoi(optarg); break;
		case 'N': opt.nl_every = atoi(optarg); break;
		case 'S': opt.smaps_every = atoi(optarg); break;
		case 'C': opt.content_every = atoi(optarg); break;
		case 'T': opt.shrink_secs = atoi(optarg); break;
		case 'r': opt.replay = optarg; break;
		case 'R': opt.replay_file = optarg; break;
		case 'P': opt.cpu = atoi(optarg); break;
		case 'v': trace_verbose = 1; break;
		case 'q': opt.quiet = 1; break;
		default:
			fprintf(stderr, "usage: see the header of protshm_fuzz.c\n");
			return -1;
		}
	}
	if (max_workers < 1 || max_workers > 64)
		max_workers = 6;
	return 0;
}

int main(int argc, char **argv)
{
	struct op *list = NULL;
	size_t n = 0;
	uint64_t x, t0;
	char *text = NULL;
	int ret;

	if (argc == 3 && !strcmp(argv[1], "--worker"))
		return worker_main(atoi(argv[2]));
	if (parse_args(argc, argv))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(PROTSHM_DEV, R_OK | W_OK) || geteuid()) {
		printf("# SKIP protshm_fuzz needs %s and root\n", PROTSHM_DEV);
		return KSFT_SKIP;
	}
	x = opt.seed;
	for (ret = 0; ret < 4; ret++)
		rng[ret] = splitmix64(&x);
	pg = page_size();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pin_cpu(opt.cpu);
	signal(SIGPIPE, SIG_IGN);
	if (nl_init() && !opt.quiet)
		printf("# netlink family not available: netlink checks off\n");
	if (opt.replay || opt.replay_file) {
		text = opt.replay ? strdup(opt.replay) : read_file(opt.replay_file);
		n = text ? parse_ops(text, &list) : 0;
		free(text);
		opt.shrink_secs = 0;
	}
	t0 = now_ns();
	ret = run(list, n);
	if (!opt.quiet)
		printf("# %llu ops in %.1f s: %.0f ops/s\n",
		       (unsigned long long)st.ops, (now_ns() - t0) / 1e9,
		       st.ops / ((now_ns() - t0) / 1e9));
	if (ret) {
		shutdown_workers();
		if (!opt.quiet)
			replay_hint();
	}
	summary(!ret);
	return ret ? 1 : 0;
}
