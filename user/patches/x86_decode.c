// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* x86 instruction length decoder: see x86_decode.h. */
#include <string.h>
#include "patches/x86_decode.h"

/* --- x86 instruction length decoder -------------------------------------------------- */

/* One-byte map: the opcode has a ModRM byte (VEX/EVEX/XOP escapes handled apart). */
static bool modrm_1(uint8_t op)
{
	if (op < 0x40)
		return (op & 7) < 4; /* ALU r/m forms: x0-x3, x8-xb */
	switch (op) {
	case 0x63:
	case 0x69:
	case 0x6b:
	case 0x80 ... 0x8f:
	case 0xc0:
	case 0xc1:
	case 0xc6:
	case 0xc7:
	case 0xd0 ... 0xd3:
	case 0xd8 ... 0xdf:
	case 0xf6:
	case 0xf7:
	case 0xfe:
	case 0xff:
		return true;
	}
	return false;
}

/* Two-byte map (0f xx). */
static bool modrm_2(uint8_t op)
{
	switch (op) {
	case 0x04 ... 0x0c:
	case 0x0e:
	case 0x24 ... 0x27:
	case 0x30 ... 0x3f:
	case 0x77:
	case 0x80 ... 0x8f:
	case 0xa0 ... 0xa2:
	case 0xa6 ... 0xaa:
	case 0xc8 ... 0xcf:
		return false;
	}
	return true;
}

/* modrm, SIB and displacement at p[*i]; false if truncated */
static bool decode_modrm(const uint8_t *p, size_t avail, size_t *i, struct x86_insn *in,
			 bool addr32)
{
	uint8_t m, mod, rm;

	(void)addr32; /* 32- and 64-bit addressing share the ModRM/SIB format */
	if (*i >= avail)
		return false;
	m = p[(*i)++];
	in->modrm_len = 1;
	in->modrm = m;
	mod = m >> 6;
	rm = m & 7;
	if (mod == 3)
		return true;
	if (rm == 4) {
		if (*i >= avail)
			return false;
		if (mod == 0 && (p[*i] & 7) == 5)
			in->disp_len = 4;
		(*i)++;
	} else if (mod == 0 && rm == 5) {
		in->disp_len = 4;
		in->riprel = true;
	}
	if (mod == 1)
		in->disp_len = 1;
	else if (mod == 2)
		in->disp_len = 4;
	in->disp_off = *i;
	*i += in->disp_len;
	return *i <= avail;
}

/* Prefixes and what they change in the rest of one instruction. */
struct x86_dec {
	bool opsize, addr32, rexw, has_modrm;
	size_t i, imm;
	uint8_t op, map;
};

/* legacy prefixes, then an optional REX */
static void legacy_prefixes(const uint8_t *p, size_t avail, struct x86_insn *in, struct x86_dec *d)
{
	for (; d->i < avail; d->i++) {
		uint8_t b = p[d->i];

		if (b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x26 ||
		    b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65) {
			if (!in->nprefixes)
				in->rep_f3 = b == 0xf3;
			in->nprefixes++;
			d->opsize |= b == 0x66;
			d->addr32 |= b == 0x67;
			d->rexw = false; /* a REX before a legacy prefix is ignored */
			continue;
		}
		if ((b & 0xf0) == 0x40) {
			d->rexw = b & 8;
			if (d->i + 1 < avail && (p[d->i + 1] & 0xf0) == 0x40)
				continue; /* only the last REX counts */
			d->i++;
		}
		break;
	}
}

/* VEX (c4/c5), EVEX (62), XOP (8f with ModRM.reg != 0): 0 or -1 */
static int decode_vex(const uint8_t *p, size_t avail, struct x86_insn *in, struct x86_dec *d)
{
	uint8_t op = d->op;
	size_t plen = op == 0xc5 ? 1 : op == 0x62 ? 3 : 2;

	if (d->i + plen >= avail)
		return -1;
	if (op == 0xc5)
		d->map = 1;
	else if (op == 0x62)
		d->map = p[d->i] & 7;
	else
		d->map = p[d->i] & 0x1f;
	d->i += plen;
	in->vex = true;
	op = d->op = p[d->i++];
	in->opcode[0] = op;
	in->nopcode = 1;
	if (op == 0x8f || d->map == 0) /* unreachable for real code */
		return -1;
	d->has_modrm = !(d->map == 1 && op == 0x77); /* vzeroupper/vzeroall */
	if (d->map == 3 || d->map == 8)
		d->imm = 1;
	else if (d->map == 0xa)
		d->imm = 4;
	else if (d->map == 1 && ((op >= 0x70 && op <= 0x73) || op == 0xc2 || op == 0xc4 ||
				 op == 0xc5 || op == 0xc6))
		d->imm = 1;
	return 0;
}

/* two- and three-byte opcodes (0f xx, 0f 38 xx, 0f 3a xx): 0 or -1 */
static int decode_0f(const uint8_t *p, size_t avail, struct x86_insn *in, struct x86_dec *d)
{
	uint8_t op;

	if (d->i >= avail)
		return -1;
	op = d->op = p[d->i++];
	in->opcode[0] = 0x0f;
	in->opcode[1] = op;
	in->nopcode = 2;
	if (op == 0x38 || op == 0x3a) {
		if (d->i >= avail)
			return -1;
		in->opcode[2] = p[d->i++];
		in->nopcode = 3;
		d->has_modrm = true;
		d->imm = op == 0x3a;
	} else {
		d->has_modrm = modrm_2(op);
		if (op >= 0x80 && op <= 0x8f)
			d->imm = 4; /* Jcc rel32 */
		else if ((op >= 0x70 && op <= 0x73) || op == 0xa4 || op == 0xac || op == 0xba ||
			 op == 0xc2 || (op >= 0xc4 && op <= 0xc6) || op == 0x0f)
			d->imm = 1;
	}
	return 0;
}

/* Immediate bytes of a one-byte opcode, -1 if invalid in 64-bit mode. */
static int imm_1(uint8_t op, bool opsize, bool rexw, bool addr32)
{
	switch (op) {
	case 0x04:
	case 0x0c:
	case 0x14:
	case 0x1c:
	case 0x24:
	case 0x2c:
	case 0x34:
	case 0x3c:
	case 0x6a:
	case 0x6b:
	case 0x70 ... 0x7f:
	case 0x80:
	case 0x82:
	case 0x83:
	case 0xa8:
	case 0xb0 ... 0xb7:
	case 0xc0:
	case 0xc1:
	case 0xc6:
	case 0xcd:
	case 0xd4:
	case 0xd5:
	case 0xe0 ... 0xe7:
	case 0xeb:
		return 1;
	case 0x05:
	case 0x0d:
	case 0x15:
	case 0x1d:
	case 0x25:
	case 0x2d:
	case 0x35:
	case 0x3d:
	case 0x68:
	case 0x69:
	case 0x81:
	case 0xa9:
	case 0xc7:
		return opsize ? 2 : 4;
	case 0xe8:
	case 0xe9:
		return 4; /* rel32 in 64-bit mode */
	case 0xb8 ... 0xbf:
		return rexw ? 8 : opsize ? 2 : 4;
	case 0xa0 ... 0xa3:
		return addr32 ? 4 : 8; /* moffs */
	case 0xc2:
	case 0xca:
		return 2;
	case 0xc8:
		return 3; /* enter iw, ib */
	case 0x06:
	case 0x07:
	case 0x0e:
	case 0x16:
	case 0x17:
	case 0x1e:
	case 0x1f:
	case 0x27:
	case 0x2f:
	case 0x37:
	case 0x3f:
	case 0x60:
	case 0x61:
	case 0x9a:
	case 0xce:
	case 0xd6:
	case 0xea:
		return -1; /* invalid in 64-bit mode */
	}
	return 0;
}

int x86_decode(const uint8_t *p, size_t avail, struct x86_insn *in)
{
	struct x86_dec d = { 0 };
	uint8_t op;

	memset(in, 0, sizeof(*in));
	if (avail > 15)
		avail = 15;
	legacy_prefixes(p, avail, in, &d);
	if (d.i >= avail)
		return -1;
	op = d.op = p[d.i++];
	if (op == 0xc4 || op == 0xc5 || op == 0x62 ||
	    (op == 0x8f && d.i < avail && (p[d.i] & 0x38))) {
		if (decode_vex(p, avail, in, &d))
			return -1;
	} else if (op == 0x0f) {
		if (decode_0f(p, avail, in, &d))
			return -1;
	} else {
		int imm = imm_1(op, d.opsize, d.rexw, d.addr32);

		in->opcode[0] = op;
		in->nopcode = 1;
		d.has_modrm = modrm_1(op);
		if (imm < 0)
			return -1;
		d.imm = imm;
	}
	op = d.op;
	if (d.has_modrm && !decode_modrm(p, avail, &d.i, in, d.addr32))
		return -1;
	if (!in->vex && in->nopcode == 1 && (op == 0xf6 || op == 0xf7) &&
	    ((in->modrm >> 3) & 7) < 2)
		d.imm = op == 0xf6 ? 1 : d.opsize ? 2 : 4;
	in->imm_off = d.i;
	in->imm_len = d.imm;
	d.i += d.imm;
	if (d.i > avail)
		return -1;
	in->len = d.i;
	return 0;
}

bool x86_insn_is_nop(const struct x86_insn *in)
{
	if (in->vex)
		return false;
	if (in->nopcode == 1 && in->opcode[0] == 0x90 && !in->rep_f3)
		return true;
	return in->nopcode == 2 && in->opcode[0] == 0x0f && in->opcode[1] == 0x1f;
}
