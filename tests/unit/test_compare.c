// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace compare's loader and decisions (user/compare/), on documents built here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "compare/compare.h"

/* a result document: one metric per "name:better:threshold:v1,v2,..." spec */
static json_object *doc(const char *bench, const char *const *specs, size_t n)
{
	char buf[8192];
	size_t o = 0;

	o += snprintf(buf + o, sizeof(buf) - o,
		      "{\"schema\":\"pvtrace.bench/1\",\"kind\":\"result\",\"benchmark\":\"%s\","
		      "\"metrics\":[",
		      bench);
	for (size_t i = 0; i < n; i++) {
		char name[64], better[16], vals[4096];
		double thr;

		assert_int_equal(
			sscanf(specs[i], "%63[^:]:%15[^:]:%lf:%4095s", name, better, &thr, vals),
			4);
		o += snprintf(
			buf + o, sizeof(buf) - o,
			"%s{\"name\":\"%s\",\"unit\":\"ns\",\"better\":\"%s\",\"threshold\":%g,"
			"\"values\":[%s]}",
			i ? "," : "", name, better, thr, vals);
	}
	snprintf(buf + o, sizeof(buf) - o, "]}");
	json_object *d = json_tokener_parse(buf);

	assert_non_null(d);
	return d;
}

static void side_of(struct cmp_side *s, const char *what, const char *const *specs, size_t n)
{
	char err[256];
	json_object *d = doc("ioctl", specs, n);

	memset(s, 0, sizeof(*s));
	s->what = what;
	assert_int_equal(cmp_side_add_doc(s, d, "test", err, sizeof(err)), 0);
	json_object_put(d);
}

static const struct cmp_row *row(const struct cmp_result *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rows[i].name, name))
			return &r->rows[i];
	fail_msg("no row %s", name);
	return NULL;
}

static const struct cmp_opts defaults = { .method = M_PVTRACE, .alpha = 0.05, .min_runs = 5 };

#define C10(v) v "," v "," v "," v "," v "," v "," v "," v "," v "," v

static void test_constant_shifts(void **state)
{
	const char *b[] = { "up:lower:0.05:" C10("100"), "small:lower:0.05:" C10("100"),
			    "ratio:higher:0.05:" C10("2"), "flat:lower:0.05:" C10("7"),
			    "gone:lower:0.05:1" };
	const char *n[] = { "up:lower:0.05:" C10("110"), "small:lower:0.05:" C10("104"),
			    "ratio:higher:0.05:" C10("1.8"), "flat:lower:0.05:" C10("7"),
			    "fresh:lower:0.05:1" };
	struct cmp_side sb, sn;
	struct cmp_result r;

	(void)state;
	side_of(&sb, "BASE", b, 5);
	side_of(&sn, "NEW", n, 5);
	assert_int_equal(cmp_analyze(&sb, &sn, &defaults, &r), 0);
	assert_int_equal(r.n, 6);
	/* +10 %, no noise: the interval is the point 1.1, beyond 1.05 */
	assert_int_equal(row(&r, "up")->v, V_REGRESSED);
	assert_float_equal(row(&r, "up")->ci.lo, 1.1, 1e-12);
	assert_float_equal(row(&r, "up")->ci.hi, 1.1, 1e-12);
	/* +4 %: significant but inside the band */
	assert_int_equal(row(&r, "small")->v, V_SAME);
	assert_true(row(&r, "small")->p_adj < 0.05);
	/* higher is better: a drop to 0.9 regresses */
	assert_int_equal(row(&r, "ratio")->v, V_REGRESSED);
	assert_int_equal(row(&r, "flat")->v, V_SAME);
	assert_float_equal(row(&r, "flat")->p, 1, 0);
	assert_int_equal(row(&r, "gone")->v, V_BASE_ONLY);
	assert_int_equal(row(&r, "fresh")->v, V_NEW_ONLY);
	assert_int_equal(r.count[V_REGRESSED], 2);
	assert_int_equal(r.count[V_SAME], 2);
	/* Holm over the 4 compared metrics: the smallest p times 4 */
	double pmin = 1;

	for (size_t i = 0; i < r.n; i++)
		if (!isnan(r.rows[i].p) && r.rows[i].p < pmin)
			pmin = r.rows[i].p;
	assert_float_equal(row(&r, "up")->p, pmin, 0);
	assert_float_equal(row(&r, "up")->p_adj, fmin(1, 4 * pmin), 1e-15);
	/* p = 2 min(MWU, KS) */
	assert_float_equal(row(&r, "up")->p,
			   fmin(1, 2 * fmin(row(&r, "up")->p_mwu, row(&r, "up")->p_ks)), 0);
	cmp_result_free(&r);
	cmp_side_free(&sb);
	cmp_side_free(&sn);
}

static void test_min_runs_and_estimate(void **state)
{
	const char *b[] = { "a:lower:0.05:100,130,80,115" };
	const char *n[] = { "a:lower:0.05:105,140,90,120" };
	struct cmp_opts o = defaults;
	struct cmp_side sb, sn;
	struct cmp_result r;
	unsigned more;

	(void)state;
	side_of(&sb, "BASE", b, 1);
	side_of(&sn, "NEW", n, 1);
	assert_int_equal(cmp_analyze(&sb, &sn, &o, &r), 0);
	assert_int_equal(r.rows[0].v, V_UNKNOWN);
	assert_true(r.rows[0].more_runs >= 1);
	cmp_result_free(&r);
	/* allowed with 4 runs: still unknown (a wide interval), the estimate from its width */
	o.min_runs = 2;
	assert_int_equal(cmp_analyze(&sb, &sn, &o, &r), 0);
	assert_int_equal(r.rows[0].v, V_UNKNOWN);
	more = r.rows[0].more_runs;
	assert_true(more >= 1);
	/* a wider band is decided sooner: fewer runs */
	cmp_result_free(&r);
	o.threshold = 0.5;
	assert_int_equal(cmp_analyze(&sb, &sn, &o, &r), 0);
	assert_true(r.rows[0].v == V_SAME || r.rows[0].more_runs < more);
	cmp_result_free(&r);
	cmp_side_free(&sb);
	cmp_side_free(&sn);
}

static void test_baselines(void **state)
{
	const char *b[] = { "a:lower:0.05:100,101,99,100.5,99.5,100.2,99.8,100.1,99.9,100.3" };
	const char *n[] = { "a:lower:0.05:110,111,109,110.5,109.5,110.2,109.8,110.1,109.9,110.3" };
	struct cmp_opts o = defaults;
	struct cmp_side sb, sn;
	struct cmp_result r;

	(void)state;
	side_of(&sb, "BASE", b, 1);
	side_of(&sn, "NEW", n, 1);
	for (int m = M_PVTRACE; m <= M_LKP; m++) {
		o.method = m;
		assert_int_equal(cmp_analyze(&sb, &sn, &o, &r), 0);
		assert_int_equal(r.rows[0].v, V_REGRESSED);
		if (m == M_PINPOINT)
			assert_float_equal(r.rows[0].p, fmin(r.rows[0].p_mwu, r.rows[0].p_ks), 0);
		if (m == M_PERFHERDER)
			assert_float_equal(r.rows[0].p, r.rows[0].p_welch, 0);
		if (m == M_LKP)
			assert_true(isnan(r.rows[0].p) && r.rows[0].lkp_change > 0.09);
		cmp_result_free(&r);
	}
	/* swapped: improved for every method */
	for (int m = M_PVTRACE; m <= M_LKP; m++) {
		o.method = m;
		assert_int_equal(cmp_analyze(&sn, &sb, &o, &r), 0);
		assert_int_equal(r.rows[0].v, V_IMPROVED);
		cmp_result_free(&r);
	}
	cmp_side_free(&sb);
	cmp_side_free(&sn);
}

static void test_loader_errors(void **state)
{
	static const char *const bad[] = {
		"[1]",
		"{\"schema\":\"pvtrace.bench/2\",\"benchmark\":\"ioctl\",\"metrics\":[]}",
		"{\"schema\":\"pvtrace.bench/1\",\"benchmark\":\"ioctl\",\"metrics\":[]}",
		"{\"schema\":\"pvtrace.bench/1\",\"metrics\":[{}]}",
		"{\"schema\":\"pvtrace.bench/"
		"1\",\"benchmark\":\"ioctl\",\"metrics\":[{\"name\":\"a\","
		"\"unit\":\"ns\",\"better\":\"up\",\"threshold\":0.05,\"values\":[1]}]}",
		"{\"schema\":\"pvtrace.bench/"
		"1\",\"benchmark\":\"ioctl\",\"metrics\":[{\"name\":\"a\","
		"\"unit\":\"ns\",\"better\":\"lower\",\"threshold\":0,\"values\":[1]}]}",
		"{\"schema\":\"pvtrace.bench/"
		"1\",\"benchmark\":\"ioctl\",\"metrics\":[{\"name\":\"a\","
		"\"unit\":\"ns\",\"better\":\"lower\",\"threshold\":0.05,\"values\":[]}]}",
		"{\"schema\":\"pvtrace.bench/"
		"1\",\"benchmark\":\"ioctl\",\"metrics\":[{\"name\":\"a\","
		"\"unit\":\"ns\",\"better\":\"lower\",\"threshold\":0.05,\"values\":[1,\"2\"]}]}",
	};
	const char *one[] = { "a:lower:0.05:1,2" }, *other[] = { "a:higher:0.05:1,2" };
	struct cmp_side s = { .what = "BASE" };
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object *d = json_tokener_parse(bad[i]);

		assert_non_null(d);
		err[0] = 0;
		assert_int_equal(cmp_side_add_doc(&s, d, "t:1", err, sizeof(err)), -1);
		assert_true(!strncmp(err, "t:1: ", 5));
		json_object_put(d);
		cmp_side_free(&s);
		s.what = "BASE";
	}
	/* the same metric with another 'better' in a later document */
	side_of(&s, "BASE", one, 1);
	json_object *d = doc("ioctl", other, 1);

	assert_int_equal(cmp_side_add_doc(&s, d, "t:2", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "differs"));
	json_object_put(d);
	/* pooled: a second document adds its runs */
	d = doc("ioctl", one, 1);
	assert_int_equal(cmp_side_add_doc(&s, d, "t:3", err, sizeof(err)), 0);
	assert_int_equal(s.m[0].n, 4);
	assert_int_equal(s.docs, 2);
	json_object_put(d);
	cmp_side_free(&s);
}

static void test_add_docs(void **state)
{
	const char *one[] = { "a:lower:0.05:1,2,3" };
	json_object *docs[2] = { doc("ioctl", one, 1), doc("ioctl", one, 1) };
	int64_t ids[2] = { 7, 9 };
	struct cmp_side s = { .what = "NEW" };
	char err[256];

	(void)state;
	assert_int_equal(cmp_side_add_docs(&s, docs, ids, 2, "label=x", err, sizeof(err)), 0);
	assert_int_equal(s.docs, 2);
	assert_int_equal(s.m[0].n, 6);
	cmp_side_free(&s);
	s.what = "NEW";
	assert_int_equal(cmp_side_add_docs(&s, docs, ids, 0, "label=y", err, sizeof(err)), -1);
	assert_string_equal(err, "NEW label=y: no result documents");
	json_object_put(docs[1]);
	docs[1] =
		json_tokener_parse("{\"schema\":\"pvtrace.bench/1\",\"benchmark\":\"ioctl\","
				   "\"metrics\":[{\"name\":\"a\",\"unit\":\"ns\","
				   "\"better\":\"sideways\",\"threshold\":0.05,\"values\":[1]}]}");
	assert_int_equal(cmp_side_add_docs(&s, docs, ids, 2, "all", err, sizeof(err)), -1);
	assert_true(!strncmp(err, "NEW all:id=9: ", 14));
	cmp_side_free(&s);
	json_object_put(docs[0]);
	json_object_put(docs[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constant_shifts),
		cmocka_unit_test(test_min_runs_and_estimate),
		cmocka_unit_test(test_baselines),
		cmocka_unit_test(test_loader_errors),
		cmocka_unit_test(test_add_docs),
	};

	return cmocka_run_group_tests_name("compare", tests, NULL, NULL);
}
