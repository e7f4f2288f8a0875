// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace bench regs: save and restore a vCPU's registers three ways -- one
 * KVM_GET/SET_ONE_REG per register, one KVM_GET/SET_MANY_REGS call, and the
 * legacy bulk KVM_GET/SET_MSRS -- over the MSR list the kernel reports, and
 * check that values read back equal values written.
 */
#if defined(__x86_64__)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <json-c/json.h>
#include "cli.h"
#include "commands.h"
#include "output.h"
#include "util.h"
#include "workload.h"
#include "bench.h"

/* uapi of the carried series (kernel-patches/) and of upstream v6.18 */
#ifndef KVM_CAP_MANY_REGS
#define KVM_CAP_MANY_REGS 239
#define KVM_MANY_REGS_MAX 16384
struct kvm_many_regs {
	__u64 n;
	struct kvm_one_reg reg[];
};
#define KVM_GET_MANY_REGS _IOWR(KVMIO, 0xde, struct kvm_many_regs)
#define KVM_SET_MANY_REGS _IOWR(KVMIO, 0xdf, struct kvm_many_regs)
#endif

enum method { M_ONE_REG, M_MANY_REGS, M_LEGACY, M_MAX };
enum dir { D_GET, D_SET, D_MAX };

/* every vCPU ioctl the benchmark issues is counted, so tracers can be checked */
enum counted { C_GET_ONE, C_SET_ONE, C_GET_MANY, C_SET_MANY, C_GET_MSRS, C_SET_MSRS, C_MAX };
static const struct {
	const char *name;
	unsigned long cmd;
} counted[C_MAX] = {
	{ "KVM_GET_ONE_REG", KVM_GET_ONE_REG },	    { "KVM_SET_ONE_REG", KVM_SET_ONE_REG },
	{ "KVM_GET_MANY_REGS", KVM_GET_MANY_REGS }, { "KVM_SET_MANY_REGS", KVM_SET_MANY_REGS },
	{ "KVM_GET_MSRS", KVM_GET_MSRS },	    { "KVM_SET_MSRS", KVM_SET_MSRS },
};

static int cioctl(__u64 *cnt, int fd, enum counted c, void *arg)
{
	cnt[c]++;
	return ioctl(fd, counted[c].cmd, arg);
}

static const char *const method_names[M_MAX] = { "one_reg", "many_regs", "legacy_msrs" };
static const char *const method_titles[M_MAX] = { "ONE_REG loop", "MANY_REGS", "GET/SET_MSRS" };

#define REGS_DEFAULT_RUNS 5

static struct {
	struct bench_opts o;
	int nvcpus;
	int reps;
} env = { .o.runs = REGS_DEFAULT_RUNS, .nvcpus = 1, .reps = 200 };

struct regset {
	int n;
	__u32 *msr;
	__u64 *want;  /* values written by set, checked by get */
	bool *moving; /* changes by itself (counters): not compared */
	int nmoving;
};

/* per-vCPU buffers, so threads never share memory they write */
struct vbuf {
	int fd;
	__u64 *vals;
	struct kvm_one_reg *one;
	struct kvm_many_regs *many;
	struct kvm_msrs *msrs;
	double *us[M_MAX][D_MAX]; /* per repetition */
	__u64 cnt[C_MAX];	  /* ioctls issued */
	int err;
};

struct bench {
	struct kvm_vm vm;
	__u64 cnt[C_MAX]; /* ioctls issued outside the vCPU threads */
	struct regset rs;
	bool have[M_MAX];
	long many_cap;
	struct vbuf vb[WL_MAX_VCPUS];
	pthread_barrier_t bar;
	double *wall[M_MAX][D_MAX]; /* all vCPUs, per repetition */
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* One full save (get) or restore (set) of the register set, one method. */
static int do_method(struct bench *b, struct vbuf *v, enum method m, enum dir d)
{
	int n = b->rs.n;

	switch (m) {
	case M_ONE_REG:
		for (int i = 0; i < n; i++)
			if (cioctl(v->cnt, v->fd, d == D_GET ? C_GET_ONE : C_SET_ONE, &v->one[i]))
				return -errno;
		return 0;
	case M_MANY_REGS:
		v->many->n = n;
		if (cioctl(v->cnt, v->fd, d == D_GET ? C_GET_MANY : C_SET_MANY, v->many))
			return -errno;
		return 0;
	case M_LEGACY: {
		int r;

		v->msrs->nmsrs = n;
		r = cioctl(v->cnt, v->fd, d == D_GET ? C_GET_MSRS : C_SET_MSRS, v->msrs);
		if (r < 0)
			return -errno;
		return r == n ? 0 : -EIO;
	}
	default:
		return -EINVAL;
	}
}

/* Values live in v->vals for ONE_REG/MANY_REGS and in v->msrs for legacy. */
static void vals_to_msrs(struct bench *b, struct vbuf *v)
{
	for (int i = 0; i < b->rs.n; i++)
		v->msrs->entries[i].data = v->vals[i];
}

static void msrs_to_vals(struct bench *b, struct vbuf *v)
{
	for (int i = 0; i < b->rs.n; i++)
		v->vals[i] = v->msrs->entries[i].data;
}

static int vbuf_init(struct bench *b, struct vbuf *v, int fd)
{
	int n = b->rs.n;

	memset(v, 0, sizeof(*v));
	v->fd = fd;
	v->vals = calloc(n, sizeof(*v->vals));
	v->one = calloc(n, sizeof(*v->one));
	v->many = calloc(1, sizeof(*v->many) + n * sizeof(struct kvm_one_reg));
	v->msrs = calloc(1, sizeof(*v->msrs) + n * sizeof(struct kvm_msr_entry));
	if (!v->vals || !v->one || !v->many || !v->msrs)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		v->one[i].id = X86_REG_MSR(b->rs.msr[i]);
		v->one[i].addr = (unsigned long)&v->vals[i];
		v->many->reg[i] = v->one[i];
		v->msrs->entries[i].index = b->rs.msr[i];
	}
	for (int m = 0; m < M_MAX; m++)
		for (int d = 0; d < D_MAX; d++)
			if (!(v->us[m][d] = calloc(env.reps, sizeof(double))))
				return -ENOMEM;
	return 0;
}

static void vbuf_free(struct vbuf *v)
{
	free(v->vals);
	free(v->one);
	free(v->many);
	free(v->msrs);
	for (int m = 0; m < M_MAX; m++)
		for (int d = 0; d < D_MAX; d++)
			free(v->us[m][d]);
}

/* MSRs KVM_GET_MSR_INDEX_LIST reports that this vCPU can read and write back. */
static int build_regset(struct bench *b, char *err, size_t len)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	KVM_MSRS_BUF(1) one;
	int fd = b->vm.v[0].fd;

	if (ioctl(b->vm.kvm, KVM_GET_MSR_INDEX_LIST, &probe) && errno != E2BIG) {
		snprintf(err, len, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
		return -1;
	}
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(__u32));
	if (!list)
		return -1;
	list->nmsrs = probe.nmsrs;
	if (ioctl(b->vm.kvm, KVM_GET_MSR_INDEX_LIST, list)) {
		snprintf(err, len, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
		free(list);
		return -1;
	}
	b->rs.msr = calloc(list->nmsrs, sizeof(__u32));
	b->rs.want = calloc(list->nmsrs, sizeof(__u64));
	b->rs.moving = calloc(list->nmsrs, sizeof(bool));
	if (!b->rs.msr || !b->rs.want || !b->rs.moving) {
		free(list);
		return -1;
	}
	for (__u32 i = 0; i < list->nmsrs; i++) {
		memset(&one, 0, sizeof(one));
		KVM_MSRS(one)->nmsrs = 1;
		KVM_MSRS(one)->entries[0].index = list->indices[i];
		if (cioctl(b->cnt, fd, C_GET_MSRS, &one) != 1 ||
		    cioctl(b->cnt, fd, C_SET_MSRS, &one) != 1)
			continue;
		if (b->have[M_ONE_REG]) {
			__u64 v;
			struct kvm_one_reg r = { .id = X86_REG_MSR(list->indices[i]),
						 .addr = (unsigned long)&v };

			if (cioctl(b->cnt, fd, C_GET_ONE, &r))
				continue; /* ONE_REG must cover the same set */
		}
		b->rs.msr[b->rs.n] = list->indices[i];
		b->rs.want[b->rs.n] = KVM_MSRS(one)->entries[0].data;
		b->rs.n++;
	}
	free(list);
	if (!b->rs.n) {
		snprintf(err, len, "no MSR can be read and written back on this vCPU");
		return -1;
	}
	/* counters (TSC, Hyper-V reference time...) move between two reads */
	for (int i = 0; i < b->rs.n; i++) {
		struct timespec ts = { 0, 1000000 };

		memset(&one, 0, sizeof(one));
		KVM_MSRS(one)->nmsrs = 1;
		KVM_MSRS(one)->entries[0].index = b->rs.msr[i];
		nanosleep(&ts, NULL);
		if (cioctl(b->cnt, fd, C_GET_MSRS, &one) == 1 &&
		    KVM_MSRS(one)->entries[0].data != b->rs.want[i]) {
			b->rs.moving[i] = true;
			b->rs.nmoving++;
		}
	}
	return 0;
}

/* Registers safe to change (canonical addresses, segment selectors). */
static bool perturb(__u32 msr, __u64 *v, int round)
{
	switch (msr) {
	case 0x174: /* SYSENTER_CS */
		*v = 0x10 + 8 * round;
		return true;
	case 0x175: /* SYSENTER_ESP */
	case 0x176: /* SYSENTER_EIP */
		/*
		 * 32-bit values: KVM on AMD may keep only the low half (Debian's 6.1,
		 * for a vCPU without an Intel CPUID, read 0xffffffff81075300 back as
		 * 0x81075300)
		 */
		*v = 0x81000000ULL + 0x1000ULL * (msr & 0xff) + 0x100ULL * round;
		return true;
	case 0xc0000082: /* LSTAR */
	case 0xc0000083: /* CSTAR */
	case 0xc0000102: /* KERNEL_GS_BASE */
		*v = 0xffffffff81000000ULL + 0x1000ULL * (msr & 0xff) + 0x100ULL * round;
		return true;
	case 0xc0000081: /* STAR */
		*v = 0x0023001000000000ULL + round;
		return true;
	case 0xc0000084: /* SFMASK */
		*v = 0x47700 + round;
		return true;
	default:
		return false;
	}
}

/*
 * Write known values with each method's set and read them back with every
 * method's get: all must agree. Returns the number of registers changed.
 */
static int verify(struct bench *b, struct vbuf *v, char *err, size_t len)
{
	int changed = 0;

	for (int ms = 0; ms < M_MAX; ms++) {
		if (!b->have[ms])
			continue;
		changed = 0;
		for (int i = 0; i < b->rs.n; i++) {
			v->vals[i] = b->rs.want[i];
			changed += perturb(b->rs.msr[i], &v->vals[i], ms + 1);
		}
		vals_to_msrs(b, v);
		if (do_method(b, v, ms, D_SET)) {
			snprintf(err, len, "%s set failed: %s", method_names[ms], strerror(errno));
			return -1;
		}
		for (int mg = 0; mg < M_MAX; mg++) {
			__u64 *expect;

			if (!b->have[mg])
				continue;
			expect = malloc(b->rs.n * sizeof(*expect));
			if (!expect)
				return -1;
			memcpy(expect, v->vals, b->rs.n * sizeof(*expect));
			memset(v->vals, 0, b->rs.n * sizeof(*v->vals));
			for (int i = 0; i < b->rs.n; i++)
				v->msrs->entries[i].data = 0;
			if (do_method(b, v, mg, D_GET)) {
				free(expect);
				snprintf(err, len, "%s get failed", method_names[mg]);
				return -1;
			}
			if (mg == M_LEGACY)
				msrs_to_vals(b, v);
			for (int i = 0; i < b->rs.n; i++) {
				if (b->rs.moving[i] || v->vals[i] == expect[i])
					continue;
				snprintf(err, len,
					 "MSR 0x%x: set by %s 0x%" PRIx64 ", read by %s 0x%" PRIx64,
					 b->rs.msr[i], method_names[ms], (uint64_t)expect[i],
					 method_names[mg], (uint64_t)v->vals[i]);
				free(expect);
				return -1;
			}
			memcpy(v->vals, expect, b->rs.n * sizeof(*expect));
			free(expect);
		}
	}
	/* restore the original values */
	memcpy(v->vals, b->rs.want, b->rs.n * sizeof(*v->vals));
	vals_to_msrs(b, v);
	do_method(b, v, M_LEGACY, D_SET);
	return changed;
}

struct thread_arg {
	struct bench *b;
	int idx;
};

static void *vcpu_thread(void *p)
{
	struct thread_arg *a = p;
	struct bench *b = a->b;
	struct vbuf *v = &b->vb[a->idx];

	/* warm up, get and set alternately */
	for (int m = 0; m < M_MAX; m++)
		for (int r = 0; b->have[m] && r < 10; r++) {
			do_method(b, v, m, D_GET);
			do_method(b, v, m, D_SET);
		}
	/* methods interleaved per repetition: a drift in host speed affects them alike */
	for (int r = 0; r < env.reps; r++) {
		for (int m = 0; m < M_MAX; m++) {
			if (!b->have[m])
				continue;
			for (int d = 0; d < D_MAX; d++) {
				double t0;

				pthread_barrier_wait(&b->bar);
				if (a->idx == 0)
					b->wall[m][d][r] = now_us();
				t0 = now_us();
				if (do_method(b, v, m, d))
					v->err = errno ? errno : EIO;
				v->us[m][d][r] = now_us() - t0;
				pthread_barrier_wait(&b->bar);
				if (a->idx == 0)
					b->wall[m][d][r] = now_us() - b->wall[m][d][r];
			}
		}
	}
	return NULL;
}

/* Per-vCPU figures of one run: all threads' repetitions pooled. */
static struct bench_stat per_vcpu(struct bench *b, enum method m, enum dir d)
{
	double *all = malloc((size_t)env.nvcpus * env.reps * sizeof(double));
	struct bench_stat r = { 0, 0, 0 };

	if (!all)
		return r;
	for (int v = 0; v < env.nvcpus; v++)
		memcpy(all + (size_t)v * env.reps, b->vb[v].us[m][d], env.reps * sizeof(double));
	r = bench_stat_of(all, env.nvcpus * env.reps);
	free(all);
	return r;
}

/* What the runs share, and each run's figures. */
struct regs_all {
	struct bench_result r;
	bool have[M_MAX];
	long many_cap;
	int mid[M_MAX][D_MAX];	    /* metric <method>.<get|set>.p50, -1 when unsupported */
	int mratio[D_MAX];	    /* ratio.<get|set>_one_over_many, -1 without both */
	double *wall[M_MAX][D_MAX]; /* per run: median wall time of all vCPUs, us */
	int registers, changed, nmoving;
	__u64 issued[C_MAX];
};

static const char *const dir_names[D_MAX] = { "get", "set" };

static int add_metrics(struct regs_all *a)
{
	char name[96];

	for (int m = 0; m < M_MAX; m++)
		for (int d = 0; d < D_MAX; d++) {
			a->mid[m][d] = -1;
			if (!(a->wall[m][d] = calloc(env.o.runs, sizeof(double))))
				return -1;
			if (!a->have[m])
				continue;
			snprintf(name, sizeof(name), "%s.%s.p50", method_names[m], dir_names[d]);
			a->mid[m][d] = bench_metric_new(&a->r, name, "ns", "lower", 0.05);
			if (a->mid[m][d] < 0)
				return -1;
		}
	for (int d = 0; d < D_MAX; d++) {
		a->mratio[d] = -1;
		if (!a->have[M_ONE_REG] || !a->have[M_MANY_REGS])
			continue;
		snprintf(name, sizeof(name), "ratio.%s_one_over_many", dir_names[d]);
		a->mratio[d] = bench_metric_new(&a->r, name, "x", "higher", 0.05);
		if (a->mratio[d] < 0)
			return -1;
	}
	return 0;
}

/* The run's figures into the metrics; its counts into the totals. */
static void take_run(struct regs_all *a, struct bench *b, int run)
{
	double med[M_MAX][D_MAX] = { { 0 } };

	for (int m = 0; m < M_MAX; m++)
		for (int d = 0; d < D_MAX; d++) {
			if (!a->have[m])
				continue;
			/* microseconds measured, nanoseconds reported */
			med[m][d] = per_vcpu(b, m, d).med * 1000;
			a->wall[m][d][run] = bench_stat_of(b->wall[m][d], env.reps).med;
			bench_metric_set(&a->r, a->mid[m][d], run, med[m][d]);
		}
	for (int d = 0; d < D_MAX; d++)
		if (a->mratio[d] >= 0 && med[M_MANY_REGS][d] > 0)
			bench_metric_set(&a->r, a->mratio[d], run,
					 med[M_ONE_REG][d] / med[M_MANY_REGS][d]);
	for (int i = 0; i < C_MAX; i++) {
		a->issued[i] += b->cnt[i];
		for (int v = 0; v < env.nvcpus; v++)
			a->issued[i] += b->vb[v].cnt[i];
	}
	a->registers = b->rs.n;
	a->nmoving = b->rs.nmoving;
}

static void fill_doc(struct regs_all *a)
{
	json_object *sup = json_object_new_object(), *iss = json_object_new_object();

	json_object_object_add(a->r.params, "vcpus", json_object_new_int(env.nvcpus));
	json_object_object_add(a->r.params, "reps", json_object_new_int(env.reps));
	json_object_object_add(a->r.details, "registers", json_object_new_int(a->registers));
	json_object_object_add(a->r.details, "verified", json_object_new_boolean(true));
	json_object_object_add(a->r.details, "registers_changed", json_object_new_int(a->changed));
	json_object_object_add(a->r.details, "counters_not_compared",
			       json_object_new_int(a->nmoving));
	for (int m = 0; m < M_MAX; m++)
		json_object_object_add(sup, method_names[m], json_object_new_boolean(a->have[m]));
	json_object_object_add(a->r.details, "supported", sup);
	json_object_object_add(a->r.details, "many_regs_cap", json_object_new_int64(a->many_cap));
	for (int i = 0; i < C_MAX; i++)
		json_object_object_add(iss, counted[i].name, json_u64(a->issued[i]));
	json_object_object_add(a->r.details, "issued", iss);
}

static void report_text(const struct regs_all *a)
{
	static const char *const dname[D_MAX] = { "get all", "set all" };
	const int runs = env.o.runs;

	printf("\nKVM register save/restore: %d MSRs, %d repetitions, %d vCPU%s%s, %d run%s\n",
	       a->registers, env.reps, env.nvcpus, env.nvcpus > 1 ? "s" : "",
	       env.nvcpus > 1 ? " saved in parallel (one thread each)" : "", runs,
	       runs > 1 ? "s" : "");
	printf("values read back equal values written: every method pair, %d registers changed, "
	       "%d counters not compared\n",
	       a->changed, a->nmoving);
	printf("\nper vCPU, us: median over runs of each run's median (p10-p90 over runs)\n%-9s",
	       "");
	for (int m = 0; m < M_MAX; m++)
		printf(" %-26s", method_titles[m]);
	printf("\n");
	for (int d = 0; d < D_MAX; d++) {
		printf("%-9s", dname[d]);
		for (int m = 0; m < M_MAX; m++) {
			char cell[48] = "unsupported";

			if (a->have[m]) {
				struct bench_stat s =
					bench_stat_of(a->r.m[a->mid[m][d]].values, runs);

				snprintf(cell, sizeof(cell), "%.1f (%.1f-%.1f)", s.med / 1000,
					 s.p10 / 1000, s.p90 / 1000);
			}
			printf(" %-26s", cell);
		}
		printf("\n");
	}
	if (env.nvcpus > 1) {
		printf("\nall %d vCPUs in parallel (wall), us: median over runs\n", env.nvcpus);
		for (int d = 0; d < D_MAX; d++) {
			printf("%-9s", dname[d]);
			for (int m = 0; m < M_MAX; m++) {
				char cell[48] = "unsupported";

				if (a->have[m])
					snprintf(cell, sizeof(cell), "%.1f",
						 bench_stat_of(a->wall[m][d], runs).med);
				printf(" %-26s", cell);
			}
			printf("\n");
		}
	}
	if (a->mratio[D_GET] >= 0)
		printf("\nONE_REG loop / MANY_REGS: get %.2fx, set %.2fx (per vCPU, median over "
		       "runs)\n",
		       bench_stat_of(a->r.m[a->mratio[D_GET]].values, runs).med,
		       bench_stat_of(a->r.m[a->mratio[D_SET]].values, runs).med);
	if (!a->have[M_MANY_REGS])
		printf("\nMANY_REGS: unsupported by this kernel "
		       "(KVM_CHECK_EXTENSION(KVM_CAP_MANY_REGS) "
		       "= %ld, not %d)\n",
		       a->many_cap, KVM_MANY_REGS_MAX);
	if (!a->have[M_ONE_REG])
		printf("ONE_REG: unsupported for x86 MSRs by this kernel (KVM_CAP_ONE_REG = 0)\n");
	printf("\nvCPU ioctls issued:");
	for (int i = 0; i < C_MAX; i++)
		if (a->issued[i])
			printf(" %s %" PRIu64, counted[i].name, (uint64_t)a->issued[i]);
	printf("\n");
}

static const struct cli_opt opts[] = {
	BENCH_COMMON_OPTS("5"),
	{ "vcpus", 'n', "N", "vCPUs saved in parallel, one thread each (default 1)" },
	{ "reps", 'r', "R", "Timed repetitions per method and direction and run (default 200)" },
	{ NULL, 0, NULL, NULL },
};

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	(void)ctx;
	switch (key) {
	case 'n':
		return cli_int_opt("--vcpus", arg, 1, WL_MAX_VCPUS, &env.nvcpus, err, len);
	case 'r':
		return cli_int_opt("--reps", arg, 5, 1000000, &env.reps, err, len);
	default:
		return bench_opt(&env.o, key, arg, err, len);
	}
}

static void bench_free(struct bench *b)
{
	for (int v = 0; v < env.nvcpus; v++)
		vbuf_free(&b->vb[v]);
	for (int m = 0; m < M_MAX; m++)
		for (int d = 0; d < D_MAX; d++)
			free(b->wall[m][d]);
	free(b->rs.msr);
	free(b->rs.want);
	free(b->rs.moving);
	kvm_vm_close(&b->vm);
	free(b);
}

/*
 * One run on a fresh VM: the register set, the cross-method check, the timed
 * repetitions. The first run finds what the kernel supports and makes the
 * metrics. 0, or -1 after a message.
 */
static int one_run(struct regs_all *a, int run)
{
	struct bench *b = calloc(1, sizeof(*b));
	pthread_t th[WL_MAX_VCPUS];
	struct thread_arg ta[WL_MAX_VCPUS];
	int ret = -1, changed = 0;
	char err[256];

	if (!b) {
		err_msg("bench regs: out of memory");
		return -1;
	}
	if (kvm_vm_open(&b->vm, env.nvcpus, err, sizeof(err))) {
		err_msg("bench regs: %s", err);
		free(b);
		return -1;
	}
	b->have[M_LEGACY] = true;
	b->have[M_ONE_REG] = ioctl(b->vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_ONE_REG) > 0;
	b->many_cap = ioctl(b->vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_MANY_REGS);
	/* 239 is another capability upstream: trust it only with the series' value */
	b->have[M_MANY_REGS] = b->have[M_ONE_REG] && b->many_cap == KVM_MANY_REGS_MAX;
	if (run == 0) {
		memcpy(a->have, b->have, sizeof(a->have));
		a->many_cap = b->many_cap;
		if (add_metrics(a)) {
			err_msg("bench regs: out of memory");
			goto out;
		}
	} else if (memcmp(a->have, b->have, sizeof(a->have))) {
		err_msg("bench regs: run %d: the kernel's methods changed between runs", run + 1);
		goto out;
	}
	if (build_regset(b, err, sizeof(err))) {
		err_msg("bench regs: %s", err);
		goto out;
	}
	for (int v = 0; v < env.nvcpus; v++)
		if (vbuf_init(b, &b->vb[v], b->vm.v[v].fd)) {
			err_msg("bench regs: out of memory");
			goto out;
		}
	for (int m = 0; m < M_MAX; m++)
		for (int d = 0; d < D_MAX; d++)
			if (!(b->wall[m][d] = calloc(env.reps, sizeof(double)))) {
				err_msg("bench regs: out of memory");
				goto out;
			}
	for (int v = 0; v < env.nvcpus; v++) {
		changed = verify(b, &b->vb[v], err, sizeof(err));
		if (changed < 0) {
			err_msg("bench regs: run %d: vCPU %d: %s", run + 1, v, err);
			goto out;
		}
		/* timed runs write back the original values */
		memcpy(b->vb[v].vals, b->rs.want, b->rs.n * sizeof(__u64));
		vals_to_msrs(b, &b->vb[v]);
	}
	a->changed = changed;
	pthread_barrier_init(&b->bar, NULL, env.nvcpus);
	for (int v = 0; v < env.nvcpus; v++) {
		ta[v] = (struct thread_arg){ b, v };
		pthread_create(&th[v], NULL, vcpu_thread, &ta[v]);
	}
	for (int v = 0; v < env.nvcpus; v++)
		pthread_join(th[v], NULL);
	pthread_barrier_destroy(&b->bar);
	for (int v = 0; v < env.nvcpus; v++) {
		if (b->vb[v].err) {
			err_msg("bench regs: run %d: vCPU %d: a timed call failed: %s", run + 1, v,
				strerror(b->vb[v].err));
			goto out;
		}
	}
	take_run(a, b, run);
	ret = 0;
out:
	bench_free(b);
	return ret;
}

int bench_regs(int argc, char **argv)
{
	static const char doc[] =
		"Save and restore the registers KVM reports (x86: the MSRs of\n"
		"KVM_GET_MSR_INDEX_LIST that the vCPU can read and write back) three ways:\n"
		"one KVM_GET/SET_ONE_REG per register, one KVM_GET/SET_MANY_REGS call (the\n"
		"carried kernel series), and KVM_GET/SET_MSRS. Every method's values are\n"
		"checked against every other's before timing; the timed repetitions\n"
		"interleave the methods. Methods the kernel lacks are reported as\n"
		"unsupported. Each run uses a fresh VM. Metrics, one value per run:\n"
		"<method>.<get|set>.p50 (the median per vCPU, ns) and, with both ONE_REG\n"
		"and MANY_REGS, ratio.get_one_over_many and ratio.set_one_over_many.\n\n"
		"Examples:\n"
		"  pvtrace bench regs\n"
		"  pvtrace bench regs --vcpus 4 --reps 500 --runs 10\n"
		"  pvtrace bench regs --label patched-6.12 --json -o regs.json";
	static const struct cli cli = { .name = "pvtrace bench regs",
					.usage = "[OPTIONS]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt };
	struct regs_all *a = calloc(1, sizeof(*a));
	int ret;

	if (!a)
		return EXIT_RUNTIME;
	ret = cli_parse(&cli, argc, argv, NULL);
	if (!ret)
		ret = bench_opts_check(&env.o, cli.name);
	if (ret) {
		free(a);
		return ret == CLI_HELP ? 0 : ret;
	}
	ret = EXIT_RUNTIME;
	if (bench_result_init(&a->r, "regs", &env.o)) {
		err_msg("bench regs: out of memory");
		goto out;
	}
	a->r.text_table = false;
	for (int run = 0; run < env.o.runs; run++)
		if (one_run(a, run))
			goto out;
	fill_doc(a);
	ret = bench_result_emit(&a->r);
	if (!env.o.json)
		report_text(a);
out:
	for (int m = 0; m < M_MAX; m++)
		for (int d = 0; d < D_MAX; d++)
			free(a->wall[m][d]);
	bench_result_free(&a->r);
	free(a);
	return ret;
}
#else /* !__x86_64__ */
#include <stdio.h>
#include "bench.h"
#include "util.h"

int bench_regs(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	err_msg("bench regs: not built for this architecture yet (x86 only)");
	return 2;
}
#endif
