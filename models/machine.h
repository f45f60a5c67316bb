/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * machine.h - the live hardware of one simulated machine: physical memory
 * (RAM + BAR backing), the IOMMU units, the logical clock, the CPU the
 * current kernel code runs on, and the event bus. Built from a loaded
 * topology (which it does not own and never changes).
 *
 * src/ reaches hardware only through this and the models it points to,
 * the way the kernel reaches hardware through ops and registers.
 */
#ifndef P2PSIM_MODELS_MACHINE_H
#define P2PSIM_MODELS_MACHINE_H

#include "models/event.h"
#include "models/topology.h"

struct phys_mem;  /* models/mem/physmem.h */
struct iommu_hw;  /* models/iommu/iommu_hw.h: one per topology <iommu> */

struct machine {
	const struct topology *topo;
	struct phys_mem *mem;
	struct iommu_hw **iommus; /* topo->nr_iommus of them, same order */
	size_t nr_iommus;
	u64 now_ns;               /* logical clock; only scenario steps and the cost model advance it */
	unsigned int cpu;         /* simulated CPU id of the code running now (per-CPU caches) */
	unsigned int nr_cpus;     /* possible CPUs (swiotlb areas, rcache magazines, flush queues) */
	struct event_bus events;
	/* non-coherent cache maintenance done so far (src/dma/arch.c) */
	struct {
		u64 calls;
		u64 bytes;
		u64 cost_ns;
	} arch_sync;
	/*
	 * Build options of the simulated kernel that change what its DMA code
	 * does (not hardware, but every device reaches it through dev->machine).
	 * dma_api_debug: CONFIG_DMA_API_DEBUG, which makes dma_dev_need_sync()
	 * and dma_need_unmap() always true (include/linux/dma-mapping.h,
	 * kernel/dma/mapping.c). The runner sets it when the dma-debug checker
	 * is on, as that checker stands for the kernel option.
	 */
	struct {
		bool dma_api_debug;
	} kconfig;
};

/* Build the hardware for @topo. Returns NULL on allocation failure. */
struct machine *machine_new(const struct topology *topo);
void machine_free(struct machine *m);

/* The IOMMU unit translating for @dev (its host bridge's), or NULL. */
struct iommu_hw *machine_iommu_for(const struct machine *m, const struct pci_dev *dev);

static inline void machine_emit(struct machine *m, struct sim_event *ev)
{
	event_bus_emit(&m->events, ev);
}

#endif /* P2PSIM_MODELS_MACHINE_H */
