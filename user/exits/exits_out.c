// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace exits outputs: text, JSON, Prometheus textfile. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "exits/exits_int.h"
#include "kvm_exit.h"
#include "output.h"

const char *const exits_stat_names[EXITS_STAT_MAX] = {
	[EXITS_STAT_NO_STATE] = "no_state_slot",   [EXITS_STAT_HIST_FULL] = "hist_map_full",
	[EXITS_STAT_OVERFLOW] = "series_overflow", [EXITS_STAT_NOMEM] = "series_nomem",
	[EXITS_STAT_LOST_ENTRY] = "lost_entries",  [EXITS_STAT_EARLY_RUN] = "early_run",
	[EXITS_STAT_NO_VCPU] = "unknown_vcpu",	   [EXITS_STAT_RUN_ERROR] = "run_errors",
	[EXITS_STAT_ADDR_FULL] = "addr_map_full",
};

const char *exits_reason_name(const struct exits_key *k, char *buf, size_t len)
{
	if (k->kind == EXITS_HW)
		return kvm_exit_hw_name(k->isa, k->reason, buf, len);
	return kvm_exit_user_name(k->reason, buf, len);
}

static const char *isa_name(unsigned int isa)
{
	return isa == EXITS_ISA_VMX ? "VMX" : isa == EXITS_ISA_SVM ? "SVM" : "?";
}

static const struct hist_data *hist_of(const struct exits_view *v, bool interval)
{
	return interval ? v->interval : v->cum;
}

static const struct hist_data *user_of(const struct exits_view *v, bool interval)
{
	return interval ? v->user_interval : v->user_cum;
}

/* the vCPU or VM a view belongs to is the one before it */
static bool same_group(const struct exits_view *a, const struct exits_view *b)
{
	return a->overflow == b->overflow && a->k->tgid == b->k->tgid && a->k->vm == b->k->vm &&
	       a->k->vcpu == b->k->vcpu;
}

static void print_times(const struct hist_data *h, bool full)
{
	char a[32], b[32], c[32], d[32];
	enum time_unit u = exits_env.c.unit;

	if (!h || !h->count) {
		printf(full ? "%48s" : "%36s", "-");
		return;
	}
	fmt_time(a, sizeof(a), (double)h->sum / h->count, u);
	fmt_time(b, sizeof(b), hist_percentile(h, 50), u);
	fmt_time(c, sizeof(c), hist_percentile(h, 99), u);
	if (full) {
		fmt_time(d, sizeof(d), h->max, u);
		printf(" %11s %11s %11s %11s", a, b, c, d);
	} else {
		printf(" %11s %11s %11s", a, b, c);
	}
}

static void print_group_head(const struct exits_view *v)
{
	if (v->overflow) {
		printf("\n[overflow: per reason only (--max-series %u full, or no memory for a "
		       "new series)]\n",
		       exits_env.max_series);
		return;
	}
	printf("\nVM %s  pid %u [%s]%s", v->vm, v->p->tgid, v->p->comm,
	       v->p->exited ? " (exited)" : "");
	if (exits_env.per_vcpu)
		printf("  vcpu %d [%s]", v->k->vcpu, v->thread);
	printf("\n");
}

static void print_section(const struct exits_view *v, size_t n, unsigned int kind, bool interval)
{
	bool head = false;

	for (size_t i = 0; i < n; i++) {
		const struct hist_data *h = hist_of(&v[i], interval);
		char name[96];

		if (v[i].k->kind != kind || !h->count)
			continue;
		if (!head && kind == EXITS_HW)
			printf("  hardware exits, handled in the kernel (kvm_exit to kvm_entry)\n"
			       "    %-36s %10s %11s %11s %11s %11s\n",
			       "REASON", "COUNT", "MEAN", "P50", "P99", "MAX");
		if (!head && kind != EXITS_HW)
			printf("  returns to user space (KVM_RUN time | then user space until "
			       "KVM_RUN)\n"
			       "    %-36s %10s %11s %11s %11s | %11s %11s %11s %11s\n",
			       "REASON", "COUNT", "MEAN", "P50", "P99", "MEAN", "P50", "P99",
			       "MAX");
		head = true;
		printf("    %-36s %10" PRIu64, exits_reason_name(v[i].k, name, sizeof(name)),
		       h->count);
		print_times(h, kind == EXITS_HW);
		if (kind != EXITS_HW) {
			printf(" |");
			print_times(user_of(&v[i], interval), true);
		}
		printf("\n");
		if (exits_env.hist) {
			printf("      %s:\n", kind == EXITS_HW ? "handling" : "KVM_RUN time");
			text_print_hist(stdout, h, exits_env.c.unit);
			if (kind != EXITS_HW && user_of(&v[i], interval)) {
				printf("      then in user space:\n");
				text_print_hist(stdout, user_of(&v[i], interval), exits_env.c.unit);
			}
		}
	}
}

static void print_addrs(const struct exits_report_data *d, bool interval)
{
	size_t shown = 0, with = 0;

	for (size_t i = 0; i < d->na; i++)
		with += (interval ? d->a[i].interval.exits : d->a[i].cum.exits) != 0;
	if (!with || !exits_env.top)
		return;
	printf("\nports and MMIO addresses, by returns to user space (top %u of %zu)\n"
	       "  %-24s %-6s %-18s %4s %10s %11s %11s\n",
	       exits_env.top, with, "VM", "KIND", "ADDRESS", "SIZE", "EXITS", "USER MEAN",
	       "USER MAX");
	for (size_t i = 0; i < d->na && shown < exits_env.top; i++) {
		const struct exits_addr_view *a = &d->a[i];
		const struct exits_addr_val *v = interval ? &a->interval : &a->cum;
		char mean[32] = "-", max[32] = "-", addr[32];

		if (!v->exits)
			continue;
		shown++;
		if (v->resumed) {
			fmt_time(mean, sizeof(mean), (double)v->user_ns / v->resumed,
				 exits_env.c.unit);
			/* the max is since start: the BPF side keeps no per-interval max */
			fmt_time(max, sizeof(max), a->cum.user_max_ns, exits_env.c.unit);
		}
		snprintf(addr, sizeof(addr),
			 a->k.kind == EXITS_ADDR_PIO ? "0x%04" PRIx64 : "0x%" PRIx64,
			 (uint64_t)a->k.addr);
		printf("  %-24.24s %-6s %-18s %4u %10" PRIu64 " %11s %11s\n", a->vm,
		       a->k.kind == EXITS_ADDR_PIO ? (a->k.write ? "out" : "in")
						   : (a->k.write ? "write" : "read"),
		       addr, a->k.size, (uint64_t)v->exits, mean, max);
	}
}

/* Why there are no hardware exits, when there are returns. */
static const char *hw_missing_note(const struct exits_report_data *d, uint64_t hw, uint64_t ret)
{
	if (!d->hw_supported)
		return "hardware exits are decoded on x86 only (this build: returns to user space "
		       "only)";
	if (!hw && ret)
		return "no kvm:kvm_exit events although vCPUs ran: this kernel's KVM does not "
		       "report hardware exits (a paravirtual hypervisor's, say); returns to user "
		       "space are shown";
	return NULL;
}

static void totals(const struct exits_report_data *d, bool interval, uint64_t *hw, uint64_t *ret)
{
	*hw = *ret = 0;
	for (size_t i = 0; i < d->n; i++) {
		uint64_t c = hist_of(&d->v[i], interval)->count;

		if (d->v[i].k->kind == EXITS_HW)
			*hw += c;
		else if (d->v[i].k->kind == EXITS_RUN)
			*ret += c;
	}
}

void exits_print_text(const struct exits_report_data *d, const struct tick *t)
{
	bool interval = t->interval;
	uint64_t hw, ret;
	const char *note;

	if (interval)
		text_print_clock(stdout);
	totals(d, interval, &hw, &ret);
	if (!hw && !ret)
		printf("no KVM exits traced\n");
	for (size_t i = 0; i < d->n;) {
		size_t j = i + 1;
		uint64_t c = hist_of(&d->v[i], interval)->count;

		while (j < d->n && same_group(&d->v[i], &d->v[j]))
			c += hist_of(&d->v[j++], interval)->count;
		if (c) {
			print_group_head(&d->v[i]);
			print_section(&d->v[i], j - i, EXITS_HW, interval);
			print_section(&d->v[i], j - i, EXITS_RUN, interval);
		}
		i = j;
	}
	print_addrs(d, interval);
	note = hw_missing_note(d, hw, ret);
	if (note)
		printf("\nnote: %s\n", note);
	for (int i = 0; i < EXITS_STAT_MAX; i++)
		if (d->st[i])
			printf("\n%s: %" PRIu64 "\n", exits_stat_names[i], d->st[i]);
}

static json_object *reason_json(const struct exits_view *v, const struct hist_data *h,
				bool interval)
{
	json_object *o = json_object_new_object();
	char name[96];

	json_object_object_add(o, "reason",
			       json_object_new_string(exits_reason_name(v->k, name, sizeof(name))));
	json_object_object_add(o, "code", json_object_new_int64(v->k->reason));
	json_object_object_add(o, "count", json_u64(h->count));
	if (v->k->kind == EXITS_HW) {
		json_object_object_add(o, "isa", json_object_new_string(isa_name(v->k->isa)));
		json_object_object_add(o, "histogram", json_hist(h));
	} else {
		const struct hist_data *u = user_of(v, interval);

		json_object_object_add(o, "run_histogram", json_hist(h));
		json_object_object_add(o, "resumed", json_u64(u ? u->count : 0));
		if (u)
			json_object_object_add(o, "user_histogram", json_hist(u));
	}
	return o;
}

static json_object *group_json(const struct exits_view *v)
{
	json_object *o = json_object_new_object();

	if (v->overflow) {
		json_object_object_add(o, "overflow", json_object_new_boolean(true));
		return o;
	}
	json_object_object_add(o, "pid", json_object_new_int64(v->p->tgid));
	json_object_object_add(o, "comm", json_object_new_string(v->p->comm));
	json_object_object_add(o, "vm", json_object_new_string(v->vm));
	json_object_object_add(o, "vm_index", json_object_new_int(v->vm_index));
	json_object_object_add(o, "exited", json_object_new_boolean(v->p->exited));
	if (exits_env.per_vcpu) {
		json_object_object_add(o, "vcpu", json_object_new_int(v->k->vcpu));
		json_object_object_add(o, "thread", json_object_new_string(v->thread));
	}
	return o;
}

static json_object *addrs_json(const struct exits_report_data *d, bool interval)
{
	json_object *arr = json_object_new_array();
	size_t shown = 0;

	for (size_t i = 0; i < d->na && shown < exits_env.top; i++) {
		const struct exits_addr_view *a = &d->a[i];
		const struct exits_addr_val *v = interval ? &a->interval : &a->cum;
		json_object *o;
		char addr[32];

		if (!v->exits)
			continue;
		shown++;
		o = json_object_new_object();
		snprintf(addr, sizeof(addr), "0x%" PRIx64, (uint64_t)a->k.addr);
		json_object_object_add(o, "pid", json_object_new_int64(a->k.tgid));
		json_object_object_add(o, "vm", json_object_new_string(a->vm));
		json_object_object_add(
			o, "kind",
			json_object_new_string(a->k.kind == EXITS_ADDR_PIO ? "pio" : "mmio"));
		json_object_object_add(o, "write", json_object_new_boolean(a->k.write));
		json_object_object_add(o, "size", json_object_new_int(a->k.size));
		json_object_object_add(o, "address", json_object_new_string(addr));
		json_object_object_add(o, "count", json_u64(v->exits));
		json_object_object_add(o, "resumed", json_u64(v->resumed));
		json_object_object_add(o, "user_ns", json_u64(v->user_ns));
		json_object_object_add(o, "user_max_ns", json_u64(a->cum.user_max_ns));
		json_object_array_add(arr, o);
	}
	return arr;
}

int exits_print_json(const struct exits_report_data *d, const struct tick *t)
{
	json_object *doc = json_report_new(EXITS_SCHEMA, NULL, t, attach_mode_name(d->mode));
	json_object *groups = json_object_new_array(), *stats = json_object_new_object();
	json_object *series = json_object_new_object();
	bool interval = t->interval;
	uint64_t hw, ret;
	const char *note;
	int r;

	for (size_t i = 0; i < d->n;) {
		json_object *g = NULL, *hwa = NULL, *ua = NULL;
		size_t j = i;

		for (; j < d->n && same_group(&d->v[i], &d->v[j]); j++) {
			const struct hist_data *h = hist_of(&d->v[j], interval);
			json_object **a = d->v[j].k->kind == EXITS_HW ? &hwa : &ua;

			/* a USER series is shown with its RUN one (it has none in overflow) */
			if (!h->count || d->v[j].k->kind == EXITS_USER)
				continue;
			if (!*a)
				*a = json_object_new_array();
			json_object_array_add(*a, reason_json(&d->v[j], h, interval));
		}
		if (hwa || ua) {
			g = group_json(&d->v[i]);
			json_object_object_add(g, "hardware", hwa ? hwa : json_object_new_array());
			json_object_object_add(g, "returns", ua ? ua : json_object_new_array());
			json_object_array_add(groups, g);
		}
		i = j;
	}
	json_object_object_add(doc, "vms", groups);
	json_object_object_add(doc, "addresses", addrs_json(d, interval));
	totals(d, interval, &hw, &ret);
	note = hw_missing_note(d, hw, ret);
	json_object_object_add(doc, "hardware_exits",
			       json_object_new_string(!d->hw_supported ? "not_decoded"
						      : note	       ? "not_reported"
						      : hw	       ? "seen"
								       : "none"));
	for (int i = 0; i < EXITS_STAT_MAX; i++)
		json_object_object_add(stats, exits_stat_names[i], json_u64(d->st[i]));
	json_object_object_add(doc, "dropped", stats);
	json_object_object_add(series, "used", json_u64(d->series_used));
	json_object_object_add(series, "max", json_u64(d->series_max));
	json_object_object_add(series, "exited_removed", json_u64(d->exited_series));
	json_object_object_add(doc, "series", series);
	r = json_print_line(stdout, doc);
	json_object_put(doc);
	return r;
}

/* the labels of a view: who (pid, comm, vm[, vcpu, thread]) or overflow, then the reason */
static int view_labels(const struct exits_view *v, struct prom_label *l, char *pid, char *vcpu,
		       char *name, size_t namelen)
{
	int n = 0;

	if (v->overflow) {
		l[n++] = (struct prom_label){ "overflow", "true" };
	} else {
		snprintf(pid, 16, "%u", v->p->tgid);
		l[n++] = (struct prom_label){ "pid", pid };
		l[n++] = (struct prom_label){ "comm", v->p->comm };
		l[n++] = (struct prom_label){ "vm", v->vm };
		if (exits_env.per_vcpu) {
			snprintf(vcpu, 16, "%d", v->k->vcpu);
			l[n++] = (struct prom_label){ "vcpu", vcpu };
			l[n++] = (struct prom_label){ "thread", v->thread };
		}
	}
	if (v->k->kind == EXITS_HW)
		l[n++] = (struct prom_label){ "isa", isa_name(v->k->isa) };
	l[n++] = (struct prom_label){ "reason", exits_reason_name(v->k, name, namelen) };
	return n;
}

static void prom_kind(struct prom_writer *w, const struct exits_report_data *d, unsigned int kind,
		      const char *metric, const char *help)
{
	prom_family(w, metric, "histogram", help);
	for (size_t i = 0; i < d->n; i++) {
		const struct exits_view *v = &d->v[i];
		const struct hist_data *h = kind == EXITS_USER ? v->user_cum : v->cum;
		char pid[16], vcpu[16], name[96];
		struct prom_label l[8];
		int n;

		if (v->k->kind != (kind == EXITS_USER ? EXITS_RUN : kind) || !h)
			continue;
		n = view_labels(v, l, pid, vcpu, name, sizeof(name));
		prom_hist(w, metric, l, n, h);
	}
}

void exits_fill_prom(struct prom_writer *w, const struct exits_report_data *d)
{
	static const char *addr_metric = "pvtrace_kvm_userspace_exit_address_total";
	char v[32];
	size_t shown = 0;

	prom_kind(w, d, EXITS_HW, "pvtrace_kvm_exit_handling_seconds",
		  "KVM hardware exits by reason: time from kvm_exit to the next kvm_entry");
	prom_kind(w, d, EXITS_RUN, "pvtrace_kvm_run_seconds",
		  "KVM_RUN calls by the kvm_run->exit_reason they returned with: time in KVM_RUN");
	prom_kind(w, d, EXITS_USER, "pvtrace_kvm_userspace_seconds",
		  "After a KVM_RUN return with that reason: time in user space until the next "
		  "KVM_RUN");
	prom_family(w, addr_metric, "counter",
		    "Returns to user space per port (pio) and MMIO address, the busiest --top");
	for (size_t i = 0; i < d->na && shown < exits_env.top; i++) {
		const struct exits_addr_view *a = &d->a[i];
		char pid[16], addr[32], size[8];

		if (!a->cum.exits)
			continue;
		shown++;
		snprintf(pid, sizeof(pid), "%u", a->k.tgid);
		snprintf(addr, sizeof(addr), "0x%" PRIx64, (uint64_t)a->k.addr);
		snprintf(size, sizeof(size), "%u", a->k.size);
		snprintf(v, sizeof(v), "%" PRIu64, (uint64_t)a->cum.exits);
		prom_sample(w, addr_metric,
			    (struct prom_label[]){
				    { "pid", pid },
				    { "comm", a->p->comm },
				    { "vm", a->vm },
				    { "kind", a->k.kind == EXITS_ADDR_PIO ? "pio" : "mmio" },
				    { "dir", a->k.write ? "write" : "read" },
				    { "address", addr },
				    { "size", size },
			    },
			    7, v);
	}
	prom_family(w, "pvtrace_exits_dropped_events_total", "counter",
		    "KVM exit events pvtrace exits could not record in full, by reason");
	for (int i = 0; i < EXITS_STAT_MAX; i++) {
		snprintf(v, sizeof(v), "%" PRIu64, d->st[i]);
		prom_sample(w, "pvtrace_exits_dropped_events_total",
			    (struct prom_label[]){ { "reason", exits_stat_names[i] } }, 1, v);
	}
	prom_family(w, "pvtrace_exits_series", "gauge",
		    "Series exits keeps in its map now, and the most it keeps (--max-series)");
	snprintf(v, sizeof(v), "%u", d->series_used);
	prom_sample(w, "pvtrace_exits_series", (struct prom_label[]){ { "state", "used" } }, 1, v);
	snprintf(v, sizeof(v), "%u", d->series_max);
	prom_sample(w, "pvtrace_exits_series", (struct prom_label[]){ { "state", "max" } }, 1, v);
}
