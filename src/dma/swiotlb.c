// SPDX-License-Identifier: GPL-2.0-only
// Follows kernel/dma/swiotlb.c, v7.0-era (reference/dma-iommu.md §5), without CONFIG_SWIOTLB_DYNAMIC.
/*
 * swiotlb.c - the software IO TLB (swiotlb.h).
 *
 * Owns the default pool of a world: 2 KiB slots grouped in 128-slot segments,
 * split into per-CPU areas, each with a next-fit cursor. Slot bookkeeping
 * follows the kernel exactly (free-run "list" counters, alloc_size per slot,
 * pad slots for min_align_mask offsets) so that placements are the kernel's.
 *
 * Invariants (checked by the tests, by counting):
 *  - slots[i].list == 0 iff slot i is part of an allocation;
 *  - for a free slot, list is the number of free slots from i to the first
 *    used slot or the end of i's segment, whichever is nearer;
 *  - sum of areas[].used == number of slots with list == 0.
 *
 * Kernel warnings (dev_WARN_ONCE, ratelimited "buffer is full") are kept as
 * the pool's last_warning and counted; nothing is printed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "models/mem/physmem.h"
#include "src/dma/arch.h"
#include "src/dma/direct.h"
#include "src/dma/mapping.h"
#include "src/dma/swiotlb.h"

static inline unsigned int io_tlb_offset(long index)
{
	return (unsigned int)(index & (IO_TLB_SEGSIZE - 1));
}

static inline unsigned long nr_slots(u64 val)
{
	return (unsigned long)((val + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT);
}

static inline u64 slot_addr(u64 start, u64 index)
{
	return start + (index << IO_TLB_SHIFT);
}

static inline u64 get_max_slots(u64 boundary_mask)
{
	return (boundary_mask >> IO_TLB_SHIFT) + 1;
}

static u64 roundup_pow_of_two_u64(u64 v)
{
	u64 p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static void swiotlb_warn(struct io_tlb_mem *mem, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void swiotlb_warn(struct io_tlb_mem *mem, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mem->last_warning, sizeof(mem->last_warning), fmt, ap);
	va_end(ap);
}

/* --- pool set-up ---------------------------------------------------------- */

static unsigned int swiotlb_nareas(unsigned int nr_cpus)
{
	return (unsigned int)roundup_pow_of_two_u64(nr_cpus ? nr_cpus : 1);
}

/*
 * swiotlb=<nslabs> aligned to a segment, then round_up_default_nslabs(): at
 * least one segment per area, and a power of two.
 */
u64 swiotlb_pool_bytes(u64 size_bytes, unsigned int nr_cpus)
{
	u64 nslabs =
		((size_bytes >> IO_TLB_SHIFT) + IO_TLB_SEGSIZE - 1) & ~(u64)(IO_TLB_SEGSIZE - 1);
	u64 min_nslabs = (u64)IO_TLB_SEGSIZE * swiotlb_nareas(nr_cpus);

	if (nslabs < min_nslabs)
		nslabs = min_nslabs;
	return roundup_pow_of_two_u64(nslabs) << IO_TLB_SHIFT;
}

/* limit_nareas(): every area keeps at least one full segment. */
static unsigned int limit_nareas(unsigned int nareas, unsigned long nslots)
{
	if (nslots < (unsigned long)nareas * IO_TLB_SEGSIZE)
		return (unsigned int)(nslots / IO_TLB_SEGSIZE);
	return nareas;
}

struct io_tlb_mem *swiotlb_mem_new(struct machine *m, phys_addr_t start, u64 size_bytes,
				   unsigned int nr_cpus, bool force_bounce)
{
	struct io_tlb_mem *mem;
	struct io_tlb_pool *pool;
	unsigned long nslabs =
		(unsigned long)(swiotlb_pool_bytes(size_bytes, nr_cpus) >> IO_TLB_SHIFT);
	unsigned int nareas = swiotlb_nareas(nr_cpus);

	if (start & (PAGE_SIZE - 1))
		return NULL;
	nareas = limit_nareas(nareas, nslabs);
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return NULL;
	pool = &mem->defpool;
	pool->slots = calloc(nslabs, sizeof(*pool->slots));
	if (!pool->slots)
		goto err_free_mem;
	pool->areas = calloc(nareas, sizeof(*pool->areas));
	if (!pool->areas)
		goto err_free_slots;

	mem->machine = m;
	mem->force_bounce = force_bounce;
	pool->start = start;
	pool->end = start + ((u64)nslabs << IO_TLB_SHIFT);
	pool->nslabs = nslabs;
	pool->nareas = nareas;
	pool->area_nslabs = (unsigned int)(nslabs / nareas);
	/* swiotlb_init_io_tlb_pool(): every slot free, list = run to the segment end */
	for (unsigned long i = 0; i < nslabs; i++) {
		unsigned long to_seg_end = IO_TLB_SEGSIZE - io_tlb_offset((long)i);

		pool->slots[i].list =
			(unsigned short)(to_seg_end < nslabs - i ? to_seg_end : nslabs - i);
		pool->slots[i].orig_addr = INVALID_PHYS_ADDR;
		pool->slots[i].alloc_size = 0;
		pool->slots[i].pad_slots = 0;
	}
	return mem;

err_free_slots:
	free(pool->slots);
err_free_mem:
	free(mem);
	return NULL;
}

void swiotlb_mem_free(struct io_tlb_mem *mem)
{
	if (!mem)
		return;
	free(mem->defpool.areas);
	free(mem->defpool.slots);
	free(mem);
}

unsigned long swiotlb_used_slots(const struct io_tlb_mem *mem)
{
	unsigned long used = 0;

	for (unsigned int i = 0; i < mem->defpool.nareas; i++)
		used += mem->defpool.areas[i].used;
	return used;
}

/* --- queries ------------------------------------------------------------- */

static struct io_tlb_pool *swiotlb_find_pool(const struct device *dev, phys_addr_t paddr)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

	if (!mem || !mem->defpool.nslabs)
		return NULL;
	if (paddr >= mem->defpool.start && paddr < mem->defpool.end)
		return &mem->defpool;
	return NULL;
}

bool is_swiotlb_buffer(const struct device *dev, phys_addr_t paddr)
{
	return swiotlb_find_pool(dev, paddr) != NULL;
}

bool is_swiotlb_active(const struct device *dev)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

	return mem && mem->defpool.nslabs;
}

bool is_swiotlb_force_bounce(const struct device *dev)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

	return mem && mem->force_bounce;
}

size_t swiotlb_max_mapping_size(struct device *dev)
{
	unsigned int min_align_mask = dma_get_min_align_mask(dev);
	size_t min_align = 0;

	/* the pad slots of an aligned mapping eat into the 256 KiB segment */
	if (min_align_mask)
		min_align = ((size_t)min_align_mask + IO_TLB_SIZE - 1) / IO_TLB_SIZE * IO_TLB_SIZE;
	return (size_t)IO_TLB_SIZE * IO_TLB_SEGSIZE - min_align;
}

/*
 * swiotlb_align_offset(): the low bits of @addr the device needs preserved
 * (min_align_mask), restricted to what lies below the allocation alignment
 * and at least the slot size.
 */
static unsigned int swiotlb_align_offset(const struct device *dev, unsigned int align_mask,
					 u64 addr)
{
	return (unsigned int)(addr & dma_get_min_align_mask(dev) &
			      (align_mask | (IO_TLB_SIZE - 1)));
}

/* --- bouncing ------------------------------------------------------------ */

static void swiotlb_bounce(struct device *dev, phys_addr_t tlb_addr, size_t size,
			   enum dma_data_direction dir, struct io_tlb_pool *pool)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;
	long index = (long)((tlb_addr - pool->start) >> IO_TLB_SHIFT);
	phys_addr_t orig_addr = pool->slots[index].orig_addr;
	size_t alloc_size = pool->slots[index].alloc_size;
	struct sim_event ev;
	long tlb_offset;
	int ret;

	if (orig_addr == INVALID_PHYS_ADDR)
		return;

	/*
	 * Negative when tlb_addr points into the first "offset" bytes of a later
	 * slot of the allocation; the kernel cannot tell that from misuse either.
	 */
	tlb_offset = (long)(tlb_addr & (IO_TLB_SIZE - 1)) -
		     (long)swiotlb_align_offset(dev, 0, orig_addr);
	orig_addr += (u64)tlb_offset;
	alloc_size -= (size_t)tlb_offset;

	if (size > alloc_size) {
		swiotlb_warn(
			mem,
			"%s: Buffer overflow detected. Allocation size: %zu. Mapping size: %zu.",
			dev->name, alloc_size, size);
		mem->stats.overflows++;
		size = alloc_size;
	}

	if (dir == DMA_TO_DEVICE)
		ret = phys_mem_copy(mem->machine->mem, tlb_addr, orig_addr, size);
	else
		ret = phys_mem_copy(mem->machine->mem, orig_addr, tlb_addr, size);
	if (!ret) {
		mem->stats.bounces++;
		mem->stats.bytes_bounced += size;
	}
	ev = (struct sim_event){
		.kind = EV_BOUNCE,
		.dev = dev->pdev,
		.addr = tlb_addr,
		.phys = orig_addr,
		.len = size,
		.dir = dir,
		.ret = ret,
	};
	machine_emit(mem->machine, &ev);
}

/* --- slot search --------------------------------------------------------- */

static inline unsigned int wrap_area_index(const struct io_tlb_pool *pool, unsigned int index)
{
	if (index >= pool->area_nslabs)
		return 0;
	return index;
}

/* iommu_is_span_boundary(): would [index, index + nr) cross a boundary_size segment? */
static inline bool iommu_is_span_boundary(u64 index, u64 nr, u64 shift, u64 boundary_size)
{
	u64 offset = (shift + index) & (boundary_size - 1);

	return offset + nr > boundary_size;
}

static long swiotlb_search_pool_area(struct device *dev, struct io_tlb_pool *pool,
				     unsigned int area_index, phys_addr_t orig_addr,
				     size_t alloc_size, unsigned int alloc_align_mask)
{
	struct io_tlb_area *area = pool->areas + area_index;
	u64 boundary_mask = dma_get_seg_boundary(dev);
	dma_addr_t tbl_dma_addr = phys_to_dma_unencrypted(dev, pool->start) & boundary_mask;
	u64 max_slots = get_max_slots(boundary_mask);
	unsigned int iotlb_align_mask = dma_get_min_align_mask(dev);
	unsigned long nslots = nr_slots(alloc_size), stride;
	unsigned int offset = swiotlb_align_offset(dev, 0, orig_addr);
	unsigned int index, slots_checked, count = 0;
	unsigned long slot_index = 0;

	/* Legacy: page-sized or larger buffers without an alignment ask get page alignment. */
	if (!alloc_align_mask && !iotlb_align_mask && alloc_size >= PAGE_SIZE)
		alloc_align_mask = PAGE_SIZE - 1;

	/* Slots are the granule: the search only has to honour min_align_mask bits above them. */
	alloc_align_mask |= (IO_TLB_SIZE - 1);
	iotlb_align_mask &= ~alloc_align_mask;

	stride = (unsigned long)get_max_slots(
		alloc_align_mask > iotlb_align_mask ? alloc_align_mask : iotlb_align_mask);

	if (!nslots)
		return -1; /* BUG_ON(!nslots) in the kernel: a zero-sized bounce */
	if (nslots > pool->area_nslabs - area->used)
		return -1;

	index = area->index;
	for (slots_checked = 0; slots_checked < pool->area_nslabs;) {
		u64 tlb_addr;

		slot_index = (unsigned long)area_index * pool->area_nslabs + index;
		tlb_addr = slot_addr(tbl_dma_addr, slot_index);

		if ((tlb_addr & alloc_align_mask) ||
		    (orig_addr &&
		     (tlb_addr & iotlb_align_mask) != (orig_addr & iotlb_align_mask))) {
			index = wrap_area_index(pool, index + 1);
			slots_checked++;
			continue;
		}

		if (!iommu_is_span_boundary(slot_index, nslots, nr_slots(tbl_dma_addr),
					    max_slots)) {
			if (pool->slots[slot_index].list >= nslots)
				goto found;
		}
		index = wrap_area_index(pool, index + (unsigned int)stride);
		slots_checked += (unsigned int)stride;
	}
	return -1;

found:
	/* Mark the slots used; each remembers the bytes from it to the allocation's end. */
	for (unsigned long i = slot_index; i < slot_index + nslots; i++) {
		pool->slots[i].list = 0;
		pool->slots[i].alloc_size =
			alloc_size - (offset + ((i - slot_index) << IO_TLB_SHIFT));
	}
	/* The free run before us in this segment now ends here. */
	for (long i = (long)slot_index - 1;
	     i >= 0 && io_tlb_offset(i) != IO_TLB_SEGSIZE - 1 && pool->slots[i].list; i--)
		pool->slots[i].list = (unsigned short)++count;

	if (index + nslots < pool->area_nslabs)
		area->index = index + (unsigned int)nslots;
	else
		area->index = 0;
	area->used += nslots;
	return (long)slot_index;
}

/* Areas are tried from the current CPU's, round-robin. */
static long swiotlb_find_slots(struct device *dev, phys_addr_t orig_addr, size_t alloc_size,
			       unsigned int alloc_align_mask, struct io_tlb_pool **retpool)
{
	struct io_tlb_pool *pool = &dev->dma_io_tlb_mem->defpool;
	unsigned int start, i;
	long index;

	*retpool = pool;
	i = start = dev->machine->cpu & (pool->nareas - 1);
	do {
		index = swiotlb_search_pool_area(dev, pool, i, orig_addr, alloc_size,
						 alloc_align_mask);
		if (index >= 0)
			return index;
		if (++i >= pool->nareas)
			i = 0;
	} while (i != start);
	return -1;
}

/* --- map / unmap --------------------------------------------------------- */

phys_addr_t swiotlb_tbl_map_single(struct device *dev, phys_addr_t orig_addr, size_t mapping_size,
				   unsigned int alloc_align_mask, enum dma_data_direction dir,
				   unsigned long attrs)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;
	struct io_tlb_pool *pool = NULL;
	unsigned int offset, pad_slots;
	phys_addr_t tlb_addr;
	struct sim_event ev;
	size_t size;
	long index;

	if (!mem || !mem->defpool.nslabs) {
		if (mem)
			swiotlb_warn(
				mem,
				"%s: Can not allocate SWIOTLB buffer earlier and can't now provide you with the DMA bounce buffer",
				dev->name);
		return (phys_addr_t)DMA_MAPPING_ERROR;
	}

	/* A larger alignment than a page could never use a segment's first slots. */
	if (alloc_align_mask > PAGE_SIZE - 1)
		swiotlb_warn(
			mem,
			"%s: Alloc alignment may prevent fulfilling requests with max mapping_size",
			dev->name);

	offset = swiotlb_align_offset(dev, alloc_align_mask, orig_addr);
	size = ((mapping_size + offset) + alloc_align_mask) & ~(size_t)alloc_align_mask;
	index = mem->sim_full ? -1 : swiotlb_find_slots(dev, orig_addr, size, alloc_align_mask, &pool);
	if (index == -1) {
		if (!pool)
			pool = &mem->defpool;
		mem->stats.full++;
		if (!(attrs & DMA_ATTR_NO_WARN))
			swiotlb_warn(
				mem,
				"%s: swiotlb buffer is full (sz: %zd bytes), total %lu (slots), used %lu (slots)",
				dev->name, size, pool->nslabs, swiotlb_used_slots(mem));
		return (phys_addr_t)DMA_MAPPING_ERROR;
	}

	/* From now on every sync of this device matters. */
	dma_reset_need_sync(dev);

	/*
	 * Whole slots of the min_align_mask offset become pad slots in front of
	 * the data; the first data slot records how many to release with it.
	 */
	pad_slots = offset >> IO_TLB_SHIFT;
	offset &= (IO_TLB_SIZE - 1);
	index += pad_slots;
	pool->slots[index].pad_slots = (unsigned short)pad_slots;
	for (unsigned long i = 0; i < nr_slots(size) - pad_slots; i++)
		pool->slots[index + (long)i].orig_addr = slot_addr(orig_addr, i);
	tlb_addr = slot_addr(pool->start, (u64)index) + offset;
	mem->stats.maps++;

	ev = (struct sim_event){
		.kind = EV_SWIOTLB_MAP,
		.dev = dev->pdev,
		.phys = orig_addr,
		.addr = tlb_addr,
		.len = mapping_size,
		.dir = dir,
		.attrs = attrs,
		.count = (unsigned int)nr_slots(size),
	};
	machine_emit(mem->machine, &ev);

	/*
	 * Copy the original into the bounce buffer whatever the direction: a
	 * device that writes only part of it must not expose stale pool data
	 * on the copy-back.
	 */
	swiotlb_bounce(dev, tlb_addr, mapping_size, DMA_TO_DEVICE, pool);
	return tlb_addr;
}

static unsigned long swiotlb_release_slots(struct device *dev, phys_addr_t tlb_addr,
					   struct io_tlb_pool *pool)
{
	unsigned int offset = swiotlb_align_offset(dev, 0, tlb_addr);
	long index, nslots, i;
	struct io_tlb_area *area;
	unsigned int count;

	index = (long)((tlb_addr - offset - pool->start) >> IO_TLB_SHIFT);
	index -= pool->slots[index].pad_slots;
	nslots = (long)nr_slots(pool->slots[index].alloc_size + offset);
	area = &pool->areas[index / pool->area_nslabs];

	/* Merge with the free run after us, if it is in the same segment. */
	if (index + nslots < (long)((index + IO_TLB_SEGSIZE) & ~(long)(IO_TLB_SEGSIZE - 1)))
		count = pool->slots[index + nslots].list;
	else
		count = 0;

	for (i = index + nslots - 1; i >= index; i--) {
		pool->slots[i].list = (unsigned short)++count;
		pool->slots[i].orig_addr = INVALID_PHYS_ADDR;
		pool->slots[i].alloc_size = 0;
		pool->slots[i].pad_slots = 0;
	}
	/* ... and extend the free run before us. */
	for (i = index - 1; i >= 0 && io_tlb_offset(i) != IO_TLB_SEGSIZE - 1 && pool->slots[i].list;
	     i--)
		pool->slots[i].list = (unsigned short)++count;
	area->used -= (unsigned long)nslots;
	return (unsigned long)nslots;
}

void swiotlb_tbl_unmap_single(struct device *dev, phys_addr_t tlb_addr, size_t mapping_size,
			      enum dma_data_direction dir, unsigned long attrs)
{
	struct io_tlb_pool *pool = swiotlb_find_pool(dev, tlb_addr);
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;
	struct sim_event ev;
	unsigned long nslots;

	if (!pool)
		return;
	/* Copy back what the device wrote, unless the caller synced already. */
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) &&
	    (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL))
		swiotlb_bounce(dev, tlb_addr, mapping_size, DMA_FROM_DEVICE, pool);

	nslots = swiotlb_release_slots(dev, tlb_addr, pool);
	mem->stats.unmaps++;
	ev = (struct sim_event){
		.kind = EV_SWIOTLB_UNMAP,
		.dev = dev->pdev,
		.addr = tlb_addr,
		.len = mapping_size,
		.dir = dir,
		.attrs = attrs,
		.count = (unsigned int)nslots,
	};
	machine_emit(mem->machine, &ev);
}

void swiotlb_sync_single_for_device(struct device *dev, phys_addr_t tlb_addr, size_t size,
				    enum dma_data_direction dir)
{
	struct io_tlb_pool *pool = swiotlb_find_pool(dev, tlb_addr);

	if (!pool)
		return;
	if (dir == DMA_TO_DEVICE || dir == DMA_BIDIRECTIONAL)
		swiotlb_bounce(dev, tlb_addr, size, DMA_TO_DEVICE, pool);
	/* FROM_DEVICE: nothing to push; DMA_NONE is a BUG() in the kernel: ignored here */
}

void swiotlb_sync_single_for_cpu(struct device *dev, phys_addr_t tlb_addr, size_t size,
				 enum dma_data_direction dir)
{
	struct io_tlb_pool *pool = swiotlb_find_pool(dev, tlb_addr);

	if (!pool)
		return;
	if (dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL)
		swiotlb_bounce(dev, tlb_addr, size, DMA_FROM_DEVICE, pool);
	/* TO_DEVICE: the device did not write; DMA_NONE is a BUG() in the kernel: ignored here */
}

dma_addr_t swiotlb_map(struct device *dev, phys_addr_t paddr, size_t size,
		       enum dma_data_direction dir, unsigned long attrs)
{
	phys_addr_t swiotlb_addr;
	dma_addr_t dma_addr;

	swiotlb_addr = swiotlb_tbl_map_single(dev, paddr, size, 0, dir, attrs);
	if (swiotlb_addr == (phys_addr_t)DMA_MAPPING_ERROR)
		return DMA_MAPPING_ERROR;

	/* The pool itself may be out of the device's reach. */
	dma_addr = phys_to_dma_unencrypted(dev, swiotlb_addr);
	if (!dma_capable(dev, dma_addr, size, true)) {
		swiotlb_tbl_unmap_single(dev, swiotlb_addr, size, dir,
					 attrs | DMA_ATTR_SKIP_CPU_SYNC);
		swiotlb_warn(dev->dma_io_tlb_mem,
			     "%s: swiotlb addr %#llx+%zu overflow (mask %llx, bus limit %llx).",
			     dev->name, (unsigned long long)dma_addr, size,
			     (unsigned long long)dev->dma_mask,
			     (unsigned long long)dev->bus_dma_limit);
		return DMA_MAPPING_ERROR;
	}

	if (!dev_is_dma_coherent(dev) && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		arch_sync_dma_for_device(dev, swiotlb_addr, size, dir);
	return dma_addr;
}
