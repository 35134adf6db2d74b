// SPDX-License-Identifier: GPL-2.0
/*
 * Mappings: ->mmap and the vm_operations of every protshm VMA.
 *
 * Segment pages are inserted as special PTEs of a VM_MIXEDMAP | VM_IO VMA:
 * get_user_pages() refuses VM_IO and special PTEs, so nothing can pin them
 * and a zap revokes every access path, while the page walkers still see
 * the frames (/proc/pid/pagemap reports them).  VM_DONTEXPAND keeps mremap
 * from growing a mapping and, with VM_IO, keeps VMAs from ever merging.
 * A VMA's rights live in its own flags: VM_MAYREAD/VM_MAYWRITE are cleared
 * for what it may never have, which mprotect() then refuses with EACCES,
 * and which split, mremap and fork copy.  vm_private_data is the
 * attachment of the process the VMA belongs to (counted).
 *
 * Where the kernel supports huge PFN maps (PROTSHM_HUGE), a 2 MiB aligned
 * range of a VMA whose segment chunk is physically contiguous is mapped with
 * one special PMD (->huge_fault).  Anything else - alignment, size, THP
 * policy, a chunk already backed by single pages, no order-9 block - falls
 * back to 4 KiB PTEs.  Page-table changes need nothing more: zap, split
 * (partial mprotect/munmap) and mremap clear a special PMD and the range
 * refaults.
 */
#include <linux/bitmap.h>
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>

#include "compat.h"
#include "internal.h"

/*
 * Bumped, under the mm's mmap_lock held for writing, whenever a protshm
 * mapping comes, goes or changes its range or flags: a copy of an address
 * space's protshm mappings taken under its mmap_lock is exact as long as
 * this has not moved (netlink.c).
 */
atomic64_t protshm_maps_gen = ATOMIC64_INIT(0);

static bool protshm_revoke_refill = true;
module_param_named(revoke_refill, protshm_revoke_refill, bool, 0644);
MODULE_PARM_DESC(revoke_refill,
		 "After a write revoke, map what stays readable again at once (0: readers refault)");

static vm_flags_t protshm_denied_flags(u32 prot)
{
	vm_flags_t denied = VM_EXEC | VM_MAYEXEC;

	if (!(prot & PROTSHM_PROT_WRITE))
		denied |= VM_WRITE | VM_MAYWRITE;
	if (!(prot & PROTSHM_PROT_READ))
		denied |= VM_READ | VM_MAYREAD;
	return denied;
}

static void protshm_vm_open(struct vm_area_struct *vma)
{
	struct protshm_attachment *a = vma->vm_private_data;

	atomic64_inc(&protshm_maps_gen);
	kref_get(&a->seg->ref);
	if (vma->vm_mm == current->mm)	/* split or mremap */
		kref_get(&a->ref);
	else				/* fork: the child's own attachment */
		vma->vm_private_data = protshm_attach_fork(a, vma->vm_mm);
}

static void protshm_vm_close(struct vm_area_struct *vma)
{
	struct protshm_attachment *a = vma->vm_private_data;
	struct protshm_seg *seg = a->seg;

	atomic64_inc(&protshm_maps_gen);
	if (!READ_ONCE(a->tgid) && protshm_in_execve() &&
	    current->mm != vma->vm_mm)
		protshm_attach_exec(a);
	protshm_attach_put(a);
	protshm_seg_put(seg);
}

/*
 * Map the segment page behind an empty PTE of the VMA @data, if resident,
 * with the VMA's vm_page_prot, as a special PTE exactly like
 * vmf_insert_mixed() makes it.  Context: apply_to_page_range() callback,
 * the PTE lock held.
 */
static int protshm_fill_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct vm_area_struct *vma = data;
	struct protshm_attachment *a = vma->vm_private_data;
	pgoff_t idx = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	struct page *page;

	if (!pte_none(ptep_get(pte)))
		return 0;
	page = protshm_seg_page(a->seg, idx, false);
	if (page) {
		set_pte_at(vma->vm_mm, addr, pte,
			   pte_mkspecial(pfn_pte(page_to_pfn(page),
						 vma->vm_page_prot)));
		update_mmu_cache(vma, addr, pte);
	}
	return 0;
}

/*
 * Fault-around, for reads and writes alike: also map the other pages of the
 * naturally aligned window of protshm_fault_around_pages pages holding the
 * fault, clipped to the VMA (which lies inside the segment), allocating
 * them if needed.  They are mapped with the VMA's current vm_page_prot, so
 * they never exceed its rights; pages already mapped are left alone.  The
 * PTEs of the window are filled in one pass under one PTE lock.
 */
static void protshm_fault_around(struct vm_fault *vmf, struct protshm_seg *seg)
{
	unsigned long nr = READ_ONCE(protshm_fault_around_pages);
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr, start, end;
	pgoff_t pgoff;

	if (nr <= 1)
		return;
	nr = rounddown_pow_of_two(min(nr, PROTSHM_FAULT_AROUND_MAX));
	start = ALIGN_DOWN(vmf->address, nr << PAGE_SHIFT);
	end = min(start + (nr << PAGE_SHIFT), vma->vm_end);
	start = max(start, vma->vm_start);
	for (addr = start; addr < end; addr += PAGE_SIZE) {
		pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
		if (!protshm_seg_page(seg, pgoff, true))
			break;		/* out of memory: map what there is */
	}
	apply_to_page_range(vma->vm_mm, start, end - start, protshm_fill_pte,
			    vma);
}

/* Map @pfn at the 4 KiB fault, then fault around it. */
static vm_fault_t protshm_fault_map(struct vm_fault *vmf,
				    struct protshm_seg *seg, unsigned long pfn)
{
	vm_fault_t ret = protshm_insert_pfn(vmf->vma, vmf->address, pfn);

	if (!(ret & VM_FAULT_ERROR))
		protshm_fault_around(vmf, seg);
	return ret;
}

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

void protshm_mmap_init(void)
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

/* protshm_fault_map(), unless the 2 MiB is mapped by a PMD now. */
static vm_fault_t protshm_fault_insert(struct vm_fault *vmf,
				       struct protshm_seg *seg,
				       unsigned long pfn)
{
	struct mutex *lock = protshm_pmd_lock(vmf);
	vm_fault_t ret = VM_FAULT_NOPAGE;	/* the access is retried: the PMD */

	mutex_lock(lock);
	if (!pmd_leaf(pmdp_get_lockless(vmf->pmd)))
		ret = protshm_fault_map(vmf, seg, pfn);
	mutex_unlock(lock);
	return ret;
}
#else
void protshm_mmap_init(void)
{
}

static vm_fault_t protshm_fault_insert(struct vm_fault *vmf,
				       struct protshm_seg *seg,
				       unsigned long pfn)
{
	return protshm_fault_map(vmf, seg, pfn);
}
#endif

static vm_fault_t protshm_vm_fault(struct vm_fault *vmf)
{
	struct protshm_attachment *a = vmf->vma->vm_private_data;
	struct protshm_seg *seg = a->seg;
	struct page *page;

	if (vmf->pgoff >= seg->nr_pages)
		return VM_FAULT_SIGBUS;
	page = protshm_seg_page(seg, vmf->pgoff, true);
	if (!page)
		return VM_FAULT_OOM;
	return protshm_fault_insert(vmf, seg, page_to_pfn(page));
}

#ifdef PROTSHM_HUGE
#define PROTSHM_VM_HUGE	VM_HUGEPAGE	/* for THP "madvise" mode */
static bool protshm_huge_mappings = true;
#else
#define PROTSHM_VM_HUGE	0
static bool protshm_huge_mappings;
#endif
module_param_named(huge_mappings, protshm_huge_mappings, bool, 0444);
MODULE_PARM_DESC(huge_mappings,
		 "2 MiB mappings are supported by this build (read-only)");

#ifdef PROTSHM_HUGE
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

/*
 * ->huge_fault: map a whole chunk with one PMD, or VM_FAULT_FALLBACK to
 * the 4 KiB ->fault.  Called for a none PMD, and for a write to a present
 * read-only PMD (e.g. mprotect() up again before the first write; a write
 * to a VMA without VM_WRITE never gets here).  A first insertion passes
 * write = false: the PMD still gets the VMA's vm_page_prot, and a PMD table
 * installed meanwhile by a concurrent 4 KiB fault is then left alone (the
 * fault is retried) instead of tripping insert_pfn_pmd()'s pfn check.
 *
 * Context: the VMA's per-VMA lock or its mm's mmap_lock held for reading;
 * the page tables are not locked.
 */
static vm_fault_t protshm_vm_huge_fault(struct vm_fault *vmf,
					unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct protshm_attachment *a = vma->vm_private_data;
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
	pfn = protshm_seg_chunk(a->seg, pgoff);
	if (!pfn || (present && pmd_pfn(vmf->orig_pmd) != pfn))
		return VM_FAULT_FALLBACK;
	mutex_lock(lock);
	ret = protshm_insert_pmd(vmf, pfn,
				 present && (vmf->flags & FAULT_FLAG_WRITE));
	mutex_unlock(lock);
	return ret;
}
#endif

/* Could a part of @vma be mapped by a PMD?  Then it has no refill. */
static bool protshm_vma_may_be_huge(struct vm_area_struct *vma)
{
#ifdef PROTSHM_HUGE
	unsigned long haddr = ALIGN(vma->vm_start, HPAGE_PMD_SIZE);

	return protshm_huge_pgoff(vma, haddr) != (pgoff_t)-1;
#else
	return false;
#endif
}

/* The part of @vma in its @i-th PMD-sized region. */
static void protshm_vma_region(struct vm_area_struct *vma, unsigned long i,
			       unsigned long *start, unsigned long *end)
{
	unsigned long base = ALIGN_DOWN(vma->vm_start, PMD_SIZE) + i * PMD_SIZE;

	*start = max(base, vma->vm_start);
	*end = min(base + PMD_SIZE, vma->vm_end);
}

static unsigned long protshm_vma_nr_regions(struct vm_area_struct *vma)
{
	return (ALIGN(vma->vm_end, PMD_SIZE) -
		ALIGN_DOWN(vma->vm_start, PMD_SIZE)) / PMD_SIZE;
}

/* Set bit i of @map if the i-th region of @vma has a PTE (before a zap). */
static void protshm_vma_regions(struct vm_area_struct *vma, unsigned long *map)
{
	unsigned long i, start, end;

	for (i = 0; i < protshm_vma_nr_regions(vma); i++) {
		protshm_vma_region(vma, i, &start, &end);
		if (protshm_range_has_pte(vma->vm_mm, start, end))
			__set_bit(i, map);
	}
}

/*
 * Map the resident pages again, with the VMA's new protection, in the
 * regions set in @map.  Context: the mmap_lock held for writing.
 */
static void protshm_vma_refill(struct vm_area_struct *vma,
			       const unsigned long *map)
{
	unsigned long i, start, end;

	for_each_set_bit(i, map, protshm_vma_nr_regions(vma)) {
		protshm_vma_region(vma, i, &start, &end);
		apply_to_page_range(vma->vm_mm, start, end - start,
				    protshm_fill_pte, vma);
	}
}

/**
 * protshm_vma_lower() - take rights beyond @prot away from a mapping
 * @vma: a protshm VMA
 * @prot: PROTSHM_PROT_* rights it keeps at most
 *
 * Clears the VMA's flags (a VMA losing VM_MAYWRITE no longer counts as a
 * writable mapping of its file, see protshm_vma_clear_flags()), recomputes
 * its page protection and zaps its PTEs (which flushes the TLBs and calls
 * the mmu notifiers) so that the next access faults and is checked.
 *
 * A mapping that stays readable gets read-only PTEs back at once in the
 * 2 MiB regions where it had PTEs before, so that readers do not take a
 * fault per page (or per fault-around window) for what they could read.  The
 * PTEs are special, exactly as vmf_insert_mixed() makes them: no page is
 * counted, pinned or reachable by get_user_pages(), and going from no PTE
 * to a read-only one needs no flush.  A VMA that may hold PMD mappings is
 * not refilled (apply_to_*page_range() refuse huge PMDs; a reader refaults
 * once per 2 MiB there).
 *
 * Context: the VMA's mm mmap_lock held for writing.
 */
void protshm_vma_lower(struct vm_area_struct *vma, u32 prot)
{
	vm_flags_t clear = protshm_denied_flags(prot) & vma->vm_flags;
	unsigned long small = 0, *map = NULL;

	protshm_assert_mmap_write_locked(vma->vm_mm);
	if (!clear)
		return;
	atomic64_inc(&protshm_maps_gen);
	if ((vma->vm_flags & ~clear & VM_READ) && READ_ONCE(protshm_revoke_refill) &&
	    !protshm_vma_may_be_huge(vma)) {
		map = &small;
		if (protshm_vma_nr_regions(vma) > BITS_PER_LONG)
			map = bitmap_zalloc(protshm_vma_nr_regions(vma),
					    GFP_KERNEL_ACCOUNT);
		if (map)
			protshm_vma_regions(vma, map);
	}
	protshm_vma_clear_flags(vma, clear);
	WRITE_ONCE(vma->vm_page_prot, vm_get_page_prot(vma->vm_flags));
	protshm_zap_vma(vma);
	if (map)
		protshm_vma_refill(vma, map);
	if (map != &small)
		bitmap_free(map);
}

/* Second guard behind the VM_MAY* bits, which mprotect() checks first. */
static int protshm_vm_mprotect(struct vm_area_struct *vma, unsigned long start,
			       unsigned long end, unsigned long newflags)
{
	if (newflags & VM_EXEC)
		return -EACCES;
	if ((newflags & VM_WRITE) && !(vma->vm_flags & VM_MAYWRITE))
		return -EACCES;
	if ((newflags & VM_READ) && !(vma->vm_flags & VM_MAYREAD))
		return -EACCES;
	atomic64_inc(&protshm_maps_gen);
	return 0;
}

/*
 * ptrace and /proc/pid/mem fall back to ->access because GUP refuses these
 * mappings.  Honour the VMA's current flags: a debugger may read a readable
 * mapping and write a writable one, nothing more.
 *
 * Context: the VMA's mm mmap_lock held for reading.
 */
static int protshm_vm_access(struct vm_area_struct *vma, unsigned long addr,
			     void *buf, int len, int write)
{
	struct protshm_attachment *a = vma->vm_private_data;
	unsigned long off = addr - vma->vm_start + (vma->vm_pgoff << PAGE_SHIFT);
	pgoff_t idx = off >> PAGE_SHIFT;
	struct page *page;
	void *kaddr;

	if (!(vma->vm_flags & (write ? VM_WRITE : VM_READ)))
		return -EFAULT;
	if (idx >= a->seg->nr_pages)
		return -EFAULT;
	len = min_t(unsigned long, len, PAGE_SIZE - offset_in_page(off));
	page = protshm_seg_page(a->seg, idx, write);
	if (!page) {
		if (write)
			return -ENOMEM;
		memset(buf, 0, len);	/* never touched: reads as zero */
		return len;
	}
	kaddr = kmap_local_page(page);
	if (write)
		memcpy(kaddr + offset_in_page(off), buf, len);
	else
		memcpy(buf, kaddr + offset_in_page(off), len);
	kunmap_local(kaddr);
	return len;
}

const struct vm_operations_struct protshm_vm_ops = {
	.open = protshm_vm_open,
	.close = protshm_vm_close,
	.fault = protshm_vm_fault,
#ifdef PROTSHM_HUGE
	.huge_fault = protshm_vm_huge_fault,
#endif
	.mprotect = protshm_vm_mprotect,
	.access = protshm_vm_access,
};

/* Rights a new mapping by current through @pf may have at most. */
static u32 protshm_file_rights(struct protshm_file *pf,
			       struct protshm_attachment *a)
{
	struct protshm_seg *seg = pf->seg;
	u32 rights;

	mutex_lock(&seg->lock);
	rights = a->ceiling & pf->rights & pf->origin->ceiling;
	mutex_unlock(&seg->lock);
	return rights;
}

static int protshm_mmap_check(struct vm_area_struct *vma,
			      struct protshm_seg *seg)
{
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if (vma->vm_pgoff >= seg->nr_pages ||
	    vma_pages(vma) > seg->nr_pages - vma->vm_pgoff)
		return -ENXIO;
	return 0;
}

/**
 * protshm_mmap() - f_op->mmap of /dev/protshm
 * @file: a bound file
 * @vma: the new VMA
 *
 * Context: current's mmap_lock held for writing.
 * Return: 0, -EBADFD (unbound), -EINVAL (not MAP_SHARED), -EPERM
 * (PROT_EXEC), -ENXIO (beyond the segment), -EACCES (beyond the rights).
 */
int protshm_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct protshm_file *pf = file->private_data;
	/* pairs with smp_store_release() in protshm_bind_locked() */
	struct protshm_seg *seg = smp_load_acquire(&pf->seg);
	struct protshm_attachment *a;
	vm_flags_t denied;
	int err;

	if (!seg)
		return -EBADFD;
	err = protshm_mmap_check(vma, seg);
	if (err)
		return err;
	a = protshm_attach_current(seg);
	if (IS_ERR(a))
		return PTR_ERR(a);
	denied = protshm_denied_flags(protshm_file_rights(pf, a));
	if (vma->vm_flags & denied & (VM_READ | VM_WRITE)) {
		protshm_attach_put(a);
		return -EACCES;
	}
	kref_get(&seg->ref);
	vm_flags_mod(vma, VM_MIXEDMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP |
		     PROTSHM_VM_HUGE, denied);
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags);
	vma->vm_ops = &protshm_vm_ops;
	vma->vm_private_data = a;
	atomic64_inc(&protshm_maps_gen);
	return 0;
}
