/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * scenario.h - the scenario language (docs/scenario.md): the parsed form.
 *
 * A scenario is line-oriented text, one step per line. The parser turns it
 * into a flat array of steps, each remembering its file and line, and a
 * symbol table of the named buffers and handles the steps refer to. Parsing
 * needs no topology and no world: names of devices are kept as text and
 * resolved by the runner (run.c), which reports unknown ones with the line.
 *
 * Owned here: struct scenario, struct scn_step, struct scn_symbol, patterns.
 *
 * Invariants after a successful parse:
 *  - every step's symbol references point into scenario->syms;
 *  - a buffer is defined once, before any use; a handle is defined by a map
 *    step before any use and is never re-mapped while still mapped (in the
 *    straight-line order of the file);
 *  - setup steps (seed, iommu, schedule, fd-limit) come before every other step;
 *  - every `expect` of an outcome (ok/error/fault/no-fault) follows a step
 *    that has one (map, map-sg, dma, the two-step, dma-buf, VFIO and event steps).
 *
 * Threads: a `thread NAME:` header and its indented body make a simulated
 * thread; a run of consecutive blocks is one concurrent section that the
 * next unindented step joins. Each step carries its thread (0: the main
 * thread, else 1 + an index into scenario->threads); the steps of a section
 * are stored block by block, in file order. Symbols follow the file order
 * whatever the thread (defined before use), and an `expect` pairs with the
 * previous outcome step of its own thread.
 */
#ifndef P2PSIM_SIM_SCENARIO_SCENARIO_H
#define P2PSIM_SIM_SCENARIO_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include "p2psim/error.h"
#include "models/types.h"

enum scn_verb {
	/* setup (before anything else) */
	SCN_SEED,
	SCN_IOMMU,
	/* memory */
	SCN_BUF,
	SCN_FILL,
	SCN_DMA_MASK,
	/* streaming DMA API */
	SCN_MAP,
	SCN_MAP_SG,
	SCN_UNMAP,
	SCN_SYNC,
	/* device DMA */
	SCN_DMA_READ,
	SCN_DMA_WRITE,
	/* time, devices, narration */
	SCN_ADVANCE,
	SCN_RELEASE,
	SCN_ECHO,
	/* expectations */
	SCN_EXPECT_OK,
	SCN_EXPECT_ERROR,
	SCN_EXPECT_FAULT,
	SCN_EXPECT_NO_FAULT,
	SCN_EXPECT_DATA,
	SCN_EXPECT_MAPTYPE,
	SCN_EXPECT_COUNT,
	SCN_EXPECT_VIOLATION,
	SCN_EXPECT_P2P,
	/* the two-step IOVA API and the HMM helpers (sim/scenario/twostep.c) */
	SCN_IOVA_ALLOC,
	SCN_IOVA_LINK,
	SCN_IOVA_SYNC,
	SCN_IOVA_UNLINK,
	SCN_IOVA_DESTROY,
	SCN_IOVA_FREE,
	SCN_HMM_ALLOC,
	SCN_HMM_MAP,
	SCN_HMM_UNMAP,
	SCN_HMM_FREE,
	SCN_BLK_MAP,
	SCN_BLK_UNMAP,
	/* threads: the scheduling of `thread NAME:` blocks (setup) */
	SCN_SCHEDULE,
	/* dma-buf, VFIO and device events (sim/scenario/dmabuf.c) */
	SCN_FD_LIMIT, /* setup */
	SCN_VFIO_BIND,
	SCN_VFIO_OPEN,
	SCN_VFIO_MMAP,
	SCN_DMABUF_EXPORT,
	SCN_DMABUF_IMPORT,
	SCN_DMABUF_MAP,
	SCN_DMABUF_UNMAP,
	SCN_DMABUF_DMA,
	SCN_DMABUF_RELEASE,
	SCN_DMABUF_ACCESS_PIN,
	SCN_DMABUF_CLOSE,
	SCN_DMABUF_FENCE,
	SCN_DMABUF_SIGNAL,
	SCN_EVENT,
	SCN_EXPECT_REVOKED,
	SCN_EXPECT_NOT_REVOKED,
	SCN__NR_VERBS
};

/* Fill / expected-data patterns: value of byte i of the region they apply to. */
enum scn_pattern_kind {
	SCN_PAT_BYTE, /* every byte the same: 0xNN, zero, ones */
	SCN_PAT_SEQ, /* (start + i) & 0xff */
	SCN_PAT_RAND, /* seeded stream keyed by (scenario seed, key) */
	SCN_PAT_TEXT, /* a quoted string, repeated */
};

struct scn_pattern {
	enum scn_pattern_kind kind;
	u8 byte; /* BYTE: the value; SEQ: the start */
	u64 key; /* RAND: the key */
	char *text; /* TEXT: bytes (may hold NUL), owned */
	size_t text_len;
};

enum scn_symbol_kind {
	SCN_SYM_BUFFER,
	SCN_SYM_HANDLE,
	SCN_SYM_IOVA, /* iova-alloc: a struct dma_iova_state */
	SCN_SYM_HMM, /* hmm-alloc: a struct hmm_dma_map */
	SCN_SYM_BLK, /* blk-map: a request mapped by the block-layer mapper */
	SCN_SYM_DMABUF, /* dmabuf-export: a dma-buf (its fd) */
	SCN_SYM_IMPORTER, /* dmabuf-import: an importer of a dma-buf */
};

/* A named buffer (buf) or handle (map, map-sg). */
struct scn_symbol {
	char *name;
	enum scn_symbol_kind kind;
	int line; /* where it was defined (first map, for handles) */
	bool is_sg; /* handle: defined by map-sg (the last map that defined it) */
	bool is_bar; /* buffer: a BAR range (bar=DEV:N), not RAM */
};

/*
 * NAME[@OFF][+LEN], ADDR[+LEN], bus:NAME[@OFF][+LEN], phys:NAME[@OFF][+LEN].
 * Offsets and lengths are checked against the real sizes by the runner.
 */
enum scn_ref_kind {
	SCN_REF_SYMBOL, /* a buffer (CPU side) or a handle (device side) */
	SCN_REF_ADDR, /* a raw address a device is programmed with */
	SCN_REF_BUS, /* the PCI bus address of a BAR buffer */
	SCN_REF_PHYS, /* the CPU physical address of a buffer */
};

struct scn_ref {
	enum scn_ref_kind kind;
	int sym; /* index into scenario->syms, -1 for SCN_REF_ADDR */
	u64 addr; /* SCN_REF_ADDR */
	u64 off;
	u64 len;
	bool len_given;
	int col;
};

/* dmabuf-import as=KIND */
enum scn_importer_kind {
	SCN_IMP_MLX5, /* RDMA dynamic ODP-style MR */
	SCN_IMP_IRDMA, /* RDMA pinned revocable MR */
	SCN_IMP_RDMA_PINNED, /* RDMA pinned non-revocable MR */
	SCN_IMP_IOMMUFD, /* iommufd pinned revocable iopt_pages */
	SCN_IMP_DYNAMIC, /* a plain dynamic importer */
	SCN_IMP_STATIC, /* dma_buf_attach() */
};

/* event DEV KIND */
enum scn_dev_event {
	SCN_EV_MEM_OFF,
	SCN_EV_MEM_ON,
	SCN_EV_D3HOT,
	SCN_EV_D0,
	SCN_EV_FLR,
	SCN_EV_AF_FLR,
	SCN_EV_RESET,
	SCN_EV_HOT_RESET,
	SCN_EV_LOWPOWER_ENTER,
	SCN_EV_LOWPOWER_EXIT,
	SCN_EV_WAKE,
	SCN_EV_CLOSE,
	SCN_EV_UNPLUG,
};

/* event DEV hot-reset fail=... */
enum scn_event_fail {
	SCN_FAIL_NONE,
	SCN_FAIL_BUS, /* pci_reset_bus() fails */
	SCN_FAIL_BUSY, /* fail=busy:DEV: DEV's memory_lock is held by someone else */
	SCN_FAIL_OWNER, /* fail=owner:DEV: DEV is not owned by the caller */
};

/* yes / no options that default to what the kernel does */
enum scn_tristate {
	SCN_DEFAULT = 0,
	SCN_NO,
	SCN_YES,
};

struct scn_range {
	u64 off;
	u64 len;
};

/* The arguments of the dma-buf / VFIO / event steps (docs/scenario.md). */
struct scn_dmabuf_args {
	int buf_sym; /* the dma-buf NAME (-1: none) */
	int buf_col;
	int imp_sym; /* the importer IMP (-1: none) */
	int imp_col;
	/* vfio-bind */
	char *set; /* set=NAME, NULL: its own set */
	bool nvgrace; /* variant=nvgrace */
	enum scn_tristate reset, non_mappable_bars, owned;
	bool ops_none; /* ops=none: vdev->pci_ops NULL */
	/* vfio-mmap / dmabuf-export */
	int bar;
	/* dmabuf-export */
	struct scn_range *ranges; /* NULL: the whole region */
	u32 nr_ranges_listed;
	bool ranges_unreadable; /* ranges=unreadable: copy_from_user faults */
	int feature; /* 0 get, 1 set, 2 probe */
	bool argsz_given;
	u64 argsz;
	u64 flags;
	bool nr_ranges_given; /* nr-ranges=N overrides the count the ranges give */
	u64 nr_ranges;
	/* dmabuf-import */
	enum scn_importer_kind kind;
	u64 off;
	bool len_given;
	u64 len;
	bool iova_given;
	u64 iova;
	bool defer_unmap; /* on-invalidate=defer */
	/* dmabuf-dma (the pattern is the step's data) */
	bool write;
	/* dmabuf-fence */
	int usage; /* enum dma_resv_usage */
	bool stuck;
	/* event */
	enum scn_dev_event event;
	enum scn_event_fail fail;
	int fail_col; /* fail=...:DEV names st->dev2 */
};

enum scn_cmp {
	SCN_CMP_EQ,
	SCN_CMP_NE,
	SCN_CMP_LT,
	SCN_CMP_LE,
	SCN_CMP_GT,
	SCN_CMP_GE,
};

/* Option/argument values given or not; fields that do not apply stay 0. */
struct scn_step {
	enum scn_verb verb;
	int line;
	int thread; /* 0: the main thread (room for `thread NAME:` blocks) */
	char *src; /* the step as written, trimmed, without its comment */

	char *dev; /* device id or BDF (iommu, dma-mask, map*, dma, release, expect p2p) */
	int dev_col;
	char *dev2; /* expect p2p: the provider device */
	int sym; /* buf/map/map-sg: symbol defined; unmap/sync/expect maptype: used */
	int sym_col;

	/* buf */
	u64 size;
	bool at_given;
	u64 at; /* buf: fixed physical address */
	u64 align; /* buf: alignment (0: page); dma-mask: min-align= (at_given: given) */
	char *bar_dev; /* buf bar=DEV:N */
	int bar_index;
	u64 bar_off;
	bool has_fill;
	struct scn_pattern fill;

	/* map / map-sg / unmap / sync / fill / dma / expect data */
	int dir; /* enum dma_data_direction */
	bool dir_given;
	unsigned long attrs;
	bool unchecked; /* map: do not call dma_mapping_error() */
	struct scn_ref *refs; /* map: 1, map-sg: nr_refs, fill/expect data/dma: 1 */
	size_t nr_refs;

	/* unmap / sync deliberate mistakes */
	bool size_given; /* unmap size= / sync len= */
	u64 bad_size;
	bool off_given; /* sync off= */
	u64 sync_off;
	bool nents_given;
	int nents;
	int as_sg; /* -1 as mapped, 0 as=single, 1 as=sg */
	bool for_cpu; /* sync */

	/* dma */
	bool has_data; /* write data= / read expect= */
	struct scn_pattern data;

	/* seed, advance, iommu, dma-mask */
	u64 value; /* seed value, ns to advance, mask bits */
	int mode; /* iommu: enum iommu_mode */

	/* expect */
	int err; /* expect error: positive errno, 0 = any */
	char *what; /* expect fault kind / maptype / counter / checker / p2p type */
	char *rule; /* expect violation: optional rule id */
	enum scn_cmp cmp;
	u64 count;
	int seg; /* expect maptype seg=N; dma seg=N */

	char *text; /* echo */

	bool fail_sync_map; /* hmm-map fault=sync-map: its iotlb_sync_map fails */
	bool fail_swiotlb; /* iova-link fault=swiotlb-full: every bounce slot search fails */

	struct scn_dmabuf_args *dmabuf; /* dma-buf, VFIO and event steps; owned */
};

/* A `thread NAME:` block. */
struct scn_thread {
	char *name;
	int line; /* its header */
	int section; /* 1-based: the concurrent section it belongs to */
};

/* What the scheduler runs when the schedule does not name a thread. */
enum scn_sched_policy {
	SCN_SCHED_ROUND_ROBIN, /* the next runnable thread at every step boundary */
	SCN_SCHED_SERIAL, /* a thread runs until it finishes or blocks */
};

/* One N:NAME of a schedule: at choice point N, thread NAME runs. */
struct scn_sched_pick {
	u64 index;
	char *name;
	int col; /* in the `schedule` line (0 for --schedule) */
};

/* `schedule [round-robin|serial] [N:NAME ...]` (docs/scenario.md). */
struct scn_schedule {
	bool given;
	int line;
	enum scn_sched_policy policy;
	struct scn_sched_pick *picks; /* increasing indices */
	size_t nr_picks;
};

struct scenario {
	char *path; /* file name used in messages */
	struct scn_step *steps;
	size_t nr_steps;
	struct scn_symbol *syms;
	size_t nr_syms;
	bool seed_given;
	u64 seed;
	struct scn_thread *threads; /* step->thread - 1 indexes this */
	size_t nr_threads;
	int nr_sections;
	struct scn_schedule schedule;
	u64 fd_limit; /* fd-limit N (0: the default, 64) */
};

#define SCN_MAX_SECTION_THREADS 64 /* threads in one concurrent section */

/*
 * Parse @len bytes of @text; @path names the file in messages. Returns 0 and
 * *@out, or a negative errno with @err set: -EINVAL (P2PSIM_EINPUT, with
 * FILE:LINE:COL) or -ENOMEM (P2PSIM_EINTERNAL).
 */
int scenario_parse_buffer(const char *text, size_t len, const char *path, struct scenario **out,
			  struct p2psim_error *err);

/* Read and parse @path. -ENOENT etc. (P2PSIM_EINPUT "cannot read") on I/O failure. */
int scenario_parse_file(const char *path, struct scenario **out, struct p2psim_error *err);

void scenario_free(struct scenario *scn);

const char *scn_verb_name(enum scn_verb verb);

/* Byte @i of @pat for a scenario run with @seed. */
u8 scn_pattern_byte(const struct scn_pattern *pat, u64 seed, u64 i);

/* Fill @buf (@len bytes) with @pat starting at pattern index @start. */
void scn_pattern_fill(const struct scn_pattern *pat, u64 seed, u64 start, u8 *buf, size_t len);

/* "0xa5", "seq", "seq:16", "rand:3", "\"text\"", for messages. */
void scn_pattern_describe(const struct scn_pattern *pat, char *buf, size_t len);

/* Parsing helpers, shared with the tests. 0 or -EINVAL / -ERANGE. */
int scn_parse_number(const char *tok, u64 *out);
int scn_parse_size(const char *tok, u64 *out);
int scn_parse_duration(const char *tok, u64 *ns_out);

/*
 * A schedule SPEC as words ("serial", "3:rev", ...): 0 and *@out (free it
 * with scn_schedule_free), -EINVAL with @msg and *@bad (the word at fault),
 * or -ENOMEM. Thread names are checked by the caller.
 */
int scn_schedule_parse(const char *const *words, size_t nr_words, struct scn_schedule *out,
		       char *msg, size_t msg_len, size_t *bad);
void scn_schedule_free(struct scn_schedule *sched);
const char *scn_sched_policy_name(enum scn_sched_policy policy);

/* "ENOMEM" -> 12; 0 when unknown. And back. */
int scn_errno_from_name(const char *name);
const char *scn_errno_name(int err);

#endif /* P2PSIM_SIM_SCENARIO_SCENARIO_H */
