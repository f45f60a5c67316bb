// SPDX-License-Identifier: GPL-2.0-only
/*
 * Follows drivers/pci/p2pdma.c @ PCI tree cd2698d76c31 (post-v7.3-rc1).
 *
 * p2pdma.c - the kernel's PCI peer-to-peer DMA decision and provider state,
 * in userspace (reference/p2pdma.md is the specification followed).
 *
 * Owns: struct p2pdma_ctx (the view of a fabric the kernel code reads: ACS
 * Control registers, CPU identity, kernel profile, per-device struct
 * pci_p2pdma with its map_types cache and per-BAR providers, the seeded
 * random source) and the algorithm: calc_map_type_and_dist(),
 * host_bridge_whitelist(), pci_p2pdma_distance_many(),
 * pci_p2pmem_find_many(), pci_p2pdma_map_type(), pci_p2pdma_state().
 *
 * Differences from the kernel, all deliberate:
 *  - every function takes the context first (the kernel reaches the same
 *    facts through globals and struct pci_dev);
 *  - pci_upstream_bridge() is precomputed per device at context set-up and
 *    the nested walk runs on device indexes, one load per step (the walk
 *    itself, its order and its comparisons are unchanged);
 *  - the allowlist row matching each host bridge's device is looked up once
 *    at set-up (the first match decides, as in the kernel's scan);
 *  - ACS Control values live in the context (a what-if view); reading the
 *    Control word before the capability flag gives the same answer;
 *  - the ACS redirect list is collected as device pointers and formatted into
 *    a seq_buf of the profile's size only when it is printed or observed;
 *    the upstream one-byte-past-the-end NUL write on overflow is reported
 *    (walk->acs_list_overflow), not performed;
 *  - there is no genpool / ZONE_DEVICE memory: add_resource records the
 *    range (in a sorted index standing in for page->pgmap) and marks the
 *    pool present.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/pci/p2pdma.h"

#define PCI_ACS_REDIR_MASK (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC)

/* PAGE_SIZE / sizeof(struct pci_dev *) on 4 KiB pages, 64-bit. */
#define P2PMEM_FIND_MAX_DEVS 512

const char *pci_p2pdma_map_type_name(enum pci_p2pdma_map_type map)
{
	switch (map) {
	case PCI_P2PDMA_MAP_UNKNOWN:
		return "UNKNOWN";
	case PCI_P2PDMA_MAP_NONE:
		return "NONE";
	case PCI_P2PDMA_MAP_NOT_SUPPORTED:
		return "NOT_SUPPORTED";
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return "BUS_ADDR";
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		return "THRU_HOST_BRIDGE";
	}
	return "?";
}

/* --- the context --------------------------------------------------------- */

/*
 * The hot walk works on device indexes (fabric->devs[] positions): the chain
 * of pci_upstream_bridge() answers is a small int array built at set-up, so a
 * step is one load from it instead of two from large, scattered pci_dev
 * structures. Index equality is pointer equality.
 */
static int whitelist_lookup(const struct p2pdma_ctx *ctx, const struct pci_dev *root,
			    const struct pci_p2pdma_whitelist_entry **out);

int p2pdma_ctx_init(struct p2pdma_ctx *ctx, const struct pci_fabric *fabric,
		    const struct cpu_desc *cpu, const struct kernel_profile *profile, u64 seed)
{
	size_t n = fabric->nr_devs;

	memset(ctx, 0, sizeof(*ctx));
	ctx->fabric = fabric;
	ctx->profile = profile ? profile : kernel_profile_default();
	ctx->cpu = *cpu;
	ctx->rng_state = seed;
	ctx->acs_ctrl = malloc((n ? n : 1) * sizeof(*ctx->acs_ctrl));
	if (!ctx->acs_ctrl)
		goto err;
	ctx->up = malloc((n ? n : 1) * sizeof(*ctx->up));
	if (!ctx->up)
		goto err_free_acs;
	ctx->p2pdma = calloc(n ? n : 1, sizeof(*ctx->p2pdma));
	if (!ctx->p2pdma)
		goto err_free_up;
	ctx->hb_entry = calloc(fabric->nr_hosts ? fabric->nr_hosts : 1, sizeof(*ctx->hb_entry));
	if (!ctx->hb_entry)
		goto err_free_p2pdma;
	for (size_t i = 0; i < n; i++) {
		const struct pci_dev *dev = fabric->devs[i];
		const struct pci_dev *up = pci_upstream_bridge(dev);

		ctx->acs_ctrl[i] = dev->acs_ctrl;
		ctx->up[i] = up ? (int)up->index : -1;
	}
	for (size_t h = 0; h < fabric->nr_hosts; h++) {
		const struct pci_dev *root = pci_host_bridge_dev(ctx, fabric->hosts[h]);

		if (root)
			whitelist_lookup(ctx, root, &ctx->hb_entry[h]);
	}
	return 0;

err_free_p2pdma:
	free(ctx->p2pdma);
	ctx->p2pdma = NULL;
err_free_up:
	free(ctx->up);
	ctx->up = NULL;
err_free_acs:
	free(ctx->acs_ctrl);
	ctx->acs_ctrl = NULL;
err:
	return -ENOMEM;
}

static void p2pdma_state_free(struct pci_p2pdma *p2p)
{
	if (!p2p)
		return;
	free(p2p->map_types.keys);
	free(p2p->map_types.vals);
	free(p2p->pgmaps);
	free(p2p);
}

void p2pdma_ctx_destroy(struct p2pdma_ctx *ctx)
{
	if (ctx->p2pdma)
		for (size_t i = 0; i < ctx->fabric->nr_devs; i++)
			p2pdma_state_free(ctx->p2pdma[i]);
	free(ctx->p2pdma);
	free(ctx->pgmap_index);
	ctx->pgmap_index = NULL;
	ctx->nr_pgmap_index = 0;
	free(ctx->hb_entry);
	ctx->hb_entry = NULL;
	free(ctx->up);
	free(ctx->acs_ctrl);
	ctx->p2pdma = NULL;
	ctx->up = NULL;
	ctx->acs_ctrl = NULL;
}

void p2pdma_ctx_set_acs_ctrl(struct p2pdma_ctx *ctx, const struct pci_dev *dev, u16 ctrl)
{
	ctx->acs_ctrl[dev->index] = ctrl;
}

u16 p2pdma_ctx_acs_ctrl(const struct p2pdma_ctx *ctx, const struct pci_dev *dev)
{
	return ctx->acs_ctrl[dev->index];
}

/* splitmix64: small, seeded, and the same on every machine. */
u32 p2pdma_random_u32_below(struct p2pdma_ctx *ctx, u32 ceil)
{
	u64 z = (ctx->rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return ceil ? (u32)(((z >> 32) * (u64)ceil) >> 32) : 0;
}

/* pci_warn()/pci_info(): "pci DDDD:BB:DD.F: message" to the context's sink. */
static void p2pdma_log(const struct p2pdma_ctx *ctx, const struct pci_dev *dev, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));

static void p2pdma_log(const struct p2pdma_ctx *ctx, const struct pci_dev *dev, const char *fmt,
		       ...)
{
	char line[4352];
	va_list ap;
	int n;

	if (!ctx->log)
		return;
	n = snprintf(line, sizeof(line), "pci %s: ", dev ? dev->name : "(non-PCI device)");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	ctx->log(ctx->log_arg, dev, line);
}

/* --- the map_types cache (xarray stand-in) -------------------------------- */

static size_t cache_hash(unsigned long key, size_t mask)
{
	u64 h = (u64)key * 0x9e3779b97f4a7c15ull;

	return (size_t)(h ^ (h >> 29)) & mask;
}

static enum pci_p2pdma_map_type cache_load(const struct p2pdma_map_cache *c, unsigned long key)
{
	size_t mask, i;

	if (!c->cap)
		return PCI_P2PDMA_MAP_UNKNOWN;
	mask = c->cap - 1;
	for (i = cache_hash(key, mask); c->vals[i]; i = (i + 1) & mask)
		if (c->keys[i] == key)
			return (enum pci_p2pdma_map_type)c->vals[i];
	return PCI_P2PDMA_MAP_UNKNOWN;
}

static int cache_grow(struct p2pdma_map_cache *c, size_t want)
{
	size_t cap = 16, mask;
	unsigned long *keys;
	u8 *vals;

	while (cap < want * 2)
		cap *= 2;
	keys = malloc(cap * sizeof(*keys));
	vals = calloc(cap, sizeof(*vals));
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	mask = cap - 1;
	for (size_t j = 0; j < c->cap; j++) {
		size_t i;

		if (!c->vals[j])
			continue;
		for (i = cache_hash(c->keys[j], mask); vals[i]; i = (i + 1) & mask)
			;
		keys[i] = c->keys[j];
		vals[i] = c->vals[j];
	}
	free(c->keys);
	free(c->vals);
	c->keys = keys;
	c->vals = vals;
	c->cap = cap;
	return 0;
}

/* xa_store(): overwrite or insert. Like the kernel, a failed store is ignored. */
static int cache_store(struct p2pdma_map_cache *c, unsigned long key, enum pci_p2pdma_map_type map)
{
	size_t mask, i;

	if ((c->nr + 1) * 2 > c->cap && cache_grow(c, c->nr + 1))
		return -ENOMEM;
	mask = c->cap - 1;
	for (i = cache_hash(key, mask); c->vals[i]; i = (i + 1) & mask) {
		if (c->keys[i] == key) {
			c->vals[i] = (u8)map;
			return 0;
		}
	}
	c->keys[i] = key;
	c->vals[i] = (u8)map;
	c->nr++;
	return 0;
}

unsigned long map_types_idx(const struct pci_dev *client)
{
	/* (pci_domain_nr(client->bus) << 16) | pci_dev_id(client), shifted in int */
	u32 raw = ((u32)pci_domain_nr(client) << 16) | pci_dev_id(client);

	return (unsigned long)(long)(int32_t)raw;
}

/* --- the helpers of the decision ------------------------------------------ */

bool cpu_supports_p2pdma(const struct p2pdma_ctx *ctx)
{
	/* x86 only: AMD Zen and later. Hygon (family 0x18) and Intel are not. */
	return ctx->cpu.vendor == CPU_VENDOR_AMD && ctx->cpu.family >= 0x17;
}

const struct pci_dev *pci_host_bridge_dev(const struct p2pdma_ctx *ctx,
					  const struct pci_host_bridge *host)
{
	const struct pci_dev *root = pci_host_bridge_first_dev(host);

	if (!root)
		return NULL;
	if (root->devfn == PCI_DEVFN(0, 0))
		return root;
	if (ctx->profile->p2pdma_host_bridge_root_port && root->type == PCI_TYPE_ROOT_PORT)
		return root;
	return NULL;
}

bool pci_bridge_has_acs_redir(const struct p2pdma_ctx *ctx, const struct pci_dev *pdev)
{
	if (!pdev->has_acs)
		return false;
	return ctx->acs_ctrl[pdev->index] & PCI_ACS_REDIR_MASK;
}

/* pci_bridge_has_acs_redir() by index: the Control register first, the capability only if needed. */
static inline bool has_acs_redir_idx(const struct p2pdma_ctx *ctx, int idx)
{
	return (ctx->acs_ctrl[idx] & PCI_ACS_REDIR_MASK) && ctx->fabric->devs[idx]->has_acs;
}

static bool whitelist_entry_matches(const struct p2pdma_ctx *ctx,
				    const struct pci_p2pdma_whitelist_entry *entry,
				    const struct pci_dev *root)
{
	if (root->vendor != entry->vendor)
		return false;
	if (entry->device == root->device)
		return true;
	/* Before the wildcard patch the field was an unsigned short: exact match only. */
	return ctx->profile->p2pdma_whitelist_any_id && entry->device == PCI_ANY_ID;
}

/* Scan the profile's table in order for @root; the row number, or 0 and *@out NULL. */
static int whitelist_lookup(const struct p2pdma_ctx *ctx, const struct pci_dev *root,
			    const struct pci_p2pdma_whitelist_entry **out)
{
	const struct pci_p2pdma_whitelist_entry *const *entry;

	for (entry = ctx->profile->p2pdma_whitelist; *entry; entry++) {
		if (whitelist_entry_matches(ctx, *entry, root)) {
			*out = *entry;
			return (int)p2pdma_whitelist_row_number(*entry);
		}
	}
	*out = NULL;
	return 0;
}

static bool __host_bridge_whitelist(const struct p2pdma_ctx *ctx,
				    const struct pci_host_bridge *host, bool same_host_bridge,
				    bool warn)
{
	const struct pci_dev *root = pci_host_bridge_dev(ctx, host);
	const struct pci_p2pdma_whitelist_entry *entry;
	struct p2pdma_hb_check *check = NULL;

	if (ctx->walk && ctx->walk->nr_hb < 2) {
		check = &ctx->walk->hb[ctx->walk->nr_hb++];
		memset(check, 0, sizeof(*check));
		check->host = host;
		check->root = root;
		check->first = pci_host_bridge_first_dev(host);
		check->same_host_bridge = same_host_bridge;
	}
	if (!root)
		return false;

	/* the first matching row decides (looked up once, at set-up) */
	entry = ctx->hb_entry[host->index];
	if (entry) {
		if (check)
			check->entry = entry;
		if ((entry->flags & REQ_SAME_HOST_BRIDGE) && !same_host_bridge)
			return false;
		if (check)
			check->allowed = true;
		return true;
	}

	if (warn) {
		p2pdma_log(ctx, root, "Host bridge not in P2PDMA whitelist: %04x:%04x",
			   root->vendor, root->device);
		if (check)
			check->warned = true;
	}
	return false;
}

/* If the devices sit below different host bridges, both must be allowed. */
static bool host_bridge_whitelist(const struct p2pdma_ctx *ctx, const struct pci_dev *a,
				  const struct pci_dev *b, bool warn)
{
	const struct pci_host_bridge *host_a = a->host;
	const struct pci_host_bridge *host_b = b->host;

	if (host_a == host_b)
		return __host_bridge_whitelist(ctx, host_a, true, warn);

	if (__host_bridge_whitelist(ctx, host_a, false, warn) &&
	    __host_bridge_whitelist(ctx, host_b, false, warn))
		return true;

	return false;
}

/* --- calc_map_type_and_dist() --------------------------------------------- */

static void walk_note_acs(struct p2pdma_walk *walk, const struct p2pdma_ctx *ctx,
			  const struct pci_dev *dev, bool provider_side, bool redirect)
{
	struct p2pdma_acs_check *check;

	if (walk->nr_checks >= P2PDMA_WALK_MAX)
		return;
	check = &walk->checks[walk->nr_checks++];
	check->dev = dev;
	check->provider_side = provider_side;
	check->has_acs = dev->has_acs;
	check->ctrl = ctx->acs_ctrl[dev->index];
	check->redirect = redirect;
}

/*
 * The "%s;" seq_buf of the disable_acs_redir hint, with the profile's buffer
 * size: names are appended while they fit; on overflow the partial name
 * vsnprintf() left stays and nothing more is added. Without overflow the
 * trailing ';' is dropped, as both the upstream and the fixed code do.
 */
static bool format_acs_list(char *out, size_t size, const struct pci_dev *const *devs, int n)
{
	size_t len = 0;
	bool overflow = false;

	out[0] = '\0';
	for (int i = 0; i < n && !overflow; i++) {
		int w = snprintf(out + len, size - len, "%s;", devs[i]->name);

		if (len + (size_t)w < size)
			len += (size_t)w;
		else
			overflow = true;
	}
	if (!overflow && len)
		out[len - 1] = '\0';
	return overflow;
}

enum pci_p2pdma_map_type calc_map_type_and_dist(struct p2pdma_ctx *ctx,
						const struct pci_dev *provider,
						const struct pci_dev *client, int *dist,
						bool verbose)
{
	enum pci_p2pdma_map_type map_type = PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
	struct pci_dev *const *devs = ctx->fabric->devs;
	const struct pci_dev *acs_devs[P2PDMA_WALK_MAX];
	struct p2pdma_walk *walk = ctx->walk;
	const int *up = ctx->up;
	const int client_idx = (int)client->index;
	int a = (int)provider->index, bb;
	bool acs_redirects = false;
	struct pci_p2pdma *p2pdma;
	int acs_cnt = 0;
	int dist_a = 0;
	int dist_b = 0;
	bool warn;

	if (walk) {
		walk->provider = provider;
		walk->client = client;
		walk->common = NULL;
		walk->nr_checks = 0;
		walk->nr_hb = 0;
		walk->fallback = false;
		walk->cpu_supports = false;
		walk->warnflag = false;
		walk->acs_list[0] = '\0';
		walk->acs_list_overflow = false;
	}

	/*
	 * The outer loop walks up from the provider; for each of its
	 * ancestors the inner loop looks for it in the client's chain. The
	 * verdict and distance do not depend on the direction: below a common
	 * bridge both chains are checked (the bridge once), only the order of
	 * the ACS list changes; without one, only the provider's chain is
	 * counted (and ignored) and the provider's host bridge is asked first.
	 */
	while (a >= 0) {
		bool redir = has_acs_redir_idx(ctx, a);

		dist_b = 0;
		if (redir) {
			if (acs_cnt < P2PDMA_WALK_MAX)
				acs_devs[acs_cnt] = devs[a];
			acs_cnt++;
		}
		if (walk)
			walk_note_acs(walk, ctx, devs[a], true, redir);

		bb = client_idx;
		while (bb >= 0) {
			if (a == bb)
				goto check_b_path_acs;
			bb = up[bb];
			dist_b++;
		}

		a = up[a];
		dist_a++;
	}

	*dist = dist_a + dist_b;
	goto map_through_host_bridge;

check_b_path_acs:
	bb = client_idx;

	while (bb >= 0) {
		bool redir;

		if (a == bb)
			break;
		redir = has_acs_redir_idx(ctx, bb);
		if (redir) {
			if (acs_cnt < P2PDMA_WALK_MAX)
				acs_devs[acs_cnt] = devs[bb];
			acs_cnt++;
		}
		if (walk)
			walk_note_acs(walk, ctx, devs[bb], false, redir);
		bb = up[bb];
	}

	*dist = dist_a + dist_b;
	if (walk)
		walk->common = devs[a];

	if (!acs_cnt) {
		map_type = PCI_P2PDMA_MAP_BUS_ADDR;
		goto done;
	}

	if (verbose && ctx->log) {
		char list[4097];
		size_t size = ctx->profile->p2pdma_acs_list_size;
		int nr = acs_cnt < P2PDMA_WALK_MAX ? acs_cnt : P2PDMA_WALK_MAX;

		if (size > sizeof(list))
			size = sizeof(list);
		format_acs_list(list, size, acs_devs, nr);
		p2pdma_log(ctx, client, "ACS redirect is set between the client and provider (%s)",
			   provider->name);
		/* Don't drop the fallback path: it may still be allowed through the host bridge. */
		p2pdma_log(ctx, client,
			   "to disable ACS redirect for this path, add the kernel parameter: "
			   "pci=disable_acs_redir=%s",
			   list);
	}
	acs_redirects = true;

map_through_host_bridge:
	switch (ctx->profile->p2pdma_warnflag) {
	case P2PDMA_WARN_ACS_REDIRECTS:
		warn = acs_redirects;
		break;
	case P2PDMA_WARN_VERBOSE:
		warn = verbose;
		break;
	default:
		warn = false;
		break;
	}
	if (walk) {
		walk->fallback = true;
		walk->cpu_supports = cpu_supports_p2pdma(ctx);
		walk->warnflag = warn;
	}
	if (!cpu_supports_p2pdma(ctx) && !host_bridge_whitelist(ctx, provider, client, warn)) {
		if (verbose)
			p2pdma_log(
				ctx, client,
				"cannot be used for peer-to-peer DMA as the client and provider "
				"(%s) do not share an upstream bridge or whitelisted host bridge",
				provider->name);
		map_type = PCI_P2PDMA_MAP_NOT_SUPPORTED;
	}
done:
	p2pdma = ctx->p2pdma[provider->index];
	if (p2pdma)
		cache_store(&p2pdma->map_types, map_types_idx(client), map_type);
	if (walk) {
		size_t size = ctx->profile->p2pdma_acs_list_size;
		int nr = acs_cnt < P2PDMA_WALK_MAX ? acs_cnt : P2PDMA_WALK_MAX;

		if (size > sizeof(walk->acs_list))
			size = sizeof(walk->acs_list);
		walk->acs_cnt = acs_cnt;
		walk->acs_list_overflow = format_acs_list(walk->acs_list, size, acs_devs, nr);
		walk->dist_a = dist_a;
		walk->dist_b = dist_b;
		walk->map = map_type;
		walk->dist = *dist;
	}
	return map_type;
}

/* --- the entry points ----------------------------------------------------- */

int pci_p2pdma_distance_many(struct p2pdma_ctx *ctx, const struct pci_dev *provider,
			     const struct pci_dev *const *clients, int num_clients, bool verbose)
{
	enum pci_p2pdma_map_type map;
	bool not_supported = false;
	const struct pci_dev *pci_client;
	int total_dist = 0;
	int i, distance;

	if (num_clients == 0)
		return -1;

	for (i = 0; i < num_clients; i++) {
		/* find_parent_pci_dev(): NULL stands for "no PCI ancestor" */
		pci_client = clients[i];
		if (!pci_client) {
			if (verbose)
				p2pdma_log(ctx, NULL,
					   "cannot be used for peer-to-peer DMA as it is not a PCI "
					   "device");
			return -1;
		}

		map = calc_map_type_and_dist(ctx, provider, pci_client, &distance, verbose);
		if (map == PCI_P2PDMA_MAP_NOT_SUPPORTED)
			not_supported = true;

		if (not_supported && !verbose)
			break;

		total_dist += distance;
	}

	if (not_supported)
		return -1;

	return total_dist;
}

/* Position of the last range starting at or below @addr, or -1. */
static long pgmap_index_find(const struct p2pdma_ctx *ctx, phys_addr_t addr)
{
	size_t lo = 0, hi = ctx->nr_pgmap_index;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ctx->pgmap_index[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

int pcim_p2pdma_init(struct p2pdma_ctx *ctx, const struct pci_dev *pdev)
{
	struct pci_p2pdma *p2p;

	if (ctx->p2pdma[pdev->index])
		return 0;

	p2p = calloc(1, sizeof(*p2p));
	if (!p2p)
		return -ENOMEM;

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *bar = &pdev->bars[i];

		if (bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64)
			continue;
		p2p->mem[i].owner = pdev;
		/* pci_bus_address() - pci_resource_start(), in u64: may wrap */
		p2p->mem[i].bus_offset = bar->bus_addr - bar->cpu_addr;
	}
	ctx->p2pdma[pdev->index] = p2p;
	return 0;
}

int p2pdma_ctx_reserve_cache(struct p2pdma_ctx *ctx, const struct pci_dev *pdev,
			     size_t nr_clients)
{
	struct pci_p2pdma *p2p = ctx->p2pdma[pdev->index];

	if (!p2p || p2p->map_types.cap >= 2 * nr_clients)
		return 0;
	return cache_grow(&p2p->map_types, nr_clients);
}

void pci_p2pdma_release(struct p2pdma_ctx *ctx, const struct pci_dev *pdev)
{
	struct pci_p2pdma *p2p = ctx->p2pdma[pdev->index];

	if (!p2p)
		return;
	ctx->p2pdma[pdev->index] = NULL;
	/* the pgmaps go with the binding: drop their index entries */
	for (size_t i = 0; i < ctx->nr_pgmap_index;) {
		if (ctx->pgmap_index[i].mem->owner == pdev) {
			memmove(&ctx->pgmap_index[i], &ctx->pgmap_index[i + 1],
				(ctx->nr_pgmap_index - i - 1) * sizeof(*ctx->pgmap_index));
			ctx->nr_pgmap_index--;
		} else {
			i++;
		}
	}
	/* xa_destroy(): the only invalidation of the map_types cache */
	p2pdma_state_free(p2p);
}

struct p2pdma_provider *pcim_p2pdma_provider(struct p2pdma_ctx *ctx, const struct pci_dev *pdev,
					     int bar)
{
	struct pci_p2pdma *p2p;

	if (bar < 0 || bar >= PCI_NUM_BARS)
		return NULL;
	if (pdev->bars[bar].kind != PCI_BAR_MEM32 && pdev->bars[bar].kind != PCI_BAR_MEM64)
		return NULL;
	p2p = ctx->p2pdma[pdev->index];
	if (!p2p) /* WARN_ON: pcim_p2pdma_init() was never called */
		return NULL;
	return &p2p->mem[bar];
}

int pci_p2pdma_add_resource(struct p2pdma_ctx *ctx, const struct pci_dev *pdev, int bar, u64 size,
			    u64 offset)
{
	struct p2pdma_pgmap_ref *index;
	struct p2pdma_pagemap *pgmaps;
	struct pci_p2pdma *p2p;
	phys_addr_t start;
	u64 len;
	long pos;
	int error;

	if (bar < 0 || bar >= PCI_NUM_BARS)
		return -EINVAL;
	if (pdev->bars[bar].kind != PCI_BAR_MEM32 && pdev->bars[bar].kind != PCI_BAR_MEM64)
		return -EINVAL;

	len = pdev->bars[bar].size_bytes;
	if (offset >= len)
		return -EINVAL;
	if (!size)
		size = len - offset;
	if (size > len || offset > len - size)
		return -EINVAL;

	start = pdev->bars[bar].cpu_addr + offset;
	pos = pgmap_index_find(ctx, start + size - 1);
	if (pos >= 0 && start - ctx->pgmap_index[pos].start < ctx->pgmap_index[pos].size_bytes)
		return -EBUSY;
	if (pos >= 0 && ctx->pgmap_index[pos].start >= start)
		return -EBUSY;

	error = pcim_p2pdma_init(ctx, pdev);
	if (error)
		return error;
	p2p = ctx->p2pdma[pdev->index];

	index = realloc(ctx->pgmap_index, (ctx->nr_pgmap_index + 1) * sizeof(*index));
	if (!index)
		return -ENOMEM;
	ctx->pgmap_index = index;
	pgmaps = realloc(p2p->pgmaps, (p2p->nr_pgmaps + 1) * sizeof(*pgmaps));
	if (!pgmaps)
		return -ENOMEM;
	p2p->pgmaps = pgmaps;
	memmove(&index[pos + 2], &index[pos + 1],
		(ctx->nr_pgmap_index - (size_t)(pos + 1)) * sizeof(*index));
	index[pos + 1] = (struct p2pdma_pgmap_ref){
		.start = start,
		.size_bytes = size,
		.mem = &p2p->mem[bar],
	};
	ctx->nr_pgmap_index++;
	pgmaps[p2p->nr_pgmaps++] = (struct p2pdma_pagemap){
		.bar = bar,
		.start = pdev->bars[bar].cpu_addr + offset,
		.size_bytes = size,
	};
	p2p->pool = true;
	p2p->pool_size_bytes += size;

	p2pdma_log(ctx, pdev, "added peer-to-peer DMA memory %#llx-%#llx",
		   (unsigned long long)(pdev->bars[bar].cpu_addr + offset),
		   (unsigned long long)(pdev->bars[bar].cpu_addr + offset + size - 1));
	return 0;
}

void pci_p2pmem_publish(struct p2pdma_ctx *ctx, const struct pci_dev *pdev, bool publish)
{
	struct pci_p2pdma *p2p = ctx->p2pdma[pdev->index];

	if (p2p)
		p2p->p2pmem_published = publish;
}

bool pci_has_p2pmem(const struct p2pdma_ctx *ctx, const struct pci_dev *pdev)
{
	const struct pci_p2pdma *p2p = ctx->p2pdma[pdev->index];

	if (!p2p)
		return false;
	if (ctx->profile->p2pdma_find_needs_pool && !p2p->pool)
		return false;
	return p2p->p2pmem_published;
}

const struct pci_dev *pci_p2pmem_find_many(struct p2pdma_ctx *ctx,
					   const struct pci_dev *const *clients, int num_clients)
{
	const struct pci_dev **closest_pdevs;
	const struct pci_dev *pdev = NULL;
	int distance;
	int closest_distance = INT_MAX;
	int dev_cnt = 0;
	const int max_devs = P2PMEM_FIND_MAX_DEVS;

	closest_pdevs = malloc(max_devs * sizeof(*closest_pdevs));
	if (!closest_pdevs)
		return NULL;

	/* for_each_pci_dev(): the global device list, in scan order */
	for (size_t i = 0; i < ctx->fabric->nr_devs; i++) {
		const struct pci_dev *cand = ctx->fabric->devs[i];

		if (!pci_has_p2pmem(ctx, cand))
			continue;

		distance = pci_p2pdma_distance_many(ctx, cand, clients, num_clients, false);
		if (distance < 0 || distance > closest_distance)
			continue;

		if (distance == closest_distance && dev_cnt >= max_devs)
			continue;

		if (distance < closest_distance) {
			dev_cnt = 0;
			closest_distance = distance;
		}

		closest_pdevs[dev_cnt++] = cand;
	}

	if (dev_cnt)
		pdev = closest_pdevs[p2pdma_random_u32_below(ctx, (u32)dev_cnt)];

	free(closest_pdevs);
	return pdev;
}

enum pci_p2pdma_map_type pci_p2pdma_map_type(struct p2pdma_ctx *ctx,
					     struct p2pdma_provider *provider,
					     const struct pci_dev *client)
{
	enum pci_p2pdma_map_type type;
	const struct pci_dev *pdev = provider->owner;
	struct pci_p2pdma *p2pdma;
	int dist;

	p2pdma = ctx->p2pdma[pdev->index];
	if (!p2pdma)
		return PCI_P2PDMA_MAP_NOT_SUPPORTED;

	if (!client) /* !dev_is_pci(dev) */
		return PCI_P2PDMA_MAP_NOT_SUPPORTED;

	type = cache_load(&p2pdma->map_types, map_types_idx(client));
	if (type == PCI_P2PDMA_MAP_UNKNOWN)
		return calc_map_type_and_dist(ctx, pdev, client, &dist, true);

	return type;
}

/* is_pci_p2pdma_page() + page->pgmap: which provider owns this page? */
static struct p2pdma_provider *p2pdma_page_provider(struct p2pdma_ctx *ctx, phys_addr_t page)
{
	long i = pgmap_index_find(ctx, page);
	const struct p2pdma_pgmap_ref *ref;

	if (i < 0)
		return NULL;
	ref = &ctx->pgmap_index[i];
	return page - ref->start < ref->size_bytes ? ref->mem : NULL;
}

enum pci_p2pdma_map_type pci_p2pdma_state(struct p2pdma_ctx *ctx,
					  struct pci_p2pdma_map_state *state,
					  const struct pci_dev *client, phys_addr_t page)
{
	struct p2pdma_provider *mem = p2pdma_page_provider(ctx, page);

	if (!mem)
		return PCI_P2PDMA_MAP_NONE;

	/* __pci_p2pdma_update_state(): a one-entry memo keyed on the provider */
	if (state->mem != mem) {
		ctx->nr_map_type_lookups++;
		state->mem = mem;
		state->map = pci_p2pdma_map_type(ctx, mem, client);
	}
	return state->map;
}
