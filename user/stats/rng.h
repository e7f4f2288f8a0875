/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A seeded, deterministic pseudo-random generator for the statistics (bootstrap,
 * permutation tests): xoshiro256** (Blackman & Vigna) seeded through splitmix64, so
 * that the same seed gives the same stream on every machine and every run.
 */
#ifndef PVTRACE_STATS_RNG_H
#define PVTRACE_STATS_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double rng_double(struct rng *r);
/* Fisher-Yates shuffle of x[0..n). */
void rng_shuffle(struct rng *r, double *x, size_t n);
/* FNV-1a 64 of a string: a seed from a name (a metric's), reproducible. */
uint64_t rng_seed_from_name(const char *name);

#endif
