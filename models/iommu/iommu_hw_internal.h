/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommu_hw_internal.h - private to models/iommu: the layout of struct
 * iommu_hw (IOTLB arrays, fault ring, statistics), the page-table entry
 * encoding and the calls between iommu_hw.c, pgtable.c and drivers.c.
 * Nothing outside models/iommu includes this.
 */
#ifndef P2PSIM_MODELS_IOMMU_HW_INTERNAL_H
#define P2PSIM_MODELS_IOMMU_HW_INTERNAL_H

#include "models/iommu/iommu_hw.h"

/* Page-table entry bits (our own format; every IOMMU type shares it). */
#define PTE_PRESENT (1ULL << 0)
#define PTE_TABLE (1ULL << 1)
#define PTE_PROT_SHIFT 2
#define PTE_TABLE_PTR(e) ((struct pt_table *)(uintptr_t)((e) & ~(u64)0xf))

/* Page-size classes: index 0 = 4K (level 1), 1 = 2M (level 2), 2 = 1G (level 3). */
#define IOMMU_NR_PGSIZE_CLASSES 3

static inline unsigned int pgsize_class_shift(unsigned int cls)
{
	return 12 + 9 * cls;
}

/* What a driver does when an unmap covers only part of a large leaf (reference §2.4). */
enum partial_unmap_policy {
	PARTIAL_UNMAP_ROUND_UP, /* Intel VT-d, AMD: unmap the whole leaf, return its size */
	PARTIAL_UNMAP_REFUSE,   /* Arm io-pgtable (>= v6.13), generic: return 0 */
};

struct iotlb_entry {
	u64 vpn;      /* iova >> shift */
	u64 phys;     /* output page base */
	u64 lru;      /* last use stamp; 0 = invalid */
	u32 domain_id;
	u32 pt_gen;   /* the page table's change count at fill: unchanged means not stale */
	u8 shift;
	u8 prot;
};

struct iommu_driver {
	const char *name;
	const struct iommu_domain_ops *ops;
	enum partial_unmap_policy partial_unmap;
	bool replace_empty_tables; /* install a large leaf over a table with no leaves */
	bool deferred_flush;       /* IOMMU_CAP_DEFERRED_FLUSH */
	bool gather_checks_pgsize; /* gather_add_page (VT-d, SMMUv3) vs disjoint-only (AMD) */
	bool gather_skip_queued;   /* VT-d: a queued gather is left alone (flush comes later) */
};

struct iommu_hw {
	struct machine *machine;
	const struct iommu_desc *desc;
	const struct iommu_driver *driver;
	u64 pgsize_bitmap;

	/* IOTLB: nr_sets * ways entries, set-major */
	struct iotlb_entry *iotlb;
	unsigned int iotlb_sets;
	unsigned int iotlb_set_mask; /* iotlb_sets - 1 when a power of two, else 0 (use %) */
	unsigned int iotlb_ways;
	u64 iotlb_clock; /* LRU stamps */

	/* fault log ring */
	struct iommu_fault_record faults[IOMMU_FAULT_LOG_SIZE];
	u64 nr_faults;

	struct iommu_domain *domains;
	u32 next_domain_id;
	u64 next_table_id;
	unsigned long fail_pgtable_alloc_in; /* test hook: 0 = off */
	unsigned long fail_sync_map_in;      /* fault injection: 0 = off */

	struct iommu_hw_stats stats;
};

struct io_pgtable {
	struct iommu_hw *hw;
	struct iommu_domain *domain;
	struct pt_table *top;
	u64 nr_pages;
	/*
	 * Walk cache of the simulator (not of the hardware): the level-1 table
	 * that maps the 2 MiB region l1_tag (iova >> 21), so that repeated 4K
	 * work in one region skips three levels. Reset whenever a table is
	 * detached or replaced.
	 */
	u64 l1_tag;
	struct pt_table *l1;
	/* Bumped whenever a leaf or table is removed: lets a hit skip the stale check. */
	u32 gen;
};

/* drivers.c */
const struct iommu_driver *iommu_driver_for(enum iommu_type type);

/* pgtable.c: one leaf at a time; @shift 12, 21 or 30 */
int io_pgtable_map_one(struct io_pgtable *pt, dma_addr_t iova, phys_addr_t paddr,
		       unsigned int shift, int prot, bool replace_empty_tables);
/*
 * Remove what maps @iova at size 1 << @shift. Returns the bytes removed and
 * sets *@base_out to the removed leaf's (or table span's) base; 0 for a hole
 * or a refused partial large-page unmap. Tables detached whole go on
 * gather->freelist.
 */
size_t io_pgtable_unmap_one(struct io_pgtable *pt, dma_addr_t iova, unsigned int shift,
			    enum partial_unmap_policy policy, struct iommu_iotlb_gather *gather,
			    dma_addr_t *base_out);

/* iommu_hw.c: IOTLB invalidation */
void iommu_hw_iotlb_inv_range(struct iommu_hw *hw, struct iommu_domain *domain,
			      unsigned long start, unsigned long end_incl);
void iommu_hw_iotlb_inv_domain(struct iommu_hw *hw, u32 domain_id);

#endif /* P2PSIM_MODELS_IOMMU_HW_INTERNAL_H */
