// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* KVM ioctl decoding: full-value matching against the system's uapi headers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/kvm.h>
#include "kvm_ioctl.h"

static void test_known_names(void **state)
{
	static const struct {
		const char *name;
		uint32_t cmd;
	} want[] = {
		{ "KVM_RUN", KVM_RUN },
		{ "KVM_GET_REGS", KVM_GET_REGS },
		{ "KVM_SET_REGS", KVM_SET_REGS },
		{ "KVM_GET_ONE_REG", KVM_GET_ONE_REG },
		{ "KVM_SET_ONE_REG", KVM_SET_ONE_REG },
		{ "KVM_GET_VCPU_EVENTS", KVM_GET_VCPU_EVENTS },
		{ "KVM_GET_MP_STATE", KVM_GET_MP_STATE },
		{ "KVM_GET_REG_LIST", KVM_GET_REG_LIST },
		{ "KVM_SET_GUEST_DEBUG", KVM_SET_GUEST_DEBUG },
		{ "KVM_CREATE_VCPU", KVM_CREATE_VCPU },
		{ "KVM_GET_API_VERSION", KVM_GET_API_VERSION },
		{ "KVM_RESET_DIRTY_RINGS", KVM_RESET_DIRTY_RINGS },
#if defined(__aarch64__)
		{ "KVM_ARM_VCPU_INIT", KVM_ARM_VCPU_INIT },
		{ "KVM_ARM_PREFERRED_TARGET", KVM_ARM_PREFERRED_TARGET },
		{ "KVM_ARM_VCPU_FINALIZE", KVM_ARM_VCPU_FINALIZE },
#else
		{ "KVM_GET_SREGS", KVM_GET_SREGS },
		{ "KVM_SET_SREGS", KVM_SET_SREGS },
		{ "KVM_GET_MSRS", KVM_GET_MSRS },
		{ "KVM_SET_MSRS", KVM_SET_MSRS },
		{ "KVM_GET_FPU", KVM_GET_FPU },
		{ "KVM_GET_LAPIC", KVM_GET_LAPIC },
		{ "KVM_GET_XSAVE", KVM_GET_XSAVE },
		{ "KVM_GET_XCRS", KVM_GET_XCRS },
		{ "KVM_SET_CPUID2", KVM_SET_CPUID2 },
		{ "KVM_GET_NESTED_STATE", KVM_GET_NESTED_STATE },
#endif
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *n = kvm_ioctl_name(want[i].cmd);

		assert_non_null(n);
		assert_string_equal(n, want[i].name);
		assert_int_equal(kvm_ioctl_value(want[i].name), want[i].cmd);
	}
	/* 118 KVM ioctls in 6.12 uapi for x86_64, 88 for arm64 */
	assert_true(kvm_ioctl_count() > 80);
}

/* every table value must decode back to type KVMIO and be unique per name */
static void test_table_consistent(void **state)
{
	const char *name;
	uint32_t cmd;

	(void)state;
	for (size_t i = 0; (name = kvm_ioctl_entry(i, &cmd)); i++) {
		const char *first = kvm_ioctl_name(cmd);

		assert_int_equal((cmd >> 8) & 0xff, 0xae);
		assert_non_null(first);
		assert_int_equal(strncmp(name, "KVM_", 4), 0);
		/* a name maps to its own value */
		assert_int_equal(kvm_ioctl_value(name), cmd);
	}
	assert_int_equal(kvm_ioctl_value("KVM_NO_SUCH_IOCTL"), 0);
	/* shared value: the vCPU ioctl wins (KVM_ARM_SET_DEVICE_ADDR = KVM_GET_ONE_REG) */
	assert_string_equal(kvm_ioctl_name(0x4010aeab), "KVM_GET_ONE_REG");
}

/* number alone is not enough: 0xc7 is KVM_RESET_DIRTY_RINGS only as _IO */
static void test_full_value_match(void **state)
{
	char buf[128];

	(void)state;
	assert_null(kvm_ioctl_name(0x4010aec7)); /* 2020 MANY_REGS proposal: _IOW 0xc7 */
	/* the carried series, uapi v2: _IOW of a 32-byte header; v1's _IOWR of 8 is no more */
	assert_string_equal(kvm_ioctl_name(0x4020aede), "KVM_GET_MANY_REGS");
	assert_string_equal(kvm_ioctl_name(0x4020aedf), "KVM_SET_MANY_REGS");
	assert_int_equal(kvm_ioctl_value("KVM_GET_MANY_REGS"), 0x4020aede);
	assert_int_equal(kvm_ioctl_value("KVM_SET_MANY_REGS"), 0x4020aedf);
	assert_null(kvm_ioctl_name(0xc008aede));
	assert_null(kvm_ioctl_name(0xc008aedf));
	assert_null(kvm_ioctl_name(KVM_GET_REGS ^ (1u << 16)));		  /* wrong size */
	assert_null(kvm_ioctl_name((KVM_GET_REGS & ~0xff00u) | 0xab00u)); /* wrong type */
	kvm_ioctl_format(0x4010aec7, buf, sizeof(buf));
	assert_string_equal(buf, "0x4010aec7(dir=W,type=0xae,nr=0xc7,size=16)");
	kvm_ioctl_format(0xc008aeb0, buf, sizeof(buf));
	assert_string_equal(buf, "KVM_GET_REG_LIST");
	kvm_ioctl_format(0x0000aeff, buf, sizeof(buf));
	assert_string_equal(buf, "0x0000aeff(dir=none,type=0xae,nr=0xff,size=0)");
}

static void test_fields(void **state)
{
	struct ioctl_fields f;

	(void)state;
	ioctl_decode(KVM_GET_REG_LIST, &f);
	assert_int_equal(f.dir, 3);
	assert_int_equal(f.type, 0xae);
	assert_int_equal(f.nr, 0xb0);
	assert_int_equal(f.size, sizeof(struct kvm_reg_list));
	assert_string_equal(ioctl_dir_name(f.dir), "RW");
	ioctl_decode(KVM_SET_REGS, &f);
	assert_string_equal(ioctl_dir_name(f.dir), "W");
	assert_int_equal(f.size, sizeof(struct kvm_regs));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_names),
		cmocka_unit_test(test_table_consistent),
		cmocka_unit_test(test_full_value_match),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
