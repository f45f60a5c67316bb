// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmabuf.c - scenario steps for dma-buf, VFIO and device events
 * (dmabuf.h, docs/scenario.md). Each step calls the kernel model of
 * src/dma-buf, src/vfio and src/importers the way a VFIO user, an RDMA
 * driver or iommufd would, with no extra checking: the point of a scenario
 * is to show what the kernel does (and what the checkers say).
 *
 *   vfio-bind DEV [set=] [variant=nvgrace] [reset=] [non-mappable-bars=] [owned=] [ops=none]
 *                        vfio_pci_core_init_dev + register, not opened
 *   vfio-open DEV        vfio_pci_core_open_device (binding with defaults first)
 *   vfio-mmap DEV bar=N  vfio_pci_core_setup_barmap (what mmap / read / write do)
 *   dmabuf-export NAME DEV bar=N ...
 *                        VFIO_DEVICE_FEATURE_DMA_BUF; NAME holds the fd
 *   dmabuf-import IMP NAME DEV as=KIND ...
 *                        mlx5_ib_reg_user_mr_dmabuf, irdma_reg_user_mr_dmabuf,
 *                        rdma_reg_user_mr_dmabuf_pinned, iopt_map_dmabuf, a plain
 *                        dynamic importer, dma_buf_attach
 *   dmabuf-map / -unmap / -dma / -release / -access-pin IMP
 *   dmabuf-close / -fence / -signal NAME
 *   event DEV KIND [fail=...]   the revoke triggers of reference §2.8
 *
 * Device-fd operations (export, mmap, config-space events, resets, low
 * power, close) need an open device: without one they fail EBADF, as the
 * syscall on a missing fd would.
 *
 * The route oracle is told, for every importer DMA, which bytes the scenario
 * meant it to reach: the CPU addresses of the ranges the scenario asked to
 * export (not the exporter's own phys_vec, so an exporter that maps the
 * wrong memory is caught), and whether the importer's mapping is live or
 * revoked: revoked when the dma-buf is revoked now or was revoked since the
 * importer made that mapping (counted from EV_DMABUF_REVOKE_BEGIN).
 *
 * Owned here: struct scn_dmabuf (the kernel instance, VFIO devices and sets,
 * dma-bufs and importers by scenario symbol).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/iommu/iommu_hw.h"
#include "sim/scenario/dmabuf.h"
#include "src/dma-buf/dma-buf.h"
#include "src/importers/iommufd_pages.h"
#include "src/importers/rdma_umem_dmabuf.h"
#include "src/iommu/iommu.h"
#include "src/pci/p2pdma.h"
#include "src/vfio/vfio_pci_dmabuf.h"

#define STDIO_FDS 3 /* stdin, stdout, stderr: dma-buf fds start at 3 */
#define DEFAULT_FD_LIMIT 64
#define DEFAULT_IOVA 0x10000000ULL
#define HEADER_ARGSZ 16 /* struct vfio_device_feature_dma_buf without its ranges */
#define RANGE_ARGSZ 16 /* struct vfio_region_dma_range */
/* memdup_array_user() copies at most this many ranges before it refuses */
#define MAX_USER_RANGES (KMALLOC_MAX_SIZE / sizeof(struct vfio_region_dma_range))
/* the simulated thread that holds a memory_lock for fail=busy:DEV (a fault handler) */
#define BUSY_THREAD 1000
/* region 4 of the nvgrace variant (usemem): the device memory sits at BAR 2's addresses */
#define NVGRACE_DEVMEM_BAR 2

/* The bytes behind a dma-buf as the scenario asked for them, in dma-buf order. */
struct layout {
	struct dma_buf_phys_vec *ranges;
	u32 nr;
};

struct vfio_slot {
	bool bound;
	bool nvgrace;
	struct nvgrace_gpu_pci_core_device nv; /* nv.core_device is the VFIO device */
};

struct set_slot {
	char *name; /* NULL: a device's own set */
	struct vfio_device_set set;
};

struct buf_slot {
	int fd; /* -1: none (never exported, probe, failed, closed) */
	struct dma_buf *dmabuf; /* valid until EV_DMABUF_RELEASE of @id */
	u64 id;
	struct layout layout;
	const struct pci_dev *exporter;
};

struct imp_slot {
	bool live;
	enum scn_importer_kind kind;
	const char *name;
	struct device *dev;
	struct layout layout; /* a copy: the name may be re-exported meanwhile */
	u64 off, len; /* the importer's window inside the dma-buf */
	u64 dmabuf_id;
	int p2p_map_type;
	u64 map_epoch; /* revokes of the dma-buf when the current mapping was made */
	struct mlx5_ib_mr *mlx5;
	struct irdma_mr *irdma; /* irdma and rdma-pinned */
	struct iopt_pages *pages;
	struct iommu_domain *domain; /* iommufd: the importing device's paging domain */
	u64 iova;
	bool filled;
	/* dynamic / static */
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	bool defer_unmap;
};

struct dmabuf_seen {
	u64 id;
	u64 revokes;
	bool released;
};

struct scn_dmabuf {
	struct scn_dmabuf_env env;
	struct dmabuf_sys sys;
	struct vfio_slot *vfio; /* per world device */
	struct set_slot *sets; /* at most one per world device */
	size_t nr_sets;
	struct buf_slot *bufs; /* per scenario symbol */
	struct imp_slot *imps; /* per scenario symbol */
	size_t nr_syms;
	struct dmabuf_seen *seen;
	size_t nr_seen, cap_seen;
	bool fault_seen; /* the first TLP fault of the current dmabuf-dma */
	enum route_status fault;
	bool subscribed;
	bool torn_down;
};

static void misuse(struct scn_dmabuf_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void misuse(struct scn_dmabuf_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->misuse, sizeof(res->misuse), fmt, ap);
	va_end(ap);
}

static void outcome(struct scn_dmabuf_result *res, int ret)
{
	res->has_outcome = true;
	if (ret < 0) {
		res->failed = true;
		res->err = ret;
	}
}

static const char *sym_name(const struct scn_dmabuf *d, int sym)
{
	return d->env.scn->syms[sym].name;
}

/* --- what the bus tells us ------------------------------------------------------------ */

static struct dmabuf_seen *seen(struct scn_dmabuf *d, u64 id)
{
	for (size_t i = 0; i < d->nr_seen; i++)
		if (d->seen[i].id == id)
			return &d->seen[i];
	if (d->nr_seen == d->cap_seen) {
		size_t cap = d->cap_seen ? d->cap_seen * 2 : 16;
		struct dmabuf_seen *s = realloc(d->seen, cap * sizeof(*s));

		if (!s)
			return NULL;
		d->seen = s;
		d->cap_seen = cap;
	}
	d->seen[d->nr_seen] = (struct dmabuf_seen){ .id = id };
	return &d->seen[d->nr_seen++];
}

static void on_event(void *ctx, const struct sim_event *ev)
{
	struct scn_dmabuf *d = ctx;
	struct dmabuf_seen *s;

	switch (ev->kind) {
	case EV_DMABUF_REVOKE_BEGIN:
		if (ev->flags && (s = seen(d, ev->aux)))
			s->revokes++;
		break;
	case EV_DMABUF_RELEASE:
		if ((s = seen(d, ev->aux)))
			s->released = true;
		break;
	case EV_TLP_FAULTED:
		if (!d->fault_seen) {
			d->fault_seen = true;
			d->fault = (enum route_status)ev->aux;
		}
		break;
	default:
		break;
	}
}

static u64 revokes_of(struct scn_dmabuf *d, u64 id)
{
	struct dmabuf_seen *s = seen(d, id);

	return s ? s->revokes : 0;
}

static bool released(struct scn_dmabuf *d, u64 id)
{
	struct dmabuf_seen *s = seen(d, id);

	return !s || s->released;
}

/* --- life cycle ------------------------------------------------------------------------ */

struct scn_dmabuf *scn_dmabuf_new(const struct scn_dmabuf_env *env)
{
	const struct kernel_profile *profile = env->profile ? env->profile : env->w->p2pdma.profile;
	unsigned int limit =
		env->scn->fd_limit ? (unsigned int)env->scn->fd_limit : DEFAULT_FD_LIMIT;
	size_t nr_devs = env->w->nr_devs ? env->w->nr_devs : 1;
	size_t nr_syms = env->scn->nr_syms ? env->scn->nr_syms : 1;
	struct scn_dmabuf *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->env = *env;
	d->nr_syms = env->scn->nr_syms;
	d->vfio = calloc(nr_devs, sizeof(*d->vfio));
	d->sets = calloc(nr_devs, sizeof(*d->sets));
	d->bufs = calloc(nr_syms, sizeof(*d->bufs));
	d->imps = calloc(nr_syms, sizeof(*d->imps));
	if (!d->vfio || !d->sets || !d->bufs || !d->imps ||
	    dmabuf_sys_init(&d->sys, env->w->m, profile, env->bugs, limit - STDIO_FDS))
		goto fail;
	for (size_t i = 0; i < d->nr_syms; i++)
		d->bufs[i].fd = -1;
	if (event_bus_subscribe(&env->w->m->events, on_event, d))
		goto fail;
	d->subscribed = true;
	return d;
fail:
	scn_dmabuf_free(d);
	return NULL;
}

static void layout_free(struct layout *l)
{
	free(l->ranges);
	memset(l, 0, sizeof(*l));
}

static int layout_copy(struct layout *dst, const struct layout *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src->nr)
		return 0;
	dst->ranges = malloc(src->nr * sizeof(*dst->ranges));
	if (!dst->ranges)
		return -ENOMEM;
	memcpy(dst->ranges, src->ranges, src->nr * sizeof(*dst->ranges));
	dst->nr = src->nr;
	return 0;
}

static struct dma_buf *imp_dmabuf(const struct imp_slot *imp)
{
	if (imp->mlx5)
		return imp->mlx5->umem->attach->dmabuf;
	if (imp->irdma)
		return imp->irdma->umem->attach->dmabuf;
	if (imp->pages)
		return imp->pages->dmabuf;
	return imp->dmabuf;
}

/*
 * A plain dynamic importer's own unmap, under the resv like its invalidate
 * callback: when a revoke on another thread races it, whichever runs first
 * unmaps and the other finds nothing (reading imp->sgt outside the resv let
 * both unmap one table: a use after free ASan found through the fuzzer).
 */
static void dynamic_unmap(struct imp_slot *imp)
{
	dma_resv_lock(&imp->dmabuf->resv);
	if (imp->sgt)
		dma_buf_unmap_attachment(imp->attach, imp->sgt, DMA_BIDIRECTIONAL);
	imp->sgt = NULL;
	dma_resv_unlock(&imp->dmabuf->resv);
}

static void release_importer(struct imp_slot *imp)
{
	switch (imp->kind) {
	case SCN_IMP_MLX5:
		mlx5_ib_dereg_mr(imp->mlx5);
		break;
	case SCN_IMP_IRDMA:
	case SCN_IMP_RDMA_PINNED:
		irdma_dereg_mr(imp->irdma);
		break;
	case SCN_IMP_IOMMUFD:
		iopt_release_pages(imp->pages);
		iommu_domain_free(imp->domain);
		break;
	default: /* dynamic, static: unmap, detach, put */
		dynamic_unmap(imp);
		dma_buf_detach(imp->dmabuf, imp->attach);
		dma_buf_put(imp->dmabuf);
		break;
	}
	layout_free(&imp->layout);
	memset(imp, 0, sizeof(*imp));
}

void scn_dmabuf_teardown(struct scn_dmabuf *d)
{
	if (!d || d->torn_down)
		return;
	d->torn_down = true;
	/* process exit: the RDMA / iommufd objects go with their files first */
	for (size_t i = 0; i < d->nr_syms; i++)
		if (d->imps[i].live)
			release_importer(&d->imps[i]);
	for (unsigned int i = 0; i < d->sys.max_fds; i++)
		if (d->sys.fds && d->sys.fds[i])
			dma_buf_close_fd(&d->sys, (int)i + STDIO_FDS);
	for (size_t i = 0; i < d->env.w->nr_devs; i++) {
		struct vfio_pci_core_device *vdev = &d->vfio[i].nv.core_device;

		while (d->vfio[i].bound && vdev->open_count)
			vfio_pci_core_close_device(vdev);
	}
	/* then the driver is unbound from every device it was bound to */
	for (size_t i = 0; i < d->env.w->nr_devs; i++)
		if (d->vfio[i].bound && !d->vfio[i].nv.core_device.unregistering)
			vfio_pci_core_unregister_device(&d->vfio[i].nv.core_device);
}

void scn_dmabuf_free(struct scn_dmabuf *d)
{
	if (!d)
		return;
	if (d->subscribed)
		scn_dmabuf_teardown(d);
	if (d->subscribed)
		event_bus_unsubscribe(&d->env.w->m->events, on_event, d);
	for (size_t i = 0; d->bufs && i < d->nr_syms; i++)
		layout_free(&d->bufs[i].layout);
	for (size_t i = 0; d->sets && i < d->nr_sets; i++) {
		vfio_device_set_destroy(&d->sets[i].set);
		free(d->sets[i].name);
	}
	dmabuf_sys_destroy(&d->sys);
	free(d->vfio);
	free(d->sets);
	free(d->bufs);
	free(d->imps);
	free(d->seen);
	free(d);
}

struct dmabuf_sys *scn_dmabuf_sys(struct scn_dmabuf *d)
{
	return d ? &d->sys : NULL;
}

/* --- VFIO devices ------------------------------------------------------------------------ */

static struct vfio_slot *slot_of(struct scn_dmabuf *d, const struct device *dev)
{
	return &d->vfio[dev - d->env.w->devs];
}

static struct vfio_pci_core_device *bound_vdev(struct scn_dmabuf *d, const struct device *dev)
{
	struct vfio_slot *s = dev ? slot_of(d, dev) : NULL;

	return s && s->bound ? &s->nv.core_device : NULL;
}

static struct vfio_device_set *find_set(struct scn_dmabuf *d, const char *name)
{
	struct set_slot *s;

	for (size_t i = 0; name && i < d->nr_sets; i++)
		if (d->sets[i].name && !strcmp(d->sets[i].name, name))
			return &d->sets[i].set;
	s = &d->sets[d->nr_sets];
	if (name && !(s->name = strdup(name)))
		return NULL;
	vfio_device_set_init(&s->set, &d->sys);
	d->nr_sets++;
	return &s->set;
}

static int vfio_bind(struct scn_dmabuf *d, struct device *dev, const struct scn_dmabuf_args *a)
{
	struct vfio_slot *s = slot_of(d, dev);
	struct vfio_pci_core_device *vdev = &s->nv.core_device;
	const struct vfio_pci_device_ops *ops = &vfio_pci_core_dev_ops;
	struct vfio_device_set *set = find_set(d, a ? a->set : NULL);
	int ret;

	if (!set)
		return -ENOMEM;
	if (a && a->ops_none)
		ops = NULL;
	else if (a && a->nvgrace)
		ops = &nvgrace_gpu_pci_dev_ops;
	memset(&s->nv, 0, sizeof(s->nv));
	ret = vfio_pci_core_init_dev(vdev, &d->sys, dev->pdev, &d->env.w->p2pdma, ops, set);
	s->bound = true; /* it is on the set's list whatever happened */
	if (a && a->nvgrace) {
		const struct pci_bar *bar = &dev->pdev->bars[NVGRACE_DEVMEM_BAR];

		s->nvgrace = true;
		if (bar->kind == PCI_BAR_MEM32 || bar->kind == PCI_BAR_MEM64) {
			s->nv.usemem_phys = bar->cpu_addr;
			s->nv.usemem_len = bar->size_bytes;
		}
	}
	if (a && a->reset)
		vdev->reset_works = a->reset == SCN_YES;
	if (a && a->non_mappable_bars)
		vdev->non_mappable_bars = a->non_mappable_bars == SCN_YES;
	if (a && a->owned)
		vdev->owned_by_user = a->owned == SCN_YES;
	return ret;
}

/* Where region @region's bytes are, as the user sees the region. */
static void region_base(const struct vfio_slot *s, int region, phys_addr_t *base, u64 *size)
{
	const struct pci_dev *pdev = s->nv.core_device.pdev;

	*base = 0;
	*size = 0;
	if (s->nvgrace && region == USEMEM_REGION_INDEX) {
		*base = s->nv.usemem_phys;
		*size = s->nv.usemem_len;
	} else if (region >= 0 && region < PCI_NUM_BARS &&
		   (pdev->bars[region].kind == PCI_BAR_MEM32 ||
		    pdev->bars[region].kind == PCI_BAR_MEM64)) {
		*base = pdev->bars[region].cpu_addr;
		*size = pdev->bars[region].size_bytes;
	}
}

/* --- export -------------------------------------------------------------------------------- */

static void do_export(struct scn_dmabuf *d, const struct scn_step *st, struct device *dev,
		      struct scn_dmabuf_result *res)
{
	static const u32 features[] = {
		VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF,
		VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_BUF,
		VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF,
	};
	const struct scn_dmabuf_args *a = st->dmabuf;
	struct vfio_pci_core_device *vdev = bound_vdev(d, dev);
	struct buf_slot *b = &d->bufs[a->buf_sym];
	struct vfio_device_feature_dma_buf arg = { 0 };
	struct vfio_region_dma_range *user;
	u64 nr = a->ranges ? a->nr_ranges_listed : 1, nr_alloc;
	phys_addr_t base;
	u64 size;
	int ret;

	if (!vdev || !vdev->open_count) {
		outcome(res, -EBADF); /* no device fd */
		return;
	}
	region_base(slot_of(d, dev), a->bar, &base, &size);
	if (a->nr_ranges_given)
		nr = a->nr_ranges;
	/* the user buffer: the listed ranges, then zeros as far as the kernel may read */
	nr_alloc = nr > MAX_USER_RANGES ? a->nr_ranges_listed : nr;
	if (nr_alloc < a->nr_ranges_listed)
		nr_alloc = a->nr_ranges_listed;
	user = calloc(nr_alloc ? nr_alloc : 1, sizeof(*user));
	if (!user) {
		outcome(res, -ENOMEM);
		return;
	}
	if (a->ranges) {
		for (u32 i = 0; i < a->nr_ranges_listed; i++)
			user[i] = (struct vfio_region_dma_range){ a->ranges[i].off,
								  a->ranges[i].len };
	} else if (nr_alloc) {
		user[0] = (struct vfio_region_dma_range){ 0, size }; /* the whole region */
	}
	arg.region_index = (u32)a->bar;
	arg.flags = (u32)a->flags;
	arg.nr_ranges = (u32)nr;
	arg.dma_ranges = a->ranges_unreadable ? NULL : user;
	ret = vfio_pci_core_feature_dma_buf(vdev, features[a->feature], &arg,
					    a->argsz_given ? a->argsz :
							     HEADER_ARGSZ + nr * RANGE_ARGSZ);
	outcome(res, ret);
	if (ret >= STDIO_FDS) {
		/* NAME now holds this fd; what it was meant to reach, from the request */
		layout_free(&b->layout);
		b->fd = ret;
		b->dmabuf = d->sys.fds[ret - STDIO_FDS];
		b->id = b->dmabuf->id;
		b->exporter = dev->pdev;
		b->layout.ranges = calloc(nr, sizeof(*b->layout.ranges));
		if (b->layout.ranges) {
			for (u64 i = 0; i < nr; i++)
				b->layout.ranges[i] =
					(struct dma_buf_phys_vec){ base + user[i].offset,
								   user[i].length };
			b->layout.nr = (u32)nr;
		}
		seen(d, b->id);
	}
	free(user);
}

/* --- importers ---------------------------------------------------------------------------- */

/* A plain dynamic importer: invalidate unmaps at once, or leaves it to dmabuf-unmap. */
static void dynamic_invalidate(struct dma_buf_attachment *attach)
{
	struct imp_slot *imp = attach->importer_priv;

	if (!imp->sgt || imp->defer_unmap)
		return;
	dma_buf_unmap_attachment(attach, imp->sgt, DMA_BIDIRECTIONAL);
	imp->sgt = NULL;
}

static const struct dma_buf_attach_ops dynamic_importer_ops = {
	.allow_peer2peer = true,
	.invalidate_mappings = dynamic_invalidate,
};

static int import_attach(struct scn_dmabuf *d, struct imp_slot *imp, int fd, bool dynamic)
{
	struct dma_buf *dmabuf = dma_buf_get(&d->sys, fd);
	u64 end;

	if (IS_ERR(dmabuf))
		return (int)PTR_ERR(dmabuf);
	if (__builtin_add_overflow(imp->off, imp->len, &end) || end > dmabuf->size) {
		dma_buf_put(dmabuf);
		return -EINVAL;
	}
	imp->attach = dynamic ?
			      dma_buf_dynamic_attach(dmabuf, imp->dev, &dynamic_importer_ops, imp) :
			      dma_buf_attach(dmabuf, imp->dev);
	if (IS_ERR(imp->attach)) {
		int ret = (int)PTR_ERR(imp->attach);

		imp->attach = NULL;
		dma_buf_put(dmabuf);
		return ret;
	}
	imp->dmabuf = dmabuf;
	return 0;
}

static int import_iommufd(struct scn_dmabuf *d, struct imp_slot *imp, int fd,
			  struct scn_dmabuf_result *res)
{
	struct iommu_hw *hw = machine_iommu_for(d->env.w->m, imp->dev->pdev);
	struct iopt_pages *pages;

	if (!hw) {
		misuse(res, "'%s' has no IOMMU: iommufd needs one", imp->dev->name);
		return 0;
	}
	imp->domain = iommu_domain_alloc(hw, IOMMU_DOMAIN_UNMANAGED);
	if (!imp->domain)
		return -ENOMEM;
	pages = iopt_map_dmabuf(&d->sys, imp->dev, fd);
	if (IS_ERR(pages)) {
		iommu_domain_free(imp->domain);
		imp->domain = NULL;
		return (int)PTR_ERR(pages);
	}
	imp->pages = pages;
	imp->off = 0;
	imp->len = pages->dmabuf->size;
	return 0;
}

static void do_import(struct scn_dmabuf *d, const struct scn_step *st, struct device *dev,
		      struct scn_dmabuf_result *res)
{
	const struct scn_dmabuf_args *a = st->dmabuf;
	struct imp_slot *imp = &d->imps[a->imp_sym];
	struct buf_slot *b = &d->bufs[a->buf_sym];
	struct dma_buf *dmabuf = b->fd >= STDIO_FDS ? d->sys.fds[b->fd - STDIO_FDS] : NULL;
	struct pci_router *router = d->env.router;
	u64 size = dmabuf ? dmabuf->size : 0;
	void *obj = NULL;
	int ret = 0;

	if (imp->live) {
		misuse(res, "'%s' still imports a dma-buf: dmabuf-release it first",
		       sym_name(d, a->imp_sym));
		return;
	}
	memset(imp, 0, sizeof(*imp));
	imp->kind = a->kind;
	imp->name = sym_name(d, a->imp_sym);
	imp->dev = dev;
	imp->off = a->off;
	imp->len = a->len_given ? a->len : (size > a->off ? size - a->off : 0);
	imp->iova = a->iova_given ? a->iova : DEFAULT_IOVA;
	imp->defer_unmap = a->defer_unmap;
	switch (a->kind) {
	case SCN_IMP_MLX5:
		obj = mlx5_ib_reg_user_mr_dmabuf(&d->sys, dev, router, imp->off, imp->len, b->fd);
		if (!IS_ERR(obj))
			imp->mlx5 = obj;
		break;
	case SCN_IMP_IRDMA:
		obj = irdma_reg_user_mr_dmabuf(&d->sys, dev, router, imp->off, imp->len, b->fd);
		if (!IS_ERR(obj))
			imp->irdma = obj;
		break;
	case SCN_IMP_RDMA_PINNED:
		obj = rdma_reg_user_mr_dmabuf_pinned(&d->sys, dev, router, imp->off, imp->len,
						     b->fd);
		if (!IS_ERR(obj))
			imp->irdma = obj;
		break;
	case SCN_IMP_IOMMUFD:
		ret = import_iommufd(d, imp, b->fd, res);
		break;
	default:
		ret = import_attach(d, imp, b->fd, a->kind == SCN_IMP_DYNAMIC);
		break;
	}
	if (IS_ERR(obj))
		ret = (int)PTR_ERR(obj);
	if (res->misuse[0])
		return;
	outcome(res, ret);
	if (ret)
		return;
	imp->live = true;
	dmabuf = imp_dmabuf(imp);
	imp->dmabuf_id = dmabuf->id;
	imp->map_epoch = revokes_of(d, imp->dmabuf_id);
	if (imp->dmabuf_id == b->id && layout_copy(&imp->layout, &b->layout))
		misuse(res, "out of memory");
	if (a->kind == SCN_IMP_IOMMUFD) {
		imp->p2p_map_type = PCI_P2PDMA_MAP_THRU_HOST_BRIDGE; /* always through the IOMMU */
	} else if (b->exporter && d->env.w->p2pdma_ready) {
		int dist;

		imp->p2p_map_type = calc_map_type_and_dist(&d->env.w->p2pdma, b->exporter,
							   dev->pdev, &dist, false);
	}
}

static void do_map(struct scn_dmabuf *d, struct imp_slot *imp, struct scn_dmabuf_result *res)
{
	struct sg_table *sgt;

	switch (imp->kind) {
	case SCN_IMP_MLX5: /* the HCA's page-fault path */
		outcome(res, pagefault_dmabuf_mr(imp->mlx5));
		break;
	case SCN_IMP_IRDMA:
	case SCN_IMP_RDMA_PINNED:
		outcome(res, 0); /* mapped at registration */
		return;
	case SCN_IMP_IOMMUFD:
		if (imp->filled) {
			misuse(res, "'%s' is already filled into its domain", imp->name);
			return;
		}
		outcome(res, iopt_area_fill_domain(imp->pages, imp->domain, imp->iova));
		imp->filled = !res->failed;
		break;
	default:
		if (imp->sgt) {
			misuse(res, "'%s' is still mapped: dmabuf-unmap it first", imp->name);
			return;
		}
		/* map and record it in one resv section, as the invalidate callback reads it */
		dma_resv_lock(&imp->dmabuf->resv);
		sgt = dma_buf_map_attachment(imp->attach, DMA_BIDIRECTIONAL);
		if (!IS_ERR(sgt))
			imp->sgt = sgt;
		dma_resv_unlock(&imp->dmabuf->resv);
		outcome(res, IS_ERR(sgt) ? (int)PTR_ERR(sgt) : 0);
		break;
	}
	if (!res->failed)
		imp->map_epoch = revokes_of(d, imp->dmabuf_id);
}

static void do_unmap(struct imp_slot *imp, struct scn_dmabuf_result *res)
{
	switch (imp->kind) {
	case SCN_IMP_MLX5:
	case SCN_IMP_IRDMA:
	case SCN_IMP_RDMA_PINNED:
		misuse(res, "'%s' is an RDMA MR: it is unmapped by invalidation or dmabuf-release",
		       imp->name);
		return;
	case SCN_IMP_IOMMUFD:
		if (imp->filled)
			iopt_area_unfill_domain(imp->pages, imp->domain);
		imp->filled = false;
		break;
	default:
		dynamic_unmap(imp);
		break;
	}
	outcome(res, 0);
}

/* --- importer DMA ------------------------------------------------------------------------ */

/* The device address of dma-buf byte @pos in @sgt and the end of its entry. */
static dma_addr_t sgt_addr(const struct sg_table *sgt, u64 pos, u64 *entry_end)
{
	u64 start = 0;

	*entry_end = ~0ULL;
	for (unsigned int i = 0; sgt && i < sgt->nents; i++) {
		const struct scatterlist *sg = &sgt->sgl[i];

		if (pos - start < sg->dma_length) {
			*entry_end = start + sg->dma_length;
			return sg->dma_address + (pos - start);
		}
		start += sg->dma_length;
	}
	return DMA_MAPPING_ERROR;
}

/* The CPU address dma-buf byte @pos was meant to be, and the end of its range. */
static bool layout_phys(const struct layout *l, u64 pos, phys_addr_t *phys, u64 *range_end)
{
	u64 start = 0;

	for (u32 i = 0; i < l->nr; i++) {
		if (pos - start < l->ranges[i].len) {
			*phys = l->ranges[i].paddr + (pos - start);
			*range_end = start + l->ranges[i].len;
			return true;
		}
		start += l->ranges[i].len;
	}
	return false;
}

struct chunk {
	u64 pos; /* offset in the importer's window */
	u64 len;
	dma_addr_t addr;
	phys_addr_t phys;
	bool phys_known;
};

/* The address the importer's hardware uses for window offset @pos. */
static dma_addr_t imp_addr(const struct imp_slot *imp, u64 pos, u64 *entry_end)
{
	const struct sg_table *sgt = imp->sgt;
	dma_addr_t addr;

	*entry_end = ~0ULL;
	if (imp->kind == SCN_IMP_IOMMUFD)
		return imp->iova + pos;
	if (imp->mlx5)
		sgt = imp->mlx5->umem->sgt;
	else if (imp->irdma)
		sgt = imp->irdma->umem->sgt;
	addr = sgt_addr(sgt, imp->off + pos, entry_end);
	if (*entry_end != ~0ULL)
		*entry_end -= imp->off;
	return addr;
}

static int imp_dma_one(struct scn_dmabuf *d, struct imp_slot *imp, const struct chunk *c, u8 *buf,
		       bool write)
{
	struct sim_event ev = { .kind = EV_IMPORTER_DMA,
				.dev = imp->dev->pdev,
				.aux = imp->dmabuf_id,
				.len = c->len,
				.flags = write };

	switch (imp->kind) {
	case SCN_IMP_MLX5:
		return mlx5_ib_mr_dma(imp->mlx5, c->pos, buf, c->len, write);
	case SCN_IMP_IRDMA:
	case SCN_IMP_RDMA_PINNED:
		return irdma_mr_dma(imp->irdma, c->pos, buf, c->len, write);
	case SCN_IMP_IOMMUFD:
		return iommufd_device_dma(imp->pages, d->env.router, imp->dev->pdev, imp->domain,
					  imp->iova + c->pos, buf, c->len, write);
	default: /* dynamic / static: the device DMAs through its current mapping */
		if (c->addr == DMA_MAPPING_ERROR) {
			ev.ret = -EFAULT;
		} else {
			ev.addr = c->addr;
			ev.ret = pci_route_dma(d->env.router, imp->dev->pdev, imp->dev->domain,
					       c->addr, buf, c->len, write, NULL);
		}
		dmabuf_sys_emit(&d->sys, &ev);
		return ev.ret;
	}
}

static enum dma_intent_state imp_intent_state(struct scn_dmabuf *d, const struct imp_slot *imp)
{
	struct vfio_pci_dma_buf *priv = vfio_pci_dma_buf_priv(imp_dmabuf(imp));

	if (imp->kind == SCN_IMP_IOMMUFD && !imp->filled)
		return DMA_INTENT_UNMAPPED;
	/* iommufd's revoke is for good: a later fill tracks the domain but maps nothing */
	if (imp->kind == SCN_IMP_IOMMUFD && iopt_dmabuf_revoked(imp->pages))
		return DMA_INTENT_REVOKED;
	if ((priv && priv->revoked) || revokes_of(d, imp->dmabuf_id) != imp->map_epoch)
		return DMA_INTENT_REVOKED;
	return DMA_INTENT_LIVE;
}

/* mlx5: a zapped mkey makes the HCA fault first (pagefault_dmabuf_mr re-maps). */
static int mlx5_fault_in(struct scn_dmabuf *d, struct imp_slot *imp, bool write, u64 len)
{
	struct mlx5_ib_mr *mr = imp->mlx5;
	int err;

	if (mr->mkey_freed || mr->mkey_enabled)
		return 0;
	err = pagefault_dmabuf_mr(mr);
	if (err) {
		/* the access completes with an error, as mlx5_ib_mr_dma reports it */
		struct sim_event ev = { .kind = EV_IMPORTER_DMA,
					.dev = imp->dev->pdev,
					.aux = imp->dmabuf_id,
					.len = len,
					.flags = write,
					.ret = err };

		dmabuf_sys_emit(&d->sys, &ev);
		return err;
	}
	imp->map_epoch = revokes_of(d, imp->dmabuf_id);
	return 0;
}

/* Split [off, off + len) of the window at pages, sg entries and layout ranges. */
static size_t make_chunks(const struct imp_slot *imp, u64 off, u64 len, struct chunk *chunks)
{
	size_t n = 0;

	for (u64 pos = off; pos < off + len; n++) {
		u64 dmabuf_pos = imp->off + pos, entry_end, range_end = ~0ULL;
		u64 end = ((dmabuf_pos | (PAGE_SIZE - 1)) + 1) - imp->off;
		struct chunk *c = &chunks[n];

		c->pos = pos;
		c->addr = imp_addr(imp, pos, &entry_end);
		c->phys_known = layout_phys(&imp->layout, dmabuf_pos, &c->phys, &range_end);
		if (entry_end < end)
			end = entry_end;
		if (c->phys_known && range_end - imp->off < end)
			end = range_end - imp->off;
		if (end > off + len)
			end = off + len;
		c->len = end - pos;
		pos = end;
	}
	return n;
}

static void do_dma(struct scn_dmabuf *d, const struct scn_step *st, struct imp_slot *imp,
		   struct scn_dmabuf_result *res)
{
	const struct scn_dmabuf_args *a = st->dmabuf;
	u64 len = a->len_given ? a->len : PAGE_SIZE;
	struct dma_intent intent = { .dev = imp->dev->pdev, .write = a->write };
	struct chunk *chunks;
	size_t nr, i, j;
	int first_err = 0;
	bool faulted = false;
	u8 *buf;

	if (!a->len_given && a->off < imp->len && imp->len - a->off < len)
		len = imp->len - a->off;
	if (a->off >= imp->len || len > imp->len - a->off) {
		misuse(res, "%llu bytes at offset %llu are past the end of '%s' (%llu bytes)",
		       (unsigned long long)len, (unsigned long long)a->off, imp->name,
		       (unsigned long long)imp->len);
		return;
	}
	buf = malloc(len);
	chunks = calloc(len / PAGE_SIZE + 2 + imp->layout.nr, sizeof(*chunks));
	if (!buf || !chunks) {
		free(buf);
		free(chunks);
		misuse(res, "out of memory for a %llu-byte DMA", (unsigned long long)len);
		return;
	}
	if (a->write)
		scn_pattern_fill(&st->data, d->env.seed, 0, buf, len);
	else
		memset(buf, 0, len);
	res->dma = true;
	d->fault_seen = false;
	if (imp->kind == SCN_IMP_MLX5)
		first_err = mlx5_fault_in(d, imp, a->write, len);
	nr = first_err ? 0 : make_chunks(imp, a->off, len, chunks);
	intent.state = imp_intent_state(d, imp);
	intent.p2p_map_type = imp->p2p_map_type;
	intent.handle = imp->name;
	/* one intent per run of chunks contiguous in both address spaces */
	for (i = 0; i < nr && !first_err; i = j) {
		u64 run_len = chunks[i].len;
		bool declared = chunks[i].addr != DMA_MAPPING_ERROR;

		for (j = i + 1; j < nr; j++) {
			if (chunks[j].addr != chunks[i].addr + run_len ||
			    chunks[j].phys_known != chunks[i].phys_known ||
			    chunks[j].phys != chunks[i].phys + run_len)
				break;
			run_len += chunks[j].len;
		}
		if (declared) {
			intent.dma_addr = chunks[i].addr;
			intent.len = run_len;
			intent.expect_phys = chunks[i].phys;
			intent.state =
				chunks[i].phys_known ? imp_intent_state(d, imp) : DMA_INTENT_RAW;
			checkers_dma_begin(d->env.checkers, &intent);
		}
		for (size_t k = i; k < j; k++) {
			u8 *p = buf + (chunks[k].pos - a->off);
			int ret = imp_dma_one(d, imp, &chunks[k], p, a->write);

			if (ret == -EIO) {
				faulted = true;
			} else if (ret) {
				first_err = ret;
				break;
			} else {
				res->dma_bytes += chunks[k].len;
			}
		}
		if (declared)
			checkers_dma_end(d->env.checkers, NULL);
	}
	if (first_err) {
		outcome(res, first_err);
	} else if (faulted) {
		outcome(res, -EIO);
		res->faulted = true;
		res->fault = d->fault_seen ? d->fault : ROUTE_UNSUPPORTED;
	} else {
		outcome(res, 0);
	}
	if (!a->write && st->has_data && !first_err) {
		for (u64 k = 0; k < len; k++) {
			u8 want = scn_pattern_byte(&st->data, d->env.seed, k);
			char desc[64];

			if (buf[k] == want)
				continue;
			scn_pattern_describe(&st->data, desc, sizeof(desc));
			snprintf(res->mismatch, sizeof(res->mismatch),
				 "dmabuf-dma read: byte %llu is 0x%02x, expected %s (0x%02x)",
				 (unsigned long long)k, buf[k], desc, want);
			break;
		}
	}
	free(chunks);
	free(buf);
}

/* --- dma-buf fds and fences ----------------------------------------------------------- */

static struct dma_buf *live_dmabuf(struct scn_dmabuf *d, int sym, struct scn_dmabuf_result *res)
{
	struct buf_slot *b = &d->bufs[sym];

	if (!b->dmabuf || released(d, b->id)) {
		misuse(res, "'%s' holds no dma-buf (its export failed, or it was released)",
		       sym_name(d, sym));
		return NULL;
	}
	return b->dmabuf;
}

static void do_fence(struct scn_dmabuf *d, const struct scn_step *st, struct dma_buf *dmabuf,
		     struct scn_dmabuf_result *res)
{
	int ret = 0;

	if (st->verb == SCN_DMABUF_FENCE) {
		dma_resv_lock(&dmabuf->resv);
		ret = dma_resv_add_fence(&dmabuf->resv, (enum dma_resv_usage)st->dmabuf->usage,
					 st->dmabuf->stuck);
		dma_resv_unlock(&dmabuf->resv);
	} else {
		/*
		 * The engine's completion signals (dma_fence_signal() from its IRQ
		 * or work): no resv, so a waiter holding the resv does not stop it.
		 */
		for (size_t i = 0; i < dmabuf->resv.nr_fences; i++)
			dma_fence_signal(&dmabuf->resv, (int)i);
	}
	(void)d;
	outcome(res, ret < 0 ? ret : 0);
}

/* --- device events ------------------------------------------------------------------------ */

static bool needs_device_fd(enum scn_dev_event ev)
{
	return ev != SCN_EV_WAKE && ev != SCN_EV_UNPLUG;
}

/*
 * fail=busy:DEV: a thread outside the scenario (a CPU fault handler) takes or
 * drops @vdev's memory_lock for read. The scheduler's hooks are kept out of
 * it: that thread is not one of the scenario's.
 */
static void as_busy_thread(struct scn_dmabuf *d, struct vfio_pci_core_device *vdev, bool take)
{
	struct dmabuf_sys saved = d->sys;

	d->sys.current_thread = BUSY_THREAD;
	d->sys.preempt = NULL;
	d->sys.block = NULL;
	if (take)
		down_read(&vdev->memory_lock);
	else
		up_read(&vdev->memory_lock);
	d->sys.current_thread = saved.current_thread;
	d->sys.preempt = saved.preempt;
	d->sys.block = saved.block;
}

static int hot_reset(struct scn_dmabuf *d, const struct scn_step *st,
		     struct vfio_pci_core_device *vdev, struct vfio_pci_core_device *other,
		     struct scn_dmabuf_result *res)
{
	struct vfio_device_set *set = vdev->dev_set;
	bool owned = other ? other->owned_by_user : false;
	int ret;

	if (st->dmabuf->fail == SCN_FAIL_BUSY || st->dmabuf->fail == SCN_FAIL_OWNER) {
		bool member = false;

		for (size_t i = 0; other && i < set->nr_devs; i++)
			member |= set->devs[i] == other;
		if (!member) {
			misuse(res, "'%s' is not a bound device in the set of '%s'", st->dev2,
			       st->dev);
			return 0;
		}
	}
	switch (st->dmabuf->fail) {
	case SCN_FAIL_BUS:
		set->reset_error = -EIO;
		break;
	case SCN_FAIL_BUSY: /* e.g. a CPU fault handler holds it for read */
		as_busy_thread(d, other, true);
		break;
	case SCN_FAIL_OWNER:
		other->owned_by_user = false;
		break;
	default:
		break;
	}
	ret = vfio_pci_dev_set_hot_reset(set);
	switch (st->dmabuf->fail) {
	case SCN_FAIL_BUS:
		set->reset_error = 0;
		break;
	case SCN_FAIL_BUSY:
		as_busy_thread(d, other, false);
		break;
	case SCN_FAIL_OWNER:
		other->owned_by_user = owned;
		break;
	default:
		break;
	}
	return ret;
}

static void do_event(struct scn_dmabuf *d, const struct scn_step *st, struct device *dev,
		     struct device *dev2, struct scn_dmabuf_result *res)
{
	struct vfio_pci_core_device *vdev = bound_vdev(d, dev);
	enum scn_dev_event ev = st->dmabuf->event;
	int ret = 0;

	if (!vdev) {
		misuse(res, "'%s' is not bound to vfio-pci (vfio-bind or vfio-open it first)",
		       st->dev);
		return;
	}
	if (needs_device_fd(ev) && !vdev->open_count) {
		outcome(res, -EBADF); /* no device fd to write config space or ioctl with */
		return;
	}
	switch (ev) {
	case SCN_EV_MEM_OFF:
		ret = vfio_pci_config_write_command(vdev,
						    vdev->vconfig_command & ~PCI_COMMAND_MEMORY);
		break;
	case SCN_EV_MEM_ON:
		ret = vfio_pci_config_write_command(vdev,
						    vdev->vconfig_command | PCI_COMMAND_MEMORY);
		break;
	case SCN_EV_D3HOT:
	case SCN_EV_D0:
		vfio_lock_and_set_power_state(vdev, ev == SCN_EV_D3HOT ? PCI_D3hot : PCI_D0);
		break;
	case SCN_EV_FLR:
		vfio_exp_config_write_flr(vdev);
		break;
	case SCN_EV_AF_FLR:
		vfio_af_config_write_flr(vdev);
		break;
	case SCN_EV_RESET:
		ret = vfio_pci_ioctl_reset(vdev);
		break;
	case SCN_EV_HOT_RESET:
		ret = hot_reset(d, st, vdev, bound_vdev(d, dev2), res);
		break;
	case SCN_EV_LOWPOWER_ENTER:
		ret = vfio_pci_runtime_pm_entry(vdev);
		break;
	case SCN_EV_LOWPOWER_EXIT:
		vfio_pci_runtime_pm_exit(vdev);
		break;
	case SCN_EV_WAKE:
		vfio_pci_core_runtime_resume(vdev);
		break;
	case SCN_EV_CLOSE:
		ret = vfio_pci_core_close_device(vdev);
		break;
	case SCN_EV_UNPLUG:
		ret = vfio_pci_core_unregister_device(vdev);
		break;
	}
	if (!res->misuse[0])
		outcome(res, ret);
}

/* --- entry points --------------------------------------------------------------------- */

static struct imp_slot *live_importer(struct scn_dmabuf *d, const struct scn_step *st,
				      struct scn_dmabuf_result *res)
{
	struct imp_slot *imp = &d->imps[st->dmabuf->imp_sym];

	if (!imp->live) {
		misuse(res, "'%s' holds no importer (its import failed, or it was released)",
		       sym_name(d, st->dmabuf->imp_sym));
		return NULL;
	}
	return imp;
}

void scn_dmabuf_run(struct scn_dmabuf *d, const struct scn_step *st, struct device *dev,
		    struct device *dev2, struct scn_dmabuf_result *res)
{
	struct vfio_pci_core_device *vdev;
	struct dma_buf *dmabuf;
	struct imp_slot *imp;

	memset(res, 0, sizeof(*res));
	switch (st->verb) {
	case SCN_VFIO_BIND:
		if (bound_vdev(d, dev)) {
			misuse(res, "'%s' is already bound to vfio-pci", st->dev);
			return;
		}
		outcome(res, vfio_bind(d, dev, st->dmabuf));
		return;
	case SCN_VFIO_OPEN:
		vdev = bound_vdev(d, dev);
		if (!vdev) {
			int ret = vfio_bind(d, dev, NULL);

			if (ret) {
				outcome(res, ret);
				return;
			}
			vdev = bound_vdev(d, dev);
		}
		outcome(res, vfio_pci_core_open_device(vdev));
		return;
	case SCN_VFIO_MMAP:
		vdev = bound_vdev(d, dev);
		if (!vdev || !vdev->open_count)
			outcome(res, -EBADF);
		else
			outcome(res, vfio_pci_core_setup_barmap(vdev, st->dmabuf->bar));
		return;
	case SCN_DMABUF_EXPORT:
		do_export(d, st, dev, res);
		return;
	case SCN_DMABUF_IMPORT:
		do_import(d, st, dev, res);
		return;
	case SCN_DMABUF_CLOSE: {
		struct buf_slot *b = &d->bufs[st->dmabuf->buf_sym];

		outcome(res, b->fd >= STDIO_FDS ? dma_buf_close_fd(&d->sys, b->fd) : -EBADF);
		b->fd = -1;
		return;
	}
	case SCN_DMABUF_FENCE:
	case SCN_DMABUF_SIGNAL:
		dmabuf = live_dmabuf(d, st->dmabuf->buf_sym, res);
		if (dmabuf)
			do_fence(d, st, dmabuf, res);
		return;
	case SCN_EVENT:
		do_event(d, st, dev, dev2, res);
		return;
	default:
		break;
	}
	imp = live_importer(d, st, res);
	if (!imp)
		return;
	switch (st->verb) {
	case SCN_DMABUF_MAP:
		do_map(d, imp, res);
		break;
	case SCN_DMABUF_UNMAP:
		do_unmap(imp, res);
		break;
	case SCN_DMABUF_DMA:
		do_dma(d, st, imp, res);
		break;
	case SCN_DMABUF_ACCESS_PIN:
		if (imp->kind != SCN_IMP_IOMMUFD)
			misuse(res, "'%s' is not an iommufd importer", imp->name);
		else
			outcome(res, iopt_pages_rw_access_pin(imp->pages));
		break;
	default: /* SCN_DMABUF_RELEASE */
		release_importer(imp);
		outcome(res, 0);
		break;
	}
}

int scn_dmabuf_revoked(struct scn_dmabuf *d, int sym, char *why, size_t len)
{
	struct scn_dmabuf_result res = { 0 };
	struct dma_buf *dmabuf = live_dmabuf(d, sym, &res);
	struct vfio_pci_dma_buf *priv = dmabuf ? vfio_pci_dma_buf_priv(dmabuf) : NULL;

	if (!priv) {
		snprintf(why, len, "%s", res.misuse[0] ? res.misuse : "not a VFIO dma-buf");
		return -1;
	}
	return priv->revoked;
}
