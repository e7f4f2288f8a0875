/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pvtrace vfio internals: vfio.c (options, attach, maps, the command), impls.c (the
 * drivers' request callbacks, found in BTF), output.c (events and reports).
 */
#ifndef PVTRACE_VFIO_INT_H
#define PVTRACE_VFIO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vfio.h"
#include "cli.h"
#include "output.h"
#include "report.h"

#define VFIO_SCHEMA "pvtrace.vfio/2"

struct vfio_env {
	bool events;
	const char *device;
	struct cli_common c;
};
extern struct vfio_env vfio_env;

/* ---- impls.c: .request implementations ---------------------------------------------- */

struct req_impl {
	char name[64];
	char module[64]; /* "vmlinux" when built in */
	enum vfio_req_kind kind;
};
extern struct req_impl vfio_impls[VFIO_REQ_SLOTS];
extern int vfio_nimpls;

/* Every vfio_device_ops.request implementation in kernel and module BTF: 0 or -1 (err). */
int vfio_find_impls(char *err, size_t len);
/* Without BTF to scan: the implementations kallsyms knows of (kprobe mode can use them). */
void vfio_impls_from_kallsyms(void);

/* ---- output.c: events and reports -------------------------------------------------- */

struct dev_row {
	struct vfio_key key;
	struct vfio_dev_stats cum;	/* since start */
	struct vfio_dev_stats interval; /* counters of this interval */
	const struct hist_series *h[VFIO_H_MAX];
	/* unregisters still blocked, and the oldest one's details */
	uint64_t in_progress;
	struct vfio_inflight oldest;
};

struct report {
	struct dev_row *rows;
	size_t n;
	struct dev_row *prev; /* counters at the previous report */
	size_t nprev;
	uint64_t drops[VFIO_STAT_MAX];
};
extern const char *const vfio_stat_names[VFIO_STAT_MAX];

struct vfio_ctx;
struct vfio_run {
	struct vfio_ctx *ctx;
	struct report *rep;
};

/* Terminate the strings BPF copied (device, driver, comm). */
void vfio_fix_strings(struct vfio_key *k, struct vfio_task *t);
/* ring buffer callback: one event, text or JSON */
int vfio_handle_event(void *ctx, void *data, size_t size);
/* report_ops parts; arg is a struct vfio_run */
void vfio_print_text(void *arg, const struct tick *t);
void vfio_print_json(void *arg, const struct tick *t);
void vfio_prom(struct prom_writer *w, void *arg);

#endif
