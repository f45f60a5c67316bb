/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Follows drivers/vfio/pci/vfio_pci_dmabuf.c (intel-lab-lkp @0c8db53a7809: 7.0+ kref /
 * completion, dma_buf_attach_revocable, fixed dma_buf_fd unwind, c64a647c84f3 re-arm) and
 * drivers/vfio/pci/nvgrace-gpu/main.c's get_dmabuf_phys; reference/dmabuf-vfio.md §2.
 *
 * vfio_pci_dmabuf.h - the VFIO PCI dma-buf exporter: VFIO_DEVICE_FEATURE_DMA_BUF
 * (validation in the documented order with the documented errnos), the
 * per-BAR p2pdma providers behind get_dmabuf_phys (core and nvgrace-style),
 * the exporter ops (attach / map / unmap / release), revoke
 * (vfio_pci_dma_buf_move) and cleanup, and the private iommufd map.
 *
 * Owned here: struct vfio_pci_dma_buf and the uAPI structs.
 */
#ifndef P2PSIM_SRC_VFIO_VFIO_PCI_DMABUF_H
#define P2PSIM_SRC_VFIO_VFIO_PCI_DMABUF_H

#include "src/dma-buf/dma-buf-mapping.h"
#include "src/vfio/vfio_pci_core.h"

/* include/uapi/linux/vfio.h */
#define VFIO_DEVICE_FEATURE_MASK 0xffff
#define VFIO_DEVICE_FEATURE_GET (1 << 16)
#define VFIO_DEVICE_FEATURE_SET (1 << 17)
#define VFIO_DEVICE_FEATURE_PROBE (1 << 18)
#define VFIO_DEVICE_FEATURE_DMA_BUF 11

#define VFIO_PCI_BAR0_REGION_INDEX 0
#define VFIO_PCI_BAR2_REGION_INDEX 2
#define VFIO_PCI_BAR4_REGION_INDEX 4
#define VFIO_PCI_ROM_REGION_INDEX 6

struct vfio_region_dma_range {
	u64 offset; /* relative to the region start */
	u64 length;
};

/*
 * struct vfio_device_feature_dma_buf. The ranges live in "user memory":
 * @dma_ranges points at them (the kernel's flexible array); NULL models an
 * unreadable user buffer (copy fails, -EFAULT).
 */
struct vfio_device_feature_dma_buf {
	u32 region_index;
	u32 open_flags;
	u32 flags;
	u32 nr_ranges;
	const struct vfio_region_dma_range *dma_ranges;
};

/* The largest kmalloc (memdup_array_user beyond it fails -ENOMEM): 4 MiB on x86-64. */
#define KMALLOC_MAX_SIZE (4UL << 20)

struct vfio_pci_device_ops {
	int (*get_dmabuf_phys)(struct vfio_pci_core_device *vdev, struct p2pdma_provider **provider,
			       unsigned int region_index, struct dma_buf_phys_vec *phys_vec,
			       const struct vfio_region_dma_range *dma_ranges, size_t nr_ranges);
};

/* EV_DMABUF_STATE flags: which field of struct vfio_pci_dma_buf changed. */
enum vfio_dmabuf_field {
	VFIO_DMABUF_FIELD_REVOKED = 1, /* count = new value */
	VFIO_DMABUF_FIELD_VDEV, /* count = 1 set / 0 NULL (cleanup) */
	VFIO_DMABUF_FIELD_LIST, /* count = 1 added to vdev->dmabufs / 0 removed */
	VFIO_DMABUF_FIELD_RANGE, /* phys_vec[count] = { phys, len } (after the export) */
	VFIO_DMABUF_FIELD_ATTACH_CHECK, /* attach read revoked = count for attachment addr */
};

struct vfio_pci_dma_buf {
	struct dma_buf *dmabuf;
	struct vfio_pci_core_device *vdev; /* NULL after cleanup */
	struct vfio_pci_dma_buf *prev, *next; /* dmabufs_elm */
	bool on_list;
	size_t size;
	struct dma_buf_phys_vec *phys_vec;
	struct p2pdma_provider *provider;
	u32 nr_ranges;
	struct kref kref; /* 1 = the base ("registered") ref, +1 per live map */
	struct completion comp; /* completed when kref drops to 0 during revoke */
	bool revoked;
};

/* The vfio-pci core's ops ({ .get_dmabuf_phys = vfio_pci_core_get_dmabuf_phys }). */
extern const struct vfio_pci_device_ops vfio_pci_core_dev_ops;

int vfio_pci_core_fill_phys_vec(struct dma_buf_phys_vec *phys_vec,
				const struct vfio_region_dma_range *dma_ranges, size_t nr_ranges,
				phys_addr_t start, phys_addr_t len);
int vfio_pci_core_get_dmabuf_phys(struct vfio_pci_core_device *vdev,
				  struct p2pdma_provider **provider, unsigned int region_index,
				  struct dma_buf_phys_vec *phys_vec,
				  const struct vfio_region_dma_range *dma_ranges, size_t nr_ranges);

/*
 * nvgrace-gpu: device memory (usemem, optionally resmem) is exposed as the
 * virtual BARs 4 and 2; their dma-bufs use BAR 0's provider and phys
 * addresses inside the device memory. Embed the core device first.
 */
#define RESMEM_REGION_INDEX VFIO_PCI_BAR2_REGION_INDEX
#define USEMEM_REGION_INDEX VFIO_PCI_BAR4_REGION_INDEX

struct nvgrace_gpu_pci_core_device {
	struct vfio_pci_core_device core_device;
	phys_addr_t usemem_phys;
	size_t usemem_len;
	phys_addr_t resmem_phys;
	size_t resmem_len; /* 0: no resmem region */
};

extern const struct vfio_pci_device_ops nvgrace_gpu_pci_dev_ops;

int nvgrace_get_dmabuf_phys(struct vfio_pci_core_device *vdev, struct p2pdma_provider **provider,
			    unsigned int region_index, struct dma_buf_phys_vec *phys_vec,
			    const struct vfio_region_dma_range *dma_ranges, size_t nr_ranges);

/*
 * VFIO_DEVICE_FEATURE with VFIO_DEVICE_FEATURE_DMA_BUF: the new dma-buf's
 * fd, 0 for PROBE, or -EOPNOTSUPP / -EINVAL / -EFAULT / -ENODEV / -ENOMEM /
 * -EOVERFLOW / -EMFILE in the order of reference §2.2.
 */
int vfio_pci_core_feature_dma_buf(struct vfio_pci_core_device *vdev, u32 flags,
				  const struct vfio_device_feature_dma_buf *arg, size_t argsz);

/* Revoke (@revoked true) or un-revoke every dma-buf of @vdev (memory_lock held for write). */
void vfio_pci_dma_buf_move(struct vfio_pci_core_device *vdev, bool revoked);
/* Close: revoke and drain, then detach every dma-buf from @vdev for good. */
void vfio_pci_dma_buf_cleanup(struct vfio_pci_core_device *vdev);

/*
 * vfio_pci_dma_buf_iommufd_map() (resv held): the single range of a VFIO
 * dma-buf for iommufd. -EOPNOTSUPP (not a VFIO dma-buf, several ranges),
 * -ENODEV (revoked). Takes no kref.
 */
int vfio_pci_dma_buf_iommufd_map(struct dma_buf_attachment *attach, struct dma_buf_phys_vec *phys);

/* The exporter's private data of a VFIO dma-buf, NULL for any other dma-buf. */
struct vfio_pci_dma_buf *vfio_pci_dma_buf_priv(struct dma_buf *dmabuf);

#endif /* P2PSIM_SRC_VFIO_VFIO_PCI_DMABUF_H */
