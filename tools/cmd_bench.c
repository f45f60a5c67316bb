// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_bench.c - `p2psim bench`: performance figures of DESIGN.md §9.
 */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "p2psim/bench.h"

static int bench_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "filter", required_argument, NULL, 'F' },
		{ "format", required_argument, NULL, 'f' },
		{ "list", no_argument, NULL, 'l' },
		{ "compare-apis", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct p2psim_bench_opts bo = { .format = P2PSIM_FORMAT_TEXT };
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+qF:f:lc", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			bo.quick = 1;
			break;
		case 'F':
			bo.filter = optarg;
			break;
		case 'f':
			if (!cli_parse_format(optarg,
					      FORMAT_BIT(P2PSIM_FORMAT_TEXT) |
						      FORMAT_BIT(P2PSIM_FORMAT_JSON),
					      &bo.format))
				return cli_usage_error(&cmd_bench, "unknown format '%s'", optarg);
			break;
		case 'l':
			bo.list = 1;
			break;
		case 'c':
			bo.compare_apis = 1;
			break;
		default:
			return cli_usage_error(&cmd_bench, "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error(&cmd_bench, "unexpected argument '%s'", argv[optind]);
	ret = p2psim_bench(stdout, &bo);
	if (ret == P2PSIM_EINPUT)
		return cli_usage_error(&cmd_bench, "no benchmark matches '%s'", bo.filter);
	return ret == P2PSIM_OK ? EXIT_OK : EXIT_INTERNAL;
}

const struct command cmd_bench = {
	.name = "bench",
	.summary = "measure the performance figures of DESIGN.md §9",
	.usage = "p2psim bench [--quick] [--filter NAME] [--list] [--format text|json] [--compare-apis]",
	.help = "Run the benchmarks and print each figure next to a baseline measured in the\n"
		"same run and the project's target. Wall-clock figures depend on the machine;\n"
		"run on an idle machine, one core is what the targets assume.\n"
		"\n"
		"Options:\n"
		"  -q, --quick          small workloads: a smoke run (what `ctest -L bench` runs)\n"
		"  -F, --filter NAME    only the benchmarks whose name contains NAME\n"
		"  -l, --list           list the benchmarks and exit\n"
		"  -f, --format FMT     text (default) or json\n"
		"  -c, --compare-apis   the scatterlist vs two-step IOVA comparison table\n",
	.run = bench_run,
};
