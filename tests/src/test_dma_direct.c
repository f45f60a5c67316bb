// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_dma_direct.c - dma-direct and the dispatch for devices without an
 * IOMMU DMA domain (src/dma/direct.c, src/dma/mapping.c against
 * reference/dma-iommu.md §4): masks, dma_range_map, bouncing, MMIO,
 * non-coherent syncs, map_sg with P2P segments and error unwinding.
 *
 * Worlds are built on topologies made in C (tests/helpers/topo_builder.h).
 * The standard machine has RAM [0, 2 GiB) + [4 GiB, 8 GiB); the 64 MiB
 * swiotlb pool therefore sits at the top of low RAM: 0x7c000000.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers/topo_builder.h"
#include "models/mem/physmem.h"
#include "sim/topology/topology_internal.h"
#include "sim/world.h"
#include "src/dma/arch.h"
#include "src/dma/direct.h"
#include "src/dma/mapping.h"
#include "src/dma/swiotlb.h"
#include "src/kernel_profile.h"

#define POOL 0x7c000000ULL

static struct topology *topo;
static p2psim_world *pw;
static struct world *w;

static void make_world(struct topology *t, const struct p2psim_world_opts *opts)
{
	struct p2psim_error err;

	p2psim_error_clear(&err);
	topo = t;
	cr_assert_eq(p2psim_world_new(topology_to_public(topo), opts, &pw, &err), P2PSIM_OK, "%s",
		     err.message);
	w = world_from_public(pw);
}

static void setup_off(void)
{
	struct p2psim_world_opts o;

	p2psim_world_opts_init(&o);
	o.iommu_mode = P2PSIM_IOMMU_MODE_OFF;
	make_world(tb_standard(IOMMU_MODE_STRICT), &o);
}

static void teardown(void)
{
	p2psim_world_free(pw);
	topology_free(topo);
}

static struct device *dev(const char *id)
{
	struct device *d = world_find_device(w, id);

	cr_assert_not_null(d, "device %s", id);
	return d;
}

static phys_addr_t buffer(const char *name, u64 size, int placement)
{
	uint64_t phys;

	cr_assert_eq(p2psim_buffer_alloc(pw, name, size, placement, &phys, NULL), P2PSIM_OK);
	return phys;
}

TestSuite(dma_direct, .init = setup_off, .fini = teardown);

Test(dma_direct, devices_and_masks)
{
	struct device *nic = dev("nic0"), *nvme = dev("nvme0");

	cr_assert_eq(w->nr_devs, 4, "nvme0, gpu0, ext0, nic0");
	cr_assert_not(use_dma_iommu(nvme), "iommu mode off: dma-direct");
	cr_assert_eq(nic->dma_mask, 0xffffffffULL);
	cr_assert_eq(nvme->dma_mask, ~0ULL);
	/* max RAM page at 8 GiB - 4 KiB: 33 bits */
	cr_assert_eq(dma_get_required_mask(nic), 0x1ffffffffULL);
	cr_assert(dma_addressing_limited(nic));
	cr_assert_not(dma_addressing_limited(nvme));
	cr_assert_eq(dma_max_mapping_size(nic), 256 * 1024, "limited: swiotlb's segment");
	cr_assert_eq(dma_max_mapping_size(nvme), SIZE_MAX);
	cr_assert_eq(dma_opt_mapping_size(nvme), SIZE_MAX);
	/* ZONE_DMA: 24-bit masks are fine, 20-bit ones are not */
	cr_assert_eq(dma_set_mask_and_coherent(nic, DMA_BIT_MASK(24)), 0);
	cr_assert_eq(nic->dma_mask, 0xffffffULL);
	cr_assert_eq(dma_set_mask(nic, DMA_BIT_MASK(20)), -EIO);
	cr_assert_eq(nic->dma_mask, 0xffffffULL, "a refused mask changes nothing");
	/* coherent devices skip syncs until a bounce */
	cr_assert(nvme->dma_skip_sync);
	cr_assert_not(dma_need_unmap(nvme));
}

Test(dma_direct, wide_device_maps_identity)
{
	struct device *nvme = dev("nvme0");
	phys_addr_t hi = buffer("hi", 8192, P2PSIM_PLACE_ANY);
	dma_addr_t d;

	cr_assert_eq(hi, 0x100000000ULL, "ANY prefers RAM above 4 GiB");
	d = dma_map_phys(nvme, hi + 0x10, 100, DMA_TO_DEVICE, 0);
	cr_assert_eq(d, hi + 0x10);
	cr_assert_eq(swiotlb_used_slots(w->swiotlb), 0);
	dma_unmap_phys(nvme, d, 100, DMA_TO_DEVICE, 0);
	cr_assert_eq(w->m->arch_sync.calls, 0, "coherent: no cache maintenance");
	cr_assert_not(dma_need_unmap(nvme));
}

Test(dma_direct, narrow_device_bounces_high_buffer)
{
	struct device *nic = dev("nic0");
	phys_addr_t hi = buffer("hi", 4096, P2PSIM_PLACE_ABOVE_4G);
	phys_addr_t lo = buffer("lo", 4096, P2PSIM_PLACE_BELOW_4G);
	u8 data[4096], back[4096];
	dma_addr_t d;

	cr_assert_eq(w->swiotlb->defpool.start, POOL);
	cr_assert_eq(lo, 0x100000ULL, "lowest fit above the 1 MiB floor");
	for (int i = 0; i < 4096; i++)
		data[i] = (u8)(i * 3);
	cr_assert_eq(p2psim_buffer_write(pw, "hi", 0, data, 4096, NULL), P2PSIM_OK);

	/* below 4 GiB: reachable, no bounce */
	d = dma_map_phys(nic, lo, 4096, DMA_TO_DEVICE, 0);
	cr_assert_eq(d, lo);
	dma_unmap_phys(nic, d, 4096, DMA_TO_DEVICE, 0);
	cr_assert(nic->dma_skip_sync);

	/* above 4 GiB: bounced into slot 0 of the pool (page aligned, 2 slots) */
	d = dma_map_phys(nic, hi, 4096, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(d, POOL);
	cr_assert_eq(swiotlb_used_slots(w->swiotlb), 2);
	cr_assert_eq(phys_mem_read(w->m->mem, POOL, back, 4096), 0);
	cr_assert_arr_eq(back, data, 4096, "the map copied the buffer into the pool");
	cr_assert_not(nic->dma_skip_sync, "first bounce flips dma_skip_sync");
	cr_assert(dma_need_unmap(nic));
	cr_assert(dma_need_sync(nic, d));

	/* the device writes the bounce buffer; unmap copies it back */
	cr_assert_eq(phys_mem_fill(w->m->mem, POOL, 0xee, 4096), 0);
	dma_unmap_phys(nic, d, 4096, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(p2psim_buffer_read(pw, "hi", 0, back, 4096, NULL), P2PSIM_OK);
	for (int i = 0; i < 4096; i++)
		cr_assert_eq(back[i], 0xee);
	cr_assert_eq(swiotlb_used_slots(w->swiotlb), 0);
}

Test(dma_direct, skip_cpu_sync_unmap_skips_the_copy_back)
{
	struct device *nic = dev("nic0");
	phys_addr_t hi = buffer("hi", 4096, P2PSIM_PLACE_ABOVE_4G);
	u8 b;
	dma_addr_t d;

	d = dma_map_phys(nic, hi, 512, DMA_FROM_DEVICE, 0);
	cr_assert_eq(d, POOL);
	cr_assert_eq(phys_mem_fill(w->m->mem, POOL, 0x42, 512), 0);
	/* dma-direct: SKIP_CPU_SYNC skips the sync that does the copy-back */
	dma_unmap_phys(nic, d, 512, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	cr_assert_eq(p2psim_buffer_read(pw, "hi", 0, &b, 1, NULL), P2PSIM_OK);
	cr_assert_eq(b, 0);
	cr_assert_eq(swiotlb_used_slots(w->swiotlb), 0, "slots released anyway");

	/* an explicit sync_for_cpu before unmap does copy */
	d = dma_map_phys(nic, hi, 512, DMA_FROM_DEVICE, 0);
	cr_assert_eq(phys_mem_fill(w->m->mem, d, 0x43, 512), 0);
	dma_sync_single_for_cpu(nic, d, 512, DMA_FROM_DEVICE);
	cr_assert_eq(p2psim_buffer_read(pw, "hi", 511, &b, 1, NULL), P2PSIM_OK);
	cr_assert_eq(b, 0x43);
	dma_unmap_phys(nic, d, 512, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
}

Test(dma_direct, sg_sync_bounces_each_segment)
{
	struct device *nic = dev("nic0");
	phys_addr_t hi = buffer("hi", 8192, P2PSIM_PLACE_ABOVE_4G);
	struct scatterlist sg[2];
	u8 b[2];

	memset(sg, 0, sizeof(sg));
	sg[0] = (struct scatterlist){ .page_phys = hi, .offset = 8, .length = 100 };
	sg[1] = (struct scatterlist){ .page_phys = hi + 4096, .length = 4096 };
	cr_assert_eq(dma_map_sg_attrs(nic, sg, 2, DMA_FROM_DEVICE, 0), 2);
	/* 100 bytes: slot 0 (offset 8 is not kept: min_align_mask 0); 4 KiB: page aligned, slot 2 */
	cr_assert_eq(sg[0].dma_address, POOL);
	cr_assert_eq(sg[1].dma_address, POOL + 2 * 2048);
	cr_assert_eq(phys_mem_fill(w->m->mem, POOL, 0x61, 100), 0);
	cr_assert_eq(phys_mem_fill(w->m->mem, POOL + 0x1000, 0x62, 4096), 0);
	dma_sync_sg_for_cpu(nic, sg, 2, DMA_FROM_DEVICE);
	cr_assert_eq(p2psim_buffer_read(pw, "hi", 8 + 99, &b[0], 1, NULL), 0);
	cr_assert_eq(p2psim_buffer_read(pw, "hi", 8192 - 1, &b[1], 1, NULL), 0);
	cr_assert_eq(b[0], 0x61);
	cr_assert_eq(b[1], 0x62);
	dma_unmap_sg_attrs(nic, sg, 2, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	cr_assert_eq(swiotlb_used_slots(w->swiotlb), 0);
	cr_assert_eq(w->swiotlb->stats.bounces, 4, "2 at map + 2 at sync, none at unmap");
}

static enum sim_event_kind seen[16];
static unsigned int nr_seen;

static void record(void *ctx, const struct sim_event *ev)
{
	if (nr_seen < 16)
		seen[nr_seen++] = ev->kind;
}

Test(dma_direct, event_order_of_a_bounced_mapping)
{
	struct device *nic = dev("nic0");
	phys_addr_t hi = buffer("hi", 4096, P2PSIM_PLACE_ABOVE_4G);
	dma_addr_t d;
	const enum sim_event_kind expect[] = {
		EV_SWIOTLB_MAP, EV_BOUNCE,
		EV_DMA_MAP, /* map: slots, copy in, the map */
		EV_BOUNCE,	EV_SWIOTLB_UNMAP,
		EV_DMA_UNMAP, /* unmap: copy back, slots, the unmap */
	};

	nr_seen = 0;
	cr_assert_eq(event_bus_subscribe(&w->m->events, record, NULL), 0);
	d = dma_map_phys(nic, hi, 256, DMA_BIDIRECTIONAL, 0);
	dma_unmap_phys(nic, d, 256, DMA_BIDIRECTIONAL, 0);
	event_bus_unsubscribe(&w->m->events, record, NULL);
	cr_assert_eq(nr_seen, ARRAY_SIZE(expect));
	for (unsigned int i = 0; i < nr_seen; i++)
		cr_assert_eq(seen[i], expect[i], "event %u: %s, expected %s", i,
			     sim_event_kind_name(seen[i]), sim_event_kind_name(expect[i]));
}

Test(dma_direct, require_coherent_refuses_bouncing)
{
	struct device *nic = dev("nic0");
	phys_addr_t hi = buffer("hi", 4096, P2PSIM_PLACE_ABOVE_4G);

	cr_assert_eq(dma_map_phys(nic, hi, 64, DMA_TO_DEVICE, DMA_ATTR_REQUIRE_COHERENT),
		     DMA_MAPPING_ERROR);
	cr_assert_eq(w->swiotlb->stats.maps, 0);
	nic->dma_coherent = false;
	cr_assert_eq(dma_map_phys(nic, 0x100000, 64, DMA_TO_DEVICE, DMA_ATTR_REQUIRE_COHERENT),
		     DMA_MAPPING_ERROR, "non-coherent device: refused before dispatch");
}

Test(dma_direct, mmio_is_untranslated_and_never_bounced)
{
	struct device *nic = dev("nic0"), *nvme = dev("nvme0");
	const struct bus_dma_region shifted[] = {
		{ .cpu_start = 0, .dma_start = 0x1000000000ULL, .size = 8 * SZ_1G },
		{ 0 },
	};
	dma_addr_t d;

	/* gpu0 BAR0 (below 4 GiB) is reachable for the 32-bit nic */
	d = dma_map_resource(nic, 0xc1000000ULL, 4096, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(d, 0xc1000000ULL);
	dma_unmap_resource(nic, d, 4096, DMA_BIDIRECTIONAL, 0);
	/* gpu0 BAR2 at 1 TiB is not, and MMIO is never bounced */
	d = dma_map_resource(nic, 0x10000000000ULL, 4096, DMA_BIDIRECTIONAL, 0);
	cr_assert_eq(d, DMA_MAPPING_ERROR);
	cr_assert_eq(w->swiotlb->stats.maps, 0);
	/* a page mapping may not claim MMIO */
	cr_assert_eq(dma_map_page_attrs(nvme, 0xc1000000ULL, 0, 4096, DMA_TO_DEVICE, DMA_ATTR_MMIO),
		     DMA_MAPPING_ERROR);
	/* MMIO ignores the dma_range_map offset */
	nvme->dma_range_map = shifted;
	cr_assert_eq(dma_map_resource(nvme, 0xc1000000ULL, 64, DMA_TO_DEVICE, 0), 0xc1000000ULL);
	cr_assert_eq(dma_map_phys(nvme, 0x100000ULL, 64, DMA_TO_DEVICE, 0), 0x1000100000ULL,
		     "RAM goes through the range map");
	nvme->dma_range_map = NULL;
	/* the MMIO page mapping was refused before dma_map_phys: 4 map events */
	cr_assert_eq(w->m->events.counts[EV_DMA_MAP], 4);
}

Test(dma_direct, dma_range_map_translation_and_misses)
{
	struct device *nvme = dev("nvme0");
	const struct bus_dma_region map[] = {
		{ .cpu_start = 0x100000000ULL, .dma_start = 0x0, .size = 4 * SZ_1G },
		{ .cpu_start = 0x0, .dma_start = 0x100000000ULL, .size = 2 * SZ_1G },
		{ 0 },
	};
	dma_addr_t d;

	nvme->dma_range_map = map;
	cr_assert_eq(phys_to_dma(nvme, 0x100001000ULL), 0x1000);
	cr_assert_eq(phys_to_dma(nvme, 0x3000), 0x100003000ULL);
	cr_assert_eq(dma_to_phys(nvme, 0x100003000ULL), 0x3000);
	cr_assert_eq(phys_to_dma(nvme, 0xc0000000ULL), DMA_MAPPING_ERROR, "no region: error");
	cr_assert_eq(dma_to_phys(nvme, 0x300000000ULL), (phys_addr_t)-1);
	cr_assert(dma_direct_all_ram_mapped(nvme));
	cr_assert_not(dma_addressing_limited(nvme));

	d = dma_map_phys(nvme, 0x100002000ULL, 256, DMA_TO_DEVICE, 0);
	cr_assert_eq(d, 0x2000);
	dma_unmap_phys(nvme, d, 256, DMA_TO_DEVICE, 0);

	/* gpu0's BAR0 is not RAM in the map: phys_to_dma fails, so it bounces (pool -> 0x17c000000) */
	d = dma_map_phys(nvme, 0xc1000000ULL, 256, DMA_TO_DEVICE, 0);
	cr_assert_eq(d, 0x100000000ULL + POOL);
	dma_unmap_phys(nvme, d, 256, DMA_TO_DEVICE, 0);
	cr_assert_eq(swiotlb_used_slots(w->swiotlb), 0, "unmap found the pool through dma_to_phys");

	/* with low RAM missing from the map, not all RAM is mapped */
	{
		const struct bus_dma_region only_high[] = { map[0], { 0 } };

		nvme->dma_range_map = only_high;
		cr_assert_not(dma_direct_all_ram_mapped(nvme));
		cr_assert(dma_addressing_limited(nvme));
		nvme->dma_range_map = NULL;
	}
}

Test(dma_direct, non_coherent_device_pays_arch_syncs)
{
	struct device *nvme = dev("nvme0");
	dma_addr_t d;

	nvme->dma_coherent = false;
	dma_setup_need_sync(nvme);
	cr_assert_not(nvme->dma_skip_sync);
	cr_assert(dma_need_unmap(nvme));

	d = dma_map_phys(nvme, 0x100000, 128, DMA_FROM_DEVICE, 0);
	cr_assert_eq(w->m->arch_sync.calls, 1, "for_device at map");
	/* 128 bytes at a line boundary: 2 lines */
	cr_assert_eq(w->m->arch_sync.cost_ns, ARCH_SYNC_BASE_NS + 2 * ARCH_SYNC_NS_PER_LINE);
	dma_sync_single_for_device(nvme, d, 128, DMA_FROM_DEVICE);
	cr_assert_eq(w->m->arch_sync.calls, 2);
	dma_unmap_phys(nvme, d, 128, DMA_FROM_DEVICE, 0);
	cr_assert_eq(w->m->arch_sync.calls, 3, "for_cpu at unmap");
	d = dma_map_phys(nvme, 0x100000, 128, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	dma_unmap_phys(nvme, d, 128, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	cr_assert_eq(w->m->arch_sync.calls, 3, "SKIP_CPU_SYNC: none");
	d = dma_map_phys(nvme, 0x100000, 128, DMA_TO_DEVICE, 0);
	dma_unmap_phys(nvme, d, 128, DMA_TO_DEVICE, 0);
	cr_assert_eq(w->m->arch_sync.calls, 4, "TO_DEVICE: nothing to invalidate for the cpu");
}

Test(dma_direct, invalid_direction_and_no_mask)
{
	struct device *nvme = dev("nvme0");
	struct scatterlist sg = { .page_phys = 0x100000, .length = 64 };

	cr_assert_eq(dma_map_phys(nvme, 0x100000, 64, DMA_NONE, 0), DMA_MAPPING_ERROR);
	nvme->dma_mask = 0;
	cr_assert_eq(dma_map_phys(nvme, 0x100000, 64, DMA_TO_DEVICE, 0), DMA_MAPPING_ERROR);
	cr_assert_eq(dma_map_sg_attrs(nvme, &sg, 1, DMA_TO_DEVICE, 0), 0);
}

/* --- scatter-gather and P2P --------------------------------------------------- */

/*
 * hb0 (no IOMMU), AMD or Intel CPU:
 *   rp0 00:01.0 -> bus 1: usp 01:00.0 -> bus 2: dsp0 02:00.0 -> bus 3: gpu0 (BAR2 p2pmem
 *                  1 GiB at CPU 0x10000000000 = bus 0x8000000000)
 *                                          dsp1 02:01.0 -> bus 4: nvme0
 *   rp1 00:02.0 -> bus 5: nic1 05:00.0 (64-bit)
 *   rp2 00:03.0 -> bus 6: nic0 06:00.0 (32-bit)
 */
static struct topology *p2p_topology(bool amd)
{
	struct topology *t = tb_new("p2p");
	struct pci_host_bridge *hb;
	struct pci_dev *rp0, *rp1, *rp2, *usp, *dsp0, *dsp1, *gpu;
	struct pci_bus *b2;

	if (amd) {
		t->cpu.vendor = CPU_VENDOR_AMD;
		t->cpu.family = 0x19;
	}
	tb_add_ram(t, 0, 2 * SZ_1G);
	tb_add_ram(t, TB_4G, 4 * SZ_1G);
	hb = tb_add_host(t, "hb0", 0, -1);
	tb_add_aperture(hb, PCI_APERTURE_MEM32, 0xc0000000ULL, 0x10000000ULL, 0);
	tb_add_aperture(hb, PCI_APERTURE_MEM64, 0x10000000000ULL, 0x10000000000ULL,
			0x10000000000ULL - 0x8000000000ULL);
	rp0 = tb_add_root_port(t, hb, "rp0", PCI_DEVFN(1, 0), 1);
	usp = tb_add_endpoint(t, rp0->subordinate, "usp", PCI_DEVFN(0, 0), 64);
	usp->type = PCI_TYPE_UPSTREAM;
	b2 = pci_fabric_add_bus(t->fabric, usp, 2, true);
	cr_assert_not_null(b2);
	dsp0 = tb_add_endpoint(t, b2, "dsp0", PCI_DEVFN(0, 0), 64);
	dsp0->type = PCI_TYPE_DOWNSTREAM;
	dsp1 = tb_add_endpoint(t, b2, "dsp1", PCI_DEVFN(1, 0), 64);
	dsp1->type = PCI_TYPE_DOWNSTREAM;
	cr_assert_not_null(pci_fabric_add_bus(t->fabric, dsp0, 3, true));
	cr_assert_not_null(pci_fabric_add_bus(t->fabric, dsp1, 4, true));
	gpu = tb_add_endpoint(t, dsp0->subordinate, "gpu0", PCI_DEVFN(0, 0), 64);
	tb_add_bar(gpu, 2, PCI_BAR_MEM64, 0x10000000000ULL, SZ_1G, true);
	tb_add_endpoint(t, dsp1->subordinate, "nvme0", PCI_DEVFN(0, 0), 64);
	rp1 = tb_add_root_port(t, hb, "rp1", PCI_DEVFN(2, 0), 5);
	tb_add_endpoint(t, rp1->subordinate, "nic1", PCI_DEVFN(0, 0), 64);
	rp2 = tb_add_root_port(t, hb, "rp2", PCI_DEVFN(3, 0), 6);
	tb_add_endpoint(t, rp2->subordinate, "nic0", PCI_DEVFN(0, 0), 32);
	return tb_finalize(t);
}

#define P2P_PAGE (0x10000000000ULL + 0x1000)

/* Tests below build their own world; the suite frees it. */
TestSuite(dma_direct_world, .fini = teardown);

static void setup_p2p(bool amd)
{
	make_world(p2p_topology(amd), NULL);
}

Test(dma_direct_world, map_sg_bus_addr_segment)
{
	struct scatterlist sg[2];
	struct device *nvme;
	phys_addr_t ram;

	setup_p2p(true);
	nvme = dev("nvme0");
	ram = buffer("ram", 8192, P2PSIM_PLACE_ANY);
	memset(sg, 0, sizeof(sg));
	sg[0] = (struct scatterlist){ .page_phys = ram, .offset = 0x100, .length = 0x200 };
	sg[1] = (struct scatterlist){ .page_phys = P2P_PAGE, .offset = 0x10, .length = 0x1000 };
	cr_assert_eq(dma_map_sg_attrs(nvme, sg, 2, DMA_TO_DEVICE, 0), 2);
	cr_assert_eq(sg[0].dma_address, ram + 0x100);
	cr_assert_eq(sg[0].dma_length, 0x200);
	cr_assert_eq(sg[0].dma_flags, 0);
	/* same switch, no ACS redirect: the peer's bus address, not the CPU one */
	cr_assert_eq(sg[1].dma_address, 0x8000001010ULL);
	cr_assert_eq(sg[1].dma_length, 0x1000);
	cr_assert(sg[1].dma_flags & SG_DMA_BUS_ADDRESS);
	dma_unmap_sg_attrs(nvme, sg, 2, DMA_TO_DEVICE, 0);
	cr_assert_not(sg[1].dma_flags & SG_DMA_BUS_ADDRESS, "unmap clears the mark");
}

Test(dma_direct_world, map_sg_thru_host_bridge_uses_cpu_address)
{
	struct scatterlist sg = { .page_phys = P2P_PAGE, .length = 0x800 };

	setup_p2p(true); /* AMD Zen: the host bridge is allowed */
	cr_assert_eq(dma_map_sg_attrs(dev("nic1"), &sg, 1, DMA_FROM_DEVICE, 0), 1);
	cr_assert_eq(sg.dma_address, P2P_PAGE, "fixed fallthrough: mapped by CPU address");
	cr_assert_eq(sg.dma_length, 0x800);
	cr_assert_not(sg.dma_flags & SG_DMA_BUS_ADDRESS);
	dma_unmap_sg_attrs(dev("nic1"), &sg, 1, DMA_FROM_DEVICE, 0);
}

Test(dma_direct_world, map_sg_thru_host_bridge_historic_break)
{
	struct kernel_profile old = *kernel_profile_default();
	struct scatterlist sg = { .page_phys = P2P_PAGE, .length = 0x800 };

	setup_p2p(true);
	old.dma_direct_sg_thru_hb_break = true; /* kernels ~6.15 - 7.0 */
	w->p2pdma.profile = &old;
	cr_assert_eq(dma_map_sg_attrs(dev("nic1"), &sg, 1, DMA_FROM_DEVICE, 0), 1);
	cr_assert_eq(sg.dma_address, 0, "left unset: the device would DMA to address 0");
	cr_assert_eq(sg.dma_length, 0x800);
	dma_unmap_sg_attrs(dev("nic1"), &sg, 1, DMA_FROM_DEVICE, 0);
	w->p2pdma.profile = kernel_profile_default();
}

Test(dma_direct_world, map_sg_not_supported_unwinds)
{
	struct scatterlist sg[3];
	struct sg_table sgt = { .sgl = sg, .orig_nents = 3 };
	struct device *nic;
	phys_addr_t hi;

	setup_p2p(false); /* Intel, host bridge not on the allowlist */
	nic = dev("nic0");
	hi = buffer("hi", 8192, P2PSIM_PLACE_ABOVE_4G);
	memset(sg, 0, sizeof(sg));
	sg[0] = (struct scatterlist){ .page_phys = hi, .length = 4096 }; /* bounced */
	sg[1] = (struct scatterlist){ .page_phys = hi + 4096, .length = 100 }; /* bounced */
	sg[2] = (struct scatterlist){ .page_phys = P2P_PAGE, .length = 4096 }; /* NOT_SUPPORTED */
	cr_assert_eq(dma_map_sgtable(nic, &sgt, DMA_BIDIRECTIONAL, 0), -EREMOTEIO);
	cr_assert_eq(swiotlb_used_slots(w->swiotlb), 0, "both bounce slots released");
	cr_assert_eq(w->swiotlb->stats.maps, 2);
	cr_assert_eq(w->swiotlb->stats.unmaps, 2);
	cr_assert_eq(dma_map_sg_attrs(nic, sg, 3, DMA_BIDIRECTIONAL, 0), 0, "0 on any error");
	cr_assert_eq(swiotlb_used_slots(w->swiotlb), 0);
}

Test(dma_direct_world, map_sg_unreachable_segment_is_eio)
{
	struct p2psim_world_opts o;
	struct scatterlist sg[2];
	struct sg_table sgt = { .sgl = sg, .orig_nents = 2 };
	phys_addr_t lo, hi;

	p2psim_world_opts_init(&o);
	o.swiotlb_bytes = 0; /* no bounce buffers at all */
	make_world(p2p_topology(true), &o);
	lo = buffer("lo", 4096, P2PSIM_PLACE_BELOW_4G);
	hi = buffer("hi", 4096, P2PSIM_PLACE_ABOVE_4G);
	memset(sg, 0, sizeof(sg));
	sg[0] = (struct scatterlist){ .page_phys = lo, .length = 4096 };
	sg[1] = (struct scatterlist){ .page_phys = hi, .length = 4096 };
	cr_assert_eq(dma_map_sgtable(dev("nic0"), &sgt, DMA_TO_DEVICE, 0), -EIO);
	cr_assert_eq(dma_max_mapping_size(dev("nic0")), SIZE_MAX, "no swiotlb: no limit");
}

Test(dma_direct_world, force_bounce)
{
	struct p2psim_world_opts o;
	struct device *nvme;
	dma_addr_t d;

	p2psim_world_opts_init(&o);
	o.iommu_mode = P2PSIM_IOMMU_MODE_OFF;
	o.swiotlb_force = 1;
	make_world(tb_standard(IOMMU_MODE_STRICT), &o);
	nvme = dev("nvme0");
	cr_assert(is_swiotlb_force_bounce(nvme));
	cr_assert_eq(dma_max_mapping_size(nvme), 256 * 1024);
	d = dma_map_phys(nvme, 0x100000, 64, DMA_TO_DEVICE, 0);
	cr_assert_eq(d, POOL, "even a reachable buffer bounces");
	cr_assert_eq(dma_map_resource(nvme, 0xc1000000ULL, 64, DMA_TO_DEVICE, 0), DMA_MAPPING_ERROR,
		     "force + MMIO: error");
	dma_unmap_phys(nvme, d, 64, DMA_TO_DEVICE, 0);
	cr_assert_eq(swiotlb_used_slots(w->swiotlb), 0);
}
