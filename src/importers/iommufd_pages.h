/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Follows the dma-buf parts of drivers/iommu/iommufd/pages.c (leon @ea8c6543b92f, with
 * f2d70dbd3dce, e745cd2c749e, 5f3fc0ad9a41), reference/dmabuf-vfio.md §3.3.
 *
 * iommufd_pages.h - iommufd as a pinned-revocable dma-buf importer: an
 * iopt_pages backed by a VFIO dma-buf (one physical range obtained through
 * the private vfio_pci_dma_buf_iommufd_map(), no sg_table, no kref), mapped
 * into one or more IOMMU domains at an IOVA. On invalidate it unmaps every
 * tracked domain synchronously and marks itself revoked (phys.len = 0) for
 * good: later un-revokes are ignored. Devices DMA through those domains
 * with real bytes via the router.
 *
 * Simplification: one area per iopt_pages covering the whole range; the
 * IOAS / area tree is not modelled.
 *
 * Owned here: struct iopt_pages (dma-buf kind only).
 */
#ifndef P2PSIM_SRC_IMPORTERS_IOMMUFD_PAGES_H
#define P2PSIM_SRC_IMPORTERS_IOMMUFD_PAGES_H

#include "models/pci/route.h"
#include "src/dma-buf/dma-buf-mapping.h"

#define IOPT_PAGES_MAX_DOMAINS 8

struct iopt_pages_domain {
	struct iommu_domain *domain;
	unsigned long iova;
	bool mapped;
};

struct iopt_pages {
	struct dmabuf_sys *sys;
	struct mutex mutex; /* pages->mutex: nests inside the resv */
	struct device *dev; /* iommufd_global_device() */
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct dma_buf_phys_vec phys; /* dmabuf.phys; len 0 once revoked */
	bool pinned;
	struct iopt_pages_domain domains[IOPT_PAGES_MAX_DOMAINS]; /* the revoke tracker */
	unsigned int nr_domains;
	bool destroyed; /* mutex destroyed, pages gone (bug H22 window) */
	u64 dmabuf_id;
	u64 attach_id; /* for the events: the attachment is freed before the pages */
};

static inline bool iopt_dmabuf_revoked(const struct iopt_pages *pages)
{
	return pages->phys.len == 0;
}

/* iopt_map_dmabuf(): get, attach (revocable), pin, private map. ERR_PTR on failure. */
struct iopt_pages *iopt_map_dmabuf(struct dmabuf_sys *sys, struct device *global_dev, int fd);
/* Map the pages into @domain at @iova (skipped, but tracked, while revoked). 0, -ENOSPC, map error. */
int iopt_area_fill_domain(struct iopt_pages *pages, struct iommu_domain *domain,
			  unsigned long iova);
/* Unmap from @domain and stop tracking it. */
void iopt_area_unfill_domain(struct iopt_pages *pages, struct iommu_domain *domain);
/* Release: unfill, unpin under the resv, detach, put, then free (fixed order). */
void iopt_release_pages(struct iopt_pages *pages);
/* The GUP access-pin path (iommufd_access_pin_pages): -EINVAL for dma-buf pages. */
int iopt_pages_rw_access_pin(struct iopt_pages *pages);

/*
 * A device DMA through @domain at @iova (what a VFIO-assigned device behind
 * iommufd does): routed with real bytes. Emits EV_IMPORTER_DMA.
 */
int iommufd_device_dma(struct iopt_pages *pages, struct pci_router *router,
		       const struct pci_dev *requester, struct iommu_domain *domain, u64 iova,
		       void *buf, size_t len, bool write);

#endif /* P2PSIM_SRC_IMPORTERS_IOMMUFD_PAGES_H */
