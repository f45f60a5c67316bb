// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_import_hwloc.c - `p2psim import hwloc`: import -> check -> matrix on
 * the project's hwloc fixtures (tests/data/import/hwloc/, from the hwloc
 * test corpus), the options that state what hwloc cannot say, and malformed
 * input.
 *
 * Expected verdicts are derived from the kernel's calc_map_type_and_dist()
 * (reference/p2pdma.md): two devices below one switch are 4 hops apart
 * (EP -> DSP -> USP <- DSP <- EP), two below cascaded switches meeting at the
 * top switch's upstream port 8 hops; devices under different host bridges
 * have no common upstream bridge -> THRU_HOST_BRIDGE, allowed here because
 * the first root-bus function is a Skylake-SP root port 8086:2030, on the
 * allowlist. Any ACS redirect on the path also gives THRU_HOST_BRIDGE.
 */
#include "tools/cli_test_util.h"

#define DGX2 IMPORT_DATA "/hwloc/nvidiaDGX2.xml"
#define VFS IMPORT_DATA "/hwloc/16intel64-manyVFs.xml"

TestSuite(import_hwloc, .timeout = 60);

Test(import_hwloc, dgx2_shape)
{
	char out[256];
	struct p2psim_error err;
	p2psim_topology *t = NULL;
	static const char *const gpus[] = { "0000:34:00.0", "0000:36:00.0", "0000:39:00.0",
					    "0000:3b:00.0", "0000:57:00.0", "0000:59:00.0",
					    "0000:5c:00.0", "0000:5e:00.0" };

	tmp_xml(out, sizeof(out), "dgx2");
	import_ok("hwloc", DGX2, out, "--acs", "as-is", NULL);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(out, &t, &err), P2PSIM_OK, "%s", err.message);
	/* 28 PCIDev + 56 PCI bridges (the 4 host bridges are <hostbridge>s, not functions) */
	cr_assert_eq(p2psim_topology_function_count(t), 84);
	cr_assert_eq(p2psim_topology_hostbridge_count(t), 4);
	for (size_t i = 0; i < sizeof(gpus) / sizeof(gpus[0]); i++) {
		const p2psim_function *f = p2psim_topology_find(t, gpus[i]);

		cr_assert_not_null(f, "%s missing", gpus[i]);
		cr_assert_str_eq(p2psim_function_kind(f), "endpoint");
	}
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:2b:00.0")), "rootport");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:2c:00.0")), "upstream");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:2d:04.0")),
			 "downstream");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:32:00.0")), "upstream");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:33:10.0")),
			 "downstream");
	p2psim_topology_free(t);

	/* What hwloc says is kept: the CPU, the machine name; as-is: no ACS, no IOMMU. */
	assert_xpath(out, "string(/topology/@name)", "NVIDIA DGX-2H");
	assert_xpath(out, "string(/topology/cpu/@vendor)", "intel");
	assert_xpath(out, "string(/topology/cpu/@family)", "0x6");
	assert_xpath(out, "string(count(//*[@acs-ctrl]))", "0");
	assert_xpath(out, "string(count(/topology/iommu))", "0");
	assert_xpath(out, "string(//hostbridge[@bus='0x2b']/rootport/@secondary)", "0x2c");
	assert_xpath(out, "string(//hostbridge[@bus='0x2b']/rootport/@subordinate)", "0x3b");
	unlink(out);
}

Test(import_hwloc, dgx2_matrix_as_is)
{
	char out[256];

	if (!have_matrix())
		cr_skip_test("p2psim matrix is not built yet");
	tmp_xml(out, sizeof(out), "dgx2m");
	import_ok("hwloc", DGX2, out, "--acs", "as-is", NULL);
	/* same leaf PEX 9781 (33:00.0 / 33:10.0 below 32:00.0) */
	assert_pair(out, "0000:34:00.0", "0000:36:00.0", "BUS_ADDR", 4);
	assert_pair(out, "0000:57:00.0", "0000:59:00.0", "BUS_ADDR", 4);
	/* leaf switches 32:00.0 and 37:00.0 meet at the top PEX 9781 upstream port 2c:00.0 */
	assert_pair(out, "0000:34:00.0", "0000:39:00.0", "BUS_ADDR", 8);
	assert_pair(out, "0000:36:00.0", "0000:3b:00.0", "BUS_ADDR", 8);
	/* root ports 2b:00.0 and 4e:00.0 are on different host bridges */
	assert_pair(out, "0000:34:00.0", "0000:57:00.0", "THRU_HOST_BRIDGE", -1);
	unlink(out);
}

Test(import_hwloc, dgx2_default_assumes_iommu_acs)
{
	char out[256];
	char *s;

	tmp_xml(out, sizeof(out), "dgx2d");
	import_ok("hwloc", DGX2, out, NULL);
	/* 4 root ports + 6 top + 8 leaf downstream ports of PEX 9781 + ... every port
	 * that is a root or downstream port gets the assumed SV|RR|CR|UF */
	assert_xpath(out, "string(//rootport[@vendor='0x8086'][1]/@acs-ctrl)", "0x001d");
	assert_xpath(out, "string(count(//upstream[@acs-ctrl]))", "0");
	assert_xpath(out,
		     "string(count(//rootport[not(@acs-ctrl)] | //downstream[not(@acs-ctrl)]))",
		     "0");
	assert_xpath(out, "string(/topology/iommu/@type)", "intel-vtd");
	s = xpath_string(out, "string(/topology/comment()[contains(., 'ASSUMED')])");
	cr_assert(strstr(s, "SV|RR|CR|UF"), "no ACS assumption comment: %s", s);
	xmlFree(s);
	if (have_matrix())
		/* RR on the downstream ports sends same-switch traffic to the root complex */
		assert_pair(out, "0000:34:00.0", "0000:36:00.0", "THRU_HOST_BRIDGE", -1);
	unlink(out);
}

Test(import_hwloc, many_vfs)
{
	char out[256];
	struct p2psim_error err;
	p2psim_topology *t = NULL;

	tmp_xml(out, sizeof(out), "vfs");
	import_ok("hwloc", VFS, out, "--acs", "as-is", NULL);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(out, &t, &err), P2PSIM_OK, "%s", err.message);
	/* 18 PCIDev + 13 PCI bridges */
	cr_assert_eq(p2psim_topology_function_count(t), 31);
	/* the usNIC VFs 0b:00.1-3 are functions of the VIC NIC's device 0b:00 */
	for (int fn = 0; fn <= 3; fn++) {
		char bdf[32];

		snprintf(bdf, sizeof(bdf), "0000:0b:00.%d", fn);
		cr_assert_not_null(p2psim_topology_find(t, bdf), "%s missing", bdf);
		cr_assert(p2psim_function_is_dma_capable(p2psim_topology_find(t, bdf)));
	}
	/* Cisco VIC internal switch: 06:00.0 upstream -> 07:01.0 downstream -> 09:00.0 upstream */
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:06:00.0")), "upstream");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:07:01.0")),
			 "downstream");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:09:00.0")), "upstream");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:0a:01.0")),
			 "downstream");
	p2psim_topology_free(t);
	if (have_matrix()) {
		/* two functions of one device: dist 2 */
		assert_pair(out, "0000:0b:00.0", "0000:0b:00.1", "BUS_ADDR", 2);
		/* 0b:00.0 and 0c:00.0 below DSPs 0a:00.0 / 0a:01.0 of switch 09:00.0 */
		assert_pair(out, "0000:0b:00.0", "0000:0c:00.0", "BUS_ADDR", 4);
	}
	unlink(out);
}

Test(import_hwloc, v2_six_field_pci_type_and_host_bridge_option)
{
	char out[256];
	struct p2psim_error err;
	p2psim_topology *t = NULL;
	const p2psim_function *f;

	tmp_xml(out, sizeof(out), "vm");
	/* hwloc filtered out 00.0: without the option the output says the allowlist cannot match */
	import_ok("hwloc", IMPORT_DATA "/hwloc/small-vm-virtio.xml", out, NULL);
	assert_xpath(out, "string(count(//function))", "0");
	{
		char *s = xpath_string(out,
				       "string(//hostbridge/comment()[contains(., 'allowlist')])");

		cr_assert(strstr(s, "no 00.0 function"), "%s", s);
		xmlFree(s);
	}
	/* "0180 [1af4:1042] [1af4:1042] 01": 6 fields, no prog-if -> class 0x018000 */
	assert_xpath(out, "string(//endpoint[@dev='2']/@class)", "0x018000");

	import_ok("hwloc", IMPORT_DATA "/hwloc/small-vm-virtio.xml", out, "--host-bridge",
		  "0000:00=8086:0d57", NULL);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(out, &t, &err), P2PSIM_OK, "%s", err.message);
	f = p2psim_topology_find(t, "0000:00:00.0");
	cr_assert_not_null(f);
	cr_assert_str_eq(p2psim_function_kind(f), "function");
	cr_assert_eq(p2psim_topology_function_count(t), 3);
	p2psim_topology_free(t);
	assert_xpath(out, "string(//function/@device)", "0x0d57");
	unlink(out);
}

Test(import_hwloc, cpu_option_overrides_and_is_recorded)
{
	char out[256];
	char *s;

	tmp_xml(out, sizeof(out), "cpu");
	import_ok("hwloc", IMPORT_DATA "/hwloc/cxlmem+dax.v2.xml", out, "--cpu", "amd:0x19", NULL);
	assert_xpath(out, "string(/topology/cpu/@vendor)", "amd");
	assert_xpath(out, "string(/topology/cpu/@family)", "0x19");
	s = xpath_string(out, "string(/topology/comment()[starts-with(., ' CPU:')])");
	cr_assert(strstr(s, "the input says intel"), "%s", s);
	xmlFree(s);
	unlink(out);
}

Test(import_hwloc, malformed_inputs_exit_2_with_file_and_line)
{
	import_fails("hwloc", IMPORT_DATA "/hwloc/bad-version.xml", "bad-version.xml:3: error: ");
	/* the PCIDev of bus 05 is on line 12, below a bridge whose secondary bus is 84 */
	import_fails("hwloc", IMPORT_DATA "/hwloc/bad-busrange.xml",
		     "bad-busrange.xml:12: error: inconsistent bus ranges");
	/* cut after line 60: libxml2 reports the end of the data */
	import_fails("hwloc", IMPORT_DATA "/hwloc/bad-truncated.xml", "bad-truncated.xml:6");
	import_fails("hwloc", IMPORT_DATA "/hwloc/no-such-file.xml", "no-such-file.xml: error: ");
	/* an NCCL file is not hwloc */
	import_fails("hwloc", IMPORT_DATA "/nccl/azure-ndv5-topo.xml", "not an hwloc XML file");
}

Test(import_hwloc, usage_errors)
{
	struct run_result r;

	r = run_p2psim((const char *const[]){ "import", "hwloc", DGX2, "--acs", "maybe", NULL });
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "--acs takes as-is, iommu-default or off"), "%s", r.err);
	run_free(&r);
	r = run_p2psim((const char *const[]){ "import", "pdf", DGX2, NULL });
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "unknown format 'pdf'"), "%s", r.err);
	run_free(&r);
	r = run_p2psim(
		(const char *const[]){ "import", "hwloc", DGX2, "--host-bridge", "00", NULL });
	cr_assert_eq(r.status, 2);
	run_free(&r);
	r = run_p2psim((const char *const[]){ "import", "hwloc", NULL });
	cr_assert_eq(r.status, 2);
	run_free(&r);
	r = run_p2psim((const char *const[]){ "help", "import", NULL });
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "--host-bridge"));
	run_free(&r);
}

Test(import_hwloc, stdout_output_is_deterministic)
{
	struct run_result a = run_p2psim((const char *const[]){ "import", "hwloc", VFS, NULL });
	struct run_result b = run_p2psim((const char *const[]){ "import", "hwloc", VFS, NULL });

	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_assert(strstr(a.out, "<topology version=\"1\""));
	cr_assert_str_eq(a.out, b.out);
	run_free(&a);
	run_free(&b);
}

/*
 * filtered-io.xml: no 00.0 function, an empty downstream port, a PCIe-to-PCI
 * bridge with a device directly below (folded), a conventional PCI device at
 * dev 3 on a link, and a GPU hanging off the Package with no bridge above.
 */
Test(import_hwloc, filtered_io_shapes)
{
	char out[256], *s;
	struct p2psim_error err;
	p2psim_topology *t = NULL;

	tmp_xml(out, sizeof(out), "filt");
	import_ok("hwloc", IMPORT_DATA "/hwloc/filtered-io.xml", out, "--acs", "as-is", NULL);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(out, &t, &err), P2PSIM_OK, "%s", err.message);
	/* 4 PCIDev + 7 PCI bridges - the folded 07:00.0 */
	cr_assert_eq(p2psim_topology_function_count(t), 10);
	cr_assert_eq(p2psim_topology_hostbridge_count(t), 2);
	cr_assert_null(p2psim_topology_find(t, "0000:07:00.0"));
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:08:00.0")), "endpoint");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:02:01.0")), "downstream");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:09:03.0")), "endpoint");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:81:00.0")), "rciep");
	p2psim_topology_free(t);
	/* the empty downstream port stays, with no link below it */
	assert_xpath(out, "string(count(//downstream[@dev='1']/*))", "0");
	/* the folded port takes the bridge's secondary bus */
	assert_xpath(out, "string(//rootport[@dev='28']/@secondary)", "0x08");
	s = xpath_string(out, "string(//rootport[@dev='28']/comment())");
	cr_assert(strstr(s, "07:00.0") && strstr(s, "folded"), "%s", s);
	xmlFree(s);
	s = xpath_string(out, "string(/topology/comment()[contains(., 'root bus 0000:81')])");
	cr_assert(strstr(s, "ASSUMED"), "%s", s);
	xmlFree(s);
	assert_xpath(out, "string(/topology/cpu/@vendor)", "amd");
	assert_xpath(out, "string(/topology/cpu/@family)", "0x19");
	if (have_matrix())
		/* different root ports, no common bridge; AMD family 0x19 allows the host bridge */
		assert_pair(out, "0000:03:00.0", "0000:08:00.0", "THRU_HOST_BRIDGE", -1);
	unlink(out);
}
