/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types shared by latency.bpf.c and user/latency.c. */
#ifndef PVTRACE_LATENCY_H
#define PVTRACE_LATENCY_H

#include "hist.h"

#define LAT_NO_VCPU (-1)

struct lat_key {
	__u32 cmd;  /* full ioctl command */
	__u32 tgid; /* 0 unless per-process */
	__s32 vcpu; /* LAT_NO_VCPU unless per-vCPU */
	__u32 pad;
};

struct lat_start {
	__u64 ts;
	__u32 cmd;
	__s32 vcpu;
};

enum lat_stat {
	LAT_STAT_NO_START,  /* no task storage for the start time: ioctl not timed */
	LAT_STAT_HIST_FULL, /* histogram map full: ioctl not recorded */
	LAT_STAT_LOST_EXIT, /* an entry had no matching exit (e.g. kretprobe maxactive) */
	LAT_STAT_MAX,
};

#endif
