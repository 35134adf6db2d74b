// SPDX-License-Identifier: GPL-2.0
/*
 * B12: moving a write lease vs RESTRICT of one process.
 *
 * Both take write access from one process that has the whole segment
 * mapped and written (every PTE present and writable): the lease move zaps
 * the old holder's PTEs of a PROTSHM_CREATE_LEASE segment, RESTRICT (RW ->
 * READ) those of its target on an ordinary segment.  Per repetition and
 * case, a fresh child attaches by name, maps the segment, and (for the
 * lease, once the owner moved the lease to it) writes every page; then the
 * owner times one ioctl: PROTSHM_IOC_LEASE back to itself, or
 * PROTSHM_IOC_RESTRICT of the child.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

enum { B12_LEASE, B12_RESTRICT, B12_NR };

static const char *const b12_impl[B12_NR] = {
	"protshm-lease", "protshm-restrict",
};

/*
 * The child: attach, map, say 'r'; on 'w' write every page and say 'd';
 * exit on EOF.  @other_ends: the owner's ends of the two pipes.
 */
static void __attribute__((noreturn)) b12_child(const char *name, int cmd,
						int rep, int other_ends[2])
{
	struct protshm *shm;
	char c = 'r';
	void *p;

	close(other_ends[0]);	/* else the owner's close is no EOF */
	close(other_ends[1]);
	if (protshm_attach(name, PROTSHM_PROT_RW, &shm) ||
	    protshm_map(shm, 0, cfg.size, PROT_READ | PROT_WRITE, &p) ||
	    write(rep, &c, 1) != 1)
		_exit(1);
	while (read(cmd, &c, 1) == 1) {
		touch_write(p, cfg.size, cfg.page);
		c = 'd';
		if (write(rep, &c, 1) != 1)
			_exit(1);
	}
	_exit(0);
}

/* Ask the child to write every page; 0 once it did. */
static int b12_touch(int cmd, int rep)
{
	char c = 'w';

	return write(cmd, &c, 1) == 1 && read(rep, &c, 1) == 1 && c == 'd' ?
	       0 : -1;
}

/* One timed ioctl of case @what against a fresh child; ns or -1. */
static double b12_once(int what, struct protshm *shm, const char *name)
{
	int cmd[2], rep[2], err = -1;
	double t0 = 0, t1 = 0;
	pid_t pid;
	char c;

	if (pipe2(cmd, O_CLOEXEC) || pipe2(rep, O_CLOEXEC))
		return -1;
	pid = fork();
	if (!pid)
		b12_child(name, cmd[0], rep[1], (int[2]){ cmd[1], rep[0] });
	close(cmd[0]);
	close(rep[1]);
	if (pid < 0 || read(rep[0], &c, 1) != 1)
		goto out;
	if (what == B12_LEASE && ps_err(protshm_lease_move(shm, pid, 0)))
		goto out;
	if (b12_touch(cmd[1], rep[0]))
		goto out;
	t0 = now_ns();
	err = ps_err(what == B12_LEASE ? protshm_lease_move(shm, 0, 0) :
		     protshm_restrict(shm, pid, PROTSHM_PROT_READ, 0));
	t1 = now_ns();
out:
	close(cmd[1]);
	close(rep[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return err ? -1 : t1 - t0;
}

int bench_b12(void)
{
	struct protshm *shm[B12_NR] = { NULL };
	char names[B12_NR][64];
	int what, rep, err = 0;
	double ns;

	row_add("B12", "take write access from 1 process", "time/op (us)",
		"op_us", b12_impl[B12_LEASE], b12_impl[B12_RESTRICT],
		GOAL_RATIO_LE, 1.0, "<= 1.0x");
	if (!cfg.have_protshm)
		return 0;
	progress("B12: lease move vs restrict, %d repetitions\n", cfg.reps);
	for (what = 0; what < B12_NR; what++) {
		ps_unique_name(names[what], sizeof(names[what]), "b12");
		err = protshm_create_flags(names[what], cfg.size, 0600,
					   PROTSHM_PROT_RW, what == B12_LEASE ?
					   PROTSHM_CREATE_LEASE : 0, &shm[what]);
		if (ps_err(err)) {
			fail("B12: create: %m\n");
			err = -1;
			break;
		}
	}
	for (rep = 0; !err && rep < cfg.reps; rep++) {
		for (what = 0; what < B12_NR; what++) {
			int w = (what + rep) % B12_NR;	/* interleaved */

			ns = b12_once(w, shm[w], names[w]);
			if (ns < 0) {
				fail("B12 %s: %m\n", b12_impl[w]);
				err = -1;
				break;
			}
			metric_add("B12", b12_impl[w], "op_us", "us", ns / 1e3);
		}
	}
	for (what = 0; what < B12_NR; what++) {
		if (!shm[what])
			continue;
		protshm_unlink(shm[what]);
		protshm_close(shm[what]);
	}
	return err;
}
