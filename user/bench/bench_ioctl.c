// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace bench ioctl: per-command latency of a fixed, interleaved mix of vCPU
 * ioctls, each run on a fresh VM. Per run: p50, p90 and p99 of each command
 * and the mean of the mix; histograms of all runs pooled.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "cli.h"
#include "output.h"
#include "util.h"

#define DEFAULT_ITERS  2000
#define DEFAULT_WARMUP 200

static struct {
	struct bench_opts o;
	int iters, warmup;
} env = { .o.runs = BENCH_DEFAULT_RUNS, .iters = DEFAULT_ITERS, .warmup = DEFAULT_WARMUP };

enum { OPT_ITERS = 0x100, OPT_WARMUP };

static const struct cli_opt opts[] = {
	BENCH_COMMON_OPTS("10"),
	{ "iterations", OPT_ITERS, "N", "Timed rounds of the mix per run (default 2000)" },
	{ "warmup", OPT_WARMUP, "N",
	  "Untimed rounds before them, counted as issued (default 200)" },
	{ NULL, 0, NULL, NULL },
};

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	(void)ctx;
	switch (key) {
	case OPT_ITERS:
		return cli_int_opt("--iterations", arg, 10, 10000000, &env.iters, err, len);
	case OPT_WARMUP:
		return cli_int_opt("--warmup", arg, 0, 1000000, &env.warmup, err, len);
	default:
		return bench_opt(&env.o, key, arg, err, len);
	}
}

struct ioctl_bench {
	struct mix mix;
	double *ns[MIX_MAX];	     /* this run's samples */
	struct hist_data h[MIX_MAX]; /* all runs */
	int mq[MIX_MAX][3], mean;    /* metric indices: p50, p90, p99; the mix mean */
};

static const struct {
	const char *name;
	double q, threshold;
} quantiles[3] = { { "p50", 0.50, 0.05 }, { "p90", 0.90, 0.10 }, { "p99", 0.99, 0.20 } };

static int one_run(struct ioctl_bench *b, struct bench_result *r, int run, char *err, size_t len)
{
	double t[MIX_MAX], sum = 0;
	int e;

	if (mix_open(&b->mix, err, len))
		return -1;
	for (int i = 0; i < env.warmup; i++)
		if ((e = mix_round(&b->mix, t)))
			goto fail;
	for (int i = 0; i < env.iters; i++) {
		if ((e = mix_round(&b->mix, t)))
			goto fail;
		for (int c = 0; c < MIX_MAX; c++)
			b->ns[c][i] = t[c];
	}
	mix_close(&b->mix);
	for (int c = 0; c < MIX_MAX; c++) {
		for (int i = 0; i < env.iters; i++) {
			hist_data_add(&b->h[c], (uint64_t)(b->ns[c][i] + 0.5));
			sum += b->ns[c][i];
		}
		bench_sort(b->ns[c], env.iters);
		for (int q = 0; q < 3; q++)
			bench_metric_set(
				r, b->mq[c][q], run,
				bench_quantile_sorted(b->ns[c], env.iters, quantiles[q].q));
	}
	bench_metric_set(r, b->mean, run, sum / ((double)env.iters * MIX_MAX));
	return 0;
fail:
	mix_close(&b->mix);
	snprintf(err, len, "a vCPU ioctl of the mix failed: %s", strerror(-e));
	return -1;
}

static int add_metrics(struct ioctl_bench *b, struct bench_result *r)
{
	char name[96];

	for (int c = 0; c < MIX_MAX; c++) {
		for (int q = 0; q < 3; q++) {
			snprintf(name, sizeof(name), "%s.%s", mix_names[c], quantiles[q].name);
			b->mq[c][q] =
				bench_metric_new(r, name, "ns", "lower", quantiles[q].threshold);
			if (b->mq[c][q] < 0)
				return -1;
		}
		hist_data_init(&b->h[c]);
		if (!(b->ns[c] = calloc(env.iters, sizeof(double))))
			return -1;
	}
	b->mean = bench_metric_new(r, "mix.mean_ns", "ns", "lower", 0.05);
	return b->mean < 0 ? -1 : 0;
}

static void fill_doc(struct ioctl_bench *b, struct bench_result *r)
{
	json_object_object_add(r->params, "vcpus", json_object_new_int(1));
	json_object_object_add(r->params, "iterations", json_object_new_int(env.iters));
	json_object_object_add(r->params, "warmup", json_object_new_int(env.warmup));
	json_object_object_add(r->params, "mix", mix_names_json());
	json_object_object_add(r->params, "clock", json_object_new_string("CLOCK_MONOTONIC"));
	json_object_object_add(r->details, "issued", mix_issued_json(&b->mix));
	json_object_object_add(r->details, "vm_issued", mix_setup_json(&b->mix));
	json_object_object_add(r->details, "timed_per_command",
			       json_u64((uint64_t)env.iters * env.o.runs));
	for (int c = 0; c < MIX_MAX; c++)
		bench_histogram_add(r, mix_names[c], &b->h[c]);
}

static void print_table(const struct ioctl_bench *b, const struct bench_result *r)
{
	printf("\nper command, ns: median over %d runs of each run's quantile (p10-p90 over "
	       "runs)\n",
	       env.o.runs);
	printf("%-22s %22s %22s %22s\n", "command", "p50", "p90", "p99");
	for (int c = 0; c < MIX_MAX; c++) {
		printf("%-22s", mix_names[c]);
		for (int q = 0; q < 3; q++) {
			struct bench_stat s = bench_stat_of(r->m[b->mq[c][q]].values, env.o.runs);
			char cell[64];

			snprintf(cell, sizeof(cell), "%.0f (%.0f-%.0f)", s.med, s.p10, s.p90);
			printf(" %22s", cell);
		}
		printf("\n");
	}
	struct bench_stat s = bench_stat_of(r->m[b->mean].values, env.o.runs);
	printf("%-22s %22.1f  (p10-p90 %.1f-%.1f)\n", "mix mean", s.med, s.p10, s.p90);
	printf("\nvCPU ioctls issued (warm-up and setup included):");
	for (int c = 0; c < MIX_MAX; c++)
		printf(" %s %" PRIu64, mix_names[c], b->mix.issued[c]);
	printf("\nVM ioctls issued:");
	for (int c = 0; c < SETUP_MAX; c++)
		printf(" %s %" PRIu64, mix_setup_names[c], b->mix.setup[c]);
	printf("\n");
}

int bench_ioctl(int argc, char **argv)
{
	static const char doc[] =
		"Latency of a fixed, interleaved mix of vCPU ioctls that need no KVM_RUN\n"
		"(KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_GET_MP_STATE,\n"
		"KVM_GET_VCPU_EVENTS, KVM_GET_MSRS of one MSR, KVM_GET_FPU), each call timed\n"
		"with CLOCK_MONOTONIC. Each run creates a fresh VM with one vCPU, issues the\n"
		"warm-up rounds (not timed) and the timed rounds, and closes the VM. Metrics,\n"
		"one value per run: <COMMAND>.p50, .p90, .p99 and mix.mean_ns; histograms of\n"
		"all runs pooled per command. details.issued counts every vCPU ioctl issued,\n"
		"warm-up and setup included, so that a tracer's counts can be checked.\n\n"
		"Examples:\n"
		"  pvtrace bench ioctl\n"
		"  pvtrace bench ioctl --runs 20 --iterations 5000\n"
		"  pvtrace bench ioctl --label v6.12-rc1 --json -o ioctl.json";
	static const struct cli cli = { .name = "pvtrace bench ioctl",
					.usage = "[OPTIONS]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt };
	struct ioctl_bench *b = calloc(1, sizeof(*b));
	struct bench_result r;
	char err[256];
	int ret;

	if (!b)
		return EXIT_RUNTIME;
	ret = cli_parse(&cli, argc, argv, NULL);
	if (!ret)
		ret = bench_opts_check(&env.o, cli.name);
	if (ret) {
		free(b);
		return ret == CLI_HELP ? 0 : ret;
	}
	ret = EXIT_RUNTIME;
	if (bench_result_init(&r, "ioctl", &env.o) || add_metrics(b, &r)) {
		err_msg("bench ioctl: out of memory");
		goto out;
	}
	r.text_table = false;
	for (int run = 0; run < env.o.runs; run++) {
		if (one_run(b, &r, run, err, sizeof(err))) {
			err_msg("bench ioctl: run %d: %s", run + 1, err);
			goto out;
		}
	}
	fill_doc(b, &r);
	ret = bench_result_emit(&r);
	if (!env.o.json)
		print_table(b, &r);
out:
	for (int c = 0; c < MIX_MAX; c++)
		free(b->ns[c]);
	mix_free(&b->mix);
	bench_result_free(&r);
	free(b);
	return ret;
}
