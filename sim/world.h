/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * world.h - the library-internal view of a world (public handle:
 * p2psim_world in include/p2psim/world.h): the topology it borrows, the
 * machine, one struct device per DMA-capable function, the swiotlb pool,
 * the P2PDMA view, and the named RAM buffers.
 *
 * Owned here: struct world and everything it points to except the topology.
 * The scenario runner and checkers use these functions; tools/ never does.
 */
#ifndef P2PSIM_SIM_WORLD_H
#define P2PSIM_SIM_WORLD_H

#include "models/machine.h"
#include "p2psim/world.h"
#include "src/dma/dma.h"
#include "src/dma/swiotlb.h"
#include "src/pci/p2pdma.h"

struct world_buffer {
	char *name;
	phys_addr_t phys;
	u64 size_bytes;
};

struct world {
	const struct topology *topo;
	struct p2psim_world_opts opts;
	struct machine *m;
	struct device *devs;         /* nr_devs, in fabric scan order */
	size_t nr_devs;
	struct io_tlb_mem *swiotlb;  /* NULL when opts.swiotlb_bytes == 0 */
	struct p2pdma_ctx p2pdma;
	bool p2pdma_ready;
	struct world_buffer *bufs;   /* sorted by phys */
	size_t nr_bufs;
	/*
	 * Each device's pdev->memory_decode when the world was made: the PCI
	 * functions belong to the topology, which outlives the world (the fuzzer
	 * runs thousands of worlds on one), and device events (VFIO) change it.
	 */
	bool *memory_decode;
};

static inline struct world *world_from_public(p2psim_world *w)
{
	return (struct world *)(void *)w;
}

static inline const struct world *world_from_public_const(const p2psim_world *w)
{
	return (const struct world *)(const void *)w;
}

static inline p2psim_world *world_to_public(struct world *w)
{
	return (p2psim_world *)(void *)w;
}

/* The device of function @id_or_bdf, or NULL (not found or not DMA-capable). */
struct device *world_find_device(struct world *w, const char *id_or_bdf);
struct world_buffer *world_find_buffer(const struct world *w, const char *name);

/*
 * Find @size bytes of free RAM aligned to @align (a power of two) per
 * @placement (enum p2psim_placement), lowest address first within the
 * zone. 0 with *@out set, or -ENOMEM.
 */
int world_ram_find(const struct world *w, u64 size, u64 align, int placement, phys_addr_t *out);

/* enum iommu_domain type bits -> "DMA", "DMA_FQ", "IDENTITY", "BLOCKED", "UNMANAGED". */
const char *world_domain_type_name(unsigned int type);

#endif /* P2PSIM_SIM_WORLD_H */
