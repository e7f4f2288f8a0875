// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Paravirt hooks: read static call targets (trampoline text, static_call_key.func)
 * from kernel memory on demand: a task iterator, run by reading its fd, does the
 * reads at the end of the walk. The only BPF object `pvtrace hooks` lists and
 * watches with (user/hooks/reader.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "hooks.h"

__u32 nreads;
struct hooks_read reads[HOOKS_MAX_READS];

SEC("iter/task")
int read_mem(struct bpf_iter__task *ctx)
{
	__u64 func_off = bpf_core_field_offset(struct static_call_key, func);

	if (ctx->task)
		return 0;
	for (__u32 i = 0; i < HOOKS_MAX_READS && i < nreads; i++) {
		struct hooks_read *r = &reads[i];

		if (r->kind == HOOKS_READ_KEY)
			r->err = bpf_probe_read_kernel(r->bytes, sizeof(__u64),
						       (void *)(r->addr + func_off));
		else
			r->err = bpf_probe_read_kernel(r->bytes, HOOKS_READ_SIZE, (void *)r->addr);
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
