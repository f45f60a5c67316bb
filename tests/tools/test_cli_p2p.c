// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cli_p2p.c - `p2psim matrix`, `path` and `dot` end to end: golden
 * files for the shipped topologies (tests/golden/p2p/), exit statuses and
 * messages for bad input, and an SVG rendered by the real binary.
 *
 * The goldens were checked by hand against reference/p2pdma.md and the
 * expected verdicts in topologies/README.md. To regenerate after an
 * intended change: P2PSIM_UPDATE_GOLDEN=1 ./tools_test_cli_p2p, then review
 * `git diff tests/golden/p2p/` line by line before committing.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct run {
	int status;
	char *out;
	char *err;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Run p2psim with @args (space-separated, no quoting needed), from the repo root. */
static struct run p2psim(const char *args)
{
	char out[] = "/tmp/p2p_cli_outXXXXXX", err[] = "/tmp/p2p_cli_errXXXXXX";
	char cmd[4096];
	struct run r;
	int fo = mkstemp(out), fe = mkstemp(err), st;

	cr_assert(fo >= 0 && fe >= 0);
	close(fo);
	close(fe);
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s >'%s' 2>'%s'", P2PSIM_SRCDIR, P2PSIM_BIN,
		 args, out, err);
	st = system(cmd);
	cr_assert(WIFEXITED(st), "p2psim %s did not exit normally", args);
	r.status = WEXITSTATUS(st);
	r.out = slurp(out);
	r.err = slurp(err);
	unlink(out);
	unlink(err);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void golden(const char *name, const char *args)
{
	char path[1024];
	struct run r = p2psim(args);
	char *want;

	cr_assert_eq(r.status, 0, "p2psim %s: exit %d: %s", args, r.status, r.err);
	snprintf(path, sizeof(path), "%s/tests/golden/p2p/%s", P2PSIM_SRCDIR, name);
	if (getenv("P2PSIM_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "wb");

		cr_assert_not_null(f, "cannot write %s", path);
		fputs(r.out, f);
		fclose(f);
	}
	want = slurp(path);
	cr_assert_not_null(want, "missing golden %s (P2PSIM_UPDATE_GOLDEN=1 creates it)", path);
	cr_assert_str_eq(r.out, want, "p2psim %s differs from %s", args, name);
	free(want);
	run_free(&r);
}

TestSuite(cli_p2p);

/* matrix, text: every shipped topology */
Test(cli_p2p, matrix_text_default)
{
	golden("matrix-default.txt", "matrix topologies/default.xml");
}
Test(cli_p2p, matrix_text_intel_2s_acs)
{
	golden("matrix-intel-2s-acs.txt", "matrix topologies/intel-2s-acs.xml");
}
Test(cli_p2p, matrix_text_amd_zen_2s)
{
	golden("matrix-amd-zen-2s.txt", "matrix topologies/amd-zen-2s.xml");
}
Test(cli_p2p, matrix_text_dgx2_like)
{
	golden("matrix-dgx2-like.txt", "matrix topologies/dgx2-like.xml");
}
Test(cli_p2p, matrix_text_desktop)
{
	golden("matrix-desktop-nonallowlisted.txt", "matrix topologies/desktop-nonallowlisted.xml");
}
Test(cli_p2p, matrix_text_q35_vm)
{
	golden("matrix-q35-vm.txt", "matrix topologies/q35-vm.xml");
}
Test(cli_p2p, matrix_text_sriov_mf)
{
	golden("matrix-sriov-mf.txt", "matrix topologies/sriov-mf.xml");
}
Test(cli_p2p, matrix_text_microvm)
{
	golden("matrix-microvm-virtio.txt",
	       "matrix topologies/microvm-virtio.xml --providers vblk0,0000:00:03.0");
}
Test(cli_p2p, matrix_text_hygon)
{
	golden("matrix-hygon-dhyana.txt", "matrix topologies/hygon-dhyana.xml");
}
Test(cli_p2p, matrix_text_multi_domain)
{
	golden("matrix-multi-domain.txt", "matrix topologies/multi-domain.xml");
}
Test(cli_p2p, matrix_text_azure)
{
	golden("matrix-azure-ndv5-like.txt", "matrix topologies/azure-ndv5-like.xml");
}
Test(cli_p2p, matrix_dmabuf)
{
	golden("matrix-dmabuf.txt", "matrix topologies/dmabuf.xml");
}

/* matrix, JSON and CSV, and the what-ifs of topologies/README.md */
Test(cli_p2p, matrix_json_default)
{
	golden("matrix-default.json", "matrix topologies/default.xml --format json");
}
Test(cli_p2p, matrix_json_desktop_iommu)
{
	golden("matrix-desktop-iommu-default.json",
	       "matrix topologies/desktop-nonallowlisted.xml --format json --acs iommu-default --providers gpu0 --clients gpu1,gpu0_audio,nvme0");
}
Test(cli_p2p, matrix_json_multi_domain)
{
	golden("matrix-multi-domain.json", "matrix topologies/multi-domain.xml -f json");
}
Test(cli_p2p, matrix_json_hygon)
{
	golden("matrix-hygon-dhyana.json", "matrix topologies/hygon-dhyana.xml --format json");
}
Test(cli_p2p, matrix_csv_sriov_acs_off)
{
	golden("matrix-sriov-mf-acs-off.csv",
	       "matrix topologies/sriov-mf.xml --format csv --acs off --providers e810_pf0,gpu0 --clients e810_pf1,e810_pf0.vf0,gpu0_audio");
}
Test(cli_p2p, matrix_default_v5_10)
{
	golden("matrix-default-v5.10.txt", "matrix topologies/default.xml --kernel v5.10");
}
Test(cli_p2p, matrix_amd_as_hygon)
{
	golden("matrix-amd-zen-2s-hygon.csv",
	       "matrix topologies/amd-zen-2s.xml --cpu hygon --format csv");
}

/* path */
Test(cli_p2p, path_default_same_switch)
{
	golden("path-default-gpu0-nic0.txt", "path topologies/default.xml gpu0 nic0");
}
Test(cli_p2p, path_default_iommu_default)
{
	golden("path-default-gpu0-nic0-iommu.txt",
	       "path topologies/default.xml gpu0 0000:04:00.0 --acs iommu-default");
}
Test(cli_p2p, path_default_two_root_ports)
{
	golden("path-default-gpu0-gpu1.txt", "path topologies/default.xml gpu0 gpu1");
}
Test(cli_p2p, path_desktop_acs_not_allowlisted)
{
	golden("path-desktop-gpu0-gpu1-iommu.txt",
	       "path topologies/desktop-nonallowlisted.xml gpu0 gpu1 --acs iommu-default");
}
Test(cli_p2p, path_amd_multifunction)
{
	golden("path-amd-zen-2s-ptdma0-spp0.txt", "path topologies/amd-zen-2s.xml ptdma0 spp0");
}
Test(cli_p2p, path_sriov_vf_vf)
{
	golden("path-sriov-mf-vf0-vf1.txt",
	       "path topologies/sriov-mf.xml e810_pf0.vf0 e810_pf0.vf1");
}
Test(cli_p2p, path_multi_domain_vmd)
{
	golden("path-multi-domain-gpu0-vmd_nvme0.txt",
	       "path topologies/multi-domain.xml gpu0 vmd_nvme0");
}
Test(cli_p2p, path_hygon)
{
	golden("path-hygon-dhyana-gpu0-gpu1.txt", "path topologies/hygon-dhyana.xml gpu0 gpu1");
}
Test(cli_p2p, path_dgx2_cascade)
{
	golden("path-dgx2-like-gpu0-gpu2.txt", "path topologies/dgx2-like.xml gpu0 gpu2");
}

Test(cli_p2p, path_json_two_host_bridges)
{
	golden("path-intel-2s-acs-gpu0-gpu2.json",
	       "path topologies/intel-2s-acs.xml gpu0 gpu2 --format json");
}

Test(cli_p2p, path_json_vmd_collision_topology)
{
	golden("path-multi-domain-gpu1-vmd_nvme0.json",
	       "path topologies/multi-domain.xml gpu1 vmd_nvme0 -f json");
}

/* dot */
Test(cli_p2p, dot_text_renders_with_graphviz)
{
	struct run r = p2psim("dot topologies/default.xml --path gpu0,nic0");

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_neq(strstr(r.out, "graph p2psim {"), NULL);
	cr_assert_neq(strstr(r.out, "BUS_ADDR, distance 4"), NULL);
	run_free(&r);
	if (system("command -v dot >/dev/null 2>&1") == 0) {
		r = p2psim("dot topologies/default.xml --path gpu0,nic0 | dot -Tsvg");
		cr_assert_eq(r.status, 0, "dot rejected our DOT: %s", r.err);
		cr_assert_neq(strstr(r.out, "<title>gpu0</title>"), NULL);
		run_free(&r);
	}
}

Test(cli_p2p, dot_svg_in_process)
{
	char out[] = "/tmp/p2p_cli_svgXXXXXX", args[256];
	struct run r;
	char *svg;
	int fd = mkstemp(out);

	cr_assert(fd >= 0);
	close(fd);
	snprintf(args, sizeof(args),
		 "dot topologies/intel-2s-acs.xml -T svg --path gpu0,gpu2 -o %s", out);
	r = p2psim(args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "");
	svg = slurp(out);
	unlink(out);
	cr_assert_neq(strstr(svg, "<svg"), NULL);
	cr_assert_neq(strstr(svg, "<title>gpu0</title>"), NULL);
	cr_assert_neq(strstr(svg, "<title>gpu2</title>"), NULL);
	cr_assert_neq(strstr(svg, "id=\"p2p_path_1\""), NULL);
	cr_assert_neq(strstr(svg, "THRU_HOST_BRIDGE, distance 8"), NULL);
	free(svg);
	run_free(&r);
}

/* bad input: exit 2 and a message naming the command */
static void fails(const char *args, const char *message)
{
	struct run r = p2psim(args);

	cr_assert_eq(r.status, 2, "p2psim %s: exit %d", args, r.status);
	cr_assert_neq(strstr(r.err, message), NULL, "p2psim %s: stderr <%s> lacks <%s>", args,
		      r.err, message);
	cr_assert_str_eq(r.out, "");
	run_free(&r);
}

Test(cli_p2p, bad_input)
{
	fails("matrix", "p2psim matrix: expected exactly one TOPO");
	fails("matrix topologies/default.xml --format dot", "p2psim matrix: unknown format 'dot'");
	fails("matrix topologies/default.xml --providers nosuch",
	      "p2psim matrix: no function 'nosuch' in topology 'default'");
	fails("matrix topologies/default.xml --clients ,", "--clients needs at least one device");
	fails("matrix topologies/default.xml --acs sometimes", "unknown --acs 'sometimes'");
	fails("matrix topologies/default.xml --cpu z80", "unknown CPU 'z80'");
	fails("matrix topologies/default.xml --kernel v2.6", "unknown kernel profile 'v2.6'");
	fails("matrix topologies/default.xml --seed -1", "--seed wants a number");
	fails("matrix topologies/microvm-virtio.xml", "no providers");
	fails("matrix /nonexistent.xml", "nonexistent.xml");
	fails("path topologies/default.xml gpu0", "expected TOPO PROVIDER CLIENT");
	fails("path topologies/default.xml gpu0 nic0 --format csv", "unknown format 'csv'");
	fails("path topologies/default.xml gpu0 0000:09:00.0", "no function '0000:09:00.0'");
	fails("dot topologies/default.xml -T gif", "unknown -T 'gif'");
	fails("dot topologies/default.xml --path gpu0", "--path wants PROVIDER,CLIENT");
	fails("dot topologies/default.xml -o /nonexistent/dir/x.svg", "cannot write");
}

/* The worked examples of reference/p2pdma.md §10 from XML fixtures (tests/data/p2p/t1*.xml). */
static void has_line(const char *args, const char *line)
{
	struct run r = p2psim(args);
	char want[512];

	cr_assert_eq(r.status, 0, "p2psim %s: %s", args, r.err);
	snprintf(want, sizeof(want), "\n%s\n", line);
	cr_assert_neq(strstr(r.out, want), NULL, "p2psim %s lacks <%s>:\n%s", args, line, r.out);
	run_free(&r);
}

#define T1 "tests/data/p2p/t1.xml"
#define T1N "tests/data/p2p/t1-notlisted.xml"

Test(cli_p2p, t1_examples_1_3_7)
{
	const char *m = "matrix " T1 " --format csv";

	has_line(m, "a,0000:03:00.0,b,0000:04:00.0,BUS_ADDR,4,,PIX");
	has_line(m, "a,0000:03:00.0,c,0000:10:00.0,THRU_HOST_BRIDGE,6,,PHB");
	has_line(m, "a,0000:03:00.0,a,0000:03:00.0,BUS_ADDR,0,,X");
	has_line(m, "a,0000:03:00.0,a_fn1,0000:03:00.1,BUS_ADDR,2,,PIX");
	has_line("matrix " T1 " -f csv --providers 0000:03:00.2 --clients a",
		 "a.vf0,0000:03:00.2,a,0000:03:00.0,BUS_ADDR,2,,PIX");
	has_line(m, "z,0000:00:05.0,z,0000:00:05.0,BUS_ADDR,0,,X");
	has_line(m, "z,0000:00:05.0,z_fn1,0000:00:05.1,THRU_HOST_BRIDGE,2,,PHB");
	has_line(m, "z,0000:00:05.0,c,0000:10:00.0,THRU_HOST_BRIDGE,3,,PHB");
}

Test(cli_p2p, t1_example_4_not_allowlisted)
{
	has_line("matrix " T1N " --format csv",
		 "a,0000:03:00.0,c,0000:10:00.0,NOT_SUPPORTED,6,,PHB");
	has_line(
		"path " T1N " a c",
		"    pci 0000:10:00.0: cannot be used for peer-to-peer DMA as the client and provider "
		"(0000:03:00.0) do not share an upstream bridge or whitelisted host bridge");
	has_line("path " T1N " a c --kernel leon-acs-v5",
		 "    pci 0000:00:00.0: Host bridge not in P2PDMA whitelist: 8086:1234");
	has_line("matrix " T1N " --format csv --cpu amd-zen",
		 "a,0000:03:00.0,c,0000:10:00.0,THRU_HOST_BRIDGE,6,,PHB");
}

Test(cli_p2p, t1_example_6_acs_redirect)
{
	const char *m = "matrix " T1 " --format csv --acs iommu-default";

	has_line(m,
		 "a,0000:03:00.0,b,0000:04:00.0,THRU_HOST_BRIDGE,4,0000:02:00.0;0000:02:01.0,PIX");
	has_line(m, "a,0000:03:00.0,a_fn1,0000:03:00.1,THRU_HOST_BRIDGE,2,0000:02:00.0,PIX");
	has_line("matrix " T1N " --format csv --acs iommu-default",
		 "a,0000:03:00.0,b,0000:04:00.0,NOT_SUPPORTED,4,0000:02:00.0;0000:02:01.0,PIX");
	has_line("matrix " T1N " --format csv --acs iommu-default --cpu amd-zen",
		 "a,0000:03:00.0,b,0000:04:00.0,THRU_HOST_BRIDGE,4,0000:02:00.0;0000:02:01.0,PIX");
	has_line("path " T1 " a b --acs iommu-default",
		 "    pci 0000:04:00.0: ACS redirect is set between the client and provider "
		 "(0000:03:00.0)\n"
		 "    pci 0000:04:00.0: to disable ACS redirect for this path, add the kernel "
		 "parameter: pci=disable_acs_redir=0000:02:00.0;0000:02:01.0");
	has_line(
		"path " T1N " a b --acs iommu-default",
		"    pci 0000:00:00.0: Host bridge not in P2PDMA whitelist: 8086:1234\n"
		"    pci 0000:04:00.0: cannot be used for peer-to-peer DMA as the client and provider "
		"(0000:03:00.0) do not share an upstream bridge or whitelisted host bridge");
	/* and off again: pci=disable_acs_redir everywhere */
	has_line("matrix " T1 " --format csv --acs off",
		 "a,0000:03:00.0,b,0000:04:00.0,BUS_ADDR,4,,PIX");
}
