// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel memory reader: see kmem.h. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kmem.h"
#include "kmem_req.h"
#include "kmem.skel.h"
#include "util.h"

_Static_assert(KMEM_MAX_LEN == KMEM_MAXLEN && KMEM_RUN_BATCH == KMEM_BATCH,
	       "kmem.h and bpf/kmem.h agree");

const enum kmem_method kmem_default_order[3] = { KMEM_TEST_RUN, KMEM_ITER, KMEM_KCORE };

struct kmem_seg {
	uint64_t vaddr, size, offset;
};

const char *kmem_method_name(enum kmem_method method)
{
	switch (method) {
	case KMEM_KCORE:
		return "/proc/kcore";
	case KMEM_TEST_RUN:
		return "bpf_probe_read_kernel (BPF program run with BPF_PROG_TEST_RUN)";
	case KMEM_ITER:
		return "bpf_probe_read_kernel (BPF task iterator)";
	default:
		return "nothing";
	}
}

const char *kmem_method_id(enum kmem_method method)
{
	return method == KMEM_KCORE ? "kcore" : method == KMEM_NONE ? "none" : "bpf";
}

/* --- /proc/kcore ---------------------------------------------------------------- */

static int kcore_open(struct kmem *m, char *err, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;

	m->fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	if (m->fd < 0) {
		snprintf(err, len, "/proc/kcore: %s", strerror(errno));
		return -1;
	}
	if (pread(m->fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || !eh.e_phnum) {
		snprintf(err, len, "/proc/kcore: unexpected ELF header");
		return -1;
	}
	ph = calloc(eh.e_phnum, sizeof(*ph));
	m->segs = calloc(eh.e_phnum, sizeof(*m->segs));
	if (!ph || !m->segs ||
	    pread(m->fd, ph, eh.e_phnum * sizeof(*ph), eh.e_phoff) !=
		    (ssize_t)(eh.e_phnum * sizeof(*ph))) {
		free(ph);
		snprintf(err, len, "/proc/kcore: cannot read program headers");
		return -1;
	}
	for (size_t i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			m->segs[m->nsegs++] =
				(struct kmem_seg){ ph[i].p_vaddr, ph[i].p_filesz, ph[i].p_offset };
	free(ph);
	return 0;
}

static int kcore_read1(struct kmem *m, struct kmem_req *q)
{
	for (size_t i = 0; i < m->nsegs; i++) {
		const struct kmem_seg *s = &m->segs[i];

		if (q->addr < s->vaddr || q->addr - s->vaddr >= s->size ||
		    q->len > s->size - (q->addr - s->vaddr))
			continue;
		if (pread(m->fd, q->buf, q->len, s->offset + (q->addr - s->vaddr)) == q->len)
			return 0;
		return errno ? -errno : -EIO;
	}
	return -EFAULT;
}

/* --- BPF: one program of kmem.bpf.c, run by BPF_PROG_TEST_RUN or as an iterator ------ */

int bpf_iter_run(struct bpf_link *link)
{
	char buf[64];
	int fd = bpf_iter_create(bpf_link__fd(link)), n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* One program run over the requests already in .bss: 0 or -errno. */
static int bpf_run(struct kmem *m)
{
	if (m->method == KMEM_TEST_RUN) {
		LIBBPF_OPTS(bpf_test_run_opts, o);

		if (bpf_prog_test_run_opts(bpf_program__fd(m->skel->progs.read_kmem), &o))
			return -errno;
		return 0;
	}
	return bpf_iter_run(m->link);
}

static int bpf_open(struct kmem *m, enum kmem_method method, char *err, size_t len)
{
	struct bpf_program *want;
	int e;

	m->skel = kmem_bpf__open();
	if (!m->skel) {
		snprintf(err, len, "cannot open the BPF reader: %s", strerror(errno));
		return -1;
	}
	want = method == KMEM_TEST_RUN ? m->skel->progs.read_kmem : m->skel->progs.read_kmem_iter;
	bpf_program__set_autoload(m->skel->progs.read_kmem, want == m->skel->progs.read_kmem);
	bpf_program__set_autoload(m->skel->progs.read_kmem_iter,
				  want == m->skel->progs.read_kmem_iter);
	e = kmem_bpf__load(m->skel);
	if (e) {
		snprintf(err, len, "cannot load the BPF reader%s: %s (%s)",
			 method == KMEM_ITER ? " (task iterator)" : "",
			 *libbpf_last_error() ? libbpf_last_error() : "load failed", strerror(-e));
		return -1;
	}
	m->method = method;
	if (method == KMEM_ITER) {
		m->link = bpf_program__attach_iter(want, NULL);
		if (!m->link) {
			snprintf(err, len, "cannot attach the BPF task iterator: %s",
				 strerror(errno));
			return -1;
		}
	}
	/* a run without requests: does this kernel run it at all? */
	m->skel->bss->nreqs = 0;
	e = bpf_run(m);
	if (e) {
		snprintf(err, len, "%s: %s",
			 method == KMEM_ITER ? "reading the BPF task iterator"
					     : "BPF_PROG_TEST_RUN of the BPF reader",
			 strerror(-e));
		return -1;
	}
	return 0;
}

/* --- open, close -------------------------------------------------------------------- */

static void reset(struct kmem *m)
{
	if (m->fd >= 0)
		close(m->fd);
	free(m->segs);
	bpf_link__destroy(m->link);
	kmem_bpf__destroy(m->skel);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}

static int try_one(struct kmem *m, enum kmem_method method, char *err, size_t len)
{
	m->method = method;
	if (method == KMEM_KCORE)
		return kcore_open(m, err, len);
	if (method == KMEM_TEST_RUN || method == KMEM_ITER)
		return bpf_open(m, method, err, len);
	snprintf(err, len, "unknown kernel memory reader %d", (int)method);
	return -1;
}

/* append "; msg" (or msg) to err */
static void add_reason(char *err, size_t len, const char *msg)
{
	size_t n = strlen(err);

	if (n + 1 < len)
		snprintf(err + n, len - n, "%s%s", n ? "; " : "", msg);
}

int kmem_open(struct kmem *m, const enum kmem_method *order, size_t n, char *err, size_t len)
{
	bool caps_said = false;
	char why[512];

	if (!order) {
		order = kmem_default_order;
		n = sizeof(kmem_default_order) / sizeof(kmem_default_order[0]);
	}
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (len)
		err[0] = 0;
	for (size_t i = 0; i < n; i++) {
		bool bpf = order[i] == KMEM_TEST_RUN || order[i] == KMEM_ITER;

		/* a kernel without /proc/kcore: not an attempt, when something else is left */
		if (order[i] == KMEM_KCORE && n > 1 && access("/proc/kcore", F_OK))
			continue;
		if (bpf && !have_tracing_caps()) {
			if (!caps_said)
				add_reason(err, len,
					   "reading kernel memory with BPF needs root or CAP_BPF "
					   "and CAP_PERFMON");
			caps_said = true;
			continue;
		}
		why[0] = 0;
		if (!try_one(m, order[i], why, sizeof(why))) {
			if (len)
				err[0] = 0;
			return 0;
		}
		reset(m);
		add_reason(err, len, why);
	}
	if (len && !err[0])
		snprintf(err, len, "no kernel memory reader to try");
	return -1;
}

void kmem_close(struct kmem *m)
{
	reset(m);
}

/* --- reads -------------------------------------------------------------------------- */

static int bpf_read(struct kmem *m, struct kmem_req *q, size_t n)
{
	for (size_t i = 0; i < n; i += KMEM_BATCH) {
		size_t b = n - i < KMEM_BATCH ? n - i : KMEM_BATCH;
		int e;

		for (size_t j = 0; j < b; j++) {
			m->skel->bss->reqs[j].addr = q[i + j].addr;
			m->skel->bss->reqs[j].len = q[i + j].len;
			m->skel->bss->reqs[j].err = -EINPROGRESS;
		}
		m->skel->bss->nreqs = b;
		e = bpf_run(m);
		if (e) {
			for (size_t j = 0; j < n; j++)
				q[j].err = e;
			return e;
		}
		for (size_t j = 0; j < b; j++) {
			q[i + j].err = m->skel->bss->reqs[j].err;
			if (!q[i + j].err)
				memcpy(q[i + j].buf, m->skel->bss->bufs[j], q[i + j].len);
			m->reads++;
			m->failed += q[i + j].err != 0;
		}
	}
	return 0;
}

int kmem_read(struct kmem *m, struct kmem_req *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!q[i].len || q[i].len > KMEM_MAX_LEN)
			return -EINVAL;
	if (m->method == KMEM_KCORE) {
		for (size_t i = 0; i < n; i++) {
			q[i].err = kcore_read1(m, &q[i]);
			m->reads++;
			m->failed += q[i].err != 0;
		}
		return 0;
	}
	if (m->method != KMEM_TEST_RUN && m->method != KMEM_ITER)
		return -EBADF;
	return bpf_read(m, q, n);
}

int kmem_read1(struct kmem *m, uint64_t addr, void *buf, uint32_t len)
{
	struct kmem_req q = { .addr = addr, .len = len, .buf = buf };
	int e = kmem_read(m, &q, 1);

	return e ? e : q.err;
}

int kmem_read_u64(struct kmem *m, uint64_t addr, uint64_t *val)
{
	uint8_t b[8];
	int e = kmem_read1(m, addr, b, sizeof(b));

	if (!e)
		memcpy(val, b, sizeof(b));
	return e;
}
