// SPDX-License-Identifier: GPL-2.0-only
/*
 * lexical.c - the small value syntaxes of the scenario language: numbers,
 * sizes with K/M/G/T suffixes, durations, errno names, and the fill /
 * expected-data patterns (docs/scenario.md, "Values").
 *
 * Owned here: the pattern generator. A pattern is a pure function of
 * (pattern, scenario seed, byte index), so a `fill` and a later `expect data`
 * with the same pattern agree without storing anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/scenario/scenario.h"

/* Digits in base 10 or (0x) 16, '_' allowed between digits. */
static int parse_digits(const char *s, size_t n, u64 *out)
{
	unsigned int base = 10;
	u64 v = 0;
	bool any = false;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		n -= 2;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned int d;

		if (c == '_' && any && i + 1 < n)
			continue;
		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned int)(c - 'A' + 10);
		else
			return -EINVAL;
		if (v > (~0ULL - d) / base)
			return -ERANGE;
		v = v * base + d;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*out = v;
	return 0;
}

int scn_parse_number(const char *tok, u64 *out)
{
	return parse_digits(tok, strlen(tok), out);
}

int scn_parse_size(const char *tok, u64 *out)
{
	static const struct {
		const char *suffix;
		unsigned int shift;
	} units[] = {
		{ "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 }, { "TiB", 40 }, { "K", 10 },
		{ "M", 20 },   { "G", 30 },   { "T", 40 },   { "k", 10 },
	};
	size_t n = strlen(tok);
	unsigned int shift = 0;
	u64 v;
	int ret;

	/* A hex number ends in hex digits, never in a unit: only decimal takes suffixes. */
	if (!(n >= 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X'))) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t sl = strlen(units[i].suffix);

			if (n > sl && !strcmp(tok + n - sl, units[i].suffix)) {
				shift = units[i].shift;
				n -= sl;
				break;
			}
		}
	}
	ret = parse_digits(tok, n, &v);
	if (ret)
		return ret;
	if (shift && v > (~0ULL >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int scn_parse_duration(const char *tok, u64 *ns_out)
{
	static const struct {
		const char *suffix;
		u64 mult;
	} units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "ms", 1000000 },
		{ "s", 1000000000 },
	};
	size_t n = strlen(tok);

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t sl = strlen(units[i].suffix);
		u64 v;
		int ret;

		if (n <= sl || strcmp(tok + n - sl, units[i].suffix))
			continue;
		/* "ms" also ends in "s": the table lists the longer suffixes first. */
		ret = parse_digits(tok, n - sl, &v);
		if (ret)
			return ret;
		if (v > ~0ULL / units[i].mult)
			return -ERANGE;
		*ns_out = v * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

static const struct {
	const char *name;
	int value;
} errno_names[] = {
	{ "EPERM", EPERM },	    { "ENOENT", ENOENT },	  { "EIO", EIO },
	{ "E2BIG", E2BIG },	    { "EAGAIN", EAGAIN },	  { "ENOMEM", ENOMEM },
	{ "EFAULT", EFAULT },	    { "EBUSY", EBUSY },		  { "EEXIST", EEXIST },
	{ "ENODEV", ENODEV },	    { "EINVAL", EINVAL },	  { "ENOSPC", ENOSPC },
	{ "ERANGE", ERANGE },	    { "EOPNOTSUPP", EOPNOTSUPP }, { "ENOTSUP", EOPNOTSUPP },
	{ "EREMOTEIO", EREMOTEIO }, { "EOVERFLOW", EOVERFLOW },	  { "ENXIO", ENXIO },
	{ "EBADF", EBADF },	    { "EMFILE", EMFILE },	  { "ETIMEDOUT", ETIMEDOUT },
	{ "EDEADLK", EDEADLK },
};

int scn_errno_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (!strcasecmp(errno_names[i].name, name))
			return errno_names[i].value;
	return 0;
}

const char *scn_errno_name(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].value == err)
			return errno_names[i].name;
	return "E?";
}

/* splitmix64: a tiny, well-mixed, seedable stream (no global state). */
static u64 splitmix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

u8 scn_pattern_byte(const struct scn_pattern *pat, u64 seed, u64 i)
{
	switch (pat->kind) {
	case SCN_PAT_BYTE:
		return pat->byte;
	case SCN_PAT_SEQ:
		return (u8)(pat->byte + i);
	case SCN_PAT_RAND:
		return (u8)(splitmix64(splitmix64(seed ^ splitmix64(pat->key)) + (i >> 3)) >>
			    ((i & 7) * 8));
	case SCN_PAT_TEXT:
		return pat->text_len ? (u8)pat->text[i % pat->text_len] : 0;
	}
	return 0;
}

void scn_pattern_fill(const struct scn_pattern *pat, u64 seed, u64 start, u8 *buf, size_t len)
{
	if (pat->kind == SCN_PAT_BYTE) {
		memset(buf, pat->byte, len);
		return;
	}
	for (size_t i = 0; i < len; i++)
		buf[i] = scn_pattern_byte(pat, seed, start + i);
}

void scn_pattern_describe(const struct scn_pattern *pat, char *buf, size_t len)
{
	switch (pat->kind) {
	case SCN_PAT_BYTE:
		snprintf(buf, len, "0x%02x", pat->byte);
		return;
	case SCN_PAT_SEQ:
		if (pat->byte)
			snprintf(buf, len, "seq:%u", pat->byte);
		else
			snprintf(buf, len, "seq");
		return;
	case SCN_PAT_RAND:
		snprintf(buf, len, "rand:%llu", (unsigned long long)pat->key);
		return;
	case SCN_PAT_TEXT:
		snprintf(buf, len, "\"%.*s\"", (int)(pat->text_len > 32 ? 32 : pat->text_len),
			 pat->text);
		return;
	}
	snprintf(buf, len, "?");
}

/* --- schedules ------------------------------------------------------------------ */

const char *scn_sched_policy_name(enum scn_sched_policy policy)
{
	return policy == SCN_SCHED_SERIAL ? "serial" : "round-robin";
}

void scn_schedule_free(struct scn_schedule *sched)
{
	for (size_t i = 0; i < sched->nr_picks; i++)
		free(sched->picks[i].name);
	free(sched->picks);
	sched->picks = NULL;
	sched->nr_picks = 0;
}

int scn_schedule_parse(const char *const *words, size_t nr_words, struct scn_schedule *out,
		       char *msg, size_t msg_len, size_t *bad)
{
	size_t first = 0;

	memset(out, 0, sizeof(*out));
	out->given = true;
	*bad = 0;
	if (!nr_words) {
		snprintf(msg, msg_len,
			 "a schedule needs a policy (round-robin, serial) or N:THREAD choices");
		return -EINVAL;
	}
	if (!strcmp(words[0], "round-robin") || !strcmp(words[0], "serial")) {
		out->policy = words[0][0] == 's' ? SCN_SCHED_SERIAL : SCN_SCHED_ROUND_ROBIN;
		first = 1;
	}
	if (nr_words > first) {
		out->picks = calloc(nr_words - first, sizeof(*out->picks));
		if (!out->picks)
			return -ENOMEM;
	}
	for (size_t i = first; i < nr_words; i++) {
		const char *colon = strchr(words[i], ':');
		struct scn_sched_pick *pk = &out->picks[out->nr_picks];
		char digits[32];
		size_t n = colon ? (size_t)(colon - words[i]) : 0;

		*bad = i;
		if (!colon || !n || n >= sizeof(digits) || !colon[1]) {
			snprintf(msg, msg_len,
				 "bad schedule choice '%s' (N:THREAD, N a choice point number)",
				 words[i]);
			goto fail;
		}
		memcpy(digits, words[i], n);
		digits[n] = '\0';
		if (parse_digits(digits, n, &pk->index)) {
			snprintf(msg, msg_len, "bad choice point number '%s' in '%s'", digits,
				 words[i]);
			goto fail;
		}
		if (out->nr_picks && pk->index <= out->picks[out->nr_picks - 1].index) {
			snprintf(
				msg, msg_len,
				"choice point %llu comes after %llu: list choices in increasing order",
				(unsigned long long)pk->index,
				(unsigned long long)out->picks[out->nr_picks - 1].index);
			goto fail;
		}
		pk->name = strdup(colon + 1);
		if (!pk->name) {
			scn_schedule_free(out);
			return -ENOMEM;
		}
		out->nr_picks++;
	}
	return 0;
fail:
	scn_schedule_free(out);
	return -EINVAL;
}
