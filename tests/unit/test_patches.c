// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace patches: the kernel ELF reader on fixtures assembled here (as + ld), the
 * x86 length decoder, the apply_alternatives() model, feature names, summaries, and
 * malformed input (every truncation, random corruption).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kbtf.h"
#include "kelf.h"
#include "patches/altmodel.h"
#include "patches/tables.h"
#include "patches/x86_decode.h"
#include "patches/kimage.h"

static char dir[] = "/tmp/pvtrace-patches-XXXXXX";
static char fix_exec[256], fix_rel[256], fix_old[256];

/*
 * Fixture: seven alt_instr entries (6.12 layout) at six sites covering DIRECT_CALL,
 * NOT, a nested ALTERNATIVE_2 with different lengths, a bug bit, an unnamed bit, a
 * site in freed init text and a lock prefix; two static call sites (one tail);
 * linux_banner and x86_cap_flags/x86_bug_flags like a vmlinux.
 */
static const char fixture_s[] = "	.set ALWAYS, 3*32+21\n"
				"	.set XENPV, 8*32+16\n"
				"	.set LFENCE_RDTSC, 20*32+2\n"
				"	.set SMAP, 9*32+20\n"
				"	.set SPECTRE_V2, 22*32+16\n"
				"	.set F_NOT, 1 << 16\n"
				"	.set F_DCALL, 2 << 16\n"
				"	.macro ALT b, e, rb, re, ft\n"
				"	.pushsection .altinstructions,\"a\",@progbits\n"
				"	.long \\b - .\n"
				"	.long \\rb - .\n"
				"	.4byte \\ft\n"
				"	.byte \\e - \\b\n"
				"	.byte \\re - \\rb\n"
				"	.popsection\n"
				"	.endm\n"
				"	.text\n"
				"	.globl _text\n"
				"_text:\n"
				"	.globl func_a\n"
				"	.type func_a,@function\n"
				"func_a:\n"
				"	push %rbp\n"
				".La1:	call *pv_ops+8(%rip)\n"
				".La2:	pop %rbp\n"
				"	ret\n"
				"	.size func_a,.-func_a\n"
				"	.globl func_b\n"
				"	.type func_b,@function\n"
				"func_b:\n"
				".Lb1:	.byte 0x90,0x90,0x90\n"
				".Lb2:\n"
				".Lc1:	mov %rdi,%rax\n"
				"	.byte 0x90,0x90,0x90,0x90,0x90\n"
				".Lc2:	ret\n"
				"	.size func_b,.-func_b\n"
				"	.globl asm_label\n"
				"asm_label:\n"
				"	xor %eax,%eax\n"
				".Ld1:	.byte 0xe9\n"
				"	.long 0\n"
				".Ld2:	ret\n"
				"	.globl func_e\n"
				"	.type func_e,@function\n"
				"func_e:\n"
				".Lf1:	lock incl (%rdi)\n"
				"	.byte 0x90,0x90\n"
				".Lf2:	ret\n"
				"	.size func_e,.-func_e\n"
				"	.globl func_d\n"
				"	.type func_d,@function\n"
				"func_d:\n"
				".Ls1:	call __SCT__foo\n"
				".Ls2:	jmp __SCT__bar\n"
				"	.size func_d,.-func_d\n"
				"	.globl __SCT__foo\n"
				"	.type __SCT__foo,@function\n"
				"__SCT__foo:\n"
				"	.byte 0xe9\n"
				"	.long 0\n"
				"	.size __SCT__foo,5\n"
				"	.globl __SCT__bar\n"
				"	.type __SCT__bar,@function\n"
				"__SCT__bar:\n"
				"	.byte 0xe9\n"
				"	.long 0\n"
				"	.size __SCT__bar,5\n"
				"	.globl BUG_func\n"
				"	.type BUG_func,@function\n"
				"BUG_func:\n"
				"	ud2\n"
				"	.size BUG_func,2\n"
				"	.globl nop_func\n"
				"	.type nop_func,@function\n"
				"nop_func:\n"
				"	ret\n"
				"	.size nop_func,1\n"
				"	.globl _etext\n"
				"_etext:\n"
				"	.section .init.text,\"ax\",@progbits\n"
				"	.globl __init_begin\n"
				"__init_begin:\n"
				"	.globl init_func\n"
				"	.type init_func,@function\n"
				"init_func:\n"
				".Le1:	.byte 0x0f,0x1f,0x40,0x00\n"
				".Le2:	ret\n"
				"	.size init_func,.-init_func\n"
				"	.globl __init_end\n"
				"__init_end:\n"
				"	.section .altinstr_replacement,\"ax\",@progbits\n"
				".Lr0:	call BUG_func\n"
				".Lr0e:\n"
				".Lr1:	lfence\n"
				".Lr1e:\n"
				".Lr2:	stac\n"
				".Lr2e:\n"
				".Lr3:	call func_a\n"
				".Lr3e:\n"
				".Lr4:	jmp func_a\n"
				".Lr4e:\n"
				".Lr5:	xchg %ax,%ax\n"
				".Lr5e:\n"
				".Lr6:	incl (%rdi)\n"
				".Lr6e:\n"
				"	ALT .La1, .La2, .Lr0, .Lr0e, F_DCALL | ALWAYS\n"
				"	ALT .Lb1, .Lb2, .Lr1, .Lr1e, LFENCE_RDTSC\n"
				"	ALT .Lc1, .Lc1+5, .Lr2, .Lr2e, SMAP\n"
				"	ALT .Lc1, .Lc2, .Lr3, .Lr3e, F_NOT | XENPV\n"
				"	ALT .Ld1, .Ld2, .Lr4, .Lr4e, SPECTRE_V2\n"
				"	ALT .Le1, .Le2, .Lr5, .Lr5e, 1*32+0\n"
				"	ALT .Lf1, .Lf2, .Lr6, .Lr6e, XENPV\n"
				"	.section .smp_locks,\"a\",@progbits\n"
				"	.long .Lf1 - .\n"
				"	.section .static_call_sites,\"a\",@progbits\n"
				"	.long .Ls1 - .\n"
				"	.long __SCK__foo - .\n"
				"	.long .Ls2 - .\n"
				"	.long __SCK__bar + 1 - .\n"
				"	.data\n"
				"	.balign 8\n"
				"	.globl pv_ops\n"
				"	.type pv_ops,@object\n"
				"pv_ops:\n"
				"	.quad 0, nop_func\n"
				"	.size pv_ops,16\n"
				"	.globl __SCK__foo\n"
				"	.type __SCK__foo,@object\n"
				"__SCK__foo:\n"
				"	.quad func_a, 0\n"
				"	.size __SCK__foo,16\n"
				"	.globl __SCK__bar\n"
				"	.type __SCK__bar,@object\n"
				"__SCK__bar:\n"
				"	.quad 0, 0\n"
				"	.size __SCK__bar,16\n"
				"	.section .rodata,\"a\",@progbits\n"
				"	.globl linux_banner\n"
				"	.type linux_banner,@object\n"
				"linux_banner:\n"
				"	.asciz \"Linux version @VERSION@ (test@pvtrace) #1\\n\"\n"
				"	.size linux_banner,.-linux_banner\n"
				".Lfpu:	.asciz \"fpu\"\n"
				".Lsmap:	.asciz \"@SMAP@\"\n"
				".Lv2:	.asciz \"spectre_v2\"\n"
				"	.balign 8\n"
				"	.globl x86_cap_flags\n"
				"	.type x86_cap_flags,@object\n"
				"x86_cap_flags:\n"
				"	.quad .Lfpu\n"
				"	.org x86_cap_flags + SMAP * 8\n"
				"	.quad .Lsmap\n"
				"	.org x86_cap_flags + 22 * 32 * 8\n"
				"	.size x86_cap_flags, 22 * 32 * 8\n"
				"	.globl x86_bug_flags\n"
				"	.type x86_bug_flags,@object\n"
				"x86_bug_flags:\n"
				"	.org x86_bug_flags + 16 * 8\n"
				"	.quad .Lv2\n"
				"	.org x86_bug_flags + 2 * 32 * 8\n"
				"	.size x86_bug_flags, 2 * 32 * 8\n";

/*
 * Fixture with a pre-6.3 style 12-byte alt_instr (no flags; ALT_NOT in bit 15 of cpuid)
 * described by BTF, and a .parainstructions table (16-byte x86_64 entries) like kernels
 * before 6.8.
 */
static const char old_s[] = "	.text\n"
			    "	.globl old_func\n"
			    "	.type old_func,@function\n"
			    "old_func:\n"
			    "	nop\n"
			    ".Lo1:	.byte 0x90,0x90,0x90\n"
			    ".Lo2:\n"
			    ".Lp1:	call *pv_ops+16(%rip)\n"
			    ".Lp2:	ret\n"
			    "	.size old_func,.-old_func\n"
			    "	.section .altinstr_replacement,\"ax\",@progbits\n"
			    ".Lr:	lfence\n"
			    ".Lre:\n"
			    "	.section .altinstructions,\"a\",@progbits\n"
			    "	.long .Lo1 - .\n"
			    "	.long .Lr - .\n"
			    "	.2byte 9*32+20\n"
			    "	.byte .Lo2 - .Lo1\n"
			    "	.byte .Lre - .Lr\n"
			    "	.long .Lo1 - .\n"
			    "	.long .Lr - .\n"
			    "	.2byte 0x8000 | (8*32+16)\n" /* ALT_NOT(X86_FEATURE_XENPV) */
			    "	.byte .Lo2 - .Lo1\n"
			    "	.byte .Lre - .Lr\n"
			    "	.section .parainstructions,\"a\",@progbits\n"
			    "	.quad .Lp1\n"
			    "	.byte 2, .Lp2 - .Lp1\n"
			    "	.fill 6, 1, 0\n"
			    "	.data\n"
			    "	.balign 8\n"
			    "	.globl pv_ops\n"
			    "pv_ops:\n"
			    "	.fill 4, 8, 0\n";

static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* fixture_s with its placeholders replaced */
static char *fixture(const char *version, const char *smap)
{
	static char out[sizeof(fixture_s) + 256];
	const char *v = strstr(fixture_s, "@VERSION@"), *s = strstr(fixture_s, "@SMAP@");

	snprintf(out, sizeof(out), "%.*s%s%.*s%s%s", (int)(v - fixture_s), fixture_s, version,
		 (int)(s - v - 9), v + 9, smap, s + 6);
	return out;
}

/* assemble NAME.s into NAME.o and link NAME.elf at the kernel's address */
static int build(const char *name, const char *text)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s.s", dir, name);
	if (write_text(p, text))
		return -1;
	return run("cd %s && as --64 -o %s.o %s.s && ld -m elf_x86_64 -static -nostdlib "
		   "--build-id=sha1 -e 0 -Ttext=0xffffffff81000000 -o %s.elf %s.o",
		   dir, name, name, name, name);
}

/* BTF with the old struct alt_instr and paravirt types, added as .BTF to old.o */
static int build_old_btf(void)
{
	struct btf *b = btf__new_empty();
	int s32, u8, u16, ptr, vp, alt, pps, cpu, irq, tmpl;
	const void *raw;
	uint32_t size;
	char p[256];
	FILE *f;

	s32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	u8 = btf__add_int(b, "unsigned char", 1, 0);
	u16 = btf__add_int(b, "short unsigned int", 2, 0);
	ptr = btf__add_ptr(b, u8);
	vp = btf__add_ptr(b, 0);
	alt = btf__add_struct(b, "alt_instr", 12);
	btf__add_field(b, "instr_offset", s32, 0, 0);
	btf__add_field(b, "repl_offset", s32, 32, 0);
	btf__add_field(b, "cpuid", u16, 64, 0);
	btf__add_field(b, "instrlen", u8, 80, 0);
	btf__add_field(b, "replacementlen", u8, 88, 0);
	pps = btf__add_struct(b, "paravirt_patch_site", 16);
	btf__add_field(b, "instr", ptr, 0, 0);
	btf__add_field(b, "type", u8, 64, 0);
	btf__add_field(b, "len", u8, 72, 0);
	cpu = btf__add_struct(b, "pv_cpu_ops", 16);
	btf__add_field(b, "io_delay", vp, 0, 0);
	btf__add_field(b, "read_cr0", vp, 64, 0);
	irq = btf__add_struct(b, "pv_irq_ops", 16);
	btf__add_field(b, "save_fl", vp, 0, 0);
	btf__add_field(b, "irq_disable", vp, 64, 0);
	tmpl = btf__add_struct(b, "paravirt_patch_template", 32);
	btf__add_field(b, "cpu", cpu, 0, 0);
	btf__add_field(b, "irq", irq, 128, 0);
	if (s32 < 0 || alt < 0 || pps < 0 || tmpl < 0)
		return -1;
	raw = btf__raw_data(b, &size);
	snprintf(p, sizeof(p), "%s/old.btf", dir);
	f = fopen(p, "w");
	if (!f || fwrite(raw, 1, size, f) != size || fclose(f))
		return -1;
	btf__free(b);
	return run("cd %s && objcopy --add-section .BTF=old.btf --set-section-flags "
		   ".BTF=alloc,readonly old.o old-btf.o",
		   dir);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	libbpf_set_print(quiet); /* malformed BTF is expected below */
	if (!mkdtemp(dir))
		return -1;
	if (build("fix", fixture("6.12.0-fixture", "smap")) || build("old", old_s) ||
	    build_old_btf())
		return -1;
	snprintf(fix_exec, sizeof(fix_exec), "%s/fix.elf", dir);
	snprintf(fix_rel, sizeof(fix_rel), "%s/fix.o", dir);
	snprintf(fix_old, sizeof(fix_old), "%s/old-btf.o", dir);
	return 0;
}

static int teardown(void **state)
{
	const char *seeds = getenv("PVTRACE_SEED_DIR");

	(void)state;
	/* tests/fuzz/make-corpus.sh: keep the fixtures as the fuzzer's seed corpus */
	if (seeds && run("cp %s/fix.elf %s/fix2.elf '%s'/ && cp %s/fix.o '%s'/fix-rel.elf && "
			 "cp %s/old-btf.o '%s'/old-btf-rel.elf",
			 dir, dir, seeds, dir, seeds, dir, seeds))
		return -1;
	return run("rm -rf %s", dir);
}

/* --- helpers ---------------------------------------------------------------------- */

struct loaded {
	struct kelf k;
	struct kelf_features f;
	struct kelf_alt_layout l;
	struct kelf_alts a;
	struct kelf_alt_site *s;
	size_t ns;
};

static void load(struct loaded *x, const char *path)
{
	char err[256];

	assert_int_equal(kelf_open(&x->k, path, err, sizeof(err)), 0);
	kelf_features_load(&x->k, &x->f);
	kelf_alt_layout_fixed(&x->l);
	assert_int_equal(kelf_alts_read(&x->k, &x->l, x->f.nbits, &x->a, err, sizeof(err)), 0);
	assert_int_equal(kelf_alt_sites(&x->k, &x->a, &x->s, &x->ns), 0);
}

static void unload(struct loaded *x)
{
	free(x->s);
	kelf_alts_free(&x->a);
	kelf_features_free(&x->f);
	kelf_close(&x->k);
}

static const char *fname(const struct loaded *x, size_t site, char *buf, size_t len)
{
	const struct kelf_sym *s = x->s[site].func;

	if (!s)
		return "?";
	snprintf(buf, len, "%s+%llu", s->name, (unsigned long long)(x->s[site].addr - s->addr));
	return buf;
}

static const uint8_t *bytes_at(const struct loaded *x, uint64_t a, size_t n)
{
	static uint8_t b[256];

	assert_int_equal(kelf_read(&x->k, a, b, n), 0);
	return b;
}

/* --- parsing ------------------------------------------------------------------------ */

static void check_inventory(const char *path, bool exec)
{
	struct loaded x;
	char b[64], nb[48];
	const struct kelf_alt *e;

	load(&x, path);
	assert_int_equal(x.a.n, 7);
	assert_int_equal(x.ns, 6);
	/* entry 0: DIRECT_CALL | ALWAYS at func_a+1, call *pv_ops+8(%rip) (6) -> call (5) */
	e = &x.a.v[0];
	assert_string_equal(kelf_feature_name(&x.f, e->cpuid, nb, sizeof(nb)),
			    "X86_FEATURE_ALWAYS");
	assert_int_equal(e->cpuid, 3 * 32 + 21);
	assert_int_equal(e->flags, ALT_FLAG_DIRECT_CALL);
	assert_int_equal(e->instrlen, 6);
	assert_int_equal(e->repllen, 5);
	assert_string_equal(fname(&x, 0, b, sizeof(b)), "func_a+1");
	assert_memory_equal(bytes_at(&x, e->addr, 2), "\xff\x15", 2);
	assert_int_equal(bytes_at(&x, e->repl, 1)[0], 0xe8);
	/* entry 1 */
	assert_string_equal(kelf_feature_name(&x.f, x.a.v[1].cpuid, nb, sizeof(nb)),
			    "X86_FEATURE_LFENCE_RDTSC");
	assert_string_equal(fname(&x, 1, b, sizeof(b)), "func_b+0");
	assert_memory_equal(bytes_at(&x, x.a.v[1].repl, 3), "\x0f\xae\xe8", 3);
	/* entries 2 and 3: one site, the longer original wins */
	assert_int_equal(x.s[2].n, 2);
	assert_int_equal(x.s[2].first, 2);
	assert_int_equal(x.s[2].len, 8);
	assert_int_equal(x.a.v[2].instrlen, 5);
	assert_int_equal(x.a.v[3].instrlen, 8);
	assert_int_equal(x.a.v[3].flags, ALT_FLAG_NOT);
	assert_string_equal(kelf_feature_name(&x.f, x.a.v[3].cpuid, nb, sizeof(nb)),
			    "X86_FEATURE_XENPV");
	assert_string_equal(fname(&x, 2, b, sizeof(b)), "func_b+3");
	/* a bug bit, a global asm label without size */
	assert_string_equal(kelf_feature_name(&x.f, x.a.v[4].cpuid, nb, sizeof(nb)),
			    "X86_BUG_SPECTRE_V2");
	assert_string_equal(fname(&x, 3, b, sizeof(b)), "asm_label+2");
	/* an unnamed bit, in init text */
	assert_string_equal(kelf_feature_name(&x.f, x.a.v[5].cpuid, nb, sizeof(nb)), "bit 1*32+0");
	assert_string_equal(fname(&x, 4, b, sizeof(b)), "init_func+0");
	assert_string_equal(kelf_sec_at(&x.k, x.s[4].addr)->name, ".init.text");
	assert_string_equal(fname(&x, 5, b, sizeof(b)), "func_e+0");
	for (size_t i = 0; i < x.a.n; i++)
		assert_string_equal(kelf_sec_at(&x.k, x.a.v[i].repl)->name,
				    ".altinstr_replacement");
	/* ELF metadata */
	assert_string_equal(x.f.version, "6.12.0-fixture");
	assert_int_equal(x.k.build_id_len, exec ? 20 : 0);
	assert_non_null(kelf_sym(&x.k, "pv_ops"));
	assert_null(kelf_sym(&x.k, "no_such_symbol"));
	unload(&x);
}

static void test_inventory_exec(void **state)
{
	(void)state;
	check_inventory(fix_exec, true);
}

static void test_inventory_rel(void **state)
{
	struct kelf k;
	char err[256];

	(void)state;
	check_inventory(fix_rel, false);
	assert_int_equal(kelf_open(&k, fix_rel, err, sizeof(err)), 0);
	assert_true(k.rel);
	assert_true(k.relocs_applied >= 20);
	kelf_close(&k);
}

static void test_features(void **state)
{
	struct kelf_features f;
	struct kelf k;
	char err[256], nb[48], p[256];

	(void)state;
	assert_int_equal(kelf_open(&k, fix_exec, err, sizeof(err)), 0);
	kelf_features_load(&k, &f);
	assert_true(f.from_table);
	assert_int_equal(f.kernel_names, 3);
	assert_int_equal(f.agree, 3);
	assert_int_equal(f.ncapints, 22);
	assert_int_equal(f.nbugints, 2);
	assert_int_equal(f.nbits, 768);
	assert_string_equal(f.cpuinfo[9 * 32 + 20], "smap");
	assert_null(f.cpuinfo[8 * 32 + 16]);
	assert_int_equal(kelf_feature_bit(&f, "XENPV"), 8 * 32 + 16);
	assert_int_equal(kelf_feature_bit(&f, "X86_FEATURE_XENPV"), 8 * 32 + 16);
	assert_int_equal(kelf_feature_bit(&f, "smap"), 9 * 32 + 20);
	assert_int_equal(kelf_feature_bit(&f, "x86_bug_spectre_v2"), 22 * 32 + 16);
	assert_int_equal(kelf_feature_bit(&f, "3*32+21"), 3 * 32 + 21);
	assert_int_equal(kelf_feature_bit(&f, "NO_SUCH_FEATURE"), -1);
	kelf_features_free(&f);

	/* a table for another version: the kernel's own cpuinfo names */
	static const struct x86_feature_def t[] = { { 9 * 32 + 20, "X86_FEATURE_SMAP", "smap" } };
	kelf_features_load_table(&k, &f, t, 1, 22, 2, "5.15");
	assert_false(f.from_table);
	assert_null(f.name[9 * 32 + 20]);
	assert_string_equal(kelf_feature_name(&f, 9 * 32 + 20, nb, sizeof(nb)), "smap");
	assert_string_equal(kelf_feature_name(&f, 22 * 32 + 16, nb, sizeof(nb)), "spectre_v2");
	assert_string_equal(kelf_feature_name(&f, 8 * 32 + 16, nb, sizeof(nb)), "bit 8*32+16");
	assert_non_null(strstr(f.source, "another version"));
	kelf_features_free(&f);
	/* same version, but a table with a different NCAPINTS: not used */
	kelf_features_load_table(&k, &f, t, 1, 21, 2, "6.12");
	assert_false(f.from_table);
	kelf_features_free(&f);
	kelf_close(&k);

	/* a kernel whose cpuinfo name disagrees with the table */
	assert_int_equal(build("fix2", fixture("6.12.9", "smapx")), 0);
	snprintf(p, sizeof(p), "%s/fix2.elf", dir);
	assert_int_equal(kelf_open(&k, p, err, sizeof(err)), 0);
	kelf_features_load(&k, &f);
	assert_false(f.from_table);
	assert_int_equal(f.disagree, 1);
	assert_string_equal(kelf_feature_name(&f, 9 * 32 + 20, nb, sizeof(nb)), "smapx");
	assert_non_null(strstr(f.source, "disagrees"));
	kelf_features_free(&f);
	kelf_close(&k);
}

static void test_summary(void **state)
{
	struct kelf_feat_sum *fs;
	struct kelf_func_sum *fn;
	size_t nfs, nfn, total = 0;
	struct loaded x;

	(void)state;
	load(&x, fix_exec);
	assert_int_equal(kelf_alt_summary(&x.a, x.s, x.ns, &fs, &nfs, &fn, &nfn), 0);
	assert_int_equal(nfs, 6);
	/* sorted by entries, then bit: XENPV (2 entries, one NOT, two functions) first */
	assert_int_equal(fs[0].bit, 8 * 32 + 16);
	assert_int_equal(fs[0].entries, 2);
	assert_int_equal(fs[0].not_flag, 1);
	assert_int_equal(fs[0].functions, 2);
	assert_int_equal(fs[1].bit, 1 * 32 + 0);
	for (size_t i = 0; i < nfs; i++) {
		total += fs[i].entries;
		if (fs[i].bit == 3 * 32 + 21)
			assert_int_equal(fs[i].direct_call, 1);
	}
	assert_int_equal(total, 7);
	assert_int_equal(nfn, 5);
	assert_string_equal(fn[0].name, "func_b");
	assert_int_equal(fn[0].entries, 3);
	assert_int_equal(fn[0].sites, 2);
	assert_int_equal(fn[0].features, 3);
	assert_string_equal(fn[1].name, "asm_label");
	free(fs);
	free(fn);
	unload(&x);
}

static void test_static_calls(void **state)
{
	const char *paths[] = { fix_exec, fix_rel };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct kelf_scall *v;
		struct kelf k;
		char err[256];
		size_t n;

		assert_int_equal(kelf_open(&k, paths[i], err, sizeof(err)), 0);
		assert_int_equal(kelf_scalls_read(&k, &v, &n, err, sizeof(err)), 0);
		assert_int_equal(n, 2);
		assert_int_equal(v[0].addr, kelf_sym(&k, "func_d")->addr);
		assert_int_equal(v[0].key, kelf_sym(&k, "__SCK__foo")->addr);
		assert_false(v[0].tail);
		assert_int_equal(v[1].addr, kelf_sym(&k, "func_d")->addr + 5);
		assert_int_equal(v[1].key, kelf_sym(&k, "__SCK__bar")->addr);
		assert_true(v[1].tail);
		free(v);
		kelf_close(&k);
	}
}

static void test_btf_layout_and_para(void **state)
{
	struct kelf_para_layout pl;
	struct kelf_alt_layout l;
	struct kelf_para *p;
	struct kelf_alts a;
	struct btf *btf;
	struct kelf k;
	char err[256], path[64];
	size_t n;

	(void)state;
	assert_int_equal(kelf_open(&k, fix_old, err, sizeof(err)), 0);
	btf = kelf_btf(&k);
	assert_non_null(btf);
	assert_int_equal(kelf_alt_layout_btf(btf, &l, err, sizeof(err)), 0);
	assert_int_equal(l.size, 12);
	assert_int_equal(l.cpuid_bitoff, 64);
	assert_int_equal(l.cpuid_bits, 16);
	assert_int_equal(l.flags_bits, 0);
	assert_int_equal(l.cpuid_not, 0x8000);
	assert_int_equal(l.instrlen_off, 10);
	assert_int_equal(l.repllen_off, 11);
	assert_non_null(strstr(l.source, "NOT is bit 15 of the 16-bit cpuid"));
	assert_int_equal(kelf_alts_read(&k, &l, 768, &a, err, sizeof(err)), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.v[0].cpuid, 9 * 32 + 20);
	assert_int_equal(a.v[0].flags, 0);
	assert_int_equal(a.v[0].instrlen, 3);
	assert_int_equal(a.v[0].repllen, 3);
	assert_int_equal(a.v[0].addr, kelf_sym(&k, "old_func")->addr + 1);
	/* 0x8110: NOT + XENPV, not feature bit 33040 */
	assert_int_equal(a.v[1].cpuid, 8 * 32 + 16);
	assert_int_equal(a.v[1].flags, ALT_FLAG_NOT);
	kelf_alts_free(&a);
	/* the fixed pre-6.3 layout reads the same, the padlen one does not fit */
	kelf_alt_layout_pre63(&l, false);
	assert_int_equal(l.size, 12);
	assert_int_equal(kelf_alts_read(&k, &l, 768, &a, err, sizeof(err)), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.v[1].cpuid, 8 * 32 + 16);
	assert_int_equal(a.v[1].flags, ALT_FLAG_NOT);
	kelf_alts_free(&a);
	kelf_alt_layout_pre63(&l, true);
	assert_int_equal(l.size, 13);
	assert_int_equal(kelf_alts_read(&k, &l, 768, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "24 bytes is not a multiple of 13"));
	/* the 6.12 layout does not fit this table: proved wrong, not misread */
	kelf_alt_layout_fixed(&l);
	assert_int_equal(kelf_alts_read(&k, &l, 0, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a multiple of 14"));
	/* .parainstructions with its BTF layout and pv_ops slot names */
	kelf_para_layout(btf, &pl);
	assert_int_equal(pl.size, 16);
	assert_non_null(strstr(pl.source, "BTF"));
	assert_int_equal(kelf_paras_read(&k, &pl, &p, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].addr, kelf_sym(&k, "old_func")->addr + 4);
	assert_int_equal(p[0].type, 2);
	assert_int_equal(p[0].len, 6);
	assert_int_equal(
		kbtf_member_path(btf, "paravirt_patch_template", p[0].type * 8, path, sizeof(path)),
		0);
	assert_string_equal(path, "irq.save_fl");
	assert_int_equal(kbtf_member_path(btf, "paravirt_patch_template", 8, path, sizeof(path)),
			 0);
	assert_string_equal(path, "cpu.read_cr0");
	free(p);
	btf__free(btf);
	kelf_close(&k);
	/* no .parainstructions: zero entries, no error */
	assert_int_equal(kelf_open(&k, fix_exec, err, sizeof(err)), 0);
	kelf_para_layout(NULL, &pl);
	assert_int_equal(kelf_paras_read(&k, &pl, &p, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	kelf_close(&k);
}

/* --- x86 decoder ------------------------------------------------------------------ */

static void test_decode(void **state)
{
	static const struct {
		const char *b;
		int len;
		int imm_off, imm_len, disp_len;
		bool riprel, nop;
	} t[] = {
		{ "\x90", 1, 1, 0, 0, false, true },
		{ "\x66\x90", 2, 2, 0, 0, false, true },
		{ "\xf3\x90", 2, 2, 0, 0, false, false }, /* pause */
		{ "\x0f\x1f\x00", 3, 3, 0, 0, false, true },
		{ "\x0f\x1f\x40\x00", 4, 4, 0, 1, false, true },
		{ "\x0f\x1f\x44\x00\x00", 5, 5, 0, 1, false, true },
		{ "\x66\x2e\x0f\x1f\x84\x00\x00\x00\x00\x00", 10, 10, 0, 4, false, true },
		{ "\xe8\x00\x00\x00\x00", 5, 1, 4, 0, false, false },
		{ "\xe9\x00\x00\x00\x00", 5, 1, 4, 0, false, false },
		{ "\xeb\x05", 2, 1, 1, 0, false, false },
		{ "\x74\x05", 2, 1, 1, 0, false, false },
		{ "\x0f\x84\x00\x00\x00\x00", 6, 2, 4, 0, false, false },
		{ "\xff\x15\x10\x00\x00\x00", 6, 6, 0, 4, true, false }, /* call *x(%rip) */
		{ "\x48\x8b\x05\x10\x00\x00\x00", 7, 7, 0, 4, true, false },
		{ "\x48\x89\xf8", 3, 3, 0, 0, false, false },
		{ "\x48\xb8\x01\x02\x03\x04\x05\x06\x07\x08", 10, 2, 8, 0, false, false },
		{ "\xb8\x01\x02\x03\x04", 5, 1, 4, 0, false, false },
		{ "\x66\xb8\x01\x02", 4, 2, 2, 0, false, false },
		{ "\x0f\xae\xe8", 3, 3, 0, 0, false, false },		      /* lfence */
		{ "\x0f\x01\xcb", 3, 3, 0, 0, false, false },		      /* stac */
		{ "\xf3\x0f\x1e\xfa", 4, 4, 0, 0, false, false },	      /* endbr64 */
		{ "\xf3\x48\x0f\xb8\xc7", 5, 5, 0, 0, false, false },	      /* popcnt */
		{ "\xf2\x0f\x00\xf7", 4, 4, 0, 0, false, false },	      /* lkgs %di */
		{ "\x48\x0f\xc7\x0f", 4, 4, 0, 0, false, false },	      /* cmpxchg16b */
		{ "\x0f\xc7\x5c\x24\x08", 5, 5, 0, 1, false, false },	      /* SIB + disp8 */
		{ "\x8b\x04\x25\x00\x10\x00\x00", 7, 7, 0, 4, false, false }, /* SIB no base */
		{ "\xc7\x05\x00\x00\x00\x00\x01\x00\x00\x00", 10, 6, 4, 4, true, false },
		{ "\x66\xc7\x00\x01\x00", 5, 3, 2, 0, false, false },
		{ "\xf6\x07\x01", 3, 2, 1, 0, false, false }, /* test $1,(%rdi) */
		{ "\xf7\xd8", 2, 2, 0, 0, false, false },     /* neg %eax */
		{ "\xc8\x10\x00\x01", 4, 1, 3, 0, false, false },
		{ "\xa1\x00\x00\x00\x00\x00\x00\x00\x00", 9, 1, 8, 0, false, false },
		{ "\xc5\xf8\x77", 3, 3, 0, 0, false, false },		  /* vzeroupper */
		{ "\xc4\xe3\x79\x0f\xc1\x08", 6, 5, 1, 0, false, false }, /* vpalignr */
		{ "\x62\xf1\x7d\x48\x6f\x07", 6, 6, 0, 0, false, false }, /* vmovdqa32 zmm */
		{ "\x0f\x01\xf9", 3, 3, 0, 0, false, false },		  /* rdtscp */
		{ "\x0f\x30", 2, 2, 0, 0, false, false },		  /* wrmsr */
		{ "\x3e\xff\x07", 3, 3, 0, 0, false, false },		  /* ds incl (%rdi) */
		{ "\xf0\xff\x07", 3, 3, 0, 0, false, false },		  /* lock incl */
		{ "\x0f\x0b", 2, 2, 0, 0, false, false },		  /* ud2 */
		{ "\xc3", 1, 1, 0, 0, false, false },
	};
	struct x86_insn in;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t buf[16] = { 0 };

		memcpy(buf, t[i].b, t[i].len);
		assert_int_equal(x86_decode(buf, t[i].len, &in), 0);
		assert_int_equal(in.len, t[i].len);
		assert_int_equal(in.imm_off, t[i].imm_off);
		assert_int_equal(in.imm_len, t[i].imm_len);
		assert_int_equal(in.disp_len, t[i].disp_len);
		assert_int_equal(in.riprel, t[i].riprel);
		assert_int_equal(x86_insn_is_nop(&in), t[i].nop);
		/* truncated: an error, never a read past the end */
		assert_int_equal(x86_decode(buf, t[i].len - 1, &in), -1);
	}
	assert_int_equal(x86_decode((const uint8_t *)"\x06", 1, &in), -1); /* invalid in 64-bit */
	assert_int_equal(x86_decode((const uint8_t *)"\x66\x66\x66\x66\x66\x66\x66\x66\x66"
						     "\x66\x66\x66\x66\x66\x66\x90",
				    16, &in),
			 -1); /* longer than 15 bytes */
}

/* --- apply_alternatives() model ----------------------------------------------------- */

static void test_optimize_nops(void **state)
{
	uint8_t b[32];

	(void)state;
	memcpy(b, "\x90\x90\x90\x90\x90\x90", 6);
	alt_optimize_nops(b, 6);
	assert_memory_equal(b, "\x66\x0f\x1f\x44\x00\x00", 6);
	/* a NOP that ends the buffer is left alone */
	memcpy(b, "\xe8\x01\x02\x03\x04\x90", 6);
	alt_optimize_nops(b, 6);
	assert_memory_equal(b, "\xe8\x01\x02\x03\x04\x90", 6);
	memcpy(b, "\x90\x90\x90\x48\x89\xf8", 6);
	alt_optimize_nops(b, 6);
	assert_memory_equal(b, "\x0f\x1f\x00\x48\x89\xf8", 6);
	/* more than 11: jmp over int3 */
	memset(b, 0x90, 20);
	alt_optimize_nops(b, 20);
	assert_memory_equal(b, "\xeb\x12\xcc\xcc", 4);
	for (int i = 2; i < 20; i++)
		assert_int_equal(b[i], 0xcc);
	memset(b, 0x90, 11);
	alt_optimize_nops(b, 11);
	assert_memory_equal(b, "\x66\x66\x2e\x0f\x1f\x84\x00\x00\x00\x00\x00", 11);
}

static void test_relocation(void **state)
{
	uint8_t b[16];

	(void)state;
	/* call to 0x5000 assembled at repl 0x2000, copied to instr 0x1000 */
	memcpy(b, "\xe8\xfb\x2f\x00\x00", 5); /* 0x5000 - 0x2005 = 0x2ffb */
	assert_int_equal(alt_apply_relocation(b, 5, 0x1000, 0x2000, 5), 0);
	assert_memory_equal(b, "\xe8\xfb\x3f\x00\x00", 5); /* 0x5000 - 0x1005 */
	/* jmp rel32 to 0x1010 from repl 0x2000: from 0x1000 it fits a jmp8 */
	memcpy(b, "\xe9\x0b\xf0\xff\xff", 5); /* 0x1010 - 0x2005 = -0xff5 */
	assert_int_equal(alt_apply_relocation(b, 5, 0x1000, 0x2000, 5), 0);
	assert_memory_equal(b, "\xeb\x0e\xcc\xcc\xcc", 5); /* 0x1010 - 0x1002 */
	/* a short jump inside the block is not moved */
	memcpy(b, "\x74\x01\x90\x90", 4);
	assert_int_equal(alt_apply_relocation(b, 4, 0x1000, 0x2000, 4), 0);
	assert_memory_equal(b, "\x74\x01\x90\x90", 4);
	/* RIP-relative operand */
	memcpy(b, "\x48\x8b\x05\xf9\x0f\x00\x00", 7); /* 0x3000 - 0x2007 */
	assert_int_equal(alt_apply_relocation(b, 7, 0x1000, 0x2000, 7), 0);
	assert_memory_equal(b, "\x48\x8b\x05\xf9\x1f\x00\x00", 7);
	/* a rel8 that cannot reach any more: the kernel BUG()s, the model says so */
	memcpy(b, "\xeb\x10", 2);
	assert_int_equal(alt_apply_relocation(b, 2, 0x1000, 0x2000, 2), -1);
}

static uint64_t slot_value;

static int read_slot(void *arg, uint64_t addr, uint64_t *val)
{
	(void)arg;
	(void)addr;
	*val = slot_value;
	return 0;
}

static void test_site_images(void **state)
{
	struct alt_model m = { .read_ptr = read_slot };
	const char *paths[] = { fix_exec, fix_rel };
	uint8_t img[ALT_MAX_LEN];
	char why[128];

	(void)state;
	for (int p = 0; p < 2; p++) {
		struct loaded x;
		uint64_t a, fa, lock;
		int32_t rel;

		load(&x, paths[p]);
		fa = kelf_sym(&x.k, "func_a")->addr;
		m.nop_func = kelf_sym(&x.k, "nop_func")->addr;
		/* site 0, DIRECT_CALL: call <pv_ops slot>, padded with one NOP */
		a = x.s[0].addr;
		slot_value = fa + 0x100000; /* well away from the replacement */
		assert_int_equal(alt_site_image(&x.k, &x.a, &x.s[0], 1, &m, img, why, sizeof(why)),
				 0);
		rel = (int32_t)(fa + 0x100000 - (a + 5));
		assert_int_equal(img[0], 0xe8);
		assert_memory_equal(img + 1, &rel, 4);
		assert_int_equal(img[5], 0x90);
		slot_value = m.nop_func; /* nop_func: the call disappears */
		assert_int_equal(alt_site_image(&x.k, &x.a, &x.s[0], 1, &m, img, why, sizeof(why)),
				 0);
		assert_memory_equal(img, "\x66\x0f\x1f\x44\x00\x00", 6);
		slot_value = 0; /* NULL: call BUG_func */
		assert_int_equal(alt_site_image(&x.k, &x.a, &x.s[0], 1, &m, img, why, sizeof(why)),
				 0);
		rel = (int32_t)(kelf_sym(&x.k, "BUG_func")->addr - (a + 5));
		assert_memory_equal(img + 1, &rel, 4);
		/* original: call *pv_ops+8(%rip), unchanged */
		assert_int_equal(alt_site_image(&x.k, &x.a, &x.s[0], 0, &m, img, why, sizeof(why)),
				 0);
		assert_memory_equal(img, "\xff\x15", 2);
		/* site 1: three NOPs become NOP3; lfence replacement */
		assert_int_equal(alt_site_image(&x.k, &x.a, &x.s[1], 0, &m, img, why, sizeof(why)),
				 0);
		assert_memory_equal(img, "\x0f\x1f\x00", 3);
		assert_int_equal(alt_site_image(&x.k, &x.a, &x.s[1], 1, &m, img, why, sizeof(why)),
				 0);
		assert_memory_equal(img, "\x0f\xae\xe8", 3);
		/* site 2 (ALTERNATIVE_2, 8 bytes): mov + NOP5; stac + NOP5; call func_a + NOP3 */
		assert_int_equal(alt_site_image(&x.k, &x.a, &x.s[2], 0, &m, img, why, sizeof(why)),
				 0);
		assert_memory_equal(img, "\x48\x89\xf8\x0f\x1f\x44\x00\x00", 8);
		assert_int_equal(alt_site_image(&x.k, &x.a, &x.s[2], 1, &m, img, why, sizeof(why)),
				 0);
		assert_memory_equal(img, "\x0f\x01\xcb\x0f\x1f\x44\x00\x00", 8);
		assert_int_equal(alt_site_image(&x.k, &x.a, &x.s[2], 2, &m, img, why, sizeof(why)),
				 0);
		rel = (int32_t)(fa - (x.s[2].addr + 5));
		assert_int_equal(img[0], 0xe8);
		assert_memory_equal(img + 1, &rel, 4);
		assert_memory_equal(img + 5, "\x0f\x1f\x00", 3);
		assert_int_equal(alt_site_image(&x.k, &x.a, &x.s[2], 3, &m, img, why, sizeof(why)),
				 -1);
		/* site 5: lock prefix becomes DS on a uniprocessor boot */
		lock = x.s[5].addr;
		m.locks = &lock;
		m.nlocks = 1;
		m.up = true;
		assert_int_equal(alt_site_image(&x.k, &x.a, &x.s[5], 0, &m, img, why, sizeof(why)),
				 0);
		assert_memory_equal(img, "\x3e\xff\x07\x66\x90", 5);
		m.up = false;
		assert_int_equal(alt_site_image(&x.k, &x.a, &x.s[5], 0, &m, img, why, sizeof(why)),
				 0);
		assert_memory_equal(img, "\xf0\xff\x07\x66\x90", 5);
		assert_int_equal(alt_site_image(&x.k, &x.a, &x.s[5], 1, &m, img, why, sizeof(why)),
				 0);
		assert_memory_equal(img, "\xff\x07\x0f\x1f\x00", 5);
		m.locks = NULL;
		m.nlocks = 0;
		unload(&x);
	}
}

static void test_expected_variant(void **state)
{
	uint32_t caps[24] = { 0 };
	struct loaded x;

	(void)state;
	load(&x, fix_exec);
	/* ALWAYS set: DIRECT_CALL applies */
	caps[3] |= 1u << 21;
	assert_int_equal(alt_site_expected(&x.a, &x.s[0], caps, 24), 1);
	assert_int_equal(alt_site_expected(&x.a, &x.s[1], caps, 24), 0);
	/* ALTERNATIVE_2 with !XENPV second: applies when not a Xen PV guest */
	assert_int_equal(alt_site_expected(&x.a, &x.s[2], caps, 24), 2);
	caps[8] |= 1u << 16; /* XENPV */
	assert_int_equal(alt_site_expected(&x.a, &x.s[2], caps, 24), 0);
	caps[9] |= 1u << 20; /* SMAP */
	assert_int_equal(alt_site_expected(&x.a, &x.s[2], caps, 24), 1);
	caps[8] = 0;
	assert_int_equal(alt_site_expected(&x.a, &x.s[2], caps, 24), 2); /* the later one wins */
	caps[22] |= 1u << 16;						 /* bug bit */
	assert_int_equal(alt_site_expected(&x.a, &x.s[3], caps, 24), 1);
	assert_int_equal(alt_site_expected(&x.a, &x.s[3], caps, 22), 0); /* beyond the words */
	unload(&x);
}

static void test_pre_patch(void **state)
{
	const uint64_t site = 0xffffffff81000020, thunk = 0xffffffff81e00000;
	struct alt_model m = { .rets = &site, .nrets = 1, .ret_thunk = thunk };
	uint8_t b[16], jmp[5] = { 0xe9 };
	int32_t rel = (int32_t)(thunk - (site + 5));

	(void)state;
	memcpy(jmp + 1, &rel, 4);
	/* apply_returns() without RETHUNK: ret; int3 x 4 */
	memcpy(b, "\x90", 1);
	memcpy(b + 1, jmp, 5);
	assert_int_equal(alt_pre_patch(&m, b, 6, site - 1), 1);
	assert_memory_equal(b, "\x90\xc3\xcc\xcc\xcc\xcc", 6);
	/* with RETHUNK: jmp x86_return_thunk, relative to the running address */
	m.rethunk = 1;
	m.kaslr = 0x2000000;
	m.return_thunk = 0xffffffff83e00040;
	memcpy(b, jmp, 5);
	assert_int_equal(alt_pre_patch(&m, b, 5, site), 1);
	rel = (int32_t)(m.return_thunk - (site + m.kaslr + 5));
	assert_int_equal(b[0], 0xe9);
	assert_memory_equal(b + 1, &rel, 4);
	/* the ITS thunk applies only in the upper half of a cache line (site & 0x20 here) */
	m.its_thunk = m.return_thunk;
	memcpy(b, jmp, 5);
	assert_int_equal(alt_pre_patch(&m, b, 5, site), 1);
	assert_memory_equal(b, "\xc3\xcc\xcc\xcc\xcc", 5);
	/* RETHUNK unknown: the model cannot say */
	m.rethunk = -1;
	memcpy(b, jmp, 5);
	assert_int_equal(alt_pre_patch(&m, b, 5, site), -1);
	/* a jmp elsewhere is not a return thunk site */
	m.rethunk = 0;
	m.kaslr = 0;
	memcpy(b, "\xe9\x00\x00\x00\x00", 5);
	assert_int_equal(alt_pre_patch(&m, b, 5, site), 0);
	assert_memory_equal(b, "\xe9\x00\x00\x00\x00", 5);

	/* KASLR: absolute kernel addresses move, relative ones and per-CPU offsets do not */
	m = (struct alt_model){ .kaslr = 0x1000000,
				.image_lo = 0xffffffff81000000,
				.image_hi = 0xffffffff83000000,
				.percpu_lo = 0,
				.percpu_hi = 0x39000 };
	memcpy(b, "\x48\x81\xbc\x24\x88\x00\x00\x00\x80\x59\xcf\x81", 12);
	assert_int_equal(alt_pre_patch(&m, b, 12, 0xffffffff81000000), 0);
	assert_memory_equal(b, "\x48\x81\xbc\x24\x88\x00\x00\x00\x80\x59\xcf\x82", 12);
	memcpy(b, "\x48\xb8\x00\x10\x00\x81\xff\xff\xff\xff", 10); /* movabs */
	assert_int_equal(alt_pre_patch(&m, b, 10, 0xffffffff81000000), 0);
	assert_memory_equal(b, "\x48\xb8\x00\x10\x00\x82\xff\xff\xff\xff", 10);
	memcpy(b, "\x48\xc7\xc0\x10\x00\x00\x00", 7); /* mov $16: not an address */
	assert_int_equal(alt_pre_patch(&m, b, 7, 0xffffffff81000000), 0);
	assert_memory_equal(b, "\x48\xc7\xc0\x10\x00\x00\x00", 7);
	memcpy(b, "\xe8\x00\x00\x00\x81", 5); /* call rel32: relative */
	assert_int_equal(alt_pre_patch(&m, b, 5, 0xffffffff81000000), 0);
	assert_memory_equal(b, "\xe8\x00\x00\x00\x81", 5);
	/* movq $-1, %gs:var(%rip) with var at per-CPU offset 0x1000 */
	{
		uint64_t at = 0xffffffff81000100;
		int32_t d = (int32_t)(0x1000 - (at + 12));

		memcpy(b, "\x65\x48\xc7\x05", 4);
		memcpy(b + 4, &d, 4);
		memcpy(b + 8, "\xff\xff\xff\xff", 4);
		assert_int_equal(alt_pre_patch(&m, b, 12, at), 0);
		d -= 0x1000000;
		assert_memory_equal(b + 4, &d, 4);
	}
}

/* --- malformed input ------------------------------------------------------------------ */

/* Everything the command does with an ELF; must never crash. */
static void exercise(const uint8_t *buf, size_t len)
{
	struct kelf_alt_layout l;
	struct kelf_features f;
	struct kelf_alt_site *s;
	struct kelf_scall *sc;
	struct kelf_alts a;
	struct kelf k;
	struct btf *btf;
	char err[256];
	size_t ns, n;

	if (kelf_open_mem(&k, buf, len, err, sizeof(err))) {
		assert_null(strchr(err, '\n'));
		assert_true(err[0] != 0);
		return;
	}
	kelf_features_load(&k, &f);
	btf = kelf_btf(&k);
	if (!btf || kelf_alt_layout_btf(btf, &l, err, sizeof(err)))
		kelf_alt_layout_fixed(&l);
	if (!kelf_alts_read(&k, &l, f.nbits, &a, err, sizeof(err))) {
		struct alt_model m = { .read_ptr = read_slot };
		uint8_t img[ALT_MAX_LEN];

		if (!kelf_alt_sites(&k, &a, &s, &ns)) {
			for (size_t i = 0; i < ns; i++)
				for (size_t v = 0; v <= s[i].n; v++)
					alt_site_image(&k, &a, &s[i], v, &m, img, err, sizeof(err));
			free(s);
		}
		kelf_alts_free(&a);
	}
	if (!kelf_scalls_read(&k, &sc, &n, err, sizeof(err)))
		free(sc);
	btf__free(btf);
	kelf_features_free(&f);
	kelf_close(&k);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	b = malloc(n);
	assert_int_equal(fread(b, 1, n, f), (size_t)n);
	fclose(f);
	*len = n;
	return b;
}

static void test_truncated(void **state)
{
	const char *paths[] = { fix_exec, fix_rel, fix_old };

	(void)state;
	for (int p = 0; p < 3; p++) {
		size_t len;
		uint8_t *b = slurp(paths[p], &len);

		/* every prefix, in a buffer of exactly that size */
		for (size_t n = 0; n < len; n++) {
			uint8_t *c = malloc(n ? n : 1);

			memcpy(c, b, n);
			exercise(c, n);
			free(c);
		}
		free(b);
	}
}

static void test_corrupted(void **state)
{
	const char *paths[] = { fix_exec, fix_rel, fix_old };
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int p = 0; p < 3; p++) {
		size_t len;
		uint8_t *b = slurp(paths[p], &len), *c = malloc(len);

		for (int round = 0; round < 3000; round++) {
			memcpy(c, b, len);
			/* flip a few bytes, biased towards the headers */
			for (int i = 0; i < 1 + round % 8; i++) {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				size_t at = (seed >> 33) % (round % 2 ? len : 128 + len / 16);

				c[at % len] = seed >> 17;
			}
			exercise(c, len);
		}
		free(c);
		free(b);
	}
}

static void test_errors(void **state)
{
	struct kelf k;
	char err[256];
	uint8_t b[128] = { 0 };

	(void)state;
	assert_int_equal(kelf_open(&k, "/nonexistent/vmlinux", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/vmlinux: No such file"));
	assert_int_equal(kelf_open_mem(&k, "junk", 4, err, sizeof(err)), -1);
	assert_string_equal(err, "not an ELF file");
	memcpy(b,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	assert_int_equal(kelf_open_mem(&k, b, 16, err, sizeof(err)), -1);
	assert_string_equal(err, "not an ELF file (truncated header)");
	b[0x12] = 183; /* EM_AARCH64 */
	assert_int_equal(kelf_open_mem(&k, b, sizeof(b), err, sizeof(err)), -1);
	assert_string_equal(err, "not an x86-64 ELF file (e_machine 183)");
	b[4] = 1; /* ELFCLASS32 */
	assert_int_equal(kelf_open_mem(&k, b, sizeof(b), err, sizeof(err)), -1);
	assert_string_equal(err, "not a 64-bit little-endian ELF file");
}

/* --- kimage: layout choice, identification, where vmlinux lives ------------------------ */

/* six 14-byte entries: 84 bytes, a multiple of 12 too */
static const char six_s[] = "	.macro ALT\n"
			    "	.pushsection .altinstructions,\"a\",@progbits\n"
			    "	.long .Lo - .\n"
			    "	.long .Lr - .\n"
			    "	.4byte 9*32+20\n"
			    "	.byte 3, 3\n"
			    "	.popsection\n"
			    "	.endm\n"
			    "	.text\n"
			    "	.globl six\n"
			    "	.type six,@function\n"
			    "six:\n"
			    ".Lo:	.byte 0x90,0x90,0x90\n"
			    "	ret\n"
			    "	.size six,.-six\n"
			    "	.section .altinstr_replacement,\"ax\",@progbits\n"
			    ".Lr:	lfence\n"
			    "	ALT\n	ALT\n	ALT\n	ALT\n	ALT\n	ALT\n";

static void test_kimage_alts(void **state)
{
	struct kelf_alt_layout l;
	struct kelf_alts a;
	struct btf *btf;
	struct kelf k;
	char err[512], p[256];

	(void)state;
	/* 12-byte table: its BTF says so */
	assert_int_equal(kelf_open(&k, fix_old, err, sizeof(err)), 0);
	btf = kelf_btf(&k);
	assert_int_equal(kimage_alts(&k, btf, "the ELF's .BTF", "", 768, &l, &a, err, sizeof(err)),
			 0);
	assert_int_equal(l.size, 12);
	assert_non_null(strstr(l.source, "BTF struct alt_instr (12 bytes"));
	assert_non_null(strstr(l.source, "from the ELF's .BTF"));
	assert_int_equal(a.n, 2);
	assert_int_equal(a.v[1].flags, ALT_FLAG_NOT);
	kelf_alts_free(&a);
	/* without BTF: a 6.1 version allows 12 or 13 bytes, and only 12 fits */
	assert_int_equal(
		kimage_alts(&k, NULL, NULL, "6.1.0-57-cloud-amd64", 768, &l, &a, err, sizeof(err)),
		0);
	assert_int_equal(l.size, 12);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.v[1].cpuid, 8 * 32 + 16);
	assert_int_equal(a.v[1].flags, ALT_FLAG_NOT);
	assert_non_null(strstr(l.source, "before 6.3 (12 bytes"));
	assert_non_null(strstr(l.source, "(the one of 2 layouts for Linux 6.1.0-57-cloud-amd64 "
					 "that fits): 24 bytes = 2 entries"));
	kelf_alts_free(&a);
	/* an unknown version: all three tried, one fits */
	assert_int_equal(kimage_alts(&k, NULL, NULL, "", 768, &l, &a, err, sizeof(err)), 0);
	assert_int_equal(l.size, 12);
	assert_non_null(strstr(l.source, "the one of 3 layouts for an unknown version"));
	kelf_alts_free(&a);
	/* a 6.3+ version: only 14 bytes, which this table is not */
	assert_int_equal(kimage_alts(&k, NULL, NULL, "6.12.5", 768, &l, &a, err, sizeof(err)), -1);
	assert_string_equal(err, ".altinstructions: 24 bytes is not a multiple of 14-byte entries "
				 "(14-byte struct alt_instr of Linux 6.12.5, no BTF)");
	assert_null(a.v);
	btf__free(btf);
	kelf_close(&k);

	/* the 14-byte fixture: 98 bytes fit no older layout */
	assert_int_equal(kelf_open(&k, fix_exec, err, sizeof(err)), 0);
	assert_int_equal(kimage_alts(&k, NULL, NULL, "", 768, &l, &a, err, sizeof(err)), 0);
	assert_int_equal(l.size, 14);
	assert_int_equal(a.n, 7);
	assert_int_equal(a.v[3].flags, ALT_FLAG_NOT);
	assert_int_equal(a.v[3].cpuid, 8 * 32 + 16);
	kelf_alts_free(&a);
	assert_int_equal(kimage_alts(&k, NULL, NULL, "5.10.0", 768, &l, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err,
			       "no struct alt_instr layout fits (no BTF): 12 bytes: "
			       ".altinstructions: 98 bytes is not a multiple of 12-byte entries; "
			       "13 bytes: .altinstructions: 98 bytes is not a multiple of 13"));
	kelf_close(&k);

	/* six 14-byte entries (84 bytes) are also seven of 12: the proof tells them apart */
	assert_int_equal(build("six", six_s), 0);
	snprintf(p, sizeof(p), "%s/six.elf", dir);
	assert_int_equal(kelf_open(&k, p, err, sizeof(err)), 0);
	assert_int_equal(kimage_alts(&k, NULL, NULL, "", 768, &l, &a, err, sizeof(err)), 0);
	assert_int_equal(l.size, 14);
	assert_int_equal(a.n, 6);
	assert_non_null(strstr(l.source, "the one of 3 layouts for an unknown version that fits"));
	kelf_alts_free(&a);
	/* claimed to be 6.1: 12 bytes divide the table, but the entries disprove it */
	assert_int_equal(kimage_alts(&k, NULL, NULL, "6.1.0", 768, &l, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no struct alt_instr layout fits (no BTF): 12 bytes: "
				    ".altinstructions entry "));
	kelf_close(&k);
}

static void test_kimage_identify(void **state)
{
	struct kelf k;
	char err[256], why[256];

	(void)state;
	assert_int_equal(kelf_open(&k, fix_exec, err, sizeof(err)), 0);
	assert_int_equal(kimage_identify(&k, why, sizeof(why)), 0);
	assert_string_equal(why, "Linux 6.12.0-fixture (linux_banner)");
	kelf_close(&k);
	/* no banner, no .modinfo: an object, not a kernel */
	assert_int_equal(kelf_open(&k, fix_old, err, sizeof(err)), 0);
	assert_int_equal(kimage_identify(&k, why, sizeof(why)), -1);
	assert_string_equal(why, "not a Linux kernel image or module (no linux_banner symbol, no "
				 ".modinfo vermagic, no kernel sections)");
	kelf_close(&k);
	/* a module: .modinfo with vermagic */
	assert_int_equal(run("cd %s && printf 'license=GPL\\0vermagic=6.1.0 SMP mod_unload\\0' "
			     ">modinfo && objcopy --add-section .modinfo=modinfo old.o mod.ko",
			     dir),
			 0);
	snprintf(why, sizeof(why), "%s/mod.ko", dir);
	assert_int_equal(kelf_open(&k, why, err, sizeof(err)), 0);
	assert_int_equal(kimage_identify(&k, why, sizeof(why)), 0);
	assert_string_equal(why, "a kernel module (.modinfo has vermagic)");
	kelf_close(&k);
	/* a vmlinux without symbols */
	assert_int_equal(run("cd %s && strip -o stripped.elf fix.elf", dir), 0);
	snprintf(why, sizeof(why), "%s/stripped.elf", dir);
	assert_int_equal(kelf_open(&k, why, err, sizeof(err)), 0);
	assert_null(kelf_sym(&k, "linux_banner"));
	assert_int_equal(kimage_identify(&k, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "a vmlinux without symbols"));
	kelf_close(&k);
}

static void test_kimage_find(void **state)
{
	static const struct {
		const char *release;
		bool debian;
	} t[] = {
		{ "6.1.0-57-cloud-amd64", true },
		{ "6.1.0-57-amd64", true },
		{ "6.12.117+deb12-amd64", true },
		{ "6.12.38+deb13-cloud-amd64", true },
		{ "5.10.0-30-arm64", true },
		{ "6.1.0-57-rt-amd64", true },
		{ "6.18.44-fc-v857", false },
		{ "6.12.0-rc1-amd64", false },
		{ "6.12.0", false },
		{ "amd64", false },
		{ "6.1.0-57-cloud-amd64x", false },
		{ "", false },
	};
	char pkg[160], path[256], err[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char want[160];

		snprintf(want, sizeof(want), "linux-image-%s-dbg", t[i].release);
		assert_int_equal(kimage_debian_dbg_pkg(t[i].release, pkg, sizeof(pkg)),
				 t[i].debian);
		assert_string_equal(pkg, want);
	}
	assert_int_equal(kimage_find_vmlinux("6.1.0-0-pvtrace-amd64", false, path, sizeof(path),
					     err, sizeof(err)),
			 -1);
	assert_null(strchr(err, '\n'));
	assert_string_equal(
		err,
		"no vmlinux for kernel 6.1.0-0-pvtrace-amd64: looked in "
		"/usr/lib/debug/boot/vmlinux-6.1.0-0-pvtrace-amd64, "
		"/usr/lib/debug/lib/modules/6.1.0-0-pvtrace-amd64/vmlinux, "
		"/boot/vmlinux-6.1.0-0-pvtrace-amd64, "
		"/lib/modules/6.1.0-0-pvtrace-amd64/build/vmlinux; install Debian's "
		"linux-image-6.1.0-0-pvtrace-amd64-dbg, which provides it, or pass --vmlinux FILE");
	assert_int_equal(
		kimage_find_vmlinux("6.99.0-pvtrace", true, path, sizeof(path), err, sizeof(err)),
		-1);
	assert_true(strncmp(err, "no vmlinux for the running kernel 6.99.0-pvtrace: looked in ",
			    60) == 0);
	assert_non_null(strstr(err, "; Debian's linux-image-6.99.0-pvtrace-dbg would provide it, "
				    "but 6.99.0-pvtrace does not look like a Debian kernel "
				    "release; pass --vmlinux FILE"));
}

static void on_alarm(int sig)
{
	(void)sig;
	fail_msg("kelf_open blocked");
}

static void test_open_special(void **state)
{
	struct kelf k;
	char err[512], p[256];

	(void)state;
	signal(SIGALRM, on_alarm);
	alarm(10);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(kelf_open(&k, p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/fifo: not a regular file (a FIFO)"));
	assert_int_equal(kelf_open(&k, dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": not a regular file (a directory)"));
	assert_int_equal(kelf_open(&k, "/dev/null", err, sizeof(err)), -1);
	assert_string_equal(err, "/dev/null: not a regular file (a character device)");
	alarm(0);
}

static void test_build_id_notes(void **state)
{
	/* Linux note, then GNU build id, as in /sys/kernel/notes */
	static const uint8_t notes[] = { 6, 0,	 0,   0,   4,	0,   0, 0,    1,    1,	  0,
					 0, 'L', 'i', 'n', 'u', 'x', 0, 0,    0,    1,	  2,
					 3, 4,	 4,   0,   0,	0,   4, 0,    0,    0,	  3,
					 0, 0,	 0,   'G', 'N', 'U', 0, 0xde, 0xad, 0xbe, 0xef };
	uint8_t id[20];

	(void)state;
	assert_int_equal(kelf_notes_build_id(notes, sizeof(notes), id, sizeof(id)), 4);
	assert_memory_equal(id, "\xde\xad\xbe\xef", 4);
	assert_int_equal(kelf_notes_build_id(notes, sizeof(notes) - 1, id, sizeof(id)), -1);
	assert_int_equal(kelf_notes_build_id(notes, 30, id, sizeof(id)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory_exec),	 cmocka_unit_test(test_inventory_rel),
		cmocka_unit_test(test_features),	 cmocka_unit_test(test_summary),
		cmocka_unit_test(test_static_calls),	 cmocka_unit_test(test_btf_layout_and_para),
		cmocka_unit_test(test_decode),		 cmocka_unit_test(test_optimize_nops),
		cmocka_unit_test(test_relocation),	 cmocka_unit_test(test_site_images),
		cmocka_unit_test(test_expected_variant), cmocka_unit_test(test_pre_patch),
		cmocka_unit_test(test_errors),		 cmocka_unit_test(test_build_id_notes),
		cmocka_unit_test(test_kimage_alts),	 cmocka_unit_test(test_kimage_identify),
		cmocka_unit_test(test_kimage_find),	 cmocka_unit_test(test_open_special),
		cmocka_unit_test(test_truncated),	 cmocka_unit_test(test_corrupted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
