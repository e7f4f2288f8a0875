// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * reglist: the KVM_GET_REG_LIST of an arm64 vCPU initialised as QEMU 7.2 initialises one for
 * -cpu host (target/arm/kvm64.c kvm_arch_init_vcpu: the preferred target; PSCI 0.2, PMUv3,
 * SVE and both pointer-authentication features when KVM has them; SVE finalised), sorted into
 * the classes QEMU treats differently when it saves a vCPU: core registers and SVE registers
 * it reads by hand in kvm_arch_get_registers(), everything else ("cpreg") through its cpreg
 * list (kvm_arm_init_cpreg_list() keeps what kvm_arm_reg_syncs_via_cpreg_list() accepts).
 * Prints one JSON object:
 *   {"n":N,"core":C,"sve":S,"sve_vls":1|0,"cpreg":P,"sve_on":0|1,"pmu":0|1,"pauth":0|1,
 *    "by_class":{"core":..,"sysreg":..,"fw":..,"fw_bmap":..,"demux":..,"sve":..,"other":..}}
 * Exit 77 where there is no arm64 KVM (x86 builds only print why).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#if defined(__aarch64__)
#define LIST_MAX 4096

static int cap(int kvm, long c)
{
	int r = ioctl(kvm, KVM_CHECK_EXTENSION, c);
	return r > 0;
}

int main(void)
{
	static union {
		struct kvm_reg_list l;
		__u64 raw[1 + LIST_MAX];
	} u;
	struct kvm_vcpu_init init;
	unsigned core = 0, sve = 0, vls = 0, sys = 0, fw = 0, bmap = 0, demux = 0, other = 0;
	int kvm, vm, vcpu, sve_on, pmu, pauth;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "reglist: /dev/kvm: %s\n", strerror(errno));
		return 77;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fprintf(stderr, "reglist: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0 || ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
		fprintf(stderr, "reglist: vCPU: %s\n", strerror(errno));
		return 1;
	}
	memset(init.features, 0, sizeof(init.features));
	if (cap(kvm, KVM_CAP_ARM_PSCI_0_2))
		init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	pmu = cap(kvm, KVM_CAP_ARM_PMU_V3);
	if (pmu)
		init.features[0] |= 1u << KVM_ARM_VCPU_PMU_V3;
	sve_on = cap(kvm, KVM_CAP_ARM_SVE);
	if (sve_on)
		init.features[0] |= 1u << KVM_ARM_VCPU_SVE;
	pauth = cap(kvm, KVM_CAP_ARM_PTRAUTH_ADDRESS) && cap(kvm, KVM_CAP_ARM_PTRAUTH_GENERIC);
	if (pauth)
		init.features[0] |=
			1u << KVM_ARM_VCPU_PTRAUTH_ADDRESS | 1u << KVM_ARM_VCPU_PTRAUTH_GENERIC;
	if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0) {
		fprintf(stderr, "reglist: KVM_ARM_VCPU_INIT: %s\n", strerror(errno));
		return 1;
	}
	if (sve_on) {
		int what = KVM_ARM_VCPU_SVE;

		if (ioctl(vcpu, KVM_ARM_VCPU_FINALIZE, &what) < 0) {
			fprintf(stderr, "reglist: KVM_ARM_VCPU_FINALIZE: %s\n", strerror(errno));
			return 1;
		}
	}
	u.l.n = LIST_MAX;
	if (ioctl(vcpu, KVM_GET_REG_LIST, &u.l) < 0) {
		fprintf(stderr, "reglist: KVM_GET_REG_LIST: %s\n", strerror(errno));
		return 1;
	}
	for (__u64 i = 0; i < u.l.n; i++) {
		__u64 id = u.l.reg[i];

		switch (id & KVM_REG_ARM_COPROC_MASK) {
		case KVM_REG_ARM_CORE:
			core++;
			break;
		case KVM_REG_ARM64_SVE:
			sve++;
			vls += id == KVM_REG_ARM64_SVE_VLS;
			break;
		case KVM_REG_ARM64_SYSREG:
			sys++;
			break;
		case KVM_REG_ARM_FW:
			fw++;
			break;
		case KVM_REG_ARM_DEMUX:
			demux++;
			break;
#ifdef KVM_REG_ARM_FW_FEAT_BMAP
		case KVM_REG_ARM_FW_FEAT_BMAP:
			bmap++;
			break;
#endif
		default:
			other++;
		}
	}
	printf("{\"n\":%llu,\"core\":%u,\"sve\":%u,\"sve_vls\":%u,\"cpreg\":%llu,\"sve_on\":%d,"
	       "\"pmu\":%d,\"pauth\":%d,\"by_class\":{\"core\":%u,\"sysreg\":%u,\"fw\":%u,"
	       "\"fw_bmap\":%u,\"demux\":%u,\"sve\":%u,\"other\":%u}}\n",
	       (unsigned long long)u.l.n, core, sve, vls, (unsigned long long)(u.l.n - core - sve),
	       sve_on, pmu, pauth, core, sys, fw, bmap, demux, sve, other);
	return 0;
}
#else
int main(void)
{
	fprintf(stderr, "reglist: arm64 only (make ARCH=arm64 tests)\n");
	return 77;
}
#endif
