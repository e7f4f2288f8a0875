// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* KVM vCPU ioctl latency: fentry/fexit, kprobe/kretprobe or syscall tracepoints. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core.bpf.h"
#include "latency.h"

#define KVMIO  0xAE
#define E2BIG  7 /* a full hash map refuses a new key with -E2BIG */
#define EEXIST 17

const volatile __u32 targ_tgid = 0;
const volatile bool filter_comm = false;
const volatile char targ_comm[16] = {};
const volatile bool filter_cgroup = false;
const volatile bool per_pid = false;
const volatile bool per_vcpu = false;
/* tracepoint mode: a file is a vCPU file iff f_op->unlocked_ioctl is this */
const volatile __u64 vcpu_ioctl_addr = 0;

__u32 epoch = 1;
static const struct hist zero_hist;

/* per-thread start of the ioctl in flight; ts == 0: none */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lat_start);
} starts SEC(".maps");

/* max_entries is --max-series, set before load */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, LAT_DEFAULT_SERIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lat_key);
	__type(value, struct hist);
} hists SEC(".maps");

/*
 * A map without preallocation refills its allocator asynchronously, so a burst
 * of new series can find no memory (-ENOMEM) although the map has room. Those
 * series start here, preallocated, and user space adds both maps' counts.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, LAT_SPILL_SERIES);
	__type(key, struct lat_key);
	__type(value, struct hist);
} spill SEC(".maps");

/* what does not fit in hists, per command only: no command ever disappears */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, LAT_OVERFLOW_SERIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct hist);
} overflow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LAT_DEFAULT_SERIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct lat_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LAT_DEFAULT_SERIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lat_thread_key);
	__type(value, char[16]);
} threads SEC(".maps");

/* --cgroup: slot 0 holds the cgroup whose tasks (and descendants' tasks) are traced */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup SEC(".maps");

DEFINE_STATS(stats, LAT_STAT_MAX);

/* The process name: the thread group leader's comm, not the calling thread's. */
static __always_inline void leader_comm(char comm[16])
{
	struct task_struct *t = bpf_get_current_task_btf();

	BPF_CORE_READ_STR_INTO((char(*)[16])comm, t, group_leader, comm);
}

static __always_inline bool comm_matches(void)
{
	char comm[16];
	int i;

	leader_comm(comm);
	for (i = 0; i < 16; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

static __always_inline int on_enter(__u32 cmd, struct file *filp)
{
	struct lat_start *s;

	s = bpf_task_storage_get(&starts, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		stat_inc(&stats, LAT_STAT_NO_START);
		return 0;
	}
	if (s->ts) /* the previous ioctl of this thread never saw its exit */
		stat_inc(&stats, LAT_STAT_LOST_EXIT);
	s->cmd = cmd;
	s->vcpu = LAT_NO_VCPU;
	s->vm = 0;
	if (per_pid) {
		struct kvm_vcpu *vcpu = BPF_CORE_READ(filp, private_data);

		s->vm = (__u64)BPF_CORE_READ(vcpu, kvm);
		if (per_vcpu)
			s->vcpu = BPF_CORE_READ(vcpu, vcpu_id);
	}
	s->ts = bpf_ktime_get_ns();
	return 0;
}

/* First event of a new series: remember who the process and the vCPU thread are. */
static __always_inline void note_identity(const struct lat_key *key)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct lat_proc p = {};

	leader_comm(p.comm);
	if (bpf_core_field_exists(t->start_boottime))
		p.start_boottime = BPF_CORE_READ(t, group_leader, start_boottime);
	bpf_map_update_elem(&procs, &key->tgid, &p, BPF_NOEXIST);
	if (per_vcpu) {
		struct lat_thread_key tk = { .tgid = key->tgid, .vcpu = key->vcpu, .vm = key->vm };
		char comm[16];

		/*
		 * The vCPU's thread is the one that runs it: KVM_RUN names it; any
		 * other first ioctl (QEMU's main thread sets up each vCPU) only
		 * names it until then.
		 */
		bpf_get_current_comm(comm, sizeof(comm));
		bpf_map_update_elem(&threads, &tk, comm,
				    key->cmd == LAT_KVM_RUN ? BPF_ANY : BPF_NOEXIST);
	}
}

/* A new series in map m: 0 and the series, or the update's error. */
static __always_inline long series_new(void *m, const struct lat_key *key, struct hist **h)
{
	long err = bpf_map_update_elem(m, key, &zero_hist, BPF_NOEXIST);

	/* 0, or -EEXIST when another CPU created it first */
	*h = err && err != -EEXIST ? NULL : bpf_map_lookup_elem(m, key);
	if (*h && !err && per_pid)
		note_identity(key);
	return *h ? 0 : err;
}

static __always_inline struct hist *series_of(const struct lat_key *key)
{
	struct hist *h = bpf_map_lookup_elem(&hists, key);
	__u32 why = LAT_STAT_OVERFLOW;

	if (h)
		return h;
	/* a series that started in spill (no memory for it in hists) stays there */
	h = bpf_map_lookup_elem(&spill, key);
	if (h)
		return h;
	if (series_new(&hists, key, &h) != -E2BIG) {
		if (h || series_new(&spill, key, &h) == 0)
			return h;
		why = LAT_STAT_NOMEM;
	}
	/* no series for it (map full, or no memory and spill full): per command */
	h = map_lookup_or_init(&overflow, &key->cmd, &zero_hist);
	if (!h) {
		stat_inc(&stats, LAT_STAT_HIST_FULL);
		return NULL;
	}
	stat_inc(&stats, why);
	return h;
}

static __always_inline int on_exit(void)
{
	struct lat_key key = {};
	struct lat_start *s;
	struct hist *h;
	__u64 delta;

	s = bpf_task_storage_get(&starts, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->ts)
		return 0;
	delta = bpf_ktime_get_ns() - s->ts;
	s->ts = 0;
	key.cmd = s->cmd;
	key.vcpu = s->vcpu;
	key.vm = s->vm;
	if (per_pid)
		key.tgid = bpf_get_current_pid_tgid() >> 32;
	h = series_of(&key);
	if (h)
		hist_add(h, delta, epoch);
	return 0;
}

/* Returns true when the current task passes the pid/comm/cgroup filters. */
static __always_inline bool task_wanted(void)
{
	/* the filters are rodata: the verifier drops the tests of those not set */
	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return false;
	if (filter_cgroup && bpf_current_task_under_cgroup(&cgroup, 0) != 1)
		return false;
	if (filter_comm && !comm_matches())
		return false;
	return true;
}

SEC("fentry/kvm_vcpu_ioctl")
int BPF_PROG(fentry_vcpu_ioctl, struct file *filp, unsigned int cmd)
{
	if (!task_wanted())
		return 0;
	return on_enter(cmd, filp);
}

SEC("fexit/kvm_vcpu_ioctl")
int BPF_PROG(fexit_vcpu_ioctl)
{
	return on_exit();
}

SEC("kprobe/kvm_vcpu_ioctl")
int BPF_KPROBE(kprobe_vcpu_ioctl, struct file *filp, unsigned int cmd)
{
	if (!task_wanted())
		return 0;
	return on_enter(cmd, filp);
}

SEC("kretprobe/kvm_vcpu_ioctl")
int BPF_KRETPROBE(kretprobe_vcpu_ioctl)
{
	return on_exit();
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
 * The file_operations of vCPU files (kvm_vcpu_fops), learned from the first file
 * whose f_op->unlocked_ioctl is kvm_vcpu_ioctl (a data symbol /proc/kallsyms may
 * not show). f_op is const and set at open: a file whose f_op is this one is a
 * vCPU file, with one read less than following f_op. Any other f_op still gets
 * the full test, so what is counted does not change.
 */
__u64 vcpu_fops = 0;

static __always_inline bool is_vcpu_file(struct file *f)
{
	const struct file_operations *fops = BPF_CORE_READ(f, f_op);

	if (!fops)
		return false;
	if ((__u64)fops == vcpu_fops)
		return true;
	if ((__u64)BPF_CORE_READ(fops, unlocked_ioctl) != vcpu_ioctl_addr)
		return false;
	vcpu_fops = (__u64)fops;
	return true;
}

SEC("tracepoint/syscalls/sys_enter_ioctl")
int tp_enter_ioctl(struct trace_event_raw_sys_enter *ctx)
{
	__u32 cmd = (__u32)ctx->args[1];
	struct file *f;

	/* cheap test first: only KVMIO commands can be KVM vCPU ioctls */
	if (((cmd >> 8) & 0xff) != KVMIO)
		return 0;
	if (!task_wanted())
		return 0;
	f = fd_file((unsigned int)ctx->args[0]);
	if (!f || !is_vcpu_file(f))
		return 0;
	return on_enter(cmd, f);
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int tp_exit_ioctl(void *ctx)
{
	return on_exit();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
