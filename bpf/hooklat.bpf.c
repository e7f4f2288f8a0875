// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Latency of a paravirt static call's current target for `pvtrace latency
 * --steal-clock/--sched-clock`: fentry/fexit or kprobe/kretprobe on the target,
 * a per-CPU stack of entry times (nested calls from interrupts), one histogram.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "core.bpf.h"
#include "hooks.h"

__u32 epoch = 1;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hooks_stack);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hist);
} hists SEC(".maps");

DEFINE_STATS(stats, HOOKS_STAT_MAX);

static __always_inline int on_entry(void)
{
	__u32 k = 0, d;
	struct hooks_stack *s = bpf_map_lookup_elem(&stacks, &k);

	if (!s)
		return 0;
	d = s->depth;
	if (d < HOOKS_DEPTH)
		s->ts[d & (HOOKS_DEPTH - 1)] = bpf_ktime_get_ns();
	else
		stat_inc(&stats, HOOKS_STAT_DEPTH);
	s->depth = d + 1;
	return 0;
}

static __always_inline int on_return(void)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 k = 0, d;
	struct hooks_stack *s = bpf_map_lookup_elem(&stacks, &k);
	struct hist *h;

	if (!s)
		return 0;
	d = s->depth;
	if (!d) {
		stat_inc(&stats, HOOKS_STAT_NO_ENTRY);
		return 0;
	}
	s->depth = --d;
	if (d >= HOOKS_DEPTH)
		return 0;
	h = bpf_map_lookup_elem(&hists, &k);
	if (!h) {
		stat_inc(&stats, HOOKS_STAT_HIST_FULL);
		return 0;
	}
	hist_add(h, now - s->ts[d & (HOOKS_DEPTH - 1)], epoch);
	return 0;
}

SEC("fentry")
int BPF_PROG(hook_fentry)
{
	return on_entry();
}

SEC("fexit")
int BPF_PROG(hook_fexit)
{
	return on_return();
}

SEC("kprobe")
int BPF_KPROBE(hook_kprobe)
{
	return on_entry();
}

SEC("kretprobe")
int BPF_KRETPROBE(hook_kretprobe)
{
	return on_return();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
