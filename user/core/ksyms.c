// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <unistd.h>
#include "ksyms.h"

#define KALLSYMS "/proc/kallsyms"
#ifndef KSYM_CHUNK
#define KSYM_CHUNK (1 << 18)
#endif

/* Line: "ffffffff81000000 T name\t[module]" */
static int parse_line(char *line, uint64_t *addr, char *type, char **name, char **module)
{
	char *p, *end;

	*addr = strtoull(line, &end, 16);
	if (end == line || *end != ' ' || !end[1] || end[2] != ' ')
		return -1;
	*type = end[1];
	*name = end + 3;
	*module = NULL;
	p = strchr(*name, '\t');
	if (p) {
		*p++ = 0;
		if (*p == '[') {
			*module = p + 1;
			p = strchr(*module, ']');
			if (p)
				*p = 0;
		}
	}
	return 0;
}

static bool module_matches(const char *want, const char *have)
{
	if (!want)
		return true;
	if (!*want)
		return !have;
	return have && !strcmp(want, have);
}

int ksym_lookup(const char *name, const char *module, uint64_t *addr)
{
	return ksym_lookup_in(KALLSYMS, name, module, addr);
}

int ksym_lookup_in(const char *path, const char *name, const char *module, uint64_t *addr)
{
	size_t nlen = strlen(name), have = 0, cap = KSYM_CHUNK;
	int fd, ret = -ENOENT;
	char *buf;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + have, cap - have);
		char *line, *nl, *end;
		bool eof = n == 0;

		if (n < 0) {
			ret = -errno;
			break;
		}
		have += n;
		/* complete lines only, unless at end of file */
		end = eof ? buf + have : memrchr(buf, '\n', have);
		if (!end) {
			if (have == cap) /* absurd line: drop it */
				have = 0;
			continue;
		}
		for (line = buf; line < end; line = nl + 1) {
			char *hit, *sname, *smod, type;
			uint64_t a;

			nl = memchr(line, '\n', end - line);
			if (!nl)
				nl = end;
			hit = memmem(line, nl - line, name, nlen);
			if (!hit || hit == line || hit[-1] != ' ' ||
			    (hit + nlen != nl && hit[nlen] != '\t'))
				continue;
			*nl = 0;
			if (parse_line(line, &a, &type, &sname, &smod) || strcmp(sname, name) ||
			    !module_matches(module, smod))
				continue;
			ret = a ? 0 : -EPERM;
			*addr = a;
			goto out;
		}
		if (eof)
			break;
		have -= end + 1 - buf;
		memmove(buf, end + 1, have);
	}
out:
	free(buf);
	close(fd);
	return ret;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

static const char *strs_add(struct ksyms *ks, const char *s, size_t *off)
{
	size_t len = strlen(s) + 1;

	if (ks->strs_len + len > ks->strs_cap) {
		size_t cap = ks->strs_cap ? ks->strs_cap * 2 : 1 << 20;
		char *p;

		while (cap < ks->strs_len + len)
			cap *= 2;
		p = realloc(ks->strs, cap);
		if (!p)
			return NULL;
		ks->strs = p;
		ks->strs_cap = cap;
	}
	memcpy(ks->strs + ks->strs_len, s, len);
	*off = ks->strs_len;
	ks->strs_len += len;
	return ks->strs;
}

struct ksyms *ksyms_load(const char *path)
{
	struct ksyms *ks = calloc(1, sizeof(*ks));
	char line[512];
	FILE *f;

	if (!ks)
		return NULL;
	f = fopen(path ? path : KALLSYMS, "re");
	if (!f) {
		free(ks);
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		char *name, *mod, type;
		size_t noff, moff = SIZE_MAX;
		uint64_t a;

		line[strcspn(line, "\n")] = 0;
		if (parse_line(line, &a, &type, &name, &mod))
			continue;
		if (ks->n == ks->cap) {
			size_t cap = ks->cap ? ks->cap * 2 : 4096;
			struct ksym *p = realloc(ks->syms, cap * sizeof(*p));

			if (!p)
				goto fail;
			ks->syms = p;
			ks->cap = cap;
		}
		if (!strs_add(ks, name, &noff) || (mod && !strs_add(ks, mod, &moff)))
			goto fail;
		/* offsets now, pointers after the string table stops moving */
		ks->syms[ks->n].addr = a;
		ks->syms[ks->n].type = type;
		ks->syms[ks->n].name = (const char *)(uintptr_t)noff;
		ks->syms[ks->n].module = mod ? (const char *)(uintptr_t)moff : NULL;
		ks->n++;
	}
	fclose(f);
	for (size_t i = 0; i < ks->n; i++) {
		ks->syms[i].name = ks->strs + (uintptr_t)ks->syms[i].name;
		if (ks->syms[i].module)
			ks->syms[i].module = ks->strs + (uintptr_t)ks->syms[i].module;
	}
	qsort(ks->syms, ks->n, sizeof(*ks->syms), cmp_addr);
	return ks;
fail:
	fclose(f);
	ksyms_free(ks);
	return NULL;
}

void ksyms_free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->strs);
	free(ks);
}

const struct ksym *ksyms_by_addr(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi = ks->n;

	if (!ks->n || addr < ks->syms[0].addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &ks->syms[lo];
}

const struct ksym *ksyms_by_name(const struct ksyms *ks, const char *name)
{
	for (size_t i = 0; i < ks->n; i++)
		if (!strcmp(ks->syms[i].name, name))
			return &ks->syms[i];
	return NULL;
}

static bool alias_name(const char *n)
{
	return !strncmp(n, "__pfx_", 6) || !strncmp(n, "__pi_", 5) || !strncmp(n, "__cfi_", 6);
}

const struct ksym *ksyms_best(const struct ksyms *ks, uint64_t addr)
{
	const struct ksym *s = ks ? ksyms_by_addr(ks, addr) : NULL;

	if (!s)
		return NULL;
	/* ksyms_by_addr returns the last of the symbols at one address */
	for (size_t i = (size_t)(s - ks->syms) + 1; i-- > 0 && ks->syms[i].addr == s->addr;)
		if (!alias_name(ks->syms[i].name))
			return &ks->syms[i];
	return s;
}

const char *sym_format(char *buf, size_t len, const char *name, uint64_t off, const char *module,
		       unsigned int flags)
{
	char m[80] = "";

	if (module && (flags & SYM_MODULE))
		snprintf(m, sizeof(m), " [%s]", module);
	if (off || (flags & SYM_OFFSET))
		snprintf(buf, len, "%s+0x%" PRIx64 "%s", name, off, m);
	else
		snprintf(buf, len, "%s%s", name, m);
	return buf;
}

const char *ksyms_describe(const struct ksyms *ks, uint64_t addr, unsigned int flags, char *buf,
			   size_t len)
{
	const struct ksym *s = ksyms_best(ks, addr);

	if (!s || !s->addr) {
		if (flags & SYM_HEX_UNKNOWN)
			snprintf(buf, len, "0x%" PRIx64, addr);
		else
			snprintf(buf, len, "?");
		return buf;
	}
	return sym_format(buf, len, s->name, addr - s->addr, s->module, flags);
}
