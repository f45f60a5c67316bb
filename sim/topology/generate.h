/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * generate.h - synthetic topologies for benchmarks and tests.
 *
 * The machine is regular and always valid: host bridges, each in its own PCI
 * domain with its own IOMMU and explicit apertures, each with a root-bus
 * function at 00.0 and root ports; each root port leads to one switch whose
 * downstream ports hold one endpoint each. Every endpoint has BAR 0 (mem32,
 * 16 KiB) and BAR 2 (mem64 prefetchable, 32 MiB); every p2pmem_every-th
 * endpoint (counting from the first) offers BAR 2 as P2P memory and is a GPU
 * (class 0x030200), the others are NVMe drives (class 0x010802).
 *
 * Ids: host bridges "hbH", IOMMUs "iommuH", root-bus functions "hbH.host",
 * root ports "rpH_R", switches "swH_R", ports "swH_R.up" / "swH_R.dnP",
 * endpoints "epN" with N = 0 .. endpoints-1 in depth-first order (so ep0 and
 * ep1 share a switch when endpoints_per_switch > 1).
 *
 * The text is deterministic: the same options give the same bytes.
 */
#ifndef P2PSIM_SIM_TOPOLOGY_GENERATE_H
#define P2PSIM_SIM_TOPOLOGY_GENERATE_H

#include <stdbool.h>
#include <stddef.h>

struct topology_gen_opts {
	unsigned int endpoints; /* exactly this many <endpoint>s (>= 1) */
	unsigned int endpoints_per_switch; /* 1..32 downstream ports per switch */
	/* root ports (= switches) per host bridge; 0: as many as 255 bus numbers allow */
	unsigned int root_ports_per_host;
	unsigned int p2pmem_every; /* 0: no endpoint offers P2P memory */
	bool acs; /* acs-ctrl RR|CR|UF|SV on root and downstream ports */
	const char *iommu_mode; /* "strict", "lazy", ... ; NULL: lazy */
};

/*
 * The XML text of the topology @opts describes (NUL-terminated, malloc'ed;
 * the caller frees it), its length in *@len when @len is not NULL.
 * Returns NULL on allocation failure or nonsensical options (endpoints 0,
 * endpoints_per_switch 0 or > 32).
 */
char *topology_generate(const struct topology_gen_opts *opts, size_t *len);

/*
 * Convenience: about @n_functions_target functions in total (ports, root-bus
 * functions and endpoints counted; at least one endpoint), with
 * @endpoints_per_switch endpoints per switch, every 4th endpoint offering
 * p2pmem, ACS on. For an exact endpoint count use topology_generate().
 */
char *topology_generate_xml(unsigned int n_functions_target, unsigned int endpoints_per_switch,
			    size_t *len);

#endif /* P2PSIM_SIM_TOPOLOGY_GENERATE_H */
