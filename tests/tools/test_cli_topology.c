// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cli_topology.c - `p2psim check` and `p2psim show` end to end: spawns
 * the built binary (P2PSIM_BIN) and checks exit statuses, messages and the
 * output of `show` against golden files in tests/golden/ (checked by hand
 * against the derivation in tests/sim/test_topology_load.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tools/cli_test_util.h"

#define FIXTURE P2PSIM_TESTDATA "/topo/enum-basic.xml"

/* The whole of @path, NUL-terminated. */
static char *slurp_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	char *s;

	cr_assert_geq(fd, 0, "cannot open %s", path);
	s = slurp_fd(fd);
	close(fd);
	return s;
}

Test(cli_topology, check_good_file)
{
	const char *const argv[] = { "check", FIXTURE, NULL };
	struct run_result r = run_p2psim(argv);

	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_str_eq(r.out, "ok: enum-basic (15 functions, 1 host bridges)\n");
	cr_expect_str_eq(r.err, "");
	run_free(&r);
}

Test(cli_topology, check_broken_file)
{
	const char *path = P2PSIM_TESTDATA "/malformed/two_links.xml";
	const char *const argv[] = { "check", FIXTURE, path, NULL };
	struct run_result r = run_p2psim(argv);
	char prefix[1024];

	snprintf(prefix, sizeof(prefix), "%s:7:7: error: port 'rp0' already has a link", path);
	cr_expect_eq(r.status, 2);
	/* the good file is still reported */
	cr_expect_str_eq(r.out, "ok: enum-basic (15 functions, 1 host bridges)\n");
	cr_expect_eq(strncmp(r.err, prefix, strlen(prefix)), 0, "stderr: %s", r.err);
	cr_expect_eq(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err), "one line: %s", r.err);
	run_free(&r);
}

Test(cli_topology, check_not_xml)
{
	const char *path = P2PSIM_TESTDATA "/malformed/not_xml.xml";
	const char *const argv[] = { "check", path, NULL };
	struct run_result r = run_p2psim(argv);
	char prefix[1024];

	snprintf(prefix, sizeof(prefix), "%s:3:1: error: ", path);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.out, "");
	cr_expect_eq(strncmp(r.err, prefix, strlen(prefix)), 0, "stderr: %s", r.err);
	run_free(&r);
}

Test(cli_topology, check_missing_file_and_no_file)
{
	const char *const argv[] = { "check", "/nonexistent/t.xml", NULL };
	const char *const none[] = { "check", NULL };
	struct run_result r = run_p2psim(argv);

	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "/nonexistent/t.xml: error: cannot open"), "%s", r.err);
	run_free(&r);
	r = run_p2psim(none);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "usage: p2psim check"), "%s", r.err);
	run_free(&r);
}

static void expect_golden(const char *const *argv, const char *golden)
{
	struct run_result r = run_p2psim(argv);
	char path[1024];
	char *want;

	snprintf(path, sizeof(path), "%s/tests/golden/%s", P2PSIM_SRCDIR, golden);
	want = slurp_file(path);
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_str_eq(r.out, want, "output differs from %s", path);
	free(want);
	run_free(&r);
}

Test(cli_topology, show_text_golden)
{
	const char *const argv[] = { "show", FIXTURE, NULL };

	expect_golden(argv, "show-enum-basic.txt");
}

Test(cli_topology, show_json_golden)
{
	const char *const argv[] = { "show", "--format", "json", FIXTURE, NULL };
	const char *const short_opt[] = { "show", "-f", "json", FIXTURE, NULL };

	expect_golden(argv, "show-enum-basic.json");
	expect_golden(short_opt, "show-enum-basic.json");
}

Test(cli_topology, show_bad_usage)
{
	const char *const unknown[] = { "show", "--colour", FIXTURE, NULL };
	const char *const format[] = { "show", "--format", "dot", FIXTURE, NULL };
	const char *const two[] = { "show", FIXTURE, FIXTURE, NULL };
	const char *const *cases[] = { unknown, format, two };

	for (size_t i = 0; i < 3; i++) {
		struct run_result r = run_p2psim(cases[i]);

		cr_expect_eq(r.status, 2, "case %zu", i);
		cr_expect_str_eq(r.out, "", "case %zu", i);
		cr_expect(strstr(r.err, "p2psim show: "), "case %zu: %s", i, r.err);
		cr_expect(strstr(r.err, "usage: p2psim show"), "case %zu: %s", i, r.err);
		run_free(&r);
	}
}

Test(cli_topology, show_broken_file)
{
	const char *path = P2PSIM_TESTDATA "/malformed/duplicate_id.xml";
	const char *const argv[] = { "show", path, NULL };
	struct run_result r = run_p2psim(argv);
	char prefix[1024];

	snprintf(prefix, sizeof(prefix), "%s:9:7: error: duplicate id 'gpu0'", path);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.out, "");
	cr_expect_eq(strncmp(r.err, prefix, strlen(prefix)), 0, "stderr: %s", r.err);
	run_free(&r);
}

Test(cli_topology, help_and_version)
{
	const char *const help[] = { "--help", NULL };
	const char *const help_show[] = { "help", "show", NULL };
	const char *const help_check[] = { "help", "check", NULL };
	const char *const version[] = { "--version", NULL };
	struct run_result r;

	r = run_p2psim(help);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "show"), "%s", r.out);
	cr_expect(strstr(r.out, "check"), "%s", r.out);
	run_free(&r);
	r = run_p2psim(help_show);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "usage: p2psim show TOPO"), "%s", r.out);
	cr_expect(strstr(r.out, "--format"), "%s", r.out);
	run_free(&r);
	r = run_p2psim(help_check);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "usage: p2psim check TOPO"), "%s", r.out);
	run_free(&r);
	r = run_p2psim(version);
	cr_expect_eq(r.status, 0);
	cr_expect_eq(strncmp(r.out, "p2psim ", 7), 0, "%s", r.out);
	run_free(&r);
}

/*
 * Regression: an ACS Control of 0 printed as "acs 000000" ("%#06x" drops the
 * 0x prefix for zero). It must read like every other value: "acs 0x0000 (-)".
 */
Test(cli_topology, show_zero_acs_ctrl_keeps_hex_prefix)
{
	const char *const argv[] = { "show", P2PSIM_SRCDIR "/topologies/default.xml",
				     NULL };
	struct run_result r = run_p2psim(argv);

	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	/* plx0_dsp8 has acs-ctrl="0x0000" in default.xml */
	cr_expect_not_null(strstr(r.out, "plx0_dsp8   downstream  10b5:8747  class 060400  acs 0x0000 (-)"),
			   "%s", r.out);
	cr_expect_null(strstr(r.out, "acs 000000"), "%s", r.out);
	run_free(&r);
}
