// SPDX-License-Identifier: GPL-2.0-only
/*
 * gen.c - the fuzzer's sequence generator (docs/fuzz.md).
 *
 * It knows the scenario grammar and the state a driver has: which buffers
 * exist, which handles are live and for which device and direction, which
 * devices can reach which BARs (the providers). Each step kind has a weight;
 * legal steps keep the state consistent, the mistake kinds (double unmap,
 * wrong size / direction / function / nents, a bad sync, DMA after unmap or
 * against the mapping's direction, an unchecked map, releasing a device with
 * live mappings) are flagged "excused" and taint their device: every later
 * step on a tainted device is excused too, and the tainted device is released
 * explicitly at the end, so the checkers' (expected) reports land on excused
 * lines. A sequence ends with the unmaps a correct driver would do.
 *
 * Owned here: struct fz_ctx set-up, the weights, the generator state.
 */
#define _GNU_SOURCE /* vasprintf */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2psim/p2p.h"
#include "sim/fuzz/fuzz_internal.h"
#include "sim/topology/topology_internal.h"

const char *const fz_kind_names[FZ__NR] = {
	[FZ_BUF] = "buf",
	[FZ_BAR] = "bar",
	[FZ_MAP] = "map",
	[FZ_MAP_SG] = "map-sg",
	[FZ_UNMAP] = "unmap",
	[FZ_SYNC] = "sync",
	[FZ_DMA] = "dma",
	[FZ_ADVANCE] = "advance",
	[FZ_RELEASE] = "release",
	[FZ_IOMMU] = "iommu",
	[FZ_HMM] = "hmm",
	[FZ_IOVA] = "iova",
	[FZ_VFIO] = "vfio",
	[FZ_EXPORT] = "export",
	[FZ_IMPORT] = "import",
	[FZ_IMPORTER] = "importer",
	[FZ_IMPORTER_DMA] = "importer-dma",
	[FZ_FENCE] = "fence",
	[FZ_EVENT] = "event",
	[FZ_STORM] = "storm",
	[FZ_DMABUF_CLOSE] = "dmabuf-close",
	[FZ_RACE] = "race",
	[FZ_DOUBLE_UNMAP] = "double-unmap",
	[FZ_WRONG_SIZE] = "wrong-size",
	[FZ_WRONG_DIR] = "wrong-dir",
	[FZ_WRONG_FUNCTION] = "wrong-function",
	[FZ_WRONG_NENTS] = "wrong-nents",
	[FZ_BAD_SYNC] = "bad-sync",
	[FZ_DMA_AFTER_UNMAP] = "dma-after-unmap",
	[FZ_UNCHECKED] = "unchecked",
	[FZ_LEAK_RELEASE] = "leak-release",
	[FZ_DMA_WRONG_DIR] = "dma-wrong-dir",
	[FZ_BAD_UNLINK] = "bad-unlink",
};

static const unsigned int default_weights[FZ__NR] = {
	[FZ_BUF] = 12,
	[FZ_BAR] = 6,
	[FZ_MAP] = 15,
	[FZ_MAP_SG] = 12,
	[FZ_UNMAP] = 14,
	[FZ_SYNC] = 6,
	[FZ_DMA] = 24,
	[FZ_ADVANCE] = 3,
	[FZ_RELEASE] = 2,
	[FZ_IOMMU] = 2,
	[FZ_HMM] = 4,
	[FZ_IOVA] = 4,
	[FZ_VFIO] = 3,
	[FZ_EXPORT] = 3,
	[FZ_IMPORT] = 4,
	[FZ_IMPORTER] = 4,
	[FZ_IMPORTER_DMA] = 6,
	[FZ_FENCE] = 1,
	[FZ_EVENT] = 3,
	[FZ_STORM] = 1,
	[FZ_DMABUF_CLOSE] = 1,
	[FZ_RACE] = 0,
	[FZ_DOUBLE_UNMAP] = 1,
	[FZ_WRONG_SIZE] = 1,
	[FZ_WRONG_DIR] = 1,
	[FZ_WRONG_FUNCTION] = 1,
	[FZ_WRONG_NENTS] = 1,
	[FZ_BAD_SYNC] = 1,
	[FZ_DMA_AFTER_UNMAP] = 1,
	[FZ_UNCHECKED] = 1,
	[FZ_LEAK_RELEASE] = 1,
	[FZ_DMA_WRONG_DIR] = 1,
	[FZ_BAD_UNLINK] = 1,
};

/* --- choices ---------------------------------------------------------------- */

static u64 splitmix(u64 *x)
{
	u64 z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void fz_rng_seed(struct fz_rng *rng, u64 seed)
{
	memset(rng, 0, sizeof(*rng));
	rng->state = seed;
}

u64 fz_sequence_seed(u64 campaign_seed, u64 k)
{
	u64 x = campaign_seed ^ (k * 0xd1342543de82ef95ULL);

	return splitmix(&x);
}

/* A number in [0, n). From fuzzer bytes: two bytes per choice, 0 once they run out. */
static u64 below(struct fz_rng *rng, u64 n)
{
	if (n <= 1)
		return 0;
	if (rng->data) {
		u64 v;

		if (rng->pos + 2 > rng->size) {
			rng->exhausted = true;
			return 0;
		}
		v = (u64)rng->data[rng->pos] | (u64)rng->data[rng->pos + 1] << 8;
		rng->pos += 2;
		return v % n;
	}
	return splitmix(&rng->state) % n;
}

/* --- set-up ----------------------------------------------------------------- */

static int parse_weights(struct fz_ctx *ctx, const char *spec, char *msg, size_t len)
{
	const char *p = spec;

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char item[64], *eq, *end;
		unsigned long w;
		int k;

		if (!n || n >= sizeof(item))
			goto bad;
		memcpy(item, p, n);
		item[n] = '\0';
		eq = strchr(item, '=');
		if (!eq || !eq[1])
			goto bad;
		*eq = '\0';
		w = strtoul(eq + 1, &end, 10);
		if (*end || eq[1] == '-' || w > 1000) {
			snprintf(msg, len, "bad weight '%s' for '%s' (0..1000)", eq + 1, item);
			return -EINVAL;
		}
		for (k = 0; k < FZ__NR; k++)
			if (!strcmp(fz_kind_names[k], item))
				break;
		if (!strcmp(item, "mistakes")) {
			for (k = FZ_DOUBLE_UNMAP; k < FZ__NR; k++)
				ctx->weights[k] = (unsigned int)w;
		} else if (k == FZ__NR) {
			snprintf(msg, len, "unknown step kind '%s' in --weights (see docs/fuzz.md)",
				 item);
			return -EINVAL;
		} else {
			ctx->weights[k] = (unsigned int)w;
		}
		p += n;
		if (*p == ',' && !*++p)
			goto bad;
	}
	return 0;
bad:
	snprintf(msg, len, "bad --weights '%s' (NAME=N,...)", spec);
	return -EINVAL;
}

/*
 * The devices VFIO can export a BAR of (a p2pmem BAR, else the largest 64-bit
 * memory BAR of at least 1 MiB), and for each the devices whose P2P DMA to it
 * the kernel supports (the importers a dma-buf of it can have).
 */
static void find_exporters(struct fz_ctx *ctx)
{
	p2psim_p2p *view = NULL;
	struct p2psim_error err = { 0 };

	for (size_t i = 0; i < ctx->nr_devs; i++) {
		const struct pci_dev *pdev =
			function_from_public(p2psim_topology_find(ctx->topo, ctx->devs[i].id));
		int best = -1;

		ctx->devs[i].export_bar = -1;
		for (int b = 0; pdev && b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &pdev->bars[b];

			if (bar->kind != PCI_BAR_MEM64 || bar->size_bytes < (1u << 20))
				continue;
			if (best < 0 || (bar->p2pmem && !pdev->bars[best].p2pmem) ||
			    (bar->p2pmem == pdev->bars[best].p2pmem &&
			     bar->size_bytes > pdev->bars[best].size_bytes))
				best = b;
		}
		if (best < 0 || ctx->nr_exporters == 8)
			continue;
		ctx->devs[i].export_bar = best;
		ctx->devs[i].export_size = pdev->bars[best].size_bytes;
		ctx->exporters[ctx->nr_exporters++] = i;
	}
	if (!ctx->nr_exporters || p2psim_p2p_new(ctx->topo, NULL, &view, &err))
		return;
	for (size_t e = 0; e < ctx->nr_exporters; e++) {
		struct fz_dev *x = &ctx->devs[ctx->exporters[e]];

		for (size_t d = 0; d < ctx->nr_devs && d < 64; d++) {
			struct p2psim_verdict v;

			if (d == ctx->exporters[e] ||
			    p2psim_p2p_verdict(view, p2psim_topology_find(ctx->topo, x->id),
					       p2psim_topology_find(ctx->topo, ctx->devs[d].id),
					       &v) ||
			    !strcmp(v.map_type, "NOT_SUPPORTED"))
				continue;
			x->importers |= 1ULL << d;
		}
	}
	p2psim_p2p_free(view);
}

int fz_ctx_init(struct fz_ctx *ctx, const p2psim_topology *topo, const char *weights,
		unsigned int steps, const char *inject, char *msg, size_t len)
{
	size_t n = p2psim_topology_function_count(topo);

	memset(ctx, 0, sizeof(*ctx));
	ctx->topo = topo;
	ctx->steps = steps ? steps : 48;
	ctx->inject = inject;
	memcpy(ctx->weights, default_weights, sizeof(ctx->weights));
	if (weights && parse_weights(ctx, weights, msg, len))
		return -EINVAL;
	ctx->devs = calloc(n ? n : 1, sizeof(*ctx->devs));
	ctx->providers = calloc(n ? n : 1, sizeof(*ctx->providers));
	if (!ctx->devs || !ctx->providers) {
		fz_ctx_destroy(ctx);
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const p2psim_function *fn = p2psim_topology_function(topo, i);
		const struct pci_dev *pdev = function_from_public(fn);
		struct fz_dev *d;

		if (!p2psim_function_is_dma_capable(fn))
			continue;
		d = &ctx->devs[ctx->nr_devs];
		d->id = p2psim_function_id(fn);
		d->has_iommu = pdev->host && pdev->host->iommu_index >= 0;
		for (int b = 0; b < PCI_NUM_BARS; b++)
			if (pdev->bars[b].p2pmem && pdev->bars[b].size_bytes >= (1u << 20))
				d->has_p2pmem = true;
		/* HMM refuses a device that needs syncs or has limited addressing */
		d->hmm_ok = pdev->dma_mask_bits == 64 && pdev->coherent && !pdev->untrusted;
		d->untrusted = pdev->untrusted;
		d->mask_bits = pdev->dma_mask_bits;
		if (d->has_iommu) {
			const struct topology *t = topology_from_public(topo);
			enum iommu_mode mode = t->iommus[pdev->host->iommu_index].mode;

			d->direct = mode == IOMMU_MODE_PASSTHROUGH || mode == IOMMU_MODE_OFF;
		}
		if (d->has_p2pmem)
			ctx->providers[ctx->nr_providers++] = ctx->nr_devs;
		ctx->nr_devs++;
	}
	if (!ctx->nr_devs) {
		fz_ctx_destroy(ctx);
		snprintf(msg, len, "the topology has no DMA-capable device to fuzz");
		return -EINVAL;
	}
	find_exporters(ctx);
	return 0;
}

void fz_ctx_destroy(struct fz_ctx *ctx)
{
	free(ctx->devs);
	free(ctx->providers);
	ctx->devs = NULL;
	ctx->providers = NULL;
}

/* --- sequences -------------------------------------------------------------- */

int fz_seq_add(struct fz_seq *seq, bool excused, const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (seq->n == seq->cap) {
		size_t cap = seq->cap ? seq->cap * 2 : 64;
		struct fz_line *l = realloc(seq->lines, cap * sizeof(*l));

		if (!l)
			return -ENOMEM;
		seq->lines = l;
		seq->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (!text)
		return -ENOMEM;
	seq->lines[seq->n++] = (struct fz_line){ .text = text, .excused = excused };
	return 0;
}

void fz_seq_free(struct fz_seq *seq)
{
	for (size_t i = 0; i < seq->n; i++)
		free(seq->lines[i].text);
	free(seq->lines);
	memset(seq, 0, sizeof(*seq));
}

int fz_seq_copy(struct fz_seq *dst, const struct fz_seq *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->mistakes = src->mistakes;
	for (size_t i = 0; i < src->n; i++) {
		if (fz_seq_add(dst, src->lines[i].excused, "%s", src->lines[i].text)) {
			fz_seq_free(dst);
			return -ENOMEM;
		}
		dst->lines[i].keep = src->lines[i].keep;
	}
	return 0;
}

/* --- the generator state ---------------------------------------------------- */

#define MAX_BUFS 48
#define MAX_HANDLES 64
#define MAX_SG 4
#define MAX_HMM 4
#define HMM_ENTRIES 8

enum { DIR_TO = 1, DIR_FROM = 2, DIR_BIDIR = 0 }; /* enum dma_data_direction values */

static const char *const dir_names[] = { "bidirectional", "to-device", "from-device" };

struct gbuf {
	u64 size;
	bool bar;
	int live; /* live mappings of it */
	bool live_writable;
};

enum hstate { H_LIVE, H_DEAD, H_ORPHAN };

struct ghandle {
	size_t dev;
	int dir;
	bool sg;
	int nbufs;
	int bufs[MAX_SG];
	u64 len; /* single: bytes mapped */
	bool bar; /* maps a BAR buffer: a P2P mapping has nothing to sync */
	enum hstate state;
};

/* An HMM map (hmm-alloc): which pfns were handed to hmm_dma_map_pfn(). */
struct ghmm {
	size_t dev;
	int entries;
	bool mapped[HMM_ENTRIES]; /* mapped, or tried: hmm-unmap of a clean pfn is a no-op */
	int buf[HMM_ENTRIES]; /* the buffer whose page the pfn holds */
	bool live;
};

/*
 * A two-step IOVA reservation (iova-alloc), in granules: granule i covers the
 * offsets [i*G - pad, (i+1)*G - pad) of the reservation (granule 0 starts at
 * 0), pad being the in-granule offset phys= gave the state's address. A link
 * covers whole granules, the last one maybe only in part.
 */
#define MAX_IOVA 4
#define IOVA_GRANULES 8
#define GRANULE 4096ULL

struct glink {
	u64 at, len;
	int buf;
	bool live;
};

struct giova {
	size_t dev;
	u64 pad;
	int granules;
	struct glink link[IOVA_GRANULES]; /* by first granule */
	int owner[IOVA_GRANULES]; /* the granule's link (its first granule), -1 free */
	bool live;
};

/*
 * dma-buf / VFIO: what the generator believes of the kernel's state, enough
 * to use only importers whose import succeeds (using one whose import
 * failed is a misuse of the scenario, which ends the run). Outcomes it does
 * not predict (a map or DMA refused while revoked) are acknowledged by the
 * reproducer like a failed map.
 */
#define MAX_VFIO 4
#define MAX_DMABUF 8
#define MAX_IMP 12

struct gvfio {
	size_t dev;
	bool bound, open, mmapped, gone;
	bool odd; /* bound with an option that makes exports fail (ops=none, non-mappable) */
	bool nvgrace; /* variant=nvgrace: the device memory is region 4 */
	bool reset_no, in_set;
	int opens;
	bool mem_on, d3, lowpower, revoked, unsure; /* unsure: revoked or not, after a reset */
};

struct gdmabuf {
	int vfio;
	u64 size; /* bytes exported */
	int nranges;
	bool ok, closed, dead;
};

enum { IMP_MLX5, IMP_IRDMA, IMP_IOMMUFD, IMP_DYNAMIC, IMP_STATIC, IMP_PINNED, IMP__NR };

static const char *const imp_kinds[IMP__NR] = { "mlx5",	   "irdma",  "iommufd",
						"dynamic", "static", "rdma-pinned" };

struct gimp {
	int dbuf, kind;
	size_t dev;
	u64 len; /* the window */
	bool ok, mapped, released;
};

struct gen {
	struct fz_ctx *ctx;
	struct fz_rng *rng;
	struct fz_seq *seq;
	struct gbuf bufs[MAX_BUFS];
	int nr_bufs;
	struct ghandle h[MAX_HANDLES];
	int nr_h;
	struct ghmm hmm[MAX_HMM];
	int nr_hmm;
	struct giova iova[MAX_IOVA];
	int nr_iova;
	struct gvfio vfio[MAX_VFIO];
	int nr_vfio;
	struct gdmabuf dbuf[MAX_DMABUF];
	int nr_dbuf;
	struct gimp imp[MAX_IMP];
	int nr_imp;
	int fds, fd_limit; /* dma-buf fds open; RLIMIT_NOFILE (fds 0-2 are taken) */
	/*
	 * Per device: given to vfio-pci for this sequence (an exporter). No
	 * kernel driver uses it then: no streaming / HMM / IOVA mapping by it,
	 * no p2pmem buffer in its BARs, no release, no import by it.
	 */
	bool vfio_dev[64];
	int races; /* thread sections written; the first one adds a schedule line */
	int race_threads; /* threads of the sections, named t0, t1, ... */
	bool direct[64]; /* per ctx device: set up in passthrough / off (no DMA IOMMU domain) */
	bool tainted[64]; /* per ctx device (the first 64) */
	bool used[64];
};

static bool tainted(const struct gen *g, size_t dev)
{
	return dev < 64 && g->tainted[dev];
}

static void taint(struct gen *g, size_t dev)
{
	if (dev < 64)
		g->tainted[dev] = true;
	g->seq->mistakes = true;
}

static const char *dev_id(const struct gen *g, size_t dev)
{
	return g->ctx->devs[dev].id;
}

/* A device a kernel driver uses (not one given to vfio-pci), if a few tries find one. */
static size_t kernel_dev(struct gen *g)
{
	size_t dev = below(g->rng, g->ctx->nr_devs);

	for (int tries = 0; tries < 8 && dev < 64 && g->vfio_dev[dev]; tries++)
		dev = below(g->rng, g->ctx->nr_devs);
	return dev;
}

static int pick_handle(struct gen *g, enum hstate st, bool sg_only)
{
	int cand[MAX_HANDLES], n = 0;

	for (int i = 0; i < g->nr_h; i++)
		if (g->h[i].state == st && (!sg_only || g->h[i].sg))
			cand[n++] = i;
	return n ? cand[below(g->rng, (u64)n)] : -1;
}

static void unmap_state(struct gen *g, struct ghandle *h, enum hstate st)
{
	for (int i = 0; i < h->nbufs; i++) {
		struct gbuf *b = &g->bufs[h->bufs[i]];

		if (b->live)
			b->live--;
		if (!b->live)
			b->live_writable = false;
	}
	h->state = st;
}

static int gen_buf(struct gen *g, bool bar)
{
	static const u64 sizes[] = { 4096, 8192, 12288, 16384, 65536, 2048 };
	/* patterns cost per byte: mostly none or a constant byte */
	static const char *const fills[] = { "", "", " fill=0xa5", " fill=seq" };
	u64 size = sizes[below(g->rng, 6)];
	const char *fill = fills[below(g->rng, 4)];
	int i = g->nr_bufs;

	if (i == MAX_BUFS)
		return 0;
	if (bar) {
		size_t p;

		if (!g->ctx->nr_providers)
			return 0;
		p = g->ctx->providers[below(g->rng, g->ctx->nr_providers)];
		if (p < 64 && g->vfio_dev[p])
			return 0;
		/* distinct BAR ranges: each BAR buffer gets its own 64 KiB slot */
		if (fz_seq_add(g->seq, false, "buf b%d %llu bar=%s off=%llu%s", i,
			       (unsigned long long)size, dev_id(g, p),
			       (unsigned long long)i * 65536, fill))
			return -ENOMEM;
	} else if (fz_seq_add(g->seq, false, "buf b%d %llu%s", i, (unsigned long long)size, fill)) {
		return -ENOMEM;
	}
	g->bufs[i] = (struct gbuf){ .size = size, .bar = bar };
	g->nr_bufs++;
	return 0;
}

/* Map buffer(s) for a device; @mistake: an unchecked map. */
static int gen_map(struct gen *g, bool sg, bool unchecked)
{
	struct ghandle *h;
	size_t dev;
	bool excused, overlap = false;
	char regions[MAX_SG * 24] = "";
	int dir;

	if (!g->nr_bufs)
		return gen_buf(g, false);
	if (g->nr_h == MAX_HANDLES)
		return 0;
	dev = kernel_dev(g);
	dir = (int)below(g->rng, 3);
	h = &g->h[g->nr_h];
	*h = (struct ghandle){ .dev = dev, .dir = dir, .sg = sg };
	h->nbufs = sg ? 1 + (int)below(g->rng, MAX_SG) : 1;
	for (int i = 0; i < h->nbufs; i++) {
		int b = (int)below(g->rng, (u64)g->nr_bufs), tries = 0;

		/*
		 * Distinct buffers in one list (the same bytes twice would
		 * overlap), and a correct driver maps bytes writable once:
		 * look for a buffer that is free for this direction.
		 */
		for (int j = 0; j < i; j++)
			if (h->bufs[j] == b && tries++ < 8) {
				b = (int)below(g->rng, (u64)g->nr_bufs);
				j = -1;
			}
		while (tries++ < 8 && g->bufs[b].live &&
		       (dir != DIR_TO || g->bufs[b].live_writable))
			b = (int)below(g->rng, (u64)g->nr_bufs);
		for (int j = 0; j < i && tries < 16; j++)
			if (h->bufs[j] == b && tries++ < 16) {
				b = (int)below(g->rng, (u64)g->nr_bufs);
				j = -1;
			}
		for (int j = 0; j < i; j++)
			if (h->bufs[j] == b)
				goto dup;
		h->bufs[i] = b;
		continue;
dup:
		h->nbufs = i;
		break;
	}
	for (int i = 0; i < h->nbufs; i++) {
		struct gbuf *b = &g->bufs[h->bufs[i]];
		size_t o = strlen(regions);

		if (b->live && (dir != DIR_TO || b->live_writable))
			overlap = true;
		snprintf(regions + o, sizeof(regions) - o, " b%d", h->bufs[i]);
	}
	/* no free bytes for this direction: a correct driver allocates more */
	if (overlap && g->nr_bufs < MAX_BUFS)
		return gen_buf(g, g->ctx->nr_providers && below(g->rng, 3) == 0);
	h->len = g->bufs[h->bufs[0]].size;
	for (int i = 0; i < h->nbufs; i++)
		h->bar |= g->bufs[h->bufs[i]].bar;
	/* a writable mapping of bytes already mapped is a driver mistake (dma-debug) */
	excused = overlap || unchecked || tainted(g, dev);
	if (excused)
		taint(g, dev);
	if (fz_seq_add(g->seq, excused, "%s h%d %s %s %s%s", sg ? "map-sg" : "map", g->nr_h,
		       dev_id(g, dev), dir_names[dir], regions + 1, unchecked ? " unchecked" : ""))
		return -ENOMEM;
	for (int i = 0; i < h->nbufs; i++) {
		g->bufs[h->bufs[i]].live++;
		if (dir != DIR_TO)
			g->bufs[h->bufs[i]].live_writable = true;
	}
	g->used[dev < 64 ? dev : 63] = true;
	g->nr_h++;
	return 0;
}

/* A legal map of either kind, as the weights allow (the fallback of steps that need one). */
static int gen_some_map(struct gen *g)
{
	unsigned int ws = g->ctx->weights[FZ_MAP], wg = g->ctx->weights[FZ_MAP_SG];

	if (!ws && !wg)
		return gen_buf(g, false);
	return gen_map(g, below(g->rng, ws + wg) >= ws, false);
}

static int gen_unmap(struct gen *g)
{
	int i = pick_handle(g, H_LIVE, false);

	if (i < 0)
		return gen_some_map(g);
	unmap_state(g, &g->h[i], H_DEAD);
	return fz_seq_add(g->seq, tainted(g, g->h[i].dev), "unmap h%d", i);
}

static int gen_sync(struct gen *g)
{
	int i = pick_handle(g, H_LIVE, false);
	struct ghandle *h;
	bool cpu;

	if (i < 0)
		return gen_some_map(g);
	h = &g->h[i];
	if (h->bar)
		return 0;
	cpu = h->dir == DIR_FROM || (h->dir == DIR_BIDIR && below(g->rng, 2));
	return fz_seq_add(g->seq, tainted(g, h->dev), "sync h%d %s", i,
			  cpu ? "for-cpu" : "for-device");
}

static int gen_dma(struct gen *g, int i, bool wrong_dir)
{
	static const char *const data[] = { "0x5a", "0x3c", "seq", "ones" };
	struct ghandle *h = &g->h[i];
	bool write = h->dir == DIR_FROM || (h->dir == DIR_BIDIR && below(g->rng, 2));
	char seg[32] = "";
	bool excused = wrong_dir || h->state != H_LIVE || tainted(g, h->dev);

	if (wrong_dir) {
		if (h->dir == DIR_BIDIR)
			return 0;
		write = !write;
	}
	if (h->sg && h->nbufs > 1) {
		u64 s = below(g->rng, (u64)h->nbufs);

		if (s)
			snprintf(seg, sizeof(seg), " seg=%llu", (unsigned long long)s);
	}
	if (excused)
		taint(g, h->dev);
	if (write)
		return fz_seq_add(g->seq, excused, "dma write %s h%d data=%s%s", dev_id(g, h->dev),
				  i, data[below(g->rng, 4)], seg);
	return fz_seq_add(g->seq, excused, "dma read %s h%d%s", dev_id(g, h->dev), i, seg);
}

static int gen_release(struct gen *g, bool with_live)
{
	size_t dev = kernel_dev(g);
	bool live = false;

	for (int i = 0; i < g->nr_h; i++)
		if (g->h[i].dev == dev && g->h[i].state == H_LIVE)
			live = true;
	for (int i = 0; i < g->nr_hmm; i++)
		if (g->hmm[i].dev == dev && g->hmm[i].live)
			return 0; /* an HMM map is released by hmm-free, not by unbind */
	for (int i = 0; i < g->nr_iova; i++)
		if (g->iova[i].dev == dev && g->iova[i].live)
			return 0; /* likewise a reservation, by iova-free */
	for (int i = 0; i < g->nr_imp; i++)
		if (g->imp[i].dev == dev && !g->imp[i].released)
			return 0; /* and a dma-buf importer, by dmabuf-release */
	if (live != with_live)
		return 0;
	if (live) {
		taint(g, dev);
		for (int i = 0; i < g->nr_h; i++)
			if (g->h[i].dev == dev && g->h[i].state == H_LIVE)
				g->h[i].state = H_ORPHAN; /* leaked: its bytes stay mapped */
	}
	return fz_seq_add(g->seq, tainted(g, dev), "release %s", dev_id(g, dev));
}

/* The deliberate unmap / sync mistakes on handle @i. */
static int gen_bad_unmap(struct gen *g, enum fz_kind k)
{
	int i = pick_handle(g, k == FZ_DOUBLE_UNMAP ? H_DEAD : H_LIVE, k == FZ_WRONG_NENTS);
	struct ghandle *h;

	/* a double unmap, or an unmap after the device was released */
	if (k == FZ_DOUBLE_UNMAP && (i < 0 || below(g->rng, 2)))
		i = pick_handle(g, H_ORPHAN, false) >= 0 ? pick_handle(g, H_ORPHAN, false) : i;

	if (i < 0)
		return 0;
	h = &g->h[i];
	taint(g, h->dev);
	switch (k) {
	case FZ_DOUBLE_UNMAP:
		return fz_seq_add(g->seq, true, "unmap h%d", i);
	case FZ_WRONG_SIZE:
		if (h->sg)
			return 0;
		unmap_state(g, h, H_ORPHAN);
		return fz_seq_add(g->seq, true, "unmap h%d size=%llu", i,
				  (unsigned long long)(h->len > 4096 ? h->len - 4096 : h->len * 2));
	case FZ_WRONG_DIR:
		unmap_state(g, h, H_ORPHAN);
		return fz_seq_add(g->seq, true, "unmap h%d dir=%s", i,
				  dir_names[(h->dir + 1 + below(g->rng, 2)) % 3]);
	case FZ_WRONG_FUNCTION:
		unmap_state(g, h, H_ORPHAN);
		return fz_seq_add(g->seq, true, "unmap h%d as=%s", i, h->sg ? "single" : "sg");
	case FZ_WRONG_NENTS:
		unmap_state(g, h, H_ORPHAN);
		return fz_seq_add(g->seq, true, "unmap h%d nents=%d", i, h->nbufs + 1);
	case FZ_BAD_SYNC:
		if (below(g->rng, 2))
			return fz_seq_add(g->seq, true, "sync h%d for-cpu dir=%s", i,
					  dir_names[(h->dir + 1) % 3]);
		if (h->sg)
			return fz_seq_add(g->seq, true, "sync h%d for-device nents=%d", i,
					  h->nbufs + 1);
		return fz_seq_add(g->seq, true, "sync h%d for-device off=%llu len=8192", i,
				  (unsigned long long)(h->len - 512));
	default:
		return 0;
	}
}

/*
 * The HMM DMA helpers (docs/scenario.md): allocate a map for a device HMM
 * accepts, map pfns of RAM buffers into it one at a time (sometimes while
 * the IOMMU's iotlb_sync_map fails, fault=sync-map: a driver sees the error
 * and goes on), unmap them, free the map once nothing is mapped.
 */
static int gen_hmm(struct gen *g)
{
	static const int entries[] = { 1, 2, 4, 8 };
	int live[MAX_HMM], nl = 0, clean[HMM_ENTRIES], nc = 0, used[HMM_ENTRIES], nu = 0;
	struct ghmm *m;
	int i;

	for (i = 0; i < g->nr_hmm; i++)
		if (g->hmm[i].live)
			live[nl++] = i;
	if (!nl || (g->nr_hmm < MAX_HMM && !below(g->rng, 4))) {
		size_t ok[64], n = 0;

		/*
		 * Only devices with an IOVA (dma_iova_try_alloc() succeeds): without
		 * one, hmm_dma_map_pfn() uses dma_map_phys() and, the model's
		 * dma_need_unmap() being the kernel's without CONFIG_DMA_API_DEBUG,
		 * never unmaps it, which the dma-debug checker would report.
		 */
		for (size_t d = 0; d < g->ctx->nr_devs && d < 64; d++)
			if (g->ctx->devs[d].hmm_ok && g->ctx->devs[d].has_iommu && !g->direct[d] &&
			    !g->vfio_dev[d])
				ok[n++] = d;
		if (!n || g->nr_hmm == MAX_HMM)
			return 0;
		m = &g->hmm[g->nr_hmm];
		*m = (struct ghmm){ .dev = ok[below(g->rng, n)],
				    .entries = entries[below(g->rng, 4)],
				    .live = true };
		g->used[m->dev < 64 ? m->dev : 63] = true;
		return fz_seq_add(g->seq, tainted(g, m->dev), "hmm-alloc m%d %s %d", g->nr_hmm++,
				  dev_id(g, m->dev), m->entries);
	}
	i = live[below(g->rng, (u64)nl)];
	m = &g->hmm[i];
	for (int e = 0; e < m->entries; e++) {
		if (m->mapped[e])
			used[nu++] = e;
		else
			clean[nc++] = e;
	}
	if (nc && (!nu || below(g->rng, 3))) {
		int e = clean[below(g->rng, (u64)nc)], b = -1;
		u64 off;

		/* HMM maps bidirectional: RAM no other mapping holds (dma-debug sees dma_map_phys) */
		for (int tries = 0; tries < 8 && g->nr_bufs; tries++) {
			b = (int)below(g->rng, (u64)g->nr_bufs);
			if (!g->bufs[b].bar && !g->bufs[b].live)
				break;
			b = -1;
		}
		if (b < 0)
			return gen_buf(g, false);
		off = g->bufs[b].size > 4096 ? below(g->rng, g->bufs[b].size / 4096) * 4096 : 0;
		m->mapped[e] = true;
		m->buf[e] = b;
		g->bufs[b].live++;
		g->bufs[b].live_writable = true;
		return fz_seq_add(g->seq, tainted(g, m->dev), "hmm-map m%d %d b%d@%llu%s", i, e, b,
				  (unsigned long long)off,
				  below(g->rng, 4) ? "" : " fault=sync-map");
	}
	if (nu) {
		int e = used[below(g->rng, (u64)nu)];

		m->mapped[e] = false;
		if (g->bufs[m->buf[e]].live && !--g->bufs[m->buf[e]].live)
			g->bufs[m->buf[e]].live_writable = false;
		return fz_seq_add(g->seq, tainted(g, m->dev), "hmm-unmap m%d %d", i, e);
	}
	m->live = false;
	return fz_seq_add(g->seq, tainted(g, m->dev), "hmm-free m%d", i);
}

/* A RAM buffer of at least @size bytes no mapping holds, or -1 (a new one is made). */
static int free_ram_buf(struct gen *g, u64 size, int *ret)
{
	for (int tries = 0; tries < 8 && g->nr_bufs; tries++) {
		int b = (int)below(g->rng, (u64)g->nr_bufs);

		if (!g->bufs[b].bar && !g->bufs[b].live && g->bufs[b].size >= size)
			return b;
	}
	*ret = 0;
	if (g->nr_bufs < MAX_BUFS) {
		size = (size + GRANULE - 1) / GRANULE * GRANULE;
		*ret = fz_seq_add(g->seq, false, "buf b%d %llu", g->nr_bufs,
				  (unsigned long long)size);
		if (!*ret)
			g->bufs[g->nr_bufs++] = (struct gbuf){ .size = size };
	}
	return -1;
}

static void iova_drop_link(struct gen *g, struct giova *r, int first)
{
	struct glink *l = &r->link[first];
	struct gbuf *b = &g->bufs[l->buf];

	for (int i = 0; i < r->granules; i++)
		if (r->owner[i] == first)
			r->owner[i] = -1;
	if (b->live && !--b->live)
		b->live_writable = false;
	l->live = false;
}

/* The offset of granule @i in reservation @r. */
static u64 granule_at(const struct giova *r, int i)
{
	return i ? (u64)i * GRANULE - r->pad : 0;
}

static int gen_iova_alloc(struct gen *g)
{
	static const u64 pads[] = { 0, 0, 512, 2048 };
	size_t ok[64], n = 0;
	struct giova *r;

	/* only devices with a DMA IOMMU domain: dma_iova_try_alloc() fails without one */
	for (size_t d = 0; d < g->ctx->nr_devs && d < 64; d++)
		if (g->ctx->devs[d].has_iommu && !g->direct[d] && !g->vfio_dev[d])
			ok[n++] = d;
	if (!n || g->nr_iova == MAX_IOVA)
		return 0;
	r = &g->iova[g->nr_iova];
	*r = (struct giova){ .dev = ok[below(g->rng, n)],
			     .pad = pads[below(g->rng, 4)],
			     .granules = 2 + (int)below(g->rng, IOVA_GRANULES - 1),
			     .live = true };
	for (int i = 0; i < IOVA_GRANULES; i++)
		r->owner[i] = -1;
	g->used[r->dev < 64 ? r->dev : 63] = true;
	if (r->pad)
		return fz_seq_add(g->seq, tainted(g, r->dev), "iova-alloc r%d %s %llu phys=%llu",
				  g->nr_iova++, dev_id(g, r->dev),
				  (unsigned long long)((u64)r->granules * GRANULE - r->pad),
				  (unsigned long long)r->pad);
	return fz_seq_add(g->seq, tainted(g, r->dev), "iova-alloc r%d %s %llu", g->nr_iova++,
			  dev_id(g, r->dev), (unsigned long long)((u64)r->granules * GRANULE));
}

/*
 * Link free granules [a, a + n) to a RAM buffer: the first granule of a
 * reservation with a pad takes the buffer at the same in-granule offset;
 * the last granule is sometimes linked only in part (what an untrusted
 * device bounces through swiotlb).
 */
static int gen_iova_link(struct gen *g, int ri)
{
	static const u64 cuts[] = { 0, 0, 512, 2048, 3584 };
	struct giova *r = &g->iova[ri];
	int a = (int)below(g->rng, (u64)r->granules), n = 1, b, ret = 0;
	u64 at, len, cut = cuts[below(g->rng, 5)];
	bool bounced, full;
	char region[96];
	struct glink *l;

	if (r->owner[a] >= 0)
		return 0;
	while (a + n < r->granules && r->owner[a + n] < 0 && n < 3 && below(g->rng, 2))
		n++;
	at = granule_at(r, a);
	len = granule_at(r, a + n) - at;
	bounced = cut < len || (!a && r->pad); /* a partial granule: swiotlb for untrusted */
	if (cut < len)
		len -= cut;
	b = free_ram_buf(g, len + (a ? 0 : r->pad), &ret);
	if (b < 0)
		return ret;
	/*
	 * Sometimes the bounce pool is full during a link that bounces
	 * (fault=swiotlb-full): the link fails ENOMEM and undoes what it linked.
	 */
	full = bounced && g->ctx->devs[r->dev].untrusted && below(g->rng, 6) == 0;
	if (!a && r->pad)
		snprintf(region, sizeof(region), "b%d@%llu+%llu", b, (unsigned long long)r->pad,
			 (unsigned long long)len);
	else if (at)
		snprintf(region, sizeof(region), "b%d+%llu at=%llu", b, (unsigned long long)len,
			 (unsigned long long)at);
	else
		snprintf(region, sizeof(region), "b%d+%llu", b, (unsigned long long)len);
	if (!full) {
		l = &r->link[a];
		*l = (struct glink){ .at = at, .len = len, .buf = b, .live = true };
		for (int i = a; i < a + n; i++)
			r->owner[i] = a;
		g->bufs[b].live++;
		g->bufs[b].live_writable = true;
	}
	return fz_seq_add(g->seq, tainted(g, r->dev), "iova-link r%d %s%s", ri, region,
			  full ? " fault=swiotlb-full" : "");
}

static int emit_unlink(struct gen *g, int ri, u64 at, u64 len, bool excused)
{
	if (at)
		return fz_seq_add(g->seq, excused, "iova-unlink r%d len=%llu at=%llu", ri,
				  (unsigned long long)len, (unsigned long long)at);
	return fz_seq_add(g->seq, excused, "iova-unlink r%d len=%llu", ri, (unsigned long long)len);
}

/* Free a reservation: destroy when its links are exactly [0, mapped_len), else free. */
static int gen_iova_end(struct gen *g, int ri)
{
	struct giova *r = &g->iova[ri];
	u64 end = 0;
	bool prefix = true, any = false;

	for (int i = 0; i < r->granules; i++) {
		struct glink *l = &r->link[i];

		if (r->owner[i] != i || !l->live)
			continue;
		any = true;
		prefix &= l->at == end;
		end = l->at + l->len;
	}
	if (any && !prefix)
		return 0; /* unlink first */
	for (int i = 0; i < r->granules; i++)
		if (r->owner[i] == i && r->link[i].live)
			iova_drop_link(g, r, i);
	r->live = false;
	if (any)
		return fz_seq_add(g->seq, tainted(g, r->dev), "iova-destroy r%d len=%llu", ri,
				  (unsigned long long)end);
	return fz_seq_add(g->seq, tainted(g, r->dev), "iova-free r%d", ri);
}

/*
 * The two-step IOVA API (docs/two-step.md): reserve, link RAM granules
 * (whole or with a short last granule), sync, unlink a link exactly,
 * destroy a reservation whose links are [0, mapped_len), free an empty one.
 */
static int gen_iova(struct gen *g)
{
	int live[MAX_IOVA], nl = 0, ri, links[IOVA_GRANULES], nk = 0;
	struct giova *r;
	u64 what;

	for (int i = 0; i < g->nr_iova; i++)
		if (g->iova[i].live)
			live[nl++] = i;
	if (!nl || (g->nr_iova < MAX_IOVA && !below(g->rng, 5)))
		return gen_iova_alloc(g);
	ri = live[below(g->rng, (u64)nl)];
	r = &g->iova[ri];
	for (int i = 0; i < r->granules; i++)
		if (r->owner[i] == i && r->link[i].live)
			links[nk++] = i;
	what = below(g->rng, 10);
	if (what < 5 || !nk)
		return what == 9 ? gen_iova_end(g, ri) : gen_iova_link(g, ri);
	if (what < 6)
		return fz_seq_add(g->seq, tainted(g, r->dev), "iova-sync r%d", ri);
	if (what < 9) {
		int k = links[below(g->rng, (u64)nk)];
		struct glink *l = &r->link[k];

		iova_drop_link(g, r, k);
		return emit_unlink(g, ri, l->at, l->len, tainted(g, r->dev));
	}
	return gen_iova_end(g, ri);
}

/*
 * The unlink mistakes: one call over the first to the last link of a
 * reservation (across whatever is not linked between them), or again over
 * a link already unlinked. Everything the reservation linked is forgotten.
 */
static int gen_bad_unlink(struct gen *g)
{
	int live[MAX_IOVA], nl = 0, first = -1, last = -1;
	struct giova *r;
	int ri;

	for (int i = 0; i < g->nr_iova; i++)
		if (g->iova[i].live)
			live[nl++] = i;
	if (!nl)
		return 0;
	ri = live[below(g->rng, (u64)nl)];
	r = &g->iova[ri];
	for (int i = 0; i < r->granules; i++)
		if (r->owner[i] == i) {
			if (first < 0)
				first = i;
			last = i;
		}
	if (first < 0)
		return 0;
	taint(g, r->dev);
	for (int i = 0; i < r->granules; i++)
		if (r->owner[i] == i && r->link[i].live)
			iova_drop_link(g, r, i);
	if (below(g->rng, 3))
		return emit_unlink(g, ri, r->link[first].at,
				   r->link[last].at + r->link[last].len - r->link[first].at, true);
	return emit_unlink(g, ri, r->link[first].at, r->link[first].len, true);
}

/* --- dma-buf / VFIO ------------------------------------------------------------ */

static struct gvfio *vfio_of(struct gen *g, size_t dev)
{
	for (int i = 0; i < g->nr_vfio; i++)
		if (g->vfio[i].dev == dev)
			return &g->vfio[i];
	return NULL;
}

/* Bind (sometimes with an option), open, request the BAR: one step at a time. */
static int gen_vfio(struct gen *g)
{
	size_t dev;
	struct gvfio *v;
	u64 opt;

	if (!g->ctx->nr_exporters)
		return 0;
	dev = g->ctx->exporters[below(g->rng, g->ctx->nr_exporters)];
	if (dev >= 64 || !g->vfio_dev[dev])
		return 0;
	v = vfio_of(g, dev);
	if (!v) {
		static const char *const odd[] = { " ops=none", " non-mappable-bars=yes" };
		char opts[96] = "";

		if (g->nr_vfio == MAX_VFIO)
			return 0;
		v = &g->vfio[g->nr_vfio++];
		*v = (struct gvfio){ .dev = dev, .bound = true };
		opt = below(g->rng, 24);
		if (opt < 2) {
			v->odd = true;
			snprintf(opts, sizeof(opts), "%s", odd[opt]);
		} else if (opt < 3) {
			v->nvgrace = true;
			snprintf(opts, sizeof(opts), " variant=nvgrace");
		} else if (opt < 5) {
			v->reset_no = true;
			snprintf(opts, sizeof(opts), " reset=no");
		} else if (opt < 11 && g->ctx->nr_exporters > 1) {
			v->in_set = true; /* a hot reset resets every device of the set */
			snprintf(opts, sizeof(opts), " set=s0");
		}
		g->used[dev < 64 ? dev : 63] = true;
		return fz_seq_add(g->seq, false, "vfio-bind %s%s", dev_id(g, dev), opts);
	}
	if (v->gone)
		return 0;
	if (!v->open || below(g->rng, 8) == 0) {
		if (!v->open) {
			v->mem_on = true; /* vfio_config_init(): memory decode on */
			v->d3 = v->lowpower = v->revoked = v->unsure = false;
		}
		v->open = true;
		v->opens++;
		return fz_seq_add(g->seq, false, "vfio-open %s", dev_id(g, dev));
	}
	if (v->mmapped)
		return 0;
	v->mmapped = true;
	/* nvgrace: what a user mmaps is region 4 (usemem), the device memory */
	return fz_seq_add(g->seq, false, "vfio-mmap %s bar=%d", dev_id(g, dev),
			  v->nvgrace ? 4 : g->ctx->devs[dev].export_bar);
}

/*
 * VFIO_DEVICE_FEATURE_DMA_BUF of an opened device's BAR: the whole BAR, or
 * 1-3 page-aligned ranges, some of them beyond 4 or 8 GiB on a large BAR
 * (the sg splitting at UINT_MAX). Sometimes before the BAR was requested.
 */
static int gen_export(struct gen *g)
{
	static const u64 small[] = { 64ULL << 10, 1ULL << 20, 2ULL << 20, 4ULL << 20 };
	char ranges[160] = "";
	struct gdmabuf *d;
	struct gvfio *v;
	u64 bar_size, at = 0, total = 0;
	int vi, n;

	if (!g->nr_vfio || g->nr_dbuf == MAX_DMABUF)
		return gen_vfio(g);
	vi = (int)below(g->rng, (u64)g->nr_vfio);
	v = &g->vfio[vi];
	if (!v->open || v->gone || (!v->mmapped && below(g->rng, 4)))
		return gen_vfio(g);
	bar_size = g->ctx->devs[v->dev].export_size;
	n = below(g->rng, 4) ? 1 + (int)below(g->rng, 3) : 0; /* 0: the whole BAR */
	for (int i = 0; i < n; i++) {
		u64 len = small[below(g->rng, 4)];
		size_t o = strlen(ranges);

		if (bar_size >= (16ULL << 30) && below(g->rng, 4) == 0)
			len = (below(g->rng, 2) ? 5ULL : 9ULL)
			      << 30; /* > UINT_MAX, > 2 * UINT_MAX */
		at += below(g->rng, 2) ? 0 : 1ULL << 20;
		if (at + len > bar_size)
			break;
		snprintf(ranges + o, sizeof(ranges) - o, "%s%llu+%llu",
			 i ? "," : " ranges=", (unsigned long long)at, (unsigned long long)len);
		at += len;
		total += len;
	}
	if (!total) {
		ranges[0] = '\0';
		total = bar_size;
		n = 1;
	}
	d = &g->dbuf[g->nr_dbuf];
	*d = (struct gdmabuf){ .vfio = vi, .size = total, .nranges = n };
	d->ok = v->mmapped && !v->odd && g->fds < g->fd_limit - 3;
	g->fds += d->ok;
	return fz_seq_add(g->seq, false, "dmabuf-export v%d %s bar=%d%s", g->nr_dbuf++,
			  dev_id(g, v->dev), v->nvgrace ? 4 : g->ctx->devs[v->dev].export_bar,
			  ranges);
}

static bool dbuf_revoked(const struct gen *g, const struct gdmabuf *d)
{
	const struct gvfio *v = &g->vfio[d->vfio];

	return d->dead || v->revoked || v->unsure;
}

/* An importer of a dma-buf: its device, kind and window; believed ok or not. */
static int gen_import(struct gen *g)
{
	static const unsigned int kind_w[IMP__NR] = { 3, 2, 2, 4, 1, 1 };
	int cand[MAX_DMABUF], nc = 0, di, kind = 0;
	u64 pick, devs[64], nd = 0, off = 0, len;
	struct gdmabuf *d;
	struct gimp *m;
	char window[96] = "";

	for (int i = 0; i < g->nr_dbuf; i++)
		if (g->dbuf[i].ok && !g->dbuf[i].closed)
			cand[nc++] = i;
	if (!nc || g->nr_imp == MAX_IMP)
		return gen_export(g);
	di = cand[below(g->rng, (u64)nc)];
	d = &g->dbuf[di];
	for (size_t k = 0; k < g->ctx->nr_devs && k < 64; k++)
		if ((g->ctx->devs[g->vfio[d->vfio].dev].importers & (1ULL << k)) && !g->vfio_dev[k])
			devs[nd++] = k;
	if (!nd)
		return 0;
	pick = below(g->rng, 13);
	while (pick >= kind_w[kind])
		pick -= kind_w[kind++];
	m = &g->imp[g->nr_imp];
	*m = (struct gimp){ .dbuf = di, .kind = kind, .dev = (size_t)devs[below(g->rng, nd)] };
	/* revoked, or maybe: only a plain dynamic attach is sure to succeed */
	if (dbuf_revoked(g, d))
		kind = IMP_DYNAMIC;
	/* iommufd imports all of it into a 256 MiB IOVA slot of its own */
	if (kind == IMP_IOMMUFD && d->size > (256ULL << 20))
		kind = IMP_DYNAMIC;
	m->kind = kind;
	/* others: the whole dma-buf, or a window of up to 1 MiB */
	len = d->size;
	if (kind != IMP_IOMMUFD && below(g->rng, 2)) {
		len = d->size < (1ULL << 20) ? d->size : 1ULL << 20;
		off = d->size > len ? below(g->rng, (d->size - len) >> 16) << 16 : 0;
		snprintf(window, sizeof(window), " off=%llu len=%llu", (unsigned long long)off,
			 (unsigned long long)len);
	}
	if (kind == IMP_IOMMUFD) {
		size_t o = strlen(window);

		snprintf(window + o, sizeof(window) - o, " iova=%#llx",
			 0x10000000ULL * (unsigned long long)(1 + g->nr_imp));
	}
	m->len = len;
	/*
	 * VFIO refuses static and pinned importers; iommufd takes one range;
	 * the ODP and pinned RDMA MRs map at once, which fails while revoked.
	 */
	m->ok = kind != IMP_STATIC && kind != IMP_PINNED &&
		(kind != IMP_IOMMUFD || d->nranges == 1) &&
		(kind == IMP_DYNAMIC || !dbuf_revoked(g, d));
	m->mapped = m->ok && (kind == IMP_MLX5 || kind == IMP_IRDMA);
	g->used[m->dev < 64 ? m->dev : 63] = true;
	return fz_seq_add(g->seq, false, "dmabuf-import i%d v%d %s as=%s%s", g->nr_imp++, di,
			  dev_id(g, m->dev), imp_kinds[kind], window);
}

static int pick_importer(struct gen *g)
{
	int cand[MAX_IMP], n = 0;

	for (int i = 0; i < g->nr_imp; i++)
		if (g->imp[i].ok && !g->imp[i].released)
			cand[n++] = i;
	return n ? cand[below(g->rng, (u64)n)] : -1;
}

/* Map, unmap (the kinds that can), release, or iommufd's access pin. */
static int gen_importer(struct gen *g)
{
	int i = pick_importer(g);
	struct gimp *m;
	u64 what = below(g->rng, 8);

	if (i < 0)
		return gen_import(g);
	m = &g->imp[i];
	if (what == 0) {
		m->released = true;
		return fz_seq_add(g->seq, false, "dmabuf-release i%d", i);
	}
	if (what == 1 && m->kind == IMP_IOMMUFD)
		return fz_seq_add(g->seq, false, "dmabuf-access-pin i%d", i);
	if (m->mapped && (m->kind == IMP_DYNAMIC || m->kind == IMP_IOMMUFD) && what < 5) {
		m->mapped = false;
		return fz_seq_add(g->seq, false, "dmabuf-unmap i%d", i);
	}
	if (m->mapped && m->kind != IMP_MLX5)
		return 0;
	m->mapped = true; /* or an outcome: ENODEV while revoked */
	return fz_seq_add(g->seq, false, "dmabuf-map i%d", i);
}

/* The importer's hardware moves bytes through its mapping (or is refused). */
static int gen_importer_dma(struct gen *g)
{
	static const char *const data[] = { "0x5a", "seq", "ones", "rand:3" };
	int i = pick_importer(g);
	struct gimp *m;
	u64 off, len;

	if (i < 0)
		return gen_import(g);
	m = &g->imp[i];
	len = m->len < 16384 ? m->len : 4096ULL << below(g->rng, 3);
	off = m->len > len ? below(g->rng, (m->len - len) >> 12) << 12 : 0;
	if (below(g->rng, 2))
		return fz_seq_add(g->seq, false, "dmabuf-dma i%d read off=%llu len=%llu", i,
				  (unsigned long long)off, (unsigned long long)len);
	return fz_seq_add(g->seq, false, "dmabuf-dma i%d write off=%llu len=%llu data=%s", i,
			  (unsigned long long)off, (unsigned long long)len, data[below(g->rng, 4)]);
}

/* A fence on a dma-buf's reservation (a revoke waits for it), or signal them. */
static int gen_fence(struct gen *g)
{
	static const char *const usage[] = { "", " usage=kernel", " usage=write", " usage=read" };
	int i;

	if (!g->nr_dbuf)
		return gen_export(g);
	i = (int)below(g->rng, (u64)g->nr_dbuf);
	if (!g->dbuf[i].ok || g->dbuf[i].closed)
		return 0;
	if (below(g->rng, 3) == 0)
		return fz_seq_add(g->seq, false, "dmabuf-signal v%d", i);
	return fz_seq_add(g->seq, false, "dmabuf-fence v%d%s", i, usage[below(g->rng, 4)]);
}

static void vfio_dead(struct gen *g, int vi)
{
	for (int i = 0; i < g->nr_dbuf; i++)
		if (g->dbuf[i].vfio == vi)
			g->dbuf[i].dead = true;
}

/* One revoke trigger of reference §2.8 on a bound device, and what it does to `revoked`. */
static int gen_event(struct gen *g)
{
	static const char *const kinds[] = {
		"mem-off",   "mem-on",	       "d3hot",		"d0",	"flr",	 "af-flr", "reset",
		"hot-reset", "lowpower-enter", "lowpower-exit", "wake", "close", "unplug"
	};
	static const unsigned int kind_w[] = { 6, 6, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1 };
	char extra[64] = "";
	struct gvfio *v;
	u64 pick = below(g->rng, 33);
	int k = 0, vi;

	if (!g->nr_vfio)
		return gen_vfio(g);
	vi = (int)below(g->rng, (u64)g->nr_vfio);
	v = &g->vfio[vi];
	if (v->gone)
		return 0;
	while (pick >= kind_w[k])
		pick -= kind_w[k++];
	if (!v->open && k != 10 && k != 12)
		return gen_vfio(g); /* the others need the device fd (EBADF) */
	switch (k) {
	case 0:
		v->mem_on = false;
		v->revoked = true;
		break;
	case 1:
		v->mem_on = true;
		v->revoked = v->d3 || v->lowpower;
		break;
	case 2:
		v->d3 = v->revoked = true;
		break;
	case 3:
		v->d3 = false;
		v->revoked = !v->mem_on || v->lowpower;
		break;
	case 4:
	case 5:
	case 6:
	case 7:
		/* revoke, reset, un-revoke: what the restored config says is not modelled here */
		v->unsure = true;
		if (k == 7 && v->in_set && below(g->rng, 3) == 0) {
			static const char *const fails[] = { "bus", "busy:", "owner:" };
			int f = (int)below(g->rng, 3);
			int other = -1;

			for (int j = 0; j < g->nr_vfio; j++)
				if (j != vi && g->vfio[j].in_set)
					other = j;
			if (f && other < 0)
				f = 0;
			snprintf(extra, sizeof(extra), " fail=%s%s", fails[f],
				 f ? dev_id(g, g->vfio[other].dev) : "");
		}
		break;
	case 8:
		v->lowpower = v->revoked = true;
		break;
	case 9:
		v->lowpower = false;
		v->revoked = !v->mem_on || v->d3;
		break;
	case 10:
		v->lowpower = false; /* revoked stays until an un-revoke trigger */
		break;
	case 11:
		if (--v->opens <= 0) {
			v->open = v->mmapped = false;
			v->opens = 0;
			vfio_dead(g, vi); /* revoked for good; the fds outlive the device */
		}
		break;
	default:
		v->gone = true;
		v->open = false;
		vfio_dead(g, vi);
		break;
	}
	return fz_seq_add(g->seq, false, "event %s %s%s", dev_id(g, v->dev), kinds[k], extra);
}

/* A burst of device events while importers keep moving bytes. */
static int gen_storm(struct gen *g)
{
	int n = 3 + (int)below(g->rng, 4), ret = 0;

	for (int i = 0; !ret && i < n; i++)
		ret = below(g->rng, 2) ? gen_event(g) : gen_importer_dma(g);
	return ret;
}

static int gen_dmabuf_close(struct gen *g)
{
	int i;

	if (!g->nr_dbuf)
		return gen_export(g);
	i = (int)below(g->rng, (u64)g->nr_dbuf);
	if (g->dbuf[i].closed)
		return 0;
	g->dbuf[i].closed = true;
	g->fds -= g->dbuf[i].ok;
	return fz_seq_add(g->seq, false, "dmabuf-close v%d", i);
}

/* Indent the lines from @from on: they become a thread's body. */
static int thread_block(struct gen *g, size_t from, int name)
{
	char *text;

	if (g->seq->n == from)
		return 0; /* nothing written: no thread */
	for (size_t i = from; i < g->seq->n; i++) {
		if (asprintf(&text, "    %s", g->seq->lines[i].text) < 0)
			return -ENOMEM;
		free(g->seq->lines[i].text);
		g->seq->lines[i].text = text;
	}
	/* the header goes before the body */
	if (fz_seq_add(g->seq, false, "thread t%d:", name))
		return -ENOMEM;
	text = g->seq->lines[g->seq->n - 1].text;
	memmove(&g->seq->lines[from + 1], &g->seq->lines[from],
		(g->seq->n - 1 - from) * sizeof(g->seq->lines[0]));
	g->seq->lines[from] = (struct fz_line){ .text = text };
	return 0;
}

/*
 * A concurrent section (docs/scenario.md §12): two threads, one doing what
 * an importer does (release, unmap, map, DMA), the other what the exporter's
 * side does (a device event, closing the fd, signalling fences); the
 * scheduler interleaves them as the `schedule` line says.
 */
static int gen_race(struct gen *g)
{
	int i = pick_importer(g), ret, t0 = g->race_threads, t1 = t0 + 1;
	struct gimp *m;
	size_t from;

	if (i < 0)
		return gen_import(g);
	m = &g->imp[i];
	if (g->seq->n + 6 > g->ctx->steps + 8)
		return 0;
	from = g->seq->n;
	switch (below(g->rng, 4)) {
	case 0:
	case 1:
		m->released = true;
		ret = fz_seq_add(g->seq, false, "dmabuf-release i%d", i);
		break;
	case 2:
		ret = gen_importer(g);
		break;
	default:
		ret = gen_importer_dma(g);
		break;
	}
	if (!ret)
		ret = thread_block(g, from, t0);
	if (ret || g->seq->n == from)
		return ret;
	from = g->seq->n;
	switch (below(g->rng, 6)) {
	case 0:
		ret = gen_fence(g);
		break;
	case 1:
		ret = gen_dmabuf_close(g);
		break;
	case 2:
	case 3: {
		/* the revoke of this importer's dma-buf: memory decode off on its exporter */
		struct gvfio *v = &g->vfio[g->dbuf[m->dbuf].vfio];

		if (!v->open || v->gone) {
			ret = gen_event(g);
			break;
		}
		v->mem_on = false;
		v->revoked = true;
		ret = fz_seq_add(g->seq, false, "event %s mem-off", dev_id(g, v->dev));
		break;
	}
	default:
		ret = gen_event(g);
		break;
	}
	if (!ret)
		ret = thread_block(g, from, t1);
	if (ret)
		return ret;
	if (g->seq->n == from) {
		/* a lone thread block is a section too */
		g->race_threads++;
		return 0;
	}
	g->race_threads += 2;
	if (!g->races++) {
		/* the schedule: serial or round-robin, maybe a choice point for one thread */
		char sched[64];
		u64 n = below(g->rng, 6);

		/* mostly: the second thread cuts in at one of the first choice points */
		if (n < 5)
			snprintf(sched, sizeof(sched), "schedule %s %llu:t%d",
				 below(g->rng, 4) ? "serial" : "round-robin", (unsigned long long)n,
				 below(g->rng, 4) ? t1 : t0);
		else
			snprintf(sched, sizeof(sched), "schedule round-robin");
		ret = fz_seq_add(g->seq, false, "%s", sched);
		if (!ret) {
			/* a setup step: right after the seed */
			struct fz_line l = g->seq->lines[g->seq->n - 1];

			memmove(&g->seq->lines[2], &g->seq->lines[1],
				(g->seq->n - 2) * sizeof(l));
			g->seq->lines[1] = l;
		}
	}
	return ret;
}

static int gen_setup(struct gen *g)
{
	static const char *const modes[] = { "strict", "lazy", "passthrough", "off" };
	u64 n = g->ctx->weights[FZ_IOMMU] ? below(g->rng, 3) : 0, m;

	if (fz_seq_add(g->seq, false, "seed %llu", (unsigned long long)below(g->rng, 1000)))
		return -ENOMEM;
	g->seq->lines[0].keep = true;
	for (size_t d = 0; d < g->ctx->nr_devs && d < 64; d++)
		g->direct[d] = g->ctx->devs[d].direct;
	/* the exporters given to vfio-pci: each one in two (the first when it is alone) */
	for (size_t e = 0; g->ctx->weights[FZ_VFIO] && e < g->ctx->nr_exporters; e++)
		if (g->ctx->exporters[e] < 64 && (below(g->rng, 2) || g->ctx->nr_exporters == 1))
			g->vfio_dev[g->ctx->exporters[e]] = true;
	/* RLIMIT_NOFILE: sometimes only a few dma-buf fds (dma_buf_fd() fails EMFILE) */
	g->fd_limit = 64;
	if (g->ctx->nr_exporters && g->ctx->weights[FZ_EXPORT] && below(g->rng, 4) == 0) {
		g->fd_limit = 4 + (int)below(g->rng, 3);
		if (fz_seq_add(g->seq, false, "fd-limit %d", g->fd_limit))
			return -ENOMEM;
	}
	/*
	 * An external-facing device gets its DMA domain (the IOMMU on for it),
	 * and mostly the NVMe driver's dma_set_min_align_mask(4095), without
	 * which swiotlb cannot keep a first link's in-granule offset.
	 */
	for (size_t d = 0; g->ctx->weights[FZ_IOVA] && d < g->ctx->nr_devs && d < 64; d++) {
		if (!g->ctx->devs[d].untrusted || !g->ctx->devs[d].has_iommu)
			continue;
		if (g->direct[d] && fz_seq_add(g->seq, false, "iommu %s strict", dev_id(g, d)))
			return -ENOMEM;
		g->direct[d] = false;
		if (below(g->rng, 4) && fz_seq_add(g->seq, false, "dma-mask %s %u min-align=0xfff",
						   dev_id(g, d), g->ctx->devs[d].mask_bits))
			return -ENOMEM;
	}
	for (u64 i = 0; i < n; i++) {
		size_t dev = below(g->rng, g->ctx->nr_devs);

		if (!g->ctx->devs[dev].has_iommu)
			continue;
		/* below(weight + 1): the higher the weight, the more often a mode is set */
		if (below(g->rng, g->ctx->weights[FZ_IOMMU] + 1) == 0)
			continue;
		m = below(g->rng, 4);
		if (fz_seq_add(g->seq, false, "iommu %s %s", dev_id(g, dev), modes[m]))
			return -ENOMEM;
		if (dev < 64)
			g->direct[dev] = m >= 2;
		g->ctx->kinds_seen |= 1ULL << FZ_IOMMU;
	}
	return 0;
}

static int gen_step(struct gen *g, enum fz_kind k)
{
	int i;

	switch (k) {
	case FZ_BUF:
		return gen_buf(g, false);
	case FZ_BAR:
		return gen_buf(g, true);
	case FZ_MAP:
		return gen_map(g, false, false);
	case FZ_MAP_SG:
		return gen_map(g, true, false);
	case FZ_UNCHECKED:
		return gen_map(g, false, true);
	case FZ_UNMAP:
		return gen_unmap(g);
	case FZ_SYNC:
		return gen_sync(g);
	case FZ_DMA:
		i = pick_handle(g, H_LIVE, false);
		return i < 0 ? gen_some_map(g) : gen_dma(g, i, false);
	case FZ_DMA_WRONG_DIR:
		i = pick_handle(g, H_LIVE, false);
		return i < 0 ? 0 : gen_dma(g, i, true);
	case FZ_DMA_AFTER_UNMAP:
		i = pick_handle(g, H_DEAD, false);
		return i < 0 ? 0 : gen_dma(g, i, false);
	case FZ_ADVANCE:
		return fz_seq_add(g->seq, false, "advance %s", below(g->rng, 2) ? "1ms" : "20ms");
	case FZ_RELEASE:
		return gen_release(g, false);
	case FZ_LEAK_RELEASE:
		return gen_release(g, true);
	case FZ_IOMMU:
		return 0; /* setup only */
	case FZ_HMM:
		return gen_hmm(g);
	case FZ_IOVA:
		return gen_iova(g);
	case FZ_VFIO:
		return gen_vfio(g);
	case FZ_EXPORT:
		return gen_export(g);
	case FZ_IMPORT:
		return gen_import(g);
	case FZ_IMPORTER:
		return gen_importer(g);
	case FZ_IMPORTER_DMA:
		return gen_importer_dma(g);
	case FZ_FENCE:
		return gen_fence(g);
	case FZ_EVENT:
		return gen_event(g);
	case FZ_STORM:
		return gen_storm(g);
	case FZ_DMABUF_CLOSE:
		return gen_dmabuf_close(g);
	case FZ_RACE:
		return gen_race(g);
	case FZ_BAD_UNLINK:
		return gen_bad_unlink(g);
	default:
		return gen_bad_unmap(g, k);
	}
}

int fz_generate(struct fz_ctx *ctx, struct fz_rng *rng, struct fz_seq *seq)
{
	struct gen *g = calloc(1, sizeof(*g));
	unsigned int total = 0;
	int ret;

	if (!g)
		return -ENOMEM;
	memset(seq, 0, sizeof(*seq));
	g->ctx = ctx;
	g->rng = rng;
	g->seq = seq;
	for (int k = 0; k < FZ__NR; k++)
		total += k == FZ_IOMMU ? 0 : ctx->weights[k];
	ret = gen_setup(g);
	while (!ret && total && seq->n < ctx->steps && !rng->exhausted) {
		u64 pick = below(rng, total);
		int k;

		for (k = 0; k < FZ__NR; k++) {
			unsigned int w = k == FZ_IOMMU ? 0 : ctx->weights[k];

			if (pick < w)
				break;
			pick -= w;
		}
		if (k == FZ__NR)
			break;
		ctx->kinds_seen |= 1ULL << k;
		ret = gen_step(g, (enum fz_kind)k);
	}
	/* what a correct driver does at the end: unmap; tainted devices are released */
	for (int i = 0; !ret && i < g->nr_h; i++)
		if (g->h[i].state == H_LIVE && !tainted(g, g->h[i].dev))
			ret = fz_seq_add(seq, false, "unmap h%d", i);
	for (int i = 0; !ret && i < g->nr_hmm; i++) {
		struct ghmm *m = &g->hmm[i];

		for (int e = 0; !ret && m->live && e < m->entries; e++)
			if (m->mapped[e])
				ret = fz_seq_add(seq, tainted(g, m->dev), "hmm-unmap m%d %d", i, e);
		if (!ret && m->live)
			ret = fz_seq_add(seq, tainted(g, m->dev), "hmm-free m%d", i);
	}
	for (int i = 0; !ret && i < g->nr_iova; i++) {
		struct giova *r = &g->iova[i];

		for (int k = 0; !ret && r->live && k < r->granules; k++)
			if (r->owner[k] == k && r->link[k].live) {
				iova_drop_link(g, r, k);
				ret = emit_unlink(g, i, r->link[k].at, r->link[k].len,
						  tainted(g, r->dev));
			}
		if (!ret && r->live)
			ret = gen_iova_end(g, i);
	}
	/* a tainted device is released below: its dma-buf importers go first */
	for (int i = 0; !ret && i < g->nr_imp; i++)
		if (g->imp[i].ok && !g->imp[i].released && tainted(g, g->imp[i].dev)) {
			g->imp[i].released = true;
			ret = fz_seq_add(seq, true, "dmabuf-release i%d", i);
		}
	for (size_t d = 0; !ret && d < ctx->nr_devs && d < 64; d++)
		if (g->tainted[d])
			ret = fz_seq_add(seq, true, "release %s", dev_id(g, d));
	free(g);
	if (ret)
		fz_seq_free(seq);
	else
		fz_annotate(ctx, seq, NULL);
	return ret;
}
