// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The benchmark floor: empty programs on the hooks pvtrace uses. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_ioctl")
int floor_enter(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int floor_exit(void *ctx)
{
	return 0;
}

SEC("fentry/kvm_vcpu_ioctl")
int floor_fentry(void *ctx)
{
	return 0;
}

SEC("fexit/kvm_vcpu_ioctl")
int floor_fexit(void *ctx)
{
	return 0;
}

SEC("kprobe/kvm_vcpu_ioctl")
int floor_kprobe(void *ctx)
{
	return 0;
}

SEC("kretprobe/kvm_vcpu_ioctl")
int floor_kretprobe(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
