// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include <string.h>
#include "histogram.h"

uint64_t hist_slot_low(int i)
{
	return i == 0 ? 0 : 1ULL << i;
}

uint64_t hist_slot_high(int i)
{
	return i >= HIST_SLOTS - 1 ? UINT64_MAX : 1ULL << (i + 1);
}

int hist_slot_of(uint64_t v)
{
	return v ? 63 - __builtin_clzll(v) : 0;
}

void hist_data_init(struct hist_data *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_data_add(struct hist_data *h, uint64_t v)
{
	h->slots[hist_slot_of(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void hist_fold_percpu(struct hist_data *out, const struct hist *v, int ncpu, uint32_t epoch)
{
	hist_data_init(out);
	for (int c = 0; c < ncpu; c++) {
		const struct hist *h = &v[c];
		uint64_t mn = UINT64_MAX, mx = 0;

		for (int i = 0; i < HIST_SLOTS; i++)
			out->slots[i] += h->slots[i];
		out->sum += h->sum;
		if (h->epoch == epoch) {
			mn = h->min;
			mx = h->max;
		} else if (h->prev_epoch == epoch) {
			mn = h->prev_min;
			mx = h->prev_max;
		}
		if (mn < out->min)
			out->min = mn;
		if (mx > out->max)
			out->max = mx;
	}
	for (int i = 0; i < HIST_SLOTS; i++)
		out->count += out->slots[i];
}

void hist_delta(struct hist_data *out, const struct hist_data *now, const struct hist_data *prev)
{
	out->count = 0;
	for (int i = 0; i < HIST_SLOTS; i++) {
		out->slots[i] = now->slots[i] - prev->slots[i];
		out->count += out->slots[i];
	}
	out->sum = now->sum - prev->sum;
	out->min = now->min;
	out->max = now->max;
}

void hist_merge(struct hist_data *a, const struct hist_data *b)
{
	for (int i = 0; i < HIST_SLOTS; i++)
		a->slots[i] += b->slots[i];
	a->count += b->count;
	a->sum += b->sum;
	if (b->count) {
		if (b->min < a->min)
			a->min = b->min;
		if (b->max > a->max)
			a->max = b->max;
	}
}

double hist_percentile(const struct hist_data *h, double p)
{
	uint64_t rank, seen = 0;
	double lo, hi;
	int i;

	if (!h->count)
		return 0;
	if (p <= 0)
		return h->min <= h->max ? (double)h->min : (double)hist_slot_low(0);
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank < 1)
		rank = 1;
	if (rank >= h->count && h->min <= h->max)
		return (double)h->max;
	if (rank > h->count)
		rank = h->count;
	for (i = 0; i < HIST_SLOTS; i++) {
		if (seen + h->slots[i] >= rank)
			break;
		seen += h->slots[i];
	}
	if (i == HIST_SLOTS)
		i = HIST_SLOTS - 1;
	lo = (double)hist_slot_low(i);
	hi = (double)hist_slot_high(i);
	/* min/max narrow the bucket when they fall inside it */
	if (h->min <= h->max) {
		if ((double)h->min > lo && (double)h->min < hi)
			lo = (double)h->min;
		if ((double)h->max >= lo && (double)h->max < hi)
			hi = (double)h->max;
	}
	/* the k-th of n values in the bucket sits at the middle of its share */
	return lo + (hi - lo) * ((double)(rank - seen) - 0.5) / (double)h->slots[i];
}
