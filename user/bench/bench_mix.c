// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The vCPU ioctl mix of bench ioctl and bench overhead: a fresh VM with one
 * vCPU, and commands that need no KVM_RUN, each timed on its own with
 * CLOCK_MONOTONIC (the vDSO: no system call of its own). Every ioctl issued
 * is counted by command, so that tracers can be checked against the counts.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "bench.h"
#include "output.h"

#if defined(__aarch64__)
const char *const mix_names[MIX_MAX] = {
	[MIX_GET_ONE_REG] = "KVM_GET_ONE_REG",
	[MIX_SET_ONE_REG] = "KVM_SET_ONE_REG",
	[MIX_GET_REG_LIST] = "KVM_GET_REG_LIST",
	[MIX_GET_MP_STATE] = "KVM_GET_MP_STATE",
	[MIX_GET_VCPU_EVENTS] = "KVM_GET_VCPU_EVENTS",
	[MIX_SET_VCPU_EVENTS] = "KVM_SET_VCPU_EVENTS",
};

static const unsigned long mix_cmds[MIX_MAX] = {
	[MIX_GET_ONE_REG] = KVM_GET_ONE_REG,	     [MIX_SET_ONE_REG] = KVM_SET_ONE_REG,
	[MIX_GET_REG_LIST] = KVM_GET_REG_LIST,	     [MIX_GET_MP_STATE] = KVM_GET_MP_STATE,
	[MIX_GET_VCPU_EVENTS] = KVM_GET_VCPU_EVENTS, [MIX_SET_VCPU_EVENTS] = KVM_SET_VCPU_EVENTS,
};

const char *const mix_setup_names[SETUP_MAX] = {
	[SETUP_CREATE_VM] = "KVM_CREATE_VM",
	[SETUP_SET_USER_MEMORY_REGION] = "KVM_SET_USER_MEMORY_REGION",
	[SETUP_GET_VCPU_MMAP_SIZE] = "KVM_GET_VCPU_MMAP_SIZE",
	[SETUP_CREATE_VCPU] = "KVM_CREATE_VCPU",
	[SETUP_ARM_PREFERRED_TARGET] = "KVM_ARM_PREFERRED_TARGET",
};

#define REG_LIST_MAX 2048	     /* 6.12 lists ~260 registers, ~600 with SVE */
#define MIX_FIRST    MIX_GET_ONE_REG /* what mix_open issues first */

struct mix_state {
	__u64 x0;
	struct kvm_one_reg one;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events events;
	union {
		struct kvm_reg_list list;
		// cppcheck-suppress unusedStructMember ; the storage behind list.reg[]
		__u64 raw[1 + REG_LIST_MAX];
	} u;
};

static void *mix_arg(struct mix_state *s, enum mix_cmd c)
{
	switch (c) {
	case MIX_GET_ONE_REG:
	case MIX_SET_ONE_REG:
		/* x0, a core register: SET_ONE_REG writes back what GET_ONE_REG read */
		s->one.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
			    (offsetof(struct kvm_regs, regs.regs[0]) / sizeof(__u32));
		s->one.addr = (unsigned long)&s->x0;
		return &s->one;
	case MIX_GET_REG_LIST:
		s->u.list.n = REG_LIST_MAX;
		return &s->u.list;
	case MIX_GET_MP_STATE:
		return &s->mp;
	case MIX_GET_VCPU_EVENTS:
	case MIX_SET_VCPU_EVENTS:
		return &s->events; /* SET writes back what GET read */
	default:
		return NULL;
	}
}

static void mix_count_setup(struct mix *m)
{
	m->setup[SETUP_CREATE_VM]++;
	m->setup[SETUP_SET_USER_MEMORY_REGION]++;
	m->setup[SETUP_GET_VCPU_MMAP_SIZE]++;
	m->setup[SETUP_CREATE_VCPU]++;
	m->setup[SETUP_ARM_PREFERRED_TARGET]++;
}
#else
const char *const mix_names[MIX_MAX] = {
	[MIX_GET_REGS] = "KVM_GET_REGS",
	[MIX_SET_REGS] = "KVM_SET_REGS",
	[MIX_GET_SREGS] = "KVM_GET_SREGS",
	[MIX_GET_MP_STATE] = "KVM_GET_MP_STATE",
	[MIX_GET_VCPU_EVENTS] = "KVM_GET_VCPU_EVENTS",
	[MIX_GET_MSRS] = "KVM_GET_MSRS",
	[MIX_GET_FPU] = "KVM_GET_FPU",
};

static const unsigned long mix_cmds[MIX_MAX] = {
	[MIX_GET_REGS] = KVM_GET_REGS,
	[MIX_SET_REGS] = KVM_SET_REGS,
	[MIX_GET_SREGS] = KVM_GET_SREGS,
	[MIX_GET_MP_STATE] = KVM_GET_MP_STATE,
	[MIX_GET_VCPU_EVENTS] = KVM_GET_VCPU_EVENTS,
	[MIX_GET_MSRS] = KVM_GET_MSRS,
	[MIX_GET_FPU] = KVM_GET_FPU,
};

const char *const mix_setup_names[SETUP_MAX] = {
	[SETUP_CREATE_VM] = "KVM_CREATE_VM",
	[SETUP_SET_USER_MEMORY_REGION] = "KVM_SET_USER_MEMORY_REGION",
	[SETUP_SET_TSS_ADDR] = "KVM_SET_TSS_ADDR",
	[SETUP_GET_VCPU_MMAP_SIZE] = "KVM_GET_VCPU_MMAP_SIZE",
	[SETUP_CREATE_VCPU] = "KVM_CREATE_VCPU",
};

#define MIX_FIRST MIX_GET_REGS /* SET_REGS needs registers to write back */

struct mix_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events events;
	KVM_MSRS_BUF(1) msrs;
	struct kvm_fpu fpu;
};

static void *mix_arg(struct mix_state *s, enum mix_cmd c)
{
	switch (c) {
	case MIX_GET_REGS:
	case MIX_SET_REGS:
		return &s->regs; /* SET_REGS writes back what GET_REGS read */
	case MIX_GET_SREGS:
		return &s->sregs;
	case MIX_GET_MP_STATE:
		return &s->mp;
	case MIX_GET_VCPU_EVENTS:
		return &s->events;
	case MIX_GET_MSRS:
		/* one MSR every x86 vCPU has: IA32_SYSENTER_CS */
		KVM_MSRS(s->msrs)->nmsrs = 1;
		KVM_MSRS(s->msrs)->entries[0].index = 0x174;
		return &s->msrs;
	case MIX_GET_FPU:
		return &s->fpu;
	default:
		return NULL;
	}
}

static void mix_count_setup(struct mix *m)
{
	/* what kvm_vm_open issued: one VM, its memory, the TSS, one vCPU */
	m->setup[SETUP_CREATE_VM]++;
	m->setup[SETUP_SET_USER_MEMORY_REGION]++;
	m->setup[SETUP_SET_TSS_ADDR]++;
	m->setup[SETUP_GET_VCPU_MMAP_SIZE]++;
	m->setup[SETUP_CREATE_VCPU]++;
}
#endif

uint32_t mix_cmd(enum mix_cmd c)
{
	return c < MIX_MAX ? mix_cmds[c] : 0;
}

static int mix_ioctl(struct mix *m, enum mix_cmd c)
{
	struct mix_state *s = m->state;
	void *arg = mix_arg(s, c);
	int r;

	m->issued[c]++;
	r = ioctl(m->vm.v[0].fd, mix_cmds[c], arg);
	if (r < 0)
		return -errno;
#if defined(__x86_64__)
	/* GET_MSRS returns how many MSRs it read */
	if (c == MIX_GET_MSRS && r != 1)
		return -EIO;
#endif
	return 0;
}

int mix_open(struct mix *m, char *err, size_t len)
{
	int r;

	if (!m->state && !(m->state = calloc(1, sizeof(struct mix_state)))) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	if (kvm_vm_open(&m->vm, 1, err, len))
		return -1;
	m->open = true;
	mix_count_setup(m);
	r = mix_ioctl(m, MIX_FIRST);
	if (r) {
		snprintf(err, len, "%s: %s", mix_names[MIX_FIRST], strerror(-r));
		return -1;
	}
	return 0;
}

void mix_close(struct mix *m)
{
	if (m->open)
		kvm_vm_close(&m->vm);
	m->open = false;
}

void mix_free(struct mix *m)
{
	mix_close(m);
	free(m->state);
	m->state = NULL;
}

int mix_round(struct mix *m, double ns[MIX_MAX])
{
	for (int c = 0; c < MIX_MAX; c++) {
		double t0 = bench_now_ns();
		int r = mix_ioctl(m, c);

		ns[c] = bench_now_ns() - t0;
		if (r)
			return r;
	}
	return 0;
}

json_object *mix_issued_json(const struct mix *m)
{
	json_object *o = json_object_new_object();

	for (int c = 0; c < MIX_MAX; c++)
		json_object_object_add(o, mix_names[c], json_u64(m->issued[c]));
	return o;
}

json_object *mix_setup_json(const struct mix *m)
{
	json_object *o = json_object_new_object();

	for (int c = 0; c < SETUP_MAX; c++)
		json_object_object_add(o, mix_setup_names[c], json_u64(m->setup[c]));
	return o;
}

json_object *mix_names_json(void)
{
	json_object *a = json_object_new_array();

	for (int c = 0; c < MIX_MAX; c++)
		json_object_array_add(a, json_object_new_string(mix_names[c]));
	return a;
}
