// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf.c - the `dmabuf` checker: the invariants of reference/dmabuf-vfio.md
 * §4 for the dma-buf core, the VFIO PCI dma-buf exporter with revoke and its
 * importers (docs/dmabuf.md), judged from events only (docs/checkers.md §dmabuf).
 *
 * Violation kind = the rule id (L1-L6, A1-A4, R1-R11, F1-F11, S1, S2), or
 *   hang      a wait that can never finish (the model records it, ret -EDEADLK)
 *   oops      a NULL / uninitialised dereference the kernel would oops on
 *   uaf       use after free, double free, release with attachments listed
 *   liveness  memory enabled, no trigger in progress, buffers stuck revoked
 *
 * What it builds from the events:
 *  - every dma-buf by id (EV_DMABUF_EXPORT): size, file count, the VFIO
 *    fields (EV_DMABUF_STATE: revoked, vdev, list membership, phys ranges),
 *    its attachments (EV_DMABUF_ATTACH/DETACH, flags) with their live maps
 *    and invalidate callbacks, live maps, kref, fences per usage, the move
 *    (revoke / un-revoke) in progress, importer hardware (mkeys, IOMMU
 *    mappings of iommufd);
 *  - every lock held (EV_DMABUF_LOCK/UNLOCK: id, class, thread; a resv names
 *    its dma-buf, a memory_lock its device) and, per VFIO device, whether
 *    memory is enabled (EV_VFIO_HW_EVENT count), the current memory_lock
 *    write section (revoked / zapped / cleaned up in it), an export in
 *    flight, whether devm freed its p2pdma providers.
 * Each dma-buf reports each kind once (the first occurrence); hangs, lock
 * order and WARN-derived kinds are reported every time.
 *
 * Owns struct dmabuf_check (cs->dmabuf).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sim/check/check_internal.h"
#include "src/dma-buf/dma-buf.h"
#include "src/importers/rdma_umem_dmabuf.h"
#include "src/pci/p2pdma.h"
#include "src/vfio/vfio_pci_core.h"
#include "src/vfio/vfio_pci_dmabuf.h"

/* --- rules ------------------------------------------------------------------------- */

enum dbc_kind {
	K_L1,
	K_L2,
	K_L3,
	K_L4,
	K_L5,
	K_L6,
	K_A1,
	K_A2,
	K_A3,
	K_A4,
	K_R1,
	K_R2,
	K_R3,
	K_R4,
	K_R5,
	K_R6,
	K_R7,
	K_R8,
	K_R9,
	K_R10,
	K_R11,
	K_F1,
	K_F2,
	K_F3,
	K_F4,
	K_F5,
	K_F6,
	K_F7,
	K_F8,
	K_F9,
	K_F10,
	K_F11,
	K_S1,
	K_S2,
	K_HANG,
	K_OOPS,
	K_UAF,
	K_LIVENESS,
	K__COUNT
};

static const struct {
	const char *kind;
	const char *rule;
} dbc_rules[K__COUNT] = {
	[K_L1] = { "L1",
		   "reference §4 L1: map_dma_buf, unmap_dma_buf, pin, unpin, "
		   "dma_buf_phys_vec_to_sgt, dma_buf_free_sgt and iommufd_map run with the "
		   "dma-buf's resv held (dma_resv_assert_held() in drivers/dma-buf/dma-buf.c)" },
	[K_L2] = { "L2", "reference §4 L2: dma_buf_invalidate_mappings() runs with the resv held; "
			 "importer callbacks run inside it and must not take the resv again "
			 "(drivers/dma-buf/dma-buf.c)" },
	[K_L3] = { "L3",
		   "reference §4 L3: vfio_pci_dma_buf_move() requires memory_lock held for "
		   "write (lockdep_assert_held_write(), drivers/vfio/pci/vfio_pci_dmabuf.c)" },
	[K_L4] = { "L4", "reference §4 L4: lock order dev_set->lock < memory_lock < resv < "
			 "importer locks; attach/detach are called without the resv "
			 "(drivers/vfio/pci/vfio_pci_core.c, drivers/dma-buf/dma-buf.c)" },
	[K_L5] = { "L5", "reference §4 L5: priv->revoked, priv->vdev and list membership change "
			 "only with memory_lock held for write, revoked also under the resv "
			 "(vfio_pci_core_feature_dma_buf(), vfio_pci_dma_buf_move(), "
			 "vfio_pci_dma_buf_cleanup())" },
	[K_L6] = { "L6", "reference §4 L6: the revoke's wait_for_completion() runs with the resv "
			 "released and memory_lock held (vfio_pci_dma_buf_move())" },
	[K_A1] = { "A1", "reference §4 A1: static importers never attach to a VFIO dma-buf "
			 "(vfio_pci_dma_buf_attach(): !peer2peer -> -EOPNOTSUPP)" },
	[K_A2] = { "A2", "reference §4 A2: dynamic importers without allow_peer2peer are refused "
			 "(vfio_pci_dma_buf_attach(): -EOPNOTSUPP)" },
	[K_A3] = { "A3", "reference §4 A3: importers that cannot be revoked (no invalidate op, "
			 "pinned, or pinning the pages by GUP) never hold VFIO dma-buf memory "
			 "(vfio_pci_dma_buf_attach(): dma_buf_attach_revocable(), 61ceaf236115; "
			 "iommufd access pin, 5f3fc0ad9a41)" },
	[K_A4] = { "A4", "reference §4 A4: attach while revoked is -ENODEV "
			 "(vfio_pci_dma_buf_attach())" },
	[K_R1] = { "R1",
		   "reference §4 R1: when a revoke returns, every attachment with an "
		   "invalidate op was called back after revoked became true, in the same resv "
		   "critical section (vfio_pci_dma_buf_move())" },
	[K_R2] = { "R2",
		   "reference §4 R2: every fence of the resv is signalled before the revoke "
		   "drops the resv (dma_resv_wait_timeout(BOOKKEEP), vfio_pci_dma_buf_move(), "
		   "1a8a5227f229)" },
	[K_R3] = { "R3", "reference §4 R3: when a revoke returns no sgt mapping of the dma-buf is "
			 "live (kref back to its base, vfio_pci_dma_buf_move(), 1a8a5227f229)" },
	[K_R4] = { "R4",
		   "reference §4 R4: after a revoke returned no importer hardware reaches the "
		   "BAR: mkeys zapped, iommufd IOVAs unmapped, no DMA lands in the exported "
		   "ranges (vfio_pci_dma_buf_move(), mlx5_ib_dmabuf_invalidate_cb(), "
		   "iopt_revoke_notify())" },
	[K_R5] = { "R5", "reference §4 R5: while revoked, map_dma_buf and iommufd_map fail -ENODEV "
			 "and create nothing (vfio_pci_dma_buf_map(), "
			 "vfio_pci_dma_buf_iommufd_map())" },
	[K_R6] = { "R6", "reference §4 R6: revoke happens before the physical event (MEM clear, "
			 "D3hot, FLR, bus reset) and un-revoke only after it, with memory enabled "
			 "(vfio_pci_core.c triggers, __vfio_pci_memory_enabled())" },
	[K_R7] = { "R7", "reference §4 R7: move(x) when already x is a no-op: no state change, "
			 "notification, kref change or wait (vfio_pci_dma_buf_move(), "
			 "vfio_pci_dma_buf_cleanup(), c64a647c84f3)" },
	[K_R8] = { "R8", "reference §4 R8: the kref never underflows nor is raised from 0; after "
			 "a revoke completes it is 1 again and the completion re-armed "
			 "(vfio_pci_dma_buf_move(), c64a647c84f3)" },
	[K_R9] = { "R9", "reference §4 R9: un-revoke notifies importers while revoked is still "
			 "true; revoked=false becomes visible only afterwards "
			 "(vfio_pci_dma_buf_move())" },
	[K_R10] = { "R10", "reference §4 R10: once un-revoked, a dynamic importer can map again "
			   "(vfio_pci_dma_buf_map() fails -ENODEV only while revoked)" },
	[K_R11] = { "R11", "reference §4 R11: after its invalidate callback returns an importer "
			   "issues no DMA with the old mapping (mlx5 zaps the mkey first, iommufd "
			   "unmaps its domains)" },
	[K_F1] = { "F1",
		   "reference §4 F1: each live VFIO dma-buf owns one device registration, "
		   "dropped exactly once, by cleanup or by release (vfio_pci_dma_buf_release(), "
		   "e98137f0a874)" },
	[K_F2] = { "F2", "reference §4 F2: priv is on vdev->dmabufs exactly while priv->vdev is "
			 "set (vfio_pci_dmabuf.c)" },
	[K_F3] = { "F3", "reference §4 F3: after cleanup priv->vdev is NULL, revoked stays true "
			 "and no move touches it (vfio_pci_dma_buf_cleanup())" },
	[K_F4] = { "F4", "reference §4 F4: close_device revokes and drains every dma-buf before "
			 "vfio_pci_core_disable() releases the BARs (d97708701434)" },
	[K_F5] = { "F5",
		   "reference §4 F5: the p2pdma providers (devm) are freed only after every "
		   "mapping of the device's dma-bufs is gone (vfio_pci_core_unregister_device())" },
	[K_F6] = { "F6",
		   "reference §4 F6: once dma_buf_export() succeeded, the only cleanup of a "
		   "failed export is dma_buf_put(); nothing leaks (vfio_pci_core_feature_dma_buf())" },
	[K_F7] = { "F7",
		   "reference §4 F7: export only from BARs whose resources are requested, "
		   "never for non_mappable_bars (vfio_pci_core_get_dmabuf_phys(), 702809dabdec, "
		   "951ebc18d181)" },
	[K_F8] = { "F8", "reference §4 F8: a new dma-buf's revoked equals !memory_enabled sampled "
			 "under memory_lock at list insertion (vfio_pci_core_feature_dma_buf())" },
	[K_F9] = { "F9", "reference §4 F9: the hot-reset undo releases exactly the memory_locks it "
			 "took, in reverse order (vfio_pci_dev_set_hot_reset())" },
	[K_F10] = { "F10", "reference §4 F10: a revoke trigger zaps the CPU BAR mappings in the "
			   "same memory_lock section (vfio_pci_zap_and_down_write_memory_lock(), "
			   "vfio_pci_zap_bars())" },
	[K_F11] = { "F11", "reference §4 F11: iommufd frees its pages only after dma_buf_detach() "
			   "(iopt_release_pages(), f2d70dbd3dce)" },
	[K_S1] = { "S1", "reference §4 S1: sg entries of at most UINT_MAX bytes at base + i * "
			 "UINT_MAX in 64-bit arithmetic, lengths summing to the dma-buf size "
			 "(dma_buf_phys_vec_to_sgt(), fill_sg_entry())" },
	[K_S2] = { "S2", "reference §4 S2: a map type other than BUS_ADDR / THRU_HOST_BRIDGE fails "
			 "-EINVAL and maps nothing (dma_buf_phys_vec_to_sgt())" },
	[K_HANG] = { "hang", "a lock, wait_for_completion() or fence wait that can never finish "
			     "(reference §1.6, §2.6; the model records it with ret -EDEADLK)" },
	[K_OOPS] = { "oops", "a NULL or uninitialised pointer / lock the kernel would oops on "
			     "(EV_DMABUF_WARN oops / uninitialised lock)" },
	[K_UAF] = { "uaf", "use after free or double free of dma-buf / exporter / importer "
			   "objects (EV_DMABUF_WARN)" },
	[K_LIVENESS] = { "liveness", "reference §5 H2: when a trigger ends with memory enabled "
				     "(D0 and MEM set) no dma-buf it revoked stays revoked "
				     "(vfio_pci_core.c triggers: move(false) if enabled)" },
};

/* --- state ------------------------------------------------------------------------- */

struct dbc_range {
	u64 phys, len;
};

struct dbc_attach {
	u64 id;
	const struct pci_dev *dev;
	unsigned int flags; /* DMABUF_ATTF_* */
	bool detached;
	bool pinned;
	bool mkey_enabled; /* mlx5: translation live in the HCA */
	bool invalidated; /* its callback returned and it has not mapped since (R11) */
	bool cb_running; /* its callback began; it returns by the end of the invalidate */
	long live_maps;
	u64 cb_seq, cb_section;
	u64 attach_seq; /* when it was listed: one listed after revoked became true is not owed a
			 * callback (its maps fail -ENODEV) */
};

struct dbc_buf {
	u64 id;
	u64 size;
	const struct pci_dev *dev; /* the VFIO exporter, NULL for other exporters */
	bool released;
	long file_count;
	/* struct vfio_pci_dma_buf */
	bool revoked, revoked_known, vdev, on_list, exported;
	bool revoke_done; /* revoked and the revoke returned (or revoked at birth) */
	u64 attach_check_id; /* the last attachment the exporter's attach looked at */
	bool attach_check_revoked;
	struct dbc_range *ranges;
	unsigned int nr_ranges, cap_ranges;
	/* resv */
	u64 resv_lock;
	int resv_writer; /* thread, -1 when free */
	u64 section; /* resv critical sections so far */
	bool in_invalidate;
	bool l1_asserted; /* an L1 assertion failed since the last lock event */
	unsigned int fences[4]; /* unsignalled, per usage */
	/* kref (7.0+) */
	int kref;
	bool kref_known;
	/* the move in progress: -1 none, 0 un-revoke, 1 revoke */
	int moving;
	u64 set_seq, set_section; /* revoked changed inside the move */
	bool set_seen;
	bool inv_seen;
	u64 inv_seq, inv_section;
	bool wait_hung; /* the move's unmap wait could not finish (reported as a hang) */
	long live_maps;
	long iommu_maps; /* iommufd IOVAs mapped from it */
	struct dbc_attach *att;
	size_t nr_att, cap_att;
	/* sg entries of the map being built */
	const struct pci_dev *sg_dev;
	struct dbc_range *sg;
	unsigned int nr_sg, cap_sg;
	u64 reported; /* bit per enum dbc_kind */
};

struct dbc_dev {
	const struct pci_dev *dev;
	int mem; /* memory enabled: -1 unknown, 0, 1 */
	u64 mem_lock;
	int mem_writer;
	unsigned int mem_readers;
	bool l3_asserted;
	bool f1_reported;
	bool providers_released;
	/* the current memory_lock write section */
	bool revoked_in_section, zapped_in_section, cleanup_in_section;
	bool physical_in_section; /* the event a revoke is for happened in the section */
	/* an export between its dma_buf_export() and EV_VFIO_EXPORT */
	u64 inflight_id;
	bool inflight_released;
	enum pci_p2pdma_map_type last_map_type; /* as a P2P client (S2) */
};

struct dbc_held {
	u64 lock;
	unsigned int cls;
	int thread;
	bool trylock;
};

struct dmabuf_check {
	struct dbc_buf **bufs;
	size_t nr_bufs, cap_bufs;
	struct dbc_dev **devs; /* pointers: a struct stays put while others are added */
	size_t nr_devs, cap_devs;
	struct dbc_held *held;
	size_t nr_held, cap_held;
	u64 seq;
};

static void *grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	n = realloc(arr, ncap * elem);
	if (!n)
		return NULL;
	*cap = ncap;
	return n;
}

static struct dmabuf_check *dbc(struct checkers *cs)
{
	if (!cs->dmabuf)
		cs->dmabuf = calloc(1, sizeof(*cs->dmabuf));
	return cs->dmabuf;
}

static struct dbc_buf *buf_find(struct dmabuf_check *d, u64 id)
{
	if (!id)
		return NULL;
	for (size_t i = d->nr_bufs; i-- > 0;)
		if (d->bufs[i]->id == id)
			return d->bufs[i];
	return NULL;
}

/* The dma-buf @id, created on first sight (a checker may start after the export). */
static struct dbc_buf *buf_get(struct dmabuf_check *d, u64 id)
{
	struct dbc_buf *b = buf_find(d, id), **nb;

	if (b || !id)
		return b;
	nb = grow(d->bufs, &d->cap_bufs, d->nr_bufs + 1, sizeof(*nb));
	if (!nb)
		return NULL;
	d->bufs = nb;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->id = id;
	b->resv_writer = -1;
	b->moving = -1;
	b->file_count = 1;
	d->bufs[d->nr_bufs++] = b;
	return b;
}

static struct dbc_dev *dev_get(struct dmabuf_check *d, const struct pci_dev *dev)
{
	struct dbc_dev **nds, *nd;

	if (!dev)
		return NULL;
	for (size_t i = 0; i < d->nr_devs; i++)
		if (d->devs[i]->dev == dev)
			return d->devs[i];
	nds = grow(d->devs, &d->cap_devs, d->nr_devs + 1, sizeof(*nds));
	if (!nds)
		return NULL;
	d->devs = nds;
	nd = calloc(1, sizeof(*nd));
	if (!nd)
		return NULL;
	d->devs[d->nr_devs++] = nd;
	nd->dev = dev;
	nd->mem = -1;
	nd->mem_writer = -1;
	return nd;
}

static struct dbc_attach *att_find(struct dbc_buf *b, u64 id)
{
	for (size_t i = 0; i < b->nr_att; i++)
		if (b->att[i].id == id)
			return &b->att[i];
	return NULL;
}

/* The live attachment of @dev on @b (importer hardware events name the device only). */
static struct dbc_attach *att_by_dev(struct dbc_buf *b, const struct pci_dev *dev)
{
	for (size_t i = b->nr_att; i-- > 0;)
		if (b->att[i].dev == dev && !b->att[i].detached)
			return &b->att[i];
	return NULL;
}

static bool grow_att(struct dbc_buf *b)
{
	struct dbc_attach *na = grow(b->att, &b->cap_att, b->nr_att + 1, sizeof(*na));

	if (!na)
		return false;
	b->att = na;
	return true;
}

static void buf_add_range(struct dbc_range **arr, unsigned int *nr, unsigned int *cap, u64 phys,
			  u64 len)
{
	size_t c = *cap;
	struct dbc_range *n = grow(*arr, &c, (size_t)*nr + 1, sizeof(*n));

	if (!n)
		return;
	*arr = n;
	*cap = (unsigned int)c;
	n[(*nr)++] = (struct dbc_range){ phys, len };
}

static const char *buf_dev_name(const struct dbc_buf *b)
{
	return b && b->dev ? b->dev->id : "-";
}

#define report(cs, k, ev, dev, ...)                                                               \
	check_report(cs, CHECK_DMABUF, dbc_rules[k].kind, dbc_rules[k].rule, ev, (ev)->line, dev, \
		     NULL, __VA_ARGS__)

/* Report @k for dma-buf @b once. Returns true when it is reported now. */
static bool buf_once(struct dbc_buf *b, enum dbc_kind k)
{
	if (b->reported & (1ULL << k))
		return false;
	b->reported |= 1ULL << k;
	return true;
}

/* --- locks ------------------------------------------------------------------------- */

static const char *class_name(unsigned int cls)
{
	switch (cls) {
	case LOCK_CLASS_DEV_SET:
		return "dev_set->lock";
	case LOCK_CLASS_MEMORY:
		return "memory_lock";
	case LOCK_CLASS_RESV:
		return "resv";
	case LOCK_CLASS_IMPORTER:
		return "importer lock";
	default:
		return "lock";
	}
}

static void section_end(struct checkers *cs, struct dmabuf_check *d, struct dbc_dev *dv,
			const struct sim_event *ev);

static void on_lock(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	int thread = (int)ev->addr;
	bool trylock = ev->count & SIM_LOCK_TRY;
	bool write = ev->count & SIM_LOCK_WRITE;
	struct dbc_buf *b = ev->flags == LOCK_CLASS_RESV ? buf_get(d, ev->phys) : NULL;
	struct dbc_dev *dv = ev->flags == LOCK_CLASS_MEMORY ? dev_get(d, ev->dev) : NULL;
	struct dbc_held *nh;

	if (ev->ret == -EDEADLK) {
		if (b && b->in_invalidate && b->resv_writer >= 0) {
			if (buf_once(b, K_L2))
				report(cs, K_L2, ev, ev->dev,
				       "dma-buf %llu (exporter %s): an importer's invalidate "
				       "callback takes the resv that dma_buf_invalidate_mappings() "
				       "already holds (self-deadlock)",
				       (unsigned long long)b->id, buf_dev_name(b));
			return;
		}
		report(cs, K_HANG, ev, ev->dev,
		       "thread %d would wait forever for %s %llu%s%s (held by thread %d)", thread,
		       class_name(ev->flags), (unsigned long long)ev->aux, ev->dev ? " of " : "",
		       ev->dev ? ev->dev->id : "",
		       b  ? b->resv_writer :
		       dv ? dv->mem_writer :
			    -1);
		return;
	}
	if (ev->ret)
		return; /* a failed trylock */

	/* L4: the order of classes, per thread; trylocks cannot deadlock */
	for (size_t i = 0; i < d->nr_held && !trylock; i++) {
		const struct dbc_held *h = &d->held[i];

		if (h->thread != thread || h->cls < ev->flags)
			continue;
		report(cs, K_L4, ev, ev->dev,
		       "thread %d takes %s %llu%s%s while holding %s %llu: against the order "
		       "dev_set->lock < memory_lock < resv < importer locks",
		       thread, class_name(ev->flags), (unsigned long long)ev->aux,
		       ev->dev ? " of " : "", ev->dev ? ev->dev->id : "", class_name(h->cls),
		       (unsigned long long)h->lock);
		break;
	}
	nh = grow(d->held, &d->cap_held, d->nr_held + 1, sizeof(*nh));
	if (nh) {
		d->held = nh;
		d->held[d->nr_held++] = (struct dbc_held){ ev->aux, ev->flags, thread, trylock };
	}
	if (b) {
		b->resv_lock = ev->aux;
		b->resv_writer = thread;
		b->section++;
		b->l1_asserted = false;
	}
	if (dv) {
		dv->mem_lock = ev->aux;
		dv->l3_asserted = false;
		if (write) {
			dv->mem_writer = thread;
			dv->revoked_in_section = false;
			dv->zapped_in_section = false;
			dv->cleanup_in_section = false;
			dv->physical_in_section = false;
		} else {
			dv->mem_readers++;
		}
	}
}

static void on_unlock(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = ev->flags == LOCK_CLASS_RESV ? buf_find(d, ev->phys) : NULL;
	struct dbc_dev *dv = ev->flags == LOCK_CLASS_MEMORY ? dev_get(d, ev->dev) : NULL;

	if (dv && (ev->count & SIM_LOCK_WRITE)) {
		/* F9: trylocked memory_locks (hot reset) go back last-taken first */
		for (size_t i = d->nr_held; i-- > 0;) {
			const struct dbc_held *h = &d->held[i];

			if (h->cls != LOCK_CLASS_MEMORY || !h->trylock ||
			    h->thread != (int)ev->addr)
				continue;
			if (h->lock != ev->aux)
				report(cs, K_F9, ev, ev->dev,
				       "%s: thread %d releases its memory_lock %llu before memory_lock "
				       "%llu it took later: the undo is not in reverse order",
				       check_dev_name(ev->dev), (int)ev->addr,
				       (unsigned long long)ev->aux, (unsigned long long)h->lock);
			break;
		}
	}
	for (size_t i = d->nr_held; i-- > 0;) {
		if (d->held[i].lock == ev->aux) {
			memmove(&d->held[i], &d->held[i + 1],
				(d->nr_held - i - 1) * sizeof(d->held[0]));
			d->nr_held--;
			break;
		}
	}
	if (b) {
		/* R2: the revoke's own resv section ends with every fence signalled */
		if (b->moving == 1 && b->set_seen && b->set_section == b->section) {
			unsigned int pending = 0;

			for (int u = 0; u < 4; u++)
				pending += b->fences[u];
			if (pending && buf_once(b, K_R2))
				report(cs, K_R2, ev, b->dev,
				       "dma-buf %llu (exporter %s): the revoke drops the resv with %u "
				       "fence%s unsignalled: importers may still access the BAR",
				       (unsigned long long)b->id, buf_dev_name(b), pending,
				       pending == 1 ? "" : "s");
		}
		b->resv_writer = -1;
		b->l1_asserted = false;
	}
	if (dv) {
		dv->l3_asserted = false;
		if (ev->count & SIM_LOCK_WRITE) {
			section_end(cs, d, dv, ev);
			dv->mem_writer = -1;
		} else if (dv->mem_readers) {
			dv->mem_readers--;
		}
	}
}

static void on_lock_assert(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	if (!ev->ret)
		return;
	if (ev->flags == LOCK_CLASS_RESV) {
		struct dbc_buf *b = buf_get(d, ev->phys);

		if (!b)
			return;
		b->l1_asserted = true;
		if (buf_once(b, K_L1))
			report(cs, K_L1, ev, b->dev,
			       "dma-buf %llu (exporter %s): thread %d runs a resv-only operation "
			       "without the resv (dma_resv_assert_held() failed)",
			       (unsigned long long)b->id, buf_dev_name(b), (int)ev->addr);
	} else if (ev->flags == LOCK_CLASS_MEMORY) {
		struct dbc_dev *dv = dev_get(d, ev->dev);

		if (dv)
			dv->l3_asserted = true;
		report(cs, K_L3, ev, ev->dev,
		       "%s: thread %d moves the dma-bufs without memory_lock held for write "
		       "(lockdep_assert_held_write() failed)",
		       check_dev_name(ev->dev), (int)ev->addr);
	}
}

/* L1 for the operations the core emits after the fact (map, unmap, pin, unpin). */
static void check_resv_held(struct checkers *cs, struct dbc_buf *b, const struct sim_event *ev,
			    const char *op)
{
	if (b->resv_writer >= 0 || b->l1_asserted)
		return;
	if (buf_once(b, K_L1))
		report(cs, K_L1, ev, ev->dev,
		       "dma-buf %llu (exporter %s): %s by %s (attachment %llu) without the resv",
		       (unsigned long long)b->id, buf_dev_name(b), op, check_dev_name(ev->dev),
		       (unsigned long long)(ev->kind == EV_DMABUF_MAP ||
							    ev->kind == EV_DMABUF_UNMAP ?
						    ev->phys :
						    ev->addr));
}

/* --- attachments, maps ---------------------------------------------------------------- */

static void on_attach(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_get(d, ev->aux);
	struct dbc_attach *a;

	if (!b || ev->ret)
		return;
	if (b->resv_writer >= 0 && buf_once(b, K_L4))
		report(cs, K_L4, ev, ev->dev,
		       "dma-buf %llu: %s attaches (attachment %llu) while thread %d holds its resv",
		       (unsigned long long)b->id, check_dev_name(ev->dev),
		       (unsigned long long)ev->addr, b->resv_writer);
	if (b->dev) {
		enum dbc_kind k = K__COUNT;

		if (!(ev->flags & DMABUF_ATTF_DYNAMIC))
			k = K_A1;
		else if (!(ev->flags & DMABUF_ATTF_P2P))
			k = K_A2;
		else if (!(ev->flags & DMABUF_ATTF_REVOCABLE))
			k = K_A3;
		else if (b->attach_check_id == ev->addr && b->attach_check_revoked)
			k = K_A4; /* the check itself saw it revoked; a revoke racing it is allowed */
		if (k != K__COUNT && buf_once(b, k))
			report(cs, k, ev, ev->dev,
			       "dma-buf %llu (exporter %s): %s attached (attachment %llu) as a %s%s%s "
			       "importer%s",
			       (unsigned long long)b->id, buf_dev_name(b), check_dev_name(ev->dev),
			       (unsigned long long)ev->addr,
			       ev->flags & DMABUF_ATTF_DYNAMIC ? "dynamic" : "static",
			       ev->flags & DMABUF_ATTF_P2P ? " peer2peer" : " non-p2p",
			       ev->flags & DMABUF_ATTF_REVOCABLE ? " revocable" : " non-revocable",
			       k == K_A4 ? " while the dma-buf is revoked" : "");
	}
	if (!grow_att(b))
		return;
	a = &b->att[b->nr_att++];
	memset(a, 0, sizeof(*a));
	a->id = ev->addr;
	a->dev = ev->dev;
	a->flags = ev->flags;
	a->attach_seq = ++d->seq;
}

static void on_detach(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_find(d, ev->aux);
	struct dbc_attach *a = b ? att_find(b, ev->addr) : NULL;

	if (!b)
		return;
	if (b->resv_writer >= 0 && buf_once(b, K_L4))
		report(cs, K_L4, ev, ev->dev,
		       "dma-buf %llu: %s detaches (attachment %llu) while thread %d holds its resv",
		       (unsigned long long)b->id, check_dev_name(ev->dev),
		       (unsigned long long)ev->addr, b->resv_writer);
	if (a)
		a->detached = true;
}

static void on_pin(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_get(d, ev->aux);
	struct dbc_attach *a = b ? att_find(b, ev->addr) : NULL;

	if (!b)
		return;
	check_resv_held(cs, b, ev, ev->kind == EV_DMABUF_PIN ? "dma_buf_pin()" : "dma_buf_unpin()");
	if (ev->kind == EV_DMABUF_UNPIN) {
		if (a)
			a->pinned = false;
		return;
	}
	if (ev->ret)
		return;
	if (a)
		a->pinned = true;
	if (b->dev && a && !(a->flags & DMABUF_ATTF_REVOCABLE) && buf_once(b, K_A3))
		report(cs, K_A3, ev, ev->dev,
		       "dma-buf %llu (exporter %s): %s pinned it (attachment %llu) without an "
		       "invalidate op: a revoke can never stop it",
		       (unsigned long long)b->id, buf_dev_name(b), check_dev_name(ev->dev),
		       (unsigned long long)ev->addr);
}

/* S1: the entries collected since the map started, judged when the map succeeds. */
static void check_sg_shape(struct checkers *cs, struct dbc_buf *b, const struct sim_event *ev)
{
	u64 total = 0;
	const char *why = NULL;
	unsigned int bad = 0;

	if (b->sg_dev != ev->dev || !b->nr_sg) {
		/* a VFIO map always fills entries: none at all (a wrapped IOVA length) is short */
		if (b->dev && b->size && ev->len != b->size && buf_once(b, K_S1))
			report(cs, K_S1, ev, ev->dev,
			       "dma-buf %llu (exporter %s) mapped for %s (attachment %llu): the "
			       "mapping covers %llu of its %llu bytes (%u entries)",
			       (unsigned long long)b->id, buf_dev_name(b), check_dev_name(ev->dev),
			       (unsigned long long)ev->phys, (unsigned long long)ev->len,
			       (unsigned long long)b->size, ev->count);
		return;
	}
	for (unsigned int i = 0; i < b->nr_sg && !why; i++) {
		const struct dbc_range *e = &b->sg[i];

		total += e->len;
		if (!e->len || e->len > UINT_MAX) {
			why = "an entry is empty or longer than UINT_MAX";
			bad = i;
		} else if (i && b->sg[i - 1].len == UINT_MAX &&
			   e->phys != b->sg[i - 1].phys + UINT_MAX) {
			/* a full entry is followed by the rest of its range */
			why = "an entry does not continue the full entry before it (base + i * "
			      "UINT_MAX)";
			bad = i;
		}
	}
	if (!why && b->size && total != b->size) {
		why = "the entries do not add up to the dma-buf size";
		bad = b->nr_sg - 1;
	}
	if (why && buf_once(b, K_S1))
		report(cs, K_S1, ev, ev->dev,
		       "dma-buf %llu (exporter %s) mapped for %s (attachment %llu): %s: entry %u at "
		       "%#llx + %llu, %u entries, %llu of %llu bytes",
		       (unsigned long long)b->id, buf_dev_name(b), check_dev_name(ev->dev),
		       (unsigned long long)ev->phys, why, bad, (unsigned long long)b->sg[bad].phys,
		       (unsigned long long)b->sg[bad].len, b->nr_sg, (unsigned long long)total,
		       (unsigned long long)b->size);
}

static void on_map(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_get(d, ev->aux);
	struct dbc_attach *a = b ? att_find(b, ev->phys) : NULL;
	struct dbc_dev *importer = dev_get(d, ev->dev);
	struct dbc_dev *exporter = b ? dev_get(d, b->dev) : NULL;

	if (!b)
		return;
	check_resv_held(cs, b, ev, "map_attachment()");
	if (ev->ret) {
		/* R10: only a revoked dma-buf refuses with -ENODEV */
		if (ev->ret == -ENODEV && b->dev && !b->revoked && b->moving < 0 &&
		    buf_once(b, K_R10))
			report(cs, K_R10, ev, ev->dev,
			       "dma-buf %llu (exporter %s): the map of %s (attachment %llu) fails "
			       "-ENODEV although it is not revoked",
			       (unsigned long long)b->id, buf_dev_name(b), check_dev_name(ev->dev),
			       (unsigned long long)ev->phys);
		b->nr_sg = 0;
		return;
	}
	b->live_maps++;
	if (a) {
		a->live_maps++;
		a->invalidated = false;
	}
	if (b->dev && b->revoked && buf_once(b, K_R5))
		report(cs, K_R5, ev, ev->dev,
		       "dma-buf %llu (exporter %s): map_dma_buf for %s (attachment %llu) succeeds "
		       "while it is revoked",
		       (unsigned long long)b->id, buf_dev_name(b), check_dev_name(ev->dev),
		       (unsigned long long)ev->phys);
	if (exporter && exporter->providers_released && buf_once(b, K_F5))
		report(cs, K_F5, ev, ev->dev,
		       "dma-buf %llu (exporter %s): mapped for %s (attachment %llu) after devm freed "
		       "the exporter's p2pdma providers",
		       (unsigned long long)b->id, buf_dev_name(b), check_dev_name(ev->dev),
		       (unsigned long long)ev->phys);
	if (importer && importer->last_map_type == PCI_P2PDMA_MAP_NOT_SUPPORTED && b->dev &&
	    buf_once(b, K_S2))
		report(cs, K_S2, ev, ev->dev,
		       "dma-buf %llu (exporter %s): mapped for %s (attachment %llu) with P2P map "
		       "type %s",
		       (unsigned long long)b->id, buf_dev_name(b), check_dev_name(ev->dev),
		       (unsigned long long)ev->phys,
		       pci_p2pdma_map_type_name(importer->last_map_type));
	check_sg_shape(cs, b, ev);
	b->nr_sg = 0;
	if (importer)
		importer->last_map_type =
			PCI_P2PDMA_MAP_UNKNOWN; /* judged: the next map decides anew */
}

static void on_unmap(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_find(d, ev->aux);
	struct dbc_attach *a = b ? att_find(b, ev->phys) : NULL;

	if (!b)
		return;
	check_resv_held(cs, b, ev, "unmap_attachment()");
	if (b->live_maps)
		b->live_maps--;
	if (a && a->live_maps)
		a->live_maps--;
}

static void on_sg_entry(struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_get(d, ev->aux);

	if (!b)
		return;
	if (ev->count == 0 || b->sg_dev != ev->dev)
		b->nr_sg = 0;
	b->sg_dev = ev->dev;
	buf_add_range(&b->sg, &b->nr_sg, &b->cap_sg, ev->addr, ev->len);
}

/* --- invalidation, fences, kref ---------------------------------------------------------- */

static void on_invalidate_cb(struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_get(d, ev->aux);
	struct dbc_attach *a = b ? att_find(b, ev->addr) : NULL;

	if (!b)
		return;
	b->in_invalidate = true;
	if (a) {
		a->cb_running = true;
		a->cb_seq = ++d->seq;
		a->cb_section = b->section;
	}
}

static void on_invalidate(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_get(d, ev->aux);

	if (!b)
		return;
	b->in_invalidate = false;
	for (size_t i = 0; i < b->nr_att; i++) {
		if (b->att[i].cb_running)
			b->att[i].invalidated = true; /* its callback has returned */
		b->att[i].cb_running = false;
	}
	if (b->resv_writer < 0 && buf_once(b, K_L2))
		report(cs, K_L2, ev, b->dev,
		       "dma-buf %llu (exporter %s): dma_buf_invalidate_mappings() called back %u "
		       "importer%s without the resv",
		       (unsigned long long)b->id, buf_dev_name(b), ev->count,
		       ev->count == 1 ? "" : "s");
	if (b->moving >= 0) {
		b->inv_seen = true;
		b->inv_seq = ++d->seq;
		b->inv_section = b->section;
	}
}

static void on_fence(struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_get(d, ev->aux);

	if (!b || ev->flags > DMA_RESV_USAGE_BOOKKEEP)
		return;
	if (ev->addr == DMABUF_FENCE_ADD)
		b->fences[ev->flags]++;
	else if (ev->addr == DMABUF_FENCE_SIGNAL && b->fences[ev->flags])
		b->fences[ev->flags]--;
}

static void on_fence_wait(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_get(d, ev->aux);

	if (!b)
		return;
	if (ev->ret == 0)
		for (unsigned int u = 0; u <= ev->flags && u < 4; u++)
			b->fences[u] = 0;
	if (ev->ret == -EDEADLK)
		report(cs, K_HANG, ev, b->dev,
		       "dma-buf %llu (exporter %s): dma_resv_wait_timeout(MAX_SCHEDULE_TIMEOUT) on "
		       "a fence that never signals",
		       (unsigned long long)b->id, buf_dev_name(b));
}

static void on_kref(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_get(d, ev->aux);

	if (!b)
		return;
	b->kref = (int)ev->count;
	b->kref_known = true;
	if (ev->ret && buf_once(b, K_R8))
		report(cs, K_R8, ev, b->dev,
		       "dma-buf %llu (exporter %s): kref %s (refcount_t: \"%s\")",
		       (unsigned long long)b->id, buf_dev_name(b),
		       ev->ret == -EOVERFLOW ? "put below 0" : "raised from 0",
		       ev->ret == -EOVERFLOW ? "underflow; use-after-free." :
					       "addition on 0; use-after-free.");
}

static void on_completion(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_get(d, ev->aux);
	struct dbc_dev *dv;

	if (!b || ev->flags != COMPLETION_OP_WAIT)
		return;
	dv = dev_get(d, b->dev);
	/* the waiting thread's own locks: another thread may hold the resv to unmap */
	if (b->resv_writer >= 0 && b->resv_writer == (int)ev->addr && buf_once(b, K_L6))
		report(cs, K_L6, ev, b->dev,
		       "dma-buf %llu (exporter %s): wait_for_completion() with the resv held by "
		       "the waiting thread %d: importers cannot unmap",
		       (unsigned long long)b->id, buf_dev_name(b), b->resv_writer);
	else if (dv && dv->mem_writer != (int)ev->addr && buf_once(b, K_L6))
		report(cs, K_L6, ev, b->dev,
		       "dma-buf %llu (exporter %s): wait_for_completion() without memory_lock "
		       "held for write",
		       (unsigned long long)b->id, buf_dev_name(b));
	if (ev->ret == -EDEADLK)
		b->wait_hung = true;
	if (ev->ret == -EDEADLK)
		report(cs, K_HANG, ev, b->dev,
		       "dma-buf %llu (exporter %s): the revoke waits for importer unmaps that "
		       "never come (kref %d, %ld map%s live)",
		       (unsigned long long)b->id, buf_dev_name(b), b->kref, b->live_maps,
		       b->live_maps == 1 ? "" : "s");
}

/* --- revoke ------------------------------------------------------------------------------ */

static void on_revoke_begin(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_get(d, ev->aux);
	struct dbc_dev *dv = dev_get(d, ev->dev);
	bool revoke = ev->flags;

	if (!b)
		return;
	b->dev = ev->dev;
	if (dv && dv->mem_writer < 0 && !dv->l3_asserted && buf_once(b, K_L3))
		report(cs, K_L3, ev, ev->dev,
		       "dma-buf %llu (exporter %s): %s without memory_lock held for write",
		       (unsigned long long)b->id, buf_dev_name(b), revoke ? "revoke" : "un-revoke");
	if (!b->vdev && b->revoked_known && buf_once(b, K_F3))
		report(cs, K_F3, ev, ev->dev,
		       "dma-buf %llu (exporter %s): %s after cleanup detached it from the device",
		       (unsigned long long)b->id, buf_dev_name(b), revoke ? "revoke" : "un-revoke");
	if (b->revoked_known && b->revoked == revoke && buf_once(b, K_R7))
		report(cs, K_R7, ev, ev->dev,
		       "dma-buf %llu (exporter %s): move(%s) although it is %s already",
		       (unsigned long long)b->id, buf_dev_name(b), revoke ? "true" : "false",
		       revoke ? "revoked" : "not revoked");
	if (!revoke && dv && dv->mem == 0 && buf_once(b, K_R6))
		report(cs, K_R6, ev, ev->dev,
		       "dma-buf %llu (exporter %s): un-revoked while the device's memory is not "
		       "enabled",
		       (unsigned long long)b->id, buf_dev_name(b));
	if (revoke && dv)
		dv->revoked_in_section = true;
	b->moving = revoke;
	b->set_seen = false;
	b->inv_seen = false;
	b->wait_hung = false;
}

static void on_revoke_end(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_get(d, ev->aux);

	if (!b)
		return;
	if (!ev->flags) {
		/* R9: the notification before revoked=false, or inside the same resv section */
		if (b->set_seen &&
		    (!b->inv_seen ||
		     (b->inv_seq > b->set_seq && b->inv_section != b->set_section)) &&
		    buf_once(b, K_R9))
			report(cs, K_R9, ev, ev->dev,
			       "dma-buf %llu (exporter %s): un-revoke made revoked=false visible "
			       "%s",
			       (unsigned long long)b->id, buf_dev_name(b),
			       b->inv_seen ? "before notifying the importers" :
					     "without notifying the importers");
		b->revoke_done = false;
		b->moving = -1;
		return;
	}
	/* R1: every revocable attachment was called back after revoked became true */
	for (size_t i = 0; i < b->nr_att; i++) {
		const struct dbc_attach *a = &b->att[i];

		if (a->detached || !(a->flags & DMABUF_ATTF_REVOCABLE))
			continue;
		if (b->set_seen && a->attach_seq > b->set_seq)
			continue; /* attached while the revoke waited: nothing of it to revoke */
		if (b->set_seen && a->cb_seq > b->set_seq && a->cb_section == b->set_section)
			continue;
		if (buf_once(b, K_R1))
			report(cs, K_R1, ev, ev->dev,
			       "dma-buf %llu (exporter %s): the revoke returned without calling "
			       "back %s (attachment %llu) after revoked became true, under the "
			       "same resv",
			       (unsigned long long)b->id, buf_dev_name(b), check_dev_name(a->dev),
			       (unsigned long long)a->id);
		break;
	}
	/* a hung unmap wait never returns: the hang is the report, not what follows it */
	if (b->live_maps && !b->wait_hung && buf_once(b, K_R3))
		report(cs, K_R3, ev, ev->dev,
		       "dma-buf %llu (exporter %s): the revoke returned with %ld sgt mapping%s "
		       "still live",
		       (unsigned long long)b->id, buf_dev_name(b), b->live_maps,
		       b->live_maps == 1 ? "" : "s");
	for (size_t i = 0; i < b->nr_att; i++) {
		const struct dbc_attach *a = &b->att[i];

		if (!a->mkey_enabled || a->detached)
			continue;
		if (buf_once(b, K_R4))
			report(cs, K_R4, ev, ev->dev,
			       "dma-buf %llu (exporter %s): the revoke returned while %s "
			       "(attachment %llu) still has its mkey translating into the BAR",
			       (unsigned long long)b->id, buf_dev_name(b), check_dev_name(a->dev),
			       (unsigned long long)a->id);
		break;
	}
	if (b->iommu_maps > 0 && buf_once(b, K_R4))
		report(cs, K_R4, ev, ev->dev,
		       "dma-buf %llu (exporter %s): the revoke returned with %ld iommufd IOVA "
		       "mapping%s of the BAR",
		       (unsigned long long)b->id, buf_dev_name(b), b->iommu_maps,
		       b->iommu_maps == 1 ? "" : "s");
	if (b->kref_known && b->kref != 1 && buf_once(b, K_R8))
		report(cs, K_R8, ev, ev->dev,
		       "dma-buf %llu (exporter %s): the revoke returned with kref %d, not re-armed "
		       "to 1",
		       (unsigned long long)b->id, buf_dev_name(b), b->kref);
	b->revoke_done = b->revoked;
	b->moving = -1;
}

/* --- the VFIO fields --------------------------------------------------------------------- */

static void check_l5(struct checkers *cs, struct dmabuf_check *d, struct dbc_buf *b,
		     const struct sim_event *ev, const char *field, bool resv_too)
{
	struct dbc_dev *dv = dev_get(d, ev->dev);

	if (dv && dv->mem_writer < 0 && buf_once(b, K_L5))
		report(cs, K_L5, ev, ev->dev,
		       "dma-buf %llu (exporter %s): %s changed without memory_lock held for write",
		       (unsigned long long)b->id, buf_dev_name(b), field);
	else if (resv_too && b->resv_writer < 0 && buf_once(b, K_L5))
		report(cs, K_L5, ev, ev->dev,
		       "dma-buf %llu (exporter %s): %s changed without the resv",
		       (unsigned long long)b->id, buf_dev_name(b), field);
}

static void on_state(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_get(d, ev->aux);
	struct dbc_dev *dv = dev_get(d, ev->dev);
	bool value = ev->count;

	if (!b)
		return;
	b->dev = ev->dev;
	switch (ev->flags) {
	case VFIO_DMABUF_FIELD_REVOKED:
		check_l5(cs, d, b, ev, "revoked", true);
		if (b->revoked_known && b->revoked == value && buf_once(b, K_R7))
			report(cs, K_R7, ev, ev->dev,
			       "dma-buf %llu (exporter %s): revoked set to %d again: a move to the "
			       "state it is in must do nothing",
			       (unsigned long long)b->id, buf_dev_name(b), value);
		if (!value && !b->vdev && b->revoked_known && buf_once(b, K_F3))
			report(cs, K_F3, ev, ev->dev,
			       "dma-buf %llu (exporter %s): un-revoked after cleanup",
			       (unsigned long long)b->id, buf_dev_name(b));
		if (b->moving >= 0) {
			b->set_seen = true;
			b->set_seq = ++d->seq;
			b->set_section = b->section;
		} else {
			/* the initial state at export, or a drain outside move() (old cleanup) */
			b->revoke_done = value;
		}
		b->revoked = value;
		b->revoked_known = true;
		break;
	case VFIO_DMABUF_FIELD_VDEV:
		/* set while priv is still private to the export; cleared under the lock */
		if (!value)
			check_l5(cs, d, b, ev, "priv->vdev", false);
		if (value && dv) {
			dv->inflight_id = b->id; /* the export is under way */
			dv->inflight_released = false;
		}
		if (!value) {
			if (dv)
				dv->cleanup_in_section = true;
			if (!b->revoked && buf_once(b, K_F3))
				report(cs, K_F3, ev, ev->dev,
				       "dma-buf %llu (exporter %s): cleanup detached it while not "
				       "revoked",
				       (unsigned long long)b->id, buf_dev_name(b));
		}
		b->vdev = value;
		break;
	case VFIO_DMABUF_FIELD_LIST:
		check_l5(cs, d, b, ev, "list membership", false);
		if (value && b->revoked_known && b->revoked != !ev->addr && buf_once(b, K_F8))
			report(cs, K_F8, ev, ev->dev,
			       "dma-buf %llu (exporter %s): inserted with revoked=%d while memory "
			       "is %s",
			       (unsigned long long)b->id, buf_dev_name(b), b->revoked,
			       ev->addr ? "enabled" : "disabled");
		b->on_list = value;
		break;
	case VFIO_DMABUF_FIELD_ATTACH_CHECK:
		b->attach_check_id = ev->addr;
		b->attach_check_revoked = value;
		break;
	case VFIO_DMABUF_FIELD_RANGE:
		buf_add_range(&b->ranges, &b->nr_ranges, &b->cap_ranges, ev->phys, ev->len);
		break;
	default:
		break;
	}
}

/* The memory_lock write section of @dv ends: H2 liveness, F10 zap, F2 list. */
static void section_end(struct checkers *cs, struct dmabuf_check *d, struct dbc_dev *dv,
			const struct sim_event *ev)
{
	for (size_t i = 0; i < d->nr_bufs; i++) {
		struct dbc_buf *b = d->bufs[i];

		if (b->dev != dv->dev || b->released)
			continue;
		if (b->exported && b->file_count > 0 && b->on_list != b->vdev && buf_once(b, K_F2))
			report(cs, K_F2, ev, dv->dev,
			       "dma-buf %llu (exporter %s): %s the device's list but priv->vdev is "
			       "%s",
			       (unsigned long long)b->id, buf_dev_name(b),
			       b->on_list ? "on" : "off", b->vdev ? "set" : "NULL");
		if (dv->mem == 1 && dv->revoked_in_section && dv->physical_in_section &&
		    b->on_list && b->vdev && b->revoked && b->file_count > 0 &&
		    buf_once(b, K_LIVENESS))
			report(cs, K_LIVENESS, ev, dv->dev,
			       "dma-buf %llu (exporter %s): the trigger revoked it and ends with "
			       "memory enabled, but it stays revoked",
			       (unsigned long long)b->id, buf_dev_name(b));
	}
	if (dv->revoked_in_section && !dv->zapped_in_section && !dv->cleanup_in_section)
		report(cs, K_F10, ev, dv->dev,
		       "%s: dma-bufs revoked without zapping the CPU mappings of the BARs in the "
		       "same memory_lock section",
		       check_dev_name(dv->dev));
	dv->revoked_in_section = false;
	dv->zapped_in_section = false;
	dv->cleanup_in_section = false;
	dv->physical_in_section = false;
}

static void on_hw_event(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_dev *dv = dev_get(d, ev->dev);
	enum dbc_kind k;

	if (!dv)
		return;
	dv->mem = ev->count ? 1 : 0;
	if (ev->flags != VFIO_HW_BARS_ZAPPED)
		dv->physical_in_section = true;
	switch (ev->flags) {
	case VFIO_HW_MEM_OFF:
	case VFIO_HW_D3HOT:
	case VFIO_HW_FLR:
	case VFIO_HW_BUS_RESET:
		k = K_R6;
		break;
	case VFIO_HW_REGION_RELEASE:
	case VFIO_HW_DISABLE:
		k = K_F4;
		break;
	case VFIO_HW_BARS_ZAPPED:
		dv->zapped_in_section = true;
		return;
	default:
		return;
	}
	for (size_t i = 0; i < d->nr_bufs; i++) {
		struct dbc_buf *b = d->bufs[i];
		static const char *const names[] = {
			[VFIO_HW_MEM_OFF] = "memory decode off",
			[VFIO_HW_D3HOT] = "D3hot",
			[VFIO_HW_FLR] = "FLR",
			[VFIO_HW_BUS_RESET] = "bus reset",
			[VFIO_HW_REGION_RELEASE] = "BAR region release",
			[VFIO_HW_DISABLE] = "pci_disable_device()",
		};

		if (b->dev != dv->dev || b->released || !b->vdev || !b->on_list)
			continue;
		/*
		 * Its last file reference is gone and its release waits for the
		 * memory_lock this trigger holds: move() and cleanup() skip it
		 * (get_file_active() fails) and nothing can map it any more, since
		 * every attachment held a file reference.
		 */
		if (b->exported && b->file_count <= 0)
			continue;
		if (b->revoked && (k == K_R6 || !b->live_maps))
			continue;
		if (buf_once(b, k))
			report(cs, k, ev, dv->dev, "dma-buf %llu (exporter %s): %s while it is %s",
			       (unsigned long long)b->id, buf_dev_name(b), names[ev->flags],
			       b->revoked ? "revoked but still mapped" : "not revoked");
	}
}

/* --- registrations, export, release -------------------------------------------------------- */

static void on_registration(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_dev *dv = dev_get(d, ev->dev);
	struct dbc_buf *b;

	/* one registration put twice is one F1, whichever put shows it */
	if (!dv || ev->flags || dv->f1_reported)
		return;
	b = buf_find(d, dv->inflight_id);
	if (ev->ret == -EOVERFLOW) {
		dv->f1_reported = true;
		report(cs, K_F1, ev, ev->dev, "%s: a registration dropped below zero (put twice)",
		       check_dev_name(ev->dev));
	} else if (b && dv->inflight_released) {
		dv->f1_reported = true;
		report(cs, K_F1, ev, ev->dev,
		       "dma-buf %llu (exporter %s): the failed export drops a registration that "
		       "its release already dropped",
		       (unsigned long long)b->id, buf_dev_name(b));
	}
}

static void on_vfio_export(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_dev *dv = dev_get(d, ev->dev);
	struct dbc_buf *b;

	if (!dv)
		return;
	b = buf_find(d, dv->inflight_id);
	dv->inflight_id = 0;
	if (ev->ret < 0) {
		if (b && !b->released && buf_once(b, K_F6))
			report(cs, K_F6, ev, ev->dev,
			       "dma-buf %llu (exporter %s): the export failed (%d) after "
			       "dma_buf_export() but the dma-buf (and its registration) lives on",
			       (unsigned long long)b->id, buf_dev_name(b), ev->ret);
		return;
	}
	b = buf_get(d, ev->aux);
	if (!b)
		return;
	b->exported = true;
	b->dev = ev->dev;
	if (ev->flags & VFIO_EXPORTF_DEVICE_MEMORY) {
		/* a variant's device memory: every range inside the memory the region stands for */
		for (unsigned int r = 0; r < b->nr_ranges; r++) {
			const struct dbc_range *rg = &b->ranges[r];

			if (rg->phys >= ev->phys && rg->phys - ev->phys <= ev->len &&
			    rg->len <= ev->len - (rg->phys - ev->phys))
				continue;
			if (buf_once(b, K_F7))
				report(cs, K_F7, ev, ev->dev,
				       "dma-buf %llu (exporter %s): region %u stands for device memory "
				       "%#llx + %llu, but range %u is %#llx + %llu (not that memory)",
				       (unsigned long long)b->id, buf_dev_name(b), ev->count,
				       (unsigned long long)ev->phys, (unsigned long long)ev->len, r,
				       (unsigned long long)rg->phys, (unsigned long long)rg->len);
			break;
		}
		return;
	}
	if (ev->count < PCI_NUM_BARS &&
	    (!(ev->flags & VFIO_EXPORTF_BAR_REQUESTED) ||
	     (ev->flags & VFIO_EXPORTF_NON_MAPPABLE)) &&
	    buf_once(b, K_F7))
		report(cs, K_F7, ev, ev->dev,
		       "dma-buf %llu (exporter %s): exported from region %u %s",
		       (unsigned long long)b->id, buf_dev_name(b), ev->count,
		       ev->flags & VFIO_EXPORTF_NON_MAPPABLE ?
			       "of a device with non_mappable_bars" :
			       "whose BAR resources were never requested");
}

static void on_release(struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_find(d, ev->aux);
	struct dbc_dev *dv;

	if (!b)
		return;
	b->released = true;
	dv = dev_get(d, b->dev);
	if (dv && dv->inflight_id == b->id)
		dv->inflight_released = true;
}

static void on_provider_release(struct checkers *cs, struct dmabuf_check *d,
				const struct sim_event *ev)
{
	struct dbc_dev *dv = dev_get(d, ev->dev);

	if (!dv)
		return;
	dv->providers_released = true;
	for (size_t i = 0; i < d->nr_bufs; i++) {
		struct dbc_buf *b = d->bufs[i];

		if (b->dev != dv->dev || b->released)
			continue;
		if ((b->live_maps || b->iommu_maps > 0 || b->vdev) && buf_once(b, K_F5))
			report(cs, K_F5, ev, ev->dev,
			       "dma-buf %llu (exporter %s): devm frees the p2pdma providers while "
			       "it %s",
			       (unsigned long long)b->id, buf_dev_name(b),
			       b->vdev ? "is still registered with the device" :
					 "still has mappings");
	}
}

/* --- importers and DMA -------------------------------------------------------------------- */

static void on_importer_hw(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_find(d, ev->aux);
	struct dbc_attach *a = !b	? NULL :
			       ev->phys ? att_find(b, ev->phys) :
					  att_by_dev(b, ev->dev);
	struct dbc_dev *exporter;

	if (!b)
		return;
	if (a && a->detached)
		a = NULL; /* iommufd frees its pages after the detach: nothing attached */
	exporter = dev_get(d, b->dev);
	switch (ev->flags) {
	case IMPORTER_HW_MKEY_ENABLE:
		if (a)
			a->mkey_enabled = true;
		break;
	case IMPORTER_HW_MKEY_ZAP:
	case IMPORTER_HW_MKEY_REVOKE:
		if (a)
			a->mkey_enabled = false;
		break;
	case IMPORTER_HW_IOMMU_MAP:
		b->iommu_maps++;
		if (b->dev && b->revoked && buf_once(b, K_R5))
			report(cs, K_R5, ev, ev->dev,
			       "dma-buf %llu (exporter %s): iommufd maps IOVA %#llx for %s while "
			       "the dma-buf is revoked",
			       (unsigned long long)b->id, buf_dev_name(b),
			       (unsigned long long)ev->addr, check_dev_name(ev->dev));
		if (exporter && exporter->providers_released && buf_once(b, K_F5))
			report(cs, K_F5, ev, ev->dev,
			       "dma-buf %llu (exporter %s): iommufd maps it after devm freed the "
			       "providers",
			       (unsigned long long)b->id, buf_dev_name(b));
		break;
	case IMPORTER_HW_IOMMU_UNMAP:
		if (b->iommu_maps)
			b->iommu_maps--;
		break;
	case IMPORTER_HW_PAGES_FREED:
		if (a && buf_once(b, K_F11))
			report(cs, K_F11, ev, ev->dev,
			       "dma-buf %llu (exporter %s): iommufd freed its pages while still "
			       "attached (attachment %llu): a revoke can call back into freed "
			       "memory",
			       (unsigned long long)b->id, buf_dev_name(b),
			       (unsigned long long)a->id);
		break;
	case IMPORTER_HW_ACCESS_PIN:
		if (buf_once(b, K_A3))
			report(cs, K_A3, ev, ev->dev,
			       "dma-buf %llu (exporter %s): an iommufd access (GUP) pin of the "
			       "dma-buf backed pages succeeded: a pin that no revoke can stop",
			       (unsigned long long)b->id, buf_dev_name(b));
		break;
	default:
		break;
	}
}

/* A TLP landed: importer DMA into the exported ranges of a revoked dma-buf (R4, R11). */
static void on_tlp(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	for (size_t i = 0; i < d->nr_bufs; i++) {
		struct dbc_buf *b = d->bufs[i];
		struct dbc_attach *a;
		bool inside = false;

		if (!b->nr_ranges || !b->revoked || b->released)
			continue;
		for (unsigned int r = 0; r < b->nr_ranges && !inside; r++)
			inside = ev->phys >= b->ranges[r].phys &&
				 ev->phys - b->ranges[r].phys < b->ranges[r].len;
		if (!inside)
			continue;
		a = att_by_dev(b, ev->dev);
		if (!a)
			continue; /* not one of its importers */
		if (b->revoke_done) {
			if (buf_once(b, K_R4))
				report(cs, K_R4, ev, ev->dev,
				       "dma-buf %llu (exporter %s): %s (attachment %llu) DMA of %llu "
				       "bytes reached the BAR at %#llx after the revoke returned",
				       (unsigned long long)b->id, buf_dev_name(b),
				       check_dev_name(ev->dev), (unsigned long long)a->id,
				       (unsigned long long)ev->len, (unsigned long long)ev->phys);
		} else if (a->invalidated && buf_once(b, K_R11)) {
			report(cs, K_R11, ev, ev->dev,
			       "dma-buf %llu (exporter %s): %s (attachment %llu) DMA reached the BAR "
			       "at %#llx after its invalidate callback, before mapping again",
			       (unsigned long long)b->id, buf_dev_name(b), check_dev_name(ev->dev),
			       (unsigned long long)a->id, (unsigned long long)ev->phys);
		}
	}
}

static void on_warn(struct checkers *cs, struct dmabuf_check *d, const struct sim_event *ev)
{
	struct dbc_buf *b = buf_find(d, ev->aux);
	const char *what;
	enum dbc_kind k;

	switch (ev->flags) {
	case DMABUF_WARN_OOPS:
		k = K_OOPS;
		what = "a NULL or freed pointer dereference";
		break;
	case DMABUF_WARN_UNINIT_LOCK:
		k = K_OOPS;
		what = "a lock used before it was initialised (lockdep: non-static key)";
		break;
	case DMABUF_WARN_USE_AFTER_FREE:
		k = K_UAF;
		what = "use after free";
		break;
	case DMABUF_WARN_DOUBLE_FREE:
		k = K_UAF;
		what = "double free";
		break;
	case DMABUF_WARN_ATTACHMENTS_AT_RELEASE:
		k = K_UAF;
		what = "release with attachments still listed (they point at a freed dma-buf)";
		break;
	default:
		return; /* plain WARN_ONs come with the rule they belong to */
	}
	report(cs, k, ev, b ? b->dev : NULL, "%s (object %llu%s%s)", what,
	       (unsigned long long)ev->aux, b ? ", exporter " : "", b ? buf_dev_name(b) : "");
}

/* --- entry points ---------------------------------------------------------------------- */

void dmabuf_check_event(struct checkers *cs, const struct sim_event *ev)
{
	struct dmabuf_check *d;

	if (ev->kind == EV_TLP_DELIVERED) {
		if (cs->dmabuf)
			on_tlp(cs, cs->dmabuf, ev);
		return;
	}
	if (ev->kind == EV_P2P_MAP) {
		struct dbc_dev *dv;

		if (cs->dmabuf && (dv = dev_get(cs->dmabuf, ev->dev)))
			dv->last_map_type = ev->flags;
		return;
	}
	if (ev->kind < EV_DMABUF_EXPORT ||
	    (ev->kind > EV_IMPORTER_DMA && ev->kind != EV_DMABUF_FENCE))
		return;
	d = dbc(cs);
	if (!d)
		return;
	switch (ev->kind) {
	case EV_DMABUF_EXPORT: {
		struct dbc_buf *b = ev->ret ? NULL : buf_get(d, ev->aux);

		if (b)
			b->size = ev->len;
		break;
	}
	case EV_DMABUF_RELEASE:
		on_release(d, ev);
		break;
	case EV_DMABUF_FILE: {
		struct dbc_buf *b = buf_find(d, ev->aux);

		if (!b)
			break;
		b->file_count = ev->count;
		/* L4: get / put / fd / close by a thread holding the dma-buf's own resv */
		if (b->resv_writer >= 0 && b->resv_writer == (int)ev->addr && buf_once(b, K_L4))
			report(cs, K_L4, ev, b->dev,
			       "dma-buf %llu (exporter %s): thread %d takes or drops a file "
			       "reference (%s) while holding its resv",
			       (unsigned long long)b->id, buf_dev_name(b), (int)ev->addr,
			       ev->flags == DMABUF_FILE_FD  ? "dma_buf_fd()" :
			       ev->flags == DMABUF_FILE_GET ? "dma_buf_get()" :
			       ev->flags == DMABUF_FILE_PUT ? "dma_buf_put()" :
							      "close()");
		break;
	}
	case EV_DMABUF_ATTACH:
		on_attach(cs, d, ev);
		break;
	case EV_DMABUF_DETACH:
		on_detach(cs, d, ev);
		break;
	case EV_DMABUF_PIN:
	case EV_DMABUF_UNPIN:
		on_pin(cs, d, ev);
		break;
	case EV_DMABUF_MAP:
		on_map(cs, d, ev);
		break;
	case EV_DMABUF_UNMAP:
		on_unmap(cs, d, ev);
		break;
	case EV_DMABUF_SG_ENTRY:
		on_sg_entry(d, ev);
		break;
	case EV_DMABUF_INVALIDATE_CB:
		on_invalidate_cb(d, ev);
		break;
	case EV_DMABUF_INVALIDATE:
		on_invalidate(cs, d, ev);
		break;
	case EV_DMABUF_FENCE:
		on_fence(d, ev);
		break;
	case EV_DMABUF_FENCE_WAIT:
		on_fence_wait(cs, d, ev);
		break;
	case EV_DMABUF_REVOKE_BEGIN:
		on_revoke_begin(cs, d, ev);
		break;
	case EV_DMABUF_REVOKE_END:
		on_revoke_end(cs, d, ev);
		break;
	case EV_DMABUF_STATE:
		on_state(cs, d, ev);
		break;
	case EV_DMABUF_KREF:
		on_kref(cs, d, ev);
		break;
	case EV_DMABUF_COMPLETION:
		on_completion(cs, d, ev);
		break;
	case EV_DMABUF_LOCK:
		on_lock(cs, d, ev);
		break;
	case EV_DMABUF_UNLOCK:
		on_unlock(cs, d, ev);
		break;
	case EV_DMABUF_LOCK_ASSERT:
		on_lock_assert(cs, d, ev);
		break;
	case EV_DMABUF_WARN:
		on_warn(cs, d, ev);
		break;
	case EV_VFIO_HW_EVENT:
		on_hw_event(cs, d, ev);
		break;
	case EV_VFIO_REGISTRATION:
		on_registration(cs, d, ev);
		break;
	case EV_VFIO_EXPORT:
		on_vfio_export(cs, d, ev);
		break;
	case EV_P2PDMA_PROVIDER_RELEASE:
		on_provider_release(cs, d, ev);
		break;
	case EV_IMPORTER_HW:
		on_importer_hw(cs, d, ev);
		break;
	default:
		break;
	}
}

void dmabuf_check_free(struct checkers *cs)
{
	struct dmabuf_check *d = cs->dmabuf;

	if (!d)
		return;
	for (size_t i = 0; i < d->nr_bufs; i++) {
		free(d->bufs[i]->ranges);
		free(d->bufs[i]->att);
		free(d->bufs[i]->sg);
		free(d->bufs[i]);
	}
	free(d->bufs);
	for (size_t i = 0; i < d->nr_devs; i++)
		free(d->devs[i]);
	free(d->devs);
	free(d->held);
	free(d);
	cs->dmabuf = NULL;
}
