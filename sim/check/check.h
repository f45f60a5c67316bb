/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * check.h - the correctness checkers (DESIGN.md §6) and their framework.
 *
 * A checker set is created on a machine from enable / disable name lists,
 * subscribes to the machine's event bus (one subscriber for the whole set,
 * which dispatches to each checker) and turns what it observes into
 * violations. docs/checkers.md describes every checker and kind. Checkers observe, never steer: they read events (and, for the
 * route oracle, the intent the runner declares before a device DMA), never
 * the private state of another module.
 *
 * Checkers (names as the CLI takes them; all on by default):
 *   dma-debug  the DMA-API debug classes of reference/dma-iommu.md §6.2 that
 *              apply to the streaming API, with the kernel's wording
 *   iotlb      translations used after a strict unmap returned; lazy-mode
 *              exposure windows (counted, not violations); page-table pages
 *              freed and IOVAs reused or freed before the IOTLB flush / while
 *              still mapped
 *   leaks      at device release / end of run: live mappings, IOVA ranges,
 *              swiotlb slots, page-table pages detached and never freed, HMM
 *              maps freed with pfns still mapped
 *   route      the route oracle: a DMA through a live mapping reaches exactly
 *              the intended bytes; misdirected, lost, use-after-unmap,
 *              use-after-revoke
 *   p2p        a mapping whose P2P map type contradicts the hardware path
 *
 * Every violation carries the scenario line (sim_event.line, stamped by the
 * event bus from bus->current_line, which the runner sets before each step),
 * the checker name, the kernel rule it breaks, our message, the kernel's own
 * wording when the kernel has one (dma-debug), the event that triggered it
 * and the trace tail (the last CHECK_TRACE_TAIL events before it, oldest
 * first).
 *
 * Typical use by the runner:
 *   checkers_new(m, router, "all", NULL, &cs, msg, sizeof(msg));
 *   for each step: m->events.current_line = line; ...
 *     device DMA: checkers_dma_begin(cs, &intent);
 *                 pci_route_dma(...); checkers_dma_end(cs, &result);
 *   checkers_finish(cs);   (after the last step, before tearing the world down)
 *   checkers_print(cs, stdout, scenario_file); exit(checkers_nr_violations(cs) ? 1 : 0);
 *   checkers_free(cs);
 *
 * Owned here: struct checkers (private), struct check_violation, struct
 * dma_intent, struct check_stats.
 */
#ifndef P2PSIM_SIM_CHECK_H
#define P2PSIM_SIM_CHECK_H

#include <stdio.h>

#include "models/event.h"
#include "models/machine.h"

struct checkers;
struct pci_router;
struct route_result;
struct json_object;

#define CHECK_TRACE_TAIL 16 /* events kept before each violation */

struct check_violation {
	int line;                 /* scenario line (0: none, e.g. end of run) */
	const char *checker;      /* "dma-debug", "iotlb", "leaks", "route", "p2p" */
	const char *kind;         /* short class, e.g. "unmap-wrong-size", "use-after-unmap" */
	const char *rule;         /* the kernel rule broken, with the kernel file/function */
	char *message;            /* ours: what happened, with addresses and device */
	char *kernel_msg;         /* the kernel's wording (DMA-API debug), or NULL */
	const struct pci_dev *dev;
	struct sim_event event;   /* the event that triggered it (kind EV__COUNT at finish) */
	struct sim_event trace[CHECK_TRACE_TAIL]; /* oldest first */
	unsigned int nr_trace;
};

/*
 * What the runner expects of the device DMA it is about to issue. The route
 * oracle compares it with the EV_TLP_* events between checkers_dma_begin()
 * and checkers_dma_end().
 */
enum dma_intent_state {
	DMA_INTENT_RAW = 0,   /* no mapping claimed (a raw address): nothing to check */
	DMA_INTENT_LIVE,      /* through a live mapping: must reach expect_phys.. exactly */
	DMA_INTENT_UNMAPPED,  /* through a mapping the driver already unmapped */
	DMA_INTENT_REVOKED,   /* through a mapping whose exporter revoked it (dma-buf) */
};

/* expect_phys value: "look it up": the live dma_map of @dev containing @dma_addr */
#define DMA_INTENT_PHYS_FROM_MAPPING (~(phys_addr_t)0)

/* A run of bytes behind a device address range: @len bytes at CPU address @phys. */
struct dma_intent_extent {
	phys_addr_t phys;
	u64 len;
};

struct dma_intent {
	const struct pci_dev *dev;  /* requester */
	dma_addr_t dma_addr;        /* address the device is programmed with */
	u64 len;
	bool write;
	enum dma_intent_state state;
	/*
	 * LIVE: CPU physical address byte 0 must land at (a RAM buffer, or a
	 * peer BAR's CPU address for P2P); bytes landing in the swiotlb slot
	 * that bounces exactly this address also count as reaching it.
	 * DMA_INTENT_PHYS_FROM_MAPPING: take it from the tracked EV_DMA_MAP.
	 */
	phys_addr_t expect_phys;
	/*
	 * LIVE, optional: the bytes behind dma_addr.. as extents in order,
	 * for a DMA segment merged from several sg entries (each extent one
	 * entry's bytes); when nr_extents != 0, expect_phys is ignored. The
	 * array must stay valid until checkers_dma_end().
	 */
	const struct dma_intent_extent *extents;
	unsigned int nr_extents;
	int p2p_map_type;           /* enum pci_p2pdma_map_type of the mapping, 0 if not P2P */
	const char *handle;         /* the runner's name for the mapping, for messages; may be NULL */
};

struct check_stats {
	u64 events;                 /* events observed */
	u64 dmas_checked;           /* intents classified by the route oracle */
	u64 lazy_exposures;         /* TLPs / IOTLB hits inside a lazy unmap->flush window */
	u64 lazy_windows;           /* lazy unmap windows opened */
	u64 lazy_window_ns_max;     /* longest closed window, logical ns */
	u64 blocked_after_unmap;    /* DMAs after unmap stopped by the IOMMU (correct) */
	u64 live_mappings;          /* tracked streaming mappings still live */
	u64 violations;             /* reported; more than checkers_nr_violations() only if
				     * keeping one ran out of memory */
};

/*
 * Create the checkers on @m. @enable: comma-separated checker names, "all"
 * or NULL for every checker; @disable: names to switch off afterwards (NULL:
 * none). @router (may be NULL) lets the p2p checker compute hardware paths.
 * Returns 0, -EINVAL with a message in @msg for an unknown name (the message
 * lists the known ones), -ENOMEM, or -ENOSPC when the event bus is full.
 */
int checkers_new(struct machine *m, struct pci_router *router, const char *enable,
		 const char *disable, struct checkers **out, char *msg, size_t msglen);
/* Unsubscribe and free (violations included). NULL is a no-op. */
void checkers_free(struct checkers *cs);

/* Is checker @name enabled? (false for unknown names) */
bool checkers_enabled(const struct checkers *cs, const char *name);
/* The known checker names, NULL-terminated, in report order. */
const char *const *checkers_names(void);
/* One-line description of a checker, or NULL for an unknown name. */
const char *checkers_describe(const char *name);

/* Route oracle: declare the DMA about to be issued, then close it with its result (may be NULL). */
void checkers_dma_begin(struct checkers *cs, const struct dma_intent *intent);
void checkers_dma_end(struct checkers *cs, const struct route_result *result);

/*
 * End of run: leak checks for everything still live (mappings, IOVA ranges,
 * swiotlb slots), lazy windows still open are closed and counted. Call once,
 * after the last step and before the world is torn down. Idempotent.
 */
void checkers_finish(struct checkers *cs);

size_t checkers_nr_violations(const struct checkers *cs);
const struct check_violation *checkers_violation(const struct checkers *cs, size_t i);
void checkers_get_stats(const struct checkers *cs, struct check_stats *out);

/*
 * Human report of every violation:
 *   FILE:LINE: violation [checker/kind]: message
 *     kernel says: "..."
 *     rule: ...
 *     trace tail: (last events, one per line)
 * @source names the scenario file (may be NULL). Returns the number printed.
 */
size_t checkers_print(const struct checkers *cs, FILE *out, const char *source);
/* One violation as a json-c object (new reference). */
struct json_object *check_violation_to_json(const struct check_violation *v);
/* Every violation and the statistics: {"violations":[...],"stats":{...}} (new reference). */
struct json_object *checkers_to_json(const struct checkers *cs);

#endif /* P2PSIM_SIM_CHECK_H */
