/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel memory reader: N requests of (address, length) per call, each with its own
 * result. Backends, tried in the order the caller gives:
 *   KMEM_TEST_RUN  bpf_probe_read_kernel in a raw_tp program run with BPF_PROG_TEST_RUN
 *   KMEM_ITER      the same in a task iterator, run by reading its fd (kernels that
 *                  refuse test runs of raw_tp programs)
 *   KMEM_KCORE     pread() of /proc/kcore's PT_LOAD segments
 * Open while privileged (loading BPF, opening /proc/kcore); the reads themselves need
 * no capability afterwards, so a command may drop its capabilities in between.
 * Nothing is pinned: kmem_close() or the process's exit unloads everything.
 */
#ifndef PVTRACE_CORE_KMEM_H
#define PVTRACE_CORE_KMEM_H

#include <stddef.h>
#include <stdint.h>

#define KMEM_MAX_LEN   256 /* bytes per request */
#define KMEM_RUN_BATCH 64  /* requests per BPF program run; kmem_read() takes any number */

enum kmem_method {
	KMEM_NONE,
	KMEM_TEST_RUN,
	KMEM_ITER,
	KMEM_KCORE,
};

struct kmem_req {
	uint64_t addr; /* kernel virtual address */
	uint32_t len;  /* 1..KMEM_MAX_LEN */
	int err;       /* out: 0, or -errno (bpf_probe_read_kernel's; -EFAULT outside
			* /proc/kcore's segments) */
	void *buf;     /* len bytes, written when err is 0 */
};

struct kmem_seg;
struct kmem_bpf;
struct bpf_link;

struct kmem {
	enum kmem_method method;
	int fd; /* /proc/kcore, -1 */
	struct kmem_seg *segs;
	size_t nsegs;
	struct kmem_bpf *skel;
	struct bpf_link *link; /* KMEM_ITER */
	uint64_t reads, failed;
};

/* The order kmem_open() tries with order NULL: test run, iterator, /proc/kcore. */
extern const enum kmem_method kmem_default_order[3];

/*
 * Open the first backend of order[0..n) that works; order NULL: kmem_default_order.
 * A missing /proc/kcore is skipped silently unless it is the only choice; without
 * root or CAP_BPF + CAP_PERFMON the BPF backends are skipped with that reason. 0, or
 * -1 with every tried backend's reason in err ("A; B").
 */
int kmem_open(struct kmem *m, const enum kmem_method *order, size_t n, char *err, size_t len);
void kmem_close(struct kmem *m);

/*
 * Read every request (any number: KMEM_RUN_BATCH per program run). 0 with each
 * q[i].err set, or -errno when the batch as a whole failed (a length out of range:
 * -EINVAL, nothing read; the program run refused: every q[i].err is that error).
 */
int kmem_read(struct kmem *m, struct kmem_req *q, size_t n);
/* One read: 0 or -errno. */
int kmem_read1(struct kmem *m, uint64_t addr, void *buf, uint32_t len);
/* A 64-bit value (a pointer, static_call_key.func at key + its BTF offset): 0 or -errno. */
int kmem_read_u64(struct kmem *m, uint64_t addr, uint64_t *val);

/*
 * Run an iterator link once: read its fd to the end (task iterators that do
 * their work at the end of the walk). 0 or -errno. Also for other iterators.
 */
int bpf_iter_run(struct bpf_link *link);

/* "/proc/kcore", "bpf_probe_read_kernel (BPF program run with BPF_PROG_TEST_RUN)"... */
const char *kmem_method_name(enum kmem_method method);
/* For JSON: "kcore" or "bpf" (both BPF backends). */
const char *kmem_method_id(enum kmem_method method);

#endif
