// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "textfile.h"
#include "util.h"

#ifndef PVTRACE_VERSION
#define PVTRACE_VERSION "unknown"
#endif

/* hidden temporary names: ".FILE.XXXXXX"; node_exporter reads only *.prom */
#define TMP_SUFFIX_LEN 7

static bool is_tmp_of(const char *entry, const char *name)
{
	size_t n = strlen(name);

	return entry[0] == '.' && !strncmp(entry + 1, name, n) && entry[n + 1] == '.' &&
	       strlen(entry + n + 2) == TMP_SUFFIX_LEN - 1;
}

/* Earlier runs killed between link and rename leave a hidden file: remove those. */
static void remove_stale(struct textfile *t)
{
	int fd = openat(t->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (is_tmp_of(e->d_name, t->name))
			unlinkat(t->dirfd, e->d_name, 0);
	closedir(d);
}

int textfile_open(struct textfile *t, const char *path, const char *command, char *err,
		  size_t errlen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t dlen;
	struct stat st;

	memset(t, 0, sizeof(*t));
	t->dirfd = -1;
	t->path = path;
	t->command = command;
	if (!*path || !strcmp(path, ".") || !strcmp(path, "..")) {
		snprintf(err, errlen, "--prom: invalid file name '%s'", path);
		return -1;
	}
	if (slash && !slash[1]) {
		snprintf(err, errlen, "--prom: '%s' names a directory; give a file name", path);
		return -1;
	}
	const char *base = slash ? slash + 1 : path;

	if (strlen(base) > NAME_MAX - 8 || !strcmp(base, ".") || !strcmp(base, "..")) {
		snprintf(err, errlen, "--prom: invalid file name '%.64s%s' (at most %d bytes)",
			 base, strlen(base) > 64 ? "..." : "", NAME_MAX - 8);
		return -1;
	}
	dlen = slash ? (size_t)(slash - path) : 0;
	if (dlen >= sizeof(dir)) {
		snprintf(err, errlen, "--prom: path too long");
		return -1;
	}
	if (slash) {
		memcpy(dir, path, dlen);
		dir[dlen] = 0;
		if (!dlen)
			snprintf(dir, sizeof(dir), "/");
	} else {
		snprintf(dir, sizeof(dir), ".");
	}
	snprintf(t->name, sizeof(t->name), "%s", base);
	t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->dirfd < 0) {
		int e = errno;

		snprintf(err, errlen, "--prom: directory %s: %s", dir,
			 e == ELOOP || e == ENOTDIR ? "not a directory (symlinks are refused)"
						    : strerror(e));
		return -1;
	}
	if (!fstatat(t->dirfd, t->name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (S_ISLNK(st.st_mode)) {
			snprintf(err, errlen,
				 "--prom: %s is a symbolic link; refusing to follow it", path);
			goto fail;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "--prom: %s is not a regular file", path);
			goto fail;
		}
	}
	if (faccessat(t->dirfd, ".", W_OK, AT_EACCESS)) {
		snprintf(err, errlen, "--prom: cannot write in directory %s: %s", dir,
			 strerror(errno));
		goto fail;
	}
	remove_stale(t);
	textfile_buckets(t, 0, 0, 0);
	return 0;
fail:
	close(t->dirfd);
	t->dirfd = -1;
	return -1;
}

void textfile_buckets(struct textfile *t, int lo_log2, int hi_log2, int step_log2)
{
	t->lo_log2 = lo_log2;
	t->hi_log2 = hi_log2;
	t->step_log2 = step_log2;
}

int textfile_parse_buckets(const char *arg, int *lo_log2, int *hi_log2, int *step_log2)
{
	char buf[128], *hi, *fac;
	uint64_t lo_ns, hi_ns, f = 2;
	int lo, h, step = 0;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", arg);
	hi = strchr(buf, ',');
	if (!hi)
		return -EINVAL;
	*hi++ = 0;
	fac = strchr(hi, ',');
	if (fac)
		*fac++ = 0;
	if (!parse_duration_ns(buf, &lo_ns) || !parse_duration_ns(hi, &hi_ns) || !lo_ns ||
	    hi_ns <= lo_ns || hi_ns > (1ULL << 62))
		return -EINVAL;
	if (fac && (!parse_u64(fac, &f) || (f != 2 && f != 4 && f != 8 && f != 16)))
		return -EINVAL;
	while ((1ULL << (step + 1)) <= f)
		step++;
	/* round LOW down and HIGH up to powers of two: buckets are log2 slots */
	for (lo = 0; lo < 62 && (2ULL << lo) <= lo_ns; lo++)
		;
	for (h = lo; h < 62 && (1ULL << h) < hi_ns; h += step)
		;
	if (lo < 1)
		lo = 1;
	if ((h - lo) / step + 1 > 64)
		return -EINVAL;
	*lo_log2 = lo;
	*hi_log2 = h;
	*step_log2 = step;
	return 0;
}

int textfile_check_writable(struct textfile *t, char *err, size_t errlen)
{
	int fd = openat(t->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);

	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* no O_TMPFILE on this filesystem: try a named file */
		char tmp[NAME_MAX + 16];

		snprintf(tmp, sizeof(tmp), ".%s.check%d", t->name, (int)(getpid() % 10));
		fd = openat(t->dirfd, tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
			    0644);
		if (fd >= 0)
			unlinkat(t->dirfd, tmp, 0);
	}
	if (fd < 0) {
		snprintf(
			err, errlen,
			"--prom %s: cannot create files there without capabilities (%s); "
			"pvtrace drops them after attaching: make the directory writable by uid %d",
			t->path, strerror(errno), (int)geteuid());
		return -1;
	}
	close(fd);
	return 0;
}

static void header(struct textfile *t, struct prom_writer *w)
{
	struct prom_label l[5];
	struct timespec ts;
	char v[64];

	l[0] = (struct prom_label){ "command", t->command };
	l[1] = (struct prom_label){ "file", t->name };
	l[2] = (struct prom_label){ "version", PVTRACE_VERSION };
	l[3] = (struct prom_label){ "kernel", kernel_release() };
	l[4] = (struct prom_label){ "mode", t->mode ? t->mode : "" };
	prom_family(w, "pvtrace_build_info", "gauge",
		    "pvtrace version, kernel and attach mode of one exporter; always 1");
	prom_sample(w, "pvtrace_build_info", l, t->mode ? 5 : 4, "1");
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(v, sizeof(v), "%lld.%03ld", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	prom_family(w, "pvtrace_last_report_timestamp_seconds", "gauge",
		    "Unix time of this exporter's last report; stale when older than a few "
		    "intervals");
	prom_sample(w, "pvtrace_last_report_timestamp_seconds", l, 2, v);
	snprintf(v, sizeof(v), "%" PRIu64, t->errors);
	prom_family(w, "pvtrace_textfile_write_errors_total", "counter",
		    "Reports this exporter failed to write to its textfile");
	prom_sample(w, "pvtrace_textfile_write_errors_total", l, 2, v);
}

static int write_once(struct textfile *t, textfile_fill_fn fill, void *ctx)
{
	struct prom_writer w = { .lo_log2 = t->lo_log2,
				 .hi_log2 = t->hi_log2,
				 .step_log2 = t->step_log2 };
	char tmp[NAME_MAX + 16], proc[64];
	bool named = false;
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), ".%s.%06x", t->name,
		 (unsigned int)(getpid() ^ (now_ns() >> 10)) & 0xffffff);
	fd = openat(t->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		fd = openat(t->dirfd, tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
			    0644);
		named = fd >= 0;
	}
	if (fd < 0)
		return -errno;
	fchmod(fd, 0644);
	w.f = fdopen(fd, "w");
	if (!w.f) {
		r = -errno;
		close(fd);
		goto out;
	}
	header(t, &w);
	fill(&w, ctx);
	if (fflush(w.f) || ferror(w.f) || fsync(fd))
		r = -(errno ? errno : EIO);
	if (!r && !named) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, proc, t->dirfd, tmp, AT_SYMLINK_FOLLOW))
			r = -errno;
		else
			named = true;
	}
	if (fclose(w.f) && !r)
		r = -errno;
	if (!r) {
		struct stat st;

		/* FILE must still not be a symlink; renameat replaces the link itself anyway */
		if (!fstatat(t->dirfd, t->name, &st, AT_SYMLINK_NOFOLLOW) && !S_ISREG(st.st_mode))
			r = -EEXIST;
		else if (renameat(t->dirfd, tmp, t->dirfd, t->name))
			r = -errno;
	}
out:
	if (r && named)
		unlinkat(t->dirfd, tmp, 0);
	return r;
}

int textfile_write(struct textfile *t, textfile_fill_fn fill, void *ctx)
{
	int r;

	if (!t->path || t->dirfd < 0)
		return 0;
	r = write_once(t, fill, ctx);
	if (r) {
		t->errors++;
		if (!t->failing)
			warn_msg("--prom %s: write failed: %s; retrying at each report", t->path,
				 r == -EEXIST ? "the file is no longer a regular file"
					      : strerror(-r));
		t->failing = true;
		return r;
	}
	if (t->failing)
		warn_msg("--prom %s: written again after %" PRIu64 " failed report(s)", t->path,
			 t->errors);
	t->failing = false;
	t->written = true;
	return 0;
}

void textfile_close(struct textfile *t)
{
	if (!t->path || t->dirfd < 0)
		return;
	if (!t->keep && t->written) {
		struct stat st;

		if (!fstatat(t->dirfd, t->name, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode) &&
		    unlinkat(t->dirfd, t->name, 0))
			warn_msg("--prom %s: cannot remove it at exit: %s", t->path,
				 strerror(errno));
	}
	close(t->dirfd);
	t->dirfd = -1;
}
