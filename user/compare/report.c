// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The comparison as a text table and as one JSON document (pvtrace.compare/1). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "compare.h"
#include "output.h"

static const char *fmt_num(char *b, size_t len, double v)
{
	if (isnan(v))
		snprintf(b, len, "-");
	else
		snprintf(b, len, "%.6g", v);
	return b;
}

void cmp_print_text(FILE *f, const struct cmp_result *r, const struct cmp_opts *o)
{
	size_t w = 6;

	for (size_t i = 0; i < r->n; i++) {
		size_t l = strlen(r->rows[i].benchmark) + 1 + strlen(r->rows[i].name);

		if (l > w)
			w = l;
	}
	fprintf(f, "%-*s %12s %12s  %-26s %9s  %s\n", (int)w, "metric", "base", "new", "ratio [CI]",
		o->method == M_PVTRACE ? "p (Holm)" : "p", "verdict");
	for (size_t i = 0; i < r->n; i++) {
		const struct cmp_row *x = &r->rows[i];
		char name[1024], b[32], n[32], ratio[96], p[32], v[64];

		snprintf(name, sizeof(name), "%s/%s", x->benchmark, x->name);
		if (x->have_ci)
			snprintf(ratio, sizeof(ratio), "%.4f [%.4f, %.4f]", x->ci.ratio, x->ci.lo,
				 x->ci.hi);
		else if (!isnan(x->ci.ratio))
			snprintf(ratio, sizeof(ratio), "%.4f", x->ci.ratio);
		else
			snprintf(ratio, sizeof(ratio), "-");
		if (isnan(x->p_adj))
			snprintf(p, sizeof(p), "-");
		else
			snprintf(p, sizeof(p), "%.2g", x->p_adj);
		if (x->v == V_UNKNOWN && x->more_runs)
			snprintf(v, sizeof(v), "unknown: needs %u more runs", x->more_runs);
		else
			snprintf(v, sizeof(v), "%s", cmp_verdict_names[x->v]);
		fprintf(f, "%-*s %12s %12s  %-26s %9s  %s\n", (int)w, name,
			fmt_num(b, sizeof(b), x->med_base), fmt_num(n, sizeof(n), x->med_new),
			ratio, p, v);
	}
	fprintf(f, "%zu metrics (%s, alpha %g): %u regressed, %u improved, %u same, %u unknown",
		r->n, cmp_method_names[o->method], o->alpha, r->count[V_REGRESSED],
		r->count[V_IMPROVED], r->count[V_SAME], r->count[V_UNKNOWN]);
	if (r->count[V_BASE_ONLY] || r->count[V_NEW_ONLY])
		fprintf(f, ", %u only in BASE, %u only in NEW", r->count[V_BASE_ONLY],
			r->count[V_NEW_ONLY]);
	fprintf(f, "\n");
}

static json_object *jnum(double v)
{
	return isfinite(v) ? json_object_new_double(v) : NULL;
}

static json_object *side_json(const struct cmp_side *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "documents", json_object_new_int64((int64_t)s->docs));
	json_object_object_add(o, "label", s->label ? json_object_new_string(s->label) : NULL);
	json_object_object_add(o, "kernel", s->kernel ? json_object_new_string(s->kernel) : NULL);
	json_object_object_add(o, "kernel_build_id",
			       s->build_id ? json_object_new_string(s->build_id) : NULL);
	return o;
}

static json_object *run_side(const struct cmp_metric *m, double med)
{
	json_object *o;

	if (!m)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "runs", json_object_new_int64((int64_t)m->n));
	json_object_object_add(o, "median", jnum(med));
	return o;
}

json_object *cmp_json(const struct cmp_result *r, const struct cmp_opts *o,
		      const struct cmp_side *base, const struct cmp_side *new)
{
	json_object *d = json_doc_new(COMPARE_SCHEMA, "comparison", false);
	json_object *ms = json_object_new_array(), *sum = json_object_new_object();

	json_object_object_add(d, "method", json_object_new_string(cmp_method_names[o->method]));
	json_object_object_add(d, "alpha", json_object_new_double(o->alpha));
	json_object_object_add(d, "threshold", o->threshold > 0 ? jnum(o->threshold) : NULL);
	json_object_object_add(d, "min_runs", json_object_new_int64(o->min_runs));
	json_object_object_add(d, "bootstrap", json_object_new_int64(COMPARE_BOOT));
	json_object_object_add(d, "confidence", json_object_new_double(1 - o->alpha));
	json_object_object_add(d, "base", side_json(base));
	json_object_object_add(d, "new", side_json(new));
	for (size_t i = 0; i < r->n; i++) {
		const struct cmp_row *x = &r->rows[i];
		json_object *m = json_object_new_object(), *ci = NULL;

		json_object_object_add(m, "benchmark", json_object_new_string(x->benchmark));
		json_object_object_add(m, "name", json_object_new_string(x->name));
		json_object_object_add(m, "unit", json_object_new_string(x->unit));
		json_object_object_add(m, "better",
				       json_object_new_string(x->higher ? "higher" : "lower"));
		json_object_object_add(m, "threshold", json_object_new_double(x->threshold));
		json_object_object_add(m, "verdict",
				       json_object_new_string(cmp_verdict_names[x->v]));
		json_object_object_add(m, "base", run_side(x->base, x->med_base));
		json_object_object_add(m, "new", run_side(x->new, x->med_new));
		json_object_object_add(m, "ratio", jnum(x->ci.ratio));
		if (x->have_ci) {
			ci = json_object_new_array();
			json_object_array_add(ci, json_object_new_double(x->ci.lo));
			json_object_array_add(ci, json_object_new_double(x->ci.hi));
		}
		json_object_object_add(m, "ci", ci);
		json_object_object_add(m, "p_mwu", jnum(x->p_mwu));
		json_object_object_add(m, "p_ks", jnum(x->p_ks));
		json_object_object_add(m, "p_welch", jnum(x->p_welch));
		json_object_object_add(m, "p", jnum(x->p));
		json_object_object_add(m, "p_adjusted", jnum(x->p_adj));
		json_object_object_add(m, "needs_runs",
				       x->more_runs ? json_object_new_int64(x->more_runs) : NULL);
		json_object_object_add(m, "reason",
				       x->reason ? json_object_new_string(x->reason) : NULL);
		json_object_array_add(ms, m);
	}
	json_object_object_add(d, "metrics", ms);
	for (int v = 0; v < V_MAX; v++) {
		char key[32];

		snprintf(key, sizeof(key), "%s", cmp_verdict_names[v]);
		for (char *c = key; *c; c++)
			if (*c == ' ')
				*c = '_';
		json_object_object_add(sum, key, json_object_new_int64(r->count[v]));
	}
	json_object_object_add(d, "summary", sum);
	return d;
}
