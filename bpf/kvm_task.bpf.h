/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The task side of KVM events, shared by the programs that trace vCPUs: the process name,
 * its identity record, and whether an ioctl's fd is a vCPU file. Include after vmlinux.h.
 */
#ifndef PVTRACE_KVM_TASK_BPF_H
#define PVTRACE_KVM_TASK_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "kvm_task.h"

/* The process name: the thread group leader's comm, not the calling thread's. */
static __always_inline void leader_comm(char comm[16])
{
	struct task_struct *t = bpf_get_current_task_btf();

	BPF_CORE_READ_STR_INTO((char(*)[16])comm, t, group_leader, comm);
}

/* The current process's identity into procs (tgid -> struct kvm_proc), if not there yet. */
static __always_inline void kvm_proc_note(void *procs, __u32 tgid)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct kvm_proc p = {};

	leader_comm(p.comm);
	if (bpf_core_field_exists(t->start_boottime))
		p.start_boottime = BPF_CORE_READ(t, group_leader, start_boottime);
	bpf_map_update_elem(procs, &tgid, &p, BPF_NOEXIST);
}

/* The fd's struct file, or NULL. Direct (BTF) loads down to the fd array: a faulting
 * load reads 0, and each one costs far less than a bpf_probe_read_kernel() call. */
static __always_inline struct file *fd_file(unsigned int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file **fds, *f = NULL;

	if (fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/*
 * Is f a vCPU file: is its f_op->unlocked_ioctl kvm_vcpu_ioctl (at ioctl_addr, from
 * /proc/kallsyms)? The file_operations of vCPU files (kvm_vcpu_fops, a data symbol
 * /proc/kallsyms may not show) are learned into *fops_cache from the first such file.
 * f_op is const and set at open: a file whose f_op is that one is a vCPU file, with one
 * read less than following f_op. Any other f_op still gets the full test, so what is
 * counted does not change.
 */
static __always_inline bool is_vcpu_file(struct file *f, __u64 ioctl_addr, __u64 *fops_cache)
{
	const struct file_operations *fops = BPF_CORE_READ(f, f_op);

	if (!fops)
		return false;
	if ((__u64)fops == *fops_cache)
		return true;
	if ((__u64)BPF_CORE_READ(fops, unlocked_ioctl) != ioctl_addr)
		return false;
	*fops_cache = (__u64)fops;
	return true;
}

#endif
