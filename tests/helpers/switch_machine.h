/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * switch_machine.h - a hand-built machine with a PCIe switch, two host
 * bridges and an IOMMU, for the device-DMA routing and checker suites
 * (tests/models/test_route.c, tests/sim/test_check_*.c):
 *
 *   RAM [0, 2 GiB)
 *   hb0 (bus 00, iommu0 intel @mode): MEM32 0xc0000000+256M, MEM64 0x4000000000+1T, offset 0
 *     rp0 00:01.0 -> usp 01:00.0 -> dsp0 02:00.0 -> a 03:00.0 (BAR0 1M @SM_A_BAR)
 *                                                  a.vf0 03:00.2 (VF of a, no BAR)
 *                                                  a1 03:00.1 (BAR0 1M @SM_A1_BAR)
 *                                -> dsp1 02:01.0 -> b 04:00.0 (BAR0 1M @SM_B_BAR)
 *     rp1 00:02.0 -> c 05:00.0 (BAR0 1M @SM_C_BAR)
 *   hb1 (bus 80, no IOMMU): MEM32 cpu 0xe0000000+256M, bus = cpu - 0x80000000
 *     rp2 80:01.0 -> d 81:00.0 (BAR0 64K @cpu SM_D_CPU, bus SM_D_BUS)
 *     rp3 80:02.0 -> e 82:00.0 (BAR0 64K @cpu SM_E_CPU, bus SM_E_BUS)
 * Bridge windows (bus addresses) are the prefetchable windows covering the
 * BARs below; no ACS anywhere; neither host bridge forwards P2P. Tests flip
 * ACS Control, p2p_forwarding and memory_decode as they need.
 */
#ifndef P2PSIM_TESTS_HELPERS_SWITCH_MACHINE_H
#define P2PSIM_TESTS_HELPERS_SWITCH_MACHINE_H

#include "models/machine.h"
#include "models/pci/route.h"

#define SM_A_BAR 0x4000000000ULL
#define SM_A1_BAR 0x4000100000ULL
#define SM_B_BAR 0x4000200000ULL
#define SM_C_BAR 0x4000400000ULL
#define SM_D_CPU 0xe0000000ULL
#define SM_D_BUS 0x60000000ULL
#define SM_E_CPU 0xe0100000ULL
#define SM_E_BUS 0x60100000ULL

struct switch_machine {
	struct topology *topo;
	struct machine *m;
	struct pci_router *router;
	struct pci_host_bridge *hb0, *hb1;
	struct pci_dev *rp0, *usp, *dsp0, *dsp1, *rp1, *rp2, *rp3;
	struct pci_dev *a, *a1, *b, *c, *d, *e, *a_vf0;
};

/* Build it (aborts on failure). */
void sm_init(struct switch_machine *sm, enum iommu_mode mode);
void sm_fini(struct switch_machine *sm);

#endif /* P2PSIM_TESTS_HELPERS_SWITCH_MACHINE_H */
