// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace vhost: virtqueue kicks and calls per vhost device and vq, and kick-to-call time. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "vhost/vhost_int.h"
#include "vhost.skel.h"
#include "btf_min.h"
#include "commands.h"
#include "ksyms.h"
#include "output.h"
#include "util.h"

struct vhost_env vhost_env = {
	.c.unit = UNIT_US,
	.c.default_buckets = { 10, 34, 2 },
	.max_vqs = VHOST_DEFAULT_VQS,
};
#define env vhost_env

enum {
	OPT_DEVICE = 0x100,
	OPT_VM,
	OPT_HIST,
	OPT_MAX_VQS,
};

static const char doc[] =
	"Virtqueue notifications of vhost devices (vhost-net, vhost-vdpa, vhost-vsock,\n"
	"vhost-scsi), per device and vq: kicks (driver to device: the vq's kick eventfd\n"
	"woke the device), calls (device to driver: its call eventfd was signalled), their\n"
	"rates, and the time from the first kick no call has answered yet to the next call.\n"
	"While a VMM migrates (VHOST_F_LOG_ALL), the dirty logging of each vq: buffers\n"
	"logged, bytes and dirty-bitmap pages (vhost_log_write: vhost-net's RX; the used\n"
	"ring's own logging is not counted).\n"
	"With KVM: the kicks that began as a guest's notification (KVM ioeventfd) and the\n"
	"calls that reach its interrupt (KVM irqfd), direct or relayed by a process that\n"
	"read one eventfd and wrote the next (QEMU's shadow virtqueue, x-svq=on), with the\n"
	"relay's time each way (--hist: its histograms).\n"
	"\n"
	"Examples:\n"
	"  pvtrace vhost                         # until Ctrl-C, then one report\n"
	"  pvtrace vhost 1 10                    # ten 1-second reports, rates per second\n"
	"  pvtrace vhost --device vhost-vdpa-0 --hist -d 10s\n"
	"  pvtrace vhost -p 1234 --json 5        # one QEMU, a JSON document each 5 s\n"
	"  pvtrace vhost 15 --prom /var/lib/prometheus/node-exporter/pvtrace-vhost.prom\n"
	"\n"
	"Attach modes: fentry on vhost_poll_wakeup (kicks), eventfd_signal_mask (calls),\n"
	"vhost_log_write (dirty logging), ioeventfd_write, eventfd_read and eventfd_write\n"
	"(the relay), vhost_vring_ioctl and vhost-vdpa's virtqueue callback (which call\n"
	"eventfd is whose), else kprobes on the same; the kernel has no tracepoints there.\n"
	"A call eventfd is known once its vq is seen: when VHOST_SET_VRING_CALL sets it, at\n"
	"a kick, or at vhost-vdpa's callback; calls of a vq set up before pvtrace started\n"
	"and never kicked since are not seen. The owner is the process whose task first touched "
	"the\n"
	"vq (the VMM: its ioctls, its vCPU threads' notifications). Devices are named as\n"
	"in /dev (vhost-net, vhost-vdpa-N); a process's second vhost-net is vhost-net#1.\n"
	"Exit status: 0 ok, 1 runtime error or notifications lost, 2 usage error.";

static const struct cli_opt opts[] = {
	{ "pid", 'p', "PID", "Only the devices of this process" },
	{ "vm", OPT_VM, "NAME", "Only the devices of the VM of this name (QEMU -name)" },
	{ "device", OPT_DEVICE, "NAME", "Only this device (vhost-net, vhost-vdpa-0, ...)" },
	{ "hist", OPT_HIST, NULL, "Text: each vq's histograms (kick to call, the relays)" },
	{ "max-vqs", OPT_MAX_VQS, "N", "Virtqueues kept at most (default 4096)" },
	CLI_OPT_DURATION,
	CLI_OPT_UNIT("us"),
	CLI_OPT_JSON(VHOST_SCHEMA),
	CLI_OPT_PROM,
	CLI_OPT_MODE("fentry or kprobe"),
	CLI_OPT_VERBOSE,
	{ NULL, 0, NULL, NULL },
};

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	uint64_t v;

	(void)ctx;
	switch (key) {
	case 'p':
		return cli_pid_opt(arg, &env.pid, err, len);
	case OPT_VM:
		return cli_name_opt("VM name", arg, 190, &env.vm, err, len);
	case OPT_DEVICE:
		return cli_name_opt("device", arg, 70, &env.device, err, len);
	case OPT_HIST:
		env.hist = true;
		break;
	case OPT_MAX_VQS:
		if (!parse_u64(arg, &v) || !v || v > 1000000) {
			snprintf(err, len, "invalid --max-vqs '%s' (1 to 1000000)", arg);
			return -1;
		}
		env.max_vqs = v;
		break;
	default:
		return CLI_UNHANDLED;
	}
	return 0;
}

struct vhost_ctx {
	struct vhost_bpf *skel;
	struct btf_min btf;
	bool have_vdpa;		   /* vhost_vdpa's callback is in the kernel */
	bool have_relay;	   /* KVM's ioeventfd and irqfd: the relay can be followed */
	uint64_t irqfd_func;	   /* KVM's irqfd_wakeup: an irqfd's wait function */
	uint64_t vdpa_handle_kick; /* its handle_vq_kick, 0 if absent or hidden */
	struct ksyms *ks;	   /* for the kick handlers' names */
};

static const struct attach_target target = {
	.func = "vhost_poll_wakeup",
	.module = "vhost",
};

/* what a program needs beside vhost */
enum { NEED_NONE, NEED_VDPA, NEED_RELAY };

/*
 * In attach order: where call eventfds are learned before the calls are counted, and the
 * relay's marks before the ends that read them.
 */
#define PROGS(s, X)                                           \
	X(s, fexit_vring_ioctl, ATTACH_FENTRY, NEED_NONE)     \
	X(s, fentry_vdpa_cb, ATTACH_FENTRY, NEED_VDPA)        \
	X(s, fentry_ioeventfd, ATTACH_FENTRY, NEED_RELAY)     \
	X(s, fentry_efd_read, ATTACH_FENTRY, NEED_RELAY)      \
	X(s, fentry_efd_write, ATTACH_FENTRY, NEED_RELAY)     \
	X(s, fentry_vhost_wakeup, ATTACH_FENTRY, NEED_NONE)   \
	X(s, fentry_eventfd_signal, ATTACH_FENTRY, NEED_NONE) \
	X(s, fentry_log_write, ATTACH_FENTRY, NEED_NONE)      \
	X(s, kretprobe_vring_ioctl, ATTACH_KPROBE, NEED_NONE) \
	X(s, kprobe_vring_ioctl, ATTACH_KPROBE, NEED_NONE)    \
	X(s, kprobe_vdpa_cb, ATTACH_KPROBE, NEED_VDPA)        \
	X(s, kprobe_ioeventfd, ATTACH_KPROBE, NEED_RELAY)     \
	X(s, kprobe_efd_read, ATTACH_KPROBE, NEED_RELAY)      \
	X(s, kprobe_efd_write, ATTACH_KPROBE, NEED_RELAY)     \
	X(s, kprobe_vhost_wakeup, ATTACH_KPROBE, NEED_NONE)   \
	X(s, kprobe_eventfd_signal, ATTACH_KPROBE, NEED_NONE) \
	X(s, kprobe_log_write, ATTACH_KPROBE, NEED_NONE)

static bool prog_wanted(const struct vhost_ctx *ctx, int need)
{
	return need == NEED_NONE || (need == NEED_VDPA && ctx->have_vdpa) ||
	       (need == NEED_RELAY && ctx->have_relay);
}

#define SET_AUTOLOAD(s, prog, mode, need) \
	bpf_program__set_autoload((s)->progs.prog, m == (mode) && prog_wanted(ctx, need));
#define ATTACH(s, prog, mode, need)                                     \
	if (m == (mode) && prog_wanted(ctx, need)) {                    \
		(s)->links.prog = bpf_program__attach((s)->progs.prog); \
		if (!(s)->links.prog)                                   \
			return -errno;                                  \
	}

static void set_autoload(const struct vhost_ctx *ctx, struct vhost_bpf *s, enum attach_mode m)
{
	PROGS(s, SET_AUTOLOAD)
}

static int attach_progs(const struct vhost_ctx *ctx, struct vhost_bpf *s, enum attach_mode m)
{
	PROGS(s, ATTACH)
	return 0;
}

static int try_mode(void *arg, enum attach_mode m, char *why, size_t len)
{
	struct vhost_ctx *ctx = arg;
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct vhost_bpf *s;
	int err;

	if (m != ATTACH_FENTRY && ctx->btf.fd < 0) {
		static const char *const mods[] = { "vhost", "vhost_vdpa", "kvm", NULL };
		char errbuf[256];

		err = core_btf_build(&ctx->btf, vhost_bpf__elf_bytes, mods, errbuf, sizeof(errbuf));
		if (err && verbose)
			warn_msg("minimal BTF: %s; using the full kernel BTF", errbuf);
	}
	open_opts.btf_custom_path = m != ATTACH_FENTRY && ctx->btf.fd >= 0 ? ctx->btf.path : NULL;
	s = vhost_bpf__open_opts(&open_opts);
	if (!s) {
		snprintf(why, len, "%s: cannot open BPF object: %s", attach_mode_name(m),
			 strerror(errno));
		return -1;
	}
	s->rodata->targ_tgid = env.pid;
	s->rodata->vdpa_handle_kick = ctx->vdpa_handle_kick;
	s->rodata->relay = ctx->have_relay;
	s->rodata->irqfd_func = ctx->irqfd_func;
	set_autoload(ctx, s, m);
	bpf_map__set_max_entries(s->maps.vqstats, env.max_vqs);
	bpf_map__set_max_entries(s->maps.hists, env.max_vqs * VHOST_H_MAX);
	bpf_map__set_max_entries(s->maps.vqinfo, env.max_vqs);
	bpf_map__set_max_entries(s->maps.procs, env.max_vqs);
	err = vhost_bpf__load(s);
	if (!err)
		err = attach_progs(ctx, s, m);
	if (err) {
		snprintf(why, len, "%s: %s (%s)", attach_mode_name(m),
			 *libbpf_last_error() ? libbpf_last_error() : "load/attach failed",
			 strerror(-err));
		vhost_bpf__destroy(s);
		return -1;
	}
	ctx->skel = s;
	return 0;
}

/* One vq as the run keeps it: its counters now and at the previous report. */
struct vq_entry {
	struct vhost_vq_key k;
	struct vhost_vq_info info;
	struct vhost_vq_stats now, prev; /* summed over CPUs */
	uint64_t gen;
};

struct vhost_run {
	struct vhost_ctx *ctx;
	struct vq_entry *e;
	size_t ne, ecap;
	uint64_t gen;
	struct hist_set hs; /* hists: per vq and enum vhost_hist */
	struct proc_table procs;
	struct vhost_report_data d;
	size_t vcap;
	int ncpus;
	struct vhost_vq_stats *pcpu;
	int target_fd;
	bool reap;
};

/* the vq: device, index (key.hist apart) */
static int key_cmp(const void *a, const void *b)
{
	const struct vhost_vq_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->vq < y->vq ? -1 : x->vq > y->vq;
}

/* a histogram of the hists map: its vq, then which */
static int hist_key_cmp(const void *a, const void *b)
{
	const struct vhost_vq_key *x = a, *y = b;
	int c = key_cmp(a, b);

	return c ? c : x->hist < y->hist ? -1 : x->hist > y->hist;
}

static struct vq_entry *entry_find(struct vhost_run *r, const struct vhost_vq_key *k)
{
	return bsearch(k, r->e, r->ne, sizeof(*r->e), key_cmp);
}

/* Every vq in vqinfo, its counters summed over CPUs; entries kept sorted by key. */
static int read_vqs(struct vhost_run *r)
{
	struct vhost_bpf *s = r->ctx->skel;
	int ifd = bpf_map__fd(s->maps.vqinfo), sfd = bpf_map__fd(s->maps.vqstats);
	struct vhost_vq_key k, next, *prev = NULL;
	size_t known = r->ne; /* the sorted part; new keys are appended, then all sorted */

	r->gen++;
	while (!bpf_map_get_next_key(ifd, prev, &next)) {
		struct vq_entry *e;
		struct vhost_vq_info info;
		struct vhost_vq_stats sum = { 0 };

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(ifd, &k, &info))
			continue;
		if (!bpf_map_lookup_elem(sfd, &k, r->pcpu)) {
			for (int c = 0; c < r->ncpus; c++)
				vhost_stats_add(&sum, &r->pcpu[c]);
		}
		e = bsearch(&k, r->e, known, sizeof(*r->e), key_cmp);
		if (!e) {
			if (r->ne == r->ecap) {
				size_t cap = r->ecap ? r->ecap * 2 : 64;
				struct vq_entry *n = realloc(r->e, cap * sizeof(*n));

				if (!n)
					return -ENOMEM;
				r->e = n;
				r->ecap = cap;
			}
			e = &r->e[r->ne++];
			memset(e, 0, sizeof(*e));
			e->k = k;
		}
		e->info = info;
		e->now = sum;
		e->gen = r->gen;
	}
	if (r->ne > known)
		qsort(r->e, r->ne, sizeof(*r->e), key_cmp);
	return 0;
}

static const struct hist_series *hist_of(const struct vhost_run *r, const struct vhost_vq_key *vq,
					 enum vhost_hist which)
{
	struct vhost_vq_key k = *vq;

	k.hist = which;
	for (size_t i = 0; i < r->hs.n; i++)
		if (!hist_key_cmp(r->hs.s[i].key, &k))
			return &r->hs.s[i];
	return NULL;
}

/* net, vdpa, vsock, scsi from the kick handler's module or name; role from its name */
static void handler_kind(const struct ksym *sym, const char **kind, const char **role)
{
	const char *n = sym ? sym->name : "", *m = sym && sym->module ? sym->module : "";

	if (!strcmp(m, "vhost_net") || !strcmp(n, "handle_tx_kick") || !strcmp(n, "handle_rx_kick"))
		*kind = "net";
	else if (!strcmp(m, "vhost_vdpa") || !strcmp(n, "handle_vq_kick"))
		*kind = "vdpa";
	else if (!strcmp(m, "vhost_vsock") || !strncmp(n, "vhost_vsock_", 12))
		*kind = "vsock";
	else if (!strcmp(m, "vhost_scsi") || !strncmp(n, "vhost_scsi_", 11))
		*kind = "scsi";
	else
		*kind = "other";
	*role = strstr(n, "rx")	   ? "rx"
		: strstr(n, "tx")  ? "tx"
		: strstr(n, "ctl") ? "ctl"
		: strstr(n, "evt") ? "evt"
				   : "";
}

static bool view_wanted(const struct vhost_vq_view *v)
{
	if (env.pid && (!v->p || v->p->tgid != (uint32_t)env.pid))
		return false;
	if (env.vm && (!v->p || (strcmp(v->p->vm, env.vm) && strcmp(v->vm, env.vm))))
		return false;
	return !env.device || proc_dev_label_matches(v->device, env.device);
}

static int view_cmp(const void *a, const void *b)
{
	const struct vhost_vq_view *x = a, *y = b;
	int c = strcmp(x->device, y->device);

	if (c)
		return c;
	if (x->k.dev != y->k.dev)
		return x->k.dev < y->k.dev ? -1 : 1;
	return x->k.vq < y->k.vq ? -1 : x->k.vq > y->k.vq;
}

static int build_views(struct vhost_run *r)
{
	int pfd = bpf_map__fd(r->ctx->skel->maps.procs);

	if (r->ne > r->vcap) {
		struct vhost_vq_view *v = realloc(r->d.v, r->ne * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->d.v = v;
		r->vcap = r->ne;
	}
	r->d.n = 0;
	for (size_t i = 0; i < r->ne; i++) {
		const struct vq_entry *e = &r->e[i];
		struct vhost_vq_view *v = &r->d.v[r->d.n];
		const struct ksym *sym = ksyms_best(r->ctx->ks, e->info.handle_kick);
		struct proc_ident *p = NULL;
		int idx = 0;

		if (e->gen != r->gen)
			continue;
		memset(v, 0, sizeof(*v));
		v->k = e->k;
		v->info = e->info;
		v->tot = e->now;
		v->ival = vhost_stats_delta(&e->now, &e->prev);
		for (int w = 0; w < VHOST_H_MAX; w++) {
			const struct hist_series *h = hist_of(r, &e->k, w);

			v->cum[w] = h ? &h->cum : NULL;
			v->interval[w] = h ? &h->interval : NULL;
		}
		handler_kind(sym, &v->kind, &v->role);
		snprintf(v->handler, sizeof(v->handler), "%s", sym ? sym->name : "?");
		if (e->info.tgid) {
			p = proc_table_get_bpf(&r->procs, pfd, e->info.tgid);
			if (!p)
				return -ENOMEM;
			v->p = p;
			proc_vm_label(p, 0, v->vm, sizeof(v->vm));
			/* the process's devices of one kind, numbered; dev_t stands for the kind */
			idx = proc_dev_index(p, (uint32_t)v->kind[0] << 8 | (uint8_t)v->kind[1],
					     e->k.dev);
		}
		if (!strcmp(v->kind, "vdpa") && e->info.minor >= 0)
			snprintf(v->device, sizeof(v->device), "vhost-vdpa-%d", e->info.minor);
		else if (strcmp(v->kind, "other"))
			snprintf(v->device, sizeof(v->device), "vhost-%s", v->kind);
		else
			snprintf(v->device, sizeof(v->device), "vhost:%s", v->handler);
		if (idx > 0) {
			size_t n = strlen(v->device);

			snprintf(v->device + n, sizeof(v->device) - n, "#%d", idx);
		}
		if (view_wanted(v))
			r->d.n++;
	}
	qsort(r->d.v, r->d.n, sizeof(*r->d.v), view_cmp);
	return 0;
}

#define SCAN_MS 200 /* how often new processes are looked at */

static int vhost_wait(void *arg, int timeout_ms)
{
	struct vhost_run *r = arg;
	struct pollfd pfd = { .fd = r->target_fd, .events = POLLIN };

	proc_table_scan_bpf(&r->procs, bpf_map__fd(r->ctx->skel->maps.procs));
	if (timeout_ms > SCAN_MS)
		timeout_ms = SCAN_MS;
	if (r->target_fd < 0) {
		sleep_until(now_ns() + (uint64_t)timeout_ms * 1000000ULL);
		return 0;
	}
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	fprintf(stderr, "%s: process %d exited\n", prog_name, env.pid);
	return 1;
}

static int vhost_read(void *arg, const struct tick *t)
{
	struct vhost_run *r = arg;
	struct vhost_bpf *s = r->ctx->skel;
	int err;

	proc_table_check_alive(&r->procs);
	proc_table_mark_reap(&r->procs);
	tick_close_epoch(&s->data->epoch, t);
	err = read_vqs(r);
	if (!err)
		err = hist_set_read(&r->hs, bpf_map__fd(s->maps.hists), t->epoch);
	if (err) {
		err_msg("reading the vq maps: %s", strerror(-err));
		return -1;
	}
	for (int i = 0; i < VHOST_STAT_MAX; i++)
		r->d.st[i] = percpu_u64_sum(bpf_map__fd(s->maps.stats), i, r->ncpus);
	if (build_views(r)) {
		err_msg("out of memory");
		return -1;
	}
	r->d.span_ns = t->span_ns;
	r->d.vqs_used = r->ne;
	return 0;
}

static void vhost_text(void *arg, const struct tick *t)
{
	vhost_print_text(&((struct vhost_run *)arg)->d, t);
}

static void vhost_json(void *arg, const struct tick *t)
{
	vhost_print_json(&((struct vhost_run *)arg)->d, t);
}

static void vhost_prom(struct prom_writer *w, void *arg)
{
	vhost_fill_prom(w, &((struct vhost_run *)arg)->d);
}

static bool vq_exited(const void *key, void *ctx)
{
	struct vhost_run *r = ctx;
	const struct vq_entry *e = entry_find(r, key);
	struct proc_ident *p = e && e->info.tgid ? proc_table_find(&r->procs, e->info.tgid) : NULL;

	return p && p->reap;
}

/*
 * After their last report: the vqs of exited processes leave the maps (nothing of theirs
 * runs any more) and the run's table.
 */
static void reap_exited(struct vhost_run *r)
{
	struct vhost_bpf *s = r->ctx->skel;
	size_t j = 0;

	hist_set_remove_if(&r->hs, vq_exited, r);
	/* decided on the whole sorted table first: compacting it breaks its order */
	for (size_t i = 0; i < r->ne; i++)
		r->e[i].gen = vq_exited(&r->e[i].k, r) ? 0 : r->e[i].gen;
	for (size_t i = 0; i < r->ne; i++) {
		if (!r->e[i].gen) {
			bpf_map_delete_elem(bpf_map__fd(s->maps.vqinfo), &r->e[i].k);
			bpf_map_delete_elem(bpf_map__fd(s->maps.vqstats), &r->e[i].k);
			for (int w = 0; w < VHOST_H_MAX; w++) {
				struct vhost_vq_key k = r->e[i].k;

				k.hist = w;
				bpf_map_delete_elem(bpf_map__fd(s->maps.hists), &k);
			}
			continue;
		}
		r->e[j++] = r->e[i];
	}
	r->ne = j;
	proc_table_reap_bpf(&r->procs, bpf_map__fd(s->maps.procs));
}

static void vhost_next(void *arg, const struct tick *t)
{
	struct vhost_run *r = arg;

	if (r->reap && !t->final)
		reap_exited(r);
	for (size_t i = 0; i < r->ne; i++)
		r->e[i].prev = r->e[i].now;
	hist_set_next_interval(&r->hs);
}

static const struct report_ops vhost_ops = {
	.read = vhost_read,
	.text = vhost_text,
	.json = vhost_json,
	.prom = vhost_prom,
	.next = vhost_next,
	.wait = vhost_wait,
};

/* The kernel's pieces: vhost loaded, eventfd_signal_mask, vhost_vdpa's callback. */
static int vhost_find(struct vhost_ctx *ctx, char *why, size_t len)
{
	const struct ksym *sym;

	ctx->ks = ksyms_load("/proc/kallsyms");
	if (!ctx->ks) {
		snprintf(why, len, "cannot read /proc/kallsyms: %s", strerror(errno));
		return -1;
	}
	if (!ksyms_by_name(ctx->ks, "vhost_poll_wakeup")) {
		snprintf(why, len,
			 "vhost is not loaded (no vhost_poll_wakeup in /proc/kallsyms): modprobe "
			 "the driver the VMM uses (vhost_net, vhost_vdpa, vhost_vsock)");
		return -1;
	}
	if (!ksyms_by_name(ctx->ks, "eventfd_signal_mask")) {
		snprintf(why, len,
			 "this kernel has no eventfd_signal_mask (Linux 5.19 or later "
			 "needed): calls cannot be counted");
		return -1;
	}
	ctx->have_vdpa = ksyms_by_name(ctx->ks, "vhost_vdpa_virtqueue_cb") != NULL;
	sym = ksyms_by_name(ctx->ks, "handle_vq_kick");
	ctx->vdpa_handle_kick = ctx->have_vdpa && sym ? sym->addr : 0;
	sym = ksyms_by_name(ctx->ks, "irqfd_wakeup");
	ctx->irqfd_func = sym ? sym->addr : 0;
	ctx->have_relay = ksyms_by_name(ctx->ks, "ioeventfd_write") && ctx->irqfd_func;
	return 0;
}

static int vhost_start(struct vhost_ctx *ctx, struct vhost_run *run)
{
	char why[1024];

	if (env_check(ENV_TRACING | ENV_BTF, why, sizeof(why))) {
		err_msg("%s", why);
		return -1;
	}
	if (vhost_find(ctx, why, sizeof(why))) {
		err_msg("vhost: %s", why);
		return -1;
	}
	libbpf_setup_logging();
	signals_install();
	if (hist_set_init(&run->hs, sizeof(struct vhost_vq_key), hist_key_cmp)) {
		err_msg("out of memory");
		return -1;
	}
	run->ncpus = libbpf_num_possible_cpus();
	run->pcpu = run->ncpus > 0 ? calloc(run->ncpus, sizeof(*run->pcpu)) : NULL;
	if (!run->pcpu) {
		err_msg("out of memory");
		return -1;
	}
	run->d.vqs_max = env.max_vqs;
	run->d.relay = ctx->have_relay;
	run->reap = env.c.interval_ns || env.c.prom;
	if (attach_select(&target, env.c.mode, try_mode, ctx, &run->d.mode, why, sizeof(why))) {
		if (env.c.mode != ATTACH_AUTO)
			err_msg("mode %s is not available here: %s", attach_mode_name(env.c.mode),
				why);
		else
			err_msg("cannot attach to vhost kicks and calls: %s", why);
		return -1;
	}
	env.c.tf.mode = attach_mode_name(run->d.mode);
	if (run->d.mode != ATTACH_KPROBE)
		attach_release_tracefs();
	return 0;
}

static int vhost_finish(const struct vhost_run *run, int ret)
{
	for (int i = 0; i < VHOST_STAT_MAX; i++)
		if (run->d.st[i])
			warn_msg("%" PRIu64 " notifications not counted: %s", run->d.st[i],
				 vhost_stat_names[i]);
	for (int i = 0; i < VHOST_STAT_MAX && !ret; i++)
		if (run->d.st[i])
			ret = EXIT_RUNTIME;
	return ret;
}

static void vhost_cleanup(struct vhost_ctx *ctx, struct vhost_run *run)
{
	if (run->target_fd >= 0)
		close(run->target_fd);
	vhost_bpf__destroy(ctx->skel);
	btf_min_close(&ctx->btf);
	attach_release_tracefs();
	textfile_close(&env.c.tf);
	ksyms_free(ctx->ks);
	hist_set_free(&run->hs);
	proc_table_free(&run->procs);
	free(run->d.v);
	free(run->e);
	free(run->pcpu);
}

int cmd_vhost(int argc, char **argv)
{
	static const struct cli cli = { .name = "pvtrace vhost",
					.usage = "[OPTIONS] [INTERVAL [COUNT]]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt,
					.common = &env.c,
					.intervals = true };
	struct vhost_ctx ctx = { .btf.fd = -1 };
	struct vhost_run run = { .ctx = &ctx, .target_fd = -1 };
	int ret;

	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	ret = cli_common_check(&env.c, cli.name);
	if (ret)
		return ret;
	ret = cli_pid_target(env.pid, &run.target_fd);
	if (ret)
		goto out;
	ret = EXIT_RUNTIME;
	if (vhost_start(&ctx, &run))
		goto out;
	drop_caps_after_attach();
	if ((ret = cli_textfile_ready(&env.c)))
		goto out;
	fprintf(stderr, "Tracing vhost kicks and calls (mode: %s%s%s)... Hit Ctrl-C to end.\n",
		attach_mode_name(run.d.mode), ctx.have_vdpa ? ", vhost-vdpa callbacks" : "",
		ctx.have_relay ? ", KVM ioeventfds and irqfds" : ", no KVM: no relay");
	ret = vhost_finish(&run,
			   report_run(&env.c, cli_prom_interval_ns(&env.c), &vhost_ops, &run));
out:
	vhost_cleanup(&ctx, &run);
	return ret;
}
