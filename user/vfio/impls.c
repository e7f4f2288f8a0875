// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace vfio: the drivers' vfio_device_ops.request implementations, found in BTF. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kbtf.h"
#include "ksyms.h"
#include "util.h"
#include "vfio/vfio_int.h"

#define BTF_DIR "/sys/kernel/btf"

struct req_impl vfio_impls[VFIO_REQ_SLOTS];
int vfio_nimpls;

static const struct {
	const char *name;
	enum vfio_req_kind kind;
} known_impls[] = {
	{ "vfio_pci_core_request", VFIO_REQ_PCI_CORE },
	{ "vfio_ccw_mdev_request", VFIO_REQ_CCW },
	{ "vfio_ap_mdev_request", VFIO_REQ_AP },
};

static void add_impl(const char *name, const char *module)
{
	enum vfio_req_kind kind = VFIO_REQ_OTHER;

	for (int i = 0; i < vfio_nimpls; i++)
		if (!strcmp(vfio_impls[i].name, name))
			return;
	if (vfio_nimpls == VFIO_REQ_SLOTS) {
		warn_msg("more than %d vfio request implementations; %s not traced", VFIO_REQ_SLOTS,
			 name);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(known_impls); i++)
		if (!strcmp(known_impls[i].name, name))
			kind = known_impls[i].kind;
	snprintf(vfio_impls[vfio_nimpls].name, sizeof(vfio_impls[vfio_nimpls].name), "%s", name);
	snprintf(vfio_impls[vfio_nimpls].module, sizeof(vfio_impls[vfio_nimpls].module), "%s",
		 module);
	vfio_impls[vfio_nimpls++].kind = kind;
}

/*
 * A kernel BTF file read in pieces: vmlinux is only walked (to count its types:
 * module type ids start after them) unless it defines struct vfio_device itself;
 * module BTF is small and read whole.
 */
struct idset {
	__u32 *v;
	size_t n, cap;
};

static bool idset_has(const struct idset *s, __u32 id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == id)
			return true;
	return false;
}

static int idset_add(struct idset *s, __u32 id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		__u32 *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = id;
	return 0;
}

struct scan {
	struct idset structs, ptrs, protos;
};

/*
 * Functions named *_request with the prototype of vfio_device_ops.request:
 * void (struct vfio_device *, unsigned int). The second parameter lives in
 * vmlinux (not read here), so only its presence is checked.
 */
static int scan_src(struct kbtf *k, const struct kbtf *vml, struct scan *sc, const char *module,
		    __u32 name_a, __u32 name_b)
{
	__u32 last = k->first_id + k->n;
	int err = 0;

	for (__u32 id = k->first_id; id < last && !err; id++) {
		const struct btf_type *t = kbtf_type(k, id);

		if (BTF_INFO_KIND(t->info) == BTF_KIND_STRUCT && t->name_off &&
		    (t->name_off == name_a || t->name_off == name_b))
			err = idset_add(&sc->structs, id);
	}
	for (__u32 id = k->first_id; id < last && !err; id++) {
		const struct btf_type *t = kbtf_type(k, id);

		if (BTF_INFO_KIND(t->info) == BTF_KIND_PTR && idset_has(&sc->structs, t->type))
			err = idset_add(&sc->ptrs, id);
	}
	for (__u32 id = k->first_id; id < last && !err; id++) {
		const struct btf_type *t = kbtf_type(k, id);
		const struct btf_param *p = (const struct btf_param *)(t + 1);

		if (BTF_INFO_KIND(t->info) == BTF_KIND_FUNC_PROTO && BTF_INFO_VLEN(t->info) == 2 &&
		    t->type == 0 && idset_has(&sc->ptrs, p[0].type) && p[1].type)
			err = idset_add(&sc->protos, id);
	}
	for (__u32 id = k->first_id; id < last && !err; id++) {
		const struct btf_type *t = kbtf_type(k, id);
		char name[128];
		size_t n;

		if (BTF_INFO_KIND(t->info) != BTF_KIND_FUNC || !idset_has(&sc->protos, t->type))
			continue;
		kbtf_name(k, vml, t->name_off, name, sizeof(name));
		n = strlen(name);
		if (n > 8 && !strcmp(name + n - 8, "_request"))
			add_impl(name, module);
	}
	return err;
}

/* Fill vfio_impls[] from vmlinux and module BTF. Returns 0 or -errno (message in err). */
int vfio_find_impls(char *err, size_t len)
{
	struct kbtf vml, mod;
	struct scan sc = { 0 };
	size_t base_n[3];
	__u32 vname;
	DIR *d;
	struct dirent *de;
	int ret;

	ret = kbtf_open(&vml, BTF_DIR "/vmlinux", NULL);
	if (!ret)
		ret = kbtf_index(&vml, NULL, NULL);
	if (ret) {
		snprintf(err, len, "reading " BTF_DIR "/vmlinux: %s", strerror(-ret));
		kbtf_close(&vml);
		return ret;
	}
	ret = kbtf_find_strs(&vml, (const char *[]){ "vfio_device" }, 1, &vname);
	if (ret) {
		snprintf(err, len, "reading " BTF_DIR "/vmlinux: %s", strerror(-ret));
		goto out;
	}
	/* vfio built in: its types are in vmlinux */
	if (vname) {
		ret = kbtf_load_types(&vml);
		if (!ret)
			ret = scan_src(&vml, &vml, &sc, "vmlinux", vname, 0);
		free(vml.types);
		vml.types = NULL;
		if (ret) {
			snprintf(err, len, "reading " BTF_DIR "/vmlinux: %s", strerror(-ret));
			goto out;
		}
	}
	/* module type ids overlap between modules: keep only vmlinux's between them */
	base_n[0] = sc.structs.n;
	base_n[1] = sc.ptrs.n;
	base_n[2] = sc.protos.n;
	d = opendir(BTF_DIR);
	if (!d) {
		ret = -errno;
		snprintf(err, len, "cannot list " BTF_DIR ": %s", strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		char path[512];
		__u32 mname;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), BTF_DIR "/%s", de->d_name);
		mname = 0;
		ret = kbtf_open(&mod, path, &vml);
		if (!ret)
			ret = kbtf_load_strs(&mod);
		if (!ret)
			ret = kbtf_find_strs(&mod, (const char *[]){ "vfio_device" }, 1, &mname);
		/* only modules that name struct vfio_device can implement .request */
		if (!ret && (mname || vname)) {
			ret = kbtf_load_types(&mod);
			if (!ret)
				ret = scan_src(&mod, &vml, &sc, de->d_name, vname, mname);
		}
		kbtf_close(&mod);
		sc.structs.n = base_n[0];
		sc.ptrs.n = base_n[1];
		sc.protos.n = base_n[2];
		if (ret == -ENOMEM)
			break;
		if (ret && verbose)
			warn_msg("reading %s: %s", path, strerror(-ret));
		ret = 0;
	}
	closedir(d);
	if (ret)
		snprintf(err, len, "scanning module BTF: %s", strerror(-ret));
out:
	free(sc.structs.v);
	free(sc.ptrs.v);
	free(sc.protos.v);
	kbtf_close(&vml);
	return ret;
}

void vfio_impls_from_kallsyms(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_impls); i++) {
		uint64_t addr;

		if (!ksym_lookup(known_impls[i].name, NULL, &addr))
			add_impl(known_impls[i].name, "?");
	}
}
