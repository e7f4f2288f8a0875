// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace vfio: device requests sent while unregistering, release latency, blocked tasks. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "vfio.skel.h"
#include "attach.h"
#include "btf_min.h"
#include "commands.h"
#include "ksyms.h"
#include "util.h"
#include "vfio/vfio_int.h"

struct vfio_env vfio_env = { .c.unit = UNIT_MS,
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
		vfio_env.events = true;
		break;
	case 'D':
		if (!*arg || strlen(arg) >= VFIO_NAME_LEN) {
			snprintf(err, len, "invalid device '%s' (1 to %d characters)", arg,
				 VFIO_NAME_LEN - 1);
			return -1;
		}
		vfio_env.device = arg;
		break;
	default:
		return CLI_UNHANDLED;
	}
	return 0;
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
	s->rodata->emit_events = vfio_env.events;
	if (vfio_env.device) {
		s->rodata->filter_dev = true;
		strncpy((char *)s->rodata->targ_dev, vfio_env.device, VFIO_NAME_LEN - 1);
	}
	bpf_program__set_autoload(s->progs.vfio_unreg, fentry);
	bpf_program__set_autoload(s->progs.vfio_unreg_ret, fentry);
	bpf_program__set_autoload(s->progs.vfio_put_reg, fentry);
	bpf_program__set_autoload(s->progs.vfio_unreg_kp, !fentry);
	bpf_program__set_autoload(s->progs.vfio_unreg_krp, !fentry);
	bpf_program__set_autoload(s->progs.vfio_put_reg_kp, !fentry);
	for (int i = 0; i < VFIO_REQ_SLOTS && !err; i++) {
		struct bpf_program *pf = req_prog(s, i, false), *pk = req_prog(s, i, true);

		s->rodata->req_kind[i] = i < vfio_nimpls ? vfio_impls[i].kind : VFIO_REQ_OTHER;
		bpf_program__set_autoload(pf, fentry && i < vfio_nimpls);
		bpf_program__set_autoload(pk, !fentry && i < vfio_nimpls);
		bpf_program__set_autoattach(pk, false);
		if (fentry && i < vfio_nimpls)
			err = bpf_program__set_attach_target(pf, 0, vfio_impls[i].name);
	}
	if (!err)
		err = vfio_bpf__load(s);
	if (!err)
		err = vfio_bpf__attach(s);
	for (int i = 0; i < vfio_nimpls && !err && !fentry; i++) {
		ctx->req_links[i] =
			bpf_program__attach_kprobe(req_prog(s, i, true), false, vfio_impls[i].name);
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

/* ---- reports ---------------------------------------------------------------------------- */

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
		vfio_fix_strings(&row->key, &row->cum.last_unreg);
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
		vfio_fix_strings(&inf.key, &inf.unreg);
		if (!row->in_progress++ || inf.start < row->oldest.start)
			row->oldest = inf;
	}
	if (r->n > 1)
		qsort(r->rows, r->n, sizeof(*r->rows), row_cmp);
	for (int i = 0; i < VFIO_STAT_MAX; i++)
		r->drops[i] = percpu_u64_sum(bpf_map__fd(s->maps.vfio_drops), i, ctx->hs.ncpus);
	return 0;
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
		if (vfio_env.c.mode != ATTACH_AUTO && vfio_env.c.mode != (enum attach_mode)m)
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
	.text = vfio_print_text,
	.json = vfio_print_json,
	.prom = vfio_prom,
	.next = vfio_next,
	.wait = vfio_wait,
};

/* What there is to trace: vfio, its request callbacks. 0, or -1 after a message. */
static int vfio_prepare(void)
{
	char why[1024];

	if (env_check(ENV_TRACING | ENV_BTF, why, sizeof(why))) {
		err_msg("%s", why);
		return -1;
	}
	libbpf_setup_logging();
	signals_install();
	if (vfio_missing(why, sizeof(why))) {
		explain_missing(why);
		return -1;
	}
	if (vfio_find_impls(why, sizeof(why))) {
		if (verbose)
			warn_msg("%s; trying the known request functions", why);
		vfio_impls_from_kallsyms();
	}
	if (!vfio_nimpls)
		warn_msg(
			"no vfio_device_ops.request implementation is loaded (e.g. vfio_pci_core): "
			"requests are not traced");
	return 0;
}

/* Attach in the best (or the forced) mode, open the event ring. 0, or -1 after a message. */
static int vfio_attach(struct vfio_ctx *ctx)
{
	enum attach_mode mode;
	char why[1024];

	if (hist_set_init(&ctx->hs, sizeof(struct vfio_hkey), hkey_cmp)) {
		err_msg("out of memory");
		return -1;
	}
	if (attach_select(&target, vfio_env.c.mode, try_mode, ctx, &mode, why, sizeof(why))) {
		if (vfio_env.c.mode != ATTACH_AUTO)
			err_msg("mode %s is not available here: %s",
				attach_mode_name(vfio_env.c.mode), why);
		else
			err_msg("cannot attach to vfio: %s", why);
		return -1;
	}
	vfio_env.c.mode = mode;
	if (mode != ATTACH_KPROBE)
		attach_release_tracefs();
	if (vfio_env.events) {
		ctx->rb = ring_buffer__new(bpf_map__fd(ctx->skel->maps.vfio_events),
					   vfio_handle_event, NULL, NULL);
		if (!ctx->rb) {
			err_msg("cannot open the event ring buffer: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void vfio_announce(enum attach_mode mode)
{
	char hooks[512];
	size_t off = 0;

	hooks[0] = 0;
	for (int i = 0; i < vfio_nimpls && off < sizeof(hooks); i++)
		off += snprintf(hooks + off, sizeof(hooks) - off, "%s%s [%s]", i ? ", " : "",
				vfio_impls[i].name, vfio_impls[i].module);
	fprintf(stderr,
		"Tracing vfio device requests (mode: %s; request hooks: %s)... Hit Ctrl-C to "
		"end.\n",
		attach_mode_name(mode), vfio_nimpls ? hooks : "none");
}

int cmd_vfio(int argc, char **argv)
{
	static const struct cli cli = { .name = "pvtrace vfio",
					.usage = "[OPTIONS] [INTERVAL [COUNT]]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt,
					.common = &vfio_env.c,
					.intervals = true };
	struct vfio_ctx ctx = { .btf.fd = -1 };
	struct report rep = { 0 };
	struct vfio_run run = { .ctx = &ctx, .rep = &rep };
	int ret;

	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	ret = cli_common_check(&vfio_env.c, cli.name);
	if (ret)
		return ret;
	ret = EXIT_RUNTIME;
	if (vfio_prepare() || vfio_attach(&ctx))
		goto out;
	drop_caps_after_attach();
	if ((ret = cli_textfile_ready(&vfio_env.c)))
		goto out;
	vfio_env.c.tf.mode = attach_mode_name(vfio_env.c.mode);
	vfio_announce(vfio_env.c.mode);
	ret = report_run(&vfio_env.c, cli_prom_interval_ns(&vfio_env.c), &vfio_ops, &run);
	for (int i = 0; i < VFIO_STAT_MAX; i++)
		if (rep.drops[i])
			warn_msg("%" PRIu64 " events not recorded: %s", rep.drops[i],
				 vfio_stat_names[i]);
out:
	ring_buffer__free(ctx.rb);
	detach_reqs(&ctx);
	vfio_bpf__destroy(ctx.skel);
	btf_min_close(&ctx.btf);
	attach_release_tracefs();
	hist_set_free(&ctx.hs);
	free(rep.rows);
	free(rep.prev);
	textfile_close(&vfio_env.c.tf);
	return ret;
}
