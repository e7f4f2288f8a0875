// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace bench regs: save and restore a vCPU's registers -- one KVM_GET/SET_ONE_REG per
 * register, one KVM_GET/SET_MANY_REGS call (uapi v2, user/kvm/many_regs.h), and where the
 * architecture has one its legacy bulk ioctl (x86 KVM_GET/SET_MSRS) -- over the registers
 * the architecture lists (regs_x86.c, regs_arm64.c), checking that every method reads what
 * every method wrote. The methods are interleaved in each repetition; medians per run.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "cli.h"
#include "output.h"
#include "util.h"
#include "regs.h"

#define REGS_DEFAULT_RUNS 5

struct regs_env regs_env = { .o.runs = REGS_DEFAULT_RUNS, .nvcpus = 1, .reps = 200 };
#define env regs_env

static const char *const method_names[M_MAX] = { "one_reg", "many_regs", "legacy_msrs" };
static const char *const dir_names[D_MAX] = { "get", "set" };

/* Table 1 of the 2020 MANY_REGS proposal (AWS Graviton2, us per vCPU) */
static const struct {
	double one, many;
} seed[D_MAX] = { { 123, 33 }, { 120, 36 } };
#define SEED_SOURCE                                                                         \
	"[PATCH 0/3] Introduce new vcpu ioctls KVM_(GET|SET)_MANY_REGS, Darkhan Mukashov, " \
	"2020-11-20, Table 1 (AWS Graviton2, arm64)"

static const char *method_title(enum method m)
{
	static const char *const t[M_MAX] = { "ONE_REG loop", "MANY_REGS", NULL };

	return m == M_LEGACY ? regs_arch.legacy_title : t[m];
}

int regs_ioctl(uint64_t *cnt, int fd, enum counted c, void *arg)
{
	cnt[c]++;
	return ioctl(fd, regs_arch.counted[c].cmd, arg);
}

int regset_alloc(struct regset *rs, int n)
{
	rs->id = calloc(n, sizeof(*rs->id));
	rs->off = calloc(n, sizeof(*rs->off));
	rs->len = calloc(n, sizeof(*rs->len));
	rs->moving = calloc(n, sizeof(*rs->moving));
	rs->refused = calloc(n, sizeof(*rs->refused));
	rs->set = calloc(n, sizeof(*rs->set));
	return rs->id && rs->off && rs->len && rs->moving && rs->refused && rs->set ? 0 : -ENOMEM;
}

void regset_add(struct regset *rs, uint64_t id)
{
	size_t sz = reg_size_of(id);

	rs->id[rs->n] = id;
	rs->len[rs->n] = sz;
	rs->off[rs->n] = rs->bytes;
	rs->bytes += (sz + 15) & ~(size_t)15; /* 16-byte aligned values: U128 and up */
	rs->classes[reg_class_of(id)]++;
	rs->n++;
}

static void regset_free(struct regset *rs)
{
	free(rs->id);
	free(rs->off);
	free(rs->len);
	free(rs->msr);
	free(rs->moving);
	free(rs->refused);
	free(rs->set);
}

static void name_of(const struct bench *b, int i, char *buf, size_t len)
{
	reg_name(b->rs.id[i], buf, len);
}

/* ONE_REG, MANY_REGS over the get or the set list */
static int many(struct bench *b, struct vbuf *v, enum dir d)
{
	struct kvm_many_regs *h = d == D_GET ? v->many_get : v->many_set;
	int n = d == D_GET ? b->rs.n : b->rs.nset, r;

	h->n = n;
	h->flags = 0;
	h->status = (unsigned long)v->status;
	r = regs_ioctl(v->cnt, v->fd, d == D_GET ? C_GET_MANY : C_SET_MANY, h);
	if (r < 0)
		return -errno;
	if (r == n)
		return 0;
	v->fail_reg = d == D_GET ? r : b->rs.set[r];
	return v->status[r] < 0 ? v->status[r] : -EIO;
}

/* One full save (get) or restore (set) of the register set, one method. 0 or -errno. */
static int do_method(struct bench *b, struct vbuf *v, enum method m, enum dir d)
{
	switch (m) {
	case M_ONE_REG: {
		int n = d == D_GET ? b->rs.n : b->rs.nset;
		struct kvm_one_reg *one = d == D_GET ? v->one_get : v->one_set;

		for (int i = 0; i < n; i++)
			if (regs_ioctl(v->cnt, v->fd, d == D_GET ? C_GET_ONE : C_SET_ONE,
				       &one[i])) {
				v->fail_reg = d == D_GET ? i : b->rs.set[i];
				return -errno;
			}
		return 0;
	}
	case M_MANY_REGS:
		return many(b, v, d);
	case M_LEGACY:
		return regs_arch_legacy(b, v, d);
	default:
		return -EINVAL;
	}
}

/* do_method with the values in v->vals whatever the method (the checks, not the timing) */
static int do_synced(struct bench *b, struct vbuf *v, enum method m, enum dir d)
{
	int r;

	if (m == M_LEGACY && d == D_SET)
		regs_arch_legacy_sync(b, v, D_SET);
	r = do_method(b, v, m, d);
	if (!r && m == M_LEGACY && d == D_GET)
		regs_arch_legacy_sync(b, v, D_GET);
	return r;
}

static enum method ref_method(const struct bench *b)
{
	return b->have[M_ONE_REG] ? M_ONE_REG : M_LEGACY;
}

static int vbuf_init(struct bench *b, struct vbuf *v, int fd)
{
	const struct regset *rs = &b->rs;
	size_t mb = sizeof(struct kvm_many_regs) + rs->n * sizeof(struct kvm_one_reg);

	memset(v, 0, sizeof(*v));
	v->fd = fd;
	v->fail_reg = -1;
	v->vals = calloc(1, rs->bytes);
	v->want = calloc(1, rs->bytes);
	v->one_get = calloc(rs->n, sizeof(*v->one_get));
	v->one_set = calloc(rs->n, sizeof(*v->one_set));
	v->many_get = calloc(1, mb);
	v->many_set = calloc(1, mb);
	v->status = calloc(rs->n, sizeof(*v->status));
	if (!v->vals || !v->want || !v->one_get || !v->one_set || !v->many_get || !v->many_set ||
	    !v->status)
		return -ENOMEM;
	for (int i = 0; i < rs->n; i++) {
		v->one_get[i].id = rs->id[i];
		v->one_get[i].addr = (unsigned long)(v->vals + rs->off[i]);
		v->many_get->reg[i] = v->one_get[i];
	}
	for (int k = 0; k < rs->nset; k++) {
		v->one_set[k] = v->one_get[rs->set[k]];
		v->many_set->reg[k] = v->one_set[k];
	}
	for (int m = 0; m < M_MAX; m++)
		for (int d = 0; d < D_MAX; d++)
			if (!(v->us[m][d] = calloc(env.reps, sizeof(double))))
				return -ENOMEM;
	return regs_arch_vbuf_init(b, v);
}

static void vbuf_free(struct vbuf *v)
{
	free(v->vals);
	free(v->want);
	free(v->one_get);
	free(v->one_set);
	free(v->many_get);
	free(v->many_set);
	free(v->status);
	regs_arch_vbuf_free(v);
	for (int m = 0; m < M_MAX; m++)
		for (int d = 0; d < D_MAX; d++)
			free(v->us[m][d]);
}

/*
 * On vCPU 0, with the reference method (ONE_REG, else the legacy one): registers that change
 * by themselves (read twice, 2 ms apart), and with ONE_REG those that refuse to be written
 * back with the value just read (left out of set). 0, or -1 and err.
 */
static int probe_regset(struct bench *b, char *err, size_t len)
{
	struct regset *rs = &b->rs;
	struct vbuf *v = &b->vb[0];
	struct timespec ts = { 0, 2000000 };
	enum method ref = ref_method(b);
	char name[48];
	int r;

	rs->nset = 0;
	for (int i = 0; i < rs->n; i++)
		rs->set[rs->nset++] = i;
	if (vbuf_init(b, v, b->vm.v[0].fd)) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	if ((r = do_synced(b, v, ref, D_GET))) {
		name_of(b, v->fail_reg < 0 ? 0 : v->fail_reg, name, sizeof(name));
		snprintf(err, len, "%s get failed (%s): %s", method_names[ref], name, strerror(-r));
		return -1;
	}
	memcpy(v->want, v->vals, rs->bytes);
	nanosleep(&ts, NULL);
	if ((r = do_synced(b, v, ref, D_GET))) {
		snprintf(err, len, "%s get failed: %s", method_names[ref], strerror(-r));
		return -1;
	}
	for (int i = 0; i < rs->n; i++)
		if (memcmp(v->vals + rs->off[i], v->want + rs->off[i], rs->len[i])) {
			rs->moving[i] = true;
			rs->nmoving++;
		}
	if (ref == M_ONE_REG) {
		rs->nset = 0;
		for (int i = 0; i < rs->n; i++) {
			if (regs_ioctl(b->cnt, v->fd, C_SET_ONE, &v->one_get[i]))
				rs->refused[i] = errno ? errno : EIO;
			if (rs->refused[i])
				rs->nrefused++;
			else
				rs->set[rs->nset++] = i;
		}
	}
	for (int c = 0; c < C_MAX; c++)
		b->cnt[c] += v->cnt[c]; /* vbuf_init starts the counts again */
	vbuf_free(v);
	memset(v, 0, sizeof(*v));
	if (!rs->nset) {
		snprintf(err, len, "no register can be written back on this vCPU");
		return -1;
	}
	return 0;
}

/*
 * For each method that sets: write perturbed values (registers safe to change) and read them
 * back with every method; values must be equal but for those that change by themselves.
 * Then the vCPU's own values are written back. The registers changed, or -1 and err.
 */
static int verify(struct bench *b, struct vbuf *v, char *err, size_t len)
{
	const struct regset *rs = &b->rs;
	enum method ref = ref_method(b);
	uint8_t *expect = malloc(rs->bytes);
	int changed = 0, r;
	char name[48];

	if (!expect) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	if ((r = do_synced(b, v, ref, D_GET))) {
		snprintf(err, len, "%s get failed: %s", method_names[ref], strerror(-r));
		goto fail;
	}
	memcpy(v->want, v->vals, rs->bytes);
	for (int ms = 0; ms < M_MAX; ms++) {
		if (!b->have[ms])
			continue;
		memcpy(v->vals, v->want, rs->bytes);
		changed = 0;
		for (int k = 0; k < rs->nset; k++)
			changed += regs_arch_perturb(b, rs->set[k], v->vals + rs->off[rs->set[k]],
						     ms + 1);
		memcpy(expect, v->vals, rs->bytes);
		if ((r = do_synced(b, v, ms, D_SET))) {
			name_of(b, v->fail_reg < 0 ? 0 : v->fail_reg, name, sizeof(name));
			snprintf(err, len, "%s set failed (%s): %s", method_names[ms], name,
				 strerror(-r));
			goto fail;
		}
		for (int mg = 0; mg < M_MAX; mg++) {
			if (!b->have[mg])
				continue;
			memset(v->vals, 0, rs->bytes);
			if ((r = do_synced(b, v, mg, D_GET))) {
				snprintf(err, len, "%s get failed: %s", method_names[mg],
					 strerror(-r));
				goto fail;
			}
			for (int i = 0; i < rs->n; i++) {
				if (rs->moving[i] ||
				    !memcmp(v->vals + rs->off[i], expect + rs->off[i], rs->len[i]))
					continue;
				name_of(b, i, name, sizeof(name));
				snprintf(err, len,
					 "%s (0x%" PRIx64 "): set by %s, read back by %s: differs",
					 name, (uint64_t)rs->id[i], method_names[ms],
					 method_names[mg]);
				goto fail;
			}
		}
	}
	/* the vCPU's own values again; the timed sets write what the timed gets read */
	memcpy(v->vals, v->want, rs->bytes);
	if ((r = do_synced(b, v, ref, D_SET))) {
		snprintf(err, len, "restore failed: %s", strerror(-r));
		goto fail;
	}
	if (b->have[M_LEGACY])
		regs_arch_legacy_sync(b, v, D_SET);
	free(expect);
	return changed;
fail:
	free(expect);
	return -1;
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
	int r;

	/* warm up, get and set alternately */
	for (int m = 0; m < M_MAX; m++)
		for (int i = 0; b->have[m] && i < 10; i++) {
			do_method(b, v, m, D_GET);
			do_method(b, v, m, D_SET);
		}
	/* methods interleaved per repetition: a drift in host speed affects them alike */
	for (int rep = 0; rep < env.reps; rep++) {
		for (int m = 0; m < M_MAX; m++) {
			if (!b->have[m])
				continue;
			for (int d = 0; d < D_MAX; d++) {
				double t0;

				pthread_barrier_wait(&b->bar);
				if (a->idx == 0)
					b->wall[m][d][rep] = bench_now_ns();
				t0 = bench_now_ns();
				if ((r = do_method(b, v, m, d)) && !v->err)
					v->err = -r;
				v->us[m][d][rep] = (bench_now_ns() - t0) / 1000;
				pthread_barrier_wait(&b->bar);
				if (a->idx == 0)
					b->wall[m][d][rep] =
						(bench_now_ns() - b->wall[m][d][rep]) / 1000;
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
	long many_cap, many_zero;
	unsigned int vm_flags;
	int mid[M_MAX][D_MAX];	    /* metric <method>.<get|set>.p50, -1 when unsupported */
	int mratio[D_MAX];	    /* ratio.<get|set>_one_over_many, -1 without both */
	double *wall[M_MAX][D_MAX]; /* per run: median wall time of all vCPUs, us */
	int changed;
	struct regset rs; /* the first run's (ids, classes, moving, refused) */
	uint64_t issued[C_MAX];
};

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
}

static double metric_med(const struct regs_all *a, int id)
{
	return id < 0 ? NAN : bench_stat_of(a->r.m[id].values, env.o.runs).med;
}

static json_object *num_or_null(double v, int decimals)
{
	return isfinite(v) ? bench_json_num(v, decimals) : NULL;
}

/* Table 1's shape: per direction, us per vCPU per method and one over many; the seed's. */
static json_object *table1_json(const struct regs_all *a)
{
	json_object *t = json_object_new_object(), *s = json_object_new_object();

	for (int d = 0; d < D_MAX; d++) {
		json_object *row = json_object_new_object(), *srow = json_object_new_object();
		double one = metric_med(a, a->mid[M_ONE_REG][d]) / 1000;
		double mny = metric_med(a, a->mid[M_MANY_REGS][d]) / 1000;

		json_object_object_add(row, "one_reg_us", num_or_null(one, 3));
		json_object_object_add(row, "many_regs_us", num_or_null(mny, 3));
		json_object_object_add(row, "one_over_many",
				       num_or_null(metric_med(a, a->mratio[d]), 3));
		json_object_object_add(t, dir_names[d], row);
		json_object_object_add(srow, "one_reg_us", bench_json_num(seed[d].one, 0));
		json_object_object_add(srow, "many_regs_us", bench_json_num(seed[d].many, 0));
		json_object_object_add(srow, "one_over_many",
				       bench_json_num(seed[d].one / seed[d].many, 3));
		json_object_object_add(s, dir_names[d], srow);
	}
	json_object_object_add(s, "source", json_object_new_string(SEED_SOURCE));
	json_object_object_add(t, "seed", s);
	json_object_object_add(t, "times",
			       json_object_new_string(a->r.fp.emulated ? "emulated" : "native"));
	return t;
}

static json_object *names_json(const struct regs_all *a, const bool *moving, const int *refused)
{
	json_object *arr = json_object_new_array();
	char name[48];

	for (int i = 0; i < a->rs.n; i++) {
		json_object *o;

		if (moving && !moving[i])
			continue;
		if (refused && !refused[i])
			continue;
		reg_name(a->rs.id[i], name, sizeof(name));
		if (!refused) {
			json_object_array_add(arr, json_object_new_string(name));
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "id", json_hex_u64(a->rs.id[i]));
		json_object_object_add(o, "errno",
				       json_object_new_string(strerrorname_np(refused[i]) ?: "?"));
		json_object_array_add(arr, o);
	}
	return arr;
}

static void fill_doc(struct regs_all *a)
{
	json_object *sup = json_object_new_object(), *iss = json_object_new_object();
	json_object *cls = json_object_new_object(), *probe = json_object_new_object();
	json_object *d = a->r.details;

	json_object_object_add(a->r.params, "vcpus", json_object_new_int(env.nvcpus));
	json_object_object_add(a->r.params, "reps", json_object_new_int(env.reps));
	json_object_object_add(d, "registers", json_object_new_int(a->rs.n));
	json_object_object_add(d, "registers_listed", json_object_new_int(a->rs.listed));
	json_object_object_add(d, "value_bytes", json_u64(a->rs.bytes));
	for (int c = 0; c < RC_MAX; c++)
		if (a->rs.classes[c])
			json_object_object_add(cls, reg_class_name(c),
					       json_object_new_int(a->rs.classes[c]));
	json_object_object_add(d, "classes", cls);
	json_object_object_add(d, "verified", json_object_new_boolean(true));
	json_object_object_add(d, "registers_changed", json_object_new_int(a->changed));
	json_object_object_add(d, "compared", json_object_new_int(a->rs.n - a->rs.nmoving));
	json_object_object_add(d, "counters_not_compared", json_object_new_int(a->rs.nmoving));
	json_object_object_add(d, "excluded", names_json(a, a->rs.moving, NULL));
	json_object_object_add(d, "set_registers", json_object_new_int(a->rs.nset));
	json_object_object_add(d, "refused_set_count", json_object_new_int(a->rs.nrefused));
	json_object_object_add(d, "refused_set", names_json(a, NULL, a->rs.refused));
	for (int m = 0; m < M_MAX; m++)
		if (m != M_LEGACY || regs_arch.legacy)
			json_object_object_add(sup, method_names[m],
					       json_object_new_boolean(a->have[m]));
	json_object_object_add(d, "supported", sup);
	json_object_object_add(d, "many_regs_cap", json_object_new_int64(a->many_cap));
	json_object_object_add(probe, "cap", json_object_new_int64(a->many_cap));
	json_object_object_add(probe, "want_cap", json_object_new_int(KVM_MANY_REGS_MAX));
	json_object_object_add(probe, "zero_call",
			       a->many_zero == -1 ? NULL : json_object_new_int64(a->many_zero));
	json_object_object_add(probe, "usable", json_object_new_boolean(a->have[M_MANY_REGS]));
	json_object_object_add(d, "many_regs_probe", probe);
	json_object_object_add(d, "table1", table1_json(a));
	for (int i = 0; i < C_MAX; i++)
		if (regs_arch.counted[i].name)
			json_object_object_add(iss, regs_arch.counted[i].name,
					       json_u64(a->issued[i]));
	json_object_object_add(d, "issued", iss);
	{
		struct kvm_vm vm = { .flags = a->vm_flags };

		regs_arch_details(&vm, d);
	}
}

static void cell_stat(const struct regs_all *a, int id, char *cell, size_t len)
{
	struct bench_stat s;

	if (id < 0) {
		snprintf(cell, len, "unsupported");
		return;
	}
	s = bench_stat_of(a->r.m[id].values, env.o.runs);
	snprintf(cell, len, "%.1f (%.1f-%.1f)", s.med / 1000, s.p10 / 1000, s.p90 / 1000);
}

static void list_names(const struct regs_all *a, const bool *moving, const int *refused)
{
	char name[48];
	int shown = 0;

	for (int i = 0; i < a->rs.n; i++) {
		if ((moving && !moving[i]) || (refused && !refused[i]))
			continue;
		if (shown++ == 8) {
			printf(", ...");
			break;
		}
		reg_name(a->rs.id[i], name, sizeof(name));
		printf("%s%s", shown > 1 ? ", " : "", name);
		if (refused)
			printf(" %s", strerrorname_np(refused[i]) ?: "?");
	}
}

static void report_text(const struct regs_all *a)
{
	static const char *const dname[D_MAX] = { "get all", "set all" };
	const int runs = env.o.runs;
	bool emu = a->r.fp.emulated;

	printf("\nKVM register save/restore: %d %s, %d repetitions, %d vCPU%s%s, %d run%s\n",
	       a->rs.n, regs_arch.what, env.reps, env.nvcpus, env.nvcpus > 1 ? "s" : "",
	       env.nvcpus > 1 ? " saved in parallel (one thread each)" : "", runs,
	       runs > 1 ? "s" : "");
	printf("registers by class:");
	for (int c = 0, k = 0; c < RC_MAX; c++)
		if (a->rs.classes[c])
			printf("%s %s %d", k++ ? "," : "", reg_class_name(c), a->rs.classes[c]);
	printf(" (%d listed, %zu bytes of values)\n", a->rs.listed, a->rs.bytes);
	printf("values read back equal values written: every method pair, %d registers changed, "
	       "%d excluded (change by themselves%s",
	       a->changed, a->rs.nmoving, a->rs.nmoving ? ": " : "");
	list_names(a, a->rs.moving, NULL);
	printf(")\nrestored by set: %d, refused by set: %d%s", a->rs.nset, a->rs.nrefused,
	       a->rs.nrefused ? " (" : "");
	list_names(a, NULL, a->rs.refused);
	printf("%s\n", a->rs.nrefused ? ")" : "");

	printf("\nTable 1: per vCPU, us, median over runs of each run's median (p10-p90 over "
	       "runs)%s\n%-9s",
	       emu ? "\n         EMULATED CPU (QEMU TCG): not hardware figures" : "", "");
	for (int m = 0; m < M_MAX; m++)
		if (m != M_LEGACY || regs_arch.legacy)
			printf(" %-24s", method_title(m));
	printf(" %s\n", "one_over_many");
	for (int d = 0; d < D_MAX; d++) {
		char cell[48];

		printf("%-9s", dname[d]);
		for (int m = 0; m < M_MAX; m++) {
			if (m == M_LEGACY && !regs_arch.legacy)
				continue;
			cell_stat(a, a->mid[m][d], cell, sizeof(cell));
			printf(" %-24s", cell);
		}
		if (a->mratio[d] >= 0)
			printf(" %.2fx\n", metric_med(a, a->mratio[d]));
		else
			printf(" -\n");
	}
	printf("seed (AWS Graviton2, 2020 MANY_REGS proposal, hardware): get %.0f vs %.0f us "
	       "(%.2fx), set %.0f vs %.0f us (%.2fx)\n",
	       seed[D_GET].one, seed[D_GET].many, seed[D_GET].one / seed[D_GET].many,
	       seed[D_SET].one, seed[D_SET].many, seed[D_SET].one / seed[D_SET].many);
	if (env.nvcpus > 1) {
		printf("\nall %d vCPUs in parallel (wall), us: median over runs\n", env.nvcpus);
		for (int d = 0; d < D_MAX; d++) {
			printf("%-9s", dname[d]);
			for (int m = 0; m < M_MAX; m++) {
				char cell[48] = "unsupported";

				if (m == M_LEGACY && !regs_arch.legacy)
					continue;
				if (a->have[m])
					snprintf(cell, sizeof(cell), "%.1f",
						 bench_stat_of(a->wall[m][d], runs).med);
				printf(" %-24s", cell);
			}
			printf("\n");
		}
	}
	if (!a->have[M_MANY_REGS] && a->many_zero == -1)
		printf("\nMANY_REGS: unsupported by this kernel "
		       "(KVM_CHECK_EXTENSION(KVM_CAP_MANY_REGS) = %ld, not %d)\n",
		       a->many_cap, KVM_MANY_REGS_MAX);
	else if (!a->have[M_MANY_REGS])
		printf("\nMANY_REGS: unsupported by this kernel "
		       "(KVM_CHECK_EXTENSION(KVM_CAP_MANY_REGS) = %d, but a call with n = 0 "
		       "returned %ld%s%s)\n",
		       KVM_MANY_REGS_MAX, a->many_zero, a->many_zero < 0 ? ", " : "",
		       a->many_zero < 0 ? strerrorname_np((int)-a->many_zero) ?: "?" : "");
	if (!a->have[M_ONE_REG])
		printf("ONE_REG: unsupported for these registers by this kernel "
		       "(KVM_CAP_ONE_REG = 0)\n");
	printf("\nvCPU ioctls issued:");
	for (int i = 0; i < C_MAX; i++)
		if (a->issued[i] && regs_arch.counted[i].name)
			printf(" %s %" PRIu64, regs_arch.counted[i].name, a->issued[i]);
	printf("\n");
}

static const struct cli_opt opts[] = {
	BENCH_COMMON_OPTS("5"),
	{ "vcpus", 'n', "N", "vCPUs saved in parallel, one thread each (default 1)" },
	{ "reps", 'r', "R", "Timed repetitions per method and direction and run (default 200)" },
	REGS_ARCH_OPTS{ NULL, 0, NULL, NULL },
};

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	int r;

	(void)ctx;
	switch (key) {
	case 'n':
		return cli_int_opt("--vcpus", arg, 1, WL_MAX_VCPUS, &env.nvcpus, err, len);
	case 'r':
		return cli_int_opt("--reps", arg, 5, 1000000, &env.reps, err, len);
	default:
		r = regs_arch_opt(key, arg, err, len);
		return r == CLI_UNHANDLED ? bench_opt(&env.o, key, arg, err, len) : r;
	}
}

static void bench_free(struct bench *b, bool keep_rs)
{
	for (int v = 0; v < env.nvcpus; v++)
		vbuf_free(&b->vb[v]);
	for (int m = 0; m < M_MAX; m++)
		for (int d = 0; d < D_MAX; d++)
			free(b->wall[m][d]);
	if (!keep_rs)
		regset_free(&b->rs);
	kvm_vm_close(&b->vm);
	free(b);
}

/*
 * Which methods: ONE_REG if it covers the registers, the legacy one where the architecture
 * has it, MANY_REGS by the contract's safe probe: the capability is KVM_MANY_REGS_MAX, and
 * only then a call with n = 0 on a vCPU, which must return 0.
 */
static void probe_methods(struct bench *b)
{
	struct kvm_many_regs zero = { .n = 0 };

	b->have[M_LEGACY] = regs_arch.legacy != NULL;
	b->have[M_ONE_REG] = regs_arch_one_reg(b);
	b->many_cap = ioctl(b->vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_MANY_REGS);
	b->many_zero = -1;
	if (b->many_cap == KVM_MANY_REGS_MAX) {
		b->many_zero = regs_ioctl(b->cnt, b->vm.v[0].fd, C_GET_MANY, &zero);
		if (b->many_zero < 0)
			b->many_zero = -errno;
	}
	b->have[M_MANY_REGS] = b->have[M_ONE_REG] && many_regs_usable(b->many_cap, b->many_zero);
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
	if (regs_arch_open(&b->vm, env.nvcpus, err, sizeof(err))) {
		err_msg("bench regs: %s", err);
		free(b);
		return -1;
	}
	probe_methods(b);
	if (run == 0) {
		memcpy(a->have, b->have, sizeof(a->have));
		a->many_cap = b->many_cap;
		a->many_zero = b->many_zero;
		a->vm_flags = b->vm.flags;
		if (add_metrics(a)) {
			err_msg("bench regs: out of memory");
			goto out;
		}
	} else if (memcmp(a->have, b->have, sizeof(a->have))) {
		err_msg("bench regs: run %d: the kernel's methods changed between runs", run + 1);
		goto out;
	}
	if (regs_arch_regset(b, err, sizeof(err)) || probe_regset(b, err, sizeof(err))) {
		err_msg("bench regs: %s", err);
		goto out;
	}
	if (b->have[M_MANY_REGS] && b->rs.n > KVM_MANY_REGS_MAX) {
		err_msg("bench regs: %d registers, more than KVM_MANY_REGS_MAX (%d)", b->rs.n,
			KVM_MANY_REGS_MAX);
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
			char name[48] = "?";

			if (b->vb[v].fail_reg >= 0)
				name_of(b, b->vb[v].fail_reg, name, sizeof(name));
			err_msg("bench regs: run %d: vCPU %d: a timed call failed (%s): %s",
				run + 1, v, name, strerror(b->vb[v].err));
			goto out;
		}
	}
	take_run(a, b, run);
	if (run == 0) {
		a->rs = b->rs;
		ret = 0;
		bench_free(b, true);
		return ret;
	}
	ret = 0;
out:
	bench_free(b, false);
	return ret;
}

int bench_regs(int argc, char **argv)
{
	static char doc[2048];
	static const struct cli cli = { .name = "pvtrace bench regs",
					.usage = "[OPTIONS]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt };
	struct regs_all *a = calloc(1, sizeof(*a));
	int ret;

	snprintf(doc, sizeof(doc),
		 "%s\nEvery method's values are checked against every other's before timing;\n"
		 "the timed repetitions interleave the methods. MANY_REGS is used only when\n"
		 "KVM_CHECK_EXTENSION(KVM_CAP_MANY_REGS) is %d and a call with n = 0\n"
		 "returns 0; otherwise it is reported as unsupported. Each run uses a fresh\n"
		 "VM. Metrics, one value per run: <method>.<get|set>.p50 (the median per\n"
		 "vCPU, ns) and, with both ONE_REG and MANY_REGS, ratio.get_one_over_many\n"
		 "and ratio.set_one_over_many, shown as Table 1 of the 2020 proposal beside\n"
		 "its Graviton2 figures (times on an emulated CPU are labelled so).\n\n"
		 "Examples:\n"
		 "  pvtrace bench regs\n"
		 "  pvtrace bench regs --vcpus 4 --reps 500 --runs 10\n"
		 "  pvtrace bench regs --label patched-6.12 --json -o regs.json",
		 regs_arch.doc, KVM_MANY_REGS_MAX);
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
	regset_free(&a->rs);
	bench_result_free(&a->r);
	free(a);
	return ret;
}
