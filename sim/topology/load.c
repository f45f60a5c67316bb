// SPDX-License-Identifier: GPL-2.0-only
/*
 * load.c - the topology loader (placeholder until the XML loader lands).
 */
#include "p2psim/topology.h"

int p2psim_topology_load_file(const char *path, p2psim_topology **out, struct p2psim_error *err)
{
	*out = NULL;
	p2psim_error_set(err, P2PSIM_EINTERNAL, path, 0, 0, "topology loader not built yet");
	return P2PSIM_EINTERNAL;
}

int p2psim_topology_load_buffer(const char *buf, size_t len, const char *name,
				p2psim_topology **out, struct p2psim_error *err)
{
	*out = NULL;
	p2psim_error_set(err, P2PSIM_EINTERNAL, name, 0, 0, "topology loader not built yet");
	return P2PSIM_EINTERNAL;
}

int p2psim_topology_print(const p2psim_topology *topo, FILE *out, enum p2psim_format format)
{
	return P2PSIM_EINTERNAL;
}
