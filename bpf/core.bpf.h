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

/* The empty histogram new series start from. */
static const struct hist zero_hist;

/* What series_find() did. */
enum series_how {
	SERIES_FOUND,	 /* the series was there (or another CPU just created it) */
	SERIES_NEW,	 /* created now: the caller notes who it belongs to */
	SERIES_MAP_FULL, /* hists is full (-E2BIG): the caller keeps the event elsewhere */
	SERIES_NOMEM,	 /* no memory for it in hists, and spill is full */
};

/*
 * The histogram of key in hists (a per-CPU hash without preallocation, max_entries its
 * bound) or spill (preallocated): found, or created. A map without preallocation refills
 * its allocator asynchronously, so a burst of new series can find no memory although the
 * map has room; those start in spill and stay there, and user space adds both maps'
 * counts. NULL when neither takes it (*how says why).
 */
static __always_inline struct hist *series_find(void *hists, void *spill, const void *key, int *how)
{
	struct hist *h = bpf_map_lookup_elem(hists, key);
	long err;

	*how = SERIES_FOUND;
	if (h)
		return h;
	h = bpf_map_lookup_elem(spill, key);
	if (h)
		return h;
	/* 0, or -EEXIST when another CPU created it first */
	err = bpf_map_update_elem(hists, key, &zero_hist, BPF_NOEXIST);
	if (err == -7 /* E2BIG */) {
		*how = SERIES_MAP_FULL;
		return NULL;
	}
	h = err && err != -17 /* EEXIST */ ? NULL : bpf_map_lookup_elem(hists, key);
	if (!h) {
		err = bpf_map_update_elem(spill, key, &zero_hist, BPF_NOEXIST);
		h = err && err != -17 ? NULL : bpf_map_lookup_elem(spill, key);
	}
	*how = !h ? SERIES_NOMEM : err ? SERIES_FOUND : SERIES_NEW;
	return h;
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
