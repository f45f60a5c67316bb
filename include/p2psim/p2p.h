/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2psim/p2p.h - peer-to-peer DMA verdicts: what Linux decides for a
 * provider (the device whose BAR memory is the target) and a client (the
 * device that DMAs to it), why, and what would change under other
 * settings. Behind `p2psim matrix`, `p2psim path` and `p2psim dot`.
 *
 * A p2psim_p2p is a "what-if" view of a loaded topology: its own ACS
 * Control values, CPU identity and kernel profile. Creating one never
 * changes the topology; several views of one topology may coexist.
 * See docs/p2p.md for the meaning of every verdict and output format.
 */
#ifndef P2PSIM_P2P_H
#define P2PSIM_P2P_H

#include <stdint.h>
#include <stdio.h>

#include "p2psim/error.h"
#include "p2psim/topology.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct p2psim_p2p p2psim_p2p;

/* Which ACS Control values the view uses. */
enum p2psim_acs_mode {
	P2PSIM_ACS_AS_IS,          /* the values in the topology (firmware, or what was captured) */
	P2PSIM_ACS_IOMMU_DEFAULT,  /* what pci_std_enable_acs() sets with an IOMMU: SV|RR|CR|UF (+TB
				      on untrusted functions), as far as the capability allows */
	P2PSIM_ACS_OFF,            /* RR, CR and EC cleared everywhere (pci=disable_acs_redir=...) */
};

struct p2psim_p2p_opts {
	enum p2psim_acs_mode acs;
	const char *cpu;    /* NULL: the topology's <cpu>; else see p2psim_p2p_new() */
	const char *kernel; /* NULL: "upstream"; else a name from p2psim_kernel_profile_name() */
	uint64_t seed;      /* drives pci_p2pmem_find_many()'s choice among ties */
};

/*
 * Make a view of @topo. @opts may be NULL (as-is, topology CPU, upstream).
 * @opts->cpu is "intel", "amd-zen" (AMD family 0x19), "amd-pre-zen" (0x15),
 * "hygon" (0x18), "arm", "other", or VENDOR:FAMILY such as "amd:0x17".
 * Returns P2PSIM_OK, P2PSIM_EINPUT (unknown CPU or kernel) or P2PSIM_EINTERNAL.
 */
int p2psim_p2p_new(const p2psim_topology *topo, const struct p2psim_p2p_opts *opts,
		   p2psim_p2p **out, struct p2psim_error *err);
void p2psim_p2p_free(p2psim_p2p *view);

/* "as-is", "iommu-default", "off" -> mode. Returns 0, or -1 for an unknown name. */
int p2psim_acs_mode_parse(const char *name, enum p2psim_acs_mode *out);
const char *p2psim_acs_mode_name(enum p2psim_acs_mode mode);

/* The kernel profiles --kernel accepts, in listing order; NULL past the end. */
const char *p2psim_kernel_profile_name(size_t index);
const char *p2psim_kernel_profile_summary(size_t index);

/* One provider/client verdict. */
struct p2psim_verdict {
	const char *map_type;   /* "BUS_ADDR", "THRU_HOST_BRIDGE" or "NOT_SUPPORTED" */
	int distance;           /* what calc_map_type_and_dist() writes (set on every path) */
	int distance_many;      /* pci_p2pdma_distance(): -1 when NOT_SUPPORTED */
	const char *path_class; /* "X" (same function), "PIX", "PXB", "PHB", "NODE", "SYS" */
	int acs_redirects;      /* functions whose RR|CR|EC the kernel counted */
};

/* The kernel's verdict for one pair. Returns P2PSIM_OK or P2PSIM_EINTERNAL. */
int p2psim_p2p_verdict(p2psim_p2p *view, const p2psim_function *provider,
		       const p2psim_function *client, struct p2psim_verdict *out);

struct p2psim_matrix_opts {
	/* ids or BDFs; NULL/0: every function with a p2pmem BAR (providers),
	 * every DMA-capable function, VFs included (clients) */
	const char *const *providers;
	size_t nr_providers;
	const char *const *clients;
	size_t nr_clients;
	enum p2psim_format format; /* TEXT, JSON or CSV */
};

/*
 * Print the verdict for every provider x client pair. Returns P2PSIM_OK,
 * P2PSIM_EINPUT (unknown device, no providers, bad format) or
 * P2PSIM_EINTERNAL.
 */
int p2psim_p2p_matrix(p2psim_p2p *view, const struct p2psim_matrix_opts *opts, FILE *out,
		      struct p2psim_error *err);

/*
 * Explain one verdict: both upstream chains, the common bridge, every ACS
 * value inspected, the CPU / allowlist decision, the map type and distance,
 * the kernel log lines, the DMA address the client is given and the
 * hardware route. @format is P2PSIM_FORMAT_TEXT (prose) or _JSON (the same
 * as data, docs/p2p.md). Returns P2PSIM_OK, P2PSIM_EINPUT or P2PSIM_EINTERNAL.
 */
int p2psim_p2p_path(p2psim_p2p *view, const char *provider, const char *client,
		    enum p2psim_format format, FILE *out, struct p2psim_error *err);

struct p2psim_dot_opts {
	const char *path_provider; /* highlight this pair's path (both or neither) */
	const char *path_client;
	const char *render;        /* "dot" (DOT text, default), "svg", "png" or "pdf" */
};

/*
 * Draw the fabric with Graphviz (cgraph; svg/png/pdf laid out and rendered
 * in-process with gvc). Returns P2PSIM_OK, P2PSIM_EINPUT or P2PSIM_EINTERNAL.
 */
int p2psim_p2p_dot(p2psim_p2p *view, const struct p2psim_dot_opts *opts, FILE *out,
		   struct p2psim_error *err);

#ifdef __cplusplus
}
#endif
#endif /* P2PSIM_P2P_H */
