// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The paravirt static calls of the running kernel (pv_sched_clock,
 * pv_steal_clock, ...; --call names too): found by name in /proc/kallsyms and
 * BTF, their current targets read from kernel memory (reader.c) and resolved
 * from the key and the trampoline text. Used by `pvtrace hooks` (list.c) and
 * `pvtrace latency --steal-clock/--sched-clock` (hooklat.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "hooks_int.h"
#include "ksyms.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* Pure helpers (unit-tested)                                          */

void hooks_decode_tramp(uint64_t addr, const uint8_t *b, size_t len, struct tramp_insn *out)
{
	int32_t rel;

	memset(out, 0, sizeof(*out));
	out->kind = TRAMP_BROKEN;
	if (len < 5)
		return;
	out->signature = len >= 8 && b[5] == 0x0f && b[6] == 0xb9 && b[7] == 0xcc;
	if (b[0] == 0xe9) {
		memcpy(&rel, b + 1, 4);
		out->kind = TRAMP_JMP;
		out->target = addr + 5 + (int64_t)rel;
	} else if (b[0] == 0xc3) {
		out->kind = TRAMP_RET;
	} else if (b[0] == 0x0f && (b[1] & 0xf0) == 0x80 && len >= 6) {
		memcpy(&rel, b + 2, 4);
		out->kind = TRAMP_JCC;
		out->target = addr + 6 + (int64_t)rel;
	}
}

/* ------------------------------------------------------------------ */
/* Hook discovery and target reads                                     */

static int hook_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hook *)a)->name, ((const struct hook *)b)->name);
}

struct hook *hook_get(struct hooks_ctx *c, const char *name, bool add)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->h[i].name, name))
			return &c->h[i];
	if (!add || c->n >= MAX_HOOKS || strlen(name) >= sizeof(c->h[0].name))
		return NULL;
	memset(&c->h[c->n], 0, sizeof(c->h[0]));
	snprintf(c->h[c->n].name, sizeof(c->h[0].name), "%s", name);
	return &c->h[c->n++];
}

static bool is_text(char t)
{
	return t == 'T' || t == 't';
}

static bool wanted(const struct hooks_ctx *c, const char *name)
{
	if (!strncmp(name, HOOK_PREFIX, strlen(HOOK_PREFIX)))
		return true;
	for (int i = 0; i < c->nextra; i++)
		if (!strcmp(name, c->extra[i]))
			return true;
	return false;
}

/* __SCK__pv_* in BTF: a hook, and its key is known to BTF. */
static void on_sck_var(void *ctx, const char *name)
{
	struct hook *h = hook_get(ctx, name + strlen(SCK), true);

	if (h)
		h->btf_key = true;
}

/*
 * __SCT__pv_* (text) and __SCK__pv_* (data) in kallsyms, __SCK__pv_* VARs in
 * BTF, and the --call names.
 */
static int hooks_discover(struct hooks_ctx *c, char *err, size_t len)
{
	c->ks = ksyms_load(NULL);
	if (!c->ks) {
		snprintf(err, len, "cannot read /proc/kallsyms: %s", strerror(errno));
		return -1;
	}
	if (c->ks->n && !c->ks->syms[c->ks->n - 1].addr) {
		snprintf(err, len, "/proc/kallsyms: %s", kallsyms_hidden_reason());
		return -1;
	}
	for (size_t i = 0; i < c->ks->n; i++) {
		const struct ksym *s = &c->ks->syms[i];
		struct hook *h;
		bool tramp, key;

		if (!s->module && !strcmp(s->name, "__noinstr_text_start"))
			c->noinstr_start = s->addr;
		else if (!s->module && !strcmp(s->name, "__noinstr_text_end"))
			c->noinstr_end = s->addr;
		tramp = !strncmp(s->name, SCT, strlen(SCT));
		key = !strncmp(s->name, SCK, strlen(SCK));
		c->data_syms |= key && !s->module; /* modules always list data symbols */
		if ((!tramp && !key) || !wanted(c, s->name + strlen(SCT)))
			continue;
		h = hook_get(c, s->name + strlen(SCT), true);
		if (!h)
			continue;
		if (tramp && is_text(s->type))
			h->tramp = s->addr;
		else if (key)
			h->key = s->addr;
	}
	for (int i = 0; i < c->nextra; i++) {
		if (!hook_get(c, c->extra[i], false)) {
			snprintf(err, len,
				 "no static call %s in this kernel (no %s%s in /proc/kallsyms)",
				 c->extra[i], SCT, c->extra[i]);
			return -ENOENT;
		}
	}
	hbtf_vars(SCK HOOK_PREFIX, on_sck_var, c); /* optional: no BTF, no in_btf */
	qsort(c->h, c->n, sizeof(c->h[0]), hook_cmp);
	return 0;
}

void hooks_reader_drop(struct hooks_ctx *c)
{
	if (c->mem_open)
		kmem_close(&c->mem);
	c->mem_open = false;
}

void hooks_ctx_free(struct hooks_ctx *c)
{
	hooks_reader_drop(c);
	ksyms_free(c->ks);
	memset(c, 0, sizeof(*c));
}

static bool is_ret_thunk(const char *name)
{
	return strstr(name, "return_thunk") || !strcmp(name, "entry_untrain_ret") ||
	       !strcmp(name, "__static_call_return");
}

static void resolve(const struct hooks_ctx *c, struct hook *h)
{
	char a[128] = "", b[128] = "";

	h->from = METHOD_NONE;
	h->null = false;
	h->agree = false;
	if (h->has_text && h->insn.kind == TRAMP_JMP)
		hooks_sym(c->ks, h->insn.target, a, sizeof(a));
	if (h->has_key && h->key_func)
		hooks_sym(c->ks, h->key_func, b, sizeof(b));
	if (h->has_key) {
		h->from = METHOD_KEY;
		h->target = h->key_func;
		h->null = !h->key_func;
		if (h->key_func)
			snprintf(h->target_name, sizeof(h->target_name), "%s", b);
	} else if (h->has_text) {
		h->from = METHOD_TEXT;
		h->target = h->insn.kind == TRAMP_JMP ? h->insn.target : 0;
		h->null =
			h->insn.kind == TRAMP_RET || (h->insn.kind == TRAMP_JMP && is_ret_thunk(a));
		if (h->insn.kind == TRAMP_JMP)
			snprintf(h->target_name, sizeof(h->target_name), "%s", a);
		else
			h->target = 0;
	}
	h->ret0 = !h->null && !strcmp(h->target_name, "__static_call_return0");
	if (h->null)
		snprintf(h->target_name, sizeof(h->target_name), "(NULL: returns)");
	else if (h->from == METHOD_NONE)
		snprintf(h->target_name, sizeof(h->target_name), "(unknown)");
	else if (h->from == METHOD_TEXT && h->insn.kind != TRAMP_JMP)
		snprintf(h->target_name, sizeof(h->target_name), "(undecodable trampoline)");
	if (h->has_key && h->has_text) {
		bool text_null =
			h->insn.kind == TRAMP_RET || (h->insn.kind == TRAMP_JMP && is_ret_thunk(a));

		h->agree = h->key_func ? h->insn.kind == TRAMP_JMP && h->insn.target == h->key_func
				       : text_null;
	}
}

/* Read every hook's trampoline text and key.func (where known) in one batch. */
int hooks_read_targets(struct hooks_ctx *c)
{
	struct kmem_req req[HOOKS_MAX_READS];
	uint8_t text[MAX_HOOKS][HOOKS_READ_SIZE];
	uint64_t func[MAX_HOOKS];
	int slot[MAX_HOOKS][2], n = 0, e;

	memset(text, 0, sizeof(text));
	memset(func, 0, sizeof(func));
	for (int i = 0; i < c->n; i++) {
		struct hook *h = &c->h[i];

		slot[i][0] = slot[i][1] = -1;
		if (h->tramp && n < HOOKS_MAX_READS) {
			req[n] = (struct kmem_req){ h->tramp, HOOKS_READ_SIZE, 0, text[i] };
			slot[i][0] = n++;
		}
		if (h->key && n < HOOKS_MAX_READS) {
			req[n] = (struct kmem_req){ h->key + c->func_off, sizeof(func[i]), 0,
						    &func[i] };
			slot[i][1] = n++;
		}
	}
	e = kmem_read(&c->mem, req, n);
	if (e)
		return e;
	for (int i = 0; i < c->n; i++) {
		struct hook *h = &c->h[i];

		h->has_text = h->has_key = false;
		if (slot[i][0] >= 0) {
			h->text_err = req[slot[i][0]].err;
			h->has_text = !h->text_err;
			memcpy(h->text, text[i], sizeof(h->text));
			if (h->has_text)
				hooks_decode_tramp(h->tramp, h->text, sizeof(h->text), &h->insn);
		}
		if (slot[i][1] >= 0) {
			h->key_err = req[slot[i][1]].err;
			h->has_key = !h->key_err;
			h->key_func = func[i];
		}
		resolve(c, h);
	}
	return 0;
}

/*
 * The reader: kernel memory by BPF, a test run else a task iterator (core kmem).
 * static_call_key.func's offset from BTF; it has been the first member since
 * static calls exist, so 0 when BTF does not say.
 */
static int reader_open(struct hooks_ctx *c, char *err, size_t len)
{
	static const enum kmem_method order[] = { KMEM_TEST_RUN, KMEM_ITER };

	if (hbtf_member_offset("static_call_key", "func", &c->func_off))
		c->func_off = 0;
	if (kmem_open(&c->mem, order, ARRAY_SIZE(order), err, len))
		return -1;
	c->mem_open = true;
	return 0;
}

bool hooks_in_noinstr(const struct hooks_ctx *c, uint64_t addr)
{
	return c->noinstr_end > c->noinstr_start && addr >= c->noinstr_start &&
	       addr < c->noinstr_end;
}

const char *hooks_method_name(enum read_method m)
{
	return m == METHOD_KEY ? "key" : m == METHOD_TEXT ? "text" : "none";
}

/* Why static_call_key.func could not be read for this hook (or NULL). */
const char *hooks_key_why(const struct hooks_ctx *c, const struct hook *h, char *buf, size_t len)
{
	if (h->key && !h->has_key)
		snprintf(buf, len, "bpf_probe_read_kernel failed (%s)", strerror(-h->key_err));
	else if (h->key)
		return NULL;
	else if (!c->data_syms)
		snprintf(buf, len,
			 "%s%s is not in /proc/kallsyms (kernel without CONFIG_KALLSYMS_ALL)", SCK,
			 h->name);
	else
		snprintf(buf, len, "%s%s is not in /proc/kallsyms", SCK, h->name);
	return buf;
}

const char *hooks_text_why(const struct hook *h, char *buf, size_t len)
{
	if (!h->tramp)
		snprintf(buf, len, "no %s%s text symbol", SCT, h->name);
	else if (!h->has_text)
		snprintf(buf, len, "bpf_probe_read_kernel failed (%s)", strerror(-h->text_err));
	else
		return NULL;
	return buf;
}

const char *hooks_insn_name(const struct tramp_insn *i)
{
	static const char *const n[] = { "jmp", "ret", "jcc", "unknown" };

	return n[i->kind];
}

/* ------------------------------------------------------------------ */
/* Shared by the reports                                               */

json_object *hooks_doc_new(const char *kind)
{
	return json_doc_new(HOOKS_SCHEMA, kind, true);
}

int hooks_check_caps(void)
{
	char why[128];

	if (env_check(ENV_TRACING, why, sizeof(why))) {
		err_msg("%s (and kallsyms addresses)", why);
		return -1;
	}
	return 0;
}

int hooks_setup(struct hooks_ctx *c)
{
	char err[512];
	int e;

	if (hooks_check_caps())
		return EXIT_RUNTIME;
	libbpf_setup_logging();
	e = hooks_discover(c, err, sizeof(err));
	if (e) {
		err_msg("%s", err);
		return e == -ENOENT ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (!c->n) {
		err_msg("no paravirt static calls (" SCT HOOK_PREFIX "*) in this kernel: "
			"CONFIG_PARAVIRT off, or older than 5.13 (pv time ops in pv_ops)");
		return EXIT_RUNTIME;
	}
	if (reader_open(c, err, sizeof(err))) {
		err_msg("cannot read kernel memory: %s", err);
		return EXIT_RUNTIME;
	}
	e = hooks_read_targets(c);
	if (e) {
		err_msg("reading kernel memory (%s): %s", kmem_method_name(c->mem.method),
			strerror(-e));
		return EXIT_RUNTIME;
	}
	return 0;
}
