// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl dispatch and argument validation.
 *
 * Every argument struct starts with its size and is copied once with
 * copy_struct_from_user(); all checks run on the kernel copy.  No protshm
 * lock is held while user memory is accessed.
 */
#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "compat.h"
#include "internal.h"

/*
 * Copy a size-prefixed struct.  @ksize is the first (and so far only) ABI
 * version's size: smaller is -EINVAL, larger needs zeroes beyond it (else
 * -E2BIG), and a size that changed between the two reads is -EINVAL.
 */
static int protshm_copy_in(void *karg, size_t ksize, const void __user *uarg)
{
	u32 usize;
	int err;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < ksize)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	err = copy_struct_from_user(karg, ksize, uarg, usize);
	if (err)
		return err;
	return *(u32 *)karg == usize ? 0 : -EINVAL;
}

/* ASCII only: the kernel's isalnum() also accepts Latin-1 letters. */
static bool protshm_name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* Copy and validate a segment name: 1-63 bytes of [A-Za-z0-9._-], no '.' first. */
static int protshm_copy_name(char *name, u64 uptr)
{
	long len = strncpy_from_user(name, u64_to_user_ptr(uptr),
				     PROTSHM_NAME_MAX);
	long i;

	if (len < 0)
		return len;
	if (len == 0 || len >= PROTSHM_NAME_MAX || name[0] == '.')
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!protshm_name_char_ok(name[i]))
			return -EINVAL;
	return 0;
}

/*
 * Context: pf->bind_lock held.  On success the file takes over the caller's
 * segment reference; on failure the caller keeps it.
 */
static int protshm_bind_locked(struct protshm_file *pf, struct protshm_seg *seg,
			       u32 prot)
{
	struct protshm_attachment *a = protshm_attach_current(seg);

	lockdep_assert_held(&pf->bind_lock);
	if (IS_ERR(a))
		return PTR_ERR(a);
	pf->rights = prot;
	pf->origin = a;
	/* publish: pairs with smp_load_acquire() in protshm_ioctl()/_mmap() */
	smp_store_release(&pf->seg, seg);
	return 0;
}

static int protshm_ioc_create(struct protshm_file *pf, void __user *uarg)
{
	char name[PROTSHM_NAME_MAX];
	struct protshm_create c;
	struct protshm_seg *seg;
	int err;

	err = protshm_copy_in(&c, sizeof(c), uarg);
	if (err)
		return err;
	if ((c.flags & ~PROTSHM_CREATE_LEASE) || (c.mode & ~0777) ||
	    !protshm_prot_valid(c.prot) || !c.seg_size || !PAGE_ALIGNED(c.seg_size))
		return -EINVAL;
	if (c.seg_size > READ_ONCE(protshm_max_seg_bytes))
		return -E2BIG;
	err = protshm_copy_name(name, c.name);
	if (err)
		return err;
	mutex_lock(&pf->bind_lock);
	err = -EBUSY;
	if (pf->seg)
		goto out;
	err = protshm_seg_create(name, c.seg_size, c.mode, c.flags, &seg);
	if (err)
		goto out;
	err = protshm_bind_locked(pf, seg, c.prot);
	if (err) {
		protshm_seg_unlink(seg);
		protshm_seg_put(seg);
	}
out:
	mutex_unlock(&pf->bind_lock);
	return err;
}

/*
 * The rights the mode must grant to bind with @prot: binding at all shows
 * the segment's metadata and keeps it alive, so it needs read permission
 * unless the caller owns the segment.
 */
static u32 protshm_bind_needs(const struct protshm_seg *seg, u32 prot)
{
	if (prot == PROTSHM_PROT_NONE && !protshm_seg_is_owner(seg))
		return PROTSHM_PROT_READ;
	return prot;
}

static int protshm_ioc_attach(struct protshm_file *pf, void __user *uarg)
{
	char name[PROTSHM_NAME_MAX];
	struct protshm_attach a;
	struct protshm_seg *seg;
	int err;

	err = protshm_copy_in(&a, sizeof(a), uarg);
	if (err)
		return err;
	if (a.flags || a.__reserved || !protshm_prot_valid(a.prot))
		return -EINVAL;
	err = protshm_copy_name(name, a.name);
	if (err)
		return err;
	mutex_lock(&pf->bind_lock);
	err = -EBUSY;
	if (pf->seg)
		goto out;
	err = -ENOENT;
	seg = protshm_seg_lookup(name);
	if (!seg)
		goto out;
	err = protshm_seg_permission(seg, protshm_bind_needs(seg, a.prot));
	if (!err)
		err = protshm_bind_locked(pf, seg, a.prot);
	if (err)
		protshm_seg_put(seg);
out:
	mutex_unlock(&pf->bind_lock);
	return err;
}

static void protshm_fill_info(struct protshm_file *pf, struct protshm_info *i)
{
	struct protshm_seg *seg = pf->seg;

	i->size = sizeof(*i);
	i->flags = 0;
	i->id = seg->id;
	i->seg_size = seg->size;
	i->uid = from_kuid_munged(current_user_ns(), seg->uid);
	i->gid = from_kgid_munged(current_user_ns(), seg->gid);
	i->mode = seg->mode;
	i->ceiling = protshm_ceiling_current(seg);
	i->fd_prot = pf->rights;
	i->nr_attachments = protshm_nr_attachments(seg);
	i->resident = (u64)atomic_long_read(&seg->nr_resident) << PAGE_SHIFT;
	i->seg_flags = protshm_seg_unlinked(seg) ? PROTSHM_INFO_UNLINKED : 0;
	i->__reserved = 0;
}

static int protshm_ioc_info(struct protshm_file *pf, void __user *uarg)
{
	struct protshm_info info;
	u32 usize;
	u64 uname;
	int err;

	err = protshm_copy_in(&info, sizeof(info), uarg);
	if (err)
		return err;
	if (info.flags)
		return -EINVAL;
	usize = info.size;
	uname = info.name;
	protshm_fill_info(pf, &info);
	if (uname && copy_to_user(u64_to_user_ptr(uname), pf->seg->name,
				  PROTSHM_NAME_MAX))
		return -EFAULT;
	if (copy_to_user(uarg, &info, min_t(u32, usize, sizeof(info))))
		return -EFAULT;
	return 0;
}

static int protshm_ioc_restrict(struct protshm_file *pf, void __user *uarg)
{
	struct protshm_restrict r;
	struct pid *pid;
	int err;

	err = protshm_copy_in(&r, sizeof(r), uarg);
	if (err)
		return err;
	if ((r.flags & ~(PROTSHM_RESTRICT_DESCENDANTS | PROTSHM_RESTRICT_PIDFD)) ||
	    r.pid > INT_MAX || !protshm_prot_valid(r.prot))
		return -EINVAL;
	pid = protshm_target_pid(r.pid, r.flags & PROTSHM_RESTRICT_PIDFD);
	if (IS_ERR(pid))
		return PTR_ERR(pid);
	err = protshm_restrict_pid(pf->seg, pid, r.prot,
				   r.flags & PROTSHM_RESTRICT_DESCENDANTS);
	put_pid(pid);
	return err;
}

static int protshm_ioc_restrict_mapping(struct protshm_file *pf,
					void __user *uarg)
{
	struct protshm_restrict_mapping r;
	int err;

	err = protshm_copy_in(&r, sizeof(r), uarg);
	if (err)
		return err;
	if (r.flags || r.__reserved || !protshm_prot_valid(r.prot) ||
	    r.addr > ULONG_MAX || r.len > ULONG_MAX)
		return -EINVAL;
	return protshm_restrict_mapping(pf->seg, r.addr, r.len, r.prot);
}

static int protshm_ioc_lease(struct protshm_file *pf, void __user *uarg)
{
	struct protshm_lease l;
	struct pid *pid;
	int err;

	err = protshm_copy_in(&l, sizeof(l), uarg);
	if (err)
		return err;
	if ((l.flags & ~PROTSHM_LEASE_PIDFD) || l.__reserved || l.pid > INT_MAX)
		return -EINVAL;
	pid = protshm_target_pid(l.pid, l.flags & PROTSHM_LEASE_PIDFD);
	if (IS_ERR(pid))
		return PTR_ERR(pid);
	err = protshm_lease_move(pf->seg, pid);
	put_pid(pid);
	return err;
}

static int protshm_ioc_unlink(struct protshm_file *pf)
{
	if (!protshm_seg_is_owner(pf->seg))
		return -EPERM;
	return protshm_seg_unlink(pf->seg);
}

/* Is @offset that of an aligned 32-bit word of the segment? */
static bool protshm_word_valid(struct protshm_file *pf, u64 offset)
{
	return IS_ALIGNED(offset, sizeof(u32)) && offset < pf->seg->size;
}

static int protshm_ioc_wait(struct protshm_file *pf, void __user *uarg)
{
	struct protshm_wait w;
	ktime_t deadline;
	int err;

	err = protshm_copy_in(&w, sizeof(w), uarg);
	if (err)
		return err;
	if ((w.flags & ~PROTSHM_WAIT_DEADLINE) || w.__reserved ||
	    !protshm_word_valid(pf, w.offset))
		return -EINVAL;
	if (!(w.flags & PROTSHM_WAIT_DEADLINE)) {
		if (w.timeout)
			return -EINVAL;
		return protshm_wait(pf, w.offset, w.expected, NULL);
	}
	deadline = w.timeout > KTIME_MAX ? KTIME_MAX : (ktime_t)w.timeout;
	return protshm_wait(pf, w.offset, w.expected, &deadline);
}

static int protshm_ioc_wake(struct protshm_file *pf, void __user *uarg)
{
	struct protshm_wake w;
	int err;

	err = protshm_copy_in(&w, sizeof(w), uarg);
	if (err)
		return err;
	if (w.flags || w.__reserved || !protshm_word_valid(pf, w.offset))
		return -EINVAL;
	return protshm_wake(pf, w.offset, min_t(u32, w.count, INT_MAX));
}

/* Commands that need a bound file. */
static long protshm_ioctl_bound(struct protshm_file *pf, unsigned int cmd,
				void __user *uarg)
{
	switch (cmd) {
	case PROTSHM_IOC_INFO:
		return protshm_ioc_info(pf, uarg);
	case PROTSHM_IOC_RESTRICT:
		return protshm_ioc_restrict(pf, uarg);
	case PROTSHM_IOC_RESTRICT_MAPPING:
		return protshm_ioc_restrict_mapping(pf, uarg);
	case PROTSHM_IOC_UNLINK:
		return protshm_ioc_unlink(pf);
	case PROTSHM_IOC_WAIT:
		return protshm_ioc_wait(pf, uarg);
	case PROTSHM_IOC_WAKE:
		return protshm_ioc_wake(pf, uarg);
	case PROTSHM_IOC_LEASE:
		return protshm_ioc_lease(pf, uarg);
	default:
		return -ENOTTY;
	}
}

/**
 * protshm_ioctl() - f_op->unlocked_ioctl of /dev/protshm
 * @file: the file
 * @cmd: PROTSHM_IOC_*
 * @arg: user pointer to the command's struct
 *
 * Context: process context; no lock held.
 * Return: 0 or the ABI version on success, -ENOTTY for unknown commands,
 * -EBADFD for commands that need a bound file on an unbound one, or the
 * command's error.
 */
long protshm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct protshm_file *pf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case PROTSHM_IOC_VERSION:
		return PROTSHM_ABI_VERSION;
	case PROTSHM_IOC_CREATE:
		return protshm_ioc_create(pf, uarg);
	case PROTSHM_IOC_ATTACH:
		return protshm_ioc_attach(pf, uarg);
	case PROTSHM_IOC_INFO:
	case PROTSHM_IOC_RESTRICT:
	case PROTSHM_IOC_RESTRICT_MAPPING:
	case PROTSHM_IOC_UNLINK:
	case PROTSHM_IOC_WAIT:
	case PROTSHM_IOC_WAKE:
	case PROTSHM_IOC_LEASE:
		/* pairs with smp_store_release() in protshm_bind_locked() */
		if (!smp_load_acquire(&pf->seg))
			return -EBADFD;
		return protshm_ioctl_bound(pf, cmd, uarg);
	default:
		return -ENOTTY;
	}
}

#define PROTSHM_CHECK_FIELD(type, field, offset)			\
	BUILD_BUG_ON(offsetof(struct type, field) != (offset))

/**
 * protshm_check_abi() - the uapi layout must not change by accident
 *
 * Context: module init; no lock needed (compile-time checks).
 */
void protshm_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct protshm_create) != 32);
	PROTSHM_CHECK_FIELD(protshm_create, prot, 28);
	BUILD_BUG_ON(sizeof(struct protshm_attach) != 24);
	PROTSHM_CHECK_FIELD(protshm_attach, __reserved, 20);
	BUILD_BUG_ON(sizeof(struct protshm_info) != 72);
	PROTSHM_CHECK_FIELD(protshm_info, resident, 56);
	PROTSHM_CHECK_FIELD(protshm_info, __reserved, 68);
	BUILD_BUG_ON(sizeof(struct protshm_restrict) != 16);
	PROTSHM_CHECK_FIELD(protshm_restrict, prot, 12);
	BUILD_BUG_ON(sizeof(struct protshm_restrict_mapping) != 32);
	PROTSHM_CHECK_FIELD(protshm_restrict_mapping, __reserved, 28);
	BUILD_BUG_ON(sizeof(struct protshm_wait) != 32);
	PROTSHM_CHECK_FIELD(protshm_wait, timeout, 24);
	BUILD_BUG_ON(sizeof(struct protshm_wake) != 24);
	PROTSHM_CHECK_FIELD(protshm_wake, __reserved, 20);
	BUILD_BUG_ON(sizeof(struct protshm_lease) != 16);
	PROTSHM_CHECK_FIELD(protshm_lease, __reserved, 12);
	BUILD_BUG_ON(sizeof(struct protshm_event) != 40);
	PROTSHM_CHECK_FIELD(protshm_event, seq, 24);
	PROTSHM_CHECK_FIELD(protshm_event, time_ns, 32);
}
