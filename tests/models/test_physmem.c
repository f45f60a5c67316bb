// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_physmem.c - sparse physical memory: regions, reset patterns, sparse
 * pages, unbacked accesses (models/mem/physmem.c).
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers/topo_builder.h"
#include "models/mem/physmem.h"

static struct phys_mem *mem_with(phys_addr_t ram_base, u64 ram_size)
{
	struct phys_mem *mem = phys_mem_new();
	struct phys_mem_region r = { .kind = PHYS_MEM_RAM,
				     .base = ram_base,
				     .size_bytes = ram_size,
				     .bar = -1,
				     .numa_node = -1 };

	cr_assert_not_null(mem);
	cr_assert_eq(phys_mem_add_region(mem, &r), 0);
	return mem;
}

Test(physmem, untouched_ram_reads_zero_and_costs_nothing)
{
	struct phys_mem *mem = mem_with(0, 4ULL << 40); /* 4 TiB */
	struct phys_mem_stats st;
	u8 buf[64];

	memset(buf, 0x5a, sizeof(buf));
	cr_assert_eq(phys_mem_read(mem, (3ULL << 40) + 12345, buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], 0);
	phys_mem_get_stats(mem, &st);
	cr_assert_eq(st.pages_touched, 0);
	phys_mem_free(mem);
}

Test(physmem, write_read_across_pages)
{
	struct phys_mem *mem = mem_with(0x100000, 0x100000);
	struct phys_mem_stats st;
	u8 in[6000], out[6000];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (u8)(i * 7 + 1);
	/* 0x100ff0: 16 bytes in the first page, 4096 in the next, the rest in a third */
	cr_assert_eq(phys_mem_write(mem, 0x100ff0, in, sizeof(in)), 0);
	phys_mem_get_stats(mem, &st);
	cr_assert_eq(st.pages_touched, 3);
	cr_assert_eq(phys_mem_read(mem, 0x100ff0, out, sizeof(out)), 0);
	cr_assert_arr_eq(in, out, sizeof(in));
	/* bytes just before and after are still zero */
	cr_assert_eq(phys_mem_read(mem, 0x100fef, out, 1), 0);
	cr_assert_eq(out[0], 0);
	cr_assert_eq(phys_mem_read(mem, 0x100ff0 + sizeof(in), out, 1), 0);
	cr_assert_eq(out[0], 0);
	phys_mem_free(mem);
}

Test(physmem, unbacked_access_fails_without_side_effects)
{
	struct phys_mem *mem = mem_with(0x1000, 0x2000); /* [0x1000, 0x3000) */
	struct phys_mem_stats st;
	u8 buf[16] = { 1, 2, 3 };

	cr_assert_eq(phys_mem_read(mem, 0x0, buf, 1), -ENXIO);
	cr_assert_eq(phys_mem_write(mem, 0x2ff8, buf, 16), -ENXIO); /* runs past the end */
	cr_assert_eq(phys_mem_fill(mem, 0x3000, 0xaa, 1), -ENXIO);
	cr_assert_eq(phys_mem_read(mem, 0x2ff8, buf, 8), 0);
	phys_mem_get_stats(mem, &st);
	cr_assert_eq(st.pages_touched, 0, "a failed write must not allocate");
	cr_assert_eq(st.failed_accesses, 3);
	phys_mem_free(mem);
}

Test(physmem, overlapping_regions_rejected)
{
	struct phys_mem *mem = mem_with(0x10000, 0x10000);
	struct phys_mem_region r = {
		.kind = PHYS_MEM_BAR, .base = 0x1f000, .size_bytes = 0x2000, .bar = 0
	};

	cr_assert_eq(phys_mem_add_region(mem, &r), -EEXIST);
	r.base = 0xf000;
	cr_assert_eq(phys_mem_add_region(mem, &r), -EEXIST);
	r.base = 0x20000; /* adjacent: fine */
	cr_assert_eq(phys_mem_add_region(mem, &r), 0);
	r.base = 0xe000;
	cr_assert_eq(phys_mem_add_region(mem, &r), 0);
	r.size_bytes = 0;
	cr_assert_eq(phys_mem_add_region(mem, &r), -EINVAL);
	cr_assert_eq(phys_mem_nr_regions(mem), 3);
	cr_assert_eq(phys_mem_region(mem, 0)->base, 0xe000);
	cr_assert_eq(phys_mem_region(mem, 2)->base, 0x20000);
	phys_mem_free(mem);
}

Test(physmem, topology_regions_bar_reset_pattern_and_1tib_bar)
{
	struct topology *t = tb_standard(IOMMU_MODE_STRICT);
	struct phys_mem *mem = phys_mem_new();
	struct phys_mem_stats st;
	const struct phys_mem_region *r;
	u8 buf[8];

	cr_assert_eq(phys_mem_add_topology(mem, t), 0);
	/* 2 RAM ranges + nvme0 BAR0 + gpu0 BAR0, BAR2 + nic0 BAR0 */
	cr_assert_eq(phys_mem_nr_regions(mem), 6);
	r = phys_mem_region_at(mem, 0x10000000000ULL + 0xffffffffffULL);
	cr_assert_not_null(r);
	cr_assert_eq(r->kind, PHYS_MEM_BAR);
	cr_assert_str_eq(r->dev->id, "gpu0");
	cr_assert_eq(r->bar, 2);
	/* untouched BAR bytes read as the reset pattern */
	cr_assert_eq(phys_mem_read(mem, 0x10000000000ULL + 0x123456789ULL, buf, 8), 0);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(buf[i], PHYS_MEM_BAR_RESET_BYTE);
	/* a write to a BAR page keeps the rest of the page at the reset pattern */
	cr_assert_eq(phys_mem_fill(mem, 0xc0000004ULL, 0x11, 2), 0);
	cr_assert_eq(phys_mem_read(mem, 0xc0000002ULL, buf, 6), 0);
	cr_assert_eq(buf[0], 0xff);
	cr_assert_eq(buf[1], 0xff);
	cr_assert_eq(buf[2], 0x11);
	cr_assert_eq(buf[3], 0x11);
	cr_assert_eq(buf[4], 0xff);
	phys_mem_get_stats(mem, &st);
	cr_assert_eq(st.pages_touched, 1);

	cr_assert(phys_mem_is_ram(mem, 0x1000, 0x1000));
	cr_assert_not(phys_mem_is_ram(mem, 2 * SZ_1G - 8, 16), "RAM ends at 2 GiB");
	cr_assert_not(phys_mem_is_ram(mem, 0xc0000000ULL, 4));
	cr_assert(phys_mem_is_backed(mem, 0xc0000000ULL, 0x4000));
	cr_assert_not(phys_mem_is_backed(mem, 0xc0000000ULL, 0x4001), "nvme0 BAR0 is 16 KiB");
	/* the hole between RAM ranges */
	cr_assert_eq(phys_mem_read(mem, 0xb0000000ULL, buf, 1), -ENXIO);
	phys_mem_free(mem);
	topology_free(t);
}

Test(physmem, adjacent_ram_ranges_form_one_span)
{
	struct phys_mem *mem = mem_with(0x0, 0x2000);
	struct phys_mem_region r = {
		.kind = PHYS_MEM_RAM, .base = 0x2000, .size_bytes = 0x2000, .bar = -1
	};
	u8 in[32], out[32];

	cr_assert_eq(phys_mem_add_region(mem, &r), 0);
	cr_assert(phys_mem_is_ram(mem, 0x1ff0, 0x20));
	memset(in, 0x3c, sizeof(in));
	cr_assert_eq(phys_mem_write(mem, 0x1ff0, in, sizeof(in)), 0);
	cr_assert_eq(phys_mem_read(mem, 0x1ff0, out, sizeof(out)), 0);
	cr_assert_arr_eq(in, out, sizeof(in));
	phys_mem_free(mem);
}

Test(physmem, copy_is_overlap_safe_and_many_pages_grow_the_table)
{
	struct phys_mem *mem = mem_with(0, 64ULL << 20);
	struct phys_mem_stats st;
	u8 buf[8192], out[8192];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)i;
	cr_assert_eq(phys_mem_write(mem, 0x10000, buf, sizeof(buf)), 0);
	/* forward overlap: dst inside src */
	cr_assert_eq(phys_mem_copy(mem, 0x10100, 0x10000, sizeof(buf)), 0);
	cr_assert_eq(phys_mem_read(mem, 0x10100, out, sizeof(out)), 0);
	cr_assert_arr_eq(buf, out, sizeof(buf));
	/* 1000 scattered pages */
	for (u64 i = 0; i < 1000; i++)
		cr_assert_eq(phys_mem_fill(mem, 0x100000 + i * 0x9000, (int)(i & 0xff), 1), 0);
	for (u64 i = 0; i < 1000; i++) {
		cr_assert_eq(phys_mem_read(mem, 0x100000 + i * 0x9000, out, 2), 0);
		cr_assert_eq(out[0], (u8)i);
		cr_assert_eq(out[1], 0);
	}
	phys_mem_get_stats(mem, &st);
	cr_assert_eq(st.pages_touched, 3 + 1000);
	phys_mem_free(mem);
}

Test(physmem, regions_sharing_a_page_keep_their_own_reset_bytes)
{
	struct phys_mem *mem = mem_with(0x10000, 0x800); /* RAM [0x10000, 0x10800) */
	struct phys_mem_region bar = { .kind = PHYS_MEM_BAR,
				       .base = 0x10800,
				       .size_bytes = 0x400,
				       .reset_byte = 0xff,
				       .bar = 0 };
	u8 b[4];

	cr_assert_eq(phys_mem_add_region(mem, &bar), 0);
	/* [0x10c00, 0x11000) of the same page is a hole */
	b[0] = 0x12;
	cr_assert_eq(phys_mem_write(mem, 0x107fe, b, 1), 0);
	cr_assert_eq(phys_mem_read(mem, 0x107fe, b, 4), 0, "RAM and BAR bytes in one read");
	cr_assert_eq(b[0], 0x12);
	cr_assert_eq(b[1], 0x00, "RAM resets to zero");
	cr_assert_eq(b[2], 0xff, "the BAR to its pattern");
	cr_assert_eq(b[3], 0xff);
	cr_assert_eq(phys_mem_read(mem, 0x10bff, b, 2), -ENXIO, "runs into the hole");
	cr_assert(phys_mem_is_backed(mem, 0x10000, 0xc00));
	cr_assert_not(phys_mem_is_ram(mem, 0x10000, 0xc00));
	phys_mem_free(mem);
}
