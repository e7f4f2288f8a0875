// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "report.h"
#include "util.h"

int hist_set_init(struct hist_set *hs, size_t key_size, int (*cmp)(const void *, const void *))
{
	memset(hs, 0, sizeof(*hs));
	hs->key_size = key_size;
	hs->cmp = cmp;
	hs->ncpus = libbpf_num_possible_cpus();
	if (hs->ncpus <= 0)
		return -EINVAL;
	hs->values = calloc(hs->ncpus, sizeof(struct hist));
	return hs->values ? 0 : -ENOMEM;
}

void hist_set_free(struct hist_set *hs)
{
	for (size_t i = 0; i < hs->n; i++)
		free(hs->s[i].key);
	free(hs->s);
	free(hs->values);
	memset(hs, 0, sizeof(*hs));
}

static struct hist_series *find_or_add(struct hist_set *hs, const void *key)
{
	struct hist_series *s;

	for (size_t i = 0; i < hs->n; i++)
		if (!memcmp(hs->s[i].key, key, hs->key_size))
			return &hs->s[i];
	if (hs->n == hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 64;

		s = realloc(hs->s, cap * sizeof(*s));
		if (!s)
			return NULL;
		hs->s = s;
		hs->cap = cap;
	}
	s = &hs->s[hs->n];
	memset(s, 0, sizeof(*s));
	s->key = malloc(hs->key_size);
	if (!s->key)
		return NULL;
	memcpy(s->key, key, hs->key_size);
	hist_data_init(&s->prev);
	hs->n++;
	return s;
}

static int series_cmp(const void *a, const void *b, void *arg)
{
	const struct hist_series *x = a, *y = b;
	const struct hist_set *hs = arg;

	return hs->cmp(x->key, y->key);
}

/* a += b for one read's snapshot: slots, sum, count, and the interval's min/max */
static void snapshot_add(struct hist_data *a, const struct hist_data *b)
{
	for (int i = 0; i < HIST_SLOTS; i++)
		a->slots[i] += b->slots[i];
	a->count += b->count;
	a->sum += b->sum;
	if (b->min < a->min)
		a->min = b->min;
	if (b->max > a->max)
		a->max = b->max;
}

int hist_set_read_maps(struct hist_set *hs, const int *map_fds, int nmaps, uint32_t epoch)
{
	char key[256], next[256];

	if (hs->key_size > sizeof(key))
		return -EINVAL;
	hs->read_gen++;
	for (int m = 0; m < nmaps; m++) {
		void *prev = NULL;

		while (!bpf_map_get_next_key(map_fds[m], prev, next)) {
			struct hist_series *s;
			struct hist_data one;

			memcpy(key, next, hs->key_size);
			prev = key;
			if (bpf_map_lookup_elem(map_fds[m], key, hs->values))
				continue;
			s = find_or_add(hs, key);
			if (!s)
				return -ENOMEM;
			hist_fold_percpu(&one, hs->values, hs->ncpus, epoch);
			if (s->read_gen == hs->read_gen)
				snapshot_add(&s->cum, &one);
			else
				s->cum = one;
			s->read_gen = hs->read_gen;
		}
	}
	for (size_t i = 0; i < hs->n; i++) {
		struct hist_series *s = &hs->s[i];

		if (s->read_gen != hs->read_gen) {
			/* not in any map this time: nothing new */
			s->cum = s->prev;
			memset(&s->interval, 0, sizeof(s->interval));
			s->interval.min = UINT64_MAX;
			continue;
		}
		hist_delta(&s->interval, &s->cum, &s->prev);
		if (!s->interval.count) {
			s->interval.min = UINT64_MAX;
			s->interval.max = 0;
		}
	}
	if (hs->cmp && hs->n > 1)
		qsort_r(hs->s, hs->n, sizeof(*hs->s), series_cmp, hs);
	return 0;
}

int hist_set_read(struct hist_set *hs, int map_fd, uint32_t epoch)
{
	return hist_set_read_maps(hs, &map_fd, 1, epoch);
}

size_t hist_set_remove_if(struct hist_set *hs, bool (*gone)(const void *key, void *ctx), void *ctx)
{
	size_t o = 0, removed;

	for (size_t i = 0; i < hs->n; i++) {
		if (gone(hs->s[i].key, ctx)) {
			free(hs->s[i].key);
			continue;
		}
		hs->s[o++] = hs->s[i];
	}
	removed = hs->n - o;
	hs->n = o;
	return removed;
}

void hist_set_next_interval(struct hist_set *hs)
{
	for (size_t i = 0; i < hs->n; i++)
		hs->s[i].prev = hs->s[i].cum;
}

uint64_t percpu_u64_sum(int map_fd, uint32_t idx, int ncpus)
{
	uint64_t *v = calloc(ncpus, sizeof(*v)), sum = 0;

	if (!v)
		return 0;
	if (!bpf_map_lookup_elem(map_fd, &idx, v))
		for (int i = 0; i < ncpus; i++)
			sum += v[i];
	free(v);
	return sum;
}

int report_loop(const struct cli_common *c, uint64_t default_interval_ns, loop_wait_fn wait,
		loop_report_fn report, void *ctx)
{
	uint64_t interval = c->interval_ns ? c->interval_ns : default_interval_ns;
	uint64_t start = now_ns(), last = start;
	uint64_t deadline = c->duration_ns ? start + c->duration_ns : UINT64_MAX;
	uint64_t next = interval ? start + interval : UINT64_MAX;
	struct tick t = { .epoch = 1, .interval = c->interval_ns != 0 };

	for (;;) {
		uint64_t now = now_ns(), wake = next < deadline ? next : deadline;
		bool done = false;

		if (!exiting && now < wake) {
			/* at most a second: a signal just before the wait is seen soon */
			uint64_t step = wake - now < 1000000000ULL ? wake - now : 1000000000ULL;
			int r = 0;

			if (wait)
				r = wait(ctx, (int)((step + 999999) / 1000000));
			else
				sleep_until(now + step);
			if (r < 0)
				return EXIT_RUNTIME;
			done = r > 0;
		}
		now = now_ns();
		done |= exiting || now >= deadline;
		if (!done && now < next)
			continue;
		while (next <= now)
			next += interval;
		t.index++;
		t.span_ns = now - last;
		last = now;
		t.final = done || (c->count && t.index >= c->count);
		if (report(ctx, &t))
			return EXIT_RUNTIME;
		t.epoch++;
		if (t.final)
			return 0;
	}
}

struct report_run_ctx {
	struct cli_common *c;
	const struct report_ops *ops;
	void *ctx;
};

static int run_wait(void *arg, int timeout_ms)
{
	struct report_run_ctx *r = arg;

	return r->ops->wait(r->ctx, timeout_ms);
}

static int run_report(void *arg, const struct tick *t)
{
	struct report_run_ctx *r = arg;
	const struct report_ops *ops = r->ops;

	if (ops->read && ops->read(r->ctx, t))
		return -1;
	if (t->interval || t->final) {
		if (r->c->json)
			ops->json(r->ctx, t);
		else
			ops->text(r->ctx, t);
	}
	/* every tick, printing or not: a closed pipe ends the command */
	if (out_flush_check(stdout))
		return -1;
	if (ops->prom)
		textfile_write(&r->c->tf, ops->prom, r->ctx);
	if (ops->next)
		ops->next(r->ctx, t);
	return 0;
}

int report_run(struct cli_common *c, uint64_t default_interval_ns, const struct report_ops *ops,
	       void *ctx)
{
	struct report_run_ctx r = { c, ops, ctx };

	return report_loop(c, default_interval_ns, ops->wait ? run_wait : NULL, run_report, &r);
}

json_object *json_report_new(const char *schema, const char *kind, const struct tick *t,
			     const char *mode)
{
	json_object *d = json_doc_new(schema, kind ? kind : "report", true);

	if (mode)
		json_object_object_add(d, "mode", json_object_new_string(mode));
	json_object_object_add(d, "unit", json_object_new_string("ns"));
	json_object_object_add(d, "interval_index", json_u64(t->index));
	json_object_object_add(d, "interval_ns", json_u64(t->span_ns));
	json_object_object_add(d, "cumulative", json_object_new_boolean(!t->interval));
	json_object_object_add(d, "final", json_object_new_boolean(t->final));
	return d;
}
