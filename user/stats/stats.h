/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Statistics for comparing benchmark results (one value per run): quantiles, the
 * bootstrap confidence interval of a ratio of medians, rank and distribution tests
 * (Mann-Whitney U, two-sample Kolmogorov-Smirnov), Welch's t-test, multiple-comparison
 * adjustments (Holm, Benjamini-Hochberg), and the decision rules of other CI systems
 * (LKP's range separation, Pinpoint's min of two p-values). No state, no I/O; every
 * random choice comes from a caller's seed (rng.h).
 */
#ifndef PVTRACE_STATS_H
#define PVTRACE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sort x[0..n) ascending (copy first to keep the original). */
void stats_sort(double *x, size_t n);
/* Quantile q in [0, 1] of sorted s[0..n), linear interpolation between order statistics
 * (R type 7, numpy's default); NAN when n == 0. */
double stats_quantile_sorted(const double *s, size_t n, double q);
/* Median of unsorted x[0..n) (a copy is sorted); NAN when n == 0 or out of memory. */
double stats_median(const double *x, size_t n);
double stats_mean(const double *x, size_t n);
/* Sample variance (n - 1 denominator); 0 when n < 2. */
double stats_var(const double *x, size_t n);

/* How a test's p-value is computed. */
enum stats_method {
	STATS_AUTO,  /* exact when small enough and (MWU) without ties, else asymptotic */
	STATS_EXACT, /* exact: MWU needs n1 * n2 <= STATS_EXACT_MAX (ties ignored) */
	STATS_ASYMP,
};
#define STATS_EXACT_MAX 2500 /* largest n1 * n2 of an exact distribution */

/*
 * Mann-Whitney U, two-sided. *u: U of x (pairs x_i > y_j, ties counting half), *p.
 * Exact: 2 P(U' >= max(U, n1 n2 - U)) from the permutation distribution (no ties);
 * asymptotic: normal with the tie correction of the variance and a continuity
 * correction of 0.5. Auto: exact when there are no ties and n1 n2 <= STATS_EXACT_MAX.
 * 0, or -EINVAL (an empty sample, exact when too large), -ENOMEM.
 */
int stats_mwu(const double *x, size_t n1, const double *y, size_t n2, enum stats_method m,
	      double *u, double *p);
/*
 * Two-sample Kolmogorov-Smirnov, two-sided: *d = sup |F1 - F2|, *p = P(D >= d). Exact:
 * the lattice-path count of Hodges (n1 * n2 <= 10000 in auto); asymptotic: the
 * one-sample Kolmogorov distribution at round(n1 n2 / (n1 + n2)) (Marsaglia, Tsang &
 * Wang 2003). 0, -EINVAL, -ENOMEM.
 */
int stats_ks2(const double *x, size_t n1, const double *y, size_t n2, enum stats_method m,
	      double *d, double *p);
/* P(D_n >= d) of the one-sample Kolmogorov statistic (Marsaglia-Tsang-Wang); NAN on ENOMEM. */
double stats_kolmogorov_sf(unsigned n, double d);
/*
 * Welch's unequal-variance t-test, two-sided: t of mean(x) - mean(y) (scipy's order), the
 * Welch-Satterthwaite df, p from Student's t (regularized incomplete beta).
 * n1, n2 >= 2, else -EINVAL. Both variances 0: p 1 when the means are equal, else 0.
 */
int stats_welch(const double *x, size_t n1, const double *y, size_t n2, double *t, double *df,
		double *p);
/* Regularized incomplete beta I_x(a, b), a, b > 0, x in [0, 1]. */
double stats_betai(double a, double b, double x);
/* Student's t CDF with df degrees of freedom. */
double stats_t_cdf(double t, double df);

/* Adjusted p-values (in the input order): Holm's step-down, Benjamini-Hochberg. */
void stats_holm(const double *p, size_t n, double *adj);
void stats_bh(const double *p, size_t n, double *adj);

/*
 * Bootstrap percentile confidence interval of median(y) / median(x): B resamples of each
 * side (with replacement, independently), from a generator seeded with seed. *ratio: the
 * observed ratio. Resamples whose median(x) <= 0 have no ratio: *defined is the fraction
 * that had one; the interval is of those. conf: e.g. 0.95. 0, -EINVAL (empty sample,
 * median(x) <= 0, B < 100), -ENOMEM.
 */
struct stats_ci {
	double ratio, lo, hi, defined;
};
int stats_boot_ratio(const double *x, size_t n1, const double *y, size_t n2, unsigned B,
		     double conf, uint64_t seed, struct stats_ci *ci);

/*
 * LKP's rule (the kernel test robot's comparison, lkp-tests): each sample's outliers are
 * dropped (values outside Tukey's fences, 1.5 IQR beyond the quartiles, when n >= 4);
 * a change is flagged when the trimmed min..max ranges do not overlap AND the mean moved
 * by more than threshold (a fraction). *change: mean(y) / mean(x) - 1 of the trimmed
 * samples. Returns whether it is flagged (false on an empty sample or no memory).
 */
bool stats_lkp(const double *x, size_t n1, const double *y, size_t n2, double threshold,
	       double *change);
/* Pinpoint's p-value (Chromium's bisection): min(MWU p, KS p), neither corrected. */
int stats_pinpoint_p(const double *x, size_t n1, const double *y, size_t n2, double *p);
#endif
