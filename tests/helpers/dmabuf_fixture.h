/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmabuf_fixture.h - the dma-buf / VFIO test machine (header-only, static
 * inline, like iommu_fixture.h), on the switch machine of switch_machine.h:
 *
 *   a  03:00.0  the VFIO device exporting BAR 0 (1 MiB at SM_A_BAR)
 *   a1 03:00.1  a second VFIO function of the same device set (hot reset)
 *   b  04:00.0  RDMA NIC on the same switch: BUS_ADDR to a's BAR (no IOMMU)
 *   c  05:00.0  behind another root port: THRU_HOST_BRIDGE when the host
 *               bridge is allowlisted (rp0 made an Intel 09a2 root port and
 *               hb0 forwards P2P), NOT_SUPPORTED otherwise
 * b and c have strict DMA domains on iommu0.
 *
 * Every event of the machine is recorded in order (fx->evs) so tests can
 * assert the order of operations of each trigger, and the `dmabuf` checker
 * watches them (fx->cs, subscribed after the set-up): dfx_violations() /
 * dfx_assert_clean() say what it found.
 */
#ifndef P2PSIM_TESTS_HELPERS_DMABUF_FIXTURE_H
#define P2PSIM_TESTS_HELPERS_DMABUF_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "helpers/switch_machine.h"
#include "models/topology.h"
#include "sim/check/check.h"
#include "src/dma-buf/dma-buf.h"
#include "src/iommu/iommu.h"
#include "src/pci/p2pdma.h"
#include "src/vfio/vfio_pci_dmabuf.h"

struct dmabuf_fixture {
	struct switch_machine sm;
	struct p2pdma_ctx ctx;
	struct dmabuf_sys sys;
	struct bug_set bugs;
	struct device devb, devc;
	struct vfio_device_set dev_set;
	struct vfio_pci_core_device vdev; /* on a */
	struct vfio_pci_core_device vdev1; /* on a1, in the same set when wanted */
	bool have_vdev1;
	struct sim_event *evs;
	size_t nr_evs, cap_evs;
	struct checkers *cs; /* the dmabuf checker on the machine */
};

static inline void dfx_record(void *arg, const struct sim_event *ev)
{
	struct dmabuf_fixture *fx = arg;

	if (fx->nr_evs == fx->cap_evs) {
		fx->cap_evs = fx->cap_evs ? fx->cap_evs * 2 : 256;
		fx->evs = realloc(fx->evs, fx->cap_evs * sizeof(*fx->evs));
		if (!fx->evs)
			abort();
	}
	fx->evs[fx->nr_evs++] = *ev;
}

static inline void dfx_device(struct dmabuf_fixture *fx, struct device *dev, struct pci_dev *pdev)
{
	*dev = (struct device){ .name = pdev->id,
				.pdev = pdev,
				.machine = fx->sm.m,
				.dma_mask = DMA_BIT_MASK(64),
				.coherent_dma_mask = DMA_BIT_MASK(64),
				.dma_coherent = true,
				.p2pdma = &fx->ctx };
	if (iommu_probe_device_dma(dev, fx->sm.m->iommus[0], IOMMU_MODE_STRICT))
		abort();
}

/*
 * Build it. @allow_host_bridge: c gets THRU_HOST_BRIDGE and hb0 forwards
 * P2P. @profile NULL = upstream. @with_vdev1: a1 is a second VFIO device
 * in a's device set. a is opened and its BAR 0 requested (mmap'ed once).
 */
static inline void dfx_init(struct dmabuf_fixture *fx, bool allow_host_bridge,
			    const struct kernel_profile *profile, u64 bug_mask, bool with_vdev1)
{
	memset(fx, 0, sizeof(*fx));
	sm_init(&fx->sm, IOMMU_MODE_STRICT);
	if (allow_host_bridge) {
		fx->sm.rp0->vendor = 0x8086; /* pci_host_bridge_dev(): a root port, allowlisted */
		fx->sm.rp0->device = 0x09a2;
		fx->sm.hb0->p2p_forwarding = true;
	}
	if (p2pdma_ctx_init(&fx->ctx, fx->sm.topo->fabric, &fx->sm.topo->cpu,
			    kernel_profile_default(), 1))
		abort();
	fx->bugs.mask = bug_mask;
	if (dmabuf_sys_init(&fx->sys, fx->sm.m, profile, &fx->bugs, 16))
		abort();
	dfx_device(fx, &fx->devb, fx->sm.b);
	dfx_device(fx, &fx->devc, fx->sm.c);
	vfio_device_set_init(&fx->dev_set, &fx->sys);
	if (vfio_pci_core_init_dev(&fx->vdev, &fx->sys, fx->sm.a, &fx->ctx, &vfio_pci_core_dev_ops,
				   &fx->dev_set))
		abort();
	if (with_vdev1) {
		if (vfio_pci_core_init_dev(&fx->vdev1, &fx->sys, fx->sm.a1, &fx->ctx,
					   &vfio_pci_core_dev_ops, &fx->dev_set))
			abort();
		fx->have_vdev1 = true;
	}
	if (vfio_pci_core_open_device(&fx->vdev) || vfio_pci_core_setup_barmap(&fx->vdev, 0))
		abort();
	if (event_bus_subscribe(&fx->sm.m->events, dfx_record, fx))
		abort();
	{
		char msg[128];

		if (checkers_new(fx->sm.m, NULL, "dmabuf", NULL, &fx->cs, msg, sizeof(msg)))
			abort();
	}
}

/* dmabuf violations so far */
static inline size_t dfx_violations(const struct dmabuf_fixture *fx)
{
	return checkers_nr_violations(fx->cs);
}

/* The first violation of kind @kind, or NULL. */
static inline const struct check_violation *dfx_violation(const struct dmabuf_fixture *fx,
							   const char *kind)
{
	for (size_t i = 0; i < checkers_nr_violations(fx->cs); i++)
		if (!strcmp(checkers_violation(fx->cs, i)->kind, kind))
			return checkers_violation(fx->cs, i);
	return NULL;
}

/* Print what the checker found (for a failing assertion's context). */
static inline void dfx_print_violations(const struct dmabuf_fixture *fx)
{
	checkers_print(fx->cs, stderr, "dmabuf-fixture");
}

static inline void dfx_fini(struct dmabuf_fixture *fx)
{
	/* process exit closes the dma-buf fds a test left open */
	for (unsigned int i = 0; i < fx->sys.max_fds; i++)
		if (fx->sys.fds[i] && fx->sys.fds[i] != (struct dma_buf *)(void *)fx)
			dma_buf_close_fd(&fx->sys, (int)i + 3);
	checkers_free(fx->cs);
	fx->cs = NULL;
	event_bus_unsubscribe(&fx->sm.m->events, dfx_record, fx);
	iommu_release_device_dma(&fx->devb);
	iommu_release_device_dma(&fx->devc);
	vfio_device_set_destroy(&fx->dev_set);
	dmabuf_sys_destroy(&fx->sys);
	p2pdma_ctx_destroy(&fx->ctx);
	sm_fini(&fx->sm);
	free(fx->evs);
}

/* Export [offset, offset + length) of BAR @bar of @vdev; the fd or -errno. */
static inline int dfx_export(struct vfio_pci_core_device *vdev, u32 bar, u64 offset, u64 length)
{
	struct vfio_region_dma_range range = { .offset = offset, .length = length };
	struct vfio_device_feature_dma_buf arg = { .region_index = bar,
						   .nr_ranges = 1,
						   .dma_ranges = &range };

	return vfio_pci_core_feature_dma_buf(
		vdev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF, &arg, sizeof(arg));
}

static inline struct vfio_pci_dma_buf *dfx_priv(struct dmabuf_fixture *fx, int fd)
{
	struct dma_buf *dmabuf = fd >= 3 ? fx->sys.fds[fd - 3] : NULL;

	return dmabuf ? vfio_pci_dma_buf_priv(dmabuf) : NULL;
}

/* Forget what was recorded so far. */
static inline void dfx_clear(struct dmabuf_fixture *fx)
{
	fx->nr_evs = 0;
}

/*
 * Index of the first recorded event at or after @from of @kind whose flags
 * equal @flags (or any flags when @flags is -1); -1 if none.
 */
static inline long dfx_find(const struct dmabuf_fixture *fx, size_t from, enum sim_event_kind kind,
			    long flags)
{
	for (size_t i = from; i < fx->nr_evs; i++)
		if (fx->evs[i].kind == kind &&
		    (flags < 0 || fx->evs[i].flags == (unsigned int)flags))
			return (long)i;
	return -1;
}

static inline size_t dfx_count(const struct dmabuf_fixture *fx, enum sim_event_kind kind,
			       long flags)
{
	size_t n = 0;

	for (size_t i = 0; i < fx->nr_evs; i++)
		if (fx->evs[i].kind == kind &&
		    (flags < 0 || fx->evs[i].flags == (unsigned int)flags))
			n++;
	return n;
}

/*
 * sys->preempt hooks (arg = the fixture) that run another thread's work at a
 * preemption point of the model:
 *  - dfx_hook_mem_off_before_insert: inside an export, before the list
 *    insertion, thread 1 turns memory decode off (the H3 race);
 *  - dfx_hook_mem_off_in_release: inside mlx5 dereg / iommufd release, before
 *    the umem release / the detach, thread 1 turns memory decode off (H25, H22).
 */
static inline void dfx_hook_mem_off_before_insert(void *arg, const char *point)
{
	struct dmabuf_fixture *fx = arg;

	if (strcmp(point, "vfio_pci_core_feature_dma_buf:before-insert"))
		return;
	fx->sys.preempt = NULL;
	fx->sys.current_thread = 1;
	vfio_pci_config_write_command(&fx->vdev, 0);
	fx->sys.current_thread = 0;
}

static inline void dfx_hook_mem_off_in_release(void *arg, const char *point)
{
	struct dmabuf_fixture *fx = arg;

	if (strcmp(point, "mlx5_ib_dereg_mr:before-umem-release") &&
	    strcmp(point, "iopt_release_pages:before-detach"))
		return;
	fx->sys.current_thread = 1;
	vfio_pci_config_write_command(&fx->vdev, 0);
	fx->sys.current_thread = 0;
}

#endif /* P2PSIM_TESTS_HELPERS_DMABUF_FIXTURE_H */
