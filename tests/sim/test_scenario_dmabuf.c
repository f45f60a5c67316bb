// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_scenario_dmabuf.c - the dma-buf / VFIO scenario steps through
 * p2psim_run_buffer() on topologies/dmabuf.xml: every export validation
 * error of reference §2.2 reached from a scenario with its exact errno (the
 * run's own `expect error` and the observer's outcome agree), the options
 * whose bad values must be refused at their FILE:LINE:COL, and the misuses
 * that fail a run without crashing it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2psim/p2psim.h"
#include "sim/scenario/scenario.h"

#define TOPO P2PSIM_SRCDIR "/topologies/dmabuf.xml"

/* The usual preamble: gpu0 opened, BAR 2's resources requested. */
#define OPENED "vfio-open gpu0\nvfio-mmap gpu0 bar=2\n"

struct seen {
	int line;
	char err[32];
	int nr;
};

static void on_outcome(void *ctx, int line, const char *err)
{
	struct seen *s = ctx;

	s->line = line;
	snprintf(s->err, sizeof(s->err), "%s", err ? err : "fault");
	s->nr++;
}

static p2psim_topology *topo;

static void load(void)
{
	struct p2psim_error err;

	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(TOPO, &topo, &err), P2PSIM_OK, "%s", err.message);
}

static void unload(void)
{
	p2psim_topology_free(topo);
}

TestSuite(scenario_dmabuf, .init = load, .fini = unload);

/* Run @text silently; the status, and the last failed outcome in @seen. */
static int run(const char *text, struct seen *seen, struct p2psim_run_summary *sum,
	       const char *inject)
{
	struct p2psim_run_observer obs = { .ctx = seen, .outcome = on_outcome };
	struct p2psim_run_opts opts = {
		.format = P2PSIM_FORMAT_TEXT, .silent = 1, .observer = &obs, .inject = inject
	};
	struct p2psim_error err;
	int ret;

	memset(seen, 0, sizeof(*seen));
	p2psim_error_clear(&err);
	ret = p2psim_run_buffer(topo, text, strlen(text), "t.scn", &opts, stdout, sum, &err);
	cr_assert(ret == P2PSIM_OK || ret == P2PSIM_ECHECK, "%s: %s", text, err.message);
	return ret;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* reference §2.2, in the kernel's order of checks */
static const struct {
	const char *what;
	const char *setup; /* steps before the export */
	const char *export; /* the dmabuf-export line (without NAME DEV) */
	const char *err; /* NULL: it succeeds */
} export_cases[] = {
	{ "success, the whole BAR", OPENED, "bar=2", NULL },
	{ "success, two ranges", OPENED, "bar=2 ranges=0+64K,1M+4K", NULL },
	{ "PROBE succeeds without an fd", OPENED, "bar=2 feature=probe", NULL },
	{ "no device fd", "vfio-bind gpu0\n", "bar=2", "EBADF" },
	{ "1. no pci_ops", "vfio-bind gpu0 ops=none\n" OPENED, "bar=2", "EOPNOTSUPP" },
	{ "2. SET", OPENED, "bar=2 feature=set", "EINVAL" },
	{ "2. argsz < header", OPENED, "bar=2 argsz=15", "EINVAL" },
	{ "3. nr_ranges 0", OPENED, "bar=2 nr-ranges=0", "EINVAL" },
	{ "3. flags", OPENED, "bar=2 flags=1", "EINVAL" },
	{ "4. region 6 (ROM)", OPENED, "bar=6 ranges=0+4K", "ENODEV" },
	{ "4. region 200", OPENED, "bar=200 ranges=0+4K", "ENODEV" },
	{ "5. ranges beyond kmalloc", OPENED, "bar=2 ranges=0+4K nr-ranges=262145", "ENOMEM" },
	{ "5. ranges unreadable", OPENED, "bar=2 ranges=unreadable", "EFAULT" },
	{ "6. empty range", OPENED, "bar=2 ranges=0+0", "EINVAL" },
	{ "6. offset not page aligned", OPENED, "bar=2 ranges=0x800+4K", "EINVAL" },
	{ "6. length not page aligned", OPENED, "bar=2 ranges=0+6K", "EINVAL" },
	{ "6. lengths overflow", OPENED, "bar=2 ranges=0+0x8000000000000000,0+0x8000000000000000",
	  "EINVAL" },
	{ "6. total with bit 63", OPENED, "bar=2 ranges=0+0x8000000000000000", "EINVAL" },
	{ "6. a range read past the listed ones is zero", OPENED, "bar=2 ranges=0+4K nr-ranges=2",
	  "EINVAL" },
	{ "8. no provider: no such BAR", OPENED, "bar=1 ranges=0+4K", "EINVAL" },
	{ "8. no provider: non_mappable_bars", "vfio-bind gpu0 non-mappable-bars=yes\n" OPENED,
	  "bar=2", "EINVAL" },
	{ "8. BAR resources never requested", "vfio-open gpu0\n", "bar=2", "EINVAL" },
	{ "8. offset overflows", OPENED, "bar=2 ranges=0xfffffffffffff000+4K", "EOVERFLOW" },
	{ "8. past the BAR", OPENED, "bar=2 ranges=32G+4K", "EINVAL" },
	{ "8. nvgrace: past the device memory", "vfio-bind gpu0 variant=nvgrace\n" OPENED,
	  "bar=4 ranges=32G+4K", "EINVAL" },
	{ "8. nvgrace: inside the device memory", "vfio-bind gpu0 variant=nvgrace\n" OPENED,
	  "bar=4 ranges=16G+4K", NULL },
	{ "13. fd table full", "fd-limit 4\n" OPENED "dmabuf-export first gpu0 bar=2\n", "bar=2",
	  "EMFILE" },
};

Test(scenario_dmabuf, every_export_validation_error)
{
	for (size_t i = 0; i < sizeof(export_cases) / sizeof(export_cases[0]); i++) {
		char text[1024];
		struct p2psim_run_summary sum;
		struct seen seen;
		int line, ret;

		snprintf(text, sizeof(text), "%sdmabuf-export vb gpu0 %s\nexpect %s%s\n",
			 export_cases[i].setup, export_cases[i].export,
			 export_cases[i].err ? "error " : "ok",
			 export_cases[i].err ? export_cases[i].err : "");
		line = count_lines(export_cases[i].setup) + 1;
		ret = run(text, &seen, &sum, NULL);
		cr_expect_eq(ret, P2PSIM_OK, "%s: the run failed (%llu expects failed)",
			     export_cases[i].what, sum.expects_failed);
		if (export_cases[i].err) {
			cr_expect_eq(seen.line, line, "%s: outcome at line %d",
				     export_cases[i].what, seen.line);
			cr_expect_str_eq(seen.err, export_cases[i].err, "%s", export_cases[i].what);
		} else {
			cr_expect_eq(seen.nr, 0, "%s: failed with %s", export_cases[i].what,
				     seen.err);
		}
	}
}

Test(scenario_dmabuf, an_unexpected_failure_fails_the_run)
{
	struct p2psim_run_summary sum;
	struct seen seen;

	cr_expect_eq(run(OPENED "dmabuf-export vb gpu0 bar=2 flags=1\n", &seen, &sum, NULL),
		     P2PSIM_ECHECK);
	cr_expect_str_eq(seen.err, "EINVAL");
	cr_expect_eq(sum.expects_failed, 1);
	/* the right errno is required */
	cr_expect_eq(run(OPENED "dmabuf-export vb gpu0 bar=2 flags=1\nexpect error ENODEV\n", &seen,
			 &sum, NULL),
		     P2PSIM_ECHECK);
}

Test(scenario_dmabuf, misuses_fail_the_run_cleanly)
{
	static const char *const texts[] = {
		/* an importer whose import failed */
		OPENED "dmabuf-export vb gpu0 bar=2\ndmabuf-import s vb nic0 as=static\n"
		       "expect error EOPNOTSUPP\ndmabuf-dma s read\n",
		/* bound twice */
		"vfio-bind gpu0\nvfio-bind gpu0\n",
		/* an event on an unbound device */
		"event gpu0 flr\n",
		/* RDMA MRs are unmapped by invalidation or release only */
		OPENED "dmabuf-export vb gpu0 bar=2\ndmabuf-import m vb nic0 as=mlx5\n"
		       "dmabuf-unmap m\n",
		/* past the importer's window */
		OPENED "dmabuf-export vb gpu0 bar=2 ranges=0+8K\ndmabuf-import m vb nic0 as=mlx5\n"
		       "dmabuf-dma m read off=4K len=8K\n",
		/* fail=busy: a device outside the set */
		"vfio-open gpu0\nvfio-open nic0\nevent gpu0 hot-reset fail=busy:nic0\n",
		/* a fence on a dma-buf that was released */
		OPENED "dmabuf-export vb gpu0 bar=2\ndmabuf-close vb\ndmabuf-fence vb\n",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct p2psim_run_summary sum;
		struct seen seen;

		cr_expect_eq(run(texts[i], &seen, &sum, NULL), P2PSIM_ECHECK, "case %zu", i);
		cr_expect_geq(sum.expects_failed, 1, "case %zu", i);
		cr_expect_leq(sum.expects_failed, sum.expects, "case %zu", i);
	}
}

Test(scenario_dmabuf, import_from_a_closed_or_failed_export_is_ebadf)
{
	struct p2psim_run_summary sum;
	struct seen seen;

	cr_expect_eq(run(OPENED "dmabuf-export vb gpu0 bar=7\nexpect error ENODEV\n"
				"dmabuf-import m vb nic0 as=mlx5\nexpect error EBADF\n"
				"dmabuf-export vc gpu0 bar=2\ndmabuf-close vc\n"
				"dmabuf-import d vc nic1 as=dynamic\nexpect error EBADF\n"
				"dmabuf-close vc\nexpect error EBADF\n",
			 &seen, &sum, NULL),
		     P2PSIM_OK);
}

/* Bad option values, each at its exact line and column. */
Test(scenario_dmabuf, bad_option_values)
{
	static const struct {
		const char *text;
		int line, col;
		const char *msg;
	} cases[] = {
		{ "vfio-bind gpu0 variant=hopper\n", 1, 16, "bad variant 'hopper' (nvgrace)" },
		{ "vfio-bind gpu0 ops=some\n", 1, 16, "bad ops='some' (none)" },
		{ "vfio-bind gpu0 owned=1\n", 1, 16, "bad owned='1' (yes or no)" },
		{ "vfio-mmap gpu0 bar=x\n", 1, 16, "bad BAR index 'x'" },
		{ "vfio-mmap gpu0\n", 1, 1, "(bar= is required)" },
		{ "dmabuf-export vb gpu0 bar=2 feature=put\n", 1, 29,
		  "bad feature 'put' (get, set or probe)" },
		{ "dmabuf-export vb gpu0 bar=2 nr-ranges=0x1_0000_0000\n", 1, 29,
		  "does not fit in 32 bits" },
		{ "dmabuf-export vb gpu0 bar=256\n", 1, 23, "region index 256 out of range" },
		{ "dmabuf-export vb gpu0 bar=2\ndmabuf-import i vb nic1 as=mlx5 iova=0x1000\n", 2,
		  33, "iova= is for as=iommufd" },
		{ "dmabuf-export vb gpu0 bar=2\ndmabuf-import i vb nic1 as=iommufd iova=0x1234\n",
		  2, 36, "IOVA '0x1234' is not page aligned" },
		{ "dmabuf-export vb gpu0 bar=2\ndmabuf-import i vb nic1 as=iommufd off=4K\n", 2, 36,
		  "as=iommufd imports the whole dma-buf" },
		{ "dmabuf-export vb gpu0 bar=2\ndmabuf-import d vb nic1 as=dynamic "
		  "on-invalidate=later\n",
		  2, 36, "bad on-invalidate 'later' (unmap or defer)" },
		{ "dmabuf-export vb gpu0 bar=2\ndmabuf-import d vb nic1 as=mlx5 "
		  "on-invalidate=defer\n",
		  2, 33, "on-invalidate= is for as=dynamic" },
		{ "dmabuf-export vb gpu0 bar=2\ndmabuf-import d vb nic1 as=dynamic\n"
		  "dmabuf-dma d sideways\n",
		  3, 14, "bad DMA 'sideways' (read or write)" },
		{ "dmabuf-export vb gpu0 bar=2\ndmabuf-import d vb nic1 as=dynamic\n"
		  "dmabuf-dma d write\n",
		  3, 1, "dmabuf-dma write needs data=PATTERN" },
		{ "dmabuf-export vb gpu0 bar=2\ndmabuf-import d vb nic1 as=dynamic\n"
		  "dmabuf-dma d read data=1\n",
		  3, 19, "a read takes expect=, not data=" },
		{ "dmabuf-export vb gpu0 bar=2\ndmabuf-import d vb nic1 as=dynamic\n"
		  "dmabuf-dma d read len=2G\n",
		  3, 19, "at most 1 GiB" },
		{ "dmabuf-export vb gpu0 bar=2\ndmabuf-fence vb usage=often\n", 2, 17,
		  "bad usage 'often' (kernel, write, read or bookkeep)" },
		{ "dmabuf-export vb gpu0 bar=2\ndmabuf-fence vb stuck twice\n", 2, 23,
		  "unexpected 'twice'" },
		{ "event gpu0 hot-reset fail=owner:\n", 1, 22, "bad fail='owner:'" },
		{ "dmabuf-export 9vb gpu0 bar=2\n", 1, 15, "bad dma-buf name '9vb'" },
		{ "buf vb 4K\ndmabuf-close vb\n", 2, 14,
		  "'vb' is not a dma-buf (defined at line 1)" },
		{ "expect revoked vb\n", 1, 16, "unknown dma-buf 'vb'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct p2psim_error err;
		struct scenario *scn = NULL;

		p2psim_error_clear(&err);
		cr_expect_eq(scenario_parse_buffer(cases[i].text, strlen(cases[i].text), "t.scn",
						   &scn, &err),
			     -EINVAL, "%s", cases[i].text);
		cr_expect_eq(err.line, cases[i].line, "%s: line %d", cases[i].text, err.line);
		cr_expect_eq(err.column, cases[i].col, "%s: column %d (%s)", cases[i].text,
			     err.column, err.message);
		cr_expect(strstr(err.message, cases[i].msg), "%s: '%s' lacks '%s'", cases[i].text,
			  err.message, cases[i].msg);
		scenario_free(scn);
	}
}

/* `run --inject` takes every catalogue id, whether or not fuzz may inject it yet. */
Test(scenario_dmabuf, run_inject_takes_every_catalogue_id)
{
	struct p2psim_error err;
	struct p2psim_bug b;

	for (size_t i = 0; i < p2psim_bug_count(); i++) {
		cr_assert_eq(p2psim_bug_get(i, &b), 0);
		p2psim_error_clear(&err);
		cr_expect_eq(p2psim_run_inject_check(b.id, &err), P2PSIM_OK, "%s: %s", b.id,
			     err.message);
	}
	p2psim_error_clear(&err);
	cr_expect_eq(p2psim_run_inject_check("H99", &err), P2PSIM_EINPUT);
	cr_expect(strstr(err.message, "unknown bug 'H99'"), "%s", err.message);
}
