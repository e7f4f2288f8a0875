// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* latency --ioctl/--vhost outputs: text, JSON, Prometheus textfile. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "lat.h"
#include "kvm_ioctl.h"
#include "output.h"

const char *const lat_stat_names[LAT_STAT_MAX] = {
	[LAT_STAT_NO_START] = "no_start_slot", [LAT_STAT_HIST_FULL] = "hist_map_full",
	[LAT_STAT_LOST_EXIT] = "lost_exits",   [LAT_STAT_OVERFLOW] = "series_overflow",
	[LAT_STAT_NOMEM] = "series_nomem",
};

/* a vhost ioctl's command (VHOST_VIRTIO), not a vCPU one */
static bool f_vhost(uint32_t cmd)
{
	return ((cmd >> 8) & 0xff) == IOCTL_TYPE_VHOST;
}

static const struct hist_data *hist_of(const struct lat_view *v, bool interval_mode)
{
	return interval_mode ? v->interval : v->cum;
}

void lat_print_text(const struct lat_report_data *d, const struct tick *t)
{
	bool interval_mode = t->interval;
	size_t shown = 0;

	if (interval_mode)
		text_print_clock(stdout);
	for (size_t i = 0; i < d->n; i++)
		shown += hist_of(&d->v[i], interval_mode)->count != 0;
	if (!shown)
		printf("no %s ioctls traced\n",
		       lat_env.vhost ? lat_env.ioctl ? "KVM vCPU or vhost" : "vhost" : "KVM vCPU");
	for (size_t i = 0; i < d->n; i++) {
		const struct lat_view *v = &d->v[i];
		const struct hist_data *h = hist_of(v, interval_mode);
		char name[96];

		if (!h->count)
			continue;
		ioctl_format(v->k->cmd, name, sizeof(name));
		printf("\n%s (0x%08x)", name, v->k->cmd);
		if (v->overflow)
			printf("  [overflow: per command only (--max-series %u full, or no "
			       "memory for a new series)]",
			       d->series_max);
		if (v->device[0])
			printf("  device %s", v->device);
		if (v->p)
			printf("  pid %u [%s] vm %s%s", v->p->tgid, v->p->comm, v->vm,
			       v->p->exited ? " (exited)" : "");
		if (lat_env.per_vcpu && !v->overflow && !v->device[0])
			printf("  vcpu %d [%s]", v->k->vcpu, v->thread);
		printf("\n");
		text_print_hist(stdout, h, lat_env.c.unit);
	}
	for (int i = 0; i < LAT_STAT_MAX; i++)
		if (d->st.v[i] && i != LAT_STAT_NO_START)
			printf("\n%s: %" PRIu64 "\n", lat_stat_names[i], d->st.v[i]);
}

static json_object *view_json(const struct lat_view *v)
{
	json_object *o = json_object_new_object();
	struct ioctl_fields f;
	char name[96], hex[16];
	bool known = ioctl_name(v->k->cmd) != NULL, vhost = f_vhost(v->k->cmd);

	ioctl_format(v->k->cmd, name, sizeof(name));
	snprintf(hex, sizeof(hex), "0x%08x", v->k->cmd);
	ioctl_decode(v->k->cmd, &f);
	json_object_object_add(o, "command", json_object_new_string(known ? name : hex));
	json_object_object_add(o, "known", json_object_new_boolean(known));
	json_object_object_add(o, "cmd", json_object_new_string(hex));
	json_object_object_add(o, "dir", json_object_new_string(ioctl_dir_name(f.dir)));
	json_object_object_add(o, "type", json_object_new_int(f.type));
	json_object_object_add(o, "nr", json_object_new_int(f.nr));
	json_object_object_add(o, "size", json_object_new_int(f.size));
	json_object_object_add(o, "subsystem", json_object_new_string(vhost ? "vhost" : "kvm"));
	if (v->overflow) {
		json_object_object_add(o, "overflow", json_object_new_boolean(true));
		return o;
	}
	if (v->device[0])
		json_object_object_add(o, "device", json_object_new_string(v->device));
	if (v->p) {
		json_object_object_add(o, "pid", json_object_new_int64(v->p->tgid));
		json_object_object_add(o, "comm", json_object_new_string(v->p->comm));
		json_object_object_add(o, "vm", json_object_new_string(v->vm));
		json_object_object_add(o, "vm_index", json_object_new_int(v->vm_index));
		json_object_object_add(o, "exited", json_object_new_boolean(v->p->exited));
	}
	if (lat_env.per_vcpu && !vhost) {
		json_object_object_add(o, "vcpu", json_object_new_int(v->k->vcpu));
		json_object_object_add(o, "thread", json_object_new_string(v->thread));
	}
	return o;
}

int lat_print_json(const struct lat_report_data *d, const struct tick *t)
{
	json_object *doc = json_report_new(LAT_SCHEMA, NULL, t, attach_mode_name(d->mode));
	json_object *arr = json_object_new_array(), *stats = json_object_new_object();
	json_object *series = json_object_new_object();
	bool interval_mode = t->interval;
	int r;

	for (size_t i = 0; i < d->n; i++) {
		const struct hist_data *h = hist_of(&d->v[i], interval_mode);
		json_object *o;

		if (!h->count)
			continue;
		o = view_json(&d->v[i]);
		json_object_object_add(o, "histogram", json_hist(h));
		json_object_array_add(arr, o);
	}
	json_object_object_add(doc, "ioctls", arr);
	for (int i = 0; i < LAT_STAT_MAX; i++)
		json_object_object_add(stats, lat_stat_names[i], json_u64(d->st.v[i]));
	json_object_object_add(doc, "dropped", stats);
	json_object_object_add(series, "used", json_u64(d->series_used));
	json_object_object_add(series, "max", json_u64(d->series_max));
	json_object_object_add(series, "exited_removed", json_u64(d->exited_series));
	json_object_object_add(doc, "series", series);
	r = json_print_line(stdout, doc);
	json_object_put(doc);
	return r;
}

/* The histograms of vCPU (vhost false) or vhost ioctls: one family each. */
static void prom_ioctls(struct prom_writer *w, const struct lat_report_data *d, bool vhost)
{
	const char *metric = vhost ? "pvtrace_vhost_ioctl_duration_seconds"
				   : "pvtrace_kvm_vcpu_ioctl_duration_seconds";

	prom_family(w, metric, "histogram",
		    vhost ? "Latency of vhost ioctls in seconds, since pvtrace started"
			  : "Latency of KVM vCPU ioctls in seconds, since pvtrace started");
	for (size_t i = 0; i < d->n; i++) {
		const struct lat_view *s = &d->v[i];
		char name[96], hex[16], pid[16], vcpu[16];
		struct prom_label l[9];
		int n = 0;

		if (f_vhost(s->k->cmd) != vhost)
			continue;
		ioctl_format(s->k->cmd, name, sizeof(name));
		snprintf(hex, sizeof(hex), "0x%08x", s->k->cmd);
		l[n++] = (struct prom_label){ "command", ioctl_name(s->k->cmd) ? name : hex };
		l[n++] = (struct prom_label){ "cmd", hex };
		if (s->device[0])
			l[n++] = (struct prom_label){ "device", s->device };
		if (s->overflow) {
			l[n++] = (struct prom_label){ "overflow", "true" };
		} else if (s->p) {
			snprintf(pid, sizeof(pid), "%u", s->p->tgid);
			l[n++] = (struct prom_label){ "pid", pid };
			l[n++] = (struct prom_label){ "comm", s->p->comm };
			l[n++] = (struct prom_label){ "vm", s->vm };
			if (lat_env.per_vcpu && !vhost) {
				snprintf(vcpu, sizeof(vcpu), "%d", s->k->vcpu);
				l[n++] = (struct prom_label){ "vcpu", vcpu };
				l[n++] = (struct prom_label){ "thread", s->thread };
			}
		}
		prom_hist(w, metric, l, n, s->cum);
	}
}

void lat_fill_prom(struct prom_writer *w, const struct lat_report_data *d)
{
	char v[32];

	if (lat_env.ioctl)
		prom_ioctls(w, d, false);
	if (lat_env.vhost)
		prom_ioctls(w, d, true);
	prom_family(w, "pvtrace_latency_dropped_events_total", "counter",
		    "ioctls latency could not record per series, by reason");
	for (int i = 0; i < LAT_STAT_MAX; i++) {
		snprintf(v, sizeof(v), "%" PRIu64, d->st.v[i]);
		prom_sample(w, "pvtrace_latency_dropped_events_total",
			    (struct prom_label[]){ { "reason", lat_stat_names[i] } }, 1, v);
	}
	prom_family(w, "pvtrace_latency_series", "gauge",
		    "Series latency keeps in its map now, and the most it keeps (--max-series)");
	snprintf(v, sizeof(v), "%u", d->series_used);
	prom_sample(w, "pvtrace_latency_series", (struct prom_label[]){ { "state", "used" } }, 1,
		    v);
	snprintf(v, sizeof(v), "%u", d->series_max);
	prom_sample(w, "pvtrace_latency_series", (struct prom_label[]){ { "state", "max" } }, 1, v);
	prom_family(w, "pvtrace_latency_exited_series_removed_total", "counter",
		    "Series of exited processes removed after their last report");
	snprintf(v, sizeof(v), "%" PRIu64, d->exited_series);
	prom_sample(w, "pvtrace_latency_exited_series_removed_total", NULL, 0, v);
}
