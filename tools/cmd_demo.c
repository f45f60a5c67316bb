// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_demo.c - `p2psim demo`: a guided tour on the bundled default topology.
 * It is what `make run` runs.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* Pick an interesting pair: the first provider and a client it reaches with BUS_ADDR. */
static void demo_pick_pair(p2psim_topology *topo, p2psim_p2p *view, const p2psim_function **prov,
			   const p2psim_function **client)
{
	size_t n = p2psim_topology_function_count(topo);

	*prov = NULL;
	*client = NULL;
	for (size_t i = 0; i < n && !*prov; i++)
		if (p2psim_function_has_p2pmem(p2psim_topology_function(topo, i)))
			*prov = p2psim_topology_function(topo, i);
	if (!*prov)
		return;
	for (size_t i = 0; i < n; i++) {
		const p2psim_function *fn = p2psim_topology_function(topo, i);
		struct p2psim_verdict v;

		if (fn == *prov || !p2psim_function_is_dma_capable(fn))
			continue;
		if (!*client)
			*client = fn;
		if (p2psim_p2p_verdict(view, *prov, fn, &v) == P2PSIM_OK &&
		    !strcmp(v.map_type, "BUS_ADDR")) {
			*client = fn;
			return;
		}
	}
}

/* The P2PDMA verdicts: matrix, then one pair explained, then the same pair with IOMMU ACS. */
static int demo_p2p(p2psim_topology *topo, const char *path)
{
	struct p2psim_matrix_opts mopts = { .format = P2PSIM_FORMAT_TEXT };
	struct p2psim_p2p_opts iommu = { .acs = P2PSIM_ACS_IOMMU_DEFAULT };
	const p2psim_function *prov, *client;
	p2psim_p2p *view = NULL, *what_if = NULL;
	struct p2psim_error err;
	int status = EXIT_OK;

	p2psim_error_clear(&err);
	if (p2psim_p2p_new(topo, NULL, &view, &err) != P2PSIM_OK ||
	    p2psim_p2p_new(topo, &iommu, &what_if, &err) != P2PSIM_OK) {
		fprintf(stderr, "p2psim demo: %s\n", err.message);
		status = EXIT_INTERNAL;
		goto out;
	}
	demo_pick_pair(topo, view, &prov, &client);
	if (!prov || !client) {
		printf("\n-- 2. No P2P memory in this topology: skipping the P2PDMA verdicts\n");
		goto out;
	}
	printf("\n-- 2. Can each device DMA to another's memory peer-to-peer? What Linux decides\n"
	       "      $ p2psim matrix %s\n\n",
	       path);
	if (p2psim_p2p_matrix(view, &mopts, stdout, &err) != P2PSIM_OK)
		goto fail;
	printf("\n-- 3. Why, for one pair: %s DMAs to the memory of %s\n"
	       "      $ p2psim path %s %s %s\n\n",
	       p2psim_function_id(client), p2psim_function_id(prov), path, p2psim_function_id(prov),
	       p2psim_function_id(client));
	if (p2psim_p2p_path(view, p2psim_function_id(prov), p2psim_function_id(client),
			    P2PSIM_FORMAT_TEXT, stdout, &err) != P2PSIM_OK)
		goto fail;
	printf("\n-- 4. What if an IOMMU were on? Linux then enables ACS redirect on every capable port\n"
	       "      $ p2psim path %s %s %s --acs iommu-default\n\n",
	       path, p2psim_function_id(prov), p2psim_function_id(client));
	if (p2psim_p2p_path(what_if, p2psim_function_id(prov), p2psim_function_id(client),
			    P2PSIM_FORMAT_TEXT, stdout, &err) != P2PSIM_OK)
		goto fail;
	printf("\n      Draw it: p2psim dot %s --path %s,%s -T svg -o fabric.svg\n", path,
	       p2psim_function_id(prov), p2psim_function_id(client));
	goto out;

fail:
	fprintf(stderr, "p2psim demo: %s\n", err.message);
	status = EXIT_INTERNAL;
out:
	p2psim_p2p_free(what_if);
	p2psim_p2p_free(view);
	return status;
}

/*
 * The bundled scenario (topologies/demo.scn): a P2P verdict, a streaming
 * mapping, a bounce, a P2P DMA and a deliberate driver bug the checkers
 * must catch. The demo succeeds when exactly that one violation is found.
 */
static int demo_scenario(p2psim_topology *topo, const char *topo_path)
{
	struct p2psim_run_opts opts = { .format = P2PSIM_FORMAT_TEXT };
	struct p2psim_run_summary sum;
	struct p2psim_error err;
	char topo_copy[4096], scn[4096];
	int ret;

	snprintf(topo_copy, sizeof(topo_copy), "%s", topo_path);
	snprintf(scn, sizeof(scn), "%s", cli_shipped_topology("demo.scn"));
	printf("\n-- 5. A driver's life in a scenario: map, DMA, bounce, P2P, and a bug caught\n"
	       "      $ p2psim run %s %s\n\n",
	       topo_copy, scn);
	fflush(stdout);
	p2psim_error_clear(&err);
	ret = p2psim_run(topo, scn, &opts, stdout, &sum, &err);
	if (ret == P2PSIM_EINPUT || ret == P2PSIM_EINTERNAL) {
		p2psim_error_print(stderr, &err);
		return cli_exit_status(ret);
	}
	if (sum.violations != 1 || sum.expects_failed) {
		printf("\n      Unexpected: the demo scenario should end with exactly one violation.\n");
		return EXIT_CHECK;
	}
	printf("\n      That FAIL is the point: the bug on the last line was caught. Without it\n"
	       "      the run would exit 0. Write your own: docs/scenario.md; add --trace FILE\n"
	       "      to keep every event as JSON Lines.\n");
	return EXIT_OK;
}

static int demo_run(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : cli_shipped_topology("default.xml");
	p2psim_topology *topo;
	int status = EXIT_OK;

	printf("== p2psim demo: %s\n\n", path);
	topo = cli_load_topology(path, &status);
	if (!topo)
		return status;
	printf("-- 1. The machine, as the loader resolved it (p2psim show %s)\n\n", path);
	if (p2psim_topology_print(topo, stdout, P2PSIM_FORMAT_TEXT) != P2PSIM_OK)
		status = EXIT_INTERNAL;
	if (status == EXIT_OK)
		status = demo_p2p(topo, path);
	if (status == EXIT_OK && argc <= 1) /* demo.scn names default.xml's devices */
		status = demo_scenario(topo, path);
	p2psim_topology_free(topo);
	return status;
}

const struct command cmd_demo = {
	.name = "demo",
	.summary = "a guided tour on the bundled default topology (what `make run` runs)",
	.usage = "p2psim demo [TOPO]",
	.help = "Load the bundled default topology (or TOPO) and walk through what p2psim\n"
		"answers about it, printing the command behind each step so you can re-run it.\n",
	.run = demo_run,
};
