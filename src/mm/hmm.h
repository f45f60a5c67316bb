/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hmm.h - the HMM DMA helpers (mm/hmm.c, include/linux/hmm.h of Linux
 * v6.18; reference/dma-iommu.md §7): the pfn flag bits and struct
 * hmm_dma_map a driver such as RDMA ODP keeps per umem, and the four calls
 * that map one pfn at a time with the two-step IOVA API when the device is
 * behind a DMA IOMMU domain, or with dma_map_phys() otherwise.
 *
 * Owned by src/mm/hmm.c. A pfn here is what hmm_range_fault() would have
 * produced: flag bits in the top 11 bits, the page frame number below.
 */
#ifndef P2PSIM_SRC_MM_HMM_H
#define P2PSIM_SRC_MM_HMM_H

#include "src/iommu/dma-iommu.h"
#include "src/pci/p2pdma.h"

#ifndef BITS_PER_LONG
#define BITS_PER_LONG 64
#endif

/* The flag bits of an hmm pfn (enum hmm_pfn_flags). */
#define HMM_PFN_VALID (1UL << (BITS_PER_LONG - 1))
#define HMM_PFN_WRITE (1UL << (BITS_PER_LONG - 2))
#define HMM_PFN_ERROR (1UL << (BITS_PER_LONG - 3))
/* Sticky: carried across hmm_range_fault(), owned by the DMA helpers below. */
#define HMM_PFN_DMA_MAPPED (1UL << (BITS_PER_LONG - 4))
#define HMM_PFN_P2PDMA (1UL << (BITS_PER_LONG - 5))
#define HMM_PFN_P2PDMA_BUS (1UL << (BITS_PER_LONG - 6))
#define HMM_PFN_ORDER_SHIFT (BITS_PER_LONG - 11)
/* Every bit that is not the page frame number. */
#define HMM_PFN_FLAGS (~((1UL << HMM_PFN_ORDER_SHIFT) - 1))

static inline phys_addr_t hmm_pfn_to_phys(unsigned long hmm_pfn)
{
	return (phys_addr_t)(hmm_pfn & ~HMM_PFN_FLAGS) << PAGE_SHIFT;
}

/* What hmm_range_fault() would store for a present page at @phys. */
static inline unsigned long hmm_pfn_from_phys(phys_addr_t phys, bool write)
{
	return (unsigned long)(phys >> PAGE_SHIFT) | HMM_PFN_VALID | (write ? HMM_PFN_WRITE : 0);
}

struct hmm_dma_map {
	struct dma_iova_state state; /* dma_use_iova(): one reservation for every entry */
	unsigned long *pfn_list; /* nr_entries hmm pfns, zeroed by hmm_dma_map_alloc() */
	dma_addr_t *dma_list; /* only without IOVA and with dma_need_unmap() */
	size_t dma_entry_size;
	size_t nr_entries; /* simulator: the kernel's caller keeps this count itself */
};

/*
 * Set up @map for @nr_entries entries of @dma_entry_size bytes (the IOVA
 * reservation is nr_entries * PAGE_SIZE, as upstream). 0, -EOPNOTSUPP (the
 * device needs syncs, i.e. swiotlb or non-coherent, or its addressing is
 * limited), -ENOMEM, or -EINVAL for a zero entry size.
 */
int hmm_dma_map_alloc(struct device *dev, struct hmm_dma_map *map, size_t nr_entries,
		      size_t dma_entry_size);
/*
 * Free the reservation (no unlink: every entry must already be unmapped)
 * and both lists. Emits EV_HMM_MAP_FREE with count = entries still
 * DMA_MAPPED (the leak a checker reports; the kernel says nothing).
 */
void hmm_dma_map_free(struct device *dev, struct hmm_dma_map *map);
/*
 * Map entry @idx (pfn_list[idx] must be VALID). @p2pdma_state is the
 * caller's per-range memo (zero it once). Returns the DMA address or
 * DMA_MAPPING_ERROR; updates the DMA_MAPPED / P2PDMA / P2PDMA_BUS flags.
 */
dma_addr_t hmm_dma_map_pfn(struct device *dev, struct hmm_dma_map *map, size_t idx,
			   struct pci_p2pdma_map_state *p2pdma_state);
/* Unmap entry @idx; false if it was not VALID and DMA_MAPPED. Clears the DMA flags. */
bool hmm_dma_unmap_pfn(struct device *dev, struct hmm_dma_map *map, size_t idx);

/* Simulator: entries whose pfn has DMA_MAPPED set. */
size_t hmm_dma_map_nr_mapped(const struct hmm_dma_map *map);

#endif /* P2PSIM_SRC_MM_HMM_H */
