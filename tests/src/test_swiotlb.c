// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_swiotlb.c - swiotlb slot placement and copy semantics
 * (src/dma/swiotlb.c against reference/dma-iommu.md §5).
 *
 * Every expected slot index below is derived by hand from the search rules
 * of §5.2 (comments give the reasoning); the copy table of §5.3 is checked
 * byte by byte for every direction and operation.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "models/mem/physmem.h"
#include "src/dma/direct.h"
#include "src/dma/mapping.h"
#include "src/dma/swiotlb.h"

#define POOL 0x10000000ULL /* 256 MiB: page (and 64 KiB) aligned */

static struct machine mach;
static struct device dev;
static struct io_tlb_mem *tlb;

static void setup_pool(u64 pool_bytes, unsigned int nr_cpus)
{
	struct phys_mem_region ram = { .kind = PHYS_MEM_RAM,
				       .base = 0,
				       .size_bytes = 512ULL << 20,
				       .bar = -1,
				       .numa_node = -1 };

	memset(&mach, 0, sizeof(mach));
	event_bus_init(&mach.events, &mach.now_ns);
	mach.mem = phys_mem_new();
	cr_assert_not_null(mach.mem);
	cr_assert_eq(phys_mem_add_region(mach.mem, &ram), 0);
	mach.nr_cpus = nr_cpus;
	tlb = swiotlb_mem_new(&mach, POOL, pool_bytes, nr_cpus, false);
	cr_assert_not_null(tlb);
	memset(&dev, 0, sizeof(dev));
	dev.name = "dev0";
	dev.machine = &mach;
	dev.dma_mask = ~0ULL;
	dev.dma_coherent = true;
	dev.dma_skip_sync = true;
	dev.dma_io_tlb_mem = tlb;
}

static void setup_1m(void)
{
	setup_pool(1 << 20, 1);
}

static void teardown(void)
{
	swiotlb_mem_free(tlb);
	phys_mem_free(mach.mem);
}

/* Check the free-list invariant of swiotlb.c for every slot, and used == slots with list 0. */
static void check_invariants(void)
{
	struct io_tlb_pool *pool = &tlb->defpool;
	unsigned long used = 0;

	for (unsigned long i = 0; i < pool->nslabs; i++) {
		unsigned int expect = 0;

		if (pool->slots[i].list == 0) {
			used++;
			continue;
		}
		for (unsigned long j = i; j < pool->nslabs && pool->slots[j].list; j++) {
			expect++;
			if ((j + 1) % IO_TLB_SEGSIZE == 0)
				break;
		}
		cr_assert_eq(pool->slots[i].list, expect, "slot %lu list %u, expected %u", i,
			     pool->slots[i].list, expect);
	}
	cr_assert_eq(swiotlb_used_slots(tlb), used);
}

static phys_addr_t map(phys_addr_t orig, size_t size, unsigned int align, int dir)
{
	return swiotlb_tbl_map_single(&dev, orig, size, align, dir, 0);
}

TestSuite(swiotlb, .init = setup_1m, .fini = teardown);

Test(swiotlb, pool_geometry)
{
	cr_assert_eq(tlb->defpool.nslabs, 512);
	cr_assert_eq(tlb->defpool.nareas, 1);
	cr_assert_eq(tlb->defpool.end, POOL + (1 << 20));
	cr_assert_eq(swiotlb_pool_bytes(64ULL << 20, 1), 64ULL << 20);
	cr_assert_eq(swiotlb_pool_bytes(3ULL << 20, 1), 4ULL << 20, "rounded to a power of two");
	cr_assert_eq(swiotlb_pool_bytes(1000, 1), 256 * 1024, "at least one segment");
	cr_assert_eq(swiotlb_pool_bytes(1 << 20, 16), 4 << 20, "one segment per area (16 CPUs)");
	cr_assert_eq(swiotlb_pool_bytes(1 << 20, 3), 1 << 20, "3 CPUs: 4 areas of 128 slots");
	cr_assert(is_swiotlb_active(&dev));
	cr_assert_not(is_swiotlb_force_bounce(&dev));
	cr_assert(is_swiotlb_buffer(&dev, POOL));
	cr_assert(is_swiotlb_buffer(&dev, POOL + (1 << 20) - 1));
	cr_assert_not(is_swiotlb_buffer(&dev, POOL + (1 << 20)));
	check_invariants();
}

Test(swiotlb, next_fit_and_legacy_page_alignment)
{
	phys_addr_t a, b, c;

	/* 4 KiB, no alignment asked: >= PAGE_SIZE gets page alignment; slot 0 is aligned */
	a = map(0x1000, 4096, 0, DMA_TO_DEVICE);
	cr_assert_eq(a, POOL);
	/* 100 bytes: one slot, next fit from the cursor (2) */
	b = map(0x2345, 100, 0, DMA_TO_DEVICE);
	cr_assert_eq(b, POOL + 2 * 2048);
	/* 4 KiB again: slot 3 is not 4 KiB aligned, slot 4 is */
	c = map(0x3000, 4096, 0, DMA_TO_DEVICE);
	cr_assert_eq(c, POOL + 4 * 2048);
	/* slot 3 is a free run of one slot, ending at slot 4 */
	cr_assert_eq(tlb->defpool.slots[3].list, 1);
	cr_assert_eq(swiotlb_used_slots(tlb), 5);
	check_invariants();

	swiotlb_tbl_unmap_single(&dev, b, 100, DMA_TO_DEVICE, 0);
	/* slots 2 and 3 merge into a run of 2 */
	cr_assert_eq(tlb->defpool.slots[2].list, 2);
	swiotlb_tbl_unmap_single(&dev, a, 4096, DMA_TO_DEVICE, 0);
	cr_assert_eq(tlb->defpool.slots[0].list, 4);
	swiotlb_tbl_unmap_single(&dev, c, 4096, DMA_TO_DEVICE, 0);
	cr_assert_eq(tlb->defpool.slots[0].list, 128, "whole segment free again");
	cr_assert_eq(swiotlb_used_slots(tlb), 0);
	cr_assert_eq(tlb->stats.maps, 3);
	cr_assert_eq(tlb->stats.unmaps, 3);
	check_invariants();
}

Test(swiotlb, min_align_mask_keeps_low_bits)
{
	phys_addr_t a, b;

	dev.min_align_mask = 0xfff; /* NVMe */
	/*
	 * orig 0x5600: offset = 0x600 (0xfff & 0x7ff). The search keeps bit 11
	 * (iotlb_align_mask 0xfff & ~0x7ff = 0x800): orig has it clear, slot 0
	 * too -> slot 0, tlb = POOL + 0x600.
	 */
	a = map(0x5600, 512, 0, DMA_TO_DEVICE);
	cr_assert_eq(a, POOL + 0x600);
	cr_assert_eq(a & 0xfff, 0x5600 & 0xfff);
	/*
	 * orig 0x5e00: bit 11 set, offset 0x600, size 0x300 + 0x600 = 0x900 ->
	 * 2 slots. Cursor at 1: slot 1 (POOL + 0x800) has bit 11 set -> found.
	 */
	b = map(0x5e00, 0x300, 0, DMA_FROM_DEVICE);
	cr_assert_eq(b, POOL + 0x800 + 0x600);
	cr_assert_eq(b & 0xfff, 0xe00);
	cr_assert_eq(swiotlb_used_slots(tlb), 3);
	check_invariants();
	swiotlb_tbl_unmap_single(&dev, a, 512, DMA_TO_DEVICE, 0);
	swiotlb_tbl_unmap_single(&dev, b, 0x300, DMA_FROM_DEVICE, 0);
	cr_assert_eq(swiotlb_used_slots(tlb), 0);
	check_invariants();
}

Test(swiotlb, pad_slots_with_alloc_align_mask)
{
	phys_addr_t t;
	u8 in[0x100], out[0x100];

	dev.min_align_mask = 0xfff;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (u8)(0x80 + i);
	cr_assert_eq(phys_mem_write(mach.mem, 0x7c00, in, sizeof(in)), 0);
	/*
	 * dma-iommu asks alloc_align_mask = 0xfff: offset = 0x7c00 & 0xfff =
	 * 0xc00, size = ALIGN(0x100 + 0xc00, 0x1000) = 0x1000 -> slots 0 and 1.
	 * 0xc00 >> 11 = 1 pad slot; data starts in slot 1 at 0x400.
	 */
	t = map(0x7c00, 0x100, 0xfff, DMA_TO_DEVICE);
	cr_assert_eq(t, POOL + 0xc00);
	cr_assert_eq(tlb->defpool.slots[1].pad_slots, 1);
	cr_assert_eq(tlb->defpool.slots[0].orig_addr, INVALID_PHYS_ADDR, "pad slot has no orig");
	cr_assert_eq(tlb->defpool.slots[1].orig_addr, 0x7c00);
	/* alloc_size per slot: 0x1000 - (0x400 + k * 0x800) */
	cr_assert_eq(tlb->defpool.slots[0].alloc_size, 0xc00);
	cr_assert_eq(tlb->defpool.slots[1].alloc_size, 0x400);
	cr_assert_eq(swiotlb_used_slots(tlb), 2);
	cr_assert_eq(phys_mem_read(mach.mem, t, out, sizeof(out)), 0);
	cr_assert_arr_eq(in, out, sizeof(in));
	/* unmap finds the pad slot again and releases both */
	swiotlb_tbl_unmap_single(&dev, t, 0x100, DMA_TO_DEVICE, 0);
	cr_assert_eq(swiotlb_used_slots(tlb), 0);
	cr_assert_eq(tlb->defpool.slots[0].list, 128);
	check_invariants();
}

Test(swiotlb, segment_boundary)
{
	phys_addr_t a, b, c;

	dev.seg_boundary_mask = 0xffff; /* 64 KiB = 32 slots */
	a = map(0x100000, 24 * 1024, 0, DMA_TO_DEVICE); /* slots 0..11 */
	b = map(0x200000, 16 * 1024, 0, DMA_TO_DEVICE); /* slots 12..19: 12 + 8 <= 32 */
	cr_assert_eq(a, POOL);
	cr_assert_eq(b, POOL + 12 * 2048);
	/* 16 slots from 20 would cross slot 32; stride 2 walks to 32 */
	c = map(0x300000, 32 * 1024, 0, DMA_TO_DEVICE);
	cr_assert_eq(c, POOL + 32 * 2048);
	check_invariants();
	swiotlb_tbl_unmap_single(&dev, a, 24 * 1024, DMA_TO_DEVICE, 0);
	swiotlb_tbl_unmap_single(&dev, b, 16 * 1024, DMA_TO_DEVICE, 0);
	swiotlb_tbl_unmap_single(&dev, c, 32 * 1024, DMA_TO_DEVICE, 0);
	cr_assert_eq(swiotlb_used_slots(tlb), 0);
	check_invariants();
}

Test(swiotlb, cursor_wraps_to_the_area_start)
{
	phys_addr_t t[3], tail, x;

	for (int i = 0; i < 3; i++)
		t[i] = map(0x100000, 256 * 1024, 0, DMA_TO_DEVICE); /* slots 0..383 */
	tail = map(0x200000, 120 * 2048, 0, DMA_TO_DEVICE); /* slots 384..503 */
	cr_assert_eq(tail, POOL + 384 * 2048);
	cr_assert_eq(tlb->defpool.areas[0].index, 504);
	swiotlb_tbl_unmap_single(&dev, t[0], 256 * 1024, DMA_TO_DEVICE, 0);
	/*
	 * 16 slots (32 KiB, page aligned, stride 2): 504 has only 8 free to the
	 * end of the pool, 506..510 fewer; 512 wraps to 0, which fits.
	 */
	x = map(0x300000, 32 * 1024, 0, DMA_TO_DEVICE);
	cr_assert_eq(x, POOL);
	cr_assert_eq(tlb->defpool.areas[0].index, 16);
	check_invariants();
	swiotlb_tbl_unmap_single(&dev, x, 32 * 1024, DMA_TO_DEVICE, 0);
	swiotlb_tbl_unmap_single(&dev, t[1], 256 * 1024, DMA_TO_DEVICE, 0);
	swiotlb_tbl_unmap_single(&dev, t[2], 256 * 1024, DMA_TO_DEVICE, 0);
	swiotlb_tbl_unmap_single(&dev, tail, 120 * 2048, DMA_TO_DEVICE, 0);
	cr_assert_eq(swiotlb_used_slots(tlb), 0);
	check_invariants();
}

Test(swiotlb, full_pool_fails_and_recovers)
{
	phys_addr_t t[4], x;

	for (int i = 0; i < 4; i++) {
		t[i] = map(0x100000 + (u64)i * 0x40000, 256 * 1024, 0, DMA_BIDIRECTIONAL);
		cr_assert_eq(t[i], POOL + (u64)i * 128 * 2048);
	}
	cr_assert_eq(swiotlb_used_slots(tlb), 512);
	x = map(0x2000, 2048, 0, DMA_TO_DEVICE);
	cr_assert_eq(x, (phys_addr_t)DMA_MAPPING_ERROR);
	cr_assert_eq(tlb->stats.full, 1);
	cr_assert_str_eq(
		tlb->last_warning,
		"dev0: swiotlb buffer is full (sz: 2048 bytes), total 512 (slots), used 512 (slots)");
	/* sz is the aligned request: 100 bytes at min_align offset 0x600 -> 0x664 */
	dev.min_align_mask = 0xfff;
	cr_assert_eq(map(0x5600, 100, 0, DMA_TO_DEVICE), (phys_addr_t)DMA_MAPPING_ERROR);
	cr_assert_str_eq(
		tlb->last_warning,
		"dev0: swiotlb buffer is full (sz: 1636 bytes), total 512 (slots), used 512 (slots)");
	dev.min_align_mask = 0;
	/* NO_WARN: fails quietly */
	tlb->last_warning[0] = 0;
	x = swiotlb_tbl_map_single(&dev, 0x2000, 2048, 0, DMA_TO_DEVICE, DMA_ATTR_NO_WARN);
	cr_assert_eq(x, (phys_addr_t)DMA_MAPPING_ERROR);
	cr_assert_str_eq(tlb->last_warning, "");
	/* a failed map leaves no slot behind */
	cr_assert_eq(swiotlb_used_slots(tlb), 512);

	swiotlb_tbl_unmap_single(&dev, t[2], 256 * 1024, DMA_BIDIRECTIONAL, 0);
	x = map(0x2000, 2048, 0, DMA_TO_DEVICE);
	cr_assert_eq(x, POOL + 256 * 2048);
	swiotlb_tbl_unmap_single(&dev, x, 2048, DMA_TO_DEVICE, 0);
	for (int i = 0; i < 4; i++)
		if (i != 2)
			swiotlb_tbl_unmap_single(&dev, t[i], 256 * 1024, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(swiotlb_used_slots(tlb), 0);
	check_invariants();
}

Test(swiotlb, larger_than_a_segment_never_fits)
{
	cr_assert_eq(map(0x1000, 256 * 1024 + 1, 0, DMA_TO_DEVICE), (phys_addr_t)DMA_MAPPING_ERROR);
	cr_assert_eq(swiotlb_used_slots(tlb), 0);
	cr_assert_eq(swiotlb_max_mapping_size(&dev), 262144);
	dev.min_align_mask = 0xfff;
	cr_assert_eq(swiotlb_max_mapping_size(&dev), 262144 - 4096);
	dev.min_align_mask = 0x7ff;
	cr_assert_eq(swiotlb_max_mapping_size(&dev), 262144 - 2048);
}

Test(swiotlb, zero_sized_bounce_is_refused)
{
	/* the kernel BUG()s on zero slots; the model refuses the mapping */
	cr_assert_eq(map(0x1000, 0, 0, DMA_TO_DEVICE), (phys_addr_t)DMA_MAPPING_ERROR);
	cr_assert_eq(swiotlb_used_slots(tlb), 0);
	check_invariants();
}

Test(swiotlb, first_bounce_resets_skip_sync)
{
	phys_addr_t t;

	cr_assert(dev.dma_skip_sync);
	cr_assert_eq(map(0x1000, 256 * 1024 + 1, 0, DMA_TO_DEVICE), (phys_addr_t)DMA_MAPPING_ERROR);
	cr_assert(dev.dma_skip_sync, "a failed map does not flip it");
	t = map(0x1000, 64, 0, DMA_TO_DEVICE);
	cr_assert_not(dev.dma_skip_sync);
	swiotlb_tbl_unmap_single(&dev, t, 64, DMA_TO_DEVICE, 0);
	cr_assert_not(dev.dma_skip_sync, "stays off");
}

Test(swiotlb, overflowing_sync_is_clamped)
{
	phys_addr_t t;
	u8 big[300];

	memset(big, 0x77, sizeof(big));
	t = map(0x1000, 100, 0, DMA_FROM_DEVICE);
	cr_assert_eq(phys_mem_write(mach.mem, t, big, sizeof(big)), 0); /* device writes too much */
	swiotlb_sync_single_for_cpu(&dev, t, 200, DMA_FROM_DEVICE);
	cr_assert_eq(tlb->stats.overflows, 1);
	cr_assert(strstr(tlb->last_warning,
			 "Buffer overflow detected. Allocation size: 100. Mapping size: 200."));
	memset(big, 0, sizeof(big));
	cr_assert_eq(phys_mem_read(mach.mem, 0x1000, big, sizeof(big)), 0);
	cr_assert_eq(big[99], 0x77);
	cr_assert_eq(big[100], 0, "only alloc_size bytes copied back");
	swiotlb_tbl_unmap_single(&dev, t, 100, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
}

Test(swiotlb, areas_start_at_the_current_cpu)
{
	phys_addr_t a, b;

	teardown();
	setup_pool(1 << 20, 4); /* 4 areas of 128 slots */
	cr_assert_eq(tlb->defpool.nareas, 4);
	cr_assert_eq(tlb->defpool.area_nslabs, 128);
	mach.cpu = 2;
	a = map(0x1000, 256 * 1024, 0, DMA_TO_DEVICE);
	cr_assert_eq(a, POOL + 256 * 2048, "area 2 starts at slot 256");
	b = map(0x1000, 2048, 0, DMA_TO_DEVICE);
	cr_assert_eq(b, POOL + 384 * 2048, "area 2 full: area 3");
	mach.cpu = 3;
	swiotlb_tbl_unmap_single(&dev, a, 256 * 1024, DMA_TO_DEVICE, 0);
	swiotlb_tbl_unmap_single(&dev, b, 2048, DMA_TO_DEVICE, 0);
	cr_assert_eq(swiotlb_used_slots(tlb), 0);
	check_invariants();

	/* a 256 KiB pool for 8 CPUs grows to one segment per area */
	teardown();
	setup_pool(256 * 1024, 8);
	cr_assert_eq(tlb->defpool.nareas, 8);
	cr_assert_eq(tlb->defpool.nslabs, 8 * 128);
	cr_assert_eq(tlb->defpool.area_nslabs, 128);
}

/* --- the copy table of §5.3 ------------------------------------------------ */

#define ORIG 0x200000ULL
#define LEN 300

enum op { OP_SYNC_CPU, OP_SYNC_DEVICE, OP_UNMAP, OP_UNMAP_SKIP };

static void fill(phys_addr_t at, u8 base)
{
	u8 buf[LEN];

	for (int i = 0; i < LEN; i++)
		buf[i] = (u8)(base + i);
	cr_assert_eq(phys_mem_write(mach.mem, at, buf, LEN), 0);
}

static bool holds(phys_addr_t at, u8 base)
{
	u8 buf[LEN];

	cr_assert_eq(phys_mem_read(mach.mem, at, buf, LEN), 0);
	for (int i = 0; i < LEN; i++)
		if (buf[i] != (u8)(base + i))
			return false;
	return true;
}

/*
 * Map (orig holds 'A'), the device writes 'D' into the bounce buffer, the CPU
 * writes 'C' into orig, then @op. Returns what orig and bounce hold.
 */
static void run_op(enum dma_data_direction dir, enum op op, bool *orig_d, bool *orig_c,
		   bool *bounce_c)
{
	const u8 A = 0x10, C = 0x50, D = 0xa0;
	phys_addr_t t;

	fill(ORIG, A);
	t = map(ORIG, LEN, 0, dir);
	cr_assert_neq(t, (phys_addr_t)DMA_MAPPING_ERROR);
	cr_assert(holds(t, A), "map copies orig -> bounce for direction %d", dir);
	fill(t, D);
	fill(ORIG, C);
	switch (op) {
	case OP_SYNC_CPU:
		swiotlb_sync_single_for_cpu(&dev, t, LEN, dir);
		break;
	case OP_SYNC_DEVICE:
		swiotlb_sync_single_for_device(&dev, t, LEN, dir);
		break;
	case OP_UNMAP:
		break;
	case OP_UNMAP_SKIP:
		break;
	}
	*orig_d = holds(ORIG, D);
	*orig_c = holds(ORIG, C);
	*bounce_c = holds(t, C);
	if (op == OP_UNMAP || op == OP_UNMAP_SKIP) {
		swiotlb_tbl_unmap_single(&dev, t, LEN, dir,
					 op == OP_UNMAP_SKIP ? DMA_ATTR_SKIP_CPU_SYNC : 0);
		*orig_d = holds(ORIG, D);
		*orig_c = holds(ORIG, C);
	} else {
		swiotlb_tbl_unmap_single(&dev, t, LEN, dir, DMA_ATTR_SKIP_CPU_SYNC);
	}
	cr_assert_eq(swiotlb_used_slots(tlb), 0);
}

Test(swiotlb, copy_table_sync_for_cpu)
{
	bool d, c, bc;

	run_op(DMA_TO_DEVICE, OP_SYNC_CPU, &d, &c, &bc);
	cr_assert(c && !d, "TO_DEVICE sync_for_cpu: no copy");
	run_op(DMA_FROM_DEVICE, OP_SYNC_CPU, &d, &c, &bc);
	cr_assert(d, "FROM_DEVICE sync_for_cpu: bounce -> orig");
	run_op(DMA_BIDIRECTIONAL, OP_SYNC_CPU, &d, &c, &bc);
	cr_assert(d, "BIDIRECTIONAL sync_for_cpu: bounce -> orig");
}

Test(swiotlb, copy_table_sync_for_device)
{
	bool d, c, bc;

	run_op(DMA_TO_DEVICE, OP_SYNC_DEVICE, &d, &c, &bc);
	cr_assert(bc && c, "TO_DEVICE sync_for_device: orig -> bounce");
	run_op(DMA_FROM_DEVICE, OP_SYNC_DEVICE, &d, &c, &bc);
	cr_assert(!bc && c, "FROM_DEVICE sync_for_device: no copy");
	run_op(DMA_BIDIRECTIONAL, OP_SYNC_DEVICE, &d, &c, &bc);
	cr_assert(bc && c, "BIDIRECTIONAL sync_for_device: orig -> bounce");
}

Test(swiotlb, copy_table_unmap)
{
	bool d, c, bc;

	run_op(DMA_TO_DEVICE, OP_UNMAP, &d, &c, &bc);
	cr_assert(c && !d, "TO_DEVICE unmap: no copy");
	run_op(DMA_FROM_DEVICE, OP_UNMAP, &d, &c, &bc);
	cr_assert(d, "FROM_DEVICE unmap: bounce -> orig");
	run_op(DMA_BIDIRECTIONAL, OP_UNMAP, &d, &c, &bc);
	cr_assert(d, "BIDIRECTIONAL unmap: bounce -> orig");
}

Test(swiotlb, copy_table_unmap_skip_cpu_sync)
{
	bool d, c, bc;

	run_op(DMA_TO_DEVICE, OP_UNMAP_SKIP, &d, &c, &bc);
	cr_assert(c && !d);
	run_op(DMA_FROM_DEVICE, OP_UNMAP_SKIP, &d, &c, &bc);
	cr_assert(c && !d, "SKIP_CPU_SYNC: no copy-back");
	run_op(DMA_BIDIRECTIONAL, OP_UNMAP_SKIP, &d, &c, &bc);
	cr_assert(c && !d, "SKIP_CPU_SYNC: no copy-back");
	cr_assert_eq(tlb->stats.unmaps, 3);
}

Test(swiotlb, bounce_counts_bytes_and_events)
{
	phys_addr_t t;

	t = map(ORIG, 1000, 0, DMA_BIDIRECTIONAL);
	swiotlb_sync_single_for_device(&dev, t, 1000, DMA_BIDIRECTIONAL);
	swiotlb_tbl_unmap_single(&dev, t, 1000, DMA_BIDIRECTIONAL, 0);
	/* map copy + sync copy + unmap copy-back */
	cr_assert_eq(tlb->stats.bounces, 3);
	cr_assert_eq(tlb->stats.bytes_bounced, 3000);
	cr_assert_eq(mach.events.counts[EV_BOUNCE], 3);
	cr_assert_eq(mach.events.counts[EV_SWIOTLB_MAP], 1);
	cr_assert_eq(mach.events.counts[EV_SWIOTLB_UNMAP], 1);
}

Test(swiotlb, calls_outside_the_pool_are_no_ops)
{
	swiotlb_tbl_unmap_single(&dev, 0x1000, 64, DMA_FROM_DEVICE, 0);
	swiotlb_sync_single_for_cpu(&dev, 0x1000, 64, DMA_FROM_DEVICE);
	swiotlb_sync_single_for_device(&dev, 0x1000, 64, DMA_TO_DEVICE);
	cr_assert_eq(tlb->stats.bounces, 0);
	cr_assert_eq(tlb->stats.unmaps, 0);
	dev.dma_io_tlb_mem = NULL;
	cr_assert_not(is_swiotlb_active(&dev));
	cr_assert_eq(map(0x1000, 64, 0, DMA_TO_DEVICE), (phys_addr_t)DMA_MAPPING_ERROR);
}
