/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * check_internal.h - what the checkers of sim/check/ share (private to
 * sim/check/; the runner uses check.h).
 *
 * The set keeps the state every checker reads, built from events only:
 *  - the streaming mappings (dma-debug entries: what dma_map_* returned and
 *    was not unmapped yet), with the cacheline overlap counters;
 *  - IOVA ranges allocated and not freed; swiotlb slots in use; page-table
 *    pages alive (by id, with their domain);
 *  - IOVA ranges unmapped from an IOMMU domain, with the state of their
 *    IOTLB flush (strict: flushed when the unmap returned; lazy: a window
 *    until the flush queue flushes);
 *  - the DMA intent the runner declared, and what its TLPs did.
 * Tracking always runs; a disabled checker only stops *reporting*, so the
 * checkers never disagree about what is live.
 *
 * Ordered containers are libbsd <sys/tree.h> red-black trees.
 */
#ifndef P2PSIM_SIM_CHECK_INTERNAL_H
#define P2PSIM_SIM_CHECK_INTERNAL_H

#include <sys/tree.h>

#include "sim/check/check.h"

enum checker_id {
	CHECK_DMA_DEBUG,
	CHECK_IOTLB,
	CHECK_LEAKS,
	CHECK_ROUTE,
	CHECK_P2P,
	CHECK_DMABUF,
	CHECK__COUNT
};

/* dma-debug entry types (kernel/dma/debug.c) */
enum dd_type {
	DD_TYPE_PHY,    /* dma_map_phys / dma_map_page / dma_map_single (6.18+: "phy") */
	DD_TYPE_SG,     /* dma_map_sg */
};

enum dd_map_err {
	DD_MAP_ERR_NOT_APPLICABLE,
	DD_MAP_ERR_NOT_CHECKED,
	DD_MAP_ERR_CHECKED,
};

/* One live streaming mapping: the dma_debug_entry. */
struct dd_entry {
	RB_ENTRY(dd_entry) node;
	const struct pci_dev *dev;
	u64 addr;   /* dev_addr */
	u64 seq;    /* tie-break: several entries may share (dev, addr) */
	u64 len;
	phys_addr_t phys; /* paddr (single maps); 0 for sg */
	int dir;
	enum dd_type type;
	unsigned int sg_call_ents, sg_mapped_ents;
	enum dd_map_err map_err;
	unsigned long attrs;
	bool tracks_cacheline;
	bool released; /* its device was released with it live (reported there) */
	int line;   /* scenario line of the map */
};
RB_HEAD(dd_tree, dd_entry);

/* Active cacheline overlap counter (dma_active_cacheline). */
struct dd_cacheline {
	RB_ENTRY(dd_cacheline) node;
	u64 cln;
	unsigned int count; /* mappings starting in this cacheline */
};
RB_HEAD(dd_cl_tree, dd_cacheline);

/* A generic tracked range / object keyed by (key, addr, seq). */
struct track_entry {
	RB_ENTRY(track_entry) node;
	u64 key;    /* IOVA: event aux (domain); swiotlb: 0; pgtable: 0 */
	u64 addr;   /* IOVA start / tlb address / page-table page id */
	u64 seq;
	u64 len;
	u64 aux;    /* swiotlb: original phys; pgtable: domain id */
	u64 time_ns;
	const struct pci_dev *dev;
	int line;
	unsigned int state; /* by tree */
};
RB_HEAD(track_tree, track_entry);

/* State of an unmapped IOVA range (iotlb checker). */
enum unmap_state {
	UNMAP_IN_PROGRESS, /* PTEs cleared, unmap has not returned / no flush decided yet */
	UNMAP_LAZY,        /* queued on the flush queue: IOTLB may still hold it (exposure window) */
	UNMAP_FLUSHED,     /* IOTLB flushed (strict sync, or lazy flush done): any hit is stale */
};

#define CHECK_INTENT_MAX_BAD 1

struct checkers {
	struct machine *m;
	struct pci_router *router;
	bool enabled[CHECK__COUNT];
	bool finished;

	/* violations */
	struct check_violation *viol;
	size_t nr_viol, cap_viol;

	/* trace tail ring */
	struct sim_event ring[CHECK_TRACE_TAIL];
	unsigned int ring_head, ring_len;

	struct check_stats stats;
	u64 seq;

	/* dma-debug state */
	struct dd_tree maps;
	struct dd_cl_tree cachelines;

	/* leaks state */
	struct track_tree iovas;    /* key = domain (aux), addr = IOVA, len */
	struct track_tree slots;    /* addr = tlb, aux = orig phys, dev, len */
	struct track_tree pgpages;  /* addr = page id, aux = domain */

	/* iotlb state: IOVA ranges mapped in a domain (EV_IOMMU_MAP minus EV_IOMMU_UNMAP) */
	struct track_tree mapped;
	/* iotlb state: unmapped ranges, key = domain, state = enum unmap_state */
	struct track_tree unmapped;
	/* two-step rules (twostep.c): ranges mapped and not yet covered by an iotlb_sync_map */
	struct track_tree unsynced;
	/* two-step rules (twostep.c): ranges linked by dma_iova_link() and not unlinked or freed
	 * since (key = domain, addr = IOVA, disjoint) */
	struct track_tree linked;
	struct track_entry **open_unmaps; /* ranges in UNMAP_IN_PROGRESS or UNMAP_LAZY */
	size_t nr_open_unmaps, cap_open_unmaps;
	u64 *dev_domain;            /* [pci_dev index]: domain id seen for it, 0 unknown */
	size_t nr_devs;

	/* route oracle: the open intent */
	bool intent_open;
	struct dma_intent intent;
	phys_addr_t intent_phys;    /* resolved expect_phys (LIVE) */
	bool intent_phys_known;
	bool chunk_lazy_hit;        /* the current chunk's translation hit a lazy window */
	bool chunk_stale_hit;       /* ... hit a flushed (stale) range */
	u64 intent_ok_bytes, intent_bad_bytes, intent_lost_bytes, intent_exposed_bytes;
	bool intent_reached_rc;
	bool intent_no_forwarding;
	struct sim_event intent_bad_ev;  /* first offending TLP event */
	bool intent_has_bad;
	bool intent_faulted;        /* some TLP of the intent failed */
	enum { BAD_NONE, BAD_MISDIRECTED, BAD_LOST, BAD_USE_AFTER } intent_bad_kind;
	phys_addr_t intent_bad_expected;

	/* the dmabuf checker's state (dmabuf.c), allocated on its first event */
	struct dmabuf_check *dmabuf;
};

/* Record a violation. @kernel_msg may be NULL. @ev may be NULL (end of run). */
void check_report(struct checkers *cs, enum checker_id id, const char *kind, const char *rule,
		  const struct sim_event *ev, int line, const struct pci_dev *dev,
		  const char *kernel_msg, const char *fmt, ...) __attribute__((format(printf, 9, 10)));

static inline bool check_on(const struct checkers *cs, enum checker_id id)
{
	return cs->enabled[id];
}

const char *check_dir_name(int dir);
const char *check_dev_name(const struct pci_dev *dev);

/* Per-module event hooks (always called; they gate reporting on check_on()). */
void dma_debug_event(struct checkers *cs, const struct sim_event *ev);
void dma_debug_release(struct checkers *cs, const struct sim_event *ev);
void dma_debug_free(struct checkers *cs);
/* Walk the live entries in (dev, addr) order; count them. */
struct dd_entry *dma_debug_first(struct checkers *cs);
struct dd_entry *dma_debug_next(struct checkers *cs, struct dd_entry *e);
u64 dma_debug_count(struct checkers *cs);
/* The live single mapping of @dev containing [addr, addr+len), or NULL. */
struct dd_entry *dma_debug_find_containing(struct checkers *cs, const struct pci_dev *dev,
					   u64 addr, u64 len);

void iotlb_check_event(struct checkers *cs, const struct sim_event *ev);
void iotlb_check_finish(struct checkers *cs);

void leaks_event(struct checkers *cs, const struct sim_event *ev);
void leaks_finish(struct checkers *cs);
/* Does a live swiotlb slot bounce exactly @orig at @tlb? */
bool leaks_slot_bounces(struct checkers *cs, phys_addr_t tlb, phys_addr_t orig);

void oracle_event(struct checkers *cs, const struct sim_event *ev);
void oracle_begin(struct checkers *cs);
void oracle_end(struct checkers *cs, const struct route_result *result);

void p2p_check_event(struct checkers *cs, const struct sim_event *ev);

/* two-step IOVA API rules (twostep.c): after iotlb (cs->mapped), before leaks (cs->iovas) */
void twostep_check_event(struct checkers *cs, const struct sim_event *ev);
void p2p_check_intent_end(struct checkers *cs, const struct route_result *result);

/* dma-buf / VFIO revoke rules of reference/dmabuf-vfio.md §4 (dmabuf.c) */
void dmabuf_check_event(struct checkers *cs, const struct sim_event *ev);
void dmabuf_check_free(struct checkers *cs);

/* track_tree helpers (check.c) */
int track_cmp(const struct track_entry *a, const struct track_entry *b);
RB_PROTOTYPE(track_tree, track_entry, node, track_cmp);
struct track_entry *track_add(struct checkers *cs, struct track_tree *t, u64 key, u64 addr,
			      u64 len);
/* The first entry with exactly (key, addr), or NULL. */
struct track_entry *track_find(struct track_tree *t, u64 key, u64 addr);
/* The entry of @key whose [addr, addr+len) holds @addr (greatest start <= addr), or NULL. */
struct track_entry *track_find_containing(struct track_tree *t, u64 key, u64 addr);
void track_del(struct track_tree *t, struct track_entry *e);
void track_clear(struct track_tree *t);

#endif /* P2PSIM_SIM_CHECK_INTERNAL_H */
