/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, by feature.  Kbuild detects the features
 * (PROTSHM_HAVE_*) from the target kernel's headers; no version numbers.
 */
#ifndef PROTSHM_COMPAT_H
#define PROTSHM_COMPAT_H

#include <linux/mm.h>

#ifndef PROTSHM_HAVE_VM_FLAGS_SET
/* Before the vm_flags wrappers, vma->vm_flags was written directly. */
static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}

static inline void vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set,
				vm_flags_t clear)
{
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
}
#endif

#endif /* PROTSHM_COMPAT_H */
