// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* apply_alternatives() model: see altmodel.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kelf.h"
#include "patches/altmodel.h"
#include "patches/le.h"
#include "patches/x86_decode.h"

/* --- apply_alternatives() model ----------------------------------------------------- */

/* x86_nops[] of Linux 6.12 (arch/x86/include/asm/nops.h, 64-bit), ASM_NOP_MAX 11 */
static const uint8_t nops[12][11] = {
	{ 0 },
	{ 0x90 },
	{ 0x66, 0x90 },
	{ 0x0f, 0x1f, 0x00 },
	{ 0x0f, 0x1f, 0x40, 0x00 },
	{ 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	{ 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	{ 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	{ 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};
#define NOP_MAX 11

/* add_nop(): one NOP up to 11 bytes, else a jump over int3 padding */
static void add_nop(uint8_t *buf, size_t len)
{
	size_t i;

	if (!len)
		return;
	if (len <= NOP_MAX) {
		memcpy(buf, nops[len], len);
		return;
	}
	if (len < 128) {
		buf[0] = 0xeb;
		buf[1] = len - 2;
		i = 2;
	} else {
		buf[0] = 0xe9;
		put32(buf + 1, len - 5);
		i = 5;
	}
	memset(buf + i, 0xcc, len - i);
}

static size_t skip_nops(const uint8_t *buf, size_t off, size_t len)
{
	struct x86_insn in;

	while (off < len) {
		if (x86_decode(buf + off, len - off, &in) || !x86_insn_is_nop(&in))
			break;
		off += in.len;
	}
	return off;
}

void alt_optimize_nops(uint8_t *buf, size_t len)
{
	struct x86_insn in;

	for (size_t next, i = 0; i < len; i = next) {
		if (x86_decode(buf + i, len - i, &in))
			return;
		next = i + in.len;
		if (x86_insn_is_nop(&in)) {
			if (next == len) /* already optimized */
				return;
			next = skip_nops(buf, next, len);
			if (next > len)
				return;
			add_nop(buf + i, next - i);
		}
	}
}

static int64_t get_signed(const uint8_t *p, int n)
{
	return n == 1 ? (int8_t)p[0] : n == 2 ? (int16_t)get16(p) : (int32_t)get32(p);
}

/* apply_reloc(): add diff to an n-byte field; the kernel BUG()s on overflow */
static int add_reloc(uint8_t *p, int n, int64_t diff)
{
	int64_t v = get_signed(p, n) + diff;

	if (n == 1 ? v != (int8_t)v : n == 2 ? v != (int16_t)v : v != (int32_t)v)
		return -1;
	for (int i = 0; i < n; i++)
		p[i] = (uint64_t)v >> (8 * i);
	return 0;
}

/* need_reloc(): a target inside [repl, repl + repl_len] moves with the block */
static bool need_reloc(int64_t off, size_t repl_len)
{
	return off < 0 || off > (int64_t)repl_len;
}

int alt_apply_relocation(uint8_t *buf, size_t len, uint64_t instr, uint64_t repl, size_t repl_len)
{
	int64_t diff = (int64_t)(repl - instr);
	struct x86_insn in;

	for (size_t next, i = 0; i < len; i = next) {
		uint8_t op;
		int64_t imm;

		if (x86_decode(buf + i, len - i, &in))
			return 0; /* the kernel warns and stops */
		next = i + in.len;
		op = in.opcode[0];
		if ((op == 0x0f && in.nopcode >= 2 && in.opcode[1] >= 0x80 &&
		     in.opcode[1] <= 0x8f) ||
		    (op >= 0x70 && op <= 0x7f) || op == 0xeb || op == 0xe9 || op == 0xe8) {
			if (in.imm_len != 1 && in.imm_len != 2 && in.imm_len != 4)
				return -1;
			imm = get_signed(buf + i + in.imm_off, in.imm_len);
			if (need_reloc((int64_t)next + imm, repl_len) &&
			    add_reloc(buf + i + in.imm_off, in.imm_len, diff))
				return -1;
			if (op == 0xe9) { /* JMP.d32 -> JMP.d8 where it fits */
				int32_t v = (int32_t)((uint32_t)imm + (uint32_t)diff + 3);

				if (v == (int8_t)v) {
					buf[i] = 0xeb;
					buf[i + 1] = (uint8_t)v;
					memset(buf + i + 2, 0xcc, in.len - 2);
				}
			}
		}
		if (in.riprel && in.disp_len == 4) {
			int64_t d = get_signed(buf + i + in.disp_off, 4);

			if (need_reloc((int64_t)next + d, repl_len) &&
			    add_reloc(buf + i + in.disp_off, 4, diff))
				return -1;
		}
	}
	return 0;
}

static bool addr_is_lock(const struct alt_model *m, uint64_t a)
{
	size_t lo = 0, hi = m->nlocks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->locks[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->nlocks && m->locks[lo] == a;
}

static bool rel_branch(const struct x86_insn *in)
{
	uint8_t op = in->opcode[0];

	if (in->vex)
		return false;
	if (in->nopcode == 1)
		return op == 0xe8 || op == 0xe9 || op == 0xeb || (op >= 0x70 && op <= 0x7f) ||
		       (op >= 0xe0 && op <= 0xe3) || (op == 0xc7 && in->modrm == 0xf8);
	return in->nopcode == 2 && op == 0x0f && in->opcode[1] >= 0x80 && in->opcode[1] <= 0x8f;
}

/* the boot-time KASLR relocation of one absolute field */
static void kaslr_field(const struct alt_model *m, uint8_t *p, int n)
{
	uint64_t v = n == 8 ? get64(p) : (uint64_t)(int64_t)(int32_t)get32(p);

	if (v < m->image_lo || v >= m->image_hi)
		return;
	if (n == 8)
		put64(p, v + m->kaslr);
	else
		put32(p, (uint32_t)(v + m->kaslr));
}

static void kaslr_relocate(const struct alt_model *m, uint8_t *buf, size_t len, uint64_t addr)
{
	struct x86_insn in;

	for (size_t i = 0; i < len; i += in.len) {
		if (x86_decode(buf + i, len - i, &in))
			return;
		if (in.disp_len == 4 && !in.riprel)
			kaslr_field(m, buf + i + in.disp_off, 4);
		if (in.riprel && in.disp_len == 4) {
			/* the relocs tool's inverse relocation: per-CPU data does not move */
			uint8_t *d = buf + i + in.disp_off;
			uint64_t t = addr + i + in.len + (int64_t)(int32_t)get32(d);

			if (t >= m->percpu_lo && t < m->percpu_hi)
				put32(d, (uint32_t)(get32(d) - (uint32_t)m->kaslr));
		}
		if ((in.imm_len == 4 && !rel_branch(&in)) || in.imm_len == 8)
			kaslr_field(m, buf + i + in.imm_off, in.imm_len);
	}
}

/* cpu_wants_rethunk_at() */
static bool wants_rethunk_at(const struct alt_model *m, uint64_t rt)
{
	if (m->rethunk != 1)
		return false;
	if (!m->its_thunk || m->return_thunk != m->its_thunk)
		return true;
	return !(rt & 0x20);
}

int alt_pre_patch(const struct alt_model *m, uint8_t *buf, size_t len, uint64_t addr)
{
	size_t lo = 0, hi = m->nrets;
	int n = 0;

	if (m->kaslr)
		kaslr_relocate(m, buf, len, addr);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->rets[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* patch_return(): jmp __x86_return_thunk -> jmp x86_return_thunk, or ret; int3... */
	for (; lo < m->nrets && m->rets[lo] - addr < len; lo++) {
		size_t off = m->rets[lo] - addr;
		uint64_t rt = m->rets[lo] + m->kaslr;
		struct x86_insn in;

		if (x86_decode(buf + off, len - off, &in) || buf[off] != 0xe9 || in.len != 5 ||
		    m->rets[lo] + 5 + (int64_t)(int32_t)get32(buf + off + 1) != m->ret_thunk)
			continue;
		if (m->rethunk < 0)
			return -1;
		if (wants_rethunk_at(m, rt)) {
			put32(buf + off + 1, (uint32_t)(m->return_thunk - (rt + 5)));
		} else {
			buf[off] = 0xc3;
			memset(buf + off + 1, 0xcc, 4);
		}
		n++;
	}
	return n;
}

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -1)

int alt_site_image(const struct kelf *k, const struct kelf_alts *a, const struct kelf_alt_site *s,
		   size_t v, const struct alt_model *m, uint8_t *out, char *why, size_t whylen)
{
	uint8_t orig[ALT_MAX_LEN];
	const struct kelf_alt *e;
	size_t n;

	if (kelf_read(k, s->addr, orig, s->len))
		return WHY("original bytes not in the file");
	if (alt_pre_patch(m, orig, s->len, s->addr) < 0)
		return WHY("return thunk site, X86_FEATURE_RETHUNK unknown");
	if (v == 0) {
		memcpy(out, orig, s->len);
		alt_optimize_nops(out, s->len);
		goto locks;
	}
	if (v > s->n || s->first + v - 1 >= a->n)
		return WHY("no variant %zu", v);
	e = &a->v[s->first + v - 1];
	if (e->repllen > s->len)
		return WHY("replacement longer than the site");
	if (kelf_read(k, e->repl, out, e->repllen))
		return WHY("replacement bytes not in the file");
	if (alt_pre_patch(m, out, e->repllen, e->repl) < 0)
		return WHY("return thunk site, X86_FEATURE_RETHUNK unknown");
	n = e->repllen;
	if (e->flags & ALT_FLAG_DIRECT_CALL) {
		/* alt_replace_call(): call *disp(%rip) becomes call <pv_ops slot value> */
		uint64_t slot, target, bug;

		if (e->repllen != 5 || out[0] != 0xe8)
			return WHY("DIRECT_CALL with a non-call replacement");
		if (s->len != 6 || orig[0] != 0xff || orig[1] != 0x15)
			return WHY("DIRECT_CALL at a site that is not call *disp(%%rip)");
		if (!m->read_ptr)
			return WHY("DIRECT_CALL needs the running kernel's pv_ops");
		slot = s->addr + 6 + (int64_t)(int32_t)get32(orig + 2) + m->kaslr;
		if (m->read_ptr(m->arg, slot, &target))
			return WHY("cannot read the pv_ops slot at 0x%llx",
				   (unsigned long long)slot);
		/* the replacement calls BUG_func: that is its target */
		bug = e->repl + 5 + (int64_t)(int32_t)get32(out + 1) + m->kaslr;
		if (!target)
			target = bug;
		put32(out + 1, get32(out + 1) + (uint32_t)(target - bug));
		if (m->nop_func && target == m->nop_func)
			n = 0;
		else
			n = 5;
	}
	memset(out + n, 0x90, s->len - n);
	if (alt_apply_relocation(out, s->len, s->addr, e->repl, e->repllen))
		return WHY("relocation out of range");
	alt_optimize_nops(out, s->len);
locks:
	/* uniprocessor boot: lock prefixes in [_text, _etext] become DS (0x3e) */
	if (m->up)
		for (size_t i = 0; i < s->len; i++)
			if (out[i] == 0xf0 && addr_is_lock(m, s->addr + i))
				out[i] = 0x3e;
	return 0;
}

size_t alt_site_expected(const struct kelf_alts *a, const struct kelf_alt_site *s,
			 const uint32_t *caps, unsigned nwords)
{
	size_t v = 0;

	for (size_t i = 0; i < s->n && s->first + i < a->n; i++) {
		const struct kelf_alt *e = &a->v[s->first + i];
		bool has = e->cpuid / 32 < nwords && (caps[e->cpuid / 32] >> (e->cpuid % 32) & 1);

		if (!has != !(e->flags & ALT_FLAG_NOT))
			v = i + 1;
	}
	return v;
}
