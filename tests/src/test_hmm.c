// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_hmm.c - the HMM DMA helpers of src/mm/hmm.c (reference/dma-iommu.md
 * §7): hmm_dma_map_alloc's refusals and its choice of IOVA vs dma_list,
 * every transition of the per-pfn state machine of §7.5 (clean -> mapped
 * for RAM, host-bridge P2P and switch P2P; failed map; unmap; map again of
 * a mapped and of a bus-address pfn), the one-sync-per-pfn cost, and the
 * leak report of hmm_dma_map_free.
 *
 * World: topologies/default.xml, client nic0 (64-bit, coherent). gpu0 BAR1
 * is under the same switch (BUS_ADDR), gpu1 BAR1 behind another root port of
 * the allowlisted 8086:09a2 host bridge (THRU_HOST_BRIDGE).
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers/twostep_world.h"
#include "models/iommu/iommu_hw.h"
#include "src/dma/mapping.h"
#include "src/mm/hmm.h"

#define RAM 0x200000000ULL /* 8 GiB: high RAM, away from the swiotlb pool */

static struct tsw t;

static void fini(void)
{
	tsw_fini(&t);
}

static void init_strict(void)
{
	tsw_init(&t, P2PSIM_IOMMU_MODE_STRICT);
}

static void init_lazy(void)
{
	tsw_init(&t, P2PSIM_IOMMU_MODE_LAZY);
}

static void init_off(void)
{
	tsw_init(&t, P2PSIM_IOMMU_MODE_OFF);
}

TestSuite(hmm, .init = init_strict, .fini = fini);
TestSuite(hmm_lazy, .init = init_lazy, .fini = fini);
TestSuite(hmm_direct, .init = init_off, .fini = fini);

#define FLAGS3 (HMM_PFN_DMA_MAPPED | HMM_PFN_P2PDMA | HMM_PFN_P2PDMA_BUS)

Test(hmm, pfn_encoding)
{
	unsigned long pfn = hmm_pfn_from_phys(0x123456000ULL, true);

	cr_assert_eq(pfn, 0x123456UL | (1UL << 63) | (1UL << 62));
	cr_assert_eq(hmm_pfn_to_phys(pfn | HMM_PFN_DMA_MAPPED | HMM_PFN_P2PDMA_BUS),
		     0x123456000ULL);
	cr_assert_eq(HMM_PFN_FLAGS, 0xffe0000000000000UL, "the top 11 bits");
}

Test(hmm, alloc_with_iova_has_no_dma_list)
{
	struct device *dev = tsw_dev(&t, "nic0");
	struct hmm_dma_map map;

	cr_assert_eq(hmm_dma_map_alloc(dev, &map, 16, PAGE_SIZE), 0);
	cr_assert(dma_use_iova(&map.state));
	/* 16 pages, size-aligned, top-down below 4 GiB */
	cr_assert_eq(map.state.addr, 0xffff0000ULL);
	cr_assert_eq(dma_iova_size(&map.state), 0x10000);
	cr_assert_null(map.dma_list, "IOVA mode keeps no per-page dma_addr_t");
	cr_assert_not_null(map.pfn_list);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(map.pfn_list[i], 0);
	cr_assert_eq(tsw_hw(&t)->ptes_set, 0, "nothing linked yet");
	hmm_dma_map_free(dev, &map);
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_frees, 1);
}

Test(hmm, refusals)
{
	struct device *dev = tsw_dev(&t, "nic0");
	struct hmm_dma_map map;

	dev->dma_skip_sync = false; /* e.g. after a swiotlb bounce, or non-coherent */
	cr_assert_eq(hmm_dma_map_alloc(dev, &map, 16, PAGE_SIZE), -EOPNOTSUPP);
	dev->dma_skip_sync = true;
	cr_assert_eq(iommu_dma_stats(dev->domain)->iova_allocs, 0, "no reservation made");
	cr_assert_eq(hmm_dma_map_alloc(dev, &map, 4, 0), -EINVAL, "zero entry size");
}

Test(hmm, entry_larger_than_a_page_only_warns)
{
	struct device *dev = tsw_dev(&t, "nic0");
	struct hmm_dma_map map;

	/* 1 * PAGE_SIZE / 8 KiB == 0: upstream WARNs and goes on. */
	cr_assert_eq(hmm_dma_map_alloc(dev, &map, 1, 2 * PAGE_SIZE), 0);
	cr_assert_eq(dma_iova_size(&map.state), PAGE_SIZE,
		     "the reservation is nr_entries pages, smaller than the one entry");
	cr_assert_eq(map.state.addr, 0xfffff000ULL);
	hmm_dma_map_free(dev, &map);
}

Test(hmm_direct, addressing_limited_refused)
{
	/* audio0: 32-bit mask, no IOMMU, RAM up to 64 GiB: addressing is limited. */
	struct device *dev = tsw_dev(&t, "audio0");
	struct hmm_dma_map map;

	cr_assert(dma_addressing_limited(dev));
	cr_assert_eq(hmm_dma_map_alloc(dev, &map, 16, PAGE_SIZE), -EOPNOTSUPP);
}

Test(hmm, clean_to_mapped_ram_and_map_again)
{
	struct device *dev = tsw_dev(&t, "nic0");
	struct pci_p2pdma_map_state p2p = { 0 };
	struct hmm_dma_map map;
	u64 sync_map0, ptes0;

	cr_assert_eq(hmm_dma_map_alloc(dev, &map, 16, PAGE_SIZE), 0);
	map.pfn_list[3] = hmm_pfn_from_phys(RAM + 0x7000, true);
	sync_map0 = tsw_hw(&t)->iotlb_sync_map;
	cr_assert_eq(hmm_dma_map_pfn(dev, &map, 3, &p2p), 0xffff3000ULL);
	cr_assert_eq(map.pfn_list[3] & FLAGS3, HMM_PFN_DMA_MAPPED);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffff3abc), RAM + 0x7abc);
	cr_assert_eq(tsw_hw(&t)->iotlb_sync_map, sync_map0 + 1, "one sync per pfn");

	/* DMA_MAPPED, map again: the cached address, nothing new mapped or synced. */
	ptes0 = tsw_hw(&t)->ptes_set;
	cr_assert_eq(hmm_dma_map_pfn(dev, &map, 3, &p2p), 0xffff3000ULL);
	cr_assert_eq(tsw_hw(&t)->ptes_set, ptes0);
	cr_assert_eq(tsw_hw(&t)->iotlb_sync_map, sync_map0 + 1);

	/* mapped -> unmap -> clean: unlinked and synced at once. */
	cr_assert(hmm_dma_unmap_pfn(dev, &map, 3));
	cr_assert_eq(map.pfn_list[3] & FLAGS3, 0);
	cr_assert(map.pfn_list[3] & HMM_PFN_VALID, "VALID is not the helpers' to clear");
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffff3000), 0);
	cr_assert_not(hmm_dma_unmap_pfn(dev, &map, 3), "clean: nothing to unmap");
	hmm_dma_map_free(dev, &map);
	cr_assert_eq(t.w->m->events.counts[EV_HMM_MAP_FREE], 1);
}

Test(hmm, clean_to_mapped_host_bridge_p2p)
{
	struct device *dev = tsw_dev(&t, "nic0");
	struct pci_p2pdma_map_state p2p = { 0 };
	phys_addr_t bar = tsw_bar(&t, "gpu1", 1);
	struct hmm_dma_map map;

	cr_assert_eq(hmm_dma_map_alloc(dev, &map, 16, PAGE_SIZE), 0);
	map.pfn_list[5] = hmm_pfn_from_phys(bar + 0x3000, true);
	cr_assert_eq(hmm_dma_map_pfn(dev, &map, 5, &p2p), 0xffff5000ULL);
	cr_assert_eq(p2p.map, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(map.pfn_list[5] & FLAGS3, HMM_PFN_DMA_MAPPED | HMM_PFN_P2PDMA);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, 0xffff5000), bar + 0x3000);
	cr_assert(hmm_dma_unmap_pfn(dev, &map, 5));
	cr_assert_eq(map.pfn_list[5] & FLAGS3, 0);
	cr_assert_eq(tsw_hw(&t)->leaves_live[0], 0);
	hmm_dma_map_free(dev, &map);
}

Test(hmm, clean_to_mapped_switch_p2p_and_map_again)
{
	struct device *dev = tsw_dev(&t, "nic0");
	struct pci_p2pdma_map_state p2p = { 0 };
	phys_addr_t bar = tsw_bar(&t, "gpu0", 1);
	u64 bus = tsw_bar_bus(&t, "gpu0", 1);
	struct hmm_dma_map map;
	u64 lookups0;

	cr_assert_eq(hmm_dma_map_alloc(dev, &map, 16, PAGE_SIZE), 0);
	map.pfn_list[6] = hmm_pfn_from_phys(bar + 0x2000, true);
	lookups0 = t.w->p2pdma.nr_map_type_lookups;
	cr_assert_eq(hmm_dma_map_pfn(dev, &map, 6, &p2p), bus + 0x2000, "the bus address");
	cr_assert_eq(p2p.map, PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(map.pfn_list[6] & FLAGS3, HMM_PFN_DMA_MAPPED | HMM_PFN_P2PDMA_BUS);
	cr_assert_eq(tsw_hw(&t)->ptes_set, 0, "no IOVA used");
	cr_assert_eq(t.w->p2pdma.nr_map_type_lookups, lookups0 + 1);

	/* DMA_MAPPED | P2PDMA_BUS, map again: reclassified (memo hit), same bus address. */
	cr_assert_eq(hmm_dma_map_pfn(dev, &map, 6, &p2p), bus + 0x2000);
	cr_assert_eq(map.pfn_list[6] & FLAGS3, HMM_PFN_DMA_MAPPED | HMM_PFN_P2PDMA_BUS);
	cr_assert_eq(t.w->p2pdma.nr_map_type_lookups, lookups0 + 1, "the caller's memo held");
	/* A fresh memo looks the map type up again. */
	memset(&p2p, 0, sizeof(p2p));
	cr_assert_eq(hmm_dma_map_pfn(dev, &map, 6, &p2p), bus + 0x2000);
	cr_assert_eq(t.w->p2pdma.nr_map_type_lookups, lookups0 + 2);

	cr_assert(hmm_dma_unmap_pfn(dev, &map, 6));
	cr_assert_eq(map.pfn_list[6] & FLAGS3, 0);
	cr_assert_eq(tsw_hw(&t)->iotlb_sync, 0, "nothing was mapped, nothing synced");
	hmm_dma_map_free(dev, &map);
}

Test(hmm, failed_map_stays_clean_and_clears_p2pdma)
{
	struct device *dev = tsw_dev(&t, "nic0");
	struct pci_p2pdma_map_state p2p = { 0 };
	struct hmm_dma_map map;

	cr_assert_eq(hmm_dma_map_alloc(dev, &map, 16, PAGE_SIZE), 0);
	map.pfn_list[2] = hmm_pfn_from_phys(tsw_bar(&t, "gpu1", 1), true);
	/* The first link needs page-table pages: make the very next one fail. */
	iommu_hw_fail_pgtable_alloc(t.w->m->iommus[0], 1);
	cr_assert_eq(hmm_dma_map_pfn(dev, &map, 2, &p2p), DMA_MAPPING_ERROR);
	cr_assert_eq(map.pfn_list[2] & FLAGS3, 0, "P2PDMA set for the attempt, cleared on error");
	cr_assert_eq(map.pfn_list[2] & HMM_PFN_VALID, HMM_PFN_VALID);
	cr_assert_eq(tsw_hw(&t)->leaves_live[0], 0);
	/* The same pfn maps on retry. */
	cr_assert_eq(hmm_dma_map_pfn(dev, &map, 2, &p2p), 0xffff2000ULL);
	cr_assert(hmm_dma_unmap_pfn(dev, &map, 2));
	hmm_dma_map_free(dev, &map);
}

Test(hmm, unmap_requires_valid)
{
	struct device *dev = tsw_dev(&t, "nic0");
	struct pci_p2pdma_map_state p2p = { 0 };
	struct hmm_dma_map map;

	cr_assert_eq(hmm_dma_map_alloc(dev, &map, 4, PAGE_SIZE), 0);
	map.pfn_list[0] = hmm_pfn_from_phys(RAM, false);
	cr_assert_neq(hmm_dma_map_pfn(dev, &map, 0, &p2p), DMA_MAPPING_ERROR);
	map.pfn_list[0] &= ~HMM_PFN_VALID; /* hmm_range_fault found the page gone */
	cr_assert_not(hmm_dma_unmap_pfn(dev, &map, 0));
	cr_assert_eq(map.pfn_list[0] & FLAGS3, HMM_PFN_DMA_MAPPED, "left as it was");
	cr_assert_eq(iommu_iova_to_phys(dev->domain, map.state.addr), RAM, "still linked");
	map.pfn_list[0] |= HMM_PFN_VALID;
	cr_assert(hmm_dma_unmap_pfn(dev, &map, 0));
	hmm_dma_map_free(dev, &map);
}

static unsigned int last_free_count;

static void on_event(void *ctx, const struct sim_event *ev)
{
	if (ev->kind == EV_HMM_MAP_FREE)
		last_free_count = ev->count;
}

Test(hmm, map_free_reports_pfns_left_mapped)
{
	struct device *dev = tsw_dev(&t, "nic0");
	struct pci_p2pdma_map_state p2p = { 0 };
	struct hmm_dma_map map;

	cr_assert_eq(event_bus_subscribe(&t.w->m->events, on_event, NULL), 0);
	cr_assert_eq(hmm_dma_map_alloc(dev, &map, 8, PAGE_SIZE), 0);
	for (int i = 0; i < 3; i++) {
		map.pfn_list[i] = hmm_pfn_from_phys(RAM + (u64)i * PAGE_SIZE, true);
		cr_assert_eq(hmm_dma_map_pfn(dev, &map, i, &p2p),
			     map.state.addr + (u64)i * PAGE_SIZE);
	}
	cr_assert(hmm_dma_unmap_pfn(dev, &map, 1));
	cr_assert_eq(hmm_dma_map_nr_mapped(&map), 2);
	/* The kernel frees the IOVA without unlinking: the PTEs stay behind. */
	hmm_dma_map_free(dev, &map);
	cr_assert_eq(last_free_count, 2);
	cr_assert_eq(tsw_hw(&t)->leaves_live[0], 2, "two stale PTEs the free did not remove");
	event_bus_unsubscribe(&t.w->m->events, on_event, NULL);
}

Test(hmm_lazy, unmap_syncs_even_in_lazy_mode)
{
	struct device *dev = tsw_dev(&t, "nic0");
	struct pci_p2pdma_map_state p2p = { 0 };
	struct hmm_dma_map map;

	cr_assert(iommu_dma_fq_active(dev->domain));
	cr_assert_eq(hmm_dma_map_alloc(dev, &map, 4, PAGE_SIZE), 0);
	for (int i = 0; i < 4; i++) {
		map.pfn_list[i] = hmm_pfn_from_phys(RAM + (u64)i * 0x10000, true);
		cr_assert_neq(hmm_dma_map_pfn(dev, &map, i, &p2p), DMA_MAPPING_ERROR);
	}
	cr_assert_eq(tsw_hw(&t)->iotlb_sync_map, 4);
	for (int i = 0; i < 4; i++)
		cr_assert(hmm_dma_unmap_pfn(dev, &map, i));
	cr_assert_eq(tsw_hw(&t)->iotlb_sync, 4, "one synchronous IOTLB sync per pfn");
	cr_assert_eq(iommu_dma_fq_depth(dev->domain), 0, "nothing deferred");
	hmm_dma_map_free(dev, &map);
}

Test(hmm_direct, stateless_direct_mapping)
{
	struct device *dev = tsw_dev(&t, "nic0");
	struct pci_p2pdma_map_state p2p = { 0 };
	struct hmm_dma_map map;

	cr_assert_not(use_dma_iommu(dev));
	cr_assert_eq(hmm_dma_map_alloc(dev, &map, 4, PAGE_SIZE), 0);
	cr_assert_not(dma_use_iova(&map.state));
	cr_assert_null(map.dma_list, "coherent dma-direct needs no unmap, so no list");
	map.pfn_list[1] = hmm_pfn_from_phys(RAM + 0x5000, true);
	cr_assert_eq(hmm_dma_map_pfn(dev, &map, 1, &p2p), RAM + 0x5000, "dma = phys");
	cr_assert_eq(map.pfn_list[1] & FLAGS3, HMM_PFN_DMA_MAPPED);
	/* DMA_MAPPED without IOVA or list: mapped again (stateless), same address. */
	cr_assert_eq(hmm_dma_map_pfn(dev, &map, 1, &p2p), RAM + 0x5000);
	cr_assert_eq(t.w->m->events.counts[EV_DMA_MAP], 2);
	cr_assert(hmm_dma_unmap_pfn(dev, &map, 1));
	cr_assert_eq(t.w->m->events.counts[EV_DMA_UNMAP], 0, "nothing to unmap");
	hmm_dma_map_free(dev, &map);
}

Test(hmm, no_iova_room_falls_back_to_dma_list)
{
	/* audio0 is 32-bit: 4 GiB of entries cannot fit below 4 GiB with the apertures reserved. */
	struct device *dev = tsw_dev(&t, "audio0");
	struct pci_p2pdma_map_state p2p = { 0 };
	struct hmm_dma_map map;
	size_t n = 1UL << 20;
	dma_addr_t d;

	cr_assert(use_dma_iommu(dev));
	cr_assert_not(dma_addressing_limited(dev), "with an IOMMU 32 bits are enough");
	cr_assert_eq(hmm_dma_map_alloc(dev, &map, n, PAGE_SIZE), 0);
	cr_assert_not(dma_use_iova(&map.state));
	cr_assert_not_null(map.dma_list, "need_unmap without IOVA: one dma_addr_t per page");
	map.pfn_list[7] = hmm_pfn_from_phys(RAM + 0x9000, true);
	d = hmm_dma_map_pfn(dev, &map, 7, &p2p);
	cr_assert_neq(d, DMA_MAPPING_ERROR);
	cr_assert_eq(map.dma_list[7], d);
	cr_assert_eq(iommu_iova_to_phys(dev->domain, d), RAM + 0x9000);
	cr_assert_eq(hmm_dma_map_pfn(dev, &map, 7, &p2p), d, "from dma_list");
	cr_assert(hmm_dma_unmap_pfn(dev, &map, 7));
	cr_assert_eq(iommu_iova_to_phys(dev->domain, d), 0);
	hmm_dma_map_free(dev, &map);
}
