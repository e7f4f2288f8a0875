// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace dashboard --json: the page's series and change points as one document
 * (schema pvtrace.history/1), for a CI job to act on what the page shows: per metric
 * and line, the points (median and p10-p90 over runs of each result) and the change
 * points with their magnitude and direction.
 */
#include <string.h>
#include "dashboard/dash.h"
#include "output.h"

static json_object *num(double v)
{
	return json_object_new_double(v);
}

static json_object *point_json(const struct dmodel *m, const struct dpoint *p)
{
	const struct ddoc *dd = &m->docs[p->doc];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "run", json_object_new_int64((int64_t)dd->run));
	json_object_object_add(o, "label", json_object_new_string(dd->label));
	json_object_object_add(o, "started", json_object_new_string(dd->started));
	json_object_object_add(o, "median", num(p->med));
	json_object_object_add(o, "p10", num(p->lo));
	json_object_object_add(o, "p90", num(p->hi));
	return o;
}

static json_object *change_json(const struct dmodel *m, const struct dmetric *d,
				const struct dline *l, const struct dcp *c)
{
	bool higher = !strcmp(d->better, "higher");
	bool worse = higher ? c->after < c->before : c->after > c->before;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "index", json_object_new_int64((int64_t)c->at));
	json_object_object_add(o, "run",
			       json_object_new_int64((int64_t)m->docs[l->pts[c->at].doc].run));
	json_object_object_add(o, "label",
			       json_object_new_string(m->docs[l->pts[c->at].doc].label));
	json_object_object_add(o, "before", num(c->before));
	json_object_object_add(o, "after", num(c->after));
	json_object_object_add(o, "change", c->before ? num(c->after / c->before - 1) : NULL);
	json_object_object_add(o, "verdict", json_object_new_string(worse ? "worse" : "better"));
	return o;
}

int dash_history(FILE *out, const struct dmodel *m, enum dash_lines lines)
{
	json_object *doc = json_doc_new(HISTORY_SCHEMA, "history", false);
	json_object *ms = json_object_new_array();
	size_t nchanges = 0;
	int ret;

	/* 12 significant digits: the figures, not binary noise (820.464, not 820.46399999) */
	json_c_set_serialization_double_format("%.12g", JSON_C_OPTION_GLOBAL);
	json_object_object_add(
		doc, "lines_by",
		json_object_new_string(lines == DASH_LINES_LABEL ? "label" : "machine"));
	json_object_object_add(doc, "results", json_object_new_int64((int64_t)m->n));
	json_object_object_add(doc, "alpha", num(DASH_CP_ALPHA));
	json_object_object_add(doc, "permutations", json_object_new_int(DASH_CP_PERMS));
	for (size_t i = 0; i < m->nm; i++) {
		const struct dmetric *d = &m->m[i];
		json_object *mo = json_object_new_object(), *ls = json_object_new_array();

		json_object_object_add(mo, "benchmark", json_object_new_string(d->benchmark));
		json_object_object_add(mo, "name", json_object_new_string(d->name));
		json_object_object_add(mo, "unit", json_object_new_string(d->unit));
		json_object_object_add(mo, "better", json_object_new_string(d->better));
		json_object_object_add(mo, "threshold", num(d->threshold));
		for (size_t k = 0; k < d->nlines; k++) {
			const struct dline *l = &d->lines[k];
			json_object *lo = json_object_new_object(), *pts = json_object_new_array();
			json_object *cps = json_object_new_array();

			json_object_object_add(lo, "line", json_object_new_string(l->label));
			for (size_t p = 0; p < l->n; p++)
				json_object_array_add(pts, point_json(m, &l->pts[p]));
			for (size_t c = 0; c < l->ncp; c++)
				json_object_array_add(cps, change_json(m, d, l, &l->cps[c]));
			nchanges += l->ncp;
			json_object_object_add(lo, "points", pts);
			json_object_object_add(lo, "changes", cps);
			json_object_array_add(ls, lo);
		}
		json_object_object_add(mo, "lines", ls);
		json_object_array_add(ms, mo);
	}
	json_object_object_add(doc, "metrics", ms);
	json_object_object_add(doc, "changes", json_object_new_int64((int64_t)nchanges));
	ret = json_print_line(out, doc);
	json_object_put(doc);
	return ret;
}
