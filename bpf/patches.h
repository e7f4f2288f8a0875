/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types shared by patches.bpf.c and user/patches.c: batched kernel memory reads. */
#ifndef PVTRACE_PATCHES_H
#define PVTRACE_PATCHES_H

#define PATCHES_BATCH  64  /* reads per program run */
#define PATCHES_MAXLEN 256 /* bytes per read (alt_instr lengths are u8) */

struct patches_req {
	__u64 addr; /* kernel virtual address */
	__u32 len;  /* 1..PATCHES_MAXLEN */
	__s32 err;  /* bpf_probe_read_kernel() result */
};

#endif
