// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace latency --ioctl/--vhost: KVM vCPU and vhost ioctl latency histograms. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "lat.h"
#include "latency.skel.h"
#include "attach.h"
#include "btf_min.h"
#include "cli.h"
#include "commands.h"
#include "kvm_ioctl.h"
#include "ksyms.h"
#include "output.h"
#include "procinfo.h"
#include "report.h"
#include "util.h"
#include "workload.h"

struct lat_env lat_env = {
	.c.unit = UNIT_US,
	.c.default_buckets = { 10, 34, 2 }, /* le 1.024 us .. 17.2 s, x4 */
	.max_series = LAT_DEFAULT_SERIES,
};
#define env lat_env

enum {
	OPT_IOCTL = 0x100,
	OPT_COMM,
	OPT_PER_VCPU,
	OPT_WORKLOAD,
	OPT_VM,
	OPT_CGROUP,
	OPT_MAX_SERIES,
	OPT_HOOK, /* --steal-clock, --sched-clock: for --help; latency_modes[] runs them */
	OPT_VHOST,
	OPT_DEVICE,
};

static const char doc[] =
	"Latency histograms of KVM vCPU ioctls (--ioctl) and of vhost ioctls (--vhost:\n"
	"vhost-net, vhost-vdpa, vhost-vsock, vhost-scsi devices), one per ioctl command.\n"
	"\n"
	"Examples:\n"
	"  pvtrace latency --ioctl                 # until Ctrl-C, then one report\n"
	"  pvtrace latency --ioctl 1 10            # ten 1-second reports\n"
	"  pvtrace latency --ioctl -p 1234 --per-vcpu   # one QEMU process, per vCPU\n"
	"  pvtrace latency --ioctl --vm guest1 --per-vcpu 5  # QEMU -name guest=guest1\n"
	"  pvtrace latency --ioctl --cgroup /sys/fs/cgroup/machine.slice  # VMs and children\n"
	"  pvtrace latency --ioctl -d 30s --json   # 30 s, one JSON document\n"
	"  pvtrace latency --ioctl 15 --prom /var/lib/node_exporter/pvtrace.prom\n"
	"  pvtrace latency --ioctl --workload      # built-in KVM workload, counts checked\n"
	"  pvtrace latency --ioctl --mode tracepoint    # force syscall tracepoints\n"
	"  pvtrace latency --vhost --per-pid 5     # vhost ioctls per process and device\n"
	"  pvtrace latency --vhost --device vhost-vdpa-0 -d 10s   # one vDPA device\n"
	"  pvtrace latency --ioctl --vhost -p 1234 # a QEMU's vCPU and vhost ioctls\n"
	"\n"
	"Attach modes: fentry/fexit on kvm_vcpu_ioctl, else kprobe/kretprobe, else the\n"
	"ioctl syscall tracepoints filtered to KVM vCPU files (and vhost files, by the\n"
	"drivers' ioctl functions). vhost drivers are found when pvtrace starts: one loaded\n"
	"later (modprobe vhost_net) needs a restart. A vhost device is named as in /dev;\n"
	"per process, a second open of the same device is NAME#1. Latencies are kept in\n"
	"nanoseconds in log2 buckets; percentiles are interpolated inside the bucket.\n"
	"comm is the process name (thread group leader); with --per-vcpu the vCPU\n"
	"thread's name is shown too. The VM is named from QEMU's -name; other VMMs\n"
	"show COMM/PID. With repeated reports (INTERVAL or --prom) an exited process's\n"
	"series get one last report and are then removed. -p ends when the process does.\n"
	"Exit status: 0 ok, 1 runtime error or ioctls lost, 2 usage error.";

static const struct cli_opt opts[] = {
	{ "ioctl", OPT_IOCTL, NULL, "Measure KVM vCPU ioctls (kvm_vcpu_ioctl)" },
	{ "vhost", OPT_VHOST, NULL, "Measure vhost ioctls (vhost-net, -vdpa, -vsock, -scsi)" },
	{ "device", OPT_DEVICE, "NAME", "Only this vhost device (vhost-net, vhost-vdpa-0, ...)" },
	{ "pid", 'p', "PID", "Only this process" },
	{ "comm", OPT_COMM, "COMM", "Only processes with this name (thread group leader)" },
	{ "vm", OPT_VM, "NAME", "Only the VM of this name (QEMU -name); implies --per-pid" },
	{ "cgroup", OPT_CGROUP, "PATH", "Only tasks in this cgroup v2 or below it" },
	{ "per-pid", 'P', NULL, "One histogram per process and VM" },
	{ "per-vcpu", OPT_PER_VCPU, NULL, "One histogram per process, VM and vCPU id" },
	{ "max-series", OPT_MAX_SERIES, "N",
	  "Series kept at most (default 4096); the rest: per command only" },
	CLI_OPT_DURATION,
	CLI_OPT_UNIT("us"),
	CLI_OPT_JSON(LAT_SCHEMA),
	CLI_OPT_PROM,
	CLI_OPT_MODE("fentry, kprobe or tracepoint"),
	{ "workload", OPT_WORKLOAD, NULL, "Run a built-in KVM workload, trace it, check counts" },
	{ "steal-clock", OPT_HOOK, NULL, "pv_steal_clock's target instead (--steal-clock --help)" },
	{ "sched-clock", OPT_HOOK, NULL, "pv_sched_clock's target instead (--sched-clock --help)" },
	CLI_OPT_VERBOSE,
	{ NULL, 0, NULL, NULL },
};

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	uint64_t v;

	(void)ctx;
	switch (key) {
	case OPT_IOCTL:
		env.ioctl = true;
		break;
	case OPT_VHOST:
		env.vhost = true;
		break;
	case OPT_DEVICE:
		return cli_name_opt("device", arg, 70, &env.device, err, len);
	case 'p':
		return cli_pid_opt(arg, &env.pid, err, len);
	case OPT_COMM:
		if (!*arg || strlen(arg) > 15) {
			snprintf(err, len, "invalid comm '%s' (1 to 15 characters)", arg);
			return -1;
		}
		env.comm = arg;
		break;
	case 'P':
		env.per_pid = true;
		break;
	case OPT_PER_VCPU:
		env.per_vcpu = env.per_pid = true;
		break;
	case OPT_WORKLOAD:
		env.workload = true;
		break;
	case OPT_VM:
		env.per_pid = true;
		return cli_name_opt("VM name", arg, 190, &env.vm, err, len);
	case OPT_CGROUP:
		env.cgroup = arg;
		break;
	case OPT_MAX_SERIES:
		if (!parse_u64(arg, &v) || !v || v > 1000000) {
			snprintf(err, len, "invalid --max-series '%s' (1 to 1000000)", arg);
			return -1;
		}
		env.max_series = v;
		break;
	default:
		return CLI_UNHANDLED;
	}
	return 0;
}

/* What the attach modes are probed on: kvm_vcpu_ioctl, or the first vhost driver's. */
static struct attach_target lat_target(const struct lat_ctx *ctx)
{
	struct attach_target t = {
		.func = "kvm_vcpu_ioctl",
		.module = "kvm",
		.tp_category = "syscalls",
		.tp_enter = "sys_enter_ioctl",
		.tp_exit = "sys_exit_ioctl",
	};

	if (!ctx->trace_vcpu) {
		t.func = lat_vhost_func(lat_vhost_first(ctx));
		t.module = lat_vhost_module(lat_vhost_first(ctx));
	}
	return t;
}

static void set_autoload(const struct lat_ctx *ctx, struct latency_bpf *s, enum attach_mode m)
{
	bool vcpu = ctx->trace_vcpu;

	bpf_program__set_autoload(s->progs.fentry_vcpu_ioctl, vcpu && m == ATTACH_FENTRY);
	bpf_program__set_autoload(s->progs.fexit_vcpu_ioctl, vcpu && m == ATTACH_FENTRY);
	bpf_program__set_autoload(s->progs.kprobe_vcpu_ioctl, vcpu && m == ATTACH_KPROBE);
	bpf_program__set_autoload(s->progs.kretprobe_vcpu_ioctl, vcpu && m == ATTACH_KPROBE);
	bpf_program__set_autoload(s->progs.tp_enter_ioctl, m == ATTACH_TRACEPOINT);
	bpf_program__set_autoload(s->progs.tp_exit_ioctl, m == ATTACH_TRACEPOINT);
	lat_vhost_autoload(ctx, s, m);
}

/*
 * The exit program first: an enter attached before its exit would leave an
 * ioctl in flight without its end (a spurious lost_exits at start). The vCPU
 * programs (and the tracepoints, vCPU's and vhost's), then vhost's.
 */
static int attach_exit_first(struct lat_ctx *ctx, enum attach_mode m)
{
	struct latency_bpf *s = ctx->skel;
	struct bpf_program *exit_p, *enter_p;
	struct bpf_link **exit_l, **enter_l;

	if (!ctx->trace_vcpu && m != ATTACH_TRACEPOINT)
		return lat_vhost_attach(ctx, m);
	switch (m) {
	case ATTACH_FENTRY:
		exit_p = s->progs.fexit_vcpu_ioctl, exit_l = &s->links.fexit_vcpu_ioctl;
		enter_p = s->progs.fentry_vcpu_ioctl, enter_l = &s->links.fentry_vcpu_ioctl;
		break;
	case ATTACH_KPROBE:
		exit_p = s->progs.kretprobe_vcpu_ioctl, exit_l = &s->links.kretprobe_vcpu_ioctl;
		enter_p = s->progs.kprobe_vcpu_ioctl, enter_l = &s->links.kprobe_vcpu_ioctl;
		break;
	default:
		exit_p = s->progs.tp_exit_ioctl, exit_l = &s->links.tp_exit_ioctl;
		enter_p = s->progs.tp_enter_ioctl, enter_l = &s->links.tp_enter_ioctl;
		break;
	}
	*exit_l = bpf_program__attach(exit_p);
	if (!*exit_l)
		return -errno;
	*enter_l = bpf_program__attach(enter_p);
	if (!*enter_l)
		return -errno;
	return lat_vhost_attach(ctx, m);
}

static int try_mode(void *arg, enum attach_mode m, char *why, size_t len)
{
	struct lat_ctx *ctx = arg;
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct latency_bpf *s;
	int err;

	if (m == ATTACH_TRACEPOINT && ctx->trace_vcpu && !ctx->vcpu_ioctl_addr) {
		err = ksym_lookup("kvm_vcpu_ioctl", NULL, &ctx->vcpu_ioctl_addr);
		if (err) {
			snprintf(why, len,
				 "tracepoint: cannot resolve kvm_vcpu_ioctl in /proc/kallsyms (%s)",
				 err == -EPERM ? kallsyms_hidden_reason() : strerror(-err));
			return -1;
		}
	}
	for (int k = 0; m == ATTACH_TRACEPOINT && ctx->trace_vhost && k < LAT_VHOST_KINDS; k++) {
		if (ctx->vhost[k].present && !ctx->vhost[k].addr) {
			snprintf(why, len, "tracepoint: cannot resolve %s in /proc/kallsyms (%s)",
				 lat_vhost_func(k), kallsyms_hidden_reason());
			return -1;
		}
	}
	/* fentry resolves its target in the full BTF anyway; elsewhere a small one suffices */
	if (m != ATTACH_FENTRY && ctx->btf.fd < 0) {
		static const char *const mods[] = { "kvm", NULL };
		char errbuf[256];

		err = core_btf_build(&ctx->btf, latency_bpf__elf_bytes, mods, errbuf,
				     sizeof(errbuf));
		if (err && verbose)
			warn_msg("minimal BTF: %s; using the full kernel BTF", errbuf);
	}
	open_opts.btf_custom_path = m != ATTACH_FENTRY && ctx->btf.fd >= 0 ? ctx->btf.path : NULL;
	s = latency_bpf__open_opts(&open_opts);
	if (!s) {
		snprintf(why, len, "%s: cannot open BPF object: %s", attach_mode_name(m),
			 strerror(errno));
		return -1;
	}
	s->rodata->targ_tgid = env.pid;
	s->rodata->filter_cgroup = ctx->cgroup_fd >= 0;
	s->rodata->per_pid = env.per_pid;
	s->rodata->per_vcpu = env.per_vcpu;
	s->rodata->vcpu_ioctl_addr = ctx->vcpu_ioctl_addr;
	s->rodata->trace_vcpu = ctx->trace_vcpu;
	s->rodata->trace_vhost = ctx->trace_vhost;
	for (int k = 0; k < LAT_VHOST_KINDS; k++)
		s->rodata->vhost_ioctl_addr[k] = ctx->vhost[k].addr;
	if (env.comm) {
		s->rodata->filter_comm = true;
		strncpy((char *)s->rodata->targ_comm, env.comm, sizeof(s->rodata->targ_comm) - 1);
	}
	set_autoload(ctx, s, m);
	bpf_map__set_max_entries(s->maps.hists, env.max_series);
	bpf_map__set_max_entries(s->maps.procs, env.max_series);
	bpf_map__set_max_entries(s->maps.threads, env.max_series);
	err = latency_bpf__load(s);
	if (!err && ctx->cgroup_fd >= 0) {
		__u32 zero = 0;

		err = bpf_map_update_elem(bpf_map__fd(s->maps.cgroup), &zero, &ctx->cgroup_fd,
					  BPF_ANY)
			      ? -errno
			      : 0;
	}
	ctx->skel = s;
	if (!err)
		err = attach_exit_first(ctx, m);
	if (err) {
		snprintf(why, len, "%s: %s (%s)", attach_mode_name(m),
			 *libbpf_last_error() ? libbpf_last_error() : "load/attach failed",
			 strerror(-err));
		lat_vhost_detach(ctx);
		latency_bpf__destroy(s);
		ctx->skel = NULL;
		return -1;
	}
	return 0;
}

int lat_attach(struct lat_ctx *ctx, enum attach_mode want, enum attach_mode *used, char *why,
	       size_t len)
{
	struct attach_target t = lat_target(ctx);

	return attach_select(&t, want, try_mode, ctx, used, why, len);
}

int lat_links_on(struct lat_ctx *ctx, enum attach_mode m)
{
	return attach_exit_first(ctx, m);
}

static void link_drop(struct bpf_link **l)
{
	bpf_link__destroy(*l);
	*l = NULL;
}

/* The entry programs first, mirroring attach_exit_first(). */
void lat_links_off(struct lat_ctx *ctx)
{
	struct latency_bpf *s = ctx->skel;

	link_drop(&s->links.fentry_vcpu_ioctl);
	link_drop(&s->links.kprobe_vcpu_ioctl);
	link_drop(&s->links.tp_enter_ioctl);
	link_drop(&s->links.fexit_vcpu_ioctl);
	link_drop(&s->links.kretprobe_vcpu_ioctl);
	link_drop(&s->links.tp_exit_ioctl);
	lat_vhost_detach(ctx);
}

void lat_ctx_release(struct lat_ctx *ctx)
{
	lat_vhost_detach(ctx);
	latency_bpf__destroy(ctx->skel);
	ctx->skel = NULL;
	btf_min_close(&ctx->btf);
	attach_release_tracefs();
}

static int key_cmp(const void *a, const void *b)
{
	const struct lat_key *x = a, *y = b;
	char nx[96], ny[96];
	int r;

	ioctl_format(x->cmd, nx, sizeof(nx));
	ioctl_format(y->cmd, ny, sizeof(ny));
	r = strcmp(nx, ny);
	if (r)
		return r;
	if (x->rdev != y->rdev)
		return x->rdev < y->rdev ? -1 : 1;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->vm != y->vm)
		return x->vm < y->vm ? -1 : 1;
	return x->vcpu - y->vcpu;
}

static int cmd_cmp(const void *a, const void *b)
{
	const struct lat_key x = { .cmd = *(const uint32_t *)a };
	const struct lat_key y = { .cmd = *(const uint32_t *)b };

	return key_cmp(&x, &y);
}

#define SCAN_MS 200 /* how often new processes are looked at */

/* Everything the loop's callbacks need. */
struct lat_run {
	struct lat_ctx *ctx;
	struct hist_set hs; /* hists: the series */
	struct hist_set ov; /* overflow: per command */
	struct proc_table procs;
	struct lat_report_data d;
	size_t vcap;
	bool reap;     /* reports repeat: exited processes' series leave after their last one */
	int target_fd; /* pidfd of -p, -1 without */
	struct lat_child child;
	struct wl_result wres;
	bool have_wres;
};

/* Waits for the workload's result or -p's exit, if there is one. */
static int lat_wait(void *arg, int timeout_ms)
{
	struct lat_run *r = arg;
	int fd = r->child.result_fd >= 0 ? r->child.result_fd : r->target_fd;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int status = 0;

	if (env.per_pid) {
		/* new processes are looked at while they live: their VM name is in /proc */
		proc_table_scan_bpf(&r->procs, bpf_map__fd(r->ctx->skel->maps.procs));
		if (timeout_ms > SCAN_MS)
			timeout_ms = SCAN_MS;
	}
	if (fd < 0) {
		sleep_until(now_ns() + (uint64_t)timeout_ms * 1000000ULL);
		return 0;
	}
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	if (fd == r->target_fd) {
		fprintf(stderr, "%s: process %d exited\n", prog_name, env.pid);
		return 1;
	}
	r->have_wres = !wl_result_read(r->child.result_fd, &r->wres);
	waitpid(r->child.pid, &status, 0);
	r->child.pid = 0;
	if (!r->have_wres) {
		err_msg("workload failed (exit status %d)",
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 1;
}

/* The process's identity: BPF's record of its leader first, /proc while it lives. */
static struct proc_ident *ident_of(struct lat_run *r, uint32_t tgid)
{
	return proc_table_get_bpf(&r->procs, bpf_map__fd(r->ctx->skel->maps.procs), tgid);
}

static bool vm_wanted(const struct lat_view *v)
{
	return !env.vm || !strcmp(v->p->vm, env.vm) || !strcmp(v->vm, env.vm);
}

/* --device: the device's name, with or without a process's "#N" */
static bool device_wanted(const struct lat_view *v)
{
	return !env.device || (v->device[0] && proc_dev_label_matches(v->device, env.device));
}

/* Builds r->d.v: every series (filtered by --vm) and the overflow series. */
static int build_views(struct lat_run *r)
{
	size_t need = r->hs.n + r->ov.n;

	if (need > r->vcap) {
		struct lat_view *v = realloc(r->d.v, need * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->d.v = v;
		r->vcap = need;
	}
	r->d.n = 0;
	for (size_t i = 0; i < r->hs.n; i++) {
		struct lat_view *v = &r->d.v[r->d.n];
		const struct lat_key *k = r->hs.s[i].key;
		struct proc_ident *p = NULL;

		memset(v, 0, sizeof(*v));
		v->k = k;
		v->cum = &r->hs.s[i].cum;
		v->interval = &r->hs.s[i].interval;
		if (env.per_pid) {
			p = ident_of(r, k->tgid);
			if (!p)
				return -ENOMEM;
			v->p = p;
			/* a vhost device's VM is its process's */
			v->vm_index = k->rdev ? 0 : proc_vm_index(p, k->vm);
			proc_vm_label(p, v->vm_index, v->vm, sizeof(v->vm));
			if (!vm_wanted(v))
				continue;
		}
		if (k->rdev)
			lat_vhost_label(p, k, v->device, sizeof(v->device));
		if (!device_wanted(v))
			continue;
		if (env.per_vcpu && !k->rdev) {
			struct lat_thread_key tk = { .tgid = k->tgid,
						     .vcpu = k->vcpu,
						     .vm = k->vm };
			char comm[16] = "?";

			bpf_map_lookup_elem(bpf_map__fd(r->ctx->skel->maps.threads), &tk, comm);
			comm[15] = 0;
			utf8_sanitize(v->thread, sizeof(v->thread), comm, strlen(comm));
		}
		r->d.n++;
	}
	for (size_t i = 0; i < r->ov.n; i++) {
		struct lat_view *v = &r->d.v[r->d.n++];

		memset(v, 0, sizeof(*v));
		v->k = r->ov.s[i].key; /* the command is the key's first field */
		v->cum = &r->ov.s[i].cum;
		v->interval = &r->ov.s[i].interval;
		v->overflow = true;
	}
	return 0;
}

static bool series_exited(const void *key, void *ctx)
{
	const struct lat_key *k = key;
	struct lat_run *r = ctx;
	struct proc_ident *p = proc_table_find(&r->procs, k->tgid);

	if (!p || !p->reap)
		return false;
	bpf_map_delete_elem(bpf_map__fd(r->ctx->skel->maps.hists), k);
	bpf_map_delete_elem(bpf_map__fd(r->ctx->skel->maps.spill), k);
	if (env.per_vcpu) {
		struct lat_thread_key tk = { .tgid = k->tgid, .vcpu = k->vcpu, .vm = k->vm };

		bpf_map_delete_elem(bpf_map__fd(r->ctx->skel->maps.threads), &tk);
	}
	return true;
}

/*
 * After their last report: the series of exited processes leave the maps and
 * every output. Nothing writes them any more, so deleting is no race with BPF.
 */
static void reap_exited(struct lat_run *r)
{
	r->d.exited_series += hist_set_remove_if(&r->hs, series_exited, r);
	proc_table_reap_bpf(&r->procs, bpf_map__fd(r->ctx->skel->maps.procs));
}

static int lat_read(void *arg, const struct tick *t)
{
	struct lat_run *r = arg;
	struct latency_bpf *s = r->ctx->skel;
	int err;

	/*
	 * Who is gone is decided before the maps are read: a process found gone
	 * now can add nothing after the read, so its series are complete in this
	 * report and may be removed after it. One found gone later (while the
	 * outputs are built) is removed a report later, with what it did after
	 * this read.
	 */
	if (env.per_pid) {
		proc_table_check_alive(&r->procs);
		proc_table_mark_reap(&r->procs);
	}
	/* new epoch first, so min/max of the closed interval stop changing */
	tick_close_epoch(&s->data->epoch, t);
	err = hist_set_read_maps(&r->hs,
				 (int[]){ bpf_map__fd(s->maps.hists), bpf_map__fd(s->maps.spill) },
				 2, t->epoch);
	if (!err)
		err = hist_set_read(&r->ov, bpf_map__fd(s->maps.overflow), t->epoch);
	if (err) {
		err_msg("reading histograms: %s", strerror(-err));
		return -1;
	}
	for (int i = 0; i < LAT_STAT_MAX; i++)
		r->d.st.v[i] = percpu_u64_sum(bpf_map__fd(s->maps.stats), i, r->hs.ncpus);
	if (build_views(r)) {
		err_msg("out of memory");
		return -1;
	}
	r->d.series_used = r->hs.n;
	return 0;
}

static void lat_text(void *arg, const struct tick *t)
{
	lat_print_text(&((struct lat_run *)arg)->d, t);
}

static void lat_json(void *arg, const struct tick *t)
{
	lat_print_json(&((struct lat_run *)arg)->d, t);
}

static void lat_prom(struct prom_writer *w, void *arg)
{
	lat_fill_prom(w, &((struct lat_run *)arg)->d);
}

static void lat_next(void *arg, const struct tick *t)
{
	struct lat_run *r = arg;

	if (r->reap && !t->final)
		reap_exited(r);
	hist_set_next_interval(&r->hs);
	hist_set_next_interval(&r->ov);
}

static const struct report_ops lat_ops = {
	.read = lat_read,
	.text = lat_text,
	.json = lat_json,
	.prom = lat_prom,
	.next = lat_next,
	.wait = lat_wait,
};

/*
 * The measurements of `pvtrace latency` besides --ioctl, picked by their mode option
 * before anything is parsed: each parses the whole command line with its own options,
 * checks and --help. The option counts as a whole argument anywhere before "--"; a
 * command line with none of them is --ioctl's (whose parser says when a mode is
 * missing, and whose --help lists these options too).
 */
static const struct latency_mode {
	const char *opt;
	int (*run)(int argc, char **argv);
} latency_modes[] = {
	{ "--steal-clock", hooks_latency_cmd }, /* user/hooks/hooklat.c */
	{ "--sched-clock", hooks_latency_cmd },
};

static const struct latency_mode *latency_mode(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		for (size_t m = 0; m < ARRAY_SIZE(latency_modes); m++)
			if (!strcmp(argv[i], latency_modes[m].opt))
				return &latency_modes[m];
	return NULL;
}

/* "KVM vCPU", "vhost", "KVM vCPU and vhost": what is traced */
static const char *lat_what(const struct lat_ctx *ctx)
{
	return ctx->trace_vhost ? ctx->trace_vcpu ? "KVM vCPU and vhost" : "vhost" : "KVM vCPU";
}

/* "Tracing ... (mode: M), vhost drivers: ... (not in this kernel: ...)... " */
static void lat_tell_start(const struct lat_ctx *ctx, enum attach_mode m)
{
	char have[128], lack[128];

	fprintf(stderr, "Tracing %s ioctls (mode: %s)", lat_what(ctx), attach_mode_name(m));
	if (ctx->trace_vhost) {
		lat_vhost_list(ctx, true, have, sizeof(have));
		lat_vhost_list(ctx, false, lack, sizeof(lack));
		fprintf(stderr, ", vhost drivers: %s%s%s%s", have,
			*lack ? " (not in this kernel: " : "", lack, *lack ? ")" : "");
	}
	fprintf(stderr, "... ");
}

/* Options that need the system: -p, --cgroup. 0, or EXIT_USAGE after a message. */
static int lat_check_targets(struct lat_ctx *ctx, struct lat_run *run)
{
	int ret;

	if (env.workload && (env.pid || env.cgroup)) {
		err_msg("latency: --workload traces its own process; drop --pid and --cgroup");
		return EXIT_USAGE;
	}
	ret = cli_pid_target(env.pid, &run->target_fd);
	if (ret)
		return ret;
	if (env.cgroup) {
		ctx->cgroup_fd = open(env.cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ctx->cgroup_fd < 0) {
			err_msg("--cgroup %s: %s", env.cgroup, strerror(errno));
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* Environment, series sets, the workload, the attach. 0, or -1 after a message. */
static int lat_start(struct lat_ctx *ctx, struct lat_run *run)
{
	char why[1024];

	if (env_check(ENV_TRACING | ENV_BTF | (ctx->trace_vcpu ? ENV_KVM : 0), why, sizeof(why))) {
		err_msg("%s", why);
		return -1;
	}
	if (ctx->trace_vhost && lat_vhost_find(ctx, why, sizeof(why))) {
		err_msg("latency --vhost: %s", why);
		return -1;
	}
	libbpf_setup_logging();
	signals_install();
	if (hist_set_init(&run->hs, sizeof(struct lat_key), key_cmp) ||
	    hist_set_init(&run->ov, sizeof(uint32_t), cmd_cmp)) {
		err_msg("out of memory");
		return -1;
	}
	run->d.series_max = env.max_series;
	run->reap = env.per_pid && (env.c.interval_ns || env.c.prom);
	if (env.workload) {
		if (lat_workload_fork(&run->child, why, sizeof(why))) {
			err_msg("%s", why);
			return -1;
		}
		env.pid = run->child.pid;
	}
	if (lat_attach(ctx, env.c.mode, &run->d.mode, why, sizeof(why))) {
		if (env.c.mode != ATTACH_AUTO)
			err_msg("mode %s is not available here: %s", attach_mode_name(env.c.mode),
				why);
		else
			err_msg("cannot attach to %s ioctls: %s", lat_what(ctx), why);
		return -1;
	}
	env.c.tf.mode = attach_mode_name(run->d.mode);
	/* tracefs is only needed to detach legacy kprobe_events probes */
	if (run->d.mode != ATTACH_KPROBE)
		attach_release_tracefs();
	return 0;
}

/* After the loop: what was not recorded; lost ioctls and workload mismatches fail. */
static int lat_finish(const struct lat_run *run, int ret)
{
	for (int i = 0; i < LAT_STAT_MAX; i++)
		if (run->d.st.v[i])
			warn_msg("%" PRIu64 " ioctls %s: %s", run->d.st.v[i],
				 i == LAT_STAT_OVERFLOW || i == LAT_STAT_NOMEM
					 ? "recorded per command only"
					 : "not recorded",
				 lat_stat_names[i]);
	/* lost ioctls are an error: the counts are not the whole truth */
	if (!ret && (run->d.st.v[LAT_STAT_HIST_FULL] || run->d.st.v[LAT_STAT_NO_START]))
		ret = EXIT_RUNTIME;
	if (run->have_wres && lat_workload_check(&run->hs, &run->ov, &run->wres))
		ret = EXIT_RUNTIME;
	return ret;
}

static void lat_cleanup(struct lat_ctx *ctx, struct lat_run *run)
{
	lat_workload_stop(&run->child);
	if (run->child.go_fd >= 0)
		close(run->child.go_fd);
	if (run->child.result_fd >= 0)
		close(run->child.result_fd);
	if (run->target_fd >= 0)
		close(run->target_fd);
	if (ctx->cgroup_fd >= 0)
		close(ctx->cgroup_fd);
	lat_vhost_detach(ctx);
	latency_bpf__destroy(ctx->skel);
	btf_min_close(&ctx->btf);
	attach_release_tracefs();
	textfile_close(&env.c.tf);
	hist_set_free(&run->hs);
	hist_set_free(&run->ov);
	proc_table_free(&run->procs);
	free(run->d.v);
}

int cmd_latency(int argc, char **argv)
{
	static const struct cli cli = { .name = "pvtrace latency",
					.usage = "--ioctl [OPTIONS] [INTERVAL [COUNT]]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt,
					.common = &env.c,
					.intervals = true };
	struct lat_ctx ctx = { .btf.fd = -1, .cgroup_fd = -1 };
	struct lat_run run = { .ctx = &ctx,
			       .target_fd = -1,
			       .child = { .pid = 0, .go_fd = -1, .result_fd = -1 } };
	const struct latency_mode *mode = latency_mode(argc, argv);
	int ret;

	if (mode)
		return mode->run(argc, argv);
	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	if (!env.ioctl && !env.vhost) {
		err_msg("latency: say what to measure: --ioctl, --vhost, --steal-clock or "
			"--sched-clock (see --help)");
		return EXIT_USAGE;
	}
	if (!env.ioctl && (env.per_vcpu || env.workload)) {
		err_msg("latency: %s is about vCPU ioctls: add --ioctl",
			env.workload ? "--workload" : "--per-vcpu");
		return EXIT_USAGE;
	}
	if (env.device && !env.vhost) {
		err_msg("latency: --device names a vhost device: add --vhost");
		return EXIT_USAGE;
	}
	ctx.trace_vcpu = env.ioctl;
	ctx.trace_vhost = env.vhost;
	ret = cli_common_check(&env.c, cli.name);
	if (ret)
		return ret;
	ret = lat_check_targets(&ctx, &run);
	if (ret)
		goto out;
	ret = EXIT_RUNTIME;
	if (lat_start(&ctx, &run))
		goto out;
	/* fds are open: reading maps needs no privilege from here on */
	drop_caps_after_attach();
	if ((ret = cli_textfile_ready(&env.c)))
		goto out;
	ret = EXIT_RUNTIME;
	lat_tell_start(&ctx, run.d.mode);
	fprintf(stderr, "%s\n",
		env.workload ? "running the built-in workload." : "Hit Ctrl-C to end.");
	if (env.workload && write(run.child.go_fd, "g", 1) != 1) {
		err_msg("workload: cannot start: %s", strerror(errno));
		goto out;
	}
	ret = lat_finish(&run, report_run(&env.c, cli_prom_interval_ns(&env.c), &lat_ops, &run));
out:
	lat_cleanup(&ctx, &run);
	return ret;
}
