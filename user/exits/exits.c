// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace exits: KVM exits by reason, per VM and vCPU, and the trips to user space. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "exits/exits_int.h"
#include "exits.skel.h"
#include "btf_min.h"
#include "commands.h"
#include "kvm_exit.h"
#include "ksyms.h"
#include "output.h"
#include "util.h"

struct exits_env exits_env = {
	.c.unit = UNIT_US,
	.c.default_buckets = { 7, 34, 2 }, /* le 128 ns .. 17.2 s, x4 */
	.top = 10,
	.max_series = EXITS_DEFAULT_SERIES,
	.max_addrs = EXITS_DEFAULT_ADDRS,
};
#define env exits_env

/* the hardware exit reasons this build decodes: x86's kvm_exit (VMX, SVM) */
#if defined(__x86_64__)
#define HW_EXITS true
#else
#define HW_EXITS false
#endif

enum {
	OPT_VM = 0x100,
	OPT_PER_VCPU,
	OPT_TOP,
	OPT_HIST,
	OPT_MAX_SERIES,
	OPT_MAX_ADDRS,
};

static const char doc[] =
	"Inside KVM_RUN: hardware exits by reason with the time the kernel took to handle\n"
	"each (kvm_exit to the next kvm_entry), and every return to user space by\n"
	"kvm_run->exit_reason with the time the VMM kept the vCPU before its next KVM_RUN,\n"
	"per VM (and vCPU), with the ports and MMIO addresses that sent vCPUs to user space.\n"
	"\n"
	"Examples:\n"
	"  pvtrace exits                          # every VM until Ctrl-C, then one report\n"
	"  pvtrace exits 1 10                     # ten 1-second reports\n"
	"  pvtrace exits --vm guest1 --per-vcpu   # QEMU -name guest=guest1, per vCPU\n"
	"  pvtrace exits -p 1234 --top 20 -d 10s  # one VMM, its 20 busiest ports/addresses\n"
	"  pvtrace exits -d 30s --json            # 30 s, one JSON document\n"
	"  pvtrace exits 15 --prom /var/lib/node_exporter/pvtrace-exits.prom\n"
	"\n"
	"Reasons carry their uapi names: EXIT_REASON_* (VMX), SVM_EXIT_* (SVM), KVM_EXIT_*\n"
	"(returns to user space). A return's \"in kernel\" time is its whole KVM_RUN (guest\n"
	"time included); its \"user\" time runs to the next KVM_RUN of that vCPU thread.\n"
	"Attach modes: fentry (tp_btf on kvm_exit, kvm_entry, kvm_userspace_exit; fentry on\n"
	"kvm_vcpu_ioctl), kprobe (raw tracepoints; kprobe on kvm_vcpu_ioctl), tracepoint\n"
	"(kvm: tracepoints; syscalls:sys_enter_ioctl for KVM_RUN). Some hypervisors' KVM\n"
	"reports no kvm_exit events: the report then says so and shows the returns.\n"
	"A KVM_RUN already running when tracing starts is counted only in dropped.early_run.\n"
	"Exit status: 0 ok, 1 runtime error or events lost, 2 usage error.";

static const struct cli_opt opts[] = {
	{ "pid", 'p', "PID", "Only this process; ends when it does" },
	{ "vm", OPT_VM, "NAME", "Only the VM of this name (QEMU -name), or COMM/PID" },
	{ "per-vcpu", OPT_PER_VCPU, NULL, "One series per vCPU, not per VM" },
	{ "top", OPT_TOP, "N", "Ports and MMIO addresses shown (default 10, 0: none)" },
	{ "hist", OPT_HIST, NULL, "Text output: a histogram per reason, not only the table" },
	{ "max-series", OPT_MAX_SERIES, "N",
	  "Series kept at most (default 4096); the rest: per reason only" },
	{ "max-addrs", OPT_MAX_ADDRS, "N", "Ports and addresses kept at most (default 1024)" },
	CLI_OPT_DURATION,
	CLI_OPT_UNIT("us"),
	CLI_OPT_JSON(EXITS_SCHEMA),
	CLI_OPT_PROM,
	CLI_OPT_MODE("fentry, kprobe or tracepoint"),
	CLI_OPT_VERBOSE,
	{ NULL, 0, NULL, NULL },
};

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	int n;

	(void)ctx;
	switch (key) {
	case 'p':
		return cli_pid_opt(arg, &env.pid, err, len);
	case OPT_VM:
		return cli_name_opt("VM name", arg, 190, &env.vm, err, len);
	case OPT_PER_VCPU:
		env.per_vcpu = true;
		break;
	case OPT_HIST:
		env.hist = true;
		break;
	case OPT_TOP:
		if (cli_int_opt("--top", arg, 0, 1000, &n, err, len))
			return -1;
		env.top = n;
		break;
	case OPT_MAX_SERIES:
		if (cli_int_opt("--max-series", arg, 1, 1000000, &n, err, len))
			return -1;
		env.max_series = n;
		break;
	case OPT_MAX_ADDRS:
		if (cli_int_opt("--max-addrs", arg, 1, 1000000, &n, err, len))
			return -1;
		env.max_addrs = n;
		break;
	default:
		return CLI_UNHANDLED;
	}
	return 0;
}

struct exits_ctx {
	struct exits_bpf *skel;
	uint64_t vcpu_ioctl_addr;
	struct btf_min btf;
};

static const struct attach_target target = {
	.func = "kvm_vcpu_ioctl",
	.module = "kvm",
	.tp_category = "kvm",
	.tp_enter = "kvm_userspace_exit",
	.tp_exit = NULL,
};

/*
 * In attach order: an entry program before its exit one (an exit seen without its entry
 * program would never be closed, a spurious lost_entry), the return to user space before
 * the KVM_RUN hook (a KVM_RUN whose start was seen must not return unseen: a lost trip).
 */
#define PROGS(s, X)                                           \
	X(s, btf_kvm_entry, ATTACH_FENTRY, true)              \
	X(s, btf_kvm_exit, ATTACH_FENTRY, true)               \
	X(s, btf_kvm_userspace_exit, ATTACH_FENTRY, false)    \
	X(s, fentry_vcpu_ioctl, ATTACH_FENTRY, false)         \
	X(s, raw_kvm_entry, ATTACH_KPROBE, true)              \
	X(s, raw_kvm_exit, ATTACH_KPROBE, true)               \
	X(s, raw_kvm_userspace_exit, ATTACH_KPROBE, false)    \
	X(s, kprobe_vcpu_ioctl, ATTACH_KPROBE, false)         \
	X(s, tp_kvm_entry, ATTACH_TRACEPOINT, true)           \
	X(s, tp_kvm_exit, ATTACH_TRACEPOINT, true)            \
	X(s, tp_kvm_userspace_exit, ATTACH_TRACEPOINT, false) \
	X(s, tp_enter_ioctl, ATTACH_TRACEPOINT, false)

/* the programs of mode m; hardware exit programs only where HW_EXITS */
#define SET_AUTOLOAD(s, prog, mode, hw) \
	bpf_program__set_autoload((s)->progs.prog, m == (mode) && (!(hw) || HW_EXITS));
#define ATTACH(s, prog, mode, hw)                                       \
	if (m == (mode) && (!(hw) || HW_EXITS)) {                       \
		(s)->links.prog = bpf_program__attach((s)->progs.prog); \
		if (!(s)->links.prog)                                   \
			return -errno;                                  \
	}

static void set_autoload(struct exits_bpf *s, enum attach_mode m)
{
	PROGS(s, SET_AUTOLOAD)
}

static int attach_progs(struct exits_bpf *s, enum attach_mode m)
{
	PROGS(s, ATTACH)
	return 0;
}

static int try_mode(void *arg, enum attach_mode m, char *why, size_t len)
{
	struct exits_ctx *ctx = arg;
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct exits_bpf *s;
	int err;

	if (m == ATTACH_TRACEPOINT && !ctx->vcpu_ioctl_addr) {
		err = ksym_lookup("kvm_vcpu_ioctl", NULL, &ctx->vcpu_ioctl_addr);
		if (err) {
			snprintf(why, len,
				 "tracepoint: cannot resolve kvm_vcpu_ioctl in /proc/kallsyms (%s)",
				 err == -EPERM ? kallsyms_hidden_reason() : strerror(-err));
			return -1;
		}
	}
	if (m != ATTACH_FENTRY && ctx->btf.fd < 0) {
		static const char *const mods[] = { "kvm", "kvm_amd", "kvm_intel", NULL };
		char errbuf[256];

		err = core_btf_build(&ctx->btf, exits_bpf__elf_bytes, mods, errbuf, sizeof(errbuf));
		if (err && verbose)
			warn_msg("minimal BTF: %s; using the full kernel BTF", errbuf);
	}
	open_opts.btf_custom_path = m != ATTACH_FENTRY && ctx->btf.fd >= 0 ? ctx->btf.path : NULL;
	s = exits_bpf__open_opts(&open_opts);
	if (!s) {
		snprintf(why, len, "%s: cannot open BPF object: %s", attach_mode_name(m),
			 strerror(errno));
		return -1;
	}
	s->rodata->targ_tgid = env.pid;
	s->rodata->per_vcpu = env.per_vcpu;
	s->rodata->want_addrs = env.top > 0;
	s->rodata->vcpu_ioctl_addr = ctx->vcpu_ioctl_addr;
	set_autoload(s, m);
	bpf_map__set_max_entries(s->maps.hists, env.max_series);
	bpf_map__set_max_entries(s->maps.procs, env.max_series);
	bpf_map__set_max_entries(s->maps.threads, env.max_series);
	bpf_map__set_max_entries(s->maps.addrs, env.max_addrs);
	err = exits_bpf__load(s);
	if (!err)
		err = attach_progs(s, m);
	if (err) {
		snprintf(why, len, "%s: %s (%s)", attach_mode_name(m),
			 *libbpf_last_error() ? libbpf_last_error() : "load/attach failed",
			 strerror(-err));
		exits_bpf__destroy(s);
		return -1;
	}
	ctx->skel = s;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct exits_key *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->vm != y->vm)
		return x->vm < y->vm ? -1 : 1;
	if (x->vcpu != y->vcpu)
		return x->vcpu < y->vcpu ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->isa != y->isa)
		return x->isa - y->isa;
	return x->reason < y->reason ? -1 : x->reason > y->reason;
}

static int okey_cmp(const void *a, const void *b)
{
	const struct exits_okey *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->isa != y->isa)
		return x->isa - y->isa;
	return x->reason < y->reason ? -1 : x->reason > y->reason;
}

#define SCAN_MS 200 /* how often new processes are looked at */

/* the previous report's counts of one address, for its interval */
struct addr_prev {
	struct exits_addr_key k;
	struct exits_addr_val v;
};

struct exits_run {
	struct exits_ctx *ctx;
	struct hist_set hs, ov;
	struct exits_key *okeys_full; /* the overflow series' keys as exits_key, for views */
	struct proc_table procs;
	struct exits_report_data d;
	size_t vcap, acap, ocap;
	struct addr_prev *prev; /* sorted by key */
	size_t nprev, prevcap;
	bool reap;
	int target_fd;
};

static struct proc_ident *ident_of(struct exits_run *r, uint32_t tgid)
{
	return proc_table_get_bpf(&r->procs, bpf_map__fd(r->ctx->skel->maps.procs), tgid);
}

static int exits_wait(void *arg, int timeout_ms)
{
	struct exits_run *r = arg;
	struct pollfd pfd = { .fd = r->target_fd, .events = POLLIN };

	/* new processes are looked at while they live: their VM name is in /proc */
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

static bool vm_wanted(const struct proc_ident *p, const char *label)
{
	return !env.vm || !strcmp(p->vm, env.vm) || !strcmp(label, env.vm);
}

static int addr_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct exits_addr_key));
}

static struct exits_view *view_new(struct exits_run *r)
{
	struct exits_view *v = &r->d.v[r->d.n++];

	memset(v, 0, sizeof(*v));
	return v;
}

/* the EXITS_RUN view a EXITS_USER series belongs to, or NULL */
static struct exits_view *run_view_of(struct exits_run *r, const struct exits_key *k)
{
	for (size_t i = r->d.n; i-- > 0;) {
		const struct exits_key *o = r->d.v[i].k;

		if (r->d.v[i].overflow || o->tgid != k->tgid || o->vm != k->vm)
			return NULL;
		if (o->kind == EXITS_RUN && o->vcpu == k->vcpu && o->reason == k->reason)
			return &r->d.v[i];
	}
	return NULL;
}

/* Views of every series (filtered by --vm), then the overflow series. */
static int build_views(struct exits_run *r)
{
	size_t need = r->hs.n + r->ov.n;

	if (need > r->vcap) {
		struct exits_view *v = realloc(r->d.v, need * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->d.v = v;
		r->vcap = need;
	}
	if (r->ov.n > r->ocap) {
		struct exits_key *k = realloc(r->okeys_full, r->ov.n * sizeof(*k));

		if (!k)
			return -ENOMEM;
		r->okeys_full = k;
		r->ocap = r->ov.n;
	}
	r->d.n = 0;
	/* series sort by process, VM, vCPU, kind: a USER series follows its RUN one */
	for (size_t i = 0; i < r->hs.n; i++) {
		const struct exits_key *k = r->hs.s[i].key;
		struct proc_ident *p = ident_of(r, k->tgid);
		struct exits_view *v;
		char label[256];
		int idx;

		if (!p)
			return -ENOMEM;
		idx = proc_vm_index(p, k->vm);
		proc_vm_label(p, idx, label, sizeof(label));
		if (!vm_wanted(p, label))
			continue;
		if (k->kind == EXITS_USER) {
			v = run_view_of(r, k);
			if (v) {
				v->user_cum = &r->hs.s[i].cum;
				v->user_interval = &r->hs.s[i].interval;
				continue;
			}
		}
		v = view_new(r);
		v->k = k;
		v->cum = &r->hs.s[i].cum;
		v->interval = &r->hs.s[i].interval;
		v->p = p;
		v->vm_index = idx;
		snprintf(v->vm, sizeof(v->vm), "%s", label);
		if (env.per_vcpu) {
			struct exits_thread_key tk = { .tgid = k->tgid,
						       .vcpu = k->vcpu,
						       .vm = k->vm };
			char comm[16] = "?";

			bpf_map_lookup_elem(bpf_map__fd(r->ctx->skel->maps.threads), &tk, comm);
			comm[15] = 0;
			utf8_sanitize(v->thread, sizeof(v->thread), comm, strlen(comm));
		}
	}
	for (size_t i = 0; i < r->ov.n; i++) {
		const struct exits_okey *o = r->ov.s[i].key;
		struct exits_key *k = &r->okeys_full[i];
		struct exits_view *v = view_new(r);

		*k = (struct exits_key){ .kind = o->kind, .isa = o->isa, .reason = o->reason };
		v->k = k;
		v->cum = &r->ov.s[i].cum;
		v->interval = &r->ov.s[i].interval;
		v->overflow = true;
	}
	return 0;
}

static const struct exits_addr_val *addr_prev_of(const struct exits_run *r,
						 const struct exits_addr_key *k)
{
	const struct addr_prev *p = bsearch(k, r->prev, r->nprev, sizeof(*p), addr_key_cmp);

	return p ? &p->v : NULL;
}

static int addr_cmp_interval(const void *a, const void *b)
{
	const struct exits_addr_view *x = a, *y = b;

	if (x->interval.exits != y->interval.exits)
		return x->interval.exits > y->interval.exits ? -1 : 1;
	return addr_key_cmp(&x->k, &y->k);
}

static int addr_cmp_cum(const void *a, const void *b)
{
	const struct exits_addr_view *x = a, *y = b;

	if (x->cum.exits != y->cum.exits)
		return x->cum.exits > y->cum.exits ? -1 : 1;
	return addr_key_cmp(&x->k, &y->k);
}

/* Every port and address of wanted VMs, with its interval, busiest first. */
static int read_addrs(struct exits_run *r, bool interval)
{
	int fd = bpf_map__fd(r->ctx->skel->maps.addrs);
	struct exits_addr_key key, next, *prev = NULL;

	r->d.na = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct exits_addr_view *a;
		const struct exits_addr_val *pv;
		struct proc_ident *p;
		char label[256];

		key = next;
		prev = &key;
		p = ident_of(r, key.tgid);
		if (!p)
			return -ENOMEM;
		proc_vm_label(p, proc_vm_index(p, key.vm), label, sizeof(label));
		if (!vm_wanted(p, label))
			continue;
		if (r->d.na == r->acap) {
			size_t cap = r->acap ? 2 * r->acap : 64;
			struct exits_addr_view *n = realloc(r->d.a, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			r->d.a = n;
			r->acap = cap;
		}
		a = &r->d.a[r->d.na];
		memset(a, 0, sizeof(*a));
		if (bpf_map_lookup_elem(fd, &key, &a->cum))
			continue;
		a->k = key;
		a->p = p;
		snprintf(a->vm, sizeof(a->vm), "%s", label);
		a->interval = a->cum;
		pv = addr_prev_of(r, &key);
		if (pv) {
			a->interval.exits -= pv->exits;
			a->interval.resumed -= pv->resumed;
			a->interval.user_ns -= pv->user_ns;
		}
		r->d.na++;
	}
	qsort(r->d.a, r->d.na, sizeof(*r->d.a), interval ? addr_cmp_interval : addr_cmp_cum);
	return 0;
}

/* This report's address counts become the base of the next interval. */
static int addrs_next_interval(struct exits_run *r)
{
	if (r->d.na > r->prevcap) {
		struct addr_prev *p = realloc(r->prev, r->d.na * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->prev = p;
		r->prevcap = r->d.na;
	}
	for (size_t i = 0; i < r->d.na; i++)
		r->prev[i] = (struct addr_prev){ .k = r->d.a[i].k, .v = r->d.a[i].cum };
	r->nprev = r->d.na;
	qsort(r->prev, r->nprev, sizeof(*r->prev), addr_key_cmp);
	return 0;
}

static bool series_exited(const void *key, void *ctx)
{
	const struct exits_key *k = key;
	struct exits_run *r = ctx;
	struct proc_ident *p = proc_table_find(&r->procs, k->tgid);

	if (!p || !p->reap)
		return false;
	bpf_map_delete_elem(bpf_map__fd(r->ctx->skel->maps.hists), k);
	bpf_map_delete_elem(bpf_map__fd(r->ctx->skel->maps.spill), k);
	if (env.per_vcpu) {
		struct exits_thread_key tk = { .tgid = k->tgid, .vcpu = k->vcpu, .vm = k->vm };

		bpf_map_delete_elem(bpf_map__fd(r->ctx->skel->maps.threads), &tk);
	}
	return true;
}

/* After their last report, exited processes leave the maps and every output. */
static void reap_exited(struct exits_run *r)
{
	int afd = bpf_map__fd(r->ctx->skel->maps.addrs);

	r->d.exited_series += hist_set_remove_if(&r->hs, series_exited, r);
	for (size_t i = 0; i < r->d.na; i++) {
		struct proc_ident *p = proc_table_find(&r->procs, r->d.a[i].k.tgid);

		if (p && p->reap)
			bpf_map_delete_elem(afd, &r->d.a[i].k);
	}
	proc_table_reap_bpf(&r->procs, bpf_map__fd(r->ctx->skel->maps.procs));
}

static int exits_read(void *arg, const struct tick *t)
{
	struct exits_run *r = arg;
	struct exits_bpf *s = r->ctx->skel;
	int err;

	/* who is gone is decided before the maps are read (latency.c says why) */
	proc_table_check_alive(&r->procs);
	proc_table_mark_reap(&r->procs);
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
	for (int i = 0; i < EXITS_STAT_MAX; i++)
		r->d.st[i] = percpu_u64_sum(bpf_map__fd(s->maps.stats), i, r->hs.ncpus);
	if (build_views(r) || read_addrs(r, t->interval)) {
		err_msg("out of memory");
		return -1;
	}
	r->d.series_used = r->hs.n;
	return 0;
}

static void exits_text(void *arg, const struct tick *t)
{
	exits_print_text(&((struct exits_run *)arg)->d, t);
}

static void exits_json(void *arg, const struct tick *t)
{
	exits_print_json(&((struct exits_run *)arg)->d, t);
}

static void exits_prom(struct prom_writer *w, void *arg)
{
	exits_fill_prom(w, &((struct exits_run *)arg)->d);
}

static void exits_next(void *arg, const struct tick *t)
{
	struct exits_run *r = arg;

	if (addrs_next_interval(r))
		warn_msg("out of memory: the next report's address counts are cumulative");
	if (r->reap && !t->final)
		reap_exited(r);
	hist_set_next_interval(&r->hs);
	hist_set_next_interval(&r->ov);
}

static const struct report_ops exits_ops = {
	.read = exits_read,
	.text = exits_text,
	.json = exits_json,
	.prom = exits_prom,
	.next = exits_next,
	.wait = exits_wait,
};

static int exits_start(struct exits_ctx *ctx, struct exits_run *run)
{
	char why[1024];

	if (env_check(ENV_TRACING | ENV_BTF | ENV_KVM, why, sizeof(why))) {
		err_msg("%s", why);
		return -1;
	}
	libbpf_setup_logging();
	signals_install();
	if (hist_set_init(&run->hs, sizeof(struct exits_key), key_cmp) ||
	    hist_set_init(&run->ov, sizeof(struct exits_okey), okey_cmp)) {
		err_msg("out of memory");
		return -1;
	}
	run->d.series_max = env.max_series;
	run->d.hw_supported = HW_EXITS;
	run->reap = env.c.interval_ns || env.c.prom;
	if (attach_select(&target, env.c.mode, try_mode, ctx, &run->d.mode, why, sizeof(why))) {
		if (env.c.mode != ATTACH_AUTO)
			err_msg("mode %s is not available here: %s", attach_mode_name(env.c.mode),
				why);
		else
			err_msg("cannot attach to KVM exits: %s", why);
		return -1;
	}
	env.c.tf.mode = attach_mode_name(run->d.mode);
	if (run->d.mode != ATTACH_KPROBE)
		attach_release_tracefs();
	return 0;
}

/* What was not recorded; lost events make the exit status 1. */
static int exits_finish(const struct exits_run *run, int ret)
{
	static const int lost[] = { EXITS_STAT_NO_STATE, EXITS_STAT_HIST_FULL, EXITS_STAT_NO_VCPU };

	for (int i = 0; i < EXITS_STAT_MAX; i++)
		if (run->d.st[i] && i != EXITS_STAT_RUN_ERROR)
			warn_msg("%" PRIu64 " events %s: %s", run->d.st[i],
				 i == EXITS_STAT_OVERFLOW || i == EXITS_STAT_NOMEM
					 ? "recorded per reason only"
					 : "not recorded in full",
				 exits_stat_names[i]);
	for (size_t i = 0; i < ARRAY_SIZE(lost) && !ret; i++)
		if (run->d.st[lost[i]])
			ret = EXIT_RUNTIME;
	return ret;
}

static void exits_cleanup(struct exits_ctx *ctx, struct exits_run *run)
{
	if (run->target_fd >= 0)
		close(run->target_fd);
	exits_bpf__destroy(ctx->skel);
	btf_min_close(&ctx->btf);
	attach_release_tracefs();
	textfile_close(&env.c.tf);
	hist_set_free(&run->hs);
	hist_set_free(&run->ov);
	proc_table_free(&run->procs);
	free(run->d.v);
	free(run->d.a);
	free(run->okeys_full);
	free(run->prev);
}

int cmd_exits(int argc, char **argv)
{
	static const struct cli cli = { .name = "pvtrace exits",
					.usage = "[OPTIONS] [INTERVAL [COUNT]]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt,
					.common = &env.c,
					.intervals = true };
	struct exits_ctx ctx = { .btf.fd = -1 };
	struct exits_run run = { .ctx = &ctx, .target_fd = -1 };
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
	if (exits_start(&ctx, &run))
		goto out;
	drop_caps_after_attach();
	if ((ret = cli_textfile_ready(&env.c)))
		goto out;
	fprintf(stderr, "Tracing KVM exits (mode: %s)... Hit Ctrl-C to end.\n",
		attach_mode_name(run.d.mode));
	ret = exits_finish(&run,
			   report_run(&env.c, cli_prom_interval_ns(&env.c), &exits_ops, &run));
out:
	exits_cleanup(&ctx, &run);
	return ret;
}
