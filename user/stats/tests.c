// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Two-sample tests: Mann-Whitney U, Kolmogorov-Smirnov, Welch's t (stats.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "stats.h"

struct tagged {
	double v;
	int g;
};

static int cmp_tagged(const void *a, const void *b)
{
	double x = ((const struct tagged *)a)->v, y = ((const struct tagged *)b)->v;

	return (x > y) - (x < y);
}

static double norm_sf(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

/* P(U' >= u) under H0 for sizes n1, n2 (no ties): the count of arrangements by U. */
static int mwu_exact_sf(size_t n1, size_t n2, double u, double *sf)
{
	size_t len = n1 * n2 + 1, from;
	double *prev = calloc((n2 + 1) * len, sizeof(double));
	double *cur = calloc((n2 + 1) * len, sizeof(double));
	double total = 0, tail = 0;

	if (!prev || !cur) {
		free(prev);
		free(cur);
		return -ENOMEM;
	}
	/* f(i, j)[u]: arrangements of i x's and j y's with U = u; the largest value is an x
	 * (beating all j y's) or a y: f(i, j)[u] = f(i-1, j)[u - j] + f(i, j-1)[u] */
	for (size_t j = 0; j <= n2; j++)
		prev[j * len] = 1;
	for (size_t i = 1; i <= n1; i++) {
		memset(cur, 0, len * sizeof(double));
		cur[0] = 1;
		for (size_t j = 1; j <= n2; j++) {
			double *c = cur + j * len, *left = cur + (j - 1) * len;
			const double *up = prev + j * len;

			for (size_t k = 0; k < len; k++)
				c[k] = (k >= j ? up[k - j] : 0) + left[k];
		}
		double *t = prev;

		prev = cur;
		cur = t;
	}
	from = u <= 0 ? 0 : (size_t)ceil(u - 1e-9);
	for (size_t k = 0; k < len; k++) {
		total += prev[n2 * len + k];
		if (k >= from)
			tail += prev[n2 * len + k];
	}
	free(prev);
	free(cur);
	*sf = tail / total;
	return 0;
}

int stats_mwu(const double *x, size_t n1, const double *y, size_t n2, enum stats_method m,
	      double *u, double *p)
{
	size_t n = n1 + n2;
	struct tagged *a;
	double r1 = 0, ties = 0, u1, umax, mu, s;

	if (!n1 || !n2)
		return -EINVAL;
	if (m == STATS_EXACT && n1 * n2 > STATS_EXACT_MAX)
		return -EINVAL;
	a = malloc(n * sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < n1; i++)
		a[i] = (struct tagged){ x[i], 0 };
	for (size_t i = 0; i < n2; i++)
		a[n1 + i] = (struct tagged){ y[i], 1 };
	qsort(a, n, sizeof(*a), cmp_tagged);
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && a[j].v == a[i].v)
			j++;
		/* ranks i+1 .. j share their mean */
		double rank = (double)(i + 1 + j) / 2, t = (double)(j - i);

		for (size_t k = i; k < j; k++)
			if (!a[k].g)
				r1 += rank;
		ties += t * t * t - t;
		i = j;
	}
	free(a);
	u1 = r1 - (double)n1 * (double)(n1 + 1) / 2;
	*u = u1;
	umax = fmax(u1, (double)n1 * (double)n2 - u1);
	if (m == STATS_AUTO)
		m = ties == 0 && n1 * n2 <= STATS_EXACT_MAX ? STATS_EXACT : STATS_ASYMP;
	if (m == STATS_EXACT) {
		double sf;
		int ret = mwu_exact_sf(n1, n2, umax, &sf);

		if (ret)
			return ret;
		*p = fmin(1, 2 * sf);
		return 0;
	}
	mu = (double)n1 * (double)n2 / 2;
	s = sqrt((double)n1 * (double)n2 / 12 *
		 ((double)(n + 1) - ties / ((double)n * (double)(n - 1))));
	if (!(s > 0)) {
		*p = 1;
		return 0;
	}
	*p = fmin(1, fmax(0, 2 * norm_sf((umax - mu - 0.5) / s)));
	return 0;
}

/* P(D >= h / (n1 n2)) under H0: paths of the two ECDFs' steps that reach |i n2 - j n1| >= h. */
static int ks_exact(size_t n1, size_t n2, long long h, double *p)
{
	double *pin = calloc(n2 + 1, sizeof(double)), *pout = calloc(n2 + 1, sizeof(double));
	double *cin = calloc(n2 + 1, sizeof(double)), *cout = calloc(n2 + 1, sizeof(double));
	int ret = 0;

	if (!pin || !pout || !cin || !cout) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i <= n1; i++) {
		for (size_t j = 0; j <= n2; j++) {
			double vi = 0, vo = 0;

			if (!i && !j) {
				vi = 1;
			} else {
				if (i) { /* a step of x from (i-1, j) */
					double q = (double)(n1 - i + 1) /
						   (double)(n1 - i + 1 + n2 - j);

					vi += pin[j] * q;
					vo += pout[j] * q;
				}
				if (j) { /* a step of y from (i, j-1) */
					double q = (double)(n2 - j + 1) /
						   (double)(n1 - i + n2 - j + 1);

					vi += cin[j - 1] * q;
					vo += cout[j - 1] * q;
				}
			}
			if (llabs((long long)i * (long long)n2 - (long long)j * (long long)n1) >=
			    h) {
				vo += vi;
				vi = 0;
			}
			cin[j] = vi;
			cout[j] = vo;
		}
		double *t = pin;

		pin = cin;
		cin = t;
		t = pout;
		pout = cout;
		cout = t;
	}
	*p = fmin(1, pout[n2]);
out:
	free(pin);
	free(pout);
	free(cin);
	free(cout);
	return ret;
}

static void mat_mul(const double *a, const double *b, double *c, int m)
{
	for (int i = 0; i < m; i++)
		for (int j = 0; j < m; j++) {
			double s = 0;

			for (int k = 0; k < m; k++)
				s += a[i * m + k] * b[k * m + j];
			c[i * m + j] = s;
		}
}

double stats_kolmogorov_sf(unsigned n, double d)
{
	if (!(d > 0) || !n)
		return 1;
	if (d >= 1)
		return 0;
	int k = (int)(n * d) + 1, m = 2 * k - 1, er = 0, ep = 0;
	double h = k - n * d, s;
	double *hm = calloc((size_t)m * m, sizeof(double)),
	       *r = calloc((size_t)m * m, sizeof(double));
	double *t = calloc((size_t)m * m, sizeof(double));

	if (!hm || !r || !t) {
		free(hm);
		free(r);
		free(t);
		return NAN;
	}
	/* Marsaglia, Tsang & Wang (2003): P(D_n < d) = n!/n^n (H^n)_{kk} */
	for (int i = 0; i < m; i++)
		for (int j = 0; j < m; j++)
			hm[i * m + j] = i - j + 1 >= 0 ? 1 : 0;
	for (int i = 0; i < m; i++) {
		hm[i * m] -= pow(h, i + 1);
		hm[(m - 1) * m + i] -= pow(h, m - i);
	}
	if (2 * h - 1 > 0)
		hm[(m - 1) * m] += pow(2 * h - 1, m);
	for (int i = 0; i < m; i++)
		for (int j = 0; j < m; j++)
			for (int g = 1; g <= i - j + 1; g++)
				hm[i * m + j] /= g;
	for (int i = 0; i < m; i++)
		r[i * m + i] = 1;
	/* r = hm^n by squaring; the powers of ten kept apart in er, ep */
	for (unsigned e = n;;) {
		if (e & 1) {
			mat_mul(r, hm, t, m);
			memcpy(r, t, (size_t)m * m * sizeof(double));
			er += ep;
			if (r[(k - 1) * m + k - 1] > 1e140) {
				for (int i = 0; i < m * m; i++)
					r[i] *= 1e-140;
				er += 140;
			}
		}
		e >>= 1;
		if (!e)
			break;
		mat_mul(hm, hm, t, m);
		memcpy(hm, t, (size_t)m * m * sizeof(double));
		ep *= 2;
		if (hm[(k - 1) * m + k - 1] > 1e140) {
			for (int i = 0; i < m * m; i++)
				hm[i] *= 1e-140;
			ep += 140;
		}
	}
	s = r[(k - 1) * m + k - 1];
	free(hm);
	free(r);
	free(t);
	for (unsigned i = 1; i <= n; i++) {
		s = s * i / n;
		if (s < 1e-140) {
			s *= 1e140;
			er -= 140;
		}
	}
	s *= pow(10, er);
	return fmin(1, fmax(0, 1 - s));
}

int stats_ks2(const double *x, size_t n1, const double *y, size_t n2, enum stats_method m,
	      double *d, double *p)
{
	double *a, *b;
	long long h = 0;
	size_t i = 0, j = 0;

	if (!n1 || !n2)
		return -EINVAL;
	a = malloc((n1 + n2) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	b = a + n1;
	memcpy(a, x, n1 * sizeof(*a));
	memcpy(b, y, n2 * sizeof(*b));
	stats_sort(a, n1);
	stats_sort(b, n2);
	while (i < n1 || j < n2) {
		double v = i < n1 && (j >= n2 || a[i] <= b[j]) ? a[i] : b[j];

		while (i < n1 && a[i] == v)
			i++;
		while (j < n2 && b[j] == v)
			j++;
		long long diff = llabs((long long)i * (long long)n2 - (long long)j * (long long)n1);

		if (diff > h)
			h = diff;
	}
	free(a);
	*d = (double)h / ((double)n1 * (double)n2);
	if (m == STATS_AUTO)
		m = n1 * n2 <= 10000 ? STATS_EXACT : STATS_ASYMP;
	if (!h) {
		*p = 1;
		return 0;
	}
	if (m == STATS_EXACT)
		return ks_exact(n1, n2, h, p);
	*p = stats_kolmogorov_sf((unsigned)rint((double)n1 * (double)n2 / (double)(n1 + n2)), *d);
	return isnan(*p) ? -ENOMEM : 0;
}

/* The continued fraction of the incomplete beta function, by Lentz's method. */
static double betacf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= 1000; m++) {
		double m2 = 2.0 * m, num, del;

		num = m * (b - m) * x / ((a - 1 + m2) * (a + m2));
		d = 1 + num * d;
		d = fabs(d) < tiny ? 1 / tiny : 1 / d;
		c = 1 + num / c;
		if (fabs(c) < tiny)
			c = tiny;
		h *= d * c;
		num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2));
		d = 1 + num * d;
		d = fabs(d) < tiny ? 1 / tiny : 1 / d;
		c = 1 + num / c;
		if (fabs(c) < tiny)
			c = tiny;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-16)
			break;
	}
	return h;
}

double stats_betai(double a, double b, double x)
{
	double lbt;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
	if (x < (a + 1) / (a + b + 2))
		return exp(lbt) * betacf(a, b, x) / a;
	return 1 - exp(lbt) * betacf(b, a, 1 - x) / b;
}

double stats_t_cdf(double t, double df)
{
	double tail = 0.5 * stats_betai(df / 2, 0.5, df / (df + t * t));

	return t > 0 ? 1 - tail : tail;
}

int stats_welch(const double *x, size_t n1, const double *y, size_t n2, double *t, double *df,
		double *p)
{
	double mx, my, a, b;

	if (n1 < 2 || n2 < 2)
		return -EINVAL;
	mx = stats_mean(x, n1);
	my = stats_mean(y, n2);
	a = stats_var(x, n1) / (double)n1;
	b = stats_var(y, n2) / (double)n2;
	if (!(a + b > 0)) {
		*t = mx == my ? 0 : (mx > my ? INFINITY : -INFINITY);
		*df = (double)(n1 + n2 - 2);
		*p = mx == my ? 1 : 0;
		return 0;
	}
	*t = (mx - my) / sqrt(a + b);
	*df = (a + b) * (a + b) / (a * a / (double)(n1 - 1) + b * b / (double)(n2 - 1));
	*p = stats_betai(*df / 2, 0.5, *df / (*df + *t * *t));
	return 0;
}
