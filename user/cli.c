// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "util.h"

#define KEY_HELP 0x7ffe

static void print_help(const struct cli *c)
{
	printf("Usage: %s %s\n\n%s\n\nOptions:\n", c->name, c->usage, c->doc);
	for (const struct cli_opt *o = c->opts; o->name; o++) {
		char left[64];

		if (o->key < 0x100)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->key, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		printf("  %-26s %s\n", left, o->help);
	}
	printf("  %-26s %s\n", "-h, --help", "Show this help");
}

int cli_parse(const struct cli *c, int argc, char **argv, void *ctx)
{
	struct option *lo;
	char shorts[128] = ":h", err[256];
	size_t n = 0, sl = 2;
	int key, idx = 0, ret = 0;

	for (const struct cli_opt *o = c->opts; o->name; o++)
		n++;
	lo = calloc(n + 2, sizeof(*lo));
	if (!lo) {
		err_msg("out of memory");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < n; i++) {
		const struct cli_opt *o = &c->opts[i];

		lo[i] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL,
					 o->key };
		if (o->key < 0x100 && sl + 3 < sizeof(shorts)) {
			shorts[sl++] = o->key;
			if (o->arg)
				shorts[sl++] = ':';
		}
	}
	lo[n] = (struct option){ "help", no_argument, NULL, 'h' };
	shorts[sl] = 0;
	opterr = 0;
	optind = 1;
	while ((key = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const char *bad = argv[optind - 1];

		err[0] = 0;
		if (key == 'h') {
			print_help(c);
			ret = CLI_HELP;
			goto out;
		}
		if (key == '?') {
			if (optopt && optopt < 0x100)
				snprintf(err, sizeof(err), "unknown option '-%c'", optopt);
			else
				snprintf(err, sizeof(err), "unknown option '%s'", bad);
		} else if (key == ':') {
			snprintf(err, sizeof(err), "option '%s' needs an argument", bad);
		} else {
			int r = c->opt ? c->opt(ctx, key, optarg, err, sizeof(err)) : CLI_UNHANDLED;

			if (r == CLI_UNHANDLED && c->common)
				r = cli_common_opt(c->common, key, optarg, err, sizeof(err));
			if (r && !err[0])
				snprintf(err, sizeof(err), "invalid option '%s'", bad);
		}
		if (err[0]) {
			fprintf(stderr, "%s: %s (see --help)\n", c->name, err);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	for (int i = optind; i < argc; i++, idx++) {
		err[0] = 0;
		if (!c->arg && c->common && c->intervals)
			cli_interval_arg(c->common, idx, argv[i], err, sizeof(err));
		else if (!c->arg)
			snprintf(err, sizeof(err), "unexpected argument '%s'", argv[i]);
		else if (c->arg(ctx, idx, argv[i], err, sizeof(err)) && !err[0])
			snprintf(err, sizeof(err), "invalid argument '%s'", argv[i]);
		if (err[0]) {
			fprintf(stderr, "%s: %s (see --help)\n", c->name, err);
			ret = EXIT_USAGE;
			goto out;
		}
	}
out:
	free(lo);
	return ret;
}

int cli_common_opt(struct cli_common *c, int key, const char *arg, char *err, size_t len)
{
	unsigned int modes = c->modes ? c->modes
				      : (1u << ATTACH_FENTRY) | (1u << ATTACH_KPROBE) |
						(1u << ATTACH_TRACEPOINT);
	enum attach_mode m;

	switch (key) {
	case CLI_DURATION:
		if (!parse_duration_ns(arg, &c->duration_ns) || !c->duration_ns) {
			snprintf(err, len, "invalid duration '%s'", arg);
			return -1;
		}
		return 0;
	case CLI_UNIT:
		if (unit_parse(arg, &c->unit)) {
			snprintf(err, len, "invalid unit '%s' (ns, us or ms)", arg);
			return -1;
		}
		return 0;
	case CLI_JSON:
		c->json = true;
		return 0;
	case CLI_PROM:
		c->prom = arg;
		return 0;
	case CLI_PROM_KEEP:
		c->prom_keep = true;
		return 0;
	case CLI_PROM_BUCKETS:
		if (textfile_parse_buckets(arg, &c->buckets[0], &c->buckets[1], &c->buckets[2])) {
			snprintf(err, len,
				 "invalid --prom-buckets '%s' (LOW,HIGH[,FACTOR]: durations, "
				 "LOW < HIGH, factor 2, 4, 8 or 16)",
				 arg);
			return -1;
		}
		return 0;
	case CLI_MODE:
		if (attach_mode_parse(arg, &m) || m == ATTACH_AUTO || !(modes & (1u << m))) {
			char list[64] = "";

			for (int i = ATTACH_FENTRY; i < ATTACH_MODE_MAX; i++)
				if (modes & (1u << i))
					snprintf(list + strlen(list), sizeof(list) - strlen(list),
						 "%s%s", list[0] ? ", " : "", attach_mode_name(i));
			snprintf(err, len, "invalid mode '%s' (%s)", arg, list);
			return -1;
		}
		c->mode = m;
		return 0;
	case CLI_VERBOSE:
		verbose = true;
		return 0;
	default:
		return 1;
	}
}

int cli_interval_arg(struct cli_common *c, int index, const char *arg, char *err, size_t len)
{
	uint64_t v;

	if (index > 1) {
		snprintf(err, len, "unexpected argument '%s'", arg);
		return -1;
	}
	if (!parse_u64(arg, &v) || !v || (index == 0 && v > 86400)) {
		snprintf(err, len, "invalid %s '%s'", index ? "count" : "interval (seconds)", arg);
		return -1;
	}
	if (index == 0)
		c->interval_ns = v * 1000000000ULL;
	else
		c->count = v;
	return 0;
}

int cli_common_check(struct cli_common *c, const char *name)
{
	const char *command = strncmp(name, "pvtrace ", 8) ? name : name + 8;
	const int *b = c->buckets[0] ? c->buckets : c->default_buckets;
	char err[512];

	if (c->count && !c->interval_ns) {
		fprintf(stderr, "%s: COUNT needs an INTERVAL (see --help)\n", name);
		return EXIT_USAGE;
	}
	if ((c->prom_keep || c->buckets[0]) && !c->prom) {
		fprintf(stderr, "%s: --prom-keep and --prom-buckets need --prom (see --help)\n",
			name);
		return EXIT_USAGE;
	}
	if (!c->prom)
		return 0;
	if (textfile_open(&c->tf, c->prom, command, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", name, err);
		return EXIT_USAGE;
	}
	c->tf.keep = c->prom_keep;
	textfile_buckets(&c->tf, b[0], b[1], b[2]);
	return 0;
}

int cli_textfile_ready(struct cli_common *c)
{
	char err[512];

	if (!c->tf.path || c->tf.dirfd < 0 || !textfile_check_writable(&c->tf, err, sizeof(err)))
		return 0;
	err_msg("%s", err);
	return EXIT_USAGE;
}

uint64_t cli_prom_interval_ns(const struct cli_common *c)
{
	return c->prom && !c->interval_ns ? TEXTFILE_DEFAULT_INTERVAL_NS : 0;
}

int cli_check_pid(pid_t pid, char *err, size_t len)
{
	char path[64], buf[2048], *p;
	long tgid = -1;
	char state = 0;
	int n;

	if (pid <= 0) {
		snprintf(err, len, "invalid pid %d", (int)pid);
		return -1;
	}
	/* /proc/TID exists for every thread too (unlisted): Tgid tells which it is */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	n = read_file_str(path, buf, sizeof(buf));
	if (n == -ENOENT || n == -ESRCH || (n < 0 && kill(pid, 0) && errno == ESRCH)) {
		snprintf(err, len, "no such process: %d", (int)pid);
		return -1;
	}
	if (n < 0)
		return 0; /* no /proc here: nothing more to tell */
	p = strstr(buf, "\nState:\t");
	if (p)
		state = p[8];
	p = strstr(buf, "\nTgid:\t");
	if (p)
		tgid = strtol(p + 7, NULL, 10);
	if (tgid > 0 && tgid != pid) {
		snprintf(err, len, "PID %d is a thread of process %ld; use -p %ld", (int)pid, tgid,
			 tgid);
		return -1;
	}
	if (state == 'Z' || state == 'X') {
		snprintf(err, len, "process %d has exited (zombie)", (int)pid);
		return -1;
	}
	return 0;
}
