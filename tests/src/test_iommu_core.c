// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_iommu_core.c - the IOMMU core (src/iommu/iommu.c): iommu_pgsize()
 * splits, map / unmap through the drivers of each IOMMU type (partial
 * large-page unmap: VT-d / AMD round up, SMMUv3 refuses), holes, the
 * unwind of a failed map, iommu_map_sg() merging and bus-address skipping,
 * the gather helpers and the sync counts. Expected values are worked out
 * from reference/dma-iommu.md §2.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers/iommu_fixture.h"
#include "src/iommu/iommu.h"

static struct iommu_fixture fx;
static struct iommu_domain *dom;

static void setup_type(enum iommu_type type)
{
	iommu_fixture_init(&fx, type, 64, 4);
	dom = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_UNMANAGED);
	cr_assert_not_null(dom);
}

static void setup_vtd(void)
{
	setup_type(IOMMU_TYPE_INTEL_VTD);
}

static void teardown(void)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);

	iommu_domain_free(dom);
	cr_assert_eq(st->pgtable_pages_live, 0, "no page-table page left");
	cr_assert_eq(st->leaves_live[0] + st->leaves_live[1] + st->leaves_live[2], 0);
	iommu_fixture_fini(&fx);
}

#define RW (IOMMU_READ | IOMMU_WRITE)

TestSuite(iommu_core, .init = setup_vtd, .fini = teardown);

Test(iommu_core, pgsize_picks_largest_then_limits_run)
{
	size_t count = 0;

	/* 4M at 0/0: 2M pages, two of them (the next size, 1G, would need 2G). */
	cr_assert_eq(iommu_pgsize(dom, 0, 0, 4 * SZ_2M / 2, &count), SZ_2M);
	cr_assert_eq(count, 2);
	/* 2M+4K at 0x1ff000: one 4K page up to the 2M boundary, then a 2M page. */
	cr_assert_eq(iommu_pgsize(dom, 0x1ff000, 0x1ff000, 0x201000, &count), SZ_4K);
	cr_assert_eq(count, 1);
	cr_assert_eq(iommu_pgsize(dom, 0x200000, 0x200000, 0x200000, &count), SZ_2M);
	cr_assert_eq(count, 1);
	/* Congruent mod 2M: stop after 0x1ff pages so the next call can use 2M. */
	cr_assert_eq(iommu_pgsize(dom, 0x1000, 0x201000, 0x400000, &count), SZ_4K);
	cr_assert_eq(count, 0x1ff);
	/* Not congruent: 4K all the way. */
	cr_assert_eq(iommu_pgsize(dom, 0x1000, 0x2000, 0x400000, &count), SZ_4K);
	cr_assert_eq(count, 0x400);
	/* 1G when size and alignment allow. */
	cr_assert_eq(iommu_pgsize(dom, SZ_1G, 2 * SZ_1G, SZ_1G, &count), SZ_1G);
	cr_assert_eq(count, 1);
}

Test(iommu_core, map_uses_large_leaves_and_translates)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);

	cr_assert_eq(iommu_map(dom, 0x200000, 0x40000000, 0x400000, RW), 0);
	cr_assert_eq(st->leaves_live[1], 2, "two 2M leaves");
	cr_assert_eq(st->leaves_live[0], 0);
	/* top (at domain alloc) + level 3 + level 2 */
	cr_assert_eq(st->pgtable_pages_live, 3);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x201234), 0x40001234);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x5fffff), 0x403fffff);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x600000), 0);
	cr_assert_eq(st->iotlb_sync_map, 1, "VT-d has iotlb_sync_map");
	cr_assert_eq(iommu_unmap(dom, 0x200000, 0x400000), 0x400000);
	cr_assert_eq(st->leaves_live[1], 0);
}

Test(iommu_core, map_rejects_unaligned_and_non_paging)
{
	struct iommu_domain *ident = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_IDENTITY);

	cr_assert_eq(iommu_map(dom, 0x1001, 0x2000, 0x1000, RW), -EINVAL);
	cr_assert_eq(iommu_map(dom, 0x1000, 0x2000, 0x800, RW), -EINVAL);
	cr_assert_eq(iommu_map(ident, 0x1000, 0x2000, 0x1000, RW), -EINVAL);
	cr_assert_eq(iommu_unmap(ident, 0x1000, 0x1000), 0);
	cr_assert_eq(iommu_iova_to_phys(ident, 0x1234), 0x1234);
	cr_assert_eq(iommu_unmap(dom, 0x1001, 0x1000), 0, "unaligned unmap");
	/* Mapping over a present entry is refused (and unwinds nothing else). */
	cr_assert_eq(iommu_map(dom, 0x1000, 0x2000, 0x1000, RW), 0);
	cr_assert_eq(iommu_map(dom, 0x1000, 0x3000, 0x1000, RW), -EEXIST);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x1000), 0x2000);
	iommu_unmap(dom, 0x1000, 0x1000);
	iommu_domain_free(ident);
}

Test(iommu_core, unmap_stops_at_hole)
{
	cr_assert_eq(iommu_map(dom, 0x1000, 0x10000, 0x1000, RW), 0);
	cr_assert_eq(iommu_map(dom, 0x2000, 0x20000, 0x1000, RW), 0);
	/* Unmapped at the start -> 0; a hole part-way -> the bytes before it. */
	cr_assert_eq(iommu_unmap(dom, 0x0, 0x3000), 0);
	cr_assert_eq(iommu_unmap(dom, 0x1000, 0x3000), 0x2000);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x2000), 0);
}

Test(iommu_core, partial_large_page_unmap_vtd_rounds_up)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);

	cr_assert_eq(iommu_map(dom, 0x200000, 0x40000000, SZ_2M, RW), 0);
	/* 4K out of a 2M leaf: VT-d removes the whole leaf and says so. */
	cr_assert_eq(iommu_unmap(dom, 0x201000, 0x1000), SZ_2M);
	cr_assert_eq(st->partial_unmap_rounded, 1);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x200000), 0);
	cr_assert_eq(st->leaves_live[1], 0);
	cr_assert_eq(st->iotlb_inv_range_ops, 1, "the whole leaf invalidated");
}

static void setup_amd(void)
{
	setup_type(IOMMU_TYPE_AMD_VI);
}

TestSuite(iommu_core_amd, .init = setup_amd, .fini = teardown);

Test(iommu_core_amd, partial_large_page_unmap_rounds_up)
{
	cr_assert_eq(iommu_map(dom, 0x200000, 0x40000000, SZ_2M, RW), 0);
	cr_assert_eq(iommu_unmap(dom, 0x200000, 0x1000), SZ_2M);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x3ff000), 0);
	cr_assert_eq(iommu_hw_stats(fx.hw)->iotlb_sync_map, 1);
}

static void setup_smmu(void)
{
	setup_type(IOMMU_TYPE_ARM_SMMUV3);
}

TestSuite(iommu_core_smmuv3, .init = setup_smmu, .fini = teardown);

Test(iommu_core_smmuv3, partial_large_page_unmap_refuses)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);

	cr_assert_eq(iommu_map(dom, 0x200000, 0x40000000, SZ_2M, RW), 0);
	cr_assert_eq(st->iotlb_sync_map, 0, "SMMUv3 has no iotlb_sync_map");
	cr_assert_eq(iommu_unmap(dom, 0x201000, 0x1000), 0);
	cr_assert_eq(st->partial_unmap_refused, 1);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x201000), 0x40001000, "still mapped");
	cr_assert_eq(st->leaves_live[1], 1);
	/* iommu_unmap() still called iotlb_sync, over an empty gather: no invalidation. */
	cr_assert_eq(st->iotlb_sync, 1);
	cr_assert_eq(st->iotlb_inv_range_ops, 0);
	cr_assert_eq(iommu_unmap(dom, 0x200000, SZ_2M), SZ_2M);
}

Test(iommu_core_smmuv3, large_leaf_over_empty_table_is_refused)
{
	cr_assert_eq(iommu_map(dom, 0x200000, 0x1000, 0x1000, RW), 0);
	cr_assert_eq(iommu_unmap(dom, 0x200000, 0x1000), 0x1000);
	/* The level-1 table stays; a 2M leaf there is -EEXIST on SMMUv3 ... */
	cr_assert_eq(iommu_map(dom, 0x200000, 0x40000000, SZ_2M, RW), -EEXIST);
}

Test(iommu_core, vtd_large_leaf_replaces_empty_table)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);

	cr_assert_eq(iommu_map(dom, 0x200000, 0x1000, 0x1000, RW), 0);
	cr_assert_eq(iommu_unmap(dom, 0x200000, 0x1000), 0x1000);
	cr_assert_eq(st->pgtable_pages_live, 4);
	/* ... while VT-d frees the empty table and installs the large leaf. */
	cr_assert_eq(iommu_map(dom, 0x200000, 0x40000000, SZ_2M, RW), 0);
	cr_assert_eq(st->pgtable_pages_live, 3);
	cr_assert_eq(iommu_unmap(dom, 0x200000, SZ_2M), SZ_2M);
}

Test(iommu_core, unmap_of_whole_span_frees_table_after_sync)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);
	struct iommu_iotlb_gather gather;

	/* paddr not congruent mod 2M: 512 4K leaves in one level-1 table. */
	cr_assert_eq(iommu_map(dom, 0x200000, 0x1000, SZ_2M, RW), 0);
	cr_assert_eq(st->leaves_live[0], 512);
	cr_assert_eq(st->pgtable_pages_live, 4);
	/* One 2M unmap step meets the table: it is detached whole... */
	iommu_iotlb_gather_init(&gather);
	cr_assert_eq(iommu_unmap_fast(dom, 0x200000, SZ_2M, &gather), SZ_2M);
	cr_assert_eq(st->leaves_live[0], 0);
	cr_assert_eq(st->ptes_cleared, 512);
	cr_assert_not_null(gather.freelist);
	cr_assert_eq(st->pgtable_pages_live, 4, "freed only after the sync");
	/* ... and freed by the IOTLB sync. */
	iommu_iotlb_sync(dom, &gather);
	cr_assert_eq(st->pgtable_pages_live, 3);
	cr_assert_eq(st->pgtable_pages_freed, 1);
	cr_assert_eq(gather.start, ~0UL, "sync re-inits the gather");
}

Test(iommu_core, failed_map_unwinds)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);

	/*
	 * 8K at 0x1ff000 crosses a 2M boundary: page 1 needs level 3, 2 and 1
	 * tables (allocations 1-3), page 2 a second level-1 table (allocation 4).
	 */
	iommu_hw_fail_pgtable_alloc(fx.hw, 4);
	cr_assert_eq(iommu_map(dom, 0x1ff000, 0x1ff000, 0x2000, RW), -ENOMEM);
	cr_assert_eq(st->ptes_set, 1);
	cr_assert_eq(st->ptes_cleared, 1, "the first page was unmapped again");
	cr_assert_eq(st->leaves_live[0], 0);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x1ff000), 0);
	cr_assert_eq(st->iotlb_sync_map, 0, "no sync_map after a failed map");
	/* Works again without the injected failure. */
	cr_assert_eq(iommu_map(dom, 0x1ff000, 0x1ff000, 0x2000, RW), 0);
	cr_assert_eq(iommu_unmap(dom, 0x1ff000, 0x2000), 0x2000);
}

static void sg_set(struct scatterlist *sg, phys_addr_t phys, unsigned int len)
{
	*sg = (struct scatterlist){ .page_phys = phys & ~0xfffULL,
				    .offset = (unsigned int)(phys & 0xfff),
				    .length = len };
}

Test(iommu_core, map_sg_merges_contiguous_runs)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);
	struct scatterlist sg[3];

	sg_set(&sg[0], 0x10000, 0x1000);
	sg_set(&sg[1], 0x11000, 0x1000); /* continues sg[0] */
	sg_set(&sg[2], 0x20000, 0x2000);
	cr_assert_eq(iommu_map_sg(dom, 0x100000, sg, 3, RW), 0x4000);
	cr_assert_eq(st->map_pages, 2, "two runs, one map_pages each");
	cr_assert_eq(st->iotlb_sync_map, 1, "one sync for the whole list");
	cr_assert_eq(iommu_iova_to_phys(dom, 0x101000), 0x11000);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x102000), 0x20000);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x103fff), 0x21fff);
	cr_assert_eq(iommu_unmap(dom, 0x100000, 0x4000), 0x4000);
}

Test(iommu_core, map_sg_skips_bus_address_segments)
{
	struct scatterlist sg[3];

	sg_set(&sg[0], 0x10000, 0x1000);
	sg_set(&sg[1], 0x4000000000ULL, 0x1000);
	sg[1].dma_flags = SG_DMA_BUS_ADDRESS;
	sg_set(&sg[2], 0x30000, 0x1000);
	cr_assert_eq(iommu_map_sg(dom, 0x100000, sg, 3, RW), 0x2000);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x100000), 0x10000);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x101000), 0x30000);
	cr_assert_eq(iommu_unmap(dom, 0x100000, 0x2000), 0x2000);
}

Test(iommu_core, map_sg_error_undoes_earlier_runs)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);
	struct scatterlist sg[2];

	/* Run 1 at 0x1ff000 needs tables 1-3; run 2 at 0x200000 needs table 4. */
	sg_set(&sg[0], 0x10000, 0x1000);
	sg_set(&sg[1], 0x30000, 0x1000);
	iommu_hw_fail_pgtable_alloc(fx.hw, 4);
	cr_assert_eq(iommu_map_sg(dom, 0x1ff000, sg, 2, RW), -ENOMEM);
	cr_assert_eq(st->leaves_live[0], 0);
	cr_assert_eq(iommu_iova_to_phys(dom, 0x1ff000), 0);
	cr_assert_eq(st->iotlb_sync_map, 0);
}

Test(iommu_core, gather_helpers)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);
	struct iommu_iotlb_gather g;

	iommu_iotlb_gather_init(&g);
	cr_assert_eq(g.start, ~0UL);
	cr_assert_eq(g.end, 0);
	cr_assert_not(iommu_iotlb_gather_is_disjoint(&g, 0x9000, 0x1000), "empty: never disjoint");
	iommu_iotlb_gather_add_range(&g, 0x1000, 0x1000);
	cr_assert_eq(g.start, 0x1000);
	cr_assert_eq(g.end, 0x1fff);
	cr_assert_not(iommu_iotlb_gather_is_disjoint(&g, 0x2000, 0x1000), "adjacent joins");
	cr_assert_not(iommu_iotlb_gather_is_disjoint(&g, 0x0, 0x1000), "adjacent below joins");
	cr_assert(iommu_iotlb_gather_is_disjoint(&g, 0x3000, 0x1000));
	/* add_page: same size and adjacent widens without a sync ... */
	g.pgsize = 0x1000;
	iommu_iotlb_gather_add_page(dom, &g, 0x2000, 0x1000);
	cr_assert_eq(st->iotlb_sync, 0);
	cr_assert_eq(g.end, 0x2fff);
	/* ... a disjoint range syncs what is pending first ... */
	iommu_iotlb_gather_add_page(dom, &g, 0x10000, 0x1000);
	cr_assert_eq(st->iotlb_sync, 1);
	cr_assert_eq(g.start, 0x10000);
	cr_assert_eq(g.end, 0x10fff);
	/* ... and so does a different page size. */
	iommu_iotlb_gather_add_page(dom, &g, 0x11000, SZ_2M);
	cr_assert_eq(st->iotlb_sync, 2);
	cr_assert_eq(g.pgsize, SZ_2M);
	iommu_iotlb_sync(dom, &g);
	cr_assert_eq(st->iotlb_sync, 3);
	cr_assert_eq(st->iotlb_inv_range_ops, 3);
}

Test(iommu_core, sync_counts_strict_map_unmap)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);

	for (int i = 0; i < 10; i++) {
		cr_assert_eq(iommu_map(dom, 0x100000, 0x5000, 0x1000, RW), 0);
		cr_assert_eq(iommu_unmap(dom, 0x100000, 0x1000), 0x1000);
	}
	cr_assert_eq(st->iotlb_sync_map, 10);
	cr_assert_eq(st->iotlb_sync, 10);
	cr_assert_eq(st->iotlb_inv_range_ops, 10);
	cr_assert_eq(st->flush_iotlb_all, 0);
	/* Tables persist between pairs: top, L3, L2, L1. */
	cr_assert_eq(st->pgtable_pages_peak, 4);
	cr_assert_eq(st->pgtable_pages_allocated, 4);
}

static void setup_4k_only(void)
{
	iommu_fixture_init(&fx, IOMMU_TYPE_INTEL_VTD, 64, 4);
	iommu_hw_free(fx.hw);
	fx.desc.pgsize_bitmap = SZ_4K;
	fx.hw = iommu_hw_new(fx.m, &fx.desc);
	cr_assert_not_null(fx.hw);
	fx.m->iommus = &fx.hw;
	dom = iommu_domain_alloc(fx.hw, IOMMU_DOMAIN_UNMANAGED);
	cr_assert_not_null(dom);
}

TestSuite(iommu_core_4k, .init = setup_4k_only, .fini = teardown);

Test(iommu_core_4k, pgsizes_honoured)
{
	const struct iommu_hw_stats *st = iommu_hw_stats(fx.hw);
	size_t count = 0;

	cr_assert_eq(dom->pgsize_bitmap, SZ_4K);
	cr_assert_eq(iommu_pgsize(dom, 0, 0, SZ_2M, &count), SZ_4K);
	cr_assert_eq(count, 512, "no bigger page to stop for");
	cr_assert_eq(iommu_map(dom, 0x200000, 0x40000000, SZ_2M, RW), 0);
	cr_assert_eq(st->leaves_live[0], 512);
	cr_assert_eq(st->leaves_live[1], 0);
	cr_assert_eq(iommu_unmap(dom, 0x200000, SZ_2M), SZ_2M);
	cr_assert_eq(st->leaves_live[0], 0);
	cr_assert_eq(st->pgtable_pages_live, 4, "the level-1 table stays");
}
