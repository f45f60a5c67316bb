// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_p2p_dot.c - `p2psim dot`: the cgraph graph as DOT text and as an SVG
 * rendered in-process through libgvc, with the DMA route highlighted.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/fabric_builder.h"
#include "p2psim/p2p.h"

static p2psim_topology *topo;
static p2psim_p2p *view;
static char *outbuf;
static size_t outlen;

static void fini(void)
{
	p2psim_p2p_free(view);
	if (topo)
		p2psim_topology_free(topo);
	free(outbuf);
	view = NULL;
	topo = NULL;
	outbuf = NULL;
}

TestSuite(p2p_dot, .fini = fini);

static int draw(struct pci_fabric *fab, const char *render, const char *p, const char *c,
		struct p2psim_error *err)
{
	struct p2psim_dot_opts opts = { .path_provider = p, .path_client = c, .render = render };
	FILE *f;
	int ret;

	if (!topo) {
		topo = fb_topology("t1", fab, CPU_VENDOR_INTEL, 6);
		cr_assert_eq(p2psim_p2p_new(topo, NULL, &view, err), P2PSIM_OK);
	}
	free(outbuf);
	outbuf = NULL;
	f = open_memstream(&outbuf, &outlen);
	p2psim_error_clear(err);
	ret = p2psim_p2p_dot(view, &opts, f, err);
	fclose(f);
	return ret;
}

#define HAS(s) cr_assert_neq(strstr(outbuf, s), NULL, "missing <%s>", s)
#define LACKS(s) cr_assert_eq(strstr(outbuf, s), NULL, "unexpected <%s>", s)

Test(p2p_dot, dot_text_has_every_function_and_the_clusters)
{
	struct p2psim_error err;

	cr_assert_eq(draw(fb_t1(0x2020), "dot", NULL, NULL, &err), P2PSIM_OK);
	HAS("graph p2psim {");
	HAS("subgraph cluster_hostbridge_hb0 {");
	HAS("subgraph cluster_switch_usp {");
	HAS("\"hostbridge:hb0\"");
	HAS("a.vf0");
	HAS("BAR0 1M mem64 pf p2pmem");
	HAS("\"hostbridge:hb0\" -- rp1");
	HAS("dsp0 -- a");
	HAS("a -- \"a.vf0\"");
	LACKS("p2p-path");
}

Test(p2p_dot, svg_through_libgvc_highlights_the_path)
{
	struct p2psim_error err;

	cr_assert_eq(draw(fb_t1(0x2020), "svg", "a", "b", &err), P2PSIM_OK, "%s", err.message);
	HAS("<svg");
	HAS("<title>a</title>");
	HAS("<title>b</title>");
	HAS("<title>usp</title>");
	HAS("<title>hostbridge:hb0</title>");
	/* b -> dsp1 -> usp -> dsp0 -> a: four red edges, turning at usp */
	HAS("id=\"p2p_path_1\"");
	HAS("id=\"p2p_path_4\"");
	LACKS("id=\"p2p_path_5\"");
	HAS("stroke=\"red\"");
	HAS("DMA from b to the memory of a: BUS_ADDR, distance 4");
}

Test(p2p_dot, path_through_the_host_bridge_and_across_two)
{
	struct p2psim_error err;

	cr_assert_eq(draw(fb_t1(0x2020), "dot", "a", "c", &err), P2PSIM_OK);
	/* c -> rp2 -> hb0 (2 edges) and a -> dsp0 -> usp -> rp1 -> hb0 (4 edges) */
	HAS("id=p2p_path_6");
	LACKS("p2p_path_7");
	HAS("THRU_HOST_BRIDGE, distance 6");
	fini();
	cr_assert_eq(
		draw(fb_two_hosts(0x8086, 0x09a2, 0x8086, 0x09a2, 1, 0), "dot", "a", "b", &err),
		P2PSIM_OK);
	/* 2 + 2 edges up to the host bridges, plus hb1 -- hb0 */
	HAS("id=p2p_path_5");
	HAS("\"hostbridge:hb1\" -- \"hostbridge:hb0\"");
}

Test(p2p_dot, errors)
{
	struct p2psim_error err;

	cr_assert_eq(draw(fb_t1(0x2020), "gif", NULL, NULL, &err), P2PSIM_EINPUT);
	cr_assert_str_eq(err.message, "unknown output type 'gif' (dot, svg, png or pdf)");
	cr_assert_eq(draw(NULL, "dot", "a", NULL, &err), P2PSIM_EINPUT);
	cr_assert_eq(draw(NULL, "dot", "a", "nosuch", &err), P2PSIM_EINPUT);
	cr_assert_str_eq(err.message, "no function 'nosuch' in topology 't1'");
}
