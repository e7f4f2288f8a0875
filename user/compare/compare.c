// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace compare BASE NEW: two sets of bench results, metric by metric. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "commands.h"
#include "compare.h"
#include "results/store.h"
#include "util.h"

struct env {
	const char *path[2]; /* BASE, NEW */
	int nargs;
	bool json;
	const char *junit, *kcidb;
	const char *db; /* BASE and NEW are selections in this store */
	struct cmp_opts o;
};

enum { O_JUNIT = 0x100, O_KCIDB, O_ALPHA, O_THRESHOLD, O_METHOD, O_MIN_RUNS, O_DB };

static const struct cli_opt opts[] = {
	{ "json", 'j', NULL, "One JSON document (schema " COMPARE_SCHEMA ")" },
	{ "db", O_DB, "DB",
	  "BASE and NEW are selections (label=L,benchmark=B,...) in this results store" },
	{ "junit", O_JUNIT, "FILE", "Also write JUnit XML: a test case per metric" },
	{ "kcidb", O_KCIDB, "FILE", "Also write a KCIDB v5.3 report: a test per metric" },
	{ "alpha", O_ALPHA, "A", "Significance level, family-wise (default 0.05)" },
	{ "threshold", O_THRESHOLD, "F",
	  "Practical threshold, a fraction (default: each metric's own)" },
	{ "method", O_METHOD, "M", "pvtrace (default), pinpoint, perfherder or lkp" },
	{ "min-runs", O_MIN_RUNS, "N", "Fewer runs a side: unknown (default 5)" },
	{ NULL, 0, NULL, NULL },
};

static bool parse_fraction(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v > lo && v <= hi))
		return false;
	*out = v;
	return true;
}

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	struct env *e = ctx;
	uint64_t v;

	switch (key) {
	case 'j':
		e->json = true;
		return 0;
	case O_DB:
		e->db = arg;
		return 0;
	case O_JUNIT:
		e->junit = arg;
		return 0;
	case O_KCIDB:
		e->kcidb = arg;
		return 0;
	case O_ALPHA:
		if (!parse_fraction(arg, 0, 0.5, &e->o.alpha) || e->o.alpha == 0.5) {
			snprintf(err, len, "invalid --alpha '%s' (0 < A < 0.5)", arg);
			return -1;
		}
		return 0;
	case O_THRESHOLD:
		if (!parse_fraction(arg, 0, 10, &e->o.threshold)) {
			snprintf(err, len, "invalid --threshold '%s' (0 < F <= 10, 0.05 is 5 %%)",
				 arg);
			return -1;
		}
		return 0;
	case O_METHOD:
		for (int m = M_PVTRACE; m <= M_LKP; m++)
			if (!strcmp(arg, cmp_method_names[m])) {
				e->o.method = m;
				return 0;
			}
		snprintf(err, len, "invalid --method '%s' (pvtrace, pinpoint, perfherder or lkp)",
			 arg);
		return -1;
	case O_MIN_RUNS:
		if (!parse_u64(arg, &v) || !v || v > 10000) {
			snprintf(err, len, "invalid --min-runs '%s' (1..10000)", arg);
			return -1;
		}
		e->o.min_runs = (unsigned)v;
		return 0;
	default:
		return -1;
	}
}

static int parse_arg(void *ctx, int index, const char *arg, char *err, size_t len)
{
	struct env *e = ctx;

	if (index > 1) {
		snprintf(err, len, "unexpected argument '%s' (give BASE and NEW)", arg);
		return -1;
	}
	e->path[index] = arg;
	e->nargs = index + 1;
	return 0;
}

static int load_files(const struct env *e, struct cmp_side *side, char *err, size_t len)
{
	for (int i = 0; i < 2; i++)
		if (cmp_side_load_file(&side[i], e->path[i], err, len))
			return -1;
	return 0;
}

/* Each side's selection from the store: store_select() into cmp_side_add_docs(). */
static int load_store(const struct env *e, struct cmp_side *side, char *err, size_t len)
{
	struct store *st;
	int ret = 0;

	if (store_open(e->db, false, &st, err, len))
		return -1;
	for (int i = 0; i < 2 && !ret; i++) {
		json_object **docs = NULL;
		int64_t *ids = NULL;
		size_t n = 0;
		char where[256];

		if (store_select(st, e->path[i], &docs, &ids, &n, err, len)) {
			ret = -1;
			break;
		}
		snprintf(where, sizeof(where), "%s %s", side[i].what, e->path[i]);
		ret = cmp_side_add_docs(&side[i], docs, ids, n, where, err, len);
		for (size_t j = 0; j < n; j++)
			json_object_put(docs[j]);
		free(docs);
		free(ids);
	}
	store_close(st);
	return ret;
}

int cmd_compare(int argc, char **argv)
{
	static const char doc[] =
		"Compare two sets of benchmark results (pvtrace bench NAME --json documents),\n"
		"metric by metric, matched on (benchmark, name). BASE and NEW are files of\n"
		"result documents, one JSON line each (several documents of a benchmark pool\n"
		"their runs); '-' reads one of them from stdin. With --db, BASE and NEW are\n"
		"selections in a results store (pvtrace results --help: id=N, label=L,\n"
		"benchmark=B, kernel=R, build_id=HEX, since=T, until=T, comma-separated).\n\n"
		"Each metric: the ratio median(NEW)/median(BASE) with a bootstrap confidence\n"
		"interval (1 - alpha), Mann-Whitney U and Kolmogorov-Smirnov over the runs\n"
		"(p = 2 min of the two), Holm-adjusted over all metrics compared. Verdicts:\n"
		"regressed / improved when significant and the interval lies wholly beyond the\n"
		"threshold band [1/(1+t), 1+t] on the bad / good side (per the metric's\n"
		"'better'); same when the interval is inside the band (or significant with the\n"
		"ratio inside); otherwise unknown, with an estimate of the runs that would\n"
		"decide. --method pinpoint|perfherder|lkp decides with those systems' rules\n"
		"instead, for calibration. Exit status: 0 no regression, 1 a regression, 2 a\n"
		"usage error, unreadable input or an output file not written.\n\n"
		"Examples:\n"
		"  pvtrace compare base.jsonl new.jsonl\n"
		"  pvtrace bench ioctl --json | pvtrace compare stock.jsonl - --junit junit.xml\n"
		"  pvtrace compare a.jsonl b.jsonl --json --kcidb kcidb.json --threshold 0.02\n"
		"  pvtrace compare a.jsonl b.jsonl --method pinpoint\n"
		"  pvtrace compare --db results.db label=stock-6.12 label=patched-6.12";
	static const struct cli cli = { .name = "pvtrace compare",
					.usage = "BASE NEW [OPTIONS]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt,
					.arg = parse_arg };
	struct env e = { .o = { .method = M_PVTRACE, .alpha = 0.05, .min_runs = 5 } };
	struct cmp_side side[2] = { { .what = "BASE" }, { .what = "NEW" } };
	struct cmp_result res = { 0 };
	char err[1024];
	int ret;

	ret = cli_parse(&cli, argc, argv, &e);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	/* 12 significant digits: the figures, not binary noise (0.05, not 0.050000000000000003) */
	json_c_set_serialization_double_format("%.12g", JSON_C_OPTION_GLOBAL);
	if (e.nargs != 2) {
		err_msg("compare: give BASE and NEW (files of result documents, '-' for stdin, "
			"or selections with --db)");
		return EXIT_USAGE;
	}
	if (!e.db && !strcmp(e.path[0], "-") && !strcmp(e.path[1], "-")) {
		err_msg("compare: only one of BASE and NEW can be '-' (stdin)");
		return EXIT_USAGE;
	}
	ret = EXIT_USAGE;
	if (e.db ? load_store(&e, side, err, sizeof(err))
		 : load_files(&e, side, err, sizeof(err))) {
		err_msg("compare: %s", err);
		goto out;
	}
	if (cmp_analyze(&side[0], &side[1], &e.o, &res)) {
		err_msg("compare: out of memory");
		ret = EXIT_RUNTIME;
		goto out;
	}
	if ((e.junit && cmp_write_junit(e.junit, &res, &e.o, err, sizeof(err))) ||
	    (e.kcidb &&
	     cmp_write_kcidb(e.kcidb, &res, &e.o, &side[0], &side[1], err, sizeof(err)))) {
		err_msg("compare: %s", err);
		goto out;
	}
	if (e.json) {
		json_object *d = cmp_json(&res, &e.o, &side[0], &side[1]);

		json_print_line(stdout, d);
		json_object_put(d);
	} else {
		cmp_print_text(stdout, &res, &e.o);
	}
	ret = out_flush_check(stdout) ? EXIT_USAGE : res.count[V_REGRESSED] ? 1 : 0;
out:
	cmp_result_free(&res);
	cmp_side_free(&side[0]);
	cmp_side_free(&side[1]);
	return ret;
}
