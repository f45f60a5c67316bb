/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * twostep_world.h - a world on the shipped topologies/default.xml for the
 * two-step / HMM / block-mapper suites: nic0 and nvme0 are clients under
 * the PLX switch, gpu0's BAR1 is a switch peer (BUS_ADDR), gpu1's BAR1 is
 * behind another root port of an allowlisted host bridge (THRU_HOST_BRIDGE).
 * Aborts the test on failure.
 */
#ifndef P2PSIM_TESTS_HELPERS_TWOSTEP_WORLD_H
#define P2PSIM_TESTS_HELPERS_TWOSTEP_WORLD_H

#include "p2psim/p2psim.h"
#include "sim/world.h"

struct tsw {
	p2psim_topology *topo;
	p2psim_world *pw;
	struct world *w;
};

/* @mode: enum p2psim_iommu_mode. */
void tsw_init(struct tsw *t, int mode);
void tsw_fini(struct tsw *t);
struct device *tsw_dev(struct tsw *t, const char *id);
/* CPU address of BAR @bar of function @id. */
phys_addr_t tsw_bar(struct tsw *t, const char *id, int bar);
/* Bus address of the same BAR. */
u64 tsw_bar_bus(struct tsw *t, const char *id, int bar);
const struct iommu_hw_stats *tsw_hw(struct tsw *t);

#endif /* P2PSIM_TESTS_HELPERS_TWOSTEP_WORLD_H */
