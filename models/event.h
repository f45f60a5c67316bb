/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * event.h - the one event bus (DESIGN.md §2, §6).
 *
 * Hardware models and kernel algorithms report what happened (a mapping made,
 * an IOTLB entry filled, a TLP delivered, a fault, ...) by emitting events;
 * checkers, the trace writer and statistics subscribe. Subscribers observe,
 * never steer: they get a const event and must not call back into the
 * emitter. Emitting with no subscriber costs one branch.
 *
 * Owned here: struct event_bus. Each event is a flat struct; fields that do
 * not apply to a kind stay 0 / NULL. Add kinds at the end of the enum.
 */
#ifndef P2PSIM_MODELS_EVENT_H
#define P2PSIM_MODELS_EVENT_H

#include "models/types.h"

struct pci_dev;

enum sim_event_kind {
	/* streaming DMA API (src/dma, src/iommu/dma-iommu.c) */
	EV_DMA_MAP,          /* dev, addr=dma, phys, len, dir, attrs, ret (0 or -errno) */
	EV_DMA_UNMAP,        /* dev, addr=dma, len, dir, attrs */
	EV_DMA_MAP_SG,       /* dev, addr=first dma, len=total, count=nents, ret=mapped ents */
	EV_DMA_UNMAP_SG,     /* dev, addr, len, count=nents */
	EV_DMA_SYNC_FOR_CPU, /* dev, addr, len, dir */
	EV_DMA_SYNC_FOR_DEVICE,
	EV_DMA_MAPPING_ERROR_CHECKED, /* dev, addr */
	EV_ARCH_SYNC,        /* non-coherent cache maintenance: dev, phys, len, dir, flags=1 for cpu */
	/* IOVA allocator */
	EV_IOVA_ALLOC,       /* addr=iova, len=bytes, ret */
	EV_IOVA_FREE,        /* addr, len */
	EV_IOVA_QUEUED,      /* lazy: addr, len, count=flush-queue counter */
	/* IOMMU core + hardware */
	EV_IOMMU_MAP,        /* domain id in aux, addr=iova, phys, len, flags=prot */
	EV_IOMMU_UNMAP,      /* aux=domain, addr=iova, len */
	EV_IOTLB_FILL,       /* aux=domain, addr=iova page, phys */
	EV_IOTLB_HIT,        /* aux=domain, addr, phys; flags=1: stale (page table no longer maps it) */
	EV_IOTLB_INVALIDATE, /* aux=domain, addr, len (len=0: all) */
	EV_IOTLB_SYNC,       /* aux=domain, addr, len: iotlb_sync / iotlb_sync_map */
	EV_FQ_FLUSH,         /* aux=domain, count=finish counter */
	EV_PGTABLE_PAGE_ALLOC, /* aux=domain, addr=table page id */
	EV_PGTABLE_PAGE_FREE,
	EV_IOMMU_FAULT,      /* dev, addr=iova, flags=access, ret=reason */
	/* swiotlb */
	EV_SWIOTLB_MAP,      /* dev, phys=orig, addr=tlb, len, count=slots */
	EV_SWIOTLB_UNMAP,    /* dev, addr=tlb, len, count=slots */
	EV_BOUNCE,           /* dev, phys=orig, addr=tlb, len, dir: bytes copied */
	/* fabric (device DMA) */
	EV_TLP_DELIVERED,    /* dev=requester, addr=as issued, phys=where it landed, len, flags */
	EV_TLP_FAULTED,      /* dev, addr, len, ret=reason */
	/* device life */
	EV_DEVICE_RELEASE,   /* dev: driver unbind / end of run */
	EV_TIME_ADVANCE,     /* len = ns advanced */
	/* P2P mapping decision (emitted where a P2P page is mapped, or by the runner) */
	EV_P2P_MAP,          /* dev=client, addr=dma address (bus address for BUS_ADDR), phys=provider
			      * CPU address, len, flags=enum pci_p2pdma_map_type, ret=0 mapped or -errno */
	/* HMM DMA helpers (src/mm/hmm.c) */
	EV_HMM_MAP_FREE,     /* dev, addr=IOVA base (0 without IOVA), len=entries, count=entries still
			      * DMA_MAPPED at hmm_dma_map_free() (a leak when non-zero) */
	/* dma-buf core, VFIO dma-buf exporter, importers (src/dma-buf, src/vfio, src/importers;
	 * docs/dmabuf.md). aux = dma-buf id unless noted; dev = importer / VFIO device. */
	EV_DMABUF_EXPORT,    /* aux=id, len=size, ret */
	EV_DMABUF_RELEASE,   /* aux=id: last file reference gone, exporter release ran */
	EV_DMABUF_FILE,      /* aux=id, count=file refcount after, flags=enum dmabuf_file_op, ret=fd,
			      * addr=thread */
	EV_DMABUF_ATTACH,    /* aux=id, dev, addr=attachment id, flags=DMABUF_ATTF_*, ret */
	EV_DMABUF_DETACH,    /* aux=id, dev, addr=attachment id */
	EV_DMABUF_PIN,       /* aux=id, dev, addr=attachment id, ret */
	EV_DMABUF_UNPIN,     /* aux=id, dev, addr=attachment id */
	EV_DMABUF_MAP,       /* aux=id, dev, addr=first dma address, len=bytes, count=nents,
			      * flags=enum pci_p2pdma_map_type, phys=attachment id, ret */
	EV_DMABUF_UNMAP,     /* aux=id, dev, addr=first dma address, len, count=nents, phys=attachment id */
	EV_DMABUF_SG_ENTRY,  /* aux=id, dev, addr=sg_dma_address, len=sg_dma_len, count=index */
	EV_DMABUF_INVALIDATE, /* aux=id, count=importer callbacks issued, flags=1 move_notify naming */
	EV_DMABUF_INVALIDATE_CB, /* aux=id, dev, addr=attachment id: one importer callback (begin) */
	EV_DMABUF_FENCE_WAIT, /* aux=id, flags=enum dma_resv_usage, count=fences waited, ret */
	EV_DMABUF_REVOKE_BEGIN, /* aux=id, dev=exporter, flags=1 revoke / 0 un-revoke */
	EV_DMABUF_REVOKE_END,   /* aux=id, dev=exporter, flags as BEGIN */
	EV_DMABUF_STATE,     /* aux=id, dev=exporter, flags=enum vfio_dmabuf_field, count=new value;
			      * LIST add: addr=1 when memory was enabled at the insertion;
			      * RANGE (once per range after the export): count=index, phys, len;
			      * ATTACH_CHECK: the exporter's attach read revoked=count for
			      * attachment addr (A4; the attach may still race a revoke) */
	EV_DMABUF_KREF,      /* aux=id, flags=enum dmabuf_kref_op, count=value after, ret=-EINVAL on
			      * addition on 0, -EOVERFLOW on underflow */
	EV_DMABUF_COMPLETION, /* aux=id, flags=enum dmabuf_completion_op, count=done after,
			       * addr=thread, ret=-EDEADLK for a wait that can never finish */
	EV_DMABUF_LOCK,      /* aux=lock id, flags=enum sim_lock_class, count=1 write / 0 read, | 2
			      * for a trylock, addr=thread, ret=0 or -EDEADLK (would block
			      * forever) / -EBUSY (trylock failed); the owner: dev=the VFIO device
			      * of a memory_lock, phys=the dma-buf id of a resv (0 otherwise) */
	EV_DMABUF_UNLOCK,    /* aux=lock id, flags=class, count=1 write / 0 read, addr=thread,
			      * dev / phys = owner as for LOCK */
	EV_DMABUF_LOCK_ASSERT, /* aux=lock id, flags=class, count=1 write wanted, addr=thread,
				* ret=0 or -ENOLCK, dev / phys = owner as for LOCK */
	EV_DMABUF_WARN,      /* WARN_ON / oops in the model: flags=enum dmabuf_warn, aux=object id */
	EV_VFIO_HW_EVENT,    /* dev, flags=enum vfio_hw_event: the physical event R6 orders against;
			      * count=1 when memory is enabled after it (__vfio_pci_memory_enabled()
			      * and the function decodes memory), 0 otherwise */
	EV_VFIO_REGISTRATION, /* dev, count=registrations after, flags=1 get / 0 put, ret */
	EV_VFIO_EXPORT,      /* dev, ret=fd or -errno, count=region index, aux=id (0 if none),
			      * flags=VFIO_EXPORTF_* facts about the region at the call;
			      * device-memory regions: phys, len = the memory the region stands for */
	EV_P2PDMA_PROVIDER_RELEASE, /* dev: devm freed the device's p2pdma providers */
	EV_IMPORTER_HW,      /* dev, aux=id, phys=attachment id, flags=enum importer_hw_op (zap,
			      * iommu unmap, ...); iommufd: addr=iova */
	EV_IMPORTER_DMA,     /* dev, aux=id, addr=device address, len, flags=1 write, ret */
	/* two-step IOVA API calls (src/iommu/dma-iommu.c), as the caller made them; the IOMMU
	 * events of what they did follow (UNLINK: precede). aux = IOMMU domain id */
	EV_IOVA_LINK,        /* dma_iova_link(): dev, addr=state->addr + offset, phys, len=size, dir,
			      * attrs, ret=0 or -errno */
	EV_IOVA_UNLINK,      /* dma_iova_unlink() / dma_iova_destroy(): dev, addr=state->addr +
			      * offset, len=size (mapped_len), dir, attrs, flags=1 destroy (the
			      * IOVA is freed after) */
	EV_DMABUF_FENCE,     /* a modelled fence on a dma-buf's resv: aux=id, addr=enum
			      * dmabuf_fence_op (1 added / 2 signalled), flags=enum
			      * dma_resv_usage, count=1 for a fence that never signals (a wait
			      * that covers it hangs; see EV_DMABUF_FENCE_WAIT) */
	EV_KERNEL_HANG,      /* a kernel loop that would never end (the model breaks out of it):
			      * dev, addr=where it spins (an IOVA), aux=domain id, flags=enum
			      * kernel_hang_site */
	EV__COUNT
};

/* EV_KERNEL_HANG flags: which loop. */
enum kernel_hang_site {
	HANG_IOVA_UNLINK_SLOW, /* iommu_dma_iova_unlink_range_slow(): `continue` on no translation */
};

struct sim_event {
	enum sim_event_kind kind;
	u64 time_ns;               /* logical clock, filled by the emitter helper */
	const struct pci_dev *dev; /* the device concerned, if any */
	u64 addr;                  /* dma / iova / bus address, by kind */
	u64 phys;                  /* CPU physical address, by kind */
	u64 len;
	u64 aux;                   /* kind-specific (domain id, ...) */
	int dir;                   /* enum dma_data_direction, when relevant */
	unsigned long attrs;       /* DMA_ATTR_*, when relevant */
	unsigned int flags;        /* kind-specific */
	unsigned int count;        /* kind-specific */
	int ret;                   /* 0 or negative errno */
	int line;                  /* scenario line that caused it (0 if none); set by the runner */
};

typedef void (*sim_event_fn)(void *ctx, const struct sim_event *ev);

#define EVENT_BUS_MAX_SUBSCRIBERS 16

struct event_bus {
	struct {
		sim_event_fn fn;
		void *ctx;
	} subs[EVENT_BUS_MAX_SUBSCRIBERS];
	unsigned int nr_subs;
	const u64 *clock_ns; /* the machine's logical clock, stamped into each event */
	int current_line;    /* stamped into each event */
	u64 counts[EV__COUNT];
};

void event_bus_init(struct event_bus *bus, const u64 *clock_ns);
/* Returns 0 or -ENOSPC. */
int event_bus_subscribe(struct event_bus *bus, sim_event_fn fn, void *ctx);
void event_bus_unsubscribe(struct event_bus *bus, sim_event_fn fn, void *ctx);
/* Stamp time and line, count, deliver to subscribers in subscription order. */
void event_bus_emit(struct event_bus *bus, struct sim_event *ev);
const char *sim_event_kind_name(enum sim_event_kind kind);

#endif /* P2PSIM_MODELS_EVENT_H */
