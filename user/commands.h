/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pvtrace subcommands. */
#ifndef PVTRACE_COMMANDS_H
#define PVTRACE_COMMANDS_H

int cmd_latency(int argc, char **argv);

#endif
