/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2p_internal.h - the what-if view behind p2psim/p2p.h, shared by the
 * files of sim/p2p/ (view.c, matrix.c, path.c, dot.c). Not for tools/.
 */
#ifndef P2PSIM_SIM_P2P_INTERNAL_H
#define P2PSIM_SIM_P2P_INTERNAL_H

#include "models/topology.h"
#include "p2psim/p2p.h"
#include "src/pci/p2pdma.h"

struct p2psim_p2p {
	const struct topology *topo;
	enum p2psim_acs_mode acs;
	struct p2pdma_ctx ctx; /* ACS values, CPU, profile, provider state, RNG */
};

/* One pair's verdict in the shape the outputs need. */
struct p2p_pair {
	enum pci_p2pdma_map_type map;
	int dist;
};

/* Path classes in the nvidia-smi topo -m / NCCL vocabulary. */
enum p2p_path_class {
	P2P_CLASS_X,    /* same function */
	P2P_CLASS_PIX,  /* at most one PCIe bridge (one switch, or one root port) */
	P2P_CLASS_PXB,  /* several bridges, below the host bridge */
	P2P_CLASS_PHB,  /* through one host bridge */
	P2P_CLASS_NODE, /* between host bridges of one NUMA node */
	P2P_CLASS_SYS,  /* between NUMA nodes */
};

const char *p2p_path_class_name(enum p2p_path_class cls);
enum p2p_path_class p2p_path_class(const struct pci_dev *provider, const struct pci_dev *client);

/* The common upstream bridge of two functions (kernel chains), or NULL. */
const struct pci_dev *p2p_common_upstream(const struct pci_dev *a, const struct pci_dev *b);

/* Resolve an id or BDF, or set @err (P2PSIM_EINPUT, "no function 'x' in TOPO"). */
const struct pci_dev *p2p_lookup(const struct p2psim_p2p *view, const char *id_or_bdf,
				 struct p2psim_error *err);

/* The CPU named by --cpu, or -EINVAL. */
int p2p_parse_cpu(const char *name, struct cpu_desc *out);

/* "intel family 0x6" */
void p2p_cpu_describe(const struct cpu_desc *cpu, char *buf, size_t len);

/* The first p2pmem memory BAR, else the first memory BAR, else -1. */
int p2p_provider_bar(const struct pci_dev *dev);

/* "SV RR CR UF" for an ACS Control value ("-" when 0). */
void p2p_acs_bits(u16 ctrl, char *buf, size_t len);

/*
 * Compute the verdicts of every provider x client pair (row-major into
 * @pairs, nr_providers * nr_clients entries) without logging. Each
 * provider gets transient P2PDMA state for its row, so the map_types cache
 * is exercised as the kernel would fill it. Returns 0 or -ENOMEM.
 */
int p2p_matrix_compute(struct p2psim_p2p *view, const struct pci_dev *const *providers,
		       size_t nr_providers, const struct pci_dev *const *clients,
		       size_t nr_clients, struct p2p_pair *pairs);

#endif /* P2PSIM_SIM_P2P_INTERNAL_H */
