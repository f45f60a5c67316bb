// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_route.c - benchmark "dma-route-iotlb-hit": device DMA routed through
 * the fabric model with every translation an IOTLB hit (DESIGN.md §9:
 * target >= 10 M DMAs/s).
 *
 * Machine built in code: RAM [0, 1 GiB); one Intel VT-d unit (strict,
 * 64-entry 4-way IOTLB) on hb0; the requester sits behind a root port and a
 * switch (rp -> usp -> dsp -> ep), so every TLP walks three ports. A paging
 * domain maps 16 IOVA pages to RAM; the DMAs (64-byte reads and writes,
 * alternating, cycling over the 16 pages) all hit the IOTLB after the warm-up.
 * No event subscriber is attached (the bus only counts), as in a plain run.
 *
 * Baseline: memcpy of the same 64-byte payloads between two host buffers -
 * the floor any byte-moving model pays. Second figure (no target): the same
 * DMAs with every checker subscribed and each DMA declared to the route
 * oracle, what a checked `p2psim run` / fuzz step pays.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/iommu/iommu_hw.h"
#include "models/machine.h"
#include "models/pci/route.h"
#include "sim/bench/bench.h"
#include "sim/check/check.h"
#include "src/iommu/iommu.h"

#define PAGES 16
#define PAYLOAD 64
#define IOVA_BASE 0x100000ULL
#define RAM_BASE 0x1000000ULL

static struct topology *bench_topology(struct pci_dev **ep_out)
{
	struct topology *t = calloc(1, sizeof(*t));
	struct pci_host_bridge *host;
	struct pci_dev *rp, *usp, *dsp, *ep;
	char msg[128];
	struct pci_dev *bad;

	if (!t)
		return NULL;
	t->name = strdup("bench-route");
	t->source = strdup("");
	t->fabric = pci_fabric_new();
	t->ram = calloc(1, sizeof(*t->ram));
	t->iommus = calloc(1, sizeof(*t->iommus));
	if (!t->name || !t->source || !t->fabric || !t->ram || !t->iommus)
		goto err;
	t->ram[0] = (struct ram_range){ .base = 0, .size_bytes = SZ_1G, .numa_node = -1 };
	t->nr_ram = 1;
	t->iommus[0] = (struct iommu_desc){
		.id = strdup("iommu0"),
		.type = IOMMU_TYPE_INTEL_VTD,
		.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
		.iotlb_entries = 64,
		.iotlb_ways = 4,
		.mode = IOMMU_MODE_STRICT,
		.fq_size = 256,
		.fq_timeout_ms = 10,
	};
	t->nr_iommus = 1;
	if (!t->iommus[0].id)
		goto err;
	host = pci_fabric_add_host_bridge(t->fabric, "hb0", 0, 0);
	if (!host ||
	    pci_host_bridge_add_aperture(host, PCI_APERTURE_MEM64, 0x4000000000ULL, SZ_1G, 0, 0))
		goto err;
	host->iommu_index = 0;
	rp = pci_fabric_add_dev(t->fabric, host->bus, "rp0", PCI_TYPE_ROOT_PORT, PCI_DEVFN(1, 0));
	if (!rp || !pci_fabric_add_bus(t->fabric, rp, 1, true))
		goto err;
	usp = pci_fabric_add_dev(t->fabric, rp->subordinate, "usp", PCI_TYPE_UPSTREAM, 0);
	if (!usp || !pci_fabric_add_bus(t->fabric, usp, 2, true))
		goto err;
	dsp = pci_fabric_add_dev(t->fabric, usp->subordinate, "dsp", PCI_TYPE_DOWNSTREAM, 0);
	if (!dsp || !pci_fabric_add_bus(t->fabric, dsp, 3, true))
		goto err;
	ep = pci_fabric_add_dev(t->fabric, dsp->subordinate, "ep", PCI_TYPE_ENDPOINT, 0);
	if (!ep)
		goto err;
	ep->bars[0] = (struct pci_bar){ .kind = PCI_BAR_MEM64,
					.size_bytes = 0x100000,
					.cpu_addr = 0x4000000000ULL,
					.bus_addr = 0x4000000000ULL };
	rp->pref_window = usp->pref_window = dsp->pref_window =
		(struct pci_window){ 0x4000000000ULL, 0x40000fffffULL };
	rp->mem_window = usp->mem_window = dsp->mem_window = (struct pci_window){ 1, 0 };
	if (pci_fabric_finalize(t->fabric, msg, sizeof(msg), &bad))
		goto err;
	*ep_out = ep;
	return t;
err:
	topology_free(t);
	return NULL;
}

/* CPU time of this thread (benchmarks only, never inside the simulation). */
static u64 thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

static int bench_route_iotlb_hit(struct bench_ctx *ctx)
{
	u64 n = bench_quick(ctx) ? 200000 : 20000000;
	struct iommu_domain *dom = NULL;
	struct pci_router *r = NULL;
	struct machine *m = NULL;
	struct topology *t;
	struct pci_dev *ep;
	u8 buf[PAYLOAD], src[PAGES * PAYLOAD], dst[PAGES * PAYLOAD];
	u64 t0, t1, sum = 0, hits0;
	double route_s, route_cpu_s, memcpy_s, checked_s;
	u64 c0, c1;
	struct checkers *cs = NULL;
	char msg[128];
	int ret = -ENOMEM;

	t = bench_topology(&ep);
	if (!t)
		return -ENOMEM;
	m = machine_new(t);
	if (!m)
		goto out;
	r = pci_router_new(m);
	dom = iommu_hw_domain_alloc(m->iommus[0], IOMMU_DOMAIN_DMA);
	if (!r || !dom)
		goto out;
	ret = iommu_map(dom, IOVA_BASE, RAM_BASE, PAGES * SZ_4K, IOMMU_READ | IOMMU_WRITE);
	if (ret)
		goto out;
	memset(buf, 0x5a, sizeof(buf));
	/* warm-up: fill the IOTLB and touch the RAM pages */
	for (u64 p = 0; p < PAGES; p++) {
		ret = pci_route_dma(r, ep, dom, IOVA_BASE + p * SZ_4K, buf, PAYLOAD, true, NULL);
		if (ret)
			goto out;
	}
	hits0 = iommu_hw_stats(m->iommus[0])->iotlb_hits;

	c0 = thread_cpu_ns();
	t0 = bench_now_ns();
	for (u64 i = 0; i < n; i++) {
		u64 iova = IOVA_BASE + (i % PAGES) * SZ_4K + ((i / PAGES) % 64) * PAYLOAD;

		ret = pci_route_dma(r, ep, dom, iova, buf, PAYLOAD, i & 1, NULL);
		if (__builtin_expect(ret != 0, 0))
			goto out;
		sum += buf[i % PAYLOAD];
	}
	t1 = bench_now_ns();
	c1 = thread_cpu_ns();
	route_s = (double)(t1 - t0) / 1e9;
	route_cpu_s = (double)(c1 - c0) / 1e9;
	bench_consume(sum);
	if (iommu_hw_stats(m->iommus[0])->iotlb_hits - hits0 != n) {
		bench_note(ctx, "not every translation hit the IOTLB");
		ret = -EIO;
		goto out;
	}

	/* the same DMAs with every checker listening, each declared to the route oracle */
	ret = checkers_new(m, r, NULL, NULL, &cs, msg, sizeof(msg));
	if (ret)
		goto out;
	t0 = bench_now_ns();
	for (u64 i = 0; i < n / 4; i++) {
		u64 off = (i % PAGES) * SZ_4K + ((i / PAGES) % 64) * PAYLOAD;
		struct dma_intent in = { .dev = ep,
					 .dma_addr = IOVA_BASE + off,
					 .len = PAYLOAD,
					 .write = i & 1,
					 .state = DMA_INTENT_LIVE,
					 .expect_phys = RAM_BASE + off };

		checkers_dma_begin(cs, &in);
		ret = pci_route_dma(r, ep, dom, in.dma_addr, buf, PAYLOAD, i & 1, NULL);
		checkers_dma_end(cs, NULL);
		if (__builtin_expect(ret != 0, 0))
			goto out;
	}
	t1 = bench_now_ns();
	checked_s = (double)(t1 - t0) / 1e9;
	if (checkers_nr_violations(cs)) {
		bench_note(ctx, "the route oracle reported a violation");
		ret = -EIO;
		goto out;
	}

	memset(src, 0xa5, sizeof(src));
	t0 = bench_now_ns();
	for (u64 i = 0; i < n; i++) {
		u8 *s = src + (i % PAGES) * PAYLOAD;

		if (i & 1)
			memcpy(dst + (i % PAGES) * PAYLOAD, buf, PAYLOAD);
		else
			memcpy(buf, s, PAYLOAD);
		__asm__ __volatile__("" : : "r"(buf), "r"(dst) : "memory");
	}
	t1 = bench_now_ns();
	memcpy_s = (double)(t1 - t0) / 1e9;
	bench_consume(buf[0] + dst[0]);

	bench_report(ctx, "DMAs routed (64 B, IOTLB hit, 3 ports)", (double)n / route_s, "DMA/s",
		     (double)n / (memcpy_s > 0 ? memcpy_s : 1e-9), "memcpy/s of the same bytes",
		     10e6, true);
	bench_report(ctx, "ns per routed DMA", route_s * 1e9 / (double)n, "ns", NAN, NULL, NAN,
		     false);
	bench_report(ctx, "DMAs routed with every checker on", (double)(n / 4) / checked_s, "DMA/s",
		     NAN, NULL, NAN, true);
	bench_note(ctx, "%llu DMAs, every translation an IOTLB hit; no event subscriber",
		   (unsigned long long)n);
	bench_note(ctx,
		   "per CPU-second of this thread: %.3g DMA/s (the wall-clock figure drops when "
		   "other processes share the core)",
		   route_cpu_s > 0 ? (double)n / route_cpu_s : 0.0);
	ret = 0;
out:
	checkers_free(cs);
	if (dom)
		iommu_hw_domain_free(dom);
	pci_router_free(r);
	machine_free(m);
	topology_free(t);
	return ret;
}

const struct bench_case bench_dma_route_iotlb_hit = {
	.name = "dma-route-iotlb-hit",
	.summary = "device DMA routed through switch + root complex + IOMMU, IOTLB hit, into RAM",
	.run = bench_route_iotlb_hit,
};
