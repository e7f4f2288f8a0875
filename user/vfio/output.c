// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace vfio outputs: events (text, JSON lines) and reports (text, JSON, textfile). */
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include "attach.h"
#include "util.h"
#include "vfio/vfio_int.h"

#define ULL(x) ((unsigned long long)(x))

static const char *listener_name(int l)
{
	return l == VFIO_LISTENER_YES ? "yes" : l == VFIO_LISTENER_NONE ? "no" : "unknown";
}

static const char *const ev_names[] = {
	[VFIO_EV_UNREGISTER] = "unregister",
	[VFIO_EV_REQUEST] = "request",
	[VFIO_EV_RELEASE] = "release",
	[VFIO_EV_UNBLOCKED] = "unblocked",
};

void vfio_fix_strings(struct vfio_key *k, struct vfio_task *t)
{
	k->dev[sizeof(k->dev) - 1] = 0;
	k->driver[sizeof(k->driver) - 1] = 0;
	t->comm[sizeof(t->comm) - 1] = 0;
}

static json_object *task_json(const struct vfio_task *t)
{
	json_object *o;

	if (!t->pid && !t->tid && !t->comm[0])
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int64(t->pid));
	json_object_object_add(o, "tid", json_object_new_int64(t->tid));
	json_object_object_add(o, "comm", json_object_new_string(t->comm));
	return o;
}

static void event_json(const struct vfio_event *e)
{
	json_object *o = json_doc_new(VFIO_SCHEMA, "event", false);

	json_object_object_add(o, "event", json_object_new_string(ev_names[e->type]));
	json_object_object_add(o, "ts_ns", json_u64(e->ts));
	json_object_object_add(o, "device", json_object_new_string(e->key.dev));
	json_object_object_add(o, "driver", json_object_new_string(e->key.driver));
	json_object_object_add(o, e->type == VFIO_EV_RELEASE ? "holder" : "task",
			       task_json(&e->task));
	switch (e->type) {
	case VFIO_EV_REQUEST:
		json_object_object_add(o, "index", json_object_new_int64(e->index));
		json_object_object_add(o, "listener",
				       json_object_new_string(listener_name(e->listener)));
		json_object_object_add(o, "hook",
				       json_object_new_string(e->slot < (unsigned)vfio_nimpls
								      ? vfio_impls[e->slot].name
								      : "?"));
		break;
	case VFIO_EV_RELEASE:
		json_object_object_add(o, "requests", json_object_new_int64(e->index));
		json_object_object_add(o, "since_first_request_ns",
				       e->index ? json_u64(e->first_lat) : NULL);
		json_object_object_add(o, "since_last_request_ns",
				       e->index ? json_u64(e->last_lat) : NULL);
		break;
	case VFIO_EV_UNBLOCKED:
		json_object_object_add(o, "requests", json_object_new_int64(e->index));
		json_object_object_add(o, "blocked_ns", json_u64(e->first_lat));
		break;
	}
	json_print_line(stdout, o);
	json_object_put(o);
}

static void event_text(const struct vfio_event *e)
{
	char a[32], b[32];

	printf("%llu.%09llu %s (%s): ", ULL(e->ts / 1000000000ULL), ULL(e->ts % 1000000000ULL),
	       e->key.dev, e->key.driver);
	switch (e->type) {
	case VFIO_EV_UNREGISTER:
		printf("unregister by %s (pid %u tid %u)\n", e->task.comm, e->task.pid,
		       e->task.tid);
		break;
	case VFIO_EV_REQUEST:
		printf("request #%u by %s (pid %u): listener %s (%s)\n", e->index, e->task.comm,
		       e->task.pid, listener_name(e->listener),
		       e->slot < (unsigned)vfio_nimpls ? vfio_impls[e->slot].name : "?");
		break;
	case VFIO_EV_RELEASE:
		if (e->index)
			printf("released by %s (pid %u tid %u) %s after request #0, %s after the "
			       "last request (%u sent)\n",
			       e->task.comm, e->task.pid, e->task.tid,
			       fmt_time(a, sizeof(a), e->first_lat, vfio_env.c.unit),
			       fmt_time(b, sizeof(b), e->last_lat, vfio_env.c.unit), e->index);
		else
			printf("released by %s (pid %u tid %u), no request needed\n", e->task.comm,
			       e->task.pid, e->task.tid);
		break;
	case VFIO_EV_UNBLOCKED:
		printf("unblocked %s (pid %u) after %s, %u request%s\n", e->task.comm, e->task.pid,
		       fmt_time(a, sizeof(a), e->first_lat, vfio_env.c.unit), e->index,
		       e->index == 1 ? "" : "s");
		break;
	}
	fflush(stdout);
}

int vfio_handle_event(void *ctx, void *data, size_t size)
{
	struct vfio_event e;

	(void)ctx;
	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	if (e.type > VFIO_EV_UNBLOCKED)
		return 0;
	vfio_fix_strings(&e.key, &e.task);
	if (vfio_env.c.json)
		event_json(&e);
	else
		event_text(&e);
	return 0;
}

const char *const vfio_stat_names[VFIO_STAT_MAX] = {
	[VFIO_STAT_RINGBUF_FULL] = "ringbuf_full",
	[VFIO_STAT_INFLIGHT_FULL] = "inflight_map_full",
	[VFIO_STAT_DEV_FULL] = "device_map_full",
	[VFIO_STAT_HIST_FULL] = "hist_map_full",
};

static const struct hist_data *row_hist(const struct dev_row *row, int kind, bool interval)
{
	static struct hist_data empty;

	if (!row->h[kind]) {
		hist_data_init(&empty);
		return &empty;
	}
	return interval ? &row->h[kind]->interval : &row->h[kind]->cum;
}

void vfio_print_text(void *arg, const struct tick *t)
{
	struct report *r = ((struct vfio_run *)arg)->rep;
	bool interval_mode = t->interval;
	char a[32], b[32], c[32];
	uint64_t now = now_ns();
	size_t shown = 0;

	if (interval_mode)
		text_print_clock(stdout);
	for (size_t i = 0; i < r->n; i++) {
		const struct dev_row *row = &r->rows[i];
		const struct vfio_dev_stats *st = interval_mode ? &row->interval : &row->cum;
		const struct vfio_dev_stats *cum = &row->cum;
		const struct hist_data *hr = row_hist(row, VFIO_H_RELEASE, interval_mode);
		const struct hist_data *hb = row_hist(row, VFIO_H_BLOCKED, interval_mode);

		/* an interval shows only devices with something new or still blocked */
		if (interval_mode && !st->unregisters && !st->unblocked && !st->requests &&
		    !st->releases && !row->in_progress)
			continue;
		shown++;
		printf("\n%s (%s)\n", row->key.dev, row->key.driver);
		printf("  unregisters %llu (%llu in progress), requests %llu (listener: %llu yes, "
		       "%llu no, %llu unknown)",
		       ULL(st->unregisters), ULL(row->in_progress), ULL(st->requests),
		       ULL(st->req_listener), ULL(st->req_none),
		       ULL(st->requests - st->req_listener - st->req_none));
		if (cum->requests)
			printf(", last request index %llu", ULL(cum->last_index));
		printf(", releases %llu\n", ULL(st->releases));
		if (cum->unblocked) {
			printf("  last: %s (pid %u) blocked %s, %llu request%s",
			       cum->last_unreg.comm, cum->last_unreg.pid,
			       fmt_time(a, sizeof(a), cum->last_blocked, vfio_env.c.unit),
			       ULL(cum->last_requests), cum->last_requests == 1 ? "" : "s");
			if (cum->last_holder.pid || cum->last_holder.comm[0])
				printf("; released by %s (pid %u)", cum->last_holder.comm,
				       cum->last_holder.pid);
			else
				printf("; releasing task not seen");
			if (cum->last_requests && cum->last_first_lat)
				printf(" %s after request #0, %s after the last",
				       fmt_time(b, sizeof(b), cum->last_first_lat, vfio_env.c.unit),
				       fmt_time(c, sizeof(c), cum->last_last_lat, vfio_env.c.unit));
			printf("\n");
		}
		if (row->in_progress)
			printf("  blocked now: %s (pid %u) for %s, %u request%s sent%s\n",
			       row->oldest.unreg.comm, row->oldest.unreg.pid,
			       fmt_time(a, sizeof(a), now - row->oldest.start, vfio_env.c.unit),
			       row->oldest.requests, row->oldest.requests == 1 ? "" : "s",
			       row->oldest.release ? ", released" : ", not released yet");
		if (hr->count) {
			printf("  request to release (first request -> final release):\n");
			text_print_hist(stdout, hr, vfio_env.c.unit);
		}
		if (hb->count) {
			printf("  unregister blocked (vfio_unregister_group_dev entry -> exit):\n");
			text_print_hist(stdout, hb, vfio_env.c.unit);
		}
	}
	if (!shown)
		printf("no vfio device unregister traced\n");
	fflush(stdout);
}

void vfio_print_json(void *arg, const struct tick *t)
{
	struct report *r = ((struct vfio_run *)arg)->rep;
	json_object *jdoc =
		json_report_new(VFIO_SCHEMA, NULL, t, attach_mode_name(vfio_env.c.mode));
	json_object *arr = json_object_new_array(), *hooks = json_object_new_array();
	json_object *drops = json_object_new_object();
	bool interval_mode = t->interval;
	uint64_t now = now_ns();

	for (int i = 0; i < vfio_nimpls; i++)
		json_object_array_add(hooks, json_object_new_string(vfio_impls[i].name));
	json_object_object_add(jdoc, "request_hooks", hooks);
	for (size_t i = 0; i < r->n; i++) {
		const struct dev_row *row = &r->rows[i];
		const struct vfio_dev_stats *st = interval_mode ? &row->interval : &row->cum;
		const struct vfio_dev_stats *cum = &row->cum;
		json_object *o = json_object_new_object(), *last = NULL, *cur = NULL;

		json_object_object_add(o, "device", json_object_new_string(row->key.dev));
		json_object_object_add(o, "driver", json_object_new_string(row->key.driver));
		json_object_object_add(o, "unregisters", json_u64(st->unregisters));
		json_object_object_add(o, "unblocked", json_u64(st->unblocked));
		json_object_object_add(o, "requests", json_u64(st->requests));
		json_object_object_add(o, "requests_listener", json_u64(st->req_listener));
		json_object_object_add(o, "requests_no_listener", json_u64(st->req_none));
		json_object_object_add(o, "requests_listener_unknown",
				       json_u64(st->requests - st->req_listener - st->req_none));
		json_object_object_add(o, "releases", json_u64(st->releases));
		json_object_object_add(o, "last_request_index",
				       cum->requests ? json_u64(cum->last_index) : NULL);
		if (cum->unblocked) {
			bool lat = cum->last_requests && cum->last_first_lat;

			last = json_object_new_object();
			json_object_object_add(last, "task", task_json(&cum->last_unreg));
			json_object_object_add(last, "blocked_ns", json_u64(cum->last_blocked));
			json_object_object_add(last, "requests", json_u64(cum->last_requests));
			json_object_object_add(last, "holder", task_json(&cum->last_holder));
			json_object_object_add(last, "release_after_first_request_ns",
					       lat ? json_u64(cum->last_first_lat) : NULL);
			json_object_object_add(last, "release_after_last_request_ns",
					       lat ? json_u64(cum->last_last_lat) : NULL);
		}
		json_object_object_add(o, "last_unregister", last);
		json_object_object_add(o, "in_progress", json_u64(row->in_progress));
		if (row->in_progress) {
			cur = json_object_new_object();
			json_object_object_add(cur, "task", task_json(&row->oldest.unreg));
			json_object_object_add(cur, "blocked_ns",
					       json_u64(now - row->oldest.start));
			json_object_object_add(cur, "requests", json_u64(row->oldest.requests));
			json_object_object_add(cur, "released",
					       json_object_new_boolean(row->oldest.release != 0));
		}
		json_object_object_add(o, "blocked_now", cur);
		json_object_object_add(o, "request_to_release",
				       json_hist(row_hist(row, VFIO_H_RELEASE, interval_mode)));
		json_object_object_add(o, "blocked",
				       json_hist(row_hist(row, VFIO_H_BLOCKED, interval_mode)));
		json_object_array_add(arr, o);
	}
	json_object_object_add(jdoc, "devices", arr);
	for (int i = 0; i < VFIO_STAT_MAX; i++)
		json_object_object_add(drops, vfio_stat_names[i], json_u64(r->drops[i]));
	json_object_object_add(jdoc, "dropped", drops);
	json_print_line(stdout, jdoc);
	json_object_put(jdoc);
}

static void prom_u64(struct prom_writer *w, const char *name, struct prom_label *l, int n,
		     uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", ULL(v));
	prom_sample(w, name, l, n, buf);
}

void vfio_prom(struct prom_writer *w, void *arg)
{
	const struct report *r = ((struct vfio_run *)arg)->rep;
	static const char *const counters[][2] = {
		{ "pvtrace_vfio_unregisters_total",
		  "vfio_unregister_group_dev calls (device unbind or removal)" },
		{ "pvtrace_vfio_releases_total", "Final releases that unblocked an unregister" },
		{ "pvtrace_vfio_unregisters_in_progress",
		  "Unregisters blocked now, waiting for user space to release the device" },
	};
	static const char *const hists[VFIO_H_MAX][2] = {
		[VFIO_H_RELEASE] = { "pvtrace_vfio_request_to_release_seconds",
				     "First device request to final release, in seconds" },
		[VFIO_H_BLOCKED] = { "pvtrace_vfio_unregister_blocked_seconds",
				     "Time vfio_unregister_group_dev blocked, in seconds" },
	};
	prom_family(w, "pvtrace_vfio_requests_total", "counter",
		    "Device requests sent (vfio_device_ops.request), by listener registered");
	for (size_t i = 0; i < r->n; i++) {
		const struct vfio_dev_stats *c = &r->rows[i].cum;
		const uint64_t v[3] = { c->req_listener, c->req_none,
					c->requests - c->req_listener - c->req_none };
		const char *ln[3] = { "yes", "no", "unknown" };

		for (int j = 0; j < 3; j++)
			prom_u64(w, "pvtrace_vfio_requests_total",
				 (struct prom_label[]){ { "device", r->rows[i].key.dev },
							{ "driver", r->rows[i].key.driver },
							{ "listener", ln[j] } },
				 3, v[j]);
	}
	for (size_t f = 0; f < ARRAY_SIZE(counters); f++) {
		prom_family(w, counters[f][0], f == 2 ? "gauge" : "counter", counters[f][1]);
		for (size_t i = 0; i < r->n; i++) {
			const struct dev_row *row = &r->rows[i];
			uint64_t v = f == 0   ? row->cum.unregisters
				     : f == 1 ? row->cum.releases
					      : row->in_progress;

			prom_u64(w, counters[f][0],
				 (struct prom_label[]){ { "device", row->key.dev },
							{ "driver", row->key.driver } },
				 2, v);
		}
	}
	for (int k = 0; k < VFIO_H_MAX; k++) {
		prom_family(w, hists[k][0], "histogram", hists[k][1]);
		for (size_t i = 0; i < r->n; i++)
			prom_hist(w, hists[k][0],
				  (struct prom_label[]){ { "device", r->rows[i].key.dev },
							 { "driver", r->rows[i].key.driver } },
				  2, row_hist(&r->rows[i], k, false));
	}
	prom_family(w, "pvtrace_vfio_dropped_events_total", "counter",
		    "vfio events pvtrace could not record, by reason");
	for (int i = 0; i < VFIO_STAT_MAX; i++)
		prom_u64(w, "pvtrace_vfio_dropped_events_total",
			 (struct prom_label[]){ { "reason", vfio_stat_names[i] } }, 1, r->drops[i]);
}
