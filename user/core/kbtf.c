// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "kbtf.h"

#define CHUNK 65536

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

int kbtf_open(struct kbtf *k, const char *path, const struct kbtf *base)
{
	int err;

	memset(k, 0, sizeof(*k));
	k->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	err = pread_full(k->fd, &k->h, sizeof(k->h), 0);
	if (!err && (k->h.magic != BTF_MAGIC || k->h.hdr_len < sizeof(k->h)))
		err = -EINVAL;
	if (err) {
		close(k->fd);
		k->fd = -1;
		return err;
	}
	k->first_id = base ? base->first_id + base->n : 1;
	k->str_base = base ? base->h.str_len : 0;
	return 0;
}

void kbtf_close(struct kbtf *k)
{
	if (k->fd >= 0)
		close(k->fd);
	free(k->off);
	free(k->types);
	free(k->strs);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
}

size_t kbtf_type_size(const struct btf_type *t)
{
	__u32 vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return sizeof(*t) + 4;
	case BTF_KIND_ARRAY:
		return sizeof(*t) + sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return sizeof(*t) + vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return sizeof(*t) + vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return sizeof(*t) + vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return sizeof(*t) + vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return sizeof(*t) + vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return sizeof(*t);
	default:
		return 0;
	}
}

static int add_off(struct kbtf *k, __u32 off)
{
	/* grow at powers of two */
	if (!k->n || (k->n >= 1024 && !(k->n & (k->n - 1)))) {
		__u32 *o = realloc(k->off, (k->n ? 2 * k->n : 1024) * sizeof(*o));

		if (!o)
			return -ENOMEM;
		k->off = o;
	}
	k->off[k->n++] = off;
	return 0;
}

int kbtf_index(struct kbtf *k, kbtf_type_fn cb, void *ctx)
{
	__u32 start = 0, pos = 0, len = k->h.type_len;
	char *buf = malloc(CHUNK);
	size_t have = 0;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	free(k->off);
	k->off = NULL;
	k->n = 0;
	for (;;) {
		size_t want = CHUNK - have < len - pos ? CHUNK - have : len - pos, i = 0;

		if (want) {
			err = pread_full(k->fd, buf + have, want,
					 k->h.hdr_len + k->h.type_off + pos);
			if (err)
				break;
			pos += want;
			have += want;
		}
		while (!err && i + sizeof(struct btf_type) <= have) {
			const struct btf_type *t = (const void *)(buf + i);
			size_t sz = kbtf_type_size(t);

			if (!sz) {
				err = -EINVAL; /* a kind this reader does not know */
				break;
			}
			if (i + sz > have)
				break;
			err = add_off(k, start + i);
			if (!err && cb)
				err = cb(ctx, k->first_id + k->n - 1, t);
			i += sz;
		}
		if (err)
			break;
		if (pos == len) {
			if (i != have)
				err = -EINVAL; /* truncated type at the end */
			break;
		}
		if (!i && have == CHUNK) {
			err = -E2BIG;
			break;
		}
		memmove(buf, buf + i, have - i);
		have -= i;
		start += i;
	}
	free(buf);
	return err > 0 ? 0 : err;
}

int kbtf_load_types(struct kbtf *k)
{
	__u32 pos = 0;
	int err;

	k->types = malloc(k->h.type_len ? k->h.type_len : 1);
	if (!k->types)
		return -ENOMEM;
	err = pread_full(k->fd, k->types, k->h.type_len, k->h.hdr_len + k->h.type_off);
	if (err)
		return err;
	free(k->off);
	k->off = NULL;
	k->n = 0;
	while (pos + sizeof(struct btf_type) <= k->h.type_len) {
		size_t sz = kbtf_type_size((const struct btf_type *)(k->types + pos));

		if (!sz || pos + sz > k->h.type_len)
			return -EINVAL;
		err = add_off(k, pos);
		if (err)
			return err;
		pos += sz;
	}
	return pos == k->h.type_len ? 0 : -EINVAL;
}

int kbtf_load_strs(struct kbtf *k)
{
	int err;

	k->strs = malloc(k->h.str_len + 1);
	if (!k->strs)
		return -ENOMEM;
	err = pread_full(k->fd, k->strs, k->h.str_len, k->h.hdr_len + k->h.str_off);
	if (err)
		return err;
	k->strs[k->h.str_len] = 0;
	return 0;
}

const struct btf_type *kbtf_type(const struct kbtf *k, __u32 id)
{
	if (!k->types || id < k->first_id || id - k->first_id >= k->n)
		return NULL;
	return (const struct btf_type *)(k->types + k->off[id - k->first_id]);
}

int kbtf_read_type(const struct kbtf *k, __u32 id, struct btf_type **t)
{
	struct btf_type h;
	size_t sz;
	off_t off;
	int err;

	*t = NULL;
	if (id < k->first_id || id - k->first_id >= k->n)
		return -EINVAL;
	off = k->h.hdr_len + k->h.type_off + k->off[id - k->first_id];
	err = pread_full(k->fd, &h, sizeof(h), off);
	if (err)
		return err;
	sz = kbtf_type_size(&h);
	if (!sz)
		return -EINVAL;
	*t = malloc(sz);
	if (!*t)
		return -ENOMEM;
	memcpy(*t, &h, sizeof(h));
	return pread_full(k->fd, *t + 1, sz - sizeof(h), off + sizeof(h));
}

int kbtf_find_strs(const struct kbtf *k, const char *const *names, int n, __u32 *offs)
{
	__u32 start = 0, pos = 0, len = k->h.str_len;
	char *buf;
	size_t have = 0;
	int err = 0;

	memset(offs, 0, n * sizeof(*offs));
	if (k->strs) {
		for (__u32 at = 0; at < len; at += strlen(k->strs + at) + 1)
			for (int i = 0; i < n; i++)
				if (!offs[i] && !strcmp(k->strs + at, names[i]))
					offs[i] = k->str_base + at;
		return 0;
	}
	buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t want = CHUNK - have < len - pos ? CHUNK - have : len - pos, i = 0;
		const char *nul;

		if (want) {
			err = pread_full(k->fd, buf + have, want,
					 k->h.hdr_len + k->h.str_off + pos);
			if (err)
				break;
			pos += want;
			have += want;
		}
		/* whole strings only */
		while (i < have && (nul = memchr(buf + i, 0, have - i))) {
			for (int j = 0; j < n; j++)
				if (!offs[j] && !strcmp(buf + i, names[j]))
					offs[j] = k->str_base + start + i;
			i = nul - buf + 1;
		}
		if (pos == len)
			break;
		if (!i && have == CHUNK)
			i = have; /* a string longer than a chunk: skip it */
		memmove(buf, buf + i, have - i);
		have -= i;
		start += i;
	}
	free(buf);
	return err;
}

int kbtf_name(const struct kbtf *k, const struct kbtf *base, __u32 off, char *buf, size_t len)
{
	const struct kbtf *s = off < k->str_base && base ? base : k;
	size_t got;

	buf[0] = 0;
	off -= s->str_base;
	if (off >= s->h.str_len)
		return -EINVAL;
	if (s->strs) {
		strncpy(buf, s->strs + off, len - 1);
		buf[len - 1] = 0;
		return 0;
	}
	got = s->h.str_len - off < len - 1 ? s->h.str_len - off : len - 1;
	if (pread_full(s->fd, buf, got, s->h.hdr_len + s->h.str_off + off))
		return -EIO;
	buf[got] = 0;
	return 0;
}

/* --- libbpf struct btf helpers ----------------------------------------------------- */

/* struct/union type id by name, following typedefs; 0 if none */
__u32 kbtf_struct_id(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	return id > 0 ? (__u32)id : 0;
}

const struct btf_type *kbtf_skip_mods(const struct btf *btf, __u32 id, __u32 *out)
{
	for (int depth = 0; depth < 32; depth++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!t)
			return NULL;
		if (!btf_is_typedef(t) && !btf_is_const(t) && !btf_is_volatile(t) &&
		    !btf_is_restrict(t) && !btf_is_type_tag(t)) {
			if (out)
				*out = id;
			return t;
		}
		id = t->type;
	}
	return NULL;
}

/* Find a member by name in a struct, descending into anonymous members. */
int kbtf_find_member(const struct btf *btf, __u32 id, const char *name, int depth, __u32 *bitoff,
		     __u32 *bits, __u32 *type_id)
{
	const struct btf_type *t = kbtf_skip_mods(btf, id, NULL);

	if (!t || depth > 8 || (!btf_is_struct(t) && !btf_is_union(t)))
		return -1;
	for (__u16 i = 0; i < btf_vlen(t); i++) {
		const struct btf_member *m = btf_members(t) + i;
		const char *mn = btf__name_by_offset(btf, m->name_off);
		__u32 off = btf_member_bit_offset(t, i), sub_off, sub_bits, sub_id;

		if (mn && *mn && !strcmp(mn, name)) {
			const struct btf_type *mt = kbtf_skip_mods(btf, m->type, type_id);
			__u32 bsz = btf_member_bitfield_size(t, i);

			if (!mt)
				return -1;
			if (!bsz) {
				long sz = btf__resolve_size(btf, m->type);

				if (sz <= 0 || sz > (1 << 24))
					return -1;
				bsz = sz * 8;
			}
			*bitoff = off;
			*bits = bsz;
			return 0;
		}
		if ((!mn || !*mn) && !kbtf_find_member(btf, m->type, name, depth + 1, &sub_off,
						       &sub_bits, &sub_id)) {
			*bitoff = off + sub_off;
			*bits = sub_bits;
			if (type_id)
				*type_id = sub_id;
			return 0;
		}
	}
	return -1;
}

int kbtf_member(const struct btf *btf, const char *sname, const char *member, __u32 *off,
		__u32 *size)
{
	__u32 id = kbtf_struct_id(btf, sname), bitoff, bits, tid;
	long sz;

	if (!id || kbtf_find_member(btf, id, member, 0, &bitoff, &bits, &tid) || bitoff % 8)
		return -1;
	sz = btf__resolve_size(btf, tid);
	if (sz <= 0)
		return -1;
	*off = bitoff / 8;
	*size = sz;
	return 0;
}

static int member_path(const struct btf *btf, __u32 id, __u32 off, char *buf, size_t len, int depth)
{
	const struct btf_type *t = kbtf_skip_mods(btf, id, NULL);

	if (!t || depth > 8 || (!btf_is_struct(t) && !btf_is_union(t)))
		return -1;
	for (__u16 i = 0; i < btf_vlen(t); i++) {
		const struct btf_member *m = btf_members(t) + i;
		const char *mn = btf__name_by_offset(btf, m->name_off);
		__u32 moff = btf_member_bit_offset(t, i) / 8;
		long sz = btf__resolve_size(btf, m->type);
		const struct btf_type *mt = kbtf_skip_mods(btf, m->type, NULL);
		size_t n = strlen(buf);

		if (sz <= 0 || off < moff || off - moff >= (__u64)sz || !mt)
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

int kbtf_member_path(const struct btf *btf, const char *sname, __u32 off, char *buf, size_t len)
{
	__u32 id = kbtf_struct_id(btf, sname);

	if (!id || !len)
		return -1;
	buf[0] = 0;
	return member_path(btf, id, off, buf, len, 0);
}
