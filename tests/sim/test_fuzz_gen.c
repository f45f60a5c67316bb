// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_fuzz_gen.c - the fuzzer's generator, annotation and minimiser
 * (sim/fuzz/, docs/fuzz.md): determinism, shards, weights, which lines are
 * deliberate mistakes, and ddmin shrinking a known-bad sequence.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "p2psim/p2psim.h"
#include "sim/fuzz/fuzz_internal.h"

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

TestSuite(fuzz_gen, .init = setup, .fini = teardown);

static char *text_of(const struct fz_seq *seq)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < seq->n; i++)
		len += strlen(seq->lines[i].text) + 1;
	s = calloc(1, len);
	cr_assert(s);
	for (size_t i = 0; i < seq->n; i++) {
		strcat(s, seq->lines[i].text);
		strcat(s, "\n");
	}
	return s;
}

static char *generate(struct fz_ctx *ctx, unsigned long long seed, unsigned long long k)
{
	struct fz_rng rng;
	struct fz_seq seq;
	char *s;

	fz_rng_seed(&rng, fz_sequence_seed(seed, k));
	cr_assert_eq(fz_generate(ctx, &rng, &seq), 0);
	s = text_of(&seq);
	fz_seq_free(&seq);
	return s;
}

Test(fuzz_gen, same_seed_same_sequence_different_k_different_sequence)
{
	struct fz_ctx ctx;
	char msg[128];
	char *a, *b, *c;

	cr_assert_eq(fz_ctx_init(&ctx, topo, NULL, 40, NULL, msg, sizeof(msg)), 0, "%s", msg);
	a = generate(&ctx, 7, 3);
	b = generate(&ctx, 7, 3);
	c = generate(&ctx, 7, 4);
	cr_expect_str_eq(a, b);
	cr_expect_str_neq(a, c);
	cr_expect(!strncmp(a, "seed ", 5), "%s", a);
	free(a);
	free(b);
	free(c);
	fz_ctx_destroy(&ctx);
}

/* 50 generated sequences on @t with @weights parse and run (no bad input). */
static void expect_valid(p2psim_topology *t, const char *weights, bool *threads)
{
	struct fz_ctx ctx;
	char msg[128];

	cr_assert_eq(fz_ctx_init(&ctx, t, weights, 60, NULL, msg, sizeof(msg)), 0, "%s", msg);
	for (unsigned long long k = 0; k < 50; k++) {
		struct p2psim_error err = { 0 };
		char *s = generate(&ctx, 1, k);
		struct p2psim_run_opts o = { .silent = 1 };
		int ret;

		p2psim_error_clear(&err);
		ret = p2psim_run_buffer(t, s, strlen(s), "gen", &o, stderr, NULL, &err);
		/* never bad input; outcomes nobody acknowledged may fail the run (1) */
		cr_expect(ret == P2PSIM_OK || ret == P2PSIM_ECHECK, "k=%llu: %d %s\n%s", k, ret,
			  err.message, s);
		*threads |= strstr(s, "\nthread t") && strstr(s, "\nschedule ");
		free(s);
	}
	fz_ctx_destroy(&ctx);
}

Test(fuzz_gen, generated_sequences_are_valid_scenarios)
{
	struct p2psim_error err = { 0 };
	p2psim_topology *t;
	bool threads = false;

	expect_valid(topo, NULL, &threads);
	/* dma-buf steps, and thread sections with their schedule line */
	cr_assert_eq(p2psim_topology_load_file(P2PSIM_SRCDIR "/topologies/dmabuf.xml", &t, &err),
		     P2PSIM_OK);
	expect_valid(t, "iommu=0,race=20", &threads);
	cr_expect(threads);
	p2psim_topology_free(t);
}

Test(fuzz_gen, weights)
{
	struct fz_ctx ctx;
	char msg[128];

	cr_assert_eq(
		fz_ctx_init(&ctx, topo, "map=0,map-sg=9,mistakes=0", 40, NULL, msg, sizeof(msg)), 0,
		"%s", msg);
	cr_expect_eq(ctx.weights[FZ_MAP], 0);
	cr_expect_eq(ctx.weights[FZ_MAP_SG], 9);
	cr_expect_eq(ctx.weights[FZ_DOUBLE_UNMAP], 0);
	cr_expect_eq(ctx.weights[FZ_DMA_WRONG_DIR], 0);
	/* no mistakes at all: nothing is excused, no single map */
	for (unsigned long long k = 0; k < 20; k++) {
		struct fz_rng rng;
		struct fz_seq seq;

		fz_rng_seed(&rng, fz_sequence_seed(5, k));
		cr_assert_eq(fz_generate(&ctx, &rng, &seq), 0);
		cr_expect(!seq.mistakes);
		for (size_t i = 0; i < seq.n; i++)
			cr_expect(strncmp(seq.lines[i].text, "map ", 4), "%s", seq.lines[i].text);
		fz_seq_free(&seq);
	}
	fz_ctx_destroy(&ctx);
	cr_expect_eq(fz_ctx_init(&ctx, topo, "nope=1", 40, NULL, msg, sizeof(msg)), -EINVAL);
	cr_expect(strstr(msg, "unknown step kind 'nope'"), "%s", msg);
	cr_expect_eq(fz_ctx_init(&ctx, topo, "map=x", 40, NULL, msg, sizeof(msg)), -EINVAL);
	cr_expect_eq(fz_ctx_init(&ctx, topo, "map=1,", 40, NULL, msg, sizeof(msg)), -EINVAL);
	cr_expect_eq(fz_ctx_init(&ctx, topo, "map=1001", 40, NULL, msg, sizeof(msg)), -EINVAL);
}

static void add(struct fz_seq *seq, const char *line)
{
	cr_assert_eq(fz_seq_add(seq, false, "%s", line), 0);
}

/* Annotate @lines (no run: no outcomes) and compare each line's excused flag. */
static void expect_excused(const char *const *lines, const bool *expect, size_t n)
{
	struct fz_ctx ctx;
	struct fz_seq seq = { 0 };
	char msg[128];

	cr_assert_eq(fz_ctx_init(&ctx, topo, NULL, 40, NULL, msg, sizeof(msg)), 0);
	for (size_t i = 0; i < n; i++)
		add(&seq, lines[i]);
	fz_annotate(&ctx, &seq, NULL);
	for (size_t i = 0; i < seq.n; i++)
		cr_expect_eq(seq.lines[i].excused, expect[i], "line %zu '%s'", i + 1,
			     seq.lines[i].text);
	cr_expect(seq.mistakes);
	fz_seq_free(&seq);
	fz_ctx_destroy(&ctx);
}

Test(fuzz_gen, annotate_marks_the_driver_mistakes)
{
	/* line:                 1         2                3                              */
	static const char *const lines[] = {
		"seed 1",
		"buf b0 8192",
		"buf b1 4096",
		"map h0 nic0 to-device b0", /* 4 legal */
		"map h1 gpu0 to-device b0", /* 5 legal: two readers */
		"map h2 gpu1 from-device b0", /* 6 overlap: writable over live */
		"unmap h0", /* 7 legal */
		"unmap h0", /* 8 double unmap */
		"map h3 audio0 from-device b1", /* 9 legal */
		"dma read audio0 h3", /* 10 read of a from-device mapping */
		"unmap h1 size=4096", /* 11 wrong size */
		"advance 1ms", /* 12 deferred work after mistakes */
		"dma write gpu0 h1 data=0x1", /* 13 after unmap; gpu0 tainted anyway */
	};
	static const bool expect[] = { false, false, false, false, false, true, false,
				       true,  false, true,  true,  true,  true };

	expect_excused(lines, expect, sizeof(lines) / sizeof(lines[0]));
}

Test(fuzz_gen, annotate_knows_the_two_step_rules)
{
	static const char *const lines[] = {
		"seed 1",
		"buf b0 8192",
		"buf b1 8192",
		"iova-alloc r0 nic0 16384", /* 4 */
		"iova-link r0 b0+4096", /* 5 legal */
		"iova-link r0 b1+512 at=8192", /* 6 legal: a short last granule */
		"iova-sync r0", /* 7 */
		"iova-unlink r0 len=512 at=8192", /* 8 exactly a link */
		"iova-destroy r0 len=4096", /* 9 [0, 4096) is all that is linked */
		"iova-alloc r1 gpu0 16384", /* 10 */
		"iova-link r1 b0+8192", /* 11 legal */
		"iova-link r1 b1+4096 at=4096", /* 12 over a link */
		"iova-unlink r1 len=4096 at=8192", /* 13 nothing linked there; gpu0 tainted */
		"iova-alloc r2 gpu1 16384", /* 14 */
		"iova-link r2 b1+4096", /* 15 */
		"iova-free r2", /* 16 freed while linked */
	};
	static const bool expect[] = { false, false, false, false, false, false, false, false,
				       false, false, false, true,  true,  false, false, true };

	expect_excused(lines, expect, sizeof(lines) / sizeof(lines[0]));
}

/* An untrusted device behind an IOMMU (off in the topology) is put in a strict domain. */
Test(fuzz_gen, two_step_sequences_for_an_untrusted_device)
{
	struct p2psim_error err = { 0 };
	p2psim_topology *t;
	struct fz_ctx ctx;
	char msg[128];
	bool link = false, strict = false, align = false, bad = false;

	cr_assert_eq(p2psim_topology_load_file(
			     P2PSIM_SRCDIR "/topologies/desktop-nonallowlisted.xml", &t, &err),
		     P2PSIM_OK);
	cr_assert_eq(fz_ctx_init(&ctx, t, "iova=40,bad-unlink=8", 48, NULL, msg, sizeof(msg)), 0,
		     "%s", msg);
	for (int k = 0; k < 40; k++) {
		char *s = generate(&ctx, 0, (unsigned long long)k);

		strict |= strstr(s, "iommu tb_nvme strict\n") != NULL;
		align |= strstr(s, "dma-mask tb_nvme 64 min-align=0xfff\n") != NULL;
		link |= strstr(s, "iova-link r") != NULL;
		bad |= strstr(s, "iova-unlink") != NULL;
		free(s);
	}
	cr_expect(strict && align && link && bad);
	fz_ctx_destroy(&ctx);
	p2psim_topology_free(t);
}

Test(fuzz_gen, minimiser_shrinks_a_known_bad_sequence)
{
	/*
	 * dma-direct's historic `break` leaves a THRU_HOST_BRIDGE segment's DMA
	 * address unset: gpu1 (passthrough) reading segment 1 (gpu0's BAR,
	 * through the host bridge) lands at address 0. Everything else is noise.
	 */
	static const char *const lines[] = {
		"seed 3",
		"iommu gpu1 passthrough",
		"buf b0 8192 fill=seq",
		"buf b1 4096 bar=gpu0 fill=0x11",
		"buf b2 4096",
		"map h0 nic0 to-device b2",
		"dma read nic0 h0",
		"advance 1ms",
		"map-sg h1 gpu1 to-device b0 b1",
		"sync h0 for-device",
		"dma read gpu1 h1",
		"unmap h0",
		"dma read gpu1 h1 seg=1",
		"advance 20ms",
		"unmap h1",
	};
	struct fz_ctx ctx;
	struct fz_seq seq = { 0 };
	struct fz_result res;
	const struct fz_violation *v;
	char msg[128];
	char *text;

	cr_assert_eq(fz_ctx_init(&ctx, topo, NULL, 40, "dma-direct-sg-break", msg, sizeof(msg)), 0);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		add(&seq, lines[i]);
	seq.lines[0].keep = true;
	cr_assert_eq(fz_exec(&ctx, &seq, &res, NULL), 0);
	v = fz_finding(&seq, &res);
	cr_assert(v);
	cr_expect_str_eq(v->checker, "route");
	cr_expect_str_eq(v->kind, "misdirected");
	cr_expect_eq(v->line, 13);
	fz_result_free(&res);

	cr_assert_eq(fz_minimise(&ctx, &seq, "route", "misdirected"), 0);
	text = text_of(&seq);
	/* what is left: the seed, the mode, both buffers, the map, the DMA, the unmap */
	cr_expect_str_eq(text, "seed 3\n"
			       "iommu gpu1 passthrough\n"
			       "buf b0 4096\n"
			       "buf b1 4096 bar=gpu0\n"
			       "map-sg h1 gpu1 to-device b0 b1\n"
			       "dma read gpu1 h1 seg=1\n"
			       "unmap h1\n");
	free(text);
	fz_seq_free(&seq);
	fz_ctx_destroy(&ctx);
}

/*
 * The fuzzer runs thousands of worlds on one topology in one process: what
 * a run does to a PCI function (VFIO turning its memory decode off) must
 * not leak into the next run.
 */
Test(fuzz_gen, a_run_leaves_the_topology_as_it_found_it)
{
	static const char vfio[] = "vfio-open gpu0\nevent gpu0 mem-off\n";
	static const char p2p[] = "buf b 4096 bar=gpu0\nmap h nic0 from-device b\n"
				  "dma write nic0 h data=ones\nexpect no-fault\nunmap h\n";
	struct p2psim_run_opts o = { .silent = 1 };
	struct p2psim_error err = { 0 };
	p2psim_topology *t;

	cr_assert_eq(p2psim_topology_load_file(P2PSIM_SRCDIR "/topologies/dmabuf.xml", &t, &err),
		     P2PSIM_OK);
	cr_expect_eq(p2psim_run_buffer(t, p2p, strlen(p2p), "p2p", &o, stdout, NULL, &err),
		     P2PSIM_OK, "%s", err.message);
	cr_expect_eq(p2psim_run_buffer(t, vfio, strlen(vfio), "vfio", &o, stdout, NULL, &err),
		     P2PSIM_OK, "%s", err.message);
	cr_expect_eq(p2psim_run_buffer(t, p2p, strlen(p2p), "p2p", &o, stdout, NULL, &err),
		     P2PSIM_OK, "gpu0's BAR must decode again in a new world: %s", err.message);
	p2psim_topology_free(t);
}
