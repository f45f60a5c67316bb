// SPDX-License-Identifier: GPL-2.0-only
// Follows drivers/iommu/dma-iommu.c, Linux v7.0-era (linux-kotlin a663adb68e0e, HEAD side).
/*
 * dma-iommu.c - the streaming DMA API over an IOMMU DMA domain: the IOVA
 * policy (32-bit first, sticky fall-back), single and scatter-gather map /
 * unmap with the swiotlb decision for untrusted or unaligned buffers and
 * P2P bus-address segments, the syncs, and strict vs lazy invalidation
 * (the flush queue).
 *
 * Owned here: struct iommu_dma_cookie of each DMA domain: its IOVA domain,
 * its flush queue ring(s), the flush start/finish counters and the timer.
 *
 * Flush-queue invariant: an IOVA (and the page-table pages its unmap
 * detached) queued when fq_flush_start_cnt was C is released only once
 * fq_flush_finish_cnt > C, i.e. after a full IOTLB flush that started after
 * it was queued has completed. Until then the IOTLB may still translate it
 * (lazy mode's exposure window), and the allocator cannot hand it out.
 *
 * Timers run on the machine's logical clock: iommu_dma_run_timers() fires
 * every flush-queue timer whose deadline has passed.
 *
 * The two-step API (dma_iova_try_alloc / link / sync / unlink / destroy,
 * reference §3.5) is at the end, on top of iommu_dma_alloc_iova(),
 * iommu_dma_free_iova(), iommu_map_nosync() and the same gather / queue
 * helpers. It has the upstream fix 6ec91df8aff7 (empty middle skipped,
 * unwind from the link's own offset). Not upstream: each link, unlink and
 * destroy emits EV_IOVA_LINK / EV_IOVA_UNLINK, for the checkers' two-step rules.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/mem/physmem.h"
#include "src/dma/arch.h"
#include "src/dma/mapping.h"
#include "src/dma/swiotlb.h"
#include "src/iommu/dma-iommu.h"
#include "src/pci/p2pdma.h"

struct iova_fq_entry {
	unsigned long iova_pfn;
	unsigned long pages;
	struct pt_table *freelist; /* page-table pages to free with the IOVA */
	u64 counter;               /* fq_flush_start_cnt when queued */
};

/* A ring of fq_size slots; full when (tail + 1) & mod_mask == head. */
struct iova_fq {
	unsigned int head, tail;
	unsigned int mod_mask;
	struct iova_fq_entry entries[];
};

struct iommu_dma_options {
	bool single_queue;        /* IOMMU_DMA_OPTS_SINGLE_QUEUE */
	unsigned int fq_size;
	unsigned int fq_timeout;  /* ms */
};

struct iommu_dma_cookie {
	struct iova_domain iovad;
	struct iommu_dma_options options;
	struct iova_fq *single_fq;
	struct iova_fq **percpu_fq; /* nr_fq_cpus of them */
	unsigned int nr_fq_cpus;
	u64 fq_flush_start_cnt;
	u64 fq_flush_finish_cnt;
	bool fq_timer_on;
	u64 fq_timer_deadline_ns;
	struct iommu_domain *fq_domain; /* set once the flush queue is usable */
	struct machine *machine;
	struct iommu_dma_stats stats;
};

static struct iommu_domain *iommu_get_dma_domain(struct device *dev)
{
	return dev->domain;
}

static struct machine *cookie_machine(const struct iommu_dma_cookie *cookie)
{
	return cookie->machine;
}

static u64 cookie_now(const struct iommu_dma_cookie *cookie)
{
	return cookie->machine ? cookie->machine->now_ns : 0;
}

static unsigned int cookie_cpu(const struct iommu_dma_cookie *cookie)
{
	unsigned int cpu = cookie->machine ? cookie->machine->cpu : 0;

	return cpu < cookie->nr_fq_cpus ? cpu : cpu % cookie->nr_fq_cpus;
}

static bool sg_dma_is_bus_address(const struct scatterlist *sg)
{
	return sg->dma_flags & SG_DMA_BUS_ADDRESS;
}

static void sg_dma_mark_bus_address(struct scatterlist *sg)
{
	sg->dma_flags |= SG_DMA_BUS_ADDRESS;
}

static void sg_dma_unmark_bus_address(struct scatterlist *sg)
{
	sg->dma_flags &= ~SG_DMA_BUS_ADDRESS;
}

static bool sg_dma_is_swiotlb(const struct scatterlist *sg)
{
	return sg->dma_flags & SG_DMA_SWIOTLB;
}

static void sg_dma_mark_swiotlb(struct scatterlist *sg)
{
	sg->dma_flags |= SG_DMA_SWIOTLB;
}

/* --- flush queue (reference §2.6) ----------------------------------------- */

static bool fq_full(const struct iova_fq *fq)
{
	return ((fq->tail + 1) & fq->mod_mask) == fq->head;
}

static unsigned int fq_ring_add(struct iova_fq *fq)
{
	unsigned int idx = fq->tail;

	fq->tail = (idx + 1) & fq->mod_mask;
	return idx;
}

/* Release the entries whose flush has completed, oldest first. */
static void fq_ring_free_locked(struct iommu_dma_cookie *cookie, struct iova_fq *fq)
{
	u64 counter = cookie->fq_flush_finish_cnt;
	struct iommu_hw *hw;

	/* The common case: nothing flushed since the oldest entry was queued. */
	if (fq->head == fq->tail || fq->entries[fq->head].counter >= counter)
		return;
	hw = cookie->fq_domain->hw;
	for (unsigned int idx = fq->head; idx != fq->tail; idx = (idx + 1) & fq->mod_mask) {
		struct iova_fq_entry *e = &fq->entries[idx];

		if (e->counter >= counter)
			break;
		io_pgtable_free_list(hw, e->freelist);
		e->freelist = NULL;
		free_iova_fast(&cookie->iovad, e->iova_pfn, e->pages);
		IOMMU_EMIT(cookie_machine(cookie), EV_IOVA_FREE, .aux = cookie->fq_domain->id,
			   .addr = (u64)e->iova_pfn << iova_shift(&cookie->iovad),
			   .len = (u64)e->pages << iova_shift(&cookie->iovad), .count = 1);
		cookie->stats.fq_entries_freed++;
		cookie->stats.fq_depth--;
		fq->head = (fq->head + 1) & fq->mod_mask;
	}
}

static void fq_flush_iotlb(struct iommu_dma_cookie *cookie)
{
	cookie->fq_flush_start_cnt++;
	iommu_flush_iotlb_all(cookie->fq_domain);
	cookie->fq_flush_finish_cnt++;
	cookie->stats.fq_flushes++;
	IOMMU_EMIT(cookie_machine(cookie), EV_FQ_FLUSH, .aux = cookie->fq_domain->id,
		   .count = (unsigned int)cookie->fq_flush_finish_cnt);
}

static void fq_flush_timeout(struct iommu_dma_cookie *cookie)
{
	cookie->fq_timer_on = false;
	cookie->stats.fq_timer_runs++;
	fq_flush_iotlb(cookie);
	if (cookie->options.single_queue) {
		fq_ring_free_locked(cookie, cookie->single_fq);
	} else {
		for (unsigned int cpu = 0; cpu < cookie->nr_fq_cpus; cpu++)
			fq_ring_free_locked(cookie, cookie->percpu_fq[cpu]);
	}
}

static void queue_iova(struct iommu_dma_cookie *cookie, unsigned long pfn, unsigned long pages,
		       struct pt_table **freelist)
{
	struct iova_fq *fq;
	unsigned int idx;

	/* The ring of this CPU (or the single ring). No locks: one simulated thread at a time. */
	fq = cookie->options.single_queue ? cookie->single_fq :
					    cookie->percpu_fq[cookie_cpu(cookie)];

	/* First free what earlier flushes have released, to make room. */
	fq_ring_free_locked(cookie, fq);
	if (fq_full(fq)) {
		cookie->stats.fq_full_flushes++;
		fq_flush_iotlb(cookie);
		fq_ring_free_locked(cookie, fq);
	}

	idx = fq_ring_add(fq);
	fq->entries[idx].iova_pfn = pfn;
	fq->entries[idx].pages = pages;
	fq->entries[idx].counter = cookie->fq_flush_start_cnt;
	fq->entries[idx].freelist = *freelist;
	*freelist = NULL;
	cookie->stats.iova_queued++;
	if (++cookie->stats.fq_depth > cookie->stats.fq_depth_peak)
		cookie->stats.fq_depth_peak = cookie->stats.fq_depth;
	IOMMU_EMIT(cookie_machine(cookie), EV_IOVA_QUEUED, .aux = cookie->fq_domain->id,
		   .addr = (u64)pfn << iova_shift(&cookie->iovad),
		   .len = (u64)pages << iova_shift(&cookie->iovad),
		   .count = (unsigned int)fq->entries[idx].counter);

	if (!cookie->fq_timer_on) {
		cookie->fq_timer_on = true;
		cookie->fq_timer_deadline_ns =
			cookie_now(cookie) + (u64)cookie->options.fq_timeout * 1000000ULL;
	}
}

static struct iova_fq *iommu_dma_alloc_fq_ring(unsigned int fq_size)
{
	struct iova_fq *fq = calloc(1, sizeof(*fq) + (size_t)fq_size * sizeof(fq->entries[0]));

	if (fq)
		fq->mod_mask = fq_size - 1;
	return fq;
}

static void iommu_dma_free_fq_ring(struct iommu_dma_cookie *cookie, struct iova_fq *fq)
{
	if (!fq)
		return;
	for (unsigned int idx = fq->head; idx != fq->tail; idx = (idx + 1) & fq->mod_mask)
		io_pgtable_free_list(cookie->fq_domain->hw, fq->entries[idx].freelist);
	free(fq);
}

static void iommu_dma_free_fq(struct iommu_dma_cookie *cookie)
{
	if (!cookie->fq_domain)
		return;
	cookie->fq_timer_on = false; /* del_timer_sync() */
	if (cookie->options.single_queue) {
		iommu_dma_free_fq_ring(cookie, cookie->single_fq);
	} else if (cookie->percpu_fq) {
		for (unsigned int cpu = 0; cpu < cookie->nr_fq_cpus; cpu++)
			iommu_dma_free_fq_ring(cookie, cookie->percpu_fq[cpu]);
		free(cookie->percpu_fq);
	}
	cookie->single_fq = NULL;
	cookie->percpu_fq = NULL;
	cookie->fq_domain = NULL;
}

/* iommu_dma_init_fq(): the ring(s), the counters and the timer; the domain last. */
static int iommu_dma_init_fq(struct iommu_domain *domain)
{
	struct iommu_dma_cookie *cookie = domain->iova_cookie;
	unsigned int fq_size = cookie->options.fq_size;

	if (cookie->fq_domain)
		return 0;
	cookie->fq_flush_start_cnt = 0;
	cookie->fq_flush_finish_cnt = 0;
	if (cookie->options.single_queue) {
		cookie->single_fq = iommu_dma_alloc_fq_ring(fq_size);
		if (!cookie->single_fq)
			return -ENOMEM;
	} else {
		cookie->percpu_fq = calloc(cookie->nr_fq_cpus, sizeof(*cookie->percpu_fq));
		if (!cookie->percpu_fq)
			return -ENOMEM;
		for (unsigned int cpu = 0; cpu < cookie->nr_fq_cpus; cpu++) {
			cookie->percpu_fq[cpu] = iommu_dma_alloc_fq_ring(fq_size);
			if (!cookie->percpu_fq[cpu])
				goto out_free;
		}
	}
	cookie->fq_timer_on = false;
	cookie->fq_domain = domain;
	return 0;

out_free:
	for (unsigned int cpu = 0; cpu < cookie->nr_fq_cpus; cpu++)
		free(cookie->percpu_fq[cpu]);
	free(cookie->percpu_fq);
	cookie->percpu_fq = NULL;
	return -ENOMEM;
}

void iommu_dma_domain_run_timers(struct iommu_domain *domain, u64 now_ns)
{
	struct iommu_dma_cookie *cookie = domain->iova_cookie;

	if (!cookie)
		return;
	if (cookie->fq_domain && cookie->fq_timer_on && cookie->fq_timer_deadline_ns <= now_ns)
		fq_flush_timeout(cookie);
	iova_run_timers(&cookie->iovad, now_ns);
}

void iommu_dma_run_timers(struct machine *m)
{
	for (size_t i = 0; i < m->nr_iommus; i++) {
		for (struct iommu_domain *d = iommu_hw_domains(m->iommus[i]); d; d = d->next)
			iommu_dma_domain_run_timers(d, m->now_ns);
	}
}

/* --- cookie and domain set-up (reference §1.2) ------------------------------ */

int iommu_get_dma_cookie(struct iommu_domain *domain)
{
	struct iommu_dma_cookie *cookie;

	if (domain->iova_cookie)
		return -EEXIST;
	cookie = calloc(1, sizeof(*cookie));
	if (!cookie)
		return -ENOMEM;
	cookie->machine = domain->hw ? iommu_hw_machine(domain->hw) : NULL;
	cookie->nr_fq_cpus = 1;
	if (cookie->machine && cookie->machine->nr_cpus)
		cookie->nr_fq_cpus = cookie->machine->nr_cpus;
	domain->iova_cookie = cookie;
	return 0;
}

void iommu_put_dma_cookie(struct iommu_domain *domain)
{
	struct iommu_dma_cookie *cookie = domain->iova_cookie;

	if (!cookie)
		return;
	iommu_dma_free_fq(cookie);
	if (cookie->iovad.granule)
		put_iova_domain(&cookie->iovad);
	free(cookie);
	domain->iova_cookie = NULL;
}

static unsigned int roundup_pow2_uint(unsigned int n)
{
	unsigned int p = 1;

	while (p < n && p < (1U << 30))
		p <<= 1;
	return p;
}

static void iommu_dma_init_options(struct iommu_dma_options *options, struct device *dev,
				   const struct iommu_desc *desc)
{
	if (dev->shadow_on_flush) {
		options->single_queue = true;
		options->fq_size = IOVA_SINGLE_FQ_SIZE;
		options->fq_timeout = IOVA_SINGLE_FQ_TIMEOUT;
	} else {
		/* The topology may tune the per-CPU queue; a ring needs a power of two. */
		options->fq_size = roundup_pow2_uint(desc && desc->fq_size ? desc->fq_size :
									 IOVA_DEFAULT_FQ_SIZE);
		if (options->fq_size < 2)
			options->fq_size = 2;
		options->fq_timeout = desc && desc->fq_timeout_ms ? desc->fq_timeout_ms :
								    IOVA_DEFAULT_FQ_TIMEOUT;
	}
}

/* iova_reserve_pci_windows(): the host bridge's memory apertures, as bus addresses. */
static void iova_reserve_pci_windows(struct device *dev, struct iova_domain *iovad)
{
	const struct pci_host_bridge *host = dev->pdev ? dev->pdev->host : NULL;

	if (!host)
		return;
	for (size_t i = 0; i < host->nr_apertures; i++) {
		const struct pci_aperture *ap = &host->apertures[i];
		u64 bus_start = ap->cpu_base - ap->bus_offset;
		unsigned long lo, hi;

		if (!ap->size_bytes)
			continue;
		lo = iova_pfn(iovad, bus_start);
		hi = iova_pfn(iovad, bus_start + ap->size_bytes - 1);
		reserve_iova(iovad, lo, hi);
	}
}

/* x86 IOMMUs report the interrupt window as an IOMMU_RESV_MSI region. */
#define X86_MSI_RANGE_START 0xfee00000ULL
#define X86_MSI_RANGE_END 0xfeefffffULL

static int iova_reserve_iommu_regions(struct device *dev, struct iommu_domain *domain)
{
	struct iova_domain *iovad = &domain->iova_cookie->iovad;
	const struct iommu_desc *desc = iommu_hw_desc(domain->hw);

	iova_reserve_pci_windows(dev, iovad);
	if (desc->type == IOMMU_TYPE_INTEL_VTD || desc->type == IOMMU_TYPE_AMD_VI) {
		if (!reserve_iova(iovad, iova_pfn(iovad, X86_MSI_RANGE_START),
				  iova_pfn(iovad, X86_MSI_RANGE_END)))
			return -EINVAL;
	}
	/* SMMUv3's software MSI window (IOMMU_RESV_SW_MSI) is skipped, as the kernel does. */
	return 0;
}

int iommu_dma_init_domain(struct iommu_domain *domain, struct device *dev)
{
	struct iommu_dma_cookie *cookie = domain->iova_cookie;
	const struct bus_dma_region *map = dev->dma_range_map;
	struct iova_domain *iovad;
	unsigned long order, base_pfn;
	int ret;

	if (!cookie)
		return -EINVAL;
	iovad = &cookie->iovad;

	/* The smallest supported page size is the IOVA granule. */
	order = (unsigned long)__builtin_ctzll(domain->pgsize_bitmap);
	base_pfn = 1;

	/* The device's DMA range must overlap the aperture at all... */
	if (map) {
		u64 lo = ~0ULL, hi = 0;

		for (const struct bus_dma_region *r = map; r->size; r++) {
			if (r->dma_start < lo)
				lo = r->dma_start;
			if (r->dma_start + r->size - 1 > hi)
				hi = r->dma_start + r->size - 1;
		}
		if (lo > domain->geometry.aperture_end || hi < domain->geometry.aperture_start)
			return -EFAULT; /* "specified DMA range outside IOMMU capability" */
	}
	/* ...and the IOVA space starts at the aperture (never at 0). */
	if ((domain->geometry.aperture_start >> order) > base_pfn)
		base_pfn = domain->geometry.aperture_start >> order;

	/* start_pfn is nonzero for an initialised domain: only a compatible re-init is fine. */
	if (iovad->start_pfn) {
		if (1UL << order != iovad->granule || base_pfn != iovad->start_pfn)
			return -EFAULT; /* "Incompatible range for DMA domain" */
		return 0;
	}

	ret = init_iova_domain(iovad, 1UL << order, base_pfn);
	if (ret)
		return ret;
	if (cookie->machine)
		iova_domain_bind(iovad, cookie->machine->nr_cpus, &cookie->machine->cpu,
				 &cookie->machine->now_ns);
	ret = iova_domain_init_rcaches(iovad);
	if (ret)
		return ret;

	iommu_dma_init_options(&cookie->options, dev, iommu_hw_desc(domain->hw));

	/* Without a usable flush queue, lazy silently becomes strict. */
	if (domain->type == IOMMU_DOMAIN_DMA_FQ &&
	    (!iommu_hw_deferred_flush(domain->hw) || iommu_dma_init_fq(domain)))
		domain->type = IOMMU_DOMAIN_DMA;

	return iova_reserve_iommu_regions(dev, domain);
}

int iommu_setup_dma_ops(struct device *dev)
{
	struct iommu_domain *domain = dev->domain;
	int ret;

	dev->pci_32bit_workaround = true; /* !iommu_dma_forcedac */
	dev->dma_iommu = domain && (domain->type & __IOMMU_DOMAIN_DMA_API);
	if (!dev->dma_iommu)
		return 0;
	if (!domain->iova_cookie) {
		ret = iommu_get_dma_cookie(domain);
		if (ret)
			goto out_err;
	}
	ret = iommu_dma_init_domain(domain, dev);
	if (ret)
		goto out_err;
	return 0;

out_err:
	/* "Failed to set up IOMMU for device %s; retaining platform DMA ops" */
	dev->dma_iommu = false;
	return ret;
}

/* --- IOVA policy (reference §1.5) ----------------------------------------- */

dma_addr_t iommu_dma_alloc_iova(struct iommu_domain *domain, size_t size, u64 dma_limit,
				struct device *dev)
{
	struct iommu_dma_cookie *cookie = domain->iova_cookie;
	struct iova_domain *iovad = &cookie->iovad;
	unsigned long shift, iova_len, iova;

	shift = iova_shift(iovad);
	iova_len = size >> shift;

	if (dev->bus_dma_limit && (!dma_limit || dev->bus_dma_limit < dma_limit))
		dma_limit = dev->bus_dma_limit;
	if (domain->geometry.force_aperture && domain->geometry.aperture_end < dma_limit)
		dma_limit = domain->geometry.aperture_end;

	/*
	 * Try the 32-bit space first: enough hardware still mishandles
	 * dual-address cycles. The first failure switches it off for good.
	 */
	if (dma_limit > DMA_BIT_MASK(32) && dev->pci_32bit_workaround) {
		iova = alloc_iova_fast(iovad, iova_len, DMA_BIT_MASK(32) >> shift, false);
		if (iova)
			goto done;
		dev->pci_32bit_workaround = false; /* "Using %d-bit DMA addresses" */
		cookie->stats.iova_32bit_fallbacks++;
	}
	iova = alloc_iova_fast(iovad, iova_len, dma_limit >> shift, true);
done:
	if (iova)
		cookie->stats.iova_allocs++;
	else
		cookie->stats.iova_alloc_fails++;
	IOMMU_EMIT(cookie_machine(cookie), EV_IOVA_ALLOC, .dev = dev->pdev,
		   .addr = (u64)iova << shift, .len = size, .aux = domain->id,
		   .ret = iova ? 0 : -ENOMEM);
	return (dma_addr_t)iova << shift;
}

void iommu_dma_free_iova(struct iommu_domain *domain, dma_addr_t iova, size_t size,
			 struct iommu_iotlb_gather *gather)
{
	struct iommu_dma_cookie *cookie = domain->iova_cookie;
	struct iova_domain *iovad = &cookie->iovad;

	if (gather && gather->queued) {
		queue_iova(cookie, iova_pfn(iovad, iova), size >> iova_shift(iovad),
			   &gather->freelist);
		return;
	}
	free_iova_fast(iovad, iova_pfn(iovad, iova), size >> iova_shift(iovad));
	cookie->stats.iova_frees++;
	IOMMU_EMIT(cookie_machine(cookie), EV_IOVA_FREE, .addr = iova, .len = size,
		   .aux = domain->id);
}

int dma_info_to_prot(enum dma_data_direction dir, bool coherent, unsigned long attrs)
{
	int prot;

	if (attrs & DMA_ATTR_MMIO)
		prot = IOMMU_MMIO;
	else
		prot = coherent ? IOMMU_CACHE : 0;
	if (attrs & DMA_ATTR_PRIVILEGED)
		prot |= IOMMU_PRIV;
	switch (dir) {
	case DMA_BIDIRECTIONAL:
		return prot | IOMMU_READ | IOMMU_WRITE;
	case DMA_TO_DEVICE:
		return prot | IOMMU_READ;
	case DMA_FROM_DEVICE:
		return prot | IOMMU_WRITE;
	default:
		return 0;
	}
}

/* --- core single map / unmap (reference §3.2) -------------------------------- */

void __iommu_dma_unmap(struct device *dev, dma_addr_t dma_addr, size_t size)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct iommu_dma_cookie *cookie = domain->iova_cookie;
	struct iova_domain *iovad = &cookie->iovad;
	size_t iova_off = iova_offset(iovad, dma_addr);
	struct iommu_iotlb_gather iotlb_gather;
	size_t unmapped;

	dma_addr -= iova_off;
	size = iova_align(iovad, size + iova_off);
	iommu_iotlb_gather_init(&iotlb_gather);
	iotlb_gather.queued = cookie->fq_domain != NULL;

	unmapped = iommu_unmap_fast(domain, dma_addr, size, &iotlb_gather);
	if (unmapped != size) /* WARN_ON */
		cookie->stats.unmap_size_mismatches++;

	if (!iotlb_gather.queued)
		iommu_iotlb_sync(domain, &iotlb_gather);
	iommu_dma_free_iova(domain, dma_addr, size, &iotlb_gather);
}

dma_addr_t __iommu_dma_map(struct device *dev, phys_addr_t phys, size_t size, int prot,
			   u64 dma_mask)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct iommu_dma_cookie *cookie = domain->iova_cookie;
	struct iova_domain *iovad = &cookie->iovad;
	size_t iova_off = iova_offset(iovad, phys);
	dma_addr_t iova;

	/* The allocator cannot honour a min_align_mask above the granule. */
	if (dma_get_min_align_mask(dev) > iova_mask(iovad))
		return DMA_MAPPING_ERROR; /* dev_WARN_ONCE "Unsupported alignment constraint" */

	size = iova_align(iovad, size + iova_off);
	iova = iommu_dma_alloc_iova(domain, size, dma_mask, dev);
	if (!iova)
		return DMA_MAPPING_ERROR;

	if (iommu_map(domain, iova, phys - iova_off, size, prot)) {
		iommu_dma_free_iova(domain, iova, size, NULL);
		return DMA_MAPPING_ERROR;
	}
	return iova + iova_off;
}

/* The run's kernel profile switch @field (--inject), false without a profile. */
#define DEV_PROFILE_SET(dev, field) \
	((dev)->p2pdma && (dev)->p2pdma->profile && (dev)->p2pdma->profile->field)

/* --- swiotlb decision (reference §3.1, §3.3) ---------------------------------- */

static bool dev_use_swiotlb(struct device *dev, size_t size, enum dma_data_direction dir)
{
	return dev_is_untrusted(dev) || dma_kmalloc_needs_bounce(dev, size, dir);
}

static bool dev_use_sg_swiotlb(struct device *dev, struct scatterlist *sg, int nents,
			       enum dma_data_direction dir)
{
	if (dev_is_untrusted(dev))
		return true;
	/* kmalloc buffers unsafe for this device: any badly sized segment bounces the list. */
	if (!dma_kmalloc_safe(dev, dir)) {
		for (int i = 0; i < nents; i++)
			if (!dma_kmalloc_size_aligned(sg[i].length))
				return true;
	}
	return false;
}

static bool iova_unaligned(struct iova_domain *iovad, phys_addr_t phys, size_t size)
{
	return iova_offset(iovad, phys | size) != 0;
}

static phys_addr_t iommu_dma_map_swiotlb(struct device *dev, phys_addr_t phys, size_t size,
					 enum dma_data_direction dir, unsigned long attrs)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct iova_domain *iovad = &domain->iova_cookie->iovad;

	if (!is_swiotlb_active(dev))
		return (phys_addr_t)DMA_MAPPING_ERROR; /* "DMA bounce buffers are inactive..." */

	phys = swiotlb_tbl_map_single(dev, phys, size, (unsigned int)iova_mask(iovad), dir, attrs);

	/* Untrusted devices must not see stale data in the padding of the bounce granule(s). */
	if (phys != (phys_addr_t)DMA_MAPPING_ERROR && dev_is_untrusted(dev) && dev->machine &&
	    dev->machine->mem) {
		phys_addr_t start = iova_align_down(iovad, phys);

		if (phys > start)
			phys_mem_fill(dev->machine->mem, start, 0, phys - start);
		start = phys + size;
		if (iova_align(iovad, start) > start)
			phys_mem_fill(dev->machine->mem, start, 0,
				      iova_align(iovad, start) - start);
	}
	domain->iova_cookie->stats.bounced_maps += phys != (phys_addr_t)DMA_MAPPING_ERROR;
	return phys;
}

dma_addr_t iommu_dma_map_phys(struct device *dev, phys_addr_t phys, size_t size,
			      enum dma_data_direction dir, unsigned long attrs)
{
	bool coherent = dev_is_dma_coherent(dev);
	int prot = dma_info_to_prot(dir, coherent, attrs);
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct iova_domain *iovad = &domain->iova_cookie->iovad;
	dma_addr_t iova, dma_mask = dma_get_mask(dev);

	/* A granule-aligned start and size never bounce, even for untrusted devices. */
	if (dev_use_swiotlb(dev, size, dir) && iova_unaligned(iovad, phys, size)) {
		if (attrs & (DMA_ATTR_MMIO | DMA_ATTR_REQUIRE_COHERENT))
			return DMA_MAPPING_ERROR;
		phys = iommu_dma_map_swiotlb(dev, phys, size, dir, attrs);
		if (phys == (phys_addr_t)DMA_MAPPING_ERROR)
			return DMA_MAPPING_ERROR;
	}

	if (!coherent && !(attrs & (DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_MMIO)))
		arch_sync_dma_for_device(dev, phys, size, dir);

	iova = __iommu_dma_map(dev, phys, size, prot, dma_mask);
	if (iova == DMA_MAPPING_ERROR && !(attrs & (DMA_ATTR_MMIO | DMA_ATTR_REQUIRE_COHERENT)) &&
	    is_swiotlb_buffer(dev, phys))
		swiotlb_tbl_unmap_single(dev, phys, size, dir, attrs);
	return iova;
}

void iommu_dma_unmap_phys(struct device *dev, dma_addr_t dma_handle, size_t size,
			  enum dma_data_direction dir, unsigned long attrs)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	phys_addr_t phys;

	if (attrs & (DMA_ATTR_MMIO | DMA_ATTR_REQUIRE_COHERENT)) {
		__iommu_dma_unmap(dev, dma_handle, size);
		return;
	}

	phys = iommu_iova_to_phys(domain, dma_handle);
	if (!phys) { /* WARN_ON: nothing mapped there; the IOVA (if any) stays allocated */
		domain->iova_cookie->stats.unmap_not_mapped++;
		return;
	}

	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) && !dev_is_dma_coherent(dev))
		arch_sync_dma_for_cpu(dev, phys, size, dir);

	__iommu_dma_unmap(dev, dma_handle, size);

	/* Bounce back and free the slots, only if phys is a swiotlb address. */
	if (is_swiotlb_buffer(dev, phys))
		swiotlb_tbl_unmap_single(dev, phys, size, dir, attrs);
}

/* --- syncs ------------------------------------------------------------------ */

void iommu_dma_sync_single_for_cpu(struct device *dev, dma_addr_t dma_handle, size_t size,
				   enum dma_data_direction dir)
{
	phys_addr_t phys;

	if (dev_is_dma_coherent(dev) && !dev_use_swiotlb(dev, size, dir))
		return;
	phys = iommu_iova_to_phys(iommu_get_dma_domain(dev), dma_handle);
	if (!dev_is_dma_coherent(dev))
		arch_sync_dma_for_cpu(dev, phys, size, dir);
	if (is_swiotlb_buffer(dev, phys))
		swiotlb_sync_single_for_cpu(dev, phys, size, dir);
}

void iommu_dma_sync_single_for_device(struct device *dev, dma_addr_t dma_handle, size_t size,
				      enum dma_data_direction dir)
{
	phys_addr_t phys;

	if (dev_is_dma_coherent(dev) && !dev_use_swiotlb(dev, size, dir))
		return;
	phys = iommu_iova_to_phys(iommu_get_dma_domain(dev), dma_handle);
	if (is_swiotlb_buffer(dev, phys))
		swiotlb_sync_single_for_device(dev, phys, size, dir);
	if (!dev_is_dma_coherent(dev))
		arch_sync_dma_for_device(dev, phys, size, dir);
}

void iommu_dma_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl, int nelems,
			       enum dma_data_direction dir)
{
	if (sg_dma_is_swiotlb(sgl)) {
		for (int i = 0; i < nelems; i++)
			iommu_dma_sync_single_for_cpu(dev, sgl[i].dma_address, sgl[i].length, dir);
	} else if (!dev_is_dma_coherent(dev)) {
		for (int i = 0; i < nelems; i++)
			arch_sync_dma_for_cpu(dev, sg_phys(&sgl[i]), sgl[i].length, dir);
	}
}

void iommu_dma_sync_sg_for_device(struct device *dev, struct scatterlist *sgl, int nelems,
				  enum dma_data_direction dir)
{
	if (sg_dma_is_swiotlb(sgl)) {
		for (int i = 0; i < nelems; i++)
			iommu_dma_sync_single_for_device(dev, sgl[i].dma_address, sgl[i].length,
							 dir);
	} else if (!dev_is_dma_coherent(dev)) {
		for (int i = 0; i < nelems; i++)
			arch_sync_dma_for_device(dev, sg_phys(&sgl[i]), sgl[i].length, dir);
	}
}

/* --- scatter-gather (reference §3.4) ----------------------------------------- */

/*
 * Turn the rewritten list back into the caller's segments and write the DMA
 * side: consecutive segments that continue an IOVA granule run merge into
 * one output segment (unless at a segment boundary or over max_seg_size);
 * bus-address segments are copied through.
 */
static int __finalise_sg(struct device *dev, struct scatterlist *sg, int nents,
			 dma_addr_t dma_addr)
{
	struct scatterlist *cur = sg;
	unsigned long seg_mask = dma_get_seg_boundary(dev);
	unsigned int cur_len = 0, max_len = dma_get_max_seg_size(dev);
	int count = 0;

	for (int i = 0; i < nents; i++) {
		struct scatterlist *s = &sg[i];
		/* Restore this segment's original unaligned fields first. */
		dma_addr_t s_dma_addr = s->dma_address;
		unsigned int s_iova_off = (unsigned int)s->dma_address;
		unsigned int s_length = s->dma_length;
		unsigned int s_iova_len = s->length;

		s->dma_address = DMA_MAPPING_ERROR;
		s->dma_length = 0;

		if (sg_dma_is_bus_address(s)) {
			if (i > 0)
				cur++;
			sg_dma_unmark_bus_address(s);
			cur->dma_address = s_dma_addr;
			cur->dma_length = s_length;
			sg_dma_mark_bus_address(cur);
			count++;
			cur_len = 0;
			continue;
		}

		s->offset += s_iova_off;
		s->length = s_length;

		/*
		 * Append to the current output segment if there is one, this
		 * segment starts on a granule, the address is not at a segment
		 * boundary and the result is not too long.
		 */
		if (cur_len && !s_iova_off && (dma_addr & seg_mask) &&
		    (max_len - cur_len >= s_length)) {
			cur_len += s_length;
		} else {
			if (i > 0)
				cur++;
			cur_len = s_length;
			count++;
			cur->dma_address = dma_addr + s_iova_off;
		}

		cur->dma_length = cur_len;
		dma_addr += s_iova_len;

		if (s_length + s_iova_off < s_iova_len)
			cur_len = 0;
	}
	return count;
}

/* Undo the layout pass after a failure: original offsets and lengths, no DMA fields. */
static void __invalidate_sg(struct scatterlist *sg, int nents)
{
	for (int i = 0; i < nents; i++) {
		struct scatterlist *s = &sg[i];

		if (sg_dma_is_bus_address(s)) {
			sg_dma_unmark_bus_address(s);
		} else {
			if (s->dma_address != DMA_MAPPING_ERROR)
				s->offset += (unsigned int)s->dma_address;
			if (s->dma_length)
				s->length = s->dma_length;
		}
		s->dma_address = DMA_MAPPING_ERROR;
		s->dma_length = 0;
	}
}

static void iommu_dma_unmap_sg_swiotlb(struct device *dev, struct scatterlist *sg, int nents,
				       enum dma_data_direction dir, unsigned long attrs)
{
	for (int i = 0; i < nents; i++)
		iommu_dma_unmap_phys(dev, sg[i].dma_address, sg[i].dma_length, dir, attrs);
}

static int iommu_dma_map_sg_swiotlb(struct device *dev, struct scatterlist *sg, int nents,
				    enum dma_data_direction dir, unsigned long attrs)
{
	int i;

	sg_dma_mark_swiotlb(sg);
	for (i = 0; i < nents; i++) {
		struct scatterlist *s = &sg[i];

		s->dma_address = iommu_dma_map_phys(dev, sg_phys(s), s->length, dir, attrs);
		if (s->dma_address == DMA_MAPPING_ERROR)
			goto out_unmap;
		s->dma_length = s->length;
	}
	return nents;

out_unmap:
	iommu_dma_unmap_sg_swiotlb(dev, sg, i, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
	return -EIO;
}

int iommu_dma_map_sg(struct device *dev, struct scatterlist *sg, int nents,
		     enum dma_data_direction dir, unsigned long attrs)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct iommu_dma_cookie *cookie = domain->iova_cookie;
	struct iova_domain *iovad = &cookie->iovad;
	struct scatterlist *prev = NULL;
	int prot = dma_info_to_prot(dir, dev_is_dma_coherent(dev), attrs);
	struct pci_p2pdma_map_state p2pdma_state = { 0 };
	unsigned long mask = dma_get_seg_boundary(dev);
	size_t iova_len = 0;
	dma_addr_t iova;
	ssize_t ret;

	if (nents <= 0 || !sg) /* nothing to map (the kernel would touch sg[0]) */
		return 0;
	if (dev_use_sg_swiotlb(dev, sg, nents, dir))
		return iommu_dma_map_sg_swiotlb(dev, sg, nents, dir, attrs);

	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		iommu_dma_sync_sg_for_device(dev, sg, nents, dir);

	/*
	 * Work out how much IOVA space is needed and align each segment to
	 * IOVA granules for the driver, in place but reversibly: the
	 * unaligned parts are stashed in the not-yet-used DMA fields.
	 */
	for (int i = 0; i < nents; i++) {
		struct scatterlist *s = &sg[i];
		size_t s_iova_off = iova_offset(iovad, s->offset);
		size_t s_length = s->length;
		size_t pad_len = (mask - iova_len + 1) & mask;
		enum pci_p2pdma_map_type map = PCI_P2PDMA_MAP_NONE;

		if (dev->p2pdma)
			map = pci_p2pdma_state(dev->p2pdma, &p2pdma_state, dev->pdev,
					       s->page_phys);
		switch (map) {
		case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
			/* Through the host bridge: a normal IOVA mapping. */
			break;
		case PCI_P2PDMA_MAP_NONE:
			break;
		case PCI_P2PDMA_MAP_BUS_ADDR:
			/*
			 * iommu_map_sg() skips it, __finalise_sg() copies the bus
			 * address out. The kernel reads the list head's length
			 * here (sg->length, a latent bug); the segment's own
			 * length is what is meant and what is used.
			 */
			s->dma_address = pci_p2pdma_bus_addr_map(p2pdma_state.mem, sg_phys(s));
			/* `--inject iommu-sg-head-len`: the kernel's sg->length (the head) */
			if (dev->p2pdma->profile &&
			    dev->p2pdma->profile->iommu_dma_sg_bus_len_from_head)
				s->dma_length = sg->length;
			else
				s->dma_length = s->length;
			sg_dma_mark_bus_address(s);
			continue;
		default:
			ret = -EREMOTEIO;
			goto out_restore_sg;
		}

		s->dma_address = s_iova_off;
		s->dma_length = (unsigned int)s_length;
		s->offset -= (unsigned int)s_iova_off;
		s_length = iova_align(iovad, s_length + s_iova_off);
		s->length = (unsigned int)s_length;

		/*
		 * The single IOVA allocation is size-aligned, so a boundary
		 * mask smaller than it means the range starts on a boundary:
		 * padding by lengths alone keeps segments from crossing one.
		 * pad_len is 0 while iova_len is 0, so prev is set by then.
		 */
		if (pad_len && pad_len < s_length - 1) {
			prev->length += (unsigned int)pad_len;
			iova_len += pad_len;
		}

		iova_len += s_length;
		prev = s;
	}

	if (!iova_len)
		return __finalise_sg(dev, sg, nents, 0);

	iova = iommu_dma_alloc_iova(domain, iova_len, dma_get_mask(dev), dev);
	if (!iova) {
		ret = -ENOMEM;
		goto out_restore_sg;
	}

	/* Physical concatenation is left to iommu_map_sg(). */
	ret = iommu_map_sg(domain, iova, sg, (unsigned int)nents, prot);
	if (ret < 0 || (size_t)ret < iova_len)
		goto out_free_iova;

	return __finalise_sg(dev, sg, nents, iova);

out_free_iova:
	iommu_dma_free_iova(domain, iova, iova_len, NULL);
out_restore_sg:
	__invalidate_sg(sg, nents);
	if (ret != -ENOMEM && ret != -EREMOTEIO)
		return -EINVAL;
	return (int)ret;
}

void iommu_dma_unmap_sg(struct device *dev, struct scatterlist *sg, int nents,
			enum dma_data_direction dir, unsigned long attrs)
{
	dma_addr_t end = 0, start = 0;
	int i;

	if (nents <= 0 || !sg)
		return;
	if (sg_dma_is_swiotlb(sg)) {
		iommu_dma_unmap_sg_swiotlb(dev, sg, nents, dir, attrs);
		return;
	}

	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		iommu_dma_sync_sg_for_cpu(dev, sg, nents, dir);

	/* The IOVA segments share one allocation: find its start and end. */
	for (i = 0; i < nents; i++) {
		if (sg_dma_is_bus_address(&sg[i])) {
			sg_dma_unmark_bus_address(&sg[i]);
			continue;
		}
		if (sg[i].dma_length == 0)
			break;
		start = sg[i].dma_address;
		break;
	}
	for (; i < nents; i++) {
		if (sg_dma_is_bus_address(&sg[i])) {
			sg_dma_unmark_bus_address(&sg[i]);
			continue;
		}
		if (sg[i].dma_length == 0)
			break;
		end = sg[i].dma_address + sg[i].dma_length;
	}

	if (end)
		__iommu_dma_unmap(dev, start, end - start);
}

/* --- the two-step IOVA API (reference §3.5) --------------------------------- */

bool dma_iova_try_alloc(struct device *dev, struct dma_iova_state *state, phys_addr_t phys,
			size_t size)
{
	struct iommu_domain *domain;
	struct iova_domain *iovad;
	size_t iova_off;
	dma_addr_t addr;

	memset(state, 0, sizeof(*state));
	if (!use_dma_iommu(dev))
		return false;
	domain = iommu_get_dma_domain(dev);
	iovad = &domain->iova_cookie->iovad;
	iova_off = iova_offset(iovad, phys);

	if (!size || (size & DMA_IOVA_USE_SWIOTLB)) /* WARN_ON_ONCE */
		return false;

	addr = iommu_dma_alloc_iova(domain, iova_align(iovad, size + iova_off), dma_get_mask(dev),
				    dev);
	if (!addr)
		return false;

	state->addr = addr + iova_off;
	state->__size = size;
	return true;
}

void dma_iova_free(struct device *dev, struct dma_iova_state *state)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct iova_domain *iovad = &domain->iova_cookie->iovad;
	size_t iova_start_pad = iova_offset(iovad, state->addr);
	size_t size = dma_iova_size(state);

	iommu_dma_free_iova(domain, state->addr - iova_start_pad,
			    iova_align(iovad, size + iova_start_pad), NULL);
}

static int __dma_iova_link(struct device *dev, dma_addr_t addr, phys_addr_t phys, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	bool coherent = dev_is_dma_coherent(dev);

	if (!coherent && !(attrs & (DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_MMIO)))
		arch_sync_dma_for_device(dev, phys, size, dir);
	return iommu_map_nosync(iommu_get_dma_domain(dev), addr, phys, size,
				dma_info_to_prot(dir, coherent, attrs));
}

static int iommu_dma_iova_bounce_and_link(struct device *dev, dma_addr_t addr, phys_addr_t phys,
					  size_t bounce_len, enum dma_data_direction dir,
					  unsigned long attrs, size_t iova_start_pad)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct iova_domain *iovad = &domain->iova_cookie->iovad;
	phys_addr_t bounce_phys;
	int error;

	bounce_phys = iommu_dma_map_swiotlb(dev, phys, bounce_len, dir, attrs);
	if (bounce_phys == (phys_addr_t)DMA_MAPPING_ERROR)
		return -ENOMEM;

	/*
	 * Granule-aligned only if swiotlb kept phys's offset in the granule,
	 * i.e. the device's min_align_mask covers it; else iommu_map says -EINVAL.
	 */
	error = __dma_iova_link(dev, addr - iova_start_pad, bounce_phys - iova_start_pad,
				iova_align(iovad, bounce_len), dir, attrs);
	if (error)
		swiotlb_tbl_unmap_single(dev, bounce_phys, bounce_len, dir, attrs);
	return error;
}

static void __iommu_dma_iova_unlink(struct device *dev, struct dma_iova_state *state,
				    size_t offset, size_t size, enum dma_data_direction dir,
				    unsigned long attrs, bool free_iova);

static int iommu_dma_iova_link_swiotlb(struct device *dev, struct dma_iova_state *state,
				       phys_addr_t phys, size_t offset, size_t size,
				       enum dma_data_direction dir, unsigned long attrs)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct iova_domain *iovad = &domain->iova_cookie->iovad;
	size_t iova_start_pad = iova_offset(iovad, phys);
	size_t iova_end_pad = iova_offset(iovad, phys + size);
	dma_addr_t addr = state->addr + offset;
	size_t mapped = 0;
	int error;

	/* Head: the partial first granule is bounced. */
	if (iova_start_pad) {
		size_t bounce_len = size < iovad->granule - iova_start_pad ?
					    size :
					    iovad->granule - iova_start_pad;

		error = iommu_dma_iova_bounce_and_link(dev, addr, phys, bounce_len, dir, attrs,
						       iova_start_pad);
		if (error)
			return error;
		state->__size |= DMA_IOVA_USE_SWIOTLB;

		mapped += bounce_len;
		size -= bounce_len;
		if (!size)
			return 0;
	}

	/*
	 * Middle: whole granules, linked directly (skipped when empty: 6ec91df8aff7).
	 * Kernel profile switch (--inject iova-link-swiotlb): before the fix, an
	 * empty middle went to iommu_map_nosync() too, which iommupt refuses.
	 */
	size -= iova_end_pad;
	if (size || DEV_PROFILE_SET(dev, iova_link_swiotlb_old_unwind)) {
		error = __dma_iova_link(dev, addr + mapped, phys + mapped, size, dir, attrs);
		if (error)
			goto out_unmap;
		mapped += size;
	}

	/* Tail: the partial last granule is bounced. */
	if (iova_end_pad) {
		error = iommu_dma_iova_bounce_and_link(dev, addr + mapped, phys + mapped,
						       iova_end_pad, dir, attrs, 0);
		if (error)
			goto out_unmap;
		state->__size |= DMA_IOVA_USE_SWIOTLB;
	}
	return 0;

out_unmap:
	/*
	 * Undo this link only, from its own offset (6ec91df8aff7): dma_iova_unlink()
	 * upstream; its body here, so that the undo emits no EV_IOVA_UNLINK of its own.
	 */
	if (DEV_PROFILE_SET(dev, iova_link_swiotlb_old_unwind))
		/* before 6ec91df8aff7: dma_iova_unlink(dev, state, 0, mapped, ...) */
		__iommu_dma_iova_unlink(dev, state, 0, mapped, dir, attrs, false);
	else if (mapped)
		__iommu_dma_iova_unlink(dev, state, offset, mapped, dir, attrs, false);
	return error;
}

/* dma_iova_link() upstream; the exported one below adds the EV_IOVA_LINK event. */
static int iommu_dma_iova_link(struct device *dev, struct dma_iova_state *state,
			       phys_addr_t phys, size_t offset, size_t size,
			       enum dma_data_direction dir, unsigned long attrs)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct iova_domain *iovad = &domain->iova_cookie->iovad;
	size_t iova_start_pad = iova_offset(iovad, phys);

	/* Only the first link (offset 0) may start inside a granule. */
	if (iova_start_pad && offset > 0) /* WARN_ON_ONCE */
		return -EIO;

	if ((state->__size & DMA_IOVA_USE_SWIOTLB) && (attrs & DMA_ATTR_REQUIRE_COHERENT))
		return -EOPNOTSUPP; /* WARN_ON_ONCE */
	if (!dev_is_dma_coherent(dev) && (attrs & DMA_ATTR_REQUIRE_COHERENT))
		return -EOPNOTSUPP;

	if (dev_use_swiotlb(dev, size, dir) && iova_unaligned(iovad, phys, size)) {
		if (attrs & (DMA_ATTR_MMIO | DMA_ATTR_REQUIRE_COHERENT))
			return -EPERM;
		return iommu_dma_iova_link_swiotlb(dev, state, phys, offset, size, dir, attrs);
	}

	/* No check that offset + size fits the reservation, as upstream. */
	return __dma_iova_link(dev, state->addr + offset - iova_start_pad, phys - iova_start_pad,
			       iova_align(iovad, size + iova_start_pad), dir, attrs);
}

/* The call as the caller made it, with its outcome: the checkers' two-step rules. */
int dma_iova_link(struct device *dev, struct dma_iova_state *state, phys_addr_t phys,
		  size_t offset, size_t size, enum dma_data_direction dir, unsigned long attrs)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	int ret = iommu_dma_iova_link(dev, state, phys, offset, size, dir, attrs);

	IOMMU_EMIT(cookie_machine(domain->iova_cookie), EV_IOVA_LINK, .dev = dev->pdev,
		   .addr = state->addr + offset, .phys = phys, .len = size, .dir = dir,
		   .attrs = attrs, .aux = domain->id, .ret = ret);
	return ret;
}

int dma_iova_sync(struct device *dev, struct dma_iova_state *state, size_t offset, size_t size)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct iova_domain *iovad = &domain->iova_cookie->iovad;
	dma_addr_t addr = state->addr + offset;
	size_t iova_start_pad = iova_offset(iovad, addr);

	return iommu_sync_map(domain, addr - iova_start_pad,
			      iova_align(iovad, size + iova_start_pad));
}

/* Granule by granule: CPU cache maintenance and swiotlb copy-back / release. */
static void iommu_dma_iova_unlink_range_slow(struct device *dev, dma_addr_t addr, size_t size,
					     enum dma_data_direction dir, unsigned long attrs)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct iova_domain *iovad = &domain->iova_cookie->iovad;
	size_t iova_start_pad = iova_offset(iovad, addr);
	dma_addr_t end = addr + size;

	do {
		phys_addr_t phys = iommu_iova_to_phys(domain, addr);
		size_t len;

		if (!phys) { /* WARN_ON: nothing linked here */
			/*
			 * Kernel profile switch (--inject iova-unlink-zero): the v5
			 * series had `continue` here, which re-tests addr < end
			 * without advancing addr: the same lookup forever. The
			 * model records the livelock and gets out.
			 */
			if (DEV_PROFILE_SET(dev, iova_unlink_zero_spins))
				IOMMU_EMIT(cookie_machine(domain->iova_cookie), EV_KERNEL_HANG,
					   .dev = dev->pdev, .addr = addr, .aux = domain->id,
					   .flags = HANG_IOVA_UNLINK_SLOW);
			return;
		}
		len = iovad->granule - iova_start_pad;
		if (end - addr < len)
			len = end - addr;
		if (!dev_is_dma_coherent(dev) &&
		    !(attrs & (DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_MMIO)))
			arch_sync_dma_for_cpu(dev, phys, len, dir);
		if (is_swiotlb_buffer(dev, phys))
			swiotlb_tbl_unmap_single(dev, phys, len, dir, attrs);
		addr += len;
		iova_start_pad = 0;
	} while (addr < end);
}

static void __iommu_dma_iova_unlink(struct device *dev, struct dma_iova_state *state,
				    size_t offset, size_t size, enum dma_data_direction dir,
				    unsigned long attrs, bool free_iova)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct iommu_dma_cookie *cookie = domain->iova_cookie;
	struct iova_domain *iovad = &cookie->iovad;
	dma_addr_t addr = state->addr + offset;
	size_t iova_start_pad = iova_offset(iovad, addr);
	struct iommu_iotlb_gather iotlb_gather;
	size_t unmapped;

	if ((state->__size & DMA_IOVA_USE_SWIOTLB) ||
	    (!dev_is_dma_coherent(dev) && !(attrs & (DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_MMIO))))
		iommu_dma_iova_unlink_range_slow(dev, addr, size, dir, attrs);

	iommu_iotlb_gather_init(&iotlb_gather);
	/* Only a destroy may defer: a bare unlink keeps the IOVA, so it must sync now. */
	iotlb_gather.queued = free_iova && cookie->fq_domain != NULL;

	size = iova_align(iovad, size + iova_start_pad);
	addr -= iova_start_pad;
	unmapped = iommu_unmap_fast(domain, addr, size, &iotlb_gather);
	if (unmapped != size) /* WARN_ON */
		cookie->stats.unmap_size_mismatches++;

	if (!iotlb_gather.queued)
		iommu_iotlb_sync(domain, &iotlb_gather);
	/* Freed with the unlinked size, not the reserved one: the size-class quirk (§3.5). */
	if (free_iova)
		iommu_dma_free_iova(domain, addr, size, &iotlb_gather);
}

void dma_iova_unlink(struct device *dev, struct dma_iova_state *state, size_t offset, size_t size,
		     enum dma_data_direction dir, unsigned long attrs)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);

	/* Before the work: the checkers judge the call against the links made so far. */
	IOMMU_EMIT(cookie_machine(domain->iova_cookie), EV_IOVA_UNLINK, .dev = dev->pdev,
		   .addr = state->addr + offset, .len = size, .dir = dir, .attrs = attrs,
		   .aux = domain->id);
	__iommu_dma_iova_unlink(dev, state, offset, size, dir, attrs, false);
}

void dma_iova_destroy(struct device *dev, struct dma_iova_state *state, size_t mapped_len,
		      enum dma_data_direction dir, unsigned long attrs)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);

	/* flags=1: the IOVA is freed after the unlink (EV_IOVA_FREE / _QUEUED follow). */
	IOMMU_EMIT(cookie_machine(domain->iova_cookie), EV_IOVA_UNLINK, .dev = dev->pdev,
		   .addr = state->addr, .len = mapped_len, .dir = dir, .attrs = attrs,
		   .aux = domain->id, .flags = 1);
	if (mapped_len)
		__iommu_dma_iova_unlink(dev, state, 0, mapped_len, dir, attrs, true);
	else
		/* The first link failed: nothing to unlink, the whole reservation goes. */
		dma_iova_free(dev, state);
}

/* --- sizes ------------------------------------------------------------------ */

size_t iommu_dma_max_mapping_size(struct device *dev)
{
	if (dev_is_untrusted(dev))
		return swiotlb_max_mapping_size(dev);
	return SIZE_MAX;
}

size_t iommu_dma_opt_mapping_size(void)
{
	return iova_rcache_range();
}

unsigned long iommu_dma_get_merge_boundary(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);

	if (!domain || !domain->iova_cookie || !(domain->type & __IOMMU_DOMAIN_DMA_API))
		return 0;
	return domain->iova_cookie->iovad.granule - 1;
}

/* --- inspection --------------------------------------------------------------- */

struct iova_domain *iommu_dma_iovad(struct iommu_domain *domain)
{
	return domain->iova_cookie ? &domain->iova_cookie->iovad : NULL;
}

const struct iommu_dma_stats *iommu_dma_stats(const struct iommu_domain *domain)
{
	return domain->iova_cookie ? &domain->iova_cookie->stats : NULL;
}

bool iommu_dma_fq_active(const struct iommu_domain *domain)
{
	return domain->iova_cookie && domain->iova_cookie->fq_domain;
}

unsigned long iommu_dma_fq_depth(const struct iommu_domain *domain)
{
	return domain->iova_cookie ? (unsigned long)domain->iova_cookie->stats.fq_depth : 0;
}

u64 iommu_dma_fq_flush_start_cnt(const struct iommu_domain *domain)
{
	return domain->iova_cookie ? domain->iova_cookie->fq_flush_start_cnt : 0;
}

u64 iommu_dma_fq_flush_finish_cnt(const struct iommu_domain *domain)
{
	return domain->iova_cookie ? domain->iova_cookie->fq_flush_finish_cnt : 0;
}

u64 iommu_dma_fq_timer_deadline(const struct iommu_domain *domain)
{
	const struct iommu_dma_cookie *cookie = domain->iova_cookie;

	return cookie && cookie->fq_timer_on ? cookie->fq_timer_deadline_ns : 0;
}
