// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace vfio: device requests sent while unregistering, release latency, blocked tasks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/btf.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "vfio.h"
#include "vfio.skel.h"
#include "attach.h"
#include "btf_min.h"
#include "cli.h"
#include "commands.h"
#include "ksyms.h"
#include "output.h"
#include "report.h"
#include "util.h"
#include "kbtf.h"

#define VFIO_SCHEMA "pvtrace.vfio/2"
#define ULL(x)	    ((unsigned long long)(x))
#define BTF_DIR	    "/sys/kernel/btf"

static struct vfio_env {
	bool events;
	const char *device;
	struct cli_common c;
} env = { .c.unit = UNIT_MS,
	  .c.modes = (1u << ATTACH_FENTRY) | (1u << ATTACH_KPROBE),
	  /* request to release, blocked unregisters: le 1 ms .. 275 s, x4 */
	  .c.default_buckets = { 20, 38, 2 } };

enum {
	OPT_EVENTS = 0x100,
};

static const char doc[] =
	"vfio device requests: when a vfio device is unbound or removed while user space\n"
	"holds it, vfio_unregister_group_dev() asks the holder to release it through the\n"
	"driver's request callback (again every 10 s) and blocks until it does. Reported\n"
	"per device: requests sent (count index, with or without a listener), request-\n"
	"to-release latency, how long the unregistering task was blocked, who it was and\n"
	"which task finally released the device.\n"
	"\n"
	"Examples:\n"
	"  pvtrace vfio --events                 # stream events; summary at Ctrl-C\n"
	"  pvtrace vfio -D 0000:01:00.0 --events # one device\n"
	"  pvtrace vfio 60 --prom /var/lib/node_exporter/pvtrace-vfio.prom\n"
	"  pvtrace vfio -d 10m --json            # 10 minutes, one JSON summary\n"
	"  pvtrace vfio --events --json          # events and summary as JSON lines\n"
	"\n"
	"Attach modes: fentry/fexit, else kprobe/kretprobe, on vfio_unregister_group_dev,\n"
	"vfio_device_put_registration and every vfio_device_ops.request implementation\n"
	"found in kernel and module BTF. Event times are CLOCK_MONOTONIC seconds.\n"
	"Exit status: 0 ok, 1 runtime error (e.g. nothing to attach to), 2 usage error.";

static const struct cli_opt opts[] = {
	{ "events", OPT_EVENTS, NULL,
	  "Print one line per event (unregister, request, release, unblocked)" },
	{ "device", 'D', "NAME", "Only this device (dev_name, e.g. 0000:01:00.0 or an mdev UUID)" },
	CLI_OPT_DURATION,
	CLI_OPT_UNIT("ms"),
	CLI_OPT_JSON(VFIO_SCHEMA),
	CLI_OPT_PROM,
	CLI_OPT_MODE("fentry or kprobe"),
	CLI_OPT_VERBOSE,
	{ NULL, 0, NULL, NULL },
};

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	(void)ctx;
	switch (key) {
	case OPT_EVENTS:
		env.events = true;
		break;
	case 'D':
		if (!*arg || strlen(arg) >= VFIO_NAME_LEN) {
			snprintf(err, len, "invalid device '%s' (1 to %d characters)", arg,
				 VFIO_NAME_LEN - 1);
			return -1;
		}
		env.device = arg;
		break;
	default:
		return CLI_UNHANDLED;
	}
	return 0;
}

/* ---- .request implementations, found in kernel BTF ------------------------------------ */

struct req_impl {
	char name[64];
	char module[64]; /* "vmlinux" when built in */
	enum vfio_req_kind kind;
};

static struct req_impl impls[VFIO_REQ_SLOTS];
static int nimpls;

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

	for (int i = 0; i < nimpls; i++)
		if (!strcmp(impls[i].name, name))
			return;
	if (nimpls == VFIO_REQ_SLOTS) {
		warn_msg("more than %d vfio request implementations; %s not traced", VFIO_REQ_SLOTS,
			 name);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(known_impls); i++)
		if (!strcmp(known_impls[i].name, name))
			kind = known_impls[i].kind;
	snprintf(impls[nimpls].name, sizeof(impls[nimpls].name), "%s", name);
	snprintf(impls[nimpls].module, sizeof(impls[nimpls].module), "%s", module);
	impls[nimpls++].kind = kind;
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

/* Fill impls[] from vmlinux and module BTF. Returns 0 or -errno (message in err). */
static int find_request_impls(char *err, size_t len)
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

/* Without BTF to scan: the implementations kallsyms knows of (kprobe mode can use them). */
static void known_impls_from_kallsyms(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_impls); i++) {
		uint64_t addr;

		if (!ksym_lookup(known_impls[i].name, NULL, &addr))
			add_impl(known_impls[i].name, "?");
	}
}

/* ---- attaching -------------------------------------------------------------------------- */

struct vfio_ctx {
	struct vfio_bpf *skel;
	struct btf_min btf; /* minimal CO-RE BTF for kprobe mode */
	struct bpf_link *req_links[VFIO_REQ_SLOTS];
	struct ring_buffer *rb;
	struct hist_set hs;
};

static const struct attach_target target = {
	.func = "vfio_unregister_group_dev",
	.module = "vfio",
};

static struct bpf_program *req_prog(struct vfio_bpf *s, int slot, bool kprobe)
{
	char name[32];

	snprintf(name, sizeof(name), "vfio_req%d%s", slot, kprobe ? "_kp" : "");
	return bpf_object__find_program_by_name(s->obj, name);
}

static void detach_reqs(struct vfio_ctx *ctx)
{
	for (int i = 0; i < VFIO_REQ_SLOTS; i++) {
		bpf_link__destroy(ctx->req_links[i]);
		ctx->req_links[i] = NULL;
	}
}

static int try_mode(void *arg, enum attach_mode m, char *why, size_t len)
{
	struct vfio_ctx *ctx = arg;
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	bool fentry = m == ATTACH_FENTRY;
	struct vfio_bpf *s;
	int err = 0;

	if (m != ATTACH_FENTRY && m != ATTACH_KPROBE) {
		snprintf(why, len, "%s: not supported for vfio", attach_mode_name(m));
		return -1;
	}
	/* fentry resolves its targets in the full BTF anyway; kprobes need only a small one */
	if (!fentry && ctx->btf.fd < 0) {
		static const char *const mods[] = { "vfio", "vfio_pci_core", "vfio_ccw", "vfio_ap",
						    NULL };
		char errbuf[256];

		if (core_btf_build(&ctx->btf, vfio_bpf__elf_bytes, mods, errbuf, sizeof(errbuf)) &&
		    verbose)
			warn_msg("minimal BTF: %s; using the full kernel BTF", errbuf);
	}
	oopts.btf_custom_path = !fentry && ctx->btf.fd >= 0 ? ctx->btf.path : NULL;
	s = vfio_bpf__open_opts(&oopts);
	if (!s) {
		snprintf(why, len, "%s: cannot open BPF object: %s", attach_mode_name(m),
			 strerror(errno));
		return -1;
	}
	s->rodata->emit_events = env.events;
	if (env.device) {
		s->rodata->filter_dev = true;
		strncpy((char *)s->rodata->targ_dev, env.device, VFIO_NAME_LEN - 1);
	}
	bpf_program__set_autoload(s->progs.vfio_unreg, fentry);
	bpf_program__set_autoload(s->progs.vfio_unreg_ret, fentry);
	bpf_program__set_autoload(s->progs.vfio_put_reg, fentry);
	bpf_program__set_autoload(s->progs.vfio_unreg_kp, !fentry);
	bpf_program__set_autoload(s->progs.vfio_unreg_krp, !fentry);
	bpf_program__set_autoload(s->progs.vfio_put_reg_kp, !fentry);
	for (int i = 0; i < VFIO_REQ_SLOTS && !err; i++) {
		struct bpf_program *pf = req_prog(s, i, false), *pk = req_prog(s, i, true);

		s->rodata->req_kind[i] = i < nimpls ? impls[i].kind : VFIO_REQ_OTHER;
		bpf_program__set_autoload(pf, fentry && i < nimpls);
		bpf_program__set_autoload(pk, !fentry && i < nimpls);
		bpf_program__set_autoattach(pk, false);
		if (fentry && i < nimpls)
			err = bpf_program__set_attach_target(pf, 0, impls[i].name);
	}
	if (!err)
		err = vfio_bpf__load(s);
	if (!err)
		err = vfio_bpf__attach(s);
	for (int i = 0; i < nimpls && !err && !fentry; i++) {
		ctx->req_links[i] =
			bpf_program__attach_kprobe(req_prog(s, i, true), false, impls[i].name);
		if (!ctx->req_links[i])
			err = -errno;
	}
	if (err) {
		snprintf(why, len, "%s: %s (%s)", attach_mode_name(m),
			 *libbpf_last_error() ? libbpf_last_error() : "load/attach failed",
			 strerror(-err));
		detach_reqs(ctx);
		vfio_bpf__destroy(s);
		return -1;
	}
	ctx->skel = s;
	return 0;
}

/* ---- events ----------------------------------------------------------------------------- */

static const char *listener_name(int l)
{
	return l == VFIO_LISTENER_YES ? "yes" : l == VFIO_LISTENER_NONE ? "no" : "unknown";
}

static const char *const ev_names[] = {
	[VFIO_EV_UNREGISTER] = "unregister",
	[VFIO_EV_REQUEST] = "request",
	[VFIO_EV_RELEASE] = "release",
	[VFIO_EV_UNBLOCKED] = "unblocked",
};

static void fix_strings(struct vfio_key *k, struct vfio_task *t)
{
	k->dev[sizeof(k->dev) - 1] = 0;
	k->driver[sizeof(k->driver) - 1] = 0;
	t->comm[sizeof(t->comm) - 1] = 0;
}

static json_object *task_json(const struct vfio_task *t)
{
	json_object *o;

	if (!t->pid && !t->tid && !t->comm[0])
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int64(t->pid));
	json_object_object_add(o, "tid", json_object_new_int64(t->tid));
	json_object_object_add(o, "comm", json_object_new_string(t->comm));
	return o;
}

static void event_json(const struct vfio_event *e)
{
	json_object *o = json_doc_new(VFIO_SCHEMA, "event", false);

	json_object_object_add(o, "event", json_object_new_string(ev_names[e->type]));
	json_object_object_add(o, "ts_ns", json_u64(e->ts));
	json_object_object_add(o, "device", json_object_new_string(e->key.dev));
	json_object_object_add(o, "driver", json_object_new_string(e->key.driver));
	json_object_object_add(o, e->type == VFIO_EV_RELEASE ? "holder" : "task",
			       task_json(&e->task));
	switch (e->type) {
	case VFIO_EV_REQUEST:
		json_object_object_add(o, "index", json_object_new_int64(e->index));
		json_object_object_add(o, "listener",
				       json_object_new_string(listener_name(e->listener)));
		json_object_object_add(o, "hook",
				       json_object_new_string(e->slot < (unsigned)nimpls
								      ? impls[e->slot].name
								      : "?"));
		break;
	case VFIO_EV_RELEASE:
		json_object_object_add(o, "requests", json_object_new_int64(e->index));
		json_object_object_add(o, "since_first_request_ns",
				       e->index ? json_u64(e->first_lat) : NULL);
		json_object_object_add(o, "since_last_request_ns",
				       e->index ? json_u64(e->last_lat) : NULL);
		break;
	case VFIO_EV_UNBLOCKED:
		json_object_object_add(o, "requests", json_object_new_int64(e->index));
		json_object_object_add(o, "blocked_ns", json_u64(e->first_lat));
		break;
	}
	json_print_line(stdout, o);
	json_object_put(o);
}

static void event_text(const struct vfio_event *e)
{
	char a[32], b[32];

	printf("%llu.%09llu %s (%s): ", ULL(e->ts / 1000000000ULL), ULL(e->ts % 1000000000ULL),
	       e->key.dev, e->key.driver);
	switch (e->type) {
	case VFIO_EV_UNREGISTER:
		printf("unregister by %s (pid %u tid %u)\n", e->task.comm, e->task.pid,
		       e->task.tid);
		break;
	case VFIO_EV_REQUEST:
		printf("request #%u by %s (pid %u): listener %s (%s)\n", e->index, e->task.comm,
		       e->task.pid, listener_name(e->listener),
		       e->slot < (unsigned)nimpls ? impls[e->slot].name : "?");
		break;
	case VFIO_EV_RELEASE:
		if (e->index)
			printf("released by %s (pid %u tid %u) %s after request #0, %s after the "
			       "last request (%u sent)\n",
			       e->task.comm, e->task.pid, e->task.tid,
			       fmt_time(a, sizeof(a), e->first_lat, env.c.unit),
			       fmt_time(b, sizeof(b), e->last_lat, env.c.unit), e->index);
		else
			printf("released by %s (pid %u tid %u), no request needed\n", e->task.comm,
			       e->task.pid, e->task.tid);
		break;
	case VFIO_EV_UNBLOCKED:
		printf("unblocked %s (pid %u) after %s, %u request%s\n", e->task.comm, e->task.pid,
		       fmt_time(a, sizeof(a), e->first_lat, env.c.unit), e->index,
		       e->index == 1 ? "" : "s");
		break;
	}
	fflush(stdout);
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct vfio_event e;

	(void)ctx;
	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	if (e.type > VFIO_EV_UNBLOCKED)
		return 0;
	fix_strings(&e.key, &e.task);
	if (env.c.json)
		event_json(&e);
	else
		event_text(&e);
	return 0;
}

/* ---- reports ---------------------------------------------------------------------------- */

struct dev_row {
	struct vfio_key key;
	struct vfio_dev_stats cum;	/* since start */
	struct vfio_dev_stats interval; /* counters of this interval */
	const struct hist_series *h[VFIO_H_MAX];
	/* unregisters still blocked, and the oldest one's details */
	uint64_t in_progress;
	struct vfio_inflight oldest;
};

struct report {
	struct dev_row *rows;
	size_t n;
	struct dev_row *prev; /* counters at the previous report */
	size_t nprev;
	uint64_t drops[VFIO_STAT_MAX];
};

static const char *const stat_names[VFIO_STAT_MAX] = {
	[VFIO_STAT_RINGBUF_FULL] = "ringbuf_full",
	[VFIO_STAT_INFLIGHT_FULL] = "inflight_map_full",
	[VFIO_STAT_DEV_FULL] = "device_map_full",
	[VFIO_STAT_HIST_FULL] = "hist_map_full",
};

static int key_cmp(const void *a, const void *b)
{
	const struct vfio_key *x = a, *y = b;
	int r = strcmp(x->dev, y->dev);

	return r ? r : strcmp(x->driver, y->driver);
}

static int hkey_cmp(const void *a, const void *b)
{
	const struct vfio_hkey *x = a, *y = b;
	int r = key_cmp(&x->dev, &y->dev);

	return r ? r : (int)x->kind - (int)y->kind;
}

static int row_cmp(const void *a, const void *b)
{
	return key_cmp(&((const struct dev_row *)a)->key, &((const struct dev_row *)b)->key);
}

static struct dev_row *row_find(struct dev_row *rows, size_t n, const struct vfio_key *k)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(&rows[i].key, k, sizeof(*k)))
			return &rows[i];
	return NULL;
}

#define COUNTER_DELTA(f) d->f = c->f - (p ? p->f : 0)

/* Read the device map, histograms and in-flight unregisters into r. */
static int report_read(struct vfio_ctx *ctx, struct report *r, uint32_t epoch)
{
	struct vfio_bpf *s = ctx->skel;
	int fd = bpf_map__fd(s->maps.vfio_devs), err;
	struct vfio_key key, next, *prev = NULL;
	__u64 addr, naddr, *pa = NULL;

	free(r->prev);
	r->prev = r->rows;
	r->nprev = r->n;
	r->rows = NULL;
	r->n = 0;
	err = hist_set_read(&ctx->hs, bpf_map__fd(s->maps.vfio_hists), epoch);
	if (err)
		return err;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct dev_row *row, *nr;
		const struct vfio_dev_stats *c, *p;
		const struct dev_row *pr;
		struct vfio_dev_stats *d;

		key = next;
		prev = &key;
		nr = realloc(r->rows, (r->n + 1) * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		r->rows = nr;
		row = &r->rows[r->n];
		memset(row, 0, sizeof(*row));
		if (bpf_map_lookup_elem(fd, &key, &row->cum))
			continue;
		r->n++;
		row->key = key;
		fix_strings(&row->key, &row->cum.last_unreg);
		row->cum.last_holder.comm[15] = 0;
		c = &row->cum;
		d = &row->interval;
		pr = row_find(r->prev, r->nprev, &key);
		p = pr ? &pr->cum : NULL;
		*d = *c;
		COUNTER_DELTA(unregisters);
		COUNTER_DELTA(unblocked);
		COUNTER_DELTA(requests);
		COUNTER_DELTA(req_listener);
		COUNTER_DELTA(req_none);
		COUNTER_DELTA(releases);
		for (size_t i = 0; i < ctx->hs.n; i++) {
			const struct vfio_hkey *hk = ctx->hs.s[i].key;

			if (!memcmp(&hk->dev, &key, sizeof(key)) && hk->kind < VFIO_H_MAX)
				row->h[hk->kind] = &ctx->hs.s[i];
		}
	}
	/* unregisters still waiting for a release */
	fd = bpf_map__fd(s->maps.vfio_inflight);
	while (!bpf_map_get_next_key(fd, pa, &naddr)) {
		struct vfio_inflight inf;
		struct dev_row *row;

		addr = naddr;
		pa = &addr;
		if (bpf_map_lookup_elem(fd, &addr, &inf) || !inf.start)
			continue;
		row = row_find(r->rows, r->n, &inf.key);
		if (!row)
			continue;
		fix_strings(&inf.key, &inf.unreg);
		if (!row->in_progress++ || inf.start < row->oldest.start)
			row->oldest = inf;
	}
	if (r->n > 1)
		qsort(r->rows, r->n, sizeof(*r->rows), row_cmp);
	for (int i = 0; i < VFIO_STAT_MAX; i++)
		r->drops[i] = percpu_u64_sum(bpf_map__fd(s->maps.vfio_drops), i, ctx->hs.ncpus);
	return 0;
}

static const struct hist_data *row_hist(const struct dev_row *row, int kind, bool interval)
{
	static struct hist_data empty;

	if (!row->h[kind]) {
		hist_data_init(&empty);
		return &empty;
	}
	return interval ? &row->h[kind]->interval : &row->h[kind]->cum;
}

struct vfio_run {
	struct vfio_ctx *ctx;
	struct report *rep;
};

static void print_text(void *arg, const struct tick *t)
{
	struct report *r = ((struct vfio_run *)arg)->rep;
	bool interval_mode = t->interval;
	char a[32], b[32], c[32];
	uint64_t now = now_ns();
	size_t shown = 0;

	if (interval_mode)
		text_print_clock(stdout);
	for (size_t i = 0; i < r->n; i++) {
		const struct dev_row *row = &r->rows[i];
		const struct vfio_dev_stats *st = interval_mode ? &row->interval : &row->cum;
		const struct vfio_dev_stats *cum = &row->cum;
		const struct hist_data *hr = row_hist(row, VFIO_H_RELEASE, interval_mode);
		const struct hist_data *hb = row_hist(row, VFIO_H_BLOCKED, interval_mode);

		/* an interval shows only devices with something new or still blocked */
		if (interval_mode && !st->unregisters && !st->unblocked && !st->requests &&
		    !st->releases && !row->in_progress)
			continue;
		shown++;
		printf("\n%s (%s)\n", row->key.dev, row->key.driver);
		printf("  unregisters %llu (%llu in progress), requests %llu (listener: %llu yes, "
		       "%llu no, %llu unknown)",
		       ULL(st->unregisters), ULL(row->in_progress), ULL(st->requests),
		       ULL(st->req_listener), ULL(st->req_none),
		       ULL(st->requests - st->req_listener - st->req_none));
		if (cum->requests)
			printf(", last request index %llu", ULL(cum->last_index));
		printf(", releases %llu\n", ULL(st->releases));
		if (cum->unblocked) {
			printf("  last: %s (pid %u) blocked %s, %llu request%s",
			       cum->last_unreg.comm, cum->last_unreg.pid,
			       fmt_time(a, sizeof(a), cum->last_blocked, env.c.unit),
			       ULL(cum->last_requests), cum->last_requests == 1 ? "" : "s");
			if (cum->last_holder.pid || cum->last_holder.comm[0])
				printf("; released by %s (pid %u)", cum->last_holder.comm,
				       cum->last_holder.pid);
			else
				printf("; releasing task not seen");
			if (cum->last_requests && cum->last_first_lat)
				printf(" %s after request #0, %s after the last",
				       fmt_time(b, sizeof(b), cum->last_first_lat, env.c.unit),
				       fmt_time(c, sizeof(c), cum->last_last_lat, env.c.unit));
			printf("\n");
		}
		if (row->in_progress)
			printf("  blocked now: %s (pid %u) for %s, %u request%s sent%s\n",
			       row->oldest.unreg.comm, row->oldest.unreg.pid,
			       fmt_time(a, sizeof(a), now - row->oldest.start, env.c.unit),
			       row->oldest.requests, row->oldest.requests == 1 ? "" : "s",
			       row->oldest.release ? ", released" : ", not released yet");
		if (hr->count) {
			printf("  request to release (first request -> final release):\n");
			text_print_hist(stdout, hr, env.c.unit);
		}
		if (hb->count) {
			printf("  unregister blocked (vfio_unregister_group_dev entry -> exit):\n");
			text_print_hist(stdout, hb, env.c.unit);
		}
	}
	if (!shown)
		printf("no vfio device unregister traced\n");
	fflush(stdout);
}

static void print_json(void *arg, const struct tick *t)
{
	struct report *r = ((struct vfio_run *)arg)->rep;
	json_object *jdoc = json_report_new(VFIO_SCHEMA, NULL, t, attach_mode_name(env.c.mode));
	json_object *arr = json_object_new_array(), *hooks = json_object_new_array();
	json_object *drops = json_object_new_object();
	bool interval_mode = t->interval;
	uint64_t now = now_ns();

	for (int i = 0; i < nimpls; i++)
		json_object_array_add(hooks, json_object_new_string(impls[i].name));
	json_object_object_add(jdoc, "request_hooks", hooks);
	for (size_t i = 0; i < r->n; i++) {
		const struct dev_row *row = &r->rows[i];
		const struct vfio_dev_stats *st = interval_mode ? &row->interval : &row->cum;
		const struct vfio_dev_stats *cum = &row->cum;
		json_object *o = json_object_new_object(), *last = NULL, *cur = NULL;

		json_object_object_add(o, "device", json_object_new_string(row->key.dev));
		json_object_object_add(o, "driver", json_object_new_string(row->key.driver));
		json_object_object_add(o, "unregisters", json_u64(st->unregisters));
		json_object_object_add(o, "unblocked", json_u64(st->unblocked));
		json_object_object_add(o, "requests", json_u64(st->requests));
		json_object_object_add(o, "requests_listener", json_u64(st->req_listener));
		json_object_object_add(o, "requests_no_listener", json_u64(st->req_none));
		json_object_object_add(o, "requests_listener_unknown",
				       json_u64(st->requests - st->req_listener - st->req_none));
		json_object_object_add(o, "releases", json_u64(st->releases));
		json_object_object_add(o, "last_request_index",
				       cum->requests ? json_u64(cum->last_index) : NULL);
		if (cum->unblocked) {
			bool lat = cum->last_requests && cum->last_first_lat;

			last = json_object_new_object();
			json_object_object_add(last, "task", task_json(&cum->last_unreg));
			json_object_object_add(last, "blocked_ns", json_u64(cum->last_blocked));
			json_object_object_add(last, "requests", json_u64(cum->last_requests));
			json_object_object_add(last, "holder", task_json(&cum->last_holder));
			json_object_object_add(last, "release_after_first_request_ns",
					       lat ? json_u64(cum->last_first_lat) : NULL);
			json_object_object_add(last, "release_after_last_request_ns",
					       lat ? json_u64(cum->last_last_lat) : NULL);
		}
		json_object_object_add(o, "last_unregister", last);
		json_object_object_add(o, "in_progress", json_u64(row->in_progress));
		if (row->in_progress) {
			cur = json_object_new_object();
			json_object_object_add(cur, "task", task_json(&row->oldest.unreg));
			json_object_object_add(cur, "blocked_ns",
					       json_u64(now - row->oldest.start));
			json_object_object_add(cur, "requests", json_u64(row->oldest.requests));
			json_object_object_add(cur, "released",
					       json_object_new_boolean(row->oldest.release != 0));
		}
		json_object_object_add(o, "blocked_now", cur);
		json_object_object_add(o, "request_to_release",
				       json_hist(row_hist(row, VFIO_H_RELEASE, interval_mode)));
		json_object_object_add(o, "blocked",
				       json_hist(row_hist(row, VFIO_H_BLOCKED, interval_mode)));
		json_object_array_add(arr, o);
	}
	json_object_object_add(jdoc, "devices", arr);
	for (int i = 0; i < VFIO_STAT_MAX; i++)
		json_object_object_add(drops, stat_names[i], json_u64(r->drops[i]));
	json_object_object_add(jdoc, "dropped", drops);
	json_print_line(stdout, jdoc);
	json_object_put(jdoc);
}

static void prom_u64(struct prom_writer *w, const char *name, struct prom_label *l, int n,
		     uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", ULL(v));
	prom_sample(w, name, l, n, buf);
}

static void prom_vfio(struct prom_writer *w, void *arg)
{
	const struct report *r = ((struct vfio_run *)arg)->rep;
	static const char *const counters[][2] = {
		{ "pvtrace_vfio_unregisters_total",
		  "vfio_unregister_group_dev calls (device unbind or removal)" },
		{ "pvtrace_vfio_releases_total", "Final releases that unblocked an unregister" },
		{ "pvtrace_vfio_unregisters_in_progress",
		  "Unregisters blocked now, waiting for user space to release the device" },
	};
	static const char *const hists[VFIO_H_MAX][2] = {
		[VFIO_H_RELEASE] = { "pvtrace_vfio_request_to_release_seconds",
				     "First device request to final release, in seconds" },
		[VFIO_H_BLOCKED] = { "pvtrace_vfio_unregister_blocked_seconds",
				     "Time vfio_unregister_group_dev blocked, in seconds" },
	};
	prom_family(w, "pvtrace_vfio_requests_total", "counter",
		    "Device requests sent (vfio_device_ops.request), by listener registered");
	for (size_t i = 0; i < r->n; i++) {
		const struct vfio_dev_stats *c = &r->rows[i].cum;
		const uint64_t v[3] = { c->req_listener, c->req_none,
					c->requests - c->req_listener - c->req_none };
		const char *ln[3] = { "yes", "no", "unknown" };

		for (int j = 0; j < 3; j++)
			prom_u64(w, "pvtrace_vfio_requests_total",
				 (struct prom_label[]){ { "device", r->rows[i].key.dev },
							{ "driver", r->rows[i].key.driver },
							{ "listener", ln[j] } },
				 3, v[j]);
	}
	for (size_t f = 0; f < ARRAY_SIZE(counters); f++) {
		prom_family(w, counters[f][0], f == 2 ? "gauge" : "counter", counters[f][1]);
		for (size_t i = 0; i < r->n; i++) {
			const struct dev_row *row = &r->rows[i];
			uint64_t v = f == 0   ? row->cum.unregisters
				     : f == 1 ? row->cum.releases
					      : row->in_progress;

			prom_u64(w, counters[f][0],
				 (struct prom_label[]){ { "device", row->key.dev },
							{ "driver", row->key.driver } },
				 2, v);
		}
	}
	for (int k = 0; k < VFIO_H_MAX; k++) {
		prom_family(w, hists[k][0], "histogram", hists[k][1]);
		for (size_t i = 0; i < r->n; i++)
			prom_hist(w, hists[k][0],
				  (struct prom_label[]){ { "device", r->rows[i].key.dev },
							 { "driver", r->rows[i].key.driver } },
				  2, row_hist(&r->rows[i], k, false));
	}
	prom_family(w, "pvtrace_vfio_dropped_events_total", "counter",
		    "vfio events pvtrace could not record, by reason");
	for (int i = 0; i < VFIO_STAT_MAX; i++)
		prom_u64(w, "pvtrace_vfio_dropped_events_total",
			 (struct prom_label[]){ { "reason", stat_names[i] } }, 1, r->drops[i]);
}

/* ---- command ---------------------------------------------------------------------------- */

/* "vfio is not loaded" or "this kernel has no vfio", when /sys/module/vfio is absent. */
static bool vfio_missing(char *why, size_t len)
{
	static const char *const lists[] = { "modules.dep", "modules.builtin" };
	const char *release = kernel_release();

	if (!access("/sys/module/vfio", F_OK))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		char path[512], *buf;
		FILE *f;
		bool found = false;
		size_t cap = 1 << 16, n;

		snprintf(path, sizeof(path), "/lib/modules/%s/%s", release, lists[i]);
		f = fopen(path, "re");
		buf = f ? malloc(cap + 1) : NULL;
		while (buf && (n = fread(buf, 1, cap, f)) > 0 && !found) {
			buf[n] = 0;
			found = strstr(buf, "/vfio.ko") != NULL;
		}
		free(buf);
		if (f)
			fclose(f);
		if (found) {
			snprintf(why, len,
				 "vfio is not loaded (no /sys/module/vfio; modprobe vfio-pci)");
			return true;
		}
	}
	snprintf(why, len, "kernel %s has no vfio (no /sys/module/vfio; needs CONFIG_VFIO)",
		 release);
	return true;
}

/* One line naming everything missing: vfio itself and each attach mode. */
static void explain_missing(const char *vfio_why)
{
	char why[1024], one[320];
	size_t off;

	off = snprintf(why, sizeof(why), "%s", vfio_why);
	for (int m = ATTACH_FENTRY; m <= ATTACH_KPROBE; m++) {
		if (env.c.mode != ATTACH_AUTO && env.c.mode != (enum attach_mode)m)
			continue;
		one[0] = 0;
		if (!attach_probe(&target, m, one, sizeof(one)) && off < sizeof(why))
			off += snprintf(why + off, sizeof(why) - off, "; %s", one);
	}
	err_msg("cannot trace vfio here: %s", why);
}

/* Streams events while waiting for the next report. */
static int vfio_wait(void *arg, int timeout_ms)
{
	struct vfio_run *r = arg;
	int err;

	if (!r->ctx->rb) {
		sleep_until(now_ns() + (uint64_t)timeout_ms * 1000000ULL);
		return 0;
	}
	err = ring_buffer__poll(r->ctx->rb, timeout_ms);
	if (err < 0 && err != -EINTR) {
		err_msg("reading events: %s", strerror(-err));
		return -1;
	}
	return out_flush_check(stdout);
}

static int vfio_read(void *arg, const struct tick *t)
{
	struct vfio_run *r = arg;
	int err;

	if (r->ctx->rb)
		ring_buffer__consume(r->ctx->rb);
	tick_close_epoch(&r->ctx->skel->data->epoch, t);
	err = report_read(r->ctx, r->rep, t->epoch);
	if (err) {
		err_msg("reading maps: %s", strerror(-err));
		return -1;
	}
	return 0;
}

static void vfio_next(void *arg, const struct tick *t)
{
	(void)t;
	hist_set_next_interval(&((struct vfio_run *)arg)->ctx->hs);
}

static const struct report_ops vfio_ops = {
	.read = vfio_read,
	.text = print_text,
	.json = print_json,
	.prom = prom_vfio,
	.next = vfio_next,
	.wait = vfio_wait,
};

int cmd_vfio(int argc, char **argv)
{
	static const struct cli cli = { .name = "pvtrace vfio",
					.usage = "[OPTIONS] [INTERVAL [COUNT]]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt,
					.common = &env.c,
					.intervals = true };
	struct vfio_ctx ctx = { .btf.fd = -1 };
	struct report rep = { 0 };
	enum attach_mode mode;
	char why[1024], hooks[512];
	struct vfio_run run = { .ctx = &ctx, .rep = &rep };
	int ret;
	size_t off = 0;

	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	ret = cli_common_check(&env.c, cli.name);
	if (ret)
		return ret;
	ret = EXIT_RUNTIME;
	if (env_check(ENV_TRACING | ENV_BTF, why, sizeof(why))) {
		err_msg("%s", why);
		goto out;
	}
	libbpf_setup_logging();
	signals_install();
	if (vfio_missing(why, sizeof(why))) {
		explain_missing(why);
		goto out;
	}
	if (find_request_impls(why, sizeof(why))) {
		if (verbose)
			warn_msg("%s; trying the known request functions", why);
		known_impls_from_kallsyms();
	}
	if (!nimpls)
		warn_msg(
			"no vfio_device_ops.request implementation is loaded (e.g. vfio_pci_core): "
			"requests are not traced");
	if (hist_set_init(&ctx.hs, sizeof(struct vfio_hkey), hkey_cmp)) {
		err_msg("out of memory");
		goto out;
	}
	if (attach_select(&target, env.c.mode, try_mode, &ctx, &mode, why, sizeof(why))) {
		if (env.c.mode != ATTACH_AUTO)
			err_msg("mode %s is not available here: %s", attach_mode_name(env.c.mode),
				why);
		else
			err_msg("cannot attach to vfio: %s", why);
		goto out;
	}
	env.c.mode = mode;
	if (mode != ATTACH_KPROBE)
		attach_release_tracefs();
	if (env.events) {
		ctx.rb = ring_buffer__new(bpf_map__fd(ctx.skel->maps.vfio_events), handle_event,
					  NULL, NULL);
		if (!ctx.rb) {
			err_msg("cannot open the event ring buffer: %s", strerror(errno));
			goto out;
		}
	}
	drop_caps_after_attach();
	if ((ret = cli_textfile_ready(&env.c)))
		goto out;
	env.c.tf.mode = attach_mode_name(mode);
	hooks[0] = 0;
	for (int i = 0; i < nimpls && off < sizeof(hooks); i++)
		off += snprintf(hooks + off, sizeof(hooks) - off, "%s%s [%s]", i ? ", " : "",
				impls[i].name, impls[i].module);
	fprintf(stderr,
		"Tracing vfio device requests (mode: %s; request hooks: %s)... Hit Ctrl-C to "
		"end.\n",
		attach_mode_name(mode), nimpls ? hooks : "none");

	ret = report_run(&env.c, cli_prom_interval_ns(&env.c), &vfio_ops, &run);
	for (int i = 0; i < VFIO_STAT_MAX; i++)
		if (rep.drops[i])
			warn_msg("%" PRIu64 " events not recorded: %s", rep.drops[i],
				 stat_names[i]);
out:
	ring_buffer__free(ctx.rb);
	detach_reqs(&ctx);
	vfio_bpf__destroy(ctx.skel);
	btf_min_close(&ctx.btf);
	attach_release_tracefs();
	hist_set_free(&ctx.hs);
	free(rep.rows);
	free(rep.prev);
	textfile_close(&env.c.tf);
	return ret;
}
