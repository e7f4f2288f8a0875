/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types shared by vhost.bpf.c and user/vhost/: virtqueue kicks and calls. */
#ifndef PVTRACE_VHOST_H
#define PVTRACE_VHOST_H

#include "hist.h"
#include "kvm_task.h"

#define VHOST_DEFAULT_VQS 4096 /* virtqueues kept (--max-vqs) */
#define VHOST_CALL_CTXS	  8192 /* call eventfds known, least recently used dropped */
#define VHOST_MAX_NVQS	  64   /* vqs of one device searched for a vq's index */
#define VHOST_LOG_ENTRIES 64   /* log entries (or iovecs) of one dirty-log write read for pages */

/* one virtqueue: its device (struct vhost_dev, an opaque id) and index there */
struct vhost_vq_key {
	__u64 dev;
	__u32 vq;
	__u32 hist; /* in the hists map: which histogram (enum vhost_hist); else 0 */
};

/* the histograms kept per vq (the hists map's key.hist) */
enum vhost_hist {
	VHOST_H_K2C,	    /* the first kick no call has answered yet to the next call */
	VHOST_H_KICK_RELAY, /* a KVM ioeventfd signalled to the kick a process relayed */
	VHOST_H_CALL_RELAY, /* the vq's call to the KVM irqfd a process relayed it to */
	VHOST_H_MAX,
};

/* per CPU: what happened on a vq (its times are in the hists map); __u64 fields only: user
 * space adds and subtracts them as an array */
struct vhost_vq_stats {
	__u64 kicks;	  /* driver to device: the kick eventfd woke the device */
	__u64 calls;	  /* device to driver: the call eventfd was signalled */
	__u64 log_writes; /* vhost_log_write calls: a buffer written with dirty logging on */
	__u64 log_bytes;  /* the bytes they logged */
	__u64 log_pages;  /* the dirty-bitmap bits they set (a page written twice: twice) */
	/* kicks and calls between the vq and a KVM guest (the guest's notifications and
	 * interrupts): direct, the same eventfd on both sides, or relayed by a process that
	 * read one eventfd and wrote the next (QEMU's shadow virtqueue) */
	__u64 guest_kicks; /* a KVM ioeventfd is the kick eventfd */
	__u64 relay_kicks; /* a process relayed a KVM ioeventfd's signal to the kick */
	__u64 guest_calls; /* the call eventfd is a KVM irqfd */
	__u64 relay_calls; /* a process relayed the call to a KVM irqfd */
};

/* where an eventfd's latest signal came from (the efdmark map, by struct eventfd_ctx *) */
enum vhost_from {
	VHOST_FROM_OTHER, /* a kernel signal or write of no chain we follow */
	VHOST_FROM_GUEST, /* a KVM ioeventfd: the guest wrote its notify address */
	VHOST_FROM_CALL,  /* a vq's call */
};

struct vhost_efd_mark {
	__u64 origin_ns;	/* when the chain's first eventfd was signalled */
	struct vhost_vq_key vq; /* VHOST_FROM_CALL: the vq whose call began it */
	__u32 hops;		/* eventfds a process read and then wrote since; 0: direct */
	__u32 from;		/* enum vhost_from */
};

/* who a vq belongs to and what it is; written on first sight, the owner when known */
struct vhost_vq_info {
	__u64 handle_kick; /* the vq's kick handler: names the driver and the vq's role */
	__u64 kick_ts;	   /* the oldest kick no call has answered yet, 0: none */
	__u32 tgid;	   /* the owner process (0 until a task of it is seen) */
	__s32 minor;	   /* vhost-vdpa: /dev/vhost-vdpa-MINOR; else -1 */
	__u32 noted;	   /* the owner's procs record is written */
	__u32 pad;
};

enum vhost_stat {
	VHOST_STAT_VQ_FULL,    /* a new vq found its map full: not counted */
	VHOST_STAT_NO_INDEX,   /* a vq not in its device's first VHOST_MAX_NVQS: not counted */
	VHOST_STAT_LOG_LONG,   /* a log write of more than VHOST_LOG_ENTRIES: pages undercounted */
	VHOST_STAT_RELAY_LOST, /* a relayed signal found no room in efdmark: not followed */
	VHOST_STAT_MAX,
};

#endif
