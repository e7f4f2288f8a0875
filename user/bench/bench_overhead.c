// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace bench overhead: what pvtrace's own tracing (latency --ioctl, in the
 * attach mode this kernel gives) adds to each vCPU ioctl. The mix of bench
 * ioctl runs in blocks, untraced and traced alternately (ABAB, the first one
 * alternating between runs) in the same process and VM, so that a drift in
 * the host's speed affects both alike. The tracer must have recorded exactly
 * the ioctls issued in the traced blocks, or the benchmark fails.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "cli.h"
#include "latency/self.h"
#include "output.h"
#include "util.h"

#define DEFAULT_ITERS  300
#define DEFAULT_PAIRS  2
#define DEFAULT_WARMUP 100

static struct {
	struct bench_opts o;
	int iters, pairs, warmup;
	enum attach_mode mode;
} env = { .o.runs = BENCH_DEFAULT_RUNS,
	  .iters = DEFAULT_ITERS,
	  .pairs = DEFAULT_PAIRS,
	  .warmup = DEFAULT_WARMUP };

enum { OPT_ITERS = 0x100, OPT_PAIRS, OPT_WARMUP };

static const struct cli_opt opts[] = {
	BENCH_COMMON_OPTS("10"),
	CLI_OPT_MODE("fentry, kprobe or tracepoint (default: the best that works)"),
	{ "iterations", OPT_ITERS, "N", "Rounds of the mix per block (default 300)" },
	{ "pairs", OPT_PAIRS, "N", "Untraced+traced block pairs per run (default 2)" },
	{ "warmup", OPT_WARMUP, "N", "Untraced, untimed rounds first in each run (default 100)" },
	{ NULL, 0, NULL, NULL },
};

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	(void)ctx;
	switch (key) {
	case OPT_ITERS:
		return cli_int_opt("--iterations", arg, 10, 10000000, &env.iters, err, len);
	case OPT_PAIRS:
		return cli_int_opt("--pairs", arg, 1, 10000, &env.pairs, err, len);
	case OPT_WARMUP:
		return cli_int_opt("--warmup", arg, 0, 1000000, &env.warmup, err, len);
	case CLI_MODE:
		if (attach_mode_parse(arg, &env.mode)) {
			snprintf(err, len, "invalid --mode '%s' (fentry, kprobe or tracepoint)",
				 arg);
			return -1;
		}
		return 0;
	default:
		return bench_opt(&env.o, key, arg, err, len);
	}
}

struct ovh_bench {
	struct mix mix;
	struct lat_self *tracer;
	enum attach_mode mode;
	double *u, *t;		     /* this run's untraced and traced samples */
	uint64_t in_traced[MIX_MAX]; /* issued inside traced blocks, all runs */
	uint64_t seen[MIX_MAX];	     /* what the tracer recorded */
	int mu, mt, madd, mratio;    /* metric indices */
};

/* The tracer's counts against what the traced blocks issued: 0 when equal. */
static int check_counts(struct ovh_bench *b, char *err, size_t len)
{
	uint64_t lost = lat_self_lost(b->tracer);

	for (int c = 0; c < MIX_MAX; c++) {
		b->seen[c] = lat_self_count(b->tracer, mix_cmd(c));
		if (b->seen[c] != b->in_traced[c]) {
			snprintf(err, len,
				 "the tracer (%s) recorded %" PRIu64
				 " %s, the traced blocks issued "
				 "%" PRIu64,
				 attach_mode_name(b->mode), b->seen[c], mix_names[c],
				 b->in_traced[c]);
			return -1;
		}
	}
	if (lost) {
		snprintf(err, len, "the tracer (%s) lost %" PRIu64 " ioctls (its stats map)",
			 attach_mode_name(b->mode), lost);
		return -1;
	}
	return 0;
}

static int block(struct ovh_bench *b, bool traced, double *out, char *err, size_t len)
{
	double t[MIX_MAX];
	int e = 0;

	if (traced && (e = lat_self_on(b->tracer))) {
		snprintf(err, len, "cannot attach the tracer (%s): %s", attach_mode_name(b->mode),
			 strerror(-e));
		return -1;
	}
	for (int i = 0; i < env.iters && !e; i++) {
		e = mix_round(&b->mix, t);
		memcpy(out + (size_t)i * MIX_MAX, t, sizeof(t));
	}
	if (traced) {
		lat_self_off(b->tracer);
		for (int c = 0; c < MIX_MAX; c++)
			b->in_traced[c] += env.iters;
	}
	if (e) {
		snprintf(err, len, "a vCPU ioctl of the mix failed: %s", strerror(-e));
		return -1;
	}
	return 0;
}

static int one_run(struct ovh_bench *b, struct bench_result *r, int run, char *err, size_t len)
{
	size_t per = (size_t)env.iters * MIX_MAX, n = per * env.pairs;
	double t[MIX_MAX], up50, tp50;
	int nu = 0, nt = 0;

	if (mix_open(&b->mix, err, len))
		return -1;
	for (int i = 0; i < env.warmup; i++) {
		int e = mix_round(&b->mix, t);

		if (e) {
			snprintf(err, len, "a vCPU ioctl of the mix failed: %s", strerror(-e));
			goto fail;
		}
	}
	/* ABAB... on even runs, BABA... on odd ones */
	for (int k = 0; k < 2 * env.pairs; k++) {
		bool traced = (k + run) % 2;

		if (block(b, traced, traced ? b->t + per * nt++ : b->u + per * nu++, err, len))
			goto fail;
	}
	mix_close(&b->mix);
	if (check_counts(b, err, len))
		return -1;
	bench_sort(b->u, n);
	bench_sort(b->t, n);
	up50 = bench_quantile_sorted(b->u, n, 0.5);
	tp50 = bench_quantile_sorted(b->t, n, 0.5);
	bench_metric_set(r, b->mu, run, up50);
	bench_metric_set(r, b->mt, run, tp50);
	bench_metric_set(r, b->madd, run, tp50 - up50);
	bench_metric_set(r, b->mratio, run, up50 > 0 ? tp50 / up50 : 0);
	return 0;
fail:
	mix_close(&b->mix);
	return -1;
}

static void fill_doc(struct ovh_bench *b, struct bench_result *r)
{
	json_object *chk = json_object_new_object(), *iss = json_object_new_object();
	json_object *seen = json_object_new_object();

	json_object_object_add(r->params, "vcpus", json_object_new_int(1));
	json_object_object_add(r->params, "iterations_per_block", json_object_new_int(env.iters));
	json_object_object_add(r->params, "pairs", json_object_new_int(env.pairs));
	json_object_object_add(r->params, "warmup", json_object_new_int(env.warmup));
	json_object_object_add(r->params, "mix", mix_names_json());
	json_object_object_add(r->params, "mode_requested",
			       json_object_new_string(env.mode == ATTACH_AUTO
							      ? "auto"
							      : attach_mode_name(env.mode)));
	json_object_object_add(r->params, "order",
			       json_object_new_string("untraced/traced alternating blocks, "
						      "untraced first on odd runs (1, 3, ...)"));
	for (int c = 0; c < MIX_MAX; c++) {
		json_object_object_add(iss, mix_names[c], json_u64(b->in_traced[c]));
		json_object_object_add(seen, mix_names[c], json_u64(b->seen[c]));
	}
	json_object_object_add(chk, "issued_in_traced_blocks", iss);
	json_object_object_add(chk, "traced", seen);
	json_object_object_add(chk, "lost", json_u64(0));
	json_object_object_add(chk, "match", json_object_new_boolean(true));
	json_object_object_add(r->details, "tracer_check", chk);
	json_object_object_add(r->details, "issued", mix_issued_json(&b->mix));
	json_object_object_add(r->details, "vm_issued", mix_setup_json(&b->mix));
}

static void print_check(const struct ovh_bench *b)
{
	uint64_t all = 0;

	for (int c = 0; c < MIX_MAX; c++)
		all += b->in_traced[c];
	printf("\ntracer check (%s): %" PRIu64 " vCPU ioctls issued in traced blocks, "
	       "%" PRIu64 " recorded: all counts match, none lost\n",
	       attach_mode_name(b->mode), all, all);
}

static int add_metrics(struct ovh_bench *b, struct bench_result *r)
{
	size_t n = (size_t)env.iters * MIX_MAX * env.pairs;

	b->u = calloc(n, sizeof(double));
	b->t = calloc(n, sizeof(double));
	b->mu = bench_metric_new(r, "untraced.p50", "ns", "lower", 0.05);
	b->mt = bench_metric_new(r, "traced.p50", "ns", "lower", 0.05);
	b->madd = bench_metric_new(r, "added_ns", "ns", "lower", 0.10);
	b->mratio = bench_metric_new(r, "ratio.traced_over_untraced", "x", "lower", 0.02);
	return b->u && b->t && b->mu >= 0 && b->mt >= 0 && b->madd >= 0 && b->mratio >= 0 ? 0 : -1;
}

int bench_overhead(int argc, char **argv)
{
	static const char doc[] =
		"What pvtrace's own tracing of vCPU ioctls (latency --ioctl, in the best\n"
		"attach mode this kernel gives, or --mode) adds to each ioctl. Each run\n"
		"creates a fresh VM and issues the mix of bench ioctl in blocks of\n"
		"--iterations rounds, untraced and traced alternately (the tracer attached\n"
		"for the traced blocks only; untraced first on odd runs), in this process.\n"
		"Metrics, one value per run: untraced.p50 and traced.p50 (median of every\n"
		"call of those blocks), added_ns (their difference: ns added per ioctl) and\n"
		"ratio.traced_over_untraced. The tracer must have recorded exactly the\n"
		"ioctls of the traced blocks (details.tracer_check), else exit status 1.\n\n"
		"Examples:\n"
		"  pvtrace bench overhead\n"
		"  pvtrace bench overhead --mode kprobe --runs 20\n"
		"  pvtrace bench overhead --label v6.12 --json -o overhead.json";
	static const struct cli cli = { .name = "pvtrace bench overhead",
					.usage = "[OPTIONS]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt };
	struct ovh_bench *b = calloc(1, sizeof(*b));
	struct bench_result r;
	char err[1280];
	int ret;

	if (!b)
		return EXIT_RUNTIME;
	memset(&r, 0, sizeof(r));
	ret = cli_parse(&cli, argc, argv, NULL);
	if (!ret)
		ret = bench_opts_check(&env.o, cli.name);
	if (ret) {
		free(b);
		return ret == CLI_HELP ? 0 : ret;
	}
	ret = EXIT_RUNTIME;
	if (bench_result_init(&r, "overhead", &env.o) || add_metrics(b, &r)) {
		err_msg("bench overhead: out of memory");
		goto out;
	}
	if (lat_self_open(env.mode, &b->tracer, &b->mode, err, sizeof(err))) {
		err_msg("bench overhead: %s", err);
		goto out;
	}
	r.fp.attach_mode = attach_mode_name(b->mode);
	for (int run = 0; run < env.o.runs; run++) {
		if (one_run(b, &r, run, err, sizeof(err))) {
			err_msg("bench overhead: run %d: %s", run + 1, err);
			goto out;
		}
	}
	fill_doc(b, &r);
	ret = bench_result_emit(&r);
	if (!env.o.json)
		print_check(b);
out:
	lat_self_close(b->tracer);
	free(b->u);
	free(b->t);
	mix_free(&b->mix);
	bench_result_free(&r);
	free(b);
	return ret;
}
