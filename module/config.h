/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the target kernel's configuration must have, and which optional
 * features this build of protshm has.  Kbuild detects the kernel's
 * features from its headers (PROTSHM_HAVE_*); compat.h bridges the
 * differences between kernels.  Included by internal.h, so by every file.
 */
#ifndef PROTSHM_CONFIG_H
#define PROTSHM_CONFIG_H

#ifndef CONFIG_MEMCG
#error "protshm needs CONFIG_MEMCG (segment pages are charged to a memcg, fork uses mm->owner)"
#endif
#ifndef CONFIG_TRACEPOINTS
#error "protshm needs CONFIG_TRACEPOINTS (fork lineage, see lineage.c)"
#endif
#ifdef CONFIG_PREEMPT_RT
#error "protshm's fork probe allocates with preemption disabled: not on PREEMPT_RT"
#endif
#ifndef CONFIG_ARCH_HAS_PTE_SPECIAL
#error "protshm needs special PTEs (CONFIG_ARCH_HAS_PTE_SPECIAL)"
#endif

/*
 * PROTSHM_HUGE: 2 MiB mappings (huge.c).  They need the huge PFN map
 * support of the fault path: ->huge_fault(vmf, order) is called for
 * VM_MIXEDMAP VMAs and vmf_insert_pfn_pmd() installs a special PMD that GUP
 * refuses (with CONFIG_ARCH_SUPPORTS_PMD_PFNMAP).  Without it, everything
 * stays 4 KiB and internal.h gives huge.c's interface as stubs.
 */
#if defined(PROTSHM_HAVE_PMD_PFNMAP) && \
	defined(PROTSHM_HAVE_HUGE_FAULT_ORDER) && \
	defined(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP) && \
	defined(CONFIG_TRANSPARENT_HUGEPAGE)
#define PROTSHM_HUGE 1
#endif

#endif /* PROTSHM_CONFIG_H */
