// SPDX-License-Identifier: GPL-2.0-only
/*
 * twostep.c - scenario steps for the two-step IOVA API and the HMM DMA
 * helpers. Each step calls the kernel function as a driver would, with no
 * extra checking: the point of a scenario is to show what the kernel does
 * (and what the checkers say) when a rule is broken.
 *
 *   iova-alloc NAME DEV SIZE [phys=ADDR]    dma_iova_try_alloc(); false is an
 *                                           error outcome: EOPNOTSUPP without a
 *                                           DMA IOMMU domain, ENOMEM otherwise
 *   iova-link NAME BUF[@OFF][+LEN] [at=OFF] dma_iova_link(); its errno is the outcome
 *   iova-sync NAME [at=OFF] [len=LEN]       dma_iova_sync() (default: everything)
 *   iova-unlink NAME len=LEN [at=OFF]       dma_iova_unlink()
 *   iova-destroy NAME [len=LEN]             dma_iova_destroy(mapped_len = LEN,
 *                                           default the reserved size)
 *   iova-free NAME                          dma_iova_free()
 *   hmm-alloc NAME DEV ENTRIES              hmm_dma_map_alloc(4 KiB entries); errno
 *   hmm-map NAME INDEX BUF[@OFF] [fault=sync-map]
 *                                           the page at BUF+OFF into pfn INDEX
 *                                           (VALID|WRITE), hmm_dma_map_pfn();
 *                                           fault=sync-map: the IOMMU's
 *                                           iotlb_sync_map fails meanwhile;
 *                                           DMA_MAPPING_ERROR is EREMOTEIO for P2P
 *                                           the host bridge may not carry, else ENOMEM
 *   hmm-unmap NAME INDEX                    hmm_dma_unmap_pfn()
 *   hmm-free NAME                           hmm_dma_map_free()
 *   blk-map NAME DEV DIR BUF...             blk_rq_dma_map_all() of one request
 *                                           with a segment per buffer; its errno
 *   blk-unmap NAME                          blk_rq_dma_unmap_all()
 *
 * Using a reservation after its free / destroy, or before a successful
 * alloc, is refused as a misuse of the scenario (the run fails) instead of
 * touching a zeroed state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/iommu/iommu_hw.h"
#include "sim/scenario/twostep.h"
#include "src/block/blk-mq-dma.h"
#include "src/iommu/dma-iommu.h"
#include "src/mm/hmm.h"

struct scn_twostep_slot {
	struct device *dev;
	bool iova_live;
	struct dma_iova_state state;
	bool hmm_live;
	struct hmm_dma_map hmm;
	struct pci_p2pdma_map_state p2p; /* the caller's memo, per HMM map */
	bool blk_live;
	struct blk_dma_req req;
	struct blk_dma_vec *vecs;
	struct blk_dma_seg *segs;
	struct blk_dma_mapping blk;
};

struct scn_twostep {
	size_t nr;
	struct scn_twostep_slot slots[];
};

struct scn_twostep *scn_twostep_new(size_t nr_syms)
{
	struct scn_twostep *ts = calloc(1, sizeof(*ts) + nr_syms * sizeof(ts->slots[0]));

	if (ts)
		ts->nr = nr_syms;
	return ts;
}

void scn_twostep_free(struct scn_twostep *ts)
{
	if (!ts)
		return;
	for (size_t i = 0; i < ts->nr; i++) {
		free(ts->slots[i].hmm.pfn_list);
		free(ts->slots[i].hmm.dma_list);
		free(ts->slots[i].vecs);
		free(ts->slots[i].segs);
	}
	free(ts);
}

static void misuse(struct scn_twostep_result *res, const struct scenario *scn,
		   const struct scn_step *st, const char *what)
{
	snprintf(res->misuse, sizeof(res->misuse), "'%s' %s", scn->syms[st->sym].name, what);
}

static void run_iova(struct scn_twostep_slot *s, const struct scenario *scn,
		     const struct scn_step *st, struct device *dev, phys_addr_t phys, u64 len,
		     struct scn_twostep_result *res)
{
	enum dma_data_direction dir = (enum dma_data_direction)st->dir;
	int ret;

	if (st->verb == SCN_IOVA_ALLOC) {
		if (s->iova_live) {
			misuse(res, scn, st, "still holds a reservation: free or destroy it first");
			return;
		}
		res->has_outcome = true;
		s->dev = dev;
		if (!dma_iova_try_alloc(dev, &s->state, st->at_given ? st->at : 0, st->size)) {
			res->failed = true;
			res->err = use_dma_iommu(dev) ? -ENOMEM : -EOPNOTSUPP;
			return;
		}
		s->iova_live = true;
		return;
	}
	if (!s->iova_live) {
		misuse(res, scn, st,
		       "holds no IOVA reservation (iova-alloc failed, or it was freed)");
		return;
	}
	switch (st->verb) {
	case SCN_IOVA_LINK:
		res->has_outcome = true;
		/* fault=swiotlb-full: the bounce pool has no slot left during this call */
		if (st->fail_swiotlb && s->dev->dma_io_tlb_mem)
			s->dev->dma_io_tlb_mem->sim_full = true;
		ret = dma_iova_link(s->dev, &s->state, phys, st->at, len, dir, st->attrs);
		if (s->dev->dma_io_tlb_mem)
			s->dev->dma_io_tlb_mem->sim_full = false;
		if (ret) {
			res->failed = true;
			res->err = ret;
		}
		break;
	case SCN_IOVA_SYNC:
		res->has_outcome = true;
		ret = dma_iova_sync(s->dev, &s->state, st->at,
				    st->size_given ? st->bad_size : dma_iova_size(&s->state));
		if (ret) {
			res->failed = true;
			res->err = ret;
		}
		break;
	case SCN_IOVA_UNLINK:
		dma_iova_unlink(s->dev, &s->state, st->at, st->bad_size, dir, st->attrs);
		break;
	case SCN_IOVA_DESTROY:
		dma_iova_destroy(s->dev, &s->state,
				 st->size_given ? st->bad_size : dma_iova_size(&s->state), dir,
				 st->attrs);
		s->iova_live = false;
		break;
	default: /* SCN_IOVA_FREE */
		dma_iova_free(s->dev, &s->state);
		s->iova_live = false;
		break;
	}
}

static void run_hmm(struct scn_twostep_slot *s, const struct scenario *scn,
		    const struct scn_step *st, struct device *dev, phys_addr_t phys,
		    struct scn_twostep_result *res)
{
	const unsigned long sticky = HMM_PFN_DMA_MAPPED | HMM_PFN_P2PDMA | HMM_PFN_P2PDMA_BUS;
	int ret;

	if (st->verb == SCN_HMM_ALLOC) {
		if (s->hmm_live) {
			misuse(res, scn, st, "is still allocated: hmm-free it first");
			return;
		}
		res->has_outcome = true;
		s->dev = dev;
		memset(&s->p2p, 0, sizeof(s->p2p));
		ret = hmm_dma_map_alloc(dev, &s->hmm, st->size, PAGE_SIZE);
		if (ret) {
			res->failed = true;
			res->err = ret;
			return;
		}
		s->hmm_live = true;
		return;
	}
	if (!s->hmm_live) {
		misuse(res, scn, st, "is not an allocated HMM map (hmm-alloc failed, or hmm-free)");
		return;
	}
	if ((st->verb == SCN_HMM_MAP || st->verb == SCN_HMM_UNMAP) &&
	    st->value >= s->hmm.nr_entries) {
		misuse(res, scn, st, "has no entry at that index");
		return;
	}
	switch (st->verb) {
	case SCN_HMM_MAP: {
		unsigned long *pfn = &s->hmm.pfn_list[st->value];
		struct iommu_hw *hw = NULL;
		dma_addr_t addr;

		res->has_outcome = true;
		/* What hmm_range_fault() stores: the page, VALID|WRITE, the sticky DMA bits kept. */
		*pfn = (*pfn & sticky) | hmm_pfn_from_phys(phys, true);
		/* fault=sync-map: the IOMMU's next iotlb_sync_map fails (for this call only) */
		if (st->fail_sync_map && use_dma_iommu(s->dev))
			hw = s->dev->domain->hw;
		if (hw)
			iommu_hw_fail_sync_map(hw, 1);
		addr = hmm_dma_map_pfn(s->dev, &s->hmm, st->value, &s->p2p);
		if (hw)
			iommu_hw_fail_sync_map(hw, 0);
		if (addr == DMA_MAPPING_ERROR) {
			res->failed = true;
			res->err = s->p2p.mem && s->p2p.map == PCI_P2PDMA_MAP_NOT_SUPPORTED ?
					   -EREMOTEIO :
					   -ENOMEM;
		}
		break;
	}
	case SCN_HMM_UNMAP:
		hmm_dma_unmap_pfn(s->dev, &s->hmm, st->value);
		break;
	default: /* SCN_HMM_FREE */
		hmm_dma_map_free(s->dev, &s->hmm);
		s->hmm_live = false;
		break;
	}
}

static void run_blk(struct scn_twostep_slot *s, const struct scenario *scn,
		    const struct scn_step *st, struct device *dev, const phys_addr_t *phys,
		    const u64 *len, size_t nr, struct scn_twostep_result *res)
{
	int ret;

	if (st->verb == SCN_BLK_UNMAP) {
		if (!s->blk_live) {
			misuse(res, scn, st, "is not a mapped block request");
			return;
		}
		blk_rq_dma_unmap_all(&s->req, s->dev, &s->blk, s->segs);
		s->blk_live = false;
		return;
	}
	if (s->blk_live) {
		misuse(res, scn, st, "is still mapped: blk-unmap it first");
		return;
	}
	res->has_outcome = true;
	free(s->vecs);
	free(s->segs);
	s->vecs = calloc(nr, sizeof(*s->vecs));
	s->segs = calloc(nr, sizeof(*s->segs));
	if (!s->vecs || !s->segs) {
		res->failed = true;
		res->err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < nr; i++) {
		if (len[i] > UINT32_MAX) {
			misuse(res, scn, st, "has a segment of 4 GiB or more");
			return;
		}
		s->vecs[i] = (struct blk_dma_vec){ .paddr = phys[i], .len = (u32)len[i] };
	}
	s->dev = dev;
	s->req =
		(struct blk_dma_req){ s->vecs, (unsigned int)nr, (enum dma_data_direction)st->dir };
	ret = blk_rq_dma_map_all(&s->req, dev, &s->blk, s->segs);
	if (ret) {
		res->failed = true;
		res->err = ret;
		return;
	}
	s->blk_live = true;
}

void scn_twostep_run(struct scn_twostep *ts, struct world *w, const struct scenario *scn,
		     const struct scn_step *st, struct device *dev, const phys_addr_t *phys,
		     const u64 *len, size_t nr, struct scn_twostep_result *res)
{
	struct scn_twostep_slot *s = &ts->slots[st->sym];

	(void)w;
	memset(res, 0, sizeof(*res));
	if (st->verb >= SCN_IOVA_ALLOC && st->verb <= SCN_IOVA_FREE)
		run_iova(s, scn, st, dev, nr ? phys[0] : 0, nr ? len[0] : 0, res);
	else if (st->verb >= SCN_HMM_ALLOC && st->verb <= SCN_HMM_FREE)
		run_hmm(s, scn, st, dev, nr ? phys[0] : 0, res);
	else
		run_blk(s, scn, st, dev, phys, len, nr, res);
}
