// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_dma_iommu.c - the streaming DMA API over an IOMMU domain
 * (src/iommu/dma-iommu.c) on the standard test machine (tests/helpers/
 * topo_builder.h): default-domain probe per mode, reservations, IOVA
 * placement (32-bit first, sticky fall-back), strict vs lazy (an IOVA is
 * not reused before the flush that follows its queuing, and the IOTLB
 * still translates it until then), the flush queue's ring and timer,
 * untrusted bouncing through swiotlb, scatter-gather merging, and error
 * paths that leave nothing behind (checked by counting).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers/topo_builder.h"
#include "models/mem/physmem.h"
#include "src/dma/swiotlb.h"
#include "src/iommu/dma-iommu.h"

#define MS (1000ULL * 1000ULL)

static struct topology *topo;
static struct machine *m;
static struct device devs[4];
static unsigned int nr_devs;
static struct io_tlb_mem *pool;

static void setup(void)
{
	topo = tb_standard(IOMMU_MODE_STRICT);
	m = machine_new(topo);
	cr_assert_not_null(m);
	m->nr_cpus = 2;
	nr_devs = 0;
	pool = NULL;
}

static void teardown(void)
{
	for (unsigned int i = 0; i < nr_devs; i++)
		iommu_release_device_dma(&devs[i]);
	if (m->nr_iommus)
		cr_assert_eq(iommu_hw_stats(m->iommus[0])->pgtable_pages_live, 0);
	swiotlb_mem_free(pool);
	machine_free(m);
	topology_free(topo);
}

TestSuite(dma_iommu, .init = setup, .fini = teardown);

static struct device *mkdev(const char *id, enum iommu_mode mode)
{
	return tb_probe_iommu_device(&devs[nr_devs++], m, topo, id, mode, 0);
}

static const struct iommu_dma_stats *dstats(struct device *dev)
{
	return iommu_dma_stats(dev->domain);
}

static const struct iommu_hw_stats *hwstats(void)
{
	return iommu_hw_stats(m->iommus[0]);
}

static int dev_xlate(struct device *dev, dma_addr_t addr, phys_addr_t *phys)
{
	return iommu_hw_translate(m->iommus[0], dev->domain, dev->pdev, addr, false, phys);
}

Test(dma_iommu, probe_picks_domain_per_mode)
{
	struct device *strict = mkdev("nvme0", IOMMU_MODE_STRICT);
	struct device *lazy = mkdev("gpu0", IOMMU_MODE_LAZY);
	struct device *pt = mkdev("nvme0", IOMMU_MODE_PASSTHROUGH);
	struct device *ext = mkdev("ext0", IOMMU_MODE_LAZY);

	cr_assert_eq(strict->domain->type, IOMMU_DOMAIN_DMA);
	cr_assert(strict->dma_iommu);
	cr_assert(strict->pci_32bit_workaround);
	cr_assert_not(iommu_dma_fq_active(strict->domain));
	cr_assert_eq(lazy->domain->type, IOMMU_DOMAIN_DMA_FQ);
	cr_assert(iommu_dma_fq_active(lazy->domain));
	cr_assert_eq(pt->domain->type, IOMMU_DOMAIN_IDENTITY);
	cr_assert_not(pt->dma_iommu);
	/* Untrusted: strict whatever the mode. */
	cr_assert_eq(ext->domain->type, IOMMU_DOMAIN_DMA);
	cr_assert_not(iommu_dma_fq_active(ext->domain));
	cr_assert_eq(iommu_dma_iovad(strict->domain)->start_pfn, 1);
	cr_assert_eq(iommu_dma_iovad(strict->domain)->granule, 4096);
}

Test(dma_iommu, probe_off_or_no_iommu)
{
	struct device *off = mkdev("nvme0", IOMMU_MODE_OFF);
	struct device *nic = mkdev("nic0", IOMMU_MODE_STRICT); /* hb1 has no IOMMU */

	cr_assert_null(off->domain);
	cr_assert_not(off->dma_iommu);
	cr_assert_null(nic->domain);
	cr_assert_not(nic->dma_iommu);
}

Test(dma_iommu, reservations_apertures_and_msi)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);
	struct iova_domain *iovad = iommu_dma_iovad(dev->domain);
	struct iova *r;

	r = find_iova(iovad, 0xc0000);
	cr_assert_not_null(r, "MEM32 aperture reserved");
	cr_assert_eq(r->pfn_lo, 0xc0000);
	cr_assert_eq(r->pfn_hi, 0xcffff);
	r = find_iova(iovad, 0x4000000);
	cr_assert_not_null(r, "MEM64 aperture reserved");
	cr_assert_eq(r->pfn_hi, 0x4000000 + 0x20000000 - 1);
	r = find_iova(iovad, 0xfee00);
	cr_assert_not_null(r, "x86 MSI window reserved");
	cr_assert_eq(r->pfn_hi, 0xfeeff);
	cr_assert_eq(iovad->stats.nodes_live, 3);
}

Test(dma_iommu, map_phys_32bit_first_keeps_offset)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);
	dma_addr_t a, b;

	/* Top of the 32-bit space, just under 4 GiB (above the MSI window). */
	a = iommu_dma_map_phys(dev, 0x100123, 0x100, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(a, 0xfffff123);
	b = iommu_dma_map_phys(dev, 0x200000, 0x2000, DMA_TO_DEVICE, 0);
	/* 2 pages aligned to 2 under pfn 0xfffff: (0xfffff - 2) & ~1 = 0xffffc. */
	cr_assert_eq(b, 0xffffc000);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, a), 0x100123);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, b + 0x1fff), 0x201fff);
	cr_assert_eq(hwstats()->iotlb_sync_map, 2);
	iommu_dma_unmap_phys(dev, a, 0x100, DMA_BIDIRECTIONAL, 0);
	iommu_dma_unmap_phys(dev, b, 0x2000, DMA_TO_DEVICE, 0);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
	cr_assert_eq(dstats(dev)->iova_allocs, 2);
	cr_assert_eq(dstats(dev)->iova_frees, 2);
}

Test(dma_iommu, sticky_64bit_fallback)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);
	struct iova_domain *iovad = iommu_dma_iovad(dev->domain);
	dma_addr_t a, b;

	/* Take away the whole 32-bit space. */
	cr_assert_not_null(reserve_iova(iovad, 1, 0xfffff));
	a = iommu_dma_map_phys(dev, 0x100000, 0x1000, DMA_BIDIRECTIONAL, 0);
	/* Top of the 48-bit aperture: pfn (2^48 >> 12) - 1. */
	cr_assert_eq(a, 0xfffffffff000ULL);
	cr_assert_not(dev->pci_32bit_workaround, "the fall-back is sticky");
	cr_assert_eq(dstats(dev)->iova_32bit_fallbacks, 1);
	b = iommu_dma_map_phys(dev, 0x101000, 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(b, 0xffffffffe000ULL);
	cr_assert_eq(dstats(dev)->iova_32bit_fallbacks, 1, "no second 32-bit try");
	iommu_dma_unmap_phys(dev, a, 0x1000, DMA_BIDIRECTIONAL, 0);
	iommu_dma_unmap_phys(dev, b, 0x1000, DMA_BIDIRECTIONAL, 0);
}

Test(dma_iommu, dma_mask_limits_iova)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);

	dev->dma_mask = DMA_BIT_MASK(12); /* only pfn 0, which is never handed out */
	cr_assert_eq(iommu_dma_map_phys(dev, 0x100000, 0x1000, DMA_BIDIRECTIONAL, 0),
		     DMA_MAPPING_ERROR);
	cr_assert_eq(dstats(dev)->iova_alloc_fails, 1);
	cr_assert_eq(hwstats()->ptes_set, 0);
}

Test(dma_iommu, strict_unmap_syncs_and_reuses_at_once)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);
	phys_addr_t phys;
	dma_addr_t a;

	a = iommu_dma_map_phys(dev, 0x300000, 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(dev_xlate(dev, a, &phys), 0);
	cr_assert_eq(phys, 0x300000);
	iommu_dma_unmap_phys(dev, a, 0x1000, DMA_BIDIRECTIONAL, 0);
	/* The IOTLB entry is gone as soon as unmap returns. */
	cr_assert_eq(dev_xlate(dev, a, &phys), -EFAULT);
	cr_assert_eq(hwstats()->iotlb_sync, 1);
	/* Freed into the rcache: the next map gets the same IOVA. */
	cr_assert_eq(iommu_dma_map_phys(dev, 0x400000, 0x1000, DMA_BIDIRECTIONAL, 0), a);
	cr_assert_eq(iommu_dma_iovad(dev->domain)->stats.rcache_hits, 1);
	iommu_dma_unmap_phys(dev, a, 0x1000, DMA_BIDIRECTIONAL, 0);
}

Test(dma_iommu, lazy_iova_not_reused_before_flush)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_LAZY);
	phys_addr_t phys;
	dma_addr_t a, b, c;

	m->now_ns = 5 * MS;
	a = iommu_dma_map_phys(dev, 0x300000, 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(dev_xlate(dev, a, &phys), 0); /* the device uses it: IOTLB filled */
	iommu_dma_unmap_phys(dev, a, 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(hwstats()->iotlb_sync, 0, "lazy: no sync at unmap");
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 1);
	cr_assert_eq(iommu_dma_fq_timer_deadline(dev->domain), 15 * MS);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, a), 0, "the PTE is gone...");
	cr_assert_eq(dev_xlate(dev, a, &phys), 0, "...but the IOTLB still translates");
	cr_assert_eq(phys, 0x300000);
	/* Not reusable yet: the next map gets another IOVA. */
	b = iommu_dma_map_phys(dev, 0x400000, 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_neq(b, a);
	/* Just before the deadline nothing happens. */
	m->now_ns = 15 * MS - 1;
	iommu_dma_run_timers(m);
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 1);
	/* At the deadline: one flush, the entry is released. */
	m->now_ns = 15 * MS;
	iommu_dma_run_timers(m);
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 0);
	cr_assert_eq(iommu_dma_fq_flush_start_cnt(dev->domain), 1);
	cr_assert_eq(iommu_dma_fq_flush_finish_cnt(dev->domain), 1);
	cr_assert_eq(hwstats()->flush_iotlb_all, 1);
	cr_assert_eq(dev_xlate(dev, a, &phys), -EFAULT, "flushed: the stale entry is gone");
	cr_assert_eq(iommu_dma_fq_timer_deadline(dev->domain), 0, "timer disarmed");
	c = iommu_dma_map_phys(dev, 0x500000, 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(c, a, "reused only now");
	iommu_dma_unmap_phys(dev, b, 0x1000, DMA_BIDIRECTIONAL, 0);
	iommu_dma_unmap_phys(dev, c, 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 2);
}

Test(dma_iommu, lazy_entry_needs_a_flush_started_after_it)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_LAZY);
	dma_addr_t a, b;

	a = iommu_dma_map_phys(dev, 0x300000, 0x1000, DMA_BIDIRECTIONAL, 0);
	b = iommu_dma_map_phys(dev, 0x301000, 0x1000, DMA_BIDIRECTIONAL, 0);
	iommu_dma_unmap_phys(dev, a, 0x1000, DMA_BIDIRECTIONAL, 0); /* counter 0 */
	m->now_ns = 10 * MS;
	iommu_dma_run_timers(m); /* flush 1 releases a */
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 0);
	iommu_dma_unmap_phys(dev, b, 0x1000, DMA_BIDIRECTIONAL, 0); /* counter 1: 1 < 1 is false */
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 1, "not freed by the earlier flush");
	cr_assert_eq(iommu_dma_fq_timer_deadline(dev->domain), 20 * MS, "timer re-armed");
	m->now_ns = 20 * MS;
	iommu_dma_run_timers(m);
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 0);
	cr_assert_eq(dstats(dev)->fq_flushes, 2);
}

Test(dma_iommu, lazy_full_ring_flushes)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_LAZY);
	static dma_addr_t addr[256];

	for (int i = 0; i < 256; i++)
		addr[i] = iommu_dma_map_phys(dev, 0x100000 + (phys_addr_t)i * 0x1000, 0x1000,
					     DMA_BIDIRECTIONAL, 0);
	/* A 256-slot ring holds 255 entries: the 256th unmap flushes first. */
	for (int i = 0; i < 255; i++)
		iommu_dma_unmap_phys(dev, addr[i], 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 255);
	cr_assert_eq(dstats(dev)->fq_flushes, 0);
	iommu_dma_unmap_phys(dev, addr[255], 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(dstats(dev)->fq_full_flushes, 1);
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 1);
	cr_assert_eq(dstats(dev)->fq_entries_freed, 255);
	cr_assert_eq(dstats(dev)->fq_depth_peak, 255);
}

Test(dma_iommu, lazy_queues_are_per_cpu)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_LAZY);
	dma_addr_t a, b;

	a = iommu_dma_map_phys(dev, 0x300000, 0x1000, DMA_BIDIRECTIONAL, 0);
	b = iommu_dma_map_phys(dev, 0x301000, 0x1000, DMA_BIDIRECTIONAL, 0);
	m->cpu = 0;
	iommu_dma_unmap_phys(dev, a, 0x1000, DMA_BIDIRECTIONAL, 0);
	m->cpu = 1;
	iommu_dma_unmap_phys(dev, b, 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 2);
	/* One timer for the domain; its flush releases every CPU's ring. */
	m->now_ns = 10 * MS;
	iommu_dma_run_timers(m);
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 0);
	cr_assert_eq(dstats(dev)->fq_flushes, 1);
	m->cpu = 0;
}

Test(dma_iommu, single_queue_for_shadowing_iommu)
{
	struct device *dev = &devs[nr_devs++];
	struct pci_dev *pdev = pci_fabric_find_id(topo->fabric, "nvme0");
	dma_addr_t a;

	*dev = (struct device){ .name = "nvme0", .pdev = pdev, .machine = m,
				.dma_mask = DMA_BIT_MASK(64), .dma_coherent = true,
				.shadow_on_flush = true };
	cr_assert_eq(iommu_probe_device_dma(dev, m->iommus[0], IOMMU_MODE_LAZY), 0);
	a = iommu_dma_map_phys(dev, 0x300000, 0x1000, DMA_BIDIRECTIONAL, 0);
	iommu_dma_unmap_phys(dev, a, 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(iommu_dma_fq_timer_deadline(dev->domain), 1000 * MS);
}

static void add_pool(void)
{
	pool = swiotlb_mem_new(m, 0x1000000, 1 << 20, m->nr_cpus, false);
	cr_assert_not_null(pool);
}

Test(dma_iommu, untrusted_unaligned_bounces_and_pads_zero)
{
	struct device *dev = mkdev("ext0", IOMMU_MODE_LAZY);
	u8 buf[100], back[0x1000];
	phys_addr_t tlb;
	dma_addr_t a;

	add_pool();
	dev->dma_io_tlb_mem = pool;
	/* Dirty the whole pool so that padding which is not zeroed would show. */
	cr_assert_eq(phys_mem_fill(m->mem, 0x1000000, 0xaa, 1 << 20), 0);
	memset(buf, 0x5c, sizeof(buf));
	cr_assert_eq(phys_mem_write(m->mem, 0x100010, buf, sizeof(buf)), 0);

	a = iommu_dma_map_phys(dev, 0x100010, sizeof(buf), DMA_TO_DEVICE, 0);
	cr_assert_neq(a, DMA_MAPPING_ERROR);
	cr_assert_eq(dstats(dev)->bounced_maps, 1);
	tlb = iommu_iova_to_phys(dev->domain, a);
	cr_assert(is_swiotlb_buffer(dev, tlb), "the device sees the bounce buffer");
	cr_assert_eq(phys_mem_read(m->mem, tlb & ~0xfffULL, back, sizeof(back)), 0);
	for (size_t i = 0; i < sizeof(back); i++) {
		size_t off = i - (tlb & 0xfff);
		u8 want = (i >= (tlb & 0xfff) && off < sizeof(buf)) ? 0x5c : 0;

		cr_assert_eq(back[i], want, "byte %zu of the bounce granule", i);
	}
	cr_assert_gt(swiotlb_used_slots(pool), 0);
	iommu_dma_unmap_phys(dev, a, sizeof(buf), DMA_TO_DEVICE, 0);
	cr_assert_eq(swiotlb_used_slots(pool), 0, "slots released");
	cr_assert_eq(hwstats()->leaves_live[0], 0);
	cr_assert_eq(hwstats()->iotlb_sync, 1, "untrusted is strict");
}

Test(dma_iommu, untrusted_aligned_does_not_bounce)
{
	struct device *dev = mkdev("ext0", IOMMU_MODE_STRICT);
	dma_addr_t a;

	add_pool();
	dev->dma_io_tlb_mem = pool;
	a = iommu_dma_map_phys(dev, 0x200000, 0x2000, DMA_FROM_DEVICE, 0);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, a), 0x200000);
	cr_assert_eq(swiotlb_used_slots(pool), 0);
	iommu_dma_unmap_phys(dev, a, 0x2000, DMA_FROM_DEVICE, 0);
}

Test(dma_iommu, untrusted_without_pool_or_mmio_fails)
{
	struct device *dev = mkdev("ext0", IOMMU_MODE_STRICT);

	cr_assert_eq(iommu_dma_map_phys(dev, 0x100010, 100, DMA_TO_DEVICE, 0), DMA_MAPPING_ERROR,
		     "bounce buffers inactive");
	add_pool();
	dev->dma_io_tlb_mem = pool;
	cr_assert_eq(iommu_dma_map_phys(dev, 0x100010, 100, DMA_TO_DEVICE, DMA_ATTR_MMIO),
		     DMA_MAPPING_ERROR, "MMIO is never bounced");
	cr_assert_eq(dstats(dev)->iova_allocs, 0);
	cr_assert_eq(iommu_dma_max_mapping_size(dev), 256 * 1024);
}

Test(dma_iommu, failed_map_leaves_nothing)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);
	struct iova_domain *iovad = iommu_dma_iovad(dev->domain);
	u64 nodes = iovad->stats.nodes_live;

	/* Fresh domain: the first map needs level 3, 2, 1 tables; fail the third. */
	iommu_hw_fail_pgtable_alloc(m->iommus[0], 3);
	cr_assert_eq(iommu_dma_map_phys(dev, 0x100000, 0x1000, DMA_BIDIRECTIONAL, 0),
		     DMA_MAPPING_ERROR);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
	cr_assert_eq(dstats(dev)->iova_allocs, 1);
	cr_assert_eq(dstats(dev)->iova_frees, 1, "the IOVA went back");
	cr_assert_eq(iova_rcache_cached(iovad, 0), 1, "...into the rcache");
	cr_assert_eq(iovad->stats.nodes_live, nodes + 1, "where it stays allocated until flushed");
}

Test(dma_iommu, non_coherent_syncs_are_counted)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);
	dma_addr_t a;

	dev->dma_coherent = false;
	a = iommu_dma_map_phys(dev, 0x100000, 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(m->arch_sync.calls, 1, "for_device at map");
	iommu_dma_sync_single_for_cpu(dev, a, 0x1000, DMA_BIDIRECTIONAL);
	iommu_dma_sync_single_for_device(dev, a, 0x1000, DMA_BIDIRECTIONAL);
	cr_assert_eq(m->arch_sync.calls, 3);
	iommu_dma_unmap_phys(dev, a, 0x1000, DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
	cr_assert_eq(m->arch_sync.calls, 3, "SKIP_CPU_SYNC");
	/* MMIO: no cache maintenance, MMIO prot. */
	a = iommu_dma_map_phys(dev, 0xc0000000ULL, 0x1000, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO);
	cr_assert_eq(m->arch_sync.calls, 3);
	iommu_dma_unmap_phys(dev, a, 0x1000, DMA_BIDIRECTIONAL, DMA_ATTR_MMIO);
}

Test(dma_iommu, sizes_and_prot)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);

	cr_assert_eq(iommu_dma_opt_mapping_size(), 128 * 1024);
	cr_assert_eq(iommu_dma_max_mapping_size(dev), SIZE_MAX);
	cr_assert_eq(iommu_dma_get_merge_boundary(dev), 0xfff);
	cr_assert_eq(dma_info_to_prot(DMA_BIDIRECTIONAL, true, 0),
		     IOMMU_CACHE | IOMMU_READ | IOMMU_WRITE);
	cr_assert_eq(dma_info_to_prot(DMA_TO_DEVICE, false, DMA_ATTR_PRIVILEGED),
		     IOMMU_PRIV | IOMMU_READ);
	cr_assert_eq(dma_info_to_prot(DMA_FROM_DEVICE, true, DMA_ATTR_MMIO),
		     IOMMU_MMIO | IOMMU_WRITE);
	cr_assert_eq(dma_info_to_prot(DMA_NONE, true, 0), 0);
}

/* --- scatter-gather -------------------------------------------------------- */

static void sg_set(struct scatterlist *sg, phys_addr_t phys, unsigned int len)
{
	*sg = (struct scatterlist){ .page_phys = phys & ~0xfffULL,
				    .offset = (unsigned int)(phys & 0xfff),
				    .length = len };
}

Test(dma_iommu, map_sg_merges_into_iova_runs)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);
	struct scatterlist sg[3];
	int n;

	sg_set(&sg[0], 0x100000, 0x1000);
	sg_set(&sg[1], 0x300000, 0x1000); /* not physically contiguous */
	sg_set(&sg[2], 0x500200, 0x100);  /* starts mid-granule */
	n = iommu_dma_map_sg(dev, sg, 3, DMA_BIDIRECTIONAL, 0);
	/* 3 granules -> 4 pages, aligned 4, under 4 GiB: 0xffffc000. */
	cr_assert_eq(n, 2);
	cr_assert_eq(sg[0].dma_address, 0xffffc000);
	cr_assert_eq(sg[0].dma_length, 0x2000, "segments 0 and 1 merged");
	cr_assert_eq(sg[1].dma_address, 0xffffe200);
	cr_assert_eq(sg[1].dma_length, 0x100);
	/* The caller's segments are as they were. */
	cr_assert_eq(sg[2].offset, 0x200);
	cr_assert_eq(sg[2].length, 0x100);
	cr_assert_eq(sg[2].dma_length, 0);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffd000), 0x300000);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffe2ff), 0x5002ff);
	cr_assert_eq(hwstats()->map_pages, 3);
	cr_assert_eq(hwstats()->iotlb_sync_map, 1);
	iommu_dma_unmap_sg(dev, sg, 3, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
	cr_assert_eq(hwstats()->iotlb_sync, 1, "one unmap for the whole list");
}

Test(dma_iommu, map_sg_respects_max_seg_size)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);
	struct scatterlist sg[3];

	dev->max_seg_size = 0x2000;
	sg_set(&sg[0], 0x100000, 0x1000);
	sg_set(&sg[1], 0x101000, 0x1000);
	sg_set(&sg[2], 0x102000, 0x1000);
	cr_assert_eq(iommu_dma_map_sg(dev, sg, 3, DMA_BIDIRECTIONAL, 0), 2);
	cr_assert_eq(sg[0].dma_length, 0x2000);
	cr_assert_eq(sg[1].dma_address, sg[0].dma_address + 0x2000);
	cr_assert_eq(sg[1].dma_length, 0x1000);
	iommu_dma_unmap_sg(dev, sg, 3, DMA_BIDIRECTIONAL, 0);
}

Test(dma_iommu, map_sg_failure_restores_list)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);
	struct scatterlist sg[2];

	sg_set(&sg[0], 0x100010, 0x100);
	sg_set(&sg[1], 0x300000, 0x1000);
	/* No IOVA space at all: -ENOMEM, list untouched. */
	dev->dma_mask = DMA_BIT_MASK(12);
	cr_assert_eq(iommu_dma_map_sg(dev, sg, 2, DMA_BIDIRECTIONAL, 0), -ENOMEM);
	cr_assert_eq(sg[0].offset, 0x10);
	cr_assert_eq(sg[0].length, 0x100);
	dev->dma_mask = DMA_BIT_MASK(64);
	/* A page-table allocation fails inside iommu_map_sg(). */
	iommu_hw_fail_pgtable_alloc(m->iommus[0], 2);
	cr_assert_eq(iommu_dma_map_sg(dev, sg, 2, DMA_BIDIRECTIONAL, 0), -ENOMEM,
		     "-ENOMEM from iommu_map_sg is kept");
	cr_assert_eq(sg[0].offset, 0x10);
	cr_assert_eq(sg[0].length, 0x100);
	cr_assert_eq(sg[0].dma_address, DMA_MAPPING_ERROR);
	cr_assert_eq(sg[0].dma_length, 0);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
	cr_assert_eq(dstats(dev)->iova_allocs, 1);
	cr_assert_eq(dstats(dev)->iova_frees, 1, "no IOVA left behind");
}

Test(dma_iommu, map_sg_untrusted_maps_each_segment)
{
	struct device *dev = mkdev("ext0", IOMMU_MODE_STRICT);
	struct scatterlist sg[2];

	sg_set(&sg[0], 0x100000, 0x1000);
	sg_set(&sg[1], 0x300010, 0x100);
	/* No swiotlb: the second (unaligned) segment fails, the first is undone: -EIO. */
	cr_assert_eq(iommu_dma_map_sg(dev, sg, 2, DMA_BIDIRECTIONAL, 0), -EIO);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
	add_pool();
	dev->dma_io_tlb_mem = pool;
	memset(sg, 0, sizeof(sg));
	sg_set(&sg[0], 0x100000, 0x1000);
	sg_set(&sg[1], 0x300010, 0x100);
	cr_assert_eq(iommu_dma_map_sg(dev, sg, 2, DMA_BIDIRECTIONAL, 0), 2, "no merging");
	cr_assert_eq(sg[0].dma_length, 0x1000);
	cr_assert_eq(sg[1].dma_length, 0x100);
	cr_assert(is_swiotlb_buffer(dev, iommu_iova_to_phys(dev->domain, sg[1].dma_address)));
	iommu_dma_unmap_sg(dev, sg, 2, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(swiotlb_used_slots(pool), 0);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
}

Test(dma_iommu, wrong_size_unmap_is_counted)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);
	dma_addr_t a = iommu_dma_map_phys(dev, 0x100000, 0x1000, DMA_BIDIRECTIONAL, 0);

	/* Unmapping 2 pages of a 1-page mapping: the hole stops the unmap after 4K. */
	iommu_dma_unmap_phys(dev, a, 0x2000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(dstats(dev)->unmap_size_mismatches, 1);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
	/* A second unmap finds nothing mapped: WARN and return. */
	iommu_dma_unmap_phys(dev, a, 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(dstats(dev)->unmap_not_mapped, 1);
	cr_assert_eq(dstats(dev)->iova_frees, 1);
}

Test(dma_iommu, reprobe_releases_previous_domain)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);
	u32 first_id = dev->domain->id;

	cr_assert_eq(iommu_probe_device_dma(dev, m->iommus[0], IOMMU_MODE_LAZY), 0);
	cr_assert_neq(dev->domain->id, first_id);
	cr_assert_eq(dev->domain->type, IOMMU_DOMAIN_DMA_FQ);
	cr_assert_eq(iommu_hw_stats(m->iommus[0])->domains_live, 1);
}

static enum sim_event_kind seen[64];
static unsigned int nr_seen;

static void record(void *ctx, const struct sim_event *ev)
{
	(void)ctx;
	if (nr_seen < ARRAY_SIZE(seen))
		seen[nr_seen++] = ev->kind;
}

static void expect_events(const enum sim_event_kind *want, unsigned int n)
{
	cr_assert_eq(nr_seen, n, "%u events, expected %u", nr_seen, n);
	for (unsigned int i = 0; i < n; i++)
		cr_assert_eq(seen[i], want[i], "event %u is %s, expected %s", i,
			     sim_event_kind_name(seen[i]), sim_event_kind_name(want[i]));
	nr_seen = 0;
}

Test(dma_iommu, events_strict_in_order)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);
	static const enum sim_event_kind map[] = {
		EV_IOVA_ALLOC,         EV_PGTABLE_PAGE_ALLOC, EV_PGTABLE_PAGE_ALLOC,
		EV_PGTABLE_PAGE_ALLOC, EV_IOMMU_MAP,          EV_IOTLB_SYNC,
	};
	static const enum sim_event_kind unmap[] = {
		EV_IOMMU_UNMAP, EV_IOTLB_SYNC, EV_IOTLB_INVALIDATE, EV_IOVA_FREE,
	};
	dma_addr_t a;

	nr_seen = 0;
	cr_assert_eq(event_bus_subscribe(&m->events, record, NULL), 0);
	a = iommu_dma_map_phys(dev, 0x100000, 0x1000, DMA_BIDIRECTIONAL, 0);
	expect_events(map, ARRAY_SIZE(map));
	iommu_dma_unmap_phys(dev, a, 0x1000, DMA_BIDIRECTIONAL, 0);
	expect_events(unmap, ARRAY_SIZE(unmap));
	event_bus_unsubscribe(&m->events, record, NULL);
}

Test(dma_iommu, events_lazy_in_order)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_LAZY);
	static const enum sim_event_kind unmap[] = { EV_IOMMU_UNMAP, EV_IOVA_QUEUED };
	static const enum sim_event_kind timer[] = { EV_IOTLB_INVALIDATE, EV_FQ_FLUSH,
						     EV_IOVA_FREE };
	dma_addr_t a = iommu_dma_map_phys(dev, 0x100000, 0x1000, DMA_BIDIRECTIONAL, 0);

	nr_seen = 0;
	cr_assert_eq(event_bus_subscribe(&m->events, record, NULL), 0);
	iommu_dma_unmap_phys(dev, a, 0x1000, DMA_BIDIRECTIONAL, 0);
	expect_events(unmap, ARRAY_SIZE(unmap));
	m->now_ns = 10 * MS;
	iommu_dma_run_timers(m);
	expect_events(timer, ARRAY_SIZE(timer));
	event_bus_unsubscribe(&m->events, record, NULL);
}

Test(dma_iommu, degenerate_sizes)
{
	struct device *dev = mkdev("nvme0", IOMMU_MODE_STRICT);
	dma_addr_t a;

	/*
	 * Size 0 at an aligned address: the IOVA is allocated, then the 7.0
	 * iommupt map refuses the 0-length iommu_map() and it goes back.
	 */
	a = iommu_dma_map_phys(dev, 0x100000, 0, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(a, DMA_MAPPING_ERROR);
	cr_assert_eq(hwstats()->ptes_set, 0);
	cr_assert_eq(iommu_dma_map_sg(dev, NULL, 0, DMA_BIDIRECTIONAL, 0), 0);
	iommu_dma_unmap_sg(dev, NULL, 0, DMA_BIDIRECTIONAL, 0);
	cr_assert_null(alloc_iova(iommu_dma_iovad(dev->domain), 0, 0xfffff, true));
}
