// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Output writers: JSON histogram, Prometheus textfile, time formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <fcntl.h>
#include "output.h"
#include "report.h"
#include "util.h"
#include "textfile.h"

static char dir[] = "/tmp/pvtrace-test-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_seconds(void **state)
{
	char b[48];

	(void)state;
	assert_string_equal(ns_to_seconds(b, sizeof(b), 0), "0");
	assert_string_equal(ns_to_seconds(b, sizeof(b), 2), "0.000000002");
	assert_string_equal(ns_to_seconds(b, sizeof(b), 2048), "0.000002048");
	assert_string_equal(ns_to_seconds(b, sizeof(b), 1000000000), "1");
	assert_string_equal(ns_to_seconds(b, sizeof(b), 1500000000), "1.5");
	assert_string_equal(ns_to_seconds(b, sizeof(b), 1099511627776ULL), "1099.511627776");
}

static void test_json_hist(void **state)
{
	struct hist_data h;
	json_object *o, *b, *x;

	(void)state;
	hist_data_init(&h);
	hist_data_add(&h, 100);
	hist_data_add(&h, 100);
	hist_data_add(&h, 5000);
	o = json_hist(&h);
	assert_true(json_object_object_get_ex(o, "count", &x));
	assert_int_equal(json_object_get_uint64(x), 3);
	assert_true(json_object_object_get_ex(o, "sum", &x));
	assert_int_equal(json_object_get_uint64(x), 5200);
	assert_true(json_object_object_get_ex(o, "min", &x));
	assert_int_equal(json_object_get_uint64(x), 100);
	assert_true(json_object_object_get_ex(o, "max", &x));
	assert_int_equal(json_object_get_uint64(x), 5000);
	assert_true(json_object_object_get_ex(o, "buckets", &b));
	assert_int_equal(json_object_array_length(b), 2);
	x = json_object_array_get_idx(b, 0);
	assert_int_equal(json_object_get_uint64(json_object_object_get(x, "low")), 64);
	assert_int_equal(json_object_get_uint64(json_object_object_get(x, "high")), 128);
	assert_int_equal(json_object_get_uint64(json_object_object_get(x, "count")), 2);
	json_object_put(o);

	/* empty histogram: min/max are null, no buckets */
	hist_data_init(&h);
	o = json_hist(&h);
	assert_true(json_object_object_get_ex(o, "min", &x));
	assert_null(x);
	json_object_put(o);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[1 << 16];
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int count_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
			n++;
	closedir(d);
	return n;
}

struct fill_arg {
	const struct prom_label *l;
	const struct hist_data *h;
};

static void fill_hist(struct prom_writer *w, void *arg)
{
	const struct fill_arg *a = arg;

	prom_family(w, "pvtrace_x_seconds", "histogram", "test");
	prom_hist(w, "pvtrace_x_seconds", a->l, 2, a->h);
}

static int count_buckets(const char *s)
{
	int nb = 0;
	uint64_t last = 0;

	/* buckets are cumulative and in increasing le order */
	for (const char *p = s; (p = strstr(p, "_bucket{")); p++) {
		const char *v = strchr(p, '}') + 2;
		uint64_t c = strtoull(v, NULL, 10);

		assert_true(c >= last);
		last = c;
		nb++;
	}
	return nb;
}

static void test_prom_file(void **state)
{
	struct textfile t;
	struct hist_data h;
	struct prom_label l[] = { { "command", "KVM_RUN" }, { "comm", "q\"e\\mu" } };
	struct fill_arg a = { l, &h };
	char path[256], err[256], *s;

	(void)state;
	snprintf(path, sizeof(path), "%s/x.prom", dir);
	hist_data_init(&h);
	hist_data_add(&h, 1);	 /* slot 0 -> le 2ns */
	hist_data_add(&h, 1500); /* slot 10 -> le 2048ns */
	hist_data_add(&h, 2048); /* slot 11 -> le 4096ns */
	assert_int_equal(textfile_open(&t, path, "test", err, sizeof(err)), 0);
	assert_int_equal(textfile_check_writable(&t, err, sizeof(err)), 0);
	assert_int_equal(count_files(), 0); /* the check leaves nothing */
	assert_int_equal(textfile_write(&t, fill_hist, &a), 0);
	assert_int_equal(count_files(), 1); /* no temporary left */
	s = slurp(path);
	assert_non_null(s);
	assert_non_null(strstr(s, "# TYPE pvtrace_x_seconds histogram\n"));
	assert_non_null(strstr(s, "pvtrace_x_seconds_bucket{command=\"KVM_RUN\",comm="
				  "\"q\\\"e\\\\mu\",le=\"0.000000002\"} 1\n"));
	assert_non_null(strstr(s, "le=\"0.000001024\"} 1\n"));
	assert_non_null(strstr(s, "le=\"0.000002048\"} 2\n"));
	assert_non_null(strstr(s, "le=\"0.000004096\"} 3\n"));
	assert_non_null(strstr(s, "le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(
		s,
		"pvtrace_x_seconds_sum{command=\"KVM_RUN\",comm=\"q\\\"e\\\\mu\"} 0.000003549\n"));
	assert_non_null(strstr(
		s, "pvtrace_x_seconds_count{command=\"KVM_RUN\",comm=\"q\\\"e\\\\mu\"} 3\n"));
	/* the header every command writes */
	assert_non_null(strstr(s, "pvtrace_build_info{command=\"test\",file=\"x.prom\",version="));
	assert_non_null(strstr(s, "pvtrace_last_report_timestamp_seconds{command=\"test\","
				  "file=\"x.prom\"} "));
	assert_non_null(strstr(
		s, "pvtrace_textfile_write_errors_total{command=\"test\",file=\"x.prom\"} 0\n"));
	assert_int_equal(count_buckets(s), PROM_MAX_SLOT + 1);
	assert_int_equal(s[strlen(s) - 1], '\n');

	/* a bucket range: 1us,16s by 4 -> le 2^10 .. 2^34 every 2 powers, 13 + Inf */
	int lo, hi, step;

	assert_int_equal(textfile_parse_buckets("1us,16s,4", &lo, &hi, &step), 0);
	assert_int_equal(lo, 9);
	assert_int_equal(hi, 35);
	assert_int_equal(step, 2);
	textfile_buckets(&t, 10, 34, 2);
	assert_int_equal(textfile_write(&t, fill_hist, &a), 0);
	s = slurp(path);
	assert_int_equal(count_buckets(s), 13 + 1);
	assert_non_null(strstr(s, "le=\"0.000001024\"} 1\n"));
	assert_non_null(strstr(s, "le=\"0.000004096\"} 3\n"));
	assert_null(strstr(s, "le=\"0.000002048\""));
	assert_int_not_equal(textfile_parse_buckets("16s,1us", &lo, &hi, &step), 0);
	assert_int_not_equal(textfile_parse_buckets("1us,16s,3", &lo, &hi, &step), 0);
	assert_int_not_equal(textfile_parse_buckets("1us", &lo, &hi, &step), 0);
	assert_int_not_equal(textfile_parse_buckets("0,1s", &lo, &hi, &step), 0);

	/* removed at close unless kept */
	textfile_close(&t);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(textfile_open(&t, path, "test", err, sizeof(err)), 0);
	t.keep = true;
	assert_int_equal(textfile_write(&t, fill_hist, &a), 0);
	textfile_close(&t);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
}

static void test_prom_refusals(void **state)
{
	char path[512], target[256], err[256], name[300];
	struct textfile t;

	(void)state;
	snprintf(path, sizeof(path), "%s/link.prom", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_not_equal(textfile_open(&t, path, "test", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "symbolic link"));
	unlink(path);
	/* a trailing slash, a directory, a name too long for the hidden temporary */
	snprintf(path, sizeof(path), "%s/", dir);
	assert_int_not_equal(textfile_open(&t, path, "test", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "names a directory"));
	memset(name, 'a', 248);
	name[248] = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_not_equal(textfile_open(&t, path, "test", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "at most 247 bytes"));
	name[247] = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(textfile_open(&t, path, "test", err, sizeof(err)), 0);
	textfile_close(&t);
	snprintf(path, sizeof(path), "%s/no/such/dir/x.prom", dir);
	assert_int_not_equal(textfile_open(&t, path, "test", err, sizeof(err)), 0);
	/* the directory itself may not be a symlink */
	snprintf(path, sizeof(path), "%s/dirlink", dir);
	assert_int_equal(symlink(dir, path), 0);
	snprintf(path, sizeof(path), "%s/dirlink/x.prom", dir);
	assert_int_not_equal(textfile_open(&t, path, "test", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "symlinks are refused"));
	snprintf(path, sizeof(path), "%s/dirlink", dir);
	unlink(path);
}

static void fill_none(struct prom_writer *w, void *arg)
{
	(void)w;
	(void)arg;
}

/* The directory is resolved once: a parent swapped for a symlink mid-run changes nothing. */
static void test_prom_dir_swap(void **state)
{
	char d1[100], d2[300], other[100], path[400], err[256];
	struct textfile t;
	int fd;

	(void)state;
	snprintf(d1, sizeof(d1), "%s/d1", dir);
	snprintf(d2, sizeof(d2), "%s/d1.moved", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	assert_int_equal(mkdir(d1, 0755), 0);
	assert_int_equal(mkdir(other, 0755), 0);
	snprintf(path, sizeof(path), "%s/x.prom", d1);
	/* a stale hidden file of an earlier killed run is removed at start */
	snprintf(d2, sizeof(d2), "%s/.x.prom.abc123", d1);
	fd = open(d2, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(textfile_open(&t, path, "test", err, sizeof(err)), 0);
	assert_int_not_equal(access(d2, F_OK), 0);
	snprintf(d2, sizeof(d2), "%s/d1.moved", dir);
	assert_int_equal(rename(d1, d2), 0);
	assert_int_equal(symlink(other, d1), 0);
	assert_int_equal(textfile_write(&t, fill_none, NULL), 0);
	snprintf(path, sizeof(path), "%s/x.prom", other);
	assert_int_not_equal(access(path, F_OK), 0); /* nothing through the symlink */
	snprintf(path, sizeof(path), "%s/x.prom", d2);
	assert_int_equal(access(path, F_OK), 0); /* the directory opened at start */
	/* a failed write is counted, retried, and does not end anything */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(d2), 0);
	assert_int_not_equal(textfile_write(&t, fill_none, NULL), 0);
	assert_int_not_equal(textfile_write(&t, fill_none, NULL), 0);
	assert_int_equal(t.errors, 2);
	textfile_close(&t);
	unlink(d1);
}

static void test_utf8(void **state)
{
	char out[64];

	(void)state;
	/* a comm cut mid-character: "é" is c3 a9 */
	utf8_sanitize(out, sizeof(out), "aaaaaaaaaaaaaa\xc3", 15);
	assert_string_equal(out, "aaaaaaaaaaaaaa\xef\xbf\xbd");
	utf8_sanitize(out, sizeof(out), "x\xffy", 3);
	assert_string_equal(out, "x\xef\xbf\xbdy");
	utf8_sanitize(out, sizeof(out), "caf\xc3\xa9 \xe2\x82\xac", 9);
	assert_string_equal(out, "caf\xc3\xa9 \xe2\x82\xac");
	/* overlong, surrogate, control characters */
	utf8_sanitize(out, sizeof(out), "\xc0\xaf\xed\xa0\x80\n", 6);
	assert_string_equal(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
				 "\xef\xbf\xbd");
	/* never cuts a character: 4 bytes do not hold "é" + NUL after "ab" */
	utf8_sanitize(out, 4, "ab\xc3\xa9", 4);
	assert_string_equal(out, "ab");
}

/* Every string of a JSON document is printed as valid UTF-8; controls are escaped. */
static void test_json_utf8(void **state)
{
	json_object *d = json_object_new_object(), *a = json_object_new_array();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	json_object_object_add(d, "comm", json_object_new_string("vm\xffx"));
	json_object_array_add(a, json_object_new_string("aaaaaaaaaaaaaa\xc3"));
	json_object_array_add(a, json_object_new_string("tab\there/x"));
	json_object_object_add(d, "list", a);
	assert_int_equal(json_print_line(f, d), 0);
	fclose(f);
	assert_string_equal(
		buf, "{\"comm\":\"vm\xef\xbf\xbdx\",\"list\":[\"aaaaaaaaaaaaaa\xef\xbf\xbd\","
		     "\"tab\\there/x\"]}\n");
	free(buf);
	json_object_put(d);
}

static void test_time_format(void **state)
{
	char b[32];
	enum time_unit u;

	(void)state;
	assert_string_equal(fmt_time(b, sizeof(b), 1500, UNIT_US), "1.500 us");
	assert_string_equal(fmt_time(b, sizeof(b), 1500, UNIT_NS), "1500 ns");
	assert_string_equal(fmt_time(b, sizeof(b), 2500000, UNIT_MS), "2.500 ms");
	assert_int_equal(unit_parse("ms", &u), 0);
	assert_int_equal(u, UNIT_MS);
	assert_int_not_equal(unit_parse("s", &u), 0);
}

static void test_hex_str(void **state)
{
	static const uint8_t b[] = { 0xe9, 0x00, 0x7f, 0xff };
	char buf[32], small[8];

	(void)state;
	assert_string_equal(hex_str(b, 4, " ", buf, sizeof(buf)), "e9 00 7f ff");
	assert_string_equal(hex_str(b, 4, NULL, buf, sizeof(buf)), "e9007fff");
	assert_string_equal(hex_str(b, 0, " ", buf, sizeof(buf)), "");
	/* only whole bytes: "e9 00" and its NUL fill 6 of 8; " 7f" does not fit */
	assert_string_equal(hex_str(b, 4, " ", small, 7), "e9 00");
	assert_string_equal(hex_str(b, 4, NULL, small, sizeof(small)), "e9007f");
	assert_string_equal(hex_str(b, 4, NULL, small, 1), "");
}

static void test_json_report(void **state)
{
	struct tick t = { .index = 3, .span_ns = 1000000000, .interval = true, .final = false };
	json_object *d = json_report_new("pvtrace.x/1", NULL, &t, "kprobe"), *v;

	(void)state;
	assert_true(json_object_object_get_ex(d, "schema", &v));
	assert_string_equal(json_object_get_string(v), "pvtrace.x/1");
	assert_true(json_object_object_get_ex(d, "kind", &v));
	assert_string_equal(json_object_get_string(v), "report");
	assert_true(json_object_object_get_ex(d, "kernel", &v));
	assert_string_equal(json_object_get_string(v), kernel_release());
	assert_true(json_object_object_get_ex(d, "mode", &v));
	assert_string_equal(json_object_get_string(v), "kprobe");
	assert_true(json_object_object_get_ex(d, "interval_index", &v));
	assert_int_equal(json_object_get_uint64(v), 3);
	assert_true(json_object_object_get_ex(d, "interval_ns", &v));
	assert_int_equal(json_object_get_uint64(v), 1000000000);
	assert_true(json_object_object_get_ex(d, "cumulative", &v));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(d, "final", &v));
	assert_false(json_object_get_boolean(v));
	json_object_put(d);
	d = json_report_new("pvtrace.x/1", "steal", &t, NULL);
	assert_false(json_object_object_get_ex(d, "mode", &v));
	assert_true(json_object_object_get_ex(d, "kind", &v));
	assert_string_equal(json_object_get_string(v), "steal");
	json_object_put(d);
}

/* report_run: the parts of each report in order, outputs only on interval/final ticks */
struct seq {
	char log[256];
	size_t n;
	int fail_read_at;
};

static void seq_add(struct seq *s, char c, const struct tick *t)
{
	if (s->n + 3 < sizeof(s->log)) {
		s->log[s->n++] = c;
		s->log[s->n++] = (char)('0' + t->index);
		s->log[s->n] = 0;
	}
}

static int seq_read(void *ctx, const struct tick *t)
{
	struct seq *s = ctx;

	seq_add(s, 'r', t);
	return (int)t->index == s->fail_read_at ? -1 : 0;
}

static void seq_text(void *ctx, const struct tick *t)
{
	seq_add(ctx, 't', t);
}

static void seq_json(void *ctx, const struct tick *t)
{
	seq_add(ctx, 'j', t);
}

static void seq_next(void *ctx, const struct tick *t)
{
	seq_add(ctx, 'n', t);
}

static void test_report_run(void **state)
{
	static const struct report_ops ops = {
		.read = seq_read, .text = seq_text, .json = seq_json, .next = seq_next
	};
	struct cli_common c = { .interval_ns = 1000000, .count = 3 };
	struct seq s = { .fail_read_at = 0 };

	(void)state;
	assert_int_equal(report_run(&c, 0, &ops, &s), 0);
	assert_string_equal(s.log, "r1t1n1r2t2n2r3t3n3");
	/* JSON instead of text */
	memset(&s, 0, sizeof(s));
	c.json = true;
	c.count = 2;
	assert_int_equal(report_run(&c, 0, &ops, &s), 0);
	assert_string_equal(s.log, "r1j1n1r2j2n2");
	/* no INTERVAL, a polling default: only the final report prints */
	memset(&s, 0, sizeof(s));
	c = (struct cli_common){ .duration_ns = 35000000 };
	assert_int_equal(report_run(&c, 10000000, &ops, &s), 0);
	assert_true(s.n >= 6);
	assert_int_equal(s.log[0], 'r');
	assert_int_equal(s.log[2], 'n'); /* not printed */
	assert_int_equal(s.log[s.n - 4], 't');
	assert_int_equal(s.log[s.n - 2], 'n');
	/* the first text output is the final one */
	assert_ptr_equal(strchr(s.log, 't'), s.log + s.n - 4);
	/* a failing read ends the loop: nothing printed, no next */
	memset(&s, 0, sizeof(s));
	s.fail_read_at = 2;
	c = (struct cli_common){ .interval_ns = 1000000, .count = 5 };
	assert_int_equal(report_run(&c, 0, &ops, &s), EXIT_RUNTIME);
	assert_string_equal(s.log, "r1t1n1r2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seconds),	      cmocka_unit_test(test_json_hist),
		cmocka_unit_test(test_prom_file),     cmocka_unit_test(test_prom_refusals),
		cmocka_unit_test(test_prom_dir_swap), cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_json_utf8),     cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_hex_str),	      cmocka_unit_test(test_json_report),
		cmocka_unit_test(test_report_run),
	};

	return cmocka_run_group_tests_name("output", tests, setup, teardown);
}
