// SPDX-License-Identifier: GPL-2.0-only
/*
 * load.c - the topology loader's entry points (p2psim_topology_load_*).
 *
 * Stages, each stopping at the first problem:
 *  1. read the file into memory (so errors can point at a column);
 *  2. parse with libxml2 (no network, no entity expansion, line numbers on);
 *  3. check the root element and version, then validate against the RELAX NG
 *     schema topologies/topology.rng found in p2psim_data_dir();
 *  4. build struct topology (parse_xml.c);
 *  5. whole-machine checks that need no addresses (checks.c);
 *  6. bus numbers (models/pci/enumerate.c), then BDF and bus-range checks;
 *  7. BAR addresses and bridge windows, with their checks (enumerate.c);
 *  8. pci_fabric_finalize().
 * On any failure the half-built topology is freed and *out stays NULL.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "models/pci/enumerate.h"
#include "p2psim/p2psim.h"
#include "sim/topology/loader.h"
#include "sim/topology/topology_internal.h"

#define SCHEMA_FILE "topology.rng"
/* Files larger than this are refused (a 1,000,000-function topology is ~150 MiB). */
#define MAX_TOPOLOGY_BYTES (512u << 20)

/* --- error reporting ------------------------------------------------------ */

int load_column(const struct load_ctx *ctx, int line, const char *elem, const char *attr)
{
	const char *p = ctx->buf, *end = ctx->buf + ctx->len, *eol, *hit = NULL;
	char pat[80];

	if (!p || line <= 0)
		return 1;
	for (int l = 1; l < line && p < end; l++) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			return 1;
		p++;
	}
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	if (elem) {
		snprintf(pat, sizeof(pat), "<%s", elem);
		hit = memmem(p, (size_t)(eol - p), pat, strlen(pat));
	}
	if (attr) {
		const char *a = hit ? hit : p;

		snprintf(pat, sizeof(pat), "%s", attr);
		while ((a = memmem(a, (size_t)(eol - a), pat, strlen(pat))) != NULL) {
			const char *after = a + strlen(pat);

			while (after < eol && (*after == ' ' || *after == '\t'))
				after++;
			if (a > p && (a[-1] == ' ' || a[-1] == '\t') && after < eol &&
			    *after == '=') {
				hit = a;
				break;
			}
			a += strlen(pat);
		}
	}
	if (!hit) /* the first thing on the line */
		for (hit = p; hit < eol && (*hit == ' ' || *hit == '\t'); hit++)
			;
	return hit < eol ? (int)(hit - p) + 1 : 1;
}

static int load_verror(struct load_ctx *ctx, int line, int column, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	p2psim_error_set(ctx->err, P2PSIM_EINPUT, ctx->file, line, column, "%s", msg);
	return -EINVAL;
}

int load_error(struct load_ctx *ctx, const xmlNode *node, const char *attr, const char *fmt, ...)
{
	long l = node ? xmlGetLineNo((xmlNode *)node) : 0;
	int line = l > 0 && l < INT_MAX ? (int)l : 0;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = load_verror(ctx, line,
			  load_column(ctx, line, node ? (const char *)node->name : NULL, attr), fmt,
			  ap);
	va_end(ap);
	return ret;
}

int load_error_line(struct load_ctx *ctx, int line, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = load_verror(ctx, line, line > 0 ? load_column(ctx, line, NULL, NULL) : 0, fmt, ap);
	va_end(ap);
	return ret;
}

void load_ctx_release(struct load_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nr_values; i++)
		xmlFree(ctx->values[i]);
	free(ctx->values);
	free(ctx->switches);
	ctx->values = NULL;
	ctx->switches = NULL;
	ctx->nr_values = ctx->nr_switches = 0;
}

int load_oom(struct load_ctx *ctx)
{
	p2psim_error_set(ctx->err, P2PSIM_EINTERNAL, ctx->file, 0, 0, "out of memory");
	return -ENOMEM;
}

/* --- libxml2 ---------------------------------------------------------------- */

/* The first error libxml2 reports (it may report several). */
struct xml_first_error {
	bool seen;
	int line, column;
	const xmlNode *node;
	char message[512];
};

static void capture_xml_error(void *data, xmlErrorPtr e)
{
	struct xml_first_error *first = data;
	size_t n;

	if (first->seen || e->level < XML_ERR_ERROR)
		return;
	first->seen = true;
	first->line = e->line;
	first->column = e->int2;
	first->node = e->node;
	snprintf(first->message, sizeof(first->message), "%s", e->message ? e->message : "?");
	n = strlen(first->message);
	while (n && (first->message[n - 1] == '\n' || first->message[n - 1] == ' '))
		first->message[--n] = '\0';
}

static int parse_xml(struct load_ctx *ctx, xmlDocPtr *out)
{
	struct xml_first_error first = { 0 };
	xmlStructuredErrorFunc saved_handler;
	xmlParserCtxtPtr pctx;
	void *saved_data;
	xmlDocPtr doc;

	if (ctx->len > INT_MAX) {
		p2psim_error_set(ctx->err, P2PSIM_EINPUT, ctx->file, 0, 0,
				 "file too large (%zu bytes)", ctx->len);
		return -EINVAL;
	}
	pctx = xmlNewParserCtxt();
	if (!pctx)
		return load_oom(ctx);
	saved_handler = xmlStructuredError;
	saved_data = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(&first, capture_xml_error);
	doc = xmlCtxtReadMemory(pctx, ctx->buf, (int)ctx->len, ctx->file, NULL,
				XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA);
	xmlSetStructuredErrorFunc(saved_data, saved_handler);
	xmlFreeParserCtxt(pctx);
	if (!doc || first.seen) {
		xmlFreeDoc(doc);
		if (!first.seen) /* libxml2 gave no reason: empty input and the like */
			snprintf(first.message, sizeof(first.message), "not an XML document");
		p2psim_error_set(ctx->err, P2PSIM_EINPUT, ctx->file,
				 first.line > 0 ? first.line : 1,
				 first.column > 0 ? first.column : 1, "%s", first.message);
		return -EINVAL;
	}
	*out = doc;
	return 0;
}

/* Parse the schema (a few hundred microseconds; done at every load, no global state). */
static xmlRelaxNGPtr load_schema(struct load_ctx *ctx)
{
	struct xml_first_error first = { 0 };
	xmlRelaxNGParserCtxtPtr pctx;
	xmlRelaxNGPtr schema = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", p2psim_data_dir(), SCHEMA_FILE);
	pctx = xmlRelaxNGNewParserCtxt(path);
	if (pctx) {
		xmlStructuredErrorFunc saved_handler = xmlStructuredError;
		void *saved_data = xmlStructuredErrorContext;

		xmlSetStructuredErrorFunc(&first, capture_xml_error);
		xmlRelaxNGSetParserStructuredErrors(pctx, capture_xml_error, &first);
		schema = xmlRelaxNGParse(pctx);
		xmlSetStructuredErrorFunc(saved_data, saved_handler);
		xmlRelaxNGFreeParserCtxt(pctx);
	}
	if (!schema)
		p2psim_error_set(ctx->err, P2PSIM_EINTERNAL, path, 0, 0,
				 "cannot load the topology schema (%s); is P2PSIM_DATA_DIR the "
				 "topologies/ directory?",
				 first.seen ? first.message : "missing or unreadable");
	return schema;
}

static int validate(struct load_ctx *ctx, xmlDocPtr doc)
{
	struct xml_first_error first = { 0 };
	xmlRelaxNGValidCtxtPtr vctx;
	xmlRelaxNGPtr schema;
	int ret;

	schema = load_schema(ctx);
	if (!schema)
		return -ENOENT;
	vctx = xmlRelaxNGNewValidCtxt(schema);
	if (!vctx) {
		xmlRelaxNGFree(schema);
		return load_oom(ctx);
	}
	xmlRelaxNGSetValidStructuredErrors(vctx, capture_xml_error, &first);
	ret = xmlRelaxNGValidateDoc(vctx, doc);
	xmlRelaxNGFreeValidCtxt(vctx);
	xmlRelaxNGFree(schema);
	if (ret == 0) {
		/*
		 * The schema checks structure only; the lexical form of every
		 * value (numbers, sizes, ids) is checked here, in C (see the
		 * comment at the top of topology.rng).
		 */
		return topology_diagnose(ctx, xmlDocGetRootElement(doc)) ? -EINVAL : 0;
	}
	if (ret < 0) {
		p2psim_error_set(ctx->err, P2PSIM_EINTERNAL, ctx->file, 0, 0,
				 "internal error while validating against the schema");
		return -EIO;
	}
	/* a precise message for the element the validator stopped at, if one can be found */
	if (topology_diagnose(ctx, xmlDocGetRootElement(doc)))
		return -EINVAL;
	if (first.node)
		return load_error(ctx, first.node, NULL, "not valid against the schema: %s",
				  first.message);
	return load_error_line(ctx, first.line, "not valid against the schema: %s", first.message);
}

static int check_root(struct load_ctx *ctx, xmlDocPtr doc)
{
	const xmlNode *root = xmlDocGetRootElement(doc);
	xmlAttr *v;
	u64 version;

	if (!root)
		return load_error_line(ctx, 1, "no root element");
	if (strcmp((const char *)root->name, "topology") || root->ns)
		return load_error(ctx, root, NULL,
				  "the root element is <%s>, expected <topology version=\"1\">",
				  root->name);
	v = xmlHasProp((xmlNode *)root, (const xmlChar *)"version");
	if (v && v->children && v->children->content &&
	    (topology_parse_u64((const char *)v->children->content, false, &version) ||
	     version != 1))
		return load_error(ctx, root, "version",
				  "unsupported topology version '%s' (this p2psim reads version 1)",
				  v->children->content);
	return 0;
}

/* --- the stages ------------------------------------------------------------------ */

static int finalize(struct load_ctx *ctx)
{
	struct pci_enum_error eerr = { 0 };
	struct pci_dev *bad = NULL;
	char msg[512];
	int ret;

	ret = topology_check_ids(ctx);
	if (!ret)
		ret = topology_check_memory_map(ctx);
	if (ret)
		return ret;
	ret = pci_assign_bus_numbers(ctx->topo->fabric, &eerr);
	if (ret == -ENOMEM)
		return load_oom(ctx);
	if (ret)
		return load_error_line(ctx, eerr.line, "%s", eerr.msg);
	ret = topology_check_root_bus_ranges(ctx);
	if (!ret)
		ret = topology_check_bdfs(ctx);
	if (ret)
		return ret;
	ret = pci_assign_resources(ctx->topo->fabric, &eerr);
	if (ret == -ENOMEM)
		return load_oom(ctx);
	if (ret)
		return load_error_line(ctx, eerr.line, "%s", eerr.msg);
	msg[0] = '\0';
	ret = pci_fabric_finalize(ctx->topo->fabric, msg, sizeof(msg), &bad);
	if (ret == -ENOMEM)
		return load_oom(ctx);
	if (ret)
		return load_error_line(ctx, bad ? bad->line : 0, "%s", msg);
	return 0;
}

static int load(struct load_ctx *ctx, p2psim_topology **out)
{
	struct topology *topo = NULL;
	xmlDocPtr doc = NULL;
	int ret;

	ret = parse_xml(ctx, &doc);
	if (ret)
		goto fail;
	ret = check_root(ctx, doc);
	if (ret)
		goto fail;
	ret = validate(ctx, doc);
	if (ret)
		goto fail;
	topo = calloc(1, sizeof(*topo));
	if (!topo || !(topo->fabric = pci_fabric_new()) || !(topo->source = strdup(ctx->file))) {
		ret = load_oom(ctx);
		goto fail;
	}
	ctx->topo = topo;
	ret = topology_build(ctx, xmlDocGetRootElement(doc));
	if (ret)
		goto fail;
	ret = finalize(ctx); /* ctx->switches point into the document: free it after */
	if (ret)
		goto fail;
	xmlFreeDoc(doc);
	load_ctx_release(ctx);
	*out = topology_to_public(topo);
	return P2PSIM_OK;

fail:
	/* every stage recorded why; make sure something is recorded */
	if (ret == -ENOMEM)
		load_oom(ctx);
	p2psim_error_set(ctx->err, P2PSIM_EINTERNAL, ctx->file, 0, 0, "loading failed (%s)",
			 strerror(-ret));
	load_ctx_release(ctx);
	xmlFreeDoc(doc);
	topology_free(topo);
	return ctx->err && ctx->err->status != P2PSIM_OK ? (int)ctx->err->status : P2PSIM_EINTERNAL;
}

int p2psim_topology_load_buffer(const char *buf, size_t len, const char *name,
				p2psim_topology **out, struct p2psim_error *err)
{
	struct p2psim_error local;
	struct load_ctx ctx = {
		.file = name ? name : "<buffer>",
		.buf = buf,
		.len = len,
		.err = err ? err : &local,
	};

	p2psim_error_clear(&local);
	*out = NULL;
	if (!buf) {
		p2psim_error_set(ctx.err, P2PSIM_EINPUT, ctx.file, 0, 0, "no topology text given");
		return P2PSIM_EINPUT;
	}
	return load(&ctx, out);
}

int p2psim_topology_load_file(const char *path, p2psim_topology **out, struct p2psim_error *err)
{
	struct p2psim_error local;
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret;

	p2psim_error_clear(&local);
	if (!err)
		err = &local;
	*out = NULL;
	f = fopen(path, "rb");
	if (!f) {
		p2psim_error_set(err, P2PSIM_EINPUT, path, 0, 0, "cannot open: %s",
				 strerror(errno));
		return P2PSIM_EINPUT;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			char *n;

			if (cap >= MAX_TOPOLOGY_BYTES) {
				fclose(f);
				free(buf);
				p2psim_error_set(err, P2PSIM_EINPUT, path, 0, 0,
						 "file larger than %u MiB",
						 MAX_TOPOLOGY_BYTES >> 20);
				return P2PSIM_EINPUT;
			}
			cap = cap ? cap * 2 : 65536;
			n = realloc(buf, cap + 1);
			if (!n) {
				fclose(f);
				free(buf);
				p2psim_error_set(err, P2PSIM_EINTERNAL, path, 0, 0,
						 "out of memory");
				return P2PSIM_EINTERNAL;
			}
			buf = n;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		p2psim_error_set(err, P2PSIM_EINPUT, path, 0, 0, "cannot read: %s",
				 strerror(errno));
		return P2PSIM_EINPUT;
	}
	fclose(f);
	ret = p2psim_topology_load_buffer(buf ? buf : "", len, path, out, err);
	free(buf);
	return ret;
}
