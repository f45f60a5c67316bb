// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_iova.c - the IOVA allocator (src/iommu/iova.c) against placements
 * worked out by hand from reference/dma-iommu.md §1: top-down next-fit,
 * power-of-two alignment, the retry window above the cached node,
 * max32_alloc_size, reservations, the rcache (magazines, depot, trim) and
 * flush-and-retry. Granule 4 KiB, start_pfn 1 throughout.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "src/iommu/iova.h"

static struct iova_domain iovad;
static unsigned int cpu;
static u64 clock_ns;

static void setup_plain(void)
{
	memset(&iovad, 0, sizeof(iovad));
	cpu = 0;
	clock_ns = 0;
	cr_assert_eq(init_iova_domain(&iovad, 4096, 1), 0);
}

static void setup_rcache(void)
{
	setup_plain();
	iova_domain_bind(&iovad, 2, &cpu, &clock_ns);
	cr_assert_eq(iova_domain_init_rcaches(&iovad), 0);
}

static void teardown(void)
{
	put_iova_domain(&iovad);
	cr_assert_eq(iovad.stats.nodes_live, 0, "every node freed");
	cr_assert_eq(iovad.stats.magazines_live, 0, "every magazine freed");
}

static unsigned long alloc_pfn(unsigned long size, unsigned long limit, bool aligned)
{
	struct iova *iova = alloc_iova(&iovad, size, limit, aligned);

	return iova ? iova->pfn_lo : 0;
}

TestSuite(iova_tree, .init = setup_plain, .fini = teardown);
TestSuite(iova_rcache, .init = setup_rcache, .fini = teardown);

Test(iova_tree, init_sets_32bit_limit)
{
	cr_assert_eq(iovad.dma_32bit_pfn, 0x100000UL);
	cr_assert_eq(iovad.max32_alloc_size, 0x100000UL);
	cr_assert_eq(iova_shift(&iovad), 12);
	cr_assert_eq(init_iova_domain(&(struct iova_domain){ 0 }, 3000, 1), -EINVAL);
	cr_assert_eq(init_iova_domain(&(struct iova_domain){ 0 }, 8192, 1), -EINVAL);
}

Test(iova_tree, top_down_with_pow2_alignment)
{
	/* Below 4 GiB from the top, each new range just under the previous one. */
	cr_assert_eq(alloc_pfn(1, 0xfffff, true), 0xfffff);
	cr_assert_eq(alloc_pfn(1, 0xfffff, true), 0xffffe);
	/* 3 pages align to 4: (0xffffe - 3) & ~3 = 0xffff8 */
	cr_assert_eq(alloc_pfn(3, 0xfffff, true), 0xffff8);
	/* 33 pages align to 64: (0xffff8 - 33) & ~63 = 0xfffc0 */
	cr_assert_eq(alloc_pfn(33, 0xfffff, true), 0xfffc0);
	cr_assert_eq(find_iova(&iovad, 0xfffe0)->pfn_hi, 0xfffc0 + 32);
	/* Unaligned: directly under the previous one, (0xfffc0 - 3) */
	cr_assert_eq(alloc_pfn(3, 0xfffff, false), 0xfffbd);
	/* Above 32 bits the other cached node is used, starting from the anchor. */
	cr_assert_eq(alloc_pfn(1, 0x1fffff, true), 0x1fffff);
	cr_assert_eq(iovad.cached_node->pfn_lo, 0x1fffff);
	cr_assert_eq(iovad.cached32_node->pfn_lo, 0xfffbd);
}

Test(iova_tree, next_fit_reuses_freed_gap_after_cache_moves_up)
{
	for (unsigned long pfn = 0xf; pfn >= 1; pfn--)
		cr_assert_eq(alloc_pfn(1, 0xf, true), pfn);
	/* Freeing 5 (above cached32 = node 1) moves cached32 to rb_next(5) = 6. */
	free_iova(&iovad, 5);
	cr_assert_eq(iovad.cached32_node->pfn_lo, 6);
	/* The walk starts below node 6 and finds pfn 5 at once. */
	cr_assert_eq(alloc_pfn(1, 0x1f, true), 5);
}

Test(iova_tree, retry_window_above_cached_node)
{
	/* Fill 1..15 under limit 0xf: cached32 ends at node 1, nothing below it. */
	for (unsigned long pfn = 0xf; pfn >= 1; pfn--)
		cr_assert_eq(alloc_pfn(1, 0xf, true), pfn);
	cr_assert_eq(iovad.cached32_node->pfn_lo, 1);
	/*
	 * Limit 0x1f: the first pass from node 1 fails (high 1, new 0 < low 1);
	 * retry_pfn 1 < 0x20, so the window [2, 0x20) is walked from the anchor:
	 * new 0x1f is above node 0xf and fits.
	 */
	cr_assert_eq(alloc_pfn(1, 0x1f, true), 0x1f);
	cr_assert_eq(iovad.stats.tree_alloc_fails, 0);
}

Test(iova_tree, max32_alloc_size_fast_fail_and_reset)
{
	for (unsigned long pfn = 0xf; pfn >= 1; pfn--)
		cr_assert_eq(alloc_pfn(1, 0xf, true), pfn);
	/* Both passes fail: max32_alloc_size becomes 1. */
	cr_assert_eq(alloc_pfn(1, 0xf, true), 0);
	cr_assert_eq(iovad.max32_alloc_size, 1);
	/* Any 32-bit request of >= 1 page now fails at once, even with room below 0x20. */
	cr_assert_eq(alloc_pfn(1, 0x1f, true), 0);
	cr_assert_eq(iovad.stats.tree_alloc_fails, 2);
	/* Above 32 bits is not affected. */
	cr_assert_eq(alloc_pfn(1, 0x1fffff, true), 0x1fffff);
	/* Freeing anything below 4 GiB resets it. */
	free_iova(&iovad, 7);
	cr_assert_eq(iovad.max32_alloc_size, 0x100000UL);
	cr_assert_eq(alloc_pfn(1, 0xf, true), 7);
}

Test(iova_tree, reserve_merges_and_extends)
{
	struct iova *a, *b, *c;

	a = reserve_iova(&iovad, 0x10, 0x1f);
	cr_assert_not_null(a);
	/* Overlapping above: the rest [0x20, 0x2f] becomes a new node. */
	b = reserve_iova(&iovad, 0x18, 0x2f);
	cr_assert_not_null(b);
	cr_assert_neq(a, b);
	cr_assert_eq(b->pfn_lo, 0x20);
	cr_assert_eq(b->pfn_hi, 0x2f);
	/* Overlapping below and contained above: the existing node grows down. */
	c = reserve_iova(&iovad, 0x5, 0x12);
	cr_assert_eq(c, a);
	cr_assert_eq(a->pfn_lo, 0x5);
	cr_assert_eq(a->pfn_hi, 0x1f);
	cr_assert_eq(find_iova(&iovad, 6), a);
	cr_assert_eq(iovad.stats.nodes_live, 2);
	/* Reservations don't move the cache: the walk from the anchor skips them. */
	cr_assert_eq(alloc_pfn(1, 0x2f, true), 4);
	/* Nonsense pfns are refused. */
	cr_assert_null(reserve_iova(&iovad, 0, ~0UL));
	cr_assert_null(reserve_iova(&iovad, 9, 8));
}

Test(iova_tree, free_of_unknown_pfn_is_silent)
{
	cr_assert_eq(alloc_pfn(4, 0xfffff, true), 0xffffc);
	free_iova(&iovad, 0x1234);
	cr_assert_eq(iovad.stats.nodes_live, 1);
	free_iova(&iovad, 0xffffe); /* any pfn inside the range frees it */
	cr_assert_eq(iovad.stats.nodes_live, 0);
}

Test(iova_rcache, rcache_hit_returns_same_pfn)
{
	unsigned long pfn = alloc_iova_fast(&iovad, 1, 0xfffff, true);

	cr_assert_eq(pfn, 0xfffff);
	free_iova_fast(&iovad, pfn, 1);
	/* Still allocated in the tree while cached. */
	cr_assert_not_null(find_iova(&iovad, 0xfffff));
	cr_assert_eq(iova_rcache_cached(&iovad, 0), 1);
	cr_assert_eq(alloc_iova_fast(&iovad, 1, 0xfffff, true), 0xfffff);
	cr_assert_eq(iovad.stats.rcache_hits, 1);
	cr_assert_eq(iovad.stats.rcache_misses, 1);
	cr_assert_eq(iovad.stats.tree_allocs, 1);
}

Test(iova_rcache, size_rounding_and_class)
{
	/* 3 pages round up to 4: aligned to 4 below the top. */
	unsigned long pfn = alloc_iova_fast(&iovad, 3, 0xfffff, true);

	cr_assert_eq(pfn, 0xffffc);
	cr_assert_eq(find_iova(&iovad, pfn)->pfn_hi, 0xfffff, "4 pages, not 3");
	/* Freed with the unrounded size: order_base_2(3) = 2, the class of 4. */
	free_iova_fast(&iovad, pfn, 3);
	cr_assert_eq(iova_rcache_cached(&iovad, 2), 1);
	cr_assert_eq(alloc_iova_fast(&iovad, 4, 0xfffff, true), pfn);
	/* Up to 32 pages are cached (class 5); 33 and more are not. */
	pfn = alloc_iova_fast(&iovad, 32, 0xfffff, true);
	free_iova_fast(&iovad, pfn, 32);
	cr_assert_eq(iova_rcache_cached(&iovad, 5), 1);
	pfn = alloc_iova_fast(&iovad, 33, 0xfffff, true);
	free_iova_fast(&iovad, pfn, 33);
	cr_assert_eq(iovad.stats.rcache_insert_fails, 1);
	cr_assert_null(find_iova(&iovad, pfn));
}

Test(iova_rcache, cached_pfn_must_fit_limit)
{
	unsigned long pfn = alloc_iova_fast(&iovad, 1, 0xfffff, true);

	free_iova_fast(&iovad, pfn, 1);
	/* Limit 0xffff: the cached 0xfffff is above it, the tree serves instead. */
	cr_assert_eq(alloc_iova_fast(&iovad, 1, 0xffff, true), 0xffff);
	cr_assert_eq(iovad.stats.rcache_hits, 0);
	cr_assert_eq(iova_rcache_cached(&iovad, 0), 1);
}

Test(iova_rcache, per_cpu_magazines)
{
	unsigned long pfn = alloc_iova_fast(&iovad, 1, 0xfffff, true);

	free_iova_fast(&iovad, pfn, 1); /* into CPU 0's magazine */
	cpu = 1;
	cr_assert_eq(alloc_iova_fast(&iovad, 1, 0xfffff, true), 0xffffe, "CPU 1 misses");
	cpu = 0;
	cr_assert_eq(alloc_iova_fast(&iovad, 1, 0xfffff, true), 0xfffff, "CPU 0 hits");
}

Test(iova_rcache, depot_and_trim_on_logical_clock)
{
	static unsigned long pfns[509];

	for (int i = 0; i < 509; i++)
		pfns[i] = alloc_iova_fast(&iovad, 1, 0xffffffff, true);
	/*
	 * 127 fill loaded; the 128th swaps in the empty prev; the 255th finds
	 * both full and pushes loaded to the depot; so do the 382nd and 509th.
	 */
	for (int i = 0; i < 509; i++) {
		free_iova_fast(&iovad, pfns[i], 1);
		if (i == 254) {
			cr_assert_eq(iovad.rcaches[0].depot_size, 1);
			cr_assert(iovad.rcaches[0].work_pending);
			cr_assert_eq(iovad.rcaches[0].work_due_ns, IOVA_DEPOT_DELAY_NS);
		}
	}
	cr_assert_eq(iovad.rcaches[0].depot_size, 3);
	cr_assert_eq(iova_rcache_cached(&iovad, 0), 509);
	cr_assert_eq(iovad.stats.nodes_live, 509);

	/* Not yet due. */
	iova_run_timers(&iovad, IOVA_DEPOT_DELAY_NS - 1);
	cr_assert_eq(iovad.rcaches[0].depot_size, 3);
	/* Due: depot 3 > 2 CPUs, one magazine (127 pfns) goes back to the tree. */
	iova_run_timers(&iovad, IOVA_DEPOT_DELAY_NS);
	cr_assert_eq(iovad.rcaches[0].depot_size, 2);
	cr_assert_eq(iovad.stats.nodes_live, 509 - 127);
	cr_assert_eq(iovad.rcaches[0].work_due_ns, 2 * IOVA_DEPOT_DELAY_NS);
	/* Next run: 2 is not more than 2 CPUs; nothing, and no reschedule. */
	iova_run_timers(&iovad, 2 * IOVA_DEPOT_DELAY_NS);
	cr_assert_eq(iovad.rcaches[0].depot_size, 2);
	cr_assert_not(iovad.rcaches[0].work_pending);
	cr_assert_eq(iovad.stats.depot_trims, 1);
}

Test(iova_rcache, exhaustion_flush_and_retry)
{
	/* Only pfns 1..3 fit under limit 3. */
	cr_assert_eq(alloc_iova_fast(&iovad, 1, 3, true), 3);
	cr_assert_eq(alloc_iova_fast(&iovad, 1, 3, true), 2);
	cr_assert_eq(alloc_iova_fast(&iovad, 1, 3, true), 1);
	free_iova_fast(&iovad, 3, 1);
	free_iova_fast(&iovad, 2, 1);
	free_iova_fast(&iovad, 1, 1);
	/* CPU 1 has nothing cached and the tree is full. */
	cpu = 1;
	cr_assert_eq(alloc_iova_fast(&iovad, 1, 3, false), 0, "no flush: fails");
	cr_assert_eq(iovad.stats.alloc_fast_failed, 1);
	cr_assert_eq(iovad.max32_alloc_size, 1);
	/* With flush: every CPU's magazines go back to the tree, then the retry succeeds. */
	cr_assert_eq(alloc_iova_fast(&iovad, 1, 3, true), 3);
	cr_assert_eq(iovad.stats.rcache_flushes, 1);
	cr_assert_eq(iova_rcache_cached(&iovad, 0), 0);
	cr_assert_eq(iovad.stats.nodes_live, 1);
}

Test(iova_rcache, free_with_smaller_size_lands_in_smaller_class)
{
	/*
	 * The dma_iova_destroy() quirk: 8 pages allocated (class 3), freed with
	 * a size of 3 pages (class 2). The pfn goes into class 2 while the tree
	 * node keeps all 8 pages until the magazines are flushed.
	 */
	unsigned long pfn = alloc_iova_fast(&iovad, 8, 0xfffff, true);

	cr_assert_eq(pfn, 0xffff8);
	free_iova_fast(&iovad, pfn, 3);
	cr_assert_eq(iova_rcache_cached(&iovad, 3), 0);
	cr_assert_eq(iova_rcache_cached(&iovad, 2), 1);
	cr_assert_eq(find_iova(&iovad, 0xfffff)->pfn_lo, pfn, "all 8 pages still allocated");
	/* A 4-page request is served that pfn from class 2. */
	cr_assert_eq(alloc_iova_fast(&iovad, 4, 0xfffff, true), pfn);
	cr_assert_eq(iovad.stats.rcache_hits, 1);
}

Test(iova_rcache, get_refills_from_depot)
{
	static unsigned long pfns[255];
	u64 mags;

	for (int i = 0; i < 255; i++)
		pfns[i] = alloc_iova_fast(&iovad, 1, 0xffffffff, true);
	mags = iovad.stats.magazines_live; /* 2 per CPU per class: 24 */
	cr_assert_eq(mags, 24);
	for (int i = 0; i < 255; i++)
		free_iova_fast(&iovad, pfns[i], 1);
	/* loaded 1, prev 127, depot 1 (a 25th magazine was allocated for loaded). */
	cr_assert_eq(iovad.rcaches[0].depot_size, 1);
	cr_assert_eq(iovad.stats.magazines_live, 25);
	/* 1 from loaded, then 127 from the swapped-in prev ... */
	for (int i = 0; i < 128; i++)
		cr_assert_neq(alloc_iova_fast(&iovad, 1, 0xffffffff, true), 0);
	cr_assert_eq(iovad.rcaches[0].depot_size, 1);
	/* ... then the empty loaded magazine is freed and a full one taken from the depot. */
	cr_assert_neq(alloc_iova_fast(&iovad, 1, 0xffffffff, true), 0);
	cr_assert_eq(iovad.rcaches[0].depot_size, 0);
	cr_assert_eq(iovad.stats.magazines_live, 24);
	cr_assert_eq(iovad.stats.rcache_hits, 129);
	cr_assert_eq(iova_rcache_cached(&iovad, 0), 126);
}
