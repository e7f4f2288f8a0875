// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * latency --vhost: the vhost drivers' ioctl functions (found in /proc/kallsyms), their
 * programs (a fentry/fexit pair each, one kprobe pair attached to all, or the shared
 * syscall tracepoints), and what the outputs call a vhost device.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "lat.h"
#include "latency.skel.h"
#include "ksyms.h"
#include "util.h"

static const struct vhost_driver {
	const char *func;   /* its file_operations' unlocked_ioctl */
	const char *module; /* when it is a module */
} drivers[LAT_VHOST_KINDS] = {
	[LAT_VHOST_NET] = { "vhost_net_ioctl", "vhost_net" },
	[LAT_VHOST_VDPA] = { "vhost_vdpa_unlocked_ioctl", "vhost_vdpa" },
	[LAT_VHOST_VSOCK] = { "vhost_vsock_dev_ioctl", "vhost_vsock" },
	[LAT_VHOST_SCSI] = { "vhost_scsi_ioctl", "vhost_scsi" },
};

int lat_vhost_find(struct lat_ctx *ctx, char *why, size_t len)
{
	int found = 0;

	for (int k = 0; k < LAT_VHOST_KINDS; k++) {
		uint64_t addr = 0;
		int err = ksym_lookup(drivers[k].func, NULL, &addr);

		/* -EPERM: the name is there, its address hidden (tracepoint mode says so) */
		if (err && err != -EPERM && err != -ENOENT) {
			snprintf(why, len, "cannot read /proc/kallsyms: %s", strerror(-err));
			return -1;
		}
		ctx->vhost[k].present = !err || err == -EPERM;
		ctx->vhost[k].addr = addr;
		found += ctx->vhost[k].present;
	}
	if (!found) {
		snprintf(why, len,
			 "no vhost driver in this kernel (none of vhost_net, vhost_vdpa, "
			 "vhost_vsock, vhost_scsi is loaded): modprobe the one the VMM uses");
		return -1;
	}
	return 0;
}

const char *lat_vhost_func(int kind)
{
	return kind >= 0 && kind < LAT_VHOST_KINDS ? drivers[kind].func : NULL;
}

const char *lat_vhost_module(int kind)
{
	return kind >= 0 && kind < LAT_VHOST_KINDS ? drivers[kind].module : NULL;
}

int lat_vhost_first(const struct lat_ctx *ctx)
{
	for (int k = 0; k < LAT_VHOST_KINDS; k++)
		if (ctx->vhost[k].present)
			return k;
	return -1;
}

void lat_vhost_list(const struct lat_ctx *ctx, bool present, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int k = 0; k < LAT_VHOST_KINDS && n < len; k++)
		if (ctx->vhost[k].present == present)
			n += snprintf(buf + n, len - n, "%s%s", n ? " " : "", drivers[k].module);
}

/* The fentry and fexit programs of a driver, with their skeleton links. */
static void fentry_progs(struct latency_bpf *s, int kind, struct bpf_program **p,
			 struct bpf_link ***l)
{
	switch (kind) {
	case LAT_VHOST_NET:
		p[0] = s->progs.fentry_vhost_net_ioctl, l[0] = &s->links.fentry_vhost_net_ioctl;
		p[1] = s->progs.fexit_vhost_net_ioctl, l[1] = &s->links.fexit_vhost_net_ioctl;
		break;
	case LAT_VHOST_VDPA:
		p[0] = s->progs.fentry_vhost_vdpa_unlocked_ioctl;
		l[0] = &s->links.fentry_vhost_vdpa_unlocked_ioctl;
		p[1] = s->progs.fexit_vhost_vdpa_unlocked_ioctl;
		l[1] = &s->links.fexit_vhost_vdpa_unlocked_ioctl;
		break;
	case LAT_VHOST_VSOCK:
		p[0] = s->progs.fentry_vhost_vsock_dev_ioctl;
		l[0] = &s->links.fentry_vhost_vsock_dev_ioctl;
		p[1] = s->progs.fexit_vhost_vsock_dev_ioctl;
		l[1] = &s->links.fexit_vhost_vsock_dev_ioctl;
		break;
	default:
		p[0] = s->progs.fentry_vhost_scsi_ioctl, l[0] = &s->links.fentry_vhost_scsi_ioctl;
		p[1] = s->progs.fexit_vhost_scsi_ioctl, l[1] = &s->links.fexit_vhost_scsi_ioctl;
		break;
	}
}

void lat_vhost_autoload(const struct lat_ctx *ctx, struct latency_bpf *s, enum attach_mode m)
{
	bool want = ctx->trace_vhost;

	for (int k = 0; k < LAT_VHOST_KINDS; k++) {
		struct bpf_program *p[2];
		struct bpf_link **l[2];

		fentry_progs(s, k, p, l);
		bpf_program__set_autoload(p[0],
					  want && m == ATTACH_FENTRY && ctx->vhost[k].present);
		bpf_program__set_autoload(p[1],
					  want && m == ATTACH_FENTRY && ctx->vhost[k].present);
	}
	bpf_program__set_autoload(s->progs.kprobe_vhost_ioctl, want && m == ATTACH_KPROBE);
	bpf_program__set_autoload(s->progs.kretprobe_vhost_ioctl, want && m == ATTACH_KPROBE);
}

/* fentry and kprobe modes: every present driver, each exit program before its entry. */
int lat_vhost_attach(struct lat_ctx *ctx, enum attach_mode m)
{
	struct latency_bpf *s = ctx->skel;

	if (!ctx->trace_vhost || m == ATTACH_TRACEPOINT)
		return 0; /* the syscall tracepoints are vCPU's and vhost's */
	for (int k = 0; k < LAT_VHOST_KINDS; k++) {
		struct bpf_link **kl = ctx->vhost[k].links;
		struct bpf_program *p[2];
		struct bpf_link **l[2];

		if (!ctx->vhost[k].present)
			continue;
		if (m == ATTACH_KPROBE) {
			kl[1] = bpf_program__attach_kprobe(s->progs.kretprobe_vhost_ioctl, true,
							   drivers[k].func);
			if (!kl[1])
				return -errno;
			kl[0] = bpf_program__attach_kprobe(s->progs.kprobe_vhost_ioctl, false,
							   drivers[k].func);
			if (!kl[0])
				return -errno;
			continue;
		}
		fentry_progs(s, k, p, l);
		*l[1] = bpf_program__attach(p[1]);
		if (!*l[1])
			return -errno;
		*l[0] = bpf_program__attach(p[0]);
		if (!*l[0])
			return -errno;
	}
	return 0;
}

/* Entry programs first, as lat_links_off() does. */
void lat_vhost_detach(struct lat_ctx *ctx)
{
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < LAT_VHOST_KINDS; k++) {
			struct bpf_link **kl = ctx->vhost[k].links;
			struct bpf_program *p[2];
			struct bpf_link **l[2];

			bpf_link__destroy(kl[i]);
			kl[i] = NULL;
			if (!ctx->skel)
				continue;
			fentry_progs(ctx->skel, k, p, l);
			bpf_link__destroy(*l[i]);
			*l[i] = NULL;
		}
	}
}

void lat_vhost_label(struct proc_ident *p, const struct lat_key *k, char *buf, size_t len)
{
	int n;

	chardev_name(k->rdev, buf, len);
	n = p ? proc_dev_index(p, k->rdev, k->vm) : 0;
	if (n > 0) {
		size_t used = strlen(buf);

		if (used < len)
			snprintf(buf + used, len - used, "#%d", n);
	}
}
