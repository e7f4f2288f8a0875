/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The results store: pvtrace.bench/1 result documents in SQLite (DB: a file path) or
 * PostgreSQL (DB: postgresql://... or postgres://...), one SQL schema on both.
 */
#ifndef PVTRACE_STORE_H
#define PVTRACE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct store;

/*
 * Open (create: also create the file and the schema) the store DB. 0, or -1 with a
 * one-line message in err: a file that cannot be opened or is no pvtrace store, a
 * PostgreSQL URL that does not connect (libpq's first line).
 */
int store_open(const char *db, bool create, struct store **out, char *err, size_t len);
void store_close(struct store *s);
/*
 * Import one result document (its JSON text, validated as pvtrace.bench/1); *id: its
 * row id; returns 0 new, 1 duplicate (same content digest: not imported twice), <0
 * error: STORE_EINVAL the document is invalid, STORE_EDB the store failed.
 */
int store_import(struct store *s, const char *json_text, int64_t *id, char *err, size_t len);
/*
 * Documents matching a selection, oldest first (by started, then id); caller
 * json_object_put()s each and frees both arrays. 0, or STORE_EINVAL (a bad selection),
 * STORE_EDB with a message in err.
 */
int store_select(struct store *s, const char *selection, json_object ***docs, int64_t **ids,
		 size_t *n, char *err, size_t len);

/* additions to the contract */
#define STORE_EINVAL (-2) /* bad document or selection: the caller's input */
#define STORE_EDB    (-1) /* the store (SQL, connection) failed */

/*
 * Store_import()s between store_begin() and store_commit() are one transaction;
 * store_rollback() undoes them all. 0 or STORE_EDB.
 */
int store_begin(struct store *s, char *err, size_t len);
int store_commit(struct store *s, char *err, size_t len);
int store_rollback(struct store *s);
/* Like store_select(), the stored texts (byte for byte as imported) instead of documents. */
int store_select_text(struct store *s, const char *selection, char ***texts, int64_t **ids,
		      size_t *n, char *err, size_t len);
/* "sqlite" or "postgresql" */
const char *store_engine(const struct store *s);

/* The selection, parsed: comma-separated key=value terms, or "all". */
struct store_sel {
	int64_t id; /* -1: any */
	const char *label, *benchmark, *kernel, *build_id;
	char since[21], until[21]; /* RFC 3339 UTC, "" for none */
	char *buf;		   /* the values point into this copy; store_sel_free() */
};
/*
 * NULL or "" or "all": everything. since/until: YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD
 * (since: that day's start, until: its end), both inclusive. 0, or STORE_EINVAL with
 * a message naming the term.
 */
int store_sel_parse(const char *text, struct store_sel *sel, char *err, size_t len);
void store_sel_free(struct store_sel *sel);

/*
 * Validate a document as pvtrace.bench/1 (the schema's required fields and types, each
 * metric's values: runs finite numbers). 0, or -1 with a message naming the field.
 */
int bench_doc_check(json_object *doc, char *err, size_t len);
/*
 * Parse text as exactly one strict JSON value (valid UTF-8, no NUL, nothing but white
 * space after it). NULL with a message in err.
 */
json_object *store_parse_json(const char *text, size_t n, char *err, size_t len);
/* SHA-256 of p[0..n) as 64 hex digits and a NUL (hex: 65 bytes). */
void sha256_hex(const void *p, size_t n, char *hex);

#endif
