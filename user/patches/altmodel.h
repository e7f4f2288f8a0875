/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A model of what boot writes at an ALTERNATIVE site: the KASLR relocation,
 * apply_returns(), optimize_nops() and apply_alternatives() with relocated replacements.
 */
#ifndef PVTRACE_PATCHES_ALTMODEL_H
#define PVTRACE_PATCHES_ALTMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kelf.h"
#include "patches/tables.h"

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
