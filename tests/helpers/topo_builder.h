/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * topo_builder.h - build small topologies in C for tests (no XML): RAM
 * ranges, IOMMU descriptions, host bridges with apertures, root ports and
 * endpoints with BARs, through the fabric builder of models/pci/pci.h.
 *
 * Every function aborts the test process on allocation failure: tests want
 * a topology, not error handling. tb_finalize() freezes the fabric; free the
 * result with topology_free().
 */
#ifndef P2PSIM_TESTS_HELPERS_TOPO_BUILDER_H
#define P2PSIM_TESTS_HELPERS_TOPO_BUILDER_H

#include "models/topology.h"

#define TB_4G 0x100000000ULL

struct topology *tb_new(const char *name);
void tb_add_ram(struct topology *t, phys_addr_t base, u64 size_bytes);
/* Returns the IOMMU's index. 4 KiB|2 MiB|1 GiB pages, 64-entry 4-way IOTLB, FQ 256/10 ms. */
int tb_add_iommu(struct topology *t, const char *id, enum iommu_type type, enum iommu_mode mode);
/* A host bridge with root bus @bus_nr; @iommu_index -1 for none. */
struct pci_host_bridge *tb_add_host(struct topology *t, const char *id, u8 bus_nr,
				    int iommu_index);
void tb_add_aperture(struct pci_host_bridge *host, enum pci_aperture_kind kind, phys_addr_t base,
		     u64 size_bytes, u64 bus_offset);
/* A root port at @devfn on @host's root bus with subordinate bus @sub_nr. */
struct pci_dev *tb_add_root_port(struct topology *t, struct pci_host_bridge *host, const char *id,
				 u8 devfn, u8 sub_nr);
/* An endpoint on @bus (an RCiEP when @bus is a root bus). */
struct pci_dev *tb_add_endpoint(struct topology *t, struct pci_bus *bus, const char *id, u8 devfn,
				unsigned int dma_mask_bits);
/* A memory BAR at CPU address @cpu_addr (bus address = cpu - host aperture offset). */
void tb_add_bar(struct pci_dev *dev, int bar, enum pci_bar_kind kind, phys_addr_t cpu_addr,
		u64 size_bytes, bool p2pmem);
/* pci_fabric_finalize(); aborts on failure. Returns @t. */
struct topology *tb_finalize(struct topology *t);

/*
 * The standard test machine:
 *   RAM [0, 2 GiB) and [4 GiB, 8 GiB)
 *   iommu0 (intel, @mode) translating for hb0; hb1 has no IOMMU
 *   hb0 (bus 0): apertures MEM32 0xc0000000+256M, MEM64 0x4000000000+2T
 *     rp0 00:01.0 -> bus 1: nvme0 01:00.0 (64-bit mask, BAR0 16K @0xc0000000)
 *     rp1 00:02.0 -> bus 2: gpu0 02:00.0 (64-bit, BAR0 16M @0xc1000000,
 *                            BAR2 1 TiB p2pmem @0x10000000000)
 *     ext0 00:03.0 RCiEP, untrusted, 64-bit
 *   hb1 (bus 0x80): MEM32 0xe0000000+256M
 *     rp2 80:01.0 -> bus 0x81: nic0 81:00.0 (32-bit mask, BAR0 64K @0xe0000000)
 */
struct topology *tb_standard(enum iommu_mode mode);

struct device;
struct machine;

/*
 * Fill @dev for function @id of @topo in machine @m (coherent, the function's
 * untrusted flag, a @dma_mask_bits mask - 0 for the function's own dma-mask)
 * and probe it into the IOMMU unit translating for it in @mode, as
 * iommu_probe_device_dma() does. Aborts the test if the function is missing
 * or the probe fails. Release with iommu_release_device_dma().
 */
struct device *tb_probe_iommu_device(struct device *dev, struct machine *m,
				     const struct topology *topo, const char *id,
				     enum iommu_mode mode, unsigned int dma_mask_bits);

#endif /* P2PSIM_TESTS_HELPERS_TOPO_BUILDER_H */
