// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* E-divisive means change points with a permutation test (changepoint.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "changepoint.h"
#include "rng.h"
#include "stats.h"

/*
 * The best split of v[0..m): *tau (the first index of the right part) and its statistic
 * *q; false when m is too short to split. c: m * (m + 1) doubles of scratch, the
 * prefix sums c[j * (m + 1) + i] = sum over i' < i of |v[i'] - v[j]|.
 */
static bool best_split(const double *v, size_t m, double *c, size_t *tau, double *q)
{
	size_t w = m + 1;
	double wx = 0;
	bool any = false;

	if (m < 2 * CP_MIN_SEGMENT)
		return false;
	for (size_t j = 0; j < m; j++) {
		double *row = c + j * w;

		row[0] = 0;
		for (size_t i = 0; i < m; i++)
			row[i + 1] = row[i] + fabs(v[i] - v[j]);
	}
	for (size_t t = 1; t <= m - CP_MIN_SEGMENT; t++) {
		/* wx: the distances within v[0..t) */
		wx += c[(t - 1) * w + (t - 1)];
		if (t < CP_MIN_SEGMENT)
			continue;
		double between = 0, wy = 0, nx = (double)t;

		for (size_t k = t + 1; k <= m; k++) {
			size_t j = k - 1;

			between += c[j * w + t];
			wy += c[j * w + j] - c[j * w + t];
			if (k - t < CP_MIN_SEGMENT)
				continue;
			double ny = (double)(k - t);
			double e = 2 * between / (nx * ny) - wx / (nx * (nx - 1) / 2) -
				   wy / (ny * (ny - 1) / 2);
			double s = nx * ny / (nx + ny) * e;

			if (!any || s > *q) {
				*q = s;
				*tau = t;
				any = true;
			}
		}
	}
	return any;
}

/* The best split over the segments of x given by bounds[0..nb); *seg its segment. */
static bool best_over(const double *x, const size_t *bounds, size_t nb, double *c, size_t *seg,
		      size_t *tau, double *q)
{
	bool any = false;

	for (size_t k = 0; k + 1 < nb; k++) {
		size_t t;
		double s;

		if (!best_split(x + bounds[k], bounds[k + 1] - bounds[k], c, &t, &s))
			continue;
		if (!any || s > *q) {
			*q = s;
			*tau = bounds[k] + t;
			*seg = k;
			any = true;
		}
	}
	return any;
}

int changepoints_detail(const double *x, size_t n, double alpha, unsigned perms, uint64_t seed,
			struct changepoint *cp, size_t max, size_t *found)
{
	size_t *bounds = NULL, nb = 2;
	double *c = NULL, *work = NULL, *pv = NULL, *st = NULL;
	struct rng r;
	int ret = 0;

	*found = 0;
	if ((!x && n) || !(alpha > 0 && alpha < 1) || !perms || (max && !cp))
		return -EINVAL;
	if (n > CP_MAX_N)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return -EINVAL;
	if (n < 2 * CP_MIN_SEGMENT || !max)
		return 0;
	rng_seed(&r, seed);
	bounds = calloc(n + 2, sizeof(*bounds));
	pv = calloc(n + 2, sizeof(*pv));
	st = calloc(n + 2, sizeof(*st));
	c = malloc(n * (n + 1) * sizeof(*c));
	work = malloc(n * sizeof(*work));
	if (!bounds || !pv || !st || !c || !work) {
		ret = -ENOMEM;
		goto out;
	}
	bounds[0] = 0;
	bounds[1] = n;
	while (nb - 2 < max) {
		size_t seg, tau, ps, pt;
		double q, pq;
		unsigned hits = 0;

		if (!best_over(x, bounds, nb, c, &seg, &tau, &q))
			break;
		for (unsigned p = 0; p < perms; p++) {
			memcpy(work, x, n * sizeof(*work));
			for (size_t k = 0; k + 1 < nb; k++)
				rng_shuffle(&r, work + bounds[k], bounds[k + 1] - bounds[k]);
			if (best_over(work, bounds, nb, c, &ps, &pt, &pq) && pq >= q)
				hits++;
		}
		double pval = (1.0 + hits) / (perms + 1.0);

		if (pval > alpha)
			break;
		/* insert tau after bounds[seg], keeping the arrays sorted */
		memmove(bounds + seg + 2, bounds + seg + 1, (nb - seg - 1) * sizeof(*bounds));
		memmove(pv + seg + 2, pv + seg + 1, (nb - seg - 1) * sizeof(*pv));
		memmove(st + seg + 2, st + seg + 1, (nb - seg - 1) * sizeof(*st));
		bounds[seg + 1] = tau;
		pv[seg + 1] = pval;
		st[seg + 1] = q;
		nb++;
	}
	for (size_t k = 1; k + 1 < nb; k++) {
		struct changepoint *o = &cp[k - 1];

		o->idx = bounds[k];
		o->before = stats_median(x + bounds[k - 1], bounds[k] - bounds[k - 1]);
		o->after = stats_median(x + bounds[k], bounds[k + 1] - bounds[k]);
		o->p = pv[k];
		o->stat = st[k];
	}
	*found = nb - 2;
out:
	free(bounds);
	free(pv);
	free(st);
	free(c);
	free(work);
	return ret;
}

int changepoints(const double *x, size_t n, double alpha, unsigned perms, uint64_t seed,
		 size_t *idx, size_t max, size_t *found)
{
	struct changepoint *cp = NULL;
	int ret;

	*found = 0;
	if (max && !idx)
		return -EINVAL;
	if (max) {
		cp = calloc(max < n ? max : (n ? n : 1), sizeof(*cp));
		if (!cp)
			return -ENOMEM;
	}
	ret = changepoints_detail(x, n, alpha, perms, seed, cp, max < n ? max : n, found);
	for (size_t i = 0; !ret && i < *found; i++)
		idx[i] = cp[i].idx;
	free(cp);
	return ret;
}
