// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz.c - a fuzzing campaign (include/p2psim/fuzz.h, docs/fuzz.md).
 *
 * Sequence k of a campaign is generated from fz_sequence_seed(seed, k) alone.
 * Shard i of n runs k = i, i + n, i + 2n, ... (no coordinator needed); with
 * --jobs J, worker j of the shard runs every J-th of those, in a forked
 * process, and reports its findings and counts through a pipe. The parent
 * keeps, per distinct checker/kind, the finding of the smallest k, then
 * regenerates that sequence, minimises it and writes crash-<hash>.scn: the
 * result of a --runs campaign does not depend on --jobs.
 *
 * The wall clock is only read for --time and for progress, never inside the
 * simulation. SIGINT (opts->stop) ends the run phase; the reproducers and the
 * summary are still written.
 *
 * Owned here: the campaign loop, workers, crash files, the JSON summary and
 * the public bug catalogue accessors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "sim/fuzz/catalogue.h"
#include "sim/fuzz/fuzz_internal.h"

/* What a worker tells the parent (fixed-size records through a pipe). */
struct fz_record {
	int type; /* 0: counts so far, 1: a finding, 2: done */
	unsigned long long k, sequences, steps, kinds_seen;
	char checker[32];
	char kind[48];
};

struct campaign {
	struct fz_ctx ctx;
	const struct p2psim_fuzz_opts *opts;
	struct p2psim_fuzz_summary *sum;
	double start;
	double last_progress;
	/* per worker counts, for progress */
	unsigned long long *w_seq, *w_steps;
	unsigned int nr_workers;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool should_stop(const struct campaign *c, unsigned long long done)
{
	const struct p2psim_fuzz_opts *o = c->opts;

	if (o->stop && *o->stop)
		return true;
	if (o->runs && done >= o->runs)
		return true;
	return o->time_s > 0 && now_s() - c->start >= o->time_s;
}

/* Record a finding: keep the smallest sequence index per checker/kind. */
static void note_finding(struct p2psim_fuzz_summary *sum, unsigned long long k, const char *checker,
			 const char *kind)
{
	unsigned int i;

	for (i = 0; i < sum->nr_crashes; i++)
		if (!strcmp(sum->crashes[i].checker, checker) &&
		    !strcmp(sum->crashes[i].kind, kind))
			break;
	if (i == sum->nr_crashes) {
		if (i == sizeof(sum->crashes) / sizeof(sum->crashes[0]))
			return;
		memset(&sum->crashes[i], 0, sizeof(sum->crashes[i]));
		snprintf(sum->crashes[i].checker, sizeof(sum->crashes[i].checker), "%s", checker);
		snprintf(sum->crashes[i].kind, sizeof(sum->crashes[i].kind), "%s", kind);
		sum->crashes[i].sequence = k;
		sum->nr_crashes++;
	} else if (k < sum->crashes[i].sequence) {
		sum->crashes[i].sequence = k;
	}
}

static void progress(struct campaign *c, bool final)
{
	FILE *out = c->opts->progress;
	unsigned long long seq = c->sum->sequences, steps = c->sum->steps;
	double t = now_s(), el;
	unsigned int kinds = 0;

	if (!out || (!final && t - c->last_progress < 0.5))
		return;
	c->last_progress = t;
	for (unsigned int i = 0; i < c->nr_workers; i++) {
		seq += c->w_seq[i];
		steps += c->w_steps[i];
	}
	for (int k = 0; k < FZ__NR; k++)
		kinds += !!(c->sum->event_kinds_seen & (1ULL << k));
	el = t - c->start;
	fprintf(out,
		"\r[fuzz] %.0fs  %llu sequences  %llu steps  %.0f steps/s  %u distinct violations  %u/%d step kinds%s",
		el, seq, steps, el > 0 ? (double)steps / el : 0.0, c->sum->nr_crashes, kinds,
		FZ__NR, final ? "\n" : "");
	fflush(out);
}

/* Run the sequences of worker @job of @jobs; findings go to @sum or to @fd. */
static int run_part(struct campaign *c, unsigned int job, unsigned int jobs, int fd)
{
	const struct p2psim_fuzz_opts *o = c->opts;
	unsigned int nshards = o->nshards ? o->nshards : 1;
	unsigned long long done = 0, steps = 0;
	double last_report = now_s();

	for (unsigned long long m = job; !should_stop(c, done * jobs + job); m += jobs) {
		unsigned long long k = o->shard + (unsigned long long)nshards * m;
		const struct fz_violation *v;
		struct fz_result res;
		struct fz_seq seq;
		struct fz_rng rng;
		int ret;

		if (o->runs && m >= o->runs)
			break;
		fz_rng_seed(&rng, fz_sequence_seed(o->seed, k));
		ret = fz_generate(&c->ctx, &rng, &seq);
		if (!ret)
			ret = fz_exec(&c->ctx, &seq, &res, NULL);
		if (ret) {
			fz_seq_free(&seq);
			return ret;
		}
		done++;
		steps += seq.n;
		for (size_t i = 0; i < res.nr_v; i++) {
			v = &res.v[i];
			if (v->claimed || fz_excused(&seq, v))
				continue;
			if (fd < 0) {
				note_finding(c->sum, k, v->checker, v->kind);
			} else {
				struct fz_record r = { .type = 1, .k = k };

				snprintf(r.checker, sizeof(r.checker), "%s", v->checker);
				snprintf(r.kind, sizeof(r.kind), "%s", v->kind);
				if (write(fd, &r, sizeof(r)) != sizeof(r))
					ret = -EIO;
			}
		}
		fz_result_free(&res);
		fz_seq_free(&seq);
		if (ret)
			return ret;
		if (fd < 0) {
			c->sum->sequences = done;
			c->sum->steps = steps;
			c->sum->event_kinds_seen = c->ctx.kinds_seen;
			progress(c, false);
		} else if (now_s() - last_report > 0.25) {
			struct fz_record r = { .type = 0,
					       .sequences = done,
					       .steps = steps,
					       .kinds_seen = c->ctx.kinds_seen };

			last_report = now_s();
			if (write(fd, &r, sizeof(r)) != sizeof(r))
				return -EIO;
		}
	}
	if (fd >= 0) {
		struct fz_record r = { .type = 2,
				       .sequences = done,
				       .steps = steps,
				       .kinds_seen = c->ctx.kinds_seen };

		if (write(fd, &r, sizeof(r)) != sizeof(r))
			return -EIO;
	}
	return 0;
}

static int run_workers(struct campaign *c, unsigned int jobs)
{
	struct pollfd *pfd = calloc(jobs, sizeof(*pfd));
	pid_t *pids = calloc(jobs, sizeof(*pids));
	unsigned long long seqs = 0, steps = 0;
	unsigned int open_fds = 0;
	int ret = 0;

	c->w_seq = calloc(jobs, sizeof(*c->w_seq));
	c->w_steps = calloc(jobs, sizeof(*c->w_steps));
	if (!pfd || !pids || !c->w_seq || !c->w_steps) {
		ret = -ENOMEM;
		goto out;
	}
	c->nr_workers = jobs;
	fflush(NULL);
	for (unsigned int j = 0; j < jobs; j++) {
		int p[2];

		if (pipe(p)) {
			ret = -errno;
			break;
		}
		pids[j] = fork();
		if (pids[j] < 0) {
			ret = -errno;
			close(p[0]);
			close(p[1]);
			break;
		}
		if (pids[j] == 0) {
			close(p[0]);
			for (unsigned int i = 0; i < j; i++)
				close(pfd[i].fd);
			_exit(run_part(c, j, jobs, p[1]) ? 3 : 0);
		}
		close(p[1]);
		pfd[j] = (struct pollfd){ .fd = p[0], .events = POLLIN };
		open_fds++;
	}
	while (open_fds) {
		if (poll(pfd, jobs, 500) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		for (unsigned int j = 0; j < jobs; j++) {
			struct fz_record r;
			ssize_t n;

			if (pfd[j].fd < 0 || !(pfd[j].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(pfd[j].fd, &r, sizeof(r));
			if (n == (ssize_t)sizeof(r) && r.type == 1) {
				note_finding(c->sum, r.k, r.checker, r.kind);
				continue;
			}
			if (n == (ssize_t)sizeof(r)) {
				c->w_seq[j] = r.sequences;
				c->w_steps[j] = r.steps;
				c->sum->event_kinds_seen |= r.kinds_seen;
				if (r.type == 0)
					continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			close(pfd[j].fd);
			pfd[j].fd = -1;
			open_fds--;
		}
		progress(c, false);
	}
	for (unsigned int j = 0; j < jobs; j++) {
		int st;

		if (pids[j] > 0) {
			while (waitpid(pids[j], &st, 0) < 0 && errno == EINTR)
				;
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				ret = ret ? ret : -ECHILD;
		}
		seqs += c->w_seq[j];
		steps += c->w_steps[j];
	}
	c->sum->sequences = seqs;
	c->sum->steps = steps;
	c->nr_workers = 0;
out:
	free(pfd);
	free(pids);
	return ret;
}

static u64 fnv1a(const char *s, size_t len)
{
	u64 h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

/* `p2psim run --quiet` of @text named @name: its report, malloc'd. */
static char *report_of(const struct campaign *c, const char *text, size_t len, const char *name)
{
	struct p2psim_run_opts ro = { .format = P2PSIM_FORMAT_TEXT,
				      .quiet = 1,
				      .inject = c->opts->inject };
	struct p2psim_error err;
	char *report = NULL;
	size_t rlen = 0;
	FILE *f = open_memstream(&report, &rlen);

	if (!f)
		return NULL;
	p2psim_error_clear(&err);
	p2psim_run_buffer(c->ctx.topo, text, len, name, &ro, f, NULL, &err);
	if (fclose(f)) {
		free(report);
		return NULL;
	}
	return report;
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The reproducer's header: how it was found and how to replay it, then @report. */
static char *crash_header(const struct campaign *c, const struct p2psim_fuzz_crash *cr,
			  const char *path, const char *report)
{
	const struct p2psim_fuzz_opts *o = c->opts;
	const char *topo = o->topo_path ? o->topo_path : "TOPO";
	const char *base = strrchr(topo, '/');
	const char *inj = o->inject ? " --inject " : "", *ids = o->inject ? o->inject : "";
	char *buf = NULL, *copy, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "# p2psim fuzz reproducer: [%s/%s]\n", cr->checker, cr->kind);
	fprintf(f, "# topology: %s\n# expect-exit: 1\n", base ? base + 1 : topo);
	fprintf(f, "# found by: p2psim fuzz %s --seed %llu%s%s (sequence %llu),\n", topo, o->seed,
		inj, ids, cr->sequence);
	fprintf(f, "#   minimised from %u to %u steps\n", cr->steps_generated, cr->steps_minimised);
	fprintf(f, "# replay: p2psim run %s %s%s%s\n", topo, path, inj, ids);
	fprintf(f, "#\n# What the checkers report:\n");
	copy = strdup(report ? report : "");
	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		fprintf(f, "#   %s\n", line);
	free(copy);
	fprintf(f, "\n");
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Regenerate, minimise and write the reproducer of crash @cr. */
static int write_crash(struct campaign *c, struct p2psim_fuzz_crash *cr)
{
	const struct p2psim_fuzz_opts *o = c->opts;
	struct fz_result res = { 0 };
	char *body = NULL, *report = NULL, *header = NULL, *text = NULL, path[480];
	size_t blen = 0;
	struct fz_seq seq;
	struct fz_rng rng;
	FILE *f;
	int ret;

	fz_rng_seed(&rng, fz_sequence_seed(o->seed, cr->sequence));
	ret = fz_generate(&c->ctx, &rng, &seq);
	if (ret)
		return ret;
	cr->steps_generated = (unsigned int)seq.n;
	if (!o->no_minimise && !(o->stop && *o->stop > 1))
		ret = fz_minimise(&c->ctx, &seq, cr->checker, cr->kind);
	if (!ret)
		ret = fz_exec(&c->ctx, &seq, &res, NULL);
	if (!ret) {
		for (size_t i = 0; i < res.nr_v; i++)
			if (!strcmp(res.v[i].checker, cr->checker) &&
			    !strcmp(res.v[i].kind, cr->kind)) {
				snprintf(cr->message, sizeof(cr->message), "%s", res.v[i].message);
				break;
			}
		body = fz_render(&seq, &res, &blen);
		ret = body ? 0 : -ENOMEM;
	}
	cr->steps_minimised = (unsigned int)seq.n;
	if (!ret && o->out_dir) {
		unsigned int pad;

		snprintf(path, sizeof(path), "%s/crash-%016llx.scn", o->out_dir,
			 (unsigned long long)fnv1a(body, blen));
		/*
		 * The report quotes line numbers of the file: run once for its
		 * length, then again behind a header of that many lines.
		 */
		report = report_of(c, body, blen, path);
		header = report ? crash_header(c, cr, path, report) : NULL;
		pad = header ? count_lines(header) : 0;
		if (header && asprintf(&text, "%*s%s", (int)pad, "", body) >= 0) {
			for (unsigned int i = 0; i < pad; i++)
				text[i] = '\n';
			free(report);
			report = report_of(c, text, strlen(text), path);
			free(header);
			header = report ? crash_header(c, cr, path, report) : NULL;
		}
		f = header ? fopen(path, "w") : NULL;
		if (!header) {
			ret = -ENOMEM;
		} else if (!f) {
			ret = -errno;
		} else {
			fprintf(f, "%s%s", header, body);
			if (fclose(f))
				ret = -EIO;
			snprintf(cr->file, sizeof(cr->file), "%s", path);
		}
	}
	free(text);
	free(header);
	free(body);
	free(report);
	fz_result_free(&res);
	fz_seq_free(&seq);
	return ret;
}

static int crash_cmp(const void *a, const void *b)
{
	const struct p2psim_fuzz_crash *x = a, *y = b;
	int r = strcmp(x->checker, y->checker);

	return r ? r : strcmp(x->kind, y->kind);
}

int p2psim_fuzz(const p2psim_topology *topo, const struct p2psim_fuzz_opts *opts,
		struct p2psim_fuzz_summary *summary, struct p2psim_error *err)
{
	struct campaign c = { .opts = opts, .sum = summary };
	unsigned int jobs = opts->jobs ? opts->jobs : 1;
	char msg[256];
	int ret;

	memset(summary, 0, sizeof(*summary));
	summary->event_kinds_total = FZ__NR;
	if (!opts->runs && !(opts->time_s > 0)) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "give --runs N or --time SECONDS");
		return P2PSIM_EINPUT;
	}
	if (opts->nshards && opts->shard >= opts->nshards) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "shard %u of %u does not exist",
				 opts->shard, opts->nshards);
		return P2PSIM_EINPUT;
	}
	if (opts->inject) {
		struct bug_set set;

		if (bug_set_parse(opts->inject, &set, msg, sizeof(msg))) {
			p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "%s", msg);
			return P2PSIM_EINPUT;
		}
	}
	if (opts->out_dir && mkdir(opts->out_dir, 0777) && errno != EEXIST) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "cannot create '%s': %s",
				 opts->out_dir, strerror(errno));
		return P2PSIM_EINPUT;
	}
	ret = fz_ctx_init(&c.ctx, topo, opts->weights, opts->steps, opts->inject, msg, sizeof(msg));
	if (ret) {
		p2psim_error_set(err, ret == -EINVAL ? P2PSIM_EINPUT : P2PSIM_EINTERNAL, NULL, 0, 0,
				 "%s", msg);
		return ret == -EINVAL ? P2PSIM_EINPUT : P2PSIM_EINTERNAL;
	}
	c.start = now_s();
	ret = jobs > 1 ? run_workers(&c, jobs) : run_part(&c, 0, 1, -1);
	if (!ret)
		summary->event_kinds_seen |= c.ctx.kinds_seen;
	summary->interrupted = opts->stop && *opts->stop;
	summary->seconds = now_s() - c.start;
	progress(&c, true);
	free(c.w_seq);
	free(c.w_steps);
	qsort(summary->crashes, summary->nr_crashes, sizeof(summary->crashes[0]), crash_cmp);
	for (unsigned int i = 0; !ret && i < summary->nr_crashes; i++)
		ret = write_crash(&c, &summary->crashes[i]);
	fz_ctx_destroy(&c.ctx);
	if (ret) {
		p2psim_error_set(err, P2PSIM_EINTERNAL, NULL, 0, 0, "fuzz: %s", strerror(-ret));
		return P2PSIM_EINTERNAL;
	}
	return summary->nr_crashes ? P2PSIM_ECHECK : P2PSIM_OK;
}

int p2psim_fuzz_summary_print_json(const struct p2psim_fuzz_summary *s,
				   const struct p2psim_fuzz_opts *opts, FILE *out)
{
	struct json_object *doc = json_object_new_object(), *arr, *kinds;
	char shard[32];

	if (!doc)
		return -ENOMEM;
	json_object_object_add(doc, "seed", json_object_new_uint64(opts->seed));
	snprintf(shard, sizeof(shard), "%u/%u", opts->nshards ? opts->shard : 0,
		 opts->nshards ? opts->nshards : 1);
	json_object_object_add(doc, "shard", json_object_new_string(shard));
	json_object_object_add(doc, "jobs", json_object_new_int(opts->jobs ? (int)opts->jobs : 1));
	json_object_object_add(doc, "inject",
			       opts->inject ? json_object_new_string(opts->inject) : NULL);
	json_object_object_add(doc, "sequences", json_object_new_uint64(s->sequences));
	json_object_object_add(doc, "steps", json_object_new_uint64(s->steps));
	json_object_object_add(doc, "seconds", json_object_new_double(s->seconds));
	json_object_object_add(
		doc, "steps_per_second",
		json_object_new_double(s->seconds > 0 ? (double)s->steps / s->seconds : 0));
	json_object_object_add(doc, "interrupted", json_object_new_boolean(s->interrupted));
	kinds = json_object_new_array();
	for (int k = 0; kinds && k < FZ__NR; k++)
		if (s->event_kinds_seen & (1ULL << k))
			json_object_array_add(kinds, json_object_new_string(fz_kind_names[k]));
	json_object_object_add(doc, "step_kinds_seen", kinds);
	json_object_object_add(doc, "step_kinds_total", json_object_new_uint64(FZ__NR));
	arr = json_object_new_array();
	for (unsigned int i = 0; arr && i < s->nr_crashes; i++) {
		const struct p2psim_fuzz_crash *cr = &s->crashes[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "checker", json_object_new_string(cr->checker));
		json_object_object_add(o, "kind", json_object_new_string(cr->kind));
		json_object_object_add(o, "message", json_object_new_string(cr->message));
		json_object_object_add(o, "sequence", json_object_new_uint64(cr->sequence));
		json_object_object_add(o, "steps_generated",
				       json_object_new_uint64(cr->steps_generated));
		json_object_object_add(o, "steps", json_object_new_uint64(cr->steps_minimised));
		json_object_object_add(o, "file",
				       cr->file[0] ? json_object_new_string(cr->file) : NULL);
		json_object_array_add(arr, o);
	}
	json_object_object_add(doc, "violations", arr);
	json_object_object_add(doc, "result",
			       json_object_new_string(s->nr_crashes ? "violations" : "clean"));
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	return 0;
}

int p2psim_fuzz_one_input(const p2psim_topology *topo, const unsigned char *data, size_t size,
			  const char *inject)
{
	struct fz_result res;
	struct fz_seq seq;
	struct fz_rng rng = { .data = data, .size = size };
	struct fz_ctx ctx;
	char msg[128];
	int found = 0;

	if (fz_ctx_init(&ctx, topo, NULL, 64, inject, msg, sizeof(msg)))
		return 0;
	if (!fz_generate(&ctx, &rng, &seq)) {
		if (!fz_exec(&ctx, &seq, &res, NULL)) {
			found = fz_finding(&seq, &res) != NULL;
			fz_result_free(&res);
		}
		fz_seq_free(&seq);
	}
	fz_ctx_destroy(&ctx);
	return found;
}

/* --- the catalogue, public view ---------------------------------------------- */

size_t p2psim_bug_count(void)
{
	return BUG__COUNT - 1;
}

int p2psim_bug_get(size_t index, struct p2psim_bug *out)
{
	enum bug_id id = (enum bug_id)(index + 1);
	const struct bug_info *bi = bug_info(id);
	struct bug_proof pr;

	if (index >= p2psim_bug_count() || !bi)
		return -1;
	out->id = bi->name;
	out->summary = bi->summary;
	out->fix = bi->fix;
	out->checker = bi->checker;
	out->area = bug_area(id);
	out->injectable = bug_injectable(id, &out->why);
	bug_proof(id, &pr);
	out->proof_topology = pr.topology;
	out->proof_weights = pr.weights;
	out->proof_runs = pr.runs;
	return 0;
}

int p2psim_inject_check(const char *list, struct p2psim_error *err)
{
	struct bug_set set;
	char msg[256];

	if (bug_set_parse(list, &set, msg, sizeof(msg))) {
		p2psim_error_set(err, P2PSIM_EINPUT, NULL, 0, 0, "%s", msg);
		return P2PSIM_EINPUT;
	}
	return P2PSIM_OK;
}
