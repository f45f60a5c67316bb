// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_show.c - `p2psim show TOPO`: print the resolved machine.
 */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"

static int show_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	enum p2psim_format format = P2PSIM_FORMAT_TEXT;
	p2psim_topology *topo;
	int status = EXIT_OK, c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!cli_parse_format(optarg,
					      FORMAT_BIT(P2PSIM_FORMAT_TEXT) |
						      FORMAT_BIT(P2PSIM_FORMAT_JSON),
					      &format))
				return cli_usage_error(&cmd_show, "unknown format '%s'", optarg);
			break;
		default:
			return cli_usage_error(&cmd_show, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(&cmd_show, "expected exactly one TOPO");
	topo = cli_load_topology(argv[optind], &status);
	if (!topo)
		return status;
	if (p2psim_topology_print(topo, stdout, format) != P2PSIM_OK)
		status = EXIT_INTERNAL;
	p2psim_topology_free(topo);
	return status;
}

const struct command cmd_show = {
	.name = "show",
	.summary = "print the resolved machine as a tree (or JSON)",
	.usage = "p2psim show TOPO [--format text|json]",
	.help = "Print the machine after loading: host bridges with their apertures and IOMMU,\n"
		"and below each the tree of root ports, switches and functions in the spirit of\n"
		"`lspci -tv` - BDF, id, vendor:device, class, ACS Control where present, BARs\n"
		"with CPU and bus addresses and sizes, bridge bus ranges and windows. Addresses\n"
		"and bus numbers the file left out are shown as the loader assigned them.\n"
		"\n"
		"Options:\n"
		"  -f, --format text|json   output format (default text)\n",
	.run = show_run,
};
