// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_blk_dma.c - the block-layer request mapper of src/block/blk-mq-dma.c
 * (reference/dma-iommu.md §7, block-layer notes) on topologies/default.xml
 * with client nvme0: one IOVA + one sync for a whole request, the per-
 * segment fall-back when an interior boundary is inside a granule or there
 * is no IOMMU, bus addresses for switch-local P2P, MMIO for host-bridge
 * P2P, lazy destroy, and the upstream quirk that a failed link is hidden by
 * the sync's status.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers/twostep_world.h"
#include "models/iommu/iommu_hw.h"
#include "src/block/blk-mq-dma.h"
#include "src/dma/mapping.h"

#define RAM 0x200000000ULL

static struct tsw t;

static void fini(void)
{
	tsw_fini(&t);
}

static void init_strict(void)
{
	tsw_init(&t, P2PSIM_IOMMU_MODE_STRICT);
}

static void init_lazy(void)
{
	tsw_init(&t, P2PSIM_IOMMU_MODE_LAZY);
}

static void init_off(void)
{
	tsw_init(&t, P2PSIM_IOMMU_MODE_OFF);
}

TestSuite(blk_dma, .init = init_strict, .fini = fini);
TestSuite(blk_dma_lazy, .init = init_lazy, .fini = fini);
TestSuite(blk_dma_direct, .init = init_off, .fini = fini);

static const struct blk_dma_vec three[] = {
	{ RAM + 0x10000, 0x2000 },
	{ RAM + 0x40000, 0x1000 },
	{ RAM + 0x80000, 0x3000 },
};

Test(blk_dma, whole_request_one_iova_one_sync)
{
	struct device *dev = tsw_dev(&t, "nvme0");
	struct blk_dma_req req = { three, 3, DMA_TO_DEVICE };
	struct blk_dma_mapping map;
	struct blk_dma_seg segs[3];

	cr_assert_eq(blk_rq_dma_map_all(&req, dev, &map, segs), 0);
	cr_assert_eq(map.nr_segs, 1, "one DMA segment for the whole request");
	/* 6 pages rounded to 8 for the size-aligned allocation, top-down below 4 GiB */
	cr_assert_eq(segs[0].addr, 0xffff8000ULL);
	cr_assert_eq(segs[0].len, 0x6000);
	cr_assert_eq(map.mapped_len, 0x6000);
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_allocs, 1);
	cr_assert_eq(tsw_hw(&t)->iotlb_sync_map, 1, "one sync for three links");
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffff8000), RAM + 0x10000);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffa000), RAM + 0x40000);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffb000), RAM + 0x80000);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffffdfff), RAM + 0x82fff);
	cr_assert_eq(tsw_hw(&t)->leaves_live[0], 6);

	blk_rq_dma_unmap_all(&req, dev, &map, segs);
	cr_assert_eq(tsw_hw(&t)->leaves_live[0], 0);
	cr_assert_eq(tsw_hw(&t)->iotlb_sync, 1, "destroy: one unmap, one sync");
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_frees, 1);
	cr_assert_eq(t.w->m->events.counts[EV_DMA_MAP], 0, "no dma_map_phys at all");
}

Test(blk_dma_lazy, destroy_goes_to_the_flush_queue)
{
	struct device *dev = tsw_dev(&t, "nvme0");
	struct blk_dma_req req = { three, 3, DMA_FROM_DEVICE };
	struct blk_dma_mapping map;
	struct blk_dma_seg segs[3];

	cr_assert_eq(blk_rq_dma_map_all(&req, dev, &map, segs), 0);
	blk_rq_dma_unmap_all(&req, dev, &map, segs);
	cr_assert_eq(tsw_hw(&t)->iotlb_sync, 0);
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 1);
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_queued, 1);
}

Test(blk_dma, interior_boundary_inside_a_granule_maps_per_segment)
{
	struct device *dev = tsw_dev(&t, "nvme0");
	/* The first segment ends at 0x800: the two cannot sit back to back in IOVA space. */
	const struct blk_dma_vec v[] = { { RAM, 0x800 }, { RAM + 0x10000, 0x1000 } };
	struct blk_dma_req req = { v, 2, DMA_TO_DEVICE };
	struct blk_dma_mapping map;
	struct blk_dma_seg segs[2];

	cr_assert_eq(blk_rq_dma_map_all(&req, dev, &map, segs), 0);
	cr_assert_not(dma_use_iova(&map.state));
	cr_assert_eq(map.nr_segs, 2);
	cr_assert_eq(segs[0].addr, 0xfffff000ULL);
	cr_assert_eq(segs[0].len, 0x800);
	cr_assert_eq(segs[1].addr, 0xffffe000ULL);
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_allocs, 2);
	cr_assert_eq(t.w->m->events.counts[EV_DMA_MAP], 2);
	blk_rq_dma_unmap_all(&req, dev, &map, segs);
	cr_assert_eq(t.w->m->events.counts[EV_DMA_UNMAP], 2, "need_unmap: the caller unmaps each");
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_frees, 2);
	cr_assert_eq(tsw_hw(&t)->leaves_live[0], 0);
}

Test(blk_dma, switch_p2p_gets_bus_addresses)
{
	struct device *dev = tsw_dev(&t, "nvme0");
	phys_addr_t bar = tsw_bar(&t, "gpu0", 1);
	u64 bus = tsw_bar_bus(&t, "gpu0", 1);
	const struct blk_dma_vec v[] = { { bar + 0x1000, 0x1000 }, { bar + 0x8000, 0x2000 } };
	struct blk_dma_req req = { v, 2, DMA_FROM_DEVICE };
	struct blk_dma_mapping map;
	struct blk_dma_seg segs[2];

	cr_assert_eq(blk_rq_dma_map_all(&req, dev, &map, segs), 0);
	cr_assert_eq(map.map_type, PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(map.nr_segs, 2);
	cr_assert_eq(segs[0].addr, bus + 0x1000);
	cr_assert_eq(segs[1].addr, bus + 0x8000);
	cr_assert_eq(segs[1].len, 0x2000);
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_allocs, 0, "no IOVA");
	cr_assert_eq(t.w->p2pdma.nr_map_type_lookups, 1, "one lookup per request");
	blk_rq_dma_unmap_all(&req, dev, &map, segs);
	cr_assert_eq(t.w->m->events.counts[EV_DMA_UNMAP], 0);
}

static int last_prot = -1;

static void on_map(void *ctx, const struct sim_event *ev)
{
	if (ev->kind == EV_IOMMU_MAP)
		last_prot = (int)ev->flags;
}

Test(blk_dma, host_bridge_p2p_is_an_mmio_iova)
{
	struct device *dev = tsw_dev(&t, "nvme0");
	phys_addr_t bar = tsw_bar(&t, "gpu1", 1);
	const struct blk_dma_vec v[] = { { bar, 0x1000 }, { bar + 0x4000, 0x1000 } };
	struct blk_dma_req req = { v, 2, DMA_TO_DEVICE };
	struct blk_dma_mapping map;
	struct blk_dma_seg segs[2];

	cr_assert_eq(event_bus_subscribe(&t.w->m->events, on_map, NULL), 0);
	cr_assert_eq(blk_rq_dma_map_all(&req, dev, &map, segs), 0);
	cr_assert_eq(map.map_type, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(map.nr_segs, 1);
	cr_assert_eq(segs[0].addr, 0xffffe000ULL);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xfffff000), bar + 0x4000);
	cr_assert(last_prot & IOMMU_MMIO, "DMA_ATTR_MMIO became IOMMU_MMIO");
	blk_rq_dma_unmap_all(&req, dev, &map, segs);
	cr_assert_eq(tsw_hw(&t)->leaves_live[0], 0);
	event_bus_unsubscribe(&t.w->m->events, on_map, NULL);
}

Test(blk_dma, failed_link_is_hidden_by_the_sync_status)
{
	struct device *dev = tsw_dev(&t, "nvme0");
	struct blk_dma_req req = { three, 3, DMA_TO_DEVICE };
	struct blk_dma_mapping map;
	struct blk_dma_seg segs[3];

	/* The first link needs page-table pages; the very next allocation fails. */
	iommu_hw_fail_pgtable_alloc(t.w->m->iommus[0], 1);
	cr_assert_eq(blk_rq_dma_map_all(&req, dev, &map, segs), 0,
		     "upstream as written: the link's -ENOMEM is overwritten by sync's 0");
	cr_assert_eq(map.nr_segs, 1);
	cr_assert_eq(segs[0].len, 0x6000, "the device is handed the whole range...");
	cr_assert_eq(iommu_iova_to_phys(dev->domain, segs[0].addr), 0, "...with nothing mapped");
	blk_rq_dma_unmap_all(&req, dev, &map, segs);
	cr_assert_eq(iommu_dma_stats(dev->domain)->unmap_size_mismatches, 1,
		     "destroy unmapped nothing of what it was told");
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_frees, 1);
}

Test(blk_dma_direct, no_iommu_maps_each_segment_and_needs_no_unmap)
{
	struct device *dev = tsw_dev(&t, "nvme0");
	struct blk_dma_req req = { three, 3, DMA_TO_DEVICE };
	struct blk_dma_mapping map;
	struct blk_dma_seg segs[3];

	cr_assert_eq(blk_rq_dma_map_all(&req, dev, &map, segs), 0);
	cr_assert_eq(map.nr_segs, 3);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(segs[i].addr, three[i].paddr);
		cr_assert_eq(segs[i].len, three[i].len);
	}
	cr_assert(blk_rq_dma_unmap(&req, dev, &map.state, map.mapped_len, map.map_type),
		  "coherent dma-direct: nothing to unmap");
}

Test(blk_dma, status_errno_round_trip)
{
	const int errs[] = { 0, -EOPNOTSUPP, -EREMOTEIO, -ENOMEM, -EINVAL, -EIO };

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		cr_assert_eq(blk_status_to_errno(errno_to_blk_status(errs[i])), errs[i]);
	cr_assert_eq(errno_to_blk_status(-EFAULT), BLK_STS_IOERR);
}
