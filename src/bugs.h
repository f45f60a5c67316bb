/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bugs.h - injection points for historic upstream bugs (DESIGN.md §7;
 * reference/dmabuf-vfio.md §5).
 *
 * A bug set is a plain bit set of enum bug_id. Kernel code in src/ consults
 * it with bug_injected() exactly at the line the historic bug was on, and
 * runs the fixed code otherwise. The set is owned by whoever builds the
 * kernel instance (a test, later the world / `p2psim run --inject ID`);
 * a NULL set means "no bug injected".
 *
 * Owned here: enum bug_id, struct bug_set and the constant catalogue table
 * (id name, summary, the fix it reverts, the checker that must catch it),
 * which the bug-catalogue work (`p2psim bugs`) lists.
 */
#ifndef P2PSIM_SRC_BUGS_H
#define P2PSIM_SRC_BUGS_H

#include <stdbool.h>

#include "models/types.h"

/* Historic bugs of reference/dmabuf-vfio.md §5 that concern dma-buf / VFIO / importers. */
enum bug_id {
	BUG_NONE = 0,
	BUG_H1_INVERTED_REVOKE, /* move() called with !revoked */
	BUG_H2_FLR_RESTORE_REVOKES, /* FLR config paths "restore" with move(true) */
	BUG_H3_REVOKED_INIT_UNLOCKED, /* export: revoked = false, set outside memory_lock + resv */
	BUG_H4_NO_REVOKE_ON_MEM_CLEAR, /* PCI_COMMAND MEM clear zaps the BARs but does not revoke */
	BUG_H5_NO_UINT_MAX_SPLIT, /* one sg entry per range, length truncated to 32 bits */
	BUG_H6_VARIANT_USES_PCI_BAR, /* nvgrace: phys from the PCI BAR, not the device memory */
	BUG_H7_FD_FAIL_LEAK, /* v5: dma_buf_fd() error returned directly (leak) */
	BUG_H7_FD_FAIL_DOUBLE_FREE, /* v6..6.19.10: dma_buf_put + put registration + kfree */
	BUG_H8_P2PDMA_INIT_CHECK, /* init_dev returns early when pcim_p2pdma_init succeeds */
	BUG_H9_UNREVOKE_FORWARD_LOOP, /* hot reset: un-revoke in a separate loop over every device */
	BUG_H10_UNDO_NEVER_OPENED, /* hot-reset undo reads vconfig of a never-opened device */
	BUG_H11_NO_PCI_OPS_CHECK, /* export dereferences a NULL vdev->pci_ops */
	BUG_H14_SG_ADDR_32BIT, /* addr + i * UINT_MAX computed in 32 bits */
	BUG_H15_MAPPED_LEN_32BIT, /* IOVA mapped_len kept in an unsigned int */
	BUG_H16_ACCEPT_PINNED, /* pinned non-revocable importers accepted */
	BUG_H17_NO_REVOKE_WAITS, /* revoke returns right after the notify */
	BUG_H18_CLEANUP_REDRAIN, /* cleanup drains again; revoke does not re-arm kref/completion */
	BUG_H19_DISABLE_BEFORE_CLEANUP, /* close_device: core_disable before dma-buf cleanup */
	BUG_H20_UNREQUESTED_BAR, /* export from a BAR whose resources were never requested */
	BUG_H21_NON_MAPPABLE_BARS, /* provider handed out for non_mappable_bars devices */
	BUG_H22_IOMMUFD_FREE_BEFORE_DETACH, /* iommufd frees pages before dma_buf_detach */
	BUG_H23_IOMMUFD_UNPIN_NO_RESV, /* iommufd dma_buf_unpin without the resv in release */
	BUG_H24_IOMMUFD_ACCESS_PIN, /* dmabuf iopt_pages reachable from the access-pin path */
	BUG_H25_MLX5_DEREG_RACE, /* invalidate callback UMRs an mkey dereg already freed */
	/* The fixed bugs of reference/dma-iommu.md (kernel areas dma-direct, dma-iommu, HMM). */
	BUG_DMA_DIRECT_SG_BREAK, /* dma_direct_map_sg: `break` for THRU_HOST_BRIDGE (§4.4) */
	BUG_IOMMU_SG_HEAD_LEN, /* iommu_dma_map_sg: bus segment length from the list head */
	BUG_IOVA_LINK_SWIOTLB_UNWIND, /* two-step swiotlb empty middle / unwind offset (6ec91df8aff7) */
	BUG_IOVA_UNLINK_ZERO_PHYS, /* unlink loop does not stop on a zero translation */
	BUG_HMM_SYNC_FAIL_NO_UNLINK, /* hmm_dma_map_pfn: dma_iova_sync failure not unlinked */
	BUG__COUNT
};

struct bug_set {
	u64 mask; /* bit (1 << id) */
};

struct bug_info {
	enum bug_id id;
	const char *name; /* "H3" */
	const char *summary; /* one line */
	const char *fix; /* the upstream fix it reverts */
	const char *checker; /* the checker (and rule) that must catch it */
};

static inline bool bug_injected(const struct bug_set *set, enum bug_id id)
{
	return set && id > BUG_NONE && id < BUG__COUNT && (set->mask & (1ULL << id));
}

static inline void bug_set_inject(struct bug_set *set, enum bug_id id)
{
	if (id > BUG_NONE && id < BUG__COUNT)
		set->mask |= 1ULL << id;
}

/* The catalogue row of @id, NULL for BUG_NONE / out of range. */
const struct bug_info *bug_info(enum bug_id id);
/* By name ("H3", case-insensitive; "H7-leak" / "H7-double-free" for the two H7 variants). */
enum bug_id bug_find(const char *name);

#endif /* P2PSIM_SRC_BUGS_H */
