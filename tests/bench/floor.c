// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* floor MODE: attach the empty programs of one mode, print "Tracing", wait for a signal. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "tracepoint";
	struct floor_bpf *s = floor_bpf__open();
	bool tp = !strcmp(mode, "tracepoint"), fe = !strcmp(mode, "fentry"),
	     kp = !strcmp(mode, "kprobe");

	if (!s || !(tp || fe || kp))
		return 2;
	bpf_program__set_autoload(s->progs.floor_enter, tp);
	bpf_program__set_autoload(s->progs.floor_exit, tp);
	bpf_program__set_autoload(s->progs.floor_fentry, fe);
	bpf_program__set_autoload(s->progs.floor_fexit, fe);
	bpf_program__set_autoload(s->progs.floor_kprobe, kp);
	bpf_program__set_autoload(s->progs.floor_kretprobe, kp);
	if (floor_bpf__load(s) || floor_bpf__attach(s)) {
		fprintf(stderr, "floor: cannot attach in mode %s\n", mode);
		floor_bpf__destroy(s);
		return 1;
	}
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	fprintf(stderr, "Tracing (floor, mode: %s)\n", mode);
	while (!stop)
		pause();
	floor_bpf__destroy(s);
	return 0;
}
