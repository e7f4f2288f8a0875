/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Who a KVM event came from: types shared by the BPF programs and user space. */
#ifndef PVTRACE_KVM_TASK_H
#define PVTRACE_KVM_TASK_H

#define KVM_RUN_CMD 0xae80 /* KVM_RUN: issued by a vCPU's own thread only */

/* one per traced process, written when its first series is created */
struct kvm_proc {
	char comm[16];	      /* the thread group leader's name: the process name */
	__u64 start_boottime; /* the leader's start (ns since boot): tells a reused pid */
};

#endif
