// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_p2p_matrix.c - the what-if view (p2psim/p2p.h): matrix in JSON, CSV
 * and text, provider/client selection, the --acs / --cpu / --kernel
 * variants, path classes, and the `path` explanation, on fabrics built in C
 * (T1 of reference/p2pdma.md §10 and friends).
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/fabric_builder.h"
#include "p2psim/p2p.h"
#include "sim/p2p/p2p_internal.h"

static p2psim_topology *topo;
static p2psim_p2p *view;
static char *outbuf;
static size_t outlen;

static void fini(void)
{
	p2psim_p2p_free(view);
	view = NULL;
	if (topo)
		p2psim_topology_free(topo);
	topo = NULL;
	free(outbuf);
	outbuf = NULL;
}

TestSuite(p2p_matrix, .fini = fini);

static void make_view(struct pci_fabric *fab, const char *acs, const char *cpu, const char *kernel)
{
	struct p2psim_p2p_opts opts = { .cpu = cpu, .kernel = kernel, .seed = 1 };
	struct p2psim_error err;

	p2psim_error_clear(&err);
	if (acs)
		cr_assert_eq(p2psim_acs_mode_parse(acs, &opts.acs), 0);
	if (!topo)
		topo = fb_topology("t1", fab, CPU_VENDOR_INTEL, 6);
	p2psim_p2p_free(view);
	view = NULL;
	cr_assert_eq(p2psim_p2p_new(topo, &opts, &view, &err), P2PSIM_OK, "%s", err.message);
}

static struct pci_dev *D(const char *id)
{
	return fb_find(((struct topology *)(void *)topo)->fabric, id);
}

static int run_matrix(enum p2psim_format format, const char *const *providers, size_t np,
		      const char *const *clients, size_t nc, struct p2psim_error *err)
{
	struct p2psim_matrix_opts opts = {
		.providers = providers,
		.nr_providers = np,
		.clients = clients,
		.nr_clients = nc,
		.format = format,
	};
	FILE *f;
	int ret;

	free(outbuf);
	outbuf = NULL;
	f = open_memstream(&outbuf, &outlen);
	p2psim_error_clear(err);
	ret = p2psim_p2p_matrix(view, &opts, f, err);
	fclose(f);
	return ret;
}

static json_object *find_pair(json_object *doc, const char *provider, const char *client)
{
	json_object *pairs = json_object_object_get(doc, "pairs");

	for (size_t i = 0; i < json_object_array_length(pairs); i++) {
		json_object *o = json_object_array_get_idx(pairs, i);

		if (!strcmp(json_object_get_string(json_object_object_get(o, "provider")),
			    provider) &&
		    !strcmp(json_object_get_string(json_object_object_get(o, "client")), client))
			return o;
	}
	cr_assert_fail("no pair %s -> %s", provider, client);
	return NULL;
}

static const char *S(json_object *o, const char *key)
{
	return json_object_get_string(json_object_object_get(o, key));
}

static int I(json_object *o, const char *key)
{
	return json_object_get_int(json_object_object_get(o, key));
}

Test(p2p_matrix, json_contract_and_default_selection)
{
	struct p2psim_error err;
	json_object *doc, *o;

	make_view(fb_t1(0x2020), NULL, NULL, NULL);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_JSON, NULL, 0, NULL, 0, &err), P2PSIM_OK);
	doc = json_tokener_parse(outbuf);
	cr_assert_not_null(doc);
	cr_assert_str_eq(S(doc, "topology"), "t1");
	cr_assert_str_eq(S(doc, "kernel"), "upstream");
	/* providers: the 6 functions with a p2pmem BAR (not the VF, which has none);
	 * clients: the 7 DMA-capable functions, VF included */
	cr_assert_eq(json_object_array_length(json_object_object_get(doc, "pairs")), 6 * 7);
	o = find_pair(doc, "a", "b");
	cr_assert_str_eq(S(o, "provider_bdf"), "0000:03:00.0");
	cr_assert_str_eq(S(o, "client_bdf"), "0000:04:00.0");
	cr_assert_str_eq(S(o, "map_type"), "BUS_ADDR");
	cr_assert_eq(I(o, "distance"), 4);
	cr_assert_eq(json_object_array_length(json_object_object_get(o, "acs_redirect")), 0);
	cr_assert_str_eq(S(o, "path_class"), "PIX");
	o = find_pair(doc, "a", "c");
	cr_assert_str_eq(S(o, "map_type"), "THRU_HOST_BRIDGE");
	cr_assert_eq(I(o, "distance"), 6);
	cr_assert_str_eq(S(o, "path_class"), "PHB");
	o = find_pair(doc, "a", "a");
	cr_assert_str_eq(S(o, "map_type"), "BUS_ADDR");
	cr_assert_eq(I(o, "distance"), 0);
	cr_assert_str_eq(S(o, "path_class"), "X");
	o = find_pair(doc, "a", "a.vf0");
	cr_assert_eq(I(o, "distance"), 2);
	cr_assert_str_eq(S(o, "path_class"), "PIX");
	o = find_pair(doc, "z", "z_fn1");
	cr_assert_str_eq(S(o, "map_type"), "THRU_HOST_BRIDGE");
	cr_assert_eq(I(o, "distance"), 2);
	json_object_put(doc);
}

Test(p2p_matrix, not_supported_distance_is_what_calc_wrote)
{
	struct p2psim_error err;
	const char *p[] = { "a" }, *c[] = { "0000:10:00.0" };
	json_object *doc, *o;

	make_view(fb_t1(0x1234), NULL, NULL, NULL);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_JSON, p, 1, c, 1, &err), P2PSIM_OK);
	doc = json_tokener_parse(outbuf);
	o = find_pair(doc, "a", "c");
	cr_assert_str_eq(S(o, "map_type"), "NOT_SUPPORTED");
	cr_assert_eq(I(o, "distance"), 6);
	json_object_put(doc);
	/* --cpu amd-zen lifts it */
	make_view(NULL, NULL, "amd-zen", NULL);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_JSON, p, 1, c, 1, &err), P2PSIM_OK);
	doc = json_tokener_parse(outbuf);
	cr_assert_str_eq(S(find_pair(doc, "a", "c"), "map_type"), "THRU_HOST_BRIDGE");
	json_object_put(doc);
	/* Hygon does not */
	make_view(NULL, NULL, "hygon", NULL);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_JSON, p, 1, c, 1, &err), P2PSIM_OK);
	doc = json_tokener_parse(outbuf);
	cr_assert_str_eq(S(find_pair(doc, "a", "c"), "map_type"), "NOT_SUPPORTED");
	json_object_put(doc);
}

Test(p2p_matrix, acs_modes_do_not_touch_the_topology)
{
	struct p2psim_error err;
	const char *p[] = { "a" }, *c[] = { "b", "a_fn1" };
	json_object *doc, *o, *list;
	struct pci_fabric *fab = fb_t1(0x2020);

	/* the switch ports can do SV RR CR UF EC; firmware left ACS Control at 0 */
	fb_acs(fb_find(fab, "dsp0"), 0x003f, 0);
	fb_acs(fb_find(fab, "dsp1"), 0x003f, 0);
	make_view(fab, "as-is", NULL, NULL);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_JSON, p, 1, c, 2, &err), P2PSIM_OK);
	doc = json_tokener_parse(outbuf);
	cr_assert_str_eq(S(find_pair(doc, "a", "b"), "map_type"), "BUS_ADDR");
	json_object_put(doc);

	/* with an IOMMU, pci_std_enable_acs() sets SV RR CR UF (not EC) */
	make_view(NULL, "iommu-default", NULL, NULL);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_JSON, p, 1, c, 2, &err), P2PSIM_OK);
	doc = json_tokener_parse(outbuf);
	o = find_pair(doc, "a", "b");
	cr_assert_str_eq(S(o, "map_type"), "THRU_HOST_BRIDGE");
	cr_assert_eq(I(o, "distance"), 4);
	list = json_object_object_get(o, "acs_redirect");
	cr_assert_eq(json_object_array_length(list), 2);
	cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(list, 0)),
			 "0000:02:00.0");
	cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(list, 1)),
			 "0000:02:01.0");
	/* two functions of one device under the redirecting port: §8.5 */
	o = find_pair(doc, "a", "a_fn1");
	cr_assert_str_eq(S(o, "map_type"), "THRU_HOST_BRIDGE");
	cr_assert_eq(I(o, "distance"), 2);
	json_object_put(doc);
	cr_assert_eq(p2pdma_ctx_acs_ctrl(&view->ctx, D("dsp0")), 0x001d);
	cr_assert_eq(D("dsp0")->acs_ctrl, 0, "the topology keeps its value");

	/* off: RR CR EC cleared even where firmware set them */
	D("dsp1")->acs_ctrl = 0x003d;
	make_view(NULL, "off", NULL, NULL);
	cr_assert_eq(p2pdma_ctx_acs_ctrl(&view->ctx, D("dsp1")), 0x0011);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_JSON, p, 1, c, 2, &err), P2PSIM_OK);
	doc = json_tokener_parse(outbuf);
	cr_assert_str_eq(S(find_pair(doc, "a", "b"), "map_type"), "BUS_ADDR");
	json_object_put(doc);
	make_view(NULL, "as-is", NULL, NULL);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_JSON, p, 1, c, 2, &err), P2PSIM_OK);
	doc = json_tokener_parse(outbuf);
	cr_assert_str_eq(S(find_pair(doc, "a", "b"), "map_type"), "THRU_HOST_BRIDGE");
	json_object_put(doc);
}

Test(p2p_matrix, named_provider_without_bar_and_bdf_names)
{
	struct p2psim_error err;
	const char *p[] = { "0000:02:00.0" }, *c[] = { "b" };
	json_object *doc, *o;

	make_view(fb_t1(0x2020), NULL, NULL, NULL);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_JSON, p, 1, c, 1, &err), P2PSIM_OK);
	doc = json_tokener_parse(outbuf);
	o = find_pair(doc, "dsp0", "b");
	/* dsp0 -> b: common usp, dsp0 1 hop, b 2 hops */
	cr_assert_str_eq(S(o, "map_type"), "BUS_ADDR");
	cr_assert_eq(I(o, "distance"), 3);
	json_object_put(doc);
}

Test(p2p_matrix, errors)
{
	struct p2psim_error err;
	const char *bad[] = { "nosuch" };
	struct p2psim_p2p_opts opts = { .kernel = "v9.9" };
	enum p2psim_acs_mode mode;
	p2psim_p2p *v = NULL;

	make_view(fb_t1(0x2020), NULL, NULL, NULL);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_TEXT, bad, 1, NULL, 0, &err), P2PSIM_EINPUT);
	cr_assert_str_eq(err.message, "no function 'nosuch' in topology 't1'");
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_TEXT, NULL, 0, bad, 1, &err), P2PSIM_EINPUT);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_DOT, NULL, 0, NULL, 0, &err), P2PSIM_EINPUT);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_p2p_new(topo, &opts, &v, &err), P2PSIM_EINPUT);
	cr_assert_null(v);
	opts.kernel = NULL;
	opts.cpu = "amd:zen";
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_p2p_new(topo, &opts, &v, &err), P2PSIM_EINPUT);
	opts.cpu = "amd:0x17";
	cr_assert_eq(p2psim_p2p_new(topo, &opts, &v, &err), P2PSIM_OK);
	cr_assert(cpu_supports_p2pdma(&v->ctx));
	p2psim_p2p_free(v);
	cr_assert_eq(p2psim_acs_mode_parse("on", &mode), -1);
}

Test(p2p_matrix, no_providers_is_an_input_error)
{
	struct p2psim_error err;
	struct pci_fabric *fab = fb_cascade();

	for (size_t i = 0; i < fab->nr_devs; i++)
		fab->devs[i]->bars[0].p2pmem = false;
	make_view(fab, NULL, NULL, NULL);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_TEXT, NULL, 0, NULL, 0, &err), P2PSIM_EINPUT);
	cr_assert_neq(strstr(err.message, "no providers"), NULL);
}

Test(p2p_matrix, csv_and_text)
{
	struct p2psim_error err;
	const char *p[] = { "a", "c" }, *c[] = { "b", "c" };

	make_view(fb_t1(0x2020), NULL, NULL, NULL);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_CSV, p, 2, c, 2, &err), P2PSIM_OK);
	cr_assert_str_eq(outbuf,
			 "provider,provider_bdf,client,client_bdf,map_type,distance,acs_redirect,"
			 "path_class\n"
			 "a,0000:03:00.0,b,0000:04:00.0,BUS_ADDR,4,,PIX\n"
			 "a,0000:03:00.0,c,0000:10:00.0,THRU_HOST_BRIDGE,6,,PHB\n"
			 "c,0000:10:00.0,b,0000:04:00.0,THRU_HOST_BRIDGE,6,,PHB\n"
			 "c,0000:10:00.0,c,0000:10:00.0,BUS_ADDR,0,,X\n");
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_TEXT, p, 2, c, 2, &err), P2PSIM_OK);
	cr_assert_neq(strstr(outbuf, "provider \\ client  b            c\n"), NULL, "%s", outbuf);
	cr_assert_neq(strstr(outbuf, "a                  BUS 4 PIX    HB 6 PHB\n"), NULL, "%s",
		      outbuf);
	cr_assert_neq(strstr(outbuf, "c                  HB 6 PHB     BUS 0 X\n"), NULL, "%s",
		      outbuf);
	cr_assert_neq(strstr(outbuf, "Legend:"), NULL);
}

Test(p2p_matrix, path_classes)
{
	struct pci_fabric *fab;

	fab = fb_cascade();
	cr_assert_eq(p2p_path_class(fb_find(fab, "a"), fb_find(fab, "b")), P2P_CLASS_PXB);
	pci_fabric_free(fab);
	fab = fb_t1(0x2020);
	cr_assert_eq(p2p_path_class(fb_find(fab, "a"), fb_find(fab, "b")), P2P_CLASS_PIX);
	cr_assert_eq(p2p_path_class(fb_find(fab, "a"), fb_find(fab, "a_fn1")), P2P_CLASS_PIX);
	cr_assert_eq(p2p_path_class(fb_find(fab, "a"), fb_find(fab, "c")), P2P_CLASS_PHB);
	cr_assert_eq(p2p_path_class(fb_find(fab, "z"), fb_find(fab, "z_fn1")), P2P_CLASS_PHB);
	cr_assert_eq(p2p_path_class(fb_find(fab, "c"), fb_find(fab, "c")), P2P_CLASS_X);
	pci_fabric_free(fab);
	fab = fb_two_hosts(0x8086, 0x09a2, 0x8086, 0x09a2, 0, 0x80);
	cr_assert_eq(p2p_path_class(fb_find(fab, "a"), fb_find(fab, "b")), P2P_CLASS_NODE);
	fab->hosts[1]->numa_node = 1;
	fab->hosts[0]->numa_node = 0;
	cr_assert_eq(p2p_path_class(fb_find(fab, "a"), fb_find(fab, "b")), P2P_CLASS_SYS);
	pci_fabric_free(fab);
}

static void run_path(const char *p, const char *c)
{
	struct p2psim_error err;
	FILE *f;

	free(outbuf);
	outbuf = NULL;
	f = open_memstream(&outbuf, &outlen);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_p2p_path(view, p, c, P2PSIM_FORMAT_TEXT, f, &err), P2PSIM_OK, "%s", err.message);
	fclose(f);
}

#define HAS(s) cr_assert_neq(strstr(outbuf, s), NULL, "missing <%s> in:\n%s", s, outbuf)

Test(p2p_matrix, path_explains_an_acs_redirect)
{
	struct pci_fabric *fab = fb_t1(0x1234);

	fb_acs(fb_find(fab, "dsp0"), 0, 0x001d);
	fb_acs(fb_find(fab, "dsp1"), 0, 0x001d);
	make_view(fab, NULL, NULL, NULL);
	run_path("a", "b");
	HAS("provider a: 0000:03:00.0 -> 0000:02:00.0 (dsp0) -> 0000:01:00.0 (usp) -> "
	    "0000:00:01.0 (rp1)  [depth 4]");
	HAS("0000:01:00.0 (usp, switch upstream port): provider 2 hop(s) + client 2 hop(s) = "
	    "distance 4");
	HAS("0000:02:00.0 dsp0           ctrl 0x001d (SV RR CR UF)  REDIRECT");
	HAS("=> 2 redirecting: 0000:02:00.0;0000:02:01.0");
	HAS("cpu_supports_p2pdma(): no (intel family 0x6");
	HAS("host bridge device 0000:00:00.0 8086:1234 -> not in the allowlist -> refused (warned)");
	HAS("5. Verdict: NOT_SUPPORTED, distance 4 (pci_p2pdma_distance() = -1)");
	HAS("    pci 0000:04:00.0: to disable ACS redirect for this path, add the kernel parameter: "
	    "pci=disable_acs_redir=0000:02:00.0;0000:02:01.0\n"
	    "    pci 0000:00:00.0: Host bridge not in P2PDMA whitelist: 8086:1234\n");
	HAS("-EREMOTEIO");
	make_view(NULL, NULL, "amd-zen", NULL);
	run_path("a", "b");
	HAS("5. Verdict: THRU_HOST_BRIDGE, distance 4");
	HAS("the allowlist is not consulted");
	HAS("ACS at 0000:02:01.0 (dsp1) redirects the request upstream");
	HAS("b 0000:04:00.0 -> dsp1 0000:02:01.0 -> usp 0000:01:00.0 -> rp1 0000:00:01.0 -> host "
	    "bridge hb0 -> rp1 0000:00:01.0 -> usp 0000:01:00.0 -> dsp0 0000:02:00.0 -> a "
	    "0000:03:00.0");
	HAS("hb0 forwards P2P: yes");
}

Test(p2p_matrix, path_bus_address_and_route)
{
	struct pci_fabric *fab = fb_t1(0x2020);

	fb_bar(fb_find(fab, "a"), 0, PCI_BAR_MEM64, 1 << 20, 0x4000000000ull, 0x3f80000000ull,
	       true);
	make_view(fab, NULL, NULL, NULL);
	run_path("a", "b");
	HAS("5. Verdict: BUS_ADDR, distance 4 (pci_p2pdma_distance() = 4); path class PIX");
	HAS("not taken");
	HAS("BAR 0 CPU 0x4000000000 + bus_offset 0xffffffc080000000 = 0x80000000");
	HAS("b 0000:04:00.0 -> dsp1 0000:02:01.0 -> usp 0000:01:00.0 -> dsp0 0000:02:00.0 -> a "
	    "0000:03:00.0");
	HAS("turns around at 0000:01:00.0 (usp) and never reaches the root complex");
	HAS("    (nothing)");
	run_path("a", "c");
	HAS("none (each chain ends at its own root-bus function): distance = depth 4 + depth 2 = 6");
	HAS("host bridge device 0000:00:00.0 8086:2020 -> row 9 (Intel Skylake-E) -> allowed");
	HAS("a normal mapping of CPU physical 0x4000000000 (BAR 0)");
}

/* Example 9 through the matrix: the closest-provider section of the text grid. */
Test(p2p_matrix, closest_provider_section)
{
	struct p2psim_error err;
	const char *p[] = { "a", "c", "z" }, *c[] = { "b", "c", "a.vf0" };
	const char *p2[] = { "a", "b", "dsp0" }, *c2[] = { "z" };

	make_view(fb_t1(0x2020), NULL, NULL, NULL);
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_TEXT, p, 3, c, 3, &err), P2PSIM_OK);
	/* B: A 4 < Z 5 < C 6; C: itself; the VF: A 2 */
	cr_assert_neq(strstr(outbuf, "\n  b                  a (distance 4)\n"), NULL, "%s", outbuf);
	cr_assert_neq(strstr(outbuf, "\n  c                  c (distance 0)\n"), NULL);
	cr_assert_neq(strstr(outbuf, "\n  a.vf0              a (distance 2)\n"), NULL);
	/* the transient provider state is gone afterwards */
	for (size_t i = 0; i < ((struct topology *)(void *)topo)->fabric->nr_devs; i++)
		cr_assert_null(view->ctx.p2pdma[i]);
	cr_assert_eq(view->ctx.nr_pgmap_index, 0);
	/* z: a and b tie at 4 + 1; dsp0 has no BAR and cannot publish */
	cr_assert_eq(run_matrix(P2PSIM_FORMAT_TEXT, p2, 3, c2, 1, &err), P2PSIM_OK);
	cr_assert(strstr(outbuf, "\n  z                  a (distance 5; 2 providers tied)\n") ||
			  strstr(outbuf, "\n  z                  b (distance 5; 2 providers tied)\n"),
		  "%s", outbuf);
}

Test(p2p_matrix, path_json)
{
	struct pci_fabric *fab = fb_t1(0x1234);
	struct p2psim_error err;
	json_object *doc, *o;
	FILE *f;

	fb_acs(fb_find(fab, "dsp0"), 0, 0x001d);
	fb_acs(fb_find(fab, "dsp1"), 0, 0x001d);
	make_view(fab, NULL, NULL, NULL);
	f = open_memstream(&outbuf, &outlen);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_p2p_path(view, "a", "b", P2PSIM_FORMAT_JSON, f, &err), P2PSIM_OK);
	fclose(f);
	doc = json_tokener_parse(outbuf);
	cr_assert_not_null(doc, "%s", outbuf);
	cr_assert_str_eq(S(doc, "map_type"), "NOT_SUPPORTED");
	cr_assert_eq(I(doc, "distance"), 4);
	cr_assert_eq(I(doc, "distance_many"), -1);
	cr_assert_str_eq(S(json_object_object_get(doc, "common_bridge"), "bdf"), "0000:01:00.0");
	cr_assert_str_eq(S(doc, "disable_acs_redir"), "0000:02:00.0;0000:02:01.0");
	cr_assert_eq(json_object_array_length(json_object_object_get(doc, "acs_checked")), 5);
	o = json_object_array_get_idx(
		json_object_object_get(json_object_object_get(doc, "fallback"), "host_bridges"), 0);
	cr_assert_str_eq(S(o, "vendor_device"), "8086:1234");
	cr_assert_eq(json_object_get_boolean(json_object_object_get(o, "warned")), 1);
	cr_assert_eq(json_object_array_length(json_object_object_get(doc, "log")), 4);
	cr_assert_str_eq(
		json_object_get_string(json_object_array_get_idx(json_object_object_get(doc, "log"), 2)),
		"pci 0000:00:00.0: Host bridge not in P2PDMA whitelist: 8086:1234");
	cr_assert_str_eq(S(json_object_object_get(doc, "dma_address"), "kind"), "none");
	json_object_put(doc);

	free(outbuf);
	outbuf = NULL;
	f = open_memstream(&outbuf, &outlen);
	cr_assert_eq(p2psim_p2p_path(view, "a", "b", P2PSIM_FORMAT_CSV, f, &err), P2PSIM_EINPUT);
	fclose(f);
}
