/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the benchmarks share: the options every one takes (--runs, --label,
 * --json, -o), the result document pvtrace.bench/1 (fingerprint, params,
 * metrics with one value per run, histograms, details) and its text table,
 * and the fixed vCPU ioctl mix of bench ioctl and bench overhead.
 */
#ifndef PVTRACE_BENCH_H
#define PVTRACE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <json-c/json.h>
#include "fingerprint.h"
#include "histogram.h"
#include "workload.h"

#define BENCH_SCHEMA	   "pvtrace.bench/1"
#define BENCH_DEFAULT_RUNS 10
#define BENCH_MAX_RUNS	   10000

struct bench_opts {
	int runs;
	const char *label; /* NULL: the kernel release */
	bool json;
	const char *out; /* -o FILE, or NULL */
};

enum { BENCH_OPT_RUNS = 0x7d00, BENCH_OPT_LABEL, BENCH_OPT_JSON, BENCH_OPT_OUT = 'o' };

#define BENCH_COMMON_OPTS(dflt_runs)                                                             \
	{ "runs", BENCH_OPT_RUNS, "N",                                                           \
	  "Repeated runs, each on a fresh VM (default " dflt_runs ")" },                         \
		{ "label", BENCH_OPT_LABEL, "TEXT",                                              \
		  "What this result stands for in a series (default: the kernel release)" },     \
		{ "json", BENCH_OPT_JSON, NULL, "One JSON document (schema " BENCH_SCHEMA ")" }, \
	{                                                                                        \
		"output", BENCH_OPT_OUT, "FILE", "Also write the JSON document to FILE"          \
	}

/* A common option: 0, -1 with a message in err, or CLI_UNHANDLED. */
int bench_opt(struct bench_opts *o, int key, const char *arg, char *err, size_t len);
/* After parsing: -o FILE can be written. 0, or EXIT_USAGE after a message. */
int bench_opts_check(const struct bench_opts *o, const char *name);

struct bench_metric {
	char name[96];
	const char *unit, *better;
	double threshold;
	int decimals;	/* digits after the point in JSON */
	double *values; /* one per run */
};

struct bench_result {
	const char *benchmark; /* "ioctl", "regs", "overhead" */
	const struct bench_opts *o;
	time_t started;
	uint64_t t0_ns;
	struct fingerprint fp;
	json_object *params, *details, *histograms; /* histograms: NULL when none */
	struct bench_metric *m;
	size_t nm, cap;
	bool text_table; /* the text output lists the metrics (default) */
};

int bench_result_init(struct bench_result *r, const char *benchmark, const struct bench_opts *o);
/* A new metric; its index, or -1 when out of memory. better: "lower" or "higher". */
int bench_metric_new(struct bench_result *r, const char *name, const char *unit, const char *better,
		     double threshold);
void bench_metric_set(struct bench_result *r, int metric, int run, double v);
/* Log2 buckets of h (the non-empty ones), bounds inclusive. */
void bench_histogram_add(struct bench_result *r, const char *name, const struct hist_data *h);
/* The document on stdout (--json) or the text report, and to -o FILE. 0 or EXIT_RUNTIME. */
int bench_result_emit(struct bench_result *r);
void bench_result_free(struct bench_result *r);

/* Over runs: the median and the p10 and p90 (lower and upper nearest rank). */
struct bench_stat {
	double med, p10, p90;
};
struct bench_stat bench_stat_of(const double *v, int n);
/* Nearest-rank quantile q in (0, 1] of n sorted values. */
double bench_quantile_sorted(const double *s, size_t n, double q);
void bench_sort(double *v, size_t n);
/* A number for JSON with that many digits after the point (not NaN, not infinite). */
json_object *bench_json_num(double v, int decimals);
double bench_now_ns(void); /* CLOCK_MONOTONIC */

/*
 * The mix: one VM with one vCPU, vCPU ioctls that need no KVM_RUN, in this order; the
 * architecture's everyday state ioctls (arm64 has no GET_REGS/SREGS/MSRS/FPU: ONE_REG).
 */
#if defined(__aarch64__)
enum mix_cmd {
	MIX_GET_ONE_REG,
	MIX_SET_ONE_REG,
	MIX_GET_REG_LIST,
	MIX_GET_MP_STATE,
	MIX_GET_VCPU_EVENTS,
	MIX_SET_VCPU_EVENTS,
	MIX_MAX,
};
/* the /dev/kvm and VM ioctls kvm_vm_open issues (user/kvm/workload*.c) */
enum mix_setup {
	SETUP_CREATE_VM,
	SETUP_SET_USER_MEMORY_REGION,
	SETUP_GET_VCPU_MMAP_SIZE,
	SETUP_CREATE_VCPU,
	SETUP_ARM_PREFERRED_TARGET,
	SETUP_MAX,
};
#else
enum mix_cmd {
	MIX_GET_REGS,
	MIX_SET_REGS,
	MIX_GET_SREGS,
	MIX_GET_MP_STATE,
	MIX_GET_VCPU_EVENTS,
	MIX_GET_MSRS,
	MIX_GET_FPU,
	MIX_MAX,
};
/* the /dev/kvm and VM ioctls kvm_vm_open issues (user/kvm/workload*.c) */
enum mix_setup {
	SETUP_CREATE_VM,
	SETUP_SET_USER_MEMORY_REGION,
	SETUP_SET_TSS_ADDR,
	SETUP_GET_VCPU_MMAP_SIZE,
	SETUP_CREATE_VCPU,
	SETUP_MAX,
};
#endif

struct mix {
	struct kvm_vm vm;
	bool open;
	uint64_t issued[MIX_MAX];  /* vCPU ioctls, every one, setup included */
	uint64_t setup[SETUP_MAX]; /* /dev/kvm and VM ioctls */
	void *state;		   /* the buffers the commands read and write */
};

extern const char *const mix_names[MIX_MAX];
extern const char *const mix_setup_names[SETUP_MAX];
uint32_t mix_cmd(enum mix_cmd c); /* the ioctl command number */

/* A fresh VM (counts kept across calls: the same struct over runs). 0, or -1 and err. */
int mix_open(struct mix *m, char *err, size_t len);
void mix_close(struct mix *m); /* the VM; the counts stay */
void mix_free(struct mix *m);
/* One round: each command once, in order; ns[i]: its time. 0, or -errno of a failed call. */
int mix_round(struct mix *m, double ns[MIX_MAX]);
/* The issued counts as a JSON object (vCPU ioctls) and the setup ones. */
json_object *mix_issued_json(const struct mix *m);
json_object *mix_setup_json(const struct mix *m);
json_object *mix_names_json(void);

int bench_ioctl(int argc, char **argv);
int bench_overhead(int argc, char **argv);
int bench_regs(int argc, char **argv);

#endif
