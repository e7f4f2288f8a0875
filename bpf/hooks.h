/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Types shared by the hooks capability's BPF objects and user/hooks/: steal time
 * (steal.bpf.c) and hook latency (hooklat.bpf.c). Targets are read by the core's
 * kernel memory reader (kmem).
 */
#ifndef PVTRACE_HOOKS_H
#define PVTRACE_HOOKS_H

#include "hist.h"

#define HOOKS_READ_SIZE 8   /* an x86 static call trampoline is 8 bytes */
#define HOOKS_MAX_CPUS	512 /* per-CPU steal slots; more CPUs are reported as missing */
#define HOOKS_DEPTH	8   /* nested calls of a traced target per CPU (interrupts) */

/* How the steal iterator finds each CPU's per-CPU data. */
enum hooks_percpu {
	HOOKS_PERCPU_KSYM = 1, /* bpf_per_cpu_ptr() on kernel_cpustat / steal_time ksyms */
	HOOKS_PERCPU_RUNQUEUE, /* per-CPU base from each CPU's runqueue address + BTF offsets */
};

/* steal_cpu.flags */
#define HOOKS_CPU_CPUSTAT (1u << 0) /* cpustat_steal valid */
#define HOOKS_CPU_KVM	  (1u << 1) /* kvm_steal, kvm_version valid */
#define HOOKS_CPU_BADRQ	  (1u << 2) /* runqueue of this CPU not found */

struct steal_cpu {
	__u64 cpustat_steal; /* kernel_cpustat.cpustat[CPUTIME_STEAL], ns */
	__u64 cpustat_user;  /* cpustat[CPUTIME_USER], ns: checked against /proc/stat */
	__u64 kvm_steal;     /* kvm_steal_time.steal (written by the hypervisor), ns */
	__u32 kvm_version;
	__u32 flags;
};

enum hooks_stat {
	HOOKS_STAT_DEPTH,     /* nesting deeper than HOOKS_DEPTH: call not timed */
	HOOKS_STAT_NO_ENTRY,  /* an exit without its entry (entry missed) */
	HOOKS_STAT_HIST_FULL, /* histogram slot missing */
	HOOKS_STAT_MAX,
};

struct hooks_stack {
	__u64 ts[HOOKS_DEPTH];
	__u32 depth;
	__u32 pad;
};

#ifndef __bpf__
#include <stddef.h>
#include <stdint.h>

/* Decoded x86 static call trampoline (8 bytes: one insn + the signature 0f b9 cc). */
enum tramp_kind {
	TRAMP_JMP,    /* e9 rel32: calls go to target */
	TRAMP_RET,    /* c3: NULL static call, returns (a jmp to a return thunk also means this) */
	TRAMP_JCC,    /* 0f 8x rel32: never expected in a trampoline */
	TRAMP_BROKEN, /* anything else */
};

struct tramp_insn {
	enum tramp_kind kind;
	uint64_t target; /* TRAMP_JMP/TRAMP_JCC: destination */
	int signature;	 /* 1 when bytes 5..7 are 0f b9 cc */
};

/* Decode len bytes read at addr. */
void hooks_decode_tramp(uint64_t addr, const uint8_t *b, size_t len, struct tramp_insn *out);
/* Steal rate over an interval: ns of steal per second of wall time, and percent. */
void hooks_steal_rate(uint64_t delta_ns, uint64_t interval_ns, unsigned int ncpus, double *ns_per_s,
		      double *pct);
#endif

#endif
