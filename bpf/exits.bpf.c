// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Inside KVM_RUN: hardware exits by reason with their in-kernel handling time (kvm_exit to
 * the next kvm_entry), and every return to user space by kvm_run->exit_reason with the time
 * the VMM kept the vCPU before its next KVM_RUN.
 *
 * Three sets of hooks, one per attach mode, over the same handlers:
 *   fentry:     tp_btf on kvm_exit, kvm_entry, kvm_userspace_exit; fentry on kvm_vcpu_ioctl
 *   kprobe:     raw_tp on the same tracepoints; kprobe on kvm_vcpu_ioctl
 *   tracepoint: the classic kvm: tracepoints (the reason from the event's record) and
 *               syscalls:sys_enter_ioctl filtered to KVM_RUN on vCPU files
 * The BTF modes read the exit reason where the tracepoint's own record reads it from:
 * vcpu_vmx.exit_reason (kvm_intel), vcpu_svm.vmcb->control.exit_code (kvm_amd).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core.bpf.h"
#include "kvm_task.bpf.h"
#include "exits.h"

#define EINTR 4

/* uapi kvm.h */
#define KVM_EXIT_IO_	 2
#define KVM_EXIT_MMIO_	 6
#define KVM_EXIT_IO_OUT_ 1

const volatile __u32 targ_tgid = 0;
const volatile bool per_vcpu = false;
const volatile bool want_addrs = true;
/* tracepoint mode: a file is a vCPU file iff f_op->unlocked_ioctl is this */
const volatile __u64 vcpu_ioctl_addr = 0;

__u32 epoch = 1;
__u64 vcpu_fops = 0;

/* a vCPU thread's state between events */
struct exits_state {
	__u64 vm;	   /* struct kvm; 0: not known yet */
	__u64 run;	   /* struct kvm_run (the page the VMM maps) */
	__s32 vcpu;	   /* vcpu_id */
	__u32 hw_reason;   /* the hardware exit in flight */
	__u64 hw_ts;	   /* its time; 0: none in flight */
	__u64 run_ts;	   /* KVM_RUN's start; 0: not seen */
	__u64 user_ts;	   /* the return to user space; 0: none pending */
	__u32 user_reason; /* its kvm_run->exit_reason */
	__u16 hw_isa;
	__u8 addr_valid; /* addr: the port or address of the pending return */
	__u8 pad;
	struct exits_addr_key addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct exits_state);
} state SEC(".maps");

/* max_entries is --max-series, set before load */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, EXITS_DEFAULT_SERIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct exits_key);
	__type(value, struct hist);
} hists SEC(".maps");

/* series that found no memory in hists (its allocator refills asynchronously) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, EXITS_SPILL_SERIES);
	__type(key, struct exits_key);
	__type(value, struct hist);
} spill SEC(".maps");

/* what does not fit in hists, per kind and reason: no reason ever disappears */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, EXITS_OVERFLOW_SERIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct exits_okey);
	__type(value, struct hist);
} overflow SEC(".maps");

/* ports and MMIO addresses of returns to user space; max_entries is --max-addrs */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EXITS_DEFAULT_ADDRS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct exits_addr_key);
	__type(value, struct exits_addr_val);
} addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EXITS_DEFAULT_SERIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct kvm_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EXITS_DEFAULT_SERIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct exits_thread_key);
	__type(value, char[16]);
} threads SEC(".maps");

DEFINE_STATS(stats, EXITS_STAT_MAX);

static __always_inline bool task_wanted(void)
{
	/* rodata: the verifier drops the test when no -p is given */
	return !targ_tgid || (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

static __always_inline struct exits_state *state_of(bool create)
{
	struct exits_state *st;

	st = bpf_task_storage_get(&state, bpf_get_current_task_btf(), 0,
				  create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!st && create)
		stat_inc(&stats, EXITS_STAT_NO_STATE);
	return st;
}

static __always_inline void note_vcpu(struct exits_state *st, struct kvm_vcpu *vcpu)
{
	st->vm = (__u64)BPF_CORE_READ(vcpu, kvm);
	st->run = (__u64)BPF_CORE_READ(vcpu, run);
	st->vcpu = BPF_CORE_READ(vcpu, vcpu_id);
}

/* First event of a new series: who the process and the vCPU thread are. */
static __always_inline void note_identity(const struct exits_key *key)
{
	kvm_proc_note(&procs, key->tgid);
	if (per_vcpu) {
		struct exits_thread_key tk = { .tgid = key->tgid,
					       .vcpu = key->vcpu,
					       .vm = key->vm };
		char comm[16];

		/* every event of a vCPU comes from the thread that runs it */
		bpf_get_current_comm(comm, sizeof(comm));
		bpf_map_update_elem(&threads, &tk, comm, BPF_NOEXIST);
	}
}

static __always_inline struct hist *series_of(const struct exits_key *key)
{
	struct exits_okey ok = { .reason = key->reason, .kind = key->kind, .isa = key->isa };
	int how;
	struct hist *h = series_find(&hists, &spill, key, &how);

	if (h) {
		if (how == SERIES_NEW)
			note_identity(key);
		return h;
	}
	/* no series for it (map full, or no memory and spill full): per kind and reason */
	h = map_lookup_or_init(&overflow, &ok, &zero_hist);
	if (!h) {
		stat_inc(&stats, EXITS_STAT_HIST_FULL);
		return NULL;
	}
	stat_inc(&stats, how == SERIES_MAP_FULL ? EXITS_STAT_OVERFLOW : EXITS_STAT_NOMEM);
	return h;
}

static __always_inline void record(const struct exits_state *st, __u16 kind, __u16 isa,
				   __u32 reason, __u64 delta)
{
	struct exits_key key = {
		.tgid = bpf_get_current_pid_tgid() >> 32,
		.vcpu = per_vcpu ? st->vcpu : EXITS_NO_VCPU,
		.vm = st->vm,
		.reason = reason,
		.kind = kind,
		.isa = isa,
	};
	struct hist *h = series_of(&key);

	if (h)
		hist_add(h, delta, epoch);
}

/* KVM_RUN begins: the pending trip to user space ends. */
static __always_inline int on_run(struct kvm_vcpu *vcpu)
{
	struct exits_state *st = state_of(true);
	__u64 now = bpf_ktime_get_ns();

	if (!st)
		return 0;
	note_vcpu(st, vcpu);
	if (st->user_ts) {
		__u64 d = now - st->user_ts;

		record(st, EXITS_USER, 0, st->user_reason, d);
		if (st->addr_valid) {
			struct exits_addr_val *a = bpf_map_lookup_elem(&addrs, &st->addr);

			if (a) {
				__sync_fetch_and_add(&a->resumed, 1);
				__sync_fetch_and_add(&a->user_ns, d);
				if (d > a->user_max_ns)
					a->user_max_ns = d;
			}
		}
		st->user_ts = 0;
		st->addr_valid = 0;
	}
	st->hw_ts = 0;
	st->run_ts = now;
	return 0;
}

/* A hardware exit: its handling is timed to the next entry or the return to user space. */
static __always_inline void on_hw_exit(struct exits_state *st, __u16 isa, __u32 reason)
{
	if (st->hw_ts) /* the previous exit never saw its entry */
		stat_inc(&stats, EXITS_STAT_LOST_ENTRY);
	st->hw_isa = isa;
	st->hw_reason = reason;
	st->hw_ts = bpf_ktime_get_ns();
}

static __always_inline int on_entry(void)
{
	struct exits_state *st = state_of(false);

	if (!st || !st->hw_ts)
		return 0;
	record(st, EXITS_HW, st->hw_isa, st->hw_reason, bpf_ktime_get_ns() - st->hw_ts);
	st->hw_ts = 0;
	return 0;
}

/* The port or address of a KVM_EXIT_IO / KVM_EXIT_MMIO return, from kvm_run. */
static __always_inline void note_addr(struct exits_state *st, __u32 reason)
{
	struct kvm_run *run = (struct kvm_run *)st->run;
	struct exits_addr_key *k = &st->addr;
	struct exits_addr_val *v;
	static const struct exits_addr_val zero;

	st->addr_valid = 0;
	if (!want_addrs || !run)
		return;
	k->tgid = bpf_get_current_pid_tgid() >> 32;
	k->vm = st->vm;
	k->pad = 0;
	if (reason == KVM_EXIT_IO_) {
		k->kind = EXITS_ADDR_PIO;
		k->write = BPF_CORE_READ(run, io.direction) == KVM_EXIT_IO_OUT_;
		k->size = BPF_CORE_READ(run, io.size);
		k->addr = BPF_CORE_READ(run, io.port);
	} else {
		k->kind = EXITS_ADDR_MMIO;
		k->write = BPF_CORE_READ(run, mmio.is_write);
		k->size = BPF_CORE_READ(run, mmio.len);
		k->addr = BPF_CORE_READ(run, mmio.phys_addr);
	}
	v = map_lookup_or_init(&addrs, k, &zero);
	if (!v) {
		stat_inc(&stats, EXITS_STAT_ADDR_FULL);
		return;
	}
	__sync_fetch_and_add(&v->exits, 1);
	st->addr_valid = 1;
}

/* KVM_RUN returns to user space with kvm_run->exit_reason. */
static __always_inline int on_user_exit(__u32 reason, int err)
{
	struct exits_state *st = state_of(false);
	__u64 now = bpf_ktime_get_ns();

	if (!st || !st->run_ts) {
		/* its KVM_RUN began before tracing did: no vCPU, no start */
		if (task_wanted())
			stat_inc(&stats, EXITS_STAT_EARLY_RUN);
		return 0;
	}
	if (st->hw_ts) { /* the exit that brought it here: its part in the kernel */
		record(st, EXITS_HW, st->hw_isa, st->hw_reason, now - st->hw_ts);
		st->hw_ts = 0;
	}
	if (err < 0 && err != -EINTR)
		stat_inc(&stats, EXITS_STAT_RUN_ERROR);
	record(st, EXITS_RUN, 0, reason, now - st->run_ts);
	st->run_ts = 0;
	st->user_reason = reason;
	st->user_ts = now;
	if (reason == KVM_EXIT_IO_ || reason == KVM_EXIT_MMIO_)
		note_addr(st, reason);
	else
		st->addr_valid = 0;
	return 0;
}

/* ---- x86 hardware exit reasons, read as kvm_exit's record reads them ---- */

union vmx_exit_reason___pv {
	__u32 full;
} __attribute__((preserve_access_index));

struct vcpu_vmx___pv {
	union vmx_exit_reason___pv exit_reason;
} __attribute__((preserve_access_index));

struct vmcb_control_area___pv {
	__u32 exit_code;
} __attribute__((preserve_access_index));

struct vmcb___pv {
	struct vmcb_control_area___pv control;
} __attribute__((preserve_access_index));

struct vcpu_svm___pv {
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	struct vmcb___pv *vmcb;
} __attribute__((preserve_access_index));

static __always_inline __u32 hw_reason(struct kvm_vcpu *vcpu, __u32 isa)
{
	__u32 r = 0;

	/* the types exist where kvm_intel / kvm_amd are loaded: the other branch is dead */
	if (isa == EXITS_ISA_VMX && bpf_core_type_exists(struct vcpu_vmx___pv)) {
		struct vcpu_vmx___pv *vmx = (void *)vcpu;

		r = BPF_CORE_READ(vmx, exit_reason.full);
	} else if (isa == EXITS_ISA_SVM && bpf_core_type_exists(struct vcpu_svm___pv)) {
		struct vcpu_svm___pv *svm = (void *)vcpu;

		r = BPF_CORE_READ(svm, vmcb, control.exit_code);
	}
	return r;
}

static __always_inline int btf_exit(struct kvm_vcpu *vcpu, __u32 isa)
{
	struct exits_state *st;

	/* the verifier wants a tracepoint's pointer argument checked */
	if (!vcpu || !task_wanted())
		return 0;
	st = state_of(true);
	if (!st)
		return 0;
	if (!st->vm)
		note_vcpu(st, vcpu);
	on_hw_exit(st, isa, hw_reason(vcpu, isa));
	return 0;
}

/* ---- fentry mode ---- */

SEC("fentry/kvm_vcpu_ioctl")
int BPF_PROG(fentry_vcpu_ioctl, struct file *filp, unsigned int cmd)
{
	if (cmd != KVM_RUN_CMD || !filp || !task_wanted())
		return 0;
	return on_run(BPF_CORE_READ(filp, private_data));
}

SEC("tp_btf/kvm_exit")
int BPF_PROG(btf_kvm_exit, struct kvm_vcpu *vcpu, __u32 isa)
{
	return btf_exit(vcpu, isa);
}

SEC("tp_btf/kvm_entry")
int BPF_PROG(btf_kvm_entry)
{
	return on_entry();
}

SEC("tp_btf/kvm_userspace_exit")
int BPF_PROG(btf_kvm_userspace_exit, __u32 reason, int err)
{
	return on_user_exit(reason, err);
}

/* ---- kprobe mode ---- */

SEC("kprobe/kvm_vcpu_ioctl")
int BPF_KPROBE(kprobe_vcpu_ioctl, struct file *filp, unsigned int cmd)
{
	if (cmd != KVM_RUN_CMD || !task_wanted())
		return 0;
	return on_run(BPF_CORE_READ(filp, private_data));
}

SEC("raw_tp/kvm_exit")
int BPF_PROG(raw_kvm_exit, struct kvm_vcpu *vcpu, __u32 isa)
{
	return btf_exit(vcpu, isa);
}

SEC("raw_tp/kvm_entry")
int BPF_PROG(raw_kvm_entry)
{
	return on_entry();
}

SEC("raw_tp/kvm_userspace_exit")
int BPF_PROG(raw_kvm_userspace_exit, __u32 reason, int err)
{
	return on_user_exit(reason, err);
}

/* ---- tracepoint mode ---- */

/* kvm_exit's record on x86 (local flavor: the object builds for every ARCH) */
struct trace_event_raw_kvm_exit___x86 {
	unsigned int exit_reason;
	__u32 isa;
	unsigned int vcpu_id;
} __attribute__((preserve_access_index));

/*
 * The vCPU a thread runs, when its KVM_RUN began before tracing did: vcpu_load()
 * registered the vCPU's preempt notifier on the thread, the only one KVM code sets.
 * Checked against the vcpu_id kvm_exit reports. NULL when it cannot tell.
 */
static __always_inline struct kvm_vcpu *loaded_vcpu(unsigned int vcpu_id)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct kvm_vcpu *v;
	struct hlist_node *n;

	if (!bpf_core_field_exists(t->preempt_notifiers))
		return NULL;
	n = BPF_CORE_READ(t, preempt_notifiers.first);
	if (!n)
		return NULL;
	v = (void *)n - bpf_core_field_offset(struct kvm_vcpu, preempt_notifier) -
	    bpf_core_field_offset(struct preempt_notifier, link);
	if (BPF_CORE_READ(v, vcpu_id) != (int)vcpu_id || !BPF_CORE_READ(v, kvm))
		return NULL;
	return v;
}

SEC("tracepoint/kvm/kvm_exit")
int tp_kvm_exit(struct trace_event_raw_kvm_exit___x86 *ctx)
{
	struct exits_state *st;

	if (!task_wanted())
		return 0;
	st = state_of(true);
	if (!st)
		return 0;
	if (!st->vm) {
		struct kvm_vcpu *v = loaded_vcpu(ctx->vcpu_id);

		if (!v) {
			stat_inc(&stats, EXITS_STAT_NO_VCPU);
			return 0;
		}
		note_vcpu(st, v);
	}
	on_hw_exit(st, ctx->isa, ctx->exit_reason);
	return 0;
}

SEC("tracepoint/kvm/kvm_entry")
int tp_kvm_entry(void *ctx)
{
	return on_entry();
}

SEC("tracepoint/kvm/kvm_userspace_exit")
int tp_kvm_userspace_exit(struct trace_event_raw_kvm_userspace_exit *ctx)
{
	return on_user_exit(ctx->reason, ctx->errno);
}

SEC("tracepoint/syscalls/sys_enter_ioctl")
int tp_enter_ioctl(struct trace_event_raw_sys_enter *ctx)
{
	struct file *f;

	/* cheap test first: only KVM_RUN ends a trip to user space */
	if ((__u32)ctx->args[1] != KVM_RUN_CMD || !task_wanted())
		return 0;
	f = fd_file((unsigned int)ctx->args[0]);
	if (!f || !is_vcpu_file(f, vcpu_ioctl_addr, &vcpu_fops))
		return 0;
	return on_run(BPF_CORE_READ(f, private_data));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
