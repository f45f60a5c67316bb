// SPDX-License-Identifier: GPL-2.0-only
/*
 * parse.c - scenario text -> struct scenario (scenario.h, docs/scenario.md).
 *
 * Two stages per line: split into tokens (whitespace-separated; a double-
 * quoted string may hold spaces; `#` outside quotes starts a comment), then
 * a per-verb parser reads positional arguments and `key=value` options.
 * The first error stops the parse and is reported as FILE:LINE:COL.
 *
 * Owned here: the symbol table during parsing (which names are buffers,
 * which handles, which handles are mapped at this point of the file).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/topology.h"
#include "sim/scenario/scenario.h"
#include "src/dma/dma.h"

#define MAX_TOKENS 256

struct token {
	char *s; /* raw text, quotes and escapes kept */
	int col; /* 1-based */
};

struct parser {
	const char *path;
	struct p2psim_error *err;
	struct scenario *scn;
	int line;
	char *linebuf; /* the current line, NUL-terminated (tokens point into it) */
	struct token toks[MAX_TOKENS];
	int nr_toks;
	bool *live; /* per symbol: handle currently mapped */
	size_t cap_steps, cap_syms;
	bool past_setup; /* a non-setup step has been seen */
	int last_outcome_step; /* index of the last map/map-sg/dma step, -1 if none yet */
	bool last_was_action; /* the previous step of this thread (ignoring expect/echo) has an outcome */
	/* threads */
	int cur_thread; /* 0: main; else 1 + index of the open `thread` block */
	size_t section_first; /* index of the first thread of the open section */
	int block_steps; /* steps in the open block */
	char *block_indent; /* the indentation of its first step */
	size_t cap_threads;
};

static int perr(struct parser *p, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct parser *p, int col, const char *fmt, ...)
{
	char msg[sizeof(p->err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p2psim_error_set(p->err, P2PSIM_EINPUT, p->path, p->line, col, "%s", msg);
	return -EINVAL;
}

static int oom(struct parser *p)
{
	p2psim_error_set(p->err, P2PSIM_EINTERNAL, p->path, p->line, 0, "out of memory");
	return -ENOMEM;
}

/* --- tokens --------------------------------------------------------------- */

static int tokenize(struct parser *p, char *line)
{
	char *c = line;

	p->nr_toks = 0;
	for (;;) {
		char *start;
		bool in_quote = false;

		while (*c == ' ' || *c == '\t')
			c++;
		if (!*c || *c == '#')
			break;
		if (p->nr_toks == MAX_TOKENS)
			return perr(p, (int)(c - line) + 1,
				    "too many words on one line (at most %d)", MAX_TOKENS);
		start = c;
		while (*c && (in_quote || (*c != ' ' && *c != '\t' && *c != '#'))) {
			if (*c == '"') {
				in_quote = !in_quote;
			} else if (in_quote && *c == '\\') {
				if (!c[1])
					break;
				c++;
			}
			c++;
		}
		if (in_quote)
			return perr(p, (int)(start - line) + 1, "unterminated string");
		p->toks[p->nr_toks].s = start;
		p->toks[p->nr_toks].col = (int)(start - line) + 1;
		p->nr_toks++;
		if (*c == '#') {
			*c = '\0';
			break;
		}
		if (*c)
			*c++ = '\0';
	}
	return 0;
}

/* Unescape a "..." token into a fresh buffer. */
static int unquote(struct parser *p, const struct token *t, const char *s, char **out,
		   size_t *out_len)
{
	size_t n = strlen(s);
	char *buf;
	size_t len = 0;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return perr(p, t->col, "expected a quoted string");
	buf = malloc(n);
	if (!buf)
		return oom(p);
	for (size_t i = 1; i + 1 < n; i++) {
		char c = s[i];

		if (c == '"') {
			free(buf);
			return perr(p, t->col, "stray '\"' inside a string (escape it as \\\")");
		}
		if (c == '\\') {
			char e = s[++i];

			if (e == 'n') {
				c = '\n';
			} else if (e == 't') {
				c = '\t';
			} else if (e == '0') {
				c = '\0';
			} else if (e == '\\' || e == '"') {
				c = e;
			} else if (e == 'x' && isxdigit((unsigned char)s[i + 1]) &&
				   isxdigit((unsigned char)s[i + 2])) {
				char hex[3] = { s[i + 1], s[i + 2], 0 };

				c = (char)strtoul(hex, NULL, 16);
				i += 2;
			} else {
				free(buf);
				return perr(p, t->col, "unknown escape '\\%c' in string",
					    e ? e : ' ');
			}
		}
		buf[len++] = c;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

/* Is the token an option "key=value" (key: lower-case word)? */
static bool is_option(const char *s)
{
	if (!islower((unsigned char)*s))
		return false;
	while (islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-')
		s++;
	return *s == '=';
}

/* --- symbols -------------------------------------------------------------- */

static bool valid_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	return true;
}

static int sym_find(const struct scenario *scn, const char *name)
{
	for (size_t i = 0; i < scn->nr_syms; i++)
		if (!strcmp(scn->syms[i].name, name))
			return (int)i;
	return -1;
}

static int sym_add(struct parser *p, const char *name, enum scn_symbol_kind kind)
{
	struct scenario *scn = p->scn;

	if (scn->nr_syms == p->cap_syms) {
		size_t cap = p->cap_syms ? p->cap_syms * 2 : 16;
		struct scn_symbol *syms = realloc(scn->syms, cap * sizeof(*syms));
		bool *live;

		if (!syms)
			return oom(p);
		scn->syms = syms;
		live = realloc(p->live, cap * sizeof(*live));
		if (!live)
			return oom(p);
		p->live = live;
		p->cap_syms = cap;
	}
	scn->syms[scn->nr_syms].name = strdup(name);
	if (!scn->syms[scn->nr_syms].name)
		return oom(p);
	scn->syms[scn->nr_syms].kind = kind;
	scn->syms[scn->nr_syms].line = p->line;
	scn->syms[scn->nr_syms].is_sg = false;
	scn->syms[scn->nr_syms].is_bar = false;
	p->live[scn->nr_syms] = false;
	return (int)scn->nr_syms++;
}

/* A name that must already be a buffer (want_handle false) or a handle. */
static int sym_use(struct parser *p, const struct token *t, const char *name, bool want_handle)
{
	int i = sym_find(p->scn, name);

	if (i < 0) {
		if (!valid_name(name))
			return perr(p, t->col, "'%s' is not a %s name", name,
				    want_handle ? "handle" : "buffer");
		return perr(p, t->col, "unknown %s '%s'", want_handle ? "handle" : "buffer", name);
	}
	if (want_handle && p->scn->syms[i].kind != SCN_SYM_HANDLE)
		return perr(p, t->col,
			    "'%s' is a buffer, not a handle: devices see DMA addresses, so map it "
			    "first (or use phys:%s / bus:%s)",
			    name, name, name);
	if (!want_handle && p->scn->syms[i].kind != SCN_SYM_BUFFER)
		return perr(p, t->col, "'%s' is a handle, not a buffer (defined at line %d)", name,
			    p->scn->syms[i].line);
	return i;
}

/* --- values --------------------------------------------------------------- */

static int get_size(struct parser *p, const struct token *t, const char *s, const char *what,
		    u64 *out)
{
	int ret = scn_parse_size(s, out);

	if (ret == -ERANGE)
		return perr(p, t->col, "%s '%s' is too large", what, s);
	if (ret)
		return perr(p, t->col,
			    "bad %s '%s' (a number, 0x hex, with an optional K/M/G/T suffix)", what,
			    s);
	return 0;
}

static int get_number(struct parser *p, const struct token *t, const char *s, const char *what,
		      u64 *out)
{
	int ret = scn_parse_number(s, out);

	if (ret == -ERANGE)
		return perr(p, t->col, "%s '%s' is too large", what, s);
	if (ret)
		return perr(p, t->col, "bad %s '%s' (a decimal or 0x hex number)", what, s);
	return 0;
}

static int get_dir(struct parser *p, const struct token *t, const char *s, int *dir)
{
	static const struct {
		const char *name;
		int dir;
	} names[] = {
		{ "to-device", DMA_TO_DEVICE },
		{ "to-dev", DMA_TO_DEVICE },
		{ "from-device", DMA_FROM_DEVICE },
		{ "from-dev", DMA_FROM_DEVICE },
		{ "bidirectional", DMA_BIDIRECTIONAL },
		{ "bidir", DMA_BIDIRECTIONAL },
		{ "none", DMA_NONE },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*dir = names[i].dir;
			return 0;
		}
	}
	return perr(p, t->col, "bad direction '%s' (to-device, from-device, bidirectional or none)",
		    s);
}

static int get_attrs(struct parser *p, const struct token *t, const char *s, unsigned long *attrs)
{
	static const struct {
		const char *name;
		unsigned long bit;
	} names[] = {
		{ "weak-ordering", DMA_ATTR_WEAK_ORDERING },
		{ "write-combine", DMA_ATTR_WRITE_COMBINE },
		{ "no-kernel-mapping", DMA_ATTR_NO_KERNEL_MAPPING },
		{ "skip-cpu-sync", DMA_ATTR_SKIP_CPU_SYNC },
		{ "force-contiguous", DMA_ATTR_FORCE_CONTIGUOUS },
		{ "alloc-single-pages", DMA_ATTR_ALLOC_SINGLE_PAGES },
		{ "no-warn", DMA_ATTR_NO_WARN },
		{ "privileged", DMA_ATTR_PRIVILEGED },
		{ "mmio", DMA_ATTR_MMIO },
		{ "ignore-cachelines", DMA_ATTR_DEBUGGING_IGNORE_CACHELINES },
		{ "require-coherent", DMA_ATTR_REQUIRE_COHERENT },
	};
	const char *c = s;

	*attrs = 0;
	while (*c) {
		const char *end = strchr(c, ',');
		size_t n = end ? (size_t)(end - c) : strlen(c);
		bool found = false;

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strlen(names[i].name) == n && !strncmp(c, names[i].name, n)) {
				*attrs |= names[i].bit;
				found = true;
			}
		}
		if (!found)
			return perr(p, t->col,
				    "unknown DMA attribute '%.*s' (see docs/scenario.md)", (int)n,
				    c);
		if (!end)
			break;
		c = end + 1;
		if (!*c)
			return perr(p, t->col, "empty DMA attribute after ','");
	}
	if (!*s)
		return perr(p, t->col, "empty attribute list");
	return 0;
}

/* 0xNN / decimal byte, zero, ones, seq[:N], rand[:N], "text". */
static int get_pattern(struct parser *p, const struct token *t, const char *s,
		       struct scn_pattern *pat)
{
	u64 v;

	memset(pat, 0, sizeof(*pat));
	if (s[0] == '"') {
		int ret = unquote(p, t, s, &pat->text, &pat->text_len);

		if (ret)
			return ret;
		if (!pat->text_len)
			return perr(p, t->col, "empty string pattern");
		pat->kind = SCN_PAT_TEXT;
		return 0;
	}
	if (!strcmp(s, "zero") || !strcmp(s, "zeros")) {
		pat->kind = SCN_PAT_BYTE;
		pat->byte = 0;
		return 0;
	}
	if (!strcmp(s, "ones")) {
		pat->kind = SCN_PAT_BYTE;
		pat->byte = 0xff;
		return 0;
	}
	if (!strncmp(s, "seq", 3) && (s[3] == '\0' || s[3] == ':')) {
		pat->kind = SCN_PAT_SEQ;
		if (s[3] == ':') {
			if (scn_parse_number(s + 4, &v) || v > 255)
				return perr(p, t->col, "bad sequence start in '%s' (0..255)", s);
			pat->byte = (u8)v;
		}
		return 0;
	}
	if (!strncmp(s, "rand", 4) && (s[4] == '\0' || s[4] == ':')) {
		pat->kind = SCN_PAT_RAND;
		if (s[4] == ':' && scn_parse_number(s + 5, &pat->key))
			return perr(p, t->col, "bad random key in '%s' (a number)", s);
		return 0;
	}
	if (!scn_parse_number(s, &v)) {
		if (v > 255)
			return perr(p, t->col, "byte pattern '%s' does not fit in a byte", s);
		pat->kind = SCN_PAT_BYTE;
		pat->byte = (u8)v;
		return 0;
	}
	return perr(
		p, t->col,
		"bad pattern '%s' (a byte like 0xa5, zero, ones, seq[:N], rand[:N] or \"text\")",
		s);
}

/*
 * NAME[@OFF][+LEN] | ADDR[+LEN] | bus:NAME... | phys:NAME...
 * @want: 'b' a buffer, 'h' a handle, 't' a DMA target (handle, address, bus:, phys:).
 */
static int get_ref(struct parser *p, const struct token *t, char want, struct scn_ref *ref)
{
	char *s = t->s, *at, *plus;
	const char *name;
	int ret;

	memset(ref, 0, sizeof(*ref));
	ref->col = t->col;
	ref->sym = -1;
	plus = strchr(s, '+');
	if (plus)
		*plus = '\0';
	if (isdigit((unsigned char)s[0])) {
		if (want != 't')
			ret = perr(p, t->col, "expected a %s name, not an address",
				   want == 'b' ? "buffer" : "handle");
		else
			ret = get_number(p, t, s, "address", &ref->addr);
		if (ret)
			goto out;
		ref->kind = SCN_REF_ADDR;
		if (!plus) {
			ret = perr(p, t->col, "a raw address needs a length: ADDR+LEN");
			goto out;
		}
	} else {
		ref->kind = SCN_REF_SYMBOL;
		name = s;
		if (!strncmp(s, "bus:", 4) || !strncmp(s, "phys:", 5)) {
			if (want != 't') {
				ret = perr(p, t->col, "'%.*s' addresses are only for dma targets",
					   (int)(strchr(s, ':') - s), s);
				goto out;
			}
			ref->kind = s[0] == 'b' ? SCN_REF_BUS : SCN_REF_PHYS;
			name = strchr(s, ':') + 1;
		}
		at = strchr(name, '@');
		if (at) {
			*at = '\0';
			ret = get_size(p, t, at + 1, "offset", &ref->off);
			if (ret)
				goto out;
		}
		ret = sym_use(p, t, name,
			      want == 'h' || (want == 't' && ref->kind == SCN_REF_SYMBOL));
		if (ret < 0)
			goto out;
		ref->sym = ret;
		if (ref->kind == SCN_REF_BUS && !p->scn->syms[ret].is_bar) {
			ret = perr(
				p, t->col,
				"'%s' is a RAM buffer: bus: addresses are for BAR buffers (bar=DEV:N)",
				name);
			goto out;
		}
		if (at)
			*at = '@';
	}
	ret = 0;
	if (plus) {
		ret = get_size(p, t, plus + 1, "length", &ref->len);
		if (!ret && !ref->len)
			ret = perr(p, t->col, "zero length");
		ref->len_given = true;
	}
out:
	if (plus)
		*plus = '+';
	return ret < 0 ? ret : 0;
}

/* --- options -------------------------------------------------------------- */

/* Split the tokens after the verb into positionals and options. */
struct args {
	const struct token *pos[MAX_TOKENS];
	int nr_pos;
	const struct token *opt[MAX_TOKENS];
	int nr_opt;
};

static void split_args(struct parser *p, int first, struct args *a)
{
	a->nr_pos = a->nr_opt = 0;
	for (int i = first; i < p->nr_toks; i++) {
		if (is_option(p->toks[i].s))
			a->opt[a->nr_opt++] = &p->toks[i];
		else
			a->pos[a->nr_pos++] = &p->toks[i];
	}
}

/* Check that every option is in @allowed ("a,b,c") and given once. */
static int check_options(struct parser *p, const struct args *a, const char *verb,
			 const char *allowed)
{
	for (int i = 0; i < a->nr_opt; i++) {
		const char *s = a->opt[i]->s;
		size_t n = (size_t)(strchr(s, '=') - s);
		const char *c = allowed;
		bool ok = false;

		while (c && *c) {
			const char *end = strchr(c, ',');
			size_t m = end ? (size_t)(end - c) : strlen(c);

			if (m == n && !strncmp(c, s, n))
				ok = true;
			c = end ? end + 1 : NULL;
		}
		if (!ok) {
			if (!*allowed)
				return perr(p, a->opt[i]->col, "'%s' takes no options", verb);
			return perr(p, a->opt[i]->col,
				    "unknown option '%.*s' for '%s' (allowed: %s)", (int)n, s, verb,
				    allowed);
		}
		if (!s[n + 1])
			return perr(p, a->opt[i]->col, "option '%.*s' needs a value", (int)n, s);
		for (int j = 0; j < i; j++)
			if (!strncmp(a->opt[j]->s, s, n + 1))
				return perr(p, a->opt[i]->col, "option '%.*s' given twice", (int)n,
					    s);
	}
	return 0;
}

/* The value of option @key, or NULL; *@tok gets its token. */
static const char *opt_get(const struct args *a, const char *key, const struct token **tok)
{
	size_t n = strlen(key);

	for (int i = 0; i < a->nr_opt; i++) {
		if (!strncmp(a->opt[i]->s, key, n) && a->opt[i]->s[n] == '=') {
			*tok = a->opt[i];
			return a->opt[i]->s + n + 1;
		}
	}
	return NULL;
}

static int need_pos(struct parser *p, const struct args *a, int min, int max, const char *usage)
{
	if (a->nr_pos < min)
		return perr(p, p->toks[0].col, "too few arguments: %s", usage);
	if (a->nr_pos > max && max >= 0 && max < MAX_TOKENS)
		return perr(p, a->pos[max]->col, "unexpected '%s': %s", a->pos[max]->s, usage);
	return 0;
}

static int set_str(struct parser *p, char **dst, const char *s)
{
	*dst = strdup(s);
	return *dst ? 0 : oom(p);
}

/* --- verbs ---------------------------------------------------------------- */

static int parse_seed(struct parser *p, struct scn_step *st, const struct args *a)
{
	int ret = need_pos(p, a, 1, 1, "seed N");

	if (!ret)
		ret = check_options(p, a, "seed", "");
	if (!ret)
		ret = get_number(p, a->pos[0], a->pos[0]->s, "seed", &st->value);
	if (!ret && p->scn->seed_given)
		ret = perr(p, p->toks[0].col, "seed given twice");
	if (!ret) {
		p->scn->seed_given = true;
		p->scn->seed = st->value;
	}
	return ret;
}

static int parse_iommu(struct parser *p, struct scn_step *st, const struct args *a)
{
	static const char *const modes[] = {
		[IOMMU_MODE_STRICT] = "strict",
		[IOMMU_MODE_LAZY] = "lazy",
		[IOMMU_MODE_PASSTHROUGH] = "passthrough",
		[IOMMU_MODE_OFF] = "off",
	};
	int ret = need_pos(p, a, 2, 2, "iommu DEV|all strict|lazy|passthrough|off");

	if (!ret)
		ret = check_options(p, a, "iommu", "");
	if (ret)
		return ret;
	st->mode = -1;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(a->pos[1]->s, modes[i]))
			st->mode = (int)i;
	if (st->mode < 0)
		return perr(p, a->pos[1]->col,
			    "bad IOMMU mode '%s' (strict, lazy, passthrough or off)", a->pos[1]->s);
	st->dev_col = a->pos[0]->col;
	return set_str(p, &st->dev, a->pos[0]->s);
}

static int parse_buf(struct parser *p, struct scn_step *st, const struct args *a)
{
	const struct token *t;
	const char *v;
	int ret = need_pos(
		p, a, 2, 2,
		"buf NAME SIZE [at=ADDR] [align=SIZE] [bar=DEV[:N]] [off=OFF] [fill=PATTERN]");

	if (!ret)
		ret = check_options(p, a, "buf", "at,align,bar,off,fill");
	if (ret)
		return ret;
	if (!valid_name(a->pos[0]->s))
		return perr(
			p, a->pos[0]->col,
			"bad buffer name '%s' (a letter or '_', then letters, digits, '_', '-', '.')",
			a->pos[0]->s);
	if (sym_find(p->scn, a->pos[0]->s) >= 0)
		return perr(p, a->pos[0]->col, "'%s' is already defined (line %d)", a->pos[0]->s,
			    p->scn->syms[sym_find(p->scn, a->pos[0]->s)].line);
	ret = get_size(p, a->pos[1], a->pos[1]->s, "size", &st->size);
	if (ret)
		return ret;
	if (!st->size)
		return perr(p, a->pos[1]->col, "a buffer cannot be empty");
	if ((v = opt_get(a, "at", &t))) {
		ret = get_number(p, t, v, "address", &st->at);
		if (ret)
			return ret;
		st->at_given = true;
		if (st->at + st->size < st->at)
			return perr(p, t->col, "buffer wraps around the address space");
	}
	if ((v = opt_get(a, "align", &t))) {
		ret = get_size(p, t, v, "alignment", &st->align);
		if (ret)
			return ret;
		if (!st->align || (st->align & (st->align - 1)))
			return perr(p, t->col, "alignment must be a power of two");
	}
	st->bar_index = -1;
	if ((v = opt_get(a, "bar", &t))) {
		const char *colon = strrchr(v, ':');
		u64 idx;

		if (st->at_given || st->align)
			return perr(p, t->col, "a BAR buffer takes off=, not at= or align=");
		/* "nvme0:2" names BAR 2; a BDF "0000:03:00.0" has colons too: only a
		 * single digit after the last colon is a BAR index. */
		if (colon && colon[1] && !colon[2] && isdigit((unsigned char)colon[1])) {
			idx = (u64)(colon[1] - '0');
			if (idx > 5)
				return perr(p, t->col, "BAR index %llu out of range (0..5)",
					    (unsigned long long)idx);
			st->bar_index = (int)idx;
			st->bar_dev = strndup(v, (size_t)(colon - v));
		} else {
			st->bar_dev = strdup(v);
		}
		if (!st->bar_dev)
			return oom(p);
		if (!*st->bar_dev)
			return perr(p, t->col, "bar= needs a device: bar=DEV or bar=DEV:N");
		st->dev_col = t->col;
		if ((v = opt_get(a, "off", &t))) {
			ret = get_size(p, t, v, "offset", &st->bar_off);
			if (ret)
				return ret;
		}
	} else if (opt_get(a, "off", &t)) {
		return perr(p, t->col, "off= is for BAR buffers (with bar=DEV:N)");
	}
	if ((v = opt_get(a, "fill", &t))) {
		ret = get_pattern(p, t, v, &st->fill);
		if (ret)
			return ret;
		st->has_fill = true;
	}
	ret = sym_add(p, a->pos[0]->s, SCN_SYM_BUFFER);
	if (ret < 0)
		return ret;
	st->sym = ret;
	st->sym_col = a->pos[0]->col;
	p->scn->syms[ret].is_bar = st->bar_dev != NULL;
	return 0;
}

static int parse_fill(struct parser *p, struct scn_step *st, const struct args *a)
{
	int ret = need_pos(p, a, 2, 2, "fill BUF[@OFF][+LEN] PATTERN");

	if (!ret)
		ret = check_options(p, a, "fill", "");
	if (ret)
		return ret;
	st->refs = calloc(1, sizeof(*st->refs));
	if (!st->refs)
		return oom(p);
	st->nr_refs = 1;
	ret = get_ref(p, a->pos[0], 'b', &st->refs[0]);
	if (!ret)
		ret = get_pattern(p, a->pos[1], a->pos[1]->s, &st->fill);
	st->has_fill = true;
	return ret;
}

static int parse_dma_mask(struct parser *p, struct scn_step *st, const struct args *a)
{
	int ret = need_pos(p, a, 2, 2, "dma-mask DEV BITS [min-align=MASK]");
	const struct token *t;
	const char *v;

	if (!ret)
		ret = check_options(p, a, "dma-mask", "min-align");
	if (!ret)
		ret = get_number(p, a->pos[1], a->pos[1]->s, "mask width", &st->value);
	if (ret)
		return ret;
	if (st->value < 1 || st->value > 64)
		return perr(p, a->pos[1]->col, "DMA mask width must be 1..64 bits");
	if ((v = opt_get(a, "min-align", &t))) {
		ret = get_number(p, t, v, "min_align_mask", &st->align);
		if (ret)
			return ret;
		if ((st->align & (st->align + 1)) || st->align > 0xffffffffu)
			return perr(p, t->col, "min_align_mask %s is not of the form 2^n - 1", v);
		st->at_given = true; /* min-align= given (0 is a mask too) */
	}
	st->dev_col = a->pos[0]->col;
	return set_str(p, &st->dev, a->pos[0]->s);
}

/* A new handle name for map / map-sg: new, or a handle that is not mapped now. */
static int define_handle(struct parser *p, const struct token *t, bool is_sg)
{
	int i = sym_find(p->scn, t->s);

	if (i < 0) {
		if (!valid_name(t->s))
			return perr(
				p, t->col,
				"bad handle name '%s' (a letter or '_', then letters, digits, '_', '-', '.')",
				t->s);
		i = sym_add(p, t->s, SCN_SYM_HANDLE);
		if (i < 0)
			return i;
	} else if (p->scn->syms[i].kind != SCN_SYM_HANDLE) {
		return perr(p, t->col, "'%s' is a buffer (line %d), not a handle", t->s,
			    p->scn->syms[i].line);
	} else if (p->live[i]) {
		return perr(
			p, t->col,
			"handle '%s' is still mapped (line %d): unmap it first or use another name",
			t->s, p->scn->syms[i].line);
	}
	p->scn->syms[i].line = p->line;
	p->scn->syms[i].is_sg = is_sg;
	p->live[i] = true;
	return i;
}

static int parse_map(struct parser *p, struct scn_step *st, const struct args *a, bool sg)
{
	const struct token *t;
	const char *v;
	int nr_refs, ret;

	if (sg)
		ret = need_pos(p, a, 4, MAX_TOKENS - 1,
			       "map-sg HANDLE DEV DIR BUF[@OFF][+LEN]... [attrs=LIST]");
	else
		ret = need_pos(p, a, 4, 5,
			       "map HANDLE DEV DIR BUF[@OFF][+LEN] [unchecked] [attrs=LIST]");
	if (!ret)
		ret = check_options(p, a, sg ? "map-sg" : "map", "attrs");
	if (ret)
		return ret;
	nr_refs = a->nr_pos - 3;
	if (!sg && a->nr_pos == 5) {
		if (strcmp(a->pos[4]->s, "unchecked"))
			return perr(p, a->pos[4]->col,
				    "unexpected '%s' (only 'unchecked' may follow the buffer)",
				    a->pos[4]->s);
		st->unchecked = true;
		nr_refs = 1;
	}
	ret = get_dir(p, a->pos[2], a->pos[2]->s, &st->dir);
	if (ret)
		return ret;
	st->dir_given = true;
	if ((v = opt_get(a, "attrs", &t))) {
		ret = get_attrs(p, t, v, &st->attrs);
		if (ret)
			return ret;
	}
	st->refs = calloc((size_t)nr_refs, sizeof(*st->refs));
	if (!st->refs)
		return oom(p);
	st->nr_refs = (size_t)nr_refs;
	for (int i = 0; i < nr_refs; i++) {
		ret = get_ref(p, a->pos[3 + i], 'b', &st->refs[i]);
		if (ret)
			return ret;
	}
	st->dev_col = a->pos[1]->col;
	ret = set_str(p, &st->dev, a->pos[1]->s);
	if (ret)
		return ret;
	ret = define_handle(p, a->pos[0], sg);
	if (ret < 0)
		return ret;
	st->sym = ret;
	st->sym_col = a->pos[0]->col;
	return 0;
}

static int get_as(struct parser *p, const struct args *a, struct scn_step *st)
{
	const struct token *t;
	const char *v = opt_get(a, "as", &t);

	st->as_sg = -1;
	if (!v)
		return 0;
	if (!strcmp(v, "single"))
		st->as_sg = 0;
	else if (!strcmp(v, "sg"))
		st->as_sg = 1;
	else
		return perr(p, t->col, "bad as='%s' (single or sg)", v);
	return 0;
}

static int get_nents(struct parser *p, const struct args *a, struct scn_step *st)
{
	const struct token *t;
	const char *v = opt_get(a, "nents", &t);
	u64 n;
	int ret;

	if (!v)
		return 0;
	ret = get_number(p, t, v, "entry count", &n);
	if (ret)
		return ret;
	if (n > 65536)
		return perr(p, t->col, "entry count %llu is too large", (unsigned long long)n);
	st->nents = (int)n;
	st->nents_given = true;
	return 0;
}

static int parse_unmap(struct parser *p, struct scn_step *st, const struct args *a)
{
	const struct token *t;
	const char *v;
	int ret = need_pos(
		p, a, 1, 1,
		"unmap HANDLE [size=SIZE] [dir=DIR] [as=single|sg] [nents=N] [attrs=LIST]");

	if (!ret)
		ret = check_options(p, a, "unmap", "size,dir,as,nents,attrs");
	if (!ret)
		ret = sym_use(p, a->pos[0], a->pos[0]->s, true);
	if (ret < 0)
		return ret;
	st->sym = ret;
	st->sym_col = a->pos[0]->col;
	p->live[st->sym] = false;
	if ((v = opt_get(a, "size", &t))) {
		ret = get_size(p, t, v, "size", &st->bad_size);
		if (ret)
			return ret;
		st->size_given = true;
	}
	if ((v = opt_get(a, "dir", &t))) {
		ret = get_dir(p, t, v, &st->dir);
		if (ret)
			return ret;
		st->dir_given = true;
	}
	if ((v = opt_get(a, "attrs", &t))) {
		ret = get_attrs(p, t, v, &st->attrs);
		if (ret)
			return ret;
	}
	ret = get_as(p, a, st);
	if (!ret)
		ret = get_nents(p, a, st);
	return ret;
}

static int parse_sync(struct parser *p, struct scn_step *st, const struct args *a)
{
	const struct token *t;
	const char *v;
	int ret = need_pos(
		p, a, 2, 2,
		"sync HANDLE for-cpu|for-device [dir=DIR] [off=OFF] [len=LEN] [nents=N] [as=single|sg]");

	if (!ret)
		ret = check_options(p, a, "sync", "dir,off,len,nents,as");
	if (!ret)
		ret = sym_use(p, a->pos[0], a->pos[0]->s, true);
	if (ret < 0)
		return ret;
	st->sym = ret;
	st->sym_col = a->pos[0]->col;
	if (!strcmp(a->pos[1]->s, "for-cpu"))
		st->for_cpu = true;
	else if (strcmp(a->pos[1]->s, "for-device"))
		return perr(p, a->pos[1]->col, "bad sync '%s' (for-cpu or for-device)",
			    a->pos[1]->s);
	if ((v = opt_get(a, "dir", &t))) {
		ret = get_dir(p, t, v, &st->dir);
		if (ret)
			return ret;
		st->dir_given = true;
	}
	if ((v = opt_get(a, "off", &t))) {
		ret = get_size(p, t, v, "offset", &st->sync_off);
		if (ret)
			return ret;
		st->off_given = true;
	}
	if ((v = opt_get(a, "len", &t))) {
		ret = get_size(p, t, v, "length", &st->bad_size);
		if (ret)
			return ret;
		if (!st->bad_size)
			return perr(p, t->col, "zero length");
		st->size_given = true;
	}
	ret = get_as(p, a, st);
	if (!ret)
		ret = get_nents(p, a, st);
	return ret;
}

static int get_seg(struct parser *p, const struct args *a, struct scn_step *st)
{
	const struct token *t;
	const char *v = opt_get(a, "seg", &t);
	u64 n;
	int ret;

	if (!v)
		return 0;
	ret = get_number(p, t, v, "segment", &n);
	if (ret)
		return ret;
	if (n > 65535)
		return perr(p, t->col, "segment %llu out of range", (unsigned long long)n);
	st->seg = (int)n;
	return 0;
}

static int parse_dma(struct parser *p, struct scn_step *st, const struct args *a)
{
	const char *usage = "dma read|write DEV TARGET [expect=PATTERN | data=PATTERN] [seg=N]";
	const struct token *t;
	const char *v;
	int ret = need_pos(p, a, 3, 3, usage);

	if (ret)
		return ret;
	if (!strcmp(a->pos[0]->s, "read")) {
		st->verb = SCN_DMA_READ;
		ret = check_options(p, a, "dma read", "expect,seg");
		v = opt_get(a, "expect", &t);
	} else if (!strcmp(a->pos[0]->s, "write")) {
		st->verb = SCN_DMA_WRITE;
		ret = check_options(p, a, "dma write", "data,seg");
		v = opt_get(a, "data", &t);
		if (!ret && !v)
			ret = perr(p, p->toks[0].col, "dma write needs data=PATTERN");
	} else {
		return perr(p, a->pos[0]->col, "bad DMA '%s' (read or write): %s", a->pos[0]->s,
			    usage);
	}
	if (ret)
		return ret;
	if (v) {
		ret = get_pattern(p, t, v, &st->data);
		if (ret)
			return ret;
		st->has_data = true;
	}
	st->refs = calloc(1, sizeof(*st->refs));
	if (!st->refs)
		return oom(p);
	st->nr_refs = 1;
	ret = get_ref(p, a->pos[2], 't', &st->refs[0]);
	if (ret)
		return ret;
	ret = get_seg(p, a, st);
	if (ret)
		return ret;
	st->dev_col = a->pos[1]->col;
	return set_str(p, &st->dev, a->pos[1]->s);
}

static int parse_advance(struct parser *p, struct scn_step *st, const struct args *a)
{
	int ret = need_pos(p, a, 1, 1, "advance DURATION (e.g. 10ms)");

	if (!ret)
		ret = check_options(p, a, "advance", "");
	if (ret)
		return ret;
	ret = scn_parse_duration(a->pos[0]->s, &st->value);
	if (ret == -ERANGE)
		return perr(p, a->pos[0]->col, "duration '%s' is too long", a->pos[0]->s);
	if (ret)
		return perr(p, a->pos[0]->col,
			    "bad duration '%s' (a number with a unit: ns, us, ms or s)",
			    a->pos[0]->s);
	return 0;
}

static int parse_release(struct parser *p, struct scn_step *st, const struct args *a)
{
	int ret = need_pos(p, a, 1, 1, "release DEV");

	if (!ret)
		ret = check_options(p, a, "release", "");
	if (ret)
		return ret;
	st->dev_col = a->pos[0]->col;
	return set_str(p, &st->dev, a->pos[0]->s);
}

static int parse_echo(struct parser *p, struct scn_step *st)
{
	size_t len = 0, n;
	char *text;

	/* The words as written, one space apart; a lone quoted string is unquoted. */
	if (p->nr_toks == 2 && p->toks[1].s[0] == '"')
		return unquote(p, &p->toks[1], p->toks[1].s, &st->text, &n);
	for (int i = 1; i < p->nr_toks; i++)
		len += strlen(p->toks[i].s) + 1;
	text = calloc(1, len + 1);
	if (!text)
		return oom(p);
	for (int i = 1; i < p->nr_toks; i++) {
		if (i > 1)
			strcat(text, " ");
		strcat(text, p->toks[i].s);
	}
	st->text = text;
	return 0;
}

static int dmabuf_sym(struct parser *p, const struct token *t, enum scn_symbol_kind kind,
		      bool define);

static int parse_expect(struct parser *p, struct scn_step *st, const struct args *a)
{
	const char *usage =
		"expect ok | error [ERRNO] | fault [KIND] | no-fault | data BUF PATTERN | "
		"maptype HANDLE TYPE | count COUNTER [OP] N | violation CHECKER [RULE] | "
		"p2p CLIENT PROVIDER TYPE | revoked NAME | not-revoked NAME";
	const char *kind;
	int ret;

	if (a->nr_pos < 1)
		return perr(p, p->toks[0].col, "expect what? %s", usage);
	kind = a->pos[0]->s;
	if (!strcmp(kind, "ok") || !strcmp(kind, "error") || !strcmp(kind, "fault") ||
	    !strcmp(kind, "no-fault")) {
		if (!p->last_was_action)
			return perr(p, a->pos[0]->col,
				    "'expect %s' must follow a map, map-sg, dma or dma-mask step",
				    kind);
	}
	if (!strcmp(kind, "ok") || !strcmp(kind, "no-fault")) {
		st->verb = kind[0] == 'o' ? SCN_EXPECT_OK : SCN_EXPECT_NO_FAULT;
		ret = need_pos(p, a, 1, 1, kind[0] == 'o' ? "expect ok" : "expect no-fault");
		if (!ret)
			ret = check_options(p, a, "expect", "");
		return ret;
	}
	if (!strcmp(kind, "error")) {
		st->verb = SCN_EXPECT_ERROR;
		ret = need_pos(p, a, 1, 2, "expect error [ERRNO]");
		if (!ret)
			ret = check_options(p, a, "expect", "");
		if (ret || a->nr_pos == 1)
			return ret;
		st->err = scn_errno_from_name(a->pos[1]->s);
		if (!st->err)
			return perr(p, a->pos[1]->col,
				    "unknown errno name '%s' (e.g. ENOMEM, EINVAL, EREMOTEIO)",
				    a->pos[1]->s);
		return 0;
	}
	if (!strcmp(kind, "fault")) {
		st->verb = SCN_EXPECT_FAULT;
		ret = need_pos(p, a, 1, 2, "expect fault [iommu|ur|blocked|any]");
		if (!ret)
			ret = check_options(p, a, "expect", "");
		if (ret)
			return ret;
		if (a->nr_pos == 1)
			return set_str(p, &st->what, "any");
		if (strcmp(a->pos[1]->s, "iommu") && strcmp(a->pos[1]->s, "ur") &&
		    strcmp(a->pos[1]->s, "blocked") && strcmp(a->pos[1]->s, "any"))
			return perr(p, a->pos[1]->col,
				    "bad fault kind '%s' (iommu, ur, blocked or any)",
				    a->pos[1]->s);
		return set_str(p, &st->what, a->pos[1]->s);
	}
	if (!strcmp(kind, "data")) {
		st->verb = SCN_EXPECT_DATA;
		ret = need_pos(p, a, 3, 3, "expect data BUF[@OFF][+LEN] PATTERN");
		if (!ret)
			ret = check_options(p, a, "expect", "");
		if (ret)
			return ret;
		st->refs = calloc(1, sizeof(*st->refs));
		if (!st->refs)
			return oom(p);
		st->nr_refs = 1;
		ret = get_ref(p, a->pos[1], 'b', &st->refs[0]);
		if (!ret)
			ret = get_pattern(p, a->pos[2], a->pos[2]->s, &st->data);
		st->has_data = true;
		return ret;
	}
	if (!strcmp(kind, "maptype")) {
		static const char *const types[] = { "direct", "iommu", "bounce", "bus-addr",
						     "thru-host-bridge" };
		bool ok = false;

		st->verb = SCN_EXPECT_MAPTYPE;
		ret = need_pos(
			p, a, 3, 3,
			"expect maptype HANDLE direct|iommu|bounce|bus-addr|thru-host-bridge [seg=N]");
		if (!ret)
			ret = check_options(p, a, "expect maptype", "seg");
		if (!ret)
			ret = sym_use(p, a->pos[1], a->pos[1]->s, true);
		if (ret < 0)
			return ret;
		st->sym = ret;
		st->sym_col = a->pos[1]->col;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			ok |= !strcmp(a->pos[2]->s, types[i]);
		if (!ok)
			return perr(
				p, a->pos[2]->col,
				"bad map type '%s' (direct, iommu, bounce, bus-addr or thru-host-bridge)",
				a->pos[2]->s);
		ret = get_seg(p, a, st);
		if (ret)
			return ret;
		return set_str(p, &st->what, a->pos[2]->s);
	}
	if (!strcmp(kind, "count")) {
		static const struct {
			const char *op;
			enum scn_cmp cmp;
		} ops[] = {
			{ "=", SCN_CMP_EQ },  { "==", SCN_CMP_EQ }, { "!=", SCN_CMP_NE },
			{ "<", SCN_CMP_LT },  { "<=", SCN_CMP_LE }, { ">", SCN_CMP_GT },
			{ ">=", SCN_CMP_GE },
		};
		int nidx = 2;

		st->verb = SCN_EXPECT_COUNT;
		ret = need_pos(p, a, 3, 4, "expect count COUNTER [=|!=|<|<=|>|>=] N");
		if (!ret)
			ret = check_options(p, a, "expect count", "");
		if (ret)
			return ret;
		st->cmp = SCN_CMP_EQ;
		if (a->nr_pos == 4) {
			bool found = false;

			for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
				if (!strcmp(a->pos[2]->s, ops[i].op)) {
					st->cmp = ops[i].cmp;
					found = true;
				}
			}
			if (!found)
				return perr(p, a->pos[2]->col,
					    "bad comparison '%s' (=, !=, <, <=, >, >=)",
					    a->pos[2]->s);
			nidx = 3;
		}
		ret = get_number(p, a->pos[nidx], a->pos[nidx]->s, "count", &st->count);
		if (ret)
			return ret;
		return set_str(p, &st->what, a->pos[1]->s); /* the runner checks the name */
	}
	if (!strcmp(kind, "violation")) {
		st->verb = SCN_EXPECT_VIOLATION;
		ret = need_pos(p, a, 2, 3, "expect violation CHECKER [RULE]");
		if (!ret)
			ret = check_options(p, a, "expect violation", "");
		if (!ret)
			ret = set_str(p, &st->what, a->pos[1]->s);
		if (!ret && a->nr_pos == 3)
			ret = set_str(p, &st->rule, a->pos[2]->s);
		return ret;
	}
	if (!strcmp(kind, "p2p")) {
		st->verb = SCN_EXPECT_P2P;
		ret = need_pos(
			p, a, 4, 4,
			"expect p2p CLIENT PROVIDER bus-addr|thru-host-bridge|not-supported");
		if (!ret)
			ret = check_options(p, a, "expect p2p", "");
		if (ret)
			return ret;
		if (strcmp(a->pos[3]->s, "bus-addr") && strcmp(a->pos[3]->s, "thru-host-bridge") &&
		    strcmp(a->pos[3]->s, "not-supported"))
			return perr(
				p, a->pos[3]->col,
				"bad P2P map type '%s' (bus-addr, thru-host-bridge or not-supported)",
				a->pos[3]->s);
		st->dev_col = a->pos[1]->col;
		ret = set_str(p, &st->dev, a->pos[1]->s);
		if (!ret)
			ret = set_str(p, &st->dev2, a->pos[2]->s);
		if (!ret)
			ret = set_str(p, &st->what, a->pos[3]->s);
		return ret;
	}
	if (!strcmp(kind, "revoked") || !strcmp(kind, "not-revoked")) {
		st->verb = kind[0] == 'r' ? SCN_EXPECT_REVOKED : SCN_EXPECT_NOT_REVOKED;
		ret = need_pos(p, a, 2, 2, "expect revoked|not-revoked NAME");
		if (!ret)
			ret = check_options(p, a, "expect", "");
		if (ret)
			return ret;
		ret = dmabuf_sym(p, a->pos[1], SCN_SYM_DMABUF, false);
		if (ret < 0)
			return ret;
		st->sym = ret;
		st->sym_col = a->pos[1]->col;
		return 0;
	}
	return perr(p, a->pos[0]->col, "unknown expectation '%s': %s", kind, usage);
}

/* --- two-step IOVA API and HMM steps (sim/scenario/twostep.c runs them) --- */

static const struct {
	const char *name;
	enum scn_verb verb;
	int nr_pos;        /* positionals after the verb */
	const char *opts;  /* allowed options */
	const char *usage;
} twostep_verbs[] = {
	{ "iova-alloc", SCN_IOVA_ALLOC, 3, "phys", "iova-alloc NAME DEV SIZE [phys=ADDR]" },
	{ "iova-link", SCN_IOVA_LINK, 2, "at,dir,attrs,fault",
	  "iova-link NAME BUF[@OFF][+LEN] [at=OFF] [dir=DIR] [attrs=LIST] [fault=swiotlb-full]" },
	{ "iova-sync", SCN_IOVA_SYNC, 1, "at,len", "iova-sync NAME [at=OFF] [len=LEN]" },
	{ "iova-unlink", SCN_IOVA_UNLINK, 1, "at,len,dir,attrs",
	  "iova-unlink NAME len=LEN [at=OFF] [dir=DIR] [attrs=LIST]" },
	{ "iova-destroy", SCN_IOVA_DESTROY, 1, "len,dir,attrs",
	  "iova-destroy NAME [len=LEN] [dir=DIR] [attrs=LIST]" },
	{ "iova-free", SCN_IOVA_FREE, 1, "", "iova-free NAME" },
	{ "hmm-alloc", SCN_HMM_ALLOC, 3, "", "hmm-alloc NAME DEV ENTRIES" },
	{ "hmm-map", SCN_HMM_MAP, 3, "fault", "hmm-map NAME INDEX BUF[@OFF] [fault=sync-map]" },
	{ "hmm-unmap", SCN_HMM_UNMAP, 2, "", "hmm-unmap NAME INDEX" },
	{ "hmm-free", SCN_HMM_FREE, 1, "", "hmm-free NAME" },
	/* nr_pos -1: NAME DEV DIR and at least one buffer */
	{ "blk-map", SCN_BLK_MAP, -1, "", "blk-map NAME DEV DIR BUF[@OFF][+LEN]..." },
	{ "blk-unmap", SCN_BLK_UNMAP, 1, "", "blk-unmap NAME" },
};

static int twostep_index(enum scn_verb v)
{
	for (size_t i = 0; i < sizeof(twostep_verbs) / sizeof(twostep_verbs[0]); i++)
		if (twostep_verbs[i].verb == v)
			return (int)i;
	return -1;
}

static bool twostep_verb(const char *verb, struct scn_step *st)
{
	for (size_t i = 0; i < sizeof(twostep_verbs) / sizeof(twostep_verbs[0]); i++) {
		if (!strcmp(verb, twostep_verbs[i].name)) {
			st->verb = twostep_verbs[i].verb;
			return true;
		}
	}
	return false;
}

/* The IOVA reservation (iova-*) or HMM map (hmm-*) a step names. */
static int twostep_sym(struct parser *p, struct scn_step *st, const struct token *t, bool define)
{
	enum scn_symbol_kind kind = st->verb <= SCN_IOVA_FREE ? SCN_SYM_IOVA :
				    st->verb <= SCN_HMM_FREE  ? SCN_SYM_HMM :
								SCN_SYM_BLK;
	const char *what = kind == SCN_SYM_IOVA ? "IOVA reservation" :
			   kind == SCN_SYM_HMM	? "HMM map" :
						  "block request";
	const char *definer = kind == SCN_SYM_IOVA ? "iova-alloc" :
			      kind == SCN_SYM_HMM  ? "hmm-alloc" :
						     "blk-map";
	int i = sym_find(p->scn, t->s);

	if (i < 0 && !define)
		return perr(p, t->col, "unknown %s '%s' (define it with %s first)", what, t->s,
			    definer);
	if (i >= 0 && p->scn->syms[i].kind != kind)
		return perr(p, t->col, "'%s' is not an %s (defined at line %d)", t->s, what,
			    p->scn->syms[i].line);
	if (i < 0) {
		if (!valid_name(t->s))
			return perr(p, t->col,
				    "bad name '%s' (a letter or '_', then letters, digits, '_', '-', '.')",
				    t->s);
		i = sym_add(p, t->s, kind);
	} else if (define) {
		p->scn->syms[i].line = p->line;
	}
	if (i >= 0) {
		st->sym = i;
		st->sym_col = t->col;
	}
	return i;
}

static int parse_twostep(struct parser *p, struct scn_step *st, const struct args *a)
{
	int k = twostep_index(st->verb);
	bool define = st->verb == SCN_IOVA_ALLOC || st->verb == SCN_HMM_ALLOC ||
		      st->verb == SCN_BLK_MAP;
	const struct token *t;
	const char *v;
	int ret;

	if (twostep_verbs[k].nr_pos < 0)
		ret = need_pos(p, a, 4, MAX_TOKENS - 1, twostep_verbs[k].usage);
	else
		ret = need_pos(p, a, twostep_verbs[k].nr_pos, twostep_verbs[k].nr_pos,
			       twostep_verbs[k].usage);
	if (!ret)
		ret = check_options(p, a, twostep_verbs[k].name, twostep_verbs[k].opts);
	if (!ret)
		ret = twostep_sym(p, st, a->pos[0], define);
	if (ret < 0)
		return ret;
	ret = 0;
	if (st->verb == SCN_BLK_MAP) {
		st->dev_col = a->pos[1]->col;
		ret = set_str(p, &st->dev, a->pos[1]->s);
		if (!ret)
			ret = get_dir(p, a->pos[2], a->pos[2]->s, &st->dir);
		st->dir_given = true;
		if (ret)
			return ret;
		st->refs = calloc((size_t)(a->nr_pos - 3), sizeof(*st->refs));
		if (!st->refs)
			return oom(p);
		st->nr_refs = (size_t)(a->nr_pos - 3);
		for (size_t i = 0; !ret && i < st->nr_refs; i++)
			ret = get_ref(p, a->pos[3 + i], 'b', &st->refs[i]);
		return ret;
	}
	if (define) {
		st->dev_col = a->pos[1]->col;
		ret = set_str(p, &st->dev, a->pos[1]->s);
		if (!ret)
			ret = get_size(p, a->pos[2], a->pos[2]->s,
				       st->verb == SCN_IOVA_ALLOC ? "size" : "entry count",
				       &st->size);
		if (!ret && st->verb == SCN_HMM_ALLOC && (!st->size || st->size > (1ULL << 24)))
			ret = perr(p, a->pos[2]->col, "entry count must be 1..16M");
	}
	if (!ret && (st->verb == SCN_HMM_MAP || st->verb == SCN_HMM_UNMAP))
		ret = get_number(p, a->pos[1], a->pos[1]->s, "index", &st->value);
	if (!ret && (st->verb == SCN_IOVA_LINK || st->verb == SCN_HMM_MAP)) {
		const struct token *bt = a->pos[st->verb == SCN_IOVA_LINK ? 1 : 2];

		st->refs = calloc(1, sizeof(*st->refs));
		if (!st->refs)
			return oom(p);
		st->nr_refs = 1;
		ret = get_ref(p, bt, 'b', &st->refs[0]);
	}
	if (!ret && (v = opt_get(a, "phys", &t))) {
		ret = get_number(p, t, v, "address", &st->at);
		st->at_given = true;
	}
	if (!ret && (v = opt_get(a, "at", &t))) {
		ret = get_size(p, t, v, "offset", &st->at);
		st->at_given = true;
	}
	if (!ret && (v = opt_get(a, "len", &t))) {
		ret = get_size(p, t, v, "length", &st->bad_size);
		st->size_given = true;
	}
	if (!ret && st->verb == SCN_IOVA_UNLINK && !st->size_given)
		ret = perr(p, p->toks[0].col, "too few arguments: %s", twostep_verbs[k].usage);
	if (!ret && (v = opt_get(a, "dir", &t))) {
		ret = get_dir(p, t, v, &st->dir);
		st->dir_given = true;
	}
	if (!ret && (v = opt_get(a, "attrs", &t)))
		ret = get_attrs(p, t, v, &st->attrs);
	if (!ret && (v = opt_get(a, "fault", &t))) {
		const char *want = st->verb == SCN_IOVA_LINK ? "swiotlb-full" : "sync-map";

		if (strcmp(v, want))
			ret = perr(p, t->col, "bad fault '%s' (%s)", v, want);
		st->fail_sync_map = st->verb == SCN_HMM_MAP;
		st->fail_swiotlb = st->verb == SCN_IOVA_LINK;
	}
	return ret;
}

/* --- dma-buf, VFIO and device-event steps (sim/scenario/dmabuf.c runs them) --- */

static const struct {
	const char *name;
	enum scn_verb verb;
	int min_pos, max_pos; /* positionals after the verb */
	const char *opts; /* allowed options */
	const char *usage;
} dmabuf_verbs[] = {
	{ "fd-limit", SCN_FD_LIMIT, 1, 1, "", "fd-limit N" },
	{ "vfio-bind", SCN_VFIO_BIND, 1, 1, "set,variant,reset,non-mappable-bars,owned,ops",
	  "vfio-bind DEV [set=NAME] [variant=nvgrace] [reset=yes|no] [non-mappable-bars=yes|no] "
	  "[owned=yes|no] [ops=none]" },
	{ "vfio-open", SCN_VFIO_OPEN, 1, 1, "", "vfio-open DEV" },
	{ "vfio-mmap", SCN_VFIO_MMAP, 1, 1, "bar", "vfio-mmap DEV bar=N" },
	{ "dmabuf-export", SCN_DMABUF_EXPORT, 2, 2, "bar,ranges,feature,argsz,flags,nr-ranges",
	  "dmabuf-export NAME DEV bar=N [ranges=OFF+LEN[,OFF+LEN...]|unreadable] "
	  "[feature=get|set|probe] [argsz=N] [flags=N] [nr-ranges=N]" },
	{ "dmabuf-import", SCN_DMABUF_IMPORT, 3, 3, "as,off,len,iova,on-invalidate",
	  "dmabuf-import IMP NAME DEV as=mlx5|irdma|rdma-pinned|iommufd|dynamic|static "
	  "[off=OFF] [len=LEN] [iova=ADDR] [on-invalidate=unmap|defer]" },
	{ "dmabuf-map", SCN_DMABUF_MAP, 1, 1, "", "dmabuf-map IMP" },
	{ "dmabuf-unmap", SCN_DMABUF_UNMAP, 1, 1, "", "dmabuf-unmap IMP" },
	{ "dmabuf-dma", SCN_DMABUF_DMA, 2, 2, "off,len,data,expect",
	  "dmabuf-dma IMP read|write [off=OFF] [len=LEN] [data=PATTERN | expect=PATTERN]" },
	{ "dmabuf-release", SCN_DMABUF_RELEASE, 1, 1, "", "dmabuf-release IMP" },
	{ "dmabuf-access-pin", SCN_DMABUF_ACCESS_PIN, 1, 1, "", "dmabuf-access-pin IMP" },
	{ "dmabuf-close", SCN_DMABUF_CLOSE, 1, 1, "", "dmabuf-close NAME" },
	{ "dmabuf-fence", SCN_DMABUF_FENCE, 1, 2, "usage",
	  "dmabuf-fence NAME [usage=kernel|write|read|bookkeep] [stuck]" },
	{ "dmabuf-signal", SCN_DMABUF_SIGNAL, 1, 1, "", "dmabuf-signal NAME" },
	{ "event", SCN_EVENT, 2, 2, "fail",
	  "event DEV mem-off|mem-on|d3hot|d0|flr|af-flr|reset|hot-reset|lowpower-enter|"
	  "lowpower-exit|wake|close|unplug [fail=bus|busy:DEV|owner:DEV]" },
};

#define NR_DMABUF_VERBS (sizeof(dmabuf_verbs) / sizeof(dmabuf_verbs[0]))

static const char *const dev_event_names[] = {
	[SCN_EV_MEM_OFF] = "mem-off",
	[SCN_EV_MEM_ON] = "mem-on",
	[SCN_EV_D3HOT] = "d3hot",
	[SCN_EV_D0] = "d0",
	[SCN_EV_FLR] = "flr",
	[SCN_EV_AF_FLR] = "af-flr",
	[SCN_EV_RESET] = "reset",
	[SCN_EV_HOT_RESET] = "hot-reset",
	[SCN_EV_LOWPOWER_ENTER] = "lowpower-enter",
	[SCN_EV_LOWPOWER_EXIT] = "lowpower-exit",
	[SCN_EV_WAKE] = "wake",
	[SCN_EV_CLOSE] = "close",
	[SCN_EV_UNPLUG] = "unplug",
};

static const char *const importer_names[] = {
	[SCN_IMP_MLX5] = "mlx5",
	[SCN_IMP_IRDMA] = "irdma",
	[SCN_IMP_RDMA_PINNED] = "rdma-pinned",
	[SCN_IMP_IOMMUFD] = "iommufd",
	[SCN_IMP_DYNAMIC] = "dynamic",
	[SCN_IMP_STATIC] = "static",
};

static int dmabuf_index(const char *verb)
{
	for (size_t i = 0; i < NR_DMABUF_VERBS; i++)
		if (!strcmp(verb, dmabuf_verbs[i].name))
			return (int)i;
	return -1;
}

/* Index of @s in @names (@n entries), or -1. */
static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return -1;
}

/* A dma-buf (SCN_SYM_DMABUF) or importer (SCN_SYM_IMPORTER) name: defined here or used. */
static int dmabuf_sym(struct parser *p, const struct token *t, enum scn_symbol_kind kind,
		      bool define)
{
	const char *what = kind == SCN_SYM_DMABUF ? "dma-buf" : "importer";
	int i = sym_find(p->scn, t->s);

	if (i >= 0 && p->scn->syms[i].kind != kind)
		return perr(p, t->col, "'%s' is not a %s (defined at line %d)", t->s, what,
			    p->scn->syms[i].line);
	if (i < 0 && !define)
		return perr(p, t->col, "unknown %s '%s' (define it with %s first)", what, t->s,
			    kind == SCN_SYM_DMABUF ? "dmabuf-export" : "dmabuf-import");
	if (i < 0) {
		if (!valid_name(t->s))
			return perr(p, t->col,
				    "bad %s name '%s' (a letter or '_', then letters, digits, '_', "
				    "'-', '.')",
				    what, t->s);
		return sym_add(p, t->s, kind);
	}
	if (define)
		p->scn->syms[i].line = p->line;
	return i;
}

static int get_yesno(struct parser *p, const struct args *a, const char *key,
		     enum scn_tristate *out)
{
	const struct token *t;
	const char *v = opt_get(a, key, &t);

	if (!v)
		return 0;
	if (!strcmp(v, "yes"))
		*out = SCN_YES;
	else if (!strcmp(v, "no"))
		*out = SCN_NO;
	else
		return perr(p, t->col, "bad %s='%s' (yes or no)", key, v);
	return 0;
}

static int get_bar_opt(struct parser *p, const struct args *a, struct scn_dmabuf_args *d,
		       const char *usage)
{
	const struct token *t;
	const char *v = opt_get(a, "bar", &t);
	u64 n;
	int ret;

	if (!v)
		return perr(p, p->toks[0].col, "too few arguments: %s (bar= is required)", usage);
	ret = get_number(p, t, v, "BAR index", &n);
	if (ret)
		return ret;
	/* region indexes 6.. reach the kernel's own check (-ENODEV), within reason */
	if (n > 255)
		return perr(p, t->col, "region index %llu out of range (0..255)",
			    (unsigned long long)n);
	d->bar = (int)n;
	return 0;
}

/* ranges=OFF+LEN[,OFF+LEN...] | unreadable */
static int get_ranges(struct parser *p, const struct token *t, const char *v,
		      struct scn_dmabuf_args *d)
{
	size_t n = 1;
	const char *c = v;

	if (!strcmp(v, "unreadable")) {
		d->ranges_unreadable = true;
		return 0;
	}
	for (const char *s = v; *s; s++)
		n += *s == ',';
	if (n > 4096)
		return perr(p, t->col, "at most 4096 ranges (nr-ranges= gives larger counts)");
	d->ranges = calloc(n, sizeof(*d->ranges));
	if (!d->ranges)
		return oom(p);
	for (size_t i = 0; i < n; i++) {
		const char *end = strchr(c, ',');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		char buf[64], *plus;

		if (!len || len >= sizeof(buf) || !(plus = memchr(c, '+', len)))
			return perr(p, t->col, "bad range '%.*s' in ranges= (OFF+LEN, e.g. 0+64K)",
				    (int)len, c);
		memcpy(buf, c, len);
		buf[len] = '\0';
		buf[plus - c] = '\0';
		if (scn_parse_size(buf, &d->ranges[i].off) ||
		    scn_parse_size(buf + (plus - c) + 1, &d->ranges[i].len))
			return perr(p, t->col, "bad range '%.*s' in ranges= (OFF+LEN, e.g. 0+64K)",
				    (int)len, c);
		c = end ? end + 1 : c + len;
	}
	d->nr_ranges_listed = (u32)n;
	return 0;
}

static int parse_vfio_bind(struct parser *p, struct scn_dmabuf_args *d, const struct args *a)
{
	const struct token *t;
	const char *v;
	int ret;

	if ((v = opt_get(a, "set", &t))) {
		if (!valid_name(v))
			return perr(p, t->col, "bad set name '%s'", v);
		ret = set_str(p, &d->set, v);
		if (ret)
			return ret;
	}
	if ((v = opt_get(a, "variant", &t))) {
		if (strcmp(v, "nvgrace"))
			return perr(p, t->col, "bad variant '%s' (nvgrace)", v);
		d->nvgrace = true;
	}
	if ((v = opt_get(a, "ops", &t))) {
		if (strcmp(v, "none"))
			return perr(p, t->col, "bad ops='%s' (none)", v);
		d->ops_none = true;
	}
	ret = get_yesno(p, a, "reset", &d->reset);
	if (!ret)
		ret = get_yesno(p, a, "non-mappable-bars", &d->non_mappable_bars);
	if (!ret)
		ret = get_yesno(p, a, "owned", &d->owned);
	return ret;
}

static int parse_export(struct parser *p, struct scn_dmabuf_args *d, const struct args *a,
			const char *usage)
{
	static const char *const features[] = { "get", "set", "probe" };
	const struct token *t;
	const char *v;
	int ret = get_bar_opt(p, a, d, usage);

	if (!ret && (v = opt_get(a, "ranges", &t)))
		ret = get_ranges(p, t, v, d);
	if (!ret && (v = opt_get(a, "feature", &t))) {
		d->feature = name_index(features, 3, v);
		if (d->feature < 0)
			ret = perr(p, t->col, "bad feature '%s' (get, set or probe)", v);
	}
	if (!ret && (v = opt_get(a, "argsz", &t))) {
		ret = get_size(p, t, v, "argsz", &d->argsz);
		d->argsz_given = true;
	}
	if (!ret && (v = opt_get(a, "flags", &t))) {
		ret = get_number(p, t, v, "flags", &d->flags);
		if (!ret && d->flags > UINT32_MAX)
			ret = perr(p, t->col, "flags '%s' does not fit in 32 bits", v);
	}
	if (!ret && (v = opt_get(a, "nr-ranges", &t))) {
		ret = get_number(p, t, v, "range count", &d->nr_ranges);
		if (!ret && d->nr_ranges > UINT32_MAX)
			ret = perr(p, t->col, "range count '%s' does not fit in 32 bits", v);
		d->nr_ranges_given = true;
	}
	return ret;
}

static int parse_import(struct parser *p, struct scn_dmabuf_args *d, const struct args *a,
			const char *usage)
{
	const struct token *t;
	const char *v = opt_get(a, "as", &t);
	int k, ret = 0;

	if (!v)
		return perr(p, p->toks[0].col, "too few arguments: %s (as= is required)", usage);
	k = name_index(importer_names, sizeof(importer_names) / sizeof(importer_names[0]), v);
	if (k < 0)
		return perr(p, t->col,
			    "bad as='%s' (mlx5, irdma, rdma-pinned, iommufd, dynamic or static)",
			    v);
	d->kind = (enum scn_importer_kind)k;
	if (d->kind == SCN_IMP_IOMMUFD &&
	    ((v = opt_get(a, "off", &t)) || (v = opt_get(a, "len", &t))))
		return perr(p, t->col, "as=iommufd imports the whole dma-buf: no off= or len=");
	if ((v = opt_get(a, "off", &t)))
		ret = get_size(p, t, v, "offset", &d->off);
	if (!ret && (v = opt_get(a, "len", &t))) {
		ret = get_size(p, t, v, "length", &d->len);
		if (!ret && !d->len)
			ret = perr(p, t->col, "zero length");
		d->len_given = true;
	}
	if (!ret && (v = opt_get(a, "iova", &t))) {
		if (d->kind != SCN_IMP_IOMMUFD)
			return perr(p, t->col, "iova= is for as=iommufd");
		ret = get_number(p, t, v, "IOVA", &d->iova);
		if (!ret && (d->iova & 4095))
			ret = perr(p, t->col, "IOVA '%s' is not page aligned", v);
		d->iova_given = true;
	}
	if (!ret && (v = opt_get(a, "on-invalidate", &t))) {
		if (d->kind != SCN_IMP_DYNAMIC)
			return perr(p, t->col, "on-invalidate= is for as=dynamic");
		if (!strcmp(v, "defer"))
			d->defer_unmap = true;
		else if (strcmp(v, "unmap"))
			ret = perr(p, t->col, "bad on-invalidate '%s' (unmap or defer)", v);
	}
	return ret;
}

static int parse_dmabuf_dma(struct parser *p, struct scn_step *st, const struct args *a)
{
	struct scn_dmabuf_args *d = st->dmabuf;
	const struct token *t, *bad;
	const char *v;
	int ret = 0;

	if (!strcmp(a->pos[1]->s, "write"))
		d->write = true;
	else if (strcmp(a->pos[1]->s, "read"))
		return perr(p, a->pos[1]->col, "bad DMA '%s' (read or write)", a->pos[1]->s);
	if (d->write && opt_get(a, "expect", &bad))
		return perr(p, bad->col, "a write takes data=, not expect=");
	if (!d->write && opt_get(a, "data", &bad))
		return perr(p, bad->col, "a read takes expect=, not data=");
	v = opt_get(a, d->write ? "data" : "expect", &t);
	if (d->write && !v)
		return perr(p, p->toks[0].col, "dmabuf-dma write needs data=PATTERN");
	if (v) {
		ret = get_pattern(p, t, v, &st->data);
		st->has_data = true;
	}
	if (!ret && (v = opt_get(a, "off", &t)))
		ret = get_size(p, t, v, "offset", &d->off);
	if (!ret && (v = opt_get(a, "len", &t))) {
		ret = get_size(p, t, v, "length", &d->len);
		if (!ret && !d->len)
			ret = perr(p, t->col, "zero length");
		if (!ret && d->len > (1ULL << 30))
			ret = perr(p, t->col, "one dmabuf-dma moves at most 1 GiB");
		d->len_given = true;
	}
	return ret;
}

static int parse_fence(struct parser *p, struct scn_dmabuf_args *d, const struct args *a)
{
	static const char *const usages[] = { "kernel", "write", "read", "bookkeep" };
	const struct token *t;
	const char *v;

	if (a->nr_pos == 2) {
		if (strcmp(a->pos[1]->s, "stuck"))
			return perr(p, a->pos[1]->col, "unexpected '%s' (only 'stuck' may follow)",
				    a->pos[1]->s);
		d->stuck = true;
	}
	d->usage = 3; /* DMA_RESV_USAGE_BOOKKEEP */
	if ((v = opt_get(a, "usage", &t))) {
		d->usage = name_index(usages, 4, v);
		if (d->usage < 0)
			return perr(p, t->col, "bad usage '%s' (kernel, write, read or bookkeep)",
				    v);
	}
	return 0;
}

static int parse_event(struct parser *p, struct scn_step *st, const struct args *a)
{
	struct scn_dmabuf_args *d = st->dmabuf;
	const struct token *t;
	const char *v;
	int k = name_index(dev_event_names, sizeof(dev_event_names) / sizeof(dev_event_names[0]),
			   a->pos[1]->s);

	if (k < 0)
		return perr(p, a->pos[1]->col,
			    "unknown event '%s' (mem-off, mem-on, d3hot, d0, flr, af-flr, reset, "
			    "hot-reset, lowpower-enter, lowpower-exit, wake, close or unplug)",
			    a->pos[1]->s);
	d->event = (enum scn_dev_event)k;
	v = opt_get(a, "fail", &t);
	if (!v)
		return 0;
	if (d->event != SCN_EV_HOT_RESET)
		return perr(p, t->col, "fail= is only for hot-reset");
	if (!strcmp(v, "bus")) {
		d->fail = SCN_FAIL_BUS;
		return 0;
	}
	if (!strncmp(v, "busy:", 5) && v[5])
		d->fail = SCN_FAIL_BUSY;
	else if (!strncmp(v, "owner:", 6) && v[6])
		d->fail = SCN_FAIL_OWNER;
	else
		return perr(p, t->col, "bad fail='%s' (bus, busy:DEV or owner:DEV)", v);
	d->fail_col = t->col;
	return set_str(p, &st->dev2, strchr(v, ':') + 1);
}

static int parse_dmabuf(struct parser *p, struct scn_step *st, const struct args *a, int k)
{
	const char *usage = dmabuf_verbs[k].usage;
	struct scn_dmabuf_args *d;
	int ret, sym;

	st->verb = dmabuf_verbs[k].verb;
	ret = need_pos(p, a, dmabuf_verbs[k].min_pos, dmabuf_verbs[k].max_pos, usage);
	if (!ret)
		ret = check_options(p, a, dmabuf_verbs[k].name, dmabuf_verbs[k].opts);
	if (ret)
		return ret;
	d = calloc(1, sizeof(*d));
	if (!d)
		return oom(p);
	st->dmabuf = d;
	d->buf_sym = d->imp_sym = d->bar = -1;
	switch (st->verb) {
	case SCN_FD_LIMIT: {
		u64 n;

		ret = get_number(p, a->pos[0], a->pos[0]->s, "fd limit", &n);
		if (!ret && (n < 4 || n > 65536))
			ret = perr(p, a->pos[0]->col,
				   "fd limit must be 4..65536 (0, 1 and 2 are stdin, stdout and "
				   "stderr)");
		if (!ret && p->scn->fd_limit)
			ret = perr(p, p->toks[0].col, "fd-limit given twice");
		st->value = n;
		p->scn->fd_limit = n;
		return ret;
	}
	case SCN_VFIO_BIND:
	case SCN_VFIO_OPEN:
	case SCN_VFIO_MMAP:
	case SCN_EVENT:
		st->dev_col = a->pos[0]->col;
		ret = set_str(p, &st->dev, a->pos[0]->s);
		if (!ret && st->verb == SCN_VFIO_BIND)
			ret = parse_vfio_bind(p, d, a);
		if (!ret && st->verb == SCN_VFIO_MMAP)
			ret = get_bar_opt(p, a, d, usage);
		if (!ret && st->verb == SCN_EVENT)
			ret = parse_event(p, st, a);
		return ret;
	case SCN_DMABUF_EXPORT:
		st->dev_col = a->pos[1]->col;
		ret = set_str(p, &st->dev, a->pos[1]->s);
		if (!ret)
			ret = parse_export(p, d, a, usage);
		if (ret)
			return ret;
		sym = dmabuf_sym(p, a->pos[0], SCN_SYM_DMABUF, true);
		d->buf_col = a->pos[0]->col;
		break;
	case SCN_DMABUF_IMPORT:
		st->dev_col = a->pos[2]->col;
		ret = set_str(p, &st->dev, a->pos[2]->s);
		if (!ret)
			ret = parse_import(p, d, a, usage);
		if (ret)
			return ret;
		sym = dmabuf_sym(p, a->pos[1], SCN_SYM_DMABUF, false);
		if (sym < 0)
			return sym;
		d->buf_sym = sym;
		d->buf_col = a->pos[1]->col;
		sym = dmabuf_sym(p, a->pos[0], SCN_SYM_IMPORTER, true);
		if (sym < 0)
			return sym;
		d->imp_sym = sym;
		d->imp_col = a->pos[0]->col;
		return 0;
	case SCN_DMABUF_CLOSE:
	case SCN_DMABUF_FENCE:
	case SCN_DMABUF_SIGNAL:
		if (st->verb == SCN_DMABUF_FENCE)
			ret = parse_fence(p, d, a);
		if (ret)
			return ret;
		sym = dmabuf_sym(p, a->pos[0], SCN_SYM_DMABUF, false);
		d->buf_col = a->pos[0]->col;
		break;
	default: /* the importer steps */
		sym = dmabuf_sym(p, a->pos[0], SCN_SYM_IMPORTER, false);
		if (sym < 0)
			return sym;
		d->imp_sym = sym;
		d->imp_col = a->pos[0]->col;
		if (st->verb == SCN_DMABUF_DMA)
			return parse_dmabuf_dma(p, st, a);
		return 0;
	}
	if (sym < 0)
		return sym;
	d->buf_sym = sym;
	return 0;
}

/* --- verbs table ---------------------------------------------------------- */

static const char *const verb_names[SCN__NR_VERBS] = {
	[SCN_SEED] = "seed",
	[SCN_IOMMU] = "iommu",
	[SCN_BUF] = "buf",
	[SCN_FILL] = "fill",
	[SCN_DMA_MASK] = "dma-mask",
	[SCN_MAP] = "map",
	[SCN_MAP_SG] = "map-sg",
	[SCN_UNMAP] = "unmap",
	[SCN_SYNC] = "sync",
	[SCN_DMA_READ] = "dma read",
	[SCN_DMA_WRITE] = "dma write",
	[SCN_ADVANCE] = "advance",
	[SCN_RELEASE] = "release",
	[SCN_ECHO] = "echo",
	[SCN_EXPECT_OK] = "expect ok",
	[SCN_EXPECT_ERROR] = "expect error",
	[SCN_EXPECT_FAULT] = "expect fault",
	[SCN_EXPECT_NO_FAULT] = "expect no-fault",
	[SCN_EXPECT_DATA] = "expect data",
	[SCN_EXPECT_MAPTYPE] = "expect maptype",
	[SCN_EXPECT_COUNT] = "expect count",
	[SCN_EXPECT_VIOLATION] = "expect violation",
	[SCN_EXPECT_P2P] = "expect p2p",
	[SCN_IOVA_ALLOC] = "iova-alloc",
	[SCN_IOVA_LINK] = "iova-link",
	[SCN_IOVA_SYNC] = "iova-sync",
	[SCN_IOVA_UNLINK] = "iova-unlink",
	[SCN_IOVA_DESTROY] = "iova-destroy",
	[SCN_IOVA_FREE] = "iova-free",
	[SCN_HMM_ALLOC] = "hmm-alloc",
	[SCN_HMM_MAP] = "hmm-map",
	[SCN_HMM_UNMAP] = "hmm-unmap",
	[SCN_HMM_FREE] = "hmm-free",
	[SCN_BLK_MAP] = "blk-map",
	[SCN_BLK_UNMAP] = "blk-unmap",
	[SCN_SCHEDULE] = "schedule",
	[SCN_FD_LIMIT] = "fd-limit",
	[SCN_VFIO_BIND] = "vfio-bind",
	[SCN_VFIO_OPEN] = "vfio-open",
	[SCN_VFIO_MMAP] = "vfio-mmap",
	[SCN_DMABUF_EXPORT] = "dmabuf-export",
	[SCN_DMABUF_IMPORT] = "dmabuf-import",
	[SCN_DMABUF_MAP] = "dmabuf-map",
	[SCN_DMABUF_UNMAP] = "dmabuf-unmap",
	[SCN_DMABUF_DMA] = "dmabuf-dma",
	[SCN_DMABUF_RELEASE] = "dmabuf-release",
	[SCN_DMABUF_ACCESS_PIN] = "dmabuf-access-pin",
	[SCN_DMABUF_CLOSE] = "dmabuf-close",
	[SCN_DMABUF_FENCE] = "dmabuf-fence",
	[SCN_DMABUF_SIGNAL] = "dmabuf-signal",
	[SCN_EVENT] = "event",
	[SCN_EXPECT_REVOKED] = "expect revoked",
	[SCN_EXPECT_NOT_REVOKED] = "expect not-revoked",
};

const char *scn_verb_name(enum scn_verb verb)
{
	if ((unsigned int)verb >= SCN__NR_VERBS)
		return "?";
	return verb_names[verb];
}

/* The words a line may start with. */
static const char *const first_words[] = {
	"seed",	 "iommu", "buf", "fill",    "dma-mask", "map",	"map-sg",
	"unmap", "sync",  "dma", "advance", "release",	"echo", "expect",
	"iova-alloc", "iova-link", "iova-sync", "iova-unlink", "iova-destroy", "iova-free",
	"hmm-alloc", "hmm-map", "hmm-unmap", "hmm-free", "blk-map", "blk-unmap",
	"thread", "schedule",
	"fd-limit", "vfio-bind", "vfio-open", "vfio-mmap", "dmabuf-export", "dmabuf-import",
	"dmabuf-map", "dmabuf-unmap", "dmabuf-dma", "dmabuf-release", "dmabuf-access-pin",
	"dmabuf-close", "dmabuf-fence", "dmabuf-signal", "event",
};

/* Edit distance, small and bounded: for "did you mean" hints. */
static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[32];

	if (la >= 31 || lb >= 31)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cur = row[j];
			int best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static int unknown_verb(struct parser *p, const struct token *t)
{
	const char *best = NULL;
	int best_d = 3;

	if (t->s[strlen(t->s) - 1] == ':')
		return perr(p, t->col, "unknown step '%s' (a thread block starts 'thread NAME:')",
			    t->s);
	for (size_t i = 0; i < sizeof(first_words) / sizeof(first_words[0]); i++) {
		int d = edit_distance(t->s, first_words[i]);

		if (d < best_d) {
			best_d = d;
			best = first_words[i];
		}
	}
	if (best)
		return perr(p, t->col, "unknown step '%s' (did you mean '%s'?)", t->s, best);
	return perr(p, t->col, "unknown step '%s' (see docs/scenario.md)", t->s);
}

static bool is_setup(enum scn_verb v)
{
	return v == SCN_SEED || v == SCN_IOMMU || v == SCN_SCHEDULE || v == SCN_FD_LIMIT;
}

static bool has_outcome(enum scn_verb v)
{
	return v == SCN_MAP || v == SCN_MAP_SG || v == SCN_DMA_READ || v == SCN_DMA_WRITE ||
	       v == SCN_DMA_MASK || v == SCN_IOVA_ALLOC || v == SCN_IOVA_LINK ||
	       v == SCN_IOVA_SYNC || v == SCN_HMM_ALLOC || v == SCN_HMM_MAP || v == SCN_BLK_MAP ||
	       (v >= SCN_VFIO_BIND && v <= SCN_EVENT);
}

static bool is_neutral(enum scn_verb v)
{
	return v == SCN_ECHO || (v >= SCN_EXPECT_OK && v <= SCN_EXPECT_P2P) ||
	       v == SCN_EXPECT_REVOKED || v == SCN_EXPECT_NOT_REVOKED;
}

static struct scn_step *new_step(struct parser *p)
{
	struct scenario *scn = p->scn;
	struct scn_step *st;

	if (scn->nr_steps == p->cap_steps) {
		size_t cap = p->cap_steps ? p->cap_steps * 2 : 32;
		struct scn_step *steps = realloc(scn->steps, cap * sizeof(*steps));

		if (!steps)
			return NULL;
		scn->steps = steps;
		p->cap_steps = cap;
	}
	st = &scn->steps[scn->nr_steps++];
	memset(st, 0, sizeof(*st));
	st->line = p->line;
	st->sym = -1;
	st->as_sg = -1;
	return st;
}

/* --- thread blocks --------------------------------------------------------- */

static const char *thread_name(const struct parser *p, int thread)
{
	return p->scn->threads[thread - 1].name;
}

/* The open block ends (an unindented line or the end of the file). */
static int close_block(struct parser *p)
{
	const struct scn_thread *t;
	int line = p->line;
	int ret = 0;

	if (!p->cur_thread)
		return 0;
	t = &p->scn->threads[p->cur_thread - 1];
	if (!p->block_steps) {
		p->line = t->line;
		ret = perr(p, 1, "empty thread block '%s': indent at least one step under it",
			   t->name);
		p->line = line;
	}
	free(p->block_indent);
	p->block_indent = NULL;
	p->cur_thread = 0;
	return ret;
}

/* `thread NAME:` at column 1: a new block, in the open section or a new one. */
static int parse_thread_header(struct parser *p, size_t indent)
{
	struct scenario *scn = p->scn;
	const struct token *t = &p->toks[1];
	bool new_section = !p->cur_thread;
	size_t n;
	char *name;
	int ret;

	if (indent && p->cur_thread)
		return perr(
			p, p->toks[0].col,
			"nested thread: a 'thread' block cannot start inside thread '%s' (line %d)",
			thread_name(p, p->cur_thread), scn->threads[p->cur_thread - 1].line);
	if (indent)
		return perr(p, p->toks[0].col,
			    "bad indentation: 'thread NAME:' starts at the beginning of its line");
	if (p->nr_toks != 2 || (n = strlen(t->s)) < 2 || t->s[n - 1] != ':')
		return perr(p, p->nr_toks > 1 ? p->toks[1].col : p->toks[0].col,
			    "expected 'thread NAME:' (one name, then a colon)");
	ret = close_block(p);
	if (ret)
		return ret;
	name = strndup(t->s, n - 1);
	if (!name)
		return oom(p);
	if (!valid_name(name)) {
		ret = perr(
			p, t->col,
			"bad thread name '%s' (a letter or '_', then letters, digits, '_', '-', '.')",
			name);
		free(name);
		return ret;
	}
	if (new_section) {
		scn->nr_sections++;
		p->section_first = scn->nr_threads;
	}
	for (size_t i = p->section_first; i < scn->nr_threads; i++) {
		if (!strcmp(scn->threads[i].name, name)) {
			ret = perr(p, t->col,
				   "duplicate thread name '%s' (line %d) in this section", name,
				   scn->threads[i].line);
			free(name);
			return ret;
		}
	}
	if (scn->nr_threads - p->section_first >= SCN_MAX_SECTION_THREADS) {
		free(name);
		return perr(p, p->toks[0].col, "more than %d threads in one section",
			    SCN_MAX_SECTION_THREADS);
	}
	if (scn->nr_threads == p->cap_threads) {
		size_t cap = p->cap_threads ? p->cap_threads * 2 : 8;
		struct scn_thread *th = realloc(scn->threads, cap * sizeof(*th));

		if (!th) {
			free(name);
			return oom(p);
		}
		scn->threads = th;
		p->cap_threads = cap;
	}
	scn->threads[scn->nr_threads] =
		(struct scn_thread){ .name = name, .line = p->line, .section = scn->nr_sections };
	p->cur_thread = (int)++scn->nr_threads;
	p->block_steps = 0;
	p->last_was_action = false; /* expect pairs within the thread */
	p->past_setup = true;
	return 0;
}

/* A step line: indented steps belong to the open block, the first unindented one closes it. */
static int enter_thread_context(struct parser *p, const char *line, size_t indent)
{
	if (!indent) {
		if (p->cur_thread) {
			int ret = close_block(p);

			if (ret)
				return ret;
			p->last_was_action = false; /* nothing of the main thread to pair with */
		}
		return 0;
	}
	if (!p->cur_thread)
		return perr(
			p, 1,
			"bad indentation: only the steps of a 'thread NAME:' block are indented");
	if (!p->block_indent) {
		p->block_indent = strndup(line, indent);
		if (!p->block_indent)
			return oom(p);
	} else if (strlen(p->block_indent) != indent || strncmp(p->block_indent, line, indent)) {
		return perr(
			p, 1,
			"bad indentation: every step of thread '%s' (line %d) is indented like its first",
			thread_name(p, p->cur_thread), p->scn->threads[p->cur_thread - 1].line);
	}
	p->block_steps++;
	return 0;
}

/* `schedule SPEC`: the words after the verb. */
static int parse_schedule(struct parser *p, struct scn_step *st)
{
	const char *words[MAX_TOKENS];
	char msg[256];
	size_t bad;
	int ret;

	if (p->scn->schedule.given)
		return perr(p, p->toks[0].col, "schedule given twice (line %d)",
			    p->scn->schedule.line);
	for (int i = 1; i < p->nr_toks; i++)
		words[i - 1] = p->toks[i].s;
	ret = scn_schedule_parse(words, (size_t)p->nr_toks - 1, &p->scn->schedule, msg, sizeof(msg),
				 &bad);
	if (ret == -ENOMEM)
		return oom(p);
	if (ret)
		return perr(p, p->nr_toks > 1 ? p->toks[1 + bad].col : p->toks[0].col, "%s", msg);
	p->scn->schedule.line = p->line;
	/* the picks are the last words; each NAME's column, for check_schedule() */
	for (size_t i = 0; i < p->scn->schedule.nr_picks; i++) {
		const struct token *t =
			&p->toks[p->nr_toks - (int)p->scn->schedule.nr_picks + (int)i];

		p->scn->schedule.picks[i].col = t->col + (int)(strchr(t->s, ':') - t->s) + 1;
	}
	(void)st;
	return 0;
}

/* At the end: every thread a schedule names exists. */
static int check_schedule(struct parser *p)
{
	const struct scn_schedule *sc = &p->scn->schedule;

	for (size_t i = 0; i < sc->nr_picks; i++) {
		bool found = false;

		for (size_t k = 0; k < p->scn->nr_threads && !found; k++)
			found = !strcmp(p->scn->threads[k].name, sc->picks[i].name);
		if (!found) {
			p->line = sc->line;
			return perr(
				p, sc->picks[i].col,
				"the schedule names thread '%s', which no 'thread %s:' block defines",
				sc->picks[i].name, sc->picks[i].name);
		}
	}
	return 0;
}

static int parse_line(struct parser *p, char *line)
{
	size_t indent = strspn(line, " \t");
	struct scn_step *st;
	struct args a;
	const char *verb;
	char *src;
	size_t n;
	int ret;

	ret = tokenize(p, line);
	if (ret || !p->nr_toks)
		return ret;
	if (!strcmp(p->toks[0].s, "thread"))
		return parse_thread_header(p, indent);
	ret = enter_thread_context(p, line, indent);
	if (ret)
		return ret;
	/* Keep the step as written (tokens joined by one space) for traces and reports. */
	n = 0;
	for (int i = 0; i < p->nr_toks; i++)
		n += strlen(p->toks[i].s) + 1;
	src = calloc(1, n + 1);
	if (!src)
		return oom(p);
	for (int i = 0; i < p->nr_toks; i++) {
		if (i)
			strcat(src, " ");
		strcat(src, p->toks[i].s);
	}
	st = new_step(p);
	if (!st) {
		free(src);
		return oom(p);
	}
	st->src = src;
	st->thread = p->cur_thread;
	verb = p->toks[0].s;
	split_args(p, 1, &a);
	if (!strcmp(verb, "seed")) {
		st->verb = SCN_SEED;
		ret = parse_seed(p, st, &a);
	} else if (!strcmp(verb, "iommu")) {
		st->verb = SCN_IOMMU;
		ret = parse_iommu(p, st, &a);
	} else if (!strcmp(verb, "buf")) {
		st->verb = SCN_BUF;
		ret = parse_buf(p, st, &a);
	} else if (!strcmp(verb, "fill")) {
		st->verb = SCN_FILL;
		ret = parse_fill(p, st, &a);
	} else if (!strcmp(verb, "dma-mask")) {
		st->verb = SCN_DMA_MASK;
		ret = parse_dma_mask(p, st, &a);
	} else if (!strcmp(verb, "map")) {
		st->verb = SCN_MAP;
		ret = parse_map(p, st, &a, false);
	} else if (!strcmp(verb, "map-sg")) {
		st->verb = SCN_MAP_SG;
		ret = parse_map(p, st, &a, true);
	} else if (!strcmp(verb, "unmap")) {
		st->verb = SCN_UNMAP;
		ret = parse_unmap(p, st, &a);
	} else if (!strcmp(verb, "sync")) {
		st->verb = SCN_SYNC;
		ret = parse_sync(p, st, &a);
	} else if (!strcmp(verb, "dma")) {
		ret = parse_dma(p, st, &a);
	} else if (!strcmp(verb, "advance")) {
		st->verb = SCN_ADVANCE;
		ret = parse_advance(p, st, &a);
	} else if (!strcmp(verb, "release")) {
		st->verb = SCN_RELEASE;
		ret = parse_release(p, st, &a);
	} else if (!strcmp(verb, "echo")) {
		st->verb = SCN_ECHO;
		ret = parse_echo(p, st);
	} else if (!strcmp(verb, "expect")) {
		ret = parse_expect(p, st, &a);
	} else if (twostep_verb(verb, st)) {
		ret = parse_twostep(p, st, &a);
	} else if (!strcmp(verb, "schedule")) {
		st->verb = SCN_SCHEDULE;
		ret = parse_schedule(p, st);
	} else if (dmabuf_index(verb) >= 0) {
		ret = parse_dmabuf(p, st, &a, dmabuf_index(verb));
	} else {
		ret = unknown_verb(p, &p->toks[0]);
	}
	if (ret)
		return ret;
	if (is_setup(st->verb) && p->cur_thread)
		return perr(p, p->toks[0].col, "'%s' cannot be inside a thread block", verb);
	if (is_setup(st->verb)) {
		if (p->past_setup)
			return perr(p, p->toks[0].col,
				    "'%s' must come before the first step that uses the machine",
				    verb);
	} else if (st->verb != SCN_ECHO) {
		p->past_setup = true;
	}
	if (!is_neutral(st->verb))
		p->last_was_action = has_outcome(st->verb);
	return 0;
}

void scenario_free(struct scenario *scn)
{
	if (!scn)
		return;
	for (size_t i = 0; i < scn->nr_steps; i++) {
		struct scn_step *st = &scn->steps[i];

		free(st->src);
		free(st->dev);
		free(st->dev2);
		free(st->bar_dev);
		free(st->fill.text);
		free(st->data.text);
		free(st->refs);
		free(st->what);
		free(st->rule);
		free(st->text);
		if (st->dmabuf) {
			free(st->dmabuf->set);
			free(st->dmabuf->ranges);
			free(st->dmabuf);
		}
	}
	free(scn->steps);
	for (size_t i = 0; i < scn->nr_threads; i++)
		free(scn->threads[i].name);
	free(scn->threads);
	scn_schedule_free(&scn->schedule);
	for (size_t i = 0; i < scn->nr_syms; i++)
		free(scn->syms[i].name);
	free(scn->syms);
	free(scn->path);
	free(scn);
}

int scenario_parse_buffer(const char *text, size_t len, const char *path, struct scenario **out,
			  struct p2psim_error *err)
{
	struct parser p = { .path = path ? path : "<scenario>", .err = err };
	size_t pos = 0;
	int ret = 0;

	*out = NULL;
	p.scn = calloc(1, sizeof(*p.scn));
	if (!p.scn)
		return oom(&p);
	p.scn->path = strdup(p.path);
	if (!p.scn->path) {
		ret = oom(&p);
		goto fail;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		p.line++;
		if (memchr(text + pos, '\0', n)) {
			ret = perr(&p,
				   (int)((const char *)memchr(text + pos, '\0', n) - (text + pos)) +
					   1,
				   "NUL byte in scenario text");
			goto fail;
		}
		p.linebuf = malloc(n + 1);
		if (!p.linebuf) {
			ret = oom(&p);
			goto fail;
		}
		memcpy(p.linebuf, text + pos, n);
		p.linebuf[n] = '\0';
		if (n && p.linebuf[n - 1] == '\r')
			p.linebuf[n - 1] = '\0';
		ret = parse_line(&p, p.linebuf);
		free(p.linebuf);
		p.linebuf = NULL;
		if (ret)
			goto fail;
		pos += n + (nl ? 1 : 0);
	}
	ret = close_block(&p);
	if (!ret)
		ret = check_schedule(&p);
	if (ret)
		goto fail;
	free(p.live);
	*out = p.scn;
	return 0;
fail:
	free(p.block_indent);
	free(p.live);
	scenario_free(p.scn);
	return ret;
}

int scenario_parse_file(const char *path, struct scenario **out, struct p2psim_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret;

	*out = NULL;
	if (!f) {
		ret = -errno;
		p2psim_error_set(err, P2PSIM_EINPUT, path, 0, 0, "cannot read scenario: %s",
				 strerror(errno));
		return ret;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nbuf;

			if (ncap > (256u << 20)) {
				fclose(f);
				free(buf);
				p2psim_error_set(err, P2PSIM_EINPUT, path, 0, 0,
						 "scenario file is larger than 256 MiB");
				return -EFBIG;
			}
			nbuf = realloc(buf, ncap);
			if (!nbuf) {
				fclose(f);
				free(buf);
				p2psim_error_set(err, P2PSIM_EINTERNAL, path, 0, 0,
						 "out of memory");
				return -ENOMEM;
			}
			buf = nbuf;
			cap = ncap;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		p2psim_error_set(err, P2PSIM_EINPUT, path, 0, 0, "cannot read scenario");
		return -EIO;
	}
	fclose(f);
	ret = scenario_parse_buffer(buf ? buf : "", len, path, out, err);
	free(buf);
	return ret;
}
