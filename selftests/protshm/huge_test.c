// SPDX-License-Identifier: GPL-2.0
/*
 * 2 MiB mappings (kernels with huge PFN maps, e.g. 6.12): a 2 MiB aligned
 * range of a segment mapped at a 2 MiB aligned address is mapped with one
 * PMD, and every protection guarantee holds on it as on 4 KiB mappings.
 *
 * The module says whether it was built with 2 MiB mappings
 * (/sys/module/protshm/parameters/huge_mappings); if it was not, or THP is
 * disabled, every test is skipped with the reason.  If it was, the tests
 * require PMD mappings: one minor fault per 2 MiB and 512 contiguous,
 * 2 MiB aligned PFNs in /proc/self/pagemap.
 *
 * Every "must fail" check is preceded by a control that succeeds.
 */
#include <pthread.h>
#include <sys/resource.h>

#include "common.h"
#include "kselftest_harness.h"

#define RW		(PROT_READ | PROT_WRITE)
#define HUGE		(2UL << 20)
#define SEG_SIZE	(2 * HUGE)
#define PARAM		"/sys/module/protshm/parameters/huge_mappings"
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define THP_PMD_ENABLED	"/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/enabled"

/* First line of @path into @buf, or "" if it cannot be read. */
static const char *read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = 0;
		fclose(f);
	}
	return buf;
}

/* NULL if 2 MiB mappings are expected here, else why not. */
static const char *huge_unsupported(void)
{
	char buf[128];

	if (read_line(PARAM, buf, sizeof(buf))[0] != 'Y')
		return "module built without 2 MiB mappings: the kernel has no huge PFN map support (needs ->huge_fault(order) and CONFIG_ARCH_SUPPORTS_PMD_PFNMAP, e.g. 6.12)";
	if (strstr(read_line(THP_ENABLED, buf, sizeof(buf)), "[never]"))
		return "transparent hugepages are disabled (" THP_ENABLED ")";
	return NULL;
}

static long minflt(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	return ru.ru_minflt;
}

/* Write @c to the first byte of each page of @len at @p; minor faults taken. */
static long touch_write(volatile char *p, size_t len, char c)
{
	size_t off, step = page_size();
	long before;

	/* after fork(), the stack and libc's text fault on first use */
	minflt();
	before = minflt();

	for (off = 0; off < len; off += step)
		p[off] = c;
	return minflt() - before;
}

static long touch_read(volatile char *p, size_t len)
{
	size_t off, step = page_size();
	long before;

	minflt();
	before = minflt();

	for (off = 0; off < len; off += step)
		(void)p[off];
	return minflt() - before;
}

/*
 * Are the @n pages at @addr mapped by contiguous PFNs, the first 2 MiB
 * aligned?  Returns the first PFN, or 0 (with the reason in @why).
 */
static uint64_t contiguous_pfns(void *addr, size_t n, const char **why)
{
	uint64_t *e = calloc(n, sizeof(*e));
	off_t off = (uintptr_t)addr / page_size() * sizeof(*e);
	uint64_t first = 0;
	size_t i;
	int fd;

	*why = "cannot read /proc/self/pagemap";
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (!e || fd < 0 || pread(fd, e, n * sizeof(*e), off) !=
	    (ssize_t)(n * sizeof(*e)))
		goto out;
	*why = "no PFN (needs CAP_SYS_ADMIN) or page not present";
	for (i = 0; i < n; i++)
		if (!(e[i] & (1ULL << 63)) || !(e[i] & ((1ULL << 55) - 1)))
			goto out;
	*why = "first PFN not 2 MiB aligned";
	if ((e[0] & ((1ULL << 55) - 1)) % (HUGE / page_size()))
		goto out;
	*why = "PFNs not contiguous";
	for (i = 1; i < n; i++)
		if ((e[i] & ((1ULL << 55) - 1)) != (e[0] & ((1ULL << 55) - 1)) + i)
			goto out;
	first = e[0] & ((1ULL << 55) - 1);
	*why = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(e);
	return first;
}

static int is_aligned(const void *p)
{
	return !((uintptr_t)p % HUGE);
}

FIXTURE(huge) {
	char name[PROTSHM_NAME_MAX];
	size_t ps;
	size_t npages;	/* pages per 2 MiB */
	int fd;
};

FIXTURE_SETUP(huge)
{
	const char *why = huge_unsupported();

	SKIP_WITHOUT_DEVICE();
	self->fd = -1;
	self->ps = page_size();
	self->npages = HUGE / self->ps;
	if (why)
		SKIP(return, "%s", why);
	ps_name(self->name, sizeof(self->name), "huge");
	self->fd = ps_new(self->name, SEG_SIZE);
	ASSERT_LE(0, self->fd) {
		TH_LOG("create %s: %s", self->name, strerror(errno));
	}
}

FIXTURE_TEARDOWN(huge)
{
	if (self->fd < 0)
		return;
	EXPECT_EQ(0, ps_unlink(self->fd));
	EXPECT_EQ(0, close(self->fd));
}

/*
 * A huge-mapped 2 MiB of @p: exactly one minor fault for writing all its
 * pages (@c), then 512 contiguous, aligned PFNs.  Returns the first PFN.
 */
static uint64_t expect_pmd(struct __test_metadata *_metadata, char *p, char c)
{
	const char *why;
	uint64_t pfn;

	EXPECT_TRUE(is_aligned(p)) {
		TH_LOG("mapping at %p is not 2 MiB aligned", p);
	}
	EXPECT_EQ(1, touch_write(p, HUGE, c));
	pfn = contiguous_pfns(p, HUGE / page_size(), &why);
	EXPECT_NE(0, pfn) {
		TH_LOG("%p: %s", p, why);
	}
	return pfn;
}

/* (1) An aligned mapping of a 4 MiB segment is mapped with two PMDs. */
TEST_F(huge, pmd_mapped)
{
	struct protshm_info info;
	char *p;
	size_t i;

	RETURN_IF_SKIPPED();

	p = map(self->fd, SEG_SIZE, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(0, expect_pmd(_metadata, p, 'a'));
	/* the second chunk by reading: one fault too, reads zero */
	ASSERT_EQ(1, touch_read(p + HUGE, HUGE));
	for (i = 0; i < HUGE; i += self->ps)
		ASSERT_EQ(0, p[HUGE + i]);
	for (i = 0; i < HUGE; i += self->ps)
		ASSERT_EQ('a', p[i]);
	/* both chunks are resident, counted page by page */
	ASSERT_EQ(0, ps_info(self->fd, &info, NULL));
	ASSERT_EQ(SEG_SIZE, info.resident);
	ASSERT_EQ(0, munmap(p, SEG_SIZE));
}

/*
 * (2) Control: a mapping at a misaligned address falls back to 4 KiB pages
 * and still reads and writes correctly; a chunk faulted that way is never
 * mapped huge later, while the untouched chunk still is.
 */
TEST_F(huge, unaligned_falls_back)
{
	size_t ps = self->ps;
	char *area, *a, *p, *q;
	const char *why;
	long faults;
	size_t i;

	RETURN_IF_SKIPPED();

	area = mmap(NULL, 3 * HUGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	a = (char *)(((uintptr_t)area + HUGE - 1) & ~(HUGE - 1));
	p = mmap(a + ps, HUGE, RW, MAP_SHARED | MAP_FIXED, self->fd, 0);
	ASSERT_EQ(a + ps, p);
	faults = touch_write(p, HUGE, 'u');
	ASSERT_LT(1, faults);
	ASSERT_EQ(0, contiguous_pfns(p, self->npages, &why));
	for (i = 0; i < HUGE; i += ps) {
		p[i + 1] = (char)(i / ps);
		ASSERT_EQ('u', p[i]);
	}

	/* a mapping that covers no whole 2 MiB of the segment: also 4 KiB */
	q = map(self->fd, HUGE - ps, RW, ps);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_LT(1, touch_read(q, HUGE - ps));
	for (i = 0; i + ps < HUGE; i += ps)
		ASSERT_EQ((char)(i / ps + 1), q[i + 1]);
	ASSERT_EQ(0, munmap(q, HUGE - ps));

	/* an aligned mapping sees the data; chunk 0 stays 4 KiB, 1 is huge */
	q = map(self->fd, SEG_SIZE, RW, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_TRUE(is_aligned(q));
	ASSERT_LT(1, touch_read(q, HUGE));
	for (i = 0; i < HUGE; i += ps) {
		ASSERT_EQ('u', q[i]);
		ASSERT_EQ((char)(i / ps), q[i + 1]);
	}
	ASSERT_NE(0, expect_pmd(_metadata, q + HUGE, 'h'));
	ASSERT_EQ(0, munmap(q, SEG_SIZE));
	ASSERT_EQ(0, munmap(area, 3 * HUGE));
}

/* (3) Two huge mappings of one chunk; RESTRICT_MAPPING one to READ. */
TEST_F(huge, per_vma)
{
	size_t ps = self->ps;
	char *a, *b;
	uint64_t pfn;
	char perms[5];
	const char *why;

	RETURN_IF_SKIPPED();

	a = map(self->fd, HUGE, RW, 0);
	ASSERT_NE(MAP_FAILED, a);
	b = map(self->fd, HUGE, RW, 0);
	ASSERT_NE(MAP_FAILED, b);
	pfn = expect_pmd(_metadata, a, 'a');
	ASSERT_NE(0, pfn);
	/* control: b is writable too, the same frames */
	ASSERT_EQ(1, touch_write(b, HUGE, 'b'));
	ASSERT_EQ(pfn, contiguous_pfns(b, self->npages, &why));
	ASSERT_EQ('b', a[HUGE - ps]);

	ASSERT_EQ(0, ps_restrict_mapping(self->fd, b, HUGE, PROTSHM_PROT_READ));
	ASSERT_STREQ("rw-s", maps_perms(a, perms));
	ASSERT_STREQ("r--s", maps_perms(b, perms));
	/* zapped: b refaults read-only, still with one PMD, same frames */
	ASSERT_EQ(1, touch_read(b, HUGE));
	ASSERT_EQ(pfn, contiguous_pfns(b, self->npages, &why));

	/* a write through b faults at its address and changes nothing */
	ASSERT_ACCERR(probe_write(b + 12345, 'X'), b + 12345);
	ASSERT_ACCERR(probe_write(b + HUGE - 1, 'X'), b + HUGE - 1);
	ASSERT_EQ(0, b[12345]);
	/* a write through a works and is visible through b */
	ASSERT_EQ(0, probe_write(a + 12345, 'A'));
	ASSERT_EQ(0, probe_read(b + 12345));
	ASSERT_EQ('A', b[12345]);
	ASSERT_EQ(pfn, contiguous_pfns(b, self->npages, &why));
	ASSERT_EQ(pfn, contiguous_pfns(a, self->npages, &why));
	ASSERT_ACCERR(probe_write(b + 7 * ps, 'X'), b + 7 * ps);
	ASSERT_EQ('b', a[7 * ps]);

	ASSERT_EQ(0, munmap(b, HUGE));
	ASSERT_EQ(0, munmap(a, HUGE));
}

/* The revoked child of revoke_other_process. */
static void __attribute__((noreturn))
revoked_child(const char *name, size_t ps, struct sync_pipe *s)
{
	volatile char *p;
	const char *why;
	uint64_t pfn;
	long faults;
	size_t i;
	int fd;

	close(s->to_parent[0]);
	close(s->to_child[1]);
	fd = ps_open();
	CHILD_ASSERT(fd >= 0);
	CHILD_ASSERT(ps_attach(fd, name, PROTSHM_PROT_RW) == 0);
	p = map(fd, SEG_SIZE, RW, 0);
	CHILD_ASSERT(p != MAP_FAILED);
	CHILD_ASSERT(is_aligned((void *)p));
	/* control: before the revoke every write works, PMDs now exist */
	faults = touch_write(p, SEG_SIZE, 'c');
	if (faults != 2)
		fprintf(stderr, "# child: %ld faults for 2 x 2 MiB\n", faults);
	CHILD_ASSERT(faults == 2);
	for (i = 0; i < SEG_SIZE; i += ps)
		p[i + 7] = 'w';
	pfn = contiguous_pfns((void *)p, HUGE / ps, &why);
	CHILD_ASSERT(pfn != 0);
	CHILD_ASSERT(write(s->to_parent[1], &pfn, sizeof(pfn)) == sizeof(pfn));

	CHILD_ASSERT(sync_recv(s->to_child[0]) == 'r');
	/* revoked: every write faults at its address, the data is intact */
	for (i = 0; i < SEG_SIZE; i += 64 * ps) {
		CHILD_ASSERT_ACCERR(probe_write(p + i + 7, 'x'), p + i + 7);
		CHILD_ASSERT(probe_read(p + i) == 0);
		CHILD_ASSERT(p[i] == 'c' && p[i + 7] == 'w');
	}
	CHILD_ASSERT_ACCERR(probe_write(p + SEG_SIZE - 1, 'x'),
			    p + SEG_SIZE - 1);
	CHILD_ASSERT(p[1] == 'P');
	CHILD_ASSERT(contiguous_pfns((void *)p, HUGE / ps, &why) == pfn);
	CHILD_ASSERT(mprotect((void *)p, ps, RW) == -1 && errno == EACCES);

	/* the parent keeps writing, the child keeps seeing it */
	CHILD_ASSERT(sync_send(s->to_parent[1], 'c') == 0);
	CHILD_ASSERT(sync_recv(s->to_child[0]) == 'n');
	CHILD_ASSERT(p[HUGE + 2] == 'N');
	CHILD_ASSERT(munmap((void *)p, SEG_SIZE) == 0);
	CHILD_ASSERT(close(fd) == 0);
	_exit(0);
}

/* (4) The owner revokes write from a process with huge mappings. */
TEST_F(huge, revoke_other_process)
{
	size_t ps = self->ps;
	struct sync_pipe s;
	uint64_t pfn = 0;
	const char *why;
	char *p;
	pid_t pid;
	size_t i;

	RETURN_IF_SKIPPED();

	ASSERT_EQ(0, sync_init(&s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		revoked_child(self->name, ps, &s);
	close(s.to_parent[1]);
	close(s.to_child[0]);

	ASSERT_EQ(sizeof(pfn), read(s.to_parent[0], &pfn, sizeof(pfn)));
	p = map(self->fd, SEG_SIZE, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(2, touch_read(p, SEG_SIZE));
	ASSERT_EQ(pfn, contiguous_pfns(p, self->npages, &why));

	ASSERT_EQ(0, ps_restrict(self->fd, pid, PROTSHM_PROT_READ, 0));
	ASSERT_EQ(0, probe_write(p + 1, 'P'));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'r'));
	ASSERT_EQ('c', sync_recv(s.to_parent[0]));
	ASSERT_EQ(0, probe_write(p + HUGE + 2, 'N'));
	ASSERT_EQ(0, sync_send(s.to_child[1], 'n'));
	ASSERT_CHILD_OK(pid);

	/* the child's faulting writes changed nothing */
	for (i = 0; i < SEG_SIZE; i += ps)
		ASSERT_EQ('w', p[i + 7]);
	ASSERT_EQ(0, munmap(p, SEG_SIZE));
	close(s.to_parent[0]);
	close(s.to_child[1]);
}

/*
 * (5) mprotect() of one page splits the PMD: that page faults, its
 * neighbours keep working; back up works unless the ceiling was lowered.
 */
TEST_F(huge, mprotect_one_page)
{
	size_t ps = self->ps;
	char *p, *q, *x = NULL;
	char perms[5];
	size_t i;

	RETURN_IF_SKIPPED();

	p = map(self->fd, HUGE, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(0, expect_pmd(_metadata, p, 'm'));
	x = p + 100 * ps;

	ASSERT_EQ(0, mprotect(x, ps, PROT_READ));
	ASSERT_STREQ("r--s", maps_perms(x, perms));
	ASSERT_ACCERR(probe_write(x + 5, 'X'), x + 5);
	ASSERT_EQ(0, probe_write(x - ps + 5, 'L'));
	ASSERT_EQ(0, probe_write(x + ps + 5, 'R'));
	ASSERT_EQ(0, probe_write(p, 'F'));
	ASSERT_EQ(0, probe_write(p + HUGE - 1, 'E'));
	for (i = ps; i < HUGE; i += ps)
		ASSERT_EQ('m', p[i]);
	ASSERT_EQ(0, x[5]);

	/* back up: the ceiling was not lowered, so it works */
	ASSERT_EQ(0, mprotect(x, ps, RW));
	ASSERT_EQ(0, probe_write(x + 5, 'Y'));
	ASSERT_EQ('Y', x[5]);

	/* a mapping whose ceiling was lowered cannot be raised */
	q = map(self->fd, HUGE, RW, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(1, touch_read(q, HUGE));
	ASSERT_EQ(0, ps_restrict_mapping(self->fd, q, HUGE, PROTSHM_PROT_READ));
	ASSERT_EQ(0, mprotect(q + 100 * ps, ps, PROT_READ));
	ASSERT_ERRNO(mprotect(q + 100 * ps, ps, RW), EACCES);
	ASSERT_ACCERR(probe_write(q + 100 * ps + 5, 'X'), q + 100 * ps + 5);
	ASSERT_ACCERR(probe_write(q + 5, 'X'), q + 5);
	ASSERT_EQ('Y', q[100 * ps + 5]);
	/* while p still can */
	ASSERT_EQ(0, mprotect(p, HUGE, PROT_READ));
	ASSERT_EQ(0, mprotect(p, HUGE, RW));
	ASSERT_EQ(0, probe_write(p + 5, 'Z'));
	ASSERT_EQ('Z', q[5]);
	ASSERT_EQ(0, munmap(q, HUGE));
	ASSERT_EQ(0, munmap(p, HUGE));
}

/*
 * A write to a present read-only PMD (read first, then mprotect() down and
 * up: the clean PMD stays read-only) makes it writable: still one fault.
 */
TEST_F(huge, write_after_mprotect_up)
{
	uint64_t pfn;
	const char *why;
	char *p;

	RETURN_IF_SKIPPED();

	p = map(self->fd, HUGE, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_TRUE(is_aligned(p));
	ASSERT_EQ(1, touch_read(p, HUGE));
	pfn = contiguous_pfns(p, self->npages, &why);
	ASSERT_NE(0, pfn) {
		TH_LOG("%s", why);
	}
	ASSERT_EQ(0, mprotect(p, HUGE, PROT_READ));
	ASSERT_ACCERR(probe_write(p + 3, 'X'), p + 3);
	ASSERT_EQ(0, mprotect(p, HUGE, RW));
	ASSERT_GE(1, touch_write(p, HUGE, 'w'));
	ASSERT_EQ(0, probe_write(p + 3, 'W'));
	ASSERT_EQ(pfn, contiguous_pfns(p, self->npages, &why));
	ASSERT_EQ('w', p[HUGE - page_size()]);
	ASSERT_EQ(0, munmap(p, HUGE));
}

/* (6) munmap() of the middle page of a huge mapping keeps the rest. */
TEST_F(huge, munmap_middle)
{
	size_t ps = self->ps, mid = HUGE / 2;
	char *p, *q;
	size_t i;

	RETURN_IF_SKIPPED();

	p = map(self->fd, HUGE, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(0, expect_pmd(_metadata, p, 'x'));
	for (i = 0; i < HUGE; i += ps)
		p[i + 1] = (char)(i / ps);

	ASSERT_EQ(0, probe_read(p + mid));	/* control */
	ASSERT_EQ(0, munmap(p + mid, ps));
	ASSERT_EQ(SIGSEGV, probe_read(p + mid));
	ASSERT_EQ(SEGV_MAPERR, probe_code);
	for (i = 0; i < HUGE; i += ps) {
		if (i == mid)
			continue;
		ASSERT_EQ('x', p[i]);
		ASSERT_EQ((char)(i / ps), p[i + 1]);
	}
	ASSERT_EQ(0, probe_write(p + mid - ps + 2, 'l'));
	ASSERT_EQ(0, probe_write(p + mid + ps + 2, 'r'));

	/* the unmapped page kept its data */
	q = map(self->fd, HUGE, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ('x', q[mid]);
	ASSERT_EQ((char)(mid / ps), q[mid + 1]);
	ASSERT_EQ('l', q[mid - ps + 2]);
	ASSERT_EQ('r', q[mid + ps + 2]);
	ASSERT_EQ(0, munmap(q, HUGE));
	ASSERT_EQ(0, munmap(p, mid));
	ASSERT_EQ(0, munmap(p + mid + ps, HUGE - mid - ps));
}

/* (7) A forked child reads the parent's huge mapping; both keep writing. */
TEST_F(huge, fork_child_reads)
{
	size_t ps = self->ps;
	char *p;
	pid_t pid;
	size_t i;

	RETURN_IF_SKIPPED();

	p = map(self->fd, SEG_SIZE, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(0, expect_pmd(_metadata, p, 'f'));
	ASSERT_NE(0, expect_pmd(_metadata, p + HUGE, 'g'));
	for (i = 0; i < SEG_SIZE; i += ps)
		p[i + 1] = (char)(i / ps);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		for (i = 0; i < SEG_SIZE; i += ps) {
			CHILD_ASSERT(p[i] == (i < HUGE ? 'f' : 'g'));
			CHILD_ASSERT(p[i + 1] == (char)(i / ps));
		}
		CHILD_ASSERT(probe_write(p + HUGE + 3, 'C') == 0);
		_exit(0);
	}
	ASSERT_CHILD_OK(pid);
	ASSERT_EQ('C', p[HUGE + 3]);
	ASSERT_GE(2, touch_write(p, SEG_SIZE, 'P'));
	ASSERT_EQ((char)(HUGE / ps - 1), p[HUGE - ps + 1]);
	ASSERT_EQ(0, munmap(p, SEG_SIZE));
}

/*
 * (8) A 4 KiB fault that finds a PMD installed meanwhile by a 2 MiB fault
 * of the same range (one thread took the 2 MiB path, the other fell back:
 * it saw the chunk half installed, or THP disabled) gets no PTE there.  It
 * must let the access retry, which finds the PMD; VM_FAULT_OOM instead
 * makes the kernel log "Huh VM_FAULT_OOM leaked out to the #PF handler".
 *
 * Two threads race, with random delays, the first writes to every 2 MiB
 * of fresh mappings of a segment whose chunks exist, while a third thread
 * switches THP between "never" and its mode, so that often one fault takes
 * the 2 MiB path and the other the 4 KiB one (racing first touches of
 * chunks being allocated alone almost never falls back under QEMU TCG).
 * The 2 MiB size is set to "always" meanwhile, so that the switch does not
 * start and stop khugepaged each time, which makes it too slow to race;
 * both settings are restored.  Runs PROTSHM_RACE_SECONDS (default 20 s) or
 * until the message appears; every write must land.
 */
#define RACE_CHUNKS	32
#define RACE_DELAY_NS	100000
#define OOM_LEAKED	"VM_FAULT_OOM leaked"

struct fault_race {
	pthread_barrier_t round;	/* the test and both faulting threads */
	pthread_barrier_t chunk;	/* the two faulting threads */
	char *volatile p;		/* the round's mapping; NULL: stop */
	volatile char val;		/* the round's value */
	volatile int stop;		/* stop switching THP */
	char thp_mode[16];		/* THP's mode before the test */
};

struct race_thread {
	struct fault_race *r;
	int id;				/* 1 or 2: writes at offset id * 64 */
	unsigned int seed;
	pthread_t th;
};

/* The selected word of a THP setting ("[always] madvise never"), or "". */
static const char *thp_mode(const char *path, char *buf, size_t len)
{
	char line[128], *l, *r;

	buf[0] = 0;
	l = strchr(read_line(path, line, sizeof(line)), '[');
	r = l ? strchr(l, ']') : NULL;
	if (r && (size_t)(r - l - 1) < len) {
		memcpy(buf, l + 1, r - l - 1);
		buf[r - l - 1] = 0;
	}
	return buf;
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static void *race_fault(void *arg)
{
	struct race_thread *t = arg;
	struct fault_race *r = t->r;
	volatile char *p;
	uint64_t until;
	int c;

	for (;;) {
		pthread_barrier_wait(&r->round);
		p = r->p;
		if (!p)
			return NULL;
		for (c = 0; c < RACE_CHUNKS; c++) {
			pthread_barrier_wait(&r->chunk);
			until = now_ns() + rand_r(&t->seed) % RACE_DELAY_NS;
			while (now_ns() < until)
				;
			p[c * HUGE + t->id * 64] = r->val;
		}
		pthread_barrier_wait(&r->round);
	}
}

static void *race_switch_thp(void *arg)
{
	struct fault_race *r = arg;

	while (!r->stop) {
		write_str(THP_ENABLED, "never");
		write_str(THP_ENABLED, r->thp_mode);
	}
	return NULL;
}

/* Has the kernel logged @what since /dev/kmsg (@fd) was last read? */
static int kmsg_has(int fd, const char *what)
{
	char rec[1024];
	int found = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* records were overwritten */
			continue;
		if (n <= 0)
			return found;
		rec[n] = 0;
		if (strstr(rec, what))
			found = 1;
	}
}

/* One round: map @fd, let both threads write every chunk; bad writes. */
static int race_round(struct fault_race *r, int fd, char val)
{
	size_t size = RACE_CHUNKS * HUGE;
	int bad = 0, c, id;
	char *p = map(fd, size, RW, 0);

	if (p == MAP_FAILED)
		return -1;
	r->val = val;
	r->p = p;
	pthread_barrier_wait(&r->round);	/* go */
	pthread_barrier_wait(&r->round);	/* all written */
	for (c = 0; c < RACE_CHUNKS; c++)
		for (id = 1; id <= 2; id++)
			bad += p[c * HUGE + id * 64] != val;
	munmap(p, size);
	return bad;
}

TEST_F_TIMEOUT(huge, fault_race_no_oom, PROTSHM_TIMEOUT)
{
	const char *env = getenv("PROTSHM_RACE_SECONDS");
	size_t size = RACE_CHUNKS * HUGE;
	struct race_thread t[2];
	struct fault_race r;
	char name[PROTSHM_NAME_MAX], pmd_mode[16];
	int fd, kmsg, i, bad = 0, leaked = 0, rounds = 0;
	uint64_t start, end;
	pthread_t sw;
	char *p;

	RETURN_IF_SKIPPED();
	if (geteuid())
		SKIP(return, "needs root to switch THP and read /dev/kmsg");
	memset(&r, 0, sizeof(r));
	thp_mode(THP_ENABLED, r.thp_mode, sizeof(r.thp_mode));
	ASSERT_NE(0, r.thp_mode[0]);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, kmsg);
	ASSERT_LE(0, lseek(kmsg, 0, SEEK_END));
	fd = ps_new(ps_name(name, sizeof(name), "race"), size);
	ASSERT_LE(0, fd);
	/* control: every chunk is allocated and mapped with one PMD */
	p = map(fd, size, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < RACE_CHUNKS; i++)
		ASSERT_NE(0, expect_pmd(_metadata, p + i * HUGE, 'c'));
	ASSERT_EQ(0, munmap(p, size));

	thp_mode(THP_PMD_ENABLED, pmd_mode, sizeof(pmd_mode));
	if (pmd_mode[0])
		ASSERT_EQ(0, write_str(THP_PMD_ENABLED, "always"));
	ASSERT_EQ(0, pthread_barrier_init(&r.round, NULL, 3));
	ASSERT_EQ(0, pthread_barrier_init(&r.chunk, NULL, 2));
	for (i = 0; i < 2; i++) {
		t[i] = (struct race_thread){ .r = &r, .id = i + 1,
					     .seed = getpid() + i };
		ASSERT_EQ(0, pthread_create(&t[i].th, NULL, race_fault, &t[i]));
	}
	ASSERT_EQ(0, pthread_create(&sw, NULL, race_switch_thp, &r));
	start = now_ns();
	end = start + (env && atof(env) > 0 ? atof(env) : 20) * 1e9;
	while (!bad && !leaked && now_ns() < end) {
		bad = race_round(&r, fd, 'a' + rounds % 26);
		leaked = kmsg_has(kmsg, OOM_LEAKED);
		rounds++;
	}
	r.p = NULL;
	pthread_barrier_wait(&r.round);		/* stop */
	r.stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(t[i].th, NULL);
	pthread_join(sw, NULL);
	EXPECT_EQ(0, write_str(THP_ENABLED, r.thp_mode));
	if (pmd_mode[0])
		EXPECT_EQ(0, write_str(THP_PMD_ENABLED, pmd_mode));
	TH_LOG("%d rounds of %d chunks in %.1f s, THP %s, 2 MiB size %s",
	       rounds, RACE_CHUNKS, (now_ns() - start) / 1e9, r.thp_mode,
	       pmd_mode[0] ? pmd_mode : "(none)");
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, leaked) {
		TH_LOG("the kernel log says \"%s\": a 4 KiB fault returned VM_FAULT_OOM",
		       OOM_LEAKED);
	}
	ASSERT_EQ(0, pthread_barrier_destroy(&r.chunk));
	ASSERT_EQ(0, pthread_barrier_destroy(&r.round));
	ASSERT_EQ(0, ps_unlink(fd));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, close(kmsg));
}

TEST_HARNESS_MAIN
