// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: the kernel ELF reader and everything pvtrace patches computes from
 * an ELF (sections, symbols, kernel identification, BTF layouts, the layout choice
 * without BTF, .altinstructions, sites, summaries, the apply_alternatives() model,
 * static calls, .parainstructions, feature names).
 * Build and run: tests/fuzz/run.sh [SECONDS] (it adds user/kimage.c to the build).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kbtf.h"
#include "kelf.h"
#include "patches/altmodel.h"
#include "patches/kimage.h"
#include "patches/tables.h"
#include "patches/x86_decode.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int read_slot(void *arg, uint64_t addr, uint64_t *val)
{
	(void)arg;
	*val = addr ^ 0x5a5a5a5aULL;
	return (addr & 7) == 7 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct kelf_para_layout pl;
	struct kelf_alt_layout l;
	struct kelf_features f;
	struct kelf_alt_site *s;
	struct kelf_scall *sc;
	struct kelf_para *p;
	struct kelf_alts a;
	struct kelf k;
	struct btf *btf;
	char err[256], buf[128];
	size_t n;
	static const char *const versions[] = { "", "6.1.0", "6.12.5", "junk" };

	if (!init) {
		libbpf_set_print(quiet);
		init = true;
	}
	if (kelf_open_mem(&k, data, size, err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			abort(); /* errors are one non-empty line */
		return 0;
	}
	kelf_kernel_version(&k, buf, sizeof(buf));
	if (k.build_id_len > sizeof(k.build_id))
		abort(); /* the build id fits its buffer */
	kimage_identify(&k, buf, sizeof(buf));
	kelf_features_load(&k, &f);
	btf = kelf_btf(&k);
	/* the layout choice with and without BTF, for each kind of version */
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		if (!kimage_alts(&k, i ? NULL : btf, "BTF", versions[i], f.nbits, &l, &a, err,
				 sizeof(err)))
			kelf_alts_free(&a);
		else if (!err[0] || strchr(err, '\n'))
			abort();
	}
	if (!btf || kelf_alt_layout_btf(btf, &l, err, sizeof(err)))
		kelf_alt_layout_fixed(&l);
	if (btf) {
		uint32_t off, sz;

		kbtf_member(btf, "cpuinfo_x86", "x86_capability", &off, &sz);
		kbtf_member_path(btf, "paravirt_patch_template", 8, buf, sizeof(buf));
	}
	if (!kelf_alts_read(&k, &l, f.nbits, &a, err, sizeof(err))) {
		struct alt_model m = { .read_ptr = read_slot, .nop_func = 0x1000, .up = true };
		struct kelf_feat_sum *fs;
		struct kelf_func_sum *fn;
		uint32_t caps[24];
		uint8_t img[ALT_MAX_LEN];
		size_t ns, nfs, nfn;

		memset(caps, 0xa5, sizeof(caps));
		if (!kelf_alt_sites(&k, &a, &s, &ns)) {
			uint64_t locks[4];

			for (size_t i = 0; i < ns && i < 4; i++)
				locks[i] = s[i].addr;
			m.locks = locks;
			m.nlocks = ns < 4 ? ns : 4;
			for (size_t i = 0; i < ns; i++) {
				for (size_t v = 0; v <= s[i].n && v < 8; v++)
					alt_site_image(&k, &a, &s[i], v, &m, img, err, sizeof(err));
				alt_site_expected(&a, &s[i], caps, 24);
				kelf_feature_name(&f, a.v[s[i].first].cpuid, buf, sizeof(buf));
			}
			if (!kelf_alt_summary(&a, s, ns, &fs, &nfs, &fn, &nfn)) {
				free(fs);
				free(fn);
			}
			free(s);
		}
		kelf_alts_free(&a);
	}
	if (!kelf_scalls_read(&k, &sc, &n, err, sizeof(err))) {
		for (size_t i = 0; i < n; i++)
			kelf_func_at(&k, sc[i].addr);
		free(sc);
	}
	kelf_para_layout(btf, &pl);
	if (!kelf_paras_read(&k, &pl, &p, &n, err, sizeof(err)))
		free(p);
	/* the decoder on every executable section's first bytes */
	for (size_t i = 0; i < k.nsecs; i++) {
		const struct kelf_sec *sec = &k.secs[i];
		struct x86_insn in;

		if (!sec->data || !(sec->flags & 4 /* SHF_EXECINSTR */))
			continue;
		for (size_t off = 0; off < sec->size && off < 4096;) {
			if (x86_decode(sec->data + off, sec->size - off, &in))
				off++;
			else
				off += in.len;
		}
		if (sec->size <= 255) {
			uint8_t tmp[255];

			memcpy(tmp, sec->data, sec->size);
			alt_optimize_nops(tmp, sec->size);
			alt_apply_relocation(tmp, sec->size, sec->addr, sec->addr + 64, sec->size);
		}
	}
	btf__free(btf);
	kelf_features_free(&f);
	kelf_close(&k);
	return 0;
}
