// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_dma_iommu_iova.c - the two-step IOVA API of dma-iommu.c
 * (dma_iova_try_alloc / link / sync / unlink / destroy / free; reference/
 * dma-iommu.md §3.5) on the standard test machine: reservation layout,
 * links without IOTLB syncs, the explicit sync, unlink syncing at once even
 * in lazy mode, destroy queueing in lazy mode, the size-class quirk of
 * destroy, the swiotlb head/middle/tail split for untrusted devices, and
 * failures that leave nothing behind.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers/iova_suite.h"

TestSuite(dma_iova, .init = iova_suite_setup, .fini = iova_suite_teardown);

Test(dma_iova, try_alloc_layout_and_refusals)
{
	struct device *dev = iova_mkdev("nvme0", IOMMU_MODE_STRICT);
	struct device *nic = iova_mkdev("nic0", IOMMU_MODE_STRICT); /* no IOMMU: dma-direct */
	struct dma_iova_state state = { .addr = 1, .__size = 1 };

	cr_assert_not(dma_iova_try_alloc(nic, &state, 0, 0x1000));
	cr_assert_not(dma_use_iova(&state), "zeroed first");
	cr_assert_not(dma_iova_try_alloc(dev, &state, 0, 0), "size 0");
	cr_assert_not(dma_iova_try_alloc(dev, &state, 0, DMA_IOVA_USE_SWIOTLB | 0x1000));
	/* 0x2000 bytes at in-granule offset 0x200: 3 granules -> 4 pages, aligned 4. */
	cr_assert(dma_iova_try_alloc(dev, &state, 0x100200, 0x2000));
	cr_assert_eq(state.addr, 0xffffc200);
	cr_assert_eq(dma_iova_size(&state), 0x2000);
	cr_assert(dma_use_iova(&state));
	cr_assert_eq(hwstats()->ptes_set, 0, "nothing mapped yet");
	dma_iova_free(dev, &state);
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_frees, 1);
}

Test(dma_iova, link_sync_unlink_destroy_strict)
{
	struct device *dev = iova_mkdev("nvme0", IOMMU_MODE_STRICT);
	struct dma_iova_state state;

	cr_assert(dma_iova_try_alloc(dev, &state, 0, 0x3000));
	cr_assert_eq(state.addr, 0xffffc000);
	/* Three separate pages, linked at consecutive offsets: no sync yet. */
	cr_assert_eq(dma_iova_link(dev, &state, 0x500000, 0, 0x1000, DMA_TO_DEVICE, 0), 0);
	cr_assert_eq(dma_iova_link(dev, &state, 0x300000, 0x1000, 0x1000, DMA_TO_DEVICE, 0), 0);
	cr_assert_eq(dma_iova_link(dev, &state, 0x700000, 0x2000, 0x1000, DMA_TO_DEVICE, 0), 0);
	cr_assert_eq(hwstats()->iotlb_sync_map, 0);
	cr_assert_eq(dma_iova_sync(dev, &state, 0, 0x3000), 0);
	cr_assert_eq(hwstats()->iotlb_sync_map, 1, "one sync for all the links");
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffd234), 0x300234);
	/* Only the first link may start mid-granule. */
	cr_assert_eq(dma_iova_link(dev, &state, 0x900010, 0x1000, 0x100, DMA_TO_DEVICE, 0), -EIO);
	/* Unlink the middle: unmapped and synced, IOVA kept. */
	dma_iova_unlink(dev, &state, 0x1000, 0x1000, DMA_TO_DEVICE, 0);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffd000), 0);
	cr_assert_eq(hwstats()->iotlb_sync, 1);
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_frees, 0);
	/* Relink and destroy the lot: one unmap, one sync, the IOVA freed. */
	cr_assert_eq(dma_iova_link(dev, &state, 0x300000, 0x1000, 0x1000, DMA_TO_DEVICE, 0), 0);
	dma_iova_destroy(dev, &state, 0x3000, DMA_TO_DEVICE, 0);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
	cr_assert_eq(hwstats()->iotlb_sync, 2);
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_frees, 1);
}

Test(dma_iova, lazy_unlink_syncs_destroy_queues)
{
	struct device *dev = iova_mkdev("nvme0", IOMMU_MODE_LAZY);
	struct dma_iova_state state;

	cr_assert(dma_iova_try_alloc(dev, &state, 0, 0x2000));
	cr_assert_eq(dma_iova_link(dev, &state, 0x500000, 0, 0x2000, DMA_BIDIRECTIONAL, 0), 0);
	dma_iova_unlink(dev, &state, 0x1000, 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(hwstats()->iotlb_sync, 1, "unlink syncs at once, even in lazy mode");
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 0);
	dma_iova_destroy(dev, &state, 0x1000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(hwstats()->iotlb_sync, 1, "destroy defers to the flush queue");
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 1);
}

Test(dma_iova, destroy_size_class_quirk)
{
	struct device *dev = iova_mkdev("nvme0", IOMMU_MODE_STRICT);
	struct iova_domain *iovad = iommu_dma_iovad(dev->domain);
	struct dma_iova_state state;
	unsigned long pfn;

	/* 8 pages reserved (class 3), only 3 linked and destroyed (class 2). */
	cr_assert(dma_iova_try_alloc(dev, &state, 0, 0x8000));
	pfn = state.addr >> 12;
	cr_assert_eq(pfn, 0xffff8);
	cr_assert_eq(dma_iova_link(dev, &state, 0x500000, 0, 0x3000, DMA_BIDIRECTIONAL, 0), 0);
	dma_iova_destroy(dev, &state, 0x3000, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(iova_rcache_cached(iovad, 2), 1, "cached in the class of 3 pages");
	cr_assert_eq(iova_rcache_cached(iovad, 3), 0);
	cr_assert_eq(find_iova(iovad, pfn + 7)->pfn_lo, pfn, "all 8 pages still allocated");
}

Test(dma_iova, failed_first_link_then_destroy_zero)
{
	struct device *dev = iova_mkdev("nvme0", IOMMU_MODE_STRICT);
	struct dma_iova_state state;

	cr_assert(dma_iova_try_alloc(dev, &state, 0, 0x2000));
	iommu_hw_fail_pgtable_alloc(m->iommus[0], 1);
	cr_assert_eq(dma_iova_link(dev, &state, 0x500000, 0, 0x2000, DMA_BIDIRECTIONAL, 0),
		     -ENOMEM);
	cr_assert_eq(hwstats()->leaves_live[0], 0);
	dma_iova_destroy(dev, &state, 0, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_allocs, 1);
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_frees, 1, "the whole reservation freed");
}

static struct device *untrusted_with_pool(unsigned int min_align_mask)
{
	struct device *dev = iova_mkdev("ext0", IOMMU_MODE_STRICT);

	pool = swiotlb_mem_new(m, 0x1000000, 1 << 20, 1, false);
	cr_assert_not_null(pool);
	dev->dma_io_tlb_mem = pool;
	dev->min_align_mask = min_align_mask;
	return dev;
}

Test(dma_iova, untrusted_head_middle_tail_bounce)
{
	/* NVMe-like min_align_mask 0xfff: swiotlb keeps the offset, so the head links. */
	struct device *dev = untrusted_with_pool(0xfff);
	struct dma_iova_state state;
	phys_addr_t head, tail;
	u8 pattern[0x2000], back[0x2000];

	memset(pattern, 0x3c, sizeof(pattern));
	cr_assert_eq(phys_mem_write(m->mem, 0x100100, pattern, sizeof(pattern)), 0);
	cr_assert(dma_iova_try_alloc(dev, &state, 0x100100, 0x2000));
	cr_assert_eq(state.addr, 0xffffc100);
	/* head 0xf00 bytes bounced, middle 0x1000 direct, tail 0x100 bounced */
	cr_assert_eq(dma_iova_link(dev, &state, 0x100100, 0, 0x2000, DMA_TO_DEVICE, 0), 0);
	cr_assert(state.__size & DMA_IOVA_USE_SWIOTLB);
	cr_assert_eq(dma_iova_size(&state), 0x2000);
	head = iommu_iova_to_phys(dev->domain, 0xffffc100);
	tail = iommu_iova_to_phys(dev->domain, 0xffffe000);
	cr_assert(is_swiotlb_buffer(dev, head));
	cr_assert_eq(head & 0xfff, 0x100, "offset kept by min_align_mask");
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffd000), 0x101000, "middle direct");
	cr_assert(is_swiotlb_buffer(dev, tail));
	cr_assert_eq(phys_mem_read(m->mem, head, back, 0xf00), 0);
	cr_assert_eq(memcmp(back, pattern, 0xf00), 0, "head bounced");
	cr_assert_eq(phys_mem_read(m->mem, tail, back, 0x100), 0);
	cr_assert_eq(memcmp(back, pattern, 0x100), 0, "tail bounced");
	cr_assert_gt(swiotlb_used_slots(pool), 0);
	dma_iova_destroy(dev, &state, 0x2000, DMA_TO_DEVICE, 0);
	cr_assert_eq(swiotlb_used_slots(pool), 0, "bounce slots released");
	cr_assert_eq(hwstats()->leaves_live[0], 0);
}

Test(dma_iova, untrusted_head_without_min_align_fails_cleanly)
{
	/* min_align_mask 0: the bounce slot starts on a granule, bounce - pad is unaligned. */
	struct device *dev = untrusted_with_pool(0);
	struct dma_iova_state state;

	cr_assert(dma_iova_try_alloc(dev, &state, 0x100100, 0x2000));
	cr_assert_eq(dma_iova_link(dev, &state, 0x100100, 0, 0x2000, DMA_TO_DEVICE, 0), -EINVAL);
	cr_assert_eq(swiotlb_used_slots(pool), 0, "the bounce was undone");
	cr_assert_eq(hwstats()->leaves_live[0], 0);
	/* MMIO is never bounced: -EPERM. */
	cr_assert_eq(dma_iova_link(dev, &state, 0x100100, 0, 0x2000, DMA_TO_DEVICE, DMA_ATTR_MMIO),
		     -EPERM);
	dma_iova_destroy(dev, &state, 0, DMA_TO_DEVICE, 0);
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_frees, 1);
}

Test(dma_iova, aligned_link_of_untrusted_is_direct)
{
	struct device *dev = untrusted_with_pool(0);
	struct dma_iova_state state;

	cr_assert(dma_iova_try_alloc(dev, &state, 0, 0x2000));
	cr_assert_eq(dma_iova_link(dev, &state, 0x200000, 0, 0x2000, DMA_FROM_DEVICE, 0), 0);
	cr_assert_not(state.__size & DMA_IOVA_USE_SWIOTLB);
	cr_assert_eq(swiotlb_used_slots(pool), 0);
	dma_iova_destroy(dev, &state, 0x2000, DMA_FROM_DEVICE, 0);
}
