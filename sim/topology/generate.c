// SPDX-License-Identifier: GPL-2.0-only
/*
 * generate.c - synthetic topology text for benchmarks and tests (generate.h).
 *
 * Address plan (all host bridges, so apertures never overlap each other or
 * the default RAM): host bridge H has a 1 GiB mem32 aperture at CPU
 * 2^51 + H * 4 GiB with a bus offset making its bus addresses
 * 0xc0000000-0xffffffff, and a 64 GiB mem64 aperture at CPU 16 TiB + H * 64 GiB.
 * Bus numbers, BAR addresses and windows are left to the loader.
 */
#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>

#include "sim/topology/generate.h"

#define MEM32_CPU_BASE (1ULL << 51)
#define MEM32_BUS_BASE 0xC0000000ULL
#define MEM64_CPU_BASE (16ULL << 40)
#define MEM64_SIZE (64ULL << 30)
#define MAX_HOSTS 65536u

static void emit_endpoint(FILE *f, unsigned int n, const struct topology_gen_opts *o)
{
	bool p2p = o->p2pmem_every && n % o->p2pmem_every == 0;

	fprintf(f,
		"          <endpoint id=\"ep%u\" vendor=\"%s\" device=\"%s\" class=\"%s\">\n"
		"            <bar index=\"0\" size=\"16K\" kind=\"mem32\"/>\n"
		"            <bar index=\"2\" size=\"32M\" kind=\"mem64\"%s/>\n"
		"          </endpoint>\n",
		n, p2p ? "0x10de" : "0x144d", p2p ? "0x20b5" : "0xa80a",
		p2p ? "0x030200" : "0x010802", p2p ? " p2pmem=\"yes\"" : "");
}

char *topology_generate(const struct topology_gen_opts *opts, size_t *len)
{
	const struct topology_gen_opts *o = opts;
	const char *acs = o->acs ? " acs-cap=\"0x5f\" acs-ctrl=\"0x1d\"" : "";
	unsigned int eps = o->endpoints_per_switch, per_host, switches, hosts, ep = 0;
	char *text = NULL;
	size_t size = 0;
	FILE *f;

	if (!o->endpoints || !eps || eps > 32)
		return NULL;
	/* each root port uses eps + 2 bus numbers; 248 root-bus devfns after 00.0 */
	per_host = 255 / (eps + 2);
	if (per_host > 248)
		per_host = 248;
	if (o->root_ports_per_host && o->root_ports_per_host < per_host)
		per_host = o->root_ports_per_host;
	switches = (o->endpoints + eps - 1) / eps;
	hosts = (switches + per_host - 1) / per_host;
	if (hosts > MAX_HOSTS)
		return NULL;

	f = open_memstream(&text, &size);
	if (!f)
		return NULL;
	fprintf(f,
		"<?xml version=\"1.0\"?>\n"
		"<!-- Synthetic topology from topology_generate(): %u endpoints, %u per switch, "
		"%u host bridges. -->\n"
		"<topology version=\"1\" name=\"synthetic-%u\">\n"
		"  <cpu vendor=\"intel\" family=\"6\"/>\n",
		o->endpoints, eps, hosts, o->endpoints);
	for (unsigned int h = 0; h < hosts; h++)
		fprintf(f, "  <iommu id=\"iommu%u\" type=\"intel-vtd\" mode=\"%s\"/>\n", h,
			o->iommu_mode ? o->iommu_mode : "lazy");
	for (unsigned int h = 0; h < hosts; h++) {
		unsigned long long cpu32 = MEM32_CPU_BASE + (unsigned long long)h * (4ULL << 30);

		fprintf(f,
			"  <hostbridge id=\"hb%u\" domain=\"%#x\" bus=\"0\" iommu=\"iommu%u\">\n"
			"    <aperture kind=\"mem32\" cpu=\"%#llx\" size=\"1G\" bus-offset=\"%#llx\"/>\n"
			"    <aperture kind=\"mem64\" cpu=\"%#llx\" size=\"64G\"/>\n"
			"    <function id=\"hb%u.host\" vendor=\"0x8086\" device=\"0x09a2\"/>\n",
			h, h, h, cpu32, cpu32 - MEM32_BUS_BASE,
			(unsigned long long)(MEM64_CPU_BASE + (unsigned long long)h * MEM64_SIZE),
			h);
		for (unsigned int r = 0; r < per_host && ep < o->endpoints; r++) {
			fprintf(f,
				"    <rootport id=\"rp%u_%u\" dev=\"%u\" fn=\"%u\" vendor=\"0x8086\" "
				"device=\"0x347a\"%s>\n"
				"      <switch id=\"sw%u_%u\" vendor=\"0x10b5\" device=\"0x9797\">\n"
				"        <upstream id=\"sw%u_%u.up\"/>\n",
				h, r, 1 + r / 8, r % 8, acs, h, r, h, r);
			for (unsigned int p = 0; p < eps && ep < o->endpoints; p++) {
				fprintf(f,
					"        <downstream id=\"sw%u_%u.dn%u\" dev=\"%u\"%s>\n",
					h, r, p, p, acs);
				emit_endpoint(f, ep++, o);
				fprintf(f, "        </downstream>\n");
			}
			fprintf(f, "      </switch>\n    </rootport>\n");
		}
		fprintf(f, "  </hostbridge>\n");
	}
	fprintf(f, "</topology>\n");
	if (fclose(f) || !text) {
		free(text);
		return NULL;
	}
	if (len)
		*len = size;
	return text;
}

char *topology_generate_xml(unsigned int n_functions_target, unsigned int endpoints_per_switch,
			    size_t *len)
{
	struct topology_gen_opts o = {
		.endpoints_per_switch = endpoints_per_switch,
		.p2pmem_every = 4,
		.acs = true,
	};

	/* a switch with E endpoints brings 2E + 2 functions (root port, upstream, ports) */
	if (endpoints_per_switch)
		o.endpoints =
			(unsigned int)((unsigned long long)n_functions_target *
				       endpoints_per_switch / (2ULL * endpoints_per_switch + 2));
	if (!o.endpoints)
		o.endpoints = 1;
	return topology_generate(&o, len);
}
