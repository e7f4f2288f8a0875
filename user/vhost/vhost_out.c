// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace vhost outputs: text, JSON, Prometheus textfile. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "vhost/vhost_int.h"
#include "output.h"

const char *const vhost_stat_names[VHOST_STAT_MAX] = {
	[VHOST_STAT_VQ_FULL] = "vq_map_full",
	[VHOST_STAT_NO_INDEX] = "vq_not_found",
	[VHOST_STAT_LOG_LONG] = "log_pages_undercounted",
	[VHOST_STAT_RELAY_LOST] = "relay_not_followed",
};

static const char *const hist_names[VHOST_H_MAX] = {
	[VHOST_H_K2C] = "kick to call",
	[VHOST_H_KICK_RELAY] = "kick relay (KVM ioeventfd to the vq's kick)",
	[VHOST_H_CALL_RELAY] = "call relay (the vq's call to the KVM irqfd)",
};

/* struct vhost_vq_stats is __u64 counters only: summed and subtracted field by field */
#define VHOST_NSTATS (sizeof(struct vhost_vq_stats) / sizeof(__u64))
_Static_assert(sizeof(struct vhost_vq_stats) % sizeof(__u64) == 0, "__u64 counters only");

void vhost_stats_add(struct vhost_vq_stats *sum, const struct vhost_vq_stats *x)
{
	__u64 *s = (__u64 *)sum;
	const __u64 *a = (const __u64 *)x;

	for (size_t i = 0; i < VHOST_NSTATS; i++)
		s[i] += a[i];
}

struct vhost_vq_stats vhost_stats_delta(const struct vhost_vq_stats *now,
					const struct vhost_vq_stats *prev)
{
	struct vhost_vq_stats d = { 0 };
	__u64 *o = (__u64 *)&d;
	const __u64 *n = (const __u64 *)now, *p = (const __u64 *)prev;

	for (size_t i = 0; i < VHOST_NSTATS; i++)
		o[i] = n[i] - p[i];
	return d;
}

static double rate(uint64_t n, uint64_t span_ns)
{
	return span_ns ? (double)n * 1e9 / (double)span_ns : 0;
}

/* p50 and p99 of h into a and b ("-" when empty) */
static void pcts(const struct hist_data *h, enum time_unit u, char *a, char *b, size_t len)
{
	snprintf(a, len, "-");
	snprintf(b, len, "-");
	if (h && h->count) {
		fmt_time(a, len, hist_percentile(h, 50), u);
		fmt_time(b, len, hist_percentile(h, 99), u);
	}
}

/* the kicks and calls between a vq and a KVM guest, direct or relayed by a process */
static void print_guest_paths(const struct vhost_report_data *d, bool iv, enum time_unit u)
{
	bool any = false;

	for (size_t i = 0; i < d->n; i++) {
		const struct vhost_vq_stats *c = iv ? &d->v[i].ival : &d->v[i].tot;

		any |= c->guest_kicks || c->relay_kicks || c->guest_calls || c->relay_calls;
	}
	if (!any)
		return;
	printf("\nguest notifications (KVM ioeventfd to kick, call to KVM irqfd): direct, or "
	       "relayed by a process\n%-16s %3s %10s %10s %10s %10s %10s %10s %10s %10s\n",
	       "DEVICE", "VQ", "KICKS", "RELAYED", "KR p50", "KR p99", "CALLS", "RELAYED", "CR p50",
	       "CR p99");
	for (size_t i = 0; i < d->n; i++) {
		const struct vhost_vq_view *v = &d->v[i];
		const struct vhost_vq_stats *c = iv ? &v->ival : &v->tot;
		const struct hist_data *const *h = iv ? v->interval : v->cum;
		char a[32], b[32], e[32], f[32];

		if (!c->guest_kicks && !c->relay_kicks && !c->guest_calls && !c->relay_calls)
			continue;
		pcts(h[VHOST_H_KICK_RELAY], u, a, b, sizeof(a));
		pcts(h[VHOST_H_CALL_RELAY], u, e, f, sizeof(e));
		printf("%-16s %3u %10llu %10llu %10s %10s %10llu %10llu %10s %10s\n", v->device,
		       v->k.vq, (unsigned long long)c->guest_kicks,
		       (unsigned long long)c->relay_kicks, a, b, (unsigned long long)c->guest_calls,
		       (unsigned long long)c->relay_calls, e, f);
	}
}

void vhost_print_text(const struct vhost_report_data *d, const struct tick *t)
{
	enum time_unit u = vhost_env.c.unit;
	bool iv = t->interval, logged = false;

	if (iv)
		text_print_clock(stdout);
	if (!d->n) {
		printf("no vhost virtqueue seen\n");
	} else {
		printf("%-16s %3s %-4s %8s %-16s %-20s %10s %10s %9s %9s %10s %10s\n", "DEVICE",
		       "VQ", "ROLE", "PID", "COMM", "VM", "KICKS", "CALLS", "KICKS/s", "CALLS/s",
		       "K2C p50", "K2C p99");
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct vhost_vq_view *v = &d->v[i];
		const struct hist_data *const *hs = iv ? v->interval : v->cum, *h = hs[VHOST_H_K2C];
		const struct vhost_vq_stats *c = iv ? &v->ival : &v->tot;
		uint64_t kicks = c->kicks, calls = c->calls;
		char pid[16] = "-", a[32], b[32];

		logged |= c->log_writes != 0;
		if (v->p)
			snprintf(pid, sizeof(pid), "%u", v->p->tgid);
		pcts(h, u, a, b, sizeof(a));
		printf("%-16s %3u %-4s %8s %-16s %-20s %10" PRIu64 " %10" PRIu64
		       " %9.1f %9.1f %10s %10s\n",
		       v->device, v->k.vq, *v->role ? v->role : "-", pid, v->p ? v->p->comm : "?",
		       v->p ? v->vm : "?", kicks, calls, rate(kicks, d->span_ns),
		       rate(calls, d->span_ns), a, b);
		for (int w = 0; vhost_env.hist && w < VHOST_H_MAX; w++) {
			if (!hs[w] || !hs[w]->count)
				continue;
			printf("  %s, %s vq %u:\n", hist_names[w], v->device, v->k.vq);
			text_print_hist(stdout, hs[w], u);
		}
	}
	print_guest_paths(d, iv, u);
	/* dirty logging: only while a VMM migrates (VHOST_F_LOG_ALL), so only when it did */
	if (logged)
		printf("\ndirty logging\n%-16s %3s %10s %12s %10s %12s\n", "DEVICE", "VQ", "WRITES",
		       "BYTES", "PAGES", "BYTES/s");
	for (size_t i = 0; logged && i < d->n; i++) {
		const struct vhost_vq_view *v = &d->v[i];
		const struct vhost_vq_stats *c = iv ? &v->ival : &v->tot;

		if (c->log_writes)
			printf("%-16s %3u %10llu %12llu %10llu %12.0f\n", v->device, v->k.vq,
			       (unsigned long long)c->log_writes, (unsigned long long)c->log_bytes,
			       (unsigned long long)c->log_pages, rate(c->log_bytes, d->span_ns));
	}
	for (int i = 0; i < VHOST_STAT_MAX; i++)
		if (d->st[i])
			printf("\n%s: %" PRIu64 "\n", vhost_stat_names[i], d->st[i]);
}

static json_object *json_hist_or_empty(const struct hist_data *h)
{
	return h ? json_hist(h) : json_hist(&(struct hist_data){ 0 });
}

int vhost_print_json(const struct vhost_report_data *d, const struct tick *t)
{
	json_object *doc = json_report_new(VHOST_SCHEMA, NULL, t, attach_mode_name(d->mode));
	json_object *arr = json_object_new_array(), *st = json_object_new_object();
	json_object *kept = json_object_new_object();
	bool iv = t->interval;
	int r;

	for (size_t i = 0; i < d->n; i++) {
		const struct vhost_vq_view *v = &d->v[i];
		const struct hist_data *const *h = iv ? v->interval : v->cum;
		const struct vhost_vq_stats *c = iv ? &v->ival : &v->tot;
		uint64_t kicks = c->kicks, calls = c->calls;
		json_object *o = json_object_new_object(), *log = json_object_new_object();
		json_object *g = json_object_new_object();

		json_object_object_add(o, "device", json_object_new_string(v->device));
		json_object_object_add(o, "kind", json_object_new_string(v->kind));
		json_object_object_add(o, "vq", json_object_new_int64(v->k.vq));
		json_object_object_add(o, "role", json_object_new_string(v->role));
		json_object_object_add(o, "handler", json_object_new_string(v->handler));
		if (v->p) {
			json_object_object_add(o, "pid", json_object_new_int64(v->p->tgid));
			json_object_object_add(o, "comm", json_object_new_string(v->p->comm));
			json_object_object_add(o, "vm", json_object_new_string(v->vm));
			json_object_object_add(o, "exited", json_object_new_boolean(v->p->exited));
		}
		json_object_object_add(o, "kicks", json_u64(kicks));
		json_object_object_add(o, "calls", json_u64(calls));
		json_object_object_add(o, "kicks_per_second",
				       json_object_new_double(rate(kicks, d->span_ns)));
		json_object_object_add(o, "calls_per_second",
				       json_object_new_double(rate(calls, d->span_ns)));
		json_object_object_add(o, "kick_to_call", json_hist_or_empty(h[VHOST_H_K2C]));
		json_object_object_add(log, "writes", json_u64(c->log_writes));
		json_object_object_add(log, "bytes", json_u64(c->log_bytes));
		json_object_object_add(log, "pages", json_u64(c->log_pages));
		json_object_object_add(log, "bytes_per_second",
				       json_object_new_double(rate(c->log_bytes, d->span_ns)));
		json_object_object_add(o, "dirty_log", log);
		json_object_object_add(g, "direct_kicks", json_u64(c->guest_kicks));
		json_object_object_add(g, "relayed_kicks", json_u64(c->relay_kicks));
		json_object_object_add(g, "kick_relay", json_hist_or_empty(h[VHOST_H_KICK_RELAY]));
		json_object_object_add(g, "direct_calls", json_u64(c->guest_calls));
		json_object_object_add(g, "relayed_calls", json_u64(c->relay_calls));
		json_object_object_add(g, "call_relay", json_hist_or_empty(h[VHOST_H_CALL_RELAY]));
		json_object_object_add(o, "guest", g);
		json_object_array_add(arr, o);
	}
	json_object_object_add(doc, "vqs", arr);
	json_object_object_add(doc, "relay_followed", json_object_new_boolean(d->relay));
	for (int i = 0; i < VHOST_STAT_MAX; i++)
		json_object_object_add(st, vhost_stat_names[i], json_u64(d->st[i]));
	json_object_object_add(doc, "dropped", st);
	json_object_object_add(kept, "used", json_u64(d->vqs_used));
	json_object_object_add(kept, "max", json_u64(d->vqs_max));
	json_object_object_add(doc, "vqs_kept", kept);
	r = json_print_line(stdout, doc);
	json_object_put(doc);
	return r;
}

void vhost_fill_prom(struct prom_writer *w, const struct vhost_report_data *d)
{
	static const struct {
		const char *name, *help;
		size_t off; /* in struct vhost_vq_stats */
	} counters[] = {
		{ "pvtrace_vhost_kicks_total", "Kicks of a vhost virtqueue (driver to device)",
		  offsetof(struct vhost_vq_stats, kicks) },
		{ "pvtrace_vhost_calls_total", "Calls of a vhost virtqueue (device to driver)",
		  offsetof(struct vhost_vq_stats, calls) },
		{ "pvtrace_vhost_log_writes_total",
		  "Buffers a vhost virtqueue wrote with dirty logging on (vhost_log_write)",
		  offsetof(struct vhost_vq_stats, log_writes) },
		{ "pvtrace_vhost_log_bytes_total", "Bytes a vhost virtqueue logged as dirty",
		  offsetof(struct vhost_vq_stats, log_bytes) },
		{ "pvtrace_vhost_log_pages_total",
		  "Dirty-bitmap page bits a vhost virtqueue set (a page written twice counts "
		  "twice)",
		  offsetof(struct vhost_vq_stats, log_pages) },
		{ "pvtrace_vhost_guest_direct_kicks_total",
		  "Kicks of a vhost vq whose eventfd a KVM ioeventfd signalled (the guest's)",
		  offsetof(struct vhost_vq_stats, guest_kicks) },
		{ "pvtrace_vhost_guest_relayed_kicks_total",
		  "Kicks of a vhost vq a process relayed from a KVM ioeventfd (shadow virtqueue)",
		  offsetof(struct vhost_vq_stats, relay_kicks) },
		{ "pvtrace_vhost_guest_direct_calls_total",
		  "Calls of a vhost vq whose eventfd is a KVM irqfd (the guest's interrupt)",
		  offsetof(struct vhost_vq_stats, guest_calls) },
		{ "pvtrace_vhost_guest_relayed_calls_total",
		  "Calls of a vhost vq a process relayed to a KVM irqfd (shadow virtqueue)",
		  offsetof(struct vhost_vq_stats, relay_calls) },
	};
	static const struct {
		const char *name, *help;
	} hists[VHOST_H_MAX] = {
		[VHOST_H_K2C] = { "pvtrace_vhost_kick_to_call_seconds",
				  "Time from a vhost vq's first unanswered kick to its next call" },
		[VHOST_H_KICK_RELAY] = { "pvtrace_vhost_kick_relay_seconds",
					 "Time from a KVM ioeventfd's signal to the vhost vq's "
					 "kick a process relayed it to" },
		[VHOST_H_CALL_RELAY] = { "pvtrace_vhost_call_relay_seconds",
					 "Time from a vhost vq's call to the KVM irqfd a process "
					 "relayed it to" },
	};
	const int nc = (int)(sizeof(counters) / sizeof(counters[0]));
	char v[32];

	for (int c = 0; c < nc + VHOST_H_MAX; c++) {
		if (c < nc)
			prom_family(w, counters[c].name, "counter", counters[c].help);
		else
			prom_family(w, hists[c - nc].name, "histogram", hists[c - nc].help);
		for (size_t i = 0; i < d->n; i++) {
			const struct vhost_vq_view *s = &d->v[i];
			char vq[16], pid[16];
			struct prom_label l[6];
			int n = 0;

			snprintf(vq, sizeof(vq), "%u", s->k.vq);
			l[n++] = (struct prom_label){ "device", s->device };
			l[n++] = (struct prom_label){ "vq", vq };
			l[n++] = (struct prom_label){ "role", s->role };
			if (s->p) {
				snprintf(pid, sizeof(pid), "%u", s->p->tgid);
				l[n++] = (struct prom_label){ "pid", pid };
				l[n++] = (struct prom_label){ "comm", s->p->comm };
				l[n++] = (struct prom_label){ "vm", s->vm };
			}
			if (c < nc) {
				uint64_t x;

				memcpy(&x, (const char *)&s->tot + counters[c].off, sizeof(x));
				snprintf(v, sizeof(v), "%" PRIu64, x);
				prom_sample(w, counters[c].name, l, n, v);
			} else if (s->cum[c - nc]) {
				prom_hist(w, hists[c - nc].name, l, n, s->cum[c - nc]);
			}
		}
	}
	prom_family(w, "pvtrace_vhost_dropped_events_total", "counter",
		    "vhost notifications pvtrace could not count, by reason");
	for (int i = 0; i < VHOST_STAT_MAX; i++) {
		snprintf(v, sizeof(v), "%" PRIu64, d->st[i]);
		prom_sample(w, "pvtrace_vhost_dropped_events_total",
			    (struct prom_label[]){ { "reason", vhost_stat_names[i] } }, 1, v);
	}
}
