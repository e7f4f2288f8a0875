// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ioctlbench: time N ioctls of one kind and print ns per call (best of R runs).
 *   nonkvm  FIONREAD on a pipe
 *   vcpu    KVM_GET_MP_STATE on a vCPU fd (a cheap vCPU ioctl)
 * Usage: ioctlbench KIND [N [R]]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 1000000, rounds = argc > 3 ? atol(argv[3]) : 5;
	unsigned long cmd;
	double best = 0;
	int fd, p[2];
	void *arg;
	int avail;
	struct kvm_mp_state mp;

	if (argc < 2 || n <= 0 || rounds <= 0) {
		fprintf(stderr, "usage: ioctlbench nonkvm|vcpu [N [ROUNDS]]\n");
		return 2;
	}
	if (!strcmp(argv[1], "nonkvm")) {
		if (pipe(p))
			return 1;
		fd = p[0];
		cmd = FIONREAD;
		arg = &avail;
	} else if (!strcmp(argv[1], "vcpu")) {
		int kvm = open("/dev/kvm", O_RDWR), vm;

		if (kvm < 0) {
			fprintf(stderr, "ioctlbench: /dev/kvm: %s\n", strerror(errno));
			return 3;
		}
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
		fd = vm < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0);
		if (fd < 0) {
			fprintf(stderr, "ioctlbench: cannot create a vCPU: %s\n", strerror(errno));
			return 3;
		}
		cmd = KVM_GET_MP_STATE;
		arg = &mp;
	} else {
		fprintf(stderr, "ioctlbench: unknown kind '%s'\n", argv[1]);
		return 2;
	}
	for (long r = 0; r < rounds; r++) {
		double t0 = now(), ns;

		for (long i = 0; i < n; i++)
			ioctl(fd, cmd, arg);
		ns = (now() - t0) / n;
		if (!r || ns < best)
			best = ns;
	}
	printf("%.1f\n", best);
	return 0;
}
