/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types shared by exits.bpf.c and user/exits/. */
#ifndef PVTRACE_EXITS_H
#define PVTRACE_EXITS_H

#include "hist.h"
#include "kvm_task.h"

#define EXITS_NO_VCPU	      (-1)
#define EXITS_DEFAULT_SERIES  4096
#define EXITS_SPILL_SERIES    128  /* preallocated: series that found no memory in hists */
#define EXITS_OVERFLOW_SERIES 1024 /* per reason only, when the series map is full */
#define EXITS_DEFAULT_ADDRS   1024 /* ports and MMIO addresses kept */

/* what a series measures */
enum exits_kind {
	EXITS_HW = 1,	/* a hardware exit: kvm_exit to the next kvm_entry (or return to user) */
	EXITS_RUN = 2,	/* a KVM_RUN by the reason it returned with: its time in the kernel */
	EXITS_USER = 3, /* after a return with that reason: time in user space until KVM_RUN */
};

/* kvm:kvm_exit's isa (arch/x86/kvm/trace.h); 0 for the KVM_EXIT_* reasons of a return */
#define EXITS_ISA_VMX 1
#define EXITS_ISA_SVM 2

struct exits_key {
	__u32 tgid;   /* the process */
	__s32 vcpu;   /* EXITS_NO_VCPU unless per-vCPU */
	__u64 vm;     /* its struct kvm: an opaque id */
	__u32 reason; /* EXIT_REASON_* / SVM_EXIT_* (HW), KVM_EXIT_* (RUN, USER) */
	__u16 kind;   /* enum exits_kind */
	__u16 isa;    /* HW: EXITS_ISA_*; else 0 */
};

/* the overflow series: per kind and reason only */
struct exits_okey {
	__u32 reason;
	__u16 kind;
	__u16 isa;
};

/* a port or MMIO address a return to user space was for */
enum exits_addr_kind {
	EXITS_ADDR_PIO = 1,
	EXITS_ADDR_MMIO = 2,
};

struct exits_addr_key {
	__u32 tgid;
	__u8 kind;  /* enum exits_addr_kind */
	__u8 write; /* KVM_EXIT_IO_OUT / mmio.is_write */
	__u8 size;  /* io.size, mmio.len */
	__u8 pad;
	__u64 vm;
	__u64 addr; /* port, guest physical address */
};

struct exits_addr_val {
	__u64 exits;   /* returns to user space for it */
	__u64 resumed; /* of those, followed by the next KVM_RUN */
	__u64 user_ns; /* time in user space of the resumed ones */
	__u64 user_max_ns;
};

/* the vCPU thread's name, per-vCPU series only */
struct exits_thread_key {
	__u32 tgid;
	__s32 vcpu;
	__u64 vm;
};

enum exits_stat {
	EXITS_STAT_NO_STATE,   /* no task storage for a vCPU thread: event not recorded */
	EXITS_STAT_HIST_FULL,  /* series and overflow maps full: event not recorded */
	EXITS_STAT_OVERFLOW,   /* series map full: recorded per reason only (overflow) */
	EXITS_STAT_NOMEM,      /* no memory for a new series, spill full: per reason only */
	EXITS_STAT_LOST_ENTRY, /* a hardware exit with no entry before the next exit */
	EXITS_STAT_EARLY_RUN,  /* a KVM_RUN return whose start was before tracing began */
	EXITS_STAT_NO_VCPU,    /* a hardware exit of a vCPU not known yet: not recorded */
	EXITS_STAT_RUN_ERROR,  /* KVM_RUN returned an error other than -EINTR (counted) */
	EXITS_STAT_ADDR_FULL,  /* the address map was full: port/address not kept */
	EXITS_STAT_MAX,
};

#endif
