// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_topology.c - benchmark "topology-load-10k": load + validate + assign a
 * generated topology of about 10,000 functions (sim/topology/generate.h).
 *
 * Figure: seconds for p2psim_topology_load_buffer() (parse, RELAX NG
 * validation, build, checks, bus numbers, BAR placement, finalize), best of
 * a few runs; target 1.0 s, lower is better. Baseline: libxml2 merely parsing
 * the same buffer, the floor any XML loader pays.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include <libxml/parser.h>

#include "p2psim/topology.h"
#include "sim/bench/bench.h"
#include "sim/topology/generate.h"

#define RUNS 3

static int bench_topology_load(struct bench_ctx *ctx)
{
	unsigned int target = bench_quick(ctx) ? 1000 : 10000;
	double best_load = INFINITY, best_parse = INFINITY;
	size_t len, functions = 0;
	char *xml = topology_generate_xml(target, 8, &len);

	if (!xml)
		return -ENOMEM;
	for (int run = 0; run < RUNS; run++) {
		struct p2psim_error err;
		p2psim_topology *topo = NULL;
		uint64_t t0, t1;
		xmlDocPtr doc;

		t0 = bench_now_ns();
		doc = xmlReadMemory(xml, (int)len, "generated.xml", NULL, XML_PARSE_NONET);
		t1 = bench_now_ns();
		if (!doc) {
			free(xml);
			return -EINVAL;
		}
		xmlFreeDoc(doc);
		if ((double)(t1 - t0) / 1e9 < best_parse)
			best_parse = (double)(t1 - t0) / 1e9;

		p2psim_error_clear(&err);
		t0 = bench_now_ns();
		if (p2psim_topology_load_buffer(xml, len, "generated.xml", &topo, &err) !=
		    P2PSIM_OK) {
			bench_note(ctx, "load failed: %s:%d: %s", err.file, err.line, err.message);
			free(xml);
			return -EINVAL;
		}
		t1 = bench_now_ns();
		functions = p2psim_topology_function_count(topo);
		p2psim_topology_free(topo);
		if ((double)(t1 - t0) / 1e9 < best_load)
			best_load = (double)(t1 - t0) / 1e9;
	}
	bench_note(ctx, "%zu functions, %zu bytes of XML, best of %d runs", functions, len, RUNS);
	bench_report(ctx, "load+validate+assign", best_load, "s", best_parse,
		     "s for xmlReadMemory alone", 1.0, false);
	bench_report(ctx, "functions loaded per second", functions / best_load, "functions/s", NAN,
		     NULL, NAN, true);
	free(xml);
	return 0;
}

const struct bench_case bench_topology_load_10k = {
	.name = "topology-load-10k",
	.summary = "load+validate a generated ~10,000-function topology (target < 1 s)",
	.run = bench_topology_load,
};
