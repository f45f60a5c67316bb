// SPDX-License-Identifier: GPL-2.0-only
/*
 * switch_machine.c - the switch test machine of switch_machine.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "helpers/switch_machine.h"
#include "helpers/topo_builder.h"

static void sm_check(const void *p)
{
	if (!p) {
		fprintf(stderr, "switch_machine: out of memory\n");
		abort();
	}
}

static struct pci_dev *sm_bridge(struct topology *t, struct pci_bus *bus, const char *id,
				 enum pci_dev_type type, u8 devfn, u8 sub, u64 base, u64 limit)
{
	struct pci_dev *dev = pci_fabric_add_dev(t->fabric, bus, id, type, devfn);
	struct pci_bus *sb;

	sm_check(dev);
	sb = pci_fabric_add_bus(t->fabric, dev, sub, true);
	sm_check(sb);
	sb->subordinate_number = sub;
	dev->pref_window = (struct pci_window){ base, limit };
	dev->mem_window = (struct pci_window){ 1, 0 }; /* empty */
	return dev;
}

void sm_init(struct switch_machine *sm, enum iommu_mode mode)
{
	struct topology *t = tb_new("switch-machine");
	int iommu;

	tb_add_ram(t, 0, 2 * SZ_1G);
	iommu = tb_add_iommu(t, "iommu0", IOMMU_TYPE_INTEL_VTD, mode);
	sm->hb0 = tb_add_host(t, "hb0", 0, iommu);
	tb_add_aperture(sm->hb0, PCI_APERTURE_MEM32, 0xc0000000ULL, 0x10000000ULL, 0);
	tb_add_aperture(sm->hb0, PCI_APERTURE_MEM64, 0x4000000000ULL, 0x10000000000ULL, 0);
	sm->rp0 = sm_bridge(t, sm->hb0->bus, "rp0", PCI_TYPE_ROOT_PORT, PCI_DEVFN(1, 0), 1,
			    SM_A_BAR, SM_A_BAR + 0x3fffff);
	sm->usp = sm_bridge(t, sm->rp0->subordinate, "usp", PCI_TYPE_UPSTREAM, PCI_DEVFN(0, 0), 2,
			    SM_A_BAR, SM_A_BAR + 0x3fffff);
	sm->dsp0 = sm_bridge(t, sm->usp->subordinate, "dsp0", PCI_TYPE_DOWNSTREAM, PCI_DEVFN(0, 0),
			     3, SM_A_BAR, SM_A_BAR + 0x1fffff);
	sm->dsp1 = sm_bridge(t, sm->usp->subordinate, "dsp1", PCI_TYPE_DOWNSTREAM, PCI_DEVFN(1, 0),
			     4, SM_B_BAR, SM_B_BAR + 0xfffff);
	sm->a = tb_add_endpoint(t, sm->dsp0->subordinate, "a", PCI_DEVFN(0, 0), 64);
	tb_add_bar(sm->a, 0, PCI_BAR_MEM64, SM_A_BAR, 0x100000, true);
	sm->a->num_vfs = 1; /* a.vf0 at 03:00.2 (First VF Offset 2) */
	sm->a->vf_offset = 2;
	sm->a->vf_stride = 1;
	if (pci_fabric_add_vfs(t->fabric, sm->a))
		sm_check(NULL);
	sm->a1 = tb_add_endpoint(t, sm->dsp0->subordinate, "a1", PCI_DEVFN(0, 1), 64);
	tb_add_bar(sm->a1, 0, PCI_BAR_MEM64, SM_A1_BAR, 0x100000, true);
	sm->b = tb_add_endpoint(t, sm->dsp1->subordinate, "b", PCI_DEVFN(0, 0), 64);
	tb_add_bar(sm->b, 0, PCI_BAR_MEM64, SM_B_BAR, 0x100000, true);
	sm->rp1 = sm_bridge(t, sm->hb0->bus, "rp1", PCI_TYPE_ROOT_PORT, PCI_DEVFN(2, 0), 5,
			    SM_C_BAR, SM_C_BAR + 0xfffff);
	sm->c = tb_add_endpoint(t, sm->rp1->subordinate, "c", PCI_DEVFN(0, 0), 64);
	tb_add_bar(sm->c, 0, PCI_BAR_MEM64, SM_C_BAR, 0x100000, true);

	sm->hb1 = tb_add_host(t, "hb1", 0x80, -1);
	tb_add_aperture(sm->hb1, PCI_APERTURE_MEM32, 0xe0000000ULL, 0x10000000ULL, 0x80000000ULL);
	sm->rp2 = sm_bridge(t, sm->hb1->bus, "rp2", PCI_TYPE_ROOT_PORT, PCI_DEVFN(1, 0), 0x81,
			    SM_D_BUS, SM_D_BUS + 0xfffff);
	sm->d = tb_add_endpoint(t, sm->rp2->subordinate, "d", PCI_DEVFN(0, 0), 64);
	tb_add_bar(sm->d, 0, PCI_BAR_MEM32, SM_D_CPU, 0x10000, false);
	sm->rp3 = sm_bridge(t, sm->hb1->bus, "rp3", PCI_TYPE_ROOT_PORT, PCI_DEVFN(2, 0), 0x82,
			    SM_E_BUS, SM_E_BUS + 0xfffff);
	sm->e = tb_add_endpoint(t, sm->rp3->subordinate, "e", PCI_DEVFN(0, 0), 64);
	tb_add_bar(sm->e, 0, PCI_BAR_MEM32, SM_E_CPU, 0x10000, false);
	sm->hb0->p2p_forwarding = false; /* the builder defaults to true */
	sm->hb1->p2p_forwarding = false;
	sm->topo = tb_finalize(t);

	sm->a_vf0 = sm->a->virtfn[0];
	sm->m = machine_new(sm->topo);
	sm_check(sm->m);
	sm->router = pci_router_new(sm->m);
	sm_check(sm->router);
}

void sm_fini(struct switch_machine *sm)
{
	pci_router_free(sm->router);
	machine_free(sm->m);
	topology_free(sm->topo);
}
