/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Follows drivers/pci/p2pdma.c + include/linux/pci-p2pdma.h @ PCI tree cd2698d76c31.
 *
 * p2pdma.h - PCI peer-to-peer DMA support (drivers/pci/p2pdma.c and
 * include/linux/pci-p2pdma.h of the PCI tree at cd2698d76c31, after
 * v7.3-rc1; see reference/p2pdma.md).
 *
 * What the kernel keeps in struct pci_dev (pdev->p2pdma) and reads from
 * config space (ACS Control) lives here in a struct p2pdma_ctx: one view of
 * a fabric with its own ACS Control values, CPU identity, kernel profile,
 * per-device P2PDMA state (provider BARs, pool, the map_types cache) and a
 * seeded random source. The fabric itself is never written, so several
 * contexts ("what if ACS were off", "what if the CPU were AMD") can look at
 * one loaded topology side by side.
 *
 * The functions keep the kernel's names and order of steps; each takes the
 * context as its first argument. Log lines the kernel would print with
 * pci_warn()/pci_info() go to the context's sink, never to stderr.
 */
#ifndef P2PSIM_SRC_PCI_P2PDMA_H
#define P2PSIM_SRC_PCI_P2PDMA_H

#include "models/cpu/cpu.h"
#include "models/pci/pci.h"
#include "src/kernel_profile.h"

enum pci_p2pdma_map_type {
	PCI_P2PDMA_MAP_UNKNOWN = 0,       /* not computed yet (an empty cache slot) */
	PCI_P2PDMA_MAP_NONE,              /* not a P2PDMA page (pci_p2pdma_state only) */
	PCI_P2PDMA_MAP_NOT_SUPPORTED,     /* needs the host bridge, which is not allowed */
	PCI_P2PDMA_MAP_BUS_ADDR,          /* common upstream bridge, no ACS redirect */
	PCI_P2PDMA_MAP_THRU_HOST_BRIDGE,  /* through an allowed host bridge */
};

const char *pci_p2pdma_map_type_name(enum pci_p2pdma_map_type map);

/* One memory BAR usable for P2P: bus address = CPU address + bus_offset. */
struct p2pdma_provider {
	const struct pci_dev *owner;
	u64 bus_offset; /* pci_bus_address() - pci_resource_start(), wrapping */
};

/* The one-entry memo callers zero once per mapping call. */
struct pci_p2pdma_map_state {
	struct p2pdma_provider *mem;
	enum pci_p2pdma_map_type map;
};

/*
 * The xarray map_types stand-in: open addressing on the unsigned long key
 * map_types_idx(); a zero value is an empty slot, which decodes to
 * PCI_P2PDMA_MAP_UNKNOWN exactly like an absent xarray entry.
 */
struct p2pdma_map_cache {
	unsigned long *keys;
	u8 *vals;
	size_t cap; /* power of two, or 0 */
	size_t nr;
};

/* A ZONE_DEVICE range made P2P memory by pci_p2pdma_add_resource(). */
struct p2pdma_pagemap {
	int bar;
	phys_addr_t start; /* CPU physical */
	u64 size_bytes;
};

/* The context's index of every P2PDMA page range, sorted by start (page->pgmap). */
struct p2pdma_pgmap_ref {
	phys_addr_t start;
	u64 size_bytes;
	struct p2pdma_provider *mem;
};

/* struct pci_p2pdma: pdev->p2pdma */
struct pci_p2pdma {
	bool pool;              /* gen_pool created (pci_p2pdma_add_resource) */
	u64 pool_size_bytes;
	bool p2pmem_published;
	struct p2pdma_map_cache map_types;
	struct p2pdma_provider mem[PCI_NUM_BARS];
	struct p2pdma_pagemap *pgmaps;
	size_t nr_pgmaps;
};

/* Where the kernel's pci_warn()/pci_info() lines go: @line is the whole
 * dev_printk line ("pci 0000:04:00.0: ..."), @dev the device it is printed on
 * (NULL for a non-PCI client). */
typedef void (*p2pdma_log_fn)(void *arg, const struct pci_dev *dev, const char *line);

/* --- observing a decision ------------------------------------------------ */

/* Chains are at most 256 buses deep; both sides together bound the checks. */
#define P2PDMA_WALK_MAX 520

/* One ACS Control value pci_bridge_has_acs_redir() looked at. */
struct p2pdma_acs_check {
	const struct pci_dev *dev;
	bool provider_side; /* outer (provider) loop, else the client-side walk */
	bool has_acs;       /* pdev->acs_cap != 0 */
	u16 ctrl;           /* ACS Control as read */
	bool redirect;      /* ctrl & (RR|CR|EC) */
};

/* One __host_bridge_whitelist() evaluation. */
struct p2pdma_hb_check {
	const struct pci_host_bridge *host;
	const struct pci_dev *root;  /* pci_host_bridge_dev(), NULL if refused */
	const struct pci_dev *first; /* head of the root bus list (NULL when empty) */
	const struct pci_p2pdma_whitelist_entry *entry; /* first match, NULL if none */
	bool same_host_bridge;
	bool allowed;
	bool warned;                 /* printed "Host bridge not in P2PDMA whitelist" */
};

/*
 * Everything calc_map_type_and_dist() did, when the caller asks for it
 * (ctx->walk != NULL). Used by explanations; the hot path leaves it NULL.
 */
struct p2pdma_walk {
	const struct pci_dev *provider, *client;
	const struct pci_dev *common; /* common upstream bridge, NULL if none */
	int dist_a, dist_b;           /* hops provider->common, client->common (or depths) */
	struct p2pdma_acs_check checks[P2PDMA_WALK_MAX];
	int nr_checks;
	int acs_cnt;
	bool fallback;                /* went to the host-bridge fallback */
	bool cpu_supports;            /* cpu_supports_p2pdma() (only meaningful on fallback) */
	struct p2pdma_hb_check hb[2];
	int nr_hb;
	bool warnflag;                /* the warn argument host_bridge_whitelist() got */
	char acs_list[4097];          /* the disable_acs_redir list as it would be printed */
	bool acs_list_overflow;       /* the seq_buf overflowed (see reference §4.5) */
	enum pci_p2pdma_map_type map;
	int dist;
};

/* --- the context --------------------------------------------------------- */

struct p2pdma_ctx {
	const struct pci_fabric *fabric;
	const struct kernel_profile *profile;
	struct cpu_desc cpu;            /* cpu_data(0) */
	u16 *acs_ctrl;                  /* per fabric->devs[] index: ACS Control as config space holds it */
	int *up;                        /* per index: index of pci_upstream_bridge(), -1 for none */
	/* per host bridge: the first allowlist row matching pci_host_bridge_dev(), NULL if none
	 * (the table scan of __host_bridge_whitelist(), done once: the profile is fixed for the
	 * life of the context) */
	const struct pci_p2pdma_whitelist_entry **hb_entry;
	struct pci_p2pdma **p2pdma;     /* per index: pdev->p2pdma, NULL until pcim_p2pdma_init() */
	u64 rng_state;                  /* get_random_u32_below() */
	p2pdma_log_fn log;
	void *log_arg;
	struct p2pdma_walk *walk;       /* when set, calc_map_type_and_dist() records into it */
	struct p2pdma_pgmap_ref *pgmap_index; /* every add_resource() range, sorted by start */
	size_t nr_pgmap_index;
	/* pci_p2pdma_state() calls that missed the caller's memo and looked up the map type */
	u64 nr_map_type_lookups;
};

/*
 * Set up @ctx over a finalized @fabric: ACS Control values copied from the
 * fabric, no P2PDMA state, RNG seeded with @seed. Returns 0 or -ENOMEM.
 */
int p2pdma_ctx_init(struct p2pdma_ctx *ctx, const struct pci_fabric *fabric,
		    const struct cpu_desc *cpu, const struct kernel_profile *profile, u64 seed);
void p2pdma_ctx_destroy(struct p2pdma_ctx *ctx);

/* Change the ACS Control register of @dev in this view (a config write). */
void p2pdma_ctx_set_acs_ctrl(struct p2pdma_ctx *ctx, const struct pci_dev *dev, u16 ctrl);
u16 p2pdma_ctx_acs_ctrl(const struct p2pdma_ctx *ctx, const struct pci_dev *dev);

/* --- helpers of the decision (exposed for explanations and tests) -------- */

/* cpu_supports_p2pdma(): x86 AMD family >= 0x17. */
bool cpu_supports_p2pdma(const struct p2pdma_ctx *ctx);

/* pci_host_bridge_dev(): the first root-bus function if at 00.0 or a root port. */
const struct pci_dev *pci_host_bridge_dev(const struct p2pdma_ctx *ctx,
					  const struct pci_host_bridge *host);

/* pci_bridge_has_acs_redir(): ACS cap present and RR|CR|EC set in Control. */
bool pci_bridge_has_acs_redir(const struct p2pdma_ctx *ctx, const struct pci_dev *pdev);

/*
 * map_types_idx(): the cache key, computed as the kernel does: the shift is
 * done in int and the result sign-extended into unsigned long, so domains
 * >= 0x8000 give "negative" keys and domains >= 0x10000 lose their top bits
 * (and may collide with domain-0 keys).
 */
unsigned long map_types_idx(const struct pci_dev *client);

/* --- the decision and the public entry points ---------------------------- */

/*
 * calc_map_type_and_dist(): BUS_ADDR, THRU_HOST_BRIDGE or NOT_SUPPORTED for
 * @provider's memory as seen by @client; *@dist is written on every path.
 * Stores the result in the provider's cache when it has P2PDMA state.
 */
enum pci_p2pdma_map_type calc_map_type_and_dist(struct p2pdma_ctx *ctx,
						const struct pci_dev *provider,
						const struct pci_dev *client, int *dist,
						bool verbose);

/*
 * pci_p2pdma_distance_many(): the summed distance, or -1 when any client is
 * NOT_SUPPORTED or @num_clients is 0. A NULL entry in @clients stands for a
 * non-PCI device with no PCI ancestor (find_parent_pci_dev() fails).
 */
int pci_p2pdma_distance_many(struct p2pdma_ctx *ctx, const struct pci_dev *provider,
			     const struct pci_dev *const *clients, int num_clients, bool verbose);

static inline int pci_p2pdma_distance(struct p2pdma_ctx *ctx, const struct pci_dev *provider,
				      const struct pci_dev *client, bool verbose)
{
	return pci_p2pdma_distance_many(ctx, provider, &client, 1, verbose);
}

/* pcim_p2pdma_init(): create @pdev's P2PDMA state and per-BAR providers. 0 or -ENOMEM. */
int pcim_p2pdma_init(struct p2pdma_ctx *ctx, const struct pci_dev *pdev);

/*
 * Size @pdev's map_types cache for @nr_clients entries up front (p2psim only:
 * the xarray grows as needed; this saves rehashing in all-pairs loops).
 * 0, or -ENOMEM (the cache then simply grows later).
 */
int p2pdma_ctx_reserve_cache(struct p2pdma_ctx *ctx, const struct pci_dev *pdev,
			     size_t nr_clients);

/* pci_p2pdma_release(): what unbinding the provider's driver does (drops the cache). */
void pci_p2pdma_release(struct p2pdma_ctx *ctx, const struct pci_dev *pdev);

/* pcim_p2pdma_provider(): the provider of memory BAR @bar, or NULL. */
struct p2pdma_provider *pcim_p2pdma_provider(struct p2pdma_ctx *ctx, const struct pci_dev *pdev,
					     int bar);

/*
 * pci_p2pdma_add_resource(): publishable p2pmem over [offset, offset+size)
 * of BAR @bar (size 0: to the end). 0, -EINVAL, -EBUSY (the range already
 * is P2P memory, as devm_memremap_pages() refuses) or -ENOMEM.
 */
int pci_p2pdma_add_resource(struct p2pdma_ctx *ctx, const struct pci_dev *pdev, int bar,
			    u64 size, u64 offset);

/* pci_p2pmem_publish() */
void pci_p2pmem_publish(struct p2pdma_ctx *ctx, const struct pci_dev *pdev, bool publish);

/* pci_has_p2pmem(): state, published (and, in the primary version, a pool). */
bool pci_has_p2pmem(const struct p2pdma_ctx *ctx, const struct pci_dev *pdev);

/*
 * pci_p2pmem_find_many(): the published provider closest to all @clients
 * (a random one among ties, from the context's seeded source); NULL if none.
 */
const struct pci_dev *pci_p2pmem_find_many(struct p2pdma_ctx *ctx,
					   const struct pci_dev *const *clients, int num_clients);

static inline const struct pci_dev *pci_p2pmem_find(struct p2pdma_ctx *ctx,
						    const struct pci_dev *client)
{
	return pci_p2pmem_find_many(ctx, &client, 1);
}

/*
 * pci_p2pdma_map_type(): the cached verdict for @provider's device and
 * @client, computed (verbose) on a miss. NULL @client is a non-PCI device.
 */
enum pci_p2pdma_map_type pci_p2pdma_map_type(struct p2pdma_ctx *ctx,
					     struct p2pdma_provider *provider,
					     const struct pci_dev *client);

/*
 * pci_p2pdma_state(): for a page (named by its CPU physical address @page)
 * inside P2P memory, update the memo and return its map type; otherwise
 * PCI_P2PDMA_MAP_NONE with @state untouched. Callers pass dev->pdev.
 */
enum pci_p2pdma_map_type pci_p2pdma_state(struct p2pdma_ctx *ctx,
					  struct pci_p2pdma_map_state *state,
					  const struct pci_dev *client, phys_addr_t page);

/* pci_p2pdma_bus_addr_map(): the bus address the client is programmed with. */
static inline dma_addr_t pci_p2pdma_bus_addr_map(const struct p2pdma_provider *provider,
						 phys_addr_t paddr)
{
	return paddr + provider->bus_offset;
}

/* get_random_u32_below() from the context's seeded source. */
u32 p2pdma_random_u32_below(struct p2pdma_ctx *ctx, u32 ceil);

#endif /* P2PSIM_SRC_PCI_P2PDMA_H */
