// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/btf.h>
#include <bpf/btf.h>
#include "btf_min.h"
#include "kbtf.h"
#include "util.h"

#define MAX_SRCS  8
#define MAX_NAMES 64

/* .BTF.ext layout (Documentation/bpf/btf.rst) */
struct ext_hdr {
	__u16 magic;
	__u8 version;
	__u8 flags;
	__u32 hdr_len;
	__u32 func_info_off, func_info_len;
	__u32 line_info_off, line_info_len;
	__u32 core_relo_off, core_relo_len;
};

static const char *strip_flavor(const char *name, char *buf, size_t len)
{
	const char *f = strstr(name, "___");

	if (!f)
		return name;
	snprintf(buf, len, "%.*s", (int)(f - name), name);
	return buf;
}

char **btf_core_roots(const void *obj, size_t size)
{
	const char *names[MAX_NAMES];
	Elf_Data *btf_d = NULL, *ext_d = NULL;
	const struct ext_hdr *h;
	struct btf *btf = NULL;
	size_t n = 0, total = 0, shstrndx;
	Elf_Scn *scn = NULL;
	char **out = NULL, *p;
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)obj, size);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		errno = EINVAL;
		goto done;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".BTF"))
			btf_d = elf_getdata(scn, NULL);
		else if (name && !strcmp(name, ".BTF.ext"))
			ext_d = elf_getdata(scn, NULL);
	}
	if (!btf_d || !ext_d) {
		errno = ENOENT;
		goto done;
	}
	btf = btf__new(btf_d->d_buf, btf_d->d_size);
	if (!btf)
		goto done;
	h = ext_d->d_buf;
	if (ext_d->d_size >= sizeof(*h) && h->hdr_len >= sizeof(*h) && h->core_relo_len >= 4) {
		const char *s = (const char *)ext_d->d_buf + h->hdr_len + h->core_relo_off;
		const char *end = s + h->core_relo_len;
		__u32 rec = *(const __u32 *)s;

		if (end > (const char *)ext_d->d_buf + ext_d->d_size || rec < 16) {
			errno = EINVAL;
			goto done;
		}
		for (s += 4; s + 8 <= end;) {
			__u32 num = ((const __u32 *)s)[1];

			s += 8;
			for (__u32 i = 0; i < num && s + rec <= end; i++, s += rec) {
				__u32 id = ((const __u32 *)s)[1];
				const struct btf_type *t;
				const char *name;
				size_t k;

				id = btf__resolve_type(btf, id) < 0
					     ? id
					     : (__u32)btf__resolve_type(btf, id);
				t = btf__type_by_id(btf, id);
				if (!t || !t->name_off)
					continue;
				name = btf__name_by_offset(btf, t->name_off);
				for (k = 0; k < n && strcmp(names[k], name); k++)
					;
				if (k == n && n < MAX_NAMES) {
					names[n++] = name;
					total += strlen(name) + 1;
				}
			}
		}
	}
	out = malloc((n + 1) * sizeof(char *) + total);
	if (!out)
		goto done;
	p = (char *)(out + n + 1);
	for (size_t i = 0; i < n; i++) {
		char buf[128];
		const char *nm = strip_flavor(names[i], buf, sizeof(buf));

		out[i] = p;
		p = stpcpy(p, nm) + 1;
	}
	out[n] = NULL;
done:
	btf__free(btf);
	if (elf)
		elf_end(elf);
	return out;
}

struct memo {
	__u64 *keys;
	__u32 *vals;
	size_t cap, n;
};

struct ctx {
	struct kbtf src[MAX_SRCS]; /* [0] vmlinux, then modules */
	int nsrc;
	struct btf *out;
	struct memo memo;
	char *const *roots;
	int nroots;
	__u32 want_off[MAX_SRCS][MAX_NAMES]; /* name offsets of roots, per source */
	__u32 *root_id;			     /* type id of each root, 0 if not found */
	int *root_src;			     /* source it was found in */
	int cur;			     /* source being indexed */
};

/* While indexing: note the ids of the root types. */
static int on_type(void *arg, __u32 id, const struct btf_type *t)
{
	struct ctx *c = arg;
	__u32 kind = BTF_INFO_KIND(t->info);
	int si = c->cur;

	if (!t->name_off || (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION &&
			     kind != BTF_KIND_ENUM && kind != BTF_KIND_TYPEDEF))
		return 0;
	for (int r = 0; r < c->nroots; r++) {
		/* a module's names may be its own strings or vmlinux's */
		bool hit = c->want_off[si][r] == t->name_off ||
			   (si && c->want_off[0][r] == t->name_off);

		/* first definition wins; vmlinux is read first */
		if (hit && !c->root_id[r]) {
			c->root_id[r] = id;
			c->root_src[r] = si;
		}
	}
	return 0;
}

static int src_add(struct ctx *c, const char *path)
{
	struct kbtf *k = &c->src[c->nsrc];
	int err = kbtf_open(k, path, c->nsrc ? &c->src[0] : NULL);

	if (err)
		return err;
	c->cur = c->nsrc++;
	err = kbtf_find_strs(k, (const char *const *)c->roots, c->nroots, c->want_off[c->cur]);
	if (!err)
		err = kbtf_index(k, on_type, c);
	return err;
}

/* memo: (source, id) -> output id */
static __u32 *memo_slot(struct memo *m, __u64 key, bool add)
{
	size_t i;

	if (add && (m->n + 1) * 2 > m->cap) {
		struct memo nm = { .cap = m->cap ? m->cap * 2 : 1024 };

		nm.keys = calloc(nm.cap, sizeof(*nm.keys));
		nm.vals = calloc(nm.cap, sizeof(*nm.vals));
		if (!nm.keys || !nm.vals) {
			free(nm.keys);
			free(nm.vals);
			return NULL;
		}
		for (i = 0; i < m->cap; i++) {
			if (m->keys[i]) {
				*memo_slot(&nm, m->keys[i], true) = m->vals[i];
			}
		}
		free(m->keys);
		free(m->vals);
		*m = nm;
	}
	if (!m->cap)
		return NULL;
	for (i = (key * 0x9E3779B97F4A7C15ULL) >> 40;; i++) {
		i &= m->cap - 1;
		if (m->keys[i] == key)
			return &m->vals[i];
		if (!m->keys[i]) {
			if (!add)
				return NULL;
			m->keys[i] = key;
			m->n++;
			return &m->vals[i];
		}
	}
}

/* Which source holds type id in the view of module source 'view' (0: vmlinux only). */
static int src_of(struct ctx *c, int view, __u32 id)
{
	return id < c->src[0].first_id + c->src[0].n ? 0 : view;
}

static int read_type(struct ctx *c, int si, __u32 id, struct btf_type **t)
{
	return kbtf_read_type(&c->src[si], id, t);
}

static int read_name(struct ctx *c, int view, __u32 off, char *buf, size_t len)
{
	return kbtf_name(&c->src[view], &c->src[0], off, buf, len);
}

static int copy_type(struct ctx *c, int view, __u32 id);

/* Pointer targets: a forward declaration for named structs/unions, else void. */
static int pointee(struct ctx *c, int view, __u32 id)
{
	for (int depth = 0; id && depth < 16; depth++) {
		struct btf_type *t;
		__u32 kind, next;
		char name[256];
		int si = src_of(c, view, id), r;

		if (read_type(c, si, id, &t))
			return 0;
		kind = BTF_INFO_KIND(t->info);
		next = t->type;
		if (kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION || kind == BTF_KIND_FWD) {
			bool is_union = kind == BTF_KIND_UNION ||
					(kind == BTF_KIND_FWD && BTF_INFO_KFLAG(t->info));

			r = t->name_off ? read_name(c, view, t->name_off, name, sizeof(name)) : -1;
			free(t);
			if (r)
				return 0;
			r = btf__find_by_name_kind(c->out, name, BTF_KIND_FWD);
			if (r > 0)
				return r;
			return btf__add_fwd(c->out, name,
					    is_union ? BTF_FWD_UNION : BTF_FWD_STRUCT);
		}
		free(t);
		if (kind != BTF_KIND_TYPEDEF && kind != BTF_KIND_CONST &&
		    kind != BTF_KIND_VOLATILE && kind != BTF_KIND_RESTRICT &&
		    kind != BTF_KIND_TYPE_TAG)
			return 0;
		id = next;
	}
	return 0;
}

static int copy_composite(struct ctx *c, int view, const struct btf_type *t, const char *name)
{
	const struct btf_member *m = (const void *)(t + 1);
	__u32 vlen = BTF_INFO_VLEN(t->info), kflag = BTF_INFO_KFLAG(t->info);
	int *ids = calloc(vlen + 1, sizeof(int)), id, err = 0;

	if (!ids)
		return -ENOMEM;
	/* member types first: libbpf appends fields to the last type added */
	for (__u32 i = 0; i < vlen && err >= 0; i++)
		err = ids[i] = copy_type(c, view, m[i].type);
	if (err < 0) {
		free(ids);
		return err;
	}
	id = BTF_INFO_KIND(t->info) == BTF_KIND_UNION ? btf__add_union(c->out, name, t->size)
						      : btf__add_struct(c->out, name, t->size);
	for (__u32 i = 0; i < vlen && id > 0; i++) {
		char mname[256] = "";

		err = 0;
		if (m[i].name_off && read_name(c, view, m[i].name_off, mname, sizeof(mname)))
			err = -EIO;
		if (!err)
			err = btf__add_field(c->out, mname, ids[i],
					     kflag ? BTF_MEMBER_BIT_OFFSET(m[i].offset)
						   : m[i].offset,
					     kflag ? BTF_MEMBER_BITFIELD_SIZE(m[i].offset) : 0);
		if (err < 0)
			id = err;
	}
	free(ids);
	return id;
}

static int copy_enum(struct ctx *c, int view, const struct btf_type *t, const char *name)
{
	__u32 vlen = BTF_INFO_VLEN(t->info);
	bool is64 = BTF_INFO_KIND(t->info) == BTF_KIND_ENUM64;
	int id = is64 ? btf__add_enum64(c->out, name, t->size, BTF_INFO_KFLAG(t->info))
		      : btf__add_enum(c->out, name, t->size);

	for (__u32 i = 0; i < vlen && id > 0; i++) {
		char vname[256];
		__u32 noff = is64 ? ((const struct btf_enum64 *)(t + 1))[i].name_off
				  : ((const struct btf_enum *)(t + 1))[i].name_off;
		int err = read_name(c, view, noff, vname, sizeof(vname));

		if (!err && is64) {
			const struct btf_enum64 *e = (const void *)(t + 1);

			err = btf__add_enum64_value(c->out, vname,
						    ((__u64)e[i].val_hi32 << 32) | e[i].val_lo32);
		} else if (!err) {
			err = btf__add_enum_value(c->out, vname,
						  ((const struct btf_enum *)(t + 1))[i].val);
		}
		if (err < 0)
			id = err;
	}
	return id;
}

static int copy_type(struct ctx *c, int view, __u32 id)
{
	struct btf_type *t = NULL;
	int si = src_of(c, view, id), out, err;
	__u64 key = ((__u64)si << 32) | id;
	__u32 *slot, kind;
	char name[256] = "";

	if (!id)
		return 0;
	slot = memo_slot(&c->memo, key, false);
	if (slot)
		return *slot;
	err = read_type(c, si, id, &t);
	if (err) {
		free(t);
		return err;
	}
	if (t->name_off && read_name(c, view, t->name_off, name, sizeof(name))) {
		free(t);
		return -EIO;
	}
	kind = BTF_INFO_KIND(t->info);
	switch (kind) {
	case BTF_KIND_INT: {
		__u32 data = *(__u32 *)(t + 1);

		out = btf__add_int(c->out, name, t->size, BTF_INT_ENCODING(data));
		break;
	}
	case BTF_KIND_PTR:
		out = pointee(c, view, t->type);
		out = out < 0 ? out : btf__add_ptr(c->out, out);
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);
		int e = copy_type(c, view, a->type), ix = copy_type(c, view, a->index_type);

		out = e < 0 ? e : ix < 0 ? ix : btf__add_array(c->out, ix, e, a->nelems);
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		out = copy_composite(c, view, t, name);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		out = copy_enum(c, view, t, name);
		break;
	case BTF_KIND_FWD:
		out = btf__add_fwd(c->out, name,
				   BTF_INFO_KFLAG(t->info) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
		break;
	case BTF_KIND_FLOAT:
		out = btf__add_float(c->out, name, t->size);
		break;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		out = copy_type(c, view, t->type);
		if (out < 0)
			break;
		out = kind == BTF_KIND_TYPEDEF	  ? btf__add_typedef(c->out, name, out)
		      : kind == BTF_KIND_CONST	  ? btf__add_const(c->out, out)
		      : kind == BTF_KIND_VOLATILE ? btf__add_volatile(c->out, out)
		      : kind == BTF_KIND_RESTRICT ? btf__add_restrict(c->out, out)
						  : btf__add_type_tag(c->out, name, out);
		break;
	default: /* functions, variables: not reachable from struct members */
		out = 0;
		break;
	}
	free(t);
	if (out < 0)
		return out;
	slot = memo_slot(&c->memo, key, true);
	if (!slot)
		return -ENOMEM;
	*slot = out;
	return out;
}

int btf_min_build(struct btf_min *m, const char *btf_dir, char *const *roots,
		  const char *const *modules, char *err, size_t errlen)
{
	struct ctx *c = calloc(1, sizeof(*c));
	__u32 root_id[MAX_NAMES] = { 0 };
	int root_src[MAX_NAMES] = { 0 }, ret = 0, nroots = 0;
	char path[512];
	const void *raw;
	__u32 size;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (!c)
		return -ENOMEM;
	c->roots = roots;
	c->root_id = root_id;
	c->root_src = root_src;
	while (c->nroots < MAX_NAMES && roots[c->nroots])
		c->nroots++;
	snprintf(path, sizeof(path), "%s/vmlinux", btf_dir);
	ret = src_add(c, path);
	if (ret && !c->nsrc) {
		snprintf(err, errlen, "cannot read kernel BTF %s: %s", path, strerror(-ret));
		goto out;
	}
	for (int i = 0; modules && modules[i] && !ret && c->nsrc < MAX_SRCS; i++) {
		bool missing = false;

		for (int r = 0; roots[r]; r++)
			missing |= !root_id[r];
		if (!missing)
			break;
		snprintf(path, sizeof(path), "%s/%s", btf_dir, modules[i]);
		if (access(path, R_OK))
			continue;
		ret = src_add(c, path);
	}
	if (ret) {
		snprintf(err, errlen, "reading kernel BTF: %s", strerror(-ret));
		goto out;
	}
	c->out = btf__new_empty();
	if (!c->out) {
		ret = -errno;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (int r = 0; roots[r]; r++) {
		int id;

		if (!root_id[r])
			continue;
		id = copy_type(c, root_src[r], root_id[r]);
		if (id < 0) {
			ret = id;
			snprintf(err, errlen, "copying BTF of %s: %s", roots[r], strerror(-id));
			goto out;
		}
		nroots++;
	}
	raw = btf__raw_data(c->out, &size);
	m->fd = memfd_create("pvtrace-btf", MFD_CLOEXEC);
	if (!raw || m->fd < 0 || write(m->fd, raw, size) != (ssize_t)size) {
		ret = -errno;
		snprintf(err, errlen, "writing minimal BTF: %s", strerror(errno));
		btf_min_close(m);
		goto out;
	}
	snprintf(m->path, sizeof(m->path), "/proc/self/fd/%d", m->fd);
	m->ntypes = btf__type_cnt(c->out) - 1;
	m->nroots = nroots;
out:
	for (int i = 0; i < c->nsrc; i++)
		kbtf_close(&c->src[i]);
	btf__free(c->out);
	free(c->memo.keys);
	free(c->memo.vals);
	free(c);
	return ret;
}

void btf_min_close(struct btf_min *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	m->path[0] = 0;
}

int core_btf_build(struct btf_min *m, const void *(*elf_bytes)(size_t *sz),
		   const char *const *modules, char *err, size_t errlen)
{
	size_t sz;
	const void *obj = elf_bytes(&sz);
	char **roots = btf_core_roots(obj, sz);
	int ret;

	if (!roots) {
		snprintf(err, errlen, "cannot read CO-RE relocations of the BPF object");
		m->fd = -1;
		return -EINVAL;
	}
	ret = btf_min_build(m, "/sys/kernel/btf", roots, modules, err, errlen);
	free(roots);
	return ret;
}
