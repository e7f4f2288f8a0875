// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The built-in workload on arm64: vCPUs initialised as a VMM does (KVM_ARM_VCPU_INIT with
 * the preferred target), registers through ONE_REG, and a guest loop at IPA WL_GUEST_CODE
 * that stores to an address no memory slot covers: one KVM_EXIT_MMIO per KVM_RUN.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "workload_arch.h"
#include "util.h"

#define MMIO_ADDR 0x100000 /* above the memory slot: every store is an MMIO exit */
#define LIST_MAX  2048	   /* KVM_GET_REG_LIST storage: 6.12 lists ~260 (~600 with SVE) */

#define CORE_REG(name)                                         \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
	 (offsetof(struct kvm_regs, name) / sizeof(__u32)))

const struct wl_opdef wl_arch_ops[WL_OP_MAX] = {
	[WL_GET_ONE_REG] = { "KVM_GET_ONE_REG", KVM_GET_ONE_REG },
	[WL_SET_ONE_REG] = { "KVM_SET_ONE_REG", KVM_SET_ONE_REG },
	[WL_GET_VCPU_EVENTS] = { "KVM_GET_VCPU_EVENTS", KVM_GET_VCPU_EVENTS },
	[WL_GET_MP_STATE] = { "KVM_GET_MP_STATE", KVM_GET_MP_STATE },
	[WL_RUN] = { "KVM_RUN", KVM_RUN },
	[WL_GET_REG_LIST] = { "KVM_GET_REG_LIST", KVM_GET_REG_LIST },
	[WL_ARM_VCPU_INIT] = { "KVM_ARM_VCPU_INIT", KVM_ARM_VCPU_INIT },
	[WL_UNKNOWN] = { "0x0000aeff", 0xaeff },
};

const uint64_t wl_arch_mix[WL_OP_MAX] = {
	[WL_GET_ONE_REG] = 400,	    [WL_SET_ONE_REG] = 200,  [WL_GET_REG_LIST] = 50,
	[WL_GET_VCPU_EVENTS] = 100, [WL_GET_MP_STATE] = 100, [WL_RUN] = 100,
};

/* loop: str w0, [x1]; b loop */
static const uint32_t guest_code[] = { 0xb9000020, 0x17ffffff };

static struct vstate {
	uint64_t x0;
	union {
		struct kvm_reg_list list;
		// cppcheck-suppress unusedStructMember ; the storage behind list.reg[]
		uint64_t raw[1 + LIST_MAX];
	} u;
} st[WL_MAX_VCPUS];

int wl_arch_vm_init(struct kvm_vm *vm, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	memcpy((char *)vm->mem + WL_GUEST_CODE, guest_code, sizeof(guest_code));
	return 0;
}

static int feature(struct kvm_vm *vm, long cap)
{
	return ioctl(vm->fd, KVM_CHECK_EXTENSION, cap) > 0;
}

int wl_arch_vcpu_init(struct kvm_vm *vm, int i, unsigned int flags, char *err, size_t errlen)
{
	struct kvm_vcpu_init init;
	unsigned int have = 0;

	memset(&init, 0, sizeof(init));
	if (ioctl(vm->fd, KVM_ARM_PREFERRED_TARGET, &init)) {
		snprintf(err, errlen, "KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
		return -1;
	}
	init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2;
	if ((flags & KVM_VM_SVE) && feature(vm, KVM_CAP_ARM_SVE)) {
		init.features[0] |= 1U << KVM_ARM_VCPU_SVE;
		have |= KVM_VM_SVE;
	}
	if ((flags & KVM_VM_PMU) && feature(vm, KVM_CAP_ARM_PMU_V3)) {
		init.features[0] |= 1U << KVM_ARM_VCPU_PMU_V3;
		have |= KVM_VM_PMU;
	}
	vm->v[i].inits++;
	if (ioctl(vm->v[i].fd, KVM_ARM_VCPU_INIT, &init)) {
		snprintf(err, errlen, "KVM_ARM_VCPU_INIT vCPU %d: %s", i, strerror(errno));
		return -1;
	}
	if (have & KVM_VM_SVE) {
		int what = KVM_ARM_VCPU_SVE;

		if (ioctl(vm->v[i].fd, KVM_ARM_VCPU_FINALIZE, &what)) {
			snprintf(err, errlen, "KVM_ARM_VCPU_FINALIZE(SVE) vCPU %d: %s", i,
				 strerror(errno));
			return -1;
		}
	}
	vm->flags = have;
	return 0;
}

static int set_core(struct kvm_vm *vm, struct wl_result *r, int v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg one = { .id = id, .addr = (unsigned long)&val };

	return wl_vioctl(vm, r, v, WL_SET_ONE_REG, &one);
}

/* PC at the guest loop, x0 the value stored, x1 the MMIO address. */
void wl_arch_vcpu_setup(struct kvm_vm *vm, struct wl_result *r, int v)
{
	memset(&st[v], 0, sizeof(st[v]));
	st[v].x0 = 0x42;
	set_core(vm, r, v, CORE_REG(regs.pc), WL_GUEST_CODE);
	set_core(vm, r, v, CORE_REG(regs.regs[0]), st[v].x0);
	set_core(vm, r, v, CORE_REG(regs.regs[1]), MMIO_ADDR);
}

void wl_arch_do_op(struct kvm_vm *vm, struct wl_result *r, int v, enum wl_op op)
{
	struct vstate *s = &st[v];
	struct kvm_one_reg one = { .id = CORE_REG(regs.regs[0]), .addr = (unsigned long)&s->x0 };
	union {
		struct kvm_vcpu_events ev;
		struct kvm_mp_state mp;
	} u;

	switch (op) {
	case WL_GET_ONE_REG:
	case WL_SET_ONE_REG:
		wl_vioctl(vm, r, v, op, &one);
		break;
	case WL_GET_REG_LIST:
		s->u.list.n = LIST_MAX;
		wl_vioctl(vm, r, v, op, &s->u.list);
		break;
	case WL_RUN:
		wl_vioctl(vm, r, v, op, NULL);
		break;
	default:
		memset(&u, 0, sizeof(u));
		wl_vioctl(vm, r, v, op, &u);
		break;
	}
}
