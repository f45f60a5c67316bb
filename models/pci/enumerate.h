/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enumerate.h - firmware-like resource assignment for a built, not yet
 * finalized PCI fabric: bus numbers, BAR addresses and bridge windows.
 *
 * The topology loader builds the tree with the builder of pci.h, then calls
 * pci_assign_bus_numbers(), then pci_assign_resources(), then
 * pci_fabric_finalize(). Values the topology gave (bus->number_given,
 * bus->subordinate_given, bar->address_given) are checked, never changed.
 * The rules are written down in docs/topology.md ("Resource assignment").
 */
#ifndef P2PSIM_MODELS_PCI_ENUMERATE_H
#define P2PSIM_MODELS_PCI_ENUMERATE_H

#include "models/pci/pci.h"

/* Bridge windows are 1 MiB granular (the Memory Base/Limit registers). */
#define PCI_WINDOW_ALIGN 0x100000ULL

/* Why assignment failed: a message and the source line it is about (0 if none). */
struct pci_enum_error {
	int line;
	char msg[512];
};

/*
 * Depth-first bus numbering from each host bridge's root bus, as firmware and
 * pci_scan_child_bus() do: devices on a bus in devfn order; the bus numbers
 * that SR-IOV VFs of PFs on a bus spill into are reserved right after that
 * bus (pci_iov_bus_range()); then each bridge gets secondary = next free
 * number and subordinate = the highest number used behind it. Bridges whose
 * secondary bus is given keep it (firmware may number in any order); the
 * others skip their ranges; sibling ranges must not overlap.
 * Also sets dev->index to the position in fab->devs (a temporary index until
 * finalize). Returns 0, -EINVAL (with @err filled) or -ENOMEM.
 */
int pci_assign_bus_numbers(struct pci_fabric *fab, struct pci_enum_error *err);

/*
 * Place every memory BAR (and SR-IOV VF BAR) without an address, naturally
 * aligned, largest first, inside 1 MiB-granular bridge windows inside the host
 * bridge apertures; then compute every bridge's mem_window / pref_window and
 * each BAR's bus address (cpu - bus_offset of its aperture); then check the
 * result: given addresses aligned and inside an aperture of the right kind,
 * no two BARs overlapping, no sibling windows overlapping, every window inside
 * an aperture. Needs bus numbers assigned first.
 * Returns 0, -EINVAL (with @err filled) or -ENOMEM.
 */
int pci_assign_resources(struct pci_fabric *fab, struct pci_enum_error *err);

/*
 * Routing ID of VF @vf_index of @pf: PF routing ID + First VF Offset +
 * vf_index * VF Stride (SR-IOV spec 9.3.3.10). May exceed 0xffff (then the VF
 * cannot exist); valid once the PF's bus number is assigned.
 */
u32 pci_vf_routing_id(const struct pci_dev *pf, unsigned int vf_index);

/* "16 GiB", "512 KiB", "3 MiB", "100 bytes": the largest unit that divides @size_bytes. */
const char *pci_format_size(u64 size_bytes, char *buf, size_t len);

#endif /* P2PSIM_MODELS_PCI_ENUMERATE_H */
