// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* kallsyms parsing and single-symbol lookup on fixtures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "ksyms.h"

static char path[] = "/tmp/pvtrace-kallsyms-XXXXXX";

static int setup(void **state)
{
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	(void)state;
	fprintf(f, "ffffffff81000000 T _text\n"
		   "ffffffff81001000 t kvm_vcpu_ioctl_x\n"
		   "ffffffff81002000 T my_kvm_vcpu_ioctl\n"
		   "ffffffff81003000 T __SCT__pv_sched_clock\n"
		   "ffffffff81003008 T __SCT__pv_steal_clock\n"
		   "ffffffff81004000 t kvm_sched_clock_read\n");
	/* enough filler to cross the 4 KiB read chunk used by this test build */
	for (int i = 0; i < 400; i++)
		fprintf(f, "ffffffff8200%04x t filler_function_%d\n", i * 16, i);
	fprintf(f, "ffffffffc0a01230 t kvm_vcpu_ioctl\t[kvm]\n"
		   "ffffffffc0b00000 t kvm_vcpu_ioctl\t[other]\n"
		   "ffffffffc0a02000 t vfio_pci_core_request\t[vfio_pci_core]\n"
		   "ffffffffc0a03000 t last_symbol_no_newline");
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return unlink(path);
}

static void test_lookup(void **state)
{
	uint64_t a = 0;

	(void)state;
	/* exact name only: not a prefix or suffix match */
	assert_int_equal(ksym_lookup_in(path, "kvm_vcpu_ioctl", NULL, &a), 0);
	assert_true(a == 0xffffffffc0a01230ULL);
	assert_int_equal(ksym_lookup_in(path, "kvm_vcpu_ioctl", "other", &a), 0);
	assert_true(a == 0xffffffffc0b00000ULL);
	assert_int_equal(ksym_lookup_in(path, "kvm_vcpu_ioctl", "", &a), -ENOENT);
	assert_int_equal(ksym_lookup_in(path, "__SCT__pv_steal_clock", "", &a), 0);
	assert_true(a == 0xffffffff81003008ULL);
	assert_int_equal(ksym_lookup_in(path, "last_symbol_no_newline", NULL, &a), 0);
	assert_true(a == 0xffffffffc0a03000ULL);
	assert_int_equal(ksym_lookup_in(path, "filler_function_399", NULL, &a), 0);
	assert_true(a == 0xffffffff82000000ULL + 399 * 16);
	assert_int_equal(ksym_lookup_in(path, "no_such", NULL, &a), -ENOENT);
}

static void test_table(void **state)
{
	struct ksyms *ks = ksyms_load(path);
	const struct ksym *s;

	(void)state;
	assert_non_null(ks);
	assert_int_equal(ks->n, 6 + 400 + 4);
	s = ksyms_by_addr(ks, 0xffffffff81003004ULL);
	assert_non_null(s);
	assert_string_equal(s->name, "__SCT__pv_sched_clock");
	assert_null(s->module);
	s = ksyms_by_addr(ks, 0xffffffffc0a02010ULL);
	assert_string_equal(s->name, "vfio_pci_core_request");
	assert_string_equal(s->module, "vfio_pci_core");
	assert_null(ksyms_by_addr(ks, 0x1000));
	s = ksyms_by_name(ks, "kvm_sched_clock_read");
	assert_non_null(s);
	assert_true(s->addr == 0xffffffff81004000ULL);
	ksyms_free(ks);
}

static void test_describe(void **state)
{
	char p[] = "/tmp/pvtrace-ksyms-describe-XXXXXX", b[128];
	FILE *f = fdopen(mkstemp(p), "w");
	struct ksyms *ks;

	(void)state;
	/* aliases before and after the plain name, a __pfx_ pad, a module symbol */
	fprintf(f, "ffffffff81001000 T __pfx_kvm_steal_clock\n"
		   "ffffffff81001010 t kvm_steal_clock\n"
		   "ffffffff82270c30 T __x86_return_thunk\n"
		   "ffffffff82270c30 T __pi___x86_return_thunk\n"
		   "ffffffff82270d00 T __pi_other\n"
		   "ffffffff82270d00 T other\n"
		   "ffffffffc0a01000 t vmx_vcpu_run\t[kvm_intel]\n");
	fclose(f);
	ks = ksyms_load(p);
	unlink(p);
	assert_non_null(ks);
	assert_string_equal(ksyms_describe(ks, 0xffffffff81001010ULL, 0, b, sizeof(b)),
			    "kvm_steal_clock");
	assert_string_equal(ksyms_describe(ks, 0xffffffff81001010ULL, SYM_OFFSET, b, sizeof(b)),
			    "kvm_steal_clock+0x0");
	assert_string_equal(ksyms_describe(ks, 0xffffffff81001014ULL, 0, b, sizeof(b)),
			    "kvm_steal_clock+0x4");
	assert_string_equal(ksyms_describe(ks, 0xffffffff81001004ULL, 0, b, sizeof(b)),
			    "__pfx_kvm_steal_clock+0x4");
	assert_string_equal(ksyms_describe(ks, 0xffffffff82270c30ULL, 0, b, sizeof(b)),
			    "__x86_return_thunk");
	assert_string_equal(ksyms_describe(ks, 0xffffffff82270d00ULL, 0, b, sizeof(b)), "other");
	assert_string_equal(ksyms_describe(ks, 0xffffffff82270d08ULL, 0, b, sizeof(b)),
			    "other+0x8");
	assert_string_equal(ksyms_describe(ks, 0xffffffffc0a01020ULL, SYM_MODULE, b, sizeof(b)),
			    "vmx_vcpu_run+0x20 [kvm_intel]");
	assert_string_equal(ksyms_describe(ks, 0xffffffffc0a01020ULL, 0, b, sizeof(b)),
			    "vmx_vcpu_run+0x20");
	assert_string_equal(ksyms_describe(ks, 0x1000, 0, b, sizeof(b)), "?");
	assert_string_equal(ksyms_describe(ks, 0x1000, SYM_HEX_UNKNOWN, b, sizeof(b)), "0x1000");
	assert_string_equal(ksyms_describe(NULL, 0xffffffff81001010ULL, 0, b, sizeof(b)), "?");
	ksyms_free(ks);
	/* kallsyms with hidden addresses (all zero): nothing is known */
	f = fdopen(mkstemp(strcpy(p, "/tmp/pvtrace-ksyms-describe-XXXXXX")), "w");
	fprintf(f, "0000000000000000 T _text\n0000000000000000 T other\n");
	fclose(f);
	ks = ksyms_load(p);
	unlink(p);
	assert_non_null(ks);
	assert_string_equal(
		ksyms_describe(ks, 0xffffffff81001010ULL, SYM_HEX_UNKNOWN, b, sizeof(b)),
		"0xffffffff81001010");
	ksyms_free(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests_name("ksyms", tests, setup, teardown);
}
