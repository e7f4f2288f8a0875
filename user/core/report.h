/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Keyed histogram sets read from a per-CPU BPF hash, with exact interval deltas. */
#ifndef PVTRACE_REPORT_H
#define PVTRACE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "cli.h"
#include "histogram.h"
#include "output.h"
#include "textfile.h"

struct hist_series {
	void *key;		   /* key_size bytes */
	struct hist_data cum;	   /* cumulative since attach */
	struct hist_data prev;	   /* cumulative at the previous interval boundary */
	struct hist_data interval; /* this interval: cum - prev, with its min/max */
	uint64_t read_gen;	   /* the read that last found this key */
};

struct hist_set {
	size_t key_size;
	int ncpus;
	struct hist_series *s;
	size_t n, cap;
	void *values;				  /* ncpus per-CPU struct hist */
	int (*cmp)(const void *a, const void *b); /* order of keys for output */
	uint64_t read_gen;
};

int hist_set_init(struct hist_set *hs, size_t key_size, int (*cmp)(const void *, const void *));
void hist_set_free(struct hist_set *hs);
/*
 * Read every key of the per-CPU map 'map_fd'; min/max are those of interval
 * 'epoch' (the epoch the BPF side used until just before this call). Computes
 * each series' interval from the previous call, then sorts series by cmp.
 */
int hist_set_read(struct hist_set *hs, int map_fd, uint32_t epoch);
/* The same over several maps with one key type: a key's values in all of them are added. */
int hist_set_read_maps(struct hist_set *hs, const int *map_fds, int nmaps, uint32_t epoch);
/* Drop every series for which gone(key, ctx) is true (after their last report). */
size_t hist_set_remove_if(struct hist_set *hs, bool (*gone)(const void *key, void *ctx), void *ctx);
/* Make the current cumulative values the base of the next interval. */
void hist_set_next_interval(struct hist_set *hs);

/* One report of a command's loop. */
struct tick {
	uint64_t index;	  /* 1, 2, ... */
	uint64_t span_ns; /* time the report covers */
	uint32_t epoch;	  /* BPF epoch being closed: pass it to hist_set_read() */
	bool interval;	  /* INTERVAL given: the report covers one interval */
	bool final;	  /* the last report */
};

/* Close tick->epoch on the BPF side (its .data epoch) before reading the maps. */
static inline void tick_close_epoch(uint32_t *bpf_epoch, const struct tick *t)
{
	__atomic_store_n(bpf_epoch, t->epoch + 1, __ATOMIC_SEQ_CST);
}

/*
 * Wait up to timeout_ms for the command's own input (events, a workload's end);
 * return <0 on error, 1 to finish, 0 to go on. Signals end the wait early.
 */
typedef int (*loop_wait_fn)(void *ctx, int timeout_ms);
/* Produce one report; nonzero stops the loop with a runtime error. */
typedef int (*loop_report_fn)(void *ctx, const struct tick *t);

/*
 * The reporting loop every command shares: a report each INTERVAL (or
 * default_interval_ns when the command polls without one), and a final one at
 * SIGINT/SIGTERM/SIGHUP, after -d, after COUNT reports or when wait() says so.
 * wait may be NULL (sleep). Returns 0 or EXIT_RUNTIME.
 */
int report_loop(const struct cli_common *c, uint64_t default_interval_ns, loop_wait_fn wait,
		loop_report_fn report, void *ctx);

/*
 * One command's report, in the order report_run() calls its parts at each tick:
 * read (close the BPF epoch, read and fold the maps), then on interval and final
 * ticks json or text to stdout, the stdout check (a closed pipe ends the loop),
 * the --prom textfile (prom, when not NULL), and next (this report becomes the
 * base of the next interval; NULL when there is nothing to carry over).
 */
struct report_ops {
	int (*read)(void *ctx, const struct tick *t); /* 0, or -1 after err_msg() */
	void (*text)(void *ctx, const struct tick *t);
	void (*json)(void *ctx, const struct tick *t);
	textfile_fill_fn prom;
	void (*next)(void *ctx, const struct tick *t);
	loop_wait_fn wait; /* NULL: sleep between reports */
};

/*
 * report_loop() over ops: reports each INTERVAL, or each default_interval_ns
 * without one (0: only the final report), and a final one. 0 or EXIT_RUNTIME.
 */
int report_run(struct cli_common *c, uint64_t default_interval_ns, const struct report_ops *ops,
	       void *ctx);

/*
 * The JSON document of one report: schema, kind (NULL: "report"), kernel, mode
 * (when not NULL), unit "ns", interval_index, interval_ns, cumulative, final.
 */
json_object *json_report_new(const char *schema, const char *kind, const struct tick *t,
			     const char *mode);

/* Sum of a per-CPU u64 array map slot across CPUs. */
uint64_t percpu_u64_sum(int map_fd, uint32_t idx, int ncpus);

#endif
