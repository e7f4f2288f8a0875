// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Minimal CO-RE BTF: roots from the latency object, layouts equal to the kernel's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "btf_min.h"
#include "latency.skel.h"

static bool has_root(char **roots, const char *name)
{
	for (int i = 0; roots[i]; i++)
		if (!strcmp(roots[i], name))
			return true;
	return false;
}

static void test_core_roots(void **state)
{
	size_t sz;
	const void *obj = latency_bpf__elf_bytes(&sz);
	char **roots = btf_core_roots(obj, sz);

	(void)state;
	assert_non_null(roots);
	assert_true(has_root(roots, "task_struct"));
	assert_true(has_root(roots, "files_struct"));
	assert_true(has_root(roots, "fdtable"));
	assert_true(has_root(roots, "file"));
	assert_true(has_root(roots, "file_operations"));
	assert_true(has_root(roots, "kvm_vcpu"));
	/* our own map value types are not CO-RE relocated */
	assert_false(has_root(roots, "hist"));
	assert_false(has_root(roots, "lat_key"));
	free(roots);
}

/* Same size and members at the same offsets, recursively through embedded types. */
static void same_layout(const struct btf *full, __u32 fid, const struct btf *min, __u32 mid,
			int depth)
{
	const struct btf_type *f, *m;

	fid = btf__resolve_type(full, fid);
	mid = btf__resolve_type(min, mid);
	f = btf__type_by_id(full, fid);
	m = btf__type_by_id(min, mid);
	assert_non_null(f);
	assert_non_null(m);
	if (btf_is_ptr(f)) {
		assert_true(btf_is_ptr(m));
		return;
	}
	assert_int_equal(btf_kind(f), btf_kind(m));
	if (!btf_is_composite(f) || depth > 8)
		return;
	assert_int_equal(f->size, m->size);
	assert_int_equal(btf_vlen(f), btf_vlen(m));
	for (int i = 0; i < btf_vlen(f); i++) {
		const struct btf_member *fm = btf_members(f) + i, *mm = btf_members(m) + i;

		assert_string_equal(btf__name_by_offset(full, fm->name_off),
				    btf__name_by_offset(min, mm->name_off));
		assert_int_equal(btf_member_bit_offset(f, i), btf_member_bit_offset(m, i));
		assert_int_equal(btf_member_bitfield_size(f, i), btf_member_bitfield_size(m, i));
		same_layout(full, fm->type, min, mm->type, depth + 1);
	}
}

static void test_min_btf_matches_kernel(void **state)
{
	size_t sz;
	const void *obj = latency_bpf__elf_bytes(&sz);
	char **roots = btf_core_roots(obj, sz);
	const char *mods[] = { "kvm", NULL };
	struct btf *full, *min;
	struct btf_min m;
	char err[256];
	int checked = 0;

	(void)state;
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		skip();
	assert_int_equal(btf_min_build(&m, "/sys/kernel/btf", roots, mods, err, sizeof(err)), 0);
	assert_true(m.ntypes > 10);
	min = btf__parse(m.path, NULL);
	assert_non_null(min);
	full = btf__load_vmlinux_btf();
	assert_non_null(full);
	for (int i = 0; roots[i]; i++) {
		int fid = btf__find_by_name_kind(full, roots[i], BTF_KIND_STRUCT);
		int mid = btf__find_by_name_kind(min, roots[i], BTF_KIND_STRUCT);

		if (fid < 0) /* e.g. kvm_vcpu in a module: not in vmlinux here */
			continue;
		assert_true(mid > 0);
		same_layout(full, fid, min, mid, 0);
		checked++;
	}
	assert_true(checked >= 5);
	/* a small fraction of the kernel's BTF */
	assert_true(btf__type_cnt(min) * 20 < btf__type_cnt(full));
	btf__free(full);
	btf__free(min);
	btf_min_close(&m);
	free(roots);
}

static void test_bad_btf_is_an_error(void **state)
{
	char dir[] = "/tmp/pvtrace-btf-XXXXXX", path[64], err[256];
	char *roots[] = { "task_struct", NULL };
	struct btf_min m;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	/* missing file */
	assert_int_not_equal(btf_min_build(&m, dir, roots, NULL, err, sizeof(err)), 0);
	/* garbage */
	f = fopen(path, "w");
	fputs("this is not BTF at all, not even close", f);
	fclose(f);
	assert_int_not_equal(btf_min_build(&m, dir, roots, NULL, err, sizeof(err)), 0);
	/* a valid header promising more than the file has */
	f = fopen(path, "w");
	{
		struct btf_header h = { .magic = 0xeb9f,
					.version = 1,
					.hdr_len = sizeof(h),
					.type_off = 0,
					.type_len = 4096,
					.str_off = 4096,
					.str_len = 64 };

		fwrite(&h, sizeof(h), 1, f);
		fwrite("\0\0\0\0\0\0\0\0\0\0\0", 12, 1, f);
	}
	fclose(f);
	assert_int_not_equal(btf_min_build(&m, dir, roots, NULL, err, sizeof(err)), 0);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_roots),
		cmocka_unit_test(test_min_btf_matches_kernel),
		cmocka_unit_test(test_bad_btf_is_an_error),
	};

	return cmocka_run_group_tests_name("btf_min", tests, NULL, NULL);
}
