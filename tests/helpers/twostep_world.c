// SPDX-License-Identifier: GPL-2.0-only
/*
 * twostep_world.c - see twostep_world.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "helpers/twostep_world.h"
#include "models/iommu/iommu_hw.h"

#ifndef P2PSIM_SRCDIR
#define P2PSIM_SRCDIR "."
#endif

void tsw_init(struct tsw *t, int mode)
{
	struct p2psim_world_opts o;
	struct p2psim_error err = { 0 };
	char path[1024];

	snprintf(path, sizeof(path), "%s/topologies/default.xml", P2PSIM_SRCDIR);
	if (p2psim_topology_load_file(path, &t->topo, &err) != P2PSIM_OK) {
		fprintf(stderr, "tsw_init: %s\n", err.message);
		abort();
	}
	p2psim_world_opts_init(&o);
	o.iommu_mode = mode;
	if (p2psim_world_new(t->topo, &o, &t->pw, &err) != P2PSIM_OK) {
		fprintf(stderr, "tsw_init: %s\n", err.message);
		abort();
	}
	t->w = world_from_public(t->pw);
}

void tsw_fini(struct tsw *t)
{
	p2psim_world_free(t->pw);
	p2psim_topology_free(t->topo);
}

struct device *tsw_dev(struct tsw *t, const char *id)
{
	struct device *dev = world_find_device(t->w, id);

	if (!dev)
		abort();
	return dev;
}

phys_addr_t tsw_bar(struct tsw *t, const char *id, int bar)
{
	return tsw_dev(t, id)->pdev->bars[bar].cpu_addr;
}

u64 tsw_bar_bus(struct tsw *t, const char *id, int bar)
{
	return tsw_dev(t, id)->pdev->bars[bar].bus_addr;
}

const struct iommu_hw_stats *tsw_hw(struct tsw *t)
{
	return iommu_hw_stats(t->w->m->iommus[0]);
}
