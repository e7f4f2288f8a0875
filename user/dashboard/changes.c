// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Change points of a dashboard line (one metric, one label): E-divisive means over the
 * point medians (user/stats), kept when the change is at least the metric's practical
 * threshold (a smaller one is "same" whatever the test says, as in compare).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dashboard/dash.h"
#include "stats/changepoint.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* median of v[lo..hi), in a scratch copy */
static double seg_median(const double *v, size_t lo, size_t hi, double *tmp)
{
	size_t n = hi - lo;

	memcpy(tmp, v + lo, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* the magnitudes of cps[0..n) in x[0..len), each against its neighbours */
static void magnitudes(const double *x, size_t len, struct dcp *cp, size_t n, double *tmp)
{
	for (size_t i = 0; i < n; i++) {
		size_t lo = i ? cp[i - 1].at : 0, hi = i + 1 < n ? cp[i + 1].at : len;

		cp[i].before = seg_median(x, lo, cp[i].at, tmp);
		cp[i].after = seg_median(x, cp[i].at, hi, tmp);
	}
}

static bool practical(const struct dcp *c, double threshold)
{
	if (c->before == 0)
		return c->after != 0;
	return fabs(c->after / c->before - 1) >= threshold;
}

int dash_line_changes(struct dline *l, const struct dmetric *d)
{
	size_t n = l->n, found = 0, kept;
	double *x, *tmp;
	size_t *idx;
	int ret = 0;

	l->cps = NULL;
	l->ncp = 0;
	if (n < 2 * CP_MIN_SEGMENT)
		return 0;
	if (n > CP_MAX_N)
		n = CP_MAX_N; /* the oldest CP_MAX_N points; the page says nothing of the rest */
	x = malloc(n * sizeof(*x));
	tmp = malloc(n * sizeof(*tmp));
	idx = malloc(n * sizeof(*idx));
	l->cps = calloc(n, sizeof(*l->cps));
	if (!x || !tmp || !idx || !l->cps) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		x[i] = l->pts[i].med;
	ret = changepoints(x, n, DASH_CP_ALPHA, DASH_CP_PERMS, DASH_CP_SEED, idx, n, &found);
	if (ret) {
		/* not finite or too long: no change points drawn, the line still is */
		ret = ret == -ENOMEM ? ret : 0;
		found = 0;
	}
	for (size_t i = 0; i < found; i++)
		l->cps[i].at = idx[i];
	/* drop the changes below the threshold, re-measuring the rest, until stable */
	for (;;) {
		magnitudes(x, n, l->cps, found, tmp);
		kept = 0;
		for (size_t i = 0; i < found; i++)
			if (practical(&l->cps[i], d->threshold))
				l->cps[kept++] = l->cps[i];
		if (kept == found)
			break;
		found = kept;
	}
	l->ncp = found;
out:
	if (ret) {
		free(l->cps);
		l->cps = NULL;
	}
	free(x);
	free(tmp);
	free(idx);
	return ret;
}
