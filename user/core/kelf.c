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

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

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
		return ((x->bind == STB_LOCAL) - (y->bind == STB_LOCAL)) ?: (int)y->bind - x->bind;
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
	return ((x->bind == STB_LOCAL) - (y->bind == STB_LOCAL))
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
