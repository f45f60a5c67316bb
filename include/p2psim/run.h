/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2psim/run.h - running a scenario against a topology (`p2psim run`).
 *
 * A scenario (docs/scenario.md) is a text file of steps: buffers, streaming
 * maps and unmaps, syncs, device DMA, time, expectations. p2psim_run() parses
 * it, builds a world on the topology, executes every step with the checkers
 * watching (docs/checkers.md), and prints what went wrong and a summary.
 */
#ifndef P2PSIM_RUN_H
#define P2PSIM_RUN_H

#include <stdio.h>

#include "p2psim/error.h"
#include "p2psim/topology.h"

#ifdef __cplusplus
extern "C" {
#endif

struct p2psim_run_observer;

struct p2psim_run_opts {
	int seed_given; /* override the scenario's `seed` with @seed */
	unsigned long long seed;
	const char *trace_path; /* write the JSON Lines trace here; NULL: none */
	const char *check_enable; /* comma-separated checker names; NULL: all */
	const char *check_disable; /* comma-separated checker names to switch off; NULL: none */
	enum p2psim_format format; /* P2PSIM_FORMAT_TEXT or P2PSIM_FORMAT_JSON */
	int quiet; /* text: print only failures and the summary line */
	/* Historic bugs to re-inject (`p2psim bugs`), comma-separated ids; NULL: none. */
	const char *inject;
	/* Print nothing at all (embedders that read results through @observer). */
	int silent;
	/* Optional: told about every violation and every failed outcome (the fuzzer). */
	const struct p2psim_run_observer *observer;
	/*
	 * Threads (docs/scenario.md): a schedule SPEC ("serial 3:rev") that
	 * replaces the scenario's `schedule` line; NULL: the scenario's.
	 */
	const char *schedule;
	/*
	 * Explore the interleavings of the scenario's threads instead of one run:
	 * every schedule with at most @explore_preemptions preemptions (default
	 * 2), at most @explore_budget schedules (0: the default, 2000); report
	 * the first that fails, with the `schedule` line that replays it.
	 */
	int explore;
	unsigned long long explore_budget;
	int explore_preemptions_given;
	unsigned int explore_preemptions;
};

/*
 * Callbacks of an embedder that wants the findings as data. Either may be
 * NULL. Lines are scenario lines; 0 means the end of the run.
 */
struct p2psim_run_observer {
	void *ctx;
	/* Each checker violation, in report order, claimed by `expect violation` or not. */
	void (*violation)(void *ctx, int line, const char *checker, const char *kind,
			  const char *message, int claimed);
	/*
	 * A map / map-sg / dma-mask that failed (@err: the errno name, e.g.
	 * "EREMOTEIO") or a DMA that faulted (@err NULL), acknowledged or not.
	 */
	void (*outcome)(void *ctx, int line, const char *err);
};

/* What a run did (for embedders and tests; the CLI prints it). */
struct p2psim_run_summary {
	unsigned long long steps;
	unsigned long long dmas; /* device DMA steps */
	unsigned long long dma_bytes; /* bytes delivered by them */
	unsigned long long maps, unmaps; /* streaming map / map-sg, unmap steps */
	unsigned long long iotlb_hits, iotlb_misses;
	unsigned long long faults; /* TLP chunks that failed (IOMMU fault, UR, ACS) */
	unsigned long long bounces; /* swiotlb bounce copies */
	unsigned long long exposures; /* lazy-mode exposure events (not violations) */
	unsigned long long violations; /* checker violations not claimed by `expect violation` */
	unsigned long long expects, expects_failed;
	unsigned long long trace_records;
	unsigned long long time_ns; /* logical clock at the end */
	/* --explore: schedules run, and whether every one within the bound was */
	unsigned long long schedules;
	int explore_complete;
};

/*
 * Run @scenario_path on @topo. Reports (violations, failed expectations, the
 * summary) go to @out. @summary may be NULL.
 * Returns P2PSIM_OK (clean), P2PSIM_ECHECK (a violation or a failed expect),
 * P2PSIM_EINPUT (bad scenario or option: @err has FILE:LINE:COL and a
 * message; nothing was run) or P2PSIM_EINTERNAL.
 */
int p2psim_run(const p2psim_topology *topo, const char *scenario_path,
	       const struct p2psim_run_opts *opts, FILE *out, struct p2psim_run_summary *summary,
	       struct p2psim_error *err);

/* The same with the scenario text in memory; @name is used in messages. */
int p2psim_run_buffer(const p2psim_topology *topo, const char *text, size_t len, const char *name,
		      const struct p2psim_run_opts *opts, FILE *out,
		      struct p2psim_run_summary *summary, struct p2psim_error *err);

/* Check a scenario's syntax only (no topology). P2PSIM_OK or P2PSIM_EINPUT. */
int p2psim_scenario_check(const char *scenario_path, struct p2psim_error *err);

/*
 * Validate a `run --inject` list: every bug whose injection point exists in
 * the model (`p2psim fuzz --inject` takes only those a fuzz test proves).
 * P2PSIM_OK or P2PSIM_EINPUT with a message.
 */
int p2psim_run_inject_check(const char *list, struct p2psim_error *err);

/* The checker names p2psim_run() accepts, NULL-terminated. */
const char *const *p2psim_checker_names(void);

#ifdef __cplusplus
}
#endif
#endif /* P2PSIM_RUN_H */
