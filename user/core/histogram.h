/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Log2 histograms in user space: merging, intervals, percentiles. */
#ifndef PVTRACE_HISTOGRAM_H
#define PVTRACE_HISTOGRAM_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "hist.h"

struct hist_data {
	uint64_t slots[HIST_SLOTS];
	uint64_t count; /* sum of slots */
	uint64_t sum;
	uint64_t min; /* valid when count > 0 */
	uint64_t max;
};

/* Lower (inclusive) and upper (exclusive) bound of slot i in ns; slot 63's bound saturates. */
uint64_t hist_slot_low(int i);
uint64_t hist_slot_high(int i);
int hist_slot_of(uint64_t v);

void hist_data_init(struct hist_data *h);
void hist_data_add(struct hist_data *h, uint64_t v); /* user-space insert (tests, workloads) */

/*
 * Fold ncpu per-CPU BPF values into a cumulative snapshot (slots, sum, count)
 * and the min/max of interval 'epoch'. min/max of the result are UINT64_MAX/0
 * when the interval saw no events.
 */
void hist_fold_percpu(struct hist_data *out, const struct hist *v, int ncpu, uint32_t epoch);

/* out = now - prev for slots, count and sum; min/max taken from now. */
void hist_delta(struct hist_data *out, const struct hist_data *now, const struct hist_data *prev);

/* Sum b into a (slots, count, sum, min, max). */
void hist_merge(struct hist_data *a, const struct hist_data *b);

/*
 * Percentile p in [0,100] in ns: the bucket holding rank ceil(p/100*count) is
 * found exactly; inside it the value is interpolated linearly (the k-th of n
 * values at (k - 0.5) / n of the bucket, narrowed to [min, max]); p100 is max.
 * Returns 0 for an empty histogram.
 */
double hist_percentile(const struct hist_data *h, double p);

#endif
