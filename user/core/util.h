/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Errors, exit codes, signals, privileges, tracefs. */
#ifndef PVTRACE_UTIL_H
#define PVTRACE_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

extern const char *prog_name;
extern bool verbose;

/* s on f, on one line: control characters (a newline in an argument) as \xNN. */
void fputs_line(const char *s, FILE *f);
/* One-line error "pvtrace: <msg>" on stderr (control characters escaped). */
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Signals: SIGINT/SIGTERM/SIGHUP/SIGQUIT set 'exiting' (no SA_RESTART). */
extern volatile sig_atomic_t exiting;
extern volatile sig_atomic_t exit_signal;
void signals_install(void);

/*
 * Output errors on stdout. out_init() (main's first step) routes stdout through a
 * stream that keeps the errno of the first failed write.
 *
 * out_flush_check(stdout): call after printing each report (text or JSON, and
 * after streamed events); flushes and returns 0 when all is well. When the reader
 * went away (EPIPE, or a pipe whose reader has closed: `| head -1`) it sets
 * 'exiting', sends further output to /dev/null and returns 0: the command ends as
 * after SIGTERM (final report, detach, cleanup) and out_finish() then ends the
 * process by SIGPIPE, status 141 in a shell, as for any tool writing to a closed
 * pipe. Any other write error (ENOSPC, EIO, EBADF) is one line on stderr and
 * returns -1: return EXIT_RUNTIME. SIGPIPE itself is ignored (main, signals_install).
 */
void out_init(void);
int out_flush_check(FILE *f);
/* True once stdout's reader has gone away. */
bool out_reader_gone(void);
/*
 * main()'s last step: flush stdout; returns status, or EXIT_RUNTIME after a write
 * error (one line on stderr); does not return when the reader has gone away.
 */
int out_finish(int status);

/* Nanoseconds from CLOCK_MONOTONIC. */
uint64_t now_ns(void);
/* Sleep until deadline (CLOCK_MONOTONIC ns) or a signal; false when interrupted. */
bool sleep_until(uint64_t deadline_ns);

/* Strict number parsing: whole string, range checked. */
bool parse_u64(const char *s, uint64_t *out);
/* s is a UTC time as pvtrace writes it: RFC 3339, whole seconds, "YYYY-MM-DDTHH:MM:SSZ" */
bool rfc3339_utc_ok(const char *s);
/*
 * "10" (seconds), "10s", "500ms", "2m", also ns, us, h; at most DURATION_MAX_NS
 * (100 years of 365 days: 876000h), so that now_ns() + a duration never overflows.
 */
#define DURATION_MAX_NS (876000ULL * 3600 * 1000000000ULL)
bool parse_duration_ns(const char *s, uint64_t *out);

/* Privileges: tracing needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN). */
bool have_tracing_caps(void);
/* Drop every capability, the bounding set too where permitted (and set no_new_privs). */
int drop_all_caps(void);
/*
 * After attaching (every fd a command needs is open): drop_all_caps(), with a warning
 * naming the error when that fails; the command goes on either way.
 */
void drop_caps_after_attach(void);

/* What a command needs of the running kernel and of this process. */
enum env_need {
	ENV_TRACING = 1 << 0, /* CAP_BPF + CAP_PERFMON (or root) */
	ENV_BTF = 1 << 1,     /* /sys/kernel/btf/vmlinux */
	ENV_KVM = 1 << 2,     /* the kvm module */
};
/* 0, or -1 with the first missing piece named in one line in err. */
int env_check(unsigned int need, char *err, size_t len);
/* The running kernel's release (uname -r), read once. */
const char *kernel_release(void);
/*
 * The name of the character device whose kernel dev_t (major << 20 | minor, as an inode's
 * i_rdev holds it) is kdev, from /sys/dev/char ("vhost-net", "vhost-vdpa-0"), else
 * "char MAJOR:MINOR". Returns buf.
 */
const char *chardev_name(uint32_t kdev, char *buf, size_t len);
/*
 * Why /proc/kallsyms shows zero addresses to this process, in words naming the real
 * cause: kernel.kptr_restrict, kernel.perf_event_paranoid, CAP_SYSLOG. A static buffer.
 */
const char *kallsyms_hidden_reason(void);

/*
 * Make sure tracefs is reachable. When it is not mounted, mounts it in a private
 * mount namespace (*mounted set): invisible to every other process, gone with this
 * one. tracefs_release(true) returns to the caller's namespace (root and working
 * directory restored) and the private mount goes away; call it before dropping
 * capabilities (setns needs CAP_SYS_ADMIN), else the process stays in the private
 * namespace, which is harmless: same filesystems, and the mount dies with it.
 */
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
