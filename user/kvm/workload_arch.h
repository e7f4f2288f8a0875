/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What workload.c asks of an architecture (workload_x86.c, workload_arm64.c): its vCPU ioctls,
 * the default mix, the guest it runs, and how a vCPU is made ready.
 */
#ifndef PVTRACE_WORKLOAD_ARCH_H
#define PVTRACE_WORKLOAD_ARCH_H

#include "workload.h"

#define WL_GUEST_MEM  0x10000 /* guest memory from IPA/GPA 0 */
#define WL_GUEST_CODE 0x1000  /* where the guest loop starts */

struct wl_opdef {
	const char *name; /* NULL: not an ioctl of this architecture */
	uint32_t cmd;
};

extern const struct wl_opdef wl_arch_ops[WL_OP_MAX];
extern const uint64_t wl_arch_mix[WL_OP_MAX];

/* After the memory slot exists: guest code in vm->mem, VM-wide setup. */
int wl_arch_vm_init(struct kvm_vm *vm, char *err, size_t errlen);
/* After KVM_CREATE_VCPU of vCPU i: make it usable (arm64: KVM_ARM_VCPU_INIT). */
int wl_arch_vcpu_init(struct kvm_vm *vm, int i, unsigned int flags, char *err, size_t errlen);

/* Every workload vCPU ioctl goes through wl_vioctl, so 'issued' is exactly what was sent. */
int wl_vioctl(struct kvm_vm *vm, struct wl_result *r, int v, enum wl_op op, void *arg);
/* Per vCPU: point it at the guest loop and keep the state SET_* ops write back. */
void wl_arch_vcpu_setup(struct kvm_vm *vm, struct wl_result *r, int v);
void wl_arch_do_op(struct kvm_vm *vm, struct wl_result *r, int v, enum wl_op op);

#endif
