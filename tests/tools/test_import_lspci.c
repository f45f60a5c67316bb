// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_import_lspci.c - `p2psim import lspci`: import -> check -> matrix on
 * `lspci -vvv -nn` and `lspci -tv` text (tests/data/import/lspci/).
 *
 * small-vm.*: a KVM guest, host bridge 8086:0d57 at 00.0 and five virtio
 * RCiEPs with one 512 KiB 64-bit BAR each at 0x4000000000 + n * 0x80000.
 * switch-acs.vvv.txt: root port 00:01.0 -> switch 01:00.0 -> downstream
 * ports 02:00.0 (ACSCtl SrcValid+ ReqRedir+ CmpltRedir+ UpstreamFwd+ =
 * 0x1d) and 02:01.0 (all -) -> GPU 03:00.0, NVMe 04:00.0; 00.0 is 8086:2020.
 * calc_map_type_and_dist walks from the provider: RR on 02:00.0, on the
 * GPU's side, redirects -> THRU_HOST_BRIDGE (allowed: 8086:2020 is on the
 * allowlist); with --acs off -> BUS_ADDR, 4 hops.
 * two-roots.tree.txt: an -tvnn tree with two root buses and a switch.
 */
#include "tools/cli_test_util.h"

TestSuite(import_lspci, .timeout = 60);

Test(import_lspci, vvv_small_vm)
{
	char out[256];
	struct p2psim_error err;
	p2psim_topology *t = NULL;

	tmp_xml(out, sizeof(out), "vm");
	import_ok("lspci", IMPORT_DATA "/lspci/small-vm.vvv.txt", out, NULL);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(out, &t, &err), P2PSIM_OK, "%s", err.message);
	cr_assert_eq(p2psim_topology_function_count(t), 6);
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:00:00.0")), "function");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:00:03.0")), "rciep");
	p2psim_topology_free(t);
	/* "Region 0: Memory at 4000100000 (64-bit, non-prefetchable) [size=512K]" on 00:03.0 */
	assert_xpath(out, "string(//endpoint[@dev='3']/bar/@address)", "0x4000100000");
	assert_xpath(out, "string(//endpoint[@dev='3']/bar/@size)", "512K");
	assert_xpath(out, "string(//endpoint[@dev='3']/bar/@kind)", "mem64");
	assert_xpath(out, "string(//endpoint[@dev='3']/bar/@prefetchable)", "no");
	assert_xpath(out, "string(//endpoint[@dev='3']/@class)", "0x020000");
	/* the aperture covers the five BARs: 0x4000000000 .. 0x4000280000, 1 MiB granules */
	assert_xpath(out, "string(//aperture/@cpu)", "0x4000000000");
	assert_xpath(out, "string(//aperture/@size)", "0x300000");
	unlink(out);
}

Test(import_lspci, tree_small_vm)
{
	char out[256];

	tmp_xml(out, sizeof(out), "vmt");
	import_ok("lspci", IMPORT_DATA "/lspci/small-vm.tree.txt", out, NULL);
	assert_xpath(out, "string(count(//endpoint))", "5");
	assert_xpath(out, "string(count(//function))", "1");
	/* -tv without -nn has no IDs: written as 0000:0000 and said so */
	assert_xpath(out, "string(//endpoint[@dev='2']/@vendor)", "0x0000");
	{
		char *s = xpath_string(out, "string(/topology/comment()[contains(., '-nn')])");

		cr_assert(strstr(s, "0000:0000"), "%s", s);
		xmlFree(s);
	}
	unlink(out);
}

Test(import_lspci, tree_two_roots)
{
	char out[256];
	struct p2psim_error err;
	p2psim_topology *t = NULL;

	tmp_xml(out, sizeof(out), "two");
	import_ok("lspci", IMPORT_DATA "/lspci/two-roots.tree.txt", out, "--acs", "as-is", NULL);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(out, &t, &err), P2PSIM_OK, "%s", err.message);
	cr_assert_eq(p2psim_topology_hostbridge_count(t), 2);
	/* 2 host functions, 3 root ports, 1 upstream, 2 downstream, 2 GPUs, 2 NIC functions */
	cr_assert_eq(p2psim_topology_function_count(t), 12);
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:81:00.0")), "upstream");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:82:01.0")),
			 "downstream");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:84:00.0")), "endpoint");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:01:00.1")), "endpoint");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:00:1c.0")), "rootport");
	p2psim_topology_free(t);
	if (have_matrix()) {
		/* the two GPUs below downstream ports 82:00.0 and 82:01.0 of switch 81:00.0 */
		assert_pair(out, "0000:83:00.0", "0000:84:00.0", "BUS_ADDR", 4);
		/* the two functions of the I350 */
		assert_pair(out, "0000:01:00.0", "0000:01:00.1", "BUS_ADDR", 2);
	}
	unlink(out);
}

Test(import_lspci, vvv_switch_acs)
{
	char out[256];

	tmp_xml(out, sizeof(out), "sw");
	import_ok("lspci", IMPORT_DATA "/lspci/switch-acs.vvv.txt", out, NULL);
	assert_xpath(out, "string(//downstream[@dev='0']/@acs-cap)", "0x007f");
	assert_xpath(out, "string(//downstream[@dev='0']/@acs-ctrl)", "0x001d");
	assert_xpath(out, "string(//downstream[@dev='1']/@acs-ctrl)", "0x0000");
	assert_xpath(out, "string(//rootport/@acs-cap)", "0x001f");
	/* the upstream port shows extended capabilities (AER at [100]) and no ACS */
	assert_xpath(out, "string(count(//upstream[@acs-cap]))", "0");
	assert_xpath(out, "string(count(/topology/iommu))", "0");
	/* NVMe: prog-if 02 in the class; 64-bit non-prefetchable BAR below 4 GiB */
	assert_xpath(out, "string(//endpoint[@class='0x010802']/bar/@address)", "0xa1000000");
	assert_xpath(out, "string(//endpoint[@class='0x030200']/bar[@index='1']/@size)", "64G");
	if (have_matrix())
		assert_pair(out, "0000:03:00.0", "0000:04:00.0", "THRU_HOST_BRIDGE", -1);
	unlink(out);

	import_ok("lspci", IMPORT_DATA "/lspci/switch-acs.vvv.txt", out, "--acs", "off", NULL);
	assert_xpath(out, "string(//downstream[@dev='0']/@acs-ctrl)", "0x0000");
	if (have_matrix())
		assert_pair(out, "0000:03:00.0", "0000:04:00.0", "BUS_ADDR", 4);
	unlink(out);
}

Test(import_lspci, malformed_inputs_exit_2_with_file_and_line)
{
	import_fails("lspci", IMPORT_DATA "/lspci/bad-busrange.vvv.txt",
		     "bad-busrange.vvv.txt:5: error: inconsistent bus ranges");
	import_fails("lspci", IMPORT_DATA "/lspci/bad-no-ids.vvv.txt",
		     "bad-no-ids.vvv.txt:2: error: ");
	import_fails("lspci", IMPORT_DATA "/lspci/no-such.txt", "no-such.txt: error: cannot open");
}

Test(import_lspci, bad_bar_is_an_input_error)
{
	/* 0x38001000000 is not a multiple of 64 MiB (0x4000000) */
	import_fails(
		"lspci", IMPORT_DATA "/lspci/bad-bar.vvv.txt",
		"bad-bar.vvv.txt:9: error: BAR 0 of 0000:01:00.0: address 0x38001000000 is not "
		"aligned to its size 0x4000000");
}

/*
 * Two BARs at one address: the loader rejects the real layout, so the
 * import leaves every address out, lets the loader place the BARs, and says
 * why in a comment. --no-addresses does the same from the start.
 */
Test(import_lspci, rejected_addresses_are_left_out)
{
	char out[256], *s;

	tmp_xml(out, sizeof(out), "ovl");
	import_ok("lspci", IMPORT_DATA "/lspci/overlapping-bars.vvv.txt", out, NULL);
	assert_xpath(out, "string(count(//bar))", "2");
	assert_xpath(out, "string(count(//bar[@address]))", "0");
	assert_xpath(out, "string(//aperture[@kind='mem32']/@cpu)", "0x80000000");
	s = xpath_string(out, "string(/topology/comment()[contains(., 'left out')])");
	cr_assert(strstr(s, "overlaps"), "%s", s);
	xmlFree(s);
	unlink(out);

	import_ok("lspci", IMPORT_DATA "/lspci/switch-acs.vvv.txt", out, "--no-addresses", NULL);
	assert_xpath(out, "string(count(//bar))", "4");
	assert_xpath(out, "string(count(//bar[@address]))", "0");
	unlink(out);
}
