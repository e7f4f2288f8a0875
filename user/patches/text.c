// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace patches: the text report (patches.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kbtf.h"
#include "patches/patches.h"

static const char *variant_str(const struct inv *v, const struct kelf_alt_site *s, int var,
			       char *buf, size_t len)
{
	char eb[96];

	if (var == 0)
		snprintf(buf, len, "original");
	else if (var > 0 && (size_t)var <= s->n)
		snprintf(buf, len, "replacement %d (%s)", var,
			 inv_entry_str(v, &v->alts.v[s->first + var - 1], eb, sizeof(eb)));
	else if (var == LV_FREED)
		snprintf(buf, len, "freed (init text)");
	else if (var == LV_UNREAD)
		snprintf(buf, len, "unreadable");
	else
		snprintf(buf, len, "NEITHER");
	return buf;
}

static void print_site(const struct inv *v, const struct live *L, size_t i)
{
	const struct kelf_alt_site *s = &v->sites[i];
	char fb[160], eb[96], vb[160], pv[96];
	uint64_t slot;

	printf("  %016" PRIx64 "  %-40s %3u ", s->addr, inv_func_str(v, s->addr, fb, sizeof(fb)),
	       s->len);
	for (size_t j = 0; j < s->n; j++) {
		const struct kelf_alt *e = &v->alts.v[s->first + j];

		printf("%s%s:%u", j ? " | " : " ", inv_entry_str(v, e, eb, sizeof(eb)), e->repllen);
	}
	if (inv_pv_slot(v, s, &slot, pv, sizeof(pv)))
		printf(" pv_ops%s%s", pv[0] == '+' ? "" : ".", pv);
	if (L && L->sl) {
		const struct site_live *sl = &L->sl[i];

		if (sl->pv_target)
			printf(" = %s", inv_func_str(v, sl->pv_target - L->kaslr, fb, sizeof(fb)));
		printf("  -> %s", variant_str(v, s, sl->variant, vb, sizeof(vb)));
		if (sl->variant >= 0 && sl->expected >= 0 && !sl->consistent)
			printf(" [feature bits say %s]",
			       variant_str(v, s, sl->expected, vb, sizeof(vb)));
	}
	printf("\n");
}

static void print_summary(const struct inv *v)
{
	char b[160];
	size_t resident = 0;

	printf("vmlinux %s: Linux %s, build id %s%s\n", v->path,
	       v->f.version[0] ? v->f.version : "(unknown version)",
	       v->k.build_id_len ? hex_str(v->k.build_id, v->k.build_id_len, NULL, b, sizeof(b))
				 : "(none)",
	       v->running ? " (the running kernel)" : "");
	printf("struct alt_instr: %s\n", v->layout.source);
	printf("feature names: %s\n", v->f.source);
	for (size_t i = 0; i < v->nsites; i++)
		resident += !inv_is_freed(v, v->sites[i].addr);
	printf("\n.altinstructions: %zu entries at %zu sites in %zu functions (%zu sites "
	       "resident, %zu in init text freed after boot)\n",
	       v->alts.n, v->nsites, v->nfuncs, resident, v->nsites - resident);
	printf("  %zu NOT, %zu DIRECT_CALL; %zu of %zu replacements in .altinstr_replacement\n",
	       v->nnot, v->ndirect, v->in_repl_sec, v->alts.n);
	if (!v->has_para && v->ndirect)
		printf(".parainstructions: none: this kernel makes paravirt calls ALTERNATIVE "
		       "sites "
		       "with DIRECT_CALL (%zu)\n",
		       v->ndirect);
	else if (!v->has_para)
		printf(".parainstructions: none\n");
	else
		printf(".parainstructions: %zu sites; layout %s\n", v->nparas, v->play.source);
	printf(".static_call_sites: %zu sites of %zu keys (%zu tail calls)\n", v->nscalls,
	       v->nscall_keys, v->nscall_tails);
}

static void print_tables(const struct inv *v, const struct live *L, uint64_t top)
{
	char b[160];

	printf("\nPer feature%s:\n  %-36s %8s %6s %7s %6s%s\n",
	       L ? " (APPLIED: entries whose replacement the running kernel runs)" : "", "FEATURE",
	       "ENTRIES", "NOT", "DIRECT", "FUNCS", L ? "  APPLIED" : "");
	for (size_t i = 0; i < v->nfs; i++) {
		size_t applied = 0;

		for (size_t j = 0; L && L->sl && j < v->nsites; j++) {
			int var = L->sl[j].variant;

			applied += var > 0 &&
				   v->alts.v[v->sites[j].first + var - 1].cpuid == v->fs[i].bit;
		}
		printf("  %-36s %8zu %6zu %7zu %6zu",
		       kelf_feature_name(&v->f, v->fs[i].bit, b, sizeof(b)), v->fs[i].entries,
		       v->fs[i].not_flag, v->fs[i].direct_call, v->fs[i].functions);
		if (L)
			printf("  %7zu", applied);
		printf("\n");
	}
	printf("\nPer function (%s%zu by entries):\n  %-44s %8s %6s %8s\n",
	       top && top < v->nfn ? "top " : "all ", top && top < v->nfn ? (size_t)top : v->nfn,
	       "FUNCTION", "ENTRIES", "SITES", "FEATURES");
	for (size_t i = 0; i < v->nfn && (!top || i < top); i++)
		printf("  %-44s %8zu %6zu %8zu\n", v->fn[i].name, v->fn[i].entries, v->fn[i].sites,
		       v->fn[i].features);
}

/* every site the running text does not match as it should */
static void print_live_problems(const struct inv *v, const struct live *L)
{
	char fb[160];

	for (size_t i = 0; L->sl && i < v->nsites; i++) {
		const struct site_live *sl = &L->sl[i];
		char h[3 * ALT_MAX_LEN + 1];

		if (sl->variant != LV_NEITHER && sl->variant != LV_UNREAD &&
		    (sl->variant < 0 || sl->expected < 0 || sl->consistent))
			continue;
		printf("  %s at %016" PRIx64 " %s: live %s%s%s\n",
		       sl->variant == LV_NEITHER  ? "NEITHER"
		       : sl->variant == LV_UNREAD ? "UNREADABLE"
						  : "INCONSISTENT",
		       v->sites[i].addr, inv_func_str(v, v->sites[i].addr, fb, sizeof(fb)),
		       hex_str(sl->bytes, v->sites[i].len, " ", h, sizeof(h)),
		       sl->why[0] ? "; " : "", sl->why);
	}
	for (size_t i = 0; L->cl && i < v->nscalls; i++)
		if (L->cl[i].state == LV_NEITHER)
			printf("  static call %s at %016" PRIx64 " %s: %s, key target 0x%" PRIx64
			       "\n",
			       inv_key_name(v, v->scalls[i].key), v->scalls[i].addr,
			       inv_func_str(v, v->scalls[i].addr, fb, sizeof(fb)), L->cl[i].what,
			       L->cl[i].func);
}

static void print_live(const struct inv *v, const struct live *L)
{
	printf("\nLive: %s, KASLR offset 0x%" PRIx64 ", read with %s\n", v->running_why,
	       (uint64_t)L->kaslr, kmem_method_name(L->method));
	printf("  feature bits: %s\n", L->caps_src);
	if (L->up >= 0)
		printf("  lock prefixes: %s (%zu .smp_locks sites sampled)\n",
		       L->up ? "uniprocessor, patched to DS" : "SMP, lock", L->locks_checked);
	if (L->nrets)
		printf("  return thunks: %zu .return_sites; X86_FEATURE_RETHUNK %s\n", L->nrets,
		       L->rethunk < 0 ? "unknown"
		       : L->rethunk   ? "set"
				      : "clear (ret)");
	printf("  ALTERNATIVE sites: %zu resident, %zu freed\n", v->nsites - L->n_freed,
	       L->n_freed);
	printf("    original     %6zu\n    replacement  %6zu\n    NEITHER      %6zu\n",
	       L->n_by_variant[0], L->n_by_variant[1], L->n_neither);
	printf("    ambiguous    %6zu (several variants have the same bytes)\n", L->n_ambiguous);
	if (L->n_unread)
		printf("    UNREADABLE   %6zu\n", L->n_unread);
	if (L->have_caps)
		printf("    consistent with the feature bits: %zu of %zu\n", L->n_consistent,
		       L->n_consistent + L->n_inconsistent);
	printf("  static call sites: %zu resident: %zu match their key's target, %zu do "
	       "not, %zu unreadable; %zu freed\n",
	       v->nscalls - L->sc_freed, L->sc_ok, L->sc_bad, L->sc_unread, L->sc_freed);
	print_live_problems(v, L);
}

static void print_scall_sites(const struct inv *v, const struct live *L, const char *function)
{
	char fb[160];

	printf("\nStatic call sites (ADDRESS FUNCTION KEY%s):\n", L ? " -> INSTRUCTION" : "");
	for (size_t i = 0; i < v->nscalls; i++) {
		if (function &&
		    strcmp(inv_func_str(v, v->scalls[i].addr, fb, sizeof(fb)), function) &&
		    (!kelf_func_at(&v->k, v->scalls[i].addr) ||
		     strcmp(kelf_func_at(&v->k, v->scalls[i].addr)->name, function)))
			continue;
		printf("  %016" PRIx64 "  %-40s %s%s", v->scalls[i].addr,
		       inv_func_str(v, v->scalls[i].addr, fb, sizeof(fb)),
		       inv_key_name(v, v->scalls[i].key), v->scalls[i].tail ? " (tail)" : "");
		if (L && L->cl)
			printf("  -> %s", L->cl[i].state == LV_FREED	? "freed"
					  : L->cl[i].state == LV_UNREAD ? "unreadable"
									: L->cl[i].what);
		printf("\n");
	}
}

static void print_para_sites(const struct inv *v)
{
	char fb[160];

	printf("\n.parainstructions (ADDRESS FUNCTION TYPE LEN):\n");
	for (size_t i = 0; i < v->nparas; i++) {
		char path[128] = "";

		if (v->btf)
			kbtf_member_path(v->btf, "paravirt_patch_template", v->paras[i].type * 8,
					 path, sizeof(path));
		printf("  %016" PRIx64 "  %-40s %u%s%s %u\n", v->paras[i].addr,
		       inv_func_str(v, v->paras[i].addr, fb, sizeof(fb)), v->paras[i].type,
		       path[0] ? " pv_ops." : "", path, v->paras[i].len);
	}
}

static void print_sites(const struct inv *v, const struct live *L, const struct patches_opts *o)
{
	int feat = o->feature ? kelf_feature_bit(&v->f, o->feature) : -1;
	size_t shown = 0;

	printf("\nSites (ADDRESS FUNCTION LEN FEATURE:REPLLEN...%s):\n",
	       L ? " -> VARIANT RUN" : "");
	for (size_t i = 0; i < v->nsites; i++) {
		if (!inv_site_wanted(v, &v->sites[i], feat, o->function))
			continue;
		print_site(v, L, i);
		shown++;
	}
	printf("  (%zu sites)\n", shown);
	if (o->sites && !o->feature)
		print_scall_sites(v, L, o->function);
	if (v->nparas && o->sites)
		print_para_sites(v);
}

void print_text(const struct inv *v, const struct live *L, const struct patches_opts *o)
{
	print_summary(v);
	print_tables(v, L, o->top);
	if (L)
		print_live(v, L);
	if (o->sites || o->feature || o->function)
		print_sites(v, L, o);
}
