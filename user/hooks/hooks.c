// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace hooks: the paravirt static calls of the running kernel (pv_sched_clock,
 * pv_steal_clock, ...), their current targets read from kernel memory with BPF,
 * target changes (--watch) and steal time per CPU (--steal). The options and the
 * choice of report; the reports are in list.c and steal.c.
 */
#include <stdio.h>
#include <string.h>
#include "hooks_int.h"
#include "cli.h"
#include "commands.h"
#include "util.h"

static struct hooks_env env;

enum {
	OPT_WATCH = 0x100,
	OPT_STEAL,
	OPT_PERCPU,
	OPT_CALL,
};

static const char doc[] =
	"Lists the paravirt static calls of the running kernel (pv_sched_clock,\n"
	"pv_steal_clock, ...; found by name in /proc/kallsyms and BTF) and the function\n"
	"each one calls now. The target is read from kernel memory with a BPF task\n"
	"iterator: static_call_key.func of __SCK__<name> where /proc/kallsyms lists data\n"
	"symbols (CONFIG_KALLSYMS_ALL), and the __SCT__<name> trampoline's jmp; both are\n"
	"shown, and a disagreement is flagged.\n"
	"\n"
	"--steal reports steal time per CPU and in total over each INTERVAL: ns of steal\n"
	"per second and percent, from kernel_cpustat.cpustat[CPUTIME_STEAL] (and KVM's\n"
	"steal_time where registered), located with bpf_per_cpu_ptr() (ksym), or from\n"
	"each CPU's runqueue address and BTF offsets (runqueue), else /proc/stat.\n"
	"\n"
	"Examples:\n"
	"  pvtrace hooks                     # targets, once\n"
	"  pvtrace hooks --json\n"
	"  pvtrace hooks --watch 5           # poll every 5 s, print old -> new\n"
	"  pvtrace hooks --watch --call tp_func_sched_switch   # any static call too\n"
	"  pvtrace hooks --steal 1 5         # five 1-second steal reports\n"
	"  pvtrace hooks --steal 15 --prom /var/lib/node_exporter/pvtrace-steal.prom\n"
	"  pvtrace latency --steal-clock     # latency of pv_steal_clock's target\n"
	"\n"
	"INTERVAL defaults to 1 s for --watch; without INTERVAL, --steal reports once\n"
	"at the end (Ctrl-C or -d).\n"
	"Exit status: 0 ok (a target change or a key/trampoline disagreement is reported,\n"
	"not an error), 1 runtime error (no privileges, no paravirt static calls, BPF\n"
	"refused), 2 usage error (also: no static call of a --call NAME).";

static const struct cli_opt opts[] = {
	{ "watch", OPT_WATCH, NULL, "Poll the targets every INTERVAL, report changes" },
	{ "steal", OPT_STEAL, NULL, "Steal time per CPU and total, per INTERVAL" },
	CLI_OPT_DURATION,
	CLI_OPT_JSON(HOOKS_SCHEMA),
	CLI_OPT_PROM,
	{ "percpu", OPT_PERCPU, "HOW", "--steal: ksym, runqueue or procfs (default: best)" },
	{ "call", OPT_CALL, "NAME", "Also show static call NAME (__SCT__NAME), up to 4" },
	CLI_OPT_VERBOSE,
	{ NULL, 0, NULL, NULL },
};

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	struct hooks_env *e = ctx;

	switch (key) {
	case OPT_WATCH:
		e->watch = true;
		break;
	case OPT_STEAL:
		e->steal = true;
		break;
	case OPT_CALL:
		if (e->nextra >= MAX_EXTRA || !*arg ||
		    strlen(arg) >= sizeof(((struct hook *)0)->name)) {
			snprintf(err, len, "--call: at most %d names of up to 63 characters",
				 MAX_EXTRA);
			return -1;
		}
		e->extra[e->nextra++] = arg;
		break;
	case OPT_PERCPU:
		if (!strcmp(arg, "ksym"))
			e->percpu = HOOKS_PERCPU_KSYM;
		else if (!strcmp(arg, "runqueue"))
			e->percpu = HOOKS_PERCPU_RUNQUEUE;
		else if (!strcmp(arg, "procfs"))
			e->percpu = PERCPU_PROCFS;
		else {
			snprintf(err, len, "invalid --percpu '%s' (ksym, runqueue or procfs)", arg);
			return -1;
		}
		break;
	default:
		return CLI_UNHANDLED;
	}
	return 0;
}

int cmd_hooks(int argc, char **argv)
{
	static const struct cli cli = { .name = "pvtrace hooks",
					.usage = "[OPTIONS] [INTERVAL [COUNT]]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt,
					.common = &env.c,
					.intervals = true };
	int ret;

	ret = cli_parse(&cli, argc, argv, &env);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	if (env.watch && env.steal) {
		err_msg("hooks: --watch and --steal are separate reports; pick one");
		goto usage;
	}
	ret = cli_common_check(&env.c, cli.name);
	if (ret)
		return ret;
	if (!env.watch && !env.steal && (env.c.interval_ns || env.c.duration_ns)) {
		err_msg("hooks: INTERVAL and --duration need --watch or --steal");
		goto usage;
	}
	if (env.nextra && env.steal) {
		err_msg("hooks: --call lists or watches static calls; it does not go with --steal");
		goto usage;
	}
	if (env.percpu && !env.steal) {
		err_msg("hooks: --percpu needs --steal");
		goto usage;
	}
	ret = env.steal ? hooks_steal_cmd(&env) : hooks_list_or_watch(&env);
	textfile_close(&env.c.tf);
	return ret;
usage:
	textfile_close(&env.c.tf);
	return EXIT_USAGE;
}
