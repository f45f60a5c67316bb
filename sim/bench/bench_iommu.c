// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_iommu.c - benchmarks "dma-iommu-strict-4k", "dma-iommu-lazy-4k" and
 * "dma-iommu-iova-link-4k" (DESIGN.md §9).
 *
 * The first two: dma_map_phys + dma_unmap_phys pairs of 4 KiB through the
 * dispatcher into dma-iommu, for a coherent 64-bit device behind an Intel
 * VT-d unit in strict mode (IOTLB sync at every unmap) and in lazy mode
 * (flush queue: one flush_iotlb_all per 255 unmaps when the per-CPU ring
 * fills; the logical clock does not move, so the 10 ms timer never fires).
 *
 * Each pair is: alloc_iova_fast (rcache) + one PTE written + iotlb_sync_map,
 * then iova_to_phys + one PTE cleared + the IOTLB range invalidation (strict)
 * or a flush-queue entry (lazy) + free_iova_fast. No event subscriber.
 *
 * dma-iommu-iova-link-4k: the two-step API on one reservation made once:
 * dma_iova_link + dma_iova_sync + dma_iova_unlink of 4 KiB per iteration
 * (unlink always syncs the IOTLB), strict domain.
 *
 * Baseline, measured in the same run: a plain open-addressing hash table
 * (1024 slots, linear probing, backward-shift deletion) doing one insert
 * and one delete per pair, over the same number of keys.
 *
 * The machine is built in code (no XML): RAM [0, 2 GiB), one host bridge
 * with a 256 MiB aperture and a VT-d unit (64-entry 4-way IOTLB,
 * 4K|2M|1G pages), one endpoint.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/bench/bench.h"
#include "src/dma/mapping.h"
#include "src/iommu/dma-iommu.h"

struct bench_iommu_env {
	struct topology *topo;
	struct machine *m;
	struct device dev;
};

static void bench_iommu_env_free(struct bench_iommu_env *env)
{
	if (env->dev.domain)
		iommu_release_device_dma(&env->dev);
	machine_free(env->m);
	topology_free(env->topo);
}

static int bench_iommu_env_new(struct bench_iommu_env *env, enum iommu_mode mode)
{
	struct pci_host_bridge *hb;
	struct pci_dev *rp, *ep, *bad;
	struct topology *t;
	char msg[128];
	int ret = -ENOMEM;

	memset(env, 0, sizeof(*env));
	t = env->topo = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->name = strdup("bench-iommu");
	t->source = strdup("");
	t->ram = calloc(1, sizeof(*t->ram));
	t->iommus = calloc(1, sizeof(*t->iommus));
	t->fabric = pci_fabric_new();
	if (!t->name || !t->source || !t->ram || !t->iommus || !t->fabric)
		goto err;
	t->version = 1;
	t->cpu.vendor = CPU_VENDOR_INTEL;
	t->ram[0] = (struct ram_range){ .base = 0, .size_bytes = 2 * SZ_1G, .numa_node = -1 };
	t->nr_ram = 1;
	t->iommus[0] = (struct iommu_desc){ .id = strdup("iommu0"),
					    .type = IOMMU_TYPE_INTEL_VTD,
					    .pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
					    .iotlb_entries = 64,
					    .iotlb_ways = 4,
					    .mode = mode,
					    .fq_size = 256,
					    .fq_timeout_ms = 10 };
	t->nr_iommus = 1;
	if (!t->iommus[0].id)
		goto err;
	hb = pci_fabric_add_host_bridge(t->fabric, "hb0", 0, 0);
	if (!hb || pci_host_bridge_add_aperture(hb, PCI_APERTURE_MEM32, 0xc0000000ULL,
						0x10000000ULL, 0, 0))
		goto err;
	hb->iommu_index = 0;
	rp = pci_fabric_add_dev(t->fabric, hb->bus, "rp0", PCI_TYPE_ROOT_PORT, PCI_DEVFN(1, 0));
	if (!rp || !pci_fabric_add_bus(t->fabric, rp, 1, true))
		goto err;
	ep = pci_fabric_add_dev(t->fabric, rp->subordinate, "dev64", PCI_TYPE_ENDPOINT,
				PCI_DEVFN(0, 0));
	if (!ep)
		goto err;
	if (pci_fabric_finalize(t->fabric, msg, sizeof(msg), &bad)) {
		ret = -EINVAL;
		goto err;
	}
	env->m = machine_new(t);
	if (!env->m)
		goto err;
	env->dev = (struct device){ .name = "dev64", .pdev = ep, .machine = env->m,
				    .dma_mask = DMA_BIT_MASK(64),
				    .coherent_dma_mask = DMA_BIT_MASK(64),
				    .dma_coherent = true, .dma_skip_sync = true };
	ret = iommu_probe_device_dma(&env->dev, machine_iommu_for(env->m, ep), mode);
	if (ret)
		goto err;
	if (!env->dev.dma_iommu) {
		ret = -ENODEV;
		goto err;
	}
	return 0;
err:
	bench_iommu_env_free(env);
	return ret;
}

/* --- the baseline: a plain hash table ------------------------------------- */

#define HT_SLOTS 1024

struct bench_ht {
	u64 keys[HT_SLOTS]; /* 0 = empty */
};

static unsigned int ht_slot(u64 key)
{
	return (unsigned int)((key * 0x9e3779b97f4a7c15ULL) >> 54) & (HT_SLOTS - 1);
}

static __attribute__((noinline)) void ht_insert(struct bench_ht *ht, u64 key)
{
	unsigned int i = ht_slot(key);

	while (ht->keys[i] && ht->keys[i] != key)
		i = (i + 1) & (HT_SLOTS - 1);
	ht->keys[i] = key;
}

static __attribute__((noinline)) void ht_delete(struct bench_ht *ht, u64 key)
{
	unsigned int i = ht_slot(key), j;

	while (ht->keys[i] != key) {
		if (!ht->keys[i])
			return;
		i = (i + 1) & (HT_SLOTS - 1);
	}
	/* Backward-shift deletion keeps probe chains intact without tombstones. */
	for (j = (i + 1) & (HT_SLOTS - 1); ht->keys[j]; j = (j + 1) & (HT_SLOTS - 1)) {
		unsigned int home = ht_slot(ht->keys[j]);

		if (((j - home) & (HT_SLOTS - 1)) >= ((j - i) & (HT_SLOTS - 1))) {
			ht->keys[i] = ht->keys[j];
			i = j;
		}
	}
	ht->keys[i] = 0;
}

static double bench_ht_ops_per_sec(uint64_t iters)
{
	struct bench_ht *ht = calloc(1, sizeof(*ht));
	uint64_t t0, t1;

	if (!ht)
		return NAN;
	/* A few resident keys so that probing is not trivially empty. */
	for (u64 k = 1; k <= HT_SLOTS / 4; k++)
		ht_insert(ht, k * 7919);
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		u64 key = 0x100000 + (i & 0xffff);

		ht_insert(ht, key);
		ht_delete(ht, key);
	}
	t1 = bench_now_ns();
	bench_consume(ht->keys[ht_slot(7919)]);
	free(ht);
	return (double)iters / ((double)(t1 - t0) / 1e9);
}

/* --- the measured loop -------------------------------------------------------- */

static int bench_iommu_pairs(struct bench_ctx *ctx, enum iommu_mode mode, double target)
{
	const uint64_t iters = bench_quick(ctx) ? 100000 : 5000000;
	const phys_addr_t buf = 0x10000000;
	struct bench_iommu_env env;
	const struct iommu_hw_stats *hw;
	const struct iommu_dma_stats *ds;
	uint64_t t0, t1, sum = 0;
	double secs, base;
	int ret = bench_iommu_env_new(&env, mode);

	if (ret)
		return ret;
	hw = iommu_hw_stats(env.m->iommus[0]);
	ds = iommu_dma_stats(env.dev.domain);

	/* Warm up: page-table pages, rcache magazines. */
	for (int i = 0; i < 1000; i++)
		dma_unmap_phys(&env.dev, dma_map_phys(&env.dev, buf, 4096, DMA_BIDIRECTIONAL, 0),
			       4096, DMA_BIDIRECTIONAL, 0);

	t0 = bench_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		dma_addr_t d = dma_map_phys(&env.dev, buf, 4096, DMA_BIDIRECTIONAL, 0);

		if (d == DMA_MAPPING_ERROR) {
			ret = -EIO;
			goto out;
		}
		dma_unmap_phys(&env.dev, d, 4096, DMA_BIDIRECTIONAL, 0);
		sum += d;
	}
	t1 = bench_now_ns();
	secs = (double)(t1 - t0) / 1e9;
	bench_consume(sum);
	base = bench_ht_ops_per_sec(iters);

	bench_note(ctx, "%llu pairs, VT-d %s, coherent 64-bit device, 4 KiB at %#llx",
		   (unsigned long long)iters, iommu_mode_name(mode), (unsigned long long)buf);
	bench_note(ctx, "iotlb_sync %llu, iotlb_sync_map %llu, flush_iotlb_all %llu, "
		   "fq flushes %llu (ring full %llu), page-table pages peak %llu",
		   (unsigned long long)hw->iotlb_sync, (unsigned long long)hw->iotlb_sync_map,
		   (unsigned long long)hw->flush_iotlb_all, (unsigned long long)ds->fq_flushes,
		   (unsigned long long)ds->fq_full_flushes,
		   (unsigned long long)hw->pgtable_pages_peak);
	bench_report(ctx, "map+unmap pairs per second", (double)iters / secs, "pairs/s", base,
		     "hash insert+delete/s", target, true);
	bench_report(ctx, "time per pair", secs * 1e9 / (double)iters, "ns", NAN, NULL, NAN, false);
out:
	bench_iommu_env_free(&env);
	return ret;
}

static int bench_dma_iommu_strict(struct bench_ctx *ctx)
{
	return bench_iommu_pairs(ctx, IOMMU_MODE_STRICT, 3e6);
}

static int bench_dma_iommu_lazy(struct bench_ctx *ctx)
{
	return bench_iommu_pairs(ctx, IOMMU_MODE_LAZY, 5e6);
}

static int bench_dma_iommu_iova_link(struct bench_ctx *ctx)
{
	const uint64_t iters = bench_quick(ctx) ? 100000 : 5000000;
	const phys_addr_t buf = 0x10000000;
	struct bench_iommu_env env;
	struct dma_iova_state state;
	uint64_t t0, t1;
	double secs, base;
	int ret = bench_iommu_env_new(&env, IOMMU_MODE_STRICT);

	if (ret)
		return ret;
	if (!dma_iova_try_alloc(&env.dev, &state, 0, 64 * 4096)) {
		ret = -ENOMEM;
		goto out;
	}
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		size_t offset = (i & 63) * 4096;

		if (dma_iova_link(&env.dev, &state, buf + offset, offset, 4096, DMA_BIDIRECTIONAL,
				  0) ||
		    dma_iova_sync(&env.dev, &state, offset, 4096)) {
			ret = -EIO;
			break;
		}
		dma_iova_unlink(&env.dev, &state, offset, 4096, DMA_BIDIRECTIONAL, 0);
	}
	t1 = bench_now_ns();
	dma_iova_free(&env.dev, &state);
	if (ret)
		goto out;
	secs = (double)(t1 - t0) / 1e9;
	base = bench_ht_ops_per_sec(iters);
	bench_note(ctx, "%llu link+sync+unlink of 4 KiB in one 256 KiB reservation, VT-d strict",
		   (unsigned long long)iters);
	bench_report(ctx, "link+unlink per second", (double)iters / secs, "pairs/s", base,
		     "hash insert+delete/s", 5e6, true);
	bench_report(ctx, "time per link+unlink", secs * 1e9 / (double)iters, "ns", NAN, NULL, NAN,
		     false);
out:
	bench_iommu_env_free(&env);
	return ret;
}

const struct bench_case bench_dma_iommu_iova_link_4k = {
	.name = "dma-iommu-iova-link-4k",
	.summary = "two-step API: 4 KiB dma_iova_link+sync+unlink in one reservation, strict",
	.run = bench_dma_iommu_iova_link,
};

const struct bench_case bench_dma_iommu_strict_4k = {
	.name = "dma-iommu-strict-4k",
	.summary = "4 KiB dma_map_phys+dma_unmap_phys pairs through dma-iommu, strict (VT-d)",
	.run = bench_dma_iommu_strict,
};

const struct bench_case bench_dma_iommu_lazy_4k = {
	.name = "dma-iommu-lazy-4k",
	.summary = "4 KiB dma_map_phys+dma_unmap_phys pairs through dma-iommu, lazy flush queue",
	.run = bench_dma_iommu_lazy,
};
