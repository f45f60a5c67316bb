// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_import_nccl.c - `p2psim import nccl`: import -> check -> matrix on
 * Azure's ND H100 v5 NCCL topology file (tests/data/import/nccl/).
 *
 * The file has 2 <cpu> (NUMA 0, 1), each with 4 virtual switches
 * ffff:ff:0N.0 holding one GPU (0x030200) and one InfiniBand NIC (0x020700).
 * Expected shape: per <cpu> a host bridge (domain = index), per switch an
 * invented root port + switch with 2 invented downstream ports: 8 root ports
 * + 8 upstream + 16 downstream + 16 devices = 48 functions, 2 host bridges.
 * Verdicts (calc_map_type_and_dist): GPU and NIC of one switch are 4 apart,
 * BUS_ADDR with ACS off; GPUs of different switches have no common bridge
 * -> through the host bridge, which needs AMD family >= 0x17 or an
 * allowlisted root-bus function: the invented root ports are 0000:0000, so
 * with the Intel CPU the file names the answer is NOT_SUPPORTED.
 */
#include "tools/cli_test_util.h"

#define NDV5 IMPORT_DATA "/nccl/azure-ndv5-topo.xml"

TestSuite(import_nccl, .timeout = 60);

Test(import_nccl, ndv5_shape_and_notes)
{
	char out[256], *s;
	struct p2psim_error err;
	p2psim_topology *t = NULL;
	size_t gpus = 0, nics = 0;

	tmp_xml(out, sizeof(out), "ndv5");
	import_ok("nccl", NDV5, out, "--acs", "as-is", NULL);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(out, &t, &err), P2PSIM_OK, "%s", err.message);
	cr_assert_eq(p2psim_topology_function_count(t), 48);
	cr_assert_eq(p2psim_topology_hostbridge_count(t), 2);
	for (size_t i = 0; i < p2psim_topology_function_count(t); i++) {
		const char *id = p2psim_function_id(p2psim_topology_function(t, i));

		gpus += !strncmp(id, "gpu", 3);
		nics += !strncmp(id, "nic", 3);
	}
	cr_assert_eq(gpus, 8);
	cr_assert_eq(nics, 8);
	p2psim_topology_free(t);

	assert_xpath(out, "string(/topology/cpu/@vendor)", "intel");
	assert_xpath(out, "string(/topology/cpu/@family)", "0x6");
	assert_xpath(out, "string(count(//switch))", "8");
	assert_xpath(out, "string(//hostbridge[2]/@numa-node)", "1");
	assert_xpath(out, "string(//endpoint[@id='gpu0']/@class)", "0x030200");
	assert_xpath(out, "string(//endpoint[@id='nic0']/@class)", "0x020700");
	/* what NCCL cannot say is said in comments; the NCCL bus ids are kept */
	s = xpath_string(out, "string(/topology/comment()[contains(., 'cannot say')])");
	cr_assert(strstr(s, "virtual switch") && strstr(s, "ACS"), "%s", s);
	xmlFree(s);
	s = xpath_string(out, "string(//switch[1]/preceding-sibling::comment()[1])");
	cr_assert(strstr(s, "ffff:ff:01.0") && strstr(s, "virtual switch"), "%s", s);
	xmlFree(s);
	s = xpath_string(out, "string(//endpoint[@id='gpu0']/preceding-sibling::comment()[1])");
	cr_assert(strstr(s, "0001:00:00.0"), "%s", s);
	xmlFree(s);
	unlink(out);
}

Test(import_nccl, ndv5_matrix)
{
	char out[256];

	if (!have_matrix())
		cr_skip_test("p2psim matrix is not built yet");
	tmp_xml(out, sizeof(out), "ndv5m");
	import_ok("nccl", NDV5, out, "--acs", "as-is", NULL);
	/* gpu0 and nic0 share virtual switch ffff:ff:01.0 (invented BDFs 0000:03:00.0, 04:00.0) */
	assert_pair(out, "0000:03:00.0", "0000:04:00.0", "BUS_ADDR", 4);
	/* gpu0 and gpu1 (07:00.0) are below different root ports: no allowlisted function, Intel CPU */
	assert_pair(out, "0000:03:00.0", "0000:07:00.0", "NOT_SUPPORTED", -1);
	unlink(out);

	/* An AMD Zen CPU (family >= 0x17) lets the kernel go through the host bridge. */
	import_ok("nccl", NDV5, out, "--acs", "as-is", "--cpu", "amd", NULL);
	assert_xpath(out, "string(/topology/cpu/@family)", "0x19");
	assert_pair(out, "0000:03:00.0", "0000:07:00.0", "THRU_HOST_BRIDGE", -1);
	unlink(out);

	/* The default assumes the IOMMU-on ACS: even GPU <-> NIC of one switch is redirected. */
	import_ok("nccl", NDV5, out, NULL);
	assert_xpath(out, "string(//downstream[1]/@acs-ctrl)", "0x001d");
	assert_pair(out, "0000:03:00.0", "0000:04:00.0", "NOT_SUPPORTED", -1);
	unlink(out);
}

Test(import_nccl, malformed_inputs_exit_2_with_file_and_line)
{
	import_fails("nccl", IMPORT_DATA "/nccl/bad-version.xml",
		     "bad-version.xml:2: error: unsupported NCCL topology version '2'");
	import_fails("nccl", IMPORT_DATA "/hwloc/bad-truncated.xml", "bad-truncated.xml:6");
	import_fails("nccl", IMPORT_DATA "/hwloc/nvidiaDGX2.xml", "not an NCCL topology file");
}

/*
 * nested-switch.xml: a bare-metal dump with a switch nested in a switch,
 * <gpu>/<nic><net> names and a switch with no devices. GPU 43:00.0 sits below
 * the first switch's downstream port 0, the NIC below the nested switch behind
 * downstream port 1: GPU -> dp0 -> up0 (2 hops) and NIC -> dp -> up1 -> dp1 ->
 * up0 (4 hops) meet at up0: BUS_ADDR 6 with ACS as-is.
 */
Test(import_nccl, nested_switches_and_names)
{
	char out[256], *s;

	tmp_xml(out, sizeof(out), "nest");
	import_ok("nccl", IMPORT_DATA "/nccl/nested-switch.xml", out, "--acs", "as-is", NULL);
	assert_xpath(out, "string(count(//switch))", "3");
	assert_xpath(out, "string(count(//switch/downstream/switch))", "1");
	/* the empty switch keeps its upstream port and has no downstream port */
	assert_xpath(out, "string(count(//rootport[@dev='2']/switch/downstream))", "0");
	assert_xpath(out, "string(/topology/cpu/@vendor)", "amd");
	assert_xpath(out, "string(/topology/cpu/@family)", "0x19");
	assert_xpath(out, "string(//endpoint[@id='gpu0']/@device)", "0x2330");
	s = xpath_string(out, "string(//endpoint[@id='gpu0']/preceding-sibling::comment()[1])");
	cr_assert(strstr(s, "0000:43:00.0") && strstr(s, "gpu dev=0"), "%s", s);
	xmlFree(s);
	s = xpath_string(out, "string(//endpoint[@id='nic0']/preceding-sibling::comment()[1])");
	cr_assert(strstr(s, "net=mlx5_0"), "%s", s);
	xmlFree(s);
	if (have_matrix())
		assert_pair(out, "0000:03:00.0", "0000:06:00.0", "BUS_ADDR", 6);
	unlink(out);
}

/*
 * --host-bridge '*=8086:2020' gives every invented host bridge the Skylake-SP
 * host-bridge function at 00.0, which is on the kernel's allowlist (without
 * the same-host-bridge requirement): GPUs of different switches, and of
 * different <cpu>s, then go through the host bridge instead of failing.
 */
Test(import_nccl, host_bridge_option_on_every_root_bus)
{
	char out[256];
	struct p2psim_error err;
	p2psim_topology *t = NULL;

	tmp_xml(out, sizeof(out), "ndv5hb");
	import_ok("nccl", NDV5, out, "--acs", "as-is", "--host-bridge", "*=8086:2020", NULL);
	assert_xpath(out,
		     "string(count(//hostbridge/function[@vendor='0x8086'][@device='0x2020']))",
		     "2");
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(out, &t, &err), P2PSIM_OK, "%s", err.message);
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:00:00.0")), "function");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0001:00:00.0")), "function");
	p2psim_topology_free(t);
	if (have_matrix()) {
		assert_pair(out, "0000:03:00.0", "0000:07:00.0", "THRU_HOST_BRIDGE", -1);
		assert_pair(out, "0000:03:00.0", "0001:03:00.0", "THRU_HOST_BRIDGE", -1);
	}
	unlink(out);
}
