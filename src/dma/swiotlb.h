/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * swiotlb.h - the software IO TLB: bounce buffers in low RAM
 * (kernel/dma/swiotlb.c, include/linux/swiotlb.h, v7.0-era without
 * CONFIG_SWIOTLB_DYNAMIC; reference/dma-iommu.md §5).
 *
 * Owned here: struct io_tlb_mem (one default pool; a world shares it between
 * its devices through dev->dma_io_tlb_mem, like io_tlb_default_mem), its
 * slots and areas, and the bounce statistics.
 *
 * The pool is a range of simulated RAM; its bytes live in the machine's
 * physical memory and every bounce is a real copy there.
 */
#ifndef P2PSIM_SRC_DMA_SWIOTLB_H
#define P2PSIM_SRC_DMA_SWIOTLB_H

#include "src/dma/dma.h"

#define IO_TLB_SHIFT 11
#define IO_TLB_SIZE (1U << IO_TLB_SHIFT)
#define IO_TLB_SEGSIZE 128
#define IO_TLB_DEFAULT_SIZE (64ULL << 20)
#define IO_TLB_MIN_SLABS ((1U << 20) >> IO_TLB_SHIFT)
#define INVALID_PHYS_ADDR (~(phys_addr_t)0)

struct io_tlb_slot {
	phys_addr_t orig_addr;     /* INVALID_PHYS_ADDR when free */
	size_t alloc_size;         /* bytes from this slot to the end of the allocation */
	unsigned short list;       /* free run length to the segment end; 0 when used */
	unsigned short pad_slots;  /* on the first used slot: pad slots before it */
};

struct io_tlb_area {
	unsigned long used;
	unsigned int index; /* next-fit cursor, relative to the area */
};

struct io_tlb_pool {
	phys_addr_t start;
	phys_addr_t end;           /* exclusive */
	unsigned long nslabs;
	unsigned int nareas;
	unsigned int area_nslabs;
	struct io_tlb_area *areas;
	struct io_tlb_slot *slots;
};

struct swiotlb_stats {
	u64 maps;            /* successful swiotlb_tbl_map_single() */
	u64 unmaps;          /* slots released by swiotlb_tbl_unmap_single() */
	u64 full;            /* "swiotlb buffer is full" failures */
	u64 bounces;         /* swiotlb_bounce() calls that copied */
	u64 bytes_bounced;
	u64 overflows;       /* "Buffer overflow detected" (size clamped) */
};

struct io_tlb_mem {
	struct machine *machine;
	struct io_tlb_pool defpool;
	bool force_bounce;   /* swiotlb=force */
	bool sim_full;       /* fault injection: every slot search fails, as in a full pool */
	struct swiotlb_stats stats;
	char last_warning[192]; /* the last line the kernel would have printed */
};

/*
 * Set up a pool of @size_bytes at @start in @m's RAM (the caller chose a
 * free, page-aligned, low range), with areas for @nr_cpus CPUs:
 * nareas = nr_cpus rounded up to a power of two; nslabs = size >> IO_TLB_SHIFT
 * aligned to a segment, raised to one segment per area and rounded up to a
 * power of two (the kernel's round_up_default_nslabs()). The memory is
 * assumed zero (fresh RAM).
 * Returns NULL on allocation failure or a size/alignment the pool can't use.
 */
struct io_tlb_mem *swiotlb_mem_new(struct machine *m, phys_addr_t start, u64 size_bytes,
				   unsigned int nr_cpus, bool force_bounce);
void swiotlb_mem_free(struct io_tlb_mem *mem);
/* The size swiotlb_mem_new() will really use for @size_bytes and @nr_cpus. */
u64 swiotlb_pool_bytes(u64 size_bytes, unsigned int nr_cpus);
/* Slots in use over all areas. */
unsigned long swiotlb_used_slots(const struct io_tlb_mem *mem);

bool is_swiotlb_buffer(const struct device *dev, phys_addr_t paddr);
bool is_swiotlb_active(const struct device *dev);
bool is_swiotlb_force_bounce(const struct device *dev);
size_t swiotlb_max_mapping_size(struct device *dev);

/* (phys_addr_t)DMA_MAPPING_ERROR on failure. */
phys_addr_t swiotlb_tbl_map_single(struct device *dev, phys_addr_t orig_addr, size_t mapping_size,
				   unsigned int alloc_align_mask, enum dma_data_direction dir,
				   unsigned long attrs);
/* No-op unless @tlb_addr is in the device's pool. */
void swiotlb_tbl_unmap_single(struct device *dev, phys_addr_t tlb_addr, size_t mapping_size,
			      enum dma_data_direction dir, unsigned long attrs);
void swiotlb_sync_single_for_device(struct device *dev, phys_addr_t tlb_addr, size_t size,
				    enum dma_data_direction dir);
void swiotlb_sync_single_for_cpu(struct device *dev, phys_addr_t tlb_addr, size_t size,
				 enum dma_data_direction dir);
/* dma-direct's bounce: map, check the bounce address is reachable, arch sync. */
dma_addr_t swiotlb_map(struct device *dev, phys_addr_t paddr, size_t size,
		       enum dma_data_direction dir, unsigned long attrs);

#endif /* P2PSIM_SRC_DMA_SWIOTLB_H */
