/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * loader.h - what the pieces of the topology loader share (sim/topology/).
 *
 * load.c      reads the file, parses and validates it (libxml2 + RELAX NG) and
 *             runs the stages below in order, freeing everything on failure;
 * parse_xml.c turns the validated document into struct topology with the
 *             builder of models/pci/pci.h (per-element checks and defaults);
 * checks.c    the whole-machine checks: unique ids and BDFs, RAM/aperture
 *             overlaps, root bus ranges;
 * models/pci/enumerate.c assigns bus numbers and addresses in between.
 *
 * Every stage reports the first problem through load_error*() and returns a
 * negative errno; the caller stops at the first failure.
 */
#ifndef P2PSIM_SIM_TOPOLOGY_LOADER_H
#define P2PSIM_SIM_TOPOLOGY_LOADER_H

#include <libxml/tree.h>

#include "models/topology.h"
#include "p2psim/error.h"

/* Upper bound on functions (VFs included): protects against memory blow-ups. */
#define TOPOLOGY_MAX_FUNCTIONS 1000000u
/* Largest BAR, RAM range or aperture accepted (2^52 bytes: 4 PiB). */
#define TOPOLOGY_MAX_SIZE (1ULL << 52)
/* Longest id accepted (VF ids add ".vfNNNNN"). */
#define TOPOLOGY_MAX_ID_LEN 200

/* An id that no pci_dev holds (switches), kept for the uniqueness check. */
struct named_id {
	const char *id;
	int line;
};

struct load_ctx {
	const char *file; /* name used in messages */
	const char *buf; /* the source text (for column look-up) */
	size_t len;
	struct p2psim_error *err;
	struct topology *topo;
	struct named_id *switches;
	size_t nr_switches, cap_switches;
	unsigned int nr_default_apertures; /* host bridges given default apertures so far */
	/* attribute values that needed a copy (entity references): freed when loading ends */
	xmlChar **values;
	size_t nr_values, cap_values;
};

/* Record an input error about @node (its line; column of @attr or the element). Returns -EINVAL. */
int load_error(struct load_ctx *ctx, const xmlNode *node, const char *attr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Record an input error about source line @line. Returns -EINVAL. */
int load_error_line(struct load_ctx *ctx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Free what the load context holds (values, switch ids). */
void load_ctx_release(struct load_ctx *ctx);
/* Record an out-of-memory (internal) error. Returns -ENOMEM. */
int load_oom(struct load_ctx *ctx);

/* Column (1-based) of "<@elem" or of its attribute @attr on source line @line; 1 if not found. */
int load_column(const struct load_ctx *ctx, int line, const char *elem, const char *attr);

/* parse_xml.c */
int topology_build(struct load_ctx *ctx, const xmlNode *root);
/*
 * After RELAX NG validation failed: walk the document from @root in document
 * order with the schema's rules restated in C and report the first problem
 * precisely (unknown element or attribute, malformed value, missing required
 * attribute, misplaced child). Returns -EINVAL when it found one, else 0.
 */
int topology_diagnose(struct load_ctx *ctx, const xmlNode *root);
/* "12", "0x1f", "16M": 0, -EINVAL (not a number) or -ERANGE (overflow). */
int topology_parse_u64(const char *s, bool allow_suffix, u64 *out);

/* checks.c */
int topology_check_ids(struct load_ctx *ctx);
int topology_check_memory_map(struct load_ctx *ctx);
int topology_check_bdfs(struct load_ctx *ctx);
int topology_check_root_bus_ranges(struct load_ctx *ctx);

#endif /* P2PSIM_SIM_TOPOLOGY_LOADER_H */
