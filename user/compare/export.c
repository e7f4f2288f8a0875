// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The comparison as JUnit XML and as a KCIDB v5.3 report, each file written atomically. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "compare.h"
#include "output.h"

/*
 * A temporary beside path (the same file system: rename is atomic), with the
 * terminating signals blocked until cmp_file_done(): no temporary survives a
 * signal, and no partial FILE ever exists.
 */
struct outfile {
	FILE *f;
	char tmp[4096];
	sigset_t old;
};

static int out_open(struct outfile *o, const char *path, char *err, size_t len)
{
	sigset_t block;
	int fd;

	if (snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", path) >= (int)sizeof(o->tmp)) {
		snprintf(err, len, "%s: path too long", path);
		return -1;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &o->old);
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		sigprocmask(SIG_SETMASK, &o->old, NULL);
		return -1;
	}
	fchmod(fd, 0644);
	o->f = fdopen(fd, "w");
	if (!o->f) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(o->tmp);
		sigprocmask(SIG_SETMASK, &o->old, NULL);
		return -1;
	}
	return 0;
}

static int out_done(struct outfile *o, const char *path, char *err, size_t len)
{
	int ret = 0;

	if (fflush(o->f) || ferror(o->f) || fsync(fileno(o->f))) {
		snprintf(err, len, "%s: %s", path, strerror(errno ? errno : EIO));
		ret = -1;
	}
	if (fclose(o->f) && !ret) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		ret = -1;
	}
	if (!ret && rename(o->tmp, path)) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		ret = -1;
	}
	if (ret)
		unlink(o->tmp);
	sigprocmask(SIG_SETMASK, &o->old, NULL);
	return ret;
}

static void xml_prop(FILE *f, const char *name, double v)
{
	if (isnan(v))
		return;
	fprintf(f, "        <property name=\"%s\" value=\"%.9g\"/>\n", name, v);
}

static void describe(const struct cmp_row *x, char *b, size_t len)
{
	if (x->have_ci)
		snprintf(b, len, "%s: %s/%s ratio %.4f [%.4f, %.4f], p %.3g, threshold %g",
			 cmp_verdict_names[x->v], x->benchmark, x->name, x->ci.ratio, x->ci.lo,
			 x->ci.hi, x->p_adj, x->threshold);
	else
		snprintf(b, len, "%s: %s/%s", cmp_verdict_names[x->v], x->benchmark, x->name);
}

int cmp_write_junit(const char *path, const struct cmp_result *r, const struct cmp_opts *o,
		    char *err, size_t len)
{
	struct outfile of = { 0 };
	unsigned fail = r->count[V_REGRESSED];
	unsigned skip = r->count[V_UNKNOWN] + r->count[V_BASE_ONLY] + r->count[V_NEW_ONLY];

	if (out_open(&of, path, err, len))
		return -1;
	FILE *f = of.f;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f,
		"<testsuites name=\"pvtrace compare (%s)\" tests=\"%zu\" failures=\"%u\" "
		"errors=\"0\" skipped=\"%u\">\n",
		cmp_method_names[o->method], r->n, fail, skip);
	for (size_t i = 0; i < r->n; i++) {
		const char *bench = r->rows[i].benchmark;
		unsigned t = 0, nf = 0, ns = 0;
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(r->rows[k].benchmark, bench);
		if (seen)
			continue;
		for (size_t k = i; k < r->n; k++) {
			const struct cmp_row *x = &r->rows[k];

			if (strcmp(x->benchmark, bench))
				continue;
			t++;
			nf += x->v == V_REGRESSED;
			ns += x->v == V_UNKNOWN || x->v == V_BASE_ONLY || x->v == V_NEW_ONLY;
		}
		fputs("  <testsuite name=\"", f);
		markup_puts(f, bench);
		fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\">\n", t, nf,
			ns);
		for (size_t k = i; k < r->n; k++) {
			const struct cmp_row *x = &r->rows[k];
			char msg[1536];

			if (strcmp(x->benchmark, bench))
				continue;
			fputs("    <testcase classname=\"pvtrace.", f);
			markup_puts(f, bench);
			fputs("\" name=\"", f);
			markup_puts(f, x->name);
			fputs("\" time=\"0\">\n      <properties>\n", f);
			fputs("        <property name=\"verdict\" value=\"", f);
			markup_puts(f, cmp_verdict_names[x->v]);
			fputs("\"/>\n", f);
			xml_prop(f, "base_median", x->med_base);
			xml_prop(f, "new_median", x->med_new);
			xml_prop(f, "ratio", x->ci.ratio);
			if (x->have_ci) {
				xml_prop(f, "ci_low", x->ci.lo);
				xml_prop(f, "ci_high", x->ci.hi);
			}
			xml_prop(f, "p", x->p);
			xml_prop(f, "p_adjusted", x->p_adj);
			xml_prop(f, "threshold", x->threshold);
			fputs("      </properties>\n", f);
			describe(x, msg, sizeof(msg));
			if (x->v == V_REGRESSED) {
				fputs("      <failure type=\"regression\" message=\"", f);
				markup_puts(f, msg);
				fputs("\">", f);
				markup_puts(f, msg);
				fputs("</failure>\n", f);
			} else if (x->v == V_UNKNOWN) {
				if (x->more_runs)
					snprintf(msg, sizeof(msg), "needs %u more runs",
						 x->more_runs);
				else
					snprintf(msg, sizeof(msg), "%s",
						 x->reason ? x->reason : "unknown");
				fputs("      <skipped message=\"", f);
				markup_puts(f, msg);
				fputs("\"/>\n", f);
			} else if (x->v == V_BASE_ONLY || x->v == V_NEW_ONLY) {
				fprintf(f, "      <skipped message=\"only in %s\"/>\n",
					x->v == V_BASE_ONLY ? "BASE" : "NEW");
			}
			fputs("    </testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	return out_done(&of, path, err, len);
}

static json_object *jstr(const char *s)
{
	size_t n = strlen(s);
	char *c = malloc(3 * n + 1);
	json_object *o;

	if (!c)
		return NULL;
	utf8_sanitize(c, 3 * n + 1, s, n);
	o = json_object_new_string(c);
	free(c);
	return o;
}

static json_object *jnum(double v)
{
	return isfinite(v) ? json_object_new_double(v) : NULL;
}

/* an id's tail: lower-case letters, digits and _ (what KCIDB origins allow, kept short) */
static void id_part(char *dst, size_t len, const char *src)
{
	size_t k = 0;

	for (const char *p = src; *p && k + 1 < len; p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		dst[k++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ? c : '_';
	}
	dst[k] = 0;
}

static json_object *kcidb_number(const struct cmp_row *x)
{
	json_object *n;
	double v = x->med_new, scale = 1;
	const char *unit = NULL;

	if (isnan(v))
		return NULL;
	if (!strcmp(x->unit, "ns")) {
		scale = 1e-9;
		unit = "s";
	} else if (!strcmp(x->unit, "us")) {
		scale = 1e-6;
		unit = "s";
	}
	n = json_object_new_object();
	json_object_object_add(n, "value", json_object_new_double(v * scale));
	if (unit) {
		json_object_object_add(n, "unit", json_object_new_string(unit));
		json_object_object_add(n, "prefix", json_object_new_string("metric"));
	}
	return n;
}

int cmp_write_kcidb(const char *path, const struct cmp_result *r, const struct cmp_opts *o,
		    const struct cmp_side *base, const struct cmp_side *new, char *err, size_t len)
{
	static const char *const status[] = { "PASS", "PASS", "FAIL", "SKIP", "SKIP", "SKIP" };
	json_object *d = json_object_new_object(), *ver = json_object_new_object();
	json_object *checkouts = json_object_new_array(), *builds = json_object_new_array();
	json_object *tests = json_object_new_array(), *co = json_object_new_object();
	json_object *bu = json_object_new_object();
	char part[256], checkout_id[320], build_id[640];
	struct outfile of = { 0 };
	int ret;

	(void)base;
	json_object_object_add(ver, "major", json_object_new_int(5));
	json_object_object_add(ver, "minor", json_object_new_int(3));
	json_object_object_add(d, "version", ver);
	/* the kernel NEW ran is the checkout; its build (by GNU build id when known) is the build */
	id_part(part, sizeof(part), new->kernel ? new->kernel : "unknown");
	snprintf(checkout_id, sizeof(checkout_id), "pvtrace:%s", part);
	json_object_object_add(co, "id", json_object_new_string(checkout_id));
	json_object_object_add(co, "origin", json_object_new_string("pvtrace"));
	if (new->label)
		json_object_object_add(co, "comment", jstr(new->label));
	json_object_array_add(checkouts, co);
	if (new->build_id) {
		id_part(part, sizeof(part), new->build_id);
		snprintf(build_id, sizeof(build_id), "%s:%s", checkout_id, part);
	} else {
		snprintf(build_id, sizeof(build_id), "%s:build", checkout_id);
	}
	json_object_object_add(bu, "id", json_object_new_string(build_id));
	json_object_object_add(bu, "origin", json_object_new_string("pvtrace"));
	json_object_object_add(bu, "checkout_id", json_object_new_string(checkout_id));
	if (new->arch) {
		id_part(part, sizeof(part), new->arch);
		for (char *c = part; *c; c++)
			if (*c == '.')
				*c = '_';
		json_object_object_add(bu, "architecture", json_object_new_string(part));
	}
	json_object_array_add(builds, bu);
	for (size_t i = 0; i < r->n; i++) {
		const struct cmp_row *x = &r->rows[i];
		json_object *t = json_object_new_object(), *misc = json_object_new_object();
		char id[2048], tpath[1024], msg[1536];

		snprintf(tpath, sizeof(tpath), "pvtrace.%s.%s", x->benchmark, x->name);
		/* KCIDB paths: [a-zA-Z0-9_-] words between dots */
		for (char *c = tpath; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.'))
				*c = '_';
		snprintf(id, sizeof(id), "%s:%s", build_id, tpath);
		json_object_object_add(t, "id", jstr(id));
		json_object_object_add(t, "build_id", json_object_new_string(build_id));
		json_object_object_add(t, "origin", json_object_new_string("pvtrace"));
		json_object_object_add(t, "path", jstr(tpath));
		json_object_object_add(t, "status", json_object_new_string(status[x->v]));
		describe(x, msg, sizeof(msg));
		json_object_object_add(t, "comment", jstr(msg));
		if (new->started)
			json_object_object_add(t, "start_time", jstr(new->started));
		json_object *num = kcidb_number(x);

		if (num)
			json_object_object_add(t, "number", num);
		json_object_object_add(misc, "verdict",
				       json_object_new_string(cmp_verdict_names[x->v]));
		json_object_object_add(misc, "method",
				       json_object_new_string(cmp_method_names[o->method]));
		json_object_object_add(misc, "unit", jstr(x->unit));
		json_object_object_add(misc, "better",
				       json_object_new_string(x->higher ? "higher" : "lower"));
		json_object_object_add(misc, "threshold", json_object_new_double(x->threshold));
		json_object_object_add(misc, "base_median", jnum(x->med_base));
		json_object_object_add(misc, "new_median", jnum(x->med_new));
		json_object_object_add(misc, "base_runs",
				       json_object_new_int64(x->base ? (int64_t)x->base->n : 0));
		json_object_object_add(misc, "new_runs",
				       json_object_new_int64(x->new ? (int64_t)x->new->n : 0));
		json_object_object_add(misc, "ratio", jnum(x->ci.ratio));
		json_object_object_add(misc, "ci_low", x->have_ci ? jnum(x->ci.lo) : NULL);
		json_object_object_add(misc, "ci_high", x->have_ci ? jnum(x->ci.hi) : NULL);
		json_object_object_add(misc, "p", jnum(x->p));
		json_object_object_add(misc, "p_adjusted", jnum(x->p_adj));
		json_object_object_add(misc, "needs_runs",
				       x->more_runs ? json_object_new_int64(x->more_runs) : NULL);
		json_object_object_add(t, "misc", misc);
		json_object_array_add(tests, t);
	}
	json_object_object_add(d, "checkouts", checkouts);
	json_object_object_add(d, "builds", builds);
	json_object_object_add(d, "tests", tests);
	ret = out_open(&of, path, err, len);
	if (!ret) {
		fprintf(of.f, "%s\n",
			json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
		ret = out_done(&of, path, err, len);
	}
	json_object_put(d);
	return ret;
}
