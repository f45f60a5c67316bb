// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_dmabuf_core.c - the dma-buf core (src/dma-buf/dma-buf.c;
 * reference/dmabuf-vfio.md §1) with a small test exporter that records
 * which of its callbacks ran and with which locks held: export checks, the
 * file refcount and fd, attach / detach for static and dynamic importers,
 * pin / unpin, map / unmap (pin-on-map, fence wait for static importers,
 * error unwinding), invalidate_mappings and its move_notify profile, and the
 * lock / kref / completion models the checkers observe.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "helpers/dmabuf_fixture.h"

static struct dmabuf_fixture fx;

/* --- the test exporter ------------------------------------------------------------------- */

static struct {
	int attach_ret, pin_ret, map_err;
	unsigned int attaches, detaches, pins, unpins, maps, unmaps, releases;
	bool attach_saw_resv, pin_saw_resv, map_saw_resv, release_saw_resv;
	struct sg_table table;
	struct scatterlist sg;
} ex;

static int ex_attach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach)
{
	ex.attaches++;
	ex.attach_saw_resv = dma_resv_held(&dmabuf->resv);
	return ex.attach_ret;
}

static void ex_detach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach)
{
	ex.detaches++;
}

static int ex_pin(struct dma_buf_attachment *attach)
{
	ex.pins++;
	ex.pin_saw_resv = dma_resv_held(&attach->dmabuf->resv);
	return ex.pin_ret;
}

static void ex_unpin(struct dma_buf_attachment *attach)
{
	ex.unpins++;
}

static struct sg_table *ex_map(struct dma_buf_attachment *attach, enum dma_data_direction dir)
{
	ex.maps++;
	ex.map_saw_resv = dma_resv_held(&attach->dmabuf->resv);
	if (ex.map_err)
		return ERR_PTR(ex.map_err);
	ex.sg = (struct scatterlist){ .dma_address = 0x1000, .dma_length = 0x2000 };
	ex.table = (struct sg_table){ .sgl = &ex.sg, .nents = 1 };
	return &ex.table;
}

static void ex_unmap(struct dma_buf_attachment *attach, struct sg_table *sgt,
		     enum dma_data_direction dir)
{
	ex.unmaps++;
}

static void ex_release(struct dma_buf *dmabuf)
{
	ex.releases++;
	ex.release_saw_resv = dma_resv_held(&dmabuf->resv);
}

static const struct dma_buf_ops ex_ops = {
	.attach = ex_attach,
	.detach = ex_detach,
	.map_dma_buf = ex_map,
	.unmap_dma_buf = ex_unmap,
	.release = ex_release,
};

static const struct dma_buf_ops ex_ops_pin = {
	.attach = ex_attach,
	.detach = ex_detach,
	.pin = ex_pin,
	.unpin = ex_unpin,
	.map_dma_buf = ex_map,
	.unmap_dma_buf = ex_unmap,
	.release = ex_release,
};

static unsigned int invalidations;
static bool invalidate_saw_resv;

static void imp_invalidate(struct dma_buf_attachment *attach)
{
	invalidations++;
	invalidate_saw_resv = dma_resv_held(&attach->dmabuf->resv);
}

static const struct dma_buf_attach_ops imp_dynamic = {
	.allow_peer2peer = true,
	.invalidate_mappings = imp_invalidate,
};

static const struct dma_buf_attach_ops imp_no_op = {
	.allow_peer2peer = true,
};

static struct dma_buf *export(const struct dma_buf_ops *ops, size_t size)
{
	struct dma_buf_export_info info = { .ops = ops, .size = size };

	return dma_buf_export(&fx.sys, &info);
}

static void setup(void)
{
	memset(&ex, 0, sizeof(ex));
	invalidations = 0;
	invalidate_saw_resv = false;
	dfx_init(&fx, false, NULL, 0, false);
}

static void teardown(void)
{
	dfx_fini(&fx);
}

TestSuite(core, .init = setup, .fini = teardown);

Test(core, export_checks_the_ops)
{
	struct dma_buf_ops no_map = ex_ops;
	struct dma_buf_ops pin_only = ex_ops;

	no_map.map_dma_buf = NULL;
	pin_only.pin = ex_pin;
	cr_assert_eq(PTR_ERR(export(&no_map, PAGE_SIZE)), -EINVAL);
	cr_assert_eq(PTR_ERR(export(&pin_only, PAGE_SIZE)), -EINVAL); /* pin without unpin */
	cr_assert_eq(fx.sys.warns, 1);
	cr_assert_eq(PTR_ERR(export(&ex_ops, 0)), -EINVAL);
}

Test(core, file_refcount_fd_and_release)
{
	struct dma_buf *dmabuf = export(&ex_ops, PAGE_SIZE), *got;
	int fd;

	cr_assert(!IS_ERR(dmabuf));
	cr_assert_eq(dmabuf->file_count, 1);
	fd = dma_buf_fd(dmabuf, 0);
	cr_assert_eq(fd, 3);
	got = dma_buf_get(&fx.sys, fd);
	cr_assert_eq(got, dmabuf);
	cr_assert_eq(dmabuf->file_count, 2);
	cr_assert_eq(PTR_ERR(dma_buf_get(&fx.sys, 99)), -EBADF);
	cr_assert_eq(dma_buf_close_fd(&fx.sys, fd), 0);
	cr_assert_eq(ex.releases, 0); /* the get still holds it */
	cr_assert_eq(PTR_ERR(dma_buf_get(&fx.sys, fd)), -EBADF);
	dma_buf_put(got);
	cr_assert_eq(ex.releases, 1);
	cr_assert(!ex.release_saw_resv);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_RELEASE, -1), 1);
	cr_assert_eq(dma_buf_close_fd(&fx.sys, fd), -EBADF);
}

Test(core, fd_table_full)
{
	struct dma_buf *dmabuf = export(&ex_ops, PAGE_SIZE);

	for (unsigned int i = 0; i < fx.sys.max_fds; i++)
		cr_assert_eq(dma_buf_fd(dmabuf, 0), (int)i + 3);
	cr_assert_eq(dma_buf_fd(dmabuf, 0), -EMFILE);
	/* the table took one reference per install only by convention: give them back */
	for (unsigned int i = 1; i < fx.sys.max_fds; i++)
		get_dma_buf(dmabuf);
	for (unsigned int i = 0; i < fx.sys.max_fds; i++)
		dma_buf_close_fd(&fx.sys, (int)i + 3);
	cr_assert_eq(ex.releases, 1);
}

Test(core, get_file_active_after_zero)
{
	struct dma_buf *dmabuf = export(&ex_ops, PAGE_SIZE);

	cr_assert(get_file_active(dmabuf));
	cr_assert_eq(dmabuf->file_count, 2);
	dma_buf_put(dmabuf);
	/* a last put while a lock is held defers the release (delayed __fput) */
	mutex_lock(&fx.dev_set.lock);
	dma_buf_put(dmabuf);
	cr_assert_eq(ex.releases, 0);
	cr_assert(!get_file_active(dmabuf)); /* count 0: release pending */
	mutex_unlock(&fx.dev_set.lock);
	cr_assert_eq(ex.releases, 1);
}

Test(core, static_attach_is_never_p2p)
{
	struct dma_buf *dmabuf = export(&ex_ops, PAGE_SIZE);
	struct dma_buf_attachment *a = dma_buf_attach(dmabuf, &fx.devb);
	long ev;

	cr_assert(!IS_ERR(a));
	cr_assert(!a->peer2peer);
	cr_assert(!dma_buf_attachment_is_dynamic(a));
	cr_assert(!dma_buf_attach_revocable(a));
	cr_assert(!ex.attach_saw_resv); /* exporter attach runs without the resv */
	cr_assert_eq(dma_buf_nr_attachments(dmabuf), 1);
	ev = dfx_find(&fx, 0, EV_DMABUF_ATTACH, -1);
	cr_assert_eq(fx.evs[ev].flags, 0);
	dma_buf_detach(dmabuf, a);
	cr_assert_eq(ex.detaches, 1);
	cr_assert_eq(dma_buf_nr_attachments(dmabuf), 0);
	dma_buf_put(dmabuf);
}

Test(core, dynamic_attach_flags_and_exporter_refusal)
{
	struct dma_buf *dmabuf = export(&ex_ops, PAGE_SIZE);
	struct dma_buf_attachment *a = dma_buf_dynamic_attach(dmabuf, &fx.devb, &imp_dynamic, NULL);
	long ev = dfx_find(&fx, 0, EV_DMABUF_ATTACH, -1);

	cr_assert(!IS_ERR(a));
	cr_assert(a->peer2peer);
	cr_assert(dma_buf_attach_revocable(a));
	cr_assert_eq(fx.evs[ev].flags,
		     DMABUF_ATTF_DYNAMIC | DMABUF_ATTF_P2P | DMABUF_ATTF_REVOCABLE);
	/* 7.0: the op is optional; such an attachment is not revocable */
	{
		struct dma_buf_attachment *b =
			dma_buf_dynamic_attach(dmabuf, &fx.devc, &imp_no_op, NULL);

		cr_assert(!IS_ERR(b));
		cr_assert(!dma_buf_attach_revocable(b));
		dma_buf_detach(dmabuf, b);
	}
	ex.attach_ret = -ENODEV;
	cr_assert_eq(PTR_ERR(dma_buf_dynamic_attach(dmabuf, &fx.devc, &imp_dynamic, NULL)),
		     -ENODEV);
	cr_assert_eq(dma_buf_nr_attachments(dmabuf), 1);
	cr_assert_eq(PTR_ERR(dma_buf_dynamic_attach(dmabuf, NULL, &imp_dynamic, NULL)), -EINVAL);
	dma_buf_detach(dmabuf, a);
	dma_buf_put(dmabuf);
}

Test(core, pin_needs_resv_and_a_dynamic_importer)
{
	struct dma_buf *dmabuf = export(&ex_ops_pin, PAGE_SIZE);
	struct dma_buf_attachment *a = dma_buf_dynamic_attach(dmabuf, &fx.devb, &imp_dynamic, NULL);
	struct dma_buf_attachment *s = dma_buf_attach(dmabuf, &fx.devc);

	cr_assert(dma_buf_is_dynamic(dmabuf));
	dma_resv_lock(&dmabuf->resv);
	cr_assert_eq(dma_buf_pin(a), 0);
	cr_assert(ex.pin_saw_resv);
	dma_buf_unpin(a);
	cr_assert_eq(fx.sys.warns, 0);
	dma_buf_pin(s); /* static importer: WARN */
	cr_assert_eq(fx.sys.warns, 1);
	dma_buf_unpin(s);
	dma_resv_unlock(&dmabuf->resv);

	/* without the resv: the assertion fires (L1) */
	dma_buf_pin(a);
	cr_assert_eq(fx.evs[dfx_find(&fx, 0, EV_DMABUF_LOCK_ASSERT, -1)].ret, 0);
	{
		long last = -1, i = 0;

		while ((i = dfx_find(&fx, (size_t)(last + 1), EV_DMABUF_LOCK_ASSERT, -1)) >= 0)
			last = i;
		cr_assert_eq(fx.evs[last].ret, -ENOLCK);
	}
	dma_buf_detach(dmabuf, a);
	dma_buf_detach(dmabuf, s);
	dma_buf_put(dmabuf);
}

Test(core, without_pin_op_pin_is_a_no_op_success)
{
	struct dma_buf *dmabuf = export(&ex_ops, PAGE_SIZE);
	struct dma_buf_attachment *a = dma_buf_dynamic_attach(dmabuf, &fx.devb, &imp_dynamic, NULL);

	dma_resv_lock(&dmabuf->resv);
	cr_assert_eq(dma_buf_pin(a), 0);
	dma_resv_unlock(&dmabuf->resv);
	cr_assert_eq(ex.pins, 0);
	dma_buf_detach(dmabuf, a);
	dma_buf_put(dmabuf);
}

Test(core, static_importer_is_pinned_on_map_and_waits_for_kernel_fences)
{
	struct dma_buf *dmabuf = export(&ex_ops_pin, PAGE_SIZE);
	struct dma_buf_attachment *s = dma_buf_attach(dmabuf, &fx.devb);
	struct sg_table *sgt;
	long wait;

	dma_resv_lock(&dmabuf->resv);
	dma_resv_add_fence(&dmabuf->resv, DMA_RESV_USAGE_KERNEL, false);
	dma_resv_add_fence(&dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP, false);
	sgt = dma_buf_map_attachment(s, DMA_TO_DEVICE);
	cr_assert(!IS_ERR(sgt));
	cr_assert_eq(ex.pins, 1);
	cr_assert(ex.map_saw_resv);
	wait = dfx_find(&fx, 0, EV_DMABUF_FENCE_WAIT, DMA_RESV_USAGE_KERNEL);
	cr_assert_eq(fx.evs[wait].count, 1);
	/* only the KERNEL fence was waited for */
	cr_assert_eq(dma_resv_unsignaled(&dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP), 1);
	dma_buf_unmap_attachment(s, sgt, DMA_TO_DEVICE);
	cr_assert_eq(ex.unpins, 1);
	dma_resv_unlock(&dmabuf->resv);
	dma_buf_detach(dmabuf, s);
	dma_buf_put(dmabuf);
}

Test(core, dynamic_importer_is_not_pinned_on_map_nor_waited_for)
{
	struct dma_buf *dmabuf = export(&ex_ops_pin, PAGE_SIZE);
	struct dma_buf_attachment *a = dma_buf_dynamic_attach(dmabuf, &fx.devb, &imp_dynamic, NULL);
	struct sg_table *sgt;

	sgt = dma_buf_map_attachment_unlocked(a, DMA_BIDIRECTIONAL);
	cr_assert(!IS_ERR(sgt));
	cr_assert_eq(ex.pins, 0);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_FENCE_WAIT, -1), 0);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_MAP, -1), 1);
	cr_assert_eq(fx.evs[dfx_find(&fx, 0, EV_DMABUF_MAP, -1)].len, 0x2000);
	dma_buf_unmap_attachment_unlocked(a, sgt, DMA_BIDIRECTIONAL);
	cr_assert_eq(dmabuf->live_maps, 0);
	dma_buf_detach(dmabuf, a);
	dma_buf_put(dmabuf);
}

Test(core, map_errors_unwind)
{
	struct dma_buf *dmabuf = export(&ex_ops_pin, PAGE_SIZE);
	struct dma_buf_attachment *s = dma_buf_attach(dmabuf, &fx.devb);

	dma_resv_lock(&dmabuf->resv);
	ex.map_err = -ENOMEM;
	cr_assert_eq(PTR_ERR(dma_buf_map_attachment(s, DMA_TO_DEVICE)), -ENOMEM);
	cr_assert_eq(ex.pins, 1);
	cr_assert_eq(ex.unpins, 1); /* pinned on map, unpinned on failure */
	ex.map_err = 0;
	ex.pin_ret = -EBUSY;
	cr_assert_eq(PTR_ERR(dma_buf_map_attachment(s, DMA_TO_DEVICE)), -EBUSY);
	cr_assert_eq(fx.sys.warns, 1); /* a static importer cannot live with -EBUSY */
	cr_assert_eq(ex.maps, 1);
	ex.pin_ret = 0;
	/* a fence that never signals: the static importer's wait times out, all undone */
	dma_resv_add_fence(&dmabuf->resv, DMA_RESV_USAGE_KERNEL, true);
	cr_assert_eq(PTR_ERR(dma_buf_map_attachment(s, DMA_TO_DEVICE)), -ETIME);
	cr_assert_eq(ex.unmaps, 1);
	cr_assert_eq(ex.unpins, 2);
	cr_assert_eq(fx.sys.hangs, 1);
	dma_resv_unlock(&dmabuf->resv);
	dma_buf_detach(dmabuf, s);
	dma_buf_put(dmabuf);
}

Test(core, invalidate_calls_importers_with_the_op_under_resv)
{
	struct dma_buf *dmabuf = export(&ex_ops, PAGE_SIZE);
	struct dma_buf_attachment *a = dma_buf_dynamic_attach(dmabuf, &fx.devb, &imp_dynamic, NULL);
	struct dma_buf_attachment *b = dma_buf_dynamic_attach(dmabuf, &fx.devc, &imp_no_op, NULL);
	struct dma_buf_attachment *s = dma_buf_attach(dmabuf, &fx.devc);
	long ev;

	dma_resv_lock(&dmabuf->resv);
	dma_buf_invalidate_mappings(dmabuf);
	dma_resv_unlock(&dmabuf->resv);
	cr_assert_eq(invalidations, 1); /* static and op-less attachments skipped */
	cr_assert(invalidate_saw_resv);
	ev = dfx_find(&fx, 0, EV_DMABUF_INVALIDATE, -1);
	cr_assert_eq(fx.evs[ev].count, 1);
	cr_assert_eq(fx.evs[ev].flags, 0); /* 7.0 naming */
	dma_buf_detach(dmabuf, a);
	dma_buf_detach(dmabuf, b);
	dma_buf_detach(dmabuf, s);
	dma_buf_put(dmabuf);
}

Test(core, move_notify_profile_requires_the_op)
{
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *a;

	dfx_fini(&fx);
	dfx_init(&fx, false, kernel_profile_find("v6.19"), 0, false);
	dmabuf = export(&ex_ops, PAGE_SIZE);
	cr_assert_eq(PTR_ERR(dma_buf_dynamic_attach(dmabuf, &fx.devb, &imp_no_op, NULL)), -EINVAL);
	a = dma_buf_dynamic_attach(dmabuf, &fx.devb, &imp_dynamic, NULL);
	dma_resv_lock(&dmabuf->resv);
	dma_buf_move_notify(dmabuf);
	dma_resv_unlock(&dmabuf->resv);
	cr_assert_eq(invalidations, 1);
	cr_assert_eq(fx.evs[dfx_find(&fx, 0, EV_DMABUF_INVALIDATE, -1)].flags, 1);
	dma_buf_detach(dmabuf, a);
	dma_buf_put(dmabuf);
}

static void retake_resv(struct dma_buf_attachment *attach)
{
	dma_resv_lock(&attach->dmabuf->resv); /* L2: importers must not retake the resv */
}

Test(core, importer_retaking_the_resv_would_deadlock)
{
	static const struct dma_buf_attach_ops bad = { .allow_peer2peer = true,
						       .invalidate_mappings = retake_resv };
	struct dma_buf *dmabuf = export(&ex_ops, PAGE_SIZE);
	struct dma_buf_attachment *a = dma_buf_dynamic_attach(dmabuf, &fx.devb, &bad, NULL);
	long ev;

	dma_resv_lock(&dmabuf->resv);
	dma_buf_invalidate_mappings(dmabuf);
	dma_resv_unlock(&dmabuf->resv);
	/* resv lock events: attach's (0), the exporter's lock (0), the importer's retake */
	ev = dfx_find(&fx, 0, EV_DMABUF_LOCK, LOCK_CLASS_RESV);
	ev = dfx_find(&fx, (size_t)ev + 1, EV_DMABUF_LOCK, LOCK_CLASS_RESV);
	cr_assert_eq(fx.evs[ev].ret, 0);
	ev = dfx_find(&fx, (size_t)ev + 1, EV_DMABUF_LOCK, LOCK_CLASS_RESV);
	cr_assert_eq(fx.evs[ev].ret, -EDEADLK);
	cr_assert_eq(fx.sys.hangs, 1);
	dma_buf_detach(dmabuf, a);
	dma_buf_put(dmabuf);
}

/* --- the lock, kref and completion models ------------------------------------------------ */

Test(core, rwsem_readers_writers_and_trylock)
{
	struct rw_semaphore sem;

	init_rwsem(&sem, &fx.sys, "test");
	down_read(&sem);
	fx.sys.current_thread = 1;
	down_read(&sem); /* readers share */
	cr_assert(!down_write_trylock(&sem));
	up_read(&sem);
	fx.sys.current_thread = 0;
	up_read(&sem);
	cr_assert(down_write_trylock(&sem));
	cr_assert(sim_lock_held(&sem.dep_map, true));
	fx.sys.current_thread = 1;
	cr_assert(!sim_lock_held(&sem.dep_map, true)); /* another thread's */
	cr_assert(!sim_lock_assert_held(&sem.dep_map, true));
	fx.sys.current_thread = 0;
	up_write(&sem);
	cr_assert_eq(fx.sys.locks_held, 0);
	/* two reads, the failed trylock (-EBUSY), the successful one */
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_LOCK, LOCK_CLASS_MEMORY), 4);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_UNLOCK, LOCK_CLASS_MEMORY), 3);
}

Test(core, unlock_of_a_lock_not_held_warns)
{
	struct mutex m;

	mutex_init(&m, &fx.sys, "m", LOCK_CLASS_IMPORTER);
	mutex_unlock(&m);
	cr_assert_eq(fx.sys.warns, 1);
	cr_assert_eq(dfx_count(&fx, EV_DMABUF_UNLOCK, -1), 0);
}

static unsigned int released;

static void kref_release(struct kref *kref)
{
	released++;
}

Test(core, kref_underflow_and_addition_on_zero)
{
	struct kref k = { .sys = &fx.sys, .owner_id = 7 };

	released = 0;
	kref_init(&k);
	kref_get(&k);
	cr_assert_eq(kref_put(&k, kref_release), 0);
	cr_assert_eq(kref_put(&k, kref_release), 1);
	cr_assert_eq(released, 1);
	kref_get(&k); /* addition on 0 */
	cr_assert_eq(k.refcount, 0);
	cr_assert_eq(kref_put(&k, kref_release), 0); /* underflow */
	cr_assert_eq(released, 1);
	cr_assert_eq(fx.sys.warns, 2);
	cr_assert_eq(fx.evs[dfx_find(&fx, 0, EV_DMABUF_KREF, KREF_OP_GET) + 0].ret, 0);
}

Test(core, completion_without_complete_is_a_hang)
{
	struct completion c = { .sys = &fx.sys, .owner_id = 3 };

	init_completion(&c);
	complete(&c);
	wait_for_completion(&c);
	cr_assert_eq(fx.sys.hangs, 0);
	wait_for_completion(&c);
	cr_assert_eq(fx.sys.hangs, 1);
	reinit_completion(&c);
	cr_assert_eq(c.done, 0);
}

Test(core, bookkeep_wait_covers_every_usage)
{
	struct dma_buf *dmabuf = export(&ex_ops, PAGE_SIZE);

	dma_resv_lock(&dmabuf->resv);
	dma_resv_add_fence(&dmabuf->resv, DMA_RESV_USAGE_KERNEL, false);
	dma_resv_add_fence(&dmabuf->resv, DMA_RESV_USAGE_READ, false);
	dma_resv_add_fence(&dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP, false);
	cr_assert_eq(dma_resv_unsignaled(&dmabuf->resv, DMA_RESV_USAGE_WRITE), 1);
	cr_assert_gt(dma_resv_wait_timeout(&dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP, false,
					   MAX_SCHEDULE_TIMEOUT, dmabuf->id),
		     0);
	cr_assert_eq(dma_resv_unsignaled(&dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP), 0);
	dma_resv_unlock(&dmabuf->resv);
	dma_buf_put(dmabuf);
}
