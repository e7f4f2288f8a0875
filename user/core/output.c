// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/uio.h>
#include <unistd.h>
#include "output.h"
#include "util.h"

static const struct {
	const char *name;
	double div;
} units[] = { [UNIT_NS] = { "ns", 1 }, [UNIT_US] = { "us", 1e3 }, [UNIT_MS] = { "ms", 1e6 } };

int unit_parse(const char *s, enum time_unit *u)
{
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (!strcmp(s, units[i].name)) {
			*u = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *unit_name(enum time_unit u)
{
	return units[u].name;
}

const char *fmt_time(char *buf, size_t len, double ns, enum time_unit u)
{
	double v = ns / units[u].div;

	if (u == UNIT_NS && v == (double)(uint64_t)v)
		snprintf(buf, len, "%" PRIu64 " ns", (uint64_t)v);
	else
		snprintf(buf, len, "%.3f %s", v, units[u].name);
	return buf;
}

static void bound_str(char *buf, size_t len, uint64_t ns, enum time_unit u)
{
	if (u == UNIT_NS)
		snprintf(buf, len, "%" PRIu64, ns);
	else
		snprintf(buf, len, "%.3f", (double)ns / units[u].div);
}

void text_print_hist(FILE *f, const struct hist_data *h, enum time_unit u)
{
	char a[32], b[32], c[32], d[32], e[32], g[32], k[32];
	uint64_t peak = 0;
	int lo = -1, hi = -1;

	fprintf(f, "  count %" PRIu64 "  avg %s  min %s  max %s  p50 %s  p90 %s  p99 %s\n",
		h->count, fmt_time(a, sizeof(a), h->count ? (double)h->sum / h->count : 0, u),
		fmt_time(b, sizeof(b), h->count && h->min <= h->max ? h->min : 0, u),
		fmt_time(c, sizeof(c), h->max, u),
		fmt_time(d, sizeof(d), hist_percentile(h, 50), u),
		fmt_time(e, sizeof(e), hist_percentile(h, 90), u),
		fmt_time(g, sizeof(g), hist_percentile(h, 99), u));
	for (int i = 0; i < HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
		if (h->slots[i] > peak)
			peak = h->slots[i];
	}
	if (lo < 0)
		return;
	fprintf(f, "  %24s : %-10s distribution\n", unit_name(u), "count");
	for (int i = lo; i <= hi; i++) {
		char range[80], bar[41];
		int stars = peak ? (int)((h->slots[i] * 40 + peak - 1) / peak) : 0;

		bound_str(k, sizeof(k), hist_slot_low(i), u);
		bound_str(c, sizeof(c), hist_slot_high(i), u);
		snprintf(range, sizeof(range), "%s -> %s", k, c);
		memset(bar, '*', stars);
		bar[stars] = 0;
		fprintf(f, "  %24s : %-10" PRIu64 " |%-40s|\n", range, h->slots[i], bar);
	}
}

json_object *json_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

json_object *json_doc_new(const char *schema, const char *kind, bool running_kernel)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "schema", json_object_new_string(schema));
	json_object_object_add(d, "kind", json_object_new_string(kind));
	if (running_kernel)
		json_object_object_add(d, "kernel", json_object_new_string(kernel_release()));
	return d;
}

json_object *json_hex_u64(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	return json_object_new_string(b);
}

const char *fmt_clock(char *buf, size_t len, time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, len, "%H:%M:%S", &tm))
		snprintf(buf, len, "?");
	return buf;
}

void text_print_clock(FILE *f)
{
	char ts[16];

	fprintf(f, "\n%s\n", fmt_clock(ts, sizeof(ts), time(NULL)));
}

const char *hex_str(const uint8_t *p, size_t n, const char *sep, char *buf, size_t len)
{
	size_t sl = sep ? strlen(sep) : 0, o = 0;

	if (!len)
		return buf;
	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		size_t need = (i ? sl : 0) + 2;

		if (o + need >= len)
			break;
		o += (size_t)snprintf(buf + o, len - o, "%s%02x", i && sep ? sep : "", p[i]);
	}
	return buf;
}

/* Percentiles in whole nanoseconds, like every other time in pvtrace's JSON. */
static json_object *json_ns(double ns)
{
	return json_u64(ns > 0 ? (uint64_t)(ns + 0.5) : 0);
}

json_object *json_hist(const struct hist_data *h)
{
	json_object *o = json_object_new_object(), *b = json_object_new_array();
	bool any = h->count && h->min <= h->max;

	json_object_object_add(o, "count", json_u64(h->count));
	json_object_object_add(o, "sum", json_u64(h->sum));
	json_object_object_add(o, "min", any ? json_u64(h->min) : NULL);
	json_object_object_add(o, "max", any ? json_u64(h->max) : NULL);
	json_object_object_add(o, "p50", json_ns(hist_percentile(h, 50)));
	json_object_object_add(o, "p90", json_ns(hist_percentile(h, 90)));
	json_object_object_add(o, "p99", json_ns(hist_percentile(h, 99)));
	for (int i = 0; i < HIST_SLOTS; i++) {
		json_object *s;

		if (!h->slots[i])
			continue;
		s = json_object_new_object();
		json_object_object_add(s, "low", json_u64(hist_slot_low(i)));
		json_object_object_add(s, "high", json_u64(hist_slot_high(i)));
		json_object_object_add(s, "count", json_u64(h->slots[i]));
		json_object_array_add(b, s);
	}
	json_object_object_add(o, "buckets", b);
	return o;
}

/*
 * PVTRACE_JSON_LOG=FILE: a copy of every JSON document, appended to FILE (one
 * write per line, O_APPEND: several processes may share it). The test suites
 * validate every document pvtrace printed against its JSON Schema this way.
 */
static void json_log(const char *s)
{
	static int fd = -2;
	const char *path;

	if (fd == -2) {
		path = getenv("PVTRACE_JSON_LOG");
		fd = path && *path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)
				   : -1;
	}
	if (fd >= 0) {
		size_t n = strlen(s), off = 0;
		char *line = malloc(n + 1);

		if (!line)
			return;
		memcpy(line, s, n);
		line[n] = '\n';
		/*
		 * O_APPEND alone does not keep lines whole on 9p (the guests' shared log): a
		 * long line goes out in several writes that another writer can come between.
		 * The lock serializes the writers of one kernel; partial writes are resumed.
		 */
		flock(fd, LOCK_EX);
		while (off < n + 1) {
			ssize_t w = write(fd, line + off, n + 1 - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				close(fd);
				fd = -1;
				break;
			}
			off += (size_t)w;
		}
		if (fd >= 0)
			flock(fd, LOCK_UN);
		free(line);
	}
}

static size_t utf8_copy(char *dst, size_t dstlen, const char *src, size_t srclen, bool controls);

/*
 * Every string in a document as valid UTF-8: names from the kernel (comm,
 * symbols, paths) are bytes, and one invalid byte would make the whole line
 * unparsable. Invalid bytes become U+FFFD, as in the Prometheus labels.
 */
static void json_sanitize(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string: {
		const char *s = json_object_get_string(o);
		size_t n = (size_t)json_object_get_string_len(o), cap = 3 * n + 1;
		char stack[512], *buf = cap <= sizeof(stack) ? stack : malloc(cap);

		if (!buf)
			return;
		/* control characters stay: JSON escapes them */
		if (utf8_copy(buf, cap, s, n, false) != n || memcmp(buf, s, n))
			json_object_set_string(o, buf);
		if (buf != stack)
			free(buf);
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			json_sanitize(json_object_array_get_idx(o, i));
		break;
	case json_type_object: {
		json_object_object_foreach(o, key, val)
		{
			(void)key; /* keys are pvtrace's own ASCII names */
			json_sanitize(val);
		}
		break;
	}
	default:
		break;
	}
}

int json_print_line(FILE *f, json_object *obj)
{
	const char *s;

	json_sanitize(obj);
	s = json_object_to_json_string_ext(obj,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	json_log(s);
	if (fprintf(f, "%s\n", s) < 0 || fflush(f))
		return -errno;
	return 0;
}

const char *ns_to_seconds(char *buf, size_t len, uint64_t ns)
{
	uint64_t sec = ns / 1000000000ULL, frac = ns % 1000000000ULL;
	int digits = 9;

	if (!frac) {
		snprintf(buf, len, "%" PRIu64, sec);
		return buf;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64, sec, digits, frac);
	return buf;
}

void prom_family(struct prom_writer *w, const char *name, const char *type, const char *help)
{
	fprintf(w->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_labels(FILE *f, const struct prom_label *l, int n, const char *le)
{
	bool first = true;

	if (!n && !le)
		return;
	fputc('{', f);
	for (int i = 0; i < n; i++) {
		char v[1024];

		utf8_sanitize(v, sizeof(v), l[i].value, strlen(l[i].value));
		fprintf(f, "%s%s=\"", first ? "" : ",", l[i].name);
		for (const char *p = v; *p; p++) {
			if (*p == '\\' || *p == '"')
				fputc('\\', f);
			if (*p == '\n') {
				fputs("\\n", f);
				continue;
			}
			fputc(*p, f);
		}
		fputc('"', f);
		first = false;
	}
	if (le)
		fprintf(f, "%sle=\"%s\"", first ? "" : ",", le);
	fputc('}', f);
}

void prom_sample(struct prom_writer *w, const char *name, const struct prom_label *labels,
		 int nlabels, const char *value)
{
	fputs(name, w->f);
	put_labels(w->f, labels, nlabels, NULL);
	fprintf(w->f, " %s\n", value);
}

void prom_hist(struct prom_writer *w, const char *name, const struct prom_label *labels,
	       int nlabels, const struct hist_data *h)
{
	char le[48], v[48];
	uint64_t cum = 0;

	int lo = w->lo_log2 ? w->lo_log2 : 1, hi = w->hi_log2 ? w->hi_log2 : PROM_MAX_SLOT;
	int step = w->step_log2 ? w->step_log2 : 1, i = 0;

	/* slot i is [2^i, 2^(i+1)) ns: le = 2^k ns holds slots 0 .. k-1 */
	for (int k = lo; k <= hi; k += step) {
		for (; i < k && i < HIST_SLOTS; i++)
			cum += h->slots[i];
		ns_to_seconds(le, sizeof(le), 1ULL << k);
		fprintf(w->f, "%s_bucket", name);
		put_labels(w->f, labels, nlabels, le);
		fprintf(w->f, " %" PRIu64 "\n", cum);
	}
	fprintf(w->f, "%s_bucket", name);
	put_labels(w->f, labels, nlabels, "+Inf");
	fprintf(w->f, " %" PRIu64 "\n", h->count);
	fprintf(w->f, "%s_sum", name);
	put_labels(w->f, labels, nlabels, NULL);
	fprintf(w->f, " %s\n", ns_to_seconds(v, sizeof(v), h->sum));
	fprintf(w->f, "%s_count", name);
	put_labels(w->f, labels, nlabels, NULL);
	fprintf(w->f, " %" PRIu64 "\n", h->count);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static size_t utf8_copy(char *dst, size_t dstlen, const char *src, size_t srclen, bool controls)
{
	static const char repl[] = "\xef\xbf\xbd"; /* U+FFFD */
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;

	if (!dstlen)
		return 0;
	for (size_t i = 0; i < srclen && s[i];) {
		size_t n = utf8_seq(s + i, srclen - i);
		const char *from = (const char *)s + i;
		size_t take = n;

		if (!n || (controls && n == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
			from = repl; /* invalid byte or control character */
			take = 3;
			n = 1;
		}
		if (o + take >= dstlen)
			break;
		memcpy(dst + o, from, take);
		o += take;
		i += n;
	}
	dst[o] = 0;
	return o;
}

size_t utf8_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	return utf8_copy(dst, dstlen, src, srclen, true);
}

/*
 * s as XML or HTML text or attribute value: valid UTF-8 without control characters
 * (utf8_sanitize), and & < > " ' as entities (&#39;: valid in both languages)
 */
void markup_puts(FILE *f, const char *s)
{
	size_t n = s ? strlen(s) : 0, cap = 3 * n + 1;
	char small[256] = "", *buf = cap <= sizeof(small) ? small : malloc(cap);

	if (!buf)
		return;
	utf8_sanitize(buf, cap, s ? s : "", n);
	for (const char *c = buf; *c; c++) {
		switch (*c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*c, f);
		}
	}
	if (buf != small)
		free(buf);
}
