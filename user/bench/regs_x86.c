// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench regs on x86: the MSRs of KVM_GET_MSR_INDEX_LIST that the vCPU can read and write
 * back, as ONE_REG ids (KVM_X86_REG_TYPE_MSR, v6.18 uapi), and the legacy bulk
 * KVM_GET/SET_MSRS as a third method.
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
	[C_GET_LEGACY] = { "KVM_GET_MSRS", KVM_GET_MSRS },
	[C_SET_LEGACY] = { "KVM_SET_MSRS", KVM_SET_MSRS },
};

const struct regs_arch regs_arch = {
	.what = "MSRs",
	.legacy = "legacy_msrs",
	.legacy_title = "GET/SET_MSRS",
	.doc = "Save and restore the registers KVM reports (x86: the MSRs of\n"
	       "KVM_GET_MSR_INDEX_LIST that the vCPU can read and write back) three ways:\n"
	       "one KVM_GET/SET_ONE_REG per register, one KVM_GET/SET_MANY_REGS call (the\n"
	       "carried kernel series, uapi v2), and KVM_GET/SET_MSRS.",
	.counted = counted,
};

int regs_arch_opt(int key, const char *arg, char *err, size_t len)
{
	(void)key;
	(void)arg;
	(void)err;
	(void)len;
	return CLI_UNHANDLED;
}

int regs_arch_open(struct kvm_vm *vm, int nvcpus, char *err, size_t len)
{
	return kvm_vm_open(vm, nvcpus, err, len);
}

bool regs_arch_one_reg(struct bench *b)
{
	return ioctl(b->vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_ONE_REG) > 0;
}

int regs_arch_regset(struct bench *b, char *err, size_t len)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	KVM_MSRS_BUF(1) one;
	int fd = b->vm.v[0].fd;

	if (ioctl(b->vm.kvm, KVM_GET_MSR_INDEX_LIST, &probe) && errno != E2BIG) {
		snprintf(err, len, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
		return -1;
	}
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(__u32));
	if (!list)
		return -1;
	list->nmsrs = probe.nmsrs;
	if (ioctl(b->vm.kvm, KVM_GET_MSR_INDEX_LIST, list)) {
		snprintf(err, len, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
		free(list);
		return -1;
	}
	b->rs.listed = list->nmsrs;
	if (regset_alloc(&b->rs, list->nmsrs) || !(b->rs.msr = calloc(list->nmsrs, 4))) {
		free(list);
		return -1;
	}
	for (__u32 i = 0; i < list->nmsrs; i++) {
		memset(&one, 0, sizeof(one));
		KVM_MSRS(one)->nmsrs = 1;
		KVM_MSRS(one)->entries[0].index = list->indices[i];
		if (regs_ioctl(b->cnt, fd, C_GET_LEGACY, &one) != 1 ||
		    regs_ioctl(b->cnt, fd, C_SET_LEGACY, &one) != 1)
			continue;
		if (b->have[M_ONE_REG]) {
			__u64 v;
			struct kvm_one_reg r = { .id = REGID_X86_MSR(list->indices[i]),
						 .addr = (unsigned long)&v };

			if (regs_ioctl(b->cnt, fd, C_GET_ONE, &r))
				continue; /* ONE_REG must cover the same set */
		}
		b->rs.msr[b->rs.n] = list->indices[i];
		regset_add(&b->rs, REGID_X86_MSR(list->indices[i]));
	}
	free(list);
	if (!b->rs.n) {
		snprintf(err, len, "no MSR can be read and written back on this vCPU");
		return -1;
	}
	return 0;
}

int regs_arch_vbuf_init(struct bench *b, struct vbuf *v)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + b->rs.n * sizeof(struct kvm_msr_entry));

	if (!m)
		return -ENOMEM;
	for (int i = 0; i < b->rs.n; i++)
		m->entries[i].index = b->rs.msr[i];
	v->legacy = m;
	return 0;
}

void regs_arch_vbuf_free(struct vbuf *v)
{
	free(v->legacy);
	v->legacy = NULL;
}

int regs_arch_legacy(struct bench *b, struct vbuf *v, enum dir d)
{
	struct kvm_msrs *m = v->legacy;
	int r;

	m->nmsrs = b->rs.n;
	r = regs_ioctl(v->cnt, v->fd, d == D_GET ? C_GET_LEGACY : C_SET_LEGACY, m);
	if (r < 0)
		return -errno;
	return r == b->rs.n ? 0 : -EIO;
}

void regs_arch_legacy_sync(struct bench *b, struct vbuf *v, enum dir d)
{
	struct kvm_msrs *m = v->legacy;

	for (int i = 0; i < b->rs.n; i++) {
		if (d == D_SET)
			memcpy(&m->entries[i].data, v->vals + b->rs.off[i], 8);
		else
			memcpy(v->vals + b->rs.off[i], &m->entries[i].data, 8);
	}
}

/* Registers safe to change (canonical addresses, segment selectors). */
bool regs_arch_perturb(struct bench *b, int i, uint8_t *val, int round)
{
	uint32_t msr = b->rs.msr[i];
	uint64_t v;

	switch (msr) {
	case 0x174: /* SYSENTER_CS */
		v = 0x10 + 8 * round;
		break;
	case 0x175: /* SYSENTER_ESP */
	case 0x176: /* SYSENTER_EIP */
		/*
		 * 32-bit values: KVM on AMD may keep only the low half (Debian's 6.1,
		 * for a vCPU without an Intel CPUID, read 0xffffffff81075300 back as
		 * 0x81075300)
		 */
		v = 0x81000000ULL + 0x1000ULL * (msr & 0xff) + 0x100ULL * round;
		break;
	case 0xc0000082: /* LSTAR */
	case 0xc0000083: /* CSTAR */
	case 0xc0000102: /* KERNEL_GS_BASE */
		v = 0xffffffff81000000ULL + 0x1000ULL * (msr & 0xff) + 0x100ULL * round;
		break;
	case 0xc0000081: /* STAR */
		v = 0x0023001000000000ULL + round;
		break;
	case 0xc0000084: /* SFMASK */
		v = 0x47700 + round;
		break;
	default:
		return false;
	}
	memcpy(val, &v, 8);
	return true;
}

void regs_arch_details(const struct kvm_vm *vm, json_object *details)
{
	(void)vm;
	(void)details;
}
