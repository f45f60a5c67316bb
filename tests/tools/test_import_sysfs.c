// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_import_sysfs.c - `p2psim import sysfs`: import -> check -> matrix on
 * a trimmed hwloc-gather-topology dump (PLX PEX 9797 switches with NEC
 * vector engines and ConnectX-4 HCAs) and on a hand-made tree whose 4 KiB
 * config files carry ACS (tests/data/import/sysfs/make-acs-switch.py).
 *
 * acs-switch: root port 00:01.0 (ACS ctrl 0x1d) -> switch 01:00.0 ->
 * downstream ports 02:00.0 / 02:01.0 (ACS cap 0x5f, ctrl 0: firmware left it
 * off) -> GPU 03:00.0, NVMe 04:00.0; root port 00:02.0 -> NIC 05:00.0; the
 * root bus 00.0 is 8086:2020, on the kernel's allowlist.
 * calc_map_type_and_dist: GPU <-> NVMe meet at the upstream port, 4 hops, no
 * redirect on the downstream ports -> BUS_ADDR 4. With iommu-default the
 * kernel's boot-time ACS (ctrl |= cap & SV|RR|CR|UF = 0x1d) puts RR on them ->
 * THRU_HOST_BRIDGE. GPU <-> NIC share no bridge -> THRU_HOST_BRIDGE.
 */
#include <sys/stat.h>

#include "tools/cli_test_util.h"

#define VE IMPORT_DATA "/sysfs/32intel64-2p8co2t+8ve"
#define ACS IMPORT_DATA "/sysfs/acs-switch"

TestSuite(import_sysfs, .timeout = 60);

Test(import_sysfs, hwloc_gather_dump)
{
	char out[256], *s;
	struct p2psim_error err;
	p2psim_topology *t = NULL;

	tmp_xml(out, sizeof(out), "ve");
	import_ok("sysfs", VE, out, NULL);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(out, &t, &err), P2PSIM_OK, "%s", err.message);
	/* every entry of bus/pci/devices, plus 5f:03.0 which is only in the devices/ tree */
	cr_assert_eq(p2psim_topology_function_count(t), 29);
	cr_assert_eq(p2psim_topology_hostbridge_count(t), 3);
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:17:00.0")), "rootport");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:18:00.0")), "upstream");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:19:08.0")),
			 "downstream");
	cr_assert_str_eq(p2psim_function_kind(p2psim_topology_find(t, "0000:1b:00.0")), "endpoint");
	cr_assert_not_null(p2psim_topology_find(t, "0000:60:00.1"));
	p2psim_topology_free(t);

	/* resource of 1b:00.0: 0x39e000000000-0x39efffffffff flags 0x14220c (64-bit prefetchable) */
	assert_xpath(out, "string(//endpoint/bar[@address='0x39e000000000']/@size)", "64G");
	assert_xpath(out, "string(//endpoint/bar[@address='0x39e000000000']/@kind)", "mem64");
	assert_xpath(out, "string(//endpoint/bar[@address='0x39e000000000']/@prefetchable)", "yes");
	/* 0xa6000000-0xa7ffffff flags 0x40200: 32 MiB, 32-bit, not prefetchable */
	assert_xpath(out, "string(//endpoint/bar[@address='0xa6000000']/@size)", "32M");
	assert_xpath(out, "string(//endpoint/bar[@address='0xa6000000']/@kind)", "mem32");
	/* bus numbers from secondary_bus_number / subordinate_bus_number */
	assert_xpath(out, "string(//hostbridge[@bus='0x17']/rootport/@subordinate)", "0x1e");
	/* CPU from proc/cpuinfo; 64-byte config: no ACS data -> assumed */
	assert_xpath(out, "string(/topology/cpu/@vendor)", "intel");
	s = xpath_string(out, "string(/topology/comment()[contains(., 'ASSUMED')])");
	cr_assert(strstr(s, "14 root/downstream port(s)"), "%s", s);
	xmlFree(s);
	unlink(out);
}

Test(import_sysfs, acs_from_config)
{
	char out[256];

	tmp_xml(out, sizeof(out), "acs");
	import_ok("sysfs", ACS, out, NULL);
	/* the extended capability list is walked: AER, then ACS at 0x150 */
	assert_xpath(out, "string(//rootport[@dev='1']/@acs-cap)", "0x001f");
	assert_xpath(out, "string(//rootport[@dev='1']/@acs-ctrl)", "0x001d");
	assert_xpath(out, "string(//downstream[@dev='0']/@acs-cap)", "0x005f");
	assert_xpath(out, "string(//downstream[@dev='0']/@acs-ctrl)", "0x0000");
	/* the upstream port has extended space but no ACS: no capability */
	assert_xpath(out, "string(count(//upstream[@acs-cap]))", "0");
	/* everything known: no assumption, so no IOMMU */
	assert_xpath(out, "string(count(/topology/iommu))", "0");
	assert_xpath(out, "string(//function/@device)", "0x2020");
	if (have_matrix()) {
		assert_pair(out, "0000:03:00.0", "0000:04:00.0", "BUS_ADDR", 4);
		assert_pair(out, "0000:03:00.0", "0000:05:00.0", "THRU_HOST_BRIDGE", -1);
	}
	unlink(out);

	import_ok("sysfs", ACS, out, "--acs", "iommu-default", NULL);
	assert_xpath(out, "string(//downstream[@dev='0']/@acs-ctrl)", "0x001d");
	assert_xpath(out, "string(/topology/iommu/@type)", "intel-vtd");
	if (have_matrix())
		assert_pair(out, "0000:03:00.0", "0000:04:00.0", "THRU_HOST_BRIDGE", -1);
	unlink(out);

	import_ok("sysfs", ACS, out, "--acs", "off", NULL);
	assert_xpath(out, "string(//rootport[@dev='1']/@acs-cap)", "0x001f");
	assert_xpath(out, "string(//rootport[@dev='1']/@acs-ctrl)", "0x0000");
	unlink(out);
}

Test(import_sysfs, malformed_inputs_name_the_sysfs_path)
{
	/* the device directory whose bus (02) is not the secondary bus (01) of its bridge */
	import_fails("sysfs", IMPORT_DATA "/sysfs/bad-busrange",
		     "bad-busrange/sys/devices/pci0000:00/0000:00:01.0/0000:02:00.0: error: "
		     "inconsistent bus ranges");
	import_fails("sysfs", IMPORT_DATA "/sysfs/no-such-dir", "not a sysfs tree");
}

Test(import_sysfs, unreadable_class_file_is_named)
{
	char dir[] = "/tmp/p2psim-import-sysfs-XXXXXX", path[512];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/0000:00:02.0", dir);
	{
		char cmd[1024];

		snprintf(
			cmd, sizeof(cmd),
			"mkdir -p %s %s/sys/bus/pci/devices && ln -s ../../../devices/pci0000:00/0000:00:02.0 "
			"%s/sys/bus/pci/devices/0000:00:02.0",
			path, dir, dir);
		cr_assert_eq(system(cmd), 0);
	}
	snprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/0000:00:02.0/vendor", dir);
	f = fopen(path, "w");
	fputs("0x8086\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/0000:00:02.0/class", dir);
	f = fopen(path, "w");
	fputs("video\n", f);
	fclose(f);
	import_fails("sysfs", dir, "0000:00:02.0/class:1: error: 'video' is not a number");
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		cr_assert_eq(system(cmd), 0);
	}
}

/*
 * sriov: PF 01:00.0 and its VFs 01:00.1-3 (physfn links) below root port
 * 00:03.0, whose ACS control has RR|CR. The VFs are functions of the PF's
 * device: distance 2. calc_map_type_and_dist checks the provider-side
 * bridges for redirect before it compares them with the client's, so the
 * common root port's RR counts: THRU_HOST_BRIDGE as-is, BUS_ADDR with ACS off.
 */
Test(import_sysfs, sriov_vfs)
{
	char out[256], *s;
	struct p2psim_error err;
	p2psim_topology *t = NULL;

	tmp_xml(out, sizeof(out), "vf");
	import_ok("sysfs", IMPORT_DATA "/sysfs/sriov", out, NULL);
	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(out, &t, &err), P2PSIM_OK, "%s", err.message);
	cr_assert_eq(p2psim_topology_function_count(t), 6);
	for (int fn = 1; fn <= 3; fn++) {
		char bdf[32];

		snprintf(bdf, sizeof(bdf), "0000:01:00.%d", fn);
		cr_assert(p2psim_function_is_dma_capable(p2psim_topology_find(t, bdf)));
	}
	p2psim_topology_free(t);
	s = xpath_string(out, "string(//endpoint[@fn='2']/preceding-sibling::comment()[1])");
	cr_assert(strstr(s, "SR-IOV VF of 0000:01:00.0"), "%s", s);
	xmlFree(s);
	s = xpath_string(out, "string(/topology/comment()[contains(., 'Source: sysfs')])");
	cr_assert(strstr(s, "3 SR-IOV VF(s)"), "%s", s);
	xmlFree(s);
	if (have_matrix())
		assert_pair(out, "0000:01:00.0", "0000:01:00.3", "THRU_HOST_BRIDGE", 2);
	unlink(out);
	import_ok("sysfs", IMPORT_DATA "/sysfs/sriov", out, "--acs", "off", NULL);
	if (have_matrix())
		assert_pair(out, "0000:01:00.0", "0000:01:00.3", "BUS_ADDR", 2);
	unlink(out);
}
