// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The decision for each metric. Our rule (method pvtrace):
 *   effect  median(NEW) / median(BASE), with a bootstrap percentile interval at 1 - alpha
 *   test    p = min(1, 2 min(MWU p, KS p)) (Bonferroni for taking the smaller of two),
 *           Holm-adjusted over every metric compared, significant when < alpha
 *   band    [1 / (1 + t), 1 + t], t the metric's threshold (or --threshold)
 *   regressed / improved: significant and the whole interval beyond the band on the bad
 *           / good side (better=lower: bad is up; better=higher: bad is down)
 *   same:   the interval inside the band, or significant with the ratio inside the band
 *   unknown ("needs N more runs"): anything else, or fewer than --min-runs runs a side.
 * The baselines decide with their own published rules (see cmp_method_names users).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compare.h"
#include "stats/rng.h"

const char *const cmp_method_names[] = { "pvtrace", "pinpoint", "perfherder", "lkp" };
const char *const cmp_verdict_names[] = { "same",    "improved",  "regressed",
					  "unknown", "base only", "new only" };

static const struct cmp_metric *find(const struct cmp_side *s, const struct cmp_metric *m)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->m[i].benchmark, m->benchmark) && !strcmp(s->m[i].name, m->name))
			return &s->m[i];
	return NULL;
}

/*
 * Runs per side that would decide, from the interval's width scaling as 1/sqrt(n) in log
 * space: the half-width has to shrink below the distance from the ratio to the band's edge.
 */
static unsigned more_runs_needed(const struct cmp_row *r, size_t n)
{
	double e = log1p(r->threshold), l = log(r->ci.ratio);
	double w = (log(r->ci.hi) - log(r->ci.lo)) / 2, margin = fabs(fabs(l) - e);
	double need;

	if (!(w > 0))
		return 1;
	if (!(margin > 1e-9))
		return COMPARE_MAX_RUNS_EST;
	need = ceil((double)n * (w / margin) * (w / margin)) - (double)n;
	if (need > COMPARE_MAX_RUNS_EST)
		return COMPARE_MAX_RUNS_EST;
	return need >= 1 ? (unsigned)need : 1;
}

/* sign of the change, good or bad for this metric: +1 bad (regression), -1 good */
static int badness(const struct cmp_row *r, double change)
{
	if (change == 0 || isnan(change))
		return 0;
	return (change > 0) == !r->higher ? 1 : -1;
}

static void decide_pvtrace(struct cmp_row *r, const struct cmp_opts *o, size_t n)
{
	double up = 1 + r->threshold, down = 1 / up;
	bool sig = r->p_adj < o->alpha;
	bool above = r->ci.lo > up, below = r->ci.hi < down;
	bool inside = r->ci.lo >= down && r->ci.hi <= up;

	if (sig && (above || below)) {
		r->v = badness(r, above ? 1 : -1) > 0 ? V_REGRESSED : V_IMPROVED;
	} else if (inside || (sig && r->ci.ratio >= down && r->ci.ratio <= up)) {
		r->v = V_SAME;
	} else {
		r->v = V_UNKNOWN;
		r->reason = "needs more runs";
		r->more_runs = more_runs_needed(r, n);
	}
}

static void decide_baseline(struct cmp_row *r, const struct cmp_opts *o)
{
	double change = 0;
	bool flag = false;

	switch (o->method) {
	case M_PINPOINT: /* Pinpoint: different when min(MWU, KS) < alpha; no effect size */
		flag = r->p < o->alpha;
		change = r->med_new - r->med_base;
		break;
	case M_PERFHERDER: /* Welch's t-test, and a mean change beyond the alert threshold */
		change = stats_mean(r->new->v, r->new->n) / stats_mean(r->base->v, r->base->n) - 1;
		flag = r->p < o->alpha && fabs(change) > r->threshold;
		break;
	case M_LKP: /* trimmed ranges apart, and a mean change beyond the threshold */
		flag = stats_lkp(r->base->v, r->base->n, r->new->v, r->new->n, r->threshold,
				 &r->lkp_change);
		change = r->lkp_change;
		break;
	default:
		break;
	}
	r->v = !flag ? V_SAME : badness(r, change) > 0 ? V_REGRESSED : V_IMPROVED;
}

static int analyze_row(struct cmp_row *r, const struct cmp_opts *o)
{
	const struct cmp_metric *b = r->base, *w = r->new;
	char seedname[512];
	double stat;
	int ret;

	r->med_base = stats_median(b->v, b->n);
	r->med_new = stats_median(w->v, w->n);
	snprintf(seedname, sizeof(seedname), "%s/%s", r->benchmark, r->name);
	ret = stats_boot_ratio(b->v, b->n, w->v, w->n, COMPARE_BOOT, 1 - o->alpha,
			       rng_seed_from_name(seedname), &r->ci);
	if (ret == -ENOMEM)
		return ret;
	r->have_ci = !ret && r->ci.defined >= 1 - o->alpha / 2;
	if (ret)
		r->ci.ratio = r->med_base > 0 ? r->med_new / r->med_base : NAN;
	ret = stats_mwu(b->v, b->n, w->v, w->n, STATS_AUTO, &stat, &r->p_mwu);
	if (!ret)
		ret = stats_ks2(b->v, b->n, w->v, w->n, STATS_AUTO, &stat, &r->p_ks);
	if (ret)
		return ret;
	r->p_welch = NAN;
	r->t_welch = NAN;
	if (b->n >= 2 && w->n >= 2) {
		double df;

		stats_welch(b->v, b->n, w->v, w->n, &r->t_welch, &df, &r->p_welch);
	}
	r->lkp_change = NAN;
	switch (o->method) {
	case M_PVTRACE:
		r->p = fmin(1, 2 * fmin(r->p_mwu, r->p_ks));
		break;
	case M_PINPOINT:
		r->p = fmin(r->p_mwu, r->p_ks);
		break;
	case M_PERFHERDER:
		r->p = r->p_welch;
		break;
	case M_LKP:
		r->p = NAN;
		break;
	}
	r->p_adj = r->p;
	return 0;
}

int cmp_analyze(const struct cmp_side *base, const struct cmp_side *new, const struct cmp_opts *o,
		struct cmp_result *res)
{
	size_t cap = base->n + new->n, n = 0, np = 0;
	struct cmp_row *rows = calloc(cap ? cap : 1, sizeof(*rows));
	double *p = calloc(cap ? cap : 1, sizeof(*p)), *adj = calloc(cap ? cap : 1, sizeof(*adj));
	int ret = 0;

	memset(res, 0, sizeof(*res));
	if (!rows || !p || !adj) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < base->n; i++)
		rows[n++] = (struct cmp_row){ .base = &base->m[i], .new = find(new, &base->m[i]) };
	for (size_t i = 0; i < new->n; i++)
		if (!find(base, &new->m[i]))
			rows[n++] = (struct cmp_row){ .new = &new->m[i] };
	for (size_t i = 0; i < n; i++) {
		struct cmp_row *r = &rows[i];
		const struct cmp_metric *m = r->new ? r->new : r->base;

		r->benchmark = m->benchmark;
		r->name = m->name;
		r->unit = m->unit;
		r->higher = m->higher;
		/* NEW's threshold: what is expected of the metric now */
		r->threshold = o->threshold > 0 ? o->threshold : m->threshold;
		r->p = r->p_adj = r->p_mwu = r->p_ks = r->p_welch = r->t_welch = NAN;
		r->lkp_change = r->med_base = r->med_new = NAN;
		r->ci.ratio = r->ci.lo = r->ci.hi = NAN;
		if (!r->base || !r->new) {
			r->v = r->base ? V_BASE_ONLY : V_NEW_ONLY;
			if (r->base)
				r->med_base = stats_median(r->base->v, r->base->n);
			else
				r->med_new = stats_median(r->new->v, r->new->n);
			continue;
		}
		ret = analyze_row(r, o);
		if (ret)
			goto out;
		if (!isnan(r->p))
			p[np++] = r->p;
	}
	if (o->method == M_PVTRACE) {
		/* Holm over the whole grid of compared metrics */
		stats_holm(p, np, adj);
		for (size_t i = 0, k = 0; i < n; i++)
			if (rows[i].base && rows[i].new && !isnan(rows[i].p))
				rows[i].p_adj = adj[k++];
	}
	for (size_t i = 0; i < n; i++) {
		struct cmp_row *r = &rows[i];
		size_t runs;

		if (!r->base || !r->new)
			goto count;
		runs = r->base->n < r->new->n ? r->base->n : r->new->n;
		if (o->method != M_PVTRACE) {
			decide_baseline(r, o);
		} else if (!r->have_ci) {
			r->v = V_UNKNOWN;
			r->reason = "no ratio: BASE's median is not positive";
		} else {
			decide_pvtrace(r, o, runs);
		}
		if (runs < o->min_runs && (o->method != M_PVTRACE || r->have_ci)) {
			unsigned more = o->min_runs - (unsigned)runs;

			if (r->v == V_UNKNOWN && r->more_runs > more)
				more = r->more_runs;
			r->v = V_UNKNOWN;
			r->reason = "fewer runs than --min-runs";
			r->more_runs = more;
		}
	count:
		res->count[r->v]++;
	}
	res->rows = rows;
	res->n = n;
	rows = NULL;
out:
	free(rows);
	free(p);
	free(adj);
	return ret;
}

void cmp_result_free(struct cmp_result *r)
{
	free(r->rows);
	memset(r, 0, sizeof(*r));
}
