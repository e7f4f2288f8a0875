// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * An LD_PRELOAD shim that plays a kernel with the MANY_REGS v2 series, in user space, for
 * testing bench regs's MANY_REGS path (probe, status[], set list, metrics) where no such
 * kernel exists: KVM_CHECK_EXTENSION(KVM_CAP_MANY_REGS) answers 4096 and KVM_GET/SET_MANY_REGS
 * are done as the contract says, one KVM_GET/SET_ONE_REG per entry. Its times are a ONE_REG
 * loop's: only the kernel series makes MANY_REGS faster. Every other ioctl goes to libc.
 *   PVTRACE_SHIM_ZERO_FAILS=1   the n = 0 probe call fails with EINVAL (a kernel whose
 *                               capability answer is not to be trusted)
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "many_regs.h"

typedef int (*ioctl_fn)(int, unsigned long, ...);

static int real_ioctl(int fd, unsigned long req, void *arg)
{
	static ioctl_fn next;

	if (!next)
		next = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
	return next(fd, req, arg);
}

static int many(int fd, unsigned long one_cmd, struct kvm_many_regs *h)
{
	__s32 *status = (__s32 *)(uintptr_t)h->status;
	int done = 0;

	if ((h->flags & ~KVM_MANY_REGS_CONTINUE) || h->reserved[0] || h->reserved[1] ||
	    ((h->flags & KVM_MANY_REGS_CONTINUE) && !status)) {
		errno = EINVAL;
		return -1;
	}
	if (h->n > KVM_MANY_REGS_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (h->n == 0 && getenv("PVTRACE_SHIM_ZERO_FAILS")) {
		errno = EINVAL;
		return -1;
	}
	for (__u32 i = 0; i < h->n; i++) {
		int r = real_ioctl(fd, one_cmd, &h->reg[i]);

		if (status)
			status[i] = r ? -errno : 0;
		if (!r)
			done++;
		else if (!(h->flags & KVM_MANY_REGS_CONTINUE))
			return done;
	}
	return done;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	switch (req) {
	case KVM_CHECK_EXTENSION:
		if ((unsigned long)arg == KVM_CAP_MANY_REGS)
			return KVM_MANY_REGS_MAX;
		break;
	case KVM_GET_MANY_REGS:
		return many(fd, KVM_GET_ONE_REG, arg);
	case KVM_SET_MANY_REGS:
		return many(fd, KVM_SET_ONE_REG, arg);
	default:
		break;
	}
	return real_ioctl(fd, req, arg);
}
