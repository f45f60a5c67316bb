// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_dma_iommu_p2p.c - P2P segments in iommu_dma_map_sg() (reference/
 * dma-iommu.md §3.4, §3.6) on T1 of reference/p2pdma.md §10: client "a"
 * and provider "b" share a switch (BUS_ADDR: the bus address, no IOVA,
 * marked in the list, never unmapped); provider "c" is behind another
 * root port (THRU_HOST_BRIDGE on an allowlisted host bridge: a normal
 * IOVA; NOT_SUPPORTED otherwise: -EREMOTEIO with the list restored).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers/fabric_builder.h"
#include "src/iommu/dma-iommu.h"
#include "src/pci/p2pdma.h"

/* b's BAR is seen on the bus 0x3000000000 below its CPU address (a host-bridge offset). */
#define BUS_SHIFT 0x3000000000ULL

static struct topology *topo;
static struct machine *m;
static struct p2pdma_ctx ctx;
static struct device dev;
static phys_addr_t b_bar, c_bar;

static void setup_host(u16 host_device)
{
	struct pci_dev *b, *c;

	topo = calloc(1, sizeof(*topo));
	cr_assert_not_null(topo);
	topo->name = strdup("t1");
	topo->fabric = fb_t1(host_device);
	topo->iommus = calloc(1, sizeof(*topo->iommus));
	topo->iommus[0] = (struct iommu_desc){ .id = strdup("iommu0"),
					       .type = IOMMU_TYPE_INTEL_VTD,
					       .pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
					       .iotlb_entries = 64,
					       .iotlb_ways = 4,
					       .fq_size = 256,
					       .fq_timeout_ms = 10 };
	topo->nr_iommus = 1;
	topo->fabric->hosts[0]->iommu_index = 0;
	b = fb_find(topo->fabric, "b");
	c = fb_find(topo->fabric, "c");
	b->bars[0].bus_addr = b->bars[0].cpu_addr - BUS_SHIFT;
	b_bar = b->bars[0].cpu_addr;
	c_bar = c->bars[0].cpu_addr;

	m = machine_new(topo);
	cr_assert_not_null(m);
	cr_assert_eq(p2pdma_ctx_init(&ctx, topo->fabric, &topo->cpu, kernel_profile_default(), 1),
		     0);
	cr_assert_eq(pcim_p2pdma_init(&ctx, b), 0);
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, b, 0, 0, 0), 0);
	cr_assert_eq(pcim_p2pdma_init(&ctx, c), 0);
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, c, 0, 0, 0), 0);

	dev = (struct device){ .name = "a", .pdev = fb_find(topo->fabric, "a"), .machine = m,
			       .dma_mask = DMA_BIT_MASK(64), .dma_coherent = true,
			       .p2pdma = &ctx };
	cr_assert_eq(iommu_probe_device_dma(&dev, m->iommus[0], IOMMU_MODE_STRICT), 0);
}

static void setup_allowed(void)
{
	setup_host(0x09a2); /* Intel Ice Lake root: in the allowlist */
}

static void setup_denied(void)
{
	setup_host(0x1234); /* not in the allowlist */
}

static void teardown(void)
{
	iommu_release_device_dma(&dev);
	cr_assert_eq(iommu_hw_stats(m->iommus[0])->leaves_live[0], 0);
	p2pdma_ctx_destroy(&ctx);
	machine_free(m);
	topology_free(topo);
}

static void sg_set(struct scatterlist *sg, phys_addr_t phys, unsigned int len)
{
	*sg = (struct scatterlist){ .page_phys = phys & ~0xfffULL,
				    .offset = (unsigned int)(phys & 0xfff),
				    .length = len };
}

TestSuite(dma_iommu_p2p, .init = setup_allowed, .fini = teardown);
TestSuite(dma_iommu_p2p_denied, .init = setup_denied, .fini = teardown);

Test(dma_iommu_p2p, bus_addr_segment_between_ram_segments)
{
	const struct iommu_dma_stats *st = iommu_dma_stats(dev.domain);
	struct scatterlist sg[3];

	sg_set(&sg[0], 0x100000, 0x1000);
	sg_set(&sg[1], b_bar + 0x2000, 0x1000);
	sg_set(&sg[2], 0x300000, 0x1000);
	/* Only the two RAM granules need IOVA: 2 pages at 0xffffe000. */
	cr_assert_eq(iommu_dma_map_sg(&dev, sg, 3, DMA_BIDIRECTIONAL, 0), 3);
	cr_assert_eq(sg[0].dma_address, 0xffffe000);
	cr_assert_eq(sg[0].dma_length, 0x1000);
	cr_assert_eq(sg[1].dma_address, b_bar + 0x2000 - BUS_SHIFT, "the bus address");
	cr_assert_eq(sg[1].dma_length, 0x1000);
	cr_assert(sg[1].dma_flags & SG_DMA_BUS_ADDRESS);
	cr_assert_eq(sg[2].dma_address, 0xfffff000, "not merged across the bus segment");
	cr_assert_eq(iommu_iova_to_phys(dev.domain, 0xfffff000), 0x300000);
	cr_assert_eq(st->iova_allocs, 1);
	iommu_dma_unmap_sg(&dev, sg, 3, DMA_BIDIRECTIONAL, 0);
	cr_assert_not(sg[1].dma_flags & SG_DMA_BUS_ADDRESS, "unmarked at unmap");
	cr_assert_eq(st->iova_frees, 1);
}

Test(dma_iommu_p2p, all_bus_addr_needs_no_iova)
{
	struct scatterlist sg[2];

	sg_set(&sg[0], b_bar, 0x800);
	sg_set(&sg[1], b_bar + 0x10000, 0x1000);
	cr_assert_eq(iommu_dma_map_sg(&dev, sg, 2, DMA_TO_DEVICE, 0), 2);
	cr_assert_eq(sg[0].dma_address, b_bar - BUS_SHIFT);
	cr_assert_eq(sg[0].dma_length, 0x800, "the segment's own length");
	cr_assert_eq(sg[1].dma_address, b_bar + 0x10000 - BUS_SHIFT);
	cr_assert_eq(iommu_dma_stats(dev.domain)->iova_allocs, 0);
	iommu_dma_unmap_sg(&dev, sg, 2, DMA_TO_DEVICE, 0);
	cr_assert_eq(iommu_hw_stats(m->iommus[0])->iotlb_sync, 0, "nothing to unmap");
}

Test(dma_iommu_p2p, thru_host_bridge_gets_an_iova)
{
	struct scatterlist sg[1];

	sg_set(&sg[0], c_bar + 0x1000, 0x1000);
	cr_assert_eq(iommu_dma_map_sg(&dev, sg, 1, DMA_FROM_DEVICE, 0), 1);
	cr_assert_eq(sg[0].dma_address, 0xfffff000);
	cr_assert_not(sg[0].dma_flags & SG_DMA_BUS_ADDRESS);
	cr_assert_eq(iommu_iova_to_phys(dev.domain, 0xfffff000), c_bar + 0x1000);
	iommu_dma_unmap_sg(&dev, sg, 1, DMA_FROM_DEVICE, 0);
}

Test(dma_iommu_p2p_denied, not_supported_is_eremoteio)
{
	struct scatterlist sg[3];

	sg_set(&sg[0], 0x100010, 0x100);
	sg_set(&sg[1], b_bar, 0x1000); /* still BUS_ADDR: no host bridge on the way */
	sg_set(&sg[2], c_bar, 0x1000);    /* needs the host bridge: NOT_SUPPORTED */
	cr_assert_eq(iommu_dma_map_sg(&dev, sg, 3, DMA_BIDIRECTIONAL, 0), -EREMOTEIO);
	/* Everything restored, nothing allocated or mapped. */
	cr_assert_eq(sg[0].offset, 0x10);
	cr_assert_eq(sg[0].length, 0x100);
	cr_assert_eq(sg[0].dma_address, DMA_MAPPING_ERROR);
	cr_assert_not(sg[1].dma_flags & SG_DMA_BUS_ADDRESS);
	cr_assert_eq(sg[1].dma_length, 0);
	cr_assert_eq(iommu_dma_stats(dev.domain)->iova_allocs, 0);
	cr_assert_eq(iommu_hw_stats(m->iommus[0])->ptes_set, 0);
}
