/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2psim/bench.h - the benchmarks behind `p2psim bench`.
 *
 * Each benchmark measures one figure of DESIGN.md §9 and reports it next to
 * a baseline measured in the same run, and next to its target when there is
 * one. Benchmarks are never part of the test suite's pass/fail.
 */
#ifndef P2PSIM_BENCH_H
#define P2PSIM_BENCH_H

#include <stdio.h>

#include "p2psim/topology.h"

#ifdef __cplusplus
extern "C" {
#endif

struct p2psim_bench_opts {
	int quick;                /* shrink every workload (smoke run, used by CTest "bench" label) */
	const char *filter;       /* run only benchmarks whose name contains this; NULL for all */
	enum p2psim_format format; /* TEXT or JSON */
	int list;                 /* only list the benchmarks */
	int compare_apis;         /* the scatterlist vs two-step comparison table */
};

/* Run the benchmarks. Returns P2PSIM_OK, P2PSIM_EINPUT (bad filter) or P2PSIM_EINTERNAL. */
int p2psim_bench(FILE *out, const struct p2psim_bench_opts *opts);

#ifdef __cplusplus
}
#endif
#endif /* P2PSIM_BENCH_H */
