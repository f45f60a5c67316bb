/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Follows drivers/dma-buf/dma-buf-mapping.c + include/linux/dma-buf-mapping.h
 * (torvalds @b703b31ea8cd with the 590d745680 and later hardening), reference/dmabuf-vfio.md §2.5.
 *
 * dma-buf-mapping.h - turn an exporter's physical ranges (MMIO behind a
 * p2pdma provider) into a DMA-mapped sg_table for one attachment, and back.
 *
 * Owned here: struct dma_buf_phys_vec (the kernel's struct phys_vec) and the
 * private wrapper struct dma_buf_dma behind every sg_table returned.
 */
#ifndef P2PSIM_SRC_DMA_BUF_DMA_BUF_MAPPING_H
#define P2PSIM_SRC_DMA_BUF_DMA_BUF_MAPPING_H

#include <limits.h>

#include "src/dma-buf/dma-buf.h"
#include "src/pci/p2pdma.h"

/* struct phys_vec / dma_buf_phys_vec: one physical range. */
struct dma_buf_phys_vec {
	phys_addr_t paddr;
	size_t len;
};

/*
 * dma_buf_phys_vec_to_sgt() (resv held): map type per attachment device
 * (pci_p2pdma_map_type of @provider for attach->dev): BUS_ADDR -> bus
 * addresses, no IOVA; THRU_HOST_BRIDGE -> one two-step IOVA span linked
 * with DMA_ATTR_MMIO, or dma_map_phys(DMA_ATTR_MMIO) per range when no IOVA
 * could be reserved; anything else -> ERR_PTR(-EINVAL). Entries are at most
 * UINT_MAX bytes, addresses computed in 64 bits; page pointers are NULL and
 * orig_nents is 0. Errors: ERR_PTR(-EINVAL) (no provider, map type, entry
 * count overflow), -ENOMEM, or the link / map error, everything undone.
 * Emits one EV_DMABUF_SG_ENTRY per entry and EV_P2P_MAP for the decision.
 */
struct sg_table *dma_buf_phys_vec_to_sgt(struct dma_buf_attachment *attach,
					 struct p2pdma_provider *provider,
					 const struct dma_buf_phys_vec *phys_vec, size_t nr_ranges,
					 size_t size, enum dma_data_direction dir);
/* dma_buf_free_sgt() (resv held): undo exactly what the map did and free. */
void dma_buf_free_sgt(struct dma_buf_attachment *attach, struct sg_table *sgt,
		      enum dma_data_direction dir);

/* The map type a table was made with (for tests and the p2p checker). */
enum pci_p2pdma_map_type dma_buf_sgt_map_type(const struct sg_table *sgt);
/* Did the THRU_HOST_BRIDGE table get an IOVA span (else dma_map_phys per range)? */
bool dma_buf_sgt_uses_iova(const struct sg_table *sgt);

#endif /* P2PSIM_SRC_DMA_BUF_DMA_BUF_MAPPING_H */
