// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_check_iotlb.c - the iotlb checker: strict unmap then a hit is a
 * violation; lazy unmap then a hit before the flush-queue flush is counted
 * exposure (reference/dma-iommu.md §2.6); page-table pages freed before the
 * flush; IOVA reuse inside a lazy window. First with events fed by hand,
 * then end to end on the IOMMU model (iommu_map / iommu_unmap and device
 * DMA through models/pci/route.c).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers/switch_machine.h"
#include "models/iommu/iommu_hw.h"
#include "sim/check/check.h"
#include "src/dma/dma.h"
#include "src/iommu/dma-iommu.h"
#include "src/iommu/iommu.h"

static struct switch_machine sm;
static struct checkers *cs;

#define EMIT(...)                                       \
	do {                                            \
		struct sim_event ev_ = { __VA_ARGS__ }; \
		event_bus_emit(&sm.m->events, &ev_);    \
	} while (0)

#define DOM 3
#define IOVA 0x10000ULL

static void setup(void)
{
	char msg[128];

	sm_init(&sm, IOMMU_MODE_STRICT);
	cr_assert_eq(checkers_new(sm.m, sm.router, "iotlb", NULL, &cs, msg, sizeof(msg)), 0);
}

static void teardown(void)
{
	checkers_free(cs);
	sm_fini(&sm);
}

TestSuite(iotlb, .init = setup, .fini = teardown);

static void strict_unmap(void)
{
	EMIT(.kind = EV_IOMMU_UNMAP, .aux = DOM, .addr = IOVA, .len = 4096);
	EMIT(.kind = EV_IOTLB_SYNC, .aux = DOM, .addr = IOVA, .len = 4096);
	EMIT(.kind = EV_IOVA_FREE, .aux = DOM, .addr = IOVA, .len = 4096);
	EMIT(.kind = EV_DMA_UNMAP, .dev = sm.c, .addr = IOVA, .len = 4096);
}

static void lazy_unmap(void)
{
	EMIT(.kind = EV_IOMMU_UNMAP, .aux = DOM, .addr = IOVA, .len = 4096);
	EMIT(.kind = EV_IOVA_QUEUED, .aux = DOM, .addr = IOVA, .len = 4096);
	EMIT(.kind = EV_DMA_UNMAP, .dev = sm.c, .addr = IOVA, .len = 4096);
}

Test(iotlb, strict_hit_after_unmap_returned_is_a_violation)
{
	const struct check_violation *v;

	EMIT(.kind = EV_IOMMU_MAP, .aux = DOM, .addr = IOVA, .len = 4096);
	EMIT(.kind = EV_IOTLB_HIT, .aux = DOM, .addr = IOVA + 8);
	strict_unmap();
	cr_assert_eq(checkers_nr_violations(cs), 0);
	sm.m->events.current_line = 12;
	EMIT(.kind = EV_IOTLB_HIT, .aux = DOM, .addr = IOVA + 0x10, .phys = 0x200000);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	v = checkers_violation(cs, 0);
	cr_assert_str_eq(v->checker, "iotlb");
	cr_assert_str_eq(v->kind, "stale-iotlb-hit");
	cr_assert_eq(v->line, 12);
	cr_assert_null(v->kernel_msg);
}

Test(iotlb, hit_while_unmap_in_progress_or_other_domain_is_fine)
{
	EMIT(.kind = EV_IOMMU_UNMAP, .aux = DOM, .addr = IOVA, .len = 4096);
	EMIT(.kind = EV_IOTLB_HIT, .aux = DOM, .addr = IOVA); /* unmap not returned yet */
	EMIT(.kind = EV_IOTLB_SYNC, .aux = DOM, .addr = IOVA, .len = 4096);
	EMIT(.kind = EV_IOTLB_HIT, .aux = DOM + 1, .addr = IOVA); /* another domain */
	EMIT(.kind = EV_IOTLB_HIT, .aux = DOM, .addr = IOVA + 4096); /* next page */
	cr_assert_eq(checkers_nr_violations(cs), 0);
	/* mapped again: hits are legitimate */
	EMIT(.kind = EV_IOMMU_MAP, .aux = DOM, .addr = IOVA, .len = 4096);
	EMIT(.kind = EV_IOTLB_HIT, .aux = DOM, .addr = IOVA);
	cr_assert_eq(checkers_nr_violations(cs), 0);
}

Test(iotlb, lazy_window_is_counted_not_reported_until_the_flush)
{
	struct check_stats st;

	lazy_unmap();
	EMIT(.kind = EV_IOTLB_HIT, .aux = DOM, .addr = IOVA);
	EMIT(.kind = EV_IOTLB_HIT, .aux = DOM, .addr = IOVA + 64);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	checkers_get_stats(cs, &st);
	cr_assert_eq(st.lazy_exposures, 2);
	cr_assert_eq(st.lazy_windows, 1);
	sm.m->now_ns = 10000000; /* the 10 ms flush-queue timer */
	EMIT(.kind = EV_IOTLB_INVALIDATE, .aux = DOM, .len = 0);
	EMIT(.kind = EV_FQ_FLUSH, .aux = DOM, .count = 1);
	checkers_get_stats(cs, &st);
	cr_assert_eq(st.lazy_window_ns_max, 10000000);
	EMIT(.kind = EV_IOTLB_HIT, .aux = DOM, .addr = IOVA);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "stale-iotlb-hit");
}

Test(iotlb, stale_pte_after_unmap)
{
	strict_unmap();
	EMIT(.kind = EV_IOTLB_FILL, .aux = DOM, .addr = IOVA, .phys = 0x200000);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "stale-pte");
}

Test(iotlb, iova_reused_inside_a_lazy_window)
{
	lazy_unmap();
	EMIT(.kind = EV_IOMMU_MAP, .aux = DOM, .addr = IOVA, .len = 4096);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "iova-reused-before-flush");
}

Test(iotlb, pgtable_page_freed_before_the_flush)
{
	EMIT(.kind = EV_PGTABLE_PAGE_ALLOC, .aux = DOM, .addr = 41);
	EMIT(.kind = EV_PGTABLE_PAGE_ALLOC, .aux = DOM, .addr = 42);
	/* strict order: unmap, sync, then the freelist goes */
	EMIT(.kind = EV_IOMMU_UNMAP, .aux = DOM, .addr = IOVA, .len = 4096);
	EMIT(.kind = EV_IOTLB_SYNC, .aux = DOM, .addr = IOVA, .len = 4096);
	EMIT(.kind = EV_PGTABLE_PAGE_FREE, .addr = 41);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	/* lazy: the page must wait for the flush queue */
	EMIT(.kind = EV_IOMMU_UNMAP, .aux = DOM, .addr = IOVA + 0x200000, .len = 4096);
	EMIT(.kind = EV_IOVA_QUEUED, .aux = DOM, .addr = IOVA + 0x200000, .len = 4096);
	EMIT(.kind = EV_PGTABLE_PAGE_FREE, .addr = 42);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "pgtable-freed-before-flush");
}

/* --- end to end on the IOMMU model --------------------------------------- */

Test(iotlb, model_strict_unmap_blocks_the_device)
{
	struct iommu_domain *dom = iommu_hw_domain_alloc(sm.m->iommus[0], IOMMU_DOMAIN_DMA);
	u8 buf[8];

	cr_assert_not_null(dom);
	cr_assert_eq(iommu_map(dom, IOVA, 0x200000, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	cr_assert_eq(pci_route_dma(sm.router, sm.c, dom, IOVA, buf, 8, false, NULL), 0);
	cr_assert_eq(iommu_unmap(dom, IOVA, SZ_4K), SZ_4K);
	/* iommu_unmap synced the IOTLB: the device faults, nothing stale */
	cr_assert_eq(pci_route_dma(sm.router, sm.c, dom, IOVA, buf, 8, false, NULL), -EIO);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	iommu_hw_domain_free(dom);
}

Test(iotlb, model_unmap_without_iotlb_sync_is_caught)
{
	struct iommu_domain *dom = iommu_hw_domain_alloc(sm.m->iommus[0], IOMMU_DOMAIN_DMA);
	struct iommu_iotlb_gather gather;
	u8 buf[8];

	cr_assert_not_null(dom);
	cr_assert_eq(iommu_map(dom, IOVA, 0x200000, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	cr_assert_eq(pci_route_dma(sm.router, sm.c, dom, IOVA, buf, 8, false, NULL), 0);
	/* a buggy unmap: PTEs cleared, the IOTLB never invalidated, then "returns" */
	iommu_iotlb_gather_init(&gather);
	cr_assert_eq(iommu_unmap_fast(dom, IOVA, SZ_4K, &gather), SZ_4K);
	EMIT(.kind = EV_DMA_UNMAP, .dev = sm.c, .addr = IOVA, .len = SZ_4K);
	cr_assert_eq(pci_route_dma(sm.router, sm.c, dom, IOVA, buf, 8, false, NULL), 0);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "stale-iotlb-hit");
	iommu_iotlb_sync(dom, &gather); /* frees the gathered page-table pages */
	iommu_hw_domain_free(dom);
}

Test(iotlb, model_remap_without_invalidation_is_caught)
{
	struct iommu_domain *dom = iommu_hw_domain_alloc(sm.m->iommus[0], IOMMU_DOMAIN_DMA);
	struct iommu_iotlb_gather gather;
	u8 buf[8];

	cr_assert_not_null(dom);
	cr_assert_eq(iommu_map(dom, IOVA, 0x200000, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	cr_assert_eq(pci_route_dma(sm.router, sm.c, dom, IOVA, buf, 8, false, NULL), 0);
	/* unmap without invalidation, then the IOVA goes to another buffer */
	iommu_iotlb_gather_init(&gather);
	cr_assert_eq(iommu_unmap_fast(dom, IOVA, SZ_4K, &gather), SZ_4K);
	cr_assert_eq(iommu_map(dom, IOVA, 0x400000, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	/* the device still reaches the old buffer through the stale entry */
	cr_assert_eq(pci_route_dma(sm.router, sm.c, dom, IOVA, buf, 8, false, NULL), 0);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "stale-iotlb-hit");
	cr_assert(strstr(checkers_violation(cs, 0)->message, "returns 0x200000"), "%s",
		  checkers_violation(cs, 0)->message);
	iommu_iotlb_sync(dom, &gather);
	iommu_hw_domain_free(dom);
}

Test(iotlb, unmap_return_only_closes_the_devices_own_domain)
{
	/* c's IOVAs come from domain 3; domain 4 (another device) unmaps the same IOVA */
	EMIT(.kind = EV_IOVA_ALLOC, .dev = sm.c, .aux = DOM, .addr = IOVA, .len = 4096);
	EMIT(.kind = EV_IOMMU_UNMAP, .aux = DOM + 1, .addr = IOVA, .len = 4096);
	strict_unmap(); /* c's own unmap returns (EV_DMA_UNMAP) */
	/* domain 4's unmap is still in progress: a hit there is legal */
	EMIT(.kind = EV_IOTLB_HIT, .aux = DOM + 1, .addr = IOVA);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	EMIT(.kind = EV_IOTLB_HIT, .aux = DOM, .addr = IOVA);
	cr_assert_eq(checkers_nr_violations(cs), 1);
}

/* --- the two-step IOVA API through src/iommu/dma-iommu.c ------------------ */

static struct device two_step_dev(enum iommu_mode mode)
{
	struct device dev = {
		.name = "c",
		.pdev = sm.c,
		.machine = sm.m,
		.dma_mask = DMA_BIT_MASK(64),
		.coherent_dma_mask = DMA_BIT_MASK(64),
		.dma_coherent = true,
	};

	return dev;
}

Test(iotlb, two_step_free_without_unlink)
{
	struct device dev = two_step_dev(IOMMU_MODE_STRICT);
	struct dma_iova_state state = { 0 };

	cr_assert_eq(iommu_probe_device_dma(&dev, sm.m->iommus[0], IOMMU_MODE_STRICT), 0);
	cr_assert(dma_iova_try_alloc(&dev, &state, 0, 2 * SZ_4K));
	cr_assert_eq(dma_iova_link(&dev, &state, 0x200000, 0, SZ_4K, DMA_TO_DEVICE, 0), 0);
	cr_assert_eq(dma_iova_link(&dev, &state, 0x300000, SZ_4K, SZ_4K, DMA_TO_DEVICE, 0), 0);
	cr_assert_eq(dma_iova_sync(&dev, &state, 0, 2 * SZ_4K), 0);
	/* unlink only the first page, then give the whole range back */
	dma_iova_unlink(&dev, &state, 0, SZ_4K, DMA_TO_DEVICE, 0);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	sm.m->events.current_line = 21;
	dma_iova_free(&dev, &state);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "iova-freed-while-mapped");
	cr_assert_eq(checkers_violation(cs, 0)->line, 21);
	iommu_release_device_dma(&dev);
}

Test(iotlb, two_step_destroy_is_clean)
{
	struct device dev = two_step_dev(IOMMU_MODE_LAZY);
	struct dma_iova_state state = { 0 };

	cr_assert_eq(iommu_probe_device_dma(&dev, sm.m->iommus[0], IOMMU_MODE_LAZY), 0);
	cr_assert(dma_iova_try_alloc(&dev, &state, 0, 2 * SZ_4K));
	cr_assert_eq(dma_iova_link(&dev, &state, 0x200000, 0, 2 * SZ_4K, DMA_TO_DEVICE, 0), 0);
	cr_assert_eq(dma_iova_sync(&dev, &state, 0, 2 * SZ_4K), 0);
	dma_iova_destroy(&dev, &state, 2 * SZ_4K, DMA_TO_DEVICE, 0);
	sm.m->now_ns = 20000000;
	iommu_dma_run_timers(sm.m);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	iommu_release_device_dma(&dev);
}
