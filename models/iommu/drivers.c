// SPDX-License-Identifier: GPL-2.0-only
/*
 * drivers.c - the driver side of each IOMMU type: struct iommu_domain_ops
 * (map_pages, unmap_pages, iotlb_sync_map, iotlb_sync, flush_iotlb_all,
 * iova_to_phys) over the shared page table (pgtable.c) and IOTLB
 * (iommu_hw.c). What differs between types is what the kernel drivers do
 * differently (reference/dma-iommu.md §2.4):
 *
 *   type      partial large-page unmap    iotlb_sync_map   large leaf over
 *                                                           an empty table
 *   VT-d      unmap whole leaf, return    yes              replace it
 *             its size (rounds up)
 *   AMD-Vi    same as VT-d                yes              replace it
 *   SMMUv3    refuse: return 0            no               -EEXIST
 *   generic   refuse: return 0            no               -EEXIST
 *
 * All four advertise IOMMU_CAP_DEFERRED_FLUSH, so DMA_FQ is allowed.
 * Mapping over a present entry returns -EEXIST for every type (VT-d warns
 * and keeps the old entry; the model reports it as an error).
 *
 * Gather: unmap_pages widens the caller's gather over what it removed. If
 * the new range is disjoint from it (or, VT-d / SMMUv3, of a different
 * page size), the pending range is synced first, as
 * iommu_iotlb_gather_add_page() does; the model keeps the gather's queued
 * flag across that early sync. VT-d leaves a queued gather alone (it does
 * no page-selective invalidation for a flush queue); the core then widens
 * it over the whole request so that the gather is never empty.
 */
#include <errno.h>

#include "models/iommu/iommu_hw_internal.h"

static const struct iommu_driver *domain_driver(const struct iommu_domain *domain)
{
	return domain->hw->driver;
}

static int hw_map_pages(struct iommu_domain *domain, unsigned long iova, phys_addr_t paddr,
			size_t pgsize, size_t pgcount, int prot, size_t *mapped)
{
	const struct iommu_driver *drv = domain_driver(domain);
	struct iommu_hw *hw = domain->hw;
	unsigned int shift = (unsigned int)__builtin_ctzll(pgsize);
	int ret = 0;

	hw->stats.map_pages++;
	*mapped = 0;
	for (size_t i = 0; i < pgcount; i++) {
		ret = io_pgtable_map_one(domain->pgtable, iova, paddr, shift, prot,
					 drv->replace_empty_tables);
		if (ret)
			break;
		*mapped += pgsize;
		iova += pgsize;
		paddr += pgsize;
	}
	return ret;
}

static void hw_gather_add(struct iommu_domain *domain, struct iommu_iotlb_gather *gather,
			  unsigned long iova, size_t size, bool check_pgsize)
{
	unsigned long end = iova + size - 1;
	bool disjoint = gather->end != 0 && (end + 1 < gather->start || iova > gather->end + 1);

	if ((check_pgsize && gather->pgsize && gather->pgsize != size) || disjoint) {
		bool queued = gather->queued;

		domain->ops->iotlb_sync(domain, gather);
		*gather = (struct iommu_iotlb_gather){ .start = ~0UL, .queued = queued };
	}
	gather->pgsize = size;
	if (gather->start > iova)
		gather->start = iova;
	if (gather->end < end)
		gather->end = end;
}

static size_t hw_unmap_pages(struct iommu_domain *domain, unsigned long iova, size_t pgsize,
			     size_t pgcount, struct iommu_iotlb_gather *gather)
{
	const struct iommu_driver *drv = domain_driver(domain);
	struct iommu_hw *hw = domain->hw;
	unsigned int shift = (unsigned int)__builtin_ctzll(pgsize);
	unsigned long end = iova + pgsize * pgcount;
	unsigned long first = 0, last = 0;
	size_t unmapped = 0;

	hw->stats.unmap_pages++;
	while (iova < end) {
		dma_addr_t base = 0;
		size_t n = io_pgtable_unmap_one(domain->pgtable, iova, shift, drv->partial_unmap,
						gather, &base);

		if (!n)
			break;
		if (!unmapped)
			first = base;
		last = base + n;
		unmapped += n;
		iova = base + n;
	}
	if (unmapped && !(drv->gather_skip_queued && gather->queued))
		hw_gather_add(domain, gather, first, last - first, drv->gather_checks_pgsize);
	return unmapped;
}

static int hw_iotlb_sync_map(struct iommu_domain *domain, unsigned long iova, size_t size)
{
	struct iommu_hw *hw = domain->hw;

	hw->stats.iotlb_sync_map++;
	/* Fault injection (iommu_hw_fail_sync_map): nothing is synced. */
	if (hw->fail_sync_map_in && --hw->fail_sync_map_in == 0)
		return -ENOMEM;
	IOMMU_EMIT(hw->machine, EV_IOTLB_SYNC, .aux = domain->id, .addr = iova, .len = size,
		   .flags = 1);
	return 0;
}

static void hw_iotlb_sync(struct iommu_domain *domain, struct iommu_iotlb_gather *gather)
{
	struct iommu_hw *hw = domain->hw;

	hw->stats.iotlb_sync++;
	if (gather->start <= gather->end) {
		IOMMU_EMIT(hw->machine, EV_IOTLB_SYNC, .aux = domain->id, .addr = gather->start,
			   .len = gather->end - gather->start + 1);
		iommu_hw_iotlb_inv_range(hw, domain, gather->start, gather->end);
	} else {
		IOMMU_EMIT(hw->machine, EV_IOTLB_SYNC, .aux = domain->id);
	}
	/* The IOTLB no longer reaches them: page-table pages may go now. */
	io_pgtable_free_list(hw, gather->freelist);
	gather->freelist = NULL;
}

static void hw_flush_iotlb_all(struct iommu_domain *domain)
{
	struct iommu_hw *hw = domain->hw;

	hw->stats.flush_iotlb_all++;
	iommu_hw_iotlb_inv_domain(hw, domain->id);
}

static phys_addr_t hw_iova_to_phys(struct iommu_domain *domain, dma_addr_t iova)
{
	unsigned int shift = 12;
	u64 pte = io_pgtable_walk(domain->pgtable, iova, &shift);

	if (!pte)
		return 0;
	return iommu_pte_phys(pte, shift) + (iova & ((1ULL << shift) - 1));
}

static const struct iommu_domain_ops ops_with_sync_map = {
	.map_pages = hw_map_pages,
	.unmap_pages = hw_unmap_pages,
	.iotlb_sync_map = hw_iotlb_sync_map,
	.iotlb_sync = hw_iotlb_sync,
	.flush_iotlb_all = hw_flush_iotlb_all,
	.iova_to_phys = hw_iova_to_phys,
};

static const struct iommu_domain_ops ops_no_sync_map = {
	.map_pages = hw_map_pages,
	.unmap_pages = hw_unmap_pages,
	.iotlb_sync = hw_iotlb_sync,
	.flush_iotlb_all = hw_flush_iotlb_all,
	.iova_to_phys = hw_iova_to_phys,
};

static const struct iommu_driver drivers[] = {
	[IOMMU_TYPE_INTEL_VTD] = { .name = "intel-iommu",
				   .ops = &ops_with_sync_map,
				   .partial_unmap = PARTIAL_UNMAP_ROUND_UP,
				   .replace_empty_tables = true,
				   .deferred_flush = true,
				   .gather_checks_pgsize = true,
				   .gather_skip_queued = true },
	[IOMMU_TYPE_AMD_VI] = { .name = "amd-iommu",
				.ops = &ops_with_sync_map,
				.partial_unmap = PARTIAL_UNMAP_ROUND_UP,
				.replace_empty_tables = true,
				.deferred_flush = true,
				.gather_checks_pgsize = false },
	[IOMMU_TYPE_ARM_SMMUV3] = { .name = "arm-smmu-v3",
				    .ops = &ops_no_sync_map,
				    .partial_unmap = PARTIAL_UNMAP_REFUSE,
				    .replace_empty_tables = false,
				    .deferred_flush = true,
				    .gather_checks_pgsize = true },
	[IOMMU_TYPE_GENERIC] = { .name = "generic",
				 .ops = &ops_no_sync_map,
				 .partial_unmap = PARTIAL_UNMAP_REFUSE,
				 .replace_empty_tables = false,
				 .deferred_flush = true,
				 .gather_checks_pgsize = true },
};

const struct iommu_driver *iommu_driver_for(enum iommu_type type)
{
	if ((unsigned int)type >= ARRAY_SIZE(drivers))
		type = IOMMU_TYPE_GENERIC;
	return &drivers[type];
}
