/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * blk-mq-dma.h - the block layer's request DMA iterator (block/blk-mq-dma.c,
 * include/linux/blk-mq-dma.h of Linux v6.18; reference/dma-iommu.md §7,
 * "block/blk-mq-dma.c"): map a whole request with ONE IOVA reservation,
 * one link per segment and one IOTLB sync, falling back to one
 * dma_map_phys() per segment; requests for switch-local P2P memory get bus
 * addresses.
 *
 * Owned by src/block/blk-mq-dma.c. A request is a flat array of physical
 * segments (bio_vecs named by physical address), with a direction.
 */
#ifndef P2PSIM_SRC_BLOCK_BLK_MQ_DMA_H
#define P2PSIM_SRC_BLOCK_BLK_MQ_DMA_H

#include "src/iommu/dma-iommu.h"
#include "src/pci/p2pdma.h"

/*
 * blk_status_t values used here (include/linux/blk_types.h names; the
 * numbers are the simulator's own).
 */
typedef unsigned char blk_status_t;
enum {
	BLK_STS_OK = 0,
	BLK_STS_NOTSUPP, /* -EOPNOTSUPP */
	BLK_STS_TARGET, /* -EREMOTEIO */
	BLK_STS_RESOURCE, /* -ENOMEM: try again later */
	BLK_STS_INVAL, /* -EINVAL: e.g. P2P memory the host bridge may not carry */
	BLK_STS_IOERR, /* -EIO and anything else */
};

/* One physical segment of a request (struct phys_vec). */
struct blk_dma_vec {
	phys_addr_t paddr;
	u32 len;
};

/* One DMA segment handed to the device. */
struct blk_dma_seg {
	dma_addr_t addr;
	u32 len;
};

/* The part of struct request the mapper reads. */
struct blk_dma_req {
	const struct blk_dma_vec *vecs;
	unsigned int nr_vecs;
	enum dma_data_direction dir;
};

/* struct blk_dma_iter: the segment just mapped and where the walk is. */
struct blk_dma_iter {
	dma_addr_t addr; /* this DMA segment */
	u32 len;
	blk_status_t status;
	unsigned int next; /* index of the next vec to map */
	struct pci_p2pdma_map_state p2pdma; /* from the first segment, for the whole request */
};

blk_status_t errno_to_blk_status(int error);
int blk_status_to_errno(blk_status_t status);

/*
 * Start mapping @req for @dev. True with the first DMA segment in @iter
 * (with IOVA: the only one, covering the whole request); false when done
 * or on error (iter->status). @state must be kept until blk_rq_dma_unmap().
 */
bool blk_rq_dma_map_iter_start(const struct blk_dma_req *req, struct device *dev,
			       struct dma_iova_state *state, struct blk_dma_iter *iter);
/* The next DMA segment (only without IOVA). */
bool blk_rq_dma_map_iter_next(const struct blk_dma_req *req, struct device *dev,
			      struct dma_iova_state *state, struct blk_dma_iter *iter);
/*
 * Undo what IOVA or bus mapping did. True when done; false means the caller
 * must dma_unmap_phys() each segment it got (the direct path with
 * dma_need_unmap()). @map_type is iter->p2pdma.map of the mapping walk.
 */
bool blk_rq_dma_unmap(const struct blk_dma_req *req, struct device *dev,
		      struct dma_iova_state *state, size_t mapped_len,
		      enum pci_p2pdma_map_type map_type);

/*
 * What a driver (nvme_map_data()-like) does with the iterator: collect every
 * DMA segment into @out (room for req->nr_vecs), *@nr_out of them, undoing
 * everything on failure. Returns 0 or a negative errno.
 */
struct blk_dma_mapping {
	struct dma_iova_state state;
	enum pci_p2pdma_map_type map_type;
	size_t mapped_len; /* total length of the DMA segments */
	unsigned int nr_segs;
};
int blk_rq_dma_map_all(const struct blk_dma_req *req, struct device *dev,
		       struct blk_dma_mapping *map, struct blk_dma_seg *out);
void blk_rq_dma_unmap_all(const struct blk_dma_req *req, struct device *dev,
			  struct blk_dma_mapping *map, const struct blk_dma_seg *segs);

#endif /* P2PSIM_SRC_BLOCK_BLK_MQ_DMA_H */
