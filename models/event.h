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
	EV__COUNT
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
