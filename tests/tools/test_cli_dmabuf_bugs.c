// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cli_dmabuf_bugs.c - the historic-bug scenarios tests/scenarios/dmabuf-hN-*.scn
 * (one per bug H1-H25 a sequential scenario reaches; docs/checkers.md §2.6) without
 * their injection: each runs as the scenario corpus runs it with `# args: --inject ID`
 * and claims the dmabuf violations with `expect violation dmabuf KIND`; here the same
 * steps run on the correct model, with the `expect violation` lines dropped and each
 * line carrying a `# clean: LINE` comment replaced by LINE (an outcome that differs
 * without the bug), and must be clean. Also: the kind the catalogue row of each bug
 * names (src/bugs.c, "dmabuf KIND") is one its scenarios expect.
 */
#include <glob.h>

#include "src/bugs.h"
#include "tools/cli_test_util.h"

#define SCN_DIR P2PSIM_SRCDIR "/tests/scenarios"

struct bug_kinds {
	enum bug_id id;
	char kinds[256]; /* " K1 K2 ... " expected across its scenarios */
};

static char *read_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	char *text;

	cr_assert_geq(fd, 0, "%s", path);
	text = slurp_fd(fd);
	close(fd);
	return text;
}

/* The value of header line "# NAME: VALUE" (first word), or "" */
static void header(const char *text, const char *name, char *out, size_t size)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "# %s:", name);
	out[0] = '\0';
	p = strstr(text, key);
	if (p)
		sscanf(p + strlen(key), " %63s", out);
	(void)size;
}

/* Write the clean variant of @text to @path; collect the dmabuf kinds it expects. */
static void write_clean(const char *text, const char *path, char *kinds, size_t kinds_size)
{
	FILE *out = fopen(path, "w");
	const char *line = text;

	cr_assert_not_null(out);
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[512];
		const char *clean;

		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		clean = strstr(buf, "# clean: ");
		if (!strncmp(buf, "expect violation dmabuf ", 24)) {
			char kind[32];

			if (sscanf(buf + 24, "%31s", kind) == 1 &&
			    strlen(kinds) + strlen(kind) + 2 < kinds_size) {
				strcat(kinds, kind);
				strcat(kinds, " ");
			}
		} else if (!strncmp(buf, "expect violation", 16)) {
			/* another checker's: dropped as well */
		} else if (clean) {
			fprintf(out, "%s\n", clean + 9);
		} else {
			fprintf(out, "%s\n", buf);
		}
		line = end ? end + 1 : line + len;
	}
	fclose(out);
}

Test(dmabuf_bugs, scenarios_without_the_injection_are_clean)
{
	struct bug_kinds seen[BUG__COUNT];
	size_t nr_seen = 0;
	glob_t g;

	memset(seen, 0, sizeof(seen));
	cr_assert_eq(glob(SCN_DIR "/dmabuf-h[0-9]*.scn", 0, NULL, &g), 0);
	cr_assert_geq(g.gl_pathc, 20);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *text = read_file(g.gl_pathv[i]);
		char topo_name[64], topo[512], inject[64], tmp[128], kinds[256] = " ";
		struct run_result r;
		enum bug_id id;
		size_t k;

		header(text, "topology", topo_name, sizeof(topo_name));
		snprintf(topo, sizeof(topo), "%s/topologies/%s", P2PSIM_SRCDIR, topo_name);
		cr_assert(strstr(text, "# args: --inject "), "%s: no --inject", g.gl_pathv[i]);
		sscanf(strstr(text, "# args: --inject ") + 17, "%63s", inject);
		id = bug_find(inject);
		cr_assert_neq(id, BUG_NONE, "%s: unknown bug %s", g.gl_pathv[i], inject);

		snprintf(tmp, sizeof(tmp), "/tmp/p2psim-dmabuf-clean-%d-%zu.scn", (int)getpid(), i);
		write_clean(text, tmp, kinds, sizeof(kinds));
		cr_assert_neq(kinds[1], '\0', "%s expects no dmabuf violation", g.gl_pathv[i]);
		r = run_p2psim((const char *const[]){ "run", topo, tmp, NULL });
		cr_expect_eq(r.status, 0, "%s without --inject %s: exit %d\n%s%s", g.gl_pathv[i],
			     inject, r.status, r.out, r.err);
		cr_expect_null(strstr(r.out, "violation ["), "%s without the bug:\n%s",
			       g.gl_pathv[i], r.out);
		run_free(&r);
		unlink(tmp);
		free(text);

		for (k = 0; k < nr_seen && seen[k].id != id; k++)
			;
		if (k == nr_seen)
			seen[nr_seen++].id = id;
		if (strlen(seen[k].kinds) + strlen(kinds) < sizeof(seen[k].kinds))
			strcat(seen[k].kinds, kinds); /* " A B  C D " */
	}
	globfree(&g);

	/* the catalogue row names a kind the bug's scenarios see */
	for (size_t k = 0; k < nr_seen; k++) {
		const char *row = bug_info(seen[k].id)->checker;
		char want[40];

		cr_assert_eq(strncmp(row, "dmabuf ", 7), 0, "%s: %s", bug_info(seen[k].id)->name,
			     row);
		snprintf(want, sizeof(want), " %s ", row + 7);
		cr_expect_not_null(strstr(seen[k].kinds, want),
				   "%s row says '%s', scenarios expect%s",
				   bug_info(seen[k].id)->name, row, seen[k].kinds);
	}
}

/* --check / --no-check dmabuf, the report and the unknown-name message */
Test(dmabuf_bugs, check_and_no_check_dmabuf)
{
	const char *topo = P2PSIM_SRCDIR "/topologies/dmabuf.xml";
	char *text = read_file(SCN_DIR "/dmabuf-h2-flr-restore-revokes.scn");
	char tmp[128], kinds[256] = " ";
	struct run_result r;

	/* the scenario without its claims: the violation fails the run */
	snprintf(tmp, sizeof(tmp), "/tmp/p2psim-dmabuf-check-%d.scn", (int)getpid());
	write_clean(text, tmp, kinds, sizeof(kinds));
	free(text);
	r = run_p2psim((const char *const[]){ "run", topo, tmp, "--inject", "H2", "--check",
					      "dmabuf", NULL });
	cr_expect_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_expect_not_null(strstr(r.out, "violation [dmabuf/liveness]"), "%s", r.out);
	cr_expect_not_null(strstr(r.out, "reference §5 H2"), "%s", r.out);
	run_free(&r);
	r = run_p2psim((const char *const[]){ "run", topo, tmp, "--inject", "H2", "--no-check",
					      "dmabuf", NULL });
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	run_free(&r);
	r = run_p2psim((const char *const[]){ "run", topo, tmp, "--check", "dmabuf,nope", NULL });
	cr_expect_eq(r.status, 2);
	cr_expect_not_null(strstr(r.err, "dmabuf"), "%s", r.err);
	run_free(&r);
	unlink(tmp);
}
