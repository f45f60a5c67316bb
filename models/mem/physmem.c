// SPDX-License-Identifier: GPL-2.0-only
/*
 * physmem.c - sparse, byte-accurate physical memory (physmem.h).
 *
 * Owns the region table (sorted array, binary search) and the page store:
 * an open-addressing hash table (linear probing, power-of-two capacity,
 * grown at 1/2 load) from page frame number to a 4 KiB frame. Frames are
 * only ever added; phys_mem_free() releases them all.
 *
 * Invariant: a frame, once allocated, holds the exact contents of its 4 KiB
 * of the physical address space; bytes of the frame outside every region are
 * never read or written through the API (accesses are checked first).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "models/mem/physmem.h"

struct phys_page_slot {
	u64 pfn;
	u8 *data; /* NULL: empty slot */
};

struct phys_mem {
	struct phys_mem_region *regions; /* sorted by base, disjoint */
	size_t nr_regions;
	struct phys_page_slot *pages;
	size_t page_cap; /* power of two */
	size_t nr_pages;
	struct phys_mem_stats stats;
};

#define PHYS_MEM_INITIAL_PAGE_CAP 64

struct phys_mem *phys_mem_new(void)
{
	struct phys_mem *mem = calloc(1, sizeof(*mem));

	if (!mem)
		return NULL;
	mem->pages = calloc(PHYS_MEM_INITIAL_PAGE_CAP, sizeof(*mem->pages));
	if (!mem->pages) {
		free(mem);
		return NULL;
	}
	mem->page_cap = PHYS_MEM_INITIAL_PAGE_CAP;
	return mem;
}

void phys_mem_free(struct phys_mem *mem)
{
	if (!mem)
		return;
	for (size_t i = 0; i < mem->page_cap; i++)
		free(mem->pages[i].data);
	free(mem->pages);
	free(mem->regions);
	free(mem);
}

/* --- regions ------------------------------------------------------------ */

static inline u64 region_last(const struct phys_mem_region *r)
{
	return r->base + r->size_bytes - 1;
}

/* Index of the last region with base <= @addr, or -1. */
static long region_floor(const struct phys_mem *mem, phys_addr_t addr)
{
	long lo = 0, hi = (long)mem->nr_regions - 1, found = -1;

	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;

		if (mem->regions[mid].base <= addr) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

const struct phys_mem_region *phys_mem_region_at(const struct phys_mem *mem, phys_addr_t addr)
{
	long i = region_floor(mem, addr);

	if (i < 0 || addr > region_last(&mem->regions[i]))
		return NULL;
	return &mem->regions[i];
}

size_t phys_mem_nr_regions(const struct phys_mem *mem)
{
	return mem->nr_regions;
}

const struct phys_mem_region *phys_mem_region(const struct phys_mem *mem, size_t index)
{
	return index < mem->nr_regions ? &mem->regions[index] : NULL;
}

int phys_mem_add_region(struct phys_mem *mem, const struct phys_mem_region *region)
{
	struct phys_mem_region *n;
	long i;
	size_t pos;

	if (!region->size_bytes || region->base + region->size_bytes - 1 < region->base)
		return -EINVAL;
	i = region_floor(mem, region_last(region));
	/* the region starting at or below our last byte must end before our base */
	if (i >= 0 && region_last(&mem->regions[i]) >= region->base)
		return -EEXIST;
	pos = (size_t)(i + 1);
	n = realloc(mem->regions, (mem->nr_regions + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	mem->regions = n;
	memmove(&n[pos + 1], &n[pos], (mem->nr_regions - pos) * sizeof(*n));
	n[pos] = *region;
	mem->nr_regions++;
	return 0;
}

int phys_mem_add_topology(struct phys_mem *mem, const struct topology *topo)
{
	int ret;

	for (size_t i = 0; i < topo->nr_ram; i++) {
		struct phys_mem_region r = {
			.kind = PHYS_MEM_RAM,
			.base = topo->ram[i].base,
			.size_bytes = topo->ram[i].size_bytes,
			.reset_byte = 0,
			.bar = -1,
			.numa_node = topo->ram[i].numa_node,
		};

		ret = phys_mem_add_region(mem, &r);
		if (ret)
			return ret;
	}
	if (!topo->fabric)
		return 0;
	for (size_t d = 0; d < topo->fabric->nr_devs; d++) {
		const struct pci_dev *dev = topo->fabric->devs[d];

		for (int b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &dev->bars[b];
			struct phys_mem_region r;

			if (bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64)
				continue;
			if (!bar->size_bytes || !bar->cpu_addr)
				continue; /* not assigned: nothing decodes it */
			r = (struct phys_mem_region){
				.kind = PHYS_MEM_BAR,
				.base = bar->cpu_addr,
				.size_bytes = bar->size_bytes,
				.reset_byte = PHYS_MEM_BAR_RESET_BYTE,
				.dev = dev,
				.bar = b,
				.numa_node = -1,
			};
			ret = phys_mem_add_region(mem, &r);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Walk the regions covering [addr, addr + size) contiguously; @ram_only: all RAM. */
static bool covered(const struct phys_mem *mem, phys_addr_t addr, size_t size, bool ram_only)
{
	long i;
	u64 last;

	if (!size)
		return phys_mem_region_at(mem, addr) != NULL;
	last = addr + size - 1;
	if (last < addr)
		return false;
	i = region_floor(mem, addr);
	if (i < 0)
		return false;
	for (; (size_t)i < mem->nr_regions; i++) {
		const struct phys_mem_region *r = &mem->regions[i];

		if (r->base > addr || region_last(r) < addr)
			return false;
		if (ram_only && r->kind != PHYS_MEM_RAM)
			return false;
		if (region_last(r) >= last)
			return true;
		addr = region_last(r) + 1;
	}
	return false;
}

bool phys_mem_is_ram(const struct phys_mem *mem, phys_addr_t addr, size_t size)
{
	return covered(mem, addr, size, true);
}

bool phys_mem_is_backed(const struct phys_mem *mem, phys_addr_t addr, size_t size)
{
	return covered(mem, addr, size, false);
}

/* What [addr, addr + len) reads as when never written: each region's reset byte, 0 elsewhere. */
static void fill_reset(const struct phys_mem *mem, phys_addr_t addr, u8 *dst, size_t len)
{
	u64 end = addr + len; /* callers stay inside one page: no wrap */
	long i = region_floor(mem, addr);

	memset(dst, 0, len);
	if (i < 0)
		i = 0;
	for (; (size_t)i < mem->nr_regions && mem->regions[i].base < end; i++) {
		const struct phys_mem_region *r = &mem->regions[i];
		u64 from = r->base > addr ? r->base : addr;
		u64 to = region_last(r) + 1 < end ? region_last(r) + 1 : end;

		if (to > from && r->reset_byte)
			memset(dst + (from - addr), r->reset_byte, to - from);
	}
}

/* --- page store --------------------------------------------------------- */

static inline size_t pfn_hash(u64 pfn, size_t cap)
{
	/* Fibonacci hashing: neighbouring frames spread over the table */
	return (size_t)((pfn * 0x9E3779B97F4A7C15ULL) >> 20) & (cap - 1);
}

static u8 *page_lookup(const struct phys_mem *mem, u64 pfn)
{
	size_t mask = mem->page_cap - 1;

	for (size_t i = pfn_hash(pfn, mem->page_cap);; i = (i + 1) & mask) {
		if (!mem->pages[i].data)
			return NULL;
		if (mem->pages[i].pfn == pfn)
			return mem->pages[i].data;
	}
}

static void page_insert_slot(struct phys_page_slot *tab, size_t cap, u64 pfn, u8 *data)
{
	size_t i;

	for (i = pfn_hash(pfn, cap); tab[i].data; i = (i + 1) & (cap - 1))
		;
	tab[i].pfn = pfn;
	tab[i].data = data;
}

static int page_table_grow(struct phys_mem *mem)
{
	size_t cap = mem->page_cap * 2;
	struct phys_page_slot *tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < mem->page_cap; i++)
		if (mem->pages[i].data)
			page_insert_slot(tab, cap, mem->pages[i].pfn, mem->pages[i].data);
	free(mem->pages);
	mem->pages = tab;
	mem->page_cap = cap;
	return 0;
}

/* The frame of @pfn, allocated (with its reset contents) if needed; NULL on -ENOMEM. */
static u8 *page_get(struct phys_mem *mem, u64 pfn)
{
	u8 *data = page_lookup(mem, pfn);

	if (data)
		return data;
	if ((mem->nr_pages + 1) * 2 > mem->page_cap && page_table_grow(mem))
		return NULL;
	data = malloc(PHYS_MEM_PAGE_SIZE);
	if (!data)
		return NULL;
	fill_reset(mem, pfn << PHYS_MEM_PAGE_SHIFT, data, PHYS_MEM_PAGE_SIZE);
	page_insert_slot(mem->pages, mem->page_cap, pfn, data);
	mem->nr_pages++;
	mem->stats.pages_touched++;
	return data;
}

/* --- byte access -------------------------------------------------------- */

static int check_access(struct phys_mem *mem, phys_addr_t addr, size_t len)
{
	if (!len)
		return 0;
	if (!phys_mem_is_backed(mem, addr, len)) {
		mem->stats.failed_accesses++;
		return -ENXIO;
	}
	return 0;
}

static inline size_t chunk_len(phys_addr_t addr, size_t len)
{
	size_t room = PHYS_MEM_PAGE_SIZE - (addr & (PHYS_MEM_PAGE_SIZE - 1));

	return len < room ? len : room;
}

int phys_mem_read(struct phys_mem *mem, phys_addr_t addr, void *buf, size_t len)
{
	u8 *out = buf;
	int ret = check_access(mem, addr, len);

	if (ret)
		return ret;
	mem->stats.bytes_read += len;
	while (len) {
		size_t n = chunk_len(addr, len);
		const u8 *page = page_lookup(mem, addr >> PHYS_MEM_PAGE_SHIFT);

		if (page)
			memcpy(out, page + (addr & (PHYS_MEM_PAGE_SIZE - 1)), n);
		else
			fill_reset(mem, addr, out, n);
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}

int phys_mem_write(struct phys_mem *mem, phys_addr_t addr, const void *buf, size_t len)
{
	const u8 *in = buf;
	int ret = check_access(mem, addr, len);

	if (ret)
		return ret;
	mem->stats.bytes_written += len;
	while (len) {
		size_t n = chunk_len(addr, len);
		u8 *page = page_get(mem, addr >> PHYS_MEM_PAGE_SHIFT);

		if (!page)
			return -ENOMEM;
		memcpy(page + (addr & (PHYS_MEM_PAGE_SIZE - 1)), in, n);
		in += n;
		addr += n;
		len -= n;
	}
	return 0;
}

int phys_mem_fill(struct phys_mem *mem, phys_addr_t addr, int byte, size_t len)
{
	int ret = check_access(mem, addr, len);

	if (ret)
		return ret;
	mem->stats.bytes_written += len;
	while (len) {
		size_t n = chunk_len(addr, len);
		u8 *page = page_get(mem, addr >> PHYS_MEM_PAGE_SHIFT);

		if (!page)
			return -ENOMEM;
		memset(page + (addr & (PHYS_MEM_PAGE_SIZE - 1)), byte, n);
		addr += n;
		len -= n;
	}
	return 0;
}

int phys_mem_copy(struct phys_mem *mem, phys_addr_t dst, phys_addr_t src, size_t len)
{
	u8 bounce[PHYS_MEM_PAGE_SIZE];
	bool backwards = dst > src && dst < src + len;
	int ret;

	ret = check_access(mem, src, len);
	if (!ret)
		ret = check_access(mem, dst, len);
	if (ret)
		return ret;
	/* through a one-page buffer; walk backwards when dst overlaps the tail of src */
	while (len) {
		size_t n = len < sizeof(bounce) ? len : sizeof(bounce);
		u64 off = backwards ? len - n : 0;

		ret = phys_mem_read(mem, src + off, bounce, n);
		if (!ret)
			ret = phys_mem_write(mem, dst + off, bounce, n);
		if (ret)
			return ret;
		if (!backwards) {
			src += n;
			dst += n;
		}
		len -= n;
	}
	return 0;
}

void phys_mem_get_stats(const struct phys_mem *mem, struct phys_mem_stats *out)
{
	*out = mem->stats;
}
