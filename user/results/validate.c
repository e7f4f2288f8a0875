// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A result document's checks at import (pvtrace.bench/1), strict JSON, SHA-256. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "results/store.h"
#include "util.h"

/* SHA-256 as FIPS 180-4 specifies it */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], v[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		uint32_t s1 = ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25);
		uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
		uint32_t t1 = v[7] + s1 + ch + K[i] + w[i];
		uint32_t s0 = ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22);
		uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);

		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + s0 + maj;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
}

void sha256_hex(const void *data, size_t n, char *hex)
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const uint8_t *p = data;
	uint8_t tail[128] = { 0 };
	size_t full = n / 64 * 64, rest = n - full, tl;
	uint64_t bits = (uint64_t)n * 8;

	for (size_t o = 0; o < full; o += 64)
		sha256_block(h, p + o);
	if (rest)
		memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	tl = rest < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tl - 1 - i] = bits >> (8 * i);
	sha256_block(h, tail);
	if (tl == 128)
		sha256_block(h, tail + 64);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 8 * i, 9, "%08x", h[i]);
}

json_object *store_parse_json(const char *text, size_t n, char *err, size_t len)
{
	struct json_tokener *tok;
	json_object *obj;
	size_t used;

	if (memchr(text, '\0', n)) {
		snprintf(err, len, "a NUL byte in the document");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, n);
	if (!obj) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		snprintf(err, len, "not JSON: %s at byte %zu",
			 e == json_tokener_continue ? "unexpected end" : json_tokener_error_desc(e),
			 json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		return NULL;
	}
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; used < n; used++)
		if (!strchr(" \t\r\n", text[used])) {
			snprintf(err, len, "not one JSON document: more text at byte %zu", used);
			json_object_put(obj);
			return NULL;
		}
	return obj;
}

/* a member of the required type: 0, or -1 with "WHERE.KEY: ..." in err */
static int member(json_object *o, const char *where, const char *key, json_type type, bool nullable,
		  json_object **out, char *err, size_t len)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v)) {
		snprintf(err, len, "%s%s%s: missing", where, *where ? "." : "", key);
		return -1;
	}
	if (nullable && json_object_is_type(v, json_type_null))
		return 0;
	/* a number is an int or a double; an int is a number */
	if (json_object_is_type(v, type) ||
	    (type == json_type_double && json_object_is_type(v, json_type_int))) {
		*out = v;
		return 0;
	}
	snprintf(err, len, "%s%s%s: not %s", where, *where ? "." : "", key,
		 type == json_type_string    ? "a string"
		 : type == json_type_int     ? "an integer"
		 : type == json_type_double  ? "a number"
		 : type == json_type_boolean ? "true or false"
		 : type == json_type_array   ? "an array"
					     : "an object");
	return -1;
}

/* a string member, non-empty when text, one of alts (NULL-terminated) when given */
static int str_member(json_object *o, const char *where, const char *key, bool text, bool nullable,
		      const char *const *alts, const char **out, char *err, size_t len)
{
	json_object *v;
	const char *s;

	*out = NULL;
	if (member(o, where, key, json_type_string, nullable, &v, err, len))
		return -1;
	if (!v)
		return 0;
	s = json_object_get_string(v);
	if (text && !*s) {
		snprintf(err, len, "%s%s%s: empty", where, *where ? "." : "", key);
		return -1;
	}
	if (alts) {
		size_t i;

		for (i = 0; alts[i] && strcmp(alts[i], s); i++)
			;
		if (!alts[i]) {
			snprintf(err, len, "%s%s%s: '%.40s' is not one of the allowed values",
				 where, *where ? "." : "", key, s);
			return -1;
		}
	}
	*out = s;
	return 0;
}

static bool is_hex(const char *s, size_t min, size_t max)
{
	size_t n = strspn(s, "0123456789abcdef");

	return !s[n] && n >= min && n <= max;
}

static bool metric_name_ok(const char *s)
{
	/* [A-Za-z0-9_]+ joined by single dots */
	size_t seg = 0;

	for (; *s; s++) {
		if (*s == '.') {
			if (!seg)
				return false;
			seg = 0;
		} else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			   (*s >= '0' && *s <= '9') || *s == '_') {
			seg++;
		} else {
			return false;
		}
	}
	return seg > 0;
}

/* every key of o is one of keys (NULL-terminated): the schema's additionalProperties false */
static int only_keys(json_object *o, const char *where, const char *const *keys, char *err,
		     size_t len)
{
	json_object_object_foreach(o, key, val)
	{
		size_t i;

		(void)val;
		for (i = 0; keys[i] && strcmp(keys[i], key); i++)
			;
		if (!keys[i]) {
			snprintf(err, len, "%s%s'%.40s': not a field of pvtrace.bench/1", where,
				 *where ? ": " : "", key);
			return -1;
		}
	}
	return 0;
}

static int check_histograms(json_object *h, char *err, size_t len)
{
	static const char *const hkeys[] = { "name", "unit", "buckets", NULL };
	static const char *const bkeys[] = { "lo", "hi", "count", NULL };
	static const char *const ns[] = { "ns", NULL };

	if (!json_object_is_type(h, json_type_array)) {
		snprintf(err, len, "histograms: not an array");
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(h); i++) {
		json_object *o = json_object_array_get_idx(h, i), *b;
		char where[48];
		const char *s;

		snprintf(where, sizeof(where), "histograms[%zu]", i);
		if (!json_object_is_type(o, json_type_object)) {
			snprintf(err, len, "%s: not an object", where);
			return -1;
		}
		if (only_keys(o, where, hkeys, err, len) ||
		    str_member(o, where, "name", true, false, NULL, &s, err, len) ||
		    str_member(o, where, "unit", true, false, ns, &s, err, len) ||
		    member(o, where, "buckets", json_type_array, false, &b, err, len))
			return -1;
		for (size_t k = 0; k < json_object_array_length(b); k++) {
			json_object *bk = json_object_array_get_idx(b, k), *v;
			char bw[80];

			snprintf(bw, sizeof(bw), "%s.buckets[%zu]", where, k);
			if (!json_object_is_type(bk, json_type_object)) {
				snprintf(err, len, "%s: not an object", bw);
				return -1;
			}
			if (only_keys(bk, bw, bkeys, err, len))
				return -1;
			for (size_t f = 0; bkeys[f]; f++) {
				if (member(bk, bw, bkeys[f], json_type_int, false, &v, err, len))
					return -1;
				/* json-c keeps u64 values above INT64_MAX unsigned */
				if (json_object_get_int64(v) < 0 &&
				    json_object_get_uint64(v) <= INT64_MAX) {
					snprintf(err, len, "%s.%s: negative", bw, bkeys[f]);
					return -1;
				}
			}
		}
	}
	return 0;
}

static int check_metric(json_object *m, size_t i, int64_t runs, char *err, size_t len)
{
	static const char *const units[] = { "ns", "us", "x", "count", NULL };
	static const char *const betters[] = { "lower", "higher", NULL };
	static const char *const mkeys[] = {
		"name", "unit", "better", "threshold", "values", NULL
	};
	char where[48];
	const char *s;
	json_object *v;
	double thr;
	size_t n;

	snprintf(where, sizeof(where), "metrics[%zu]", i);
	if (!json_object_is_type(m, json_type_object)) {
		snprintf(err, len, "%s: not an object", where);
		return -1;
	}
	if (only_keys(m, where, mkeys, err, len))
		return -1;
	if (str_member(m, where, "name", true, false, NULL, &s, err, len))
		return -1;
	if (!metric_name_ok(s)) {
		snprintf(err, len, "%s.name: '%.40s' is not a metric name (word.word...)", where,
			 s);
		return -1;
	}
	if (str_member(m, where, "unit", true, false, units, &s, err, len) ||
	    str_member(m, where, "better", true, false, betters, &s, err, len) ||
	    member(m, where, "threshold", json_type_double, false, &v, err, len))
		return -1;
	thr = json_object_get_double(v);
	if (!(thr > 0 && thr <= 10)) {
		snprintf(err, len, "%s.threshold: %g is not in (0, 10]", where, thr);
		return -1;
	}
	if (member(m, where, "values", json_type_array, false, &v, err, len))
		return -1;
	n = json_object_array_length(v);
	if ((int64_t)n != runs) {
		snprintf(err, len, "%s.values: %zu numbers, runs is %lld", where, n,
			 (long long)runs);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		json_object *x = json_object_array_get_idx(v, k);

		if (!json_object_is_type(x, json_type_double) &&
		    !json_object_is_type(x, json_type_int)) {
			snprintf(err, len, "%s.values[%zu]: not a number", where, k);
			return -1;
		}
		if (!isfinite(json_object_get_double(x))) {
			snprintf(err, len, "%s.values[%zu]: not a finite number", where, k);
			return -1;
		}
	}
	return 0;
}

static int check_fingerprint(json_object *f, char *err, size_t len)
{
	static const char *const modes[] = { "none", "fentry", "kprobe", "tracepoint", NULL };
	static const char *const fkeys[] = { "kernel_release",	"kernel_version",
					     "kernel_build_id", "config_hash",
					     "config_source",	"arch",
					     "cpu_model",	"cpus",
					     "hypervisor",	"emulated",
					     "attach_mode",	"pvtrace_version",
					     "hostname",	NULL };
	static const char *const w = "fingerprint";
	const char *s;
	json_object *v;

	if (only_keys(f, w, fkeys, err, len))
		return -1;
	if (str_member(f, w, "kernel_release", true, false, NULL, &s, err, len) ||
	    str_member(f, w, "kernel_version", false, false, NULL, &s, err, len) ||
	    str_member(f, w, "kernel_build_id", false, true, NULL, &s, err, len))
		return -1;
	if (s && !is_hex(s, 2, 64)) {
		snprintf(err, len,
			 "fingerprint.kernel_build_id: not 2 to 64 lower-case hex digits");
		return -1;
	}
	if (str_member(f, w, "config_hash", false, true, NULL, &s, err, len))
		return -1;
	if (s) {
		size_t a = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789");

		if (!a || s[a] != ':' || !is_hex(s + a + 1, 1, SIZE_MAX)) {
			snprintf(err, len, "fingerprint.config_hash: not ALGORITHM:HEX");
			return -1;
		}
	}
	if (str_member(f, w, "config_source", false, true, NULL, &s, err, len) ||
	    str_member(f, w, "arch", true, false, NULL, &s, err, len) ||
	    str_member(f, w, "cpu_model", false, false, NULL, &s, err, len) ||
	    member(f, w, "cpus", json_type_int, false, &v, err, len))
		return -1;
	if (json_object_get_int64(v) < 1) {
		snprintf(err, len, "fingerprint.cpus: less than 1");
		return -1;
	}
	if (str_member(f, w, "hypervisor", false, false, NULL, &s, err, len) ||
	    member(f, w, "emulated", json_type_boolean, false, &v, err, len) ||
	    str_member(f, w, "attach_mode", true, false, modes, &s, err, len) ||
	    str_member(f, w, "pvtrace_version", true, false, NULL, &s, err, len) ||
	    str_member(f, w, "hostname", false, false, NULL, &s, err, len))
		return -1;
	return 0;
}

int bench_doc_check(json_object *doc, char *err, size_t len)
{
	static const char *const benches[] = { "ioctl", "regs", "overhead", NULL };
	static const char *const keys[] = { "schema",  "kind",	  "kernel",	"benchmark",
					    "label",   "started", "duration_s", "fingerprint",
					    "params",  "runs",	  "metrics",	"histograms",
					    "details", NULL };
	json_object *v, *metrics;
	const char *s;
	int64_t runs;
	size_t n;

	if (!json_object_is_type(doc, json_type_object)) {
		snprintf(err, len, "not a JSON object");
		return -1;
	}
	if (str_member(doc, "", "schema", true, false, NULL, &s, err, len))
		return -1;
	if (strcmp(s, "pvtrace.bench/1")) {
		snprintf(err, len, "schema '%.40s' is not pvtrace.bench/1", s);
		return -1;
	}
	if (str_member(doc, "", "kind", true, false, NULL, &s, err, len))
		return -1;
	if (strcmp(s, "result")) {
		snprintf(err, len, "kind '%.40s' is not result", s);
		return -1;
	}
	if (str_member(doc, "", "kernel", true, false, NULL, &s, err, len) ||
	    str_member(doc, "", "benchmark", true, false, benches, &s, err, len) ||
	    str_member(doc, "", "label", true, false, NULL, &s, err, len) ||
	    str_member(doc, "", "started", true, false, NULL, &s, err, len))
		return -1;
	if (!rfc3339_utc_ok(s)) {
		snprintf(err, len, "started: '%.40s' is not YYYY-MM-DDTHH:MM:SSZ", s);
		return -1;
	}
	if (member(doc, "", "duration_s", json_type_double, false, &v, err, len))
		return -1;
	if (!(json_object_get_double(v) >= 0)) {
		snprintf(err, len, "duration_s: negative");
		return -1;
	}
	if (member(doc, "", "fingerprint", json_type_object, false, &v, err, len) ||
	    check_fingerprint(v, err, len) ||
	    member(doc, "", "params", json_type_object, false, &v, err, len) ||
	    member(doc, "", "details", json_type_object, false, &v, err, len) ||
	    member(doc, "", "runs", json_type_int, false, &v, err, len))
		return -1;
	runs = json_object_get_int64(v);
	if (runs < 1 || runs > 1000000) {
		snprintf(err, len, "runs: %lld is not in 1..1000000", (long long)runs);
		return -1;
	}
	if (member(doc, "", "metrics", json_type_array, false, &metrics, err, len))
		return -1;
	n = json_object_array_length(metrics);
	if (!n) {
		snprintf(err, len, "metrics: empty");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(metrics, i);
		json_object *name;

		if (check_metric(m, i, runs, err, len))
			return -1;
		json_object_object_get_ex(m, "name", &name);
		for (size_t k = 0; k < i; k++) {
			json_object *o, *oname;

			o = json_object_array_get_idx(metrics, k);
			json_object_object_get_ex(o, "name", &oname);
			if (!strcmp(json_object_get_string(name), json_object_get_string(oname))) {
				snprintf(err, len,
					 "metrics[%zu].name: '%.40s' again (metrics[%zu])", i,
					 json_object_get_string(name), k);
				return -1;
			}
		}
	}
	if (only_keys(doc, "", keys, err, len))
		return -1;
	if (json_object_object_get_ex(doc, "histograms", &v) && check_histograms(v, err, len))
		return -1;
	return 0;
}
