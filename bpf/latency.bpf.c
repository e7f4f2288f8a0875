// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* KVM vCPU ioctl latency: fentry/fexit, kprobe/kretprobe or syscall tracepoints. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core.bpf.h"
#include "latency.h"

#define KVMIO 0xAE

const volatile __u32 targ_tgid = 0;
const volatile bool filter_comm = false;
const volatile char targ_comm[16] = {};
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lat_key);
	__type(value, struct hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, char[16]);
} comms SEC(".maps");

DEFINE_STATS(stats, LAT_STAT_MAX);

static __always_inline bool comm_matches(void)
{
	char comm[16];
	int i;

	bpf_get_current_comm(comm, sizeof(comm));
	for (i = 0; i < 16; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

static __always_inline int vcpu_id_of(struct file *filp)
{
	struct kvm_vcpu *vcpu = BPF_CORE_READ(filp, private_data);

	return BPF_CORE_READ(vcpu, vcpu_id);
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
	s->vcpu = per_vcpu ? vcpu_id_of(filp) : LAT_NO_VCPU;
	s->ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_exit(void)
{
	struct lat_key key = {};
	struct lat_start *s;
	struct hist *h;
	__u64 delta;
	__u32 tgid;

	s = bpf_task_storage_get(&starts, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->ts)
		return 0;
	delta = bpf_ktime_get_ns() - s->ts;
	s->ts = 0;
	key.cmd = s->cmd;
	key.vcpu = s->vcpu;
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (per_pid)
		key.tgid = tgid;

	h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		bpf_map_update_elem(&hists, &key, &zero_hist, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h) {
			stat_inc(&stats, LAT_STAT_HIST_FULL);
			return 0;
		}
		if (per_pid) {
			char comm[16];

			bpf_get_current_comm(comm, sizeof(comm));
			bpf_map_update_elem(&comms, &tgid, comm, BPF_ANY);
		}
	}
	hist_add(h, delta, epoch);
	return 0;
}

/* Returns true when the current task passes the pid/comm filters. */
static __always_inline bool task_wanted(__u64 id)
{
	if (targ_tgid && (id >> 32) != targ_tgid)
		return false;
	if (filter_comm && !comm_matches())
		return false;
	return true;
}

SEC("fentry/kvm_vcpu_ioctl")
int BPF_PROG(fentry_vcpu_ioctl, struct file *filp, unsigned int cmd)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!task_wanted(id))
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
	__u64 id = bpf_get_current_pid_tgid();

	if (!task_wanted(id))
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

SEC("tracepoint/syscalls/sys_enter_ioctl")
int tp_enter_ioctl(struct trace_event_raw_sys_enter *ctx)
{
	__u32 cmd = (__u32)ctx->args[1];
	struct file *f;
	__u64 id;

	/* cheap test first: only KVMIO commands can be KVM vCPU ioctls */
	if (((cmd >> 8) & 0xff) != KVMIO)
		return 0;
	id = bpf_get_current_pid_tgid();
	if (!task_wanted(id))
		return 0;
	f = fd_file((unsigned int)ctx->args[0]);
	if (!f || (__u64)BPF_CORE_READ(f, f_op, unlocked_ioctl) != vcpu_ioctl_addr)
		return 0;
	return on_enter(cmd, f);
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int tp_exit_ioctl(void *ctx)
{
	return on_exit();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
