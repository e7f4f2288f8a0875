// SPDX-License-Identifier: GPL-2.0
/* Exit reason names from the kernel's uapi headers (scripts/gen-kvm-exits.sh). */
#include "kvm_exit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_exit_table.h"

#define ARRAY_LEN(a)	     (sizeof(a) / sizeof((a)[0]))
#define VMX_FAILED_VMENTRY   0x80000000U
#define VMX_SGX_ENCLAVE_MODE 0x08000000U
#define SVM_EXCP_FIRST	     0x40U
#define SVM_EXCP_LAST	     0x5fU

static const char *lookup(const struct kvm_exit_name *t, size_t n, uint32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

static const char *vmx_name(uint64_t reason, char *buf, size_t len)
{
	uint32_t basic = reason & 0xffff, flags = (uint32_t)reason & ~0xffffU;
	const char *n = lookup(kvm_exit_vmx_names, ARRAY_LEN(kvm_exit_vmx_names), basic);
	size_t off;

	if (n)
		off = snprintf(buf, len, "%s", n);
	else
		off = snprintf(buf, len, "EXIT_REASON_%u", basic);
	if (off < len && (flags & VMX_FAILED_VMENTRY))
		off += snprintf(buf + off, len - off, "|VMX_EXIT_REASONS_FAILED_VMENTRY");
	if (off < len && (flags & VMX_SGX_ENCLAVE_MODE))
		off += snprintf(buf + off, len - off, "|VMX_EXIT_REASONS_SGX_ENCLAVE_MODE");
	flags &= ~(VMX_FAILED_VMENTRY | VMX_SGX_ENCLAVE_MODE);
	if (off < len && flags)
		snprintf(buf + off, len - off, "|0x%x", flags);
	return buf;
}

static const char *svm_name(uint64_t reason, char *buf, size_t len)
{
	uint32_t code = (uint32_t)reason;
	const char *n;

	/* the 32 exception intercepts have one uapi name, the base */
	if (reason >= SVM_EXCP_FIRST && reason <= SVM_EXCP_LAST) {
		snprintf(buf, len, "SVM_EXIT_EXCP_BASE+%u",
			 (unsigned int)(reason - SVM_EXCP_FIRST));
		return buf;
	}
	/* SVM_EXIT_ERR is -1 in a 64-bit exit code; the table holds its low 32 bits */
	n = reason >> 32 && reason != UINT64_MAX
		    ? NULL
		    : lookup(kvm_exit_svm_names, ARRAY_LEN(kvm_exit_svm_names), code);
	if (n)
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "SVM_EXIT_0x%llx", (unsigned long long)reason);
	return buf;
}

const char *kvm_exit_hw_name(unsigned int isa, uint64_t reason, char *buf, size_t len)
{
	if (!len)
		return buf;
	if (isa == KVM_EXIT_ISA_VMX)
		return vmx_name(reason, buf, len);
	if (isa == KVM_EXIT_ISA_SVM)
		return svm_name(reason, buf, len);
	snprintf(buf, len, "ISA_%u_EXIT_0x%llx", isa, (unsigned long long)reason);
	return buf;
}

const char *kvm_exit_user_name(uint32_t reason, char *buf, size_t len)
{
	const char *n = lookup(kvm_exit_user_names, ARRAY_LEN(kvm_exit_user_names), reason);

	if (!len)
		return buf;
	if (n)
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "KVM_EXIT_%u", reason);
	return buf;
}

static int rlookup(const struct kvm_exit_name *t, size_t n, const char *name, uint32_t *v)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name)) {
			*v = t[i].value;
			return 0;
		}
	return -1;
}

int kvm_exit_parse(const char *name, unsigned int *isa, uint32_t *value)
{
	const char *p = "SVM_EXIT_EXCP_BASE+";
	char *end;

	if (!strncmp(name, p, strlen(p))) {
		unsigned long vec = strtoul(name + strlen(p), &end, 10);

		if (end == name + strlen(p) || *end || vec > SVM_EXCP_LAST - SVM_EXCP_FIRST)
			return -1;
		*isa = KVM_EXIT_ISA_SVM;
		*value = SVM_EXCP_FIRST + vec;
		return 0;
	}
	*isa = KVM_EXIT_ISA_VMX;
	if (!rlookup(kvm_exit_vmx_names, ARRAY_LEN(kvm_exit_vmx_names), name, value))
		return 0;
	*isa = KVM_EXIT_ISA_SVM;
	if (!rlookup(kvm_exit_svm_names, ARRAY_LEN(kvm_exit_svm_names), name, value))
		return 0;
	*isa = 0;
	if (!rlookup(kvm_exit_user_names, ARRAY_LEN(kvm_exit_user_names), name, value))
		return 0;
	return -1;
}
