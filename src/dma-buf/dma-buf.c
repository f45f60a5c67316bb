// SPDX-License-Identifier: GPL-2.0-only
/*
 * Follows drivers/dma-buf/dma-buf.c (leon @24cf49303e37 + dmabuf-revoke v7, i.e. v7.0+),
 * reference/dmabuf-vfio.md §1.
 *
 * dma-buf.c - the dma-buf core (dma-buf.h): the kernel instance, the lock,
 * kref, completion and fence models, export / fd / get / put, attach /
 * detach, pin / unpin, map / unmap_attachment and invalidate_mappings.
 *
 * Locking convention (reference §1.5), which the code below keeps and the
 * events let a checker verify: importers hold the resv for pin, unpin,
 * map_attachment and unmap_attachment and must not hold it for attach,
 * detach, export, fd, get and put; the exporter's attach / detach / release
 * run without the resv, pin / unpin / map_dma_buf / unmap_dma_buf with it;
 * dma_buf_invalidate_mappings() needs it, and the importers' callbacks run
 * inside it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/dma-buf/dma-buf.h"

/* --- the kernel instance ------------------------------------------------------ */

int dmabuf_sys_init(struct dmabuf_sys *sys, struct machine *m, const struct kernel_profile *profile,
		    const struct bug_set *bugs, unsigned int max_fds)
{
	memset(sys, 0, sizeof(*sys));
	sys->m = m;
	sys->profile = profile ? profile : kernel_profile_default();
	sys->bugs = bugs;
	sys->max_fds = max_fds ? max_fds : 64;
	sys->fds = calloc(sys->max_fds, sizeof(*sys->fds));
	if (!sys->fds)
		return -ENOMEM;
	return 0;
}

static void dma_buf_unlink(struct dma_buf *dmabuf)
{
	if (dmabuf->all_prev)
		dmabuf->all_prev->all_next = dmabuf->all_next;
	else
		dmabuf->sys->all = dmabuf->all_next;
	if (dmabuf->all_next)
		dmabuf->all_next->all_prev = dmabuf->all_prev;
}

void dmabuf_sys_destroy(struct dmabuf_sys *sys)
{
	/* what a leak left behind goes with the machine: no events, no hooks */
	sys->m = NULL;
	sys->preempt = NULL;
	sys->block = NULL;
	while (sys->all) {
		struct dma_buf *dmabuf = sys->all;

		dma_buf_unlink(dmabuf);
		dmabuf->ops->release(dmabuf);
		free(dmabuf->resv.fences);
		free(dmabuf);
	}
	free(sys->fds);
	sys->fds = NULL;
}

u64 dmabuf_sys_new_id(struct dmabuf_sys *sys)
{
	return ++sys->next_id;
}

void dmabuf_sys_emit(struct dmabuf_sys *sys, struct sim_event *ev)
{
	if (sys && sys->m)
		machine_emit(sys->m, ev);
}

bool dmabuf_warn(struct dmabuf_sys *sys, enum dmabuf_warn what, u64 object_id)
{
	struct sim_event ev = { .kind = EV_DMABUF_WARN, .flags = what, .aux = object_id };

	if (what == DMABUF_WARN_OOPS || what == DMABUF_WARN_USE_AFTER_FREE ||
	    what == DMABUF_WARN_DOUBLE_FREE)
		sys->oopses++;
	else
		sys->warns++;
	dmabuf_sys_emit(sys, &ev);
	return true;
}

/* --- locks ------------------------------------------------------------------------ */

static void dma_buf_run_deferred(struct dmabuf_sys *sys);

void sim_lock_init(struct sim_lock *l, struct dmabuf_sys *sys, const char *name,
		   enum sim_lock_class cls)
{
	l->sys = sys;
	l->name = name;
	l->cls = cls;
	l->id = dmabuf_sys_new_id(sys);
	l->owner_dev = NULL; /* the owner sets these after init */
	l->owner_id = 0;
	l->initialized = true;
	l->writer = -1;
	l->readers = 0;
	l->reader_thread = -1;
}

/* @mode: SIM_LOCK_WRITE / SIM_LOCK_TRY bits */
static void sim_lock_emit(struct sim_lock *l, enum sim_event_kind kind, unsigned int mode, int ret)
{
	struct sim_event ev = { .kind = kind,
				.dev = l->owner_dev,
				.phys = l->owner_id,
				.aux = l->id,
				.flags = l->cls,
				.count = mode,
				.addr = (u64)l->sys->current_thread,
				.ret = ret };

	dmabuf_sys_emit(l->sys, &ev);
}

static bool sim_lock_check_init(struct sim_lock *l)
{
	if (l->initialized)
		return true;
	/* lockdep: "trying to register non-static key"; the first use initialises it */
	if (l->sys)
		dmabuf_warn(l->sys, DMABUF_WARN_UNINIT_LOCK, l->id);
	l->initialized = true;
	l->writer = -1;
	l->readers = 0;
	l->reader_thread = -1;
	return false;
}

static bool sim_lock_busy(const struct sim_lock *l, bool write)
{
	if (l->writer >= 0)
		return true;
	return write && l->readers;
}

struct lock_wait {
	const struct sim_lock *l;
	bool write;
};

static bool lock_free(const void *arg)
{
	const struct lock_wait *w = arg;

	return !sim_lock_busy(w->l, w->write);
}

/* Held for write by the caller itself: no other thread can ever release it. */
static bool sim_lock_self_held(const struct sim_lock *l)
{
	return l->writer >= 0 && l->writer == l->sys->current_thread;
}

int sim_lock_acquire(struct sim_lock *l, bool write)
{
	struct lock_wait wait = { .l = l, .write = write };

	/* another thread may run before we get here (a scheduling point) */
	dmabuf_preempt(l->sys, l->name);
	sim_lock_check_init(l);
	if (sim_lock_busy(l, write) &&
	    (sim_lock_self_held(l) || dmabuf_block(l->sys, lock_free, &wait, l->name))) {
		/* would wait forever (no thread can release it, or self-deadlock) */
		l->sys->hangs++;
		sim_lock_emit(l, EV_DMABUF_LOCK, write, -EDEADLK);
		return -EDEADLK;
	}
	if (write) {
		l->writer = l->sys->current_thread;
	} else {
		l->readers++;
		l->reader_thread = l->sys->current_thread;
	}
	l->sys->locks_held++;
	sim_lock_emit(l, EV_DMABUF_LOCK, write, 0);
	return 0;
}

bool sim_lock_try(struct sim_lock *l, bool write)
{
	sim_lock_check_init(l);
	if (sim_lock_busy(l, write)) {
		sim_lock_emit(l, EV_DMABUF_LOCK, write | SIM_LOCK_TRY, -EBUSY);
		return false;
	}
	if (write) {
		l->writer = l->sys->current_thread;
	} else {
		l->readers++;
		l->reader_thread = l->sys->current_thread;
	}
	l->sys->locks_held++;
	sim_lock_emit(l, EV_DMABUF_LOCK, write | SIM_LOCK_TRY, 0);
	return true;
}

void sim_lock_release(struct sim_lock *l, bool write)
{
	if (write) {
		if (l->writer != l->sys->current_thread) {
			/* unlocking what this thread does not hold */
			dmabuf_warn(l->sys, DMABUF_WARN_GENERIC, l->id);
			return;
		}
		l->writer = -1;
	} else {
		if (!l->readers) {
			dmabuf_warn(l->sys, DMABUF_WARN_GENERIC, l->id);
			return;
		}
		l->readers--;
	}
	sim_lock_emit(l, EV_DMABUF_UNLOCK, write, 0);
	if (l->sys->locks_held && --l->sys->locks_held == 0)
		dma_buf_run_deferred(l->sys);
}

bool sim_lock_held(const struct sim_lock *l, bool write)
{
	if (l->writer >= 0 && l->writer == l->sys->current_thread)
		return true;
	return !write && l->readers > 0;
}

bool sim_lock_assert_held(struct sim_lock *l, bool write)
{
	bool held = sim_lock_held(l, write);
	struct sim_event ev = { .kind = EV_DMABUF_LOCK_ASSERT,
				.dev = l->owner_dev,
				.phys = l->owner_id,
				.aux = l->id,
				.flags = l->cls,
				.count = write,
				.addr = (u64)l->sys->current_thread,
				.ret = held ? 0 : -ENOLCK };

	dmabuf_sys_emit(l->sys, &ev);
	if (!held)
		dmabuf_warn(l->sys, DMABUF_WARN_GENERIC, l->id);
	return held;
}

/* --- kref and completion ----------------------------------------------------- */

static void kref_emit(struct kref *kref, enum dmabuf_kref_op op, int ret)
{
	struct sim_event ev = { .kind = EV_DMABUF_KREF,
				.aux = kref->owner_id,
				.flags = op,
				.count = (unsigned int)kref->refcount,
				.ret = ret };

	dmabuf_sys_emit(kref->sys, &ev);
}

void kref_init(struct kref *kref)
{
	kref->refcount = 1;
	kref_emit(kref, KREF_OP_INIT, 0);
}

void kref_get(struct kref *kref)
{
	if (kref->refcount == 0) {
		/* refcount_t: "addition on 0; use-after-free." - saturates, stays dead */
		kref_emit(kref, KREF_OP_GET, -EINVAL);
		dmabuf_warn(kref->sys, DMABUF_WARN_GENERIC, kref->owner_id);
		return;
	}
	kref->refcount++;
	kref_emit(kref, KREF_OP_GET, 0);
}

int kref_put(struct kref *kref, void (*release)(struct kref *kref))
{
	if (kref->refcount == 0) {
		/* refcount_t: "underflow; use-after-free." */
		kref_emit(kref, KREF_OP_PUT, -EOVERFLOW);
		dmabuf_warn(kref->sys, DMABUF_WARN_GENERIC, kref->owner_id);
		return 0;
	}
	kref->refcount--;
	kref_emit(kref, KREF_OP_PUT, 0);
	if (kref->refcount == 0) {
		release(kref);
		return 1;
	}
	return 0;
}

static void completion_emit(struct completion *x, enum dmabuf_completion_op op, int ret)
{
	struct sim_event ev = { .kind = EV_DMABUF_COMPLETION,
				.aux = x->owner_id,
				.flags = op,
				.count = x->done,
				.addr = (u64)x->sys->current_thread,
				.ret = ret };

	dmabuf_sys_emit(x->sys, &ev);
}

void init_completion(struct completion *x)
{
	x->done = 0;
	completion_emit(x, COMPLETION_OP_INIT, 0);
}

void reinit_completion(struct completion *x)
{
	x->done = 0;
	completion_emit(x, COMPLETION_OP_REINIT, 0);
}

void complete(struct completion *x)
{
	x->done++;
	completion_emit(x, COMPLETION_OP_COMPLETE, 0);
}

static bool completion_done(const void *arg)
{
	const struct completion *x = arg;

	return x->done > 0;
}

void wait_for_completion(struct completion *x)
{
	if (!x->done && dmabuf_block(x->sys, completion_done, x, "wait_for_completion")) {
		/* nothing left that could complete it: the caller would sleep forever */
		x->sys->hangs++;
		completion_emit(x, COMPLETION_OP_WAIT, -EDEADLK);
		return;
	}
	x->done--;
	completion_emit(x, COMPLETION_OP_WAIT, 0);
}

/* --- reservation object ------------------------------------------------------- */

int dma_resv_lock(struct dma_resv *obj)
{
	sim_lock_acquire(&obj->lock, true);
	return 0;
}

void dma_resv_unlock(struct dma_resv *obj)
{
	sim_lock_release(&obj->lock, true);
}

void dma_resv_assert_held(struct dma_resv *obj)
{
	sim_lock_assert_held(&obj->lock, true);
}

static void fence_emit(struct dma_resv *obj, enum dmabuf_fence_op op, enum dma_resv_usage usage,
		       bool never_signals)
{
	struct sim_event ev = { .kind = EV_DMABUF_FENCE,
				.aux = obj->lock.owner_id,
				.addr = op,
				.flags = usage,
				.count = never_signals };

	dmabuf_sys_emit(obj->lock.sys, &ev);
}

int dma_resv_add_fence(struct dma_resv *obj, enum dma_resv_usage usage, bool never_signals)
{
	dma_resv_assert_held(obj);
	if (obj->nr_fences == obj->cap_fences) {
		size_t cap = obj->cap_fences ? obj->cap_fences * 2 : 4;
		struct dma_fence *f = realloc(obj->fences, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		obj->fences = f;
		obj->cap_fences = cap;
	}
	obj->fences[obj->nr_fences] =
		(struct dma_fence){ .usage = usage, .never_signals = never_signals };
	fence_emit(obj, DMABUF_FENCE_ADD, usage, never_signals);
	return (int)obj->nr_fences++;
}

void dma_fence_signal(struct dma_resv *obj, int index)
{
	if (index >= 0 && (size_t)index < obj->nr_fences && !obj->fences[index].signaled) {
		obj->fences[index].signaled = true;
		fence_emit(obj, DMABUF_FENCE_SIGNAL, obj->fences[index].usage, false);
	}
}

unsigned int dma_resv_unsignaled(const struct dma_resv *obj, enum dma_resv_usage usage)
{
	unsigned int n = 0;

	for (size_t i = 0; i < obj->nr_fences; i++)
		if (!obj->fences[i].signaled && obj->fences[i].usage <= usage)
			n++;
	return n;
}

struct fence_wait {
	const struct dma_resv *obj;
	enum dma_resv_usage usage;
};

/* No fence with usage <= the waited one still unsignalled. */
static bool fences_signaled(const void *arg)
{
	const struct fence_wait *w = arg;

	return !dma_resv_unsignaled(w->obj, w->usage);
}

long dma_resv_wait_timeout(struct dma_resv *obj, enum dma_resv_usage usage, bool intr,
			   unsigned long timeout, u64 id)
{
	struct sim_event ev = { .kind = EV_DMABUF_FENCE_WAIT, .aux = id, .flags = usage };
	struct dmabuf_sys *sys = obj->lock.sys;
	struct fence_wait wait = { .obj = obj, .usage = usage };
	bool stuck = false;

	(void)intr;
	for (size_t i = 0; i < obj->nr_fences; i++) {
		struct dma_fence *f = &obj->fences[i];

		if (f->signaled || f->usage > usage)
			continue;
		if (f->never_signals) {
			stuck = true;
			continue;
		}
		f->signaled = true; /* the work behind the fence finishes while we sleep */
		ev.count++;
	}
	/* a stuck fence only another thread's dma_fence_signal() can end */
	if (stuck && timeout == MAX_SCHEDULE_TIMEOUT &&
	    !dmabuf_block(sys, fences_signaled, &wait, "dma_resv_wait_timeout"))
		stuck = false;
	if (stuck) {
		if (timeout == MAX_SCHEDULE_TIMEOUT)
			sys->hangs++;
		ev.ret = timeout == MAX_SCHEDULE_TIMEOUT ? -EDEADLK : -ETIME;
		dmabuf_sys_emit(sys, &ev);
		return 0;
	}
	dmabuf_sys_emit(sys, &ev);
	return timeout ? (long)timeout : 1;
}

/* --- export, fd, get, put ----------------------------------------------------- */

static void dmabuf_file_emit(struct dma_buf *dmabuf, enum dmabuf_file_op op, int ret)
{
	struct sim_event ev = { .kind = EV_DMABUF_FILE,
				.aux = dmabuf->id,
				.flags = op,
				.count = (unsigned int)dmabuf->file_count,
				.addr = (u64)dmabuf->sys->current_thread,
				.ret = ret };

	dmabuf_sys_emit(dmabuf->sys, &ev);
}

struct dma_buf *dma_buf_export(struct dmabuf_sys *sys, const struct dma_buf_export_info *exp_info)
{
	struct sim_event ev = { .kind = EV_DMABUF_EXPORT };
	const struct dma_buf_ops *ops = exp_info->ops;
	struct dma_buf *dmabuf;

	if (!ops || !ops->map_dma_buf || !ops->unmap_dma_buf || !ops->release) {
		ev.ret = -EINVAL;
		goto fail;
	}
	/* pin and unpin come together or not at all */
	if (!!ops->pin != !!ops->unpin) {
		dmabuf_warn(sys, DMABUF_WARN_GENERIC, 0);
		ev.ret = -EINVAL;
		goto fail;
	}
	if (!exp_info->size) {
		ev.ret = -EINVAL;
		goto fail;
	}

	dmabuf = calloc(1, sizeof(*dmabuf));
	if (!dmabuf) {
		ev.ret = -ENOMEM;
		goto fail;
	}
	dmabuf->sys = sys;
	dmabuf->all_next = sys->all;
	if (sys->all)
		sys->all->all_prev = dmabuf;
	sys->all = dmabuf;
	dmabuf->id = dmabuf_sys_new_id(sys);
	dmabuf->size = exp_info->size;
	dmabuf->ops = ops;
	dmabuf->priv = exp_info->priv;
	dmabuf->file_count = 1;
	dmabuf->fd = -1;
	sim_lock_init(&dmabuf->resv.lock, sys, "dma_buf->resv", LOCK_CLASS_RESV);
	dmabuf->resv.lock.owner_id = dmabuf->id;

	ev.aux = dmabuf->id;
	ev.len = dmabuf->size;
	dmabuf_sys_emit(sys, &ev);
	return dmabuf;

fail:
	dmabuf_sys_emit(sys, &ev);
	return ERR_PTR(ev.ret);
}

int dma_buf_fd(struct dma_buf *dmabuf, int flags)
{
	struct dmabuf_sys *sys;

	(void)flags;
	if (!dmabuf)
		return -EINVAL;
	sys = dmabuf->sys;
	for (unsigned int i = 0; i < sys->max_fds; i++) {
		if (sys->fds[i])
			continue;
		/* fd_install(): the table takes over the export's file reference */
		sys->fds[i] = dmabuf;
		if (dmabuf->fd < 0)
			dmabuf->fd = (int)i + 3;
		dmabuf_file_emit(dmabuf, DMABUF_FILE_FD, (int)i + 3);
		return (int)i + 3;
	}
	dmabuf_file_emit(dmabuf, DMABUF_FILE_FD, -EMFILE);
	return -EMFILE;
}

static struct dma_buf *fd_lookup(struct dmabuf_sys *sys, int fd)
{
	if (fd < 3 || (unsigned int)(fd - 3) >= sys->max_fds)
		return NULL;
	return sys->fds[fd - 3];
}

struct dma_buf *dma_buf_get(struct dmabuf_sys *sys, int fd)
{
	struct dma_buf *dmabuf = fd_lookup(sys, fd);

	if (!dmabuf)
		return ERR_PTR(-EBADF);
	dmabuf->file_count++;
	dmabuf_file_emit(dmabuf, DMABUF_FILE_GET, fd);
	return dmabuf;
}

void get_dma_buf(struct dma_buf *dmabuf)
{
	dmabuf->file_count++;
	dmabuf_file_emit(dmabuf, DMABUF_FILE_GET, 0);
}

bool get_file_active(struct dma_buf *dmabuf)
{
	if (dmabuf->file_count <= 0)
		return false;
	dmabuf->file_count++;
	dmabuf_file_emit(dmabuf, DMABUF_FILE_GET, 0);
	return true;
}

/* __dma_buf_release(): the last file reference; no locks held. */
static void dma_buf_release(struct dma_buf *dmabuf)
{
	struct dmabuf_sys *sys = dmabuf->sys;
	struct sim_event ev = { .kind = EV_DMABUF_RELEASE, .aux = dmabuf->id };

	if (dmabuf->attachments)
		dmabuf_warn(sys, DMABUF_WARN_ATTACHMENTS_AT_RELEASE, dmabuf->id);
	dmabuf->ops->release(dmabuf);
	dmabuf_sys_emit(sys, &ev);
	dma_buf_unlink(dmabuf);
	free(dmabuf->resv.fences);
	free(dmabuf);
}

static void dma_buf_run_deferred(struct dmabuf_sys *sys)
{
	while (sys->deferred_release && !sys->locks_held) {
		struct dma_buf *dmabuf = sys->deferred_release;

		sys->deferred_release = dmabuf->deferred_next;
		dma_buf_release(dmabuf);
	}
}

void fput(struct dma_buf *dmabuf)
{
	struct dmabuf_sys *sys = dmabuf->sys;

	if (dmabuf->file_count <= 0) {
		dmabuf_warn(sys, DMABUF_WARN_DOUBLE_FREE, dmabuf->id);
		return;
	}
	dmabuf->file_count--;
	dmabuf_file_emit(dmabuf, DMABUF_FILE_PUT, 0);
	if (dmabuf->file_count)
		return;
	if (sys->locks_held) {
		/* __fput() runs later, from task work, with no locks held */
		dmabuf->deferred_next = sys->deferred_release;
		sys->deferred_release = dmabuf;
		return;
	}
	dma_buf_release(dmabuf);
}

void dma_buf_put(struct dma_buf *dmabuf)
{
	if (!dmabuf)
		return;
	fput(dmabuf);
}

int dma_buf_close_fd(struct dmabuf_sys *sys, int fd)
{
	struct dma_buf *dmabuf = fd_lookup(sys, fd);

	if (!dmabuf)
		return -EBADF;
	sys->fds[fd - 3] = NULL;
	dmabuf_file_emit(dmabuf, DMABUF_FILE_CLOSE, fd);
	fput(dmabuf);
	return 0;
}

/* --- attach / detach ------------------------------------------------------------ */

bool dma_buf_is_dynamic(const struct dma_buf *dmabuf)
{
	return !!dmabuf->ops->pin;
}

bool dma_buf_attach_revocable(const struct dma_buf_attachment *attach)
{
	return attach->importer_ops && attach->importer_ops->invalidate_mappings;
}

static void attach_emit(struct dma_buf *dmabuf, enum sim_event_kind kind, struct device *dev,
			const struct dma_buf_attachment *attach, unsigned int flags, int ret)
{
	struct sim_event ev = { .kind = kind,
				.aux = dmabuf->id,
				.dev = dev ? dev->pdev : NULL,
				.addr = attach ? attach->id : 0,
				.flags = flags,
				.ret = ret };

	dmabuf_sys_emit(dmabuf->sys, &ev);
}

struct dma_buf_attachment *dma_buf_dynamic_attach(struct dma_buf *dmabuf, struct device *dev,
						  const struct dma_buf_attach_ops *importer_ops,
						  void *importer_priv)
{
	struct dma_buf_attachment *attach;
	unsigned int flags = 0;
	int ret;

	if (!dmabuf || !dev)
		return ERR_PTR(-EINVAL);

	/* <= 6.19: a dynamic importer had to provide move_notify */
	if (dmabuf->sys->profile->dmabuf_move_notify && importer_ops &&
	    !importer_ops->invalidate_mappings) {
		dmabuf_warn(dmabuf->sys, DMABUF_WARN_GENERIC, dmabuf->id);
		attach_emit(dmabuf, EV_DMABUF_ATTACH, dev, NULL, DMABUF_ATTF_DYNAMIC, -EINVAL);
		return ERR_PTR(-EINVAL);
	}

	attach = calloc(1, sizeof(*attach));
	if (!attach) {
		attach_emit(dmabuf, EV_DMABUF_ATTACH, dev, NULL, 0, -ENOMEM);
		return ERR_PTR(-ENOMEM);
	}
	attach->dev = dev;
	attach->dmabuf = dmabuf;
	attach->id = dmabuf_sys_new_id(dmabuf->sys);
	if (importer_ops)
		attach->peer2peer = importer_ops->allow_peer2peer;
	attach->importer_ops = importer_ops;
	attach->importer_priv = importer_priv;

	if (importer_ops)
		flags |= DMABUF_ATTF_DYNAMIC;
	if (attach->peer2peer)
		flags |= DMABUF_ATTF_P2P;
	if (dma_buf_attach_revocable(attach))
		flags |= DMABUF_ATTF_REVOCABLE;

	/* the exporter's attach runs without the resv */
	if (dmabuf->ops->attach) {
		ret = dmabuf->ops->attach(dmabuf, attach);
		if (ret) {
			attach_emit(dmabuf, EV_DMABUF_ATTACH, dev, attach, flags, ret);
			free(attach);
			return ERR_PTR(ret);
		}
	}

	dma_resv_lock(&dmabuf->resv);
	attach->node = dmabuf->attachments;
	dmabuf->attachments = attach;
	dma_resv_unlock(&dmabuf->resv);

	attach_emit(dmabuf, EV_DMABUF_ATTACH, dev, attach, flags, 0);
	return attach;
}

struct dma_buf_attachment *dma_buf_attach(struct dma_buf *dmabuf, struct device *dev)
{
	return dma_buf_dynamic_attach(dmabuf, dev, NULL, NULL);
}

void dma_buf_detach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach)
{
	struct dma_buf_attachment **pp;

	if (!dmabuf || !attach || attach->dmabuf != dmabuf)
		return;

	dma_resv_lock(&dmabuf->resv);
	for (pp = &dmabuf->attachments; *pp; pp = &(*pp)->node) {
		if (*pp == attach) {
			*pp = attach->node;
			break;
		}
	}
	dma_resv_unlock(&dmabuf->resv);

	if (dmabuf->ops->detach)
		dmabuf->ops->detach(dmabuf, attach);
	attach_emit(dmabuf, EV_DMABUF_DETACH, attach->dev, attach, 0, 0);
	free(attach);
}

size_t dma_buf_nr_attachments(const struct dma_buf *dmabuf)
{
	size_t n = 0;

	for (const struct dma_buf_attachment *a = dmabuf->attachments; a; a = a->node)
		n++;
	return n;
}

/* --- pin / unpin ----------------------------------------------------------------- */

int dma_buf_pin(struct dma_buf_attachment *attach)
{
	struct dma_buf *dmabuf = attach->dmabuf;
	int ret = 0;

	/* static importers are pinned on map, never explicitly */
	if (!dma_buf_attachment_is_dynamic(attach))
		dmabuf_warn(dmabuf->sys, DMABUF_WARN_GENERIC, dmabuf->id);
	dma_resv_assert_held(&dmabuf->resv);

	if (dmabuf->ops->pin)
		ret = dmabuf->ops->pin(attach);
	attach_emit(dmabuf, EV_DMABUF_PIN, attach->dev, attach, 0, ret);
	return ret;
}

void dma_buf_unpin(struct dma_buf_attachment *attach)
{
	struct dma_buf *dmabuf = attach->dmabuf;

	if (!dma_buf_attachment_is_dynamic(attach))
		dmabuf_warn(dmabuf->sys, DMABUF_WARN_GENERIC, dmabuf->id);
	dma_resv_assert_held(&dmabuf->resv);

	if (dmabuf->ops->unpin)
		dmabuf->ops->unpin(attach);
	attach_emit(dmabuf, EV_DMABUF_UNPIN, attach->dev, attach, 0, 0);
}

/* --- map / unmap -------------------------------------------------------------------- */

/*
 * dma_buf_pin_on_map(): the exporter can pin and the importer is static
 * (CONFIG_DMABUF_MOVE_NOTIFY is always on since 7.0).
 */
static bool dma_buf_pin_on_map(const struct dma_buf_attachment *attach)
{
	return attach->dmabuf->ops->pin && !dma_buf_attachment_is_dynamic(attach);
}

static void map_emit(struct dma_buf_attachment *attach, enum sim_event_kind kind,
		     const struct sg_table *sgt, int ret)
{
	struct dma_buf *dmabuf = attach->dmabuf;
	struct sim_event ev = { .kind = kind,
				.aux = dmabuf->id,
				.dev = attach->dev ? attach->dev->pdev : NULL,
				.phys = attach->id,
				.ret = ret };

	if (sgt && sgt->nents) {
		ev.addr = sgt->sgl[0].dma_address;
		ev.count = sgt->nents;
		for (unsigned int i = 0; i < sgt->nents; i++)
			ev.len += sgt->sgl[i].dma_length;
	}
	dmabuf_sys_emit(dmabuf->sys, &ev);
}

struct sg_table *dma_buf_map_attachment(struct dma_buf_attachment *attach,
					enum dma_data_direction dir)
{
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	long ret;

	if (!attach || !attach->dmabuf)
		return ERR_PTR(-EINVAL);
	dmabuf = attach->dmabuf;
	dma_resv_assert_held(&dmabuf->resv);

	if (dma_buf_pin_on_map(attach)) {
		ret = dmabuf->ops->pin(attach);
		/* -EBUSY means the exporter cannot pin now: a static importer cannot handle that */
		if (ret == -EBUSY)
			dmabuf_warn(dmabuf->sys, DMABUF_WARN_GENERIC, dmabuf->id);
		if (ret) {
			map_emit(attach, EV_DMABUF_MAP, NULL, (int)ret);
			return ERR_PTR(ret);
		}
	}

	sgt = dmabuf->ops->map_dma_buf(attach, dir);
	if (!sgt)
		sgt = ERR_PTR(-ENOMEM);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto error_unpin;
	}

	/* static importers cannot wait for fences themselves: wait for the kernel ones now */
	if (!dma_buf_attachment_is_dynamic(attach)) {
		ret = dma_resv_wait_timeout(&dmabuf->resv, DMA_RESV_USAGE_KERNEL, true,
					    MAX_SCHEDULE_TIMEOUT, dmabuf->id);
		if (ret <= 0) {
			ret = -ETIME;
			goto error_unmap;
		}
	}

	dmabuf->live_maps++;
	map_emit(attach, EV_DMABUF_MAP, sgt, 0);
	return sgt;

error_unmap:
	dmabuf->ops->unmap_dma_buf(attach, sgt, dir);
error_unpin:
	if (dma_buf_pin_on_map(attach))
		dmabuf->ops->unpin(attach);
	map_emit(attach, EV_DMABUF_MAP, NULL, (int)ret);
	return ERR_PTR(ret);
}

void dma_buf_unmap_attachment(struct dma_buf_attachment *attach, struct sg_table *sgt,
			      enum dma_data_direction dir)
{
	struct dma_buf *dmabuf;

	if (!attach || !attach->dmabuf || IS_ERR_OR_NULL(sgt))
		return;
	dmabuf = attach->dmabuf;
	dma_resv_assert_held(&dmabuf->resv);

	map_emit(attach, EV_DMABUF_UNMAP, sgt, 0);
	if (dmabuf->live_maps)
		dmabuf->live_maps--;
	dmabuf->ops->unmap_dma_buf(attach, sgt, dir);

	if (dma_buf_pin_on_map(attach))
		dmabuf->ops->unpin(attach);
}

struct sg_table *dma_buf_map_attachment_unlocked(struct dma_buf_attachment *attach,
						 enum dma_data_direction dir)
{
	struct sg_table *sgt;

	if (!attach || !attach->dmabuf)
		return ERR_PTR(-EINVAL);
	dma_resv_lock(&attach->dmabuf->resv);
	sgt = dma_buf_map_attachment(attach, dir);
	dma_resv_unlock(&attach->dmabuf->resv);
	return sgt;
}

void dma_buf_unmap_attachment_unlocked(struct dma_buf_attachment *attach, struct sg_table *sgt,
				       enum dma_data_direction dir)
{
	if (!attach || !attach->dmabuf || IS_ERR_OR_NULL(sgt))
		return;
	dma_resv_lock(&attach->dmabuf->resv);
	dma_buf_unmap_attachment(attach, sgt, dir);
	dma_resv_unlock(&attach->dmabuf->resv);
}

/* --- invalidation ------------------------------------------------------------------ */

void dma_buf_invalidate_mappings(struct dma_buf *dmabuf)
{
	bool move_notify = dmabuf->sys->profile->dmabuf_move_notify;
	struct sim_event ev = { .kind = EV_DMABUF_INVALIDATE,
				.aux = dmabuf->id,
				.flags = move_notify };
	struct dma_buf_attachment *attach, *next;

	dma_resv_assert_held(&dmabuf->resv);

	for (attach = dmabuf->attachments; attach; attach = next) {
		/* the callback may not detach, but be careful about the list anyway */
		next = attach->node;
		if (!attach->importer_ops || !attach->importer_ops->invalidate_mappings)
			continue;
		attach_emit(dmabuf, EV_DMABUF_INVALIDATE_CB, attach->dev, attach, 0, 0);
		attach->importer_ops->invalidate_mappings(attach);
		ev.count++;
	}
	dmabuf_sys_emit(dmabuf->sys, &ev);
}
