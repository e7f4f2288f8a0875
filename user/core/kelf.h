/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel ELF reader (vmlinux, modules, test objects) on libelf: sections, symbols,
 * build id, ET_REL modules laid out and relocated. Every input is untrusted: a
 * malformed file is an error message, never a crash. The kernel's own tables
 * (.altinstructions...) are read in user/patches/tables.h.
 */
#ifndef PVTRACE_KELF_H
#define PVTRACE_KELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;

struct kelf_sec {
	const char *name;
	uint32_t type;
	uint64_t flags;
	uint64_t addr; /* virtual address (assigned by kelf for ET_REL) */
	uint64_t size;
	uint64_t offset;
	uint64_t align;
	uint32_t link, info;
	uint32_t name_off;
	const uint8_t *data; /* NULL for NOBITS, compressed or out-of-file contents */
};

struct kelf_sym {
	uint64_t addr;
	uint64_t size;
	const char *name;
	uint8_t type; /* STT_* */
	uint8_t bind; /* STB_* */
	uint16_t shndx;
};

struct Elf;

struct kelf {
	const uint8_t *buf; /* the file (relocated copy for ET_REL) */
	size_t len;
	struct Elf *elf; /* libelf's view of buf */
	uint16_t type;	 /* e_type */
	void *map;	 /* mmap of the file, or NULL */
	size_t map_len;
	uint8_t *copy; /* ET_REL: relocated copy of buf */
	bool rel;      /* ET_REL: section addresses assigned by kelf, relocations applied */
	struct kelf_sec *secs;
	size_t nsecs;
	struct kelf_sym *syms; /* symbols in allocated sections, by address */
	size_t nsyms;
	uint32_t *by_name; /* indexes into syms, by name */
	uint8_t build_id[64];
	size_t build_id_len;
	size_t relocs_applied, relocs_skipped;
};

/* Open a file (mmap) or a buffer that outlives k. 0, or -1 with a one-line message. */
int kelf_open(struct kelf *k, const char *path, char *err, size_t errlen);
int kelf_open_mem(struct kelf *k, const void *buf, size_t len, char *err, size_t errlen);
void kelf_close(struct kelf *k);

const struct kelf_sec *kelf_sec(const struct kelf *k, const char *name);
/* Allocated section holding addr, or NULL. */
const struct kelf_sec *kelf_sec_at(const struct kelf *k, uint64_t addr);
const struct kelf_sym *kelf_sym(const struct kelf *k, const char *name);
/*
 * Function holding addr: a sized FUNC symbol that contains it, else the nearest
 * preceding label (NOTYPE or unsized FUNC), else the nearest preceding sized FUNC, in
 * the same section (addr may then lie past its size). NULL when none.
 */
const struct kelf_sym *kelf_func_at(const struct kelf *k, uint64_t addr);
/* Copy len bytes at a virtual address from one section's contents; 0 or -1. */
int kelf_read(const struct kelf *k, uint64_t addr, void *dst, size_t len);
/* NUL-terminated string at addr, at most len - 1 characters; 0 or -1. */
int kelf_read_str(const struct kelf *k, uint64_t addr, char *dst, size_t len);
/*
 * A table's bounds: start/stop symbols when both exist (vmlinux merges these
 * tables into bigger output sections), else the named section. 0, or -1 if absent.
 */
int kelf_region(const struct kelf *k, const char *sec, const char *start, const char *stop,
		uint64_t *addr, uint64_t *size);
/* "Linux version X.Y..." from linux_banner: "6.12.117" style into buf; 0 or -1. */
int kelf_kernel_version(const struct kelf *k, char *buf, size_t len);
/* Parsed .BTF section (libbpf), or NULL. Free with btf__free(). */
struct btf *kelf_btf(const struct kelf *k);
/* Parse NT_GNU_BUILD_ID out of raw notes (as in /sys/kernel/notes); length or -1. */
int kelf_notes_build_id(const uint8_t *notes, size_t len, uint8_t *id, size_t idlen);

#endif
