// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_scenario_parse.c - the scenario parser (sim/scenario/parse.c) and the
 * value syntaxes (lexical.c): what each verb turns into, with values worked
 * out by hand from docs/scenario.md.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "models/topology.h"
#include "sim/scenario/scenario.h"
#include "src/dma/dma.h"

static struct scenario *parse_ok(const char *text)
{
	struct p2psim_error err;
	struct scenario *scn = NULL;
	int ret;

	p2psim_error_clear(&err);
	ret = scenario_parse_buffer(text, strlen(text), "t.scn", &scn, &err);
	cr_assert_eq(ret, 0, "parse failed: %s:%d:%d: %s", err.file, err.line, err.column,
		     err.message);
	return scn;
}

static void parse_fails(const char *text, int line, const char *msg)
{
	struct p2psim_error err;
	struct scenario *scn = NULL;

	p2psim_error_clear(&err);
	cr_expect_eq(scenario_parse_buffer(text, strlen(text), "t.scn", &scn, &err), -EINVAL);
	cr_expect_eq(err.line, line, "line %d (%s)", err.line, err.message);
	cr_expect(strstr(err.message, msg), "'%s' lacks '%s'", err.message, msg);
	cr_expect_null(scn);
}

Test(scenario_lexical, sizes)
{
	u64 v;

	cr_expect_eq(scn_parse_size("4096", &v), 0);
	cr_expect_eq(v, 4096);
	cr_expect_eq(scn_parse_size("4K", &v), 0);
	cr_expect_eq(v, 4096);
	cr_expect_eq(scn_parse_size("4k", &v), 0);
	cr_expect_eq(v, 4096);
	cr_expect_eq(scn_parse_size("2MiB", &v), 0);
	cr_expect_eq(v, 2u << 20);
	cr_expect_eq(scn_parse_size("1G", &v), 0);
	cr_expect_eq(v, 1u << 30);
	cr_expect_eq(scn_parse_size("3T", &v), 0);
	cr_expect_eq(v, 3ULL << 40);
	cr_expect_eq(scn_parse_size("0x1000", &v), 0);
	cr_expect_eq(v, 0x1000);
	cr_expect_eq(scn_parse_size("0x1_0000_0000", &v), 0);
	cr_expect_eq(v, 0x100000000ULL);
	cr_expect_eq(scn_parse_size("1_000", &v), 0);
	cr_expect_eq(v, 1000);
	/* 0x...M is not hex-with-a-unit: the M is a bad digit. */
	cr_expect_eq(scn_parse_size("0x10M", &v), -EINVAL);
	cr_expect_eq(scn_parse_size("16777216T", &v), -ERANGE); /* 2^24 * 2^40 = 2^64 */
	cr_expect_eq(scn_parse_size("16777215T", &v), 0);
	cr_expect_eq(scn_parse_size("18446744073709551615", &v), 0);
	cr_expect_eq(v, ~0ULL);
	cr_expect_eq(scn_parse_size("18446744073709551616", &v), -ERANGE);
	cr_expect_eq(scn_parse_size("", &v), -EINVAL);
	cr_expect_eq(scn_parse_size("K", &v), -EINVAL);
	cr_expect_eq(scn_parse_size("_1", &v), -EINVAL);
	cr_expect_eq(scn_parse_size("1_", &v), -EINVAL);
	cr_expect_eq(scn_parse_size("-1", &v), -EINVAL);
}

Test(scenario_lexical, durations)
{
	u64 ns;

	cr_expect_eq(scn_parse_duration("10ms", &ns), 0);
	cr_expect_eq(ns, 10000000);
	cr_expect_eq(scn_parse_duration("3us", &ns), 0);
	cr_expect_eq(ns, 3000);
	cr_expect_eq(scn_parse_duration("7ns", &ns), 0);
	cr_expect_eq(ns, 7);
	cr_expect_eq(scn_parse_duration("2s", &ns), 0);
	cr_expect_eq(ns, 2000000000ULL);
	cr_expect_eq(scn_parse_duration("10", &ns), -EINVAL);
	cr_expect_eq(scn_parse_duration("ms", &ns), -EINVAL);
	cr_expect_eq(scn_parse_duration("99999999999999999999s", &ns), -ERANGE);
}

Test(scenario_lexical, errno_names)
{
	cr_expect_eq(scn_errno_from_name("ENOMEM"), ENOMEM);
	cr_expect_eq(scn_errno_from_name("eremoteio"), EREMOTEIO);
	cr_expect_eq(scn_errno_from_name("ENOPE"), 0);
	cr_expect_str_eq(scn_errno_name(-EINVAL), "EINVAL");
	cr_expect_str_eq(scn_errno_name(EIO), "EIO");
}

Test(scenario_lexical, patterns)
{
	struct scn_pattern seq = { .kind = SCN_PAT_SEQ, .byte = 0xfe };
	struct scn_pattern text = { .kind = SCN_PAT_TEXT, .text = "abc", .text_len = 3 };
	struct scn_pattern r1 = { .kind = SCN_PAT_RAND, .key = 1 };
	struct scn_pattern r2 = { .kind = SCN_PAT_RAND, .key = 2 };
	u8 buf[8], again[8];
	int same = 0;

	/* seq:254 wraps after 0xff. */
	cr_expect_eq(scn_pattern_byte(&seq, 0, 0), 0xfe);
	cr_expect_eq(scn_pattern_byte(&seq, 0, 1), 0xff);
	cr_expect_eq(scn_pattern_byte(&seq, 0, 2), 0x00);
	cr_expect_eq(scn_pattern_byte(&text, 0, 4), 'b');
	scn_pattern_fill(&seq, 0, 10, buf, 3);
	cr_expect_eq(buf[0], (u8)(0xfe + 10));
	/* rand is a pure function of (seed, key, index) ... */
	scn_pattern_fill(&r1, 42, 0, buf, 8);
	scn_pattern_fill(&r1, 42, 0, again, 8);
	cr_expect_arr_eq(buf, again, 8);
	for (int i = 0; i < 8; i++)
		cr_expect_eq(scn_pattern_byte(&r1, 42, (u64)i), buf[i]);
	/* ... and the key and the seed both change it. */
	scn_pattern_fill(&r2, 42, 0, again, 8);
	same = !memcmp(buf, again, 8);
	scn_pattern_fill(&r1, 43, 0, again, 8);
	same += !memcmp(buf, again, 8);
	cr_expect_eq(same, 0);
}

Test(scenario_parse, a_full_scenario)
{
	struct scenario *scn = parse_ok(
		"# header comment\n"
		"seed 0x2a\n"
		"iommu gpu0 strict   # per-device override\n"
		"\n"
		"buf rx 64K fill=0xa5\n"
		"buf hi 8K at=0x1_0000_0000 align=2M fill=\"ab\\x00\"\n"
		"buf peer 4K bar=nvme0:2 off=8K fill=seq:3\n"
		"map h1 gpu0 to-device rx@4K+8K attrs=skip-cpu-sync,weak-ordering unchecked\n"
		"expect ok\n"
		"map-sg s1 gpu0 bidir rx hi+4K peer\r\n"
		"expect error EREMOTEIO\n"
		"expect maptype s1 bus-addr seg=2\n"
		"sync h1 for-cpu dir=from-device off=16 len=512\n"
		"dma write gpu0 h1@100+8 data=rand:9\n"
		"expect fault iommu\n"
		"dma read gpu0 0xfee00000+4 expect=ones\n"
		"dma read gpu0 bus:peer@16+16 seg=1\n"
		"unmap h1 size=4K dir=from-device as=sg nents=2\n"
		"advance 10ms\n"
		"expect count iotlb-hits >= 3\n"
		"expect violation dma-debug unmap-wrong-size\n"
		"expect data rx@4K+16 0xa5\n"
		"expect p2p gpu0 nvme0 bus-addr\n"
		"echo \"hello # not a comment\"\n"
		"echo two  words\n"
		"release gpu0\n");
	struct scn_step *st = scn->steps;

	cr_assert_eq(scn->nr_steps, 24);
	cr_expect(scn->seed_given);
	cr_expect_eq(scn->seed, 42);
	cr_expect_eq(scn->nr_syms, 5); /* rx hi peer h1 s1 */

	cr_expect_eq(st[0].verb, SCN_SEED);
	cr_expect_eq(st[0].line, 2);
	cr_expect_eq(st[1].verb, SCN_IOMMU);
	cr_expect_str_eq(st[1].dev, "gpu0");
	cr_expect_eq(st[1].mode, IOMMU_MODE_STRICT);
	cr_expect_str_eq(st[1].src, "iommu gpu0 strict");

	cr_expect_eq(st[2].verb, SCN_BUF);
	cr_expect_eq(st[2].line, 5);
	cr_expect_eq(st[2].size, 65536);
	cr_expect(st[2].has_fill);
	cr_expect_eq(st[2].fill.kind, SCN_PAT_BYTE);
	cr_expect_eq(st[2].fill.byte, 0xa5);
	cr_expect_str_eq(scn->syms[st[2].sym].name, "rx");
	cr_expect_not(scn->syms[st[2].sym].is_bar);

	cr_expect(st[3].at_given);
	cr_expect_eq(st[3].at, 0x100000000ULL);
	cr_expect_eq(st[3].align, 2u << 20);
	cr_expect_eq(st[3].fill.kind, SCN_PAT_TEXT);
	cr_expect_eq(st[3].fill.text_len, 3);
	cr_expect_eq(st[3].fill.text[2], 0);

	cr_expect_str_eq(st[4].bar_dev, "nvme0");
	cr_expect_eq(st[4].bar_index, 2);
	cr_expect_eq(st[4].bar_off, 8192);
	cr_expect_eq(st[4].fill.kind, SCN_PAT_SEQ);
	cr_expect_eq(st[4].fill.byte, 3);
	cr_expect(scn->syms[st[4].sym].is_bar);

	cr_expect_eq(st[5].verb, SCN_MAP);
	cr_expect_eq(st[5].dir, DMA_TO_DEVICE);
	cr_expect_eq(st[5].attrs, DMA_ATTR_SKIP_CPU_SYNC | DMA_ATTR_WEAK_ORDERING);
	cr_expect(st[5].unchecked);
	cr_assert_eq(st[5].nr_refs, 1);
	cr_expect_eq(st[5].refs[0].kind, SCN_REF_SYMBOL);
	cr_expect_eq(st[5].refs[0].sym, st[2].sym);
	cr_expect_eq(st[5].refs[0].off, 4096);
	cr_expect_eq(st[5].refs[0].len, 8192);
	cr_expect(st[5].refs[0].len_given);
	cr_expect_eq(st[5].refs[0].col, 23);
	cr_expect_eq(st[6].verb, SCN_EXPECT_OK);

	cr_expect_eq(st[7].verb, SCN_MAP_SG);
	cr_expect_eq(st[7].line, 10);
	cr_expect_eq(st[7].dir, DMA_BIDIRECTIONAL);
	cr_assert_eq(st[7].nr_refs, 3);
	cr_expect_not(st[7].refs[0].len_given);
	cr_expect_eq(st[7].refs[1].len, 4096);
	cr_expect(scn->syms[st[7].sym].is_sg);
	cr_expect_eq(st[8].verb, SCN_EXPECT_ERROR);
	cr_expect_eq(st[8].err, EREMOTEIO);
	cr_expect_str_eq(st[9].what, "bus-addr");
	cr_expect_eq(st[9].seg, 2);
	cr_expect_eq(st[9].sym, st[7].sym);

	cr_expect_eq(st[10].verb, SCN_SYNC);
	cr_expect(st[10].for_cpu);
	cr_expect_eq(st[10].dir, DMA_FROM_DEVICE);
	cr_expect(st[10].off_given);
	cr_expect_eq(st[10].sync_off, 16);
	cr_expect_eq(st[10].bad_size, 512);

	cr_expect_eq(st[11].verb, SCN_DMA_WRITE);
	cr_expect_eq(st[11].refs[0].off, 100);
	cr_expect_eq(st[11].refs[0].len, 8);
	cr_expect_eq(st[11].data.kind, SCN_PAT_RAND);
	cr_expect_eq(st[11].data.key, 9);
	cr_expect_eq(st[12].verb, SCN_EXPECT_FAULT);
	cr_expect_str_eq(st[12].what, "iommu");

	cr_expect_eq(st[13].verb, SCN_DMA_READ);
	cr_expect_eq(st[13].refs[0].kind, SCN_REF_ADDR);
	cr_expect_eq(st[13].refs[0].addr, 0xfee00000);
	cr_expect_eq(st[13].refs[0].len, 4);
	cr_expect_eq(st[13].data.byte, 0xff);
	cr_expect_eq(st[14].refs[0].kind, SCN_REF_BUS);
	cr_expect_eq(st[14].refs[0].off, 16);
	cr_expect_eq(st[14].seg, 1);
	cr_expect_not(st[14].has_data);

	cr_expect_eq(st[15].verb, SCN_UNMAP);
	cr_expect(st[15].size_given);
	cr_expect_eq(st[15].bad_size, 4096);
	cr_expect_eq(st[15].dir, DMA_FROM_DEVICE);
	cr_expect_eq(st[15].as_sg, 1);
	cr_expect_eq(st[15].nents, 2);

	cr_expect_eq(st[16].verb, SCN_ADVANCE);
	cr_expect_eq(st[16].value, 10000000);
	cr_expect_eq(st[17].verb, SCN_EXPECT_COUNT);
	cr_expect_str_eq(st[17].what, "iotlb-hits");
	cr_expect_eq(st[17].cmp, SCN_CMP_GE);
	cr_expect_eq(st[17].count, 3);
	cr_expect_eq(st[18].verb, SCN_EXPECT_VIOLATION);
	cr_expect_str_eq(st[18].what, "dma-debug");
	cr_expect_str_eq(st[18].rule, "unmap-wrong-size");
	cr_expect_eq(st[19].verb, SCN_EXPECT_DATA);
	cr_expect_eq(st[19].refs[0].off, 4096);
	cr_expect_eq(st[20].verb, SCN_EXPECT_P2P);
	cr_expect_str_eq(st[20].dev2, "nvme0");
	cr_expect_eq(st[21].verb, SCN_ECHO);
	cr_expect_str_eq(st[21].text, "hello # not a comment");
	cr_expect_str_eq(st[22].text, "two words");
	cr_expect_eq(st[23].verb, SCN_RELEASE);
	cr_expect_eq(st[23].line, 26);
	cr_expect_eq(st[10].line, 13);
	scenario_free(scn);
}

Test(scenario_parse, release_is_last)
{
	struct scenario *scn = parse_ok("buf rx 4K\nrelease 0000:03:00.0\n");

	cr_expect_eq(scn->steps[1].verb, SCN_RELEASE);
	cr_expect_str_eq(scn->steps[1].dev, "0000:03:00.0");
	scenario_free(scn);
}

Test(scenario_parse, handles_are_reusable_after_unmap)
{
	struct scenario *scn =
		parse_ok("buf rx 4K\n"
			 "map h gpu0 to-device rx\n"
			 "unmap h\n"
			 "map-sg h gpu0 from-device rx\n"
			 "unmap h\n"
			 "unmap h\n" /* a double unmap is legal text: dma-debug catches it */);

	cr_expect_eq(scn->nr_syms, 2);
	cr_expect(scn->syms[1].is_sg);
	cr_expect_eq(scn->syms[1].line, 4);
	scenario_free(scn);
}

Test(scenario_parse, bdf_bar_buffers)
{
	struct scenario *scn = parse_ok("buf a 4K bar=0000:03:00.0:4\nbuf b 4K bar=0000:03:00.0\n");

	cr_expect_str_eq(scn->steps[0].bar_dev, "0000:03:00.0");
	cr_expect_eq(scn->steps[0].bar_index, 4);
	cr_expect_str_eq(scn->steps[1].bar_dev, "0000:03:00.0");
	cr_expect_eq(scn->steps[1].bar_index, -1);
	scenario_free(scn);
}

Test(scenario_parse, empty_and_comment_only)
{
	struct scenario *scn = parse_ok("");

	cr_expect_eq(scn->nr_steps, 0);
	scenario_free(scn);
	scn = parse_ok("# nothing\n   \n\t# still nothing");
	cr_expect_eq(scn->nr_steps, 0);
	cr_expect_not(scn->seed_given);
	scenario_free(scn);
}

Test(scenario_parse, outcome_expectations_attach_to_actions)
{
	/* echo and other expects between the action and its expect are fine ... */
	struct scenario *scn = parse_ok("buf rx 4K\nmap h gpu0 to-device rx\necho x\n"
					"expect count maps 1\nexpect ok\n");

	scenario_free(scn);
	/* ... another action in between is not. */
	parse_fails("buf rx 4K\nmap h gpu0 to-device rx\nadvance 1us\nexpect ok\n", 4,
		    "must follow");
	parse_fails("buf rx 4K\nmap h gpu0 to-device rx\nunmap h\nexpect error\n", 4,
		    "must follow");
}

Test(scenario_parse, errors)
{
	parse_fails("buf rx 4K\nbuf rx2 4K at=0xffffffffffffffff\n", 2, "wraps");
	parse_fails("map h gpu0 to-device 0x1000+4K\n", 1, "not an address");
	parse_fails("buf rx 4K\ndma read gpu0 h+4K\n", 2, "unknown handle 'h'");
	parse_fails("buf rx 4K\nmap h gpu0 to-device rx extra\n", 2, "only 'unchecked'");
	parse_fails("buf rx 4K\nmap h gpu0 to-device rx attrs=\n", 2, "needs a value");
	parse_fails("dma fly gpu0 0x0+4\n", 1, "bad DMA 'fly'");
	parse_fails("buf 9rx 4K\n", 1, "bad buffer name");
	parse_fails("buf rx 0\n", 1, "cannot be empty");
	parse_fails("seed 1 2\n", 1, "unexpected '2'");
	parse_fails("hmm-map x\n", 1, "too few arguments: hmm-map NAME INDEX BUF");
	parse_fails("blk-map q nvme0 to-device\n", 1, "too few arguments: blk-map NAME DEV DIR BUF");
	parse_fails("blk-unmap q\n", 1, "unknown block request 'q' (define it with blk-map first)");
	parse_fails("buf a 4K\niova-link r a\n", 2, "unknown IOVA reservation 'r'");
	parse_fails("buf a 4K\niova-alloc a nic0 4K\n", 2, "'a' is not an IOVA reservation");
	parse_fails("iova-alloc r nic0 4K\niova-unlink r at=0\n", 2,
		    "too few arguments: iova-unlink NAME len=LEN");
	/* dma-buf steps exist since the dma-buf work: this one lacks its device */
	parse_fails("dmabuf-export x\n", 1, "too few arguments: dmabuf-export NAME DEV bar=N");
	parse_fails("dmabuf-export x gpu0\n", 1, "(bar= is required)");
	parse_fails("event gpu0 flr fail=bus\n", 1, "fail= is only for hot-reset");
	parse_fails("dmabuf-map m\n", 1,
		    "unknown importer 'm' (define it with dmabuf-import first)");
	parse_fails("dmabuf-import m vb nic0 as=mlx5\n", 1,
		    "unknown dma-buf 'vb' (define it with dmabuf-export first)");
	parse_fails("vfio-open gpu0\nfd-limit 8\n", 2, "'fd-limit' must come before");
	parse_fails("fd-limit 3\n", 1, "fd limit must be 4..65536");
	parse_fails("frobnicate\n", 1, "unknown step 'frobnicate' (see docs/scenario.md)");
}

Test(scenario_parse, dmabuf_steps)
{
	struct scenario *scn = parse_ok(
		"fd-limit 8\n"
		"vfio-bind gpu0 set=s1 variant=nvgrace reset=no owned=no ops=none\n"
		"dmabuf-export vb gpu0 bar=2 ranges=0+64K,128K+4K feature=probe argsz=8 flags=1 "
		"nr-ranges=3\n"
		"expect error EINVAL\n"
		"dmabuf-import q vb nic1 as=iommufd iova=0x40000000\n"
		"dmabuf-import d vb nic0 as=dynamic on-invalidate=defer off=4K len=8K\n"
		"dmabuf-dma d read off=4K len=4K expect=seq\n"
		"dmabuf-fence vb usage=kernel stuck\n"
		"event gpu0 hot-reset fail=busy:gpu0.1\n"
		"expect revoked vb\n");
	const struct scn_dmabuf_args *a;

	cr_assert_eq(scn->nr_steps, 10);
	cr_expect_eq(scn->fd_limit, 8);
	a = scn->steps[1].dmabuf;
	cr_expect_str_eq(a->set, "s1");
	cr_expect(a->nvgrace && a->ops_none);
	cr_expect_eq(a->reset, SCN_NO);
	cr_expect_eq(a->owned, SCN_NO);
	cr_expect_eq(a->non_mappable_bars, SCN_DEFAULT);
	a = scn->steps[2].dmabuf;
	cr_expect_eq(a->bar, 2);
	cr_expect_eq(a->nr_ranges_listed, 2);
	cr_expect_eq(a->ranges[1].off, 128 * 1024);
	cr_expect_eq(a->ranges[1].len, 4096);
	cr_expect_eq(a->feature, 2);
	cr_expect(a->argsz_given && a->argsz == 8 && a->flags == 1);
	cr_expect(a->nr_ranges_given && a->nr_ranges == 3);
	a = scn->steps[4].dmabuf;
	cr_expect_eq(a->kind, SCN_IMP_IOMMUFD);
	cr_expect_eq(a->iova, 0x40000000);
	cr_expect_eq(scn->syms[a->buf_sym].kind, SCN_SYM_DMABUF);
	cr_expect_eq(scn->syms[a->imp_sym].kind, SCN_SYM_IMPORTER);
	a = scn->steps[5].dmabuf;
	cr_expect(a->defer_unmap && a->len_given && a->len == 8192 && a->off == 4096);
	a = scn->steps[6].dmabuf;
	cr_expect(!a->write && a->off == 4096 && a->len == 4096);
	cr_expect(scn->steps[6].has_data);
	cr_expect(scn->steps[7].dmabuf->stuck);
	cr_expect_eq(scn->steps[7].dmabuf->usage, 0);
	cr_expect_eq(scn->steps[8].dmabuf->event, SCN_EV_HOT_RESET);
	cr_expect_eq(scn->steps[8].dmabuf->fail, SCN_FAIL_BUSY);
	cr_expect_str_eq(scn->steps[8].dev2, "gpu0.1");
	cr_expect_eq(scn->steps[9].verb, SCN_EXPECT_REVOKED);
	scenario_free(scn);
}

Test(scenario_parse, nul_byte)
{
	static const char text[] = "buf rx 4K\nbuf \0tx 4K\n";
	struct p2psim_error err;
	struct scenario *scn = NULL;

	p2psim_error_clear(&err);
	cr_expect_eq(scenario_parse_buffer(text, sizeof(text) - 1, "t.scn", &scn, &err), -EINVAL);
	cr_expect_eq(err.line, 2);
	cr_expect_eq(err.column, 5);
	cr_expect(strstr(err.message, "NUL byte"));
}

Test(scenario_parse, thread_blocks_and_sections)
{
	struct scenario *scn = parse_ok("schedule serial 1:b 4:a\n"
					"buf x 4K\n"
					"thread a:\n"
					"    fill x 0x11\n"
					"\n"
					"    # a comment does not end the block\n"
					"    fill x 0x12\n"
					"thread b:\n"
					"\tfill x 0x22\n"
					"fill x 0x33\n"
					"thread a:\n"
					"  fill x 0x44\n");

	cr_assert_eq(scn->nr_threads, 3);
	cr_expect_eq(scn->nr_sections, 2);
	cr_expect_str_eq(scn->threads[0].name, "a");
	cr_expect_eq(scn->threads[0].line, 3);
	cr_expect_eq(scn->threads[0].section, 1);
	cr_expect_eq(scn->threads[1].section, 1);
	cr_expect_str_eq(scn->threads[2].name, "a"); /* a name may come back in a later section */
	cr_expect_eq(scn->threads[2].section, 2);
	cr_assert_eq(scn->nr_steps, 7);
	cr_expect_eq(scn->steps[0].thread, 0); /* schedule */
	cr_expect_eq(scn->steps[2].thread, 1);
	cr_expect_eq(scn->steps[3].thread, 1);
	cr_expect_eq(scn->steps[3].line, 7);
	cr_expect_eq(scn->steps[4].thread, 2);
	cr_expect_eq(scn->steps[5].thread, 0);
	cr_expect_eq(scn->steps[6].thread, 3);
	cr_expect(scn->schedule.given);
	cr_expect_eq(scn->schedule.policy, SCN_SCHED_SERIAL);
	cr_assert_eq(scn->schedule.nr_picks, 2);
	cr_expect_eq(scn->schedule.picks[0].index, 1);
	cr_expect_str_eq(scn->schedule.picks[0].name, "b");
	cr_expect_eq(scn->schedule.picks[1].col, 23);
	scenario_free(scn);
}

Test(scenario_parse, schedule_words)
{
	const char *const rr[] = { "round-robin" };
	const char *const picks[] = { "0:x", "12:y_1" };
	const char *const bad[] = { "serial", "7" };
	struct scn_schedule sc;
	char msg[128];
	size_t at;

	cr_assert_eq(scn_schedule_parse(rr, 1, &sc, msg, sizeof(msg), &at), 0);
	cr_expect_eq(sc.policy, SCN_SCHED_ROUND_ROBIN);
	cr_expect_eq(sc.nr_picks, 0);
	scn_schedule_free(&sc);
	cr_assert_eq(scn_schedule_parse(picks, 2, &sc, msg, sizeof(msg), &at), 0);
	cr_expect_eq(sc.policy, SCN_SCHED_ROUND_ROBIN); /* the default */
	cr_expect_eq(sc.picks[1].index, 12);
	cr_expect_str_eq(sc.picks[1].name, "y_1");
	scn_schedule_free(&sc);
	cr_expect_eq(scn_schedule_parse(bad, 2, &sc, msg, sizeof(msg), &at), -EINVAL);
	cr_expect_eq(at, 1);
	cr_expect_eq(scn_schedule_parse(bad, 0, &sc, msg, sizeof(msg), &at), -EINVAL);
	cr_expect_str_eq(scn_sched_policy_name(SCN_SCHED_SERIAL), "serial");
}

Test(scenario_parse, outcome_pairing_is_per_thread)
{
	/* the expect pairs with its own thread's map, not with the other thread's buf */
	struct scenario *scn = parse_ok("buf x 4K\n"
					"thread a:\n"
					"    map h nic0 to-device x\n"
					"thread b:\n"
					"    buf y 4K\n"
					"    map g nic0 to-device y\n"
					"    expect ok\n");

	scenario_free(scn);
	parse_fails("buf x 4K\nthread a:\n    map h nic0 to-device x\nthread b:\n    expect ok\n",
		    5, "'expect ok' must follow");
	parse_fails("buf x 4K\nthread a:\n    map h nic0 to-device x\nexpect ok\n", 4,
		    "'expect ok' must follow");
}
