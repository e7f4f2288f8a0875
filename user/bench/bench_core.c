// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The result document pvtrace.bench/1, its text table, the common options, `pvtrace bench`. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "bench.h"
#include "cli.h"
#include "commands.h"
#include "output.h"
#include "util.h"

int bench_opt(struct bench_opts *o, int key, const char *arg, char *err, size_t len)
{
	switch (key) {
	case BENCH_OPT_RUNS:
		return cli_int_opt("--runs", arg, 1, BENCH_MAX_RUNS, &o->runs, err, len);
	case BENCH_OPT_LABEL: {
		char clean[256];

		utf8_sanitize(clean, sizeof(clean), arg, strlen(arg));
		if (!*arg || strlen(arg) > 200 || strcmp(clean, arg)) {
			snprintf(err, len, "invalid --label (1 to 200 bytes of printable UTF-8)");
			return -1;
		}
		o->label = arg;
		return 0;
	}
	case BENCH_OPT_JSON:
		o->json = true;
		return 0;
	case BENCH_OPT_OUT:
		if (!*arg) {
			snprintf(err, len, "invalid -o: an empty file name");
			return -1;
		}
		o->out = arg;
		return 0;
	default:
		return CLI_UNHANDLED;
	}
}

/* The directory a file goes into ("." for a bare name), in buf. */
static const char *dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
	return buf;
}

int bench_opts_check(const struct bench_opts *o, const char *name)
{
	char dir[PATH_MAX];

	if (!o->out)
		return 0;
	if (o->out[strlen(o->out) - 1] == '/') {
		err_msg("%s: -o %s: a directory, not a file", name, o->out);
		return EXIT_USAGE;
	}
	if (access(dir_of(o->out, dir, sizeof(dir)), W_OK | X_OK)) {
		err_msg("%s: -o %s: cannot write in %s: %s", name, o->out, dir, strerror(errno));
		return EXIT_USAGE;
	}
	return 0;
}

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int bench_result_init(struct bench_result *r, const char *benchmark, const struct bench_opts *o)
{
	memset(r, 0, sizeof(*r));
	r->benchmark = benchmark;
	r->o = o;
	r->started = time(NULL);
	r->t0_ns = now_ns();
	r->text_table = true;
	fingerprint_read(&r->fp);
	r->params = json_object_new_object();
	r->details = json_object_new_object();
	return r->params && r->details ? 0 : -ENOMEM;
}

int bench_metric_new(struct bench_result *r, const char *name, const char *unit, const char *better,
		     double threshold)
{
	struct bench_metric *m;

	if (r->nm == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;

		m = realloc(r->m, cap * sizeof(*m));
		if (!m)
			return -1;
		r->m = m;
		r->cap = cap;
	}
	m = &r->m[r->nm];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->unit = unit;
	m->better = better;
	m->threshold = threshold;
	m->decimals = strcmp(unit, "x") ? 1 : 4;
	m->values = calloc(r->o->runs, sizeof(double));
	if (!m->values)
		return -1;
	return r->nm++;
}

void bench_metric_set(struct bench_result *r, int metric, int run, double v)
{
	if (metric >= 0 && (size_t)metric < r->nm && run >= 0 && run < r->o->runs)
		r->m[metric].values[run] = v;
}

void bench_histogram_add(struct bench_result *r, const char *name, const struct hist_data *h)
{
	json_object *o = json_object_new_object(), *b = json_object_new_array();

	if (!r->histograms)
		r->histograms = json_object_new_array();
	for (int i = 0; i < HIST_SLOTS; i++) {
		json_object *x;

		if (!h->slots[i])
			continue;
		x = json_object_new_object();
		json_object_object_add(x, "lo", json_u64(hist_slot_low(i)));
		json_object_object_add(x, "hi", json_u64(hist_slot_high(i) - (i < HIST_SLOTS - 1)));
		json_object_object_add(x, "count", json_u64(h->slots[i]));
		json_object_array_add(b, x);
	}
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "unit", json_object_new_string("ns"));
	json_object_object_add(o, "buckets", b);
	json_object_array_add(r->histograms, o);
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bench_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), dbl_cmp);
}

double bench_quantile_sorted(const double *s, size_t n, double q)
{
	size_t k;

	if (!n)
		return 0;
	k = (size_t)ceil(q * n);
	return s[k ? (k > n ? n : k) - 1 : 0];
}

struct bench_stat bench_stat_of(const double *v, int n)
{
	double *s = malloc(n * sizeof(*s));
	struct bench_stat r = { 0, 0, 0 };

	if (!s || n <= 0) {
		free(s);
		return r;
	}
	memcpy(s, v, n * sizeof(*s));
	bench_sort(s, n);
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	r.p10 = s[(int)floor(0.1 * (n - 1))];
	r.p90 = s[(int)ceil(0.9 * (n - 1))];
	free(s);
	return r;
}

json_object *bench_json_num(double v, int decimals)
{
	char b[64];

	/* NaN or infinite is no JSON; a negative zero after rounding is zero */
	if (!isfinite(v) || fabs(v) < 0.5 * pow(10, -decimals))
		v = 0;
	snprintf(b, sizeof(b), "%.*f", decimals, v);
	return json_object_new_double_s(strtod(b, NULL), b);
}

static json_object *result_json(struct bench_result *r, double duration_s)
{
	json_object *doc = json_doc_new(BENCH_SCHEMA, "result", true),
		    *ms = json_object_new_array();
	char started[32];
	struct tm tm;

	gmtime_r(&r->started, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(doc, "benchmark", json_object_new_string(r->benchmark));
	json_object_object_add(
		doc, "label", json_object_new_string(r->o->label ? r->o->label : kernel_release()));
	json_object_object_add(doc, "started", json_object_new_string(started));
	json_object_object_add(doc, "duration_s", bench_json_num(duration_s, 3));
	json_object_object_add(doc, "fingerprint", fingerprint_json(&r->fp));
	json_object_object_add(doc, "params", json_object_get(r->params));
	json_object_object_add(doc, "runs", json_object_new_int(r->o->runs));
	for (size_t i = 0; i < r->nm; i++) {
		const struct bench_metric *m = &r->m[i];
		json_object *o = json_object_new_object(), *v = json_object_new_array();

		json_object_object_add(o, "name", json_object_new_string(m->name));
		json_object_object_add(o, "unit", json_object_new_string(m->unit));
		json_object_object_add(o, "better", json_object_new_string(m->better));
		{
			char t[32];

			/* as short as it is: 0.05 */
			snprintf(t, sizeof(t), "%g", m->threshold);
			json_object_object_add(o, "threshold",
					       json_object_new_double_s(m->threshold, t));
		}
		for (int k = 0; k < r->o->runs; k++)
			json_object_array_add(v, bench_json_num(m->values[k], m->decimals));
		json_object_object_add(o, "values", v);
		json_object_array_add(ms, o);
	}
	json_object_object_add(doc, "metrics", ms);
	if (r->histograms)
		json_object_object_add(doc, "histograms", json_object_get(r->histograms));
	json_object_object_add(doc, "details", json_object_get(r->details));
	return doc;
}

/* Written whole or not at all: a temporary file beside FILE, renamed over it. */
static int write_out(const char *path, json_object *doc)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	if (fchmod(fd, 0644)) {
		err = -errno;
		fclose(f);
		unlink(tmp);
		return err;
	}
	err = json_print_line(f, doc);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static void print_text(const struct bench_result *r, double duration_s)
{
	const struct fingerprint *f = &r->fp;

	printf("pvtrace bench %s: label %s, %d run%s, %.1f s\n", r->benchmark,
	       r->o->label ? r->o->label : kernel_release(), r->o->runs, r->o->runs > 1 ? "s" : "",
	       duration_s);
	printf("kernel %s, build id %.12s%s, config %s\n", f->kernel_release,
	       *f->build_id ? f->build_id : "unknown", strlen(f->build_id) > 12 ? "..." : "",
	       *f->config_hash ? f->config_hash : "unknown");
	printf("%s, %d CPU%s, hypervisor %s%s, attach mode %s, pvtrace %s\n", f->cpu_model, f->cpus,
	       f->cpus > 1 ? "s" : "", f->hypervisor,
	       f->emulated ? " (emulated CPU: not hardware timings)" : "", f->attach_mode,
	       f->version);
	if (!r->text_table)
		return;
	printf("\n%-28s %12s %25s  %s\n", "metric", "median", "p10-p90 over runs", "unit");
	for (size_t i = 0; i < r->nm; i++) {
		const struct bench_metric *m = &r->m[i];
		struct bench_stat s = bench_stat_of(m->values, r->o->runs);
		int d = strcmp(m->unit, "x") ? 1 : 3;
		char range[64];

		snprintf(range, sizeof(range), "%.*f-%.*f", d, s.p10, d, s.p90);
		printf("%-28s %12.*f %25s  %s\n", m->name, d, s.med, range, m->unit);
	}
}

int bench_result_emit(struct bench_result *r)
{
	double duration_s = (now_ns() - r->t0_ns) / 1e9;
	json_object *doc = result_json(r, duration_s);
	int ret = 0, err;

	if (r->o->json) {
		if (json_print_line(stdout, doc))
			ret = EXIT_RUNTIME;
	} else {
		print_text(r, duration_s);
	}
	if (r->o->out && (err = write_out(r->o->out, doc))) {
		err_msg("bench %s: -o %s: %s", r->benchmark, r->o->out, strerror(-err));
		ret = EXIT_RUNTIME;
	}
	json_object_put(doc);
	return ret;
}

void bench_result_free(struct bench_result *r)
{
	for (size_t i = 0; i < r->nm; i++)
		free(r->m[i].values);
	free(r->m);
	json_object_put(r->params);
	json_object_put(r->details);
	json_object_put(r->histograms);
	memset(r, 0, sizeof(*r));
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} benchmarks[] = {
	{ "ioctl", bench_ioctl,
	  "per-command latency of a fixed mix of vCPU ioctls, fresh VM per run" },
	{ "regs", bench_regs, "vCPU register save/restore: ONE_REG vs MANY_REGS vs legacy" },
	{ "overhead", bench_overhead, "added ns per vCPU ioctl of pvtrace's own tracing" },
};

int cmd_bench(int argc, char **argv)
{
	for (size_t i = 0; argc >= 2 && i < ARRAY_SIZE(benchmarks); i++) {
		if (!strcmp(argv[1], benchmarks[i].name)) {
			static char name[64];

			snprintf(name, sizeof(name), "pvtrace bench %s", benchmarks[i].name);
			argv[1] = name;
			return benchmarks[i].run(argc - 1, argv + 1);
		}
	}
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: pvtrace bench BENCHMARK [OPTIONS]\n\n"
		       "The benchmarks a kernel CI runs: each repeats its measurement --runs\n"
		       "times (the run is the unit of analysis) and prints a table of the\n"
		       "medians over runs, or with --json one result document (schema " BENCH_SCHEMA
		       ")\nwith the fingerprint of the kernel and machine.\n\nBenchmarks:\n");
		for (size_t i = 0; i < ARRAY_SIZE(benchmarks); i++)
			printf("  %-9s %s\n", benchmarks[i].name, benchmarks[i].what);
		printf("\nExamples:\n"
		       "  pvtrace bench ioctl\n"
		       "  pvtrace bench ioctl --runs 20 --label v6.12-rc1 --json -o ioctl.json\n"
		       "  pvtrace bench overhead --mode kprobe\n"
		       "  pvtrace bench regs --vcpus 4 --json\n"
		       "  pvtrace bench BENCHMARK --help\n");
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		cli_print_version();
		return 0;
	}
	if (argc >= 2)
		err_msg("bench: unknown benchmark '%s': ioctl, regs or overhead (see pvtrace bench "
			"--help)",
			argv[1]);
	else
		err_msg("bench: say which benchmark: ioctl, regs or overhead (see pvtrace bench "
			"--help)");
	return EXIT_USAGE;
}
