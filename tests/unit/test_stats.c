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

static void test_adjust(void **state)
{
	/* by the definitions: Holm sorted 0.005 0.01 0.03 0.04 -> 4p 3p 2p 1p, running max */
	double p[] = { 0.01, 0.04, 0.03, 0.005 }, adj[4];
	double holm[] = { 0.03, 0.06, 0.06, 0.02 }, bh[] = { 0.02, 0.04, 0.04, 0.02 };

	(void)state;
	stats_holm(p, 4, adj);
	for (int i = 0; i < 4; i++)
		assert_float_equal(adj[i], holm[i], 1e-12);
	stats_bh(p, 4, adj);
	for (int i = 0; i < 4; i++)
		assert_float_equal(adj[i], bh[i], 1e-12);
	/* capped at 1, a single p unchanged */
	double q[] = { 0.6, 0.7 };

	stats_holm(q, 2, adj);
	assert_float_equal(adj[0], 1, 0);
	assert_float_equal(adj[1], 1, 0);
	stats_bh(p, 1, adj);
	assert_float_equal(adj[0], 0.01, 1e-12);
}

static void test_bootstrap(void **state)
{
	double x[40], y[40];
	struct stats_ci a, b, small;
	struct rng r;

	(void)state;
	rng_seed(&r, 3);
	fill(&r, x, 40, 100, 2);
	fill(&r, y, 40, 110, 2.2);
	assert_int_equal(stats_boot_ratio(x, 40, y, 40, 2000, 0.95, 9, &a), 0);
	assert_true(a.lo < 1.10 && a.hi > 1.10);
	assert_true(a.lo <= a.ratio && a.ratio <= a.hi);
	assert_float_equal(a.defined, 1, 0);
	/* the same seed, the same interval; fewer runs, a wider one */
	assert_int_equal(stats_boot_ratio(x, 40, y, 40, 2000, 0.95, 9, &b), 0);
	assert_float_equal(a.lo, b.lo, 0);
	assert_float_equal(a.hi, b.hi, 0);
	assert_int_equal(stats_boot_ratio(x, 5, y, 5, 2000, 0.95, 9, &small), 0);
	assert_true(small.hi - small.lo > a.hi - a.lo);
	/* errors: median 0, too few resamples */
	double z[] = { 0, 0, 1 };

	assert_int_equal(stats_boot_ratio(z, 3, y, 5, 2000, 0.95, 9, &b), -EINVAL);
	assert_int_equal(stats_boot_ratio(x, 5, y, 5, 10, 0.95, 9, &b), -EINVAL);
}

static void test_welch_and_t(void **state)
{
	double x[] = { 1, 2, 3 }, y[] = { 1, 2, 3 }, c1[] = { 5, 5 }, c2[] = { 6, 6 }, t, df, p;

	(void)state;
	/* t with 1 df is Cauchy: CDF(1) = 3/4; symmetric */
	assert_float_equal(stats_t_cdf(1, 1), 0.75, 1e-12);
	assert_float_equal(stats_t_cdf(-1, 1), 0.25, 1e-12);
	assert_float_equal(stats_t_cdf(0, 7), 0.5, 1e-12);
	assert_float_equal(stats_betai(1, 1, 0.3), 0.3, 1e-12); /* uniform */
	assert_int_equal(stats_welch(x, 3, y, 3, &t, &df, &p), 0);
	assert_float_equal(t, 0, 0);
	assert_float_equal(p, 1, 1e-12);
	assert_int_equal(stats_welch(c1, 2, c2, 2, &t, &df, &p), 0);
	assert_float_equal(p, 0, 0);
	assert_int_equal(stats_welch(x, 1, y, 3, &t, &df, &p), -EINVAL);
}

static void test_rank_tests(void **state)
{
	double x[] = { 1, 2, 3, 4 }, y[] = { 5, 6, 7, 8 }, same[] = { 3, 3, 3 }, u, d, p;

	(void)state;
	/* complete separation, 4 + 4: exact p = 2 / C(8, 4) for both tests */
	assert_int_equal(stats_mwu(x, 4, y, 4, STATS_AUTO, &u, &p), 0);
	assert_float_equal(u, 0, 0);
	assert_float_equal(p, 2.0 / 70, 1e-12);
	assert_int_equal(stats_ks2(x, 4, y, 4, STATS_AUTO, &d, &p), 0);
	assert_float_equal(d, 1, 0);
	assert_float_equal(p, 2.0 / 70, 1e-12);
	assert_int_equal(stats_pinpoint_p(x, 4, y, 4, &p), 0);
	assert_float_equal(p, 2.0 / 70, 1e-12);
	/* all tied: no evidence */
	assert_int_equal(stats_mwu(same, 3, same, 3, STATS_AUTO, &u, &p), 0);
	assert_float_equal(p, 1, 0);
	assert_int_equal(stats_ks2(same, 3, same, 3, STATS_AUTO, &d, &p), 0);
	assert_float_equal(p, 1, 0);
	assert_int_equal(stats_mwu(x, 0, y, 4, STATS_AUTO, &u, &p), -EINVAL);
	/* one-sample Kolmogorov: D_n >= 1/(2n) always, never >= 1 */
	assert_float_equal(stats_kolmogorov_sf(10, 0.04), 1, 0);
	assert_float_equal(stats_kolmogorov_sf(10, 1), 0, 0);
}

static void test_lkp(void **state)
{
	double x[] = { 100, 101, 99, 100.5, 99.5, 130 }, y[] = { 110, 111, 109, 110.5 };
	double near[] = { 101.5, 102, 101.8, 102.2 }, ch;

	(void)state;
	/* 130 is an outlier of x: trimmed, the ranges are then apart */
	assert_true(stats_lkp(x, 6, y, 4, 0.05, &ch));
	assert_true(ch > 0.09 && ch < 0.11);
	/* apart but a change under the threshold */
	assert_false(stats_lkp(x, 5, near, 4, 0.05, &ch));
	assert_true(stats_lkp(x, 5, near, 4, 0.01, &ch));
	/* overlapping ranges */
	double o[] = { 100.8, 104, 106, 108 };

	assert_false(stats_lkp(x, 5, o, 4, 0.01, &ch));
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
		cmocka_unit_test(test_adjust),
		cmocka_unit_test(test_bootstrap),
		cmocka_unit_test(test_welch_and_t),
		cmocka_unit_test(test_rank_tests),
		cmocka_unit_test(test_lkp),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
