/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * physmem.h - physical memory of a simulated machine: byte-accurate, sparse
 * backing for every RAM range and every memory BAR of the topology.
 *
 * Owned here: struct phys_mem (a region table and a page store).
 *
 *  - Regions: one per <ram> range and one per memory BAR (MEM32/MEM64 with
 *    a CPU address), sorted by base; they never overlap. An access that
 *    touches a byte outside every region fails with -ENXIO, so the caller
 *    (later: TLP routing) can turn it into an Unsupported Request.
 *  - Pages: 4 KiB frames keyed by page frame number in an open-addressing
 *    hash table, allocated on the first write. Until then a read returns the
 *    region's reset pattern: 0x00 for RAM, PHYS_MEM_BAR_RESET_BYTE for BARs.
 *    So a 1 TiB BAR or a 4 TiB RAM map costs nothing until written.
 *
 * Writes of the reset pattern to an untouched page still allocate it (the
 * model does not try to be clever); phys_mem_fill() is the same as writes.
 */
#ifndef P2PSIM_MODELS_MEM_PHYSMEM_H
#define P2PSIM_MODELS_MEM_PHYSMEM_H

#include "models/topology.h"

/* What an untouched byte of device (BAR) memory reads as. */
#define PHYS_MEM_BAR_RESET_BYTE 0xff
#define PHYS_MEM_PAGE_SHIFT 12
#define PHYS_MEM_PAGE_SIZE (1ULL << PHYS_MEM_PAGE_SHIFT)

enum phys_mem_region_kind {
	PHYS_MEM_RAM,
	PHYS_MEM_BAR,
};

struct phys_mem_region {
	enum phys_mem_region_kind kind;
	phys_addr_t base;
	u64 size_bytes;
	u8 reset_byte;
	const struct pci_dev *dev; /* BAR: its function; RAM: NULL */
	int bar;                   /* BAR: index; RAM: -1 */
	int numa_node;             /* RAM: node, else -1 */
};

struct phys_mem_stats {
	u64 pages_touched;   /* pages allocated (written at least once), live */
	u64 bytes_read;
	u64 bytes_written;
	u64 failed_accesses; /* accesses that hit no region (-ENXIO) */
};

struct phys_mem;

/* An empty memory (no regions). NULL on allocation failure. */
struct phys_mem *phys_mem_new(void);
void phys_mem_free(struct phys_mem *mem);

/*
 * Add a region. Returns 0, -EINVAL (size 0 or wraps past the end of the
 * address space), -EEXIST (overlaps an existing region) or -ENOMEM.
 */
int phys_mem_add_region(struct phys_mem *mem, const struct phys_mem_region *region);

/*
 * Every RAM range and memory BAR of @topo. Returns 0 or the first error of
 * phys_mem_add_region() (the memory then holds the regions added so far).
 */
int phys_mem_add_topology(struct phys_mem *mem, const struct topology *topo);

/* The region holding @addr, or NULL. */
const struct phys_mem_region *phys_mem_region_at(const struct phys_mem *mem, phys_addr_t addr);
size_t phys_mem_nr_regions(const struct phys_mem *mem);
const struct phys_mem_region *phys_mem_region(const struct phys_mem *mem, size_t index);

/* Is [addr, addr + size) entirely RAM (possibly spanning adjacent RAM regions)? */
bool phys_mem_is_ram(const struct phys_mem *mem, phys_addr_t addr, size_t size);
/* Is every byte of [addr, addr + size) inside some region? */
bool phys_mem_is_backed(const struct phys_mem *mem, phys_addr_t addr, size_t size);

/*
 * Byte accesses. Each returns 0 or -ENXIO when some byte of the range lies
 * in no region (nothing is transferred then), or -ENOMEM (write/fill only:
 * a page could not be allocated; bytes before it may have been written).
 */
int phys_mem_read(struct phys_mem *mem, phys_addr_t addr, void *buf, size_t len);
int phys_mem_write(struct phys_mem *mem, phys_addr_t addr, const void *buf, size_t len);
int phys_mem_fill(struct phys_mem *mem, phys_addr_t addr, int byte, size_t len);
/* memmove-like copy inside physical memory (overlap-safe). Same returns. */
int phys_mem_copy(struct phys_mem *mem, phys_addr_t dst, phys_addr_t src, size_t len);

void phys_mem_get_stats(const struct phys_mem *mem, struct phys_mem_stats *out);

#endif /* P2PSIM_MODELS_MEM_PHYSMEM_H */
