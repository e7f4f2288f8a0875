/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel ELF reader (vmlinux, modules, test objects): sections, symbols, build id,
 * .altinstructions, .parainstructions, .static_call_sites, x86 feature names, and a
 * model of what x86 apply_alternatives() writes at a site. Every input is untrusted:
 * a malformed file is an error message, never a crash.
 */
#ifndef PVTRACE_KELF_H
#define PVTRACE_KELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;

struct kelf_sec {
	const char *name;
	uint32_t type;
	uint64_t flags;
	uint64_t addr; /* virtual address (assigned by kelf for ET_REL) */
	uint64_t size;
	uint64_t offset;
	uint64_t align;
	uint32_t link, info;
	uint32_t name_off;
	const uint8_t *data; /* NULL for NOBITS, compressed or out-of-file contents */
};

struct kelf_sym {
	uint64_t addr;
	uint64_t size;
	const char *name;
	uint8_t type; /* STT_* */
	uint8_t bind; /* STB_* */
	uint16_t shndx;
};

struct Elf;

struct kelf {
	const uint8_t *buf; /* the file (relocated copy for ET_REL) */
	size_t len;
	struct Elf *elf; /* libelf's view of buf */
	uint16_t type;	 /* e_type */
	void *map;	 /* mmap of the file, or NULL */
	size_t map_len;
	uint8_t *copy; /* ET_REL: relocated copy of buf */
	bool rel;      /* ET_REL: section addresses assigned by kelf, relocations applied */
	struct kelf_sec *secs;
	size_t nsecs;
	struct kelf_sym *syms; /* symbols in allocated sections, by address */
	size_t nsyms;
	uint32_t *by_name; /* indexes into syms, by name */
	uint8_t build_id[64];
	size_t build_id_len;
	size_t relocs_applied, relocs_skipped;
};

/* Open a file (mmap) or a buffer that outlives k. 0, or -1 with a one-line message. */
int kelf_open(struct kelf *k, const char *path, char *err, size_t errlen);
int kelf_open_mem(struct kelf *k, const void *buf, size_t len, char *err, size_t errlen);
void kelf_close(struct kelf *k);

const struct kelf_sec *kelf_sec(const struct kelf *k, const char *name);
/* Allocated section holding addr, or NULL. */
const struct kelf_sec *kelf_sec_at(const struct kelf *k, uint64_t addr);
const struct kelf_sym *kelf_sym(const struct kelf *k, const char *name);
/*
 * Function holding addr: a sized FUNC symbol that contains it, else the nearest
 * preceding label (NOTYPE or unsized FUNC), else the nearest preceding sized FUNC, in
 * the same section (addr may then lie past its size). NULL when none.
 */
const struct kelf_sym *kelf_func_at(const struct kelf *k, uint64_t addr);
/* Copy len bytes at a virtual address from one section's contents; 0 or -1. */
int kelf_read(const struct kelf *k, uint64_t addr, void *dst, size_t len);
/* NUL-terminated string at addr, at most len - 1 characters; 0 or -1. */
int kelf_read_str(const struct kelf *k, uint64_t addr, char *dst, size_t len);
/*
 * A table's bounds: start/stop symbols when both exist (vmlinux merges these
 * tables into bigger output sections), else the named section. 0, or -1 if absent.
 */
int kelf_region(const struct kelf *k, const char *sec, const char *start, const char *stop,
		uint64_t *addr, uint64_t *size);
/* "Linux version X.Y..." from linux_banner: "6.12.117" style into buf; 0 or -1. */
int kelf_kernel_version(const struct kelf *k, char *buf, size_t len);
/* Parsed .BTF section (libbpf), or NULL. Free with btf__free(). */
struct btf *kelf_btf(const struct kelf *k);
/* Hex build id, "" if none. */
const char *kelf_build_id_hex(const struct kelf *k, char *buf, size_t len);
/* Parse NT_GNU_BUILD_ID out of raw notes (as in /sys/kernel/notes); length or -1. */
int kelf_notes_build_id(const uint8_t *notes, size_t len, uint8_t *id, size_t idlen);

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

/* Member path at byte offset off of a struct, "mmu.read_cr2"; 0 or -1. */
int kelf_btf_member_path(const struct btf *btf, const char *sname, uint32_t off, char *buf,
			 size_t len);

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

/* --- x86 instruction length decoding (64-bit mode) ---------------------------------- */

struct x86_insn {
	uint8_t len;
	uint8_t opcode[3]; /* as the kernel's decoder: 0f xx, 0f 38 xx; VEX: the opcode byte */
	uint8_t nopcode;
	bool vex;	   /* VEX, EVEX or XOP */
	bool rep_f3;	   /* first legacy prefix is F3 */
	uint8_t nprefixes; /* legacy prefixes */
	uint8_t modrm_len; /* 0 or 1 */
	uint8_t modrm;
	uint8_t disp_off, disp_len;
	uint8_t imm_off, imm_len; /* imm_len includes a second immediate (enter) */
	bool riprel;
};

/* Decode one instruction from at most avail bytes; 0 or -1 (invalid or truncated). */
int x86_decode(const uint8_t *p, size_t avail, struct x86_insn *in);
/* NOP or NOPL, as the kernel's insn_is_nop() */
bool x86_insn_is_nop(const struct x86_insn *in);

/* --- apply_alternatives() model ----------------------------------------------------- */

#define ALT_MAX_LEN 255

struct alt_model {
	int64_t kaslr;	   /* running address - link address */
	uint64_t nop_func; /* running address of nop_func, 0 if unknown */
	/* Read a pointer from the running kernel (pv_ops slot of a DIRECT_CALL site). */
	int (*read_ptr)(void *arg, uint64_t addr, uint64_t *val);
	void *arg;
	/* Uniprocessor lock-prefix patching: sorted .smp_locks addresses (link). */
	const uint64_t *locks;
	size_t nlocks;
	bool up;
	/* KASLR: absolute references into [image_lo, image_hi) (link) move by kaslr, and
	 * RIP-relative ones to zero-based per-CPU data [percpu_lo, percpu_hi) by -kaslr */
	uint64_t image_lo, image_hi;
	uint64_t percpu_lo, percpu_hi;
	/* apply_returns(), before alternatives: sorted .return_sites (link) */
	const uint64_t *rets;
	size_t nrets;
	uint64_t ret_thunk;    /* link address of __x86_return_thunk */
	int rethunk;	       /* X86_FEATURE_RETHUNK: 1 set, 0 clear, -1 unknown */
	uint64_t return_thunk; /* running value of x86_return_thunk */
	uint64_t its_thunk;    /* running address of its_return_thunk, 0 if none */
};

/*
 * What boot does to code before apply_alternatives(): the KASLR relocation of absolute
 * kernel addresses (32-bit sign-extended displacements and immediates, 64-bit movabs) and
 * of RIP-relative per-CPU references, then apply_returns() at .return_sites. buf holds len bytes from link address addr.
 * Returns the number of return sites patched, or -1 if one needs an unknown feature.
 */
int alt_pre_patch(const struct alt_model *m, uint8_t *buf, size_t len, uint64_t addr);

/* The kernel's optimize_nops() and its relocation of a copied replacement. */
void alt_optimize_nops(uint8_t *buf, size_t len);
int alt_apply_relocation(uint8_t *buf, size_t len, uint64_t instr, uint64_t repl, size_t repl_len);

/*
 * Bytes apply_alternatives() leaves at a site for variant v: 0 = original,
 * i = entry first + i - 1 was the last one applied. 0, or -1 with why.
 */
int alt_site_image(const struct kelf *k, const struct kelf_alts *a, const struct kelf_alt_site *s,
		   size_t v, const struct alt_model *m, uint8_t *out, char *why, size_t whylen);
/* Variant the kernel chose given its feature bits (words of x86_capability). */
size_t alt_site_expected(const struct kelf_alts *a, const struct kelf_alt_site *s,
			 const uint32_t *caps, unsigned nwords);

#endif
