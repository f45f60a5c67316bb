// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_dma.c - benchmarks "dma-direct-4k" and "swiotlb-bounce-4k": the
 * streaming DMA API without an IOMMU.
 *
 *  - dma-direct-4k: dma_map_phys + dma_unmap_phys pairs of 4 KiB through
 *    the dispatcher for a coherent 64-bit device (identity mapping, no
 *    bounce). Baseline: the same loop calling a trivial map/unmap pair.
 *  - swiotlb-bounce-4k: a 32-bit device mapping a buffer above 4 GiB, so
 *    every BIDIRECTIONAL 4 KiB map copies into the pool and every unmap
 *    copies back. Figure: bytes bounced per second; baseline: memcpy of the
 *    same number of bytes between two 4 KiB buffers in the same run.
 *
 * The machine is built in code (no XML): RAM [0, 2 GiB) + [4 GiB, 8 GiB),
 * one host bridge without an IOMMU, a 64-bit and a 32-bit endpoint.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/bench/bench.h"
#include "sim/topology/topology_internal.h"
#include "sim/world.h"
#include "src/dma/mapping.h"

static struct topology *bench_dma_topology(void)
{
	struct topology *t = calloc(1, sizeof(*t));
	struct pci_host_bridge *hb;
	struct pci_dev *rp, *ep, *bad;
	char msg[128];

	if (!t)
		return NULL;
	t->name = strdup("bench-dma");
	t->source = strdup("");
	t->ram = calloc(2, sizeof(*t->ram));
	t->fabric = pci_fabric_new();
	if (!t->name || !t->source || !t->ram || !t->fabric)
		goto err;
	t->version = 1;
	t->cpu.vendor = CPU_VENDOR_INTEL;
	t->ram[0] = (struct ram_range){ .base = 0, .size_bytes = 2 * SZ_1G, .numa_node = -1 };
	t->ram[1] =
		(struct ram_range){ .base = 4 * SZ_1G, .size_bytes = 4 * SZ_1G, .numa_node = -1 };
	t->nr_ram = 2;
	hb = pci_fabric_add_host_bridge(t->fabric, "hb0", 0, 0);
	if (!hb || pci_host_bridge_add_aperture(hb, PCI_APERTURE_MEM32, 0xc0000000ULL,
						0x10000000ULL, 0, 0))
		goto err;
	rp = pci_fabric_add_dev(t->fabric, hb->bus, "rp0", PCI_TYPE_ROOT_PORT, PCI_DEVFN(1, 0));
	if (!rp || !pci_fabric_add_bus(t->fabric, rp, 1, true))
		goto err;
	ep = pci_fabric_add_dev(t->fabric, rp->subordinate, "dev64", PCI_TYPE_ENDPOINT,
				PCI_DEVFN(0, 0));
	if (!ep)
		goto err;
	ep = pci_fabric_add_dev(t->fabric, rp->subordinate, "dev32", PCI_TYPE_ENDPOINT,
				PCI_DEVFN(0, 1));
	if (!ep)
		goto err;
	ep->dma_mask_bits = 32;
	if (pci_fabric_finalize(t->fabric, msg, sizeof(msg), &bad))
		goto err;
	return t;
err:
	topology_free(t);
	return NULL;
}

struct bench_dma_env {
	struct topology *topo;
	p2psim_world *pw;
	struct world *w;
	phys_addr_t buf;
};

static int bench_dma_env_new(struct bench_dma_env *env, int placement)
{
	uint64_t phys;

	memset(env, 0, sizeof(*env));
	env->topo = bench_dma_topology();
	if (!env->topo)
		return -ENOMEM;
	if (p2psim_world_new(topology_to_public(env->topo), NULL, &env->pw, NULL) ||
	    p2psim_buffer_alloc(env->pw, "buf", 4096, placement, &phys, NULL) ||
	    p2psim_buffer_fill(env->pw, "buf", 0, 4096, P2PSIM_FILL_INCREMENT, 0, NULL)) {
		p2psim_world_free(env->pw);
		topology_free(env->topo);
		return -ENOMEM;
	}
	env->w = world_from_public(env->pw);
	env->buf = phys;
	return 0;
}

static void bench_dma_env_free(struct bench_dma_env *env)
{
	p2psim_world_free(env->pw);
	topology_free(env->topo);
}

/* The baseline pair: as cheap as a map/unmap can be while still being a call. */
static __attribute__((noinline)) dma_addr_t trivial_map(struct device *dev, phys_addr_t phys)
{
	return phys + (dev->dma_mask & 1);
}

static __attribute__((noinline)) void trivial_unmap(struct device *dev, dma_addr_t dma)
{
	bench_consume(dma);
}

static int bench_dma_direct(struct bench_ctx *ctx)
{
	const uint64_t iters = bench_quick(ctx) ? 100000 : 5000000;
	struct bench_dma_env env;
	struct device *dev;
	uint64_t t0, t1, sum = 0;
	double secs, base;
	int ret = bench_dma_env_new(&env, P2PSIM_PLACE_ANY);

	if (ret)
		return ret;
	dev = world_find_device(env.w, "dev64");

	t0 = bench_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		dma_addr_t d = trivial_map(dev, env.buf);

		trivial_unmap(dev, d);
		sum += d;
	}
	t1 = bench_now_ns();
	base = (double)(t1 - t0) / 1e9;

	t0 = bench_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		dma_addr_t d = dma_map_phys(dev, env.buf, 4096, DMA_TO_DEVICE, 0);

		if (d == DMA_MAPPING_ERROR) {
			ret = -EIO;
			break;
		}
		dma_unmap_phys(dev, d, 4096, DMA_TO_DEVICE, 0);
		sum += d;
	}
	t1 = bench_now_ns();
	secs = (double)(t1 - t0) / 1e9;
	bench_consume(sum);

	if (!ret) {
		bench_note(ctx, "%llu pairs, coherent 64-bit device, buffer at %#llx (identity)",
			   (unsigned long long)iters, (unsigned long long)env.buf);
		bench_report(ctx, "map+unmap pairs per second", (double)iters / secs, "pairs/s",
			     (double)iters / base, "pairs/s trivial map/unmap", NAN, true);
		bench_report(ctx, "time per pair", secs * 1e9 / (double)iters, "ns", NAN, NULL, NAN,
			     false);
	}
	bench_dma_env_free(&env);
	return ret;
}

static int bench_swiotlb_bounce(struct bench_ctx *ctx)
{
	const uint64_t iters = bench_quick(ctx) ? 20000 : 1000000;
	struct bench_dma_env env;
	struct device *dev;
	u64 bytes_before, bytes;
	uint64_t t0, t1, sum = 0;
	double secs, base;
	u8 *src, *dst;
	int ret = bench_dma_env_new(&env, P2PSIM_PLACE_ABOVE_4G);

	if (ret)
		return ret;
	dev = world_find_device(env.w, "dev32");
	src = malloc(4096);
	dst = malloc(4096);
	if (!src || !dst) {
		ret = -ENOMEM;
		goto out;
	}
	memset(src, 0x5a, 4096);
	memset(dst, 0, 4096);

	bytes_before = env.w->swiotlb->stats.bytes_bounced;
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		dma_addr_t d = dma_map_phys(dev, env.buf, 4096, DMA_BIDIRECTIONAL, 0);

		if (d == DMA_MAPPING_ERROR) {
			ret = -EIO;
			goto out;
		}
		dma_unmap_phys(dev, d, 4096, DMA_BIDIRECTIONAL, 0);
		sum += d;
	}
	t1 = bench_now_ns();
	secs = (double)(t1 - t0) / 1e9;
	bytes = env.w->swiotlb->stats.bytes_bounced - bytes_before;

	/* the same bytes with plain memcpy, alternating direction like map/unmap */
	t0 = bench_now_ns();
	for (u64 done = 0; done < bytes; done += 4096) {
		if ((done / 4096) & 1)
			memcpy(src, dst, 4096);
		else
			memcpy(dst, src, 4096);
		sum += dst[done & 4095];
		__asm__ volatile("" : : "r"(dst), "r"(src) : "memory");
	}
	t1 = bench_now_ns();
	base = (double)(t1 - t0) / 1e9;
	bench_consume(sum);

	bench_note(
		ctx,
		"%llu map+unmap pairs of 4 KiB, 32-bit device, buffer at %#llx: %llu bytes bounced",
		(unsigned long long)iters, (unsigned long long)env.buf, (unsigned long long)bytes);
	bench_report(ctx, "bytes bounced per second", (double)bytes / secs, "B/s",
		     (double)bytes / (base > 0 ? base : 1e-9), "B/s plain memcpy", NAN, true);
	bench_report(ctx, "map+unmap pairs per second", (double)iters / secs, "pairs/s", NAN, NULL,
		     NAN, true);
out:
	free(src);
	free(dst);
	bench_dma_env_free(&env);
	return ret;
}

const struct bench_case bench_dma_direct_4k = {
	.name = "dma-direct-4k",
	.summary = "dma-direct 4 KiB map+unmap pairs per second (no IOMMU, no bounce)",
	.run = bench_dma_direct,
};

const struct bench_case bench_swiotlb_bounce_4k = {
	.name = "swiotlb-bounce-4k",
	.summary =
		"swiotlb bounce of 4 KiB map+unmap (32-bit device, buffer above 4 GiB) vs memcpy",
	.run = bench_swiotlb_bounce,
};
