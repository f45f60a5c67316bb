// SPDX-License-Identifier: GPL-2.0-only
// Follows kernel/dma/direct.c + direct.h, v7.0-era (reference/dma-iommu.md §4.1-§4.4, §4.6).
/*
 * direct.c - dma-direct: devices that reach RAM without an IOMMU DMA domain.
 *
 * A mapping is the physical address seen through dev->dma_range_map, or a
 * swiotlb bounce slot when the device cannot reach the buffer (mask, bus
 * limit) or swiotlb=force. DMA_ATTR_MMIO addresses pass untranslated and
 * are never bounced. map_sg classifies P2P segments with pci_p2pdma_state():
 * BUS_ADDR segments get the provider's bus address, THRU_HOST_BRIDGE ones
 * are mapped like RAM through their CPU physical address (the fixed
 * `fallthrough` of the June 2026 upstream fix), NOT_SUPPORTED fails the
 * whole list with -EREMOTEIO.
 *
 * Owns no state: everything lives in struct device, the swiotlb pool and
 * the machine.
 */
#include <errno.h>
#include <stdint.h>

#include "models/mem/physmem.h"
#include "src/dma/arch.h"
#include "src/dma/direct.h"
#include "src/dma/mapping.h"
#include "src/dma/swiotlb.h"
#include "src/kernel_profile.h"
#include "src/pci/p2pdma.h"

/* The device's P2P view of the page, PCI_P2PDMA_MAP_NONE without P2P memory. */
static enum pci_p2pdma_map_type
dev_p2pdma_state(struct device *dev, struct pci_p2pdma_map_state *state, phys_addr_t page)
{
	if (!dev->p2pdma)
		return PCI_P2PDMA_MAP_NONE;
	return pci_p2pdma_state(dev->p2pdma, state, dev->pdev, page);
}

dma_addr_t dma_direct_map_phys(struct device *dev, phys_addr_t phys, size_t size,
			       enum dma_data_direction dir, unsigned long attrs)
{
	dma_addr_t dma_addr;

	if (is_swiotlb_force_bounce(dev)) {
		if (attrs & (DMA_ATTR_MMIO | DMA_ATTR_REQUIRE_COHERENT))
			return DMA_MAPPING_ERROR;
		return swiotlb_map(dev, phys, size, dir, attrs);
	}

	if (attrs & DMA_ATTR_MMIO) {
		/* Not RAM: no dma_range_map offset, no cache maintenance, no bouncing. */
		dma_addr = phys;
		if (!dma_capable(dev, dma_addr, size, false))
			goto err_overflow;
	} else {
		dma_addr = phys_to_dma(dev, phys);
		if (!dma_capable(dev, dma_addr, size, true) ||
		    dma_kmalloc_needs_bounce(dev, size, dir)) {
			if (is_swiotlb_active(dev) && !(attrs & DMA_ATTR_REQUIRE_COHERENT))
				return swiotlb_map(dev, phys, size, dir, attrs);
			goto err_overflow;
		}
	}

	if (!dev_is_dma_coherent(dev) && !(attrs & (DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_MMIO)))
		arch_sync_dma_for_device(dev, phys, size, dir);
	return dma_addr;

err_overflow:
	/* dev_WARN_ONCE "DMA addr %pad+%zu overflow (mask %llx, bus limit %llx)." */
	return DMA_MAPPING_ERROR;
}

void dma_direct_sync_single_for_device(struct device *dev, dma_addr_t addr, size_t size,
				       enum dma_data_direction dir)
{
	phys_addr_t paddr = dma_to_phys(dev, addr);

	swiotlb_sync_single_for_device(dev, paddr, size, dir);
	if (!dev_is_dma_coherent(dev))
		arch_sync_dma_for_device(dev, paddr, size, dir);
}

void dma_direct_sync_single_for_cpu(struct device *dev, dma_addr_t addr, size_t size,
				    enum dma_data_direction dir)
{
	phys_addr_t paddr = dma_to_phys(dev, addr);

	/* arch_sync_dma_for_cpu_all() has nothing to do on x86 */
	if (!dev_is_dma_coherent(dev))
		arch_sync_dma_for_cpu(dev, paddr, size, dir);
	swiotlb_sync_single_for_cpu(dev, paddr, size, dir);
}

void dma_direct_unmap_phys(struct device *dev, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	phys_addr_t phys;

	if (attrs & (DMA_ATTR_MMIO | DMA_ATTR_REQUIRE_COHERENT))
		return;
	phys = dma_to_phys(dev, addr);
	/* The sync does the bounce copy-back; SKIP_CPU_SYNC therefore skips it too. */
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		dma_direct_sync_single_for_cpu(dev, addr, size, dir);
	swiotlb_tbl_unmap_single(dev, phys, size, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
}

void dma_direct_unmap_sg(struct device *dev, struct scatterlist *sgl, int nents,
			 enum dma_data_direction dir, unsigned long attrs)
{
	for (int i = 0; i < nents; i++) {
		struct scatterlist *sg = &sgl[i];

		if (sg->dma_flags & SG_DMA_BUS_ADDRESS)
			sg->dma_flags &= ~SG_DMA_BUS_ADDRESS; /* never mapped: nothing to undo */
		else
			dma_direct_unmap_phys(dev, sg->dma_address, sg->dma_length, dir, attrs);
	}
}

int dma_direct_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs)
{
	struct pci_p2pdma_map_state p2pdma_state = { 0 };
	int i, ret;

	for (i = 0; i < nents; i++) {
		struct scatterlist *sg = &sgl[i];

		switch (dev_p2pdma_state(dev, &p2pdma_state, sg->page_phys)) {
		case PCI_P2PDMA_MAP_BUS_ADDR:
			/* Same switch, no redirect: the peer is programmed with the bus address. */
			sg->dma_address = pci_p2pdma_bus_addr_map(p2pdma_state.mem, sg_phys(sg));
			sg->dma_length = sg->length;
			sg->dma_flags |= SG_DMA_BUS_ADDRESS;
			continue;
		case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
			/*
			 * Through the host bridge: mapped like RAM by its CPU physical
			 * address. Kernels ~6.15-7.0 had `break` here, leaving
			 * dma_address unset (kernel profile switch).
			 */
			if (dev->p2pdma->profile &&
			    dev->p2pdma->profile->dma_direct_sg_thru_hb_break)
				break;
			/* fallthrough */
		case PCI_P2PDMA_MAP_NONE:
			sg->dma_address =
				dma_direct_map_phys(dev, sg_phys(sg), sg->length, dir, attrs);
			if (sg->dma_address == DMA_MAPPING_ERROR) {
				ret = -EIO;
				goto out_unmap;
			}
			break;
		default:
			ret = -EREMOTEIO;
			goto out_unmap;
		}
		sg->dma_length = sg->length;
	}
	return nents;

out_unmap:
	dma_direct_unmap_sg(dev, sgl, i, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
	return ret;
}

void dma_direct_sync_sg_for_device(struct device *dev, struct scatterlist *sgl, int nents,
				   enum dma_data_direction dir)
{
	for (int i = 0; i < nents; i++) {
		phys_addr_t paddr = dma_to_phys(dev, sgl[i].dma_address);

		swiotlb_sync_single_for_device(dev, paddr, sgl[i].length, dir);
		if (!dev_is_dma_coherent(dev))
			arch_sync_dma_for_device(dev, paddr, sgl[i].length, dir);
	}
}

void dma_direct_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl, int nents,
				enum dma_data_direction dir)
{
	for (int i = 0; i < nents; i++) {
		phys_addr_t paddr = dma_to_phys(dev, sgl[i].dma_address);

		if (!dev_is_dma_coherent(dev))
			arch_sync_dma_for_cpu(dev, paddr, sgl[i].length, dir);
		swiotlb_sync_single_for_cpu(dev, paddr, sgl[i].length, dir);
	}
}

bool dma_direct_need_sync(struct device *dev, dma_addr_t dma_addr)
{
	return !dev_is_dma_coherent(dev) || is_swiotlb_buffer(dev, dma_to_phys(dev, dma_addr));
}

u64 dma_direct_ram_end(const struct device *dev)
{
	const struct topology *topo = dev->machine->topo;
	u64 end = 0;

	for (size_t i = 0; i < topo->nr_ram; i++) {
		u64 e = topo->ram[i].base + topo->ram[i].size_bytes;

		if (e > end)
			end = e;
	}
	return (end + PAGE_SIZE - 1) & ~(u64)(PAGE_SIZE - 1);
}

u64 dma_direct_get_required_mask(struct device *dev)
{
	u64 end = dma_direct_ram_end(dev);
	phys_addr_t phys = end ? end - PAGE_SIZE : 0;
	u64 max_dma = phys_to_dma(dev, phys);
	int fls = 0;

	while (fls < 64 && (max_dma >> fls))
		fls++;
	if (fls == 0)
		return 0;
	/* (1 << (fls - 1)) * 2 - 1, without overflowing at 64 bits */
	return fls == 64 ? ~0ULL : (1ULL << fls) - 1;
}

bool dma_direct_all_ram_mapped(struct device *dev)
{
	const struct topology *topo = dev->machine->topo;

	if (!dev->dma_range_map)
		return true;
	for (size_t i = 0; i < topo->nr_ram; i++) {
		u64 addr = topo->ram[i].base;
		u64 end = addr + topo->ram[i].size_bytes;

		while (addr < end) {
			const struct bus_dma_region *m;

			for (m = dev->dma_range_map; m->size; m++)
				if (addr >= m->cpu_start && addr - m->cpu_start < m->size)
					break;
			if (!m->size)
				return false;
			addr = m->cpu_start + m->size;
		}
	}
	return true;
}

size_t dma_direct_max_mapping_size(struct device *dev)
{
	/* If swiotlb may bounce this device, its segment limit is the limit. */
	if (is_swiotlb_active(dev) && (dma_addressing_limited(dev) || is_swiotlb_force_bounce(dev)))
		return swiotlb_max_mapping_size(dev);
	return SIZE_MAX;
}
