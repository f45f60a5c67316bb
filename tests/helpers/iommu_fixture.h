/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommu_fixture.h - a hand-built machine with one IOMMU unit for the IOMMU
 * model and core tests (no topology, no physical memory): a calloc'd
 * struct machine with its event bus and clock, a struct iommu_desc of the
 * chosen type, and the unit. Header-only (static inline) so that suites
 * that don't use it pay nothing.
 */
#ifndef P2PSIM_TESTS_HELPERS_IOMMU_FIXTURE_H
#define P2PSIM_TESTS_HELPERS_IOMMU_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "models/iommu/iommu_hw.h"

struct iommu_fixture {
	struct machine *m;
	struct iommu_desc desc;
	struct iommu_hw *hw;
};

static inline void iommu_fixture_init(struct iommu_fixture *fx, enum iommu_type type,
				      unsigned int iotlb_entries, unsigned int iotlb_ways)
{
	memset(fx, 0, sizeof(*fx));
	fx->m = calloc(1, sizeof(*fx->m));
	if (!fx->m)
		abort();
	fx->m->nr_cpus = 2;
	event_bus_init(&fx->m->events, &fx->m->now_ns);
	fx->desc = (struct iommu_desc){
		.id = (char *)"iommu0",
		.type = type,
		.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
		.iotlb_entries = iotlb_entries,
		.iotlb_ways = iotlb_ways,
		.fq_size = 256,
		.fq_timeout_ms = 10,
	};
	fx->hw = iommu_hw_new(fx->m, &fx->desc);
	if (!fx->hw)
		abort();
	fx->m->iommus = &fx->hw;
	fx->m->nr_iommus = 1;
}

static inline void iommu_fixture_fini(struct iommu_fixture *fx)
{
	iommu_hw_free(fx->hw);
	free(fx->m);
	memset(fx, 0, sizeof(*fx));
}

#endif /* P2PSIM_TESTS_HELPERS_IOMMU_FIXTURE_H */
