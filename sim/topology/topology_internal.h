/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * topology_internal.h - conversions between the public opaque handles and the
 * model types, for the library's own use (never included by tools/).
 */
#ifndef P2PSIM_SIM_TOPOLOGY_INTERNAL_H
#define P2PSIM_SIM_TOPOLOGY_INTERNAL_H

#include "models/topology.h"
#include "p2psim/topology.h"

static inline const struct topology *topology_from_public(const p2psim_topology *topo)
{
	return (const struct topology *)(const void *)topo;
}

static inline struct topology *topology_from_public_mut(p2psim_topology *topo)
{
	return (struct topology *)(void *)topo;
}

static inline p2psim_topology *topology_to_public(struct topology *topo)
{
	return (p2psim_topology *)(void *)topo;
}

static inline const struct pci_dev *function_from_public(const p2psim_function *fn)
{
	return (const struct pci_dev *)(const void *)fn;
}

static inline const p2psim_function *function_to_public(const struct pci_dev *dev)
{
	return (const p2psim_function *)(const void *)dev;
}

#endif /* P2PSIM_SIM_TOPOLOGY_INTERNAL_H */
