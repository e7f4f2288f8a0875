// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "util.h"

static const char *const mode_names[] = {
	[ATTACH_AUTO] = "auto",
	[ATTACH_FENTRY] = "fentry",
	[ATTACH_KPROBE] = "kprobe",
	[ATTACH_TRACEPOINT] = "tracepoint",
};

static bool tracefs_mounted_here;

const char *attach_mode_name(enum attach_mode m)
{
	return m < ATTACH_MODE_MAX ? mode_names[m] : "?";
}

int attach_mode_parse(const char *s, enum attach_mode *m)
{
	for (int i = 0; i < ATTACH_MODE_MAX; i++) {
		if (!strcmp(s, mode_names[i])) {
			*m = i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Can this kernel load fentry programs at all? libbpf's own probe (a tracing
 * program load it expects to fail the way supporting kernels fail it) answers
 * without BTF parsing; whether the function itself is traceable is left to the
 * real load, which falls back to the next mode when it fails.
 */
static bool probe_fentry(const struct attach_target *t, char *why, size_t len)
{
	int r = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACING, NULL);

	if (r > 0)
		return true;
	snprintf(why, len, "fentry: kernel refuses fentry programs for %s (%s)", t->func,
		 r < 0 ? strerror(-r) : "it loads no BPF tracing programs");
	return false;
}

/*
 * Can this process open a tracefs file the way libbpf will? 0, or -errno: -ENOENT
 * when it does not exist, -EACCES/-EPERM when tracefs is closed to this process.
 * access() would answer with the real uid and without capabilities: wrong both ways.
 */
static int tracefs_file_check(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static const char *tracefs_access_why(int e)
{
	static char buf[256];

	if (e == -EACCES || e == -EPERM)
		snprintf(buf, sizeof(buf),
			 "%s: tracefs is root-only (run as root, add CAP_DAC_OVERRIDE, or mount "
			 "tracefs with gid= and mode=)",
			 strerror(-e));
	else
		snprintf(buf, sizeof(buf), "%s", strerror(-e));
	return buf;
}

static bool probe_kprobe(const struct attach_target *t, char *why, size_t len)
{
	bool mounted;
	char err[256];
	int e;

	if (!access("/sys/bus/event_source/devices/kprobe/type", F_OK))
		return true;
	if (!tracefs_ensure(&mounted, err, sizeof(err))) {
		tracefs_mounted_here |= mounted;
		snprintf(err, sizeof(err), "%s/kprobe_events", tracefs_dir());
		e = tracefs_file_check(err, O_RDONLY);
		if (!e)
			return true;
		if (e != -ENOENT) {
			snprintf(why, len, "kprobe: no kprobe PMU, and %s: %s", err,
				 tracefs_access_why(e));
			return false;
		}
	}
	snprintf(why, len, "kprobe: kernel has no kprobes (no kprobe PMU, no kprobe_events) for %s",
		 t->func);
	return false;
}

static bool probe_tracepoint(const struct attach_target *t, char *why, size_t len)
{
	char path[256], err[256];
	bool mounted;
	int e;

	if (!t->tp_category) {
		snprintf(why, len, "tracepoint: no tracepoint fallback for %s", t->func);
		return false;
	}
	if (tracefs_ensure(&mounted, err, sizeof(err))) {
		snprintf(why, len, "tracepoint: %s", err);
		return false;
	}
	tracefs_mounted_here |= mounted;
	for (int i = 0; i < 2; i++) {
		const char *ev = i ? t->tp_exit : t->tp_enter;

		if (!ev)
			continue;
		snprintf(path, sizeof(path), "%s/events/%s/%s/id", tracefs_dir(), t->tp_category,
			 ev);
		e = tracefs_file_check(path, O_RDONLY);
		if (e == -ENOENT) {
			snprintf(why, len, "tracepoint: %s:%s does not exist", t->tp_category, ev);
			return false;
		}
		if (e) {
			snprintf(why, len, "tracepoint: cannot read %s: %s", path,
				 tracefs_access_why(e));
			return false;
		}
	}
	return true;
}

bool attach_probe(const struct attach_target *t, enum attach_mode m, char *why, size_t len)
{
	switch (m) {
	case ATTACH_FENTRY:
		return probe_fentry(t, why, len);
	case ATTACH_KPROBE:
		return probe_kprobe(t, why, len);
	case ATTACH_TRACEPOINT:
		return probe_tracepoint(t, why, len);
	default:
		snprintf(why, len, "invalid mode");
		return false;
	}
}

int attach_select(const struct attach_target *t, enum attach_mode requested, attach_try_fn try,
		  void *ctx, enum attach_mode *used, char *why, size_t len)
{
	enum attach_mode order[] = { ATTACH_FENTRY, ATTACH_KPROBE, ATTACH_TRACEPOINT };
	size_t off = 0;

	why[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		char one[320];

		if (requested != ATTACH_AUTO && requested != order[i])
			continue;
		one[0] = 0;
		if (attach_probe(t, order[i], one, sizeof(one))) {
			libbpf_clear_error();
			if (!try(ctx, order[i], one, sizeof(one))) {
				*used = order[i];
				return 0;
			}
		}
		if (off < len)
			off += snprintf(why + off, len - off, "%s%s", off ? "; " : "", one);
	}
	return -1;
}

void attach_release_tracefs(void)
{
	tracefs_release(tracefs_mounted_here);
	tracefs_mounted_here = false;
}
