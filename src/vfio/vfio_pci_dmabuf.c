// SPDX-License-Identifier: GPL-2.0-only
/*
 * Follows drivers/vfio/pci/vfio_pci_dmabuf.c (intel-lab-lkp @0c8db53a7809, 7.0+ with
 * 1a8a5227f229, e98137f0a874, c64a647c84f3, 702809dabdec, 951ebc18d181) and
 * drivers/vfio/pci/nvgrace-gpu/main.c (get_dmabuf_phys); reference/dmabuf-vfio.md §2.
 *
 * vfio_pci_dmabuf.c - the VFIO PCI dma-buf exporter (vfio_pci_dmabuf.h).
 *
 * Reference counts of a struct vfio_pci_dma_buf (7.0+):
 *  - the dma-buf file: the fd table's reference; release() frees priv;
 *  - kref: 1 base ("registered") reference + 1 per live map_dma_buf; a
 *    revoke drops the base reference and waits on the completion until
 *    every importer has unmapped, then re-arms both (c64a647c84f3);
 *  - one vfio_device registration while priv->vdev is set, dropped by
 *    cleanup or by release, never both (the file refcount decides).
 * Locks: memory_lock (W) covers the list, priv->vdev and priv->revoked;
 * revoked changes additionally under the resv (reference §4 L5).
 *
 * Kernel profile: vfio_dmabuf_no_revoke_waits (6.19: no fence / unmap
 * waits, no kref), vfio_dmabuf_pin_eopnotsupp (6.19-rc7: pin op returning
 * -EOPNOTSUPP instead of the attach-time revocable check).
 * Injection points: H1, H3, H7 (both variants), H11, H16, H17, H18, H20, H21, H6.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/iommu/dma-iommu.h"
#include "src/vfio/vfio_pci_dmabuf.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

/*
 * An injected bug that leaks kernel memory leaks it from the simulator too:
 * tell LeakSanitizer (it then treats @p, and what it points to, as reachable).
 */
static void intended_leak(const void *p)
{
#if defined(__SANITIZE_ADDRESS__)
	__lsan_ignore_object(p);
#else
	(void)p;
#endif
}

static const struct bug_set *vdev_bugs(const struct vfio_pci_core_device *vdev)
{
	return vdev->sys->bugs;
}

/* The 7.0 waits (fence wait, kref drain) are in effect. */
static bool vfio_dmabuf_waits(const struct dmabuf_sys *sys)
{
	return !sys->profile->vfio_dmabuf_no_revoke_waits &&
	       !bug_injected(sys->bugs, BUG_H17_NO_REVOKE_WAITS);
}

static void priv_state_emit(struct vfio_pci_dma_buf *priv, struct vfio_pci_core_device *vdev,
			    enum vfio_dmabuf_field field, unsigned int value)
{
	struct sim_event ev = { .kind = EV_DMABUF_STATE,
				.aux = priv->dmabuf ? priv->dmabuf->id : 0,
				.dev = vdev ? vdev->pdev : NULL,
				.flags = field,
				.count = value };

	if (vdev)
		dmabuf_sys_emit(vdev->sys, &ev);
}

static void priv_set_revoked(struct vfio_pci_dma_buf *priv, struct vfio_pci_core_device *vdev,
			     bool revoked)
{
	priv->revoked = revoked;
	priv_state_emit(priv, vdev, VFIO_DMABUF_FIELD_REVOKED, revoked);
}

/* list_add_tail(&priv->dmabufs_elm, &vdev->dmabufs) */
static void dmabufs_add_tail(struct vfio_pci_core_device *vdev, struct vfio_pci_dma_buf *priv)
{
	struct vfio_pci_dma_buf **pp = &vdev->dmabufs;
	struct vfio_pci_dma_buf *last = NULL;

	while (*pp) {
		last = *pp;
		pp = &(*pp)->next;
	}
	priv->prev = last;
	priv->next = NULL;
	*pp = priv;
	priv->on_list = true;
	{
		/* addr: memory enabled at the insertion, what the initial revoked must match (F8) */
		struct sim_event ev = { .kind = EV_DMABUF_STATE,
					.aux = priv->dmabuf->id,
					.dev = vdev->pdev,
					.flags = VFIO_DMABUF_FIELD_LIST,
					.count = 1,
					.addr = vfio_pci_memory_enabled_quiet(vdev) };

		dmabuf_sys_emit(vdev->sys, &ev);
	}
}

/* list_del_init(&priv->dmabufs_elm) */
static void dmabufs_del_init(struct vfio_pci_core_device *vdev, struct vfio_pci_dma_buf *priv)
{
	if (!priv->on_list)
		return;
	if (priv->prev)
		priv->prev->next = priv->next;
	else
		vdev->dmabufs = priv->next;
	if (priv->next)
		priv->next->prev = priv->prev;
	priv->prev = priv->next = NULL;
	priv->on_list = false;
	priv_state_emit(priv, vdev, VFIO_DMABUF_FIELD_LIST, 0);
}

/* --- exporter ops --------------------------------------------------------------------- */

static int vfio_pci_dma_buf_attach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach)
{
	struct vfio_pci_dma_buf *priv = dmabuf->priv;
	struct dmabuf_sys *sys = dmabuf->sys;

	if (!attach->peer2peer)
		return -EOPNOTSUPP;

	/* read without the resv: advisory, map is where it is enforced */
	if (priv->vdev) {
		struct sim_event ev = { .kind = EV_DMABUF_STATE,
					.aux = dmabuf->id,
					.dev = priv->vdev->pdev,
					.flags = VFIO_DMABUF_FIELD_ATTACH_CHECK,
					.count = priv->revoked,
					.addr = attach->id };

		dmabuf_sys_emit(sys, &ev);
	}
	if (priv->revoked)
		return -ENODEV;

	/* 7.0: only importers that stop in bounded time on invalidate (61ceaf236115 before) */
	if (!sys->profile->vfio_dmabuf_pin_eopnotsupp && !dma_buf_attach_revocable(attach) &&
	    !bug_injected(sys->bugs, BUG_H16_ACCEPT_PINNED))
		return -EOPNOTSUPP;

	return 0;
}

/* 6.19-rc7 .. 6.19: refuse every dma_buf_pin() (RDMA pinned importers). */
static int vfio_pci_dma_buf_pin(struct dma_buf_attachment *attach)
{
	return -EOPNOTSUPP;
}

static void vfio_pci_dma_buf_unpin(struct dma_buf_attachment *attach)
{
	/* nothing */
}

static struct sg_table *vfio_pci_dma_buf_map(struct dma_buf_attachment *attach,
					     enum dma_data_direction dir)
{
	struct vfio_pci_dma_buf *priv = attach->dmabuf->priv;
	struct sg_table *sgt;

	dma_resv_assert_held(&priv->dmabuf->resv);

	if (priv->revoked)
		return ERR_PTR(-ENODEV);

	sgt = dma_buf_phys_vec_to_sgt(attach, priv->provider, priv->phys_vec, priv->nr_ranges,
				      priv->size, dir);
	if (IS_ERR(sgt))
		return sgt;

	/* revoke waits for this reference to come back */
	if (vfio_dmabuf_waits(attach->dmabuf->sys))
		kref_get(&priv->kref);
	return sgt;
}

static void vfio_pci_dma_buf_done(struct kref *kref)
{
	struct vfio_pci_dma_buf *priv =
		(struct vfio_pci_dma_buf *)((char *)kref - offsetof(struct vfio_pci_dma_buf, kref));

	complete(&priv->comp);
}

static void vfio_pci_dma_buf_unmap(struct dma_buf_attachment *attach, struct sg_table *sgt,
				   enum dma_data_direction dir)
{
	struct vfio_pci_dma_buf *priv = attach->dmabuf->priv;

	dma_resv_assert_held(&priv->dmabuf->resv);

	dma_buf_free_sgt(attach, sgt, dir);
	if (vfio_dmabuf_waits(attach->dmabuf->sys))
		kref_put(&priv->kref, vfio_pci_dma_buf_done);
}

static void vfio_pci_dma_buf_release(struct dma_buf *dmabuf)
{
	struct vfio_pci_dma_buf *priv = dmabuf->priv;
	struct vfio_pci_core_device *vdev = priv->vdev;

	/*
	 * Either this or vfio_pci_dma_buf_cleanup() takes priv off the list;
	 * the file refcount makes sure only one of them does.
	 */
	if (vdev) {
		down_write(&vdev->memory_lock);
		dmabufs_del_init(vdev, priv);
		up_write(&vdev->memory_lock);
		vfio_device_put_registration(vdev);
	}
	free(priv->phys_vec);
	free(priv);
}

static const struct dma_buf_ops vfio_pci_dmabuf_ops = {
	.attach = vfio_pci_dma_buf_attach,
	.map_dma_buf = vfio_pci_dma_buf_map,
	.unmap_dma_buf = vfio_pci_dma_buf_unmap,
	.release = vfio_pci_dma_buf_release,
};

/* v6.19-rc7 .. v6.19 final */
static const struct dma_buf_ops vfio_pci_dmabuf_ops_pin = {
	.attach = vfio_pci_dma_buf_attach,
	.pin = vfio_pci_dma_buf_pin,
	.unpin = vfio_pci_dma_buf_unpin,
	.map_dma_buf = vfio_pci_dma_buf_map,
	.unmap_dma_buf = vfio_pci_dma_buf_unmap,
	.release = vfio_pci_dma_buf_release,
};

static bool is_vfio_pci_dmabuf(const struct dma_buf *dmabuf)
{
	return dmabuf->ops == &vfio_pci_dmabuf_ops || dmabuf->ops == &vfio_pci_dmabuf_ops_pin;
}

struct vfio_pci_dma_buf *vfio_pci_dma_buf_priv(struct dma_buf *dmabuf)
{
	return is_vfio_pci_dmabuf(dmabuf) ? dmabuf->priv : NULL;
}

/* --- the private iommufd interface ------------------------------------------------- */

int vfio_pci_dma_buf_iommufd_map(struct dma_buf_attachment *attach, struct dma_buf_phys_vec *phys)
{
	struct vfio_pci_dma_buf *priv;

	dma_resv_assert_held(&attach->dmabuf->resv);

	if (!is_vfio_pci_dmabuf(attach->dmabuf))
		return -EOPNOTSUPP;

	priv = attach->dmabuf->priv;
	if (priv->revoked)
		return -ENODEV;

	/* several ranges would need real dma-buf support in iommufd */
	if (priv->nr_ranges != 1)
		return -EOPNOTSUPP;

	*phys = priv->phys_vec[0];
	return 0;
}

/* --- physical ranges ------------------------------------------------------------------ */

int vfio_pci_core_fill_phys_vec(struct dma_buf_phys_vec *phys_vec,
				const struct vfio_region_dma_range *dma_ranges, size_t nr_ranges,
				phys_addr_t start, phys_addr_t len)
{
	phys_addr_t max_addr = start + len;

	for (size_t i = 0; i < nr_ranges; i++) {
		phys_addr_t end;

		if (!dma_ranges[i].length)
			return -EINVAL;

		if (__builtin_add_overflow(start, dma_ranges[i].offset, &phys_vec[i].paddr) ||
		    __builtin_add_overflow(phys_vec[i].paddr, dma_ranges[i].length, &end))
			return -EOVERFLOW;
		if (end > max_addr)
			return -EINVAL;

		phys_vec[i].len = dma_ranges[i].length;
	}
	return 0;
}

int vfio_pci_core_get_dmabuf_phys(struct vfio_pci_core_device *vdev,
				  struct p2pdma_provider **provider, unsigned int region_index,
				  struct dma_buf_phys_vec *phys_vec,
				  const struct vfio_region_dma_range *dma_ranges, size_t nr_ranges)
{
	struct pci_dev *pdev = vdev->pdev;

	*provider = pcim_p2pdma_provider(vdev->p2pdma, pdev, (int)region_index);
	/* 951ebc18d181: no provider for devices whose BARs must not be mapped */
	if (vdev->non_mappable_bars && !bug_injected(vdev_bugs(vdev), BUG_H21_NON_MAPPABLE_BARS))
		*provider = NULL;
	if (!*provider)
		return -EINVAL;

	/* 702809dabdec: only BARs whose resources this driver has requested */
	if (!vdev->bar_requested[region_index] &&
	    !bug_injected(vdev_bugs(vdev), BUG_H20_UNREQUESTED_BAR))
		return -EINVAL;

	return vfio_pci_core_fill_phys_vec(phys_vec, dma_ranges, nr_ranges,
					   pdev->bars[region_index].cpu_addr,
					   pdev->bars[region_index].size_bytes);
}

const struct vfio_pci_device_ops vfio_pci_core_dev_ops = {
	.get_dmabuf_phys = vfio_pci_core_get_dmabuf_phys,
};

int nvgrace_get_dmabuf_phys(struct vfio_pci_core_device *core_vdev,
			    struct p2pdma_provider **provider, unsigned int region_index,
			    struct dma_buf_phys_vec *phys_vec,
			    const struct vfio_region_dma_range *dma_ranges, size_t nr_ranges)
{
	struct nvgrace_gpu_pci_core_device *nvdev = (struct nvgrace_gpu_pci_core_device *)core_vdev;
	phys_addr_t memphys;
	size_t memlength;

	if (region_index == USEMEM_REGION_INDEX) {
		memphys = nvdev->usemem_phys;
		memlength = nvdev->usemem_len;
	} else if (region_index == RESMEM_REGION_INDEX && nvdev->resmem_len) {
		memphys = nvdev->resmem_phys;
		memlength = nvdev->resmem_len;
	} else {
		return vfio_pci_core_get_dmabuf_phys(core_vdev, provider, region_index, phys_vec,
						     dma_ranges, nr_ranges);
	}

	if (bug_injected(vdev_bugs(core_vdev), BUG_H6_VARIANT_USES_PCI_BAR))
		return vfio_pci_core_get_dmabuf_phys(core_vdev, provider, region_index, phys_vec,
						     dma_ranges, nr_ranges);

	/* device memory is reached through BAR 0's provider */
	*provider = pcim_p2pdma_provider(core_vdev->p2pdma, core_vdev->pdev, 0);
	if (!*provider)
		return -EINVAL;
	return vfio_pci_core_fill_phys_vec(phys_vec, dma_ranges, nr_ranges, memphys, memlength);
}

const struct vfio_pci_device_ops nvgrace_gpu_pci_dev_ops = {
	.get_dmabuf_phys = nvgrace_get_dmabuf_phys,
};

/* --- VFIO_DEVICE_FEATURE_DMA_BUF ------------------------------------------------------ */

/* vfio_check_feature(): 1 to go on, 0 for PROBE, -EINVAL. */
static int vfio_check_feature(u32 flags, size_t argsz, u32 supported_ops, size_t minsz)
{
	if ((flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)) & ~supported_ops)
		return -EINVAL;
	if (flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	/* without PROBE, one of GET or SET */
	if (!(flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)))
		return -EINVAL;
	if (argsz < minsz)
		return -EINVAL;
	return 1;
}

/* memdup_array_user(): -EOVERFLOW on count * size overflow, -ENOMEM, -EFAULT. */
static struct vfio_region_dma_range *memdup_array_user(const struct vfio_region_dma_range *src,
						       size_t n, size_t size)
{
	struct vfio_region_dma_range *p;
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return ERR_PTR(-EOVERFLOW);
	if (bytes > KMALLOC_MAX_SIZE)
		return ERR_PTR(-ENOMEM);
	p = malloc(bytes);
	if (!p)
		return ERR_PTR(-ENOMEM);
	if (!src) { /* copy_from_user() faulted */
		free(p);
		return ERR_PTR(-EFAULT);
	}
	memcpy(p, src, bytes);
	return p;
}

static int validate_dmabuf_input(const struct vfio_device_feature_dma_buf *dma_buf,
				 const struct vfio_region_dma_range *dma_ranges, size_t *lengthp)
{
	size_t length = 0;

	for (u32 i = 0; i < dma_buf->nr_ranges; i++) {
		u64 offset = dma_ranges[i].offset;
		u64 len = dma_ranges[i].length;

		if (!len || (offset & (PAGE_SIZE - 1)) || (len & (PAGE_SIZE - 1)))
			return -EINVAL;

		if (__builtin_add_overflow(length, len, &length))
			return -EINVAL;
	}

	/* dma_iova_try_alloc() would WARN on a size with the swiotlb flag bit */
	if ((u64)length & DMA_IOVA_USE_SWIOTLB)
		return -EINVAL;

	*lengthp = length;
	return 0;
}

static int vfio_export_emit(struct vfio_pci_core_device *vdev, u32 region, u64 id, int ret)
{
	struct sim_event ev = {
		.kind = EV_VFIO_EXPORT, .dev = vdev->pdev, .count = region, .aux = id, .ret = ret
	};

	/* the facts F7 judges the export by */
	if (region < PCI_NUM_BARS && vdev->bar_requested[region])
		ev.flags |= VFIO_EXPORTF_BAR_REQUESTED;
	if (vdev->non_mappable_bars)
		ev.flags |= VFIO_EXPORTF_NON_MAPPABLE;
	if (vdev->pci_ops == &nvgrace_gpu_pci_dev_ops) {
		const struct nvgrace_gpu_pci_core_device *nvdev =
			(const struct nvgrace_gpu_pci_core_device *)vdev;

		/* the region's advertised memory (what the variant's region info reports) */
		if (region == USEMEM_REGION_INDEX) {
			ev.flags |= VFIO_EXPORTF_DEVICE_MEMORY;
			ev.phys = nvdev->usemem_phys;
			ev.len = nvdev->usemem_len;
		} else if (region == RESMEM_REGION_INDEX && nvdev->resmem_len) {
			ev.flags |= VFIO_EXPORTF_DEVICE_MEMORY;
			ev.phys = nvdev->resmem_phys;
			ev.len = nvdev->resmem_len;
		}
	}

	dmabuf_sys_emit(vdev->sys, &ev);
	return ret;
}

int vfio_pci_core_feature_dma_buf(struct vfio_pci_core_device *vdev, u32 flags,
				  const struct vfio_device_feature_dma_buf *arg, size_t argsz)
{
	const struct bug_set *bugs = vdev_bugs(vdev);
	struct vfio_device_feature_dma_buf get_dma_buf = { 0 };
	struct vfio_region_dma_range *dma_ranges;
	struct dma_buf_export_info exp_info = { 0 };
	struct vfio_pci_dma_buf *priv;
	size_t length;
	int ret;

	if (!vdev->pci_ops) {
		if (bug_injected(bugs, BUG_H11_NO_PCI_OPS_CHECK)) {
			/* H11: vdev->pci_ops->get_dmabuf_phys through NULL */
			dmabuf_warn(vdev->sys, DMABUF_WARN_OOPS, 0);
			return vfio_export_emit(vdev, 0, 0, -EFAULT);
		}
		return vfio_export_emit(vdev, 0, 0, -EOPNOTSUPP);
	}
	if (!vdev->pci_ops->get_dmabuf_phys)
		return vfio_export_emit(vdev, 0, 0, -EOPNOTSUPP);

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET, 16 /* the header */);
	if (ret != 1)
		return vfio_export_emit(vdev, 0, 0, ret);

	if (!arg)
		return vfio_export_emit(vdev, 0, 0, -EFAULT);
	get_dma_buf = *arg;

	if (!get_dma_buf.nr_ranges || get_dma_buf.flags)
		return vfio_export_emit(vdev, get_dma_buf.region_index, 0, -EINVAL);

	/* for PCI the region index is the BAR number */
	if (get_dma_buf.region_index >= VFIO_PCI_ROM_REGION_INDEX)
		return vfio_export_emit(vdev, get_dma_buf.region_index, 0, -ENODEV);

	dma_ranges = memdup_array_user(arg->dma_ranges, get_dma_buf.nr_ranges, sizeof(*dma_ranges));
	if (IS_ERR(dma_ranges))
		return vfio_export_emit(vdev, get_dma_buf.region_index, 0,
					(int)PTR_ERR(dma_ranges));

	ret = validate_dmabuf_input(&get_dma_buf, dma_ranges, &length);
	if (ret)
		goto err_free_ranges;

	priv = calloc(1, sizeof(*priv));
	if (!priv) {
		ret = -ENOMEM;
		goto err_free_ranges;
	}
	priv->phys_vec = calloc(get_dma_buf.nr_ranges, sizeof(*priv->phys_vec));
	if (!priv->phys_vec) {
		ret = -ENOMEM;
		goto err_free_priv;
	}

	priv->vdev = vdev;
	priv->nr_ranges = get_dma_buf.nr_ranges;
	priv->size = length;
	ret = vdev->pci_ops->get_dmabuf_phys(vdev, &priv->provider, get_dma_buf.region_index,
					     priv->phys_vec, dma_ranges, priv->nr_ranges);
	if (ret)
		goto err_free_phys;

	free(dma_ranges);
	dma_ranges = NULL;

	if (!vfio_device_try_get_registration(vdev)) {
		ret = -ENODEV;
		goto err_free_phys;
	}

	exp_info.ops = vdev->sys->profile->vfio_dmabuf_pin_eopnotsupp &&
				       !bug_injected(bugs, BUG_H16_ACCEPT_PINNED) ?
			       &vfio_pci_dmabuf_ops_pin :
			       &vfio_pci_dmabuf_ops;
	exp_info.size = priv->size;
	exp_info.flags = (int)get_dma_buf.open_flags;
	exp_info.priv = priv;

	priv->dmabuf = dma_buf_export(vdev->sys, &exp_info);
	if (IS_ERR(priv->dmabuf)) {
		ret = (int)PTR_ERR(priv->dmabuf);
		priv->dmabuf = NULL;
		goto err_dev_put;
	}
	priv->kref.sys = vdev->sys;
	priv->kref.owner_id = priv->dmabuf->id;
	priv->comp.sys = vdev->sys;
	priv->comp.owner_id = priv->dmabuf->id;
	kref_init(&priv->kref);
	init_completion(&priv->comp);
	priv_state_emit(priv, vdev, VFIO_DMABUF_FIELD_VDEV, 1);
	for (u32 i = 0; i < priv->nr_ranges; i++) {
		/* the physical ranges, for the checkers (route after revoke, S1) */
		struct sim_event ev = { .kind = EV_DMABUF_STATE,
					.aux = priv->dmabuf->id,
					.dev = vdev->pdev,
					.flags = VFIO_DMABUF_FIELD_RANGE,
					.count = i,
					.phys = priv->phys_vec[i].paddr,
					.len = priv->phys_vec[i].len };

		dmabuf_sys_emit(vdev->sys, &ev);
	}

	/* from here on dma_buf_put() frees priv */
	if (bug_injected(bugs, BUG_H3_REVOKED_INIT_UNLOCKED)) {
		/* H3: the state sampled outside memory_lock + resv; a revoke can slip in */
		priv_set_revoked(priv, vdev, !__vfio_pci_memory_enabled(vdev));
		dmabuf_preempt(vdev->sys, "vfio_pci_core_feature_dma_buf:before-insert");
		down_write(&vdev->memory_lock);
		dma_resv_lock(&priv->dmabuf->resv);
	} else {
		dmabuf_preempt(vdev->sys, "vfio_pci_core_feature_dma_buf:before-insert");
		down_write(&vdev->memory_lock);
		dma_resv_lock(&priv->dmabuf->resv);
		priv_set_revoked(priv, vdev, !__vfio_pci_memory_enabled(vdev));
	}
	dmabufs_add_tail(vdev, priv);
	dma_resv_unlock(&priv->dmabuf->resv);
	up_write(&vdev->memory_lock);

	if (bug_injected(bugs, BUG_H7_FD_FAIL_LEAK)) {
		/* H7 (v5): the fd error goes straight back; dma-buf and registration leak */
		ret = dma_buf_fd(priv->dmabuf, (int)get_dma_buf.open_flags);
		if (ret < 0)
			intended_leak(priv->dmabuf); /* the simulator's own leak checker: on purpose */
		return vfio_export_emit(vdev, get_dma_buf.region_index, 0, ret);
	}

	/* dma_buf_fd() takes over the reference; closing the file releases the dma-buf */
	{
		u64 id = priv->dmabuf->id;

		ret = dma_buf_fd(priv->dmabuf, (int)get_dma_buf.open_flags);
		if (ret < 0) {
			dma_buf_put(priv->dmabuf); /* release drops the registration, frees priv */
			if (bug_injected(bugs, BUG_H7_FD_FAIL_DOUBLE_FREE)) {
				/* H7 (v6..6.19.10): fall through to the error ladder as well */
				vfio_device_put_registration(vdev);
				dmabuf_warn(vdev->sys, DMABUF_WARN_DOUBLE_FREE,
					    id); /* kfree(phys_vec) */
				dmabuf_warn(vdev->sys, DMABUF_WARN_DOUBLE_FREE,
					    id); /* kfree(priv) */
			}
		}
		return vfio_export_emit(vdev, get_dma_buf.region_index, ret < 0 ? 0 : id, ret);
	}

err_dev_put:
	vfio_device_put_registration(vdev);
err_free_phys:
	free(priv->phys_vec);
err_free_priv:
	free(priv);
err_free_ranges:
	free(dma_ranges);
	return vfio_export_emit(vdev, get_dma_buf.region_index, 0, ret);
}

/* --- revoke ----------------------------------------------------------------------------- */

static void revoke_emit(struct vfio_pci_core_device *vdev, struct vfio_pci_dma_buf *priv,
			enum sim_event_kind kind, bool revoked)
{
	struct sim_event ev = {
		.kind = kind, .aux = priv->dmabuf->id, .dev = vdev->pdev, .flags = revoked
	};

	dmabuf_sys_emit(vdev->sys, &ev);
}

/* The revoke / un-revoke of one dma-buf (memory_lock held for write). */
static void vfio_pci_dma_buf_move_one(struct vfio_pci_core_device *vdev,
				      struct vfio_pci_dma_buf *priv, bool revoked)
{
	struct dmabuf_sys *sys = vdev->sys;
	bool h18 = bug_injected(sys->bugs, BUG_H18_CLEANUP_REDRAIN);

	revoke_emit(vdev, priv, EV_DMABUF_REVOKE_BEGIN, revoked);

	if (!vfio_dmabuf_waits(sys)) {
		/* 6.19 (and bug H17): flip and notify under the resv, nothing else */
		dma_resv_lock(&priv->dmabuf->resv);
		priv_set_revoked(priv, vdev, revoked);
		dma_buf_invalidate_mappings(priv->dmabuf);
		dma_resv_unlock(&priv->dmabuf->resv);
		revoke_emit(vdev, priv, EV_DMABUF_REVOKE_END, revoked);
		return;
	}

	dma_resv_lock(&priv->dmabuf->resv);
	/* revoke: block new maps first; un-revoke: stay revoked while importers are told */
	if (revoked)
		priv_set_revoked(priv, vdev, true);
	dma_buf_invalidate_mappings(priv->dmabuf);
	dma_resv_wait_timeout(&priv->dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP, false,
			      MAX_SCHEDULE_TIMEOUT, priv->dmabuf->id);
	dma_resv_unlock(&priv->dmabuf->resv);

	if (revoked) {
		/* drop the base reference and wait for every importer's unmap (resv released) */
		kref_put(&priv->kref, vfio_pci_dma_buf_done);
		dmabuf_preempt(sys, "vfio_pci_dma_buf_move:wait-unmap");
		wait_for_completion(&priv->comp);
		if (!h18) {
			/* c64a647c84f3: re-arm at once, so a later cleanup finds kref 1 */
			kref_init(&priv->kref);
			reinit_completion(&priv->comp);
		}
	} else {
		/* the un-revoke window: importers were told, maps still fail -ENODEV */
		dmabuf_preempt(sys, "vfio_pci_dma_buf_move:unrevoke-window");
		dma_resv_lock(&priv->dmabuf->resv);
		priv_set_revoked(priv, vdev, false);
		dma_resv_unlock(&priv->dmabuf->resv);
		if (h18) {
			/* before c64a647c84f3: only the un-revoke re-armed */
			kref_init(&priv->kref);
			reinit_completion(&priv->comp);
		}
	}
	revoke_emit(vdev, priv, EV_DMABUF_REVOKE_END, revoked);
}

void vfio_pci_dma_buf_move(struct vfio_pci_core_device *vdev, bool revoked)
{
	struct vfio_pci_dma_buf *priv, *tmp;

	lockdep_assert_held_write(&vdev->memory_lock);

	if (bug_injected(vdev_bugs(vdev), BUG_H1_INVERTED_REVOKE))
		revoked = !revoked; /* H1: the call sites passed the inverse */

	for (priv = vdev->dmabufs; priv; priv = tmp) {
		tmp = priv->next;
		/* a dma-buf whose release is already running (blocked on memory_lock) */
		if (!get_file_active(priv->dmabuf))
			continue;
		if (priv->revoked != revoked)
			vfio_pci_dma_buf_move_one(vdev, priv, revoked);
		fput(priv->dmabuf);
	}
}

/* 7.0 cleanup before c64a647c84f3 (bug H18): drain again, whatever the state. */
static void vfio_pci_dma_buf_cleanup_h18(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_dma_buf *priv, *tmp;

	down_write(&vdev->memory_lock);
	for (priv = vdev->dmabufs; priv; priv = tmp) {
		tmp = priv->next;
		if (!get_file_active(priv->dmabuf))
			continue;
		dma_resv_lock(&priv->dmabuf->resv);
		dmabufs_del_init(vdev, priv);
		priv->vdev = NULL;
		priv_state_emit(priv, vdev, VFIO_DMABUF_FIELD_VDEV, 0);
		priv_set_revoked(priv, vdev, true);
		dma_buf_invalidate_mappings(priv->dmabuf);
		dma_resv_wait_timeout(&priv->dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP, false,
				      MAX_SCHEDULE_TIMEOUT, priv->dmabuf->id);
		dma_resv_unlock(&priv->dmabuf->resv);
		kref_put(&priv->kref, vfio_pci_dma_buf_done);
		wait_for_completion(&priv->comp);
		vfio_device_put_registration(vdev);
		fput(priv->dmabuf);
	}
	up_write(&vdev->memory_lock);
}

void vfio_pci_dma_buf_cleanup(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_dma_buf *priv, *tmp;

	if (!vdev->dmabufs_initialized) /* H8: the list head was never set up */
		dmabuf_warn(vdev->sys, DMABUF_WARN_OOPS, 0);

	if (bug_injected(vdev_bugs(vdev), BUG_H18_CLEANUP_REDRAIN)) {
		vfio_pci_dma_buf_cleanup_h18(vdev);
		return;
	}

	down_write(&vdev->memory_lock);
	vfio_pci_dma_buf_move(vdev, true);
	for (priv = vdev->dmabufs; priv; priv = tmp) {
		tmp = priv->next;
		if (!get_file_active(priv->dmabuf))
			continue;
		dmabufs_del_init(vdev, priv);
		priv->vdev = NULL;
		priv_state_emit(priv, vdev, VFIO_DMABUF_FIELD_VDEV, 0);
		vfio_device_put_registration(vdev);
		fput(priv->dmabuf);
	}
	up_write(&vdev->memory_lock);
}
