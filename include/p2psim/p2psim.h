/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2psim/p2psim.h - the public API of libp2psim, all of it.
 *
 * p2psim simulates the Linux DMA / IOMMU / PCI peer-to-peer path on a
 * machine described in XML. See docs/ for the user documentation and
 * docs/architecture.md for how the library is put together.
 */
#ifndef P2PSIM_P2PSIM_H
#define P2PSIM_P2PSIM_H

#include "p2psim/bench.h"
#include "p2psim/error.h"
#include "p2psim/fuzz.h"
#include "p2psim/run.h"
#include "p2psim/p2p.h"
#include "p2psim/topology.h"
#include "p2psim/world.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "0.1.0" */
const char *p2psim_version(void);

/* Directory holding the shipped topologies and the schema (topologies/). */
const char *p2psim_data_dir(void);

#ifdef __cplusplus
}
#endif
#endif /* P2PSIM_P2PSIM_H */
