// SPDX-License-Identifier: GPL-2.0-only
// Follows arch_sync_dma_for_device/cpu (include/linux/dma-map-ops.h), v7.0-era, as events with a cost.
/*
 * arch.c - cache maintenance for non-coherent devices (arch.h).
 *
 * No cache is simulated: memory is always what the last writer left. Each
 * call is counted in machine->arch_sync and emitted as EV_ARCH_SYNC (flags 0
 * for device, 1 for cpu; aux = cost in ns) so checkers and statistics see
 * that the kernel would have cleaned or invalidated these lines.
 */
#include "src/dma/arch.h"

u64 arch_sync_cost_ns(phys_addr_t paddr, size_t size)
{
	u64 first = paddr / ARCH_DMA_CACHE_LINE;
	u64 last = size ? (paddr + size - 1) / ARCH_DMA_CACHE_LINE : first;
	u64 lines = size ? last - first + 1 : 0;

	return ARCH_SYNC_BASE_NS + lines * ARCH_SYNC_NS_PER_LINE;
}

static void arch_sync(struct device *dev, phys_addr_t paddr, size_t size,
		      enum dma_data_direction dir, unsigned int for_cpu)
{
	struct machine *m = dev->machine;
	u64 cost = arch_sync_cost_ns(paddr, size);
	struct sim_event ev = {
		.kind = EV_ARCH_SYNC,
		.dev = dev->pdev,
		.phys = paddr,
		.len = size,
		.dir = dir,
		.flags = for_cpu,
		.aux = cost,
	};

	m->arch_sync.calls++;
	m->arch_sync.bytes += size;
	m->arch_sync.cost_ns += cost;
	machine_emit(m, &ev);
}

void arch_sync_dma_for_device(struct device *dev, phys_addr_t paddr, size_t size,
			      enum dma_data_direction dir)
{
	arch_sync(dev, paddr, size, dir, 0);
}

void arch_sync_dma_for_cpu(struct device *dev, phys_addr_t paddr, size_t size,
			   enum dma_data_direction dir)
{
	/* Only a device write can leave stale lines behind. */
	if (dir == DMA_TO_DEVICE)
		return;
	arch_sync(dev, paddr, size, dir, 1);
}
