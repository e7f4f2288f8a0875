// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace dashboard (FILE... | --db DB [--select SEL]) -o DIR: a static, self-contained HTML page (DIR/index.html)
 * over a series of pvtrace.bench/1 result documents. Files hold JSON lines (several
 * documents each; '-' is stdin), or a results store's selection. The page is written whole to a temporary file in DIR
 * and renamed: a reader sees the old page or the new one, never half of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "dashboard/dash.h"
#include "results/store.h"
#include "util.h"

#define DASH_MAX_INPUT (256u << 20) /* bytes per input file */

struct dash_args {
	const char *dir, *title, *db, *select;
	enum dash_lines lines;
	bool json;
	const char **files;
	size_t nfiles;
};

static const struct cli_opt opts[] = {
	{ "output", 'o', "DIR", "Write DIR/index.html (DIR is created if missing)" },
	{ "title", 't', "TEXT", "The page's title (default: pvtrace benchmark dashboard)" },
	{ "db", 'D', "DB", "Read the results from a store (SQLite file or postgresql:// URL)" },
	{ "select", 's', "SEL", "With --db: which results (key=value,...; default all)" },
	{ "lines", 'l', "BY", "One line per machine (default) or per label" },
	{ "json", 'j', NULL,
	  "Print the series and change points as one document (schema " HISTORY_SCHEMA ")" },
	{ NULL, 0, NULL, NULL },
};

static const char doc[] =
	"A static HTML page (inline CSS and SVG, no script, no network: it works from file://)\n"
	"over a series of pvtrace.bench/1 results: per metric the median over runs and its\n"
	"p10-p90 band across the series with change points marked (E-divisive means), one small\n"
	"plot per ioctl command, the latency histograms as a heatmap, the MANY_REGS speedup and\n"
	"the tracing overhead; every point links to its result's fingerprint row.\n"
	"FILE: JSON lines of result documents (pvtrace bench NAME --json), '-' for stdin;\n"
	"or --db DB: the results store's documents (pvtrace results import), --select SEL\n"
	"as in pvtrace results: id=N, label=TEXT, benchmark=NAME, kernel=RELEASE,\n"
	"build_id=HEX, since=RFC3339, until=RFC3339, comma-separated, or all.\n"
	"Series order: the results' started time, then input order. One line per machine\n"
	"(CPU model, hypervisor, TCG or not: the kernels or commits of a series on one\n"
	"machine), or with --lines label one per label; the x axis names each result's label.\n"
	"\nExamples:\n"
	"  pvtrace bench regs --json --label v6.12 >> results.jsonl\n"
	"  pvtrace dashboard results.jsonl -o site\n"
	"  pvtrace dashboard stock.jsonl patched.jsonl -o /tmp/dash --title 'MANY_REGS series'\n"
	"  pvtrace dashboard --db results.db --select benchmark=regs,since=2026-12-01 -o site\n"
	"  pvtrace dashboard --db results.db --json | jq '.metrics[].lines[].changes[]'\n";

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	struct dash_args *a = ctx;

	switch (key) {
	case 'o':
		if (!*arg) {
			snprintf(err, len, "empty output directory");
			return -1;
		}
		a->dir = arg;
		return 0;
	case 't':
		a->title = arg;
		return 0;
	case 'D':
		a->db = arg;
		return 0;
	case 's':
		a->select = arg;
		return 0;
	case 'j':
		a->json = true;
		return 0;
	case 'l':
		if (!strcmp(arg, "machine")) {
			a->lines = DASH_LINES_MACHINE;
		} else if (!strcmp(arg, "label")) {
			a->lines = DASH_LINES_LABEL;
		} else {
			snprintf(err, len, "invalid --lines '%s' (machine or label)", arg);
			return -1;
		}
		return 0;
	}
	return CLI_UNHANDLED;
}

static int parse_arg(void *ctx, int index, const char *arg, char *err, size_t len)
{
	struct dash_args *a = ctx;

	(void)index;
	(void)err;
	(void)len;
	a->files[a->nfiles++] = arg;
	return 0;
}

/* the whole of path ('-': stdin) into *buf, NUL terminated: 0 or -errno */
static int slurp(const char *path, char **buf, size_t *n)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	size_t cap = 1 << 16, len = 0;
	char *b = NULL, *nb;
	int ret = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (!(nb = realloc(b, cap + 1))) {
			ret = -ENOMEM;
			break;
		}
		b = nb;
		got = fread(b + len, 1, cap - len, f);
		len += got;
		if (got == 0 || len < cap) {
			if (ferror(f))
				ret = errno ? -errno : -EIO;
			if (feof(f) || ret)
				break;
		}
		if (len == cap) {
			if (cap >= DASH_MAX_INPUT) {
				ret = -EFBIG;
				break;
			}
			cap *= 2;
		}
	}
	if (f != stdin)
		fclose(f);
	if (ret) {
		free(b);
		return ret;
	}
	b[len] = 0;
	*buf = b;
	*n = len;
	return 0;
}

struct docs {
	json_object **v;
	size_t n;
};

static void docs_free(struct docs *d)
{
	for (size_t i = 0; i < d->n; i++)
		json_object_put(d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

static size_t line_of(const char *buf, size_t off)
{
	size_t line = 1;

	for (size_t i = 0; i < off; i++)
		line += buf[i] == '\n';
	return line;
}

/* the documents of one file, appended to d: 0, or EXIT_USAGE after a one-line error */
static int load_file(const char *path, struct docs *d)
{
	const char *name = strcmp(path, "-") ? path : "stdin";
	json_tokener *tok;
	char *buf = NULL, err[256];
	size_t n = 0, off = 0;
	int ret = slurp(path, &buf, &n);

	if (ret) {
		err_msg("dashboard: %s: %s", name, strerror(-ret));
		return EXIT_USAGE;
	}
	tok = json_tokener_new();
	if (!tok) {
		free(buf);
		err_msg("dashboard: out of memory");
		return EXIT_RUNTIME;
	}
	for (;;) {
		json_object *o, **nv;
		size_t start;

		while (off < n && buf[off] && strchr(" \t\r\n", buf[off]))
			off++;
		if (off >= n)
			break;
		start = off;
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, buf + off,
					  (int)(n - off > INT_MAX ? INT_MAX : n - off));
		if (!o) {
			enum json_tokener_error e = json_tokener_get_error(tok);

			err_msg("dashboard: %s:%zu: not JSON (%s)", name, line_of(buf, start),
				e == json_tokener_continue ? "unexpected end of input"
							   : json_tokener_error_desc(e));
			ret = EXIT_USAGE;
			break;
		}
		off += json_tokener_get_parse_end(tok);
		if (dash_doc_check(o, err, sizeof(err))) {
			err_msg("dashboard: %s:%zu: %s", name, line_of(buf, start), err);
			json_object_put(o);
			ret = EXIT_USAGE;
			break;
		}
		nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
		if (!nv) {
			json_object_put(o);
			err_msg("dashboard: out of memory");
			ret = EXIT_RUNTIME;
			break;
		}
		d->v = nv;
		d->v[d->n++] = o;
	}
	json_tokener_free(tok);
	free(buf);
	return ret;
}

/* mkdir -p dir; the directories made, deepest last, into made (to undo on failure) */
static int make_dirs(const char *dir, char made[][PATH_MAX], int *nmade, int max)
{
	char p[PATH_MAX];
	size_t len = strlen(dir);

	if (len >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i])
			continue;
		p[i] = 0;
		if (mkdir(p, 0755) == 0) {
			if (*nmade < max)
				snprintf(made[(*nmade)++], PATH_MAX, "%s", p);
		} else if (errno != EEXIST) {
			return -errno;
		}
		p[i] = i < len ? '/' : 0;
	}
	return 0;
}

static int write_page(const char *dir, const char *page, size_t len, char *err, size_t errlen)
{
	char made[8][PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX];
	int nmade = 0, fd = -1, ret;
	struct stat st;

	if (snprintf(tmp, sizeof(tmp), "%s/.index.html.XXXXXX", dir) >= (int)sizeof(tmp) ||
	    snprintf(dst, sizeof(dst), "%s/index.html", dir) >= (int)sizeof(dst)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(ENAMETOOLONG));
		return -1;
	}
	ret = make_dirs(dir, made, &nmade, 8);
	if (!ret && (stat(dir, &st) || !S_ISDIR(st.st_mode)))
		ret = -ENOTDIR;
	if (ret) {
		snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(-ret));
		goto undo;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write in %s: %s", dir, strerror(errno));
		goto undo;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, page + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "writing %s: %s", dst, strerror(w < 0 ? errno : EIO));
			goto unlink;
		}
		off += (size_t)w;
	}
	if (fchmod(fd, 0644) || fsync(fd) || close(fd)) {
		fd = -1;
		snprintf(err, errlen, "writing %s: %s", dst, strerror(errno));
		goto unlink;
	}
	fd = -1;
	if (rename(tmp, dst)) {
		snprintf(err, errlen, "cannot write %s: %s", dst, strerror(errno));
		goto unlink;
	}
	return 0;
unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
undo:
	while (nmade-- > 0)
		rmdir(made[nmade]);
	return -1;
}

int dash_build(json_object **docs, size_t n, const struct dash_opts *o)
{
	struct dmodel m;
	char *page = NULL, err[PATH_MAX + 128];
	size_t len = 0;
	FILE *f;
	int ret;

	if (!n) {
		err_msg("dashboard: no result documents to draw");
		return EXIT_USAGE;
	}
	if (dash_model_build(&m, docs, n, o->lines)) {
		err_msg("dashboard: out of memory");
		return EXIT_RUNTIME;
	}
	if (o->json && (dash_history(stdout, &m, o->lines) || out_flush_check(stdout))) {
		dash_model_free(&m);
		err_msg("dashboard: cannot write the history to stdout");
		return EXIT_RUNTIME;
	}
	if (!o->dir) {
		dash_model_free(&m);
		return 0;
	}
	f = open_memstream(&page, &len);
	if (!f) {
		dash_model_free(&m);
		err_msg("dashboard: out of memory");
		return EXIT_RUNTIME;
	}
	ret = dash_render(f, &m, o->title ? o->title : "pvtrace benchmark dashboard");
	if (fclose(f) || ret) {
		dash_model_free(&m);
		free(page);
		err_msg("dashboard: out of memory");
		return EXIT_RUNTIME;
	}
	dash_model_free(&m);
	ret = write_page(o->dir, page, len, err, sizeof(err));
	free(page);
	if (ret) {
		err_msg("dashboard: %s", err);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* the documents of a store selection, appended to d: 0, or an exit status after an error */
static int load_db(const char *db, const char *sel, struct docs *d)
{
	struct store *s;
	json_object **v = NULL;
	int64_t *ids = NULL;
	size_t n = 0;
	char err[512];
	int r;

	if (store_open(db, false, &s, err, sizeof(err))) {
		err_msg("dashboard: %s", err);
		return EXIT_RUNTIME;
	}
	r = store_select(s, sel, &v, &ids, &n, err, sizeof(err));
	store_close(s);
	free(ids);
	if (r) {
		err_msg("dashboard: %s", err);
		return r == STORE_EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	d->v = v;
	d->n = n;
	/* the store validated them at import; the dashboard's own needs are checked again */
	for (size_t i = 0; i < n; i++)
		if (dash_doc_check(v[i], err, sizeof(err))) {
			err_msg("dashboard: %s: a stored result: %s", db, err);
			return EXIT_USAGE;
		}
	if (!n) {
		err_msg("dashboard: no result in %s matches '%s'", db, sel ? sel : "all");
		return EXIT_USAGE;
	}
	return 0;
}

int cmd_dashboard(int argc, char **argv)
{
	static const struct cli cli = {
		.name = "pvtrace dashboard",
		.usage = "(FILE... | --db DB [--select SEL]) -o DIR [--title TEXT]",
		.doc = doc,
		.opts = opts,
		.opt = parse_opt,
		.arg = parse_arg
	};
	struct dash_args a = { .files = calloc(argc > 0 ? argc : 1, sizeof(char *)) };
	struct docs d = { 0 };
	int ret, stdin_uses = 0;

	if (!a.files) {
		err_msg("dashboard: out of memory");
		return EXIT_RUNTIME;
	}
	ret = cli_parse(&cli, argc, argv, &a);
	if (ret) {
		ret = ret == CLI_HELP ? 0 : ret;
		goto out;
	}
	ret = EXIT_USAGE;
	if (a.db && a.nfiles) {
		err_msg("dashboard: give result FILEs or --db DB, not both");
		goto out;
	}
	if (a.select && !a.db) {
		err_msg("dashboard: --select needs --db DB");
		goto out;
	}
	if (!a.nfiles && !a.db) {
		err_msg("dashboard: say which results to draw: FILE... or --db DB (see --help)");
		goto out;
	}
	if (!a.dir && !a.json) {
		err_msg("dashboard: say where to write the page: -o DIR, or --json (see --help)");
		goto out;
	}
	for (size_t i = 0; i < a.nfiles; i++)
		stdin_uses += !strcmp(a.files[i], "-");
	if (stdin_uses > 1) {
		err_msg("dashboard: '-' (stdin) can be given once");
		goto out;
	}
	if (a.db && (ret = load_db(a.db, a.select, &d)))
		goto out;
	for (size_t i = 0; i < a.nfiles; i++)
		if ((ret = load_file(a.files[i], &d)))
			goto out;
	if (!d.n) {
		err_msg("dashboard: no result documents in the input");
		ret = EXIT_USAGE;
		goto out;
	}
	ret = dash_build(
		d.v, d.n,
		&(struct dash_opts){
			.dir = a.dir, .title = a.title, .lines = a.lines, .json = a.json });
out:
	docs_free(&d);
	free(a.files);
	return ret;
}
