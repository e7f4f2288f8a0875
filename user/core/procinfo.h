/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who did it: process identity for per-process series. The process name (the
 * thread group leader's comm), the VM's name from the VMM's command line, and
 * whether the process that a pid named is still the same live process.
 */
#ifndef PVTRACE_PROCINFO_H
#define PVTRACE_PROCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The guest name from a QEMU command line (argv, NUL-separated, len bytes):
 * `-name guest=NAME[,...]`, `-name NAME[,...]` (",," is a literal comma; the
 * last -name wins, as in QEMU). Returns true and fills name when found.
 */
bool vmm_vm_name(const char *cmdline, size_t len, char *name, size_t namelen);

/* /proc/PID/stat start time in clock ticks since boot, 0 when the process is gone. */
uint64_t proc_start_ticks(pid_t pid);
/* The same from a task's start_boottime (ns), as BPF reads it. */
uint64_t boottime_ns_to_ticks(uint64_t ns);

/* One traced process: what the outputs call it. */
struct proc_ident {
	uint32_t tgid;
	uint64_t start_ticks; /* 0: unknown */
	char comm[64];	      /* process name, valid UTF-8 */
	char vm[192];	      /* VM name (valid UTF-8), "" when the VMM is not known */
	bool exited;	      /* gone (or the pid reused) */
	bool reap;	      /* was gone before this report read the maps: remove after it */
	size_t nvms;	      /* VMs seen in this process, in order of first sight */
	uint64_t *vms;
	size_t ndevs; /* devices (dev_t, opaque id) it opened, in order of first sight */
	struct proc_dev {
		uint32_t rdev;
		uint64_t id;
	} * devs;
};

/* tgid -> proc_ident, open addressing; entries stay until proc_table_remove(). */
struct proc_table {
	struct proc_ident **slot;
	size_t cap, n;
};

void proc_table_free(struct proc_table *t);
struct proc_ident *proc_table_find(struct proc_table *t, uint32_t tgid);
/*
 * Find or create tgid's entry. comm and start_ns (the leader's start_boottime,
 * 0 if unknown) come from BPF when it recorded them; the VM name and, when
 * BPF gave none, comm and start are read from /proc while the process lives.
 */
struct proc_ident *proc_table_get(struct proc_table *t, uint32_t tgid, const char *comm,
				  uint64_t start_ns);
void proc_table_remove(struct proc_table *t, uint32_t tgid);
/* Ordinal of a VM (an opaque id) within its process: 0, 1, ... in order of first sight. */
int proc_vm_index(struct proc_ident *p, uint64_t vm);
/* Ordinal of a device (an opaque id) among the process's devices of that dev_t: 0, 1, ... */
int proc_dev_index(struct proc_ident *p, uint32_t rdev, uint64_t id);
/* A device filter (--device WANT): the label itself, or WANT without "#" and LABEL "WANT#N". */
bool proc_dev_label_matches(const char *label, const char *want);
/* The label an output gives the VM: its name, else "COMM/PID"; index > 0 adds "#N". */
void proc_vm_label(const struct proc_ident *p, int index, char *buf, size_t len);
/* Mark every process that is gone (or whose pid now names another process) as exited. */
void proc_table_check_alive(struct proc_table *t);
/* reap = exited, for every entry: what is known gone now. */
void proc_table_mark_reap(struct proc_table *t);

/*
 * Processes the BPF side recorded in a procs map (tgid -> struct kvm_proc, written when a
 * process's first series is created: bpf/kvm_task.bpf.h), as a command's series name them.
 */
/* tgid's entry: the table's, else made from the procs map's record (and /proc). */
struct proc_ident *proc_table_get_bpf(struct proc_table *t, int procs_fd, uint32_t tgid);
/* Every process in the procs map gets its entry (its VM name is read while it lives). */
void proc_table_scan_bpf(struct proc_table *t, int procs_fd);
/* Processes marked reap leave the procs map and the table (after their last report). */
void proc_table_reap_bpf(struct proc_table *t, int procs_fd);

/* A pidfd of pid that polls readable when it exits, or -1 (errno ENOSYS without one). */
int proc_pidfd_open(pid_t pid);

#endif
