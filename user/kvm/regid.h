/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * KVM ONE_REG register ids, decoded without the target's <asm/kvm.h>: the size of a value
 * (the id's size field), the class of a register (arm64: core, FP/SIMD, system, SVE,
 * firmware pseudo-registers, demultiplexed; x86: MSRs) and a readable name. Pure functions,
 * built for every architecture so the unit tests check them anywhere.
 */
#ifndef PVTRACE_REGID_H
#define PVTRACE_REGID_H

#include <stddef.h>
#include <stdint.h>

/* the generic fields (include/uapi/linux/kvm.h) */
#define REGID_ARCH_MASK	 0xff00000000000000ULL
#define REGID_ARCH_X86	 0x2000000000000000ULL
#define REGID_ARCH_ARM64 0x6000000000000000ULL
#define REGID_SIZE_MASK	 0x00f0000000000000ULL
#define REGID_SIZE_SHIFT 52
#define REGID_SIZE(log2) ((uint64_t)(log2) << REGID_SIZE_SHIFT) /* 3: U64, 8: U2048 */

/* arm64 (arch/arm64/include/uapi/asm/kvm.h) */
#define REGID_ARM64_COPROC_MASK	 0x000000000fff0000ULL
#define REGID_ARM64_COPROC_SHIFT 16
#define REGID_ARM64_CORE	 (0x0010ULL << 16)
#define REGID_ARM64_DEMUX	 (0x0011ULL << 16)
#define REGID_ARM64_SYSREG	 (0x0013ULL << 16)
#define REGID_ARM64_FW		 (0x0014ULL << 16)
#define REGID_ARM64_SVE		 (0x0015ULL << 16)
#define REGID_ARM64_FW_FEAT_BMAP (0x0016ULL << 16)
/* struct kvm_regs: fp_regs (user_fpsimd_state, 16-byte aligned) at byte 336 */
#define REGID_ARM64_CORE_FP_OFF 336
#define REGID_ARM64_SYS(op0, op1, crn, crm, op2)                                           \
	(REGID_ARCH_ARM64 | REGID_SIZE(3) | REGID_ARM64_SYSREG | ((uint64_t)(op0) << 14) | \
	 ((uint64_t)(op1) << 11) | ((uint64_t)(crn) << 7) | ((uint64_t)(crm) << 3) | (op2))
#define REGID_ARM64_SVE_VLS (REGID_ARCH_ARM64 | REGID_SIZE(6) | REGID_ARM64_SVE | 0xffff)
/* the timer counters: they count by themselves */
#define REGID_ARM64_TIMER_CNT  REGID_ARM64_SYS(3, 3, 14, 3, 2)
#define REGID_ARM64_PTIMER_CNT REGID_ARM64_SYS(3, 3, 14, 0, 1)

/* x86 (v6.18 uapi): KVM_X86_REG_TYPE_MSR */
#define REGID_X86_MSR(idx) (REGID_ARCH_X86 | REGID_SIZE(3) | (2ULL << 32) | (uint32_t)(idx))

enum reg_class {
	RC_CORE,     /* arm64 general purpose, PC, PSTATE, SP/ELR/SPSR of EL1 */
	RC_FPSIMD,   /* arm64 V0-V31, FPSR, FPCR (core ids in fp_regs) */
	RC_SYSTEM,   /* arm64 system registers, timers included */
	RC_SVE,	     /* arm64 Z, P, FFR slices and the vector lengths (VLS) */
	RC_FIRMWARE, /* arm64 firmware pseudo-registers (PSCI, SMCCC) and their bitmaps */
	RC_DEMUX,    /* arm64 demultiplexed (CCSIDR) */
	RC_MSR,	     /* x86 MSRs */
	RC_OTHER,
	RC_MAX,
};

/* "core", "fpsimd", "system", "sve", "firmware", "demux", "msr", "other" */
const char *reg_class_name(enum reg_class c);
enum reg_class reg_class_of(uint64_t id);
/* Bytes of the value KVM_GET/SET_ONE_REG move for id: 1 << the size field (1 to 2048). */
size_t reg_size_of(uint64_t id);
/* A name: x0, pc, v3, fpsr, S3_0_C1_C0_0, cntvct (timer), fw.0, sve.z3.0, sve.vls, msr.0x10 */
void reg_name(uint64_t id, char *buf, size_t len);

#endif
