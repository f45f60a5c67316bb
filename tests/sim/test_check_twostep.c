// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_check_twostep.c - the two-step IOVA API rules built from the API's own
 * events (sim/check/twostep.c): dma-debug's iova-link-overlap and
 * iova-unlink-not-linked, fed as EV_IOVA_LINK / EV_IOVA_UNLINK / EV_IOVA_*
 * events the way src/iommu/dma-iommu.c emits them (a link after its work,
 * with its outcome; an unlink or destroy before it, flags=1 for destroy).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers/switch_machine.h"
#include "sim/check/check.h"
#include "src/dma/dma.h"

#define DOM 7
#define IOVA 0xffff0000ULL

static struct switch_machine sm;
static struct checkers *cs;

#define EMIT(...)                                       \
	do {                                            \
		struct sim_event ev_ = { __VA_ARGS__ }; \
		event_bus_emit(&sm.m->events, &ev_);    \
	} while (0)

#define LINK(off, n, r)                                                           \
	EMIT(.kind = EV_IOVA_LINK, .dev = sm.c, .aux = DOM, .addr = IOVA + (off), \
	     .phys = 0x200000 + (off), .len = (n), .dir = DMA_BIDIRECTIONAL, .ret = (r))
#define UNLINK(off, n)                                                                          \
	EMIT(.kind = EV_IOVA_UNLINK, .dev = sm.c, .aux = DOM, .addr = IOVA + (off), .len = (n), \
	     .dir = DMA_BIDIRECTIONAL)
#define DESTROY(n)                                                                      \
	EMIT(.kind = EV_IOVA_UNLINK, .dev = sm.c, .aux = DOM, .addr = IOVA, .len = (n), \
	     .flags = 1, .dir = DMA_BIDIRECTIONAL)
#define ALLOC(n) EMIT(.kind = EV_IOVA_ALLOC, .dev = sm.c, .aux = DOM, .addr = IOVA, .len = (n))
#define FREE(n) EMIT(.kind = EV_IOVA_FREE, .aux = DOM, .addr = IOVA, .len = (n))

static void setup(void)
{
	cs = NULL;
	sm_init(&sm, IOMMU_MODE_STRICT);
}

static void teardown(void)
{
	checkers_free(cs);
	sm_fini(&sm);
}

TestSuite(twostep, .init = setup, .fini = teardown);

static void start(const char *enable)
{
	char msg[128];

	cr_assert_eq(checkers_new(sm.m, sm.router, enable, NULL, &cs, msg, sizeof(msg)), 0, "%s",
		     msg);
}

static void line(int n)
{
	sm.m->events.current_line = n;
}

/* The one violation reported so far, of @checker and @kind. */
static const struct check_violation *only_of(const char *checker, const char *kind)
{
	const struct check_violation *v;

	cr_assert_eq(checkers_nr_violations(cs), 1);
	v = checkers_violation(cs, 0);
	cr_assert_str_eq(v->checker, checker);
	cr_assert_str_eq(v->kind, kind);
	cr_assert_null(v->kernel_msg, "upstream has no two-step debug hooks: no kernel words");
	return v;
}

static const struct check_violation *only(const char *kind)
{
	return only_of("dma-debug", kind);
}

Test(twostep, clean_sequences_are_silent)
{
	start(NULL);
	ALLOC(0x10000);
	/* adjacent links, the first ending mid-granule (an NVMe-style head) */
	LINK(0, 0xf00, 0);
	LINK(0xf00, 0x1100, 0);
	LINK(0x2000, 0x1000, 0);
	/* exact unlink of one link, linked again after it: no overlap */
	UNLINK(0x2000, 0x1000);
	LINK(0x2000, 0x1000, 0);
	/* partial unlink of a linked range (its last half) */
	UNLINK(0x2800, 0x800);
	/* destroy of exactly mapped_len = every byte still linked, then its free */
	DESTROY(0x2800);
	EMIT(.kind = EV_IOMMU_UNMAP, .aux = DOM, .addr = IOVA, .len = 0x3000);
	EMIT(.kind = EV_IOTLB_SYNC, .aux = DOM, .addr = IOVA, .len = 0x3000);
	FREE(0x3000);
	/* the first link failed: destroy(0) frees the whole reservation, nothing to unlink */
	ALLOC(0x4000);
	LINK(0, 0x1000, -ENOMEM);
	DESTROY(0);
	FREE(0x4000);
	cr_assert_eq(checkers_nr_violations(cs), 0, "%s",
		     checkers_nr_violations(cs) ? checkers_violation(cs, 0)->message : "");
}

Test(twostep, link_over_a_linked_range_is_reported_once_failed_or_not)
{
	const struct check_violation *v;

	start(NULL);
	ALLOC(0x4000);
	line(3);
	LINK(0, 0x2000, 0);
	line(5);
	/* the IOMMU driver refused the map over a present entry */
	LINK(0x1000, 0x1000, -EEXIST);
	v = only("iova-link-overlap");
	cr_assert_eq(v->line, 5);
	cr_assert_eq(v->event.kind, EV_IOVA_LINK);
	cr_assert(strstr(v->message, "0xffff1000 (+4096)"), "%s", v->message);
	cr_assert(strstr(v->message, "over 0xffff0000 (+8192), linked at line 3"), "%s",
		  v->message);
	cr_assert(strstr(v->message, "failed (-17)"), "%s", v->message);
	cr_assert(strstr(v->rule, "dma_iova_link()"), "%s", v->rule);
	/* the failed link left nothing linked: [0x2000, 0x3000) is still free to link */
	LINK(0x2000, 0x1000, 0);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	/* an overlapping link some IOMMU accepted (ret 0): one more report, not "failed" */
	line(9);
	LINK(0x2800, 0x1000, 0);
	cr_assert_eq(checkers_nr_violations(cs), 2);
	cr_assert_eq(checkers_violation(cs, 1)->line, 9);
	cr_assert_null(strstr(checkers_violation(cs, 1)->message, "failed"));
	/* its bytes are linked once: the union [0, 0x3800) unlinks cleanly */
	UNLINK(0, 0x3800);
	cr_assert_eq(checkers_nr_violations(cs), 2);
}

Test(twostep, unlink_of_bytes_not_linked)
{
	const struct check_violation *v;

	start(NULL);
	ALLOC(0x4000);
	LINK(0, 0x1000, 0);
	LINK(0x2000, 0x1000, 0);
	line(7);
	/* [0, 0x3000): the hole [0x1000, 0x2000) was never linked */
	UNLINK(0, 0x3000);
	v = only("iova-unlink-not-linked");
	cr_assert_eq(v->line, 7);
	cr_assert_eq(v->event.kind, EV_IOVA_UNLINK);
	cr_assert(strstr(v->message, "dma_iova_unlink() of IOVA 0xffff0000 (+12288)"), "%s",
		  v->message);
	cr_assert(strstr(v->message, "0xffff1000 (+4096) is not linked"), "%s", v->message);
	/* the linked parts went anyway: unlinking them again is reported (already unlinked) */
	line(8);
	UNLINK(0x2000, 0x1000);
	cr_assert_eq(checkers_nr_violations(cs), 2);
	cr_assert_str_eq(checkers_violation(cs, 1)->kind, "iova-unlink-not-linked");
	cr_assert(strstr(checkers_violation(cs, 1)->message, "0xffff2000 (+4096) is not linked"));
}

Test(twostep, failed_link_is_not_linked)
{
	start(NULL);
	ALLOC(0x2000);
	LINK(0x1000, 0x1000, -EIO);
	UNLINK(0x1000, 0x1000);
	only("iova-unlink-not-linked");
}

Test(twostep, destroy_past_the_linked_bytes)
{
	const struct check_violation *v;

	start(NULL);
	ALLOC(0x4000);
	LINK(0, 0x1000, 0);
	line(12);
	DESTROY(0x2000);
	v = only("iova-unlink-not-linked");
	cr_assert_eq(v->line, 12);
	cr_assert(strstr(v->message, "dma_iova_destroy() with mapped_len of IOVA 0xffff0000 "
				     "(+8192)"),
		  "%s", v->message);
	cr_assert(strstr(v->message, "0xffff1000 (+4096) is not linked"), "%s", v->message);
}

Test(twostep, a_freed_allocation_forgets_its_links)
{
	start(NULL);
	ALLOC(0x4000);
	LINK(0, 0x1000, 0);
	LINK(0x2000, 0x1000, 0);
	/* destroy(mapped_len = 4K) frees 4K of the 16K allocation (the size-class quirk) */
	DESTROY(0x1000);
	EMIT(.kind = EV_IOMMU_UNMAP, .aux = DOM, .addr = IOVA, .len = 0x1000);
	FREE(0x1000);
	/*
	 * The link left at 0x2000 is gone with the allocation (leaks/iova-destroy-left-linked
	 * reports that, from the IOMMU events): the next owner's links are not overlaps.
	 */
	ALLOC(0x4000);
	LINK(0x2000, 0x1000, 0);
	/* ... and the new owner's unlink of a range the old one linked is not "linked" */
	UNLINK(0, 0x1000);
	only("iova-unlink-not-linked");
}

Test(twostep, lazily_queued_allocation_forgets_its_links_too)
{
	start(NULL);
	ALLOC(0x2000);
	LINK(0, 0x2000, 0);
	DESTROY(0x2000);
	EMIT(.kind = EV_IOMMU_UNMAP, .aux = DOM, .addr = IOVA, .len = 0x2000);
	EMIT(.kind = EV_IOVA_QUEUED, .aux = DOM, .addr = IOVA, .len = 0x2000);
	EMIT(.kind = EV_FQ_FLUSH, .aux = DOM, .count = 1);
	FREE(0x2000);
	ALLOC(0x2000);
	LINK(0, 0x2000, 0);
	cr_assert_eq(checkers_nr_violations(cs), 0);
}

Test(twostep, other_domains_do_not_mix)
{
	start(NULL);
	LINK(0, 0x1000, 0);
	EMIT(.kind = EV_IOVA_LINK, .dev = sm.a, .aux = DOM + 1, .addr = IOVA, .phys = 0x300000,
	     .len = 0x1000);
	EMIT(.kind = EV_IOVA_UNLINK, .dev = sm.a, .aux = DOM + 1, .addr = IOVA, .len = 0x1000);
	UNLINK(0, 0x1000);
	cr_assert_eq(checkers_nr_violations(cs), 0);
}

Test(twostep, nothing_reported_with_dma_debug_off)
{
	start("leaks,iotlb");
	LINK(0, 0x1000, 0);
	LINK(0, 0x1000, -EEXIST);
	UNLINK(0x1000, 0x1000);
	cr_assert_eq(checkers_nr_violations(cs), 0);
}

#define UNMAP(off, n) EMIT(.kind = EV_IOMMU_UNMAP, .aux = DOM, .addr = IOVA + (off), .len = (n))

/* 6ec91df8aff7: a failing link's unwind from offset 0 unmaps an earlier, live link. */
Test(twostep, a_link_unmapped_under_its_caller_is_lost)
{
	start("iotlb");
	line(3);
	LINK(0x200, 0xe00, 0);
	line(4);
	UNMAP(0, 0x1000); /* the unwind of the next link, before its EV_IOVA_LINK */
	UNMAP(0, 0x1000); /* reported once per link */
	LINK(0x1000, 0x200, -EINVAL);
	cr_assert_eq(only_of("iotlb", "iova-link-lost")->line, 4);
	cr_assert(strstr(checkers_violation(cs, 0)->message, "linked at line 3"));
}

Test(twostep, unmaps_of_an_unlink_or_of_nothing_linked_are_fine)
{
	start("iotlb");
	ALLOC(0x4000);
	LINK(0, 0x1000, 0);
	UNLINK(0, 0x1000); /* the unlink's event comes before its unmap */
	UNMAP(0, 0x1000);
	UNMAP(0x2000, 0x1000); /* a failed link's own unroll: it never was linked */
	LINK(0x1000, 0x1000, 0);
	DESTROY(0x2000);
	UNMAP(0, 0x2000);
	cr_assert_eq(checkers_nr_violations(cs), 0);
}

/* v5 of the link/unlink series: `continue` on no translation in the unlink slow path. */
Test(twostep, a_kernel_hang_is_reported)
{
	start("iotlb");
	line(9);
	EMIT(.kind = EV_KERNEL_HANG, .dev = sm.c, .aux = DOM, .addr = IOVA + 0x1000,
	     .flags = HANG_IOVA_UNLINK_SLOW);
	cr_assert_eq(only_of("iotlb", "hang")->line, 9);
	cr_assert(strstr(checkers_violation(cs, 0)->message, "forever"));
}
