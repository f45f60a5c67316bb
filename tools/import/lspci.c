// SPDX-License-Identifier: GPL-2.0-only
/*
 * lspci.c - `p2psim import lspci`: read `lspci -vvv -nn` text or an
 * `lspci -tv` / `lspci -tvnn` tree, as pasted in bug reports.
 *
 * -vvv -nn: one block per function, starting at a line "[DDDD:]BB:DD.F Class
 * [cccc]: Vendor Device [vvvv:dddd] (rev rr) (prog-if pp ...)". Inside a block
 * (tab-indented) it reads "Bus: primary=, secondary=, subordinate=" (bridges),
 * "Region N: Memory at ADDR (64-bit, prefetchable) [size=S]" and "I/O ports
 * at", and the ACS capability's "ACSCap:" / "ACSCtl:" flag lines. A function
 * whose block shows extended capabilities (offset >= 0x100) but no ACS has no
 * ACS; with no extended capabilities shown (lspci run without root prints
 * "<access denied>") ACS is unknown. The tree comes from the bus numbers: a
 * function on bus B sits below the bridge whose secondary bus is B, or on a
 * root bus when no bridge has B as secondary.
 *
 * Lines starting with '#' are comments (for attribution headers in fixtures).
 *
 * -tv: the tree is read by column: every "[DDDD:BB]" (a root bus) and
 * "-DD.F" (a function; "-[SS-EE]" after it makes it a bridge) hangs below
 * the nearest root or bridge to its left. -tv gives no class and, without
 * -nn, no IDs (written as 0000:0000 and noted); 00.0 on a root bus is taken
 * to be the host-bridge function.
 */
#define _GNU_SOURCE /* getline */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

struct lspci_ctx {
	const char *path;
	struct imp_machine *m;
	struct p2psim_error *err;
	int acs_read, unknown_ids, functions;
};

static int nomem(struct lspci_ctx *c)
{
	p2psim_error_set(c->err, P2PSIM_EINTERNAL, NULL, 0, 0, "out of memory");
	return P2PSIM_EINTERNAL;
}

static int bad(struct lspci_ctx *c, int line, const char *msg)
{
	p2psim_error_set(c->err, P2PSIM_EINPUT, c->path, line, 0, "%s", msg);
	return P2PSIM_EINPUT;
}

/* @n hex digits at @p (no sign, no spaces), or -1. */
static long hex_digits(const char *p, int n)
{
	long x = 0;

	for (int i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)p[i]))
			return -1;
		x = x * 16 +
		    (isdigit((unsigned char)p[i]) ? p[i] - '0' : (tolower(p[i]) - 'a' + 10));
	}
	return x;
}

/* The last "[xxxx:yyyy]" in @s. */
static bool last_ids(const char *s, int *vendor, int *device)
{
	const char *p = s + strlen(s);

	while (p > s) {
		p--;
		if (*p != '[' || strlen(p) < 11 || p[5] != ':' || p[10] != ']')
			continue;
		if (hex_digits(p + 1, 4) >= 0 && hex_digits(p + 6, 4) >= 0) {
			*vendor = (int)hex_digits(p + 1, 4);
			*device = (int)hex_digits(p + 6, 4);
			return true;
		}
	}
	return false;
}

static struct imp_hostbridge *root_bus(struct lspci_ctx *c, int domain, int bus, int line)
{
	struct imp_hostbridge *hb = imp_find_hostbridge(c->m, domain, bus);

	return hb ? hb : imp_add_hostbridge(c->m, domain, bus, line);
}

/* ---------------------------------------------------------------------- */
/* lspci -vvv -nn                                                         */

struct vvv_fn {
	struct imp_fn *fn;
	bool ext_caps, access_denied, acs_seen;
	bool attached; /* fn is owned by the tree */
};

/* "512K", "16M", "256" -> bytes. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long x = strtoull(s, &end, 10);
	int shift = 0;

	if (end == s)
		return -EINVAL;
	switch (*end) {
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
	case ']':
		break;
	default:
		return -EINVAL;
	}
	*out = (uint64_t)x << shift;
	return 0;
}

static int parse_region(struct lspci_ctx *c, const char *s, int line, struct imp_fn *f)
{
	unsigned int index;
	unsigned long long addr;
	const char *size;
	struct imp_bar *bar;
	int n = 0;
	bool io;

	if (sscanf(s, "Region %u: %n", &index, &n) != 1 || !n)
		return bad(c, line, "malformed Region line");
	if (index > 5)
		return P2PSIM_OK;
	s += n;
	io = !strncmp(s, "I/O ports at ", 13);
	if (!io && strncmp(s, "Memory at ", 10))
		return P2PSIM_OK;
	s += io ? 13 : 10;
	size = strstr(s, "[size=");
	if (strstr(s, "[virtual]"))
		return P2PSIM_OK; /* SR-IOV VF BAR, not this function's */
	if (!strncmp(s, "<unassigned>", 12) || !strncmp(s, "<ignored>", 9) || !size)
		return P2PSIM_OK;
	if (sscanf(s, "%llx", &addr) != 1)
		return bad(c, line, "malformed Region address");
	bar = &f->bars[index];
	bar->present = true;
	bar->line = line;
	bar->has_address = addr != 0;
	bar->address = addr;
	if (parse_size(size + 6, &bar->size_bytes))
		return bad(c, line, "malformed Region size");
	if (io) {
		bar->kind = IMP_BAR_IO;
	} else {
		bar->kind = strstr(s, "(64-bit") ? IMP_BAR_MEM64 : IMP_BAR_MEM32;
		bar->prefetchable = strstr(s, ", prefetchable)") != NULL;
	}
	return P2PSIM_OK;
}

/* "SrcValid+ TransBlk- ReqRedir+ ..." -> bits. */
static unsigned int parse_acs_flags(const char *s)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} flags[] = {
		{ "SrcValid+", IMP_ACS_SV },	{ "TransBlk+", IMP_ACS_TB },
		{ "ReqRedir+", IMP_ACS_RR },	{ "CmpltRedir+", IMP_ACS_CR },
		{ "UpstreamFwd+", IMP_ACS_UF }, { "EgressCtrl+", IMP_ACS_EC },
		{ "DirectTrans+", IMP_ACS_DT },
	};
	unsigned int bits = 0;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strstr(s, flags[i].name))
			bits |= flags[i].bit;
	return bits;
}

/* "[DDDD:]BB:DD.F Class [cccc]: Vendor Device [vvvv:dddd] ..." */
static int parse_header(struct lspci_ctx *c, const char *s, int line, struct imp_fn **out)
{
	char bdf[16];
	int domain, bus, dev, fn, vendor, device, n = 0;
	unsigned int cls, progif = 0;
	const char *colon, *cls_open, *p;
	struct imp_fn *f;

	if (sscanf(s, "%15s%n", bdf, &n) != 1 || imp_parse_bdf(bdf, &domain, &bus, &dev, &fn))
		return bad(c, line,
			   "expected a function header '[DDDD:]BB:DD.F Class [cccc]: ...'");
	colon = strstr(s + n, "]: ");
	cls_open = colon ? colon : NULL;
	while (cls_open && cls_open > s && *cls_open != '[')
		cls_open--;
	if (!colon || !cls_open || colon - cls_open != 5 || hex_digits(cls_open + 1, 4) < 0 ||
	    sscanf(cls_open, "[%4x]", &cls) != 1)
		return bad(c, line,
			   "no class code in brackets: this looks like lspci -vvv without -nn (run "
			   "lspci -vvv -nn: the vendor/device IDs are needed)");
	f = imp_fn_new((cls == 0x0604 || cls == 0x0609) ? IMP_BRIDGE : IMP_ENDPOINT, domain, bus,
		       dev, fn, line);
	if (!f)
		return nomem(c);
	p = strstr(colon, "(prog-if ");
	if (p)
		sscanf(p, "(prog-if %2x", &progif);
	f->class_code = (long)((cls << 8) | (progif & 0xff));
	{
		/* The IDs are the last [vvvv:dddd] before "(rev" / "(prog-if". */
		char text[512];
		const char *rev = strstr(colon, " (rev ");
		const char *pi = strstr(colon, " (prog-if ");
		const char *stop = rev ? rev : pi ? pi : colon + strlen(colon);

		snprintf(text, sizeof(text), "%.*s", (int)(stop - (colon + 3)), colon + 3);
		if (!last_ids(text, &vendor, &device)) {
			imp_fn_free(f);
			return bad(c, line, "no [vendor:device] IDs: run lspci -vvv -nn");
		}
		f->vendor = vendor;
		f->device = device;
		text[strcspn(text, "[")] = '\0';
		while (text[0] && isspace((unsigned char)text[strlen(text) - 1]))
			text[strlen(text) - 1] = '\0';
		if (text[0] && imp_strset(&f->label, "%s", text)) {
			imp_fn_free(f);
			return nomem(c);
		}
	}
	*out = f;
	return P2PSIM_OK;
}

static int read_vvv(struct lspci_ctx *c, FILE *file)
{
	struct vvv_fn *fns = NULL, *cur = NULL;
	size_t nr = 0, cap = 0, linecap = 0;
	char *line = NULL;
	int lineno = 0, ret = P2PSIM_OK;
	ssize_t len;

	while (!ret && (len = getline(&line, &linecap, file)) >= 0) {
		const char *s = line;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#' || !strncmp(line, "lspci:", 6))
			continue;
		if (!isspace((unsigned char)line[0])) {
			struct imp_fn *f = NULL;

			ret = parse_header(c, line, lineno, &f);
			if (ret)
				break;
			if (nr == cap) {
				size_t ncap = cap ? 2 * cap : 32;
				struct vvv_fn *arr = realloc(fns, ncap * sizeof(*arr));

				if (!arr) {
					imp_fn_free(f);
					ret = nomem(c);
					break;
				}
				fns = arr;
				cap = ncap;
			}
			cur = &fns[nr++];
			memset(cur, 0, sizeof(*cur));
			cur->fn = f;
			continue;
		}
		if (!cur) {
			ret = bad(c, lineno, "indented line before the first function header");
			break;
		}
		while (isspace((unsigned char)*s))
			s++;
		if (!strncmp(s, "Bus: primary=", 13)) {
			unsigned int pri, sec, sub;

			if (sscanf(s, "Bus: primary=%x, secondary=%x, subordinate=%x", &pri, &sec,
				   &sub) != 3 ||
			    sec > 0xff || sub > 0xff) {
				ret = bad(
					c, lineno,
					"malformed 'Bus: primary=, secondary=, subordinate=' line");
				break;
			}
			if ((int)sec <= cur->fn->bus || sub < sec) {
				p2psim_error_set(c->err, P2PSIM_EINPUT, c->path, lineno, 0,
						 "inconsistent bus ranges: bridge on bus %02x with "
						 "secondary %02x, subordinate %02x",
						 cur->fn->bus, sec, sub);
				ret = P2PSIM_EINPUT;
				break;
			}
			cur->fn->secondary = (int)sec;
			cur->fn->subordinate = (int)sub;
		} else if (!strncmp(s, "Region ", 7)) {
			ret = parse_region(c, s, lineno, cur->fn);
		} else if (!strncmp(s, "Capabilities: <access denied>", 29)) {
			cur->access_denied = true;
		} else if (!strncmp(s, "Capabilities: [", 15)) {
			unsigned int off = strtoul(s + 15, NULL, 16);

			if (off >= 0x100)
				cur->ext_caps = true;
			if (strstr(s, "Access Control Services"))
				cur->acs_seen = true;
		} else if (!strncmp(s, "ACSCap:", 7)) {
			cur->fn->acs_cap = parse_acs_flags(s + 7);
			cur->acs_seen = true;
		} else if (!strncmp(s, "ACSCtl:", 7)) {
			cur->fn->acs_ctrl = parse_acs_flags(s + 7);
			cur->acs_seen = true;
		}
	}
	free(line);
	if (!ret && !nr)
		ret = bad(c, lineno,
			  "no lspci function header found (expected lspci -vvv -nn output)");

	/* ACS knowledge, then the tree from the bus numbers. */
	for (size_t i = 0; !ret && i < nr; i++) {
		struct vvv_fn *v = &fns[i];

		if (v->fn->kind == IMP_BRIDGE && v->fn->secondary == IMP_UNKNOWN) {
			ret = bad(c, v->fn->line,
				  "a PCI bridge block without its 'Bus: primary=, secondary=, "
				  "subordinate=' line (truncated lspci -vvv output?)");
			break;
		}

		if (v->acs_seen) {
			v->fn->acs_known = v->fn->acs_present = true;
			c->acs_read++;
		} else if (v->ext_caps && !v->access_denied) {
			v->fn->acs_known = true;
		}
	}
	for (size_t i = 0; !ret && i < nr; i++) {
		struct imp_fn *f = fns[i].fn, *parent = NULL;
		struct imp_hostbridge *hb;

		for (size_t j = 0; j < nr; j++) {
			struct imp_fn *b = fns[j].fn;

			if (b->kind == IMP_BRIDGE && b->domain == f->domain &&
			    b->secondary == f->bus && b != f) {
				parent = b;
				break;
			}
		}
		if (parent) {
			/* The root bus comes from the bridge chain; attach to the parent only. */
			imp_fn_attach(NULL, parent, f);
		} else {
			if (!f->bus && !f->dev && !f->fn && (f->class_code >> 8) == 0x0600)
				f->kind = IMP_HOSTFN;
			else if ((f->class_code >> 8) == 0x0600 && f->kind == IMP_ENDPOINT)
				f->kind = IMP_HOSTFN;
			hb = root_bus(c, f->domain, f->bus, f->line);
			if (!hb) {
				ret = nomem(c);
				break;
			}
			imp_fn_attach(hb, NULL, f);
		}
		fns[i].attached = true;
		c->functions++;
	}
	for (size_t i = 0; i < nr; i++)
		if (!fns[i].attached)
			imp_fn_free(fns[i].fn);
	free(fns);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* lspci -tv                                                              */

struct tree_node {
	int col;
	struct imp_hostbridge *hb; /* a root bus ... */
	struct imp_fn *fn; /* ... or a bridge */
};

static int read_tree(struct lspci_ctx *c, FILE *file)
{
	struct tree_node stack[64];
	int depth = 0, lineno = 0, ret = P2PSIM_OK;
	size_t linecap = 0;
	char *line = NULL;

	while (!ret && getline(&line, &linecap, file) >= 0) {
		size_t len;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		len = strlen(line);
		if (!line[0] || line[0] == '#' || !strncmp(line, "lspci:", 6))
			continue;
		for (size_t i = 0; i < len && !ret; i++) {
			unsigned int d, b, dev, fn;
			int n = 0, col = (int)i;

			if (line[i] == '[' && (i == 0 || line[i - 1] == '-') && i + 9 <= len &&
			    line[i + 5] == ':' && line[i + 8] == ']' &&
			    hex_digits(line + i + 1, 4) >= 0 && hex_digits(line + i + 6, 2) >= 0) {
				struct imp_hostbridge *hb;

				d = (unsigned int)hex_digits(line + i + 1, 4);
				b = (unsigned int)hex_digits(line + i + 6, 2);
				n = 9;

				while (depth && stack[depth - 1].col >= col)
					depth--;
				hb = root_bus(c, (int)d, (int)b, lineno);
				if (!hb) {
					ret = nomem(c);
					break;
				}
				if (depth == 64) {
					ret = bad(c, lineno, "tree too deep");
					break;
				}
				stack[depth++] = (struct tree_node){ .col = col, .hb = hb };
				i += n - 1;
				continue;
			}
			if (line[i] != '-' || i + 5 > len ||
			    !isxdigit((unsigned char)line[i + 1]) ||
			    !isxdigit((unsigned char)line[i + 2]) || line[i + 3] != '.' ||
			    sscanf(line + i + 1, "%2x.%1x%n", &dev, &fn, &n) != 2 || n != 4 ||
			    dev > 31 || fn > 7)
				continue;
			col = (int)i + 1;
			while (depth && stack[depth - 1].col >= col)
				depth--;
			if (!depth) {
				ret = bad(c, lineno,
					  "a function with no [DDDD:BB] root bus to its left "
					  "(expected lspci -tv output)");
				break;
			}
			{
				struct tree_node *top = &stack[depth - 1];
				struct imp_hostbridge *hb = top->hb;
				struct imp_fn *parent = top->fn;
				int domain = hb ? hb->domain : parent->domain;
				int bus = hb ? hb->bus : parent->secondary;
				const char *rest = line + i + 5;
				struct imp_fn *f;
				int m = 0;

				f = imp_fn_new(IMP_ENDPOINT, domain, bus, (int)dev, (int)fn,
					       lineno);
				if (!f) {
					ret = nomem(c);
					break;
				}
				if (rest[0] == '-' && rest[1] == '[' &&
				    hex_digits(rest + 2, 2) >= 0 && rest[4] == '-' &&
				    hex_digits(rest + 5, 2) >= 0 && rest[7] == ']') {
					f->kind = IMP_BRIDGE;
					f->secondary = (int)hex_digits(rest + 2, 2);
					f->subordinate = (int)hex_digits(rest + 5, 2);
					m = 8;
				} else if (rest[0] == '-' && rest[1] == '[' &&
					   hex_digits(rest + 2, 2) >= 0 && rest[4] == ']') {
					f->kind = IMP_BRIDGE;
					f->secondary = f->subordinate =
						(int)hex_digits(rest + 2, 2);
					m = 5;
				} else {
					const char *name = rest;
					int v, dv;

					while (*name == ' ')
						name++;
					if (*name && imp_strset(&f->label, "%s", name)) {
						imp_fn_free(f);
						ret = nomem(c);
						break;
					}
					if (last_ids(name, &v, &dv)) {
						f->vendor = v;
						f->device = dv;
					} else {
						c->unknown_ids++;
					}
					if (!parent && !dev && !fn)
						f->kind = IMP_HOSTFN;
				}
				imp_fn_attach(hb, parent, f);
				c->functions++;
				if (f->kind == IMP_BRIDGE) {
					if (depth == 64) {
						ret = bad(c, lineno, "tree too deep");
						break;
					}
					stack[depth++] = (struct tree_node){ .col = col, .fn = f };
					i += 4 + m;
				} else {
					break; /* the name runs to the end of the line */
				}
			}
		}
	}
	free(line);
	if (!ret && !c->functions)
		ret = bad(c, lineno, "no functions found in the lspci -tv tree");
	return ret;
}

int imp_read_lspci(const char *path, struct imp_machine *m, struct p2psim_error *err)
{
	struct lspci_ctx c = { .path = path, .m = m, .err = err };
	char first[256] = "";
	bool tree = false;
	FILE *file = fopen(path, "r");
	int ret;

	if (!file) {
		p2psim_error_set(err, P2PSIM_EINPUT, path, 0, 0, "cannot open: %s",
				 strerror(errno));
		return P2PSIM_EINPUT;
	}
	/* The first meaningful line tells which output it is. */
	while (fgets(first, sizeof(first), file)) {
		const char *s = first;

		if (first[0] == '\n' || first[0] == '#' || !strncmp(first, "lspci:", 6))
			continue;
		while (*s == ' ')
			s++;
		tree = !strncmp(s, "-[", 2) || !strncmp(s, "+-[", 3) || !strncmp(s, "\\-[", 3) ||
		       !strncmp(s, "-+-[", 4);
		break;
	}
	rewind(file);
	ret = tree ? read_tree(&c, file) : read_vvv(&c, file);
	fclose(file);
	if (ret)
		return ret;
	if (!m->name) {
		const char *b = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		size_t len = strcspn(b, ".");

		if (imp_strset(&m->name, "%.*s", (int)(len ? len : strlen(b)), b))
			return nomem(&c);
	}
	if (tree) {
		if (imp_note(
			    m,
			    "Source: lspci -t tree (%d functions): shape and bus numbers only; no "
			    "class codes, BARs or ACS; 00.0 on a root bus is taken to be the host-bridge "
			    "function.",
			    c.functions) ||
		    (c.unknown_ids &&
		     imp_note(m,
			      "%d function(s) without [vendor:device] IDs (lspci -tv without -nn) "
			      "are written as 0000:0000; lspci -tvnn gives the IDs",
			      c.unknown_ids)))
			return nomem(&c);
	} else if (imp_note(m,
			    "Source: lspci -vvv -nn (%d functions): IDs, classes, bus numbers, "
			    "BAR addresses (Region lines), ACS for %d function(s) (ACSCap/ACSCtl).",
			    c.functions, c.acs_read)) {
		return nomem(&c);
	}
	if (imp_note(m, "lspci does not say: the CPU, RAM, the IOMMU."))
		return nomem(&c);
	return P2PSIM_OK;
}
