/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the files of the hooks capability share: the static calls found in the
 * running kernel and their targets (calls.c, read by reader.c), the options of
 * `pvtrace hooks` (hooks.c) and its two reports, the listing and --watch
 * (list.c) and --steal (steal.c). `pvtrace latency --steal-clock/--sched-clock`
 * (hooklat.c) finds its targets with calls.c too.
 */
#ifndef PVTRACE_HOOKS_INT_H
#define PVTRACE_HOOKS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "hooks.h"
#include "cli.h"
#include "kmem.h"
#include "ksyms.h"
#include "output.h"

#define HOOKS_SCHEMA	"pvtrace.hooks/2"
#define HOOKS_MAX_READS 16 /* trampoline and key of each hook, in one read */
#define MAX_HOOKS	(HOOKS_MAX_READS / 2)
#define SCT		"__SCT__"
#define SCK		"__SCK__"
#define HOOK_PREFIX	"pv_"
#define MAX_EXTRA	4 /* --call NAME */

/* ------------------------------------------------------------------ */
/* pvtrace hooks: options (hooks.c)                                    */

#define PERCPU_PROCFS 3

struct hooks_env {
	bool watch;
	bool steal;
	int percpu;		      /* 0 auto, enum hooks_percpu, or PERCPU_PROCFS */
	const char *extra[MAX_EXTRA]; /* --call NAME: more static calls to show */
	int nextra;
	struct cli_common c;
};

/* The listing and --watch (list.c), --steal (steal.c): an exit status. */
int hooks_list_or_watch(struct hooks_env *e);
int hooks_steal_cmd(struct hooks_env *e);

/* ------------------------------------------------------------------ */
/* Static calls and their targets (calls.c)                            */

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
	bool data_syms;		  /* kallsyms lists data symbols (any __SCK__ or per-CPU var) */
	const char *const *extra; /* --call names, besides the pv_ ones */
	int nextra;
	struct kmem mem; /* the target reader: BPF (a test run, else a task iterator) */
	bool mem_open;
	uint32_t func_off; /* offsetof(struct static_call_key, func), from BTF */
};

/*
 * Check privileges, discover the static calls (pv_* and c->extra), open the
 * reader, read the targets once. Returns 0 or an exit status (after a message).
 */
int hooks_setup(struct hooks_ctx *c);
/* Read every hook's trampoline text and key again; 0 or -errno. */
int hooks_read_targets(struct hooks_ctx *c);
/* The reader alone: the targets stay. */
void hooks_reader_drop(struct hooks_ctx *c);
void hooks_ctx_free(struct hooks_ctx *c);

struct hook *hook_get(struct hooks_ctx *c, const char *name, bool add);
bool hooks_in_noinstr(const struct hooks_ctx *c, uint64_t addr);
const char *hooks_method_name(enum read_method m);
const char *hooks_insn_name(const struct tramp_insn *i);
/* Why the key or the trampoline text of a hook could not be read, or NULL. */
const char *hooks_key_why(const struct hooks_ctx *c, const struct hook *h, char *buf, size_t len);
const char *hooks_text_why(const struct hook *h, char *buf, size_t len);

/* A kernel address as hooks shows it: name[+0xOFF], 0x... when unknown. */
static inline const char *hooks_sym(const struct ksyms *ks, uint64_t a, char *buf, size_t len)
{
	return ksyms_describe(ks, a, SYM_HEX_UNKNOWN, buf, len);
}

/* Root, or CAP_BPF and CAP_PERFMON: 0, or -1 after a message. */
int hooks_check_caps(void);

/* A pvtrace.hooks document of this kind. */
json_object *hooks_doc_new(const char *kind);

/* ------------------------------------------------------------------ */
/* vmlinux BTF, read in pieces (hbtf.c): 0 or -errno unless said      */

/* cb for each VAR whose name starts with prefix. */
int hbtf_vars(const char *prefix, void (*cb)(void *ctx, const char *name), void *ctx);
/* 1 when name is a FUNC, 0 when not, -errno when that cannot be read. */
int hbtf_has_func(const char *name);

struct hbtf_percpu {
	uint64_t rq, cpustat, st; /* offsets in .data..percpu (0 when absent) */
	bool has_rq, has_cpustat; /* runqueues, kernel_cpustat found */
	bool fair_group;	  /* task_group.cfs_rq and cfs_rq.rq exist */
};
/* Per-CPU section offsets of runqueues, kernel_cpustat, steal_time. */
int hbtf_percpu(struct hbtf_percpu *o);
/* Byte offset of a direct member of a struct: 0, -ENOENT or -errno. */
int hbtf_member_offset(const char *sname, const char *member, uint32_t *off);

#endif
