// SPDX-License-Identifier: GPL-2.0-only
/*
 * route.c - device DMA through the PCI fabric (route.h, DESIGN.md §3).
 *
 * Owns struct pci_router: tables precomputed once from the frozen fabric
 * (each requester's chain of upstream bridges, the memory BARs of every host
 * bridge sorted by bus address) so that routing a TLP allocates nothing and
 * touches only the ports on its way. Run-time registers (ACS Control,
 * Memory Space Enable) are read on every TLP.
 *
 * The walk, per chunk (a chunk never crosses a 4 KiB boundary of the issued
 * address, nor the end of the region it lands in):
 *   route_upstream()  - bridges from the requester up: loop-back into the
 *                       ingress port's own window, sibling downstream port
 *                       windows (ACS RR / EC at the ingress port), else up;
 *   route_root()      - root complex: IOMMU domain or bus->CPU offset, then
 *                       decode RAM / BAR (p2p_forwarding) / Unsupported Request;
 *   route_down()      - from a claiming port down to the completer's BAR.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/iommu/iommu_hw.h"
#include "models/mem/physmem.h"
#include "models/pci/route.h"

#define ROUTE_CHUNK_SIZE 4096ULL

/* A memory BAR as the fabric decodes it: bus addresses, per host bridge. */
struct route_bar {
	size_t host_index;
	pci_bus_addr_t bus_start;
	pci_bus_addr_t bus_end; /* exclusive */
	phys_addr_t cpu_start;
	const struct pci_dev *dev;
	int bar;
};

struct pci_router {
	struct machine *m;
	const struct pci_fabric *fab;
	struct route_bar *bars; /* sorted by (host_index, bus_start) */
	size_t nr_bars;
	bool bars_outside_apertures; /* some BAR lies outside its host bridge's apertures */
	/* chain[chain_start[dev->index] ...]: the bridges above dev, nearest first */
	const struct pci_dev **chain;
	size_t *chain_start;
	size_t *chain_len;
	/*
	 * claim_lo/hi[dev->index]: the smallest range (bus addresses, inclusive)
	 * holding every window or BAR that could claim a request of dev on its
	 * way up (its own BARs, each ancestor's windows, the windows of sibling
	 * downstream ports). Outside it the request goes straight to the root
	 * complex whatever the ACS bits say: the fast path.
	 */
	u64 *claim_lo, *claim_hi;
	size_t nr_devs;
};

/* Per-chunk working state; hops are recorded here and copied out when described. */
struct tlp {
	enum route_status status;
	enum route_target target;
	unsigned int flags;
	phys_addr_t phys;
	u64 avail; /* bytes from phys to the end of the landing region */
	const struct pci_dev *target_dev;
	int target_bar;
	const struct pci_dev *acs_port;
	unsigned int nr_hops;
	struct route_hop hops[ROUTE_MAX_HOPS];
};

/* --- set-up ---------------------------------------------------------------- */

static int cmp_bar(const void *a, const void *b)
{
	const struct route_bar *x = a, *y = b;

	if (x->host_index != y->host_index)
		return x->host_index < y->host_index ? -1 : 1;
	if (x->bus_start != y->bus_start)
		return x->bus_start < y->bus_start ? -1 : 1;
	return 0;
}

static bool bar_is_mem(const struct pci_bar *bar)
{
	return (bar->kind == PCI_BAR_MEM32 || bar->kind == PCI_BAR_MEM64) && bar->size_bytes;
}

static bool in_aperture(const struct pci_host_bridge *host, phys_addr_t cpu)
{
	for (size_t i = 0; i < host->nr_apertures; i++) {
		const struct pci_aperture *ap = &host->apertures[i];

		if (cpu >= ap->cpu_base && cpu - ap->cpu_base < ap->size_bytes)
			return true;
	}
	return false;
}

static void claim_add(u64 *lo, u64 *hi, u64 base, u64 limit)
{
	if (limit < base)
		return;
	if (base < *lo)
		*lo = base;
	if (limit > *hi)
		*hi = limit;
}

static void claim_add_windows(u64 *lo, u64 *hi, const struct pci_dev *port)
{
	claim_add(lo, hi, port->mem_window.base, port->mem_window.limit);
	claim_add(lo, hi, port->pref_window.base, port->pref_window.limit);
}

/* Fill claim_lo/hi for @dev (its chain is already in place). Empty: lo > hi. */
static void claim_range(struct pci_router *r, const struct pci_dev *dev)
{
	size_t start = r->chain_start[dev->index], len = r->chain_len[dev->index];
	u64 lo = ~0ULL, hi = 0;

	for (int b = 0; b < PCI_NUM_BARS; b++)
		if (bar_is_mem(&dev->bars[b]))
			claim_add(&lo, &hi, dev->bars[b].bus_addr,
				  dev->bars[b].bus_addr + dev->bars[b].size_bytes - 1);
	for (size_t i = 0; i < len; i++) {
		const struct pci_dev *port = r->chain[start + i];

		claim_add_windows(&lo, &hi, port);
		if (port->type != PCI_TYPE_DOWNSTREAM)
			continue;
		for (size_t s = 0; s < port->bus->nr_devs; s++)
			if (pci_is_bridge(port->bus->devs[s]))
				claim_add_windows(&lo, &hi, port->bus->devs[s]);
	}
	r->claim_lo[dev->index] = lo;
	r->claim_hi[dev->index] = hi;
}

struct pci_router *pci_router_new(struct machine *m)
{
	const struct pci_fabric *fab = m->topo->fabric;
	struct pci_router *r;
	size_t nr_bars = 0, nr_links = 0, n = 0, k = 0;

	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->m = m;
	r->fab = fab;
	r->nr_devs = fab->nr_devs;
	for (size_t i = 0; i < fab->nr_devs; i++) {
		const struct pci_dev *dev = fab->devs[i];

		for (int b = 0; b < PCI_NUM_BARS; b++)
			if (bar_is_mem(&dev->bars[b]))
				nr_bars++;
		for (const struct pci_dev *up = pci_upstream_bridge(dev); up;
		     up = pci_upstream_bridge(up))
			nr_links++;
	}
	r->bars = calloc(nr_bars ? nr_bars : 1, sizeof(*r->bars));
	r->chain = calloc(nr_links ? nr_links : 1, sizeof(*r->chain));
	r->chain_start = calloc(fab->nr_devs ? fab->nr_devs : 1, sizeof(*r->chain_start));
	r->chain_len = calloc(fab->nr_devs ? fab->nr_devs : 1, sizeof(*r->chain_len));
	r->claim_lo = calloc(fab->nr_devs ? fab->nr_devs : 1, sizeof(*r->claim_lo));
	r->claim_hi = calloc(fab->nr_devs ? fab->nr_devs : 1, sizeof(*r->claim_hi));
	if (!r->bars || !r->chain || !r->chain_start || !r->chain_len || !r->claim_lo ||
	    !r->claim_hi) {
		pci_router_free(r);
		return NULL;
	}
	for (size_t i = 0; i < fab->nr_devs; i++) {
		const struct pci_dev *dev = fab->devs[i];

		for (int b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &dev->bars[b];

			if (!bar_is_mem(bar))
				continue;
			r->bars[n].host_index = dev->host->index;
			r->bars[n].bus_start = bar->bus_addr;
			r->bars[n].bus_end = bar->bus_addr + bar->size_bytes;
			r->bars[n].cpu_start = bar->cpu_addr;
			r->bars[n].dev = dev;
			r->bars[n].bar = b;
			n++;
		}
		r->chain_start[dev->index] = k;
		for (const struct pci_dev *up = pci_upstream_bridge(dev); up;
		     up = pci_upstream_bridge(up))
			r->chain[k++] = up;
		r->chain_len[dev->index] = k - r->chain_start[dev->index];
		claim_range(r, dev);
	}
	r->nr_bars = n;
	qsort(r->bars, n, sizeof(*r->bars), cmp_bar);
	for (size_t i = 0; i < n; i++)
		if (!in_aperture(r->bars[i].dev->host, r->bars[i].cpu_start))
			r->bars_outside_apertures = true;
	return r;
}

void pci_router_free(struct pci_router *r)
{
	if (!r)
		return;
	free(r->bars);
	free(r->chain);
	free(r->chain_start);
	free(r->chain_len);
	free(r->claim_lo);
	free(r->claim_hi);
	free(r);
}

/* --- names ----------------------------------------------------------------- */

const char *route_status_name(enum route_status status)
{
	switch (status) {
	case ROUTE_OK:
		return "ok";
	case ROUTE_IOMMU_FAULT:
		return "iommu-fault";
	case ROUTE_ACS_BLOCKED:
		return "acs-blocked";
	case ROUTE_UNSUPPORTED:
		return "unsupported-request";
	case ROUTE_NO_P2P_FORWARDING:
		return "no-p2p-forwarding";
	case ROUTE_DECODE_OFF:
		return "memory-decode-off";
	}
	return "?";
}

const char *route_hop_kind_name(enum route_hop_kind kind)
{
	switch (kind) {
	case ROUTE_HOP_UP:
		return "up";
	case ROUTE_HOP_ACROSS:
		return "across";
	case ROUTE_HOP_REDIRECT:
		return "acs-redirect";
	case ROUTE_HOP_BLOCKED:
		return "acs-blocked";
	case ROUTE_HOP_ROOT_COMPLEX:
		return "root-complex";
	case ROUTE_HOP_IOMMU:
		return "iommu";
	case ROUTE_HOP_DOWN:
		return "down";
	case ROUTE_HOP_TARGET:
		return "target";
	case ROUTE_HOP_COMPLETION_REDIRECT:
		return "completion-redirect";
	}
	return "?";
}

int route_status_errno(enum route_status status)
{
	switch (status) {
	case ROUTE_OK:
		return 0;
	case ROUTE_IOMMU_FAULT:
		return -EFAULT;
	case ROUTE_ACS_BLOCKED:
		return -EACCES;
	case ROUTE_NO_P2P_FORWARDING:
		return -EHOSTUNREACH;
	case ROUTE_UNSUPPORTED:
	case ROUTE_DECODE_OFF:
		return -ENXIO;
	}
	return -EIO;
}

int route_result_format(const struct route_result *res, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned int i = 0; i < res->nr_hops && i < ROUTE_MAX_HOPS; i++) {
		const struct route_hop *h = &res->hops[i];
		const char *who = h->port ? h->port->id : h->host ? h->host->id : "?";
		int n = snprintf(used < len ? buf + used : NULL, used < len ? len - used : 0,
				 "%s%s[%s]", i ? " -> " : "", who, route_hop_kind_name(h->kind));

		if (n < 0)
			return n;
		used += (size_t)n;
	}
	return (int)used;
}

/* --- the walk -------------------------------------------------------------- */

static inline void hop(struct tlp *t, enum route_hop_kind kind, const struct pci_dev *port,
		       const struct pci_host_bridge *host)
{
	if (t->nr_hops < ROUTE_MAX_HOPS) {
		t->hops[t->nr_hops].kind = kind;
		t->hops[t->nr_hops].port = port;
		t->hops[t->nr_hops].host = host;
		t->nr_hops++;
	}
}

static inline bool window_has(const struct pci_window *w, u64 addr)
{
	return w->limit >= w->base && addr >= w->base && addr <= w->limit;
}

static inline bool port_claims(const struct pci_dev *port, u64 addr)
{
	return window_has(&port->mem_window, addr) || window_has(&port->pref_window, addr);
}

static inline u16 acs_ctrl(const struct pci_dev *port)
{
	return port->has_acs ? port->acs_ctrl : 0;
}

/* The memory BAR of host bridge @host_index holding bus address @addr, or NULL. */
static const struct route_bar *find_bar_bus(const struct pci_router *r, size_t host_index, u64 addr)
{
	size_t lo = 0, hi = r->nr_bars;

	/* last BAR with (host, bus_start) <= (host_index, addr) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct route_bar *b = &r->bars[mid];

		if (b->host_index < host_index ||
		    (b->host_index == host_index && b->bus_start <= addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	if (r->bars[lo - 1].host_index != host_index || addr >= r->bars[lo - 1].bus_end)
		return NULL;
	return &r->bars[lo - 1];
}

/* Is @port an ancestor bridge of @dev? */
static bool below(const struct pci_router *r, const struct pci_dev *dev, const struct pci_dev *port)
{
	size_t start = r->chain_start[dev->index], len = r->chain_len[dev->index];

	for (size_t i = 0; i < len; i++)
		if (r->chain[start + i] == port)
			return true;
	return false;
}

/* Record the bridges from just below @from down to @target, then the target. */
static void hops_down(const struct pci_router *r, struct tlp *t, const struct pci_dev *from,
		      const struct pci_dev *target)
{
	size_t start = r->chain_start[target->index], len = r->chain_len[target->index];
	size_t i = len;

	if (from) {
		for (i = 0; i < len; i++)
			if (r->chain[start + i] == from)
				break;
	}
	/* chain is nearest first: walk it backwards from just below @from */
	while (i-- > 0)
		hop(t, ROUTE_HOP_DOWN, r->chain[start + i], NULL);
	hop(t, ROUTE_HOP_TARGET, target, NULL);
}

/* Land a chunk in BAR @b at bus address @addr (BAR decode checked). */
static void land_bar(struct tlp *t, const struct route_bar *b, u64 addr)
{
	if (!b->dev->memory_decode) {
		t->status = ROUTE_DECODE_OFF;
		t->target_dev = b->dev;
		t->target_bar = b->bar;
		return;
	}
	t->status = ROUTE_OK;
	t->target = ROUTE_TARGET_BAR;
	t->flags |= ROUTE_EVF_BAR;
	t->target_dev = b->dev;
	t->target_bar = b->bar;
	t->phys = b->cpu_start + (addr - b->bus_start);
	t->avail = b->bus_end - addr;
}

/*
 * Route down from @port (which claimed @addr) to the completer. ACS
 * Completion Redirect at the completer's ingress port (@cr_port) sends a read
 * completion through the root complex.
 */
static void route_down(const struct pci_router *r, struct tlp *t, const struct pci_dev *port,
		       u64 addr, bool write, const struct pci_dev *cr_port)
{
	const struct route_bar *b = find_bar_bus(r, port->host->index, addr);

	if (!b || !below(r, b->dev, port)) {
		t->status = ROUTE_UNSUPPORTED;
		return;
	}
	hops_down(r, t, port, b->dev);
	land_bar(t, b, addr);
	if (t->status == ROUTE_OK && !write && (acs_ctrl(cr_port) & PCI_ACS_CR)) {
		t->flags |= ROUTE_EVF_COMPLETION_REDIRECT;
		hop(t, ROUTE_HOP_COMPLETION_REDIRECT, cr_port, NULL);
		hop(t, ROUTE_HOP_ROOT_COMPLEX, NULL, port->host);
	}
}

/*
 * From the requester upwards. Returns true when the chunk was settled in
 * the fabric (delivered peer-to-peer, blocked or unclaimed), false when it
 * reached the root complex.
 */
static bool route_upstream(const struct pci_router *r, struct tlp *t, const struct pci_dev *req,
			   u64 addr, bool write)
{
	size_t start = r->chain_start[req->index], len = r->chain_len[req->index];
	bool redirected = false;

	for (size_t i = 0; i < len; i++) {
		const struct pci_dev *port = r->chain[start + i];
		const struct pci_dev *claim = NULL;

		if (!redirected) {
			if (port_claims(port, addr)) {
				/* loop back: another function below the same port */
				claim = port;
			} else if (port->type == PCI_TYPE_DOWNSTREAM) {
				const struct pci_bus *bus = port->bus;

				for (size_t s = 0; s < bus->nr_devs; s++) {
					const struct pci_dev *sib = bus->devs[s];

					if (sib != port && pci_is_bridge(sib) &&
					    port_claims(sib, addr)) {
						claim = sib;
						break;
					}
				}
			}
		}
		if (claim) {
			u16 ctrl = acs_ctrl(port);

			if (ctrl & PCI_ACS_RR) {
				hop(t, ROUTE_HOP_REDIRECT, port, NULL);
				t->flags |= ROUTE_EVF_ACS_REDIRECT;
				t->acs_port = port;
				redirected = true;
				continue;
			}
			if (ctrl & PCI_ACS_EC) {
				hop(t, ROUTE_HOP_BLOCKED, port, NULL);
				t->acs_port = port;
				t->status = ROUTE_ACS_BLOCKED;
				return true;
			}
			hop(t, ROUTE_HOP_ACROSS, port, NULL);
			if (claim != port)
				hop(t, ROUTE_HOP_DOWN, claim, NULL);
			t->flags |= ROUTE_EVF_P2P_SWITCH;
			route_down(r, t, claim, addr, write, claim);
			return true;
		}
		hop(t, ROUTE_HOP_UP, port, NULL);
	}
	return false;
}

/* Host bridge window offset: bus address -> CPU address (untranslated requests). */
static phys_addr_t bus_to_cpu(const struct pci_host_bridge *host, u64 addr)
{
	for (size_t i = 0; i < host->nr_apertures; i++) {
		const struct pci_aperture *ap = &host->apertures[i];
		u64 bus_base = ap->cpu_base - ap->bus_offset;

		if (addr >= bus_base && addr - bus_base < ap->size_bytes)
			return addr + ap->bus_offset;
	}
	return addr;
}

/* The memory BAR holding CPU address @phys, via the bus table of its host bridge. */
static const struct route_bar *find_bar_cpu(const struct pci_router *r, phys_addr_t phys)
{
	const struct pci_fabric *fab = r->fab;

	for (size_t h = 0; h < fab->nr_hosts; h++) {
		const struct pci_host_bridge *host = fab->hosts[h];

		for (size_t i = 0; i < host->nr_apertures; i++) {
			const struct pci_aperture *ap = &host->apertures[i];

			if (phys >= ap->cpu_base && phys - ap->cpu_base < ap->size_bytes) {
				const struct route_bar *b =
					find_bar_bus(r, h, phys - ap->bus_offset);

				if (b)
					return b;
			}
		}
	}
	/* BARs outside every aperture (hand-built fabrics): linear scan */
	for (size_t i = 0; r->bars_outside_apertures && i < r->nr_bars; i++) {
		const struct route_bar *b = &r->bars[i];

		if (phys >= b->cpu_start && phys - b->cpu_start < b->bus_end - b->bus_start)
			return &r->bars[i];
	}
	return NULL;
}

/* Is [phys, ...) RAM? Sets *avail to the bytes left in that RAM range. */
static bool ram_at(const struct machine *m, phys_addr_t phys, u64 *avail)
{
	const struct topology *topo = m->topo;

	for (size_t i = 0; i < topo->nr_ram; i++) {
		const struct ram_range *ram = &topo->ram[i];

		if (phys >= ram->base && phys - ram->base < ram->size_bytes) {
			*avail = ram->size_bytes - (phys - ram->base);
			return true;
		}
	}
	return false;
}

/*
 * Root complex: translate (or offset), then decode. @domain NULL: untranslated.
 * @dry: no translation side effects (pci_route_path): identity at the IOMMU.
 */
static void route_root(struct pci_router *r, struct tlp *t, const struct pci_dev *req,
		       struct iommu_domain *domain, u64 addr, bool write, bool dry)
{
	const struct pci_host_bridge *host = req->host;
	const struct route_bar *b;
	phys_addr_t phys;

	t->flags |= ROUTE_EVF_ROOT_COMPLEX;
	hop(t, ROUTE_HOP_ROOT_COMPLEX, NULL, host);
	if (dry) {
		if (host->iommu_index >= 0)
			t->flags |= ROUTE_EVF_TRANSLATED;
		phys = bus_to_cpu(host, addr);
	} else if (domain) {
		hop(t, ROUTE_HOP_IOMMU, NULL, host);
		t->flags |= ROUTE_EVF_TRANSLATED;
		if (iommu_hw_translate(domain->hw, domain, req, addr, write, &phys)) {
			t->status = ROUTE_IOMMU_FAULT;
			return;
		}
		/* passthrough: the untranslated bus address meets the window offset */
		if (domain->type == IOMMU_DOMAIN_IDENTITY)
			phys = bus_to_cpu(host, phys);
	} else {
		phys = bus_to_cpu(host, addr);
	}
	t->phys = phys;
	if (ram_at(r->m, phys, &t->avail)) {
		t->status = ROUTE_OK;
		t->target = ROUTE_TARGET_RAM;
		return;
	}
	b = find_bar_cpu(r, phys);
	if (!b) {
		t->status = ROUTE_UNSUPPORTED;
		return;
	}
	/* root-complex peer-to-peer: every host bridge on the way must forward it */
	t->flags |= ROUTE_EVF_BAR;
	t->target_dev = b->dev;
	t->target_bar = b->bar;
	if (!host->p2p_forwarding || !b->dev->host->p2p_forwarding) {
		t->status = ROUTE_NO_P2P_FORWARDING;
		return;
	}
	if (b->dev->host != host)
		hop(t, ROUTE_HOP_ROOT_COMPLEX, NULL, b->dev->host);
	hops_down(r, t, NULL, b->dev);
	t->flags |= ROUTE_EVF_RC_P2P;
	land_bar(t, b, b->bus_start + (phys - b->cpu_start));
}

/* Route one chunk; fills @t. */
static void route_chunk(struct pci_router *r, struct tlp *t, const struct pci_dev *req,
			struct iommu_domain *domain, u64 addr, bool write, bool dry)
{
	t->status = ROUTE_UNSUPPORTED;
	t->target = ROUTE_TARGET_NONE;
	t->flags = write ? ROUTE_EVF_WRITE : 0;
	t->phys = 0;
	t->avail = ~0ULL;
	t->target_dev = NULL;
	t->target_bar = -1;
	t->acs_port = NULL;
	t->nr_hops = 0;

	if (addr < r->claim_lo[req->index] || addr > r->claim_hi[req->index]) {
		/* nothing on the way up can claim it: straight to the root complex */
		size_t start = r->chain_start[req->index], len = r->chain_len[req->index];

		for (size_t i = 0; i < len; i++)
			hop(t, ROUTE_HOP_UP, r->chain[start + i], NULL);
		route_root(r, t, req, domain, addr, write, dry);
		return;
	}
	/* a function's own BAR: served inside the device, never on the link */
	for (int b = 0; b < PCI_NUM_BARS; b++) {
		const struct pci_bar *bar = &req->bars[b];

		if (bar_is_mem(bar) && addr >= bar->bus_addr &&
		    addr - bar->bus_addr < bar->size_bytes) {
			const struct route_bar *rb = find_bar_bus(r, req->host->index, addr);

			if (rb && rb->dev == req) {
				hop(t, ROUTE_HOP_TARGET, req, NULL);
				land_bar(t, rb, addr);
				return;
			}
		}
	}
	if (route_upstream(r, t, req, addr, write))
		return;
	route_root(r, t, req, domain, addr, write, dry);
}

static void describe(struct route_result *out, const struct tlp *t)
{
	out->status = t->status;
	out->target = t->target;
	out->flags = t->flags;
	out->phys = t->phys;
	out->target_dev = t->target_dev;
	out->target_bar = t->target_bar;
	out->acs_port = t->acs_port;
	out->nr_hops = t->nr_hops;
	memcpy(out->hops, t->hops, t->nr_hops * sizeof(t->hops[0]));
}

int pci_route_dma(struct pci_router *r, const struct pci_dev *requester,
		  struct iommu_domain *domain, u64 addr, void *buf, size_t len, bool write,
		  struct route_result *out)
{
	struct machine *m = r->m;
	struct tlp t;
	u8 *bytes = buf;
	size_t off = 0;
	unsigned int nr_chunks = 0, nr_failed = 0;
	bool described = false;

	if (!requester || !pci_is_dma_capable(requester) || !len || !buf ||
	    requester->index >= r->nr_devs || r->fab->devs[requester->index] != requester)
		return -EINVAL;
	if (out) {
		out->addr = addr;
		out->bytes_ok = 0;
	}
	while (off < len) {
		u64 a = addr + off;
		u64 n = ROUTE_CHUNK_SIZE - (a & (ROUTE_CHUNK_SIZE - 1));
		int ret;

		if (n > len - off)
			n = len - off;
		route_chunk(r, &t, requester, domain, a, write, false);
		if (t.status == ROUTE_OK) {
			if (n > t.avail)
				n = t.avail;
			ret = write ? phys_mem_write(m->mem, t.phys, bytes + off, n) :
				      phys_mem_read(m->mem, t.phys, bytes + off, n);
			if (ret) {
				/* nothing backs it after all: the completer never answers */
				t.status = ROUTE_UNSUPPORTED;
				t.target = ROUTE_TARGET_NONE;
			}
		}
		nr_chunks++;
		if (t.status == ROUTE_OK) {
			if (__builtin_expect(m->events.nr_subs != 0, 0)) {
				struct sim_event ev = {
					.kind = EV_TLP_DELIVERED,
					.dev = requester,
					.addr = a,
					.phys = t.phys,
					.len = n,
					.flags = t.flags,
					.aux = t.target_dev ? t.target_dev->index + 1 : 0,
				};

				machine_emit(m, &ev);
			} else {
				m->events.counts[EV_TLP_DELIVERED]++;
			}
			if (out) {
				if (!described)
					describe(out, &t);
				out->bytes_ok += n;
			}
			described = true;
		} else {
			struct sim_event ev = {
				.kind = EV_TLP_FAULTED,
				.dev = requester,
				.addr = a,
				.phys = t.phys,
				.len = n,
				.flags = t.flags,
				.aux = t.status,
				.ret = route_status_errno(t.status),
			};

			if (!write)
				memset(bytes + off, 0xff, n);
			machine_emit(m, &ev);
			/* the first failure is what the result describes */
			if (out && !nr_failed)
				describe(out, &t);
			described = true;
			nr_failed++;
		}
		off += n;
	}
	if (out) {
		out->nr_chunks = nr_chunks;
		out->nr_failed = nr_failed;
	}
	return nr_failed ? -EIO : 0;
}

int pci_route_path(struct pci_router *r, const struct pci_dev *requester, u64 addr, bool write,
		   struct route_result *out)
{
	struct tlp t;

	if (!requester || !out || !pci_is_dma_capable(requester) ||
	    requester->index >= r->nr_devs || r->fab->devs[requester->index] != requester)
		return -EINVAL;
	route_chunk(r, &t, requester, NULL, addr, write, true);
	out->addr = addr;
	describe(out, &t);
	out->bytes_ok = 0;
	out->nr_chunks = 1;
	out->nr_failed = t.status != ROUTE_OK;
	return t.status == ROUTE_OK ? 0 : -EIO;
}
