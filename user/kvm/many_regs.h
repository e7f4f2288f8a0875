/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * KVM_GET/SET_MANY_REGS, uapi v2 (the kernel series v2 in kernel-patches/, its
 * README.md and Documentation/virt/kvm/api.rst 4.144): many KVM_GET/SET_ONE_REG
 * entries in one vCPU ioctl. Defined here unless the system's <linux/kvm.h> has
 * them; the asserts pin the layout and the ioctl values either way.
 *
 * Safe probe: KVM_CHECK_EXTENSION(KVM_CAP_MANY_REGS) == KVM_MANY_REGS_MAX, and only then a
 * call with n = 0 on a vCPU fd, which must return 0 (many_regs_usable()). A kernel without
 * the series answers 0 to the capability (unknown) and never sees the ioctl.
 */
#ifndef PVTRACE_MANY_REGS_H
#define PVTRACE_MANY_REGS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/kvm.h>

#ifndef KVM_CAP_MANY_REGS
#define KVM_CAP_MANY_REGS 0x50560001 /* "PV" << 16 | 1: never an upstream number */
#endif
#ifndef KVM_MANY_REGS_MAX
#define KVM_MANY_REGS_MAX 4096 /* n above this: -E2BIG */
#endif
#ifndef KVM_MANY_REGS_CONTINUE
#define KVM_MANY_REGS_CONTINUE (1U << 0) /* every entry; per-entry errors in status[] */
#endif

#ifndef KVM_GET_MANY_REGS
struct kvm_many_regs {
	__u32 n;		  /* entries in reg[] */
	__u32 flags;		  /* 0 or KVM_MANY_REGS_CONTINUE */
	__u64 status;		  /* user pointer to __s32[n], or 0 */
	__u64 reserved[2];	  /* must be zero */
	struct kvm_one_reg reg[]; /* as KVM_GET_ONE_REG / KVM_SET_ONE_REG */
};
#define KVM_GET_MANY_REGS _IOW(KVMIO, 0xde, struct kvm_many_regs)
#define KVM_SET_MANY_REGS _IOW(KVMIO, 0xdf, struct kvm_many_regs)
#endif

_Static_assert(sizeof(struct kvm_many_regs) == 32, "struct kvm_many_regs is 32 bytes");
_Static_assert(offsetof(struct kvm_many_regs, status) == 8, "status at offset 8");
_Static_assert(offsetof(struct kvm_many_regs, reg) == 32, "reg[] at offset 32");
_Static_assert(sizeof(struct kvm_one_reg) == 16, "struct kvm_one_reg is 16 bytes");
_Static_assert(KVM_GET_MANY_REGS == 0x4020aede, "KVM_GET_MANY_REGS is 0x4020aede");
_Static_assert(KVM_SET_MANY_REGS == 0x4020aedf, "KVM_SET_MANY_REGS is 0x4020aedf");
_Static_assert(KVM_CAP_MANY_REGS == 0x50560001, "KVM_CAP_MANY_REGS is 0x50560001");
_Static_assert(KVM_MANY_REGS_MAX == 4096, "KVM_MANY_REGS_MAX is 4096");

/*
 * The probe's decision: cap is what KVM_CHECK_EXTENSION(KVM_CAP_MANY_REGS) returned; zero_ret
 * what the n = 0 call returned (only made when cap == KVM_MANY_REGS_MAX; pass -1 otherwise).
 */
static inline bool many_regs_usable(long cap, long zero_ret)
{
	return cap == KVM_MANY_REGS_MAX && zero_ret == 0;
}

#endif
