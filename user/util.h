/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Errors, exit codes, signals, privileges, tracefs. */
#ifndef PVTRACE_UTIL_H
#define PVTRACE_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

extern const char *prog_name;
extern bool verbose;

/* One-line error "pvtrace: <msg>" on stderr. */
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Signals: SIGINT/SIGTERM/SIGHUP/SIGQUIT set 'exiting' (no SA_RESTART). */
extern volatile sig_atomic_t exiting;
extern volatile sig_atomic_t exit_signal;
void signals_install(void);

/* Nanoseconds from CLOCK_MONOTONIC. */
uint64_t now_ns(void);
/* Sleep until deadline (CLOCK_MONOTONIC ns) or a signal; false when interrupted. */
bool sleep_until(uint64_t deadline_ns);

/* Strict number parsing: whole string, range checked. */
bool parse_u64(const char *s, uint64_t *out);
bool parse_duration_ns(const char *s, uint64_t *out); /* "10", "10s", "500ms", "2m" */

/* Privileges: tracing needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN). */
bool have_tracing_caps(void);
/* Drop every capability (and prevent regaining them). */
int drop_all_caps(void);

/* Make sure tracefs is reachable; mounts it when needed (*mounted set). */
int tracefs_ensure(bool *mounted, char *err, size_t errlen);
void tracefs_release(bool mounted);
/* Where tracefs is (valid after tracefs_ensure). */
const char *tracefs_dir(void);

/* libbpf logging: quiet unless verbose; last warning kept for error messages. */
void libbpf_setup_logging(void);
const char *libbpf_last_error(void);
void libbpf_clear_error(void);

/* Read a small text file; returns length or -errno. */
int read_file_str(const char *path, char *buf, size_t len);

#endif
