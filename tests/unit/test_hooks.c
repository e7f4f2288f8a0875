// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace hooks: trampoline decoding, steal rates (symbol names: test_ksyms.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/types.h>
#include "hooks.h"

/* __SCT__pv_sched_clock at ffffffff822716e8 jumping to kvm_sched_clock_read (6.18 host) */
static void test_decode_jmp_back(void **state)
{
	const uint8_t b[] = { 0xe9, 0x53, 0xe4, 0xfe, 0xff, 0x0f, 0xb9, 0xcc };
	struct tramp_insn i;

	(void)state;
	hooks_decode_tramp(0xffffffff822716e8ULL, b, sizeof(b), &i);
	assert_int_equal(i.kind, TRAMP_JMP);
	assert_true(i.target == 0xffffffff8225fb40ULL);
	assert_int_equal(i.signature, 1);
}

static void test_decode_jmp_forward(void **state)
{
	const uint8_t b[] = { 0xe9, 0x00, 0x10, 0x00, 0x00, 0x0f, 0xb9, 0xcc };
	struct tramp_insn i;

	(void)state;
	hooks_decode_tramp(0xffffffff81000000ULL, b, sizeof(b), &i);
	assert_int_equal(i.kind, TRAMP_JMP);
	assert_true(i.target == 0xffffffff81001005ULL);
}

/* ARCH_DEFINE_STATIC_CALL_NULL_TRAMP without return thunks: ret; int3; nop; nop; nop */
static void test_decode_ret(void **state)
{
	const uint8_t b[] = { 0xc3, 0xcc, 0x90, 0x90, 0x90, 0x0f, 0xb9, 0xcc };
	struct tramp_insn i;

	(void)state;
	hooks_decode_tramp(0xffffffff81000000ULL, b, sizeof(b), &i);
	assert_int_equal(i.kind, TRAMP_RET);
	assert_int_equal(i.signature, 1);
}

static void test_decode_jcc_and_broken(void **state)
{
	const uint8_t jcc[] = { 0x0f, 0x85, 0x10, 0x00, 0x00, 0x00, 0xcc, 0xcc };
	const uint8_t bad[] = { 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc };
	const uint8_t nosig[] = { 0xe9, 0, 0, 0, 0, 0x0f, 0x0b, 0xcc };
	struct tramp_insn i;

	(void)state;
	hooks_decode_tramp(0x1000, jcc, sizeof(jcc), &i);
	assert_int_equal(i.kind, TRAMP_JCC);
	assert_true(i.target == 0x1016);
	assert_int_equal(i.signature, 0);
	hooks_decode_tramp(0x1000, bad, sizeof(bad), &i);
	assert_int_equal(i.kind, TRAMP_BROKEN);
	hooks_decode_tramp(0x1000, nosig, sizeof(nosig), &i);
	assert_int_equal(i.kind, TRAMP_JMP);
	assert_true(i.target == 0x1005);
	assert_int_equal(i.signature, 0);
	hooks_decode_tramp(0x1000, nosig, 4, &i); /* too short */
	assert_int_equal(i.kind, TRAMP_BROKEN);
}

static void test_steal_rate(void **state)
{
	double r, p;

	(void)state;
	/* 50 ms stolen in 2 s on one CPU: 25 ms/s, 2.5 % */
	hooks_steal_rate(50000000, 2000000000, 1, &r, &p);
	assert_float_equal(r, 25000000.0, 1e-6);
	assert_float_equal(p, 2.5, 1e-9);
	/* the same summed over 4 CPUs: percent of all CPUs' time */
	hooks_steal_rate(50000000, 2000000000, 4, &r, &p);
	assert_float_equal(r, 25000000.0, 1e-6);
	assert_float_equal(p, 0.625, 1e-9);
	hooks_steal_rate(5, 0, 1, &r, &p);
	assert_float_equal(r, 0, 0);
	assert_float_equal(p, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_jmp_back),
		cmocka_unit_test(test_decode_jmp_forward),
		cmocka_unit_test(test_decode_ret),
		cmocka_unit_test(test_decode_jcc_and_broken),
		cmocka_unit_test(test_steal_rate),
	};

	return cmocka_run_group_tests_name("hooks", tests, NULL, NULL);
}
