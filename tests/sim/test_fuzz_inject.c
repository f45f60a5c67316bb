// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_fuzz_inject.c - every injectable entry of the bug catalogue is found
 * by the fuzzer, by the checker the catalogue names, within a small fixed
 * budget; its reproducer replays with the same violation; and the same
 * budget without the injection finds nothing (docs/fuzz.md, DESIGN.md §7).
 *
 * Data-driven: a catalogue entry that becomes injectable is tested here
 * without a new line, and must pass before it may be listed as injectable.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p2psim/p2psim.h"

#define TOPO P2PSIM_SRCDIR "/topologies/default.xml"

static p2psim_topology *topo;

static void setup(void)
{
	struct p2psim_error err = { 0 };

	cr_assert_eq(p2psim_topology_load_file(TOPO, &topo, &err), P2PSIM_OK, "%s", err.message);
}

static void teardown(void)
{
	p2psim_topology_free(topo);
}

TestSuite(fuzz_inject, .init = setup, .fini = teardown);

struct seen {
	char checker[32], kind[48]; /* the finding looked for */
	int unclaimed, matching;
};

static void on_violation(void *ctx, int line, const char *checker, const char *kind,
			 const char *message, int claimed)
{
	struct seen *s = ctx;

	if (claimed)
		return;
	s->unclaimed++;
	s->matching += !strcmp(checker, s->checker) && !strcmp(kind, s->kind);
}

/* Replay @file as `p2psim run` would: its status; @s counts the unclaimed violations. */
static int replay(p2psim_topology *t, const char *file, const char *inject, struct seen *s)
{
	struct p2psim_run_observer obs = { .ctx = s, .violation = on_violation };
	struct p2psim_run_opts o = { .silent = 1, .inject = inject, .observer = &obs };
	struct p2psim_error err = { 0 };

	s->unclaimed = s->matching = 0;
	p2psim_error_clear(&err);
	return p2psim_run(t, file, &o, stdout, NULL, &err);
}

Test(fuzz_inject, the_catalogue_lists_what_can_be_injected)
{
	size_t injectable = 0;
	struct p2psim_bug b;
	struct p2psim_error err = { 0 };

	for (size_t i = 0; i < p2psim_bug_count(); i++) {
		cr_assert_eq(p2psim_bug_get(i, &b), 0);
		cr_expect(b.id && b.summary && b.fix && b.area && b.checker, "entry %zu", i);
		injectable += b.injectable;
		cr_expect(b.injectable || (b.why && *b.why), "%s", b.id);
	}
	cr_expect_eq(p2psim_bug_get(p2psim_bug_count(), &b), -1);
	cr_expect_eq(injectable, p2psim_bug_count(), "every catalogue entry has its proof");
	p2psim_error_clear(&err);
	cr_expect_eq(p2psim_inject_check("dma-direct-sg-break,iommu-sg-head-len", &err), P2PSIM_OK);
	p2psim_error_clear(&err); /* the first error set is kept */
	cr_expect_eq(p2psim_inject_check("nope", &err), P2PSIM_EINPUT);
	cr_expect(strstr(err.message, "unknown bug 'nope'"), "%s", err.message);
	p2psim_error_clear(&err);
	cr_expect_eq(p2psim_inject_check("dma-direct-sg-break,", &err), P2PSIM_EINPUT);
}

/* One case per catalogue entry: an entry cannot be injectable without passing here. */
ParameterizedTestParameters(fuzz_inject, entry)
{
	static size_t index[64];
	size_t n = p2psim_bug_count();

	for (size_t i = 0; i < n && i < 64; i++)
		index[i] = i;
	return cr_make_param_array(size_t, index, n < 64 ? n : 64);
}

/*
 * The entry's proof campaign (seed 0, its topology, weights and budget) finds
 * the finding its row names, minimised; the reproducer replays with the
 * injection and shows exactly that, and without it does not; the same
 * campaign without the injection finds nothing. Not injectable: --inject
 * refuses it and says why.
 */
ParameterizedTest(size_t *index, fuzz_inject, entry, .timeout = 120)
{
	char dir[] = "/tmp/p2psim-fuzz-XXXXXX", path[512];
	struct p2psim_fuzz_summary *sum = calloc(1, sizeof(*sum));
	struct p2psim_fuzz_opts o = { .seed = 0 };
	const struct p2psim_fuzz_crash *c = NULL;
	struct p2psim_error err = { 0 };
	p2psim_topology *t = NULL;
	struct seen s = { 0 };
	struct p2psim_bug b;

	cr_assert(sum);
	cr_assert_eq(p2psim_bug_get(*index, &b), 0);
	if (!b.injectable) {
		cr_expect(b.why && *b.why, "%s", b.id);
		cr_expect_eq(p2psim_inject_check(b.id, &err), P2PSIM_EINPUT, "%s", b.id);
		free(sum);
		return;
	}
	/* the catalogue names "CHECKER KIND" */
	cr_assert_eq(sscanf(b.checker, "%31s %47s", s.checker, s.kind), 2, "%s: '%s'", b.id,
		     b.checker);
	snprintf(path, sizeof(path), P2PSIM_SRCDIR "/topologies/%s", b.proof_topology);
	cr_assert_eq(p2psim_topology_load_file(path, &t, &err), P2PSIM_OK, "%s", err.message);
	cr_assert(mkdtemp(dir));
	o.runs = b.proof_runs;
	o.weights = b.proof_weights;
	o.out_dir = dir;
	o.topo_path = path;
	o.inject = b.id;
	p2psim_error_clear(&err);
	cr_expect_eq(p2psim_fuzz(t, &o, sum, &err), P2PSIM_ECHECK, "%s: %s", b.id, err.message);
	cr_expect_eq(sum->sequences, b.proof_runs);
	for (unsigned int i = 0; i < sum->nr_crashes; i++)
		if (!strcmp(sum->crashes[i].checker, s.checker) &&
		    !strcmp(sum->crashes[i].kind, s.kind))
			c = &sum->crashes[i];
	cr_assert(c, "%s: no %s/%s in %u findings", b.id, s.checker, s.kind, sum->nr_crashes);
	cr_expect_leq(c->steps_minimised, 12, "%s", b.id);
	cr_expect_lt(c->steps_minimised, c->steps_generated, "%s", b.id);

	/* the reproducer fails the same way with the bug, and not that way without it */
	cr_expect_eq(replay(t, c->file, b.id, &s), P2PSIM_ECHECK, "%s", c->file);
	cr_expect_geq(s.matching, 1, "%s", b.id);
	replay(t, c->file, NULL, &s);
	cr_expect_eq(s.matching, 0, "%s: %s", b.id, c->file);
	for (unsigned int i = 0; i < sum->nr_crashes; i++)
		unlink(sum->crashes[i].file);
	rmdir(dir);

	/* the same budget on the fixed model finds nothing */
	o.inject = NULL;
	o.out_dir = NULL;
	cr_expect_eq(p2psim_fuzz(t, &o, sum, &err), P2PSIM_OK, "%s", b.id);
	cr_expect_eq(sum->nr_crashes, 0, "%s", b.id);
	free(sum);
	p2psim_topology_free(t);
}

Test(fuzz_inject, campaigns_are_deterministic_and_shards_disjoint)
{
	struct p2psim_fuzz_opts o = { .seed = 0, .runs = 200, .inject = "iommu-sg-head-len" };
	struct p2psim_fuzz_summary *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct p2psim_fuzz_summary *s0 = calloc(1, sizeof(*s0)), *s1 = calloc(1, sizeof(*s1));
	struct p2psim_error err = { 0 };

	cr_assert(a && b && s0 && s1);
	cr_assert_eq(p2psim_fuzz(topo, &o, a, &err), P2PSIM_ECHECK);
	o.jobs = 2; /* forked workers: the same findings */
	cr_assert_eq(p2psim_fuzz(topo, &o, b, &err), P2PSIM_ECHECK);
	cr_expect_eq(a->steps, b->steps);
	cr_expect_eq(a->sequences, 200);
	cr_expect_eq(b->sequences, 200);
	cr_expect_eq(a->nr_crashes, b->nr_crashes);
	cr_expect_eq(a->crashes[0].sequence, b->crashes[0].sequence);
	cr_expect_eq(a->crashes[0].steps_minimised, b->crashes[0].steps_minimised);

	/* shard 0/2 runs sequences 0, 2, 4..., shard 1/2 runs 1, 3, 5...: together, the same */
	o.jobs = 1;
	o.runs = 100;
	o.nshards = 2;
	o.shard = 0;
	p2psim_fuzz(topo, &o, s0, &err);
	o.shard = 1;
	p2psim_fuzz(topo, &o, s1, &err);
	cr_expect_eq(s0->steps + s1->steps, a->steps);
	for (unsigned int i = 0; i < s0->nr_crashes; i++)
		cr_expect_eq(s0->crashes[i].sequence % 2, 0);
	for (unsigned int i = 0; i < s1->nr_crashes; i++)
		cr_expect_eq(s1->crashes[i].sequence % 2, 1);
	cr_expect_eq(a->crashes[0].sequence % 2 ? s1->crashes[0].sequence : s0->crashes[0].sequence,
		     a->crashes[0].sequence);
	o.shard = 2;
	cr_expect_eq(p2psim_fuzz(topo, &o, s1, &err), P2PSIM_EINPUT);
	free(a);
	free(b);
	free(s0);
	free(s1);
}

Test(fuzz_inject, one_input_harness)
{
	/* any bytes decode to a valid sequence; the empty input runs just the seed */
	static const unsigned char junk[] = { 0xff, 0x00, 0x13, 0x37, 0x42, 0x99, 0x01,
					      0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };

	cr_expect_eq(p2psim_fuzz_one_input(topo, NULL, 0, NULL), 0);
	cr_expect_eq(p2psim_fuzz_one_input(topo, junk, sizeof(junk), NULL), 0);
}
