// SPDX-License-Identifier: GPL-2.0-only
/*
 * Follows drivers/infiniband/core/umem_dmabuf.c (leon @4168b9535acc; pinned revocable from
 * rdma-next, Mar 2026) and drivers/infiniband/hw/mlx5/{mr,odp}.c dma-buf MRs (with the
 * Yishai Hadas dereg race fix); reference/dmabuf-vfio.md §3.1, §3.2.
 *
 * rdma_umem_dmabuf.c - RDMA dma-buf importers (rdma_umem_dmabuf.h).
 * Injection point: H25 (mlx5 dereg leaves umem->private set, so a later
 * invalidate UMRs an mkey that was already given back).
 */
#include <errno.h>
#include <stdlib.h>

#include "src/importers/rdma_umem_dmabuf.h"

static void importer_hw_emit(struct ib_umem_dmabuf *umem, enum importer_hw_op op)
{
	struct sim_event ev = { .kind = EV_IMPORTER_HW,
				.dev = umem->dev->pdev,
				.aux = umem->attach ? umem->attach->dmabuf->id : 0,
				.phys = umem->attach ? umem->attach->id : 0,
				.flags = op };

	dmabuf_sys_emit(umem->sys, &ev);
}

/* --- ib_umem_dmabuf ----------------------------------------------------------------- */

int ib_umem_dmabuf_map_pages(struct ib_umem_dmabuf *umem)
{
	struct dma_buf *dmabuf = umem->attach->dmabuf;
	struct sg_table *sgt;
	long ret;

	dma_resv_assert_held(&dmabuf->resv);

	if (umem->revoked)
		return -EINVAL;
	if (umem->sgt)
		goto wait_fence;

	sgt = dma_buf_map_attachment(umem->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt))
		return (int)PTR_ERR(sgt);
	umem->sgt = sgt;

wait_fence:
	/* the exporter's move may still be in flight: wait for its kernel fences */
	ret = dma_resv_wait_timeout(&dmabuf->resv, DMA_RESV_USAGE_KERNEL, false,
				    MAX_SCHEDULE_TIMEOUT, dmabuf->id);
	if (ret < 0)
		return (int)ret;
	if (ret == 0)
		return -ETIMEDOUT;
	return 0;
}

void ib_umem_dmabuf_unmap_pages(struct ib_umem_dmabuf *umem)
{
	dma_resv_assert_held(&umem->attach->dmabuf->resv);

	if (!umem->sgt)
		return;
	dma_buf_unmap_attachment(umem->attach, umem->sgt, DMA_BIDIRECTIONAL);
	umem->sgt = NULL;
}

struct ib_umem_dmabuf *ib_umem_dmabuf_get(struct dmabuf_sys *sys, struct device *dev, u64 offset,
					  size_t size, int fd, const struct dma_buf_attach_ops *ops)
{
	struct ib_umem_dmabuf *umem;
	struct dma_buf *dmabuf;
	u64 end;
	int ret;

	if (!ops)
		return ERR_PTR(-EINVAL);

	dmabuf = dma_buf_get(sys, fd);
	if (IS_ERR(dmabuf))
		return (void *)dmabuf;

	if (__builtin_add_overflow(offset, (u64)size, &end) || dmabuf->size < end) {
		ret = -EINVAL;
		goto out_release_dmabuf;
	}

	umem = calloc(1, sizeof(*umem));
	if (!umem) {
		ret = -ENOMEM;
		goto out_release_dmabuf;
	}
	umem->sys = sys;
	umem->dev = dev;
	umem->offset = offset;
	umem->length = size;

	umem->attach = dma_buf_dynamic_attach(dmabuf, dev, ops, umem);
	if (IS_ERR(umem->attach)) {
		ret = (int)PTR_ERR(umem->attach);
		goto out_free_umem;
	}
	return umem;

out_free_umem:
	free(umem);
out_release_dmabuf:
	dma_buf_put(dmabuf);
	return ERR_PTR(ret);
}

/* <= 6.19 the op was mandatory: pinned importers had a stub that only warned. */
static void ib_umem_dmabuf_unsupported_move_notify(struct dma_buf_attachment *attach)
{
	struct ib_umem_dmabuf *umem = attach->importer_priv;

	/* "Invalidate callback should not be called when memory is pinned" - and HW goes on */
	dmabuf_warn(umem->sys, DMABUF_WARN_GENERIC, attach->dmabuf->id);
}

static const struct dma_buf_attach_ops ib_umem_dmabuf_attach_pinned_ops = {
	.allow_peer2peer = true,
};

static const struct dma_buf_attach_ops ib_umem_dmabuf_attach_pinned_ops_stub = {
	.allow_peer2peer = true,
	.invalidate_mappings = ib_umem_dmabuf_unsupported_move_notify,
};

/*
 * Attach with @ops, then pin and map under the resv (the kernel's
 * ib_umem_dmabuf_get_pinned_and_lock()). Returns with the resv held; on
 * failure everything is undone and the resv is not held.
 */
static struct ib_umem_dmabuf *
ib_umem_dmabuf_get_pinned_and_lock(struct dmabuf_sys *sys, struct device *dev, u64 offset,
				   size_t size, int fd, const struct dma_buf_attach_ops *ops)
{
	struct ib_umem_dmabuf *umem;
	struct dma_buf *dmabuf;
	int err;

	umem = ib_umem_dmabuf_get(sys, dev, offset, size, fd, ops);
	if (IS_ERR(umem))
		return umem;

	dmabuf = umem->attach->dmabuf;
	dma_resv_lock(&dmabuf->resv);
	err = dma_buf_pin(umem->attach);
	if (err)
		goto err_release;
	umem->pinned = true;
	err = ib_umem_dmabuf_map_pages(umem);
	if (err)
		goto err_unpin;
	return umem;

err_unpin:
	dma_buf_unpin(umem->attach);
	umem->pinned = false;
err_release:
	dma_resv_unlock(&dmabuf->resv);
	ib_umem_dmabuf_release(umem);
	return ERR_PTR(err);
}

struct ib_umem_dmabuf *ib_umem_dmabuf_get_pinned(struct dmabuf_sys *sys, struct device *dev,
						 u64 offset, size_t size, int fd)
{
	const struct dma_buf_attach_ops *ops = sys->profile->dmabuf_move_notify ?
						       &ib_umem_dmabuf_attach_pinned_ops_stub :
						       &ib_umem_dmabuf_attach_pinned_ops;
	struct ib_umem_dmabuf *umem;

	umem = ib_umem_dmabuf_get_pinned_and_lock(sys, dev, offset, size, fd, ops);
	if (!IS_ERR(umem))
		dma_resv_unlock(&umem->attach->dmabuf->resv);
	return umem;
}

/* The pinned-revocable importer's invalidate op: the revoke, at most once. */
static void ib_umem_dmabuf_revoke_locked(struct dma_buf_attachment *attach)
{
	struct ib_umem_dmabuf *umem = attach->importer_priv;

	dma_resv_assert_held(&attach->dmabuf->resv);

	if (umem->revoked)
		return;
	/* the driver stops HW access before returning (keeps its key reserved) */
	if (umem->pinned_revoke) {
		umem->pinned_revoke(umem->pinned_revoke_priv);
		importer_hw_emit(umem, IMPORTER_HW_PINNED_REVOKE);
	}
	ib_umem_dmabuf_unmap_pages(umem);
	if (umem->pinned) {
		dma_buf_unpin(umem->attach);
		umem->pinned = false;
	}
	umem->revoked = true;
}

static const struct dma_buf_attach_ops ib_umem_dmabuf_attach_pinned_revocable_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = ib_umem_dmabuf_revoke_locked,
};

struct ib_umem_dmabuf *ib_umem_dmabuf_get_pinned_revocable_and_lock(struct dmabuf_sys *sys,
								    struct device *dev, u64 offset,
								    size_t size, int fd)
{
	/* returns with the resv still held */
	return ib_umem_dmabuf_get_pinned_and_lock(sys, dev, offset, size, fd,
						  &ib_umem_dmabuf_attach_pinned_revocable_ops);
}

void ib_umem_dmabuf_set_revoke_locked(struct ib_umem_dmabuf *umem, void (*revoke)(void *priv),
				      void *priv)
{
	dma_resv_assert_held(&umem->attach->dmabuf->resv);
	umem->pinned_revoke = revoke;
	umem->pinned_revoke_priv = priv;
}

void ib_umem_dmabuf_revoke(struct ib_umem_dmabuf *umem)
{
	struct dma_buf *dmabuf = umem->attach->dmabuf;

	dma_resv_lock(&dmabuf->resv);
	if (umem->revoked)
		goto end;
	ib_umem_dmabuf_unmap_pages(umem);
	if (umem->pinned) {
		dma_buf_unpin(umem->attach);
		umem->pinned = false;
	}
	umem->revoked = true;
end:
	dma_resv_unlock(&dmabuf->resv);
}

void ib_umem_dmabuf_release(struct ib_umem_dmabuf *umem)
{
	struct dma_buf *dmabuf = umem->attach->dmabuf;

	ib_umem_dmabuf_revoke(umem);
	dma_buf_detach(dmabuf, umem->attach);
	dma_buf_put(dmabuf);
	free(umem);
}

dma_addr_t ib_umem_dmabuf_dma_addr(const struct ib_umem_dmabuf *umem, u64 off)
{
	u64 pos;

	if (!umem->sgt || off >= umem->length)
		return DMA_MAPPING_ERROR;
	pos = umem->offset + off;
	for (unsigned int i = 0; i < umem->sgt->nents; i++) {
		const struct scatterlist *sg = &umem->sgt->sgl[i];

		if (pos < sg->dma_length)
			return sg->dma_address + pos;
		pos -= sg->dma_length;
	}
	return DMA_MAPPING_ERROR;
}

int rdma_hw_dma(struct ib_umem_dmabuf *umem, struct pci_router *router, u64 off, void *buf,
		size_t len, bool write)
{
	struct sim_event ev = { .kind = EV_IMPORTER_DMA,
				.dev = umem->dev->pdev,
				.aux = umem->attach->dmabuf->id,
				.len = len,
				.flags = write };
	dma_addr_t addr = ib_umem_dmabuf_dma_addr(umem, off);

	if (addr == DMA_MAPPING_ERROR) {
		ev.ret = -EFAULT;
	} else {
		ev.addr = addr;
		ev.ret = pci_route_dma(router, umem->dev->pdev, umem->dev->domain, addr, buf, len,
				       write, NULL);
	}
	dmabuf_sys_emit(umem->sys, &ev);
	return ev.ret;
}

/* --- mlx5 -------------------------------------------------------------------------------- */

/* mlx5r_umr_update_mr_pas(): a UMR posting the MR's translation (ENABLE) or zeroes (ZAP). */
static void mlx5r_umr_update_mr_pas(struct mlx5_ib_mr *mr, bool zap)
{
	if (mr->mkey_freed) {
		/* the mkey went back to the cache / firmware: this UMR hits someone else's key */
		dmabuf_warn(mr->umem->sys, DMABUF_WARN_USE_AFTER_FREE,
			    mr->umem->attach->dmabuf->id);
		return;
	}
	mr->mkey_enabled = !zap;
	importer_hw_emit(mr->umem, zap ? IMPORTER_HW_MKEY_ZAP : IMPORTER_HW_MKEY_ENABLE);
}

static void mlx5_ib_dmabuf_invalidate_cb(struct dma_buf_attachment *attach)
{
	struct ib_umem_dmabuf *umem = attach->importer_priv;
	struct mlx5_ib_mr *mr = umem->private;

	dma_resv_assert_held(&attach->dmabuf->resv);

	/* nothing mapped, or the MR is being destroyed */
	if (!umem->sgt || !mr)
		return;

	/* stop the HCA first, then give the mapping back */
	mlx5r_umr_update_mr_pas(mr, true);
	ib_umem_dmabuf_unmap_pages(umem);
}

static const struct dma_buf_attach_ops mlx5_ib_dmabuf_attach_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = mlx5_ib_dmabuf_invalidate_cb,
};

int pagefault_dmabuf_mr(struct mlx5_ib_mr *mr)
{
	struct ib_umem_dmabuf *umem = mr->umem;
	struct dma_buf *dmabuf = umem->attach->dmabuf;
	int err;

	mr->faults++;
	dma_resv_lock(&dmabuf->resv);
	err = ib_umem_dmabuf_map_pages(umem);
	if (err) {
		dma_resv_unlock(&dmabuf->resv);
		mr->fault_errors++;
		return err;
	}
	/* fixed PAGE_SIZE mkeys: every entry is page aligned by construction here */
	mlx5r_umr_update_mr_pas(mr, false);
	dma_resv_unlock(&dmabuf->resv);
	return 0;
}

struct mlx5_ib_mr *mlx5_ib_reg_user_mr_dmabuf(struct dmabuf_sys *sys, struct device *dev,
					      struct pci_router *router, u64 offset, size_t length,
					      int fd)
{
	struct ib_umem_dmabuf *umem;
	struct mlx5_ib_mr *mr;
	int err;

	umem = ib_umem_dmabuf_get(sys, dev, offset, length, fd, &mlx5_ib_dmabuf_attach_ops);
	if (IS_ERR(umem))
		return (void *)umem;

	mr = calloc(1, sizeof(*mr));
	if (!mr) {
		ib_umem_dmabuf_release(umem);
		return ERR_PTR(-ENOMEM);
	}
	mr->umem = umem;
	mr->router = router;
	umem->private = mr;

	/* populate the mkey now, through the fault path */
	err = pagefault_dmabuf_mr(mr);
	if (err) {
		mlx5_ib_dereg_mr(mr);
		return ERR_PTR(err);
	}
	return mr;
}

int mlx5_ib_mr_dma(struct mlx5_ib_mr *mr, u64 off, void *buf, size_t len, bool write)
{
	int err;

	if (mr->mkey_freed)
		return -EINVAL;
	if (!mr->mkey_enabled) {
		/* a translation miss raises a page fault; a failed fault is an access error */
		err = pagefault_dmabuf_mr(mr);
		if (err) {
			struct sim_event ev = { .kind = EV_IMPORTER_DMA,
						.dev = mr->umem->dev->pdev,
						.aux = mr->umem->attach->dmabuf->id,
						.len = len,
						.flags = write,
						.ret = err };

			dmabuf_sys_emit(mr->umem->sys, &ev);
			return err;
		}
	}
	return rdma_hw_dma(mr->umem, mr->router, off, buf, len, write);
}

void mlx5_revoke_mr(struct mlx5_ib_mr *mr)
{
	struct ib_umem_dmabuf *umem = mr->umem;
	struct dma_buf *dmabuf = umem->attach->dmabuf;

	dma_resv_lock(&dmabuf->resv);
	mr->mkey_enabled = false;
	importer_hw_emit(umem, IMPORTER_HW_MKEY_REVOKE);
	/* a concurrent or later invalidate must not UMR this mkey any more */
	if (!bug_injected(umem->sys->bugs, BUG_H25_MLX5_DEREG_RACE))
		umem->private = NULL;
	dma_resv_unlock(&dmabuf->resv);
	/* the mkey goes back to the cache */
	mr->mkey_freed = true;
}

void mlx5_ib_dereg_mr(struct mlx5_ib_mr *mr)
{
	struct dmabuf_sys *sys = mr->umem->sys;

	mlx5_revoke_mr(mr);
	dmabuf_preempt(sys, "mlx5_ib_dereg_mr:before-umem-release");
	ib_umem_dmabuf_release(mr->umem);
	free(mr);
}

/* --- irdma-like pinned MRs ------------------------------------------------------------- */

static void irdma_hwdereg_mr(void *priv)
{
	struct irdma_mr *mr = priv;

	mr->hw_enabled = false; /* the HW stops using the key; the key stays reserved */
}

struct irdma_mr *irdma_reg_user_mr_dmabuf(struct dmabuf_sys *sys, struct device *dev,
					  struct pci_router *router, u64 offset, size_t length,
					  int fd)
{
	struct ib_umem_dmabuf *umem;
	struct irdma_mr *mr;

	mr = calloc(1, sizeof(*mr));
	if (!mr)
		return ERR_PTR(-ENOMEM);
	umem = ib_umem_dmabuf_get_pinned_revocable_and_lock(sys, dev, offset, length, fd);
	if (IS_ERR(umem)) {
		free(mr);
		return (void *)umem;
	}
	ib_umem_dmabuf_set_revoke_locked(umem, irdma_hwdereg_mr, mr);
	dma_resv_unlock(&umem->attach->dmabuf->resv);
	mr->umem = umem;
	mr->router = router;
	mr->hw_enabled = true;
	return mr;
}

struct irdma_mr *rdma_reg_user_mr_dmabuf_pinned(struct dmabuf_sys *sys, struct device *dev,
						struct pci_router *router, u64 offset,
						size_t length, int fd)
{
	struct ib_umem_dmabuf *umem;
	struct irdma_mr *mr;

	mr = calloc(1, sizeof(*mr));
	if (!mr)
		return ERR_PTR(-ENOMEM);
	umem = ib_umem_dmabuf_get_pinned(sys, dev, offset, length, fd);
	if (IS_ERR(umem)) {
		free(mr);
		return (void *)umem;
	}
	mr->umem = umem;
	mr->router = router;
	mr->hw_enabled = true;
	return mr;
}

int irdma_mr_dma(struct irdma_mr *mr, u64 off, void *buf, size_t len, bool write)
{
	if (!mr->hw_enabled)
		return -EINVAL; /* the key is dead: the QP sees an access error */
	return rdma_hw_dma(mr->umem, mr->router, off, buf, len, write);
}

void irdma_dereg_mr(struct irdma_mr *mr)
{
	mr->hw_enabled = false;
	ib_umem_dmabuf_release(mr->umem);
	free(mr);
}
