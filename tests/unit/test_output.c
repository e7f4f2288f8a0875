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
#include "output.h"

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

static void test_prom_file(void **state)
{
	struct prom_writer w;
	struct hist_data h;
	struct prom_label l[] = { { "command", "KVM_RUN" }, { "comm", "q\"e\\mu" } };
	char path[256], *s, *p;
	uint64_t last = 0;
	int nb = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/x.prom", dir);
	hist_data_init(&h);
	hist_data_add(&h, 1);	 /* slot 0 -> le 2ns */
	hist_data_add(&h, 1500); /* slot 10 -> le 2048ns */
	hist_data_add(&h, 2048); /* slot 11 -> le 4096ns */
	assert_int_equal(prom_open(&w, path), 0);
	prom_family(&w, "pvtrace_x_seconds", "histogram", "test");
	prom_hist(&w, "pvtrace_x_seconds", l, 2, &h);
	/* before commit nothing is visible under the final name */
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(prom_commit(&w), 0);
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
	/* buckets are cumulative and in increasing le order */
	for (p = s; (p = strstr(p, "_bucket{")); p++) {
		char *v = strchr(p, '}') + 2;
		uint64_t c = strtoull(v, NULL, 10);

		assert_true(c >= last);
		last = c;
		nb++;
	}
	assert_int_equal(nb, PROM_MAX_SLOT + 1);
	assert_int_equal(s[strlen(s) - 1], '\n');
}

static void test_prom_symlink_refused(void **state)
{
	char path[256], target[256], err[256];
	struct prom_writer w;

	(void)state;
	snprintf(path, sizeof(path), "%s/link.prom", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_not_equal(prom_check_path(path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "symbolic link"));
	/* and a link that appears after the check is not followed either */
	unlink(path);
	assert_int_equal(prom_open(&w, path), 0);
	prom_family(&w, "pvtrace_y", "gauge", "test");
	assert_int_equal(symlink(target, path), 0);
	assert_int_not_equal(prom_commit(&w), 0);
	assert_int_not_equal(access(target, F_OK), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/no/such/dir/x.prom", dir);
	assert_int_not_equal(prom_check_path(path, err, sizeof(err)), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seconds),	    cmocka_unit_test(test_json_hist),
		cmocka_unit_test(test_prom_file),   cmocka_unit_test(test_prom_symlink_refused),
		cmocka_unit_test(test_time_format),
	};

	return cmocka_run_group_tests_name("output", tests, setup, teardown);
}
