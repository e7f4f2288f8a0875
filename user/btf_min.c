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
#include "util.h"

#define MAX_SRCS  8
#define CHUNK	  65536
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

/* One kernel BTF file: vmlinux or a module's split BTF on top of it. */
struct src {
	int fd;
	struct btf_header hdr;
	__u32 first_id; /* id of its first type */
	__u32 n;
	__u32 *off;	/* offset of each type in the type section */
	__u32 str_base; /* string offsets below this are vmlinux's */
};

struct memo {
	__u64 *keys;
	__u32 *vals;
	size_t cap, n;
};

struct ctx {
	struct src src[MAX_SRCS];
	int nsrc;
	struct btf *out;
	struct memo memo;
	char *const *roots;
	__u32 want_off[MAX_SRCS][MAX_NAMES]; /* name offsets of roots, per source */
	__u32 *root_id;			     /* type id of each root, 0 if not found */
	int *root_src;			     /* source it was found in */
	char *err;
	size_t errlen;
};

static int pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = pread(fd, (char *)buf + got, len - got, off + got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		got += r;
	}
	return 0;
}

static size_t extra_size(__u32 info)
{
	__u32 vlen = BTF_INFO_VLEN(info);

	switch (BTF_INFO_KIND(info)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return vlen * sizeof(struct btf_var_secinfo);
	default:
		return 0;
	}
}

/* Stream a section in chunks; cb consumes whole items from buf and returns bytes used. */
typedef ssize_t (*chunk_fn)(struct ctx *c, int si, const char *buf, size_t have, __u32 at);

static int stream(struct ctx *c, int si, __u32 sec_off, __u32 len, chunk_fn cb)
{
	struct src *s = &c->src[si];
	char *buf = malloc(CHUNK);
	__u32 start = 0, pos = 0;
	size_t have = 0;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t want = CHUNK - have < len - pos ? CHUNK - have : len - pos;
		ssize_t used;

		if (want) {
			err = pread_full(s->fd, buf + have, want, s->hdr.hdr_len + sec_off + pos);
			if (err)
				break;
			pos += want;
			have += want;
		}
		used = cb(c, si, buf, have, start);
		if (used < 0) {
			err = used;
			break;
		}
		if (pos == len) {
			if ((size_t)used != have)
				err = -EINVAL; /* truncated item at the end */
			break;
		}
		if (!used && have == CHUNK) {
			err = -E2BIG; /* one item larger than a chunk */
			break;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
		start += used;
	}
	free(buf);
	return err;
}

/* strings: note where the root names are */
static ssize_t on_strings(struct ctx *c, int si, const char *buf, size_t have, __u32 at)
{
	size_t i = 0;
	const char *nul;

	while (i < have && (nul = memchr(buf + i, 0, have - i))) {
		for (int r = 0; r < MAX_NAMES && c->roots[r]; r++)
			if (!strcmp(buf + i, c->roots[r]))
				c->want_off[si][r] = c->src[si].str_base + at + i;
		i = nul - buf + 1;
	}
	return i;
}

/* types: offsets of every type, ids of the root types */
static ssize_t on_types(struct ctx *c, int si, const char *buf, size_t have, __u32 at)
{
	struct src *s = &c->src[si];
	size_t i = 0;

	while (i + sizeof(struct btf_type) <= have) {
		const struct btf_type *t = (const void *)(buf + i);
		size_t sz = sizeof(*t) + extra_size(t->info);
		__u32 kind = BTF_INFO_KIND(t->info);

		if (i + sz > have)
			break;
		if ((s->n & (s->n - 1)) == 0 && s->n >= 1024) {
			__u32 *o = realloc(s->off, 2 * s->n * sizeof(*o));

			if (!o)
				return -ENOMEM;
			s->off = o;
		}
		s->off[s->n] = at + i;
		if (t->name_off && (kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION ||
				    kind == BTF_KIND_ENUM || kind == BTF_KIND_TYPEDEF)) {
			for (int r = 0; r < MAX_NAMES && c->roots[r]; r++) {
				/* a module's names may be its own or vmlinux's strings */
				bool hit = c->want_off[si][r] == t->name_off ||
					   (si && c->want_off[0][r] == t->name_off);

				/* first definition wins; vmlinux is read first */
				if (hit && !c->root_id[r]) {
					c->root_id[r] = s->first_id + s->n;
					c->root_src[r] = si;
				}
			}
		}
		s->n++;
		i += sz;
	}
	return i;
}

static int index_src(struct ctx *c, int si)
{
	struct src *s = &c->src[si];
	int err;

	err = stream(c, si, s->hdr.str_off, s->hdr.str_len, on_strings);
	if (err)
		return err;
	s->n = 0;
	s->off = malloc(1024 * sizeof(*s->off));
	if (!s->off)
		return -ENOMEM;
	return stream(c, si, s->hdr.type_off, s->hdr.type_len, on_types);
}

static int src_open(struct ctx *c, const char *path, bool split)
{
	struct src *s = &c->src[c->nsrc];
	int err;

	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0)
		return -errno;
	err = pread_full(s->fd, &s->hdr, sizeof(s->hdr), 0);
	if (!err && (s->hdr.magic != BTF_MAGIC || s->hdr.hdr_len < sizeof(s->hdr)))
		err = -EINVAL;
	if (err) {
		close(s->fd);
		return err;
	}
	s->first_id = split ? c->src[0].first_id + c->src[0].n : 1;
	s->str_base = split ? c->src[0].hdr.str_len : 0;
	c->nsrc++;
	return 0;
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
	struct src *s = &c->src[si];
	struct btf_type h;
	__u32 idx = id - s->first_id;
	off_t off;
	int err;

	if (id < s->first_id || idx >= s->n)
		return -EINVAL;
	off = s->hdr.hdr_len + s->hdr.type_off + s->off[idx];
	err = pread_full(s->fd, &h, sizeof(h), off);
	if (err)
		return err;
	*t = malloc(sizeof(h) + extra_size(h.info));
	if (!*t)
		return -ENOMEM;
	memcpy(*t, &h, sizeof(h));
	return pread_full(s->fd, *t + 1, extra_size(h.info), off + sizeof(h));
}

static int read_name(struct ctx *c, int view, __u32 off, char *buf, size_t len)
{
	struct src *s = &c->src[off < c->src[0].hdr.str_len ? 0 : view];
	size_t got;

	off -= s->str_base;
	if (off >= s->hdr.str_len)
		return -EINVAL;
	got = s->hdr.str_len - off < len - 1 ? s->hdr.str_len - off : len - 1;
	if (pread_full(s->fd, buf, got, s->hdr.hdr_len + s->hdr.str_off + off))
		return -EIO;
	buf[got] = 0;
	return 0;
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
	snprintf(path, sizeof(path), "%s/vmlinux", btf_dir);
	ret = src_open(c, path, false);
	if (ret) {
		snprintf(err, errlen, "cannot read kernel BTF %s: %s", path, strerror(-ret));
		goto out;
	}
	ret = index_src(c, 0);
	for (int i = 0; modules && modules[i] && !ret && c->nsrc < MAX_SRCS; i++) {
		bool missing = false;

		for (int r = 0; roots[r]; r++)
			missing |= !root_id[r];
		if (!missing)
			break;
		snprintf(path, sizeof(path), "%s/%s", btf_dir, modules[i]);
		if (access(path, R_OK))
			continue;
		ret = src_open(c, path, true);
		if (!ret)
			ret = index_src(c, c->nsrc - 1);
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
	for (int i = 0; i < c->nsrc; i++) {
		close(c->src[i].fd);
		free(c->src[i].off);
	}
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
