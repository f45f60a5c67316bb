// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_check_route.c - the route oracle (DESIGN.md §3): a DMA declared with
 * checkers_dma_begin() and issued through models/pci/route.c must reach
 * exactly the intended bytes while its mapping is live; after unmap it must
 * not land (strict: violation; lazy window: counted exposure); after revoke
 * it must not land either.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers/switch_machine.h"
#include "models/iommu/iommu_hw.h"
#include "sim/check/check.h"
#include "src/dma/dma.h"
#include "src/iommu/iommu.h"

static struct switch_machine sm;
static struct checkers *cs;
static struct iommu_domain *dom;

#define EMIT(...)                                       \
	do {                                            \
		struct sim_event ev_ = { __VA_ARGS__ }; \
		event_bus_emit(&sm.m->events, &ev_);    \
	} while (0)

#define IOVA 0x10000ULL
#define BUF 0x200000ULL

static void setup(void)
{
	char msg[128];

	sm_init(&sm, IOMMU_MODE_STRICT);
	cr_assert_eq(checkers_new(sm.m, sm.router, "route,iotlb", NULL, &cs, msg, sizeof(msg)), 0);
	dom = iommu_hw_domain_alloc(sm.m->iommus[0], IOMMU_DOMAIN_DMA);
	cr_assert_not_null(dom);
}

static void teardown(void)
{
	iommu_hw_domain_free(dom);
	checkers_free(cs);
	sm_fini(&sm);
}

TestSuite(oracle, .init = setup, .fini = teardown);

/* Declare, issue and close one DMA by @dev. Returns pci_route_dma()'s result. */
static int dma(const struct pci_dev *dev, struct iommu_domain *d, u64 addr, u64 len, bool write,
	       enum dma_intent_state state, phys_addr_t expect)
{
	struct dma_intent in = {
		.dev = dev,
		.dma_addr = addr,
		.len = len,
		.write = write,
		.state = state,
		.expect_phys = expect,
		.handle = "h1",
	};
	struct route_result res;
	u8 buf[256];
	int ret;

	cr_assert(len <= sizeof(buf));
	memset(buf, 0x3c, sizeof(buf));
	checkers_dma_begin(cs, &in);
	ret = pci_route_dma(sm.router, dev, d, addr, buf, len, write, &res);
	checkers_dma_end(cs, &res);
	return ret;
}

static void map_live(void)
{
	cr_assert_eq(iommu_map(dom, IOVA, BUF, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	EMIT(.kind = EV_DMA_MAP, .dev = sm.c, .addr = IOVA, .phys = BUF, .len = SZ_4K,
	     .dir = DMA_BIDIRECTIONAL);
}

static const char *kind(size_t i)
{
	cr_assert_lt(i, checkers_nr_violations(cs));
	return checkers_violation(cs, i)->kind;
}

Test(oracle, live_mapping_reaches_its_bytes)
{
	struct check_stats st;

	map_live();
	cr_assert_eq(dma(sm.c, dom, IOVA + 0x10, 64, true, DMA_INTENT_LIVE,
			 DMA_INTENT_PHYS_FROM_MAPPING),
		     0);
	cr_assert_eq(dma(sm.c, dom, IOVA + 0x80, 64, false, DMA_INTENT_LIVE, BUF + 0x80), 0);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	checkers_get_stats(cs, &st);
	cr_assert_eq(st.dmas_checked, 2);
}

Test(oracle, misdirected)
{
	map_live();
	sm.m->events.current_line = 14;
	cr_assert_eq(dma(sm.c, dom, IOVA, 64, true, DMA_INTENT_LIVE, 0x300000), 0);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(kind(0), "misdirected");
	cr_assert_eq(checkers_violation(cs, 0)->line, 14);
	cr_assert_str_eq(checkers_violation(cs, 0)->checker, "route");
	cr_assert(strstr(checkers_violation(cs, 0)->message, "landed at 0x200000, expected "
							     "0x300000"),
		  "%s", checkers_violation(cs, 0)->message);
}

Test(oracle, lost_when_a_live_mapping_faults)
{
	/* the runner believes in a mapping the page table does not have */
	cr_assert_eq(dma(sm.c, dom, IOVA, 64, false, DMA_INTENT_LIVE, BUF), -EIO);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(kind(0), "lost");
	cr_assert(strstr(checkers_violation(cs, 0)->message, "iommu-fault"));
}

Test(oracle, strict_use_after_unmap_is_blocked_by_the_iommu)
{
	struct check_stats st;

	map_live();
	cr_assert_eq(iommu_unmap(dom, IOVA, SZ_4K), SZ_4K);
	EMIT(.kind = EV_DMA_UNMAP, .dev = sm.c, .addr = IOVA, .len = SZ_4K,
	     .dir = DMA_BIDIRECTIONAL);
	cr_assert_eq(dma(sm.c, dom, IOVA, 64, true, DMA_INTENT_UNMAPPED, 0), -EIO);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	checkers_get_stats(cs, &st);
	cr_assert_eq(st.blocked_after_unmap, 1);
}

Test(oracle, strict_use_after_unmap_into_a_reused_iova)
{
	map_live();
	cr_assert_eq(iommu_unmap(dom, IOVA, SZ_4K), SZ_4K);
	/* strict frees the IOVA at once: someone else's buffer gets it */
	cr_assert_eq(iommu_map(dom, IOVA, 0x400000, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	cr_assert_eq(dma(sm.c, dom, IOVA, 64, true, DMA_INTENT_UNMAPPED, 0), 0);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(kind(0), "use-after-unmap");
	cr_assert(strstr(checkers_violation(cs, 0)->message, "reached 0x400000"));
}

Test(oracle, lazy_use_after_unmap_is_counted_exposure)
{
	struct iommu_iotlb_gather gather;
	struct check_stats st;

	map_live();
	/* touch it so the IOTLB holds the translation */
	cr_assert_eq(dma(sm.c, dom, IOVA, 64, false, DMA_INTENT_LIVE, BUF), 0);
	/* lazy unmap: PTE cleared, IOTLB flush deferred to the flush queue */
	iommu_iotlb_gather_init(&gather);
	gather.queued = true;
	cr_assert_eq(iommu_unmap_fast(dom, IOVA, SZ_4K, &gather), SZ_4K);
	EMIT(.kind = EV_IOVA_QUEUED, .aux = dom->id, .addr = IOVA, .len = SZ_4K);
	EMIT(.kind = EV_DMA_UNMAP, .dev = sm.c, .addr = IOVA, .len = SZ_4K,
	     .dir = DMA_BIDIRECTIONAL);
	cr_assert_eq(dma(sm.c, dom, IOVA, 64, true, DMA_INTENT_UNMAPPED, 0), 0);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	checkers_get_stats(cs, &st);
	cr_assert_eq(st.lazy_exposures, 1);
	/* the flush-queue flush closes the window: the device now faults */
	iommu_flush_iotlb_all(dom);
	EMIT(.kind = EV_FQ_FLUSH, .aux = dom->id, .count = 1);
	cr_assert_eq(dma(sm.c, dom, IOVA, 64, true, DMA_INTENT_UNMAPPED, 0), -EIO);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	io_pgtable_free_list(sm.m->iommus[0], gather.freelist);
}

Test(oracle, no_iommu_use_after_unmap_lands)
{
	/* d sits behind hb1, which has no IOMMU: nothing stops it */
	cr_assert_eq(dma(sm.d, NULL, BUF, 32, true, DMA_INTENT_UNMAPPED, 0), 0);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(kind(0), "use-after-unmap");
	cr_assert(strstr(checkers_violation(cs, 0)->message, "no IOMMU stood in the way"));
}

Test(oracle, use_after_revoke)
{
	cr_assert_eq(dma(sm.d, NULL, BUF, 32, false, DMA_INTENT_REVOKED, 0), 0);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(kind(0), "use-after-revoke");
}

Test(oracle, bounced_dma_reaches_the_slot_of_its_buffer)
{
	/* a 32-bit-limited transfer bounced through swiotlb: dma address = slot */
	EMIT(.kind = EV_SWIOTLB_MAP, .dev = sm.d, .phys = 0x40000000ULL, .addr = 0x7000000ULL,
	     .len = SZ_4K);
	cr_assert_eq(dma(sm.d, NULL, 0x7000000ULL + 0x20, 64, true, DMA_INTENT_LIVE,
			 0x40000000ULL + 0x20),
		     0);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	/* a slot bouncing someone else's buffer is not the intended bytes */
	cr_assert_eq(dma(sm.d, NULL, 0x7000000ULL, 64, true, DMA_INTENT_LIVE, 0x50000000ULL), 0);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(kind(0), "misdirected");
}

Test(oracle, raw_dma_and_other_requesters_are_not_judged)
{
	cr_assert_eq(dma(sm.d, NULL, 0x3000000000ULL, 8, false, DMA_INTENT_RAW, 0), -EIO);
	cr_assert_eq(checkers_nr_violations(cs), 0);
}

Test(oracle, disabled_route_checker_is_silent)
{
	struct dma_intent in = {
		.dev = sm.d, .dma_addr = BUF, .len = 32, .write = true, .state = DMA_INTENT_UNMAPPED
	};
	struct checkers *off;
	char msg[128];
	u8 buf[32] = { 0 };

	cr_assert_eq(checkers_new(sm.m, sm.router, "all", "route", &off, msg, sizeof(msg)), 0);
	checkers_dma_begin(off, &in);
	checkers_dma_begin(cs, &in);
	cr_assert_eq(pci_route_dma(sm.router, sm.d, NULL, BUF, buf, 32, true, NULL), 0);
	checkers_dma_end(cs, NULL);
	checkers_dma_end(off, NULL);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_eq(checkers_nr_violations(off), 0);
	checkers_free(off);
}

Test(oracle, extents_of_a_merged_sg_segment)
{
	/* one IOVA range over two discontiguous pages, as iommu_dma_map_sg merges them */
	static const struct dma_intent_extent ext[] = { { 0x300000, SZ_4K }, { 0x500000, SZ_4K } };
	struct dma_intent in = { .dev = sm.c, .dma_addr = IOVA, .len = 2 * SZ_4K, .write = true,
				 .state = DMA_INTENT_LIVE, .extents = ext, .nr_extents = 2 };
	u8 buf[2 * SZ_4K];

	memset(buf, 0x11, sizeof(buf));
	cr_assert_eq(iommu_map(dom, IOVA, 0x300000, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	cr_assert_eq(iommu_map(dom, IOVA + SZ_4K, 0x500000, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	checkers_dma_begin(cs, &in);
	cr_assert_eq(pci_route_dma(sm.router, sm.c, dom, IOVA, buf, sizeof(buf), true, NULL), 0);
	checkers_dma_end(cs, NULL);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	/* the second page mapped to the wrong buffer */
	cr_assert_eq(iommu_unmap(dom, IOVA + SZ_4K, SZ_4K), SZ_4K);
	cr_assert_eq(iommu_map(dom, IOVA + SZ_4K, 0x600000, SZ_4K, IOMMU_READ | IOMMU_WRITE), 0);
	checkers_dma_begin(cs, &in);
	cr_assert_eq(pci_route_dma(sm.router, sm.c, dom, IOVA, buf, sizeof(buf), true, NULL), 0);
	checkers_dma_end(cs, NULL);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(kind(0), "misdirected");
	cr_assert(strstr(checkers_violation(cs, 0)->message, "landed at 0x600000, expected 0x500000"),
		  "%s", checkers_violation(cs, 0)->message);
}
