// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* util and cli: duration and number parsing at their edges, INTERVAL bounds, -p checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "cli.h"
#include "util.h"

#define NS_PER_S  1000000000ULL
#define NS_PER_H  (3600 * NS_PER_S)
#define MAX_HOURS 876000ULL /* 100 years of 365 days */

static void test_duration_units(void **state)
{
	static const struct {
		const char *s;
		uint64_t ns;
	} ok[] = {
		{ "10", 10 * NS_PER_S },
		{ "10s", 10 * NS_PER_S },
		{ "500ms", 500000000ULL },
		{ "2m", 120 * NS_PER_S },
		{ "1h", NS_PER_H },
		{ "1ns", 1 },
		{ "7us", 7000 },
		{ "0", 0 }, /* parses; -d 0 is refused by the option */
		{ "0010s", 10 * NS_PER_S },
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		v = 12345;
		assert_true(parse_duration_ns(ok[i].s, &v));
		assert_true(v == ok[i].ns);
	}
}

static void test_duration_bounds(void **state)
{
	char buf[64];
	uint64_t v;

	(void)state;
	/* exactly the maximum, in every unit that can express it */
	assert_true(DURATION_MAX_NS == MAX_HOURS * NS_PER_H);
	assert_true(parse_duration_ns("876000h", &v) && v == DURATION_MAX_NS);
	assert_true(parse_duration_ns("52560000m", &v) && v == DURATION_MAX_NS);
	assert_true(parse_duration_ns("3153600000s", &v) && v == DURATION_MAX_NS);
	assert_true(parse_duration_ns("3153600000", &v) && v == DURATION_MAX_NS);
	snprintf(buf, sizeof(buf), "%lluns", (unsigned long long)DURATION_MAX_NS);
	assert_true(parse_duration_ns(buf, &v) && v == DURATION_MAX_NS);
	/* one more is refused */
	snprintf(buf, sizeof(buf), "%lluns", (unsigned long long)DURATION_MAX_NS + 1);
	assert_false(parse_duration_ns(buf, &v));
	assert_false(parse_duration_ns("876001h", &v));
	assert_false(parse_duration_ns("3153600001s", &v));
	assert_false(parse_duration_ns("3153600001", &v));
	/* the reported overflows: the deadline wrapped and the command ended at once */
	assert_false(parse_duration_ns("18446744073709551615ns", &v));
	assert_false(parse_duration_ns("5124095h", &v));
	assert_false(parse_duration_ns("18446744073709551616ns", &v)); /* ERANGE */
	assert_false(parse_duration_ns("99999999999999999999999999h", &v));
	/* whatever is refused, the deadline now_ns() + d fits */
	assert_true(UINT64_MAX - DURATION_MAX_NS > now_ns());
}

static void test_duration_garbage(void **state)
{
	static const char *const bad[] = { "",	  "s",	  "ms",	  "-1",	   "+1",   " 1",   "1 ",
					   "1 s", "1.5s", "10q",  "1S",	   "1sec", "0x10", "1e3",
					   "1ss", "1hm",  "\xff", "1\xff", "-0",   "1_000" };
	uint64_t v = 42;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_false(parse_duration_ns(bad[i], &v));
	assert_false(parse_duration_ns(NULL, &v));
	assert_true(v == 42); /* untouched on failure */
}

static void test_u64(void **state)
{
	uint64_t v;

	(void)state;
	assert_true(parse_u64("18446744073709551615", &v) && v == UINT64_MAX);
	assert_false(parse_u64("18446744073709551616", &v));
	assert_false(parse_u64("-1", &v));
	assert_false(parse_u64("", &v));
	assert_false(parse_u64(" 1", &v));
	assert_false(parse_u64("1x", &v));
	assert_false(parse_u64(NULL, &v));
}

static void test_interval_bounds(void **state)
{
	struct cli_common c;
	char err[128];

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(cli_interval_arg(&c, 0, "86400", err, sizeof(err)), 0);
	assert_true(c.interval_ns == 86400 * NS_PER_S);
	assert_int_equal(cli_interval_arg(&c, 0, "86401", err, sizeof(err)), -1);
	assert_int_equal(cli_interval_arg(&c, 0, "18446744073709551615", err, sizeof(err)), -1);
	assert_int_equal(cli_interval_arg(&c, 0, "0", err, sizeof(err)), -1);
	assert_int_equal(cli_interval_arg(&c, 1, "18446744073709551615", err, sizeof(err)), 0);
	assert_true(c.count == UINT64_MAX);
	assert_int_equal(cli_interval_arg(&c, 2, "1", err, sizeof(err)), -1);
}

static void *idle_thread(void *arg)
{
	pid_t *tid = arg;

	*tid = (pid_t)syscall(SYS_gettid);
	pause();
	return NULL;
}

static void test_rfc3339(void **state)
{
	(void)state;
	assert_true(rfc3339_utc_ok("2026-12-02T04:31:00Z"));
	assert_true(rfc3339_utc_ok("1970-01-01T00:00:00Z"));
	/* another zone, fractions, a lower-case separator, short or long, garbage */
	assert_false(rfc3339_utc_ok("2026-12-02T04:31:00+00:00"));
	assert_false(rfc3339_utc_ok("2026-12-02T04:31:00.5Z"));
	assert_false(rfc3339_utc_ok("2026-12-02t04:31:00Z"));
	assert_false(rfc3339_utc_ok("2026-12-02T04:31:0Z"));
	assert_false(rfc3339_utc_ok("2026-12-02T04:31:000Z"));
	assert_false(rfc3339_utc_ok("2026-12-02 04:31:00Z"));
	assert_false(rfc3339_utc_ok("2026-1a-02T04:31:00Z"));
	assert_false(rfc3339_utc_ok(""));
}

static void test_pid_check(void **state)
{
	char err[160], want[160];
	pthread_t th;
	volatile pid_t tid = 0;
	pid_t child;

	(void)state;
	assert_int_equal(cli_check_pid(getpid(), err, sizeof(err)), 0);
	assert_int_equal(cli_check_pid(2147483646, err, sizeof(err)), -1);
	assert_string_equal(err, "no such process: 2147483646");
	assert_int_equal(cli_check_pid(0, err, sizeof(err)), -1);
	/* a thread id: /proc/TID exists, but it is not a process */
	assert_int_equal(pthread_create(&th, NULL, idle_thread, (void *)&tid), 0);
	while (!tid)
		usleep(1000);
	assert_int_equal(cli_check_pid(tid, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "PID %d is a thread of process %d; use -p %d", (int)tid,
		 (int)getpid(), (int)getpid());
	assert_string_equal(err, want);
	pthread_cancel(th);
	pthread_join(th, NULL);
	/* an exited, unreaped child */
	child = fork();
	assert_true(child >= 0);
	if (!child)
		_exit(0);
	for (int i = 0; i < 1000; i++) {
		char path[64], buf[512];

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)child);
		if (read_file_str(path, buf, sizeof(buf)) > 0 && strstr(buf, ") Z "))
			break;
		usleep(1000);
	}
	assert_int_equal(cli_check_pid(child, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "has exited"));
	waitpid(child, NULL, 0);
	assert_int_equal(cli_check_pid(child, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no such process"));
}

/* /dev/null is char 1:3 everywhere; dev_t in the kernel's encoding, major << 20 */
static void test_chardev_name(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(chardev_name(1u << 20 | 3, buf, sizeof(buf)), "null");
	assert_string_equal(chardev_name(4095u << 20 | 1048575, buf, sizeof(buf)),
			    "char 4095:1048575");
	assert_string_equal(chardev_name(1u << 20 | 3, buf, 3), "nu");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_units),	 cmocka_unit_test(test_duration_bounds),
		cmocka_unit_test(test_duration_garbage), cmocka_unit_test(test_u64),
		cmocka_unit_test(test_interval_bounds),	 cmocka_unit_test(test_pid_check),
		cmocka_unit_test(test_rfc3339),		 cmocka_unit_test(test_chardev_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
