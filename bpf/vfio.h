/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types shared by vfio.bpf.c and user/vfio.c. */
#ifndef PVTRACE_VFIO_H
#define PVTRACE_VFIO_H

#include "hist.h"

#define VFIO_REQ_SLOTS 8  /* request implementations traced at once */
#define VFIO_NAME_LEN  48 /* dev_name(): PCI address or mdev UUID (36) */
#define VFIO_DRV_LEN   32

/* What a request implementation's listener looks like, per program slot. */
enum vfio_req_kind {
	VFIO_REQ_OTHER,	   /* unknown driver: listener not checked */
	VFIO_REQ_PCI_CORE, /* vfio_pci_core_device.req_trigger */
	VFIO_REQ_CCW,	   /* vfio_ccw_private.req_trigger */
	VFIO_REQ_AP,	   /* ap_matrix_mdev.req_trigger */
};

enum vfio_listener {
	VFIO_LISTENER_UNKNOWN = -1,
	VFIO_LISTENER_NONE = 0,
	VFIO_LISTENER_YES = 1,
};

struct vfio_key {
	char dev[VFIO_NAME_LEN];
	char driver[VFIO_DRV_LEN];
};

enum vfio_hist_kind {
	VFIO_H_RELEASE, /* first request -> final release */
	VFIO_H_BLOCKED, /* vfio_unregister_group_dev entry -> exit */
	VFIO_H_MAX,
};

struct vfio_hkey {
	struct vfio_key dev;
	__u32 kind;
	__u32 pad;
};

struct vfio_task {
	__u32 pid; /* thread group id */
	__u32 tid;
	char comm[16];
};

/* Per-device counters since pvtrace started, and the last unregister's details. */
struct vfio_dev_stats {
	__u64 unregisters;    /* entries of vfio_unregister_group_dev */
	__u64 unblocked;      /* ... and their exits */
	__u64 requests;	      /* .request calls */
	__u64 req_listener;   /* ... with a listener registered */
	__u64 req_none;	      /* ... without one */
	__u64 releases;	      /* final releases seen during an unregister */
	__u64 last_index;     /* count argument of the last request */
	__u64 last_blocked;   /* ns the last finished unregister blocked */
	__u64 last_requests;  /* requests it sent */
	__u64 last_first_lat; /* its first request -> release, 0 if no request */
	__u64 last_last_lat;  /* its last request -> release */
	struct vfio_task last_unreg;
	struct vfio_task last_holder;
};

/* One unregister in progress, keyed by the struct vfio_device address. */
struct vfio_inflight {
	__u64 start;	 /* ktime of the unregister entry; 0 if not seen */
	__u64 first_req; /* ktime of the first request, 0 if none */
	__u64 last_req;
	__u64 release; /* ktime of the final release, 0 if not yet */
	__u32 requests;
	__u32 last_index;
	struct vfio_task unreg;
	struct vfio_task holder;
	struct vfio_key key;
};

enum vfio_ev_type {
	VFIO_EV_UNREGISTER, /* a task entered vfio_unregister_group_dev */
	VFIO_EV_REQUEST,    /* .request(dev, index) */
	VFIO_EV_RELEASE,    /* the last reference was put */
	VFIO_EV_UNBLOCKED,  /* vfio_unregister_group_dev returned */
};

struct vfio_event {
	__u64 ts; /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
	__u64 vdev;
	__u64 first_lat; /* RELEASE: since the first request; UNBLOCKED: blocked ns */
	__u64 last_lat;	 /* RELEASE: since the last request */
	__u32 type;
	__u32 index; /* REQUEST: count argument; RELEASE/UNBLOCKED: requests sent */
	__s32 listener;
	__u32 slot; /* REQUEST: program slot (which implementation) */
	struct vfio_task task;
	struct vfio_key key;
};

enum vfio_stat {
	VFIO_STAT_RINGBUF_FULL,	 /* event not streamed (summary still counts it) */
	VFIO_STAT_INFLIGHT_FULL, /* unregister not tracked: too many at once */
	VFIO_STAT_DEV_FULL,	 /* per-device map full */
	VFIO_STAT_HIST_FULL,	 /* histogram map full */
	VFIO_STAT_MAX,
};

#endif
