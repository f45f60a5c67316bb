// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cli_explore.c - `p2psim run` with threads: `--explore` finds the
 * failing interleaving and prints the `schedule` line that replays it,
 * `--schedule` and the scenario's own `schedule` line replay it, a clean
 * scenario explores completely, the budget stops the search, the JSON
 * report carries the same facts, bad options exit 2, and the output is the
 * same from one run to the next (docs/scenario.md, "Threads").
 */
#include "tools/cli_test_util.h"

#define TOPO P2PSIM_SRCDIR "/topologies/default.xml"
#define RACE P2PSIM_TESTDATA "/threads/unmap-race.scn"
#define CLEAN P2PSIM_SRCDIR "/tests/scenarios/threads-map-dma.scn"
#define DMABUF_TOPO P2PSIM_SRCDIR "/topologies/dmabuf.xml"
#define H3 P2PSIM_SRCDIR "/tests/scenarios/threads-h3-export-vs-mem-off.scn"
#define DEFER P2PSIM_SRCDIR "/tests/scenarios/threads-revoke-vs-deferred-unmap.scn"

static int run_status(const char *const *args)
{
	struct run_result r = run_p2psim(args);
	int status = r.status;

	run_free(&r);
	return status;
}

Test(cli_explore, finds_the_race_and_prints_a_replayable_schedule)
{
	const char *const explore[] = { "run", TOPO, RACE, "--explore", NULL };
	const char *const replay[] = { "run", TOPO, RACE, "--schedule", "serial 0:cpu", NULL };
	const char *const plain[] = { "run", TOPO, RACE, NULL };
	struct run_result r = run_p2psim(explore), p;
	const char *report;

	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "explore: violation in schedule 2 (preemption bound 2)"), "%s",
		  r.out);
	cr_expect(strstr(r.out, "\nschedule serial 0:cpu\n"), "%s", r.out);
	cr_expect(strstr(r.out, "choice 0: the threads start: cpu runs first"), "%s", r.out);
	report = strstr(r.out, "unmap-race.scn:6: expect failed");
	cr_expect(report, "%s", r.out);

	/* --schedule replays it: the same report */
	p = run_p2psim(replay);
	cr_expect_eq(p.status, 1);
	cr_expect(strstr(p.out, "unmap-race.scn:6: expect failed: dma read: byte 0 is 0xff"), "%s",
		  p.out);
	cr_expect(strstr(p.out, "result: FAIL"));
	run_free(&p);

	/* the default schedule (round-robin) lets the DMA win */
	p = run_p2psim(plain);
	cr_expect_eq(p.status, 0, "%s", p.out);
	run_free(&p);
	run_free(&r);
}

Test(cli_explore, the_schedule_line_in_the_file_replays_it)
{
	/* tests/scenarios/threads-race-replay.scn carries `schedule serial 0:cpu` */
	const char *const args[] = { "run", TOPO,
				     P2PSIM_SRCDIR "/tests/scenarios/threads-race-replay.scn",
				     NULL };
	struct run_result r = run_p2psim(args);

	cr_expect_eq(r.status, 0, "%s", r.out);
	cr_expect(strstr(r.out, "2 faults"), "%s", r.out);
	run_free(&r);
}

Test(cli_explore, a_clean_scenario_explores_completely)
{
	const char *const args[] = { "run", TOPO, CLEAN, "--explore", NULL };
	const char *const budget[] = { "run", TOPO, CLEAN, "--explore", "--budget", "2", NULL };
	const char *const none[] = { "run", TOPO, CLEAN, "--explore", "--preemptions", "0", NULL };
	struct run_result r = run_p2psim(args);

	cr_expect_eq(r.status, 0, "%s", r.out);
	cr_expect(strstr(r.out, "explore: 9 schedules, complete (every interleaving with at most "
				"2 preemptions): no violation"),
		  "%s", r.out);
	run_free(&r);
	r = run_p2psim(budget);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "explore: 2 schedules, budget exhausted (not complete)"), "%s",
		  r.out);
	run_free(&r);
	r = run_p2psim(none);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "complete (every interleaving with at most 0 preemptions)"), "%s",
		  r.out);
	run_free(&r);
}

Test(cli_explore, json_has_the_same_facts)
{
	const char *const args[] = { "run", TOPO, RACE, "--explore", "--format", "json", NULL };
	struct run_result r = run_p2psim(args);
	struct json_object *doc, *ex, *run, *choices;

	cr_assert_eq(r.status, 1, "%s", r.err);
	doc = json_tokener_parse(r.out);
	cr_assert_not_null(doc, "%s", r.out);
	cr_assert(json_object_object_get_ex(doc, "explore", &ex));
	cr_expect_eq(json_object_get_uint64(json_object_object_get(ex, "schedules")), 2);
	cr_expect(json_object_get_boolean(json_object_object_get(ex, "violation")));
	cr_expect_not(json_object_get_boolean(json_object_object_get(ex, "complete")));
	cr_expect_eq(json_object_get_int(json_object_object_get(ex, "preemption_bound")), 2);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(ex, "schedule")),
			 "serial 0:cpu");
	choices = json_object_object_get(ex, "choices");
	cr_assert_eq(json_object_array_length(choices), 1);
	cr_expect_str_eq(json_object_get_string(json_object_object_get(
				 json_object_array_get_idx(choices, 0), "runs")),
			 "cpu");
	cr_assert(json_object_object_get_ex(doc, "run", &run));
	cr_expect_str_eq(json_object_get_string(json_object_object_get(run, "result")), "fail");
	cr_expect_str_eq(json_object_get_string(json_object_object_get(doc, "result")), "fail");
	json_object_put(doc);
	run_free(&r);
}

Test(cli_explore, output_is_the_same_every_time)
{
	const char *const args[] = { "run", TOPO, RACE, "--explore", NULL };
	const char *const clean[] = { "run", TOPO, CLEAN, NULL };
	struct run_result a = run_p2psim(args), b = run_p2psim(args);

	cr_expect_str_eq(a.out, b.out);
	run_free(&a);
	run_free(&b);
	a = run_p2psim(clean);
	b = run_p2psim(clean);
	cr_expect_str_eq(a.out, b.out);
	run_free(&a);
	run_free(&b);
}

Test(cli_explore, bad_options_exit_2)
{
	const char *const both[] = { "run", TOPO, RACE, "--explore", "--schedule", "serial", NULL };
	const char *const zero[] = { "run", TOPO, RACE, "--explore", "--budget", "0", NULL };
	const char *const alone[] = { "run", TOPO, RACE, "--budget", "5", NULL };
	const char *const bound[] = { "run", TOPO, RACE, "--explore", "--preemptions", "x", NULL };
	const char *const spec[] = { "run", TOPO, RACE, "--schedule", "serial 3", NULL };
	const char *const who[] = { "run", TOPO, RACE, "--schedule", "0:nobody", NULL };
	struct run_result r;

	cr_expect_eq(run_status(both), 2);
	cr_expect_eq(run_status(zero), 2);
	cr_expect_eq(run_status(alone), 2);
	cr_expect_eq(run_status(bound), 2);
	r = run_p2psim(spec);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "--schedule: bad schedule choice '3'"), "%s", r.err);
	run_free(&r);
	r = run_p2psim(who);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "--schedule names thread 'nobody'"), "%s", r.err);
	run_free(&r);
}

Test(cli_explore, a_stale_schedule_fails_the_run)
{
	/* choice 0 exists, but `dev` cannot be the thread at choice 5: there is none */
	const char *const late[] = { "run", TOPO, RACE, "--schedule", "serial 5:dev", NULL };
	struct run_result r = run_p2psim(late);

	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.out, "schedule: choice point 5 never came (this run had 1)"), "%s",
		  r.out);
	run_free(&r);
}

/* --- issue #7's acceptance: an export racing memory decode off (bug H3) ----------- */

Test(cli_explore, h3_correct_model_has_no_failing_interleaving)
{
	const char *const args[] = { "run", DMABUF_TOPO, H3, "--explore", NULL };
	struct run_result r = run_p2psim(args);

	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "complete (every interleaving with at most 2 preemptions): no "
				"violation"),
		  "%s", r.out);
	run_free(&r);
}

Test(cli_explore, h3_injected_is_found_by_the_dmabuf_checker)
{
	const char *const args[] = { "run", DMABUF_TOPO, H3, "--explore", "--inject", "H3", NULL };
	struct run_result r = run_p2psim(args);

	cr_expect_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "violation [dmabuf/"), "%s", r.out);
	cr_expect(strstr(r.out, "\nschedule serial"), "%s", r.out);
	run_free(&r);
}

/* Without the dmabuf checker only the race shows it: --explore must find the interleaving. */
Test(cli_explore, h3_race_is_found_and_replays_from_the_file)
{
	const char *const args[] = { "run", DMABUF_TOPO, H3,	  "--explore", "--inject",
				     "H3",  "--check",	 "route", NULL };
	const char *const replay[] = { "run",	     DMABUF_TOPO,      H3,  "--inject", "H3",
				       "--schedule", "serial 2:admin", NULL };
	char path[] = "/tmp/p2psim-h3-replay-XXXXXX";
	const char *const from_file[] = { "run", DMABUF_TOPO, path, "--inject", "H3", NULL };
	struct run_result r = run_p2psim(args);
	FILE *in, *out;
	char line[512];
	int fd;

	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "explore: violation in schedule 4 (preemption bound 2)"), "%s",
		  r.out);
	cr_expect(strstr(r.out, "expect failed: dma-buf 'vb' is not revoked, expected revoked"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "\nschedule serial 2:admin\n"), "%s", r.out);
	cr_expect(strstr(r.out, "choice 2: line 11, thread exporter at memory_lock: admin runs"),
		  "%s", r.out);
	run_free(&r);

	/* --schedule replays it; with every checker on, the dmabuf checker names the rule */
	r = run_p2psim(replay);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.out, "violation [dmabuf/F8]"), "%s", r.out);
	cr_expect(strstr(r.out, "is not revoked, expected revoked"), "%s", r.out);
	run_free(&r);

	/* the schedule line pasted into the file replays it too */
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	out = fdopen(fd, "w");
	in = fopen(H3, "r");
	cr_assert(out && in);
	fputs("schedule serial 2:admin\n", out);
	while (fgets(line, sizeof(line), in))
		fputs(line, out);
	fclose(in);
	fclose(out);
	r = run_p2psim(from_file);
	cr_expect_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "is not revoked, expected revoked"), "%s", r.out);
	run_free(&r);
	unlink(path);
}

/* The revoke waits for an importer thread's deferred unmap: no hang in any interleaving. */
Test(cli_explore, revoke_waits_for_a_deferred_unmap_in_another_thread)
{
	const char *const args[] = { "run", DMABUF_TOPO, DEFER, "--explore", NULL };
	const char *const serial[] = { "run", DMABUF_TOPO, DEFER, "--schedule", "serial", NULL };
	struct run_result r = run_p2psim(args);

	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "complete"), "%s", r.out);
	run_free(&r);
	r = run_p2psim(serial);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "0 violations, 7/7 expects passed"), "%s", r.out);
	run_free(&r);
}

/* Bug H25 is a pure race: one run does not see it, the exploration does. */
Test(cli_explore, h25_mlx5_dereg_race_needs_the_interleaving)
{
#define H25 P2PSIM_SRCDIR "/tests/scenarios/threads-mlx5-dereg-vs-revoke.scn"
	const char *const plain[] = { "run", DMABUF_TOPO, H25, "--inject", "H25", NULL };
	const char *const explore[] = { "run",	    DMABUF_TOPO, H25, "--explore",
					"--inject", "H25",	 NULL };
	struct run_result r = run_p2psim(plain);

	cr_expect_eq(r.status, 0, "%s", r.out);
	run_free(&r);
	r = run_p2psim(explore);
	cr_expect_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "violation [dmabuf/uaf]"), "%s", r.out);
	cr_expect(strstr(r.out, "\nschedule serial 3:admin\n"), "%s", r.out);
	run_free(&r);
#undef H25
}
