// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Histogram math: slots, per-CPU folding, epochs, deltas, percentiles. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "histogram.h"

static void test_slots(void **state)
{
	(void)state;
	assert_int_equal(hist_slot_of(0), 0);
	assert_int_equal(hist_slot_of(1), 0);
	assert_int_equal(hist_slot_of(2), 1);
	assert_int_equal(hist_slot_of(3), 1);
	assert_int_equal(hist_slot_of(4), 2);
	assert_int_equal(hist_slot_of(1023), 9);
	assert_int_equal(hist_slot_of(1024), 10);
	assert_int_equal(hist_slot_of(UINT64_MAX), 63);
	for (int i = 1; i < HIST_SLOTS; i++) {
		assert_int_equal(hist_slot_of(hist_slot_low(i)), i);
		assert_int_equal(hist_slot_of(hist_slot_high(i - 1) - 1), i - 1);
	}
	assert_int_equal(hist_slot_high(0), 2);
	assert_true(hist_slot_high(63) == UINT64_MAX);
}

static void test_bpf_log2_agrees(void **state)
{
	(void)state;
	for (int i = 0; i < 64; i++) {
		uint64_t v = 1ULL << i;

		assert_int_equal(log2_u64(v), hist_slot_of(v));
		assert_int_equal(log2_u64(v - 1), hist_slot_of(v - 1));
		assert_int_equal(log2_u64(v + 1), hist_slot_of(v + 1));
	}
	assert_int_equal(log2_u64(0), 0);
}

static void test_fold_and_epochs(void **state)
{
	struct hist v[3];
	struct hist_data d;

	(void)state;
	memset(v, 0, sizeof(v));
	/* cpu0: current epoch 5 */
	v[0].slots[3] = 2;
	v[0].sum = 20;
	v[0].epoch = 5;
	v[0].min = 9;
	v[0].max = 11;
	/* cpu1: already rolled into epoch 6; its epoch-5 values are prev */
	v[1].slots[4] = 1;
	v[1].slots[10] = 1;
	v[1].sum = 1040;
	v[1].epoch = 6;
	v[1].min = 1030;
	v[1].max = 1030;
	v[1].prev_epoch = 5;
	v[1].prev_min = 17;
	v[1].prev_max = 17;
	/* cpu2: last events long ago (epoch 2): no min/max for epoch 5 */
	v[2].slots[1] = 1;
	v[2].sum = 3;
	v[2].epoch = 2;
	v[2].min = 3;
	v[2].max = 3;
	hist_fold_percpu(&d, v, 3, 5);
	assert_int_equal(d.count, 5);
	assert_int_equal(d.sum, 20 + 1040 + 3);
	assert_int_equal(d.slots[3], 2);
	assert_int_equal(d.min, 9);
	assert_int_equal(d.max, 17);
}

static void test_delta_exact(void **state)
{
	struct hist_data a, b, d;

	(void)state;
	hist_data_init(&a);
	for (int i = 1; i <= 1000; i++)
		hist_data_add(&a, i);
	b = a;
	for (int i = 1; i <= 10; i++)
		hist_data_add(&b, 5000);
	hist_delta(&d, &b, &a);
	assert_int_equal(d.count, 10);
	assert_int_equal(d.sum, 50000);
	assert_int_equal(d.slots[hist_slot_of(5000)], 10);
	for (int i = 0; i < HIST_SLOTS; i++)
		if (i != hist_slot_of(5000))
			assert_int_equal(d.slots[i], 0);
}

static void test_percentiles(void **state)
{
	struct hist_data h;
	double p;

	(void)state;
	hist_data_init(&h);
	assert_true(hist_percentile(&h, 50) == 0);
	/* one value: every percentile is that value (clamped to min/max) */
	hist_data_add(&h, 3000);
	assert_true(hist_percentile(&h, 50) == 3000);
	assert_true(hist_percentile(&h, 99) == 3000);

	/* 90 values in [1024,2048), 10 in [65536,131072) */
	hist_data_init(&h);
	for (int i = 0; i < 90; i++)
		hist_data_add(&h, 1024 + i * 10);
	for (int i = 0; i < 10; i++)
		hist_data_add(&h, 70000 + i);
	p = hist_percentile(&h, 50);
	assert_true(p >= 1024 && p < 2048);
	p = hist_percentile(&h, 90);
	assert_true(p >= 1024 && p < 2048);
	p = hist_percentile(&h, 91);
	assert_true(p >= 65536 && p <= 70009);
	p = hist_percentile(&h, 100);
	assert_true(p == 70009);
	/* monotonic in p */
	for (int q = 1; q < 100; q++)
		assert_true(hist_percentile(&h, q) <= hist_percentile(&h, q + 1));
}

static void test_merge(void **state)
{
	struct hist_data a, b;

	(void)state;
	hist_data_init(&a);
	hist_data_init(&b);
	hist_data_add(&a, 5);
	hist_data_add(&b, 1);
	hist_data_add(&b, 100);
	hist_merge(&a, &b);
	assert_int_equal(a.count, 3);
	assert_int_equal(a.sum, 106);
	assert_int_equal(a.min, 1);
	assert_int_equal(a.max, 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots),		cmocka_unit_test(test_bpf_log2_agrees),
		cmocka_unit_test(test_fold_and_epochs), cmocka_unit_test(test_delta_exact),
		cmocka_unit_test(test_percentiles),	cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
