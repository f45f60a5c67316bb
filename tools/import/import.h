/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * import.h - `p2psim import`: turn other tools' machine descriptions into a
 * p2psim topology.
 *
 * Every importer (hwloc.c, nccl.c, sysfs.c, lspci.c) reads its input into the
 * same small intermediate form, a struct imp_machine: host bridges, each with
 * a tree of PCI functions (bridges and endpoints) carrying what the input
 * says (BDF, IDs, class, bus ranges, BARs, ACS) and marking what it does not
 * say as unknown. emit.c owns everything after that: bus-range checks, the
 * mapping of bridges onto root ports / switch ports, the ACS / IOMMU / CPU /
 * host-bridge assumptions (struct imp_options), ids, apertures, and the XML
 * (written with libxml2's tree API, assumptions recorded as XML comments).
 *
 * Errors in the input are reported through struct p2psim_error with the file
 * and line (for directories: the path of the offending sysfs file) and
 * P2PSIM_EINPUT; out of memory is P2PSIM_EINTERNAL.
 */
#ifndef P2PSIM_TOOLS_IMPORT_H
#define P2PSIM_TOOLS_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p2psim/p2psim.h"

enum imp_kind {
	IMP_HOSTFN, /* root-bus function that does no DMA (host bridge function) */
	IMP_ENDPOINT, /* anything that is not a bridge */
	IMP_BRIDGE, /* PCI-to-PCI bridge: root port, switch port, PCIe-to-PCI bridge */
};

enum imp_bar_kind { IMP_BAR_MEM32, IMP_BAR_MEM64, IMP_BAR_IO };

struct imp_bar {
	bool present;
	enum imp_bar_kind kind;
	bool prefetchable;
	uint64_t size_bytes;
	bool has_address;
	uint64_t address; /* CPU physical, as sysfs `resource` and lspci print it */
	int line; /* where the input gives it (0: the function's line) */
};

#define IMP_UNKNOWN (-1)

/* ACS Capability / Control bits (PCIe ACS Extended Capability). */
#define IMP_ACS_SV 0x0001
#define IMP_ACS_TB 0x0002
#define IMP_ACS_RR 0x0004
#define IMP_ACS_CR 0x0008
#define IMP_ACS_UF 0x0010
#define IMP_ACS_EC 0x0020
#define IMP_ACS_DT 0x0040
/* What Linux sets on ACS-capable ports when an IOMMU driver asked for ACS. */
#define IMP_ACS_IOMMU_DEFAULT (IMP_ACS_SV | IMP_ACS_RR | IMP_ACS_CR | IMP_ACS_UF)

struct imp_fn {
	enum imp_kind kind;
	int domain, bus, dev, fn; /* bus may be IMP_UNKNOWN for synthetic functions */
	int vendor, device; /* IMP_UNKNOWN when the input does not say */
	long class_code; /* 24-bit, IMP_UNKNOWN when the input does not say */
	int secondary, subordinate; /* bridges; IMP_UNKNOWN when not given */
	bool acs_known; /* the input says whether there is an ACS capability */
	bool acs_present; /* ... and there is one: */
	unsigned int acs_cap, acs_ctrl;
	bool is_vf;
	struct imp_bar bars[6];
	char *label; /* human description (vendor/device names), may be NULL */
	char *note; /* one comment for this function, may be NULL */
	int line; /* where the input describes it (0: unknown) */
	char *source; /* file of that line, NULL for the main input */

	struct imp_fn *parent; /* NULL on the root bus */
	struct imp_fn *children; /* first child */
	struct imp_fn *next; /* next sibling */

	char id[64]; /* assigned by the emitter */
};

struct imp_hostbridge {
	int domain, bus;
	int bus_end; /* last bus number below it, IMP_UNKNOWN if not given */
	int numa_node; /* IMP_UNKNOWN if not given */
	int line;
	char *source;
	char *note;
	struct imp_fn *children; /* root-bus functions */
	char id[32];
};

struct imp_machine {
	char *name; /* topology name */
	const char *format; /* "hwloc", "nccl", "sysfs", "lspci" */
	const char *input; /* the INPUT argument */
	bool cpu_known;
	char cpu_vendor[16]; /* intel|amd|hygon|arm|other */
	long cpu_family;
	char *cpu_source; /* where the CPU came from ("hwloc CPUVendor/CPUFamilyNumber") */

	struct imp_hostbridge **hbs;
	size_t nr_hbs, cap_hbs;

	/* Notes about the input, written as comments in the output header. */
	char **notes;
	size_t nr_notes, cap_notes;
};

enum imp_acs_policy {
	IMP_ACS_DEFAULT, /* as-is where known, iommu-default where unknown */
	IMP_ACS_AS_IS,
	IMP_ACS_IOMMU_DEFAULT_POLICY,
	IMP_ACS_OFF,
};

struct imp_host_bridge_opt {
	bool any_bus; /* "*=VENDOR:DEVICE" */
	int domain, bus;
	int vendor, device;
	bool used;
};

struct imp_options {
	enum imp_acs_policy acs;
	const char *iommu; /* "auto", "none" or an <iommu type> */
	bool cpu_given;
	char cpu_vendor[16];
	long cpu_family;
	struct imp_host_bridge_opt *host_bridges;
	size_t nr_host_bridges;
	bool keep_addresses; /* write BAR addresses the input gives */
	const char *options_text; /* the options as given, without leading dashes (may be NULL) */
};

/* Building the intermediate form (emit.c). */
struct imp_machine *imp_machine_new(const char *format, const char *input);
void imp_machine_free(struct imp_machine *m);
struct imp_hostbridge *imp_add_hostbridge(struct imp_machine *m, int domain, int bus, int line);
struct imp_hostbridge *imp_find_hostbridge(struct imp_machine *m, int domain, int bus);
/* A new function, all unknown, with the BDF given; NULL on out-of-memory. */
struct imp_fn *imp_fn_new(enum imp_kind kind, int domain, int bus, int dev, int fn, int line);
void imp_fn_free(struct imp_fn *f);
/* Append @child under @parent (a bridge) or, when @parent is NULL, on @hb's root bus. */
void imp_fn_attach(struct imp_hostbridge *hb, struct imp_fn *parent, struct imp_fn *child);
int imp_note(struct imp_machine *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Replace *@dst with a formatted string; -ENOMEM on failure. */
int imp_strset(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "GenuineIntel" -> "intel", "AuthenticAMD" -> "amd", ... */
const char *imp_cpu_vendor_from_id(const char *vendor_id);
/* Parse "DDDD:BB:DD.F" or "BB:DD.F"; returns 0 or -EINVAL. */
int imp_parse_bdf(const char *s, int *domain, int *bus, int *dev, int *fn);

/* Parse an XML file with libxml2 (no network, no DTD); errors carry FILE:LINE. */
struct _xmlDoc;
int imp_xml_read(const char *path, struct _xmlDoc **doc, struct p2psim_error *err);

/* The importers: fill @m from @path. Return P2PSIM_OK / _EINPUT / _EINTERNAL. */
int imp_read_hwloc(const char *path, struct imp_machine *m, struct p2psim_error *err);
int imp_read_nccl(const char *path, struct imp_machine *m, struct p2psim_error *err);
int imp_read_sysfs(const char *path, struct imp_machine *m, struct p2psim_error *err);
int imp_read_lspci(const char *path, struct imp_machine *m, struct p2psim_error *err);

/*
 * Check @m and turn it into p2psim topology XML (a malloc'd, NUL-terminated
 * buffer in *@out, its length in *@len). Bus-range errors are P2PSIM_EINPUT
 * with the file and line of the offending function.
 */
int imp_emit(struct imp_machine *m, const struct imp_options *opts, char **out, size_t *len,
	     struct p2psim_error *err);

#endif /* P2PSIM_TOOLS_IMPORT_H */
