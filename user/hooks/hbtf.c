// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The few facts the hooks commands take from vmlinux BTF, read in pieces with
 * kbtf (streaming passes over /sys/kernel/btf/vmlinux, one type at a time)
 * instead of a libbpf copy of the whole BTF next to the one libbpf makes when
 * it loads a skeleton: __SCK__ variables, per-CPU section offsets, two struct
 * members, whether a function has BTF.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hooks_int.h"
#include "kbtf.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/* ------------------------------------------------------------------ */
/* Variables by name prefix                                            */

struct var_scan {
	const struct kbtf *k;
	const char *prefix;
	void (*cb)(void *ctx, const char *name);
	void *ctx;
};

static int on_var(void *arg, __u32 id, const struct btf_type *t)
{
	struct var_scan *v = arg;
	char name[128];

	(void)id;
	if (BTF_INFO_KIND(t->info) != BTF_KIND_VAR ||
	    kbtf_name(v->k, NULL, t->name_off, name, sizeof(name)))
		return 0;
	if (!strncmp(name, v->prefix, strlen(v->prefix)))
		v->cb(v->ctx, name);
	return 0;
}

int hbtf_vars(const char *prefix, void (*cb)(void *ctx, const char *name), void *ctx)
{
	struct kbtf k;
	struct var_scan v = { &k, prefix, cb, ctx };
	int e = kbtf_open(&k, VMLINUX_BTF, NULL);

	if (e)
		return e;
	e = kbtf_index(&k, on_var, &v);
	kbtf_close(&k);
	return e;
}

/* ------------------------------------------------------------------ */
/* A function's BTF                                                    */

struct func_scan {
	__u32 name_off;
	bool found;
};

static int on_func(void *arg, __u32 id, const struct btf_type *t)
{
	struct func_scan *f = arg;

	(void)id;
	if (BTF_INFO_KIND(t->info) == BTF_KIND_FUNC && t->name_off == f->name_off)
		f->found = true;
	return f->found; /* nonzero stops the pass */
}

int hbtf_has_func(const char *name)
{
	struct func_scan f = { 0 };
	struct kbtf k;
	int e = kbtf_open(&k, VMLINUX_BTF, NULL);

	if (e)
		return e;
	e = kbtf_find_strs(&k, &name, 1, &f.name_off);
	if (!e && f.name_off)
		e = kbtf_index(&k, on_func, &f);
	kbtf_close(&k);
	return e ? e : f.found;
}

/* ------------------------------------------------------------------ */
/* Per-CPU variables and the runqueue path                             */

enum {
	S_PERCPU, /* the .data..percpu DATASEC */
	S_RQ,	  /* VARs: runqueues, kernel_cpustat, steal_time */
	S_CPUSTAT,
	S_ST,
	S_TG, /* STRUCTs: task_group, cfs_rq; members cfs_rq, rq */
	S_CFS_RQ,
	S_MEMBER_RQ,
	S_MAX,
};

#define MAX_VARS 16

struct percpu_scan {
	__u32 str[S_MAX];
	__u32 datasec;	     /* first DATASEC .data..percpu */
	__u32 tg, cfs_rq;    /* first STRUCT of the name */
	__u32 var[MAX_VARS]; /* VARs of one of the three names */
	int var_kind[MAX_VARS], nvar;
};

static int on_percpu(void *arg, __u32 id, const struct btf_type *t)
{
	struct percpu_scan *p = arg;
	int kind = BTF_INFO_KIND(t->info);

	if (!t->name_off)
		return 0;
	if (kind == BTF_KIND_DATASEC && t->name_off == p->str[S_PERCPU] && !p->datasec)
		p->datasec = id;
	else if (kind == BTF_KIND_STRUCT && t->name_off == p->str[S_TG] && !p->tg)
		p->tg = id;
	else if (kind == BTF_KIND_STRUCT && t->name_off == p->str[S_CFS_RQ] && !p->cfs_rq)
		p->cfs_rq = id;
	else if (kind == BTF_KIND_VAR && p->nvar < MAX_VARS)
		for (int s = S_RQ; s <= S_ST; s++)
			if (t->name_off == p->str[s]) {
				p->var[p->nvar] = id;
				p->var_kind[p->nvar++] = s;
			}
	return 0;
}

/* The type behind typedefs and qualifiers, read from the file (*t malloc'ed). */
static int read_skip_mods(const struct kbtf *k, __u32 id, struct btf_type **t)
{
	for (int depth = 0; depth < 32; depth++) {
		int kind, e = kbtf_read_type(k, id, t);

		if (e)
			return e;
		kind = BTF_INFO_KIND((*t)->info);
		if (kind != BTF_KIND_TYPEDEF && kind != BTF_KIND_CONST &&
		    kind != BTF_KIND_VOLATILE && kind != BTF_KIND_RESTRICT &&
		    kind != BTF_KIND_TYPE_TAG)
			return 0;
		id = (*t)->type;
		free(*t);
		*t = NULL;
	}
	return -ELOOP;
}

/* A member named name_off in struct/union id, descending into anonymous members. */
static bool has_member(const struct kbtf *k, __u32 id, __u32 name_off, int depth)
{
	struct btf_type *t = NULL;
	bool found = false;

	if (!id || !name_off || depth > 8 || read_skip_mods(k, id, &t)) {
		free(t);
		return false;
	}
	if (BTF_INFO_KIND(t->info) == BTF_KIND_STRUCT || BTF_INFO_KIND(t->info) == BTF_KIND_UNION) {
		const struct btf_member *m = (const void *)(t + 1);

		for (__u32 i = 0; !found && i < BTF_INFO_VLEN(t->info); i++)
			found = m[i].name_off == name_off ||
				(!m[i].name_off && has_member(k, m[i].type, name_off, depth + 1));
	}
	free(t);
	return found;
}

/* Offsets of the three per-CPU variables in the DATASEC (last of a name wins). */
static int percpu_vars(const struct kbtf *k, const struct percpu_scan *p, struct hbtf_percpu *o)
{
	struct btf_type *t = NULL;
	const struct btf_var_secinfo *vs;
	int e;

	if (!p->datasec)
		return 0;
	e = kbtf_read_type(k, p->datasec, &t);
	if (e)
		return e;
	vs = (const void *)(t + 1);
	for (__u32 i = 0; i < BTF_INFO_VLEN(t->info); i++, vs++)
		for (int j = 0; j < p->nvar; j++) {
			if (vs->type != p->var[j])
				continue;
			if (p->var_kind[j] == S_RQ) {
				o->rq = vs->offset;
				o->has_rq = true;
			} else if (p->var_kind[j] == S_CPUSTAT) {
				o->cpustat = vs->offset;
				o->has_cpustat = true;
			} else {
				o->st = vs->offset;
			}
		}
	free(t);
	return 0;
}

int hbtf_percpu(struct hbtf_percpu *o)
{
	static const char *const names[S_MAX] = {
		".data..percpu", "runqueues", "kernel_cpustat", "steal_time", "task_group",
		"cfs_rq",	 "rq",
	};
	struct percpu_scan p = { 0 };
	struct kbtf k;
	int e;

	memset(o, 0, sizeof(*o));
	e = kbtf_open(&k, VMLINUX_BTF, NULL);
	if (e)
		return e;
	e = kbtf_find_strs(&k, names, S_MAX, p.str);
	if (!e)
		e = kbtf_index(&k, on_percpu, &p);
	if (!e)
		e = percpu_vars(&k, &p, o);
	if (!e)
		o->fair_group = has_member(&k, p.tg, p.str[S_CFS_RQ], 0) &&
				has_member(&k, p.cfs_rq, p.str[S_MEMBER_RQ], 0);
	kbtf_close(&k);
	return e;
}

/* ------------------------------------------------------------------ */
/* A struct member's offset                                            */

struct struct_scan {
	__u32 name_off;
	__u32 id;
};

static int on_struct(void *arg, __u32 id, const struct btf_type *t)
{
	struct struct_scan *s = arg;

	if (BTF_INFO_KIND(t->info) == BTF_KIND_STRUCT && t->name_off == s->name_off)
		s->id = id;
	return s->id != 0;
}

int hbtf_member_offset(const char *sname, const char *member, uint32_t *off)
{
	const char *const names[2] = { sname, member };
	__u32 str[2] = { 0 };
	struct struct_scan sc = { 0 };
	struct btf_type *t = NULL;
	struct kbtf k;
	int e = kbtf_open(&k, VMLINUX_BTF, NULL);

	if (e)
		return e;
	e = kbtf_find_strs(&k, names, 2, str);
	sc.name_off = str[0];
	if (!e && (!str[0] || !str[1]))
		e = -ENOENT;
	if (!e)
		e = kbtf_index(&k, on_struct, &sc);
	if (!e && !sc.id)
		e = -ENOENT;
	if (!e)
		e = kbtf_read_type(&k, sc.id, &t);
	if (!e) {
		const struct btf_member *m = (const void *)(t + 1);
		bool kflag = BTF_INFO_KFLAG(t->info);

		e = -ENOENT;
		for (__u32 i = 0; i < BTF_INFO_VLEN(t->info); i++)
			if (m[i].name_off == str[1]) {
				*off = (kflag ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset) /
				       8;
				e = 0;
				break;
			}
	}
	free(t);
	kbtf_close(&k);
	return e;
}
