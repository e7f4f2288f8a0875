/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command-line parsing shared by all subcommands: --help text, one-line errors. */
#ifndef PVTRACE_CLI_H
#define PVTRACE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "attach.h"
#include "output.h"
#include "textfile.h"

struct cli_opt {
	const char *name; /* long name */
	int key;	  /* short option character, or >= 0x100 for long only */
	const char *arg;  /* argument name, or NULL */
	const char *help;
};

/*
 * Return 0, or write a message to err and return -1 (usage error), or return
 * CLI_UNHANDLED for a key the command leaves to the shared options.
 */
typedef int (*cli_opt_fn)(void *ctx, int key, const char *arg, char *err, size_t len);
#define CLI_UNHANDLED 1
typedef int (*cli_arg_fn)(void *ctx, int index, const char *arg, char *err, size_t len);

struct cli {
	const char *name;	    /* "pvtrace latency" */
	const char *usage;	    /* "--ioctl [OPTIONS] [INTERVAL [COUNT]]" */
	const char *doc;	    /* description and examples */
	const struct cli_opt *opts; /* terminated by { NULL } */
	cli_opt_fn opt;
	cli_arg_fn arg;		   /* positional arguments, or NULL */
	struct cli_common *common; /* shared options, or NULL */
	bool intervals;		   /* positional INTERVAL [COUNT] into common */
};

#define CLI_HELP 1 /* also after -V, --version */

/* "pvtrace VERSION" on stdout (-V, --version of every command and of pvtrace). */
void cli_print_version(void);

/* Options most commands share: list the ones a command takes with these macros. */
enum {
	CLI_DURATION = 'd',
	CLI_VERBOSE = 'v',
	CLI_UNIT = 0x7f00,
	CLI_JSON,
	CLI_PROM,
	CLI_MODE,
	CLI_PROM_KEEP,
	CLI_PROM_BUCKETS,
};

#define CLI_OPT_DURATION                                                                 \
	{                                                                                \
		"duration", CLI_DURATION, "TIME", "Stop after TIME (10, 10s, 500ms, 2m)" \
	}
#define CLI_OPT_UNIT(dflt)                                                                    \
	{                                                                                     \
		"unit", CLI_UNIT, "UNIT", "Text output unit: ns, us or ms (default " dflt ")" \
	}
#define CLI_OPT_JSON(schema)                                                              \
	{                                                                                 \
		"json", CLI_JSON, NULL, "JSON, one document per line (schema " schema ")" \
	}
/* --prom FILE and the options that shape the textfile (three entries) */
#define CLI_OPT_PROM                                                                      \
	{ "prom", CLI_PROM, "FILE",                                                       \
	  "Also write a Prometheus textfile (atomically; every 15 s without INTERVAL)" }, \
		{ "prom-keep", CLI_PROM_KEEP, NULL,                                       \
		  "Keep the textfile at exit (default: remove it, no frozen counters)" }, \
	{                                                                                 \
		"prom-buckets", CLI_PROM_BUCKETS, "LOW,HIGH[,FACTOR]",                    \
			"Textfile histogram buckets, e.g. 1us,16s,4 (powers of two)"      \
	}
#define CLI_OPT_MODE(modes)                                     \
	{                                                       \
		"mode", CLI_MODE, "MODE", "Attach mode: " modes \
	}
#define CLI_OPT_VERBOSE                                              \
	{                                                            \
		"verbose", CLI_VERBOSE, NULL, "Show libbpf messages" \
	}

struct cli_common {
	uint64_t duration_ns;
	uint64_t interval_ns; /* INTERVAL argument, 0 when absent */
	uint64_t count;	      /* COUNT argument, 0 when absent */
	enum time_unit unit;
	bool json;
	const char *prom;
	enum attach_mode mode; /* ATTACH_AUTO unless --mode */
	unsigned int modes;    /* modes --mode accepts, as 1 << mode; 0: all three */
	bool prom_keep;
	int buckets[3];		/* --prom-buckets as log2 lo, hi, step; lo 0: unset */
	int default_buckets[3]; /* the command's default range; lo 0: 2 ns .. 2^40 ns */
	struct textfile tf;	/* --prom, opened by cli_common_check() */
};

/* A shared option: 0, or -1 with a message in err; 1 when key is not a shared one. */
int cli_common_opt(struct cli_common *c, int key, const char *arg, char *err, size_t len);
/* The INTERVAL [COUNT] arguments. */
int cli_interval_arg(struct cli_common *c, int index, const char *arg, char *err, size_t len);
/*
 * After parsing: COUNT needs INTERVAL, --prom must be usable (its directory is
 * opened here). 0, or EXIT_USAGE after a message.
 */
int cli_common_check(struct cli_common *c, const char *name);
/* After dropping capabilities: the textfile can still be written. 0 or EXIT_USAGE. */
int cli_textfile_ready(struct cli_common *c);
/* How often a command reports when only --prom asks for it (no INTERVAL): 0 or 15 s. */
uint64_t cli_prom_interval_ns(const struct cli_common *c);

/*
 * -p PID: 0 when PID is a live process (a thread group leader), else -1 with a
 * one-line message in err ("no such process: PID", "PID 1235 is a thread of
 * process 1234; use -p 1234", a zombie): a usage error, exit EXIT_USAGE.
 */
int cli_check_pid(pid_t pid, char *err, size_t len);
/* -p's value: 0, or -1 with "invalid pid 'ARG'" in err. */
int cli_pid_opt(const char *arg, pid_t *pid, char *err, size_t len);
/*
 * -p PID once parsed (pid 0: none): cli_check_pid(), then *fd a pidfd that polls
 * readable when the process exits (-1 where the kernel has none, or without -p). 0, or
 * EXIT_USAGE after a one-line message.
 */
int cli_pid_target(pid_t pid, int *fd);
/* A name option (--vm, --device) of 1 to max bytes: 0, or -1 with "invalid WHAT '...'". */
int cli_name_opt(const char *what, const char *arg, size_t max, const char **dst, char *err,
		 size_t len);
/*
 * An integer option's value in lo..hi into *out: 0, or -1 with "invalid OPT 'ARG'
 * (LO..HI)" in err.
 */
int cli_int_opt(const char *opt, const char *arg, uint64_t lo, uint64_t hi, int *out, char *err,
		size_t len);

/*
 * Parse argv. Returns 0 to go on, CLI_HELP after printing --help or the version (exit 0),
 * or EXIT_USAGE after a one-line error on stderr.
 */
int cli_parse(const struct cli *c, int argc, char **argv, void *ctx);

#endif
