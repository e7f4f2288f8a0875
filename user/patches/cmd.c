// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace patches: the code-patch sites of a kernel (ALTERNATIVE, static calls,
 * paravirt), which variant the running kernel executes at each, and runtime text pokes.
 * The command: options, --dump, and the order of the rest.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "cli.h"
#include "commands.h"
#include "kmem.h"
#include "ksyms.h"
#include "output.h"
#include "util.h"
#include "patches/patches.h"

static struct patches_opts env = { .top = 20 };

enum {
	OPT_VMLINUX = 0x100,
	OPT_LIVE,
	OPT_WATCH,
	OPT_SITES,
	OPT_FEATURE,
	OPT_FUNCTION,
	OPT_TOP,
	OPT_READ,
	OPT_DUMP,
	OPT_RELEASE,
};

static const char doc[] =
	"Code-patch sites of a kernel: every .altinstructions entry (ALTERNATIVE) with its\n"
	"function, feature bit, NOT/DIRECT_CALL flags and lengths, .static_call_sites and\n"
	".parainstructions, with summaries per feature and per function.\n"
	"\n"
	"--live reads the running kernel's text at each site (/proc/kcore, else\n"
	"bpf_probe_read_kernel; KASLR offset from /proc/kallsyms) and reports which variant\n"
	"runs there: each variant's bytes are computed the way boot writes them (NOP\n"
	"optimization, relocated calls and jumps, DIRECT_CALL targets from pv_ops, return\n"
	"thunks, uniprocessor lock prefixes, KASLR relocation) and compared exactly.\n"
	"--watch streams PERF_RECORD_TEXT_POKE records (static calls, jump labels, ftrace,\n"
	"kprobes, BPF trampolines); a kernel that patches no text at run time shows none.\n"
	"\n"
	"Examples:\n"
	"  pvtrace patches                          # vmlinux of the running kernel\n"
	"  pvtrace patches --vmlinux ./vmlinux --sites --feature XENPV\n"
	"  pvtrace patches --live                   # variant run at each site\n"
	"  pvtrace patches --live --json | jq .live.summary\n"
	"  pvtrace patches --watch                  # text pokes until Ctrl-C\n"
	"  pvtrace patches --dump __SCT__pv_sched_clock:16\n"
	"\n"
	"Without --vmlinux, looks for the vmlinux of the running kernel (or --release) where\n"
	"distributions put it (/usr/lib/debug/boot/vmlinux-RELEASE,\n"
	"/usr/lib/debug/lib/modules/RELEASE/vmlinux, /boot/vmlinux-RELEASE,\n"
	"/lib/modules/RELEASE/build/vmlinux); if none is there, names the Debian package\n"
	"that provides it (linux-image-RELEASE-dbg).\n"
	"Exit status: 0 ok, 1 runtime error (also: no vmlinux found, --live found a site\n"
	"matching no variant), 2 usage error (also: --vmlinux FILE is not a regular file\n"
	"holding an x86-64 Linux kernel image or module).";

static const struct cli_opt opts[] = {
	{ "vmlinux", OPT_VMLINUX, "FILE", "Kernel ELF to inspect (default: search, see above)" },
	{ "release", OPT_RELEASE, "RELEASE",
	  "Without --vmlinux: search for this kernel's vmlinux" },
	{ "live", OPT_LIVE, NULL, "Compare the running kernel's text with each site's variants" },
	{ "watch", OPT_WATCH, NULL, "Stream runtime text pokes (PERF_RECORD_TEXT_POKE)" },
	{ "duration", CLI_DURATION, "TIME", "--watch: stop after TIME (10, 10s, 500ms, 2m)" },
	{ "sites", OPT_SITES, NULL, "List every site (text output)" },
	{ "feature", OPT_FEATURE, "NAME", "Only sites with this feature (XENPV, X86_BUG_...)" },
	{ "function", OPT_FUNCTION, "NAME", "Only sites in this function" },
	{ "top", OPT_TOP, "N", "Rows of the per-function summary (default 20, 0: all)" },
	CLI_OPT_JSON(PATCHES_SCHEMA),
	{ "read", OPT_READ, "HOW", "Kernel memory reads: kcore or bpf (default: kcore if any)" },
	{ "dump", OPT_DUMP, "SYM[+OFF][:LEN]", "Print the running kernel's bytes at a symbol" },
	CLI_OPT_VERBOSE,
	{ NULL, 0, NULL, NULL },
};

static int parse_opt(void *ctx, int key, const char *arg, char *err, size_t len)
{
	(void)ctx;
	switch (key) {
	case OPT_VMLINUX:
		env.vmlinux = arg;
		break;
	case OPT_RELEASE:
		if (!*arg || strlen(arg) >= 65 || strchr(arg, '/') || arg[0] == '.' ||
		    strspn(arg, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				".+-_~") != strlen(arg)) {
			snprintf(err, len, "invalid kernel release '%.80s'", arg);
			return -1;
		}
		env.release = arg;
		break;
	case OPT_LIVE:
		env.live = true;
		break;
	case OPT_WATCH:
		env.watch = true;
		break;
	case OPT_SITES:
		env.sites = true;
		break;
	case OPT_FEATURE:
		env.feature = arg;
		break;
	case OPT_FUNCTION:
		env.function = arg;
		break;
	case OPT_TOP:
		if (!parse_u64(arg, &env.top)) {
			snprintf(err, len, "invalid count '%s'", arg);
			return -1;
		}
		break;
	case OPT_READ:
		if (!strcmp(arg, "kcore")) {
			env.read = READ_KCORE;
		} else if (!strcmp(arg, "bpf")) {
			env.read = READ_BPF;
		} else {
			snprintf(err, len, "invalid read method '%s' (kcore or bpf)", arg);
			return -1;
		}
		break;
	case OPT_DUMP:
		env.dump = arg;
		break;
	default:
		return CLI_UNHANDLED;
	}
	return 0;
}

static int do_dump(void)
{
	char sym[256], err[512], h[3 * KMEM_MAX_LEN + 1];
	const char *p = env.dump, *colon = strrchr(p, ':'), *plus;
	uint64_t addr, off = 0, len = 16;
	struct kmem r;
	uint8_t buf[KMEM_MAX_LEN];
	size_t n;
	int e;

	n = colon ? (size_t)(colon - p) : strlen(p);
	if (colon && (!parse_u64(colon + 1, &len) || !len || len > KMEM_MAX_LEN)) {
		err_msg("--dump: invalid length '%s' (1 to %d)", colon + 1, KMEM_MAX_LEN);
		return EXIT_USAGE;
	}
	if (n >= sizeof(sym) || !n) {
		err_msg("--dump: invalid symbol '%s'", p);
		return EXIT_USAGE;
	}
	memcpy(sym, p, n);
	sym[n] = 0;
	plus = strchr(sym, '+');
	if (plus) {
		char *end;

		errno = 0;
		off = strtoull(plus + 1, &end, 0);
		if (errno || *end || end == plus + 1) {
			err_msg("--dump: invalid offset '%s'", plus + 1);
			return EXIT_USAGE;
		}
		sym[plus - sym] = 0;
	}
	if (!strncmp(sym, "0x", 2)) {
		char *end;

		addr = strtoull(sym, &end, 16);
		if (*end) {
			err_msg("--dump: invalid address '%s'", sym);
			return EXIT_USAGE;
		}
	} else if ((e = ksym_lookup(sym, NULL, &addr))) {
		err_msg("--dump: %s: %s", sym,
			e == -ENOENT  ? "not in /proc/kallsyms"
			: e == -EPERM ? "addresses hidden (kptr_restrict): run as root"
				      : strerror(-e));
		return EXIT_RUNTIME;
	}
	addr += off;
	if (reader_open(&r, env.read, err, sizeof(err))) {
		err_msg("%s", err);
		return EXIT_RUNTIME;
	}
	e = kmem_read1(&r, addr, buf, len);
	if (e) {
		err_msg("--dump: reading %" PRIu64 " bytes at 0x%" PRIx64 " with %s failed: %s",
			len, addr, r.method == KMEM_KCORE ? "/proc/kcore" : "BPF", strerror(-e));
		kmem_close(&r);
		return EXIT_RUNTIME;
	}
	if (env.c.json) {
		json_object *d = json_doc_new(PATCHES_SCHEMA, "dump", false);
		json_object_object_add(d, "addr", json_hex_u64(addr));
		json_object_object_add(d, "method",
				       json_object_new_string(kmem_method_id(r.method)));
		json_object_object_add(
			d, "bytes", json_object_new_string(hex_str(buf, len, NULL, h, sizeof(h))));
		json_print_line(stdout, d);
		json_object_put(d);
	} else {
		printf("%016" PRIx64 " %s: %s\n", addr, env.dump,
		       hex_str(buf, len, " ", h, sizeof(h)));
	}
	kmem_close(&r);
	return 0;
}

/* options that do not go together: a one-line message, -1 */
static int check_args(void)
{
	if (env.dump && (env.live || env.watch || env.vmlinux || env.release)) {
		err_msg("patches: --dump goes alone (with --read or --json)");
		return -1;
	}
	if (env.release && env.vmlinux) {
		err_msg("patches: --release applies without --vmlinux");
		return -1;
	}
	if (env.c.duration_ns && !env.watch) {
		err_msg("patches: --duration applies to --watch");
		return -1;
	}
	return 0;
}

int cmd_patches(int argc, char **argv)
{
	static const struct cli cli = { .name = "pvtrace patches",
					.usage = "[OPTIONS]",
					.doc = doc,
					.opts = opts,
					.opt = parse_opt,
					.common = &env.c };
	struct inv *v = NULL;
	struct live L = { .r.fd = -1 };
	char err[1024];
	int ret;

	ret = cli_parse(&cli, argc, argv, NULL);
	if (ret)
		return ret == CLI_HELP ? 0 : ret;
	if (check_args())
		return EXIT_USAGE;
	libbpf_setup_logging();
	signals_install();
	if (env.dump)
		return do_dump();
	if (env.watch && !env.live && !env.vmlinux && !env.release && !env.sites && !env.feature &&
	    !env.function)
		return do_watch(&env);
	v = calloc(1, sizeof(*v));
	if (!v) {
		err_msg("out of memory");
		return EXIT_RUNTIME;
	}
	ret = inv_load(v, &env, err, sizeof(err));
	if (ret) {
		err_msg("%s", err);
		goto out;
	}
	ret = EXIT_RUNTIME;
	if (env.feature && kelf_feature_bit(&v->f, env.feature) < 0) {
		err_msg("patches: unknown feature '%s' for this kernel", env.feature);
		ret = EXIT_USAGE;
		goto out;
	}
	if (env.live) {
		if (live_run(v, &L, env.read, err, sizeof(err))) {
			err_msg("--live: %s", err);
			goto out;
		}
		kmem_close(&L.r); /* nothing stays loaded while printing */
	}
	if (env.c.json)
		print_json(v, env.live ? &L : NULL, &env);
	else
		print_text(v, env.live ? &L : NULL, &env);
	fflush(stdout);
	ret = 0;
	if (env.live && (L.n_neither || L.n_inconsistent || L.sc_bad || L.n_unread)) {
		err_msg("--live: %zu sites match no variant, %zu disagree with the feature bits, "
			"%zu unreadable, %zu static calls disagree with their key",
			L.n_neither, L.n_inconsistent, L.n_unread, L.sc_bad);
		ret = EXIT_RUNTIME;
	}
	if (env.watch && !exiting) {
		int r = do_watch(&env);

		if (r)
			ret = r;
	}
out:
	live_free(&L);
	if (v)
		inv_free(v);
	free(v);
	return ret;
}
