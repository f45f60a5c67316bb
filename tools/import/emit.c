// SPDX-License-Identifier: GPL-2.0-only
/*
 * emit.c - the shared back end of `p2psim import`: the intermediate form
 * (struct imp_machine) and its translation into a p2psim topology.
 *
 * Owns: building/freeing the intermediate form; the bus-range checks every
 * format shares; the shape mapping (a bridge on a root bus is a root port, a
 * bridge on a link is a switch upstream port whose bridge children are its
 * downstream ports; a bridge on a link with devices directly below it, i.e.
 * a PCIe-to-PCI bridge, is folded into the port above it); the assumptions
 * the input cannot make itself (ACS, IOMMU, CPU, host-bridge function,
 * apertures, RAM), each recorded as an XML comment; ids; and the XML itself,
 * built with libxml2's tree API.
 */
#define _GNU_SOURCE /* vasprintf */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "import.h"

#define SZ_1M (1ULL << 20)
#define SZ_1G (1ULL << 30)
#define SZ_4G (1ULL << 32)

/* ---------------------------------------------------------------------- */
/* The intermediate form                                                  */

struct imp_machine *imp_machine_new(const char *format, const char *input)
{
	struct imp_machine *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->format = format;
	m->input = input;
	m->cpu_family = IMP_UNKNOWN;
	return m;
}

void imp_fn_free(struct imp_fn *f)
{
	while (f) {
		struct imp_fn *next = f->next;

		imp_fn_free(f->children);
		free(f->label);
		free(f->note);
		free(f->source);
		free(f);
		f = next;
	}
}

void imp_machine_free(struct imp_machine *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nr_hbs; i++) {
		imp_fn_free(m->hbs[i]->children);
		free(m->hbs[i]->source);
		free(m->hbs[i]->note);
		free(m->hbs[i]);
	}
	free(m->hbs);
	for (size_t i = 0; i < m->nr_notes; i++)
		free(m->notes[i]);
	free(m->notes);
	free(m->name);
	free(m->cpu_source);
	free(m);
}

struct imp_hostbridge *imp_find_hostbridge(struct imp_machine *m, int domain, int bus)
{
	for (size_t i = 0; i < m->nr_hbs; i++)
		if (m->hbs[i]->domain == domain && m->hbs[i]->bus == bus)
			return m->hbs[i];
	return NULL;
}

struct imp_hostbridge *imp_add_hostbridge(struct imp_machine *m, int domain, int bus, int line)
{
	struct imp_hostbridge *hb;

	if (m->nr_hbs == m->cap_hbs) {
		size_t cap = m->cap_hbs ? 2 * m->cap_hbs : 8;
		struct imp_hostbridge **hbs = realloc(m->hbs, cap * sizeof(*hbs));

		if (!hbs)
			return NULL;
		m->hbs = hbs;
		m->cap_hbs = cap;
	}
	hb = calloc(1, sizeof(*hb));
	if (!hb)
		return NULL;
	hb->domain = domain;
	hb->bus = bus;
	hb->bus_end = IMP_UNKNOWN;
	hb->numa_node = IMP_UNKNOWN;
	hb->line = line;
	m->hbs[m->nr_hbs++] = hb;
	return hb;
}

struct imp_fn *imp_fn_new(enum imp_kind kind, int domain, int bus, int dev, int fn, int line)
{
	struct imp_fn *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->kind = kind;
	f->domain = domain;
	f->bus = bus;
	f->dev = dev;
	f->fn = fn;
	f->vendor = IMP_UNKNOWN;
	f->device = IMP_UNKNOWN;
	f->class_code = IMP_UNKNOWN;
	f->secondary = IMP_UNKNOWN;
	f->subordinate = IMP_UNKNOWN;
	f->line = line;
	return f;
}

void imp_fn_attach(struct imp_hostbridge *hb, struct imp_fn *parent, struct imp_fn *child)
{
	struct imp_fn **link = parent ? &parent->children : &hb->children;

	while (*link)
		link = &(*link)->next;
	*link = child;
	child->parent = parent;
	child->next = NULL;
}

int imp_strset(char **dst, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

int imp_note(struct imp_machine *m, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int ret;

	if (m->nr_notes == m->cap_notes) {
		size_t cap = m->cap_notes ? 2 * m->cap_notes : 8;
		char **notes = realloc(m->notes, cap * sizeof(*notes));

		if (!notes)
			return -ENOMEM;
		m->notes = notes;
		m->cap_notes = cap;
	}
	va_start(ap, fmt);
	ret = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -ENOMEM;
	m->notes[m->nr_notes++] = s;
	return 0;
}

const char *imp_cpu_vendor_from_id(const char *vendor_id)
{
	if (!strcmp(vendor_id, "GenuineIntel") || !strcasecmp(vendor_id, "intel"))
		return "intel";
	if (!strcmp(vendor_id, "AuthenticAMD") || !strcasecmp(vendor_id, "amd"))
		return "amd";
	if (!strcmp(vendor_id, "HygonGenuine") || !strcasecmp(vendor_id, "hygon"))
		return "hygon";
	if (!strcasecmp(vendor_id, "arm") || !strcmp(vendor_id, "ARM"))
		return "arm";
	return "other";
}

int imp_parse_bdf(const char *s, int *domain, int *bus, int *dev, int *fn)
{
	unsigned int d, b, v, f;
	int n = 0;

	if (sscanf(s, "%x:%x:%x.%x%n", &d, &b, &v, &f, &n) == 4 && n > 0 && !s[n]) {
		*domain = (int)d;
	} else if (n = 0, sscanf(s, "%x:%x.%x%n", &b, &v, &f, &n) == 3 && n > 0 && !s[n]) {
		*domain = 0;
	} else {
		return -EINVAL;
	}
	if (d > 0xffff || b > 0xff || v > 31 || f > 7)
		return -EINVAL;
	*bus = (int)b;
	*dev = (int)v;
	*fn = (int)f;
	return 0;
}

int imp_xml_read(const char *path, struct _xmlDoc **doc, struct p2psim_error *err)
{
	xmlParserCtxtPtr ctxt;
	FILE *f = fopen(path, "r");
	struct stat st;

	*doc = NULL;
	if (!f) {
		p2psim_error_set(err, P2PSIM_EINPUT, path, 0, 0, "cannot open: %s",
				 strerror(errno));
		return P2PSIM_EINPUT;
	}
	fclose(f);
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		p2psim_error_set(err, P2PSIM_EINPUT, path, 0, 0, "is a directory, not an XML file");
		return P2PSIM_EINPUT;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
		return P2PSIM_EINTERNAL;
	}
	*doc = xmlCtxtReadFile(ctxt, path, NULL,
			       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!*doc) {
		xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : "cannot read XML");
		msg[strcspn(msg, "\n")] = '\0';
		p2psim_error_set(err, P2PSIM_EINPUT, path, e ? e->line : 0, 0, "%s", msg);
		xmlFreeParserCtxt(ctxt);
		return P2PSIM_EINPUT;
	}
	xmlFreeParserCtxt(ctxt);
	return P2PSIM_OK;
}

/* ---------------------------------------------------------------------- */
/* Ordering and bus-range checks                                          */

static int fn_cmp(const struct imp_fn *a, const struct imp_fn *b)
{
	if (a->dev != b->dev)
		return a->dev - b->dev;
	return a->fn - b->fn;
}

/* Insertion sort of a sibling list by dev.fn (lists are short), recursively. */
static struct imp_fn *sort_fns(struct imp_fn *list)
{
	struct imp_fn *sorted = NULL;

	while (list) {
		struct imp_fn *f = list, **link = &sorted;

		list = list->next;
		f->children = sort_fns(f->children);
		while (*link && fn_cmp(*link, f) <= 0)
			link = &(*link)->next;
		f->next = *link;
		*link = f;
	}
	return sorted;
}

/* The highest bus number given below @list (at least @bus). */
static int max_bus(const struct imp_fn *list, int bus)
{
	for (const struct imp_fn *f = list; f; f = f->next) {
		if (f->subordinate > bus)
			bus = f->subordinate;
		bus = max_bus(f->children, bus);
	}
	return bus;
}

static int hb_cmp(const void *a, const void *b)
{
	const struct imp_hostbridge *x = *(const struct imp_hostbridge *const *)a;
	const struct imp_hostbridge *y = *(const struct imp_hostbridge *const *)b;

	if (x->domain != y->domain)
		return x->domain - y->domain;
	return x->bus - y->bus;
}

static const char *fn_file(const struct imp_machine *m, const struct imp_fn *f)
{
	return f->source ? f->source : m->input;
}

static int bus_error(const struct imp_machine *m, const struct imp_fn *f, struct p2psim_error *err,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int bus_error(const struct imp_machine *m, const struct imp_fn *f, struct p2psim_error *err,
		     const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p2psim_error_set(err, P2PSIM_EINPUT, fn_file(m, f), f->line, 0,
			 "inconsistent bus ranges: %04x:%02x:%02x.%x %s", f->domain, f->bus, f->dev,
			 f->fn, msg);
	return P2PSIM_EINPUT;
}

/*
 * Every function must sit on the bus its parent hands down (the host
 * bridge's root bus or the bridge's secondary bus), and every bridge's
 * [secondary, subordinate] must lie inside its parent's range, above its own
 * bus, without overlapping its siblings.
 */
static int check_level(const struct imp_machine *m, struct imp_fn *list, int bus, int lo, int hi,
		       struct p2psim_error *err)
{
	for (struct imp_fn *f = list; f; f = f->next) {
		if (bus != IMP_UNKNOWN && f->bus != IMP_UNKNOWN && f->bus != bus) {
			if (f->parent)
				return bus_error(
					m, f, err,
					"is below bridge %04x:%02x:%02x.%x whose secondary bus is %02x",
					f->parent->domain, f->parent->bus, f->parent->dev,
					f->parent->fn, bus);
			return bus_error(m, f, err, "is not on its host bridge's root bus %02x",
					 bus);
		}
		if (f->kind != IMP_BRIDGE)
			continue;
		if ((f->secondary == IMP_UNKNOWN) != (f->subordinate == IMP_UNKNOWN))
			return bus_error(m, f, err, "gives only one of secondary/subordinate");
		if (f->secondary != IMP_UNKNOWN) {
			if (f->secondary > f->subordinate)
				return bus_error(m, f, err,
						 "has secondary bus %02x above subordinate %02x",
						 f->secondary, f->subordinate);
			if (f->bus != IMP_UNKNOWN && f->secondary <= f->bus)
				return bus_error(m, f, err,
						 "has secondary bus %02x not above its own bus",
						 f->secondary);
			if ((lo != IMP_UNKNOWN && f->secondary < lo) ||
			    (hi != IMP_UNKNOWN && f->subordinate > hi))
				return bus_error(
					m, f, err,
					"has buses [%02x-%02x] outside its parent's range [%02x-%02x]",
					f->secondary, f->subordinate, lo, hi);
			for (struct imp_fn *g = list; g != f; g = g->next) {
				if (g->kind == IMP_BRIDGE && g->secondary != IMP_UNKNOWN &&
				    g->secondary <= f->subordinate &&
				    f->secondary <= g->subordinate)
					return bus_error(
						m, f, err,
						"has buses [%02x-%02x] overlapping its sibling %02x:%02x.%x [%02x-%02x]",
						f->secondary, f->subordinate, g->bus, g->dev, g->fn,
						g->secondary, g->subordinate);
			}
		}
		if (check_level(m, f->children, f->secondary, f->secondary, f->subordinate, err))
			return P2PSIM_EINPUT;
	}
	for (struct imp_fn *f = list; f; f = f->next)
		for (struct imp_fn *g = f->next; g; g = g->next)
			if (f->dev == g->dev && f->fn == g->fn && f->bus == g->bus)
				return bus_error(m, g, err, "appears twice");
	return P2PSIM_OK;
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static int fn_error(const struct imp_machine *m, const struct imp_fn *f, int line,
		    struct p2psim_error *err, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int fn_error(const struct imp_machine *m, const struct imp_fn *f, int line,
		    struct p2psim_error *err, const char *what, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p2psim_error_set(err, P2PSIM_EINPUT, fn_file(m, f), line ? line : f->line, 0,
			 "%s of %04x:%02x:%02x.%x: %s", what, f->domain, f->bus, f->dev, f->fn,
			 msg);
	return P2PSIM_EINPUT;
}

/* What the input says about BARs and ACS must make sense before it is written. */
static int check_fns(const struct imp_machine *m, const struct imp_fn *list,
		     struct p2psim_error *err)
{
	for (const struct imp_fn *f = list; f; f = f->next) {
		char what[16];

		if (f->vendor > 0xffff || f->device > 0xffff || f->class_code > 0xffffff ||
		    f->vendor < IMP_UNKNOWN || f->device < IMP_UNKNOWN ||
		    f->class_code < IMP_UNKNOWN)
			return fn_error(m, f, 0, err, "IDs",
					"vendor, device or class out of range");
		if (f->acs_present && (f->acs_ctrl & ~f->acs_cap))
			return fn_error(
				m, f, 0, err, "ACS",
				"control 0x%04x enables bits the capability 0x%04x does not offer",
				f->acs_ctrl, f->acs_cap);
		for (int i = 0; i < 6; i++) {
			const struct imp_bar *bar = &f->bars[i];
			uint64_t min = bar->kind == IMP_BAR_IO ? 4 : 16;

			if (!bar->present)
				continue;
			snprintf(what, sizeof(what), "BAR %d", i);
			if (!is_pow2(bar->size_bytes) || bar->size_bytes < min ||
			    bar->size_bytes > (1ULL << 52))
				return fn_error(
					m, f, bar->line, err, what,
					"size %llu is not a power of two of at least %llu bytes",
					(unsigned long long)bar->size_bytes,
					(unsigned long long)min);
			if (bar->kind == IMP_BAR_MEM64 && i == 5)
				return fn_error(
					m, f, bar->line, err, what,
					"a 64-bit BAR cannot be BAR 5 (it takes two slots)");
			if (bar->kind == IMP_BAR_MEM64 && f->bars[i + 1].present)
				return fn_error(m, f, f->bars[i + 1].line, err, what,
						"BAR %d is the upper half of 64-bit BAR %d", i + 1,
						i);
			if (!bar->has_address)
				continue;
			if (bar->address & (bar->size_bytes - 1))
				return fn_error(m, f, bar->line, err, what,
						"address 0x%llx is not aligned to its size 0x%llx",
						(unsigned long long)bar->address,
						(unsigned long long)bar->size_bytes);
			if (bar->kind != IMP_BAR_IO && !bar->prefetchable && f->parent &&
			    bar->address + bar->size_bytes > SZ_4G)
				return fn_error(
					m, f, bar->line, err, what,
					"a non-prefetchable BAR at 0x%llx, above 4 GiB, behind a "
					"bridge (non-prefetchable bridge windows are 32-bit)",
					(unsigned long long)bar->address);
			if (bar->kind == IMP_BAR_MEM32 && bar->address + bar->size_bytes > SZ_4G)
				return fn_error(m, f, bar->line, err, what,
						"a 32-bit BAR at 0x%llx, above 4 GiB",
						(unsigned long long)bar->address);
		}
		if (check_fns(m, f->children, err))
			return P2PSIM_EINPUT;
	}
	return P2PSIM_OK;
}

/* ---------------------------------------------------------------------- */
/* Emission                                                               */

struct id_counter {
	const char *prefix;
	int next;
};

struct emit_ctx {
	struct imp_machine *m;
	const struct imp_options *opts;
	struct p2psim_error *err;
	xmlDocPtr doc;
	bool nomem;
	struct id_counter counters[12];
	int nr_rootports, nr_switches;
	int acs_known, acs_assumed, acs_cleared;
	int folded, dropped;
	bool iommu;
};

static void set_attr(struct emit_ctx *c, xmlNodePtr node, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_attr(struct emit_ctx *c, xmlNodePtr node, const char *name, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (!node)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!xmlSetProp(node, BAD_CAST name, BAD_CAST buf))
		c->nomem = true;
}

static xmlNodePtr new_child(struct emit_ctx *c, xmlNodePtr parent, const char *name)
{
	xmlNodePtr node;

	if (!parent)
		return NULL;
	node = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
	if (!node)
		c->nomem = true;
	return node;
}

/* An XML comment; "--" may not appear inside one, so it is broken up. */
static void add_comment(struct emit_ctx *c, xmlNodePtr parent, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_comment(struct emit_ctx *c, xmlNodePtr parent, const char *fmt, ...)
{
	char *text, *p;
	xmlNodePtr node;
	va_list ap;
	int ret;

	if (!parent)
		return;
	va_start(ap, fmt);
	ret = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (ret < 0) {
		c->nomem = true;
		return;
	}
	while ((p = strstr(text, "--")))
		p[1] = '=';
	if (ret > 0 && text[ret - 1] == '-')
		text[ret - 1] = '=';
	node = xmlNewDocComment(c->doc, BAD_CAST text);
	free(text);
	if (!node || !xmlAddChild(parent, node)) {
		xmlFreeNode(node);
		c->nomem = true;
	}
}

static const char *endpoint_prefix(const struct imp_fn *f)
{
	long cls = f->class_code;

	if (cls == IMP_UNKNOWN)
		return "dev";
	if ((cls >> 16) == 0x03)
		return "gpu";
	if ((cls >> 16) == 0x02)
		return "nic";
	if ((cls >> 8) == 0x0108)
		return "nvme";
	if ((cls >> 16) == 0x01)
		return "storage";
	if ((cls >> 16) == 0x12)
		return "accel";
	if ((cls >> 16) == 0x0b)
		return "coproc";
	if ((cls >> 8) == 0x0680 && f->vendor == 0x10de)
		return "nvswitch";
	if ((cls >> 16) == 0x06)
		return "bridge";
	return "dev";
}

static void make_id(struct emit_ctx *c, char *out, size_t size, const char *prefix)
{
	size_t i;

	for (i = 0; i < sizeof(c->counters) / sizeof(c->counters[0]); i++) {
		if (!c->counters[i].prefix) {
			c->counters[i].prefix = prefix;
			break;
		}
		if (!strcmp(c->counters[i].prefix, prefix))
			break;
	}
	if (i == sizeof(c->counters) / sizeof(c->counters[0])) {
		/* Table full: cannot happen with the fixed prefixes above. */
		snprintf(out, size, "%s%d", prefix, c->counters[0].next++);
		return;
	}
	snprintf(out, size, "%s%d", prefix, c->counters[i].next++);
}

static bool is_port_policy_target(const struct imp_fn *f, bool port)
{
	return port && f->kind == IMP_BRIDGE;
}

/* The ACS capability/control this function gets under the chosen policy. */
static void emit_acs(struct emit_ctx *c, xmlNodePtr node, const struct imp_fn *f, bool port)
{
	enum imp_acs_policy policy = c->opts->acs;
	unsigned int cap, ctrl;

	if (f->acs_known) {
		if (!f->acs_present)
			return;
		cap = f->acs_cap;
		ctrl = f->acs_ctrl;
		if (policy == IMP_ACS_IOMMU_DEFAULT_POLICY)
			ctrl |= cap & IMP_ACS_IOMMU_DEFAULT;
		else if (policy == IMP_ACS_OFF)
			ctrl = 0;
		if (ctrl != f->acs_ctrl)
			c->acs_cleared++;
		c->acs_known++;
	} else {
		if (!is_port_policy_target(f, port))
			return;
		if (policy != IMP_ACS_DEFAULT && policy != IMP_ACS_IOMMU_DEFAULT_POLICY)
			return;
		cap = IMP_ACS_IOMMU_DEFAULT;
		ctrl = IMP_ACS_IOMMU_DEFAULT;
		c->acs_assumed++;
	}
	set_attr(c, node, "acs-cap", "0x%04x", cap);
	set_attr(c, node, "acs-ctrl", "0x%04x", ctrl);
}

static void emit_ids(struct emit_ctx *c, xmlNodePtr node, const struct imp_fn *f)
{
	set_attr(c, node, "vendor", "0x%04x", f->vendor == IMP_UNKNOWN ? 0 : f->vendor);
	set_attr(c, node, "device", "0x%04x", f->device == IMP_UNKNOWN ? 0 : f->device);
	if (f->class_code != IMP_UNKNOWN)
		set_attr(c, node, "class", "0x%06lx", f->class_code);
}

/* The attributes every function element carries. */
static void emit_fn_attrs(struct emit_ctx *c, xmlNodePtr node, const struct imp_fn *f, bool port,
			  int secondary, int subordinate)
{
	set_attr(c, node, "id", "%s", f->id);
	set_attr(c, node, "dev", "%d", f->dev);
	set_attr(c, node, "fn", "%d", f->fn);
	emit_ids(c, node, f);
	emit_acs(c, node, f, port);
	if (secondary != IMP_UNKNOWN && subordinate != IMP_UNKNOWN) {
		set_attr(c, node, "secondary", "0x%02x", secondary);
		set_attr(c, node, "subordinate", "0x%02x", subordinate);
	}
}

static void format_size(char *buf, size_t size, uint64_t bytes)
{
	static const char suffix[] = "KMGT";
	int i = -1;

	while (i < 3 && bytes >= 1024 && !(bytes & 1023)) {
		bytes >>= 10;
		i++;
	}
	if (i < 0)
		snprintf(buf, size, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, size, "%llu%c", (unsigned long long)bytes, suffix[i]);
}

static void emit_comment_for_fn(struct emit_ctx *c, xmlNodePtr parent, const struct imp_fn *f)
{
	char bdf[32];

	if (f->bus != IMP_UNKNOWN)
		snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%x", f->domain, f->bus, f->dev, f->fn);
	else
		snprintf(bdf, sizeof(bdf), "%s", "(synthetic)");
	if (f->label || f->note)
		add_comment(c, parent, " %s%s%s%s%s ", bdf, f->label ? " " : "",
			    f->label ? f->label : "", f->note ? ": " : "", f->note ? f->note : "");
}

static void emit_endpoint(struct emit_ctx *c, xmlNodePtr parent, struct imp_fn *f)
{
	xmlNodePtr node;

	make_id(c, f->id, sizeof(f->id), endpoint_prefix(f));
	emit_comment_for_fn(c, parent, f);
	node = new_child(c, parent, "endpoint");
	emit_fn_attrs(c, node, f, false, IMP_UNKNOWN, IMP_UNKNOWN);
	for (int i = 0; i < 6; i++) {
		const struct imp_bar *bar = &f->bars[i];
		xmlNodePtr b;
		char size[32];

		if (!bar->present)
			continue;
		b = new_child(c, node, "bar");
		format_size(size, sizeof(size), bar->size_bytes);
		set_attr(c, b, "index", "%d", i);
		set_attr(c, b, "size", "%s", size);
		set_attr(c, b, "kind", "%s",
			 bar->kind == IMP_BAR_IO    ? "io" :
			 bar->kind == IMP_BAR_MEM64 ? "mem64" :
						      "mem32");
		if (bar->kind != IMP_BAR_IO)
			set_attr(c, b, "prefetchable", "%s", bar->prefetchable ? "yes" : "no");
		if (bar->has_address && c->opts->keep_addresses)
			set_attr(c, b, "address", "0x%llx", (unsigned long long)bar->address);
	}
}

static void emit_holder(struct emit_ctx *c, xmlNodePtr parent, struct imp_fn *f, const char *elem);

static void drop(struct emit_ctx *c, xmlNodePtr parent, const struct imp_fn *f, const char *why)
{
	c->dropped++;
	add_comment(c, parent, " left out %04x:%02x:%02x.%x [%04x:%04x]: %s ", f->domain, f->bus,
		    f->dev, f->fn, f->vendor == IMP_UNKNOWN ? 0 : f->vendor,
		    f->device == IMP_UNKNOWN ? 0 : f->device, why);
}

/* A switch whose upstream port is @up (a bridge on a link). */
static void emit_switch(struct emit_ctx *c, xmlNodePtr parent, struct imp_fn *up)
{
	char swid[48];
	xmlNodePtr sw, node;
	int dp = 0;

	snprintf(swid, sizeof(swid), "sw%d", c->nr_switches++);
	emit_comment_for_fn(c, parent, up);
	sw = new_child(c, parent, "switch");
	set_attr(c, sw, "id", "%s", swid);
	set_attr(c, sw, "vendor", "0x%04x", up->vendor == IMP_UNKNOWN ? 0 : up->vendor);
	set_attr(c, sw, "device", "0x%04x", up->device == IMP_UNKNOWN ? 0 : up->device);
	snprintf(up->id, sizeof(up->id), "%s.up", swid);
	node = new_child(c, sw, "upstream");
	emit_fn_attrs(c, node, up, false, up->secondary, up->subordinate);
	for (struct imp_fn *d = up->children; d; d = d->next) {
		if (d->kind != IMP_BRIDGE) {
			drop(c, sw, d,
			     "a device on a switch's internal bus (p2psim switches hold only ports)");
			continue;
		}
		snprintf(d->id, sizeof(d->id), "%s.dp%d", swid, dp++);
		emit_comment_for_fn(c, sw, d);
		emit_holder(c, sw, d, "downstream");
	}
}

/*
 * A root port or downstream port @f and the link below it: devices, or one
 * bridge (a switch upstream port, or a PCIe-to-PCI bridge that is folded).
 */
static void emit_holder(struct emit_ctx *c, xmlNodePtr parent, struct imp_fn *f, const char *elem)
{
	struct imp_fn *up = NULL, *g;
	int secondary = f->secondary, subordinate = f->subordinate;
	bool fold = false, up_has_bridges = false, up_has_devices = false;
	xmlNodePtr node;

	for (g = f->children; g; g = g->next)
		if (g->kind == IMP_BRIDGE && !up)
			up = g;
	if (up) {
		for (g = up->children; g; g = g->next) {
			if (g->kind == IMP_BRIDGE)
				up_has_bridges = true;
			else
				up_has_devices = true;
		}
		fold = up_has_devices && !up_has_bridges;
		if (fold && up->secondary != IMP_UNKNOWN) {
			secondary = up->secondary;
			subordinate = subordinate == IMP_UNKNOWN ? up->subordinate : subordinate;
		}
	}
	node = new_child(c, parent, elem);
	emit_fn_attrs(c, node, f, true, secondary, subordinate);
	for (g = f->children; up && g; g = g->next) {
		if (g != up)
			drop(c, node, g,
			     "shares a link with a bridge (a p2psim link holds one switch or devices)");
	}
	if (!up) {
		for (g = f->children; g; g = g->next)
			if (g->kind != IMP_BRIDGE)
				emit_endpoint(c, node, g);
		return;
	}
	if (!fold) {
		emit_switch(c, node, up);
		return;
	}
	c->folded++;
	add_comment(
		c, node,
		" bridge %04x:%02x:%02x.%x [%04x:%04x] (devices directly below it: a PCIe-to-PCI "
		"bridge) folded into this port; p2psim models PCIe ports only, so paths through "
		"it are one hop shorter ",
		up->domain, up->bus, up->dev, up->fn, up->vendor == IMP_UNKNOWN ? 0 : up->vendor,
		up->device == IMP_UNKNOWN ? 0 : up->device);
	for (g = up->children; g; g = g->next)
		emit_endpoint(c, node, g);
}

static const char *iommu_type(const struct emit_ctx *c, const char *cpu_vendor)
{
	const char *t = c->opts->iommu;

	if (t && strcmp(t, "auto") && strcmp(t, "none"))
		return t;
	if (!strcmp(cpu_vendor, "intel"))
		return "intel-vtd";
	if (!strcmp(cpu_vendor, "amd") || !strcmp(cpu_vendor, "hygon"))
		return "amd-vi";
	if (!strcmp(cpu_vendor, "arm"))
		return "arm-smmuv3";
	return "generic";
}

/* Extend [*lo, *hi) to cover [a, b). */
static void cover(uint64_t *lo, uint64_t *hi, uint64_t a, uint64_t b)
{
	if (*hi == 0 || a < *lo)
		*lo = a;
	if (b > *hi)
		*hi = b;
}

struct aperture_set {
	uint64_t lo32, hi32, lo64, hi64;
	int nr_mem_bars; /* memory BARs below the host bridge, with or without address */
};

static void collect_bars(const struct imp_fn *list, struct aperture_set *a, int *nr_bars)
{
	for (const struct imp_fn *f = list; f; f = f->next) {
		for (int i = 0; i < 6; i++) {
			const struct imp_bar *bar = &f->bars[i];

			if (!bar->present || bar->kind == IMP_BAR_IO)
				continue;
			(*nr_bars)++;
			a->nr_mem_bars++;
			if (!bar->has_address)
				continue;
			if (bar->address + bar->size_bytes <= SZ_4G)
				cover(&a->lo32, &a->hi32, bar->address,
				      bar->address + bar->size_bytes);
			else
				cover(&a->lo64, &a->hi64, bar->address,
				      bar->address + bar->size_bytes);
		}
		collect_bars(f->children, a, nr_bars);
	}
}

struct range {
	uint64_t base, end;
};

/* Remove [a, b) from the ranges in @r (at most @max, *@n in use). */
static void subtract(struct range *r, int *n, int max, uint64_t a, uint64_t b)
{
	for (int i = 0; i < *n; i++) {
		if (b <= r[i].base || a >= r[i].end)
			continue;
		if (a > r[i].base && b < r[i].end) {
			if (*n < max) {
				r[*n].base = b;
				r[*n].end = r[i].end;
				(*n)++;
			}
			r[i].end = a;
		} else if (a > r[i].base) {
			r[i].end = a;
		} else if (b < r[i].end) {
			r[i].base = b;
		} else {
			r[i] = r[--(*n)];
			i--;
		}
	}
}

static uint64_t align_down(uint64_t x, uint64_t a)
{
	return x & ~(a - 1);
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static const struct imp_host_bridge_opt *host_bridge_opt(const struct emit_ctx *c,
							 const struct imp_hostbridge *hb)
{
	for (size_t i = 0; i < c->opts->nr_host_bridges; i++) {
		const struct imp_host_bridge_opt *o = &c->opts->host_bridges[i];

		if (!o->any_bus && o->domain == hb->domain && o->bus == hb->bus)
			return o;
	}
	for (size_t i = 0; i < c->opts->nr_host_bridges; i++)
		if (c->opts->host_bridges[i].any_bus)
			return &c->opts->host_bridges[i];
	return NULL;
}

static void emit_hostbridge(struct emit_ctx *c, xmlNodePtr root, struct imp_hostbridge *hb,
			    int index, const struct aperture_set *ap, uint64_t *placeholder_next)
{
	const struct imp_host_bridge_opt *opt = host_bridge_opt(c, hb);
	struct imp_fn *first = hb->children;
	xmlNodePtr node;
	char hostfn_id[48];

	if (hb->note)
		add_comment(c, root, " %s ", hb->note);
	node = new_child(c, root, "hostbridge");
	snprintf(hb->id, sizeof(hb->id), "hb%d", index);
	set_attr(c, node, "id", "%s", hb->id);
	set_attr(c, node, "domain", "0x%04x", hb->domain);
	set_attr(c, node, "bus", "0x%02x", hb->bus);
	if (c->iommu)
		set_attr(c, node, "iommu", "%s", "iommu0");
	if (hb->numa_node != IMP_UNKNOWN)
		set_attr(c, node, "numa-node", "%d", hb->numa_node);

	/* Apertures: covers of the BAR addresses the input gives, else a placeholder. */
	if (ap->hi32 || ap->hi64) {
		if (ap->hi32) {
			xmlNodePtr a = new_child(c, node, "aperture");

			set_attr(c, a, "kind", "%s", "mem32");
			set_attr(c, a, "cpu", "0x%llx",
				 (unsigned long long)align_down(ap->lo32, SZ_1M));
			set_attr(c, a, "size", "0x%llx",
				 (unsigned long long)(align_up(ap->hi32, SZ_1M) -
						      align_down(ap->lo32, SZ_1M)));
		}
		if (ap->hi64) {
			xmlNodePtr a = new_child(c, node, "aperture");

			set_attr(c, a, "kind", "%s", "mem64");
			set_attr(c, a, "cpu", "0x%llx",
				 (unsigned long long)align_down(ap->lo64, SZ_1M));
			set_attr(c, a, "size", "0x%llx",
				 (unsigned long long)(align_up(ap->hi64, SZ_1M) -
						      align_down(ap->lo64, SZ_1M)));
		}
	} else if (ap->nr_mem_bars) {
		/*
		 * BARs without addresses: room for the loader to place them, a slice of
		 * [2 GiB, 4 GiB) for 32-bit BARs and 1 TiB above everything else.
		 */
		uint64_t slice = 256 * SZ_1M;
		xmlNodePtr a;

		while (slice > SZ_1M && slice * c->m->nr_hbs > 2 * SZ_1G)
			slice >>= 1;
		a = new_child(c, node, "aperture");
		set_attr(c, a, "kind", "%s", "mem32");
		set_attr(c, a, "cpu", "0x%llx", (unsigned long long)(2 * SZ_1G + index * slice));
		set_attr(c, a, "size", "0x%llx", (unsigned long long)slice);
		*placeholder_next = align_up(*placeholder_next, 1024 * SZ_1G);
		a = new_child(c, node, "aperture");
		set_attr(c, a, "kind", "%s", "mem64");
		set_attr(c, a, "cpu", "0x%llx", (unsigned long long)*placeholder_next);
		set_attr(c, a, "size", "%s", "1T");
		*placeholder_next += 1024 * SZ_1G;
	} else {
		xmlNodePtr a = new_child(c, node, "aperture");

		set_attr(c, a, "kind", "%s", "mem64");
		set_attr(c, a, "cpu", "0x%llx", (unsigned long long)*placeholder_next);
		set_attr(c, a, "size", "%s", "64G");
		*placeholder_next += 64 * SZ_1G;
	}

	/* The function the kernel's host-bridge allowlist looks at. */
	if (first && first->dev == 0 && first->fn == 0) {
		if ((first->vendor == IMP_UNKNOWN || first->device == IMP_UNKNOWN) && opt) {
			first->vendor = opt->vendor;
			first->device = opt->device;
			add_comment(
				c, node,
				" 00.0 IDs from the host-bridge option (the input does not give them) ");
		} else if (first->vendor == IMP_UNKNOWN || first->device == IMP_UNKNOWN) {
			add_comment(
				c, node,
				" the input does not give the IDs of 00.0, which the kernel's host-bridge "
				"allowlist keys on; written as 0000:0000 (import with host-bridge "
				"%04x:%02x=VENDOR:DEVICE) ",
				hb->domain, hb->bus);
		}
	} else if (opt) {
		snprintf(hostfn_id, sizeof(hostfn_id), "%s.fn0", hb->id);
		add_comment(
			c, node,
			" host-bridge function 00.0 [%04x:%04x] added from the host-bridge option (the input "
			"has no 00.0 function on this root bus) ",
			opt->vendor, opt->device);
		xmlNodePtr h = new_child(c, node, "function");

		set_attr(c, h, "id", "%s", hostfn_id);
		set_attr(c, h, "dev", "0");
		set_attr(c, h, "fn", "0");
		set_attr(c, h, "vendor", "0x%04x", opt->vendor);
		set_attr(c, h, "device", "0x%04x", opt->device);
		set_attr(c, h, "class", "0x060000");
	} else {
		add_comment(
			c, node,
			" the input has no 00.0 function on root bus %04x:%02x (filtered out, or not "
			"described): the kernel's host-bridge allowlist keys on 00.0, or on the first "
			"function when it is a root port, so the allowlist cannot match the real "
			"host bridge here; import with host-bridge %04x:%02x=VENDOR:DEVICE to state it ",
			hb->domain, hb->bus, hb->domain, hb->bus);
	}

	for (struct imp_fn *f = hb->children; f; f = f->next) {
		switch (f->kind) {
		case IMP_HOSTFN:
			make_id(c, f->id, sizeof(f->id), "hostfn");
			emit_comment_for_fn(c, node, f);
			emit_fn_attrs(c, new_child(c, node, "function"), f, false, IMP_UNKNOWN,
				      IMP_UNKNOWN);
			break;
		case IMP_ENDPOINT:
			emit_endpoint(c, node, f);
			break;
		case IMP_BRIDGE:
			snprintf(f->id, sizeof(f->id), "rp%d", c->nr_rootports++);
			emit_comment_for_fn(c, node, f);
			emit_holder(c, node, f, "rootport");
			break;
		}
	}
}

static const char *policy_name(enum imp_acs_policy p)
{
	switch (p) {
	case IMP_ACS_DEFAULT:
		return "default (as-is where the input records ACS, iommu-default where it does not)";
	case IMP_ACS_AS_IS:
		return "as-is";
	case IMP_ACS_IOMMU_DEFAULT_POLICY:
		return "iommu-default";
	case IMP_ACS_OFF:
		return "off";
	}
	return "?";
}

static bool has_acs_unknown_port(const struct imp_fn *list)
{
	for (const struct imp_fn *f = list; f; f = f->next) {
		if (f->kind == IMP_BRIDGE && !f->acs_known)
			return true;
		if (has_acs_unknown_port(f->children))
			return true;
	}
	return false;
}

int imp_emit(struct imp_machine *m, const struct imp_options *opts, char **out, size_t *len,
	     struct p2psim_error *err)
{
	struct emit_ctx c = { .m = m, .opts = opts, .err = err };
	struct aperture_set *aps = NULL;
	xmlNodePtr root, node, header;
	struct range ram[8] = { { 0, 2 * SZ_1G }, { SZ_4G, 16 * SZ_1G } };
	int nr_ram = 2, nr_bars = 0, nr_given = 0;
	uint64_t placeholder = 0x800000000000ULL, top = 0;
	const char *cpu_vendor = "intel";
	long cpu_family = 6;
	xmlChar *buf = NULL;
	int size = 0, ret;
	bool unknown_acs = false;

	*out = NULL;
	*len = 0;
	if (!m->nr_hbs) {
		p2psim_error_set(err, P2PSIM_EINPUT, m->input, 0, 0,
				 "no PCI host bridge or PCI device found in this %s input",
				 m->format);
		return P2PSIM_EINPUT;
	}
	qsort(m->hbs, m->nr_hbs, sizeof(m->hbs[0]), hb_cmp);
	for (size_t i = 0; i < m->nr_hbs; i++) {
		struct imp_hostbridge *hb = m->hbs[i];

		hb->children = sort_fns(hb->children);
		ret = check_level(m, hb->children, hb->bus, hb->bus, hb->bus_end, err);
		if (!ret)
			ret = check_fns(m, hb->children, err);
		if (ret)
			return ret;
		if (i && m->hbs[i - 1]->domain == hb->domain && hb->children &&
		    max_bus(m->hbs[i - 1]->children, m->hbs[i - 1]->bus) >= hb->bus &&
		    (m->hbs[i - 1]->bus_end == IMP_UNKNOWN || m->hbs[i - 1]->bus_end < hb->bus))
			return bus_error(
				m, hb->children, err,
				"is on bus %02x, which no bridge hands down, inside the buses "
				"[%02x-%02x] below root bus %02x",
				hb->bus, m->hbs[i - 1]->bus,
				max_bus(m->hbs[i - 1]->children, m->hbs[i - 1]->bus),
				m->hbs[i - 1]->bus);
		if (i && m->hbs[i - 1]->domain == hb->domain &&
		    m->hbs[i - 1]->bus_end != IMP_UNKNOWN && m->hbs[i - 1]->bus_end >= hb->bus) {
			p2psim_error_set(
				err, P2PSIM_EINPUT, hb->source ? hb->source : m->input, hb->line, 0,
				"inconsistent bus ranges: host bridge %04x:%02x starts inside the "
				"range of host bridge %04x:[%02x-%02x]",
				hb->domain, hb->bus, m->hbs[i - 1]->domain, m->hbs[i - 1]->bus,
				m->hbs[i - 1]->bus_end);
			return P2PSIM_EINPUT;
		}
		unknown_acs |= has_acs_unknown_port(hb->children);
	}

	/* Apertures from the BAR addresses, per host bridge; RAM placed around them. */
	aps = calloc(m->nr_hbs, sizeof(*aps));
	if (!aps)
		goto nomem;
	for (size_t i = 0; i < m->nr_hbs; i++) {
		int before = nr_bars;

		collect_bars(m->hbs[i]->children, &aps[i], &nr_bars);
		if (!opts->keep_addresses) {
			int nr_mem_bars = aps[i].nr_mem_bars;

			memset(&aps[i], 0, sizeof(aps[i]));
			aps[i].nr_mem_bars = nr_mem_bars;
		}
		if (aps[i].hi32 || aps[i].hi64)
			nr_given += nr_bars - before;
		if (aps[i].hi32)
			subtract(ram, &nr_ram, 8, align_down(aps[i].lo32, SZ_1M),
				 align_up(aps[i].hi32, SZ_1M));
		if (aps[i].hi64) {
			subtract(ram, &nr_ram, 8, align_down(aps[i].lo64, SZ_1M),
				 align_up(aps[i].hi64, SZ_1M));
			if (aps[i].hi64 > top)
				top = aps[i].hi64;
		}
	}
	if (top > placeholder)
		placeholder = align_up(top, 64 * SZ_1G);

	if (opts->cpu_given) {
		cpu_vendor = opts->cpu_vendor;
		cpu_family = opts->cpu_family;
	} else if (m->cpu_known) {
		cpu_vendor = m->cpu_vendor;
		cpu_family = m->cpu_family;
	}
	if (!strcmp(opts->iommu, "none"))
		c.iommu = false;
	else if (strcmp(opts->iommu, "auto"))
		c.iommu = true;
	else
		c.iommu = opts->acs == IMP_ACS_IOMMU_DEFAULT_POLICY ||
			  (opts->acs == IMP_ACS_DEFAULT && unknown_acs);

	c.doc = xmlNewDoc(BAD_CAST "1.0");
	if (!c.doc)
		goto nomem;
	root = xmlNewDocNode(c.doc, NULL, BAD_CAST "topology", NULL);
	if (!root)
		goto nomem;
	xmlDocSetRootElement(c.doc, root);
	set_attr(&c, root, "version", "1");
	set_attr(&c, root, "name", "%s", m->name ? m->name : "imported");

	/* The header: what was read, and every assumption. */
	header = root;
	if (opts->options_text && opts->options_text[0])
		add_comment(
			&c, header,
			" Imported by `p2psim import %s %s` with options: %s (written without their "
			"leading dashes, which an XML comment cannot hold). ",
			m->format, m->input, opts->options_text);
	else
		add_comment(&c, header, " Imported by `p2psim import %s %s`. ", m->format,
			    m->input);
	for (size_t i = 0; i < m->nr_notes; i++)
		add_comment(&c, header, " %s ", m->notes[i]);
	if (opts->cpu_given && m->cpu_known)
		add_comment(
			&c, header,
			" CPU: %s family 0x%lx from the cpu option (the input says %s family 0x%lx) ",
			cpu_vendor, cpu_family, m->cpu_vendor, m->cpu_family);
	else if (opts->cpu_given)
		add_comment(&c, header, " CPU: %s family 0x%lx from the cpu option ", cpu_vendor,
			    cpu_family);
	else if (m->cpu_known)
		add_comment(&c, header, " CPU: %s family 0x%lx from the input (%s) ", cpu_vendor,
			    cpu_family, m->cpu_source ? m->cpu_source : m->format);
	else
		add_comment(
			&c, header,
			" CPU: ASSUMED intel family 0x6: the input does not say (import with cpu=VENDOR:FAMILY; "
			"AMD family >= 0x17 allows P2P through the host bridge) ");
	add_comment(&c, header, " ACS policy: %s. ", policy_name(opts->acs));

	node = new_child(&c, root, "cpu");
	set_attr(&c, node, "vendor", "%s", cpu_vendor);
	set_attr(&c, node, "family", "0x%lx", cpu_family);

	node = new_child(&c, root, "memory");
	add_comment(
		&c, node,
		" RAM is not described by the input: placeholder ranges (the defaults, minus the "
		"apertures) ");
	for (int i = 0; i < nr_ram; i++) {
		xmlNodePtr r = new_child(&c, node, "ram");

		set_attr(&c, r, "base", "0x%llx", (unsigned long long)ram[i].base);
		set_attr(&c, r, "size", "0x%llx", (unsigned long long)(ram[i].end - ram[i].base));
	}

	if (c.iommu) {
		const char *type = iommu_type(&c, cpu_vendor);

		if (!strcmp(opts->iommu, "auto"))
			add_comment(
				&c, root,
				" IOMMU: ASSUMED on (type from the CPU vendor, Linux's lazy default "
				"mode), because ACS is assumed to be set the way Linux sets it with an "
				"IOMMU; import with iommu=none to leave it out ");
		else
			add_comment(&c, root, " IOMMU: %s, from the import options ", opts->iommu);
		node = new_child(&c, root, "iommu");
		set_attr(&c, node, "id", "%s", "iommu0");
		set_attr(&c, node, "type", "%s", type);
		set_attr(&c, node, "mode", "%s", "lazy");
	} else {
		add_comment(
			&c, root, " IOMMU: none (%s) ",
			!strcmp(opts->iommu, "none") ?
				"from the import options" :
				"no ACS assumed, so none assumed; import with iommu=TYPE to add one");
	}

	for (size_t i = 0; i < m->nr_hbs; i++)
		emit_hostbridge(&c, root, m->hbs[i], (int)i, &aps[i], &placeholder);

	/* Summaries that are only known once the tree is written, at the top. */
	{
		char text[1024];
		xmlNodePtr first = root->children, cm;

		int n = 0;

		n += snprintf(text + n, sizeof(text) - n, " ACS:");
		if (c.acs_known)
			n += snprintf(text + n, sizeof(text) - n,
				      " %d function(s) carry ACS read from the input%s.",
				      c.acs_known,
				      c.acs_cleared ? " (control bits changed by the policy)" : "");
		if (c.acs_assumed)
			n += snprintf(
				text + n, sizeof(text) - n,
				" %d root/downstream port(s) with no ACS data: ASSUMED "
				"acs-cap=acs-ctrl=0x%04x (SV|RR|CR|UF, what Linux sets on ACS-capable "
				"ports when an IOMMU is on); import with acs=as-is or acs=off if ACS "
				"is off on this machine.",
				c.acs_assumed, IMP_ACS_IOMMU_DEFAULT);
		if (!c.acs_assumed && unknown_acs)
			n += snprintf(
				text + n, sizeof(text) - n,
				" ports with no ACS data in the input are written without an ACS "
				"capability (as with the IOMMU off: no redirect).");
		if (!c.acs_known && !c.acs_assumed && !unknown_acs)
			n += snprintf(text + n, sizeof(text) - n, " none in the input.");
		snprintf(text + n, sizeof(text) - n, " ");
		for (char *p = text; (p = strstr(p, "--"));)
			p[1] = '=';
		cm = xmlNewDocComment(c.doc, BAD_CAST text);
		if (!cm)
			goto nomem;
		/* Place after the header comments, before <cpu>. */
		while (first && first->type == XML_COMMENT_NODE)
			first = first->next;
		if (first)
			xmlAddPrevSibling(first, cm);
		else
			xmlAddChild(root, cm);
		if (nr_bars && opts->keep_addresses && nr_given) {
			snprintf(
				text, sizeof(text),
				" Apertures: 1 MiB-aligned covers of the BAR addresses the input gives "
				"(%d BARs); host bridges without BARs get a 64 GiB placeholder above them ",
				nr_bars);
		} else {
			snprintf(
				text, sizeof(text),
				" Apertures: %s; a host bridge with BARs gets a mem32 slice of "
				"[2 GiB, 4 GiB) and a 1 TiB mem64 aperture for the loader to place them "
				"in, one without BARs a 64 GiB placeholder mem64 aperture ",
				nr_bars ? "BAR addresses are not kept" :
					  "the input gives no BAR addresses");
		}
		cm = xmlNewDocComment(c.doc, BAD_CAST text);
		if (!cm)
			goto nomem;
		if (first)
			xmlAddPrevSibling(first, cm);
		else
			xmlAddChild(root, cm);
		if (c.folded || c.dropped) {
			snprintf(
				text, sizeof(text),
				" Shape: %d PCIe-to-PCI bridge(s) folded into their ports, %d function(s) "
				"left out (see the comments where they were) ",
				c.folded, c.dropped);
			cm = xmlNewDocComment(c.doc, BAD_CAST text);
			if (!cm)
				goto nomem;
			if (first)
				xmlAddPrevSibling(first, cm);
			else
				xmlAddChild(root, cm);
		}
	}
	if (c.nomem)
		goto nomem;

	xmlDocDumpFormatMemoryEnc(c.doc, &buf, &size, "UTF-8", 1);
	if (!buf || size <= 0)
		goto nomem;
	*out = malloc((size_t)size + 1);
	if (!*out)
		goto nomem;
	memcpy(*out, buf, (size_t)size);
	(*out)[size] = '\0';
	*len = (size_t)size;
	xmlFree(buf);
	xmlFreeDoc(c.doc);
	free(aps);
	return P2PSIM_OK;

nomem:
	xmlFree(buf);
	if (c.doc)
		xmlFreeDoc(c.doc);
	free(aps);
	p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
	return P2PSIM_EINTERNAL;
}
