// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_scenario_malformed.c - every file in tests/data/scenario-malformed/
 * must be refused with the right FILE:LINE:COL and message, and `p2psim run`
 * must exit 2 on it. The table below was written by hand from the files
 * (count the lines and columns yourself when adding one); a file missing
 * from the table fails the suite, so nobody adds a case without its answer.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/scenario/scenario.h"

#define DIR_MALFORMED P2PSIM_TESTDATA "/scenario-malformed"

static const struct {
	const char *file;
	int line;
	int col;
	const char *message; /* a substring of the message */
} cases[] = {
	{ "unknown-verb.scn", 3, 1, "unknown step 'mapp' (did you mean 'map'?)" },
	{ "bad-size.scn", 3, 8, "bad size '4Q'" },
	{ "size-overflow.scn", 2, 10, "is too large" },
	{ "bad-direction.scn", 3, 13, "bad direction 'sideways'" },
	{ "unknown-buffer.scn", 2, 23, "unknown buffer 'tx'" },
	{ "handle-still-mapped.scn", 5, 5, "handle 'h1' is still mapped (line 3)" },
	{ "unmap-unknown-handle.scn", 3, 7, "unknown handle 'h2'" },
	{ "buffer-as-dma-target.scn", 3, 15, "'rx' is a buffer, not a handle" },
	{ "raw-address-no-length.scn", 1, 15, "a raw address needs a length" },
	{ "dma-write-no-data.scn", 4, 1, "dma write needs data=PATTERN" },
	{ "bad-pattern.scn", 1, 11, "does not fit in a byte" },
	{ "unterminated-string.scn", 2, 6, "unterminated string" },
	{ "seed-after-steps.scn", 2, 1, "'seed' must come before the first step" },
	{ "seed-twice.scn", 2, 1, "seed given twice" },
	{ "bad-iommu-mode.scn", 1, 12, "bad IOMMU mode 'relaxed'" },
	{ "expect-without-action.scn", 2, 8,
	  "'expect ok' must follow a map, map-sg, dma or dma-mask step" },
	{ "expect-unknown-errno.scn", 3, 14, "unknown errno name 'ENOTREAL'" },
	{ "bad-duration.scn", 2, 9, "bad duration '10'" },
	{ "unknown-option.scn", 2, 26, "unknown option 'colour' for 'map'" },
	{ "option-twice.scn", 3, 18, "option 'size' given twice" },
	{ "empty-thread-block.scn", 2, 1, "empty thread block 't1'" },
	/* iova-* steps exist since the two-step work: this line now has one argument too many */
	{ "reserved-iova.scn", 1, 19, "unexpected 'rx': iova-link NAME BUF" },
	{ "bad-attr.scn", 2, 26, "unknown DMA attribute 'skip-cpu-sink'" },
	{ "buffer-redefined.scn", 3, 5, "'rx' is already defined (line 1)" },
	{ "bus-on-ram.scn", 2, 15, "'rx' is a RAM buffer" },
	{ "bad-bar-index.scn", 1, 13, "BAR index 7 out of range" },
	{ "too-few-args.scn", 2, 1, "too few arguments" },
	{ "bad-maptype.scn", 3, 19, "bad map type 'teleport'" },
	{ "dma-mask-range.scn", 1, 15, "DMA mask width must be 1..64 bits" },
	{ "min-align-mask.scn", 1, 19, "min_align_mask 0x1000 is not of the form 2^n - 1" },
	{ "iova-link-bad-fault.scn", 4, 20, "bad fault 'sync-map' (swiotlb-full)" },
	{ "zero-length.scn", 2, 23, "zero length" },
	{ "handle-as-buffer.scn", 3, 6, "'h1' is a handle, not a buffer" },
	{ "bad-escape.scn", 1, 11, "unknown escape '\\q'" },
	{ "off-without-bar.scn", 1, 11, "off= is for BAR buffers" },
	{ "bad-count-op.scn", 1, 21, "bad comparison '~'" },
	/* thread blocks and schedules */
	{ "thread-empty-block.scn", 2, 1, "empty thread block 'a'" },
	{ "thread-bad-indentation.scn", 4, 1,
	  "bad indentation: every step of thread 'a' (line 2) is indented like its first" },
	{ "thread-indent-outside-block.scn", 2, 1, "bad indentation: only the steps of a" },
	{ "thread-duplicate-name.scn", 4, 8, "duplicate thread name 'a' (line 2)" },
	{ "thread-nested.scn", 4, 5, "nested thread: a 'thread' block cannot start inside" },
	{ "thread-no-colon.scn", 2, 8, "expected 'thread NAME:'" },
	{ "thread-setup-inside.scn", 2, 5, "'seed' cannot be inside a thread block" },
	{ "thread-expect-pairs-within.scn", 4, 12, "'expect ok' must follow" },
	{ "schedule-unknown-thread.scn", 1, 19, "the schedule names thread 'nobody'" },
	{ "schedule-bad-choice.scn", 1, 17, "bad schedule choice 'x3'" },
	{ "schedule-decreasing.scn", 1, 14, "choice point 2 comes after 4" },
	{ "schedule-twice.scn", 2, 1, "schedule given twice (line 1)" },
	{ "dmabuf-bad-as.scn", 4, 25,
	  "bad as='cx7' (mlx5, irdma, rdma-pinned, iommufd, dynamic or static)" },
	{ "dmabuf-unknown-event.scn", 2, 12, "unknown event 'melt' (mem-off, mem-on, d3hot" },
	{ "dmabuf-bad-fail.scn", 3, 22, "bad fail='busy' (bus, busy:DEV or owner:DEV)" },
	{ "dmabuf-bad-range.scn", 1, 29, "bad range '8K' in ranges= (OFF+LEN" },
	{ "dmabuf-bad-yesno.scn", 1, 16, "bad reset='maybe' (yes or no)" },
};

#define NR_CASES (sizeof(cases) / sizeof(cases[0]))

Test(scenario_malformed, each_file_fails_at_its_line)
{
	char path[1024];

	for (size_t i = 0; i < NR_CASES; i++) {
		struct p2psim_error err;
		struct scenario *scn = NULL;
		int ret;

		snprintf(path, sizeof(path), "%s/%s", DIR_MALFORMED, cases[i].file);
		p2psim_error_clear(&err);
		ret = scenario_parse_file(path, &scn, &err);
		cr_expect_eq(ret, -EINVAL, "%s: parse returned %d", cases[i].file, ret);
		cr_expect_null(scn, "%s: a failed parse returns no scenario", cases[i].file);
		cr_expect_eq(err.status, P2PSIM_EINPUT, "%s", cases[i].file);
		cr_expect_str_eq(err.file, path);
		cr_expect_eq(err.line, cases[i].line, "%s: line %d, expected %d (%s)",
			     cases[i].file, err.line, cases[i].line, err.message);
		cr_expect_eq(err.column, cases[i].col, "%s: column %d, expected %d (%s)",
			     cases[i].file, err.column, cases[i].col, err.message);
		cr_expect(strstr(err.message, cases[i].message) != NULL,
			  "%s: message '%s' lacks '%s'", cases[i].file, err.message,
			  cases[i].message);
		scenario_free(scn);
	}
}

Test(scenario_malformed, corpus_is_large_and_every_file_has_an_answer)
{
	DIR *dir = opendir(DIR_MALFORMED);
	struct dirent *de;
	size_t files = 0;

	cr_assert_not_null(dir);
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);
		bool listed = false;

		if (n < 4 || strcmp(de->d_name + n - 4, ".scn"))
			continue;
		files++;
		for (size_t i = 0; i < NR_CASES; i++)
			listed |= !strcmp(cases[i].file, de->d_name);
		cr_expect(listed, "%s has no entry in the table", de->d_name);
	}
	closedir(dir);
	cr_expect_eq(files, NR_CASES);
	cr_expect_geq(files, 20);
}

/* The CLI: exit status 2 and "FILE:LINE:COL: error: ..." on stderr, nothing run. */
Test(scenario_malformed, p2psim_run_exits_2_with_the_line)
{
	char cmd[2048], errfile[] = "/tmp/p2psim-malformed-XXXXXX", want[1200];

	for (size_t i = 0; i < NR_CASES; i++) {
		int fd = mkstemp(errfile), status;
		FILE *f;
		char line[1200] = "";

		cr_assert(fd >= 0);
		close(fd);
		snprintf(cmd, sizeof(cmd),
			 "'%s' run '%s/topologies/default.xml' '%s/%s' >/dev/null 2>'%s'",
			 P2PSIM_BIN, P2PSIM_SRCDIR, DIR_MALFORMED, cases[i].file, errfile);
		status = system(cmd);
		cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 2, "%s: status %d",
			  cases[i].file, status);
		f = fopen(errfile, "r");
		cr_assert_not_null(f);
		cr_expect_not_null(fgets(line, sizeof(line), f));
		fclose(f);
		unlink(errfile);
		strcpy(errfile, "/tmp/p2psim-malformed-XXXXXX");
		snprintf(want, sizeof(want), "%s/%s:%d:%d: error: ", DIR_MALFORMED, cases[i].file,
			 cases[i].line, cases[i].col);
		cr_expect(!strncmp(line, want, strlen(want)), "%s: stderr '%s', expected '%s...'",
			  cases[i].file, line, want);
		cr_expect(strstr(line, cases[i].message) != NULL, "%s", cases[i].file);
	}
}

/*
 * Scenarios that parse but do not fit the topology: `p2psim run` refuses
 * them before running anything, with the line (and column when the word is
 * known) and exit status 2.
 */
static const struct {
	const char *file;
	const char *where; /* "LINE:COL" or "LINE" */
	const char *message;
} bad_run[] = {
	{ "unknown-device.scn", "3:7", "no device 'gpu9' in topology 'default'" },
	{ "not-dma-capable.scn", "3:7", "'plx0_dsp8' is a downstream: it does not issue DMA" },
	{ "bar-too-small.scn", "2:14", "do not fit in BAR 0 of 'nvme0' (16384 bytes)" },
	{ "buffer-not-ram.scn", "2", "is not inside RAM" },
	{ "unknown-counter.scn", "1", "unknown counter 'cupcakes'" },
	{ "unknown-checker.scn", "5", "unknown checker 'dma-doctor'" },
	{ "region-past-end.scn", "2:22", "offset 2048 + length 4096 is past its end (4096 bytes)" },
	{ "fill-too-large.scn", "2",
	  "fill= covers at most 1 GiB (this buffer is 2147483648 bytes)" },
};

Test(scenario_malformed, run_time_input_errors)
{
	char cmd[2048], want[1200];

	for (size_t i = 0; i < sizeof(bad_run) / sizeof(bad_run[0]); i++) {
		char errfile[] = "/tmp/p2psim-badrun-XXXXXX", line[1200] = "";
		int fd = mkstemp(errfile), status;
		FILE *f;

		cr_assert(fd >= 0);
		close(fd);
		snprintf(
			cmd, sizeof(cmd),
			"'%s' run '%s/topologies/default.xml' '%s/scenario-bad-run/%s' >'%s.out' 2>'%s'",
			P2PSIM_BIN, P2PSIM_SRCDIR, P2PSIM_TESTDATA, bad_run[i].file, errfile,
			errfile);
		status = system(cmd);
		cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 2, "%s: status %d",
			  bad_run[i].file, status);
		f = fopen(errfile, "r");
		cr_assert_not_null(f);
		cr_expect_not_null(fgets(line, sizeof(line), f));
		fclose(f);
		unlink(errfile);
		/* Nothing ran: no report on stdout. */
		snprintf(want, sizeof(want), "%s.out", errfile);
		f = fopen(want, "r");
		cr_assert_not_null(f);
		cr_expect_eq(fgetc(f), EOF, "%s: something was printed on stdout", bad_run[i].file);
		fclose(f);
		unlink(want);
		snprintf(want, sizeof(want), "%s/scenario-bad-run/%s:%s: error: ", P2PSIM_TESTDATA,
			 bad_run[i].file, bad_run[i].where);
		cr_expect(!strncmp(line, want, strlen(want)), "%s: stderr '%s', expected '%s...'",
			  bad_run[i].file, line, want);
		cr_expect(strstr(line, bad_run[i].message) != NULL, "%s: '%s' lacks '%s'",
			  bad_run[i].file, line, bad_run[i].message);
	}
}
