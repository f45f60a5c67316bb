/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iova.h - the IOVA allocator (include/linux/iova.h, reference/dma-iommu.md §1).
 *
 * Owned by src/iommu/iova.c: struct iova_domain, its red-black tree of
 * struct iova ranges (libbsd <sys/tree.h>), the cached nodes and the
 * per-CPU range caches ("rcaches": magazines of 127 pfns plus a depot).
 *
 * Simulation notes: a "CPU" is the simulated CPU id of the caller
 * (machine->cpu, bound with iova_domain_bind()); the depot trim work runs
 * on the machine's logical clock through iova_run_timers(). No locks: the
 * simulation is single-threaded, interleavings come from the scheduler.
 */
#ifndef P2PSIM_SRC_IOMMU_IOVA_H
#define P2PSIM_SRC_IOMMU_IOVA_H

#include <sys/tree.h>

#include "models/types.h"

#define IOVA_RANGE_CACHE_MAX_SIZE 6 /* log of max cached IOVA range size (in pages) */
#define IOVA_MAG_SIZE 127
#define IOVA_DEPOT_DELAY_NS (100ULL * 1000 * 1000) /* IOVA_DEPOT_DELAY: 100 ms */

struct iova {
	RB_ENTRY(iova) node;
	unsigned long pfn_hi; /* inclusive */
	unsigned long pfn_lo;
};

RB_HEAD(iova_rbtree, iova);

struct iova_magazine;

struct iova_cpu_rcache {
	struct iova_magazine *loaded;
	struct iova_magazine *prev;
};

struct iova_rcache {
	struct iova_magazine *depot; /* full magazines, singly linked */
	unsigned long depot_size;
	struct iova_cpu_rcache *cpu_rcaches; /* nr_cpus of them */
	bool work_pending;                   /* the delayed depot-trim work */
	u64 work_due_ns;
};

struct iova_stats {
	u64 alloc_fast;          /* alloc_iova_fast successes ("IOVAs allocated") */
	u64 alloc_fast_failed;   /* alloc_iova_fast returning 0 */
	u64 free_fast;           /* free_iova_fast calls ("IOVAs freed") */
	u64 rcache_hits;         /* alloc_iova_fast served from a magazine */
	u64 rcache_misses;       /* ... that fell back to the tree */
	u64 rcache_inserts;      /* free_iova_fast kept in a magazine */
	u64 rcache_insert_fails; /* ... that went back to the tree */
	u64 rcache_flushes;      /* flush-and-retry of alloc_iova_fast */
	u64 tree_allocs;         /* nodes inserted by the allocator */
	u64 tree_alloc_fails;
	u64 tree_frees;          /* nodes removed */
	u64 depot_pushes, depot_trims;
	u64 magazines_live;
	u64 nodes_live;          /* nodes in the tree, anchor excluded (reservations included) */
};

struct iova_domain {
	struct iova_rbtree rbroot;
	struct iova *cached_node;   /* top-down next-fit starting point, above 32 bits */
	struct iova *cached32_node; /* ... below dma_32bit_pfn */
	unsigned long granule;
	unsigned long start_pfn;
	unsigned long dma_32bit_pfn; /* exclusive */
	unsigned long max32_alloc_size;
	struct iova anchor;         /* pfn_lo = pfn_hi = ~0UL, always in the tree */
	struct iova_rcache *rcaches; /* IOVA_RANGE_CACHE_MAX_SIZE of them, NULL before init */
	unsigned int nr_cpus;
	const unsigned int *cpu;    /* the caller's simulated CPU id (NULL: CPU 0) */
	const u64 *clock_ns;        /* logical clock for the depot work (NULL: 0) */
	struct iova_stats stats;
};

static inline unsigned long iova_shift(const struct iova_domain *iovad)
{
	return (unsigned long)__builtin_ctzl(iovad->granule);
}

static inline unsigned long iova_mask(const struct iova_domain *iovad)
{
	return iovad->granule - 1;
}

static inline size_t iova_offset(const struct iova_domain *iovad, dma_addr_t iova)
{
	return iova & iova_mask(iovad);
}

static inline size_t iova_align(const struct iova_domain *iovad, size_t size)
{
	return (size + iovad->granule - 1) & ~(size_t)(iovad->granule - 1);
}

static inline size_t iova_align_down(const struct iova_domain *iovad, size_t size)
{
	return size & ~(size_t)(iovad->granule - 1);
}

static inline dma_addr_t iova_dma_addr(const struct iova_domain *iovad, const struct iova *iova)
{
	return (dma_addr_t)iova->pfn_lo << iova_shift(iovad);
}

static inline unsigned long iova_pfn(const struct iova_domain *iovad, dma_addr_t iova)
{
	return iova >> iova_shift(iovad);
}

/* iova_rcache_range(): the largest size the rcaches hold, PAGE_SIZE << 5 = 128 KiB. */
static inline unsigned long iova_rcache_range(void)
{
	return 4096UL << (IOVA_RANGE_CACHE_MAX_SIZE - 1);
}

/* granule: a power of two <= 4 KiB. Returns 0 or -EINVAL (the kernel BUGs). */
int init_iova_domain(struct iova_domain *iovad, unsigned long granule, unsigned long start_pfn);
/* Simulation hook: where the CPU id and the clock come from; call before init_rcaches. */
void iova_domain_bind(struct iova_domain *iovad, unsigned int nr_cpus, const unsigned int *cpu,
		      const u64 *clock_ns);
/* 6 rcaches with empty loaded/prev magazines per CPU. 0 or -ENOMEM. */
int iova_domain_init_rcaches(struct iova_domain *iovad);
/* Free the rcaches (without returning their pfns) and every node. */
void put_iova_domain(struct iova_domain *iovad);

struct iova *alloc_iova(struct iova_domain *iovad, unsigned long size, unsigned long limit_pfn,
			bool size_aligned);
void free_iova(struct iova_domain *iovad, unsigned long pfn);
void __free_iova(struct iova_domain *iovad, struct iova *iova);
struct iova *find_iova(struct iova_domain *iovad, unsigned long pfn);
struct iova *reserve_iova(struct iova_domain *iovad, unsigned long pfn_lo, unsigned long pfn_hi);

unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn, bool flush_rcache);
void free_iova_fast(struct iova_domain *iovad, unsigned long pfn, unsigned long size);

/* Give every CPU's and the depot's cached pfns back to the tree. */
void free_cpu_cached_iovas(unsigned int cpu, struct iova_domain *iovad);
void free_global_cached_iovas(struct iova_domain *iovad);

/* Run the depot-trim work items whose deadline is <= now (logical clock). */
void iova_run_timers(struct iova_domain *iovad, u64 now_ns);

/* Number of pfns held in the rcaches of size class @log (all CPUs and the depot). */
unsigned long iova_rcache_cached(const struct iova_domain *iovad, unsigned int log);

static inline const struct iova_stats *iova_domain_stats(const struct iova_domain *iovad)
{
	return &iovad->stats;
}

#endif /* P2PSIM_SRC_IOMMU_IOVA_H */
