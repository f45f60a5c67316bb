// SPDX-License-Identifier: GPL-2.0-only
/*
 * event.c - the event bus (event.h).
 */
#include <errno.h>
#include <string.h>

#include "models/event.h"

void event_bus_init(struct event_bus *bus, const u64 *clock_ns)
{
	memset(bus, 0, sizeof(*bus));
	bus->clock_ns = clock_ns;
}

int event_bus_subscribe(struct event_bus *bus, sim_event_fn fn, void *ctx)
{
	if (bus->nr_subs >= EVENT_BUS_MAX_SUBSCRIBERS)
		return -ENOSPC;
	bus->subs[bus->nr_subs].fn = fn;
	bus->subs[bus->nr_subs].ctx = ctx;
	bus->nr_subs++;
	return 0;
}

void event_bus_unsubscribe(struct event_bus *bus, sim_event_fn fn, void *ctx)
{
	for (unsigned int i = 0; i < bus->nr_subs; i++) {
		if (bus->subs[i].fn == fn && bus->subs[i].ctx == ctx) {
			memmove(&bus->subs[i], &bus->subs[i + 1],
				(bus->nr_subs - i - 1) * sizeof(bus->subs[0]));
			bus->nr_subs--;
			return;
		}
	}
}

void event_bus_emit(struct event_bus *bus, struct sim_event *ev)
{
	if (!bus)
		return;
	if ((unsigned int)ev->kind < EV__COUNT)
		bus->counts[ev->kind]++;
	if (!bus->nr_subs)
		return;
	ev->time_ns = bus->clock_ns ? *bus->clock_ns : 0;
	ev->line = bus->current_line;
	for (unsigned int i = 0; i < bus->nr_subs; i++)
		bus->subs[i].fn(bus->subs[i].ctx, ev);
}

const char *sim_event_kind_name(enum sim_event_kind kind)
{
	static const char *const names[EV__COUNT] = {
		[EV_DMA_MAP] = "dma_map",
		[EV_DMA_UNMAP] = "dma_unmap",
		[EV_DMA_MAP_SG] = "dma_map_sg",
		[EV_DMA_UNMAP_SG] = "dma_unmap_sg",
		[EV_DMA_SYNC_FOR_CPU] = "dma_sync_for_cpu",
		[EV_DMA_SYNC_FOR_DEVICE] = "dma_sync_for_device",
		[EV_DMA_MAPPING_ERROR_CHECKED] = "dma_mapping_error",
		[EV_ARCH_SYNC] = "arch_sync",
		[EV_IOVA_ALLOC] = "iova_alloc",
		[EV_IOVA_FREE] = "iova_free",
		[EV_IOVA_QUEUED] = "iova_queued",
		[EV_IOMMU_MAP] = "iommu_map",
		[EV_IOMMU_UNMAP] = "iommu_unmap",
		[EV_IOTLB_FILL] = "iotlb_fill",
		[EV_IOTLB_HIT] = "iotlb_hit",
		[EV_IOTLB_INVALIDATE] = "iotlb_invalidate",
		[EV_IOTLB_SYNC] = "iotlb_sync",
		[EV_FQ_FLUSH] = "fq_flush",
		[EV_PGTABLE_PAGE_ALLOC] = "pgtable_page_alloc",
		[EV_PGTABLE_PAGE_FREE] = "pgtable_page_free",
		[EV_IOMMU_FAULT] = "iommu_fault",
		[EV_SWIOTLB_MAP] = "swiotlb_map",
		[EV_SWIOTLB_UNMAP] = "swiotlb_unmap",
		[EV_BOUNCE] = "bounce",
		[EV_TLP_DELIVERED] = "tlp_delivered",
		[EV_TLP_FAULTED] = "tlp_faulted",
		[EV_DEVICE_RELEASE] = "device_release",
		[EV_TIME_ADVANCE] = "time_advance",
		[EV_P2P_MAP] = "p2p_map",
		[EV_HMM_MAP_FREE] = "hmm_map_free",
		[EV_DMABUF_EXPORT] = "dmabuf_export",
		[EV_DMABUF_RELEASE] = "dmabuf_release",
		[EV_DMABUF_FILE] = "dmabuf_file",
		[EV_DMABUF_ATTACH] = "dmabuf_attach",
		[EV_DMABUF_DETACH] = "dmabuf_detach",
		[EV_DMABUF_PIN] = "dmabuf_pin",
		[EV_DMABUF_UNPIN] = "dmabuf_unpin",
		[EV_DMABUF_MAP] = "dmabuf_map",
		[EV_DMABUF_UNMAP] = "dmabuf_unmap",
		[EV_DMABUF_SG_ENTRY] = "dmabuf_sg_entry",
		[EV_DMABUF_INVALIDATE] = "dmabuf_invalidate",
		[EV_DMABUF_INVALIDATE_CB] = "dmabuf_invalidate_cb",
		[EV_DMABUF_FENCE_WAIT] = "dmabuf_fence_wait",
		[EV_DMABUF_REVOKE_BEGIN] = "dmabuf_revoke_begin",
		[EV_DMABUF_REVOKE_END] = "dmabuf_revoke_end",
		[EV_DMABUF_STATE] = "dmabuf_state",
		[EV_DMABUF_KREF] = "dmabuf_kref",
		[EV_DMABUF_COMPLETION] = "dmabuf_completion",
		[EV_DMABUF_LOCK] = "dmabuf_lock",
		[EV_DMABUF_UNLOCK] = "dmabuf_unlock",
		[EV_DMABUF_LOCK_ASSERT] = "dmabuf_lock_assert",
		[EV_DMABUF_WARN] = "dmabuf_warn",
		[EV_VFIO_HW_EVENT] = "vfio_hw_event",
		[EV_VFIO_REGISTRATION] = "vfio_registration",
		[EV_VFIO_EXPORT] = "vfio_export",
		[EV_P2PDMA_PROVIDER_RELEASE] = "p2pdma_provider_release",
		[EV_IMPORTER_HW] = "importer_hw",
		[EV_IMPORTER_DMA] = "importer_dma",
		[EV_IOVA_LINK] = "iova_link",
		[EV_IOVA_UNLINK] = "iova_unlink",
		[EV_DMABUF_FENCE] = "dmabuf_fence",
		[EV_KERNEL_HANG] = "kernel_hang",
	};

	if ((unsigned int)kind >= EV__COUNT || !names[kind])
		return "?";
	return names[kind];
}
