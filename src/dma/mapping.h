/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mapping.h - the streaming DMA API and its dispatch (kernel/dma/mapping.c,
 * include/linux/dma-mapping.h, include/linux/dma-map-ops.h, v7.0-era;
 * reference/dma-iommu.md §4.5, §4.6).
 *
 * A device either uses dma-iommu (dev->dma_iommu, set when its default
 * domain is a DMA API domain) or dma-direct; there are no other dma_map_ops
 * here, so "ops" paths of the kernel are absent.
 *
 * kmalloc bouncing: the model is x86. CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC is
 * an arm64 option, so dma_kmalloc_safe() is always true and
 * dma_kmalloc_needs_bounce() always false; the functions keep the kernel's
 * shape so that another architecture profile can flip it.
 */
#ifndef P2PSIM_SRC_DMA_MAPPING_H
#define P2PSIM_SRC_DMA_MAPPING_H

#include "src/dma/dma.h"
#include "src/dma/scatterlist.h"

/* x86: __alignof__(unsigned long long); no kmalloc bouncing. */
#define ARCH_DMA_MINALIGN 8
#define CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC 0

static inline bool dma_kmalloc_safe(const struct device *dev, enum dma_data_direction dir)
{
	if (!CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC)
		return true;
	if (dev_is_dma_coherent(dev))
		return true;
	return dir == DMA_TO_DEVICE;
}

static inline bool dma_kmalloc_size_aligned(size_t size)
{
	/* kmalloc_size_roundup() of a size below 2 * minalign is a cache line here */
	return size >= 2 * ARCH_DMA_MINALIGN || (size % ARCH_DMA_MINALIGN) == 0;
}

static inline bool dma_kmalloc_needs_bounce(const struct device *dev, size_t size,
					    enum dma_data_direction dir)
{
	return !dma_kmalloc_safe(dev, dir) && !dma_kmalloc_size_aligned(size);
}

/* dma_reset_need_sync(): the first swiotlb bounce makes every sync count. */
static inline void dma_reset_need_sync(struct device *dev)
{
	if (dev->dma_skip_sync)
		dev->dma_skip_sync = false;
}

/* Always call the sync operations when DMA-API debugging is built in. */
static inline bool dma_dev_need_sync(const struct device *dev)
{
	return !dev->dma_skip_sync || (dev->machine && dev->machine->kconfig.dma_api_debug);
}


static inline u64 dma_get_seg_boundary(const struct device *dev)
{
	return dev->seg_boundary_mask ? dev->seg_boundary_mask : ~0ULL;
}

static inline unsigned int dma_get_min_align_mask(const struct device *dev)
{
	return dev->min_align_mask;
}

static inline unsigned int dma_get_max_seg_size(const struct device *dev)
{
	return dev->max_seg_size ? dev->max_seg_size : 65536;
}

/* dma_map_direct(): no IOMMU DMA domain (there are no other ops here). */
static inline bool dma_map_direct(const struct device *dev)
{
	return !use_dma_iommu(dev);
}

/* --- single mappings ----------------------------------------------------- */

dma_addr_t dma_map_phys(struct device *dev, phys_addr_t phys, size_t size,
			enum dma_data_direction dir, unsigned long attrs);
void dma_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
		    enum dma_data_direction dir, unsigned long attrs);
/* @page_phys: the page's physical address (page_to_phys); DMA_ATTR_MMIO is refused. */
dma_addr_t dma_map_page_attrs(struct device *dev, phys_addr_t page_phys, size_t offset,
			      size_t size, enum dma_data_direction dir, unsigned long attrs);
void dma_unmap_page_attrs(struct device *dev, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir, unsigned long attrs);
/* dma_map_single_attrs() on a kernel-virtual address == its physical address here. */
dma_addr_t dma_map_single_attrs(struct device *dev, phys_addr_t ptr, size_t size,
				enum dma_data_direction dir, unsigned long attrs);
void dma_unmap_single_attrs(struct device *dev, dma_addr_t addr, size_t size,
			    enum dma_data_direction dir, unsigned long attrs);
/* dma_map_resource() == dma_map_phys(attrs | DMA_ATTR_MMIO) */
dma_addr_t dma_map_resource(struct device *dev, phys_addr_t phys_addr, size_t size,
			    enum dma_data_direction dir, unsigned long attrs);
void dma_unmap_resource(struct device *dev, dma_addr_t addr, size_t size,
			enum dma_data_direction dir, unsigned long attrs);

/* 0, or -ENOMEM for DMA_MAPPING_ERROR (emits EV_DMA_MAPPING_ERROR_CHECKED). */
int dma_mapping_error(struct device *dev, dma_addr_t dma_addr);

/* --- scatter-gather ------------------------------------------------------ */

/* Mapped count, or 0 on any error. */
unsigned int dma_map_sg_attrs(struct device *dev, struct scatterlist *sg, int nents,
			      enum dma_data_direction dir, unsigned long attrs);
void dma_unmap_sg_attrs(struct device *dev, struct scatterlist *sg, int nents,
			enum dma_data_direction dir, unsigned long attrs);
/* 0 with sgt->nents set, or -EINVAL / -ENOMEM / -EIO / -EREMOTEIO / -EOPNOTSUPP. */
int dma_map_sgtable(struct device *dev, struct sg_table *sgt, enum dma_data_direction dir,
		    unsigned long attrs);
void dma_unmap_sgtable(struct device *dev, struct sg_table *sgt, enum dma_data_direction dir,
		       unsigned long attrs);

/* --- syncs --------------------------------------------------------------- */

void dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr, size_t size,
			     enum dma_data_direction dir);
void dma_sync_single_for_device(struct device *dev, dma_addr_t addr, size_t size,
				enum dma_data_direction dir);
void dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sg, int nelems,
			 enum dma_data_direction dir);
void dma_sync_sg_for_device(struct device *dev, struct scatterlist *sg, int nelems,
			    enum dma_data_direction dir);

/* --- limits and properties ----------------------------------------------- */

/* dma_set_mask(): 0, or -EIO when the mask is below what the device can use. */
int dma_set_mask(struct device *dev, u64 mask);
int dma_set_coherent_mask(struct device *dev, u64 mask);
int dma_set_mask_and_coherent(struct device *dev, u64 mask);
/* dma_setup_need_sync(): dma_skip_sync = coherent (direct or IOMMU). */
void dma_setup_need_sync(struct device *dev);
bool dma_need_unmap(struct device *dev);
bool dma_need_sync(struct device *dev, dma_addr_t dma_addr);
u64 dma_get_required_mask(struct device *dev);
bool dma_addressing_limited(struct device *dev);
size_t dma_max_mapping_size(struct device *dev);
size_t dma_opt_mapping_size(struct device *dev);

const char *dma_direction_name(enum dma_data_direction dir);
/* Parse "bidirectional"/"to_device"/"from_device"/"none" (also "bidir", "to", "from"). -1 if unknown. */
int dma_direction_parse(const char *name);

#endif /* P2PSIM_SRC_DMA_MAPPING_H */
