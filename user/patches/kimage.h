/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a kernel ELF is, where a release's vmlinux lives, and which struct alt_instr
 * layout a given vmlinux uses (its BTF, else its size and version, proved on the data).
 */
#ifndef PVTRACE_KIMAGE_H
#define PVTRACE_KIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include "kelf.h"
#include "patches/tables.h"

/*
 * Debian's package with the vmlinux of release ("linux-image-RELEASE-dbg") into buf;
 * true when release looks like one of Debian's kernels (6.1.0-57-cloud-amd64,
 * 6.12.117+deb12-amd64).
 */
bool kimage_debian_dbg_pkg(const char *release, char *buf, size_t len);

/*
 * The vmlinux of release where distributions put it (/usr/lib/debug/boot/vmlinux-R,
 * /usr/lib/debug/lib/modules/R/vmlinux, /boot/vmlinux-R, /lib/modules/R/build/vmlinux):
 * 0 with the first readable one in path, else -1 with one line naming the places and
 * the Debian package that provides it ("the running kernel" R when running).
 */
int kimage_find_vmlinux(const char *release, bool running, char *path, size_t len, char *err,
			size_t errlen);

/*
 * Is the ELF a Linux kernel image (linux_banner; or, without symbols, kernel sections
 * and a "Linux version" string) or module (.modinfo vermagic)? 0 with what identified
 * it in why, or -1 with why not.
 */
int kimage_identify(const struct kelf *k, char *why, size_t len);

/*
 * Read .altinstructions with the right struct alt_instr layout: btf's (origin says
 * whose) when it describes the struct; otherwise each layout the kernel version allows
 * (6.3+: 14 bytes; before: 12, or 13 with padlen; unknown version: all three) is tried,
 * and exactly one must fit the table size and prove itself on every entry (original in
 * an executable section, replacement in .altinstr_replacement, feature bit below nbits).
 * 0 with l->source saying how, or -1 with a reason.
 */
int kimage_alts(const struct kelf *k, const struct btf *btf, const char *origin,
		const char *version, unsigned nbits, struct kelf_alt_layout *l, struct kelf_alts *a,
		char *err, size_t errlen);

#endif
