// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The statistics library (user/stats/): quantiles, change points, tests, adjustments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include "stats/changepoint.h"
#include "stats/rng.h"
#include "stats/stats.h"

/* standard normal deviates (Box-Muller) from the library's generator */
static double gauss(struct rng *r)
{
	double u = rng_double(r), v = rng_double(r);

	return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

static void fill(struct rng *r, double *x, size_t n, double mean, double sd)
{
	for (size_t i = 0; i < n; i++)
		x[i] = mean + sd * gauss(r);
}

static void test_rng(void **state)
{
	struct rng a, b;
	unsigned hist[10] = { 0 };

	(void)state;
	rng_seed(&a, 42);
	rng_seed(&b, 42);
	for (int i = 0; i < 100; i++)
		assert_true(rng_next(&a) == rng_next(&b));
	rng_seed(&b, 43);
	assert_true(rng_next(&a) != rng_next(&b));
	for (int i = 0; i < 100000; i++) {
		uint64_t v = rng_below(&a, 10);

		assert_true(v < 10);
		hist[v]++;
	}
	/* each bucket near 10000 (binomial sd ~95) */
	for (int i = 0; i < 10; i++)
		assert_true(hist[i] > 9500 && hist[i] < 10500);
	assert_true(rng_seed_from_name("a") != rng_seed_from_name("b"));
	assert_true(rng_seed_from_name("ioctl/KVM_RUN.p50") ==
		    rng_seed_from_name("ioctl/KVM_RUN.p50"));
}

static void test_quantiles(void **state)
{
	double s[] = { 1, 2, 3, 4 }, x[] = { 5, 1, 4, 2, 3 };

	(void)state;
	assert_true(isnan(stats_quantile_sorted(s, 0, 0.5)));
	assert_float_equal(stats_quantile_sorted(s, 4, 0.5), 2.5, 1e-12);
	assert_float_equal(stats_quantile_sorted(s, 4, 0.25), 1.75, 1e-12);
	assert_float_equal(stats_quantile_sorted(s, 4, 0), 1, 1e-12);
	assert_float_equal(stats_quantile_sorted(s, 4, 1), 4, 1e-12);
	assert_float_equal(stats_median(x, 5), 3, 1e-12);
	assert_float_equal(stats_median(x, 4), 3, 1e-12); /* 5 1 4 2: 2 4 -> 3 */
	assert_float_equal(stats_mean(x, 5), 3, 1e-12);
	assert_float_equal(stats_var(x, 5), 2.5, 1e-12);
	assert_float_equal(stats_var(x, 1), 0, 1e-12);
	/* x is untouched */
	assert_float_equal(x[0], 5, 0);
}

static void test_changepoint_step(void **state)
{
	double x[60];
	struct changepoint cp[8];
	size_t idx[8], found;
	struct rng r;

	(void)state;
	rng_seed(&r, 7);
	fill(&r, x, 35, 100, 1);
	fill(&r, x + 35, 25, 110, 1);
	assert_int_equal(changepoints_detail(x, 60, 0.05, 199, 1, cp, 8, &found), 0);
	assert_int_equal(found, 1);
	assert_int_equal(cp[0].idx, 35);
	assert_true(fabs(cp[0].before - 100) < 1);
	assert_true(fabs(cp[0].after - 110) < 1);
	assert_true(cp[0].p <= 0.05);
	/* the plain interface agrees, and the same seed gives the same answer */
	assert_int_equal(changepoints(x, 60, 0.05, 199, 1, idx, 8, &found), 0);
	assert_int_equal(found, 1);
	assert_int_equal(idx[0], 35);
}

static void test_changepoint_two_steps(void **state)
{
	double x[90];
	struct changepoint cp[8];
	size_t found;
	struct rng r;

	(void)state;
	rng_seed(&r, 11);
	fill(&r, x, 30, 50, 1);
	fill(&r, x + 30, 30, 60, 1);
	fill(&r, x + 60, 30, 45, 1);
	assert_int_equal(changepoints_detail(x, 90, 0.05, 199, 3, cp, 8, &found), 0);
	assert_int_equal(found, 2);
	assert_int_equal(cp[0].idx, 30);
	assert_int_equal(cp[1].idx, 60);
	assert_true(cp[0].after > 59 && cp[0].after < 61);
	assert_true(cp[1].after > 44 && cp[1].after < 46);
	/* max bounds what is written */
	assert_int_equal(changepoints_detail(x, 90, 0.05, 199, 3, cp, 1, &found), 0);
	assert_int_equal(found, 1);
}

static void test_changepoint_flat(void **state)
{
	double x[80];
	size_t idx[8], found = 99;
	struct rng r;

	(void)state;
	rng_seed(&r, 5);
	fill(&r, x, 80, 100, 2);
	assert_int_equal(changepoints(x, 80, 0.05, 199, 1, idx, 8, &found), 0);
	assert_int_equal(found, 0);
	/* constant series: nothing */
	for (int i = 0; i < 80; i++)
		x[i] = 3;
	assert_int_equal(changepoints(x, 80, 0.05, 99, 1, idx, 8, &found), 0);
	assert_int_equal(found, 0);
}

static void test_changepoint_errors(void **state)
{
	double x[10] = { 0 };
	size_t idx[2], found;

	(void)state;
	assert_int_equal(changepoints(x, 5, 0.05, 99, 1, idx, 2, &found), 0);
	assert_int_equal(found, 0);
	assert_int_equal(changepoints(NULL, 5, 0.05, 99, 1, idx, 2, &found), -EINVAL);
	assert_int_equal(changepoints(x, 10, 0, 99, 1, idx, 2, &found), -EINVAL);
	assert_int_equal(changepoints(x, 10, 0.05, 0, 1, idx, 2, &found), -EINVAL);
	x[3] = NAN;
	assert_int_equal(changepoints(x, 10, 0.05, 99, 1, idx, 2, &found), -EINVAL);
	assert_int_equal(changepoints(x, CP_MAX_N + 1, 0.05, 99, 1, idx, 2, &found), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_changepoint_step),
		cmocka_unit_test(test_changepoint_two_steps),
		cmocka_unit_test(test_changepoint_flat),
		cmocka_unit_test(test_changepoint_errors),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
