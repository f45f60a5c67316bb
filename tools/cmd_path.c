// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_path.c - `p2psim path TOPO PROVIDER CLIENT`: one P2PDMA verdict
 * explained step by step.
 */
#include <getopt.h>
#include <stdio.h>

#include "p2p_cli.h"

static int path_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		P2P_CLI_WHATIF_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct p2psim_p2p_opts vopts = { .acs = P2PSIM_ACS_AS_IS };
	enum p2psim_format format = P2PSIM_FORMAT_TEXT;
	p2psim_topology *topo = NULL;
	p2psim_p2p *view;
	struct p2psim_error err;
	int status = EXIT_OK, c, ret;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!cli_parse_format(optarg,
					      FORMAT_BIT(P2PSIM_FORMAT_TEXT) |
						      FORMAT_BIT(P2PSIM_FORMAT_JSON),
					      &format))
				return cli_usage_error(&cmd_path, "unknown format '%s'", optarg);
			break;
		case P2P_CLI_OPT_ACS:
		case P2P_CLI_OPT_CPU:
		case P2P_CLI_OPT_KERNEL:
		case P2P_CLI_OPT_SEED:
			status = p2p_cli_whatif(&cmd_path, c, optarg, &vopts);
			if (status)
				return status;
			break;
		default:
			return cli_usage_error(&cmd_path, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	if (argc - optind != 3)
		return cli_usage_error(&cmd_path, "expected TOPO PROVIDER CLIENT");
	view = p2p_cli_open(&cmd_path, argv[optind], &vopts, &topo, &status);
	if (!view)
		return status;
	p2psim_error_clear(&err);
	ret = p2psim_p2p_path(view, argv[optind + 1], argv[optind + 2], format, stdout, &err);
	if (ret != P2PSIM_OK)
		status = p2p_cli_fail(&cmd_path, &err, ret);
	p2psim_p2p_free(view);
	p2psim_topology_free(topo);
	return status;
}

const struct command cmd_path = {
	.name = "path",
	.summary = "explain one P2PDMA verdict: chains, ACS, allowlist, address, route",
	.usage = "p2psim path TOPO PROVIDER CLIENT [--format text|json] [--acs MODE] [--cpu CPU] "
		 "[--kernel NAME]",
	.help = "Explain what Linux decides when CLIENT wants to DMA to the BAR memory of\n"
		"PROVIDER, in the order the kernel works it out:\n"
		"  1. both upstream chains (pci_upstream_bridge; a VF starts from its PF's parent)\n"
		"  2. the common upstream bridge and the distance\n"
		"  3. every ACS Control value examined and whether it redirects (RR|CR|EC)\n"
		"  4. the host-bridge fallback: cpu_supports_p2pdma() and the allowlist rows\n"
		"  5. the verdict: map type, distance, path class\n"
		"  6. the kernel log lines it would print\n"
		"  7. the DMA address the client is programmed with (bus address, or a normal\n"
		"     mapping)\n"
		"  8. the hardware route of the DMA, and whether the root complex must forward it\n"
		"\n"
		"With --format json the same facts come as one JSON object (docs/p2p.md).\n"
		"\n"
		"Options:\n"
		"  -f, --format text|json   output format (default text)\n" P2P_CLI_WHATIF_HELP
		"Devices are named by id (gpu0) or BDF (0000:03:00.0). See docs/p2p.md.\n"
		"\n"
		"Example:\n"
		"  p2psim path topologies/default.xml gpu0 nic0 --acs iommu-default\n",
	.run = path_run,
};
