/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * direct.h - dma-direct (kernel/dma/direct.h, include/linux/dma-direct.h,
 * v7.0-era; reference/dma-iommu.md §4): address translation through
 * dev->dma_range_map, dma_capable(), and the streaming entry points the
 * dispatcher (mapping.c) calls for devices without an IOMMU DMA domain.
 *
 * Memory encryption is not modelled: phys_to_dma_unencrypted() is
 * phys_to_dma() and dma_addr_encrypted() is the identity.
 */
#ifndef P2PSIM_SRC_DMA_DIRECT_H
#define P2PSIM_SRC_DMA_DIRECT_H

#include "src/dma/dma.h"
#include "src/dma/scatterlist.h"

static inline u64 min_not_zero_u64(u64 a, u64 b)
{
	return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

/* The physical address for a dma_range_map miss (dma_to_phys). */
#define DMA_PHYS_INVALID ((phys_addr_t)-1)

static inline dma_addr_t translate_phys_to_dma(const struct device *dev, phys_addr_t paddr)
{
	for (const struct bus_dma_region *m = dev->dma_range_map; m->size; m++) {
		if (paddr >= m->cpu_start && paddr - m->cpu_start < m->size)
			return m->dma_start + (paddr - m->cpu_start);
	}
	return DMA_MAPPING_ERROR;
}

static inline phys_addr_t translate_dma_to_phys(const struct device *dev, dma_addr_t dma_addr)
{
	for (const struct bus_dma_region *m = dev->dma_range_map; m->size; m++) {
		if (dma_addr >= m->dma_start && dma_addr - m->dma_start < m->size)
			return m->cpu_start + (dma_addr - m->dma_start);
	}
	return DMA_PHYS_INVALID;
}

static inline dma_addr_t phys_to_dma_unencrypted(const struct device *dev, phys_addr_t paddr)
{
	if (dev->dma_range_map)
		return translate_phys_to_dma(dev, paddr);
	return paddr;
}

static inline dma_addr_t phys_to_dma(const struct device *dev, phys_addr_t paddr)
{
	return phys_to_dma_unencrypted(dev, paddr);
}

static inline phys_addr_t dma_to_phys(const struct device *dev, dma_addr_t dma_addr)
{
	if (dev->dma_range_map)
		return translate_dma_to_phys(dev, dma_addr);
	return dma_addr;
}

/*
 * Can @dev reach [addr, addr + size) by DMA? dma_addr_t is 64-bit here, so
 * the min_low_pfn test for 32-bit dma_addr_t never applies.
 */
static inline bool dma_capable(const struct device *dev, dma_addr_t addr, size_t size,
			       bool is_ram)
{
	dma_addr_t end = addr + size - 1;

	if (addr == DMA_MAPPING_ERROR)
		return false;
	return end <= min_not_zero_u64(dev->dma_mask, dev->bus_dma_limit);
}

dma_addr_t dma_direct_map_phys(struct device *dev, phys_addr_t phys, size_t size,
			       enum dma_data_direction dir, unsigned long attrs);
void dma_direct_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs);
/* Returns nents, or -EIO / -EREMOTEIO with everything mapped so far undone. */
int dma_direct_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs);
void dma_direct_unmap_sg(struct device *dev, struct scatterlist *sgl, int nents,
			 enum dma_data_direction dir, unsigned long attrs);
void dma_direct_sync_single_for_device(struct device *dev, dma_addr_t addr, size_t size,
				       enum dma_data_direction dir);
void dma_direct_sync_single_for_cpu(struct device *dev, dma_addr_t addr, size_t size,
				    enum dma_data_direction dir);
void dma_direct_sync_sg_for_device(struct device *dev, struct scatterlist *sgl, int nents,
				   enum dma_data_direction dir);
void dma_direct_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl, int nents,
				enum dma_data_direction dir);
bool dma_direct_need_sync(struct device *dev, dma_addr_t dma_addr);
/* One past the highest RAM byte, page aligned (max_pfn << PAGE_SHIFT). */
u64 dma_direct_ram_end(const struct device *dev);
/* Highest RAM address as this device sees it, as a mask 2^n - 1. */
u64 dma_direct_get_required_mask(struct device *dev);
/* Is every RAM range covered by dev->dma_range_map (true without a map)? */
bool dma_direct_all_ram_mapped(struct device *dev);
size_t dma_direct_max_mapping_size(struct device *dev);

#endif /* P2PSIM_SRC_DMA_DIRECT_H */
