// SPDX-License-Identifier: GPL-2.0-only
/*
 * Follows drivers/iommu/iommufd/pages.c dma-buf support (leon @ea8c6543b92f; release order
 * from f2d70dbd3dce + e745cd2c749e; access-pin refusal 5f3fc0ad9a41),
 * reference/dmabuf-vfio.md §3.3.
 *
 * iommufd_pages.c - iommufd's pinned-revocable dma-buf importer
 * (iommufd_pages.h). Injection points: H22 (pages destroyed before
 * dma_buf_detach), H23 (unpin without the resv), H24 (access-pin path
 * accepts dma-buf pages).
 */
#include <errno.h>
#include <stdlib.h>

#include "models/iommu/iommu_hw.h"
#include "src/importers/iommufd_pages.h"
#include "src/importers/rdma_umem_dmabuf.h"
#include "src/iommu/iommu.h"
#include "src/vfio/vfio_pci_dmabuf.h"

static void pages_hw_emit(struct iopt_pages *pages, enum importer_hw_op op, unsigned long iova)
{
	struct sim_event ev = { .kind = EV_IMPORTER_HW,
				.dev = pages->dev ? pages->dev->pdev : NULL,
				.aux = pages->dmabuf_id,
				.phys = pages->attach_id,
				.addr = iova,
				.len = pages->phys.len,
				.flags = op };

	dmabuf_sys_emit(pages->sys, &ev);
}

static void iopt_area_unmap_domain_range(struct iopt_pages *pages, struct iopt_pages_domain *track)
{
	if (!track->mapped)
		return;
	iommu_unmap(track->domain, track->iova, pages->phys.len);
	track->mapped = false;
	pages_hw_emit(pages, IMPORTER_HW_IOMMU_UNMAP, track->iova);
}

/* The invalidate op: unmap every tracked domain and stay revoked forever. */
static void iopt_revoke_notify(struct dma_buf_attachment *attach)
{
	struct iopt_pages *pages = attach->importer_priv;

	if (pages->destroyed) {
		/* H22: the callback runs on pages (and a mutex) already destroyed */
		dmabuf_warn(pages->sys, DMABUF_WARN_USE_AFTER_FREE, attach->dmabuf->id);
		return;
	}
	mutex_lock(&pages->mutex);
	if (iopt_dmabuf_revoked(pages))
		goto out;
	for (unsigned int i = 0; i < pages->nr_domains; i++)
		iopt_area_unmap_domain_range(pages, &pages->domains[i]);
	pages->phys.len = 0;
out:
	mutex_unlock(&pages->mutex);
}

static const struct dma_buf_attach_ops iopt_dmabuf_attach_revoke_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = iopt_revoke_notify,
};

struct iopt_pages *iopt_map_dmabuf(struct dmabuf_sys *sys, struct device *global_dev, int fd)
{
	struct iopt_pages *pages;
	struct dma_buf *dmabuf;
	int ret;

	dmabuf = dma_buf_get(sys, fd);
	if (IS_ERR(dmabuf))
		return (void *)dmabuf;

	pages = calloc(1, sizeof(*pages));
	if (!pages) {
		ret = -ENOMEM;
		goto err_put;
	}
	pages->sys = sys;
	pages->dev = global_dev;
	pages->dmabuf = dmabuf;
	pages->dmabuf_id = dmabuf->id;
	mutex_init(&pages->mutex, sys, "iopt_pages->mutex", LOCK_CLASS_IMPORTER);

	pages->attach =
		dma_buf_dynamic_attach(dmabuf, global_dev, &iopt_dmabuf_attach_revoke_ops, pages);
	if (IS_ERR(pages->attach)) {
		ret = (int)PTR_ERR(pages->attach);
		goto err_free;
	}
	pages->attach_id = pages->attach->id;

	dma_resv_lock(&dmabuf->resv);
	/* teach lockdep: pages->mutex nests inside the resv */
	mutex_lock(&pages->mutex);
	mutex_unlock(&pages->mutex);
	/* 7.0+: iommufd pins (the exporter must then revoke, never move) */
	if (!sys->profile->dmabuf_move_notify) {
		ret = dma_buf_pin(pages->attach);
		if (ret)
			goto err_unlock;
		pages->pinned = true;
	}
	ret = vfio_pci_dma_buf_iommufd_map(pages->attach, &pages->phys);
	if (ret)
		goto err_unpin;
	dma_resv_unlock(&dmabuf->resv);
	return pages;

err_unpin:
	if (pages->pinned)
		dma_buf_unpin(pages->attach);
	pages->pinned = false;
err_unlock:
	dma_resv_unlock(&dmabuf->resv);
	dma_buf_detach(dmabuf, pages->attach);
err_free:
	free(pages);
err_put:
	dma_buf_put(dmabuf);
	return ERR_PTR(ret);
}

int iopt_area_fill_domain(struct iopt_pages *pages, struct iommu_domain *domain, unsigned long iova)
{
	struct iopt_pages_domain *track;
	int ret = 0;

	mutex_lock(&pages->mutex);
	if (pages->nr_domains == IOPT_PAGES_MAX_DOMAINS) {
		ret = -ENOSPC;
		goto out;
	}
	track = &pages->domains[pages->nr_domains];
	*track = (struct iopt_pages_domain){ .domain = domain, .iova = iova };
	/* revoked pages are tracked but not mapped */
	if (!iopt_dmabuf_revoked(pages)) {
		ret = iommu_map(domain, iova, pages->phys.paddr, pages->phys.len,
				IOMMU_READ | IOMMU_WRITE | IOMMU_MMIO);
		if (ret)
			goto out;
		track->mapped = true;
		pages_hw_emit(pages, IMPORTER_HW_IOMMU_MAP, iova);
	}
	pages->nr_domains++;
out:
	mutex_unlock(&pages->mutex);
	return ret;
}

void iopt_area_unfill_domain(struct iopt_pages *pages, struct iommu_domain *domain)
{
	mutex_lock(&pages->mutex);
	for (unsigned int i = 0; i < pages->nr_domains; i++) {
		if (pages->domains[i].domain != domain)
			continue;
		/* revoked pages were unmapped by the revoke already */
		iopt_area_unmap_domain_range(pages, &pages->domains[i]);
		pages->domains[i] = pages->domains[--pages->nr_domains];
		break;
	}
	mutex_unlock(&pages->mutex);
}

static void iopt_pages_destroy(struct iopt_pages *pages)
{
	/* mutex_destroy() and the pages themselves */
	pages->destroyed = true;
	pages_hw_emit(pages, IMPORTER_HW_PAGES_FREED, 0);
}

void iopt_release_pages(struct iopt_pages *pages)
{
	const struct bug_set *bugs = pages->sys->bugs;
	struct dma_buf *dmabuf = pages->dmabuf;

	while (pages->nr_domains)
		iopt_area_unfill_domain(pages, pages->domains[0].domain);

	if (pages->pinned) {
		if (bug_injected(bugs, BUG_H23_IOMMUFD_UNPIN_NO_RESV)) {
			dma_buf_unpin(pages->attach); /* H23: no resv */
		} else {
			dma_resv_lock(&dmabuf->resv);
			dma_buf_unpin(pages->attach);
			dma_resv_unlock(&dmabuf->resv);
		}
		pages->pinned = false;
	}

	if (bug_injected(bugs, BUG_H22_IOMMUFD_FREE_BEFORE_DETACH)) {
		/* H22: the pages go first; a revoke can still call back until detach */
		iopt_pages_destroy(pages);
		dmabuf_preempt(pages->sys, "iopt_release_pages:before-detach");
		dma_buf_detach(dmabuf, pages->attach);
		dma_buf_put(dmabuf);
	} else {
		dma_buf_detach(dmabuf, pages->attach);
		dma_buf_put(dmabuf);
		dmabuf_preempt(pages->sys, "iopt_release_pages:after-detach");
		iopt_pages_destroy(pages);
	}
	free(pages);
}

int iopt_pages_rw_access_pin(struct iopt_pages *pages)
{
	/* dma-buf backed pages have no struct page to pin */
	if (!bug_injected(pages->sys->bugs, BUG_H24_IOMMUFD_ACCESS_PIN))
		return -EINVAL;
	dmabuf_warn(pages->sys, DMABUF_WARN_GENERIC, pages->dmabuf_id);
	pages_hw_emit(pages, IMPORTER_HW_ACCESS_PIN, 0);
	return 0;
}

int iommufd_device_dma(struct iopt_pages *pages, struct pci_router *router,
		       const struct pci_dev *requester, struct iommu_domain *domain, u64 iova,
		       void *buf, size_t len, bool write)
{
	struct sim_event ev = { .kind = EV_IMPORTER_DMA,
				.dev = requester,
				.aux = pages->dmabuf_id,
				.addr = iova,
				.len = len,
				.flags = write };

	ev.ret = pci_route_dma(router, requester, domain, iova, buf, len, write, NULL);
	dmabuf_sys_emit(pages->sys, &ev);
	return ev.ret;
}
