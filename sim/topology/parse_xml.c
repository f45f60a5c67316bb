// SPDX-License-Identifier: GPL-2.0-only
/*
 * parse_xml.c - from a schema-valid topology document to struct topology.
 *
 * Walks the libxml2 tree once, element by element, parsing every attribute
 * (numbers, sizes, enums), applying the defaults of docs/topology.md and the
 * checks that concern one element (ranges, power-of-two sizes, BAR slots,
 * ACS bits, link rules), and builds the PCI tree with the builder of
 * models/pci/pci.h. Also owns the attribute table used to explain a RELAX NG
 * failure precisely (topology_diagnose).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "models/pci/enumerate.h"
#include "sim/topology/loader.h"

/* --- attribute table (mirrors topologies/topology.rng) ------------------ */

enum attr_type {
	AT_NUMBER, /* decimal or 0x hex */
	AT_SIZE, /* number with optional K/M/G/T */
	AT_SIZELIST, /* comma-separated sizes */
	AT_BOOL, /* yes|no */
	AT_ID,
	AT_TEXT,
	AT_ENUM,
};

struct attr_spec {
	const char *name;
	enum attr_type type;
	const char *const *values; /* AT_ENUM: NULL-terminated */
};

struct elem_spec {
	const char *name;
	const struct attr_spec *attrs; /* terminated by { NULL } */
	const char *const *children; /* NULL-terminated; NULL: no children */
};

static const char *const cpu_vendors[] = { "intel", "amd", "hygon", "arm", "other", NULL };
static const char *const iommu_types[] = { "intel-vtd", "amd-vi", "arm-smmuv3", "generic", NULL };
static const char *const iommu_modes[] = { "strict", "lazy", "passthrough", "off", NULL };
static const char *const aperture_kinds[] = { "mem32", "mem64", NULL };
static const char *const bar_kinds[] = { "mem32", "mem64", "io", NULL };

#define FUNCTION_COMMON                                                               \
	{ "id", AT_ID, NULL }, { "dev", AT_NUMBER, NULL }, { "fn", AT_NUMBER, NULL }, \
		{ "vendor", AT_NUMBER, NULL }, { "device", AT_NUMBER, NULL },         \
		{ "class", AT_NUMBER, NULL }, { "acs-cap", AT_NUMBER, NULL },         \
	{                                                                             \
		"acs-ctrl", AT_NUMBER, NULL                                           \
	}

static const struct attr_spec topology_attrs[] = { { "version", AT_NUMBER, NULL },
						   { "name", AT_TEXT, NULL },
						   { NULL, 0, NULL } };
static const struct attr_spec cpu_attrs[] = { { "vendor", AT_ENUM, cpu_vendors },
					      { "family", AT_NUMBER, NULL },
					      { NULL, 0, NULL } };
static const struct attr_spec memory_attrs[] = { { NULL, 0, NULL } };
static const struct attr_spec ram_attrs[] = { { "base", AT_SIZE, NULL },
					      { "size", AT_SIZE, NULL },
					      { "node", AT_NUMBER, NULL },
					      { NULL, 0, NULL } };
static const struct attr_spec iommu_attrs[] = { { "id", AT_ID, NULL },
						{ "type", AT_ENUM, iommu_types },
						{ "pgsizes", AT_SIZELIST, NULL },
						{ "iotlb-entries", AT_NUMBER, NULL },
						{ "iotlb-ways", AT_NUMBER, NULL },
						{ "mode", AT_ENUM, iommu_modes },
						{ "fq-size", AT_NUMBER, NULL },
						{ "fq-timeout-ms", AT_NUMBER, NULL },
						{ NULL, 0, NULL } };
static const struct attr_spec hostbridge_attrs[] = { { "id", AT_ID, NULL },
						     { "domain", AT_NUMBER, NULL },
						     { "bus", AT_NUMBER, NULL },
						     { "iommu", AT_ID, NULL },
						     { "p2p-forwarding", AT_BOOL, NULL },
						     { "numa-node", AT_NUMBER, NULL },
						     { NULL, 0, NULL } };
static const struct attr_spec aperture_attrs[] = { { "kind", AT_ENUM, aperture_kinds },
						   { "cpu", AT_SIZE, NULL },
						   { "size", AT_SIZE, NULL },
						   { "bus-offset", AT_SIZE, NULL },
						   { NULL, 0, NULL } };
static const struct attr_spec function_attrs[] = { FUNCTION_COMMON, { NULL, 0, NULL } };
static const struct attr_spec endpoint_attrs[] = { FUNCTION_COMMON,
						   { "dma-mask", AT_NUMBER, NULL },
						   { "coherent", AT_BOOL, NULL },
						   { "untrusted", AT_BOOL, NULL },
						   { NULL, 0, NULL } };
static const struct attr_spec port_attrs[] = { FUNCTION_COMMON,
					       { "secondary", AT_NUMBER, NULL },
					       { "subordinate", AT_NUMBER, NULL },
					       { NULL, 0, NULL } };
static const struct attr_spec switch_attrs[] = { { "id", AT_ID, NULL },
						 { "vendor", AT_NUMBER, NULL },
						 { "device", AT_NUMBER, NULL },
						 { NULL, 0, NULL } };
static const struct attr_spec bar_attrs[] = { { "index", AT_NUMBER, NULL },
					      { "size", AT_SIZE, NULL },
					      { "kind", AT_ENUM, bar_kinds },
					      { "prefetchable", AT_BOOL, NULL },
					      { "p2pmem", AT_BOOL, NULL },
					      { "address", AT_SIZE, NULL },
					      { NULL, 0, NULL } };
static const struct attr_spec sriov_attrs[] = {
	{ "vfs", AT_NUMBER, NULL },	  { "vf-device", AT_NUMBER, NULL },
	{ "vf-offset", AT_NUMBER, NULL }, { "vf-stride", AT_NUMBER, NULL },
	{ "vf-bar-size", AT_SIZE, NULL }, { NULL, 0, NULL }
};

static const char *const topology_children[] = { "cpu", "memory", "iommu", "hostbridge", NULL };
static const char *const memory_children[] = { "ram", NULL };
static const char *const hostbridge_children[] = { "aperture", "function", "endpoint", "rootport",
						   NULL };
static const char *const bar_only[] = { "bar", NULL };
static const char *const endpoint_children[] = { "bar", "sriov", NULL };
static const char *const port_children[] = { "bar", "endpoint", "switch", NULL };
static const char *const switch_children[] = { "upstream", "downstream", NULL };

static const struct elem_spec elem_specs[] = {
	{ "topology", topology_attrs, topology_children },
	{ "cpu", cpu_attrs, NULL },
	{ "memory", memory_attrs, memory_children },
	{ "ram", ram_attrs, NULL },
	{ "iommu", iommu_attrs, NULL },
	{ "hostbridge", hostbridge_attrs, hostbridge_children },
	{ "aperture", aperture_attrs, NULL },
	{ "function", function_attrs, bar_only },
	{ "endpoint", endpoint_attrs, endpoint_children },
	{ "rootport", port_attrs, port_children },
	{ "switch", switch_attrs, switch_children },
	{ "upstream", port_attrs, bar_only },
	{ "downstream", port_attrs, port_children },
	{ "bar", bar_attrs, NULL },
	{ "sriov", sriov_attrs, NULL },
};

static const struct elem_spec *find_elem_spec(const xmlChar *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(elem_specs); i++)
		if (!strcmp((const char *)name, elem_specs[i].name))
			return &elem_specs[i];
	return NULL;
}

static const struct attr_spec *find_attr_spec(const struct elem_spec *es, const char *name)
{
	for (const struct attr_spec *a = es->attrs; a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

/* --- values --------------------------------------------------------------- */

int topology_parse_u64(const char *s, bool allow_suffix, u64 *out)
{
	unsigned int base = 10, shift = 0;
	const char *p = s;
	u64 v = 0;
	bool digits = false;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned int)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned int)(*p - 'A' + 10);
		else
			break;
		if (__builtin_mul_overflow(v, (u64)base, &v) ||
		    __builtin_add_overflow(v, (u64)d, &v))
			return -ERANGE;
		digits = true;
	}
	if (!digits)
		return -EINVAL;
	if (allow_suffix) {
		switch (*p) {
		case 'K':
			shift = 10;
			break;
		case 'M':
			shift = 20;
			break;
		case 'G':
			shift = 30;
			break;
		case 'T':
			shift = 40;
			break;
		}
		if (shift) {
			p++;
			if (v > (UINT64_MAX >> shift))
				return -ERANGE;
			v <<= shift;
		}
	}
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool is_pow2(u64 v)
{
	return v && !(v & (v - 1));
}

/* The value of attribute @name of @node, or NULL when absent. */
static const char *attr(struct load_ctx *ctx, const xmlNode *node, const char *name)
{
	xmlAttr *a = xmlHasProp((xmlNode *)node, (const xmlChar *)name);

	if (!a)
		return NULL;
	if (a->children && a->children->type == XML_TEXT_NODE && !a->children->next)
		return a->children->content ? (const char *)a->children->content : "";
	/* several children (entity references): a copy that lives until the load ends */
	if (ctx->nr_values == ctx->cap_values) {
		size_t ncap = ctx->cap_values ? ctx->cap_values * 2 : 8;
		xmlChar **n = realloc(ctx->values, ncap * sizeof(*n));

		if (!n)
			return "";
		ctx->values = n;
		ctx->cap_values = ncap;
	}
	ctx->values[ctx->nr_values] = xmlNodeListGetString(node->doc, a->children, 1);
	if (!ctx->values[ctx->nr_values])
		return "";
	return (const char *)ctx->values[ctx->nr_values++];
}

/* "<endpoint 'gpu0'>", "<bar> of 'gpu0'", "<cpu>" */
static const char *describe(const xmlNode *node, char *buf, size_t len)
{
	xmlAttr *id = xmlHasProp((xmlNode *)node, (const xmlChar *)"id");
	const xmlNode *parent = node->parent;

	if (id && id->children && id->children->content) {
		snprintf(buf, len, "<%s '%s'>", node->name, id->children->content);
		return buf;
	}
	if (parent && parent->type == XML_ELEMENT_NODE) {
		xmlAttr *pid = xmlHasProp((xmlNode *)parent, (const xmlChar *)"id");

		if (pid && pid->children && pid->children->content) {
			snprintf(buf, len, "<%s> of '%s'", node->name, pid->children->content);
			return buf;
		}
	}
	snprintf(buf, len, "<%s>", node->name);
	return buf;
}

static int value_error(struct load_ctx *ctx, const xmlNode *node, const char *name,
		       const char *value, int ret, bool suffix)
{
	char d[160];

	describe(node, d, sizeof(d));
	if (ret == -ERANGE)
		return load_error(ctx, node, name, "attribute '%s' of %s: '%s' is too large", name,
				  d, value);
	return load_error(ctx, node, name, "attribute '%s' of %s: '%s' is not a %s", name, d, value,
			  suffix ? "size (decimal or 0x hex, optional K/M/G/T suffix)" :
				   "number (decimal or 0x hex)");
}

/* Number attribute in [min, max]; @def when absent. *@given says whether it was present. */
static int attr_u64(struct load_ctx *ctx, const xmlNode *node, const char *name, bool suffix,
		    u64 def, u64 min, u64 max, u64 *out, bool *given)
{
	const char *v = attr(ctx, node, name);
	char d[160];
	int ret;

	if (given)
		*given = v != NULL;
	if (!v) {
		*out = def;
		return 0;
	}
	ret = topology_parse_u64(v, suffix, out);
	if (ret)
		return value_error(ctx, node, name, v, ret, suffix);
	if (*out < min || *out > max) {
		describe(node, d, sizeof(d));
		return load_error(ctx, node, name,
				  "attribute '%s' of %s: %s is out of range (%#llx..%#llx)", name,
				  d, v, (unsigned long long)min, (unsigned long long)max);
	}
	return 0;
}

static int attr_bool(struct load_ctx *ctx, const xmlNode *node, const char *name, bool def,
		     bool *out)
{
	const char *v = attr(ctx, node, name);
	char d[160];

	if (!v) {
		*out = def;
		return 0;
	}
	if (!strcmp(v, "yes") || !strcmp(v, "no")) {
		*out = v[0] == 'y';
		return 0;
	}
	describe(node, d, sizeof(d));
	return load_error(ctx, node, name, "attribute '%s' of %s: '%s' is not yes or no", name, d,
			  v);
}

static int attr_enum(struct load_ctx *ctx, const xmlNode *node, const char *name,
		     const char *const *values, int def, int *out)
{
	const char *v = attr(ctx, node, name);
	char d[160], list[160] = "";

	if (!v) {
		*out = def;
		return 0;
	}
	for (int i = 0; values[i]; i++) {
		if (!strcmp(v, values[i])) {
			*out = i;
			return 0;
		}
	}
	for (int i = 0; values[i]; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 values[i]);
	describe(node, d, sizeof(d));
	return load_error(ctx, node, name, "attribute '%s' of %s: '%s' is not one of %s", name, d,
			  v, list);
}

static bool is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static int line_of(const xmlNode *node)
{
	long l = xmlGetLineNo((xmlNode *)node);

	return l > 0 && l < INT32_MAX ? (int)l : 0;
}

/* --- diagnosis of a schema failure ---------------------------------------- */

static bool valid_id(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.:-", *s)))
			return false;
	return true;
}

/* The schema's rules for one element: its place, its attributes, their lexical form. */
static int lint_element(struct load_ctx *ctx, const xmlNode *node)
{
	const struct elem_spec *es, *ps;
	char d[160];
	int dummy;
	u64 v;
	bool b;

	describe(node, d, sizeof(d));
	es = find_elem_spec(node->name);
	if (node->parent && node->parent->type == XML_ELEMENT_NODE) {
		ps = find_elem_spec(node->parent->name);
		if (ps) {
			bool allowed = false;

			for (const char *const *c = ps->children; c && *c; c++)
				if (!strcmp(*c, (const char *)node->name))
					allowed = true;
			if (!allowed)
				return load_error(ctx, node, NULL,
						  "unexpected element <%s> inside <%s>%s",
						  node->name, node->parent->name,
						  es ? "" : " (unknown element)");
		}
	}
	if (!es)
		return load_error(ctx, node, NULL, "unknown element <%s>", node->name);
	for (const xmlAttr *a = node->properties; a; a = a->next) {
		const struct attr_spec *as = find_attr_spec(es, (const char *)a->name);
		const char *val;

		if (!as || a->ns)
			return load_error(ctx, node, (const char *)a->name,
					  "unknown attribute '%s' on %s", a->name, d);
		val = attr(ctx, node, as->name);
		switch (as->type) {
		case AT_NUMBER:
		case AT_SIZE:
			if (attr_u64(ctx, node, as->name, as->type == AT_SIZE, 0, 0, UINT64_MAX, &v,
				     NULL))
				return -EINVAL;
			break;
		case AT_SIZELIST: {
			char *copy = strdup(val), *save = NULL;

			if (!copy)
				return load_oom(ctx);
			for (char *t = strtok_r(copy, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				int ret = topology_parse_u64(t, true, &v);

				if (ret) {
					free(copy);
					return load_error(ctx, node, as->name,
							  "attribute '%s' of %s: '%s' is not a "
							  "comma-separated list of sizes",
							  as->name, d, val);
				}
			}
			free(copy);
			break;
		}
		case AT_BOOL:
			if (attr_bool(ctx, node, as->name, false, &b))
				return -EINVAL;
			break;
		case AT_ENUM:
			if (attr_enum(ctx, node, as->name, as->values, 0, &dummy))
				return -EINVAL;
			break;
		case AT_ID:
			if (!valid_id(val))
				return load_error(ctx, node, as->name,
						  "attribute '%s' of %s: '%s' is not a valid id "
						  "(letters, digits, _ . : -, not starting with a "
						  "digit)",
						  as->name, d, val);
			break;
		case AT_TEXT:
			if (!*val)
				return load_error(ctx, node, as->name,
						  "attribute '%s' of %s is empty", as->name, d);
			break;
		}
	}
	for (const struct attr_spec *as = es->attrs; as->name; as++) {
		bool required = !strcmp(as->name, "id") || !strcmp(as->name, "version") ||
				!strcmp(as->name, "name");

		if (!strcmp(es->name, "bar"))
			required = !strcmp(as->name, "index") || !strcmp(as->name, "size") ||
				   !strcmp(as->name, "kind");
		else if (!strcmp(es->name, "ram"))
			required = !strcmp(as->name, "base") || !strcmp(as->name, "size");
		else if (!strcmp(es->name, "aperture"))
			required = strcmp(as->name, "bus-offset") != 0;
		else if (!strcmp(es->name, "sriov"))
			required = !strcmp(as->name, "vfs");
		else if (!strcmp(es->name, "function") || !strcmp(es->name, "endpoint") ||
			 !strcmp(es->name, "rootport"))
			required = required || !strcmp(as->name, "vendor") ||
				   !strcmp(as->name, "device");
		if (required && !xmlHasProp((xmlNode *)node, (const xmlChar *)as->name))
			return load_error(ctx, node, NULL, "%s lacks the required attribute '%s'",
					  d, as->name);
	}
	return 0;
}

/* Children counts the schema imposes, and no text inside elements. */
static int lint_children(struct load_ctx *ctx, const xmlNode *node)
{
	unsigned int cpus = 0, memories = 0, hosts = 0, rams = 0, sriovs = 0;
	char d[160];

	describe(node, d, sizeof(d));
	for (const xmlNode *c = node->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE && !xmlIsBlankNode((xmlNode *)c))
			return load_error(ctx, c, NULL, "unexpected text inside %s", d);
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if ((is_elem(c, "cpu") && ++cpus > 1) || (is_elem(c, "memory") && ++memories > 1) ||
		    (is_elem(c, "sriov") && ++sriovs > 1))
			return load_error(ctx, c, NULL, "a second <%s> inside %s (at most one)",
					  c->name, d);
		hosts += is_elem(c, "hostbridge");
		rams += is_elem(c, "ram");
	}
	if (is_elem(node, "topology") && !hosts)
		return load_error(ctx, node, NULL, "%s has no <hostbridge>", d);
	if (is_elem(node, "memory") && !rams)
		return load_error(ctx, node, NULL, "<memory> has no <ram>");
	return 0;
}

static int lint_tree(struct load_ctx *ctx, const xmlNode *node)
{
	int ret = lint_element(ctx, node);

	if (!ret)
		ret = lint_children(ctx, node);
	for (const xmlNode *c = node->children; c && !ret; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			ret = lint_tree(ctx, c);
	return ret;
}

int topology_diagnose(struct load_ctx *ctx, const xmlNode *root)
{
	return root ? lint_tree(ctx, root) : 0;
}

/* --- building --------------------------------------------------------------- */

/* Vendor/device of the enclosing <switch>, for its ports' defaults. */
struct switch_info {
	const char *id;
	bool has_vendor, has_device;
	u64 vendor, device;
};

static int check_id_len(struct load_ctx *ctx, const xmlNode *node, const char *id)
{
	if (strlen(id) > TOPOLOGY_MAX_ID_LEN)
		return load_error(ctx, node, "id", "id '%.40s...' is longer than %d characters", id,
				  TOPOLOGY_MAX_ID_LEN);
	return 0;
}

static int build_cpu(struct load_ctx *ctx, const xmlNode *node)
{
	struct cpu_desc *cpu = &ctx->topo->cpu;
	int vendor;
	u64 family, def;

	if (attr_enum(ctx, node, "vendor", cpu_vendors, CPU_VENDOR_INTEL, &vendor))
		return -EINVAL;
	cpu->vendor = (enum cpu_vendor)vendor;
	switch (cpu->vendor) {
	case CPU_VENDOR_INTEL:
		def = 6;
		break;
	case CPU_VENDOR_AMD:
		def = 0x19;
		break;
	case CPU_VENDOR_HYGON:
		def = 0x18;
		break;
	default:
		def = 0;
	}
	if (attr_u64(ctx, node, "family", false, def, 0, 0xffff, &family, NULL))
		return -EINVAL;
	cpu->family = (unsigned int)family;
	return 0;
}

static int add_ram(struct load_ctx *ctx, u64 base, u64 size, int node_nr, int line)
{
	struct topology *topo = ctx->topo;
	struct ram_range *r = realloc(topo->ram, (topo->nr_ram + 1) * sizeof(*r));

	if (!r)
		return load_oom(ctx);
	topo->ram = r;
	r[topo->nr_ram++] = (struct ram_range){ base, size, node_nr, line };
	return 0;
}

static int build_memory(struct load_ctx *ctx, const xmlNode *node)
{
	for (const xmlNode *c = node->children; c; c = c->next) {
		u64 base, size, nid;
		bool has_node;
		char d[160];

		if (!is_elem(c, "ram"))
			continue;
		if (attr_u64(ctx, c, "base", true, 0, 0, TOPOLOGY_MAX_SIZE, &base, NULL) ||
		    attr_u64(ctx, c, "size", true, 0, 1, TOPOLOGY_MAX_SIZE, &size, NULL) ||
		    attr_u64(ctx, c, "node", false, 0, 0, 4095, &nid, &has_node))
			return -EINVAL;
		if (base % 4096 || size % 4096)
			return load_error(ctx, c, NULL,
					  "%s: base and size must be multiples of 4 KiB",
					  describe(c, d, sizeof(d)));
		if (add_ram(ctx, base, size, has_node ? (int)nid : -1, line_of(c)))
			return -ENOMEM;
	}
	return 0;
}

static int build_iommu(struct load_ctx *ctx, const xmlNode *node)
{
	struct topology *topo = ctx->topo;
	struct iommu_desc *io, *arr;
	const char *id = attr(ctx, node, "id"), *pg;
	int type, mode;
	u64 entries, ways, fq_size, fq_timeout;
	char d[160];

	describe(node, d, sizeof(d));
	if (check_id_len(ctx, node, id))
		return -EINVAL;
	arr = realloc(topo->iommus, (topo->nr_iommus + 1) * sizeof(*arr));
	if (!arr)
		return load_oom(ctx);
	topo->iommus = arr;
	io = &arr[topo->nr_iommus];
	memset(io, 0, sizeof(*io));
	io->id = strdup(id);
	if (!io->id)
		return load_oom(ctx);
	topo->nr_iommus++;
	io->line = line_of(node);
	if (attr_enum(ctx, node, "type", iommu_types, IOMMU_TYPE_GENERIC, &type) ||
	    attr_enum(ctx, node, "mode", iommu_modes, IOMMU_MODE_LAZY, &mode) ||
	    attr_u64(ctx, node, "iotlb-entries", false, 64, 1, 1u << 20, &entries, NULL) ||
	    attr_u64(ctx, node, "iotlb-ways", false, 4, 1, 1u << 20, &ways, NULL) ||
	    attr_u64(ctx, node, "fq-size", false, 256, 1, 1u << 20, &fq_size, NULL) ||
	    attr_u64(ctx, node, "fq-timeout-ms", false, 10, 0, 3600000, &fq_timeout, NULL))
		return -EINVAL;
	io->type = (enum iommu_type)type;
	io->mode = (enum iommu_mode)mode;
	if (entries % ways)
		return load_error(ctx, node, "iotlb-ways",
				  "%s: iotlb-entries %llu is not a multiple of iotlb-ways %llu", d,
				  (unsigned long long)entries, (unsigned long long)ways);
	io->iotlb_entries = (unsigned int)entries;
	io->iotlb_ways = (unsigned int)ways;
	io->fq_size = (unsigned int)fq_size;
	io->fq_timeout_ms = (unsigned int)fq_timeout;

	pg = attr(ctx, node, "pgsizes");
	if (!pg) {
		io->pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G;
	} else {
		char *copy = strdup(pg), *save = NULL;

		if (!copy)
			return load_oom(ctx);
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			u64 v;

			if (topology_parse_u64(t, true, &v) || !is_pow2(v) || v < SZ_4K) {
				load_error(ctx, node, "pgsizes",
					   "%s: pgsizes '%s': '%s' is not a power-of-two page size "
					   "of at least 4K",
					   d, pg, t);
				free(copy); /* after the message: t points into it */
				return -EINVAL;
			}
			io->pgsize_bitmap |= v;
		}
		free(copy);
		if (!(io->pgsize_bitmap & SZ_4K))
			return load_error(ctx, node, "pgsizes", "%s: pgsizes '%s' must include 4K",
					  d, pg);
	}
	return 0;
}

static int build_aperture(struct load_ctx *ctx, struct pci_host_bridge *host, const xmlNode *node)
{
	int kind;
	u64 cpu, size, off;
	char d[160];

	describe(node, d, sizeof(d));
	if (attr_enum(ctx, node, "kind", aperture_kinds, 0, &kind) ||
	    attr_u64(ctx, node, "cpu", true, 0, 0, TOPOLOGY_MAX_SIZE, &cpu, NULL) ||
	    attr_u64(ctx, node, "size", true, 0, 1, TOPOLOGY_MAX_SIZE, &size, NULL) ||
	    attr_u64(ctx, node, "bus-offset", true, 0, 0, UINT64_MAX, &off, NULL))
		return -EINVAL;
	if (off > cpu)
		return load_error(ctx, node, "bus-offset",
				  "%s: bus-offset %#llx is above the CPU base %#llx (bus addresses "
				  "would be negative)",
				  d, (unsigned long long)off, (unsigned long long)cpu);
	if (kind == PCI_APERTURE_MEM32 && cpu - off + size > (1ULL << 32))
		return load_error(ctx, node, NULL,
				  "%s: a mem32 aperture must end below 4 GiB in bus addresses "
				  "(bus %#llx + %#llx)",
				  d, (unsigned long long)(cpu - off), (unsigned long long)size);
	if (pci_host_bridge_add_aperture(host, (enum pci_aperture_kind)kind, cpu, size, off,
					 line_of(node)))
		return load_oom(ctx);
	return 0;
}

static const char *const acs_bit_names[] = { "SV", "TB", "RR", "CR", "UF", "EC", "DT" };

/* ACS, vendor/device/class, dev/fn: the attributes every function element has. */
static int parse_identity(struct load_ctx *ctx, const xmlNode *node, enum pci_dev_type type,
			  const struct switch_info *sw, u64 *dev_nr, u64 *fn_nr, u64 *vendor,
			  u64 *device, u64 *class_code, u64 *acs_cap, u64 *acs_ctrl, bool *has_acs)
{
	bool has_vendor, has_device, cap_given, ctrl_given;
	u64 def_class;
	char d[160];

	describe(node, d, sizeof(d));
	switch (type) {
	case PCI_TYPE_ROOT_PORT:
	case PCI_TYPE_UPSTREAM:
	case PCI_TYPE_DOWNSTREAM:
		def_class = 0x060400;
		break;
	case PCI_TYPE_ROOT_FUNCTION:
		def_class = 0x060000;
		break;
	default:
		def_class = 0;
	}
	if (attr_u64(ctx, node, "dev", false, 0, 0, 31, dev_nr, NULL) ||
	    attr_u64(ctx, node, "fn", false, 0, 0, 7, fn_nr, NULL) ||
	    attr_u64(ctx, node, "vendor", false, sw ? sw->vendor : 0, 0, 0xffff, vendor,
		     &has_vendor) ||
	    attr_u64(ctx, node, "device", false, sw ? sw->device : 0, 0, 0xffff, device,
		     &has_device) ||
	    attr_u64(ctx, node, "class", false, def_class, 0, 0xffffff, class_code, NULL) ||
	    attr_u64(ctx, node, "acs-cap", false, 0, 0, 0xffff, acs_cap, &cap_given) ||
	    attr_u64(ctx, node, "acs-ctrl", false, 0, 0, 0xffff, acs_ctrl, &ctrl_given))
		return -EINVAL;
	if (!has_vendor && !(sw && sw->has_vendor))
		return load_error(ctx, node, NULL,
				  "%s has no vendor (give vendor= on the port or on its <switch>)",
				  d);
	if (!has_device && !(sw && sw->has_device))
		return load_error(ctx, node, NULL,
				  "%s has no device (give device= on the port or on its <switch>)",
				  d);
	*has_acs = cap_given || ctrl_given;
	if (!cap_given)
		*acs_cap = *acs_ctrl;
	if (*acs_ctrl & ~*acs_cap) {
		char bits[64] = "";
		u64 extra = *acs_ctrl & ~*acs_cap;

		for (unsigned int b = 0; b < 16; b++) {
			if (!(extra & (1u << b)))
				continue;
			snprintf(bits + strlen(bits), sizeof(bits) - strlen(bits), "%s%s",
				 bits[0] ? "|" : "",
				 b < ARRAY_SIZE(acs_bit_names) ? acs_bit_names[b] : "?");
		}
		return load_error(ctx, node, "acs-ctrl",
				  "%s: acs-ctrl %#06llx enables %s, which acs-cap %#06llx does not "
				  "offer",
				  d, (unsigned long long)*acs_ctrl, bits,
				  (unsigned long long)*acs_cap);
	}
	return 0;
}

static int build_bar(struct load_ctx *ctx, struct pci_dev *dev, const xmlNode *node,
		     int slot_line[PCI_NUM_BARS])
{
	u64 index, size, addr;
	bool pref, p2pmem, addr_given;
	int kind;
	struct pci_bar *bar;
	char d[160];

	describe(node, d, sizeof(d));
	if (attr_u64(ctx, node, "index", false, 0, 0, 5, &index, NULL) ||
	    attr_enum(ctx, node, "kind", bar_kinds, 0, &kind) ||
	    attr_u64(ctx, node, "size", true, 0, 0, UINT64_MAX, &size, NULL))
		return -EINVAL;
	kind += PCI_BAR_MEM32; /* table order: mem32, mem64, io */
	if (attr_bool(ctx, node, "prefetchable", kind == PCI_BAR_MEM64, &pref) ||
	    attr_bool(ctx, node, "p2pmem", false, &p2pmem) ||
	    attr_u64(ctx, node, "address", true, 0, 0, UINT64_MAX, &addr, &addr_given))
		return -EINVAL;
	if (size > TOPOLOGY_MAX_SIZE)
		return load_error(ctx, node, "size",
				  "BAR %llu of '%s': size %#llx is absurd (more than 2^52 bytes)",
				  (unsigned long long)index, dev->id, (unsigned long long)size);
	if (!is_pow2(size))
		return load_error(ctx, node, "size",
				  "BAR %llu of '%s': size %#llx is not a power of two",
				  (unsigned long long)index, dev->id, (unsigned long long)size);
	if (kind == PCI_BAR_IO) {
		if (size < 4 || size > 0x10000)
			return load_error(ctx, node, "size",
					  "BAR %llu of '%s': an I/O BAR is 4 bytes to 64 KiB, not "
					  "%#llx",
					  (unsigned long long)index, dev->id,
					  (unsigned long long)size);
		if (pref || p2pmem)
			return load_error(ctx, node, pref ? "prefetchable" : "p2pmem",
					  "BAR %llu of '%s': an I/O BAR cannot be %s",
					  (unsigned long long)index, dev->id,
					  pref ? "prefetchable" : "P2P memory");
	} else if (size < 16) {
		return load_error(ctx, node, "size",
				  "BAR %llu of '%s': a memory BAR is at least 16 bytes, not %llu",
				  (unsigned long long)index, dev->id, (unsigned long long)size);
	}
	if (slot_line[index] && dev->bars[index].kind == PCI_BAR_NONE)
		return load_error(ctx, node, "index",
				  "BAR %llu of '%s' is the upper half of 64-bit BAR %llu (line %d)",
				  (unsigned long long)index, dev->id, (unsigned long long)index - 1,
				  slot_line[index]);
	if (slot_line[index])
		return load_error(ctx, node, "index",
				  "BAR %llu of '%s' is declared twice (first at line %d)",
				  (unsigned long long)index, dev->id, slot_line[index]);
	if (kind == PCI_BAR_MEM64) {
		if (index == 5)
			return load_error(ctx, node, "index",
					  "BAR 5 of '%s' is 64-bit but 5 is the last BAR slot (a "
					  "64-bit BAR takes two slots)",
					  dev->id);
		if (slot_line[index + 1])
			return load_error(ctx, node, "index",
					  "64-bit BAR %llu of '%s' needs slot %llu for its upper "
					  "half, but BAR %llu is declared (line %d)",
					  (unsigned long long)index, dev->id,
					  (unsigned long long)index + 1,
					  (unsigned long long)index + 1, slot_line[index + 1]);
		slot_line[index + 1] = line_of(node);
	}
	slot_line[index] = line_of(node);
	bar = &dev->bars[index];
	bar->kind = (enum pci_bar_kind)kind;
	bar->prefetchable = pref;
	bar->p2pmem = p2pmem;
	bar->size_bytes = size;
	bar->address_given = addr_given;
	bar->cpu_addr = addr;
	bar->bus_addr = addr;
	bar->line = line_of(node);
	return 0;
}

static int build_sriov(struct load_ctx *ctx, struct pci_dev *pf, const xmlNode *node)
{
	struct pci_fabric *fab = ctx->topo->fabric;
	u64 vfs, vf_device, offset, stride, bar_size;
	bool has_bar;

	if (attr_u64(ctx, node, "vfs", false, 0, 0, 65535, &vfs, NULL) ||
	    attr_u64(ctx, node, "vf-device", false, pf->device, 0, 0xffff, &vf_device, NULL) ||
	    attr_u64(ctx, node, "vf-offset", false, 1, 0, 0xffff, &offset, NULL) ||
	    attr_u64(ctx, node, "vf-stride", false, 1, 0, 0xffff, &stride, NULL) ||
	    attr_u64(ctx, node, "vf-bar-size", true, 0, 0, UINT64_MAX, &bar_size, &has_bar))
		return -EINVAL;
	if (vfs && !offset)
		return load_error(ctx, node, "vf-offset",
				  "SR-IOV of '%s': First VF Offset 0 would give VF 0 the PF's own "
				  "routing ID",
				  pf->id);
	if (vfs > 1 && !stride)
		return load_error(
			ctx, node, "vf-stride",
			"SR-IOV of '%s': VF Stride 0 with %llu VFs would give them all the "
			"same routing ID",
			pf->id, (unsigned long long)vfs);
	if (has_bar) {
		if (bar_size > TOPOLOGY_MAX_SIZE || (vfs && bar_size * vfs > TOPOLOGY_MAX_SIZE))
			return load_error(ctx, node, "vf-bar-size",
					  "SR-IOV of '%s': %llu VF BARs of %#llx bytes is absurd "
					  "(more than 2^52 bytes)",
					  pf->id, (unsigned long long)vfs,
					  (unsigned long long)bar_size);
		if (!is_pow2(bar_size) || bar_size < 16)
			return load_error(ctx, node, "vf-bar-size",
					  "SR-IOV of '%s': vf-bar-size %#llx is not a power of two "
					  "of at least 16 bytes",
					  pf->id, (unsigned long long)bar_size);
	}
	if (fab->nr_devs + vfs > TOPOLOGY_MAX_FUNCTIONS)
		return load_error(ctx, node, "vfs",
				  "SR-IOV of '%s': %llu VFs would take the machine past %u "
				  "functions",
				  pf->id, (unsigned long long)vfs, TOPOLOGY_MAX_FUNCTIONS);
	pf->num_vfs = (unsigned int)vfs;
	pf->vf_device = (u16)vf_device;
	pf->vf_offset = (u16)offset;
	pf->vf_stride = (u16)stride;
	pf->vf_bar_size = bar_size;
	if (pci_fabric_add_vfs(fab, pf))
		return load_oom(ctx);
	for (unsigned int i = 0; i < pf->num_vfs && bar_size; i++)
		pf->virtfn[i]->bars[0] = (struct pci_bar){
			.kind = PCI_BAR_MEM64,
			.prefetchable = true,
			.size_bytes = bar_size,
			.line = line_of(node),
		};
	return 0;
}

static int build_link(struct load_ctx *ctx, struct pci_dev *port, const xmlNode *node);

/*
 * One function element: <function>, <endpoint>, <rootport>, <upstream> or
 * <downstream> on @bus. Bridges get their subordinate bus; endpoints their
 * BARs and VFs; root and downstream ports their link.
 */
static struct pci_dev *build_function(struct load_ctx *ctx, struct pci_bus *bus,
				      const xmlNode *node, enum pci_dev_type type,
				      const struct switch_info *sw)
{
	struct pci_fabric *fab = ctx->topo->fabric;
	u64 dev_nr, fn_nr, vendor, device, class_code, acs_cap, acs_ctrl;
	int slot_line[PCI_NUM_BARS] = { 0 };
	const char *id = attr(ctx, node, "id");
	struct pci_dev *dev;
	bool has_acs = false;

	if (check_id_len(ctx, node, id))
		return NULL;
	if (fab->nr_devs + 1 > TOPOLOGY_MAX_FUNCTIONS) {
		load_error(ctx, node, NULL, "more than %u functions", TOPOLOGY_MAX_FUNCTIONS);
		return NULL;
	}
	if (parse_identity(ctx, node, type, sw, &dev_nr, &fn_nr, &vendor, &device, &class_code,
			   &acs_cap, &acs_ctrl, &has_acs))
		return NULL;
	dev = pci_fabric_add_dev(fab, bus, id, type,
				 PCI_DEVFN((unsigned int)dev_nr, (unsigned int)fn_nr));
	if (!dev) {
		load_oom(ctx);
		return NULL;
	}
	dev->line = line_of(node);
	dev->vendor = (u16)vendor;
	dev->device = (u16)device;
	dev->class_code = (u32)class_code;
	dev->has_acs = has_acs;
	dev->acs_cap = (u16)acs_cap;
	dev->acs_ctrl = (u16)acs_ctrl;
	if (sw) {
		dev->switch_id = strdup(sw->id);
		if (!dev->switch_id) {
			load_oom(ctx);
			return NULL;
		}
	}

	if (type == PCI_TYPE_ENDPOINT || type == PCI_TYPE_RC_END) {
		u64 mask;

		if (attr_u64(ctx, node, "dma-mask", false, 64, 1, 64, &mask, NULL) ||
		    attr_bool(ctx, node, "coherent", true, &dev->coherent) ||
		    attr_bool(ctx, node, "untrusted", false, &dev->untrusted))
			return NULL;
		dev->dma_mask_bits = (unsigned int)mask;
	}
	for (const xmlNode *c = node->children; c; c = c->next)
		if (is_elem(c, "bar") && build_bar(ctx, dev, c, slot_line))
			return NULL;
	if (lint_children(ctx, node)) /* at most one <sriov> */
		return NULL;
	for (const xmlNode *c = node->children; c; c = c->next)
		if (is_elem(c, "sriov") && build_sriov(ctx, dev, c))
			return NULL;

	if (pci_is_bridge(dev)) {
		u64 secondary, subordinate;
		bool sec_given, sub_given;
		struct pci_bus *child;

		if (attr_u64(ctx, node, "secondary", false, 0, 1, 0xff, &secondary, &sec_given) ||
		    attr_u64(ctx, node, "subordinate", false, 0, 1, 0xff, &subordinate, &sub_given))
			return NULL;
		if (sec_given && sub_given && subordinate < secondary) {
			load_error(
				ctx, node, "subordinate",
				"'%s': subordinate bus %#04llx is below its secondary bus %#04llx",
				dev->id, (unsigned long long)subordinate,
				(unsigned long long)secondary);
			return NULL;
		}
		child = pci_fabric_add_bus(fab, dev, (u8)secondary, sec_given);
		if (!child) {
			load_oom(ctx);
			return NULL;
		}
		child->subordinate_given = sub_given;
		if (sub_given)
			child->subordinate_number = (u8)subordinate;
		if (type != PCI_TYPE_UPSTREAM && build_link(ctx, dev, node))
			return NULL;
	}
	return dev;
}

static int add_switch_id(struct load_ctx *ctx, const char *id, int line)
{
	if (ctx->nr_switches == ctx->cap_switches) {
		size_t ncap = ctx->cap_switches ? ctx->cap_switches * 2 : 16;
		struct named_id *n = realloc(ctx->switches, ncap * sizeof(*n));

		if (!n)
			return load_oom(ctx);
		ctx->switches = n;
		ctx->cap_switches = ncap;
	}
	ctx->switches[ctx->nr_switches++] = (struct named_id){ id, line };
	return 0;
}

/* A <switch> below a port whose secondary bus is @bus. */
static int build_switch(struct load_ctx *ctx, struct pci_bus *bus, const xmlNode *node)
{
	struct switch_info sw = { 0 };
	const xmlNode *up = NULL;
	struct pci_dev *updev;

	sw.id = attr(ctx, node, "id");
	if (check_id_len(ctx, node, sw.id) || add_switch_id(ctx, sw.id, line_of(node)) ||
	    attr_u64(ctx, node, "vendor", false, 0, 0, 0xffff, &sw.vendor, &sw.has_vendor) ||
	    attr_u64(ctx, node, "device", false, 0, 0, 0xffff, &sw.device, &sw.has_device))
		return -EINVAL;
	for (const xmlNode *c = node->children; c; c = c->next) {
		if (!is_elem(c, "upstream"))
			continue;
		if (up)
			return load_error(ctx, c, NULL,
					  "switch '%s' has a second <upstream> port (the first is "
					  "at line %d); a switch has exactly one",
					  sw.id, line_of(up));
		up = c;
	}
	if (!up)
		return load_error(ctx, node, NULL,
				  "switch '%s' has no <upstream> port; a switch has exactly one",
				  sw.id);
	updev = build_function(ctx, bus, up, PCI_TYPE_UPSTREAM, &sw);
	if (!updev)
		return -EINVAL;
	for (const xmlNode *c = node->children; c; c = c->next)
		if (is_elem(c, "downstream") &&
		    !build_function(ctx, updev->subordinate, c, PCI_TYPE_DOWNSTREAM, &sw))
			return -EINVAL;
	return 0;
}

/*
 * The link below a root or downstream port: one <switch>, or <endpoint>s that
 * are functions of one device (same dev, different fn).
 */
static int build_link(struct load_ctx *ctx, struct pci_dev *port, const xmlNode *node)
{
	const xmlNode *first = NULL;
	int first_slot = -1;

	for (const xmlNode *c = node->children; c; c = c->next) {
		bool is_switch = is_elem(c, "switch");
		char d1[160], d2[160];

		if (!is_switch && !is_elem(c, "endpoint"))
			continue;
		if (first && (is_switch || is_elem(first, "switch")))
			return load_error(ctx, c, NULL,
					  "port '%s' already has a link to %s (line %d); a root or "
					  "downstream port leads to one switch or one device",
					  port->id, describe(first, d1, sizeof(d1)),
					  line_of(first));
		if (is_switch) {
			if (build_switch(ctx, port->subordinate, c))
				return -EINVAL;
		} else {
			struct pci_dev *ep =
				build_function(ctx, port->subordinate, c, PCI_TYPE_ENDPOINT, NULL);

			if (!ep)
				return -EINVAL;
			if (first && (int)PCI_SLOT(ep->devfn) != first_slot)
				return load_error(
					ctx, c, NULL,
					"port '%s' already has a link to device %d (%s, line "
					"%d); %s is device %u: one port, one device (its "
					"functions share dev=)",
					port->id, first_slot, describe(first, d1, sizeof(d1)),
					line_of(first), describe(c, d2, sizeof(d2)),
					PCI_SLOT(ep->devfn));
			first_slot = (int)PCI_SLOT(ep->devfn);
		}
		if (!first)
			first = c;
	}
	return 0;
}

static int add_default_apertures(struct load_ctx *ctx, struct pci_host_bridge *host,
				 const xmlNode *node)
{
	unsigned int k = ctx->nr_default_apertures++;
	u64 mem32 = 0xC0000000ULL + (u64)k * 0x10000000ULL;

	if (mem32 + 0x10000000ULL > (1ULL << 32))
		return load_error(ctx, node, NULL,
				  "host bridge '%s' has no <aperture> and the default mem32 "
				  "apertures (256 MiB each from 0xc0000000) run past 4 GiB; give "
				  "this host bridge its apertures",
				  host->id);
	if (pci_host_bridge_add_aperture(host, PCI_APERTURE_MEM32, mem32, 0x10000000ULL, 0,
					 line_of(node)) ||
	    pci_host_bridge_add_aperture(host, PCI_APERTURE_MEM64,
					 0x10000000000ULL + (u64)k * 0x10000000000ULL,
					 0x10000000000ULL, 0, line_of(node)))
		return load_oom(ctx);
	return 0;
}

static int build_hostbridge(struct load_ctx *ctx, const xmlNode *node)
{
	struct topology *topo = ctx->topo;
	struct pci_host_bridge *host;
	const char *id = attr(ctx, node, "id"), *iommu;
	u64 domain, bus, numa;
	bool has_numa, has_aperture = false;
	char d[160];

	describe(node, d, sizeof(d));
	if (check_id_len(ctx, node, id) ||
	    attr_u64(ctx, node, "domain", false, 0, 0, 0xfffff, &domain, NULL) ||
	    attr_u64(ctx, node, "bus", false, 0, 0, 0xff, &bus, NULL) ||
	    attr_u64(ctx, node, "numa-node", false, 0, 0, 4095, &numa, &has_numa))
		return -EINVAL;
	host = pci_fabric_add_host_bridge(topo->fabric, id, (u32)domain, (u8)bus);
	if (!host)
		return load_oom(ctx);
	host->line = line_of(node);
	host->numa_node = has_numa ? (int)numa : -1;
	if (attr_bool(ctx, node, "p2p-forwarding", true, &host->p2p_forwarding))
		return -EINVAL;
	iommu = attr(ctx, node, "iommu");
	if (iommu) {
		for (size_t i = 0; i < topo->nr_iommus; i++)
			if (!strcmp(topo->iommus[i].id, iommu)) {
				host->iommu_index = (int)i;
				break;
			}
		if (host->iommu_index < 0)
			return load_error(ctx, node, "iommu",
					  "%s: iommu '%s' is not declared (no <iommu id=\"%s\">)",
					  d, iommu, iommu);
		host->iommu_id = strdup(iommu);
		if (!host->iommu_id)
			return load_oom(ctx);
	}
	for (const xmlNode *c = node->children; c; c = c->next) {
		if (is_elem(c, "aperture")) {
			has_aperture = true;
			if (build_aperture(ctx, host, c))
				return -EINVAL;
		}
	}
	if (!has_aperture && add_default_apertures(ctx, host, node))
		return -EINVAL;
	for (const xmlNode *c = node->children; c; c = c->next) {
		struct pci_dev *dev = NULL;

		if (is_elem(c, "function"))
			dev = build_function(ctx, host->bus, c, PCI_TYPE_ROOT_FUNCTION, NULL);
		else if (is_elem(c, "endpoint"))
			dev = build_function(ctx, host->bus, c, PCI_TYPE_RC_END, NULL);
		else if (is_elem(c, "rootport"))
			dev = build_function(ctx, host->bus, c, PCI_TYPE_ROOT_PORT, NULL);
		else
			continue;
		if (!dev)
			return -EINVAL;
	}
	return 0;
}

int topology_build(struct load_ctx *ctx, const xmlNode *root)
{
	struct topology *topo = ctx->topo;
	bool has_memory = false;

	if (lint_children(ctx, root)) /* at most one <cpu>, <memory>; a <hostbridge> */
		return -EINVAL;
	topo->name = strdup(attr(ctx, root, "name"));
	if (!topo->name)
		return load_oom(ctx);
	topo->version = 1;
	topo->cpu = (struct cpu_desc){ CPU_VENDOR_INTEL, 6 };

	/* IOMMUs first: host bridges refer to them wherever they are declared */
	for (const xmlNode *c = root->children; c; c = c->next) {
		int ret = 0;

		if (is_elem(c, "cpu"))
			ret = build_cpu(ctx, c);
		else if (is_elem(c, "memory")) {
			has_memory = true;
			ret = build_memory(ctx, c);
		} else if (is_elem(c, "iommu"))
			ret = build_iommu(ctx, c);
		if (ret)
			return ret;
	}
	if (!has_memory) {
		if (add_ram(ctx, 0, 2ULL << 30, -1, 0) ||
		    add_ram(ctx, 4ULL << 30, 12ULL << 30, -1, 0))
			return -ENOMEM;
	}
	for (const xmlNode *c = root->children; c; c = c->next) {
		if (is_elem(c, "hostbridge") && build_hostbridge(ctx, c))
			return -EINVAL;
	}
	return 0;
}
