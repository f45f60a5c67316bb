// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_fuzz.c - `p2psim fuzz TOPO`: generate adversarial mapping sequences,
 * run them with every checker on, and write a minimised reproducer for each
 * distinct violation (docs/fuzz.md).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

static volatile sig_atomic_t fuzz_stop;

static void on_sigint(int sig)
{
	(void)sig;
	if (fuzz_stop < 2)
		fuzz_stop++;
}

static int run_fuzz(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "steps", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "shard", required_argument, NULL, 'S' },
		{ "inject", required_argument, NULL, 'i' },
		{ "weights", required_argument, NULL, 'w' },
		{ "no-minimise", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	struct p2psim_fuzz_opts opts = { 0 };
	struct p2psim_fuzz_summary *sum;
	struct sigaction sa, old;
	struct p2psim_error err;
	p2psim_topology *topo;
	unsigned long long v;
	int status = EXIT_OK, c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:r:t:n:o:j:S:i:w:M", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!cli_parse_u64(optarg, &opts.seed))
				return cli_usage_error(&cmd_fuzz, "bad --seed '%s'", optarg);
			break;
		case 'r':
			if (!cli_parse_u64(optarg, &opts.runs) || !opts.runs)
				return cli_usage_error(&cmd_fuzz, "bad --runs '%s'", optarg);
			break;
		case 't': {
			char *end;

			opts.time_s = strtod(optarg, &end);
			if (*end || !(opts.time_s > 0) || opts.time_s > 1e7)
				return cli_usage_error(&cmd_fuzz, "bad --time '%s' (seconds)",
						       optarg);
			break;
		}
		case 'n':
			if (!cli_parse_u64(optarg, &v) || !v || v > 100000)
				return cli_usage_error(&cmd_fuzz, "bad --steps '%s' (1..100000)",
						       optarg);
			opts.steps = (unsigned int)v;
			break;
		case 'o':
			opts.out_dir = optarg;
			break;
		case 'j':
			if (!cli_parse_u64(optarg, &v) || !v || v > 256)
				return cli_usage_error(&cmd_fuzz, "bad --jobs '%s' (1..256)",
						       optarg);
			opts.jobs = (unsigned int)v;
			break;
		case 'S': {
			unsigned int i, n;
			int used = 0;

			if (sscanf(optarg, "%u/%u%n", &i, &n, &used) != 2 || optarg[used] || !n ||
			    i >= n || optarg[0] == '-')
				return cli_usage_error(&cmd_fuzz,
						       "bad --shard '%s' (I/N with 0 <= I < N)",
						       optarg);
			opts.shard = i;
			opts.nshards = n;
			break;
		}
		case 'i':
			if (opts.inject)
				return cli_usage_error(&cmd_fuzz, "--inject given twice");
			opts.inject = optarg;
			break;
		case 'w':
			opts.weights = optarg;
			break;
		case 'M':
			opts.no_minimise = 1;
			break;
		default:
			if (optopt && optopt != '?' && strchr("srtnojSiw", optopt))
				return cli_usage_error(&cmd_fuzz, "option '%s' needs a value",
						       argv[optind - 1]);
			return cli_usage_error(&cmd_fuzz, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(&cmd_fuzz, "expected TOPO");
	if (opts.runs && opts.time_s > 0)
		return cli_usage_error(&cmd_fuzz, "give --runs or --time, not both");
	if (!opts.runs && !(opts.time_s > 0))
		opts.time_s = 10;
	p2psim_error_clear(&err);
	if (opts.inject && p2psim_inject_check(opts.inject, &err) != P2PSIM_OK)
		return cli_usage_error(&cmd_fuzz, "%s", err.message);
	topo = cli_load_topology(argv[optind], &status);
	if (!topo)
		return status;
	sum = calloc(1, sizeof(*sum));
	if (!sum) {
		p2psim_topology_free(topo);
		return EXIT_INTERNAL;
	}
	opts.topo_path = argv[optind];
	opts.progress = isatty(STDERR_FILENO) ? stderr : NULL;
	opts.stop = &fuzz_stop;
	fuzz_stop = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	ret = p2psim_fuzz(topo, &opts, sum, &err);
	sigaction(SIGINT, &old, NULL);
	if (ret == P2PSIM_EINPUT) {
		free(sum);
		p2psim_topology_free(topo);
		return cli_usage_error(&cmd_fuzz, "%s", err.message);
	}
	if (ret == P2PSIM_EINTERNAL)
		fprintf(stderr, "p2psim fuzz: %s\n", err.message);
	if (ret != P2PSIM_EINTERNAL || sum->sequences) {
		if (opts.progress)
			for (unsigned int i = 0; i < sum->nr_crashes; i++)
				fprintf(stderr, "[fuzz] [%s/%s] %u steps: %s\n",
					sum->crashes[i].checker, sum->crashes[i].kind,
					sum->crashes[i].steps_minimised,
					sum->crashes[i].file[0] ? sum->crashes[i].file :
								  "(no --out)");
		p2psim_fuzz_summary_print_json(sum, &opts, stdout);
	}
	free(sum);
	p2psim_topology_free(topo);
	return cli_exit_status(ret);
}

const struct command cmd_fuzz = {
	.name = "fuzz",
	.summary = "generate adversarial mapping sequences; write a minimal scenario per violation",
	.usage =
		"p2psim fuzz TOPO [--seed N] [--runs N | --time SECONDS] [--steps N] [--out DIR]\n"
		"                   [--jobs N] [--shard I/N] [--inject BUG,...] [--weights K=W,...]\n"
		"                   [--no-minimise]",
	.help = "Generate sequences of driver actions on the machine TOPO (buffers, streaming\n"
		"maps and scatter-gather maps, syncs, device DMA, unmaps, time, releases, IOMMU\n"
		"modes), mixed with the mistakes real drivers make (double unmap, wrong size,\n"
		"direction or function, a bad sync, DMA after unmap, an unchecked map, release\n"
		"with live mappings). Each sequence runs with every checker on. A checker's\n"
		"report about a deliberate mistake is expected; any other violation is a\n"
		"finding: it is minimised (delta debugging over steps, then arguments) and\n"
		"written to DIR/crash-<hash>.scn, which `p2psim run` replays.\n"
		"\n"
		"Options:\n"
		"  --seed N          campaign seed (default 0): sequence k depends only on (N, k)\n"
		"  --runs N          run N sequences (of this shard)\n"
		"  --time SECONDS    run for this long instead (default 10 s)\n"
		"  --steps N         steps per sequence (default 48)\n"
		"  --out DIR         write reproducers here (created if missing)\n"
		"  --jobs N          N worker processes; results do not depend on N\n"
		"  --shard I/N       run only sequences k = I (mod N): N machines, no coordinator\n"
		"  --inject BUG,...  re-inject historic kernel bugs (`p2psim bugs`)\n"
		"  --weights K=W,... step-kind weights, e.g. map-sg=8,mistakes=0 (docs/fuzz.md)\n"
		"  --no-minimise     write reproducers as generated\n"
		"\n"
		"Progress goes to stderr when it is a terminal; the JSON summary to stdout.\n"
		"Ctrl-C stops early and still writes the reproducers and the summary.\n"
		"\n"
		"Exit status: 0 nothing found, 1 violations found, 2 bad usage, 3 internal error.\n"
		"\n"
		"Example:\n"
		"  p2psim fuzz topologies/default.xml --inject dma-direct-sg-break --runs 2000 --out crashes\n",
	.run = run_fuzz,
};
