// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_check_leaks.c - the leaks checker: swiotlb slots and mappings held at
 * device release, and mappings / bounce slots / IOVA ranges still live at
 * the end of the run, fed as events.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "helpers/switch_machine.h"
#include "models/iommu/iommu_hw.h"
#include "sim/check/check.h"
#include "src/dma/dma.h"
#include "src/iommu/iommu.h"

static struct switch_machine sm;
static struct checkers *cs;

#define EMIT(...)                                       \
	do {                                            \
		struct sim_event ev_ = { __VA_ARGS__ }; \
		event_bus_emit(&sm.m->events, &ev_);    \
	} while (0)

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

TestSuite(leaks, .init = setup, .fini = teardown);

static void start(const char *enable)
{
	char msg[128];

	cr_assert_eq(checkers_new(sm.m, sm.router, enable, NULL, &cs, msg, sizeof(msg)), 0, "%s",
		     msg);
}

Test(leaks, balanced_run_is_clean)
{
	start(NULL);
	EMIT(.kind = EV_IOVA_ALLOC, .aux = 1, .addr = 0xfffff000, .len = 4096);
	EMIT(.kind = EV_DMA_MAP, .dev = sm.c, .addr = 0xfffff000, .phys = 0x200000, .len = 4096,
	     .dir = DMA_TO_DEVICE);
	EMIT(.kind = EV_DMA_MAPPING_ERROR_CHECKED, .dev = sm.c, .addr = 0xfffff000);
	EMIT(.kind = EV_SWIOTLB_MAP, .dev = sm.d, .phys = 0x300000, .addr = 0x7000000, .len = 512);
	EMIT(.kind = EV_SWIOTLB_UNMAP, .dev = sm.d, .addr = 0x7000000, .len = 512);
	EMIT(.kind = EV_DMA_UNMAP, .dev = sm.c, .addr = 0xfffff000, .len = 4096,
	     .dir = DMA_TO_DEVICE);
	EMIT(.kind = EV_IOVA_FREE, .aux = 1, .addr = 0xfffff000, .len = 4096);
	/* a lazily freed IOVA waits in the flush queue: not a leak */
	EMIT(.kind = EV_IOVA_ALLOC, .aux = 1, .addr = 0xffffe000, .len = 4096);
	EMIT(.kind = EV_IOVA_QUEUED, .aux = 1, .addr = 0xffffe000, .len = 4096);
	EMIT(.kind = EV_DEVICE_RELEASE, .dev = sm.c);
	EMIT(.kind = EV_DEVICE_RELEASE, .dev = sm.d);
	checkers_finish(cs);
	checkers_finish(cs); /* idempotent */
	cr_assert_eq(checkers_nr_violations(cs), 0);
}

Test(leaks, swiotlb_slot_held_at_release)
{
	start("leaks");
	sm.m->events.current_line = 5;
	EMIT(.kind = EV_SWIOTLB_MAP, .dev = sm.d, .phys = 0x300000, .addr = 0x7000000, .len = 512,
	     .count = 1);
	sm.m->events.current_line = 9;
	EMIT(.kind = EV_DEVICE_RELEASE, .dev = sm.d);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "swiotlb-slots-at-release");
	cr_assert_eq(checkers_violation(cs, 0)->line, 9);
	cr_assert(strstr(checkers_violation(cs, 0)->message, "line 5"), "%s",
		  checkers_violation(cs, 0)->message);
	/* another device's release does not see it */
	EMIT(.kind = EV_DEVICE_RELEASE, .dev = sm.c);
	cr_assert_eq(checkers_nr_violations(cs), 1);
}

Test(leaks, mappings_at_release_when_dma_debug_is_off)
{
	start("leaks");
	EMIT(.kind = EV_DMA_MAP, .dev = sm.c, .addr = 0x1000, .phys = 0x200000, .len = 64,
	     .dir = DMA_TO_DEVICE);
	EMIT(.kind = EV_DEVICE_RELEASE, .dev = sm.c);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "mappings-at-release");
	cr_assert_str_eq(checkers_violation(cs, 0)->checker, "leaks");
}

Test(leaks, end_of_run_reports_what_is_still_live)
{
	start("leaks");
	sm.m->events.current_line = 3;
	/* an IOVA behind a live mapping: reported once, as the mapping */
	EMIT(.kind = EV_IOVA_ALLOC, .aux = 1, .addr = 0xfffff000, .len = 4096);
	EMIT(.kind = EV_DMA_MAP, .dev = sm.c, .addr = 0xfffff000, .phys = 0x200000, .len = 4096,
	     .dir = DMA_FROM_DEVICE);
	sm.m->events.current_line = 4;
	EMIT(.kind = EV_SWIOTLB_MAP, .dev = sm.d, .phys = 0x300000, .addr = 0x7000000, .len = 512);
	sm.m->events.current_line = 6;
	/* an IOVA allocated (two-step API) and never freed */
	EMIT(.kind = EV_IOVA_ALLOC, .aux = 1, .addr = 0xff000000, .len = 0x10000);
	checkers_finish(cs);
	cr_assert_eq(checkers_nr_violations(cs), 3);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "mapping-leak");
	cr_assert_eq(checkers_violation(cs, 0)->line, 3);
	cr_assert_eq(checkers_violation(cs, 0)->nr_trace, 4);
	cr_assert_str_eq(checkers_violation(cs, 1)->kind, "swiotlb-leak");
	cr_assert_eq(checkers_violation(cs, 1)->line, 4);
	cr_assert_str_eq(checkers_violation(cs, 2)->kind, "iova-leak");
	cr_assert_eq(checkers_violation(cs, 2)->line, 6);
	cr_assert_eq(checkers_violation(cs, 2)->event.kind, EV__COUNT);
}

Test(leaks, report_text_and_json)
{
	struct json_object *j;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	start("leaks");
	sm.m->events.current_line = 2;
	EMIT(.kind = EV_SWIOTLB_MAP, .dev = sm.d, .phys = 0x300000, .addr = 0x7000000, .len = 512);
	checkers_finish(cs);
	f = open_memstream(&text, &len);
	cr_assert_eq(checkers_print(cs, f, "t.scn"), 1);
	fclose(f);
	cr_assert(strstr(text, "t.scn:2: violation [leaks/swiotlb-leak]: d: swiotlb bounce"));
	cr_assert(strstr(text, "  rule: kernel/dma/swiotlb.c"));
	cr_assert(strstr(text, "    swiotlb_map line=2"));
	free(text);
	j = checkers_to_json(cs);
	cr_assert_str_eq(
		json_object_get_string(json_object_object_get(
			json_object_array_get_idx(json_object_object_get(j, "violations"), 0),
			"kind")),
		"swiotlb-leak");
	json_object_put(j);
}

Test(leaks, unknown_checker_name_is_an_input_error)
{
	char msg[160];
	struct checkers *bad = (struct checkers *)1;

	cr_assert_eq(checkers_new(sm.m, NULL, "leaks,bogus", NULL, &bad, msg, sizeof(msg)),
		     -EINVAL);
	cr_assert_null(bad);
	cr_assert(strstr(msg, "unknown checker 'bogus'"), "%s", msg);
	cr_assert_eq(checkers_new(sm.m, NULL, NULL, "nope", &bad, msg, sizeof(msg)), -EINVAL);
	cr_assert_not_null(checkers_describe("route"));
	cr_assert_null(checkers_describe("nope"));
	cr_assert_str_eq(checkers_names()[0], "dma-debug");
	start("all");
}

Test(leaks, iova_held_at_release_is_reported_once)
{
	start("leaks");
	sm.m->events.current_line = 2;
	EMIT(.kind = EV_IOVA_ALLOC, .dev = sm.c, .aux = 1, .addr = 0xff000000, .len = 0x10000);
	/* another device's IOVA, and one behind a live mapping, are not c's leak */
	EMIT(.kind = EV_IOVA_ALLOC, .dev = sm.a, .aux = 2, .addr = 0xff000000, .len = 0x1000);
	EMIT(.kind = EV_SWIOTLB_MAP, .dev = sm.c, .phys = 0x300000, .addr = 0x7000000, .len = 64);
	sm.m->events.current_line = 8;
	EMIT(.kind = EV_DEVICE_RELEASE, .dev = sm.c);
	cr_assert_eq(checkers_nr_violations(cs), 2);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "swiotlb-slots-at-release");
	cr_assert_str_eq(checkers_violation(cs, 1)->kind, "iova-at-release");
	cr_assert_eq(checkers_violation(cs, 1)->line, 8);
	checkers_finish(cs);
	/* only a's IOVA is new at the end of the run */
	cr_assert_eq(checkers_nr_violations(cs), 3);
	cr_assert_str_eq(checkers_violation(cs, 2)->kind, "iova-leak");
	cr_assert_eq(checkers_violation(cs, 2)->dev, sm.a);
}

Test(leaks, pgtable_pages_detached_and_never_freed)
{
	struct iommu_domain *dom = iommu_hw_domain_alloc(sm.m->iommus[0], IOMMU_DOMAIN_DMA);
	struct iommu_iotlb_gather gather;

	start("leaks");
	cr_assert_not_null(dom);
	/* 2 MiB of 4 KiB pages (the physical side is not 2 MiB aligned): one leaf table */
	cr_assert_eq(iommu_map(dom, 0x200000, 0x201000, SZ_2M, IOMMU_READ | IOMMU_WRITE), 0);
	iommu_iotlb_gather_init(&gather);
	cr_assert_eq(iommu_unmap_fast(dom, 0x200000, SZ_2M, &gather), SZ_2M);
	cr_assert_not_null(gather.freelist, "the leaf table was detached");
	/* the unmap "returns" without the sync that would free the table */
	EMIT(.kind = EV_DMA_UNMAP, .dev = sm.c, .addr = 0x200000, .len = SZ_2M);
	checkers_finish(cs);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "pgtable-leak");
	cr_assert(strstr(checkers_violation(cs, 0)->message, "iommu0: 1 page-table page"), "%s",
		  checkers_violation(cs, 0)->message);
	io_pgtable_free_list(sm.m->iommus[0], gather.freelist);
	iommu_hw_domain_free(dom);
}

Test(leaks, pgtable_pages_synced_are_not_leaks)
{
	struct iommu_domain *dom = iommu_hw_domain_alloc(sm.m->iommus[0], IOMMU_DOMAIN_DMA);

	start("leaks");
	cr_assert_eq(iommu_map(dom, 0x200000, 0x201000, SZ_2M, IOMMU_READ | IOMMU_WRITE), 0);
	cr_assert_eq(iommu_unmap(dom, 0x200000, SZ_2M), SZ_2M);
	checkers_finish(cs);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	iommu_hw_domain_free(dom);
}

Test(leaks, hmm_map_freed_with_mapped_pfns)
{
	start("leaks");
	EMIT(.kind = EV_HMM_MAP_FREE, .dev = sm.c, .addr = 0, .len = 16, .count = 0);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	sm.m->events.current_line = 11;
	EMIT(.kind = EV_HMM_MAP_FREE, .dev = sm.c, .addr = 0xff000000, .len = 16, .count = 3);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "hmm-pfns-mapped-at-free");
	cr_assert_eq(checkers_violation(cs, 0)->line, 11);
	cr_assert(strstr(checkers_violation(cs, 0)->message, "3 of 16 pfns still DMA-mapped"));
}
