/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Attach strategy: probe fentry, kprobe and tracepoints, pick the best that works. */
#ifndef PVTRACE_ATTACH_H
#define PVTRACE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

enum attach_mode {
	ATTACH_AUTO,
	ATTACH_FENTRY,
	ATTACH_KPROBE,
	ATTACH_TRACEPOINT,
	ATTACH_MODE_MAX,
};

const char *attach_mode_name(enum attach_mode m);
int attach_mode_parse(const char *s, enum attach_mode *m);

struct attach_target {
	const char *func;	 /* kernel function for fentry/kprobe */
	const char *module;	 /* its module where it may be one ("kvm"), or NULL */
	const char *tp_category; /* tracepoint fallback, or NULL */
	const char *tp_enter;
	const char *tp_exit;
};

/*
 * Cheap checks that a mode can work here; on failure 'why' says what is missing.
 * fentry: the function has BTF (vmlinux or module) and the kernel loads a
 * trivial fentry program for it. kprobe: the kprobe PMU or kprobe_events exists.
 * tracepoint: tracefs is mounted (mounted here when not) and the events exist.
 */
bool attach_probe(const struct attach_target *t, enum attach_mode m, char *why, size_t len);

/*
 * Try modes in order (fentry, kprobe, tracepoint for AUTO; only the requested
 * one otherwise). try() opens, loads and attaches for a mode and must undo
 * everything itself on failure. Returns 0 with *used set, or -1 with 'why'
 * listing what each mode lacked.
 */
typedef int (*attach_try_fn)(void *ctx, enum attach_mode m, char *why, size_t len);
int attach_select(const struct attach_target *t, enum attach_mode requested, attach_try_fn try,
		  void *ctx, enum attach_mode *used, char *why, size_t len);

/* Unmount tracefs if attach_probe mounted it (call once attached). */
void attach_release_tracefs(void);

#endif
