/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's patch tables in a kernel ELF (kelf.h): .altinstructions (layout from BTF
 * or by kernel version), its sites and summaries, .static_call_sites,
 * .parainstructions, and the names of x86 feature bits.
 */
#ifndef PVTRACE_PATCHES_TABLES_H
#define PVTRACE_PATCHES_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kelf.h"

struct btf;

/* --- .altinstructions ------------------------------------------------------------ */

#define ALT_FLAG_NOT	     (1 << 0)
#define ALT_FLAG_DIRECT_CALL (1 << 1)

/* Where struct alt_instr keeps its fields (bit offsets for cpuid/flags). */
struct kelf_alt_layout {
	uint32_t size;
	uint32_t instr_off, repl_off; /* s32, relative to the field itself */
	uint32_t cpuid_bitoff, cpuid_bits;
	uint32_t flags_bitoff, flags_bits; /* flags_bits 0: no flags field */
	uint32_t cpuid_not; /* cpuid bit meaning NOT (1 << 15 before 6.3), 0 if none */
	uint32_t instrlen_off, repllen_off;
	char source[400]; /* how the layout was obtained */
};

/*
 * From BTF 'struct alt_instr'; 0 or -1 with a reason. Without a flags member (before
 * Linux 6.3) a 16-bit cpuid carries NOT in bit 15 (ALT_NOT() then set ALTINSTR_FLAG_INV).
 */
int kelf_alt_layout_btf(const struct btf *btf, struct kelf_alt_layout *l, char *err, size_t errlen);
/* Linux 6.3+ x86 layout (14 bytes packed); kelf_alts_read() then proves it on the data. */
void kelf_alt_layout_fixed(struct kelf_alt_layout *l);
/*
 * Layouts before 6.3: 12 bytes (s32, s32, u16 cpuid with NOT in bit 15, u8 instrlen,
 * u8 replacementlen), or 13 with the u8 padlen older kernels append (padlen true).
 */
void kelf_alt_layout_pre63(struct kelf_alt_layout *l, bool padlen);

struct kelf_alt {
	uint64_t addr;	/* original instruction */
	uint64_t repl;	/* replacement */
	uint16_t cpuid; /* feature bit (without a cpuid_not bit) */
	uint16_t flags; /* ALT_FLAG_*, also from cpuid_not */
	uint8_t instrlen, repllen;
};

struct kelf_alts {
	struct kelf_alt *v;
	size_t n;
	uint64_t table, table_size;
};

/*
 * Read every entry. Checks: table size is a multiple of the entry size, each
 * original lies inside one executable section, each replacement inside an executable
 * section, cpuid < nbits (when nbits is not 0). 0, or -1 naming the first bad entry.
 */
int kelf_alts_read(const struct kelf *k, const struct kelf_alt_layout *l, unsigned nbits,
		   struct kelf_alts *out, char *err, size_t errlen);
void kelf_alts_free(struct kelf_alts *a);

/* Consecutive entries at one address form one site (nested ALTERNATIVE_n). */
struct kelf_alt_site {
	uint64_t addr;
	size_t first, n; /* entries [first, first + n) */
	uint8_t len;	 /* max instrlen, as apply_alternatives pads */
	const struct kelf_sym *func;
};

int kelf_alt_sites(const struct kelf *k, const struct kelf_alts *a, struct kelf_alt_site **out,
		   size_t *n);

struct kelf_feat_sum {
	unsigned bit;
	size_t entries, not_flag, direct_call, functions;
};

struct kelf_func_sum {
	const char *name; /* "?" for no symbol */
	size_t entries, sites, features;
};

/* Summaries, by entries descending then key. Caller frees *fs and *fn. */
int kelf_alt_summary(const struct kelf_alts *a, const struct kelf_alt_site *sites, size_t nsites,
		     struct kelf_feat_sum **fs, size_t *nfs, struct kelf_func_sum **fn,
		     size_t *nfn);

/* --- .static_call_sites and .parainstructions -------------------------------------- */

#define STATIC_CALL_SITE_TAIL 1UL
#define STATIC_CALL_SITE_INIT 2UL

struct kelf_scall {
	uint64_t addr; /* call/jmp instruction */
	uint64_t key;  /* struct static_call_key */
	bool tail;
	bool init;
};

int kelf_scalls_read(const struct kelf *k, struct kelf_scall **out, size_t *n, char *err,
		     size_t errlen);

struct kelf_para_layout {
	uint32_t size, instr_off, type_off, len_off;
	char source[160];
};

struct kelf_para {
	uint64_t addr;
	uint8_t type; /* pv_ops slot index */
	uint8_t len;
};

/* Layout from BTF 'struct paravirt_patch_site' when btf is not NULL, else the x86_64 one. */
void kelf_para_layout(const struct btf *btf, struct kelf_para_layout *l);
/* 0 with *n = 0 when there is no .parainstructions; -1 on malformed data. */
int kelf_paras_read(const struct kelf *k, const struct kelf_para_layout *l, struct kelf_para **out,
		    size_t *n, char *err, size_t errlen);

/* --- x86 feature names ------------------------------------------------------------ */

#define X86_MAX_FEATURE_BITS (32 * 64)

struct x86_feature_def {
	uint16_t bit;
	const char *name;    /* X86_FEATURE_FPU, X86_BUG_F00F */
	const char *cpuinfo; /* /proc/cpuinfo name, NULL if not shown */
};

struct kelf_features {
	const char *name[X86_MAX_FEATURE_BITS];
	const char *cpuinfo[X86_MAX_FEATURE_BITS];
	unsigned ncapints, nbugints, nbits;
	bool from_table;			/* macro names from the generated table */
	unsigned kernel_names, agree, disagree; /* vs the kernel's x86_cap/bug_flags */
	char version[64];			/* kernel version of the ELF, "" if unknown */
	char source[256];
	char *strs; /* names read from the ELF */
};

/*
 * Names for the ELF's kernel: the generated table (user/x86_cpufeatures.h) when the
 * ELF's version is the table's and its x86_cap_flags/x86_bug_flags (if any) agree;
 * otherwise the ELF's own cpuinfo names. source says which.
 */
void kelf_features_load(const struct kelf *k, struct kelf_features *f);
void kelf_features_free(struct kelf_features *f);
/* Load from a given table (tests); version "" matches any kernel. */
void kelf_features_load_table(const struct kelf *k, struct kelf_features *f,
			      const struct x86_feature_def *t, size_t n, unsigned ncapints,
			      unsigned nbugints, const char *version);
/* "X86_FEATURE_ALWAYS", else the cpuinfo name, else "bit 3*32+21". */
const char *kelf_feature_name(const struct kelf_features *f, unsigned bit, char *buf, size_t len);
/* Bit for a name: X86_FEATURE_XENPV, XENPV, xenpv, X86_BUG_SPECTRE_V2; -1 if unknown. */
int kelf_feature_bit(const struct kelf_features *f, const char *name);

#endif
