/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command-line parsing shared by all subcommands: --help text, one-line errors. */
#ifndef PVTRACE_CLI_H
#define PVTRACE_CLI_H

#include <stddef.h>

struct cli_opt {
	const char *name; /* long name */
	int key;	  /* short option character, or >= 0x100 for long only */
	const char *arg;  /* argument name, or NULL */
	const char *help;
};

/* Return 0, or write a message to err and return -1 (usage error). */
typedef int (*cli_opt_fn)(void *ctx, int key, const char *arg, char *err, size_t len);
typedef int (*cli_arg_fn)(void *ctx, int index, const char *arg, char *err, size_t len);

struct cli {
	const char *name;	    /* "pvtrace latency" */
	const char *usage;	    /* "--ioctl [OPTIONS] [INTERVAL [COUNT]]" */
	const char *doc;	    /* description and examples */
	const struct cli_opt *opts; /* terminated by { NULL } */
	cli_opt_fn opt;
	cli_arg_fn arg; /* positional arguments, or NULL for none */
};

#define CLI_HELP 1

/*
 * Parse argv. Returns 0 to go on, CLI_HELP after printing --help (exit 0),
 * or EXIT_USAGE after a one-line error on stderr.
 */
int cli_parse(const struct cli *c, int argc, char **argv, void *ctx);

#endif
