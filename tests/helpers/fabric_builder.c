// SPDX-License-Identifier: GPL-2.0-only
/*
 * fabric_builder.c - small PCI fabrics for unit tests (fabric_builder.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/fabric_builder.h"

static void *must(void *p, const char *what)
{
	if (!p) {
		fprintf(stderr, "fabric_builder: %s failed\n", what);
		abort();
	}
	return p;
}

struct pci_fabric *fb_new(void)
{
	return must(pci_fabric_new(), "pci_fabric_new");
}

struct pci_host_bridge *fb_host(struct pci_fabric *fab, const char *id, u32 domain, u8 bus)
{
	return must(pci_fabric_add_host_bridge(fab, id, domain, bus), "add_host_bridge");
}

struct pci_dev *fb_dev(struct pci_fabric *fab, struct pci_bus *bus, const char *id,
		       enum pci_dev_type type, unsigned int slot, unsigned int fn, u16 vendor,
		       u16 device)
{
	struct pci_dev *dev =
		must(pci_fabric_add_dev(fab, bus, id, type, PCI_DEVFN(slot, fn)), "add_dev");

	dev->vendor = vendor;
	dev->device = device;
	return dev;
}

struct pci_dev *fb_bridge(struct pci_fabric *fab, struct pci_bus *bus, const char *id,
			  enum pci_dev_type type, unsigned int slot, unsigned int fn, u8 secondary)
{
	struct pci_dev *dev = fb_dev(fab, bus, id, type, slot, fn, 0x8086, 0x1000 + type);

	dev->class_code = 0x060400;
	must(pci_fabric_add_bus(fab, dev, secondary, true), "add_bus");
	return dev;
}

void fb_acs(struct pci_dev *dev, u16 cap, u16 ctrl)
{
	dev->has_acs = true;
	dev->acs_cap = cap ? cap : ctrl;
	dev->acs_ctrl = ctrl;
}

void fb_bar(struct pci_dev *dev, int index, enum pci_bar_kind kind, u64 size, u64 cpu,
	    u64 bus_offset, bool p2pmem)
{
	struct pci_bar *bar = &dev->bars[index];

	bar->kind = kind;
	bar->prefetchable = kind == PCI_BAR_MEM64;
	bar->p2pmem = p2pmem;
	bar->address_given = true;
	bar->size_bytes = size;
	bar->cpu_addr = cpu;
	bar->bus_addr = cpu - bus_offset;
}

void fb_vfs(struct pci_fabric *fab, struct pci_dev *pf, unsigned int num, u16 offset)
{
	pf->num_vfs = num;
	pf->vf_offset = offset;
	pf->vf_stride = 1;
	if (pci_fabric_add_vfs(fab, pf)) {
		fprintf(stderr, "fabric_builder: add_vfs failed\n");
		abort();
	}
}

void fb_finalize(struct pci_fabric *fab)
{
	struct pci_dev *bad;
	char msg[256];

	/* subordinate bus numbers: the builder leaves them equal to the bus number */
	for (size_t i = 0; i < fab->nr_buses; i++) {
		struct pci_bus *bus = fab->buses[i];

		for (struct pci_bus *p = bus->parent; p; p = p->parent)
			if (p->subordinate_number < bus->number)
				p->subordinate_number = bus->number;
	}
	if (pci_fabric_finalize(fab, msg, sizeof(msg), &bad)) {
		fprintf(stderr, "fabric_builder: finalize: %s\n", msg);
		abort();
	}
}

struct pci_dev *fb_find(const struct pci_fabric *fab, const char *id)
{
	struct pci_dev *dev = pci_fabric_find(fab, id);

	if (!dev) {
		fprintf(stderr, "fabric_builder: no device '%s'\n", id);
		abort();
	}
	return dev;
}

static void ep_bar(struct pci_dev *dev, unsigned int n)
{
	fb_bar(dev, 0, PCI_BAR_MEM64, 1ull << 20, 0x4000000000ull + ((u64)n << 20), 0, true);
}

struct pci_fabric *fb_t1(u16 host_device)
{
	struct pci_fabric *fab = fb_new();
	struct pci_host_bridge *hb = fb_host(fab, "hb0", 0, 0);
	struct pci_dev *rp1, *usp, *dsp0, *dsp1, *rp2, *a, *dev;

	fb_dev(fab, hb->bus, "hostfn", PCI_TYPE_ROOT_FUNCTION, 0, 0, 0x8086, host_device);
	rp1 = fb_bridge(fab, hb->bus, "rp1", PCI_TYPE_ROOT_PORT, 1, 0, 0x01);
	usp = fb_bridge(fab, rp1->subordinate, "usp", PCI_TYPE_UPSTREAM, 0, 0, 0x02);
	dsp0 = fb_bridge(fab, usp->subordinate, "dsp0", PCI_TYPE_DOWNSTREAM, 0, 0, 0x03);
	dsp1 = fb_bridge(fab, usp->subordinate, "dsp1", PCI_TYPE_DOWNSTREAM, 1, 0, 0x04);
	a = fb_dev(fab, dsp0->subordinate, "a", PCI_TYPE_ENDPOINT, 0, 0, 0x15b3, 0x101d);
	ep_bar(a, 0);
	dev = fb_dev(fab, dsp0->subordinate, "a_fn1", PCI_TYPE_ENDPOINT, 0, 1, 0x15b3, 0x101d);
	ep_bar(dev, 1);
	fb_vfs(fab, a, 1, 2);
	dev = fb_dev(fab, dsp1->subordinate, "b", PCI_TYPE_ENDPOINT, 0, 0, 0x10de, 0x2330);
	ep_bar(dev, 2);
	rp2 = fb_bridge(fab, hb->bus, "rp2", PCI_TYPE_ROOT_PORT, 2, 0, 0x10);
	dev = fb_dev(fab, rp2->subordinate, "c", PCI_TYPE_ENDPOINT, 0, 0, 0x144d, 0xa808);
	ep_bar(dev, 3);
	dev = fb_dev(fab, hb->bus, "z", PCI_TYPE_RC_END, 5, 0, 0x8086, 0x0b25);
	ep_bar(dev, 4);
	dev = fb_dev(fab, hb->bus, "z_fn1", PCI_TYPE_RC_END, 5, 1, 0x8086, 0x0b25);
	ep_bar(dev, 5);
	fb_finalize(fab);
	return fab;
}

struct pci_fabric *fb_cascade(void)
{
	struct pci_fabric *fab = fb_new();
	struct pci_host_bridge *hb = fb_host(fab, "hb0", 0, 0);
	struct pci_dev *rp1, *s0u, *s0d0, *s0d1, *s1u, *s1d, *s2u, *s2d, *dev;

	fb_dev(fab, hb->bus, "hostfn", PCI_TYPE_ROOT_FUNCTION, 0, 0, 0x8086, 0x2020);
	rp1 = fb_bridge(fab, hb->bus, "rp1", PCI_TYPE_ROOT_PORT, 1, 0, 0x01);
	s0u = fb_bridge(fab, rp1->subordinate, "s0u", PCI_TYPE_UPSTREAM, 0, 0, 0x02);
	s0d0 = fb_bridge(fab, s0u->subordinate, "s0d0", PCI_TYPE_DOWNSTREAM, 0, 0, 0x03);
	s0d1 = fb_bridge(fab, s0u->subordinate, "s0d1", PCI_TYPE_DOWNSTREAM, 1, 0, 0x06);
	s1u = fb_bridge(fab, s0d0->subordinate, "s1u", PCI_TYPE_UPSTREAM, 0, 0, 0x04);
	s1d = fb_bridge(fab, s1u->subordinate, "s1d", PCI_TYPE_DOWNSTREAM, 0, 0, 0x05);
	s2u = fb_bridge(fab, s0d1->subordinate, "s2u", PCI_TYPE_UPSTREAM, 0, 0, 0x07);
	s2d = fb_bridge(fab, s2u->subordinate, "s2d", PCI_TYPE_DOWNSTREAM, 0, 0, 0x08);
	dev = fb_dev(fab, s1d->subordinate, "a", PCI_TYPE_ENDPOINT, 0, 0, 0x10de, 0x2330);
	ep_bar(dev, 0);
	dev = fb_dev(fab, s2d->subordinate, "b", PCI_TYPE_ENDPOINT, 0, 0, 0x10de, 0x2330);
	ep_bar(dev, 1);
	fb_finalize(fab);
	return fab;
}

struct pci_fabric *fb_two_hosts(u16 vendor0, u16 device0, u16 vendor1, u16 device1, u32 domain1,
				u8 bus1)
{
	struct pci_fabric *fab = fb_new();
	struct pci_host_bridge *h0 = fb_host(fab, "hb0", 0, 0);
	struct pci_host_bridge *h1 = fb_host(fab, "hb1", domain1, bus1);
	struct pci_dev *rp, *dev;

	fb_dev(fab, h0->bus, "hostfn0", PCI_TYPE_ROOT_FUNCTION, 0, 0, vendor0, device0);
	rp = fb_bridge(fab, h0->bus, "rp0", PCI_TYPE_ROOT_PORT, 1, 0, 0x01);
	dev = fb_dev(fab, rp->subordinate, "a", PCI_TYPE_ENDPOINT, 0, 0, 0x10de, 0x2330);
	ep_bar(dev, 0);
	fb_dev(fab, h1->bus, "hostfn1", PCI_TYPE_ROOT_FUNCTION, 0, 0, vendor1, device1);
	rp = fb_bridge(fab, h1->bus, "rp1", PCI_TYPE_ROOT_PORT, 1, 0, (u8)(bus1 + 1));
	dev = fb_dev(fab, rp->subordinate, "b", PCI_TYPE_ENDPOINT, 0, 0, 0x10de, 0x2330);
	ep_bar(dev, 1);
	fb_finalize(fab);
	return fab;
}

p2psim_topology *fb_topology(const char *name, struct pci_fabric *fab, enum cpu_vendor vendor,
			     unsigned int family)
{
	struct topology *topo = must(calloc(1, sizeof(*topo)), "calloc");

	topo->name = must(strdup(name), "strdup");
	topo->source = must(strdup(""), "strdup");
	topo->version = 1;
	topo->cpu.vendor = vendor;
	topo->cpu.family = family;
	topo->fabric = fab;
	return (p2psim_topology *)(void *)topo;
}
