/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * topology.h - the whole machine description once loaded: CPU identity, RAM,
 * IOMMU descriptions and the PCI fabric. Public handle: p2psim_topology.
 *
 * The loader (sim/topology/) builds it; everything else reads it.
 */
#ifndef P2PSIM_MODELS_TOPOLOGY_H
#define P2PSIM_MODELS_TOPOLOGY_H

#include "models/cpu/cpu.h"
#include "models/pci/pci.h"

struct ram_range {
	phys_addr_t base;
	u64 size_bytes;
	int numa_node; /* -1 when not given */
	int line;
};

enum iommu_type {
	IOMMU_TYPE_INTEL_VTD,
	IOMMU_TYPE_AMD_VI,
	IOMMU_TYPE_ARM_SMMUV3,
	IOMMU_TYPE_GENERIC,
};

/* The default DMA domain policy (iommu.strict / iommu.passthrough / off). */
enum iommu_mode {
	IOMMU_MODE_STRICT,      /* IOMMU_DOMAIN_DMA */
	IOMMU_MODE_LAZY,        /* IOMMU_DOMAIN_DMA_FQ */
	IOMMU_MODE_PASSTHROUGH, /* IOMMU_DOMAIN_IDENTITY */
	IOMMU_MODE_OFF,         /* no translation at all: dma-direct */
};

struct iommu_desc {
	char *id;
	enum iommu_type type;
	u64 pgsize_bitmap;        /* e.g. SZ_4K | SZ_2M | SZ_1G */
	unsigned int iotlb_entries;
	unsigned int iotlb_ways;
	enum iommu_mode mode;
	unsigned int fq_size;     /* flush-queue entries (per CPU), default 256 */
	unsigned int fq_timeout_ms; /* default 10 */
	int line;
};

struct topology {
	char *name;
	char *source;          /* file the topology was loaded from, "" if built in code */
	int version;
	struct cpu_desc cpu;
	struct ram_range *ram;
	size_t nr_ram;
	struct iommu_desc *iommus;
	size_t nr_iommus;
	struct pci_fabric *fabric;
};

void topology_free(struct topology *topo);
const char *iommu_type_name(enum iommu_type type);
const char *iommu_mode_name(enum iommu_mode mode);

#endif /* P2PSIM_MODELS_TOPOLOGY_H */
