// SPDX-License-Identifier: GPL-2.0-only
/*
 * api.c - the public look-up side of a loaded topology (p2psim/topology.h).
 *
 * p2psim_topology is struct topology and p2psim_function is struct pci_dev:
 * the public names are opaque views of the model types.
 */
#include <stdlib.h>

#include "models/topology.h"
#include "p2psim/topology.h"
#include "sim/topology/topology_internal.h"

const char *iommu_type_name(enum iommu_type type)
{
	switch (type) {
	case IOMMU_TYPE_INTEL_VTD:
		return "intel-vtd";
	case IOMMU_TYPE_AMD_VI:
		return "amd-vi";
	case IOMMU_TYPE_ARM_SMMUV3:
		return "arm-smmuv3";
	case IOMMU_TYPE_GENERIC:
		return "generic";
	}
	return "?";
}

const char *iommu_mode_name(enum iommu_mode mode)
{
	switch (mode) {
	case IOMMU_MODE_STRICT:
		return "strict";
	case IOMMU_MODE_LAZY:
		return "lazy";
	case IOMMU_MODE_PASSTHROUGH:
		return "passthrough";
	case IOMMU_MODE_OFF:
		return "off";
	}
	return "?";
}

void topology_free(struct topology *topo)
{
	if (!topo)
		return;
	free(topo->name);
	free(topo->source);
	free(topo->ram);
	for (size_t i = 0; i < topo->nr_iommus; i++)
		free(topo->iommus[i].id);
	free(topo->iommus);
	pci_fabric_free(topo->fabric);
	free(topo);
}

void p2psim_topology_free(p2psim_topology *topo)
{
	topology_free(topology_from_public_mut(topo));
}

const char *p2psim_topology_name(const p2psim_topology *topo)
{
	return topology_from_public(topo)->name;
}

size_t p2psim_topology_function_count(const p2psim_topology *topo)
{
	return topology_from_public(topo)->fabric->nr_devs;
}

size_t p2psim_topology_hostbridge_count(const p2psim_topology *topo)
{
	return topology_from_public(topo)->fabric->nr_hosts;
}

const p2psim_function *p2psim_topology_function(const p2psim_topology *topo, size_t index)
{
	const struct pci_fabric *fab = topology_from_public(topo)->fabric;

	return index < fab->nr_devs ? function_to_public(fab->devs[index]) : NULL;
}

const p2psim_function *p2psim_topology_find(const p2psim_topology *topo, const char *id_or_bdf)
{
	const struct pci_dev *dev = pci_fabric_find(topology_from_public(topo)->fabric, id_or_bdf);

	return dev ? function_to_public(dev) : NULL;
}

const char *p2psim_function_id(const p2psim_function *fn)
{
	return function_from_public(fn)->id;
}

const char *p2psim_function_bdf(const p2psim_function *fn)
{
	return function_from_public(fn)->name;
}

const char *p2psim_function_kind(const p2psim_function *fn)
{
	return pci_dev_type_name(function_from_public(fn)->type);
}

int p2psim_function_is_vf(const p2psim_function *fn)
{
	return function_from_public(fn)->is_virtfn;
}

int p2psim_function_is_dma_capable(const p2psim_function *fn)
{
	return pci_is_dma_capable(function_from_public(fn));
}

int p2psim_function_has_p2pmem(const p2psim_function *fn)
{
	const struct pci_dev *dev = function_from_public(fn);

	for (int i = 0; i < PCI_NUM_BARS; i++)
		if (dev->bars[i].kind != PCI_BAR_NONE && dev->bars[i].p2pmem)
			return 1;
	return 0;
}
