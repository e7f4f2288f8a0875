/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * latency --ioctl/--vhost internals shared by latency.c (run), vhost.c (the vhost
 * drivers) and latency_out.c (outputs).
 */
#ifndef PVTRACE_LAT_H
#define PVTRACE_LAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "latency.h"
#include "attach.h"
#include "btf_min.h"
#include "cli.h"
#include "procinfo.h"
#include "report.h"

#define LAT_SCHEMA "pvtrace.latency.ioctl/2"

struct lat_env {
	bool ioctl;	    /* vCPU ioctls */
	bool vhost;	    /* vhost ioctls */
	const char *device; /* --device NAME */
	pid_t pid;
	const char *comm;
	const char *vm;	    /* --vm NAME */
	const char *cgroup; /* --cgroup PATH */
	bool per_pid;
	bool per_vcpu;
	bool workload;
	uint32_t max_series;
	struct cli_common c;
};
extern struct lat_env lat_env;

struct lat_stats {
	uint64_t v[LAT_STAT_MAX];
};
extern const char *const lat_stat_names[LAT_STAT_MAX];

/* One series as the outputs show it. */
struct lat_view {
	const struct lat_key *k;
	const struct hist_data *cum, *interval;
	const struct proc_ident *p; /* NULL unless per-process */
	char vm[256];		    /* VM label */
	int vm_index;
	char thread[64]; /* vCPU thread name, per-vCPU only */
	char device[80]; /* a vhost ioctl's device ("vhost-net", "vhost-vdpa-0#1"), else "" */
	bool overflow;	 /* the per-command overflow series */
};

struct lat_report_data {
	struct lat_view *v;
	size_t n;
	struct lat_stats st;
	enum attach_mode mode;
	uint32_t series_used, series_max;
	uint64_t exited_series; /* series removed after their last report, so far */
};

struct latency_bpf;
struct lat_ctx {
	struct latency_bpf *skel;
	int cgroup_fd; /* --cgroup, -1 without */
	uint64_t vcpu_ioctl_addr;
	struct btf_min btf; /* minimal CO-RE BTF for kprobe/tracepoint modes */
	bool trace_vcpu, trace_vhost;
	struct {
		bool present;		   /* its ioctl function is in /proc/kallsyms */
		uint64_t addr;		   /* its address (0: hidden) */
		struct bpf_link *links[2]; /* kprobe mode: entry, return */
	} vhost[LAT_VHOST_KINDS];
};

/* attach_select() with latency's modes and lat_env's filters: ctx->skel loaded, attached. */
int lat_attach(struct lat_ctx *ctx, enum attach_mode want, enum attach_mode *used, char *why,
	       size_t len);
/* The links of mode m again (exit program first), and away; the object stays loaded. */
int lat_links_on(struct lat_ctx *ctx, enum attach_mode m);
void lat_links_off(struct lat_ctx *ctx);
/* The object, the minimal BTF, tracefs. */
void lat_ctx_release(struct lat_ctx *ctx);

/* vhost.c: the drivers in this kernel (0, or -1 with why: none, or kallsyms unreadable) */
int lat_vhost_find(struct lat_ctx *ctx, char *why, size_t len);
const char *lat_vhost_func(int kind);
const char *lat_vhost_module(int kind);
/* The first driver present, or -1. */
int lat_vhost_first(const struct lat_ctx *ctx);
/* The modules of the drivers present (or absent), space-separated. */
void lat_vhost_list(const struct lat_ctx *ctx, bool present, char *buf, size_t len);
void lat_vhost_autoload(const struct lat_ctx *ctx, struct latency_bpf *s, enum attach_mode m);
int lat_vhost_attach(struct lat_ctx *ctx, enum attach_mode m);
void lat_vhost_detach(struct lat_ctx *ctx);
/* A vhost series' device label: its name, "#N" for a process's N+1th of that device. */
void lat_vhost_label(struct proc_ident *p, const struct lat_key *k, char *buf, size_t len);

/* lat_workload.c: the built-in workload, in a child that starts when go_fd is written */
struct lat_child {
	pid_t pid;
	int go_fd;     /* write end: start signal */
	int result_fd; /* read end: wl_result */
};
struct wl_result;
int lat_workload_fork(struct lat_child *c, char *err, size_t len);
void lat_workload_stop(struct lat_child *c);
/* Traced counts (series and per-command overflow) against what it issued; prints a table. */
int lat_workload_check(const struct hist_set *hs, const struct hist_set *ov,
		       const struct wl_result *r);

void lat_print_text(const struct lat_report_data *d, const struct tick *t);
int lat_print_json(const struct lat_report_data *d, const struct tick *t);
void lat_fill_prom(struct prom_writer *w, const struct lat_report_data *d);

#endif
