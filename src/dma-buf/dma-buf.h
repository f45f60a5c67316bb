/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Follows drivers/dma-buf/dma-buf.c + include/linux/dma-buf.h, v7.0+ (dmabuf-revoke v7:
 * dma_buf_invalidate_mappings, dma_buf_attach_revocable), reference/dmabuf-vfio.md §1.
 *
 * dma-buf.h - the dma-buf core: buffer objects, their file reference count
 * and fd, attachments (static and dynamic importers), pin/unpin,
 * map/unmap_attachment, invalidate_mappings (move_notify in the older
 * kernel profile), dma_buf_attach_revocable, and the reservation object with
 * modelled fences.
 *
 * Owned here:
 *  - struct dmabuf_sys: the kernel instance the dma-buf world runs in (the
 *    machine and its event bus, the kernel profile, the injected bug set,
 *    the fd table, the "current thread", WARN / hang counters);
 *  - the lock model: struct sim_lock and its kernel faces struct
 *    rw_semaphore, struct mutex and struct dma_resv. A lock is explicit
 *    state (holder thread, readers) and every acquire / release / assert
 *    emits an event (EV_DMABUF_LOCK, _UNLOCK, _LOCK_ASSERT) with its class,
 *    so a checker can verify L1-L6 of reference §4 by observing alone;
 *  - struct kref / struct completion models with events (R8, hang detector);
 *  - struct dma_buf, struct dma_buf_attachment, the ops tables.
 *
 * Threads and blocking: sys->current_thread names the simulated kernel
 * thread running now (0 unless a scheduler sets it). An acquire that would
 * have to wait for another thread's lock, a wait_for_completion() with
 * nothing done and a fence that never signals by itself first ask the
 * scheduler's sys->block hook to wait until the condition holds (another
 * simulated thread releases, completes, signals). Without a hook, or when
 * the hook answers -EDEADLK (no thread can make progress), and for a
 * recursive acquire, the wait is a would-be hang: recorded (ret -EDEADLK in
 * the event, sys->hangs) and the caller proceeds, so a test or checker can
 * see it. Every lock acquisition is also a preemption point (the lock's name
 * is passed to sys->preempt). See docs/dmabuf.md.
 *
 * Error pointers: functions returning objects use the kernel's ERR_PTR
 * convention (ERR_PTR / IS_ERR / PTR_ERR below).
 */
#ifndef P2PSIM_SRC_DMA_BUF_DMA_BUF_H
#define P2PSIM_SRC_DMA_BUF_DMA_BUF_H

#include <errno.h>

#include "models/machine.h"
#include "src/bugs.h"
#include "src/dma/dma.h"
#include "src/dma/scatterlist.h"
#include "src/kernel_profile.h"

/* --- error pointers (include/linux/err.h) ---------------------------------- */

#define MAX_ERRNO 4095

static inline void *ERR_PTR(long error)
{
	return (void *)error;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return (unsigned long)ptr >= (unsigned long)-MAX_ERRNO;
}

static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR(ptr);
}

/* --- the kernel instance ----------------------------------------------------- */

/* EV_DMABUF_WARN flags */
enum dmabuf_warn {
	DMABUF_WARN_GENERIC = 1, /* a WARN_ON the kernel has at that line */
	DMABUF_WARN_OOPS, /* NULL / freed pointer dereference: the kernel would oops */
	DMABUF_WARN_UNINIT_LOCK, /* a lock used before init (lockdep "non-static key") */
	DMABUF_WARN_USE_AFTER_FREE, /* touching an object already freed */
	DMABUF_WARN_DOUBLE_FREE,
	DMABUF_WARN_ATTACHMENTS_AT_RELEASE, /* release with attachments still on the list */
};

struct dmabuf_sys {
	struct machine *m; /* event bus and clock; may be NULL (no events) */
	const struct kernel_profile *profile; /* never NULL after dmabuf_sys_init */
	const struct bug_set *bugs; /* NULL: nothing injected */
	int current_thread; /* simulated thread running now (0 = main) */
	u64 next_id; /* ids of dma-bufs, attachments, locks */
	/* the fd table of the one process (RLIMIT_NOFILE = max_fds) */
	struct dma_buf **fds;
	unsigned int max_fds;
	/* what could not be modelled as progress (see the top of the file) */
	u64 warns;
	u64 oopses;
	u64 hangs;
	/*
	 * Preemption points: where another kernel thread could run on a real
	 * machine, the code calls dmabuf_preempt(sys, "name"); a test (later
	 * the deterministic scheduler) may run other work there, e.g. a
	 * revoke trigger inside an export's window (bug H3).
	 */
	void (*preempt)(void *arg, const char *point);
	void *preempt_arg;
	/*
	 * Blocking (sim/sched implements it): called when the current thread
	 * must wait until @cond(@cond_arg) holds; @what names the wait. Returns
	 * 0 once the condition holds (other threads ran meanwhile), or -EDEADLK
	 * when no simulated thread can make progress: the caller then records
	 * the hang as without a hook. NULL: every such wait is a hang.
	 */
	int (*block)(void *arg, bool (*cond)(const void *cond_arg), const void *cond_arg,
		     const char *what);
	void *block_arg;
	/*
	 * Locks held right now (all threads). A last fput() while any is held
	 * is deferred, as the kernel defers __fput() to task work / delayed
	 * work; the deferred releases run when the count drops to 0.
	 */
	unsigned int locks_held;
	struct dma_buf *deferred_release;
	/*
	 * Every dma-buf not released yet: kernel memory. One a bug leaked (no
	 * fd, a reference never dropped) is reclaimed by dmabuf_sys_destroy(),
	 * silently, so the simulator itself leaks nothing.
	 */
	struct dma_buf *all;
};

static inline void dmabuf_preempt(struct dmabuf_sys *sys, const char *point)
{
	if (sys->preempt)
		sys->preempt(sys->preempt_arg, point);
}

/* Wait for @cond through sys->block: 0 when it holds, -EDEADLK without a hook or progress. */
static inline int dmabuf_block(struct dmabuf_sys *sys, bool (*cond)(const void *cond_arg),
			       const void *cond_arg, const char *what)
{
	if (!sys->block)
		return -EDEADLK;
	return sys->block(sys->block_arg, cond, cond_arg, what);
}

/* Set up @sys; @profile NULL means kernel_profile_default(). 0 or -ENOMEM. */
int dmabuf_sys_init(struct dmabuf_sys *sys, struct machine *m, const struct kernel_profile *profile,
		    const struct bug_set *bugs, unsigned int max_fds);
/*
 * Tear @sys down: the fd table, and every dma-buf still allocated (one a
 * historic bug leaked) is released through its exporter with no events and
 * freed. Objects the exporter's release touches must still exist.
 */
void dmabuf_sys_destroy(struct dmabuf_sys *sys);
/* A new object id (never 0). */
u64 dmabuf_sys_new_id(struct dmabuf_sys *sys);
/* Emit @ev on the machine's bus (no-op without a machine). */
void dmabuf_sys_emit(struct dmabuf_sys *sys, struct sim_event *ev);
/* WARN_ON(): count and emit EV_DMABUF_WARN. Returns true (for `if (dmabuf_warn(...))`). */
bool dmabuf_warn(struct dmabuf_sys *sys, enum dmabuf_warn what, u64 object_id);

/* --- the lock model ------------------------------------------------------------ */

/* Lock classes in the documented order (reference §2.8): lower is taken first. */
enum sim_lock_class {
	LOCK_CLASS_DEV_SET = 1, /* vfio_device_set->lock */
	LOCK_CLASS_MEMORY, /* vfio_pci_core_device->memory_lock (rwsem) */
	LOCK_CLASS_RESV, /* dma_buf->resv (ww_mutex) */
	LOCK_CLASS_IMPORTER, /* importer internals: iommufd pages->mutex, mlx5 UMR */
};

/* EV_DMABUF_LOCK / _UNLOCK count bits */
#define SIM_LOCK_WRITE 1u /* exclusive (write) side */
#define SIM_LOCK_TRY 2u /* a trylock: cannot deadlock, exempt from the order rule */

struct sim_lock {
	struct dmabuf_sys *sys;
	const char *name;
	enum sim_lock_class cls;
	u64 id;
	bool initialized; /* false: used before init (bug H8) */
	int writer; /* thread holding it exclusively, -1 when none */
	unsigned int readers;
	int reader_thread; /* the (last) reader thread, for assertions */
	/* whose lock it is, for the events (dev / phys): memory_lock's device, a resv's dma-buf */
	const struct pci_dev *owner_dev;
	u64 owner_id;
};

void sim_lock_init(struct sim_lock *l, struct dmabuf_sys *sys, const char *name,
		   enum sim_lock_class cls);
/*
 * 0, or -EDEADLK when it would block forever here: held by the caller, or by
 * another thread and sys->block cannot wait for the release. A preemption point.
 */
int sim_lock_acquire(struct sim_lock *l, bool write);
/* true when taken; false (and an EV_DMABUF_LOCK with -EBUSY) when held. */
bool sim_lock_try(struct sim_lock *l, bool write);
void sim_lock_release(struct sim_lock *l, bool write);
/* Held by the current thread (for write when @write)? */
bool sim_lock_held(const struct sim_lock *l, bool write);
/* lockdep_assert_held*(): emits EV_DMABUF_LOCK_ASSERT; false (and a WARN) when not held. */
bool sim_lock_assert_held(struct sim_lock *l, bool write);

struct rw_semaphore {
	struct sim_lock dep_map;
};

struct mutex {
	struct sim_lock dep_map;
};

static inline void init_rwsem(struct rw_semaphore *sem, struct dmabuf_sys *sys, const char *name)
{
	sim_lock_init(&sem->dep_map, sys, name, LOCK_CLASS_MEMORY);
}

static inline void down_write(struct rw_semaphore *sem)
{
	sim_lock_acquire(&sem->dep_map, true);
}

static inline int down_write_trylock(struct rw_semaphore *sem)
{
	return sim_lock_try(&sem->dep_map, true);
}

static inline void up_write(struct rw_semaphore *sem)
{
	sim_lock_release(&sem->dep_map, true);
}

static inline void down_read(struct rw_semaphore *sem)
{
	sim_lock_acquire(&sem->dep_map, false);
}

static inline void up_read(struct rw_semaphore *sem)
{
	sim_lock_release(&sem->dep_map, false);
}

static inline void lockdep_assert_held_write(struct rw_semaphore *sem)
{
	sim_lock_assert_held(&sem->dep_map, true);
}

static inline void mutex_init(struct mutex *lock, struct dmabuf_sys *sys, const char *name,
			      enum sim_lock_class cls)
{
	sim_lock_init(&lock->dep_map, sys, name, cls);
}

static inline void mutex_lock(struct mutex *lock)
{
	sim_lock_acquire(&lock->dep_map, true);
}

static inline void mutex_unlock(struct mutex *lock)
{
	sim_lock_release(&lock->dep_map, true);
}

/* --- kref and completion (R8, the hang detector) ---------------------------- */

enum dmabuf_kref_op {
	KREF_OP_INIT = 1,
	KREF_OP_GET,
	KREF_OP_PUT,
};

struct kref {
	struct dmabuf_sys *sys;
	u64 owner_id; /* the dma-buf id, for events */
	int refcount;
};

void kref_init(struct kref *kref);
/* refcount_inc(): WARN ("addition on 0; use-after-free") when 0, stays 0. */
void kref_get(struct kref *kref);
/* Returns 1 when @release ran; an underflow WARNs and saturates at 0 without release. */
int kref_put(struct kref *kref, void (*release)(struct kref *kref));

enum dmabuf_completion_op {
	COMPLETION_OP_INIT = 1,
	COMPLETION_OP_COMPLETE,
	COMPLETION_OP_WAIT,
	COMPLETION_OP_REINIT,
};

struct completion {
	struct dmabuf_sys *sys;
	u64 owner_id;
	unsigned int done;
};

void init_completion(struct completion *x);
void reinit_completion(struct completion *x);
void complete(struct completion *x);
/*
 * Consumes one done; with none, waits through sys->block for another thread's
 * complete(); when nothing can complete it: a hang (event ret -EDEADLK).
 */
void wait_for_completion(struct completion *x);

/* --- reservation object and fences ------------------------------------------- */

enum dma_resv_usage {
	DMA_RESV_USAGE_KERNEL = 0,
	DMA_RESV_USAGE_WRITE,
	DMA_RESV_USAGE_READ,
	DMA_RESV_USAGE_BOOKKEEP,
};

#define MAX_SCHEDULE_TIMEOUT (~0UL >> 1)

/* EV_DMABUF_FENCE addr */
enum dmabuf_fence_op {
	DMABUF_FENCE_ADD = 1, /* dma_resv_add_fence(): count = 1 for a never-signalling fence */
	DMABUF_FENCE_SIGNAL, /* dma_fence_signal() of one fence */
};

struct dma_fence {
	enum dma_resv_usage usage;
	bool signaled;
	bool never_signals; /* a stuck engine: waits on it never return */
};

struct dma_resv {
	struct sim_lock lock;
	struct dma_fence *fences;
	size_t nr_fences;
	size_t cap_fences;
};

/* dma_resv_lock(obj, NULL): 0 (the model's -EDEADLK is recorded in the event only). */
int dma_resv_lock(struct dma_resv *obj);
void dma_resv_unlock(struct dma_resv *obj);
/* dma_resv_assert_held() */
void dma_resv_assert_held(struct dma_resv *obj);
static inline bool dma_resv_held(const struct dma_resv *obj)
{
	return sim_lock_held(&obj->lock, true);
}

/* dma_resv_add_fence() (resv held): returns the fence index, or -ENOMEM. */
int dma_resv_add_fence(struct dma_resv *obj, enum dma_resv_usage usage, bool never_signals);
/* dma_fence_signal() of fence @index. */
void dma_fence_signal(struct dma_resv *obj, int index);
/* Unsignalled fences with usage <= @usage (dma_resv_iter's filter). */
unsigned int dma_resv_unsignaled(const struct dma_resv *obj, enum dma_resv_usage usage);
/*
 * dma_resv_wait_timeout(): sleep until every fence with usage <= @usage has
 * signalled. Here a wait lets the fences' work finish: each such fence is
 * signalled, except never_signals ones, which make the wait time out
 * (returns 0) or, with MAX_SCHEDULE_TIMEOUT, wait through sys->block for
 * another thread's dma_fence_signal() and hang (recorded; returns 0) when
 * nothing can signal them.
 * Returns a positive remaining timeout on success. @id names the dma-buf.
 */
long dma_resv_wait_timeout(struct dma_resv *obj, enum dma_resv_usage usage, bool intr,
			   unsigned long timeout, u64 id);

/* --- dma-buf objects --------------------------------------------------------- */

struct dma_buf;
struct dma_buf_attachment;

/* Exporter callbacks (struct dma_buf_ops; lock state per reference §1.1). */
struct dma_buf_ops {
	int (*attach)(struct dma_buf *dmabuf, struct dma_buf_attachment *attach);
	void (*detach)(struct dma_buf *dmabuf, struct dma_buf_attachment *attach);
	int (*pin)(struct dma_buf_attachment *attach);
	void (*unpin)(struct dma_buf_attachment *attach);
	/* ERR_PTR on failure */
	struct sg_table *(*map_dma_buf)(struct dma_buf_attachment *attach,
					enum dma_data_direction dir);
	void (*unmap_dma_buf)(struct dma_buf_attachment *attach, struct sg_table *sgt,
			      enum dma_data_direction dir);
	void (*release)(struct dma_buf *dmabuf);
};

/* Importer callbacks (struct dma_buf_attach_ops). */
struct dma_buf_attach_ops {
	bool allow_peer2peer;
	/* .move_notify before 7.0 */
	void (*invalidate_mappings)(struct dma_buf_attachment *attach);
};

struct dma_buf_export_info {
	const struct dma_buf_ops *ops;
	size_t size;
	int flags; /* open(2) flags, passed on unvalidated */
	void *priv;
};

/* EV_DMABUF_FILE flags */
enum dmabuf_file_op {
	DMABUF_FILE_FD = 1, /* dma_buf_fd(): ret = fd or -errno */
	DMABUF_FILE_GET, /* dma_buf_get() / get_dma_buf() / get_file_active() */
	DMABUF_FILE_PUT, /* dma_buf_put() / fput() */
	DMABUF_FILE_CLOSE, /* close(fd) */
};

/* EV_DMABUF_ATTACH flags */
#define DMABUF_ATTF_DYNAMIC (1u << 0) /* importer_ops != NULL */
#define DMABUF_ATTF_P2P (1u << 1) /* attach->peer2peer */
#define DMABUF_ATTF_REVOCABLE (1u << 2) /* dma_buf_attach_revocable() */

struct dma_buf {
	struct dmabuf_sys *sys;
	u64 id;
	size_t size;
	long file_count; /* file refcount (get_file / fput) */
	int fd; /* first fd installed, -1 if none */
	const struct dma_buf_ops *ops;
	void *priv;
	struct dma_resv resv; /* embedded reservation object */
	struct dma_buf_attachment *attachments; /* list, protected by resv */
	unsigned long live_maps; /* map_attachment calls not yet unmapped (observation) */
	struct dma_buf *deferred_next; /* on sys->deferred_release */
	struct dma_buf *all_prev, *all_next; /* on sys->all */
};

struct dma_buf_attachment {
	struct dma_buf *dmabuf;
	struct device *dev;
	struct dma_buf_attachment *node; /* next on dmabuf->attachments */
	bool peer2peer;
	const struct dma_buf_attach_ops *importer_ops;
	void *importer_priv;
	void *priv; /* exporter's */
	u64 id;
};

/* dma_buf_export(): ERR_PTR(-EINVAL) for bad ops/size, ERR_PTR(-ENOMEM). File refcount 1. */
struct dma_buf *dma_buf_export(struct dmabuf_sys *sys, const struct dma_buf_export_info *exp_info);
/* dma_buf_fd(): install in the fd table; fd >= 3, or -EMFILE (table full), -EINVAL. */
int dma_buf_fd(struct dma_buf *dmabuf, int flags);
/* dma_buf_get(): a new file reference from @fd, or ERR_PTR(-EBADF). */
struct dma_buf *dma_buf_get(struct dmabuf_sys *sys, int fd);
void dma_buf_put(struct dma_buf *dmabuf);
void get_dma_buf(struct dma_buf *dmabuf);
/* get_file_active(): false when the file count already reached 0 (release pending). */
bool get_file_active(struct dma_buf *dmabuf);
/*
 * fput(): the last reference runs ops->release (no locks) and frees the
 * dma-buf; when the caller holds locks the release is deferred until every
 * lock is dropped (the kernel's delayed __fput()).
 */
void fput(struct dma_buf *dmabuf);
/* close(2) on @fd: drops the fd table's reference. 0 or -EBADF. */
int dma_buf_close_fd(struct dmabuf_sys *sys, int fd);

bool dma_buf_is_dynamic(const struct dma_buf *dmabuf);
static inline bool dma_buf_attachment_is_dynamic(const struct dma_buf_attachment *attach)
{
	return !!attach->importer_ops;
}

struct dma_buf_attachment *dma_buf_dynamic_attach(struct dma_buf *dmabuf, struct device *dev,
						  const struct dma_buf_attach_ops *importer_ops,
						  void *importer_priv);
struct dma_buf_attachment *dma_buf_attach(struct dma_buf *dmabuf, struct device *dev);
void dma_buf_detach(struct dma_buf *dmabuf, struct dma_buf_attachment *attach);

int dma_buf_pin(struct dma_buf_attachment *attach);
void dma_buf_unpin(struct dma_buf_attachment *attach);

/* resv held; ERR_PTR(-errno) on failure; a fresh sgt owned by the caller until unmap. */
struct sg_table *dma_buf_map_attachment(struct dma_buf_attachment *attach,
					enum dma_data_direction dir);
void dma_buf_unmap_attachment(struct dma_buf_attachment *attach, struct sg_table *sgt,
			      enum dma_data_direction dir);
/* The _unlocked variants take and drop the resv around the call. */
struct sg_table *dma_buf_map_attachment_unlocked(struct dma_buf_attachment *attach,
						 enum dma_data_direction dir);
void dma_buf_unmap_attachment_unlocked(struct dma_buf_attachment *attach, struct sg_table *sgt,
				       enum dma_data_direction dir);

/*
 * dma_buf_invalidate_mappings() (7.0; resv held): call every importer's
 * invalidate_mappings. With profile->dmabuf_move_notify (<= 6.19) this is
 * dma_buf_move_notify(), whose op was mandatory for every dynamic importer.
 */
void dma_buf_invalidate_mappings(struct dma_buf *dmabuf);
static inline void dma_buf_move_notify(struct dma_buf *dmabuf)
{
	dma_buf_invalidate_mappings(dmabuf);
}

/* dma_buf_attach_revocable(): importer_ops with an invalidate_mappings op. */
bool dma_buf_attach_revocable(const struct dma_buf_attachment *attach);

/* Number of attachments on @dmabuf (observation for tests and checkers). */
size_t dma_buf_nr_attachments(const struct dma_buf *dmabuf);

#endif /* P2PSIM_SRC_DMA_BUF_DMA_BUF_H */
