/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types shared by kmem.bpf.c and user/core/kmem.c: batched kernel memory reads. */
#ifndef PVTRACE_KMEM_REQ_H
#define PVTRACE_KMEM_REQ_H

#define KMEM_BATCH  64	/* reads per program run */
#define KMEM_MAXLEN 256 /* bytes per read (alt_instr lengths are u8) */

struct kmem_bpf_req {
	__u64 addr; /* kernel virtual address */
	__u32 len;  /* 1..KMEM_MAXLEN */
	__s32 err;  /* bpf_probe_read_kernel() result */
};

#endif
