// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The static call target reader: reads of kernel memory (trampoline text, a
 * static_call_key's func) done by a BPF task iterator (bpf/hooks.bpf.c), all
 * requests of one round in one run. calls.c is its only user; the open link
 * keeps working after capabilities are dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "hooks_int.h"
#include "hooks.skel.h"
#include "util.h"

struct hooks_reader {
	struct hooks_bpf *skel;
	struct bpf_link *link;
};

struct hooks_reader *hooks_reader_open(char *err, size_t len)
{
	struct hooks_reader *r = calloc(1, sizeof(*r));
	int e;

	if (!r) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	r->skel = hooks_bpf__open();
	if (!r->skel) {
		snprintf(err, len, "cannot open BPF object: %s", strerror(errno));
		free(r);
		return NULL;
	}
	e = hooks_bpf__load(r->skel);
	if (!e) {
		r->link = bpf_program__attach_iter(r->skel->progs.read_mem, NULL);
		e = r->link ? 0 : -errno;
	}
	if (e) {
		snprintf(err, len, "cannot load the BPF task iterator that reads kernel memory: %s",
			 *libbpf_last_error() ? libbpf_last_error() : strerror(-e));
		hooks_bpf__destroy(r->skel);
		free(r);
		return NULL;
	}
	return r;
}

int hooks_reader_run(struct hooks_reader *r, struct hooks_read *req, unsigned int n)
{
	struct hooks_bpf__bss *bss = r->skel->bss;
	int e;

	if (n > HOOKS_MAX_READS)
		return -E2BIG;
	memcpy(bss->reads, req, n * sizeof(*req));
	bss->nreads = n;
	e = hooks_iter_run(r->link);
	if (!e)
		memcpy(req, bss->reads, n * sizeof(*req));
	return e;
}

void hooks_reader_close(struct hooks_reader *r)
{
	if (!r)
		return;
	bpf_link__destroy(r->link);
	hooks_bpf__destroy(r->skel);
	free(r);
}
