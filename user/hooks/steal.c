// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace hooks --steal: steal time per CPU and in total over each INTERVAL,
 * from kernel_cpustat (and KVM's steal_time where registered) read with a BPF
 * task iterator (bpf/steal.bpf.c), each CPU's per-CPU data located with
 * bpf_per_cpu_ptr() (ksym) or from its runqueue (runqueue), else /proc/stat.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "hooks_int.h"
#include "steal.skel.h"
#include "ksyms.h"
#include "report.h"
#include "util.h"

void hooks_steal_rate(uint64_t delta_ns, uint64_t interval_ns, unsigned int ncpus, double *ns_per_s,
		      double *pct)
{
	*ns_per_s = interval_ns ? (double)delta_ns * 1e9 / (double)interval_ns : 0;
	*pct = interval_ns && ncpus ? (double)delta_ns * 100.0 / ((double)interval_ns * ncpus) : 0;
}

/* ------------------------------------------------------------------ */
/* Steal time                                                          */

struct steal_src {
	int method; /* enum hooks_percpu or PERCPU_PROCFS */
	unsigned int ncpus;
	struct steal_bpf *skel;
	struct bpf_link *link;
	bool kvm;	 /* steal_time (struct kvm_steal_time) is read */
	char why[512];	 /* why better methods were not used */
	uint64_t clk_ns; /* procfs: ns per USER_HZ tick */
};

struct steal_sample {
	uint64_t t;
	uint64_t *cpustat, *kvm, *user;
	uint32_t *flags;
};

static const char *percpu_name(int m)
{
	return m == HOOKS_PERCPU_KSYM ? "ksym" : m == HOOKS_PERCPU_RUNQUEUE ? "runqueue" : "procfs";
}

/* /proc/stat per-CPU user and steal columns, in USER_HZ ticks; -1 for absent CPUs. */
static int procfs_ticks(unsigned int ncpus, int64_t *user, int64_t *steal)
{
	FILE *f = fopen("/proc/stat", "re");
	char line[512];

	if (!f)
		return -errno;
	for (unsigned int c = 0; c < ncpus; c++)
		user[c] = steal[c] = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8];
		unsigned int cpu;

		if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 9 ||
		    cpu >= ncpus)
			continue;
		user[cpu] = v[0];
		steal[cpu] = v[7];
	}
	fclose(f);
	return 0;
}

static uint64_t tick_ns(void)
{
	long tck = sysconf(_SC_CLK_TCK);

	return tck > 0 ? 1000000000ULL / tck : 10000000ULL;
}

static int procfs_sample(const struct steal_src *s, struct steal_sample *x)
{
	int64_t *user = calloc(s->ncpus, sizeof(*user)), *steal = calloc(s->ncpus, sizeof(*steal));
	int e = user && steal ? procfs_ticks(s->ncpus, user, steal) : -ENOMEM;

	for (unsigned int c = 0; !e && c < s->ncpus; c++) {
		x->cpustat[c] = steal[c] >= 0 ? (uint64_t)steal[c] * s->clk_ns : 0;
		x->user[c] = user[c] >= 0 ? (uint64_t)user[c] * s->clk_ns : 0;
		x->flags[c] = steal[c] >= 0 ? HOOKS_CPU_CPUSTAT : 0;
	}
	free(user);
	free(steal);
	return e;
}

/*
 * The per-CPU addresses are derived, so check them: each CPU's user time read
 * in BPF must fall between /proc/stat's user column read before and after
 * (/proc/stat shows floor(ns / tick)), and at least one CPU must have some.
 */
static int steal_validate(const struct steal_src *s, char *why, size_t len)
{
	int64_t *u0 = calloc(s->ncpus, sizeof(int64_t)), *u1 = calloc(s->ncpus, sizeof(int64_t));
	int64_t *st = calloc(s->ncpus, sizeof(int64_t));
	uint64_t tick = tick_ns();
	int e = -ENOMEM, nonzero = 0;

	if (!u0 || !u1 || !st)
		goto out;
	e = procfs_ticks(s->ncpus, u0, st);
	if (!e)
		e = bpf_iter_run(s->link);
	if (!e)
		e = procfs_ticks(s->ncpus, u1, st);
	if (e) {
		snprintf(why, len, "%s", strerror(-e));
		goto out;
	}
	for (unsigned int c = 0; c < s->ncpus; c++) {
		const struct steal_cpu *v = &s->skel->bss->steal[c];
		int64_t t = (int64_t)(v->cpustat_user / tick);

		if (u0[c] < 0 || !(v->flags & HOOKS_CPU_CPUSTAT))
			continue;
		if (t < u0[c] || t > u1[c]) {
			snprintf(why, len,
				 "CPU %u: user time read at the derived address (%" PRId64
				 " ticks) is not /proc/stat's (%" PRId64 "..%" PRId64 ")",
				 c, t, u0[c], u1[c]);
			e = -EINVAL;
			goto out;
		}
		nonzero += t > 0;
	}
	if (!nonzero) {
		snprintf(why, len, "no CPU with user time to check the derived addresses against");
		e = -EINVAL;
	}
out:
	free(u0);
	free(u1);
	free(st);
	return e;
}

/* What a BPF method needs from BTF and kallsyms: 0, or -1 with the reason. */
static int steal_check(int method, const struct hbtf_percpu *pc, bool ksym_ok, char *why,
		       size_t len)
{
	if (!pc->has_cpustat) {
		snprintf(why, len, "%s: kernel_cpustat is not in the BTF per-CPU section",
			 percpu_name(method));
		return -1;
	}
	if (method == HOOKS_PERCPU_KSYM && !ksym_ok) {
		snprintf(why, len,
			 "ksym: kernel_cpustat is not in /proc/kallsyms (no CONFIG_KALLSYMS_ALL), "
			 "so bpf_per_cpu_ptr() cannot resolve it");
		return -1;
	}
	if (method == HOOKS_PERCPU_RUNQUEUE && (!pc->has_rq || !pc->fair_group)) {
		snprintf(why, len, "runqueue: needs CONFIG_FAIR_GROUP_SCHED (tg->cfs_rq[cpu]->rq)");
		return -1;
	}
	return 0;
}

/* Load and attach the method's iterator, check what it reads; 0 or -1 with the reason. */
static int steal_try_bpf(struct steal_src *s, int method, const struct hbtf_percpu *pc, char *why,
			 size_t len)
{
	struct bpf_program *want;
	struct steal_bpf *k;
	char check[256] = "";
	int e;

	k = steal_bpf__open();
	if (!k) {
		snprintf(why, len, "%s: cannot open BPF object: %s", percpu_name(method),
			 strerror(errno));
		return -1;
	}
	want = method == HOOKS_PERCPU_KSYM ? k->progs.steal_ksym : k->progs.steal_rq;
	bpf_program__set_autoload(k->progs.steal_ksym, method == HOOKS_PERCPU_KSYM);
	bpf_program__set_autoload(k->progs.steal_rq, method == HOOKS_PERCPU_RUNQUEUE);
	k->rodata->ncpus = s->ncpus;
	k->rodata->off_anchor = method == HOOKS_PERCPU_KSYM ? pc->cpustat : pc->rq;
	k->rodata->off_cpustat = pc->cpustat;
	k->rodata->off_steal_time = pc->st;
	libbpf_clear_error();
	e = steal_bpf__load(k);
	if (!e) {
		s->link = bpf_program__attach_iter(want, NULL);
		e = s->link ? 0 : -errno;
	}
	if (!e) {
		s->skel = k;
		e = steal_validate(s, check, sizeof(check));
		if (!e && !k->bss->steal_runs)
			e = -ENOTSUP;
		s->skel = NULL;
		if (e && check[0]) {
			snprintf(why, len, "%s: %s", percpu_name(method), check);
			goto fail;
		}
	}
	if (e) {
		snprintf(why, len, "%s: %s", percpu_name(method),
			 *libbpf_last_error() ? libbpf_last_error() : strerror(-e));
	fail:
		bpf_link__destroy(s->link);
		s->link = NULL;
		steal_bpf__destroy(k);
		return -1;
	}
	s->skel = k;
	s->kvm = pc->st != 0;
	s->method = method;
	return 0;
}

/* The best method available (or the --percpu one): 0, or -1 with every reason in err. */
static int steal_open(struct steal_src *s, int percpu, bool ksym_ok, char *err, size_t len)
{
	int order[] = { HOOKS_PERCPU_KSYM, HOOKS_PERCPU_RUNQUEUE, PERCPU_PROCFS };
	struct hbtf_percpu pc;
	bool have_pc = false;
	size_t off = 0;
	int n;

	n = libbpf_num_possible_cpus();
	if (n <= 0) {
		snprintf(err, len, "cannot count possible CPUs");
		return -1;
	}
	s->ncpus = n > HOOKS_MAX_CPUS ? HOOKS_MAX_CPUS : n;
	if (n > HOOKS_MAX_CPUS)
		warn_msg("steal: %d possible CPUs, reporting the first %d", n, HOOKS_MAX_CPUS);
	s->why[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		char one[320];

		if (percpu && percpu != order[i])
			continue;
		if (order[i] == PERCPU_PROCFS) {
			s->clk_ns = tick_ns();
			s->method = PERCPU_PROCFS;
			return 0;
		}
		if (!have_pc && hbtf_percpu(&pc)) {
			snprintf(one, sizeof(one), "%s: no vmlinux BTF", percpu_name(order[i]));
		} else {
			have_pc = true;
			if (!steal_check(order[i], &pc, ksym_ok, one, sizeof(one)) &&
			    !steal_try_bpf(s, order[i], &pc, one, sizeof(one)))
				return 0;
		}
		if (off < sizeof(s->why))
			off += snprintf(s->why + off, sizeof(s->why) - off, "%s%s", off ? "; " : "",
					one);
	}
	snprintf(err, len, "--percpu %s is not available here: %s", percpu_name(percpu), s->why);
	return -1;
}

static void steal_close(struct steal_src *s)
{
	bpf_link__destroy(s->link);
	steal_bpf__destroy(s->skel);
	s->link = NULL;
	s->skel = NULL;
}

static int sample_alloc(struct steal_sample *x, unsigned int n)
{
	x->cpustat = calloc(n, sizeof(uint64_t));
	x->kvm = calloc(n, sizeof(uint64_t));
	x->user = calloc(n, sizeof(uint64_t));
	x->flags = calloc(n, sizeof(uint32_t));
	return x->cpustat && x->kvm && x->user && x->flags ? 0 : -ENOMEM;
}

static void sample_free(struct steal_sample *x)
{
	free(x->cpustat);
	free(x->kvm);
	free(x->user);
	free(x->flags);
}

static void sample_copy(struct steal_sample *d, const struct steal_sample *s, unsigned int n)
{
	d->t = s->t;
	memcpy(d->cpustat, s->cpustat, n * sizeof(uint64_t));
	memcpy(d->kvm, s->kvm, n * sizeof(uint64_t));
	memcpy(d->user, s->user, n * sizeof(uint64_t));
	memcpy(d->flags, s->flags, n * sizeof(uint32_t));
}

static int steal_sample(const struct steal_src *s, struct steal_sample *x)
{
	int e;

	x->t = now_ns();
	if (s->method == PERCPU_PROCFS)
		return procfs_sample(s, x);
	e = bpf_iter_run(s->link);
	if (e)
		return e;
	for (unsigned int c = 0; c < s->ncpus; c++) {
		const struct steal_cpu *v = &s->skel->bss->steal[c];

		x->cpustat[c] = v->cpustat_steal;
		/* registered steal_time has a non-zero version (odd while updated) */
		x->kvm[c] = v->kvm_steal;
		x->user[c] = v->cpustat_user;
		x->flags[c] = v->flags;
		if ((v->flags & HOOKS_CPU_KVM) && !v->kvm_version && !v->kvm_steal)
			x->flags[c] &= ~HOOKS_CPU_KVM;
	}
	return 0;
}

struct steal_row {
	uint64_t delta, total, kvm_delta, kvm_total, user;
	double rate, pct;
	bool ok, kvm;
};

static void steal_rows(const struct steal_src *s, const struct steal_sample *a,
		       const struct steal_sample *b, struct steal_row *rows, struct steal_row *all)
{
	uint64_t dt = b->t - a->t;
	unsigned int nok = 0;

	memset(all, 0, sizeof(*all));
	for (unsigned int c = 0; c < s->ncpus; c++) {
		struct steal_row *r = &rows[c];

		memset(r, 0, sizeof(*r));
		r->ok = (a->flags[c] & b->flags[c] & HOOKS_CPU_CPUSTAT) != 0;
		r->kvm = (a->flags[c] & b->flags[c] & HOOKS_CPU_KVM) != 0;
		if (r->ok) {
			r->total = b->cpustat[c];
			r->user = b->user[c];
			r->delta =
				b->cpustat[c] >= a->cpustat[c] ? b->cpustat[c] - a->cpustat[c] : 0;
			hooks_steal_rate(r->delta, dt, 1, &r->rate, &r->pct);
			all->delta += r->delta;
			all->total += r->total;
			all->user += r->user;
			all->ok = true;
			nok++;
		}
		if (r->kvm) {
			r->kvm_total = b->kvm[c];
			r->kvm_delta = b->kvm[c] >= a->kvm[c] ? b->kvm[c] - a->kvm[c] : 0;
			all->kvm_delta += r->kvm_delta;
			all->kvm_total += r->kvm_total;
			all->kvm = true;
		}
	}
	hooks_steal_rate(all->delta, dt, nok, &all->rate, &all->pct);
}

static void print_steal_text(const struct steal_src *s, const struct steal_row *rows,
			     const struct steal_row *all, uint64_t dt, bool interval_mode)
{
	char ts[16];

	fmt_clock(ts, sizeof(ts), time(NULL));
	printf("%s%s steal time over %.3f s (per-CPU data: %s)\n", interval_mode ? "\n" : "", ts,
	       dt / 1e9, percpu_name(s->method));
	printf("  %-5s %14s %8s %18s%s\n", "CPU", "steal ns/s", "steal %", "since boot (s)",
	       all->kvm ? "  kvm steal_time since boot (s)" : "");
	for (unsigned int c = 0; c <= s->ncpus; c++) {
		const struct steal_row *r = c < s->ncpus ? &rows[c] : all;
		char name[16];

		if (c < s->ncpus)
			snprintf(name, sizeof(name), "%u", c);
		else
			snprintf(name, sizeof(name), "all");
		if (!r->ok) {
			printf("  %-5s %14s\n", name, "unreadable");
			continue;
		}
		printf("  %-5s %14.0f %8.3f %18.3f", name, r->rate, r->pct, r->total / 1e9);
		if (all->kvm)
			printf("  %29.3f", r->kvm_total / 1e9);
		printf("\n");
	}
	fflush(stdout);
}

static json_object *steal_row_json(const struct steal_row *r, bool kvm)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "steal_ns", r->ok ? json_u64(r->delta) : NULL);
	json_object_object_add(o, "steal_ns_per_s", r->ok ? json_object_new_double(r->rate) : NULL);
	json_object_object_add(o, "steal_pct", r->ok ? json_object_new_double(r->pct) : NULL);
	json_object_object_add(o, "steal_total_ns", r->ok ? json_u64(r->total) : NULL);
	/* the same counters' user time: lets a reader check them against /proc/stat */
	json_object_object_add(o, "user_total_ns", r->ok ? json_u64(r->user) : NULL);
	if (kvm) {
		json_object_object_add(o, "kvm_steal_ns", r->kvm ? json_u64(r->kvm_delta) : NULL);
		json_object_object_add(o, "kvm_steal_total_ns",
				       r->kvm ? json_u64(r->kvm_total) : NULL);
	}
	return o;
}

static void print_steal_json(const struct steal_src *s, const struct steal_row *rows,
			     const struct steal_row *all, uint64_t dt, const struct tick *t)
{
	json_object *d = json_report_new(HOOKS_SCHEMA, "steal", t, NULL);
	json_object *arr = json_object_new_array();

	/* the span the samples cover, exactly, rather than the loop's tick */
	json_object_object_add(d, "interval_ns", json_u64(dt));
	json_object_object_add(d, "percpu", json_object_new_string(percpu_name(s->method)));
	json_object_object_add(d, "ncpus", json_object_new_int(s->ncpus));
	json_object_object_add(d, "kvm_steal_time", json_object_new_boolean(all->kvm));
	for (unsigned int c = 0; c < s->ncpus; c++) {
		json_object *o = steal_row_json(&rows[c], all->kvm);

		json_object_object_add(o, "cpu", json_object_new_int(c));
		json_object_array_add(arr, o);
	}
	json_object_object_add(d, "cpus", arr);
	json_object_object_add(d, "total", steal_row_json(all, all->kvm));
	json_print_line(stdout, d);
	json_object_put(d);
}

struct steal_run {
	struct steal_src *s;
	struct steal_sample *first, *prev, *cur;
	struct steal_row *rows, *all;
};

static void prom_steal(struct prom_writer *w, void *arg)
{
	const struct steal_run *r = arg;
	const struct steal_src *s = r->s;
	const struct steal_row *rows = r->rows, *all = r->all;
	char v[48], cpu[16];

	prom_family(w, "pvtrace_cpu_steal_seconds_total", "counter",
		    "Steal time accounted by the kernel (kernel_cpustat), since boot");
	for (unsigned int c = 0; c < s->ncpus; c++) {
		if (!rows[c].ok)
			continue;
		snprintf(cpu, sizeof(cpu), "%u", c);
		prom_sample(w, "pvtrace_cpu_steal_seconds_total",
			    (struct prom_label[]){ { "cpu", cpu } }, 1,
			    ns_to_seconds(v, sizeof(v), rows[c].total));
	}
	prom_family(w, "pvtrace_cpu_steal_ratio", "gauge",
		    "Share of the last interval stolen from each CPU (0 to 1)");
	for (unsigned int c = 0; c < s->ncpus; c++) {
		if (!rows[c].ok)
			continue;
		snprintf(cpu, sizeof(cpu), "%u", c);
		snprintf(v, sizeof(v), "%.9f", rows[c].pct / 100);
		prom_sample(w, "pvtrace_cpu_steal_ratio", (struct prom_label[]){ { "cpu", cpu } },
			    1, v);
	}
	prom_family(w, "pvtrace_steal_ratio", "gauge",
		    "Share of all CPUs' time stolen in the last interval (0 to 1)");
	snprintf(v, sizeof(v), "%.9f", all->pct / 100);
	prom_sample(w, "pvtrace_steal_ratio", NULL, 0, v);
	if (all->kvm) {
		prom_family(w, "pvtrace_kvm_steal_time_seconds_total", "counter",
			    "Steal time written by the KVM host in steal_time, since registration");
		for (unsigned int c = 0; c < s->ncpus; c++) {
			if (!rows[c].kvm)
				continue;
			snprintf(cpu, sizeof(cpu), "%u", c);
			prom_sample(w, "pvtrace_kvm_steal_time_seconds_total",
				    (struct prom_label[]){ { "cpu", cpu } }, 1,
				    ns_to_seconds(v, sizeof(v), rows[c].kvm_total));
		}
	}
}

static int steal_read(void *arg, const struct tick *t)
{
	struct steal_run *r = arg;
	int err = steal_sample(r->s, r->cur);

	if (err) {
		err_msg("reading steal time: %s", strerror(-err));
		return -1;
	}
	steal_rows(r->s, t->interval ? r->prev : r->first, r->cur, r->rows, r->all);
	return 0;
}

static uint64_t steal_span(const struct steal_run *r, const struct tick *t)
{
	return r->cur->t - (t->interval ? r->prev : r->first)->t;
}

static void steal_text(void *arg, const struct tick *t)
{
	const struct steal_run *r = arg;

	print_steal_text(r->s, r->rows, r->all, steal_span(r, t), t->interval);
}

static void steal_json(void *arg, const struct tick *t)
{
	const struct steal_run *r = arg;

	print_steal_json(r->s, r->rows, r->all, steal_span(r, t), t);
}

static void steal_next(void *arg, const struct tick *t)
{
	struct steal_run *r = arg;

	(void)t;
	sample_copy(r->prev, r->cur, r->s->ncpus);
}

static const struct report_ops steal_ops = {
	.read = steal_read,
	.text = steal_text,
	.json = steal_json,
	.prom = prom_steal,
	.next = steal_next,
};

int hooks_steal_cmd(struct hooks_env *e)
{
	struct steal_src s = { 0 };
	struct steal_sample first = { 0 }, prev = { 0 }, cur = { 0 };
	struct steal_row *rows = NULL, all;
	char why[1024];
	bool ksym_ok = false;
	int ret = EXIT_RUNTIME, err;

	if (e->percpu != PERCPU_PROCFS) {
		uint64_t a;

		if (hooks_check_caps())
			return EXIT_RUNTIME;
		libbpf_setup_logging();
		ksym_ok = !ksym_lookup("kernel_cpustat", "", &a);
	}
	if (steal_open(&s, e->percpu, ksym_ok, why, sizeof(why))) {
		err_msg("%s", why);
		return EXIT_RUNTIME;
	}
	if (s.method == PERCPU_PROCFS && !e->percpu)
		warn_msg("steal: from /proc/stat (tick resolution): %s", s.why);
	else if (verbose && s.why[0])
		warn_msg("steal: not using %s", s.why);
	if (s.method != PERCPU_PROCFS)
		drop_caps_after_attach();
	if ((ret = cli_textfile_ready(&e->c)))
		goto out;
	ret = EXIT_RUNTIME;
	e->c.tf.mode = percpu_name(s.method);
	rows = calloc(s.ncpus, sizeof(*rows));
	if (!rows || sample_alloc(&first, s.ncpus) || sample_alloc(&prev, s.ncpus) ||
	    sample_alloc(&cur, s.ncpus)) {
		err_msg("out of memory");
		goto out;
	}
	signals_install();
	err = steal_sample(&s, &first);
	if (err) {
		err_msg("reading steal time: %s", strerror(-err));
		goto out;
	}
	sample_copy(&prev, &first, s.ncpus);
	fprintf(stderr, "Tracing steal time of %u CPUs (per-CPU data: %s)... Hit Ctrl-C to end.\n",
		s.ncpus, percpu_name(s.method));
	{
		struct steal_run r = { &s, &first, &prev, &cur, rows, &all };

		ret = report_run(&e->c, cli_prom_interval_ns(&e->c), &steal_ops, &r);
	}
out:
	free(rows);
	sample_free(&first);
	sample_free(&prev);
	sample_free(&cur);
	steal_close(&s);
	return ret;
}
