// SPDX-License-Identifier: GPL-2.0-only
/*
 * run.c - the scenario runner behind `p2psim run` (include/p2psim/run.h,
 * docs/scenario.md).
 *
 * A run has three phases:
 *  1. bind: resolve every device name, BAR and buffer of the parsed scenario
 *     against the topology and check every offset and length, so that bad
 *     input is reported (FILE:LINE:COL, exit 2) before anything executes;
 *  2. execute: build a world, apply the setup steps, subscribe the checkers
 *     and the trace writer to the event bus, then run the steps in order,
 *     telling the bus the current line and the route oracle the intent of
 *     each device DMA; evaluate `expect` lines as they come;
 *  3. teardown and report: release every device the scenario used (driver
 *     unbind), let the checkers finish, print violations (except those an
 *     `expect violation` claimed), failed expectations and the summary.
 *
 * Threads: the steps of a concurrent section (`thread NAME:` blocks) run
 * under the deterministic scheduler (sim/sched), one simulated thread at a
 * time. What run_step() keeps about "the previous step" (its outcome, the
 * events seen, the line an `expect violation` looks at) is per thread: the
 * scheduler's switch hook saves it into the stopping thread's struct
 * thread_rt and loads the next one's, and stamps the event bus with the line
 * that thread is executing. The choice points of the run are numbered as
 * sim/sched does; a `schedule` line (or --schedule, or --explore's prefix)
 * decides them (explore.c).
 *
 * Owned here: struct runner and the per-run state of buffers and handles.
 * The runner drives the kernel code (src/dma/mapping.h) the way a driver
 * would; it never reaches into a checker's state.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "models/iommu/iommu_hw.h"
#include "models/mem/physmem.h"
#include "models/pci/route.h"
#include "p2psim/run.h"
#include "sim/check/check.h"
#include "sim/fuzz/catalogue.h"
#include "sim/scenario/dmabuf.h"
#include "sim/scenario/explore.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/trace.h"
#include "sim/scenario/twostep.h"
#include "sim/sched/sched.h"
#include "sim/topology/topology_internal.h"
#include "sim/world.h"
#include "src/dma-buf/dma-buf.h"
#include "src/dma/mapping.h"
#include "src/iommu/iommu.h"
#include "src/kernel_profile.h"
#include "src/pci/p2pdma.h"

#define MAX_DMA_BYTES (1ULL << 30) /* one dma step moves at most 1 GiB */
/* The CPU writes or checks at most this much per step: memory is sparse (a
 * 1 TiB buffer costs nothing until written), a fill of all of it would not be. */
#define MAX_CPU_BYTES (1ULL << 30)

/* What a handle's mapping is, for `expect maptype`. */
enum map_kind {
	MAP_KIND_NONE = 0,
	MAP_KIND_DIRECT,
	MAP_KIND_IOMMU,
	MAP_KIND_BOUNCE,
	MAP_KIND_BUS_ADDR,
	MAP_KIND_THRU_HOST_BRIDGE,
};

static const char *const map_kind_names[] = {
	[MAP_KIND_NONE] = "none",	  [MAP_KIND_DIRECT] = "direct",
	[MAP_KIND_IOMMU] = "iommu",	  [MAP_KIND_BOUNCE] = "bounce",
	[MAP_KIND_BUS_ADDR] = "bus-addr", [MAP_KIND_THRU_HOST_BRIDGE] = "thru-host-bridge",
};

/* A buffer, resolved. */
struct buf_rt {
	phys_addr_t phys;
	u64 size;
	const struct pci_dev *bar_dev; /* BAR buffer: its function */
	int bar;
	pci_bus_addr_t bus; /* BAR buffer: bus address of byte 0 */
};

/* A handle's current (or last) mapping. */
struct handle_rt {
	const struct scn_step *map_step; /* the map / map-sg that defined it last */
	struct device *dev;
	bool mapped; /* mapped and not unmapped since */
	bool failed; /* the last map failed */
	bool is_sg;
	int dir;
	unsigned long attrs;
	/* single */
	dma_addr_t addr;
	u64 len;
	phys_addr_t phys;
	enum map_kind kind;
	bool unmap_needed; /* false for a bus-address P2P mapping: nothing to undo */
	/* scatter-gather */
	struct scatterlist *sgl;
	struct sg_table sgt;
	enum map_kind *seg_kind; /* per original entry */
	enum map_kind ram_kind; /* what the RAM entries got */
};

/* The outcome of the last map / map-sg / dma step. */
struct outcome {
	const struct scn_step *step;
	bool failed;
	int err; /* map: negative errno */
	enum route_status fault; /* dma: why the described chunk failed */
	bool faulted; /* dmabuf-dma: it failed because a TLP faulted (like a dma step) */
	bool acknowledged;
};

/* Events seen during the current step (our own bus subscriber). */
struct step_events {
	unsigned int swiotlb_maps;
	unsigned int iommu_maps;
	int last_map_ret;
};

struct failure {
	int line;
	char *message;
};

struct runner;

/* A simulated thread (0: the main thread): what run_step() keeps per thread. */
struct thread_rt {
	struct runner *r;
	int id;
	struct outcome last;
	struct step_events sev;
	int last_action_line;
	int line; /* the bus's current line when it stopped */
	int kernel_thread; /* the dma-buf model's current_thread when it stopped */
	size_t first_step, nr_steps; /* its block (a section's thread) */
};

struct runner {
	const struct scenario *scn;
	const struct topology *topo;
	const struct p2psim_run_opts *opts;
	FILE *out;
	struct p2psim_error *err;
	u64 seed;

	/* bind results, indexed like the scenario */
	const struct pci_dev **step_dev; /* per step: dev (and bar_dev for buf) */
	const struct pci_dev **step_dev2; /* per step: expect p2p provider */
	struct buf_rt *bufs; /* per symbol (buffers only) */
	struct handle_rt *handles; /* per symbol (handles only) */
	struct scn_twostep *twostep; /* per symbol: iova-* reservations and hmm-* maps */
	struct scn_dmabuf *dmabuf; /* dma-buf / VFIO / event steps; NULL when there are none */

	/* execution */
	p2psim_world *pw;
	struct world *w;
	struct pci_router *router;
	struct checkers *checkers;
	struct trace_writer *trace;
	FILE *trace_file;
	struct step_events sev;
	struct outcome last;
	int last_action_line;
	bool *dev_used; /* per world device */
	bool *claimed; /* per violation */
	size_t nr_traced_violations; /* violations already written to the trace */
	size_t nr_claimed_cap;

	struct failure *failures;
	size_t nr_failures, cap_failures;
	struct p2psim_run_summary sum;

	/* --inject: the historic bugs re-enabled, and the kernel profile they switch */
	struct bug_set bugs;
	struct kernel_profile profile;

	/* threads: [0] the main thread, [i] the scenario's thread i */
	struct thread_rt *threads;
	int cur_thread; /* whose context r->last / r->sev / r->last_action_line hold */
	struct sched *sched; /* NULL when the scenario has no threads */
	size_t section_threads; /* threads of the section running now */
	int thread_error; /* a step of a thread could not run: the run stops */
	struct run_sched *rs; /* the caller's script and record (may be NULL) */
	const struct scn_schedule *spec; /* the schedule in force (may be NULL) */
	struct dmabuf_sys *kernel; /* the dma-buf model's blocking and preemption hooks are ours */
	/* a section just joined: `expect violation` claims from any of its lines */
	bool claim_section;
	int section_first_line, section_last_line;
};

/* --- small helpers --------------------------------------------------------- */

static int input_error(struct runner *r, const struct scn_step *st, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int input_error(struct runner *r, const struct scn_step *st, int col, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p2psim_error_set(r->err, P2PSIM_EINPUT, r->scn->path, st ? st->line : 0, col, "%s", msg);
	return -EINVAL;
}

static int internal_error(struct runner *r, const char *what, int ret)
{
	p2psim_error_set(r->err, P2PSIM_EINTERNAL, NULL, 0, 0, "%s: %s", what, strerror(-ret));
	return ret;
}

static void fail(struct runner *r, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct runner *r, int line, const char *fmt, ...)
{
	char msg[1024];
	struct json_object *fields;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->sum.expects_failed++;
	if (r->trace) {
		fields = json_object_new_object();
		if (fields)
			json_object_object_add(fields, "message", json_object_new_string(msg));
		trace_writer_record(r->trace, r->w ? r->w->m->now_ns : 0, line, "expect_failed",
				    fields);
	}
	if (r->nr_failures == r->cap_failures) {
		size_t cap = r->cap_failures ? r->cap_failures * 2 : 8;
		struct failure *f = realloc(r->failures, cap * sizeof(*f));

		if (!f)
			return;
		r->failures = f;
		r->cap_failures = cap;
	}
	r->failures[r->nr_failures].line = line;
	r->failures[r->nr_failures].message = strdup(msg);
	if (r->failures[r->nr_failures].message)
		r->nr_failures++;
}

/*
 * A failure that is not an `expect` line's (an outcome nobody acknowledged,
 * a step that could not run): it counts as one more expectation, failed,
 * so the summary's "N/M expects passed" stays true.
 */
static void fail_step(struct runner *r, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail_step(struct runner *r, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->sum.expects++;
	fail(r, line, "%s", msg);
}

static const char *sym_name(const struct runner *r, int sym)
{
	return r->scn->syms[sym].name;
}

static bool text_out(const struct runner *r)
{
	return r->opts->format == P2PSIM_FORMAT_TEXT && !r->opts->silent;
}

/* --- bind ------------------------------------------------------------------ */

static const struct pci_dev *find_dma_dev(struct runner *r, const struct scn_step *st,
					  const char *name, int col)
{
	const struct pci_dev *pdev = pci_fabric_find(r->topo->fabric, name);

	if (!pdev) {
		input_error(r, st, col, "no device '%s' in topology '%s'", name, r->topo->name);
		return NULL;
	}
	if (!pci_is_dma_capable(pdev)) {
		input_error(r, st, col, "'%s' is a %s: it does not issue DMA", name,
			    pci_dev_type_name(pdev->type));
		return NULL;
	}
	return pdev;
}

static int bind_bar_buffer(struct runner *r, const struct scn_step *st, struct buf_rt *b)
{
	const struct pci_dev *pdev = pci_fabric_find(r->topo->fabric, st->bar_dev);
	const struct pci_bar *bar;
	int idx = st->bar_index;

	if (!pdev)
		return input_error(r, st, st->dev_col, "no device '%s' in topology '%s'",
				   st->bar_dev, r->topo->name);
	if (idx < 0) {
		for (int i = 0; i < PCI_NUM_BARS && idx < 0; i++)
			if (pdev->bars[i].p2pmem && pdev->bars[i].kind != PCI_BAR_IO &&
			    pdev->bars[i].kind != PCI_BAR_NONE)
				idx = i;
		for (int i = 0; i < PCI_NUM_BARS && idx < 0; i++)
			if (pdev->bars[i].kind == PCI_BAR_MEM32 ||
			    pdev->bars[i].kind == PCI_BAR_MEM64)
				idx = i;
		if (idx < 0)
			return input_error(r, st, st->dev_col, "'%s' has no memory BAR",
					   st->bar_dev);
	}
	bar = &pdev->bars[idx];
	if (bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64)
		return input_error(r, st, st->dev_col, "BAR %d of '%s' is not a memory BAR", idx,
				   st->bar_dev);
	if (st->bar_off >= bar->size_bytes || st->size > bar->size_bytes - st->bar_off)
		return input_error(
			r, st, st->dev_col,
			"%llu bytes at offset %llu do not fit in BAR %d of '%s' (%llu bytes)",
			(unsigned long long)st->size, (unsigned long long)st->bar_off, idx,
			st->bar_dev, (unsigned long long)bar->size_bytes);
	b->bar_dev = pdev;
	b->bar = idx;
	b->phys = bar->cpu_addr + st->bar_off;
	b->bus = bar->bus_addr + st->bar_off;
	b->size = st->size;
	return 0;
}

static bool ram_contains(const struct topology *topo, u64 base, u64 size)
{
	for (size_t i = 0; i < topo->nr_ram; i++)
		if (base >= topo->ram[i].base && size <= topo->ram[i].size_bytes &&
		    base - topo->ram[i].base <= topo->ram[i].size_bytes - size)
			return true;
	return false;
}

/* A region of a buffer: [off, off+len) must lie inside it. */
static int bind_region(struct runner *r, const struct scn_step *st, const struct scn_ref *ref,
		       u64 size, const char *what)
{
	u64 len = ref->len_given ? ref->len : size - (ref->off < size ? ref->off : size);

	if (ref->off >= size || len > size - ref->off)
		return input_error(
			r, st, ref->col,
			"%s '%s': offset %llu + length %llu is past its end (%llu bytes)", what,
			sym_name(r, ref->sym), (unsigned long long)ref->off,
			(unsigned long long)len, (unsigned long long)size);
	return 0;
}

static u64 ref_len(const struct scn_ref *ref, u64 size)
{
	return ref->len_given ? ref->len : size - ref->off;
}

static int bind(struct runner *r)
{
	const struct scenario *scn = r->scn;
	u64 *handle_len = calloc(scn->nr_syms ? scn->nr_syms : 1, sizeof(*handle_len));
	int ret = 0;

	if (!handle_len)
		return internal_error(r, "bind", -ENOMEM);
	for (size_t i = 0; i < scn->nr_steps && !ret; i++) {
		const struct scn_step *st = &scn->steps[i];
		const struct pci_dev *pdev = NULL;

		if (st->dev && !(st->verb == SCN_IOMMU && !strcmp(st->dev, "all"))) {
			pdev = find_dma_dev(r, st, st->dev, st->dev_col);
			if (!pdev) {
				ret = -EINVAL;
				break;
			}
			r->step_dev[i] = pdev;
		}
		switch (st->verb) {
		case SCN_IOMMU:
			if (pdev && !pdev->host->iommu_id)
				ret = input_error(
					r, st, st->dev_col,
					"'%s' has no IOMMU (its host bridge '%s' has none)",
					st->dev, pdev->host->id);
			break;
		case SCN_EVENT:
			if (st->dev2) {
				r->step_dev2[i] =
					find_dma_dev(r, st, st->dev2, st->dmabuf->fail_col);
				if (!r->step_dev2[i])
					ret = -EINVAL;
			}
			break;
		case SCN_EXPECT_P2P:
			r->step_dev2[i] = pci_fabric_find(r->topo->fabric, st->dev2);
			if (!r->step_dev2[i])
				ret = input_error(r, st, 0, "no device '%s' in topology '%s'",
						  st->dev2, r->topo->name);
			break;
		case SCN_BUF:
			if (st->has_fill && st->size > MAX_CPU_BYTES &&
			    (st->bar_dev || st->fill.kind != SCN_PAT_BYTE || st->fill.byte))
				ret = input_error(
					r, st, 0,
					"fill= covers at most 1 GiB (this buffer is %llu bytes)",
					(unsigned long long)st->size);
			if (ret)
				break;
			if (st->bar_dev) {
				ret = bind_bar_buffer(r, st, &r->bufs[st->sym]);
				break;
			}
			r->bufs[st->sym].size = st->size;
			r->bufs[st->sym].bar = -1;
			if (st->at_given && !ram_contains(r->topo, st->at, st->size))
				ret = input_error(
					r, st, 0,
					"buffer '%s' at 0x%llx (+%llu bytes) is not inside RAM",
					sym_name(r, st->sym), (unsigned long long)st->at,
					(unsigned long long)st->size);
			break;
		case SCN_FILL:
		case SCN_EXPECT_DATA:
			ret = bind_region(r, st, &st->refs[0], r->bufs[st->refs[0].sym].size,
					  "buffer");
			if (!ret &&
			    ref_len(&st->refs[0], r->bufs[st->refs[0].sym].size) > MAX_CPU_BYTES)
				ret = input_error(r, st, st->refs[0].col,
						  "a %s step covers at most 1 GiB",
						  st->verb == SCN_FILL ? "fill" : "expect data");
			break;
		case SCN_IOVA_LINK:
		case SCN_HMM_MAP:
		case SCN_BLK_MAP:
			for (size_t k = 0; k < st->nr_refs && !ret; k++)
				ret = bind_region(r, st, &st->refs[k],
						  r->bufs[st->refs[k].sym].size, "buffer");
			break;
		case SCN_MAP:
		case SCN_MAP_SG: {
			u64 total = 0;

			for (size_t k = 0; k < st->nr_refs && !ret; k++) {
				u64 len;

				ret = bind_region(r, st, &st->refs[k],
						  r->bufs[st->refs[k].sym].size, "buffer");
				len = ref_len(&st->refs[k], r->bufs[st->refs[k].sym].size);
				if (!ret && st->verb == SCN_MAP_SG && len > UINT32_MAX)
					ret = input_error(
						r, st, st->refs[k].col,
						"a scatterlist entry holds at most 4 GiB - 1");
				total += len;
			}
			handle_len[st->sym] = st->verb == SCN_MAP ? total : 0; /* sg: per segment */
			break;
		}
		case SCN_DMA_READ:
		case SCN_DMA_WRITE: {
			const struct scn_ref *ref = &st->refs[0];
			u64 len = ref->len;

			if (ref->kind == SCN_REF_BUS || ref->kind == SCN_REF_PHYS) {
				ret = bind_region(r, st, ref, r->bufs[ref->sym].size, "buffer");
				len = ref_len(ref, r->bufs[ref->sym].size);
			} else if (ref->kind == SCN_REF_SYMBOL && handle_len[ref->sym]) {
				ret = bind_region(r, st, ref, handle_len[ref->sym], "handle");
				len = ref_len(ref, handle_len[ref->sym]);
			}
			if (!ret && len > MAX_DMA_BYTES)
				ret = input_error(r, st, ref->col,
						  "one dma step moves at most 1 GiB");
			break;
		}
		case SCN_EXPECT_COUNT: {
			static const char *const counters[] = {
				"steps",	"dmas",
				"bytes",	"maps",
				"unmaps",	"faults",
				"iommu-faults", "iotlb-hits",
				"iotlb-misses", "iotlb-invalidations",
				"bounces",	"exposures",
				"violations",
			};
			bool ok = false;

			for (size_t k = 0; k < sizeof(counters) / sizeof(counters[0]); k++)
				ok |= !strcmp(st->what, counters[k]);
			if (!ok)
				ret = input_error(
					r, st, 0,
					"unknown counter '%s' (steps, dmas, bytes, maps, unmaps, "
					"faults, iommu-faults, iotlb-hits, iotlb-misses, "
					"iotlb-invalidations, bounces, exposures, violations)",
					st->what);
			break;
		}
		case SCN_EXPECT_VIOLATION:
			if (!checkers_describe(st->what))
				ret = input_error(r, st, 0, "unknown checker '%s'", st->what);
			break;
		default:
			break;
		}
	}
	free(handle_len);
	return ret;
}

/* --- event subscriber for per-step facts ----------------------------------- */

static void step_event(void *ctx, const struct sim_event *ev)
{
	struct runner *r = ctx;

	switch (ev->kind) {
	case EV_SWIOTLB_MAP:
		r->sev.swiotlb_maps++;
		break;
	case EV_IOMMU_MAP:
		r->sev.iommu_maps++;
		break;
	case EV_DMA_MAP:
	case EV_DMA_MAP_SG:
		r->sev.last_map_ret = ev->ret;
		break;
	default:
		break;
	}
}

/* --- setup ----------------------------------------------------------------- */

static int world_mode(int mode)
{
	switch (mode) {
	case IOMMU_MODE_STRICT:
		return P2PSIM_IOMMU_MODE_STRICT;
	case IOMMU_MODE_LAZY:
		return P2PSIM_IOMMU_MODE_LAZY;
	case IOMMU_MODE_PASSTHROUGH:
		return P2PSIM_IOMMU_MODE_PASSTHROUGH;
	default:
		return P2PSIM_IOMMU_MODE_OFF;
	}
}

static struct device *world_dev(struct runner *r, const struct pci_dev *pdev)
{
	for (size_t i = 0; i < r->w->nr_devs; i++)
		if (r->w->devs[i].pdev == pdev)
			return &r->w->devs[i];
	return NULL;
}

static void mark_used(struct runner *r, const struct device *dev)
{
	r->dev_used[dev - r->w->devs] = true;
}

/*
 * Buffers with a fixed address (at=) are placed before any step runs, so
 * that a buffer allocated earlier in the file cannot take their place and a
 * clash is reported before anything is printed.
 */
static int place_fixed_buffers(struct runner *r)
{
	struct p2psim_error werr;

	for (size_t i = 0; i < r->scn->nr_steps; i++) {
		const struct scn_step *st = &r->scn->steps[i];

		if (st->verb != SCN_BUF || !st->at_given)
			continue;
		p2psim_error_clear(&werr);
		if (p2psim_buffer_alloc_at(r->pw, sym_name(r, st->sym), st->at, st->size, &werr) !=
		    P2PSIM_OK)
			return input_error(r, st, 0, "%s", werr.message);
		r->bufs[st->sym].phys = st->at;
	}
	return 0;
}

/* The dma-buf / VFIO kernel instance, when the scenario has any of its steps. */
static int setup_dmabuf(struct runner *r)
{
	struct scn_dmabuf_env env = { .w = r->w,
				      .router = r->router,
				      .checkers = r->checkers,
				      .bugs = &r->bugs,
				      .scn = r->scn,
				      .seed = r->seed };
	bool wanted = false;

	for (size_t i = 0; i < r->scn->nr_steps; i++)
		wanted |= r->scn->steps[i].dmabuf != NULL;
	if (!wanted)
		return 0;
	if (!r->w->p2pdma_ready)
		return input_error(r, NULL, 0, "topology '%s' has no P2PDMA view for VFIO",
				   r->topo->name);
	r->dmabuf = scn_dmabuf_new(&env);
	return r->dmabuf ? 0 : internal_error(r, "dma-buf", -ENOMEM);
}

static int setup_world(struct runner *r)
{
	struct p2psim_world_opts wopts;
	struct p2psim_error werr;
	char msg[512];
	int ret;

	p2psim_world_opts_init(&wopts);
	wopts.seed = r->seed;
	/* `iommu all MODE` is a world option; per-device overrides re-probe below. */
	for (size_t i = 0; i < r->scn->nr_steps; i++) {
		const struct scn_step *st = &r->scn->steps[i];

		if (st->verb == SCN_IOMMU && !r->step_dev[i])
			wopts.iommu_mode = world_mode(st->mode);
	}
	p2psim_error_clear(&werr);
	ret = p2psim_world_new(topology_to_public((struct topology *)r->topo), &wopts, &r->pw,
			       &werr);
	if (ret != P2PSIM_OK) {
		p2psim_error_set(r->err, ret, NULL, 0, 0, "cannot build the world: %s",
				 werr.message);
		return ret == P2PSIM_EINPUT ? -EINVAL : -ENOMEM;
	}
	r->w = world_from_public(r->pw);
	if (r->bugs.mask) {
		/* Injected bugs that are kernel-profile switches (sim/fuzz/catalogue.c). */
		r->profile = *r->w->p2pdma.profile;
		bug_set_apply_profile(&r->bugs, &r->profile);
		r->w->p2pdma.profile = &r->profile;
	}
	r->dev_used = calloc(r->w->nr_devs ? r->w->nr_devs : 1, sizeof(*r->dev_used));
	if (!r->dev_used)
		return internal_error(r, "world", -ENOMEM);
	for (size_t i = 0; i < r->scn->nr_steps; i++) {
		const struct scn_step *st = &r->scn->steps[i];
		struct device *dev;
		struct iommu_hw *hw;

		if (st->verb != SCN_IOMMU || !r->step_dev[i])
			continue;
		dev = world_dev(r, r->step_dev[i]);
		hw = dev ? machine_iommu_for(r->w->m, dev->pdev) : NULL;
		if (!dev || !hw)
			return input_error(r, st, st->dev_col, "'%s' has no IOMMU", st->dev);
		/* What booting with a different default domain type would have given. */
		iommu_release_device_dma(dev);
		ret = iommu_probe_device_dma(dev, hw, (enum iommu_mode)st->mode);
		if (ret)
			return input_error(r, st, 0, "cannot put '%s' in %s mode: %s", st->dev,
					   iommu_mode_name((enum iommu_mode)st->mode),
					   strerror(-ret));
		dma_setup_need_sync(dev);
	}
	ret = place_fixed_buffers(r);
	if (ret)
		return ret;
	r->router = pci_router_new(r->w->m);
	if (!r->router)
		return internal_error(r, "router", -ENOMEM);
	ret = checkers_new(r->w->m, r->router, r->opts->check_enable, r->opts->check_disable,
			   &r->checkers, msg, sizeof(msg));
	if (ret == -EINVAL) {
		p2psim_error_set(r->err, P2PSIM_EINPUT, NULL, 0, 0, "%s", msg);
		return ret;
	}
	if (ret)
		return internal_error(r, "checkers", ret);
	/* The dma-debug checker stands for CONFIG_DMA_API_DEBUG, which changes the DMA code too. */
	r->w->m->kconfig.dma_api_debug = checkers_enabled(r->checkers, "dma-debug");
	ret = event_bus_subscribe(&r->w->m->events, step_event, r);
	if (ret)
		return internal_error(r, "event bus", ret);
	ret = setup_dmabuf(r);
	if (ret)
		return ret;
	/* No --trace: no writer (violations carry their own trace tail). */
	if (!r->trace_file)
		return 0;
	r->trace = trace_writer_new(r->trace_file);
	if (!r->trace)
		return internal_error(r, "trace", -ENOMEM);
	ret = event_bus_subscribe(&r->w->m->events, trace_writer_event, r->trace);
	if (ret)
		return internal_error(r, "event bus", ret);
	return 0;
}

/* --- steps ----------------------------------------------------------------- */

static int do_buf(struct runner *r, const struct scn_step *st)
{
	struct buf_rt *b = &r->bufs[st->sym];
	struct p2psim_error werr;
	u8 *data;
	int ret;

	if (!b->bar_dev && !st->at_given) { /* at= buffers were placed by place_fixed_buffers() */
		phys_addr_t phys;

		p2psim_error_clear(&werr);
		ret = world_ram_find(r->w, st->size, st->align ? st->align : PAGE_SIZE,
				     P2PSIM_PLACE_ANY, &phys);
		if (ret)
			return input_error(r, st, 0, "no free RAM for %llu bytes",
					   (unsigned long long)st->size);
		ret = p2psim_buffer_alloc_at(r->pw, sym_name(r, st->sym), phys, st->size, &werr);
		if (ret != P2PSIM_OK)
			return input_error(r, st, 0, "%s", werr.message);
		b->phys = phys;
	}
	/*
	 * A fresh RAM buffer reads as zeros: a zero fill of one larger than the
	 * 1 GiB a step may write is skipped rather than refused (memory stays
	 * sparse). Smaller ones are really written.
	 */
	if (!st->has_fill || (!b->bar_dev && b->size > MAX_CPU_BYTES &&
			      st->fill.kind == SCN_PAT_BYTE && !st->fill.byte))
		return 0;
	if (b->size > MAX_CPU_BYTES)
		return input_error(r, st, 0,
				   "fill= covers at most 1 GiB (this buffer is %llu bytes)",
				   (unsigned long long)b->size);
	/* Fill in 1 MiB pieces: a 1 TiB buffer filled with zero must not need 1 TiB here. */
	data = malloc(b->size < (1u << 20) ? b->size : (1u << 20));
	if (!data)
		return internal_error(r, "fill", -ENOMEM);
	for (u64 off = 0; off < b->size;) {
		size_t n = b->size - off < (1u << 20) ? b->size - off : (1u << 20);

		scn_pattern_fill(&st->fill, r->seed, off, data, n);
		ret = phys_mem_write(r->w->m->mem, b->phys + off, data, n);
		if (ret) {
			free(data);
			return input_error(r, st, 0, "cannot fill '%s': %s", sym_name(r, st->sym),
					   strerror(-ret));
		}
		off += n;
	}
	free(data);
	return 0;
}

static int do_fill(struct runner *r, const struct scn_step *st)
{
	const struct scn_ref *ref = &st->refs[0];
	struct buf_rt *b = &r->bufs[ref->sym];
	u64 len = ref_len(ref, b->size);
	u8 *data = malloc(len ? len : 1);
	int ret;

	if (!data)
		return internal_error(r, "fill", -ENOMEM);
	scn_pattern_fill(&st->fill, r->seed, 0, data, len);
	ret = phys_mem_write(r->w->m->mem, b->phys + ref->off, data, len);
	free(data);
	if (ret)
		return input_error(r, st, 0, "cannot write '%s': %s", sym_name(r, ref->sym),
				   strerror(-ret));
	return 0;
}

static enum map_kind ram_map_kind(const struct runner *r, const struct device *dev)
{
	if (r->sev.swiotlb_maps)
		return MAP_KIND_BOUNCE;
	if (r->sev.iommu_maps || use_dma_iommu(dev))
		return MAP_KIND_IOMMU;
	return MAP_KIND_DIRECT;
}

static void handle_reset(struct handle_rt *h)
{
	free(h->sgl);
	free(h->seg_kind);
	memset(h, 0, sizeof(*h));
}

static void do_map(struct runner *r, const struct scn_step *st, struct device *dev)
{
	const struct scn_ref *ref = &st->refs[0];
	struct handle_rt *h = &r->handles[st->sym];
	struct buf_rt *b = &r->bufs[ref->sym];
	phys_addr_t phys = b->phys + ref->off;
	u64 len = ref_len(ref, b->size);
	dma_addr_t addr;

	handle_reset(h);
	h->map_step = st;
	h->dev = dev;
	h->dir = st->dir;
	h->attrs = st->attrs;
	h->phys = phys;
	h->len = len;
	h->unmap_needed = true;
	r->last.step = st;
	if (b->bar_dev) {
		/* What P2P-aware callers (blk-mq-dma, hmm) do for a single range. */
		struct pci_p2pdma_map_state state = { 0 };
		enum pci_p2pdma_map_type type = PCI_P2PDMA_MAP_NONE;

		if (r->w->p2pdma_ready)
			type = pci_p2pdma_state(&r->w->p2pdma, &state, dev->pdev,
						phys & ~(phys_addr_t)(PAGE_SIZE - 1));
		switch (type) {
		case PCI_P2PDMA_MAP_BUS_ADDR:
			addr = pci_p2pdma_bus_addr_map(state.mem, phys);
			h->kind = MAP_KIND_BUS_ADDR;
			h->unmap_needed = false;
			break;
		case PCI_P2PDMA_MAP_NOT_SUPPORTED:
			addr = DMA_MAPPING_ERROR;
			r->sev.last_map_ret = -EREMOTEIO;
			break;
		default: /* THRU_HOST_BRIDGE, or MMIO that is not P2P memory */
			h->attrs |= DMA_ATTR_MMIO;
			addr = dma_map_phys(dev, phys, len, (enum dma_data_direction)st->dir,
					    h->attrs);
			h->kind = MAP_KIND_THRU_HOST_BRIDGE;
			break;
		}
	} else {
		addr = dma_map_phys(dev, phys, len, (enum dma_data_direction)st->dir, st->attrs);
		h->kind = ram_map_kind(r, dev);
	}
	h->addr = addr;
	/* A correct driver checks every single mapping; `unchecked` forgets to. */
	if (!st->unchecked && h->unmap_needed)
		dma_mapping_error(dev, addr);
	if (addr == DMA_MAPPING_ERROR) {
		h->failed = true;
		h->kind = MAP_KIND_NONE;
		r->last.failed = true;
		r->last.err = r->sev.last_map_ret ? r->sev.last_map_ret : -ENOMEM;
		return;
	}
	h->mapped = true;
	r->sum.maps++;
}

static void do_map_sg(struct runner *r, const struct scn_step *st, struct device *dev)
{
	struct handle_rt *h = &r->handles[st->sym];
	int ret;

	handle_reset(h);
	h->map_step = st;
	h->dev = dev;
	h->dir = st->dir;
	h->attrs = st->attrs;
	h->is_sg = true;
	h->unmap_needed = true;
	r->last.step = st;
	h->sgl = calloc(st->nr_refs, sizeof(*h->sgl));
	h->seg_kind = calloc(st->nr_refs, sizeof(*h->seg_kind));
	if (!h->sgl || !h->seg_kind) {
		r->last.failed = true;
		r->last.err = -ENOMEM;
		h->failed = true;
		return;
	}
	for (size_t i = 0; i < st->nr_refs; i++) {
		const struct scn_ref *ref = &st->refs[i];
		const struct buf_rt *b = &r->bufs[ref->sym];
		phys_addr_t phys = b->phys + ref->off;

		h->sgl[i].page_phys = phys & ~(phys_addr_t)(PAGE_SIZE - 1);
		h->sgl[i].offset = (unsigned int)(phys & (PAGE_SIZE - 1));
		h->sgl[i].length = (unsigned int)ref_len(ref, b->size);
	}
	h->sgt.sgl = h->sgl;
	h->sgt.orig_nents = (unsigned int)st->nr_refs;
	ret = dma_map_sgtable(dev, &h->sgt, (enum dma_data_direction)st->dir, st->attrs);
	if (ret) {
		h->failed = true;
		r->last.failed = true;
		r->last.err = ret;
		return;
	}
	/*
	 * The mapped segments are compacted (the kernel's __finalise_sg): segment
	 * i is not entry i. A segment flagged as a bus address is BUS_ADDR P2P;
	 * any other segment holds RAM (mapped the way RAM was) unless the list
	 * had no RAM entry, in which case it is BAR memory mapped through the
	 * root complex.
	 */
	h->ram_kind = ram_map_kind(r, dev);
	{
		bool has_ram = false;

		for (size_t i = 0; i < st->nr_refs; i++)
			has_ram |= !r->bufs[st->refs[i].sym].bar_dev;
		for (unsigned int i = 0; i < h->sgt.nents; i++) {
			if (h->sgl[i].dma_flags & SG_DMA_BUS_ADDRESS)
				h->seg_kind[i] = MAP_KIND_BUS_ADDR;
			else if (has_ram)
				h->seg_kind[i] = h->ram_kind;
			else
				h->seg_kind[i] = MAP_KIND_THRU_HOST_BRIDGE;
		}
	}
	h->mapped = true;
	r->sum.maps++;
}

static int do_unmap(struct runner *r, const struct scn_step *st)
{
	struct handle_rt *h = &r->handles[st->sym];
	int dir = st->dir_given ? st->dir : h->dir;
	unsigned long attrs = st->attrs ? st->attrs : h->attrs;
	bool as_sg = st->as_sg < 0 ? h->is_sg : st->as_sg == 1;

	if (!h->dev) /* never mapped at run time (its map failed before anything) */
		return 0;
	r->sum.unmaps++;
	mark_used(r, h->dev);
	if (!h->is_sg) {
		u64 size = st->size_given ? st->bad_size : h->len;

		if (!h->unmap_needed && st->as_sg < 0) {
			/* A bus-address P2P mapping has nothing to undo. */
		} else if (as_sg) {
			struct scatterlist sg = {
				.page_phys = h->phys & ~(phys_addr_t)(PAGE_SIZE - 1),
				.offset = (unsigned int)(h->phys & (PAGE_SIZE - 1)),
				.length = (unsigned int)size,
				.dma_address = h->addr,
				.dma_length = (unsigned int)size,
			};

			dma_unmap_sg_attrs(h->dev, &sg, st->nents_given ? st->nents : 1,
					   (enum dma_data_direction)dir, attrs);
		} else {
			dma_unmap_phys(h->dev, h->addr, size, (enum dma_data_direction)dir, attrs);
		}
	} else if (as_sg) {
		int nents = st->nents_given ? st->nents : (int)h->sgt.orig_nents;

		if (st->size_given && h->sgt.orig_nents)
			h->sgl[0].length = (unsigned int)st->bad_size;
		if (nents > (int)h->sgt.orig_nents) {
			/* More entries than mapped: pass a longer list, the extra ones empty. */
			struct scatterlist *sgl = calloc((size_t)nents, sizeof(*sgl));

			if (!sgl)
				return internal_error(r, "unmap", -ENOMEM);
			memcpy(sgl, h->sgl, h->sgt.orig_nents * sizeof(*sgl));
			dma_unmap_sg_attrs(h->dev, sgl, nents, (enum dma_data_direction)dir, attrs);
			free(sgl);
		} else {
			dma_unmap_sg_attrs(h->dev, h->sgl, nents, (enum dma_data_direction)dir,
					   attrs);
		}
	} else {
		/* The wrong function: unmap the first segment as a single mapping. */
		u64 size = st->size_given ? st->bad_size : h->sgl[0].dma_length;

		dma_unmap_phys(h->dev, h->sgl[0].dma_address, size, (enum dma_data_direction)dir,
			       attrs);
	}
	h->mapped = false;
	return 0;
}

static void do_sync(struct runner *r, const struct scn_step *st)
{
	struct handle_rt *h = &r->handles[st->sym];
	int dir = st->dir_given ? st->dir : h->dir;
	bool as_sg = st->as_sg < 0 ? h->is_sg : st->as_sg == 1;

	if (!h->dev)
		return;
	mark_used(r, h->dev);
	if (!as_sg) {
		dma_addr_t addr = h->is_sg ? h->sgl[0].dma_address : h->addr;
		u64 len = h->is_sg ? h->sgl[0].dma_length : h->len;
		u64 off = st->off_given ? st->sync_off : 0;

		if (st->size_given)
			len = st->bad_size;
		else if (off < len)
			len -= off;
		if (st->for_cpu)
			dma_sync_single_for_cpu(h->dev, addr + off, len,
						(enum dma_data_direction)dir);
		else
			dma_sync_single_for_device(h->dev, addr + off, len,
						   (enum dma_data_direction)dir);
		return;
	}
	if (h->is_sg) {
		int nents = st->nents_given ? st->nents : (int)h->sgt.orig_nents;

		if (nents > (int)h->sgt.orig_nents)
			nents = (int)h->sgt.orig_nents; /* never read past our list */
		if (st->for_cpu)
			dma_sync_sg_for_cpu(h->dev, h->sgl, nents, (enum dma_data_direction)dir);
		else
			dma_sync_sg_for_device(h->dev, h->sgl, nents, (enum dma_data_direction)dir);
	} else {
		struct scatterlist sg = {
			.page_phys = h->phys & ~(phys_addr_t)(PAGE_SIZE - 1),
			.offset = (unsigned int)(h->phys & (PAGE_SIZE - 1)),
			.length = (unsigned int)h->len,
			.dma_address = h->addr,
			.dma_length = (unsigned int)h->len,
		};

		if (st->for_cpu)
			dma_sync_sg_for_cpu(h->dev, &sg, 1, (enum dma_data_direction)dir);
		else
			dma_sync_sg_for_device(h->dev, &sg, 1, (enum dma_data_direction)dir);
	}
}

/* First byte where @data differs from @pat (index), or -1. */
static long long pattern_mismatch(const struct runner *r, const struct scn_pattern *pat,
				  const u8 *data, u64 len)
{
	for (u64 i = 0; i < len; i++)
		if (data[i] != scn_pattern_byte(pat, r->seed, i))
			return (long long)i;
	return -1;
}

static void do_dma(struct runner *r, const struct scn_step *st, struct device *dev)
{
	const struct scn_ref *ref = &st->refs[0];
	bool write = st->verb == SCN_DMA_WRITE;
	struct dma_intent intent = { .dev = dev->pdev, .write = write };
	struct dma_intent_extent ext; /* sg: the entry behind an unmerged THB segment */
	struct route_result res;
	u64 addr = 0, len = ref->len;
	u8 *data;
	int ret;

	r->last.step = st;
	mark_used(r, dev);
	switch (ref->kind) {
	case SCN_REF_ADDR:
		addr = ref->addr;
		break;
	case SCN_REF_BUS:
		addr = r->bufs[ref->sym].bus + ref->off;
		len = ref_len(ref, r->bufs[ref->sym].size);
		break;
	case SCN_REF_PHYS:
		addr = r->bufs[ref->sym].phys + ref->off;
		len = ref_len(ref, r->bufs[ref->sym].size);
		break;
	case SCN_REF_SYMBOL: {
		struct handle_rt *h = &r->handles[ref->sym];
		u64 hlen;

		if (!h->map_step || h->failed) {
			fail_step(r, st->line,
				  "handle '%s' holds no mapping (its map at line %d failed)",
				  sym_name(r, ref->sym), h->map_step ? h->map_step->line : 0);
			return;
		}
		if (h->is_sg) {
			if (st->seg >= (int)h->sgt.nents) {
				fail_step(r, st->line,
					  "handle '%s' has %u mapped segments, no seg=%d",
					  sym_name(r, ref->sym), h->sgt.nents, st->seg);
				return;
			}
			addr = h->sgl[st->seg].dma_address;
			hlen = h->sgl[st->seg].dma_length;
			intent.expect_phys = DMA_INTENT_PHYS_FROM_MAPPING;
			intent.p2p_map_type = h->seg_kind[st->seg] == MAP_KIND_BUS_ADDR ?
						      PCI_P2PDMA_MAP_BUS_ADDR :
					      h->seg_kind[st->seg] == MAP_KIND_THRU_HOST_BRIDGE ?
						      PCI_P2PDMA_MAP_THRU_HOST_BRIDGE :
						      0;
		} else {
			addr = h->addr;
			hlen = h->len;
			intent.expect_phys = h->phys + ref->off;
			intent.p2p_map_type = h->kind == MAP_KIND_BUS_ADDR ?
						      PCI_P2PDMA_MAP_BUS_ADDR :
					      h->kind == MAP_KIND_THRU_HOST_BRIDGE ?
						      PCI_P2PDMA_MAP_THRU_HOST_BRIDGE :
						      0;
		}
		if (ref->off >= hlen || (ref->len_given && ref->len > hlen - ref->off)) {
			fail_step(r, st->line,
				  "%s@%llu+%llu is past the end of the mapping (%llu bytes)",
				  sym_name(r, ref->sym), (unsigned long long)ref->off,
				  (unsigned long long)ref->len, (unsigned long long)hlen);
			return;
		}
		/*
		 * Nothing merged and a P2P segment through the host bridge: its
		 * bytes are the entry's (a P2P segment is never bounced), whatever
		 * address the mapping produced (the historic dma-direct `break`
		 * left it unset: `--inject dma-direct-sg-break`).
		 */
		if (h->is_sg && h->sgt.nents == h->sgt.orig_nents &&
		    r->bufs[h->map_step->refs[st->seg].sym].bar_dev &&
		    !(h->sgl[st->seg].dma_flags & SG_DMA_BUS_ADDRESS)) {
			ext.phys = sg_phys(&h->sgl[st->seg]) + ref->off;
			ext.len = hlen - ref->off;
			intent.extents = &ext;
			intent.nr_extents = 1;
		} else if (h->is_sg && (h->sgl[st->seg].dma_flags & SG_DMA_BUS_ADDRESS)) {
			/*
			 * A bus-address segment is one entry, never merged: its bytes are
			 * that entry's, exactly (a longer segment, as with
			 * `--inject iommu-sg-head-len`, reaches bytes nobody mapped).
			 */
			for (unsigned int j = 0; j < h->sgt.orig_nents; j++) {
				const struct buf_rt *b = &r->bufs[h->map_step->refs[j].sym];
				phys_addr_t phys = sg_phys(&h->sgl[j]);

				if (!b->bar_dev || b->bus + (phys - b->phys) != addr ||
				    ref->off >= h->sgl[j].length)
					continue;
				ext.phys = phys + ref->off;
				ext.len = h->sgl[j].length - ref->off;
				intent.extents = &ext;
				intent.nr_extents = 1;
				break;
			}
		}
		addr += ref->off;
		len = ref->len_given ? ref->len : hlen - ref->off;
		intent.state = h->mapped ? DMA_INTENT_LIVE : DMA_INTENT_UNMAPPED;
		intent.handle = sym_name(r, ref->sym);
		if (h->dev != dev)
			intent.state = DMA_INTENT_RAW; /* another device's address: no claim */
		break;
	}
	}
	if (len > MAX_DMA_BYTES) {
		fail_step(r, st->line, "one dma step moves at most 1 GiB");
		return;
	}
	intent.dma_addr = addr;
	intent.len = len;
	data = malloc(len ? len : 1);
	if (!data) {
		fail_step(r, st->line, "out of memory for a %llu-byte DMA",
			  (unsigned long long)len);
		return;
	}
	if (write)
		scn_pattern_fill(&st->data, r->seed, 0, data, len);
	checkers_dma_begin(r->checkers, &intent);
	memset(&res, 0, sizeof(res));
	ret = pci_route_dma(r->router, dev->pdev, dev->domain, addr, data, len, write, &res);
	checkers_dma_end(r->checkers, &res);
	r->sum.dmas++;
	r->sum.dma_bytes += res.bytes_ok;
	if (ret == -EIO) {
		r->last.failed = true;
		r->last.fault = res.status;
	} else if (ret) {
		fail_step(r, st->line, "the fabric refused the DMA: %s", strerror(-ret));
	}
	if (!write && st->has_data) {
		long long at = pattern_mismatch(r, &st->data, data, len);
		char want[64];

		if (at >= 0) {
			scn_pattern_describe(&st->data, want, sizeof(want));
			fail(r, st->line, "dma read: byte %lld is 0x%02x, expected %s (0x%02x)", at,
			     data[at], want, scn_pattern_byte(&st->data, r->seed, (u64)at));
		}
		r->sum.expects++;
	}
	free(data);
}

static void do_release(struct runner *r, const struct pci_dev *pdev)
{
	struct sim_event ev = { .kind = EV_DEVICE_RELEASE, .dev = pdev };

	machine_emit(r->w->m, &ev);
}

/* --- expectations ---------------------------------------------------------- */

static u64 counter_value(struct runner *r, const char *name)
{
	const u64 *c = r->w->m->events.counts;
	struct check_stats cs;

	if (!strcmp(name, "steps"))
		return r->sum.steps;
	if (!strcmp(name, "dmas"))
		return r->sum.dmas;
	if (!strcmp(name, "bytes"))
		return r->sum.dma_bytes;
	if (!strcmp(name, "maps"))
		return r->sum.maps;
	if (!strcmp(name, "unmaps"))
		return r->sum.unmaps;
	if (!strcmp(name, "faults"))
		return c[EV_TLP_FAULTED];
	if (!strcmp(name, "iommu-faults"))
		return c[EV_IOMMU_FAULT];
	if (!strcmp(name, "iotlb-hits"))
		return c[EV_IOTLB_HIT];
	if (!strcmp(name, "iotlb-misses"))
		return c[EV_IOTLB_FILL];
	if (!strcmp(name, "iotlb-invalidations"))
		return c[EV_IOTLB_INVALIDATE];
	if (!strcmp(name, "bounces"))
		return c[EV_BOUNCE];
	checkers_get_stats(r->checkers, &cs);
	if (!strcmp(name, "exposures"))
		return cs.lazy_exposures;
	/* violations: not claimed */
	{
		size_t n = checkers_nr_violations(r->checkers);
		u64 v = 0;

		for (size_t i = 0; i < n; i++)
			v += !(i < r->nr_claimed_cap && r->claimed[i]);
		return v;
	}
}

static bool compare(u64 a, enum scn_cmp cmp, u64 b)
{
	switch (cmp) {
	case SCN_CMP_EQ:
		return a == b;
	case SCN_CMP_NE:
		return a != b;
	case SCN_CMP_LT:
		return a < b;
	case SCN_CMP_LE:
		return a <= b;
	case SCN_CMP_GT:
		return a > b;
	case SCN_CMP_GE:
		return a >= b;
	}
	return false;
}

static const char *cmp_name(enum scn_cmp cmp)
{
	static const char *const names[] = { "=", "!=", "<", "<=", ">", ">=" };

	return names[cmp];
}

static bool fault_matches(enum route_status st, const char *kind)
{
	if (!strcmp(kind, "any"))
		return true;
	if (!strcmp(kind, "iommu"))
		return st == ROUTE_IOMMU_FAULT;
	if (!strcmp(kind, "blocked"))
		return st == ROUTE_ACS_BLOCKED;
	if (!strcmp(kind, "ur"))
		return st == ROUTE_UNSUPPORTED || st == ROUTE_NO_P2P_FORWARDING ||
		       st == ROUTE_DECODE_OFF;
	return false;
}

static int grow_claimed(struct runner *r)
{
	size_t n = checkers_nr_violations(r->checkers);

	if (n > r->nr_claimed_cap) {
		bool *c = realloc(r->claimed, n * sizeof(*c));

		if (!c)
			return -ENOMEM;
		memset(c + r->nr_claimed_cap, 0, (n - r->nr_claimed_cap) * sizeof(*c));
		r->claimed = c;
		r->nr_claimed_cap = n;
	}
	return 0;
}

/* A dma step, or a dmabuf-dma whose TLPs faulted: `expect fault` territory. */
static bool outcome_is_dma(const struct outcome *o)
{
	return o->step &&
	       (o->step->verb == SCN_DMA_READ || o->step->verb == SCN_DMA_WRITE || o->faulted);
}

static void expect_revoked(struct runner *r, const struct scn_step *st)
{
	bool want = st->verb == SCN_EXPECT_REVOKED;
	char why[256];
	int revoked = r->dmabuf ? scn_dmabuf_revoked(r->dmabuf, st->sym, why, sizeof(why)) : -1;

	if (revoked < 0)
		fail(r, st->line, "%s", r->dmabuf ? why : "no dma-buf");
	else if (revoked != want)
		fail(r, st->line, "dma-buf '%s' is %s, expected %s", sym_name(r, st->sym),
		     revoked ? "revoked" : "not revoked", want ? "revoked" : "not revoked");
}

/* May `expect violation` claim a violation reported at @line? */
static bool claimable_line(const struct runner *r, int line)
{
	if (r->claim_section)
		return line >= r->section_first_line && line <= r->section_last_line;
	return line == r->last_action_line;
}

static void do_expect(struct runner *r, const struct scn_step *st)
{
	struct outcome *o = &r->last;
	bool is_dma = outcome_is_dma(o);
	int oline = o->step ? o->step->line : 0;

	r->sum.expects++;
	switch (st->verb) {
	case SCN_EXPECT_OK:
		o->acknowledged = true;
		if (o->failed)
			fail(r, st->line, "expected line %d to succeed, but it %s%s", oline,
			     is_dma ? "faulted" : "failed with ",
			     is_dma ? "" : scn_errno_name(o->err));
		return;
	case SCN_EXPECT_NO_FAULT:
		o->acknowledged = true;
		if (o->failed)
			fail(r, st->line, "expected no fault at line %d, got %s", oline,
			     is_dma ? route_status_name(o->fault) : "a failed map");
		return;
	case SCN_EXPECT_ERROR:
		if (!o->failed) {
			fail(r, st->line, "expected line %d to fail%s%s, but it succeeded", oline,
			     st->err ? " with " : "", st->err ? scn_errno_name(st->err) : "");
			return;
		}
		o->acknowledged = true;
		if (st->err && !is_dma && -o->err != st->err)
			fail(r, st->line, "expected line %d to fail with %s, it failed with %s",
			     oline, scn_errno_name(st->err), scn_errno_name(o->err));
		return;
	case SCN_EXPECT_FAULT:
		if (!is_dma || !o->failed) {
			fail(r, st->line, "expected a %s fault at line %d, but %s", st->what, oline,
			     is_dma || (o->step && o->step->verb == SCN_DMABUF_DMA && !o->failed) ?
				     "every TLP landed" :
			     o->failed ? "it failed without a fault" :
					 "it is not a dma step");
			return;
		}
		o->acknowledged = true;
		if (!fault_matches(o->fault, st->what))
			fail(r, st->line, "expected a %s fault at line %d, got %s", st->what, oline,
			     route_status_name(o->fault));
		return;
	case SCN_EXPECT_DATA: {
		const struct scn_ref *ref = &st->refs[0];
		const struct buf_rt *b = &r->bufs[ref->sym];
		u64 len = ref_len(ref, b->size);
		u8 *data = malloc(len ? len : 1);
		long long at;
		char want[64];

		if (!data || phys_mem_read(r->w->m->mem, b->phys + ref->off, data, len)) {
			free(data);
			fail(r, st->line, "cannot read buffer '%s'", sym_name(r, ref->sym));
			return;
		}
		at = pattern_mismatch(r, &st->data, data, len);
		if (at >= 0) {
			scn_pattern_describe(&st->data, want, sizeof(want));
			fail(r, st->line,
			     "data of %s@%llu: byte %lld is 0x%02x, expected %s (0x%02x)",
			     sym_name(r, ref->sym), (unsigned long long)ref->off, at, data[at],
			     want, scn_pattern_byte(&st->data, r->seed, (u64)at));
		}
		free(data);
		return;
	}
	case SCN_EXPECT_MAPTYPE: {
		const struct handle_rt *h = &r->handles[st->sym];
		enum map_kind k = h->kind;

		if (!h->map_step || h->failed) {
			fail(r, st->line, "handle '%s' holds no mapping", sym_name(r, st->sym));
			return;
		}
		if (h->is_sg) {
			if (st->seg >= (int)h->sgt.nents) {
				fail(r, st->line, "handle '%s' has %u mapped segments, no seg=%d",
				     sym_name(r, st->sym), h->sgt.nents, st->seg);
				return;
			}
			k = h->seg_kind[st->seg];
		}
		if (strcmp(map_kind_names[k], st->what))
			fail(r, st->line, "handle '%s'%s is mapped %s, expected %s",
			     sym_name(r, st->sym), h->is_sg ? " (that segment)" : "",
			     map_kind_names[k], st->what);
		return;
	}
	case SCN_EXPECT_COUNT: {
		u64 v = counter_value(r, st->what);

		if (!compare(v, st->cmp, st->count))
			fail(r, st->line, "count %s is %llu, expected %s %llu", st->what,
			     (unsigned long long)v, cmp_name(st->cmp),
			     (unsigned long long)st->count);
		return;
	}
	case SCN_EXPECT_VIOLATION: {
		size_t n = checkers_nr_violations(r->checkers);
		bool found = false;

		if (grow_claimed(r)) {
			fail(r, st->line, "out of memory");
			return;
		}
		for (size_t i = 0; i < n; i++) {
			const struct check_violation *v = checkers_violation(r->checkers, i);

			if (r->claimed[i] || !claimable_line(r, v->line) ||
			    strcmp(v->checker, st->what))
				continue;
			if (st->rule && strcmp(v->kind, st->rule))
				continue;
			r->claimed[i] = true;
			found = true;
		}
		if (!found && r->claim_section)
			fail(r, st->line,
			     "expected a %s violation%s%s in the threads of lines %d-%d, none was "
			     "reported",
			     st->what, st->rule ? " " : "", st->rule ? st->rule : "",
			     r->section_first_line, r->section_last_line);
		else if (!found)
			fail(r, st->line,
			     "expected a %s violation%s%s at line %d, none was reported", st->what,
			     st->rule ? " " : "", st->rule ? st->rule : "", r->last_action_line);
		return;
	}
	case SCN_EXPECT_REVOKED:
	case SCN_EXPECT_NOT_REVOKED:
		expect_revoked(r, st);
		return;
	case SCN_EXPECT_P2P: {
		int dist;
		enum pci_p2pdma_map_type t;
		const char *name;

		if (!r->w->p2pdma_ready) {
			fail(r, st->line, "no P2PDMA view in this world");
			return;
		}
		t = calc_map_type_and_dist(&r->w->p2pdma, r->step_dev2[st - r->scn->steps],
					   r->step_dev[st - r->scn->steps], &dist, false);
		name = t == PCI_P2PDMA_MAP_BUS_ADDR	    ? "bus-addr" :
		       t == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE ? "thru-host-bridge" :
							      "not-supported";
		if (strcmp(name, st->what))
			fail(r, st->line, "P2P %s -> %s is %s (distance %d), expected %s", st->dev2,
			     st->dev, name, dist, st->what);
		return;
	}
	default:
		return;
	}
}

/* --- the step loop --------------------------------------------------------- */

static bool is_expect(enum scn_verb v)
{
	return (v >= SCN_EXPECT_OK && v <= SCN_EXPECT_P2P) || v == SCN_EXPECT_REVOKED ||
	       v == SCN_EXPECT_NOT_REVOKED;
}

/* A failed map or a faulted DMA nobody expected fails the run. */
static void settle_outcome(struct runner *r)
{
	struct outcome *o = &r->last;
	const struct p2psim_run_observer *obs = r->opts->observer;

	if (o->step && o->failed && obs && obs->outcome)
		obs->outcome(obs->ctx, o->step->line,
			     outcome_is_dma(o) ? NULL : scn_errno_name(o->err));
	if (o->step && o->failed && !o->acknowledged) {
		bool is_dma = outcome_is_dma(o);

		if (is_dma)
			fail_step(r, o->step->line,
				  "the DMA faulted (%s) and no 'expect fault' follows",
				  route_status_name(o->fault));
		else
			fail_step(r, o->step->line,
				  "the %s failed (%s) and no 'expect error' follows",
				  o->step->verb == SCN_DMA_MASK	  ? "dma_set_mask_and_coherent()" :
				  o->step->verb >= SCN_IOVA_ALLOC ? scn_verb_name(o->step->verb) :
								    "map",
				  scn_errno_name(o->err));
	}
	memset(o, 0, sizeof(*o));
}

/* Write the violations reported since the last call as "violation" trace records. */
static void trace_new_violations(struct runner *r)
{
	size_t n = checkers_nr_violations(r->checkers);

	if (!r->trace)
		return;
	for (; r->nr_traced_violations < n; r->nr_traced_violations++) {
		const struct check_violation *v =
			checkers_violation(r->checkers, r->nr_traced_violations);
		struct json_object *fields = json_object_new_object();

		if (fields) {
			json_object_object_add(fields, "checker",
					       json_object_new_string(v->checker));
			json_object_object_add(fields, "kind", json_object_new_string(v->kind));
			json_object_object_add(
				fields, "message",
				json_object_new_string(v->message ? v->message : ""));
		}
		trace_writer_record(r->trace, r->w->m->now_ns, v->line, "violation", fields);
	}
}

static void trace_step(struct runner *r, const struct scn_step *st)
{
	struct json_object *fields;

	if (!r->trace)
		return;
	fields = json_object_new_object();
	if (fields) {
		json_object_object_add(fields, "src", json_object_new_string(st->src));
		if (st->thread)
			json_object_object_add(
				fields, "thread",
				json_object_new_string(r->scn->threads[st->thread - 1].name));
	}
	trace_writer_record(r->trace, r->w->m->now_ns, st->line, "step", fields);
}

/* iova-* / hmm-* (sim/scenario/twostep.c); an outcome like map's. */
static void do_twostep(struct runner *r, const struct scn_step *st, struct device *dev)
{
	struct scn_twostep_result res;
	phys_addr_t *phys = calloc(st->nr_refs ? st->nr_refs : 1, sizeof(*phys));
	u64 *len = calloc(st->nr_refs ? st->nr_refs : 1, sizeof(*len));

	if (!phys || !len) {
		free(phys);
		free(len);
		fail(r, st->line, "out of memory");
		return;
	}
	if (dev)
		mark_used(r, dev);
	for (size_t k = 0; k < st->nr_refs; k++) {
		const struct buf_rt *b = &r->bufs[st->refs[k].sym];

		phys[k] = b->phys + st->refs[k].off;
		len[k] = ref_len(&st->refs[k], b->size);
	}
	scn_twostep_run(r->twostep, r->w, r->scn, st, dev, phys, len, st->nr_refs, &res);
	free(phys);
	free(len);
	if (res.misuse[0]) {
		fail_step(r, st->line, "%s", res.misuse);
		return;
	}
	if (res.has_outcome) {
		r->last.step = st;
		r->last.failed = res.failed;
		r->last.err = res.err;
	}
}

/* dma-buf, VFIO and event steps (sim/scenario/dmabuf.c); an outcome like map's or dma's. */
static void do_dmabuf(struct runner *r, const struct scn_step *st, struct device *dev,
		      struct device *dev2)
{
	struct scn_dmabuf_result res;

	if (dev && st->verb == SCN_DMABUF_IMPORT)
		mark_used(r, dev); /* its mappings are checked when it is released */
	scn_dmabuf_run(r->dmabuf, st, dev, dev2, &res);
	if (res.misuse[0]) {
		fail_step(r, st->line, "%s", res.misuse);
		return;
	}
	if (res.dma) {
		r->sum.dmas++;
		r->sum.dma_bytes += res.dma_bytes;
	}
	if (res.mismatch[0])
		fail(r, st->line, "%s", res.mismatch);
	if (st->verb == SCN_DMABUF_DMA && st->has_data && !st->dmabuf->write)
		r->sum.expects++;
	if (res.has_outcome) {
		r->last.step = st;
		r->last.failed = res.failed;
		r->last.err = res.err;
		r->last.faulted = res.faulted;
		r->last.fault = res.fault;
	}
}

static int run_step(struct runner *r, size_t i)
{
	const struct scn_step *st = &r->scn->steps[i];
	struct device *dev = NULL;
	int ret = 0;

	if (!is_expect(st->verb) && st->verb != SCN_ECHO) {
		settle_outcome(r);
		r->last_action_line = st->line;
		r->claim_section = false;
	}
	r->w->m->events.current_line = st->line;
	memset(&r->sev, 0, sizeof(r->sev));
	trace_step(r, st);
	r->sum.steps++;
	if (r->step_dev[i] && st->verb != SCN_EXPECT_P2P) {
		dev = world_dev(r, r->step_dev[i]);
		if (!dev)
			return input_error(r, st, st->dev_col,
					   "'%s' has no DMA device in the world", st->dev);
	}
	switch (st->verb) {
	case SCN_SEED:
	case SCN_IOMMU:
		break; /* applied when the world was built */
	case SCN_BUF:
		ret = do_buf(r, st);
		break;
	case SCN_FILL:
		ret = do_fill(r, st);
		break;
	case SCN_DMA_MASK: {
		int res = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(st->value));

		if (st->at_given) /* min-align=: dma_set_min_align_mask(), as nvme_probe() does */
			dev->min_align_mask = (unsigned int)st->align;
		mark_used(r, dev);
		r->last.step = st;
		if (res) {
			r->last.failed = true;
			r->last.err = res;
		}
		break;
	}
	case SCN_MAP:
		mark_used(r, dev);
		do_map(r, st, dev);
		break;
	case SCN_MAP_SG:
		mark_used(r, dev);
		do_map_sg(r, st, dev);
		break;
	case SCN_UNMAP:
		ret = do_unmap(r, st);
		break;
	case SCN_SYNC:
		do_sync(r, st);
		break;
	case SCN_DMA_READ:
	case SCN_DMA_WRITE:
		do_dma(r, st, dev);
		break;
	case SCN_ADVANCE:
		p2psim_world_advance(r->pw, st->value);
		break;
	case SCN_RELEASE:
		do_release(r, dev->pdev);
		r->dev_used[dev - r->w->devs] = false;
		break;
	case SCN_IOVA_ALLOC:
	case SCN_IOVA_LINK:
	case SCN_IOVA_SYNC:
	case SCN_IOVA_UNLINK:
	case SCN_IOVA_DESTROY:
	case SCN_IOVA_FREE:
	case SCN_HMM_ALLOC:
	case SCN_HMM_MAP:
	case SCN_HMM_UNMAP:
	case SCN_HMM_FREE:
	case SCN_BLK_MAP:
	case SCN_BLK_UNMAP:
		do_twostep(r, st, dev);
		break;
	case SCN_FD_LIMIT:
		break; /* applied when the dma-buf instance was built */
	case SCN_VFIO_BIND:
	case SCN_VFIO_OPEN:
	case SCN_VFIO_MMAP:
	case SCN_DMABUF_EXPORT:
	case SCN_DMABUF_IMPORT:
	case SCN_DMABUF_MAP:
	case SCN_DMABUF_UNMAP:
	case SCN_DMABUF_DMA:
	case SCN_DMABUF_RELEASE:
	case SCN_DMABUF_ACCESS_PIN:
	case SCN_DMABUF_CLOSE:
	case SCN_DMABUF_FENCE:
	case SCN_DMABUF_SIGNAL:
	case SCN_EVENT:
		do_dmabuf(r, st, dev, r->step_dev2[i] ? world_dev(r, r->step_dev2[i]) : NULL);
		break;
	case SCN_ECHO:
		if (text_out(r) && !r->opts->quiet)
			fprintf(r->out, "%s\n", st->text);
		break;
	default:
		do_expect(r, st);
		break;
	}
	trace_new_violations(r);
	return ret;
}

/* --- threads --------------------------------------------------------------- */

/* The scheduler hands the simulation to thread @to (an id; 0 the main thread). */
static void runner_switch(void *ctx, int from, int to)
{
	struct runner *r = ctx;
	struct thread_rt *old = &r->threads[r->cur_thread], *new = &r->threads[to];

	(void)from;
	old->last = r->last;
	old->sev = r->sev;
	old->last_action_line = r->last_action_line;
	old->line = r->w->m->events.current_line;
	r->last = new->last;
	r->sev = new->sev;
	r->last_action_line = new->last_action_line;
	r->w->m->events.current_line = new->line;
	if (r->kernel) {
		/* saved, not recomputed: a step may run briefly as another thread (fail=busy) */
		old->kernel_thread = r->kernel->current_thread;
		r->kernel->current_thread = new->kernel_thread;
	}
	r->cur_thread = to;
}

/* The dma-buf model reached a preemption point or a lock acquisition. */
static void runner_preempt(void *arg, const char *point)
{
	struct runner *r = arg;

	if (r->sched && sched_current(r->sched) >= 0)
		sched_point(r->sched, SCHED_POINT_YIELD, point, r->w->m->events.current_line);
}

/* The dma-buf model must wait for @cond: another simulated thread may make it true. */
static int runner_block(void *arg, bool (*cond)(const void *cond_arg), const void *cond_arg,
			const char *what)
{
	struct runner *r = arg;

	if (!r->sched || sched_current(r->sched) < 0)
		return -EDEADLK; /* the main thread alone: nobody else can */
	return sched_block(r->sched, cond, cond_arg, what, r->w->m->events.current_line);
}

/* Let the scheduler drive the dma-buf model's waits and preemption points. */
static void attach_kernel(struct runner *r, struct dmabuf_sys *sys)
{
	r->kernel = sys;
	if (!sys || !r->sched)
		return;
	sys->preempt = runner_preempt;
	sys->preempt_arg = r;
	sys->block = runner_block;
	sys->block_arg = r;
}

/* The slot of the thread named @name in the running section, or -1. */
static int section_slot(const struct runner *r, int base, const char *name)
{
	for (size_t k = 0; k < r->section_threads; k++)
		if (!strcmp(r->scn->threads[base - 1 + (int)k].name, name))
			return (int)k;
	return -1;
}

/* The script: --explore's prefix, else the schedule's N:NAME picks. */
static int runner_script(void *ctx, size_t index, const struct sched_choice *c)
{
	struct runner *r = ctx;
	const struct scn_schedule *sp = r->spec;

	if (r->rs && r->rs->explore)
		return index < r->rs->nr_prefix ? r->rs->prefix[index] : -1;
	for (size_t k = 0; sp && k < sp->nr_picks; k++) {
		int slot;

		if (sp->picks[k].index != index)
			continue;
		slot = section_slot(r, c->base, sp->picks[k].name);
		return slot < 0 ? SCHED_MAX_THREADS : slot; /* not in this section: a mismatch */
	}
	return -1;
}

static bool is_outcome_expect(enum scn_verb v)
{
	return v == SCN_EXPECT_OK || v == SCN_EXPECT_ERROR || v == SCN_EXPECT_FAULT ||
	       v == SCN_EXPECT_NO_FAULT;
}

static void thread_body(struct sched *s, int id, void *arg)
{
	struct thread_rt *t = arg;
	struct runner *r = t->r;

	(void)id;
	for (size_t k = 0; k < t->nr_steps; k++) {
		size_t i = t->first_step + k;
		int ret;

		/* an outcome expect only reads this thread's last outcome: no point before it */
		if (k && !is_outcome_expect(r->scn->steps[i].verb))
			sched_point(s, SCHED_POINT_STEP, "step", r->scn->steps[i].line);
		if (r->thread_error)
			break;
		ret = run_step(r, i);
		if (ret) {
			r->thread_error = ret;
			break;
		}
	}
	settle_outcome(r); /* its last outcome, in its own context */
}

/* Run the concurrent section starting at step *@pos; *@pos moves past it. */
static int run_section(struct runner *r, size_t *pos)
{
	const struct scenario *scn = r->scn;
	size_t j = *pos, n = 0;
	int section = scn->threads[scn->steps[j].thread - 1].section;
	int base = scn->steps[j].thread;
	void *args[SCN_MAX_SECTION_THREADS];
	int ret;

	settle_outcome(r); /* the main thread's last outcome, before the threads start */
	r->claim_section = false;
	r->section_first_line = scn->steps[j].line;
	for (; j < scn->nr_steps && scn->steps[j].thread &&
	       scn->threads[scn->steps[j].thread - 1].section == section;
	     j++) {
		struct thread_rt *t = &r->threads[scn->steps[j].thread];

		if (!t->nr_steps) {
			t->first_step = j;
			args[n++] = t;
		}
		t->nr_steps++;
	}
	*pos = j;
	r->section_threads = n;
	ret = sched_run(r->sched, base, n, thread_body, args);
	if (ret)
		return internal_error(r, "starting the threads", ret);
	runner_switch(r, -1, 0); /* the main thread joins */
	r->section_last_line = scn->steps[j - 1].line;
	r->claim_section = true;
	return r->thread_error;
}

static int setup_threads(struct runner *r)
{
	const struct scenario *scn = r->scn;
	struct sched_ops ops = { .ctx = r, .script = runner_script, .switch_to = runner_switch };
	bool serial;

	r->threads = calloc(scn->nr_threads + 1, sizeof(*r->threads));
	if (!r->threads)
		return internal_error(r, "threads", -ENOMEM);
	for (size_t i = 0; i <= scn->nr_threads; i++) {
		r->threads[i].r = r;
		r->threads[i].id = (int)i;
		r->threads[i].kernel_thread = (int)i;
	}
	if (!scn->nr_threads)
		return 0;
	r->spec = r->rs && r->rs->spec ? r->rs->spec : scn->schedule.given ? &scn->schedule : NULL;
	serial = (r->rs && r->rs->explore) || (r->spec && r->spec->policy == SCN_SCHED_SERIAL);
	r->sched = sched_new(serial ? SCHED_SERIAL : SCHED_ROUND_ROBIN, &ops);
	if (!r->sched)
		return internal_error(r, "threads", -ENOMEM);
	attach_kernel(r, r->dmabuf ? scn_dmabuf_sys(r->dmabuf) : NULL);
	return 0;
}

/* A schedule that does not fit the run fails it (a stale `schedule` line). */
static void check_schedule_fit(struct runner *r)
{
	const struct scn_schedule *sp = r->spec;
	size_t nr = r->sched ? sched_nr_choices(r->sched) : 0;
	long bad = r->sched ? sched_mismatch(r->sched) : -1;

	if (!sp || (r->rs && r->rs->explore))
		return;
	for (size_t k = 0; k < sp->nr_picks; k++) {
		if ((long)sp->picks[k].index == bad)
			fail(r, sp->line,
			     "schedule: thread '%s' cannot run at choice point %llu; the %s policy "
			     "chose instead",
			     sp->picks[k].name, (unsigned long long)sp->picks[k].index,
			     scn_sched_policy_name(sp->policy));
		else if (sp->picks[k].index >= nr)
			fail(r, sp->line,
			     "schedule: choice point %llu never came (this run had %zu)",
			     (unsigned long long)sp->picks[k].index, nr);
	}
}

static void teardown(struct runner *r)
{
	settle_outcome(r);
	r->w->m->events.current_line = 0;
	/* process exit: importers, dma-buf fds, VFIO devices (before any driver unbind) */
	scn_dmabuf_teardown(r->dmabuf);
	for (size_t i = 0; i < r->w->nr_devs; i++)
		if (r->dev_used[i])
			do_release(r, r->w->devs[i].pdev);
	checkers_finish(r->checkers);
	trace_new_violations(r);
	check_schedule_fit(r);
}

/* --- reporting ------------------------------------------------------------- */

static void print_event_short(FILE *out, const char *indent, const struct sim_event *ev)
{
	struct json_object *o = trace_event_to_json(ev, 0);

	if (!o)
		return;
	json_object_object_del(o, "seq");
	fprintf(out, "%s%s\n", indent,
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static bool violation_claimed(const struct runner *r, size_t i)
{
	return i < r->nr_claimed_cap && r->claimed[i];
}

static void fill_summary(struct runner *r)
{
	const u64 *c = r->w->m->events.counts;
	struct check_stats cs;
	size_t n = checkers_nr_violations(r->checkers);

	checkers_get_stats(r->checkers, &cs);
	r->sum.iotlb_hits = c[EV_IOTLB_HIT];
	r->sum.iotlb_misses = c[EV_IOTLB_FILL];
	r->sum.faults = c[EV_TLP_FAULTED];
	r->sum.bounces = c[EV_BOUNCE];
	r->sum.exposures = cs.lazy_exposures;
	r->sum.violations = 0;
	for (size_t i = 0; i < n; i++)
		r->sum.violations += !violation_claimed(r, i);
	r->sum.trace_records = r->trace ? trace_writer_count(r->trace) : 0;
	r->sum.time_ns = r->w->m->now_ns;
}

static void print_text(struct runner *r)
{
	const struct p2psim_run_summary *s = &r->sum;
	size_t n = checkers_nr_violations(r->checkers);
	const char *path = r->scn->path;

	for (size_t i = 0; i < n; i++) {
		const struct check_violation *v = checkers_violation(r->checkers, i);

		if (violation_claimed(r, i))
			continue;
		if (v->line)
			fprintf(r->out, "%s:%d: violation [%s/%s]: %s\n", path, v->line, v->checker,
				v->kind, v->message);
		else
			fprintf(r->out, "%s: at the end of the run: violation [%s/%s]: %s\n", path,
				v->checker, v->kind, v->message);
		if (v->kernel_msg)
			fprintf(r->out, "  kernel says: \"%s\"\n", v->kernel_msg);
		if (v->rule)
			fprintf(r->out, "  rule: %s\n", v->rule);
		if (v->event.kind < EV__COUNT)
			print_event_short(r->out, "  event: ", &v->event);
		if (v->nr_trace) {
			/* The last few events are what a reader needs; JSON has them all. */
			unsigned int first = v->nr_trace > 8 ? v->nr_trace - 8 : 0;

			fprintf(r->out, "  trace tail:\n");
			for (unsigned int k = first; k < v->nr_trace; k++)
				print_event_short(r->out, "      ", &v->trace[k]);
		}
	}
	for (size_t i = 0; i < r->nr_failures; i++)
		fprintf(r->out, "%s:%d: expect failed: %s\n", path, r->failures[i].line,
			r->failures[i].message);
	fprintf(r->out,
		"summary: %llu steps, %llu DMAs (%llu bytes), %llu maps, %llu unmaps, "
		"IOTLB %llu hits / %llu misses, %llu faults, %llu bounces, %llu exposures, "
		"%llu violations, %llu/%llu expects passed\n",
		s->steps, s->dmas, s->dma_bytes, s->maps, s->unmaps, s->iotlb_hits, s->iotlb_misses,
		s->faults, s->bounces, s->exposures, s->violations, s->expects - s->expects_failed,
		s->expects);
	fprintf(r->out, "result: %s\n", s->violations || s->expects_failed ? "FAIL" : "PASS");
}

/* The JSON report document (NULL on -ENOMEM). */
static struct json_object *report_json(struct runner *r)
{
	const struct p2psim_run_summary *s = &r->sum;
	struct json_object *doc = json_object_new_object(), *fails, *viols, *sum;
	size_t n = checkers_nr_violations(r->checkers);

	if (!doc)
		return NULL;
	json_object_object_add(doc, "scenario", json_object_new_string(r->scn->path));
	json_object_object_add(doc, "topology", json_object_new_string(r->topo->name));
	json_object_object_add(doc, "seed", json_object_new_uint64(r->seed));
	json_object_object_add(
		doc, "result",
		json_object_new_string(s->violations || s->expects_failed ? "fail" : "pass"));
	fails = json_object_new_array();
	for (size_t i = 0; fails && i < r->nr_failures; i++) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "line", json_object_new_int(r->failures[i].line));
		json_object_object_add(f, "message",
				       json_object_new_string(r->failures[i].message));
		json_object_array_add(fails, f);
	}
	json_object_object_add(doc, "failures", fails);
	viols = json_object_new_array();
	for (size_t i = 0; viols && i < n; i++) {
		struct json_object *v = check_violation_to_json(checkers_violation(r->checkers, i));

		if (v)
			json_object_object_add(v, "claimed",
					       json_object_new_boolean(violation_claimed(r, i)));
		json_object_array_add(viols, v);
	}
	json_object_object_add(doc, "violations", viols);
	sum = json_object_new_object();
	if (sum) {
		json_object_object_add(sum, "steps", json_object_new_uint64(s->steps));
		json_object_object_add(sum, "dmas", json_object_new_uint64(s->dmas));
		json_object_object_add(sum, "dma_bytes", json_object_new_uint64(s->dma_bytes));
		json_object_object_add(sum, "maps", json_object_new_uint64(s->maps));
		json_object_object_add(sum, "unmaps", json_object_new_uint64(s->unmaps));
		json_object_object_add(sum, "iotlb_hits", json_object_new_uint64(s->iotlb_hits));
		json_object_object_add(sum, "iotlb_misses",
				       json_object_new_uint64(s->iotlb_misses));
		json_object_object_add(sum, "faults", json_object_new_uint64(s->faults));
		json_object_object_add(sum, "bounces", json_object_new_uint64(s->bounces));
		json_object_object_add(sum, "exposures", json_object_new_uint64(s->exposures));
		json_object_object_add(sum, "violations", json_object_new_uint64(s->violations));
		json_object_object_add(sum, "expects", json_object_new_uint64(s->expects));
		json_object_object_add(sum, "expects_failed",
				       json_object_new_uint64(s->expects_failed));
		json_object_object_add(sum, "time_ns", json_object_new_uint64(s->time_ns));
	}
	json_object_object_add(doc, "summary", sum);
	return doc;
}

static int print_json(struct runner *r)
{
	struct json_object *doc = report_json(r);

	if (!doc)
		return -ENOMEM;
	if (r->rs && r->rs->want_report) {
		r->rs->report = doc; /* the explorer embeds it in its own document */
		return 0;
	}
	fprintf(r->out, "%s\n",
		json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	return 0;
}

/* Hand the choices of the run to the caller (--explore). */
static int record_choices(struct runner *r)
{
	size_t n = r->sched ? sched_nr_choices(r->sched) : 0;

	if (!r->rs)
		return 0;
	r->rs->nr_choices = 0;
	if (!n)
		return 0;
	if (sched_lost_choices(r->sched))
		return -ENOMEM;
	r->rs->choices = malloc(n * sizeof(*r->rs->choices));
	if (!r->rs->choices)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		r->rs->choices[i] = *sched_choice(r->sched, i);
	r->rs->nr_choices = n;
	return 0;
}

/* Hand every violation to the embedder's observer (the fuzzer). */
static void observe_violations(struct runner *r)
{
	const struct p2psim_run_observer *obs = r->opts->observer;
	size_t n = checkers_nr_violations(r->checkers);

	for (size_t i = 0; i < n; i++) {
		const struct check_violation *v = checkers_violation(r->checkers, i);

		obs->violation(obs->ctx, v->line, v->checker, v->kind, v->message,
			       violation_claimed(r, i));
	}
}

/* --- entry points ---------------------------------------------------------- */

static void runner_destroy(struct runner *r)
{
	sched_free(r->sched);
	free(r->threads);
	if (r->handles)
		for (size_t i = 0; i < r->scn->nr_syms; i++)
			handle_reset(&r->handles[i]);
	free(r->handles);
	scn_twostep_free(r->twostep);
	scn_dmabuf_free(r->dmabuf); /* before the checkers and the router it uses */
	free(r->bufs);
	free(r->step_dev);
	free(r->step_dev2);
	free(r->dev_used);
	free(r->claimed);
	for (size_t i = 0; i < r->nr_failures; i++)
		free(r->failures[i].message);
	free(r->failures);
	if (r->checkers)
		checkers_free(r->checkers);
	if (r->w && r->trace)
		event_bus_unsubscribe(&r->w->m->events, trace_writer_event, r->trace);
	if (r->w)
		event_bus_unsubscribe(&r->w->m->events, step_event, r);
	trace_writer_free(r->trace);
	if (r->router)
		pci_router_free(r->router);
	if (r->pw)
		p2psim_world_free(r->pw);
	if (r->trace_file)
		fclose(r->trace_file);
}

int scn_run(const struct topology *topo, const struct scenario *scn,
	    const struct p2psim_run_opts *opts, FILE *out, struct p2psim_run_summary *summary,
	    struct p2psim_error *err, struct run_sched *rs)
{
	struct runner r = {
		.scn = scn, .topo = topo, .opts = opts, .out = out, .err = err, .rs = rs
	};
	size_t nsyms = scn->nr_syms ? scn->nr_syms : 1;
	size_t nsteps = scn->nr_steps ? scn->nr_steps : 1;
	int ret, status;

	r.seed = opts->seed_given ? opts->seed : scn->seed;
	if (opts->inject) {
		char msg[256];

		if (bug_set_parse_run(opts->inject, &r.bugs, msg, sizeof(msg))) {
			p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "%s", msg);
			return P2PSIM_EINPUT;
		}
	}
	r.step_dev = calloc(nsteps, sizeof(*r.step_dev));
	r.step_dev2 = calloc(nsteps, sizeof(*r.step_dev2));
	r.bufs = calloc(nsyms, sizeof(*r.bufs));
	r.handles = calloc(nsyms, sizeof(*r.handles));
	r.twostep = scn_twostep_new(nsyms);
	if (!r.step_dev || !r.step_dev2 || !r.bufs || !r.handles || !r.twostep) {
		ret = internal_error(&r, "run", -ENOMEM);
		goto out;
	}
	ret = bind(&r);
	if (ret)
		goto out;
	if (opts->trace_path) {
		r.trace_file = fopen(opts->trace_path, "w");
		if (!r.trace_file) {
			p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
					 "cannot write trace '%s': %s", opts->trace_path,
					 strerror(errno));
			ret = -EINVAL;
			goto out;
		}
	}
	ret = setup_world(&r);
	if (!ret)
		ret = setup_threads(&r);
	if (ret)
		goto out;
	if (text_out(&r) && !opts->quiet && !(rs && rs->no_header))
		fprintf(out, "== p2psim run: %s on %s (seed %llu)\n", scn->path, topo->name,
			(unsigned long long)r.seed);
	for (size_t i = 0; i < scn->nr_steps;) {
		if (scn->steps[i].thread)
			ret = run_section(&r, &i);
		else
			ret = run_step(&r, i++);
		if (ret)
			goto out;
	}
	teardown(&r);
	if (record_choices(&r)) {
		ret = internal_error(&r, "run", -ENOMEM);
		goto out;
	}
	if (grow_claimed(&r)) {
		ret = internal_error(&r, "run", -ENOMEM);
		goto out;
	}
	fill_summary(&r);
	if (opts->observer && opts->observer->violation)
		observe_violations(&r);
	if (opts->silent)
		;
	else if (text_out(&r))
		print_text(&r);
	else if (print_json(&r)) {
		ret = internal_error(&r, "report", -ENOMEM);
		goto out;
	}
	if (r.trace && trace_writer_failed(r.trace)) {
		ret = internal_error(&r, "writing the trace", -EIO);
		goto out;
	}
	if (summary)
		*summary = r.sum;
out:
	if (ret == -EINVAL)
		status = P2PSIM_EINPUT;
	else if (ret)
		status = P2PSIM_EINTERNAL;
	else
		status = r.sum.violations || r.sum.expects_failed ? P2PSIM_ECHECK : P2PSIM_OK;
	runner_destroy(&r);
	return status;
}

int p2psim_run_buffer(const p2psim_topology *topo, const char *text, size_t len, const char *name,
		      const struct p2psim_run_opts *opts, FILE *out,
		      struct p2psim_run_summary *summary, struct p2psim_error *err)
{
	struct p2psim_run_opts defaults = { .format = P2PSIM_FORMAT_TEXT };
	struct scenario *scn;
	int ret;

	ret = scenario_parse_buffer(text, len, name, &scn, err);
	if (ret)
		return ret == -ENOMEM ? P2PSIM_EINTERNAL : P2PSIM_EINPUT;
	ret = scn_run_with_opts(topology_from_public(topo), scn, opts ? opts : &defaults, out,
				summary, err);
	scenario_free(scn);
	return ret;
}

int p2psim_run(const p2psim_topology *topo, const char *scenario_path,
	       const struct p2psim_run_opts *opts, FILE *out, struct p2psim_run_summary *summary,
	       struct p2psim_error *err)
{
	struct p2psim_run_opts defaults = { .format = P2PSIM_FORMAT_TEXT };
	struct scenario *scn;
	int ret;

	ret = scenario_parse_file(scenario_path, &scn, err);
	if (ret)
		return ret == -ENOMEM ? P2PSIM_EINTERNAL : P2PSIM_EINPUT;
	ret = scn_run_with_opts(topology_from_public(topo), scn, opts ? opts : &defaults, out,
				summary, err);
	scenario_free(scn);
	return ret;
}

int p2psim_scenario_check(const char *scenario_path, struct p2psim_error *err)
{
	struct scenario *scn;
	int ret = scenario_parse_file(scenario_path, &scn, err);

	scenario_free(scn);
	if (ret)
		return ret == -ENOMEM ? P2PSIM_EINTERNAL : P2PSIM_EINPUT;
	return P2PSIM_OK;
}

int p2psim_run_inject_check(const char *list, struct p2psim_error *err)
{
	struct bug_set set;
	char msg[256];

	if (bug_set_parse_run(list, &set, msg, sizeof(msg))) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "%s", msg);
		return P2PSIM_EINPUT;
	}
	return P2PSIM_OK;
}

const char *const *p2psim_checker_names(void)
{
	return checkers_names();
}
