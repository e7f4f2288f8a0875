// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace patches --live: which variant the running text holds at each site (patches.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kbtf.h"
#include "ksyms.h"
#include "patches/patches.h"

/* --read: the kernel memory readers to try (kmem.h), kcore first where it exists */
static const enum kmem_method read_auto[] = { KMEM_KCORE, KMEM_TEST_RUN, KMEM_ITER };

static const enum kmem_method read_kcore[] = { KMEM_KCORE };

static const enum kmem_method read_bpf[] = { KMEM_TEST_RUN, KMEM_ITER };

int reader_open(struct kmem *m, enum read_mode want, char *err, size_t len)
{
	const enum kmem_method *o = want == READ_KCORE ? read_kcore
				    : want == READ_BPF ? read_bpf
						       : read_auto;
	size_t n = want == READ_KCORE ? 1 : want == READ_BPF ? 2 : 3;

	return kmem_open(m, o, n, err, len);
}

static int read_ptr_cb(void *arg, uint64_t addr, uint64_t *val)
{
	return kmem_read_u64(arg, addr, val) ? -1 : 0;
}

static bool in_any_site(const struct inv *v, uint64_t a)
{
	/* sites are in table order: linear, used for a few dozen samples */
	for (size_t i = 0; i < v->nsites; i++)
		if (a >= v->sites[i].addr && a - v->sites[i].addr < v->sites[i].len)
			return true;
	return false;
}

bool live_cap_set(const struct live *L, unsigned bit)
{
	return bit / 32 < L->ncaps && (L->caps[bit / 32] >> (bit % 32) & 1);
}

/* A table of s32 self-relative addresses (.smp_locks, .return_sites), sorted. */
static size_t read_rel_table(const struct inv *v, const char *sec, const char *start,
			     const char *stop, uint64_t **out)
{
	uint64_t table, size, a;
	const struct kelf_sec *s;
	size_t n = 0;

	*out = NULL;
	if (kelf_region(&v->k, sec, start, stop, &table, &size))
		return 0;
	s = kelf_sec_at(&v->k, table);
	if (!s || !s->data || size > s->size - (table - s->addr) || size / 4 > (1u << 24))
		return 0;
	*out = calloc(size / 4 + 1, sizeof(**out));
	if (!*out)
		return 0;
	for (size_t i = 0; i < size / 4; i++) {
		const uint8_t *p = s->data + (table - s->addr) + i * 4;
		int32_t off =
			(int32_t)((uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);

		a = table + i * 4 + off;
		if (off)
			(*out)[n++] = a;
	}
	qsort(*out, n, sizeof(**out), patches_cmp_u64);
	return n;
}

/* .smp_locks: were lock prefixes patched to DS (uniprocessor boot)? */
static void live_locks(const struct inv *v, struct live *L)
{
	size_t f0 = 0, ds = 0, n = 0;

	L->up = -1;
	L->nlocks = read_rel_table(v, ".smp_locks", "__smp_locks", "__smp_locks_end", &L->locks);
	if (!L->locks)
		return;
	/* alternatives_smp_unlock() only touches [_text, _etext) */
	for (size_t i = 0; i < L->nlocks; i++)
		if (L->locks[i] >= v->text && L->locks[i] < v->etext)
			L->locks[n++] = L->locks[i];
	L->nlocks = n;
	/* sample lock sites outside alternatives */
	for (size_t i = 0; i < L->nlocks && f0 + ds < 32; i += 1 + L->nlocks / 64) {
		uint8_t b, elf;

		if (in_any_site(v, L->locks[i]) || kelf_read(&v->k, L->locks[i], &elf, 1) ||
		    elf != 0xf0 || kmem_read1(&L->r, L->locks[i] + L->kaslr, &b, 1))
			continue;
		f0 += b == 0xf0;
		ds += b == 0x3e;
	}
	L->locks_checked = f0 + ds;
	L->up = ds && !f0 ? 1 : 0;
}

/* apply_returns(): what the return thunk sites hold depends on RETHUNK, x86_return_thunk */
static void live_returns(const struct inv *v, struct live *L)
{
	const struct kelf_sym *rt = kelf_sym(&v->k, "__x86_return_thunk");
	const struct kelf_sym *var = kelf_sym(&v->k, "x86_return_thunk");
	const struct kelf_sym *its = kelf_sym(&v->k, "its_return_thunk");
	int b = kelf_feature_bit(&v->f, "X86_FEATURE_RETHUNK");

	L->nrets = read_rel_table(v, ".return_sites", "__return_sites", "__return_sites_end",
				  &L->rets);
	if (!L->nrets)
		return;
	L->ret_thunk = rt ? rt->addr : 0;
	L->its_thunk = its ? its->addr + L->kaslr : 0;
	L->rethunk = L->have_caps && b >= 0 ? live_cap_set(L, b) : -1;
	if (!var || read_ptr_cb(&L->r, var->addr + L->kaslr, &L->return_thunk))
		L->rethunk = L->rethunk == 1 ? -1 : L->rethunk; /* target unknown */
}

/* boot_cpu_data.x86_capability: the feature bits apply_alternatives() tested */
static void live_caps(const struct inv *v, struct live *L)
{
	const struct kelf_sym *s = kelf_sym(&v->k, "boot_cpu_data");
	uint32_t off, size;

	if (!s || !v->btf || kbtf_member(v->btf, "cpuinfo_x86", "x86_capability", &off, &size) ||
	    size % 4 || size > sizeof(L->caps)) {
		snprintf(L->caps_src, sizeof(L->caps_src),
			 "unknown (needs boot_cpu_data in the symbol table and BTF)");
		return;
	}
	if (kmem_read1(&L->r, s->addr + off + L->kaslr, L->caps, size)) {
		snprintf(L->caps_src, sizeof(L->caps_src), "unreadable");
		return;
	}
	L->ncaps = size / 4;
	L->have_caps = true;
	snprintf(L->caps_src, sizeof(L->caps_src), "boot_cpu_data.x86_capability (%u words)",
		 L->ncaps);
}

static void classify(const struct inv *v, struct live *L, const struct alt_model *m, size_t i)
{
	const struct kelf_alt_site *s = &v->sites[i];
	struct site_live *sl = &L->sl[i];
	uint8_t img[ALT_MAX_LEN];
	int nmatch = 0, first = -1;

	for (size_t var = 0; var <= s->n && var < 32; var++) {
		char why[128];

		if (alt_site_image(&v->k, &v->alts, s, var, m, img, why, sizeof(why))) {
			if (!sl->why[0])
				snprintf(sl->why, sizeof(sl->why),
					 "variant %zu not modelled: %.80s", var, why);
			continue;
		}
		if (!memcmp(img, sl->bytes, s->len)) {
			sl->matches |= 1u << var;
			if (first < 0)
				first = var;
			nmatch++;
		}
	}
	if (!nmatch) {
		sl->variant = LV_NEITHER;
		L->n_neither++;
		return;
	}
	sl->variant = first;
	if (nmatch > 1) {
		/* identical bytes: the feature bits say which one ran */
		L->n_ambiguous++;
		if (sl->expected >= 0 && (sl->matches >> sl->expected & 1))
			sl->variant = sl->expected;
	}
	L->n_by_variant[sl->variant > 0]++;
	if (sl->expected >= 0) {
		sl->consistent = sl->matches >> sl->expected & 1;
		L->n_consistent += sl->consistent;
		L->n_inconsistent += !sl->consistent;
	}
}

static void live_sites(const struct inv *v, struct live *L)
{
	struct alt_model m = { .kaslr = L->kaslr,
			       .read_ptr = read_ptr_cb,
			       .arg = &L->r,
			       .locks = L->locks,
			       .nlocks = L->nlocks,
			       .up = L->up == 1,
			       .rets = L->rets,
			       .nrets = L->nrets,
			       .ret_thunk = L->ret_thunk,
			       .rethunk = L->rethunk,
			       .return_thunk = L->return_thunk,
			       .its_thunk = L->its_thunk };
	const struct kelf_sym *nf = kelf_sym(&v->k, "nop_func"), *end = kelf_sym(&v->k, "_end");
	struct kmem_req *q = calloc(v->nsites + 1, sizeof(*q));
	size_t *idx = calloc(v->nsites + 1, sizeof(*idx)), nq = 0;

	m.nop_func = nf ? nf->addr + L->kaslr : 0;
	m.image_lo = v->text;
	m.image_hi = end ? end->addr : v->etext;
	if (!kelf_region(&v->k, ".data..percpu", "__per_cpu_start", "__per_cpu_end", &m.percpu_lo,
			 &m.percpu_hi) &&
	    !m.percpu_lo)
		m.percpu_hi += m.percpu_lo; /* zero-based per-CPU area (x86_64 SMP) */
	else
		m.percpu_lo = m.percpu_hi = 0;
	L->sl = calloc(v->nsites + 1, sizeof(*L->sl));
	if (!q || !idx || !L->sl)
		goto out;
	for (size_t i = 0; i < v->nsites; i++) {
		const struct kelf_alt_site *s = &v->sites[i];

		L->sl[i].expected =
			L->have_caps ? (int)alt_site_expected(&v->alts, s, L->caps, L->ncaps) : -1;
		if (inv_is_freed(v, s->addr)) {
			L->sl[i].variant = LV_FREED;
			L->n_freed++;
		} else if (s->len) {
			idx[nq] = i;
			q[nq++] = (struct kmem_req){ .addr = s->addr + L->kaslr,
						     .len = s->len,
						     .buf = L->sl[i].bytes };
		}
	}
	if (kmem_read(&L->r, q, nq))
		for (size_t j = 0; j < nq; j++)
			q[j].err = -EIO;
	for (size_t j = 0; j < nq; j++) {
		if (!q[j].err)
			continue;
		L->sl[idx[j]].variant = LV_UNREAD;
		snprintf(L->sl[idx[j]].why, sizeof(L->sl[idx[j]].why), "read failed: %s",
			 strerror(-q[j].err));
		L->n_unread++;
	}
	for (size_t i = 0; i < v->nsites; i++) {
		uint64_t slot;
		char name[8];

		if (L->sl[i].variant == 0)
			classify(v, L, &m, i);
		if (L->sl[i].variant != LV_FREED && inv_pv_slot(v, &v->sites[i], &slot, name, 0) &&
		    read_ptr_cb(&L->r, slot + L->kaslr, &L->sl[i].pv_target))
			L->sl[i].pv_target = 0;
	}
out:
	free(q);
	free(idx);
}

/* Links of a static call check: the running addresses it compares with. */
struct scall_ctx {
	const struct kelf_sym *r0, *rt, *thunk;
	int64_t kaslr;
	int rethunk;
};

static int32_t rel32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
}

/* Is b what __static_call_transform() writes at site for the key's target func? */
static bool scall_check(const struct scall_ctx *x, const struct kelf_scall *sc, uint64_t site,
			uint64_t func, const uint8_t *b, char *what, size_t len)
{
	uint64_t tgt = site + 5 + (int64_t)rel32(b + 1);
	const struct kelf_sym *thunk = x->thunk;

	if (b[0] == 0xe8) {
		snprintf(what, len, "call 0x%" PRIx64, tgt);
		return !sc->tail && func && tgt == func;
	}
	if (b[0] == 0xe9) {
		snprintf(what, len, "jmp 0x%" PRIx64, tgt);
		return sc->tail && ((func && tgt == func) || (!func && thunk && x->rethunk != 0 &&
							      tgt == thunk->addr + x->kaslr));
	}
	if (b[0] == 0x0f && (b[1] & 0xf0) == 0x80) {
		tgt = site + 6 + (int64_t)rel32(b + 2);
		snprintf(what, len, "jcc 0x%" PRIx64, tgt);
		return sc->tail &&
		       ((func && tgt == func) ||
			(!func && ((x->rt && tgt == x->rt->addr + x->kaslr) ||
				   (thunk && x->rethunk != 0 && tgt == thunk->addr + x->kaslr))));
	}
	if (!memcmp(b, "\x0f\x1f\x44\x00\x00", 5)) {
		snprintf(what, len, "nop (no target)");
		return !sc->tail && !func;
	}
	if (!memcmp(b, "\x2e\x2e\x2e\x31\xc0", 5)) {
		snprintf(what, len, "xor %%eax,%%eax (return 0)");
		return !sc->tail && x->r0 && func == x->r0->addr + x->kaslr;
	}
	if (!memcmp(b, "\xc3\xcc\xcc\xcc\xcc", 5)) {
		snprintf(what, len, "ret");
		return sc->tail && !func && x->rethunk != 1;
	}
	{
		char h[32];

		snprintf(what, len, "unexpected bytes %s", hex_str(b, 5, " ", h, sizeof(h)));
	}
	return false;
}

/* Static call sites: the instruction must be what __static_call_transform() writes for
 * the key's current target. */
static void live_scalls(const struct inv *v, struct live *L)
{
	struct scall_ctx x = { .r0 = kelf_sym(&v->k, "__static_call_return0"),
			       .rt = kelf_sym(&v->k, "__static_call_return"),
			       .thunk = kelf_sym(&v->k, "x86_return_thunk"),
			       .kaslr = L->kaslr,
			       .rethunk = -1 };
	struct kmem_req *q = calloc(2 * v->nscalls + 1, sizeof(*q));
	uint8_t(*keys)[8] = calloc(v->nscalls + 1, 8);
	size_t nq = 0;

	L->cl = calloc(v->nscalls + 1, sizeof(*L->cl));
	if (!q || !keys || !L->cl)
		goto out;
	if (L->have_caps) {
		int b = kelf_feature_bit(&v->f, "X86_FEATURE_RETHUNK");

		x.rethunk = b >= 0 ? live_cap_set(L, b) : -1;
	}
	for (size_t i = 0; i < v->nscalls; i++) {
		if (inv_is_freed(v, v->scalls[i].addr)) {
			L->cl[i].state = LV_FREED;
			continue;
		}
		q[nq++] = (struct kmem_req){ .addr = v->scalls[i].addr + L->kaslr,
					     .len = 6,
					     .buf = L->cl[i].bytes };
		q[nq++] = (struct kmem_req){ .addr = v->scalls[i].key + L->kaslr,
					     .len = 8,
					     .buf = keys[i] };
	}
	if (kmem_read(&L->r, q, nq))
		for (size_t j = 0; j < nq; j++)
			q[j].err = -EIO;
	for (size_t i = 0, j = 0; i < v->nscalls; i++) {
		struct scall_live *c = &L->cl[i];
		bool ok;

		if (c->state == LV_FREED) {
			L->sc_freed++;
			continue;
		}
		j += 2;
		if (q[j - 2].err || q[j - 1].err) {
			c->state = LV_UNREAD;
			L->sc_unread++;
			continue;
		}
		memcpy(&c->func, keys[i], 8);
		ok = scall_check(&x, &v->scalls[i], v->scalls[i].addr + L->kaslr, c->func, c->bytes,
				 c->what, sizeof(c->what));
		c->state = ok ? 0 : LV_NEITHER;
		L->sc_ok += ok;
		L->sc_bad += !ok;
	}
out:
	free(q);
	free(keys);
}

int live_run(const struct inv *v, struct live *L, enum read_mode read, char *err, size_t len)
{
	const struct kelf_sym *t = kelf_sym(&v->k, "_text");
	uint64_t ktext;
	int e;

	if (!v->running) {
		snprintf(err, len, "%.500s is not the running kernel's vmlinux (%.250s)", v->path,
			 v->running_why);
		return -1;
	}
	if (!t) {
		snprintf(err, len, "%.500s has no _text symbol: cannot compute the KASLR offset",
			 v->path);
		return -1;
	}
	e = ksym_lookup("_text", "", &ktext);
	if (e) {
		snprintf(err, len, "cannot read _text from /proc/kallsyms (%s)",
			 e == -EPERM ? "addresses hidden: kptr_restrict, run as root"
				     : strerror(-e));
		return -1;
	}
	L->kaslr = (int64_t)(ktext - t->addr);
	if (reader_open(&L->r, read, err, len))
		return -1;
	L->method = L->r.method;
	live_caps(v, L);
	live_locks(v, L);
	live_returns(v, L);
	live_sites(v, L);
	live_scalls(v, L);
	L->reads = L->r.reads;
	return 0;
}

void live_free(struct live *L)
{
	kmem_close(&L->r);
	free(L->locks);
	free(L->rets);
	free(L->sl);
	free(L->cl);
}
