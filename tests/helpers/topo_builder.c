// SPDX-License-Identifier: GPL-2.0-only
/*
 * topo_builder.c - small topologies built in C for tests (topo_builder.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/topo_builder.h"
#include "models/machine.h"
#include "src/dma/dma.h"
#include "src/iommu/dma-iommu.h"

static void *tb_check(void *p)
{
	if (!p) {
		fprintf(stderr, "topo_builder: out of memory\n");
		abort();
	}
	return p;
}

struct topology *tb_new(const char *name)
{
	struct topology *t = tb_check(calloc(1, sizeof(*t)));

	t->name = tb_check(strdup(name));
	t->source = tb_check(strdup(""));
	t->version = 1;
	t->cpu.vendor = CPU_VENDOR_INTEL;
	t->cpu.family = 6;
	t->fabric = tb_check(pci_fabric_new());
	return t;
}

void tb_add_ram(struct topology *t, phys_addr_t base, u64 size_bytes)
{
	t->ram = tb_check(realloc(t->ram, (t->nr_ram + 1) * sizeof(*t->ram)));
	t->ram[t->nr_ram++] =
		(struct ram_range){ .base = base, .size_bytes = size_bytes, .numa_node = -1 };
}

int tb_add_iommu(struct topology *t, const char *id, enum iommu_type type, enum iommu_mode mode)
{
	t->iommus = tb_check(realloc(t->iommus, (t->nr_iommus + 1) * sizeof(*t->iommus)));
	t->iommus[t->nr_iommus] = (struct iommu_desc){
		.id = tb_check(strdup(id)),
		.type = type,
		.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
		.iotlb_entries = 64,
		.iotlb_ways = 4,
		.mode = mode,
		.fq_size = 256,
		.fq_timeout_ms = 10,
	};
	return (int)t->nr_iommus++;
}

struct pci_host_bridge *tb_add_host(struct topology *t, const char *id, u8 bus_nr, int iommu_index)
{
	struct pci_host_bridge *host =
		tb_check(pci_fabric_add_host_bridge(t->fabric, id, 0, bus_nr));

	host->iommu_index = iommu_index;
	if (iommu_index >= 0)
		host->iommu_id = tb_check(strdup(t->iommus[iommu_index].id));
	return host;
}

void tb_add_aperture(struct pci_host_bridge *host, enum pci_aperture_kind kind, phys_addr_t base,
		     u64 size_bytes, u64 bus_offset)
{
	if (pci_host_bridge_add_aperture(host, kind, base, size_bytes, bus_offset, 0))
		tb_check(NULL);
}

struct pci_dev *tb_add_root_port(struct topology *t, struct pci_host_bridge *host, const char *id,
				 u8 devfn, u8 sub_nr)
{
	struct pci_dev *rp =
		tb_check(pci_fabric_add_dev(t->fabric, host->bus, id, PCI_TYPE_ROOT_PORT, devfn));
	struct pci_bus *bus = tb_check(pci_fabric_add_bus(t->fabric, rp, sub_nr, true));

	bus->subordinate_number = sub_nr;
	return rp;
}

struct pci_dev *tb_add_endpoint(struct topology *t, struct pci_bus *bus, const char *id, u8 devfn,
				unsigned int dma_mask_bits)
{
	enum pci_dev_type type = pci_is_root_bus(bus) ? PCI_TYPE_RC_END : PCI_TYPE_ENDPOINT;
	struct pci_dev *dev = tb_check(pci_fabric_add_dev(t->fabric, bus, id, type, devfn));

	dev->dma_mask_bits = dma_mask_bits;
	return dev;
}

void tb_add_bar(struct pci_dev *dev, int bar, enum pci_bar_kind kind, phys_addr_t cpu_addr,
		u64 size_bytes, bool p2pmem)
{
	u64 offset = 0;

	for (size_t i = 0; i < dev->host->nr_apertures; i++) {
		const struct pci_aperture *ap = &dev->host->apertures[i];

		if (cpu_addr >= ap->cpu_base && cpu_addr - ap->cpu_base < ap->size_bytes)
			offset = ap->bus_offset;
	}
	dev->bars[bar] = (struct pci_bar){
		.kind = kind,
		.prefetchable = kind == PCI_BAR_MEM64,
		.p2pmem = p2pmem,
		.address_given = true,
		.size_bytes = size_bytes,
		.cpu_addr = cpu_addr,
		.bus_addr = cpu_addr - offset,
	};
}

struct topology *tb_finalize(struct topology *t)
{
	char msg[256];
	struct pci_dev *bad = NULL;

	if (pci_fabric_finalize(t->fabric, msg, sizeof(msg), &bad)) {
		fprintf(stderr, "topo_builder: finalize: %s\n", msg);
		abort();
	}
	return t;
}

struct topology *tb_standard(enum iommu_mode mode)
{
	struct topology *t = tb_new("standard");
	struct pci_host_bridge *hb0, *hb1;
	struct pci_dev *rp0, *rp1, *rp2, *dev;
	int iommu;

	tb_add_ram(t, 0, 2 * SZ_1G);
	tb_add_ram(t, TB_4G, 4 * SZ_1G);
	iommu = tb_add_iommu(t, "iommu0", IOMMU_TYPE_INTEL_VTD, mode);

	hb0 = tb_add_host(t, "hb0", 0, iommu);
	tb_add_aperture(hb0, PCI_APERTURE_MEM32, 0xc0000000ULL, 0x10000000ULL, 0);
	tb_add_aperture(hb0, PCI_APERTURE_MEM64, 0x4000000000ULL, 0x20000000000ULL, 0);
	rp0 = tb_add_root_port(t, hb0, "rp0", PCI_DEVFN(1, 0), 1);
	rp1 = tb_add_root_port(t, hb0, "rp1", PCI_DEVFN(2, 0), 2);
	rp0->mem_window = (struct pci_window){ 0xc0000000ULL, 0xc0ffffffULL };
	rp1->mem_window = (struct pci_window){ 0xc1000000ULL, 0xc1ffffffULL };
	rp1->pref_window = (struct pci_window){ 0x10000000000ULL, 0x1ffffffffffULL };
	dev = tb_add_endpoint(t, rp0->subordinate, "nvme0", PCI_DEVFN(0, 0), 64);
	tb_add_bar(dev, 0, PCI_BAR_MEM32, 0xc0000000ULL, 0x4000, false);
	dev = tb_add_endpoint(t, rp1->subordinate, "gpu0", PCI_DEVFN(0, 0), 64);
	tb_add_bar(dev, 0, PCI_BAR_MEM32, 0xc1000000ULL, 0x1000000, false);
	tb_add_bar(dev, 2, PCI_BAR_MEM64, 0x10000000000ULL, 0x10000000000ULL, true);
	dev = tb_add_endpoint(t, hb0->bus, "ext0", PCI_DEVFN(3, 0), 64);
	dev->untrusted = true;

	hb1 = tb_add_host(t, "hb1", 0x80, -1);
	tb_add_aperture(hb1, PCI_APERTURE_MEM32, 0xe0000000ULL, 0x10000000ULL, 0);
	rp2 = tb_add_root_port(t, hb1, "rp2", PCI_DEVFN(1, 0), 0x81);
	rp2->mem_window = (struct pci_window){ 0xe0000000ULL, 0xe00fffffULL };
	dev = tb_add_endpoint(t, rp2->subordinate, "nic0", PCI_DEVFN(0, 0), 32);
	tb_add_bar(dev, 0, PCI_BAR_MEM32, 0xe0000000ULL, 0x10000, false);
	return tb_finalize(t);
}

struct device *tb_probe_iommu_device(struct device *dev, struct machine *m,
				     const struct topology *topo, const char *id,
				     enum iommu_mode mode, unsigned int dma_mask_bits)
{
	struct pci_dev *pdev = pci_fabric_find_id(topo->fabric, id);

	if (!pdev) {
		fprintf(stderr, "topo_builder: no function '%s'\n", id);
		abort();
	}
	if (!dma_mask_bits)
		dma_mask_bits = pdev->dma_mask_bits;
	*dev = (struct device){
		.name = id,
		.pdev = pdev,
		.machine = m,
		.dma_mask = DMA_BIT_MASK(dma_mask_bits),
		.coherent_dma_mask = DMA_BIT_MASK(dma_mask_bits),
		.dma_coherent = true,
		.untrusted = pdev->untrusted,
	};
	if (iommu_probe_device_dma(dev, machine_iommu_for(m, pdev), mode)) {
		fprintf(stderr, "topo_builder: probing '%s' failed\n", id);
		abort();
	}
	return dev;
}
