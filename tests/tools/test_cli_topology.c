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

#define FIXTURE P2PSIM_TESTDATA "/topo/enum-basic.xml"

struct run_result {
	int status; /* exit status, or -1 */
	char *out;
	char *err;
};

static char *slurp_fd(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1);
	ssize_t got;

	cr_assert_not_null(buf);
	lseek(fd, 0, SEEK_SET);
	while ((got = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)got;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			cr_assert_not_null(buf);
		}
	}
	buf[len] = '\0';
	return buf;
}

static char *slurp_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	char *s;

	cr_assert_geq(fd, 0, "cannot open %s", path);
	s = slurp_fd(fd);
	close(fd);
	return s;
}

/* Run p2psim with @argv (NULL-terminated, argv[0] ignored), capturing stdout and stderr. */
static struct run_result run(const char *const *argv)
{
	char out_path[] = "/tmp/p2psim-cli-out-XXXXXX", err_path[] = "/tmp/p2psim-cli-err-XXXXXX";
	int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path), wstatus;
	struct run_result r = { -1, NULL, NULL };
	pid_t pid;

	cr_assert(out_fd >= 0 && err_fd >= 0);
	unlink(out_path);
	unlink(err_path);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(out_fd, 1);
		dup2(err_fd, 2);
		setenv("P2PSIM_DATA_DIR", P2PSIM_SRCDIR "/topologies", 1);
		execv(P2PSIM_BIN, (char *const *)argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &wstatus, 0), pid);
	if (WIFEXITED(wstatus))
		r.status = WEXITSTATUS(wstatus);
	r.out = slurp_fd(out_fd);
	r.err = slurp_fd(err_fd);
	close(out_fd);
	close(err_fd);
	return r;
}

static void run_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
}

Test(cli_topology, check_good_file)
{
	const char *const argv[] = { "p2psim", "check", FIXTURE, NULL };
	struct run_result r = run(argv);

	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_str_eq(r.out, "ok: enum-basic (15 functions, 1 host bridges)\n");
	cr_expect_str_eq(r.err, "");
	run_free(&r);
}

Test(cli_topology, check_broken_file)
{
	const char *path = P2PSIM_TESTDATA "/malformed/two_links.xml";
	const char *const argv[] = { "p2psim", "check", FIXTURE, path, NULL };
	struct run_result r = run(argv);
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
	const char *const argv[] = { "p2psim", "check", path, NULL };
	struct run_result r = run(argv);
	char prefix[1024];

	snprintf(prefix, sizeof(prefix), "%s:3:1: error: ", path);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.out, "");
	cr_expect_eq(strncmp(r.err, prefix, strlen(prefix)), 0, "stderr: %s", r.err);
	run_free(&r);
}

Test(cli_topology, check_missing_file_and_no_file)
{
	const char *const argv[] = { "p2psim", "check", "/nonexistent/t.xml", NULL };
	const char *const none[] = { "p2psim", "check", NULL };
	struct run_result r = run(argv);

	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "/nonexistent/t.xml: error: cannot open"), "%s", r.err);
	run_free(&r);
	r = run(none);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "usage: p2psim check"), "%s", r.err);
	run_free(&r);
}

static void expect_golden(const char *const *argv, const char *golden)
{
	struct run_result r = run(argv);
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
	const char *const argv[] = { "p2psim", "show", FIXTURE, NULL };

	expect_golden(argv, "show-enum-basic.txt");
}

Test(cli_topology, show_json_golden)
{
	const char *const argv[] = { "p2psim", "show", "--format", "json", FIXTURE, NULL };
	const char *const short_opt[] = { "p2psim", "show", "-f", "json", FIXTURE, NULL };

	expect_golden(argv, "show-enum-basic.json");
	expect_golden(short_opt, "show-enum-basic.json");
}

Test(cli_topology, show_bad_usage)
{
	const char *const unknown[] = { "p2psim", "show", "--colour", FIXTURE, NULL };
	const char *const format[] = { "p2psim", "show", "--format", "dot", FIXTURE, NULL };
	const char *const two[] = { "p2psim", "show", FIXTURE, FIXTURE, NULL };
	const char *const *cases[] = { unknown, format, two };

	for (size_t i = 0; i < 3; i++) {
		struct run_result r = run(cases[i]);

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
	const char *const argv[] = { "p2psim", "show", path, NULL };
	struct run_result r = run(argv);
	char prefix[1024];

	snprintf(prefix, sizeof(prefix), "%s:9:7: error: duplicate id 'gpu0'", path);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.out, "");
	cr_expect_eq(strncmp(r.err, prefix, strlen(prefix)), 0, "stderr: %s", r.err);
	run_free(&r);
}

Test(cli_topology, help_and_version)
{
	const char *const help[] = { "p2psim", "--help", NULL };
	const char *const help_show[] = { "p2psim", "help", "show", NULL };
	const char *const help_check[] = { "p2psim", "help", "check", NULL };
	const char *const version[] = { "p2psim", "--version", NULL };
	struct run_result r;

	r = run(help);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "show"), "%s", r.out);
	cr_expect(strstr(r.out, "check"), "%s", r.out);
	run_free(&r);
	r = run(help_show);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "usage: p2psim show TOPO"), "%s", r.out);
	cr_expect(strstr(r.out, "--format"), "%s", r.out);
	run_free(&r);
	r = run(help_check);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "usage: p2psim check TOPO"), "%s", r.out);
	run_free(&r);
	r = run(version);
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
	const char *const argv[] = { "p2psim", "show", P2PSIM_SRCDIR "/topologies/default.xml",
				     NULL };
	struct run_result r = run(argv);

	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	/* plx0_dsp8 has acs-ctrl="0x0000" in default.xml */
	cr_expect_not_null(strstr(r.out, "plx0_dsp8   downstream  10b5:8747  class 060400  acs 0x0000 (-)"),
			   "%s", r.out);
	cr_expect_null(strstr(r.out, "acs 000000"), "%s", r.out);
	run_free(&r);
}
