// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_run.c - `p2psim run TOPO SCENARIO`: execute a scenario with the
 * checkers on and print what went wrong and a summary (docs/scenario.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static int run_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "trace", required_argument, NULL, 't' },
		{ "check", required_argument, NULL, 'c' },
		{ "no-check", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "inject", required_argument, NULL, 'i' },
		{ "schedule", required_argument, NULL, 'S' },
		{ "explore", no_argument, NULL, 'x' },
		{ "budget", required_argument, NULL, 'b' },
		{ "preemptions", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct p2psim_run_opts opts = { .format = P2PSIM_FORMAT_TEXT };
	struct p2psim_error err;
	p2psim_topology *topo;
	int status = EXIT_OK, c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:t:c:n:f:qi:S:xb:p:", longopts, NULL)) != -1) {
		switch (c) {
		case 's': {
			unsigned long long seed;

			if (!cli_parse_u64(optarg, &seed))
				return cli_usage_error(&cmd_run, "bad --seed '%s'", optarg);
			opts.seed = seed;
			opts.seed_given = 1;
			break;
		}
		case 't':
			opts.trace_path = optarg;
			break;
		case 'c':
			if (opts.check_enable)
				return cli_usage_error(&cmd_run, "--check given twice");
			opts.check_enable = optarg;
			break;
		case 'n':
			if (opts.check_disable)
				return cli_usage_error(&cmd_run, "--no-check given twice");
			opts.check_disable = optarg;
			break;
		case 'f':
			if (!cli_parse_format(optarg,
					      FORMAT_BIT(P2PSIM_FORMAT_TEXT) |
						      FORMAT_BIT(P2PSIM_FORMAT_JSON),
					      &opts.format))
				return cli_usage_error(&cmd_run, "bad --format '%s' (text or json)",
						       optarg);
			break;
		case 'q':
			opts.quiet = 1;
			break;
		case 'i':
			if (opts.inject)
				return cli_usage_error(&cmd_run, "--inject given twice");
			opts.inject = optarg;
			break;
		case 'S':
			if (opts.schedule)
				return cli_usage_error(&cmd_run, "--schedule given twice");
			opts.schedule = optarg;
			break;
		case 'x':
			opts.explore = 1;
			break;
		case 'b': {
			unsigned long long budget;

			if (!cli_parse_u64(optarg, &budget) || !budget)
				return cli_usage_error(&cmd_run, "bad --budget '%s' (schedules, > 0)",
						       optarg);
			opts.explore_budget = budget;
			break;
		}
		case 'p': {
			unsigned long long bound;

			if (!cli_parse_u64(optarg, &bound) || bound > 64)
				return cli_usage_error(&cmd_run, "bad --preemptions '%s' (0..64)",
						       optarg);
			opts.explore_preemptions = (unsigned int)bound;
			opts.explore_preemptions_given = 1;
			break;
		}
		default:
			if (optopt && optopt != '?' && strchr("stcnfiSbp", optopt))
				return cli_usage_error(&cmd_run, "option '%s' needs a value",
						       argv[optind - 1]);
			return cli_usage_error(&cmd_run, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (opts.check_enable && opts.check_disable)
		return cli_usage_error(&cmd_run, "give --check or --no-check, not both");
	if (opts.explore && opts.schedule)
		return cli_usage_error(&cmd_run,
				       "--schedule replays one schedule, --explore tries them all");
	if (!opts.explore && (opts.explore_budget || opts.explore_preemptions_given))
		return cli_usage_error(&cmd_run, "--budget and --preemptions go with --explore");
	if (argc - optind != 2)
		return cli_usage_error(&cmd_run, "expected TOPO and SCENARIO");
	p2psim_error_clear(&err);
	if (opts.inject && p2psim_run_inject_check(opts.inject, &err) != P2PSIM_OK)
		return cli_usage_error(&cmd_run, "%s", err.message);
	topo = cli_load_topology(argv[optind], &status);
	if (!topo)
		return status;
	p2psim_error_clear(&err);
	ret = p2psim_run(topo, argv[optind + 1], &opts, stdout, NULL, &err);
	if (ret == P2PSIM_EINPUT || ret == P2PSIM_EINTERNAL) {
		fflush(stdout);
		if (err.line || err.file[0])
			p2psim_error_print(stderr, &err);
		else
			fprintf(stderr, "p2psim run: %s\n", err.message);
	}
	p2psim_topology_free(topo);
	return cli_exit_status(ret);
}

const struct command cmd_run = {
	.name = "run",
	.summary = "run a scenario with the checkers on: every stray DMA, leak and misuse, by line",
	.usage =
		"p2psim run TOPO SCENARIO [--seed N] [--trace FILE.jsonl]\n"
		"                  [--check NAME,...|--no-check NAME,...] [--format text|json] [--quiet]\n"
		"                  [--inject BUG,...] [--schedule SPEC]\n"
		"       p2psim run TOPO SCENARIO --explore [--budget N] [--preemptions N] [options]",
	.help = "Execute SCENARIO (docs/scenario.md) on the machine described by TOPO: allocate\n"
		"and fill buffers, map them for devices with the kernel's streaming DMA API\n"
		"(dma-direct, dma-iommu, swiotlb, P2P), let devices read and write through\n"
		"the modelled PCI fabric and IOMMU, and check every step:\n"
		"\n"
		"  dma-debug  the kernel's DMA-API debug checks (wrong size, direction,\n"
		"             function, sg count, unchecked map errors, bad syncs, leaks)\n"
		"  iotlb      translations used after a strict unmap; lazy exposure windows\n"
		"  leaks      IOVA, swiotlb slots, mappings left at device release\n"
		"  route      each DMA through a live mapping reaches exactly its bytes\n"
		"  p2p        a P2P map type that contradicts the hardware path\n"
		"  dmabuf     dma-buf / VFIO revoke rules (locking, attach policy, revoke,\n"
		"             lifecycle, sg shape), hangs, oopses, DMA into a revoked BAR\n"
		"\n"
		"Each violation and each failed `expect` is printed with FILE:LINE, the rule\n"
		"it breaks and the events that led to it; a summary follows.\n"
		"\n"
		"Options:\n"
		"  --seed N            seed of every random choice (overrides the scenario's `seed`)\n"
		"  --trace FILE        write every event as JSON Lines (byte-identical for the\n"
		"                      same inputs and seed)\n"
		"  --check LIST        run only these checkers (comma-separated)\n"
		"  --no-check LIST     run every checker but these\n"
		"  --format text|json  the report format (default text)\n"
		"  --quiet             text: print only failures and the summary line\n"
		"  --inject BUG,...    re-inject historic kernel bugs (`p2psim bugs` lists them)\n"
		"  --schedule SPEC     how the scenario's threads interleave, replacing its\n"
		"                      `schedule` line: [round-robin|serial] [N:THREAD ...]\n"
		"  --explore           run every interleaving of the threads (within the\n"
		"                      preemption bound and the budget); report the first\n"
		"                      that fails and the `schedule` line that replays it\n"
		"  --budget N          --explore: at most N schedules (default 2000)\n"
		"  --preemptions N     --explore: at most N preemptions per schedule (default 2)\n"
		"\n"
		"Exit status: 0 clean, 1 a violation or a failed `expect`, 2 bad input\n"
		"(FILE:LINE:COL: error: ...), 3 internal error.\n"
		"\n"
		"Example:\n"
		"  p2psim run topologies/default.xml topologies/demo.scn --trace demo.jsonl\n",
	.run = run_run,
};
