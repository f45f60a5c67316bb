// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cli_fuzz.c - `p2psim fuzz`, `p2psim bugs` and `run --inject`: option
 * errors exit 2, the JSON summary, reproducers that `p2psim run` replays,
 * and Ctrl-C still writing the summary and the reproducers (docs/fuzz.md).
 */
#include <dirent.h>
#include <signal.h>

#include "tools/cli_test_util.h"

#define TOPO P2PSIM_SRCDIR "/topologies/default.xml"

static int status_of(const char *const *args)
{
	struct run_result r = run_p2psim(args);
	int status = r.status;

	cr_expect(r.status != 2 || strstr(r.err, "usage:"), "%s", r.err);
	run_free(&r);
	return status;
}

Test(cli_fuzz, bad_options_exit_2)
{
	const char *const cases[][8] = {
		{ "fuzz", NULL },
		{ "fuzz", TOPO, "--runs", "0", NULL },
		{ "fuzz", TOPO, "--runs", "-3", NULL },
		{ "fuzz", TOPO, "--time", "soon", NULL },
		{ "fuzz", TOPO, "--runs", "5", "--time", "3", NULL },
		{ "fuzz", TOPO, "--shard", "2/2", NULL },
		{ "fuzz", TOPO, "--shard", "1", NULL },
		{ "fuzz", TOPO, "--jobs", "0", NULL },
		{ "fuzz", TOPO, "--steps", "x", NULL },
		{ "fuzz", TOPO, "--inject", "nope", NULL },
		{ "fuzz", TOPO, "--inject", "H25,", NULL },
		{ "fuzz", TOPO, "--weights", "map=", NULL },
		{ "fuzz", TOPO, "--weights", "teleport=3", "--runs", "1", NULL },
		{ "fuzz", TOPO, "--bogus", NULL },
		{ "fuzz", TOPO, "--seed", NULL },
		/* regression: an overflowing seed was taken as ULLONG_MAX (cli_parse_u64) */
		{ "fuzz", TOPO, "--seed", "99999999999999999999999", NULL },
		{ "run", TOPO, P2PSIM_SRCDIR "/tests/scenarios/clean-streaming.scn", "--seed",
		  "99999999999999999999999", NULL },
		{ "run", TOPO, P2PSIM_SRCDIR "/tests/scenarios/clean-streaming.scn", "--seed", "+3",
		  NULL },
		{ "bugs", "--format", "csv", NULL },
		{ "bugs", "extra", NULL },
		{ "run", TOPO, P2PSIM_SRCDIR "/tests/scenarios/clean-streaming.scn", "--inject",
		  "nope", NULL },
	};
	struct run_result r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(status_of(cases[i]), 2, "case %zu (%s %s %s)", i, cases[i][0],
			     cases[i][2] ? cases[i][2] : "", cases[i][3] ? cases[i][3] : "");
	r = run_p2psim((const char *const[]){ "fuzz", "/nonexistent.xml", "--runs", "1", NULL });
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "/nonexistent.xml: error:"), "%s", r.err);
	run_free(&r);
}

Test(cli_fuzz, bugs_json_lists_the_catalogue)
{
	const char *const args[] = { "bugs", "--format", "json", NULL };
	struct run_result r = run_p2psim(args);
	struct json_object *doc, *e, *v;
	bool dd = false, hl = false;

	cr_assert_eq(r.status, 0, "%s", r.err);
	doc = json_tokener_parse(r.out);
	cr_assert(doc && json_object_is_type(doc, json_type_array), "%s", r.out);
	cr_expect_geq(json_object_array_length(doc), 27);
	for (size_t i = 0; i < json_object_array_length(doc); i++) {
		const char *id;

		e = json_object_array_get_idx(doc, i);
		cr_assert(json_object_object_get_ex(e, "id", &v));
		id = json_object_get_string(v);
		cr_assert(json_object_object_get_ex(e, "injectable", &v));
		if (!strcmp(id, "dma-direct-sg-break") || !strcmp(id, "iommu-sg-head-len")) {
			cr_expect(json_object_get_boolean(v), "%s", id);
			dd |= id[0] == 'd';
			hl |= id[0] == 'i';
		}
		/* every entry is injectable, with its proof campaign */
		cr_expect(json_object_get_boolean(v), "%s", id);
		cr_expect(json_object_object_get_ex(e, "proof", &v) &&
				  json_object_object_get_ex(v, "topology", &v),
			  "%s", id);
	}
	cr_expect(dd && hl);
	json_object_put(doc);
	run_free(&r);
	r = run_p2psim((const char *const[]){ "bugs", NULL });
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "dma-direct-sg-break  yes"), "%s", r.out);
	run_free(&r);
}

/* How many crash-*.scn are in @dir (the path of the last one into @buf). */
static int crash_files(const char *dir, char *buf, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	cr_assert(d);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "crash-", 6)) {
			snprintf(buf, size, "%s/%s", dir, de->d_name);
			n++;
		}
	closedir(d);
	return n;
}

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512];

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
}

Test(cli_fuzz, finds_an_injected_bug_and_the_reproducer_replays)
{
	char dir[] = "/tmp/p2psim-cli-fuzz-XXXXXX", file[512];
	struct json_object *doc, *v, *c;
	struct run_result r;

	cr_assert(mkdtemp(dir));
	r = run_p2psim((const char *const[]){ "fuzz", TOPO, "--runs", "300", "--inject",
					      "dma-direct-sg-break", "--out", dir, "--jobs", "2",
					      NULL });
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_expect_str_eq(r.err, ""); /* not a terminal: no progress */
	doc = json_tokener_parse(r.out);
	cr_assert(doc, "%s", r.out);
	cr_expect(json_object_object_get_ex(doc, "sequences", &v) && json_object_get_int(v) == 300);
	cr_expect(json_object_object_get_ex(doc, "result", &v) &&
		  !strcmp(json_object_get_string(v), "violations"));
	cr_assert(json_object_object_get_ex(doc, "violations", &v) &&
		  json_object_array_length(v) == 1);
	c = json_object_array_get_idx(v, 0);
	cr_expect(json_object_object_get_ex(c, "checker", &v) &&
		  !strcmp(json_object_get_string(v), "route"));
	json_object_put(doc);
	run_free(&r);

	cr_assert_eq(crash_files(dir, file, sizeof(file)), 1);
	r = run_p2psim((const char *const[]){ "run", TOPO, file, "--inject", "dma-direct-sg-break",
					      NULL });
	cr_expect_eq(r.status, 1, "%s", r.out);
	cr_expect(strstr(r.out, "violation [route/misdirected]"), "%s", r.out);
	run_free(&r);
	r = run_p2psim((const char *const[]){ "run", TOPO, file, NULL });
	cr_expect_eq(r.status, 0, "%s", r.out);
	run_free(&r);
	rm_dir(dir);

	/* the fixed model: the same budget is clean */
	r = run_p2psim((const char *const[]){ "fuzz", TOPO, "--runs", "300", NULL });
	cr_expect_eq(r.status, 0, "%s", r.out);
	cr_expect(strstr(r.out, "\"result\":\"clean\""), "%s", r.out);
	run_free(&r);
}

Test(cli_fuzz, sigint_still_writes_summary_and_reproducers)
{
	char dir[] = "/tmp/p2psim-cli-int-XXXXXX", out_name[] = "/tmp/p2psim-int-out-XXXXXX";
	char file[512], *out;
	int fd = mkstemp(out_name), wstatus;
	struct json_object *doc, *v;
	pid_t pid;

	cr_assert(fd >= 0 && mkdtemp(dir));
	unlink(out_name);
	pid = fork();
	cr_assert(pid >= 0);
	if (!pid) {
		dup2(fd, 1);
		execl(P2PSIM_BIN, P2PSIM_BIN, "fuzz", TOPO, "--time", "120", "--inject",
		      "iommu-sg-head-len", "--out", dir, (char *)NULL);
		_exit(127);
	}
	sleep(2); /* let it start; what follows does not depend on how far it got */
	kill(pid, SIGINT);
	cr_assert_eq(waitpid(pid, &wstatus, 0), pid);
	cr_assert(WIFEXITED(wstatus));
	out = slurp_fd(fd);
	close(fd);
	doc = json_tokener_parse(out);
	cr_assert(doc, "%s", out);
	cr_expect(json_object_object_get_ex(doc, "interrupted", &v) && json_object_get_boolean(v));
	cr_expect(json_object_object_get_ex(doc, "sequences", &v) && json_object_get_int64(v) > 0);
	/* the bug is found by sequence 13 (test_fuzz_inject): at least its reproducer exists */
	cr_expect_eq(WEXITSTATUS(wstatus), 1);
	cr_expect_geq(crash_files(dir, file, sizeof(file)), 1);
	json_object_put(doc);
	free(out);
	rm_dir(dir);
}
