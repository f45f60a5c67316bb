/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench.h - the benchmark registry and the reporting helpers a benchmark uses.
 *
 * A benchmark is a struct bench_case in one of sim/bench/bench_*.c, listed in
 * bench_cases[] in sim/bench/bench.c. Its run() measures with bench_now_ns()
 * and reports each figure with bench_report().
 */
#ifndef P2PSIM_SIM_BENCH_H
#define P2PSIM_SIM_BENCH_H

#include <stdbool.h>
#include <stdint.h>

struct bench_ctx;

struct bench_case {
	const char *name;    /* e.g. "dma-iommu-strict-4k" */
	const char *summary; /* one line */
	int (*run)(struct bench_ctx *ctx); /* 0 or negative errno */
};

/* Monotonic wall-clock nanoseconds (benchmarks only: never inside the simulation). */
uint64_t bench_now_ns(void);

/* Is this a --quick (smoke) run? Benchmarks shrink their workloads then. */
bool bench_quick(const struct bench_ctx *ctx);

/*
 * Report one figure: @value in @unit (e.g. "pairs/s", "s", "MiB"), optionally
 * a same-run @baseline (NAN when none) described by @baseline_what, and a
 * @target (NAN when none) with @higher_is_better saying which way it points.
 */
void bench_report(struct bench_ctx *ctx, const char *metric, double value, const char *unit,
		  double baseline, const char *baseline_what, double target, bool higher_is_better);

/* Free-form note printed under the benchmark (text) or attached to it (JSON). */
void bench_note(struct bench_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Keep the optimiser from deleting a computation. */
void bench_consume(uint64_t value);

#endif /* P2PSIM_SIM_BENCH_H */
