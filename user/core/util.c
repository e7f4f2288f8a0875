// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <sys/capability.h>
#include <bpf/libbpf.h>
#include "util.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#define TRACEFS_MAGIC_NR 0x74726163
#define TRACEFS_DIR	 "/sys/kernel/tracing"

const char *prog_name = "pvtrace";
bool verbose;
volatile sig_atomic_t exiting;
volatile sig_atomic_t exit_signal;

void fputs_line(const char *s, FILE *f)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	char buf[4096];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "%s: %s", prog_name, kind);
	fputs_line(buf, stderr);
	fputc('\n', stderr);
}

void err_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

static void on_signal(int sig)
{
	exit_signal = sig;
	exiting = 1;
}

void signals_install(void)
{
	struct sigaction sa;
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	/* write errors instead: out_flush_check() ends the command through its cleanup */
	signal(SIGPIPE, SIG_IGN);
}

/* Standard output: fine, its reader went away (EPIPE), or another write error was reported. */
static enum { OUT_OK, OUT_EPIPE, OUT_ERROR } out_state;
/* errno of the first failed write to fd 1: stdio keeps only a flag, and code that */
/* calls fflush() itself would lose the cause before out_flush_check() sees it */
static int out_errno;
static bool out_wrapped;

static ssize_t out_write(void *cookie, const char *buf, size_t n)
{
	size_t done = 0;

	(void)cookie;
	while (done < n) {
		ssize_t w = write(STDOUT_FILENO, buf + done, n - done);

		if (w < 0 && errno == EINTR && !exiting)
			continue;
		if (w <= 0) {
			if (!out_errno)
				out_errno = w < 0 ? errno : EIO;
			return done ? (ssize_t)done : -1;
		}
		done += w;
	}
	return done;
}

void out_init(void)
{
	cookie_io_functions_t io = { .write = out_write };
	FILE *f = fopencookie(NULL, "w", io);

	if (!f)
		return;
	/* the buffering stdio would pick for fd 1 */
	setvbuf(f, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
	stdout = f;
	out_wrapped = true;
}

/* A pipe or socket whose reading end is closed (POLLERR on the write side). */
static bool reader_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/* probe: also end when the reader of a pipe left, before any write fails */
static int out_check(FILE *f, bool probe)
{
	int e = 0, fd = f == stdout && out_wrapped ? STDOUT_FILENO : fileno(f), null;

	if (out_state == OUT_ERROR)
		return -1;
	errno = 0;
	if (fflush(f) == EOF || ferror(f))
		e = out_wrapped && out_errno ? out_errno : errno ? errno : EIO;
	/* a long-running command sees a pipe whose reader left at its next report */
	if (!e && probe && fd >= 0 && reader_gone(fd))
		e = EPIPE;
	if (!e)
		return 0;
	if (e == EPIPE || (fd >= 0 && reader_gone(fd))) {
		/* like a closed pipe for any other tool: end quietly; the rest goes nowhere */
		out_state = OUT_EPIPE;
		exiting = 1;
		null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0 && fd >= 0)
			dup2(null, fd);
		if (null >= 0)
			close(null);
		clearerr(f);
		out_errno = 0;
		return 0;
	}
	out_state = OUT_ERROR;
	err_msg("writing output: %s", strerror(e));
	return -1;
}

int out_flush_check(FILE *f)
{
	return out_check(f, true);
}

bool out_reader_gone(void)
{
	return out_state == OUT_EPIPE;
}

int out_finish(int status)
{
	if (out_check(stdout, false) && !status)
		status = EXIT_RUNTIME;
	if (out_state == OUT_EPIPE) {
		/* exit as a tool killed by SIGPIPE would, now that everything is cleaned up */
		fflush(stderr);
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	return status;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

bool sleep_until(uint64_t deadline_ns)
{
	struct timespec ts = { .tv_sec = deadline_ns / 1000000000ULL,
			       .tv_nsec = deadline_ns % 1000000000ULL };

	while (!exiting) {
		int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);

		if (r == 0)
			return true;
		if (r != EINTR)
			return false;
	}
	return false;
}

bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool parse_duration_ns(const char *s, uint64_t *out)
{
	static const struct {
		const char *sfx;
		uint64_t mul;
	} units[] = { { "ns", 1 },
		      { "us", 1000 },
		      { "ms", 1000000 },
		      { "s", 1000000000ULL },
		      { "m", 60000000000ULL },
		      { "h", 3600000000000ULL },
		      { "", 1000000000ULL } };
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].sfx))
			continue;
		/* bounded: now_ns() + a duration never overflows (a deadline in the past) */
		if (v > DURATION_MAX_NS / units[i].mul)
			return false;
		*out = v * units[i].mul;
		return true;
	}
	return false;
}

static bool cap_effective(cap_t caps, cap_value_t cap)
{
	cap_flag_value_t v = CAP_CLEAR;

	if (!CAP_IS_SUPPORTED(cap))
		return false;
	if (cap_get_flag(caps, cap, CAP_EFFECTIVE, &v))
		return false;
	return v == CAP_SET;
}

bool have_tracing_caps(void)
{
	cap_t caps = cap_get_proc();
	bool ok;

	if (!caps)
		return false;
	ok = cap_effective(caps, CAP_SYS_ADMIN) ||
	     (cap_effective(caps, CAP_BPF) && cap_effective(caps, CAP_PERFMON));
	cap_free(caps);
	return ok;
}

int drop_all_caps(void)
{
	cap_t none = cap_init();
	int r;

	if (!none)
		return -errno;
	/*
	 * The bounding set first: PR_CAPBSET_DROP needs CAP_SETPCAP, which the
	 * cap_set_proc() below takes away. Without CAP_SETPCAP (a non-root user
	 * given CAP_BPF and CAP_PERFMON) it fails; no_new_privs still keeps
	 * anything exec'ed from gaining privileges.
	 */
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	r = cap_set_proc(none) ? -errno : 0;
	cap_free(none);
	return r;
}

void drop_caps_after_attach(void)
{
	if (drop_all_caps())
		warn_msg("could not drop capabilities: %s", strerror(errno));
}

int env_check(unsigned int need, char *err, size_t len)
{
	if ((need & ENV_TRACING) && !have_tracing_caps()) {
		snprintf(err, len, "needs root or CAP_BPF and CAP_PERFMON to trace");
		return -1;
	}
	if ((need & ENV_BTF) && access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, len,
			 "kernel has no BTF (/sys/kernel/btf/vmlinux missing; needs "
			 "CONFIG_DEBUG_INFO_BTF)");
		return -1;
	}
	if ((need & ENV_KVM) && access("/sys/module/kvm", F_OK)) {
		snprintf(err, len,
			 "KVM is not loaded (no /sys/module/kvm): modprobe kvm_amd or kvm_intel");
		return -1;
	}
	return 0;
}

const char *chardev_name(uint32_t kdev, char *buf, size_t len)
{
	unsigned int major = kdev >> 20, minor = kdev & 0xfffff;
	char path[64], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u", major, minor);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		const char *base;

		link[n] = 0;
		base = strrchr(link, '/');
		snprintf(buf, len, "%s", base ? base + 1 : link);
	} else {
		snprintf(buf, len, "char %u:%u", major, minor);
	}
	return buf;
}

const char *kernel_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	return u.release;
}

/* kernel.<name> from /proc/sys/kernel; INT32_MIN when unreadable */
static int sysctl_kernel(const char *name)
{
	char path[96], buf[32], *end;
	long v;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	if (read_file_str(path, buf, sizeof(buf)) <= 0)
		return INT32_MIN;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || *end || v < INT32_MIN + 1 || v > INT32_MAX)
		return INT32_MIN;
	return (int)v;
}

const char *kallsyms_hidden_reason(void)
{
	static char why[256];
	int kptr = sysctl_kernel("kptr_restrict"), paranoid = sysctl_kernel("perf_event_paranoid");
	cap_t caps = cap_get_proc();
	bool syslog = caps && cap_effective(caps, CAP_SYSLOG);

	if (caps)
		cap_free(caps);
	/* the kernel's kallsyms_show_value(): kptr_restrict 0 shows them when */
	/* perf_event_paranoid <= 1 or with CAP_SYSLOG, 1 only with CAP_SYSLOG, 2 never */
	if (kptr >= 2)
		snprintf(why, sizeof(why),
			 "addresses hidden from everyone by kernel.kptr_restrict=%d (set it to 0 "
			 "or 1)",
			 kptr);
	else if (kptr == 1 && !syslog)
		snprintf(why, sizeof(why),
			 "addresses hidden by kernel.kptr_restrict=1 without CAP_SYSLOG (run as "
			 "root or add CAP_SYSLOG)");
	else if (kptr == 0 && !syslog && paranoid > 1)
		snprintf(why, sizeof(why),
			 "addresses hidden: kernel.perf_event_paranoid=%d (above 1) and no "
			 "CAP_SYSLOG (run as root, add CAP_SYSLOG, or set perf_event_paranoid "
			 "to 1)",
			 paranoid);
	else
		snprintf(
			why, sizeof(why),
			"addresses hidden (kernel.kptr_restrict=%d, kernel.perf_event_paranoid=%d, "
			"CAP_SYSLOG %s)",
			kptr, paranoid, syslog ? "present" : "absent");
	return why;
}

static bool is_tracefs(const char *dir)
{
	struct statfs st;

	return statfs(dir, &st) == 0 && (unsigned long)st.f_type == TRACEFS_MAGIC_NR;
}

static const char *tracefs_path = TRACEFS_DIR;

const char *tracefs_dir(void)
{
	return tracefs_path;
}

/*
 * tracefs that was not mounted is mounted in a mount namespace of our own: no other
 * process sees it, so none can lose it when we are done (another pvtrace starting at
 * the same time, a user), and a SIGKILL at any point leaves no mount on the host.
 * tracefs_release() goes back to the caller's namespace, and the private one (with
 * its tracefs) goes away with its last member. Root and working directory are saved
 * first: setns() resets both to the namespace's root.
 */
static struct {
	bool active;		    /* we are in our private namespace */
	int ns_fd, root_fd, cwd_fd; /* the caller's mount namespace, root and cwd */
} priv = { false, -1, -1, -1 };

static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void priv_leave(void)
{
	bool back = priv.ns_fd >= 0 && !setns(priv.ns_fd, CLONE_NEWNS);

	if (back) {
		/* setns() moved root and cwd to the namespace root: restore both */
		if (priv.root_fd >= 0 && (fchdir(priv.root_fd) || chroot(".")))
			warn_msg("cannot restore the root directory: %s", strerror(errno));
		if (priv.cwd_fd >= 0 && fchdir(priv.cwd_fd))
			warn_msg("cannot restore the working directory: %s", strerror(errno));
	} else {
		/* still private: nobody else sees this mount; it goes with the process */
		umount2(TRACEFS_DIR, MNT_DETACH);
	}
	fd_close(&priv.ns_fd);
	fd_close(&priv.root_fd);
	fd_close(&priv.cwd_fd);
	priv.active = false;
}

static int priv_mount(char *err, size_t errlen)
{
	static const char *const tops[] = { "/", "/sys" }; /* "/" is no mount in a chroot */
	int e = 0;

	priv.ns_fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	priv.root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	priv.cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (unshare(CLONE_NEWNS)) {
		e = errno;
		fd_close(&priv.ns_fd);
		fd_close(&priv.root_fd);
		fd_close(&priv.cwd_fd);
		snprintf(err, errlen,
			 "tracefs is not mounted on %s and mounting it needs CAP_SYS_ADMIN "
			 "(unshare: %s); as root: mount -t tracefs nodev %s",
			 TRACEFS_DIR, strerror(e), TRACEFS_DIR);
		return -1;
	}
	priv.active = true;
	/* nothing mounted here may propagate back to the caller's namespace */
	for (size_t i = 0; i < ARRAY_SIZE(tops); i++) {
		e = mount(NULL, tops[i], NULL, MS_REC | MS_PRIVATE, NULL) ? errno : 0;
		if (!e)
			break;
	}
	if (e) {
		priv_leave();
		snprintf(err, errlen,
			 "tracefs is not mounted on %s and a private mount namespace for it "
			 "failed (making / private: %s)",
			 TRACEFS_DIR, strerror(e));
		return -1;
	}
	if (mount("nodev", TRACEFS_DIR, "tracefs", 0, NULL)) {
		e = errno;
		priv_leave();
		snprintf(err, errlen, "tracefs is not mounted and mounting it on %s failed: %s",
			 TRACEFS_DIR, strerror(e));
		return -1;
	}
	return 0;
}

int tracefs_ensure(bool *mounted, char *err, size_t errlen)
{
	*mounted = false;
	/* libbpf prefers the debugfs path when it exists: agree with it */
	if (is_tracefs("/sys/kernel/debug/tracing")) {
		tracefs_path = "/sys/kernel/debug/tracing";
		return 0;
	}
	tracefs_path = TRACEFS_DIR;
	if (is_tracefs(TRACEFS_DIR))
		return 0;
	if (priv_mount(err, errlen))
		return -1;
	*mounted = true;
	return 0;
}

void tracefs_release(bool mounted)
{
	if (mounted && priv.active)
		priv_leave();
}

static char last_libbpf_err[512];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN) {
		va_list aq;
		size_t n;

		va_copy(aq, ap);
		vsnprintf(last_libbpf_err, sizeof(last_libbpf_err), fmt, aq);
		va_end(aq);
		n = strlen(last_libbpf_err);
		while (n && (last_libbpf_err[n - 1] == '\n'))
			last_libbpf_err[--n] = 0;
	}
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void libbpf_setup_logging(void)
{
	libbpf_set_print(libbpf_print);
}

const char *libbpf_last_error(void)
{
	return last_libbpf_err;
}

void libbpf_clear_error(void)
{
	last_libbpf_err[0] = 0;
}

int read_file_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n'))
		buf[--n] = 0;
	return n;
}

bool rfc3339_utc_ok(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";

	if (strlen(s) != sizeof(pat) - 1)
		return false;
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return false;
	return true;
}
