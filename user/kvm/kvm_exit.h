/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PVTRACE_KVM_EXIT_H
#define PVTRACE_KVM_EXIT_H

#include <stddef.h>
#include <stdint.h>

/* one uapi name of an exit reason (user/kvm/kvm_exit_table.h, scripts/gen-kvm-exits.sh) */
struct kvm_exit_name {
	uint32_t value;
	const char *name;
};

/* kvm:kvm_exit's isa field (KVM_ISA_VMX, KVM_ISA_SVM in arch/x86/kvm/trace.h) */
enum { KVM_EXIT_ISA_VMX = 1, KVM_EXIT_ISA_SVM = 2 };

/*
 * The uapi name of a hardware exit reason as kvm:kvm_exit reports it, into buf (returned):
 *   VMX: the basic reason's EXIT_REASON_* (low 16 bits), then "|VMX_EXIT_REASONS_FAILED_VMENTRY"
 *        or "|VMX_EXIT_REASONS_SGX_ENCLAVE_MODE" for those flags and "|0xBITS" for others;
 *   SVM: SVM_EXIT_*, exceptions 0x40-0x5f as "SVM_EXIT_EXCP_BASE+VECTOR";
 * a reason the headers do not name as "EXIT_REASON_N" / "SVM_EXIT_0xN", an unknown isa as
 * "ISA_N_EXIT_0xN".
 */
const char *kvm_exit_hw_name(unsigned int isa, uint64_t reason, char *buf, size_t len);

/* kvm_run->exit_reason's KVM_EXIT_* name into buf (returned); unknown: "KVM_EXIT_N" */
const char *kvm_exit_user_name(uint32_t reason, char *buf, size_t len);

/* the number of a name kvm_exit_hw_name() or kvm_exit_user_name() gives, for filters:
 * 0 and *isa (0 for KVM_EXIT_*), *value; -1 if the name is none of the tables' */
int kvm_exit_parse(const char *name, unsigned int *isa, uint32_t *value);

#endif
