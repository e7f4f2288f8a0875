/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The fingerprint of a benchmark result: which kernel (release, version, GNU
 * build id, a hash of its configuration), which machine (CPU model, online
 * CPUs, the hypervisor under it and whether the CPU is emulated), how pvtrace
 * traced and which pvtrace. Shown by bench, kept by results, compare and the
 * dashboard.
 */
#ifndef PVTRACE_FINGERPRINT_H
#define PVTRACE_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct fingerprint {
	char kernel_release[65];
	char kernel_version[65];
	char build_id[129];	 /* hex, "" when unreadable */
	char config_hash[32];	 /* "fnv1a64:HEX", "" when no configuration was found */
	char config_source[160]; /* "" when none */
	char arch[65];
	char cpu_model[128];
	int cpus;
	char hypervisor[32]; /* "KVM", "TCG", "none"... */
	bool emulated;
	const char *attach_mode; /* "none", "fentry", "kprobe", "tracepoint" */
	char version[64];
	char hostname[256];
};

/* Everything but attach_mode (set to "none"); what cannot be read stays "". */
void fingerprint_read(struct fingerprint *f);
json_object *fingerprint_json(const struct fingerprint *f);

/*
 * The name for a CPUID 0x40000000 vendor signature (12 bytes): "KVM", "TCG",
 * "Hyper-V", "VMware", "Xen"...; an unknown one as itself, printable bytes only.
 * *emulated: the signature is QEMU TCG's.
 */
void fingerprint_hypervisor_name(const char sig[12], char *buf, size_t len, bool *emulated);

/*
 * arm64: /proc/cpuinfo's text says the CPU is emulated (QEMU TCG's max CPU has MIDR
 * implementer 0x00, "CPU implementer : 0x00"); a real core never has 0.
 */
bool fingerprint_midr_emulated(const char *cpuinfo);

/*
 * arm64: the CPU model from /proc/cpuinfo's "CPU implementer" and "CPU part" (MIDR_EL1), as
 * "ARM Neoverse-N1 (MIDR implementer 0x41, part 0xd0c)", or the numbers alone for a core
 * not in the table; "" when the text has no implementer (x86).
 */
void fingerprint_midr_model(const char *cpuinfo, char *buf, size_t len);

/* ALGORITHM:HEX of a configuration text read from path (gzip when it ends in .gz). */
int fingerprint_config_hash(const char *path, char *buf, size_t len);

#endif
