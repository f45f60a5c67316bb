// SPDX-License-Identifier: GPL-2.0-only
/*
 * world.c - a topology brought to life (world.h, include/p2psim/world.h).
 *
 * Building a world does what boot + PCI enumeration + driver probe do for
 * the DMA layer:
 *  1. the machine: physical memory for RAM and every memory BAR, one IOMMU
 *     unit per <iommu>;
 *  2. the swiotlb pool, placed like memblock_alloc_low(): the highest
 *     page-aligned free range of RAM below 4 GiB;
 *  3. the P2PDMA view: every BAR marked p2pmem becomes a published provider
 *     (pcim_p2pdma_init + pci_p2pdma_add_resource + pci_p2pmem_publish);
 *  4. one struct device per DMA-capable function (endpoints, RCiEPs, VFs):
 *     coherent / untrusted from the topology, the PCI default 32-bit mask,
 *     then iommu_probe_device_dma() when its host bridge has an IOMMU and
 *     the mode is not "off", then dma_set_mask_and_coherent() with the
 *     topology's dma-mask bits, as a driver's probe would.
 *
 * Owns the machine, the devices, the pool, the P2PDMA view and the buffers.
 * Buffers are carved from RAM by a first-fit allocator over the RAM ranges
 * that avoids the swiotlb pool and other buffers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "models/iommu/iommu_hw.h"
#include "models/mem/physmem.h"
#include "sim/topology/topology_internal.h"
#include "sim/world.h"
#include "src/dma/direct.h"
#include "src/dma/mapping.h"
#include "src/iommu/dma-iommu.h"
#include "src/iommu/iommu.h"
#include "src/kernel_profile.h"

#define WORLD_4G 0x100000000ULL
/* Buffers never start below 1 MiB (legacy low memory, and phys 0 stays unused). */
#define WORLD_RAM_FLOOR 0x100000ULL

/* --- small helpers --------------------------------------------------------- */

void p2psim_world_opts_init(struct p2psim_world_opts *opts)
{
	*opts = (struct p2psim_world_opts){
		.seed = 1,
		.iommu_mode = P2PSIM_IOMMU_MODE_TOPOLOGY,
		.swiotlb_bytes = IO_TLB_DEFAULT_SIZE,
		.swiotlb_force = 0,
		.nr_cpus = 1,
	};
}

int p2psim_iommu_mode_parse(const char *name)
{
	static const char *const names[] = {
		[P2PSIM_IOMMU_MODE_TOPOLOGY] = "topology",
		[P2PSIM_IOMMU_MODE_STRICT] = "strict",
		[P2PSIM_IOMMU_MODE_LAZY] = "lazy",
		[P2PSIM_IOMMU_MODE_PASSTHROUGH] = "passthrough",
		[P2PSIM_IOMMU_MODE_OFF] = "off",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	return -1;
}

int p2psim_dma_dir_parse(const char *name)
{
	return dma_direction_parse(name);
}

const char *p2psim_dma_dir_name(int dir)
{
	return dma_direction_name((enum dma_data_direction)dir);
}

const char *world_domain_type_name(unsigned int type)
{
	switch (type) {
	case IOMMU_DOMAIN_BLOCKED:
		return "BLOCKED";
	case IOMMU_DOMAIN_IDENTITY:
		return "IDENTITY";
	case IOMMU_DOMAIN_UNMANAGED:
		return "UNMANAGED";
	case IOMMU_DOMAIN_DMA:
		return "DMA";
	case IOMMU_DOMAIN_DMA_FQ:
		return "DMA_FQ";
	}
	return "?";
}

static enum iommu_mode world_iommu_mode(const struct world *w, const struct iommu_desc *desc)
{
	switch (w->opts.iommu_mode) {
	case P2PSIM_IOMMU_MODE_STRICT:
		return IOMMU_MODE_STRICT;
	case P2PSIM_IOMMU_MODE_LAZY:
		return IOMMU_MODE_LAZY;
	case P2PSIM_IOMMU_MODE_PASSTHROUGH:
		return IOMMU_MODE_PASSTHROUGH;
	case P2PSIM_IOMMU_MODE_OFF:
		return IOMMU_MODE_OFF;
	default:
		return desc->mode;
	}
}

/* --- RAM allocator ----------------------------------------------------------- */

static inline u64 align_up(u64 v, u64 align)
{
	return (v + align - 1) & ~(align - 1);
}

/* Does [base, base + size) overlap the pool or a buffer? Returns the end of the first hit, or 0. */
static u64 ram_conflict(const struct world *w, u64 base, u64 size)
{
	if (w->swiotlb) {
		const struct io_tlb_pool *p = &w->swiotlb->defpool;

		if (base < p->end && p->start < base + size)
			return p->end;
	}
	for (size_t i = 0; i < w->nr_bufs; i++) {
		const struct world_buffer *b = &w->bufs[i];

		if (base < b->phys + b->size_bytes && b->phys < base + size)
			return b->phys + b->size_bytes;
	}
	return 0;
}

/* Lowest fit in [lo, hi) of the RAM ranges. */
static int ram_find_in(const struct world *w, u64 size, u64 align, u64 lo, u64 hi, phys_addr_t *out)
{
	u64 best = ~0ULL;

	for (size_t r = 0; r < w->topo->nr_ram; r++) {
		const struct ram_range *ram = &w->topo->ram[r];
		u64 start = ram->base > lo ? ram->base : lo;
		u64 end = ram->base + ram->size_bytes < hi ? ram->base + ram->size_bytes : hi;
		u64 cand = align_up(start, align);

		while (cand >= start && cand + size > cand && cand + size <= end) {
			u64 next = ram_conflict(w, cand, size);

			if (!next) {
				if (cand < best)
					best = cand;
				break;
			}
			cand = align_up(next, align);
		}
	}
	if (best == ~0ULL)
		return -ENOMEM;
	*out = best;
	return 0;
}

int world_ram_find(const struct world *w, u64 size, u64 align, int placement, phys_addr_t *out)
{
	if (!size || !align || (align & (align - 1)))
		return -EINVAL;
	switch (placement) {
	case P2PSIM_PLACE_BELOW_4G:
		return ram_find_in(w, size, align, WORLD_RAM_FLOOR, WORLD_4G, out);
	case P2PSIM_PLACE_ABOVE_4G:
		return ram_find_in(w, size, align, WORLD_4G, ~0ULL, out);
	default:
		/* the page allocator prefers ZONE_NORMAL over ZONE_DMA32 */
		if (!ram_find_in(w, size, align, WORLD_4G, ~0ULL, out))
			return 0;
		return ram_find_in(w, size, align, WORLD_RAM_FLOOR, WORLD_4G, out);
	}
}

/* memblock_alloc_low(): top-down, page aligned, below 4 GiB. */
static int ram_find_low_top_down(const struct world *w, u64 size, phys_addr_t *out)
{
	u64 best = 0;
	bool found = false;

	for (size_t r = 0; r < w->topo->nr_ram; r++) {
		const struct ram_range *ram = &w->topo->ram[r];
		u64 end = ram->base + ram->size_bytes;
		u64 cand;

		if (end > WORLD_4G)
			end = WORLD_4G;
		if (end < ram->base + size || end < size)
			continue;
		cand = (end - size) & ~(u64)(PAGE_SIZE - 1);
		if (cand < ram->base || cand < WORLD_RAM_FLOOR)
			continue;
		if (!found || cand > best) {
			best = cand;
			found = true;
		}
	}
	if (!found)
		return -ENOMEM;
	*out = best;
	return 0;
}

/* --- building ------------------------------------------------------------------ */

static int world_setup_p2pdma(struct world *w, struct p2psim_error *err)
{
	const struct pci_fabric *fab = w->topo->fabric;
	int ret;

	ret = p2pdma_ctx_init(&w->p2pdma, fab, &w->topo->cpu, kernel_profile_default(),
			      w->opts.seed);
	if (ret)
		goto nomem;
	w->p2pdma_ready = true;
	for (size_t i = 0; i < fab->nr_devs; i++) {
		const struct pci_dev *pdev = fab->devs[i];
		bool inited = false;

		for (int bar = 0; bar < PCI_NUM_BARS; bar++) {
			if (!pdev->bars[bar].p2pmem || !pdev->bars[bar].size_bytes)
				continue;
			if (!inited) {
				ret = pcim_p2pdma_init(&w->p2pdma, pdev);
				if (ret)
					goto nomem;
				inited = true;
			}
			ret = pci_p2pdma_add_resource(&w->p2pdma, pdev, bar, 0, 0);
			if (ret == -ENOMEM)
				goto nomem;
			if (ret) {
				p2psim_error_set(err, P2PSIM_EINPUT, w->topo->source, pdev->line, 0,
						 "%s: BAR %d cannot be P2P memory (error %d)",
						 pdev->id, bar, ret);
				return P2PSIM_EINPUT;
			}
		}
		if (inited)
			pci_p2pmem_publish(&w->p2pdma, pdev, true);
	}
	return P2PSIM_OK;

nomem:
	p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory setting up P2PDMA");
	return P2PSIM_EINTERNAL;
}

static int world_setup_device(struct world *w, struct device *dev, struct pci_dev *pdev,
			      struct p2psim_error *err)
{
	struct iommu_hw *hw = machine_iommu_for(w->m, pdev);
	int ret;

	dev->name = pdev->id;
	dev->pdev = pdev;
	dev->machine = w->m;
	dev->dma_mask = DMA_BIT_MASK(32); /* the PCI core's default until the driver sets one */
	dev->coherent_dma_mask = DMA_BIT_MASK(32);
	dev->max_seg_size = 65536;
	dev->seg_boundary_mask = ~0ULL;
	dev->dma_coherent = pdev->coherent;
	dev->untrusted = pdev->untrusted;
	dev->dma_io_tlb_mem = w->swiotlb;
	dev->p2pdma = &w->p2pdma;

	if (hw) {
		enum iommu_mode mode = world_iommu_mode(w, iommu_hw_desc(hw));

		if (mode != IOMMU_MODE_OFF) {
			ret = iommu_probe_device_dma(dev, hw, mode);
			if (ret == -ENOMEM) {
				p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0,
						 "out of memory probing %s", pdev->id);
				return P2PSIM_EINTERNAL;
			}
			if (ret) {
				p2psim_error_set(err, P2PSIM_EINPUT, w->topo->source, pdev->line, 0,
						 "%s: IOMMU set-up failed (error %d)", pdev->id,
						 ret);
				return P2PSIM_EINPUT;
			}
		}
	}

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(pdev->dma_mask_bits));
	if (ret) {
		p2psim_error_set(
			err, P2PSIM_EINPUT, w->topo->source, pdev->line, 0,
			"%s: a %u-bit DMA mask is not supported without an IOMMU on this machine",
			pdev->id, pdev->dma_mask_bits);
		return P2PSIM_EINPUT;
	}
	return P2PSIM_OK;
}

int p2psim_world_new(const p2psim_topology *topo_pub, const struct p2psim_world_opts *opts,
		     p2psim_world **out, struct p2psim_error *err)
{
	const struct topology *topo = topology_from_public(topo_pub);
	const struct pci_fabric *fab = topo->fabric;
	struct world *w;
	size_t n = 0;
	int ret;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		goto nomem;
	w->topo = topo;
	if (opts)
		w->opts = *opts;
	else
		p2psim_world_opts_init(&w->opts);
	if (w->opts.iommu_mode < P2PSIM_IOMMU_MODE_TOPOLOGY ||
	    w->opts.iommu_mode > P2PSIM_IOMMU_MODE_OFF) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "unknown IOMMU mode %d",
				 w->opts.iommu_mode);
		ret = P2PSIM_EINPUT;
		goto err_free;
	}
	if (!w->opts.nr_cpus)
		w->opts.nr_cpus = 1;

	w->m = machine_new(topo);
	if (!w->m) {
		/* phys_mem regions overlap only in topologies built by hand */
		p2psim_error_set(
			err, P2PSIM_EINTERNAL, topo->source, 0, 0,
			"cannot build the machine (out of memory or overlapping RAM/BARs)");
		ret = P2PSIM_EINTERNAL;
		goto err_free;
	}
	w->m->nr_cpus = w->opts.nr_cpus;

	if (w->opts.swiotlb_bytes) {
		u64 bytes = swiotlb_pool_bytes(w->opts.swiotlb_bytes, w->opts.nr_cpus);
		phys_addr_t base;

		if (ram_find_low_top_down(w, bytes, &base)) {
			p2psim_error_set(err, P2PSIM_EINPUT, topo->source, 0, 0,
					 "no %llu KiB of RAM below 4 GiB for the swiotlb pool",
					 (unsigned long long)(bytes >> 10));
			ret = P2PSIM_EINPUT;
			goto err_free;
		}
		w->swiotlb = swiotlb_mem_new(w->m, base, bytes, w->opts.nr_cpus,
					     w->opts.swiotlb_force != 0);
		if (!w->swiotlb)
			goto nomem;
	} else if (w->opts.swiotlb_force) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
				 "swiotlb force needs a swiotlb pool (size 0 given)");
		ret = P2PSIM_EINPUT;
		goto err_free;
	}

	ret = world_setup_p2pdma(w, err);
	if (ret)
		goto err_free;

	for (size_t i = 0; i < fab->nr_devs; i++)
		if (pci_is_dma_capable(fab->devs[i]))
			n++;
	w->devs = calloc(n ? n : 1, sizeof(*w->devs));
	w->memory_decode = calloc(n ? n : 1, sizeof(*w->memory_decode));
	if (!w->devs || !w->memory_decode)
		goto nomem;
	for (size_t i = 0; i < fab->nr_devs; i++) {
		if (!pci_is_dma_capable(fab->devs[i]))
			continue;
		w->memory_decode[w->nr_devs] = fab->devs[i]->memory_decode;
		ret = world_setup_device(w, &w->devs[w->nr_devs], fab->devs[i], err);
		w->nr_devs++; /* counted even on failure: its domain may need releasing */
		if (ret)
			goto err_free;
	}
	*out = world_to_public(w);
	return P2PSIM_OK;

nomem:
	p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory building the world");
	ret = P2PSIM_EINTERNAL;
err_free:
	p2psim_world_free(world_to_public(w));
	return ret;
}

void p2psim_world_free(p2psim_world *pub)
{
	struct world *w = world_from_public(pub);

	if (!w)
		return;
	for (size_t i = 0; i < w->nr_devs; i++) {
		if (w->devs[i].domain)
			iommu_release_device_dma(&w->devs[i]);
		if (w->memory_decode)
			w->devs[i].pdev->memory_decode = w->memory_decode[i];
	}
	free(w->memory_decode);
	free(w->devs);
	for (size_t i = 0; i < w->nr_bufs; i++)
		free(w->bufs[i].name);
	free(w->bufs);
	if (w->p2pdma_ready)
		p2pdma_ctx_destroy(&w->p2pdma);
	swiotlb_mem_free(w->swiotlb);
	machine_free(w->m);
	free(w);
}

/* --- devices ------------------------------------------------------------------- */

struct device *world_find_device(struct world *w, const char *id_or_bdf)
{
	const struct pci_dev *pdev = pci_fabric_find(w->topo->fabric, id_or_bdf);

	if (!pdev)
		return NULL;
	for (size_t i = 0; i < w->nr_devs; i++)
		if (w->devs[i].pdev == pdev)
			return &w->devs[i];
	return NULL;
}

static struct device *need_device(struct world *w, const char *id, struct p2psim_error *err)
{
	struct device *dev = id ? world_find_device(w, id) : NULL;

	if (!dev) {
		const struct pci_dev *pdev = id ? pci_fabric_find(w->topo->fabric, id) : NULL;

		if (pdev)
			p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
					 "'%s' is a %s, which does not do DMA", id,
					 pci_dev_type_name(pdev->type));
		else
			p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "no device '%s'",
					 id ? id : "(null)");
	}
	return dev;
}

size_t p2psim_world_device_count(const p2psim_world *pub)
{
	return world_from_public_const(pub)->nr_devs;
}

const char *p2psim_world_device_id(const p2psim_world *pub, size_t index)
{
	const struct world *w = world_from_public_const(pub);

	return index < w->nr_devs ? w->devs[index].name : NULL;
}

static unsigned int mask_bits(u64 mask)
{
	unsigned int bits = 0;

	while (bits < 64 && (mask >> bits))
		bits++;
	return bits;
}

int p2psim_world_device_info(p2psim_world *pub, const char *id, struct p2psim_device_info *out,
			     struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct device *dev = need_device(w, id, err);
	struct iommu_hw *hw;

	if (!dev)
		return P2PSIM_EINPUT;
	hw = dev->domain ? machine_iommu_for(w->m, dev->pdev) : NULL;
	*out = (struct p2psim_device_info){
		.id = dev->name,
		.bdf = dev->pdev->name,
		.dma_mask_bits = mask_bits(dev->dma_mask),
		.coherent = dev->dma_coherent,
		.untrusted = dev->untrusted,
		.dma_ops = use_dma_iommu(dev) ? "dma-iommu" : "dma-direct",
		.domain = dev->domain ? world_domain_type_name(dev->domain->type) : "none",
		.iommu = hw ? iommu_hw_desc(hw)->id : NULL,
		.max_mapping_size = dma_max_mapping_size(dev),
		.opt_mapping_size = dma_opt_mapping_size(dev),
		.required_mask = dma_get_required_mask(dev),
		.addressing_limited = dma_addressing_limited(dev),
		.need_unmap = dma_need_unmap(dev),
		.skip_sync = dev->dma_skip_sync,
	};
	return P2PSIM_OK;
}

int p2psim_dma_set_mask(p2psim_world *pub, const char *id, unsigned int bits, int *result,
			struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct device *dev = need_device(w, id, err);

	if (!dev)
		return P2PSIM_EINPUT;
	if (bits < 1 || bits > 64) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
				 "DMA mask width %u out of range 1..64", bits);
		return P2PSIM_EINPUT;
	}
	*result = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(bits));
	return P2PSIM_OK;
}

int p2psim_world_set_device_iommu_mode(p2psim_world *pub, const char *id, int mode,
				       struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct device *dev = need_device(w, id, err);
	struct iommu_hw *hw;
	enum iommu_mode m;
	int ret;

	if (!dev)
		return P2PSIM_EINPUT;
	if (mode < P2PSIM_IOMMU_MODE_STRICT || mode > P2PSIM_IOMMU_MODE_OFF) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "unknown IOMMU mode %d", mode);
		return P2PSIM_EINPUT;
	}
	hw = machine_iommu_for(w->m, dev->pdev);
	if (!hw) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "'%s' has no IOMMU", id);
		return P2PSIM_EINPUT;
	}
	m = (enum iommu_mode)(mode - P2PSIM_IOMMU_MODE_STRICT + IOMMU_MODE_STRICT);
	if (dev->domain)
		iommu_release_device_dma(dev);
	dev->domain = NULL;
	dev->dma_iommu = false;
	if (m != IOMMU_MODE_OFF) {
		ret = iommu_probe_device_dma(dev, hw, m);
		if (ret) {
			p2psim_error_set(err, ret == -ENOMEM ? P2PSIM_EINTERNAL : P2PSIM_EINPUT,
					 NULL, 0, 0, "cannot put '%s' in %s mode (error %d)", id,
					 iommu_mode_name(m), ret);
			return ret == -ENOMEM ? P2PSIM_EINTERNAL : P2PSIM_EINPUT;
		}
	}
	/* the driver's dma_set_mask_and_coherent() again: dma_supported() may differ now */
	if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(dev->pdev->dma_mask_bits)))
		dma_setup_need_sync(dev);
	return P2PSIM_OK;
}

int p2psim_dma_set_min_align_mask(p2psim_world *pub, const char *id, unsigned int mask,
				  struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct device *dev = need_device(w, id, err);

	if (!dev)
		return P2PSIM_EINPUT;
	if (mask & (mask + 1)) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
				 "min_align_mask %#x is not of the form 2^n - 1", mask);
		return P2PSIM_EINPUT;
	}
	dev->min_align_mask = mask;
	return P2PSIM_OK;
}

/* --- buffers ----------------------------------------------------------------- */

struct world_buffer *world_find_buffer(const struct world *w, const char *name)
{
	for (size_t i = 0; i < w->nr_bufs; i++)
		if (!strcmp(w->bufs[i].name, name))
			return &w->bufs[i];
	return NULL;
}

static int buffer_insert(struct world *w, const char *name, phys_addr_t phys, u64 size,
			 struct p2psim_error *err)
{
	struct world_buffer *n;
	size_t pos = 0;
	char *copy;

	copy = strdup(name);
	if (!copy)
		goto nomem;
	n = realloc(w->bufs, (w->nr_bufs + 1) * sizeof(*n));
	if (!n) {
		free(copy);
		goto nomem;
	}
	w->bufs = n;
	while (pos < w->nr_bufs && w->bufs[pos].phys < phys)
		pos++;
	memmove(&w->bufs[pos + 1], &w->bufs[pos], (w->nr_bufs - pos) * sizeof(*n));
	w->bufs[pos] = (struct world_buffer){ .name = copy, .phys = phys, .size_bytes = size };
	w->nr_bufs++;
	return P2PSIM_OK;

nomem:
	p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
	return P2PSIM_EINTERNAL;
}

static int check_new_buffer(struct world *w, const char *name, u64 size, struct p2psim_error *err)
{
	if (!name || !*name) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "a buffer needs a name");
		return P2PSIM_EINPUT;
	}
	if (world_find_buffer(w, name)) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "buffer '%s' already exists",
				 name);
		return P2PSIM_EINPUT;
	}
	if (!size) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "buffer '%s': size 0", name);
		return P2PSIM_EINPUT;
	}
	return P2PSIM_OK;
}

int p2psim_buffer_alloc(p2psim_world *pub, const char *name, uint64_t size, int placement,
			uint64_t *phys_out, struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	phys_addr_t phys;
	int ret = check_new_buffer(w, name, size, err);

	if (ret)
		return ret;
	if (placement < P2PSIM_PLACE_ANY || placement > P2PSIM_PLACE_ABOVE_4G) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "unknown placement %d", placement);
		return P2PSIM_EINPUT;
	}
	if (size > ~0ULL - PAGE_SIZE ||
	    world_ram_find(w, align_up(size, PAGE_SIZE), PAGE_SIZE, placement, &phys)) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
				 "buffer '%s': no %llu bytes of free RAM%s", name,
				 (unsigned long long)size,
				 placement == P2PSIM_PLACE_BELOW_4G ? " below 4 GiB" :
				 placement == P2PSIM_PLACE_ABOVE_4G ? " above 4 GiB" :
								      "");
		return P2PSIM_EINPUT;
	}
	ret = buffer_insert(w, name, phys, size, err);
	if (!ret && phys_out)
		*phys_out = phys;
	return ret;
}

int p2psim_buffer_alloc_at(p2psim_world *pub, const char *name, uint64_t phys, uint64_t size,
			   struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	int ret = check_new_buffer(w, name, size, err);

	if (ret)
		return ret;
	if (phys + size < phys || !phys_mem_is_ram(w->m->mem, phys, size)) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
				 "buffer '%s': [%#llx, +%#llx) is not RAM", name,
				 (unsigned long long)phys, (unsigned long long)size);
		return P2PSIM_EINPUT;
	}
	if (ram_conflict(w, phys, size)) {
		p2psim_error_set(
			err, P2PSIM_EINPUT, NULL, 0, 0,
			"buffer '%s': [%#llx, +%#llx) overlaps another buffer or the swiotlb pool",
			name, (unsigned long long)phys, (unsigned long long)size);
		return P2PSIM_EINPUT;
	}
	return buffer_insert(w, name, phys, size, err);
}

int p2psim_buffer_free(p2psim_world *pub, const char *name, struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct world_buffer *b = world_find_buffer(w, name);
	size_t i;

	if (!b) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "no buffer '%s'", name);
		return P2PSIM_EINPUT;
	}
	i = (size_t)(b - w->bufs);
	free(b->name);
	memmove(&w->bufs[i], &w->bufs[i + 1], (w->nr_bufs - i - 1) * sizeof(*b));
	w->nr_bufs--;
	return P2PSIM_OK;
}

int p2psim_buffer_lookup(const p2psim_world *pub, const char *name, uint64_t *phys, uint64_t *size)
{
	const struct world_buffer *b = world_find_buffer(world_from_public_const(pub), name);

	if (!b)
		return P2PSIM_EINPUT;
	if (phys)
		*phys = b->phys;
	if (size)
		*size = b->size_bytes;
	return P2PSIM_OK;
}

static struct world_buffer *need_range(struct world *w, const char *name, u64 offset, u64 len,
				       struct p2psim_error *err)
{
	struct world_buffer *b = world_find_buffer(w, name);

	if (!b) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "no buffer '%s'", name);
		return NULL;
	}
	if (offset > b->size_bytes || len > b->size_bytes - offset) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
				 "buffer '%s': [%llu, +%llu) is outside its %llu bytes", name,
				 (unsigned long long)offset, (unsigned long long)len,
				 (unsigned long long)b->size_bytes);
		return NULL;
	}
	return b;
}

static int mem_status(int ret, u64 phys, u64 len, struct p2psim_error *err)
{
	if (!ret)
		return P2PSIM_OK;
	if (ret == -ENXIO) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "no memory at [%#llx, +%#llx)",
				 (unsigned long long)phys, (unsigned long long)len);
		return P2PSIM_EINPUT;
	}
	p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
	return P2PSIM_EINTERNAL;
}

/* splitmix64: the fill pattern's deterministic source */
static u64 splitmix64(u64 *state)
{
	u64 z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

int p2psim_buffer_fill(p2psim_world *pub, const char *name, uint64_t offset, uint64_t len,
		       int pattern, uint8_t value, struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct world_buffer *b = need_range(w, name, offset, len, err);
	u8 chunk[4096];
	u64 state, word = 0, done = 0;
	bool have_word = false;

	if (!b)
		return P2PSIM_EINPUT;
	switch (pattern) {
	case P2PSIM_FILL_BYTE:
		return mem_status(phys_mem_fill(w->m->mem, b->phys + offset, value, len),
				  b->phys + offset, len, err);
	case P2PSIM_FILL_INCREMENT:
	case P2PSIM_FILL_RANDOM:
		break;
	default:
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "unknown fill pattern %d",
				 pattern);
		return P2PSIM_EINPUT;
	}
	/* random: one stream per (seed, name, value), indexed from the buffer start */
	state = w->opts.seed ^ ((u64)value << 56);
	for (const char *p = name; *p; p++)
		state = state * 131 + (u8)*p;
	for (u64 skip = 0; pattern == P2PSIM_FILL_RANDOM && skip < offset / 8; skip++)
		splitmix64(&state);
	while (done < len) {
		u64 n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		for (u64 i = 0; i < n; i++) {
			u64 at = offset + done + i; /* byte index in the buffer */

			if (pattern == P2PSIM_FILL_INCREMENT) {
				chunk[i] = (u8)(value + at);
				continue;
			}
			/* byte at = byte (at % 8) of the (at / 8)-th draw of the stream */
			if (!have_word || at % 8 == 0) {
				word = splitmix64(&state);
				have_word = true;
			}
			chunk[i] = (u8)(word >> (8 * (at % 8)));
		}
		if (phys_mem_write(w->m->mem, b->phys + offset + done, chunk, n))
			return mem_status(-ENOMEM, 0, 0, err);
		done += n;
	}
	return P2PSIM_OK;
}

int p2psim_buffer_write(p2psim_world *pub, const char *name, uint64_t offset, const void *data,
			uint64_t len, struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct world_buffer *b = need_range(w, name, offset, len, err);

	if (!b)
		return P2PSIM_EINPUT;
	return mem_status(phys_mem_write(w->m->mem, b->phys + offset, data, len), b->phys + offset,
			  len, err);
}

int p2psim_buffer_read(p2psim_world *pub, const char *name, uint64_t offset, void *data,
		       uint64_t len, struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct world_buffer *b = need_range(w, name, offset, len, err);

	if (!b)
		return P2PSIM_EINPUT;
	return mem_status(phys_mem_read(w->m->mem, b->phys + offset, data, len), b->phys + offset,
			  len, err);
}

int p2psim_mem_read(p2psim_world *pub, uint64_t phys, void *data, uint64_t len,
		    struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);

	return mem_status(phys_mem_read(w->m->mem, phys, data, len), phys, len, err);
}

int p2psim_mem_write(p2psim_world *pub, uint64_t phys, const void *data, uint64_t len,
		     struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);

	return mem_status(phys_mem_write(w->m->mem, phys, data, len), phys, len, err);
}

/* --- streaming DMA API ------------------------------------------------------- */

static int check_dir(int dir, struct p2psim_error *err)
{
	if (dir < P2PSIM_DMA_BIDIRECTIONAL || dir > P2PSIM_DMA_NONE) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "unknown DMA direction %d", dir);
		return P2PSIM_EINPUT;
	}
	return P2PSIM_OK;
}

static int check_size(u64 size, struct p2psim_error *err)
{
	if (size > SIZE_MAX) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "mapping size %llu too large",
				 (unsigned long long)size);
		return P2PSIM_EINPUT;
	}
	return P2PSIM_OK;
}

int p2psim_dma_map(p2psim_world *pub, const char *id, uint64_t phys, uint64_t size, int dir,
		   unsigned long attrs, uint64_t *dma_out, struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct device *dev = need_device(w, id, err);

	if (!dev || check_dir(dir, err) || check_size(size, err))
		return P2PSIM_EINPUT;
	*dma_out = dma_map_phys(dev, phys, (size_t)size, (enum dma_data_direction)dir, attrs);
	return P2PSIM_OK;
}

int p2psim_dma_map_buffer(p2psim_world *pub, const char *id, const char *buffer, uint64_t offset,
			  uint64_t size, int dir, unsigned long attrs, uint64_t *dma_out,
			  struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct world_buffer *b = need_range(w, buffer, offset, size, err);

	if (!b)
		return P2PSIM_EINPUT;
	return p2psim_dma_map(pub, id, b->phys + offset, size, dir, attrs, dma_out, err);
}

int p2psim_dma_unmap(p2psim_world *pub, const char *id, uint64_t dma, uint64_t size, int dir,
		     unsigned long attrs, struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct device *dev = need_device(w, id, err);

	if (!dev || check_dir(dir, err) || check_size(size, err))
		return P2PSIM_EINPUT;
	dma_unmap_phys(dev, dma, (size_t)size, (enum dma_data_direction)dir, attrs);
	return P2PSIM_OK;
}

int p2psim_dma_sync(p2psim_world *pub, const char *id, uint64_t dma, uint64_t size, int dir,
		    int for_cpu, struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct device *dev = need_device(w, id, err);

	if (!dev || check_dir(dir, err) || check_size(size, err))
		return P2PSIM_EINPUT;
	if (for_cpu)
		dma_sync_single_for_cpu(dev, dma, (size_t)size, (enum dma_data_direction)dir);
	else
		dma_sync_single_for_device(dev, dma, (size_t)size, (enum dma_data_direction)dir);
	return P2PSIM_OK;
}

/* Public segments <-> struct scatterlist (a page is named by its physical address). */
static struct scatterlist *sg_from_public(const struct p2psim_sg *sg, int nents,
					  struct p2psim_error *err)
{
	struct scatterlist *sgl = calloc((size_t)(nents > 0 ? nents : 1), sizeof(*sgl));

	if (!sgl) {
		p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
		return NULL;
	}
	for (int i = 0; i < nents; i++) {
		sgl[i].page_phys = sg[i].phys & ~(u64)(PAGE_SIZE - 1);
		sgl[i].offset = (unsigned int)(sg[i].phys & (PAGE_SIZE - 1));
		sgl[i].length = sg[i].length;
		sgl[i].dma_address = sg[i].dma_address;
		sgl[i].dma_length = sg[i].dma_length;
		sgl[i].dma_flags = sg[i].bus_address ? SG_DMA_BUS_ADDRESS : 0;
	}
	return sgl;
}

static void sg_to_public(struct p2psim_sg *sg, const struct scatterlist *sgl, int nents)
{
	for (int i = 0; i < nents; i++) {
		sg[i].dma_address = sgl[i].dma_address;
		sg[i].dma_length = sgl[i].dma_length;
		sg[i].bus_address = !!(sgl[i].dma_flags & SG_DMA_BUS_ADDRESS);
	}
}

static int check_sg(const struct p2psim_sg *sg, int nents, struct p2psim_error *err)
{
	if (nents <= 0 || !sg) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0,
				 "a scatterlist needs at least one segment");
		return P2PSIM_EINPUT;
	}
	return P2PSIM_OK;
}

int p2psim_dma_map_sg(p2psim_world *pub, const char *id, struct p2psim_sg *sg, int nents, int dir,
		      unsigned long attrs, int *result, struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct device *dev = need_device(w, id, err);
	struct sg_table sgt;
	int ret;

	if (!dev || check_dir(dir, err) || check_sg(sg, nents, err))
		return P2PSIM_EINPUT;
	sgt.sgl = sg_from_public(sg, nents, err);
	if (!sgt.sgl)
		return P2PSIM_EINTERNAL;
	for (int i = 0; i < nents; i++) {
		sgt.sgl[i].dma_address = 0;
		sgt.sgl[i].dma_length = 0;
		sgt.sgl[i].dma_flags = 0;
	}
	sgt.orig_nents = (unsigned int)nents;
	sgt.nents = 0;
	ret = dma_map_sgtable(dev, &sgt, (enum dma_data_direction)dir, attrs);
	*result = ret ? ret : (int)sgt.nents;
	sg_to_public(sg, sgt.sgl, nents);
	free(sgt.sgl);
	return P2PSIM_OK;
}

int p2psim_dma_unmap_sg(p2psim_world *pub, const char *id, struct p2psim_sg *sg, int nents, int dir,
			unsigned long attrs, struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct device *dev = need_device(w, id, err);
	struct scatterlist *sgl;

	if (!dev || check_dir(dir, err) || check_sg(sg, nents, err))
		return P2PSIM_EINPUT;
	sgl = sg_from_public(sg, nents, err);
	if (!sgl)
		return P2PSIM_EINTERNAL;
	dma_unmap_sg_attrs(dev, sgl, nents, (enum dma_data_direction)dir, attrs);
	sg_to_public(sg, sgl, nents);
	free(sgl);
	return P2PSIM_OK;
}

int p2psim_dma_sync_sg(p2psim_world *pub, const char *id, struct p2psim_sg *sg, int nents, int dir,
		       int for_cpu, struct p2psim_error *err)
{
	struct world *w = world_from_public(pub);
	struct device *dev = need_device(w, id, err);
	struct scatterlist *sgl;

	if (!dev || check_dir(dir, err) || check_sg(sg, nents, err))
		return P2PSIM_EINPUT;
	sgl = sg_from_public(sg, nents, err);
	if (!sgl)
		return P2PSIM_EINTERNAL;
	if (for_cpu)
		dma_sync_sg_for_cpu(dev, sgl, nents, (enum dma_data_direction)dir);
	else
		dma_sync_sg_for_device(dev, sgl, nents, (enum dma_data_direction)dir);
	free(sgl);
	return P2PSIM_OK;
}

/* --- time and statistics ------------------------------------------------------- */

int p2psim_world_advance(p2psim_world *pub, uint64_t ns)
{
	struct world *w = world_from_public(pub);
	struct sim_event ev = { .kind = EV_TIME_ADVANCE, .len = ns };

	w->m->now_ns += ns;
	machine_emit(w->m, &ev);
	iommu_dma_run_timers(w->m);
	return P2PSIM_OK;
}

uint64_t p2psim_world_now_ns(const p2psim_world *pub)
{
	return world_from_public_const(pub)->m->now_ns;
}

void p2psim_world_stats(const p2psim_world *pub, struct p2psim_dma_stats *out)
{
	const struct world *w = world_from_public_const(pub);
	const u64 *counts = w->m->events.counts;
	struct phys_mem_stats ms;

	memset(out, 0, sizeof(*out));
	out->maps = counts[EV_DMA_MAP];
	out->unmaps = counts[EV_DMA_UNMAP];
	out->sg_maps = counts[EV_DMA_MAP_SG];
	out->sg_unmaps = counts[EV_DMA_UNMAP_SG];
	out->syncs = counts[EV_DMA_SYNC_FOR_CPU] + counts[EV_DMA_SYNC_FOR_DEVICE];

	for (size_t i = 0; i < w->nr_devs; i++) {
		const struct device *dev = &w->devs[i];
		const struct iommu_dma_stats *st;

		if (!dev->domain || !dev->domain->iova_cookie)
			continue;
		st = iommu_dma_stats(dev->domain);
		if (!st)
			continue;
		out->iova_allocs += st->iova_allocs;
		out->iova_frees += st->iova_frees + st->fq_entries_freed;
		out->fq_depth += iommu_dma_fq_depth(dev->domain);
	}
	out->iovas_live = out->iova_allocs - out->iova_frees;

	for (size_t i = 0; i < w->m->nr_iommus; i++) {
		const struct iommu_hw_stats *hs = iommu_hw_stats(w->m->iommus[i]);

		out->pgtable_pages += hs->pgtable_pages_live;
		out->iotlb_hits += hs->iotlb_hits;
		out->iotlb_misses += hs->iotlb_misses;
		out->iotlb_invalidations += hs->iotlb_inv_range_ops + hs->iotlb_inv_domain_ops;
		out->iommu_faults += hs->faults;
	}

	if (w->swiotlb) {
		out->swiotlb_slots_total = w->swiotlb->defpool.nslabs;
		out->swiotlb_slots_used = swiotlb_used_slots(w->swiotlb);
		out->swiotlb_maps = w->swiotlb->stats.maps;
		out->swiotlb_full = w->swiotlb->stats.full;
		out->bounces = w->swiotlb->stats.bounces;
		out->bytes_bounced = w->swiotlb->stats.bytes_bounced;
	}
	out->arch_syncs = w->m->arch_sync.calls;
	out->arch_sync_cost_ns = w->m->arch_sync.cost_ns;
	phys_mem_get_stats(w->m->mem, &ms);
	out->mem_pages_touched = ms.pages_touched;
}

int p2psim_world_print_stats(const p2psim_world *pub, FILE *out, enum p2psim_format format)
{
	static const char *const rows[] = {
		"maps",
		"unmaps",
		"sg_maps",
		"sg_unmaps",
		"syncs",
		"iova_allocs",
		"iova_frees",
		"iovas_live",
		"fq_depth",
		"pgtable_pages",
		"iotlb_hits",
		"iotlb_misses",
		"iotlb_invalidations",
		"iommu_faults",
		"swiotlb_slots_total",
		"swiotlb_slots_used",
		"swiotlb_maps",
		"swiotlb_full",
		"bounces",
		"bytes_bounced",
		"arch_syncs",
		"arch_sync_cost_ns",
		"mem_pages_touched",
	};
	struct p2psim_dma_stats s;

	p2psim_world_stats(pub, &s);
	const uint64_t values[] = {
		s.maps,
		s.unmaps,
		s.sg_maps,
		s.sg_unmaps,
		s.syncs,
		s.iova_allocs,
		s.iova_frees,
		s.iovas_live,
		s.fq_depth,
		s.pgtable_pages,
		s.iotlb_hits,
		s.iotlb_misses,
		s.iotlb_invalidations,
		s.iommu_faults,
		s.swiotlb_slots_total,
		s.swiotlb_slots_used,
		s.swiotlb_maps,
		s.swiotlb_full,
		s.bounces,
		s.bytes_bounced,
		s.arch_syncs,
		s.arch_sync_cost_ns,
		s.mem_pages_touched,
	};

	_Static_assert(ARRAY_SIZE(values) == ARRAY_SIZE(rows), "one value per row");
	if (format == P2PSIM_FORMAT_JSON) {
		json_object *o = json_object_new_object();

		if (!o)
			return P2PSIM_EINTERNAL;
		for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
			json_object_object_add(o, rows[i], json_object_new_uint64(values[i]));
		fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
		return P2PSIM_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		fprintf(out, "%-22s %llu\n", rows[i], (unsigned long long)values[i]);
	return P2PSIM_OK;
}
