// SPDX-License-Identifier: GPL-2.0-only
/*
 * Follows drivers/dma-buf/dma-buf-mapping.c (torvalds @b703b31ea8cd, gregkh @6b98fd7106d4,
 * intel-lab-lkp @00e871ff2ab5: 64-bit entry addresses, nents overflow check, size_t
 * mapped_len), reference/dmabuf-vfio.md §2.5.
 *
 * dma-buf-mapping.c - dma_buf_phys_vec_to_sgt() / dma_buf_free_sgt().
 *
 * dma-buf abuses the scatterlist as a DMA-only list: no CPU pages, only
 * (dma_address, dma_length) pairs, orig_nents 0. Each range is mapped the
 * way the p2pdma map type between the provider and the importer's device
 * says: bus addresses (no IOMMU involved), one IOVA span linked with the
 * two-step API, or (IOVA reservation failed) dma_map_phys() per range.
 *
 * Injection points: H5 (no UINT_MAX splitting), H14 (entry address in
 * 32-bit arithmetic), H15 (mapped_len as unsigned int).
 */
#include <errno.h>
#include <stdlib.h>

#include "src/dma-buf/dma-buf-mapping.h"
#include "src/dma/mapping.h"
#include "src/iommu/dma-iommu.h"

/* The private wrapper behind every returned table (sgt first: container_of is a cast). */
struct dma_buf_dma {
	struct sg_table sgt;
	struct dma_iova_state *state;
	size_t size;
	unsigned int filled; /* entries written (the error unwind undoes exactly these) */
	enum pci_p2pdma_map_type map;
};

static struct dma_buf_dma *to_dma_buf_dma(const struct sg_table *sgt)
{
	return (struct dma_buf_dma *)(void *)sgt;
}

static const struct bug_set *attach_bugs(const struct dma_buf_attachment *attach)
{
	return attach->dmabuf->sys->bugs;
}

/*
 * fill_sg_entry(): cover @length bytes from @addr with entries of at most
 * UINT_MAX bytes; returns the next free entry index.
 */
static unsigned int fill_sg_entry(struct dma_buf_attachment *attach, struct dma_buf_dma *dma,
				  unsigned int idx, u64 length, dma_addr_t addr)
{
	const struct bug_set *bugs = attach_bugs(attach);
	unsigned int nents;

	if (bug_injected(bugs, BUG_H5_NO_UINT_MAX_SPLIT))
		nents = length ? 1 : 0; /* H5: one entry, its length truncated below */
	else
		nents = (unsigned int)((length + UINT_MAX - 1) / UINT_MAX);

	for (unsigned int i = 0; i < nents; i++) {
		struct scatterlist *sg;
		unsigned int len = length > UINT_MAX ? UINT_MAX : (unsigned int)length;
		struct sim_event ev;

		if (idx >= dma->sgt.nents) {
			/* more entries than allocated: the kernel's sg_next() would run off */
			dmabuf_warn(attach->dmabuf->sys, DMABUF_WARN_GENERIC, attach->dmabuf->id);
			return idx;
		}
		if (bug_injected(bugs, BUG_H5_NO_UINT_MAX_SPLIT))
			len = (unsigned int)length;
		length -= len;

		sg = &dma->sgt.sgl[idx];
		/* no CPU list: page pointer NULL so importers cannot use it */
		sg->page_phys = 0;
		sg->offset = 0;
		sg->length = 0;
		if (bug_injected(bugs, BUG_H14_SG_ADDR_32BIT))
			sg->dma_address =
				addr + (unsigned int)(i * UINT_MAX); /* H14: 32-bit product */
		else
			sg->dma_address = addr + (dma_addr_t)i * UINT_MAX;
		sg->dma_length = len;
		idx++;
		dma->filled = idx;

		ev = (struct sim_event){ .kind = EV_DMABUF_SG_ENTRY,
					 .aux = attach->dmabuf->id,
					 .dev = attach->dev->pdev,
					 .addr = sg->dma_address,
					 .len = sg->dma_length,
					 .count = idx - 1 };
		dmabuf_sys_emit(attach->dmabuf->sys, &ev);
	}
	return idx;
}

/*
 * calc_sg_nents(): bus addresses and dma_map_phys() need entries per range,
 * an IOVA span only for the total. An entry count that does not fit an
 * unsigned int gives 0, which sg_alloc_table() refuses.
 */
static unsigned int calc_sg_nents(const struct bug_set *bugs, const struct dma_iova_state *state,
				  const struct dma_buf_phys_vec *phys_vec, size_t nr_ranges,
				  size_t size)
{
	u64 nents = 0;

	if (bug_injected(bugs, BUG_H5_NO_UINT_MAX_SPLIT)) /* H5: one entry per range / span */
		return (!state || !dma_use_iova(state)) ? (unsigned int)nr_ranges : 1;
	if (!state || !dma_use_iova(state)) {
		for (size_t i = 0; i < nr_ranges; i++) {
			nents += (phys_vec[i].len + (u64)UINT_MAX - 1) / UINT_MAX;
			if (nents > UINT_MAX)
				return 0;
		}
	} else {
		nents = ((u64)size + UINT_MAX - 1) / UINT_MAX;
	}
	return (unsigned int)nents;
}

static void p2p_map_emit(struct dma_buf_attachment *attach, enum pci_p2pdma_map_type map,
			 dma_addr_t addr, phys_addr_t paddr, size_t len, int ret)
{
	struct sim_event ev = { .kind = EV_P2P_MAP,
				.dev = attach->dev->pdev,
				.addr = addr,
				.phys = paddr,
				.len = len,
				.flags = map,
				.attrs = DMA_ATTR_MMIO,
				.ret = ret };

	dmabuf_sys_emit(attach->dmabuf->sys, &ev);
}

struct sg_table *dma_buf_phys_vec_to_sgt(struct dma_buf_attachment *attach,
					 struct p2pdma_provider *provider,
					 const struct dma_buf_phys_vec *phys_vec, size_t nr_ranges,
					 size_t size, enum dma_data_direction dir)
{
	const struct bug_set *bugs;
	struct device *dev;
	struct dma_buf_dma *dma;
	enum pci_p2pdma_map_type map;
	unsigned int nents, idx = 0;
	size_t mapped_len = 0;
	dma_addr_t addr = 0;
	size_t i = 0;
	int ret;

	if (!attach || !attach->dmabuf)
		return ERR_PTR(-EINVAL);
	dma_resv_assert_held(&attach->dmabuf->resv);
	if (!provider) {
		dmabuf_warn(attach->dmabuf->sys, DMABUF_WARN_GENERIC, attach->dmabuf->id);
		return ERR_PTR(-EINVAL);
	}
	dev = attach->dev;
	bugs = attach_bugs(attach);

	dma = calloc(1, sizeof(*dma));
	if (!dma)
		return ERR_PTR(-ENOMEM);

	map = dev->p2pdma ? pci_p2pdma_map_type(dev->p2pdma, provider, dev->pdev) :
			    PCI_P2PDMA_MAP_NOT_SUPPORTED;
	dma->map = map;
	switch (map) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		break;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		dma->state = calloc(1, sizeof(*dma->state));
		if (!dma->state) {
			ret = -ENOMEM;
			goto err_free_dma;
		}
		/* may fail silently: then every range goes through dma_map_phys() */
		dma_iova_try_alloc(dev, dma->state, 0, size);
		break;
	default:
		ret = -EINVAL;
		p2p_map_emit(attach, map, 0, nr_ranges ? phys_vec[0].paddr : 0, size, ret);
		goto err_free_dma;
	}

	nents = calc_sg_nents(bugs, dma->state, phys_vec, nr_ranges, size);
	if (!nents) {
		ret = -EINVAL; /* sg_alloc_table(0) */
		goto err_free_state;
	}
	dma->sgt.sgl = calloc(nents, sizeof(*dma->sgt.sgl));
	if (!dma->sgt.sgl) {
		ret = -ENOMEM;
		goto err_free_state;
	}
	dma->sgt.nents = nents;
	dma->sgt.orig_nents = nents;

	for (i = 0; i < nr_ranges; i++) {
		if (!dma->state) {
			addr = pci_p2pdma_bus_addr_map(provider, phys_vec[i].paddr);
		} else if (dma_use_iova(dma->state)) {
			ret = dma_iova_link(dev, dma->state, phys_vec[i].paddr, mapped_len,
					    phys_vec[i].len, dir, DMA_ATTR_MMIO);
			if (ret)
				goto err_unmap_dma;
			p2p_map_emit(attach, map, dma->state->addr + mapped_len, phys_vec[i].paddr,
				     phys_vec[i].len, 0);
			if (bug_injected(bugs, BUG_H15_MAPPED_LEN_32BIT))
				mapped_len = (unsigned int)(mapped_len + phys_vec[i].len);
			else
				mapped_len += phys_vec[i].len;
		} else {
			addr = dma_map_phys(dev, phys_vec[i].paddr, phys_vec[i].len, dir,
					    DMA_ATTR_MMIO);
			ret = dma_mapping_error(dev, addr);
			if (ret)
				goto err_unmap_dma;
		}

		if (!dma->state || !dma_use_iova(dma->state)) {
			p2p_map_emit(attach, map, addr, phys_vec[i].paddr, phys_vec[i].len, 0);
			idx = fill_sg_entry(attach, dma, idx, phys_vec[i].len, addr);
		}
	}

	if (dma->state && dma_use_iova(dma->state)) {
		if (mapped_len != size) /* WARN_ON_ONCE */
			dmabuf_warn(attach->dmabuf->sys, DMABUF_WARN_GENERIC, attach->dmabuf->id);
		ret = dma_iova_sync(dev, dma->state, 0, mapped_len);
		if (ret)
			goto err_unmap_dma;
		idx = fill_sg_entry(attach, dma, idx, mapped_len, dma->state->addr);
	}

	dma->size = size;
	/* no CPU list: orig_nents 0 tells users to look at nents only */
	dma->sgt.orig_nents = 0;
	/* every allocated entry used (WARN_ON_ONCE(sgl)) */
	if (idx != dma->sgt.nents)
		dmabuf_warn(attach->dmabuf->sys, DMABUF_WARN_GENERIC, attach->dmabuf->id);
	return &dma->sgt;

err_unmap_dma:
	if (!i || !dma->state) {
		/*
		 * nothing linked yet, or bus addresses: nothing to undo (as upstream,
		 * an IOVA reservation made before a failing first link stays reserved)
		 */
	} else if (dma_use_iova(dma->state)) {
		dma_iova_destroy(dev, dma->state, mapped_len, dir, DMA_ATTR_MMIO);
	} else {
		/* the kernel walks every allocated entry; only the filled ones hold mappings */
		for (unsigned int j = 0; j < dma->filled; j++)
			dma_unmap_phys(dev, dma->sgt.sgl[j].dma_address, dma->sgt.sgl[j].dma_length,
				       dir, DMA_ATTR_MMIO);
	}
	free(dma->sgt.sgl);
err_free_state:
	free(dma->state);
err_free_dma:
	free(dma);
	return ERR_PTR(ret);
}

void dma_buf_free_sgt(struct dma_buf_attachment *attach, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	struct dma_buf_dma *dma = to_dma_buf_dma(sgt);

	dma_resv_assert_held(&attach->dmabuf->resv);

	if (!dma->state) {
		; /* bus addresses: nothing was mapped */
	} else if (dma_use_iova(dma->state)) {
		dma_iova_destroy(attach->dev, dma->state, dma->size, dir, DMA_ATTR_MMIO);
	} else {
		for (unsigned int i = 0; i < dma->sgt.nents; i++)
			dma_unmap_phys(attach->dev, sgt->sgl[i].dma_address, sgt->sgl[i].dma_length,
				       dir, DMA_ATTR_MMIO);
	}
	free(dma->sgt.sgl);
	free(dma->state);
	free(dma);
}

enum pci_p2pdma_map_type dma_buf_sgt_map_type(const struct sg_table *sgt)
{
	return to_dma_buf_dma(sgt)->map;
}

bool dma_buf_sgt_uses_iova(const struct sg_table *sgt)
{
	const struct dma_buf_dma *dma = to_dma_buf_dma(sgt);

	return dma->state && dma_use_iova(dma->state);
}
