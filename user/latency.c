// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace latency --ioctl: KVM vCPU ioctl latency histograms. */
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
#include <sys/utsname.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "latency.h"
#include "latency.skel.h"
#include "attach.h"
#include "btf_min.h"
#include "cli.h"
#include "commands.h"
#include "kvm_ioctl.h"
#include "ksyms.h"
#include "output.h"
#include "report.h"
#include "util.h"
#include "workload.h"

#define LAT_SCHEMA "pvtrace.latency.ioctl/1"

static struct lat_env {
	bool ioctl;
	pid_t pid;
	const char *comm;
	bool per_pid;
	bool per_vcpu;
	bool workload;
	struct cli_common c;
} env = { .c.unit = UNIT_US };

enum {
	OPT_IOCTL = 0x100,
	OPT_COMM,
	OPT_PER_VCPU,
	OPT_WORKLOAD,
	OPT_HOOK, /* --steal-clock, --sched-clock: handled by hooks_latency_cmd() */
};

static const char doc[] =
	"Latency histograms of KVM vCPU ioctls, one per ioctl command.\n"
	"\n"
	"Examples:\n"
	"  pvtrace latency --ioctl                 # until Ctrl-C, then one report\n"
	"  pvtrace latency --ioctl 1 10            # ten 1-second reports\n"
	"  pvtrace latency --ioctl -p 1234 --per-vcpu   # one QEMU process, per vCPU\n"
	"  pvtrace latency --ioctl -d 30s --json   # 30 s, one JSON document\n"
	"  pvtrace latency --ioctl 15 --prom /var/lib/node_exporter/pvtrace.prom\n"
	"  pvtrace latency --ioctl --workload      # built-in KVM workload, counts checked\n"
	"  pvtrace latency --ioctl --mode tracepoint    # force syscall tracepoints\n"
	"\n"
	"Attach modes: fentry/fexit on kvm_vcpu_ioctl, else kprobe/kretprobe, else the\n"
	"ioctl syscall tracepoints filtered to KVM vCPU files. Latencies are kept in\n"
	"nanoseconds in log2 buckets; percentiles are interpolated inside the bucket.\n"
	"Exit status: 0 ok, 1 runtime error, 2 usage error.";

static const struct cli_opt opts[] = {
	{ "ioctl", OPT_IOCTL, NULL, "Measure KVM vCPU ioctls (kvm_vcpu_ioctl)" },
	{ "pid", 'p', "PID", "Only this process" },
	{ "comm", OPT_COMM, "COMM", "Only tasks with this command name" },
	{ "per-pid", 'P', NULL, "One histogram per process" },
	{ "per-vcpu", OPT_PER_VCPU, NULL, "One histogram per process and vCPU id" },
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
	case 'p':
		if (!parse_u64(arg, &v) || !v || v > INT32_MAX) {
			snprintf(err, len, "invalid pid '%s'", arg);
			return -1;
		}
		env.pid = v;
		break;
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
	default:
		return CLI_UNHANDLED;
	}
	return 0;
}

struct lat_ctx {
	struct latency_bpf *skel;
	uint64_t vcpu_ioctl_addr;
	struct btf_min btf; /* minimal CO-RE BTF for kprobe/tracepoint modes */
};

static const struct attach_target target = {
	.func = "kvm_vcpu_ioctl",
	.module = "kvm",
	.tp_category = "syscalls",
	.tp_enter = "sys_enter_ioctl",
	.tp_exit = "sys_exit_ioctl",
};

static void set_autoload(struct latency_bpf *s, enum attach_mode m)
{
	bpf_program__set_autoload(s->progs.fentry_vcpu_ioctl, m == ATTACH_FENTRY);
	bpf_program__set_autoload(s->progs.fexit_vcpu_ioctl, m == ATTACH_FENTRY);
	bpf_program__set_autoload(s->progs.kprobe_vcpu_ioctl, m == ATTACH_KPROBE);
	bpf_program__set_autoload(s->progs.kretprobe_vcpu_ioctl, m == ATTACH_KPROBE);
	bpf_program__set_autoload(s->progs.tp_enter_ioctl, m == ATTACH_TRACEPOINT);
	bpf_program__set_autoload(s->progs.tp_exit_ioctl, m == ATTACH_TRACEPOINT);
}

static int try_mode(void *arg, enum attach_mode m, char *why, size_t len)
{
	struct lat_ctx *ctx = arg;
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct latency_bpf *s;
	int err;

	if (m == ATTACH_TRACEPOINT && !ctx->vcpu_ioctl_addr) {
		err = ksym_lookup("kvm_vcpu_ioctl", NULL, &ctx->vcpu_ioctl_addr);
		if (err) {
			snprintf(why, len,
				 "tracepoint: cannot resolve kvm_vcpu_ioctl in /proc/kallsyms (%s)",
				 err == -EPERM ? "addresses hidden by kptr_restrict"
					       : strerror(-err));
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
	opts.btf_custom_path = m != ATTACH_FENTRY && ctx->btf.fd >= 0 ? ctx->btf.path : NULL;
	s = latency_bpf__open_opts(&opts);
	if (!s) {
		snprintf(why, len, "%s: cannot open BPF object: %s", attach_mode_name(m),
			 strerror(errno));
		return -1;
	}
	s->rodata->targ_tgid = env.pid;
	s->rodata->per_pid = env.per_pid;
	s->rodata->per_vcpu = env.per_vcpu;
	s->rodata->vcpu_ioctl_addr = ctx->vcpu_ioctl_addr;
	if (env.comm) {
		s->rodata->filter_comm = true;
		strncpy((char *)s->rodata->targ_comm, env.comm, sizeof(s->rodata->targ_comm) - 1);
	}
	set_autoload(s, m);
	err = latency_bpf__load(s);
	if (!err)
		err = latency_bpf__attach(s);
	if (err) {
		snprintf(why, len, "%s: %s (%s)", attach_mode_name(m),
			 *libbpf_last_error() ? libbpf_last_error() : "load/attach failed",
			 strerror(-err));
		latency_bpf__destroy(s);
		return -1;
	}
	ctx->skel = s;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct lat_key *x = a, *y = b;
	char nx[96], ny[96];
	int r;

	kvm_ioctl_format(x->cmd, nx, sizeof(nx));
	kvm_ioctl_format(y->cmd, ny, sizeof(ny));
	r = strcmp(nx, ny);
	if (r)
		return r;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->vcpu - y->vcpu;
}

static void comm_of(struct latency_bpf *s, uint32_t tgid, char *comm, size_t len)
{
	char buf[16];

	if (!bpf_map_lookup_elem(bpf_map__fd(s->maps.comms), &tgid, buf)) {
		buf[15] = 0;
		snprintf(comm, len, "%s", buf);
	} else {
		snprintf(comm, len, "?");
	}
}

struct lat_stats {
	uint64_t v[LAT_STAT_MAX];
};

static const char *const stat_names[LAT_STAT_MAX] = {
	[LAT_STAT_NO_START] = "no_start_slot",
	[LAT_STAT_HIST_FULL] = "hist_map_full",
	[LAT_STAT_LOST_EXIT] = "lost_exits",
};

static void read_stats(struct lat_ctx *ctx, struct hist_set *hs, struct lat_stats *st)
{
	for (int i = 0; i < LAT_STAT_MAX; i++)
		st->v[i] = percpu_u64_sum(bpf_map__fd(ctx->skel->maps.stats), i, hs->ncpus);
}

static void print_text(struct lat_ctx *ctx, struct hist_set *hs, bool interval_mode)
{
	if (interval_mode) {
		char ts[16];
		time_t t = time(NULL);

		strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
		printf("\n%s\n", ts);
	}
	size_t shown = 0;

	for (size_t i = 0; i < hs->n; i++)
		shown += (interval_mode ? hs->s[i].interval.count : hs->s[i].cum.count) != 0;
	if (!shown)
		printf("no KVM vCPU ioctls traced\n");
	for (size_t i = 0; i < hs->n; i++) {
		const struct lat_key *k = hs->s[i].key;
		const struct hist_data *h = interval_mode ? &hs->s[i].interval : &hs->s[i].cum;
		char name[96], comm[16];

		if (interval_mode && !h->count)
			continue;
		kvm_ioctl_format(k->cmd, name, sizeof(name));
		printf("\n%s (0x%08x)", name, k->cmd);
		if (env.per_pid) {
			comm_of(ctx->skel, k->tgid, comm, sizeof(comm));
			printf("  pid %u [%s]", k->tgid, comm);
		}
		if (env.per_vcpu)
			printf("  vcpu %d", k->vcpu);
		printf("\n");
		text_print_hist(stdout, h, env.c.unit);
	}
	fflush(stdout);
}

static json_object *key_json(struct lat_ctx *ctx, const struct lat_key *k)
{
	json_object *o = json_object_new_object();
	struct ioctl_fields f;
	char name[96], hex[16], comm[16];

	kvm_ioctl_format(k->cmd, name, sizeof(name));
	snprintf(hex, sizeof(hex), "0x%08x", k->cmd);
	ioctl_decode(k->cmd, &f);
	json_object_object_add(o, "command",
			       json_object_new_string(kvm_ioctl_name(k->cmd) ? name : hex));
	json_object_object_add(o, "known", json_object_new_boolean(kvm_ioctl_name(k->cmd) != NULL));
	json_object_object_add(o, "cmd", json_object_new_string(hex));
	json_object_object_add(o, "dir", json_object_new_string(ioctl_dir_name(f.dir)));
	json_object_object_add(o, "type", json_object_new_int(f.type));
	json_object_object_add(o, "nr", json_object_new_int(f.nr));
	json_object_object_add(o, "size", json_object_new_int(f.size));
	if (env.per_pid) {
		comm_of(ctx->skel, k->tgid, comm, sizeof(comm));
		json_object_object_add(o, "pid", json_object_new_int64(k->tgid));
		json_object_object_add(o, "comm", json_object_new_string(comm));
	}
	if (env.per_vcpu)
		json_object_object_add(o, "vcpu", json_object_new_int(k->vcpu));
	return o;
}

static void print_json(struct lat_ctx *ctx, struct hist_set *hs, const struct lat_stats *st,
		       enum attach_mode mode, bool interval_mode, uint64_t index,
		       uint64_t interval_ns, bool final)
{
	json_object *doc = json_object_new_object(), *arr = json_object_new_array();
	json_object *stats = json_object_new_object();
	struct utsname u;

	uname(&u);
	json_object_object_add(doc, "schema", json_object_new_string(LAT_SCHEMA));
	json_object_object_add(doc, "mode", json_object_new_string(attach_mode_name(mode)));
	json_object_object_add(doc, "kernel", json_object_new_string(u.release));
	json_object_object_add(doc, "unit", json_object_new_string("ns"));
	json_object_object_add(doc, "interval_index", json_u64(index));
	json_object_object_add(doc, "interval_ns", json_u64(interval_ns));
	json_object_object_add(doc, "cumulative", json_object_new_boolean(!interval_mode));
	json_object_object_add(doc, "final", json_object_new_boolean(final));
	for (size_t i = 0; i < hs->n; i++) {
		const struct hist_data *h = interval_mode ? &hs->s[i].interval : &hs->s[i].cum;
		json_object *o;

		if (!h->count)
			continue;
		o = key_json(ctx, hs->s[i].key);
		json_object_object_add(o, "histogram", json_hist(h));
		json_object_array_add(arr, o);
	}
	json_object_object_add(doc, "ioctls", arr);
	for (int i = 0; i < LAT_STAT_MAX; i++)
		json_object_object_add(stats, stat_names[i], json_u64(st->v[i]));
	json_object_object_add(doc, "dropped", stats);
	json_print_line(stdout, doc);
	json_object_put(doc);
}

static int write_prom(struct lat_ctx *ctx, struct hist_set *hs, const struct lat_stats *st,
		      enum attach_mode mode)
{
	static const char *metric = "pvtrace_kvm_vcpu_ioctl_duration_seconds";
	struct prom_writer w;
	int err;

	err = prom_open(&w, env.c.prom);
	if (err)
		return err;
	prom_family(&w, "pvtrace_info", "gauge", "pvtrace attach mode");
	prom_sample(&w, "pvtrace_info", (struct prom_label[]){ { "mode", attach_mode_name(mode) } },
		    1, "1");
	prom_family(&w, metric, "histogram",
		    "Latency of KVM vCPU ioctls in seconds, since pvtrace started");
	for (size_t i = 0; i < hs->n; i++) {
		const struct lat_key *k = hs->s[i].key;
		char name[96], hex[16], pid[16], vcpu[16], comm[16];
		struct prom_label l[6];
		int n = 0;

		kvm_ioctl_format(k->cmd, name, sizeof(name));
		snprintf(hex, sizeof(hex), "0x%08x", k->cmd);
		l[n++] = (struct prom_label){ "command", kvm_ioctl_name(k->cmd) ? name : hex };
		l[n++] = (struct prom_label){ "cmd", hex };
		if (env.per_pid) {
			snprintf(pid, sizeof(pid), "%u", k->tgid);
			comm_of(ctx->skel, k->tgid, comm, sizeof(comm));
			l[n++] = (struct prom_label){ "pid", pid };
			l[n++] = (struct prom_label){ "comm", comm };
		}
		if (env.per_vcpu) {
			snprintf(vcpu, sizeof(vcpu), "%d", k->vcpu);
			l[n++] = (struct prom_label){ "vcpu", vcpu };
		}
		prom_hist(&w, metric, l, n, &hs->s[i].cum);
	}
	prom_family(&w, "pvtrace_dropped_events_total", "counter",
		    "Events pvtrace could not record, by reason");
	for (int i = 0; i < LAT_STAT_MAX; i++) {
		char v[32];

		snprintf(v, sizeof(v), "%" PRIu64, st->v[i]);
		prom_sample(&w, "pvtrace_dropped_events_total",
			    (struct prom_label[]){ { "reason", stat_names[i] } }, 1, v);
	}
	return prom_commit(&w);
}

/* Compare traced counts with what the workload issued; prints a table. */
static int check_workload(struct hist_set *hs, const struct wl_result *r)
{
	uint64_t total_issued = 0, total_seen = 0;
	int bad = 0;

	fprintf(stderr, "\nworkload check (issued by the workload vs traced):\n");
	for (int op = 0; op < WL_OP_MAX; op++) {
		for (int v = 0; v < (env.per_vcpu ? r->nvcpus : 1); v++) {
			uint64_t issued = 0, seen = 0;

			for (int c = 0; c < r->nvcpus; c++)
				if (!env.per_vcpu || c == v)
					issued += r->issued[c][op];
			for (size_t i = 0; i < hs->n; i++) {
				const struct lat_key *k = hs->s[i].key;

				if (k->cmd == wl_op_cmd(op) && (!env.per_vcpu || k->vcpu == v))
					seen += hs->s[i].cum.count;
			}
			if (!issued && !seen)
				continue;
			total_issued += issued;
			total_seen += seen;
			if (issued != seen)
				bad++;
			fprintf(stderr, "  %-22s", wl_op_name(op));
			if (env.per_vcpu)
				fprintf(stderr, " vcpu %d", v);
			fprintf(stderr, " issued %-8" PRIu64 " traced %-8" PRIu64 " %s\n", issued,
				seen, issued == seen ? "ok" : "MISMATCH");
		}
	}
	if (!r->one_reg)
		fprintf(stderr, "  (KVM_CAP_ONE_REG is 0 here: ONE_REG ioctls not issued)\n");
	if (!r->run_ok)
		fprintf(stderr,
			"  (KVM_RUN failed on this host: counted, but the guest did not run)\n");
	fprintf(stderr, "workload: %" PRIu64 " vCPU ioctls issued, %" PRIu64 " traced: %s\n",
		total_issued, total_seen, bad ? "MISMATCH" : "all counts match");
	return bad ? -1 : 0;
}

struct child {
	pid_t pid;
	int go_fd;     /* write end: start signal */
	int result_fd; /* read end: wl_result */
};

static int workload_fork(struct child *c, char *err, size_t len)
{
	int go[2], res[2];

	if (pipe2(go, O_CLOEXEC) || pipe2(res, O_CLOEXEC)) {
		snprintf(err, len, "workload: pipe: %s", strerror(errno));
		return -1;
	}
	c->pid = fork();
	if (c->pid < 0) {
		snprintf(err, len, "workload: fork: %s", strerror(errno));
		return -1;
	}
	if (c->pid == 0) {
		struct wl_spec spec;
		struct wl_result r;
		char buf, e[256];

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		close(go[1]);
		close(res[0]);
		if (read(go[0], &buf, 1) != 1)
			_exit(3);
		wl_default_spec(&spec);
		if (wl_run(&spec, &r, e, sizeof(e))) {
			fprintf(stderr, "%s: %s\n", prog_name, e);
			_exit(1);
		}
		_exit(wl_result_write(res[1], &r) ? 1 : 0);
	}
	close(go[0]);
	close(res[1]);
	c->go_fd = go[1];
	c->result_fd = res[0];
	return 0;
}

static void workload_stop(struct child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
	}
}

static int check_env(char *err, size_t len)
{
	if (!have_tracing_caps()) {
		snprintf(err, len, "needs root or CAP_BPF and CAP_PERFMON to trace");
		return -1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, len,
			 "kernel has no BTF (/sys/kernel/btf/vmlinux missing; needs "
			 "CONFIG_DEBUG_INFO_BTF)");
		return -1;
	}
	if (access("/sys/module/kvm", F_OK)) {
		snprintf(err, len,
			 "KVM is not loaded (no /sys/module/kvm): modprobe kvm_amd or kvm_intel");
		return -1;
	}
	return 0;
}

/* Everything the loop's callbacks need. */
struct lat_run {
	struct lat_ctx *ctx;
	struct hist_set hs;
	struct lat_stats st;
	enum attach_mode mode;
	struct child child;
	struct wl_result wres;
	bool have_wres;
};

/* Waits for the workload's result, if there is a workload. */
static int lat_wait(void *arg, int timeout_ms)
{
	struct lat_run *r = arg;
	struct pollfd pfd = { .fd = r->child.result_fd, .events = POLLIN };
	int status = 0;

	if (r->child.result_fd < 0) {
		sleep_until(now_ns() + (uint64_t)timeout_ms * 1000000ULL);
		return 0;
	}
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
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

static int lat_report(void *arg, const struct tick *t)
{
	struct lat_run *r = arg;
	int err;

	/* new epoch first, so min/max of the closed interval stop changing */
	tick_close_epoch(&r->ctx->skel->data->epoch, t);
	err = hist_set_read(&r->hs, bpf_map__fd(r->ctx->skel->maps.hists), t->epoch);
	if (err) {
		err_msg("reading histograms: %s", strerror(-err));
		return -1;
	}
	read_stats(r->ctx, &r->hs, &r->st);
	if (env.c.json)
		print_json(r->ctx, &r->hs, &r->st, r->mode, t->interval, t->index, t->span_ns,
			   t->final);
	else
		print_text(r->ctx, &r->hs, t->interval);
	if (env.c.prom && (err = write_prom(r->ctx, &r->hs, &r->st, r->mode))) {
		err_msg("--prom %s: %s", env.c.prom, strerror(-err));
		return -1;
	}
	hist_set_next_interval(&r->hs);
	return 0;
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
	struct lat_ctx ctx = { .btf.fd = -1 };
	struct lat_run run = { .ctx = &ctx, .child = { .pid = 0, .go_fd = -1, .result_fd = -1 } };
	char why[1024];
	int ret;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--steal-clock") || !strcmp(argv[i], "--sched-clock"))
			return hooks_latency_cmd(argc, argv);
	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	if (!env.ioctl) {
		err_msg("latency: say what to measure: --ioctl, --steal-clock or --sched-clock "
			"(see --help)");
		return EXIT_USAGE;
	}
	ret = cli_common_check(&env.c, cli.name);
	if (ret)
		return ret;
	if (env.workload && env.pid) {
		err_msg("latency: --workload traces its own process; drop --pid");
		return EXIT_USAGE;
	}
	if (env.pid && kill(env.pid, 0) && errno == ESRCH) {
		err_msg("no such process: %d", env.pid);
		return EXIT_USAGE;
	}
	if (check_env(why, sizeof(why))) {
		err_msg("%s", why);
		return EXIT_RUNTIME;
	}
	ret = EXIT_RUNTIME;
	libbpf_setup_logging();
	signals_install();
	if (hist_set_init(&run.hs, sizeof(struct lat_key), key_cmp)) {
		err_msg("out of memory");
		return EXIT_RUNTIME;
	}
	if (env.workload) {
		if (workload_fork(&run.child, why, sizeof(why))) {
			err_msg("%s", why);
			goto out;
		}
		env.pid = run.child.pid;
	}
	if (attach_select(&target, env.c.mode, try_mode, &ctx, &run.mode, why, sizeof(why))) {
		if (env.c.mode != ATTACH_AUTO)
			err_msg("mode %s is not available here: %s", attach_mode_name(env.c.mode),
				why);
		else
			err_msg("cannot attach to KVM vCPU ioctls: %s", why);
		goto out;
	}
	/* tracefs is only needed to detach legacy kprobe_events probes */
	if (run.mode != ATTACH_KPROBE)
		attach_release_tracefs();
	/* fds are open: reading maps needs no privilege from here on */
	if (drop_all_caps())
		warn_msg("could not drop capabilities: %s", strerror(errno));
	fprintf(stderr, "Tracing KVM vCPU ioctls (mode: %s)... %s\n", attach_mode_name(run.mode),
		env.workload ? "running the built-in workload." : "Hit Ctrl-C to end.");
	if (env.workload && write(run.child.go_fd, "g", 1) != 1) {
		err_msg("workload: cannot start: %s", strerror(errno));
		goto out;
	}
	ret = report_loop(&env.c, 0, lat_wait, lat_report, &run);
	for (int i = 0; i < LAT_STAT_MAX; i++)
		if (run.st.v[i])
			warn_msg("%" PRIu64 " ioctls not recorded: %s", run.st.v[i], stat_names[i]);
	if (run.have_wres && check_workload(&run.hs, &run.wres))
		ret = EXIT_RUNTIME;
out:
	workload_stop(&run.child);
	if (run.child.go_fd >= 0)
		close(run.child.go_fd);
	if (run.child.result_fd >= 0)
		close(run.child.result_fd);
	latency_bpf__destroy(ctx.skel);
	btf_min_close(&ctx.btf);
	attach_release_tracefs();
	hist_set_free(&run.hs);
	return ret;
}
