// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_import.c - `p2psim import hwloc|nccl|sysfs|lspci INPUT`: turn a
 * description of a real machine into a p2psim topology.
 *
 * Parses the options, runs the importer of tools/import/, lets emit.c write
 * the XML, and loads the result with the public loader before writing it: a
 * topology the loader rejects is an importer bug (exit 3), never the user's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "import/import.h"

static const struct {
	const char *name;
	int (*read)(const char *path, struct imp_machine *m, struct p2psim_error *err);
} formats[] = {
	{ "hwloc", imp_read_hwloc },
	{ "nccl", imp_read_nccl },
	{ "sysfs", imp_read_sysfs },
	{ "lspci", imp_read_lspci },
};

static int parse_cpu(const char *arg, struct imp_options *o)
{
	static const char *const vendors[] = { "intel", "amd", "hygon", "arm", "other" };
	static const long families[] = { 6, 0x19, 0x18, 0, 0 };
	const char *colon = strchr(arg, ':');
	size_t len = colon ? (size_t)(colon - arg) : strlen(arg);

	for (size_t i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++) {
		if (strlen(vendors[i]) != len || strncmp(arg, vendors[i], len))
			continue;
		snprintf(o->cpu_vendor, sizeof(o->cpu_vendor), "%s", vendors[i]);
		o->cpu_family = families[i];
		if (colon) {
			char *end;

			errno = 0;
			o->cpu_family = strtol(colon + 1, &end, 0);
			if (errno || end == colon + 1 || *end || o->cpu_family < 0 ||
			    o->cpu_family > 0xfff)
				return -EINVAL;
		}
		o->cpu_given = true;
		return 0;
	}
	return -EINVAL;
}

static int parse_host_bridge(const char *arg, struct imp_options *o)
{
	struct imp_host_bridge_opt h = { 0 }, *arr;
	unsigned int d = 0, b, v, dv;
	const char *eq = strchr(arg, '=');
	int n = 0;

	if (!eq)
		return -EINVAL;
	if (eq - arg == 1 && arg[0] == '*') {
		h.any_bus = true;
	} else if (sscanf(arg, "%x:%x%n", &d, &b, &n) == 2 && arg + n == eq) {
		h.domain = (int)d;
		h.bus = (int)b;
	} else if (n = 0, sscanf(arg, "%x%n", &b, &n) == 1 && arg + n == eq) {
		h.bus = (int)b;
	} else {
		return -EINVAL;
	}
	if (!h.any_bus && (d > 0xffff || b > 0xff))
		return -EINVAL;
	n = 0;
	if (sscanf(eq + 1, "%x:%x%n", &v, &dv, &n) != 2 || eq[1 + n] || v > 0xffff || dv > 0xffff)
		return -EINVAL;
	h.vendor = (int)v;
	h.device = (int)dv;
	arr = realloc(o->host_bridges, (o->nr_host_bridges + 1) * sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	o->host_bridges = arr;
	arr[o->nr_host_bridges++] = h;
	return 0;
}

static int write_output(const char *path, const char *buf, size_t len)
{
	FILE *f = path ? fopen(path, "w") : stdout;

	if (!f) {
		fprintf(stderr, "p2psim import: cannot write %s: %s\n", path, strerror(errno));
		return EXIT_INPUT;
	}
	if (fwrite(buf, 1, len, f) != len || (path ? fclose(f) : fflush(f))) {
		fprintf(stderr, "p2psim import: error writing %s\n",
			path ? path : "standard output");
		return EXIT_INTERNAL;
	}
	return EXIT_OK;
}

/* Load what the emitter wrote; returns P2PSIM_OK or fills @err. */
static int verify(const char *buf, size_t len, const char *name, struct p2psim_error *err,
		  size_t *nr_fns, size_t *nr_hbs)
{
	p2psim_topology *topo = NULL;
	int ret;

	p2psim_error_clear(err);
	ret = p2psim_topology_load_buffer(buf, len, name, &topo, err);
	if (ret == P2PSIM_OK) {
		*nr_fns = p2psim_topology_function_count(topo);
		*nr_hbs = p2psim_topology_hostbridge_count(topo);
		p2psim_topology_free(topo);
	}
	return ret;
}

static int import_run(int argc, char **argv)
{
	enum { OPT_ACS = 256, OPT_CPU, OPT_HOST_BRIDGE, OPT_IOMMU, OPT_NO_VERIFY, OPT_NO_ADDR };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "acs", required_argument, NULL, OPT_ACS },
		{ "cpu", required_argument, NULL, OPT_CPU },
		{ "host-bridge", required_argument, NULL, OPT_HOST_BRIDGE },
		{ "iommu", required_argument, NULL, OPT_IOMMU },
		{ "no-addresses", no_argument, NULL, OPT_NO_ADDR },
		{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const iommu_types[] = { "auto",   "none",	   "intel-vtd",
						   "amd-vi", "arm-smmuv3", "generic" };
	struct imp_options opts = { .acs = IMP_ACS_DEFAULT,
				    .iommu = "auto",
				    .keep_addresses = true };
	const char *output = NULL, *format, *input;
	int (*reader)(const char *, struct imp_machine *, struct p2psim_error *) = NULL;
	struct imp_machine *m = NULL;
	struct p2psim_error err;
	bool do_verify = true;
	char *buf = NULL, *options = NULL;
	size_t len = 0, nr_fns = 0, nr_hbs = 0;
	int opt, ret, status = EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case OPT_ACS:
			if (!strcmp(optarg, "as-is"))
				opts.acs = IMP_ACS_AS_IS;
			else if (!strcmp(optarg, "iommu-default"))
				opts.acs = IMP_ACS_IOMMU_DEFAULT_POLICY;
			else if (!strcmp(optarg, "off"))
				opts.acs = IMP_ACS_OFF;
			else
				status = cli_usage_error(
					&cmd_import,
					"--acs takes as-is, iommu-default or off, not '%s'",
					optarg);
			break;
		case OPT_CPU:
			if (parse_cpu(optarg, &opts))
				status = cli_usage_error(
					&cmd_import,
					"--cpu takes VENDOR[:FAMILY] with VENDOR intel, amd, "
					"hygon, arm or other (e.g. amd:0x19), not '%s'",
					optarg);
			break;
		case OPT_HOST_BRIDGE:
			ret = parse_host_bridge(optarg, &opts);
			if (ret == -ENOMEM) {
				fprintf(stderr, "p2psim import: out of memory\n");
				status = EXIT_INTERNAL;
			} else if (ret) {
				status = cli_usage_error(
					&cmd_import,
					"--host-bridge takes [DOMAIN:]BUS=VENDOR:DEVICE or "
					"*=VENDOR:DEVICE (e.g. 0000:00=8086:2020), not '%s'",
					optarg);
			}
			break;
		case OPT_IOMMU: {
			bool ok = false;

			for (size_t i = 0; i < sizeof(iommu_types) / sizeof(iommu_types[0]); i++)
				ok |= !strcmp(optarg, iommu_types[i]);
			if (ok)
				opts.iommu = optarg;
			else
				status = cli_usage_error(
					&cmd_import,
					"--iommu takes auto, none, intel-vtd, amd-vi, "
					"arm-smmuv3 or generic, not '%s'",
					optarg);
			break;
		}
		case OPT_NO_ADDR:
			opts.keep_addresses = false;
			break;
		case OPT_NO_VERIFY:
			do_verify = false;
			break;
		default:
			status = cli_usage_error(&cmd_import, "unknown option '%s'",
						 argv[optind - 1]);
			break;
		}
		if (status)
			goto out;
	}
	if (argc - optind != 2) {
		status = cli_usage_error(&cmd_import, argc - optind < 2 ?
							      "FORMAT and INPUT are needed" :
							      "too many arguments");
		goto out;
	}
	format = argv[optind];
	input = argv[optind + 1];
	/* The options, for the output's header: every argument but FORMAT, INPUT and -o OUT. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t need;
		char *grown;

		if (i == optind || i == optind + 1)
			continue;
		if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			i++;
			continue;
		}
		if (!strncmp(a, "-o", 2) || !strncmp(a, "--output=", 9))
			continue;
		while (*a == '-')
			a++;
		need = (options ? strlen(options) + 1 : 0) + strlen(a) + 1;
		grown = realloc(options, need);
		if (!grown) {
			fprintf(stderr, "p2psim import: out of memory\n");
			status = EXIT_INTERNAL;
			goto out;
		}
		if (!options)
			grown[0] = '\0';
		else
			strcat(grown, " ");
		strcat(grown, a);
		options = grown;
	}
	opts.options_text = options;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(format, formats[i].name))
			reader = formats[i].read;
	if (!reader) {
		status = cli_usage_error(&cmd_import,
					 "unknown format '%s' (hwloc, nccl, sysfs, lspci)", format);
		goto out;
	}

	m = imp_machine_new(format, input);
	if (!m) {
		fprintf(stderr, "p2psim import: out of memory\n");
		status = EXIT_INTERNAL;
		goto out;
	}
	p2psim_error_clear(&err);
	ret = reader(input, m, &err);
	if (ret == P2PSIM_OK)
		ret = imp_emit(m, &opts, &buf, &len, &err);
	if (ret != P2PSIM_OK) {
		p2psim_error_print(stderr, &err);
		status = cli_exit_status(ret);
		goto out;
	}
	for (size_t i = 0; i < opts.nr_host_bridges; i++) {
		const struct imp_host_bridge_opt *h = &opts.host_bridges[i];

		if (!h->any_bus && !imp_find_hostbridge(m, h->domain, h->bus))
			fprintf(stderr,
				"p2psim import: warning: --host-bridge %04x:%02x: no such root "
				"bus in the input\n",
				h->domain, h->bus);
	}

	if (do_verify) {
		const char *name = output ? output : "<import output>";

		ret = verify(buf, len, name, &err, &nr_fns, &nr_hbs);
		if (ret != P2PSIM_OK && opts.keep_addresses) {
			/* Real layouts should load unchanged; if not, let the loader place BARs. */
			struct p2psim_error first = err;

			opts.keep_addresses = false;
			if (imp_note(
				    m,
				    "BAR addresses from the input were left out because the loader "
				    "rejected them (%s); the loader assigned addresses instead",
				    first.message)) {
				status = EXIT_INTERNAL;
				goto out;
			}
			free(buf);
			buf = NULL;
			p2psim_error_clear(&err);
			ret = imp_emit(m, &opts, &buf, &len, &err);
			if (ret == P2PSIM_OK)
				ret = verify(buf, len, name, &err, &nr_fns, &nr_hbs);
			if (ret != P2PSIM_OK)
				err = first;
		}
		if (ret != P2PSIM_OK) {
			p2psim_error_print(stderr, &err);
			fprintf(stderr,
				"p2psim import: internal error: the %s importer wrote a topology "
				"that p2psim's loader rejects (an importer bug: please report it "
				"with the input); --no-verify writes it anyway\n",
				format);
			status = EXIT_INTERNAL;
			goto out;
		}
	}
	status = write_output(output, buf, len);
	if (status == EXIT_OK && output) {
		if (do_verify)
			fprintf(stderr,
				"p2psim import: wrote %s (%zu functions, %zu host bridges)\n",
				output, nr_fns, nr_hbs);
		else
			fprintf(stderr, "p2psim import: wrote %s (not verified)\n", output);
	}
out:
	free(buf);
	free(options);
	free(opts.host_bridges);
	imp_machine_free(m);
	return status;
}

const struct command cmd_import = {
	.name = "import",
	.summary = "turn hwloc / NCCL / sysfs / lspci descriptions into a topology",
	.usage =
		"p2psim import hwloc|nccl|sysfs|lspci INPUT [-o OUT.xml] [--acs as-is|iommu-default|off]\n"
		"                     [--cpu VENDOR[:FAMILY]] [--host-bridge BUS=VENDOR:DEVICE]...\n"
		"                     [--iommu auto|none|TYPE] [--no-addresses] [--no-verify]",
	.help = "Read a description of a real machine and write a p2psim topology (docs/topology.md)\n"
		"to OUT.xml or standard output. Then ask it the P2P question:\n"
		"\n"
		"    p2psim import hwloc box.xml -o box.topo.xml\n"
		"    p2psim matrix box.topo.xml --providers gpu0,gpu1   # ids: p2psim show box.topo.xml\n"
		"\n"
		"Formats (docs/import.md has a worked example of each):\n"
		"  hwloc   `lstopo --of xml` output, hwloc XML v2 or v3 (read directly: the hwloc\n"
		"          library is not needed). Use `lstopo --whole-io` to keep every bridge.\n"
		"  nccl    an NCCL_TOPO_FILE (version 1), e.g. a cloud provider's virtual topology.\n"
		"          Virtual switches (ffff:ff:.. bus ids) become switches; devices get new\n"
		"          BDFs; the original bus ids are kept in comments.\n"
		"  sysfs   a directory holding sys/bus/pci/devices and sys/devices/pci* (an\n"
		"          extracted `hwloc-gather-topology --io` tarball, or / or /sys of this\n"
		"          machine). Reads class/vendor/device, bus numbers, `resource` (BARs),\n"
		"          physfn links (VFs) and `config` (ACS, when the file has extended space).\n"
		"  lspci   `lspci -vvv -nn` text (IDs, bus numbers, BARs, ACSCap/ACSCtl) or an\n"
		"          `lspci -tv` / `-tvnn` tree (shape only).\n"
		"\n"
		"What an input does not say is assumed, and every assumption is written as an XML\n"
		"comment at the top of the output:\n"
		"  --acs POLICY        ACS on ports. Default: as the input records it where it does,\n"
		"                      and where it does not (hwloc, NCCL, 64-byte sysfs config,\n"
		"                      lspci without ACS lines) what Linux sets at boot with an IOMMU\n"
		"                      on: cap=ctrl=SV|RR|CR|UF on every root and downstream port.\n"
		"                      as-is: only what the input records (unknown ports get no ACS,\n"
		"                      as with the IOMMU off). iommu-default: also OR in what Linux\n"
		"                      adds to the recorded control values. off: ACS control cleared.\n"
		"  --iommu auto|none|TYPE  auto (default) writes an IOMMU (type from the CPU vendor,\n"
		"                      lazy mode) exactly when ACS was assumed from an IOMMU.\n"
		"  --cpu VENDOR[:FAMILY]   intel|amd|hygon|arm|other and family (e.g. amd:0x19); used\n"
		"                      when the input does not say, and overrides it when it does.\n"
		"                      Default when nobody says: intel:6.\n"
		"  --host-bridge [DOMAIN:]BUS=VENDOR:DEVICE (repeatable; BUS '*' for every root bus)\n"
		"                      The kernel's P2P allowlist keys on the root-bus 00.0 function,\n"
		"                      which hwloc usually filters out: this adds it (or supplies\n"
		"                      its IDs when the input names it without IDs).\n"
		"  --no-addresses      leave BAR addresses out and let the loader place the BARs.\n"
		"  --no-verify         write the output even if p2psim's loader rejects it.\n"
		"\n"
		"Imported topologies mark no BAR as p2pmem: name providers with --providers.\n"
		"The output is loaded before it is written; if the loader rejects it with the\n"
		"input's BAR addresses they are left out (noted in a comment), and if it still\n"
		"rejects it that is an importer bug: exit status 3.\n"
		"Malformed input (truncated XML, unknown version, inconsistent bus ranges) prints\n"
		"FILE:LINE: error: ... (for sysfs: the offending file) and exits with status 2.\n",
	.run = import_run,
};
