// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_hw.c - one IOMMU unit: its domains, its IOTLB, its fault log and
 * the translation a device request gets at the root complex.
 *
 * Owned here: struct iommu_hw and struct iommu_domain allocation.
 *
 * IOTLB: iotlb_entries / iotlb_ways from the topology give nr_sets sets of
 * `ways` entries, LRU within a set. An entry caches one leaf translation
 * (domain id, page number at the leaf's size, output page, prot). The set
 * of a page is a hash of (page number, domain id, size class) in which
 * consecutive pages fall in consecutive sets, so invalidating a range
 * probes only the sets that range maps to (all sets when the range is at
 * least as many pages as there are sets). An entry stays usable until an
 * invalidation removes it: unmapping a page table entry alone does not
 * stop the device, exactly why strict mode syncs and lazy mode defers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "models/iommu/iommu_hw_internal.h"

static unsigned int iotlb_set_of(const struct iommu_hw *hw, u64 vpn, u32 domain_id,
				 unsigned int cls)
{
	u64 h = vpn + (u64)domain_id * 0x9e3779b1ULL + (u64)cls * 0x85ebca6bULL;

	if (hw->iotlb_set_mask || hw->iotlb_sets == 1)
		return (unsigned int)h & hw->iotlb_set_mask;
	return (unsigned int)(h % hw->iotlb_sets);
}

struct iommu_hw *iommu_hw_new(struct machine *m, const struct iommu_desc *desc)
{
	struct iommu_hw *hw = calloc(1, sizeof(*hw));
	unsigned int entries, ways;

	if (!hw)
		return NULL;
	hw->machine = m;
	hw->desc = desc;
	hw->driver = iommu_driver_for(desc->type);
	hw->pgsize_bitmap = desc->pgsize_bitmap & IOMMU_PGSIZES_SUPPORTED;
	if (!(hw->pgsize_bitmap & SZ_4K))
		hw->pgsize_bitmap |= SZ_4K; /* every type has 4K pages */
	entries = desc->iotlb_entries ? desc->iotlb_entries : 64;
	ways = desc->iotlb_ways ? desc->iotlb_ways : 4;
	if (ways > entries)
		ways = entries;
	hw->iotlb_ways = ways;
	hw->iotlb_sets = entries / ways;
	if (!(hw->iotlb_sets & (hw->iotlb_sets - 1)))
		hw->iotlb_set_mask = hw->iotlb_sets - 1;
	hw->iotlb = calloc((size_t)hw->iotlb_sets * ways, sizeof(*hw->iotlb));
	if (!hw->iotlb) {
		free(hw);
		return NULL;
	}
	hw->next_domain_id = 1;
	return hw;
}

void iommu_hw_free(struct iommu_hw *hw)
{
	if (!hw)
		return;
	while (hw->domains)
		iommu_hw_domain_free(hw->domains);
	free(hw->iotlb);
	free(hw);
}

const struct iommu_desc *iommu_hw_desc(const struct iommu_hw *hw)
{
	return hw->desc;
}

struct machine *iommu_hw_machine(const struct iommu_hw *hw)
{
	return hw->machine;
}

const struct iommu_hw_stats *iommu_hw_stats(const struct iommu_hw *hw)
{
	return &hw->stats;
}

u64 iommu_hw_pgsize_bitmap(const struct iommu_hw *hw)
{
	return hw->pgsize_bitmap;
}

bool iommu_hw_deferred_flush(const struct iommu_hw *hw)
{
	return hw->driver->deferred_flush;
}

struct iommu_domain *iommu_hw_domains(const struct iommu_hw *hw)
{
	return hw->domains;
}

void iommu_hw_fail_pgtable_alloc(struct iommu_hw *hw, unsigned long nth)
{
	hw->fail_pgtable_alloc_in = nth;
}

void iommu_hw_fail_sync_map(struct iommu_hw *hw, unsigned long nth)
{
	hw->fail_sync_map_in = nth;
}

/* --- domains ------------------------------------------------------------- */

struct iommu_domain *iommu_hw_domain_alloc(struct iommu_hw *hw, unsigned int type)
{
	struct iommu_domain *d;

	if (type != IOMMU_DOMAIN_BLOCKED && type != IOMMU_DOMAIN_IDENTITY &&
	    type != IOMMU_DOMAIN_UNMANAGED && type != IOMMU_DOMAIN_DMA &&
	    type != IOMMU_DOMAIN_DMA_FQ)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->type = type;
	d->hw = hw;
	d->machine = hw->machine;
	d->id = hw->next_domain_id++;
	if (type & __IOMMU_DOMAIN_PAGING) {
		d->ops = hw->driver->ops;
		d->pgsize_bitmap = hw->pgsize_bitmap;
		d->geometry.aperture_start = 0;
		d->geometry.aperture_end = (1ULL << IOMMU_PT_VA_BITS) - 1;
		d->geometry.force_aperture = true;
		d->pgtable = io_pgtable_alloc(hw, d);
		if (!d->pgtable) {
			free(d);
			return NULL;
		}
	}
	d->next = hw->domains;
	hw->domains = d;
	hw->stats.domains_live++;
	return d;
}

void iommu_hw_domain_free(struct iommu_domain *domain)
{
	struct iommu_hw *hw;

	if (!domain)
		return;
	hw = domain->hw;
	for (struct iommu_domain **pp = &hw->domains; *pp; pp = &(*pp)->next) {
		if (*pp == domain) {
			*pp = domain->next;
			break;
		}
	}
	if (domain->pgtable) {
		iommu_hw_iotlb_inv_domain(hw, domain->id);
		io_pgtable_free(domain->pgtable);
	}
	hw->stats.domains_live--;
	free(domain);
}

/* --- IOTLB --------------------------------------------------------------- */

unsigned int iommu_hw_iotlb_valid(const struct iommu_hw *hw, u32 domain_id)
{
	unsigned int n = 0;

	for (size_t i = 0; i < (size_t)hw->iotlb_sets * hw->iotlb_ways; i++) {
		const struct iotlb_entry *e = &hw->iotlb[i];

		if (e->lru && (!domain_id || e->domain_id == domain_id))
			n++;
	}
	return n;
}

static void iotlb_drop(struct iommu_hw *hw, struct iotlb_entry *e)
{
	e->lru = 0;
	hw->stats.iotlb_invalidated++;
}

/* Remove @domain's entries of size class @cls whose page number is in [first, last]. */
static void iotlb_inv_class(struct iommu_hw *hw, u32 domain_id, unsigned int cls, u64 first,
			    u64 last)
{
	unsigned int ways = hw->iotlb_ways;

	if (last - first + 1 >= hw->iotlb_sets) {
		for (size_t i = 0; i < (size_t)hw->iotlb_sets * ways; i++) {
			struct iotlb_entry *e = &hw->iotlb[i];

			if (e->lru && e->domain_id == domain_id &&
			    e->shift == pgsize_class_shift(cls) && e->vpn >= first &&
			    e->vpn <= last)
				iotlb_drop(hw, e);
		}
		return;
	}
	for (u64 vpn = first; vpn <= last; vpn++) {
		struct iotlb_entry *set =
			&hw->iotlb[(size_t)iotlb_set_of(hw, vpn, domain_id, cls) * ways];

		for (unsigned int w = 0; w < ways; w++) {
			struct iotlb_entry *e = &set[w];

			if (e->lru && e->vpn == vpn && e->domain_id == domain_id &&
			    e->shift == pgsize_class_shift(cls))
				iotlb_drop(hw, e);
		}
	}
}

void iommu_hw_iotlb_inv_range(struct iommu_hw *hw, struct iommu_domain *domain,
			      unsigned long start, unsigned long end_incl)
{
	hw->stats.iotlb_inv_range_ops++;
	IOMMU_EMIT(hw->machine, EV_IOTLB_INVALIDATE, .aux = domain->id, .addr = start,
		   .len = end_incl - start + 1);
	for (unsigned int cls = 0; cls < IOMMU_NR_PGSIZE_CLASSES; cls++) {
		unsigned int shift = pgsize_class_shift(cls);

		if (!(domain->pgsize_bitmap & (1ULL << shift)))
			continue;
		iotlb_inv_class(hw, domain->id, cls, start >> shift, end_incl >> shift);
	}
}

void iommu_hw_iotlb_inv_domain(struct iommu_hw *hw, u32 domain_id)
{
	hw->stats.iotlb_inv_domain_ops++;
	IOMMU_EMIT(hw->machine, EV_IOTLB_INVALIDATE, .aux = domain_id, .len = 0);
	for (size_t i = 0; i < (size_t)hw->iotlb_sets * hw->iotlb_ways; i++) {
		struct iotlb_entry *e = &hw->iotlb[i];

		if (e->lru && e->domain_id == domain_id)
			iotlb_drop(hw, e);
	}
}

static struct iotlb_entry *iotlb_lookup(struct iommu_hw *hw, struct iommu_domain *domain,
					dma_addr_t iova)
{
	unsigned int ways = hw->iotlb_ways;

	for (unsigned int cls = 0; cls < IOMMU_NR_PGSIZE_CLASSES; cls++) {
		unsigned int shift = pgsize_class_shift(cls);
		u64 vpn = iova >> shift;
		struct iotlb_entry *set;

		if (!(domain->pgsize_bitmap & (1ULL << shift)))
			continue;
		set = &hw->iotlb[(size_t)iotlb_set_of(hw, vpn, domain->id, cls) * ways];
		for (unsigned int w = 0; w < ways; w++) {
			if (set[w].lru && set[w].vpn == vpn && set[w].domain_id == domain->id &&
			    set[w].shift == shift)
				return &set[w];
		}
	}
	return NULL;
}

static struct iotlb_entry *iotlb_fill(struct iommu_hw *hw, struct iommu_domain *domain,
				      dma_addr_t iova, u64 pte, unsigned int shift)
{
	unsigned int cls = (shift - 12) / 9, ways = hw->iotlb_ways;
	u64 vpn = iova >> shift;
	struct iotlb_entry *set = &hw->iotlb[(size_t)iotlb_set_of(hw, vpn, domain->id, cls) * ways];
	struct iotlb_entry *victim = &set[0];

	for (unsigned int w = 0; w < ways; w++) {
		if (!set[w].lru) {
			victim = &set[w];
			break;
		}
		if (set[w].lru < victim->lru)
			victim = &set[w];
	}
	if (victim->lru)
		hw->stats.iotlb_evictions++;
	victim->vpn = vpn;
	victim->phys = iommu_pte_phys(pte, shift);
	victim->domain_id = domain->id;
	victim->shift = (u8)shift;
	victim->prot = (u8)iommu_pte_prot(pte);
	victim->pt_gen = domain->pgtable->gen;
	victim->lru = ++hw->iotlb_clock;
	hw->stats.iotlb_fills++;
	IOMMU_EMIT(hw->machine, EV_IOTLB_FILL, .aux = domain->id, .addr = vpn << shift,
		   .phys = victim->phys, .len = 1ULL << shift);
	return victim;
}

/* --- faults and translation ---------------------------------------------- */

static int iommu_hw_fault(struct iommu_hw *hw, struct iommu_domain *domain,
			  const struct pci_dev *dev, dma_addr_t iova, bool write,
			  enum iommu_fault_reason reason)
{
	struct iommu_fault_record *r = &hw->faults[hw->nr_faults % IOMMU_FAULT_LOG_SIZE];

	r->dev = dev;
	r->iova = iova;
	r->write = write;
	r->reason = reason;
	r->domain_id = domain ? domain->id : 0;
	r->time_ns = hw->machine ? hw->machine->now_ns : 0;
	hw->nr_faults++;
	hw->stats.faults++;
	IOMMU_EMIT(hw->machine, EV_IOMMU_FAULT, .dev = dev, .addr = iova, .aux = r->domain_id,
		   .flags = write ? IOMMU_WRITE : IOMMU_READ, .ret = (int)reason);
	return -EFAULT;
}

u64 iommu_hw_fault_count(const struct iommu_hw *hw)
{
	return hw->nr_faults;
}

const struct iommu_fault_record *iommu_hw_fault_at(const struct iommu_hw *hw, unsigned int i)
{
	if (i >= hw->nr_faults || i >= IOMMU_FAULT_LOG_SIZE)
		return NULL;
	return &hw->faults[(hw->nr_faults - 1 - i) % IOMMU_FAULT_LOG_SIZE];
}

int iommu_hw_translate(struct iommu_hw *hw, struct iommu_domain *domain,
		       const struct pci_dev *requester, dma_addr_t iova, bool write,
		       phys_addr_t *phys_out)
{
	int need = write ? IOMMU_WRITE : IOMMU_READ;
	struct iotlb_entry *e;

	hw->stats.translations++;
	if (!domain || domain->type == IOMMU_DOMAIN_BLOCKED)
		return iommu_hw_fault(hw, domain, requester, iova, write, IOMMU_FAULT_BLOCKED);
	if (domain->type == IOMMU_DOMAIN_IDENTITY) {
		*phys_out = iova;
		return 0;
	}
	if (iova >> IOMMU_PT_VA_BITS)
		return iommu_hw_fault(hw, domain, requester, iova, write, IOMMU_FAULT_OUT_OF_RANGE);
	hw->stats.iotlb_lookups++;
	e = iotlb_lookup(hw, domain, iova);
	if (e) {
		bool stale = false;

		/* Maps never overwrite a present entry: without a removal since the fill, no walk. */
		if (e->pt_gen != domain->pgtable->gen) {
			unsigned int shift = 12;
			u64 pte = io_pgtable_walk(domain->pgtable, iova, &shift);

			stale = !pte || shift != e->shift || iommu_pte_phys(pte, shift) != e->phys;
		}

		/* The simulator's view, not the hardware's: is the page table still saying this? */
		hw->stats.iotlb_hits++;
		hw->stats.iotlb_stale_hits += stale;
		e->lru = ++hw->iotlb_clock;
		IOMMU_EMIT(hw->machine, EV_IOTLB_HIT, .aux = domain->id, .addr = iova,
			   .phys = e->phys, .flags = stale);
	} else {
		unsigned int shift = 12;
		u64 pte;

		hw->stats.iotlb_misses++;
		pte = io_pgtable_walk(domain->pgtable, iova, &shift);
		if (!pte)
			return iommu_hw_fault(hw, domain, requester, iova, write,
					      IOMMU_FAULT_NOT_PRESENT);
		e = iotlb_fill(hw, domain, iova, pte, shift);
	}
	if (!(e->prot & need))
		return iommu_hw_fault(hw, domain, requester, iova, write, IOMMU_FAULT_PERMISSION);
	*phys_out = e->phys + (iova & ((1ULL << e->shift) - 1));
	return 0;
}
