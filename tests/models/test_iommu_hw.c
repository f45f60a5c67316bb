// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_iommu_hw.c - the IOMMU hardware model (models/iommu): device-side
 * translation through the IOTLB and the page table, LRU replacement,
 * domain tagging, range and whole-domain invalidation, stale entries that
 * survive a page-table change until invalidated, the fault log, and
 * page-table page accounting.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers/iommu_fixture.h"
#include "src/iommu/iommu.h"

static struct iommu_fixture fx;

static void teardown(void)
{
	iommu_fixture_fini(&fx);
}

static void setup_small(void)
{
	/* 4 entries, 2 ways: 2 sets. */
	iommu_fixture_init(&fx, IOMMU_TYPE_INTEL_VTD, 4, 2);
}

static void setup_big(void)
{
	iommu_fixture_init(&fx, IOMMU_TYPE_INTEL_VTD, 64, 4);
}

#define RW (IOMMU_READ | IOMMU_WRITE)

static phys_addr_t xlate(struct iommu_domain *d, dma_addr_t iova, bool write, int *ret)
{
	phys_addr_t phys = 0;

	*ret = iommu_hw_translate(fx.hw, d, NULL, iova, write, &phys);
	return phys;
}

Test(iommu_hw, miss_fill_then_hit, .init = setup_big, .fini = teardown)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);
	struct iommu_domain *d = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_DMA);
	int ret;

	cr_assert_eq(iommu_map(d, 0x5000, 0x9000, 0x1000, RW), 0);
	cr_assert_eq(xlate(d, 0x5123, false, &ret), 0x9123);
	cr_assert_eq(ret, 0);
	cr_assert_eq(xlate(d, 0x5ff0, true, &ret), 0x9ff0);
	cr_assert_eq(st->iotlb_lookups, 2);
	cr_assert_eq(st->iotlb_misses, 1);
	cr_assert_eq(st->iotlb_hits, 1);
	cr_assert_eq(st->iotlb_fills, 1);
	cr_assert_eq(st->iotlb_stale_hits, 0);
	cr_assert_eq(iommu_hw_iotlb_valid(fx.hw, d->id), 1);
	iommu_domain_free(d);
	cr_assert_eq(iommu_hw_iotlb_valid(fx.hw, 0), 0, "domain free invalidates its entries");
}

Test(iommu_hw, stale_entry_until_invalidation, .init = setup_big, .fini = teardown)
{
	struct iommu_domain *d = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_DMA);
	struct iommu_iotlb_gather gather;
	const struct iommu_fault_record *f;
	int ret;

	cr_assert_eq(iommu_map(d, 0x5000, 0x9000, 0x1000, RW), 0);
	cr_assert_eq(xlate(d, 0x5000, false, &ret), 0x9000);
	/* Clear the PTE without syncing: the IOTLB still translates (lazy mode's window). */
	iommu_iotlb_gather_init(&gather);
	cr_assert_eq(iommu_unmap_fast(d, 0x5000, 0x1000, &gather), 0x1000);
	cr_assert_eq(iommu_iova_to_phys(d, 0x5000), 0, "the page table no longer maps it");
	cr_assert_eq(xlate(d, 0x5010, true, &ret), 0x9010);
	cr_assert_eq(ret, 0, "stale IOTLB hit");
	cr_assert_eq(iommu_hw_stats(fx.hw)->iotlb_stale_hits, 1);
	/* After the sync it faults. */
	iommu_iotlb_sync(d, &gather);
	xlate(d, 0x5010, true, &ret);
	cr_assert_eq(ret, -EFAULT);
	cr_assert_eq(iommu_hw_fault_count(fx.hw), 1);
	f = iommu_hw_fault_at(fx.hw, 0);
	cr_assert_not_null(f);
	cr_assert_eq(f->iova, 0x5010);
	cr_assert(f->write);
	cr_assert_eq(f->reason, IOMMU_FAULT_NOT_PRESENT);
	cr_assert_eq(f->domain_id, d->id);
	iommu_domain_free(d);
}

Test(iommu_hw, permission_blocked_identity, .init = setup_big, .fini = teardown)
{
	struct iommu_domain *d = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_DMA);
	struct iommu_domain *blocked = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_BLOCKED);
	struct iommu_domain *ident = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_IDENTITY);
	int ret;

	cr_assert_eq(iommu_map(d, 0x5000, 0x9000, 0x1000, IOMMU_READ), 0);
	cr_assert_eq(xlate(d, 0x5000, false, &ret), 0x9000);
	xlate(d, 0x5000, true, &ret);
	cr_assert_eq(ret, -EFAULT);
	cr_assert_eq(iommu_hw_fault_at(fx.hw, 0)->reason, IOMMU_FAULT_PERMISSION);
	xlate(blocked, 0x5000, false, &ret);
	cr_assert_eq(ret, -EFAULT);
	cr_assert_eq(iommu_hw_fault_at(fx.hw, 0)->reason, IOMMU_FAULT_BLOCKED);
	cr_assert_eq(iommu_hw_fault_at(fx.hw, 1)->reason, IOMMU_FAULT_PERMISSION);
	cr_assert_eq(xlate(ident, 0x123456789ULL, true, &ret), 0x123456789ULL);
	cr_assert_eq(ret, 0);
	xlate(d, 1ULL << 48, false, &ret);
	cr_assert_eq(iommu_hw_fault_at(fx.hw, 0)->reason, IOMMU_FAULT_OUT_OF_RANGE);
	cr_assert_eq(iommu_hw_stats(fx.hw)->faults, 3);
	iommu_domain_free(d);
	iommu_domain_free(blocked);
	iommu_domain_free(ident);
}

Test(iommu_hw, lru_within_a_set, .init = setup_small, .fini = teardown)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);
	struct iommu_domain *d = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_DMA);
	int ret;

	/* 2 sets, consecutive pages in consecutive sets: pages 0x10, 0x12, 0x14 share a set. */
	cr_assert_eq(iommu_map(d, 0x10000, 0x100000, 0x5000, RW), 0);
	xlate(d, 0x10000, false, &ret); /* fill A */
	xlate(d, 0x12000, false, &ret); /* fill B: the set is full */
	xlate(d, 0x10000, false, &ret); /* touch A: B is now least recently used */
	xlate(d, 0x14000, false, &ret); /* fill C: evicts B */
	cr_assert_eq(st->iotlb_evictions, 1);
	cr_assert_eq(st->iotlb_hits, 1);
	xlate(d, 0x10000, false, &ret);
	cr_assert_eq(st->iotlb_hits, 2, "A survived");
	xlate(d, 0x12000, false, &ret);
	cr_assert_eq(st->iotlb_misses, 4, "B was evicted");
	iommu_domain_free(d);
}

Test(iommu_hw, entries_tagged_by_domain, .init = setup_big, .fini = teardown)
{
	struct iommu_domain *d1 = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_DMA);
	struct iommu_domain *d2 = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_DMA);
	int ret;

	cr_assert_neq(d1->id, d2->id);
	cr_assert_eq(iommu_map(d1, 0x5000, 0x9000, 0x1000, RW), 0);
	cr_assert_eq(iommu_map(d2, 0x5000, 0xa000, 0x1000, RW), 0);
	cr_assert_eq(xlate(d1, 0x5000, false, &ret), 0x9000);
	cr_assert_eq(xlate(d2, 0x5000, false, &ret), 0xa000);
	cr_assert_eq(iommu_hw_stats(fx.hw)->iotlb_misses, 2, "no cross-domain hit");
	iommu_flush_iotlb_all(d1);
	cr_assert_eq(iommu_hw_iotlb_valid(fx.hw, d1->id), 0);
	cr_assert_eq(iommu_hw_iotlb_valid(fx.hw, d2->id), 1);
	iommu_unmap(d1, 0x5000, 0x1000);
	iommu_unmap(d2, 0x5000, 0x1000);
	iommu_domain_free(d1);
	iommu_domain_free(d2);
}

Test(iommu_hw, range_invalidation_is_exact, .init = setup_big, .fini = teardown)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);
	struct iommu_domain *d = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_DMA);
	int ret;

	cr_assert_eq(iommu_map(d, 0x1000, 0x100000, 0x4000, RW), 0);
	for (dma_addr_t a = 0x1000; a < 0x5000; a += 0x1000)
		xlate(d, a, false, &ret);
	cr_assert_eq(iommu_hw_iotlb_valid(fx.hw, d->id), 4);
	cr_assert_eq(iommu_unmap(d, 0x2000, 0x1000), 0x1000);
	cr_assert_eq(st->iotlb_invalidated, 1);
	cr_assert_eq(iommu_hw_iotlb_valid(fx.hw, d->id), 3);
	xlate(d, 0x3000, false, &ret);
	cr_assert_eq(st->iotlb_hits, 1, "the neighbour still hits");
	iommu_unmap(d, 0x1000, 0x1000);
	iommu_unmap(d, 0x3000, 0x2000);
	cr_assert_eq(iommu_hw_iotlb_valid(fx.hw, d->id), 0);
	iommu_domain_free(d);
}

Test(iommu_hw, large_leaf_cached_once, .init = setup_big, .fini = teardown)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);
	struct iommu_domain *d = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_DMA);
	int ret;

	cr_assert_eq(iommu_map(d, SZ_2M, SZ_1G, SZ_2M, RW), 0);
	cr_assert_eq(xlate(d, SZ_2M + 0x12345, false, &ret), SZ_1G + 0x12345);
	cr_assert_eq(xlate(d, SZ_2M + 0x1fffff, false, &ret), SZ_1G + 0x1fffff);
	cr_assert_eq(st->iotlb_fills, 1);
	cr_assert_eq(st->iotlb_hits, 1);
	cr_assert_eq(iommu_unmap(d, SZ_2M, SZ_2M), SZ_2M);
	cr_assert_eq(iommu_hw_iotlb_valid(fx.hw, d->id), 0, "2M entry invalidated");
	iommu_domain_free(d);
}

Test(iommu_hw, pgtable_pages_counted_and_freed, .init = setup_big, .fini = teardown)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);
	struct iommu_domain *d = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_DMA);

	cr_assert_eq(st->pgtable_pages_live, 1, "the top level");
	/* Three pages: the second shares the level-3 table, the third (512 GiB up) doesn't. */
	cr_assert_eq(iommu_map(d, 0x1000, 0x1000, 0x1000, RW), 0);           /* +L3 +L2 +L1 */
	cr_assert_eq(iommu_map(d, SZ_1G + 0x1000, 0x2000, 0x1000, RW), 0);   /* +L2 +L1 */
	cr_assert_eq(iommu_map(d, (1ULL << 39) + 0x1000, 0x3000, 0x1000, RW), 0); /* +L3 +L2 +L1 */
	cr_assert_eq(st->pgtable_pages_live, 9);
	cr_assert_eq(st->leaves_live[0], 3);
	/* The domain goes with its mappings: everything is counted back. */
	iommu_domain_free(d);
	cr_assert_eq(st->pgtable_pages_live, 0);
	cr_assert_eq(st->pgtable_pages_freed, 9);
	cr_assert_eq(st->leaves_live[0], 0);
	cr_assert_eq(st->pgtable_pages_peak, 9);
}

Test(iommu_hw, events_counted_without_subscribers, .init = setup_big, .fini = teardown)
{
	struct iommu_domain *d = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_DMA);
	int ret;

	cr_assert_eq(iommu_map(d, 0x5000, 0x9000, 0x1000, RW), 0);
	xlate(d, 0x5000, false, &ret);
	xlate(d, 0x5000, false, &ret);
	iommu_unmap(d, 0x5000, 0x1000);
	cr_assert_eq(fx.m->events.counts[EV_IOMMU_MAP], 1);
	cr_assert_eq(fx.m->events.counts[EV_IOTLB_FILL], 1);
	cr_assert_eq(fx.m->events.counts[EV_IOTLB_HIT], 1);
	cr_assert_eq(fx.m->events.counts[EV_IOMMU_UNMAP], 1);
	cr_assert_eq(fx.m->events.counts[EV_IOTLB_SYNC], 2, "sync_map + sync");
	cr_assert_eq(fx.m->events.counts[EV_IOTLB_INVALIDATE], 1);
	cr_assert_eq(fx.m->events.counts[EV_PGTABLE_PAGE_ALLOC], 4);
	iommu_domain_free(d);
	cr_assert_eq(fx.m->events.counts[EV_PGTABLE_PAGE_FREE], 4);
}

static int nr_seen;
static struct sim_event last_seen;

static void record(void *ctx, const struct sim_event *ev)
{
	(void)ctx;
	nr_seen++;
	last_seen = *ev;
}

Test(iommu_hw, fault_event_delivered, .init = setup_big, .fini = teardown)
{
	struct iommu_domain *d = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_DMA);
	int ret;

	nr_seen = 0;
	event_bus_subscribe(&fx.m->events, record, NULL);
	fx.m->now_ns = 777;
	xlate(d, 0xdead000, true, &ret);
	cr_assert_eq(nr_seen, 1);
	cr_assert_eq(last_seen.kind, EV_IOMMU_FAULT);
	cr_assert_eq(last_seen.addr, 0xdead000);
	cr_assert_eq(last_seen.ret, IOMMU_FAULT_NOT_PRESENT);
	cr_assert_eq(last_seen.time_ns, 777);
	cr_assert_eq(iommu_hw_fault_at(fx.hw, 0)->time_ns, 777);
	iommu_domain_free(d);
}
