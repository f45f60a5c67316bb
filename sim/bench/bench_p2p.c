// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_p2p.c - benchmark "p2p-all-pairs-4096": the kernel's P2PDMA verdict
 * for every provider x client pair of a generated topology with 4,096
 * endpoints (16.7 M pairs), the work behind `p2psim matrix`.
 *
 * The topology comes from sim/topology/generate.h: 8 endpoints per switch,
 * every endpoint a p2pmem provider, ACS RR/CR on every root and downstream
 * port (so most pairs take the redirect + allowlist path). The figure is the
 * wall time of p2p_matrix_compute() over all pairs, row by row, each provider
 * with transient P2PDMA state whose map_types cache is filled as the kernel
 * fills it; target 5 s. Baseline: the same loops calling a trivial per-pair
 * function (sum of the two depths), the floor of iterating the pairs.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "p2psim/p2p.h"
#include "sim/bench/bench.h"
#include "sim/p2p/p2p_internal.h"
#include "sim/topology/generate.h"
#include "sim/topology/topology_internal.h"

static void trivial_row(const struct pci_dev *provider, const struct pci_dev *const *clients,
			size_t nr_clients, struct p2p_pair *row)
{
	for (size_t j = 0; j < nr_clients; j++) {
		row[j].map = PCI_P2PDMA_MAP_BUS_ADDR;
		row[j].dist = provider->depth + clients[j]->depth;
	}
}

static int bench_p2p_all_pairs(struct bench_ctx *ctx)
{
	struct topology_gen_opts gen = {
		.endpoints = bench_quick(ctx) ? 512 : 4096,
		.endpoints_per_switch = 8,
		.p2pmem_every = 1,
		.acs = true,
	};
	const struct pci_dev **eps = NULL;
	struct p2p_pair *row = NULL;
	struct p2psim_error err;
	p2psim_topology *topo = NULL;
	p2psim_p2p *view = NULL;
	size_t len, n = 0, counts[5] = { 0 };
	const struct pci_fabric *fab;
	uint64_t t0, t1, sum = 0;
	double secs, base;
	char *xml;
	int ret = 0;

	xml = topology_generate(&gen, &len);
	if (!xml)
		return -ENOMEM;
	p2psim_error_clear(&err);
	if (p2psim_topology_load_buffer(xml, len, "generated.xml", &topo, &err) != P2PSIM_OK) {
		bench_note(ctx, "load failed: %s:%d: %s", err.file, err.line, err.message);
		ret = -EINVAL;
		goto out;
	}
	if (p2psim_p2p_new(topo, NULL, &view, &err) != P2PSIM_OK) {
		ret = -ENOMEM;
		goto out;
	}
	fab = topology_from_public(topo)->fabric;
	eps = malloc(fab->nr_devs * sizeof(*eps));
	row = malloc(fab->nr_devs * sizeof(*row));
	if (!eps || !row) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < fab->nr_devs; i++)
		if (pci_is_dma_capable(fab->devs[i]))
			eps[n++] = fab->devs[i];

	t0 = bench_now_ns();
	for (size_t i = 0; i < n; i++) {
		trivial_row(eps[i], eps, n, row);
		sum += (uint64_t)row[i].dist;
	}
	t1 = bench_now_ns();
	base = (double)(t1 - t0) / 1e9;
	bench_consume(sum);

	t0 = bench_now_ns();
	for (size_t i = 0; i < n; i++) {
		if (p2p_matrix_compute(view, &eps[i], 1, eps, n, row)) {
			ret = -ENOMEM;
			goto out;
		}
		for (size_t j = 0; j < n; j++)
			counts[row[j].map]++;
	}
	t1 = bench_now_ns();
	secs = (double)(t1 - t0) / 1e9;

	bench_note(ctx,
		   "%zu endpoints, %zu functions, %zu pairs: %zu BUS_ADDR, %zu THRU_HOST_BRIDGE, "
		   "%zu NOT_SUPPORTED",
		   n, fab->nr_devs, n * n, counts[PCI_P2PDMA_MAP_BUS_ADDR],
		   counts[PCI_P2PDMA_MAP_THRU_HOST_BRIDGE], counts[PCI_P2PDMA_MAP_NOT_SUPPORTED]);
	bench_report(ctx, "all-pairs verdicts", secs, "s", base,
		     "s for the same loops, trivial pair", bench_quick(ctx) ? NAN : 5.0, false);
	bench_report(ctx, "verdicts per second", (double)(n * n) / secs, "pairs/s",
		     (double)(n * n) / base, "pairs/s trivial", NAN, true);
	bench_report(ctx, "time per verdict", secs * 1e9 / (double)(n * n), "ns", NAN, NULL, NAN,
		     false);
out:
	free(row);
	free(eps);
	p2psim_p2p_free(view);
	if (topo)
		p2psim_topology_free(topo);
	free(xml);
	return ret;
}

const struct bench_case bench_p2p_all_pairs_4096 = {
	.name = "p2p-all-pairs-4096",
	.summary = "P2PDMA verdicts for all 16.7 M pairs of 4,096 endpoints (target < 5 s)",
	.run = bench_p2p_all_pairs,
};
