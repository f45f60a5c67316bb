/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arch.h - architecture cache maintenance for non-coherent DMA
 * (arch_sync_dma_for_device / arch_sync_dma_for_cpu, as in
 * include/linux/dma-map-ops.h). Implemented in src/dma/arch.c.
 *
 * Not a cache simulator: each call is an EV_ARCH_SYNC event with a cost
 * (ARCH_SYNC_BASE_NS + ARCH_SYNC_NS_PER_LINE per 64-byte line touched),
 * accumulated in the machine's arch_sync counters. The cost is accounted,
 * not charged to the logical clock, so it never moves flush-queue deadlines.
 */
#ifndef P2PSIM_SRC_DMA_ARCH_H
#define P2PSIM_SRC_DMA_ARCH_H

#include "src/dma/dma.h"

#define ARCH_DMA_CACHE_LINE 64
#define ARCH_SYNC_BASE_NS 50
#define ARCH_SYNC_NS_PER_LINE 4

/* Clean (TO_DEVICE) or clean+invalidate (FROM/BIDIR) before the device looks. */
void arch_sync_dma_for_device(struct device *dev, phys_addr_t paddr, size_t size,
			      enum dma_data_direction dir);
/* Invalidate (FROM/BIDIR) after the device wrote; TO_DEVICE needs nothing. */
void arch_sync_dma_for_cpu(struct device *dev, phys_addr_t paddr, size_t size,
			   enum dma_data_direction dir);
/* The cost model of one call. */
u64 arch_sync_cost_ns(phys_addr_t paddr, size_t size);

#endif /* P2PSIM_SRC_DMA_ARCH_H */
