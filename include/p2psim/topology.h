/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2psim/topology.h - loading a machine description and looking inside it.
 *
 * A topology is an XML file (docs/topology.md) validated against
 * topologies/topology.rng and then checked for meaning (unique ids and BDFs,
 * consistent bus ranges, non-overlapping BARs, ...). Bus numbers and
 * addresses left out of the file are assigned the way firmware does.
 * A loaded topology is immutable; share it freely between worlds.
 */
#ifndef P2PSIM_TOPOLOGY_H
#define P2PSIM_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "p2psim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct p2psim_topology p2psim_topology;
/* One PCI function of a topology: endpoint, RCiEP, VF, port, root-bus function. */
typedef struct p2psim_function p2psim_function;

/* Output formats shared by every command that prints. */
enum p2psim_format {
	P2PSIM_FORMAT_TEXT,
	P2PSIM_FORMAT_JSON,
	P2PSIM_FORMAT_CSV,
	P2PSIM_FORMAT_DOT,
};

/*
 * Load and validate the topology in @path. On success *@out owns the
 * topology (free with p2psim_topology_free). On failure *@out is NULL,
 * nothing is half-built, and @err holds FILE:LINE:COL and a message.
 * Returns P2PSIM_OK, P2PSIM_EINPUT (bad input) or P2PSIM_EINTERNAL.
 */
int p2psim_topology_load_file(const char *path, p2psim_topology **out, struct p2psim_error *err);

/* The same from memory; @name is used as the file name in error messages. */
int p2psim_topology_load_buffer(const char *buf, size_t len, const char *name,
				p2psim_topology **out, struct p2psim_error *err);

void p2psim_topology_free(p2psim_topology *topo);

/* The topology's name attribute. */
const char *p2psim_topology_name(const p2psim_topology *topo);
size_t p2psim_topology_function_count(const p2psim_topology *topo);
size_t p2psim_topology_hostbridge_count(const p2psim_topology *topo);

/* The @index-th function in kernel scan order (VFs last), or NULL past the end. */
const p2psim_function *p2psim_topology_function(const p2psim_topology *topo, size_t index);

/* Look a function up by id ("gpu0") or BDF ("0000:03:00.0" or "03:00.0"). NULL if absent. */
const p2psim_function *p2psim_topology_find(const p2psim_topology *topo, const char *id_or_bdf);

const char *p2psim_function_id(const p2psim_function *fn);
/* "DDDD:BB:DD.F" */
const char *p2psim_function_bdf(const p2psim_function *fn);
/* "endpoint", "rciep", "function", "rootport", "upstream", "downstream" (a VF is an endpoint). */
const char *p2psim_function_kind(const p2psim_function *fn);
int p2psim_function_is_vf(const p2psim_function *fn);
/* Does it issue DMA (endpoint, RCiEP, VF)? */
int p2psim_function_is_dma_capable(const p2psim_function *fn);
/* Does it have a BAR marked p2pmem="yes"? */
int p2psim_function_has_p2pmem(const p2psim_function *fn);

/*
 * Print the resolved tree (P2PSIM_FORMAT_TEXT, in the spirit of `lspci -tv`)
 * or a JSON document (P2PSIM_FORMAT_JSON) describing every host bridge,
 * function, BAR and window. Returns P2PSIM_OK or P2PSIM_EINTERNAL.
 */
int p2psim_topology_print(const p2psim_topology *topo, FILE *out, enum p2psim_format format);

#ifdef __cplusplus
}
#endif
#endif /* P2PSIM_TOPOLOGY_H */
