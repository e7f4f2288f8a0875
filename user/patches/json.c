// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace patches --json: the inventory document (patches.h). */
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "kbtf.h"
#include "output.h"
#include "patches/patches.h"

static json_object *json_variant(const struct inv *v, const struct kelf_alt_site *s, int var)
{
	json_object *o = json_object_new_object();

	if (var == 0) {
		json_object_object_add(o, "variant", json_object_new_string("original"));
	} else if (var > 0) {
		const struct kelf_alt *e = &v->alts.v[s->first + var - 1];
		char nb[48];

		json_object_object_add(o, "variant", json_object_new_string("replacement"));
		json_object_object_add(o, "entry", json_object_new_int(var - 1));
		json_object_object_add(o, "not", json_object_new_boolean(e->flags & ALT_FLAG_NOT));
		json_object_object_add(
			o, "feature",
			json_object_new_string(kelf_feature_name(&v->f, e->cpuid, nb, sizeof(nb))));
	} else {
		json_object_object_add(o, "variant",
				       json_object_new_string(var == LV_FREED	 ? "freed"
							      : var == LV_UNREAD ? "unreadable"
										 : "neither"));
	}
	return o;
}

static json_object *json_site(const struct inv *v, const struct live *L, size_t i)
{
	const struct kelf_alt_site *s = &v->sites[i];
	const struct kelf_sym *fs = s->func;
	json_object *o = json_object_new_object(), *es = json_object_new_array();
	char nb[48], h[2 * ALT_MAX_LEN + 1], pv[96];
	uint64_t slot;
	const struct kelf_sec *sec = kelf_sec_at(&v->k, s->addr);

	json_object_object_add(o, "addr", json_hex_u64(s->addr));
	json_object_object_add(o, "function", fs ? json_object_new_string(fs->name) : NULL);
	json_object_object_add(o, "offset", fs ? json_u64(s->addr - fs->addr) : NULL);
	/* false: past the symbol's size (code without a symbol of its own) */
	json_object_object_add(o, "in_function",
			       json_object_new_boolean(fs && (fs->type != STT_FUNC || !fs->size ||
							      s->addr - fs->addr < fs->size)));
	json_object_object_add(o, "section", json_object_new_string(sec ? sec->name : "?"));
	json_object_object_add(o, "len", json_object_new_int(s->len));
	json_object_object_add(o, "resident", json_object_new_boolean(!inv_is_freed(v, s->addr)));
	for (size_t j = 0; j < s->n; j++) {
		const struct kelf_alt *e = &v->alts.v[s->first + j];
		json_object *x = json_object_new_object();

		json_object_object_add(
			x, "feature",
			json_object_new_string(kelf_feature_name(&v->f, e->cpuid, nb, sizeof(nb))));
		json_object_object_add(x, "bit", json_object_new_int(e->cpuid));
		json_object_object_add(x, "cpuinfo",
				       e->cpuid < X86_MAX_FEATURE_BITS && v->f.cpuinfo[e->cpuid]
					       ? json_object_new_string(v->f.cpuinfo[e->cpuid])
					       : NULL);
		json_object_object_add(x, "not", json_object_new_boolean(e->flags & ALT_FLAG_NOT));
		json_object_object_add(x, "direct_call",
				       json_object_new_boolean(e->flags & ALT_FLAG_DIRECT_CALL));
		json_object_object_add(x, "flags", json_object_new_int(e->flags));
		json_object_object_add(x, "instrlen", json_object_new_int(e->instrlen));
		json_object_object_add(x, "replacementlen", json_object_new_int(e->repllen));
		json_object_object_add(x, "replacement", json_hex_u64(e->repl));
		json_object_array_add(es, x);
	}
	json_object_object_add(o, "entries", es);
	if (inv_pv_slot(v, s, &slot, pv, sizeof(pv))) {
		json_object_object_add(o, "pv_op", json_object_new_string(pv));
		json_object_object_add(o, "pv_slot", json_hex_u64(slot));
	}
	if (L && L->sl) {
		const struct site_live *sl = &L->sl[i];
		json_object *lv = json_variant(v, s, sl->variant), *m = json_object_new_array();

		if (sl->variant != LV_FREED)
			json_object_object_add(lv, "bytes",
					       json_object_new_string(hex_str(sl->bytes, s->len,
									      NULL, h, sizeof(h))));
		for (size_t var = 0; var <= s->n && var < 32; var++)
			if (sl->matches >> var & 1)
				json_object_array_add(m, json_object_new_int(var));
		json_object_object_add(lv, "matches", m);
		json_object_object_add(lv, "expected",
				       sl->expected >= 0 ? json_variant(v, s, sl->expected) : NULL);
		json_object_object_add(lv, "consistent",
				       sl->variant >= 0 && sl->expected >= 0
					       ? json_object_new_boolean(sl->consistent)
					       : NULL);
		if (sl->why[0] && sl->variant == LV_NEITHER)
			json_object_object_add(lv, "note", json_object_new_string(sl->why));
		if (sl->pv_target) {
			json_object_object_add(lv, "pv_target", json_hex_u64(sl->pv_target));
			json_object_object_add(
				lv, "pv_target_symbol",
				json_object_new_string(
					inv_func_str(v, sl->pv_target - L->kaslr, pv, sizeof(pv))));
		}
		json_object_object_add(o, "live", lv);
	}
	return o;
}

static void json_features(json_object *alt, const struct inv *v, const struct live *L)
{
	json_object *bf = json_object_new_array();
	char b[160];

	for (size_t i = 0; i < v->nfs; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "feature",
				       json_object_new_string(kelf_feature_name(&v->f, v->fs[i].bit,
										b, sizeof(b))));
		json_object_object_add(o, "bit", json_object_new_int(v->fs[i].bit));
		json_object_object_add(o, "entries", json_u64(v->fs[i].entries));
		json_object_object_add(o, "not", json_u64(v->fs[i].not_flag));
		json_object_object_add(o, "direct_call", json_u64(v->fs[i].direct_call));
		json_object_object_add(o, "functions", json_u64(v->fs[i].functions));
		if (L && L->sl) {
			size_t applied = 0;

			for (size_t j = 0; j < v->nsites; j++) {
				int var = L->sl[j].variant;

				applied +=
					var > 0 && v->alts.v[v->sites[j].first + var - 1].cpuid ==
							   v->fs[i].bit;
			}
			json_object_object_add(o, "applied", json_u64(applied));
		}
		json_object_array_add(bf, o);
	}
	json_object_object_add(alt, "by_feature", bf);
}

static json_object *json_alts(const struct inv *v, const struct live *L,
			      const struct patches_opts *o)
{
	json_object *alt = json_object_new_object(), *sites = json_object_new_array();
	json_object *bfn = json_object_new_array();
	int feat = o->feature ? kelf_feature_bit(&v->f, o->feature) : -1;

	json_object_object_add(alt, "entries", json_u64(v->alts.n));
	json_object_object_add(alt, "sites", json_u64(v->nsites));
	json_object_object_add(alt, "functions", json_u64(v->nfuncs));
	json_object_object_add(alt, "not", json_u64(v->nnot));
	json_object_object_add(alt, "direct_call", json_u64(v->ndirect));
	json_features(alt, v, L);
	for (size_t i = 0; i < v->nfn; i++) {
		json_object *f = json_object_new_object();

		json_object_object_add(f, "function", json_object_new_string(v->fn[i].name));
		json_object_object_add(f, "entries", json_u64(v->fn[i].entries));
		json_object_object_add(f, "sites", json_u64(v->fn[i].sites));
		json_object_object_add(f, "features", json_u64(v->fn[i].features));
		json_object_array_add(bfn, f);
	}
	json_object_object_add(alt, "by_function", bfn);
	for (size_t i = 0; i < v->nsites; i++)
		if (inv_site_wanted(v, &v->sites[i], feat, o->function))
			json_object_array_add(sites, json_site(v, L, i));
	json_object_object_add(alt, "site_list", sites);
	return alt;
}

static json_object *json_paras(const struct inv *v)
{
	json_object *p = json_object_new_object(), *pl = json_object_new_array();
	char b[160];

	json_object_object_add(p, "layout", json_object_new_string(v->play.source));
	for (size_t i = 0; i < v->nparas; i++) {
		json_object *o = json_object_new_object();
		char path[128] = "";

		if (v->btf)
			kbtf_member_path(v->btf, "paravirt_patch_template", v->paras[i].type * 8,
					 path, sizeof(path));
		json_object_object_add(o, "addr", json_hex_u64(v->paras[i].addr));
		json_object_object_add(
			o, "function",
			json_object_new_string(inv_func_str(v, v->paras[i].addr, b, sizeof(b))));
		json_object_object_add(o, "type", json_object_new_int(v->paras[i].type));
		json_object_object_add(o, "pv_op", path[0] ? json_object_new_string(path) : NULL);
		json_object_object_add(o, "len", json_object_new_int(v->paras[i].len));
		json_object_array_add(pl, o);
	}
	json_object_object_add(p, "sites", pl);
	return p;
}

static json_object *json_scall_live(const struct scall_live *c)
{
	json_object *lv = json_object_new_object();

	json_object_object_add(lv, "state",
			       json_object_new_string(c->state == LV_FREED    ? "freed"
						      : c->state == LV_UNREAD ? "unreadable"
						      : c->state == 0	      ? "ok"
									      : "mismatch"));
	if (c->state != LV_FREED && c->state != LV_UNREAD) {
		json_object_object_add(lv, "insn", json_object_new_string(c->what));
		json_object_object_add(lv, "key_func", json_hex_u64(c->func));
	}
	return lv;
}

static json_object *json_scalls(const struct inv *v, const struct live *L, const char *function)
{
	json_object *sc = json_object_new_object(), *scs = json_object_new_array();

	json_object_object_add(sc, "count", json_u64(v->nscalls));
	for (size_t i = 0; i < v->nscalls; i++) {
		json_object *o;
		const struct kelf_sym *fs = kelf_func_at(&v->k, v->scalls[i].addr);

		if (function && (!fs || strcmp(fs->name, function)))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "addr", json_hex_u64(v->scalls[i].addr));
		json_object_object_add(o, "function", fs ? json_object_new_string(fs->name) : NULL);
		json_object_object_add(o, "key",
				       json_object_new_string(inv_key_name(v, v->scalls[i].key)));
		json_object_object_add(o, "tail", json_object_new_boolean(v->scalls[i].tail));
		json_object_object_add(
			o, "resident",
			json_object_new_boolean(!inv_is_freed(v, v->scalls[i].addr)));
		if (L && L->cl)
			json_object_object_add(o, "live", json_scall_live(&L->cl[i]));
		json_object_array_add(scs, o);
	}
	json_object_object_add(sc, "sites", scs);
	return sc;
}

static json_object *json_live_summary(const struct inv *v, const struct live *L)
{
	json_object *sum = json_object_new_object();

	json_object_object_add(sum, "resident", json_u64(v->nsites - L->n_freed));
	json_object_object_add(sum, "freed", json_u64(L->n_freed));
	json_object_object_add(sum, "original", json_u64(L->n_by_variant[0]));
	json_object_object_add(sum, "replacement", json_u64(L->n_by_variant[1]));
	json_object_object_add(sum, "neither", json_u64(L->n_neither));
	json_object_object_add(sum, "ambiguous", json_u64(L->n_ambiguous));
	json_object_object_add(sum, "unreadable", json_u64(L->n_unread));
	json_object_object_add(sum, "consistent", L->have_caps ? json_u64(L->n_consistent) : NULL);
	json_object_object_add(sum, "inconsistent",
			       L->have_caps ? json_u64(L->n_inconsistent) : NULL);
	json_object_object_add(sum, "static_calls_ok", json_u64(L->sc_ok));
	json_object_object_add(sum, "static_calls_mismatch", json_u64(L->sc_bad));
	json_object_object_add(sum, "static_calls_unreadable", json_u64(L->sc_unread));
	return sum;
}

static json_object *json_live(const struct inv *v, const struct live *L)
{
	json_object *lv = json_object_new_object();
	char b[160];

	json_object_object_add(lv, "method", json_object_new_string(kmem_method_id(L->method)));
	json_object_object_add(lv, "kaslr_offset", json_object_new_int64(L->kaslr));
	json_object_object_add(lv, "reads", json_u64(L->reads));
	json_object_object_add(lv, "feature_bits", json_object_new_string(L->caps_src));
	json_object_object_add(lv, "uniprocessor_locks",
			       L->up < 0 ? NULL : json_object_new_boolean(L->up));
	json_object_object_add(lv, "return_sites", json_u64(L->nrets));
	json_object_object_add(lv, "rethunk",
			       L->rethunk < 0 || !L->nrets ? NULL
							   : json_object_new_boolean(L->rethunk));
	json_object_object_add(lv, "summary", json_live_summary(v, L));
	if (L->have_caps) {
		json_object *caps = json_object_new_array();

		for (unsigned i = 0; i < L->ncaps * 32; i++)
			if (live_cap_set(L, i))
				json_object_array_add(
					caps, json_object_new_string(
						      kelf_feature_name(&v->f, i, b, sizeof(b))));
		json_object_object_add(lv, "features", caps);
	}
	return lv;
}

void print_json(const struct inv *v, const struct live *L, const struct patches_opts *o)
{
	json_object *d = json_doc_new(PATCHES_SCHEMA, "inventory", false);
	char b[160];

	json_object_object_add(d, "vmlinux", json_object_new_string(v->path));
	json_object_object_add(d, "kernel",
			       v->f.version[0] ? json_object_new_string(v->f.version) : NULL);
	json_object_object_add(
		d, "build_id",
		v->k.build_id_len ? json_object_new_string(hex_str(v->k.build_id, v->k.build_id_len,
								   NULL, b, sizeof(b)))
				  : NULL);
	json_object_object_add(d, "running_kernel", json_object_new_boolean(v->running));
	json_object_object_add(d, "layout", json_object_new_string(v->layout.source));
	json_object_object_add(d, "feature_names", json_object_new_string(v->f.source));
	json_object_object_add(d, "altinstructions", json_alts(v, L, o));
	json_object_object_add(d, "parainstructions", v->has_para ? json_paras(v) : NULL);
	json_object_object_add(d, "static_call_sites", json_scalls(v, L, o->function));
	if (L)
		json_object_object_add(d, "live", json_live(v, L));
	json_print_line(stdout, d);
	json_object_put(d);
}
