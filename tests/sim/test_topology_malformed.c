// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_topology_malformed.c - every file in tests/data/malformed/ must be
 * refused with P2PSIM_EINPUT, at the line given below (counted by hand in
 * each file: line 1 is the XML declaration, line 2 the comment saying what
 * is wrong, line 3 <topology>), with a message naming the problem, and with
 * nothing left allocated (the ASan build checks that).
 *
 * Lines are those libxml2 records for an element: the line where its start
 * tag ends (acs_ctrl_outside_cap spreads a start tag over lines 5-6). Errors
 * about two things point at the later one.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "p2psim/topology.h"

struct malformed_case {
	const char *file; /* in tests/data/malformed/, without .xml */
	int line;
	const char *message; /* a substring of the message */
};

static const struct malformed_case cases[] = {
	/* not XML, or not our XML */
	{ "not_xml", 3, "Start tag expected" },
	{ "truncated", 6, "Premature end of data" },
	{ "mismatched_tag", 6, "tag mismatch" },
	{ "wrong_root", 3, "the root element is <machine>" },
	{ "wrong_version", 3, "unsupported topology version '2'" },
	{ "unknown_element", 5, "unexpected element <gpu> inside <hostbridge>" },
	{ "unknown_attribute", 6, "unknown attribute 'colour' on <endpoint 'ep0'>" },
	{ "missing_required_attribute", 5, "lacks the required attribute 'device'" },
	{ "bad_enum_value", 4, "'sloppy' is not one of strict, lazy, passthrough, off" },
	{ "no_hostbridge", 3, "<topology> has no <hostbridge>" },
	{ "bad_id", 4, "'0hb' is not a valid id" },
	/* numbers and sizes */
	{ "bad_number", 5, "attribute 'dev' of <rootport 'rp0'>: '0x1g' is not a number" },
	{ "bad_size_suffix", 6, "attribute 'size' of <bar> of 'ep0': '16X' is not a size" },
	{ "number_overflow", 6,
	  "attribute 'size' of <bar> of 'ep0': '0x10000000000000000' is too large" },
	{ "dev_too_large", 5, "attribute 'dev' of <rootport 'rp0'>: 32 is out of range" },
	{ "fn_too_large", 5, "attribute 'fn' of <rootport 'rp0'>: 8 is out of range" },
	{ "vendor_too_large", 5,
	  "attribute 'vendor' of <function 'host'>: 0x18086 is out of range" },
	{ "dma_mask_65", 5, "attribute 'dma-mask' of <endpoint 'a'>: 65 is out of range" },
	{ "absurd_bar_size", 6, "is absurd" },
	{ "absurd_ram_size", 5, "attribute 'size' of <ram>: 8192T is out of range" },
	/* ids and BDFs */
	{ "duplicate_id", 9, "duplicate id 'gpu0': already used by the endpoint at line 6" },
	{ "duplicate_id_switch", 6,
	  "duplicate id 'hb0': already used by the <hostbridge> at line 4" },
	{ "vf_id_collision", 8, "duplicate id 'nic0.vf1': already used by VF 1 of 'nic0'" },
	{ "duplicate_bdf", 7, "'b' (line 7) is at 0000:01:00.0, already taken by 'a'" },
	/* BARs */
	{ "bar_not_power_of_two", 6, "size 0x6000 is not a power of two" },
	{ "bar_index_6", 6, "attribute 'index' of <bar> of 'a': 6 is out of range" },
	{ "duplicate_bar_index", 7, "BAR 0 of 'a' is declared twice (first at line 6)" },
	{ "mem64_bar_index5", 7, "BAR 5 of 'a' is 64-bit but 5 is the last BAR slot" },
	{ "mem64_upper_half_used", 7, "BAR 3 of 'a' is the upper half of 64-bit BAR 2" },
	{ "io_bar_prefetchable", 6, "an I/O BAR cannot be prefetchable" },
	{ "bar_misaligned", 7, "address 0xc0100000 is not aligned to its size (2 MiB)" },
	{ "bar_outside_aperture", 7,
	  "BAR 0 of 'a' at 0xe0000000 (1 MiB) is not inside an aperture" },
	{ "mem32_bar_in_mem64_aperture", 8,
	  "is a 32-bit BAR but 0x10000000000 is in the mem64 aperture" },
	{ "bar_does_not_fit", 9,
	  "BAR 2 of 'gpu0' (16 GiB) does not fit in the mem32 aperture of 'hb0'" },
	{ "overlapping_bars", 10,
	  "BAR 0 of 'b' [cpu 0xc0000000-0xc01fffff] overlaps BAR 0 of 'a'" },
	{ "nonpref_window_above_4g", 7, "the non-prefetchable window of 'rp0'" },
	{ "bars_behind_bridge_do_not_fit", 8,
	  "the BARs behind 'rp0' (non-prefetchable window of 257 MiB; largest: BAR 0 of 'a', 128 "
	  "MiB) do not fit in the mem32 aperture of 'hb0'" },
	{ "sibling_windows_overlap", 11,
	  "the non-prefetchable window of 'rp1' [bus 0xc0000000-0xc00fffff] overlaps the "
	  "non-prefetchable window of 'rp0'" },
	/* links and switches */
	{ "two_links", 7, "port 'rp0' already has a link to device 0" },
	{ "endpoint_and_switch", 10, "port 'dn0' already has a link to <endpoint 'a'> (line 9)" },
	{ "switch_two_upstream", 8,
	  "switch 'sw0' has a second <upstream> port (the first is at line 7)" },
	{ "switch_no_upstream", 6, "switch 'sw0' has no <upstream> port" },
	{ "port_without_vendor", 7, "<upstream 'up0'> has no vendor" },
	/* bus numbers */
	{ "secondary_below_parent", 6,
	  "secondary bus 0x05 of 'rp0' is not above its parent bus 0x10" },
	{ "sibling_bus_overlap", 6, "bus range [03-03] of 'rp1' overlaps [01-04] of 'rp0'" },
	{ "subordinate_too_small", 5, "subordinate bus 0x01 of 'rp0' is below bus 0x02" },
	{ "root_bus_ranges_overlap", 9,
	  "bus range [02-02] of host bridge 'hb1' overlaps [00-02] of host bridge 'hb0'" },
	/* SR-IOV */
	{ "too_many_vfs", 6, "attribute 'vfs' of <sriov> of 'nic0': 70000 is out of range" },
	{ "vf_routing_past_bus_ff", 5,
	  "the 600 VFs of 'nic0' need routing IDs up to 0x10068, past bus 0xff" },
	{ "vf_stride_zero", 6, "VF Stride 0 with 4 VFs" },
	/* ACS */
	{ "acs_ctrl_outside_cap", 6,
	  "acs-ctrl 0x001d enables UF, which acs-cap 0x000d does not offer" },
	/* memory map, apertures, IOMMU */
	{ "aperture_overlaps_ram", 8,
	  "the mem32 aperture of 'hb0' [0xc0000000-0xcfffffff] overlaps RAM" },
	{ "apertures_overlap", 10,
	  "the mem64 aperture of 'hb1' [0x10000000000-0x1ffffffffff] overlaps the mem64 aperture of 'hb0'" },
	{ "ram_overlap", 6, "RAM [0x40000000-0xbfffffff] overlaps RAM [0-0x7fffffff]" },
	{ "bus_offset_above_cpu", 5, "bus-offset 0xd0000000 is above the CPU base 0xc0000000" },
	{ "default_apertures_exhausted", 8,
	  "host bridge 'hb4' has no <aperture> and the default mem32 apertures" },
	{ "dangling_iommu", 5, "iommu 'dmar1' is not declared" },
	{ "iotlb_ways", 4, "iotlb-entries 10 is not a multiple of iotlb-ways 4" },
	{ "pgsizes_without_4k", 4, "pgsizes '2M,1G' must include 4K" },
	{ "pgsizes_not_power_of_two", 4,
	  "pgsizes '4K,3M,1G': '3M' is not a power-of-two page size of at least 4K" },
};

Test(topology_malformed, each_file_is_refused_at_its_line)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct malformed_case *c = &cases[i];
		struct p2psim_error err;
		p2psim_topology *topo = NULL;
		char path[1024];
		int ret;

		snprintf(path, sizeof(path), "%s/malformed/%s.xml", P2PSIM_TESTDATA, c->file);
		p2psim_error_clear(&err);
		ret = p2psim_topology_load_file(path, &topo, &err);
		cr_expect_eq(ret, P2PSIM_EINPUT, "%s: status %d (%s)", c->file, ret, err.message);
		cr_expect_null(topo, "%s: half-built topology returned", c->file);
		p2psim_topology_free(topo);
		cr_expect_eq(err.status, P2PSIM_EINPUT, "%s", c->file);
		cr_expect_str_eq(err.file, path, "%s", c->file);
		cr_expect_eq(err.line, c->line, "%s: line %d, expected %d (%s)", c->file, err.line,
			     c->line, err.message);
		cr_expect_gt(err.column, 0, "%s: no column", c->file);
		cr_expect(strstr(err.message, c->message) != NULL,
			  "%s: message '%s' does not contain '%s'", c->file, err.message,
			  c->message);
	}
}

/* Every file in the directory is in the table, and the table has at least 30 cases. */
Test(topology_malformed, table_covers_the_directory)
{
	char dir[1024];
	struct dirent *de;
	size_t files = 0;
	DIR *d;

	cr_expect_geq(sizeof(cases) / sizeof(cases[0]), 30);
	snprintf(dir, sizeof(dir), "%s/malformed", P2PSIM_TESTDATA);
	d = opendir(dir);
	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		bool found = false;

		if (len < 5 || strcmp(de->d_name + len - 4, ".xml"))
			continue;
		files++;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (strlen(cases[i].file) == len - 4 &&
			    !strncmp(cases[i].file, de->d_name, len - 4))
				found = true;
		cr_expect(found, "%s has no entry in the table", de->d_name);
	}
	closedir(d);
	cr_expect_eq(files, sizeof(cases) / sizeof(cases[0]));
}

Test(topology_malformed, missing_file_and_empty_buffer)
{
	struct p2psim_error err;
	p2psim_topology *topo = NULL;

	p2psim_error_clear(&err);
	cr_expect_eq(p2psim_topology_load_file("/nonexistent/x.xml", &topo, &err), P2PSIM_EINPUT);
	cr_expect_null(topo);
	cr_expect(strstr(err.message, "cannot open"), "%s", err.message);

	p2psim_error_clear(&err);
	cr_expect_eq(p2psim_topology_load_buffer("", 0, "empty.xml", &topo, &err), P2PSIM_EINPUT);
	cr_expect_null(topo);
	cr_expect_eq(err.line, 1);

	/* no network, no external entities */
	p2psim_error_clear(&err);
	static const char xxe[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE topology [<!ENTITY x SYSTEM \"http://example.invalid/x\">]>\n"
		"<topology version=\"1\" name=\"&x;\"><hostbridge id=\"a\"/></topology>\n";
	cr_expect_eq(p2psim_topology_load_buffer(xxe, sizeof(xxe) - 1, "xxe.xml", &topo, &err),
		     P2PSIM_EINPUT);
	cr_expect_null(topo);
}

/* Without the schema nothing loads: an internal error naming the path tried, not a crash. */
Test(topology_malformed, missing_schema_is_an_internal_error)
{
	struct p2psim_error err;
	p2psim_topology *topo = NULL;

	setenv("P2PSIM_DATA_DIR", "/nonexistent-p2psim-data", 1);
	p2psim_error_clear(&err);
	cr_expect_eq(p2psim_topology_load_file(P2PSIM_TESTDATA "/topo/enum-basic.xml", &topo, &err),
		     P2PSIM_EINTERNAL);
	cr_expect_null(topo);
	cr_expect(strstr(err.message, "cannot load the topology schema"), "%s", err.message);
	cr_expect_str_eq(err.file, "/nonexistent-p2psim-data/topology.rng");
	unsetenv("P2PSIM_DATA_DIR");
}
