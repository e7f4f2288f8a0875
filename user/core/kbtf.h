/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel BTF read in pieces (/sys/kernel/btf/vmlinux is several MB; libbpf would
 * copy it twice). A kbtf is vmlinux or a module's split BTF on top of it; types
 * are indexed by one streaming pass and read one at a time, or loaded whole for
 * small modules.
 */
#ifndef PVTRACE_KBTF_H
#define PVTRACE_KBTF_H

#include <stddef.h>
#include <linux/btf.h>

struct kbtf {
	int fd;
	struct btf_header h;
	__u32 first_id; /* id of its first type */
	__u32 n;	/* number of types (after kbtf_index or kbtf_load_types) */
	__u32 str_base; /* string offsets below this are vmlinux's */
	__u32 *off;	/* offset of each type in the type section */
	char *types;	/* the type section, after kbtf_load_types */
	char *strs;	/* the string section, after kbtf_load_strs */
};

/* Open vmlinux (base NULL) or a module's split BTF (base: vmlinux, indexed). */
int kbtf_open(struct kbtf *k, const char *path, const struct kbtf *base);
void kbtf_close(struct kbtf *k);

/* Bytes of a type record, 0 for an unknown kind. */
size_t kbtf_type_size(const struct btf_type *t);

/* One pass over the types: index them; cb (may be NULL) sees each, nonzero stops. */
typedef int (*kbtf_type_fn)(void *ctx, __u32 id, const struct btf_type *t);
int kbtf_index(struct kbtf *k, kbtf_type_fn cb, void *ctx);

/* Load the whole type section (and index it), or the string section. */
int kbtf_load_types(struct kbtf *k);
int kbtf_load_strs(struct kbtf *k);

/* A loaded type, or NULL. */
const struct btf_type *kbtf_type(const struct kbtf *k, __u32 id);
/* Read type id from the file (indexed kbtf); *t is malloc'ed. */
int kbtf_read_type(const struct kbtf *k, __u32 id, struct btf_type **t);

/*
 * Offsets (as type name_off values would hold them) of each of names[] in k's
 * own string section, 0 when absent; one streaming pass.
 */
int kbtf_find_strs(const struct kbtf *k, const char *const *names, int n, __u32 *offs);

/* Name at a name_off of k's types: its own string or vmlinux's (base). */
int kbtf_name(const struct kbtf *k, const struct kbtf *base, __u32 off, char *buf, size_t len);

/* --- on a libbpf struct btf ------------------------------------------------------- */

struct btf;
struct btf_type;

/* struct id by name, 0 if none. */
__u32 kbtf_struct_id(const struct btf *btf, const char *name);
/* The type behind typedefs and qualifiers (its id in *out if not NULL), or NULL. */
const struct btf_type *kbtf_skip_mods(const struct btf *btf, __u32 id, __u32 *out);
/* Member by name in struct/union id, descending into anonymous members: bit offset,
 * size in bits, type id (may be NULL); 0 or -1. */
int kbtf_find_member(const struct btf *btf, __u32 id, const char *name, int depth, __u32 *bitoff,
		     __u32 *bits, __u32 *type_id);
/* Byte offset and byte size of a named member of a struct; 0 or -1. */
int kbtf_member(const struct btf *btf, const char *sname, const char *member, __u32 *off,
		__u32 *size);
/* Member path at byte offset off of a struct, "mmu.read_cr2"; 0 or -1. */
int kbtf_member_path(const struct btf *btf, const char *sname, __u32 off, char *buf, size_t len);

#endif
