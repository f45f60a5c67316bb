// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_topology_load.c - the topology loader on good input: every shipped
 * topology loads; firmware-like assignment gives the bus numbers, BAR
 * addresses and windows derived by hand below; look-ups; the generator.
 *
 * Fixtures: tests/data/topo/enum-basic.xml and enum-fallback.xml.
 */
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "models/pci/enumerate.h"
#include "models/topology.h"
#include "p2psim/topology.h"
#include "sim/topology/generate.h"
#include "sim/topology/topology_internal.h"

static p2psim_topology *load_fixture(const char *name)
{
	char path[1024];
	struct p2psim_error err;
	p2psim_topology *topo = NULL;
	int ret;

	snprintf(path, sizeof(path), "%s/topo/%s", P2PSIM_TESTDATA, name);
	p2psim_error_clear(&err);
	ret = p2psim_topology_load_file(path, &topo, &err);
	cr_assert_eq(ret, P2PSIM_OK, "%s:%d:%d: %s", err.file, err.line, err.column, err.message);
	cr_assert_not_null(topo);
	return topo;
}

static const struct pci_dev *dev_of(const p2psim_topology *topo, const char *id)
{
	const p2psim_function *fn = p2psim_topology_find(topo, id);

	cr_assert_not_null(fn, "no function '%s'", id);
	return function_from_public(fn);
}

static const struct topology *model(const p2psim_topology *topo)
{
	return topology_from_public(topo);
}

Test(topology_load, every_shipped_topology_loads)
{
	char pattern[1024];
	glob_t g;
	int ret;

	snprintf(pattern, sizeof(pattern), "%s/topologies/*.xml", P2PSIM_SRCDIR);
	ret = glob(pattern, 0, NULL, &g);
	if (ret == GLOB_NOMATCH)
		cr_skip_test("no shipped topologies yet");
	cr_assert_eq(ret, 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct p2psim_error err;
		p2psim_topology *topo = NULL;

		p2psim_error_clear(&err);
		ret = p2psim_topology_load_file(g.gl_pathv[i], &topo, &err);
		cr_expect_eq(ret, P2PSIM_OK, "%s:%d:%d: error: %s", err.file, err.line, err.column,
			     err.message);
		if (topo) {
			cr_expect_gt(p2psim_topology_function_count(topo), 0, "%s", g.gl_pathv[i]);
			cr_expect_gt(p2psim_topology_hostbridge_count(topo), 0, "%s",
				     g.gl_pathv[i]);
		}
		p2psim_topology_free(topo);
	}
	globfree(&g);
}

/*
 * enum-basic: root bus 00 holds hostbridge 00.0, rp0 01.1, rp1 01.2, rciep
 * 02.0 (devfn order). Depth-first: rp0 -> bus 01 (sw0.up) -> bus 02 (dn0,
 * dn1) -> dn0 bus 03 (gpu0), dn1 bus 04 (nvme0); rp1 -> bus 05 (nic0, nic0f1;
 * nic0's VFs stay on bus 05).
 */
Test(topology_load, bus_numbers_depth_first)
{
	p2psim_topology *topo = load_fixture("enum-basic.xml");
	const struct {
		const char *id;
		unsigned int secondary, subordinate;
	} bridges[] = {
		{ "rp0", 0x01, 0x04 },	   { "sw0.up", 0x02, 0x04 }, { "sw0.dn0", 0x03, 0x03 },
		{ "sw0.dn1", 0x04, 0x04 }, { "rp1", 0x05, 0x05 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bridges); i++) {
		const struct pci_dev *d = dev_of(topo, bridges[i].id);

		cr_assert_not_null(d->subordinate);
		cr_expect_eq(d->subordinate->number, bridges[i].secondary, "%s", bridges[i].id);
		cr_expect_eq(d->subordinate->subordinate_number, bridges[i].subordinate, "%s",
			     bridges[i].id);
	}
	cr_expect_eq(model(topo)->fabric->hosts[0]->bus->number, 0);
	cr_expect_eq(model(topo)->fabric->hosts[0]->bus->subordinate_number, 5);
	cr_expect_str_eq(p2psim_function_bdf(p2psim_topology_find(topo, "gpu0")), "0000:03:00.0");
	cr_expect_str_eq(p2psim_function_bdf(p2psim_topology_find(topo, "nvme0")), "0000:04:00.0");
	cr_expect_str_eq(p2psim_function_bdf(p2psim_topology_find(topo, "rp0")), "0000:00:01.1");
	cr_expect_str_eq(p2psim_function_bdf(p2psim_topology_find(topo, "rciep")), "0000:00:02.0");
	p2psim_topology_free(topo);
}

/*
 * enum-basic addresses. The host has a mem64 aperture, so 64-bit
 * prefetchable BARs (gpu0 BAR 1 16G and BAR 3 32M, nic0 BAR 0 1M, nic0's
 * VF BARs) go to the mem64 aperture at 0x100_0000_0000, everything else
 * (gpu0 BAR 0, nvme0's non-prefetchable 64-bit BAR, nic0f1 BAR 0, rciep)
 * to the mem32 aperture at 0xc000_0000.
 *
 * mem64, largest alignment first: rp0's block (16G + 32M, align 16G) at
 * 0x100_0000_0000: gpu0 BAR 1 there, BAR 3 at +16G = 0x104_0000_0000; then
 * rp1's block (1M + 4 x 64K rounded to 2M, align 1M) at 0x104_0200_0000:
 * nic0 BAR 0 there, VF region right after at 0x104_0210_0000.
 * mem32: rp0's block (dn0 16M + dn1 1M = 17M, align 16M) at 0xc000_0000:
 * gpu0 BAR 0 0xc000_0000, nvme0 0xc100_0000; rp1's (1M) at 0xc110_0000:
 * nic0f1 BAR 0; then the root-bus rciep BAR 0 (64K) at 0xc120_0000.
 */
Test(topology_load, bar_addresses_and_windows)
{
	p2psim_topology *topo = load_fixture("enum-basic.xml");
	const struct pci_dev *gpu = dev_of(topo, "gpu0"), *nvme = dev_of(topo, "nvme0");
	const struct pci_dev *nic = dev_of(topo, "nic0"), *f1 = dev_of(topo, "nic0f1");
	const struct pci_dev *rc = dev_of(topo, "rciep"), *rp0 = dev_of(topo, "rp0");
	const struct pci_dev *rp1 = dev_of(topo, "rp1"), *dn1 = dev_of(topo, "sw0.dn1");

	cr_expect_eq(gpu->bars[0].cpu_addr, 0xc0000000ULL);
	cr_expect_eq(gpu->bars[1].cpu_addr, 0x10000000000ULL);
	cr_expect_eq(gpu->bars[1].bus_addr, 0x10000000000ULL);
	cr_expect(gpu->bars[1].p2pmem);
	cr_expect(gpu->bars[1].prefetchable); /* mem64 default */
	cr_expect_eq(gpu->bars[2].kind, PCI_BAR_NONE); /* upper half of BAR 1 */
	cr_expect_eq(gpu->bars[3].cpu_addr, 0x10400000000ULL);
	cr_expect_eq(nvme->bars[0].cpu_addr, 0xc1000000ULL);
	cr_expect_not(nvme->bars[0].prefetchable);
	cr_expect_eq(nic->bars[0].cpu_addr, 0x10402000000ULL);
	cr_expect_eq(f1->bars[0].cpu_addr, 0xc1100000ULL);
	cr_expect_eq(f1->bars[2].kind, PCI_BAR_IO);
	cr_expect_eq(f1->bars[2].size_bytes, 32);
	cr_expect_eq(rc->bars[0].cpu_addr, 0xc1200000ULL);

	cr_expect_eq(rp0->mem_window.base, 0xc0000000ULL);
	cr_expect_eq(rp0->mem_window.limit, 0xc10fffffULL);
	cr_expect_eq(rp0->pref_window.base, 0x10000000000ULL);
	cr_expect_eq(rp0->pref_window.limit, 0x10401ffffffULL);
	cr_expect_eq(dn1->mem_window.base, 0xc1000000ULL);
	cr_expect_eq(dn1->mem_window.limit, 0xc10fffffULL);
	cr_expect_lt(dn1->pref_window.limit, dn1->pref_window.base, "empty window");
	cr_expect_eq(rp1->mem_window.base, 0xc1100000ULL);
	cr_expect_eq(rp1->mem_window.limit, 0xc11fffffULL);
	cr_expect_eq(rp1->pref_window.base, 0x10402000000ULL);
	cr_expect_eq(rp1->pref_window.limit, 0x104021fffffULL);
	p2psim_topology_free(topo);
}

/* nic0 at 05:00.0, First VF Offset 8, VF Stride 2: VF n at routing ID 0x0508 + 2n. */
Test(topology_load, vf_routing_ids)
{
	p2psim_topology *topo = load_fixture("enum-basic.xml");
	const char *const bdf[] = { "0000:05:01.0", "0000:05:01.2", "0000:05:01.4",
				    "0000:05:01.6" };
	const struct pci_dev *nic = dev_of(topo, "nic0");

	cr_assert_eq(nic->num_vfs, 4);
	for (unsigned int i = 0; i < 4; i++) {
		char id[32];
		const struct pci_dev *vf;

		snprintf(id, sizeof(id), "nic0.vf%u", i);
		vf = dev_of(topo, id);
		cr_expect_str_eq(vf->name, bdf[i]);
		cr_expect(vf->is_virtfn);
		cr_expect_eq(vf->physfn, nic);
		cr_expect_eq(vf->device, 0x1018);
		cr_expect_eq(vf->bars[0].kind, PCI_BAR_MEM64);
		cr_expect_eq(vf->bars[0].size_bytes, 0x10000);
		cr_expect_eq(vf->bars[0].cpu_addr, 0x10402100000ULL + i * 0x10000ULL);
		cr_expect_eq(function_from_public(p2psim_topology_find(topo, bdf[i])), vf);
	}
	p2psim_topology_free(topo);
}

Test(topology_load, multi_function_device_is_one_link)
{
	p2psim_topology *topo = load_fixture("enum-basic.xml");
	const struct pci_dev *f0 = dev_of(topo, "nic0"), *f1 = dev_of(topo, "nic0f1");

	cr_expect_eq(f0->bus, f1->bus);
	cr_expect_eq(f0->devfn, PCI_DEVFN(0, 0));
	cr_expect_eq(f1->devfn, PCI_DEVFN(0, 1));
	cr_expect_str_eq(p2psim_function_id(p2psim_topology_find(topo, "05:00.1")), "nic0f1");
	cr_expect(f1->untrusted);
	cr_expect_eq(pci_upstream_bridge(f1), dev_of(topo, "rp1"));
	p2psim_topology_free(topo);
}

Test(topology_load, lookup_by_id_and_bdf)
{
	p2psim_topology *topo = load_fixture("enum-basic.xml");
	const p2psim_function *gpu = p2psim_topology_find(topo, "gpu0");

	cr_assert_not_null(gpu);
	cr_expect_str_eq(p2psim_function_kind(gpu), "endpoint");
	cr_expect(p2psim_function_has_p2pmem(gpu));
	cr_expect(p2psim_function_is_dma_capable(gpu));
	cr_expect_eq(p2psim_topology_find(topo, "0000:03:00.0"), gpu);
	cr_expect_eq(p2psim_topology_find(topo, "03:00.0"), gpu);
	cr_expect_null(p2psim_topology_find(topo, "gpu9"));
	cr_expect_null(p2psim_topology_find(topo, "0000:09:00.0"));
	cr_expect_str_eq(p2psim_function_kind(p2psim_topology_find(topo, "rciep")), "rciep");
	cr_expect_str_eq(p2psim_function_kind(p2psim_topology_find(topo, "hostbridge")),
			 "function");
	cr_expect_str_eq(p2psim_function_kind(p2psim_topology_find(topo, "sw0.up")), "upstream");
	cr_expect_not(p2psim_function_is_dma_capable(p2psim_topology_find(topo, "rp0")));
	p2psim_topology_free(topo);
}

/* Kernel scan order: bus 00's devices, then each bridge's bus depth-first; VFs last. */
Test(topology_load, scan_order)
{
	p2psim_topology *topo = load_fixture("enum-basic.xml");
	const char *const order[] = {
		"hostbridge", "rp0",	  "rp1",      "rciep",	  "sw0.up",
		"sw0.dn0",    "sw0.dn1",  "gpu0",     "nvme0",	  "nic0",
		"nic0f1",     "nic0.vf0", "nic0.vf1", "nic0.vf2", "nic0.vf3"
	};

	cr_assert_eq(p2psim_topology_function_count(topo), ARRAY_SIZE(order));
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		cr_expect_str_eq(p2psim_function_id(p2psim_topology_function(topo, i)), order[i]);
	cr_expect_null(p2psim_topology_function(topo, ARRAY_SIZE(order)));
	p2psim_topology_free(topo);
}

Test(topology_load, machine_attributes_and_defaults)
{
	p2psim_topology *topo = load_fixture("enum-basic.xml");
	const struct topology *t = model(topo);
	const struct pci_host_bridge *hb = t->fabric->hosts[0];

	cr_expect_str_eq(p2psim_topology_name(topo), "enum-basic");
	cr_expect_eq(t->cpu.vendor, CPU_VENDOR_AMD);
	cr_expect_eq(t->cpu.family, 0x19);
	cr_assert_eq(t->nr_ram, 2);
	cr_expect_eq(t->ram[1].base, 4ULL << 30);
	cr_expect_eq(t->ram[1].size_bytes, 12ULL << 30);
	cr_expect_eq(t->ram[1].numa_node, 0);
	cr_expect_eq(t->ram[0].numa_node, -1);
	cr_assert_eq(t->nr_iommus, 1);
	cr_expect_eq(t->iommus[0].type, IOMMU_TYPE_AMD_VI);
	cr_expect_eq(t->iommus[0].mode, IOMMU_MODE_STRICT);
	cr_expect_eq(t->iommus[0].pgsize_bitmap, SZ_4K | SZ_2M | SZ_1G);
	cr_expect_eq(t->iommus[0].iotlb_entries, 128);
	cr_expect_eq(t->iommus[0].iotlb_ways, 8);
	cr_expect_eq(t->iommus[0].fq_size, 256);
	cr_expect_eq(t->iommus[0].fq_timeout_ms, 10);
	cr_expect_eq(hb->iommu_index, 0);
	cr_expect(hb->p2p_forwarding);
	cr_expect_eq(hb->numa_node, 0);
	cr_expect_eq(pci_host_bridge_first_dev(hb), dev_of(topo, "hostbridge"));

	/* ACS: acs-cap and acs-ctrl on rp0; acs-ctrl alone on the downstream ports */
	cr_expect(dev_of(topo, "rp0")->has_acs);
	cr_expect_eq(dev_of(topo, "rp0")->acs_cap, 0x5f);
	cr_expect_eq(dev_of(topo, "rp0")->acs_ctrl,
		     PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF);
	cr_expect_eq(dev_of(topo, "sw0.dn0")->acs_cap, 0x1d);
	cr_expect_not(dev_of(topo, "rp1")->has_acs);
	/* ports inherit the switch's vendor/device; class defaults by element */
	cr_expect_eq(dev_of(topo, "sw0.dn1")->vendor, 0x10b5);
	cr_expect_eq(dev_of(topo, "sw0.dn1")->device, 0x9797);
	cr_expect_eq(dev_of(topo, "sw0.dn1")->class_code, 0x060400);
	cr_expect_eq(dev_of(topo, "hostbridge")->class_code, 0x060000);
	cr_expect_str_eq(dev_of(topo, "sw0.up")->switch_id, "sw0");
	/* endpoint DMA attributes */
	cr_expect_eq(dev_of(topo, "nvme0")->dma_mask_bits, 48);
	cr_expect_eq(dev_of(topo, "gpu0")->dma_mask_bits, 64);
	cr_expect_not(dev_of(topo, "rciep")->coherent);
	cr_expect(dev_of(topo, "gpu0")->coherent);
	p2psim_topology_free(topo);
}

/*
 * enum-fallback: only a mem32 aperture [0x8000_0000, 0xc000_0000).
 * Prefetchable BARs go to 32-bit prefetchable windows there. Root items,
 * largest alignment first, skipping rp2's given [0xbff0_0000, 0xbfff_ffff]:
 * rp0's prefetchable block (gpu0 BAR 1, 256M) at 0x8000_0000; rp1's (nic0
 * BAR 0 32M + 300 x 8K VF BARs = 32M + 2400K, rounded to 35M, align 32M) at
 * 0x9000_0000; rp0's non-prefetchable block (gpu0 BAR 0, 16M) at 0x9300_0000.
 */
Test(topology_load, mem64_falls_back_to_mem32)
{
	p2psim_topology *topo = load_fixture("enum-fallback.xml");
	const struct pci_dev *gpu = dev_of(topo, "gpu0"), *rp0 = dev_of(topo, "rp0");
	const struct pci_dev *rp1 = dev_of(topo, "rp1");

	cr_expect_eq(gpu->bars[1].kind, PCI_BAR_MEM64);
	cr_expect_eq(gpu->bars[1].cpu_addr, 0x80000000ULL);
	cr_expect_eq(gpu->bars[0].cpu_addr, 0x93000000ULL);
	cr_expect_eq(rp0->pref_window.base, 0x80000000ULL);
	cr_expect_eq(rp0->pref_window.limit, 0x8fffffffULL);
	cr_expect_eq(rp0->mem_window.base, 0x93000000ULL);
	cr_expect_eq(rp0->mem_window.limit, 0x93ffffffULL);
	cr_expect_eq(dev_of(topo, "nic0")->bars[0].cpu_addr, 0x90000000ULL);
	cr_expect_eq(rp1->pref_window.base, 0x90000000ULL);
	cr_expect_eq(rp1->pref_window.limit, 0x922fffffULL);
	cr_expect_lt(rp1->mem_window.limit, rp1->mem_window.base, "empty window");
	p2psim_topology_free(topo);
}

Test(topology_load, given_values_are_kept)
{
	p2psim_topology *topo = load_fixture("enum-fallback.xml");
	const struct pci_dev *rp2 = dev_of(topo, "rp2"), *fixed = dev_of(topo, "fixed");
	const struct pci_host_bridge *hb = model(topo)->fabric->hosts[0];

	cr_expect_eq(rp2->subordinate->number, 0x20);
	cr_expect_eq(rp2->subordinate->subordinate_number, 0x22);
	cr_expect_str_eq(fixed->name, "0000:20:00.0");
	cr_expect(fixed->bars[0].address_given);
	cr_expect_eq(fixed->bars[0].cpu_addr, 0xbff00000ULL);
	cr_expect_eq(rp2->mem_window.base, 0xbff00000ULL);
	cr_expect_eq(rp2->mem_window.limit, 0xbfffffffULL);
	cr_expect_eq(hb->bus->number, 0x10);
	cr_expect_eq(hb->bus->subordinate_number, 0x22);
	cr_expect_eq(dev_of(topo, "rp0")->subordinate->number, 0x11);
	p2psim_topology_free(topo);
}

/*
 * nic0 at 12:00.0 with 300 VFs, offset 1, stride 1: VF n at routing ID
 * 0x1201 + n, so VF 254 is 12:1f.7, VF 255 13:00.0 and VF 299 13:05.4 (0x132c);
 * bus 0x13 is reserved below rp1 (range 12-13), and rp2's given 0x20 is above it.
 */
Test(topology_load, vfs_spill_onto_reserved_bus)
{
	p2psim_topology *topo = load_fixture("enum-fallback.xml");

	cr_expect_str_eq(p2psim_function_bdf(p2psim_topology_find(topo, "nic0.vf0")),
			 "0000:12:00.1");
	cr_expect_str_eq(p2psim_function_bdf(p2psim_topology_find(topo, "nic0.vf254")),
			 "0000:12:1f.7");
	cr_expect_str_eq(p2psim_function_bdf(p2psim_topology_find(topo, "nic0.vf255")),
			 "0000:13:00.0");
	cr_expect_str_eq(p2psim_function_bdf(p2psim_topology_find(topo, "nic0.vf299")),
			 "0000:13:05.4");
	cr_expect_eq(dev_of(topo, "rp1")->subordinate->subordinate_number, 0x13);
	cr_expect_eq(dev_of(topo, "nic0.vf299")->bars[0].cpu_addr, 0x92000000ULL + 299 * 0x2000ULL);
	cr_expect_eq(p2psim_topology_function_count(topo), 306);
	p2psim_topology_free(topo);
}

Test(topology_load, load_buffer_and_failure_leaves_nothing)
{
	static const char good[] = "<topology version=\"1\" name=\"tiny\">\n"
				   "  <hostbridge id=\"hb0\">\n"
				   "    <function id=\"h\" vendor=\"0x8086\" device=\"0x1\"/>\n"
				   "  </hostbridge>\n"
				   "</topology>\n";
	static const char bad[] =
		"<topology version=\"1\" name=\"tiny\">\n"
		"  <hostbridge id=\"hb0\">\n"
		"    <function id=\"h\" vendor=\"0x8086\" device=\"0x1\"/>\n"
		"    <function id=\"h\" dev=\"1\" vendor=\"0x8086\" device=\"0x1\"/>\n"
		"  </hostbridge>\n"
		"</topology>\n";
	struct p2psim_error err;
	p2psim_topology *topo = (p2psim_topology *)&err; /* must be reset to NULL */

	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_buffer(bad, sizeof(bad) - 1, "mem.xml", &topo, &err),
		     P2PSIM_EINPUT);
	cr_expect_null(topo);
	cr_expect_str_eq(err.file, "mem.xml");
	cr_expect_eq(err.line, 4);
	cr_expect(strstr(err.message, "duplicate id 'h'"), "%s", err.message);

	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_buffer(good, sizeof(good) - 1, "mem.xml", &topo, &err),
		     P2PSIM_OK, "%s", err.message);
	/* defaults: intel family 6, RAM [0,2G) + [4G,16G), default apertures */
	cr_expect_eq(model(topo)->cpu.vendor, CPU_VENDOR_INTEL);
	cr_expect_eq(model(topo)->cpu.family, 6);
	cr_expect_eq(model(topo)->nr_ram, 2);
	cr_assert_eq(model(topo)->fabric->hosts[0]->nr_apertures, 2);
	cr_expect_eq(model(topo)->fabric->hosts[0]->apertures[0].cpu_base, 0xc0000000ULL);
	cr_expect_eq(model(topo)->fabric->hosts[0]->apertures[1].cpu_base, 0x10000000000ULL);
	p2psim_topology_free(topo);
}

/*
 * Default apertures (mem32 0xc000_0000, mem64 0x100_0000_0000). With a mem64
 * aperture present, a 32-bit prefetchable BAR goes to the non-prefetchable
 * window like everything not 64-bit prefetchable. rp0's block, largest
 * alignment first: BAR 1 (1M) at 0, BAR 2 (2K) at 0x10_0000, BAR 0 (16
 * bytes: legal) at 0x10_0800; 0x10_0810 bytes round up to 2M.
 */
Test(topology_load, small_bars_and_32bit_prefetchable)
{
	static const char xml[] =
		"<topology version=\"1\" name=\"small\">\n"
		"  <hostbridge id=\"hb0\">\n"
		"    <rootport id=\"rp0\" dev=\"1\" vendor=\"0x8086\" device=\"0x1\">\n"
		"      <endpoint id=\"a\" vendor=\"0x1\" device=\"0x2\">\n"
		"        <bar index=\"0\" size=\"16\" kind=\"mem32\"/>\n"
		"        <bar index=\"1\" size=\"1M\" kind=\"mem32\" prefetchable=\"yes\"/>\n"
		"        <bar index=\"2\" size=\"2K\" kind=\"mem64\" prefetchable=\"no\"/>\n"
		"      </endpoint>\n"
		"    </rootport>\n"
		"  </hostbridge>\n"
		"</topology>\n";
	struct p2psim_error err;
	p2psim_topology *topo = NULL;
	const struct pci_dev *a, *rp0;

	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_buffer(xml, sizeof(xml) - 1, "small.xml", &topo, &err),
		     P2PSIM_OK, "%d: %s", err.line, err.message);
	a = dev_of(topo, "a");
	rp0 = dev_of(topo, "rp0");
	cr_expect_eq(a->bars[1].cpu_addr, 0xc0000000ULL);
	cr_expect_eq(a->bars[2].cpu_addr, 0xc0100000ULL);
	cr_expect_eq(a->bars[0].cpu_addr, 0xc0100800ULL);
	cr_expect_eq(a->bars[0].size_bytes, 16);
	cr_expect_eq(rp0->mem_window.base, 0xc0000000ULL);
	cr_expect_eq(rp0->mem_window.limit, 0xc01fffffULL);
	cr_expect_lt(rp0->pref_window.limit, rp0->pref_window.base, "empty window");
	p2psim_topology_free(topo);
}

/*
 * Real machines number buses in any order (shape of the ProLiant SL390s G7 in
 * the hwloc test corpus: the legacy bridge at 00:1e.0 got bus 01). Given
 * ranges: rp0 [04], rp2 [06-08], rp3 [01]. The others, in devfn order, take
 * the next number outside those: rp1 (00:05.0) 01 is taken -> 02, rp4
 * (00:08.0) -> 03. The root bus range ends at 08.
 */
Test(topology_load, given_bus_numbers_in_any_order)
{
	static const char xml[] =
		"<topology version=\"1\" name=\"order\">\n"
		"  <hostbridge id=\"hb0\">\n"
		"    <rootport id=\"rp0\" dev=\"1\" vendor=\"0x8086\" device=\"0x3408\" "
		"secondary=\"0x04\" subordinate=\"0x04\">\n"
		"      <endpoint id=\"nic0\" vendor=\"0x8086\" device=\"0x10c9\"/>\n"
		"    </rootport>\n"
		"    <rootport id=\"rp1\" dev=\"5\" vendor=\"0x8086\" device=\"0x340c\"/>\n"
		"    <rootport id=\"rp2\" dev=\"7\" vendor=\"0x8086\" device=\"0x340e\" "
		"secondary=\"0x06\" subordinate=\"0x08\"/>\n"
		"    <rootport id=\"rp3\" dev=\"30\" vendor=\"0x8086\" device=\"0x244e\" "
		"secondary=\"0x01\" subordinate=\"0x01\">\n"
		"      <endpoint id=\"vga\" dev=\"3\" vendor=\"0x1002\" device=\"0x515e\"/>\n"
		"    </rootport>\n"
		"    <rootport id=\"rp4\" dev=\"8\" vendor=\"0x8086\" device=\"0x340e\"/>\n"
		"  </hostbridge>\n"
		"</topology>\n";
	struct p2psim_error err;
	p2psim_topology *topo = NULL;

	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_buffer(xml, sizeof(xml) - 1, "order.xml", &topo, &err),
		     P2PSIM_OK, "%d: %s", err.line, err.message);
	cr_expect_str_eq(p2psim_function_bdf(p2psim_topology_find(topo, "nic0")), "0000:04:00.0");
	cr_expect_str_eq(p2psim_function_bdf(p2psim_topology_find(topo, "vga")), "0000:01:03.0");
	cr_expect_eq(dev_of(topo, "rp1")->subordinate->number, 0x02);
	cr_expect_eq(dev_of(topo, "rp4")->subordinate->number, 0x03);
	cr_expect_eq(dev_of(topo, "rp2")->subordinate->subordinate_number, 0x08);
	cr_expect_eq(model(topo)->fabric->hosts[0]->bus->subordinate_number, 0x08);
	p2psim_topology_free(topo);
}

/* Internal entities and character references in attribute values are expanded. */
Test(topology_load, entity_references_in_attributes)
{
	static const char xml[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE topology [<!ENTITY g \"gpu\"><!ENTITY v \"0x10de\">]>\n"
		"<topology version=\"1\" name=\"&g;s\">\n"
		"  <hostbridge id=\"hb0\">\n"
		"    <endpoint id=\"&g;0\" dev=\"2\" vendor=\"&v;\" device=\"0x2\" "
		"class=\"0x&#x33;0200\"/>\n"
		"  </hostbridge>\n"
		"</topology>\n";
	struct p2psim_error err;
	p2psim_topology *topo = NULL;

	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_buffer(xml, sizeof(xml) - 1, "ent.xml", &topo, &err),
		     P2PSIM_OK, "%d: %s", err.line, err.message);
	cr_expect_str_eq(p2psim_topology_name(topo), "gpus");
	cr_expect_eq(dev_of(topo, "gpu0")->vendor, 0x10de);
	cr_expect_eq(dev_of(topo, "gpu0")->class_code, 0x030200);
	p2psim_topology_free(topo);
}

/* topology_generate() makes exactly the endpoints asked for; the text loads. */
Test(topology_load, generator_exact_endpoints)
{
	const unsigned int counts[][2] = { { 1, 1 }, { 37, 8 }, { 64, 32 }, { 4096, 8 } };

	for (size_t c = 0; c < ARRAY_SIZE(counts); c++) {
		struct topology_gen_opts o = {
			.endpoints = counts[c][0],
			.endpoints_per_switch = counts[c][1],
			.p2pmem_every = 2,
			.acs = true,
		};
		struct p2psim_error err;
		p2psim_topology *topo = NULL;
		size_t len, endpoints = 0, p2pmem = 0;
		char *xml = topology_generate(&o, &len);

		cr_assert_not_null(xml);
		cr_expect_eq(strlen(xml), len);
		p2psim_error_clear(&err);
		cr_assert_eq(p2psim_topology_load_buffer(xml, len, "gen.xml", &topo, &err),
			     P2PSIM_OK, "%d: %s", err.line, err.message);
		for (size_t i = 0; i < p2psim_topology_function_count(topo); i++) {
			const p2psim_function *fn = p2psim_topology_function(topo, i);

			if (!strcmp(p2psim_function_kind(fn), "endpoint"))
				endpoints++;
			if (p2psim_function_has_p2pmem(fn))
				p2pmem++;
		}
		cr_expect_eq(endpoints, counts[c][0]);
		cr_expect_eq(p2pmem, (counts[c][0] + 1) / 2);
		cr_expect_not_null(p2psim_topology_find(topo, "ep0"));
		p2psim_topology_free(topo);
		free(xml);
	}
	cr_expect_null(topology_generate(
		&(struct topology_gen_opts){ .endpoints = 0, .endpoints_per_switch = 1 }, NULL));
}

Test(topology_load, generator_function_target)
{
	size_t len;
	char *xml = topology_generate_xml(1000, 8, &len);
	struct p2psim_error err;
	p2psim_topology *topo = NULL;

	cr_assert_not_null(xml);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_buffer(xml, len, "gen.xml", &topo, &err), P2PSIM_OK, "%s",
		     err.message);
	/* 1000 * 8 / 18 = 444 endpoints in 56 switches, 3 host bridges: 3 + 112 + 888 */
	cr_expect_eq(p2psim_topology_function_count(topo), 1003);
	cr_expect_eq(p2psim_topology_hostbridge_count(topo), 3);
	p2psim_topology_free(topo);
	free(xml);
}
