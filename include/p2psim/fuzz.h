/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2psim/fuzz.h - the mapping-sequence fuzzer (`p2psim fuzz`, docs/fuzz.md)
 * and the catalogue of historic bugs it re-injects (`p2psim bugs`).
 *
 * The fuzzer generates valid-but-adversarial scenarios (docs/scenario.md)
 * over a topology, runs them in-process with every checker on, and for each
 * distinct violation (checker/kind) writes a minimised scenario that
 * `p2psim run` replays. Sequence k of a campaign is a pure function of
 * (seed, k): campaigns are reproducible and split into disjoint shards.
 */
#ifndef P2PSIM_FUZZ_H
#define P2PSIM_FUZZ_H

#include <signal.h>
#include <stdio.h>

#include "p2psim/error.h"
#include "p2psim/topology.h"

#ifdef __cplusplus
extern "C" {
#endif

struct p2psim_fuzz_opts {
	unsigned long long seed; /* campaign seed */
	unsigned long long runs; /* sequences this shard runs; 0: until @time_s */
	double time_s; /* wall-clock budget in seconds; 0: none (needs @runs) */
	unsigned int steps; /* steps per sequence (0: 48) */
	const char *out_dir; /* crash-<hash>.scn go here; NULL: none written */
	const char *topo_path; /* named in the reproducers' `# topology:` header */
	unsigned int jobs; /* worker processes (0/1: in this process) */
	unsigned int shard, nshards; /* this is shard @shard of @nshards (0/0: the whole space) */
	const char *inject; /* comma-separated bug ids; NULL: none */
	const char *weights; /* "map=3,unmap=2,..." (docs/fuzz.md); NULL: defaults */
	int no_minimise; /* keep reproducers as generated */
	FILE *progress; /* a terminal to print progress to; NULL: quiet */
	volatile sig_atomic_t *stop; /* set asynchronously (SIGINT) to stop early */
};

/* One distinct finding. */
struct p2psim_fuzz_crash {
	char checker[32];
	char kind[48];
	char message[512];
	unsigned long long sequence; /* index in the campaign's seed space */
	unsigned int steps_generated, steps_minimised;
	char file[512]; /* the reproducer written ("" if none) */
};

struct p2psim_fuzz_summary {
	unsigned long long sequences, steps;
	double seconds; /* wall clock, for steps/s */
	int interrupted;
	unsigned int nr_crashes;
	struct p2psim_fuzz_crash crashes[32]; /* sorted by checker/kind */
	unsigned long long event_kinds_seen, event_kinds_total; /* verbs generated / known */
};

/*
 * Run a campaign on @topo. P2PSIM_OK (nothing found), P2PSIM_ECHECK (at
 * least one violation; reproducers written), P2PSIM_EINPUT (bad option,
 * @err says which) or P2PSIM_EINTERNAL.
 */
int p2psim_fuzz(const p2psim_topology *topo, const struct p2psim_fuzz_opts *opts,
		struct p2psim_fuzz_summary *summary, struct p2psim_error *err);

/* The summary as one JSON document (json-c) on @out. */
int p2psim_fuzz_summary_print_json(const struct p2psim_fuzz_summary *summary,
				   const struct p2psim_fuzz_opts *opts, FILE *out);

/*
 * Decode arbitrary bytes into a scenario on @topo and run it with every
 * checker on (the libFuzzer / AFL++ harness). Returns 1 when an unexpected
 * violation was found, 0 otherwise.
 */
int p2psim_fuzz_one_input(const p2psim_topology *topo, const unsigned char *data, size_t size,
			  const char *inject);

/* --- the bug catalogue (`p2psim bugs`) ------------------------------------ */

struct p2psim_bug {
	const char *id; /* what --inject takes */
	const char *summary;
	const char *fix; /* the upstream fix it reverts */
	const char *area; /* kernel area */
	const char *checker; /* the checker expected to catch it */
	int injectable; /* 0: listed only; @why says what is missing */
	const char *why;
	/* the campaign that proves it (seed 0): `p2psim fuzz topologies/PROOF_TOPOLOGY
	 * --inject ID --runs PROOF_RUNS [--weights PROOF_WEIGHTS]` */
	const char *proof_topology; /* a file name of topologies/ */
	const char *proof_weights; /* NULL: the default weights */
	unsigned int proof_runs;
};

size_t p2psim_bug_count(void);
/* Fill @out with entry @index (0 .. count-1). 0, or -1 past the end. */
int p2psim_bug_get(size_t index, struct p2psim_bug *out);
/* Validate an --inject list: P2PSIM_OK or P2PSIM_EINPUT with a message. */
int p2psim_inject_check(const char *list, struct p2psim_error *err);

#ifdef __cplusplus
}
#endif
#endif /* P2PSIM_FUZZ_H */
