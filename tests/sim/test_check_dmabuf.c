// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_check_dmabuf.c - the `dmabuf` checker (sim/check/dmabuf.c; docs/checkers.md
 * "dmabuf"): every historic bug H1-H25 of src/bugs.h that has an injection point,
 * driven through the kernel model on the dma-buf fixture machine
 * (tests/helpers/dmabuf_fixture.h, whose fx.cs is checkers_new(m, NULL, "dmabuf", ...)),
 * is reported with the kind its src/bugs.c row names, and the same sequence without
 * the injection is clean; then each rule on hand-made event streams where no
 * injected bug reaches it.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "helpers/dmabuf_fixture.h"
#include "models/iommu/iommu_hw.h"
#include "src/dma-buf/dma-buf-mapping.h"
#include "src/importers/iommufd_pages.h"
#include "src/importers/rdma_umem_dmabuf.h"

#define GB (1ULL << 30)
#define MB (1ULL << 20)
#define BUG(id) (1ULL << (id))

static struct dmabuf_fixture fx;

static int export1(u64 offset, u64 length)
{
	return dfx_export(&fx.vdev, 0, offset, length);
}

static void show(void)
{
	if (dfx_violations(&fx))
		dfx_print_violations(&fx);
}

/*
 * Drive @drive with @mask injected and expect a violation of @kind; then the
 * same without the injection and expect none (a "hang" is tolerated when
 * @clean_may_hang: a test hook that runs another thread's whole work at once
 * leaves a wait the one-thread model records).
 */
static void run_case(u64 mask, void (*drive)(void), const char *kind, bool clean_may_hang)
{
	dfx_init(&fx, true, NULL, mask, true);
	drive();
	if (!dfx_violation(&fx, kind))
		show();
	cr_expect_not_null(dfx_violation(&fx, kind), "injected %#llx: no dmabuf %s",
			   (unsigned long long)mask, kind);
	dfx_fini(&fx);

	dfx_init(&fx, true, NULL, 0, true);
	drive();
	for (size_t i = 0; i < dfx_violations(&fx); i++) {
		if (clean_may_hang && !strcmp(checkers_violation(fx.cs, i)->kind, "hang"))
			continue;
		show();
		cr_expect_fail("the correct model is not clean for the %s sequence", kind);
		break;
	}
	dfx_fini(&fx);
}

/* The catalogue row names what the checker reports. */
static void expect_row(enum bug_id id, const char *kind)
{
	char want[64];

	snprintf(want, sizeof(want), "dmabuf %s", kind);
	cr_expect_str_eq(bug_info(id)->checker, want, "%s", bug_info(id)->name);
}

/* --- revoke triggers ---------------------------------------------------------------------- */

static void drive_mem_off(void)
{
	cr_assert_geq(export1(0, PAGE_SIZE), 3);
	vfio_pci_config_write_command(&fx.vdev, 0);
	vfio_pci_config_write_command(&fx.vdev, PCI_COMMAND_MEMORY);
}

Test(bugs, h1_inverted_revoke_is_r6)
{
	run_case(BUG(BUG_H1_INVERTED_REVOKE), drive_mem_off, "R6", false);
	expect_row(BUG_H1_INVERTED_REVOKE, "R6");
}

Test(bugs, h4_mem_clear_without_revoke_is_r6)
{
	run_case(BUG(BUG_H4_NO_REVOKE_ON_MEM_CLEAR), drive_mem_off, "R6", false);
	expect_row(BUG_H4_NO_REVOKE_ON_MEM_CLEAR, "R6");
}

static void drive_flr(void)
{
	cr_assert_geq(export1(0, PAGE_SIZE), 3);
	vfio_exp_config_write_flr(&fx.vdev);
}

Test(bugs, h2_flr_restore_revokes_is_liveness)
{
	run_case(BUG(BUG_H2_FLR_RESTORE_REVOKES), drive_flr, "liveness", false);
	expect_row(BUG_H2_FLR_RESTORE_REVOKES, "liveness");
}

static void drive_export_racing_mem_off(void)
{
	struct mlx5_ib_mr *mr;
	int fd;

	fx.sys.preempt = dfx_hook_mem_off_before_insert;
	fx.sys.preempt_arg = &fx;
	fd = export1(0, PAGE_SIZE);
	cr_assert_geq(fd, 3);
	mr = mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);
	if (!IS_ERR(mr))
		mlx5_ib_dereg_mr(mr);
}

Test(bugs, h3_revoked_sampled_outside_the_locks_is_l5_then_f8_and_r5)
{
	run_case(BUG(BUG_H3_REVOKED_INIT_UNLOCKED), drive_export_racing_mem_off, "L5", false);
	/* the race itself: inserted un-revoked with memory off, then mapped while it is off */
	dfx_init(&fx, true, NULL, BUG(BUG_H3_REVOKED_INIT_UNLOCKED), true);
	drive_export_racing_mem_off();
	cr_expect_not_null(dfx_violation(&fx, "F8"));
	dfx_fini(&fx);
	expect_row(BUG_H3_REVOKED_INIT_UNLOCKED, "L5");
}

static void open_vdev1(void)
{
	cr_assert_eq(vfio_pci_core_open_device(&fx.vdev1), 0);
	cr_assert_eq(vfio_pci_core_setup_barmap(&fx.vdev1, 0), 0);
}

static void drive_hot_reset_busy(void)
{
	open_vdev1();
	cr_assert_geq(export1(0, PAGE_SIZE), 3);
	cr_assert_geq(dfx_export(&fx.vdev1, 0, 0, PAGE_SIZE), 3);
	fx.sys.current_thread = 1;
	down_read(&fx.vdev1.memory_lock);
	fx.sys.current_thread = 0;
	cr_assert_eq(vfio_pci_dev_set_hot_reset(&fx.dev_set), -EBUSY);
	fx.sys.current_thread = 1;
	up_read(&fx.vdev1.memory_lock);
	fx.sys.current_thread = 0;
}

Test(bugs, h9_unrevoke_of_an_unlocked_device_is_l3)
{
	run_case(BUG(BUG_H9_UNREVOKE_FORWARD_LOOP), drive_hot_reset_busy, "L3", false);
	expect_row(BUG_H9_UNREVOKE_FORWARD_LOOP, "L3");
}

static void drive_hot_reset(void)
{
	open_vdev1();
	cr_assert_geq(export1(0, PAGE_SIZE), 3);
	cr_assert_geq(dfx_export(&fx.vdev1, 0, 0, PAGE_SIZE), 3);
	cr_assert_eq(vfio_pci_dev_set_hot_reset(&fx.dev_set), 0);
}

Test(bugs, h9_forward_undo_of_a_whole_set_is_f9)
{
	run_case(BUG(BUG_H9_UNREVOKE_FORWARD_LOOP), drive_hot_reset, "F9", false);
}

static void drive_hot_reset_never_opened(void)
{
	cr_assert_geq(export1(0, PAGE_SIZE), 3);
	cr_assert_eq(vfio_pci_dev_set_hot_reset(&fx.dev_set), 0);
}

Test(bugs, h10_undo_reading_a_never_opened_vconfig_is_oops)
{
	run_case(BUG(BUG_H10_UNDO_NEVER_OPENED), drive_hot_reset_never_opened, "oops", false);
	expect_row(BUG_H10_UNDO_NEVER_OPENED, "oops");
}

/* --- revoke correctness -------------------------------------------------------------------- */

static void drive_pinned_importer(void)
{
	struct irdma_mr *mr;
	u8 b[4] = { 1, 2, 3, 4 };
	int fd = export1(0, PAGE_SIZE);

	mr = rdma_reg_user_mr_dmabuf_pinned(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);
	if (IS_ERR(mr))
		return;
	/* low power revokes; the wake-eventfd path decodes memory again but stays revoked */
	cr_assert_eq(vfio_pci_runtime_pm_entry(&fx.vdev), 0);
	vfio_pci_core_runtime_resume(&fx.vdev);
	irdma_mr_dma(mr, 0, b, sizeof(b), true);
	irdma_dereg_mr(mr);
}

Test(bugs, h16_pinned_importer_is_a3_then_r3_hang_r4)
{
	run_case(BUG(BUG_H16_ACCEPT_PINNED), drive_pinned_importer, "A3", false);
	dfx_init(&fx, true, NULL, BUG(BUG_H16_ACCEPT_PINNED), true);
	drive_pinned_importer();
	cr_expect_not_null(dfx_violation(&fx, "hang")); /* the unmap wait never finishes */
	cr_expect_not_null(dfx_violation(&fx, "R4")); /* its DMA lands in the revoked BAR */
	dfx_fini(&fx);
	expect_row(BUG_H16_ACCEPT_PINNED, "A3");
}

static void drive_fence_then_mem_off(void)
{
	int fd = export1(0, PAGE_SIZE);
	struct dma_buf *dmabuf = dfx_priv(&fx, fd)->dmabuf;

	dma_resv_lock(&dmabuf->resv);
	dma_resv_add_fence(&dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP, false);
	dma_resv_unlock(&dmabuf->resv);
	vfio_pci_config_write_command(&fx.vdev, 0);
}

Test(bugs, h17_no_fence_wait_is_r2)
{
	run_case(BUG(BUG_H17_NO_REVOKE_WAITS), drive_fence_then_mem_off, "R2", false);
	expect_row(BUG_H17_NO_REVOKE_WAITS, "R2");
}

static void drive_mem_off_then_close(void)
{
	cr_assert_geq(export1(0, PAGE_SIZE), 3);
	vfio_pci_config_write_command(&fx.vdev, 0);
	vfio_pci_core_close_device(&fx.vdev);
}

Test(bugs, h18_no_rearm_is_r8_then_r7_and_hang)
{
	run_case(BUG(BUG_H18_CLEANUP_REDRAIN), drive_mem_off_then_close, "R8", false);
	dfx_init(&fx, true, NULL, BUG(BUG_H18_CLEANUP_REDRAIN), true);
	drive_mem_off_then_close();
	cr_expect_not_null(dfx_violation(&fx, "R7")); /* cleanup drains the revoked one again */
	cr_expect_not_null(dfx_violation(&fx, "hang"));
	dfx_fini(&fx);
	expect_row(BUG_H18_CLEANUP_REDRAIN, "R8");
}

/* --- lifecycle ----------------------------------------------------------------------------- */

static void drive_export_with_fds_full(void)
{
	for (unsigned int i = 0; i < fx.sys.max_fds; i++)
		fx.sys.fds[i] = (struct dma_buf *)&fx;
	cr_assert_eq(export1(0, PAGE_SIZE), -EMFILE);
	memset(fx.sys.fds, 0, fx.sys.max_fds * sizeof(*fx.sys.fds));
	if (fx.vdev.dmabufs) /* the leaked one: give the test's memory back */
		dma_buf_put(fx.vdev.dmabufs->dmabuf);
}

Test(bugs, h7_leak_is_f6)
{
	run_case(BUG(BUG_H7_FD_FAIL_LEAK), drive_export_with_fds_full, "F6", false);
	expect_row(BUG_H7_FD_FAIL_LEAK, "F6");
}

Test(bugs, h7_double_free_is_f1_then_uaf)
{
	run_case(BUG(BUG_H7_FD_FAIL_DOUBLE_FREE), drive_export_with_fds_full, "F1", false);
	dfx_init(&fx, true, NULL, BUG(BUG_H7_FD_FAIL_DOUBLE_FREE), true);
	drive_export_with_fds_full();
	cr_expect_not_null(dfx_violation(&fx, "uaf"));
	dfx_fini(&fx);
	expect_row(BUG_H7_FD_FAIL_DOUBLE_FREE, "F1");
}

static void drive_close(void)
{
	cr_assert_geq(export1(0, PAGE_SIZE), 3);
	vfio_pci_core_close_device(&fx.vdev);
}

Test(bugs, h19_disable_before_cleanup_is_f4)
{
	run_case(BUG(BUG_H19_DISABLE_BEFORE_CLEANUP), drive_close, "F4", false);
	expect_row(BUG_H19_DISABLE_BEFORE_CLEANUP, "F4");
}

static void drive_export_unrequested(void)
{
	fx.vdev.bar_requested[0] = false;
	export1(0, PAGE_SIZE);
}

Test(bugs, h20_unrequested_bar_is_f7)
{
	run_case(BUG(BUG_H20_UNREQUESTED_BAR), drive_export_unrequested, "F7", false);
	expect_row(BUG_H20_UNREQUESTED_BAR, "F7");
}

static void drive_export_non_mappable(void)
{
	fx.vdev.non_mappable_bars = true;
	export1(0, PAGE_SIZE);
}

Test(bugs, h21_non_mappable_bars_is_f7)
{
	run_case(BUG(BUG_H21_NON_MAPPABLE_BARS), drive_export_non_mappable, "F7", false);
	expect_row(BUG_H21_NON_MAPPABLE_BARS, "F7");
}

/* nvgrace-style function on a1: virtual BAR 4 (64 MiB) fronting 48 MiB of device memory */
static struct nvgrace_gpu_pci_core_device nv;

static void drive_nvgrace_export(void)
{
	fx.sm.a1->bars[4] = (struct pci_bar){ .kind = PCI_BAR_MEM64,
					      .prefetchable = true,
					      .size_bytes = 64 * MB,
					      .cpu_addr = 0x4100000000ULL,
					      .bus_addr = 0x4100000000ULL };
	memset(&nv, 0, sizeof(nv));
	cr_assert_eq(vfio_pci_core_init_dev(&nv.core_device, &fx.sys, fx.sm.a1, &fx.ctx,
					    &nvgrace_gpu_pci_dev_ops, NULL),
		     0);
	nv.usemem_phys = 0x80000000ULL;
	nv.usemem_len = 48 * MB;
	vfio_pci_core_open_device(&nv.core_device);
	vfio_pci_core_setup_barmap(&nv.core_device, 4);
	cr_assert_geq(dfx_export(&nv.core_device, USEMEM_REGION_INDEX, 16 * MB, MB), 3);
	vfio_pci_core_close_device(&nv.core_device); /* before nv is reused */
}

Test(bugs, h6_variant_exporting_the_pci_bar_is_f7)
{
	run_case(BUG(BUG_H6_VARIANT_USES_PCI_BAR), drive_nvgrace_export, "F7", false);
	expect_row(BUG_H6_VARIANT_USES_PCI_BAR, "F7");
}

static void drive_no_pci_ops(void)
{
	fx.vdev.pci_ops = NULL;
	export1(0, PAGE_SIZE);
}

Test(bugs, h11_null_pci_ops_is_oops)
{
	run_case(BUG(BUG_H11_NO_PCI_OPS_CHECK), drive_no_pci_ops, "oops", false);
	expect_row(BUG_H11_NO_PCI_OPS_CHECK, "oops");
}

static struct vfio_pci_core_device h8_vdev;

static void drive_second_device(void)
{
	cr_assert_eq(vfio_pci_core_init_dev(&h8_vdev, &fx.sys, fx.sm.a1, &fx.ctx,
					    &vfio_pci_core_dev_ops, NULL),
		     0);
	vfio_pci_core_open_device(&h8_vdev);
	vfio_pci_config_write_command(&h8_vdev, 0);
}

Test(bugs, h8_uninitialised_lock_is_oops)
{
	run_case(BUG(BUG_H8_P2PDMA_INIT_CHECK), drive_second_device, "oops", false);
	expect_row(BUG_H8_P2PDMA_INIT_CHECK, "oops");
}

/* --- importers ----------------------------------------------------------------------------- */

static void drive_iommufd_release_racing_revoke(void)
{
	struct iopt_pages *pages;
	int fd = export1(0, PAGE_SIZE);

	pages = iopt_map_dmabuf(&fx.sys, &fx.devc, fd);
	cr_assert(!IS_ERR(pages));
	fx.sys.preempt = dfx_hook_mem_off_in_release;
	fx.sys.preempt_arg = &fx;
	iopt_release_pages(pages);
	fx.sys.preempt = NULL;
}

Test(bugs, h22_iommufd_pages_freed_before_detach_is_f11_then_uaf)
{
	run_case(BUG(BUG_H22_IOMMUFD_FREE_BEFORE_DETACH), drive_iommufd_release_racing_revoke,
		 "F11", false);
	dfx_init(&fx, true, NULL, BUG(BUG_H22_IOMMUFD_FREE_BEFORE_DETACH), true);
	drive_iommufd_release_racing_revoke();
	cr_expect_not_null(dfx_violation(&fx, "uaf"));
	dfx_fini(&fx);
	expect_row(BUG_H22_IOMMUFD_FREE_BEFORE_DETACH, "F11");
}

static void drive_iommufd_map_release(void)
{
	struct iommu_domain *domain =
		iommu_domain_alloc(fx.sm.m->iommus[0], IOMMU_DOMAIN_UNMANAGED);
	struct iopt_pages *pages = iopt_map_dmabuf(&fx.sys, &fx.devc, export1(0, PAGE_SIZE));

	cr_assert(!IS_ERR(pages));
	cr_assert_eq(iopt_area_fill_domain(pages, domain, 0x400000), 0);
	iopt_pages_rw_access_pin(pages);
	iopt_release_pages(pages);
	iommu_domain_free(domain);
}

Test(bugs, h23_iommufd_unpin_without_resv_is_l1)
{
	run_case(BUG(BUG_H23_IOMMUFD_UNPIN_NO_RESV), drive_iommufd_map_release, "L1", false);
	expect_row(BUG_H23_IOMMUFD_UNPIN_NO_RESV, "L1");
}

Test(bugs, h24_access_pin_of_dmabuf_pages_is_a3)
{
	run_case(BUG(BUG_H24_IOMMUFD_ACCESS_PIN), drive_iommufd_map_release, "A3", false);
	expect_row(BUG_H24_IOMMUFD_ACCESS_PIN, "A3");
}

static void drive_mlx5_dereg_racing_revoke(void)
{
	int fd = export1(0, PAGE_SIZE);
	struct mlx5_ib_mr *mr =
		mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);

	cr_assert(!IS_ERR(mr));
	fx.sys.preempt = dfx_hook_mem_off_in_release;
	fx.sys.preempt_arg = &fx;
	mlx5_ib_dereg_mr(mr);
	fx.sys.preempt = NULL;
}

Test(bugs, h25_mlx5_invalidate_after_dereg_is_uaf)
{
	/* clean: the revoke's unmap wait needs the dereg the hook interrupted (recorded hang) */
	run_case(BUG(BUG_H25_MLX5_DEREG_RACE), drive_mlx5_dereg_racing_revoke, "uaf", true);
	expect_row(BUG_H25_MLX5_DEREG_RACE, "uaf");
}

/* --- sg shape: a stub exporter mapping one large range through dma_buf_phys_vec_to_sgt --- */

static struct p2pdma_provider *big_provider;
static struct dma_buf_phys_vec big_vec;

static struct sg_table *big_map(struct dma_buf_attachment *a, enum dma_data_direction dir)
{
	return dma_buf_phys_vec_to_sgt(a, big_provider, &big_vec, 1, big_vec.len, dir);
}

static void big_unmap(struct dma_buf_attachment *a, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	dma_buf_free_sgt(a, sgt, dir);
}

static void big_release(struct dma_buf *d)
{
	(void)d;
}

static const struct dma_buf_ops big_ops = {
	.map_dma_buf = big_map,
	.unmap_dma_buf = big_unmap,
	.release = big_release,
};

static const struct dma_buf_attach_ops p2p_importer = {
	.allow_peer2peer = true,
};

static void map_big(struct device *dev, u64 len)
{
	struct dma_buf_export_info info = { .ops = &big_ops, .size = len };
	struct dma_buf *dmabuf = dma_buf_export(&fx.sys, &info);
	struct dma_buf_attachment *a;
	struct sg_table *sgt;

	cr_assert(!IS_ERR(dmabuf));
	big_provider = pcim_p2pdma_provider(&fx.ctx, fx.sm.a, 0);
	big_vec = (struct dma_buf_phys_vec){ SM_A_BAR, len };
	a = dma_buf_dynamic_attach(dmabuf, dev, &p2p_importer, NULL);
	cr_assert(!IS_ERR(a));
	sgt = dma_buf_map_attachment_unlocked(a, DMA_BIDIRECTIONAL);
	cr_assert(!IS_ERR(sgt));
	dma_buf_unmap_attachment_unlocked(a, sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(dmabuf, a);
	dma_buf_put(dmabuf);
}

static void drive_nine_gib_bus_addr(void)
{
	map_big(&fx.devb, 9 * GB);
}

static void drive_five_gib_iova(void)
{
	map_big(&fx.devc, 5 * GB);
}

Test(bugs, h5_truncated_entries_are_s1)
{
	run_case(BUG(BUG_H5_NO_UINT_MAX_SPLIT), drive_nine_gib_bus_addr, "S1", false);
	expect_row(BUG_H5_NO_UINT_MAX_SPLIT, "S1");
}

Test(bugs, h14_32bit_entry_addresses_are_s1)
{
	run_case(BUG(BUG_H14_SG_ADDR_32BIT), drive_nine_gib_bus_addr, "S1", false);
	expect_row(BUG_H14_SG_ADDR_32BIT, "S1");
}

Test(bugs, h15_32bit_mapped_len_is_s1)
{
	run_case(BUG(BUG_H15_MAPPED_LEN_32BIT), drive_five_gib_iova, "S1", false);
	expect_row(BUG_H15_MAPPED_LEN_32BIT, "S1");
}

/* --- each rule on hand-made event streams ----------------------------------------------- */

#define X 1000ULL /* the dma-buf id of the streams */
#define MEMLOCK 900ULL
#define RESV 901ULL

static void setup_stream(void)
{
	dfx_init(&fx, true, NULL, 0, false);
}

static void teardown_stream(void)
{
	dfx_fini(&fx);
}

static void emit(struct sim_event ev)
{
	event_bus_emit(&fx.sm.m->events, &ev);
}

static void lock(u64 id, unsigned int cls, bool write, int thread)
{
	emit((struct sim_event){ .kind = EV_DMABUF_LOCK,
				 .aux = id,
				 .flags = cls,
				 .count = write,
				 .addr = (u64)thread,
				 .dev = cls == LOCK_CLASS_MEMORY ? fx.sm.a : NULL,
				 .phys = cls == LOCK_CLASS_RESV ? X : 0 });
}

static void unlock(u64 id, unsigned int cls, bool write, int thread)
{
	emit((struct sim_event){ .kind = EV_DMABUF_UNLOCK,
				 .aux = id,
				 .flags = cls,
				 .count = write,
				 .addr = (u64)thread,
				 .dev = cls == LOCK_CLASS_MEMORY ? fx.sm.a : NULL,
				 .phys = cls == LOCK_CLASS_RESV ? X : 0 });
}

static void state(enum vfio_dmabuf_field field, unsigned int value, u64 addr)
{
	emit((struct sim_event){ .kind = EV_DMABUF_STATE,
				 .aux = X,
				 .dev = fx.sm.a,
				 .flags = field,
				 .count = value,
				 .addr = addr });
}

static void hw(enum vfio_hw_event what, bool mem_enabled)
{
	emit((struct sim_event){
		.kind = EV_VFIO_HW_EVENT, .dev = fx.sm.a, .flags = what, .count = mem_enabled });
}

/* The exporter's attach read revoked=@revoked for attachment @id. */
static void state_addr_check(u64 id, bool revoked)
{
	state(VFIO_DMABUF_FIELD_ATTACH_CHECK, revoked, id);
}

/* A VFIO dma-buf X of one page at SM_A_BAR on a, exported with memory enabled. */
static void vfio_buf(bool revoked)
{
	emit((struct sim_event){ .kind = EV_DMABUF_EXPORT, .aux = X, .len = PAGE_SIZE });
	state(VFIO_DMABUF_FIELD_VDEV, 1, 0);
	emit((struct sim_event){ .kind = EV_DMABUF_STATE,
				 .aux = X,
				 .dev = fx.sm.a,
				 .flags = VFIO_DMABUF_FIELD_RANGE,
				 .phys = SM_A_BAR,
				 .len = PAGE_SIZE });
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	state(VFIO_DMABUF_FIELD_REVOKED, revoked, 0);
	state(VFIO_DMABUF_FIELD_LIST, 1, !revoked);
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	unlock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	emit((struct sim_event){ .kind = EV_VFIO_EXPORT,
				 .dev = fx.sm.a,
				 .aux = X,
				 .ret = 3,
				 .flags = VFIO_EXPORTF_BAR_REQUESTED });
	cr_assert_eq(dfx_violations(&fx), 0);
}

static void attach(u64 id, const struct pci_dev *dev, unsigned int flags)
{
	emit((struct sim_event){
		.kind = EV_DMABUF_ATTACH, .aux = X, .dev = dev, .addr = id, .flags = flags });
}

#define REVOCABLE (DMABUF_ATTF_DYNAMIC | DMABUF_ATTF_P2P | DMABUF_ATTF_REVOCABLE)

static void map(u64 att, int ret)
{
	emit((struct sim_event){ .kind = EV_DMABUF_MAP,
				 .aux = X,
				 .dev = fx.sm.b,
				 .phys = att,
				 .addr = SM_A_BAR,
				 .len = PAGE_SIZE,
				 .count = 1,
				 .ret = ret });
}

static void expect_only(const char *kind)
{
	if (!dfx_violation(&fx, kind) || dfx_violations(&fx) != 1)
		show();
	cr_expect_not_null(dfx_violation(&fx, kind), "no %s", kind);
	cr_expect_eq(dfx_violations(&fx), 1);
}

TestSuite(rules, .init = setup_stream, .fini = teardown_stream);

Test(rules, l4_memory_lock_under_a_resv)
{
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	expect_only("L4");
}

Test(rules, l4_file_reference_under_its_own_resv)
{
	vfio_buf(false);
	lock(RESV, LOCK_CLASS_RESV, true, 1);
	emit((struct sim_event){ .kind = EV_DMABUF_FILE,
				 .aux = X,
				 .flags = DMABUF_FILE_GET,
				 .count = 2,
				 .addr = 0 });
	cr_expect_eq(dfx_violations(&fx), 0, "another thread's resv");
	emit((struct sim_event){ .kind = EV_DMABUF_FILE,
				 .aux = X,
				 .flags = DMABUF_FILE_PUT,
				 .count = 1,
				 .addr = 1 });
	expect_only("L4");
}

Test(rules, l4_trylock_and_other_threads_are_exempt)
{
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 1); /* another thread */
	unlock(MEMLOCK, LOCK_CLASS_MEMORY, true, 1);
	emit((struct sim_event){ .kind = EV_DMABUF_LOCK,
				 .aux = MEMLOCK,
				 .flags = LOCK_CLASS_MEMORY,
				 .count = SIM_LOCK_WRITE | SIM_LOCK_TRY,
				 .dev = fx.sm.a });
	cr_expect_eq(dfx_violations(&fx), 0);
}

Test(rules, l2_invalidate_without_resv_and_callback_retaking_it)
{
	vfio_buf(false);
	emit((struct sim_event){ .kind = EV_DMABUF_INVALIDATE, .aux = X });
	expect_only("L2");
}

Test(rules, l2_callback_retaking_the_resv)
{
	vfio_buf(false);
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	emit((struct sim_event){
		.kind = EV_DMABUF_INVALIDATE_CB, .aux = X, .dev = fx.sm.b, .addr = 7 });
	emit((struct sim_event){ .kind = EV_DMABUF_LOCK,
				 .aux = RESV,
				 .flags = LOCK_CLASS_RESV,
				 .count = 1,
				 .phys = X,
				 .ret = -EDEADLK });
	expect_only("L2");
}

Test(rules, l5_revoked_changed_without_memory_lock)
{
	vfio_buf(false);
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	state(VFIO_DMABUF_FIELD_REVOKED, 1, 0);
	expect_only("L5");
}

Test(rules, l6_unmap_wait_with_the_resv_held)
{
	vfio_buf(false);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	emit((struct sim_event){
		.kind = EV_DMABUF_COMPLETION, .aux = X, .flags = COMPLETION_OP_WAIT, .count = 0 });
	expect_only("L6");
}

Test(rules, l6_another_thread_holding_the_resv_to_unmap_is_fine)
{
	vfio_buf(false);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	lock(RESV, LOCK_CLASS_RESV, true, 1);
	emit((struct sim_event){
		.kind = EV_DMABUF_COMPLETION, .aux = X, .flags = COMPLETION_OP_WAIT, .count = 0 });
	cr_expect_eq(dfx_violations(&fx), 0);
}

Test(rules, a1_a2_a4_attach_policy)
{
	vfio_buf(false);
	attach(1, fx.sm.b, 0);
	cr_expect_not_null(dfx_violation(&fx, "A1"));
	attach(2, fx.sm.b, DMABUF_ATTF_DYNAMIC);
	cr_expect_not_null(dfx_violation(&fx, "A2"));
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	state(VFIO_DMABUF_FIELD_REVOKED, 1, 0);
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	unlock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	attach(3, fx.sm.b, REVOCABLE); /* a revoke raced the check: allowed (advisory) */
	cr_expect_null(dfx_violation(&fx, "A4"));
	state_addr_check(4, 1); /* the exporter's check saw it revoked and let it through */
	attach(4, fx.sm.b, REVOCABLE);
	cr_expect_not_null(dfx_violation(&fx, "A4"));
	cr_expect_eq(dfx_violations(&fx), 3, "and F10 is not one: no trigger section");
}

/* A revoke of X by hand: lock, BEGIN, resv section (set revoked, @callback), END, unlock. */
static void revoke(bool callback, bool zap)
{
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	if (zap)
		hw(VFIO_HW_BARS_ZAPPED, true);
	emit((struct sim_event){
		.kind = EV_DMABUF_REVOKE_BEGIN, .aux = X, .dev = fx.sm.a, .flags = 1 });
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	state(VFIO_DMABUF_FIELD_REVOKED, 1, 0);
	if (callback)
		emit((struct sim_event){
			.kind = EV_DMABUF_INVALIDATE_CB, .aux = X, .dev = fx.sm.b, .addr = 7 });
	emit((struct sim_event){ .kind = EV_DMABUF_INVALIDATE, .aux = X, .count = callback });
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	emit((struct sim_event){
		.kind = EV_DMABUF_REVOKE_END, .aux = X, .dev = fx.sm.a, .flags = 1 });
	hw(VFIO_HW_MEM_OFF, false);
	unlock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
}

Test(rules, clean_revoke_by_hand)
{
	vfio_buf(false);
	attach(7, fx.sm.b, REVOCABLE);
	revoke(true, true);
	cr_expect_eq(dfx_violations(&fx), 0);
}

Test(rules, r1_revoke_returns_without_the_callback)
{
	vfio_buf(false);
	attach(7, fx.sm.b, REVOCABLE);
	revoke(false, true);
	expect_only("R1");
}

/* An attach that read revoked=false before the revoke and lists itself while the revoke waits
 * for unmaps: owed no callback (its maps fail -ENODEV) */
Test(rules, r1_attachment_listed_during_the_revoke_is_not_owed_a_callback)
{
	vfio_buf(false);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	hw(VFIO_HW_BARS_ZAPPED, true);
	emit((struct sim_event){
		.kind = EV_DMABUF_REVOKE_BEGIN, .aux = X, .dev = fx.sm.a, .flags = 1 });
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	state(VFIO_DMABUF_FIELD_REVOKED, 1, 0);
	emit((struct sim_event){ .kind = EV_DMABUF_INVALIDATE, .aux = X });
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	state_addr_check(9, 0); /* thread 1's attach checked before the revoke */
	lock(RESV, LOCK_CLASS_RESV, true, 1);
	unlock(RESV, LOCK_CLASS_RESV, true, 1);
	attach(9, fx.sm.b, REVOCABLE);
	emit((struct sim_event){
		.kind = EV_DMABUF_REVOKE_END, .aux = X, .dev = fx.sm.a, .flags = 1 });
	hw(VFIO_HW_MEM_OFF, false);
	unlock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	cr_expect_eq(dfx_violations(&fx), 0);
	show();
}

Test(rules, r3_revoke_returns_with_a_live_map)
{
	vfio_buf(false);
	attach(7, fx.sm.b, REVOCABLE);
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	map(7, 0);
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	revoke(true, true);
	expect_only("R3");
}

Test(rules, r5_map_while_revoked_and_r10_enodev_while_not)
{
	vfio_buf(false);
	attach(7, fx.sm.b, REVOCABLE);
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	map(7, -ENODEV);
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	expect_only("R10");
	revoke(true, true);
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	map(7, 0);
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	cr_expect_not_null(dfx_violation(&fx, "R5"));
}

Test(rules, r7_move_to_the_state_it_is_in)
{
	vfio_buf(true);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	emit((struct sim_event){
		.kind = EV_DMABUF_REVOKE_BEGIN, .aux = X, .dev = fx.sm.a, .flags = 1 });
	cr_expect_not_null(dfx_violation(&fx, "R7"));
}

Test(rules, r6_physical_event_before_the_revoke)
{
	vfio_buf(false);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	hw(VFIO_HW_D3HOT, false);
	expect_only("R6");
}

Test(rules, r8_kref_underflow)
{
	vfio_buf(false);
	emit((struct sim_event){
		.kind = EV_DMABUF_KREF, .aux = X, .flags = KREF_OP_PUT, .ret = -EOVERFLOW });
	expect_only("R8");
}

Test(rules, r9_unrevoke_visible_before_the_notification)
{
	vfio_buf(true);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	hw(VFIO_HW_MEM_ON, true);
	emit((struct sim_event){ .kind = EV_DMABUF_REVOKE_BEGIN, .aux = X, .dev = fx.sm.a });
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	state(VFIO_DMABUF_FIELD_REVOKED, 0, 0);
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	emit((struct sim_event){ .kind = EV_DMABUF_INVALIDATE, .aux = X });
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	emit((struct sim_event){ .kind = EV_DMABUF_REVOKE_END, .aux = X, .dev = fx.sm.a });
	unlock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	expect_only("R9");
}

static void tlp(const struct pci_dev *dev, u64 phys)
{
	emit((struct sim_event){
		.kind = EV_TLP_DELIVERED, .dev = dev, .addr = phys, .phys = phys, .len = 8 });
}

Test(rules, r11_dma_after_the_callback_and_r4_after_the_revoke)
{
	vfio_buf(false);
	attach(7, fx.sm.b, REVOCABLE);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	hw(VFIO_HW_BARS_ZAPPED, true);
	emit((struct sim_event){
		.kind = EV_DMABUF_REVOKE_BEGIN, .aux = X, .dev = fx.sm.a, .flags = 1 });
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	state(VFIO_DMABUF_FIELD_REVOKED, 1, 0);
	emit((struct sim_event){
		.kind = EV_DMABUF_INVALIDATE_CB, .aux = X, .dev = fx.sm.b, .addr = 7 });
	tlp(fx.sm.b, SM_A_BAR); /* inside its callback the importer may still reach the BAR */
	cr_expect_eq(dfx_violations(&fx), 0);
	emit((struct sim_event){ .kind = EV_DMABUF_INVALIDATE, .aux = X, .count = 1 });
	tlp(fx.sm.b, SM_A_BAR); /* the callback returned */
	expect_only("R11");
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	emit((struct sim_event){
		.kind = EV_DMABUF_REVOKE_END, .aux = X, .dev = fx.sm.a, .flags = 1 });
	hw(VFIO_HW_D3HOT, false);
	unlock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	emit((struct sim_event){ .kind = EV_TLP_DELIVERED,
				 .dev = fx.sm.b,
				 .addr = SM_A_BAR + 8,
				 .phys = SM_A_BAR + 8,
				 .len = 8 });
	cr_expect_not_null(dfx_violation(&fx, "R4"));
	/* a device that never attached is none of the checker's business */
	emit((struct sim_event){ .kind = EV_TLP_DELIVERED,
				 .dev = fx.sm.c,
				 .addr = SM_A_BAR,
				 .phys = SM_A_BAR,
				 .len = 8 });
	if (dfx_violations(&fx) != 2)
		show();
	cr_expect_eq(dfx_violations(&fx), 2);
}

Test(rules, f2_f3_cleanup_half_done_then_moved)
{
	vfio_buf(false);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	state(VFIO_DMABUF_FIELD_LIST, 0, 0);
	unlock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	expect_only("F2");
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	state(VFIO_DMABUF_FIELD_VDEV, 0, 0); /* detached while not revoked */
	cr_expect_not_null(dfx_violation(&fx, "F3"));
}

Test(rules, f5_providers_freed_under_a_live_map)
{
	vfio_buf(false);
	attach(7, fx.sm.b, REVOCABLE);
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	map(7, 0);
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	emit((struct sim_event){ .kind = EV_P2PDMA_PROVIDER_RELEASE, .dev = fx.sm.a });
	expect_only("F5");
}

Test(rules, f8_inserted_unrevoked_with_memory_off)
{
	emit((struct sim_event){ .kind = EV_DMABUF_EXPORT, .aux = X, .len = PAGE_SIZE });
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	state(VFIO_DMABUF_FIELD_REVOKED, 0, 0);
	state(VFIO_DMABUF_FIELD_LIST, 1, 0 /* memory disabled */);
	expect_only("F8");
}

Test(rules, f10_revoke_without_the_zap)
{
	vfio_buf(false);
	revoke(true, false);
	expect_only("F10");
}

Test(rules, f9_undo_in_forward_order)
{
	emit((struct sim_event){ .kind = EV_DMABUF_LOCK,
				 .aux = MEMLOCK,
				 .flags = LOCK_CLASS_MEMORY,
				 .count = SIM_LOCK_WRITE | SIM_LOCK_TRY,
				 .dev = fx.sm.a });
	emit((struct sim_event){ .kind = EV_DMABUF_LOCK,
				 .aux = MEMLOCK + 1,
				 .flags = LOCK_CLASS_MEMORY,
				 .count = SIM_LOCK_WRITE | SIM_LOCK_TRY,
				 .dev = fx.sm.a1 });
	unlock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	expect_only("F9");
}

/* S1: entries as the model emits them, then the map that returns them */
static void sg(unsigned int idx, u64 addr, u64 len)
{
	emit((struct sim_event){ .kind = EV_DMABUF_SG_ENTRY,
				 .aux = X,
				 .dev = fx.sm.b,
				 .addr = addr,
				 .len = len,
				 .count = idx });
}

static void map_big_by_hand(u64 size, const u64 (*entries)[2], unsigned int n)
{
	emit((struct sim_event){ .kind = EV_DMABUF_EXPORT, .aux = X, .len = size });
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	for (unsigned int i = 0; i < n; i++)
		sg(i, entries[i][0], entries[i][1]);
	map(7, 0);
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
}

Test(rules, s1_full_entries_then_the_rest_is_clean)
{
	const u64 e[3][2] = { { 0x100000000000ULL, UINT_MAX },
			      { 0x100000000000ULL + UINT_MAX, UINT_MAX },
			      { 0x100000000000ULL + 2ULL * UINT_MAX, 2 } };

	map_big_by_hand(2ULL * UINT_MAX + 2, e, 3);
	cr_expect_eq(dfx_violations(&fx), 0);
}

Test(rules, s1_gap_after_a_full_entry)
{
	const u64 e[2][2] = { { 0x100000000000ULL, UINT_MAX },
			      { 0x100000000000ULL + UINT_MAX + PAGE_SIZE, 1 } };

	map_big_by_hand((u64)UINT_MAX + 1, e, 2);
	expect_only("S1");
}

Test(rules, s1_entry_longer_than_uint_max)
{
	const u64 e[1][2] = { { 0x100000000000ULL, 1ULL << 32 } };

	map_big_by_hand(1ULL << 32, e, 1);
	expect_only("S1");
}

Test(rules, s1_entries_short_of_the_size)
{
	const u64 e[1][2] = { { 0x100000000000ULL, PAGE_SIZE } };

	map_big_by_hand(2 * PAGE_SIZE, e, 1);
	expect_only("S1");
}

Test(rules, s2_not_supported_path_mapped)
{
	vfio_buf(false);
	attach(7, fx.sm.b, REVOCABLE);
	emit((struct sim_event){
		.kind = EV_P2P_MAP, .dev = fx.sm.b, .flags = PCI_P2PDMA_MAP_NOT_SUPPORTED });
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	map(7, 0);
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	expect_only("S2");
}

Test(rules, hang_oops_uaf)
{
	emit((struct sim_event){ .kind = EV_DMABUF_LOCK,
				 .aux = MEMLOCK,
				 .flags = LOCK_CLASS_MEMORY,
				 .count = 1,
				 .dev = fx.sm.a,
				 .ret = -EDEADLK });
	emit((struct sim_event){ .kind = EV_DMABUF_FENCE_WAIT,
				 .aux = X,
				 .flags = DMA_RESV_USAGE_BOOKKEEP,
				 .ret = -EDEADLK });
	emit((struct sim_event){ .kind = EV_DMABUF_WARN, .flags = DMABUF_WARN_OOPS });
	emit((struct sim_event){
		.kind = EV_DMABUF_WARN, .flags = DMABUF_WARN_DOUBLE_FREE, .aux = X });
	emit((struct sim_event){ .kind = EV_DMABUF_WARN, .flags = DMABUF_WARN_GENERIC, .aux = X });
	cr_expect_eq(dfx_violations(&fx), 4);
	cr_expect_str_eq(checkers_violation(fx.cs, 0)->kind, "hang");
	cr_expect_str_eq(checkers_violation(fx.cs, 1)->kind, "hang");
	cr_expect_str_eq(checkers_violation(fx.cs, 2)->kind, "oops");
	cr_expect_str_eq(checkers_violation(fx.cs, 3)->kind, "uaf");
}

Test(rules, liveness_revoked_by_the_trigger_and_memory_back_on)
{
	vfio_buf(false);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	hw(VFIO_HW_BARS_ZAPPED, true);
	emit((struct sim_event){
		.kind = EV_DMABUF_REVOKE_BEGIN, .aux = X, .dev = fx.sm.a, .flags = 1 });
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	state(VFIO_DMABUF_FIELD_REVOKED, 1, 0);
	emit((struct sim_event){ .kind = EV_DMABUF_INVALIDATE, .aux = X });
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	emit((struct sim_event){
		.kind = EV_DMABUF_REVOKE_END, .aux = X, .dev = fx.sm.a, .flags = 1 });
	hw(VFIO_HW_FLR, true);
	unlock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	expect_only("liveness");
}

Test(rules, json_names_the_checker_and_kind)
{
	struct json_object *o, *arr, *v, *f;

	lock(RESV, LOCK_CLASS_RESV, true, 0);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	o = checkers_to_json(fx.cs);
	cr_assert(json_object_object_get_ex(o, "violations", &arr));
	cr_assert_eq(json_object_array_length(arr), 1);
	v = json_object_array_get_idx(arr, 0);
	cr_assert(json_object_object_get_ex(v, "checker", &f));
	cr_expect_str_eq(json_object_get_string(f), "dmabuf");
	cr_assert(json_object_object_get_ex(v, "kind", &f));
	cr_expect_str_eq(json_object_get_string(f), "L4");
	json_object_put(o);
	cr_expect(checkers_enabled(fx.cs, "dmabuf"));
	cr_expect_not_null(checkers_describe("dmabuf"));
}

/* --- regressions: false positives found by the fuzzer on the correct model --------------- */

TestSuite(regressions, .init = setup_stream, .fini = teardown_stream);

/* Two MRs of one NIC on one dma-buf: each zap belongs to its own attachment (R4 was wrong). */
Test(regressions, two_importers_on_one_device_each_zap_their_own_mkey)
{
	int fd = export1(0, PAGE_SIZE);
	struct mlx5_ib_mr *m1 =
		mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);
	struct mlx5_ib_mr *m2 =
		mlx5_ib_reg_user_mr_dmabuf(&fx.sys, &fx.devb, fx.sm.router, 0, PAGE_SIZE, fd);

	cr_assert(!IS_ERR(m1) && !IS_ERR(m2));
	vfio_pci_config_write_command(&fx.vdev, 0);
	mlx5_ib_dereg_mr(m2);
	mlx5_ib_dereg_mr(m1);
	cr_expect_eq(dfx_violations(&fx), 0);
	show();
}

/*
 * A LOW_POWER_ENTRY that fails (already engaged) after revoking, with memory enabled (the
 * model lets a PM_CTRL D0 write through while engaged): no physical event happened in the
 * section, so it is not judged as a trigger that left buffers stuck (liveness was wrong).
 */
Test(regressions, failed_low_power_entry_is_not_a_stuck_trigger)
{
	cr_assert_eq(vfio_pci_runtime_pm_entry(&fx.vdev), 0);
	vfio_lock_and_set_power_state(&fx.vdev, PCI_D0);
	cr_assert_geq(export1(0, PAGE_SIZE), 3);
	cr_assert_eq(vfio_pci_runtime_pm_entry(&fx.vdev), -EINVAL);
	cr_expect_eq(dfx_violations(&fx), 0);
	show();
}

/* --- the rules no injected bug reaches first, on hand-made streams --------------------- */

static void importer_hw(enum importer_hw_op op, u64 att)
{
	emit((struct sim_event){
		.kind = EV_IMPORTER_HW, .aux = X, .dev = fx.sm.b, .phys = att, .flags = op });
}

Test(rules, l1_map_event_without_the_resv)
{
	vfio_buf(false);
	attach(7, fx.sm.b, REVOCABLE);
	map(7, 0);
	expect_only("L1");
}

Test(rules, l3_revoke_without_memory_lock)
{
	vfio_buf(false);
	emit((struct sim_event){
		.kind = EV_DMABUF_REVOKE_BEGIN, .aux = X, .dev = fx.sm.a, .flags = 1 });
	cr_expect_not_null(dfx_violation(&fx, "L3"));
}

Test(rules, r4_revoke_returns_with_an_mkey_translating)
{
	vfio_buf(false);
	attach(7, fx.sm.b, REVOCABLE);
	importer_hw(IMPORTER_HW_MKEY_ENABLE, 7);
	revoke(true, true);
	expect_only("R4");
}

Test(rules, r4_zapped_mkey_of_one_attachment_leaves_the_other_live)
{
	vfio_buf(false);
	attach(7, fx.sm.b, REVOCABLE);
	attach(8, fx.sm.b, REVOCABLE);
	importer_hw(IMPORTER_HW_MKEY_ENABLE, 7);
	importer_hw(IMPORTER_HW_MKEY_ENABLE, 8);
	importer_hw(IMPORTER_HW_MKEY_ZAP, 8);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	hw(VFIO_HW_BARS_ZAPPED, true);
	emit((struct sim_event){
		.kind = EV_DMABUF_REVOKE_BEGIN, .aux = X, .dev = fx.sm.a, .flags = 1 });
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	state(VFIO_DMABUF_FIELD_REVOKED, 1, 0);
	emit((struct sim_event){
		.kind = EV_DMABUF_INVALIDATE_CB, .aux = X, .dev = fx.sm.b, .addr = 7 });
	emit((struct sim_event){
		.kind = EV_DMABUF_INVALIDATE_CB, .aux = X, .dev = fx.sm.b, .addr = 8 });
	emit((struct sim_event){ .kind = EV_DMABUF_INVALIDATE, .aux = X, .count = 2 });
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	emit((struct sim_event){
		.kind = EV_DMABUF_REVOKE_END, .aux = X, .dev = fx.sm.a, .flags = 1 });
	expect_only("R4"); /* attachment 7's mkey */
	cr_expect_not_null(strstr(dfx_violation(&fx, "R4")->message, "attachment 7"));
}

Test(rules, r5_iommufd_maps_a_revoked_dmabuf)
{
	vfio_buf(true);
	attach(7, fx.sm.b, REVOCABLE);
	importer_hw(IMPORTER_HW_IOMMU_MAP, 7);
	expect_only("R5");
}

Test(rules, a3_pin_by_a_non_revocable_attachment)
{
	vfio_buf(false);
	attach(7, fx.sm.b, DMABUF_ATTF_DYNAMIC | DMABUF_ATTF_P2P); /* A3 already */
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	emit((struct sim_event){ .kind = EV_DMABUF_PIN, .aux = X, .dev = fx.sm.b, .addr = 7 });
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	expect_only("A3"); /* once per dma-buf */
}

Test(rules, f4_region_released_under_a_live_map)
{
	vfio_buf(false);
	attach(7, fx.sm.b, REVOCABLE);
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	map(7, 0);
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	hw(VFIO_HW_REGION_RELEASE, true);
	expect_only("F4");
}

Test(rules, f5_map_after_the_providers_are_gone)
{
	vfio_buf(false);
	attach(7, fx.sm.b, REVOCABLE);
	lock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	state(VFIO_DMABUF_FIELD_LIST, 0, 0);
	state(VFIO_DMABUF_FIELD_VDEV, 0, 0);
	unlock(MEMLOCK, LOCK_CLASS_MEMORY, true, 0);
	cr_expect_not_null(dfx_violation(&fx, "F3")); /* detached while not revoked */
	emit((struct sim_event){ .kind = EV_P2PDMA_PROVIDER_RELEASE, .dev = fx.sm.a });
	lock(RESV, LOCK_CLASS_RESV, true, 0);
	map(7, 0);
	unlock(RESV, LOCK_CLASS_RESV, true, 0);
	cr_expect_not_null(dfx_violation(&fx, "F5"));
	cr_expect_eq(dfx_violations(&fx), 2);
}
