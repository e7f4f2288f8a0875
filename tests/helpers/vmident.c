// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vmident: a process shaped like a VMM for pvtrace's identity tests. It opens
 * VMS VMs with VCPUS vCPUs each, runs every vCPU in its own thread named as
 * QEMU names them with debug-threads=on ("CPU 0/KVM"), and issues exactly
 * COUNT KVM_GET_REGS per vCPU. Arguments after "--" are ignored, so a test can
 * give it a QEMU-like command line (-name guest=NAME,debug-threads=on).
 * With --children N it forks N such processes one after another (each exits
 * when done): processes that come and go; --spawn-ms paces them.
 * --rounds R repeats the COUNT ioctls R times per vCPU with --pause-ms between
 * rounds; --stop-file ends the rounds (and the forking of children) once its
 * PATH exists: a long-lived VM whose exact counts are known only at its end.
 * Prints one line per vCPU, after its last ioctl:
 *   pid PID vm V vcpu I GET_REGS COUNT
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "cli.h"
#include "util.h"
#include "workload.h"

#define MAX_VMS 8

static int nvms = 1, nvcpus = 2;
static uint64_t count = 100, children, rounds = 1, pause_ms, spawn_ms;
static const char *wait_file, *hold_file, *stop_file, *comm;

static const struct cli_opt opts[] = {
	{ "vms", 'm', "N", "VMs in this process (default 1)" },
	{ "vcpus", 'n', "N", "vCPUs per VM (default 2)" },
	{ "count", 'c', "N", "KVM_GET_REGS per vCPU (default 100)" },
	{ "comm", 'C', "NAME", "Set the process name (\\xNN escapes allowed)" },
	{ "wait-file", 'w', "PATH", "Start the ioctls once PATH exists" },
	{ "hold-file", 'H', "PATH", "After the ioctls, stay until PATH exists" },
	{ "children", 'k', "N", "Fork N processes one after another, each one VMM" },
	{ "spawn-ms", 's', "MS", "With --children: start one every MS ms (default: at once)" },
	{ "rounds", 'r', "R", "Issue the COUNT ioctls R times per vCPU (default 1; 0: no limit)" },
	{ "pause-ms", 'P', "MS", "Pause MS ms between rounds (default 0)" },
	{ "stop-file", 'S', "PATH", "Stop rounds and children once PATH exists" },
	{ NULL, 0, NULL, NULL },
};

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	uint64_t v;

	(void)ctx;
	if (key == 'C') {
		comm = arg;
		return 0;
	}
	if (key == 'w' || key == 'H' || key == 'S') {
		*(key == 'w' ? &wait_file : key == 'H' ? &hold_file : &stop_file) = arg;
		return 0;
	}
	if (!parse_u64(arg, &v)) {
		snprintf(err, len, "invalid number '%s'", arg);
		return -1;
	}
	switch (key) {
	case 'm':
		if (!v || v > MAX_VMS)
			return -1;
		nvms = v;
		break;
	case 'n':
		if (!v || v > WL_MAX_VCPUS)
			return -1;
		nvcpus = v;
		break;
	case 'c':
		count = v;
		break;
	case 'k':
		children = v;
		break;
	case 's':
		spawn_ms = v;
		break;
	case 'r':
		rounds = v;
		break;
	case 'P':
		pause_ms = v;
		break;
	default:
		return -1;
	}
	return 0;
}

/* "a\xffb" -> bytes */
static void unescape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	while (*in && o + 1 < len) {
		unsigned int b;

		if (in[0] == '\\' && in[1] == 'x' && sscanf(in + 2, "%2x", &b) == 1) {
			out[o++] = (char)b;
			in += 4;
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = 0;
}

struct vcpu_thread {
	pthread_t t;
	int fd, vm, idx;
	uint64_t issued;
};

static void wait_for(const char *path)
{
	while (path && access(path, F_OK)) {
		struct timespec ts = { 0, 2000000 };

		nanosleep(&ts, NULL);
	}
}

static bool stopped(void)
{
	return stop_file && !access(stop_file, F_OK);
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *vcpu_main(void *arg)
{
	struct vcpu_thread *v = arg;
	struct kvm_regs regs;
	char name[16];

	snprintf(name, sizeof(name), "CPU %d/KVM", v->idx);
	pthread_setname_np(pthread_self(), name);
	wait_for(wait_file);
	for (uint64_t r = 0; !rounds || r < rounds; r++) {
		if (r && pause_ms)
			sleep_ms(pause_ms);
		if (stopped())
			break;
		for (uint64_t i = 0; i < count; i++)
			if (ioctl(v->fd, KVM_GET_REGS, &regs) == 0)
				v->issued++;
	}
	return NULL;
}

static int one_vmm(void)
{
	static struct kvm_vm vms[MAX_VMS];
	struct vcpu_thread th[MAX_VMS * WL_MAX_VCPUS];
	char err[256];
	int n = 0;

	for (int m = 0; m < nvms; m++) {
		if (kvm_vm_open(&vms[m], nvcpus, err, sizeof(err))) {
			fprintf(stderr, "vmident: %s\n", err);
			return 1;
		}
		for (int i = 0; i < nvcpus; i++, n++) {
			th[n] = (struct vcpu_thread){ .fd = vms[m].v[i].fd, .vm = m, .idx = i };
			if (pthread_create(&th[n].t, NULL, vcpu_main, &th[n])) {
				fprintf(stderr, "vmident: pthread_create failed\n");
				return 1;
			}
		}
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i].t, NULL);
	for (int i = 0; i < n; i++)
		printf("pid %d vm %d vcpu %d GET_REGS %llu\n", (int)getpid(), th[i].vm, th[i].idx,
		       (unsigned long long)th[i].issued);
	fflush(stdout);
	wait_for(hold_file);
	for (int m = 0; m < nvms; m++)
		kvm_vm_close(&vms[m]);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct cli cli = {
		.name = "vmident",
		.usage = "[OPTIONS] [-- VMM-ARGS...]",
		.doc = "A VMM-shaped process: named vCPU threads, several VMs.",
		.opts = opts,
		.opt = parse_opt,
		.arg = NULL
	};
	struct timespec t0;
	int ret;

	/* everything after "--" is for /proc/PID/cmdline only */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			argc = i;
			break;
		}
	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	if (comm) {
		char name[64];

		unescape(comm, name, sizeof(name));
		prctl(PR_SET_NAME, name);
	}
	if (!rounds && !stop_file) {
		fprintf(stderr, "vmident: --rounds 0 needs --stop-file\n");
		return 2;
	}
	if (!children)
		return one_vmm();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t c = 0; c < children && !stopped(); c++) {
		pid_t pid;
		int st;

		if (c && spawn_ms) {
			/* a fixed schedule from the first start: the rate does not drift */
			uint64_t ns = (uint64_t)t0.tv_nsec + c * spawn_ms * 1000000ULL;
			struct timespec at = { t0.tv_sec + (time_t)(ns / 1000000000ULL),
					       (long)(ns % 1000000000ULL) };

			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
				;
		}
		pid = fork();
		if (pid < 0)
			return 1;
		if (!pid)
			_exit(one_vmm());
		if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
	}
	return 0;
}
