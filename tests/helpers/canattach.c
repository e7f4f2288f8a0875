// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * canattach: can an empty BPF program attach to a kernel function here? The tests
 * decide with it whether a mode is possible, independently of pvtrace (whose own
 * failure to attach must fail a test, not skip it).
 *   canattach fentry FUNC   an fentry program loaded for FUNC's vmlinux BTF and attached
 *   canattach kprobe FUNC   a kprobe placed on FUNC through the kprobe PMU (or, without
 *                           it, kprobe_events exists in tracefs: not placed)
 * Exit status 0: it can; 1: it cannot, with the reason on stderr; 2: usage.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int fentry(const char *func)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct btf *btf = btf__load_vmlinux_btf();
	int id, fd, lfd;

	if (!btf) {
		fprintf(stderr, "canattach: no vmlinux BTF: %s\n", strerror(errno));
		return 1;
	}
	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	btf__free(btf);
	if (id < 0) {
		fprintf(stderr, "canattach: %s is not in vmlinux BTF\n", func);
		return 1;
	}
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = id);
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "canattach", "GPL", insns, 2, &opts);
	if (fd < 0) {
		fprintf(stderr, "canattach: fentry program for %s not loaded: %s\n", func,
			strerror(errno));
		return 1;
	}
	lfd = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	if (lfd < 0 && errno == EINVAL) /* kernels before BPF links for tracing */
		lfd = bpf_raw_tracepoint_open(NULL, fd);
	if (lfd < 0) {
		fprintf(stderr, "canattach: fentry program for %s not attached: %s\n", func,
			strerror(errno));
		close(fd);
		return 1;
	}
	close(lfd);
	close(fd);
	return 0;
}

static int kprobe(const char *func)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");
	int type, fd;

	if (!f) {
		if (!access("/sys/kernel/tracing/kprobe_events", F_OK) ||
		    !access("/sys/kernel/debug/tracing/kprobe_events", F_OK))
			return 0;
		fprintf(stderr, "canattach: no kprobe PMU and no kprobe_events\n");
		return 1;
	}
	if (fscanf(f, "%d", &type) != 1) {
		fclose(f);
		fprintf(stderr, "canattach: unreadable kprobe PMU type\n");
		return 1;
	}
	fclose(f);
	attr.type = type;
	attr.config1 = (uint64_t)(uintptr_t)func; /* kprobe_func */
	fd = syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "canattach: kprobe on %s not placed: %s\n", func, strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "fentry") && strcmp(argv[1], "kprobe"))) {
		fprintf(stderr, "usage: canattach fentry|kprobe FUNC\n");
		return 2;
	}
	libbpf_set_print(silent);
	return !strcmp(argv[1], "fentry") ? fentry(argv[2]) : kprobe(argv[2]);
}
