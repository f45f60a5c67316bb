// SPDX-License-Identifier: GPL-2.0-only
/*
 * trace.c - the JSON Lines trace writer (trace.h).
 *
 * Field order of an event record (fields that are 0 for this event are left
 * out, except the first four and "dir" for the kinds that have one):
 *   seq, t, line, ev, dev, addr, phys, len, aux, dir, attrs, flags, count, ret
 * Addresses (addr, phys, aux) and attrs are hex strings: JSON numbers above
 * 2^53 lose precision in many readers. Lengths and counts are numbers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "models/pci/pci.h"
#include "sim/scenario/trace.h"
#include "src/dma/dma.h"

struct trace_writer {
	FILE *out;
	unsigned long long seq;
	bool failed;
	char *tail[TRACE_TAIL]; /* ring of formatted records */
	unsigned int tail_next;
};

struct trace_writer *trace_writer_new(FILE *out)
{
	struct trace_writer *tw = calloc(1, sizeof(*tw));

	if (tw)
		tw->out = out;
	return tw;
}

void trace_writer_free(struct trace_writer *tw)
{
	if (!tw)
		return;
	for (unsigned int i = 0; i < TRACE_TAIL; i++)
		free(tw->tail[i]);
	free(tw);
}

static void add_hex(struct json_object *o, const char *key, u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	json_object_object_add(o, key, json_object_new_string(buf));
}

static bool kind_has_dir(enum sim_event_kind kind)
{
	switch (kind) {
	case EV_DMA_MAP:
	case EV_DMA_UNMAP:
	case EV_DMA_MAP_SG:
	case EV_DMA_UNMAP_SG:
	case EV_DMA_SYNC_FOR_CPU:
	case EV_DMA_SYNC_FOR_DEVICE:
	case EV_ARCH_SYNC:
	case EV_BOUNCE:
		return true;
	default:
		return false;
	}
}

static const char *dir_name(int dir)
{
	switch (dir) {
	case DMA_BIDIRECTIONAL:
		return "bidirectional";
	case DMA_TO_DEVICE:
		return "to-device";
	case DMA_FROM_DEVICE:
		return "from-device";
	case DMA_NONE:
		return "none";
	}
	return "invalid";
}

struct json_object *trace_event_to_json(const struct sim_event *ev, unsigned long long seq)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "seq", json_object_new_uint64(seq));
	json_object_object_add(o, "t", json_object_new_uint64(ev->time_ns));
	json_object_object_add(o, "line", json_object_new_int(ev->line));
	json_object_object_add(o, "ev", json_object_new_string(sim_event_kind_name(ev->kind)));
	if (ev->dev && ev->dev->id)
		json_object_object_add(o, "dev", json_object_new_string(ev->dev->id));
	if (ev->addr)
		add_hex(o, "addr", ev->addr);
	if (ev->phys)
		add_hex(o, "phys", ev->phys);
	if (ev->len)
		json_object_object_add(o, "len", json_object_new_uint64(ev->len));
	if (ev->aux)
		add_hex(o, "aux", ev->aux);
	if (kind_has_dir(ev->kind))
		json_object_object_add(o, "dir", json_object_new_string(dir_name(ev->dir)));
	if (ev->attrs)
		add_hex(o, "attrs", ev->attrs);
	if (ev->flags)
		json_object_object_add(o, "flags", json_object_new_uint64(ev->flags));
	if (ev->count)
		json_object_object_add(o, "count", json_object_new_uint64(ev->count));
	if (ev->ret)
		json_object_object_add(o, "ret", json_object_new_int(ev->ret));
	return o;
}

static void emit(struct trace_writer *tw, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
	char *copy;

	if (!s) {
		tw->failed = true;
		return;
	}
	if (tw->out && fprintf(tw->out, "%s\n", s) < 0)
		tw->failed = true;
	copy = strdup(s);
	free(tw->tail[tw->tail_next]);
	tw->tail[tw->tail_next] = copy; /* NULL on ENOMEM: that tail slot is just empty */
	tw->tail_next = (tw->tail_next + 1) % TRACE_TAIL;
}

void trace_writer_event(void *ctx, const struct sim_event *ev)
{
	struct trace_writer *tw = ctx;
	struct json_object *o = trace_event_to_json(ev, ++tw->seq);

	if (!o) {
		tw->failed = true;
		return;
	}
	emit(tw, o);
	json_object_put(o);
}

int trace_writer_record(struct trace_writer *tw, u64 time_ns, int line, const char *kind,
			struct json_object *fields)
{
	struct json_object *o = json_object_new_object();

	if (!o) {
		json_object_put(fields);
		tw->failed = true;
		return -ENOMEM;
	}
	json_object_object_add(o, "seq", json_object_new_uint64(++tw->seq));
	json_object_object_add(o, "t", json_object_new_uint64(time_ns));
	json_object_object_add(o, "line", json_object_new_int(line));
	json_object_object_add(o, "ev", json_object_new_string(kind));
	if (fields) {
		json_object_object_foreach(fields, key, val)
			json_object_object_add(o, key, json_object_get(val));
		json_object_put(fields);
	}
	emit(tw, o);
	json_object_put(o);
	return 0;
}

unsigned long long trace_writer_count(const struct trace_writer *tw)
{
	return tw->seq;
}

void trace_writer_print_tail(const struct trace_writer *tw, FILE *out, const char *indent,
			     unsigned int max)
{
	unsigned int n = max < TRACE_TAIL ? max : TRACE_TAIL;

	for (unsigned int i = 0; i < n; i++) {
		unsigned int slot = (tw->tail_next + TRACE_TAIL - n + i) % TRACE_TAIL;

		if (tw->tail[slot])
			fprintf(out, "%s%s\n", indent, tw->tail[slot]);
	}
}

bool trace_writer_failed(const struct trace_writer *tw)
{
	return tw->failed || (tw->out && ferror(tw->out));
}
