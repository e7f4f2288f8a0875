// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace patches: the inventory of a vmlinux's patch sites (patches.h). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kbtf.h"
#include "ksyms.h"
#include "util.h"
#include "patches/kimage.h"
#include "patches/patches.h"

void inv_free(struct inv *v)
{
	kelf_features_free(&v->f);
	btf__free(v->btf);
	kelf_alts_free(&v->alts);
	free(v->sites);
	free(v->fs);
	free(v->fn);
	free(v->scalls);
	free(v->paras);
	kelf_close(&v->k);
}

/* Does the ELF describe the running kernel? Compares GNU build ids. */
static bool is_running_kernel(const struct kelf *k, char *why, size_t len)
{
	uint8_t notes[4096], id[sizeof(k->build_id)];
	char a[2 * sizeof(id) + 1], b[2 * sizeof(id) + 1];
	int fd = open("/sys/kernel/notes", O_RDONLY | O_CLOEXEC), n;
	ssize_t r;

	if (fd < 0) {
		snprintf(why, len, "/sys/kernel/notes: %s", strerror(errno));
		return false;
	}
	r = read(fd, notes, sizeof(notes));
	close(fd);
	n = r > 0 ? kelf_notes_build_id(notes, r, id, sizeof(id)) : -1;
	if (n <= 0) {
		snprintf(why, len, "the running kernel has no build id in /sys/kernel/notes");
		return false;
	}
	if (!k->build_id_len) {
		snprintf(why, len, "the ELF has no build id");
		return false;
	}
	hex_str(id, n, NULL, a, sizeof(a));
	hex_str(k->build_id, k->build_id_len, NULL, b, sizeof(b));
	if ((size_t)n != k->build_id_len || memcmp(id, k->build_id, n)) {
		snprintf(why, len, "build id %s, running kernel %s", b, a);
		return false;
	}
	snprintf(why, len, "build id %s", b);
	return true;
}

bool inv_site_wanted(const struct inv *v, const struct kelf_alt_site *s, int feat,
		     const char *function)
{
	if (function && (!s->func || strcmp(s->func->name, function)))
		return false;
	if (feat < 0)
		return true;
	for (size_t i = s->first; i < s->first + s->n; i++)
		if (v->alts.v[i].cpuid == feat)
			return true;
	return false;
}

bool inv_is_freed(const struct inv *v, uint64_t a)
{
	const struct kelf_sec *s;

	if (v->init_end > v->init_begin)
		return a >= v->init_begin && a < v->init_end;
	s = kelf_sec_at(&v->k, a);
	return s && (!strncmp(s->name, ".init", 5) || !strncmp(s->name, ".exit", 5) ||
		     !strcmp(s->name, ".altinstr_replacement"));
}

/* .static_call_sites: distinct keys and tail calls */
static void count_scalls(struct inv *v)
{
	uint64_t *k = calloc(v->nscalls + 1, sizeof(*k));

	for (size_t i = 0; i < v->nscalls; i++) {
		v->nscall_tails += v->scalls[i].tail;
		if (k)
			k[i] = v->scalls[i].key;
	}
	if (k) {
		qsort(k, v->nscalls, sizeof(*k), patches_cmp_u64);
		for (size_t i = 0; i < v->nscalls; i++)
			v->nscall_keys += !i || k[i] != k[i - 1];
	}
	free(k);
}

int inv_load(struct inv *v, const struct patches_opts *o, char *err, size_t len)
{
	char why[800];
	const struct kelf_sym *s;

	if (o->vmlinux) {
		snprintf(v->path, sizeof(v->path), "%s", o->vmlinux);
	} else {
		const char *running = kernel_release();

		if (kimage_find_vmlinux(o->release ? o->release : running,
					!o->release || !strcmp(o->release, running), v->path,
					sizeof(v->path), err, len))
			return EXIT_RUNTIME;
	}
	/* a --vmlinux that is no kernel image is a bad argument; a found one, runtime */
	if (kelf_open(&v->k, v->path, err, len))
		return o->vmlinux ? EXIT_USAGE : EXIT_RUNTIME;
	if (kimage_identify(&v->k, why, sizeof(why))) {
		snprintf(err, len, "%.200s: %.800s", v->path, why);
		return o->vmlinux ? EXIT_USAGE : EXIT_RUNTIME;
	}
	v->running = is_running_kernel(&v->k, v->running_why, sizeof(v->running_why));
	kelf_features_load(&v->k, &v->f);
	/* struct alt_instr: the ELF's BTF, else the running kernel's (same build), else proved */
	v->btf = kelf_btf(&v->k);
	v->btf_origin = "the ELF's .BTF";
	if (!v->btf && v->running) {
		v->btf = btf__load_vmlinux_btf();
		if (libbpf_get_error(v->btf))
			v->btf = NULL;
		v->btf_origin = "the running kernel's BTF (same build id)";
	}
	if (kimage_alts(&v->k, v->btf, v->btf_origin, v->f.version, v->f.nbits, &v->layout,
			&v->alts, why, sizeof(why))) {
		snprintf(err, len, "%.200s: %.800s", v->path, why);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < v->alts.n; i++) {
		const struct kelf_sec *rs = kelf_sec_at(&v->k, v->alts.v[i].repl);

		v->in_repl_sec += rs && !strcmp(rs->name, ".altinstr_replacement");
		v->ndirect += !!(v->alts.v[i].flags & ALT_FLAG_DIRECT_CALL);
		v->nnot += !!(v->alts.v[i].flags & ALT_FLAG_NOT);
	}
	if (kelf_alt_sites(&v->k, &v->alts, &v->sites, &v->nsites) ||
	    kelf_alt_summary(&v->alts, v->sites, v->nsites, &v->fs, &v->nfs, &v->fn, &v->nfn)) {
		snprintf(err, len, "out of memory");
		return EXIT_RUNTIME;
	}
	v->nfuncs = v->nfn;
	if (kelf_scalls_read(&v->k, &v->scalls, &v->nscalls, err, len))
		return EXIT_RUNTIME;
	count_scalls(v);
	kelf_para_layout(v->btf, &v->play);
	v->has_para = !kelf_region(&v->k, ".parainstructions", "__parainstructions",
				   "__parainstructions_end", &(uint64_t){ 0 }, &(uint64_t){ 0 });
	if (kelf_paras_read(&v->k, &v->play, &v->paras, &v->nparas, err, len))
		return EXIT_RUNTIME;
	s = kelf_sym(&v->k, "__init_begin");
	v->init_begin = s ? s->addr : 0;
	s = kelf_sym(&v->k, "__init_end");
	v->init_end = s ? s->addr : 0;
	s = kelf_sym(&v->k, "_text");
	v->text = s ? s->addr : 0;
	s = kelf_sym(&v->k, "_etext");
	v->etext = s ? s->addr : 0;
	return 0;
}

const char *inv_func_str(const struct inv *v, uint64_t a, char *buf, size_t len)
{
	const struct kelf_sym *s = kelf_func_at(&v->k, a);

	if (!s)
		return snprintf(buf, len, "?"), buf;
	return sym_format(buf, len, s->name, a - s->addr, NULL, 0);
}

const char *inv_entry_str(const struct inv *v, const struct kelf_alt *e, char *buf, size_t len)
{
	char nb[48];
	const char *n = kelf_feature_name(&v->f, e->cpuid, nb, sizeof(nb));

	snprintf(buf, len, "%s%s%s", e->flags & ALT_FLAG_NOT ? "!" : "", n,
		 e->flags & ALT_FLAG_DIRECT_CALL ? "[DIRECT_CALL]" : "");
	return buf;
}

/* A DIRECT_CALL site's pv_ops slot (call *disp(%rip)): link address and member name. */
bool inv_pv_slot(const struct inv *v, const struct kelf_alt_site *s, uint64_t *slot, char *name,
		 size_t len)
{
	const struct kelf_sym *pv = kelf_sym(&v->k, "pv_ops");
	uint8_t b[6];
	bool dc = false;

	for (size_t i = s->first; i < s->first + s->n; i++)
		dc |= !!(v->alts.v[i].flags & ALT_FLAG_DIRECT_CALL);
	if (!dc || s->len != 6 || kelf_read(&v->k, s->addr, b, 6) || b[0] != 0xff || b[1] != 0x15)
		return false;
	*slot = s->addr + 6 +
		(int64_t)(int32_t)((uint32_t)b[2] | b[3] << 8 | b[4] << 16 | (uint32_t)b[5] << 24);
	name[0] = 0;
	if (pv && v->btf && *slot >= pv->addr &&
	    !kbtf_member_path(v->btf, "paravirt_patch_template", *slot - pv->addr, name, len))
		return true;
	if (pv && *slot >= pv->addr)
		snprintf(name, len, "+%" PRIu64, *slot - pv->addr);
	return true;
}

const char *inv_key_name(const struct inv *v, uint64_t key)
{
	size_t lo = 0, hi = v->k.nsyms;

	/* keys are data: exact symbol at the address */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->k.syms[mid].addr < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < v->k.nsyms && v->k.syms[lo].addr == key; lo++)
		if (!strncmp(v->k.syms[lo].name, "__SCK__", 7))
			return v->k.syms[lo].name + 7;
	return lo < v->k.nsyms && v->k.syms[lo].addr == key ? v->k.syms[lo].name : "?";
}

int patches_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}
