/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pvtrace subcommands. */
#ifndef PVTRACE_COMMANDS_H
#define PVTRACE_COMMANDS_H

int cmd_latency(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_hooks(int argc, char **argv);
int hooks_latency_cmd(int argc, char **argv); /* latency --steal-clock/--sched-clock */
int cmd_vfio(int argc, char **argv);
int cmd_exits(int argc, char **argv);
int cmd_vhost(int argc, char **argv);
int cmd_patches(int argc, char **argv);
int cmd_results(int argc, char **argv); /* results import|list|query|export */
int cmd_compare(int argc, char **argv);
int cmd_dashboard(int argc, char **argv);

#endif
