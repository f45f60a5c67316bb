/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma.h - the kernel's DMA-mapping vocabulary (include/linux/dma-mapping.h,
 * dma-direction.h, device.h): struct device as the DMA layer sees it,
 * directions, attributes, DMA_MAPPING_ERROR.
 *
 * Owned here: struct device. One per DMA-capable PCI function of a world,
 * created by the world (sim/) from the topology and the IOMMU mode; the
 * fields mirror what the kernel keeps in struct device / dev->iommu /
 * dev->dma_io_tlb_mem.
 */
#ifndef P2PSIM_SRC_DMA_DMA_H
#define P2PSIM_SRC_DMA_DMA_H

#include "models/machine.h"
#include "models/pci/pci.h"

enum dma_data_direction {
	DMA_BIDIRECTIONAL = 0,
	DMA_TO_DEVICE = 1,
	DMA_FROM_DEVICE = 2,
	DMA_NONE = 3,
};

#define DMA_ATTR_WEAK_ORDERING (1UL << 1)
#define DMA_ATTR_WRITE_COMBINE (1UL << 2)
#define DMA_ATTR_NO_KERNEL_MAPPING (1UL << 4)
#define DMA_ATTR_SKIP_CPU_SYNC (1UL << 5)
#define DMA_ATTR_FORCE_CONTIGUOUS (1UL << 6)
#define DMA_ATTR_ALLOC_SINGLE_PAGES (1UL << 7)
#define DMA_ATTR_NO_WARN (1UL << 8)
#define DMA_ATTR_PRIVILEGED (1UL << 9)
#define DMA_ATTR_MMIO (1UL << 10)
#define DMA_ATTR_DEBUGGING_IGNORE_CACHELINES (1UL << 11)
#define DMA_ATTR_REQUIRE_COHERENT (1UL << 12)

#define DMA_MAPPING_ERROR (~(dma_addr_t)0)
#define DMA_BIT_MASK(n) ((n) == 64 ? ~0ULL : ((1ULL << (n)) - 1))

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)

struct iommu_domain; /* models/iommu + src/iommu */
struct io_tlb_mem;   /* src/dma/swiotlb.h */
struct p2pdma_ctx;   /* src/pci/p2pdma.h */

/* dma_range_map entry; an array terminated by size == 0 (include/linux/dma-direct.h) */
struct bus_dma_region {
	phys_addr_t cpu_start;
	dma_addr_t dma_start;
	u64 size;
};

struct device {
	const char *name;          /* the topology id */
	struct pci_dev *pdev;      /* the PCI function (never NULL here) */
	struct machine *machine;   /* the hardware this device lives in */

	u64 dma_mask;              /* *dev->dma_mask */
	u64 coherent_dma_mask;
	u64 bus_dma_limit;         /* 0: none */
	const struct bus_dma_region *dma_range_map; /* NULL: identity */
	unsigned int min_align_mask;   /* dma_get_min_align_mask(), default 0 */
	unsigned int max_seg_size;     /* dma_get_max_seg_size(), default 64 KiB */
	u64 seg_boundary_mask;         /* dma_get_seg_boundary(), default ULONG_MAX */

	bool dma_coherent;         /* dev_is_dma_coherent() */
	bool dma_iommu;            /* use_dma_iommu(): default domain has the DMA API bit */
	bool dma_skip_sync;        /* flips to false on the first swiotlb bounce */
	bool untrusted;            /* pdev->untrusted */

	/* dev->iommu */
	struct iommu_domain *domain; /* attached domain (default domain unless changed) */
	bool pci_32bit_workaround;   /* SAC-first IOVA allocation; sticky fallback clears it */
	bool shadow_on_flush;        /* single 32768-entry flush queue */

	struct io_tlb_mem *dma_io_tlb_mem; /* swiotlb pool, NULL if none */

	/* the P2PDMA view map_sg classifies segments with (pci_p2pdma_state); NULL: no P2P memory */
	struct p2pdma_ctx *p2pdma;
};

static inline u64 dma_get_mask(const struct device *dev)
{
	return dev->dma_mask ? dev->dma_mask : DMA_BIT_MASK(32);
}

static inline bool use_dma_iommu(const struct device *dev)
{
	return dev->dma_iommu;
}

static inline bool dev_is_dma_coherent(const struct device *dev)
{
	return dev->dma_coherent;
}

static inline bool dev_is_untrusted(const struct device *dev)
{
	return dev->untrusted;
}

static inline bool valid_dma_direction(int dir)
{
	return dir == DMA_BIDIRECTIONAL || dir == DMA_TO_DEVICE || dir == DMA_FROM_DEVICE;
}

const char *dma_direction_name(enum dma_data_direction dir);

#endif /* P2PSIM_SRC_DMA_DMA_H */
