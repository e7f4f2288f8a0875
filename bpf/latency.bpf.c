// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * KVM vCPU and vhost ioctl latency: fentry/fexit, kprobe/kretprobe or syscall
 * tracepoints.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core.bpf.h"
#include "kvm_task.bpf.h"
#include "latency.h"

#define KVMIO	     0xAE
#define VHOST_VIRTIO 0xAF

const volatile __u32 targ_tgid = 0;
const volatile bool filter_comm = false;
const volatile char targ_comm[16] = {};
const volatile bool filter_cgroup = false;
const volatile bool per_pid = false;
const volatile bool per_vcpu = false;
/* what is timed: vCPU ioctls (--ioctl), vhost ioctls (--vhost) */
const volatile bool trace_vcpu = true;
const volatile bool trace_vhost = false;
/* tracepoint mode: a file is a vCPU file iff f_op->unlocked_ioctl is this */
const volatile __u64 vcpu_ioctl_addr = 0;
/* and a vhost file iff it is one of these (0: that driver is not in this kernel) */
const volatile __u64 vhost_ioctl_addr[LAT_VHOST_KINDS] = {};

__u32 epoch = 1;

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
	__type(value, struct kvm_proc);
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

/* vhost: whether the ioctl is a vhost one (a constant at each call) */
static __always_inline int on_enter(__u32 cmd, struct file *filp, bool vhost)
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
	s->rdev = 0;
	if (vhost) {
		/* the device by its dev_t; per process, the open device itself */
		s->rdev = BPF_CORE_READ(filp, f_inode, i_rdev);
		if (per_pid)
			s->vm = (__u64)BPF_CORE_READ(filp, private_data);
	} else if (per_pid) {
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
	kvm_proc_note(&procs, key->tgid);
	if (per_vcpu && !key->rdev) {
		struct lat_thread_key tk = { .tgid = key->tgid, .vcpu = key->vcpu, .vm = key->vm };
		char comm[16];

		/*
		 * The vCPU's thread is the one that runs it: KVM_RUN names it; any
		 * other first ioctl (QEMU's main thread sets up each vCPU) only
		 * names it until then.
		 */
		bpf_get_current_comm(comm, sizeof(comm));
		bpf_map_update_elem(&threads, &tk, comm,
				    key->cmd == KVM_RUN_CMD ? BPF_ANY : BPF_NOEXIST);
	}
}

static __always_inline struct hist *series_of(const struct lat_key *key)
{
	int how;
	struct hist *h = series_find(&hists, &spill, key, &how);

	if (h) {
		if (how == SERIES_NEW && per_pid)
			note_identity(key);
		return h;
	}
	/* no series for it (map full, or no memory and spill full): per command */
	h = map_lookup_or_init(&overflow, &key->cmd, &zero_hist);
	if (!h) {
		stat_inc(&stats, LAT_STAT_HIST_FULL);
		return NULL;
	}
	stat_inc(&stats, how == SERIES_MAP_FULL ? LAT_STAT_OVERFLOW : LAT_STAT_NOMEM);
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
	key.rdev = s->rdev;
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
	return on_enter(cmd, filp, false);
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
	return on_enter(cmd, filp, false);
}

SEC("kretprobe/kvm_vcpu_ioctl")
int BPF_KRETPROBE(kretprobe_vcpu_ioctl)
{
	return on_exit();
}

/*
 * vhost: each driver's ioctl function. fentry programs are bound to their function at
 * load, so one pair per driver, loaded for the drivers this kernel has; one kprobe pair
 * is attached to every driver's function.
 */
#define VHOST_FENTRY(fn)                                               \
	SEC("fentry/" #fn)                                             \
	int BPF_PROG(fentry_##fn, struct file *filp, unsigned int cmd) \
	{                                                              \
		if (!task_wanted())                                    \
			return 0;                                      \
		return on_enter(cmd, filp, true);                      \
	}                                                              \
	SEC("fexit/" #fn)                                              \
	int BPF_PROG(fexit_##fn)                                       \
	{                                                              \
		return on_exit();                                      \
	}

VHOST_FENTRY(vhost_net_ioctl)
VHOST_FENTRY(vhost_vdpa_unlocked_ioctl)
VHOST_FENTRY(vhost_vsock_dev_ioctl)
VHOST_FENTRY(vhost_scsi_ioctl)

SEC("kprobe")
int BPF_KPROBE(kprobe_vhost_ioctl, struct file *filp, unsigned int cmd)
{
	if (!task_wanted())
		return 0;
	return on_enter(cmd, filp, true);
}

SEC("kretprobe")
int BPF_KRETPROBE(kretprobe_vhost_ioctl)
{
	return on_exit();
}

/* Is f a vhost device's file: is its f_op->unlocked_ioctl one of the drivers'? */
static __always_inline bool is_vhost_file(struct file *f)
{
	__u64 fn = (__u64)BPF_CORE_READ(f, f_op, unlocked_ioctl);
	int i;

	if (!fn)
		return false;
	for (i = 0; i < LAT_VHOST_KINDS; i++)
		if (vhost_ioctl_addr[i] == fn)
			return true;
	return false;
}

/* the file_operations of vCPU files, learned by is_vcpu_file() */
__u64 vcpu_fops = 0;

SEC("tracepoint/syscalls/sys_enter_ioctl")
int tp_enter_ioctl(struct trace_event_raw_sys_enter *ctx)
{
	__u32 cmd = (__u32)ctx->args[1], type = (cmd >> 8) & 0xff;
	struct file *f;

	/* cheap test first: only KVMIO commands can be KVM vCPU ioctls, VHOST_VIRTIO vhost */
	if (type == KVMIO && trace_vcpu) {
		if (!task_wanted())
			return 0;
		f = fd_file((unsigned int)ctx->args[0]);
		if (!f || !is_vcpu_file(f, vcpu_ioctl_addr, &vcpu_fops))
			return 0;
		return on_enter(cmd, f, false);
	}
	if (type == VHOST_VIRTIO && trace_vhost) {
		if (!task_wanted())
			return 0;
		f = fd_file((unsigned int)ctx->args[0]);
		if (!f || !is_vhost_file(f))
			return 0;
		return on_enter(cmd, f, true);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int tp_exit_ioctl(void *ctx)
{
	return on_exit();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
