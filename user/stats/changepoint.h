/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Change points of a series (one value per result, in time order): E-divisive with
 * means (Matteson & James, "A Nonparametric Approach for Multiple Change Point Analysis
 * of Multivariate Data", JASA 2014), univariate, distance exponent 1.
 *
 * Hierarchical: the split of a segment maximising the scaled energy distance
 *   Q(tau, kappa) = m n / (m + n) * [ 2/(m n) sum|X_i - Y_j| - 1/C(m,2) sum|X_i - X_k|
 *                                     - 1/C(n,2) sum|Y_j - Y_k| ]
 * (X = x[s..tau), Y = x[tau..kappa), kappa free up to the segment's end) is found in each
 * current segment; the best one is kept when a permutation test says it is significant:
 * `perms` times the values are shuffled within each current segment and the best
 * statistic recomputed; p = (1 + #{Q_perm >= Q}) / (perms + 1). Splitting stops at the
 * first p > alpha, or when no segment can be split (each side holds at least
 * CP_MIN_SEGMENT values). The shuffles come from a generator seeded with `seed` only:
 * the same input and seed give the same answer.
 *
 * Cost: O(n^2) memory (n <= CP_MAX_N) and O(perms * n^2) time per change point found.
 */
#ifndef PVTRACE_STATS_CHANGEPOINT_H
#define PVTRACE_STATS_CHANGEPOINT_H

#include <stddef.h>
#include <stdint.h>

#define CP_MIN_SEGMENT 3
#define CP_MAX_N       2048

struct changepoint {
	size_t idx;    /* first index after the change: x[idx] starts the new segment */
	double before; /* median of the segment ending at idx (from the previous change) */
	double after;  /* median of the segment starting at idx (up to the next change) */
	double p;      /* the permutation test's p-value when this point was accepted */
	double stat;   /* its statistic Q */
};

/*
 * The change points of x[0..n), at most max of them, ascending by index, into idx;
 * *found: how many were written. alpha: the permutation test's level (e.g. 0.05);
 * perms: permutations per test (e.g. 199; >= 1). Returns 0, or -EINVAL (x NULL with
 * n > 0, a value not finite, alpha outside (0, 1), perms 0), -E2BIG (n > CP_MAX_N),
 * -ENOMEM. A series shorter than 2 * CP_MIN_SEGMENT has none.
 */
int changepoints(const double *x, size_t n, double alpha, unsigned perms, uint64_t seed,
		 size_t *idx, size_t max, size_t *found);

/* The same, with each change's magnitude (medians before and after) and its test. */
int changepoints_detail(const double *x, size_t n, double alpha, unsigned perms, uint64_t seed,
			struct changepoint *cp, size_t max, size_t *found);

#endif
