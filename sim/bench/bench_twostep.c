// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_twostep.c - benchmark "two-step-link-unlink-4k" (DESIGN.md §9:
 * two-step link+unlink of 4 KiB at >= 5 M/s) and the scatterlist vs two-step
 * comparison behind `p2psim bench --compare-apis` (docs/two-step.md).
 *
 * The machine is a small XML topology loaded from memory: an Ice Lake host
 * bridge (8086:09a2, on the P2PDMA allowlist) with a VT-d unit, nvme0 and
 * nic0 under root port A, gpu1 with a 64 GiB p2pmem BAR under root port B
 * (so gpu1's BAR is THRU_HOST_BRIDGE for both clients). Every row of the
 * comparison gets a fresh world, strict or lazy.
 *
 * Workloads (the issue's, scaled so the whole table takes seconds; --quick
 * shrinks them further; the per-page figures do not depend on the scale):
 *   a  vfio-mig  one buffer of 4 KiB pages (1 GiB, 262144 pages) mapped once
 *                sg: dma_map_sgtable / dma_unmap_sgtable of one sg entry per page
 *                two-step: try_alloc + a link per page + one sync + destroy
 *   b  odp       2^18 pages mapped then unmapped one at a time, random order
 *                per-page: dma_map_phys / dma_unmap_phys + a dma_addr_t list
 *                two-step: hmm_dma_map_alloc + hmm_dma_map_pfn / unmap_pfn
 *   c  nvme      requests of 1-32 segments of 4 KiB-128 KiB (1 M; 1 000 with --quick)
 *                sg: dma_map_sgtable / dma_unmap_sgtable per request
 *                two-step: blk_rq_dma_map_all / blk_rq_dma_unmap_all
 *   d  dma-buf   ranges of gpu1's BAR through the host bridge, attached and
 *                detached repeatedly
 *                sg: dma_map_sgtable (P2P classified per segment)
 *                two-step: one pci_p2pdma_state, try_alloc, MMIO links, one
 *                sync, destroy (what vfio_pci_dmabuf does)
 *   e  nvme-ext  single-segment requests at 512-byte alignment to an untrusted
 *                NVMe (min_align_mask 4095): swiotlb for the unaligned parts
 *                sg: dma_map_sgtable; two-step: blk_rq_dma_map_all
 *
 * Every count comes from the models' own statistics, read before and after
 * the run: struct iommu_dma_stats (IOVA allocations / frees / queued),
 * struct iommu_hw_stats (iotlb_sync, iotlb_sync_map, range and domain
 * invalidations, page-table pages, PTEs), the P2PDMA context's map-type
 * lookup counter, the swiotlb pool's bounced bytes, the machine's arch-sync
 * cost. Metadata bytes are the caller's DMA bookkeeping at its peak, with
 * the kernel's x86-64 sizes (struct scatterlist 32 bytes, dma_addr_t 8,
 * an hmm pfn 8, struct dma_iova_state 16).
 *
 * Simulated time is a weighted sum of those counts with the costs below:
 * assumptions, not measurements (change them here); the counts are exact.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "p2psim/bench.h"
#include "p2psim/p2psim.h"
#include "sim/bench/bench.h"
#include "sim/world.h"
#include "src/block/blk-mq-dma.h"
#include "src/dma/mapping.h"
#include "src/iommu/dma-iommu.h"
#include "src/mm/hmm.h"

/* --- the cost model of simulated time (ns) -------------------------------- */

#define COST_PTE_NS 5 /* write or clear one leaf entry */
#define COST_PT_PAGE_NS 250 /* allocate and zero one page-table page */
#define COST_IOVA_NS 50 /* one IOVA allocation or free */
#define COST_INV_NS 1000 /* one IOTLB invalidation (range or domain) incl. wait */
#define COST_BOUNCE_NS_PER_KIB 100 /* memcpy at ~10 GB/s */

/* Kernel x86-64 sizes of the caller's DMA bookkeeping. */
#define KSIZE_SCATTERLIST 32
#define KSIZE_DMA_ADDR 8
#define KSIZE_HMM_PFN 8
#define KSIZE_IOVA_STATE 16

#define RAM_BASE 0x100000000ULL /* the pages live in high RAM */

static const char bench_twostep_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<topology version=\"1\" name=\"bench-twostep\">\n"
	"  <cpu vendor=\"intel\" family=\"6\"/>\n"
	"  <memory>\n"
	"    <ram base=\"0\" size=\"2G\" node=\"0\"/>\n"
	"    <ram base=\"0x100000000\" size=\"62G\" node=\"0\"/>\n"
	"  </memory>\n"
	"  <iommu id=\"dmar0\" type=\"intel-vtd\" mode=\"lazy\" pgsizes=\"4K,2M,1G\"\n"
	"         iotlb-entries=\"64\" iotlb-ways=\"4\"/>\n"
	"  <hostbridge id=\"hb0\" domain=\"0x0000\" bus=\"0x00\" iommu=\"dmar0\" numa-node=\"0\">\n"
	"    <function id=\"hostbridge\" dev=\"0\" fn=\"0\" vendor=\"0x8086\" device=\"0x09a2\"\n"
	"              class=\"0x088000\"/>\n"
	"    <rootport id=\"rp_a\" dev=\"2\" fn=\"0\" vendor=\"0x8086\" device=\"0x347a\">\n"
	"      <endpoint id=\"nvme0\" vendor=\"0x144d\" device=\"0xa808\" class=\"0x010802\">\n"
	"        <bar index=\"0\" size=\"16K\" kind=\"mem64\" prefetchable=\"no\"/>\n"
	"      </endpoint>\n"
	"    </rootport>\n"
	"    <rootport id=\"rp_c\" dev=\"4\" fn=\"0\" vendor=\"0x8086\" device=\"0x347c\">\n"
	"      <endpoint id=\"extnvme\" vendor=\"0x144d\" device=\"0xa808\" class=\"0x010802\"\n"
	"                untrusted=\"yes\">\n"
	"        <bar index=\"0\" size=\"16K\" kind=\"mem64\" prefetchable=\"no\"/>\n"
	"      </endpoint>\n"
	"    </rootport>\n"
	"    <rootport id=\"rp_b\" dev=\"3\" fn=\"0\" vendor=\"0x8086\" device=\"0x347b\">\n"
	"      <endpoint id=\"gpu1\" vendor=\"0x10de\" device=\"0x20f1\" class=\"0x030200\">\n"
	"        <bar index=\"0\" size=\"16M\" kind=\"mem32\"/>\n"
	"        <bar index=\"1\" size=\"64G\" kind=\"mem64\" prefetchable=\"yes\" p2pmem=\"yes\"/>\n"
	"      </endpoint>\n"
	"    </rootport>\n"
	"  </hostbridge>\n"
	"</topology>\n";

struct ts_env {
	p2psim_topology *topo;
	p2psim_world *pw;
	struct world *w;
	struct device *dev;
	const struct iommu_hw_stats *hw;
	const struct iommu_dma_stats *ds;
};

static void ts_env_free(struct ts_env *e)
{
	if (e->pw)
		p2psim_world_free(e->pw);
	if (e->topo)
		p2psim_topology_free(e->topo);
	memset(e, 0, sizeof(*e));
}

/* @mode: P2PSIM_IOMMU_MODE_STRICT or _LAZY; @client: the mapping device. */
static int ts_env_new_for(struct ts_env *e, int mode, const char *client)
{
	struct p2psim_world_opts o;
	struct p2psim_error err = { 0 };

	memset(e, 0, sizeof(*e));
	if (p2psim_topology_load_buffer(bench_twostep_xml, sizeof(bench_twostep_xml) - 1,
					"bench-twostep.xml", &e->topo, &err) != P2PSIM_OK)
		return -EINVAL;
	p2psim_world_opts_init(&o);
	o.iommu_mode = mode;
	if (p2psim_world_new(e->topo, &o, &e->pw, &err) != P2PSIM_OK) {
		ts_env_free(e);
		return -EINVAL;
	}
	e->w = world_from_public(e->pw);
	e->dev = world_find_device(e->w, client);
	if (!e->dev || !e->dev->domain || !use_dma_iommu(e->dev) || !e->w->m->nr_iommus) {
		ts_env_free(e);
		return -ENODEV;
	}
	e->hw = iommu_hw_stats(e->w->m->iommus[0]);
	e->ds = iommu_dma_stats(e->dev->domain);
	return 0;
}

static int ts_env_new(struct ts_env *e, int mode)
{
	return ts_env_new_for(e, mode, "nvme0");
}

/* xorshift64*: seeded, deterministic. */
static u64 ts_rand(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* --- two-step-link-unlink-4k ---------------------------------------------- */

static double ts_dma_list_baseline(const u32 *offs, size_t nr_offs, u64 iters)
{
	dma_addr_t *list = calloc(1UL << 18, sizeof(*list));
	u64 t0, t1;

	if (!list)
		return NAN;
	t0 = bench_now_ns();
	for (u64 i = 0; i < iters; i++) {
		u32 idx = offs[i % nr_offs];

		list[idx] = 0xfff00000ULL + i;
		bench_consume(list[idx]);
		list[idx] = 0;
	}
	t1 = bench_now_ns();
	free(list);
	return (double)iters / ((double)(t1 - t0) / 1e9);
}

static int ts_link_unlink_rate(struct bench_ctx *ctx, int mode, u64 iters, const u32 *offs,
			       size_t nr_offs, double *rate)
{
	const size_t n = 1UL << 18; /* one 1 GiB reservation, ODP-sized */
	struct dma_iova_state state;
	struct ts_env e;
	u64 t0, t1;
	int ret = ts_env_new(&e, mode);

	if (ret)
		return ret;
	if (!dma_iova_try_alloc(e.dev, &state, 0, n * PAGE_SIZE)) {
		ts_env_free(&e);
		return -ENOMEM;
	}
	/* Warm up: the page-table pages of the whole reservation. */
	for (size_t i = 0; i < n; i += 512) {
		if (dma_iova_link(e.dev, &state, RAM_BASE + i * PAGE_SIZE, i * PAGE_SIZE, PAGE_SIZE,
				  DMA_BIDIRECTIONAL, 0)) {
			ret = -EIO;
			goto out;
		}
		dma_iova_unlink(e.dev, &state, i * PAGE_SIZE, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	}
	t0 = bench_now_ns();
	for (u64 i = 0; i < iters; i++) {
		size_t off = (size_t)offs[i % nr_offs] * PAGE_SIZE;

		if (dma_iova_link(e.dev, &state, RAM_BASE + off, off, PAGE_SIZE, DMA_BIDIRECTIONAL,
				  0)) {
			ret = -EIO;
			break;
		}
		dma_iova_unlink(e.dev, &state, off, PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
	}
	t1 = bench_now_ns();
	*rate = (double)iters / ((double)(t1 - t0) / 1e9);
	bench_note(ctx,
		   "%s: %llu link+unlink, iotlb_sync %llu, iotlb_sync_map %llu, "
		   "page-table pages %llu",
		   mode == P2PSIM_IOMMU_MODE_STRICT ? "strict" : "lazy", (unsigned long long)iters,
		   (unsigned long long)e.hw->iotlb_sync, (unsigned long long)e.hw->iotlb_sync_map,
		   (unsigned long long)e.hw->pgtable_pages_live);
out:
	dma_iova_free(e.dev, &state);
	ts_env_free(&e);
	return ret;
}

static int bench_two_step_link_unlink(struct bench_ctx *ctx)
{
	const u64 iters = bench_quick(ctx) ? 100000 : 5000000;
	const size_t nr_offs = 1UL << 16;
	double strict = 0, lazy = 0, base;
	u32 *offs = malloc(nr_offs * sizeof(*offs));
	u64 seed = 0x2545f4914f6cdd1dULL;
	int ret;

	if (!offs)
		return -ENOMEM;
	for (size_t i = 0; i < nr_offs; i++)
		offs[i] = (u32)(ts_rand(&seed) & ((1UL << 18) - 1));
	ret = ts_link_unlink_rate(ctx, P2PSIM_IOMMU_MODE_STRICT, iters, offs, nr_offs, &strict);
	if (!ret)
		ret = ts_link_unlink_rate(ctx, P2PSIM_IOMMU_MODE_LAZY, iters, offs, nr_offs, &lazy);
	if (!ret) {
		base = ts_dma_list_baseline(offs, nr_offs, iters);
		bench_note(ctx, "4 KiB dma_iova_link + dma_iova_unlink at random pages of a 1 GiB "
				"reservation (no dma_iova_sync; unlink syncs the IOTLB itself)");
		bench_report(ctx, "link+unlink per second, strict", strict, "pairs/s", base,
			     "dma_list store+clear/s", 5e6, true);
		bench_report(ctx, "link+unlink per second, lazy", lazy, "pairs/s", NAN, NULL, 5e6,
			     true);
		bench_report(ctx, "time per link+unlink, strict", 1e9 / strict, "ns", NAN, NULL,
			     NAN, false);
	}
	free(offs);
	return ret;
}

const struct bench_case bench_two_step_link_unlink_4k = {
	.name = "two-step-link-unlink-4k",
	.summary = "two-step API: 4 KiB dma_iova_link+unlink at random pages of 1 GiB, strict+lazy",
	.run = bench_two_step_link_unlink,
};

/* --- the comparison ------------------------------------------------------- */

struct ts_snap {
	u64 iova_allocs, iova_frees;
	u64 iotlb_sync, iotlb_sync_map, inv_range, inv_domain, flush_all;
	u64 ptes, pt_allocated, pt_live;
	u64 lookups, bounced, arch_ns;
};

struct ts_row {
	const char *workload, *path, *mode;
	u64 pages;
	struct ts_snap d; /* after - before */
	u64 pt_peak; /* page-table pages at the peak, above what the world started with */
	u64 meta_bytes; /* peak caller DMA bookkeeping */
	double sim_ns_page, wall_ns_page;
	int err;
};

static void ts_snap(const struct ts_env *e, struct ts_snap *s)
{
	const struct io_tlb_mem *pool = e->dev->dma_io_tlb_mem;

	s->iova_allocs = e->ds->iova_allocs;
	s->iova_frees = e->ds->iova_frees + e->ds->fq_entries_freed;
	s->iotlb_sync = e->hw->iotlb_sync;
	s->iotlb_sync_map = e->hw->iotlb_sync_map;
	s->inv_range = e->hw->iotlb_inv_range_ops;
	s->inv_domain = e->hw->iotlb_inv_domain_ops;
	s->flush_all = e->hw->flush_iotlb_all;
	s->ptes = e->hw->ptes_set + e->hw->ptes_cleared;
	s->pt_allocated = e->hw->pgtable_pages_allocated;
	s->pt_live = e->hw->pgtable_pages_live;
	s->lookups = e->w->p2pdma.nr_map_type_lookups;
	s->bounced = pool ? pool->stats.bytes_bounced : 0;
	s->arch_ns = e->w->m->arch_sync.cost_ns;
}

static void ts_finish(struct ts_env *e, struct ts_row *r, const struct ts_snap *before, u64 t0,
		      u64 t1)
{
	struct ts_snap a;
	double sim;

	/* Let lazy mode's deferred work happen (flush-queue timer), outside the timing. */
	p2psim_world_advance(e->pw, 2 * IOVA_DEFAULT_FQ_TIMEOUT * 1000000ULL);
	ts_snap(e, &a);
	r->d.iova_allocs = a.iova_allocs - before->iova_allocs;
	r->d.iova_frees = a.iova_frees - before->iova_frees;
	r->d.iotlb_sync = a.iotlb_sync - before->iotlb_sync;
	r->d.iotlb_sync_map = a.iotlb_sync_map - before->iotlb_sync_map;
	r->d.inv_range = a.inv_range - before->inv_range;
	r->d.inv_domain = a.inv_domain - before->inv_domain;
	r->d.flush_all = a.flush_all - before->flush_all;
	r->d.ptes = a.ptes - before->ptes;
	r->d.pt_allocated = a.pt_allocated - before->pt_allocated;
	r->d.lookups = a.lookups - before->lookups;
	r->d.bounced = a.bounced - before->bounced;
	r->d.arch_ns = a.arch_ns - before->arch_ns;
	r->pt_peak = e->hw->pgtable_pages_peak - before->pt_live;
	sim = (double)r->d.ptes * COST_PTE_NS + (double)r->d.pt_allocated * COST_PT_PAGE_NS +
	      (double)(r->d.iova_allocs + r->d.iova_frees) * COST_IOVA_NS +
	      (double)(r->d.inv_range + r->d.inv_domain) * COST_INV_NS +
	      (double)r->d.bounced / 1024.0 * COST_BOUNCE_NS_PER_KIB + (double)r->d.arch_ns;
	r->sim_ns_page = r->pages ? sim / (double)r->pages : 0;
	r->wall_ns_page = r->pages ? (double)(t1 - t0) / (double)r->pages : 0;
}

enum ts_path { TS_SG, TS_TWO_STEP };

/* Page @i of workload a: a permutation of @n (a power of two) pages. */
static phys_addr_t ts_scatter(size_t i, size_t n)
{
	return RAM_BASE + (phys_addr_t)((i * 7919) & (n - 1)) * PAGE_SIZE;
}

static int ts_vfio_mig(struct ts_env *e, enum ts_path path, size_t n, struct ts_row *r)
{
	struct ts_snap before;
	u64 t0, t1;
	int ret = 0;

	r->pages = n;
	ts_snap(e, &before);
	if (path == TS_SG) {
		struct scatterlist *sgl = calloc(n, sizeof(*sgl));
		struct sg_table sgt = { .sgl = sgl, .orig_nents = (unsigned int)n };

		if (!sgl)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			sgl[i] = (struct scatterlist){ .page_phys = ts_scatter(i, n),
						       .length = PAGE_SIZE };
		t0 = bench_now_ns();
		ret = dma_map_sgtable(e->dev, &sgt, DMA_BIDIRECTIONAL, 0);
		if (!ret)
			dma_unmap_sgtable(e->dev, &sgt, DMA_BIDIRECTIONAL, 0);
		t1 = bench_now_ns();
		free(sgl);
		r->meta_bytes = n * KSIZE_SCATTERLIST;
	} else {
		struct dma_iova_state state;

		t0 = bench_now_ns();
		if (!dma_iova_try_alloc(e->dev, &state, 0, n * PAGE_SIZE))
			return -ENOMEM;
		for (size_t i = 0; i < n && !ret; i++)
			ret = dma_iova_link(e->dev, &state, ts_scatter(i, n), i * PAGE_SIZE,
					    PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
		if (!ret)
			ret = dma_iova_sync(e->dev, &state, 0, n * PAGE_SIZE);
		dma_iova_destroy(e->dev, &state, ret ? 0 : n * PAGE_SIZE, DMA_BIDIRECTIONAL, 0);
		t1 = bench_now_ns();
		r->meta_bytes = KSIZE_IOVA_STATE;
	}
	ts_finish(e, r, &before, t0, t1);
	return ret;
}

static void ts_permute(size_t *perm, size_t n, u64 *seed)
{
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(ts_rand(seed) % (i + 1)), t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
}

static int ts_odp(struct ts_env *e, enum ts_path path, size_t n, struct ts_row *r)
{
	size_t *map_order = malloc(n * sizeof(*map_order));
	size_t *unmap_order = malloc(n * sizeof(*unmap_order));
	struct ts_snap before;
	u64 seed = 42, t0 = 0, t1 = 0;
	int ret = 0;

	r->pages = n;
	if (!map_order || !unmap_order) {
		ret = -ENOMEM;
		goto out;
	}
	ts_permute(map_order, n, &seed);
	ts_permute(unmap_order, n, &seed);
	ts_snap(e, &before);
	if (path == TS_SG) {
		/* Before the HMM helpers: ib_dma_map_page() per page into a dma_addr_t list. */
		dma_addr_t *dma_list = calloc(n, sizeof(*dma_list));
		size_t done = 0;

		if (!dma_list) {
			ret = -ENOMEM;
			goto out;
		}
		t0 = bench_now_ns();
		for (; done < n; done++) {
			size_t i = map_order[done];

			dma_list[i] = dma_map_phys(e->dev, ts_scatter(i, n), PAGE_SIZE,
						   DMA_BIDIRECTIONAL, 0);
			if (dma_mapping_error(e->dev, dma_list[i])) {
				dma_list[i] = 0;
				ret = -ENOMEM;
				break;
			}
		}
		for (size_t k = 0; k < n; k++) {
			size_t i = unmap_order[k];

			if (dma_list[i])
				dma_unmap_phys(e->dev, dma_list[i], PAGE_SIZE, DMA_BIDIRECTIONAL,
					       0);
		}
		t1 = bench_now_ns();
		free(dma_list);
		r->meta_bytes = n * (KSIZE_DMA_ADDR + KSIZE_HMM_PFN);
	} else {
		struct pci_p2pdma_map_state p2p = { 0 };
		struct hmm_dma_map map;

		t0 = bench_now_ns();
		ret = hmm_dma_map_alloc(e->dev, &map, n, PAGE_SIZE);
		if (ret)
			goto out;
		for (size_t i = 0; i < n; i++)
			map.pfn_list[i] = hmm_pfn_from_phys(ts_scatter(i, n), true);
		for (size_t k = 0; k < n && !ret; k++)
			if (hmm_dma_map_pfn(e->dev, &map, map_order[k], &p2p) == DMA_MAPPING_ERROR)
				ret = -ENOMEM;
		for (size_t k = 0; k < n; k++)
			hmm_dma_unmap_pfn(e->dev, &map, unmap_order[k]);
		r->meta_bytes = n * KSIZE_HMM_PFN + (map.dma_list ? n * KSIZE_DMA_ADDR : 0) +
				KSIZE_IOVA_STATE;
		hmm_dma_map_free(e->dev, &map);
		t1 = bench_now_ns();
	}
	ts_finish(e, r, &before, t0, t1);
out:
	free(map_order);
	free(unmap_order);
	return ret;
}

#define TS_MAX_SEGS 32

static int ts_nvme(struct ts_env *e, enum ts_path path, size_t nr_req, struct ts_row *r)
{
	struct blk_dma_vec vecs[TS_MAX_SEGS];
	struct scatterlist sgl[TS_MAX_SEGS];
	struct blk_dma_seg segs[TS_MAX_SEGS];
	struct ts_snap before;
	u64 seed = 7, t0, t1, pages = 0, ns = 0;
	int ret = 0;

	/* nvme: dma_set_max_seg_size(0xffffffff), so map_sg may merge whole requests. */
	e->dev->max_seg_size = 0xffffffffu;
	ts_snap(e, &before);
	for (size_t q = 0; q < nr_req && !ret; q++) {
		unsigned int nseg = 1 + (unsigned int)(ts_rand(&seed) % TS_MAX_SEGS);
		struct blk_dma_req req = { vecs, nseg, (q & 1) ? DMA_FROM_DEVICE : DMA_TO_DEVICE };
		u64 s0;

		for (unsigned int k = 0; k < nseg; k++) {
			u32 len = (u32)(1 + ts_rand(&seed) % 32) * PAGE_SIZE;

			vecs[k].paddr = RAM_BASE + (ts_rand(&seed) % (1UL << 18)) * PAGE_SIZE;
			vecs[k].len = len;
			pages += len / PAGE_SIZE;
		}
		if (path == TS_SG) {
			struct sg_table sgt = { .sgl = sgl, .orig_nents = nseg };

			for (unsigned int k = 0; k < nseg; k++)
				sgl[k] = (struct scatterlist){ .page_phys = vecs[k].paddr,
							       .length = vecs[k].len };
			s0 = bench_now_ns();
			ret = dma_map_sgtable(e->dev, &sgt, req.dir, 0);
			if (!ret)
				dma_unmap_sgtable(e->dev, &sgt, req.dir, 0);
			ns += bench_now_ns() - s0;
			if (nseg * KSIZE_SCATTERLIST > r->meta_bytes)
				r->meta_bytes = nseg * KSIZE_SCATTERLIST;
		} else {
			struct blk_dma_mapping map;

			s0 = bench_now_ns();
			ret = blk_rq_dma_map_all(&req, e->dev, &map, segs);
			if (!ret)
				blk_rq_dma_unmap_all(&req, e->dev, &map, segs);
			ns += bench_now_ns() - s0;
			r->meta_bytes = KSIZE_IOVA_STATE;
		}
	}
	r->pages = pages;
	t0 = 0;
	t1 = ns;
	ts_finish(e, r, &before, t0, t1);
	return ret;
}

static int ts_dmabuf(struct ts_env *e, enum ts_path path, size_t nr_ranges, size_t repeats,
		     struct ts_row *r)
{
	const size_t range = 1UL << 20;
	struct device *gpu = world_find_device(e->w, "gpu1");
	struct scatterlist *sgl = calloc(nr_ranges, sizeof(*sgl));
	struct ts_snap before;
	phys_addr_t bar;
	u64 t0, t1;
	int ret = 0;

	if (!sgl)
		return -ENOMEM;
	if (!gpu) {
		free(sgl);
		return -ENODEV;
	}
	bar = gpu->pdev->bars[1].cpu_addr;
	r->pages = nr_ranges * repeats * (range / PAGE_SIZE);
	ts_snap(e, &before);
	t0 = bench_now_ns();
	for (size_t rep = 0; rep < repeats && !ret; rep++) {
		if (path == TS_SG) {
			struct sg_table sgt = { .sgl = sgl, .orig_nents = (unsigned int)nr_ranges };

			for (size_t k = 0; k < nr_ranges; k++)
				sgl[k] = (struct scatterlist){ .page_phys = bar + k * 4 * range,
							       .length = (unsigned int)range };
			ret = dma_map_sgtable(e->dev, &sgt, DMA_BIDIRECTIONAL, 0);
			if (!ret)
				dma_unmap_sgtable(e->dev, &sgt, DMA_BIDIRECTIONAL, 0);
		} else {
			struct pci_p2pdma_map_state p2p = { 0 };
			struct dma_iova_state state;
			size_t mapped = 0;

			/* vfio_pci_dmabuf: one map-type decision for the whole buffer. */
			if (pci_p2pdma_state(&e->w->p2pdma, &p2p, e->dev->pdev, bar) !=
			    PCI_P2PDMA_MAP_THRU_HOST_BRIDGE) {
				ret = -EREMOTEIO;
				break;
			}
			if (!dma_iova_try_alloc(e->dev, &state, 0, nr_ranges * range)) {
				ret = -ENOMEM;
				break;
			}
			for (size_t k = 0; k < nr_ranges && !ret; k++) {
				ret = dma_iova_link(e->dev, &state, bar + k * 4 * range, mapped,
						    range, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO);
				if (!ret)
					mapped += range;
			}
			if (!ret)
				ret = dma_iova_sync(e->dev, &state, 0, mapped);
			dma_iova_destroy(e->dev, &state, mapped, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO);
		}
	}
	t1 = bench_now_ns();
	r->meta_bytes = path == TS_SG ? nr_ranges * KSIZE_SCATTERLIST : KSIZE_IOVA_STATE;
	free(sgl);
	ts_finish(e, r, &before, t0, t1);
	return ret;
}

/*
 * e: O_DIRECT-style single-segment requests at 512-byte alignment to an
 * untrusted (external) NVMe with min_align_mask 4095: the scatterlist path
 * bounces every unaligned segment whole; the two-step path bounces only the
 * partial first and last granules and links the middle directly.
 */
static int ts_nvme_ext(struct ts_env *e, enum ts_path path, size_t nr_req, struct ts_row *r)
{
	struct blk_dma_vec vec;
	struct scatterlist sgl;
	struct blk_dma_seg seg;
	struct ts_snap before;
	u64 seed = 11, ns = 0, bytes = 0;
	int ret = 0;

	e->dev->max_seg_size = 0xffffffffu;
	e->dev->min_align_mask = 0xfff; /* dma_set_min_align_mask(NVME_CTRL_PAGE_SIZE - 1) */
	ts_snap(e, &before);
	for (size_t q = 0; q < nr_req && !ret; q++) {
		struct blk_dma_req req = { &vec, 1, DMA_TO_DEVICE };
		u64 s0;

		vec.paddr = RAM_BASE + (ts_rand(&seed) % (1UL << 18)) * PAGE_SIZE +
			    (1 + ts_rand(&seed) % 7) * 512;
		vec.len = (u32)(8 + ts_rand(&seed) % 249) * 512; /* 4 KiB .. 128 KiB */
		bytes += vec.len;
		if (path == TS_SG) {
			struct sg_table sgt = { .sgl = &sgl, .orig_nents = 1 };

			sgl = (struct scatterlist){ .page_phys = vec.paddr & ~(PAGE_SIZE - 1),
						    .offset = (unsigned int)(vec.paddr &
									     (PAGE_SIZE - 1)),
						    .length = vec.len };
			s0 = bench_now_ns();
			ret = dma_map_sgtable(e->dev, &sgt, req.dir, 0);
			if (!ret)
				dma_unmap_sgtable(e->dev, &sgt, req.dir, 0);
			ns += bench_now_ns() - s0;
			r->meta_bytes = KSIZE_SCATTERLIST;
		} else {
			struct blk_dma_mapping map;

			s0 = bench_now_ns();
			ret = blk_rq_dma_map_all(&req, e->dev, &map, &seg);
			if (!ret)
				blk_rq_dma_unmap_all(&req, e->dev, &map, &seg);
			ns += bench_now_ns() - s0;
			r->meta_bytes = KSIZE_IOVA_STATE;
		}
	}
	r->pages = bytes / PAGE_SIZE;
	ts_finish(e, r, &before, 0, ns);
	return ret;
}

#define TS_NR_ROWS 20

static void ts_print_text(FILE *out, const struct ts_row *rows, size_t nr, bool quick)
{
	fprintf(out,
		"scatterlist vs two-step IOVA API (%s run; counts from the models' "
		"statistics)\n\n",
		quick ? "quick" : "full");
	fprintf(out, "%-9s %-9s %-6s %9s %9s %9s %9s %9s %9s %10s %6s %11s %8s %9s\n", "workload",
		"path", "mode", "pages", "iova", "sync_map", "sync", "inval", "pt_pages", "meta_B",
		"p2p", "bounced", "sim_ns/p", "wall_ns/p");
	for (size_t i = 0; i < nr; i++) {
		const struct ts_row *r = &rows[i];

		if (r->err) {
			fprintf(out, "%-9s %-9s %-6s failed: %s\n", r->workload, r->path, r->mode,
				strerror(-r->err));
			continue;
		}
		fprintf(out,
			"%-9s %-9s %-6s %9llu %9llu %9llu %9llu %9llu %9llu %10llu %6llu %11llu "
			"%8.1f %9.1f\n",
			r->workload, r->path, r->mode, (unsigned long long)r->pages,
			(unsigned long long)r->d.iova_allocs,
			(unsigned long long)r->d.iotlb_sync_map,
			(unsigned long long)r->d.iotlb_sync,
			(unsigned long long)(r->d.inv_range + r->d.inv_domain),
			(unsigned long long)r->pt_peak, (unsigned long long)r->meta_bytes,
			(unsigned long long)r->d.lookups, (unsigned long long)r->d.bounced,
			r->sim_ns_page, r->wall_ns_page);
	}
	fprintf(out,
		"\ncolumns: iova = IOVA allocations; sync_map = iotlb_sync_map calls; "
		"sync = iotlb_sync calls;\n  inval = IOTLB range + domain invalidations; "
		"pt_pages = page-table pages at the peak;\n  meta_B = caller DMA bookkeeping "
		"at its peak (kernel x86-64 sizes); p2p = P2P map-type look-ups;\n"
		"  bounced = swiotlb bytes copied; sim_ns/p = modelled cost per 4 KiB page "
		"(PTE %d ns, table page %d ns,\n  IOVA alloc/free %d ns, invalidation %d ns, "
		"bounce %d ns/KiB); wall_ns/p = this machine's time per page.\n",
		COST_PTE_NS, COST_PT_PAGE_NS, COST_IOVA_NS, COST_INV_NS, COST_BOUNCE_NS_PER_KIB);
}

static void ts_print_json(FILE *out, const struct ts_row *rows, size_t nr, bool quick)
{
	json_object *doc = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(doc, "quick", json_object_new_boolean(quick));
	for (size_t i = 0; i < nr; i++) {
		const struct ts_row *r = &rows[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "workload", json_object_new_string(r->workload));
		json_object_object_add(o, "path", json_object_new_string(r->path));
		json_object_object_add(o, "mode", json_object_new_string(r->mode));
		json_object_object_add(o, "ok", json_object_new_boolean(!r->err));
		json_object_object_add(o, "pages", json_object_new_int64((int64_t)r->pages));
		json_object_object_add(o, "iova_allocs",
				       json_object_new_int64((int64_t)r->d.iova_allocs));
		json_object_object_add(o, "iotlb_sync_map",
				       json_object_new_int64((int64_t)r->d.iotlb_sync_map));
		json_object_object_add(o, "iotlb_sync",
				       json_object_new_int64((int64_t)r->d.iotlb_sync));
		json_object_object_add(
			o, "invalidations",
			json_object_new_int64((int64_t)(r->d.inv_range + r->d.inv_domain)));
		json_object_object_add(o, "pgtable_pages_peak",
				       json_object_new_int64((int64_t)r->pt_peak));
		json_object_object_add(o, "metadata_bytes",
				       json_object_new_int64((int64_t)r->meta_bytes));
		json_object_object_add(o, "p2p_lookups",
				       json_object_new_int64((int64_t)r->d.lookups));
		json_object_object_add(o, "bounced_bytes",
				       json_object_new_int64((int64_t)r->d.bounced));
		json_object_object_add(o, "sim_ns_per_page",
				       json_object_new_double(r->sim_ns_page));
		json_object_object_add(o, "wall_ns_per_page",
				       json_object_new_double(r->wall_ns_page));
		json_object_array_add(arr, o);
	}
	json_object_object_add(doc, "compare_apis", arr);
	fprintf(out, "%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY));
	json_object_put(doc);
}

int bench_compare_apis(FILE *out, const struct p2psim_bench_opts *opts)
{
	static const char *const workloads[] = { "vfio-mig", "odp", "nvme", "dma-buf", "nvme-ext" };
	const bool quick = opts->quick;
	const size_t mig_pages = quick ? 4096 : 262144;
	const size_t odp_pages = quick ? 4096 : 262144;
	const size_t nvme_reqs = quick ? 1000 : 1000000;
	const size_t dmabuf_ranges = quick ? 8 : 64, dmabuf_repeats = quick ? 4 : 50;
	const size_t ext_reqs = quick ? 500 : 20000;
	struct ts_row rows[TS_NR_ROWS];
	size_t nr = 0;
	int status = P2PSIM_OK;

	memset(rows, 0, sizeof(rows));
	for (int wl = 0; wl < 5; wl++) {
		for (int p = 0; p < 2; p++) {
			for (int mode = P2PSIM_IOMMU_MODE_STRICT; mode <= P2PSIM_IOMMU_MODE_LAZY;
			     mode++) {
				struct ts_row *r = &rows[nr++];
				struct ts_env e;

				r->workload = workloads[wl];
				r->path = p ? "two-step" : (wl == 1 ? "per-page" : "sg");
				r->mode = mode == P2PSIM_IOMMU_MODE_STRICT ? "strict" : "lazy";
				r->err = ts_env_new_for(&e, mode, wl == 4 ? "extnvme" : "nvme0");
				if (r->err)
					continue;
				switch (wl) {
				case 0:
					r->err = ts_vfio_mig(&e, p, mig_pages, r);
					break;
				case 1:
					r->err = ts_odp(&e, p, odp_pages, r);
					break;
				case 2:
					r->err = ts_nvme(&e, p, nvme_reqs, r);
					break;
				case 3:
					r->err = ts_dmabuf(&e, p, dmabuf_ranges, dmabuf_repeats, r);
					break;
				default:
					r->err = ts_nvme_ext(&e, p, ext_reqs, r);
					break;
				}
				ts_env_free(&e);
				if (r->err)
					status = P2PSIM_EINTERNAL;
			}
		}
	}
	if (opts->format == P2PSIM_FORMAT_JSON)
		ts_print_json(out, rows, nr, quick);
	else
		ts_print_text(out, rows, nr, quick);
	return status;
}
