// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* latency --ioctl's tracing of this process only, switched on and off (latency/self.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lat.h"
#include "latency.skel.h"
#include "latency/self.h"
#include "report.h"
#include "util.h"

struct lat_self {
	struct lat_ctx ctx;
	enum attach_mode mode;
	bool on;
	int ncpus;
	struct hist *values; /* one per possible CPU */
};

int lat_self_open(enum attach_mode want, struct lat_self **out, enum attach_mode *used, char *err,
		  size_t len)
{
	struct lat_self *s = calloc(1, sizeof(*s));
	char why[1024];

	if (!s) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	s->ctx.btf.fd = -1;
	s->ctx.cgroup_fd = -1;
	s->ctx.trace_vcpu = true;
	if (env_check(ENV_TRACING | ENV_BTF | ENV_KVM, why, sizeof(why))) {
		snprintf(err, len, "%s", why);
		free(s);
		return -1;
	}
	s->ncpus = libbpf_num_possible_cpus();
	s->values = s->ncpus > 0 ? calloc(s->ncpus, sizeof(*s->values)) : NULL;
	if (!s->values) {
		snprintf(err, len, "cannot size per-CPU values");
		free(s);
		return -1;
	}
	libbpf_setup_logging();
	/* only this process, per command: latency --ioctl -p $$ */
	lat_env.pid = getpid();
	lat_env.per_pid = lat_env.per_vcpu = false;
	if (lat_attach(&s->ctx, want, &s->mode, why, sizeof(why))) {
		if (want != ATTACH_AUTO)
			snprintf(err, len, "mode %s is not available here: %s",
				 attach_mode_name(want), why);
		else
			snprintf(err, len, "cannot attach to KVM vCPU ioctls: %s", why);
		lat_ctx_release(&s->ctx);
		free(s->values);
		free(s);
		return -1;
	}
	lat_links_off(&s->ctx);
	*used = s->mode;
	*out = s;
	return 0;
}

int lat_self_on(struct lat_self *s)
{
	int err;

	if (s->on)
		return 0;
	err = lat_links_on(&s->ctx, s->mode);
	if (err) {
		lat_links_off(&s->ctx);
		return err;
	}
	s->on = true;
	return 0;
}

void lat_self_off(struct lat_self *s)
{
	if (s->on)
		lat_links_off(&s->ctx);
	s->on = false;
}

/* The count of every series of map fd whose command (the key's first u32) is cmd. */
static uint64_t map_count(struct lat_self *s, int fd, size_t keysz, uint32_t cmd)
{
	unsigned char key[64], next[64];
	void *prev = NULL;
	uint64_t n = 0;

	if (keysz > sizeof(key))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		uint32_t kcmd;

		memcpy(key, next, keysz);
		prev = key;
		memcpy(&kcmd, key, sizeof(kcmd));
		if (kcmd != cmd || bpf_map_lookup_elem(fd, key, s->values))
			continue;
		for (int c = 0; c < s->ncpus; c++)
			for (int i = 0; i < HIST_SLOTS; i++)
				n += s->values[c].slots[i];
	}
	return n;
}

uint64_t lat_self_count(struct lat_self *s, uint32_t cmd)
{
	struct latency_bpf *k = s->ctx.skel;

	return map_count(s, bpf_map__fd(k->maps.hists), sizeof(struct lat_key), cmd) +
	       map_count(s, bpf_map__fd(k->maps.spill), sizeof(struct lat_key), cmd) +
	       map_count(s, bpf_map__fd(k->maps.overflow), sizeof(uint32_t), cmd);
}

uint64_t lat_self_lost(struct lat_self *s)
{
	uint64_t n = 0;

	/* overflow and nomem are recorded (per command); the rest is not */
	for (int i = 0; i < LAT_STAT_MAX; i++)
		if (i != LAT_STAT_OVERFLOW && i != LAT_STAT_NOMEM)
			n += percpu_u64_sum(bpf_map__fd(s->ctx.skel->maps.stats), i, s->ncpus);
	return n;
}

void lat_self_close(struct lat_self *s)
{
	if (!s)
		return;
	lat_self_off(s);
	lat_ctx_release(&s->ctx);
	free(s->values);
	free(s);
}
