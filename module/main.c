// SPDX-License-Identifier: GPL-2.0
/*
 * protshm: protected shared memory.  Module entry points and every module
 * parameter.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>

#include "netlink.h"
#include "internal.h"

unsigned int protshm_max_segments = 4096;
module_param_named(max_segments, protshm_max_segments, uint, 0644);
MODULE_PARM_DESC(max_segments, "Maximum number of segments (ENOSPC beyond)");

unsigned long protshm_max_seg_bytes = SZ_1G;
module_param_named(max_seg_bytes, protshm_max_seg_bytes, ulong, 0644);
MODULE_PARM_DESC(max_seg_bytes, "Maximum size of one segment (E2BIG beyond)");

unsigned long protshm_max_total_bytes = 8UL * SZ_1G;
module_param_named(max_total_bytes, protshm_max_total_bytes, ulong, 0644);
MODULE_PARM_DESC(max_total_bytes,
		 "Maximum total size of all segments (ENOMEM beyond)");

unsigned int protshm_max_user_segments = 1024;
module_param_named(max_user_segments, protshm_max_user_segments, uint, 0644);
MODULE_PARM_DESC(max_user_segments,
		 "Maximum number of segments one user owns (ENOSPC beyond; CAP_SYS_RESOURCE is exempt)");

unsigned long protshm_max_user_bytes = 2UL * SZ_1G;
module_param_named(max_user_bytes, protshm_max_user_bytes, ulong, 0644);
MODULE_PARM_DESC(max_user_bytes,
		 "Maximum total size of the segments one user owns (ENOMEM beyond; CAP_SYS_RESOURCE is exempt)");

unsigned long protshm_fault_around_pages = 16;
module_param_named(fault_around_pages, protshm_fault_around_pages, ulong, 0644);
MODULE_PARM_DESC(fault_around_pages,
		 "Pages mapped per page fault, a power of two up to 512 (0 or 1: off)");

bool protshm_restrict_refill = true;
module_param_named(revoke_refill, protshm_restrict_refill, bool, 0644);
MODULE_PARM_DESC(revoke_refill,
		 "After a write revoke, map what stays readable again at once (0: readers refault)");

/* What this build supports (config.h), for tests and monitoring. */
static bool protshm_huge_mappings = PROTSHM_HUGE_MAPPINGS;
module_param_named(huge_mappings, protshm_huge_mappings, bool, 0444);
MODULE_PARM_DESC(huge_mappings,
		 "2 MiB mappings are supported by this build (read-only)");

static int protshm_fork_records_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%ld\n", protshm_lineage_nr_records());
}

static const struct kernel_param_ops protshm_fork_records_ops = {
	.get = protshm_fork_records_get,
};
module_param_cb(fork_records, &protshm_fork_records_ops, NULL, 0444);
MODULE_PARM_DESC(fork_records,
		 "Forks recorded since the module was loaded (read-only)");

static int __init protshm_init(void)
{
	int err;

	protshm_check_abi();
	protshm_huge_init();
	protshm_notify_init();
	err = protshm_wait_init();
	if (err)
		return err;
	err = protshm_names_init();
	if (err)
		goto err_names;
	err = protshm_lineage_init(protshm_attach_inherit_locked);
	if (err)
		goto err_lineage;
	err = protshm_dev_init();
	if (err)
		goto err_dev;
	err = protshm_nl_init();
	if (err)
		goto err_nl;
	pr_info("ABI version %d loaded\n", PROTSHM_ABI_VERSION);
	return 0;

err_nl:
	protshm_dev_exit();
err_dev:
	protshm_lineage_exit();
	protshm_lineage_destroy();
err_lineage:
	protshm_segments_destroy();
err_names:
	protshm_wait_exit();
	return err;
}

static void __exit protshm_exit(void)
{
	protshm_nl_exit();
	protshm_dev_exit();
	protshm_lineage_exit();
	protshm_segments_destroy();
	protshm_lineage_destroy();
	protshm_account_exit();
	protshm_wait_exit();
	pr_info("unloaded\n");
}

module_init(protshm_init);
module_exit(protshm_exit);

MODULE_DESCRIPTION("Protected shared memory with per-process, per-mapping ceilings");
MODULE_AUTHOR("protshm developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(PROTSHM_VERSION);
