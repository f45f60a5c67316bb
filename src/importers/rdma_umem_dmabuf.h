/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Follows drivers/infiniband/core/umem_dmabuf.c (leon @4168b9535acc, + the rdma-next
 * "pinned revocable" series) and the dma-buf MR parts of drivers/infiniband/hw/mlx5/mr.c,
 * odp.c; reference/dmabuf-vfio.md §3.1, §3.2.
 *
 * rdma_umem_dmabuf.h - RDMA importers of a dma-buf:
 *  - dynamic (mlx5-like ODP MR): on invalidate, ZAP the mkey (the HCA can no
 *    longer translate through it) and then unmap; re-map lazily from the page
 *    fault path, which fails -ENODEV while the exporter is revoked;
 *  - pinned non-revocable (ib_umem_dmabuf_get_pinned): no invalidate op;
 *    VFIO refuses it (7.0: not revocable; 6.19-rc7: pin -EOPNOTSUPP);
 *  - pinned revocable (irdma-like): the driver's pinned_revoke stops the HW,
 *    then unmap + unpin, revoked for good.
 * The HCA's DMA goes through the fabric (models/pci/route.h) with real
 * bytes, translated by the umem's sg_table.
 *
 * Simplification: the kernel trims the first / last sg entry to the umem
 * window; here the window offset is applied when translating instead.
 *
 * Owned here: struct ib_umem_dmabuf, struct mlx5_ib_mr, struct irdma_mr.
 */
#ifndef P2PSIM_SRC_IMPORTERS_RDMA_UMEM_DMABUF_H
#define P2PSIM_SRC_IMPORTERS_RDMA_UMEM_DMABUF_H

#include "models/pci/route.h"
#include "src/dma-buf/dma-buf.h"

/* EV_IMPORTER_HW flags */
enum importer_hw_op {
	IMPORTER_HW_MKEY_ENABLE = 1, /* mlx5 UMR: translation entries written */
	IMPORTER_HW_MKEY_ZAP, /* mlx5 UMR: translation zeroed (HW access stopped) */
	IMPORTER_HW_MKEY_REVOKE, /* mlx5_revoke_mr at dereg */
	IMPORTER_HW_PINNED_REVOKE, /* RDMA pinned-revocable driver callback done */
	IMPORTER_HW_IOMMU_UNMAP, /* iommufd: IOVA unmapped from a domain */
	IMPORTER_HW_IOMMU_MAP,
	IMPORTER_HW_PAGES_FREED, /* iommufd: iopt_pages destroyed */
	IMPORTER_HW_ACCESS_PIN, /* iommufd: an access (GUP) pin of the pages succeeded */
};

struct ib_umem_dmabuf {
	struct dmabuf_sys *sys;
	struct device *dev;
	u64 offset; /* window of the MR inside the dma-buf */
	size_t length;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt; /* cached mapping, NULL when unmapped */
	bool pinned;
	bool revoked;
	void *private; /* the driver's MR (mlx5: NULL once dereg revoked it) */
	/* pinned revocable */
	void (*pinned_revoke)(void *priv);
	void *pinned_revoke_priv;
};

/* ib_umem_dmabuf_get(): dma_buf_get + window check (-EINVAL) + dynamic attach. */
struct ib_umem_dmabuf *ib_umem_dmabuf_get(struct dmabuf_sys *sys, struct device *dev, u64 offset,
					  size_t size, int fd,
					  const struct dma_buf_attach_ops *ops);
/* ib_umem_dmabuf_get_pinned(): attach without an invalidate op, pin, map. */
struct ib_umem_dmabuf *ib_umem_dmabuf_get_pinned(struct dmabuf_sys *sys, struct device *dev,
						 u64 offset, size_t size, int fd);
/* Returns with the resv held; set the revoke callback, then unlock. */
struct ib_umem_dmabuf *ib_umem_dmabuf_get_pinned_revocable_and_lock(struct dmabuf_sys *sys,
								    struct device *dev, u64 offset,
								    size_t size, int fd);
void ib_umem_dmabuf_set_revoke_locked(struct ib_umem_dmabuf *umem, void (*revoke)(void *priv),
				      void *priv);
/* resv held: -EINVAL when revoked, the map error (-ENODEV from a revoked VFIO export), fences. */
int ib_umem_dmabuf_map_pages(struct ib_umem_dmabuf *umem);
void ib_umem_dmabuf_unmap_pages(struct ib_umem_dmabuf *umem);
void ib_umem_dmabuf_revoke(struct ib_umem_dmabuf *umem);
void ib_umem_dmabuf_release(struct ib_umem_dmabuf *umem);

/* The device address of byte @off of the MR, or DMA_MAPPING_ERROR when unmapped. */
dma_addr_t ib_umem_dmabuf_dma_addr(const struct ib_umem_dmabuf *umem, u64 off);

/*
 * The HCA's DMA through the umem's current mapping: route @len bytes at MR
 * offset @off (one page at most, not crossing an sg entry). Emits
 * EV_IMPORTER_DMA. 0, -EFAULT (no mapping), or the router's -EIO.
 */
int rdma_hw_dma(struct ib_umem_dmabuf *umem, struct pci_router *router, u64 off, void *buf,
		size_t len, bool write);

/* --- mlx5: dynamic (ODP-style) dma-buf MR ------------------------------------------- */

struct mlx5_ib_mr {
	struct ib_umem_dmabuf *umem;
	struct pci_router *router;
	bool mkey_enabled; /* translation entries present (ENABLE) vs zapped */
	bool mkey_freed; /* dereg returned the mkey: any later UMR on it is a use after free */
	unsigned int faults;
	unsigned int fault_errors;
};

struct mlx5_ib_mr *mlx5_ib_reg_user_mr_dmabuf(struct dmabuf_sys *sys, struct device *dev,
					      struct pci_router *router, u64 offset, size_t length,
					      int fd);
/* pagefault_dmabuf_mr(): lock resv, map pages, ENABLE the mkey. 0 or the map error. */
int pagefault_dmabuf_mr(struct mlx5_ib_mr *mr);
/* An RDMA access by the HCA: faults the MR in when zapped; the fault's error fails it. */
int mlx5_ib_mr_dma(struct mlx5_ib_mr *mr, u64 off, void *buf, size_t len, bool write);
/* Dereg, step 1 (mlx5_revoke_mr): under the resv, revoke the mkey and forget the MR. */
void mlx5_revoke_mr(struct mlx5_ib_mr *mr);
/* Full dereg: revoke, (preemption point), release the umem, free. */
void mlx5_ib_dereg_mr(struct mlx5_ib_mr *mr);

/* --- irdma-like pinned-revocable MR and a pinned non-revocable one ------------------- */

struct irdma_mr {
	struct ib_umem_dmabuf *umem;
	struct pci_router *router;
	bool hw_enabled;
};

/* pinned revocable: pinned_revoke = irdma_hwdereg_mr (stops the HW). */
struct irdma_mr *irdma_reg_user_mr_dmabuf(struct dmabuf_sys *sys, struct device *dev,
					  struct pci_router *router, u64 offset, size_t length,
					  int fd);
/* pinned NON-revocable (ib_umem_dmabuf_get_pinned): the HW is never told to stop. */
struct irdma_mr *rdma_reg_user_mr_dmabuf_pinned(struct dmabuf_sys *sys, struct device *dev,
						struct pci_router *router, u64 offset,
						size_t length, int fd);
int irdma_mr_dma(struct irdma_mr *mr, u64 off, void *buf, size_t len, bool write);
void irdma_dereg_mr(struct irdma_mr *mr);

#endif /* P2PSIM_SRC_IMPORTERS_RDMA_UMEM_DMABUF_H */
