// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_p2pdma.c - calc_map_type_and_dist() and friends against every worked
 * example of reference/p2pdma.md §10, plus the special cases of §8.
 *
 * Expected values are taken from the sheet (map type, distance, the exact
 * set and order of ACS values examined, the log lines), not from what the
 * code printed.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "helpers/fabric_builder.h"
#include "src/pci/p2pdma.h"

static const struct cpu_desc intel = { CPU_VENDOR_INTEL, 6 };
static const struct cpu_desc amd_zen3 = { CPU_VENDOR_AMD, 0x19 };
static const struct cpu_desc amd_zen1 = { CPU_VENDOR_AMD, 0x17 };
static const struct cpu_desc amd_k10 = { CPU_VENDOR_AMD, 0x15 };
static const struct cpu_desc hygon = { CPU_VENDOR_HYGON, 0x18 };
static const struct cpu_desc arm = { CPU_VENDOR_ARM, 0 };

/* the log sink: lines joined with '\n' */
static char logbuf[16384];

static void sink(void *arg, const struct pci_dev *dev, const char *line)
{
	strncat(logbuf, line, sizeof(logbuf) - strlen(logbuf) - 2);
	strcat(logbuf, "\n");
}

struct fixture {
	struct pci_fabric *fab;
	struct p2pdma_ctx ctx;
	struct p2pdma_walk walk;
};

static struct fixture fx;

static void setup_ctx(struct pci_fabric *fab, const struct cpu_desc *cpu, const char *profile)
{
	const struct kernel_profile *kp = profile ? kernel_profile_find(profile) : NULL;

	cr_assert(!profile || kp, "profile %s", profile);
	fx.fab = fab;
	cr_assert_eq(p2pdma_ctx_init(&fx.ctx, fab, cpu, kp, 1), 0);
	fx.ctx.log = sink;
	fx.ctx.walk = &fx.walk;
	logbuf[0] = '\0';
}

static void teardown_ctx(void)
{
	if (fx.fab) {
		p2pdma_ctx_destroy(&fx.ctx);
		pci_fabric_free(fx.fab);
		fx.fab = NULL;
	}
}

static struct pci_dev *D(const char *id)
{
	return fb_find(fx.fab, id);
}

static enum pci_p2pdma_map_type calc(const char *p, const char *c, int *dist, bool verbose)
{
	logbuf[0] = '\0';
	return calc_map_type_and_dist(&fx.ctx, D(p), D(c), dist, verbose);
}

/* The ACS values looked at, as "id,id|id,id" (provider side | client side). */
static const char *checked(void)
{
	static char buf[1024];

	buf[0] = '\0';
	for (int i = 0; i < fx.walk.nr_checks; i++) {
		const struct p2pdma_acs_check *c = &fx.walk.checks[i];

		if (i && !c->provider_side && fx.walk.checks[i - 1].provider_side)
			strcat(buf, "|");
		else if (i)
			strcat(buf, ",");
		strcat(buf, c->dev->id);
	}
	return buf;
}

static void set_acs(const char *id, u16 ctrl)
{
	struct pci_dev *dev = D(id);

	dev->has_acs = true;
	dev->acs_cap = 0x005f;
	p2pdma_ctx_set_acs_ctrl(&fx.ctx, dev, ctrl);
}

TestSuite(p2pdma, .fini = teardown_ctx);

/* §3 helpers */

Test(p2pdma, upstream_bridge_and_depth)
{
	setup_ctx(fb_t1(0x2020), &intel, NULL);
	cr_assert_eq(pci_upstream_bridge(D("a")), D("dsp0"));
	cr_assert_eq(pci_upstream_bridge(D("a.vf0")), D("dsp0"),
		     "a VF starts from its PF's parent");
	cr_assert_str_eq(D("a.vf0")->name, "0000:03:00.2");
	cr_assert_null(pci_upstream_bridge(D("rp1")), "root-bus functions have none");
	cr_assert_null(pci_upstream_bridge(D("z")));
	cr_assert_eq(D("a")->depth, 4);
	cr_assert_eq(D("b")->depth, 4);
	cr_assert_eq(D("c")->depth, 2);
	cr_assert_eq(D("z")->depth, 1);
	cr_assert_eq(D("a.vf0")->depth, 4);
}

Test(p2pdma, cpu_supports_p2pdma_amd_family_0x17_and_later_only)
{
	struct cpu_desc cpus[] = { intel, amd_zen3, amd_zen1, amd_k10, hygon, arm };
	bool expect[] = { false, true, true, false, false, false };

	for (size_t i = 0; i < ARRAY_SIZE(cpus); i++) {
		setup_ctx(fb_t1(0x2020), &cpus[i], NULL);
		cr_assert_eq(cpu_supports_p2pdma(&fx.ctx), expect[i], "cpu %zu", i);
		teardown_ctx();
	}
}

/* Example 1: two endpoints under the same switch */
Test(p2pdma, ex1_same_switch_bus_addr_4)
{
	int dist = -99;

	setup_ctx(fb_t1(0x2020), &intel, NULL);
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(dist, 4);
	cr_assert_eq(fx.walk.common, D("usp"));
	cr_assert_eq(fx.walk.dist_a, 2);
	cr_assert_eq(fx.walk.dist_b, 2);
	cr_assert_str_eq(checked(), "a,dsp0,usp|b,dsp1");
	cr_assert_str_eq(logbuf, "");
	cr_assert_eq(pci_p2pdma_distance(&fx.ctx, D("a"), D("b"), false), 4);
	cr_assert_eq(fx.walk.fallback, false);
}

/* Example 2: cascaded switches under one root port */
Test(p2pdma, ex2_cascade_bus_addr_8)
{
	int dist;

	setup_ctx(fb_cascade(), &intel, NULL);
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(dist, 8);
	cr_assert_eq(fx.walk.common, D("s0u"));
	cr_assert_str_eq(D("s0u")->name, "0000:01:00.0");
	cr_assert_str_eq(checked(), "a,s1d,s1u,s0d0,s0u|b,s2d,s2u,s0d1");
	cr_assert_eq(fx.walk.nr_checks, 9);
	/* any of the 9 with RR/CR/EC -> THRU_HOST_BRIDGE (2020 is allowlisted) */
	set_acs("s2u", PCI_ACS_EC);
	cr_assert_eq(calc("a", "b", &dist, false), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(dist, 8);
	set_acs("s2u", 0);
	set_acs("s0u", PCI_ACS_RR);
	cr_assert_eq(calc("a", "b", &dist, false), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	set_acs("s0u", 0);
	/* the root port is above the common bridge: never looked at */
	set_acs("rp1", PCI_ACS_RR | PCI_ACS_CR);
	cr_assert_eq(calc("a", "b", &dist, false), PCI_P2PDMA_MAP_BUS_ADDR);
}

/* Example 3: two root ports of one allowlisted host bridge */
Test(p2pdma, ex3_two_root_ports_thru_host_bridge_6)
{
	int dist;

	setup_ctx(fb_t1(0x2020), &intel, NULL);
	cr_assert_eq(calc("a", "c", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(dist, 6);
	cr_assert_null(fx.walk.common);
	cr_assert_str_eq(logbuf, "", "no messages");
	cr_assert_str_eq(checked(), "a,dsp0,usp,rp1", "provider chain only");
	cr_assert_eq(fx.walk.nr_hb, 1);
	cr_assert_eq(fx.walk.hb[0].root, D("hostfn"));
	cr_assert_eq(p2pdma_whitelist_row_number(fx.walk.hb[0].entry), 9);
	cr_assert_eq(pci_p2pdma_distance(&fx.ctx, D("a"), D("c"), true), 6);
}

Test(p2pdma, ex3_req_same_host_bridge_row_is_fine_on_one_host_bridge)
{
	int dist;

	setup_ctx(fb_t1(0x3c00), &intel, NULL);
	cr_assert_eq(calc("a", "c", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	teardown_ctx();
	setup_ctx(fb_t1(0x2f01), &intel, NULL);
	cr_assert_eq(calc("a", "c", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
}

/* Example 4: same, host bridge not allowlisted */
Test(p2pdma, ex4_not_allowlisted_not_supported)
{
	int dist;

	setup_ctx(fb_t1(0x1234), &intel, NULL);
	cr_assert_eq(calc("a", "c", &dist, true), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_eq(dist, 6, "*dist is still written");
	cr_assert_str_eq(logbuf,
			 "pci 0000:10:00.0: cannot be used for peer-to-peer DMA as the client and "
			 "provider (0000:03:00.0) do not share an upstream bridge or whitelisted "
			 "host bridge\n",
			 "upstream: no host-bridge line off the ACS path");
	cr_assert_eq(pci_p2pdma_distance(&fx.ctx, D("a"), D("c"), false), -1);
	logbuf[0] = '\0';
	cr_assert_eq(pci_p2pdma_distance(&fx.ctx, D("a"), D("c"), false), -1);
	cr_assert_str_eq(logbuf, "", "not verbose: silent");
}

Test(p2pdma, ex4_variant_a_warns_on_verbose)
{
	int dist;

	setup_ctx(fb_t1(0x1234), &intel, "leon-acs-v5");
	cr_assert_eq(calc("a", "c", &dist, true), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_str_eq(logbuf,
			 "pci 0000:00:00.0: Host bridge not in P2PDMA whitelist: 8086:1234\n"
			 "pci 0000:10:00.0: cannot be used for peer-to-peer DMA as the client and "
			 "provider (0000:03:00.0) do not share an upstream bridge or whitelisted "
			 "host bridge\n");
	cr_assert_eq(calc("a", "c", &dist, false), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_str_eq(logbuf, "");
}

/* Example 4 variant and §8.9: the first root-bus function is not 00.0 and not a root port */
static struct pci_fabric *rciep_first(enum pci_dev_type first_type, u16 first_device)
{
	struct pci_fabric *fab = fb_new();
	struct pci_host_bridge *hb = fb_host(fab, "hb0", 0, 0);
	struct pci_dev *rp;

	fb_dev(fab, hb->bus, "first", first_type, 2, 0, 0x8086, first_device);
	rp = fb_bridge(fab, hb->bus, "rp3", PCI_TYPE_ROOT_PORT, 3, 0, 0x01);
	fb_dev(fab, rp->subordinate, "p", PCI_TYPE_ENDPOINT, 0, 0, 0x10de, 0x2330);
	rp = fb_bridge(fab, hb->bus, "rp4", PCI_TYPE_ROOT_PORT, 4, 0, 0x02);
	fb_dev(fab, rp->subordinate, "q", PCI_TYPE_ENDPOINT, 0, 0, 0x10de, 0x2330);
	fb_finalize(fab);
	return fab;
}

Test(p2pdma, first_root_bus_function_not_00_0_and_not_root_port_is_refused_silently)
{
	int dist;

	/* 8086:2020 would be allowlisted, but an RCiEP at 00:02.0 is not a host bridge device */
	setup_ctx(rciep_first(PCI_TYPE_RC_END, 0x2020), &intel, NULL);
	cr_assert_null(pci_host_bridge_dev(&fx.ctx, D("p")->host));
	cr_assert_eq(calc("p", "q", &dist, true), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_eq(dist, 4);
	cr_assert_eq(fx.walk.hb[0].root, NULL);
	cr_assert_eq(fx.walk.hb[0].first, D("first"));
	/* only the "cannot be used" line: no host-bridge line even on the ACS path */
	cr_assert_eq(strstr(logbuf, "whitelist:"), NULL);
	set_acs("p", PCI_ACS_RR);
	cr_assert_eq(calc("p", "p", &dist, false), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_str_eq(logbuf, "");
}

Test(p2pdma, first_root_bus_function_a_root_port_is_the_host_bridge_device)
{
	int dist;

	/* 8086:09a2 root port at 00:02.0: accepted since ~v5.13 */
	setup_ctx(rciep_first(PCI_TYPE_ROOT_PORT, 0x09a2), &intel, NULL);
	cr_assert_eq(pci_host_bridge_dev(&fx.ctx, D("p")->host), D("first"));
	cr_assert_eq(calc("p", "q", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(dist, 4);
	teardown_ctx();
	/* v5.10 only took devfn 00.0 (and had no 09a2 row) */
	setup_ctx(rciep_first(PCI_TYPE_ROOT_PORT, 0x2020), &intel, "v5.10");
	cr_assert_null(pci_host_bridge_dev(&fx.ctx, D("p")->host));
	cr_assert_eq(calc("p", "q", &dist, true), PCI_P2PDMA_MAP_NOT_SUPPORTED);
}

/* Example 5: two host bridges */
Test(p2pdma, ex5a_two_host_bridges_both_allowed)
{
	int dist;

	setup_ctx(fb_two_hosts(0x8086, 0x09a2, 0x8086, 0x09a2, 1, 0), &intel, NULL);
	cr_assert_str_eq(D("b")->name, "0001:01:00.0");
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(dist, 4);
	cr_assert_eq(fx.walk.nr_hb, 2);
	cr_assert_eq(fx.walk.hb[0].same_host_bridge, false);
	cr_assert_str_eq(logbuf, "");
}

Test(p2pdma, ex5b_req_same_host_bridge_refused_across_host_bridges)
{
	int dist;

	setup_ctx(fb_two_hosts(0x8086, 0x2f00, 0x8086, 0x2f00, 1, 0), &intel, NULL);
	cr_assert_eq(calc("a", "b", &dist, false), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_eq(dist, 4);
	cr_assert_eq(fx.walk.nr_hb, 1, "short-circuit: host b is never evaluated");
	cr_assert_eq(p2pdma_whitelist_row_number(fx.walk.hb[0].entry), 3);
	cr_assert_eq(fx.walk.hb[0].allowed, false);
	cr_assert_eq(pci_p2pdma_distance(&fx.ctx, D("a"), D("b"), false), -1);
	cr_assert_str_eq(logbuf, "");
}

Test(p2pdma, ex5c_one_side_not_allowlisted)
{
	int dist;

	/* H1: a VMD-style domain 0x10000 whose first function is an unlisted root port */
	struct pci_fabric *fab = fb_new();
	struct pci_host_bridge *h0 = fb_host(fab, "hb0", 0, 0);
	struct pci_host_bridge *h1 = fb_host(fab, "vmd", 0x10000, 0);
	struct pci_dev *rp;

	fb_dev(fab, h0->bus, "hostfn0", PCI_TYPE_ROOT_FUNCTION, 0, 0, 0x8086, 0x09a2);
	rp = fb_bridge(fab, h0->bus, "rp0", PCI_TYPE_ROOT_PORT, 1, 0, 0x01);
	fb_dev(fab, rp->subordinate, "a", PCI_TYPE_ENDPOINT, 0, 0, 0x10de, 0x2330);
	rp = fb_bridge(fab, h1->bus, "vmdrp", PCI_TYPE_ROOT_PORT, 0, 0, 0x01);
	rp->device = 0x467f;
	fb_dev(fab, rp->subordinate, "b", PCI_TYPE_ENDPOINT, 0, 0, 0x144d, 0xa808);
	fb_finalize(fab);
	setup_ctx(fab, &intel, NULL);
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_eq(dist, 4);
	cr_assert_eq(fx.walk.nr_hb, 2);
	cr_assert_eq(fx.walk.hb[0].allowed, true);
	cr_assert_eq(fx.walk.hb[1].allowed, false);
	cr_assert_null(fx.walk.hb[1].entry);
	cr_assert_eq(strstr(logbuf, "whitelist:"), NULL, "warnflag is acs_redirects = false");
	/* reversed: host a fails first, host b is never looked at */
	cr_assert_eq(calc("b", "a", &dist, true), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_eq(fx.walk.nr_hb, 1);
	/* Variant A warns on the unlisted one when verbose */
	teardown_ctx();
	fab = fb_two_hosts(0x8086, 0x09a2, 0x1022, 0x1480, 1, 0);
	setup_ctx(fab, &intel, "leon-acs-v5");
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_str_eq(logbuf,
			 "pci 0001:00:00.0: Host bridge not in P2PDMA whitelist: 1022:1480\n"
			 "pci 0001:01:00.0: cannot be used for peer-to-peer DMA as the client and "
			 "provider (0000:01:00.0) do not share an upstream bridge or whitelisted "
			 "host bridge\n");
}

Test(p2pdma, ex5d_two_root_buses_of_one_domain_are_two_host_bridges)
{
	int dist;

	setup_ctx(fb_two_hosts(0x8086, 0x09a2, 0x8086, 0x09a2, 0, 0x80), &intel, NULL);
	cr_assert_str_eq(D("b")->name, "0000:81:00.0");
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(dist, 4);
	cr_assert_eq(fx.walk.nr_hb, 2, "evaluated as different host bridges");
	teardown_ctx();
	/* and REQ_SAME_HOST_BRIDGE refuses it although the domain is the same */
	setup_ctx(fb_two_hosts(0x8086, 0x3c00, 0x8086, 0x3c00, 0, 0x80), &intel, NULL);
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_NOT_SUPPORTED);
}

/* Example 6: ACS redirect on the switch downstream ports */
Test(p2pdma, ex6_acs_redirect_on_dsps_allowlisted)
{
	int dist;

	setup_ctx(fb_t1(0x2020), &intel, NULL);
	set_acs("dsp0", 0x001d);
	set_acs("dsp1", 0x001d);
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(dist, 4);
	cr_assert_eq(fx.walk.acs_cnt, 2);
	cr_assert_str_eq(fx.walk.acs_list, "0000:02:00.0;0000:02:01.0");
	cr_assert_str_eq(logbuf,
			 "pci 0000:04:00.0: ACS redirect is set between the client and provider "
			 "(0000:03:00.0)\n"
			 "pci 0000:04:00.0: to disable ACS redirect for this path, add the kernel "
			 "parameter: pci=disable_acs_redir=0000:02:00.0;0000:02:01.0\n");
	cr_assert_eq(pci_p2pdma_distance(&fx.ctx, D("a"), D("b"), false), 4);
}

Test(p2pdma, ex6_acs_redirect_not_allowlisted_warns_even_when_not_verbose)
{
	int dist;

	setup_ctx(fb_t1(0x1234), &intel, NULL);
	set_acs("dsp0", 0x001d);
	set_acs("dsp1", 0x001d);
	cr_assert_eq(calc("a", "b", &dist, false), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_eq(dist, 4);
	cr_assert_str_eq(logbuf,
			 "pci 0000:00:00.0: Host bridge not in P2PDMA whitelist: 8086:1234\n");
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_str_eq(logbuf,
			 "pci 0000:04:00.0: ACS redirect is set between the client and provider "
			 "(0000:03:00.0)\n"
			 "pci 0000:04:00.0: to disable ACS redirect for this path, add the kernel "
			 "parameter: pci=disable_acs_redir=0000:02:00.0;0000:02:01.0\n"
			 "pci 0000:00:00.0: Host bridge not in P2PDMA whitelist: 8086:1234\n"
			 "pci 0000:04:00.0: cannot be used for peer-to-peer DMA as the client and "
			 "provider (0000:03:00.0) do not share an upstream bridge or whitelisted "
			 "host bridge\n");
	/* v5.10 never printed the host-bridge line */
	teardown_ctx();
	setup_ctx(fb_t1(0x1234), &intel, "v5.10");
	set_acs("dsp0", 0x001d);
	cr_assert_eq(calc("a", "b", &dist, false), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_str_eq(logbuf, "");
}

Test(p2pdma, ex6_acs_redirect_amd_zen_no_whitelist)
{
	int dist;

	setup_ctx(fb_t1(0x1234), &amd_zen3, NULL);
	set_acs("dsp0", 0x001d);
	set_acs("dsp1", 0x001d);
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(fx.walk.nr_hb, 0, "the allowlist is never consulted");
	cr_assert_eq(strstr(logbuf, "whitelist:"), NULL);
	cr_assert_neq(strstr(logbuf, "ACS redirect is set"), NULL);
}

Test(p2pdma, ex6_which_bits_count)
{
	int dist;

	setup_ctx(fb_t1(0x2020), &intel, NULL);
	set_acs("dsp0", 0x0011); /* SV+UF */
	set_acs("dsp1", 0x0053); /* SV+TB+UF+DT */
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_BUS_ADDR);
	set_acs("dsp1", PCI_ACS_EC);
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_str_eq(fx.walk.acs_list, "0000:02:01.0");
	set_acs("dsp1", 0);
	set_acs("usp", PCI_ACS_RR); /* only the common ancestor */
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_str_eq(fx.walk.acs_list, "0000:01:00.0");
	set_acs("usp", 0);
	set_acs("b", PCI_ACS_CR); /* endpoints count too */
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_str_eq(fx.walk.acs_list, "0000:04:00.0");
	/* ACS Control with no capability is not read */
	D("b")->has_acs = false;
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_BUS_ADDR);
}

Test(p2pdma, acs_list_order_provider_side_then_client_side)
{
	int dist;

	setup_ctx(fb_t1(0x2020), &intel, NULL);
	set_acs("a", PCI_ACS_RR);
	set_acs("usp", PCI_ACS_RR);
	set_acs("b", PCI_ACS_RR);
	set_acs("dsp1", PCI_ACS_RR);
	cr_assert_eq(calc("a", "b", &dist, false), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_str_eq(fx.walk.acs_list, "0000:03:00.0;0000:01:00.0;0000:04:00.0;0000:02:01.0");
	/* no common bridge: provider-side values are counted but ignored, nothing printed */
	cr_assert_eq(calc("a", "c", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(fx.walk.acs_cnt, 2);
	cr_assert_str_eq(logbuf, "");
}

/* Example 7: same device, sibling function, VF */
Test(p2pdma, ex7_same_function_sibling_vf)
{
	int dist;

	setup_ctx(fb_t1(0x2020), &intel, NULL);
	cr_assert_eq(calc("a", "a", &dist, true), PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(dist, 0);
	cr_assert_str_eq(checked(), "a");
	cr_assert_eq(calc("a", "a_fn1", &dist, true), PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(dist, 2);
	cr_assert_str_eq(checked(), "a,dsp0|a_fn1");
	cr_assert_eq(calc("a.vf0", "a", &dist, true), PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(dist, 2);
	cr_assert_eq(fx.walk.common, D("dsp0"));
	cr_assert_str_eq(checked(), "a.vf0,dsp0|a", "the PF is not on the VF's chain");
	cr_assert_eq(calc("a", "a.vf0", &dist, true), PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(dist, 2);
	cr_assert_eq(calc("z", "z", &dist, true), PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(dist, 0);
	cr_assert_eq(calc("z", "z_fn1", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(dist, 2);
	cr_assert_eq(calc("z", "c", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(dist, 3);
}

Test(p2pdma, ex7_acs_on_the_shared_port_and_on_the_function_itself)
{
	int dist;

	setup_ctx(fb_t1(0x2020), &intel, NULL);
	set_acs("dsp0", 0x001d);
	cr_assert_eq(calc("a", "a_fn1", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(dist, 2);
	cr_assert_str_eq(fx.walk.acs_list, "0000:02:00.0");
	cr_assert_eq(calc("a.vf0", "a", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(dist, 2);
	set_acs("dsp0", 0);
	set_acs("a", PCI_ACS_RR | PCI_ACS_CR);
	cr_assert_eq(calc("a", "a", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(dist, 0);
	cr_assert_str_eq(fx.walk.acs_list, "0000:03:00.0");
	teardown_ctx();
	setup_ctx(fb_t1(0x1234), &intel, NULL);
	set_acs("a", PCI_ACS_RR);
	cr_assert_eq(calc("a", "a", &dist, false), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	cr_assert_eq(dist, 0);
}

/* Example 8: AMD Zen, two sockets */
Test(p2pdma, ex8_amd_zen_vs_hygon_vs_intel)
{
	int dist;

	setup_ctx(fb_two_hosts(0x1022, 0x1480, 0x1022, 0x1480, 0, 0x80), &amd_zen3, NULL);
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(dist, 4);
	cr_assert_eq(fx.walk.nr_hb, 0);
	cr_assert_str_eq(logbuf, "");
	teardown_ctx();
	setup_ctx(fb_two_hosts(0x1022, 0x1480, 0x1022, 0x1480, 0, 0x80), &hygon, NULL);
	cr_assert_eq(calc("a", "b", &dist, false), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	teardown_ctx();
	setup_ctx(fb_two_hosts(0x1022, 0x1480, 0x1022, 0x1480, 0, 0x80), &intel, NULL);
	cr_assert_eq(calc("a", "b", &dist, false), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	teardown_ctx();
	setup_ctx(fb_two_hosts(0x1022, 0x1480, 0x1022, 0x1480, 0, 0x80), &arm, NULL);
	cr_assert_eq(calc("a", "b", &dist, false), PCI_P2PDMA_MAP_NOT_SUPPORTED);
	teardown_ctx();
	setup_ctx(fb_two_hosts(0x1022, 0x1480, 0x1022, 0x1480, 0, 0x80), &amd_k10, NULL);
	cr_assert_eq(calc("a", "b", &dist, false), PCI_P2PDMA_MAP_NOT_SUPPORTED);
}

Test(p2pdma, ex8_amd_switch_paths)
{
	int dist;

	setup_ctx(fb_t1(0x1480), &amd_zen3, NULL);
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_BUS_ADDR);
	cr_assert_eq(dist, 4);
	set_acs("dsp0", PCI_ACS_RR | PCI_ACS_CR);
	set_acs("dsp1", PCI_ACS_RR | PCI_ACS_CR);
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(dist, 4);
	cr_assert_neq(strstr(logbuf, "pci=disable_acs_redir=0000:02:00.0;0000:02:01.0"), NULL);
	teardown_ctx();
	setup_ctx(fb_t1(0x1480), &hygon, NULL);
	set_acs("dsp0", PCI_ACS_RR | PCI_ACS_CR);
	cr_assert_eq(calc("a", "b", &dist, true), PCI_P2PDMA_MAP_NOT_SUPPORTED);
}

/* Allowlist rows by profile */
Test(p2pdma, allowlist_rows_by_kernel_profile)
{
	struct {
		const char *profile;
		u16 vendor, device;
		enum pci_p2pdma_map_type expect;
	} cases[] = {
		{ "upstream", 0x1d17, 0x1008, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE },
		{ "leon-acs-v5", 0x1d17, 0x1008, PCI_P2PDMA_MAP_NOT_SUPPORTED },
		{ "upstream", 0x10de, 0x2f97, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE },
		{ "v7.2", 0x10de, 0x2f97, PCI_P2PDMA_MAP_NOT_SUPPORTED },
		{ "v7.2", 0x8086, 0x4948, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE },
		{ "v7.1", 0x8086, 0x4948, PCI_P2PDMA_MAP_NOT_SUPPORTED },
		{ "v7.1", 0x1ae0, 0x0042, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE },
		{ "v6.19", 0x1ae0, 0x0042, PCI_P2PDMA_MAP_NOT_SUPPORTED },
		{ "v6.19", 0x8086, 0x09a2, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE },
		{ "v5.10", 0x8086, 0x09a2, PCI_P2PDMA_MAP_NOT_SUPPORTED },
		{ "v5.10", 0x8086, 0x2020, PCI_P2PDMA_MAP_THRU_HOST_BRIDGE },
	};

	cr_assert_eq(kernel_profile_whitelist_len(kernel_profile_find("upstream")), 30);
	cr_assert_eq(kernel_profile_whitelist_len(kernel_profile_find("leon-acs-v5")), 25);
	cr_assert_eq(kernel_profile_whitelist_len(kernel_profile_find("v7.1")), 11);
	cr_assert_eq(kernel_profile_whitelist_len(kernel_profile_find("v6.19")), 10);
	cr_assert_eq(kernel_profile_whitelist_len(kernel_profile_find("v5.10")), 9);
	cr_assert_eq(kernel_profile_find("variant-b"), kernel_profile_find("v6.19"));
	cr_assert_null(kernel_profile_find("v9.9"));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int dist;

		setup_ctx(fb_two_hosts(cases[i].vendor, cases[i].device, cases[i].vendor,
				       cases[i].device, 1, 0),
			  &intel, cases[i].profile);
		cr_assert_eq(calc("a", "b", &dist, false), cases[i].expect, "case %zu", i);
		teardown_ctx();
	}
}

/* The 128-byte seq_buf: 9 names fit, the 10th overflows (reference §4.5) */
static struct pci_fabric *deep_chain(int levels)
{
	struct pci_fabric *fab = fb_new();
	struct pci_host_bridge *hb = fb_host(fab, "hb0", 0, 0);
	struct pci_dev *port, *usp, *dsp0, *dsp1;
	u8 bus = 1;
	char id[32];

	fb_dev(fab, hb->bus, "hostfn", PCI_TYPE_ROOT_FUNCTION, 0, 0, 0x8086, 0x2020);
	port = fb_bridge(fab, hb->bus, "rp", PCI_TYPE_ROOT_PORT, 1, 0, bus++);
	usp = fb_bridge(fab, port->subordinate, "top", PCI_TYPE_UPSTREAM, 0, 0, bus++);
	dsp1 = fb_bridge(fab, usp->subordinate, "side", PCI_TYPE_DOWNSTREAM, 1, 0, bus++);
	fb_dev(fab, dsp1->subordinate, "client", PCI_TYPE_ENDPOINT, 0, 0, 0x10de, 0x2330);
	dsp0 = fb_bridge(fab, usp->subordinate, "down", PCI_TYPE_DOWNSTREAM, 0, 0, bus++);
	port = dsp0;
	for (int i = 0; i < levels; i++) {
		snprintf(id, sizeof(id), "u%d", i);
		usp = fb_bridge(fab, port->subordinate, id, PCI_TYPE_UPSTREAM, 0, 0, bus++);
		snprintf(id, sizeof(id), "d%d", i);
		port = fb_bridge(fab, usp->subordinate, id, PCI_TYPE_DOWNSTREAM, 0, 0, bus++);
	}
	fb_dev(fab, port->subordinate, "provider", PCI_TYPE_ENDPOINT, 0, 0, 0x10de, 0x2330);
	fb_finalize(fab);
	return fab;
}

Test(p2pdma, acs_list_nine_names_fit_ten_overflow)
{
	int dist;

	/* provider side: provider, d2,u2,d1,u1,d0,u0, down, top = 9 names */
	setup_ctx(deep_chain(3), &intel, NULL);
	for (size_t i = 0; i < fx.fab->nr_devs; i++)
		if (fx.fab->devs[i]->type != PCI_TYPE_ROOT_FUNCTION &&
		    fx.fab->devs[i]->type != PCI_TYPE_ROOT_PORT &&
		    strcmp(fx.fab->devs[i]->id, "client") && strcmp(fx.fab->devs[i]->id, "side"))
			set_acs(fx.fab->devs[i]->id, PCI_ACS_RR);
	cr_assert_eq(calc("provider", "client", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(fx.walk.acs_cnt, 9);
	cr_assert_eq(strlen(fx.walk.acs_list), 9 * 13 - 1);
	cr_assert_eq(fx.walk.acs_list_overflow, false);
	/* a 10th name: 117 bytes used, 11 left, "0000:xx:xx.x;" needs 14 with the NUL */
	set_acs("side", PCI_ACS_RR);
	cr_assert_eq(calc("provider", "client", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(fx.walk.acs_cnt, 10);
	cr_assert_eq(fx.walk.acs_list_overflow, true);
	cr_assert_eq(strlen(fx.walk.acs_list), 127);
	cr_assert_str_eq(fx.walk.acs_list + 117, "0000:02:01",
			 "the partial 10th name (side, 02:01.0) stays");
	cr_assert_eq(fx.walk.acs_list[116], ';', "no ';' is dropped on overflow");
	cr_assert_neq(strstr(logbuf, fx.walk.acs_list), NULL);
	teardown_ctx();
	/* kernels before v6.2 had a PAGE_SIZE buffer */
	setup_ctx(deep_chain(3), &intel, "v5.10");
	for (size_t i = 0; i < fx.fab->nr_devs; i++)
		if (fx.fab->devs[i]->type != PCI_TYPE_ROOT_FUNCTION &&
		    fx.fab->devs[i]->type != PCI_TYPE_ROOT_PORT &&
		    strcmp(fx.fab->devs[i]->id, "client"))
			set_acs(fx.fab->devs[i]->id, PCI_ACS_RR);
	cr_assert_eq(calc("provider", "client", &dist, true), PCI_P2PDMA_MAP_THRU_HOST_BRIDGE);
	cr_assert_eq(fx.walk.acs_list_overflow, false);
	cr_assert_eq(strlen(fx.walk.acs_list), 10 * 13 - 1);
}

/* distance_many over several clients */
Test(p2pdma, distance_many_sums_and_fails_on_any_not_supported)
{
	const struct pci_dev *clients[3];

	setup_ctx(fb_t1(0x1234), &intel, NULL);
	clients[0] = D("b");
	clients[1] = D("a_fn1");
	cr_assert_eq(pci_p2pdma_distance_many(&fx.ctx, D("a"), clients, 2, false), 4 + 2);
	cr_assert_eq(pci_p2pdma_distance_many(&fx.ctx, D("a"), clients, 0, false), -1);
	clients[1] = D("c"); /* not allowlisted host: NOT_SUPPORTED */
	clients[2] = D("b");
	logbuf[0] = '\0';
	cr_assert_eq(pci_p2pdma_distance_many(&fx.ctx, D("a"), clients, 3, true), -1);
	/* verbose keeps going: exactly one "cannot be used" line, for c */
	cr_assert_str_eq(logbuf,
			 "pci 0000:10:00.0: cannot be used for peer-to-peer DMA as the client and "
			 "provider (0000:03:00.0) do not share an upstream bridge or whitelisted "
			 "host bridge\n");
	clients[1] = NULL; /* a non-PCI device */
	logbuf[0] = '\0';
	cr_assert_eq(pci_p2pdma_distance_many(&fx.ctx, D("a"), clients, 2, true), -1);
	cr_assert_str_eq(logbuf,
			 "pci (non-PCI device): cannot be used for peer-to-peer DMA as it is not a "
			 "PCI device\n");
}

/*
 * Direction does not matter for the verdict or the distance (the checked set
 * below a common bridge is the union of both chains, the bridge once), for
 * any ACS setting: every pair of T1, for 64 pseudo-random ACS assignments.
 */
Test(p2pdma, verdict_and_distance_are_symmetric)
{
	u64 seed = 0x1234;

	setup_ctx(fb_t1(0x1234), &intel, NULL);
	fx.ctx.walk = NULL;
	fx.ctx.log = NULL;
	for (int round = 0; round < 64; round++) {
		for (size_t i = 0; i < fx.fab->nr_devs; i++) {
			struct pci_dev *dev = fx.fab->devs[i];

			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			dev->has_acs = (seed >> 60) & 1;
			p2pdma_ctx_set_acs_ctrl(&fx.ctx, dev, (u16)((seed >> 33) & 0x7f));
		}
		for (size_t i = 0; i < fx.fab->nr_devs; i++) {
			for (size_t j = 0; j < fx.fab->nr_devs; j++) {
				const struct pci_dev *p = fx.fab->devs[i], *c = fx.fab->devs[j];
				int d1, d2;
				enum pci_p2pdma_map_type m1, m2;

				m1 = calc_map_type_and_dist(&fx.ctx, p, c, &d1, false);
				m2 = calc_map_type_and_dist(&fx.ctx, c, p, &d2, false);
				cr_assert_eq(m1, m2, "%s/%s round %d", p->id, c->id, round);
				cr_assert_eq(d1, d2, "%s/%s", p->id, c->id);
			}
		}
	}
}
