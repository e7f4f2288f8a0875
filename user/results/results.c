// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace results import|list|query|export: the results store from the command line. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cli.h"
#include "commands.h"
#include "output.h"
#include "util.h"
#include "results/store.h"

#define RESULTS_SCHEMA "pvtrace.results/1"

enum { OPT_DB = 0x200, OPT_METRIC, OPT_CSV };

static struct {
	const char *db;
	const char *selection;
	const char *metric;
	const char *out;
	bool json, csv;
	char **files;
	int nfiles;
} env;

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	(void)ctx;
	switch (key) {
	case OPT_DB:
		if (!*arg) {
			snprintf(err, len, "--db needs a file or a postgresql:// URL");
			return -1;
		}
		env.db = arg;
		break;
	case OPT_METRIC:
		env.metric = arg;
		break;
	case OPT_CSV:
		env.csv = true;
		break;
	case 'j':
		env.json = true;
		break;
	case 'o':
		env.out = arg;
		break;
	default:
		return CLI_UNHANDLED;
	}
	return 0;
}

static int parse_sel_arg(void *ctx, int index, const char *arg, char *err, size_t len)
{
	(void)ctx;
	if (index > 0) {
		snprintf(err, len, "one SELECTION (terms joined by commas), not also '%s'", arg);
		return -1;
	}
	env.selection = arg;
	return 0;
}

static int parse_file_arg(void *ctx, int index, const char *arg, char *err, size_t len)
{
	(void)ctx;
	(void)index;
	(void)err;
	(void)len;
	env.files[env.nfiles++] = (char *)arg;
	return 0;
}

#define OPT_DB_ENTRY                                                                        \
	{                                                                                   \
		"db", OPT_DB, "DB", "The store: a SQLite file, or postgresql://... (libpq)" \
	}

static const char sel_doc[] =
	"SELECTION: comma-separated terms that must all hold: id=N, label=TEXT,\n"
	"benchmark=NAME, kernel=RELEASE, build_id=HEX, since=TIME, until=TIME (TIME:\n"
	"YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, both inclusive); 'all' or none: every result.\n"
	"Results come oldest first (by started, then id).";

/* the store of --db, or an exit status after a message */
static int open_db(const char *cmd, bool create, struct store **s)
{
	char err[512];

	if (!env.db) {
		err_msg("results %s: say which store: --db FILE or --db postgresql://... "
			"(see --help)",
			cmd);
		return EXIT_USAGE;
	}
	if (store_open(env.db, create, s, err, sizeof(err))) {
		err_msg("results %s: %s", cmd, err);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* the whole of a file ("-": stdin); NULL with errno */
static char *read_all(const char *path, size_t *n)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t cap = 65536, got = 0, r;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap + 1);
	while (buf && (r = fread(buf + got, 1, cap - got, f)) > 0) {
		got += r;
		if (got == cap) {
			char *nb = realloc(buf, 2 * cap + 1);

			if (!nb) {
				free(buf);
				buf = NULL;
				errno = ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf && ferror(f)) {
		int e = errno;

		free(buf);
		buf = NULL;
		errno = e ? e : EIO;
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[got] = '\0';
		*n = got;
	}
	return buf;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r", s[i]))
			return false;
	return true;
}

struct counts {
	unsigned int imported, duplicates, failed;
};

/*
 * One file, all or nothing: every line checked first, then imported in one
 * transaction. 0, EXIT_USAGE (a bad file: nothing of it imported) or EXIT_RUNTIME
 * (the store failed: stop).
 */
static int import_file(struct store *s, const char *path, struct counts *c)
{
	const char *name = strcmp(path, "-") ? path : "stdin";
	size_t n, nlines = 0;
	char err[512], *buf = read_all(path, &n), *p, *end;
	unsigned int line = 0, first = 0, ndup = 0, nnew = 0;
	int rc = 0;

	if (!buf) {
		err_msg("results import: %s: %s", name, strerror(errno));
		c->failed++;
		return EXIT_USAGE;
	}
	/* the lines as documents: NUL-terminated in place, checked */
	for (p = buf; p < buf + n; p = end + 1, line++) {
		json_object *doc;

		end = memchr(p, '\n', buf + n - p);
		if (!end)
			end = buf + n;
		*end = '\0';
		if (blank(p, end - p))
			continue;
		doc = store_parse_json(p, end - p, err, sizeof(err));
		if (!doc || bench_doc_check(doc, err, sizeof(err))) {
			err_msg("results import: %s:%u: %s; nothing of %s imported", name, line + 1,
				err, name);
			json_object_put(doc);
			c->failed++;
			free(buf);
			return EXIT_USAGE;
		}
		json_object_put(doc);
		nlines++;
	}
	if (!nlines) {
		err_msg("results import: %s: no result document in it", name);
		c->failed++;
		free(buf);
		return EXIT_USAGE;
	}
	if (store_begin(s, err, sizeof(err))) {
		err_msg("results import: %s: %s", name, err);
		free(buf);
		return EXIT_RUNTIME;
	}
	for (p = buf, line = 0; p < buf + n; p += strlen(p) + 1, line++) {
		int64_t id;
		int r;

		if (blank(p, strlen(p)))
			continue;
		r = store_import(s, p, &id, err, sizeof(err));
		if (r < 0) {
			store_rollback(s);
			err_msg("results import: %s:%u: %s; nothing of %s imported", name, line + 1,
				err, name);
			c->failed++;
			free(buf);
			return r == STORE_EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		}
		if (r == 1)
			printf("%s:%u: already stored as id %" PRId64
			       " (same content), not imported again\n",
			       name, line + 1, id);
		else
			printf("%s:%u: imported as id %" PRId64 "\n", name, line + 1, id);
		if (r)
			ndup++;
		else
			nnew++;
		if (!first)
			first = line + 1;
	}
	if (store_commit(s, err, sizeof(err))) {
		err_msg("results import: %s: %s; nothing of %s imported", name, err, name);
		c->failed++;
		rc = EXIT_RUNTIME;
	} else {
		c->imported += nnew;
		c->duplicates += ndup;
	}
	free(buf);
	return rc;
}

static int results_import(int argc, char **argv)
{
	static const char doc[] =
		"Import result documents (pvtrace.bench/1, from pvtrace bench NAME --json) into\n"
		"the store, creating it (a SQLite file, or the tables in a PostgreSQL database)\n"
		"when it does not exist. A FILE holds one document per line; '-' is stdin. A\n"
		"document already stored (the same bytes: the same content digest) is not\n"
		"stored twice. Each FILE is imported whole or not at all: a FILE with an invalid\n"
		"document is named with the line and the problem, and the other FILEs are\n"
		"still imported. Exit status: 0 all imported, 2 a FILE was unreadable or\n"
		"invalid, 1 the store failed.\n\n"
		"Examples:\n"
		"  pvtrace bench ioctl --json >r.json && pvtrace results import --db ci.db r.json\n"
		"  pvtrace results import --db postgresql://ci@db.example/pvtrace *.json\n"
		"  cat results.jsonl | pvtrace results import --db ci.db -";
	static const struct cli_opt opts[] = { OPT_DB_ENTRY, { NULL, 0, NULL, NULL } };
	static const struct cli cli = { .name = "pvtrace results import",
					.usage = "--db DB FILE...",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt,
					.arg = parse_file_arg };
	struct counts c = { 0 };
	struct store *s;
	int ret, status = 0;

	env.files = calloc(argc + 1, sizeof(*env.files));
	if (!env.files)
		return EXIT_RUNTIME;
	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret) {
		ret = ret == CLI_HELP ? 0 : ret;
		goto out;
	}
	if (!env.nfiles) {
		err_msg("results import: say which FILEs (- for stdin; see --help)");
		ret = EXIT_USAGE;
		goto out;
	}
	for (int i = 0; i < env.nfiles; i++)
		for (int k = 0; k < i; k++)
			if (!strcmp(env.files[i], "-") && !strcmp(env.files[k], "-")) {
				err_msg("results import: stdin (-) given twice");
				ret = EXIT_USAGE;
				goto out;
			}
	ret = open_db("import", true, &s);
	if (ret)
		goto out;
	for (int i = 0; i < env.nfiles; i++) {
		int r = import_file(s, env.files[i], &c);

		if (r == EXIT_RUNTIME) {
			status = r;
			break;
		}
		if (r)
			status = r;
		if (out_flush_check(stdout)) {
			status = EXIT_RUNTIME;
			break;
		}
	}
	store_close(s);
	printf("%u imported, %u already stored, %u file%s failed\n", c.imported, c.duplicates,
	       c.failed, c.failed == 1 ? "" : "s");
	ret = status;
out:
	free(env.files);
	return ret;
}

/* the selected documents, or an exit status after a message */
static int select_docs(const char *cmd, struct store *s, json_object ***docs, int64_t **ids,
		       size_t *n)
{
	char err[512];
	int r = store_select(s, env.selection, docs, ids, n, err, sizeof(err));

	if (r) {
		err_msg("results %s: %s", cmd, err);
		return r == STORE_EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	return 0;
}

static void free_docs(json_object **docs, int64_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(docs[i]);
	free(docs);
	free(ids);
}

static const char *get_str(json_object *o, const char *path)
{
	char key[32];
	const char *dot = strchr(path, '.');
	json_object *v;

	if (dot) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		if (!json_object_object_get_ex(o, key, &v))
			return "";
		return get_str(v, dot + 1);
	}
	if (!json_object_object_get_ex(o, path, &v) || json_object_is_type(v, json_type_null))
		return "";
	return json_object_get_string(v);
}

static json_object *get_metrics(json_object *doc)
{
	json_object *m = NULL;

	json_object_object_get_ex(doc, "metrics", &m);
	return m;
}

/* s for a text table: control characters as '?' */
static const char *cell(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static int results_list(int argc, char **argv)
{
	static const char doc_head[] =
		"List the stored results: id, start time, benchmark, label, kernel release,\n"
		"runs and the number of metrics; --json: one document (schema " RESULTS_SCHEMA
		", kind list).\n\n";
	static const char doc_tail[] =
		"\n\nExamples:\n"
		"  pvtrace results list --db ci.db\n"
		"  pvtrace results list --db ci.db label=stock-6.12,benchmark=ioctl\n"
		"  pvtrace results list --db postgresql://ci@db/pvtrace "
		"since=2026-12-01 --json";
	static char doc[sizeof(doc_head) + sizeof(sel_doc) + sizeof(doc_tail)];
	static const struct cli_opt opts[] = {
		OPT_DB_ENTRY,
		{ "json", 'j', NULL, "One JSON document (schema " RESULTS_SCHEMA ")" },
		{ NULL, 0, NULL, NULL },
	};
	static const struct cli cli = { .name = "pvtrace results list",
					.usage = "--db DB [SELECTION] [--json]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt,
					.arg = parse_sel_arg };
	json_object **docs, *out, *arr;
	struct store *s;
	int64_t *ids;
	size_t n;
	int ret;

	snprintf(doc, sizeof(doc), "%s%s%s", doc_head, sel_doc, doc_tail);
	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	ret = open_db("list", false, &s);
	if (ret)
		return ret;
	ret = select_docs("list", s, &docs, &ids, &n);
	store_close(s);
	if (ret)
		return ret;
	if (env.json) {
		out = json_doc_new(RESULTS_SCHEMA, "list", false);
		arr = json_object_new_array();
		json_object_object_add(out, "results", arr);
		for (size_t i = 0; i < n; i++) {
			json_object *r = json_object_new_object(), *names = json_object_new_array();
			json_object *m = get_metrics(docs[i]);

			json_object_object_add(r, "id", json_object_new_int64(ids[i]));
			json_object_object_add(r, "started",
					       json_object_new_string(get_str(docs[i], "started")));
			json_object_object_add(
				r, "benchmark",
				json_object_new_string(get_str(docs[i], "benchmark")));
			json_object_object_add(r, "label",
					       json_object_new_string(get_str(docs[i], "label")));
			json_object_object_add(r, "kernel",
					       json_object_new_string(get_str(
						       docs[i], "fingerprint.kernel_release")));
			json_object_object_add(
				r, "runs", json_object_new_int64(atoll(get_str(docs[i], "runs"))));
			for (size_t k = 0; k < json_object_array_length(m); k++)
				json_object_array_add(
					names, json_object_new_string(get_str(
						       json_object_array_get_idx(m, k), "name")));
			json_object_object_add(r, "metrics", names);
			json_object_array_add(arr, r);
		}
		json_print_line(stdout, out);
		json_object_put(out);
	} else {
		int w[3] = { 9, 5, 6 }; /* benchmark, label, kernel */
		char b[3][128];

		for (size_t i = 0; i < n; i++) {
			const int l[3] = {
				(int)strlen(cell(get_str(docs[i], "benchmark"), b[0], 128)),
				(int)strlen(cell(get_str(docs[i], "label"), b[1], 128)),
				(int)strlen(cell(get_str(docs[i], "fingerprint.kernel_release"),
						 b[2], 128))
			};

			for (int k = 0; k < 3; k++)
				if (l[k] > w[k])
					w[k] = l[k];
		}
		printf("%6s  %-20s  %-*s  %-*s  %-*s  %4s  %7s\n", "ID", "STARTED", w[0],
		       "BENCHMARK", w[1], "LABEL", w[2], "KERNEL", "RUNS", "METRICS");
		for (size_t i = 0; i < n; i++)
			printf("%6" PRId64 "  %-20s  %-*s  %-*s  %-*s  %4s  %7zu\n", ids[i],
			       get_str(docs[i], "started"), w[0],
			       cell(get_str(docs[i], "benchmark"), b[0], 128), w[1],
			       cell(get_str(docs[i], "label"), b[1], 128), w[2],
			       cell(get_str(docs[i], "fingerprint.kernel_release"), b[2], 128),
			       get_str(docs[i], "runs"),
			       json_object_array_length(get_metrics(docs[i])));
		if (!n)
			fprintf(stderr, "pvtrace: results list: no result matches\n");
	}
	free_docs(docs, ids, n);
	return out_flush_check(stdout) ? EXIT_RUNTIME : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* quantile q of sorted v[0..n): linear between closest ranks (h = (n - 1) q) */
static double quantile(const double *v, size_t n, double q)
{
	double h = (n - 1) * q;
	size_t lo = (size_t)floor(h);

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (h - lo) * (v[lo + 1] - v[lo]);
}

/* CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break */
static void csv_field(const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

struct qrow {
	double median, p10, p90;
	size_t runs;
};

static int metric_stats(json_object *m, struct qrow *q)
{
	json_object *vals;
	double *v;
	size_t n;

	json_object_object_get_ex(m, "values", &vals);
	n = json_object_array_length(vals);
	v = malloc((n + 1) * sizeof(*v));
	if (!v || !n) {
		free(v);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_object_get_double(json_object_array_get_idx(vals, i));
	qsort(v, n, sizeof(*v), cmp_double);
	q->runs = n;
	q->median = quantile(v, n, 0.5);
	q->p10 = quantile(v, n, 0.1);
	q->p90 = quantile(v, n, 0.9);
	free(v);
	return 0;
}

static void query_print(json_object **docs, const int64_t *ids, size_t n, size_t *rows)
{
	json_object *out = NULL, *arr = NULL;

	if (env.json) {
		out = json_doc_new(RESULTS_SCHEMA, "query", false);
		arr = json_object_new_array();
		json_object_object_add(out, "metrics", arr);
	} else if (env.csv) {
		printf("id,started,benchmark,label,metric,unit,better,runs,median,p10,p90\n");
	} else {
		printf("%6s  %-20s  %-16s  %-28s  %-5s  %4s  %12s  %12s  %12s\n", "ID", "STARTED",
		       "LABEL", "METRIC", "UNIT", "RUNS", "MEDIAN", "P10", "P90");
	}
	for (size_t i = 0; i < n; i++) {
		json_object *ms = get_metrics(docs[i]);

		for (size_t k = 0; k < json_object_array_length(ms); k++) {
			json_object *m = json_object_array_get_idx(ms, k);
			const char *name = get_str(m, "name");
			struct qrow q;
			char b[2][128];

			if ((env.metric && strcmp(env.metric, name)) || metric_stats(m, &q))
				continue;
			(*rows)++;
			if (env.json) {
				json_object *r = json_object_new_object();

				json_object_object_add(r, "id", json_object_new_int64(ids[i]));
				json_object_object_add(
					r, "started",
					json_object_new_string(get_str(docs[i], "started")));
				json_object_object_add(
					r, "benchmark",
					json_object_new_string(get_str(docs[i], "benchmark")));
				json_object_object_add(
					r, "label",
					json_object_new_string(get_str(docs[i], "label")));
				json_object_object_add(r, "metric", json_object_new_string(name));
				json_object_object_add(r, "unit",
						       json_object_new_string(get_str(m, "unit")));
				json_object_object_add(
					r, "better", json_object_new_string(get_str(m, "better")));
				json_object_object_add(r, "runs", json_object_new_int64(q.runs));
				json_object_object_add(r, "median",
						       json_object_new_double(q.median));
				json_object_object_add(r, "p10", json_object_new_double(q.p10));
				json_object_object_add(r, "p90", json_object_new_double(q.p90));
				json_object_array_add(arr, r);
			} else if (env.csv) {
				printf("%" PRId64 ",%s,%s,", ids[i], get_str(docs[i], "started"),
				       get_str(docs[i], "benchmark"));
				csv_field(get_str(docs[i], "label"));
				printf(",%s,%s,%s,%zu,%.17g,%.17g,%.17g\n", name,
				       get_str(m, "unit"), get_str(m, "better"), q.runs, q.median,
				       q.p10, q.p90);
			} else {
				printf("%6" PRId64 "  %-20s  %-16s  %-28s  %-5s  %4zu  %12.6g  "
				       "%12.6g  %12.6g\n",
				       ids[i], get_str(docs[i], "started"),
				       cell(get_str(docs[i], "label"), b[0], sizeof(b[0])),
				       cell(name, b[1], sizeof(b[1])), get_str(m, "unit"), q.runs,
				       q.median, q.p10, q.p90);
			}
		}
	}
	if (out) {
		json_print_line(stdout, out);
		json_object_put(out);
	}
}

static int results_query(int argc, char **argv)
{
	static const char doc_head[] =
		"Per selected result and metric: the median and the 10th and 90th percentiles\n"
		"over its runs (linear between closest ranks, as numpy's default). Text, --csv,\n"
		"or --json: one document (schema " RESULTS_SCHEMA ", kind query).\n\n";
	static const char doc_tail[] =
		"\n\nExamples:\n"
		"  pvtrace results query --db ci.db label=patched-6.12 --metric KVM_RUN.p50\n"
		"  pvtrace results query --db ci.db benchmark=regs --csv >regs.csv\n"
		"  pvtrace results query --db postgres://ci@db/pvtrace id=42 --json";
	static char doc[sizeof(doc_head) + sizeof(sel_doc) + sizeof(doc_tail)];
	static const struct cli_opt opts[] = {
		OPT_DB_ENTRY,
		{ "metric", OPT_METRIC, "NAME", "Only the metric NAME (e.g. KVM_GET_REGS.p50)" },
		{ "json", 'j', NULL, "One JSON document (schema " RESULTS_SCHEMA ")" },
		{ "csv", OPT_CSV, NULL, "CSV with a header line" },
		{ NULL, 0, NULL, NULL },
	};
	static const struct cli cli = {
		.name = "pvtrace results query",
		.usage = "--db DB [SELECTION] [--metric NAME] [--json|--csv]",
		.doc = doc,
		.opts = opts,
		.opt = parse_opt,
		.arg = parse_sel_arg
	};
	json_object **docs;
	struct store *s;
	int64_t *ids;
	size_t n, rows = 0;
	int ret;

	snprintf(doc, sizeof(doc), "%s%s%s", doc_head, sel_doc, doc_tail);
	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	if (env.json && env.csv) {
		err_msg("results query: --json or --csv, not both");
		return EXIT_USAGE;
	}
	ret = open_db("query", false, &s);
	if (ret)
		return ret;
	ret = select_docs("query", s, &docs, &ids, &n);
	store_close(s);
	if (ret)
		return ret;
	query_print(docs, ids, n, &rows);
	free_docs(docs, ids, n);
	if (!rows && !env.json)
		fprintf(stderr, "pvtrace: results query: no %s matches\n", n ? "metric" : "result");
	return out_flush_check(stdout) ? EXIT_RUNTIME : 0;
}

/* texts as JSON lines into f; 0 or errno */
static int write_texts(FILE *f, char **texts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fputs(texts[i], f) == EOF || fputc('\n', f) == EOF)
			return errno ? errno : EIO;
	return fflush(f) ? (errno ? errno : EIO) : 0;
}

static int export_file(char **texts, size_t n)
{
	size_t l = strlen(env.out);
	char *tmp = malloc(l + 16);
	FILE *f = NULL;
	int fd, e;

	if (!tmp)
		return ENOMEM;
	/* beside the target, renamed over it when complete: never half a file */
	snprintf(tmp, l + 16, "%s.tmpXXXXXX", env.out);
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return e;
	}
	e = write_texts(f, texts, n);
	if (!e && fchmod(fd, 0644))
		e = errno;
	if (fclose(f) && !e)
		e = errno ? errno : EIO;
	if (!e && rename(tmp, env.out))
		e = errno;
	if (e)
		unlink(tmp);
	free(tmp);
	return e;
}

static int results_export(int argc, char **argv)
{
	static const char doc_head[] =
		"Write the selected result documents as JSON lines, oldest first, each byte for\n"
		"byte as it was imported: 'results import' of the output into another store\n"
		"(SQLite or PostgreSQL) moves the results there.\n\n";
	static const char doc_tail[] =
		"\n\nExamples:\n"
		"  pvtrace results export --db ci.db label=stock-6.12 -o stock.jsonl\n"
		"  pvtrace results export --db ci.db | pvtrace results import --db "
		"postgresql://ci@db/pvtrace -";
	static char doc[sizeof(doc_head) + sizeof(sel_doc) + sizeof(doc_tail)];
	static const struct cli_opt opts[] = {
		OPT_DB_ENTRY,
		{ "output", 'o', "FILE", "Write FILE (complete or not at all) instead of stdout" },
		{ NULL, 0, NULL, NULL },
	};
	static const struct cli cli = { .name = "pvtrace results export",
					.usage = "--db DB [SELECTION] [-o FILE]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt,
					.arg = parse_sel_arg };
	char err[512], **texts;
	struct store *s;
	int64_t *ids;
	size_t n;
	int ret, e;

	snprintf(doc, sizeof(doc), "%s%s%s", doc_head, sel_doc, doc_tail);
	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	ret = open_db("export", false, &s);
	if (ret)
		return ret;
	ret = store_select_text(s, env.selection, &texts, &ids, &n, err, sizeof(err));
	store_close(s);
	if (ret) {
		err_msg("results export: %s", err);
		return ret == STORE_EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (env.out) {
		e = export_file(texts, n);
		if (e) {
			err_msg("results export: %s: %s", env.out, strerror(e));
			ret = EXIT_RUNTIME;
		}
	} else {
		write_texts(stdout, texts, n);
		ret = out_flush_check(stdout) ? EXIT_RUNTIME : 0;
	}
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(ids);
	return ret;
}

int cmd_results(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
		const char *help;
	} subs[] = {
		{ "import", results_import, "store result documents (SQLite file or PostgreSQL)" },
		{ "list", results_list, "list the stored results" },
		{ "query", results_query, "median, p10, p90 over runs per result and metric" },
		{ "export", results_export, "the stored documents as JSON lines, as imported" },
	};
	static const char *const all_opts[][2] = {
		{ "    --db DB", "The store: a SQLite file, or postgresql://... (every command)" },
		{ "-j, --json", "list, query: one JSON document (schema " RESULTS_SCHEMA ")" },
		{ "    --csv", "query: CSV with a header line" },
		{ "    --metric NAME", "query: only the metric NAME" },
		{ "-o, --output FILE", "export: write FILE (complete or not at all)" },
		{ "-h, --help", "Show this help" },
		{ "-V, --version", "Show the version" },
	};

	if (argc < 2) {
		err_msg("results: say which command: import, list, query or export (see pvtrace "
			"results --help)");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		static char name[48];

		if (strcmp(argv[1], subs[i].name))
			continue;
		snprintf(name, sizeof(name), "pvtrace results %s", subs[i].name);
		argv[1] = name;
		return subs[i].fn(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("Usage: pvtrace results COMMAND --db DB [OPTIONS]\n\n"
		       "The results store: a SQLite file (DB: a path) or a PostgreSQL database\n"
		       "(DB: postgresql://... or postgres://..., libpq), one schema on both.\n\n"
		       "Commands:\n");
		for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
			printf("  %-7s %s\n", subs[i].name, subs[i].help);
		printf("\nOptions (each command's --help has its own):\n");
		for (size_t i = 0; i < ARRAY_SIZE(all_opts); i++)
			printf("  %-26s %s\n", all_opts[i][0], all_opts[i][1]);
		printf("\nExamples:\n"
		       "  pvtrace results import --db ci.db result.json\n"
		       "  pvtrace results list --db ci.db benchmark=ioctl\n"
		       "  pvtrace results query --db ci.db label=stock-6.12 --metric KVM_RUN.p50\n"
		       "  pvtrace results export --db ci.db -o all.jsonl\n"
		       "\n'pvtrace results COMMAND --help' describes a command.\n");
		return 0;
	}
	err_msg("results: unknown command '%s': import, list, query or export", argv[1]);
	return EXIT_USAGE;
}
