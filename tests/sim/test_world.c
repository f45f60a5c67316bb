// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_world.c - worlds built from topologies (sim/world.c through the
 * public API of include/p2psim/world.h): which devices exist, dma-iommu vs
 * dma-direct by host bridge and mode, buffers, and end-to-end mapping that
 * leaves every counter back at zero.
 *
 * Machine: tests/helpers/topo_builder.h tb_standard(): nvme0, gpu0 and the
 * untrusted RCiEP ext0 behind hb0 (iommu0), nic0 (32-bit) behind hb1 (no
 * IOMMU). RAM [0, 2 GiB) + [4 GiB, 8 GiB).
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "helpers/topo_builder.h"
#include "sim/topology/topology_internal.h"
#include "sim/world.h"
#include "src/iommu/iommu.h"

static struct topology *topo;
static p2psim_world *w;

static void make(enum iommu_mode topo_mode, int override)
{
	struct p2psim_world_opts o;
	struct p2psim_error err;

	p2psim_world_opts_init(&o);
	o.iommu_mode = override;
	p2psim_error_clear(&err);
	topo = tb_standard(topo_mode);
	cr_assert_eq(p2psim_world_new(topology_to_public(topo), &o, &w, &err), P2PSIM_OK, "%s",
		     err.message);
}

static void teardown(void)
{
	p2psim_world_free(w);
	topology_free(topo);
}

static void setup_strict(void)
{
	make(IOMMU_MODE_STRICT, P2PSIM_IOMMU_MODE_TOPOLOGY);
}

static struct p2psim_device_info info(const char *id)
{
	struct p2psim_device_info i;

	cr_assert_eq(p2psim_world_device_info(w, id, &i, NULL), P2PSIM_OK, "%s", id);
	return i;
}

static void assert_all_zero(void)
{
	struct p2psim_dma_stats s;

	p2psim_world_stats(w, &s);
	cr_assert_eq(s.iovas_live, 0, "IOVAs left: %llu", (unsigned long long)s.iovas_live);
	cr_assert_eq(s.fq_depth, 0);
	cr_assert_eq(s.swiotlb_slots_used, 0);
	/* no leaf PTE left in any page table (intermediate tables may stay, as in the kernel) */
	for (size_t i = 0; i < world_from_public(w)->m->nr_iommus; i++) {
		const struct iommu_hw_stats *hs =
			iommu_hw_stats(world_from_public(w)->m->iommus[i]);

		cr_assert_eq(hs->leaves_live[0] + hs->leaves_live[1] + hs->leaves_live[2], 0);
	}
}

TestSuite(world, .init = setup_strict, .fini = teardown);

Test(world, devices_by_host_bridge)
{
	struct p2psim_device_info i;
	struct p2psim_error err;

	/*
	 * Endpoints and RCiEPs in kernel scan order (a bus's own functions
	 * before the buses behind its bridges); ports are not DMA devices.
	 */
	cr_assert_eq(p2psim_world_device_count(w), 4);
	cr_assert_str_eq(p2psim_world_device_id(w, 0), "ext0");
	cr_assert_str_eq(p2psim_world_device_id(w, 1), "nvme0");
	cr_assert_str_eq(p2psim_world_device_id(w, 2), "gpu0");
	cr_assert_str_eq(p2psim_world_device_id(w, 3), "nic0");
	cr_assert_null(p2psim_world_device_id(w, 4));

	i = info("nvme0");
	cr_assert_str_eq(i.dma_ops, "dma-iommu");
	cr_assert_str_eq(i.domain, "DMA");
	cr_assert_str_eq(i.iommu, "iommu0");
	cr_assert_eq(i.dma_mask_bits, 64);
	cr_assert_eq(i.required_mask, 0xffffffffULL, "behind an IOMMU: 32 bits suffice");
	cr_assert_not(i.addressing_limited);
	cr_assert_eq(i.opt_mapping_size, 128 * 1024);
	cr_assert(i.need_unmap, "dma-iommu always needs unmap");

	i = info("nic0");
	cr_assert_str_eq(i.dma_ops, "dma-direct");
	cr_assert_str_eq(i.domain, "none");
	cr_assert_null(i.iommu);
	cr_assert_eq(i.dma_mask_bits, 32);
	cr_assert(i.addressing_limited);
	cr_assert_not(i.need_unmap);
	cr_assert(i.skip_sync);

	i = info("02:00.0"); /* by BDF */
	cr_assert_str_eq(i.id, "gpu0");

	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_world_device_info(w, "nope", &i, &err), P2PSIM_EINPUT);
	cr_assert_str_eq(err.message, "no device 'nope'");
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_world_device_info(w, "rp0", &i, &err), P2PSIM_EINPUT);
	cr_assert(strstr(err.message, "does not do DMA"), "%s", err.message);
}

/* Tests that build their own world; the suite frees the last one. */
TestSuite(world_own, .fini = teardown);

Test(world_own, modes)
{
	make(IOMMU_MODE_LAZY, P2PSIM_IOMMU_MODE_TOPOLOGY);
	cr_assert_str_eq(info("nvme0").domain, "DMA_FQ");
	cr_assert_str_eq(info("ext0").domain, "DMA", "untrusted: forced strict");
	teardown();

	make(IOMMU_MODE_LAZY, P2PSIM_IOMMU_MODE_PASSTHROUGH);
	cr_assert_str_eq(info("nvme0").domain, "IDENTITY");
	cr_assert_str_eq(info("nvme0").dma_ops, "dma-direct");
	cr_assert_str_eq(info("ext0").domain, "DMA", "untrusted: never passthrough");
	cr_assert_str_eq(info("ext0").dma_ops, "dma-iommu");
	teardown();

	make(IOMMU_MODE_STRICT, P2PSIM_IOMMU_MODE_OFF);
	for (size_t i = 0; i < p2psim_world_device_count(w); i++) {
		cr_assert_str_eq(info(p2psim_world_device_id(w, i)).dma_ops, "dma-direct");
		cr_assert_str_eq(info(p2psim_world_device_id(w, i)).domain, "none");
	}
	/* the suite's .fini frees this one */
}

Test(world, per_device_iommu_mode)
{
	struct p2psim_error err;
	uint64_t dma;

	cr_assert_eq(p2psim_world_set_device_iommu_mode(w, "nvme0", P2PSIM_IOMMU_MODE_LAZY, NULL),
		     0);
	cr_assert_str_eq(info("nvme0").domain, "DMA_FQ");
	cr_assert_str_eq(info("gpu0").domain, "DMA", "the others keep theirs");
	cr_assert_eq(p2psim_world_set_device_iommu_mode(w, "nvme0", P2PSIM_IOMMU_MODE_OFF, NULL),
		     0);
	cr_assert_str_eq(info("nvme0").dma_ops, "dma-direct");
	cr_assert_str_eq(info("nvme0").domain, "none");
	cr_assert_eq(p2psim_buffer_alloc(w, "b", 4096, P2PSIM_PLACE_ANY, NULL, NULL), 0);
	cr_assert_eq(p2psim_dma_map_buffer(w, "nvme0", "b", 0, 4096, P2PSIM_DMA_TO_DEVICE, 0, &dma,
					   NULL),
		     0);
	cr_assert_eq(dma, 0x100000000ULL, "dma-direct now: the physical address");
	cr_assert_eq(p2psim_dma_unmap(w, "nvme0", dma, 4096, P2PSIM_DMA_TO_DEVICE, 0, NULL), 0);
	cr_assert_eq(
		p2psim_world_set_device_iommu_mode(w, "ext0", P2PSIM_IOMMU_MODE_PASSTHROUGH, NULL),
		0);
	cr_assert_str_eq(info("ext0").domain, "DMA", "untrusted: still strict");
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_world_set_device_iommu_mode(w, "nic0", P2PSIM_IOMMU_MODE_LAZY, &err),
		     P2PSIM_EINPUT);
	cr_assert_str_eq(err.message, "'nic0' has no IOMMU");
	cr_assert_eq(
		p2psim_world_set_device_iommu_mode(w, "nvme0", P2PSIM_IOMMU_MODE_TOPOLOGY, NULL),
		P2PSIM_EINPUT);
	assert_all_zero();
}

Test(world, strict_map_unmap_leaves_nothing)
{
	struct device *nvme = world_find_device(world_from_public(w), "nvme0");
	struct p2psim_dma_stats s;
	uint64_t phys, dma;

	cr_assert_eq(p2psim_buffer_alloc(w, "b", 16384, P2PSIM_PLACE_ANY, &phys, NULL), 0);
	cr_assert_eq(p2psim_dma_map_buffer(w, "nvme0", "b", 0x1000, 4096, P2PSIM_DMA_TO_DEVICE, 0,
					   &dma, NULL),
		     P2PSIM_OK);
	cr_assert_neq(dma, P2PSIM_DMA_ERROR);
	cr_assert_neq(dma, phys + 0x1000, "an IOVA, not the physical address");
	cr_assert_lt(dma, 0x100000000ULL, "SAC first: below 4 GiB");
	cr_assert_eq(iommu_iova_to_phys(nvme->domain, dma), phys + 0x1000);
	p2psim_world_stats(w, &s);
	cr_assert_eq(s.maps, 1);
	cr_assert_eq(s.iovas_live, 1);
	cr_assert_geq(s.pgtable_pages, 4, "a 4-level walk to the leaf");
	cr_assert_eq(p2psim_dma_unmap(w, "nvme0", dma, 4096, P2PSIM_DMA_TO_DEVICE, 0, NULL), 0);
	cr_assert_eq(iommu_iova_to_phys(nvme->domain, dma), 0);
	p2psim_world_stats(w, &s);
	cr_assert_eq(s.unmaps, 1);
	cr_assert_geq(s.iotlb_invalidations, 1, "strict: invalidated at unmap");
	assert_all_zero();
}

Test(world_own, lazy_unmap_waits_for_the_flush_queue)
{
	struct p2psim_dma_stats s;
	uint64_t dma;

	make(IOMMU_MODE_LAZY, P2PSIM_IOMMU_MODE_TOPOLOGY);
	cr_assert_eq(p2psim_buffer_alloc(w, "b", 4096, P2PSIM_PLACE_ANY, NULL, NULL), 0);
	cr_assert_eq(p2psim_dma_map_buffer(w, "nvme0", "b", 0, 4096, P2PSIM_DMA_FROM_DEVICE, 0,
					   &dma, NULL),
		     0);
	cr_assert_eq(p2psim_dma_unmap(w, "nvme0", dma, 4096, P2PSIM_DMA_FROM_DEVICE, 0, NULL), 0);
	p2psim_world_stats(w, &s);
	cr_assert_eq(s.fq_depth, 1, "the IOVA waits in the flush queue");
	cr_assert_eq(s.iovas_live, 1);
	/* the 10 ms flush-queue timer */
	p2psim_world_advance(w, 10ULL * 1000 * 1000);
	cr_assert_eq(p2psim_world_now_ns(w), 10ULL * 1000 * 1000);
	assert_all_zero();
}

Test(world, untrusted_unaligned_map_bounces)
{
	struct p2psim_dma_stats s;
	uint64_t phys, dma;
	uint8_t in[100], out[100];

	cr_assert_eq(p2psim_buffer_alloc(w, "b", 4096, P2PSIM_PLACE_ANY, &phys, NULL), 0);
	for (int i = 0; i < 100; i++)
		in[i] = (uint8_t)(i + 1);
	cr_assert_eq(p2psim_buffer_write(w, "b", 0x10, in, 100, NULL), 0);
	cr_assert_eq(p2psim_dma_map(w, "ext0", phys + 0x10, 100, P2PSIM_DMA_BIDIRECTIONAL, 0, &dma,
				    NULL),
		     0);
	cr_assert_neq(dma, P2PSIM_DMA_ERROR);
	p2psim_world_stats(w, &s);
	cr_assert_eq(s.swiotlb_maps, 1, "untrusted + unaligned: bounced");
	cr_assert_eq(s.swiotlb_slots_used, 2, "granule-aligned allocation: one page");
	/* the device writes through its mapping: the CPU sees it after unmap */
	{
		struct device *ext = world_find_device(world_from_public(w), "ext0");
		phys_addr_t bounce = iommu_iova_to_phys(ext->domain, dma);

		for (int i = 0; i < 100; i++)
			in[i] = (uint8_t)(200 - i);
		cr_assert_eq(p2psim_mem_write(w, bounce, in, 100, NULL), 0);
	}
	cr_assert_eq(p2psim_dma_unmap(w, "ext0", dma, 100, P2PSIM_DMA_BIDIRECTIONAL, 0, NULL), 0);
	cr_assert_eq(p2psim_buffer_read(w, "b", 0x10, out, 100, NULL), 0);
	cr_assert_arr_eq(in, out, 100);
	assert_all_zero();
}

Test(world, failed_iommu_map_leaves_nothing_behind)
{
	struct world *ww = world_from_public(w);
	struct p2psim_dma_stats s;
	struct p2psim_sg sg[2];
	uint64_t phys, dma;
	int result;

	cr_assert_eq(p2psim_buffer_alloc(w, "b", 8192, P2PSIM_PLACE_ANY, &phys, NULL), 0);
	/* the first map of a fresh domain needs page-table pages: make the first one fail */
	iommu_hw_fail_pgtable_alloc(ww->m->iommus[0], 1);
	cr_assert_eq(p2psim_dma_map(w, "nvme0", phys, 4096, P2PSIM_DMA_TO_DEVICE, 0, &dma, NULL),
		     0);
	cr_assert_eq(dma, P2PSIM_DMA_ERROR);
	p2psim_world_stats(w, &s);
	cr_assert_eq(s.maps, 1, "the failed map is still a map call");
	assert_all_zero();

	/* the same for a scatterlist: -ENOMEM, nothing left */
	memset(sg, 0, sizeof(sg));
	sg[0].phys = phys;
	sg[0].length = 4096;
	sg[1].phys = phys + 4096;
	sg[1].length = 4096;
	iommu_hw_fail_pgtable_alloc(ww->m->iommus[0], 1);
	cr_assert_eq(p2psim_dma_map_sg(w, "gpu0", sg, 2, P2PSIM_DMA_TO_DEVICE, 0, &result, NULL),
		     0);
	cr_assert_eq(result, -ENOMEM);
	assert_all_zero();
	iommu_hw_fail_pgtable_alloc(ww->m->iommus[0], 0);
}

Test(world, sg_through_the_public_api)
{
	struct p2psim_sg sg[3];
	uint64_t phys;
	int result;

	cr_assert_eq(p2psim_buffer_alloc(w, "b", 3 * 4096, P2PSIM_PLACE_ANY, &phys, NULL), 0);
	memset(sg, 0, sizeof(sg));
	for (int i = 0; i < 3; i++) {
		sg[i].phys = phys + (uint64_t)i * 4096;
		sg[i].length = 4096;
	}
	cr_assert_eq(p2psim_dma_map_sg(w, "nvme0", sg, 3, P2PSIM_DMA_TO_DEVICE, 0, &result, NULL),
		     0);
	cr_assert_gt(result, 0);
	cr_assert_eq(sg[0].dma_length, 3 * 4096, "dma-iommu merges contiguous IOVA");
	cr_assert_eq(p2psim_dma_unmap_sg(w, "nvme0", sg, 3, P2PSIM_DMA_TO_DEVICE, 0, NULL), 0);
	assert_all_zero();

	/* the direct device: one segment per entry, identity */
	cr_assert_eq(p2psim_dma_map_sg(w, "nic0", sg, 1, P2PSIM_DMA_TO_DEVICE, 0, &result, NULL),
		     0);
	cr_assert_eq(result, 1);
	cr_assert_neq(sg[0].dma_address, phys, "nic0 is 32-bit and b is above 4 GiB: bounced");
	cr_assert_eq(p2psim_dma_unmap_sg(w, "nic0", sg, 1, P2PSIM_DMA_TO_DEVICE, 0, NULL), 0);
	assert_all_zero();
}

Test(world, public_syncs_move_bounced_bytes)
{
	struct p2psim_sg sg;
	uint64_t dma;
	uint8_t b = 0, v = 0x5c;
	int result;

	/* nic0 (32-bit, no IOMMU) and a buffer above 4 GiB: bounced, dma is the pool address */
	cr_assert_eq(p2psim_buffer_alloc(w, "b", 4096, P2PSIM_PLACE_ABOVE_4G, NULL, NULL), 0);
	cr_assert_eq(
		p2psim_dma_map_buffer(w, "nic0", "b", 0, 64, P2PSIM_DMA_FROM_DEVICE, 0, &dma, NULL),
		0);
	cr_assert_eq(dma, 0x7c000000ULL);
	cr_assert_eq(p2psim_mem_write(w, dma + 5, &v, 1, NULL), 0); /* the device writes */
	cr_assert_eq(p2psim_dma_sync(w, "nic0", dma, 64, P2PSIM_DMA_FROM_DEVICE, 1, NULL), 0);
	cr_assert_eq(p2psim_buffer_read(w, "b", 5, &b, 1, NULL), 0);
	cr_assert_eq(b, 0x5c, "sync for cpu copied the byte back");
	cr_assert_eq(p2psim_dma_unmap(w, "nic0", dma, 64, P2PSIM_DMA_FROM_DEVICE,
				      P2PSIM_ATTR_SKIP_CPU_SYNC, NULL),
		     0);

	memset(&sg, 0, sizeof(sg));
	cr_assert_eq(p2psim_buffer_lookup(w, "b", &sg.phys, NULL), 0);
	sg.length = 64;
	cr_assert_eq(p2psim_dma_map_sg(w, "nic0", &sg, 1, P2PSIM_DMA_TO_DEVICE, 0, &result, NULL),
		     0);
	cr_assert_eq(result, 1);
	v = 0x77;
	cr_assert_eq(p2psim_buffer_write(w, "b", 0, &v, 1, NULL), 0); /* the CPU writes */
	cr_assert_eq(p2psim_dma_sync_sg(w, "nic0", &sg, 1, P2PSIM_DMA_TO_DEVICE, 0, NULL), 0);
	cr_assert_eq(p2psim_mem_read(w, sg.dma_address, &b, 1, NULL), 0);
	cr_assert_eq(b, 0x77, "sync for device pushed it into the bounce buffer");
	cr_assert_eq(p2psim_dma_unmap_sg(w, "nic0", &sg, 1, P2PSIM_DMA_TO_DEVICE, 0, NULL), 0);
	assert_all_zero();
}

Test(world, stats_text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(p2psim_world_print_stats(w, f, P2PSIM_FORMAT_TEXT), P2PSIM_OK);
	fclose(f);
	cr_assert(strstr(buf, "maps                   0\n"), "%s", buf);
	cr_assert(strstr(buf, "swiotlb_slots_total    32768\n"));
	free(buf);
}

Test(world, buffers)
{
	struct p2psim_error err;
	uint64_t phys, size;
	uint8_t b[16];

	cr_assert_eq(p2psim_buffer_alloc(w, "a", 100, P2PSIM_PLACE_BELOW_4G, &phys, NULL), 0);
	cr_assert_eq(phys, 0x100000);
	cr_assert_eq(p2psim_buffer_alloc(w, "b", 4096, P2PSIM_PLACE_BELOW_4G, &phys, NULL), 0);
	cr_assert_eq(phys, 0x101000, "page aligned after 'a'");
	cr_assert_eq(p2psim_buffer_lookup(w, "b", &phys, &size), 0);
	cr_assert_eq(size, 4096);

	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_buffer_alloc(w, "a", 1, 0, NULL, &err), P2PSIM_EINPUT);
	cr_assert_str_eq(err.message, "buffer 'a' already exists");
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_buffer_alloc_at(w, "c", 0x100060, 16, &err), P2PSIM_EINPUT);
	cr_assert(strstr(err.message, "overlaps"));
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_buffer_alloc_at(w, "c", 0x90000000ULL, 16, &err), P2PSIM_EINPUT,
		     "2.25 GiB is the RAM hole");
	cr_assert(strstr(err.message, "is not RAM"));
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_buffer_alloc_at(w, "c", 0x7c000000ULL, 16, &err), P2PSIM_EINPUT,
		     "the swiotlb pool is taken");
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_buffer_read(w, "a", 90, b, 16, &err), P2PSIM_EINPUT);
	cr_assert(strstr(err.message, "outside its 100 bytes"), "%s", err.message);

	cr_assert_eq(p2psim_buffer_fill(w, "a", 0, 100, P2PSIM_FILL_INCREMENT, 0xfe, NULL), 0);
	cr_assert_eq(p2psim_buffer_read(w, "a", 0, b, 4, NULL), 0);
	cr_assert_eq(b[0], 0xfe);
	cr_assert_eq(b[1], 0xff);
	cr_assert_eq(b[2], 0x00);
	cr_assert_eq(b[3], 0x01);
	cr_assert_eq(p2psim_buffer_fill(w, "a", 10, 2, P2PSIM_FILL_BYTE, 0x33, NULL), 0);
	cr_assert_eq(p2psim_buffer_read(w, "a", 9, b, 4, NULL), 0);
	cr_assert_eq(b[0], (uint8_t)(0xfe + 9));
	cr_assert_eq(b[1], 0x33);
	cr_assert_eq(b[2], 0x33);
	cr_assert_eq(b[3], (uint8_t)(0xfe + 12));

	cr_assert_eq(p2psim_buffer_free(w, "a", NULL), 0);
	cr_assert_eq(p2psim_buffer_alloc(w, "a2", 4096, P2PSIM_PLACE_BELOW_4G, &phys, NULL), 0);
	cr_assert_eq(phys, 0x100000, "freed space is reused");
	cr_assert_eq(p2psim_buffer_free(w, "a", NULL), P2PSIM_EINPUT);
}

Test(world, random_fill_is_deterministic_and_offset_stable)
{
	uint8_t whole[64], part[64];

	cr_assert_eq(p2psim_buffer_alloc(w, "r", 64, 0, NULL, NULL), 0);
	cr_assert_eq(p2psim_buffer_fill(w, "r", 0, 64, P2PSIM_FILL_RANDOM, 7, NULL), 0);
	cr_assert_eq(p2psim_buffer_read(w, "r", 0, whole, 64, NULL), 0);
	cr_assert_eq(p2psim_buffer_fill(w, "r", 0, 64, P2PSIM_FILL_BYTE, 0, NULL), 0);
	/* filling a sub-range writes the same bytes the whole fill put there */
	cr_assert_eq(p2psim_buffer_fill(w, "r", 13, 30, P2PSIM_FILL_RANDOM, 7, NULL), 0);
	cr_assert_eq(p2psim_buffer_read(w, "r", 0, part, 64, NULL), 0);
	cr_assert_arr_eq(part + 13, whole + 13, 30);
	cr_assert_eq(part[12], 0);
	cr_assert_eq(part[43], 0);
	{
		int distinct = 0;

		for (int i = 1; i < 64; i++)
			distinct += whole[i] != whole[i - 1];
		cr_assert_gt(distinct, 40, "looks random");
	}
}

Test(world, raw_memory_and_sparse_bars)
{
	struct p2psim_dma_stats s;
	struct p2psim_error err;
	uint8_t b[4] = { 1, 2, 3, 4 }, r[4];

	/* the last bytes of gpu0's 1 TiB BAR */
	cr_assert_eq(p2psim_mem_write(w, 0x10000000000ULL + 0xfffffffffcULL, b, 4, NULL), 0);
	cr_assert_eq(p2psim_mem_read(w, 0x10000000000ULL + 0xfffffffffcULL, r, 4, NULL), 0);
	cr_assert_arr_eq(b, r, 4);
	cr_assert_eq(p2psim_mem_read(w, 0x10000000000ULL, r, 4, NULL), 0);
	cr_assert_eq(r[0], 0xff, "untouched BAR bytes read as the reset pattern");
	p2psim_world_stats(w, &s);
	cr_assert_eq(s.mem_pages_touched, 1);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_mem_read(w, 0x90000000ULL, r, 4, &err), P2PSIM_EINPUT);
	cr_assert_str_eq(err.message, "no memory at [0x90000000, +0x4)");
}

Test(world, stats_json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_object *o, *v;

	cr_assert_eq(p2psim_world_print_stats(w, f, P2PSIM_FORMAT_JSON), P2PSIM_OK);
	fclose(f);
	o = json_tokener_parse(buf);
	cr_assert_not_null(o);
	cr_assert(json_object_object_get_ex(o, "swiotlb_slots_total", &v));
	cr_assert_eq(json_object_get_uint64(v), 32768, "64 MiB of 2 KiB slots");
	cr_assert(json_object_object_get_ex(o, "iotlb_hits", &v));
	json_object_put(o);
	free(buf);
}

Test(world_opts, bad_options)
{
	struct p2psim_world_opts o;
	struct p2psim_error err;
	p2psim_world *x = (p2psim_world *)1;

	topo = tb_standard(IOMMU_MODE_STRICT);
	p2psim_world_opts_init(&o);
	o.swiotlb_bytes = 4 * SZ_1G; /* more than the 2 GiB of low RAM */
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_world_new(topology_to_public(topo), &o, &x, &err), P2PSIM_EINPUT);
	cr_assert_null(x);
	cr_assert_str_eq(err.message, "no 4194304 KiB of RAM below 4 GiB for the swiotlb pool");
	p2psim_world_opts_init(&o);
	o.iommu_mode = 42;
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_world_new(topology_to_public(topo), &o, &x, &err), P2PSIM_EINPUT);
	cr_assert_eq(p2psim_iommu_mode_parse("lazy"), P2PSIM_IOMMU_MODE_LAZY);
	cr_assert_eq(p2psim_iommu_mode_parse("bogus"), -1);
	cr_assert_eq(p2psim_dma_dir_parse("from"), P2PSIM_DMA_FROM_DEVICE);
	cr_assert_str_eq(p2psim_dma_dir_name(P2PSIM_DMA_TO_DEVICE), "to_device");
	topology_free(topo);
}

/*
 * Every shipped topology builds a world, and every DMA device can map and
 * unmap 4 KiB (strict and lazy) with every counter back at zero afterwards.
 */
static void map_every_device(void)
{
	struct p2psim_error err;
	uint64_t dma;

	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_buffer_alloc(w, "x", 4096, P2PSIM_PLACE_BELOW_4G, NULL, &err), 0, "%s",
		     err.message);
	for (size_t i = 0; i < p2psim_world_device_count(w); i++) {
		const char *id = p2psim_world_device_id(w, i);

		cr_assert_eq(p2psim_dma_map_buffer(w, id, "x", 0, 4096, P2PSIM_DMA_BIDIRECTIONAL, 0,
						   &dma, NULL),
			     0);
		cr_assert_neq(dma, P2PSIM_DMA_ERROR, "%s", id);
		cr_assert_eq(p2psim_dma_unmap(w, id, dma, 4096, P2PSIM_DMA_BIDIRECTIONAL, 0, NULL),
			     0);
	}
	p2psim_world_advance(w, 2ULL * 1000 * 1000 * 1000); /* past every flush-queue timeout */
	assert_all_zero();
}

Test(world_shipped, every_topology)
{
	static const char *const files[] = {
		"amd-zen-2s.xml",   "azure-ndv5-like.xml",
		"default.xml",	    "desktop-nonallowlisted.xml",
		"dgx2-like.xml",    "hygon-dhyana.xml",
		"intel-2s-acs.xml", "microvm-virtio.xml",
		"multi-domain.xml", "q35-vm.xml",
		"sriov-mf.xml",
	};

	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		for (int mode = P2PSIM_IOMMU_MODE_STRICT; mode <= P2PSIM_IOMMU_MODE_LAZY; mode++) {
			char path[1024];
			p2psim_topology *t;
			struct p2psim_world_opts o;
			struct p2psim_error err;

			snprintf(path, sizeof(path), "%s/topologies/%s", P2PSIM_SRCDIR, files[f]);
			p2psim_error_clear(&err);
			if (p2psim_topology_load_file(path, &t, &err) != P2PSIM_OK) {
				cr_log_warn("%s: %s (skipped)", files[f], err.message);
				continue;
			}
			p2psim_world_opts_init(&o);
			o.iommu_mode = mode;
			o.nr_cpus = 4;
			cr_assert_eq(p2psim_world_new(t, &o, &w, &err), P2PSIM_OK, "%s: %s",
				     files[f], err.message);
			map_every_device();
			p2psim_world_free(w);
			p2psim_topology_free(t);
		}
	}
}
