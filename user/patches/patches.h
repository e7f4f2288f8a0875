/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pvtrace patches: what its files share. cmd.c (options, --dump), inventory.c (the
 * vmlinux's sites), live.c (the running text at each), text.c and json.c (reports),
 * watch.c (--watch, text pokes).
 */
#ifndef PVTRACE_PATCHES_PATCHES_H
#define PVTRACE_PATCHES_PATCHES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "cli.h"
#include "kelf.h"
#include "kmem.h"
#include "patches/altmodel.h"
#include "patches/tables.h"

#define PATCHES_SCHEMA "pvtrace.patches/1"

enum read_mode { READ_AUTO, READ_KCORE, READ_BPF };

struct patches_opts {
	const char *vmlinux, *release;
	bool live, watch, sites;
	const char *feature, *function, *dump;
	uint64_t top;
	enum read_mode read;
	struct cli_common c;
};

/* --- inventory.c: the vmlinux's tables ---------------------------------------------- */

struct inv {
	char path[4096];
	struct kelf k;
	struct kelf_features f;
	struct btf *btf;
	const char *btf_origin; /* "the ELF's .BTF" or "the running kernel" */
	bool running;		/* the ELF is the running kernel (build id) */
	/* "build id X, running kernel Y": two hex ids of the longest build id kelf keeps */
	char running_why[sizeof("build id , running kernel ") +
			 4 * sizeof(((struct kelf *)0)->build_id)];
	struct kelf_alt_layout layout;
	struct kelf_alts alts;
	struct kelf_alt_site *sites;
	size_t nsites;
	struct kelf_feat_sum *fs;
	size_t nfs;
	struct kelf_func_sum *fn;
	size_t nfn;
	size_t in_repl_sec, ndirect, nnot, nfuncs;
	struct kelf_scall *scalls;
	size_t nscalls;
	size_t nscall_keys, nscall_tails; /* distinct keys, tail calls */
	bool has_para;
	struct kelf_para_layout play;
	struct kelf_para *paras;
	size_t nparas;
	uint64_t init_begin, init_end; /* freed after boot */
	uint64_t text, etext;
};

/* 0, or the exit status with a message in err */
int inv_load(struct inv *v, const struct patches_opts *o, char *err, size_t len);
void inv_free(struct inv *v);
/* the site passes --feature (feat, -1 none) and --function (NULL none) */
bool inv_site_wanted(const struct inv *v, const struct kelf_alt_site *s, int feat,
		     const char *function);
/* in text freed after boot */
bool inv_is_freed(const struct inv *v, uint64_t a);
const char *inv_func_str(const struct inv *v, uint64_t a, char *buf, size_t len);
const char *inv_entry_str(const struct inv *v, const struct kelf_alt *e, char *buf, size_t len);
/* A DIRECT_CALL site's pv_ops slot (call *disp(%rip)): link address and member name. */
bool inv_pv_slot(const struct inv *v, const struct kelf_alt_site *s, uint64_t *slot, char *name,
		 size_t len);
const char *inv_key_name(const struct inv *v, uint64_t key);
int patches_cmp_u64(const void *a, const void *b);

/* --- live.c: the running kernel's text at each site -------------------------------- */

enum { LV_FREED = -1, LV_UNREAD = -2, LV_NEITHER = -3 };

struct site_live {
	int variant;	  /* >= 0: the variant run (0 original, i: entry i), or LV_* */
	int expected;	  /* from the feature bits, -1 unknown */
	uint32_t matches; /* bit per variant whose bytes equal the live text */
	bool consistent;
	uint8_t bytes[ALT_MAX_LEN];
	char why[128];
	uint64_t pv_target; /* DIRECT_CALL: the pv_ops slot's value */
};

struct scall_live {
	int state; /* 0 ok, LV_FREED, LV_UNREAD, LV_NEITHER */
	uint8_t bytes[6];
	uint64_t func; /* key's current target */
	char what[160];
};

struct live {
	struct kmem r;
	int64_t kaslr;
	bool have_caps;
	uint32_t caps[64];
	unsigned ncaps;
	char caps_src[160];
	int up; /* 1 uniprocessor lock prefixes, 0 SMP, -1 no .smp_locks */
	enum kmem_method method;
	uint64_t reads;
	uint64_t *rets;
	size_t nrets;
	int rethunk;
	uint64_t ret_thunk, return_thunk, its_thunk;
	size_t locks_checked;
	uint64_t *locks;
	size_t nlocks;
	struct site_live *sl;
	struct scall_live *cl;
	size_t n_freed, n_unread, n_neither, n_ambiguous, n_consistent, n_inconsistent;
	size_t n_by_variant[2]; /* original, a replacement */
	size_t sc_ok, sc_bad, sc_freed, sc_unread;
};

/* Open the kernel memory reader --read asks for (kcore first where it exists). */
int reader_open(struct kmem *m, enum read_mode want, char *err, size_t len);
int live_run(const struct inv *v, struct live *L, enum read_mode read, char *err, size_t len);
void live_free(struct live *L);
bool live_cap_set(const struct live *L, unsigned bit);

/* --- reports and streams ---------------------------------------------------------- */

void print_text(const struct inv *v, const struct live *L, const struct patches_opts *o);
void print_json(const struct inv *v, const struct live *L, const struct patches_opts *o);
int do_watch(const struct patches_opts *o);

#endif
