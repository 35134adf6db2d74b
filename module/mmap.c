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
 * Every test of whether a VMA is protshm's, every walk over an address
 * space's VMAs and every PTE change is here; 2 MiB mappings are in huge.c.
 */
#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "compat.h"
#include "internal.h"

/*
 * Bumped, under the mm's mmap_lock held for writing, whenever a protshm
 * mapping comes, goes or changes its range or flags: a copy of an address
 * space's protshm mappings taken under its mmap_lock is exact as long as
 * this has not moved (protshm_vmas_snapshot()).
 */
static atomic64_t protshm_maps_gen = ATOMIC64_INIT(0);

static const struct vm_operations_struct protshm_vm_ops;
static const struct vm_operations_struct protshm_lease_vm_ops;

/*
 * The page protection of @vma: a writable mapping of a lease segment stays
 * read-only until a write fault checks the lease (as the core's write
 * notification makes it, see vma_wants_writenotify()).
 */
static pgprot_t protshm_vma_page_prot(struct vm_area_struct *vma)
{
	vm_flags_t flags = vma->vm_flags;

	if (vma->vm_ops == &protshm_lease_vm_ops)
		flags &= ~VM_WRITE;
	return vm_get_page_prot(flags);
}

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
	if (protshm_in_execve() && current->mm != vma->vm_mm)
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

/**
 * protshm_fault_map() - map a 4 KiB fault, then fault around it
 * @vmf: the fault
 * @seg: the VMA's segment
 * @pfn: the page to map at the fault
 *
 * Context: ->fault; the VMA's per-VMA lock or its mm's mmap_lock held for
 * reading.
 * Return: a vm_fault_t.
 */
vm_fault_t protshm_fault_map(struct vm_fault *vmf, struct protshm_seg *seg,
			     unsigned long pfn)
{
	vm_fault_t ret = protshm_insert_pfn(vmf->vma, vmf->address, pfn);

	if (!(ret & VM_FAULT_ERROR))
		protshm_fault_around(vmf, seg);
	return ret;
}

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
	return protshm_huge_insert_pte(vmf, seg, page_to_pfn(page));
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

/*
 * Set bit i of @map if the i-th region of @vma has a PTE (before a zap).
 * Context: the mmap_lock held for writing.
 */
static void protshm_vma_regions_locked(struct vm_area_struct *vma,
				       unsigned long *map)
{
	unsigned long i, start, end;

	protshm_assert_mmap_write_locked(vma->vm_mm);
	for (i = 0; i < protshm_vma_nr_regions(vma); i++) {
		protshm_vma_region(vma, i, &start, &end);
		if (protshm_range_has_pte_locked(vma->vm_mm, start, end))
			__set_bit(i, map);
	}
}

/*
 * Map the resident pages again, with the VMA's new protection, in the
 * regions set in @map.  Context: the mmap_lock held for writing.
 */
static void protshm_vma_refill_locked(struct vm_area_struct *vma,
				      const unsigned long *map)
{
	unsigned long i, start, end;

	protshm_assert_mmap_write_locked(vma->vm_mm);
	for_each_set_bit(i, map, protshm_vma_nr_regions(vma)) {
		protshm_vma_region(vma, i, &start, &end);
		apply_to_page_range(vma->vm_mm, start, end - start,
				    protshm_fill_pte, vma);
	}
}

/**
 * protshm_vma_restrict_locked() - take rights beyond @prot away from a mapping
 * @vma: a protshm VMA
 * @prot: PROTSHM_PROT_* rights it keeps at most
 *
 * Clears the VMA's flags (a VMA losing VM_MAYWRITE no longer counts as a
 * writable mapping of its file, see protshm_vma_clear_flags_locked()), recomputes
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
 * Context: process context; the VMA's mm mmap_lock held for writing.
 */
void protshm_vma_restrict_locked(struct vm_area_struct *vma, u32 prot)
{
	vm_flags_t clear = protshm_denied_flags(prot) & vma->vm_flags;
	unsigned long small = 0, *map = NULL;

	protshm_assert_mmap_write_locked(vma->vm_mm);
	if (!clear)
		return;
	atomic64_inc(&protshm_maps_gen);
	if ((vma->vm_flags & ~clear & VM_READ) &&
	    READ_ONCE(protshm_restrict_refill) && !protshm_vma_may_be_huge_locked(vma)) {
		map = &small;
		if (protshm_vma_nr_regions(vma) > BITS_PER_LONG)
			map = bitmap_zalloc(protshm_vma_nr_regions(vma),
					    GFP_KERNEL_ACCOUNT);
		if (map)
			protshm_vma_regions_locked(vma, map);
	}
	protshm_vma_clear_flags_locked(vma, clear);
	WRITE_ONCE(vma->vm_page_prot, protshm_vma_page_prot(vma));
	protshm_zap_vma(vma);
	if (map)
		protshm_vma_refill_locked(vma, map);
	if (map != &small)
		bitmap_free(map);
}

/**
 * protshm_vma_attachment() - the attachment a VMA belongs to
 * @vma: any VMA
 *
 * Context: any context; @vma's mm mmap_lock or its per-VMA lock held (the
 * VMA cannot change).
 * Return: the attachment (not counted: the VMA holds it), or NULL if @vma
 * is not a protshm mapping.
 */
struct protshm_attachment *protshm_vma_attachment(struct vm_area_struct *vma)
{
	return vma->vm_ops == &protshm_vm_ops ||
	       vma->vm_ops == &protshm_lease_vm_ops ? vma->vm_private_data : NULL;
}

/* Is @vma a mapping of @seg?  As protshm_vma_attachment(). */
static bool protshm_vma_of(struct vm_area_struct *vma, struct protshm_seg *seg)
{
	struct protshm_attachment *a = protshm_vma_attachment(vma);

	return a && a->seg == seg;
}

/**
 * protshm_vmas_restrict_locked() - restrict every mapping of @seg in @mm
 * @seg: the segment
 * @mm: the address space
 * @prot: PROTSHM_PROT_* rights each mapping keeps at most
 *
 * Each mapping and the attachment it belongs to (which may be another
 * process's: mappings outlive the CLONE_VM sibling that made them) are
 * restricted to @prot.
 *
 * Context: process context; @mm's mmap_lock held for writing and
 * seg->lock held.
 */
void protshm_vmas_restrict_locked(struct protshm_seg *seg,
				  struct mm_struct *mm, u32 prot)
{
	VMA_ITERATOR(vmi, mm, 0);
	struct vm_area_struct *vma;

	protshm_assert_mmap_write_locked(mm);
	lockdep_assert_held(&seg->lock);
	for_each_vma(vmi, vma) {
		if (protshm_vma_of(vma, seg)) {
			protshm_attach_restrict_locked(vma->vm_private_data,
						       prot);
			protshm_vma_restrict_locked(vma, prot);
		}
	}
}

/* Is [addr, end) of @mm exactly covered by mappings of @seg? */
static bool protshm_range_covered_locked(struct mm_struct *mm,
					 struct protshm_seg *seg,
					 unsigned long addr, unsigned long end)
{
	VMA_ITERATOR(vmi, mm, addr);
	struct vm_area_struct *vma;
	unsigned long next = addr;

	protshm_assert_mmap_write_locked(mm);
	for_each_vma_range(vmi, vma, end) {
		if (vma->vm_start != next || !protshm_vma_of(vma, seg))
			return false;
		next = vma->vm_end;
	}
	return next == end;
}

/**
 * protshm_range_restrict_locked() - restrict the mappings of a range
 * @mm: the address space
 * @seg: the segment the range must map
 * @addr: start of the range, page aligned
 * @end: end of the range, page aligned, above @addr
 * @prot: the mappings' rights are intersected with @prot
 *
 * Only the mappings change, not the ceiling of any attachment.
 *
 * Context: process context; @mm's mmap_lock held for writing.
 * Return: 0, or -EINVAL if the range is not exactly covered by mappings
 * of @seg (then nothing changed).
 */
int protshm_range_restrict_locked(struct mm_struct *mm, struct protshm_seg *seg,
				  unsigned long addr, unsigned long end,
				  u32 prot)
{
	VMA_ITERATOR(vmi, mm, addr);
	struct vm_area_struct *vma;

	protshm_assert_mmap_write_locked(mm);
	if (!protshm_range_covered_locked(mm, seg, addr, end))
		return -EINVAL;
	for_each_vma_range(vmi, vma, end)
		protshm_vma_restrict_locked(vma, prot);
	return 0;
}

static u32 protshm_vma_flags(struct vm_area_struct *vma)
{
	u32 flags = 0;

	if (vma->vm_flags & VM_READ)
		flags |= PROTSHM_VMA_F_READ;
	if (vma->vm_flags & VM_WRITE)
		flags |= PROTSHM_VMA_F_WRITE;
	if (vma->vm_flags & VM_MAYREAD)
		flags |= PROTSHM_VMA_F_MAYREAD;
	if (vma->vm_flags & VM_MAYWRITE)
		flags |= PROTSHM_VMA_F_MAYWRITE;
	if (vma->vm_flags & VM_MAYSHARE)
		flags |= PROTSHM_VMA_F_SHARED;
	return flags;
}

static int protshm_vma_snap_cmp(const void *a, const void *b)
{
	const struct protshm_vma_snap *x = a, *y = b;

	if (x->seg != y->seg)
		return x->seg < y->seg ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Copy @mm's protshm mappings into @c (up to @max).  Return: how many there
 * are.
 */
static unsigned int protshm_vmas_fill_locked(struct protshm_vmas *c,
					     struct mm_struct *mm,
					     unsigned int max)
{
	VMA_ITERATOR(vmi, mm, 0);
	struct protshm_attachment *a;
	struct vm_area_struct *vma;
	unsigned int n = 0;

	lockdep_assert_held(&mm->mmap_lock);
	for_each_vma(vmi, vma) {
		a = protshm_vma_attachment(vma);
		if (!a)
			continue;
		if (n < max) {
			c->v[n] = (struct protshm_vma_snap) {
				.seg = a->seg, .start = vma->vm_start,
				.end = vma->vm_end, .pgoff = vma->vm_pgoff,
				.flags = protshm_vma_flags(vma),
			};
		}
		n++;
	}
	return n;
}

/**
 * protshm_vmas_free() - release a copy of an address space's mappings
 * @c: the copy, emptied
 *
 * Context: process context; no protshm lock held.
 */
void protshm_vmas_free(struct protshm_vmas *c)
{
	if (c->mm)
		mmdrop(c->mm);
	kvfree(c->v);
	*c = (struct protshm_vmas) {};
}

/**
 * protshm_vmas_snapshot() - copy the protshm mappings of an address space
 * @c: the copy; left as it is if it is the copy of @mm already and no
 *	protshm mapping anywhere changed since
 * @mm: the address space (the caller holds mm_users)
 *
 * One walk under @mm's mmap_lock held for reading counts the mappings, one
 * copies them; the copy is sorted by segment, then address.
 *
 * Context: process context; no protshm lock held; takes @mm's mmap_lock.
 * Return: 0, -ENOMEM, -EINTR.
 */
int protshm_vmas_snapshot(struct protshm_vmas *c, struct mm_struct *mm)
{
	unsigned int n;

	if (c->mm == mm && c->gen == atomic64_read(&protshm_maps_gen))
		return 0;
	protshm_vmas_free(c);
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	/* changes are made under the write lock: stable while this holds */
	c->gen = atomic64_read(&protshm_maps_gen);
	n = protshm_vmas_fill_locked(c, mm, 0);
	/* one entry per mapping the process made: no warning on failure */
	c->v = kvmalloc_array(n ?: 1, sizeof(*c->v),
			      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (c->v)
		c->nr = protshm_vmas_fill_locked(c, mm, n);
	mmap_read_unlock(mm);
	if (!c->v)
		return -ENOMEM;
	sort(c->v, c->nr, sizeof(*c->v), protshm_vma_snap_cmp, NULL);
	mmgrab(mm);
	c->mm = mm;
	return 0;
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
 * Context: vm_ops->access; the VMA's mm mmap_lock held for reading.
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
	if (write && a->seg->lease && !protshm_lease_may_write(vma))
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

static const struct vm_operations_struct protshm_vm_ops = {
	.open = protshm_vm_open,
	.close = protshm_vm_close,
	.fault = protshm_vm_fault,
	.huge_fault = PROTSHM_VM_HUGE_FAULT,
	.mprotect = protshm_vm_mprotect,
	.access = protshm_vm_access,
};

/*
 * dup_mmap() copies the PTEs of a shared mapping with their write and dirty
 * bits after ->open: a child must not inherit writable PTEs, so the
 * parent's own are dropped first (it refaults them).  Whoever holds the
 * lease now: a move that lands during the fork waits for the parent's
 * mmap_lock before it zaps, and would come after the copy.
 * Context: ->open from dup_mmap(); the parent's mmap_lock held for writing.
 */
static void protshm_lease_vm_open(struct vm_area_struct *vma)
{
	struct vm_area_struct *parent;

	if (vma->vm_mm != current->mm) {
		parent = vma_lookup(current->mm, vma->vm_start);
		if (parent && (parent->vm_flags & VM_MAYWRITE))
			protshm_zap_vma(parent);
	}
	protshm_vm_open(vma);
}

/*
 * Mappings of a segment with a write lease (lease.c): ->pfn_mkwrite makes
 * the core map them read-only until a write fault checks the lease, and
 * without ->huge_fault they never get a PMD (every write-protection is per
 * PTE).
 */
static const struct vm_operations_struct protshm_lease_vm_ops = {
	.open = protshm_lease_vm_open,
	.close = protshm_vm_close,
	.fault = protshm_vm_fault,
	.pfn_mkwrite = protshm_lease_pfn_mkwrite,
	.mprotect = protshm_vm_mprotect,
	.access = protshm_vm_access,
};

/**
 * protshm_vmas_unlease() - take write access from the mappings of @seg in @mm
 * @seg: a segment with a write lease, no longer held by @mm's process
 * @mm: the address space (with a user reference)
 *
 * Zaps the PTEs (flushing the TLBs) of every mapping of @seg in @mm that may
 * be writable (VM_MAYWRITE: mprotect(PROT_READ) leaves a PTE the holder
 * dirtied read-only but dirty, and mprotect() back to PROT_WRITE makes dirty
 * PTEs of a shared mapping writable without a fault).  The mmap_lock held
 * for writing, and each VMA write-locked, wait for the write faults and
 * ->access() calls in progress: one that checked the lease before the move
 * either finished before the zap, which removes its PTE, or has not
 * started, and then sees the new holder.  (With the lock only held for
 * reading, a fault that checked the old holder could make writable a PTE
 * that another thread's read fault had put back after the zap, the same
 * for pte_same().)
 *
 * Context: process context; no protshm lock held; takes @mm's mmap_lock
 * for writing.
 */
void protshm_vmas_unlease(struct protshm_seg *seg, struct mm_struct *mm)
{
	VMA_ITERATOR(vmi, mm, 0);
	struct vm_area_struct *vma;

	mmap_write_lock(mm);
	for_each_vma(vmi, vma) {
		if ((vma->vm_flags & VM_MAYWRITE) && protshm_vma_of(vma, seg)) {
			protshm_vma_start_write(vma);
			protshm_zap_vma(vma);
		}
	}
	mmap_write_unlock(mm);
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
 * Context: ->mmap; current's mmap_lock held for writing; takes seg->lock.
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
	denied = protshm_denied_flags(protshm_attach_file_rights(a, pf));
	if (vma->vm_flags & denied & (VM_READ | VM_WRITE)) {
		protshm_attach_put(a);
		return -EACCES;
	}
	kref_get(&seg->ref);
	vm_flags_mod(vma, VM_MIXEDMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP |
		     PROTSHM_VM_HUGE, denied);
	vma->vm_ops = seg->lease ? &protshm_lease_vm_ops : &protshm_vm_ops;
	vma->vm_page_prot = protshm_vma_page_prot(vma);
	vma->vm_private_data = a;
	atomic64_inc(&protshm_maps_gen);
	return 0;
}
