/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmabuf.h - the runner side of the scenario steps for dma-buf, VFIO and
 * device events (docs/scenario.md, "dma-buf, VFIO and device events"):
 * vfio-bind / vfio-open / vfio-mmap, dmabuf-export / import / map / unmap /
 * dma / release / access-pin / close / fence / signal, event, and the
 * `expect revoked` / `expect not-revoked` checks.
 *
 * Owned by sim/scenario/dmabuf.c: the kernel instance of the run (struct
 * dmabuf_sys on the world's machine and event bus, with the run's bug set
 * and kernel profile), one vfio_pci_core_device per bound function, the
 * VFIO device sets, the dma-bufs by name and the importers by name. run.c
 * resolves the step's devices and calls scn_dmabuf_run(); the importers'
 * DMA is declared to the route oracle (checkers_dma_begin / _end) here.
 */
#ifndef P2PSIM_SIM_SCENARIO_DMABUF_H
#define P2PSIM_SIM_SCENARIO_DMABUF_H

#include "models/pci/route.h"
#include "sim/check/check.h"
#include "sim/scenario/scenario.h"
#include "sim/world.h"
#include "src/bugs.h"
#include "src/dma-buf/dma-buf.h"
#include "src/kernel_profile.h"

struct scn_dmabuf;

struct scn_dmabuf_env {
	struct world *w;
	struct pci_router *router;
	struct checkers *checkers;
	const struct bug_set *bugs; /* --inject; may be NULL */
	const struct kernel_profile *profile; /* NULL: the world's */
	const struct scenario *scn;
	u64 seed; /* for patterns */
};

/* NULL on -ENOMEM (or when the event bus has no room for one more subscriber). */
struct scn_dmabuf *scn_dmabuf_new(const struct scn_dmabuf_env *env);
/*
 * What process exit does, in its order: every importer released, every
 * dma-buf fd closed, every opened VFIO device closed, every bound device
 * unregistered (which lets devm free the p2pdma providers). Idempotent.
 */
void scn_dmabuf_teardown(struct scn_dmabuf *d);
void scn_dmabuf_free(struct scn_dmabuf *d);

struct scn_dmabuf_result {
	bool has_outcome; /* the step has an outcome (expect ok / expect error) */
	bool failed; /* ... and it failed with @err */
	int err; /* negative errno */
	bool faulted; /* dmabuf-dma: a TLP failed (err -EIO); @fault says why */
	enum route_status fault;
	bool dma; /* dmabuf-dma ran (counts as a DMA) */
	u64 dma_bytes; /* bytes delivered */
	char misuse[200]; /* non-empty: the step could not run (the run fails) */
	char mismatch[200]; /* non-empty: dmabuf-dma read got other bytes than expect= */
};

/*
 * The kernel instance of the run, for the scheduler: it sets current_thread
 * when it switches simulated threads and may install the blocking hooks.
 */
struct dmabuf_sys *scn_dmabuf_sys(struct scn_dmabuf *d);

/* Run step @st. @dev: the step's device (or NULL); @dev2: the fail=...:DEV device. */
void scn_dmabuf_run(struct scn_dmabuf *d, const struct scn_step *st, struct device *dev,
		    struct device *dev2, struct scn_dmabuf_result *res);

/*
 * expect revoked / not-revoked: 1 when the dma-buf named by symbol @sym is
 * revoked, 0 when not, -1 when it names no live dma-buf (why in @why).
 */
int scn_dmabuf_revoked(struct scn_dmabuf *d, int sym, char *why, size_t len);

#endif /* P2PSIM_SIM_SCENARIO_DMABUF_H */
