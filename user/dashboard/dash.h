/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pvtrace dashboard: a static HTML page over a series of pvtrace.bench/1 results. */
#ifndef PVTRACE_DASH_H
#define PVTRACE_DASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

#define DASH_SCHEMA    "pvtrace.bench/1"
#define HISTORY_SCHEMA "pvtrace.history/1"

/* One result document of the series, in series order (started, then input order). */
struct ddoc {
	json_object *doc; /* borrowed */
	size_t run;	  /* its number on the page: id="run-N" (1-based, series order) */
	size_t x;	  /* its position among the documents of its benchmark */
	const char *benchmark, *label, *started;
	char line[160]; /* the line it is a point of: its machine, or its label */
};

/*
 * What makes one line of a plot: the machine (CPU model, hypervisor, TCG or not: a
 * series of kernels or commits on one machine, the default), or the label (one line per
 * label, for series that carry their name in the label).
 */
enum dash_lines { DASH_LINES_MACHINE, DASH_LINES_LABEL };

/* A metric's points for one label: one point per result document. */
struct dpoint {
	size_t doc;	    /* index into model.docs */
	double med, lo, hi; /* median over runs, p10 and p90 */
};

struct dcp {
	size_t at;	      /* index into the line's points: the first point after the change */
	double before, after; /* median of the point medians of the segment before and after */
};

struct dline {
	const char *label;
	struct dpoint *pts;
	size_t n;
	struct dcp *cps;
	size_t ncp;
};

struct dmetric {
	const char *benchmark, *name, *unit, *better;
	double threshold;
	struct dline *lines;
	size_t nlines;
};

struct dmodel {
	struct ddoc *docs;
	size_t n;
	struct dmetric *m;
	size_t nm;
	size_t nx[3]; /* documents per benchmark: ioctl, regs, overhead */
};

/* Change-point test parameters (E-divisive means, permutation test). */
#define DASH_CP_ALPHA 0.05
#define DASH_CP_PERMS 199
#define DASH_CP_SEED  0x70767472ULL

int dash_bench_index(const char *benchmark); /* 0 ioctl, 1 regs, 2 overhead, -1 */

/*
 * A document is a pvtrace.bench/1 result the dashboard can draw: 0, or -1 with the
 * reason in err.
 */
int dash_doc_check(json_object *doc, char *err, size_t len);

/*
 * The model of docs (checked with dash_doc_check, borrowed until dash_model_free):
 * series order, metrics, lines per label, change points. 0 or -ENOMEM.
 */
int dash_model_build(struct dmodel *m, json_object **docs, size_t n, enum dash_lines lines);
void dash_model_free(struct dmodel *m);
const struct dmetric *dash_metric_find(const struct dmodel *m, const char *benchmark,
				       const char *name);

/* Strings of the documents go into a page through the core's markup_puts() (output.h). */
/* A JSON member as a string ("" when absent; numbers and booleans as text). */
const char *dash_str(json_object *o, const char *key, char *buf, size_t len);

/* A value for a label: about four significant digits, no exponent. */
const char *dash_fmt_num(char *buf, size_t len, double v);

/* --json: the series and change points as one pvtrace.history/1 line on out (history.c) */
int dash_history(FILE *out, const struct dmodel *m, enum dash_lines lines);

/* The page: HTML on f. */
int dash_render(FILE *f, const struct dmodel *m, const char *title);

/* Panels (panels.c) */
void panel_metric(FILE *f, const struct dmodel *m, const struct dmetric *mt, const char *panel,
		  int w, int h, const char *title);
void panel_heatmap(FILE *f, const struct dmodel *m, const char *hist);
void panel_missing(FILE *f, const char *title, const char *why, int w, int h);

/* The seam for every source of documents (files, a store): check, model, render, write. */
struct dash_opts {
	const char *dir; /* NULL: no page */
	const char *title;
	enum dash_lines lines;
	bool json; /* the history document on stdout */
};
/* 0, or EXIT_USAGE / EXIT_RUNTIME after a one-line error. */
int dash_build(json_object **docs, size_t n, const struct dash_opts *o);

#endif
