// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* results store: the selection parser, document checks, SHA-256, the C API on SQLite. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "results/store.h"

static void test_sel_terms(void **state)
{
	struct store_sel s;
	char err[256];

	(void)state;
	assert_int_equal(store_sel_parse(NULL, &s, err, sizeof(err)), 0);
	assert_int_equal(s.id, -1);
	assert_null(s.label);
	assert_int_equal(store_sel_parse("all", &s, err, sizeof(err)), 0);
	assert_null(s.buf);
	assert_int_equal(store_sel_parse("id=42,label=stock-6.12,benchmark=ioctl,kernel=6.1.0-1,"
					 "build_id=ab12,since=2026-01-01,until=2026-02-03",
					 &s, err, sizeof(err)),
			 0);
	assert_int_equal(s.id, 42);
	assert_string_equal(s.label, "stock-6.12");
	assert_string_equal(s.benchmark, "ioctl");
	assert_string_equal(s.kernel, "6.1.0-1");
	assert_string_equal(s.build_id, "ab12");
	assert_string_equal(s.since, "2026-01-01T00:00:00Z");
	assert_string_equal(s.until, "2026-02-03T23:59:59Z");
	store_sel_free(&s);
	assert_int_equal(
		store_sel_parse("since=2026-01-01T10:11:12Z,label=a=b", &s, err, sizeof(err)), 0);
	assert_string_equal(s.since, "2026-01-01T10:11:12Z");
	assert_string_equal(s.label, "a=b"); /* the first '=' splits */
	store_sel_free(&s);
}

static void test_sel_errors(void **state)
{
	static const struct {
		const char *sel, *msg;
	} bad[] = {
		{ "color=red", "unknown term 'color'" },
		{ "label=", "label= needs a value" },
		{ "id=x", "id 'x' is not a number" },
		{ "id=-1", "id '-1' is not a number" },
		{ "label=a,label=b", "label given twice" },
		{ "all,label=a", "'all' stands alone" },
		{ "label=a,all", "'all' stands alone" },
		{ "stock", "'stock' is not key=value" },
		{ "since=2026-1-1", "since '2026-1-1' is not YYYY-MM-DD" },
		{ "until=2026-01-01T00:00:00", "until '2026-01-01T00:00:00' is not" },
		{ ",", "" },
	};
	struct store_sel s;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = store_sel_parse(bad[i].sel, &s, err, sizeof(err));

		if (!*bad[i].msg) { /* only separators: no term, everything */
			assert_int_equal(r, 0);
			store_sel_free(&s);
			continue;
		}
		assert_int_equal(r, STORE_EINVAL);
		assert_non_null(strstr(err, bad[i].msg));
		assert_null(s.buf);
	}
}

static void test_sha256(void **state)
{
	char hex[65], *a = malloc(1000000);

	(void)state;
	sha256_hex("", 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex,
			    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_non_null(a);
	memset(a, 'a', 1000000);
	sha256_hex(a, 1000000, hex);
	assert_string_equal(hex,
			    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

#define DOC(label, started, values)                                                            \
	"{\"schema\":\"pvtrace.bench/1\",\"kind\":\"result\",\"kernel\":\"6.12.0\","           \
	"\"benchmark\":\"ioctl\",\"label\":\"" label "\",\"started\":\"" started "\","         \
	"\"duration_s\":1,\"fingerprint\":{\"kernel_release\":\"6.12.0\",\"kernel_version\":"  \
	"\"#1\",\"kernel_build_id\":\"ab\",\"config_hash\":null,\"config_source\":null,"       \
	"\"arch\":\"x86_64\",\"cpu_model\":\"c\",\"cpus\":2,\"hypervisor\":\"none\","          \
	"\"emulated\":false,\"attach_mode\":\"none\",\"pvtrace_version\":\"0\","               \
	"\"hostname\":\"h\"},\"params\":{},\"runs\":3,\"metrics\":[{\"name\":\"KVM_RUN.p50\"," \
	"\"unit\":\"ns\",\"better\":\"lower\",\"threshold\":0.05,\"values\":[" values "]}],"   \
	"\"details\":{}}"

static void test_doc_check(void **state)
{
	static const struct {
		const char *doc, *msg;
	} bad[] = {
		{ "[]", "not a JSON object" },
		{ "{\"schema\":\"pvtrace.bench/1\"}", "kind: missing" },
		{ DOC("a", "2026-01-01T00:00:00Z", "1,2"),
		  "metrics[0].values: 2 numbers, runs is 3" },
		{ DOC("a", "2026-01-01T00:00:00Z", "1,2,true"),
		  "metrics[0].values[2]: not a number" },
		{ DOC("", "2026-01-01T00:00:00Z", "1,2,3"), "label: empty" },
		{ DOC("a", "2026-01-01", "1,2,3"), "started: '2026-01-01' is not" },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object *d = store_parse_json(bad[i].doc, strlen(bad[i].doc), err, sizeof(err));

		assert_non_null(d);
		assert_int_equal(bench_doc_check(d, err, sizeof(err)), -1);
		assert_non_null(strstr(err, bad[i].msg));
		json_object_put(d);
	}
	assert_null(store_parse_json("{\"a\":1} x", 9, err, sizeof(err)));
	assert_null(store_parse_json("{\"a\":\"\xff\"}", 9, err, sizeof(err)));
	assert_null(store_parse_json("{\"a\":1}\0", 8, err, sizeof(err)));
	assert_non_null(strstr(err, "NUL"));
}

/* the API compare and the dashboard use, on an in-memory SQLite store */
static void test_store_api(void **state)
{
	const char *d1 = DOC("new", "2026-01-02T00:00:00Z", "1,2,3");
	const char *d0 = DOC("old", "2026-01-01T00:00:00Z", "4,5,6.5");
	struct store *s;
	json_object **docs, *v;
	int64_t id0, id1, idd, *ids;
	char err[256];
	size_t n;

	(void)state;
	assert_int_equal(store_open(":memory:", true, &s, err, sizeof(err)), 0);
	assert_string_equal(store_engine(s), "sqlite");
	assert_int_equal(store_import(s, d1, &id1, err, sizeof(err)), 0);
	assert_int_equal(store_import(s, d0, &id0, err, sizeof(err)), 0);
	assert_int_equal(store_import(s, d1, &idd, err, sizeof(err)), 1);
	assert_int_equal(idd, id1);
	assert_int_equal(store_import(s, "{}", &idd, err, sizeof(err)), STORE_EINVAL);
	/* oldest first, whatever the import order */
	assert_int_equal(store_select(s, "benchmark=ioctl", &docs, &ids, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], id0);
	assert_int_equal(ids[1], id1);
	assert_true(json_object_object_get_ex(docs[0], "label", &v));
	assert_string_equal(json_object_get_string(v), "old");
	for (size_t i = 0; i < n; i++)
		json_object_put(docs[i]);
	free(docs);
	free(ids);
	assert_int_equal(store_select(s, "label=none", &docs, &ids, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(docs);
	free(ids);
	assert_int_equal(store_select(s, "nope=1", &docs, &ids, &n, err, sizeof(err)),
			 STORE_EINVAL);
	/* a rolled back transaction leaves nothing */
	assert_int_equal(store_begin(s, err, sizeof(err)), 0);
	assert_int_equal(store_import(s, DOC("gone", "2026-01-03T00:00:00Z", "1,1,1"), &idd, err,
				      sizeof(err)),
			 0);
	assert_int_equal(store_rollback(s), 0);
	assert_int_equal(store_select(s, "label=gone", &docs, &ids, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(docs);
	free(ids);
	store_close(s);
	/* no such file, and not created when not asked to */
	assert_int_equal(store_open("/nonexistent/dir/x.db", true, &s, err, sizeof(err)), -1);
	assert_null(s);
	assert_non_null(strstr(err, "/nonexistent/dir/x.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sel_terms), cmocka_unit_test(test_sel_errors),
		cmocka_unit_test(test_sha256),	  cmocka_unit_test(test_doc_check),
		cmocka_unit_test(test_store_api),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
