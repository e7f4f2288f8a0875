// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Result documents (pvtrace.bench/1) into a side of the comparison: metrics pooled. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compare.h"

static const char *str_field(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool num_field(json_object *o, const char *key, double *d)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return false;
	*d = json_object_get_double(v);
	return isfinite(*d);
}

static int set_str(char **dst, const char *src)
{
	char *c = src ? strdup(src) : NULL;

	if (src && !c)
		return -1;
	free(*dst);
	*dst = c;
	return 0;
}

static struct cmp_metric *find_or_add(struct cmp_side *s, const char *bench, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->m[i].benchmark, bench) && !strcmp(s->m[i].name, name))
			return &s->m[i];
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct cmp_metric *m = realloc(s->m, cap * sizeof(*m));

		if (!m)
			return NULL;
		s->m = m;
		s->cap = cap;
	}
	struct cmp_metric *m = &s->m[s->n];

	memset(m, 0, sizeof(*m));
	m->benchmark = strdup(bench);
	m->name = strdup(name);
	if (!m->benchmark || !m->name) {
		free(m->benchmark);
		free(m->name);
		return NULL;
	}
	s->n++;
	return m;
}

static int add_metric(struct cmp_side *s, const char *bench, json_object *jm, const char *src,
		      char *err, size_t len)
{
	const char *name = str_field(jm, "name"), *unit = str_field(jm, "unit");
	const char *better = str_field(jm, "better");
	json_object *vals;
	struct cmp_metric *m;
	double thr;
	size_t nv;

	if (!name || !*name || !unit || !better ||
	    (strcmp(better, "lower") && strcmp(better, "higher")) ||
	    !num_field(jm, "threshold", &thr) || !(thr > 0) ||
	    !json_object_object_get_ex(jm, "values", &vals) ||
	    !json_object_is_type(vals, json_type_array) || !(nv = json_object_array_length(vals))) {
		snprintf(err, len,
			 "%s: a metric%s%s lacks name, unit, better (lower|higher), threshold > 0 "
			 "or values",
			 src, name ? " " : "", name ? name : "");
		return -1;
	}
	m = find_or_add(s, bench, name);
	if (!m)
		goto nomem;
	if (!m->unit) {
		m->unit = strdup(unit);
		if (!m->unit)
			goto nomem;
		m->higher = !strcmp(better, "higher");
		m->threshold = thr;
	} else if (m->higher != !strcmp(better, "higher") || strcmp(m->unit, unit)) {
		snprintf(err, len,
			 "%s: metric %s/%s: unit or better differs from an earlier document", src,
			 bench, name);
		return -1;
	}
	if (m->n + nv > m->cap) {
		size_t cap = (m->n + nv) * 2;
		double *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			goto nomem;
		m->v = v;
		m->cap = cap;
	}
	for (size_t i = 0; i < nv; i++) {
		json_object *e = json_object_array_get_idx(vals, i);
		double d;

		if (!(json_object_is_type(e, json_type_double) ||
		      json_object_is_type(e, json_type_int)) ||
		    !isfinite(d = json_object_get_double(e))) {
			snprintf(err, len, "%s: metric %s: value %zu is not a finite number", src,
				 name, i);
			return -1;
		}
		m->v[m->n++] = d;
	}
	return 0;
nomem:
	snprintf(err, len, "out of memory");
	return -1;
}

int cmp_side_add_doc(struct cmp_side *s, json_object *doc, const char *source, char *err,
		     size_t len)
{
	const char *schema = str_field(doc, "schema"), *bench = str_field(doc, "benchmark");
	json_object *metrics, *fp;
	const char *bid = NULL;

	if (!json_object_is_type(doc, json_type_object) || !schema ||
	    strcmp(schema, "pvtrace.bench/1")) {
		snprintf(err, len, "%s: not a pvtrace.bench/1 result document", source);
		return -1;
	}
	if (!bench || !*bench || !json_object_object_get_ex(doc, "metrics", &metrics) ||
	    !json_object_is_type(metrics, json_type_array) || !json_object_array_length(metrics)) {
		snprintf(err, len, "%s: a result document without benchmark or metrics", source);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(metrics); i++)
		if (add_metric(s, bench, json_object_array_get_idx(metrics, i), source, err, len))
			return -1;
	if (json_object_object_get_ex(doc, "fingerprint", &fp)) {
		bid = str_field(fp, "kernel_build_id");
		if (set_str(&s->arch, str_field(fp, "arch")))
			goto nomem;
	}
	if (!s->docs) {
		if (set_str(&s->build_id, bid))
			goto nomem;
	} else if (!s->build_ids_differ &&
		   (!bid != !s->build_id || (bid && strcmp(bid, s->build_id)))) {
		s->build_ids_differ = true;
		free(s->build_id);
		s->build_id = NULL;
	}
	if (set_str(&s->kernel, str_field(doc, "kernel")) ||
	    set_str(&s->label, str_field(doc, "label")) ||
	    set_str(&s->started, str_field(doc, "started")))
		goto nomem;
	s->docs++;
	return 0;
nomem:
	snprintf(err, len, "out of memory");
	return -1;
}

int cmp_side_add_docs(struct cmp_side *s, json_object *const *docs, const int64_t *ids, size_t n,
		      const char *where, char *err, size_t len)
{
	char src[512];

	for (size_t i = 0; i < n; i++) {
		if (ids)
			snprintf(src, sizeof(src), "%s %s:id=%lld", s->what, where,
				 (long long)ids[i]);
		else
			snprintf(src, sizeof(src), "%s %s:#%zu", s->what, where, i + 1);
		if (cmp_side_add_doc(s, docs[i], src, err, len))
			return -1;
	}
	if (!n) {
		snprintf(err, len, "%s %s: no result documents", s->what, where);
		return -1;
	}
	return 0;
}

int cmp_side_load_file(struct cmp_side *s, const char *path, char *err, size_t len)
{
	bool std = !strcmp(path, "-");
	FILE *f = std ? stdin : fopen(path, "r");
	const char *name = std ? "stdin" : path;
	char *line = NULL, src[512];
	size_t cap = 0, lineno = 0;
	ssize_t got;
	int ret = 0;

	if (!f) {
		snprintf(err, len, "%s %s: %s", s->what, path, strerror(errno));
		return -1;
	}
	while ((got = getline(&line, &cap, f)) >= 0) {
		enum json_tokener_error jerr;
		json_object *doc;
		ssize_t i = 0;

		lineno++;
		while (i < got && strchr(" \t\r\n", line[i]))
			i++;
		if (i == got)
			continue;
		snprintf(src, sizeof(src), "%s %s:%zu", s->what, name, lineno);
		doc = json_tokener_parse_verbose(line, &jerr);
		if (!doc) {
			snprintf(err, len, "%s: not JSON (%s)", src, json_tokener_error_desc(jerr));
			ret = -1;
			break;
		}
		ret = cmp_side_add_doc(s, doc, src, err, len);
		json_object_put(doc);
		if (ret)
			break;
	}
	if (!ret && ferror(f)) {
		snprintf(err, len, "%s %s: %s", s->what, name, strerror(errno));
		ret = -1;
	}
	if (!ret && !s->docs) {
		snprintf(err, len, "%s %s: no result documents", s->what, name);
		ret = -1;
	}
	free(line);
	if (!std)
		fclose(f);
	return ret;
}

void cmp_side_free(struct cmp_side *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->m[i].benchmark);
		free(s->m[i].name);
		free(s->m[i].unit);
		free(s->m[i].v);
	}
	free(s->m);
	free(s->build_id);
	free(s->kernel);
	free(s->label);
	free(s->started);
	free(s->arch);
	memset(s, 0, sizeof(*s));
}
