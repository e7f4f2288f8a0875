// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>
#include "workload.h"
#include "workload_arch.h"
#include "util.h"

const char *wl_op_name(enum wl_op op)
{
	return op < WL_OP_MAX && wl_arch_ops[op].name ? wl_arch_ops[op].name : "?";
}

uint32_t wl_op_cmd(enum wl_op op)
{
	return op < WL_OP_MAX && wl_arch_ops[op].name ? wl_arch_ops[op].cmd : 0;
}

int wl_op_parse(const char *name, enum wl_op *op)
{
	for (int i = 0; i < WL_OP_MAX; i++) {
		const char *n = wl_arch_ops[i].name;

		if (n && (!strcmp(name, n) || (!strncmp(n, "KVM_", 4) && !strcmp(name, n + 4)))) {
			*op = i;
			return 0;
		}
	}
	return -EINVAL;
}

void wl_default_spec(struct wl_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->nvcpus = 2;
	for (int v = 0; v < s->nvcpus; v++)
		memcpy(s->count[v], wl_arch_mix, sizeof(wl_arch_mix));
}

void kvm_vm_close(struct kvm_vm *vm)
{
	for (int i = 0; i < vm->n; i++) {
		if (vm->v[i].run)
			munmap(vm->v[i].run, vm->v[i].run_size);
		close(vm->v[i].fd);
	}
	if (vm->mem)
		munmap(vm->mem, WL_GUEST_MEM);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm >= 0)
		close(vm->kvm);
}

int kvm_vm_open(struct kvm_vm *vm, int nvcpus, char *err, size_t errlen)
{
	return kvm_vm_open_flags(vm, nvcpus, 0, err, errlen);
}

int kvm_vm_open_flags(struct kvm_vm *vm, int nvcpus, unsigned int flags, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region region = { 0 };
	int run_size;

	memset(vm, 0, sizeof(*vm));
	vm->kvm = vm->fd = -1;
	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0) {
		snprintf(err, errlen, "/dev/kvm: %s", strerror(errno));
		return -1;
	}
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	vm->mem = mmap(NULL, WL_GUEST_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		snprintf(err, errlen, "mmap: %s", strerror(errno));
		goto fail;
	}
	region.memory_size = WL_GUEST_MEM;
	region.userspace_addr = (unsigned long)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region)) {
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		goto fail;
	}
	if (wl_arch_vm_init(vm, err, errlen))
		goto fail;
	if ((flags & KVM_VM_IRQCHIP) && ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0)) {
		snprintf(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		goto fail;
	}
	run_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (int i = 0; i < nvcpus; i++) {
		struct kvm_vcpu_fd *c = &vm->v[i];
		c->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
		if (c->fd < 0) {
			snprintf(err, errlen, "KVM_CREATE_VCPU %d: %s", i, strerror(errno));
			goto fail;
		}
		vm->n++;
		if (wl_arch_vcpu_init(vm, i, flags, err, errlen))
			goto fail;
		if (run_size > 0) {
			c->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
			if (c->run == MAP_FAILED)
				c->run = NULL;
			else
				c->run_size = run_size;
		}
	}
	return 0;
fail:
	kvm_vm_close(vm);
	return -1;
}

int wl_vioctl(struct kvm_vm *vm, struct wl_result *r, int v, enum wl_op op, void *arg)
{
	int ret = ioctl(vm->v[v].fd, wl_op_cmd(op), arg);

	r->issued[v][op]++;
	if (ret < 0) {
		r->failed[v][op]++;
		return -errno;
	}
	if (op == WL_RUN)
		r->run_ok = true;
	return 0;
}

/* ioctls that must never be reported as vCPU ioctls */
static void noise(struct kvm_vm *vm, uint64_t n, struct wl_result *r)
{
	int p[2], avail, devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char regs[4096] = { 0 }; /* what a KVM_GET_REGS would write, on any architecture */

	if (pipe2(p, O_CLOEXEC)) {
		close(devnull);
		return;
	}
	for (uint64_t i = 0; i < n; i++) {
		ioctl(p[0], FIONREAD, &avail);			     /* not KVM */
		ioctl(devnull, KVM_GET_REGS, regs);		     /* KVMIO type, not a vCPU fd */
		ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ONE_REG); /* VM fd */
		ioctl(vm->kvm, KVM_GET_API_VERSION, 0);		     /* system fd */
		r->noise_issued += 4;
	}
	close(p[0]);
	close(p[1]);
	close(devnull);
}

int wl_run(const struct wl_spec *s, struct wl_result *r, char *err, size_t errlen)
{
	struct kvm_vm vm;
	uint64_t left[WL_MAX_VCPUS][WL_OP_MAX];
	bool more = true;

	memset(r, 0, sizeof(*r));
	if (s->nvcpus < 1 || s->nvcpus > WL_MAX_VCPUS) {
		snprintf(err, errlen, "workload: vCPU count must be 1..%d", WL_MAX_VCPUS);
		return -1;
	}
	if (kvm_vm_open(&vm, s->nvcpus, err, errlen)) {
		char e[256];

		snprintf(e, sizeof(e), "%s", err);
		snprintf(err, errlen, "workload: %s", e);
		return -1;
	}
	r->nvcpus = s->nvcpus;
	for (int v = 0; v < s->nvcpus; v++)
		r->issued[v][WL_ARM_VCPU_INIT] = vm.v[v].inits;
	r->one_reg = ioctl(vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_ONE_REG) > 0;
	memcpy(left, s->count, sizeof(left));
	for (int v = 0; v < s->nvcpus; v++)
		wl_arch_vcpu_setup(&vm, r, v);
	if (!r->one_reg) {
		for (int v = 0; v < s->nvcpus; v++)
			left[v][WL_GET_ONE_REG] = left[v][WL_SET_ONE_REG] = 0;
	}
	/* interleave ops so every command sees the same conditions */
	while (more) {
		more = false;
		for (int v = 0; v < s->nvcpus; v++) {
			for (int op = 0; op < WL_OP_MAX; op++) {
				if (!left[v][op])
					continue;
				left[v][op]--;
				more = true;
				wl_arch_do_op(&vm, r, v, op);
			}
		}
	}
	noise(&vm, s->noise, r);
	kvm_vm_close(&vm);
	return 0;
}

int wl_result_write(int fd, const struct wl_result *r)
{
	FILE *f = fdopen(dup(fd), "w");

	if (!f)
		return -errno;
	fprintf(f, "vcpus %d one_reg %d run_ok %d noise %llu\n", r->nvcpus, r->one_reg, r->run_ok,
		(unsigned long long)r->noise_issued);
	for (int v = 0; v < r->nvcpus; v++)
		for (int op = 0; op < WL_OP_MAX; op++)
			if (r->issued[v][op])
				fprintf(f, "%s %d %llu %llu\n", wl_op_name(op), v,
					(unsigned long long)r->issued[v][op],
					(unsigned long long)r->failed[v][op]);
	return fclose(f) ? -errno : 0;
}

int wl_result_read(int fd, struct wl_result *r)
{
	FILE *f = fdopen(dup(fd), "r");
	char name[64];
	int v, one_reg, run_ok;
	unsigned long long a, b;

	if (!f)
		return -errno;
	memset(r, 0, sizeof(*r));
	if (fscanf(f, "vcpus %d one_reg %d run_ok %d noise %llu\n", &r->nvcpus, &one_reg, &run_ok,
		   &a) != 4 ||
	    r->nvcpus < 0 || r->nvcpus > WL_MAX_VCPUS) {
		fclose(f);
		return -EINVAL;
	}
	r->one_reg = one_reg;
	r->run_ok = run_ok;
	r->noise_issued = a;
	while (fscanf(f, "%63s %d %llu %llu\n", name, &v, &a, &b) == 4) {
		enum wl_op op;

		if (wl_op_parse(name, &op) || v < 0 || v >= WL_MAX_VCPUS)
			continue;
		r->issued[v][op] = a;
		r->failed[v][op] = b;
	}
	fclose(f);
	return 0;
}
