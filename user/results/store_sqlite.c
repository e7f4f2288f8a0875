// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The store on SQLite: a file, Debian's libsqlite3. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "results/store_int.h"

static int rows_add(struct store_rows *r, sqlite3_stmt *st, char *err, size_t len)
{
	size_t nc = sqlite3_column_count(st), base = r->nrows * nc;
	char **cell = realloc(r->cell, (base + nc) * sizeof(*cell));

	if (!cell) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	r->cell = cell;
	r->ncols = nc;
	for (size_t c = 0; c < nc; c++) {
		const unsigned char *t = sqlite3_column_text(st, c);

		cell[base + c] = NULL;
		if (t && !(cell[base + c] = strdup((const char *)t))) {
			r->nrows++; /* so that store_rows_free() frees this row's cells */
			snprintf(err, len, "out of memory");
			return -1;
		}
	}
	r->nrows++;
	return 0;
}

static int sq_exec(struct store *s, const char *sql, int nparams, const char *const *params,
		   struct store_rows *rows, char *err, size_t len)
{
	sqlite3 *db = s->handle;
	sqlite3_stmt *st = NULL;
	int rc;

	if (rows)
		*rows = (struct store_rows){ 0 };
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, len, "%s", sqlite3_errmsg(db));
		return -1;
	}
	/* $N is a named parameter in SQLite: bind each by its name */
	for (int i = 0; i < nparams; i++) {
		char name[16];
		int idx;

		snprintf(name, sizeof(name), "$%d", i + 1);
		idx = sqlite3_bind_parameter_index(st, name);
		if (!idx)
			continue;
		rc = params[i] ? sqlite3_bind_text(st, idx, params[i], -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(st, idx);
		if (rc != SQLITE_OK) {
			snprintf(err, len, "%s", sqlite3_errmsg(db));
			sqlite3_finalize(st);
			return -1;
		}
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (rows && rows_add(rows, st, err, len)) {
			sqlite3_finalize(st);
			return -1;
		}
	if (rc != SQLITE_DONE) {
		snprintf(err, len, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

static void sq_close(struct store *s)
{
	sqlite3_close(s->handle);
}

static const struct store_ops sqlite_ops = {
	.engine = "sqlite",
	.id_column = "INTEGER PRIMARY KEY",
	.exec = sq_exec,
	.close = sq_close,
};

int store_sqlite_open(struct store *s, const char *path, bool create, char *err, size_t len)
{
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, flags, NULL);

	if (rc != SQLITE_OK) {
		int e = db ? sqlite3_system_errno(db) : 0;

		if (rc == SQLITE_CANTOPEN && e)
			snprintf(err, len, "%s: %s", path, strerror(e));
		else
			snprintf(err, len, "%s: %s", path,
				 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -1;
	}
	sqlite3_extended_result_codes(db, 1);
	/* another importer holding the lock: wait for it rather than fail at once */
	sqlite3_busy_timeout(db, 10000);
	s->ops = &sqlite_ops;
	s->handle = db;
	/* references between the tables hold (samples of a result) */
	return sq_exec(s, "PRAGMA foreign_keys = ON", 0, NULL, NULL, err, len);
}
