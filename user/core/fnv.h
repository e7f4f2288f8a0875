/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * FNV-1a, 64 bits (Fowler, Noll, Vo; IETF draft-eastlake-fnv): a content
 * identity for texts such as a kernel configuration. Not cryptographic: it
 * tells versions apart, it does not resist someone forging a collision.
 */
#ifndef PVTRACE_FNV_H
#define PVTRACE_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A64_INIT  0xcbf29ce484222325ULL /* offset basis */
#define FNV1A64_PRIME 0x00000100000001b3ULL

/* Continue hash h (FNV1A64_INIT to start) over n bytes of p. */
uint64_t fnv1a64_update(uint64_t h, const void *p, size_t n);
static inline uint64_t fnv1a64(const void *p, size_t n)
{
	return fnv1a64_update(FNV1A64_INIT, p, n);
}

#endif
