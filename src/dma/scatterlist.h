/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * scatterlist.h - struct scatterlist and sg_table (include/linux/scatterlist.h).
 *
 * A page is named by its CPU physical address here (no struct page): a
 * segment is (phys, offset-in-page folded into phys, length). The
 * dma_address / dma_length pair and the "bus address" flag are written by
 * the mapping code exactly as the kernel does (sg_dma_address, sg_dma_len,
 * sg_dma_mark_bus_address). Flat arrays, no chaining.
 */
#ifndef P2PSIM_SRC_DMA_SCATTERLIST_H
#define P2PSIM_SRC_DMA_SCATTERLIST_H

#include "models/types.h"

#define SG_DMA_BUS_ADDRESS (1u << 0) /* sg_dma_is_bus_address() */
#define SG_DMA_SWIOTLB (1u << 1)     /* sg_dma_is_swiotlb(): whole list mapped per segment */

struct scatterlist {
	phys_addr_t page_phys;   /* sg_page() as a page-aligned physical address */
	unsigned int offset;     /* offset within the page (may exceed a page, as in the kernel) */
	unsigned int length;
	dma_addr_t dma_address;
	unsigned int dma_length;
	unsigned int dma_flags;
};

struct sg_table {
	struct scatterlist *sgl;
	unsigned int nents;      /* mapped entries (after dma_map_sgtable) */
	unsigned int orig_nents; /* entries in sgl */
};

static inline phys_addr_t sg_phys(const struct scatterlist *sg)
{
	return sg->page_phys + sg->offset;
}

#endif /* P2PSIM_SRC_DMA_SCATTERLIST_H */
