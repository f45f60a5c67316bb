/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommu.h - the IOMMU core API (include/linux/iommu.h, drivers/iommu/iommu.c;
 * reference/dma-iommu.md §2): domains as the core sees them, map / unmap
 * with the page-size split, the IOTLB gather, and the per-device probe that
 * picks and attaches the default domain.
 *
 * The domain struct, protection bits, domain types and the gather struct
 * are shared with the drivers and live in models/iommu/iommu_hw.h.
 */
#ifndef P2PSIM_SRC_IOMMU_IOMMU_H
#define P2PSIM_SRC_IOMMU_IOMMU_H

#include <sys/types.h>

#include "models/iommu/iommu_hw.h"
#include "src/dma/dma.h"
#include "src/dma/scatterlist.h"

/* --- gather (include/linux/iommu.h inlines; reference §2.5) --------------- */

static inline void iommu_iotlb_gather_init(struct iommu_iotlb_gather *gather)
{
	*gather = (struct iommu_iotlb_gather){ .start = ~0UL };
}

static inline void iommu_iotlb_gather_add_range(struct iommu_iotlb_gather *gather,
						unsigned long iova, size_t size)
{
	unsigned long end = iova + size - 1;

	if (gather->start > iova)
		gather->start = iova;
	if (gather->end < end)
		gather->end = end;
}

/* Adjacent ranges count as joined. */
static inline bool iommu_iotlb_gather_is_disjoint(struct iommu_iotlb_gather *gather,
						  unsigned long iova, size_t size)
{
	unsigned long start = iova, end = start + size - 1;

	return gather->end != 0 && (end + 1 < gather->start || start > gather->end + 1);
}

static inline bool iommu_iotlb_gather_queued(struct iommu_iotlb_gather *gather)
{
	return gather && gather->queued;
}

/* Call the driver's iotlb_sync over the gathered range, then re-init the gather. */
void iommu_iotlb_sync(struct iommu_domain *domain, struct iommu_iotlb_gather *iotlb_gather);
/* Sync first if @size is a new page size or the range is disjoint, then widen. */
void iommu_iotlb_gather_add_page(struct iommu_domain *domain, struct iommu_iotlb_gather *gather,
				 unsigned long iova, size_t size);
void iommu_flush_iotlb_all(struct iommu_domain *domain);

/* --- map / unmap (reference §2.2 - §2.4) ---------------------------------- */

size_t iommu_pgsize(struct iommu_domain *domain, unsigned long iova, phys_addr_t paddr,
		    size_t size, size_t *count);
/* 0, -EINVAL (not paging, unaligned), -ENODEV (no ops), or the driver's error. No sync. */
int iommu_map_nosync(struct iommu_domain *domain, unsigned long iova, phys_addr_t paddr,
		     size_t size, int prot);
int iommu_sync_map(struct iommu_domain *domain, unsigned long iova, size_t size);
int iommu_map(struct iommu_domain *domain, unsigned long iova, phys_addr_t paddr, size_t size,
	      int prot);
/* Bytes mapped, or a negative errno (everything undone). */
ssize_t iommu_map_sg(struct iommu_domain *domain, unsigned long iova, struct scatterlist *sg,
		     unsigned int nents, int prot);
size_t __iommu_unmap(struct iommu_domain *domain, unsigned long iova, size_t size,
		     struct iommu_iotlb_gather *iotlb_gather);
size_t iommu_unmap(struct iommu_domain *domain, unsigned long iova, size_t size);
size_t iommu_unmap_fast(struct iommu_domain *domain, unsigned long iova, size_t size,
			struct iommu_iotlb_gather *iotlb_gather);
/* IDENTITY: iova; BLOCKED: 0; paging: the driver's walk (0 = not mapped). */
phys_addr_t iommu_iova_to_phys(struct iommu_domain *domain, dma_addr_t iova);

/* --- domains and devices --------------------------------------------------- */

struct iommu_domain *iommu_domain_alloc(struct iommu_hw *hw, unsigned int type);
/* Frees the dma-iommu cookie (if any), the page table and the domain. */
void iommu_domain_free(struct iommu_domain *domain);
/* Attach @dev to @domain (detaching it from its current one). 0 or -EINVAL. */
int iommu_attach_device(struct iommu_domain *domain, struct device *dev);
void iommu_detach_device(struct iommu_domain *domain, struct device *dev);

/*
 * What iommu_probe_device() + iommu_setup_dma_ops() do for @dev behind @hw:
 * default domain type from @mode (strict -> DMA, lazy -> DMA_FQ,
 * passthrough -> IDENTITY, off -> no IOMMU use), untrusted devices forced to
 * DMA (strict), allocate and attach the domain, and for DMA API domains
 * iommu_dma_init_domain() (granule, base pfn 1, reservations, flush queue)
 * with dev->dma_iommu and dev->pci_32bit_workaround set.
 *
 * Simplification: one default domain per device (the kernel shares one per
 * IOMMU group; ACS-derived groups are not modelled here).
 * Returns 0, -ENOMEM, or the error of iommu_dma_init_domain().
 */
int iommu_probe_device_dma(struct device *dev, struct iommu_hw *hw, enum iommu_mode mode);
/* Detach and free @dev's default domain (flush queue, IOVAs, page table). */
void iommu_release_device_dma(struct device *dev);

#endif /* P2PSIM_SRC_IOMMU_IOMMU_H */
