// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Multiple comparisons, the bootstrap of a ratio of medians, LKP's and Pinpoint's rules. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rng.h"
#include "stats.h"

struct ranked {
	double p;
	size_t i;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->p != y->p)
		return (x->p > y->p) - (x->p < y->p);
	return (x->i > y->i) - (x->i < y->i);
}

static struct ranked *rank_p(const double *p, size_t n)
{
	struct ranked *r = malloc((n ? n : 1) * sizeof(*r));

	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++)
		r[i] = (struct ranked){ p[i], i };
	qsort(r, n, sizeof(*r), cmp_ranked);
	return r;
}

void stats_holm(const double *p, size_t n, double *adj)
{
	struct ranked *r = rank_p(p, n);
	double run = 0;

	if (!r) { /* no memory: Bonferroni, which is never less conservative */
		for (size_t i = 0; i < n; i++)
			adj[i] = fmin(1, p[i] * (double)n);
		return;
	}
	for (size_t k = 0; k < n; k++) {
		run = fmax(run, fmin(1, (double)(n - k) * r[k].p));
		adj[r[k].i] = run;
	}
	free(r);
}

void stats_bh(const double *p, size_t n, double *adj)
{
	struct ranked *r = rank_p(p, n);
	double run = 1;

	if (!r) {
		for (size_t i = 0; i < n; i++)
			adj[i] = fmin(1, p[i] * (double)n);
		return;
	}
	for (size_t k = n; k-- > 0;) {
		run = fmin(run, fmin(1, (double)n / (double)(k + 1) * r[k].p));
		adj[r[k].i] = run;
	}
	free(r);
}

static double resample_median(struct rng *r, const double *x, size_t n, double *buf)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = x[rng_below(r, n)];
	stats_sort(buf, n);
	return stats_quantile_sorted(buf, n, 0.5);
}

int stats_boot_ratio(const double *x, size_t n1, const double *y, size_t n2, unsigned B,
		     double conf, uint64_t seed, struct stats_ci *ci)
{
	double mx, *buf, *ratios;
	size_t ok = 0;
	struct rng r;

	if (!n1 || !n2 || B < 100 || !(conf > 0 && conf < 1))
		return -EINVAL;
	mx = stats_median(x, n1);
	if (!(mx > 0))
		return -EINVAL;
	ci->ratio = stats_median(y, n2) / mx;
	buf = malloc((n1 > n2 ? n1 : n2) * sizeof(*buf));
	ratios = malloc(B * sizeof(*ratios));
	if (!buf || !ratios) {
		free(buf);
		free(ratios);
		return -ENOMEM;
	}
	rng_seed(&r, seed);
	for (unsigned b = 0; b < B; b++) {
		double bx = resample_median(&r, x, n1, buf);
		double by = resample_median(&r, y, n2, buf);

		if (bx > 0)
			ratios[ok++] = by / bx;
	}
	ci->defined = (double)ok / B;
	stats_sort(ratios, ok);
	ci->lo = stats_quantile_sorted(ratios, ok, (1 - conf) / 2);
	ci->hi = stats_quantile_sorted(ratios, ok, 1 - (1 - conf) / 2);
	free(buf);
	free(ratios);
	return 0;
}

/* Sorted copy of x without Tukey's outliers (when n >= 4): *out, *m; false on ENOMEM. */
static bool trimmed(const double *x, size_t n, double **out, size_t *m)
{
	double *s = malloc((n ? n : 1) * sizeof(*s)), q1, q3, lo, hi;
	size_t k = 0;

	if (!s)
		return false;
	memcpy(s, x, n * sizeof(*s));
	stats_sort(s, n);
	*out = s;
	*m = n;
	if (n < 4)
		return true;
	q1 = stats_quantile_sorted(s, n, 0.25);
	q3 = stats_quantile_sorted(s, n, 0.75);
	lo = q1 - 1.5 * (q3 - q1);
	hi = q3 + 1.5 * (q3 - q1);
	for (size_t i = 0; i < n; i++)
		if (s[i] >= lo && s[i] <= hi)
			s[k++] = s[i];
	*m = k;
	return true;
}

bool stats_lkp(const double *x, size_t n1, const double *y, size_t n2, double threshold,
	       double *change)
{
	double *a = NULL, *b = NULL;
	size_t m1, m2;
	bool flag = false;

	*change = NAN;
	if (!n1 || !n2)
		return false;
	if (trimmed(x, n1, &a, &m1) && trimmed(y, n2, &b, &m2) && m1 && m2) {
		double ma = stats_mean(a, m1), mb = stats_mean(b, m2);

		*change = ma != 0 ? mb / ma - 1 : NAN;
		flag = (a[m1 - 1] < b[0] || b[m2 - 1] < a[0]) && fabs(*change) > threshold;
	}
	free(a);
	free(b);
	return flag;
}

int stats_pinpoint_p(const double *x, size_t n1, const double *y, size_t n2, double *p)
{
	double u, d, pu, pk;
	int ret = stats_mwu(x, n1, y, n2, STATS_AUTO, &u, &pu);

	if (!ret)
		ret = stats_ks2(x, n1, y, n2, STATS_AUTO, &d, &pk);
	if (!ret)
		*p = fmin(pu, pk);
	return ret;
}
