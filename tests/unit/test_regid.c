// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ONE_REG ids as arm64 and x86 KVM list them: value size from the size field, class, name;
 * and the MANY_REGS v2 probe decision (user/kvm/many_regs.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "many_regs.h"
#include "regid.h"

static const struct {
	uint64_t id;
	size_t size;
	enum reg_class cls;
	const char *name;
} ids[] = {
	{ 0x6030000000100000ULL, 8, RC_CORE, "x0" },
	{ 0x603000000010003cULL, 8, RC_CORE, "x30" },
	{ 0x603000000010003eULL, 8, RC_CORE, "sp" },
	{ 0x6030000000100040ULL, 8, RC_CORE, "pc" },
	{ 0x6030000000100042ULL, 8, RC_CORE, "pstate" },
	{ 0x6030000000100044ULL, 8, RC_CORE, "sp_el1" },
	{ 0x6030000000100046ULL, 8, RC_CORE, "elr_el1" },
	{ 0x6030000000100048ULL, 8, RC_CORE, "spsr0" },
	{ 0x6030000000100050ULL, 8, RC_CORE, "spsr4" },
	{ 0x6040000000100054ULL, 16, RC_FPSIMD, "v0" },
	{ 0x60400000001000d0ULL, 16, RC_FPSIMD, "v31" },
	{ 0x60200000001000d4ULL, 4, RC_FPSIMD, "fpsr" },
	{ 0x60200000001000d5ULL, 4, RC_FPSIMD, "fpcr" },
	{ 0x603000000013c005ULL, 8, RC_SYSTEM, "S3_0_C0_C0_5" }, /* MPIDR_EL1 */
	{ 0x603000000013df1aULL, 8, RC_SYSTEM, "cntvct" },	 /* KVM_REG_ARM_TIMER_CNT */
	{ 0x603000000013df01ULL, 8, RC_SYSTEM, "cntpct" },	 /* KVM_REG_ARM_PTIMER_CNT */
	{ 0x6080000000150000ULL, 256, RC_SVE, "sve.z0.0" },
	{ 0x60800000001503e0ULL, 256, RC_SVE, "sve.z31.0" },
	{ 0x6050000000150400ULL, 32, RC_SVE, "sve.p0.0" },
	{ 0x6050000000150600ULL, 32, RC_SVE, "sve.ffr.0" },
	{ 0x606000000015ffffULL, 64, RC_SVE, "sve.vls" },
	{ 0x6030000000140000ULL, 8, RC_FIRMWARE, "fw.0" }, /* KVM_REG_ARM_PSCI_VERSION */
	{ 0x6030000000160002ULL, 8, RC_FIRMWARE, "fw_bmap.2" },
	{ 0x6020000000110000ULL, 4, RC_DEMUX, "demux.0x0" },
	{ 0x2030000200000010ULL, 8, RC_MSR, "msr.0x10" }, /* IA32_TSC */
	{ 0x20300002c0000082ULL, 8, RC_MSR, "msr.0xc0000082" },
	{ 0x1030000000000000ULL, 8, RC_OTHER, "0x1030000000000000" },
};

static void test_ids(void **state)
{
	char name[48];

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		reg_name(ids[i].id, name, sizeof(name));
		assert_string_equal(name, ids[i].name);
		assert_int_equal(reg_size_of(ids[i].id), ids[i].size);
		assert_int_equal(reg_class_of(ids[i].id), ids[i].cls);
	}
	assert_int_equal(REGID_ARM64_TIMER_CNT, 0x603000000013df1aULL);
	assert_int_equal(REGID_ARM64_SVE_VLS, 0x606000000015ffffULL);
	assert_int_equal(REGID_X86_MSR(0x10), 0x2030000200000010ULL);
}

static void test_sizes(void **state)
{
	(void)state;
	/* U8 ... U2048: 1 << the field */
	for (unsigned int l = 0; l <= 8; l++)
		assert_int_equal(reg_size_of(REGID_ARCH_ARM64 | REGID_SIZE(l)), 1u << l);
}

static void test_class_names(void **state)
{
	static const char *const want[RC_MAX] = { "core",     "fpsimd", "system", "sve",
						  "firmware", "demux",	"msr",	  "other" };

	(void)state;
	for (int c = 0; c < RC_MAX; c++)
		assert_string_equal(reg_class_name(c), want[c]);
	assert_string_equal(reg_class_name(RC_MAX), "other");
}

static void test_probe_decision(void **state)
{
	(void)state;
	assert_true(many_regs_usable(4096, 0));
	assert_false(many_regs_usable(4096, -22)); /* the ioctl unknown: -EINVAL */
	assert_false(many_regs_usable(4096, -25)); /* -ENOTTY */
	assert_false(many_regs_usable(4096, 1));   /* n = 0 cannot succeed for one entry */
	assert_false(many_regs_usable(0, -1));	   /* capability unknown: not asked */
	assert_false(many_regs_usable(0, 0));
	assert_false(many_regs_usable(16384, 0)); /* v1's limit: another uapi */
	assert_false(many_regs_usable(1, 0));
	assert_int_equal(KVM_GET_MANY_REGS, 0x4020aede);
	assert_int_equal(KVM_SET_MANY_REGS, 0x4020aedf);
	assert_int_equal(sizeof(struct kvm_many_regs), 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_probe_decision),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
