// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_vfio_dmabuf.c - the VFIO PCI dma-buf exporter and its importers
 * (reference/dmabuf-vfio.md §2, §3) on the dma-buf fixture machine
 * (tests/helpers/dmabuf_fixture.h): every export validation error in the
 * documented order, each revoke trigger's order of operations asserted on
 * the recorded event sequence, each importer kind with real DMA through the
 * fabric, un-revoke windows, hot-reset undo part-way, close and unplug
 * ordering, and the historic bugs injected at their lines.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers/dmabuf_fixture.h"
#include "models/iommu/iommu_hw.h"
#include "models/mem/physmem.h"
#include "src/importers/iommufd_pages.h"
#include "src/importers/rdma_umem_dmabuf.h"

#define MB (1ULL << 20)
#define GET (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF)

static struct dmabuf_fixture fx;
/* the test's hook runs another thread's whole work at once: a would-be wait is recorded */
static bool allow_model_hang;

static void setup(void)
{
	dfx_init(&fx, true, NULL, 0, true);
}

static void teardown(void)
{
	/* the correct model: the dmabuf checker finds nothing in any flow */
	for (size_t i = 0; !fx.bugs.mask && i < dfx_violations(&fx); i++) {
		if (allow_model_hang && !strcmp(checkers_violation(fx.cs, i)->kind, "hang"))
			continue;
		dfx_print_violations(&fx);
		cr_expect_fail("dmabuf checker violations in a correct run");
		break;
	}
	allow_model_hang = false;
	dfx_fini(&fx);
}

static int export_ranges(struct vfio_pci_core_device *vdev, u32 region, u32 flags_field,
			 const struct vfio_region_dma_range *ranges, u32 nr)
{
	struct vfio_device_feature_dma_buf arg = {
		.region_index = region, .flags = flags_field, .nr_ranges = nr, .dma_ranges = ranges
	};

	return vfio_pci_core_feature_dma_buf(vdev, GET, &arg, sizeof(arg));
}

static int export1(u32 region, u64 offset, u64 length)
{
	struct vfio_region_dma_range r = { offset, length };

	return export_ranges(&fx.vdev, region, 0, &r, 1);
}

/* ------------------------------------------------------------------------------------------
 * §2.2: VFIO_DEVICE_FEATURE_DMA_BUF validation, in order
 */
TestSuite(export, .init = setup, .fini = teardown);

Test(export, success_returns_fd_and_holds_a_registration)
{
	int before = fx.vdev.registrations;
	int fd = export1(0, 0, 2 * PAGE_SIZE);
	struct vfio_pci_dma_buf *priv;

	cr_assert_geq(fd, 3);
	priv = dfx_priv(&fx, fd);
	cr_assert_not_null(priv);
	cr_assert_eq(priv->size, 2 * PAGE_SIZE);
	cr_assert_eq(priv->phys_vec[0].paddr, SM_A_BAR);
	cr_assert_eq(priv->kref.refcount, 1);
	cr_assert(!priv->revoked); /* memory enabled at export (F8) */
	cr_assert_eq(fx.vdev.registrations, before + 1);
	cr_assert_eq(fx.vdev.dmabufs, priv);
	/* closing the last fd releases it: registration back, list empty */
	cr_assert_eq(dma_buf_close_fd(&fx.sys, fd), 0);
	cr_assert_eq(fx.vdev.registrations, before);
	cr_assert_null(fx.vdev.dmabufs);
}

Test(export, no_pci_ops_is_eopnotsupp_before_anything_else)
{
	fx.vdev.pci_ops = NULL;
	/* even a SET request with nothing valid fails on the opt-in first */
	cr_assert_eq(vfio_pci_core_feature_dma_buf(&fx.vdev, VFIO_DEVICE_FEATURE_SET, NULL, 0),
		     -EOPNOTSUPP);
}

Test(export, check_feature)
{
	struct vfio_region_dma_range r = { 0, PAGE_SIZE };
	struct vfio_device_feature_dma_buf arg = { .nr_ranges = 1, .dma_ranges = &r };

	cr_assert_eq(
		vfio_pci_core_feature_dma_buf(&fx.vdev, VFIO_DEVICE_FEATURE_SET, &arg, sizeof(arg)),
		-EINVAL);
	cr_assert_eq(
		vfio_pci_core_feature_dma_buf(
			&fx.vdev, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE, NULL, 0),
		0);
	cr_assert_eq(vfio_pci_core_feature_dma_buf(&fx.vdev, 0, &arg, sizeof(arg)), -EINVAL);
	cr_assert_eq(vfio_pci_core_feature_dma_buf(&fx.vdev, GET, &arg, 15), -EINVAL);
	/* argsz is not checked to cover the ranges: the header is enough */
	cr_assert_geq(vfio_pci_core_feature_dma_buf(&fx.vdev, GET, &arg, 16), 3);
}

Test(export, header_copy_fault)
{
	cr_assert_eq(vfio_pci_core_feature_dma_buf(&fx.vdev, GET, NULL, 16), -EFAULT);
}

Test(export, header_fields_then_region_index)
{
	struct vfio_region_dma_range r = { 0, PAGE_SIZE };

	cr_assert_eq(export_ranges(&fx.vdev, 0, 0, &r, 0), -EINVAL);
	cr_assert_eq(export_ranges(&fx.vdev, 0, 1, &r, 1), -EINVAL);
	/* nr_ranges is checked before the region index */
	cr_assert_eq(export_ranges(&fx.vdev, VFIO_PCI_ROM_REGION_INDEX, 0, &r, 0), -EINVAL);
	cr_assert_eq(export_ranges(&fx.vdev, VFIO_PCI_ROM_REGION_INDEX, 0, &r, 1), -ENODEV);
	cr_assert_eq(export_ranges(&fx.vdev, 9, 0, &r, 1), -ENODEV);
}

Test(export, ranges_copy)
{
	/* 262145 ranges * 16 bytes > the 4 MiB kmalloc limit */
	cr_assert_eq(export_ranges(&fx.vdev, 0, 0, NULL, 262145), -ENOMEM);
	cr_assert_eq(export_ranges(&fx.vdev, 0, 0, NULL, 1), -EFAULT);
	/* region index is checked before the ranges are read */
	cr_assert_eq(export_ranges(&fx.vdev, 6, 0, NULL, 1), -ENODEV);
}

Test(export, validate_dmabuf_input)
{
	struct vfio_region_dma_range two[2] = { { 0, 0x8000000000000000ULL },
						{ 0, 0x8000000000000000ULL } };
	struct vfio_region_dma_range big = { 0, 0x8000000000000000ULL };

	cr_assert_eq(export1(0, 0, 0), -EINVAL);
	cr_assert_eq(export1(0, 0x800, PAGE_SIZE), -EINVAL);
	cr_assert_eq(export1(0, 0, PAGE_SIZE + 1), -EINVAL);
	/* the running total overflows size_t */
	cr_assert_eq(export_ranges(&fx.vdev, 0, 0, two, 2), -EINVAL);
	/* a total with bit 63 (DMA_IOVA_USE_SWIOTLB) */
	cr_assert_eq(export_ranges(&fx.vdev, 0, 0, &big, 1), -EINVAL);
}

Test(export, get_dmabuf_phys_provider)
{
	/* BAR 1 is unused: no provider */
	cr_assert_eq(export1(1, 0, PAGE_SIZE), -EINVAL);
	/* 951ebc18d181: non_mappable_bars devices have none either */
	fx.vdev.non_mappable_bars = true;
	cr_assert_eq(export1(0, 0, PAGE_SIZE), -EINVAL);
}

Test(export, fill_phys_vec)
{
	/* start + offset wraps */
	cr_assert_eq(export1(0, 0xfffffffffffff000ULL, PAGE_SIZE), -EOVERFLOW);
	/* past the end of the 1 MiB BAR */
	cr_assert_eq(export1(0, MB - PAGE_SIZE, 2 * PAGE_SIZE), -EINVAL);
	cr_assert_geq(export1(0, MB - PAGE_SIZE, PAGE_SIZE), 3);
}

Test(export, bar_must_be_requested)
{
	fx.vdev.bar_requested[0] = false;
	cr_assert_eq(export1(0, 0, PAGE_SIZE), -EINVAL);
}

Test(export, unregistering_device_is_enodev)
{
	int before;

	fx.vdev.registrations = 0; /* vfio_unregister_group_dev() dropped the last one */
	before = fx.vdev.registrations;
	cr_assert_eq(export1(0, 0, PAGE_SIZE), -ENODEV);
	cr_assert_eq(fx.vdev.registrations, before);
	fx.vdev.registrations = 1;
}

Test(export, fd_failure_only_puts_the_dmabuf)
{
	int before = fx.vdev.registrations;
	unsigned int i;

	for (i = 0; i < fx.sys.max_fds; i++)
		fx.sys.fds[i] = (struct dma_buf *)&fx; /* a full fd table */
	cr_assert_eq(export1(0, 0, PAGE_SIZE), -EMFILE);
	memset(fx.sys.fds, 0, fx.sys.max_fds * sizeof(*fx.sys.fds));
	/* release dropped the registration and freed priv: nothing leaked, nothing twice (F6) */
	cr_assert_eq(fx.vdev.registrations, before);
	cr_assert_null(fx.vdev.dmabufs);
	cr_assert_eq(fx.sys.oopses, 0);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_RELEASE, -1), 1);
}

Test(export, revoked_at_birth_when_memory_is_off)
{
	int fd;

	cr_assert_eq(vfio_pci_config_write_command(&fx.vdev, 0), 0);
	fd = export1(0, 0, PAGE_SIZE);
	cr_assert_geq(fd, 3);
	cr_assert(dfx_priv(&fx, fd)->revoked); /* F8 */
}

/* ------------------------------------------------------------------------------------------
 * importers and the attach policy (§2.4, §3)
 */
TestSuite(importers, .init = setup, .fini = teardown);

static const struct dma_buf_attach_ops no_p2p_ops = {
	.allow_peer2peer = false,
	.invalidate_mappings = NULL,
};

Test(importers, static_and_non_p2p_importers_are_rejected)
{
	int fd = export1(0, 0, PAGE_SIZE);
	struct dma_buf *dmabuf = dma_buf_get(&fx.sys, fd);

	cr_assert_eq(PTR_ERR(dma_buf_attach(dmabuf, &fx.devb)), -EOPNOTSUPP); /* A1 */
	cr_assert_eq(PTR_ERR(dma_buf_dynamic_attach(dmabuf, &fx.devb, &no_p2p_ops, NULL)),
		     -EOPNOTSUPP); /* A2 */
	cr_assert_eq(dma_buf_nr_attachments(dmabuf), 0);
	dma_buf_put(dmabuf);
}

Test(importers, pinned_non_revocable_rdma_is_rejected)
{
	int fd = export1(0, 0, PAGE_SIZE);
	struct irdma_mr *mr =
		rdma_reg_user_mr_dmabuf_pinned(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);

	cr_assert_eq(PTR_ERR(mr), -EOPNOTSUPP); /* A3 */
	cr_assert_eq(dfx_priv(&fx, fd)->dmabuf->file_count, 1); /* the umem's get was put */
}

Test(importers, attach_while_revoked_is_enodev)
{
	int fd = export1(0, 0, PAGE_SIZE);
	struct mlx5_ib_mr *mr;

	vfio_pci_config_write_command(&fx.vdev, 0);
	mr = mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);
	cr_assert_eq(PTR_ERR(mr), -ENODEV); /* A4 */
}

Test(importers, mlx5_dynamic_revoke_and_lazy_remap)
{
	int fd = export1(0, 0, 2 * PAGE_SIZE);
	struct vfio_pci_dma_buf *priv = dfx_priv(&fx, fd);
	u8 out[64], in[64];
	struct mlx5_ib_mr *mr;
	long zap, unmap, cb, end, memoff;

	mr = mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, 2 * PAGE_SIZE, fd);
	cr_assert(!IS_ERR(mr));
	cr_assert(mr->mkey_enabled);
	cr_assert_eq(priv->kref.refcount, 2); /* base + one map */
	/* BUS_ADDR: the MR's address is the BAR's bus address */
	cr_assert_eq(ib_umem_dmabuf_dma_addr(mr->umem, 0x10), SM_A_BAR + 0x10);

	memset(out, 0x5a, sizeof(out));
	cr_assert_eq(mlx5_ib_mr_dma(mr, PAGE_SIZE + 8, out, sizeof(out), true), 0);
	cr_assert_eq(phys_mem_read(fx.sm.m->mem, SM_A_BAR + PAGE_SIZE + 8, in, sizeof(in)), 0);
	cr_assert_arr_eq(in, out, sizeof(in));

	/* memory decode off: zap, then unmap, inside the callback, before the MEM write */
	dfx_clear(&fx);
	vfio_pci_config_write_command(&fx.vdev, 0);
	cb = dfx_find(&fx, 0, EV_DMABUF_INVALIDATE_CB, -1);
	zap = dfx_find(&fx, 0, EV_IMPORTER_HW, IMPORTER_HW_MKEY_ZAP);
	unmap = dfx_find(&fx, 0, EV_DMABUF_UNMAP, -1);
	end = dfx_find(&fx, 0, EV_DMABUF_REVOKE_END, 1);
	memoff = dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_MEM_OFF);
	cr_assert(cb >= 0 && cb < zap && zap < unmap && unmap < end && end < memoff);
	cr_assert(priv->revoked);
	cr_assert_eq(priv->kref.refcount, 1); /* drained and re-armed (R8) */
	cr_assert_null(mr->umem->sgt);

	/* the HCA faults; the fault's map fails -ENODEV; nothing reaches the fabric (R5) */
	dfx_clear(&fx);
	cr_assert_eq(mlx5_ib_mr_dma(mr, 0, out, 8, true), -ENODEV);
	cr_assert_eq(dfx_count(&fx, EV_TLP_DELIVERED, -1), 0);
	cr_assert_eq(dfx_count(&fx, EV_TLP_FAULTED, -1), 0);

	/* memory back on: the next access re-maps lazily (R10) */
	vfio_pci_config_write_command(&fx.vdev, PCI_COMMAND_MEMORY);
	cr_assert(!priv->revoked);
	cr_assert_eq(mlx5_ib_mr_dma(mr, 0, out, 8, true), 0);
	cr_assert_eq(priv->kref.refcount, 2);

	mlx5_ib_dereg_mr(mr);
	cr_assert_eq(priv->kref.refcount, 1);
	cr_assert_eq(fx.sys.hangs, 0);
	cr_assert_eq(fx.sys.warns, 0);
}

static struct mlx5_ib_mr *window_mr;
static int window_fault_ret;
static bool window_revoked;

static void unrevoke_window_hook(void *arg, const char *point)
{
	struct dmabuf_fixture *f = arg;

	if (strcmp(point, "vfio_pci_dma_buf_move:unrevoke-window"))
		return;
	/* another thread faults in the window: notified, but maps still fail (R9) */
	f->sys.current_thread = 1;
	window_fault_ret = pagefault_dmabuf_mr(window_mr);
	window_revoked = f->vdev.dmabufs->revoked;
	f->sys.current_thread = 0;
}

Test(importers, unrevoke_notifies_while_still_revoked)
{
	int fd = export1(0, 0, PAGE_SIZE);
	long cb, set;

	window_mr = mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);
	cr_assert(!IS_ERR(window_mr));
	vfio_pci_config_write_command(&fx.vdev, 0);

	fx.sys.preempt = unrevoke_window_hook;
	fx.sys.preempt_arg = &fx;
	dfx_clear(&fx);
	vfio_pci_config_write_command(&fx.vdev, PCI_COMMAND_MEMORY);
	fx.sys.preempt = NULL;

	cb = dfx_find(&fx, 0, EV_DMABUF_INVALIDATE_CB, -1);
	set = dfx_find(&fx, 0, EV_DMABUF_STATE, VFIO_DMABUF_FIELD_REVOKED);
	cr_assert(cb >= 0 && set > cb);
	cr_assert_eq(fx.evs[set].count, 0);
	cr_assert_eq(window_fault_ret, -ENODEV);
	cr_assert(window_revoked);
	/* after the window the re-map works */
	cr_assert_eq(pagefault_dmabuf_mr(window_mr), 0);
	mlx5_ib_dereg_mr(window_mr);
}

Test(importers, iommufd_pinned_revocable_is_permanent)
{
	int fd = export1(0, 0x10000, 4 * PAGE_SIZE);
	struct iommu_domain *domain =
		iommu_domain_alloc(fx.sm.m->iommus[0], IOMMU_DOMAIN_UNMANAGED);
	struct iopt_pages *pages;
	u8 out[16], in[16];
	long cb, unmap, end;

	cr_assert_not_null(domain);
	pages = iopt_map_dmabuf(&fx.sys, &fx.devc, fd);
	cr_assert(!IS_ERR(pages));
	cr_assert(pages->pinned);
	cr_assert_eq(pages->phys.paddr, SM_A_BAR + 0x10000);
	cr_assert_eq(pages->phys.len, 4 * PAGE_SIZE);
	cr_assert_eq(dfx_priv(&fx, fd)->kref.refcount, 1); /* no kref for iommufd */
	cr_assert_eq(iopt_area_fill_domain(pages, domain, 0x200000), 0);

	/* c DMAs through the iommufd domain into the BAR (root-complex P2P) */
	memset(out, 0xa5, sizeof(out));
	cr_assert_eq(iommufd_device_dma(pages, fx.sm.router, fx.sm.c, domain, 0x200010, out,
					sizeof(out), true),
		     0);
	cr_assert_eq(phys_mem_read(fx.sm.m->mem, SM_A_BAR + 0x10010, in, sizeof(in)), 0);
	cr_assert_arr_eq(in, out, sizeof(in));

	dfx_clear(&fx);
	vfio_pci_runtime_pm_entry(&fx.vdev);
	cb = dfx_find(&fx, 0, EV_DMABUF_INVALIDATE_CB, -1);
	unmap = dfx_find(&fx, 0, EV_IMPORTER_HW, IMPORTER_HW_IOMMU_UNMAP);
	end = dfx_find(&fx, 0, EV_DMABUF_REVOKE_END, 1);
	cr_assert(cb >= 0 && unmap > cb && end > unmap);
	cr_assert(iopt_dmabuf_revoked(pages));
	cr_assert_eq(
		iommufd_device_dma(pages, fx.sm.router, fx.sm.c, domain, 0x200010, out, 4, false),
		-EIO); /* IOMMU fault: the IOVA is gone (R4) */

	/* un-revoke is ignored: iommufd stays dead (R10 allows it) */
	vfio_pci_runtime_pm_exit(&fx.vdev);
	cr_assert(!dfx_priv(&fx, fd)->revoked);
	cr_assert(iopt_dmabuf_revoked(pages));
	cr_assert_eq(iommu_iova_to_phys(domain, 0x200010), 0);

	iopt_release_pages(pages);
	iommu_domain_free(domain);
	cr_assert_eq(fx.sys.warns, 0);
}

Test(importers, iommufd_needs_one_range_and_refuses_access_pin)
{
	struct vfio_region_dma_range two[2] = { { 0, PAGE_SIZE }, { 2 * PAGE_SIZE, PAGE_SIZE } };
	int fd2 = export_ranges(&fx.vdev, 0, 0, two, 2);
	int fd1 = export1(0, 0, PAGE_SIZE);
	struct iopt_pages *pages;

	cr_assert_eq(PTR_ERR(iopt_map_dmabuf(&fx.sys, &fx.devc, fd2)), -EOPNOTSUPP);
	pages = iopt_map_dmabuf(&fx.sys, &fx.devc, fd1);
	cr_assert(!IS_ERR(pages));
	cr_assert_eq(iopt_pages_rw_access_pin(pages), -EINVAL);
	iopt_release_pages(pages);

	vfio_pci_config_write_command(&fx.vdev, 0);
	cr_assert_eq(PTR_ERR(iopt_map_dmabuf(&fx.sys, &fx.devc, fd1)), -ENODEV);
}

Test(importers, rdma_pinned_revocable_stops_hw_and_stays_dead)
{
	int fd = export1(0, 0, PAGE_SIZE);
	struct irdma_mr *mr =
		irdma_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);
	u8 buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	long hw, unmap;

	cr_assert(!IS_ERR(mr));
	cr_assert_eq(irdma_mr_dma(mr, 0, buf, sizeof(buf), true), 0);
	dfx_clear(&fx);
	vfio_exp_config_write_flr(&fx.vdev);
	hw = dfx_find(&fx, 0, EV_IMPORTER_HW, IMPORTER_HW_PINNED_REVOKE);
	unmap = dfx_find(&fx, 0, EV_DMABUF_UNMAP, -1);
	cr_assert(hw >= 0 && unmap > hw);
	cr_assert(!mr->hw_enabled);
	cr_assert(mr->umem->revoked);
	/* the FLR restored memory: the dma-buf is live again, the MR is not */
	cr_assert(!dfx_priv(&fx, fd)->revoked);
	cr_assert_eq(irdma_mr_dma(mr, 0, buf, sizeof(buf), true), -EINVAL);
	irdma_dereg_mr(mr);
}

Test(importers, thru_host_bridge_importer_uses_an_iova)
{
	int fd = export1(0, 0, PAGE_SIZE);
	struct mlx5_ib_mr *mr =
		mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devc, fx.sm.router, 0, PAGE_SIZE, fd);
	u8 out[8] = { 9, 8, 7, 6, 5, 4, 3, 2 }, in[8];
	dma_addr_t addr;

	cr_assert(!IS_ERR(mr));
	addr = ib_umem_dmabuf_dma_addr(mr->umem, 0);
	cr_assert_neq(addr, SM_A_BAR); /* an IOVA, not the bus address */
	cr_assert_eq(iommu_iova_to_phys(fx.devc.domain, addr), SM_A_BAR);
	cr_assert_eq(mlx5_ib_mr_dma(mr, 0, out, sizeof(out), true), 0);
	phys_mem_read(fx.sm.m->mem, SM_A_BAR, in, sizeof(in));
	cr_assert_arr_eq(in, out, sizeof(in));
	mlx5_ib_dereg_mr(mr);
	/* free_sgt destroyed the IOVA span */
	cr_assert_eq(iommu_iova_to_phys(fx.devc.domain, addr), 0);
}

/* ------------------------------------------------------------------------------------------
 * §2.8: each trigger's order of operations
 */
TestSuite(triggers, .init = setup, .fini = teardown);

/* Revoke strictly before @phys, under memory_lock, and un-revoke after it if @restore. */
static void assert_revoke_around(long phys, bool restore)
{
	long lock = dfx_find(&fx, 0, EV_DMABUF_LOCK, LOCK_CLASS_MEMORY);
	long begin = dfx_find(&fx, 0, EV_DMABUF_REVOKE_BEGIN, 1);
	long end = dfx_find(&fx, 0, EV_DMABUF_REVOKE_END, 1);
	long ubegin = dfx_find(&fx, 0, EV_DMABUF_REVOKE_BEGIN, 0);
	long unlock = dfx_find(&fx, 0, EV_DMABUF_UNLOCK, LOCK_CLASS_MEMORY);

	cr_assert(phys >= 0);
	cr_assert(lock >= 0 && begin > lock && end > begin && phys > end,
		  "revoke before the event");
	if (restore)
		cr_assert(ubegin > phys && unlock > ubegin, "un-revoke after the event, locked");
	else
		cr_assert_eq(ubegin, -1);
	cr_assert(unlock > phys);
	cr_assert_eq(fx.sys.warns, 0);
}

Test(triggers, command_memory_off_then_on)
{
	int fd = export1(0, 0, PAGE_SIZE);
	long zap;

	dfx_clear(&fx);
	vfio_pci_config_write_command(&fx.vdev, 0);
	zap = dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_BARS_ZAPPED);
	cr_assert(zap >= 0 && zap < dfx_find(&fx, 0, EV_DMABUF_REVOKE_BEGIN, 1));
	assert_revoke_around(dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_MEM_OFF), false);
	cr_assert(!fx.sm.a->memory_decode);
	cr_assert(dfx_priv(&fx, fd)->revoked);

	/* a write that sets MEM: plain lock, no revoke, un-revoke after the write */
	dfx_clear(&fx);
	vfio_pci_config_write_command(&fx.vdev, PCI_COMMAND_MEMORY);
	cr_assert_eq(dfx_find(&fx, 0, EV_DMABUF_REVOKE_BEGIN, 1), -1);
	cr_assert(dfx_find(&fx, 0, EV_DMABUF_REVOKE_BEGIN, 0) >
		  dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_MEM_ON));
	cr_assert(!dfx_priv(&fx, fd)->revoked);
	cr_assert(fx.sm.a->memory_decode);
}

Test(triggers, move_is_idempotent)
{
	int fd = export1(0, 0, PAGE_SIZE);

	vfio_pci_config_write_command(&fx.vdev, 0);
	dfx_clear(&fx);
	vfio_pci_config_write_command(&fx.vdev, 0); /* already revoked: R7 */
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_REVOKE_BEGIN, -1), 0);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_KREF, -1), 0);
	cr_assert_eq(dfx_priv(&fx, fd)->kref.refcount, 1);
}

Test(triggers, d3hot_and_d0)
{
	int fd = export1(0, 0, PAGE_SIZE);

	dfx_clear(&fx);
	vfio_lock_and_set_power_state(&fx.vdev, PCI_D3hot);
	assert_revoke_around(dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_D3HOT), false);
	cr_assert(dfx_priv(&fx, fd)->revoked);
	dfx_clear(&fx);
	vfio_lock_and_set_power_state(&fx.vdev, PCI_D0);
	cr_assert(dfx_find(&fx, 0, EV_DMABUF_REVOKE_BEGIN, 0) >
		  dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_D0));
	cr_assert(!dfx_priv(&fx, fd)->revoked);
}

Test(triggers, flr_pcie_and_af)
{
	export1(0, 0, PAGE_SIZE);
	dfx_clear(&fx);
	vfio_exp_config_write_flr(&fx.vdev);
	assert_revoke_around(dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_FLR), true);
	dfx_clear(&fx);
	vfio_af_config_write_flr(&fx.vdev);
	assert_revoke_around(dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_FLR), true);
	cr_assert(!fx.vdev.dmabufs->revoked);
}

Test(triggers, flr_with_memory_off_stays_revoked)
{
	export1(0, 0, PAGE_SIZE);
	vfio_pci_config_write_command(&fx.vdev, 0);
	dfx_clear(&fx);
	vfio_exp_config_write_flr(&fx.vdev);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_REVOKE_BEGIN, -1), 0);
	cr_assert(fx.vdev.dmabufs->revoked);
}

Test(triggers, device_reset_ioctl)
{
	export1(0, 0, PAGE_SIZE);
	dfx_clear(&fx);
	cr_assert_eq(vfio_pci_ioctl_reset(&fx.vdev), 0);
	assert_revoke_around(dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_FLR), true);

	/* from D3hot: D0 first (already revoked, so no second revoke), reset, un-revoke */
	vfio_lock_and_set_power_state(&fx.vdev, PCI_D3hot);
	dfx_clear(&fx);
	fx.vdev.reset_error = -EAGAIN;
	cr_assert_eq(vfio_pci_ioctl_reset(&fx.vdev), -EAGAIN);
	cr_assert(dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_D0) <
		  dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_FLR));
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_REVOKE_BEGIN, 1), 0);
	cr_assert(!fx.vdev.dmabufs->revoked);

	fx.vdev.reset_works = false;
	cr_assert_eq(vfio_pci_ioctl_reset(&fx.vdev), -EINVAL);
}

Test(triggers, low_power_entry_exit_and_wake)
{
	export1(0, 0, PAGE_SIZE);
	dfx_clear(&fx);
	cr_assert_eq(vfio_pci_runtime_pm_entry(&fx.vdev), 0);
	assert_revoke_around(dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_LOWPOWER_ENTER), false);
	cr_assert_eq(vfio_pci_runtime_pm_entry(&fx.vdev), -EINVAL);
	dfx_clear(&fx);
	vfio_pci_runtime_pm_exit(&fx.vdev);
	cr_assert(dfx_find(&fx, 0, EV_DMABUF_REVOKE_BEGIN, 0) >
		  dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_LOWPOWER_EXIT));
	cr_assert(!fx.vdev.dmabufs->revoked);

	/* the wake-eventfd path leaves the buffers revoked */
	vfio_pci_runtime_pm_entry(&fx.vdev);
	vfio_pci_core_runtime_resume(&fx.vdev);
	cr_assert_eq(fx.vdev.current_state, PCI_D0);
	cr_assert(fx.vdev.dmabufs->revoked);
}

static void open_vdev1(void)
{
	cr_assert_eq(vfio_pci_core_open_device(&fx.vdev1), 0);
	cr_assert_eq(vfio_pci_core_setup_barmap(&fx.vdev1, 0), 0);
}

Test(triggers, hot_reset_revokes_all_then_undoes_in_reverse)
{
	long r0, r1, bus, u0, u1;

	open_vdev1();
	export1(0, 0, PAGE_SIZE);
	dfx_export(&fx.vdev1, 0, 0, PAGE_SIZE);
	dfx_clear(&fx);
	cr_assert_eq(vfio_pci_dev_set_hot_reset(&fx.dev_set), 0);
	r0 = dfx_find(&fx, 0, EV_DMABUF_REVOKE_END, 1);
	r1 = dfx_find(&fx, (size_t)r0 + 1, EV_DMABUF_REVOKE_END, 1);
	bus = dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_BUS_RESET);
	u0 = dfx_find(&fx, 0, EV_DMABUF_REVOKE_BEGIN, 0);
	u1 = dfx_find(&fx, (size_t)u0 + 1, EV_DMABUF_REVOKE_BEGIN, 0);
	cr_assert(r0 >= 0 && r1 > r0 && bus > r1 && u0 > bus && u1 > u0);
	cr_assert_eq(fx.evs[r0].dev, fx.sm.a);
	cr_assert_eq(fx.evs[r1].dev, fx.sm.a1);
	/* the undo walks backwards: a1 first, then a (F9) */
	cr_assert_eq(fx.evs[u0].dev, fx.sm.a1);
	cr_assert_eq(fx.evs[u1].dev, fx.sm.a);
	cr_assert(!fx.vdev.dmabufs->revoked && !fx.vdev1.dmabufs->revoked);
	cr_assert_eq(fx.vdev.memory_lock.dep_map.writer, -1);
	cr_assert_eq(fx.vdev1.memory_lock.dep_map.writer, -1);
	cr_assert_eq(fx.sys.warns, 0);
}

Test(triggers, hot_reset_trylock_failure_undoes_what_was_taken)
{
	open_vdev1();
	export1(0, 0, PAGE_SIZE);
	dfx_export(&fx.vdev1, 0, 0, PAGE_SIZE);
	/* another thread holds a1's memory_lock (a fault handler, read side) */
	fx.sys.current_thread = 1;
	down_read(&fx.vdev1.memory_lock);
	fx.sys.current_thread = 0;

	dfx_clear(&fx);
	cr_assert_eq(vfio_pci_dev_set_hot_reset(&fx.dev_set), -EBUSY);
	cr_assert_eq(dfx_count(&fx, EV_VFIO_HW_EVENT, VFIO_HW_BUS_RESET), 0);
	/* a was revoked and restored; a1 never touched */
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_REVOKE_BEGIN, 1), 1);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_REVOKE_BEGIN, 0), 1);
	cr_assert(!fx.vdev.dmabufs->revoked && !fx.vdev1.dmabufs->revoked);
	cr_assert_eq(fx.vdev.memory_lock.dep_map.writer, -1);
	cr_assert_eq(fx.sys.warns, 0);
	fx.sys.current_thread = 1;
	up_read(&fx.vdev1.memory_lock);
	fx.sys.current_thread = 0;
}

Test(triggers, hot_reset_bus_reset_failure_and_ownership)
{
	open_vdev1();
	export1(0, 0, PAGE_SIZE);
	fx.dev_set.reset_error = -ENOTTY;
	cr_assert_eq(vfio_pci_dev_set_hot_reset(&fx.dev_set), -ENOTTY);
	cr_assert(!fx.vdev.dmabufs->revoked);
	fx.dev_set.reset_error = 0;

	fx.vdev1.owned_by_user = false;
	dfx_clear(&fx);
	cr_assert_eq(vfio_pci_dev_set_hot_reset(&fx.dev_set), -EINVAL);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_REVOKE_BEGIN, 1), 1);
	cr_assert(!fx.vdev.dmabufs->revoked);
}

Test(triggers, hot_reset_with_a_never_opened_device)
{
	/* a1 was never opened: no vconfig; the undo must not read it (F9, H10 fixed) */
	export1(0, 0, PAGE_SIZE);
	cr_assert_eq(vfio_pci_dev_set_hot_reset(&fx.dev_set), 0);
	cr_assert_eq(fx.sys.oopses, 0);
	cr_assert(!fx.vdev.dmabufs->revoked);
}

Test(triggers, close_cleans_up_before_disable)
{
	int fd = export1(0, 0, PAGE_SIZE);
	struct mlx5_ib_mr *mr =
		mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);
	struct vfio_pci_dma_buf *priv = dfx_priv(&fx, fd);
	int regs = fx.vdev.registrations;
	long end, rel, dis, put;
	u8 b[4];

	cr_assert(!IS_ERR(mr));
	dfx_clear(&fx);
	cr_assert_eq(vfio_pci_core_close_device(&fx.vdev), 0);
	end = dfx_find(&fx, 0, EV_DMABUF_REVOKE_END, 1);
	put = dfx_find(&fx, 0, EV_VFIO_REGISTRATION, 0);
	rel = dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_REGION_RELEASE);
	dis = dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_DISABLE);
	cr_assert(end >= 0 && put > end && rel > put && dis > rel, "F4");
	cr_assert_null(priv->vdev); /* F3 */
	cr_assert(priv->revoked);
	cr_assert_null(fx.vdev.dmabufs);
	cr_assert_eq(fx.vdev.registrations, regs - 2); /* the dma-buf's and the fd's */
	/* the fd outlives the device: maps fail for good */
	cr_assert_eq(mlx5_ib_mr_dma(mr, 0, b, sizeof(b), false), -ENODEV);
	mlx5_ib_dereg_mr(mr);
	cr_assert_eq(dma_buf_close_fd(&fx.sys, fd), 0);
	cr_assert_eq(fx.vdev.registrations, regs - 2); /* release did not drop it again (F1) */
}

Test(triggers, unplug_waits_for_registrations_then_frees_providers)
{
	int fd = export1(0, 0, PAGE_SIZE);
	long end, prov;

	dfx_clear(&fx);
	cr_assert_eq(vfio_pci_core_unregister_device(&fx.vdev), -EAGAIN);
	cr_assert_eq(fx.vdev.requests, 1);
	cr_assert(!fx.vdev.providers_released);
	/* userspace answers the request: closes the device fd */
	vfio_pci_core_close_device(&fx.vdev);
	end = dfx_find(&fx, 0, EV_DMABUF_REVOKE_END, 1);
	prov = dfx_find(&fx, 0, EV_P2PDMA_PROVIDER_RELEASE, -1);
	cr_assert(end >= 0 && prov > end, "F5: providers outlive every mapping");
	cr_assert(fx.vdev.providers_released);
	cr_assert(fx.vdev.unregistered);
	/* the dma-buf fd may still be closed later, harmlessly */
	cr_assert_eq(dma_buf_close_fd(&fx.sys, fd), 0);
	cr_assert_eq(fx.vdev.registrations, 0);
	cr_assert_eq(fx.sys.warns + fx.sys.oopses, 0);
}

Test(triggers, fences_are_waited_before_unlock)
{
	int fd = export1(0, 0, PAGE_SIZE);
	struct dma_buf *dmabuf = dfx_priv(&fx, fd)->dmabuf;
	long wait, unlock;

	dma_resv_lock(&dmabuf->resv);
	dma_resv_add_fence(&dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP, false);
	dma_resv_unlock(&dmabuf->resv);
	dfx_clear(&fx);
	vfio_pci_config_write_command(&fx.vdev, 0);
	wait = dfx_find(&fx, 0, EV_DMABUF_FENCE_WAIT, DMA_RESV_USAGE_BOOKKEEP);
	cr_assert(wait >= 0);
	cr_assert_eq(fx.evs[wait].count, 1);
	unlock = dfx_find(&fx, (size_t)wait, EV_DMABUF_UNLOCK, LOCK_CLASS_RESV);
	cr_assert(unlock > wait);
	cr_assert_eq(dma_resv_unsignaled(&dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP), 0); /* R2 */
}

Test(triggers, nvgrace_exports_device_memory_through_bar0)
{
	struct nvgrace_gpu_pci_core_device nv;
	struct vfio_pci_dma_buf *priv;
	int fd;

	memset(&nv, 0, sizeof(nv));
	cr_assert_eq(vfio_pci_core_init_dev(&nv.core_device, &fx.sys, fx.sm.a1, &fx.ctx,
					    &nvgrace_gpu_pci_dev_ops, NULL),
		     0);
	nv.usemem_phys = 0x80000000ULL;
	nv.usemem_len = 64 * MB;
	vfio_pci_core_open_device(&nv.core_device);
	fd = dfx_export(&nv.core_device, USEMEM_REGION_INDEX, 16 * MB, MB);
	cr_assert_geq(fd, 3);
	priv = dfx_priv(&fx, fd);
	cr_assert_eq(priv->phys_vec[0].paddr, 0x80000000ULL + 16 * MB);
	cr_assert_eq(priv->provider->owner, fx.sm.a1); /* BAR 0's provider */
	/* beyond the device memory */
	cr_assert_eq(dfx_export(&nv.core_device, USEMEM_REGION_INDEX, 64 * MB, PAGE_SIZE), -EINVAL);
	dma_buf_close_fd(&fx.sys, fd);
}

/* ------------------------------------------------------------------------------------------
 * historic bugs re-injected at their lines (reference §5)
 */
static void setup_bug(u64 mask)
{
	dfx_init(&fx, true, NULL, mask, true);
}

#define BUG(id) (1ULL << (id))

static int h3_race(void)
{
	int fd;

	fx.sys.preempt = dfx_hook_mem_off_before_insert;
	fx.sys.preempt_arg = &fx;
	fd = export1(0, 0, PAGE_SIZE);
	cr_assert_geq(fd, 3);
	cr_assert(!fx.sm.a->memory_decode);
	return fd;
}

Test(bugs, h3_fixed_export_racing_mem_off_starts_revoked, .fini = teardown)
{
	int fd;

	setup_bug(0);
	fd = h3_race();
	cr_assert(dfx_priv(&fx, fd)->revoked);
	cr_assert_eq(PTR_ERR(mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0,
							PAGE_SIZE, fd)),
		     -ENODEV);
}

Test(bugs, h3_injected_export_racing_mem_off_maps_a_dead_bar, .fini = teardown)
{
	struct mlx5_ib_mr *mr;
	int fd;

	setup_bug(BUG(BUG_H3_REVOKED_INIT_UNLOCKED));
	fd = h3_race();
	cr_assert(!dfx_priv(&fx, fd)->revoked); /* F8 broken */
	mr = mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);
	cr_assert(!IS_ERR(mr)); /* R5 broken: a map while memory is off */
	mlx5_ib_dereg_mr(mr);
}

Test(bugs, h4_mem_clear_without_revoke, .fini = teardown)
{
	setup_bug(BUG(BUG_H4_NO_REVOKE_ON_MEM_CLEAR));
	export1(0, 0, PAGE_SIZE);
	dfx_clear(&fx);
	vfio_pci_config_write_command(&fx.vdev, 0);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_REVOKE_BEGIN, -1), 0);
	cr_assert(!fx.vdev.dmabufs->revoked); /* R6 broken */
}

Test(bugs, h1_inverted_revoke, .fini = teardown)
{
	setup_bug(BUG(BUG_H1_INVERTED_REVOKE));
	export1(0, 0, PAGE_SIZE);
	vfio_pci_config_write_command(&fx.vdev, 0);
	cr_assert(!fx.vdev.dmabufs->revoked);
}

Test(bugs, h2_flr_restore_revokes, .fini = teardown)
{
	setup_bug(BUG(BUG_H2_FLR_RESTORE_REVOKES));
	export1(0, 0, PAGE_SIZE);
	vfio_exp_config_write_flr(&fx.vdev);
	cr_assert(fx.vdev.dmabufs->revoked); /* stuck revoked with memory enabled */
}

Test(bugs, h7_double_free, .fini = teardown)
{
	int before;

	setup_bug(BUG(BUG_H7_FD_FAIL_DOUBLE_FREE));
	before = fx.vdev.registrations;
	for (unsigned int i = 0; i < fx.sys.max_fds; i++)
		fx.sys.fds[i] = (struct dma_buf *)&fx;
	cr_assert_eq(export1(0, 0, PAGE_SIZE), -EMFILE);
	memset(fx.sys.fds, 0, fx.sys.max_fds * sizeof(*fx.sys.fds));
	cr_assert_eq(fx.vdev.registrations, before - 1); /* dropped twice (F1) */
	cr_assert_eq(fx.sys.oopses, 2); /* kfree twice (F6) */
}

Test(bugs, h7_leak, .fini = teardown)
{
	int before;

	setup_bug(BUG(BUG_H7_FD_FAIL_LEAK));
	before = fx.vdev.registrations;
	for (unsigned int i = 0; i < fx.sys.max_fds; i++)
		fx.sys.fds[i] = (struct dma_buf *)&fx;
	cr_assert_eq(export1(0, 0, PAGE_SIZE), -EMFILE);
	memset(fx.sys.fds, 0, fx.sys.max_fds * sizeof(*fx.sys.fds));
	cr_assert_eq(fx.vdev.registrations, before + 1); /* leaked (F1) */
	cr_assert_not_null(fx.vdev.dmabufs);
	dma_buf_put(fx.vdev.dmabufs->dmabuf); /* give the test's memory back */
}

Test(bugs, h9_unrevoke_touches_unlocked_devices, .fini = teardown)
{
	setup_bug(BUG(BUG_H9_UNREVOKE_FORWARD_LOOP));
	open_vdev1();
	export1(0, 0, PAGE_SIZE);
	dfx_export(&fx.vdev1, 0, 0, PAGE_SIZE);
	fx.sys.current_thread = 1;
	down_read(&fx.vdev1.memory_lock);
	fx.sys.current_thread = 0;
	dfx_clear(&fx);
	cr_assert_eq(vfio_pci_dev_set_hot_reset(&fx.dev_set), -EBUSY);
	/* move() on a1 without its memory_lock held for write: L3 */
	cr_assert_geq(dfx_find(&fx, 0, EV_DMABUF_LOCK_ASSERT, LOCK_CLASS_MEMORY), 0);
	cr_assert_gt(fx.sys.warns, 0);
	fx.sys.current_thread = 1;
	up_read(&fx.vdev1.memory_lock);
	fx.sys.current_thread = 0;
}

Test(bugs, h10_undo_reads_a_never_opened_vconfig, .fini = teardown)
{
	setup_bug(BUG(BUG_H10_UNDO_NEVER_OPENED));
	export1(0, 0, PAGE_SIZE);
	cr_assert_eq(vfio_pci_dev_set_hot_reset(&fx.dev_set), 0);
	cr_assert_eq(fx.sys.oopses, 1);
}

Test(bugs, h16_pinned_importer_keeps_dmaing_after_revoke, .fini = teardown)
{
	struct irdma_mr *mr;
	u8 b[4] = { 1, 2, 3, 4 };
	int fd;

	setup_bug(BUG(BUG_H16_ACCEPT_PINNED));
	fd = export1(0, 0, PAGE_SIZE);
	mr = rdma_reg_user_mr_dmabuf_pinned(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);
	cr_assert(!IS_ERR(mr)); /* A3 broken */
	vfio_exp_config_write_flr(&fx.vdev);
	/* never told, never unmapped: the unmap wait cannot finish (R3), HW still DMAs (R4) */
	cr_assert_gt(fx.sys.hangs, 0);
	dfx_clear(&fx);
	cr_assert_eq(irdma_mr_dma(mr, 0, b, sizeof(b), true), 0);
	cr_assert_eq(dfx_count(&fx, EV_TLP_DELIVERED, -1), 1);
	irdma_dereg_mr(mr);
}

Test(bugs, h17_no_waits, .fini = teardown)
{
	struct dma_buf *dmabuf;
	int fd;

	setup_bug(BUG(BUG_H17_NO_REVOKE_WAITS));
	fd = export1(0, 0, PAGE_SIZE);
	dmabuf = dfx_priv(&fx, fd)->dmabuf;
	dma_resv_lock(&dmabuf->resv);
	dma_resv_add_fence(&dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP, false);
	dma_resv_unlock(&dmabuf->resv);
	vfio_pci_config_write_command(&fx.vdev, 0);
	cr_assert_eq(dma_resv_unsignaled(&dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP), 1); /* R2 */
}

Test(bugs, h18_close_after_mem_off_underflows_and_hangs, .fini = teardown)
{
	setup_bug(BUG(BUG_H18_CLEANUP_REDRAIN));
	export1(0, 0, PAGE_SIZE);
	vfio_pci_config_write_command(&fx.vdev, 0);
	dfx_clear(&fx);
	vfio_pci_core_close_device(&fx.vdev);
	cr_assert_geq(dfx_find(&fx, 0, EV_DMABUF_KREF, KREF_OP_PUT), 0);
	cr_assert_eq(fx.evs[dfx_find(&fx, 0, EV_DMABUF_KREF, KREF_OP_PUT)].ret, -EOVERFLOW);
	cr_assert_gt(fx.sys.hangs, 0);
}

Test(bugs, h18_fixed_close_after_mem_off_is_clean, .fini = teardown)
{
	setup_bug(0);
	export1(0, 0, PAGE_SIZE);
	vfio_pci_config_write_command(&fx.vdev, 0);
	dfx_clear(&fx);
	vfio_pci_core_close_device(&fx.vdev);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_KREF, -1), 0); /* R7: nothing to drain again */
	cr_assert_eq(fx.sys.hangs, 0);
	cr_assert_eq(fx.sys.warns, 0);
}

Test(bugs, h19_disable_before_cleanup, .fini = teardown)
{
	setup_bug(BUG(BUG_H19_DISABLE_BEFORE_CLEANUP));
	export1(0, 0, PAGE_SIZE);
	dfx_clear(&fx);
	vfio_pci_core_close_device(&fx.vdev);
	cr_assert_lt(dfx_find(&fx, 0, EV_VFIO_HW_EVENT, VFIO_HW_DISABLE),
		     dfx_find(&fx, 0, EV_DMABUF_REVOKE_BEGIN, 1)); /* F4 broken */
}

Test(bugs, h20_h21_export_from_unrequested_or_unmappable_bars, .fini = teardown)
{
	setup_bug(BUG(BUG_H20_UNREQUESTED_BAR) | BUG(BUG_H21_NON_MAPPABLE_BARS));
	fx.vdev.bar_requested[0] = false;
	fx.vdev.non_mappable_bars = true;
	cr_assert_geq(export1(0, 0, PAGE_SIZE), 3); /* F7 broken twice */
}

/* An nvgrace-style function on a1 whose virtual BAR 4 (64 MiB, power of two) fronts 48 MiB of
 * device memory at 0x80000000. */
static int h6_export(u64 mask, struct nvgrace_gpu_pci_core_device *nv)
{
	dfx_init(&fx, true, NULL, mask, false);
	fx.sm.a1->bars[4] = (struct pci_bar){ .kind = PCI_BAR_MEM64,
					      .prefetchable = true,
					      .size_bytes = 64 * MB,
					      .cpu_addr = 0x4100000000ULL,
					      .bus_addr = 0x4100000000ULL };
	memset(nv, 0, sizeof(*nv));
	cr_assert_eq(vfio_pci_core_init_dev(&nv->core_device, &fx.sys, fx.sm.a1, &fx.ctx,
					    &nvgrace_gpu_pci_dev_ops, NULL),
		     0);
	nv->usemem_phys = 0x80000000ULL;
	nv->usemem_len = 48 * MB;
	vfio_pci_core_open_device(&nv->core_device);
	vfio_pci_core_setup_barmap(&nv->core_device, 4);
	return dfx_export(&nv->core_device, USEMEM_REGION_INDEX, 16 * MB, MB);
}

Test(bugs, h6_fixed_variant_exports_device_memory, .fini = teardown)
{
	struct nvgrace_gpu_pci_core_device nv;
	int fd = h6_export(0, &nv);

	cr_assert_geq(fd, 3);
	cr_assert_eq(dfx_priv(&fx, fd)->phys_vec[0].paddr, 0x80000000ULL + 16 * MB);
	cr_assert_eq(dfx_priv(&fx, fd)->provider, pcim_p2pdma_provider(&fx.ctx, fx.sm.a1, 0));
	dma_buf_close_fd(&fx.sys, fd); /* before nv goes out of scope */
}

Test(bugs, h6_variant_exports_the_pci_bar, .fini = teardown)
{
	struct nvgrace_gpu_pci_core_device nv;
	int fd = h6_export(BUG(BUG_H6_VARIANT_USES_PCI_BAR), &nv);

	cr_assert_geq(fd, 3);
	/* the virtual BAR's PCI address: not the device memory the region stands for */
	cr_assert_eq(dfx_priv(&fx, fd)->phys_vec[0].paddr, 0x4100000000ULL + 16 * MB);
	dma_buf_close_fd(&fx.sys, fd);
}

Test(bugs, h11_null_pci_ops_oopses, .fini = teardown)
{
	setup_bug(BUG(BUG_H11_NO_PCI_OPS_CHECK));
	fx.vdev.pci_ops = NULL;
	cr_assert_eq(export1(0, 0, PAGE_SIZE), -EFAULT);
	cr_assert_eq(fx.sys.oopses, 1);
}

Test(bugs, h8_skipped_init_uses_an_uninitialised_lock, .fini = teardown)
{
	struct vfio_pci_core_device v;

	setup_bug(BUG(BUG_H8_P2PDMA_INIT_CHECK));
	cr_assert_eq(vfio_pci_core_init_dev(&v, &fx.sys, fx.sm.a1, &fx.ctx, &vfio_pci_core_dev_ops,
					    NULL),
		     0);
	cr_assert(!v.dmabufs_initialized);
	vfio_pci_core_open_device(&v);
	vfio_pci_config_write_command(&v, 0);
	cr_assert_geq(dfx_find(&fx, 0, EV_DMABUF_WARN, DMABUF_WARN_UNINIT_LOCK), 0);
}


Test(bugs, h25_mlx5_invalidate_after_dereg, .fini = teardown)
{
	struct mlx5_ib_mr *mr;
	int fd;

	setup_bug(BUG(BUG_H25_MLX5_DEREG_RACE));
	fd = export1(0, 0, PAGE_SIZE);
	mr = mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);
	cr_assert(!IS_ERR(mr));
	fx.sys.preempt = dfx_hook_mem_off_in_release;
	fx.sys.preempt_arg = &fx;
	mlx5_ib_dereg_mr(mr);
	fx.sys.preempt = NULL;
	cr_assert_geq(dfx_find(&fx, 0, EV_DMABUF_WARN, DMABUF_WARN_USE_AFTER_FREE), 0);
}

Test(bugs, h25_fixed_invalidate_after_dereg_is_a_no_op, .fini = teardown)
{
	struct mlx5_ib_mr *mr;
	int fd;

	setup_bug(0);
	fd = export1(0, 0, PAGE_SIZE);
	mr = mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);
	fx.sys.preempt = dfx_hook_mem_off_in_release;
	fx.sys.preempt_arg = &fx;
	/* the revoke's unmap wait needs the dereg the hook interrupted: a recorded hang here */
	allow_model_hang = true;
	mlx5_ib_dereg_mr(mr);
	fx.sys.preempt = NULL;
	cr_assert_eq(fx.sys.oopses, 0);
}

Test(bugs, h22_iommufd_revoke_on_freed_pages, .fini = teardown)
{
	struct iopt_pages *pages;
	int fd;

	setup_bug(BUG(BUG_H22_IOMMUFD_FREE_BEFORE_DETACH));
	fd = export1(0, 0, PAGE_SIZE);
	pages = iopt_map_dmabuf(&fx.sys, &fx.devc, fd);
	cr_assert(!IS_ERR(pages));
	fx.sys.preempt = dfx_hook_mem_off_in_release;
	fx.sys.preempt_arg = &fx;
	iopt_release_pages(pages);
	fx.sys.preempt = NULL;
	cr_assert_geq(dfx_find(&fx, 0, EV_DMABUF_WARN, DMABUF_WARN_USE_AFTER_FREE), 0); /* F11 */
}

Test(bugs, h23_iommufd_unpin_without_resv, .fini = teardown)
{
	struct iopt_pages *pages;
	long a;
	int fd;

	setup_bug(BUG(BUG_H23_IOMMUFD_UNPIN_NO_RESV));
	fd = export1(0, 0, PAGE_SIZE);
	pages = iopt_map_dmabuf(&fx.sys, &fx.devc, fd);
	dfx_clear(&fx);
	iopt_release_pages(pages);
	a = dfx_find(&fx, 0, EV_DMABUF_LOCK_ASSERT, LOCK_CLASS_RESV);
	cr_assert_geq(a, 0);
	cr_assert_eq(fx.evs[a].ret, -ENOLCK); /* L1 */
}

Test(bugs, h24_access_pin_accepts_dmabuf_pages, .fini = teardown)
{
	struct iopt_pages *pages;
	int fd;

	setup_bug(BUG(BUG_H24_IOMMUFD_ACCESS_PIN));
	fd = export1(0, 0, PAGE_SIZE);
	pages = iopt_map_dmabuf(&fx.sys, &fx.devc, fd);
	cr_assert_eq(iopt_pages_rw_access_pin(pages), 0);
	iopt_release_pages(pages);
}

Test(bugs, catalogue_rows)
{
	cr_assert_eq(bug_find("H3"), BUG_H3_REVOKED_INIT_UNLOCKED);
	cr_assert_eq(bug_find("h18"), BUG_H18_CLEANUP_REDRAIN);
	cr_assert_eq(bug_find("H7-leak"), BUG_H7_FD_FAIL_LEAK);
	cr_assert_eq(bug_find("H99"), BUG_NONE);
	for (int id = BUG_NONE + 1; id < BUG__COUNT; id++) {
		cr_assert_not_null(bug_info((enum bug_id)id));
		cr_assert_not_null(bug_info((enum bug_id)id)->checker);
	}
}

/* ------------------------------------------------------------------------------------------
 * the v6.19 profile: move_notify semantics, no waits, pin -EOPNOTSUPP
 */
Test(profile, v6_19_revoke_has_no_waits_and_pinned_importers_fail_pin)
{
	struct mlx5_ib_mr *mr;
	struct irdma_mr *pinned;
	int fd;

	dfx_init(&fx, true, kernel_profile_find("v6.19"), 0, false);
	fd = export1(0, 0, PAGE_SIZE);
	pinned = rdma_reg_user_mr_dmabuf_pinned(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);
	cr_assert_eq(PTR_ERR(pinned), -EOPNOTSUPP); /* 61ceaf236115: pin refused */
	mr = mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);
	cr_assert(!IS_ERR(mr));
	dfx_clear(&fx);
	vfio_pci_config_write_command(&fx.vdev, 0);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_FENCE_WAIT, DMA_RESV_USAGE_BOOKKEEP), 0);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_KREF, -1), 0);
	cr_assert_eq(dfx_find(&fx, 0, EV_DMABUF_INVALIDATE, 1) >= 0, true);
	cr_assert(mr->umem->sgt == NULL);
	mlx5_ib_dereg_mr(mr);
	/* the 6.19 revoke (no waits) breaks no rule the checker can see here: no fence, and
	 * mlx5 unmaps inside its callback */
	if (dfx_violations(&fx))
		dfx_print_violations(&fx);
	cr_expect_eq(dfx_violations(&fx), 0);
	dfx_fini(&fx);
}

/* ------------------------------------------------------------------------------------------
 * the model obeys its own locking rules (L4, L6) over a long mixed run, judged from the
 * recorded events alone, the way the dmabuf checker will
 */
struct held {
	u64 id;
	unsigned int cls;
	int thread;
};

static void check_lock_rules(void)
{
	struct held stack[32];
	size_t n = 0, waits = 0;

	for (size_t i = 0; i < fx.nr_evs; i++) {
		const struct sim_event *ev = &fx.evs[i];

		if (ev->kind == EV_DMABUF_LOCK && ev->ret == 0) {
			for (size_t j = 0; j < n && !(ev->count & SIM_LOCK_TRY); j++)
				if (stack[j].thread == (int)ev->addr)
					cr_assert_lt(
						stack[j].cls, ev->flags,
						"L4: class %u taken under class %u (event %zu)",
						ev->flags, stack[j].cls, i);
			cr_assert_lt(n, 32);
			stack[n++] = (struct held){ ev->aux, ev->flags, (int)ev->addr };
		} else if (ev->kind == EV_DMABUF_UNLOCK) {
			for (size_t j = n; j-- > 0;) {
				if (stack[j].id == ev->aux) {
					stack[j] = stack[--n];
					break;
				}
			}
		} else if (ev->kind == EV_DMABUF_COMPLETION && ev->flags == COMPLETION_OP_WAIT) {
			bool memory = false;

			for (size_t j = 0; j < n; j++) {
				cr_assert_neq(stack[j].cls, LOCK_CLASS_RESV,
					      "L6: waiting with a resv");
				memory |= stack[j].cls == LOCK_CLASS_MEMORY;
			}
			cr_assert(memory, "L6: the unmap wait holds memory_lock");
			waits++;
		}
	}
	cr_assert_eq(n, 0, "every lock released");
	cr_assert_gt(waits, 0);
}

Test(locking, lock_order_and_waits_over_a_mixed_run, .init = setup, .fini = teardown)
{
	struct iommu_domain *domain =
		iommu_domain_alloc(fx.sm.m->iommus[0], IOMMU_DOMAIN_UNMANAGED);
	struct iopt_pages *pages;
	struct mlx5_ib_mr *mr;
	u8 buf[8] = { 0 };
	int fd, fd1;

	open_vdev1();
	fd = export1(0, 0, 2 * PAGE_SIZE);
	fd1 = dfx_export(&fx.vdev1, 0, 0, PAGE_SIZE);
	mr = mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, 2 * PAGE_SIZE, fd);
	pages = iopt_map_dmabuf(&fx.sys, &fx.devc, fd1);
	cr_assert(!IS_ERR(mr) && !IS_ERR(pages));
	cr_assert_eq(iopt_area_fill_domain(pages, domain, 0x400000), 0);
	cr_assert_eq(mlx5_ib_mr_dma(mr, 0, buf, sizeof(buf), true), 0);

	vfio_pci_config_write_command(&fx.vdev, 0);
	vfio_pci_config_write_command(&fx.vdev, PCI_COMMAND_MEMORY);
	cr_assert_eq(mlx5_ib_mr_dma(mr, 0, buf, sizeof(buf), false), 0);
	vfio_lock_and_set_power_state(&fx.vdev, PCI_D3hot);
	vfio_lock_and_set_power_state(&fx.vdev, PCI_D0);
	vfio_exp_config_write_flr(&fx.vdev);
	cr_assert_eq(vfio_pci_ioctl_reset(&fx.vdev), 0);
	cr_assert_eq(vfio_pci_dev_set_hot_reset(&fx.dev_set), 0);
	cr_assert_eq(vfio_pci_runtime_pm_entry(&fx.vdev), 0);
	vfio_pci_runtime_pm_exit(&fx.vdev);
	cr_assert_eq(mlx5_ib_mr_dma(mr, 8, buf, sizeof(buf), true), 0);
	mlx5_ib_dereg_mr(mr);
	iopt_release_pages(pages);
	iommu_domain_free(domain);
	cr_assert_eq(vfio_pci_core_unregister_device(&fx.vdev), -EAGAIN);
	vfio_pci_core_close_device(&fx.vdev);
	vfio_pci_core_close_device(&fx.vdev1);
	dma_buf_close_fd(&fx.sys, fd);
	dma_buf_close_fd(&fx.sys, fd1);

	check_lock_rules();
	cr_assert(fx.vdev.providers_released);
	cr_assert_eq(fx.sys.warns + fx.sys.oopses + fx.sys.hangs, 0);
}
