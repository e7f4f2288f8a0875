// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kvmload: issue an exact, known number of KVM vCPU ioctls (and non-KVM noise)
 * for pvtrace's tests, then print what was issued, one line per command and vCPU:
 *   vcpus N one_reg B run_ok B noise N
 *   KVM_GET_REGS <vcpu> <issued> <failed>
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "util.h"
#include "workload.h"

static struct wl_spec spec = { .nvcpus = 1 };
static const char *wait_file;
static bool skew;

static const struct cli_opt opts[] = {
	{ "vcpus", 'n', "N", "Number of vCPUs (default 1)" },
	{ "op", 'o', "NAME=COUNT", "Issue COUNT of ioctl NAME per vCPU (e.g. GET_REGS=100)" },
	{ "skew", 's', NULL, "vCPU i issues COUNT*(i+1)" },
	{ "noise", 'z', "N", "Also issue N rounds of non-vCPU ioctls" },
	{ "wait-file", 'w', "PATH", "Start only once PATH exists" },
	{ NULL, 0, NULL, NULL },
};

static uint64_t op_counts[WL_OP_MAX];

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	uint64_t v;
	enum wl_op op;
	char name[64];
	const char *eq;

	(void)ctx;
	switch (key) {
	case 'n':
		if (!parse_u64(arg, &v) || !v || v > WL_MAX_VCPUS) {
			snprintf(err, len, "invalid vCPU count '%s'", arg);
			return -1;
		}
		spec.nvcpus = v;
		break;
	case 'o':
		eq = strchr(arg, '=');
		if (!eq || (size_t)(eq - arg) >= sizeof(name)) {
			snprintf(err, len, "invalid --op '%s' (NAME=COUNT)", arg);
			return -1;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
		if (wl_op_parse(name, &op) || !parse_u64(eq + 1, &v)) {
			snprintf(err, len, "invalid --op '%s'", arg);
			return -1;
		}
		op_counts[op] = v;
		break;
	case 's':
		skew = true;
		break;
	case 'z':
		if (!parse_u64(arg, &v)) {
			snprintf(err, len, "invalid noise count '%s'", arg);
			return -1;
		}
		spec.noise = v;
		break;
	case 'w':
		wait_file = arg;
		break;
	default:
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct cli cli = { .name = "kvmload",
					.usage = "[OPTIONS]",
					.doc = "Issue known numbers of KVM vCPU ioctls.",
					.opts = opts,
					.opt = parse_opt };
	struct wl_result r;
	char err[256];
	int ret;

	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	for (int v = 0; v < spec.nvcpus; v++)
		for (int op = 0; op < WL_OP_MAX; op++)
			spec.count[v][op] = op_counts[op] * (skew ? v + 1 : 1);
	while (wait_file && access(wait_file, F_OK)) {
		struct timespec ts = { 0, 2000000 };

		nanosleep(&ts, NULL);
	}
	if (wl_run(&spec, &r, err, sizeof(err))) {
		fprintf(stderr, "kvmload: %s\n", err);
		return 1;
	}
	return wl_result_write(STDOUT_FILENO, &r) ? 1 : 0;
}
