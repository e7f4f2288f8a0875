// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Steal time per CPU for `pvtrace hooks --steal`: kernel_cpustat (and KVM's
 * steal_time) of every CPU read from kernel memory on demand (task iterators,
 * run by reading their fd). One of the two programs is loaded, by how each
 * CPU's per-CPU data is found.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "hooks.h"

/*
 * x86's KVM steal time record (arch/x86/include/uapi/asm/kvm_para.h), by CO-RE: a kernel
 * that has none (arm64, or x86 without KVM_GUEST) makes bpf_core_type_exists() false.
 */
struct kvm_steal_time___pv {
	__u64 steal;
	__u32 version;
} __attribute__((preserve_access_index));

/*
 * Offsets in the per-CPU section (.data..percpu DATASEC of vmlinux BTF). For one
 * CPU, per_cpu_ptr(&a, cpu) - per_cpu_ptr(&b, cpu) == off(a) - off(b): the
 * address of any one per-CPU variable of that CPU locates the others.
 */
const volatile __u32 ncpus = 1;
const volatile __u64 off_anchor = 0;	 /* kernel_cpustat (ksym) or runqueues (runqueue) */
const volatile __u64 off_cpustat = 0;	 /* kernel_cpustat */
const volatile __u64 off_steal_time = 0; /* steal_time, 0 when absent */

struct steal_cpu steal[HOOKS_MAX_CPUS];
__u64 steal_runs;

extern struct kernel_cpustat kernel_cpustat __ksym;

/* base: that CPU's address of a per-CPU variable at section offset 0 */
static __always_inline void read_cpu(__u32 cpu, __u64 base)
{
	struct steal_cpu *o = &steal[cpu & (HOOKS_MAX_CPUS - 1)];
	__u64 i_steal = bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_STEAL);
	__u64 i_user = bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_USER);
	__u64 arr = base + off_cpustat + bpf_core_field_offset(struct kernel_cpustat, cpustat);
	__u64 v = 0, u = 0;
	__u32 ver = 0;

	o->flags = 0;
	if (!bpf_probe_read_kernel(&v, sizeof(v), (void *)(arr + i_steal * sizeof(__u64))) &&
	    !bpf_probe_read_kernel(&u, sizeof(u), (void *)(arr + i_user * sizeof(__u64)))) {
		o->cpustat_steal = v;
		o->cpustat_user = u;
		o->flags |= HOOKS_CPU_CPUSTAT;
	}
	if (!off_steal_time || !bpf_core_type_exists(struct kvm_steal_time___pv))
		return;
	if (!bpf_probe_read_kernel(
		    &v, sizeof(v),
		    (void *)(base + off_steal_time +
			     bpf_core_field_offset(struct kvm_steal_time___pv, steal))) &&
	    !bpf_probe_read_kernel(
		    &ver, sizeof(ver),
		    (void *)(base + off_steal_time +
			     bpf_core_field_offset(struct kvm_steal_time___pv, version)))) {
		o->kvm_steal = v;
		o->kvm_version = ver;
		o->flags |= HOOKS_CPU_KVM;
	}
}

/* kernel_cpustat is a ksym (kallsyms lists per-CPU data): bpf_per_cpu_ptr() */
SEC("iter/task")
int steal_ksym(struct bpf_iter__task *ctx)
{
	if (ctx->task)
		return 0;
	for (__u32 c = 0; c < HOOKS_MAX_CPUS && c < ncpus; c++) {
		void *p = bpf_per_cpu_ptr(&kernel_cpustat, c);

		if (!p) {
			steal[c].flags = 0;
			continue;
		}
		read_cpu(c, (__u64)p - off_anchor);
	}
	steal_runs++;
	return 0;
}

/*
 * No per-CPU symbols: each CPU's runqueue, reached from our task group
 * (tg->cfs_rq[cpu]->rq, CONFIG_FAIR_GROUP_SCHED), is the per-CPU variable
 * runqueues of that CPU; rq->cpu confirms it.
 */
SEC("iter/task")
int steal_rq(struct bpf_iter__task *ctx)
{
	struct task_struct *cur = (void *)bpf_get_current_task();
	struct cfs_rq **cfs_rqs;
	struct task_group *tg;

	if (ctx->task)
		return 0;
	if (!bpf_core_field_exists(struct task_struct, sched_task_group) ||
	    !bpf_core_field_exists(struct task_group, cfs_rq) ||
	    !bpf_core_field_exists(struct cfs_rq, rq) || !bpf_core_field_exists(struct rq, cpu))
		return 0;
	tg = BPF_CORE_READ(cur, sched_task_group);
	cfs_rqs = BPF_CORE_READ(tg, cfs_rq);
	for (__u32 c = 0; c < HOOKS_MAX_CPUS && c < ncpus; c++) {
		struct cfs_rq *cfs = NULL;
		struct rq *rq;

		bpf_probe_read_kernel(&cfs, sizeof(cfs), &cfs_rqs[c]);
		rq = BPF_CORE_READ(cfs, rq);
		if (!rq || BPF_CORE_READ(rq, cpu) != (int)c) {
			steal[c].flags = HOOKS_CPU_BADRQ;
			continue;
		}
		read_cpu(c, (__u64)rq - off_anchor);
	}
	steal_runs++;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
