/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pvtrace exits internals shared by exits.c (run) and exits_out.c (outputs). */
#ifndef PVTRACE_EXITS_INT_H
#define PVTRACE_EXITS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "exits.h"
#include "attach.h"
#include "cli.h"
#include "procinfo.h"
#include "report.h"

#define EXITS_SCHEMA "pvtrace.exits/1"

struct exits_env {
	pid_t pid;
	const char *vm; /* --vm NAME */
	bool per_vcpu;
	bool hist;    /* --hist: text histograms, not only the table */
	uint32_t top; /* --top N ports/addresses */
	uint32_t max_series;
	uint32_t max_addrs;
	struct cli_common c;
};
extern struct exits_env exits_env;

extern const char *const exits_stat_names[EXITS_STAT_MAX];

/* One series as the outputs show it. */
struct exits_view {
	const struct exits_key *k; /* for the overflow series: kind, isa, reason only */
	const struct hist_data *cum, *interval;
	const struct proc_ident *p; /* NULL for the overflow series */
	char vm[256];
	int vm_index;
	char thread[64]; /* per-vCPU only */
	bool overflow;
	/* EXITS_RUN only: the time in user space after these returns (EXITS_USER), or NULL */
	const struct hist_data *user_cum, *user_interval;
};

/* One port or MMIO address, for the report's interval. */
struct exits_addr_view {
	struct exits_addr_key k;
	struct exits_addr_val cum, interval;
	const struct proc_ident *p;
	char vm[256];
};

struct exits_report_data {
	struct exits_view *v; /* sorted: VM, vCPU, kind, reason */
	size_t n;
	struct exits_addr_view *a; /* by exits in the report, descending; --top of them shown */
	size_t na;
	uint64_t st[EXITS_STAT_MAX];
	enum attach_mode mode;
	uint32_t series_used, series_max;
	uint64_t exited_series;
	bool hw_supported; /* this architecture's hardware exits are decoded */
};

void exits_print_text(const struct exits_report_data *d, const struct tick *t);
int exits_print_json(const struct exits_report_data *d, const struct tick *t);
void exits_fill_prom(struct prom_writer *w, const struct exits_report_data *d);

/* the reason's uapi name into buf (returned) */
const char *exits_reason_name(const struct exits_key *k, char *buf, size_t len);

#endif
