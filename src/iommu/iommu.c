// SPDX-License-Identifier: GPL-2.0-only
// Follows drivers/iommu/iommu.c, Linux v7.0-era (linux-kotlin a663adb68e0e), map_pages path.
/*
 * iommu.c - the IOMMU core: the page-size split, map / unmap through the
 * driver ops with the unwind on failure, scatter-gather mapping with
 * physical merging, the IOTLB gather, domain allocation / attach, and the
 * per-device default-domain probe.
 *
 * Owned here: nothing long-lived; domains are allocated by the unit's
 * driver (models/iommu) and their dma-iommu cookie by dma-iommu.c.
 *
 * The 7.0 generic page-table (iommupt) path is not modelled: every unit
 * goes through ops->map_pages / ops->unmap_pages, the legacy path, whose
 * errno values are: -EINVAL (not a paging domain, unaligned), -ENODEV (no
 * map_pages op or empty page-size bitmap). One iommupt rule is kept: a
 * 0-length map is -EINVAL (what made 6ec91df8aff7's empty middle fail).
 */
#include <errno.h>

#include "src/iommu/dma-iommu.h"
#include "src/iommu/iommu.h"

static unsigned int __ffs64(u64 x)
{
	return (unsigned int)__builtin_ctzll(x);
}

static unsigned int __fls64(u64 x)
{
	return 63 - (unsigned int)__builtin_clzll(x);
}

static u64 genmask64(unsigned int hi)
{
	return hi >= 63 ? ~0ULL : (1ULL << (hi + 1)) - 1;
}

/* --- gather ---------------------------------------------------------------- */

void iommu_iotlb_sync(struct iommu_domain *domain, struct iommu_iotlb_gather *iotlb_gather)
{
	if (domain->ops && domain->ops->iotlb_sync)
		domain->ops->iotlb_sync(domain, iotlb_gather);
	iommu_iotlb_gather_init(iotlb_gather);
}

void iommu_iotlb_gather_add_page(struct iommu_domain *domain, struct iommu_iotlb_gather *gather,
				 unsigned long iova, size_t size)
{
	/*
	 * A different page size needs its own invalidation on some hardware,
	 * and a disjoint range would over-invalidate: sync what is pending.
	 */
	if ((gather->pgsize && gather->pgsize != size) ||
	    iommu_iotlb_gather_is_disjoint(gather, iova, size))
		iommu_iotlb_sync(domain, gather);
	gather->pgsize = size;
	iommu_iotlb_gather_add_range(gather, iova, size);
}

void iommu_flush_iotlb_all(struct iommu_domain *domain)
{
	if (domain->ops && domain->ops->flush_iotlb_all)
		domain->ops->flush_iotlb_all(domain);
}

/* --- page-size split --------------------------------------------------------- */

size_t iommu_pgsize(struct iommu_domain *domain, unsigned long iova, phys_addr_t paddr,
		    size_t size, size_t *count)
{
	unsigned int pgsize_idx, pgsize_idx_next;
	u64 pgsizes, addr_merge = paddr | iova;
	size_t offset, pgsize, pgsize_next, size_next;

	/*
	 * Fast path, same result as the general one: exactly one smallest
	 * page (the alignment to it was checked by the caller).
	 */
	if (size == (size_t)1 << __ffs64(domain->pgsize_bitmap)) {
		if (count)
			*count = 1;
		return size;
	}
	/* Page sizes supported by the hardware and small enough for @size */
	pgsizes = domain->pgsize_bitmap & genmask64(__fls64(size));
	/* ... and allowed by the joint alignment of iova and paddr */
	if (addr_merge)
		pgsizes &= genmask64(__ffs64(addr_merge));
	if (!pgsizes) /* BUG_ON() in the kernel; callers checked alignment */
		return 0;

	pgsize_idx = __fls64(pgsizes);
	pgsize = 1ULL << pgsize_idx;
	if (!count)
		return pgsize;

	/* The next bigger supported size, if any */
	pgsizes = domain->pgsize_bitmap & ~genmask64(pgsize_idx);
	if (!pgsizes)
		goto out_set_count;
	pgsize_idx_next = __ffs64(pgsizes);
	pgsize_next = 1ULL << pgsize_idx_next;

	/* A bigger page needs iova and paddr equally offset within it. */
	if ((iova ^ paddr) & (pgsize_next - 1))
		goto out_set_count;

	/* Stop this run at the next big-page boundary if a big page fits after it. */
	offset = pgsize_next - (addr_merge & (pgsize_next - 1));
	if (!__builtin_add_overflow(offset, pgsize_next, &size_next) && size_next <= size)
		size = offset;

out_set_count:
	*count = size >> pgsize_idx;
	return pgsize;
}

/* --- map ------------------------------------------------------------------- */

int iommu_map_nosync(struct iommu_domain *domain, unsigned long iova, phys_addr_t paddr,
		     size_t size, int prot)
{
	const struct iommu_domain_ops *ops = domain->ops;
	unsigned long orig_iova = iova;
	size_t orig_size = size;
	phys_addr_t orig_paddr = paddr;
	unsigned int min_pagesz;
	int ret = 0;

	if (!(domain->type & __IOMMU_DOMAIN_PAGING))
		return -EINVAL;
	if (!ops || !ops->map_pages || domain->pgsize_bitmap == 0)
		return -ENODEV; /* WARN_ON */

	/* 7.0 iommupt (pt_iommu map_range) refuses a 0-length map; map_pages accepted it */
	if (!size)
		return -EINVAL;
	min_pagesz = 1U << __ffs64(domain->pgsize_bitmap);
	if ((iova | paddr | size) & (min_pagesz - 1))
		return -EINVAL; /* pr_err("unaligned: ...") */

	while (size) {
		size_t pgsize, count = 0, mapped = 0;

		pgsize = iommu_pgsize(domain, iova, paddr, size, &count);
		ret = ops->map_pages(domain, iova, paddr, pgsize, count, prot, &mapped);
		size -= mapped;
		if (ret)
			break;
		iova += mapped;
		paddr += mapped;
	}

	/* Unroll what was mapped if something went wrong. */
	if (ret) {
		iommu_unmap(domain, orig_iova, orig_size - size);
		return ret;
	}
	IOMMU_EMIT(domain->machine, EV_IOMMU_MAP, .aux = domain->id, .addr = orig_iova,
		   .phys = orig_paddr, .len = orig_size, .flags = (unsigned int)prot);
	return 0;
}

int iommu_sync_map(struct iommu_domain *domain, unsigned long iova, size_t size)
{
	const struct iommu_domain_ops *ops = domain->ops;

	if (!ops || !ops->iotlb_sync_map)
		return 0;
	return ops->iotlb_sync_map(domain, iova, size);
}

int iommu_map(struct iommu_domain *domain, unsigned long iova, phys_addr_t paddr, size_t size,
	      int prot)
{
	int ret = iommu_map_nosync(domain, iova, paddr, size, prot);

	if (ret)
		return ret;
	ret = iommu_sync_map(domain, iova, size);
	if (ret)
		iommu_unmap(domain, iova, size);
	return ret;
}

static bool sg_dma_is_bus_address(const struct scatterlist *sg)
{
	return sg->dma_flags & SG_DMA_BUS_ADDRESS;
}

ssize_t iommu_map_sg(struct iommu_domain *domain, unsigned long iova, struct scatterlist *sg,
		     unsigned int nents, int prot)
{
	size_t len = 0, mapped = 0;
	phys_addr_t start = 0;
	unsigned int i = 0;
	int ret;

	/* One pass more than there are segments, so that the last run gets mapped. */
	while (i <= nents) {
		phys_addr_t s_phys = sg_phys(sg);

		if (len && s_phys != start + len) {
			ret = iommu_map_nosync(domain, iova + mapped, start, len, prot);
			if (ret)
				goto out_err;
			mapped += len;
			len = 0;
		}

		if (sg_dma_is_bus_address(sg))
			goto next;

		if (len) {
			len += sg->length;
		} else {
			len = sg->length;
			start = s_phys;
		}
next:
		if (++i < nents)
			sg++;
	}

	ret = iommu_sync_map(domain, iova, mapped);
	if (ret)
		goto out_err;
	return (ssize_t)mapped;

out_err:
	/* undo mappings already done */
	iommu_unmap(domain, iova, mapped);
	return ret;
}

/* --- unmap ------------------------------------------------------------------- */

size_t __iommu_unmap(struct iommu_domain *domain, unsigned long iova, size_t size,
		     struct iommu_iotlb_gather *iotlb_gather)
{
	const struct iommu_domain_ops *ops = domain->ops;
	size_t unmapped_page, unmapped = 0;
	unsigned long orig_iova = iova;
	unsigned int min_pagesz;

	if (!(domain->type & __IOMMU_DOMAIN_PAGING))
		return 0;
	if (!ops || !ops->unmap_pages || domain->pgsize_bitmap == 0)
		return 0; /* WARN_ON */

	min_pagesz = 1U << __ffs64(domain->pgsize_bitmap);
	if ((iova | size) & (min_pagesz - 1))
		return 0; /* pr_err("unaligned: ...") */

	while (unmapped < size) {
		size_t pgsize, count = 0;

		pgsize = iommu_pgsize(domain, iova, iova, size - unmapped, &count);
		unmapped_page = ops->unmap_pages(domain, iova, pgsize, count, iotlb_gather);
		if (!unmapped_page)
			break;
		/* A driver that ignores the gather still gets its iotlb_sync. */
		if (iotlb_gather->start >= iotlb_gather->end)
			iommu_iotlb_gather_add_range(iotlb_gather, iova, size);
		iova += unmapped_page;
		unmapped += unmapped_page;
	}
	IOMMU_EMIT(domain->machine, EV_IOMMU_UNMAP, .aux = domain->id, .addr = orig_iova,
		   .len = unmapped);
	return unmapped;
}

size_t iommu_unmap(struct iommu_domain *domain, unsigned long iova, size_t size)
{
	struct iommu_iotlb_gather iotlb_gather;
	size_t ret;

	iommu_iotlb_gather_init(&iotlb_gather);
	ret = __iommu_unmap(domain, iova, size, &iotlb_gather);
	iommu_iotlb_sync(domain, &iotlb_gather);
	return ret;
}

size_t iommu_unmap_fast(struct iommu_domain *domain, unsigned long iova, size_t size,
			struct iommu_iotlb_gather *iotlb_gather)
{
	return __iommu_unmap(domain, iova, size, iotlb_gather);
}

phys_addr_t iommu_iova_to_phys(struct iommu_domain *domain, dma_addr_t iova)
{
	if (domain->type == IOMMU_DOMAIN_IDENTITY)
		return iova;
	if (domain->type == IOMMU_DOMAIN_BLOCKED)
		return 0;
	return domain->ops->iova_to_phys(domain, iova);
}

/* --- domains and devices ------------------------------------------------------ */

struct iommu_domain *iommu_domain_alloc(struct iommu_hw *hw, unsigned int type)
{
	return iommu_hw_domain_alloc(hw, type);
}

void iommu_domain_free(struct iommu_domain *domain)
{
	if (!domain)
		return;
	if (domain->iova_cookie)
		iommu_put_dma_cookie(domain);
	iommu_hw_domain_free(domain);
}

int iommu_attach_device(struct iommu_domain *domain, struct device *dev)
{
	if (!domain || !dev)
		return -EINVAL;
	if (dev->domain == domain)
		return 0;
	if (dev->domain)
		iommu_detach_device(dev->domain, dev);
	dev->domain = domain;
	domain->nr_attached++;
	return 0;
}

void iommu_detach_device(struct iommu_domain *domain, struct device *dev)
{
	if (!domain || dev->domain != domain)
		return;
	domain->nr_attached--;
	dev->domain = NULL;
}

/* iommu_get_default_domain_type() for one device under @mode. */
static int iommu_def_domain_type(const struct device *dev, enum iommu_mode mode,
				 unsigned int *type)
{
	switch (mode) {
	case IOMMU_MODE_STRICT:
		*type = IOMMU_DOMAIN_DMA;
		break;
	case IOMMU_MODE_LAZY:
		*type = IOMMU_DOMAIN_DMA_FQ;
		break;
	case IOMMU_MODE_PASSTHROUGH:
		*type = IOMMU_DOMAIN_IDENTITY;
		break;
	default:
		return -ENODEV;
	}
	/* Untrusted (external-facing) PCI devices always get a strict DMA domain. */
	if (dev->untrusted)
		*type = IOMMU_DOMAIN_DMA;
	return 0;
}

int iommu_probe_device_dma(struct device *dev, struct iommu_hw *hw, enum iommu_mode mode)
{
	struct iommu_domain *domain;
	unsigned int type;
	int ret;

	if (dev->domain) /* probed before: start again */
		iommu_release_device_dma(dev);
	dev->dma_iommu = false;
	if (!hw || iommu_def_domain_type(dev, mode, &type))
		return 0; /* no IOMMU translation: dma-direct */

	domain = iommu_domain_alloc(hw, type);
	if (!domain)
		return -ENOMEM;
	ret = iommu_attach_device(domain, dev);
	if (ret)
		goto out_free;
	ret = iommu_setup_dma_ops(dev);
	if (ret)
		goto out_detach;
	return 0;

out_detach:
	iommu_detach_device(domain, dev);
out_free:
	iommu_domain_free(domain);
	return ret;
}

void iommu_release_device_dma(struct device *dev)
{
	struct iommu_domain *domain = dev->domain;

	dev->dma_iommu = false;
	if (!domain)
		return;
	iommu_detach_device(domain, dev);
	if (!domain->nr_attached)
		iommu_domain_free(domain);
}
