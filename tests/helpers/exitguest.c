// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * exitguest: run a tiny x86 real-mode guest through /dev/kvm whose exits are known, for the
 * exact counts of pvtrace's exit tests. Each vCPU (a thread of its own, named "vcpu N") runs:
 *   IO      port writes to 0x10 (KVM_EXIT_IO, out)
 *   MMIO    byte stores to 0x10000, above the guest memory (KVM_EXIT_MMIO, write)
 *   HLT     hlt, with no in-kernel irqchip (KVM_EXIT_HLT)
 *   CPUID   cpuid, handled in the kernel (no exit to user space)
 *   RDMSR   rdmsr of MSR_IA32_TSC (0x10), handled in the kernel
 * then one write to port 0x11, which ends its KVM_RUN loop (one more KVM_EXIT_IO).
 * It counts every KVM_RUN return by kvm_run->exit_reason itself and prints, per vCPU:
 *   vcpu V KVM_RUN <calls> KVM_EXIT_IO <n> KVM_EXIT_MMIO <n> KVM_EXIT_HLT <n> other <n>
 *   vcpu V cpuid <n> rdmsr <n>
 * Exit status 0 iff every vCPU saw exactly the exits it was given (1 otherwise, 2 usage,
 * 77 where it cannot run: no /dev/kvm, not x86).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "cli.h"
#include "util.h"
#include "workload.h"
#include "workload_arch.h"

static const struct cli_opt opts[] = {
	{ "io", 'i', "N", "Port writes per vCPU (default 10)" },
	{ "mmio", 'm', "N", "MMIO writes per vCPU (default 10)" },
	{ "hlt", 'H', "N", "HLTs per vCPU (default 10)" },
	{ "cpuid", 'c', "N", "CPUIDs per vCPU (default 10)" },
	{ "rdmsr", 'r', "N", "RDMSRs per vCPU (default 10)" },
	{ "vcpus", 'n', "N", "vCPUs, one thread each (default 1)" },
	{ "wait-file", 'w', "PATH", "Start only once PATH exists" },
	{ NULL, 0, NULL, NULL },
};

#if defined(__x86_64__)
#define PORT_IO	  0x10
#define PORT_DONE 0x11
#define MMIO_SEG  0x1000 /* DS: linear 0x10000, just above the 64 KiB of guest memory */

static uint64_t n_io = 10, n_mmio = 10, n_hlt = 10, n_cpuid = 10, n_rdmsr = 10;
static struct kvm_vm vm;

struct vcpu_count {
	uint64_t run, io, mmio, hlt, other, bad_io, bad_mmio;
	int err;
};
static struct vcpu_count counts[WL_MAX_VCPUS];

/*
 * The guest at 0:WL_GUEST_CODE, 16-bit real mode; the counts are immediates:
 *   mov cx,IO;  1: out 0x10,al; loop 1b
 *   mov cx,MMIO; 2: mov [bx],al; loop 2b          (bx = 0, ds = MMIO_SEG)
 *   mov cx,HLT; 3: hlt; loop 3b
 *   mov si,CPUID; jz-free: 4: xor eax,eax; cpuid; dec si; jnz 4b
 *   mov si,RDMSR; 5: mov ecx,0x10; rdmsr; dec si; jnz 5b
 *   out 0x11,al; jmp $
 * A count of 0 skips its loop (jcxz / test si,si).
 */
static size_t guest_code(uint8_t *p)
{
	uint8_t *s = p;

#define IMM16(v) (*p++ = (uint8_t)(v), *p++ = (uint8_t)((v) >> 8))
	*p++ = 0xb9, IMM16(n_io);			 /* mov cx, n_io */
	*p++ = 0xe3, *p++ = 4;				 /* jcxz +4 */
	*p++ = 0xe6, *p++ = PORT_IO;			 /* out PORT_IO, al */
	*p++ = 0xe2, *p++ = 0xfc;			 /* loop -4 */
	*p++ = 0x31, *p++ = 0xdb;			 /* xor bx, bx */
	*p++ = 0xb9, IMM16(n_mmio);			 /* mov cx, n_mmio */
	*p++ = 0xe3, *p++ = 4;				 /* jcxz +4 */
	*p++ = 0x88, *p++ = 0x07;			 /* mov [bx], al */
	*p++ = 0xe2, *p++ = 0xfc;			 /* loop -4 */
	*p++ = 0xb9, IMM16(n_hlt);			 /* mov cx, n_hlt */
	*p++ = 0xe3, *p++ = 3;				 /* jcxz +3 */
	*p++ = 0xf4;					 /* hlt */
	*p++ = 0xe2, *p++ = 0xfd;			 /* loop -3 */
	*p++ = 0xbe, IMM16(n_cpuid);			 /* mov si, n_cpuid */
	*p++ = 0x85, *p++ = 0xf6;			 /* test si, si */
	*p++ = 0x74, *p++ = 8;				 /* jz +8 */
	*p++ = 0x66, *p++ = 0x31, *p++ = 0xc0;		 /* xor eax, eax */
	*p++ = 0x0f, *p++ = 0xa2;			 /* cpuid */
	*p++ = 0x4e;					 /* dec si */
	*p++ = 0x75, *p++ = 0xf8;			 /* jnz -8 */
	*p++ = 0xbe, IMM16(n_rdmsr);			 /* mov si, n_rdmsr */
	*p++ = 0x85, *p++ = 0xf6;			 /* test si, si */
	*p++ = 0x74, *p++ = 11;				 /* jz +11 */
	*p++ = 0x66, *p++ = 0xb9, IMM16(0x10), IMM16(0); /* mov ecx, 0x10 */
	*p++ = 0x0f, *p++ = 0x32;			 /* rdmsr */
	*p++ = 0x4e;					 /* dec si */
	*p++ = 0x75, *p++ = 0xf5;			 /* jnz -11 */
	*p++ = 0xe6, *p++ = PORT_DONE;			 /* out PORT_DONE, al */
	*p++ = 0xeb, *p++ = 0xfe;			 /* jmp $ */
#undef IMM16
	return p - s;
}

static void *vcpu_thread(void *arg)
{
	int v = (int)(intptr_t)arg;
	struct kvm_run *run = vm.v[v].run;
	struct vcpu_count *c = &counts[v];
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = WL_GUEST_CODE, .rflags = 2 };
	char name[16];

	snprintf(name, sizeof(name), "vcpu %d", v);
	prctl(PR_SET_NAME, name);
	if (ioctl(vm.v[v].fd, KVM_GET_SREGS, &sregs) < 0)
		goto fail;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = (uint64_t)MMIO_SEG << 4;
	sregs.ds.selector = MMIO_SEG;
	if (ioctl(vm.v[v].fd, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(vm.v[v].fd, KVM_SET_REGS, &regs) < 0)
		goto fail;
	for (;;) {
		c->run++;
		if (ioctl(vm.v[v].fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			goto fail;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			c->io++;
			if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 1)
				c->bad_io++;
			else if (run->io.port == PORT_DONE)
				return NULL;
			else if (run->io.port != PORT_IO)
				c->bad_io++;
			break;
		case KVM_EXIT_MMIO:
			c->mmio++;
			if (!run->mmio.is_write || run->mmio.len != 1 ||
			    run->mmio.phys_addr != (uint64_t)MMIO_SEG << 4)
				c->bad_mmio++;
			break;
		case KVM_EXIT_HLT:
			c->hlt++;
			break;
		default:
			c->other++;
			fprintf(stderr, "exitguest: vcpu %d: exit reason %u\n", v,
				run->exit_reason);
			if (run->exit_reason == KVM_EXIT_SHUTDOWN ||
			    run->exit_reason == KVM_EXIT_FAIL_ENTRY ||
			    run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
				return NULL;
		}
	}
fail:
	c->err = errno;
	return NULL;
}

static const char *wait_file;
static uint64_t nvcpus = 1;

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	uint64_t *dst, max = 0xffff;

	(void)ctx;
	switch (key) {
	case 'i':
		dst = &n_io;
		break;
	case 'm':
		dst = &n_mmio;
		break;
	case 'H':
		dst = &n_hlt;
		break;
	case 'c':
		dst = &n_cpuid;
		break;
	case 'r':
		dst = &n_rdmsr;
		break;
	case 'n':
		dst = &nvcpus, max = WL_MAX_VCPUS;
		break;
	case 'w':
		wait_file = arg;
		return 0;
	default:
		return -1;
	}
	if (!parse_u64(arg, dst) || *dst > max || (key == 'n' && !*dst)) {
		snprintf(err, len, "invalid count '%s' (%s..%llu)", arg, key == 'n' ? "1" : "0",
			 (unsigned long long)max);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct cli cli = { .name = "exitguest",
					.usage = "[OPTIONS]",
					.doc = "Run a real-mode guest whose exits are known.",
					.opts = opts,
					.opt = parse_opt };
	pthread_t th[WL_MAX_VCPUS];
	char err[256];
	int rc = 0, ret;

	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	if (kvm_vm_open(&vm, (int)nvcpus, err, sizeof(err))) {
		fprintf(stderr, "exitguest: %s\n", err);
		return 77;
	}
	guest_code((uint8_t *)vm.mem + WL_GUEST_CODE);
	while (wait_file && access(wait_file, F_OK)) {
		struct timespec ts = { 0, 2000000 };

		nanosleep(&ts, NULL);
	}
	for (unsigned long v = 0; v < nvcpus; v++)
		if (!vm.v[v].run ||
		    pthread_create(&th[v], NULL, vcpu_thread, (void *)(intptr_t)v)) {
			fprintf(stderr, "exitguest: vcpu %lu: cannot start\n", v);
			return 1;
		}
	for (unsigned long v = 0; v < nvcpus; v++)
		pthread_join(th[v], NULL);
	for (unsigned long v = 0; v < nvcpus; v++) {
		struct vcpu_count *c = &counts[v];

		printf("vcpu %lu KVM_RUN %llu KVM_EXIT_IO %llu KVM_EXIT_MMIO %llu KVM_EXIT_HLT "
		       "%llu other %llu\n",
		       v, (unsigned long long)c->run, (unsigned long long)c->io,
		       (unsigned long long)c->mmio, (unsigned long long)c->hlt,
		       (unsigned long long)c->other);
		printf("vcpu %lu cpuid %llu rdmsr %llu\n", v, (unsigned long long)n_cpuid,
		       (unsigned long long)n_rdmsr);
		if (c->err) {
			fprintf(stderr, "exitguest: vcpu %lu: KVM_RUN: %s\n", v, strerror(c->err));
			rc = 1;
		} else if (c->io != n_io + 1 || c->mmio != n_mmio || c->hlt != n_hlt || c->other ||
			   c->bad_io || c->bad_mmio || c->run != n_io + 1 + n_mmio + n_hlt) {
			fprintf(stderr,
				"exitguest: vcpu %lu: expected %llu IO (+1 done), %llu MMIO, %llu "
				"HLT exits\n",
				v, (unsigned long long)n_io, (unsigned long long)n_mmio,
				(unsigned long long)n_hlt);
			rc = 1;
		}
	}
	kvm_vm_close(&vm);
	return rc;
}
#else
int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	(void)opts;
	fprintf(stderr, "exitguest: an x86 real-mode guest: x86 only\n");
	return 77;
}
#endif
