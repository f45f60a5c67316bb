/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * p2psim/error.h - return codes and error reports of the public API.
 *
 * Every public function that can fail returns a p2psim_status and, when the
 * caller passes a struct p2psim_error, fills it with a readable message and,
 * for input errors, the file, line and column the message is about.
 */
#ifndef P2PSIM_ERROR_H
#define P2PSIM_ERROR_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes. They double as the CLI exit statuses of DESIGN.md §8. */
enum p2psim_status {
	P2PSIM_OK = 0,
	P2PSIM_ECHECK = 1,    /* a check failed: violation, expect mismatch */
	P2PSIM_EINPUT = 2,    /* bad usage or input (file:line:col in the error) */
	P2PSIM_EINTERNAL = 3, /* internal error, out of memory, I/O */
};

/* Where an input error is; line and column are 1-based, 0 when unknown. */
struct p2psim_error {
	enum p2psim_status status;
	char file[512];
	int line;
	int column;
	char message[1024];
};

/* Reset @err to "no error". */
void p2psim_error_clear(struct p2psim_error *err);

/*
 * Record an error (printf-style message). Keeps the first error: later calls
 * on an @err that already holds one are ignored, so the report names the
 * first thing that went wrong. @file may be NULL.
 */
void p2psim_error_set(struct p2psim_error *err, enum p2psim_status status, const char *file,
		      int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Print "FILE:LINE:COL: error: message" (the parts that are known) and a newline. */
void p2psim_error_print(FILE *out, const struct p2psim_error *err);

#ifdef __cplusplus
}
#endif
#endif /* P2PSIM_ERROR_H */
