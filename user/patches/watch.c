// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace patches --watch: PERF_RECORD_TEXT_POKE records, symbolized (patches.h). */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <json-c/json.h>
#include "ksyms.h"
#include "output.h"
#include "util.h"
#include "patches/patches.h"
#include "patches/x86_decode.h"

struct ring {
	int fd;
	int cpu;
	void *base;
	size_t size; /* data area */
};

/* a symbol announced by PERF_RECORD_KSYMBOL (BPF programs, trampolines) */
struct xsym {
	uint64_t addr;
	uint32_t len;
	char name[64];
};

struct watch {
	struct ring *rings;
	int nrings;
	size_t page;
	struct ksyms *ks; /* /proc/kallsyms, read while privileged */
	struct xsym *xs;  /* later symbols, from the records themselves */
	size_t nxs;
	uint64_t pokes, lost, ksym_events;
	bool json;
};

static int online_cpus(int **out)
{
	char buf[1024];
	int *v = NULL, n = 0;
	char *p;

	if (read_file_str("/sys/devices/system/cpu/online", buf, sizeof(buf)) <= 0)
		return -1;
	for (p = buf; *p;) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (long c = a; c <= b && c < 8192; c++) {
			int *nv = realloc(v, (n + 1) * sizeof(*v));

			if (!nv) {
				free(v);
				return -1;
			}
			v = nv;
			v[n++] = c;
		}
		p = *end == ',' ? end + 1 : end;
		if (*end != ',')
			break;
	}
	*out = v;
	return n;
}

static void watch_close(struct watch *w)
{
	for (int i = 0; i < w->nrings; i++) {
		if (w->rings[i].base)
			munmap(w->rings[i].base, w->rings[i].size + w->page);
		if (w->rings[i].fd >= 0)
			close(w->rings[i].fd);
	}
	free(w->rings);
	free(w->xs);
	ksyms_free(w->ks);
	memset(w, 0, sizeof(*w));
}

static int watch_open(struct watch *w, char *err, size_t len)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_DUMMY,
		.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU,
		.sample_id_all = 1,
		.text_poke = 1,
		.ksymbol = 1,
		.use_clockid = 1,
		.clockid = CLOCK_REALTIME,
		.watermark = 1,
		.wakeup_watermark = 1,
	};
	int *cpus = NULL, n = online_cpus(&cpus);

	w->page = sysconf(_SC_PAGESIZE);
	if (n <= 0) {
		snprintf(err, len, "cannot read /sys/devices/system/cpu/online");
		return -1;
	}
	w->rings = calloc(n, sizeof(*w->rings));
	if (!w->rings) {
		free(cpus);
		snprintf(err, len, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct ring *r = &w->rings[w->nrings++];

		r->cpu = cpus[i];
		r->size = 16 * w->page;
		r->fd = syscall(SYS_perf_event_open, &a, -1, cpus[i], -1, PERF_FLAG_FD_CLOEXEC);
		if (r->fd < 0) {
			snprintf(err, len, "perf_event_open(text_poke) on CPU %d: %s%s", cpus[i],
				 strerror(errno),
				 errno == EACCES || errno == EPERM ? " (needs root or CAP_PERFMON)"
				 : errno == EINVAL ? " (kernel without PERF_RECORD_TEXT_POKE, "
						     "Linux < 5.9?)"
						   : "");
			free(cpus);
			return -1;
		}
		r->base =
			mmap(NULL, r->size + w->page, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
		if (r->base == MAP_FAILED) {
			r->base = NULL;
			snprintf(err, len, "mmap of the perf ring on CPU %d: %s", cpus[i],
				 strerror(errno));
			free(cpus);
			return -1;
		}
	}
	free(cpus);
	w->ks = ksyms_load(NULL);
	return 0;
}

static const char *sym_str(struct watch *w, uint64_t a, char *buf, size_t len)
{
	for (size_t i = w->nxs; i-- > 0;) {
		if (a - w->xs[i].addr < w->xs[i].len)
			return sym_format(buf, len, w->xs[i].name, a - w->xs[i].addr, NULL,
					  SYM_OFFSET);
	}
	return ksyms_describe(w->ks, a, SYM_OFFSET | SYM_MODULE, buf, len);
}

/* "call sym", "jmp sym", "nop5"... for the common 5-byte and 2-byte forms */
static void describe(struct watch *w, uint64_t a, const uint8_t *b, size_t n, char *buf, size_t len)
{
	struct x86_insn in;
	char s[256];

	buf[0] = 0;
	if (!n || x86_decode(b, n, &in))
		return;
	if ((b[0] == 0xe8 || b[0] == 0xe9) && in.len == 5) {
		uint64_t t = a + 5 +
			     (int64_t)(int32_t)((uint32_t)b[1] | b[2] << 8 | b[3] << 16 |
						(uint32_t)b[4] << 24);

		snprintf(buf, len, "%s %s", b[0] == 0xe8 ? "call" : "jmp",
			 sym_str(w, t, s, sizeof(s)));
	} else if (b[0] == 0xeb && in.len == 2) {
		snprintf(buf, len, "jmp %s", sym_str(w, a + 2 + (int8_t)b[1], s, sizeof(s)));
	} else if (x86_insn_is_nop(&in)) {
		snprintf(buf, len, "nop%u", in.len);
	} else if (b[0] == 0xcc) {
		snprintf(buf, len, "int3");
	} else if (b[0] == 0xc3) {
		snprintf(buf, len, "ret");
	}
}

/* One PERF_RECORD_TEXT_POKE, parsed. */
struct poke {
	uint64_t addr, ts;
	uint16_t olen, nlen;
	uint32_t pid, tid, cpu;
	const uint8_t *old, *new;
	char comm[32], sym[256], dold[300], dnew[300];
};

static void poke_json(const struct poke *p)
{
	json_object *d = json_doc_new(PATCHES_SCHEMA, "text_poke", false);
	size_t hl = 2 * (size_t)(p->olen > p->nlen ? p->olen : p->nlen) + 1;
	char *hx = malloc(hl);

	if (!hx) {
		json_object_put(d);
		return;
	}

	json_object_object_add(d, "time_ns", json_u64(p->ts));
	json_object_object_add(d, "cpu", json_object_new_int(p->cpu));
	json_object_object_add(d, "pid", json_object_new_int64(p->pid));
	json_object_object_add(d, "tid", json_object_new_int64(p->tid));
	json_object_object_add(d, "comm", json_object_new_string(p->comm));
	json_object_object_add(d, "addr", json_hex_u64(p->addr));
	json_object_object_add(d, "symbol", json_object_new_string(p->sym));
	json_object_object_add(d, "old",
			       json_object_new_string(hex_str(p->old, p->olen, NULL, hx, hl)));
	json_object_object_add(d, "new",
			       json_object_new_string(hex_str(p->new, p->nlen, NULL, hx, hl)));
	json_object_object_add(d, "old_insn", p->dold[0] ? json_object_new_string(p->dold) : NULL);
	json_object_object_add(d, "new_insn", p->dnew[0] ? json_object_new_string(p->dnew) : NULL);
	json_print_line(stdout, d);
	json_object_put(d);
	free(hx);
}

static void poke_text(const struct poke *p)
{
	char ho[3 * 32 + 32], hn[3 * 32 + 32], tsb[64];
	uint16_t olen = p->olen, nlen = p->nlen;
	time_t sec = p->ts / 1000000000ULL;

	/* text shows at most 32 bytes (kprobe slots and BPF pages are pages) */
	hex_str(p->old, olen < 32 ? olen : 32, " ", ho, sizeof(ho));
	if (olen > 32)
		snprintf(ho + strlen(ho), sizeof(ho) - strlen(ho), " ... (%u bytes)", olen);
	hex_str(p->new, nlen < 32 ? nlen : 32, " ", hn, sizeof(hn));
	if (nlen > 32)
		snprintf(hn + strlen(hn), sizeof(hn) - strlen(hn), " ... (%u bytes)", nlen);
	fmt_clock(tsb, sizeof(tsb), sec);
	printf("%s.%06llu cpu %u pid %u %-12s %016" PRIx64 " %s\n    old %s%s%s%s\n    "
	       "new %s%s%s%s\n",
	       tsb, (unsigned long long)(p->ts % 1000000000ULL / 1000), p->cpu, p->pid, p->comm,
	       p->addr, p->sym, olen ? ho : "(none)", p->dold[0] ? " (" : "", p->dold,
	       p->dold[0] ? ")" : "", nlen ? hn : "(none)", p->dnew[0] ? " (" : "", p->dnew,
	       p->dnew[0] ? ")" : "");
	fflush(stdout);
}

static void on_poke(struct watch *w, int cpu, const uint8_t *rec, size_t size)
{
	struct poke p = { .cpu = cpu, .comm = "?" };
	char path[64];
	const uint8_t *id;

	if (size < 8 + 8 + 4 + 24)
		return;
	memcpy(&p.addr, rec + 8, 8);
	memcpy(&p.olen, rec + 16, 2);
	memcpy(&p.nlen, rec + 18, 2);
	if (20 + (size_t)p.olen + p.nlen + 24 > size)
		return;
	p.old = rec + 20;
	p.new = rec + 20 + p.olen;
	id = rec + size - 24; /* sample_id: pid, tid, time, cpu, res */
	memcpy(&p.pid, id, 4);
	memcpy(&p.tid, id + 4, 4);
	memcpy(&p.ts, id + 8, 8);
	memcpy(&p.cpu, id + 16, 4);
	w->pokes++;
	snprintf(path, sizeof(path), "/proc/%u/comm", p.pid);
	if (p.pid && read_file_str(path, p.comm, sizeof(p.comm)) < 0)
		snprintf(p.comm, sizeof(p.comm), "?");
	if (!p.pid)
		snprintf(p.comm, sizeof(p.comm), "[kernel]");
	sym_str(w, p.addr, p.sym, sizeof(p.sym));
	describe(w, p.addr, p.old, p.olen, p.dold, sizeof(p.dold));
	describe(w, p.addr, p.new, p.nlen, p.dnew, sizeof(p.dnew));
	if (w->json)
		poke_json(&p);
	else
		poke_text(&p);
}

/* PERF_RECORD_KSYMBOL: addr, len, type, flags, name (kallsyms is not readable any more) */
static void on_ksymbol(struct watch *w, const uint8_t *rec, size_t size)
{
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	const char *name = (const char *)rec + 24;
	size_t n;

	if (size < 25)
		return;
	w->ksym_events++;
	memcpy(&addr, rec + 8, 8);
	memcpy(&len, rec + 16, 4);
	memcpy(&flags, rec + 22, 2);
	n = strnlen(name, size - 24);
	for (size_t i = 0; i < w->nxs;) {
		if (w->xs[i].addr == addr) /* replaced or unregistered */
			w->xs[i] = w->xs[--w->nxs];
		else
			i++;
	}
	if (!(flags & PERF_RECORD_KSYMBOL_FLAGS_UNREGISTER)) {
		struct xsym *x = realloc(w->xs, (w->nxs + 1) * sizeof(*x));

		if (!x)
			return;
		w->xs = x;
		x = &w->xs[w->nxs++];
		x->addr = addr;
		x->len = len;
		snprintf(x->name, sizeof(x->name), "%.*s", (int)n, name);
	}
}

static void drain(struct watch *w, struct ring *r)
{
	struct perf_event_mmap_page *mp = r->base;
	uint8_t *data = (uint8_t *)r->base + w->page;
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE), tail = mp->data_tail;
	uint8_t rec[65536];

	while (tail < head) {
		struct perf_event_header h;
		size_t off = tail % r->size;

		for (size_t i = 0; i < sizeof(h); i++)
			((uint8_t *)&h)[i] = data[(off + i) % r->size];
		if (h.size < sizeof(h) || h.size > head - tail)
			break;
		for (size_t i = 0; i < h.size; i++)
			rec[i] = data[(off + i) % r->size];
		if (h.type == PERF_RECORD_TEXT_POKE)
			on_poke(w, r->cpu, rec, h.size);
		else if (h.type == PERF_RECORD_KSYMBOL)
			on_ksymbol(w, rec, h.size);
		else if (h.type == PERF_RECORD_LOST && h.size >= 24)
			w->lost += *(uint64_t *)(rec + 16);
		tail += h.size;
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
}

int do_watch(const struct patches_opts *o)
{
	struct watch w = { .json = o->c.json };
	struct pollfd *pfd;
	char err[512];
	uint64_t start = now_ns(), deadline = o->c.duration_ns ? start + o->c.duration_ns : 0;
	int ret = 0;

	if (watch_open(&w, err, sizeof(err))) {
		err_msg("%s", err);
		watch_close(&w);
		return EXIT_RUNTIME;
	}
	drop_caps_after_attach();
	pfd = calloc(w.nrings, sizeof(*pfd));
	if (!pfd) {
		watch_close(&w);
		err_msg("out of memory");
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < w.nrings; i++)
		pfd[i] = (struct pollfd){ .fd = w.rings[i].fd, .events = POLLIN };
	fprintf(stderr, "Watching kernel text pokes (PERF_RECORD_TEXT_POKE) on %d CPUs... %s\n",
		w.nrings, o->c.duration_ns ? "" : "Hit Ctrl-C to end.");
	while (!exiting) {
		int timeout = 200;
		uint64_t now = now_ns();

		if (deadline && now >= deadline)
			break;
		if (deadline && (deadline - now) / 1000000 < (uint64_t)timeout)
			timeout = (deadline - now) / 1000000 + 1;
		if (poll(pfd, w.nrings, timeout) < 0 && errno != EINTR) {
			err_msg("poll: %s", strerror(errno));
			ret = EXIT_RUNTIME;
			break;
		}
		for (int i = 0; i < w.nrings; i++)
			drain(&w, &w.rings[i]);
		if (out_flush_check(stdout)) {
			ret = EXIT_RUNTIME;
			break;
		}
	}
	for (int i = 0; i < w.nrings; i++)
		drain(&w, &w.rings[i]);
	if (o->c.json) {
		json_object *d = json_doc_new(PATCHES_SCHEMA, "watch_end", false);
		json_object_object_add(d, "pokes", json_u64(w.pokes));
		json_object_object_add(d, "lost", json_u64(w.lost));
		json_object_object_add(d, "cpus", json_object_new_int(w.nrings));
		json_object_object_add(d, "duration_ns", json_u64(now_ns() - start));
		json_print_line(stdout, d);
		json_object_put(d);
	}
	fprintf(stderr, "%" PRIu64 " text pokes%s", w.pokes, w.lost ? "" : "\n");
	if (w.lost)
		fprintf(stderr, ", %" PRIu64 " records lost\n", w.lost);
	free(pfd);
	watch_close(&w);
	return ret;
}
