/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * latency --ioctl's tracing of KVM vCPU ioctls, of this process only, for
 * measuring pvtrace's own cost (bench overhead). The BPF object is loaded
 * once, the same way `pvtrace latency --ioctl` picks its attach mode; its
 * links then come and go, so that the same process alternates between
 * traced and untraced blocks.
 */
#ifndef PVTRACE_LATENCY_SELF_H
#define PVTRACE_LATENCY_SELF_H

#include <stdint.h>
#include "attach.h"

struct lat_self;

/*
 * Load and attach (mode want, or the best for ATTACH_AUTO), then detach: ready for
 * lat_self_on(). 0 with *out and *used, or -1 with a one-line reason in err.
 */
int lat_self_open(enum attach_mode want, struct lat_self **out, enum attach_mode *used, char *err,
		  size_t len);
int lat_self_on(struct lat_self *s); /* attach: 0 or -errno */
void lat_self_off(struct lat_self *s);
/* vCPU ioctls of command cmd recorded so far (all CPUs, every map). */
uint64_t lat_self_count(struct lat_self *s, uint32_t cmd);
/* ioctls the tracer could not record or time (its stats); 0 when everything was. */
uint64_t lat_self_lost(struct lat_self *s);
void lat_self_close(struct lat_self *s);

#endif
