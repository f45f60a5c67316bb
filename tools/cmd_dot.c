// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_dot.c - `p2psim dot TOPO`: the fabric as a Graphviz graph, optionally
 * with one DMA route highlighted; DOT text or svg/png/pdf rendered
 * in-process.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "p2p_cli.h"

static int dot_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		P2P_CLI_WHATIF_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct p2psim_p2p_opts vopts = { .acs = P2PSIM_ACS_AS_IS };
	struct p2psim_dot_opts dopts = { .render = "dot" };
	const char *output = NULL;
	char **pair = NULL;
	p2psim_topology *topo = NULL;
	p2psim_p2p *view = NULL;
	struct p2psim_error err;
	FILE *out = stdout;
	int status = EXIT_OK, c, ret;
	size_t n;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "T:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'T':
			if (strcmp(optarg, "dot") && strcmp(optarg, "svg") &&
			    strcmp(optarg, "png") && strcmp(optarg, "pdf")) {
				status = cli_usage_error(
					&cmd_dot, "unknown -T '%s' (dot, svg, png, pdf)", optarg);
				goto out;
			}
			dopts.render = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'p':
			p2p_cli_free_list(pair);
			pair = p2p_cli_split(optarg, &n);
			if (!pair) {
				status = EXIT_INTERNAL;
				goto out;
			}
			if (n != 2) {
				status = cli_usage_error(&cmd_dot, "--path wants PROVIDER,CLIENT");
				goto out;
			}
			dopts.path_provider = pair[0];
			dopts.path_client = pair[1];
			break;
		case P2P_CLI_OPT_ACS:
		case P2P_CLI_OPT_CPU:
		case P2P_CLI_OPT_KERNEL:
		case P2P_CLI_OPT_SEED:
			status = p2p_cli_whatif(&cmd_dot, c, optarg, &vopts);
			if (status)
				goto out;
			break;
		default:
			status = cli_usage_error(&cmd_dot, "unknown or incomplete option '%s'",
						 argv[optind - 1]);
			goto out;
		}
	}
	if (argc - optind != 1) {
		status = cli_usage_error(&cmd_dot, "expected exactly one TOPO");
		goto out;
	}
	view = p2p_cli_open(&cmd_dot, argv[optind], &vopts, &topo, &status);
	if (!view)
		goto out;
	if (output) {
		out = fopen(output, "wb");
		if (!out) {
			fprintf(stderr, "p2psim dot: cannot write '%s': %s\n", output,
				strerror(errno));
			out = stdout;
			status = EXIT_INPUT;
			goto out;
		}
	}
	p2psim_error_clear(&err);
	ret = p2psim_p2p_dot(view, &dopts, out, &err);
	if (ret != P2PSIM_OK)
		status = p2p_cli_fail(&cmd_dot, &err, ret);
	if (out != stdout && fclose(out) != 0 && status == EXIT_OK) {
		fprintf(stderr, "p2psim dot: cannot write '%s': %s\n", output, strerror(errno));
		status = EXIT_INTERNAL;
	}
out:
	p2psim_p2p_free(view);
	if (topo)
		p2psim_topology_free(topo);
	p2p_cli_free_list(pair);
	return status;
}

const struct command cmd_dot = {
	.name = "dot",
	.summary = "draw the fabric (and a DMA route) with Graphviz: DOT, SVG, PNG or PDF",
	.usage = "p2psim dot TOPO [--path PROVIDER,CLIENT] [-T dot|svg|png|pdf] [-o FILE] "
		 "[--acs MODE] [--cpu CPU] [--kernel NAME]",
	.help = "Draw the machine as a graph: host bridges and switches as frames, root ports\n"
		"and switch ports as boxes, endpoints (VFs in yellow) with their BARs. With\n"
		"--path the route CLIENT's DMA takes to PROVIDER's memory is drawn in red and\n"
		"the graph is labelled with the kernel's map type and distance; the what-if\n"
		"options change that verdict as for 'p2psim matrix'.\n"
		"-T dot (default) writes DOT text that Graphviz's `dot` renders unchanged;\n"
		"svg, png and pdf are laid out and rendered by the Graphviz library directly.\n"
		"\n"
		"Options:\n"
		"  --path PROVIDER,CLIENT  highlight this pair's route\n"
		"  -T FORMAT       dot, svg, png or pdf (default dot)\n"
		"  -o, --output FILE  write there instead of standard output\n" P2P_CLI_WHATIF_HELP
		"\n"
		"Example:\n"
		"  p2psim dot topologies/default.xml --path gpu0,nic0 -T svg -o fabric.svg\n",
	.run = dot_run,
};
