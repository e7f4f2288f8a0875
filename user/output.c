// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "output.h"
#include "util.h"

static const struct {
	const char *name;
	double div;
} units[] = { [UNIT_NS] = { "ns", 1 }, [UNIT_US] = { "us", 1e3 }, [UNIT_MS] = { "ms", 1e6 } };

int unit_parse(const char *s, enum time_unit *u)
{
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (!strcmp(s, units[i].name)) {
			*u = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *unit_name(enum time_unit u)
{
	return units[u].name;
}

const char *fmt_time(char *buf, size_t len, double ns, enum time_unit u)
{
	double v = ns / units[u].div;

	if (u == UNIT_NS && v == (double)(uint64_t)v)
		snprintf(buf, len, "%" PRIu64 " ns", (uint64_t)v);
	else
		snprintf(buf, len, "%.3f %s", v, units[u].name);
	return buf;
}

static void bound_str(char *buf, size_t len, uint64_t ns, enum time_unit u)
{
	if (u == UNIT_NS)
		snprintf(buf, len, "%" PRIu64, ns);
	else
		snprintf(buf, len, "%.3f", (double)ns / units[u].div);
}

void text_print_hist(FILE *f, const struct hist_data *h, enum time_unit u)
{
	char a[32], b[32], c[32], d[32], e[32], g[32], k[32];
	uint64_t peak = 0;
	int lo = -1, hi = -1;

	fprintf(f, "  count %" PRIu64 "  avg %s  min %s  max %s  p50 %s  p90 %s  p99 %s\n",
		h->count, fmt_time(a, sizeof(a), h->count ? (double)h->sum / h->count : 0, u),
		fmt_time(b, sizeof(b), h->count && h->min <= h->max ? h->min : 0, u),
		fmt_time(c, sizeof(c), h->max, u),
		fmt_time(d, sizeof(d), hist_percentile(h, 50), u),
		fmt_time(e, sizeof(e), hist_percentile(h, 90), u),
		fmt_time(g, sizeof(g), hist_percentile(h, 99), u));
	for (int i = 0; i < HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
		if (h->slots[i] > peak)
			peak = h->slots[i];
	}
	if (lo < 0)
		return;
	fprintf(f, "  %24s : %-10s distribution\n", unit_name(u), "count");
	for (int i = lo; i <= hi; i++) {
		char range[80], bar[41];
		int stars = peak ? (int)((h->slots[i] * 40 + peak - 1) / peak) : 0;

		bound_str(k, sizeof(k), hist_slot_low(i), u);
		bound_str(c, sizeof(c), hist_slot_high(i), u);
		snprintf(range, sizeof(range), "%s -> %s", k, c);
		memset(bar, '*', stars);
		bar[stars] = 0;
		fprintf(f, "  %24s : %-10" PRIu64 " |%-40s|\n", range, h->slots[i], bar);
	}
}

json_object *json_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

json_object *json_hist(const struct hist_data *h)
{
	json_object *o = json_object_new_object(), *b = json_object_new_array();
	bool any = h->count && h->min <= h->max;

	json_object_object_add(o, "count", json_u64(h->count));
	json_object_object_add(o, "sum", json_u64(h->sum));
	json_object_object_add(o, "min", any ? json_u64(h->min) : NULL);
	json_object_object_add(o, "max", any ? json_u64(h->max) : NULL);
	json_object_object_add(o, "p50", json_object_new_double(hist_percentile(h, 50)));
	json_object_object_add(o, "p90", json_object_new_double(hist_percentile(h, 90)));
	json_object_object_add(o, "p99", json_object_new_double(hist_percentile(h, 99)));
	for (int i = 0; i < HIST_SLOTS; i++) {
		json_object *s;

		if (!h->slots[i])
			continue;
		s = json_object_new_object();
		json_object_object_add(s, "low", json_u64(hist_slot_low(i)));
		json_object_object_add(s, "high", json_u64(hist_slot_high(i)));
		json_object_object_add(s, "count", json_u64(h->slots[i]));
		json_object_array_add(b, s);
	}
	json_object_object_add(o, "buckets", b);
	return o;
}

int json_print_line(FILE *f, json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);

	if (fprintf(f, "%s\n", s) < 0 || fflush(f))
		return -errno;
	return 0;
}

const char *ns_to_seconds(char *buf, size_t len, uint64_t ns)
{
	uint64_t sec = ns / 1000000000ULL, frac = ns % 1000000000ULL;
	int digits = 9;

	if (!frac) {
		snprintf(buf, len, "%" PRIu64, sec);
		return buf;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64, sec, digits, frac);
	return buf;
}

int prom_check_path(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	struct stat st;

	if (!*path || strlen(path) >= sizeof(dir) - 32) {
		snprintf(err, errlen, "--prom: invalid path '%s'", path);
		return -EINVAL;
	}
	if (!lstat(path, &st)) {
		if (S_ISLNK(st.st_mode)) {
			snprintf(err, errlen,
				 "--prom: %s is a symbolic link; refusing to follow it", path);
			return -ELOOP;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "--prom: %s is not a regular file", path);
			return -EINVAL;
		}
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (access(dirname(dir), W_OK)) {
		int e = errno;

		snprintf(err, errlen, "--prom: cannot write in directory of %s: %s", path,
			 strerror(e));
		return -e;
	}
	return 0;
}

int prom_open(struct prom_writer *w, const char *path)
{
	char dir[4096], base[4096];
	int fd;

	memset(w, 0, sizeof(*w));
	snprintf(w->path, sizeof(w->path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	/* hidden name without the .prom suffix: node_exporter ignores it */
	snprintf(w->tmp, sizeof(w->tmp), "%s/.%s.XXXXXX", dirname(dir), basename(base));
	fd = mkostemp(w->tmp, O_CLOEXEC);
	if (fd < 0) {
		w->tmp[0] = 0;
		return -errno;
	}
	fchmod(fd, 0644);
	w->f = fdopen(fd, "w");
	if (!w->f) {
		int e = errno;

		close(fd);
		unlink(w->tmp);
		w->tmp[0] = 0;
		return -e;
	}
	return 0;
}

void prom_family(struct prom_writer *w, const char *name, const char *type, const char *help)
{
	fprintf(w->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_labels(FILE *f, const struct prom_label *l, int n, const char *le)
{
	bool first = true;

	if (!n && !le)
		return;
	fputc('{', f);
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s%s=\"", first ? "" : ",", l[i].name);
		for (const char *p = l[i].value; *p; p++) {
			if (*p == '\\' || *p == '"')
				fputc('\\', f);
			if (*p == '\n') {
				fputs("\\n", f);
				continue;
			}
			fputc(*p, f);
		}
		fputc('"', f);
		first = false;
	}
	if (le)
		fprintf(f, "%sle=\"%s\"", first ? "" : ",", le);
	fputc('}', f);
}

void prom_sample(struct prom_writer *w, const char *name, const struct prom_label *labels,
		 int nlabels, const char *value)
{
	fputs(name, w->f);
	put_labels(w->f, labels, nlabels, NULL);
	fprintf(w->f, " %s\n", value);
}

void prom_hist(struct prom_writer *w, const char *name, const struct prom_label *labels,
	       int nlabels, const struct hist_data *h)
{
	char le[48], v[48];
	uint64_t cum = 0;

	for (int i = 0; i < PROM_MAX_SLOT; i++) {
		cum += h->slots[i];
		/* floor slot i is [2^i, 2^(i+1)) ns: its upper bound is le */
		ns_to_seconds(le, sizeof(le), hist_slot_high(i));
		fprintf(w->f, "%s_bucket", name);
		put_labels(w->f, labels, nlabels, le);
		fprintf(w->f, " %" PRIu64 "\n", cum);
	}
	fprintf(w->f, "%s_bucket", name);
	put_labels(w->f, labels, nlabels, "+Inf");
	fprintf(w->f, " %" PRIu64 "\n", h->count);
	fprintf(w->f, "%s_sum", name);
	put_labels(w->f, labels, nlabels, NULL);
	fprintf(w->f, " %s\n", ns_to_seconds(v, sizeof(v), h->sum));
	fprintf(w->f, "%s_count", name);
	put_labels(w->f, labels, nlabels, NULL);
	fprintf(w->f, " %" PRIu64 "\n", h->count);
}

int prom_commit(struct prom_writer *w)
{
	int r = 0;
	struct stat st;

	if (fflush(w->f) || fsync(fileno(w->f)))
		r = -errno;
	if (fclose(w->f) && !r)
		r = -errno;
	w->f = NULL;
	/* re-check: a symlink may have appeared since the options were read */
	if (!r && !lstat(w->path, &st) && S_ISLNK(st.st_mode))
		r = -ELOOP;
	if (!r && rename(w->tmp, w->path))
		r = -errno;
	if (r)
		unlink(w->tmp);
	w->tmp[0] = 0;
	return r;
}

void prom_abort(struct prom_writer *w)
{
	if (w->f)
		fclose(w->f);
	w->f = NULL;
	if (w->tmp[0])
		unlink(w->tmp);
	w->tmp[0] = 0;
}
