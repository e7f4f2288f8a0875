// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The results store over its engines: the schema (one text for SQLite and PostgreSQL
 * but for the id column's definition), import with dedupe by content digest, selection.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "results/store_int.h"
#include "util.h"

#define SCHEMA_VERSION 1

void store_rows_free(struct store_rows *r)
{
	for (size_t i = 0; r->cell && i < r->nrows * r->ncols; i++)
		free(r->cell[i]);
	free(r->cell);
	*r = (struct store_rows){ 0 };
}

static int exec0(struct store *s, const char *sql, char *err, size_t len)
{
	return s->ops->exec(s, sql, 0, NULL, NULL, err, len);
}

/* %s: the engine's id column */
static const char *const schema_sql[] = {
	"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
	"CREATE TABLE IF NOT EXISTS results ("
	" id %s,"
	" digest TEXT NOT NULL UNIQUE,"
	" schema TEXT NOT NULL,"
	" benchmark TEXT NOT NULL,"
	" label TEXT NOT NULL,"
	" started TEXT NOT NULL,"
	" kernel_release TEXT NOT NULL,"
	" kernel_build_id TEXT,"
	" config_hash TEXT,"
	" cpu_model TEXT NOT NULL,"
	" emulated INTEGER NOT NULL,"
	" attach_mode TEXT NOT NULL,"
	" pvtrace_version TEXT NOT NULL,"
	" hostname TEXT NOT NULL,"
	" runs INTEGER NOT NULL,"
	" document TEXT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS samples ("
	" result_id BIGINT NOT NULL REFERENCES results (id) ON DELETE CASCADE,"
	" metric TEXT NOT NULL,"
	" unit TEXT NOT NULL,"
	" better TEXT NOT NULL,"
	" threshold DOUBLE PRECISION NOT NULL,"
	" run INTEGER NOT NULL,"
	" value DOUBLE PRECISION NOT NULL,"
	" PRIMARY KEY (result_id, metric, run))",
	"CREATE INDEX IF NOT EXISTS samples_metric ON samples (metric, result_id)",
	"CREATE INDEX IF NOT EXISTS results_label ON results (label, started)",
	"CREATE INDEX IF NOT EXISTS results_started ON results (started, id)",
	"CREATE INDEX IF NOT EXISTS results_benchmark ON results (benchmark, started)",
	("INSERT INTO schema_version (version) SELECT 1"
	 " WHERE NOT EXISTS (SELECT 1 FROM schema_version)"),
};

static int schema_create(struct store *s, char *err, size_t len)
{
	char sql[1024];

	if (exec0(s, "BEGIN", err, len))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(schema_sql); i++) {
		snprintf(sql, sizeof(sql), schema_sql[i], s->ops->id_column);
		if (exec0(s, sql, err, len)) {
			exec0(s, "ROLLBACK", sql, sizeof(sql));
			return -1;
		}
	}
	return exec0(s, "COMMIT", err, len);
}

static int schema_check(struct store *s, const char *db, char *err, size_t len)
{
	struct store_rows r;
	char e[256];
	long v;

	if (s->ops->exec(s, "SELECT MAX(version) FROM schema_version", 0, NULL, &r, e, sizeof(e))) {
		snprintf(err, len, "%s: not a pvtrace results store (%s)", db, e);
		return -1;
	}
	v = r.nrows && r.cell[0] ? strtol(r.cell[0], NULL, 10) : 0;
	store_rows_free(&r);
	if (v < 1) {
		snprintf(err, len, "%s: not a pvtrace results store (no schema version)", db);
		return -1;
	}
	/* a later version migrates from this one; this one cannot read a later one */
	if (v > SCHEMA_VERSION) {
		snprintf(err, len, "%s: store schema version %ld is newer than this pvtrace's (%d)",
			 db, v, SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

static bool is_pg_url(const char *db)
{
	return !strncmp(db, "postgresql://", 13) || !strncmp(db, "postgres://", 11);
}

int store_open(const char *db, bool create, struct store **out, char *err, size_t len)
{
	struct store *s = calloc(1, sizeof(*s));
	char e[512];
	int rc;

	*out = NULL;
	if (!s) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	if (is_pg_url(db)) {
		rc = store_pg_open(s, db, e, sizeof(e));
		if (rc)
			snprintf(err, len, "PostgreSQL: %s", e);
	} else {
		rc = store_sqlite_open(s, db, create, err, len);
	}
	if (!rc && create && schema_create(s, e, sizeof(e))) {
		snprintf(err, len, "%s: cannot create the schema: %s",
			 is_pg_url(db) ? "PostgreSQL" : db, e);
		rc = -1;
	}
	if (!rc)
		rc = schema_check(s, is_pg_url(db) ? "PostgreSQL" : db, err, len);
	if (rc) {
		store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->in_tx)
		store_rollback(s);
	if (s->ops)
		s->ops->close(s);
	free(s);
}

const char *store_engine(const struct store *s)
{
	return s->ops->engine;
}

int store_begin(struct store *s, char *err, size_t len)
{
	if (exec0(s, "BEGIN", err, len))
		return STORE_EDB;
	s->in_tx = true;
	return 0;
}

int store_commit(struct store *s, char *err, size_t len)
{
	s->in_tx = false;
	if (exec0(s, "COMMIT", err, len)) {
		char e[64];

		exec0(s, "ROLLBACK", e, sizeof(e));
		return STORE_EDB;
	}
	return 0;
}

int store_rollback(struct store *s)
{
	char e[64];

	s->in_tx = false;
	return exec0(s, "ROLLBACK", e, sizeof(e)) ? STORE_EDB : 0;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

/* the rows of a checked document; in a transaction */
static int insert_doc(struct store *s, const char *text, const char *digest, json_object *doc,
		      int64_t *id, char *err, size_t len)
{
	static const char ins[] =
		"INSERT INTO results (digest, schema, benchmark, label, started, kernel_release,"
		" kernel_build_id, config_hash, cpu_model, emulated, attach_mode, pvtrace_version,"
		" hostname, runs, document)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
		" ON CONFLICT (digest) DO NOTHING RETURNING id";
	static const char ins_sample[] =
		"INSERT INTO samples (result_id, metric, unit, better, threshold, run, value)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7)";
	json_object *fp, *metrics, *v;
	struct store_rows r;
	char idbuf[24], runs[24];
	const char *p[15];

	json_object_object_get_ex(doc, "fingerprint", &fp);
	json_object_object_get_ex(doc, "metrics", &metrics);
	json_object_object_get_ex(fp, "emulated", &v);
	snprintf(runs, sizeof(runs), "%s", str_of(doc, "runs"));
	p[0] = digest;
	p[1] = str_of(doc, "schema");
	p[2] = str_of(doc, "benchmark");
	p[3] = str_of(doc, "label");
	p[4] = str_of(doc, "started");
	p[5] = str_of(fp, "kernel_release");
	p[6] = str_of(fp, "kernel_build_id");
	p[7] = str_of(fp, "config_hash");
	p[8] = str_of(fp, "cpu_model");
	p[9] = json_object_get_boolean(v) ? "1" : "0";
	p[10] = str_of(fp, "attach_mode");
	p[11] = str_of(fp, "pvtrace_version");
	p[12] = str_of(fp, "hostname");
	p[13] = runs;
	p[14] = text;
	if (s->ops->exec(s, ins, 15, p, &r, err, len))
		return STORE_EDB;
	if (!r.nrows) {
		/* the same content is there already */
		store_rows_free(&r);
		if (s->ops->exec(s, "SELECT id FROM results WHERE digest = $1", 1, p, &r, err, len))
			return STORE_EDB;
		*id = r.nrows && r.cell[0] ? strtoll(r.cell[0], NULL, 10) : -1;
		store_rows_free(&r);
		return 1;
	}
	*id = r.cell[0] ? strtoll(r.cell[0], NULL, 10) : -1;
	store_rows_free(&r);
	snprintf(idbuf, sizeof(idbuf), "%" PRId64, *id);
	for (size_t i = 0; i < json_object_array_length(metrics); i++) {
		json_object *m = json_object_array_get_idx(metrics, i), *vals;
		char thr[32], run[24], val[32];
		const char *sp[7] = {
			idbuf, str_of(m, "name"), str_of(m, "unit"), str_of(m, "better"), thr, run,
			val
		};

		json_object_object_get_ex(m, "threshold", &v);
		snprintf(thr, sizeof(thr), "%.17g", json_object_get_double(v));
		json_object_object_get_ex(m, "values", &vals);
		for (size_t k = 0; k < json_object_array_length(vals); k++) {
			snprintf(run, sizeof(run), "%zu", k + 1);
			snprintf(val, sizeof(val), "%.17g",
				 json_object_get_double(json_object_array_get_idx(vals, k)));
			if (s->ops->exec(s, ins_sample, 7, sp, NULL, err, len))
				return STORE_EDB;
		}
	}
	return 0;
}

int store_import(struct store *s, const char *json_text, int64_t *id, char *err, size_t len)
{
	size_t n = strlen(json_text);
	json_object *doc = store_parse_json(json_text, n, err, len);
	char digest[65];
	bool own_tx = !s->in_tx;
	int rc;

	*id = -1;
	if (!doc)
		return STORE_EINVAL;
	if (bench_doc_check(doc, err, len)) {
		json_object_put(doc);
		return STORE_EINVAL;
	}
	sha256_hex(json_text, n, digest);
	if (own_tx && store_begin(s, err, len)) {
		json_object_put(doc);
		return STORE_EDB;
	}
	rc = insert_doc(s, json_text, digest, doc, id, err, len);
	json_object_put(doc);
	if (own_tx) {
		if (rc < 0)
			store_rollback(s);
		else if (store_commit(s, err, len))
			rc = STORE_EDB;
	}
	return rc;
}

/* the day's first or last second for YYYY-MM-DD, or the time as it is */
static int parse_time(const char *v, bool end, char out[21])
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t n = strlen(v);

	if (n != 10 && n != 20)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (pat[i] == 'd' ? (v[i] < '0' || v[i] > '9') : v[i] != pat[i])
			return -1;
	if (n == 10)
		snprintf(out, 21, "%sT%sZ", v, end ? "23:59:59" : "00:00:00");
	else
		memcpy(out, v, 21);
	return 0;
}

int store_sel_parse(const char *text, struct store_sel *sel, char *err, size_t len)
{
	static const char keys[] = "id, label, benchmark, kernel, build_id, since, until or all";
	unsigned int seen = 0;
	char *save = NULL;

	*sel = (struct store_sel){ .id = -1 };
	if (!text || !*text || !strcmp(text, "all"))
		return 0;
	sel->buf = strdup(text);
	if (!sel->buf) {
		snprintf(err, len, "out of memory");
		return STORE_EINVAL;
	}
	for (char *t = strtok_r(sel->buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		static const char *const names[] = { "id",	 "label", "benchmark", "kernel",
						     "build_id", "since", "until" };
		char *eq = strchr(t, '=');
		const char *v;
		size_t k;

		if (!strcmp(t, "all")) {
			snprintf(err, len, "selection: 'all' stands alone");
			goto bad;
		}
		if (!eq) {
			snprintf(err, len, "selection: '%.40s' is not key=value (%s)", t, keys);
			goto bad;
		}
		*eq = '\0';
		v = eq + 1;
		for (k = 0; k < ARRAY_SIZE(names) && strcmp(names[k], t); k++)
			;
		if (k == ARRAY_SIZE(names)) {
			snprintf(err, len, "selection: unknown term '%.40s' (%s)", t, keys);
			goto bad;
		}
		if (!*v) {
			snprintf(err, len, "selection: %s= needs a value", t);
			goto bad;
		}
		if (seen & (1u << k)) {
			snprintf(err, len, "selection: %s given twice", t);
			goto bad;
		}
		seen |= 1u << k;
		switch (k) {
		case 0: {
			uint64_t id;

			if (!parse_u64(v, &id) || id > INT64_MAX) {
				snprintf(err, len, "selection: id '%.40s' is not a number", v);
				goto bad;
			}
			sel->id = (int64_t)id;
			break;
		}
		case 1:
			sel->label = v;
			break;
		case 2:
			sel->benchmark = v;
			break;
		case 3:
			sel->kernel = v;
			break;
		case 4:
			sel->build_id = v;
			break;
		default:
			if (parse_time(v, k == 6, k == 5 ? sel->since : sel->until)) {
				snprintf(err, len,
					 "selection: %s '%.40s' is not YYYY-MM-DD or "
					 "YYYY-MM-DDTHH:MM:SSZ",
					 t, v);
				goto bad;
			}
		}
	}
	return 0;
bad:
	store_sel_free(sel);
	return STORE_EINVAL;
}

void store_sel_free(struct store_sel *sel)
{
	free(sel->buf);
	sel->buf = NULL;
}

/* rows (id, document) of a selection, oldest first */
static int select_rows(struct store *s, const char *selection, struct store_rows *r, char *err,
		       size_t len)
{
	struct store_sel sel;
	const char *p[7];
	char sql[512], idbuf[24];
	int np = 0, rc;

	if (store_sel_parse(selection, &sel, err, len))
		return STORE_EINVAL;
	snprintf(sql, sizeof(sql), "SELECT id, document FROM results WHERE 1 = 1");
#define TERM(cond, col, val)                                                                       \
	do {                                                                                       \
		if (cond) {                                                                        \
			p[np++] = (val);                                                           \
			snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), " AND %s $%d", col, \
				 np);                                                              \
		}                                                                                  \
	} while (0)
	snprintf(idbuf, sizeof(idbuf), "%" PRId64, sel.id);
	TERM(sel.id >= 0, "id =", idbuf);
	TERM(sel.label, "label =", sel.label);
	TERM(sel.benchmark, "benchmark =", sel.benchmark);
	TERM(sel.kernel, "kernel_release =", sel.kernel);
	TERM(sel.build_id, "kernel_build_id =", sel.build_id);
	TERM(*sel.since, "started >=", sel.since);
	TERM(*sel.until, "started <=", sel.until);
#undef TERM
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), " ORDER BY started, id");
	rc = s->ops->exec(s, sql, np, p, r, err, len) ? STORE_EDB : 0;
	store_sel_free(&sel);
	return rc;
}

int store_select_text(struct store *s, const char *selection, char ***texts, int64_t **ids,
		      size_t *n, char *err, size_t len)
{
	struct store_rows r;
	int rc = select_rows(s, selection, &r, err, len);

	*texts = NULL;
	*ids = NULL;
	*n = 0;
	if (rc)
		return rc;
	*texts = calloc(r.nrows + 1, sizeof(**texts));
	*ids = calloc(r.nrows + 1, sizeof(**ids));
	if (!*texts || !*ids) {
		free(*texts);
		free(*ids);
		*texts = NULL;
		*ids = NULL;
		store_rows_free(&r);
		snprintf(err, len, "out of memory");
		return STORE_EDB;
	}
	for (size_t i = 0; i < r.nrows; i++) {
		(*ids)[i] = strtoll(r.cell[2 * i] ? r.cell[2 * i] : "-1", NULL, 10);
		(*texts)[i] = r.cell[2 * i + 1]; /* taken over */
		r.cell[2 * i + 1] = NULL;
	}
	*n = r.nrows;
	store_rows_free(&r);
	return 0;
}

int store_select(struct store *s, const char *selection, json_object ***docs, int64_t **ids,
		 size_t *n, char *err, size_t len)
{
	char **texts;
	int rc = store_select_text(s, selection, &texts, ids, n, err, len);

	*docs = NULL;
	if (rc)
		return rc;
	*docs = calloc(*n + 1, sizeof(**docs));
	for (size_t i = 0; *docs && i < *n; i++) {
		char e[128];

		(*docs)[i] = store_parse_json(texts[i], strlen(texts[i]), e, sizeof(e));
		if (!(*docs)[i]) {
			snprintf(err, len, "result %" PRId64 ": stored document: %s", (*ids)[i], e);
			rc = STORE_EDB;
			break;
		}
	}
	if (!*docs) {
		snprintf(err, len, "out of memory");
		rc = STORE_EDB;
	}
	for (size_t i = 0; i < *n; i++)
		free(texts[i]);
	free(texts);
	if (rc) {
		for (size_t i = 0; *docs && i < *n; i++)
			if ((*docs)[i])
				json_object_put((*docs)[i]);
		free(*docs);
		free(*ids);
		*docs = NULL;
		*ids = NULL;
		*n = 0;
	}
	return rc;
}
