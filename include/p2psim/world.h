/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2psim/world.h - a running machine: a topology brought to life with
 * physical memory, IOMMUs, a swiotlb pool and one DMA device per
 * DMA-capable function, driven through the streaming DMA API.
 *
 * A world borrows its topology (keep the topology alive until the world is
 * freed). Devices are named by the topology's function ids ("nvme0") or
 * BDFs. Buffers are named ranges of simulated RAM. Mapping calls behave as
 * the kernel's dma_map_* / dma_unmap_* / dma_sync_* do on that device (see
 * docs/dma.md): a mapping the kernel would refuse is not an API error, it
 * is a P2PSIM_DMA_ERROR address (or a negative errno for scatter-gather).
 * API errors (unknown device, bad arguments) return P2PSIM_EINPUT with a
 * message in @err (which may be NULL).
 */
#ifndef P2PSIM_WORLD_H
#define P2PSIM_WORLD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "p2psim/error.h"
#include "p2psim/topology.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct p2psim_world p2psim_world;

/* What a failed single mapping returns (the kernel's DMA_MAPPING_ERROR). */
#define P2PSIM_DMA_ERROR UINT64_MAX

/* DMA directions (enum dma_data_direction). */
enum p2psim_dma_dir {
	P2PSIM_DMA_BIDIRECTIONAL = 0,
	P2PSIM_DMA_TO_DEVICE = 1,
	P2PSIM_DMA_FROM_DEVICE = 2,
	P2PSIM_DMA_NONE = 3,
};

/* DMA attributes (the kernel's DMA_ATTR_* bit values). */
#define P2PSIM_ATTR_SKIP_CPU_SYNC (1UL << 5)
#define P2PSIM_ATTR_NO_WARN (1UL << 8)
#define P2PSIM_ATTR_PRIVILEGED (1UL << 9)
#define P2PSIM_ATTR_MMIO (1UL << 10)
#define P2PSIM_ATTR_REQUIRE_COHERENT (1UL << 12)

/* IOMMU mode override for every IOMMU of the world. */
enum p2psim_iommu_mode {
	P2PSIM_IOMMU_MODE_TOPOLOGY = 0, /* each <iommu>'s own mode (default) */
	P2PSIM_IOMMU_MODE_STRICT,
	P2PSIM_IOMMU_MODE_LAZY,
	P2PSIM_IOMMU_MODE_PASSTHROUGH,
	P2PSIM_IOMMU_MODE_OFF,
};

struct p2psim_world_opts {
	uint64_t seed;            /* drives every random choice (default 1) */
	int iommu_mode;           /* enum p2psim_iommu_mode */
	uint64_t swiotlb_bytes;   /* pool size; 0 = no swiotlb; default 64 MiB */
	int swiotlb_force;        /* swiotlb=force: dma-direct bounces everything */
	unsigned int nr_cpus;     /* possible CPUs: swiotlb areas, flush queues (default 1) */
};

/* Fill @opts with the defaults. */
void p2psim_world_opts_init(struct p2psim_world_opts *opts);

/* Parse "strict", "lazy", "passthrough", "off", "topology"; -1 if unknown. */
int p2psim_iommu_mode_parse(const char *name);
/* Parse "bidirectional"|"bidir", "to_device"|"to", "from_device"|"from", "none"; -1 if unknown. */
int p2psim_dma_dir_parse(const char *name);
const char *p2psim_dma_dir_name(int dir);

/*
 * Build a world. @opts may be NULL (defaults). Returns P2PSIM_OK,
 * P2PSIM_EINPUT (options the topology cannot satisfy, e.g. no low RAM for
 * the swiotlb pool) or P2PSIM_EINTERNAL; *@out is NULL on failure.
 */
int p2psim_world_new(const p2psim_topology *topo, const struct p2psim_world_opts *opts,
		     p2psim_world **out, struct p2psim_error *err);
void p2psim_world_free(p2psim_world *world);

/* --- devices -------------------------------------------------------------- */

size_t p2psim_world_device_count(const p2psim_world *world);
/* The @index-th DMA device (scan order), or NULL past the end. */
const char *p2psim_world_device_id(const p2psim_world *world, size_t index);

struct p2psim_device_info {
	const char *id;
	const char *bdf;
	unsigned int dma_mask_bits;   /* current streaming mask */
	int coherent;
	int untrusted;
	const char *dma_ops;          /* "dma-iommu" or "dma-direct" */
	const char *domain;           /* "DMA", "DMA_FQ", "IDENTITY", "BLOCKED" or "none" */
	const char *iommu;            /* IOMMU id, or NULL when none translates */
	uint64_t max_mapping_size;    /* dma_max_mapping_size() */
	uint64_t opt_mapping_size;    /* dma_opt_mapping_size() */
	uint64_t required_mask;       /* dma_get_required_mask() */
	int addressing_limited;       /* dma_addressing_limited() */
	int need_unmap;               /* dma_need_unmap() (ask after mapping!) */
	int skip_sync;                /* dev->dma_skip_sync */
};

int p2psim_world_device_info(p2psim_world *world, const char *dev, struct p2psim_device_info *out,
			     struct p2psim_error *err);

/*
 * dma_set_mask_and_coherent(DMA_BIT_MASK(@bits)). *@result gets 0 or -EIO
 * (mask not supported). @bits 1..64.
 */
int p2psim_dma_set_mask(p2psim_world *world, const char *dev, unsigned int bits, int *result,
			struct p2psim_error *err);
/*
 * Give one device the default domain another IOMMU mode would have given it
 * at boot (release + probe again; untrusted devices still get a strict DMA
 * domain). Call it before the device maps anything. P2PSIM_EINPUT when the
 * device has no IOMMU or @mode is not STRICT, LAZY, PASSTHROUGH or OFF.
 */
int p2psim_world_set_device_iommu_mode(p2psim_world *world, const char *dev, int mode,
				       struct p2psim_error *err);
/* dma_set_min_align_mask() (e.g. 0xfff for NVMe). */
int p2psim_dma_set_min_align_mask(p2psim_world *world, const char *dev, unsigned int mask,
				  struct p2psim_error *err);

/* --- buffers (named ranges of RAM) --------------------------------------- */

enum p2psim_placement {
	P2PSIM_PLACE_ANY = 0,    /* like the page allocator: above 4 GiB first, then below */
	P2PSIM_PLACE_BELOW_4G,   /* ZONE_DMA32-style */
	P2PSIM_PLACE_ABOVE_4G,
};

/* A page-aligned buffer of @size bytes (zero-filled RAM). *@phys_out may be NULL. */
int p2psim_buffer_alloc(p2psim_world *world, const char *name, uint64_t size, int placement,
			uint64_t *phys_out, struct p2psim_error *err);
/* A buffer at a chosen physical address (must be free RAM). */
int p2psim_buffer_alloc_at(p2psim_world *world, const char *name, uint64_t phys, uint64_t size,
			   struct p2psim_error *err);
int p2psim_buffer_free(p2psim_world *world, const char *name, struct p2psim_error *err);
int p2psim_buffer_lookup(const p2psim_world *world, const char *name, uint64_t *phys,
			 uint64_t *size);

enum p2psim_fill {
	P2PSIM_FILL_BYTE,      /* every byte = value */
	P2PSIM_FILL_INCREMENT, /* byte i of the buffer = value + i (mod 256) */
	P2PSIM_FILL_RANDOM,    /* seeded by the world seed, the buffer name and value */
};

int p2psim_buffer_fill(p2psim_world *world, const char *name, uint64_t offset, uint64_t len,
		       int pattern, uint8_t value, struct p2psim_error *err);
int p2psim_buffer_write(p2psim_world *world, const char *name, uint64_t offset, const void *data,
			uint64_t len, struct p2psim_error *err);
int p2psim_buffer_read(p2psim_world *world, const char *name, uint64_t offset, void *data,
		       uint64_t len, struct p2psim_error *err);

/* Raw physical memory (RAM or a BAR). P2PSIM_EINPUT when a byte hits no memory. */
int p2psim_mem_read(p2psim_world *world, uint64_t phys, void *data, uint64_t len,
		    struct p2psim_error *err);
int p2psim_mem_write(p2psim_world *world, uint64_t phys, const void *data, uint64_t len,
		     struct p2psim_error *err);

/* --- streaming DMA API ----------------------------------------------------- */

/* dma_map_phys(): *@dma_out = the device address, or P2PSIM_DMA_ERROR. */
int p2psim_dma_map(p2psim_world *world, const char *dev, uint64_t phys, uint64_t size, int dir,
		   unsigned long attrs, uint64_t *dma_out, struct p2psim_error *err);
/* The same on [offset, offset + size) of a named buffer. */
int p2psim_dma_map_buffer(p2psim_world *world, const char *dev, const char *buffer,
			  uint64_t offset, uint64_t size, int dir, unsigned long attrs,
			  uint64_t *dma_out, struct p2psim_error *err);
int p2psim_dma_unmap(p2psim_world *world, const char *dev, uint64_t dma, uint64_t size, int dir,
		     unsigned long attrs, struct p2psim_error *err);
/* dma_sync_single_for_cpu (@for_cpu) or _for_device. */
int p2psim_dma_sync(p2psim_world *world, const char *dev, uint64_t dma, uint64_t size, int dir,
		    int for_cpu, struct p2psim_error *err);

/* One scatter-gather segment; the dma_* fields are written by map and read by unmap/sync. */
struct p2psim_sg {
	uint64_t phys;
	uint32_t length;
	uint64_t dma_address;
	uint32_t dma_length;
	int bus_address;       /* mapped as a PCI bus address (P2P BUS_ADDR) */
};

/*
 * dma_map_sgtable(): *@result = number of mapped entries (> 0), or the
 * negative errno (-EINVAL, -ENOMEM, -EIO, -EREMOTEIO, -EOPNOTSUPP); on error
 * nothing stays mapped.
 */
int p2psim_dma_map_sg(p2psim_world *world, const char *dev, struct p2psim_sg *sg, int nents,
		      int dir, unsigned long attrs, int *result, struct p2psim_error *err);
int p2psim_dma_unmap_sg(p2psim_world *world, const char *dev, struct p2psim_sg *sg, int nents,
			int dir, unsigned long attrs, struct p2psim_error *err);
int p2psim_dma_sync_sg(p2psim_world *world, const char *dev, struct p2psim_sg *sg, int nents,
		       int dir, int for_cpu, struct p2psim_error *err);

/* --- time and statistics ------------------------------------------------- */

/* Advance the logical clock by @ns and run due timers (flush queues). */
int p2psim_world_advance(p2psim_world *world, uint64_t ns);
uint64_t p2psim_world_now_ns(const p2psim_world *world);

struct p2psim_dma_stats {
	/* streaming API calls */
	uint64_t maps, unmaps, sg_maps, sg_unmaps, syncs;
	/* IOVA allocator (all IOMMU domains) */
	uint64_t iova_allocs, iova_frees, iovas_live;
	uint64_t fq_depth;             /* IOVAs waiting in flush queues */
	/* IOMMU hardware (all units) */
	uint64_t pgtable_pages;        /* live page-table pages */
	uint64_t iotlb_hits, iotlb_misses, iotlb_invalidations;
	uint64_t iommu_faults;
	/* swiotlb */
	uint64_t swiotlb_slots_total, swiotlb_slots_used;
	uint64_t swiotlb_maps, swiotlb_full;
	uint64_t bounces, bytes_bounced;
	/* non-coherent cache maintenance */
	uint64_t arch_syncs, arch_sync_cost_ns;
	/* physical memory */
	uint64_t mem_pages_touched;
};

void p2psim_world_stats(const p2psim_world *world, struct p2psim_dma_stats *out);

/*
 * Print the statistics as aligned text (P2PSIM_FORMAT_TEXT) or one JSON
 * object (P2PSIM_FORMAT_JSON). Returns P2PSIM_OK or P2PSIM_EINTERNAL.
 */
int p2psim_world_print_stats(const p2psim_world *world, FILE *out, enum p2psim_format format);

#ifdef __cplusplus
}
#endif
#endif /* P2PSIM_WORLD_H */
