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
#include "util.h"

#define GUEST_MEM  0x10000
#define GUEST_CODE 0x1000

static const struct {
	const char *name;
	uint32_t cmd;
} ops[WL_OP_MAX] = {
	[WL_GET_REGS] = { "KVM_GET_REGS", KVM_GET_REGS },
	[WL_SET_REGS] = { "KVM_SET_REGS", KVM_SET_REGS },
	[WL_GET_SREGS] = { "KVM_GET_SREGS", KVM_GET_SREGS },
	[WL_SET_SREGS] = { "KVM_SET_SREGS", KVM_SET_SREGS },
	[WL_GET_MSRS] = { "KVM_GET_MSRS", KVM_GET_MSRS },
	[WL_SET_MSRS] = { "KVM_SET_MSRS", KVM_SET_MSRS },
	[WL_GET_ONE_REG] = { "KVM_GET_ONE_REG", KVM_GET_ONE_REG },
	[WL_SET_ONE_REG] = { "KVM_SET_ONE_REG", KVM_SET_ONE_REG },
	[WL_GET_FPU] = { "KVM_GET_FPU", KVM_GET_FPU },
	[WL_GET_VCPU_EVENTS] = { "KVM_GET_VCPU_EVENTS", KVM_GET_VCPU_EVENTS },
	[WL_GET_MP_STATE] = { "KVM_GET_MP_STATE", KVM_GET_MP_STATE },
	[WL_RUN] = { "KVM_RUN", KVM_RUN },
	[WL_UNKNOWN] = { "0x0000aeff", 0xaeff },
};

/* MSRs every x86 vCPU has; SET_MSRS writes back what GET_MSRS read */
static const uint32_t msr_list[] = { 0x174, 0x175, 0x176, 0xc0000081, 0xc0000082, 0xc0000102 };

/* real mode: mov al,0x42; out 0x10,al; jmp $-4 -- one IO exit per KVM_RUN */
static const uint8_t guest_code[] = { 0xb0, 0x42, 0xe6, 0x10, 0xeb, 0xfa };

const char *wl_op_name(enum wl_op op)
{
	return op < WL_OP_MAX ? ops[op].name : "?";
}

uint32_t wl_op_cmd(enum wl_op op)
{
	return op < WL_OP_MAX ? ops[op].cmd : 0;
}

int wl_op_parse(const char *name, enum wl_op *op)
{
	for (int i = 0; i < WL_OP_MAX; i++) {
		if (!strcmp(name, ops[i].name) || !strcmp(name, ops[i].name + 4)) {
			*op = i;
			return 0;
		}
	}
	return -EINVAL;
}

void wl_default_spec(struct wl_spec *s)
{
	static const uint64_t mix[WL_OP_MAX] = {
		[WL_GET_REGS] = 400,	   [WL_SET_REGS] = 200,	   [WL_GET_SREGS] = 200,
		[WL_SET_SREGS] = 100,	   [WL_GET_MSRS] = 200,	   [WL_SET_MSRS] = 100,
		[WL_GET_ONE_REG] = 200,	   [WL_SET_ONE_REG] = 100, [WL_GET_FPU] = 50,
		[WL_GET_VCPU_EVENTS] = 50, [WL_GET_MP_STATE] = 50, [WL_RUN] = 100,
	};

	memset(s, 0, sizeof(*s));
	s->nvcpus = 2;
	for (int v = 0; v < s->nvcpus; v++)
		memcpy(s->count[v], mix, sizeof(mix));
}

void kvm_vm_close(struct kvm_vm *vm)
{
	for (int i = 0; i < vm->n; i++) {
		if (vm->v[i].run)
			munmap(vm->v[i].run, vm->v[i].run_size);
		close(vm->v[i].fd);
	}
	if (vm->mem)
		munmap(vm->mem, GUEST_MEM);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm >= 0)
		close(vm->kvm);
}

int kvm_vm_open(struct kvm_vm *vm, int nvcpus, char *err, size_t errlen)
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
	vm->mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		snprintf(err, errlen, "mmap: %s", strerror(errno));
		goto fail;
	}
	memcpy((char *)vm->mem + GUEST_CODE, guest_code, sizeof(guest_code));
	region.memory_size = GUEST_MEM;
	region.userspace_addr = (unsigned long)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region)) {
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		goto fail;
	}
	/* Intel real mode needs a TSS; harmless elsewhere */
	ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	run_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (int i = 0; i < nvcpus; i++) {
		struct kvm_vcpu_fd *c = &vm->v[i];
		c->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
		if (c->fd < 0) {
			snprintf(err, errlen, "KVM_CREATE_VCPU %d: %s", i, strerror(errno));
			goto fail;
		}
		vm->n++;
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

struct vstate {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	KVM_MSRS_BUF(ARRAY_SIZE(msr_list)) msrs;
	uint64_t one_val;
};

/* Every vCPU ioctl goes through here, so 'issued' is exactly what was sent. */
static int vioctl(struct kvm_vm *vm, struct wl_result *r, int v, enum wl_op op, void *arg)
{
	int ret = ioctl(vm->v[v].fd, ops[op].cmd, arg);

	r->issued[v][op]++;
	if (ret < 0) {
		r->failed[v][op]++;
		return -errno;
	}
	if (op == WL_RUN)
		r->run_ok = true;
	return 0;
}

/* Real mode at 0:GUEST_CODE; keeps the state that SET_* ops write back. */
static void vcpu_setup(struct kvm_vm *vm, struct wl_result *r, int v, struct vstate *st)
{
	memset(st, 0, sizeof(*st));
	vioctl(vm, r, v, WL_GET_SREGS, &st->sregs);
	st->sregs.cs.base = 0;
	st->sregs.cs.selector = 0;
	vioctl(vm, r, v, WL_SET_SREGS, &st->sregs);
	st->regs.rip = GUEST_CODE;
	st->regs.rflags = 2;
	vioctl(vm, r, v, WL_SET_REGS, &st->regs);
	KVM_MSRS(st->msrs)->nmsrs = ARRAY_SIZE(msr_list);
	for (size_t i = 0; i < ARRAY_SIZE(msr_list); i++)
		KVM_MSRS(st->msrs)->entries[i].index = msr_list[i];
	vioctl(vm, r, v, WL_GET_MSRS, &st->msrs);
}

static void do_op(struct kvm_vm *vm, struct wl_result *r, int v, enum wl_op op, struct vstate *st)
{
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_fpu fpu;
		struct kvm_vcpu_events ev;
		struct kvm_mp_state mp;
		KVM_MSRS_BUF(ARRAY_SIZE(msr_list)) msrs;
	} u;
	struct kvm_one_reg one = { .id = X86_REG_MSR(0x174), .addr = (unsigned long)&st->one_val };

	switch (op) {
	case WL_SET_REGS:
		vioctl(vm, r, v, op, &st->regs);
		break;
	case WL_SET_SREGS:
		vioctl(vm, r, v, op, &st->sregs);
		break;
	case WL_SET_MSRS:
		vioctl(vm, r, v, op, &st->msrs);
		break;
	case WL_GET_MSRS:
		memcpy(&u.msrs, &st->msrs, sizeof(u.msrs));
		vioctl(vm, r, v, op, &u.msrs);
		break;
	case WL_GET_ONE_REG:
	case WL_SET_ONE_REG:
		vioctl(vm, r, v, op, &one);
		break;
	case WL_RUN:
		vioctl(vm, r, v, op, NULL);
		break;
	default:
		memset(&u, 0, sizeof(u));
		vioctl(vm, r, v, op, &u);
		break;
	}
}

/* ioctls that must never be reported as vCPU ioctls */
static void noise(struct kvm_vm *vm, uint64_t n, struct wl_result *r)
{
	int p[2], avail, devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct kvm_regs regs;

	if (pipe2(p, O_CLOEXEC)) {
		close(devnull);
		return;
	}
	for (uint64_t i = 0; i < n; i++) {
		ioctl(p[0], FIONREAD, &avail);			     /* not KVM */
		ioctl(devnull, KVM_GET_REGS, &regs);		     /* KVMIO type, not a vCPU fd */
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
	static struct vstate st[WL_MAX_VCPUS];
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
	r->one_reg = ioctl(vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_ONE_REG) > 0;
	memcpy(left, s->count, sizeof(left));
	for (int v = 0; v < s->nvcpus; v++)
		vcpu_setup(&vm, r, v, &st[v]);
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
				do_op(&vm, r, v, op, &st[v]);
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
				fprintf(f, "%s %d %llu %llu\n", ops[op].name, v,
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
