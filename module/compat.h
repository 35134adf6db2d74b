/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, by feature.  Kbuild detects the features
 * (PROTSHM_HAVE_*) from the target kernel's headers; no version numbers.
 */
#ifndef PROTSHM_COMPAT_H
#define PROTSHM_COMPAT_H

#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/proc_ns.h>
#include <linux/sched.h>
#include <linux/user_namespace.h>

#include "config.h"

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

/*
 * Clear @flags of a VMA that is linked to its file.  The file's
 * i_mmap_writable counts the VMAs that may be made writable when they are
 * linked and unlinked: VM_SHARED and VM_MAYWRITE ones where
 * vma_is_shared_maywrite() exists, VM_SHARED ones before.  A VMA losing
 * VM_MAYWRITE while linked must give its count back there, or its unlink
 * leaves the count raised for good.
 * Context: the VMA's mm mmap_lock held for writing (no link, unlink or fork
 * of the VMA meanwhile).
 */
static inline void protshm_vma_clear_flags_locked(struct vm_area_struct *vma,
						  vm_flags_t flags)
{
#ifdef PROTSHM_HAVE_SHARED_MAYWRITE
	bool counted = vma_is_shared_maywrite(vma);

	lockdep_assert_held_write(&vma->vm_mm->mmap_lock);
	vm_flags_clear(vma, flags);
	if (counted && !vma_is_shared_maywrite(vma))
		mapping_unmap_writable(vma->vm_file->f_mapping);
#else
	lockdep_assert_held_write(&vma->vm_mm->mmap_lock);
	vm_flags_clear(vma, flags);
#endif
}

/*
 * Zap every PTE of a VM_MIXEDMAP VMA, with the TLB flush and mmu-notifier
 * calls.  zap_page_range() was replaced by zap_page_range_single() (exported
 * again, GPL), which became zap_vma_range() without the details argument.
 * (zap_vma_ptes(), later zap_special_vma_range(), would do too where it
 * accepts VM_MIXEDMAP; it only took VM_PFNMAP before.)
 */
static inline void protshm_zap_vma(struct vm_area_struct *vma)
{
#if defined(PROTSHM_HAVE_ZAP_VMA_RANGE)
	zap_vma_range(vma, vma->vm_start, vma->vm_end - vma->vm_start);
#elif defined(PROTSHM_HAVE_ZAP_PAGE_RANGE)
	zap_page_range(vma, vma->vm_start, vma->vm_end - vma->vm_start);
#else
	zap_page_range_single(vma, vma->vm_start, vma->vm_end - vma->vm_start,
			      NULL);
#endif
}

#ifdef PROTSHM_EXPORTS_APPLY_TO_EXISTING_PAGE_RANGE
/* Context: apply_to_existing_page_range() callback: stops at the first PTE. */
static inline int protshm_probe_pte(pte_t *pte, unsigned long addr, void *data)
{
	return -EEXIST;
}

/*
 * Has @mm a PTE in [@start, @end), a range within one PMD?  Allocates no
 * page table.  Context: the mmap_lock held for writing.
 */
static inline bool protshm_range_has_pte_locked(struct mm_struct *mm,
						unsigned long start,
						unsigned long end)
{
	lockdep_assert_held_write(&mm->mmap_lock);
	return apply_to_existing_page_range(mm, start, end - start,
					    protshm_probe_pte, NULL);
}
#else
/*
 * The same without apply_to_existing_page_range(), which is not exported to
 * modules everywhere: walk down to the PMD, read the PTEs.  The page tables
 * of the range stay: munmap, collapse and page-table reclaim take the
 * mmap_lock, and protshm's VM_MIXEDMAP VMAs are never collapsed.  A racing
 * fault (per-VMA lock) may add a PTE meanwhile, as it may after the probe.
 * Context: the mmap_lock held for writing.
 */
static inline bool protshm_range_has_pte_locked(struct mm_struct *mm,
						unsigned long start,
						unsigned long end)
{
	pgd_t *pgd = pgd_offset(mm, start);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd, pmdval;
	pte_t *pte;

	lockdep_assert_held_write(&mm->mmap_lock);
	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return false;
	p4d = p4d_offset(pgd, start);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return false;
	pud = pud_offset(p4d, start);
	if (pud_none(*pud) || pud_leaf(*pud) || pud_bad(*pud))
		return false;
	pmd = pmd_offset(pud, start);
	pmdval = READ_ONCE(*pmd);
	if (pmd_none(pmdval) || !pmd_present(pmdval) || pmd_leaf(pmdval) ||
	    pmd_bad(pmdval))
		return false;
	pte = pte_offset_kernel(&pmdval, start);
	for (; start < end; start += PAGE_SIZE, pte++)
		if (!pte_none(ptep_get(pte)))
			return true;
	return false;
}
#endif

/* system_unbound_wq was renamed system_dfl_wq (the old name is deprecated). */
#ifdef PROTSHM_HAVE_SYSTEM_DFL_WQ
#define protshm_unbound_wq system_dfl_wq
#else
#define protshm_unbound_wq system_unbound_wq
#endif

/* vmf_insert_mixed() took a pfn_t until the type was removed. */
#ifdef PROTSHM_HAVE_PFN_T
#include <linux/pfn_t.h>

static inline vm_fault_t protshm_insert_pfn(struct vm_area_struct *vma,
					    unsigned long addr,
					    unsigned long pfn)
{
	return vmf_insert_mixed(vma, addr, pfn_to_pfn_t(pfn));
}
#else
static inline vm_fault_t protshm_insert_pfn(struct vm_area_struct *vma,
					    unsigned long addr,
					    unsigned long pfn)
{
	return vmf_insert_mixed(vma, addr, pfn);
}
#endif

/*
 * Is current in execve()?  task_struct.in_execve tells; kernels without it
 * fall back to "no", and a forked child that execs before it is resolved
 * then loses its inherited ceiling (see protshm_attach_exec()).
 */
static inline bool protshm_in_execve(void)
{
#ifdef PROTSHM_HAVE_IN_EXECVE
	return current->in_execve;
#else
	return false;
#endif
}

/*
 * The struct pid a pidfd file refers to (not counted), or NULL if @file is
 * not a pidfd.  pidfd_pid() is not exported: pidfds are the files of the
 * pidfs pseudo file system, whose inodes hold the pid, or, before pidfs,
 * anonymous-inode files named "[pidfd]" holding it as their private data.
 */
#include <linux/string.h>
#include <uapi/linux/magic.h>

#ifdef PROTSHM_HAVE_PIDFS
static inline struct pid *protshm_file_pid(struct file *file)
{
	struct inode *inode = file_inode(file);

	return inode->i_sb->s_magic == PID_FS_MAGIC ? inode->i_private : NULL;
}
#else
static inline struct pid *protshm_file_pid(struct file *file)
{
	if (file_inode(file)->i_sb->s_magic != ANON_INODE_FS_MAGIC ||
	    strcmp(file->f_path.dentry->d_name.name, "[pidfd]"))
		return NULL;
	return file->private_data;
}
#endif

/*
 * References to an IPC namespace: ns_common.count until the namespace
 * reference helpers (ns_ref_read()) came with ns_common.__ns_ref.
 */
static inline unsigned int protshm_ipc_ns_refs(struct ipc_namespace *ns)
{
#ifdef PROTSHM_HAVE_NS_REF_READ
	return ns_ref_read(ns);
#else
	return refcount_read(&ns->ns.count);
#endif
}

/*
 * Is @task (whose address space is @mm) dumpable by its owner, and the user
 * namespace of its last exec, referenced: in the mm (get_dumpable(),
 * mm->user_ns) until both moved to task->exec_state, whose helpers are not
 * exported (its RCU pointer is read here).
 */
#ifdef PROTSHM_HAVE_EXEC_STATE
#include <linux/sched/exec_state.h>

static inline struct user_namespace *
protshm_exec_user_ns(struct task_struct *task, struct mm_struct *mm,
		     bool *dumpable)
{
	const struct task_exec_state *es;
	struct user_namespace *ns;

	rcu_read_lock();
	es = rcu_dereference(task->exec_state);
	*dumpable = es && READ_ONCE(es->dumpable) == TASK_DUMPABLE_OWNER;
	ns = get_user_ns(es ? es->user_ns : &init_user_ns);
	rcu_read_unlock();
	return ns;
}
#else
#include <linux/sched/coredump.h>

static inline struct user_namespace *
protshm_exec_user_ns(struct task_struct *task, struct mm_struct *mm,
		     bool *dumpable)
{
	*dumpable = get_dumpable(mm) == SUID_DUMP_USER;
	return get_user_ns(mm->user_ns);
}
#endif

/* The initial IPC namespace, never freed (the only one without CONFIG_IPC_NS). */
static inline bool protshm_ipc_ns_initial(const struct ipc_namespace *ns)
{
	return !ns->ns.ops || ns->ns.inum == PROC_IPC_INIT_INO;
}

/*
 * Write-lock a VMA (mmap_lock held for writing): waits for the page faults
 * that hold only its per-VMA lock.  Kernels without per-VMA locks fault
 * under the mmap_lock alone.
 */
static inline void protshm_vma_start_write(struct vm_area_struct *vma)
{
#ifdef PROTSHM_HAVE_VMA_START_WRITE
	vma_start_write(vma);
#endif
}

/*
 * mmap_assert_write_locked() calls dump_mm() under CONFIG_DEBUG_VM, which
 * 6.1 does not export to modules; lockdep gives the same check.
 */
static inline void protshm_assert_mmap_write_locked(struct mm_struct *mm)
{
	lockdep_assert_held_write(&mm->mmap_lock);
}

#ifdef PROTSHM_HUGE
#include <linux/huge_mm.h>

/* vmf_insert_pfn_pmd() took a pfn_t until the type was removed. */
static inline vm_fault_t protshm_insert_pmd(struct vm_fault *vmf,
					    unsigned long pfn, bool write)
{
#ifdef PROTSHM_HAVE_PFN_T
	return vmf_insert_pfn_pmd(vmf, pfn_to_pfn_t(pfn), write);
#else
	return vmf_insert_pfn_pmd(vmf, pfn, write);
#endif
}
#endif

#endif /* PROTSHM_COMPAT_H */
