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

#endif
