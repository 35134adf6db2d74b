// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/protshm misc device and its file operations.
 */
#include <linux/compat.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "compat.h"
#include "internal.h"

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
	.read = protshm_notify_read,
	.poll = protshm_notify_poll,
	.get_unmapped_area = PROTSHM_GET_UNMAPPED_AREA,
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

/* debugfs directory "protshm" (diagnostics only, no ABI) */
static struct dentry *protshm_debugfs;

/*
 * debugfs protshm/dev_mmap_writable: the count of writable shared mappings
 * (i_mmap_writable) the kernel keeps on the inode of /dev/protshm, as the
 * reader's path lookup finds it; -ENODEV if that is not this device.
 */
static int protshm_mmap_writable_show(struct seq_file *m, void *unused)
{
	struct inode *inode;
	struct path path;
	int err;

	err = kern_path("/dev/protshm", LOOKUP_FOLLOW, &path);
	if (err)
		return err;
	inode = d_inode(path.dentry);
	if (S_ISCHR(inode->i_mode) &&
	    inode->i_rdev == MKDEV(MISC_MAJOR, protshm_misc.minor))
		seq_printf(m, "%d\n",
			   atomic_read(&inode->i_mapping->i_mmap_writable));
	else
		err = -ENODEV;
	path_put(&path);
	return err;
}
DEFINE_SHOW_ATTRIBUTE(protshm_mmap_writable);

/**
 * protshm_dev_init() - register /dev/protshm and its debugfs files
 *
 * Context: module init; no protshm lock held.
 * Return: 0 or a negative errno.
 */
int protshm_dev_init(void)
{
	int err = misc_register(&protshm_misc);

	if (err)
		return err;
	/* debugfs failures are not errors: the files are diagnostics */
	protshm_debugfs = debugfs_create_dir("protshm", NULL);
	debugfs_create_file("dev_mmap_writable", 0400, protshm_debugfs, NULL,
			    &protshm_mmap_writable_fops);
	return 0;
}

/**
 * protshm_dev_exit() - unregister /dev/protshm and its debugfs files
 *
 * Context: module exit; no protshm lock held.
 */
void protshm_dev_exit(void)
{
	debugfs_remove(protshm_debugfs);
	misc_deregister(&protshm_misc);
}
