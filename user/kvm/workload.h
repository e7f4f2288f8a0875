/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A built-in KVM workload: one VM, N vCPUs, a known mix of vCPU ioctls. */
#ifndef PVTRACE_WORKLOAD_H
#define PVTRACE_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WL_MAX_VCPUS 16

#if defined(__x86_64__)
/* x86 ONE_REG ids for MSRs, as in v6.18 uapi (KVM_X86_REG_TYPE_MSR) */
#ifndef KVM_REG_X86
#define KVM_REG_X86 0x2000000000000000ULL
#endif
#define X86_REG_MSR(idx) (KVM_REG_X86 | KVM_REG_SIZE_U64 | (2ULL << 32) | (idx))
#endif

enum wl_op {
	WL_GET_REGS,
	WL_SET_REGS,
	WL_GET_SREGS,
	WL_SET_SREGS,
	WL_GET_MSRS,
	WL_SET_MSRS,
	WL_GET_ONE_REG,
	WL_SET_ONE_REG,
	WL_GET_FPU,
	WL_GET_VCPU_EVENTS,
	WL_GET_MP_STATE,
	WL_RUN,
	WL_GET_REG_LIST,
	WL_ARM_VCPU_INIT, /* issued by kvm_vm_open on arm64 */
	WL_UNKNOWN,	  /* a KVMIO command no uapi defines: KVM answers EINVAL */
	WL_OP_MAX,
};

struct wl_spec {
	int nvcpus;
	uint64_t count[WL_MAX_VCPUS][WL_OP_MAX];
	/* non-KVM noise: plain ioctls, KVMIO-type ioctls on non-vCPU fds */
	uint64_t noise;
};

struct wl_result {
	int nvcpus;
	bool one_reg; /* KVM_CAP_ONE_REG > 0: ONE_REG ops issued */
	bool run_ok;  /* KVM_RUN returned 0 at least once */
	uint64_t issued[WL_MAX_VCPUS][WL_OP_MAX];
	uint64_t failed[WL_MAX_VCPUS][WL_OP_MAX];
	uint64_t noise_issued;
};

#if defined(__x86_64__)
/*
 * Room for a struct kvm_msrs with n entries (a struct with a flexible array
 * member cannot be followed by more fields in standard C); KVM_MSRS(buf) is
 * the struct kvm_msrs * to fill in: ->nmsrs, ->entries[i].
 */
#define KVM_MSRS_BUF(n)                                                            \
	struct {                                                                   \
		_Alignas(8) unsigned char raw[sizeof(struct kvm_msrs) +            \
					      (n) * sizeof(struct kvm_msr_entry)]; \
	}
#define KVM_MSRS(buf) ((struct kvm_msrs *)(void *)(buf).raw)
#endif

/* op names and commands of this architecture; "?" and 0 for an op it does not have */

const char *wl_op_name(enum wl_op op); /* "KVM_GET_REGS" ... */
uint32_t wl_op_cmd(enum wl_op op);
int wl_op_parse(const char *name, enum wl_op *op); /* "GET_REGS" or "KVM_GET_REGS" */

/* The default mix used by `pvtrace latency --ioctl --workload`. */
void wl_default_spec(struct wl_spec *s);

/* Runs the workload; ops KVM cannot do (ONE_REG without the capability) are skipped. */
int wl_run(const struct wl_spec *s, struct wl_result *r, char *err, size_t errlen);

/* A VM with N vCPUs and a little guest memory (real-mode loop at 0x1000). */
struct kvm_vcpu_fd {
	int fd;
	unsigned int inits; /* KVM_ARM_VCPU_INIT calls kvm_vm_open made (arm64) */
	void *run;
	size_t run_size;
};

struct kvm_vm {
	int kvm, fd;
	void *mem;
	int n;
	unsigned int flags; /* KVM_VM_* the vCPUs actually have */
	struct kvm_vcpu_fd v[WL_MAX_VCPUS];
};

/*
 * vCPU features, where the architecture has them (ignored elsewhere): arm64 vCPUs are
 * always initialised (KVM_ARM_VCPU_INIT, the preferred target, PSCI 0.2); with these
 * flags also SVE (finalized) and PMUv3, each only if KVM offers it.
 */
#define KVM_VM_SVE (1U << 0)
#define KVM_VM_PMU (1U << 1)
/* an in-kernel irqchip (KVM_CREATE_IRQCHIP) before the vCPUs, for irqfds (x86) */
#define KVM_VM_IRQCHIP (1U << 2)

int kvm_vm_open(struct kvm_vm *vm, int nvcpus, char *err, size_t errlen);
int kvm_vm_open_flags(struct kvm_vm *vm, int nvcpus, unsigned int flags, char *err, size_t errlen);
void kvm_vm_close(struct kvm_vm *vm);

/* Serialise a result as "op vcpu issued failed" lines (for pipes and tests). */
int wl_result_write(int fd, const struct wl_result *r);
int wl_result_read(int fd, struct wl_result *r);

#endif
