// SPDX-License-Identifier: GPL-2.0-only
// Follows mm/hmm.c of Linux v6.18 (the DMA helpers hmm_dma_map_alloc/free, hmm_dma_map_pfn, hmm_dma_unmap_pfn), reference/dma-iommu.md §7.
/*
 * hmm.c - the HMM DMA helpers: one IOVA reservation for a whole range
 * (RDMA ODP's umem) linked and unlinked one pfn at a time through the
 * two-step API, or per-page dma_map_phys() when the device has no DMA
 * IOMMU domain. The per-pfn state lives in three sticky flag bits of the
 * pfn itself (reference §7.5):
 *
 *   clean --map, RAM-------------------> DMA_MAPPED
 *   clean --map, host-bridge P2P-------> DMA_MAPPED | P2PDMA   (DMA_ATTR_MMIO)
 *   clean --map, switch P2P------------> DMA_MAPPED | P2PDMA_BUS (bus address, no IOVA)
 *   clean --map fails------------------> clean (P2PDMA cleared)
 *   mapped --unmap (needs VALID)-------> clean
 *   DMA_MAPPED --map again-------------> the cached address, nothing mapped
 *   DMA_MAPPED|P2PDMA_BUS --map again--> reclassified, bus address again
 *
 * Owned here: nothing beyond the caller's struct hmm_dma_map.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/dma/mapping.h"
#include "src/mm/hmm.h"

int hmm_dma_map_alloc(struct device *dev, struct hmm_dma_map *map, size_t nr_entries,
		      size_t dma_entry_size)
{
	bool dma_need_sync, use_iova;

	memset(map, 0, sizeof(*map));
	if (!dma_entry_size) /* simulator guard: the kernel would divide by zero */
		return -EINVAL;
	/*
	 * WARN_ON_ONCE(!(nr_entries * PAGE_SIZE / dma_entry_size)) and go on:
	 * the reservation is nr_entries pages whatever the entry size.
	 */

	/*
	 * HMM cannot hand buffer ownership back and forth, so a device that
	 * needs syncs (swiotlb, non-coherent) or bounces (limited addressing)
	 * is refused.
	 */
	dma_need_sync = !dev->dma_skip_sync;
	if (dma_need_sync || dma_addressing_limited(dev))
		return -EOPNOTSUPP;

	map->dma_entry_size = dma_entry_size;
	map->nr_entries = nr_entries;
	map->pfn_list = calloc(nr_entries, sizeof(*map->pfn_list));
	if (!map->pfn_list)
		return -ENOMEM;

	use_iova = dma_iova_try_alloc(dev, &map->state, 0, nr_entries * PAGE_SIZE);
	if (!use_iova && dma_need_unmap(dev)) {
		map->dma_list = calloc(nr_entries, sizeof(*map->dma_list));
		if (!map->dma_list)
			goto err_dma;
	}
	return 0;

err_dma:
	free(map->pfn_list);
	map->pfn_list = NULL;
	return -ENOMEM;
}

size_t hmm_dma_map_nr_mapped(const struct hmm_dma_map *map)
{
	size_t n = 0;

	for (size_t i = 0; map->pfn_list && i < map->nr_entries; i++)
		n += !!(map->pfn_list[i] & HMM_PFN_DMA_MAPPED);
	return n;
}

void hmm_dma_map_free(struct device *dev, struct hmm_dma_map *map)
{
	struct sim_event ev = { .kind = EV_HMM_MAP_FREE,
				.dev = dev->pdev,
				.addr = dma_use_iova(&map->state) ? map->state.addr : 0,
				.len = map->nr_entries,
				.count = (unsigned int)hmm_dma_map_nr_mapped(map) };

	if (dev->machine)
		machine_emit(dev->machine, &ev);
	if (dma_use_iova(&map->state))
		dma_iova_free(dev, &map->state);
	free(map->pfn_list);
	free(map->dma_list);
	map->pfn_list = NULL;
	map->dma_list = NULL;
}

dma_addr_t hmm_dma_map_pfn(struct device *dev, struct hmm_dma_map *map, size_t idx,
			   struct pci_p2pdma_map_state *p2pdma_state)
{
	struct dma_iova_state *state = &map->state;
	dma_addr_t *dma_addrs = map->dma_list;
	unsigned long *pfns = map->pfn_list;
	phys_addr_t paddr = hmm_pfn_to_phys(pfns[idx]);
	size_t offset = idx * map->dma_entry_size;
	enum pci_p2pdma_map_type type = PCI_P2PDMA_MAP_NONE;
	unsigned long attrs = 0;
	dma_addr_t dma_addr;
	int ret;

	if ((pfns[idx] & HMM_PFN_DMA_MAPPED) && !(pfns[idx] & HMM_PFN_P2PDMA_BUS)) {
		/* Already mapped (e.g. only the flags were resynced): nothing new. */
		if (dma_use_iova(state))
			return state->addr + offset;
		if (dma_need_unmap(dev))
			return dma_addrs[idx];
		/* A stateless direct mapping: map it again below. */
	}

	if (dev->p2pdma)
		type = pci_p2pdma_state(dev->p2pdma, p2pdma_state, dev->pdev, paddr);
	switch (type) {
	case PCI_P2PDMA_MAP_NONE:
		break;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		attrs |= DMA_ATTR_MMIO;
		pfns[idx] |= HMM_PFN_P2PDMA;
		break;
	case PCI_P2PDMA_MAP_BUS_ADDR:
		pfns[idx] |= HMM_PFN_P2PDMA_BUS | HMM_PFN_DMA_MAPPED;
		return pci_p2pdma_bus_addr_map(p2pdma_state->mem, paddr);
	default:
		return DMA_MAPPING_ERROR;
	}

	if (dma_use_iova(state)) {
		ret = dma_iova_link(dev, state, paddr, offset, map->dma_entry_size,
				    DMA_BIDIRECTIONAL, attrs);
		if (ret)
			goto error;
		/* One IOTLB sync per pfn: HMM maps on demand, one fault at a time. */
		ret = dma_iova_sync(dev, state, offset, map->dma_entry_size);
		if (ret) {
			/*
			 * Kernel profile switch (--inject hmm-sync-no-unlink): the
			 * old code went to error with the link still in place; the
			 * fix ("If the sync fails, unlink") undoes it first.
			 */
			if (dev->p2pdma && dev->p2pdma->profile &&
			    dev->p2pdma->profile->hmm_sync_fail_no_unlink)
				goto error;
			dma_iova_unlink(dev, state, offset, map->dma_entry_size, DMA_BIDIRECTIONAL,
					attrs);
			goto error;
		}
		dma_addr = state->addr + offset;
	} else {
		if (dma_need_unmap(dev) && !dma_addrs) /* WARN_ON_ONCE */
			goto error;
		dma_addr = dma_map_phys(dev, paddr, map->dma_entry_size, DMA_BIDIRECTIONAL, attrs);
		if (dma_mapping_error(dev, dma_addr))
			goto error;
		if (dma_need_unmap(dev))
			dma_addrs[idx] = dma_addr;
	}
	pfns[idx] |= HMM_PFN_DMA_MAPPED;
	return dma_addr;

error:
	pfns[idx] &= ~HMM_PFN_P2PDMA;
	return DMA_MAPPING_ERROR;
}

bool hmm_dma_unmap_pfn(struct device *dev, struct hmm_dma_map *map, size_t idx)
{
	const unsigned long valid_dma = HMM_PFN_VALID | HMM_PFN_DMA_MAPPED;
	struct dma_iova_state *state = &map->state;
	unsigned long *pfns = map->pfn_list;
	unsigned long attrs = 0;

	if ((pfns[idx] & valid_dma) != valid_dma)
		return false;

	if (pfns[idx] & HMM_PFN_P2PDMA)
		attrs |= DMA_ATTR_MMIO;

	if (pfns[idx] & HMM_PFN_P2PDMA_BUS)
		; /* a bus address: nothing was mapped */
	else if (dma_use_iova(state))
		/* Synchronous IOTLB sync per pfn, even in lazy mode. */
		dma_iova_unlink(dev, state, idx * map->dma_entry_size, map->dma_entry_size,
				DMA_BIDIRECTIONAL, attrs);
	else if (dma_need_unmap(dev))
		dma_unmap_phys(dev, map->dma_list[idx], map->dma_entry_size, DMA_BIDIRECTIONAL,
			       attrs);

	pfns[idx] &= ~(HMM_PFN_DMA_MAPPED | HMM_PFN_P2PDMA | HMM_PFN_P2PDMA_BUS);
	return true;
}
