// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_enumerate.c - models/pci/enumerate.c on fabrics built in C (no XML):
 * VF bus reservation on a root bus, routing-ID arithmetic, placement of an
 * RCiEP's VF BARs, error reporting, size formatting.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "models/pci/enumerate.h"

static struct pci_dev *add(struct pci_fabric *fab, struct pci_bus *bus, const char *id,
			   enum pci_dev_type type, unsigned int slot, unsigned int fn)
{
	struct pci_dev *dev = pci_fabric_add_dev(fab, bus, id, type, PCI_DEVFN(slot, fn));

	cr_assert_not_null(dev);
	return dev;
}

/*
 * Root bus 00: an RCiEP PF at 00:01.0 (routing ID 0x0008) with 300 VFs,
 * offset 1, stride 1: the last VF is 0x0008 + 1 + 299 = 0x0134, on bus 01, so
 * bus 01 is reserved and the root port at 00:02.0 gets bus 02.
 */
Test(enumerate, vfs_on_root_bus_reserve_the_next_bus)
{
	struct pci_fabric *fab = pci_fabric_new();
	struct pci_host_bridge *hb = pci_fabric_add_host_bridge(fab, "hb0", 0, 0);
	struct pci_dev *pf, *rp, *ep, *bad = NULL;
	struct pci_enum_error err = { 0 };
	char msg[256];

	cr_assert_eq(pci_host_bridge_add_aperture(hb, PCI_APERTURE_MEM32, 0xc0000000ULL,
						  0x10000000ULL, 0, 0),
		     0);
	cr_assert_eq(pci_host_bridge_add_aperture(hb, PCI_APERTURE_MEM64, 0x10000000000ULL,
						  0x10000000000ULL, 0, 0),
		     0);
	pf = add(fab, hb->bus, "pf", PCI_TYPE_RC_END, 1, 0);
	pf->num_vfs = 300;
	pf->vf_bar_size = 0x4000;
	cr_assert_eq(pci_fabric_add_vfs(fab, pf), 0);
	rp = add(fab, hb->bus, "rp", PCI_TYPE_ROOT_PORT, 2, 0);
	cr_assert_not_null(pci_fabric_add_bus(fab, rp, 0, false));
	ep = add(fab, rp->subordinate, "ep", PCI_TYPE_ENDPOINT, 0, 0);
	ep->bars[0] = (struct pci_bar){ .kind = PCI_BAR_MEM32, .size_bytes = 0x1000 };

	cr_assert_eq(pci_vf_routing_id(pf, 299), 0x0134);
	cr_assert_eq(pci_assign_bus_numbers(fab, &err), 0, "%s", err.msg);
	cr_expect_eq(rp->subordinate->number, 2);
	cr_expect_eq(hb->bus->subordinate_number, 2);
	cr_assert_eq(pci_assign_resources(fab, &err), 0, "%s", err.msg);
	/* the VF region (300 x 16K, align 16K) is the only mem64 item: at the aperture base */
	cr_expect_eq(pf->virtfn[0]->bars[0].cpu_addr, 0x10000000000ULL);
	cr_expect_eq(pf->virtfn[299]->bars[0].cpu_addr, 0x10000000000ULL + 299 * 0x4000ULL);
	cr_expect_eq(ep->bars[0].cpu_addr, 0xc0000000ULL);
	cr_expect_eq(rp->mem_window.base, 0xc0000000ULL);
	cr_expect_eq(rp->mem_window.limit, 0xc00fffffULL);
	cr_assert_eq(pci_fabric_finalize(fab, msg, sizeof(msg), &bad), 0, "%s", msg);
	cr_expect_str_eq(pf->virtfn[0]->name, "0000:00:01.1");
	cr_expect_str_eq(pf->virtfn[299]->name, "0000:01:06.4");
	cr_expect_str_eq(ep->name, "0000:02:00.0");
	pci_fabric_free(fab);
}

Test(enumerate, vf_routing_ids_past_bus_ff_are_refused)
{
	struct pci_fabric *fab = pci_fabric_new();
	struct pci_host_bridge *hb = pci_fabric_add_host_bridge(fab, "hb0", 0, 0xff);
	struct pci_enum_error err = { 0 };
	struct pci_dev *pf = add(fab, hb->bus, "pf", PCI_TYPE_RC_END, 0, 0);

	pf->line = 42;
	pf->num_vfs = 256;
	cr_assert_eq(pci_fabric_add_vfs(fab, pf), 0);
	/* 0xff00 + 1 + 255 = 0x10000 */
	cr_expect_eq(pci_assign_bus_numbers(fab, &err), -EINVAL);
	cr_expect_eq(err.line, 42);
	cr_expect(strstr(err.msg, "past bus 0xff"), "%s", err.msg);
	pci_fabric_free(fab);
}

Test(enumerate, format_size)
{
	char buf[32];

	cr_expect_str_eq(pci_format_size(16ULL << 30, buf, sizeof(buf)), "16 GiB");
	cr_expect_str_eq(pci_format_size(257ULL << 20, buf, sizeof(buf)), "257 MiB");
	cr_expect_str_eq(pci_format_size(1536, buf, sizeof(buf)), "1536 bytes");
	cr_expect_str_eq(pci_format_size(0x4000, buf, sizeof(buf)), "16 KiB");
}
