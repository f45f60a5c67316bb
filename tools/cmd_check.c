// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_check.c - `p2psim check TOPO...`: validate topology files.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static int check_run(int argc, char **argv)
{
	int status = EXIT_OK;
	int files = 0;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--"))
			return cli_usage_error(&cmd_check, "unknown option '%s'", argv[i]);
	}
	for (int i = 1; i < argc; i++) {
		p2psim_topology *topo;
		int st = EXIT_OK;

		if (!strcmp(argv[i], "--"))
			continue;
		files++;
		topo = cli_load_topology(argv[i], &st);
		if (!topo) {
			if (st > status)
				status = st;
			continue;
		}
		printf("ok: %s (%zu functions, %zu host bridges)\n", p2psim_topology_name(topo),
		       p2psim_topology_function_count(topo), p2psim_topology_hostbridge_count(topo));
		p2psim_topology_free(topo);
	}
	if (!files)
		return cli_usage_error(&cmd_check, "no topology file given");
	return status;
}

const struct command cmd_check = {
	.name = "check",
	.summary = "validate topology files",
	.usage = "p2psim check TOPO...",
	.help = "Load each TOPO, validate it against the schema (topologies/topology.rng) and\n"
		"the semantic rules of docs/topology.md, and print one line per good file:\n"
		"\n"
		"    ok: NAME (N functions, M host bridges)\n"
		"\n"
		"A bad file prints FILE:LINE:COL: error: MESSAGE on stderr. Every file is\n"
		"checked even after a failure; the exit status is 2 if any file is bad.\n",
	.run = check_run,
};
