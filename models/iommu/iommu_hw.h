/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommu_hw.h - the IOMMU hardware model: one struct iommu_hw per topology
 * <iommu> (DESIGN.md §2, §3 step 2; reference/dma-iommu.md §2).
 *
 * What lives here is what the kernel reaches through driver ops and what a
 * device's DMA meets at the root complex:
 *  - domains (BLOCKED, IDENTITY, paging UNMANAGED / DMA / DMA_FQ) with the
 *    driver ops of the IOMMU type (Intel VT-d, AMD-Vi, Arm SMMUv3, generic),
 *  - a real 4-level page table per paging domain (pgtable.c) with 4K / 2M /
 *    1G leaves, restricted to the unit's page-size bitmap,
 *  - an IOTLB (entries / ways from the topology, LRU per set, tagged by
 *    domain id) that caches leaf translations until an invalidation removes
 *    them: the hardware behaviour the lazy (flush-queue) mode relies on,
 *  - a fault log and the statistics the world / CLI print.
 *
 * Owned here: struct iommu_hw (private), struct iommu_domain (shared with
 * src/iommu, as include/linux/iommu.h shares it between core and drivers),
 * struct iommu_iotlb_gather (the driver-op interface), struct pt_table.
 * The kernel-side core (iommu_map, iommu_unmap, gather helpers) is in
 * src/iommu/iommu.c; domain allocation / attach as the core sees it too.
 */
#ifndef P2PSIM_MODELS_IOMMU_HW_H
#define P2PSIM_MODELS_IOMMU_HW_H

#include "models/machine.h"
#include "models/types.h"

/* Protection bits (include/linux/iommu.h). */
#define IOMMU_READ (1 << 0)
#define IOMMU_WRITE (1 << 1)
#define IOMMU_CACHE (1 << 2)
#define IOMMU_NOEXEC (1 << 3)
#define IOMMU_MMIO (1 << 4)
#define IOMMU_PRIV (1 << 5)

/* Domain type bits and types (include/linux/iommu.h, reference §2.1). */
#define __IOMMU_DOMAIN_PAGING (1U << 0)
#define __IOMMU_DOMAIN_DMA_API (1U << 1)
#define __IOMMU_DOMAIN_PT (1U << 2)
#define __IOMMU_DOMAIN_DMA_FQ (1U << 3)

#define IOMMU_DOMAIN_BLOCKED (0U)
#define IOMMU_DOMAIN_IDENTITY (__IOMMU_DOMAIN_PT)
#define IOMMU_DOMAIN_UNMANAGED (__IOMMU_DOMAIN_PAGING)
#define IOMMU_DOMAIN_PAGING (__IOMMU_DOMAIN_PAGING)
#define IOMMU_DOMAIN_DMA (__IOMMU_DOMAIN_PAGING | __IOMMU_DOMAIN_DMA_API)
#define IOMMU_DOMAIN_DMA_FQ (__IOMMU_DOMAIN_PAGING | __IOMMU_DOMAIN_DMA_API | __IOMMU_DOMAIN_DMA_FQ)

/* The page-table format: 48-bit input addresses, 4 levels of 512 entries. */
#define IOMMU_PT_LEVELS 4
#define IOMMU_PT_ENTRIES 512
#define IOMMU_PT_VA_BITS 48
#define IOMMU_PGSIZES_SUPPORTED (SZ_4K | SZ_2M | SZ_1G)

/*
 * One page-table page: 512 entries. An entry is 0 (not present), a leaf
 * (output address | prot << 2 | PRESENT) or a pointer to the next-level
 * table (pointer | TABLE | PRESENT). @nr_present counts non-zero entries.
 * @next_free links pages detached by an unmap on a gather's freelist
 * until the IOTLB sync (or the flush queue) frees them.
 */
struct pt_table {
	u64 pte[IOMMU_PT_ENTRIES];
	struct pt_table *next_free;
	u64 id;
	u32 domain_id;
	unsigned int nr_present;
	unsigned int level; /* 4 (top) .. 1 (4K leaves) */
};

struct io_pgtable; /* pgtable.c */
struct iommu_domain;

/* include/linux/iommu.h struct iommu_iotlb_gather; end is inclusive. */
struct iommu_iotlb_gather {
	unsigned long start;
	unsigned long end;
	size_t pgsize;
	struct pt_table *freelist; /* page-table pages to free after the sync */
	bool queued;               /* a flush queue will flush_iotlb_all later */
};

/* Driver ops (struct iommu_domain_ops), chosen by the IOMMU type. gfp is not modelled. */
struct iommu_domain_ops {
	int (*map_pages)(struct iommu_domain *domain, unsigned long iova, phys_addr_t paddr,
			 size_t pgsize, size_t pgcount, int prot, size_t *mapped);
	size_t (*unmap_pages)(struct iommu_domain *domain, unsigned long iova, size_t pgsize,
			      size_t pgcount, struct iommu_iotlb_gather *gather);
	int (*iotlb_sync_map)(struct iommu_domain *domain, unsigned long iova, size_t size);
	void (*iotlb_sync)(struct iommu_domain *domain, struct iommu_iotlb_gather *gather);
	void (*flush_iotlb_all)(struct iommu_domain *domain);
	phys_addr_t (*iova_to_phys)(struct iommu_domain *domain, dma_addr_t iova);
};

struct iommu_domain_geometry {
	dma_addr_t aperture_start;
	dma_addr_t aperture_end;
	bool force_aperture;
};

struct iommu_dma_cookie; /* src/iommu/dma-iommu.c */

struct iommu_domain {
	unsigned int type;                   /* IOMMU_DOMAIN_* */
	const struct iommu_domain_ops *ops;  /* NULL for BLOCKED / IDENTITY */
	u64 pgsize_bitmap;
	struct iommu_domain_geometry geometry;
	struct iommu_hw *hw;
	struct machine *machine;             /* hw's machine (events, clock) */
	u32 id;                              /* domain id: the IOTLB tag */
	struct io_pgtable *pgtable;          /* paging domains */
	struct iommu_dma_cookie *iova_cookie; /* dma-iommu state, owned by src/iommu/dma-iommu.c */
	unsigned int nr_attached;            /* devices attached */
	struct iommu_domain *next;           /* the unit's list of live domains */
};

/* Why a translation failed (the fault log's reason). */
enum iommu_fault_reason {
	IOMMU_FAULT_BLOCKED = 1,    /* blocked domain, or no domain */
	IOMMU_FAULT_NOT_PRESENT,    /* no translation for the address */
	IOMMU_FAULT_PERMISSION,     /* translation lacks read or write permission */
	IOMMU_FAULT_OUT_OF_RANGE,   /* address beyond the page table's input range */
};

struct iommu_fault_record {
	const struct pci_dev *dev;
	dma_addr_t iova;
	bool write;
	enum iommu_fault_reason reason;
	u32 domain_id;
	u64 time_ns;
};

#define IOMMU_FAULT_LOG_SIZE 256 /* the log keeps the most recent ones; the count keeps all */

struct iommu_hw_stats {
	/* IOTLB */
	u64 iotlb_lookups, iotlb_hits, iotlb_misses, iotlb_fills, iotlb_evictions;
	u64 iotlb_stale_hits;         /* hits whose PTE is gone or changed (observed) */
	u64 iotlb_invalidated;        /* entries removed by invalidations */
	u64 iotlb_inv_range_ops;      /* iotlb_sync invalidations (one per gather range) */
	u64 iotlb_inv_domain_ops;     /* flush_iotlb_all / whole-domain invalidations */
	/* driver ops */
	u64 iotlb_sync;               /* iotlb_sync calls */
	u64 iotlb_sync_map;           /* iotlb_sync_map calls (drivers that have it) */
	u64 flush_iotlb_all;          /* flush_iotlb_all calls */
	u64 map_pages, unmap_pages;   /* op calls */
	u64 ptes_set, ptes_cleared;   /* leaf entries written / removed */
	u64 partial_unmap_rounded;    /* VT-d / AMD: a large page unmapped whole for less */
	u64 partial_unmap_refused;    /* SMMUv3 / generic: a partial large-page unmap returned 0 */
	/* page-table pages */
	u64 pgtable_pages_live, pgtable_pages_peak, pgtable_pages_allocated, pgtable_pages_freed;
	u64 leaves_live[3];           /* live leaf entries: 4K, 2M, 1G */
	/* translations and faults */
	u64 translations, faults;
	u64 domains_live;
};

/* --- the unit ------------------------------------------------------------ */

/* One per topology <iommu>. Returns NULL on allocation failure. */
struct iommu_hw *iommu_hw_new(struct machine *m, const struct iommu_desc *desc);
void iommu_hw_free(struct iommu_hw *hw);

const struct iommu_desc *iommu_hw_desc(const struct iommu_hw *hw);
struct machine *iommu_hw_machine(const struct iommu_hw *hw);
const struct iommu_hw_stats *iommu_hw_stats(const struct iommu_hw *hw);
/* The unit's page sizes as the driver advertises them (desc bitmap & 4K|2M|1G). */
u64 iommu_hw_pgsize_bitmap(const struct iommu_hw *hw);
/* IOMMU_CAP_DEFERRED_FLUSH: may the unit run a flush queue (DMA_FQ)? */
bool iommu_hw_deferred_flush(const struct iommu_hw *hw);
/* Live domains, newest first (walk with ->next). */
struct iommu_domain *iommu_hw_domains(const struct iommu_hw *hw);

/* Number of IOTLB entries currently valid (all domains, or one domain id when @domain_id != 0). */
unsigned int iommu_hw_iotlb_valid(const struct iommu_hw *hw, u32 domain_id);

/* Fault log: total ever logged, and the i-th most recent still kept (0 = newest), or NULL. */
u64 iommu_hw_fault_count(const struct iommu_hw *hw);
const struct iommu_fault_record *iommu_hw_fault_at(const struct iommu_hw *hw, unsigned int i);

/*
 * Test hook: make the @nth next page-table page allocation fail (-ENOMEM),
 * 1 = the very next one; 0 disarms. Used to prove that error paths unwind.
 */
void iommu_hw_fail_pgtable_alloc(struct iommu_hw *hw, unsigned long nth);

/*
 * Fault injection: make the @nth next iotlb_sync_map of this unit fail
 * (-ENOMEM, nothing synced), 1 = the very next one; 0 disarms. No driver
 * in the model can fail it on its own; a paravirtualised IOMMU can (s390's
 * zpci_iommu_iotlb_sync_map() returns the error of the RPCIT refresh when
 * the hypervisor cannot shadow the new entries). The scenario's
 * `hmm-map ... fault=sync-map` arms it (docs/scenario.md).
 */
void iommu_hw_fail_sync_map(struct iommu_hw *hw, unsigned long nth);

/* --- domains (the driver's domain_alloc side) ----------------------------- */

/*
 * A new domain of @type on @hw: BLOCKED and IDENTITY carry no page table;
 * paging types get an empty top-level table, the driver ops of the unit's
 * type, pgsize_bitmap and a 48-bit aperture. Returns NULL on allocation
 * failure or an unknown type.
 */
struct iommu_domain *iommu_hw_domain_alloc(struct iommu_hw *hw, unsigned int type);
/* Invalidate the domain's IOTLB entries and free its page table and the domain. */
void iommu_hw_domain_free(struct iommu_domain *domain);

/*
 * Hardware translation of a device request (DESIGN.md §3 step 2): identity
 * = 1:1, blocked = fault; paging: IOTLB first, else walk the page table and
 * fill. No or insufficient translation is logged in the fault log and
 * emitted as EV_IOMMU_FAULT. Returns 0 with *phys_out set, or -EFAULT.
 */
int iommu_hw_translate(struct iommu_hw *hw, struct iommu_domain *domain,
		       const struct pci_dev *requester, dma_addr_t iova, bool write,
		       phys_addr_t *phys_out);

/* --- page table (pgtable.c), used by the driver ops ---------------------- */

struct io_pgtable *io_pgtable_alloc(struct iommu_hw *hw, struct iommu_domain *domain);
void io_pgtable_free(struct io_pgtable *pt);
/* Number of page-table pages of this table (top level included). */
u64 io_pgtable_pages(const struct io_pgtable *pt);
/* Free a freelist of detached page-table pages. */
void io_pgtable_free_list(struct iommu_hw *hw, struct pt_table *freelist);

/*
 * Walk for @iova: returns the leaf entry (0 if none) and its page shift in
 * *@shift_out (12, 21 or 30). Does not touch the IOTLB.
 */
u64 io_pgtable_walk(const struct io_pgtable *pt, dma_addr_t iova, unsigned int *shift_out);

static inline phys_addr_t iommu_pte_phys(u64 pte, unsigned int shift)
{
	return pte & ~((1ULL << shift) - 1) & ((1ULL << 52) - 1);
}

static inline int iommu_pte_prot(u64 pte)
{
	return (int)((pte >> 2) & 0x3f);
}

/*
 * Emit an event cheaply: with no subscriber only the per-kind counter moves
 * (what event_bus_emit would do), and the event is never built. Used on
 * the map/unmap fast paths of models/iommu and src/iommu.
 *   IOMMU_EMIT(machine, EV_IOTLB_SYNC, .aux = id, .addr = iova, .len = size);
 */
#define IOMMU_EMIT(mach, evkind, ...)                                            \
	do {                                                                     \
		struct machine *emit_m_ = (mach);                                \
		if (emit_m_) {                                                   \
			if (__builtin_expect(emit_m_->events.nr_subs != 0, 0)) { \
				struct sim_event emit_ev_ = { .kind = (evkind),  \
							      __VA_ARGS__ };     \
				machine_emit(emit_m_, &emit_ev_);                \
			} else {                                                 \
				emit_m_->events.counts[(evkind)]++;              \
			}                                                        \
		}                                                                \
	} while (0)

#endif /* P2PSIM_MODELS_IOMMU_HW_H */
