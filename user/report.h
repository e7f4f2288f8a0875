/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Keyed histogram sets read from a per-CPU BPF hash, with exact interval deltas. */
#ifndef PVTRACE_REPORT_H
#define PVTRACE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include "histogram.h"

struct hist_series {
	void *key;		   /* key_size bytes */
	struct hist_data cum;	   /* cumulative since attach */
	struct hist_data prev;	   /* cumulative at the previous interval boundary */
	struct hist_data interval; /* this interval: cum - prev, with its min/max */
};

struct hist_set {
	size_t key_size;
	int ncpus;
	struct hist_series *s;
	size_t n, cap;
	void *values;				  /* ncpus per-CPU struct hist */
	int (*cmp)(const void *a, const void *b); /* order of keys for output */
};

int hist_set_init(struct hist_set *hs, size_t key_size, int (*cmp)(const void *, const void *));
void hist_set_free(struct hist_set *hs);
/*
 * Read every key of the per-CPU map 'map_fd'; min/max are those of interval
 * 'epoch' (the epoch the BPF side used until just before this call). Computes
 * each series' interval from the previous call, then sorts series by cmp.
 */
int hist_set_read(struct hist_set *hs, int map_fd, uint32_t epoch);
/* Make the current cumulative values the base of the next interval. */
void hist_set_next_interval(struct hist_set *hs);

/* Sum of a per-CPU u64 array map slot across CPUs. */
uint64_t percpu_u64_sum(int map_fd, uint32_t idx, int ncpus);

#endif
