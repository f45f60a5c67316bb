// SPDX-License-Identifier: GPL-2.0-only
// Follows block/blk-mq-dma.c + include/linux/blk-mq-dma.h of Linux v6.18, reference/dma-iommu.md §7 (block-layer notes).
/*
 * blk-mq-dma.c - map a block request for DMA without a scatterlist.
 *
 * Start of a request: the P2P state is taken from the FIRST segment and
 * applies to the whole request.
 *   - BUS_ADDR (a peer under the same switch): every segment gets its bus
 *     address; nothing is mapped, nothing is unmapped.
 *   - Otherwise, if no interior segment boundary falls inside an IOMMU
 *     granule (the physical gap mask does not meet dma_get_merge_boundary())
 *     and dma_iova_try_alloc() reserves the whole payload: link every
 *     segment back to back (DMA_ATTR_MMIO for host-bridge P2P), then ONE
 *     dma_iova_sync() and hand the device ONE segment. As upstream, a link
 *     error only stops the loop; the status is the sync's.
 *   - Else one dma_map_phys() per segment, BLK_STS_RESOURCE on failure.
 * Unmap: BUS_ADDR nothing; IOVA dma_iova_destroy(mapped_len) (one unmap,
 * one sync, or a flush-queue entry in lazy mode); direct: tell the caller
 * to unmap each segment when dma_need_unmap().
 *
 * Owned here: nothing; the caller keeps the iterator and the IOVA state.
 */
#include <errno.h>
#include <string.h>

#include "src/block/blk-mq-dma.h"
#include "src/dma/mapping.h"

blk_status_t errno_to_blk_status(int error)
{
	switch (error) {
	case 0:
		return BLK_STS_OK;
	case -EOPNOTSUPP:
		return BLK_STS_NOTSUPP;
	case -EREMOTEIO:
		return BLK_STS_TARGET;
	case -ENOMEM:
		return BLK_STS_RESOURCE;
	case -EINVAL:
		return BLK_STS_INVAL;
	default:
		return BLK_STS_IOERR;
	}
}

int blk_status_to_errno(blk_status_t status)
{
	switch (status) {
	case BLK_STS_OK:
		return 0;
	case BLK_STS_NOTSUPP:
		return -EOPNOTSUPP;
	case BLK_STS_TARGET:
		return -EREMOTEIO;
	case BLK_STS_RESOURCE:
		return -ENOMEM;
	case BLK_STS_INVAL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static bool blk_map_iter_next(const struct blk_dma_req *req, struct blk_dma_iter *iter,
			      struct blk_dma_vec *vec)
{
	if (iter->next >= req->nr_vecs)
		return false;
	*vec = req->vecs[iter->next++];
	return true;
}

static size_t blk_rq_payload_bytes(const struct blk_dma_req *req)
{
	size_t total = 0;

	for (unsigned int i = 0; i < req->nr_vecs; i++)
		total += req->vecs[i].len;
	return total;
}

/* The OR of every interior boundary: where one segment ends and the next starts. */
static u64 req_phys_gap_mask(const struct blk_dma_req *req)
{
	u64 mask = 0;

	for (unsigned int i = 0; i + 1 < req->nr_vecs; i++)
		mask |= (req->vecs[i].paddr + req->vecs[i].len) | req->vecs[i + 1].paddr;
	return mask;
}

static bool blk_can_dma_map_iova(const struct blk_dma_req *req, struct device *dev)
{
	return !(req_phys_gap_mask(req) & iommu_dma_get_merge_boundary(dev));
}

static bool blk_dma_map_bus(struct blk_dma_iter *iter, const struct blk_dma_vec *vec)
{
	iter->addr = pci_p2pdma_bus_addr_map(iter->p2pdma.mem, vec->paddr);
	iter->len = vec->len;
	return true;
}

static unsigned long blk_dma_attrs(const struct blk_dma_iter *iter)
{
	return iter->p2pdma.map == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE ? DMA_ATTR_MMIO : 0;
}

static bool blk_dma_map_direct(const struct blk_dma_req *req, struct device *dev,
			       struct blk_dma_iter *iter, const struct blk_dma_vec *vec)
{
	iter->addr = dma_map_phys(dev, vec->paddr, vec->len, req->dir, blk_dma_attrs(iter));
	if (dma_mapping_error(dev, iter->addr)) {
		iter->status = BLK_STS_RESOURCE;
		return false;
	}
	iter->len = vec->len;
	return true;
}

static bool blk_rq_dma_map_iova(const struct blk_dma_req *req, struct device *dev,
				struct dma_iova_state *state, struct blk_dma_iter *iter,
				struct blk_dma_vec *vec)
{
	unsigned long attrs = blk_dma_attrs(iter);
	size_t mapped = 0;
	int error;

	iter->addr = state->addr;
	iter->len = (u32)dma_iova_size(state);

	do {
		error = dma_iova_link(dev, state, vec->paddr, mapped, vec->len, req->dir, attrs);
		if (error)
			break;
		mapped += vec->len;
	} while (blk_map_iter_next(req, iter, vec));

	/* As written upstream: a link error is overwritten by the sync's result. */
	error = dma_iova_sync(dev, state, 0, mapped);
	if (error) {
		iter->status = errno_to_blk_status(error);
		return false;
	}
	return true;
}

bool blk_rq_dma_map_iter_start(const struct blk_dma_req *req, struct device *dev,
			       struct dma_iova_state *state, struct blk_dma_iter *iter)
{
	enum pci_p2pdma_map_type type = PCI_P2PDMA_MAP_NONE;
	struct blk_dma_vec vec;

	memset(iter, 0, sizeof(*iter));
	iter->status = BLK_STS_OK;
	iter->p2pdma.map = PCI_P2PDMA_MAP_NONE;

	if (!blk_map_iter_next(req, iter, &vec))
		return false;

	if (dev->p2pdma)
		type = pci_p2pdma_state(dev->p2pdma, &iter->p2pdma, dev->pdev, vec.paddr);
	switch (type) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return blk_dma_map_bus(iter, &vec);
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		/* MMIO: no cache maintenance, never bounced (blk_dma_attrs). */
		break;
	case PCI_P2PDMA_MAP_NONE:
		break;
	default:
		iter->status = BLK_STS_INVAL;
		return false;
	}

	if (blk_can_dma_map_iova(req, dev) &&
	    dma_iova_try_alloc(dev, state, vec.paddr, blk_rq_payload_bytes(req)))
		return blk_rq_dma_map_iova(req, dev, state, iter, &vec);
	memset(state, 0, sizeof(*state));
	return blk_dma_map_direct(req, dev, iter, &vec);
}

bool blk_rq_dma_map_iter_next(const struct blk_dma_req *req, struct device *dev,
			      struct dma_iova_state *state, struct blk_dma_iter *iter)
{
	struct blk_dma_vec vec;

	if (dma_use_iova(state))
		return false; /* the IOVA path handed out everything at once */
	if (!blk_map_iter_next(req, iter, &vec))
		return false;
	if (iter->p2pdma.map == PCI_P2PDMA_MAP_BUS_ADDR)
		return blk_dma_map_bus(iter, &vec);
	return blk_dma_map_direct(req, dev, iter, &vec);
}

bool blk_rq_dma_unmap(const struct blk_dma_req *req, struct device *dev,
		      struct dma_iova_state *state, size_t mapped_len,
		      enum pci_p2pdma_map_type map_type)
{
	if (map_type == PCI_P2PDMA_MAP_BUS_ADDR)
		return true;
	if (dma_use_iova(state)) {
		dma_iova_destroy(dev, state, mapped_len, req->dir,
				 map_type == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE ? DMA_ATTR_MMIO : 0);
		return true;
	}
	return !dma_need_unmap(dev);
}

int blk_rq_dma_map_all(const struct blk_dma_req *req, struct device *dev,
		       struct blk_dma_mapping *map, struct blk_dma_seg *out)
{
	struct blk_dma_iter iter;
	bool more;
	int ret;

	memset(map, 0, sizeof(*map));
	for (more = blk_rq_dma_map_iter_start(req, dev, &map->state, &iter); more;
	     more = blk_rq_dma_map_iter_next(req, dev, &map->state, &iter)) {
		out[map->nr_segs].addr = iter.addr;
		out[map->nr_segs].len = iter.len;
		map->nr_segs++;
		map->mapped_len += iter.len;
	}
	map->map_type = iter.p2pdma.map;
	if (iter.status == BLK_STS_OK)
		return 0;

	ret = blk_status_to_errno(iter.status);
	if (dma_use_iova(&map->state)) {
		/* The sync failed after the links: nothing was handed out. */
		map->mapped_len = dma_iova_size(&map->state);
	}
	blk_rq_dma_unmap_all(req, dev, map, out);
	return ret;
}

void blk_rq_dma_unmap_all(const struct blk_dma_req *req, struct device *dev,
			  struct blk_dma_mapping *map, const struct blk_dma_seg *segs)
{
	if (!blk_rq_dma_unmap(req, dev, &map->state, map->mapped_len, map->map_type)) {
		for (unsigned int i = 0; i < map->nr_segs; i++)
			dma_unmap_phys(dev, segs[i].addr, segs[i].len, req->dir,
				       map->map_type == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE ?
					       DMA_ATTR_MMIO :
					       0);
	}
	memset(map, 0, sizeof(*map));
}
