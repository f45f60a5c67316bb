// SPDX-License-Identifier: GPL-2.0-only
/*
 * machine.c - the live hardware of one simulated machine (machine.h):
 * physical memory for every RAM range and memory BAR, one IOMMU unit per
 * topology <iommu>, the logical clock and the event bus.
 *
 * The machine owns its phys_mem and IOMMU units; it never owns or changes
 * the topology it was built from.
 */
#include <stdlib.h>

#include "models/iommu/iommu_hw.h"
#include "models/machine.h"
#include "models/mem/physmem.h"

struct machine *machine_new(const struct topology *topo)
{
	struct machine *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->topo = topo;
	m->nr_cpus = 1;
	event_bus_init(&m->events, &m->now_ns);

	m->mem = phys_mem_new();
	if (!m->mem)
		goto err;
	if (phys_mem_add_topology(m->mem, topo))
		goto err;

	if (topo->nr_iommus) {
		m->iommus = calloc(topo->nr_iommus, sizeof(*m->iommus));
		if (!m->iommus)
			goto err;
	}
	for (size_t i = 0; i < topo->nr_iommus; i++) {
		m->iommus[i] = iommu_hw_new(m, &topo->iommus[i]);
		if (!m->iommus[i])
			goto err;
		m->nr_iommus++;
	}
	return m;

err:
	machine_free(m);
	return NULL;
}

void machine_free(struct machine *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nr_iommus; i++)
		iommu_hw_free(m->iommus[i]);
	free(m->iommus);
	phys_mem_free(m->mem);
	free(m);
}

struct iommu_hw *machine_iommu_for(const struct machine *m, const struct pci_dev *dev)
{
	int idx = dev->host ? dev->host->iommu_index : -1;

	if (idx < 0 || (size_t)idx >= m->nr_iommus)
		return NULL;
	return m->iommus[idx];
}
