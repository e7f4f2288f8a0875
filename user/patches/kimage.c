// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel images: identification, where vmlinux lives, struct alt_instr layout; see kimage.h. */
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimage.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

bool kimage_debian_dbg_pkg(const char *release, char *buf, size_t len)
{
	/* the architecture ends a Debian kernel release (FLAVOUR-ARCH or ARCH) */
	static const char *const arch[] = { "-amd64",	"-arm64",	"-686",
					    "-686-pae", "-armmp",	"-armmp-lpae",
					    "-s390x",	"-powerpc64le", "-riscv64",
					    "-loong64", "-mips64r2el",	"-octeon" };
	size_t n = strlen(release);
	unsigned a, b;
	int used = 0;
	bool suffix = false;

	snprintf(buf, len, "linux-image-%s-dbg", release);
	for (size_t i = 0; i < sizeof(arch) / sizeof(arch[0]); i++) {
		size_t m = strlen(arch[i]);

		suffix |= n > m && !strcmp(release + n - m, arch[i]);
	}
	/* 6.1.0-57-cloud-amd64 (ABI number) or 6.12.117+deb12-amd64 */
	if (!suffix || sscanf(release, "%u.%u%n", &a, &b, &used) != 2)
		return false;
	return strstr(release, "+deb") || (release[used] == '.' && strchr(release + used, '-') &&
					   strspn(strchr(release + used, '-') + 1, "0123456789"));
}

int kimage_find_vmlinux(const char *release, bool running, char *path, size_t len, char *err,
			size_t errlen)
{
	const char *what = running ? "the running kernel" : "kernel";
	static const char *const fmts[] = {
		"/usr/lib/debug/boot/vmlinux-%s",
		"/usr/lib/debug/lib/modules/%s/vmlinux",
		"/boot/vmlinux-%s",
		"/lib/modules/%s/build/vmlinux",
	};
	char where[1024], pkg[160];
	size_t o = 0;

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		snprintf(path, len, fmts[i], release);
		if (!access(path, R_OK))
			return 0;
		o += snprintf(where + o, o < sizeof(where) ? sizeof(where) - o : 0, "%s%s",
			      i ? ", " : "", path);
	}
	if (kimage_debian_dbg_pkg(release, pkg, sizeof(pkg)))
		return ERR("no vmlinux for %s %.64s: looked in %.700s; install Debian's %.150s, "
			   "which provides it, or pass --vmlinux FILE",
			   what, release, where, pkg);
	return ERR("no vmlinux for %s %.64s: looked in %.700s; Debian's %.150s would provide "
		   "it, but %.64s does not look like a Debian kernel release; pass --vmlinux FILE",
		   what, release, where, pkg, release);
}

int kimage_identify(const struct kelf *k, char *why, size_t len)
{
	const struct kelf_sec *s = kelf_sec(k, ".modinfo"), *ro = kelf_sec(k, ".rodata");
	uint16_t type = k->type;
	char ver[64];

	if (!kelf_kernel_version(k, ver, sizeof(ver))) {
		snprintf(why, len, "Linux %s (linux_banner)", ver);
		return 0;
	}
	if (s && s->data && memmem(s->data, s->size, "vermagic=", 9)) {
		snprintf(why, len, "a kernel module (.modinfo has vermagic)");
		return 0;
	}
	/* a vmlinux without symbols: kernel-only sections and the banner text */
	if (type == ET_EXEC &&
	    (kelf_sec(k, "__ksymtab_strings") || kelf_sec(k, ".altinstructions")) && ro &&
	    ro->data && memmem(ro->data, ro->size, "Linux version ", 14)) {
		snprintf(why, len,
			 "a vmlinux without symbols (kernel sections, \"Linux version\" "
			 "in .rodata)");
		return 0;
	}
	snprintf(why, len,
		 "not a Linux kernel image or module (no linux_banner symbol, no .modinfo "
		 "vermagic, no kernel sections)");
	return -1;
}

/* The replacement lies in .altinstr_replacement (an empty one may end it). */
static bool in_repl_sec(const struct kelf *k, const struct kelf_alt *e)
{
	const struct kelf_sec *s = kelf_sec_at(k, e->repl);

	if (!s && !e->repllen)
		s = kelf_sec_at(k, e->repl - 1);
	return s && !strcmp(s->name, ".altinstr_replacement");
}

int kimage_alts(const struct kelf *k, const struct btf *btf, const char *origin,
		const char *version, unsigned nbits, struct kelf_alt_layout *l, struct kelf_alts *a,
		char *err, size_t errlen)
{
	struct kelf_alt_layout c[3];
	char why[3][200], e2[256];
	unsigned maj, min, n = 0, nfit = 0, fit = 0;
	bool known = version && sscanf(version, "%u.%u", &maj, &min) == 2;
	bool v63 = known && (maj > 6 || (maj == 6 && min >= 3));
	size_t o;

	memset(a, 0, sizeof(*a));
	if (btf && !kelf_alt_layout_btf(btf, l, e2, sizeof(e2))) {
		o = strlen(l->source);
		snprintf(l->source + o, sizeof(l->source) - o, " from %s", origin);
		return kelf_alts_read(k, l, nbits, a, err, errlen);
	}
	if (!known || v63)
		kelf_alt_layout_fixed(&c[n++]);
	if (!known || !v63) {
		kelf_alt_layout_pre63(&c[n++], false);
		kelf_alt_layout_pre63(&c[n++], true);
	}
	for (unsigned i = 0; i < n; i++) {
		struct kelf_alts t;
		size_t bad = 0;

		if (kelf_alts_read(k, &c[i], nbits, &t, why[i], sizeof(why[i])))
			continue;
		for (size_t j = 0; j < t.n; j++)
			bad += !in_repl_sec(k, &t.v[j]);
		if (bad) {
			snprintf(why[i], sizeof(why[i]),
				 "%zu of %zu replacements outside .altinstr_replacement", bad, t.n);
			kelf_alts_free(&t);
			continue;
		}
		if (!t.n) { /* nothing to prove: any layout reads an empty table */
			*a = t;
			*l = c[i];
			return 0;
		}
		if (nfit++) {
			kelf_alts_free(&t);
			continue;
		}
		*a = t;
		fit = i;
	}
	if (nfit > 1) {
		uint64_t size = a->table_size;

		kelf_alts_free(a);
		return ERR(".altinstructions: no BTF describes struct alt_instr and %u layouts "
			   "fit its %" PRIu64 " bytes",
			   nfit, size);
	}
	if (!nfit && n == 1)
		return ERR("%.200s (%u-byte struct alt_instr of Linux %.32s, no BTF)", why[0],
			   c[0].size, version);
	if (!nfit)
		return ERR("no struct alt_instr layout fits (no BTF): %u bytes: %.200s; %u "
			   "bytes: %.200s; %u bytes: %.200s",
			   c[0].size, why[0], c[1].size, why[1], c[2].size, why[2]);
	*l = c[fit];
	o = strlen(l->source);
	snprintf(l->source + o, sizeof(l->source) - o,
		 "; no BTF, proved on this file (the one of %u layouts for %s%.32s that fits): "
		 "%" PRIu64 " bytes = %zu entries, every original in an executable section, "
		 "every replacement in .altinstr_replacement, every feature bit below %u",
		 n, known ? "Linux " : "an unknown version", known ? version : "", a->table_size,
		 a->n, nbits ? nbits : 65536);
	return 0;
}
