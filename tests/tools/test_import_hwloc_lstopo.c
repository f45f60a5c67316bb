// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_import_hwloc_lstopo.c - cross-check `p2psim import hwloc` against
 * hwloc itself: for each hwloc fixture, `lstopo --input FILE --of xml -`
 * re-exports it, and the PCI bridges and devices hwloc sees there (by
 * pci_busid) must be exactly the functions p2psim's imported topology has,
 * with one host bridge per hwloc host bridge. The re-export is imported too,
 * and must give the same functions.
 *
 * Skipped when lstopo is not installed; a fixture lstopo cannot read (hwloc
 * 3.0 XML with Debian 12's hwloc 2.9) is skipped on its own.
 */
#include "tools/cli_test_util.h"

TestSuite(import_hwloc_lstopo, .timeout = 120);

static bool lstopo_reexport(const char *input, const char *output)
{
	pid_t pid;
	int status = 0, fd;

	fd = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert(fd >= 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(null, 2);
		execlp("lstopo", "lstopo", "--input", input, "--of", "xml", "-", (char *)NULL);
		_exit(127);
	}
	close(fd);
	cr_assert(waitpid(pid, &status, 0) == pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* pci_busid of every PCI bridge and PCI device of an hwloc XML file, sorted; *n of them. */
static char **hwloc_busids(const char *path, size_t *n, int *host_bridges)
{
	xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr obj;
	char **ids;

	cr_assert_not_null(doc, "cannot parse %s", path);
	ctx = xmlXPathNewContext(doc);
	obj = xmlXPathEvalExpression(
		BAD_CAST
		"//object[@type='PCIDev' or (@type='Bridge' and @bridge_type='1-1')]/@pci_busid",
		ctx);
	*n = obj->nodesetval ? (size_t)obj->nodesetval->nodeNr : 0;
	ids = calloc(*n + 1, sizeof(*ids));
	for (size_t i = 0; i < *n; i++) {
		xmlChar *v = xmlNodeGetContent(obj->nodesetval->nodeTab[i]);

		ids[i] = strdup((const char *)v);
		xmlFree(v);
	}
	xmlXPathFreeObject(obj);
	obj = xmlXPathEvalExpression(
		BAD_CAST "count(//object[@type='Bridge' and @bridge_type='0-1'])", ctx);
	*host_bridges = (int)xmlXPathCastToNumber(obj);
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	qsort(ids, *n, sizeof(*ids), cmp_str);
	return ids;
}

/* The BDFs of every function of an imported topology, sorted. */
static char **p2psim_bdfs(const char *topo, size_t *n, int *host_bridges)
{
	struct p2psim_error err;
	p2psim_topology *t = NULL;
	char **ids;

	p2psim_error_clear(&err);
	cr_assert_eq(p2psim_topology_load_file(topo, &t, &err), P2PSIM_OK, "%s", err.message);
	*n = p2psim_topology_function_count(t);
	*host_bridges = (int)p2psim_topology_hostbridge_count(t);
	ids = calloc(*n + 1, sizeof(*ids));
	for (size_t i = 0; i < *n; i++)
		ids[i] = strdup(p2psim_function_bdf(p2psim_topology_function(t, i)));
	p2psim_topology_free(t);
	qsort(ids, *n, sizeof(*ids), cmp_str);
	return ids;
}

static void free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static void assert_same(char **a, size_t na, char **b, size_t nb, const char *what)
{
	cr_assert_eq(na, nb, "%s: %zu vs %zu functions", what, na, nb);
	for (size_t i = 0; i < na; i++)
		cr_assert_str_eq(a[i], b[i], "%s: function %zu differs", what, i);
}

Test(import_hwloc_lstopo, same_bridges_and_devices_as_hwloc)
{
	static const char *const fixtures[] = { "nvidiaDGX2.xml", "16intel64-manyVFs.xml",
						"cxlmem+dax.v2.xml", "small-vm-virtio.xml" };
	int checked = 0;

	if (system("command -v lstopo >/dev/null 2>&1") != 0)
		cr_skip_test("lstopo (the hwloc package) is not installed");
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		char input[512], reexport[256], out[256], out2[256];
		char **hw, **ours, **ours2;
		size_t nhw, nours, nours2;
		int hb_hw, hb_ours, hb_ours2;

		snprintf(input, sizeof(input), "%s/hwloc/%s", IMPORT_DATA, fixtures[i]);
		snprintf(reexport, sizeof(reexport), "/tmp/p2psim-import-lstopo-%d-%zu.xml",
			 (int)getpid(), i);
		if (!lstopo_reexport(input, reexport)) {
			cr_log_info("lstopo cannot read %s (hwloc XML version too new?): skipped",
				    fixtures[i]);
			unlink(reexport);
			continue;
		}
		tmp_xml(out, sizeof(out), "lst-orig");
		tmp_xml(out2, sizeof(out2), "lst-re");
		import_ok("hwloc", input, out, "--acs", "as-is", NULL);
		import_ok("hwloc", reexport, out2, "--acs", "as-is", NULL);

		hw = hwloc_busids(reexport, &nhw, &hb_hw);
		ours = p2psim_bdfs(out, &nours, &hb_ours);
		ours2 = p2psim_bdfs(out2, &nours2, &hb_ours2);
		cr_assert(nhw > 0, "%s: no PCI objects in the re-export", fixtures[i]);
		assert_same(hw, nhw, ours, nours, fixtures[i]);
		assert_same(ours, nours, ours2, nours2, fixtures[i]);
		cr_assert_eq(hb_hw, hb_ours, "%s: %d host bridges in hwloc, %d in p2psim",
			     fixtures[i], hb_hw, hb_ours);
		cr_assert_eq(hb_ours, hb_ours2);
		free_ids(hw, nhw);
		free_ids(ours, nours);
		free_ids(ours2, nours2);
		unlink(reexport);
		unlink(out);
		unlink(out2);
		checked++;
	}
	if (!checked)
		cr_skip_test("lstopo could read none of the fixtures");
}
