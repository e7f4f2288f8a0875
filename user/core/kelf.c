// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel ELF reader: see kelf.h. Only x86-64 little-endian ELF64. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <gelf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kelf.h"
#include "kbtf.h"
#include "patches/x86_cpufeatures.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

static uint16_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* [off, off + size) inside [0, len) without overflow */
static bool in_bounds(uint64_t off, uint64_t size, uint64_t len)
{
	return off <= len && size <= len - off;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static const char *elf_err(void)
{
	const char *m = elf_errmsg(-1);

	return m ? m : "malformed ELF";
}

/* --- open ------------------------------------------------------------------------ */

/*
 * The section header table's place, checked before libelf reads it so a truncated
 * file says so (libelf would only call the whole file invalid).
 */
static int check_shdrs(const struct kelf *k, const Elf64_Ehdr *eh, char *err, size_t errlen)
{
	uint64_t shnum = eh->e_shnum;

	if (!eh->e_shoff)
		return ERR("no section headers");
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return ERR("bad section header size %u", eh->e_shentsize);
	if (!in_bounds(eh->e_shoff, sizeof(Elf64_Shdr), k->len))
		return ERR("section headers beyond the end of the file (truncated?)");
	if (shnum == 0) { /* extended numbering: section 0's sh_size */
		Elf64_Shdr s0;

		memcpy(&s0, k->buf + eh->e_shoff, sizeof(s0));
		shnum = s0.sh_size;
	}
	if (shnum == 0 || shnum > (k->len - eh->e_shoff) / sizeof(Elf64_Shdr))
		return ERR("section headers beyond the end of the file (truncated?)");
	return 0;
}

static int read_sections(struct kelf *k, char *err, size_t errlen)
{
	size_t shnum, shstrndx;

	if (elf_getshdrnum(k->elf, &shnum) || !shnum)
		return ERR("section headers: %s", elf_err());
	if (elf_getshdrstrndx(k->elf, &shstrndx))
		return ERR("section name table index: %s", elf_err());
	if (shstrndx >= shnum)
		return ERR("bad section name table index %zu", shstrndx);
	k->secs = calloc(shnum, sizeof(*k->secs));
	if (!k->secs)
		return ERR("out of memory");
	k->nsecs = shnum;
	for (size_t i = 0; i < shnum; i++) {
		Elf_Scn *scn = elf_getscn(k->elf, i);
		struct kelf_sec *s = &k->secs[i];
		bool contents;
		GElf_Shdr h;
		Elf_Data *d;

		if (!scn || !gelf_getshdr(scn, &h))
			return ERR("section %zu: %s", i, elf_err());
		s->type = h.sh_type;
		s->flags = h.sh_flags;
		s->addr = h.sh_addr;
		s->offset = h.sh_offset;
		s->size = h.sh_size;
		s->align = h.sh_addralign;
		s->link = h.sh_link;
		s->info = h.sh_info;
		s->name_off = h.sh_name;
		contents = s->type != SHT_NOBITS && s->type != SHT_NULL &&
			   !(s->flags & SHF_COMPRESSED);
		if (!contents)
			continue;
		if (!in_bounds(s->offset, s->size, k->len)) {
			if (s->size)
				return ERR(
					"section %zu lies beyond the end of the file (truncated?)",
					i);
			continue;
		}
		if (!s->size) {
			s->data = k->buf + s->offset;
			continue;
		}
		/* the file's own bytes (the private copy for ET_REL), never converted */
		d = elf_rawdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size != s->size)
			return ERR("section %zu: %s", i, elf_err());
		s->data = d->d_buf;
	}
	for (size_t i = 0; i < shnum; i++) {
		const char *n = elf_strptr(k->elf, shstrndx, k->secs[i].name_off);

		k->secs[i].name = n ? n : "";
	}
	return 0;
}

static int sym_addr_cmp(const void *a, const void *b)
{
	const struct kelf_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->type != y->type) /* FUNC first, then NOTYPE, then OBJECT */
		return x->type == STT_FUNC ? -1 : y->type == STT_FUNC ? 1 : x->type - y->type;
	if (x->bind != y->bind) /* GLOBAL before WEAK before LOCAL */
		return (x->bind == STB_LOCAL) - (y->bind == STB_LOCAL) ?: (int)y->bind - x->bind;
	return strcmp(x->name, y->name);
}

static int sym_name_cmp(const void *a, const void *b, void *arg)
{
	const struct kelf_sym *syms = arg;
	const struct kelf_sym *x = &syms[*(const uint32_t *)a];
	const struct kelf_sym *y = &syms[*(const uint32_t *)b];
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	/* globals first among equal names */
	return (x->bind == STB_LOCAL) - (y->bind == STB_LOCAL)
		       ?: (x->addr > y->addr) - (x->addr < y->addr);
}

static size_t symtab_index(const struct kelf *k)
{
	for (size_t i = 0; i < k->nsecs; i++)
		if (k->secs[i].type == SHT_SYMTAB && k->secs[i].data)
			return i;
	return 0;
}

/* The symbol table's entries (libelf's view of a SHT_SYMTAB section); NULL on error. */
static Elf_Data *symtab_data(const struct kelf *k, size_t idx, size_t *n)
{
	Elf_Data *d = elf_getdata(elf_getscn(k->elf, idx), NULL);

	if (!d)
		return NULL;
	*n = d->d_size / sizeof(Elf64_Sym);
	return d;
}

static int read_symbols(struct kelf *k, char *err, size_t errlen)
{
	size_t st = symtab_index(k), n = 0, m = 0;
	uint32_t strndx;
	Elf_Data *d;

	if (!st)
		return 0; /* stripped: no function names */
	strndx = k->secs[st].link;
	if (strndx >= k->nsecs)
		return ERR("bad symbol string table index %u", strndx);
	d = symtab_data(k, st, &n);
	if (!d)
		return ERR("symbol table: %s", elf_err());
	if (n > UINT32_MAX)
		return ERR("too many symbols");
	k->syms = calloc(n ? n : 1, sizeof(*k->syms));
	if (!k->syms)
		return ERR("out of memory");
	for (size_t i = 1; i < n; i++) {
		struct kelf_sym *s;
		const char *name;
		GElf_Sym e;
		uint8_t type;

		if (!gelf_getsym(d, i, &e))
			return ERR("symbol %zu: %s", i, elf_err());
		type = GELF_ST_TYPE(e.st_info);
		if (e.st_shndx == SHN_UNDEF || e.st_shndx >= k->nsecs ||
		    !(k->secs[e.st_shndx].flags & SHF_ALLOC))
			continue;
		if (type != STT_FUNC && type != STT_NOTYPE && type != STT_OBJECT)
			continue;
		name = k->secs[strndx].data ? elf_strptr(k->elf, strndx, e.st_name) : NULL;
		if (!name || !*name)
			continue;
		s = &k->syms[m++];
		s->name = name;
		s->type = type;
		s->bind = GELF_ST_BIND(e.st_info);
		s->shndx = e.st_shndx;
		s->addr = e.st_value + (k->rel ? k->secs[e.st_shndx].addr : 0);
		s->size = e.st_size;
	}
	k->nsyms = m;
	qsort(k->syms, m, sizeof(*k->syms), sym_addr_cmp);
	k->by_name = calloc(m ? m : 1, sizeof(*k->by_name));
	if (!k->by_name)
		return ERR("out of memory");
	for (size_t i = 0; i < m; i++)
		k->by_name[i] = i;
	qsort_r(k->by_name, m, sizeof(*k->by_name), sym_name_cmp, k->syms);
	return 0;
}

/* ET_REL: give allocated sections addresses, like a linker would, from 0x1000 on */
static int layout_rel(struct kelf *k, char *err, size_t errlen)
{
	uint64_t at = 0x1000;

	for (size_t i = 0; i < k->nsecs; i++) {
		struct kelf_sec *s = &k->secs[i];
		uint64_t align = s->align;

		if (!(s->flags & SHF_ALLOC))
			continue;
		if (align > 4096)
			align = 4096;
		if (align > 1)
			at = (at + align - 1) & ~(align - 1);
		s->addr = at;
		if (s->size > (1ULL << 40) || at + s->size > (1ULL << 41))
			return ERR("section %zu too large (%llu bytes)", i,
				   (unsigned long long)s->size);
		at += s->size;
	}
	return 0;
}

/* Width of a relocation type pvtrace applies, 0 for one it skips. */
static int reloc_width(uint32_t type)
{
	switch (type) {
	case R_X86_64_64:
	case R_X86_64_PC64:
		return 8;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
	case R_X86_64_32:
	case R_X86_64_32S:
		return 4;
	default:
		return 0;
	}
}

/* One RELA entry of section i (target t, symbols sd) into the private copy. */
static int relocate_one(struct kelf *k, size_t i, size_t j, const struct kelf_sec *t, Elf_Data *sd,
			size_t nsyms, const GElf_Rela *r, char *err, size_t errlen)
{
	uint32_t type = GELF_R_TYPE(r->r_info), sym = GELF_R_SYM(r->r_info);
	int width = reloc_width(type);
	uint64_t s_val, p;
	uint8_t *dst;
	GElf_Sym se;

	if (!width) {
		k->relocs_skipped++;
		return 0;
	}
	if (!in_bounds(r->r_offset, width, t->size))
		return ERR("relocation %zu of section %zu outside its target", j, i);
	if (sym >= nsyms || !gelf_getsym(sd, sym, &se))
		return ERR("relocation %zu of section %zu: bad symbol %u", j, i, sym);
	if (se.st_shndx == SHN_UNDEF) {
		k->relocs_skipped++;
		return 0;
	}
	s_val = se.st_value;
	if (se.st_shndx < k->nsecs && se.st_shndx != SHN_ABS)
		s_val += k->secs[se.st_shndx].addr;
	p = t->addr + r->r_offset;
	dst = k->copy + t->offset + r->r_offset;
	if (type == R_X86_64_64)
		put64(dst, s_val + r->r_addend);
	else if (type == R_X86_64_PC64)
		put64(dst, s_val + r->r_addend - p);
	else if (type == R_X86_64_32 || type == R_X86_64_32S)
		put32(dst, (uint32_t)(s_val + r->r_addend));
	else
		put32(dst, (uint32_t)(s_val + r->r_addend - p));
	k->relocs_applied++;
	return 0;
}

/* ET_REL: apply RELA relocations to allocated sections of the private copy */
static int relocate(struct kelf *k, char *err, size_t errlen)
{
	for (size_t i = 0; i < k->nsecs; i++) {
		const struct kelf_sec *r = &k->secs[i], *t, *st;
		Elf_Data *rd, *sd;
		size_t n, nsyms;

		if (r->type != SHT_RELA || !r->data)
			continue;
		if (r->info >= k->nsecs || r->link >= k->nsecs)
			return ERR("relocation section %zu: bad links", i);
		t = &k->secs[r->info];
		st = &k->secs[r->link];
		if (!(t->flags & SHF_ALLOC) || !t->data)
			continue;
		if (st->type != SHT_SYMTAB || !st->data)
			return ERR("relocation section %zu: no symbol table", i);
		rd = elf_getdata(elf_getscn(k->elf, i), NULL);
		sd = symtab_data(k, r->link, &nsyms);
		if (!rd || !sd)
			return ERR("relocation section %zu: %s", i, elf_err());
		n = rd->d_size / sizeof(Elf64_Rela);
		for (size_t j = 0; j < n; j++) {
			GElf_Rela e;

			if (!gelf_getrela(rd, j, &e))
				return ERR("relocation %zu of section %zu: %s", j, i, elf_err());
			if (relocate_one(k, i, j, t, sd, nsyms, &e, err, errlen))
				return -1;
		}
	}
	return 0;
}

static void read_build_id(struct kelf *k)
{
	for (size_t i = 0; i < k->nsecs; i++) {
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, next, name, desc;

		if (k->secs[i].type != SHT_NOTE || !k->secs[i].data)
			continue;
		d = elf_getdata(elf_getscn(k->elf, i), NULL);
		if (!d || !d->d_buf)
			continue;
		while ((next = gelf_getnote(d, off, &nh, &name, &desc)) > 0) {
			const char *nb = (const char *)d->d_buf;

			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp(nb + name, "GNU", 4)) {
				if (!nh.n_descsz || nh.n_descsz > sizeof(k->build_id))
					break;
				memcpy(k->build_id, nb + desc, nh.n_descsz);
				k->build_id_len = nh.n_descsz;
				return;
			}
			off = next;
		}
	}
}

int kelf_notes_build_id(const uint8_t *notes, size_t len, uint8_t *id, size_t idlen)
{
	size_t off = 0;

	/* raw notes (not an ELF file: /sys/kernel/notes), so not through libelf */
	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name, desc, next;

		memcpy(&nh, notes + off, sizeof(nh));
		name = off + sizeof(nh);
		desc = name + (((uint64_t)nh.n_namesz + 3) & ~3ULL);
		next = desc + (((uint64_t)nh.n_descsz + 3) & ~3ULL);
		if (!in_bounds(name, nh.n_namesz, len) || !in_bounds(desc, nh.n_descsz, len))
			return -1;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp(notes + name, "GNU", 4)) {
			if (!nh.n_descsz || nh.n_descsz > idlen)
				return -1;
			memcpy(id, notes + desc, nh.n_descsz);
			return nh.n_descsz;
		}
		if (next > len)
			return -1;
		off = next;
	}
	return -1;
}

/* The ELF header checks whose messages users see, before libelf parses the file. */
static int check_ehdr(const uint8_t *b, size_t len, Elf64_Ehdr *eh, char *err, size_t errlen)
{
	if (len < sizeof(Elf64_Ehdr) || memcmp(b, ELFMAG, SELFMAG))
		return ERR("not an ELF file%s",
			   len < sizeof(Elf64_Ehdr) && len >= SELFMAG && !memcmp(b, ELFMAG, SELFMAG)
				   ? " (truncated header)"
				   : "");
	if (b[EI_CLASS] != ELFCLASS64 || b[EI_DATA] != ELFDATA2LSB)
		return ERR("not a 64-bit little-endian ELF file");
	memcpy(eh, b, sizeof(*eh)); /* x86-64 hosts only: the file's byte order */
	if (eh->e_machine != EM_X86_64)
		return ERR("not an x86-64 ELF file (e_machine %u)", eh->e_machine);
	if (eh->e_type != ET_EXEC && eh->e_type != ET_REL && eh->e_type != ET_DYN)
		return ERR("unsupported ELF type %u (want a vmlinux, module or object)",
			   eh->e_type);
	return 0;
}

int kelf_open_mem(struct kelf *k, const void *buf, size_t len, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	char dummy[8];

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	memset(k, 0, sizeof(*k));
	k->buf = buf;
	k->len = len;
	if (check_ehdr(buf, len, &eh, err, errlen))
		return -1;
	k->type = eh.e_type;
	k->rel = eh.e_type == ET_REL;
	if (check_shdrs(k, &eh, err, errlen))
		goto fail;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf: %s", elf_err());
		goto fail;
	}
	/* read only: libelf never writes the image (a read-only mapping for files) */
	k->elf = elf_memory((char *)buf, len);
	if (!k->elf || elf_kind(k->elf) != ELF_K_ELF) {
		snprintf(err, errlen, "%s", elf_err());
		goto fail;
	}
	if (read_sections(k, err, errlen))
		goto fail;
	if (k->rel) {
		/*
		 * Relocations go to a private copy of the section contents; libelf keeps
		 * reading the file itself (its headers stay as they are even where a
		 * malformed relocation's target overlaps them).
		 */
		k->copy = malloc(len);
		if (!k->copy) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		memcpy(k->copy, buf, len);
		k->buf = k->copy;
		for (size_t i = 0; i < k->nsecs; i++)
			if (k->secs[i].data)
				k->secs[i].data = k->copy + k->secs[i].offset;
		if (layout_rel(k, err, errlen) || relocate(k, err, errlen))
			goto fail;
	}
	if (read_symbols(k, err, errlen))
		goto fail;
	read_build_id(k);
	return 0;
fail:
	kelf_close(k);
	return -1;
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m)    ? "a directory"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISSOCK(m) ? "a socket"
			     : "unknown type";
}

int kelf_open(struct kelf *k, const char *path, char *err, size_t errlen)
{
	struct stat st;
	void *map;
	int fd, r;

	memset(k, 0, sizeof(*k));
	/*
	 * Never open a device (opening one can act), and never wait in open() for a
	 * FIFO's writer: stat first, then O_NONBLOCK and fstat for a file swapped since.
	 */
	if (stat(path, &st))
		return ERR("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ERR("%s: not a regular file (%s)", path, file_kind(st.st_mode));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return ERR("%s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		int e = errno;

		close(fd);
		return ERR("%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return ERR("%s: not a regular file (%s)", path, file_kind(st.st_mode));
	}
	if (st.st_size == 0) {
		close(fd);
		return ERR("%s: empty file", path);
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return ERR("%s: mmap: %s", path, strerror(errno));
	r = kelf_open_mem(k, map, st.st_size, err, errlen);
	if (r) {
		size_t n = strlen(err);

		/* prefix the path: "FILE: message" */
		if (n + strlen(path) + 3 < errlen) {
			memmove(err + strlen(path) + 2, err, n + 1);
			memcpy(err, path, strlen(path));
			memcpy(err + strlen(path), ": ", 2);
		}
		munmap(map, st.st_size);
		return r;
	}
	k->map = map;
	k->map_len = st.st_size;
	return 0;
}

void kelf_close(struct kelf *k)
{
	if (k->elf)
		elf_end(k->elf);
	free(k->secs);
	free(k->syms);
	free(k->by_name);
	free(k->copy);
	if (k->map)
		munmap(k->map, k->map_len);
	memset(k, 0, sizeof(*k));
}

/* --- lookups ------------------------------------------------------------------------ */

const struct kelf_sec *kelf_sec(const struct kelf *k, const char *name)
{
	for (size_t i = 0; i < k->nsecs; i++)
		if (!strcmp(k->secs[i].name, name))
			return &k->secs[i];
	return NULL;
}

const struct kelf_sec *kelf_sec_at(const struct kelf *k, uint64_t addr)
{
	for (size_t i = 0; i < k->nsecs; i++) {
		const struct kelf_sec *s = &k->secs[i];

		if ((s->flags & SHF_ALLOC) && s->size && addr >= s->addr &&
		    addr - s->addr < s->size)
			return s;
	}
	return NULL;
}

const struct kelf_sym *kelf_sym(const struct kelf *k, const char *name)
{
	size_t lo = 0, hi = k->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(k->syms[k->by_name[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < k->nsyms && !strcmp(k->syms[k->by_name[lo]].name, name))
		return &k->syms[k->by_name[lo]];
	return NULL;
}

/* index of the last symbol with addr <= a, or SIZE_MAX */
static size_t sym_floor(const struct kelf *k, uint64_t a)
{
	size_t lo = 0, hi = k->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : SIZE_MAX;
}

const struct kelf_sym *kelf_func_at(const struct kelf *k, uint64_t addr)
{
	const struct kelf_sec *sec = kelf_sec_at(k, addr);
	const struct kelf_sym *label = NULL, *before = NULL;
	size_t i = sym_floor(k, addr);

	/* symbols starting at or before addr, nearest first, within a bounded window */
	for (size_t n = 0; n < 256 && i != SIZE_MAX; n++, i--) {
		const struct kelf_sym *s = &k->syms[i];
		bool sized = s->type == STT_FUNC && s->size;

		if (sized && addr - s->addr < s->size) {
			/* several at one address: the best ranked sorts first */
			while (i > 0 && k->syms[i - 1].addr == s->addr &&
			       k->syms[i - 1].type == STT_FUNC && k->syms[i - 1].size)
				s = &k->syms[--i];
			return s;
		}
		if (s->type == STT_OBJECT || !sec || &k->secs[s->shndx] != sec)
			continue;
		if (!label && !sized) {
			label = s;
			while (i > 0 && k->syms[i - 1].addr == s->addr &&
			       k->syms[i - 1].type != STT_OBJECT &&
			       !(k->syms[i - 1].type == STT_FUNC && k->syms[i - 1].size))
				label = &k->syms[--i];
		}
		if (!before && sized)
			before = s;
	}
	/* code past a function's size without a symbol of its own (as objdump names it) */
	return label ? label : before;
}

int kelf_read(const struct kelf *k, uint64_t addr, void *dst, size_t len)
{
	const struct kelf_sec *s = kelf_sec_at(k, addr);

	if (!s || !s->data || len > s->size - (addr - s->addr))
		return -1;
	memcpy(dst, s->data + (addr - s->addr), len);
	return 0;
}

int kelf_read_str(const struct kelf *k, uint64_t addr, char *dst, size_t len)
{
	const struct kelf_sec *s = kelf_sec_at(k, addr);
	const uint8_t *p, *z;
	size_t avail;

	if (!s || !s->data || !len)
		return -1;
	p = s->data + (addr - s->addr);
	avail = s->size - (addr - s->addr);
	if (avail > len - 1)
		avail = len - 1;
	z = memchr(p, 0, avail);
	if (!z && avail < len - 1)
		return -1;
	avail = z ? (size_t)(z - p) : avail;
	memcpy(dst, p, avail);
	dst[avail] = 0;
	return 0;
}

int kelf_region(const struct kelf *k, const char *sec, const char *start, const char *stop,
		uint64_t *addr, uint64_t *size)
{
	const struct kelf_sym *a = start ? kelf_sym(k, start) : NULL;
	const struct kelf_sym *b = stop ? kelf_sym(k, stop) : NULL;
	const struct kelf_sec *s;

	if (a && b && b->addr >= a->addr) {
		*addr = a->addr;
		*size = b->addr - a->addr;
		return 0;
	}
	s = sec ? kelf_sec(k, sec) : NULL;
	if (!s || !(s->flags & SHF_ALLOC))
		return -1;
	*addr = s->addr;
	*size = s->size;
	return 0;
}

int kelf_kernel_version(const struct kelf *k, char *buf, size_t len)
{
	const struct kelf_sym *s = kelf_sym(k, "linux_banner");
	static const char pfx[] = "Linux version ";
	char banner[256];
	size_t n;

	if (!s || kelf_read_str(k, s->addr, banner, sizeof(banner)) ||
	    strncmp(banner, pfx, strlen(pfx)))
		return -1;
	n = strcspn(banner + strlen(pfx), " \n");
	if (!n || n >= len)
		return -1;
	memcpy(buf, banner + strlen(pfx), n);
	buf[n] = 0;
	return 0;
}

struct btf *kelf_btf(const struct kelf *k)
{
	const struct kelf_sec *s = kelf_sec(k, ".BTF");
	struct btf *btf;

	if (!s || !s->data || s->size < 24 || s->size > UINT32_MAX)
		return NULL;
	btf = btf__new(s->data, s->size);
	return btf && !libbpf_get_error(btf) ? btf : NULL;
}

const char *kelf_build_id_hex(const struct kelf *k, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < k->build_id_len && o + 3 <= len; i++)
		o += snprintf(buf + o, len - o, "%02x", k->build_id[i]);
	return buf;
}

/* --- BTF helpers ------------------------------------------------------------------- */

static int member_path(const struct btf *btf, uint32_t id, uint32_t off, char *buf, size_t len,
		       int depth)
{
	const struct btf_type *t = kbtf_skip_mods(btf, id, NULL);

	if (!t || depth > 8 || (!btf_is_struct(t) && !btf_is_union(t)))
		return -1;
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		const struct btf_member *m = btf_members(t) + i;
		const char *mn = btf__name_by_offset(btf, m->name_off);
		uint32_t moff = btf_member_bit_offset(t, i) / 8;
		long sz = btf__resolve_size(btf, m->type);
		const struct btf_type *mt = kbtf_skip_mods(btf, m->type, NULL);
		size_t n = strlen(buf);

		if (sz <= 0 || off < moff || off - moff >= (uint64_t)sz || !mt)
			continue;
		if (mn && *mn)
			snprintf(buf + n, len - n, "%s%s", n ? "." : "", mn);
		if (btf_is_struct(mt) || btf_is_union(mt)) {
			if (!member_path(btf, m->type, off - moff, buf, len, depth + 1))
				return 0;
			buf[n] = 0;
			continue;
		}
		if (off != moff) {
			buf[n] = 0;
			continue;
		}
		return 0;
	}
	return -1;
}

int kelf_btf_member_path(const struct btf *btf, const char *sname, uint32_t off, char *buf,
			 size_t len)
{
	uint32_t id = kbtf_struct_id(btf, sname);

	if (!id || !len)
		return -1;
	buf[0] = 0;
	return member_path(btf, id, off, buf, len, 0);
}

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
	/* u[] is sorted by name here */
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
	version_ok = !version[0] ||
		     (f->version[0] && !strncmp(f->version, version, strlen(version)) &&
		      (f->version[strlen(version)] == '.' || f->version[strlen(version)] == 0 ||
		       f->version[strlen(version)] == '-'));
	if (nc >= 0 && kcap != ncapints)
		version_ok = false;
	if (version_ok) {
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
	if (version_ok && !f->disagree) {
		f->from_table = true;
		f->ncapints = ncapints;
		f->nbugints = nbugints;
		if (nc >= 0)
			snprintf(
				f->source, sizeof(f->source),
				"table generated from Linux %s cpufeatures.h; all %u cpuinfo names "
				"agree with the kernel's x86_cap_flags/x86_bug_flags",
				version[0] ? version : "?", f->kernel_names);
		else
			snprintf(f->source, sizeof(f->source),
				 "table generated from Linux %s cpufeatures.h (kernel %s; no "
				 "x86_cap_flags in the ELF to cross-check)",
				 version[0] ? version : "?",
				 f->version[0] ? f->version : "unknown");
	} else {
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
				 f->kernel_names ? f->kernel_names
						 : (unsigned)(nc + (nb > 0 ? nb : 0)),
				 version, f->disagree ? "disagrees" : "is for another version");
		else
			snprintf(f->source, sizeof(f->source),
				 "no names: kernel %s is not Linux %s and has no x86_cap_flags; "
				 "bits "
				 "as word*32+bit",
				 f->version[0] ? f->version : "unknown", version);
	}
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

/* --- x86 instruction length decoder -------------------------------------------------- */

/* One-byte map: the opcode has a ModRM byte (VEX/EVEX/XOP escapes handled apart). */
static bool modrm_1(uint8_t op)
{
	if (op < 0x40)
		return (op & 7) < 4; /* ALU r/m forms: x0-x3, x8-xb */
	switch (op) {
	case 0x63:
	case 0x69:
	case 0x6b:
	case 0x80 ... 0x8f:
	case 0xc0:
	case 0xc1:
	case 0xc6:
	case 0xc7:
	case 0xd0 ... 0xd3:
	case 0xd8 ... 0xdf:
	case 0xf6:
	case 0xf7:
	case 0xfe:
	case 0xff:
		return true;
	}
	return false;
}

/* Two-byte map (0f xx). */
static bool modrm_2(uint8_t op)
{
	switch (op) {
	case 0x04 ... 0x0c:
	case 0x0e:
	case 0x24 ... 0x27:
	case 0x30 ... 0x3f:
	case 0x77:
	case 0x80 ... 0x8f:
	case 0xa0 ... 0xa2:
	case 0xa6 ... 0xaa:
	case 0xc8 ... 0xcf:
		return false;
	}
	return true;
}

/* modrm, SIB and displacement at p[*i]; false if truncated */
static bool decode_modrm(const uint8_t *p, size_t avail, size_t *i, struct x86_insn *in,
			 bool addr32)
{
	uint8_t m, mod, rm;

	(void)addr32; /* 32- and 64-bit addressing share the ModRM/SIB format */
	if (*i >= avail)
		return false;
	m = p[(*i)++];
	in->modrm_len = 1;
	in->modrm = m;
	mod = m >> 6;
	rm = m & 7;
	if (mod == 3)
		return true;
	if (rm == 4) {
		if (*i >= avail)
			return false;
		if (mod == 0 && (p[*i] & 7) == 5)
			in->disp_len = 4;
		(*i)++;
	} else if (mod == 0 && rm == 5) {
		in->disp_len = 4;
		in->riprel = true;
	}
	if (mod == 1)
		in->disp_len = 1;
	else if (mod == 2)
		in->disp_len = 4;
	in->disp_off = *i;
	*i += in->disp_len;
	return *i <= avail;
}

int x86_decode(const uint8_t *p, size_t avail, struct x86_insn *in)
{
	bool opsize = false, addr32 = false, rexw = false, has_modrm = false;
	size_t i = 0, imm = 0;
	uint8_t op, map = 0;

	memset(in, 0, sizeof(*in));
	if (avail > 15)
		avail = 15;
	/* legacy prefixes, then an optional REX */
	for (; i < avail; i++) {
		uint8_t b = p[i];

		if (b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x26 ||
		    b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65) {
			if (!in->nprefixes)
				in->rep_f3 = b == 0xf3;
			in->nprefixes++;
			opsize |= b == 0x66;
			addr32 |= b == 0x67;
			rexw = false; /* a REX before a legacy prefix is ignored */
			continue;
		}
		if ((b & 0xf0) == 0x40) {
			rexw = b & 8;
			if (i + 1 < avail && (p[i + 1] & 0xf0) == 0x40)
				continue; /* only the last REX counts */
			i++;
		}
		break;
	}
	if (i >= avail)
		return -1;
	op = p[i++];
	if (op == 0xc4 || op == 0xc5 || op == 0x62 || (op == 0x8f && i < avail && (p[i] & 0x38))) {
		/* VEX (c4/c5), EVEX (62), XOP (8f with ModRM.reg != 0) */
		size_t plen = op == 0xc5 ? 1 : op == 0x62 ? 3 : 2;

		if (i + plen >= avail)
			return -1;
		if (op == 0xc5)
			map = 1;
		else if (op == 0x62)
			map = p[i] & 7;
		else
			map = p[i] & 0x1f;
		i += plen;
		in->vex = true;
		op = p[i++];
		in->opcode[0] = op;
		in->nopcode = 1;
		if (op == 0x8f || map == 0) /* unreachable for real code */
			return -1;
		has_modrm = !(map == 1 && op == 0x77); /* vzeroupper/vzeroall */
		if (map == 3 || map == 8)
			imm = 1;
		else if (map == 0xa)
			imm = 4;
		else if (map == 1 && ((op >= 0x70 && op <= 0x73) || op == 0xc2 || op == 0xc4 ||
				      op == 0xc5 || op == 0xc6))
			imm = 1;
	} else if (op == 0x0f) {
		if (i >= avail)
			return -1;
		op = p[i++];
		in->opcode[0] = 0x0f;
		in->opcode[1] = op;
		in->nopcode = 2;
		if (op == 0x38 || op == 0x3a) {
			if (i >= avail)
				return -1;
			in->opcode[2] = p[i++];
			in->nopcode = 3;
			has_modrm = true;
			imm = op == 0x3a;
		} else {
			has_modrm = modrm_2(op);
			if (op >= 0x80 && op <= 0x8f)
				imm = 4; /* Jcc rel32 */
			else if ((op >= 0x70 && op <= 0x73) || op == 0xa4 || op == 0xac ||
				 op == 0xba || op == 0xc2 || (op >= 0xc4 && op <= 0xc6) ||
				 op == 0x0f)
				imm = 1;
		}
	} else {
		in->opcode[0] = op;
		in->nopcode = 1;
		has_modrm = modrm_1(op);
		switch (op) {
		case 0x04:
		case 0x0c:
		case 0x14:
		case 0x1c:
		case 0x24:
		case 0x2c:
		case 0x34:
		case 0x3c:
		case 0x6a:
		case 0x6b:
		case 0x70 ... 0x7f:
		case 0x80:
		case 0x82:
		case 0x83:
		case 0xa8:
		case 0xb0 ... 0xb7:
		case 0xc0:
		case 0xc1:
		case 0xc6:
		case 0xcd:
		case 0xd4:
		case 0xd5:
		case 0xe0 ... 0xe7:
		case 0xeb:
			imm = 1;
			break;
		case 0x05:
		case 0x0d:
		case 0x15:
		case 0x1d:
		case 0x25:
		case 0x2d:
		case 0x35:
		case 0x3d:
		case 0x68:
		case 0x69:
		case 0x81:
		case 0xa9:
		case 0xc7:
			imm = opsize ? 2 : 4;
			break;
		case 0xe8:
		case 0xe9:
			imm = 4; /* rel32 in 64-bit mode */
			break;
		case 0xb8 ... 0xbf:
			imm = rexw ? 8 : opsize ? 2 : 4;
			break;
		case 0xa0 ... 0xa3:
			imm = addr32 ? 4 : 8; /* moffs */
			break;
		case 0xc2:
		case 0xca:
			imm = 2;
			break;
		case 0xc8:
			imm = 3; /* enter iw, ib */
			break;
		case 0x06:
		case 0x07:
		case 0x0e:
		case 0x16:
		case 0x17:
		case 0x1e:
		case 0x1f:
		case 0x27:
		case 0x2f:
		case 0x37:
		case 0x3f:
		case 0x60:
		case 0x61:
		case 0x9a:
		case 0xce:
		case 0xd6:
		case 0xea:
			return -1; /* invalid in 64-bit mode */
		}
	}
	if (has_modrm && !decode_modrm(p, avail, &i, in, addr32))
		return -1;
	if (!in->vex && in->nopcode == 1 && (op == 0xf6 || op == 0xf7) &&
	    ((in->modrm >> 3) & 7) < 2)
		imm = op == 0xf6 ? 1 : opsize ? 2 : 4;
	in->imm_off = i;
	in->imm_len = imm;
	i += imm;
	if (i > avail)
		return -1;
	in->len = i;
	return 0;
}

bool x86_insn_is_nop(const struct x86_insn *in)
{
	if (in->vex)
		return false;
	if (in->nopcode == 1 && in->opcode[0] == 0x90 && !in->rep_f3)
		return true;
	return in->nopcode == 2 && in->opcode[0] == 0x0f && in->opcode[1] == 0x1f;
}

/* --- apply_alternatives() model ----------------------------------------------------- */

/* x86_nops[] of Linux 6.12 (arch/x86/include/asm/nops.h, 64-bit), ASM_NOP_MAX 11 */
static const uint8_t nops[12][11] = {
	{ 0 },
	{ 0x90 },
	{ 0x66, 0x90 },
	{ 0x0f, 0x1f, 0x00 },
	{ 0x0f, 0x1f, 0x40, 0x00 },
	{ 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	{ 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	{ 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	{ 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};
#define NOP_MAX 11

/* add_nop(): one NOP up to 11 bytes, else a jump over int3 padding */
static void add_nop(uint8_t *buf, size_t len)
{
	size_t i;

	if (!len)
		return;
	if (len <= NOP_MAX) {
		memcpy(buf, nops[len], len);
		return;
	}
	if (len < 128) {
		buf[0] = 0xeb;
		buf[1] = len - 2;
		i = 2;
	} else {
		buf[0] = 0xe9;
		put32(buf + 1, len - 5);
		i = 5;
	}
	memset(buf + i, 0xcc, len - i);
}

static size_t skip_nops(const uint8_t *buf, size_t off, size_t len)
{
	struct x86_insn in;

	while (off < len) {
		if (x86_decode(buf + off, len - off, &in) || !x86_insn_is_nop(&in))
			break;
		off += in.len;
	}
	return off;
}

void alt_optimize_nops(uint8_t *buf, size_t len)
{
	struct x86_insn in;

	for (size_t next, i = 0; i < len; i = next) {
		if (x86_decode(buf + i, len - i, &in))
			return;
		next = i + in.len;
		if (x86_insn_is_nop(&in)) {
			if (next == len) /* already optimized */
				return;
			next = skip_nops(buf, next, len);
			if (next > len)
				return;
			add_nop(buf + i, next - i);
		}
	}
}

static int64_t get_signed(const uint8_t *p, int n)
{
	return n == 1 ? (int8_t)p[0] : n == 2 ? (int16_t)get16(p) : (int32_t)get32(p);
}

/* apply_reloc(): add diff to an n-byte field; the kernel BUG()s on overflow */
static int add_reloc(uint8_t *p, int n, int64_t diff)
{
	int64_t v = get_signed(p, n) + diff;

	if (n == 1 ? v != (int8_t)v : n == 2 ? v != (int16_t)v : v != (int32_t)v)
		return -1;
	for (int i = 0; i < n; i++)
		p[i] = (uint64_t)v >> (8 * i);
	return 0;
}

/* need_reloc(): a target inside [repl, repl + repl_len] moves with the block */
static bool need_reloc(int64_t off, size_t repl_len)
{
	return off < 0 || off > (int64_t)repl_len;
}

int alt_apply_relocation(uint8_t *buf, size_t len, uint64_t instr, uint64_t repl, size_t repl_len)
{
	int64_t diff = (int64_t)(repl - instr);
	struct x86_insn in;

	for (size_t next, i = 0; i < len; i = next) {
		uint8_t op;
		int64_t imm;

		if (x86_decode(buf + i, len - i, &in))
			return 0; /* the kernel warns and stops */
		next = i + in.len;
		op = in.opcode[0];
		if ((op == 0x0f && in.nopcode >= 2 && in.opcode[1] >= 0x80 &&
		     in.opcode[1] <= 0x8f) ||
		    (op >= 0x70 && op <= 0x7f) || op == 0xeb || op == 0xe9 || op == 0xe8) {
			if (in.imm_len != 1 && in.imm_len != 2 && in.imm_len != 4)
				return -1;
			imm = get_signed(buf + i + in.imm_off, in.imm_len);
			if (need_reloc((int64_t)next + imm, repl_len) &&
			    add_reloc(buf + i + in.imm_off, in.imm_len, diff))
				return -1;
			if (op == 0xe9) { /* JMP.d32 -> JMP.d8 where it fits */
				int32_t v = (int32_t)((uint32_t)imm + (uint32_t)diff + 3);

				if (v == (int8_t)v) {
					buf[i] = 0xeb;
					buf[i + 1] = (uint8_t)v;
					memset(buf + i + 2, 0xcc, in.len - 2);
				}
			}
		}
		if (in.riprel && in.disp_len == 4) {
			int64_t d = get_signed(buf + i + in.disp_off, 4);

			if (need_reloc((int64_t)next + d, repl_len) &&
			    add_reloc(buf + i + in.disp_off, 4, diff))
				return -1;
		}
	}
	return 0;
}

static bool addr_is_lock(const struct alt_model *m, uint64_t a)
{
	size_t lo = 0, hi = m->nlocks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->locks[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->nlocks && m->locks[lo] == a;
}

static bool rel_branch(const struct x86_insn *in)
{
	uint8_t op = in->opcode[0];

	if (in->vex)
		return false;
	if (in->nopcode == 1)
		return op == 0xe8 || op == 0xe9 || op == 0xeb || (op >= 0x70 && op <= 0x7f) ||
		       (op >= 0xe0 && op <= 0xe3) || (op == 0xc7 && in->modrm == 0xf8);
	return in->nopcode == 2 && op == 0x0f && in->opcode[1] >= 0x80 && in->opcode[1] <= 0x8f;
}

/* the boot-time KASLR relocation of one absolute field */
static void kaslr_field(const struct alt_model *m, uint8_t *p, int n)
{
	uint64_t v = n == 8 ? get64(p) : (uint64_t)(int64_t)(int32_t)get32(p);

	if (v < m->image_lo || v >= m->image_hi)
		return;
	if (n == 8)
		put64(p, v + m->kaslr);
	else
		put32(p, (uint32_t)(v + m->kaslr));
}

static void kaslr_relocate(const struct alt_model *m, uint8_t *buf, size_t len, uint64_t addr)
{
	struct x86_insn in;

	for (size_t i = 0; i < len; i += in.len) {
		if (x86_decode(buf + i, len - i, &in))
			return;
		if (in.disp_len == 4 && !in.riprel)
			kaslr_field(m, buf + i + in.disp_off, 4);
		if (in.riprel && in.disp_len == 4) {
			/* the relocs tool's inverse relocation: per-CPU data does not move */
			uint8_t *d = buf + i + in.disp_off;
			uint64_t t = addr + i + in.len + (int64_t)(int32_t)get32(d);

			if (t >= m->percpu_lo && t < m->percpu_hi)
				put32(d, (uint32_t)(get32(d) - (uint32_t)m->kaslr));
		}
		if ((in.imm_len == 4 && !rel_branch(&in)) || in.imm_len == 8)
			kaslr_field(m, buf + i + in.imm_off, in.imm_len);
	}
}

/* cpu_wants_rethunk_at() */
static bool wants_rethunk_at(const struct alt_model *m, uint64_t rt)
{
	if (m->rethunk != 1)
		return false;
	if (!m->its_thunk || m->return_thunk != m->its_thunk)
		return true;
	return !(rt & 0x20);
}

int alt_pre_patch(const struct alt_model *m, uint8_t *buf, size_t len, uint64_t addr)
{
	size_t lo = 0, hi = m->nrets;
	int n = 0;

	if (m->kaslr)
		kaslr_relocate(m, buf, len, addr);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->rets[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* patch_return(): jmp __x86_return_thunk -> jmp x86_return_thunk, or ret; int3... */
	for (; lo < m->nrets && m->rets[lo] - addr < len; lo++) {
		size_t off = m->rets[lo] - addr;
		uint64_t rt = m->rets[lo] + m->kaslr;
		struct x86_insn in;

		if (x86_decode(buf + off, len - off, &in) || buf[off] != 0xe9 || in.len != 5 ||
		    m->rets[lo] + 5 + (int64_t)(int32_t)get32(buf + off + 1) != m->ret_thunk)
			continue;
		if (m->rethunk < 0)
			return -1;
		if (wants_rethunk_at(m, rt)) {
			put32(buf + off + 1, (uint32_t)(m->return_thunk - (rt + 5)));
		} else {
			buf[off] = 0xc3;
			memset(buf + off + 1, 0xcc, 4);
		}
		n++;
	}
	return n;
}

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -1)

int alt_site_image(const struct kelf *k, const struct kelf_alts *a, const struct kelf_alt_site *s,
		   size_t v, const struct alt_model *m, uint8_t *out, char *why, size_t whylen)
{
	uint8_t orig[ALT_MAX_LEN];
	const struct kelf_alt *e;
	size_t n;

	if (kelf_read(k, s->addr, orig, s->len))
		return WHY("original bytes not in the file");
	if (alt_pre_patch(m, orig, s->len, s->addr) < 0)
		return WHY("return thunk site, X86_FEATURE_RETHUNK unknown");
	if (v == 0) {
		memcpy(out, orig, s->len);
		alt_optimize_nops(out, s->len);
		goto locks;
	}
	if (v > s->n || s->first + v - 1 >= a->n)
		return WHY("no variant %zu", v);
	e = &a->v[s->first + v - 1];
	if (e->repllen > s->len)
		return WHY("replacement longer than the site");
	if (kelf_read(k, e->repl, out, e->repllen))
		return WHY("replacement bytes not in the file");
	if (alt_pre_patch(m, out, e->repllen, e->repl) < 0)
		return WHY("return thunk site, X86_FEATURE_RETHUNK unknown");
	n = e->repllen;
	if (e->flags & ALT_FLAG_DIRECT_CALL) {
		/* alt_replace_call(): call *disp(%rip) becomes call <pv_ops slot value> */
		uint64_t slot, target, bug;

		if (e->repllen != 5 || out[0] != 0xe8)
			return WHY("DIRECT_CALL with a non-call replacement");
		if (s->len != 6 || orig[0] != 0xff || orig[1] != 0x15)
			return WHY("DIRECT_CALL at a site that is not call *disp(%%rip)");
		if (!m->read_ptr)
			return WHY("DIRECT_CALL needs the running kernel's pv_ops");
		slot = s->addr + 6 + (int64_t)(int32_t)get32(orig + 2) + m->kaslr;
		if (m->read_ptr(m->arg, slot, &target))
			return WHY("cannot read the pv_ops slot at 0x%llx",
				   (unsigned long long)slot);
		/* the replacement calls BUG_func: that is its target */
		bug = e->repl + 5 + (int64_t)(int32_t)get32(out + 1) + m->kaslr;
		if (!target)
			target = bug;
		put32(out + 1, get32(out + 1) + (uint32_t)(target - bug));
		if (m->nop_func && target == m->nop_func)
			n = 0;
		else
			n = 5;
	}
	memset(out + n, 0x90, s->len - n);
	if (alt_apply_relocation(out, s->len, s->addr, e->repl, e->repllen))
		return WHY("relocation out of range");
	alt_optimize_nops(out, s->len);
locks:
	/* uniprocessor boot: lock prefixes in [_text, _etext] become DS (0x3e) */
	if (m->up)
		for (size_t i = 0; i < s->len; i++)
			if (out[i] == 0xf0 && addr_is_lock(m, s->addr + i))
				out[i] = 0x3e;
	return 0;
}

size_t alt_site_expected(const struct kelf_alts *a, const struct kelf_alt_site *s,
			 const uint32_t *caps, unsigned nwords)
{
	size_t v = 0;

	for (size_t i = 0; i < s->n && s->first + i < a->n; i++) {
		const struct kelf_alt *e = &a->v[s->first + i];
		bool has = e->cpuid / 32 < nwords && (caps[e->cpuid / 32] >> (e->cpuid % 32) & 1);

		if (!has != !(e->flags & ALT_FLAG_NOT))
			v = i + 1;
	}
	return v;
}
