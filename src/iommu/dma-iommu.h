/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dma-iommu.h - the DMA API on top of an IOMMU domain
 * (drivers/iommu/dma-iommu.c, include/linux/iommu-dma.h;
 * reference/dma-iommu.md §1.5, §2.6, §3).
 *
 * Owned by src/iommu/dma-iommu.c: struct iommu_dma_cookie (the IOVA domain,
 * the flush queue(s) and their counters and timer), hung on
 * domain->iova_cookie by iommu_dma_init_domain().
 *
 * The dispatcher (src/dma/mapping.c) calls the entry points below for every
 * device whose default domain is a DMA API domain (dev->dma_iommu) and
 * emits the EV_DMA_* events; this file emits the IOVA and flush-queue
 * events, src/iommu/iommu.c and models/iommu the page-table and IOTLB ones.
 */
#ifndef P2PSIM_SRC_IOMMU_DMA_IOMMU_H
#define P2PSIM_SRC_IOMMU_DMA_IOMMU_H

#include "src/dma/dma.h"
#include "src/dma/scatterlist.h"
#include "src/iommu/iommu.h"
#include "src/iommu/iova.h"

/* Flush-queue sizing (drivers/iommu/dma-iommu.c). Sizes are ring slots; one stays empty. */
#define IOVA_DEFAULT_FQ_SIZE 256
#define IOVA_DEFAULT_FQ_TIMEOUT 10 /* ms */
#define IOVA_SINGLE_FQ_SIZE 32768
#define IOVA_SINGLE_FQ_TIMEOUT 1000 /* ms */

struct iommu_dma_stats {
	u64 iova_allocs;         /* successful iommu_dma_alloc_iova() */
	u64 iova_alloc_fails;
	u64 iova_32bit_fallbacks; /* the sticky "Using N-bit DMA addresses" switch */
	u64 iova_frees;          /* immediate frees (free_iova_fast) */
	u64 iova_queued;         /* lazy frees put on a flush queue */
	u64 fq_entries_freed;    /* queued IOVAs released after their flush */
	u64 fq_flushes;          /* fq_flush_iotlb(): flush_iotlb_all on the domain */
	u64 fq_full_flushes;     /* ... of them forced by a full ring */
	u64 fq_timer_runs;
	u64 fq_depth;            /* entries waiting now, all rings */
	u64 fq_depth_peak;
	u64 bounced_maps;        /* map_phys that went through swiotlb */
	u64 unmap_size_mismatches; /* __iommu_dma_unmap WARN_ON(unmapped != size): a bad unmap */
	u64 unmap_not_mapped;    /* iommu_dma_unmap_phys WARN_ON(!phys): unmap of nothing */
};

/* --- domain set-up (called by iommu_probe_device_dma) -------------------- */

int iommu_get_dma_cookie(struct iommu_domain *domain);
/* Free the flush queue (its pending IOVAs and page-table pages) and the IOVA domain. */
void iommu_put_dma_cookie(struct iommu_domain *domain);
/*
 * Granule = smallest page size, base pfn max(1, aperture_start >> order),
 * rcaches, options (single queue if dev->shadow_on_flush), DMA_FQ -> flush
 * queue or silent fall-back to DMA, reservations: the device's host-bridge
 * apertures (bus addresses) and, for VT-d / AMD units, the MSI window
 * 0xfee00000 - 0xfeefffff. 0, -EINVAL (no cookie), -EFAULT
 * (incompatible re-init, DMA range outside the aperture) or -ENOMEM.
 */
int iommu_dma_init_domain(struct iommu_domain *domain, struct device *dev);
/* dev->dma_iommu from the domain type; for DMA API domains the cookie + init_domain. */
int iommu_setup_dma_ops(struct device *dev);

/* --- the IOVA policy ------------------------------------------------------- */

/* 32-bit first with the sticky per-device fall-back; 0 on failure. @size granule-aligned. */
dma_addr_t iommu_dma_alloc_iova(struct iommu_domain *domain, size_t size, u64 dma_limit,
				struct device *dev);
/* Queue (gather->queued) or free at once. */
void iommu_dma_free_iova(struct iommu_domain *domain, dma_addr_t iova, size_t size,
			 struct iommu_iotlb_gather *gather);

int dma_info_to_prot(enum dma_data_direction dir, bool coherent, unsigned long attrs);

/* --- streaming entry points (the dispatcher's) ----------------------------- */

dma_addr_t __iommu_dma_map(struct device *dev, phys_addr_t phys, size_t size, int prot,
			   u64 dma_mask);
void __iommu_dma_unmap(struct device *dev, dma_addr_t dma_addr, size_t size);

dma_addr_t iommu_dma_map_phys(struct device *dev, phys_addr_t phys, size_t size,
			      enum dma_data_direction dir, unsigned long attrs);
void iommu_dma_unmap_phys(struct device *dev, dma_addr_t dma_handle, size_t size,
			  enum dma_data_direction dir, unsigned long attrs);
/* Mapped output segments, or -EINVAL / -ENOMEM / -EIO / -EREMOTEIO. */
int iommu_dma_map_sg(struct device *dev, struct scatterlist *sg, int nents,
		     enum dma_data_direction dir, unsigned long attrs);
void iommu_dma_unmap_sg(struct device *dev, struct scatterlist *sg, int nents,
			enum dma_data_direction dir, unsigned long attrs);
void iommu_dma_sync_single_for_cpu(struct device *dev, dma_addr_t dma_handle, size_t size,
				   enum dma_data_direction dir);
void iommu_dma_sync_single_for_device(struct device *dev, dma_addr_t dma_handle, size_t size,
				      enum dma_data_direction dir);
void iommu_dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl, int nelems,
			       enum dma_data_direction dir);
void iommu_dma_sync_sg_for_device(struct device *dev, struct scatterlist *sgl, int nelems,
				  enum dma_data_direction dir);
size_t iommu_dma_max_mapping_size(struct device *dev);
size_t iommu_dma_opt_mapping_size(void);
/* iommu_dma_get_merge_boundary(): granule - 1, 0 without a DMA domain. */
unsigned long iommu_dma_get_merge_boundary(struct device *dev);

/* --- the two-step IOVA API (v6.16+; reference §3.5) ----------------------- */

/*
 * include/linux/dma-mapping.h: what a caller keeps between the steps. Bit
 * 63 of __size records that some part went through swiotlb.
 */
struct dma_iova_state {
	dma_addr_t addr;
	u64 __size;
};

#define DMA_IOVA_USE_SWIOTLB (1ULL << 63)

static inline size_t dma_iova_size(const struct dma_iova_state *state)
{
	return (size_t)(state->__size & ~DMA_IOVA_USE_SWIOTLB);
}

static inline bool dma_use_iova(const struct dma_iova_state *state)
{
	return state->__size != 0;
}

/* Reserve IOVA space for @size bytes; @phys gives only the in-granule offset. */
bool dma_iova_try_alloc(struct device *dev, struct dma_iova_state *state, phys_addr_t phys,
			size_t size);
/* Give the whole reservation back at once (never queued); everything must be unlinked. */
void dma_iova_free(struct device *dev, struct dma_iova_state *state);
/* Map @phys at @offset, no IOTLB sync. 0, -EIO, -EPERM, -EOPNOTSUPP, -ENOMEM or -EINVAL. */
int dma_iova_link(struct device *dev, struct dma_iova_state *state, phys_addr_t phys,
		  size_t offset, size_t size, enum dma_data_direction dir, unsigned long attrs);
/* iotlb_sync_map over [offset, offset + size). */
int dma_iova_sync(struct device *dev, struct dma_iova_state *state, size_t offset, size_t size);
/* Unmap [offset, offset + size) and sync the IOTLB at once, even in lazy mode; the IOVA stays. */
void dma_iova_unlink(struct device *dev, struct dma_iova_state *state, size_t offset, size_t size,
		     enum dma_data_direction dir, unsigned long attrs);
/* Unlink [0, mapped_len) and free the IOVA (queued in lazy mode); mapped_len 0: dma_iova_free. */
void dma_iova_destroy(struct device *dev, struct dma_iova_state *state, size_t mapped_len,
		      enum dma_data_direction dir, unsigned long attrs);

/* --- time ---------------------------------------------------------------- */

/*
 * Run every flush-queue timer (and IOVA depot-trim work) of every DMA
 * domain of @m whose deadline is <= m->now_ns. The world calls it whenever
 * the logical clock advances.
 */
void iommu_dma_run_timers(struct machine *m);
/* The same for one domain; exposed for tests. */
void iommu_dma_domain_run_timers(struct iommu_domain *domain, u64 now_ns);

/* --- inspection ------------------------------------------------------------ */

struct iova_domain *iommu_dma_iovad(struct iommu_domain *domain);
const struct iommu_dma_stats *iommu_dma_stats(const struct iommu_domain *domain);
/* Is a flush queue in use (cookie->fq_domain)? */
bool iommu_dma_fq_active(const struct iommu_domain *domain);
/* Entries waiting on the flush queue(s) now. */
unsigned long iommu_dma_fq_depth(const struct iommu_domain *domain);
/* fq_flush_start_cnt / fq_flush_finish_cnt */
u64 iommu_dma_fq_flush_start_cnt(const struct iommu_domain *domain);
u64 iommu_dma_fq_flush_finish_cnt(const struct iommu_domain *domain);
/* Deadline of the armed flush-queue timer, or 0 when it is not armed. */
u64 iommu_dma_fq_timer_deadline(const struct iommu_domain *domain);

#endif /* P2PSIM_SRC_IOMMU_DMA_IOMMU_H */
