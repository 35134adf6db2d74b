// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/protshm misc device and its file operations.
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "compat.h"
#include "protshm.h"

static int protshm_open(struct inode *inode, struct file *file)
{
	struct protshm_file *pf = kzalloc(sizeof(*pf), GFP_KERNEL_ACCOUNT);

	if (!pf)
		return -ENOMEM;
	mutex_init(&pf->bind_lock);
	file->private_data = pf;
	return 0;
}

static int protshm_release(struct inode *inode, struct file *file)
{
	struct protshm_file *pf = file->private_data;

	if (pf->seg) {
		protshm_attach_put(pf->origin);
		protshm_ns_released(pf->seg);
		protshm_seg_put(pf->seg);
	}
	kfree(pf);
	return 0;
}

static const struct file_operations protshm_fops = {
	.owner = THIS_MODULE,
	.open = protshm_open,
	.release = protshm_release,
	.mmap = protshm_mmap,
#ifdef PROTSHM_HUGE
	/* vm_start = pgoff mod 2 MiB where possible, for PMD mappings */
	.get_unmapped_area = thp_get_unmapped_area,
#endif
	.unlocked_ioctl = protshm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice protshm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "protshm",
	.fops = &protshm_fops,
	.mode = 0666,	/* access control is per segment */
};

/**
 * protshm_dev_init() - register /dev/protshm
 *
 * Return: 0 or a negative errno.
 */
int protshm_dev_init(void)
{
	return misc_register(&protshm_misc);
}

/**
 * protshm_dev_exit() - unregister /dev/protshm
 */
void protshm_dev_exit(void)
{
	misc_deregister(&protshm_misc);
}
