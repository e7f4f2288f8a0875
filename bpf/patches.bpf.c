// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace patches --live: read kernel memory exactly with bpf_probe_read_kernel.
 * User space fills reqs[] and runs the program with BPF_PROG_TEST_RUN; it is never
 * attached to anything.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "patches.h"

__u32 nreqs;
struct patches_req reqs[PATCHES_BATCH];
__u8 bufs[PATCHES_BATCH][PATCHES_MAXLEN];

SEC("raw_tp")
int read_kmem(void *ctx)
{
	for (__u32 i = 0; i < PATCHES_BATCH; i++) {
		__u32 len;

		if (i >= nreqs)
			break;
		len = reqs[i].len;
		if (len == 0 || len > PATCHES_MAXLEN) {
			reqs[i].err = -22; /* EINVAL */
			continue;
		}
		reqs[i].err = bpf_probe_read_kernel(bufs[i], len, (void *)reqs[i].addr);
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
