// SPDX-License-Identifier: GPL-2.0-only
/*
 * annotate.c - which lines of a sequence are deliberate driver mistakes.
 *
 * The generator knows when it makes a mistake, but the minimiser deletes
 * lines, and a deletion can turn a legal line into a mistake (drop the unmap
 * between two writable maps of one buffer and the second map overlaps). So
 * the excused flags are recomputed from the text, with the run's outcomes
 * (a map that failed leaves its handle unmapped), by replaying the driver
 * state a correct driver keeps: which buffers are mapped writable, which
 * handles are live, which devices a mistake has tainted.
 *
 * Owned here: fz_annotate().
 */
#include <stdlib.h>
#include <string.h>

#include "sim/fuzz/fuzz_internal.h"

#define NAMES 128

struct abuf {
	bool bar;
	int live;
	bool writable;
	u64 size;
};

/* A two-step reservation (iova-alloc rN): its device, size and the byte ranges linked. */
#define AIOVA 8
#define ALINKS 16

struct aiova {
	int dev;
	u64 size;
	int n;
	u64 at[ALINKS], len[ALINKS]; /* disjoint, unordered */
};

struct ahandle {
	bool live, ever, bar, sg;
	int dir; /* 0 bidir, 1 to, 2 from */
	int dev;
	int bufs[8];
	int nbufs;
};

/* An HMM map (hmm-alloc NAME DEV N): its device, and the buffer behind each pfn mapped. */
struct ahmm {
	int dev;
	int buf[8]; /* -1: clean */
};

static int num_after(const char *w, char c)
{
	return w && w[0] == c && w[1] >= '0' && w[1] <= '9' ? atoi(w + 1) : -1;
}

static int dir_of(const char *w)
{
	if (!w)
		return -1;
	if (!strcmp(w, "to-device"))
		return 1;
	if (!strcmp(w, "from-device"))
		return 2;
	if (!strcmp(w, "bidirectional"))
		return 0;
	return -1;
}

static int dev_index(const struct fz_ctx *ctx, const char *w)
{
	for (size_t i = 0; w && i < ctx->nr_devs && i < 64; i++)
		if (!strcmp(ctx->devs[i].id, w))
			return (int)i;
	return -1;
}

static void drop(struct abuf *bufs, struct ahandle *h)
{
	for (int i = 0; i < h->nbufs; i++) {
		struct abuf *b = &bufs[h->bufs[i]];

		if (b->live && !--b->live)
			b->writable = false;
	}
	h->live = false;
}

static u64 opt_u64(char **w, int nw, const char *name, u64 dflt)
{
	size_t n = strlen(name);

	for (int k = 2; k < nw; k++)
		if (!strncmp(w[k], name, n) && w[k][n] == '=')
			return strtoull(w[k] + n + 1, NULL, 0);
	return dflt;
}

/* Bytes of [at, at + len) that @r's links cover. */
static u64 covered(const struct aiova *r, u64 at, u64 len)
{
	u64 sum = 0;

	for (int k = 0; k < r->n; k++) {
		u64 s = r->at[k] > at ? r->at[k] : at;
		u64 e = r->at[k] + r->len[k] < at + len ? r->at[k] + r->len[k] : at + len;

		sum += e > s ? e - s : 0;
	}
	return sum;
}

/* Take [at, at + len) out of @r's links (pieces outside it stay linked). */
static void uncover(struct aiova *r, u64 at, u64 len)
{
	for (int k = 0; k < r->n; k++) {
		u64 s = r->at[k], e = r->at[k] + r->len[k];

		if (e <= at || s >= at + len)
			continue;
		r->at[k] = r->at[--r->n];
		r->len[k] = r->len[r->n];
		k--;
		if (s < at && r->n < ALINKS) {
			r->at[r->n] = s;
			r->len[r->n++] = at - s;
		}
		if (e > at + len && r->n < ALINKS) {
			r->at[r->n] = at + len;
			r->len[r->n++] = e - (at + len);
		}
	}
}

/*
 * A two-step line (iova-*) on reservation @r: is it a mistake? The rules the
 * dma-debug / leaks two-step checks hold a driver to (docs/checkers.md):
 * link only bytes not linked, unlink only linked bytes, destroy when
 * [0, mapped_len) is everything linked, free when nothing is.
 */
static bool iova_line(struct aiova *r, char **w, int nw, struct abuf *bufs, bool failed)
{
	u64 total = 0;

	for (int k = 0; k < r->n; k++)
		total += r->len[k];
	if (!strcmp(w[0], "iova-link") && nw >= 3) {
		const char *at_sign = strchr(w[2], '@'), *plus = strchr(w[2], '+');
		int b = num_after(w[2], 'b');
		u64 at = opt_u64(w, nw, "at", 0),
		    off = at_sign ? strtoull(at_sign + 1, NULL, 0) : 0;
		u64 len =
			plus ? strtoull(plus + 1, NULL, 0) :
			       (b >= 0 && b < NAMES && bufs[b].size > off ? bufs[b].size - off : 0);
		bool mistake = len && covered(r, at, len);

		if (!failed && len && r->n < ALINKS) {
			uncover(r, at, len);
			r->at[r->n] = at;
			r->len[r->n++] = len;
		}
		return mistake;
	}
	if (!strcmp(w[0], "iova-unlink")) {
		u64 at = opt_u64(w, nw, "at", 0), len = opt_u64(w, nw, "len", 0);
		bool mistake = covered(r, at, len) != len;

		uncover(r, at, len);
		return mistake;
	}
	if (!strcmp(w[0], "iova-destroy")) {
		u64 len = opt_u64(w, nw, "len", r->size);
		bool mistake = len ? covered(r, 0, len) != len || total != len : total != 0;

		r->n = 0;
		return mistake;
	}
	if (!strcmp(w[0], "iova-free")) {
		r->n = 0;
		return total != 0;
	}
	return false;
}

static bool failed_line(const struct fz_result *res, int line)
{
	for (size_t i = 0; res && i < res->nr_o; i++)
		if (res->o[i].line == line && res->o[i].err[0])
			return true;
	return false;
}

void fz_annotate(const struct fz_ctx *ctx, struct fz_seq *seq, const struct fz_result *res)
{
	struct abuf bufs[NAMES] = { 0 };
	struct ahandle hs[NAMES] = { 0 };
	bool tainted[64] = { false };
	struct ahmm hm[16];
	struct aiova iv[AIOVA] = { 0 };
	/* dma-buf: each importer's device, each dma-buf's exporter and importing devices */
	int imp_dev[NAMES], exp_dev[NAMES];
	u64 imp_devs[NAMES] = { 0 };

	for (int k = 0; k < 16; k++) {
		hm[k].dev = -1;
		for (int e = 0; e < 8; e++)
			hm[k].buf[e] = -1;
	}
	for (int k = 0; k < NAMES; k++)
		imp_dev[k] = exp_dev[k] = -1;
	seq->mistakes = false;
	for (size_t i = 0; i < seq->n; i++) {
		char copy[512], *w[16], *save = NULL;
		int nw = 0, d = -1, hi;
		bool mistake = false, opts = false;

		snprintf(copy, sizeof(copy), "%s", seq->lines[i].text);
		for (char *t = strtok_r(copy, " ", &save); t && nw < 16;
		     t = strtok_r(NULL, " ", &save))
			w[nw++] = t;
		for (int k = 2; k < nw; k++)
			opts |= strchr(w[k], '=') && strncmp(w[k], "data=", 5) &&
				strncmp(w[k], "seg=", 4) && strncmp(w[k], "fill=", 5) &&
				strncmp(w[k], "bar=", 4) && strncmp(w[k], "off=", 4);
		if (!nw)
			continue;
		if (!strcmp(w[0], "buf") && nw >= 2) {
			int b = num_after(w[1], 'b');

			if (b >= 0 && b < NAMES)
				bufs[b] = (struct abuf){ .bar = nw > 3 && !strncmp(w[3], "bar=", 4),
							 .size = nw > 2 ? strtoull(w[2], NULL, 0) :
									  0 };
		} else if ((!strcmp(w[0], "map") || !strcmp(w[0], "map-sg")) && nw >= 5) {
			struct ahandle *h;
			int dir = dir_of(w[3]);

			hi = num_after(w[1], 'h');
			d = dev_index(ctx, w[2]);
			if (hi < 0 || hi >= NAMES)
				continue;
			h = &hs[hi];
			*h = (struct ahandle){
				.dir = dir, .dev = d, .sg = w[0][3] == '-', .ever = true
			};
			for (int k = 4; k < nw; k++) {
				int b = num_after(w[k], 'b');

				if (!strcmp(w[k], "unchecked"))
					mistake = true;
				if (b < 0 || b >= NAMES || h->nbufs == 8)
					continue;
				for (int j = 0; j < h->nbufs; j++)
					mistake |= h->bufs[j] == b;
				if (bufs[b].live && (dir != 1 || bufs[b].writable))
					mistake = true;
				h->bar |= bufs[b].bar;
				h->bufs[h->nbufs++] = b;
			}
			if (failed_line(res, (int)i + 1))
				continue; /* nothing mapped: the handle is not live */
			h->live = true;
			for (int j = 0; j < h->nbufs; j++) {
				bufs[h->bufs[j]].live++;
				if (dir != 1)
					bufs[h->bufs[j]].writable = true;
			}
		} else if ((!strcmp(w[0], "unmap") || !strcmp(w[0], "sync")) && nw >= 2) {
			hi = num_after(w[1], 'h');
			if (hi < 0 || hi >= NAMES)
				continue;
			d = hs[hi].dev;
			mistake = !hs[hi].live || opts;
			if (w[0][0] == 's' && nw >= 3 && !mistake) {
				bool cpu = !strcmp(w[2], "for-cpu");

				/* legal syncs: for-cpu after a device write, for-device before a read;
				 * a P2P BAR mapping has nothing to sync */
				mistake = hs[hi].bar || (cpu && hs[hi].dir == 1) ||
					  (!cpu && hs[hi].dir == 2);
			}
			if (w[0][0] == 'u' && hs[hi].live)
				drop(bufs, &hs[hi]);
		} else if (!strcmp(w[0], "dma") && nw >= 4) {
			bool write = !strcmp(w[1], "write");

			hi = num_after(w[3], 'h');
			d = dev_index(ctx, w[2]);
			if (hi < 0 || hi >= NAMES)
				continue;
			mistake = !hs[hi].live || d != hs[hi].dev || (write && hs[hi].dir == 1) ||
				  (!write && hs[hi].dir == 2);
		} else if (!strcmp(w[0], "release") && nw >= 2) {
			d = dev_index(ctx, w[1]);
			/* leaked: the mappings stay (dma-debug still tracks them) */
			for (int k = 0; k < NAMES; k++)
				if (hs[k].live && hs[k].dev == d) {
					mistake = true;
					hs[k].live = false;
				}
		} else if (!strncmp(w[0], "hmm-", 4) && nw >= 2 && num_after(w[1], 'm') >= 0 &&
			   num_after(w[1], 'm') < 16) {
			/*
			 * HMM maps a page bidirectional: like a writable map of the
			 * buffer (an overlap is a mistake); freeing a map that still
			 * has pfns mapped leaks them.
			 */
			struct ahmm *m = &hm[num_after(w[1], 'm')];
			int e = nw >= 3 ? atoi(w[2]) : -1;

			if (!strcmp(w[0], "hmm-alloc") && nw >= 3)
				m->dev = dev_index(ctx, w[2]);
			d = m->dev;
			if (!strcmp(w[0], "hmm-map") && nw >= 4 && e >= 0 && e < 8) {
				int b = num_after(w[3], 'b');

				if (b >= 0 && b < NAMES && bufs[b].live)
					mistake = true;
				if (m->buf[e] >= 0 || b < 0 || b >= NAMES || failed_line(res, (int)i + 1))
					;
				else {
					m->buf[e] = b;
					bufs[b].live++;
					bufs[b].writable = true;
				}
			} else if (!strcmp(w[0], "hmm-unmap") && e >= 0 && e < 8 && m->buf[e] >= 0) {
				struct abuf *b = &bufs[m->buf[e]];

				if (b->live && !--b->live)
					b->writable = false;
				m->buf[e] = -1;
			} else if (!strcmp(w[0], "hmm-free")) {
				for (int k = 0; k < 8; k++)
					mistake |= m->buf[k] >= 0;
			}
		} else if (!strncmp(w[0], "iova-", 5) && nw >= 2 && num_after(w[1], 'r') >= 0 &&
			   num_after(w[1], 'r') < AIOVA) {
			struct aiova *r = &iv[num_after(w[1], 'r')];

			if (!strcmp(w[0], "iova-alloc") && nw >= 4)
				*r = (struct aiova){ .dev = dev_index(ctx, w[2]),
						     .size = strtoull(w[3], NULL, 0) };
			else
				mistake = iova_line(r, w, nw, bufs, failed_line(res, (int)i + 1));
			d = r->dev;
		} else if (!strncmp(w[0], "dmabuf-", 7) || !strncmp(w[0], "vfio-", 5) ||
			   !strcmp(w[0], "event")) {
			/*
			 * No dma-buf step is a mistake; but a mistake that tainted an
			 * importer's device (its IOVA space, say) shows up when the
			 * exporter revokes: the lines of that dma-buf are tainted too.
			 */
			int n = nw >= 2 ? num_after(w[1], w[0][7] == 'i' ? 'i' : 'v') : -1;
			u64 shared = 0;

			if (!strcmp(w[0], "dmabuf-export") && nw >= 3 && n >= 0 && n < NAMES)
				d = exp_dev[n] = dev_index(ctx, w[2]);
			else if (!strcmp(w[0], "dmabuf-import") && nw >= 4 && n >= 0 && n < NAMES) {
				int v = num_after(w[2], 'v');

				d = imp_dev[n] = dev_index(ctx, w[3]);
				if (v >= 0 && v < NAMES && d >= 0 && d < 64)
					imp_devs[v] |= 1ULL << d;
				if (v >= 0 && v < NAMES)
					shared = imp_devs[v];
			} else if (!strncmp(w[0], "dmabuf-", 7) && num_after(w[1], 'i') >= 0 &&
				   num_after(w[1], 'i') < NAMES) {
				d = imp_dev[num_after(w[1], 'i')];
			} else if (!strncmp(w[0], "dmabuf-", 7) && n >= 0 && n < NAMES) {
				d = exp_dev[n];
				shared = imp_devs[n];
			} else if (nw >= 2) {
				d = dev_index(ctx, w[1]);
				for (int v = 0; v < NAMES; v++)
					if (exp_dev[v] == d && d >= 0)
						shared |= imp_devs[v];
			}
			for (int k = 0; k < 64; k++)
				mistake |= (shared >> k & 1) && tainted[k];
		} else if (!strcmp(w[0], "advance")) {
			/* deferred work (flush queues) after a mistake inherits it */
			seq->lines[i].excused = seq->mistakes;
			continue;
		}
		if (mistake && d >= 0)
			tainted[d] = true;
		seq->lines[i].excused = mistake || (d >= 0 && tainted[d]);
		seq->mistakes |= seq->lines[i].excused;
	}
}
