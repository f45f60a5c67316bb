/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * route.h - device DMA through the PCI fabric: the life of a memory-request
 * TLP (DESIGN.md §3).
 *
 * A requester (endpoint, RCiEP or VF) issues a memory read or write of real
 * bytes at an address it was programmed with. The router walks the fabric
 * the way the hardware does:
 *
 *  1. Upwards from the requester. At every bridge the request enters from
 *     its secondary side ("ingress port"): an address inside that port's own
 *     windows goes back down into its subtree (other function of the same
 *     device); at a switch downstream port, an address inside a *sibling*
 *     downstream port's window is peer-bound: the ingress port's ACS Control
 *     decides - P2P Request Redirect (RR) forces it upstream, else P2P Egress
 *     Control (EC) blocks it (ACS violation), else it crosses the switch and
 *     is delivered to the peer BAR without ever reaching the root complex or
 *     the IOMMU. RR takes precedence over EC (a redirected request is not
 *     blocked). We do not model the Egress Control Vector: EC blocks every
 *     peer port.
 *  2. At the root complex the requester's IOMMU domain translates
 *     (iommu_hw_translate(): IOTLB first, page walk and fill on a miss, fault
 *     on no or insufficient translation). With no domain (no IOMMU, or the
 *     IOMMU off) or an identity (passthrough) domain, the bus address becomes
 *     a CPU address through the host bridge window offset (an address inside
 *     one of the host bridge's apertures: cpu = bus + bus_offset; anything
 *     else: cpu = bus).
 *  3. The CPU address is decoded: RAM -> memory; a memory BAR of a function
 *     whose Memory Space Enable is on -> root-complex peer-to-peer, which
 *     works only when the requester's host bridge forwards P2P
 *     (p2p_forwarding) and, across host bridges, both do; otherwise (or
 *     nothing claims the address) -> Unsupported Request.
 *  4. A failed read returns all-ones. A read completion crossing a switch
 *     peer-to-peer is forced through the root complex when the completer's
 *     downstream port has ACS Completion Redirect (CR); this is recorded in
 *     the result and the hop list, it never fails a DMA.
 *
 * A DMA is split at 4 KiB boundaries (the IOMMU granule): each chunk is
 * routed and translated on its own, so one DMA can partly succeed. Every
 * chunk emits EV_TLP_DELIVERED (phys = CPU address it landed at) or
 * EV_TLP_FAULTED (ret = -errno of enum route_status, aux = the status).
 *
 * Owned here: struct pci_router (per-machine tables precomputed once from the
 * frozen fabric: each function's upstream chain, the address range anything
 * on that chain could claim, memory BARs sorted by bus address per host
 * bridge) and struct route_result. Run-time registers (ACS Control,
 * memory_decode) are read live on every TLP, so device events take effect at
 * once. The fast path (IOTLB hit into RAM) allocates nothing.
 */
#ifndef P2PSIM_MODELS_PCI_ROUTE_H
#define P2PSIM_MODELS_PCI_ROUTE_H

#include "models/machine.h"
#include "models/pci/pci.h"

struct iommu_domain;
struct pci_router;

/* Why a TLP (chunk) did not land; ROUTE_OK when it did. */
enum route_status {
	ROUTE_OK = 0,
	ROUTE_IOMMU_FAULT,      /* no / insufficient translation, blocked domain: -EFAULT */
	ROUTE_ACS_BLOCKED,      /* ACS P2P Egress Control at an ingress port: -EACCES */
	ROUTE_UNSUPPORTED,      /* Unsupported Request: nothing claims the address: -ENXIO */
	ROUTE_NO_P2P_FORWARDING, /* a BAR behind a host bridge that does not forward P2P: -EHOSTUNREACH */
	ROUTE_DECODE_OFF,       /* target BAR's Memory Space Enable is off (UR): -ENXIO */
};

/* Where the bytes went. */
enum route_target {
	ROUTE_TARGET_NONE = 0,
	ROUTE_TARGET_RAM,
	ROUTE_TARGET_BAR,
};

/* What a hop did. */
enum route_hop_kind {
	ROUTE_HOP_UP,        /* entered this bridge from below, forwarded upstream */
	ROUTE_HOP_ACROSS,    /* entered this downstream port from below, routed across the switch */
	ROUTE_HOP_REDIRECT,  /* ACS RR at this ingress port forced a peer-bound request upstream */
	ROUTE_HOP_BLOCKED,   /* ACS EC at this ingress port blocked it */
	ROUTE_HOP_ROOT_COMPLEX, /* reached the host bridge (port = NULL) */
	ROUTE_HOP_IOMMU,     /* translated by the IOMMU of the host bridge (port = NULL) */
	ROUTE_HOP_DOWN,      /* forwarded down through this bridge towards the target */
	ROUTE_HOP_TARGET,    /* the completer (function owning the BAR) */
	ROUTE_HOP_COMPLETION_REDIRECT, /* ACS CR at this port sent the completion via the root complex */
};

struct route_hop {
	enum route_hop_kind kind;
	const struct pci_dev *port; /* NULL for root complex / IOMMU hops */
	const struct pci_host_bridge *host; /* set on root complex hops */
};

#define ROUTE_MAX_HOPS 32

/* EV_TLP_DELIVERED / EV_TLP_FAULTED flags (sim_event.flags) */
#define ROUTE_EVF_WRITE (1u << 0)
#define ROUTE_EVF_P2P_SWITCH (1u << 1)  /* crossed a switch peer-to-peer, no IOMMU */
#define ROUTE_EVF_ROOT_COMPLEX (1u << 2) /* reached the root complex */
#define ROUTE_EVF_TRANSLATED (1u << 3)  /* went through an IOMMU domain */
#define ROUTE_EVF_ACS_REDIRECT (1u << 4) /* ACS RR forced it upstream */
#define ROUTE_EVF_RC_P2P (1u << 5)      /* landed in a BAR via root-complex forwarding */
#define ROUTE_EVF_BAR (1u << 6)         /* landed in (or was aimed at) a BAR */
#define ROUTE_EVF_COMPLETION_REDIRECT (1u << 7)

/*
 * The outcome of one DMA (all its chunks). For a multi-chunk DMA, status and
 * the path fields describe the first chunk that failed, or the first chunk
 * when all landed; bytes_ok counts the bytes that landed.
 */
struct route_result {
	enum route_status status;
	enum route_target target;
	unsigned int flags;          /* ROUTE_EVF_* of the described chunk */
	u64 addr;                    /* address as issued by the device */
	phys_addr_t phys;            /* CPU address the described chunk landed at / decoded to */
	const struct pci_dev *target_dev; /* completer for a BAR target, else NULL */
	int target_bar;              /* its BAR index, -1 when none */
	const struct pci_dev *acs_port; /* port whose ACS redirected or blocked, else NULL */
	u64 bytes_ok;                /* bytes delivered (all chunks) */
	unsigned int nr_chunks;      /* TLP chunks routed */
	unsigned int nr_failed;      /* chunks that failed */
	unsigned int nr_hops;
	struct route_hop hops[ROUTE_MAX_HOPS]; /* path of the described chunk, in order */
};

/*
 * Build the router for @m (whose topology fabric is finalized). Returns NULL
 * on allocation failure. The router does not own @m; free it before @m.
 */
struct pci_router *pci_router_new(struct machine *m);
void pci_router_free(struct pci_router *r);

/*
 * Issue a DMA from @requester at device address @addr, @len bytes: a write
 * sends @buf into the fabric, a read fills @buf (all-ones where a chunk
 * failed). @domain is the IOMMU domain the requester's context entry points
 * to (struct device.domain), NULL when the requester's DMA is not translated
 * (no IOMMU on its host bridge, or IOMMU off). @out may be NULL.
 * Emits one EV_TLP_DELIVERED / EV_TLP_FAULTED per chunk.
 * Returns 0 when every byte landed, -EIO when some chunk failed (see @out),
 * -EINVAL for a NULL requester, a requester that issues no DMA, or len 0.
 */
int pci_route_dma(struct pci_router *r, const struct pci_dev *requester,
		  struct iommu_domain *domain, u64 addr, void *buf, size_t len, bool write,
		  struct route_result *out);

/*
 * The hardware route of a request from @requester to bus address @addr,
 * without moving bytes, emitting events or touching the IOMMU: the root
 * complex is assumed to pass @addr through untranslated (identity), i.e.
 * what happens to a bus address (BUS_ADDR mapping) or to the CPU address an
 * IOVA would translate to. out->flags has ROUTE_EVF_TRANSLATED when the
 * requester's host bridge has an IOMMU on the path (the real address would
 * be translated there). For `p2psim path` and the p2p checker.
 * Returns 0 when the request would land, -EIO when not (out->status says
 * why), -EINVAL on bad arguments.
 */
int pci_route_path(struct pci_router *r, const struct pci_dev *requester, u64 addr, bool write,
		   struct route_result *out);

/* Human names: "ok", "iommu-fault", "acs-blocked", "unsupported-request", ... */
const char *route_status_name(enum route_status status);
const char *route_hop_kind_name(enum route_hop_kind kind);
/* The negative errno a status is reported with in EV_TLP_FAULTED.ret (0 for ROUTE_OK). */
int route_status_errno(enum route_status status);

/*
 * The hop list as one line, e.g.
 *   "dsp0[across] -> dsp1[down] -> b[target]"
 *   "dsp0[acs-redirect] -> usp[up] -> rp0[up] -> hb0[root-complex] -> hb0[iommu]"
 * (topology ids; host bridge ids for root-complex / IOMMU hops). Writes at
 * most @len bytes including the NUL, like snprintf, and returns the length
 * the whole line needs.
 */
int route_result_format(const struct route_result *res, char *buf, size_t len);

#endif /* P2PSIM_MODELS_PCI_ROUTE_H */
