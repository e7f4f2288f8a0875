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

int x86_decode(const uint8_t *p, size_t avail, struct x86_insn *in)
{
	bool opsize = false, addr32 = false, rexw = false, has_modrm = false;
	size_t i = 0, imm = 0;
	uint8_t op, map = 0;

	memset(in, 0, sizeof(*in));
	if (avail > 15)
		avail = 15;
	/* legacy prefixes, then an optional REX */
	for (; i < avail; i++) {
		uint8_t b = p[i];

		if (b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x26 ||
		    b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65) {
			if (!in->nprefixes)
				in->rep_f3 = b == 0xf3;
			in->nprefixes++;
			opsize |= b == 0x66;
			addr32 |= b == 0x67;
			rexw = false; /* a REX before a legacy prefix is ignored */
			continue;
		}
		if ((b & 0xf0) == 0x40) {
			rexw = b & 8;
			if (i + 1 < avail && (p[i + 1] & 0xf0) == 0x40)
				continue; /* only the last REX counts */
			i++;
		}
		break;
	}
	if (i >= avail)
		return -1;
	op = p[i++];
	if (op == 0xc4 || op == 0xc5 || op == 0x62 || (op == 0x8f && i < avail && (p[i] & 0x38))) {
		/* VEX (c4/c5), EVEX (62), XOP (8f with ModRM.reg != 0) */
		size_t plen = op == 0xc5 ? 1 : op == 0x62 ? 3 : 2;

		if (i + plen >= avail)
			return -1;
		if (op == 0xc5)
			map = 1;
		else if (op == 0x62)
			map = p[i] & 7;
		else
			map = p[i] & 0x1f;
		i += plen;
		in->vex = true;
		op = p[i++];
		in->opcode[0] = op;
		in->nopcode = 1;
		if (op == 0x8f || map == 0) /* unreachable for real code */
			return -1;
		has_modrm = !(map == 1 && op == 0x77); /* vzeroupper/vzeroall */
		if (map == 3 || map == 8)
			imm = 1;
		else if (map == 0xa)
			imm = 4;
		else if (map == 1 && ((op >= 0x70 && op <= 0x73) || op == 0xc2 || op == 0xc4 ||
				      op == 0xc5 || op == 0xc6))
			imm = 1;
	} else if (op == 0x0f) {
		if (i >= avail)
			return -1;
		op = p[i++];
		in->opcode[0] = 0x0f;
		in->opcode[1] = op;
		in->nopcode = 2;
		if (op == 0x38 || op == 0x3a) {
			if (i >= avail)
				return -1;
			in->opcode[2] = p[i++];
			in->nopcode = 3;
			has_modrm = true;
			imm = op == 0x3a;
		} else {
			has_modrm = modrm_2(op);
			if (op >= 0x80 && op <= 0x8f)
				imm = 4; /* Jcc rel32 */
			else if ((op >= 0x70 && op <= 0x73) || op == 0xa4 || op == 0xac ||
				 op == 0xba || op == 0xc2 || (op >= 0xc4 && op <= 0xc6) ||
				 op == 0x0f)
				imm = 1;
		}
	} else {
		in->opcode[0] = op;
		in->nopcode = 1;
		has_modrm = modrm_1(op);
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
			imm = 1;
			break;
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
			imm = opsize ? 2 : 4;
			break;
		case 0xe8:
		case 0xe9:
			imm = 4; /* rel32 in 64-bit mode */
			break;
		case 0xb8 ... 0xbf:
			imm = rexw ? 8 : opsize ? 2 : 4;
			break;
		case 0xa0 ... 0xa3:
			imm = addr32 ? 4 : 8; /* moffs */
			break;
		case 0xc2:
		case 0xca:
			imm = 2;
			break;
		case 0xc8:
			imm = 3; /* enter iw, ib */
			break;
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
	}
	if (has_modrm && !decode_modrm(p, avail, &i, in, addr32))
		return -1;
	if (!in->vex && in->nopcode == 1 && (op == 0xf6 || op == 0xf7) &&
	    ((in->modrm >> 3) & 7) < 2)
		imm = op == 0xf6 ? 1 : opsize ? 2 : 4;
	in->imm_off = i;
	in->imm_len = imm;
	i += imm;
	if (i > avail)
		return -1;
	in->len = i;
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
