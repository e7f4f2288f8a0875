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

/* the vhost drivers whose ioctls latency --vhost times, by their ioctl function */
enum lat_vhost_kind {
	LAT_VHOST_NET,	 /* vhost_net_ioctl, /dev/vhost-net */
	LAT_VHOST_VDPA,	 /* vhost_vdpa_unlocked_ioctl, /dev/vhost-vdpa-N */
	LAT_VHOST_VSOCK, /* vhost_vsock_dev_ioctl, /dev/vhost-vsock */
	LAT_VHOST_SCSI,	 /* vhost_scsi_ioctl, /dev/vhost-scsi */
	LAT_VHOST_KINDS,
};

struct lat_key {
	__u32 cmd;  /* full ioctl command */
	__u32 tgid; /* 0 unless per-process */
	__s32 vcpu; /* LAT_NO_VCPU unless per-vCPU */
	__u32 rdev; /* a vhost ioctl: its device's dev_t (kernel encoding); 0: a vCPU ioctl */
	/* per-process only, else 0: the VM (its struct kvm) of a vCPU ioctl, the device
	 * (the file's private data) of a vhost one; opaque ids */
	__u64 vm;
};

struct lat_start {
	__u64 ts;
	__u64 vm;
	__u32 cmd;
	__s32 vcpu;
	__u32 rdev;
	__u32 pad;
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
