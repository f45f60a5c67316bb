// SPDX-License-Identifier: GPL-2.0-only
/*
 * catalogue.c - the kernel area and the injectability of each historic bug
 * (catalogue.h), and `--inject` parsing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/fuzz/catalogue.h"
#include "src/kernel_profile.h"

struct bug_extra {
	const char *area;
	const char *not_yet; /* NULL: injectable; else what is missing */
	struct bug_proof proof; /* zero: default.xml, default weights, PROOF_RUNS */
};

#define PROOF_TOPOLOGY "default.xml"
#define PROOF_RUNS 600
#define PROOF_DEFAULT         \
	{                     \
		NULL, NULL, 0 \
	} /* default.xml, default weights, PROOF_RUNS */
/*
 * The two-step swiotlb paths need an external-facing (untrusted) device
 * behind an IOMMU: desktop-nonallowlisted.xml's Thunderbolt NVMe, which the
 * generator puts in a strict domain; the IOVA steps weighted up.
 */
#define PROOF_TWOSTEP                                                     \
	{                                                                 \
		"desktop-nonallowlisted.xml", "iova=40,bad-unlink=8", 600 \
	}

/*
 * The dma-buf / VFIO bugs run on dmabuf.xml (an exportable 32 GiB GPU BAR,
 * NICs on both sides of the host bridge). No `iommu` setup lines: put in
 * dma-direct, a NIC maps P2P MMIO through dma_map_phys(), and two importers
 * of one dma-buf then overlap in dma-debug's cacheline tracking (docs/fuzz.md
 * §8) -- a finding of its own, not the bug being proved.
 */
#define PROOF_DMABUF                         \
	{                                    \
		"dmabuf.xml", "iommu=0", 600 \
	}
#define PROOF_DMABUF_W(w)                       \
	{                                       \
		"dmabuf.xml", "iommu=0," w, 600 \
	}

static const struct bug_extra extras[BUG__COUNT] = {
	[BUG_H1_INVERTED_REVOKE] = { "vfio-pci dma-buf", NULL, PROOF_DMABUF },
	[BUG_H2_FLR_RESTORE_REVOKES] = { "vfio-pci dma-buf", NULL, PROOF_DMABUF },
	[BUG_H3_REVOKED_INIT_UNLOCKED] = { "vfio-pci dma-buf", NULL, PROOF_DMABUF },
	[BUG_H4_NO_REVOKE_ON_MEM_CLEAR] = { "vfio-pci dma-buf", NULL, PROOF_DMABUF },
	[BUG_H5_NO_UINT_MAX_SPLIT] = { "dma-buf mapping", NULL, PROOF_DMABUF },
	[BUG_H6_VARIANT_USES_PCI_BAR] = { "vfio-pci variant", NULL, PROOF_DMABUF },
	[BUG_H7_FD_FAIL_LEAK] = { "vfio-pci dma-buf", NULL, PROOF_DMABUF },
	[BUG_H7_FD_FAIL_DOUBLE_FREE] = { "vfio-pci dma-buf", NULL, PROOF_DMABUF },
	[BUG_H8_P2PDMA_INIT_CHECK] = { "vfio-pci core", NULL, PROOF_DMABUF },
	[BUG_H9_UNREVOKE_FORWARD_LOOP] = { "vfio-pci hot reset", NULL, PROOF_DMABUF },
	[BUG_H10_UNDO_NEVER_OPENED] = { "vfio-pci hot reset", NULL,
					PROOF_DMABUF_W("event=15,vfio=15,storm=0") },
	[BUG_H11_NO_PCI_OPS_CHECK] = { "vfio-pci dma-buf", NULL, PROOF_DMABUF },
	[BUG_H14_SG_ADDR_32BIT] = { "dma-buf mapping", NULL, PROOF_DMABUF },
	[BUG_H15_MAPPED_LEN_32BIT] = { "dma-buf mapping", NULL,
				       PROOF_DMABUF_W("export=8,import=8") },
	[BUG_H16_ACCEPT_PINNED] = { "vfio-pci dma-buf", NULL, PROOF_DMABUF },
	[BUG_H17_NO_REVOKE_WAITS] = { "vfio-pci dma-buf", NULL, PROOF_DMABUF },
	[BUG_H18_CLEANUP_REDRAIN] = { "vfio-pci dma-buf", NULL, PROOF_DMABUF },
	[BUG_H19_DISABLE_BEFORE_CLEANUP] = { "vfio-pci core", NULL, PROOF_DMABUF },
	[BUG_H20_UNREQUESTED_BAR] = { "vfio-pci dma-buf", NULL, PROOF_DMABUF },
	[BUG_H21_NON_MAPPABLE_BARS] = { "vfio-pci dma-buf", NULL, PROOF_DMABUF },
	[BUG_H22_IOMMUFD_FREE_BEFORE_DETACH] = { "iommufd", NULL, PROOF_DMABUF },
	[BUG_H23_IOMMUFD_UNPIN_NO_RESV] = { "iommufd", NULL, PROOF_DMABUF },
	[BUG_H24_IOMMUFD_ACCESS_PIN] = { "iommufd", NULL, PROOF_DMABUF_W("importer=20,import=10") },
	[BUG_H25_MLX5_DEREG_RACE] = { "mlx5 importer", NULL, PROOF_DMABUF_W("race=20") },
	[BUG_DMA_DIRECT_SG_BREAK] = { "dma-direct", NULL, PROOF_DEFAULT },
	[BUG_IOMMU_SG_HEAD_LEN] = { "dma-iommu", NULL, PROOF_DEFAULT },
	[BUG_IOVA_LINK_SWIOTLB_UNWIND] = { "dma-iommu two-step", NULL, PROOF_TWOSTEP },
	[BUG_IOVA_UNLINK_ZERO_PHYS] = { "dma-iommu two-step", NULL, PROOF_TWOSTEP },
	[BUG_HMM_SYNC_FAIL_NO_UNLINK] = { "HMM", NULL, PROOF_DEFAULT },
};

const char *bug_area(enum bug_id id)
{
	if (id <= BUG_NONE || id >= BUG__COUNT || !extras[id].area)
		return "";
	return extras[id].area;
}

void bug_proof(enum bug_id id, struct bug_proof *out)
{
	*out = (struct bug_proof){ PROOF_TOPOLOGY, NULL, PROOF_RUNS };
	if (id <= BUG_NONE || id >= BUG__COUNT)
		return;
	if (extras[id].proof.topology)
		out->topology = extras[id].proof.topology;
	out->weights = extras[id].proof.weights;
	if (extras[id].proof.runs)
		out->runs = extras[id].proof.runs;
}

bool bug_injectable(enum bug_id id, const char **why)
{
	const char *missing = "unknown bug";

	if (id > BUG_NONE && id < BUG__COUNT)
		missing = extras[id].area ? extras[id].not_yet : "not described";
	if (why)
		*why = missing;
	return !missing;
}

/* @any_point: accept every bug of the catalogue (each has its injection point), not only
 * the ones a fuzz test proves injectable. */
static int parse_list(const char *list, struct bug_set *set, bool any_point, char *msg, size_t len)
{
	const char *p = list;

	set->mask = 0;
	if (!*list) {
		snprintf(msg, len, "empty --inject list ('p2psim bugs' lists the ids)");
		return -EINVAL;
	}
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char name[64];
		const char *why;
		enum bug_id id;

		if (!n || n >= sizeof(name)) {
			snprintf(msg, len, "bad --inject list '%s'", list);
			return -EINVAL;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		id = bug_find(name);
		if (id == BUG_NONE) {
			snprintf(msg, len, "unknown bug '%s' ('p2psim bugs' lists the ids)", name);
			return -EINVAL;
		}
		if (!any_point && !bug_injectable(id, &why)) {
			snprintf(msg, len, "bug '%s' cannot be injected yet: %s", name, why);
			return -EINVAL;
		}
		bug_set_inject(set, id);
		p += n;
		if (*p == ',' && !*++p) {
			snprintf(msg, len, "bad --inject list '%s'", list);
			return -EINVAL;
		}
	}
	return 0;
}

int bug_set_parse(const char *list, struct bug_set *set, char *msg, size_t len)
{
	return parse_list(list, set, false, msg, len);
}

int bug_set_parse_run(const char *list, struct bug_set *set, char *msg, size_t len)
{
	return parse_list(list, set, true, msg, len);
}

void bug_set_apply_profile(const struct bug_set *set, struct kernel_profile *profile)
{
	/* kernel/dma/direct.c: the injection point is the profile switch (src/dma/direct.c). */
	if (bug_injected(set, BUG_DMA_DIRECT_SG_BREAK))
		profile->dma_direct_sg_thru_hb_break = true;
	/* drivers/iommu/dma-iommu.c: iommu_dma_map_sg() bus-address segment length */
	if (bug_injected(set, BUG_IOMMU_SG_HEAD_LEN))
		profile->iommu_dma_sg_bus_len_from_head = true;
	/* mm/hmm.c: hmm_dma_map_pfn() does not unlink when dma_iova_sync() fails */
	if (bug_injected(set, BUG_HMM_SYNC_FAIL_NO_UNLINK))
		profile->hmm_sync_fail_no_unlink = true;
	/* drivers/iommu/dma-iommu.c: the two-step swiotlb link and the unlink slow path */
	if (bug_injected(set, BUG_IOVA_LINK_SWIOTLB_UNWIND))
		profile->iova_link_swiotlb_old_unwind = true;
	if (bug_injected(set, BUG_IOVA_UNLINK_ZERO_PHYS))
		profile->iova_unlink_zero_spins = true;
}
