/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Log2 latency histogram shared by BPF programs and user space. */
#ifndef PVTRACE_HIST_H
#define PVTRACE_HIST_H

#define HIST_SLOTS 64 /* slot i holds values in [2^i, 2^(i+1)); slot 0 also holds 0 */

/*
 * One per-CPU histogram. slots[] and sum only grow, so user space computes
 * intervals as differences of snapshots and never writes to a live map.
 * min/max belong to interval 'epoch'; when the first event of a newer epoch
 * arrives, they move to prev_min/prev_max (valid for prev_epoch).
 */
struct hist {
	__u64 slots[HIST_SLOTS];
	__u64 sum;
	__u64 min;
	__u64 max;
	__u64 prev_min;
	__u64 prev_max;
	__u32 epoch;
	__u32 prev_epoch;
};

/* floor(log2(v)), 0 for 0; branch-free for the BPF verifier */
static inline __attribute__((always_inline)) __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

#endif
