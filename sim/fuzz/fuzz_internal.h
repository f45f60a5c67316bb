/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fuzz_internal.h - the pieces of the fuzzer (docs/fuzz.md): the generator
 * (gen.c), the in-process runner and minimiser (exec.c), the campaign
 * (fuzz.c).
 *
 * A generated sequence is a list of scenario lines, each flagged "excused"
 * when the generator made a deliberate driver mistake there (or the line
 * touches a device a mistake has tainted): violations on excused lines are
 * what the checkers are supposed to report, not findings. A finding is a
 * violation on a line a correct driver could have written.
 */
#ifndef P2PSIM_SIM_FUZZ_INTERNAL_H
#define P2PSIM_SIM_FUZZ_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "models/types.h"
#include "p2psim/fuzz.h"
#include "p2psim/run.h"

/* Step kinds the generator knows; each has a user weight (--weights NAME=W). */
enum fz_kind {
	FZ_BUF,
	FZ_BAR,
	FZ_MAP,
	FZ_MAP_SG,
	FZ_UNMAP,
	FZ_SYNC,
	FZ_DMA,
	FZ_ADVANCE,
	FZ_RELEASE,
	FZ_IOMMU,
	FZ_HMM,
	FZ_IOVA,
	/* dma-buf / VFIO (docs/scenario.md "dma-buf, VFIO and device events") */
	FZ_VFIO,
	FZ_EXPORT,
	FZ_IMPORT,
	FZ_IMPORTER,
	FZ_IMPORTER_DMA,
	FZ_FENCE,
	FZ_EVENT,
	FZ_STORM,
	FZ_DMABUF_CLOSE,
	FZ_RACE,
	/* the mistakes real drivers make */
	FZ_DOUBLE_UNMAP,
	FZ_WRONG_SIZE,
	FZ_WRONG_DIR,
	FZ_WRONG_FUNCTION,
	FZ_WRONG_NENTS,
	FZ_BAD_SYNC,
	FZ_DMA_AFTER_UNMAP,
	FZ_UNCHECKED,
	FZ_LEAK_RELEASE,
	FZ_DMA_WRONG_DIR,
	FZ_BAD_UNLINK,
	FZ__NR
};

extern const char *const fz_kind_names[FZ__NR];

struct fz_line {
	char *text;
	bool excused;
	bool keep; /* never removed by the minimiser (the seed line) */
};

struct fz_seq {
	struct fz_line *lines;
	size_t n, cap;
	bool mistakes; /* the generator made at least one deliberate mistake */
};

/* Where the generator's choices come from: a seeded stream or fuzzer bytes. */
struct fz_rng {
	u64 state;
	const unsigned char *data; /* non-NULL: take choices from these bytes */
	size_t size, pos;
	bool exhausted;
};

struct fz_dev {
	const char *id;
	bool has_iommu;
	bool has_p2pmem; /* offers a p2pmem BAR (a provider) */
	bool hmm_ok; /* hmm_dma_map_alloc() succeeds: 64-bit mask, coherent, trusted */
	bool direct; /* the topology puts its IOMMU unit in passthrough / off (no IOVA) */
	bool untrusted; /* external-facing: links bounce through swiotlb when unaligned */
	unsigned int mask_bits; /* the topology's DMA mask width */
	int export_bar; /* a memory BAR VFIO can export as a dma-buf, -1: none */
	u64 export_size;
	u64 importers; /* bit per device (the first 64): P2P to this BAR is supported */
};

struct fz_ctx {
	const p2psim_topology *topo;
	struct fz_dev *devs; /* DMA-capable functions */
	size_t nr_devs;
	size_t *providers; /* indexes into devs */
	size_t nr_providers;
	size_t exporters[8]; /* indexes into devs with an export_bar */
	size_t nr_exporters;
	unsigned int weights[FZ__NR];
	unsigned int steps;
	const char *inject;
	u64 kinds_seen; /* bit per enum fz_kind */
	/*
	 * While minimising: the other findings the original sequence had, which
	 * a candidate may keep (one bug often shows as two kinds, e.g. a double
	 * free and the use after free it makes).
	 */
	struct {
		char checker[32], kind[48];
	} also[8];
	size_t nr_also;
};

int fz_ctx_init(struct fz_ctx *ctx, const p2psim_topology *topo, const char *weights,
		unsigned int steps, const char *inject, char *msg, size_t len);
void fz_ctx_destroy(struct fz_ctx *ctx);

void fz_rng_seed(struct fz_rng *rng, u64 seed);
u64 fz_sequence_seed(u64 campaign_seed, u64 k);

/* Generate one sequence. 0 or -ENOMEM. */
int fz_generate(struct fz_ctx *ctx, struct fz_rng *rng, struct fz_seq *seq);
void fz_seq_free(struct fz_seq *seq);
int fz_seq_add(struct fz_seq *seq, bool excused, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int fz_seq_copy(struct fz_seq *dst, const struct fz_seq *src);

/* One violation of a run. */
struct fz_violation {
	int line;
	char checker[32];
	char kind[48];
	char message[512];
	bool claimed;
};

struct fz_outcome {
	int line;
	char err[16]; /* "" for a faulted DMA */
};

struct fz_result {
	int status; /* P2PSIM_* of the run */
	struct fz_violation *v;
	size_t nr_v, cap_v;
	struct fz_outcome *o;
	size_t nr_o, cap_o;
};

/*
 * Recompute which lines of @seq are deliberate mistakes (annotate.c), given
 * the outcomes of a run of it (@res may be NULL: before any run).
 */
void fz_annotate(const struct fz_ctx *ctx, struct fz_seq *seq, const struct fz_result *res);

/*
 * Run @seq in-process with every checker on, then fz_annotate() it with the
 * outcomes; @text_out: a text report (may be NULL).
 */
int fz_exec(struct fz_ctx *ctx, struct fz_seq *seq, struct fz_result *res, FILE *text_out);
void fz_result_free(struct fz_result *res);
/*
 * Is @v what a deliberate mistake of @seq earns (on an excused line, or at
 * the end of a run with mistakes)? Never for a kernel hang.
 */
bool fz_excused(const struct fz_seq *seq, const struct fz_violation *v);
/* The first unexcused violation of @res (a finding), or NULL. */
const struct fz_violation *fz_finding(const struct fz_seq *seq, const struct fz_result *res);
/* Does @seq still give an unexcused @checker/@kind violation? */
bool fz_reproduces(struct fz_ctx *ctx, struct fz_seq *seq, const char *checker, const char *kind);
/* Delta-debug @seq (steps, then arguments) keeping the checker/kind finding. */
int fz_minimise(struct fz_ctx *ctx, struct fz_seq *seq, const char *checker, const char *kind);
/* The scenario text of @seq with acknowledgments and claims (see exec.c); malloc'd. */
char *fz_render(const struct fz_seq *seq, const struct fz_result *res, size_t *len);

#endif /* P2PSIM_SIM_FUZZ_INTERNAL_H */
