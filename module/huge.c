// SPDX-License-Identifier: GPL-2.0
/*
 * 2 MiB mappings, where the kernel supports huge PFN maps (PROTSHM_HUGE,
 * see config.h; without it internal.h gives this file's interface as
 * stubs and everything is mapped with 4 KiB PTEs).
 *
 * A 2 MiB aligned range of a VMA whose segment chunk is physically
 * contiguous is mapped with one special PMD (->huge_fault).  Anything else -
 * alignment, size, THP policy, a chunk already backed by single pages, no
 * order-9 block - falls back to 4 KiB PTEs.  Page-table changes need nothing
 * more: zap, split (partial mprotect/munmap) and mremap clear a special PMD
 * and the range refaults.
 */
#include <linux/hash.h>
#include <linux/mm.h>
#include <linux/mutex.h>

#include "compat.h"
#include "internal.h"

/* The whole file: without PROTSHM_HUGE, internal.h has the stubs. */
#ifdef PROTSHM_HUGE

/*
 * A 4 KiB fault and a ->huge_fault of the same 2 MiB may run at once (each
 * under the per-VMA lock or the mmap_lock held for reading).  The PTE
 * insertion must never meet the special PMD the other installed:
 * walk_to_pmd() asserts that with VM_BUG_ON() (a BUG under CONFIG_DEBUG_VM;
 * without, the insertion failed with VM_FAULT_OOM).  So both insertions run
 * under one of these mutexes, hashed from the mm and the 2 MiB, and the
 * 4 KiB one looks at the PMD first.  Once a PTE table is there, a PMD
 * insertion leaves it alone (see protshm_vm_huge_fault()), and only a zap
 * (VMA write-locked: no fault meanwhile) takes a PMD away.
 */
#define PROTSHM_PMD_LOCK_BITS	6
static struct mutex protshm_pmd_locks[1 << PROTSHM_PMD_LOCK_BITS];

/**
 * protshm_huge_init() - initialise the PMD insertion locks
 *
 * Context: module init; no protshm lock held.
 */
void protshm_huge_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(protshm_pmd_locks); i++)
		mutex_init(&protshm_pmd_locks[i]);
}

static struct mutex *protshm_pmd_lock(struct vm_fault *vmf)
{
	unsigned long key = (unsigned long)vmf->vma->vm_mm +
			    (vmf->address >> HPAGE_PMD_SHIFT);

	return &protshm_pmd_locks[hash_long(key, PROTSHM_PMD_LOCK_BITS)];
}

/**
 * protshm_huge_insert_pte() - map a 4 KiB fault unless a PMD maps it now
 * @vmf: the fault
 * @seg: the VMA's segment
 * @pfn: the page to map at the fault
 *
 * protshm_fault_map(), under the PMD insertion lock of the 2 MiB.
 *
 * Context: ->fault; the VMA's per-VMA lock or its mm's mmap_lock held for
 * reading; takes a protshm_pmd_locks mutex.
 * Return: what protshm_fault_map() returns, or VM_FAULT_NOPAGE (the access
 * is retried through the PMD).
 */
vm_fault_t protshm_huge_insert_pte(struct vm_fault *vmf,
				   struct protshm_seg *seg, unsigned long pfn)
{
	struct mutex *lock = protshm_pmd_lock(vmf);
	vm_fault_t ret = VM_FAULT_NOPAGE;

	mutex_lock(lock);
	if (!pmd_leaf(pmdp_get_lockless(vmf->pmd)))
		ret = protshm_fault_map(vmf, seg, pfn);
	mutex_unlock(lock);
	return ret;
}

/*
 * The segment chunk behind the 2 MiB of @vma at @haddr, if it can be mapped
 * with one PMD: the range lies inside the VMA and its page offset is 2 MiB
 * aligned (the VMA lies inside the segment, see protshm_mmap_check()).
 * Return: the chunk's first page index, or -1.
 */
static pgoff_t protshm_huge_pgoff(struct vm_area_struct *vma,
				  unsigned long haddr)
{
	pgoff_t pgoff;

	if (haddr < vma->vm_start || haddr + HPAGE_PMD_SIZE > vma->vm_end)
		return -1;
	pgoff = vma->vm_pgoff + ((haddr - vma->vm_start) >> PAGE_SHIFT);
	if (!IS_ALIGNED(pgoff, HPAGE_PMD_NR))
		return -1;
	return pgoff;
}

/**
 * protshm_vma_may_be_huge_locked() - could a part of @vma be mapped by a PMD?
 * @vma: a protshm VMA
 *
 * Context: process context; the VMA's mm mmap_lock held for writing.
 * Return: true if one of its 2 MiB ranges could be.
 */
bool protshm_vma_may_be_huge_locked(struct vm_area_struct *vma)
{
	unsigned long haddr = ALIGN(vma->vm_start, HPAGE_PMD_SIZE);

	protshm_assert_mmap_write_locked(vma->vm_mm);
	return protshm_huge_pgoff(vma, haddr) != (pgoff_t)-1;
}

/*
 * The PFN of the chunk of @seg at @base if it is backed by one physically
 * contiguous, 2 MiB aligned block, allocated now if no page of the chunk
 * exists yet; 0 otherwise (map it with 4 KiB pages).
 */
static unsigned long protshm_huge_chunk(struct protshm_seg *seg, pgoff_t base)
{
	protshm_seg_block_fill(seg, base, HPAGE_PMD_ORDER);
	return protshm_seg_block_pfn(seg, base, HPAGE_PMD_ORDER);
}

/**
 * protshm_vm_huge_fault() - vm_ops->huge_fault of protshm VMAs
 * @vmf: the fault
 * @order: the mapping order asked for
 *
 * Maps a whole chunk with one PMD, or returns VM_FAULT_FALLBACK to the
 * 4 KiB ->fault.  Called for a none PMD, and for a write to a present
 * read-only PMD (e.g. mprotect() up again before the first write; a write
 * to a VMA without VM_WRITE never gets here).  A first insertion passes
 * write = false: the PMD still gets the VMA's vm_page_prot, and a PMD table
 * installed meanwhile by a concurrent 4 KiB fault is then left alone (the
 * fault is retried) instead of tripping insert_pfn_pmd()'s pfn check.
 *
 * Context: ->huge_fault; the VMA's per-VMA lock or its mm's mmap_lock
 * held for reading, the page tables not locked; takes a protshm_pmd_locks
 * mutex.
 * Return: a vm_fault_t.
 */
vm_fault_t protshm_vm_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct protshm_seg *seg = protshm_vma_attachment(vma)->seg;
	bool present = pmd_trans_huge(vmf->orig_pmd);
	struct mutex *lock = protshm_pmd_lock(vmf);
	unsigned long pfn;
	vm_fault_t ret;
	pgoff_t pgoff;

	if (order != HPAGE_PMD_ORDER)
		return VM_FAULT_FALLBACK;
	pgoff = protshm_huge_pgoff(vma, vmf->address & HPAGE_PMD_MASK);
	if (pgoff == (pgoff_t)-1)
		return VM_FAULT_FALLBACK;
	pfn = protshm_huge_chunk(seg, pgoff);
	if (!pfn || (present && pmd_pfn(vmf->orig_pmd) != pfn))
		return VM_FAULT_FALLBACK;
	mutex_lock(lock);
	ret = protshm_insert_pmd(vmf, pfn,
				 present && (vmf->flags & FAULT_FLAG_WRITE));
	mutex_unlock(lock);
	return ret;
}
#endif /* PROTSHM_HUGE */
