// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The built-in workload on x86: a real-mode guest, the usual state ioctls and MSRs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "workload_arch.h"
#include "util.h"

const struct wl_opdef wl_arch_ops[WL_OP_MAX] = {
	[WL_GET_REGS] = { "KVM_GET_REGS", KVM_GET_REGS },
	[WL_SET_REGS] = { "KVM_SET_REGS", KVM_SET_REGS },
	[WL_GET_SREGS] = { "KVM_GET_SREGS", KVM_GET_SREGS },
	[WL_SET_SREGS] = { "KVM_SET_SREGS", KVM_SET_SREGS },
	[WL_GET_MSRS] = { "KVM_GET_MSRS", KVM_GET_MSRS },
	[WL_SET_MSRS] = { "KVM_SET_MSRS", KVM_SET_MSRS },
	[WL_GET_ONE_REG] = { "KVM_GET_ONE_REG", KVM_GET_ONE_REG },
	[WL_SET_ONE_REG] = { "KVM_SET_ONE_REG", KVM_SET_ONE_REG },
	[WL_GET_FPU] = { "KVM_GET_FPU", KVM_GET_FPU },
	[WL_GET_VCPU_EVENTS] = { "KVM_GET_VCPU_EVENTS", KVM_GET_VCPU_EVENTS },
	[WL_GET_MP_STATE] = { "KVM_GET_MP_STATE", KVM_GET_MP_STATE },
	[WL_RUN] = { "KVM_RUN", KVM_RUN },
	[WL_GET_REG_LIST] = { "KVM_GET_REG_LIST", KVM_GET_REG_LIST },
	[WL_UNKNOWN] = { "0x0000aeff", 0xaeff },
};

const uint64_t wl_arch_mix[WL_OP_MAX] = {
	[WL_GET_REGS] = 400,	   [WL_SET_REGS] = 200,	   [WL_GET_SREGS] = 200,
	[WL_SET_SREGS] = 100,	   [WL_GET_MSRS] = 200,	   [WL_SET_MSRS] = 100,
	[WL_GET_ONE_REG] = 200,	   [WL_SET_ONE_REG] = 100, [WL_GET_FPU] = 50,
	[WL_GET_VCPU_EVENTS] = 50, [WL_GET_MP_STATE] = 50, [WL_RUN] = 100,
};

/* MSRs every x86 vCPU has; SET_MSRS writes back what GET_MSRS read */
static const uint32_t msr_list[] = { 0x174, 0x175, 0x176, 0xc0000081, 0xc0000082, 0xc0000102 };

/* real mode: mov al,0x42; out 0x10,al; jmp $-4 -- one IO exit per KVM_RUN */
static const uint8_t guest_code[] = { 0xb0, 0x42, 0xe6, 0x10, 0xeb, 0xfa };

static struct vstate {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	KVM_MSRS_BUF(ARRAY_SIZE(msr_list)) msrs;
	uint64_t one_val;
} st[WL_MAX_VCPUS];

int wl_arch_vm_init(struct kvm_vm *vm, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	memcpy((char *)vm->mem + WL_GUEST_CODE, guest_code, sizeof(guest_code));
	/* Intel real mode needs a TSS; harmless elsewhere */
	ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	return 0;
}

int wl_arch_vcpu_init(struct kvm_vm *vm, int i, unsigned int flags, char *err, size_t errlen)
{
	(void)vm;
	(void)i;
	(void)flags;
	(void)err;
	(void)errlen;
	return 0;
}

/* Real mode at 0:WL_GUEST_CODE; keeps the state that SET_* ops write back. */
void wl_arch_vcpu_setup(struct kvm_vm *vm, struct wl_result *r, int v)
{
	struct vstate *s = &st[v];

	memset(s, 0, sizeof(*s));
	wl_vioctl(vm, r, v, WL_GET_SREGS, &s->sregs);
	s->sregs.cs.base = 0;
	s->sregs.cs.selector = 0;
	wl_vioctl(vm, r, v, WL_SET_SREGS, &s->sregs);
	s->regs.rip = WL_GUEST_CODE;
	s->regs.rflags = 2;
	wl_vioctl(vm, r, v, WL_SET_REGS, &s->regs);
	KVM_MSRS(s->msrs)->nmsrs = ARRAY_SIZE(msr_list);
	for (size_t i = 0; i < ARRAY_SIZE(msr_list); i++)
		KVM_MSRS(s->msrs)->entries[i].index = msr_list[i];
	wl_vioctl(vm, r, v, WL_GET_MSRS, &s->msrs);
}

void wl_arch_do_op(struct kvm_vm *vm, struct wl_result *r, int v, enum wl_op op)
{
	struct vstate *s = &st[v];
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_fpu fpu;
		struct kvm_vcpu_events ev;
		struct kvm_mp_state mp;
		struct kvm_reg_list list;
		KVM_MSRS_BUF(ARRAY_SIZE(msr_list)) msrs;
	} u;
	struct kvm_one_reg one = { .id = X86_REG_MSR(0x174), .addr = (unsigned long)&s->one_val };

	switch (op) {
	case WL_SET_REGS:
		wl_vioctl(vm, r, v, op, &s->regs);
		break;
	case WL_SET_SREGS:
		wl_vioctl(vm, r, v, op, &s->sregs);
		break;
	case WL_SET_MSRS:
		wl_vioctl(vm, r, v, op, &s->msrs);
		break;
	case WL_GET_MSRS:
		memcpy(&u.msrs, &s->msrs, sizeof(u.msrs));
		wl_vioctl(vm, r, v, op, &u.msrs);
		break;
	case WL_GET_ONE_REG:
	case WL_SET_ONE_REG:
		wl_vioctl(vm, r, v, op, &one);
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
