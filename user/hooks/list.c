// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace hooks: the listing of the static calls and their targets (text, JSON,
 * Prometheus) and --watch, which reads the targets again every INTERVAL and
 * reports the changes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "hooks_int.h"
#include "ksyms.h"
#include "report.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* Listing                                                              */

static void print_hooks_text(const struct hooks_ctx *c)
{
	char why[256], bytes[64], a[128];

	printf("Paravirt static calls in %s (targets read from kernel memory with BPF)\n",
	       kernel_release());
	for (int i = 0; i < c->n; i++) {
		const struct hook *h = &c->h[i];

		printf("%-16s -> %s", h->name, h->target_name);
		if (h->ret0)
			printf("  (returns 0)");
		if (h->target && hooks_in_noinstr(c, h->target))
			printf("  (noinstr)");
		printf("  [from %s%s]\n",
		       h->from == METHOD_KEY	? "static_call_key.func"
		       : h->from == METHOD_TEXT ? "trampoline text"
						: "nothing",
		       h->has_key && h->has_text
			       ? (h->agree ? "; trampoline agrees" : "; TRAMPOLINE DISAGREES")
			       : "");
		if (hooks_text_why(h, why, sizeof(why))) {
			printf("    trampoline %s%s: %s\n", SCT, h->name, why);
		} else {
			hex_str(h->text, sizeof(h->text), " ", bytes, sizeof(bytes));
			printf("    trampoline %s%s %016" PRIx64 ": %s = %s", SCT, h->name,
			       h->tramp, bytes, hooks_insn_name(&h->insn));
			if (h->insn.kind == TRAMP_JMP || h->insn.kind == TRAMP_JCC)
				printf(" %016" PRIx64 " <%s>", h->insn.target,
				       hooks_sym(c->ks, h->insn.target, a, sizeof(a)));
			printf("%s\n", h->insn.signature ? "" : " (no trampoline signature)");
		}
		if (hooks_key_why(c, h, why, sizeof(why)))
			printf("    key        %s%s: not read: %s\n", SCK, h->name, why);
		else
			printf("    key        %s%s %016" PRIx64 ": func = %016" PRIx64 " <%s>\n",
			       SCK, h->name, h->key, h->key_func,
			       h->key_func ? hooks_sym(c->ks, h->key_func, a, sizeof(a)) : "NULL");
	}
	fflush(stdout);
}

static json_object *hook_json(const struct hooks_ctx *c, const struct hook *h)
{
	json_object *o = json_object_new_object(), *t, *k;
	char why[256], bytes[64], a[128];

	json_object_object_add(o, "hook", json_object_new_string(h->name));
	json_object_object_add(
		o, "target", h->target && !h->null ? json_object_new_string(h->target_name) : NULL);
	json_object_object_add(o, "target_addr", h->target ? json_hex_u64(h->target) : NULL);
	json_object_object_add(o, "null", json_object_new_boolean(h->null));
	json_object_object_add(o, "ret0", json_object_new_boolean(h->ret0));
	json_object_object_add(o, "method", json_object_new_string(hooks_method_name(h->from)));
	json_object_object_add(
		o, "noinstr", json_object_new_boolean(h->target && hooks_in_noinstr(c, h->target)));
	json_object_object_add(
		o, "agree", h->has_key && h->has_text ? json_object_new_boolean(h->agree) : NULL);
	t = json_object_new_object();
	snprintf(a, sizeof(a), "%s%s", SCT, h->name);
	json_object_object_add(t, "symbol", json_object_new_string(a));
	json_object_object_add(t, "addr", h->tramp ? json_hex_u64(h->tramp) : NULL);
	if (hooks_text_why(h, why, sizeof(why))) {
		json_object_object_add(t, "error", json_object_new_string(why));
	} else {
		hex_str(h->text, sizeof(h->text), " ", bytes, sizeof(bytes));
		json_object_object_add(t, "bytes", json_object_new_string(bytes));
		json_object_object_add(t, "insn",
				       json_object_new_string(hooks_insn_name(&h->insn)));
		json_object_object_add(t, "signature", json_object_new_boolean(h->insn.signature));
		if (h->insn.kind == TRAMP_JMP || h->insn.kind == TRAMP_JCC) {
			json_object_object_add(t, "dest", json_hex_u64(h->insn.target));
			json_object_object_add(t, "dest_symbol",
					       json_object_new_string(hooks_sym(
						       c->ks, h->insn.target, a, sizeof(a))));
		}
	}
	json_object_object_add(o, "trampoline", t);
	k = json_object_new_object();
	snprintf(a, sizeof(a), "%s%s", SCK, h->name);
	json_object_object_add(k, "symbol", json_object_new_string(a));
	json_object_object_add(k, "addr", h->key ? json_hex_u64(h->key) : NULL);
	json_object_object_add(k, "in_btf", json_object_new_boolean(h->btf_key));
	if (hooks_key_why(c, h, why, sizeof(why))) {
		json_object_object_add(k, "error", json_object_new_string(why));
	} else {
		json_object_object_add(k, "func", json_hex_u64(h->key_func));
		json_object_object_add(k, "func_symbol",
				       h->key_func ? json_object_new_string(hooks_sym(
							     c->ks, h->key_func, a, sizeof(a)))
						   : NULL);
	}
	json_object_object_add(o, "key", k);
	return o;
}

static void print_hooks_json(const struct hooks_ctx *c)
{
	json_object *d = hooks_doc_new("hooks"), *arr = json_object_new_array();

	for (int i = 0; i < c->n; i++)
		json_object_array_add(arr, hook_json(c, &c->h[i]));
	json_object_object_add(d, "hooks", arr);
	json_print_line(stdout, d);
	json_object_put(d);
}

static void prom_hooks(struct prom_writer *w, void *arg)
{
	const struct hooks_ctx *c = arg;

	prom_family(w, "pvtrace_paravirt_hook_target_info", "gauge",
		    "Current target of a paravirt static call (1), and how it was read");
	for (int i = 0; i < c->n; i++) {
		const struct hook *h = &c->h[i];
		struct prom_label l[] = { { "hook", h->name },
					  { "target", h->target_name },
					  { "method", hooks_method_name(h->from) } };

		prom_sample(w, "pvtrace_paravirt_hook_target_info", l, 3, "1");
	}
	prom_family(w, "pvtrace_paravirt_hook_methods_agree", "gauge",
		    "1 when static_call_key.func and the trampoline agree, 0 when not");
	for (int i = 0; i < c->n; i++) {
		const struct hook *h = &c->h[i];

		if (h->has_key && h->has_text)
			prom_sample(w, "pvtrace_paravirt_hook_methods_agree",
				    (struct prom_label[]){ { "hook", h->name } }, 1,
				    h->agree ? "1" : "0");
	}
}

static void warn_disagree(const struct hooks_ctx *c)
{
	for (int i = 0; i < c->n; i++) {
		const struct hook *h = &c->h[i];
		char a[128];

		if (h->has_key && h->has_text && !h->agree)
			warn_msg("%s: static_call_key.func is %s but the trampoline says %s %s",
				 h->name, h->target_name, hooks_insn_name(&h->insn),
				 h->insn.kind == TRAMP_JMP
					 ? hooks_sym(c->ks, h->insn.target, a, sizeof(a))
					 : "");
	}
}

/* Per-hook snapshot for --watch. */
struct seen {
	uint64_t key_func, text_target;
	int text_kind;
	bool has_key, has_text;
};

static void report_change(const struct hooks_env *e, const struct hook *h, const char *method,
			  uint64_t old, uint64_t now, const char *oldn, const char *newn)
{
	char ts[16];

	fmt_clock(ts, sizeof(ts), time(NULL));
	if (e->c.json) {
		json_object *d = hooks_doc_new("change");

		struct timespec rt;

		clock_gettime(CLOCK_REALTIME, &rt);
		json_object_object_add(d, "time_ns",
				       json_u64((uint64_t)rt.tv_sec * 1000000000ULL + rt.tv_nsec));
		json_object_object_add(d, "hook", json_object_new_string(h->name));
		json_object_object_add(d, "method", json_object_new_string(method));
		json_object_object_add(d, "old", json_object_new_string(oldn));
		json_object_object_add(d, "old_addr", json_hex_u64(old));
		json_object_object_add(d, "new", json_object_new_string(newn));
		json_object_object_add(d, "new_addr", json_hex_u64(now));
		json_print_line(stdout, d);
		json_object_put(d);
	} else {
		printf("%s %s: %s -> %s (%s)\n", ts, h->name, oldn, newn, method);
		fflush(stdout);
	}
}

static void text_desc(const struct hooks_ctx *c, int kind, uint64_t target, char *buf, size_t len)
{
	if (kind == TRAMP_JMP)
		hooks_sym(c->ks, target, buf, len);
	else
		snprintf(buf, len, "(%s)", kind == TRAMP_RET ? "NULL: returns" : "undecodable");
}

static int watch_changes(const struct hooks_env *e, const struct hooks_ctx *c, struct seen *prev)
{
	int changes = 0;

	for (int i = 0; i < c->n; i++) {
		const struct hook *h = &c->h[i];
		struct seen *p = &prev[i];
		char a[128], b[128];

		if (h->has_key && p->has_key && h->key_func != p->key_func) {
			hooks_sym(c->ks, p->key_func, a, sizeof(a));
			hooks_sym(c->ks, h->key_func, b, sizeof(b));
			report_change(e, h, "key", p->key_func, h->key_func,
				      p->key_func ? a : "NULL", h->key_func ? b : "NULL");
			changes++;
		}
		if (h->has_text && p->has_text &&
		    ((int)h->insn.kind != p->text_kind || h->insn.target != p->text_target)) {
			text_desc(c, p->text_kind, p->text_target, a, sizeof(a));
			text_desc(c, h->insn.kind, h->insn.target, b, sizeof(b));
			report_change(e, h, "text", p->text_target, h->insn.target, a, b);
			changes++;
		}
		*p = (struct seen){ h->key_func, h->insn.target, h->insn.kind, h->has_key,
				    h->has_text };
	}
	return changes;
}

#define WATCH_DEFAULT_NS 1000000000ULL

struct watch_run {
	struct hooks_env *e;
	struct hooks_ctx *c;
	struct seen *prev;
};

/* One poll of --watch: read the targets again, report what changed. */
static int watch_poll(void *arg, const struct tick *t)
{
	struct watch_run *w = arg;
	int err;

	(void)t;
	err = hooks_read_targets(w->c);
	if (err) {
		err_msg("running the BPF iterator: %s", strerror(-err));
		return -1;
	}
	if (watch_changes(w->e, w->c, w->prev))
		warn_disagree(w->c);
	/* every poll: a reader that went away ends --watch even while nothing changes */
	if (out_flush_check(stdout))
		return -1;
	/* every poll: the textfile's timestamp says the watch is alive */
	textfile_write(&w->e->c.tf, prom_hooks, w->c);
	return 0;
}

int hooks_list_or_watch(struct hooks_env *e)
{
	struct hooks_ctx c = { .extra = e->extra, .nextra = e->nextra };
	struct seen prev[MAX_HOOKS];
	int ret;

	ret = hooks_setup(&c);
	if (ret)
		goto out;
	/* the iterator link is open: reading needs no privilege from here on */
	drop_caps_after_attach();
	if (e->c.json)
		print_hooks_json(&c);
	else
		print_hooks_text(&c);
	if (out_flush_check(stdout)) {
		ret = EXIT_RUNTIME;
		goto out;
	}
	warn_disagree(&c);
	if ((ret = cli_textfile_ready(&e->c)))
		goto out;
	/* a listing is a snapshot: its file stays; a watch's leaves with it */
	e->c.tf.keep |= !e->watch;
	e->c.tf.mode = "iterator";
	if (e->c.prom && textfile_write(&e->c.tf, prom_hooks, &c)) {
		ret = EXIT_RUNTIME;
		goto out;
	}
	if (!e->watch)
		goto out;
	signals_install();
	for (int i = 0; i < c.n; i++)
		prev[i] = (struct seen){ c.h[i].key_func, c.h[i].insn.target, c.h[i].insn.kind,
					 c.h[i].has_key, c.h[i].has_text };
	fprintf(stderr, "Watching %d static calls every %.3f s... Hit Ctrl-C to end.\n", c.n,
		(e->c.interval_ns ? e->c.interval_ns : WATCH_DEFAULT_NS) / 1e9);
	ret = report_loop(&e->c, WATCH_DEFAULT_NS, NULL, watch_poll,
			  &(struct watch_run){ e, &c, prev });
out:
	hooks_ctx_free(&c);
	return ret;
}
