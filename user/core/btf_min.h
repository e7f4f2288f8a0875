/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A minimal kernel BTF for CO-RE. libbpf parses the whole vmlinux BTF (several
 * MB, copied twice) to relocate a handful of fields. Instead, read the kernel's
 * BTF in small pieces and keep only the structs a BPF object's CO-RE
 * relocations start from, with what they embed (pointers are cut to forward
 * declarations, which CO-RE field matching allows). libbpf then relocates
 * against that (btf_custom_path).
 */
#ifndef PVTRACE_BTF_MIN_H
#define PVTRACE_BTF_MIN_H

#include <stddef.h>

struct btf_min {
	int fd;	       /* memfd holding the raw BTF */
	char path[64]; /* /proc/self/fd/N, for btf_custom_path */
	int ntypes;    /* types written */
	int nroots;    /* root names found */
};

/*
 * Root type names of the CO-RE relocations in a BPF ELF object (e.g. a
 * skeleton's embedded object). Returns a NULL-terminated array to free with
 * free() (one allocation), or NULL with errno set.
 */
char **btf_core_roots(const void *obj, size_t size);

/*
 * Build a minimal BTF with the named types from vmlinux BTF (btf_dir/vmlinux)
 * and, for names not there, from the listed modules' split BTF. btf_dir is
 * normally /sys/kernel/btf. Returns 0 or -errno with a message in err.
 */
int btf_min_build(struct btf_min *m, const char *btf_dir, char *const *roots,
		  const char *const *modules, char *err, size_t errlen);
void btf_min_close(struct btf_min *m);

/* Both steps for a skeleton: roots of its object, BTF from /sys/kernel/btf. */
int core_btf_build(struct btf_min *m, const void *(*elf_bytes)(size_t *sz),
		   const char *const *modules, char *err, size_t errlen);

#endif
