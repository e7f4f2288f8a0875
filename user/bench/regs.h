/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bench regs, between its core (bench_regs.c: methods, verification, timing, the
 * document) and an architecture (regs_x86.c: the MSRs, KVM_GET/SET_MSRS; regs_arm64.c:
 * KVM_GET_REG_LIST, SVE, PMU): the register set, the per-vCPU buffers and the hooks.
 */
#ifndef PVTRACE_BENCH_REGS_H
#define PVTRACE_BENCH_REGS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "bench.h"
#include "many_regs.h"
#include "regid.h"
#include "workload.h"

enum method { M_ONE_REG, M_MANY_REGS, M_LEGACY, M_MAX };
enum dir { D_GET, D_SET, D_MAX };

/* every vCPU ioctl the benchmark issues is counted, so tracers can be checked */
enum counted {
	C_GET_ONE,
	C_SET_ONE,
	C_GET_MANY,
	C_SET_MANY,
	C_GET_LEGACY, /* x86 KVM_GET_MSRS */
	C_SET_LEGACY, /* x86 KVM_SET_MSRS */
	C_REG_LIST,   /* arm64 KVM_GET_REG_LIST */
	C_MAX,
};

struct counted_ioctl {
	const char *name; /* NULL: not an ioctl of this architecture */
	unsigned long cmd;
};

struct regset {
	int listed;	     /* what the kernel listed (KVM_GET_REG_LIST n, MSR index list) */
	int n;		     /* registers saved (get) */
	uint64_t *id;	     /* ONE_REG ids */
	uint32_t *off, *len; /* each value's bytes in a vCPU's value buffer */
	size_t bytes;
	uint32_t *msr; /* x86: the MSR index of each */
	bool *moving;  /* changes by itself (counters, timers): not compared */
	int nmoving;
	int *refused; /* 0, or the errno of ONE_REG set writing back the value read */
	int nrefused;
	int *set; /* indices of the registers restored (set): all but the refused */
	int nset;
	int classes[RC_MAX];
};

/* per-vCPU buffers, so threads never share memory they write */
struct vbuf {
	int fd;
	uint8_t *vals, *want; /* values moved by the methods; the vCPU's own at start */
	struct kvm_one_reg *one_get, *one_set;
	struct kvm_many_regs *many_get, *many_set;
	__s32 *status;		  /* MANY_REGS per-entry errors */
	void *legacy;		  /* the architecture's bulk buffer (x86: struct kvm_msrs) */
	double *us[M_MAX][D_MAX]; /* per repetition */
	uint64_t cnt[C_MAX];	  /* ioctls issued */
	int err;		  /* errno of a failed timed call */
	int fail_reg;		  /* the register it failed on, or -1 */
};

struct bench {
	struct kvm_vm vm;
	uint64_t cnt[C_MAX]; /* ioctls issued outside the vCPU threads */
	struct regset rs;
	bool have[M_MAX];
	long many_cap, many_zero; /* the probe's answers; many_zero -1 when not asked */
	struct vbuf vb[WL_MAX_VCPUS];
	pthread_barrier_t bar;
	double *wall[M_MAX][D_MAX]; /* all vCPUs, per repetition */
};

struct regs_env {
	struct bench_opts o;
	int nvcpus;
	int reps;
	unsigned int features; /* KVM_VM_SVE, KVM_VM_PMU asked for (arm64) */
};
extern struct regs_env regs_env;

int regs_ioctl(uint64_t *cnt, int fd, enum counted c, void *arg);
/* Room for n registers of the given ids; sizes and offsets from the ids. 0 or -ENOMEM. */
int regset_alloc(struct regset *rs, int n);
void regset_add(struct regset *rs, uint64_t id);

/* The architecture (regs_x86.c, regs_arm64.c). */
struct regs_arch {
	const char *what;		   /* "MSRs", "registers" */
	const char *legacy, *legacy_title; /* NULL: no bulk method of its own */
	const char *doc;		   /* --help's description */
	const struct counted_ioctl *counted;
};
extern const struct regs_arch regs_arch;

/* Options of this architecture only; cli keys REGS_OPT_ARCH.. */
enum { REGS_OPT_ARCH = 0x7e00, REGS_OPT_ARCH2 };
#if defined(__aarch64__)
#define REGS_ARCH_OPTS                                                                  \
	{ "sve", REGS_OPT_ARCH, NULL, "vCPUs with SVE (finalized), if KVM offers it" }, \
		{ "pmu", REGS_OPT_ARCH2, NULL, "vCPUs with PMUv3, if KVM offers it" },
#else
#define REGS_ARCH_OPTS
#endif
int regs_arch_opt(int key, const char *arg, char *err, size_t len);

int regs_arch_open(struct kvm_vm *vm, int nvcpus, char *err, size_t len);
bool regs_arch_one_reg(struct bench *b); /* ONE_REG covers the registers */
/* The registers (rs.listed, regset_alloc/regset_add, x86: rs.msr). 0, or -1 and err. */
int regs_arch_regset(struct bench *b, char *err, size_t len);
int regs_arch_vbuf_init(struct bench *b, struct vbuf *v);
void regs_arch_vbuf_free(struct vbuf *v);
/* The bulk method, timed as it is: the values stay in its buffer. 0 or -errno. */
int regs_arch_legacy(struct bench *b, struct vbuf *v, enum dir d);
/* Its buffer from v->vals (before a set) or into v->vals (after a get). */
void regs_arch_legacy_sync(struct bench *b, struct vbuf *v, enum dir d);
/* A value safe to write in place of register i's (round 1, 2, ...): true if changed. */
bool regs_arch_perturb(struct bench *b, int i, uint8_t *val, int round);
/* What the architecture adds to details (vCPU features). */
void regs_arch_details(const struct kvm_vm *vm, json_object *details);

#endif
