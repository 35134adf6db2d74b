// SPDX-License-Identifier: GPL-2.0
/*
 * RESTRICT: lowering a process's ceiling on a segment, with its mappings
 * and, on request, its descendants' (PROTSHM_IOC_RESTRICT and the netlink
 * command), and lowering a range of current's own mappings
 * (PROTSHM_IOC_RESTRICT_MAPPING).
 *
 * This file is the algorithm: the order of the steps and the locks each
 * takes.  The ceilings are attach.c's (protshm_attach_*()), the VMAs and
 * PTEs mmap.c's (protshm_vmas_restrict_locked(),
 * protshm_range_restrict_locked()).
 *
 * The ceiling goes first, so every mapping made after it, in any address
 * space, is within it; the mappings made before are in the address space
 * the process used then, which is restricted under its mmap_lock held for
 * writing (the outer lock), then seg->lock.  If the process execs
 * meanwhile, its new address space is restricted too, until the one
 * restricted is still the process's own afterwards.  Zapping the PTEs
 * flushes the TLBs before the operation returns.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include "compat.h"
#include "internal.h"

static atomic64_t protshm_next_restrict_gen = ATOMIC64_INIT(0);

/*
 * Restrict the address space @a's process uses now to @a's ceiling.
 * Return: 1 if done (the process still used it once its mappings were
 * restricted, or it has none), 0 if the process moved to another address
 * space meanwhile (execve()), -EINTR.
 */
static int protshm_restrict_mm(struct protshm_seg *seg,
			       struct protshm_attachment *a)
{
	struct mm_struct *mm = protshm_attach_mm(a);
	int done;
	u32 prot;

	if (!mm)
		return 1;
	if (mmap_write_lock_killable(mm)) {
		mmput(mm);
		return -EINTR;
	}
	mutex_lock(&seg->lock);
	prot = protshm_mm_restrict_locked(a, mm);
	protshm_vmas_restrict_locked(seg, mm, prot);
	done = protshm_attach_uses_mm_locked(a, mm);
	mutex_unlock(&seg->lock);
	mmap_write_unlock(mm);
	mmput(mm);
	return done;
}

/*
 * Lower one attachment's ceiling to (ceiling & prot), then every mapping of
 * the segment in its process's address space (see the top of this file).
 */
static int protshm_restrict_one(struct protshm_seg *seg,
				struct protshm_attachment *a, u32 prot, u64 gen)
{
	int done;

	protshm_attach_restrict(a, prot, gen);
	do {
		if (fatal_signal_pending(current))
			return -EINTR;
		done = protshm_restrict_mm(seg, a);
	} while (!done);
	return done < 0 ? done : 0;
}

/*
 * The descendants of the attachment @target_id, in one walk by id (see
 * protshm_attach_next_descendant()): each attachment is visited once.
 */
static int protshm_restrict_descendants(struct protshm_seg *seg, u64 target_id,
					u32 prot, u64 gen)
{
	u64 pos = target_id;
	struct protshm_attachment *a;
	int err = 0;

	while (!err && (a = protshm_attach_next_descendant(seg, gen, &pos))) {
		err = protshm_restrict_one(seg, a, prot, gen);
		protshm_attach_put(a);
	}
	return err;
}

/**
 * protshm_restrict_pid() - lower the ceiling of process @pid on @seg
 * @seg: the segment
 * @pid: the process (its thread group's pid)
 * @prot: new ceiling = old ceiling & @prot
 * @flags: PROTSHM_RESTRICT_DESCENDANTS or 0
 *
 * When this returns 0, no thread of the target can access the segment
 * beyond the new ceiling through any of its mappings.  On -EINTR the
 * target's ceiling may be lowered already, its mappings or its descendants
 * not yet: the same call again finishes the job.
 *
 * Context: process context; no protshm lock held; takes mmap_lock, then
 * seg->lock, then the wait bucket locks (waiters recheck their rights).
 * Return: 0, -ESRCH (no such process, or not attached, or still being
 * forked), -EPERM (another process and current is not the owner), -EINTR
 * (fatal signal).
 */
int protshm_restrict_pid(struct protshm_seg *seg, struct pid *pid, u32 prot,
			 u32 flags)
{
	u64 gen = atomic64_inc_return(&protshm_next_restrict_gen);
	struct protshm_attachment *a;
	struct task_struct *task;
	u64 id;
	int err;

	task = get_pid_task(pid, PIDTYPE_TGID);
	if (!task)
		return -ESRCH;
	if (!same_thread_group(task, current) && !protshm_seg_is_owner(seg)) {
		put_task_struct(task);
		return -EPERM;
	}
	a = protshm_attach_get(seg, task);
	put_task_struct(task);
	if (!a)
		return -ESRCH;
	id = a->id;
	err = protshm_restrict_one(seg, a, prot, gen);
	protshm_attach_put(a);
	if (!err && (flags & PROTSHM_RESTRICT_DESCENDANTS))
		err = protshm_restrict_descendants(seg, id, prot, gen);
	/* also after -EINTR: a ceiling may be lowered already */
	protshm_wait_restricted(seg);
	return err;
}

/**
 * protshm_restrict_mapping() - lower current's own mappings of @seg
 * @seg: the segment
 * @addr: start of the range
 * @len: length of the range
 * @prot: the mappings' rights are intersected with @prot
 *
 * Context: process context; no protshm lock held; takes current's
 * mmap_lock.
 * Return: 0, -EINVAL (range not exactly covered by mappings of @seg),
 * -EINTR.
 */
int protshm_restrict_mapping(struct protshm_seg *seg, unsigned long addr,
			     unsigned long len, u32 prot)
{
	struct mm_struct *mm = current->mm;
	unsigned long end = addr + len;
	int err;

	if (!len || end < addr || !PAGE_ALIGNED(addr) || !PAGE_ALIGNED(len))
		return -EINVAL;
	if (mmap_write_lock_killable(mm))
		return -EINTR;
	err = protshm_range_restrict_locked(mm, seg, addr, end, prot);
	mmap_write_unlock(mm);
	return err;
}

/* The process a pidfd of current refers to (counted), or ERR_PTR(-EBADF). */
static struct pid *protshm_pidfd_get(int fd)
{
	struct file *file = fget(fd);
	struct pid *pid;

	if (!file)
		return ERR_PTR(-EBADF);
	pid = get_pid(protshm_file_pid(file));
	fput(file);
	return pid ?: ERR_PTR(-EBADF);
}

/**
 * protshm_target_pid() - the process a RESTRICT request names
 * @id: a pid number in current's pid namespace (0: current), or a pidfd
 * @pidfd: @id is a file descriptor of current, a pidfd
 *
 * Context: process context; no lock needed.
 * Return: the struct pid (counted), ERR_PTR(-ESRCH) if there is no such
 * process, or ERR_PTR(-EBADF) if @id is not a pidfd.
 */
struct pid *protshm_target_pid(u32 id, bool pidfd)
{
	struct pid *pid;

	if (pidfd)
		return protshm_pidfd_get(id);
	pid = id ? find_get_pid(id) : get_pid(task_tgid(current));
	return pid ?: ERR_PTR(-ESRCH);
}
