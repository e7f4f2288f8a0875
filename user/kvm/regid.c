// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>
#include "regid.h"
#if defined(__aarch64__)
#include <linux/kvm.h>
_Static_assert(offsetof(struct kvm_regs, fp_regs) == REGID_ARM64_CORE_FP_OFF,
	       "fp_regs offset in struct kvm_regs");
_Static_assert(KVM_REG_ARM_TIMER_CNT == REGID_ARM64_TIMER_CNT, "timer counter id");
_Static_assert(KVM_REG_ARM64_SVE_VLS == REGID_ARM64_SVE_VLS, "SVE VLS id");
_Static_assert(KVM_REG_ARM64_SYSREG == REGID_ARM64_SYSREG, "sysreg group");
_Static_assert(KVM_REG_ARM_FW_FEAT_BMAP == REGID_ARM64_FW_FEAT_BMAP, "fw bitmap group");
#endif

static const char *const class_names[RC_MAX] = {
	"core", "fpsimd", "system", "sve", "firmware", "demux", "msr", "other",
};

const char *reg_class_name(enum reg_class c)
{
	return c < RC_MAX ? class_names[c] : "other";
}

static unsigned int core_off(uint64_t id) /* byte offset in struct kvm_regs */
{
	return (unsigned int)(id & 0xffff) * 4;
}

enum reg_class reg_class_of(uint64_t id)
{
	switch (id & REGID_ARCH_MASK) {
	case REGID_ARCH_ARM64:
		switch (id & REGID_ARM64_COPROC_MASK) {
		case REGID_ARM64_CORE:
			return core_off(id) >= REGID_ARM64_CORE_FP_OFF ? RC_FPSIMD : RC_CORE;
		case REGID_ARM64_SYSREG:
			return RC_SYSTEM;
		case REGID_ARM64_SVE:
			return RC_SVE;
		case REGID_ARM64_FW:
		case REGID_ARM64_FW_FEAT_BMAP:
			return RC_FIRMWARE;
		case REGID_ARM64_DEMUX:
			return RC_DEMUX;
		default:
			return RC_OTHER;
		}
	case REGID_ARCH_X86:
		return ((id >> 32) & 0xff) == 2 ? RC_MSR : RC_OTHER;
	default:
		return RC_OTHER;
	}
}

size_t reg_size_of(uint64_t id)
{
	return (size_t)1 << ((id & REGID_SIZE_MASK) >> REGID_SIZE_SHIFT);
}

static void core_name(unsigned int off, char *buf, size_t len)
{
	static const char *const el1[] = { "sp", "pc", "pstate", "sp_el1", "elr_el1" };
	const unsigned int fp = REGID_ARM64_CORE_FP_OFF;

	if (off < 31 * 8)
		snprintf(buf, len, "x%u", off / 8);
	else if (off < 36 * 8)
		snprintf(buf, len, "%s", el1[off / 8 - 31]);
	else if (off < 41 * 8)
		snprintf(buf, len, "spsr%u", off / 8 - 36);
	else if (off >= fp && off < fp + 32 * 16)
		snprintf(buf, len, "v%u", (off - fp) / 16);
	else if (off == fp + 32 * 16)
		snprintf(buf, len, "fpsr");
	else if (off == fp + 32 * 16 + 4)
		snprintf(buf, len, "fpcr");
	else
		snprintf(buf, len, "core+%u", off);
}

static void arm64_name(uint64_t id, char *buf, size_t len)
{
	unsigned int low = id & 0xffff;

	switch (id & REGID_ARM64_COPROC_MASK) {
	case REGID_ARM64_CORE:
		core_name(core_off(id), buf, len);
		return;
	case REGID_ARM64_SYSREG:
		if (id == REGID_ARM64_TIMER_CNT)
			snprintf(buf, len, "cntvct");
		else if (id == REGID_ARM64_PTIMER_CNT)
			snprintf(buf, len, "cntpct");
		else
			snprintf(buf, len, "S%u_%u_C%u_C%u_%u", (low >> 14) & 3, (low >> 11) & 7,
				 (low >> 7) & 15, (low >> 3) & 15, low & 7);
		return;
	case REGID_ARM64_SVE:
		if (low == 0xffff)
			snprintf(buf, len, "sve.vls");
		else if (low < 0x400)
			snprintf(buf, len, "sve.z%u.%u", low >> 5, low & 31);
		else if (low < 0x600)
			snprintf(buf, len, "sve.p%u.%u", (low - 0x400) >> 5, low & 31);
		else
			snprintf(buf, len, "sve.ffr.%u", low & 31);
		return;
	case REGID_ARM64_FW:
		snprintf(buf, len, "fw.%u", low);
		return;
	case REGID_ARM64_FW_FEAT_BMAP:
		snprintf(buf, len, "fw_bmap.%u", low);
		return;
	case REGID_ARM64_DEMUX:
		snprintf(buf, len, "demux.0x%x", low);
		return;
	default:
		snprintf(buf, len, "0x%016" PRIx64, id);
	}
}

void reg_name(uint64_t id, char *buf, size_t len)
{
	if ((id & REGID_ARCH_MASK) == REGID_ARCH_ARM64)
		arm64_name(id, buf, len);
	else if (reg_class_of(id) == RC_MSR)
		snprintf(buf, len, "msr.0x%x", (unsigned int)(id & 0xffffffffu));
	else
		snprintf(buf, len, "0x%016" PRIx64, id);
}
