/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli_test_util.h - helpers shared by the CLI tests (tests/tools/test_*.c):
 * run the p2psim binary and capture its exit status and output; for the
 * `p2psim import` tests also import a fixture, look at the written XML with
 * XPath, and read the verdict of one pair from `p2psim matrix --format json`.
 *
 * Header-only (static functions) so that it does not join tests/helpers/,
 * which every suite links.
 */
#ifndef P2PSIM_TESTS_CLI_TEST_UTIL_H
#define P2PSIM_TESTS_CLI_TEST_UTIL_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p2psim/p2psim.h"

#define IMPORT_DATA P2PSIM_TESTDATA "/import"

struct run_result {
	int status; /* exit status, or -1 if it did not exit normally */
	char *out;
	char *err;
};

static inline char *slurp_fd(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	cr_assert_not_null(buf);
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
	}
	buf[len] = '\0';
	return buf;
}

/* Run P2PSIM_BIN with the NULL-terminated @args (without argv[0]). */
static inline struct run_result run_p2psim(const char *const *args)
{
	char out_name[] = "/tmp/p2psim-import-out-XXXXXX",
	     err_name[] = "/tmp/p2psim-import-err-XXXXXX";
	int out_fd = mkstemp(out_name), err_fd = mkstemp(err_name), wstatus = 0;
	struct run_result r = { .status = -1 };
	const char *argv[64];
	size_t n = 0;
	pid_t pid;

	cr_assert(out_fd >= 0 && err_fd >= 0);
	unlink(out_name);
	unlink(err_name);
	argv[n++] = P2PSIM_BIN;
	while (args[n - 1] && n < 63) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	pid = fork();
	cr_assert(pid >= 0);
	if (!pid) {
		dup2(out_fd, 1);
		dup2(err_fd, 2);
		execv(P2PSIM_BIN, (char *const *)argv);
		_exit(127);
	}
	cr_assert(waitpid(pid, &wstatus, 0) == pid);
	if (WIFEXITED(wstatus))
		r.status = WEXITSTATUS(wstatus);
	r.out = slurp_fd(out_fd);
	r.err = slurp_fd(err_fd);
	close(out_fd);
	close(err_fd);
	return r;
}

static inline void run_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
}

/* A fresh output path for one test. */
static inline void tmp_xml(char *buf, size_t size, const char *tag)
{
	snprintf(buf, size, "/tmp/p2psim-import-%s-%d.xml", tag, (int)getpid());
}

/*
 * `p2psim import FORMAT INPUT -o OUT [extra options...]` must succeed and
 * `p2psim check OUT` must print "ok:". Extra options end with NULL.
 */
static inline void import_ok(const char *format, const char *input, const char *out, ...)
{
	const char *args[32] = { "import", format, input, "-o", out };
	struct run_result r;
	size_t n = 5;
	va_list ap;

	va_start(ap, out);
	for (const char *a = va_arg(ap, const char *); a && n < 31; a = va_arg(ap, const char *))
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	r = run_p2psim(args);
	cr_assert_eq(r.status, 0, "p2psim import %s %s exited %d:\n%s", format, input, r.status,
		     r.err);
	run_free(&r);

	r = run_p2psim((const char *const[]){ "check", out, NULL });
	cr_assert_eq(r.status, 0, "p2psim check %s exited %d:\n%s", out, r.status, r.err);
	cr_assert(strstr(r.out, "ok: "), "check printed: %s", r.out);
	run_free(&r);
}

/* The import must fail with exit status 2 and print @expect_prefix ... "error:". */
static inline void import_fails(const char *format, const char *input, const char *expect)
{
	struct run_result r = run_p2psim((const char *const[]){ "import", format, input, NULL });

	cr_assert_eq(r.status, 2, "exit %d, stderr:\n%s", r.status, r.err);
	cr_assert(strstr(r.err, expect), "stderr does not contain '%s':\n%s", expect, r.err);
	cr_assert(strstr(r.err, "error: "), "stderr:\n%s", r.err);
	cr_assert_eq(r.out[0], '\0', "nothing may be written on error, got:\n%s", r.out);
	run_free(&r);
}

/* The string value of an XPath expression over the XML file @path. */
static inline char *xpath_string(const char *path, const char *expr)
{
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr obj;
	char *s;

	cr_assert_not_null(doc, "cannot parse %s", path);
	ctx = xmlXPathNewContext(doc);
	obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	cr_assert_not_null(obj, "bad XPath %s", expr);
	s = (char *)xmlXPathCastToString(obj);
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return s; /* xmlFree */
}

static inline void assert_xpath(const char *path, const char *expr, const char *expect)
{
	char *s = xpath_string(path, expr);

	cr_assert_str_eq(s, expect, "%s: %s", path, expr);
	xmlFree(s);
}

/* Is `p2psim matrix` built (it is written in parallel with the importers)? */
static inline bool have_matrix(void)
{
	struct run_result r = run_p2psim((const char *const[]){ "help", "matrix", NULL });
	bool ok = r.status == 0;

	run_free(&r);
	return ok;
}

/* The id of the function at @bdf in the topology file @topo. */
static inline void id_of(const char *topo, const char *bdf, char *id, size_t size)
{
	struct p2psim_error err;
	p2psim_topology *t = NULL;
	const p2psim_function *f;

	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(topo, &t, &err), P2PSIM_OK, "%s", err.message);
	f = p2psim_topology_find(t, bdf);
	cr_assert_not_null(f, "%s: no function %s", topo, bdf);
	snprintf(id, size, "%s", p2psim_function_id(f));
	p2psim_topology_free(t);
}

/*
 * The kernel verdict for provider @p -> client @c (BDFs) from `p2psim matrix
 * TOPO --format json --providers P --clients C`: fills @map (e.g.
 * "BUS_ADDR") and @dist.
 */
static inline void matrix_pair(const char *topo, const char *p, const char *c, char *map,
			       size_t size, int *dist)
{
	char pid[64], cid[64];
	struct run_result r;
	json_object *doc, *pairs, *pair, *v;

	id_of(topo, p, pid, sizeof(pid));
	id_of(topo, c, cid, sizeof(cid));
	r = run_p2psim((const char *const[]){ "matrix", topo, "--format", "json", "--providers",
					      pid, "--clients", cid, NULL });
	cr_assert_eq(r.status, 0, "p2psim matrix exited %d:\n%s", r.status, r.err);
	doc = json_tokener_parse(r.out);
	cr_assert_not_null(doc, "matrix printed no JSON:\n%s", r.out);
	cr_assert(json_object_object_get_ex(doc, "pairs", &pairs));
	cr_assert_eq(json_object_array_length(pairs), 1, "%s", r.out);
	pair = json_object_array_get_idx(pairs, 0);
	cr_assert(json_object_object_get_ex(pair, "map_type", &v));
	snprintf(map, size, "%s", json_object_get_string(v));
	cr_assert(json_object_object_get_ex(pair, "distance", &v));
	*dist = json_object_get_int(v);
	json_object_put(doc);
	run_free(&r);
}

/* Assert a verdict; the map type is compared by substring (BUS_ADDR, THRU_HOST_BRIDGE, ...). */
static inline void assert_pair(const char *topo, const char *p, const char *c, const char *map,
			       int dist)
{
	char got[64];
	int d;

	matrix_pair(topo, p, c, got, sizeof(got), &d);
	cr_assert(strstr(got, map), "%s -> %s: map type %s, expected %s", p, c, got, map);
	if (dist >= 0)
		cr_assert_eq(d, dist, "%s -> %s: distance %d, expected %d", p, c, d, dist);
}

#endif /* P2PSIM_TESTS_CLI_TEST_UTIL_H */
