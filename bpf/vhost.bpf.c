// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vhost virtqueue notifications: kicks (driver to device: a vq's kick eventfd wakes
 * vhost_poll_wakeup) and calls (device to driver: eventfd_signal_mask on a vq's call
 * eventfd), per device and vq, and the time from a kick to the call that answers it.
 * A call eventfd is known once its vq has been seen: at a kick, at vhost-vdpa's virtqueue
 * callback, or when VHOST_SET_VRING_CALL sets it (vhost_vring_ioctl). Dirty logging (a VMM
 * migrating with VHOST_F_LOG_ALL): vhost_log_write, the buffers vhost-net's RX wrote.
 * The vhost types live in modules (vhost, vhost_vdpa), not in vmlinux.h: the ___pvt
 * definitions below are relocated against their BTF.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core.bpf.h"
#include "kvm_task.bpf.h"
#include "vhost.h"

#define PF_KTHREAD	     0x00200000
#define VHOST_SET_VRING_CALL 0x4008af21

struct vhost_dev___pvt;

struct vhost_vring_call___pvt {
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	struct eventfd_ctx *ctx;
} __attribute__((preserve_access_index));

struct vhost_poll___pvt {
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	wait_queue_entry_t wait;
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	__poll_t mask;
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	struct vhost_dev___pvt *dev;
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	struct vhost_virtqueue___pvt *vq;
} __attribute__((preserve_access_index));

struct vhost_virtqueue___pvt {
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	struct vhost_dev___pvt *dev;
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	struct file *kick;
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	struct vhost_vring_call___pvt call_ctx;
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	struct vhost_poll___pvt poll;
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	void *handle_kick;
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	void *iotlb;
} __attribute__((preserve_access_index));

/* one entry of a dirty-log write (struct vhost_log: a guest address and length) */
struct vhost_log___pvt {
	__u64 addr;
	__u64 len;
};

struct vhost_dev___pvt {
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	struct vhost_virtqueue___pvt **vqs;
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	int nvqs;
} __attribute__((preserve_access_index));

struct vhost_vdpa___pvt {
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	struct vhost_dev___pvt vdev;
	// cppcheck-suppress unusedStructMember ; read through BPF_CORE_READ()
	int minor;
} __attribute__((preserve_access_index));

/* VHOST_SET_VRING_CALL's argument (uapi struct vhost_vring_file) */
struct vhost_vring_file___pvt {
	unsigned int index;
	// cppcheck-suppress unusedStructMember ; the layout of the uapi struct
	int fd;
};

const volatile __u32 targ_tgid = 0;
/* vhost_vdpa's handle_vq_kick: its vqs' devices are struct vhost_vdpa (minor) */
const volatile __u64 vdpa_handle_kick = 0;
/* the relay's hooks (KVM's ioeventfd, eventfd reads and writes) are attached */
const volatile bool relay = false;
/* KVM's irqfd_wakeup: the wait function of an irqfd on its eventfd */
const volatile __u64 irqfd_func = 0;

__u32 epoch = 1;

/* max_entries is --max-vqs, set before load */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, VHOST_DEFAULT_VQS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vhost_vq_key);
	__type(value, struct vhost_vq_stats);
} vqstats SEC(".maps");

/* per vq and key.hist: kick to call, the kick relay, the call relay (max_entries: the
 * vqs times VHOST_H_MAX) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, VHOST_DEFAULT_VQS *VHOST_H_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vhost_vq_key);
	__type(value, struct hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VHOST_DEFAULT_VQS);
	__type(key, struct vhost_vq_key);
	__type(value, struct vhost_vq_info);
} vqinfo SEC(".maps");

/* a vq's call eventfd (struct eventfd_ctx *) -> the vq */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VHOST_CALL_CTXS);
	__type(key, __u64);
	__type(value, struct vhost_vq_key);
} callctx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VHOST_DEFAULT_VQS);
	__type(key, __u32);
	__type(value, struct kvm_proc);
} procs SEC(".maps");

/* kprobe mode: vhost_vring_ioctl's arguments, for its return */
struct ioctl_args {
	__u64 dev;
	__u64 argp;
	__u32 cmd;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ioctl_args);
} ioctl_args SEC(".maps");

static const struct vhost_vq_stats zero_stats;

DEFINE_STATS(stats, VHOST_STAT_MAX);

/* vq's index in dev->vqs, or -1 */
static __always_inline int vq_index(struct vhost_dev___pvt *dev, struct vhost_virtqueue___pvt *vq)
{
	struct vhost_virtqueue___pvt **vqs = BPF_CORE_READ(dev, vqs);
	int n = BPF_CORE_READ(dev, nvqs);

	for (int i = 0; i < VHOST_MAX_NVQS; i++) {
		struct vhost_virtqueue___pvt *v = NULL;

		if (i >= n)
			break;
		bpf_probe_read_kernel(&v, sizeof(v), &vqs[i]);
		if (v == vq)
			return i;
	}
	return -1;
}

/* The current task's process, 0 for a kernel thread (vdpa_sim's worker, a vhost worker). */
static __always_inline __u32 user_tgid(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	return t->flags & PF_KTHREAD ? 0 : bpf_get_current_pid_tgid() >> 32;
}

/*
 * The vq's record, made on first sight; its call eventfd learned (or learned anew, when
 * VHOST_SET_VRING_CALL changed it). NULL when the vq is not to be counted.
 */
static __always_inline struct vhost_vq_info *vq_note(struct vhost_virtqueue___pvt *vq,
						     struct vhost_vq_key *key)
{
	struct vhost_dev___pvt *dev = BPF_CORE_READ(vq, dev);
	struct vhost_vq_info *info;
	__u64 ctx;
	__u32 tgid;
	int idx;

	idx = vq_index(dev, vq);
	if (idx < 0) {
		stat_inc(&stats, VHOST_STAT_NO_INDEX);
		return NULL;
	}
	key->dev = (__u64)dev;
	key->vq = idx;
	key->hist = 0;
	tgid = user_tgid();
	/* -p: another process's vq is not even recorded */
	if (targ_tgid && tgid && tgid != targ_tgid)
		return NULL;
	info = bpf_map_lookup_elem(&vqinfo, key);
	if (!info) {
		struct vhost_vq_info new = { .tgid = tgid, .minor = -1 };

		new.handle_kick = (__u64)BPF_CORE_READ(vq, handle_kick);
		if (vdpa_handle_kick && new.handle_kick == vdpa_handle_kick &&
		    bpf_core_type_exists(struct vhost_vdpa___pvt))
			new.minor = BPF_CORE_READ((struct vhost_vdpa___pvt *)dev, minor);
		if (bpf_map_update_elem(&vqinfo, key, &new, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&vqinfo, key)) {
			stat_inc(&stats, VHOST_STAT_VQ_FULL);
			return NULL;
		}
		info = bpf_map_lookup_elem(&vqinfo, key);
		if (!info)
			return NULL;
	}
	/* the owner's record once, when the vq gets its owner (not on every kick) */
	if (!info->tgid && tgid)
		info->tgid = tgid;
	if (info->tgid && !info->noted) {
		kvm_proc_note(&procs, info->tgid);
		info->noted = 1;
	}
	/* the call eventfd: written only when new or changed (an LRU update is no lookup) */
	ctx = (__u64)BPF_CORE_READ(vq, call_ctx.ctx);
	if (ctx) {
		struct vhost_vq_key *known = bpf_map_lookup_elem(&callctx, &ctx);

		if (!known || known->dev != key->dev || known->vq != key->vq)
			bpf_map_update_elem(&callctx, &ctx, key, BPF_ANY);
	}
	return info;
}

static __always_inline bool owner_wanted(const struct vhost_vq_info *info)
{
	return !targ_tgid || info->tgid == targ_tgid;
}

static __always_inline struct vhost_vq_stats *stats_of(const struct vhost_vq_key *key)
{
	struct vhost_vq_stats *st = map_lookup_or_init(&vqstats, key, &zero_stats);

	if (!st)
		stat_inc(&stats, VHOST_STAT_VQ_FULL);
	return st;
}

static __always_inline void vq_hist_add(const struct vhost_vq_key *vq, enum vhost_hist which,
					__u64 ns)
{
	struct vhost_vq_key k = *vq;
	struct hist *h;

	k.hist = which;
	h = map_lookup_or_init(&hists, &k, &zero_hist);
	if (h)
		hist_add(h, ns, epoch);
	else
		stat_inc(&stats, VHOST_STAT_VQ_FULL);
}

/*
 * The relay (QEMU's shadow virtqueue): a process reads one eventfd and writes the next,
 * guest notification (KVM ioeventfd) -> the vq's kick, the vq's call -> the guest's KVM
 * irqfd. efdmark follows each chain through the eventfds themselves: where its latest
 * signal began (a KVM ioeventfd, a vq's call) and how many reads and writes since. A
 * process's last successful read of a marked eventfd is kept in its task storage, and
 * its next writes carry that mark on. The ends: the kick's eventfd waking the vq
 * (on_wakeup), and a write or signal of an eventfd a KVM irqfd waits on (is_irqfd): the
 * guest's interrupt. fentry on kvm's irqfd_wakeup attaches in Debian's 6.12 but never runs
 * (it is not among ftrace's enabled functions), so the irqfd is found by its wait entry.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VHOST_CALL_CTXS);
	__type(key, __u64);
	__type(value, struct vhost_efd_mark);
} efdmark SEC(".maps");

/* per task: the mark of the eventfd it last read, and the ioeventfd it is signalling */
struct relay_task {
	struct vhost_efd_mark read; /* valid if read_ok */
	__u64 ioeventfd;	    /* ioeventfd_write's eventfd, until eventfd_signal_mask */
	__u32 read_ok;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct relay_task);
} relay_tasks SEC(".maps");

#define IRQFD_WAITERS 8 /* an eventfd's waiters searched for a KVM irqfd */

/*
 * Is a KVM irqfd (the guest's interrupt) among the eventfd's first waiters? Read where the
 * signal is sent, before the wakeup: the irqfd is recognised by its wait function.
 */
static __always_inline bool is_irqfd(__u64 ctx)
{
	struct eventfd_ctx *c = (void *)ctx;
	struct list_head *head = &c->wqh.head, *pos = BPF_CORE_READ(c, wqh.head.next);

	for (int i = 0; i < IRQFD_WAITERS && pos && pos != head; i++) {
		wait_queue_entry_t *e =
			(void *)((__u64)pos - bpf_core_field_offset(wait_queue_entry_t, entry));

		if ((__u64)BPF_CORE_READ(e, func) == irqfd_func)
			return true;
		pos = BPF_CORE_READ(pos, next);
	}
	return false;
}

static __always_inline void mark_set(__u64 ctx, const struct vhost_efd_mark *m)
{
	if (bpf_map_update_elem(&efdmark, &ctx, m, BPF_ANY))
		stat_inc(&stats, VHOST_STAT_RELAY_LOST);
}

/* ctx's latest signal, now, begins a chain (from; vq for a call) */
static __always_inline void mark_start(__u64 ctx, __u32 from, const struct vhost_vq_key *vq)
{
	struct vhost_efd_mark m = { .origin_ns = bpf_ktime_get_ns(), .from = from };

	if (vq)
		m.vq = *vq;
	mark_set(ctx, &m);
}

/*
 * A kernel signal of ctx (eventfd_signal_mask): the start of a chain when it is a vq's call
 * (vq) or the ioeventfd this task is signalling; any other signal ends a chain there. The
 * clock is read only when something is marked: most eventfds of the system are not.
 */
static __always_inline int mark_signal(__u64 ctx, const struct vhost_vq_key *vq)
{
	struct relay_task *t;

	if (!relay)
		return 0;
	if (vq) {
		mark_start(ctx, VHOST_FROM_CALL, vq);
		return 0;
	}
	t = bpf_task_storage_get(&relay_tasks, bpf_get_current_task_btf(), 0, 0);
	if (t && t->ioeventfd == ctx) {
		t->ioeventfd = 0;
		mark_start(ctx, VHOST_FROM_GUEST, NULL);
	} else if (bpf_map_lookup_elem(&efdmark, &ctx)) {
		mark_start(ctx, VHOST_FROM_OTHER, NULL);
	}
	return 0;
}

/* ioeventfd_write: the guest wrote a notify address a KVM ioeventfd is bound to */
static __always_inline int on_ioeventfd(struct kvm_io_device *dev)
{
	struct _ioeventfd *p = (void *)((__u64)dev - bpf_core_field_offset(struct _ioeventfd, dev));
	struct relay_task *t = bpf_task_storage_get(&relay_tasks, bpf_get_current_task_btf(), 0,
						    BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (t)
		t->ioeventfd = (__u64)BPF_CORE_READ(p, eventfd);
	return 0;
}

/* eventfd_read: a process takes a marked eventfd's count; its next writes relay it */
static __always_inline int on_efd_read(struct kiocb *iocb)
{
	__u64 ctx = (__u64)BPF_CORE_READ(iocb, ki_filp, private_data);
	struct vhost_efd_mark *m = bpf_map_lookup_elem(&efdmark, &ctx);
	struct relay_task *t;

	/* an empty read (EAGAIN) relays nothing */
	if (m && !BPF_CORE_READ((struct eventfd_ctx *)ctx, count))
		m = NULL;
	t = bpf_task_storage_get(&relay_tasks, bpf_get_current_task_btf(), 0,
				 m ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!t)
		return 0;
	t->read_ok = m != NULL;
	if (m)
		t->read = *m;
	return 0;
}

/* a vq's call a process relayed to a KVM irqfd, now */
static __always_inline void call_relayed(const struct vhost_efd_mark *m, __u64 now)
{
	struct vhost_vq_key vq = m->vq;
	struct vhost_vq_info *info = bpf_map_lookup_elem(&vqinfo, &vq);
	struct vhost_vq_stats *st;

	if (!info || !owner_wanted(info))
		return;
	st = stats_of(&vq);
	if (!st)
		return;
	st->relay_calls++;
	vq_hist_add(&vq, VHOST_H_CALL_RELAY, now - m->origin_ns);
}

/* eventfd_write: one hop further if the writer last read a marked eventfd */
static __always_inline int on_efd_write(struct file *file)
{
	__u64 ctx = (__u64)BPF_CORE_READ(file, private_data);
	struct relay_task *t = bpf_task_storage_get(&relay_tasks, bpf_get_current_task_btf(), 0, 0);
	struct vhost_efd_mark m;

	if (t && t->read_ok && t->read.from == VHOST_FROM_CALL && is_irqfd(ctx)) {
		/* the chain's end: the guest's interrupt, woken by this write */
		call_relayed(&t->read, bpf_ktime_get_ns());
	} else if (t && t->read_ok) {
		m = t->read;
		m.hops++;
		mark_set(ctx, &m);
	} else if (bpf_map_lookup_elem(&efdmark, &ctx)) {
		mark_start(ctx, VHOST_FROM_OTHER, NULL);
	}
	return 0;
}

/* a kick that began at a KVM ioeventfd: directly its eventfd, or relayed */
static __always_inline void kick_from_guest(struct vhost_virtqueue___pvt *vq,
					    const struct vhost_vq_key *k, struct vhost_vq_stats *st,
					    __u64 now)
{
	__u64 ctx = (__u64)BPF_CORE_READ(vq, kick, private_data);
	struct vhost_efd_mark *m = bpf_map_lookup_elem(&efdmark, &ctx);

	if (!m || m->from != VHOST_FROM_GUEST)
		return;
	if (!m->hops) {
		st->guest_kicks++;
		return;
	}
	st->relay_kicks++;
	vq_hist_add(k, VHOST_H_KICK_RELAY, now - m->origin_ns);
}

static __always_inline int on_wakeup(wait_queue_entry_t *wait, void *key)
{
	struct vhost_poll___pvt *poll =
		(void *)((__u64)wait - bpf_core_field_offset(struct vhost_poll___pvt, wait));
	struct vhost_virtqueue___pvt *vq;
	struct vhost_vq_key k;
	struct vhost_vq_info *info;
	struct vhost_vq_stats *st;
	__u64 now;

	/* as vhost_poll_wakeup: a wakeup for events it does not wait for does nothing */
	if (!((__u64)key & BPF_CORE_READ(poll, mask)))
		return 0;
	vq = BPF_CORE_READ(poll, vq);
	/* a vq's own poll is its kick; vhost-net's socket polls name a vq too */
	if (!vq ||
	    (__u64)poll != (__u64)vq + bpf_core_field_offset(struct vhost_virtqueue___pvt, poll))
		return 0;
	info = vq_note(vq, &k);
	if (!info || !owner_wanted(info))
		return 0;
	st = stats_of(&k);
	if (!st)
		return 0;
	st->kicks++;
	now = bpf_ktime_get_ns();
	__sync_val_compare_and_swap(&info->kick_ts, 0, now);
	if (relay)
		kick_from_guest(vq, &k, st, now);
	return 0;
}

static __always_inline int on_signal(struct eventfd_ctx *ctx)
{
	__u64 c = (__u64)ctx, ts;
	struct vhost_vq_key *k = bpf_map_lookup_elem(&callctx, &c);
	struct vhost_vq_info *info;
	struct vhost_vq_stats *st;

	if (!k)
		return mark_signal(c, NULL);
	info = bpf_map_lookup_elem(&vqinfo, k);
	if (!info || !owner_wanted(info))
		return 0;
	st = stats_of(k);
	if (!st)
		return 0;
	st->calls++;
	if (relay && is_irqfd(c))
		st->guest_calls++; /* the call eventfd is the guest's irqfd */
	ts = __sync_lock_test_and_set(&info->kick_ts, 0);
	if (ts) {
		vq_hist_add(k, VHOST_H_K2C, bpf_ktime_get_ns() - ts);
	}
	mark_signal(c, k);
	return 0;
}

static __always_inline int on_vdpa_cb(void *private)
{
	struct vhost_vq_key k;

	vq_note(private, &k);
	return 0;
}

/* VHOST_SET_VRING_CALL done: the vq's new call eventfd */
static __always_inline int on_vring_ioctl_done(struct vhost_dev___pvt *d, __u32 cmd, void *argp,
					       long ret)
{
	struct vhost_vring_file___pvt f;
	struct vhost_virtqueue___pvt *vq = NULL, **vqs;
	struct vhost_vq_key k;

	if (cmd != VHOST_SET_VRING_CALL || ret || bpf_probe_read_user(&f, sizeof(f), argp))
		return 0;
	if (f.index >= VHOST_MAX_NVQS || (int)f.index >= BPF_CORE_READ(d, nvqs))
		return 0;
	vqs = BPF_CORE_READ(d, vqs);
	bpf_probe_read_kernel(&vq, sizeof(vq), &vqs[f.index]);
	if (vq)
		vq_note(vq, &k);
	return 0;
}

/* the dirty-bitmap bits log_write sets for len bytes at addr: one per page touched */
static __always_inline __u64 log_span(__u64 addr, __u64 len)
{
	return len ? ((addr & 4095) + len + 4095) >> 12 : 0;
}

/*
 * vhost_log_write(vq, log, log_num, len, iov, count): len bytes logged. Without an IOTLB
 * log_write marks the pages of each log entry (guest addresses) up to len bytes; with one,
 * the pages of each iovec (virtual addresses whose pages are the guest's: the VMM maps
 * guest memory page-aligned).
 */
static __always_inline int on_log_write(struct vhost_virtqueue___pvt *vq,
					struct vhost_log___pvt *log, __u32 log_num, __u64 len,
					struct iovec *iov, int count)
{
	struct vhost_vq_key k;
	struct vhost_vq_info *info = vq_note(vq, &k);
	struct vhost_vq_stats *st;
	__u64 pages = 0, left = len;
	bool viova = BPF_CORE_READ(vq, iotlb) != NULL;
	__u32 n = viova ? (__u32)count : log_num;

	if (!info || !owner_wanted(info))
		return 0;
	st = stats_of(&k);
	if (!st)
		return 0;
	for (__u32 i = 0; i < VHOST_LOG_ENTRIES && i < n && left; i++) {
		struct vhost_log___pvt e = {};
		struct iovec v = {};

		if (viova) {
			bpf_probe_read_kernel(&v, sizeof(v), &iov[i]);
			e.addr = (__u64)v.iov_base;
			e.len = v.iov_len;
		} else {
			bpf_probe_read_kernel(&e, sizeof(e), &log[i]);
			if (e.len > left)
				e.len = left;
			left -= e.len;
		}
		pages += log_span(e.addr, e.len);
	}
	if (n > VHOST_LOG_ENTRIES && left)
		stat_inc(&stats, VHOST_STAT_LOG_LONG);
	st->log_writes++;
	st->log_bytes += len;
	st->log_pages += pages;
	return 0;
}

SEC("fentry/vhost_log_write")
int BPF_PROG(fentry_log_write, struct vhost_virtqueue___pvt *vq, struct vhost_log___pvt *log,
	     unsigned int log_num, __u64 len, struct iovec *iov, int count)
{
	return on_log_write(vq, log, log_num, len, iov, count);
}

/* the sixth argument, which this libbpf's BPF_KPROBE does not reach (s390: on the stack) */
#if defined(__TARGET_ARCH_x86)
#define KPROBE_PARM6(r) ((int)(r)->r9)
#elif defined(__TARGET_ARCH_arm64)
#define KPROBE_PARM6(r) ((int)(r)->regs[5])
#else
#define KPROBE_PARM6(r) 0 /* only the IOTLB case's pages read it: none counted */
#endif

SEC("kprobe/vhost_log_write")
int BPF_KPROBE(kprobe_log_write, struct vhost_virtqueue___pvt *vq, struct vhost_log___pvt *log,
	       unsigned int log_num, __u64 len, struct iovec *iov)
{
	int count = KPROBE_PARM6(ctx);

	return on_log_write(vq, log, log_num, len, iov, count);
}

SEC("fentry/ioeventfd_write")
int BPF_PROG(fentry_ioeventfd, struct kvm_vcpu *vcpu, struct kvm_io_device *dev)
{
	return on_ioeventfd(dev);
}

SEC("fentry/eventfd_read")
int BPF_PROG(fentry_efd_read, struct kiocb *iocb)
{
	return on_efd_read(iocb);
}

SEC("fentry/eventfd_write")
int BPF_PROG(fentry_efd_write, struct file *file)
{
	return on_efd_write(file);
}

SEC("kprobe/ioeventfd_write")
int BPF_KPROBE(kprobe_ioeventfd, struct kvm_vcpu *vcpu, struct kvm_io_device *dev)
{
	return on_ioeventfd(dev);
}

SEC("kprobe/eventfd_read")
int BPF_KPROBE(kprobe_efd_read, struct kiocb *iocb)
{
	return on_efd_read(iocb);
}

SEC("kprobe/eventfd_write")
int BPF_KPROBE(kprobe_efd_write, struct file *file)
{
	return on_efd_write(file);
}

SEC("fentry/vhost_poll_wakeup")
int BPF_PROG(fentry_vhost_wakeup, wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	return on_wakeup(wait, key);
}

SEC("fentry/eventfd_signal_mask")
int BPF_PROG(fentry_eventfd_signal, struct eventfd_ctx *efd)
{
	return on_signal(efd);
}

SEC("fentry/vhost_vdpa_virtqueue_cb")
int BPF_PROG(fentry_vdpa_cb, void *private)
{
	return on_vdpa_cb(private);
}

SEC("fexit/vhost_vring_ioctl")
int BPF_PROG(fexit_vring_ioctl, struct vhost_dev___pvt *d, unsigned int cmd, void *argp, long ret)
{
	return on_vring_ioctl_done(d, cmd, argp, ret);
}

SEC("kprobe/vhost_poll_wakeup")
int BPF_KPROBE(kprobe_vhost_wakeup, wait_queue_entry_t *wait, unsigned int mode, int sync,
	       void *key)
{
	return on_wakeup(wait, key);
}

SEC("kprobe/eventfd_signal_mask")
int BPF_KPROBE(kprobe_eventfd_signal, struct eventfd_ctx *efd)
{
	return on_signal(efd);
}

SEC("kprobe/vhost_vdpa_virtqueue_cb")
int BPF_KPROBE(kprobe_vdpa_cb, void *private)
{
	return on_vdpa_cb(private);
}

SEC("kprobe/vhost_vring_ioctl")
int BPF_KPROBE(kprobe_vring_ioctl, struct vhost_dev___pvt *d, unsigned int cmd, void *argp)
{
	struct ioctl_args *a;

	if (cmd != VHOST_SET_VRING_CALL)
		return 0;
	a = bpf_task_storage_get(&ioctl_args, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (a) {
		a->dev = (__u64)d;
		a->argp = (__u64)argp;
		a->cmd = cmd;
	}
	return 0;
}

SEC("kretprobe/vhost_vring_ioctl")
int BPF_KRETPROBE(kretprobe_vring_ioctl, long ret)
{
	struct ioctl_args *a = bpf_task_storage_get(&ioctl_args, bpf_get_current_task_btf(), 0, 0);
	__u32 cmd;

	if (!a || !a->cmd)
		return 0;
	cmd = a->cmd;
	a->cmd = 0;
	return on_vring_ioctl_done((void *)a->dev, cmd, (void *)a->argp, ret);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
