// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_dma_iova.c - rules of the two-step IOVA API (reference/dma-iommu.md
 * §3.5) that tests/src/test_dma_iommu_iova.c does not already cover:
 *   - the swiotlb path with an EMPTY middle (6ec91df8aff7: skipped, no
 *     0-length map) and a tail-only bounce, for min_align_mask 4095 and 0;
 *   - 6ec91df8aff7's unwind from the failing link's own offset, which
 *     leaves an earlier link intact;
 *   - REQUIRE_COHERENT: -EPERM with swiotlb, -EOPNOTSUPP on a non-coherent
 *     device or once the state is USE_SWIOTLB;
 *   - try_alloc refusing identity domains and allocation failure;
 *   - no bound check on link (a link past the reservation maps foreign
 *     IOVA), unlink of a never-linked range (a WARN, counted), the sync's
 *     granule rounding;
 *   - destroy of more than 32 pages: no rcache, the whole node is freed;
 *   - what the IOMMU model does when the device uses a link before
 *     dma_iova_sync (it translates: see docs/two-step.md).
 * Layouts are derived by hand: IOVA allocation is top-down below 4 GiB,
 * sizes below 32 pages rounded to a power of two and size-aligned.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers/iova_suite.h"

TestSuite(dma_iova_rules, .init = iova_suite_setup, .fini = iova_suite_teardown);

static struct device *untrusted(unsigned int min_align_mask)
{
	struct device *dev = iova_mkdev("ext0", IOMMU_MODE_STRICT);

	pool = swiotlb_mem_new(m, 0x1000000, 1 << 20, 1, false);
	cr_assert_not_null(pool);
	dev->dma_io_tlb_mem = pool;
	dev->min_align_mask = min_align_mask;
	return dev;
}

static void empty_middle(unsigned int min_align_mask)
{
	struct device *dev = untrusted(min_align_mask);
	struct dma_iova_state s;
	phys_addr_t tail;

	/* 0x1000 bytes at in-granule offset 0x800: 0x1800 -> 2 granules. */
	cr_assert(dma_iova_try_alloc(dev, &s, 0x100800, 0x1000));
	cr_assert_eq(s.addr, 0xffffe800);
	if (!min_align_mask) {
		/* The head's bounce slot starts on a granule: bounce - 0x800 is unaligned. */
		cr_assert_eq(dma_iova_link(dev, &s, 0x100800, 0, 0x1000, DMA_TO_DEVICE, 0),
			     -EINVAL);
		cr_assert_eq(swiotlb_used_slots(pool), 0);
		cr_assert_eq(hwstats()->leaves_live[0], 0);
		dma_iova_destroy(dev, &s, 0, DMA_TO_DEVICE, 0);
		return;
	}
	/* head 0x800 bounced, middle 0x1000 - 0x800 - 0x800 = 0: skipped, tail 0x800 bounced */
	cr_assert_eq(dma_iova_link(dev, &s, 0x100800, 0, 0x1000, DMA_TO_DEVICE, 0), 0);
	cr_assert_eq(hwstats()->map_pages, 2, "two links, no zero-length map for the middle");
	cr_assert_eq(hwstats()->leaves_live[0], 2);
	cr_assert(is_swiotlb_buffer(dev, iommu_iova_to_phys(dev->domain, 0xffffe800)));
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffe800) & 0xfff, 0x800);
	tail = iommu_iova_to_phys(dev->domain, 0xfffff000);
	cr_assert(is_swiotlb_buffer(dev, tail));
	cr_assert_eq(tail & 0xfff, 0, "the tail starts on a granule");
	cr_assert(s.__size & DMA_IOVA_USE_SWIOTLB);
	dma_iova_destroy(dev, &s, 0x1000, DMA_TO_DEVICE, 0);
	cr_assert_eq(swiotlb_used_slots(pool), 0);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
}

Test(dma_iova_rules, empty_middle_skipped_min_align_4095)
{
	empty_middle(0xfff);
}

Test(dma_iova_rules, empty_middle_without_min_align_mask)
{
	empty_middle(0);
}

static void tail_only(unsigned int min_align_mask)
{
	struct device *dev = untrusted(min_align_mask);
	struct dma_iova_state s;
	phys_addr_t tail;

	cr_assert(dma_iova_try_alloc(dev, &s, 0, 0x2000));
	cr_assert_eq(s.addr, 0xffffe000);
	/* aligned start: no head; middle 0x1000 direct; tail 0x800 bounced */
	cr_assert_eq(dma_iova_link(dev, &s, 0x200000, 0, 0x1800, DMA_TO_DEVICE, 0), 0);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffe000), 0x200000);
	tail = iommu_iova_to_phys(dev->domain, 0xfffff000);
	cr_assert(is_swiotlb_buffer(dev, tail));
	cr_assert_eq(tail & 0xfff, 0,
		     "alloc_align_mask = granule: aligned with any min_align_mask");
	cr_assert(s.__size & DMA_IOVA_USE_SWIOTLB);
	dma_iova_destroy(dev, &s, 0x1800, DMA_TO_DEVICE, 0);
	cr_assert_eq(swiotlb_used_slots(pool), 0);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
}

Test(dma_iova_rules, tail_only_bounce_min_align_4095)
{
	tail_only(0xfff);
}

Test(dma_iova_rules, tail_only_bounce_without_min_align_mask)
{
	tail_only(0);
}

Test(dma_iova_rules, failed_tail_unwinds_only_its_own_link)
{
	struct device *dev = untrusted(0xfff);
	phys_addr_t fill[600];
	unsigned int nr_fill = 0;
	struct dma_iova_state s;

	cr_assert(dma_iova_try_alloc(dev, &s, 0, 0x4000));
	cr_assert_eq(s.addr, 0xffffc000);
	cr_assert_eq(dma_iova_link(dev, &s, 0x200000, 0, 0x2000, DMA_TO_DEVICE, 0), 0);
	/* Fill the bounce pool so that the next bounce fails. */
	while (nr_fill < 600) {
		phys_addr_t b = swiotlb_tbl_map_single(dev, 0x400000, 0x800, 0, DMA_TO_DEVICE, 0);

		if (b == (phys_addr_t)DMA_MAPPING_ERROR)
			break;
		fill[nr_fill++] = b;
	}
	/* min_align_mask 0xfff keeps offset 0: only the 256 slots on a 4 KiB boundary fit */
	cr_assert_eq(nr_fill, 256, "got %u", nr_fill);
	/* Second link at 0x2000: middle 0x1000 linked, tail bounce fails. */
	cr_assert_eq(dma_iova_link(dev, &s, 0x300000, 0x2000, 0x1800, DMA_TO_DEVICE, 0), -ENOMEM);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffe000), 0, "its middle was undone");
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffc000), 0x200000,
		     "the first link survives (the pre-fix code unwound from offset 0)");
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffd000), 0x201000);
	for (unsigned int i = 0; i < nr_fill; i++)
		swiotlb_tbl_unmap_single(dev, fill[i], 0x800, DMA_TO_DEVICE, 0);
	dma_iova_destroy(dev, &s, 0x2000, DMA_TO_DEVICE, 0);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
}

Test(dma_iova_rules, require_coherent)
{
	struct device *dev = untrusted(0xfff);
	struct device *nvme = iova_mkdev("nvme0", IOMMU_MODE_STRICT);
	struct dma_iova_state s, t;

	cr_assert(dma_iova_try_alloc(dev, &s, 0x100800, 0x3000));
	/* Would need swiotlb, which REQUIRE_COHERENT forbids. */
	cr_assert_eq(dma_iova_link(dev, &s, 0x100800, 0, 0x3000, DMA_TO_DEVICE,
				   DMA_ATTR_REQUIRE_COHERENT),
		     -EPERM);
	/* Once part of the state is bounced, REQUIRE_COHERENT is refused outright. */
	cr_assert_eq(dma_iova_link(dev, &s, 0x100800, 0, 0x1800, DMA_TO_DEVICE, 0), 0);
	cr_assert(s.__size & DMA_IOVA_USE_SWIOTLB);
	cr_assert_eq(dma_iova_link(dev, &s, 0x500000, 0x2000, 0x1000, DMA_TO_DEVICE,
				   DMA_ATTR_REQUIRE_COHERENT),
		     -EOPNOTSUPP);
	dma_iova_destroy(dev, &s, 0x1800, DMA_TO_DEVICE, 0);

	nvme->dma_coherent = false;
	cr_assert(dma_iova_try_alloc(nvme, &t, 0, 0x1000));
	cr_assert_eq(dma_iova_link(nvme, &t, 0x500000, 0, 0x1000, DMA_TO_DEVICE,
				   DMA_ATTR_REQUIRE_COHERENT),
		     -EOPNOTSUPP);
	dma_iova_free(nvme, &t);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
}

Test(dma_iova_rules, try_alloc_refusals)
{
	struct device *pt = iova_mkdev("nvme0", IOMMU_MODE_PASSTHROUGH);
	struct device *dev = iova_mkdev("gpu0", IOMMU_MODE_STRICT);
	struct dma_iova_state s = { .addr = 5, .__size = 5 };

	cr_assert_not(dma_iova_try_alloc(pt, &s, 0, 0x1000), "identity domain: dma-direct");
	cr_assert_eq(s.addr, 0);
	cr_assert_eq(s.__size, 0);
	dev->dma_mask = DMA_BIT_MASK(32);
	cr_assert_not(dma_iova_try_alloc(dev, &s, 0, 0x100000000ULL), "4 GiB under a 32-bit mask");
	cr_assert_not(dma_use_iova(&s));
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_alloc_fails, 1);
}

Test(dma_iova_rules, link_is_not_bounded_by_the_reservation)
{
	struct device *dev = iova_mkdev("nvme0", IOMMU_MODE_STRICT);
	struct dma_iova_state s;

	cr_assert(dma_iova_try_alloc(dev, &s, 0, 0x1000));
	cr_assert_eq(s.addr, 0xfffff000);
	/* offset == size: upstream does not check; it maps IOVA 0x100000000, not ours. */
	cr_assert_eq(dma_iova_link(dev, &s, 0x500000, 0x1000, 0x1000, DMA_TO_DEVICE, 0), 0);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0x100000000ULL), 0x500000);
	dma_iova_unlink(dev, &s, 0x1000, 0x1000, DMA_TO_DEVICE, 0);
	dma_iova_free(dev, &s);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
}

Test(dma_iova_rules, unlink_of_never_linked_range)
{
	struct device *dev = iova_mkdev("nvme0", IOMMU_MODE_STRICT);
	struct dma_iova_state s;

	cr_assert(dma_iova_try_alloc(dev, &s, 0, 0x2000));
	cr_assert_eq(dma_iova_link(dev, &s, 0x500000, 0, 0x1000, DMA_TO_DEVICE, 0), 0);
	dma_iova_unlink(dev, &s, 0x1000, 0x1000, DMA_TO_DEVICE, 0);
	cr_assert_eq(iommu_dma_stats(dev->domain)->unmap_size_mismatches, 1, "the WARN_ON");
	cr_assert_eq(hwstats()->iotlb_sync, 1, "synced anyway");
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffe000), 0x500000, "the other is intact");
	dma_iova_destroy(dev, &s, 0x1000, DMA_TO_DEVICE, 0);
}

static u64 sync_addr, sync_len;

static void on_sync(void *ctx, const struct sim_event *ev)
{
	if (ev->kind == EV_IOTLB_SYNC) {
		sync_addr = ev->addr;
		sync_len = ev->len;
	}
}

Test(dma_iova_rules, sync_rounds_to_granules)
{
	struct device *dev = iova_mkdev("nvme0", IOMMU_MODE_STRICT);
	struct dma_iova_state s;

	cr_assert_eq(event_bus_subscribe(&m->events, on_sync, NULL), 0);
	cr_assert(dma_iova_try_alloc(dev, &s, 0, 0x4000));
	cr_assert_eq(dma_iova_link(dev, &s, 0x600000, 0, 0x4000, DMA_BIDIRECTIONAL, 0), 0);
	/* a = 0xffffd234, pad 0x234: iotlb_sync_map(0xffffd000, align(0x244) = 0x1000) */
	cr_assert_eq(dma_iova_sync(dev, &s, 0x1234, 0x10), 0);
	cr_assert_eq(sync_addr, 0xffffd000);
	cr_assert_eq(sync_len, 0x1000);
	/* [0xfff, 0x1001): two granules */
	cr_assert_eq(dma_iova_sync(dev, &s, 0xfff, 2), 0);
	cr_assert_eq(sync_addr, 0xffffc000);
	cr_assert_eq(sync_len, 0x2000);
	dma_iova_destroy(dev, &s, 0x4000, DMA_BIDIRECTIONAL, 0);
	event_bus_unsubscribe(&m->events, on_sync, NULL);
}

Test(dma_iova_rules, destroy_above_the_rcache_frees_the_whole_node)
{
	struct device *dev = iova_mkdev("nvme0", IOMMU_MODE_STRICT);
	struct iova_domain *iovad = iommu_dma_iovad(dev->domain);
	struct dma_iova_state s;

	/* 64 pages reserved (size-aligned: pfn 0xfffc0), 40 linked, destroy(40 pages). */
	cr_assert(dma_iova_try_alloc(dev, &s, 0, 0x40000));
	cr_assert_eq(s.addr, 0xfffc0000);
	cr_assert_eq(dma_iova_link(dev, &s, 0x800000, 0, 40 * 0x1000, DMA_TO_DEVICE, 0), 0);
	dma_iova_destroy(dev, &s, 40 * 0x1000, DMA_TO_DEVICE, 0);
	/* 40 > 32 pages: free_iova() by pfn removes the whole 64-page node. */
	cr_assert_null(find_iova(iovad, 0xfffc0 + 63));
	for (unsigned int c = 0; c < 6; c++)
		cr_assert_eq(iova_rcache_cached(iovad, c), 0);
}

Test(dma_iova_rules, device_sees_a_link_before_the_sync)
{
	struct device *dev = iova_mkdev("nvme0", IOMMU_MODE_STRICT);
	struct dma_iova_state s;
	phys_addr_t phys = 0;

	cr_assert(dma_iova_try_alloc(dev, &s, 0, 0x1000));
	cr_assert_eq(dma_iova_link(dev, &s, 0x700000, 0, 0x1000, DMA_FROM_DEVICE, 0), 0);
	cr_assert_eq(hwstats()->iotlb_sync_map, 0);
	/*
	 * The model writes the PTE at link time and never caches a miss, so a
	 * walk finds it: the missing sync is invisible to the hardware model
	 * (it matters on caching-mode virtual IOMMUs); only a checker sees it.
	 */
	cr_assert_eq(iommu_hw_translate(m->iommus[0], dev->domain, dev->pdev, s.addr + 0x10, true,
					&phys),
		     0);
	cr_assert_eq(phys, 0x700010);
	dma_iova_destroy(dev, &s, 0x1000, DMA_FROM_DEVICE, 0);
}
