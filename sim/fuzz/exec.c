// SPDX-License-Identifier: GPL-2.0-only
/*
 * exec.c - running a generated sequence in-process and shrinking a failing
 * one (docs/fuzz.md).
 *
 * A sequence runs through the scenario runner (p2psim_run_buffer()) with
 * every checker on, silently, with an observer that collects the violations
 * and the failed outcomes (maps that failed, DMAs that faulted). A finding is
 * a violation on a line the generator did not excuse, or one at the end of a
 * run that had no deliberate mistake.
 *
 * Minimising is delta debugging (ddmin, Zeller) over the lines, then over the
 * words of each line (options and sg regions dropped, buffer sizes cut to
 * 4 KiB), keeping "the same checker/kind is still found". The reproducer is
 * rendered with the acknowledgments `p2psim run` wants after each failed
 * outcome and an `expect violation` for each excused violation, so that the
 * only unclaimed violation left is the finding.
 *
 * Owned here: struct fz_result and the minimiser.
 */
#define _GNU_SOURCE /* open_memstream */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/fuzz/fuzz_internal.h"

/* ddmin / word passes stop after this many runs: reproducers are small anyway. */
#define MAX_MINIMISE_RUNS 4000

static void observe_violation(void *ctx, int line, const char *checker, const char *kind,
			      const char *message, int claimed)
{
	struct fz_result *res = ctx;
	struct fz_violation *v;

	if (res->nr_v == res->cap_v) {
		size_t cap = res->cap_v ? res->cap_v * 2 : 8;
		struct fz_violation *nv = realloc(res->v, cap * sizeof(*nv));

		if (!nv)
			return;
		res->v = nv;
		res->cap_v = cap;
	}
	v = &res->v[res->nr_v++];
	memset(v, 0, sizeof(*v));
	v->line = line;
	v->claimed = claimed;
	snprintf(v->checker, sizeof(v->checker), "%s", checker);
	snprintf(v->kind, sizeof(v->kind), "%s", kind);
	snprintf(v->message, sizeof(v->message), "%s", message ? message : "");
}

static void observe_outcome(void *ctx, int line, const char *err)
{
	struct fz_result *res = ctx;

	if (res->nr_o == res->cap_o) {
		size_t cap = res->cap_o ? res->cap_o * 2 : 8;
		struct fz_outcome *no = realloc(res->o, cap * sizeof(*no));

		if (!no)
			return;
		res->o = no;
		res->cap_o = cap;
	}
	res->o[res->nr_o].line = line;
	snprintf(res->o[res->nr_o].err, sizeof(res->o[0].err), "%s", err ? err : "");
	res->nr_o++;
}

static char *join(const struct fz_seq *seq, size_t *len)
{
	size_t total = 1;
	char *text, *p;

	for (size_t i = 0; i < seq->n; i++)
		total += strlen(seq->lines[i].text) + 1;
	text = malloc(total);
	if (!text)
		return NULL;
	p = text;
	for (size_t i = 0; i < seq->n; i++) {
		size_t l = strlen(seq->lines[i].text);

		memcpy(p, seq->lines[i].text, l);
		p[l] = '\n';
		p += l + 1;
	}
	*p = '\0';
	*len = (size_t)(p - text);
	return text;
}

void fz_result_free(struct fz_result *res)
{
	free(res->v);
	free(res->o);
	memset(res, 0, sizeof(*res));
}

int fz_exec(struct fz_ctx *ctx, struct fz_seq *seq, struct fz_result *res, FILE *text_out)
{
	struct p2psim_run_observer obs = { .ctx = res,
					   .violation = observe_violation,
					   .outcome = observe_outcome };
	struct p2psim_run_opts opts = { .format = P2PSIM_FORMAT_TEXT,
					.inject = ctx->inject,
					.silent = !text_out,
					.quiet = 1,
					.observer = &obs };
	struct p2psim_error err;
	size_t len;
	char *text = join(seq, &len);

	memset(res, 0, sizeof(*res));
	if (!text)
		return -ENOMEM;
	p2psim_error_clear(&err);
	res->status = p2psim_run_buffer(ctx->topo, text, len, "fuzz", &opts,
					text_out ? text_out : stderr, NULL, &err);
	free(text);
	fz_annotate(ctx, seq, res);
	return 0;
}

/*
 * What no driver mistake excuses: the kernel may WARN at a misuse, never
 * spin forever (the fix of the v5 unlink slow path is exactly that).
 */
static const struct {
	const char *checker, *kind;
} never_excused[] = {
	{ "iotlb", "hang" },
};

bool fz_excused(const struct fz_seq *seq, const struct fz_violation *v)
{
	for (size_t i = 0; i < sizeof(never_excused) / sizeof(never_excused[0]); i++)
		if (!strcmp(v->checker, never_excused[i].checker) &&
		    !strcmp(v->kind, never_excused[i].kind))
			return false;
	if (v->line <= 0)
		return seq->mistakes;
	return (size_t)v->line <= seq->n && seq->lines[v->line - 1].excused;
}

const struct fz_violation *fz_finding(const struct fz_seq *seq, const struct fz_result *res)
{
	for (size_t i = 0; i < res->nr_v; i++)
		if (!res->v[i].claimed && !fz_excused(seq, &res->v[i]))
			return &res->v[i];
	return NULL;
}

static bool also_found(const struct fz_ctx *ctx, const struct fz_violation *v)
{
	for (size_t i = 0; i < ctx->nr_also; i++)
		if (!strcmp(v->checker, ctx->also[i].checker) &&
		    !strcmp(v->kind, ctx->also[i].kind))
			return true;
	return false;
}

bool fz_reproduces(struct fz_ctx *ctx, struct fz_seq *seq, const char *checker, const char *kind)
{
	struct fz_result res;
	bool found = false;

	if (fz_exec(ctx, seq, &res, NULL))
		return false;
	/* the finding, and nothing the original did not show: a reproducer shows one bug */
	if (res.status == P2PSIM_ECHECK || res.status == P2PSIM_OK)
		for (size_t i = 0; i < res.nr_v; i++) {
			/* at the end of the run nothing is excused: a reproducer cleans up */
			if (res.v[i].claimed || (res.v[i].line && fz_excused(seq, &res.v[i])))
				continue;
			if (!strcmp(res.v[i].checker, checker) && !strcmp(res.v[i].kind, kind)) {
				found = true;
				continue;
			}
			if (!also_found(ctx, &res.v[i])) {
				found = false;
				break;
			}
		}
	fz_result_free(&res);
	return found;
}

/* @seq without lines [from, to) (lines marked keep stay). */
static int without(const struct fz_seq *seq, size_t from, size_t to, struct fz_seq *out)
{
	memset(out, 0, sizeof(*out));
	out->mistakes = seq->mistakes;
	for (size_t i = 0; i < seq->n; i++) {
		if (i >= from && i < to && !seq->lines[i].keep)
			continue;
		if (fz_seq_add(out, seq->lines[i].excused, "%s", seq->lines[i].text)) {
			fz_seq_free(out);
			return -ENOMEM;
		}
		out->lines[out->n - 1].keep = seq->lines[i].keep;
	}
	return 0;
}

static int ddmin(struct fz_ctx *ctx, struct fz_seq *seq, const char *checker, const char *kind,
		 unsigned int *runs)
{
	size_t n = 2;

	while (seq->n >= 2 && *runs < MAX_MINIMISE_RUNS) {
		size_t chunk = (seq->n + n - 1) / n;
		bool reduced = false;

		for (size_t start = 0; start < seq->n && *runs < MAX_MINIMISE_RUNS;
		     start += chunk) {
			struct fz_seq cand;

			if (without(seq, start, start + chunk, &cand))
				return -ENOMEM;
			if (cand.n == seq->n) {
				fz_seq_free(&cand);
				continue;
			}
			(*runs)++;
			if (fz_reproduces(ctx, &cand, checker, kind)) {
				fz_seq_free(seq);
				*seq = cand;
				n = n > 2 ? n - 1 : 2;
				reduced = true;
				break;
			}
			fz_seq_free(&cand);
		}
		if (!reduced) {
			if (n >= seq->n)
				break;
			n = n * 2 < seq->n ? n * 2 : seq->n;
		}
	}
	return 0;
}

/* Try each word of each line: dropped, or (a buf size) cut to 4 KiB. */
static int shrink_words(struct fz_ctx *ctx, struct fz_seq *seq, const char *checker,
			const char *kind, unsigned int *runs)
{
	for (size_t i = 0; i < seq->n && *runs < MAX_MINIMISE_RUNS; i++) {
		int w = 2; /* never the verb or its first argument */

		for (;;) {
			char *text = seq->lines[i].text, *cand, *p = text, *ws, *we;
			bool is_size;
			int k;

			for (k = 0; k < w && *p; k++) {
				p = strchr(p, ' ');
				if (!p)
					break;
				p++;
			}
			if (!p || !*p || *runs >= MAX_MINIMISE_RUNS)
				break;
			ws = p;
			we = strchr(ws, ' ');
			if (!we)
				we = ws + strlen(ws);
			is_size = !strncmp(text, "buf ", 4) && w == 2;
			if (is_size && (size_t)(we - ws) == 4 && !strncmp(ws, "4096", 4)) {
				w++;
				continue;
			}
			if (asprintf(&cand, "%.*s%s%s", (int)(ws - text - (is_size ? 0 : 1)), text,
				     is_size ? "4096" : "", we) < 0)
				return -ENOMEM;
			seq->lines[i].text = cand;
			(*runs)++;
			if (fz_reproduces(ctx, seq, checker, kind)) {
				free(text);
				if (is_size)
					w++;
			} else {
				seq->lines[i].text = text;
				free(cand);
				w++;
			}
		}
	}
	return 0;
}

static bool mentions(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
		if ((p == text || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
	return false;
}

/* Drop each handle, reservation, HMM map, buffer together with every line that names it. */
static int drop_symbols(struct fz_ctx *ctx, struct fz_seq *seq, const char *checker,
			const char *kind, unsigned int *runs)
{
	static const char prefixes[] = "hrmb"; /* users before the buffers they use */

	for (int pass = 0; pass < 4; pass++)
		for (int k = 0; k < 128 && *runs < MAX_MINIMISE_RUNS; k++) {
			char name[16];
			struct fz_seq cand = { .mistakes = seq->mistakes };

			snprintf(name, sizeof(name), "%c%d", prefixes[pass], k);
			for (size_t i = 0; i < seq->n; i++) {
				if (mentions(seq->lines[i].text, name) && !seq->lines[i].keep)
					continue;
				if (fz_seq_add(&cand, seq->lines[i].excused, "%s",
					       seq->lines[i].text)) {
					fz_seq_free(&cand);
					return -ENOMEM;
				}
				cand.lines[cand.n - 1].keep = seq->lines[i].keep;
			}
			if (cand.n == seq->n) {
				fz_seq_free(&cand);
				continue;
			}
			(*runs)++;
			if (fz_reproduces(ctx, &cand, checker, kind)) {
				fz_seq_free(seq);
				*seq = cand;
			} else {
				fz_seq_free(&cand);
			}
		}
	return 0;
}

/* Note the original's other findings (ctx->also): a candidate may keep them, not add any. */
static void note_also(struct fz_ctx *ctx, struct fz_seq *seq, const char *checker, const char *kind)
{
	struct fz_result res;

	ctx->nr_also = 0;
	if (fz_exec(ctx, seq, &res, NULL))
		return;
	for (size_t i = 0; i < res.nr_v && ctx->nr_also < 8; i++) {
		const struct fz_violation *v = &res.v[i];

		if (v->claimed || (v->line && fz_excused(seq, v)) || also_found(ctx, v) ||
		    (!strcmp(v->checker, checker) && !strcmp(v->kind, kind)))
			continue;
		snprintf(ctx->also[ctx->nr_also].checker, sizeof(ctx->also[0].checker), "%s",
			 v->checker);
		snprintf(ctx->also[ctx->nr_also].kind, sizeof(ctx->also[0].kind), "%s", v->kind);
		ctx->nr_also++;
	}
	fz_result_free(&res);
}

int fz_minimise(struct fz_ctx *ctx, struct fz_seq *seq, const char *checker, const char *kind)
{
	unsigned int runs = 0;
	int ret;

	note_also(ctx, seq, checker, kind);
	ret = ddmin(ctx, seq, checker, kind, &runs);

	if (!ret)
		ret = drop_symbols(ctx, seq, checker, kind, &runs);
	if (!ret)
		ret = ddmin(ctx, seq, checker, kind, &runs);

	if (!ret)
		ret = shrink_words(ctx, seq, checker, kind, &runs);
	if (!ret)
		ret = ddmin(ctx, seq, checker, kind, &runs);
	ctx->nr_also = 0;
	return ret;
}

char *fz_render(const struct fz_seq *seq, const struct fz_result *res, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; i < seq->n; i++) {
		int line = (int)i + 1;
		/* an expect in a thread block pairs with its thread's step: same indent */
		int indent = (int)strspn(seq->lines[i].text, " \t");

		fprintf(f, "%s\n", seq->lines[i].text);
		for (size_t k = 0; k < res->nr_o; k++)
			if (res->o[k].line == line) {
				if (res->o[k].err[0])
					fprintf(f, "%.*sexpect error %s\n", indent,
						seq->lines[i].text, res->o[k].err);
				else
					fprintf(f, "%.*sexpect fault\n", indent, seq->lines[i].text);
			}
		if (!seq->lines[i].excused)
			continue;
		/* what the checkers rightly report about a deliberate mistake */
		for (size_t k = 0; k < res->nr_v; k++) {
			bool dup = false;

			if (res->v[k].line != line || !fz_excused(seq, &res->v[k]))
				continue;
			for (size_t j = 0; j < k; j++)
				dup |= res->v[j].line == line &&
				       !strcmp(res->v[j].checker, res->v[k].checker) &&
				       !strcmp(res->v[j].kind, res->v[k].kind);
			if (!dup)
				fprintf(f, "%.*sexpect violation %s %s\n", indent, seq->lines[i].text,
					res->v[k].checker, res->v[k].kind);
		}
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}
