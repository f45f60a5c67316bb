// SPDX-License-Identifier: GPL-2.0-only
/*
 * error.c - the public error report (include/p2psim/error.h).
 */
#include <stdarg.h>
#include <string.h>

#include "p2psim/error.h"

void p2psim_error_clear(struct p2psim_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

void p2psim_error_set(struct p2psim_error *err, enum p2psim_status status, const char *file,
		      int line, int column, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->status != P2PSIM_OK)
		return;
	err->status = status;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	err->column = column;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

void p2psim_error_print(FILE *out, const struct p2psim_error *err)
{
	if (err->file[0]) {
		fputs(err->file, out);
		if (err->line > 0) {
			fprintf(out, ":%d", err->line);
			if (err->column > 0)
				fprintf(out, ":%d", err->column);
		}
		fputs(": ", out);
	}
	fprintf(out, "error: %s\n", err->message[0] ? err->message : "unknown error");
}
