// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_scenario_determinism.c - the same topology, scenario and seed give a
 * byte-identical trace and report (DESIGN.md §2 "Determinism"); the trace
 * is JSON Lines with the documented key order (docs/scenario.md §8).
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p2psim/p2psim.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Run @scn on @topo with a trace; return the status, the trace and the report. */
static int run_once(const char *topo_file, const char *scn, unsigned long long seed, char **trace,
		    size_t *trace_len, char **report, size_t *report_len)
{
	char trace_path[] = "/tmp/p2psim-det-trace-XXXXXX";
	char report_path[] = "/tmp/p2psim-det-report-XXXXXX";
	struct p2psim_run_opts opts = { .format = P2PSIM_FORMAT_TEXT,
					.seed_given = 1,
					.seed = seed };
	struct p2psim_error err;
	p2psim_topology *topo = NULL;
	int tfd = mkstemp(trace_path), rfd = mkstemp(report_path), ret;
	FILE *out;

	cr_assert(tfd >= 0 && rfd >= 0);
	close(tfd);
	out = fdopen(rfd, "w");
	cr_assert_not_null(out);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(topo_file, &topo, &err), P2PSIM_OK, "%s",
		     err.message);
	opts.trace_path = trace_path;
	ret = p2psim_run(topo, scn, &opts, out, NULL, &err);
	fclose(out);
	p2psim_topology_free(topo);
	*trace = slurp(trace_path, trace_len);
	*report = slurp(report_path, report_len);
	unlink(trace_path);
	unlink(report_path);
	return ret;
}

static void check_twice(const char *topo, const char *scn, int want)
{
	char *t1, *t2, *r1, *r2;
	size_t tl1, tl2, rl1, rl2;

	cr_assert_eq(run_once(topo, scn, 5, &t1, &tl1, &r1, &rl1), want, "%s", scn);
	cr_assert_eq(run_once(topo, scn, 5, &t2, &tl2, &r2, &rl2), want, "%s", scn);
	cr_expect_gt(tl1, 0);
	cr_expect_eq(tl1, tl2, "%s: trace sizes differ", scn);
	cr_expect(tl1 == tl2 && !memcmp(t1, t2, tl1), "%s: traces differ", scn);
	cr_expect(rl1 == rl2 && !memcmp(r1, r2, rl1), "%s: reports differ", scn);
	free(t1);
	free(t2);
	free(r1);
	free(r2);
}

#define TOPO_DEFAULT P2PSIM_SRCDIR "/topologies/default.xml"
#define SCN(name) P2PSIM_SRCDIR "/tests/scenarios/" name

Test(scenario_determinism, same_seed_same_trace)
{
	check_twice(TOPO_DEFAULT, SCN("clean-streaming.scn"), P2PSIM_OK);
	check_twice(TOPO_DEFAULT, SCN("uaf-lazy-exposure.scn"), P2PSIM_OK);
	check_twice(TOPO_DEFAULT, SCN("bounce-32bit.scn"), P2PSIM_OK);
	/* Violations and their trace tails too. */
	check_twice(TOPO_DEFAULT, SCN("leak-at-end.scn"), P2PSIM_ECHECK);
	check_twice(TOPO_DEFAULT, SCN("uaf-direct-violation.scn"), P2PSIM_ECHECK);
	check_twice(P2PSIM_SRCDIR "/tests/scenarios/topo/switch-acs.xml",
		    SCN("p2p-acs-rr-translated.scn"), P2PSIM_OK);
	/* Threads: the scheduler's interleaving is part of the determinism. */
	check_twice(TOPO_DEFAULT, SCN("threads-map-dma.scn"), P2PSIM_OK);
	check_twice(TOPO_DEFAULT, SCN("threads-race-replay.scn"), P2PSIM_OK);
}

Test(scenario_determinism, trace_is_json_lines_in_key_order)
{
	char *trace, *report, *line, *save = NULL;
	size_t tl, rl;
	unsigned long long seq = 0;
	bool saw_step = false, saw_map = false;

	cr_assert_eq(
		run_once(TOPO_DEFAULT, SCN("clean-streaming.scn"), 5, &trace, &tl, &report, &rl),
		P2PSIM_OK);
	for (line = strtok_r(trace, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *o = json_tokener_parse(line);
		const char *keys[4] = { 0 };
		int k = 0;

		cr_assert_not_null(o, "not JSON: %s", line);
		json_object_object_foreach(o, key, val)
		{
			(void)val;
			if (k < 4)
				keys[k++] = key;
		}
		/* seq, t, line, ev always first, in that order; seq counts from 1. */
		cr_expect_str_eq(keys[0], "seq");
		cr_expect_str_eq(keys[1], "t");
		cr_expect_str_eq(keys[2], "line");
		cr_expect_str_eq(keys[3], "ev");
		cr_expect_eq((unsigned long long)json_object_get_uint64(
				     json_object_object_get(o, "seq")),
			     ++seq);
		if (!strcmp(json_object_get_string(json_object_object_get(o, "ev")), "step"))
			saw_step = true;
		if (!strcmp(json_object_get_string(json_object_object_get(o, "ev")), "dma_map")) {
			/* line 12 of clean-streaming.scn maps t for nic0 to-device */
			if (!saw_map) {
				cr_expect_eq(json_object_get_int(json_object_object_get(o, "line")),
					     12);
				cr_expect_str_eq(
					json_object_get_string(json_object_object_get(o, "dev")),
					"nic0");
				cr_expect_str_eq(
					json_object_get_string(json_object_object_get(o, "dir")),
					"to-device");
			}
			saw_map = true;
		}
		json_object_put(o);
	}
	cr_expect(saw_step);
	cr_expect(saw_map);
	free(trace);
	free(report);
}

/* Two processes (different address-space layouts): still byte-identical. */
Test(scenario_determinism, across_processes)
{
	static const char *const scns[] = { "clean-streaming.scn", "leak-at-end.scn",
					    "dma-debug-overlapping-mapping.scn",
					    "threads-map-dma.scn" };
	char cmd[2048], path[2][256];

	for (size_t i = 0; i < sizeof(scns) / sizeof(scns[0]); i++) {
		char *trace[2];
		size_t len[2];

		for (int k = 0; k < 2; k++) {
			snprintf(path[k], sizeof(path[k]), "/tmp/p2psim-det-%d-%d.jsonl",
				 (int)getpid(), k);
			snprintf(cmd, sizeof(cmd),
				 "'%s' run '%s' '%s/tests/scenarios/%s' --seed 9 --trace '%s' "
				 ">/dev/null 2>&1",
				 P2PSIM_BIN, TOPO_DEFAULT, P2PSIM_SRCDIR, scns[i], path[k]);
			cr_assert_neq(system(cmd), -1);
			trace[k] = slurp(path[k], &len[k]);
			unlink(path[k]);
		}
		cr_expect_gt(len[0], 0, "%s", scns[i]);
		cr_expect(len[0] == len[1] && !memcmp(trace[0], trace[1], len[0]),
			  "%s: traces of two processes differ", scns[i]);
		free(trace[0]);
		free(trace[1]);
	}
}
