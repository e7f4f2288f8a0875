// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench regs on arm64, as a VMM saves a vCPU: KVM_GET_REG_LIST, then every register it lists
 * (core, FP/SIMD, system, SVE with --sve, firmware pseudo-registers), each of the size its id
 * gives. The vCPUs are initialised as the workload does (preferred target, PSCI 0.2), with
 * SVE finalized (--sve) and PMUv3 (--pmu) when KVM offers them. No bulk method of its own:
 * ONE_REG and MANY_REGS only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "cli.h"
#include "regs.h"

static const struct counted_ioctl counted[C_MAX] = {
	[C_GET_ONE] = { "KVM_GET_ONE_REG", KVM_GET_ONE_REG },
	[C_SET_ONE] = { "KVM_SET_ONE_REG", KVM_SET_ONE_REG },
	[C_GET_MANY] = { "KVM_GET_MANY_REGS", KVM_GET_MANY_REGS },
	[C_SET_MANY] = { "KVM_SET_MANY_REGS", KVM_SET_MANY_REGS },
	[C_REG_LIST] = { "KVM_GET_REG_LIST", KVM_GET_REG_LIST },
};

const struct regs_arch regs_arch = {
	.what = "registers",
	.doc = "Save and restore a vCPU as a VMM does (arm64: every register of\n"
	       "KVM_GET_REG_LIST: core, FP/SIMD, system, SVE with --sve, firmware\n"
	       "pseudo-registers, each of its id's size) two ways: one KVM_GET/SET_ONE_REG\n"
	       "per register, and one KVM_GET/SET_MANY_REGS call (the carried kernel\n"
	       "series, uapi v2). Registers that change by themselves (timer counters,\n"
	       "found by reading twice) are left out of the comparisons; registers that\n"
	       "refuse to be written back (KVM_REG_ARM64_SVE_VLS once finalized: EPERM)\n"
	       "are reported and left out of the restore.",
	.counted = counted,
};

int regs_arch_opt(int key, const char *arg, char *err, size_t len)
{
	(void)arg;
	(void)err;
	(void)len;
	switch (key) {
	case REGS_OPT_ARCH:
		regs_env.features |= KVM_VM_SVE;
		return 0;
	case REGS_OPT_ARCH2:
		regs_env.features |= KVM_VM_PMU;
		return 0;
	default:
		return CLI_UNHANDLED;
	}
}

int regs_arch_open(struct kvm_vm *vm, int nvcpus, char *err, size_t len)
{
	return kvm_vm_open_flags(vm, nvcpus, regs_env.features, err, len);
}

bool regs_arch_one_reg(struct bench *b)
{
	(void)b;
	return true; /* arm64's register interface since KVM began */
}

int regs_arch_regset(struct bench *b, char *err, size_t len)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	int fd = b->vm.v[0].fd;

	if (!regs_ioctl(b->cnt, fd, C_REG_LIST, &probe) || errno != E2BIG) {
		snprintf(err, len, "KVM_GET_REG_LIST(n = 0): %s",
			 errno ? strerror(errno) : "no E2BIG");
		return -1;
	}
	list = calloc(1, sizeof(*list) + probe.n * sizeof(__u64));
	if (!list)
		return -1;
	list->n = probe.n;
	if (regs_ioctl(b->cnt, fd, C_REG_LIST, list)) {
		snprintf(err, len, "KVM_GET_REG_LIST: %s", strerror(errno));
		free(list);
		return -1;
	}
	b->rs.listed = list->n;
	if (regset_alloc(&b->rs, list->n)) {
		free(list);
		return -1;
	}
	for (__u64 i = 0; i < list->n; i++)
		regset_add(&b->rs, list->reg[i]);
	free(list);
	if (!b->rs.n) {
		snprintf(err, len, "KVM_GET_REG_LIST lists no register");
		return -1;
	}
	return 0;
}

int regs_arch_vbuf_init(struct bench *b, struct vbuf *v)
{
	(void)b;
	(void)v;
	return 0;
}

void regs_arch_vbuf_free(struct vbuf *v)
{
	(void)v;
}

int regs_arch_legacy(struct bench *b, struct vbuf *v, enum dir d)
{
	(void)b;
	(void)v;
	(void)d;
	return -EOPNOTSUPP;
}

void regs_arch_legacy_sync(struct bench *b, struct vbuf *v, enum dir d)
{
	(void)b;
	(void)v;
	(void)d;
}

/* x0-x30: the guest never runs, any value is safe */
bool regs_arch_perturb(struct bench *b, int i, uint8_t *val, int round)
{
	uint64_t id = b->rs.id[i], v;
	unsigned int off = (unsigned int)(id & 0xffff) * 4;

	if (reg_class_of(id) != RC_CORE || reg_size_of(id) != 8 || off >= 31 * 8)
		return false;
	v = 0x5056000000000000ULL | (uint64_t)round << 32 | off;
	memcpy(val, &v, 8);
	return true;
}

void regs_arch_details(const struct kvm_vm *vm, json_object *details)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "sve", json_object_new_boolean(vm->flags & KVM_VM_SVE));
	json_object_object_add(f, "pmu", json_object_new_boolean(vm->flags & KVM_VM_PMU));
	json_object_object_add(f, "sve_asked",
			       json_object_new_boolean(regs_env.features & KVM_VM_SVE));
	json_object_object_add(f, "pmu_asked",
			       json_object_new_boolean(regs_env.features & KVM_VM_PMU));
	json_object_object_add(details, "vcpu_features", f);
}
