/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kernel_profile.h - what differs between the kernel versions p2psim can
 * imitate, in one place (DESIGN.md §4).
 *
 * The algorithms in src/ follow the newest upstream behaviour described in
 * the reference sheets; wherever an older (or a not-yet-merged) kernel
 * behaves differently, the difference is a field of struct kernel_profile
 * and the algorithm reads it. A profile is a constant: pick one by name with
 * kernel_profile_find() (the CLI's --kernel) or take kernel_profile_default().
 *
 * Owned here: the profile table and the P2PDMA host-bridge allowlist rows
 * (reference/p2pdma.md §9), which each profile selects a subset of.
 * Other areas (dma-buf, IOMMU) add their switches as new fields: a new field
 * must default to the upstream behaviour when left zero in older rows, or
 * be set in every row below.
 */
#ifndef P2PSIM_SRC_KERNEL_PROFILE_H
#define P2PSIM_SRC_KERNEL_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "models/types.h"

/* include/linux/mod_devicetable.h: the wildcard vendor/device ID. */
#define PCI_ANY_ID (~0)

/* pci_p2pdma_whitelist_entry flags */
#define REQ_SAME_HOST_BRIDGE (1u << 0)

/* One row of pci_p2pdma_whitelist[]; @device is an int so PCI_ANY_ID fits. */
struct pci_p2pdma_whitelist_entry {
	unsigned short vendor;
	int device;
	unsigned int flags;
	const char *comment; /* what the source comment / commit says the row is */
};

/* Which device the "Host bridge not in P2PDMA whitelist" warning is gated on. */
enum p2pdma_warnflag {
	P2PDMA_WARN_NEVER,          /* before ~v6.2: no such warning */
	P2PDMA_WARN_ACS_REDIRECTS,  /* upstream: warn = acs_redirects (even when !verbose) */
	P2PDMA_WARN_VERBOSE,        /* Leon's fix-p2p-acs-v5 d3b6ec12: warn = verbose */
};

struct kernel_profile {
	const char *name;        /* what --kernel takes, e.g. "upstream", "v6.19" */
	const char *summary;     /* one line for listings */
	const char *source;      /* tree and commit the behaviour was read from */

	/* --- drivers/pci/p2pdma.c ------------------------------------------ */
	const struct pci_p2pdma_whitelist_entry *const *p2pdma_whitelist; /* NULL-terminated rows */
	bool p2pdma_whitelist_any_id;      /* entry device is an int: PCI_ANY_ID matches any device */
	bool p2pdma_host_bridge_root_port; /* pci_host_bridge_dev() accepts a Root Port (~v5.13+) */
	enum p2pdma_warnflag p2pdma_warnflag;
	size_t p2pdma_acs_list_size;       /* seq_buf for the disable_acs_redir hint: 128, or PAGE_SIZE */
	bool p2pdma_find_needs_pool;       /* pci_has_p2pmem() also requires a gen_pool (primary) */

	/* --- kernel/dma/direct.c -------------------------------------------- */
	/*
	 * dma_direct_map_sg(): THRU_HOST_BRIDGE segments hit `break` instead of
	 * `fallthrough` (~v6.15 to v7.0) and keep an unset dma_address; false =
	 * the June 2026 fix (mapped by CPU physical address).
	 */
	bool dma_direct_sg_thru_hb_break;

	/* --- drivers/iommu/dma-iommu.c ----------------------------------------- */
	/*
	 * iommu_dma_map_sg(): a BUS_ADDR segment's dma_length read from the list
	 * head (sg->length) instead of the segment (reference/dma-iommu.md §3.4,
	 * "a latent bug"); no release row sets it, `--inject iommu-sg-head-len`
	 * does. false = the segment's own length.
	 */
	bool iommu_dma_sg_bus_len_from_head;

	/* --- mm/hmm.c ------------------------------------------------------------ */
	/*
	 * hmm_dma_map_pfn(): when dma_iova_sync() fails, the pfn's link is left
	 * in place (the entry reports an error and stays clean, so nothing ever
	 * unlinks it). No release row sets it, `--inject hmm-sync-no-unlink`
	 * does. false = the fix: dma_iova_unlink() before the error return.
	 */
	bool hmm_sync_fail_no_unlink;

	/* --- drivers/iommu/dma-iommu.c, two-step API --------------------------- */
	/*
	 * iommu_dma_iova_link_swiotlb() before 6ec91df8aff7: the aligned middle
	 * is linked even when empty (iommupt refuses a 0-length map), and the
	 * error unwind unlinks [0, mapped) of the reservation instead of
	 * [offset, offset + mapped), even when nothing was mapped. No release
	 * row sets it, `--inject iova-link-swiotlb` does. false = the fix.
	 */
	bool iova_link_swiotlb_old_unwind;
	/*
	 * iommu_dma_iova_unlink_range_slow() of the v5 series (Dec 2024):
	 * `if (WARN_ON(!phys)) continue;` in a do-while that advances addr only
	 * at the bottom, so a granule with no translation is looked up again
	 * forever (Robin Murphy's review: "Infinite WARN_ON loop"); merged with
	 * `return`. The model records the livelock and returns. No release row
	 * sets it, `--inject iova-unlink-zero` does.
	 */
	bool iova_unlink_zero_spins;

	/* --- drivers/dma-buf/dma-buf.c, drivers/vfio/pci/vfio_pci_dmabuf.c ---- */
	/*
	 * <= v6.19: dma_buf_move_notify() semantics: importer_ops without the
	 * op are refused at attach (-EINVAL) and every dynamic attachment is
	 * notified. false = 7.0 dma_buf_invalidate_mappings() (op optional).
	 */
	bool dmabuf_move_notify;
	/*
	 * v6.19: vfio_pci_dma_buf_move() sets revoked + notifies under the resv
	 * and returns: no fence wait, no kref / completion wait for importer
	 * unmaps (1a8a5227f229 added them). false = 7.0+ waits.
	 */
	bool vfio_dmabuf_no_revoke_waits;
	/*
	 * v6.19-rc7 .. v6.19 (61ceaf236115): the exporter has a pin op that
	 * returns -EOPNOTSUPP instead of the attach-time
	 * dma_buf_attach_revocable() check. false = 7.0+.
	 */
	bool vfio_dmabuf_pin_eopnotsupp;

	/* Room for other areas' switches: add fields above this line. */
};

/* The profile used when none is named: the newest upstream-track behaviour. */
const struct kernel_profile *kernel_profile_default(void);

/* Look a profile up by name (also accepts a few aliases); NULL if unknown. */
const struct kernel_profile *kernel_profile_find(const char *name);

/* Profiles in listing order, NULL past the end. */
const struct kernel_profile *kernel_profile_at(size_t index);
size_t kernel_profile_count(void);

/* Number of allowlist rows in @profile. */
size_t kernel_profile_whitelist_len(const struct kernel_profile *profile);

/* The row's 1-based position in the full table of reference/p2pdma.md §9. */
unsigned int p2pdma_whitelist_row_number(const struct pci_p2pdma_whitelist_entry *entry);

#endif /* P2PSIM_SRC_KERNEL_PROFILE_H */
