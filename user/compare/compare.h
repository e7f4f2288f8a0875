/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pvtrace compare: two sets of bench results, metric by metric (internal interfaces). */
#ifndef PVTRACE_COMPARE_H
#define PVTRACE_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "stats/stats.h"

#define COMPARE_SCHEMA	     "pvtrace.compare/1"
#define COMPARE_BOOT	     4000 /* bootstrap resamples per metric */
#define COMPARE_MAX_RUNS_EST 10000

/* One metric of one side: the runs of every document of that benchmark, pooled. */
struct cmp_metric {
	char *benchmark, *name, *unit;
	bool higher; /* better: "higher" */
	double threshold;
	double *v;
	size_t n, cap;
};

/* BASE or NEW: the documents read, their metrics pooled on (benchmark, name). */
struct cmp_side {
	const char *what; /* "BASE" or "NEW", for messages */
	struct cmp_metric *m;
	size_t n, cap;
	size_t docs;
	char *build_id; /* the fingerprint's kernel_build_id when all documents share one */
	char *kernel, *label, *started, *arch; /* of the last document */
	bool build_ids_differ;
};

/*
 * Loading. A side is filled from documents, one at a time, by cmp_side_add_doc(): the
 * one seam between where documents come from and the comparison. cmp_side_load_file()
 * reads a file of JSON lines (or stdin for "-") and adds each document. With the results
 * store (user/results/store.h), `--db DB BASE NEW` takes selections instead (compare.c
 * load_store()): for each
 * side, store_select(db, selection, &docs, &ids, &n, ...), cmp_side_add_docs(side, docs,
 * ids, n, selection, ...), then json_object_put() each and free the arrays; nothing else
 * changes.
 * Both return 0, or -1 with a one-line reason in err (exit status 2).
 */
int cmp_side_add_doc(struct cmp_side *s, json_object *doc, const char *source, char *err,
		     size_t len);
/* Every document of an array, as store_select() returns them (ids may be NULL): source
 * "WHERE:id=N" (or "WHERE:#i"); with none, an error "WHERE: no result documents". */
int cmp_side_add_docs(struct cmp_side *s, json_object *const *docs, const int64_t *ids, size_t n,
		      const char *where, char *err, size_t len);
int cmp_side_load_file(struct cmp_side *s, const char *path, char *err, size_t len);
void cmp_side_free(struct cmp_side *s);

enum cmp_method { M_PVTRACE, M_PINPOINT, M_PERFHERDER, M_LKP };
extern const char *const cmp_method_names[];

enum cmp_verdict { V_SAME, V_IMPROVED, V_REGRESSED, V_UNKNOWN, V_BASE_ONLY, V_NEW_ONLY, V_MAX };
extern const char *const cmp_verdict_names[];

struct cmp_opts {
	enum cmp_method method;
	double alpha;
	double threshold; /* 0: each metric's own */
	unsigned min_runs;
};

/* One compared metric. */
struct cmp_row {
	const struct cmp_metric *base, *new; /* either may be NULL (one side only) */
	const char *benchmark, *name, *unit;
	bool higher;
	double threshold;
	double med_base, med_new;
	bool have_ci;
	struct stats_ci ci; /* median(NEW) / median(BASE), bootstrap */
	double p_mwu, p_ks, p_welch, t_welch, lkp_change;
	double p;     /* the method's p (pvtrace: 2 min(MWU, KS), capped at 1); NAN: none */
	double p_adj; /* pvtrace: Holm over every compared metric; others: p */
	enum cmp_verdict v;
	unsigned more_runs; /* unknown: runs per side still needed (estimate); 0 none */
	const char *reason; /* why unknown, or NULL */
};

struct cmp_result {
	struct cmp_row *rows;
	size_t n;
	unsigned count[V_MAX];
};

/* Match the sides' metrics and decide each. 0, or -ENOMEM. */
int cmp_analyze(const struct cmp_side *base, const struct cmp_side *new, const struct cmp_opts *o,
		struct cmp_result *r);
void cmp_result_free(struct cmp_result *r);

/* Outputs. The files are written to a temporary beside FILE and renamed: all or nothing.
 * 0, or -1 with a reason in err. */
void cmp_print_text(FILE *f, const struct cmp_result *r, const struct cmp_opts *o);
json_object *cmp_json(const struct cmp_result *r, const struct cmp_opts *o,
		      const struct cmp_side *base, const struct cmp_side *new);
int cmp_write_junit(const char *path, const struct cmp_result *r, const struct cmp_opts *o,
		    char *err, size_t len);
int cmp_write_kcidb(const char *path, const struct cmp_result *r, const struct cmp_opts *o,
		    const struct cmp_side *base, const struct cmp_side *new, char *err, size_t len);

#endif
