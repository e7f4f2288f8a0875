// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* latency --ioctl --workload: the built-in KVM workload in a child, and its counts checked. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "lat.h"
#include "util.h"
#include "workload.h"

/* Compare traced counts with what the workload issued; prints a table. */
int lat_workload_check(const struct hist_set *hs, const struct hist_set *ov,
		       const struct wl_result *r)
{
	uint64_t total_issued = 0, total_seen = 0;
	int bad = 0;

	fprintf(stderr, "\nworkload check (issued by the workload vs traced):\n");
	for (int op = 0; op < WL_OP_MAX; op++) {
		for (int v = 0; v < (lat_env.per_vcpu ? r->nvcpus : 1); v++) {
			uint64_t issued = 0, seen = 0;

			for (int c = 0; c < r->nvcpus; c++)
				if (!lat_env.per_vcpu || c == v)
					issued += r->issued[c][op];
			for (size_t i = 0; i < hs->n; i++) {
				const struct lat_key *k = hs->s[i].key;

				if (k->cmd == wl_op_cmd(op) && (!lat_env.per_vcpu || k->vcpu == v))
					seen += hs->s[i].cum.count;
			}
			for (size_t i = 0; i < ov->n && !lat_env.per_vcpu; i++)
				if (*(const uint32_t *)ov->s[i].key == wl_op_cmd(op))
					seen += ov->s[i].cum.count;
			if (!issued && !seen)
				continue;
			total_issued += issued;
			total_seen += seen;
			if (issued != seen)
				bad++;
			fprintf(stderr, "  %-22s", wl_op_name(op));
			if (lat_env.per_vcpu)
				fprintf(stderr, " vcpu %d", v);
			fprintf(stderr, " issued %-8" PRIu64 " traced %-8" PRIu64 " %s\n", issued,
				seen, issued == seen ? "ok" : "MISMATCH");
		}
	}
	if (!r->one_reg)
		fprintf(stderr, "  (KVM_CAP_ONE_REG is 0 here: ONE_REG ioctls not issued)\n");
	if (!r->run_ok)
		fprintf(stderr,
			"  (KVM_RUN failed on this host: counted, but the guest did not run)\n");
	fprintf(stderr, "workload: %" PRIu64 " vCPU ioctls issued, %" PRIu64 " traced: %s\n",
		total_issued, total_seen, bad ? "MISMATCH" : "all counts match");
	return bad ? -1 : 0;
}

int lat_workload_fork(struct lat_child *c, char *err, size_t len)
{
	int go[2], res[2];

	if (pipe2(go, O_CLOEXEC) || pipe2(res, O_CLOEXEC)) {
		snprintf(err, len, "workload: pipe: %s", strerror(errno));
		return -1;
	}
	c->pid = fork();
	if (c->pid < 0) {
		snprintf(err, len, "workload: fork: %s", strerror(errno));
		return -1;
	}
	if (c->pid == 0) {
		struct wl_spec spec;
		struct wl_result r;
		char buf, e[256];

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		close(go[1]);
		close(res[0]);
		if (read(go[0], &buf, 1) != 1)
			_exit(3);
		wl_default_spec(&spec);
		if (wl_run(&spec, &r, e, sizeof(e))) {
			fprintf(stderr, "%s: %s\n", prog_name, e);
			_exit(1);
		}
		_exit(wl_result_write(res[1], &r) ? 1 : 0);
	}
	close(go[0]);
	close(res[1]);
	c->go_fd = go[1];
	c->result_fd = res[0];
	return 0;
}

void lat_workload_stop(struct lat_child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
	}
}
