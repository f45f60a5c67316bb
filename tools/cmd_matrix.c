// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_matrix.c - `p2psim matrix TOPO`: the kernel's P2PDMA verdict for every
 * provider x client pair.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "p2p_cli.h"

static int matrix_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "providers", required_argument, NULL, 'p' },
		{ "clients", required_argument, NULL, 'c' },
		P2P_CLI_WHATIF_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct p2psim_matrix_opts mopts = { .format = P2PSIM_FORMAT_TEXT };
	struct p2psim_p2p_opts vopts = { .acs = P2PSIM_ACS_AS_IS };
	char **providers = NULL, **clients = NULL;
	p2psim_topology *topo = NULL;
	p2psim_p2p *view = NULL;
	struct p2psim_error err;
	int status = EXIT_OK, c, ret;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!cli_parse_format(optarg,
					      FORMAT_BIT(P2PSIM_FORMAT_TEXT) |
						      FORMAT_BIT(P2PSIM_FORMAT_JSON) |
						      FORMAT_BIT(P2PSIM_FORMAT_CSV),
					      &mopts.format)) {
				status =
					cli_usage_error(&cmd_matrix, "unknown format '%s'", optarg);
				goto out;
			}
			break;
		case 'p':
		case 'c': {
			char ***list = c == 'p' ? &providers : &clients;
			size_t *nr = c == 'p' ? &mopts.nr_providers : &mopts.nr_clients;

			p2p_cli_free_list(*list);
			*list = p2p_cli_split(optarg, nr);
			if (!*list) {
				status = EXIT_INTERNAL;
				goto out;
			}
			if (!*nr) {
				status = cli_usage_error(&cmd_matrix,
							 "--%s needs at least one device",
							 c == 'p' ? "providers" : "clients");
				goto out;
			}
			break;
		}
		case P2P_CLI_OPT_ACS:
		case P2P_CLI_OPT_CPU:
		case P2P_CLI_OPT_KERNEL:
		case P2P_CLI_OPT_SEED:
			status = p2p_cli_whatif(&cmd_matrix, c, optarg, &vopts);
			if (status)
				goto out;
			break;
		default:
			status = cli_usage_error(&cmd_matrix, "unknown or incomplete option '%s'",
						 argv[optind - 1]);
			goto out;
		}
	}
	if (argc - optind != 1) {
		status = cli_usage_error(&cmd_matrix, "expected exactly one TOPO");
		goto out;
	}
	view = p2p_cli_open(&cmd_matrix, argv[optind], &vopts, &topo, &status);
	if (!view)
		goto out;
	mopts.providers = (const char *const *)providers;
	mopts.clients = (const char *const *)clients;
	p2psim_error_clear(&err);
	ret = p2psim_p2p_matrix(view, &mopts, stdout, &err);
	if (ret != P2PSIM_OK)
		status = p2p_cli_fail(&cmd_matrix, &err, ret);
out:
	p2psim_p2p_free(view);
	if (topo)
		p2psim_topology_free(topo);
	p2p_cli_free_list(providers);
	p2p_cli_free_list(clients);
	return status;
}

const struct command cmd_matrix = {
	.name = "matrix",
	.summary = "can A DMA to B's memory peer-to-peer? the kernel's verdict for every pair",
	.usage = "p2psim matrix TOPO [--format text|json|csv] [--providers ID,...] "
		 "[--clients ID,...] [--acs MODE] [--cpu CPU] [--kernel NAME]",
	.help = "For every provider (a function whose BAR memory is the DMA target) and every\n"
		"client (a function that DMAs to it), print what Linux's P2PDMA code\n"
		"(drivers/pci/p2pdma.c, calc_map_type_and_dist) decides:\n"
		"  BUS_ADDR          the two share an upstream bridge and no ACS redirect is on\n"
		"                    the path: the client gets the PCI bus address of the BAR\n"
		"  THRU_HOST_BRIDGE  the traffic goes through the host bridge (no common bridge,\n"
		"                    or ACS redirect) and the CPU (AMD Zen) or the host-bridge\n"
		"                    allowlist allows it: a normal DMA mapping is used\n"
		"  NOT_SUPPORTED     it would need a host bridge the kernel does not allow:\n"
		"                    mapping fails with -EREMOTEIO\n"
		"with the distance the kernel computes and the path class nvidia-smi topo -m and\n"
		"NCCL would print (X, PIX, PXB, PHB, NODE, SYS). The text grid has providers as\n"
		"rows and clients as columns; JSON and CSV give one record per pair with the\n"
		"functions whose ACS redirect bits were counted. 'p2psim path' explains a cell.\n"
		"\n"
		"Options:\n"
		"  -f, --format text|json|csv   output format (default text)\n"
		"  --providers ID,...  providers (default: every function with a p2pmem=\"yes\"\n"
		"                  BAR); a named function counts even without such a BAR\n"
		"  --clients ID,...    clients (default: every endpoint, RCiEP and VF)\n" P2P_CLI_WHATIF_HELP
		"Devices are named by id (gpu0) or BDF (0000:03:00.0). See docs/p2p.md.\n"
		"\n"
		"Example:\n"
		"  p2psim matrix topologies/default.xml --acs iommu-default --format json\n",
	.run = matrix_run,
};
