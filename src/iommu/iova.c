// SPDX-License-Identifier: GPL-2.0-only
// Follows drivers/iommu/iova.c, Linux v7.0-era (linux-kotlin a663adb68e0e); reference §1.
/*
 * iova.c - the IOVA allocator: a red-black tree of allocated ranges searched
 * top-down, next-fit from a cached node, in front of per-CPU magazines of
 * recently freed pfns (the rcache).
 *
 * Owned here: every struct iova node and struct iova_magazine of a domain.
 *
 * Invariants (kept by the code next to them):
 *  - the tree holds non-overlapping ranges ordered by pfn_lo, and always the
 *    anchor [~0UL, ~0UL];
 *  - cached_node / cached32_node point at nodes in the tree (or the anchor);
 *  - a pfn held in a magazine is still a node in the tree: the range stays
 *    allocated until the magazine is flushed back.
 */
#include <errno.h>
#include <stdlib.h>

#include "src/iommu/iova.h"

#define IOVA_ANCHOR (~0UL)

struct iova_magazine {
	union {
		unsigned long size;
		struct iova_magazine *next; /* in the depot, where size is IOVA_MAG_SIZE */
	};
	unsigned long pfns[IOVA_MAG_SIZE];
};

static int iova_cmp(const struct iova *a, const struct iova *b)
{
	return a->pfn_lo < b->pfn_lo ? -1 : a->pfn_lo > b->pfn_lo;
}

/* RB_GENERATE_STATIC() spelled out: libbsd's __unused is disabled on Linux. */
RB_GENERATE_INTERNAL(iova_rbtree, iova, node, iova_cmp, __attribute__((__unused__)) static)

static unsigned int fls_long(unsigned long x)
{
	return x ? 64 - (unsigned int)__builtin_clzl(x) : 0;
}

static unsigned int order_base_2(unsigned long n)
{
	return n > 1 ? fls_long(n - 1) : 0;
}

/* As on x86, where the shift count wraps: 0 and 1 both round up to 1. */
static unsigned long roundup_pow_of_two(unsigned long n)
{
	return n <= 1 ? 1 : 1UL << fls_long(n - 1);
}

static struct iova *rb_prev_iova(struct iova *node)
{
	return RB_PREV(iova_rbtree, NULL, node);
}

static struct iova *rb_next_iova(struct iova *node)
{
	return RB_NEXT(iova_rbtree, NULL, node);
}

static unsigned int iova_current_cpu(const struct iova_domain *iovad)
{
	unsigned int cpu = iovad->cpu ? *iovad->cpu : 0;

	return cpu < iovad->nr_cpus ? cpu : cpu % iovad->nr_cpus;
}

static u64 iova_now(const struct iova_domain *iovad)
{
	return iovad->clock_ns ? *iovad->clock_ns : 0;
}

static struct iova *alloc_iova_mem(struct iova_domain *iovad)
{
	struct iova *iova = calloc(1, sizeof(*iova));

	if (iova)
		iovad->stats.nodes_live++;
	return iova;
}

static void free_iova_mem(struct iova_domain *iovad, struct iova *iova)
{
	if (iova != &iovad->anchor) {
		iovad->stats.nodes_live--;
		free(iova);
	}
}

int init_iova_domain(struct iova_domain *iovad, unsigned long granule, unsigned long start_pfn)
{
	/* The kernel BUGs on these: the granule must be a power of two no bigger than a page. */
	if (!granule || (granule & (granule - 1)) || granule > 4096)
		return -EINVAL;
	RB_INIT(&iovad->rbroot);
	iovad->granule = granule;
	iovad->start_pfn = start_pfn;
	iovad->dma_32bit_pfn = 1UL << (32 - iova_shift(iovad));
	iovad->max32_alloc_size = iovad->dma_32bit_pfn;
	iovad->anchor.pfn_lo = iovad->anchor.pfn_hi = IOVA_ANCHOR;
	RB_INSERT(iova_rbtree, &iovad->rbroot, &iovad->anchor);
	iovad->cached_node = &iovad->anchor;
	iovad->cached32_node = &iovad->anchor;
	iovad->rcaches = NULL;
	if (!iovad->nr_cpus)
		iovad->nr_cpus = 1;
	return 0;
}

void iova_domain_bind(struct iova_domain *iovad, unsigned int nr_cpus, const unsigned int *cpu,
		      const u64 *clock_ns)
{
	iovad->nr_cpus = nr_cpus ? nr_cpus : 1;
	iovad->cpu = cpu;
	iovad->clock_ns = clock_ns;
}

static struct iova *__get_cached_rbnode(struct iova_domain *iovad, unsigned long limit_pfn)
{
	if (limit_pfn <= iovad->dma_32bit_pfn)
		return iovad->cached32_node;
	return iovad->cached_node;
}

static void __cached_rbnode_insert_update(struct iova_domain *iovad, struct iova *new)
{
	if (new->pfn_hi < iovad->dma_32bit_pfn)
		iovad->cached32_node = new;
	else
		iovad->cached_node = new;
}

static void __cached_rbnode_delete_update(struct iova_domain *iovad, struct iova *free)
{
	struct iova *cached_iova = iovad->cached32_node;

	if (free == cached_iova ||
	    (free->pfn_hi < iovad->dma_32bit_pfn && free->pfn_lo >= cached_iova->pfn_lo))
		iovad->cached32_node = rb_next_iova(free);

	if (free->pfn_lo < iovad->dma_32bit_pfn)
		iovad->max32_alloc_size = iovad->dma_32bit_pfn;

	cached_iova = iovad->cached_node;
	if (free->pfn_lo >= cached_iova->pfn_lo)
		iovad->cached_node = rb_next_iova(free);
}

/*
 * The lowest node whose range reaches @limit_pfn (pfn_hi >= limit_pfn): the
 * node to start a walk below @limit_pfn from. Above 32 bits the anchor is
 * taken as a crude but cheap approximation, as the kernel does.
 */
static struct iova *iova_find_limit(struct iova_domain *iovad, unsigned long limit_pfn)
{
	struct iova *node = RB_ROOT(&iovad->rbroot), *best = &iovad->anchor;

	if (limit_pfn > iovad->dma_32bit_pfn)
		return &iovad->anchor;
	while (node) {
		if (node->pfn_hi >= limit_pfn) {
			best = node;
			node = RB_LEFT(node, node);
		} else {
			node = RB_RIGHT(node, node);
		}
	}
	return best;
}

static int __alloc_and_insert_iova_range(struct iova_domain *iovad, unsigned long size,
					 unsigned long limit_pfn, struct iova *new,
					 bool size_aligned)
{
	unsigned long new_pfn, retry_pfn;
	unsigned long align_mask = ~0UL;
	unsigned long high_pfn = limit_pfn, low_pfn = iovad->start_pfn;
	struct iova *curr, *prev;

	if (size_aligned)
		align_mask <<= fls_long(size - 1);

	/* A 32-bit request at least as big as one that failed cannot fit. */
	if (limit_pfn <= iovad->dma_32bit_pfn && size >= iovad->max32_alloc_size)
		goto iova32_full;

	curr = __get_cached_rbnode(iovad, limit_pfn);
	retry_pfn = curr->pfn_hi;

retry:
	/* Walk backwards from curr until a gap below a node fits. */
	do {
		high_pfn = high_pfn < curr->pfn_lo ? high_pfn : curr->pfn_lo;
		new_pfn = (high_pfn - size) & align_mask;
		prev = curr;
		curr = rb_prev_iova(curr);
	} while (curr && new_pfn <= curr->pfn_hi && new_pfn >= low_pfn);

	if (high_pfn < size || new_pfn < low_pfn) {
		/* Once: try the window above the cached node, up to the limit. */
		if (low_pfn == iovad->start_pfn && retry_pfn < limit_pfn) {
			high_pfn = limit_pfn;
			low_pfn = retry_pfn + 1;
			curr = iova_find_limit(iovad, limit_pfn);
			goto retry;
		}
		iovad->max32_alloc_size = size;
		goto iova32_full;
	}

	new->pfn_lo = new_pfn;
	new->pfn_hi = new->pfn_lo + size - 1;
	(void)prev; /* the kernel starts the insertion at prev; RB_INSERT starts at the root */
	RB_INSERT(iova_rbtree, &iovad->rbroot, new);
	__cached_rbnode_insert_update(iovad, new);
	iovad->stats.tree_allocs++;
	return 0;

iova32_full:
	iovad->stats.tree_alloc_fails++;
	return -ENOMEM;
}

struct iova *alloc_iova(struct iova_domain *iovad, unsigned long size, unsigned long limit_pfn,
			bool size_aligned)
{
	struct iova *new_iova;

	if (!size) /* no such range; the kernel's align mask would be a 64-bit shift */
		return NULL;
	new_iova = alloc_iova_mem(iovad);
	if (!new_iova)
		return NULL;
	if (__alloc_and_insert_iova_range(iovad, size, limit_pfn + 1, new_iova, size_aligned)) {
		free_iova_mem(iovad, new_iova);
		return NULL;
	}
	return new_iova;
}

static struct iova *private_find_iova(struct iova_domain *iovad, unsigned long pfn)
{
	struct iova *node = RB_ROOT(&iovad->rbroot);

	while (node) {
		if (pfn < node->pfn_lo)
			node = RB_LEFT(node, node);
		else if (pfn > node->pfn_hi)
			node = RB_RIGHT(node, node);
		else
			return node;
	}
	return NULL;
}

static void remove_iova(struct iova_domain *iovad, struct iova *iova)
{
	__cached_rbnode_delete_update(iovad, iova);
	RB_REMOVE(iova_rbtree, &iovad->rbroot, iova);
	iovad->stats.tree_frees++;
}

struct iova *find_iova(struct iova_domain *iovad, unsigned long pfn)
{
	return private_find_iova(iovad, pfn);
}

void __free_iova(struct iova_domain *iovad, struct iova *iova)
{
	remove_iova(iovad, iova);
	free_iova_mem(iovad, iova);
}

void free_iova(struct iova_domain *iovad, unsigned long pfn)
{
	struct iova *iova = private_find_iova(iovad, pfn);

	if (!iova || iova == &iovad->anchor)
		return;
	remove_iova(iovad, iova);
	free_iova_mem(iovad, iova);
}

/* --- rcache ---------------------------------------------------------------- */

static struct iova_magazine *iova_magazine_alloc(struct iova_domain *iovad)
{
	struct iova_magazine *mag = calloc(1, sizeof(*mag));

	if (mag)
		iovad->stats.magazines_live++;
	return mag;
}

static void iova_magazine_free(struct iova_domain *iovad, struct iova_magazine *mag)
{
	if (mag) {
		iovad->stats.magazines_live--;
		free(mag);
	}
}

static void iova_magazine_free_pfns(struct iova_magazine *mag, struct iova_domain *iovad)
{
	for (unsigned long i = 0; i < mag->size; i++) {
		struct iova *iova = private_find_iova(iovad, mag->pfns[i]);

		if (!iova) /* WARN_ON in the kernel */
			continue;
		remove_iova(iovad, iova);
		free_iova_mem(iovad, iova);
	}
	mag->size = 0;
}

static bool iova_magazine_full(const struct iova_magazine *mag)
{
	return mag->size == IOVA_MAG_SIZE;
}

static bool iova_magazine_empty(const struct iova_magazine *mag)
{
	return mag->size == 0;
}

/* The topmost pfn <= limit_pfn, swap-removed; 0 if none fits. */
static unsigned long iova_magazine_pop(struct iova_magazine *mag, unsigned long limit_pfn)
{
	unsigned long pfn;
	long i;

	for (i = (long)mag->size - 1; mag->pfns[i] > limit_pfn; i--)
		if (i == 0)
			return 0;
	pfn = mag->pfns[i];
	mag->pfns[i] = mag->pfns[--mag->size];
	return pfn;
}

static void iova_magazine_push(struct iova_magazine *mag, unsigned long pfn)
{
	mag->pfns[mag->size++] = pfn;
}

static struct iova_magazine *iova_depot_pop(struct iova_rcache *rcache)
{
	struct iova_magazine *mag = rcache->depot;

	rcache->depot = mag->next;
	mag->size = IOVA_MAG_SIZE;
	rcache->depot_size--;
	return mag;
}

static void iova_depot_push(struct iova_rcache *rcache, struct iova_magazine *mag)
{
	mag->next = rcache->depot;
	rcache->depot = mag;
	rcache->depot_size++;
}

/* schedule_delayed_work(): a pending work item keeps its deadline. */
static void iova_depot_schedule(struct iova_domain *iovad, struct iova_rcache *rcache, u64 from)
{
	if (rcache->work_pending)
		return;
	rcache->work_pending = true;
	rcache->work_due_ns = from + IOVA_DEPOT_DELAY_NS;
}

/* iova_depot_work_func(): give one magazine back while the depot is bigger than #CPUs. */
static void iova_depot_work_func(struct iova_domain *iovad, struct iova_rcache *rcache, u64 now)
{
	struct iova_magazine *mag = NULL;

	if (rcache->depot_size > iovad->nr_cpus)
		mag = iova_depot_pop(rcache);
	if (mag) {
		iova_magazine_free_pfns(mag, iovad);
		iova_magazine_free(iovad, mag);
		iovad->stats.depot_trims++;
		iova_depot_schedule(iovad, rcache, now);
	}
}

void iova_run_timers(struct iova_domain *iovad, u64 now_ns)
{
	if (!iovad->rcaches)
		return;
	for (unsigned int i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rcache = &iovad->rcaches[i];

		/* Each run reschedules 100 ms after its own deadline: replay all that fell due. */
		while (rcache->work_pending && rcache->work_due_ns <= now_ns) {
			u64 due = rcache->work_due_ns;

			rcache->work_pending = false;
			iova_depot_work_func(iovad, rcache, due);
		}
	}
}

int iova_domain_init_rcaches(struct iova_domain *iovad)
{
	unsigned int i, cpu;

	iovad->rcaches = calloc(IOVA_RANGE_CACHE_MAX_SIZE, sizeof(*iovad->rcaches));
	if (!iovad->rcaches)
		return -ENOMEM;
	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rcache = &iovad->rcaches[i];

		rcache->cpu_rcaches = calloc(iovad->nr_cpus, sizeof(*rcache->cpu_rcaches));
		if (!rcache->cpu_rcaches)
			goto out_err;
		for (cpu = 0; cpu < iovad->nr_cpus; cpu++) {
			struct iova_cpu_rcache *cpu_rcache = &rcache->cpu_rcaches[cpu];

			cpu_rcache->loaded = iova_magazine_alloc(iovad);
			cpu_rcache->prev = iova_magazine_alloc(iovad);
			if (!cpu_rcache->loaded || !cpu_rcache->prev)
				goto out_err;
		}
	}
	return 0;

out_err:
	put_iova_domain(iovad);
	return -ENOMEM;
}

static bool __iova_rcache_insert(struct iova_domain *iovad, struct iova_rcache *rcache,
				 unsigned long iova_pfn)
{
	struct iova_cpu_rcache *cpu_rcache = &rcache->cpu_rcaches[iova_current_cpu(iovad)];
	bool can_insert = false;

	if (!iova_magazine_full(cpu_rcache->loaded)) {
		can_insert = true;
	} else if (!iova_magazine_full(cpu_rcache->prev)) {
		struct iova_magazine *tmp = cpu_rcache->prev;

		cpu_rcache->prev = cpu_rcache->loaded;
		cpu_rcache->loaded = tmp;
		can_insert = true;
	} else {
		struct iova_magazine *new_mag = iova_magazine_alloc(iovad);

		if (new_mag) {
			iova_depot_push(rcache, cpu_rcache->loaded);
			iovad->stats.depot_pushes++;
			iova_depot_schedule(iovad, rcache, iova_now(iovad));
			cpu_rcache->loaded = new_mag;
			can_insert = true;
		}
	}
	if (can_insert)
		iova_magazine_push(cpu_rcache->loaded, iova_pfn);
	return can_insert;
}

static bool iova_rcache_insert(struct iova_domain *iovad, unsigned long pfn, unsigned long size)
{
	unsigned int log_size = order_base_2(size);

	if (log_size >= IOVA_RANGE_CACHE_MAX_SIZE || !iovad->rcaches)
		return false;
	return __iova_rcache_insert(iovad, &iovad->rcaches[log_size], pfn);
}

static unsigned long __iova_rcache_get(struct iova_domain *iovad, struct iova_rcache *rcache,
				       unsigned long limit_pfn)
{
	struct iova_cpu_rcache *cpu_rcache = &rcache->cpu_rcaches[iova_current_cpu(iovad)];
	bool has_pfn = false;

	if (!iova_magazine_empty(cpu_rcache->loaded)) {
		has_pfn = true;
	} else if (!iova_magazine_empty(cpu_rcache->prev)) {
		struct iova_magazine *tmp = cpu_rcache->prev;

		cpu_rcache->prev = cpu_rcache->loaded;
		cpu_rcache->loaded = tmp;
		has_pfn = true;
	} else if (rcache->depot) {
		iova_magazine_free(iovad, cpu_rcache->loaded);
		cpu_rcache->loaded = iova_depot_pop(rcache);
		has_pfn = true;
	}
	if (!has_pfn)
		return 0;
	return iova_magazine_pop(cpu_rcache->loaded, limit_pfn);
}

/* @limit_pfn is exclusive here: only pfns with pfn + size <= limit_pfn qualify. */
static unsigned long iova_rcache_get(struct iova_domain *iovad, unsigned long size,
				     unsigned long limit_pfn)
{
	unsigned int log_size = order_base_2(size);

	if (log_size >= IOVA_RANGE_CACHE_MAX_SIZE || !iovad->rcaches)
		return 0;
	return __iova_rcache_get(iovad, &iovad->rcaches[log_size], limit_pfn - size);
}

unsigned long alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn, bool flush_rcache)
{
	unsigned long iova_pfn;
	struct iova *new_iova;

	/*
	 * Cacheable sizes are rounded up to a power of two so that a range freed
	 * into a size class always fits a later request of that class; the
	 * order of the caller's unrounded size still matches at free time.
	 */
	if (size < (1UL << (IOVA_RANGE_CACHE_MAX_SIZE - 1)))
		size = roundup_pow_of_two(size);

	iova_pfn = iova_rcache_get(iovad, size, limit_pfn + 1);
	if (iova_pfn) {
		iovad->stats.rcache_hits++;
		iovad->stats.alloc_fast++;
		return iova_pfn;
	}
	iovad->stats.rcache_misses++;

retry:
	new_iova = alloc_iova(iovad, size, limit_pfn, true);
	if (!new_iova) {
		if (!flush_rcache) {
			iovad->stats.alloc_fast_failed++;
			return 0;
		}
		/* Try replenishing IOVAs by flushing the rcaches, once. */
		flush_rcache = false;
		iovad->stats.rcache_flushes++;
		for (unsigned int cpu = 0; cpu < iovad->nr_cpus; cpu++)
			free_cpu_cached_iovas(cpu, iovad);
		free_global_cached_iovas(iovad);
		goto retry;
	}
	iovad->stats.alloc_fast++;
	return new_iova->pfn_lo;
}

void free_iova_fast(struct iova_domain *iovad, unsigned long pfn, unsigned long size)
{
	iovad->stats.free_fast++;
	if (iova_rcache_insert(iovad, pfn, size)) {
		iovad->stats.rcache_inserts++;
		return;
	}
	iovad->stats.rcache_insert_fails++;
	free_iova(iovad, pfn);
}

void free_cpu_cached_iovas(unsigned int cpu, struct iova_domain *iovad)
{
	if (!iovad->rcaches || cpu >= iovad->nr_cpus)
		return;
	for (unsigned int i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_cpu_rcache *cpu_rcache = &iovad->rcaches[i].cpu_rcaches[cpu];

		iova_magazine_free_pfns(cpu_rcache->loaded, iovad);
		iova_magazine_free_pfns(cpu_rcache->prev, iovad);
	}
}

void free_global_cached_iovas(struct iova_domain *iovad)
{
	if (!iovad->rcaches)
		return;
	for (unsigned int i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rcache = &iovad->rcaches[i];

		while (rcache->depot) {
			struct iova_magazine *mag = iova_depot_pop(rcache);

			iova_magazine_free_pfns(mag, iovad);
			iova_magazine_free(iovad, mag);
		}
	}
}

unsigned long iova_rcache_cached(const struct iova_domain *iovad, unsigned int log)
{
	const struct iova_rcache *rcache;
	unsigned long n;

	if (!iovad->rcaches || log >= IOVA_RANGE_CACHE_MAX_SIZE)
		return 0;
	rcache = &iovad->rcaches[log];
	n = rcache->depot_size * IOVA_MAG_SIZE;
	for (unsigned int cpu = 0; cpu < iovad->nr_cpus; cpu++) {
		n += rcache->cpu_rcaches[cpu].loaded->size;
		n += rcache->cpu_rcaches[cpu].prev->size;
	}
	return n;
}

/* --- reservations ---------------------------------------------------------- */

static bool __is_range_overlap(const struct iova *iova, unsigned long pfn_lo,
			       unsigned long pfn_hi)
{
	return pfn_lo <= iova->pfn_hi && pfn_hi >= iova->pfn_lo;
}

/* Grow @iova down to *pfn_lo; what is left to reserve starts above it. */
static void __adjust_overlap_range(struct iova *iova, unsigned long *pfn_lo,
				   unsigned long *pfn_hi)
{
	if (*pfn_lo < iova->pfn_lo)
		iova->pfn_lo = *pfn_lo;
	if (*pfn_hi > iova->pfn_hi)
		*pfn_lo = iova->pfn_hi + 1;
}

static struct iova *__insert_new_range(struct iova_domain *iovad, unsigned long pfn_lo,
				       unsigned long pfn_hi)
{
	struct iova *iova = alloc_iova_mem(iovad);

	if (!iova)
		return NULL;
	iova->pfn_lo = pfn_lo;
	iova->pfn_hi = pfn_hi;
	RB_INSERT(iova_rbtree, &iovad->rbroot, iova);
	return iova;
}

struct iova *reserve_iova(struct iova_domain *iovad, unsigned long pfn_lo, unsigned long pfn_hi)
{
	struct iova *node, *iova;
	bool overlap = false;

	/* Don't allow nonsensical pfns (WARN_ON in the kernel). */
	if ((pfn_hi | pfn_lo) > (~0UL >> iova_shift(iovad)) || pfn_lo > pfn_hi)
		return NULL;

	RB_FOREACH(node, iova_rbtree, &iovad->rbroot) {
		if (node == &iovad->anchor)
			break;
		if (__is_range_overlap(node, pfn_lo, pfn_hi)) {
			__adjust_overlap_range(node, &pfn_lo, &pfn_hi);
			if (pfn_lo >= node->pfn_lo && pfn_hi <= node->pfn_hi)
				return node;
			overlap = true;
		} else if (overlap) {
			break;
		}
	}
	/* The first reserved node here, or what is left above the overlapped ones. */
	iova = __insert_new_range(iovad, pfn_lo, pfn_hi);
	return iova;
}

/* --- teardown -------------------------------------------------------------- */

static void free_iova_rcaches(struct iova_domain *iovad)
{
	if (!iovad->rcaches)
		return;
	for (unsigned int i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rcache = &iovad->rcaches[i];

		if (!rcache->cpu_rcaches)
			break;
		for (unsigned int cpu = 0; cpu < iovad->nr_cpus; cpu++) {
			iova_magazine_free(iovad, rcache->cpu_rcaches[cpu].loaded);
			iova_magazine_free(iovad, rcache->cpu_rcaches[cpu].prev);
		}
		free(rcache->cpu_rcaches);
		while (rcache->depot)
			iova_magazine_free(iovad, iova_depot_pop(rcache));
	}
	free(iovad->rcaches);
	iovad->rcaches = NULL;
}

void put_iova_domain(struct iova_domain *iovad)
{
	struct iova *node, *tmp;

	free_iova_rcaches(iovad);
	RB_FOREACH_SAFE(node, iova_rbtree, &iovad->rbroot, tmp) {
		RB_REMOVE(iova_rbtree, &iovad->rbroot, node);
		free_iova_mem(iovad, node);
	}
}
