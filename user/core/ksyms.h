/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel symbols from /proc/kallsyms. */
#ifndef PVTRACE_KSYMS_H
#define PVTRACE_KSYMS_H

#include <stdint.h>
#include <stddef.h>

struct ksym {
	uint64_t addr;
	char type;
	const char *name;
	const char *module; /* NULL for vmlinux */
};

struct ksyms {
	struct ksym *syms; /* sorted by addr */
	size_t n;
	char *strs;
	size_t strs_len, strs_cap;
	size_t cap;
};

/*
 * Address of one symbol, scanning kallsyms once and stopping at the first
 * match. module: "kvm" to require that module, "" for vmlinux, NULL for any.
 * Returns 0, -ENOENT when absent, -EPERM when addresses are hidden.
 */
int ksym_lookup(const char *name, const char *module, uint64_t *addr);
int ksym_lookup_in(const char *path, const char *name, const char *module, uint64_t *addr);

/* Parse kallsyms-format text from path (tests pass fixtures). */
struct ksyms *ksyms_load(const char *path);
void ksyms_free(struct ksyms *ks);
/* Symbol containing addr (greatest start <= addr), or NULL. */
const struct ksym *ksyms_by_addr(const struct ksyms *ks, uint64_t addr);
const struct ksym *ksyms_by_name(const struct ksyms *ks, const char *name);
/* The symbol containing addr, preferring a plain name over __pfx_/__cfi_/__pi_ aliases. */
const struct ksym *ksyms_best(const struct ksyms *ks, uint64_t addr);

/* How sym_format() and ksyms_describe() write a location. */
enum sym_flags {
	SYM_OFFSET = 1 << 0,	  /* "name+0x0" at the start too (default: "name") */
	SYM_MODULE = 1 << 1,	  /* " [module]" after a module's symbol */
	SYM_HEX_UNKNOWN = 1 << 2, /* an unknown address as 0x..., not "?" */
};
/* "name", "name+0xOFF", "name+0xOFF [module]" as flags say; returns buf. */
const char *sym_format(char *buf, size_t len, const char *name, uint64_t off, const char *module,
		       unsigned int flags);
/* addr symbolized with ksyms_best(); ks may be NULL (everything unknown). */
const char *ksyms_describe(const struct ksyms *ks, uint64_t addr, unsigned int flags, char *buf,
			   size_t len);

#endif
