// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel memory reads with bpf_probe_read_kernel, for user/core/kmem.c. User space fills
 * reqs[] and runs one of the two programs: read_kmem with BPF_PROG_TEST_RUN (never
 * attached to anything), or, where test runs are refused, the task iterator
 * read_kmem_iter by reading an iterator fd. One program is loaded, not both.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "kmem_req.h"

__u32 nreqs;
struct kmem_bpf_req reqs[KMEM_BATCH];
__u8 bufs[KMEM_BATCH][KMEM_MAXLEN];

static __always_inline void read_all(void)
{
	for (__u32 i = 0; i < KMEM_BATCH; i++) {
		__u32 len;

		if (i >= nreqs)
			break;
		len = reqs[i].len;
		if (len == 0 || len > KMEM_MAXLEN) {
			reqs[i].err = -22; /* EINVAL */
			continue;
		}
		reqs[i].err = bpf_probe_read_kernel(bufs[i], len, (void *)reqs[i].addr);
	}
}

SEC("raw_tp")
int read_kmem(void *ctx)
{
	read_all();
	return 0;
}

/* the reads happen once, at the end of the walk (task NULL) */
SEC("iter/task")
int read_kmem_iter(struct bpf_iter__task *ctx)
{
	if (!ctx->task)
		read_all();
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
