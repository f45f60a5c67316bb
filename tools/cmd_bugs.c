// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_bugs.c - `p2psim bugs`: the catalogue of historic upstream bugs that
 * `--inject ID` re-enables on `p2psim run` and `p2psim fuzz` (docs/fuzz.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "commands.h"

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static int print_json(void)
{
	struct json_object *arr = json_object_new_array();

	if (!arr)
		return EXIT_INTERNAL;
	for (size_t i = 0; i < p2psim_bug_count(); i++) {
		struct json_object *o = json_object_new_object();
		struct p2psim_bug b;

		if (p2psim_bug_get(i, &b) || !o)
			continue;
		json_object_object_add(o, "id", str_or_null(b.id));
		json_object_object_add(o, "summary", str_or_null(b.summary));
		json_object_object_add(o, "fix", str_or_null(b.fix));
		json_object_object_add(o, "area", str_or_null(b.area));
		json_object_object_add(o, "checker", str_or_null(b.checker));
		json_object_object_add(o, "injectable", json_object_new_boolean(b.injectable));
		if (!b.injectable) {
			json_object_object_add(o, "missing", str_or_null(b.why));
		} else {
			struct json_object *pr = json_object_new_object();

			json_object_object_add(pr, "topology", str_or_null(b.proof_topology));
			json_object_object_add(pr, "seed", json_object_new_int(0));
			json_object_object_add(pr, "runs", json_object_new_int((int)b.proof_runs));
			json_object_object_add(pr, "weights", str_or_null(b.proof_weights));
			json_object_object_add(o, "proof", pr);
		}
		json_object_array_add(arr, o);
	}
	printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	return EXIT_OK;
}

static int run_bugs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	enum p2psim_format format = P2PSIM_FORMAT_TEXT;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:", longopts, NULL)) != -1) {
		if (c == 'f' && cli_parse_format(optarg,
						 FORMAT_BIT(P2PSIM_FORMAT_TEXT) |
							 FORMAT_BIT(P2PSIM_FORMAT_JSON),
						 &format))
			continue;
		if (c == 'f')
			return cli_usage_error(&cmd_bugs, "bad --format '%s' (text or json)",
					       optarg);
		if (optopt == 'f')
			return cli_usage_error(&cmd_bugs, "option '%s' needs a value",
					       argv[optind - 1]);
		return cli_usage_error(&cmd_bugs, "unknown option '%s'", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error(&cmd_bugs, "unexpected argument '%s'", argv[optind]);
	if (format == P2PSIM_FORMAT_JSON)
		return print_json();
	printf("%-20s %-4s %-20s %-20s %s\n", "ID", "INJ", "AREA", "CAUGHT BY",
	       "WHAT / FIX REVERTED");
	for (size_t i = 0; i < p2psim_bug_count(); i++) {
		struct p2psim_bug b;

		if (p2psim_bug_get(i, &b))
			continue;
		printf("%-20s %-4s %-20s %-20s %s\n", b.id, b.injectable ? "yes" : "no", b.area,
		       b.checker, b.summary);
		printf("%-20s %-4s %-20s %-20s   fix: %s\n", "", "", "", "", b.fix);
		if (b.injectable)
			printf("%-20s %-4s %-20s %-20s   proof: p2psim fuzz topologies/%s --inject %s "
			       "--runs %u%s%s\n",
			       "", "", "", "", b.proof_topology, b.id, b.proof_runs,
			       b.proof_weights ? " --weights " : "",
			       b.proof_weights ? b.proof_weights : "");
	}
	printf("\n'yes': `p2psim run|fuzz --inject ID` re-enables it; 'no': listed, not "
	       "injectable yet\n(p2psim bugs --format json says what is missing).\n");
	return EXIT_OK;
}

const struct command cmd_bugs = {
	.name = "bugs",
	.summary =
		"the historic kernel bugs --inject can re-enable, and the checker that catches each",
	.usage = "p2psim bugs [--format text|json]",
	.help = "List the catalogue of historic upstream bugs (DESIGN.md §7): for each, the id\n"
		"that `--inject ID` takes on `p2psim run` and `p2psim fuzz`, whether it can be\n"
		"injected in this version, the kernel area, the checker expected to catch it,\n"
		"what went wrong and the upstream fix it reverts. A test proves that the fuzzer\n"
		"finds every injectable entry (docs/fuzz.md).\n"
		"\n"
		"Options:\n"
		"  --format text|json  the listing format (default text)\n"
		"\n"
		"Example:\n"
		"  p2psim bugs\n"
		"  p2psim fuzz topologies/default.xml --inject dma-direct-sg-break --runs 2000\n",
	.run = run_bugs,
};
