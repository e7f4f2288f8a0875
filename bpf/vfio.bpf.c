// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vfio device requests: vfio_unregister_group_dev() (entry/exit), every
 * vfio_device_ops.request implementation (program slots pointed at run time)
 * and vfio_device_put_registration() (the put that drops the last reference
 * is the release the unregistering task waits for).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "core.bpf.h"
#include "vfio.h"

/*
 * vfio types live in module BTF (vfio, vfio_pci_core, ...), not in vmlinux.h:
 * local flavours with only the fields used; CO-RE finds them by name.
 */
struct vfio_device_ops___pv {
	char *name;
} __attribute__((preserve_access_index));

struct vfio_device___pv {
	struct device *dev;
	const struct vfio_device_ops___pv *ops;
	refcount_t refcount;
} __attribute__((preserve_access_index));

struct vfio_pci_core_device___pv {
	struct vfio_device___pv vdev;
	void *req_trigger;
} __attribute__((preserve_access_index));

struct vfio_ccw_private___pv {
	struct vfio_device___pv vdev;
	void *req_trigger;
} __attribute__((preserve_access_index));

struct ap_matrix_mdev___pv {
	struct vfio_device___pv vdev;
	void *req_trigger;
} __attribute__((preserve_access_index));

const volatile __u32 req_kind[VFIO_REQ_SLOTS] = {};
const volatile bool emit_events = false;
const volatile bool filter_dev = false;
const volatile char targ_dev[VFIO_NAME_LEN] = {};

__u32 epoch = 1;
static const struct vfio_dev_stats zero_stats;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64); /* struct vfio_device address */
	__type(value, struct vfio_inflight);
} vfio_inflight SEC(".maps");

/* kprobe mode: the device each unregistering thread works on, for the kretprobe */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} vfio_unreg_tid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct vfio_key);
	__type(value, struct vfio_dev_stats);
} vfio_devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 2048);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vfio_hkey);
	__type(value, struct hist);
} vfio_hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} vfio_events SEC(".maps");

DEFINE_STATS(vfio_drops, VFIO_STAT_MAX);

static __always_inline void task_of_current(struct vfio_task *t)
{
	__u64 id = bpf_get_current_pid_tgid();

	t->pid = id >> 32;
	t->tid = (__u32)id;
	bpf_get_current_comm(t->comm, sizeof(t->comm));
}

/* dev_name() of the parent device and its driver's name (ops->name without one). */
static __always_inline void key_of(struct vfio_device___pv *vdev, struct vfio_key *k)
{
	struct device *dev = BPF_CORE_READ(vdev, dev);
	const char *name = BPF_CORE_READ(dev, kobj.name);
	const char *drv = BPF_CORE_READ(dev, driver, name);

	if (name)
		bpf_probe_read_kernel_str(k->dev, sizeof(k->dev), name);
	if (!drv)
		drv = BPF_CORE_READ(vdev, ops, name);
	if (drv)
		bpf_probe_read_kernel_str(k->driver, sizeof(k->driver), drv);
}

static __always_inline bool dev_wanted(const struct vfio_key *k)
{
	int i;

	if (!filter_dev)
		return true;
	for (i = 0; i < VFIO_NAME_LEN; i++) {
		if (k->dev[i] != targ_dev[i])
			return false;
		if (!k->dev[i])
			break;
	}
	return true;
}

static __always_inline struct vfio_dev_stats *dev_stats(const struct vfio_key *k)
{
	struct vfio_dev_stats *s = map_lookup_or_init(&vfio_devs, k, &zero_stats);

	if (!s)
		stat_inc(&vfio_drops, VFIO_STAT_DEV_FULL);
	return s;
}

static __always_inline void hist_record(const struct vfio_key *k, __u32 kind, __u64 v)
{
	struct vfio_hkey hk = { .dev = *k, .kind = kind };
	struct hist *h = map_lookup_or_init(&vfio_hists, &hk, &zero_hist);

	if (!h) {
		stat_inc(&vfio_drops, VFIO_STAT_HIST_FULL);
		return;
	}
	hist_add(h, v, epoch);
}

static __always_inline void emit(__u32 type, __u64 ts, __u64 vdev, const struct vfio_key *k,
				 const struct vfio_task *t, __u32 index, __s32 listener, __u32 slot,
				 __u64 first_lat, __u64 last_lat)
{
	struct vfio_event *e;

	if (!emit_events)
		return;
	e = bpf_ringbuf_reserve(&vfio_events, sizeof(*e), 0);
	if (!e) {
		stat_inc(&vfio_drops, VFIO_STAT_RINGBUF_FULL);
		return;
	}
	e->ts = ts;
	e->vdev = vdev;
	e->first_lat = first_lat;
	e->last_lat = last_lat;
	e->type = type;
	e->index = index;
	e->listener = listener;
	e->slot = slot;
	e->task = *t;
	e->key = *k;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int on_unregister(struct vfio_device___pv *vdev, bool by_tid)
{
	struct vfio_inflight inf = {};
	struct vfio_dev_stats *s;
	__u64 addr = (__u64)vdev;

	key_of(vdev, &inf.key);
	if (!dev_wanted(&inf.key))
		return 0;
	inf.start = bpf_ktime_get_ns();
	task_of_current(&inf.unreg);
	if (bpf_map_update_elem(&vfio_inflight, &addr, &inf, BPF_ANY)) {
		stat_inc(&vfio_drops, VFIO_STAT_INFLIGHT_FULL);
		return 0;
	}
	if (by_tid)
		bpf_map_update_elem(&vfio_unreg_tid, &inf.unreg.tid, &addr, BPF_ANY);
	s = dev_stats(&inf.key);
	if (s)
		__sync_fetch_and_add(&s->unregisters, 1);
	emit(VFIO_EV_UNREGISTER, inf.start, addr, &inf.key, &inf.unreg, 0, 0, 0, 0, 0);
	return 0;
}

static __always_inline int on_unregister_exit(__u64 addr)
{
	struct vfio_inflight *inf = bpf_map_lookup_elem(&vfio_inflight, &addr);
	struct vfio_dev_stats *s;
	__u64 now = bpf_ktime_get_ns(), blocked, first = 0, last = 0;

	if (!inf || !inf->start)
		return 0;
	blocked = now - inf->start;
	if (inf->release && inf->first_req) {
		first = inf->release - inf->first_req;
		last = inf->release - inf->last_req;
	}
	hist_record(&inf->key, VFIO_H_BLOCKED, blocked);
	s = dev_stats(&inf->key);
	if (s) {
		__sync_fetch_and_add(&s->unblocked, 1);
		s->last_blocked = blocked;
		s->last_requests = inf->requests;
		s->last_first_lat = first;
		s->last_last_lat = last;
		s->last_unreg = inf->unreg;
		s->last_holder = inf->holder;
	}
	emit(VFIO_EV_UNBLOCKED, now, addr, &inf->key, &inf->unreg, inf->requests, 0, 0, blocked, 0);
	bpf_map_delete_elem(&vfio_inflight, &addr);
	return 0;
}

/* Listener of a request: the driver's req_trigger (an eventfd), where the driver is known. */
static __always_inline __s32 listener_of(struct vfio_device___pv *vdev, __u32 kind)
{
	void *trig;

	if (kind == VFIO_REQ_PCI_CORE && bpf_core_type_exists(struct vfio_pci_core_device___pv)) {
		struct vfio_pci_core_device___pv *p =
			(void *)vdev -
			bpf_core_field_offset(struct vfio_pci_core_device___pv, vdev);

		trig = BPF_CORE_READ(p, req_trigger);
		return trig ? VFIO_LISTENER_YES : VFIO_LISTENER_NONE;
	}
	if (kind == VFIO_REQ_CCW && bpf_core_type_exists(struct vfio_ccw_private___pv)) {
		struct vfio_ccw_private___pv *p =
			(void *)vdev - bpf_core_field_offset(struct vfio_ccw_private___pv, vdev);

		trig = BPF_CORE_READ(p, req_trigger);
		return trig ? VFIO_LISTENER_YES : VFIO_LISTENER_NONE;
	}
	if (kind == VFIO_REQ_AP && bpf_core_type_exists(struct ap_matrix_mdev___pv)) {
		struct ap_matrix_mdev___pv *p =
			(void *)vdev - bpf_core_field_offset(struct ap_matrix_mdev___pv, vdev);

		trig = BPF_CORE_READ(p, req_trigger);
		return trig ? VFIO_LISTENER_YES : VFIO_LISTENER_NONE;
	}
	return VFIO_LISTENER_UNKNOWN;
}

static __always_inline int on_request(struct vfio_device___pv *vdev, __u32 count, __u32 slot)
{
	__u64 addr = (__u64)vdev, now = bpf_ktime_get_ns();
	struct vfio_inflight *inf = bpf_map_lookup_elem(&vfio_inflight, &addr);
	struct vfio_dev_stats *s;
	struct vfio_task t;
	__s32 listener;

	if (!inf) {
		/* the unregister began before pvtrace attached */
		struct vfio_inflight n = {};

		key_of(vdev, &n.key);
		if (!dev_wanted(&n.key))
			return 0;
		if (bpf_map_update_elem(&vfio_inflight, &addr, &n, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&vfio_inflight, &addr)) {
			stat_inc(&vfio_drops, VFIO_STAT_INFLIGHT_FULL);
			return 0;
		}
		inf = bpf_map_lookup_elem(&vfio_inflight, &addr);
		if (!inf)
			return 0;
	}
	listener = listener_of(vdev, req_kind[slot & (VFIO_REQ_SLOTS - 1)]);
	if (!inf->first_req)
		inf->first_req = now;
	inf->last_req = now;
	inf->last_index = count;
	__sync_fetch_and_add(&inf->requests, 1);
	task_of_current(&t);
	s = dev_stats(&inf->key);
	if (s) {
		__sync_fetch_and_add(&s->requests, 1);
		if (listener == VFIO_LISTENER_YES)
			__sync_fetch_and_add(&s->req_listener, 1);
		else if (listener == VFIO_LISTENER_NONE)
			__sync_fetch_and_add(&s->req_none, 1);
		s->last_index = count;
	}
	emit(VFIO_EV_REQUEST, now, addr, &inf->key, &t, count, listener, slot, 0, 0);
	return 0;
}

/*
 * vfio_device_put_registration(): refcount_dec_and_test(). Once unregistering
 * has begun no new reference can be taken, so the put that finds the count at
 * 1 is the one that completes device->comp and unblocks the unregister.
 */
static __always_inline int on_put(struct vfio_device___pv *vdev)
{
	__u64 addr = (__u64)vdev, now, first = 0, last = 0;
	struct vfio_inflight *inf = bpf_map_lookup_elem(&vfio_inflight, &addr);
	struct vfio_dev_stats *s;

	if (!inf || inf->release)
		return 0;
	if (BPF_CORE_READ(vdev, refcount.refs.counter) != 1)
		return 0;
	now = bpf_ktime_get_ns();
	if (__sync_val_compare_and_swap(&inf->release, 0, now))
		return 0;
	task_of_current(&inf->holder);
	if (inf->first_req) {
		first = now - inf->first_req;
		last = now - inf->last_req;
		hist_record(&inf->key, VFIO_H_RELEASE, first);
	}
	s = dev_stats(&inf->key);
	if (s)
		__sync_fetch_and_add(&s->releases, 1);
	emit(VFIO_EV_RELEASE, now, addr, &inf->key, &inf->holder, inf->requests, 0, 0, first, last);
	/* no exit will come for an unregister that began before we attached */
	if (!inf->start)
		bpf_map_delete_elem(&vfio_inflight, &addr);
	return 0;
}

SEC("fentry/vfio_unregister_group_dev")
int BPF_PROG(vfio_unreg, struct vfio_device___pv *vdev)
{
	return on_unregister(vdev, false);
}

SEC("fexit/vfio_unregister_group_dev")
int BPF_PROG(vfio_unreg_ret, struct vfio_device___pv *vdev)
{
	return on_unregister_exit((__u64)vdev);
}

SEC("fentry/vfio_device_put_registration")
int BPF_PROG(vfio_put_reg, struct vfio_device___pv *vdev)
{
	return on_put(vdev);
}

SEC("kprobe/vfio_unregister_group_dev")
int BPF_KPROBE(vfio_unreg_kp, struct vfio_device___pv *vdev)
{
	return on_unregister(vdev, true);
}

SEC("kretprobe/vfio_unregister_group_dev")
int BPF_KRETPROBE(vfio_unreg_krp)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *addr = bpf_map_lookup_elem(&vfio_unreg_tid, &tid), a;

	if (!addr)
		return 0;
	a = *addr;
	bpf_map_delete_elem(&vfio_unreg_tid, &tid);
	return on_unregister_exit(a);
}

SEC("kprobe/vfio_device_put_registration")
int BPF_KPROBE(vfio_put_reg_kp, struct vfio_device___pv *vdev)
{
	return on_put(vdev);
}

/* Request slots: user space points each at one .request implementation. */
#define REQ_SLOT(n)                                                                         \
	SEC("fentry")                                                                       \
	int BPF_PROG(vfio_req##n, struct vfio_device___pv *vdev, unsigned int count)        \
	{                                                                                   \
		return on_request(vdev, count, n);                                          \
	}                                                                                   \
	SEC("kprobe")                                                                       \
	int BPF_KPROBE(vfio_req##n##_kp, struct vfio_device___pv *vdev, unsigned int count) \
	{                                                                                   \
		return on_request(vdev, count, n);                                          \
	}

REQ_SLOT(0)
REQ_SLOT(1)
REQ_SLOT(2)
REQ_SLOT(3)
REQ_SLOT(4)
REQ_SLOT(5)
REQ_SLOT(6)
REQ_SLOT(7)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
