// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cli_run.c - `p2psim run`: options, exit statuses, the JSON report,
 * and `p2psim demo`'s scenario section (docs/scenario.md).
 */
#include "tools/cli_test_util.h"

#define TOPO P2PSIM_SRCDIR "/topologies/default.xml"
#define SCN(name) P2PSIM_SRCDIR "/tests/scenarios/" name

static int run_status(const char *const *args)
{
	struct run_result r = run_p2psim(args);
	int status = r.status;

	run_free(&r);
	return status;
}

Test(cli_run, usage_errors_exit_2)
{
	const char *const none[] = { "run", NULL };
	const char *const one[] = { "run", TOPO, NULL };
	const char *const fmt[] = {
		"run", TOPO, SCN("clean-streaming.scn"), "--format", "csv", NULL
	};
	const char *const both[] = { "run",	TOPO,	 SCN("clean-streaming.scn"),
				     "--check", "route", "--no-check",
				     "p2p",	NULL };
	const char *const badseed[] = { "run",	  TOPO, SCN("clean-streaming.scn"),
					"--seed", "x1", NULL };
	const char *const badcheck[] = { "run",	    TOPO,   SCN("clean-streaming.scn"),
					 "--check", "nope", NULL };
	const char *const badtrace[] = {
		"run", TOPO, SCN("clean-streaming.scn"), "--trace", "/nonexistent-dir/t.jsonl", NULL
	};
	struct run_result r;

	cr_expect_eq(run_status(none), 2);
	cr_expect_eq(run_status(one), 2);
	cr_expect_eq(run_status(fmt), 2);
	cr_expect_eq(run_status(both), 2);
	cr_expect_eq(run_status(badseed), 2);
	r = run_p2psim(badcheck);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "unknown checker 'nope'"), "%s", r.err);
	cr_expect_str_eq(r.out, "");
	run_free(&r);
	r = run_p2psim(badtrace);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "cannot write trace"), "%s", r.err);
	run_free(&r);
}

Test(cli_run, checker_selection_changes_the_verdict)
{
	/* uaf-direct-violation.scn: only the route oracle sees the late write. */
	const char *const all[] = { "run", TOPO, SCN("uaf-direct-violation.scn"), NULL };
	const char *const no_route[] = { "run",	       TOPO,	SCN("uaf-direct-violation.scn"),
					 "--no-check", "route", NULL };
	const char *const only_dd[] = {
		"run", TOPO, SCN("uaf-direct-violation.scn"), "--check", "dma-debug,leaks", NULL
	};
	const char *const only_route[] = { "run",     TOPO,    SCN("uaf-direct-violation.scn"),
					   "--check", "route", NULL };

	cr_expect_eq(run_status(all), 1);
	cr_expect_eq(run_status(no_route), 0);
	cr_expect_eq(run_status(only_dd), 0);
	cr_expect_eq(run_status(only_route), 1);
}

Test(cli_run, json_report)
{
	const char *const args[] = { "run",	 TOPO,	 SCN("leak-at-end.scn"),
				     "--format", "json", "--seed",
				     "12",	 NULL };
	struct run_result r = run_p2psim(args);
	struct json_object *doc, *v, *sum;

	cr_assert_eq(r.status, 1, "%s", r.err);
	doc = json_tokener_parse(r.out);
	cr_assert_not_null(doc, "not JSON: %s", r.out);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(doc, "result")), "fail");
	cr_expect_str_eq(json_object_get_string(json_object_object_get(doc, "topology")),
			 "default");
	cr_expect_eq(json_object_get_int64(json_object_object_get(doc, "seed")), 12);
	v = json_object_object_get(doc, "violations");
	cr_assert(json_object_is_type(v, json_type_array));
	cr_assert_geq(json_object_array_length(v), 1);
	sum = json_object_object_get(doc, "summary");
	/* leak-at-end.scn: one map, one 4 KiB DMA read, no unmap. */
	cr_expect_eq(json_object_get_int64(json_object_object_get(sum, "maps")), 1);
	cr_expect_eq(json_object_get_int64(json_object_object_get(sum, "unmaps")), 0);
	cr_expect_eq(json_object_get_int64(json_object_object_get(sum, "dmas")), 1);
	cr_expect_eq(json_object_get_int64(json_object_object_get(sum, "dma_bytes")), 4096);
	cr_expect_geq(json_object_get_int64(json_object_object_get(sum, "violations")), 1);
	json_object_put(doc);
	run_free(&r);
}

Test(cli_run, quiet_prints_only_the_summary_when_clean)
{
	const char *const args[] = { "run", TOPO, SCN("clean-streaming.scn"), "--quiet", NULL };
	struct run_result r = run_p2psim(args);

	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(!strncmp(r.out, "summary: ", 9), "%s", r.out);
	cr_expect(strstr(r.out, "\nresult: PASS\n"), "%s", r.out);
	run_free(&r);
}

Test(cli_run, demo_runs_the_bundled_scenario)
{
	const char *const args[] = { "demo", NULL };
	struct run_result r = run_p2psim(args);

	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "demo.scn:51: violation [dma-debug/unmap-wrong-direction]"), "%s",
		  r.out);
	cr_expect(strstr(r.out, "That FAIL is the point"), "%s", r.out);
	run_free(&r);
}
