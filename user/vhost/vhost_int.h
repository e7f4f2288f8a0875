/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pvtrace vhost internals shared by vhost.c (run) and vhost_out.c (outputs). */
#ifndef PVTRACE_VHOST_INT_H
#define PVTRACE_VHOST_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "vhost.h"
#include "attach.h"
#include "cli.h"
#include "procinfo.h"
#include "report.h"

#define VHOST_SCHEMA "pvtrace.vhost/1"

struct vhost_env {
	pid_t pid;
	const char *device; /* --device NAME */
	const char *vm;	    /* --vm NAME */
	bool hist;	    /* --hist: text histograms of kick to call */
	uint32_t max_vqs;
	struct cli_common c;
};
extern struct vhost_env vhost_env;

extern const char *const vhost_stat_names[VHOST_STAT_MAX];

/* One virtqueue as the outputs show it. */
struct vhost_vq_view {
	struct vhost_vq_key k;
	struct vhost_vq_info info;
	struct vhost_vq_stats tot, ival; /* since start, this interval */
	/* by enum vhost_hist (kick to call, kick relay, call relay); NULL: none yet */
	const struct hist_data *cum[VHOST_H_MAX], *interval[VHOST_H_MAX];
	const struct proc_ident *p; /* NULL: owner not seen yet */
	char device[80];	    /* "vhost-vdpa-0", "vhost-net#1" */
	char vm[256];
	const char *kind; /* net, vdpa, vsock, scsi, other */
	const char *role; /* rx, tx, ctl, evt, or "" */
	char handler[64]; /* the kick handler's symbol */
};

struct vhost_report_data {
	struct vhost_vq_view *v; /* sorted: device, vq */
	size_t n;
	uint64_t st[VHOST_STAT_MAX];
	enum attach_mode mode;
	uint64_t span_ns; /* what the interval counts cover */
	uint32_t vqs_used, vqs_max;
	bool relay; /* the relay's hooks are attached (KVM's ioeventfd and irqfd) */
};

void vhost_stats_add(struct vhost_vq_stats *sum, const struct vhost_vq_stats *x);
struct vhost_vq_stats vhost_stats_delta(const struct vhost_vq_stats *now,
					const struct vhost_vq_stats *prev);
void vhost_print_text(const struct vhost_report_data *d, const struct tick *t);
int vhost_print_json(const struct vhost_report_data *d, const struct tick *t);
void vhost_fill_prom(struct prom_writer *w, const struct vhost_report_data *d);

#endif
