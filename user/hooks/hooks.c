// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace hooks: the paravirt static calls of the running kernel (pv_sched_clock,
 * pv_steal_clock, ...), their current targets read from kernel memory with BPF,
 * target changes (--watch) and steal time per CPU (--steal). Also
 * `pvtrace latency --steal-clock/--sched-clock`: latency of the current target.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "hooks.h"
#include "hooks.skel.h"
#include "hooklat.skel.h"
#include "steal.skel.h"
#include "attach.h"
#include "cli.h"
#include "commands.h"
#include "kbtf.h"
#include "ksyms.h"
#include "output.h"
#include "report.h"
#include "util.h"

#define HOOKS_SCHEMA "pvtrace.hooks/2"
#define HLAT_SCHEMA  "pvtrace.latency.hooks/1"
#define MAX_HOOKS    (HOOKS_MAX_READS / 2)
#define SCT	     "__SCT__"
#define SCK	     "__SCK__"
#define HOOK_PREFIX  "pv_"

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

static bool weak_name(const char *n)
{
	return !strncmp(n, "__pfx_", 6) || !strncmp(n, "__pi_", 5) || !strncmp(n, "__cfi_", 6);
}

const char *hooks_sym_name(const struct ksyms *ks, uint64_t addr, char *buf, size_t len)
{
	const struct ksym *s = ks ? ksyms_by_addr(ks, addr) : NULL;

	if (!s) {
		snprintf(buf, len, "0x%" PRIx64, addr);
		return buf;
	}
	/* ksyms_by_addr returns the last of the symbols at one address: prefer a plain name */
	for (size_t i = s - ks->syms + 1; i-- > 0 && ks->syms[i].addr == s->addr;) {
		if (!weak_name(ks->syms[i].name)) {
			s = &ks->syms[i];
			break;
		}
	}
	if (addr == s->addr)
		snprintf(buf, len, "%s", s->name);
	else
		snprintf(buf, len, "%s+0x%" PRIx64, s->name, addr - s->addr);
	return buf;
}

void hooks_steal_rate(uint64_t delta_ns, uint64_t interval_ns, unsigned int ncpus, double *ns_per_s,
		      double *pct)
{
	*ns_per_s = interval_ns ? (double)delta_ns * 1e9 / (double)interval_ns : 0;
	*pct = interval_ns && ncpus ? (double)delta_ns * 100.0 / ((double)interval_ns * ncpus) : 0;
}

/* ------------------------------------------------------------------ */
/* Hook discovery and target reads                                     */

enum read_method { METHOD_NONE, METHOD_KEY, METHOD_TEXT };

struct hook {
	char name[64];
	uint64_t tramp; /* __SCT__<name>, a text symbol */
	uint64_t key;	/* __SCK__<name>, a data symbol (KALLSYMS_ALL) */
	bool btf_key;	/* __SCK__<name> is a VAR in vmlinux BTF */
	/* last read */
	int text_err, key_err;
	uint8_t text[HOOKS_READ_SIZE];
	struct tramp_insn insn;
	uint64_t key_func;
	bool has_text, has_key;
	bool null;	       /* NULL static call (returns) */
	bool ret0;	       /* __static_call_return0 (returns 0) */
	uint64_t target;       /* reported target */
	enum read_method from; /* where the reported target comes from */
	bool agree;	       /* key and text agree (both read) */
	char target_name[128];
};

struct hooks_ctx {
	struct ksyms *ks;
	struct hook h[MAX_HOOKS];
	int n;
	uint64_t noinstr_start, noinstr_end;
	bool data_syms; /* kallsyms lists data symbols (any __SCK__ or per-CPU var) */
	struct hooks_bpf *reader;
	struct bpf_link *reader_link;
};

static int hook_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hook *)a)->name, ((const struct hook *)b)->name);
}

static struct hook *hook_get(struct hooks_ctx *c, const char *name, bool add)
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

#define MAX_EXTRA 4
static const char *extra_calls[MAX_EXTRA]; /* --call NAME: more static calls to show */
static int nextra;

static bool wanted(const char *name)
{
	if (!strncmp(name, HOOK_PREFIX, strlen(HOOK_PREFIX)))
		return true;
	for (int i = 0; i < nextra; i++)
		if (!strcmp(name, extra_calls[i]))
			return true;
	return false;
}

/*
 * __SCT__pv_* (text) and __SCK__pv_* (data) in kallsyms, __SCK__pv_* VARs in
 * BTF, and the --call names.
 */
static int hooks_discover(struct hooks_ctx *c, const struct btf *btf, char *err, size_t len)
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
		if ((!tramp && !key) || !wanted(s->name + strlen(SCT)))
			continue;
		h = hook_get(c, s->name + strlen(SCT), true);
		if (!h)
			continue;
		if (tramp && is_text(s->type))
			h->tramp = s->addr;
		else if (key)
			h->key = s->addr;
	}
	for (int i = 0; i < nextra; i++) {
		if (!hook_get(c, extra_calls[i], false)) {
			snprintf(err, len,
				 "no static call %s in this kernel (no %s%s in /proc/kallsyms)",
				 extra_calls[i], SCT, extra_calls[i]);
			return -ENOENT;
		}
	}
	for (__u32 id = 1; btf && id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;
		struct hook *h;

		if (!btf_is_var(t))
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (!name || strncmp(name, SCK HOOK_PREFIX, strlen(SCK HOOK_PREFIX)))
			continue;
		h = hook_get(c, name + strlen(SCK), true);
		if (h)
			h->btf_key = true;
	}
	qsort(c->h, c->n, sizeof(c->h[0]), hook_cmp);
	return 0;
}

static void hooks_ctx_free(struct hooks_ctx *c)
{
	bpf_link__destroy(c->reader_link);
	hooks_bpf__destroy(c->reader);
	ksyms_free(c->ks);
	memset(c, 0, sizeof(*c));
}

/* Run a task iterator once: the programs do their work at the end of the walk. */
static int iter_run(struct bpf_link *link)
{
	char buf[64];
	int fd = bpf_iter_create(bpf_link__fd(link)), n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static int reader_open(struct hooks_ctx *c, char *err, size_t len)
{
	struct hooks_bpf *s = hooks_bpf__open();
	int e;

	if (!s) {
		snprintf(err, len, "cannot open BPF object: %s", strerror(errno));
		return -1;
	}
	e = hooks_bpf__load(s);
	if (!e) {
		c->reader_link = bpf_program__attach_iter(s->progs.read_mem, NULL);
		e = c->reader_link ? 0 : -errno;
	}
	if (e) {
		snprintf(err, len, "cannot load the BPF task iterator that reads kernel memory: %s",
			 *libbpf_last_error() ? libbpf_last_error() : strerror(-e));
		hooks_bpf__destroy(s);
		return -1;
	}
	c->reader = s;
	return 0;
}

static bool is_ret_thunk(const char *name)
{
	return strstr(name, "return_thunk") || !strcmp(name, "entry_untrain_ret") ||
	       !strcmp(name, "__static_call_return");
}

static void resolve(struct hooks_ctx *c, struct hook *h)
{
	char a[128] = "", b[128] = "";

	h->from = METHOD_NONE;
	h->null = false;
	h->agree = false;
	if (h->has_text && h->insn.kind == TRAMP_JMP)
		hooks_sym_name(c->ks, h->insn.target, a, sizeof(a));
	if (h->has_key && h->key_func)
		hooks_sym_name(c->ks, h->key_func, b, sizeof(b));
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

/* Read every hook's trampoline text and key (where known) in one iterator run. */
static int hooks_read_targets(struct hooks_ctx *c)
{
	struct hooks_bpf__bss *bss = c->reader->bss;
	int slot[MAX_HOOKS][2], n = 0, e;

	for (int i = 0; i < c->n; i++) {
		struct hook *h = &c->h[i];

		slot[i][0] = slot[i][1] = -1;
		if (h->tramp && n < HOOKS_MAX_READS) {
			bss->reads[n] =
				(struct hooks_read){ .addr = h->tramp, .kind = HOOKS_READ_BYTES };
			slot[i][0] = n++;
		}
		if (h->key && n < HOOKS_MAX_READS) {
			bss->reads[n] =
				(struct hooks_read){ .addr = h->key, .kind = HOOKS_READ_KEY };
			slot[i][1] = n++;
		}
	}
	bss->nreads = n;
	e = iter_run(c->reader_link);
	if (e)
		return e;
	for (int i = 0; i < c->n; i++) {
		struct hook *h = &c->h[i];
		struct hooks_read *r;

		h->has_text = h->has_key = false;
		if (slot[i][0] >= 0) {
			r = &bss->reads[slot[i][0]];
			h->text_err = r->err;
			h->has_text = !r->err;
			memcpy(h->text, r->bytes, sizeof(h->text));
			if (h->has_text)
				hooks_decode_tramp(h->tramp, h->text, sizeof(h->text), &h->insn);
		}
		if (slot[i][1] >= 0) {
			r = &bss->reads[slot[i][1]];
			h->key_err = r->err;
			h->has_key = !r->err;
			memcpy(&h->key_func, r->bytes, sizeof(h->key_func));
		}
		resolve(c, h);
	}
	return 0;
}

static bool in_noinstr(const struct hooks_ctx *c, uint64_t addr)
{
	return c->noinstr_end > c->noinstr_start && addr >= c->noinstr_start &&
	       addr < c->noinstr_end;
}

static const char *method_name(enum read_method m)
{
	return m == METHOD_KEY ? "key" : m == METHOD_TEXT ? "text" : "none";
}

/* Why static_call_key.func could not be read for this hook (or NULL). */
static const char *key_why(const struct hooks_ctx *c, const struct hook *h, char *buf, size_t len)
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

static const char *text_why(const struct hook *h, char *buf, size_t len)
{
	if (!h->tramp)
		snprintf(buf, len, "no %s%s text symbol", SCT, h->name);
	else if (!h->has_text)
		snprintf(buf, len, "bpf_probe_read_kernel failed (%s)", strerror(-h->text_err));
	else
		return NULL;
	return buf;
}

static const char *insn_name(const struct tramp_insn *i)
{
	static const char *const n[] = { "jmp", "ret", "jcc", "unknown" };

	return n[i->kind];
}

static void hex_bytes(const uint8_t *b, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && off + 4 < len; i++)
		off += snprintf(buf + off, len - off, "%s%02x", i ? " " : "", b[i]);
}

/* ------------------------------------------------------------------ */
/* pvtrace hooks: options                                              */

static struct hooks_env {
	bool watch;
	bool steal;
	int percpu; /* 0 auto, enum hooks_percpu, or PERCPU_PROCFS */
	struct cli_common c;
} env;

#define PERCPU_PROCFS 3

enum {
	OPT_WATCH = 0x100,
	OPT_STEAL,
	OPT_PERCPU,
	OPT_CALL,
};

static const char doc[] =
	"Lists the paravirt static calls of the running kernel (pv_sched_clock,\n"
	"pv_steal_clock, ...; found by name in /proc/kallsyms and BTF) and the function\n"
	"each one calls now. The target is read from kernel memory with a BPF task\n"
	"iterator: static_call_key.func of __SCK__<name> where /proc/kallsyms lists data\n"
	"symbols (CONFIG_KALLSYMS_ALL), and the __SCT__<name> trampoline's jmp; both are\n"
	"shown, and a disagreement is flagged.\n"
	"\n"
	"--steal reports steal time per CPU and in total over each INTERVAL: ns of steal\n"
	"per second and percent, from kernel_cpustat.cpustat[CPUTIME_STEAL] (and KVM's\n"
	"steal_time where registered), located with bpf_per_cpu_ptr() (ksym), or from\n"
	"each CPU's runqueue address and BTF offsets (runqueue), else /proc/stat.\n"
	"\n"
	"Examples:\n"
	"  pvtrace hooks                     # targets, once\n"
	"  pvtrace hooks --json\n"
	"  pvtrace hooks --watch 5           # poll every 5 s, print old -> new\n"
	"  pvtrace hooks --watch --call tp_func_sched_switch   # any static call too\n"
	"  pvtrace hooks --steal 1 5         # five 1-second steal reports\n"
	"  pvtrace hooks --steal 15 --prom /var/lib/node_exporter/pvtrace-steal.prom\n"
	"  pvtrace latency --steal-clock     # latency of pv_steal_clock's target\n"
	"\n"
	"INTERVAL defaults to 1 s for --watch; without INTERVAL, --steal reports once\n"
	"at the end (Ctrl-C or -d).\n"
	"Exit status: 0 ok (a target change or a key/trampoline disagreement is reported,\n"
	"not an error), 1 runtime error (no privileges, no paravirt static calls, BPF\n"
	"refused), 2 usage error (also: no static call of a --call NAME).";

static const struct cli_opt opts[] = {
	{ "watch", OPT_WATCH, NULL, "Poll the targets every INTERVAL, report changes" },
	{ "steal", OPT_STEAL, NULL, "Steal time per CPU and total, per INTERVAL" },
	CLI_OPT_DURATION,
	CLI_OPT_JSON(HOOKS_SCHEMA),
	CLI_OPT_PROM,
	{ "percpu", OPT_PERCPU, "HOW", "--steal: ksym, runqueue or procfs (default: best)" },
	{ "call", OPT_CALL, "NAME", "Also show static call NAME (__SCT__NAME), up to 4" },
	CLI_OPT_VERBOSE,
	{ NULL, 0, NULL, NULL },
};

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	(void)ctx;
	switch (key) {
	case OPT_WATCH:
		env.watch = true;
		break;
	case OPT_STEAL:
		env.steal = true;
		break;
	case OPT_CALL:
		if (nextra >= MAX_EXTRA || !*arg ||
		    strlen(arg) >= sizeof(((struct hook *)0)->name)) {
			snprintf(err, len, "--call: at most %d names of up to 63 characters",
				 MAX_EXTRA);
			return -1;
		}
		extra_calls[nextra++] = arg;
		break;
	case OPT_PERCPU:
		if (!strcmp(arg, "ksym"))
			env.percpu = HOOKS_PERCPU_KSYM;
		else if (!strcmp(arg, "runqueue"))
			env.percpu = HOOKS_PERCPU_RUNQUEUE;
		else if (!strcmp(arg, "procfs"))
			env.percpu = PERCPU_PROCFS;
		else {
			snprintf(err, len, "invalid --percpu '%s' (ksym, runqueue or procfs)", arg);
			return -1;
		}
		break;
	default:
		return CLI_UNHANDLED;
	}
	return 0;
}

static json_object *json_hex(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	return json_object_new_string(b);
}

static json_object *doc_new(const char *kind)
{
	return json_doc_new(HOOKS_SCHEMA, kind, true);
}

/* ------------------------------------------------------------------ */
/* Listing                                                              */

static void print_hooks_text(struct hooks_ctx *c)
{
	struct utsname u;
	char why[256], bytes[64], a[128];

	uname(&u);
	printf("Paravirt static calls in %s (targets read from kernel memory with BPF)\n",
	       u.release);
	for (int i = 0; i < c->n; i++) {
		struct hook *h = &c->h[i];

		printf("%-16s -> %s", h->name, h->target_name);
		if (h->ret0)
			printf("  (returns 0)");
		if (h->target && in_noinstr(c, h->target))
			printf("  (noinstr)");
		printf("  [from %s%s]\n",
		       h->from == METHOD_KEY	? "static_call_key.func"
		       : h->from == METHOD_TEXT ? "trampoline text"
						: "nothing",
		       h->has_key && h->has_text
			       ? (h->agree ? "; trampoline agrees" : "; TRAMPOLINE DISAGREES")
			       : "");
		if (text_why(h, why, sizeof(why))) {
			printf("    trampoline %s%s: %s\n", SCT, h->name, why);
		} else {
			hex_bytes(h->text, sizeof(h->text), bytes, sizeof(bytes));
			printf("    trampoline %s%s %016" PRIx64 ": %s = %s", SCT, h->name,
			       h->tramp, bytes, insn_name(&h->insn));
			if (h->insn.kind == TRAMP_JMP || h->insn.kind == TRAMP_JCC)
				printf(" %016" PRIx64 " <%s>", h->insn.target,
				       hooks_sym_name(c->ks, h->insn.target, a, sizeof(a)));
			printf("%s\n", h->insn.signature ? "" : " (no trampoline signature)");
		}
		if (key_why(c, h, why, sizeof(why)))
			printf("    key        %s%s: not read: %s\n", SCK, h->name, why);
		else
			printf("    key        %s%s %016" PRIx64 ": func = %016" PRIx64 " <%s>\n",
			       SCK, h->name, h->key, h->key_func,
			       h->key_func ? hooks_sym_name(c->ks, h->key_func, a, sizeof(a))
					   : "NULL");
	}
	fflush(stdout);
}

static json_object *hook_json(struct hooks_ctx *c, struct hook *h)
{
	json_object *o = json_object_new_object(), *t, *k;
	char why[256], bytes[64], a[128];

	json_object_object_add(o, "hook", json_object_new_string(h->name));
	json_object_object_add(
		o, "target", h->target && !h->null ? json_object_new_string(h->target_name) : NULL);
	json_object_object_add(o, "target_addr", h->target ? json_hex(h->target) : NULL);
	json_object_object_add(o, "null", json_object_new_boolean(h->null));
	json_object_object_add(o, "ret0", json_object_new_boolean(h->ret0));
	json_object_object_add(o, "method", json_object_new_string(method_name(h->from)));
	json_object_object_add(o, "noinstr",
			       json_object_new_boolean(h->target && in_noinstr(c, h->target)));
	json_object_object_add(
		o, "agree", h->has_key && h->has_text ? json_object_new_boolean(h->agree) : NULL);
	t = json_object_new_object();
	snprintf(a, sizeof(a), "%s%s", SCT, h->name);
	json_object_object_add(t, "symbol", json_object_new_string(a));
	json_object_object_add(t, "addr", h->tramp ? json_hex(h->tramp) : NULL);
	if (text_why(h, why, sizeof(why))) {
		json_object_object_add(t, "error", json_object_new_string(why));
	} else {
		hex_bytes(h->text, sizeof(h->text), bytes, sizeof(bytes));
		json_object_object_add(t, "bytes", json_object_new_string(bytes));
		json_object_object_add(t, "insn", json_object_new_string(insn_name(&h->insn)));
		json_object_object_add(t, "signature", json_object_new_boolean(h->insn.signature));
		if (h->insn.kind == TRAMP_JMP || h->insn.kind == TRAMP_JCC) {
			json_object_object_add(t, "dest", json_hex(h->insn.target));
			json_object_object_add(t, "dest_symbol",
					       json_object_new_string(hooks_sym_name(
						       c->ks, h->insn.target, a, sizeof(a))));
		}
	}
	json_object_object_add(o, "trampoline", t);
	k = json_object_new_object();
	snprintf(a, sizeof(a), "%s%s", SCK, h->name);
	json_object_object_add(k, "symbol", json_object_new_string(a));
	json_object_object_add(k, "addr", h->key ? json_hex(h->key) : NULL);
	json_object_object_add(k, "in_btf", json_object_new_boolean(h->btf_key));
	if (key_why(c, h, why, sizeof(why))) {
		json_object_object_add(k, "error", json_object_new_string(why));
	} else {
		json_object_object_add(k, "func", json_hex(h->key_func));
		json_object_object_add(k, "func_symbol",
				       h->key_func ? json_object_new_string(hooks_sym_name(
							     c->ks, h->key_func, a, sizeof(a)))
						   : NULL);
	}
	json_object_object_add(o, "key", k);
	return o;
}

static void print_hooks_json(struct hooks_ctx *c)
{
	json_object *d = doc_new("hooks"), *arr = json_object_new_array();

	for (int i = 0; i < c->n; i++)
		json_object_array_add(arr, hook_json(c, &c->h[i]));
	json_object_object_add(d, "hooks", arr);
	json_print_line(stdout, d);
	json_object_put(d);
}

static void prom_hooks(struct prom_writer *w, void *arg)
{
	struct hooks_ctx *c = arg;

	prom_family(w, "pvtrace_paravirt_hook_target_info", "gauge",
		    "Current target of a paravirt static call (1), and how it was read");
	for (int i = 0; i < c->n; i++) {
		struct hook *h = &c->h[i];
		struct prom_label l[] = { { "hook", h->name },
					  { "target", h->target_name },
					  { "method", method_name(h->from) } };

		prom_sample(w, "pvtrace_paravirt_hook_target_info", l, 3, "1");
	}
	prom_family(w, "pvtrace_paravirt_hook_methods_agree", "gauge",
		    "1 when static_call_key.func and the trampoline agree, 0 when not");
	for (int i = 0; i < c->n; i++) {
		struct hook *h = &c->h[i];

		if (h->has_key && h->has_text)
			prom_sample(w, "pvtrace_paravirt_hook_methods_agree",
				    (struct prom_label[]){ { "hook", h->name } }, 1,
				    h->agree ? "1" : "0");
	}
}

static void warn_disagree(struct hooks_ctx *c)
{
	for (int i = 0; i < c->n; i++) {
		struct hook *h = &c->h[i];
		char a[128];

		if (h->has_key && h->has_text && !h->agree)
			warn_msg("%s: static_call_key.func is %s but the trampoline says %s %s",
				 h->name, h->target_name, insn_name(&h->insn),
				 h->insn.kind == TRAMP_JMP
					 ? hooks_sym_name(c->ks, h->insn.target, a, sizeof(a))
					 : "");
	}
}

/* Per-hook snapshot for --watch. */
struct seen {
	uint64_t key_func, text_target;
	int text_kind;
	bool has_key, has_text;
};

static void report_change(struct hook *h, const char *method, uint64_t old, uint64_t now,
			  const char *oldn, const char *newn)
{
	char ts[16];
	time_t t = time(NULL);

	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
	if (env.c.json) {
		json_object *d = doc_new("change");

		struct timespec rt;

		clock_gettime(CLOCK_REALTIME, &rt);
		json_object_object_add(d, "time_ns",
				       json_u64((uint64_t)rt.tv_sec * 1000000000ULL + rt.tv_nsec));
		json_object_object_add(d, "hook", json_object_new_string(h->name));
		json_object_object_add(d, "method", json_object_new_string(method));
		json_object_object_add(d, "old", json_object_new_string(oldn));
		json_object_object_add(d, "old_addr", json_hex(old));
		json_object_object_add(d, "new", json_object_new_string(newn));
		json_object_object_add(d, "new_addr", json_hex(now));
		json_print_line(stdout, d);
		json_object_put(d);
	} else {
		printf("%s %s: %s -> %s (%s)\n", ts, h->name, oldn, newn, method);
		fflush(stdout);
	}
}

static void text_desc(struct hooks_ctx *c, int kind, uint64_t target, char *buf, size_t len)
{
	if (kind == TRAMP_JMP)
		hooks_sym_name(c->ks, target, buf, len);
	else
		snprintf(buf, len, "(%s)", kind == TRAMP_RET ? "NULL: returns" : "undecodable");
}

static int watch_changes(struct hooks_ctx *c, struct seen *prev)
{
	int changes = 0;

	for (int i = 0; i < c->n; i++) {
		struct hook *h = &c->h[i];
		struct seen *p = &prev[i];
		char a[128], b[128];

		if (h->has_key && p->has_key && h->key_func != p->key_func) {
			hooks_sym_name(c->ks, p->key_func, a, sizeof(a));
			hooks_sym_name(c->ks, h->key_func, b, sizeof(b));
			report_change(h, "key", p->key_func, h->key_func, p->key_func ? a : "NULL",
				      h->key_func ? b : "NULL");
			changes++;
		}
		if (h->has_text && p->has_text &&
		    ((int)h->insn.kind != p->text_kind || h->insn.target != p->text_target)) {
			text_desc(c, p->text_kind, p->text_target, a, sizeof(a));
			text_desc(c, h->insn.kind, h->insn.target, b, sizeof(b));
			report_change(h, "text", p->text_target, h->insn.target, a, b);
			changes++;
		}
		*p = (struct seen){ h->key_func, h->insn.target, h->insn.kind, h->has_key,
				    h->has_text };
	}
	return changes;
}

static int check_caps(void)
{
	if (!have_tracing_caps()) {
		err_msg("needs root or CAP_BPF and CAP_PERFMON (and kallsyms addresses)");
		return -1;
	}
	return 0;
}

/* Discover, open the reader, read once. Returns 0 or an exit status. */
static int hooks_setup(struct hooks_ctx *c, const struct btf *btf)
{
	char err[512];
	int e;

	e = hooks_discover(c, btf, err, sizeof(err));
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
		err_msg("%s", err);
		return EXIT_RUNTIME;
	}
	e = hooks_read_targets(c);
	if (e) {
		err_msg("running the BPF iterator: %s", strerror(-e));
		return EXIT_RUNTIME;
	}
	return 0;
}

#define WATCH_DEFAULT_NS 1000000000ULL

struct watch_run {
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
	if (watch_changes(w->c, w->prev))
		warn_disagree(w->c);
	/* every poll: a reader that went away ends --watch even while nothing changes */
	if (out_flush_check(stdout))
		return -1;
	/* every poll: the textfile's timestamp says the watch is alive */
	textfile_write(&env.c.tf, prom_hooks, w->c);
	return 0;
}

static int list_or_watch(void)
{
	struct hooks_ctx c = { 0 };
	struct seen prev[MAX_HOOKS];
	struct btf *btf;
	int ret;

	if (check_caps())
		return EXIT_RUNTIME;
	libbpf_setup_logging();
	btf = btf__load_vmlinux_btf(); /* for __SCK__ variables; optional */
	ret = hooks_setup(&c, btf);
	btf__free(btf);
	if (ret)
		goto out;
	/* the iterator link is open: reading needs no privilege from here on */
	if (drop_all_caps())
		warn_msg("could not drop capabilities: %s", strerror(errno));
	if (env.c.json)
		print_hooks_json(&c);
	else
		print_hooks_text(&c);
	if (out_flush_check(stdout)) {
		ret = EXIT_RUNTIME;
		goto out;
	}
	warn_disagree(&c);
	if ((ret = cli_textfile_ready(&env.c)))
		goto out;
	/* a listing is a snapshot: its file stays; a watch's leaves with it */
	env.c.tf.keep |= !env.watch;
	env.c.tf.mode = "iterator";
	if (env.c.prom && textfile_write(&env.c.tf, prom_hooks, &c)) {
		ret = EXIT_RUNTIME;
		goto out;
	}
	if (!env.watch)
		goto out;
	signals_install();
	for (int i = 0; i < c.n; i++)
		prev[i] = (struct seen){ c.h[i].key_func, c.h[i].insn.target, c.h[i].insn.kind,
					 c.h[i].has_key, c.h[i].has_text };
	fprintf(stderr, "Watching %d static calls every %.3f s... Hit Ctrl-C to end.\n", c.n,
		(env.c.interval_ns ? env.c.interval_ns : WATCH_DEFAULT_NS) / 1e9);
	ret = report_loop(&env.c, WATCH_DEFAULT_NS, NULL, watch_poll,
			  &(struct watch_run){ &c, prev });
out:
	hooks_ctx_free(&c);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Steal time                                                          */

struct steal_src {
	int method; /* enum hooks_percpu or PERCPU_PROCFS */
	unsigned int ncpus;
	struct steal_bpf *skel;
	struct bpf_link *link;
	bool kvm;	 /* steal_time (struct kvm_steal_time) is read */
	char why[512];	 /* why better methods were not used */
	uint64_t clk_ns; /* procfs: ns per USER_HZ tick */
};

struct steal_sample {
	uint64_t t;
	uint64_t *cpustat, *kvm, *user;
	uint32_t *flags;
};

static const char *percpu_name(int m)
{
	return m == HOOKS_PERCPU_KSYM ? "ksym" : m == HOOKS_PERCPU_RUNQUEUE ? "runqueue" : "procfs";
}

/* Offsets of per-CPU variables in the .data..percpu DATASEC (0 when absent). */
static void percpu_offsets(const struct btf *btf, uint64_t *rq, uint64_t *cpustat, uint64_t *st,
			   bool *found_cpustat, bool *found_rq)
{
	*rq = *cpustat = *st = 0;
	*found_cpustat = *found_rq = false;
	for (__u32 id = 1; id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_var_secinfo *vs;
		const char *name = btf__name_by_offset(btf, t->name_off);

		if (!btf_is_datasec(t) || !name || strcmp(name, ".data..percpu"))
			continue;
		vs = btf_var_secinfos(t);
		for (int i = 0; i < btf_vlen(t); i++, vs++) {
			const struct btf_type *v = btf__type_by_id(btf, vs->type);
			const char *vn = btf__name_by_offset(btf, v->name_off);

			if (!vn)
				continue;
			if (!strcmp(vn, "runqueues")) {
				*rq = vs->offset;
				*found_rq = true;
			} else if (!strcmp(vn, "kernel_cpustat")) {
				*cpustat = vs->offset;
				*found_cpustat = true;
			} else if (!strcmp(vn, "steal_time")) {
				*st = vs->offset;
			}
		}
		break;
	}
}

static bool btf_has_member(const struct btf *btf, const char *st, const char *member)
{
	__u32 off, size;

	return !kbtf_member(btf, st, member, &off, &size);
}

/* /proc/stat per-CPU user and steal columns, in USER_HZ ticks; -1 for absent CPUs. */
static int procfs_ticks(unsigned int ncpus, int64_t *user, int64_t *steal)
{
	FILE *f = fopen("/proc/stat", "re");
	char line[512];

	if (!f)
		return -errno;
	for (unsigned int c = 0; c < ncpus; c++)
		user[c] = steal[c] = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[8];
		unsigned int cpu;

		if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 9 ||
		    cpu >= ncpus)
			continue;
		user[cpu] = v[0];
		steal[cpu] = v[7];
	}
	fclose(f);
	return 0;
}

static uint64_t tick_ns(void)
{
	long tck = sysconf(_SC_CLK_TCK);

	return tck > 0 ? 1000000000ULL / tck : 10000000ULL;
}

static int procfs_sample(struct steal_src *s, struct steal_sample *x)
{
	int64_t *user = calloc(s->ncpus, sizeof(*user)), *steal = calloc(s->ncpus, sizeof(*steal));
	int e = user && steal ? procfs_ticks(s->ncpus, user, steal) : -ENOMEM;

	for (unsigned int c = 0; !e && c < s->ncpus; c++) {
		x->cpustat[c] = steal[c] >= 0 ? (uint64_t)steal[c] * s->clk_ns : 0;
		x->user[c] = user[c] >= 0 ? (uint64_t)user[c] * s->clk_ns : 0;
		x->flags[c] = steal[c] >= 0 ? HOOKS_CPU_CPUSTAT : 0;
	}
	free(user);
	free(steal);
	return e;
}

/*
 * The per-CPU addresses are derived, so check them: each CPU's user time read
 * in BPF must fall between /proc/stat's user column read before and after
 * (/proc/stat shows floor(ns / tick)), and at least one CPU must have some.
 */
static int steal_validate(struct steal_src *s, char *why, size_t len)
{
	int64_t *u0 = calloc(s->ncpus, sizeof(int64_t)), *u1 = calloc(s->ncpus, sizeof(int64_t));
	int64_t *st = calloc(s->ncpus, sizeof(int64_t));
	uint64_t tick = tick_ns();
	int e = -ENOMEM, nonzero = 0;

	if (!u0 || !u1 || !st)
		goto out;
	e = procfs_ticks(s->ncpus, u0, st);
	if (!e)
		e = iter_run(s->link);
	if (!e)
		e = procfs_ticks(s->ncpus, u1, st);
	if (e) {
		snprintf(why, len, "%s", strerror(-e));
		goto out;
	}
	for (unsigned int c = 0; c < s->ncpus; c++) {
		const struct steal_cpu *v = &s->skel->bss->steal[c];
		int64_t t = (int64_t)(v->cpustat_user / tick);

		if (u0[c] < 0 || !(v->flags & HOOKS_CPU_CPUSTAT))
			continue;
		if (t < u0[c] || t > u1[c]) {
			snprintf(why, len,
				 "CPU %u: user time read at the derived address (%" PRId64
				 " ticks) is not /proc/stat's (%" PRId64 "..%" PRId64 ")",
				 c, t, u0[c], u1[c]);
			e = -EINVAL;
			goto out;
		}
		nonzero += t > 0;
	}
	if (!nonzero) {
		snprintf(why, len, "no CPU with user time to check the derived addresses against");
		e = -EINVAL;
	}
out:
	free(u0);
	free(u1);
	free(st);
	return e;
}

static int steal_try_bpf(struct steal_src *s, int method, const struct btf *btf, bool ksym_ok,
			 char *why, size_t len)
{
	uint64_t off_rq, off_cpustat, off_st;
	bool has_cpustat, has_rq;
	struct bpf_program *want;
	struct steal_bpf *k;
	char check[256] = "";
	int e;

	percpu_offsets(btf, &off_rq, &off_cpustat, &off_st, &has_cpustat, &has_rq);
	if (!has_cpustat) {
		snprintf(why, len, "%s: kernel_cpustat is not in the BTF per-CPU section",
			 percpu_name(method));
		return -1;
	}
	if (method == HOOKS_PERCPU_KSYM && !ksym_ok) {
		snprintf(why, len,
			 "ksym: kernel_cpustat is not in /proc/kallsyms (no CONFIG_KALLSYMS_ALL), "
			 "so bpf_per_cpu_ptr() cannot resolve it");
		return -1;
	}
	if (method == HOOKS_PERCPU_RUNQUEUE &&
	    (!has_rq || !btf_has_member(btf, "task_group", "cfs_rq") ||
	     !btf_has_member(btf, "cfs_rq", "rq"))) {
		snprintf(why, len, "runqueue: needs CONFIG_FAIR_GROUP_SCHED (tg->cfs_rq[cpu]->rq)");
		return -1;
	}
	k = steal_bpf__open();
	if (!k) {
		snprintf(why, len, "%s: cannot open BPF object: %s", percpu_name(method),
			 strerror(errno));
		return -1;
	}
	want = method == HOOKS_PERCPU_KSYM ? k->progs.steal_ksym : k->progs.steal_rq;
	bpf_program__set_autoload(k->progs.steal_ksym, method == HOOKS_PERCPU_KSYM);
	bpf_program__set_autoload(k->progs.steal_rq, method == HOOKS_PERCPU_RUNQUEUE);
	k->rodata->ncpus = s->ncpus;
	k->rodata->off_anchor = method == HOOKS_PERCPU_KSYM ? off_cpustat : off_rq;
	k->rodata->off_cpustat = off_cpustat;
	k->rodata->off_steal_time = off_st;
	libbpf_clear_error();
	e = steal_bpf__load(k);
	if (!e) {
		s->link = bpf_program__attach_iter(want, NULL);
		e = s->link ? 0 : -errno;
	}
	if (!e) {
		s->skel = k;
		e = steal_validate(s, check, sizeof(check));
		if (!e && !k->bss->steal_runs)
			e = -ENOTSUP;
		s->skel = NULL;
		if (e && check[0]) {
			snprintf(why, len, "%s: %s", percpu_name(method), check);
			goto fail;
		}
	}
	if (e) {
		snprintf(why, len, "%s: %s", percpu_name(method),
			 *libbpf_last_error() ? libbpf_last_error() : strerror(-e));
	fail:
		bpf_link__destroy(s->link);
		s->link = NULL;
		steal_bpf__destroy(k);
		return -1;
	}
	s->skel = k;
	s->kvm = off_st != 0;
	s->method = method;
	return 0;
}

static int steal_open(struct steal_src *s, bool ksym_ok, char *err, size_t len)
{
	int order[] = { HOOKS_PERCPU_KSYM, HOOKS_PERCPU_RUNQUEUE, PERCPU_PROCFS };
	struct btf *btf = NULL;
	size_t off = 0;
	int n;

	n = libbpf_num_possible_cpus();
	if (n <= 0) {
		snprintf(err, len, "cannot count possible CPUs");
		return -1;
	}
	s->ncpus = n > HOOKS_MAX_CPUS ? HOOKS_MAX_CPUS : n;
	if (n > HOOKS_MAX_CPUS)
		warn_msg("steal: %d possible CPUs, reporting the first %d", n, HOOKS_MAX_CPUS);
	s->why[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		char one[320];

		if (env.percpu && env.percpu != order[i])
			continue;
		if (order[i] == PERCPU_PROCFS) {
			s->clk_ns = tick_ns();
			s->method = PERCPU_PROCFS;
			btf__free(btf);
			return 0;
		}
		if (!btf) {
			btf = btf__load_vmlinux_btf();
			if (!btf) {
				snprintf(one, sizeof(one), "%s: no vmlinux BTF",
					 percpu_name(order[i]));
				goto fail_one;
			}
		}
		if (!steal_try_bpf(s, order[i], btf, ksym_ok, one, sizeof(one))) {
			btf__free(btf);
			return 0;
		}
	fail_one:
		if (off < sizeof(s->why))
			off += snprintf(s->why + off, sizeof(s->why) - off, "%s%s", off ? "; " : "",
					one);
	}
	btf__free(btf);
	snprintf(err, len, "--percpu %s is not available here: %s", percpu_name(env.percpu),
		 s->why);
	return -1;
}

static void steal_close(struct steal_src *s)
{
	bpf_link__destroy(s->link);
	steal_bpf__destroy(s->skel);
	s->link = NULL;
	s->skel = NULL;
}

static int sample_alloc(struct steal_sample *x, unsigned int n)
{
	x->cpustat = calloc(n, sizeof(uint64_t));
	x->kvm = calloc(n, sizeof(uint64_t));
	x->user = calloc(n, sizeof(uint64_t));
	x->flags = calloc(n, sizeof(uint32_t));
	return x->cpustat && x->kvm && x->user && x->flags ? 0 : -ENOMEM;
}

static void sample_free(struct steal_sample *x)
{
	free(x->cpustat);
	free(x->kvm);
	free(x->user);
	free(x->flags);
}

static void sample_copy(struct steal_sample *d, const struct steal_sample *s, unsigned int n)
{
	d->t = s->t;
	memcpy(d->cpustat, s->cpustat, n * sizeof(uint64_t));
	memcpy(d->kvm, s->kvm, n * sizeof(uint64_t));
	memcpy(d->user, s->user, n * sizeof(uint64_t));
	memcpy(d->flags, s->flags, n * sizeof(uint32_t));
}

static int steal_sample(struct steal_src *s, struct steal_sample *x)
{
	int e;

	x->t = now_ns();
	if (s->method == PERCPU_PROCFS)
		return procfs_sample(s, x);
	e = iter_run(s->link);
	if (e)
		return e;
	for (unsigned int c = 0; c < s->ncpus; c++) {
		const struct steal_cpu *v = &s->skel->bss->steal[c];

		x->cpustat[c] = v->cpustat_steal;
		/* registered steal_time has a non-zero version (odd while updated) */
		x->kvm[c] = v->kvm_steal;
		x->user[c] = v->cpustat_user;
		x->flags[c] = v->flags;
		if ((v->flags & HOOKS_CPU_KVM) && !v->kvm_version && !v->kvm_steal)
			x->flags[c] &= ~HOOKS_CPU_KVM;
	}
	return 0;
}

struct steal_row {
	uint64_t delta, total, kvm_delta, kvm_total, user;
	double rate, pct;
	bool ok, kvm;
};

static void steal_rows(const struct steal_src *s, const struct steal_sample *a,
		       const struct steal_sample *b, struct steal_row *rows, struct steal_row *all)
{
	uint64_t dt = b->t - a->t;
	unsigned int nok = 0;

	memset(all, 0, sizeof(*all));
	for (unsigned int c = 0; c < s->ncpus; c++) {
		struct steal_row *r = &rows[c];

		memset(r, 0, sizeof(*r));
		r->ok = (a->flags[c] & b->flags[c] & HOOKS_CPU_CPUSTAT) != 0;
		r->kvm = (a->flags[c] & b->flags[c] & HOOKS_CPU_KVM) != 0;
		if (r->ok) {
			r->total = b->cpustat[c];
			r->user = b->user[c];
			r->delta =
				b->cpustat[c] >= a->cpustat[c] ? b->cpustat[c] - a->cpustat[c] : 0;
			hooks_steal_rate(r->delta, dt, 1, &r->rate, &r->pct);
			all->delta += r->delta;
			all->total += r->total;
			all->user += r->user;
			all->ok = true;
			nok++;
		}
		if (r->kvm) {
			r->kvm_total = b->kvm[c];
			r->kvm_delta = b->kvm[c] >= a->kvm[c] ? b->kvm[c] - a->kvm[c] : 0;
			all->kvm_delta += r->kvm_delta;
			all->kvm_total += r->kvm_total;
			all->kvm = true;
		}
	}
	hooks_steal_rate(all->delta, dt, nok, &all->rate, &all->pct);
}

static void print_steal_text(const struct steal_src *s, const struct steal_row *rows,
			     const struct steal_row *all, uint64_t dt, bool interval_mode)
{
	char ts[16];
	time_t t = time(NULL);

	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&t));
	printf("%s%s steal time over %.3f s (per-CPU data: %s)\n", interval_mode ? "\n" : "", ts,
	       dt / 1e9, percpu_name(s->method));
	printf("  %-5s %14s %8s %18s%s\n", "CPU", "steal ns/s", "steal %", "since boot (s)",
	       all->kvm ? "  kvm steal_time since boot (s)" : "");
	for (unsigned int c = 0; c <= s->ncpus; c++) {
		const struct steal_row *r = c < s->ncpus ? &rows[c] : all;
		char name[16];

		if (c < s->ncpus)
			snprintf(name, sizeof(name), "%u", c);
		else
			snprintf(name, sizeof(name), "all");
		if (!r->ok) {
			printf("  %-5s %14s\n", name, "unreadable");
			continue;
		}
		printf("  %-5s %14.0f %8.3f %18.3f", name, r->rate, r->pct, r->total / 1e9);
		if (all->kvm)
			printf("  %29.3f", r->kvm_total / 1e9);
		printf("\n");
	}
	fflush(stdout);
}

static json_object *steal_row_json(const struct steal_row *r, bool kvm)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "steal_ns", r->ok ? json_u64(r->delta) : NULL);
	json_object_object_add(o, "steal_ns_per_s", r->ok ? json_object_new_double(r->rate) : NULL);
	json_object_object_add(o, "steal_pct", r->ok ? json_object_new_double(r->pct) : NULL);
	json_object_object_add(o, "steal_total_ns", r->ok ? json_u64(r->total) : NULL);
	/* the same counters' user time: lets a reader check them against /proc/stat */
	json_object_object_add(o, "user_total_ns", r->ok ? json_u64(r->user) : NULL);
	if (kvm) {
		json_object_object_add(o, "kvm_steal_ns", r->kvm ? json_u64(r->kvm_delta) : NULL);
		json_object_object_add(o, "kvm_steal_total_ns",
				       r->kvm ? json_u64(r->kvm_total) : NULL);
	}
	return o;
}

static void print_steal_json(const struct steal_src *s, const struct steal_row *rows,
			     const struct steal_row *all, uint64_t dt, bool interval_mode,
			     uint64_t index, bool final)
{
	json_object *d = doc_new("steal"), *arr = json_object_new_array();

	json_object_object_add(d, "percpu", json_object_new_string(percpu_name(s->method)));
	json_object_object_add(d, "unit", json_object_new_string("ns"));
	json_object_object_add(d, "interval_index", json_u64(index));
	json_object_object_add(d, "interval_ns", json_u64(dt));
	json_object_object_add(d, "cumulative", json_object_new_boolean(!interval_mode));
	json_object_object_add(d, "final", json_object_new_boolean(final));
	json_object_object_add(d, "ncpus", json_object_new_int(s->ncpus));
	json_object_object_add(d, "kvm_steal_time", json_object_new_boolean(all->kvm));
	for (unsigned int c = 0; c < s->ncpus; c++) {
		json_object *o = steal_row_json(&rows[c], all->kvm);

		json_object_object_add(o, "cpu", json_object_new_int(c));
		json_object_array_add(arr, o);
	}
	json_object_object_add(d, "cpus", arr);
	json_object_object_add(d, "total", steal_row_json(all, all->kvm));
	json_print_line(stdout, d);
	json_object_put(d);
}

struct steal_run {
	struct steal_src *s;
	struct steal_sample *first, *prev, *cur;
	struct steal_row *rows, *all;
};

static void prom_steal(struct prom_writer *w, void *arg)
{
	const struct steal_run *r = arg;
	const struct steal_src *s = r->s;
	const struct steal_row *rows = r->rows, *all = r->all;
	char v[48], cpu[16];

	prom_family(w, "pvtrace_cpu_steal_seconds_total", "counter",
		    "Steal time accounted by the kernel (kernel_cpustat), since boot");
	for (unsigned int c = 0; c < s->ncpus; c++) {
		if (!rows[c].ok)
			continue;
		snprintf(cpu, sizeof(cpu), "%u", c);
		prom_sample(w, "pvtrace_cpu_steal_seconds_total",
			    (struct prom_label[]){ { "cpu", cpu } }, 1,
			    ns_to_seconds(v, sizeof(v), rows[c].total));
	}
	prom_family(w, "pvtrace_cpu_steal_ratio", "gauge",
		    "Share of the last interval stolen from each CPU (0 to 1)");
	for (unsigned int c = 0; c < s->ncpus; c++) {
		if (!rows[c].ok)
			continue;
		snprintf(cpu, sizeof(cpu), "%u", c);
		snprintf(v, sizeof(v), "%.9f", rows[c].pct / 100);
		prom_sample(w, "pvtrace_cpu_steal_ratio", (struct prom_label[]){ { "cpu", cpu } },
			    1, v);
	}
	prom_family(w, "pvtrace_steal_ratio", "gauge",
		    "Share of all CPUs' time stolen in the last interval (0 to 1)");
	snprintf(v, sizeof(v), "%.9f", all->pct / 100);
	prom_sample(w, "pvtrace_steal_ratio", NULL, 0, v);
	if (all->kvm) {
		prom_family(w, "pvtrace_kvm_steal_time_seconds_total", "counter",
			    "Steal time written by the KVM host in steal_time, since registration");
		for (unsigned int c = 0; c < s->ncpus; c++) {
			if (!rows[c].kvm)
				continue;
			snprintf(cpu, sizeof(cpu), "%u", c);
			prom_sample(w, "pvtrace_kvm_steal_time_seconds_total",
				    (struct prom_label[]){ { "cpu", cpu } }, 1,
				    ns_to_seconds(v, sizeof(v), rows[c].kvm_total));
		}
	}
}

static int steal_report(void *arg, const struct tick *t)
{
	struct steal_run *r = arg;
	struct steal_sample *base = t->interval ? r->prev : r->first;
	int err = steal_sample(r->s, r->cur);

	if (err) {
		err_msg("reading steal time: %s", strerror(-err));
		return -1;
	}
	steal_rows(r->s, base, r->cur, r->rows, r->all);
	if (t->interval || t->final) {
		if (env.c.json)
			print_steal_json(r->s, r->rows, r->all, r->cur->t - base->t, t->interval,
					 t->index, t->final);
		else
			print_steal_text(r->s, r->rows, r->all, r->cur->t - base->t, t->interval);
	}
	if (out_flush_check(stdout))
		return -1;
	textfile_write(&env.c.tf, prom_steal, r);
	sample_copy(r->prev, r->cur, r->s->ncpus);
	return 0;
}

static int steal_cmd(void)
{
	struct steal_src s = { 0 };
	struct steal_sample first = { 0 }, prev = { 0 }, cur = { 0 };
	struct steal_row *rows = NULL, all;
	char why[1024];
	bool ksym_ok = false;
	int ret = EXIT_RUNTIME, err;

	if (env.percpu != PERCPU_PROCFS) {
		uint64_t a;

		if (check_caps())
			return EXIT_RUNTIME;
		libbpf_setup_logging();
		ksym_ok = !ksym_lookup("kernel_cpustat", "", &a);
	}
	if (steal_open(&s, ksym_ok, why, sizeof(why))) {
		err_msg("%s", why);
		return EXIT_RUNTIME;
	}
	if (s.method == PERCPU_PROCFS && !env.percpu)
		warn_msg("steal: from /proc/stat (tick resolution): %s", s.why);
	else if (verbose && s.why[0])
		warn_msg("steal: not using %s", s.why);
	if (s.method != PERCPU_PROCFS && drop_all_caps())
		warn_msg("could not drop capabilities: %s", strerror(errno));
	if ((ret = cli_textfile_ready(&env.c)))
		goto out;
	ret = EXIT_RUNTIME;
	env.c.tf.mode = percpu_name(s.method);
	rows = calloc(s.ncpus, sizeof(*rows));
	if (!rows || sample_alloc(&first, s.ncpus) || sample_alloc(&prev, s.ncpus) ||
	    sample_alloc(&cur, s.ncpus)) {
		err_msg("out of memory");
		goto out;
	}
	signals_install();
	err = steal_sample(&s, &first);
	if (err) {
		err_msg("reading steal time: %s", strerror(-err));
		goto out;
	}
	sample_copy(&prev, &first, s.ncpus);
	fprintf(stderr, "Tracing steal time of %u CPUs (per-CPU data: %s)... Hit Ctrl-C to end.\n",
		s.ncpus, percpu_name(s.method));
	{
		struct steal_run r = { &s, &first, &prev, &cur, rows, &all };

		ret = report_loop(&env.c, cli_prom_interval_ns(&env.c), NULL, steal_report, &r);
	}
out:
	free(rows);
	sample_free(&first);
	sample_free(&prev);
	sample_free(&cur);
	steal_close(&s);
	return ret;
}

int cmd_hooks(int argc, char **argv)
{
	static const struct cli cli = { .name = "pvtrace hooks",
					.usage = "[OPTIONS] [INTERVAL [COUNT]]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt,
					.common = &env.c,
					.intervals = true };
	int ret;

	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	if (env.watch && env.steal) {
		err_msg("hooks: --watch and --steal are separate reports; pick one");
		goto usage;
	}
	ret = cli_common_check(&env.c, cli.name);
	if (ret)
		return ret;
	if (!env.watch && !env.steal && (env.c.interval_ns || env.c.duration_ns)) {
		err_msg("hooks: INTERVAL and --duration need --watch or --steal");
		goto usage;
	}
	if (nextra && env.steal) {
		err_msg("hooks: --call lists or watches static calls; it does not go with --steal");
		goto usage;
	}
	if (env.percpu && !env.steal) {
		err_msg("hooks: --percpu needs --steal");
		goto usage;
	}
	ret = env.steal ? steal_cmd() : list_or_watch();
	textfile_close(&env.c.tf);
	return ret;
usage:
	textfile_close(&env.c.tf);
	return EXIT_USAGE;
}

/* ------------------------------------------------------------------ */
/* pvtrace latency --steal-clock / --sched-clock                       */

static struct hlat_env {
	bool hook[2]; /* pv_steal_clock, pv_sched_clock */
	const char *function;
	struct cli_common c;
} lenv = { .c.unit = UNIT_US,
	   .c.modes = (1u << ATTACH_FENTRY) | (1u << ATTACH_KPROBE),
	   /* clock reads: le 16 ns .. 1 ms, x2 */
	   .c.default_buckets = { 4, 20, 1 } };

static const char *const lat_hooks[2] = { "pv_steal_clock", "pv_sched_clock" };

enum {
	LOPT_STEAL = 0x100,
	LOPT_SCHED,
	LOPT_FUNCTION,
};

static const char ldoc[] =
	"Latency histograms of the function a paravirt static call calls now\n"
	"(pv_steal_clock: kvm_steal_clock, native_steal_clock, ...; pv_sched_clock:\n"
	"kvm_sched_clock_read, native_sched_clock, ...), found as `pvtrace hooks` does.\n"
	"\n"
	"Examples:\n"
	"  pvtrace latency --steal-clock                # until Ctrl-C, then one report\n"
	"  pvtrace latency --steal-clock --sched-clock 1 10\n"
	"  pvtrace latency --steal-clock -d 10s --json\n"
	"\n"
	"Attach modes: fentry/fexit, else kprobe/kretprobe (no tracepoint exists for these).\n"
	"Many targets are noinstr (native_sched_clock, kvm_sched_clock_read, ...): neither\n"
	"ftrace nor kprobes may touch them. A target that cannot be traced is reported\n"
	"with the reason, per function, and the others are traced.\n"
	"--function FUNC times FUNC with the same programs instead of the hook's target\n"
	"(for checking the tracer where the target is never called).\n"
	"Exit status: 0 when at least one requested target was traced, 1 when none could\n"
	"be (each reason on its own line) or on a runtime error, 2 usage error.";

static const struct cli_opt lopts[] = {
	{ "steal-clock", LOPT_STEAL, NULL, "Time pv_steal_clock's current target" },
	{ "sched-clock", LOPT_SCHED, NULL, "Time pv_sched_clock's current target" },
	CLI_OPT_DURATION,
	CLI_OPT_UNIT("us"),
	CLI_OPT_JSON(HLAT_SCHEMA),
	CLI_OPT_PROM,
	CLI_OPT_MODE("fentry or kprobe"),
	{ "function", LOPT_FUNCTION, "FUNC", "Time FUNC instead of the target (one hook)" },
	CLI_OPT_VERBOSE,
	{ NULL, 0, NULL, NULL },
};

static int lparse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	(void)ctx;
	switch (key) {
	case LOPT_STEAL:
		lenv.hook[0] = true;
		break;
	case LOPT_SCHED:
		lenv.hook[1] = true;
		break;
	case LOPT_FUNCTION:
		if (!*arg || strlen(arg) > 120 || strpbrk(arg, " \t\n/")) {
			snprintf(err, len, "invalid function name '%s'", arg);
			return -1;
		}
		lenv.function = arg;
		break;
	default:
		return CLI_UNHANDLED;
	}
	return 0;
}

struct traced {
	const char *hook;
	char target[128];
	uint64_t addr;
	bool ok;
	char why[768];
	enum attach_mode mode;
	struct hooklat_bpf *skel;
	struct bpf_link *entry, *exit;
	struct hist_set hs;
	uint64_t stats[HOOKS_STAT_MAX];
	/* for try_attach */
	const struct btf *btf;
	bool module; /* --function FUNC lives in a module */
};

/* Is func in available_filter_functions? 1 yes, 0 no, -1 cannot tell. */
static int ftrace_listed(const char *func)
{
	char path[256], line[512];
	size_t n = strlen(func);
	int found = 0;
	bool mounted;
	FILE *f;

	if (tracefs_ensure(&mounted, line, sizeof(line)))
		return -1;
	snprintf(path, sizeof(path), "%s/available_filter_functions", tracefs_dir());
	f = fopen(path, "re");
	if (!f) {
		tracefs_release(mounted);
		return -1;
	}
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, func, n) &&
			(line[n] == '\n' || line[n] == ' ' || line[n] == '\t' || !line[n]);
	fclose(f);
	tracefs_release(mounted);
	return found;
}

static int try_attach(void *arg, enum attach_mode m, char *why, size_t len)
{
	struct traced *t = arg;
	struct hooklat_bpf *s;
	struct bpf_program *entry, *exit;
	int e;

	s = hooklat_bpf__open();
	if (!s) {
		snprintf(why, len, "%s: cannot open BPF object: %s", attach_mode_name(m),
			 strerror(errno));
		return -1;
	}
	entry = m == ATTACH_FENTRY ? s->progs.hook_fentry : s->progs.hook_kprobe;
	exit = m == ATTACH_FENTRY ? s->progs.hook_fexit : s->progs.hook_kretprobe;
	bpf_program__set_autoload(s->progs.hook_fentry, m == ATTACH_FENTRY);
	bpf_program__set_autoload(s->progs.hook_fexit, m == ATTACH_FENTRY);
	bpf_program__set_autoload(s->progs.hook_kprobe, m == ATTACH_KPROBE);
	bpf_program__set_autoload(s->progs.hook_kretprobe, m == ATTACH_KPROBE);
	e = 0;
	if (m == ATTACH_FENTRY) {
		e = bpf_program__set_attach_target(entry, 0, t->target);
		if (!e)
			e = bpf_program__set_attach_target(exit, 0, t->target);
	}
	if (!e)
		e = hooklat_bpf__load(s);
	/* exit first: a call caught only at its exit is counted, never mis-timed */
	if (!e) {
		t->exit = m == ATTACH_FENTRY ? bpf_program__attach(exit)
					     : bpf_program__attach_kprobe(exit, true, t->target);
		e = t->exit ? 0 : -errno;
	}
	if (!e) {
		t->entry = m == ATTACH_FENTRY ? bpf_program__attach(entry)
					      : bpf_program__attach_kprobe(entry, false, t->target);
		e = t->entry ? 0 : -errno;
	}
	/* explain a failed fentry (reading the ftrace list is slow, so only then) */
	if (e && m == ATTACH_FENTRY && t->btf &&
	    btf__find_by_name_kind(t->btf, t->target, BTF_KIND_FUNC) < 0 && !t->module)
		snprintf(why, len, "fentry: %s has no BTF (FUNC) in vmlinux", t->target);
	else if (e && m == ATTACH_FENTRY && ftrace_listed(t->target) == 0)
		snprintf(why, len,
			 "fentry: %s is not in available_filter_functions (notrace or inlined: "
			 "no ftrace site)",
			 t->target);
	else if (e)
		snprintf(why, len, "%s: %s (%s)", attach_mode_name(m),
			 *libbpf_last_error() ? libbpf_last_error() : "load/attach failed",
			 strerror(-e));
	if (e) {
		bpf_link__destroy(t->entry);
		bpf_link__destroy(t->exit);
		t->entry = t->exit = NULL;
		hooklat_bpf__destroy(s);
		return -1;
	}
	t->skel = s;
	return 0;
}

static void traced_close(struct traced *t)
{
	bpf_link__destroy(t->entry); /* entries stop first, pending exits still complete */
	bpf_link__destroy(t->exit);
	hooklat_bpf__destroy(t->skel);
	hist_set_free(&t->hs);
	t->entry = t->exit = NULL;
	t->skel = NULL;
}

static const char *const hstat_names[HOOKS_STAT_MAX] = {
	[HOOKS_STAT_DEPTH] = "nested_too_deep",
	[HOOKS_STAT_NO_ENTRY] = "exit_without_entry",
	[HOOKS_STAT_HIST_FULL] = "hist_missing",
};

/* Find the hook's target and decide whether it can be traced; attach if so. */
static void trace_one(struct hooks_ctx *c, struct traced *t, const struct btf *btf)
{
	struct attach_target at = { 0 };
	struct hook *h = hook_get(c, t->hook, false);

	if (!h) {
		snprintf(t->why, sizeof(t->why), "kernel has no %s static call (no %s%s)", t->hook,
			 SCT, t->hook);
		return;
	}
	if (lenv.function) {
		const struct ksym *k = ksyms_by_name(c->ks, lenv.function);

		snprintf(t->target, sizeof(t->target), "%s", lenv.function);
		t->module = k && k->module;
	} else {
		snprintf(t->target, sizeof(t->target), "%s", h->target_name);
		t->addr = h->target;
		if (h->null || h->from == METHOD_NONE || !h->target) {
			snprintf(t->why, sizeof(t->why), "%s: no function to trace (%s)", t->hook,
				 h->target_name);
			return;
		}
		if (strchr(t->target, '+')) {
			snprintf(t->why, sizeof(t->why),
				 "%s points inside a function (%s), not at a symbol", t->hook,
				 h->target_name);
			return;
		}
		if (in_noinstr(c, t->addr)) {
			snprintf(t->why, sizeof(t->why),
				 "%s is noinstr (in .noinstr.text): ftrace, fentry and kprobes "
				 "never touch it",
				 h->target_name);
			return;
		}
	}
	t->btf = btf;
	at.func = t->target;
	if (attach_select(&at, lenv.c.mode, try_attach, t, &t->mode, t->why, sizeof(t->why)))
		return;
	t->ok = true;
	if (hist_set_init(&t->hs, sizeof(__u32), NULL)) {
		t->ok = false;
		snprintf(t->why, sizeof(t->why), "out of memory");
	}
}

static const struct hist_data *hook_hist(struct traced *t, bool interval_mode)
{
	static struct hist_data empty;

	if (!t->hs.n) {
		hist_data_init(&empty);
		return &empty;
	}
	return interval_mode ? &t->hs.s[0].interval : &t->hs.s[0].cum;
}

static void lprint_text(struct traced *t, int nt, bool interval_mode)
{
	if (interval_mode) {
		char ts[16];
		time_t now = time(NULL);

		strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
		printf("\n%s\n", ts);
	}
	for (int i = 0; i < nt; i++) {
		if (!t[i].ok) {
			printf("\n%s -> %s: not traced: %s\n", t[i].hook,
			       t[i].target[0] ? t[i].target : "?", t[i].why);
			continue;
		}
		printf("\n%s -> %s (mode: %s)\n", t[i].hook, t[i].target,
		       attach_mode_name(t[i].mode));
		text_print_hist(stdout, hook_hist(&t[i], interval_mode), lenv.c.unit);
	}
	fflush(stdout);
}

static void lprint_json(struct traced *t, int nt, bool interval_mode, uint64_t index,
			uint64_t interval_ns, bool final)
{
	json_object *d = json_doc_new(HLAT_SCHEMA, "report", true), *arr = json_object_new_array();
	json_object *st = json_object_new_object();

	json_object_object_add(d, "unit", json_object_new_string("ns"));
	json_object_object_add(d, "interval_index", json_u64(index));
	json_object_object_add(d, "interval_ns", json_u64(interval_ns));
	json_object_object_add(d, "cumulative", json_object_new_boolean(!interval_mode));
	json_object_object_add(d, "final", json_object_new_boolean(final));
	for (int i = 0; i < nt; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "hook", json_object_new_string(t[i].hook));
		json_object_object_add(o, "target",
				       t[i].target[0] ? json_object_new_string(t[i].target) : NULL);
		json_object_object_add(o, "traced", json_object_new_boolean(t[i].ok));
		if (t[i].ok) {
			json_object_object_add(o, "mode",
					       json_object_new_string(attach_mode_name(t[i].mode)));
			json_object_object_add(o, "histogram",
					       json_hist(hook_hist(&t[i], interval_mode)));
		} else {
			json_object_object_add(o, "reason", json_object_new_string(t[i].why));
		}
		json_object_array_add(arr, o);
	}
	json_object_object_add(d, "hooks", arr);
	for (int k = 0; k < HOOKS_STAT_MAX; k++) {
		uint64_t sum = 0;

		for (int i = 0; i < nt; i++)
			sum += t[i].stats[k];
		json_object_object_add(st, hstat_names[k], json_u64(sum));
	}
	json_object_object_add(d, "dropped", st);
	json_print_line(stdout, d);
	json_object_put(d);
}

struct hlat_run {
	struct traced *t;
	int nt;
};

static void lprom_fill(struct prom_writer *w, void *arg)
{
	static const char *metric = "pvtrace_paravirt_hook_duration_seconds";
	const struct hlat_run *r = arg;
	struct traced *t = r->t;
	int nt = r->nt;

	prom_family(w, "pvtrace_paravirt_hook_traced", "gauge",
		    "1 when the hook's current target is traced, 0 when it cannot be");
	for (int i = 0; i < nt; i++)
		prom_sample(w, "pvtrace_paravirt_hook_traced",
			    (struct prom_label[]){
				    { "hook", t[i].hook },
				    { "target", t[i].target[0] ? t[i].target : "?" },
				    { "mode", t[i].ok ? attach_mode_name(t[i].mode) : "none" } },
			    3, t[i].ok ? "1" : "0");
	prom_family(w, metric, "histogram",
		    "Latency of a paravirt static call's target in seconds, since pvtrace started");
	for (int i = 0; i < nt; i++)
		if (t[i].ok)
			prom_hist(w, metric,
				  (struct prom_label[]){ { "hook", t[i].hook },
							 { "target", t[i].target } },
				  2, hook_hist(&t[i], false));
}

static int hlat_report(void *arg, const struct tick *tk)
{
	struct hlat_run *r = arg;
	struct traced *t = r->t;
	int err;

	for (int i = 0; i < r->nt; i++) {
		if (!t[i].ok)
			continue;
		tick_close_epoch(&t[i].skel->data->epoch, tk);
		err = hist_set_read(&t[i].hs, bpf_map__fd(t[i].skel->maps.hists), tk->epoch);
		if (err) {
			err_msg("reading histograms: %s", strerror(-err));
			return -1;
		}
		for (int k = 0; k < HOOKS_STAT_MAX; k++)
			t[i].stats[k] = percpu_u64_sum(bpf_map__fd(t[i].skel->maps.stats), k,
						       t[i].hs.ncpus);
	}
	if (tk->interval || tk->final) {
		if (lenv.c.json)
			lprint_json(t, r->nt, tk->interval, tk->index, tk->span_ns, tk->final);
		else
			lprint_text(t, r->nt, tk->interval);
	}
	if (out_flush_check(stdout))
		return -1;
	textfile_write(&lenv.c.tf, lprom_fill, r);
	for (int i = 0; i < r->nt; i++)
		if (t[i].ok)
			hist_set_next_interval(&t[i].hs);
	return 0;
}

int hooks_latency_cmd(int argc, char **argv)
{
	static const struct cli cli = {
		.name = "pvtrace latency",
		.usage = "--steal-clock|--sched-clock [OPTIONS] [INTERVAL [COUNT]]",
		.doc = ldoc,
		.opts = lopts,
		.opt = lparse_opt,
		.common = &lenv.c,
		.intervals = true
	};
	struct hooks_ctx c = { 0 };
	struct traced t[2];
	struct btf *btf = NULL;
	int nt = 0, ntraced = 0, ret;

	memset(t, 0, sizeof(t));
	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	if (!lenv.hook[0] && !lenv.hook[1]) {
		err_msg("latency: say what to measure: --steal-clock or --sched-clock");
		return EXIT_USAGE;
	}
	if (lenv.function && lenv.hook[0] && lenv.hook[1]) {
		err_msg("latency: --function replaces one hook's target; give one hook");
		return EXIT_USAGE;
	}
	ret = cli_common_check(&lenv.c, cli.name);
	if (ret)
		return ret;
	if (check_caps())
		return EXIT_RUNTIME;
	libbpf_setup_logging();
	btf = btf__load_vmlinux_btf();
	ret = hooks_setup(&c, btf);
	if (ret)
		goto out;
	/* the reader is not needed once the targets are known */
	bpf_link__destroy(c.reader_link);
	hooks_bpf__destroy(c.reader);
	c.reader_link = NULL;
	c.reader = NULL;
	ret = EXIT_RUNTIME;
	for (int i = 0; i < 2; i++) {
		if (!lenv.hook[i])
			continue;
		t[nt].hook = lat_hooks[i];
		trace_one(&c, &t[nt], btf);
		ntraced += t[nt].ok;
		nt++;
	}
	btf__free(btf);
	btf = NULL;
	attach_release_tracefs();
	for (int i = 0; i < nt; i++)
		if (!t[i].ok)
			(ntraced ? warn_msg : err_msg)("cannot trace %s -> %s: %s", t[i].hook,
						       t[i].target[0] ? t[i].target : "?",
						       t[i].why);
	if (!ntraced) {
		if (lenv.c.json)
			lprint_json(t, nt, false, 0, 0, true);
		goto out;
	}
	if (drop_all_caps())
		warn_msg("could not drop capabilities: %s", strerror(errno));
	if ((ret = cli_textfile_ready(&lenv.c)))
		goto out;
	signals_install();
	fprintf(stderr, "Tracing");
	for (int i = 0, first = 1; i < nt; i++)
		if (t[i].ok) {
			fprintf(stderr, "%s %s -> %s (mode: %s)", first ? "" : ",", t[i].hook,
				t[i].target, attach_mode_name(t[i].mode));
			first = 0;
		}
	fprintf(stderr, "... Hit Ctrl-C to end.\n");

	ret = 0;
	ret = report_loop(&lenv.c, cli_prom_interval_ns(&lenv.c), NULL, hlat_report,
			  &(struct hlat_run){ t, nt });
	for (int i = 0; i < nt; i++)
		for (int k = 0; k < HOOKS_STAT_MAX; k++)
			if (t[i].stats[k])
				warn_msg("%s: %" PRIu64 " calls not timed: %s", t[i].target,
					 t[i].stats[k], hstat_names[k]);
out:
	btf__free(btf);
	for (int i = 0; i < nt; i++)
		traced_close(&t[i]);
	attach_release_tracefs();
	hooks_ctx_free(&c);
	textfile_close(&lenv.c.tf);
	return ret;
}
