// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_p2pdma_cache.c - provider state, the map_types cache and its key
 * (including the domain >= 0x8000 quirk), pci_p2pmem_find_many(),
 * pci_p2pdma_state() and the bus address (reference/p2pdma.md §3, §5-§8).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "helpers/fabric_builder.h"
#include "src/pci/p2pdma.h"

static const struct cpu_desc intel = { CPU_VENDOR_INTEL, 6 };

static char logbuf[8192];
static int log_lines;

static void sink(void *arg, const struct pci_dev *dev, const char *line)
{
	strncat(logbuf, line, sizeof(logbuf) - strlen(logbuf) - 2);
	strcat(logbuf, "\n");
	log_lines++;
}

static struct pci_fabric *fab;
static struct p2pdma_ctx ctx;

static void setup(struct pci_fabric *f, const char *profile, u64 seed)
{
	fab = f;
	cr_assert_eq(p2pdma_ctx_init(&ctx, fab, &intel,
				     profile ? kernel_profile_find(profile) : NULL, seed),
		     0);
	ctx.log = sink;
	logbuf[0] = '\0';
	log_lines = 0;
}

static void teardown(void)
{
	if (fab) {
		p2pdma_ctx_destroy(&ctx);
		pci_fabric_free(fab);
		fab = NULL;
	}
}

static struct pci_dev *D(const char *id)
{
	return fb_find(fab, id);
}

static void publish(const char *id)
{
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, D(id), 0, 0, 0), 0);
	pci_p2pmem_publish(&ctx, D(id), true);
}

TestSuite(p2pdma_cache, .fini = teardown);

Test(p2pdma_cache, map_types_idx_like_the_kernel)
{
	struct pci_fabric *f = fb_new();
	struct pci_host_bridge *h0 = fb_host(f, "h0", 0, 0), *h1 = fb_host(f, "h1", 1, 0);
	struct pci_host_bridge *h8 = fb_host(f, "h8", 0x8000, 0),
			       *h10 = fb_host(f, "h10", 0x10000, 0);

	fb_dev(f, h0->bus, "d0", PCI_TYPE_RC_END, 1, 0, 0x8086, 1);
	fb_dev(f, h1->bus, "d1", PCI_TYPE_RC_END, 1, 0, 0x8086, 1);
	fb_dev(f, h8->bus, "d8", PCI_TYPE_RC_END, 1, 0, 0x8086, 1);
	fb_dev(f, h10->bus, "d10", PCI_TYPE_RC_END, 1, 0, 0x8086, 1);
	fb_finalize(f);
	fab = f;
	cr_assert_eq(map_types_idx(D("d0")), 0x0008ul);
	cr_assert_eq(map_types_idx(D("d1")), 0x10008ul);
	/* domain 0x8000: the int goes negative and is sign-extended */
	cr_assert_eq(map_types_idx(D("d8")), 0xffffffff80000008ul);
	/* domain 0x10000: the domain bits fall off a 32-bit int: same key as domain 0 */
	cr_assert_eq(map_types_idx(D("d10")), 0x0008ul);
	pci_fabric_free(f);
	fab = NULL;
}

/* A VMD-style domain 0x10000 client inherits a domain-0 client's cached verdict. */
Test(p2pdma_cache, domain_0x10000_client_collides_with_domain_0)
{
	struct pci_fabric *f = fb_new();
	struct pci_host_bridge *h0 = fb_host(f, "hb0", 0, 0), *h1 = fb_host(f, "vmd", 0x10000, 0);
	struct pci_dev *rp;
	struct p2pdma_provider *prov;
	int dist;

	fb_dev(f, h0->bus, "hostfn", PCI_TYPE_ROOT_FUNCTION, 0, 0, 0x8086, 0x09a2);
	rp = fb_bridge(f, h0->bus, "rp0", PCI_TYPE_ROOT_PORT, 1, 0, 1);
	fb_bar(fb_dev(f, rp->subordinate, "a", PCI_TYPE_ENDPOINT, 0, 0, 0x10de, 0x2330), 0,
	       PCI_BAR_MEM64, 1 << 20, 0x4000000000ull, 0, true);
	rp = fb_bridge(f, h1->bus, "vmdrp", PCI_TYPE_ROOT_PORT, 0, 0, 1);
	rp->device = 0x467f; /* not allowlisted */
	fb_dev(f, rp->subordinate, "b", PCI_TYPE_ENDPOINT, 0, 0, 0x144d, 0xa808);
	fb_finalize(f);
	setup(f, NULL, 1);
	cr_assert_eq(map_types_idx(D("a")), map_types_idx(D("b")));
	cr_assert_eq(calc_map_type_and_dist(&ctx, D("a"), D("b"), &dist, false),
		     PCI_P2PDMA_MAP_NOT_SUPPORTED, "the true verdict");
	cr_assert_eq(pcim_p2pdma_init(&ctx, D("a")), 0);
	prov = pcim_p2pdma_provider(&ctx, D("a"), 0);
	cr_assert_not_null(prov);
	cr_assert_eq(pci_p2pdma_map_type(&ctx, prov, D("a")), PCI_P2PDMA_MAP_BUS_ADDR);
	logbuf[0] = '\0';
	cr_assert_eq(pci_p2pdma_map_type(&ctx, prov, D("b")), PCI_P2PDMA_MAP_BUS_ADDR,
		     "collision: b reads a's slot");
	cr_assert_str_eq(logbuf, "", "and nothing is computed or printed");
}

Test(p2pdma_cache, map_type_computes_once_and_caches)
{
	struct p2pdma_provider *prov;

	setup(fb_t1(0x1234), NULL, 1);
	/* no P2PDMA state yet */
	cr_assert_null(pcim_p2pdma_provider(&ctx, D("a"), 0));
	cr_assert_eq(pcim_p2pdma_init(&ctx, D("a")), 0);
	cr_assert_eq(pcim_p2pdma_init(&ctx, D("a")), 0, "idempotent");
	prov = pcim_p2pdma_provider(&ctx, D("a"), 0);
	cr_assert_null(pcim_p2pdma_provider(&ctx, D("a"), 1), "BAR 1 is the upper half");
	cr_assert_eq(pci_p2pdma_map_type(&ctx, prov, NULL), PCI_P2PDMA_MAP_NOT_SUPPORTED,
		     "a non-PCI DMA device");
	cr_assert_eq(pci_p2pdma_map_type(&ctx, prov, D("c")), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_eq(log_lines, 1, "computed with verbose=true: the 'cannot be used' line");
	cr_assert_eq(pci_p2pdma_map_type(&ctx, prov, D("c")), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_eq(log_lines, 1, "cached: silent");
	cr_assert_eq(ctx.p2pdma[D("a")->index]->map_types.nr, 1);
	cr_assert_eq(pci_p2pdma_map_type(&ctx, prov, D("b")), PCI_P2PDMA_MAP_BUS_ADDR);
	/* stale: ACS changes do not invalidate the cache (§8.10) */
	D("dsp1")->has_acs = true;
	p2pdma_ctx_set_acs_ctrl(&ctx, D("dsp1"), PCI_ACS_RR);
	cr_assert_eq(pci_p2pdma_map_type(&ctx, prov, D("b")), PCI_P2PDMA_MAP_BUS_ADDR);
	/* distance_many never reads the cache but always writes it */
	cr_assert_eq(pci_p2pdma_distance(&ctx, D("a"), D("b"), false), -1);
	cr_assert_eq(pci_p2pdma_map_type(&ctx, prov, D("b")), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	/* unbind drops the cache; the next look-up computes (and warns) again */
	pci_p2pdma_release(&ctx, D("a"));
	cr_assert_eq(pcim_p2pdma_init(&ctx, D("a")), 0);
	prov = pcim_p2pdma_provider(&ctx, D("a"), 0);
	log_lines = 0;
	cr_assert_eq(pci_p2pdma_map_type(&ctx, prov, D("c")), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_eq(log_lines, 1);
}

Test(p2pdma_cache, cache_grows_past_many_clients)
{
	int dist;

	setup(fb_t1(0x2020), NULL, 1);
	cr_assert_eq(pcim_p2pdma_init(&ctx, D("a")), 0);
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < fab->nr_devs; i++)
			calc_map_type_and_dist(&ctx, D("a"), fab->devs[i], &dist, false);
	cr_assert_eq(ctx.p2pdma[D("a")->index]->map_types.nr, fab->nr_devs);
	cr_assert_eq(pci_p2pdma_map_type(&ctx, pcim_p2pdma_provider(&ctx, D("a"), 0), D("z")),
		     PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
}

Test(p2pdma_cache, add_resource_validates_and_logs)
{
	setup(fb_t1(0x2020), NULL, 1);
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, D("a"), 2, 0, 0), -EINVAL, "no BAR 2");
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, D("a"), 0, 0, 1 << 20), -EINVAL,
		     "offset >= len");
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, D("a"), 0, 4096, (1 << 20) - 2048), -EINVAL);
	cr_assert_null(ctx.p2pdma[D("a")->index], "nothing set up on a validation error");
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, D("a"), 0, 0, 0x1000), 0);
	cr_assert_str_eq(
		logbuf,
		"pci 0000:03:00.0: added peer-to-peer DMA memory 0x4000001000-0x40000fffff\n");
	cr_assert_eq(ctx.p2pdma[D("a")->index]->pool_size_bytes, (1 << 20) - 0x1000);
}

Test(p2pdma_cache, state_and_bus_address)
{
	struct pci_p2pdma_map_state state = { 0 };
	struct p2pdma_provider *prov;
	struct pci_fabric *f = fb_t1(0x2020);

	/* give a's BAR a host-bridge window offset: bus = cpu - 0x3f80000000 */
	fb_bar(fb_find(f, "a"), 0, PCI_BAR_MEM64, 1 << 20, 0x4000000000ull, 0x3f80000000ull, true);
	setup(f, NULL, 1);
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, D("a"), 0, 0, 0), 0);
	prov = pcim_p2pdma_provider(&ctx, D("a"), 0);
	cr_assert_eq(prov->owner, D("a"));
	cr_assert_eq(prov->bus_offset, 0ull - 0x3f80000000ull, "bus - cpu, wrapped in u64");
	cr_assert_eq(pci_p2pdma_bus_addr_map(prov, 0x4000000010ull), 0x80000010ull);

	cr_assert_eq(pci_p2pdma_state(&ctx, &state, D("b"), 0x1000), PCI_P2PDMA_MAP_NONE);
	cr_assert_null(state.mem, "untouched for an ordinary page");
	cr_assert_eq(pci_p2pdma_state(&ctx, &state, D("b"), 0x4000002000ull),
		     PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(state.mem, prov);
	/* the memo is keyed on the provider only: the next page reuses state->map */
	state.map = PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
	cr_assert_eq(pci_p2pdma_state(&ctx, &state, D("b"), 0x4000003000ull),
		     PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(pci_p2pdma_state(&ctx, &state, D("c"), 0x4000000000ull + (1 << 20)),
		     PCI_P2PDMA_MAP_NONE, "past the end of the p2pmem range");
}

/* Example 9 on T1 */
Test(p2pdma_cache, find_many_picks_the_closest)
{
	const struct pci_dev *clients[2];

	setup(fb_t1(0x2020), NULL, 1);
	publish("a");
	publish("c");
	publish("z");
	cr_assert_eq(pci_p2pmem_find(&ctx, D("b")), D("a"), "A 4 < Z 5 < C 6");
	teardown();

	setup(fb_t1(0x2020), NULL, 1);
	publish("a");
	publish("b");
	publish("z");
	cr_assert_eq(pci_p2pmem_find(&ctx, D("c")), D("z"), "Z 3 < A 6 = B 6");
	teardown();

	setup(fb_t1(0x2020), NULL, 1);
	publish("a");
	publish("z");
	clients[0] = D("b");
	clients[1] = D("c");
	cr_assert_eq(pci_p2pmem_find_many(&ctx, clients, 2), D("z"), "Z 5+3 < A 4+6");
	/* the provider can be a client: distance 0 wins */
	cr_assert_eq(pci_p2pmem_find(&ctx, D("z")), D("z"));
	clients[1] = NULL;
	cr_assert_null(pci_p2pmem_find_many(&ctx, clients, 2),
		       "a non-PCI client fails every provider");
	cr_assert_null(pci_p2pmem_find_many(&ctx, clients, 0));
}

Test(p2pdma_cache, find_many_skips_not_supported_and_unpublished)
{
	setup(fb_t1(0x1234), NULL, 1);
	publish("a");
	cr_assert_null(pci_p2pmem_find(&ctx, D("c")), "a->c is NOT_SUPPORTED");
	cr_assert_eq(pci_p2pmem_find(&ctx, D("b")), D("a"));
	pci_p2pmem_publish(&ctx, D("a"), false);
	cr_assert_null(pci_p2pmem_find(&ctx, D("b")));
}

Test(p2pdma_cache, find_many_needs_a_pool_upstream_but_not_in_v6_19)
{
	setup(fb_t1(0x2020), NULL, 1);
	cr_assert_eq(pcim_p2pdma_init(&ctx, D("a")), 0);
	pci_p2pmem_publish(&ctx, D("a"), true);
	cr_assert_null(pci_p2pmem_find(&ctx, D("b")), "state without a pool is ignored");
	teardown();
	setup(fb_t1(0x2020), "v6.19", 1);
	cr_assert_eq(pcim_p2pdma_init(&ctx, D("a")), 0);
	pci_p2pmem_publish(&ctx, D("a"), true);
	cr_assert_eq(pci_p2pmem_find(&ctx, D("b")), D("a"));
}

/* Ties: a and b are both 4+1 = 5 from the RCiEP z; the seeded source picks. */
Test(p2pdma_cache, find_many_ties_broken_by_the_seeded_rng)
{
	const struct pci_dev *first, *again;
	bool seen_a = false, seen_b = false;
	char first_id[8];

	for (u64 seed = 0; seed < 32; seed++) {
		setup(fb_t1(0x2020), NULL, seed);
		publish("a");
		publish("b");
		first = pci_p2pmem_find(&ctx, D("z"));
		cr_assert(first == D("a") || first == D("b"));
		seen_a |= first == D("a");
		seen_b |= first == D("b");
		snprintf(first_id, sizeof(first_id), "%s", first->id);
		teardown();
		setup(fb_t1(0x2020), NULL, seed);
		publish("a");
		publish("b");
		again = pci_p2pmem_find(&ctx, D("z"));
		cr_assert_str_eq(again->id, first_id, "same seed, same choice");
		teardown();
	}
	cr_assert(seen_a && seen_b, "both tied providers get picked over 32 seeds");
}

Test(p2pdma_cache, page_index_ranges_overlap_and_release)
{
	struct pci_p2pdma_map_state state = { 0 };

	setup(fb_t1(0x2020), NULL, 1);
	/* a's BAR 0 is 0x4000000000 + 1 MiB; two disjoint pieces of it */
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, D("a"), 0, 0x10000, 0x10000), 0);
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, D("a"), 0, 0x10000, 0x30000), 0);
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, D("a"), 0, 0x20000, 0x18000), -EBUSY);
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, D("a"), 0, 0x8000, 0x2c000), -EBUSY);
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, D("a"), 0, 0x10000, 0x20000), 0, "touching is fine");
	cr_assert_eq(pci_p2pdma_add_resource(&ctx, D("b"), 0, 0, 0), 0);
	cr_assert_eq(ctx.nr_pgmap_index, 4);
	cr_assert_eq(pci_p2pdma_state(&ctx, &state, D("b"), 0x400000f000ull), PCI_P2PDMA_MAP_NONE,
		     "below the first piece");
	cr_assert_eq(pci_p2pdma_state(&ctx, &state, D("b"), 0x4000010000ull),
		     PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(state.mem, pcim_p2pdma_provider(&ctx, D("a"), 0));
	cr_assert_eq(pci_p2pdma_state(&ctx, &state, D("a"), 0x4000200000ull),
		     PCI_P2PDMA_MAP_BUS_ADDR, "b's BAR, seen from a");
	cr_assert_eq(state.mem, pcim_p2pdma_provider(&ctx, D("b"), 0));
	cr_assert_eq(pci_p2pdma_state(&ctx, &state, D("b"), 0x4000040000ull), PCI_P2PDMA_MAP_NONE,
		     "past the last piece");
	pci_p2pdma_release(&ctx, D("a"));
	cr_assert_eq(ctx.nr_pgmap_index, 1);
	state.mem = NULL;
	cr_assert_eq(pci_p2pdma_state(&ctx, &state, D("b"), 0x4000010000ull), PCI_P2PDMA_MAP_NONE,
		     "unbound: no longer P2P memory");
}

/* Example 9, T2 row: B at depth 6 behind cascaded switches; a shallow host-bridge path wins. */
Test(p2pdma_cache, find_many_t2_host_bridge_path_beats_deep_switch_path)
{
	struct pci_fabric *f = fb_new();
	struct pci_host_bridge *hb = fb_host(f, "hb0", 0, 0);
	struct pci_dev *rp1, *s0u, *s0d0, *s0d1, *s1u, *s1d, *s2u, *s2d;

	fb_dev(f, hb->bus, "hostfn", PCI_TYPE_ROOT_FUNCTION, 0, 0, 0x8086, 0x2020);
	rp1 = fb_bridge(f, hb->bus, "rp1", PCI_TYPE_ROOT_PORT, 1, 0, 0x01);
	s0u = fb_bridge(f, rp1->subordinate, "s0u", PCI_TYPE_UPSTREAM, 0, 0, 0x02);
	s0d0 = fb_bridge(f, s0u->subordinate, "s0d0", PCI_TYPE_DOWNSTREAM, 0, 0, 0x03);
	s0d1 = fb_bridge(f, s0u->subordinate, "s0d1", PCI_TYPE_DOWNSTREAM, 1, 0, 0x06);
	s1u = fb_bridge(f, s0d0->subordinate, "s1u", PCI_TYPE_UPSTREAM, 0, 0, 0x04);
	s1d = fb_bridge(f, s1u->subordinate, "s1d", PCI_TYPE_DOWNSTREAM, 0, 0, 0x05);
	s2u = fb_bridge(f, s0d1->subordinate, "s2u", PCI_TYPE_UPSTREAM, 0, 0, 0x07);
	s2d = fb_bridge(f, s2u->subordinate, "s2d", PCI_TYPE_DOWNSTREAM, 0, 0, 0x08);
	fb_bar(fb_dev(f, s1d->subordinate, "a", PCI_TYPE_ENDPOINT, 0, 0, 0x10de, 0x2330), 0,
	       PCI_BAR_MEM64, 1 << 20, 0x4000000000ull, 0, true);
	fb_dev(f, s2d->subordinate, "b", PCI_TYPE_ENDPOINT, 0, 0, 0x10de, 0x2330);
	fb_bar(fb_dev(f, hb->bus, "z", PCI_TYPE_RC_END, 5, 0, 0x8086, 0x0b25), 0, PCI_BAR_MEM64,
	       1 << 20, 0x4000100000ull, 0, true);
	fb_finalize(f);
	setup(f, NULL, 1);
	cr_assert_eq(D("b")->depth, 6);
	publish("a");
	publish("z");
	cr_assert_eq(pci_p2pdma_distance(&ctx, D("a"), D("b"), false), 8, "BUS_ADDR, 4 + 4");
	cr_assert_eq(pci_p2pdma_distance(&ctx, D("z"), D("b"), false), 7, "THRU, 1 + 6");
	cr_assert_eq(pci_p2pmem_find(&ctx, D("b")), D("z"));
}
