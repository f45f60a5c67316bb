// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_fuzz.c - benchmark "fuzz-steps": fuzzer throughput with every checker
 * on (DESIGN.md §9: target >= 50 000 steps/s on one core).
 *
 * A campaign of generated sequences (48 steps, default weights, no
 * injection) on topologies/default.xml, in this process (--jobs 1): each
 * sequence is generated, parsed, bound, run on a fresh world with dma-debug,
 * iotlb, leaks, route, p2p and dmabuf subscribed, and annotated; findings
 * are written as generated, not minimised. Baseline: the same
 * sequences generated only (the generator's own share of the cost).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "p2psim/p2psim.h"
#include "sim/bench/bench.h"
#include "sim/fuzz/fuzz_internal.h"

static int run_fuzz_steps(struct bench_ctx *ctx)
{
	unsigned long long runs = bench_quick(ctx) ? 200 : 6000, steps = 0;
	/* steps run and checked; minimising a finding is another cost (docs/fuzz.md §9) */
	struct p2psim_fuzz_opts o = { .seed = 1, .runs = runs, .no_minimise = 1 };
	struct p2psim_fuzz_summary *sum = calloc(1, sizeof(*sum));
	struct p2psim_error err = { 0 };
	p2psim_topology *topo;
	struct fz_ctx fz;
	char path[1024], msg[128];
	uint64_t t0, t1;
	int ret;

	if (!sum)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/default.xml", p2psim_data_dir());
	if (p2psim_topology_load_file(path, &topo, &err) != P2PSIM_OK) {
		free(sum);
		return -EINVAL;
	}
	t0 = bench_now_ns();
	ret = p2psim_fuzz(topo, &o, sum, &err);
	t1 = bench_now_ns();
	if (ret != P2PSIM_OK && ret != P2PSIM_ECHECK) {
		ret = -EIO;
		goto out;
	}
	/* baseline: generation alone */
	ret = fz_ctx_init(&fz, topo, NULL, 0, NULL, msg, sizeof(msg));
	if (!ret) {
		uint64_t g0 = bench_now_ns(), g1;

		for (unsigned long long k = 0; k < runs && !ret; k++) {
			struct fz_rng rng;
			struct fz_seq seq;

			fz_rng_seed(&rng, fz_sequence_seed(1, k));
			ret = fz_generate(&fz, &rng, &seq);
			if (!ret)
				steps += seq.n;
			fz_seq_free(&seq);
		}
		g1 = bench_now_ns();
		fz_ctx_destroy(&fz);
		if (!ret)
			bench_report(ctx, "steps/s, every checker on",
				     (double)sum->steps / ((double)(t1 - t0) / 1e9), "steps/s",
				     (double)steps / ((double)(g1 - g0) / 1e9), "generation only",
				     50000, true);
	}
	bench_note(ctx, "%llu sequences, %llu steps, %u distinct violations",
		   sum->sequences, sum->steps, sum->nr_crashes);
out:
	free(sum);
	p2psim_topology_free(topo);
	return ret;
}

const struct bench_case bench_fuzz_steps = {
	.name = "fuzz-steps",
	.summary = "fuzzer steps/s with every checker on (default.xml, 48-step sequences)",
	.run = run_fuzz_steps,
};
