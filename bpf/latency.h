/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types shared by latency.bpf.c and user/latency.c. */
#ifndef PVTRACE_LATENCY_H
#define PVTRACE_LATENCY_H

#include "hist.h"
#include "kvm_task.h"

#define LAT_NO_VCPU	    (-1)
#define LAT_DEFAULT_SERIES  4096
#define LAT_OVERFLOW_SERIES 1024 /* distinct commands kept when the series map is full */
#define LAT_SPILL_SERIES    128	 /* preallocated series for when a new one finds no memory */

struct lat_key {
	__u32 cmd;  /* full ioctl command */
	__u32 tgid; /* 0 unless per-process */
	__s32 vcpu; /* LAT_NO_VCPU unless per-vCPU */
	__u32 pad;
	__u64 vm; /* the VM (its struct kvm, an opaque id) when per-process, else 0 */
};

struct lat_start {
	__u64 ts;
	__u64 vm;
	__u32 cmd;
	__s32 vcpu;
};

/* the vCPU thread's name (QEMU: "CPU 0/KVM"), per-vCPU series only */
struct lat_thread_key {
	__u32 tgid;
	__s32 vcpu;
	__u64 vm;
};

enum lat_stat {
	LAT_STAT_NO_START,  /* no task storage for the start time: ioctl not timed */
	LAT_STAT_HIST_FULL, /* series and overflow maps full: ioctl not recorded */
	LAT_STAT_LOST_EXIT, /* an entry had no matching exit (e.g. kretprobe maxactive) */
	LAT_STAT_OVERFLOW,  /* series map full: recorded per command only (overflow series) */
	LAT_STAT_NOMEM,	    /* no memory for a new series, spill map full: per command only */
	LAT_STAT_MAX,
};

#endif
