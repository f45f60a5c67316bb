/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * twostep.h - the runner side of the scenario steps for the two-step IOVA
 * API (iova-alloc / link / sync / unlink / destroy / free), the HMM DMA
 * helpers (hmm-alloc / map / unmap / free) and the block-layer request
 * mapper (blk-map / blk-unmap); docs/scenario.md.
 *
 * Owned by sim/scenario/twostep.c: one slot per scenario symbol holding a
 * struct dma_iova_state or a struct hmm_dma_map and the device it belongs
 * to. run.c resolves the device and the buffer and calls scn_twostep_run().
 */
#ifndef P2PSIM_SIM_SCENARIO_TWOSTEP_H
#define P2PSIM_SIM_SCENARIO_TWOSTEP_H

#include "sim/scenario/scenario.h"
#include "sim/world.h"

struct scn_twostep;

struct scn_twostep *scn_twostep_new(size_t nr_syms);
/* Frees the HMM lists still held (without unmapping: the world goes next). */
void scn_twostep_free(struct scn_twostep *ts);

struct scn_twostep_result {
	bool has_outcome; /* the step has an outcome (expect ok / expect error) */
	bool failed; /* ... and it failed with @err */
	int err; /* negative errno */
	char misuse[160]; /* non-empty: the step could not run (e.g. no live reservation) */
};

/*
 * Run step @st. @dev: the step's device (alloc / blk-map steps) or NULL;
 * @phys/@len: the @nr buffer regions of the step (iova-link, hmm-map: one;
 * blk-map: one per segment; none otherwise).
 */
void scn_twostep_run(struct scn_twostep *ts, struct world *w, const struct scenario *scn,
		     const struct scn_step *st, struct device *dev, const phys_addr_t *phys,
		     const u64 *len, size_t nr, struct scn_twostep_result *res);

#endif /* P2PSIM_SIM_SCENARIO_TWOSTEP_H */
