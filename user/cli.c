// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <getopt.h>
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
		} else if (c->opt(ctx, key, optarg, err, sizeof(err))) {
			if (!err[0])
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
		if (!c->arg)
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
