// SPDX-License-Identifier: GPL-2.0
/* Exit reason names: the generated tables against the system's own uapi headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <linux/kvm.h>
#if defined(__x86_64__)
#include <asm/svm.h>
#include <asm/vmx.h>
#endif

#include "kvm_exit.h"

static char b[96];

#define USER(m) assert_string_equal(kvm_exit_user_name(m, b, sizeof(b)), #m)

/* linux-libc-dev's KVM_EXIT_* values (an older kernel's headers) name the same reasons */
static void test_user_names(void **state)
{
	(void)state;
	USER(KVM_EXIT_UNKNOWN);
	USER(KVM_EXIT_IO);
	USER(KVM_EXIT_HYPERCALL);
	USER(KVM_EXIT_DEBUG);
	USER(KVM_EXIT_HLT);
	USER(KVM_EXIT_MMIO);
	USER(KVM_EXIT_SHUTDOWN);
	USER(KVM_EXIT_FAIL_ENTRY);
	USER(KVM_EXIT_INTERNAL_ERROR);
	USER(KVM_EXIT_SYSTEM_EVENT);
	USER(KVM_EXIT_X86_RDMSR);
	USER(KVM_EXIT_X86_WRMSR);
	USER(KVM_EXIT_NOTIFY);
	assert_string_equal(kvm_exit_user_name(4000, b, sizeof(b)), "KVM_EXIT_4000");
	/* truncation keeps a terminated prefix */
	assert_string_equal(kvm_exit_user_name(KVM_EXIT_MMIO, b, 6), "KVM_E");
}

#if defined(__x86_64__)
#define VMX(m) assert_string_equal(kvm_exit_hw_name(KVM_EXIT_ISA_VMX, m, b, sizeof(b)), #m)
#define SVM(m) assert_string_equal(kvm_exit_hw_name(KVM_EXIT_ISA_SVM, m, b, sizeof(b)), #m)

static void test_vmx_names(void **state)
{
	(void)state;
	VMX(EXIT_REASON_EXCEPTION_NMI);
	VMX(EXIT_REASON_EXTERNAL_INTERRUPT);
	VMX(EXIT_REASON_CPUID);
	VMX(EXIT_REASON_HLT);
	VMX(EXIT_REASON_IO_INSTRUCTION);
	VMX(EXIT_REASON_MSR_READ);
	VMX(EXIT_REASON_MSR_WRITE);
	VMX(EXIT_REASON_EPT_VIOLATION);
	VMX(EXIT_REASON_EPT_MISCONFIG);
	VMX(EXIT_REASON_PREEMPTION_TIMER);
	VMX(EXIT_REASON_NOTIFY);
	/* flags above the basic reason */
	assert_string_equal(
		kvm_exit_hw_name(KVM_EXIT_ISA_VMX,
				 VMX_EXIT_REASONS_FAILED_VMENTRY | EXIT_REASON_INVALID_STATE, b,
				 sizeof(b)),
		"EXIT_REASON_INVALID_STATE|VMX_EXIT_REASONS_FAILED_VMENTRY");
	assert_string_equal(
		kvm_exit_hw_name(KVM_EXIT_ISA_VMX, 0x04000000 | EXIT_REASON_HLT, b, sizeof(b)),
		"EXIT_REASON_HLT|0x4000000");
	assert_string_equal(kvm_exit_hw_name(KVM_EXIT_ISA_VMX, 70, b, sizeof(b)), "EXIT_REASON_70");
}

static void test_svm_names(void **state)
{
	(void)state;
	SVM(SVM_EXIT_READ_CR0);
	SVM(SVM_EXIT_INTR);
	SVM(SVM_EXIT_CPUID);
	SVM(SVM_EXIT_HLT);
	SVM(SVM_EXIT_IOIO);
	SVM(SVM_EXIT_MSR);
	SVM(SVM_EXIT_VMMCALL);
	SVM(SVM_EXIT_NPF);
	SVM(SVM_EXIT_AVIC_INCOMPLETE_IPI);
	/* -1 as the 64-bit exit code and as its low half */
	assert_string_equal(kvm_exit_hw_name(KVM_EXIT_ISA_SVM, UINT64_MAX, b, sizeof(b)),
			    "SVM_EXIT_ERR");
	assert_string_equal(
		kvm_exit_hw_name(KVM_EXIT_ISA_SVM, (uint32_t)SVM_EXIT_ERR, b, sizeof(b)),
		"SVM_EXIT_ERR");
	/* exceptions: the base and the vector; #PF is 14 */
	assert_string_equal(
		kvm_exit_hw_name(KVM_EXIT_ISA_SVM, SVM_EXIT_EXCP_BASE + 14, b, sizeof(b)),
		"SVM_EXIT_EXCP_BASE+14");
	assert_string_equal(kvm_exit_hw_name(KVM_EXIT_ISA_SVM, 0x4f0, b, sizeof(b)),
			    "SVM_EXIT_0x4f0");
	assert_string_equal(kvm_exit_hw_name(KVM_EXIT_ISA_SVM, 0x100000072ULL, b, sizeof(b)),
			    "SVM_EXIT_0x100000072");
	assert_string_equal(kvm_exit_hw_name(7, 12, b, sizeof(b)), "ISA_7_EXIT_0xc");
}
#endif

static void test_parse(void **state)
{
	unsigned int isa;
	uint32_t v;

	(void)state;
	assert_int_equal(kvm_exit_parse("KVM_EXIT_IO", &isa, &v), 0);
	assert_int_equal(isa, 0);
	assert_int_equal(v, KVM_EXIT_IO);
#if defined(__x86_64__)
	assert_int_equal(kvm_exit_parse("EXIT_REASON_HLT", &isa, &v), 0);
	assert_int_equal(isa, KVM_EXIT_ISA_VMX);
	assert_int_equal(v, EXIT_REASON_HLT);
	assert_int_equal(kvm_exit_parse("SVM_EXIT_NPF", &isa, &v), 0);
	assert_int_equal(isa, KVM_EXIT_ISA_SVM);
	assert_int_equal(v, SVM_EXIT_NPF);
	assert_int_equal(kvm_exit_parse("SVM_EXIT_EXCP_BASE+14", &isa, &v), 0);
	assert_int_equal(v, SVM_EXIT_EXCP_BASE + 14);
#endif
	assert_int_equal(kvm_exit_parse("SVM_EXIT_EXCP_BASE+32", &isa, &v), -1);
	assert_int_equal(kvm_exit_parse("SVM_EXIT_EXCP_BASE+", &isa, &v), -1);
	assert_int_equal(kvm_exit_parse("KVM_EXIT_NOPE", &isa, &v), -1);
	assert_int_equal(kvm_exit_parse("", &isa, &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_names),
#if defined(__x86_64__)
		cmocka_unit_test(test_vmx_names),
		cmocka_unit_test(test_svm_names),
#endif
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
