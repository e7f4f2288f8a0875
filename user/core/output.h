/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Output writers shared by all commands: text, JSON, Prometheus textfile. */
#ifndef PVTRACE_OUTPUT_H
#define PVTRACE_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <json-c/json.h>
#include "histogram.h"

enum time_unit { UNIT_NS, UNIT_US, UNIT_MS };

int unit_parse(const char *s, enum time_unit *u);
const char *unit_name(enum time_unit u);
/* "12.3 us" style value; buf must hold 32 bytes */
const char *fmt_time(char *buf, size_t len, double ns, enum time_unit u);

/* Local wall-clock time of t as HH:MM:SS (buf: 16 bytes or more). */
const char *fmt_clock(char *buf, size_t len, time_t t);
/* The line every text report in interval mode starts with: a blank line, then HH:MM:SS. */
void text_print_clock(FILE *f);
/*
 * n bytes as two hex digits each, sep between bytes (NULL: none); only whole
 * bytes that fit in buf. Returns buf.
 */
const char *hex_str(const uint8_t *p, size_t n, const char *sep, char *buf, size_t len);

/* Text: summary line and log2 distribution with bucket bounds in unit u. */
void text_print_hist(FILE *f, const struct hist_data *h, enum time_unit u);

/*
 * A new JSON document: {"schema": SCHEMA, "kind": KIND[, "kernel": uname -r]}.
 * Every command's documents start so: "schema" names the format and its
 * version, "kind" which document of that format this is.
 */
json_object *json_doc_new(const char *schema, const char *kind, bool running_kernel);

/* JSON object for a histogram: count, sum, min, max, p50, p90, p99, buckets (ns). */
json_object *json_hist(const struct hist_data *h);
/* Write one JSON document on one line. */
int json_print_line(FILE *f, json_object *obj);
json_object *json_u64(uint64_t v);
/* An address or other 64-bit value as a "0x..." string. */
json_object *json_hex_u64(uint64_t v);

/*
 * Copy src (srclen bytes, or up to a NUL) into dst as valid UTF-8: each invalid
 * byte and each control character becomes U+FFFD. Never cuts a character in
 * two; dst is always terminated. Returns the length written.
 */
size_t utf8_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen);
/* s as XML/HTML text or attribute value: sanitized UTF-8, the five specials escaped */
void markup_puts(FILE *f, const char *s);

/* Exact decimal seconds for a ns count, e.g. 2048 -> "0.000002048". */
const char *ns_to_seconds(char *buf, size_t len, uint64_t ns);

/* One Prometheus text-format document being written (see textfile.h for the file). */
struct prom_writer {
	FILE *f;
	/* histogram buckets: le = 2^k ns for k = lo_log2, +step_log2, ... hi_log2; 0: 1..40 by 1 */
	int lo_log2, hi_log2, step_log2;
};

struct prom_label {
	const char *name;
	const char *value; /* any bytes: written as valid UTF-8, escaped */
};

void prom_family(struct prom_writer *w, const char *name, const char *type, const char *help);
/* Histogram in seconds: the writer's le bounds plus +Inf, _sum and _count. */
void prom_hist(struct prom_writer *w, const char *name, const struct prom_label *labels,
	       int nlabels, const struct hist_data *h);
void prom_sample(struct prom_writer *w, const char *name, const struct prom_label *labels,
		 int nlabels, const char *value);

#define PROM_MAX_SLOT 40 /* last finite bucket: le = 2^40 ns (~1100 s) */

#endif
