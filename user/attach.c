// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
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

/* BTF object fd and type id of a function in a module's BTF, or -ENOENT. */
static int module_btf_func(const char *module, const char *func, struct btf *vmlinux, int *obj_fd,
			   int *type_id)
{
	__u32 id = 0;

	while (!bpf_btf_get_next_id(id, &id)) {
		struct bpf_btf_info info;
		__u32 len = sizeof(info);
		char name[64] = "";
		struct btf *btf;
		int fd, tid;

		fd = bpf_btf_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		info.name = (__u64)(unsigned long)name;
		info.name_len = sizeof(name);
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || strcmp(name, module)) {
			close(fd);
			continue;
		}
		btf = btf__load_from_kernel_by_id_split(id, vmlinux);
		tid = btf ? btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) : -ENOENT;
		btf__free(btf);
		if (tid < 0) {
			close(fd);
			return -ENOENT;
		}
		*obj_fd = fd;
		*type_id = tid;
		return 0;
	}
	return -ENOENT;
}

static bool probe_fentry(const struct attach_target *t, char *why, size_t len)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int id = -ENOENT, obj_fd = -1, fd;

	if (!vmlinux) {
		snprintf(why, len, "fentry: kernel BTF is not available");
		return false;
	}
	id = btf__find_by_name_kind(vmlinux, t->func, BTF_KIND_FUNC);
	if (id < 0 && t->module)
		module_btf_func(t->module, t->func, vmlinux, &obj_fd, &id);
	btf__free(vmlinux);
	if (id < 0) {
		snprintf(why, len, "fentry: no BTF for %s in vmlinux%s%s", t->func,
			 t->module ? " or module " : "", t->module ? t->module : "");
		return false;
	}
	opts.attach_btf_id = id;
	if (obj_fd >= 0)
		opts.attach_btf_obj_fd = obj_fd;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "pvtrace_probe", "GPL", insns, ARRAY_SIZE(insns),
			   &opts);
	if (obj_fd >= 0)
		close(obj_fd);
	if (fd < 0) {
		snprintf(why, len, "fentry: kernel refused a fentry program on %s (%s)", t->func,
			 strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

static bool probe_kprobe(const struct attach_target *t, char *why, size_t len)
{
	bool mounted;
	char err[256];

	if (!access("/sys/bus/event_source/devices/kprobe/type", F_OK))
		return true;
	if (!tracefs_ensure(&mounted, err, sizeof(err))) {
		tracefs_mounted_here |= mounted;
		snprintf(err, sizeof(err), "%s/kprobe_events", tracefs_dir());
		if (!access(err, F_OK))
			return true;
	}
	snprintf(why, len, "kprobe: kernel has no kprobes (no kprobe PMU, no kprobe_events) for %s",
		 t->func);
	return false;
}

static bool probe_tracepoint(const struct attach_target *t, char *why, size_t len)
{
	char path[256], err[256];
	bool mounted;

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
		if (access(path, R_OK)) {
			snprintf(why, len, "tracepoint: %s:%s does not exist", t->tp_category, ev);
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
