// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "fnv.h"

uint64_t fnv1a64_update(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	/* FNV-1a: xor the byte in first, then multiply */
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= FNV1A64_PRIME;
	}
	return h;
}
