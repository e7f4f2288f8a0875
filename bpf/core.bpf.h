/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Helpers shared by pvtrace's BPF programs. Include after vmlinux.h. */
#ifndef PVTRACE_CORE_BPF_H
#define PVTRACE_CORE_BPF_H

#include <bpf/bpf_helpers.h>
#include "hist.h"

#define U64_MAX_VAL (~0ULL)

/* Add value v to a per-CPU histogram; epoch is the current report interval. */
static __always_inline void hist_add(struct hist *h, __u64 v, __u32 epoch)
{
	__u32 slot = log2_u64(v);

	/* hide the range from clang so the mask stays for older verifiers (6.1) */
	barrier_var(slot);
	slot &= HIST_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->sum, v);
	if (h->epoch != epoch) {
		h->prev_min = h->min;
		h->prev_max = h->max;
		h->prev_epoch = h->epoch;
		h->min = U64_MAX_VAL;
		h->max = 0;
		h->epoch = epoch;
	}
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/*
 * The value at key in a hash map, created from init when absent. Two CPUs
 * creating the same key race harmlessly: one insert wins (BPF_NOEXIST), both
 * look up that one value. NULL when the map is full or out of memory.
 */
static __always_inline void *map_lookup_or_init(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/* Per-CPU stat counters: one array slot per counter. */
#define DEFINE_STATS(name, n)                            \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, n);                  \
		__type(key, __u32);                      \
		__type(value, __u64);                    \
	} name SEC(".maps")

static __always_inline void stat_inc(void *map, __u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(map, &idx);

	if (c)
		__sync_fetch_and_add(c, 1);
}

#endif
