// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Histogram math: slots, per-CPU folding, epochs, deltas, percentiles. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "histogram.h"
#include "report.h"

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

/* Put count events of value v (epoch 1) on CPU 0 of key k in a per-CPU hash. */
static void put(int fd, uint32_t k, int ncpus, uint64_t count, uint64_t v)
{
	struct hist *vals = calloc(ncpus, sizeof(*vals));

	assert_non_null(vals);
	vals[0].slots[hist_slot_of(v)] = count;
	vals[0].sum = count * v;
	vals[0].min = vals[0].max = v;
	vals[0].epoch = 1;
	assert_int_equal(bpf_map_update_elem(fd, &k, vals, BPF_ANY), 0);
	free(vals);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Series kept in two maps (latency's hists and spill): one series, counts added. */
static void test_read_two_maps(void **state)
{
	int ncpus = libbpf_num_possible_cpus(), fd[2];
	struct hist_set hs;

	(void)state;
	if (geteuid()) {
		skip(); /* creating BPF maps needs root; CI runs the unit tests as root */
		return;
	}
	for (int i = 0; i < 2; i++) {
		fd[i] = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "pvt_test", 4, sizeof(struct hist),
				       16, NULL);
		assert_true(fd[i] >= 0);
	}
	assert_int_equal(hist_set_init(&hs, sizeof(uint32_t), u32_cmp), 0);
	put(fd[0], 7, ncpus, 10, 100);
	put(fd[1], 7, ncpus, 5, 5000); /* the same series, spilled */
	put(fd[1], 9, ncpus, 3, 40);   /* a series only in the second map */
	assert_int_equal(hist_set_read_maps(&hs, fd, 2, 1), 0);
	assert_int_equal(hs.n, 2);
	assert_int_equal(*(uint32_t *)hs.s[0].key, 7);
	assert_int_equal(hs.s[0].cum.count, 15);
	assert_int_equal(hs.s[0].cum.sum, 10 * 100 + 5 * 5000);
	assert_int_equal(hs.s[0].interval.min, 100);
	assert_int_equal(hs.s[0].interval.max, 5000);
	assert_int_equal(hs.s[1].cum.count, 3);
	hist_set_next_interval(&hs);
	/* next interval: key 7 grew in the first map only, key 9 is gone from every map */
	put(fd[0], 7, ncpus, 12, 100);
	uint32_t k9 = 9;
	assert_int_equal(bpf_map_delete_elem(fd[1], &k9), 0);
	assert_int_equal(hist_set_read_maps(&hs, fd, 2, 1), 0);
	assert_int_equal(hs.s[0].cum.count, 17);
	assert_int_equal(hs.s[0].interval.count, 2);
	assert_int_equal(hs.s[1].interval.count, 0);
	assert_int_equal(hs.s[1].cum.count, 3);
	hist_set_free(&hs);
	close(fd[0]);
	close(fd[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots),		cmocka_unit_test(test_bpf_log2_agrees),
		cmocka_unit_test(test_fold_and_epochs), cmocka_unit_test(test_delta_exact),
		cmocka_unit_test(test_percentiles),	cmocka_unit_test(test_merge),
		cmocka_unit_test(test_read_two_maps),
	};

	return cmocka_run_group_tests_name("histogram", tests, NULL, NULL);
}
