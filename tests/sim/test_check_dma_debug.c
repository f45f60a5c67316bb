// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_check_dma_debug.c - the dma-debug checker fed EV_DMA_* events
 * directly through the machine's event bus. One test per class of
 * reference/dma-iommu.md §6.2 that applies to the streaming API (the class
 * number is in the test name), with the kernel's wording checked word for
 * word; and clean sequences that must stay silent.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "helpers/switch_machine.h"
#include "sim/check/check.h"
#include "src/dma/dma.h"

static struct switch_machine sm;
static struct checkers *cs;
static const struct pci_dev *dev;

#define EMIT(...)                                       \
	do {                                            \
		struct sim_event ev_ = { __VA_ARGS__ }; \
		event_bus_emit(&sm.m->events, &ev_);    \
	} while (0)

static void setup(void)
{
	char msg[128];

	sm_init(&sm, IOMMU_MODE_STRICT);
	dev = sm.c;
	cr_assert_eq(checkers_new(sm.m, sm.router, "dma-debug", NULL, &cs, msg, sizeof(msg)), 0,
		     "%s", msg);
}

static void teardown(void)
{
	checkers_free(cs);
	sm_fini(&sm);
}

TestSuite(dma_debug, .init = setup, .fini = teardown);

static void line(int n)
{
	sm.m->events.current_line = n;
}

static void map(u64 dma, u64 phys, u64 len, int dir, unsigned long attrs)
{
	EMIT(.kind = EV_DMA_MAP, .dev = dev, .addr = dma, .phys = phys, .len = len, .dir = dir,
	     .attrs = attrs);
}

static void checked(u64 dma)
{
	EMIT(.kind = EV_DMA_MAPPING_ERROR_CHECKED, .dev = dev, .addr = dma);
}

static void unmap(u64 dma, u64 len, int dir)
{
	EMIT(.kind = EV_DMA_UNMAP, .dev = dev, .addr = dma, .len = len, .dir = dir);
}

static void map_sg(u64 dma, u64 len, unsigned int nents, int mapped, int dir)
{
	EMIT(.kind = EV_DMA_MAP_SG, .dev = dev, .addr = dma, .len = len, .count = nents,
	     .ret = mapped, .dir = dir);
}

static void unmap_sg(u64 dma, u64 len, unsigned int nents, int dir)
{
	EMIT(.kind = EV_DMA_UNMAP_SG, .dev = dev, .addr = dma, .len = len, .count = nents,
	     .dir = dir);
}

static void sync(bool for_cpu, u64 dma, u64 len, int dir, unsigned int nents)
{
	EMIT(.kind = for_cpu ? EV_DMA_SYNC_FOR_CPU : EV_DMA_SYNC_FOR_DEVICE, .dev = dev,
	     .addr = dma, .len = len, .dir = dir, .count = nents);
}

/* Exactly one violation of @kind whose kernel message ends with @kmsg_tail. */
static const struct check_violation *expect_one(const char *kind, const char *kmsg_tail)
{
	const struct check_violation *v;
	char full[512];

	cr_assert_eq(checkers_nr_violations(cs), 1, "got %zu violations",
		     checkers_nr_violations(cs));
	v = checkers_violation(cs, 0);
	cr_assert_str_eq(v->checker, "dma-debug");
	cr_assert_str_eq(v->kind, kind);
	cr_assert_not_null(v->kernel_msg);
	snprintf(full, sizeof(full), "DMA-API: c 0000:05:00.0: %s", kmsg_tail);
	cr_assert_str_eq(v->kernel_msg, full);
	cr_assert_not_null(v->rule);
	return v;
}

Test(dma_debug, clean_single_and_sg_sequences_are_silent)
{
	map(0x1000, 0x200000, 4096, DMA_FROM_DEVICE, 0);
	checked(0x1000);
	sync(true, 0x1000, 4096, DMA_FROM_DEVICE, 0);
	sync(false, 0x1800, 256, DMA_FROM_DEVICE, 0);
	unmap(0x1000, 4096, DMA_FROM_DEVICE);
	map_sg(0x8000, 8192, 3, 2, DMA_TO_DEVICE);
	sync(false, 0x8000, 8192, DMA_TO_DEVICE, 3);
	unmap_sg(0x8000, 8192, 3, DMA_TO_DEVICE);
	/* a failed map is not recorded; checking it is fine */
	EMIT(.kind = EV_DMA_MAP, .dev = dev, .addr = DMA_MAPPING_ERROR, .len = 64, .ret = -ENOMEM);
	checked(DMA_MAPPING_ERROR);
	/* BIDIRECTIONAL mappings may be synced either way */
	map(0x3000, 0x300000, 64, DMA_BIDIRECTIONAL, 0);
	checked(0x3000);
	sync(true, 0x3000, 64, DMA_TO_DEVICE, 0);
	sync(false, 0x3000, 64, DMA_FROM_DEVICE, 0);
	unmap(0x3000, 64, DMA_BIDIRECTIONAL);
	EMIT(.kind = EV_DEVICE_RELEASE, .dev = dev);
	checkers_finish(cs);
	cr_assert_eq(checkers_nr_violations(cs), 0);
}

Test(dma_debug, class1_unmap_of_mapping_error)
{
	unmap(DMA_MAPPING_ERROR, 4096, DMA_TO_DEVICE);
	expect_one("unmap-invalid-address",
		   "device driver tries to free an invalid DMA memory address");
}

Test(dma_debug, class2_unmap_not_mapped)
{
	line(7);
	unmap(0x5000, 4096, DMA_TO_DEVICE);
	const struct check_violation *v = expect_one(
		"unmap-not-mapped", "device driver tries to free DMA memory it has not allocated "
				    "[device address=0x0000000000005000] [size=4096 bytes]");
	cr_assert_eq(v->line, 7);
	cr_assert_eq(v->event.kind, EV_DMA_UNMAP);
	cr_assert_eq(v->nr_trace, 1);
}

Test(dma_debug, class2_ambiguous_best_fit_is_not_allocated)
{
	/* two live entries at one address, neither a perfect fit for the unmap */
	map(0x1000, 0x200000, 100, DMA_TO_DEVICE, 0);
	checked(0x1000);
	map(0x1000, 0x200000, 200, DMA_FROM_DEVICE, 0);
	checked(0x1000);
	unmap(0x1000, 300, DMA_BIDIRECTIONAL);
	expect_one("unmap-not-mapped", "device driver tries to free DMA memory it has not "
				       "allocated [device address=0x0000000000001000] [size=300 "
				       "bytes]");
}

Test(dma_debug, class3_wrong_size)
{
	map(0x1000, 0x200000, 4096, DMA_TO_DEVICE, 0);
	checked(0x1000);
	unmap(0x1000, 2048, DMA_TO_DEVICE);
	expect_one("unmap-wrong-size",
		   "device driver frees DMA memory with different size [device "
		   "address=0x0000000000001000] [map size=4096 bytes] [unmap size=2048 bytes]");
}

Test(dma_debug, class4_wrong_function)
{
	map_sg(0x1000, 4096, 1, 1, DMA_TO_DEVICE);
	unmap(0x1000, 4096, DMA_TO_DEVICE);
	expect_one("unmap-wrong-function",
		   "device driver frees DMA memory with wrong function [device "
		   "address=0x0000000000001000] [size=4096 bytes] [mapped as scather-gather] "
		   "[unmapped as phy]");
}

Test(dma_debug, class6_sg_entry_count)
{
	map_sg(0x1000, 8192, 3, 2, DMA_TO_DEVICE);
	/* passing the count dma_map_sg returned instead of the nents given to it */
	unmap_sg(0x1000, 8192, 2, DMA_TO_DEVICE);
	expect_one("unmap-sg-count", "device driver frees DMA sg list with different entry count "
				     "[map count=3] [unmap count=2]");
}

Test(dma_debug, class7_wrong_direction)
{
	map(0x1000, 0x200000, 8, DMA_TO_DEVICE, 0);
	checked(0x1000);
	unmap(0x1000, 8, DMA_BIDIRECTIONAL);
	expect_one("unmap-wrong-direction",
		   "device driver frees DMA memory with different direction [device "
		   "address=0x0000000000001000] [size=8 bytes] [mapped with DMA_TO_DEVICE] "
		   "[unmapped with DMA_BIDIRECTIONAL]");
}

Test(dma_debug, class8_map_error_not_checked)
{
	line(3);
	map(0x1000, 0x200000, 64, DMA_TO_DEVICE, 0);
	line(4);
	unmap(0x1000, 64, DMA_TO_DEVICE);
	const struct check_violation *v = expect_one(
		"unchecked-mapping-error", "device driver failed to check map error[device "
					   "address=0x0000000000001000] [size=64 bytes] [mapped "
					   "as phy]");
	cr_assert_eq(v->line, 4);
	cr_assert(strstr(v->message, "line 3"));
}

Test(dma_debug, class8_check_marks_only_the_first_unchecked)
{
	map(0x1000, 0x200000, 64, DMA_TO_DEVICE, 0);
	map(0x1000, 0x200000, 64, DMA_TO_DEVICE, 0);
	checked(0x1000);
	unmap(0x1000, 64, DMA_TO_DEVICE); /* perfect fit: the first, checked */
	cr_assert_eq(checkers_nr_violations(cs), 0);
	unmap(0x1000, 64, DMA_TO_DEVICE); /* the second was never checked */
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "unchecked-mapping-error");
}

Test(dma_debug, class13_overlapping_cacheline)
{
	map(0x1000, 0x200000, 32, DMA_FROM_DEVICE, 0);
	checked(0x1000);
	map(0x2000, 0x200020, 32, DMA_FROM_DEVICE, 0); /* same 64-byte cacheline */
	expect_one("overlapping-mapping",
		   "cacheline tracking EEXIST, overlapping mappings aren't supported");
}

Test(dma_debug, class13_not_for_to_device_or_skip_cpu_sync)
{
	map(0x1000, 0x200000, 32, DMA_FROM_DEVICE, 0);
	map(0x2000, 0x200020, 32, DMA_TO_DEVICE, 0); /* TO_DEVICE is not tracked */
	map(0x3000, 0x200010, 32, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	map(0x4000, 0x200030, 16, DMA_BIDIRECTIONAL, DMA_ATTR_DEBUGGING_IGNORE_CACHELINES);
	cr_assert_eq(checkers_nr_violations(cs), 0);
	/* a different cacheline is fine */
	map(0x5000, 0x200040, 32, DMA_FROM_DEVICE, 0);
	cr_assert_eq(checkers_nr_violations(cs), 0);
}

Test(dma_debug, class14_more_than_seven_overlaps)
{
	/* nine live mappings of one cacheline; SKIP_CPU_SYNC silences the EEXIST */
	for (int i = 0; i < 9; i++)
		map(0x1000 + (u64)i * 0x1000, 0x200000, 8, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "cacheline-overlap-limit");
	cr_assert_str_eq(
		checkers_violation(cs, 0)->kernel_msg,
		"DMA-API: exceeded 7 overlapping mappings of cacheline 0x0000000000008000");
}

Test(dma_debug, class17_sync_not_mapped)
{
	map(0x1000, 0x200000, 64, DMA_FROM_DEVICE, 0);
	checked(0x1000);
	sync(true, 0x1030, 64, DMA_FROM_DEVICE, 0); /* runs past the end: not contained */
	expect_one("sync-not-mapped", "device driver tries to sync DMA memory it has not "
				      "allocated [device address=0x0000000000001030] [size=64 "
				      "bytes]");
}

Test(dma_debug, class19_sync_wrong_direction)
{
	map(0x1000, 0x200000, 64, DMA_FROM_DEVICE, 0);
	checked(0x1000);
	sync(true, 0x1000, 64, DMA_TO_DEVICE, 0);
	expect_one("sync-wrong-direction",
		   "device driver syncs DMA memory with different direction [device "
		   "address=0x0000000000001000] [size=64 bytes] [mapped with DMA_FROM_DEVICE] "
		   "[synced with DMA_TO_DEVICE]");
}

Test(dma_debug, class20_sync_read_only_for_cpu)
{
	map(0x1000, 0x200000, 64, DMA_TO_DEVICE, 0);
	checked(0x1000);
	sync(true, 0x1000, 64, DMA_BIDIRECTIONAL, 0);
	/* the kernel reports the direction mismatch first, then class 20 */
	cr_assert_eq(checkers_nr_violations(cs), 2);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "sync-wrong-direction");
	cr_assert_str_eq(checkers_violation(cs, 1)->kind, "sync-read-only-for-cpu");
	cr_assert_str_eq(checkers_violation(cs, 1)->kernel_msg,
			 "DMA-API: c 0000:05:00.0: device driver syncs device read-only DMA memory "
			 "for cpu [device address=0x0000000000001000] [size=64 bytes] [mapped with "
			 "DMA_TO_DEVICE] [synced with DMA_BIDIRECTIONAL]");
}

Test(dma_debug, class21_sync_write_only_to_device)
{
	map(0x1000, 0x200000, 64, DMA_FROM_DEVICE, 0);
	checked(0x1000);
	sync(false, 0x1000, 64, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(checkers_nr_violations(cs), 2);
	cr_assert_str_eq(checkers_violation(cs, 1)->kind, "sync-write-only-to-device");
	cr_assert_str_eq(
		checkers_violation(cs, 1)->kernel_msg,
		"DMA-API: c 0000:05:00.0: device driver syncs device write-only DMA memory "
		"to device [device address=0x0000000000001000] [size=64 bytes] [mapped "
		"with DMA_FROM_DEVICE] [synced with DMA_BIDIRECTIONAL]");
}

Test(dma_debug, class22_sync_sg_entry_count)
{
	map_sg(0x1000, 8192, 3, 2, DMA_TO_DEVICE);
	sync(false, 0x1000, 8192, DMA_TO_DEVICE, 2);
	expect_one("sync-sg-count", "device driver syncs DMA sg list with different entry count "
				    "[map count=3] [sync count=2]");
}

Test(dma_debug, class23_pending_at_release)
{
	line(2);
	map(0x1000, 0x200000, 64, DMA_TO_DEVICE, 0);
	checked(0x1000);
	map(0x2000, 0x201000, 128, DMA_FROM_DEVICE, 0);
	checked(0x2000);
	line(9);
	EMIT(.kind = EV_DEVICE_RELEASE, .dev = dev);
	const struct check_violation *v = expect_one(
		"pending-at-release",
		"device driver has pending DMA allocations while released from device [count=2] "
		"One of leaked entries details: [device address=0x0000000000001000] [size=64 "
		"bytes] [mapped with DMA_TO_DEVICE] [mapped as phy]");
	cr_assert_eq(v->line, 9);
	/* end of run: not reported a second time (the leaks checker is off anyway) */
	checkers_finish(cs);
	cr_assert_eq(checkers_nr_violations(cs), 1);
}

Test(dma_debug, other_devices_entries_do_not_match)
{
	map(0x1000, 0x200000, 64, DMA_TO_DEVICE, 0);
	checked(0x1000);
	EMIT(.kind = EV_DMA_UNMAP, .dev = sm.a, .addr = 0x1000, .len = 64, .dir = DMA_TO_DEVICE);
	cr_assert_eq(checkers_nr_violations(cs), 1);
	cr_assert_str_eq(checkers_violation(cs, 0)->kind, "unmap-not-mapped");
	cr_assert_eq(checkers_violation(cs, 0)->dev, sm.a);
}

Test(dma_debug, disabled_checker_reports_nothing_but_still_tracks)
{
	struct checkers *off;
	struct check_stats st;
	char msg[128];

	cr_assert_eq(checkers_new(sm.m, NULL, NULL, "dma-debug,leaks", &off, msg, sizeof(msg)), 0);
	cr_assert_not(checkers_enabled(off, "dma-debug"));
	cr_assert(checkers_enabled(off, "route"));
	map(0x1000, 0x200000, 64, DMA_TO_DEVICE, 0);
	unmap(0x1000, 32, DMA_TO_DEVICE);
	map(0x2000, 0x200000, 64, DMA_TO_DEVICE, 0);
	checkers_get_stats(off, &st);
	cr_assert_eq(st.live_mappings, 1);
	cr_assert_eq(checkers_nr_violations(off), 0);
	cr_assert_eq(checkers_nr_violations(cs), 2); /* wrong size + unchecked error */
	checkers_free(off);
}

Test(dma_debug, json_carries_the_kernel_message)
{
	struct json_object *j, *v;

	line(5);
	unmap(DMA_MAPPING_ERROR, 64, DMA_TO_DEVICE);
	j = checkers_to_json(cs);
	v = json_object_array_get_idx(json_object_object_get(j, "violations"), 0);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(v, "checker")), "dma-debug");
	cr_assert_eq(json_object_get_int(json_object_object_get(v, "line")), 5);
	cr_assert_str_eq(json_object_get_string(json_object_object_get(v, "kernel_message")),
			 "DMA-API: c 0000:05:00.0: device driver tries to free an invalid DMA memory "
			 "address");
	cr_assert_str_eq(json_object_get_string(json_object_object_get(
				 json_object_object_get(v, "event"), "kind")),
			 "dma_unmap");
	cr_assert_eq(json_object_get_int(json_object_object_get(
			     json_object_object_get(j, "stats"), "violations")),
		     1);
	json_object_put(j);
}

/*
 * Regression (found by `p2psim fuzz`): without an IOMMU the same buffer mapped
 * twice has the same DMA address. A sync of the one-entry sg list must match
 * the one-entry mapping (bucket_find_contain() is a best fit), not whichever
 * containing mapping comes first - that reported a false sync-sg-count.
 */
Test(dma_debug, sync_matches_the_best_fitting_of_two_mappings_at_one_address)
{
	map_sg(0x1000, 8192, 2, 1, DMA_TO_DEVICE);
	map_sg(0x1000, 4096, 1, 1, DMA_TO_DEVICE);
	sync(false, 0x1000, 4096, DMA_TO_DEVICE, 1);
	sync(false, 0x1000, 8192, DMA_TO_DEVICE, 2);
	cr_assert_eq(checkers_nr_violations(cs), 0, "first: %s",
		     checkers_nr_violations(cs) ? checkers_violation(cs, 0)->kind : "");
}

/*
 * Several containing mappings in the sync's hash bucket and none fits
 * perfectly: __hash_bucket_find() returns nothing for that bucket, so the
 * kernel reports the sync as not allocated.
 */
Test(dma_debug, sync_ambiguous_best_fit_is_not_allocated)
{
	map(0x1000, 0x200000, 8192, DMA_TO_DEVICE, 0);
	checked(0x1000);
	map(0x1000, 0x200000, 8192, DMA_BIDIRECTIONAL, 0);
	checked(0x1000);
	sync(false, 0x1000, 64, DMA_FROM_DEVICE, 0);
	expect_one("sync-not-mapped", "device driver tries to sync DMA memory it has not allocated "
				      "[device address=0x0000000000001000] [size=64 bytes]");
}
