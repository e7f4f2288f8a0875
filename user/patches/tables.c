// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel's patch tables in a kernel ELF: see tables.h. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kbtf.h"
#include "kelf.h"
#include "patches/le.h"
#include "patches/tables.h"
#include "patches/x86_cpufeatures.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

/* --- .altinstructions ---------------------------------------------------------------- */

void kelf_alt_layout_fixed(struct kelf_alt_layout *l)
{
	*l = (struct kelf_alt_layout){ .size = 14,
				       .instr_off = 0,
				       .repl_off = 4,
				       .cpuid_bitoff = 64,
				       .cpuid_bits = 16,
				       .flags_bitoff = 80,
				       .flags_bits = 16,
				       .instrlen_off = 12,
				       .repllen_off = 13 };
	snprintf(l->source, sizeof(l->source),
		 "Linux 6.3+ x86 layout (14 bytes: s32 instr_offset, s32 repl_offset, "
		 "u16 cpuid, u16 flags, u8 instrlen, u8 replacementlen)");
}

void kelf_alt_layout_pre63(struct kelf_alt_layout *l, bool padlen)
{
	*l = (struct kelf_alt_layout){ .size = padlen ? 13 : 12,
				       .instr_off = 0,
				       .repl_off = 4,
				       .cpuid_bitoff = 64,
				       .cpuid_bits = 16,
				       .cpuid_not = 1 << 15,
				       .instrlen_off = 10,
				       .repllen_off = 11 };
	snprintf(l->source, sizeof(l->source),
		 "Linux x86 layout before 6.3 (%u bytes: s32 instr_offset, s32 repl_offset, "
		 "u16 cpuid with NOT in bit 15, u8 instrlen, u8 replacementlen%s)",
		 l->size, padlen ? ", u8 padlen" : "");
}

int kelf_alt_layout_btf(const struct btf *btf, struct kelf_alt_layout *l, char *err, size_t errlen)
{
	uint32_t id = kbtf_struct_id(btf, "alt_instr"), off, bits, tid;
	const struct btf_type *t;

	if (!id)
		return ERR("no struct alt_instr in BTF");
	t = btf__type_by_id(btf, id);
	memset(l, 0, sizeof(*l));
	l->size = t->size;
	if (kbtf_find_member(btf, id, "instr_offset", 0, &off, &bits, &tid) || off % 8 ||
	    bits != 32)
		return ERR("BTF struct alt_instr: no s32 instr_offset");
	l->instr_off = off / 8;
	if (kbtf_find_member(btf, id, "repl_offset", 0, &off, &bits, &tid) || off % 8 || bits != 32)
		return ERR("BTF struct alt_instr: no s32 repl_offset");
	l->repl_off = off / 8;
	if (kbtf_find_member(btf, id, "cpuid", 0, &l->cpuid_bitoff, &l->cpuid_bits, &tid) ||
	    l->cpuid_bits > 32)
		return ERR("BTF struct alt_instr: no cpuid");
	if (kbtf_find_member(btf, id, "flags", 0, &l->flags_bitoff, &l->flags_bits, &tid)) {
		l->flags_bitoff = l->flags_bits = 0; /* before Linux 6.3: NOT in cpuid */
		l->cpuid_not = l->cpuid_bits == 16 ? 1 << 15 : 0;
	}
	if (l->flags_bits > 32)
		return ERR("BTF struct alt_instr: bad flags");
	if (kbtf_find_member(btf, id, "instrlen", 0, &off, &bits, &tid) || off % 8 || bits != 8)
		return ERR("BTF struct alt_instr: no u8 instrlen");
	l->instrlen_off = off / 8;
	if (kbtf_find_member(btf, id, "replacementlen", 0, &off, &bits, &tid) || off % 8 ||
	    bits != 8)
		return ERR("BTF struct alt_instr: no u8 replacementlen");
	l->repllen_off = off / 8;
	if (l->size < 8 || l->size > 64 || l->instr_off + 4 > l->size ||
	    l->repl_off + 4 > l->size || (l->cpuid_bitoff + l->cpuid_bits + 7) / 8 > l->size ||
	    (l->flags_bitoff + l->flags_bits + 7) / 8 > l->size || l->instrlen_off >= l->size ||
	    l->repllen_off >= l->size)
		return ERR("BTF struct alt_instr: members outside its %u bytes", l->size);
	snprintf(l->source, sizeof(l->source), "BTF struct alt_instr (%u bytes%s)", l->size,
		 l->cpuid_not ? ", no flags member: NOT is bit 15 of the 16-bit cpuid" : "");
	return 0;
}

static uint32_t get_bits(const uint8_t *e, uint32_t bitoff, uint32_t bits)
{
	uint64_t v = 0;
	uint32_t first = bitoff / 8, last = (bitoff + bits + 7) / 8;

	if (!bits)
		return 0;
	for (uint32_t i = first; i < last && i - first < 8; i++)
		v |= (uint64_t)e[i] << (8 * (i - first));
	v >>= bitoff % 8;
	return bits >= 32 ? (uint32_t)v : (uint32_t)(v & ((1ULL << bits) - 1));
}

static bool exec_range(const struct kelf *k, uint64_t addr, uint64_t len)
{
	const struct kelf_sec *s = kelf_sec_at(k, addr);

	if (!s && len == 0) /* empty replacement at a section's end */
		s = kelf_sec_at(k, addr - 1);
	return s && (s->flags & SHF_EXECINSTR) && s->data && len <= s->size - (addr - s->addr);
}

int kelf_alts_read(const struct kelf *k, const struct kelf_alt_layout *l, unsigned nbits,
		   struct kelf_alts *out, char *err, size_t errlen)
{
	uint64_t table, size;
	const struct kelf_sec *s;
	const uint8_t *data;

	memset(out, 0, sizeof(*out));
	if (kelf_region(k, ".altinstructions", "__alt_instructions", "__alt_instructions_end",
			&table, &size))
		return 0; /* no alternatives */
	if (!l->size || size % l->size)
		return ERR(".altinstructions: %llu bytes is not a multiple of %u-byte entries",
			   (unsigned long long)size, l->size);
	s = kelf_sec_at(k, table);
	if (size && (!s || !s->data || size > s->size - (table - s->addr)))
		return ERR(".altinstructions: contents not in the file");
	data = size ? s->data + (table - s->addr) : NULL;
	out->table = table;
	out->table_size = size;
	out->n = size / l->size;
	out->v = calloc(out->n ? out->n : 1, sizeof(*out->v));
	if (!out->v)
		return ERR("out of memory");
	for (size_t i = 0; i < out->n; i++) {
		const uint8_t *e = data + i * l->size;
		uint64_t ea = table + i * l->size;
		struct kelf_alt *a = &out->v[i];

		a->addr = ea + l->instr_off + (int64_t)(int32_t)get32(e + l->instr_off);
		a->repl = ea + l->repl_off + (int64_t)(int32_t)get32(e + l->repl_off);
		a->cpuid = get_bits(e, l->cpuid_bitoff, l->cpuid_bits);
		a->flags = get_bits(e, l->flags_bitoff, l->flags_bits);
		if (a->cpuid & l->cpuid_not) {
			a->cpuid &= ~l->cpuid_not;
			a->flags |= ALT_FLAG_NOT;
		}
		a->instrlen = e[l->instrlen_off];
		a->repllen = e[l->repllen_off];
		if (!exec_range(k, a->addr, a->instrlen)) {
			(void)ERR(".altinstructions entry %zu: original 0x%llx+%u is not in an "
				  "executable section",
				  i, (unsigned long long)a->addr, a->instrlen);
			kelf_alts_free(out);
			return -1;
		}
		if (!exec_range(k, a->repl, a->repllen)) {
			(void)ERR(".altinstructions entry %zu: replacement 0x%llx+%u is not in an "
				  "executable section",
				  i, (unsigned long long)a->repl, a->repllen);
			kelf_alts_free(out);
			return -1;
		}
		if (nbits && a->cpuid >= nbits) {
			(void)ERR(".altinstructions entry %zu: feature bit %u beyond the %u known",
				  i, a->cpuid, nbits);
			kelf_alts_free(out);
			return -1;
		}
	}
	return 0;
}

void kelf_alts_free(struct kelf_alts *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}

int kelf_alt_sites(const struct kelf *k, const struct kelf_alts *a, struct kelf_alt_site **out,
		   size_t *n)
{
	struct kelf_alt_site *v = calloc(a->n ? a->n : 1, sizeof(*v));
	size_t m = 0;

	if (!v)
		return -1;
	for (size_t i = 0; i < a->n; i++) {
		if (m && v[m - 1].addr == a->v[i].addr && v[m - 1].first + v[m - 1].n == i) {
			v[m - 1].n++;
			if (a->v[i].instrlen > v[m - 1].len)
				v[m - 1].len = a->v[i].instrlen;
			continue;
		}
		v[m] = (struct kelf_alt_site){ .addr = a->v[i].addr,
					       .first = i,
					       .n = 1,
					       .len = a->v[i].instrlen,
					       .func = kelf_func_at(k, a->v[i].addr) };
		m++;
	}
	*out = v;
	*n = m;
	return 0;
}

static int feat_cmp(const void *a, const void *b)
{
	const struct kelf_feat_sum *x = a, *y = b;

	if (x->entries != y->entries)
		return x->entries > y->entries ? -1 : 1;
	return (int)x->bit - (int)y->bit;
}

static int func_cmp(const void *a, const void *b)
{
	const struct kelf_func_sum *x = a, *y = b;

	if (x->entries != y->entries)
		return x->entries > y->entries ? -1 : 1;
	return strcmp(x->name, y->name);
}

struct pair {
	const char *func;
	unsigned bit;
};

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int r = strcmp(x->func, y->func);

	return r ? r : (int)x->bit - (int)y->bit;
}

static int u16_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static struct kelf_feat_sum *feat_find(struct kelf_feat_sum *f, size_t n, unsigned bit)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f[mid].bit < bit)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && f[lo].bit == bit ? &f[lo] : NULL;
}

/* Sites per function; u[] is sorted by name. */
static void count_sites(struct kelf_func_sum *u, size_t nu, const struct kelf_alt_site *sites,
			size_t nsites)
{
	for (size_t s = 0; s < nsites; s++) {
		const char *name = sites[s].func ? sites[s].func->name : "?";
		size_t lo = 0, hi = nu;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (strcmp(u[mid].name, name) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nu && !strcmp(u[lo].name, name))
			u[lo].sites++;
	}
}

int kelf_alt_summary(const struct kelf_alts *a, const struct kelf_alt_site *sites, size_t nsites,
		     struct kelf_feat_sum **fs, size_t *nfs, struct kelf_func_sum **fn, size_t *nfn)
{
	size_t cap = a->n ? a->n : 1, nf = 0, np = 0, nu = 0;
	struct kelf_feat_sum *f = calloc(cap, sizeof(*f));
	struct pair *p = calloc(cap, sizeof(*p));
	struct kelf_func_sum *u = calloc(cap, sizeof(*u));
	uint16_t *bits = calloc(cap, sizeof(*bits));

	if (!f || !p || !u || !bits)
		goto oom;
	/* distinct feature bits, sorted */
	for (size_t i = 0; i < a->n; i++)
		bits[i] = a->v[i].cpuid;
	qsort(bits, a->n, sizeof(*bits), u16_cmp);
	for (size_t i = 0; i < a->n; i++)
		if (!i || bits[i] != bits[i - 1])
			f[nf++].bit = bits[i];
	for (size_t s = 0; s < nsites; s++) {
		const char *name = sites[s].func ? sites[s].func->name : "?";

		for (size_t i = sites[s].first; i < sites[s].first + sites[s].n && i < a->n; i++) {
			const struct kelf_alt *e = &a->v[i];
			struct kelf_feat_sum *x = feat_find(f, nf, e->cpuid);

			x->entries++;
			x->not_flag += !!(e->flags & ALT_FLAG_NOT);
			x->direct_call += !!(e->flags & ALT_FLAG_DIRECT_CALL);
			p[np++] = (struct pair){ name, e->cpuid };
		}
	}
	qsort(p, np, sizeof(*p), pair_cmp);
	/* distinct (function, feature) pairs: functions per feature, features per function */
	for (size_t i = 0; i < np; i++) {
		bool new_func = !i || strcmp(p[i].func, p[i - 1].func);
		bool new_pair = new_func || p[i].bit != p[i - 1].bit;

		if (new_func)
			u[nu++] = (struct kelf_func_sum){ .name = p[i].func };
		u[nu - 1].entries++;
		if (new_pair) {
			u[nu - 1].features++;
			feat_find(f, nf, p[i].bit)->functions++;
		}
	}
	count_sites(u, nu, sites, nsites);
	/* bits of entries outside the given sites are dropped */
	{
		size_t j = 0;

		for (size_t i = 0; i < nf; i++)
			if (f[i].entries)
				f[j++] = f[i];
		nf = j;
	}
	qsort(f, nf, sizeof(*f), feat_cmp);
	qsort(u, nu, sizeof(*u), func_cmp);
	free(p);
	free(bits);
	*fs = f;
	*nfs = nf;
	*fn = u;
	*nfn = nu;
	return 0;
oom:
	free(f);
	free(p);
	free(u);
	free(bits);
	return -1;
}

/* --- .static_call_sites, .parainstructions ------------------------------------------ */

int kelf_scalls_read(const struct kelf *k, struct kelf_scall **out, size_t *n, char *err,
		     size_t errlen)
{
	uint64_t table, size;
	const struct kelf_sec *s;
	const uint8_t *data;
	struct kelf_scall *v;
	size_t m;

	*out = NULL;
	*n = 0;
	if (kelf_region(k, ".static_call_sites", "__start_static_call_sites",
			"__stop_static_call_sites", &table, &size))
		return 0;
	if (size % 8)
		return ERR(".static_call_sites: %llu bytes is not a multiple of 8",
			   (unsigned long long)size);
	s = kelf_sec_at(k, table);
	if (size && (!s || !s->data || size > s->size - (table - s->addr)))
		return ERR(".static_call_sites: contents not in the file");
	data = size ? s->data + (table - s->addr) : NULL;
	m = size / 8;
	v = calloc(m ? m : 1, sizeof(*v));
	if (!v)
		return ERR("out of memory");
	for (size_t i = 0; i < m; i++) {
		uint64_t ea = table + i * 8;
		uint64_t key = ea + 4 + (int64_t)(int32_t)get32(data + i * 8 + 4);

		v[i].addr = ea + (int64_t)(int32_t)get32(data + i * 8);
		v[i].tail = key & STATIC_CALL_SITE_TAIL;
		v[i].init = key & STATIC_CALL_SITE_INIT;
		v[i].key = key & ~3ULL;
		if (!exec_range(k, v[i].addr, 5)) {
			(void)ERR(".static_call_sites entry %zu: site 0x%llx is not in an "
				  "executable section",
				  i, (unsigned long long)v[i].addr);
			free(v);
			return -1;
		}
		if (!kelf_sec_at(k, v[i].key)) {
			(void)ERR(".static_call_sites entry %zu: key 0x%llx is not in the image", i,
				  (unsigned long long)v[i].key);
			free(v);
			return -1;
		}
	}
	*out = v;
	*n = m;
	return 0;
}

void kelf_para_layout(const struct btf *btf, struct kelf_para_layout *l)
{
	uint32_t id = btf ? kbtf_struct_id(btf, "paravirt_patch_site") : 0, off, bits, tid;

	if (id) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		struct kelf_para_layout b = { .size = t->size };
		bool ok = !kbtf_find_member(btf, id, "instr", 0, &off, &bits, &tid) && !(off % 8) &&
			  bits == 64;

		b.instr_off = off / 8;
		if (ok && (kbtf_find_member(btf, id, "type", 0, &off, &bits, &tid) &&
			   kbtf_find_member(btf, id, "instrtype", 0, &off, &bits, &tid)))
			ok = false;
		ok = ok && !(off % 8) && bits == 8;
		b.type_off = off / 8;
		ok = ok && !kbtf_find_member(btf, id, "len", 0, &off, &bits, &tid) && !(off % 8) &&
		     bits == 8;
		b.len_off = off / 8;
		if (ok && b.size >= 10 && b.size <= 64 && b.instr_off + 8 <= b.size &&
		    b.type_off < b.size && b.len_off < b.size) {
			*l = b;
			snprintf(l->source, sizeof(l->source),
				 "BTF struct paravirt_patch_site (%u bytes)", l->size);
			return;
		}
	}
	*l = (struct kelf_para_layout){ .size = 16, .instr_off = 0, .type_off = 8, .len_off = 9 };
	snprintf(l->source, sizeof(l->source),
		 "x86_64 layout (16 bytes: u8 *instr, u8 type, u8 len)");
}

int kelf_paras_read(const struct kelf *k, const struct kelf_para_layout *l, struct kelf_para **out,
		    size_t *n, char *err, size_t errlen)
{
	uint64_t table, size;
	const struct kelf_sec *s;
	const uint8_t *data;
	struct kelf_para *v;
	size_t m;

	*out = NULL;
	*n = 0;
	if (kelf_region(k, ".parainstructions", "__parainstructions", "__parainstructions_end",
			&table, &size))
		return 0;
	if (!l->size || size % l->size)
		return ERR(".parainstructions: %llu bytes is not a multiple of %u",
			   (unsigned long long)size, l->size);
	s = kelf_sec_at(k, table);
	if (size && (!s || !s->data || size > s->size - (table - s->addr)))
		return ERR(".parainstructions: contents not in the file");
	data = size ? s->data + (table - s->addr) : NULL;
	m = size / l->size;
	v = calloc(m ? m : 1, sizeof(*v));
	if (!v)
		return ERR("out of memory");
	for (size_t i = 0; i < m; i++) {
		const uint8_t *e = data + i * l->size;

		v[i].addr = get64(e + l->instr_off);
		v[i].type = e[l->type_off];
		v[i].len = e[l->len_off];
		if (!exec_range(k, v[i].addr, v[i].len)) {
			(void)ERR(".parainstructions entry %zu: site 0x%llx+%u is not in an "
				  "executable section",
				  i, (unsigned long long)v[i].addr, v[i].len);
			free(v);
			return -1;
		}
	}
	*out = v;
	*n = m;
	return 0;
}

/* --- feature names ------------------------------------------------------------------ */

/* Read a char *array[] of cpuinfo names; count of names, -1 if absent */
static int read_flag_array(const struct kelf *k, const char *sym, unsigned first,
			   struct kelf_features *f, const char **names, unsigned *nwords,
			   size_t *used, size_t cap)
{
	const struct kelf_sym *s = kelf_sym(k, sym);
	int count = 0;

	if (!s || !s->size || s->size % 256 || s->size / 256 > 32)
		return -1;
	*nwords = s->size / 256;
	for (unsigned i = 0; i < *nwords * 32 && first + i < X86_MAX_FEATURE_BITS; i++) {
		uint8_t p[8];
		uint64_t ptr;
		char name[64];
		size_t n;

		if (kelf_read(k, s->addr + i * 8ULL, p, 8))
			return -1;
		ptr = get64(p);
		if (!ptr || kelf_read_str(k, ptr, name, sizeof(name)) || !name[0])
			continue;
		n = strlen(name) + 1;
		if (*used + n > cap)
			return -1;
		memcpy(f->strs + *used, name, n);
		names[first + i] = f->strs + *used;
		*used += n;
		count++;
	}
	return count;
}

/* "6.12" matches "6.12.117...", "6.12-rc1" and "6.12"; "" matches every kernel */
static bool version_matches(const char *kver, const char *version)
{
	size_t n = strlen(version);

	return !version[0] || (kver[0] && !strncmp(kver, version, n) &&
			       (kver[n] == '.' || kver[n] == 0 || kver[n] == '-'));
}

/* Names from the table; how many of the kernel's own agree. */
static void apply_table(struct kelf_features *f, const struct x86_feature_def *t, size_t n,
			const char **kernel_names)
{
	for (size_t i = 0; i < n; i++) {
		unsigned b = t[i].bit;

		if (b >= X86_MAX_FEATURE_BITS)
			continue;
		f->name[b] = t[i].name;
		f->cpuinfo[b] = t[i].cpuinfo;
	}
	for (unsigned b = 0; b < X86_MAX_FEATURE_BITS && kernel_names; b++) {
		if (!kernel_names[b])
			continue;
		f->kernel_names++;
		if (f->cpuinfo[b] && !strcmp(f->cpuinfo[b], kernel_names[b]))
			f->agree++;
		else
			f->disagree++;
	}
}

static void use_table(struct kelf_features *f, unsigned ncapints, unsigned nbugints,
		      const char *version, int nc)
{
	f->from_table = true;
	f->ncapints = ncapints;
	f->nbugints = nbugints;
	if (nc >= 0)
		snprintf(f->source, sizeof(f->source),
			 "table generated from Linux %s cpufeatures.h; all %u cpuinfo names "
			 "agree with the kernel's x86_cap_flags/x86_bug_flags",
			 version[0] ? version : "?", f->kernel_names);
	else
		snprintf(f->source, sizeof(f->source),
			 "table generated from Linux %s cpufeatures.h (kernel %s; no "
			 "x86_cap_flags in the ELF to cross-check)",
			 version[0] ? version : "?", f->version[0] ? f->version : "unknown");
}

/* The kernel's own cpuinfo names (x86_cap_flags/x86_bug_flags), when the table is not for it */
static void use_kernel_names(struct kelf_features *f, const char **kernel_names, int nc, int nb,
			     unsigned kcap, unsigned kbug, const char *version)
{
	memset(f->name, 0, sizeof(f->name));
	memset(f->cpuinfo, 0, sizeof(f->cpuinfo));
	for (unsigned b = 0; b < X86_MAX_FEATURE_BITS && kernel_names; b++)
		f->cpuinfo[b] = kernel_names[b];
	f->ncapints = nc >= 0 ? kcap : 0;
	f->nbugints = nb >= 0 ? kbug : 0;
	if (nc >= 0)
		snprintf(f->source, sizeof(f->source),
			 "cpuinfo names from the kernel's x86_cap_flags/x86_bug_flags (%u "
			 "names; the Linux %s table %s); unnamed bits as word*32+bit",
			 f->kernel_names ? f->kernel_names : (unsigned)(nc + (nb > 0 ? nb : 0)),
			 version, f->disagree ? "disagrees" : "is for another version");
	else
		snprintf(f->source, sizeof(f->source),
			 "no names: kernel %s is not Linux %s and has no x86_cap_flags; "
			 "bits "
			 "as word*32+bit",
			 f->version[0] ? f->version : "unknown", version);
}

void kelf_features_load_table(const struct kelf *k, struct kelf_features *f,
			      const struct x86_feature_def *t, size_t n, unsigned ncapints,
			      unsigned nbugints, const char *version)
{
	unsigned kcap = 0, kbug = 0;
	size_t used = 0, cap = 64 * X86_MAX_FEATURE_BITS;
	const char **kernel_names = calloc(X86_MAX_FEATURE_BITS, sizeof(*kernel_names));
	int nc = -1, nb = -1;
	bool version_ok;

	memset(f, 0, sizeof(*f));
	if (kelf_kernel_version(k, f->version, sizeof(f->version)))
		f->version[0] = 0;
	f->strs = malloc(cap);
	if (f->strs && kernel_names) {
		nc = read_flag_array(k, "x86_cap_flags", 0, f, kernel_names, &kcap, &used, cap);
		if (nc >= 0)
			nb = read_flag_array(k, "x86_bug_flags", kcap * 32, f, kernel_names, &kbug,
					     &used, cap);
	}
	/* the table applies to its own kernel version ("6.12" matches "6.12.117...") */
	version_ok = version_matches(f->version, version);
	if (nc >= 0 && kcap != ncapints)
		version_ok = false;
	if (version_ok)
		apply_table(f, t, n, kernel_names);
	if (version_ok && !f->disagree)
		use_table(f, ncapints, nbugints, version, nc);
	else
		use_kernel_names(f, kernel_names, nc, nb, kcap, kbug, version);
	f->nbits = (f->ncapints + f->nbugints) * 32;
	free(kernel_names);
}

void kelf_features_load(const struct kelf *k, struct kelf_features *f)
{
	kelf_features_load_table(
		k, f, x86_cpufeatures, sizeof(x86_cpufeatures) / sizeof(x86_cpufeatures[0]),
		X86_CPUFEATURES_NCAPINTS, X86_CPUFEATURES_NBUGINTS, X86_CPUFEATURES_VERSION);
}

void kelf_features_free(struct kelf_features *f)
{
	free(f->strs);
	f->strs = NULL;
}

const char *kelf_feature_name(const struct kelf_features *f, unsigned bit, char *buf, size_t len)
{
	if (bit < X86_MAX_FEATURE_BITS && f->name[bit])
		return f->name[bit];
	if (bit < X86_MAX_FEATURE_BITS && f->cpuinfo[bit])
		return f->cpuinfo[bit];
	snprintf(buf, len, "bit %u*32+%u", bit / 32, bit % 32);
	return buf;
}

int kelf_feature_bit(const struct kelf_features *f, const char *name)
{
	unsigned w, b;
	char c;

	for (unsigned i = 0; i < X86_MAX_FEATURE_BITS; i++) {
		const char *n = f->name[i];

		if (n && (!strcasecmp(n, name) ||
			  (!strncmp(n, "X86_FEATURE_", 12) && !strcasecmp(n + 12, name))))
			return i;
		if (f->cpuinfo[i] && !strcmp(f->cpuinfo[i], name))
			return i;
	}
	if (sscanf(name, "%u*32+%u%c", &w, &b, &c) == 2 && b < 32 && w < 64)
		return w * 32 + b;
	return -1;
}
