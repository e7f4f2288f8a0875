// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* KVM and vhost ioctl decoding: full-value matching against the system's uapi headers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/kvm.h>
#include <linux/vhost.h>
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
		const char *n = ioctl_name(want[i].cmd);

		assert_non_null(n);
		assert_string_equal(n, want[i].name);
		assert_int_equal(ioctl_value(want[i].name), want[i].cmd);
	}
	/* 118 KVM ioctls in 6.12 uapi for x86_64, 88 for arm64 */
	assert_true(ioctl_count() > 80);
}

/* every table value must decode back to its type (KVMIO or VHOST_VIRTIO) and name prefix */
static void test_table_consistent(void **state)
{
	const char *name;
	uint32_t cmd;

	(void)state;
	for (size_t i = 0; (name = ioctl_entry(i, &cmd)); i++) {
		const char *first = ioctl_name(cmd);

		assert_non_null(first);
		if (((cmd >> 8) & 0xff) == 0xaf)
			assert_int_equal(strncmp(name, "VHOST_", 6), 0);
		else
			assert_int_equal(strncmp(name, "KVM_", 4), 0);
		assert_true(((cmd >> 8) & 0xff) == 0xae || ((cmd >> 8) & 0xff) == 0xaf);
		/* a name maps to its own value */
		assert_int_equal(ioctl_value(name), cmd);
	}
	assert_int_equal(ioctl_value("KVM_NO_SUCH_IOCTL"), 0);
	/* shared value: the vCPU ioctl wins (KVM_ARM_SET_DEVICE_ADDR = KVM_GET_ONE_REG) */
	assert_string_equal(ioctl_name(0x4010aeab), "KVM_GET_ONE_REG");
}

/* number alone is not enough: 0xc7 is KVM_RESET_DIRTY_RINGS only as _IO */
static void test_full_value_match(void **state)
{
	char buf[128];

	(void)state;
	assert_null(ioctl_name(0x4010aec7)); /* 2020 MANY_REGS proposal: _IOW 0xc7 */
	/* the carried series, uapi v2: _IOW of a 32-byte header; v1's _IOWR of 8 is no more */
	assert_string_equal(ioctl_name(0x4020aede), "KVM_GET_MANY_REGS");
	assert_string_equal(ioctl_name(0x4020aedf), "KVM_SET_MANY_REGS");
	assert_int_equal(ioctl_value("KVM_GET_MANY_REGS"), 0x4020aede);
	assert_int_equal(ioctl_value("KVM_SET_MANY_REGS"), 0x4020aedf);
	assert_null(ioctl_name(0xc008aede));
	assert_null(ioctl_name(0xc008aedf));
	assert_null(ioctl_name(KVM_GET_REGS ^ (1u << 16)));	      /* wrong size */
	assert_null(ioctl_name((KVM_GET_REGS & ~0xff00u) | 0xab00u)); /* wrong type */
	ioctl_format(0x4010aec7, buf, sizeof(buf));
	assert_string_equal(buf, "0x4010aec7(dir=W,type=0xae,nr=0xc7,size=16)");
	ioctl_format(0xc008aeb0, buf, sizeof(buf));
	assert_string_equal(buf, "KVM_GET_REG_LIST");
	ioctl_format(0x0000aeff, buf, sizeof(buf));
	assert_string_equal(buf, "0x0000aeff(dir=none,type=0xae,nr=0xff,size=0)");
}

/* vhost-net, vhost-vdpa and vhost-vsock commands, against the system's <linux/vhost.h> */
static void test_vhost_names(void **state)
{
	static const struct {
		const char *name;
		uint32_t cmd;
	} want[] = {
		{ "VHOST_GET_FEATURES", VHOST_GET_FEATURES },
		{ "VHOST_SET_FEATURES", VHOST_SET_FEATURES },
		{ "VHOST_SET_OWNER", VHOST_SET_OWNER },
		{ "VHOST_SET_MEM_TABLE", VHOST_SET_MEM_TABLE },
		{ "VHOST_SET_VRING_NUM", VHOST_SET_VRING_NUM },
		{ "VHOST_SET_VRING_ADDR", VHOST_SET_VRING_ADDR },
		{ "VHOST_SET_VRING_BASE", VHOST_SET_VRING_BASE },
		{ "VHOST_GET_VRING_BASE", VHOST_GET_VRING_BASE },
		{ "VHOST_SET_VRING_KICK", VHOST_SET_VRING_KICK },
		{ "VHOST_SET_VRING_CALL", VHOST_SET_VRING_CALL },
		{ "VHOST_NET_SET_BACKEND", VHOST_NET_SET_BACKEND },
		{ "VHOST_VSOCK_SET_GUEST_CID", VHOST_VSOCK_SET_GUEST_CID },
		{ "VHOST_VDPA_GET_DEVICE_ID", VHOST_VDPA_GET_DEVICE_ID },
		{ "VHOST_VDPA_SET_STATUS", VHOST_VDPA_SET_STATUS },
		{ "VHOST_VDPA_GET_STATUS", VHOST_VDPA_GET_STATUS },
		{ "VHOST_VDPA_SET_VRING_ENABLE", VHOST_VDPA_SET_VRING_ENABLE },
		{ "VHOST_VDPA_GET_CONFIG", VHOST_VDPA_GET_CONFIG },
		{ "VHOST_SET_BACKEND_FEATURES", VHOST_SET_BACKEND_FEATURES },
		{ "VHOST_GET_BACKEND_FEATURES", VHOST_GET_BACKEND_FEATURES },
	};
	char buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *n = ioctl_name(want[i].cmd);

		assert_non_null(n);
		assert_string_equal(n, want[i].name);
		assert_int_equal(ioctl_value(want[i].name), want[i].cmd);
	}
	/* the same number, other directions: GET and SET of features and of a vring base */
	assert_string_equal(ioctl_name(0x8008af00), "VHOST_GET_FEATURES");
	assert_string_equal(ioctl_name(0x4008af00), "VHOST_SET_FEATURES");
	assert_string_equal(ioctl_name(0xc008af12), "VHOST_GET_VRING_BASE");
	assert_null(ioctl_name(0xc008af00));
	ioctl_format(0x0000afee, buf, sizeof(buf));
	assert_string_equal(buf, "0x0000afee(dir=none,type=0xaf,nr=0xee,size=0)");
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
		cmocka_unit_test(test_known_names),	 cmocka_unit_test(test_table_consistent),
		cmocka_unit_test(test_full_value_match), cmocka_unit_test(test_vhost_names),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
