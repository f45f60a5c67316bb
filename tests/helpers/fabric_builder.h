/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fabric_builder.h - build small PCI fabrics in C for unit tests, with the
 * builder functions of models/pci/fabric.c, without XML.
 *
 * Every helper aborts the test (prints and abort()s) on allocation failure or
 * a builder error, so tests can chain calls without checking each one.
 * Also: the reference fabrics of reference/p2pdma.md §10 (T1 and friends).
 */
#ifndef P2PSIM_TESTS_FABRIC_BUILDER_H
#define P2PSIM_TESTS_FABRIC_BUILDER_H

#include "models/topology.h"
#include "p2psim/topology.h"

struct pci_fabric *fb_new(void);
struct pci_host_bridge *fb_host(struct pci_fabric *fab, const char *id, u32 domain, u8 bus);
/* A function at SLOT.FN on @bus with vendor:device. */
struct pci_dev *fb_dev(struct pci_fabric *fab, struct pci_bus *bus, const char *id,
		       enum pci_dev_type type, unsigned int slot, unsigned int fn, u16 vendor,
		       u16 device);
/* A bridge function (root port, upstream or downstream port) with its secondary bus @secondary. */
struct pci_dev *fb_bridge(struct pci_fabric *fab, struct pci_bus *bus, const char *id,
			  enum pci_dev_type type, unsigned int slot, unsigned int fn, u8 secondary);
/* ACS capability @cap (0: take the control bits) and Control @ctrl. */
void fb_acs(struct pci_dev *dev, u16 cap, u16 ctrl);
/* A memory BAR at CPU address @cpu; bus address = cpu - @bus_offset (the aperture offset). */
void fb_bar(struct pci_dev *dev, int index, enum pci_bar_kind kind, u64 size, u64 cpu,
	    u64 bus_offset, bool p2pmem);
/* SR-IOV: @num VFs at First VF Offset @offset, stride 1 (created now, placed at finalize). */
void fb_vfs(struct pci_fabric *fab, struct pci_dev *pf, unsigned int num, u16 offset);
/* Freeze; aborts with the message on failure. */
void fb_finalize(struct pci_fabric *fab);
/* Look up by id; aborts if absent. */
struct pci_dev *fb_find(const struct pci_fabric *fab, const char *id);

/*
 * T1 of reference/p2pdma.md §10, finalized, plus a second function of the
 * RCiEP:
 *   hb0 domain 0000, root bus 00
 *    00:00.0 hostfn  8086:@host_device (ROOT_FUNCTION)
 *    00:01.0 rp1 -> 01:00.0 usp -> 02:00.0 dsp0 -> 03:00.0 a, 03:00.1 a_fn1,
 *                                                  a.vf0 at 03:00.2
 *                               -> 02:01.0 dsp1 -> 04:00.0 b
 *    00:02.0 rp2 -> 10:00.0 c
 *    00:05.0 z (RCiEP), 00:05.1 z_fn1 (RCiEP)
 * Each endpoint has a 1 MiB p2pmem BAR 0 (mem64, bus offset 0) at
 * 0x4000000000 + n MiB; no ACS anywhere.
 */
struct pci_fabric *fb_t1(u16 host_device);

/* Example 2's cascade: rp1 -> s0 (usp 01:00.0, dsp 02:00.0/02:01.0) -> s1/s2 -> a (05:00.0), b (08:00.0). */
struct pci_fabric *fb_cascade(void);

/*
 * Two host bridges, each: first function 00:00.0 VENDOR:DEVICE, a root port
 * 00:01.0 and an endpoint at 01:00.0 ("a" on hb0, "b" on hb1). @domain1 and
 * @bus1 place the second root bus (same domain + bus 0x80 models two
 * stacks of one segment).
 */
struct pci_fabric *fb_two_hosts(u16 vendor0, u16 device0, u16 vendor1, u16 device1, u32 domain1,
				u8 bus1);

/*
 * Wrap a finalized fabric in a topology named @name with CPU @vendor/@family,
 * as the public API sees it (free with p2psim_topology_free()).
 */
p2psim_topology *fb_topology(const char *name, struct pci_fabric *fab, enum cpu_vendor vendor,
			     unsigned int family);

#endif /* P2PSIM_TESTS_FABRIC_BUILDER_H */
