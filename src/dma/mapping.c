// SPDX-License-Identifier: GPL-2.0-only
// Follows kernel/dma/mapping.c, v7.0-era (reference/dma-iommu.md §4.5, §4.6).
/*
 * mapping.c - the streaming DMA API entry points and their dispatch
 * (mapping.h): dma-direct for devices without an IOMMU DMA domain,
 * dma-iommu (src/iommu/dma-iommu.c) for the others.
 *
 * Every entry point emits its EV_DMA_* event where the kernel calls its
 * debug_dma_* hook, so the dma-debug checker sees exactly what the kernel's
 * CONFIG_DMA_API_DEBUG would. The kernel's BUG_ON / WARN_ON_ONCE become
 * an error return (map) or a no-op (unmap, sync); nothing aborts.
 *
 * Owns no state.
 */
#include <errno.h>
#include <stdint.h>

#include "src/dma/direct.h"
#include "src/dma/mapping.h"
#include "src/dma/swiotlb.h"
#include "src/iommu/dma-iommu.h"

static void emit_map(struct device *dev, enum sim_event_kind kind, dma_addr_t addr,
		     phys_addr_t phys, size_t size, enum dma_data_direction dir,
		     unsigned long attrs, int ret)
{
	struct machine *m = dev->machine;

	if (__builtin_expect(m->events.nr_subs != 0, 0)) {
		struct sim_event ev = {
			.kind = kind,
			.dev = dev->pdev,
			.addr = addr,
			.phys = phys,
			.len = size,
			.dir = dir,
			.attrs = attrs,
			.ret = ret,
		};

		machine_emit(m, &ev);
	} else {
		m->events.counts[kind]++;
	}
}

/* --- single mappings ----------------------------------------------------- */

dma_addr_t dma_map_phys(struct device *dev, phys_addr_t phys, size_t size,
			enum dma_data_direction dir, unsigned long attrs)
{
	dma_addr_t addr;

	/* BUG_ON(!valid_dma_direction(dir)); WARN_ON_ONCE(!dev->dma_mask) */
	if (!valid_dma_direction(dir) || !dev->dma_mask) {
		emit_map(dev, EV_DMA_MAP, DMA_MAPPING_ERROR, phys, size, dir, attrs, -EINVAL);
		return DMA_MAPPING_ERROR;
	}
	if ((attrs & DMA_ATTR_REQUIRE_COHERENT) && !dev_is_dma_coherent(dev)) {
		emit_map(dev, EV_DMA_MAP, DMA_MAPPING_ERROR, phys, size, dir, attrs, -EOPNOTSUPP);
		return DMA_MAPPING_ERROR;
	}

	if (dma_map_direct(dev))
		addr = dma_direct_map_phys(dev, phys, size, dir, attrs);
	else
		addr = iommu_dma_map_phys(dev, phys, size, dir, attrs);

	emit_map(dev, EV_DMA_MAP, addr, phys, size, dir, attrs,
		 addr == DMA_MAPPING_ERROR ? -ENOMEM : 0);
	return addr;
}

void dma_unmap_phys(struct device *dev, dma_addr_t addr, size_t size, enum dma_data_direction dir,
		    unsigned long attrs)
{
	if (!valid_dma_direction(dir))
		return; /* BUG_ON */
	if (dma_map_direct(dev))
		dma_direct_unmap_phys(dev, addr, size, dir, attrs);
	else
		iommu_dma_unmap_phys(dev, addr, size, dir, attrs);
	emit_map(dev, EV_DMA_UNMAP, addr, 0, size, dir, attrs, 0);
}

dma_addr_t dma_map_page_attrs(struct device *dev, phys_addr_t page_phys, size_t offset, size_t size,
			      enum dma_data_direction dir, unsigned long attrs)
{
	/* A struct page is RAM by definition; MMIO goes through dma_map_resource(). */
	if (attrs & DMA_ATTR_MMIO)
		return DMA_MAPPING_ERROR;
	return dma_map_phys(dev, page_phys + offset, size, dir, attrs);
}

void dma_unmap_page_attrs(struct device *dev, dma_addr_t addr, size_t size,
			  enum dma_data_direction dir, unsigned long attrs)
{
	if (attrs & DMA_ATTR_MMIO)
		return;
	dma_unmap_phys(dev, addr, size, dir, attrs);
}

dma_addr_t dma_map_single_attrs(struct device *dev, phys_addr_t ptr, size_t size,
				enum dma_data_direction dir, unsigned long attrs)
{
	return dma_map_page_attrs(dev, ptr & ~(phys_addr_t)(PAGE_SIZE - 1), ptr & (PAGE_SIZE - 1),
				  size, dir, attrs);
}

void dma_unmap_single_attrs(struct device *dev, dma_addr_t addr, size_t size,
			    enum dma_data_direction dir, unsigned long attrs)
{
	dma_unmap_page_attrs(dev, addr, size, dir, attrs);
}

dma_addr_t dma_map_resource(struct device *dev, phys_addr_t phys_addr, size_t size,
			    enum dma_data_direction dir, unsigned long attrs)
{
	return dma_map_phys(dev, phys_addr, size, dir, attrs | DMA_ATTR_MMIO);
}

void dma_unmap_resource(struct device *dev, dma_addr_t addr, size_t size,
			enum dma_data_direction dir, unsigned long attrs)
{
	dma_unmap_phys(dev, addr, size, dir, attrs | DMA_ATTR_MMIO);
}

int dma_mapping_error(struct device *dev, dma_addr_t dma_addr)
{
	emit_map(dev, EV_DMA_MAPPING_ERROR_CHECKED, dma_addr, 0, 0, DMA_NONE, 0, 0);
	if (dma_addr == DMA_MAPPING_ERROR)
		return -ENOMEM;
	return 0;
}

/* --- scatter-gather ------------------------------------------------------ */

static void emit_sg(struct device *dev, enum sim_event_kind kind, struct scatterlist *sg, int nents,
		    int mapped, enum dma_data_direction dir, unsigned long attrs)
{
	struct machine *m = dev->machine;
	struct sim_event ev;
	u64 total = 0;

	if (__builtin_expect(m->events.nr_subs == 0, 1)) {
		m->events.counts[kind]++;
		return;
	}
	for (int i = 0; i < nents; i++)
		total += sg[i].length;
	ev = (struct sim_event){
		.kind = kind,
		.dev = dev->pdev,
		.addr = nents > 0 ? sg[0].dma_address : 0,
		.len = total,
		.dir = dir,
		.attrs = attrs,
		.count = (unsigned int)(nents > 0 ? nents : 0),
		.ret = mapped,
	};
	machine_emit(m, &ev);
}

static int __dma_map_sg_attrs(struct device *dev, struct scatterlist *sg, int nents,
			      enum dma_data_direction dir, unsigned long attrs)
{
	int ents;

	if (!valid_dma_direction(dir))
		return -EINVAL; /* BUG_ON */
	if ((attrs & DMA_ATTR_REQUIRE_COHERENT) && !dev_is_dma_coherent(dev))
		return -EOPNOTSUPP;
	if (!dev->dma_mask)
		return 0; /* WARN_ON_ONCE */

	if (dma_map_direct(dev))
		ents = dma_direct_map_sg(dev, sg, nents, dir, attrs);
	else
		ents = iommu_dma_map_sg(dev, sg, nents, dir, attrs);

	if (ents > 0) {
		emit_sg(dev, EV_DMA_MAP_SG, sg, nents, ents, dir, attrs);
	} else if (ents != -EINVAL && ents != -ENOMEM && ents != -EIO && ents != -EREMOTEIO) {
		/* WARN_ON_ONCE: an error the API does not document becomes -EIO */
		ents = -EIO;
		emit_sg(dev, EV_DMA_MAP_SG, sg, nents, ents, dir, attrs);
	} else {
		emit_sg(dev, EV_DMA_MAP_SG, sg, nents, ents, dir, attrs);
	}
	return ents;
}

unsigned int dma_map_sg_attrs(struct device *dev, struct scatterlist *sg, int nents,
			      enum dma_data_direction dir, unsigned long attrs)
{
	int ret = __dma_map_sg_attrs(dev, sg, nents, dir, attrs);

	if (ret < 0)
		return 0;
	return (unsigned int)ret;
}

int dma_map_sgtable(struct device *dev, struct sg_table *sgt, enum dma_data_direction dir,
		    unsigned long attrs)
{
	int nents = __dma_map_sg_attrs(dev, sgt->sgl, (int)sgt->orig_nents, dir, attrs);

	if (nents < 0)
		return nents;
	sgt->nents = (unsigned int)nents;
	return 0;
}

void dma_unmap_sg_attrs(struct device *dev, struct scatterlist *sg, int nents,
			enum dma_data_direction dir, unsigned long attrs)
{
	if (!valid_dma_direction(dir))
		return; /* BUG_ON */
	emit_sg(dev, EV_DMA_UNMAP_SG, sg, nents, 0, dir, attrs);
	if (dma_map_direct(dev))
		dma_direct_unmap_sg(dev, sg, nents, dir, attrs);
	else
		iommu_dma_unmap_sg(dev, sg, nents, dir, attrs);
}

void dma_unmap_sgtable(struct device *dev, struct sg_table *sgt, enum dma_data_direction dir,
		       unsigned long attrs)
{
	dma_unmap_sg_attrs(dev, sgt->sgl, (int)sgt->orig_nents, dir, attrs);
}

/* --- syncs --------------------------------------------------------------- */

/*
 * The inline wrappers skip the call when dma_skip_sync is set; the event is
 * emitted either way (the debug hook of a CONFIG_DMA_API_DEBUG kernel sees it).
 */
void dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr, size_t size,
			     enum dma_data_direction dir)
{
	if (!valid_dma_direction(dir))
		return;
	if (dma_dev_need_sync(dev)) {
		if (dma_map_direct(dev))
			dma_direct_sync_single_for_cpu(dev, addr, size, dir);
		else
			iommu_dma_sync_single_for_cpu(dev, addr, size, dir);
	}
	emit_map(dev, EV_DMA_SYNC_FOR_CPU, addr, 0, size, dir, 0, 0);
}

void dma_sync_single_for_device(struct device *dev, dma_addr_t addr, size_t size,
				enum dma_data_direction dir)
{
	if (!valid_dma_direction(dir))
		return;
	if (dma_dev_need_sync(dev)) {
		if (dma_map_direct(dev))
			dma_direct_sync_single_for_device(dev, addr, size, dir);
		else
			iommu_dma_sync_single_for_device(dev, addr, size, dir);
	}
	emit_map(dev, EV_DMA_SYNC_FOR_DEVICE, addr, 0, size, dir, 0, 0);
}

void dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sg, int nelems,
			 enum dma_data_direction dir)
{
	if (!valid_dma_direction(dir))
		return;
	if (dma_dev_need_sync(dev)) {
		if (dma_map_direct(dev))
			dma_direct_sync_sg_for_cpu(dev, sg, nelems, dir);
		else
			iommu_dma_sync_sg_for_cpu(dev, sg, nelems, dir);
	}
	emit_sg(dev, EV_DMA_SYNC_FOR_CPU, sg, nelems, 0, dir, 0);
}

void dma_sync_sg_for_device(struct device *dev, struct scatterlist *sg, int nelems,
			    enum dma_data_direction dir)
{
	if (!valid_dma_direction(dir))
		return;
	if (dma_dev_need_sync(dev)) {
		if (dma_map_direct(dev))
			dma_direct_sync_sg_for_device(dev, sg, nelems, dir);
		else
			iommu_dma_sync_sg_for_device(dev, sg, nelems, dir);
	}
	emit_sg(dev, EV_DMA_SYNC_FOR_DEVICE, sg, nelems, 0, dir, 0);
}

/* --- masks, limits, properties ------------------------------------------ */

void dma_setup_need_sync(struct device *dev)
{
	/* Direct or IOMMU: coherent devices skip syncs until their first bounce. */
	dev->dma_skip_sync = dev_is_dma_coherent(dev);
}

/* x86 has ZONE_DMA (16 MiB): masks of 24 bits and up are satisfiable. */
#define ZONE_DMA_LIMIT DMA_BIT_MASK(24)

static int dma_direct_supported(struct device *dev, u64 mask)
{
	u64 end = dma_direct_ram_end(dev);
	u64 min_mask = end ? end - 1 : 0; /* (max_pfn << PAGE_SHIFT) - 1 */

	if (mask >= DMA_BIT_MASK(32))
		return 1;
	if (min_mask > ZONE_DMA_LIMIT)
		min_mask = ZONE_DMA_LIMIT;
	return mask >= phys_to_dma_unencrypted(dev, min_mask);
}

static int dma_supported(struct device *dev, u64 mask)
{
	if (use_dma_iommu(dev))
		return 1;
	return dma_direct_supported(dev, mask);
}

int dma_set_mask(struct device *dev, u64 mask)
{
	if (!dma_supported(dev, mask))
		return -EIO;
	dev->dma_mask = mask;
	dma_setup_need_sync(dev);
	return 0;
}

int dma_set_coherent_mask(struct device *dev, u64 mask)
{
	if (!dma_supported(dev, mask))
		return -EIO;
	dev->coherent_dma_mask = mask;
	return 0;
}

int dma_set_mask_and_coherent(struct device *dev, u64 mask)
{
	int rc = dma_set_mask(dev, mask);

	if (rc == 0)
		dma_set_coherent_mask(dev, mask);
	return rc;
}

bool dma_need_unmap(struct device *dev)
{
	if (!dma_map_direct(dev))
		return true;
	if (!dev->dma_skip_sync)
		return true;
	return dev->machine && dev->machine->kconfig.dma_api_debug; /* IS_ENABLED(CONFIG_DMA_API_DEBUG) */
}

bool dma_need_sync(struct device *dev, dma_addr_t dma_addr)
{
	if (!dma_dev_need_sync(dev))
		return false;
	if (dma_map_direct(dev))
		return dma_direct_need_sync(dev, dma_addr);
	return true;
}

u64 dma_get_required_mask(struct device *dev)
{
	if (dma_map_direct(dev))
		return dma_direct_get_required_mask(dev);
	return DMA_BIT_MASK(32); /* an IOMMU can place IOVAs anywhere below 4 GiB */
}

bool dma_addressing_limited(struct device *dev)
{
	if (min_not_zero_u64(dma_get_mask(dev), dev->bus_dma_limit) < dma_get_required_mask(dev))
		return true;
	if (use_dma_iommu(dev))
		return false;
	return !dma_direct_all_ram_mapped(dev);
}

size_t dma_max_mapping_size(struct device *dev)
{
	if (dma_map_direct(dev))
		return dma_direct_max_mapping_size(dev);
	return iommu_dma_max_mapping_size(dev);
}

size_t dma_opt_mapping_size(struct device *dev)
{
	size_t size = SIZE_MAX, max = dma_max_mapping_size(dev);

	if (use_dma_iommu(dev))
		size = iommu_dma_opt_mapping_size();
	return max < size ? max : size;
}
