// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The dashboard's model of a series of pvtrace.bench/1 results: documents in series
 * order (started, then input order), and per metric (benchmark, name) one line per
 * label, one point per document: the median over its runs and the p10-p90 interval.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dashboard/dash.h"
#include "util.h"

static const char *const benches[] = { "ioctl", "regs", "overhead" };

int dash_bench_index(const char *b)
{
	for (int i = 0; i < 3; i++)
		if (b && !strcmp(b, benches[i]))
			return i;
	return -1;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool is_number(json_object *v)
{
	return json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int);
}

static int check_metric(json_object *mt, size_t i, char *err, size_t len)
{
	json_object *vals;
	const char *name = get_str(mt, "name");

	if (!json_object_is_type(mt, json_type_object) || !name) {
		snprintf(err, len, "metrics[%zu] has no name", i);
		return -1;
	}
	if (!get_str(mt, "unit") || !get_str(mt, "better")) {
		snprintf(err, len, "metric '%.64s' has no unit or better", name);
		return -1;
	}
	if (!json_object_object_get_ex(mt, "values", &vals) ||
	    !json_object_is_type(vals, json_type_array) || !json_object_array_length(vals)) {
		snprintf(err, len, "metric '%.64s' has no values", name);
		return -1;
	}
	for (size_t k = 0; k < json_object_array_length(vals); k++) {
		json_object *v = json_object_array_get_idx(vals, k);

		if (!is_number(v) || !isfinite(json_object_get_double(v))) {
			snprintf(err, len, "metric '%.64s' has a value that is not a number", name);
			return -1;
		}
	}
	return 0;
}

static int check_hists(json_object *doc, char *err, size_t len)
{
	json_object *hs, *b;

	if (!json_object_object_get_ex(doc, "histograms", &hs))
		return 0;
	if (!json_object_is_type(hs, json_type_array)) {
		snprintf(err, len, "histograms is not an array");
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(hs); i++) {
		json_object *h = json_object_array_get_idx(hs, i);

		if (!get_str(h, "name") || !json_object_object_get_ex(h, "buckets", &b) ||
		    !json_object_is_type(b, json_type_array)) {
			snprintf(err, len, "histograms[%zu] has no name or buckets", i);
			return -1;
		}
		for (size_t k = 0; k < json_object_array_length(b); k++) {
			json_object *e = json_object_array_get_idx(b, k), *lo, *cnt;

			if (!json_object_object_get_ex(e, "lo", &lo) || !is_number(lo) ||
			    !json_object_object_get_ex(e, "count", &cnt) || !is_number(cnt) ||
			    !(json_object_get_double(cnt) >= 0) ||
			    !(json_object_get_double(lo) >= 0) ||
			    json_object_get_double(lo) >= 18446744073709551616.0 ||
			    !isfinite(json_object_get_double(cnt))) {
				snprintf(err, len,
					 "histogram '%.64s' bucket %zu needs lo (0 .. 2^64) and a "
					 "count",
					 get_str(h, "name"), k);
				return -1;
			}
		}
	}
	return 0;
}

int dash_doc_check(json_object *doc, char *err, size_t len)
{
	json_object *ms, *fp;
	const char *s;

	if (!json_object_is_type(doc, json_type_object)) {
		snprintf(err, len, "not a JSON object");
		return -1;
	}
	s = get_str(doc, "schema");
	if (!s || strcmp(s, DASH_SCHEMA)) {
		snprintf(err, len, "not a %s document (schema %s%.64s%s)", DASH_SCHEMA,
			 s ? "'" : "", s ? s : "missing", s ? "'" : "");
		return -1;
	}
	s = get_str(doc, "kind");
	if (!s || strcmp(s, "result")) {
		snprintf(err, len, "not a result document (kind '%.32s')", s ? s : "");
		return -1;
	}
	if (dash_bench_index(get_str(doc, "benchmark")) < 0) {
		snprintf(err, len, "unknown benchmark (ioctl, regs, overhead)");
		return -1;
	}
	if (!get_str(doc, "label")) {
		snprintf(err, len, "no label");
		return -1;
	}
	s = get_str(doc, "started");
	if (!s || !rfc3339_utc_ok(s)) {
		snprintf(err, len, "started is not a UTC RFC 3339 time (YYYY-MM-DDTHH:MM:SSZ)");
		return -1;
	}
	if (!json_object_object_get_ex(doc, "fingerprint", &fp) ||
	    !json_object_is_type(fp, json_type_object)) {
		snprintf(err, len, "no fingerprint");
		return -1;
	}
	if (!json_object_object_get_ex(doc, "metrics", &ms) ||
	    !json_object_is_type(ms, json_type_array)) {
		snprintf(err, len, "no metrics array");
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(ms); i++)
		if (check_metric(json_object_array_get_idx(ms, i), i, err, len))
			return -1;
	return check_hists(doc, err, len);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Percentile p (0..1) of sorted v[n], linear between closest ranks. */
static double pct(const double *v, size_t n, double p)
{
	double r = p * (double)(n - 1);
	size_t i = (size_t)r;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (r - (double)i) * (v[i + 1] - v[i]);
}

static int cmp_ddoc(const void *a, const void *b)
{
	const struct ddoc *x = a, *y = b;
	int c = strcmp(x->started, y->started);

	if (c)
		return c;
	/* input order: run holds it until numbered */
	return (x->run > y->run) - (x->run < y->run);
}

const struct dmetric *dash_metric_find(const struct dmodel *m, const char *benchmark,
				       const char *name)
{
	for (size_t i = 0; i < m->nm; i++)
		if (!strcmp(m->m[i].benchmark, benchmark) && !strcmp(m->m[i].name, name))
			return &m->m[i];
	return NULL;
}

static struct dmetric *metric_get(struct dmodel *m, const char *bench, json_object *mt)
{
	const char *name = get_str(mt, "name");
	struct dmetric *d = (struct dmetric *)dash_metric_find(m, bench, name), *nm;
	json_object *thr;

	if (d)
		return d;
	nm = realloc(m->m, (m->nm + 1) * sizeof(*nm));
	if (!nm)
		return NULL;
	m->m = nm;
	d = &m->m[m->nm++];
	memset(d, 0, sizeof(*d));
	d->benchmark = bench;
	d->name = name;
	d->unit = get_str(mt, "unit");
	d->better = get_str(mt, "better");
	d->threshold = 0.05;
	if (json_object_object_get_ex(mt, "threshold", &thr) && is_number(thr))
		d->threshold = json_object_get_double(thr);
	return d;
}

static struct dline *line_get(struct dmetric *d, const char *label)
{
	struct dline *nl;

	for (size_t i = 0; i < d->nlines; i++)
		if (!strcmp(d->lines[i].label, label))
			return &d->lines[i];
	nl = realloc(d->lines, (d->nlines + 1) * sizeof(*nl));
	if (!nl)
		return NULL;
	d->lines = nl;
	nl = &d->lines[d->nlines++];
	memset(nl, 0, sizeof(*nl));
	nl->label = label;
	return nl;
}

static int add_point(struct dline *l, size_t doc, json_object *vals)
{
	size_t n = json_object_array_length(vals);
	double *v = malloc(n * sizeof(*v));
	struct dpoint *np = realloc(l->pts, (l->n + 1) * sizeof(*np));

	if (np)
		l->pts = np;
	if (!v || !np) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_object_get_double(json_object_array_get_idx(vals, i));
	qsort(v, n, sizeof(*v), cmp_double);
	l->pts[l->n++] = (struct dpoint){
		.doc = doc, .med = pct(v, n, 0.5), .lo = pct(v, n, 0.1), .hi = pct(v, n, 0.9)
	};
	free(v);
	return 0;
}

static int add_doc(struct dmodel *m, size_t di)
{
	json_object *doc = m->docs[di].doc, *ms;

	json_object_object_get_ex(doc, "metrics", &ms);
	for (size_t i = 0; i < json_object_array_length(ms); i++) {
		json_object *mt = json_object_array_get_idx(ms, i), *vals;
		struct dmetric *d = metric_get(m, m->docs[di].benchmark, mt);
		struct dline *l = d ? line_get(d, m->docs[di].line) : NULL;

		if (!l)
			return -ENOMEM;
		/* a name twice in one document: the first one counts */
		if (l->n && l->pts[l->n - 1].doc == di)
			continue;
		json_object_object_get_ex(mt, "values", &vals);
		if (add_point(l, di, vals))
			return -ENOMEM;
	}
	return 0;
}

/* Sort the metrics: by benchmark (ioctl, regs, overhead), then name, for a stable page. */
static int cmp_metric(const void *a, const void *b)
{
	const struct dmetric *x = a, *y = b;
	int c = dash_bench_index(x->benchmark) - dash_bench_index(y->benchmark);

	return c ? c : strcmp(x->name, y->name);
}

int dash_line_changes(struct dline *l, const struct dmetric *d); /* changes.c */

/* the machine a result ran on, as a line's name: "CPU model · hypervisor[ · TCG]" */
static void machine_of(json_object *doc, char *buf, size_t len)
{
	json_object *fp = NULL, *emu = NULL;
	const char *cpu, *hv;

	json_object_object_get_ex(doc, "fingerprint", &fp);
	cpu = fp ? get_str(fp, "cpu_model") : NULL;
	hv = fp ? get_str(fp, "hypervisor") : NULL;
	if (fp)
		json_object_object_get_ex(fp, "emulated", &emu);
	/* TCG once: QEMU's CPUID signature already says so where it is the hypervisor */
	snprintf(buf, len, "%s \u00b7 %s%s", cpu && *cpu ? cpu : "unknown CPU",
		 hv && *hv ? hv : "unknown hypervisor",
		 emu && json_object_get_boolean(emu) && !(hv && strstr(hv, "TCG")) ? " \u00b7 TCG"
										   : "");
}

int dash_model_build(struct dmodel *m, json_object **docs, size_t n, enum dash_lines lines)
{
	memset(m, 0, sizeof(*m));
	m->docs = calloc(n ? n : 1, sizeof(*m->docs));
	if (!m->docs)
		return -ENOMEM;
	m->n = n;
	for (size_t i = 0; i < n; i++)
		m->docs[i] = (struct ddoc){ .doc = docs[i],
					    .run = i,
					    .benchmark = get_str(docs[i], "benchmark"),
					    .label = get_str(docs[i], "label"),
					    .started = get_str(docs[i], "started") };
	for (size_t i = 0; i < n; i++) {
		if (lines == DASH_LINES_LABEL)
			snprintf(m->docs[i].line, sizeof(m->docs[i].line), "%s", m->docs[i].label);
		else
			machine_of(docs[i], m->docs[i].line, sizeof(m->docs[i].line));
	}
	qsort(m->docs, n, sizeof(*m->docs), cmp_ddoc);
	for (size_t i = 0; i < n; i++) {
		int b = dash_bench_index(m->docs[i].benchmark);

		m->docs[i].run = i + 1;
		m->docs[i].x = m->nx[b]++;
		if (add_doc(m, i))
			goto nomem;
	}
	qsort(m->m, m->nm, sizeof(*m->m), cmp_metric);
	for (size_t i = 0; i < m->nm; i++)
		for (size_t k = 0; k < m->m[i].nlines; k++)
			if (dash_line_changes(&m->m[i].lines[k], &m->m[i]))
				goto nomem;
	return 0;
nomem:
	dash_model_free(m);
	return -ENOMEM;
}

void dash_model_free(struct dmodel *m)
{
	for (size_t i = 0; i < m->nm; i++) {
		for (size_t k = 0; k < m->m[i].nlines; k++) {
			free(m->m[i].lines[k].pts);
			free(m->m[i].lines[k].cps);
		}
		free(m->m[i].lines);
	}
	free(m->m);
	free(m->docs);
	memset(m, 0, sizeof(*m));
}
