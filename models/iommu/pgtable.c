// SPDX-License-Identifier: GPL-2.0-only
/*
 * pgtable.c - the IOMMU page table of a paging domain: 4 levels of 512
 * 64-bit entries over a 48-bit IOVA space, with 4K leaves at level 1, 2M
 * leaves at level 2 and 1G leaves at level 3 (the layout VT-d second-stage,
 * AMD v1 and Arm LPAE 4K-granule tables share).
 *
 * Owned here: struct io_pgtable and every struct pt_table of it. Each
 * table page allocated or freed is counted in the unit's statistics and
 * emitted (EV_PGTABLE_PAGE_ALLOC / _FREE) so that a leak is countable.
 *
 * Invariants:
 *  - a table page's nr_present equals its number of non-zero entries;
 *  - tables are never freed while reachable; a table detached by an unmap
 *    that covers its whole span goes on the gather's freelist and is freed
 *    only after the IOTLB sync (or by the flush queue), as drivers do;
 *  - a table left empty by smaller unmaps stays in place (the kernel keeps
 *    it too) and is freed with the domain.
 */
#include <errno.h>
#include <stdlib.h>

#include "models/iommu/iommu_hw_internal.h"

static unsigned int level_shift(unsigned int level)
{
	return 12 + 9 * (level - 1);
}

static unsigned int pt_index(dma_addr_t iova, unsigned int level)
{
	return (unsigned int)(iova >> level_shift(level)) & (IOMMU_PT_ENTRIES - 1);
}

static struct pt_table *pt_table_alloc(struct io_pgtable *pt, unsigned int level)
{
	struct iommu_hw *hw = pt->hw;
	struct pt_table *t;

	if (hw->fail_pgtable_alloc_in && --hw->fail_pgtable_alloc_in == 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->level = level;
	t->id = ++hw->next_table_id;
	t->domain_id = pt->domain ? pt->domain->id : 0;
	pt->nr_pages++;
	hw->stats.pgtable_pages_allocated++;
	if (++hw->stats.pgtable_pages_live > hw->stats.pgtable_pages_peak)
		hw->stats.pgtable_pages_peak = hw->stats.pgtable_pages_live;
	IOMMU_EMIT(hw->machine, EV_PGTABLE_PAGE_ALLOC, .aux = pt->domain ? pt->domain->id : 0,
		   .addr = t->id);
	return t;
}

static void pt_table_release(struct iommu_hw *hw, struct pt_table *t)
{
	hw->stats.pgtable_pages_live--;
	hw->stats.pgtable_pages_freed++;
	IOMMU_EMIT(hw->machine, EV_PGTABLE_PAGE_FREE, .aux = t->domain_id, .addr = t->id);
	free(t);
}

/* Forget the leaves under @t in the statistics (the tables are being detached). */
static void pt_subtree_drop_leaves(struct iommu_hw *hw, struct pt_table *t)
{
	for (unsigned int i = 0; i < IOMMU_PT_ENTRIES && t->nr_present; i++) {
		u64 e = t->pte[i];

		if (!e)
			continue;
		if (e & PTE_TABLE) {
			pt_subtree_drop_leaves(hw, PTE_TABLE_PTR(e));
		} else {
			hw->stats.leaves_live[t->level - 1]--;
			hw->stats.ptes_cleared++;
		}
	}
}

/* Push @t and every table below it on @freelist; returns how many tables. */
static u64 pt_subtree_to_freelist(struct pt_table *t, struct pt_table **freelist)
{
	u64 n = 1;

	for (unsigned int i = 0; i < IOMMU_PT_ENTRIES; i++) {
		if (t->pte[i] & PTE_TABLE)
			n += pt_subtree_to_freelist(PTE_TABLE_PTR(t->pte[i]), freelist);
	}
	t->next_free = *freelist;
	*freelist = t;
	return n;
}

static bool pt_subtree_has_leaves(const struct pt_table *t)
{
	for (unsigned int i = 0; i < IOMMU_PT_ENTRIES; i++) {
		u64 e = t->pte[i];

		if (!e)
			continue;
		if (!(e & PTE_TABLE) || pt_subtree_has_leaves(PTE_TABLE_PTR(e)))
			return true;
	}
	return false;
}

void io_pgtable_free_list(struct iommu_hw *hw, struct pt_table *freelist)
{
	while (freelist) {
		struct pt_table *next = freelist->next_free;

		pt_table_release(hw, freelist);
		freelist = next;
	}
}

struct io_pgtable *io_pgtable_alloc(struct iommu_hw *hw, struct iommu_domain *domain)
{
	struct io_pgtable *pt = calloc(1, sizeof(*pt));

	if (!pt)
		return NULL;
	pt->hw = hw;
	pt->domain = domain;
	pt->top = pt_table_alloc(pt, IOMMU_PT_LEVELS);
	if (!pt->top) {
		free(pt);
		return NULL;
	}
	return pt;
}

void io_pgtable_free(struct io_pgtable *pt)
{
	struct pt_table *freelist = NULL;

	if (!pt)
		return;
	pt_subtree_drop_leaves(pt->hw, pt->top);
	pt_subtree_to_freelist(pt->top, &freelist);
	io_pgtable_free_list(pt->hw, freelist);
	free(pt);
}

u64 io_pgtable_pages(const struct io_pgtable *pt)
{
	return pt->nr_pages;
}

u64 io_pgtable_walk(const struct io_pgtable *pt, dma_addr_t iova, unsigned int *shift_out)
{
	const struct pt_table *t = pt->top;

	if (iova >> IOMMU_PT_VA_BITS)
		return 0;
	if (pt->l1 && pt->l1_tag == iova >> 21) {
		u64 e = pt->l1->pte[pt_index(iova, 1)];

		if (e && shift_out)
			*shift_out = 12;
		return e;
	}
	for (unsigned int level = IOMMU_PT_LEVELS; level >= 1; level--) {
		u64 e = t->pte[pt_index(iova, level)];

		if (!e)
			return 0;
		if (!(e & PTE_TABLE)) {
			if (shift_out)
				*shift_out = level_shift(level);
			return e;
		}
		t = PTE_TABLE_PTR(e);
	}
	return 0;
}

int io_pgtable_map_one(struct io_pgtable *pt, dma_addr_t iova, phys_addr_t paddr,
		       unsigned int shift, int prot, bool replace_empty_tables)
{
	unsigned int target = (shift - 12) / 9 + 1;
	struct pt_table *t = pt->top;
	unsigned int level;
	u64 *slot;

	if ((iova + (1ULL << shift) - 1) >> IOMMU_PT_VA_BITS)
		return -ERANGE;
	if (target == 1 && pt->l1 && pt->l1_tag == iova >> 21) {
		t = pt->l1;
		level = 1;
		goto leaf;
	}
	for (level = IOMMU_PT_LEVELS; level > target; level--) {
		u64 *e = &t->pte[pt_index(iova, level)];

		if (!*e) {
			struct pt_table *child = pt_table_alloc(pt, level - 1);

			if (!child)
				return -ENOMEM;
			*e = (u64)(uintptr_t)child | PTE_TABLE | PTE_PRESENT;
			t->nr_present++;
		} else if (!(*e & PTE_TABLE)) {
			return -EEXIST; /* a larger leaf already maps this range */
		}
		t = PTE_TABLE_PTR(*e);
	}
	if (level == 1) {
		pt->l1 = t;
		pt->l1_tag = iova >> 21;
	}
leaf:
	slot = &t->pte[pt_index(iova, level)];
	if (*slot & PTE_TABLE) {
		struct pt_table *freelist = NULL;

		/* A large leaf where smaller mappings once were: allowed only if none is left. */
		if (!replace_empty_tables || pt_subtree_has_leaves(PTE_TABLE_PTR(*slot)))
			return -EEXIST;
		pt->nr_pages -= pt_subtree_to_freelist(PTE_TABLE_PTR(*slot), &freelist);
		pt->l1 = NULL;
		pt->gen++;
		io_pgtable_free_list(pt->hw, freelist);
		*slot = 0;
		t->nr_present--;
	} else if (*slot) {
		return -EEXIST;
	}
	*slot = paddr | ((u64)(prot & 0x3f) << PTE_PROT_SHIFT) | PTE_PRESENT;
	t->nr_present++;
	pt->hw->stats.leaves_live[target - 1]++;
	pt->hw->stats.ptes_set++;
	return 0;
}

size_t io_pgtable_unmap_one(struct io_pgtable *pt, dma_addr_t iova, unsigned int shift,
			    enum partial_unmap_policy policy, struct iommu_iotlb_gather *gather,
			    dma_addr_t *base_out)
{
	unsigned int target = (shift - 12) / 9 + 1;
	struct pt_table *t = pt->top;
	struct iommu_hw *hw = pt->hw;
	unsigned int level;
	u64 *slot;

	if (iova >> IOMMU_PT_VA_BITS)
		return 0;
	if (target == 1 && pt->l1 && pt->l1_tag == iova >> 21) {
		t = pt->l1;
		level = 1;
		goto leaf;
	}
	for (level = IOMMU_PT_LEVELS; level > target; level--) {
		u64 *e = &t->pte[pt_index(iova, level)];

		if (!*e)
			return 0; /* hole */
		if (!(*e & PTE_TABLE)) {
			/* A larger leaf: the request covers only part of it. */
			if (policy == PARTIAL_UNMAP_REFUSE) {
				hw->stats.partial_unmap_refused++;
				return 0;
			}
			hw->stats.partial_unmap_rounded++;
			pt->gen++;
			*e = 0;
			t->nr_present--;
			hw->stats.leaves_live[level - 1]--;
			hw->stats.ptes_cleared++;
			*base_out = iova & ~((1ULL << level_shift(level)) - 1);
			return 1ULL << level_shift(level);
		}
		t = PTE_TABLE_PTR(*e);
	}
leaf:
	slot = &t->pte[pt_index(iova, level)];
	if (!*slot)
		return 0;
	if (*slot & PTE_TABLE) {
		struct pt_table *child = PTE_TABLE_PTR(*slot);

		pt->l1 = NULL;

		/* Unmapping a whole span that smaller leaves map: drop the table below. */
		pt_subtree_drop_leaves(hw, child);
		pt->nr_pages -= pt_subtree_to_freelist(child, &gather->freelist);
	} else {
		hw->stats.leaves_live[level - 1]--;
		hw->stats.ptes_cleared++;
	}
	*slot = 0;
	t->nr_present--;
	pt->gen++;
	*base_out = iova & ~((1ULL << shift) - 1);
	return 1ULL << shift;
}
