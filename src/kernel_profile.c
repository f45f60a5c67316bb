// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel_profile.c - the kernel profiles (kernel_profile.h) and the P2PDMA
 * host-bridge allowlist rows they select.
 *
 * The rows are those of pci_p2pdma_whitelist[] in drivers/pci/p2pdma.c of
 * the PCI tree at cd2698d76c31 (post-v7.3-rc1), in table order
 * (reference/p2pdma.md §9). Older kernels carry a prefix or a subset; each
 * profile lists the rows it has, in the order the kernel's table has them,
 * because __host_bridge_whitelist() stops at the first matching row.
 *
 * Release attributions are those of the reference sheet: v7.1 (Google
 * wildcard), ~v7.2 (Intel QAT/DSA/IAA), NVIDIA Vera Rubin "in -next, release
 * not verified", Zhaoxin "post-v7.3-rc1 PCI tree".
 */
#include <string.h>

#include "src/kernel_profile.h"

#define ROW(v, d, f, c) { .vendor = (v), .device = (d), .flags = (f), .comment = (c) }

static const struct pci_p2pdma_whitelist_entry p2pdma_rows[] = {
	ROW(0x8086, 0x3c00, REQ_SAME_HOST_BRIDGE, "Intel Xeon E5 / Core i7 (Sandy Bridge-EP)"),
	ROW(0x8086, 0x3c01, REQ_SAME_HOST_BRIDGE, "Intel Xeon E5 / Core i7 (Sandy Bridge-EP)"),
	ROW(0x8086, 0x2f00, REQ_SAME_HOST_BRIDGE, "Intel Xeon E7 v3 / E5 v3 (Haswell-EP)"),
	ROW(0x8086, 0x2f01, REQ_SAME_HOST_BRIDGE, "Intel Xeon E7 v3 / E5 v3 (Haswell-EP)"),
	ROW(0x8086, 0x2030, 0, "Intel Skylake-E"),
	ROW(0x8086, 0x2031, 0, "Intel Skylake-E"),
	ROW(0x8086, 0x2032, 0, "Intel Skylake-E"),
	ROW(0x8086, 0x2033, 0, "Intel Skylake-E"),
	ROW(0x8086, 0x2020, 0, "Intel Skylake-E"),
	ROW(0x8086, 0x09a2, 0, "Intel Xeon root bus (Ice Lake and later)"),
	ROW(0x8086, 0x0b25, 0, "Intel DSA (Sapphire Rapids)"),
	ROW(0x8086, 0x0cfe, 0, "Intel IAA (Sapphire Rapids)"),
	ROW(0x8086, 0x11fb, 0, "Intel DSA (Granite Rapids-D)"),
	ROW(0x8086, 0x1212, 0, "Intel DSA (Diamond Rapids)"),
	ROW(0x8086, 0x1216, 0, "Intel IAA (Diamond Rapids)"),
	ROW(0x8086, 0x4940, 0, "Intel QAT 4xxx"),
	ROW(0x8086, 0x4942, 0, "Intel QAT 401xx"),
	ROW(0x8086, 0x4944, 0, "Intel QAT 402xx"),
	ROW(0x8086, 0x4946, 0, "Intel QAT 420xx"),
	ROW(0x8086, 0x4948, 0, "Intel QAT 6xxx"),
	ROW(0x1ae0, PCI_ANY_ID, 0, "Google SoCs"),
	ROW(0x10de, 0x2f95, 0, "NVIDIA CPUs (Vera Rubin)"),
	ROW(0x10de, 0x2f96, 0, "NVIDIA CPUs (Vera Rubin)"),
	ROW(0x10de, 0x2f97, 0, "NVIDIA CPUs (Vera Rubin)"),
	ROW(0x10de, 0x2f98, 0, "NVIDIA CPUs (Vera Rubin)"),
	ROW(0x1d17, 0x1003, REQ_SAME_HOST_BRIDGE, "Zhaoxin KX-6000/KH-40000/KX-7000/KH-50000"),
	ROW(0x1d17, 0x1005, REQ_SAME_HOST_BRIDGE, "Zhaoxin KX-6000/KH-40000/KX-7000/KH-50000"),
	ROW(0x1d17, 0x1006, REQ_SAME_HOST_BRIDGE, "Zhaoxin KX-6000/KH-40000/KX-7000/KH-50000"),
	ROW(0x1d17, 0x1007, REQ_SAME_HOST_BRIDGE, "Zhaoxin KX-6000/KH-40000/KX-7000/KH-50000"),
	ROW(0x1d17, 0x1008, 0, "Zhaoxin KX-6000/KH-40000/KX-7000/KH-50000"),
};

#define R(n) (&p2pdma_rows[(n) - 1])

/* Primary: the PCI tree at cd2698d76c31, all 30 rows. */
static const struct pci_p2pdma_whitelist_entry *const rows_upstream[] = {
	R(1),  R(2),  R(3),  R(4),  R(5),  R(6),  R(7),  R(8),  R(9),  R(10),
	R(11), R(12), R(13), R(14), R(15), R(16), R(17), R(18), R(19), R(20),
	R(21), R(22), R(23), R(24), R(25), R(26), R(27), R(28), R(29), R(30),
	NULL,
};

/* Variant A (leon/linux-rdma 04673b71): rows 1-25, no Zhaoxin. */
static const struct pci_p2pdma_whitelist_entry *const rows_1_25[] = {
	R(1),  R(2),  R(3),  R(4),  R(5),  R(6),  R(7),  R(8),  R(9),  R(10), R(11), R(12), R(13),
	R(14), R(15), R(16), R(17), R(18), R(19), R(20), R(21), R(22), R(23), R(24), R(25), NULL,
};

/* ~v7.2: v7.1 plus the QAT/DSA/IAA rows (the NVIDIA rows are not attributed). */
static const struct pci_p2pdma_whitelist_entry *const rows_v7_2[] = {
	R(1),  R(2),  R(3),  R(4),  R(5),  R(6),  R(7),  R(8),  R(9),  R(10), R(11),
	R(12), R(13), R(14), R(15), R(16), R(17), R(18), R(19), R(20), R(21), NULL,
};

/* v7.1: rows 1-10 and the Google wildcard. */
static const struct pci_p2pdma_whitelist_entry *const rows_v7_1[] = {
	R(1), R(2), R(3), R(4), R(5), R(6), R(7), R(8), R(9), R(10), R(21), NULL,
};

/* ~v5.13 .. v6.19 (Variant B): rows 1-10. */
static const struct pci_p2pdma_whitelist_entry *const rows_1_10[] = {
	R(1), R(2), R(3), R(4), R(5), R(6), R(7), R(8), R(9), R(10), NULL,
};

/* v5.10-era: rows 1-9. */
static const struct pci_p2pdma_whitelist_entry *const rows_1_9[] = {
	R(1), R(2), R(3), R(4), R(5), R(6), R(7), R(8), R(9), NULL,
};

static const struct kernel_profile profiles[] = {
	{
		.name = "upstream",
		.summary = "newest upstream-track behaviour (PCI tree after v7.3-rc1; default)",
		.source = "kernelorg-mirror/linux_kernel_git_pci_pci @ cd2698d76c31",
		.p2pdma_whitelist = rows_upstream,
		.p2pdma_whitelist_any_id = true,
		.p2pdma_host_bridge_root_port = true,
		.p2pdma_warnflag = P2PDMA_WARN_ACS_REDIRECTS,
		.p2pdma_acs_list_size = 128,
		.p2pdma_find_needs_pool = true,
	},
	{
		.name = "leon-acs-v5",
		.summary = "upstream plus Leon's not-yet-merged warning fix (warn on verbose), no Zhaoxin rows",
		.source = "leon/linux-rdma @ 04673b7105e6 (d3b6ec12, d176a5a2)",
		.p2pdma_whitelist = rows_1_25,
		.p2pdma_whitelist_any_id = true,
		.p2pdma_host_bridge_root_port = true,
		.p2pdma_warnflag = P2PDMA_WARN_VERBOSE,
		.p2pdma_acs_list_size = 128,
		.p2pdma_find_needs_pool = true,
	},
	{
		.name = "v7.2",
		.summary = "~v7.2: v7.1 plus Intel QAT/DSA/IAA allowlist rows",
		.source = "reference/p2pdma.md §9 (0ba76b19, 7.1-stable review)",
		.p2pdma_whitelist = rows_v7_2,
		.p2pdma_whitelist_any_id = true,
		.p2pdma_host_bridge_root_port = true,
		.p2pdma_warnflag = P2PDMA_WARN_ACS_REDIRECTS,
		.p2pdma_acs_list_size = 128,
		.p2pdma_find_needs_pool = true,
	},
	{
		.name = "v7.1",
		.summary = "v7.1: Google wildcard row and PCI_ANY_ID matching",
		.source = "reference/p2pdma.md §9 (70cf146a, 1a1f96e3)",
		.p2pdma_whitelist = rows_v7_1,
		.p2pdma_whitelist_any_id = true,
		.p2pdma_host_bridge_root_port = true,
		.p2pdma_warnflag = P2PDMA_WARN_ACS_REDIRECTS,
		.p2pdma_acs_list_size = 128,
		.p2pdma_find_needs_pool = true,
	},
	{
		.name = "v6.19",
		.summary = "~v6.19 (first p2pdma_provider version): 10 Intel rows, exact device match",
		.source = "leon/linux-rdma @ 64aa4fcdb199",
		.p2pdma_whitelist = rows_1_10,
		.p2pdma_whitelist_any_id = false,
		.p2pdma_host_bridge_root_port = true,
		.p2pdma_warnflag = P2PDMA_WARN_ACS_REDIRECTS,
		.p2pdma_acs_list_size = 128,
		.p2pdma_find_needs_pool = false,
		.dmabuf_move_notify = true,
		.vfio_dmabuf_no_revoke_waits = true,
		.vfio_dmabuf_pin_eopnotsupp = true,
	},
	{
		.name = "v5.10",
		.summary = "~v5.10-v6.1: 9 Intel rows, root device only at 00.0, no host-bridge warning",
		.source = "sashal stable v5.10-era copy (reference/p2pdma.md §11.1)",
		.p2pdma_whitelist = rows_1_9,
		.p2pdma_whitelist_any_id = false,
		.p2pdma_host_bridge_root_port = false,
		.p2pdma_warnflag = P2PDMA_WARN_NEVER,
		.p2pdma_acs_list_size = 4096,
		.p2pdma_find_needs_pool = false,
		.dmabuf_move_notify = true,
		.vfio_dmabuf_no_revoke_waits = true,
		.vfio_dmabuf_pin_eopnotsupp = true,
	},
};

static const struct {
	const char *alias;
	const char *name;
} aliases[] = {
	{ "default", "upstream" },
	{ "latest", "upstream" },
	{ "pci-next", "upstream" },
	{ "variant-a", "leon-acs-v5" },
	{ "variant-b", "v6.19" },
	{ "7.2", "v7.2" },
	{ "7.1", "v7.1" },
	{ "6.19", "v6.19" },
	{ "5.10", "v5.10" },
};

const struct kernel_profile *kernel_profile_default(void)
{
	return &profiles[0];
}

const struct kernel_profile *kernel_profile_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(profiles); i++)
		if (!strcmp(profiles[i].name, name))
			return &profiles[i];
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (!strcmp(aliases[i].alias, name))
			return kernel_profile_find(aliases[i].name);
	return NULL;
}

const struct kernel_profile *kernel_profile_at(size_t index)
{
	return index < ARRAY_SIZE(profiles) ? &profiles[index] : NULL;
}

size_t kernel_profile_count(void)
{
	return ARRAY_SIZE(profiles);
}

size_t kernel_profile_whitelist_len(const struct kernel_profile *profile)
{
	size_t n = 0;

	while (profile->p2pdma_whitelist[n])
		n++;
	return n;
}

unsigned int p2pdma_whitelist_row_number(const struct pci_p2pdma_whitelist_entry *entry)
{
	return (unsigned int)(entry - p2pdma_rows) + 1;
}
