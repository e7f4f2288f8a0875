/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The store's engines: one small vtable, SQL text with $1.. parameters bound as text. */
#ifndef PVTRACE_STORE_INT_H
#define PVTRACE_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include "results/store.h"

/* A query's result: nrows x ncols cells, row-major; NULL for SQL NULL. */
struct store_rows {
	size_t nrows, ncols;
	char **cell;
};
void store_rows_free(struct store_rows *r);

struct store_ops {
	const char *engine;
	/* the column definition of results.id: an integer key the engine assigns */
	const char *id_column;
	/*
	 * Run one SQL statement with nparams text parameters ($1..$N; NULL: SQL NULL);
	 * rows (may be NULL): the rows it returns. 0, or -1 with the engine's message.
	 */
	int (*exec)(struct store *s, const char *sql, int nparams, const char *const *params,
		    struct store_rows *rows, char *err, size_t len);
	void (*close)(struct store *s);
};

struct store {
	const struct store_ops *ops;
	void *handle;
	bool in_tx; /* between store_begin() and store_commit()/store_rollback() */
};

/* Engines: 0, or -1 with a one-line message (s->ops and s->handle set on success). */
int store_sqlite_open(struct store *s, const char *path, bool create, char *err, size_t len);
int store_pg_open(struct store *s, const char *url, char *err, size_t len);

#endif
