/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Prometheus textfile every command exports through (--prom FILE), for
 * node_exporter's textfile collector, where many files share one directory.
 *
 * - The directory is opened once (O_DIRECTORY|O_NOFOLLOW): every write is
 *   relative to that fd, so swapping a parent directory mid-run changes nothing.
 * - Each report is written to an unnamed O_TMPFILE, fsync'ed, linked under a
 *   hidden name and renamed over FILE: readers never see a partial file and a
 *   kill during the write leaves nothing behind (stale hidden files of FILE
 *   from an earlier crash are removed at start).
 * - Writability is checked again once capabilities are dropped (usage error
 *   at start, not a failure at the end).
 * - A failed write is reported, counted and retried at the next report; it
 *   never ends the command.
 * - Every file starts with the same families, identical in every command:
 *   pvtrace_build_info, pvtrace_last_report_timestamp_seconds and
 *   pvtrace_textfile_write_errors_total, labelled by command and file.
 */
#ifndef PVTRACE_TEXTFILE_H
#define PVTRACE_TEXTFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <limits.h>
#include "output.h"

#define TEXTFILE_DEFAULT_INTERVAL_NS (15ULL * 1000000000ULL)

struct textfile {
	const char *path; /* as given */
	int dirfd;	  /* -1: not open */
	char name[NAME_MAX + 1];
	const char *command; /* "latency", "hooks", "vfio", ... */
	const char *mode;    /* attach mode or method, for pvtrace_build_info */
	bool keep;	     /* --prom-keep: leave the last file at exit */
	bool written;	     /* a report reached FILE */
	bool failing;	     /* the last write failed (warned once per streak) */
	uint64_t errors;     /* failed writes, exported */
	/* histogram buckets: le = 2^lo_log2 ns ... 2^hi_log2 ns, every step_log2-th power */
	int lo_log2, hi_log2, step_log2;
};

/*
 * Validate FILE and open its directory. Returns 0, or -1 after writing a
 * one-line reason to err. Names over NAME_MAX-8 bytes, a trailing '/', a
 * symlink or a non-regular FILE are refused here.
 */
int textfile_open(struct textfile *t, const char *path, const char *command, char *err,
		  size_t errlen);
/* After dropping capabilities: can this process still create files there? */
int textfile_check_writable(struct textfile *t, char *err, size_t errlen);
/* Set the histogram bucket range (from --prom-buckets or the command's default). */
void textfile_buckets(struct textfile *t, int lo_log2, int hi_log2, int step_log2);
/* Parse "--prom-buckets LOW,HIGH[,FACTOR]" (durations, factor 2/4/8/16). */
int textfile_parse_buckets(const char *arg, int *lo_log2, int *hi_log2, int *step_log2);

typedef void (*textfile_fill_fn)(struct prom_writer *w, void *ctx);
/*
 * Write one report: the common header, then fill(). On failure warns (once
 * per streak), counts, and returns the -errno; the caller goes on.
 */
int textfile_write(struct textfile *t, textfile_fill_fn fill, void *ctx);
/* Close; removes FILE unless keep (a stopped exporter serves no frozen counters). */
void textfile_close(struct textfile *t);

/* Histogram with t's bucket range, seconds, cumulative le, +Inf, _sum, _count. */
void textfile_hist(struct prom_writer *w, const char *name, const struct prom_label *labels,
		   int nlabels, const struct hist_data *h);

#endif
