// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace latency --steal-clock / --sched-clock: latency histograms of the
 * function a paravirt static call calls now (found as `pvtrace hooks` does,
 * calls.c), timed by bpf/hooklat.bpf.c with fentry/fexit or kprobe/kretprobe.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "hooks_int.h"
#include "hooklat.skel.h"
#include "attach.h"
#include "commands.h"
#include "histogram.h"
#include "ksyms.h"
#include "report.h"
#include "util.h"

#define HLAT_SCHEMA "pvtrace.latency.hooks/1"

static struct hlat_env {
	bool hook[2]; /* pv_steal_clock, pv_sched_clock */
	const char *function;
	struct cli_common c;
} lenv = { .c.unit = UNIT_US,
	   .c.modes = (1u << ATTACH_FENTRY) | (1u << ATTACH_KPROBE),
	   /* clock reads: le 16 ns .. 1 ms, x2 */
	   .c.default_buckets = { 4, 20, 1 } };

static const char *const lat_hooks[2] = { "pv_steal_clock", "pv_sched_clock" };

enum {
	LOPT_STEAL = 0x100,
	LOPT_SCHED,
	LOPT_FUNCTION,
};

static const char ldoc[] =
	"Latency histograms of the function a paravirt static call calls now\n"
	"(pv_steal_clock: kvm_steal_clock, native_steal_clock, ...; pv_sched_clock:\n"
	"kvm_sched_clock_read, native_sched_clock, ...), found as `pvtrace hooks` does.\n"
	"\n"
	"Examples:\n"
	"  pvtrace latency --steal-clock                # until Ctrl-C, then one report\n"
	"  pvtrace latency --steal-clock --sched-clock 1 10\n"
	"  pvtrace latency --steal-clock -d 10s --json\n"
	"\n"
	"Attach modes: fentry/fexit, else kprobe/kretprobe (no tracepoint exists for these).\n"
	"Many targets are noinstr (native_sched_clock, kvm_sched_clock_read, ...): neither\n"
	"ftrace nor kprobes may touch them. A target that cannot be traced is reported\n"
	"with the reason, per function, and the others are traced.\n"
	"--function FUNC times FUNC with the same programs instead of the hook's target\n"
	"(for checking the tracer where the target is never called).\n"
	"Exit status: 0 when at least one requested target was traced, 1 when none could\n"
	"be (each reason on its own line) or on a runtime error, 2 usage error.";

static const struct cli_opt lopts[] = {
	{ "steal-clock", LOPT_STEAL, NULL, "Time pv_steal_clock's current target" },
	{ "sched-clock", LOPT_SCHED, NULL, "Time pv_sched_clock's current target" },
	CLI_OPT_DURATION,
	CLI_OPT_UNIT("us"),
	CLI_OPT_JSON(HLAT_SCHEMA),
	CLI_OPT_PROM,
	CLI_OPT_MODE("fentry or kprobe"),
	{ "function", LOPT_FUNCTION, "FUNC", "Time FUNC instead of the target (one hook)" },
	CLI_OPT_VERBOSE,
	{ NULL, 0, NULL, NULL },
};

static int lparse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	(void)ctx;
	switch (key) {
	case LOPT_STEAL:
		lenv.hook[0] = true;
		break;
	case LOPT_SCHED:
		lenv.hook[1] = true;
		break;
	case LOPT_FUNCTION:
		if (!*arg || strlen(arg) > 120 || strpbrk(arg, " \t\n/")) {
			snprintf(err, len, "invalid function name '%s'", arg);
			return -1;
		}
		lenv.function = arg;
		break;
	default:
		return CLI_UNHANDLED;
	}
	return 0;
}

struct traced {
	const char *hook;
	char target[128];
	uint64_t addr;
	bool ok;
	char why[768];
	enum attach_mode mode;
	struct hooklat_bpf *skel;
	struct bpf_link *entry, *exit;
	struct hist_set hs;
	uint64_t stats[HOOKS_STAT_MAX];
	/* for try_attach */
	bool module; /* --function FUNC lives in a module */
};

/* Is func in available_filter_functions? 1 yes, 0 no, -1 cannot tell. */
static int ftrace_listed(const char *func)
{
	char path[256], line[512];
	size_t n = strlen(func);
	int found = 0;
	bool mounted;
	FILE *f;

	if (tracefs_ensure(&mounted, line, sizeof(line)))
		return -1;
	snprintf(path, sizeof(path), "%s/available_filter_functions", tracefs_dir());
	f = fopen(path, "re");
	if (!f) {
		tracefs_release(mounted);
		return -1;
	}
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, func, n) &&
			(line[n] == '\n' || line[n] == ' ' || line[n] == '\t' || !line[n]);
	fclose(f);
	tracefs_release(mounted);
	return found;
}

static int try_attach(void *arg, enum attach_mode m, char *why, size_t len)
{
	struct traced *t = arg;
	struct hooklat_bpf *s;
	struct bpf_program *entry, *exit;
	int e;

	s = hooklat_bpf__open();
	if (!s) {
		snprintf(why, len, "%s: cannot open BPF object: %s", attach_mode_name(m),
			 strerror(errno));
		return -1;
	}
	entry = m == ATTACH_FENTRY ? s->progs.hook_fentry : s->progs.hook_kprobe;
	exit = m == ATTACH_FENTRY ? s->progs.hook_fexit : s->progs.hook_kretprobe;
	bpf_program__set_autoload(s->progs.hook_fentry, m == ATTACH_FENTRY);
	bpf_program__set_autoload(s->progs.hook_fexit, m == ATTACH_FENTRY);
	bpf_program__set_autoload(s->progs.hook_kprobe, m == ATTACH_KPROBE);
	bpf_program__set_autoload(s->progs.hook_kretprobe, m == ATTACH_KPROBE);
	e = 0;
	if (m == ATTACH_FENTRY) {
		e = bpf_program__set_attach_target(entry, 0, t->target);
		if (!e)
			e = bpf_program__set_attach_target(exit, 0, t->target);
	}
	if (!e)
		e = hooklat_bpf__load(s);
	/* exit first: a call caught only at its exit is counted, never mis-timed */
	if (!e) {
		t->exit = m == ATTACH_FENTRY ? bpf_program__attach(exit)
					     : bpf_program__attach_kprobe(exit, true, t->target);
		e = t->exit ? 0 : -errno;
	}
	if (!e) {
		t->entry = m == ATTACH_FENTRY ? bpf_program__attach(entry)
					      : bpf_program__attach_kprobe(entry, false, t->target);
		e = t->entry ? 0 : -errno;
	}
	/* explain a failed fentry (reading the ftrace list is slow, so only then) */
	if (e && m == ATTACH_FENTRY && !t->module && hbtf_has_func(t->target) == 0)
		snprintf(why, len, "fentry: %s has no BTF (FUNC) in vmlinux", t->target);
	else if (e && m == ATTACH_FENTRY && ftrace_listed(t->target) == 0)
		snprintf(why, len,
			 "fentry: %s is not in available_filter_functions (notrace or inlined: "
			 "no ftrace site)",
			 t->target);
	else if (e)
		snprintf(why, len, "%s: %s (%s)", attach_mode_name(m),
			 *libbpf_last_error() ? libbpf_last_error() : "load/attach failed",
			 strerror(-e));
	if (e) {
		bpf_link__destroy(t->entry);
		bpf_link__destroy(t->exit);
		t->entry = t->exit = NULL;
		hooklat_bpf__destroy(s);
		return -1;
	}
	t->skel = s;
	return 0;
}

static void traced_close(struct traced *t)
{
	bpf_link__destroy(t->entry); /* entries stop first, pending exits still complete */
	bpf_link__destroy(t->exit);
	hooklat_bpf__destroy(t->skel);
	hist_set_free(&t->hs);
	t->entry = t->exit = NULL;
	t->skel = NULL;
}

static const char *const hstat_names[HOOKS_STAT_MAX] = {
	[HOOKS_STAT_DEPTH] = "nested_too_deep",
	[HOOKS_STAT_NO_ENTRY] = "exit_without_entry",
	[HOOKS_STAT_HIST_FULL] = "hist_missing",
};

/* Find the hook's target and decide whether it can be traced; attach if so. */
static void trace_one(struct hooks_ctx *c, struct traced *t)
{
	struct attach_target at = { 0 };
	struct hook *h = hook_get(c, t->hook, false);

	if (!h) {
		snprintf(t->why, sizeof(t->why), "kernel has no %s static call (no %s%s)", t->hook,
			 SCT, t->hook);
		return;
	}
	if (lenv.function) {
		const struct ksym *k = ksyms_by_name(c->ks, lenv.function);

		snprintf(t->target, sizeof(t->target), "%s", lenv.function);
		t->module = k && k->module;
	} else {
		snprintf(t->target, sizeof(t->target), "%s", h->target_name);
		t->addr = h->target;
		if (h->null || h->from == METHOD_NONE || !h->target) {
			snprintf(t->why, sizeof(t->why), "%s: no function to trace (%s)", t->hook,
				 h->target_name);
			return;
		}
		if (strchr(t->target, '+')) {
			snprintf(t->why, sizeof(t->why),
				 "%s points inside a function (%s), not at a symbol", t->hook,
				 h->target_name);
			return;
		}
		if (hooks_in_noinstr(c, t->addr)) {
			snprintf(t->why, sizeof(t->why),
				 "%s is noinstr (in .noinstr.text): ftrace, fentry and kprobes "
				 "never touch it",
				 h->target_name);
			return;
		}
	}
	at.func = t->target;
	if (attach_select(&at, lenv.c.mode, try_attach, t, &t->mode, t->why, sizeof(t->why)))
		return;
	t->ok = true;
	if (hist_set_init(&t->hs, sizeof(__u32), NULL)) {
		t->ok = false;
		snprintf(t->why, sizeof(t->why), "out of memory");
	}
}

static const struct hist_data *hook_hist(const struct traced *t, bool interval_mode)
{
	static struct hist_data empty;

	if (!t->hs.n) {
		hist_data_init(&empty);
		return &empty;
	}
	return interval_mode ? &t->hs.s[0].interval : &t->hs.s[0].cum;
}

static void lprint_text(const struct traced *t, int nt, bool interval_mode)
{
	if (interval_mode)
		text_print_clock(stdout);
	for (int i = 0; i < nt; i++) {
		if (!t[i].ok) {
			printf("\n%s -> %s: not traced: %s\n", t[i].hook,
			       t[i].target[0] ? t[i].target : "?", t[i].why);
			continue;
		}
		printf("\n%s -> %s (mode: %s)\n", t[i].hook, t[i].target,
		       attach_mode_name(t[i].mode));
		text_print_hist(stdout, hook_hist(&t[i], interval_mode), lenv.c.unit);
	}
	fflush(stdout);
}

static void lprint_json(const struct traced *t, int nt, const struct tick *tk)
{
	json_object *d = json_report_new(HLAT_SCHEMA, NULL, tk, NULL),
		    *arr = json_object_new_array();
	json_object *st = json_object_new_object();
	bool interval_mode = tk->interval;

	for (int i = 0; i < nt; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "hook", json_object_new_string(t[i].hook));
		json_object_object_add(o, "target",
				       t[i].target[0] ? json_object_new_string(t[i].target) : NULL);
		json_object_object_add(o, "traced", json_object_new_boolean(t[i].ok));
		if (t[i].ok) {
			json_object_object_add(o, "mode",
					       json_object_new_string(attach_mode_name(t[i].mode)));
			json_object_object_add(o, "histogram",
					       json_hist(hook_hist(&t[i], interval_mode)));
		} else {
			json_object_object_add(o, "reason", json_object_new_string(t[i].why));
		}
		json_object_array_add(arr, o);
	}
	json_object_object_add(d, "hooks", arr);
	for (int k = 0; k < HOOKS_STAT_MAX; k++) {
		uint64_t sum = 0;

		for (int i = 0; i < nt; i++)
			sum += t[i].stats[k];
		json_object_object_add(st, hstat_names[k], json_u64(sum));
	}
	json_object_object_add(d, "dropped", st);
	json_print_line(stdout, d);
	json_object_put(d);
}

struct hlat_run {
	struct traced *t;
	int nt;
};

static void lprom_fill(struct prom_writer *w, void *arg)
{
	static const char *metric = "pvtrace_paravirt_hook_duration_seconds";
	const struct hlat_run *r = arg;
	const struct traced *t = r->t;
	int nt = r->nt;

	prom_family(w, "pvtrace_paravirt_hook_traced", "gauge",
		    "1 when the hook's current target is traced, 0 when it cannot be");
	for (int i = 0; i < nt; i++)
		prom_sample(w, "pvtrace_paravirt_hook_traced",
			    (struct prom_label[]){
				    { "hook", t[i].hook },
				    { "target", t[i].target[0] ? t[i].target : "?" },
				    { "mode", t[i].ok ? attach_mode_name(t[i].mode) : "none" } },
			    3, t[i].ok ? "1" : "0");
	prom_family(w, metric, "histogram",
		    "Latency of a paravirt static call's target in seconds, since pvtrace started");
	for (int i = 0; i < nt; i++)
		if (t[i].ok)
			prom_hist(w, metric,
				  (struct prom_label[]){ { "hook", t[i].hook },
							 { "target", t[i].target } },
				  2, hook_hist(&t[i], false));
}

static int hlat_read(void *arg, const struct tick *tk)
{
	struct hlat_run *r = arg;
	struct traced *t = r->t;
	int err;

	for (int i = 0; i < r->nt; i++) {
		if (!t[i].ok)
			continue;
		tick_close_epoch(&t[i].skel->data->epoch, tk);
		err = hist_set_read(&t[i].hs, bpf_map__fd(t[i].skel->maps.hists), tk->epoch);
		if (err) {
			err_msg("reading histograms: %s", strerror(-err));
			return -1;
		}
		for (int k = 0; k < HOOKS_STAT_MAX; k++)
			t[i].stats[k] = percpu_u64_sum(bpf_map__fd(t[i].skel->maps.stats), k,
						       t[i].hs.ncpus);
	}
	return 0;
}

static void hlat_text(void *arg, const struct tick *tk)
{
	const struct hlat_run *r = arg;

	lprint_text(r->t, r->nt, tk->interval);
}

static void hlat_json(void *arg, const struct tick *tk)
{
	const struct hlat_run *r = arg;

	lprint_json(r->t, r->nt, tk);
}

static void hlat_next(void *arg, const struct tick *tk)
{
	struct hlat_run *r = arg;

	(void)tk;
	for (int i = 0; i < r->nt; i++)
		if (r->t[i].ok)
			hist_set_next_interval(&r->t[i].hs);
}

static const struct report_ops hlat_ops = {
	.read = hlat_read,
	.text = hlat_text,
	.json = hlat_json,
	.prom = lprom_fill,
	.next = hlat_next,
};

/* Find and attach each requested hook's target; the number traced (reasons said). */
static int trace_all(struct hooks_ctx *c, struct traced *t, int *nt)
{
	int ntraced = 0;

	for (int i = 0; i < 2; i++) {
		if (!lenv.hook[i])
			continue;
		t[*nt].hook = lat_hooks[i];
		trace_one(c, &t[*nt]);
		ntraced += t[*nt].ok;
		(*nt)++;
	}
	attach_release_tracefs();
	for (int i = 0; i < *nt; i++)
		if (!t[i].ok)
			(ntraced ? warn_msg : err_msg)("cannot trace %s -> %s: %s", t[i].hook,
						       t[i].target[0] ? t[i].target : "?",
						       t[i].why);
	return ntraced;
}

/* Attached: report until the end, then say what was not timed. An exit status. */
static int hlat_run(struct traced *t, int nt)
{
	int ret;

	drop_caps_after_attach();
	if ((ret = cli_textfile_ready(&lenv.c)))
		return ret;
	signals_install();
	fprintf(stderr, "Tracing");
	for (int i = 0, first = 1; i < nt; i++)
		if (t[i].ok) {
			fprintf(stderr, "%s %s -> %s (mode: %s)", first ? "" : ",", t[i].hook,
				t[i].target, attach_mode_name(t[i].mode));
			first = 0;
		}
	fprintf(stderr, "... Hit Ctrl-C to end.\n");

	ret = report_run(&lenv.c, cli_prom_interval_ns(&lenv.c), &hlat_ops,
			 &(struct hlat_run){ t, nt });
	for (int i = 0; i < nt; i++)
		for (int k = 0; k < HOOKS_STAT_MAX; k++)
			if (t[i].stats[k])
				warn_msg("%s: %" PRIu64 " calls not timed: %s", t[i].target,
					 t[i].stats[k], hstat_names[k]);
	return ret;
}

int hooks_latency_cmd(int argc, char **argv)
{
	static const struct cli cli = {
		.name = "pvtrace latency",
		.usage = "--steal-clock|--sched-clock [OPTIONS] [INTERVAL [COUNT]]",
		.doc = ldoc,
		.opts = lopts,
		.opt = lparse_opt,
		.common = &lenv.c,
		.intervals = true
	};
	struct hooks_ctx c = { 0 };
	struct traced t[2];
	int nt = 0, ret;

	memset(t, 0, sizeof(t));
	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	if (!lenv.hook[0] && !lenv.hook[1]) {
		err_msg("latency: say what to measure: --steal-clock or --sched-clock");
		return EXIT_USAGE;
	}
	if (lenv.function && lenv.hook[0] && lenv.hook[1]) {
		err_msg("latency: --function replaces one hook's target; give one hook");
		return EXIT_USAGE;
	}
	ret = cli_common_check(&lenv.c, cli.name);
	if (ret)
		return ret;
	ret = hooks_setup(&c);
	if (ret)
		goto out;
	/* the reader is not needed once the targets are known */
	hooks_reader_drop(&c);
	ret = EXIT_RUNTIME;
	if (trace_all(&c, t, &nt))
		ret = hlat_run(t, nt);
	else if (lenv.c.json)
		lprint_json(t, nt, &(struct tick){ .final = true });
out:
	for (int i = 0; i < nt; i++)
		traced_close(&t[i]);
	attach_release_tracefs();
	hooks_ctx_free(&c);
	textfile_close(&lenv.c.tf);
	return ret;
}
