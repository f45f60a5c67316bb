// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_demo.c - `p2psim demo`: a guided tour on the bundled default topology.
 * It is what `make run` runs.
 */
#include <stdio.h>

#include "commands.h"

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
