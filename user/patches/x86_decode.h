/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* x86 instruction length decoding (64-bit mode), as the kernel's insn decoder. */
#ifndef PVTRACE_PATCHES_X86_DECODE_H
#define PVTRACE_PATCHES_X86_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
