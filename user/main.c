// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pvtrace: observability for KVM vCPU ioctls, paravirt hooks and vfio. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "commands.h"
#include "util.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "latency", cmd_latency, "latency histograms (--ioctl: KVM vCPU ioctls, --vhost)" },
	{ "bench", cmd_bench, "kernel-CI benchmarks: ioctl, regs, overhead (pvtrace.bench/1)" },
	{ "exits", cmd_exits, "KVM exits by reason per VM/vCPU, trips to user space, ports" },
	{ "vhost", cmd_vhost, "vhost virtqueue kicks and calls per device and vq, kick to call" },
	{ "hooks", cmd_hooks, "paravirt static calls: current targets, changes, steal time" },
	{ "vfio", cmd_vfio, "vfio device requests, release latency and blocked unregisters" },
	{ "patches", cmd_patches, "ALTERNATIVE and static call sites: inventory, --live, --watch" },
	{ "results", cmd_results,
	  "the results store: import, list, query, export (SQLite, PostgreSQL)" },
	{ "compare", cmd_compare, "compare two sets of bench results: verdict per metric" },
	{ "dashboard", cmd_dashboard, "static HTML page over a series of bench results" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: pvtrace COMMAND [OPTIONS]\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nExamples:\n"
		   "  pvtrace latency --ioctl --workload\n"
		   "  pvtrace latency --ioctl 1 10 --per-vcpu\n"
		   "  pvtrace exits --vm guest1 --per-vcpu -d 10s\n"
		   "\n'pvtrace COMMAND --help' describes a command; -V, --version prints the "
		   "version.\n");
}

int main(int argc, char **argv)
{
	/*
	 * A closed stdout pipe is an EPIPE error, not death by signal in the middle of
	 * attaching or writing a textfile: commands end cleanly (out_flush_check) and
	 * out_finish() then exits by SIGPIPE.
	 */
	signal(SIGPIPE, SIG_IGN);
	out_init();
	if (argc < 2) {
		char list[128] = "";

		for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", commands[i].name);
		err_msg("say which command: %s (see pvtrace --help)", list);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return out_finish(0);
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		cli_print_version();
		return out_finish(0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(argv[1], commands[i].name)) {
			static char name[64];

			/* commands dispatching to subcommands (bench) too; the rest: cli_parse */
			if (argc == 3 &&
			    (!strcmp(argv[2], "-V") || !strcmp(argv[2], "--version"))) {
				cli_print_version();
				return out_finish(0);
			}
			snprintf(name, sizeof(name), "pvtrace %s", commands[i].name);
			argv[1] = name;
			return out_finish(commands[i].fn(argc - 1, argv + 1));
		}
	}
	err_msg("unknown command '%s' (see pvtrace --help)", argv[1]);
	return EXIT_USAGE;
}
