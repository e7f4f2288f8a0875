// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pvtrace patches: the code-patch sites of a kernel (ALTERNATIVE, static calls,
 * paravirt), which variant the running kernel executes at each, and runtime text pokes.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "cli.h"
#include "commands.h"
#include "kbtf.h"
#include "kelf.h"
#include "patches/altmodel.h"
#include "kmem.h"
#include "patches/kimage.h"
#include "patches/tables.h"
#include "patches/x86_decode.h"
#include "ksyms.h"
#include "output.h"
#include "util.h"

#define SCHEMA "pvtrace.patches/1"

enum read_mode { READ_AUTO, READ_KCORE, READ_BPF };

static struct env {
	const char *vmlinux, *release;
	bool live, watch, sites;
	const char *feature, *function, *dump;
	uint64_t top;
	enum read_mode read;
	struct cli_common c;
} env = { .top = 20 };

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
	CLI_OPT_JSON(SCHEMA),
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

static const char *hex(const uint8_t *p, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && o + 4 <= len; i++)
		o += snprintf(buf + o, len - o, "%s%02x", i ? " " : "", p[i]);
	return buf;
}

static const char *hexs(const uint8_t *p, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && o + 3 <= len; i++)
		o += snprintf(buf + o, len - o, "%02x", p[i]);
	return buf;
}

static json_object *json_addr(uint64_t a)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, a);
	return json_object_new_string(b);
}

/* --read: the kernel memory readers to try (kmem.h), kcore first where it exists */
static const enum kmem_method read_auto[] = { KMEM_KCORE, KMEM_TEST_RUN, KMEM_ITER };
static const enum kmem_method read_kcore[] = { KMEM_KCORE };
static const enum kmem_method read_bpf[] = { KMEM_TEST_RUN, KMEM_ITER };

static int reader_open(struct kmem *m, enum read_mode want, char *err, size_t len)
{
	const enum kmem_method *o = want == READ_KCORE ? read_kcore
				    : want == READ_BPF ? read_bpf
						       : read_auto;
	size_t n = want == READ_KCORE ? 1 : want == READ_BPF ? 2 : 3;

	return kmem_open(m, o, n, err, len);
}

static int read_ptr_cb(void *arg, uint64_t addr, uint64_t *val)
{
	return kmem_read_u64(arg, addr, val) ? -1 : 0;
}

/* --- the inventory ------------------------------------------------------------------ */

struct inv {
	char path[4096];
	struct kelf k;
	struct kelf_features f;
	struct btf *btf;
	const char *btf_origin; /* "the ELF's .BTF" or "the running kernel" */
	bool running;		/* the ELF is the running kernel (build id) */
	char running_why[256];
	struct kelf_alt_layout layout;
	struct kelf_alts alts;
	struct kelf_alt_site *sites;
	size_t nsites;
	struct kelf_feat_sum *fs;
	size_t nfs;
	struct kelf_func_sum *fn;
	size_t nfn;
	size_t in_repl_sec, ndirect, nnot, nfuncs;
	struct kelf_scall *scalls;
	size_t nscalls;
	bool has_para;
	struct kelf_para_layout play;
	struct kelf_para *paras;
	size_t nparas;
	uint64_t init_begin, init_end; /* freed after boot */
	uint64_t text, etext;
};

static void inv_free(struct inv *v)
{
	kelf_features_free(&v->f);
	btf__free(v->btf);
	kelf_alts_free(&v->alts);
	free(v->sites);
	free(v->fs);
	free(v->fn);
	free(v->scalls);
	free(v->paras);
	kelf_close(&v->k);
}

/* Does the ELF describe the running kernel? Compares GNU build ids. */
static bool is_running_kernel(const struct kelf *k, char *why, size_t len)
{
	uint8_t notes[4096], id[64];
	char a[130], b[130];
	int fd = open("/sys/kernel/notes", O_RDONLY | O_CLOEXEC), n;
	ssize_t r;

	if (fd < 0) {
		snprintf(why, len, "/sys/kernel/notes: %s", strerror(errno));
		return false;
	}
	r = read(fd, notes, sizeof(notes));
	close(fd);
	n = r > 0 ? kelf_notes_build_id(notes, r, id, sizeof(id)) : -1;
	if (n <= 0) {
		snprintf(why, len, "the running kernel has no build id in /sys/kernel/notes");
		return false;
	}
	if (!k->build_id_len) {
		snprintf(why, len, "the ELF has no build id");
		return false;
	}
	hexs(id, n, a, sizeof(a));
	kelf_build_id_hex(k, b, sizeof(b));
	if ((size_t)n != k->build_id_len || memcmp(id, k->build_id, n)) {
		snprintf(why, len, "build id %s, running kernel %s", b, a);
		return false;
	}
	snprintf(why, len, "build id %s", b);
	return true;
}

static bool site_wanted(const struct inv *v, const struct kelf_alt_site *s, int feat)
{
	if (env.function && (!s->func || strcmp(s->func->name, env.function)))
		return false;
	if (feat < 0)
		return true;
	for (size_t i = s->first; i < s->first + s->n; i++)
		if (v->alts.v[i].cpuid == feat)
			return true;
	return false;
}

static bool is_freed(const struct inv *v, uint64_t a)
{
	const struct kelf_sec *s;

	if (v->init_end > v->init_begin)
		return a >= v->init_begin && a < v->init_end;
	s = kelf_sec_at(&v->k, a);
	return s && (!strncmp(s->name, ".init", 5) || !strncmp(s->name, ".exit", 5) ||
		     !strcmp(s->name, ".altinstr_replacement"));
}

/* 0, or the exit status with a message in err */
static int inv_load(struct inv *v, char *err, size_t len)
{
	char why[800];
	const struct kelf_sym *s;

	if (env.vmlinux) {
		snprintf(v->path, sizeof(v->path), "%s", env.vmlinux);
	} else {
		struct utsname u;

		uname(&u);
		if (kimage_find_vmlinux(env.release ? env.release : u.release,
					!env.release || !strcmp(env.release, u.release), v->path,
					sizeof(v->path), err, len))
			return EXIT_RUNTIME;
	}
	/* a --vmlinux that is no kernel image is a bad argument; a found one, runtime */
	if (kelf_open(&v->k, v->path, err, len))
		return env.vmlinux ? EXIT_USAGE : EXIT_RUNTIME;
	if (kimage_identify(&v->k, why, sizeof(why))) {
		snprintf(err, len, "%.200s: %.800s", v->path, why);
		return env.vmlinux ? EXIT_USAGE : EXIT_RUNTIME;
	}
	v->running = is_running_kernel(&v->k, v->running_why, sizeof(v->running_why));
	kelf_features_load(&v->k, &v->f);
	/* struct alt_instr: the ELF's BTF, else the running kernel's (same build), else proved */
	v->btf = kelf_btf(&v->k);
	v->btf_origin = "the ELF's .BTF";
	if (!v->btf && v->running) {
		v->btf = btf__load_vmlinux_btf();
		if (libbpf_get_error(v->btf))
			v->btf = NULL;
		v->btf_origin = "the running kernel's BTF (same build id)";
	}
	if (kimage_alts(&v->k, v->btf, v->btf_origin, v->f.version, v->f.nbits, &v->layout,
			&v->alts, why, sizeof(why))) {
		snprintf(err, len, "%.200s: %.800s", v->path, why);
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < v->alts.n; i++) {
		const struct kelf_sec *rs = kelf_sec_at(&v->k, v->alts.v[i].repl);

		v->in_repl_sec += rs && !strcmp(rs->name, ".altinstr_replacement");
		v->ndirect += !!(v->alts.v[i].flags & ALT_FLAG_DIRECT_CALL);
		v->nnot += !!(v->alts.v[i].flags & ALT_FLAG_NOT);
	}
	if (kelf_alt_sites(&v->k, &v->alts, &v->sites, &v->nsites) ||
	    kelf_alt_summary(&v->alts, v->sites, v->nsites, &v->fs, &v->nfs, &v->fn, &v->nfn)) {
		snprintf(err, len, "out of memory");
		return EXIT_RUNTIME;
	}
	v->nfuncs = v->nfn;
	if (kelf_scalls_read(&v->k, &v->scalls, &v->nscalls, err, len))
		return EXIT_RUNTIME;
	kelf_para_layout(v->btf, &v->play);
	v->has_para = !kelf_region(&v->k, ".parainstructions", "__parainstructions",
				   "__parainstructions_end", &(uint64_t){ 0 }, &(uint64_t){ 0 });
	if (kelf_paras_read(&v->k, &v->play, &v->paras, &v->nparas, err, len))
		return EXIT_RUNTIME;
	s = kelf_sym(&v->k, "__init_begin");
	v->init_begin = s ? s->addr : 0;
	s = kelf_sym(&v->k, "__init_end");
	v->init_end = s ? s->addr : 0;
	s = kelf_sym(&v->k, "_text");
	v->text = s ? s->addr : 0;
	s = kelf_sym(&v->k, "_etext");
	v->etext = s ? s->addr : 0;
	return 0;
}

static const char *func_str(const struct inv *v, uint64_t a, char *buf, size_t len)
{
	const struct kelf_sym *s = kelf_func_at(&v->k, a);

	if (!s)
		snprintf(buf, len, "?");
	else if (a == s->addr)
		snprintf(buf, len, "%s", s->name);
	else
		snprintf(buf, len, "%s+0x%" PRIx64, s->name, a - s->addr);
	return buf;
}

static const char *entry_str(const struct inv *v, const struct kelf_alt *e, char *buf, size_t len)
{
	char nb[48];
	const char *n = kelf_feature_name(&v->f, e->cpuid, nb, sizeof(nb));

	snprintf(buf, len, "%s%s%s", e->flags & ALT_FLAG_NOT ? "!" : "", n,
		 e->flags & ALT_FLAG_DIRECT_CALL ? "[DIRECT_CALL]" : "");
	return buf;
}

/* A DIRECT_CALL site's pv_ops slot (call *disp(%rip)): link address and member name. */
static bool pv_slot(const struct inv *v, const struct kelf_alt_site *s, uint64_t *slot, char *name,
		    size_t len)
{
	const struct kelf_sym *pv = kelf_sym(&v->k, "pv_ops");
	uint8_t b[6];
	bool dc = false;

	for (size_t i = s->first; i < s->first + s->n; i++)
		dc |= !!(v->alts.v[i].flags & ALT_FLAG_DIRECT_CALL);
	if (!dc || s->len != 6 || kelf_read(&v->k, s->addr, b, 6) || b[0] != 0xff || b[1] != 0x15)
		return false;
	*slot = s->addr + 6 +
		(int64_t)(int32_t)((uint32_t)b[2] | b[3] << 8 | b[4] << 16 | (uint32_t)b[5] << 24);
	name[0] = 0;
	if (pv && v->btf && *slot >= pv->addr &&
	    !kbtf_member_path(v->btf, "paravirt_patch_template", *slot - pv->addr, name, len))
		return true;
	if (pv && *slot >= pv->addr)
		snprintf(name, len, "+%" PRIu64, *slot - pv->addr);
	return true;
}

static const char *key_name(const struct inv *v, uint64_t key)
{
	size_t lo = 0, hi = v->k.nsyms;

	/* keys are data: exact symbol at the address */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->k.syms[mid].addr < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < v->k.nsyms && v->k.syms[lo].addr == key; lo++)
		if (!strncmp(v->k.syms[lo].name, "__SCK__", 7))
			return v->k.syms[lo].name + 7;
	return lo < v->k.nsyms && v->k.syms[lo].addr == key ? v->k.syms[lo].name : "?";
}

/* --- live comparison ------------------------------------------------------------------ */

enum { LV_FREED = -1, LV_UNREAD = -2, LV_NEITHER = -3 };

struct site_live {
	int variant;	  /* >= 0: the variant run (0 original, i: entry i), or LV_* */
	int expected;	  /* from the feature bits, -1 unknown */
	uint32_t matches; /* bit per variant whose bytes equal the live text */
	bool consistent;
	uint8_t bytes[ALT_MAX_LEN];
	char why[128];
	uint64_t pv_target; /* DIRECT_CALL: the pv_ops slot's value */
};

struct scall_live {
	int state; /* 0 ok, LV_FREED, LV_UNREAD, LV_NEITHER */
	uint8_t bytes[6];
	uint64_t func; /* key's current target */
	char what[160];
};

struct live {
	struct kmem r;
	int64_t kaslr;
	bool have_caps;
	uint32_t caps[64];
	unsigned ncaps;
	char caps_src[160];
	int up; /* 1 uniprocessor lock prefixes, 0 SMP, -1 no .smp_locks */
	enum kmem_method method;
	uint64_t reads;
	uint64_t *rets;
	size_t nrets;
	int rethunk;
	uint64_t ret_thunk, return_thunk, its_thunk;
	size_t locks_checked;
	uint64_t *locks;
	size_t nlocks;
	struct site_live *sl;
	struct scall_live *cl;
	size_t n_freed, n_unread, n_neither, n_ambiguous, n_consistent, n_inconsistent;
	size_t n_by_variant[2]; /* original, a replacement */
	size_t sc_ok, sc_bad, sc_freed, sc_unread;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static bool in_any_site(const struct inv *v, uint64_t a)
{
	/* sites are in table order: linear, used for a few dozen samples */
	for (size_t i = 0; i < v->nsites; i++)
		if (a >= v->sites[i].addr && a - v->sites[i].addr < v->sites[i].len)
			return true;
	return false;
}

static bool cap_set(const struct live *L, unsigned bit)
{
	return bit / 32 < L->ncaps && (L->caps[bit / 32] >> (bit % 32) & 1);
}

/* A table of s32 self-relative addresses (.smp_locks, .return_sites), sorted. */
static size_t read_rel_table(struct inv *v, const char *sec, const char *start, const char *stop,
			     uint64_t **out)
{
	uint64_t table, size, a;
	const struct kelf_sec *s;
	size_t n = 0;

	*out = NULL;
	if (kelf_region(&v->k, sec, start, stop, &table, &size))
		return 0;
	s = kelf_sec_at(&v->k, table);
	if (!s || !s->data || size > s->size - (table - s->addr) || size / 4 > (1u << 24))
		return 0;
	*out = calloc(size / 4 + 1, sizeof(**out));
	if (!*out)
		return 0;
	for (size_t i = 0; i < size / 4; i++) {
		const uint8_t *p = s->data + (table - s->addr) + i * 4;
		int32_t off =
			(int32_t)((uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);

		a = table + i * 4 + off;
		if (off)
			(*out)[n++] = a;
	}
	qsort(*out, n, sizeof(**out), cmp_u64);
	return n;
}

/* .smp_locks: were lock prefixes patched to DS (uniprocessor boot)? */
static void live_locks(struct inv *v, struct live *L)
{
	size_t f0 = 0, ds = 0, n = 0;

	L->up = -1;
	L->nlocks = read_rel_table(v, ".smp_locks", "__smp_locks", "__smp_locks_end", &L->locks);
	if (!L->locks)
		return;
	/* alternatives_smp_unlock() only touches [_text, _etext) */
	for (size_t i = 0; i < L->nlocks; i++)
		if (L->locks[i] >= v->text && L->locks[i] < v->etext)
			L->locks[n++] = L->locks[i];
	L->nlocks = n;
	/* sample lock sites outside alternatives */
	for (size_t i = 0; i < L->nlocks && f0 + ds < 32; i += 1 + L->nlocks / 64) {
		uint8_t b, elf;

		if (in_any_site(v, L->locks[i]) || kelf_read(&v->k, L->locks[i], &elf, 1) ||
		    elf != 0xf0 || kmem_read1(&L->r, L->locks[i] + L->kaslr, &b, 1))
			continue;
		f0 += b == 0xf0;
		ds += b == 0x3e;
	}
	L->locks_checked = f0 + ds;
	L->up = ds && !f0 ? 1 : 0;
}

/* apply_returns(): what the return thunk sites hold depends on RETHUNK, x86_return_thunk */
static void live_returns(struct inv *v, struct live *L)
{
	const struct kelf_sym *rt = kelf_sym(&v->k, "__x86_return_thunk");
	const struct kelf_sym *var = kelf_sym(&v->k, "x86_return_thunk");
	const struct kelf_sym *its = kelf_sym(&v->k, "its_return_thunk");
	int b = kelf_feature_bit(&v->f, "X86_FEATURE_RETHUNK");

	L->nrets = read_rel_table(v, ".return_sites", "__return_sites", "__return_sites_end",
				  &L->rets);
	if (!L->nrets)
		return;
	L->ret_thunk = rt ? rt->addr : 0;
	L->its_thunk = its ? its->addr + L->kaslr : 0;
	L->rethunk = L->have_caps && b >= 0 ? cap_set(L, b) : -1;
	if (!var || read_ptr_cb(&L->r, var->addr + L->kaslr, &L->return_thunk))
		L->rethunk = L->rethunk == 1 ? -1 : L->rethunk; /* target unknown */
}

/* boot_cpu_data.x86_capability: the feature bits apply_alternatives() tested */
static void live_caps(struct inv *v, struct live *L)
{
	const struct kelf_sym *s = kelf_sym(&v->k, "boot_cpu_data");
	uint32_t off, size;

	if (!s || !v->btf || kbtf_member(v->btf, "cpuinfo_x86", "x86_capability", &off, &size) ||
	    size % 4 || size > sizeof(L->caps)) {
		snprintf(L->caps_src, sizeof(L->caps_src),
			 "unknown (needs boot_cpu_data in the symbol table and BTF)");
		return;
	}
	if (kmem_read1(&L->r, s->addr + off + L->kaslr, L->caps, size)) {
		snprintf(L->caps_src, sizeof(L->caps_src), "unreadable");
		return;
	}
	L->ncaps = size / 4;
	L->have_caps = true;
	snprintf(L->caps_src, sizeof(L->caps_src), "boot_cpu_data.x86_capability (%u words)",
		 L->ncaps);
}

static void classify(struct inv *v, struct live *L, const struct alt_model *m, size_t i)
{
	const struct kelf_alt_site *s = &v->sites[i];
	struct site_live *sl = &L->sl[i];
	uint8_t img[ALT_MAX_LEN];
	int nmatch = 0, first = -1;

	for (size_t var = 0; var <= s->n && var < 32; var++) {
		char why[128];

		if (alt_site_image(&v->k, &v->alts, s, var, m, img, why, sizeof(why))) {
			if (!sl->why[0])
				snprintf(sl->why, sizeof(sl->why),
					 "variant %zu not modelled: %.80s", var, why);
			continue;
		}
		if (!memcmp(img, sl->bytes, s->len)) {
			sl->matches |= 1u << var;
			if (first < 0)
				first = var;
			nmatch++;
		}
	}
	if (!nmatch) {
		sl->variant = LV_NEITHER;
		L->n_neither++;
		return;
	}
	sl->variant = first;
	if (nmatch > 1) {
		/* identical bytes: the feature bits say which one ran */
		L->n_ambiguous++;
		if (sl->expected >= 0 && (sl->matches >> sl->expected & 1))
			sl->variant = sl->expected;
	}
	L->n_by_variant[sl->variant > 0]++;
	if (sl->expected >= 0) {
		sl->consistent = sl->matches >> sl->expected & 1;
		L->n_consistent += sl->consistent;
		L->n_inconsistent += !sl->consistent;
	}
}

static void live_sites(struct inv *v, struct live *L)
{
	struct alt_model m = { .kaslr = L->kaslr,
			       .read_ptr = read_ptr_cb,
			       .arg = &L->r,
			       .locks = L->locks,
			       .nlocks = L->nlocks,
			       .up = L->up == 1,
			       .rets = L->rets,
			       .nrets = L->nrets,
			       .ret_thunk = L->ret_thunk,
			       .rethunk = L->rethunk,
			       .return_thunk = L->return_thunk,
			       .its_thunk = L->its_thunk };
	const struct kelf_sym *nf = kelf_sym(&v->k, "nop_func"), *end = kelf_sym(&v->k, "_end");
	struct kmem_req *q = calloc(v->nsites + 1, sizeof(*q));
	size_t *idx = calloc(v->nsites + 1, sizeof(*idx)), nq = 0;

	m.nop_func = nf ? nf->addr + L->kaslr : 0;
	m.image_lo = v->text;
	m.image_hi = end ? end->addr : v->etext;
	if (!kelf_region(&v->k, ".data..percpu", "__per_cpu_start", "__per_cpu_end", &m.percpu_lo,
			 &m.percpu_hi) &&
	    !m.percpu_lo)
		m.percpu_hi += m.percpu_lo; /* zero-based per-CPU area (x86_64 SMP) */
	else
		m.percpu_lo = m.percpu_hi = 0;
	L->sl = calloc(v->nsites + 1, sizeof(*L->sl));
	if (!q || !idx || !L->sl)
		goto out;
	for (size_t i = 0; i < v->nsites; i++) {
		const struct kelf_alt_site *s = &v->sites[i];

		L->sl[i].expected =
			L->have_caps ? (int)alt_site_expected(&v->alts, s, L->caps, L->ncaps) : -1;
		if (is_freed(v, s->addr)) {
			L->sl[i].variant = LV_FREED;
			L->n_freed++;
		} else if (s->len) {
			idx[nq] = i;
			q[nq++] = (struct kmem_req){ .addr = s->addr + L->kaslr,
						     .len = s->len,
						     .buf = L->sl[i].bytes };
		}
	}
	if (kmem_read(&L->r, q, nq))
		for (size_t j = 0; j < nq; j++)
			q[j].err = -EIO;
	for (size_t j = 0; j < nq; j++) {
		if (!q[j].err)
			continue;
		L->sl[idx[j]].variant = LV_UNREAD;
		snprintf(L->sl[idx[j]].why, sizeof(L->sl[idx[j]].why), "read failed: %s",
			 strerror(-q[j].err));
		L->n_unread++;
	}
	for (size_t i = 0; i < v->nsites; i++) {
		uint64_t slot;
		char name[8];

		if (L->sl[i].variant == 0)
			classify(v, L, &m, i);
		if (L->sl[i].variant != LV_FREED && pv_slot(v, &v->sites[i], &slot, name, 0) &&
		    read_ptr_cb(&L->r, slot + L->kaslr, &L->sl[i].pv_target))
			L->sl[i].pv_target = 0;
	}
out:
	free(q);
	free(idx);
}

/* Static call sites: the instruction must be what __static_call_transform() writes for
 * the key's current target. */
static void live_scalls(struct inv *v, struct live *L)
{
	const struct kelf_sym *r0 = kelf_sym(&v->k, "__static_call_return0");
	const struct kelf_sym *rt = kelf_sym(&v->k, "__static_call_return");
	const struct kelf_sym *thunk = kelf_sym(&v->k, "x86_return_thunk");
	struct kmem_req *q = calloc(2 * v->nscalls + 1, sizeof(*q));
	uint8_t(*keys)[8] = calloc(v->nscalls + 1, 8);
	size_t nq = 0;
	int rethunk = -1;

	L->cl = calloc(v->nscalls + 1, sizeof(*L->cl));
	if (!q || !keys || !L->cl)
		goto out;
	if (L->have_caps) {
		int b = kelf_feature_bit(&v->f, "X86_FEATURE_RETHUNK");

		rethunk = b >= 0 ? cap_set(L, b) : -1;
	}
	for (size_t i = 0; i < v->nscalls; i++) {
		if (is_freed(v, v->scalls[i].addr)) {
			L->cl[i].state = LV_FREED;
			continue;
		}
		q[nq++] = (struct kmem_req){ .addr = v->scalls[i].addr + L->kaslr,
					     .len = 6,
					     .buf = L->cl[i].bytes };
		q[nq++] = (struct kmem_req){ .addr = v->scalls[i].key + L->kaslr,
					     .len = 8,
					     .buf = keys[i] };
	}
	if (kmem_read(&L->r, q, nq))
		for (size_t j = 0; j < nq; j++)
			q[j].err = -EIO;
	for (size_t i = 0, j = 0; i < v->nscalls; i++) {
		struct scall_live *c = &L->cl[i];
		uint64_t site = v->scalls[i].addr + L->kaslr, func, tgt;
		const uint8_t *b = c->bytes;
		bool ok = false;

		if (c->state == LV_FREED) {
			L->sc_freed++;
			continue;
		}
		if (q[j].err || q[j + 1].err) {
			c->state = LV_UNREAD;
			L->sc_unread++;
			j += 2;
			continue;
		}
		j += 2;
		memcpy(&func, keys[i], 8);
		c->func = func;
		tgt = site + 5 +
		      (int64_t)(int32_t)((uint32_t)b[1] | b[2] << 8 | b[3] << 16 |
					 (uint32_t)b[4] << 24);
		if (b[0] == 0xe8) {
			snprintf(c->what, sizeof(c->what), "call 0x%" PRIx64, tgt);
			ok = !v->scalls[i].tail && func && tgt == func;
		} else if (b[0] == 0xe9) {
			snprintf(c->what, sizeof(c->what), "jmp 0x%" PRIx64, tgt);
			ok = v->scalls[i].tail &&
			     ((func && tgt == func) ||
			      (!func && thunk && rethunk != 0 && tgt == thunk->addr + L->kaslr));
		} else if (b[0] == 0x0f && (b[1] & 0xf0) == 0x80) {
			uint64_t t6 = site + 6 +
				      (int64_t)(int32_t)((uint32_t)b[2] | b[3] << 8 | b[4] << 16 |
							 (uint32_t)b[5] << 24);

			tgt = t6;
			snprintf(c->what, sizeof(c->what), "jcc 0x%" PRIx64, tgt);
			ok = v->scalls[i].tail && ((func && tgt == func) ||
						   (!func && ((rt && tgt == rt->addr + L->kaslr) ||
							      (thunk && rethunk != 0 &&
							       tgt == thunk->addr + L->kaslr))));
		} else if (!memcmp(b, "\x0f\x1f\x44\x00\x00", 5)) {
			snprintf(c->what, sizeof(c->what), "nop (no target)");
			ok = !v->scalls[i].tail && !func;
		} else if (!memcmp(b, "\x2e\x2e\x2e\x31\xc0", 5)) {
			snprintf(c->what, sizeof(c->what), "xor %%eax,%%eax (return 0)");
			ok = !v->scalls[i].tail && r0 && func == r0->addr + L->kaslr;
		} else if (!memcmp(b, "\xc3\xcc\xcc\xcc\xcc", 5)) {
			snprintf(c->what, sizeof(c->what), "ret");
			ok = v->scalls[i].tail && !func && rethunk != 1;
		} else {
			char h[32];

			snprintf(c->what, sizeof(c->what), "unexpected bytes %s",
				 hex(b, 5, h, sizeof(h)));
		}
		c->state = ok ? 0 : LV_NEITHER;
		L->sc_ok += ok;
		L->sc_bad += !ok;
	}
out:
	free(q);
	free(keys);
}

static int live_run(struct inv *v, struct live *L, char *err, size_t len)
{
	const struct kelf_sym *t = kelf_sym(&v->k, "_text");
	uint64_t ktext;
	int e;

	if (!v->running) {
		snprintf(err, len, "%.500s is not the running kernel's vmlinux (%.250s)", v->path,
			 v->running_why);
		return -1;
	}
	if (!t) {
		snprintf(err, len, "%.500s has no _text symbol: cannot compute the KASLR offset",
			 v->path);
		return -1;
	}
	e = ksym_lookup("_text", "", &ktext);
	if (e) {
		snprintf(err, len, "cannot read _text from /proc/kallsyms (%s)",
			 e == -EPERM ? "addresses hidden: kptr_restrict, run as root"
				     : strerror(-e));
		return -1;
	}
	L->kaslr = (int64_t)(ktext - t->addr);
	if (reader_open(&L->r, env.read, err, len))
		return -1;
	L->method = L->r.method;
	live_caps(v, L);
	live_locks(v, L);
	live_returns(v, L);
	live_sites(v, L);
	live_scalls(v, L);
	L->reads = L->r.reads;
	return 0;
}

static void live_free(struct live *L)
{
	kmem_close(&L->r);
	free(L->locks);
	free(L->rets);
	free(L->sl);
	free(L->cl);
}

/* --- text output ---------------------------------------------------------------------- */

static const char *variant_str(const struct inv *v, const struct kelf_alt_site *s, int var,
			       char *buf, size_t len)
{
	char eb[96];

	if (var == 0)
		snprintf(buf, len, "original");
	else if (var > 0 && (size_t)var <= s->n)
		snprintf(buf, len, "replacement %d (%s)", var,
			 entry_str(v, &v->alts.v[s->first + var - 1], eb, sizeof(eb)));
	else if (var == LV_FREED)
		snprintf(buf, len, "freed (init text)");
	else if (var == LV_UNREAD)
		snprintf(buf, len, "unreadable");
	else
		snprintf(buf, len, "NEITHER");
	return buf;
}

static void print_site(const struct inv *v, const struct live *L, size_t i)
{
	const struct kelf_alt_site *s = &v->sites[i];
	char fb[160], eb[96], vb[160], pv[96];
	uint64_t slot;

	printf("  %016" PRIx64 "  %-40s %3u ", s->addr, func_str(v, s->addr, fb, sizeof(fb)),
	       s->len);
	for (size_t j = 0; j < s->n; j++) {
		const struct kelf_alt *e = &v->alts.v[s->first + j];

		printf("%s%s:%u", j ? " | " : " ", entry_str(v, e, eb, sizeof(eb)), e->repllen);
	}
	if (pv_slot(v, s, &slot, pv, sizeof(pv)))
		printf(" pv_ops%s%s", pv[0] == '+' ? "" : ".", pv);
	if (L && L->sl) {
		const struct site_live *sl = &L->sl[i];

		if (sl->pv_target)
			printf(" = %s", func_str(v, sl->pv_target - L->kaslr, fb, sizeof(fb)));
		printf("  -> %s", variant_str(v, s, sl->variant, vb, sizeof(vb)));
		if (sl->variant >= 0 && sl->expected >= 0 && !sl->consistent)
			printf(" [feature bits say %s]",
			       variant_str(v, s, sl->expected, vb, sizeof(vb)));
	}
	printf("\n");
}

static void print_text(struct inv *v, struct live *L)
{
	char b[160], fb[160];
	int feat = env.feature ? kelf_feature_bit(&v->f, env.feature) : -1;
	size_t resident = 0, shown = 0, tails = 0, keys = 0;

	printf("vmlinux %s: Linux %s, build id %s%s\n", v->path,
	       v->f.version[0] ? v->f.version : "(unknown version)",
	       v->k.build_id_len ? kelf_build_id_hex(&v->k, b, sizeof(b)) : "(none)",
	       v->running ? " (the running kernel)" : "");
	printf("struct alt_instr: %s\n", v->layout.source);
	printf("feature names: %s\n", v->f.source);
	for (size_t i = 0; i < v->nsites; i++)
		resident += !is_freed(v, v->sites[i].addr);
	printf("\n.altinstructions: %zu entries at %zu sites in %zu functions (%zu sites "
	       "resident, %zu in init text freed after boot)\n",
	       v->alts.n, v->nsites, v->nfuncs, resident, v->nsites - resident);
	printf("  %zu NOT, %zu DIRECT_CALL; %zu of %zu replacements in .altinstr_replacement\n",
	       v->nnot, v->ndirect, v->in_repl_sec, v->alts.n);
	if (!v->has_para && v->ndirect)
		printf(".parainstructions: none: this kernel makes paravirt calls ALTERNATIVE "
		       "sites "
		       "with DIRECT_CALL (%zu)\n",
		       v->ndirect);
	else if (!v->has_para)
		printf(".parainstructions: none\n");
	else
		printf(".parainstructions: %zu sites; layout %s\n", v->nparas, v->play.source);
	{
		uint64_t *k = calloc(v->nscalls + 1, sizeof(*k));

		for (size_t i = 0; i < v->nscalls; i++) {
			tails += v->scalls[i].tail;
			if (k)
				k[i] = v->scalls[i].key;
		}
		if (k) {
			qsort(k, v->nscalls, sizeof(*k), cmp_u64);
			for (size_t i = 0; i < v->nscalls; i++)
				keys += !i || k[i] != k[i - 1];
		}
		free(k);
	}
	printf(".static_call_sites: %zu sites of %zu keys (%zu tail calls)\n", v->nscalls, keys,
	       tails);

	printf("\nPer feature%s:\n  %-36s %8s %6s %7s %6s%s\n",
	       L ? " (APPLIED: entries whose replacement the running kernel runs)" : "", "FEATURE",
	       "ENTRIES", "NOT", "DIRECT", "FUNCS", L ? "  APPLIED" : "");
	for (size_t i = 0; i < v->nfs; i++) {
		size_t applied = 0;

		for (size_t j = 0; L && L->sl && j < v->nsites; j++) {
			int var = L->sl[j].variant;

			applied += var > 0 &&
				   v->alts.v[v->sites[j].first + var - 1].cpuid == v->fs[i].bit;
		}
		printf("  %-36s %8zu %6zu %7zu %6zu",
		       kelf_feature_name(&v->f, v->fs[i].bit, b, sizeof(b)), v->fs[i].entries,
		       v->fs[i].not_flag, v->fs[i].direct_call, v->fs[i].functions);
		if (L)
			printf("  %7zu", applied);
		printf("\n");
	}
	printf("\nPer function (%s%zu by entries):\n  %-44s %8s %6s %8s\n",
	       env.top && env.top < v->nfn ? "top " : "all ",
	       env.top && env.top < v->nfn ? (size_t)env.top : v->nfn, "FUNCTION", "ENTRIES",
	       "SITES", "FEATURES");
	for (size_t i = 0; i < v->nfn && (!env.top || i < env.top); i++)
		printf("  %-44s %8zu %6zu %8zu\n", v->fn[i].name, v->fn[i].entries, v->fn[i].sites,
		       v->fn[i].features);

	if (L) {
		printf("\nLive: %s, KASLR offset 0x%" PRIx64 ", read with %s\n", v->running_why,
		       (uint64_t)L->kaslr, kmem_method_name(L->method));
		printf("  feature bits: %s\n", L->caps_src);
		if (L->up >= 0)
			printf("  lock prefixes: %s (%zu .smp_locks sites sampled)\n",
			       L->up ? "uniprocessor, patched to DS" : "SMP, lock",
			       L->locks_checked);
		if (L->nrets)
			printf("  return thunks: %zu .return_sites; X86_FEATURE_RETHUNK %s\n",
			       L->nrets,
			       L->rethunk < 0 ? "unknown"
			       : L->rethunk   ? "set"
					      : "clear (ret)");
		printf("  ALTERNATIVE sites: %zu resident, %zu freed\n", v->nsites - L->n_freed,
		       L->n_freed);
		printf("    original     %6zu\n    replacement  %6zu\n    NEITHER      %6zu\n",
		       L->n_by_variant[0], L->n_by_variant[1], L->n_neither);
		printf("    ambiguous    %6zu (several variants have the same bytes)\n",
		       L->n_ambiguous);
		if (L->n_unread)
			printf("    UNREADABLE   %6zu\n", L->n_unread);
		if (L->have_caps)
			printf("    consistent with the feature bits: %zu of %zu\n",
			       L->n_consistent, L->n_consistent + L->n_inconsistent);
		printf("  static call sites: %zu resident: %zu match their key's target, %zu do "
		       "not, %zu unreadable; %zu freed\n",
		       v->nscalls - L->sc_freed, L->sc_ok, L->sc_bad, L->sc_unread, L->sc_freed);
		for (size_t i = 0; L->sl && i < v->nsites; i++) {
			const struct site_live *sl = &L->sl[i];
			char h[3 * ALT_MAX_LEN + 1];

			if (sl->variant != LV_NEITHER && sl->variant != LV_UNREAD &&
			    (sl->variant < 0 || sl->expected < 0 || sl->consistent))
				continue;
			printf("  %s at %016" PRIx64 " %s: live %s%s%s\n",
			       sl->variant == LV_NEITHER  ? "NEITHER"
			       : sl->variant == LV_UNREAD ? "UNREADABLE"
							  : "INCONSISTENT",
			       v->sites[i].addr, func_str(v, v->sites[i].addr, fb, sizeof(fb)),
			       hex(sl->bytes, v->sites[i].len, h, sizeof(h)),
			       sl->why[0] ? "; " : "", sl->why);
		}
		for (size_t i = 0; L->cl && i < v->nscalls; i++)
			if (L->cl[i].state == LV_NEITHER)
				printf("  static call %s at %016" PRIx64
				       " %s: %s, key target 0x%" PRIx64 "\n",
				       key_name(v, v->scalls[i].key), v->scalls[i].addr,
				       func_str(v, v->scalls[i].addr, fb, sizeof(fb)),
				       L->cl[i].what, L->cl[i].func);
	}
	if (env.sites || env.feature || env.function) {
		printf("\nSites (ADDRESS FUNCTION LEN FEATURE:REPLLEN...%s):\n",
		       L ? " -> VARIANT RUN" : "");
		for (size_t i = 0; i < v->nsites; i++) {
			if (!site_wanted(v, &v->sites[i], feat))
				continue;
			print_site(v, L, i);
			shown++;
		}
		printf("  (%zu sites)\n", shown);
		if (env.sites && !env.feature) {
			printf("\nStatic call sites (ADDRESS FUNCTION KEY%s):\n",
			       L ? " -> INSTRUCTION" : "");
			for (size_t i = 0; i < v->nscalls; i++) {
				if (env.function &&
				    strcmp(func_str(v, v->scalls[i].addr, fb, sizeof(fb)),
					   env.function) &&
				    (!kelf_func_at(&v->k, v->scalls[i].addr) ||
				     strcmp(kelf_func_at(&v->k, v->scalls[i].addr)->name,
					    env.function)))
					continue;
				printf("  %016" PRIx64 "  %-40s %s%s", v->scalls[i].addr,
				       func_str(v, v->scalls[i].addr, fb, sizeof(fb)),
				       key_name(v, v->scalls[i].key),
				       v->scalls[i].tail ? " (tail)" : "");
				if (L && L->cl)
					printf("  -> %s", L->cl[i].state == LV_FREED ? "freed"
							  : L->cl[i].state == LV_UNREAD
								  ? "unreadable"
								  : L->cl[i].what);
				printf("\n");
			}
		}
		if (v->nparas && env.sites) {
			printf("\n.parainstructions (ADDRESS FUNCTION TYPE LEN):\n");
			for (size_t i = 0; i < v->nparas; i++) {
				char path[128] = "";

				if (v->btf)
					kbtf_member_path(v->btf, "paravirt_patch_template",
							 v->paras[i].type * 8, path, sizeof(path));
				printf("  %016" PRIx64 "  %-40s %u%s%s %u\n", v->paras[i].addr,
				       func_str(v, v->paras[i].addr, fb, sizeof(fb)),
				       v->paras[i].type, path[0] ? " pv_ops." : "", path,
				       v->paras[i].len);
			}
		}
	}
}

/* --- JSON output --------------------------------------------------------------------- */

static json_object *json_variant(const struct inv *v, const struct kelf_alt_site *s, int var)
{
	json_object *o = json_object_new_object();

	if (var == 0) {
		json_object_object_add(o, "variant", json_object_new_string("original"));
	} else if (var > 0) {
		const struct kelf_alt *e = &v->alts.v[s->first + var - 1];
		char nb[48];

		json_object_object_add(o, "variant", json_object_new_string("replacement"));
		json_object_object_add(o, "entry", json_object_new_int(var - 1));
		json_object_object_add(o, "not", json_object_new_boolean(e->flags & ALT_FLAG_NOT));
		json_object_object_add(
			o, "feature",
			json_object_new_string(kelf_feature_name(&v->f, e->cpuid, nb, sizeof(nb))));
	} else {
		json_object_object_add(o, "variant",
				       json_object_new_string(var == LV_FREED	 ? "freed"
							      : var == LV_UNREAD ? "unreadable"
										 : "neither"));
	}
	return o;
}

static json_object *json_site(const struct inv *v, const struct live *L, size_t i)
{
	const struct kelf_alt_site *s = &v->sites[i];
	const struct kelf_sym *fs = s->func;
	json_object *o = json_object_new_object(), *es = json_object_new_array();
	char nb[48], h[2 * ALT_MAX_LEN + 1], pv[96];
	uint64_t slot;
	const struct kelf_sec *sec = kelf_sec_at(&v->k, s->addr);

	json_object_object_add(o, "addr", json_addr(s->addr));
	json_object_object_add(o, "function", fs ? json_object_new_string(fs->name) : NULL);
	json_object_object_add(o, "offset", fs ? json_u64(s->addr - fs->addr) : NULL);
	/* false: past the symbol's size (code without a symbol of its own) */
	json_object_object_add(o, "in_function",
			       json_object_new_boolean(fs && (fs->type != STT_FUNC || !fs->size ||
							      s->addr - fs->addr < fs->size)));
	json_object_object_add(o, "section", json_object_new_string(sec ? sec->name : "?"));
	json_object_object_add(o, "len", json_object_new_int(s->len));
	json_object_object_add(o, "resident", json_object_new_boolean(!is_freed(v, s->addr)));
	for (size_t j = 0; j < s->n; j++) {
		const struct kelf_alt *e = &v->alts.v[s->first + j];
		json_object *x = json_object_new_object();

		json_object_object_add(
			x, "feature",
			json_object_new_string(kelf_feature_name(&v->f, e->cpuid, nb, sizeof(nb))));
		json_object_object_add(x, "bit", json_object_new_int(e->cpuid));
		json_object_object_add(x, "cpuinfo",
				       e->cpuid < X86_MAX_FEATURE_BITS && v->f.cpuinfo[e->cpuid]
					       ? json_object_new_string(v->f.cpuinfo[e->cpuid])
					       : NULL);
		json_object_object_add(x, "not", json_object_new_boolean(e->flags & ALT_FLAG_NOT));
		json_object_object_add(x, "direct_call",
				       json_object_new_boolean(e->flags & ALT_FLAG_DIRECT_CALL));
		json_object_object_add(x, "flags", json_object_new_int(e->flags));
		json_object_object_add(x, "instrlen", json_object_new_int(e->instrlen));
		json_object_object_add(x, "replacementlen", json_object_new_int(e->repllen));
		json_object_object_add(x, "replacement", json_addr(e->repl));
		json_object_array_add(es, x);
	}
	json_object_object_add(o, "entries", es);
	if (pv_slot(v, s, &slot, pv, sizeof(pv))) {
		json_object_object_add(o, "pv_op", json_object_new_string(pv));
		json_object_object_add(o, "pv_slot", json_addr(slot));
	}
	if (L && L->sl) {
		const struct site_live *sl = &L->sl[i];
		json_object *lv = json_variant(v, s, sl->variant), *m = json_object_new_array();

		if (sl->variant != LV_FREED)
			json_object_object_add(
				lv, "bytes",
				json_object_new_string(hexs(sl->bytes, s->len, h, sizeof(h))));
		for (size_t var = 0; var <= s->n && var < 32; var++)
			if (sl->matches >> var & 1)
				json_object_array_add(m, json_object_new_int(var));
		json_object_object_add(lv, "matches", m);
		json_object_object_add(lv, "expected",
				       sl->expected >= 0 ? json_variant(v, s, sl->expected) : NULL);
		json_object_object_add(lv, "consistent",
				       sl->variant >= 0 && sl->expected >= 0
					       ? json_object_new_boolean(sl->consistent)
					       : NULL);
		if (sl->why[0] && sl->variant == LV_NEITHER)
			json_object_object_add(lv, "note", json_object_new_string(sl->why));
		if (sl->pv_target) {
			json_object_object_add(lv, "pv_target", json_addr(sl->pv_target));
			json_object_object_add(
				lv, "pv_target_symbol",
				json_object_new_string(
					func_str(v, sl->pv_target - L->kaslr, pv, sizeof(pv))));
		}
		json_object_object_add(o, "live", lv);
	}
	return o;
}

static void print_json(struct inv *v, struct live *L)
{
	json_object *d = json_doc_new(SCHEMA, "inventory", false), *alt = json_object_new_object();
	json_object *sites = json_object_new_array(), *bf = json_object_new_array();
	json_object *bfn = json_object_new_array(), *sc = json_object_new_object();
	json_object *scs = json_object_new_array();
	int feat = env.feature ? kelf_feature_bit(&v->f, env.feature) : -1;
	char b[160];

	json_object_object_add(d, "vmlinux", json_object_new_string(v->path));
	json_object_object_add(d, "kernel",
			       v->f.version[0] ? json_object_new_string(v->f.version) : NULL);
	json_object_object_add(
		d, "build_id",
		v->k.build_id_len ? json_object_new_string(kelf_build_id_hex(&v->k, b, sizeof(b)))
				  : NULL);
	json_object_object_add(d, "running_kernel", json_object_new_boolean(v->running));
	json_object_object_add(d, "layout", json_object_new_string(v->layout.source));
	json_object_object_add(d, "feature_names", json_object_new_string(v->f.source));

	json_object_object_add(alt, "entries", json_u64(v->alts.n));
	json_object_object_add(alt, "sites", json_u64(v->nsites));
	json_object_object_add(alt, "functions", json_u64(v->nfuncs));
	json_object_object_add(alt, "not", json_u64(v->nnot));
	json_object_object_add(alt, "direct_call", json_u64(v->ndirect));
	for (size_t i = 0; i < v->nfs; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "feature",
				       json_object_new_string(kelf_feature_name(&v->f, v->fs[i].bit,
										b, sizeof(b))));
		json_object_object_add(o, "bit", json_object_new_int(v->fs[i].bit));
		json_object_object_add(o, "entries", json_u64(v->fs[i].entries));
		json_object_object_add(o, "not", json_u64(v->fs[i].not_flag));
		json_object_object_add(o, "direct_call", json_u64(v->fs[i].direct_call));
		json_object_object_add(o, "functions", json_u64(v->fs[i].functions));
		if (L && L->sl) {
			size_t applied = 0;

			for (size_t j = 0; j < v->nsites; j++) {
				int var = L->sl[j].variant;

				applied +=
					var > 0 && v->alts.v[v->sites[j].first + var - 1].cpuid ==
							   v->fs[i].bit;
			}
			json_object_object_add(o, "applied", json_u64(applied));
		}
		json_object_array_add(bf, o);
	}
	json_object_object_add(alt, "by_feature", bf);
	for (size_t i = 0; i < v->nfn; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "function", json_object_new_string(v->fn[i].name));
		json_object_object_add(o, "entries", json_u64(v->fn[i].entries));
		json_object_object_add(o, "sites", json_u64(v->fn[i].sites));
		json_object_object_add(o, "features", json_u64(v->fn[i].features));
		json_object_array_add(bfn, o);
	}
	json_object_object_add(alt, "by_function", bfn);
	for (size_t i = 0; i < v->nsites; i++)
		if (site_wanted(v, &v->sites[i], feat))
			json_object_array_add(sites, json_site(v, L, i));
	json_object_object_add(alt, "site_list", sites);
	json_object_object_add(d, "altinstructions", alt);

	if (v->has_para) {
		json_object *p = json_object_new_object(), *pl = json_object_new_array();

		json_object_object_add(p, "layout", json_object_new_string(v->play.source));
		for (size_t i = 0; i < v->nparas; i++) {
			json_object *o = json_object_new_object();
			char path[128] = "";

			if (v->btf)
				kbtf_member_path(v->btf, "paravirt_patch_template",
						 v->paras[i].type * 8, path, sizeof(path));
			json_object_object_add(o, "addr", json_addr(v->paras[i].addr));
			json_object_object_add(o, "function",
					       json_object_new_string(func_str(v, v->paras[i].addr,
									       b, sizeof(b))));
			json_object_object_add(o, "type", json_object_new_int(v->paras[i].type));
			json_object_object_add(o, "pv_op",
					       path[0] ? json_object_new_string(path) : NULL);
			json_object_object_add(o, "len", json_object_new_int(v->paras[i].len));
			json_object_array_add(pl, o);
		}
		json_object_object_add(p, "sites", pl);
		json_object_object_add(d, "parainstructions", p);
	} else {
		json_object_object_add(d, "parainstructions", NULL);
	}

	json_object_object_add(sc, "count", json_u64(v->nscalls));
	for (size_t i = 0; i < v->nscalls; i++) {
		json_object *o = json_object_new_object();
		const struct kelf_sym *fs = kelf_func_at(&v->k, v->scalls[i].addr);

		if (env.function && (!fs || strcmp(fs->name, env.function)))
			continue;
		json_object_object_add(o, "addr", json_addr(v->scalls[i].addr));
		json_object_object_add(o, "function", fs ? json_object_new_string(fs->name) : NULL);
		json_object_object_add(o, "key",
				       json_object_new_string(key_name(v, v->scalls[i].key)));
		json_object_object_add(o, "tail", json_object_new_boolean(v->scalls[i].tail));
		json_object_object_add(o, "resident",
				       json_object_new_boolean(!is_freed(v, v->scalls[i].addr)));
		if (L && L->cl) {
			const struct scall_live *c = &L->cl[i];
			json_object *lv = json_object_new_object();

			json_object_object_add(
				lv, "state",
				json_object_new_string(c->state == LV_FREED    ? "freed"
						       : c->state == LV_UNREAD ? "unreadable"
						       : c->state == 0	       ? "ok"
									       : "mismatch"));
			if (c->state != LV_FREED && c->state != LV_UNREAD) {
				json_object_object_add(lv, "insn", json_object_new_string(c->what));
				json_object_object_add(lv, "key_func", json_addr(c->func));
			}
			json_object_object_add(o, "live", lv);
		}
		json_object_array_add(scs, o);
	}
	json_object_object_add(sc, "sites", scs);
	json_object_object_add(d, "static_call_sites", sc);

	if (L) {
		json_object *lv = json_object_new_object(), *sum = json_object_new_object();

		json_object_object_add(lv, "method",
				       json_object_new_string(kmem_method_id(L->method)));
		json_object_object_add(lv, "kaslr_offset", json_object_new_int64(L->kaslr));
		json_object_object_add(lv, "reads", json_u64(L->reads));
		json_object_object_add(lv, "feature_bits", json_object_new_string(L->caps_src));
		json_object_object_add(lv, "uniprocessor_locks",
				       L->up < 0 ? NULL : json_object_new_boolean(L->up));
		json_object_object_add(lv, "return_sites", json_u64(L->nrets));
		json_object_object_add(
			lv, "rethunk",
			L->rethunk < 0 || !L->nrets ? NULL : json_object_new_boolean(L->rethunk));
		json_object_object_add(sum, "resident", json_u64(v->nsites - L->n_freed));
		json_object_object_add(sum, "freed", json_u64(L->n_freed));
		json_object_object_add(sum, "original", json_u64(L->n_by_variant[0]));
		json_object_object_add(sum, "replacement", json_u64(L->n_by_variant[1]));
		json_object_object_add(sum, "neither", json_u64(L->n_neither));
		json_object_object_add(sum, "ambiguous", json_u64(L->n_ambiguous));
		json_object_object_add(sum, "unreadable", json_u64(L->n_unread));
		json_object_object_add(sum, "consistent",
				       L->have_caps ? json_u64(L->n_consistent) : NULL);
		json_object_object_add(sum, "inconsistent",
				       L->have_caps ? json_u64(L->n_inconsistent) : NULL);
		json_object_object_add(sum, "static_calls_ok", json_u64(L->sc_ok));
		json_object_object_add(sum, "static_calls_mismatch", json_u64(L->sc_bad));
		json_object_object_add(sum, "static_calls_unreadable", json_u64(L->sc_unread));
		json_object_object_add(lv, "summary", sum);
		if (L->have_caps) {
			json_object *caps = json_object_new_array();

			for (unsigned i = 0; i < L->ncaps * 32; i++)
				if (cap_set(L, i))
					json_object_array_add(
						caps, json_object_new_string(kelf_feature_name(
							      &v->f, i, b, sizeof(b))));
			json_object_object_add(lv, "features", caps);
		}
		json_object_object_add(d, "live", lv);
	}
	json_print_line(stdout, d);
	json_object_put(d);
}

/* --- --dump -------------------------------------------------------------------------- */

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
		json_object *d = json_doc_new(SCHEMA, "dump", false);
		json_object_object_add(d, "addr", json_addr(addr));
		json_object_object_add(d, "method",
				       json_object_new_string(kmem_method_id(r.method)));
		json_object_object_add(d, "bytes",
				       json_object_new_string(hexs(buf, len, h, sizeof(h))));
		json_print_line(stdout, d);
		json_object_put(d);
	} else {
		printf("%016" PRIx64 " %s: %s\n", addr, env.dump, hex(buf, len, h, sizeof(h)));
	}
	kmem_close(&r);
	return 0;
}

/* --- --watch: PERF_RECORD_TEXT_POKE ----------------------------------------------------- */

struct ring {
	int fd;
	int cpu;
	void *base;
	size_t size; /* data area */
};

/* a symbol announced by PERF_RECORD_KSYMBOL (BPF programs, trampolines) */
struct xsym {
	uint64_t addr;
	uint32_t len;
	char name[64];
};

struct watch {
	struct ring *rings;
	int nrings;
	size_t page;
	struct ksyms *ks; /* /proc/kallsyms, read while privileged */
	struct xsym *xs;  /* later symbols, from the records themselves */
	size_t nxs;
	uint64_t pokes, lost, ksym_events;
};

static int online_cpus(int **out)
{
	char buf[1024];
	int *v = NULL, n = 0;
	char *p;

	if (read_file_str("/sys/devices/system/cpu/online", buf, sizeof(buf)) <= 0)
		return -1;
	for (p = buf; *p;) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (long c = a; c <= b && c < 8192; c++) {
			int *nv = realloc(v, (n + 1) * sizeof(*v));

			if (!nv) {
				free(v);
				return -1;
			}
			v = nv;
			v[n++] = c;
		}
		p = *end == ',' ? end + 1 : end;
		if (*end != ',')
			break;
	}
	*out = v;
	return n;
}

static void watch_close(struct watch *w)
{
	for (int i = 0; i < w->nrings; i++) {
		if (w->rings[i].base)
			munmap(w->rings[i].base, w->rings[i].size + w->page);
		if (w->rings[i].fd >= 0)
			close(w->rings[i].fd);
	}
	free(w->rings);
	free(w->xs);
	ksyms_free(w->ks);
	memset(w, 0, sizeof(*w));
}

static int watch_open(struct watch *w, char *err, size_t len)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_DUMMY,
		.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU,
		.sample_id_all = 1,
		.text_poke = 1,
		.ksymbol = 1,
		.use_clockid = 1,
		.clockid = CLOCK_REALTIME,
		.watermark = 1,
		.wakeup_watermark = 1,
	};
	int *cpus = NULL, n = online_cpus(&cpus);

	w->page = sysconf(_SC_PAGESIZE);
	if (n <= 0) {
		snprintf(err, len, "cannot read /sys/devices/system/cpu/online");
		return -1;
	}
	w->rings = calloc(n, sizeof(*w->rings));
	if (!w->rings) {
		free(cpus);
		snprintf(err, len, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct ring *r = &w->rings[w->nrings++];

		r->cpu = cpus[i];
		r->size = 16 * w->page;
		r->fd = syscall(SYS_perf_event_open, &a, -1, cpus[i], -1, PERF_FLAG_FD_CLOEXEC);
		if (r->fd < 0) {
			snprintf(err, len, "perf_event_open(text_poke) on CPU %d: %s%s", cpus[i],
				 strerror(errno),
				 errno == EACCES || errno == EPERM ? " (needs root or CAP_PERFMON)"
				 : errno == EINVAL ? " (kernel without PERF_RECORD_TEXT_POKE, "
						     "Linux < 5.9?)"
						   : "");
			free(cpus);
			return -1;
		}
		r->base =
			mmap(NULL, r->size + w->page, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
		if (r->base == MAP_FAILED) {
			r->base = NULL;
			snprintf(err, len, "mmap of the perf ring on CPU %d: %s", cpus[i],
				 strerror(errno));
			free(cpus);
			return -1;
		}
	}
	free(cpus);
	w->ks = ksyms_load(NULL);
	return 0;
}

static const char *sym_str(struct watch *w, uint64_t a, char *buf, size_t len)
{
	const struct ksym *s;

	for (size_t i = w->nxs; i-- > 0;) {
		if (a - w->xs[i].addr < w->xs[i].len) {
			snprintf(buf, len, "%s+0x%" PRIx64, w->xs[i].name, a - w->xs[i].addr);
			return buf;
		}
	}
	s = w->ks ? ksyms_by_addr(w->ks, a) : NULL;
	if (!s || !s->addr)
		snprintf(buf, len, "?");
	else if (s->module)
		snprintf(buf, len, "%s+0x%" PRIx64 " [%s]", s->name, a - s->addr, s->module);
	else
		snprintf(buf, len, "%s+0x%" PRIx64, s->name, a - s->addr);
	return buf;
}

/* "call sym", "jmp sym", "nop5"... for the common 5-byte and 2-byte forms */
static void describe(struct watch *w, uint64_t a, const uint8_t *b, size_t n, char *buf, size_t len)
{
	struct x86_insn in;
	char s[256];

	buf[0] = 0;
	if (!n || x86_decode(b, n, &in))
		return;
	if ((b[0] == 0xe8 || b[0] == 0xe9) && in.len == 5) {
		uint64_t t = a + 5 +
			     (int64_t)(int32_t)((uint32_t)b[1] | b[2] << 8 | b[3] << 16 |
						(uint32_t)b[4] << 24);

		snprintf(buf, len, "%s %s", b[0] == 0xe8 ? "call" : "jmp",
			 sym_str(w, t, s, sizeof(s)));
	} else if (b[0] == 0xeb && in.len == 2) {
		snprintf(buf, len, "jmp %s", sym_str(w, a + 2 + (int8_t)b[1], s, sizeof(s)));
	} else if (x86_insn_is_nop(&in)) {
		snprintf(buf, len, "nop%u", in.len);
	} else if (b[0] == 0xcc) {
		snprintf(buf, len, "int3");
	} else if (b[0] == 0xc3) {
		snprintf(buf, len, "ret");
	}
}

static void on_poke(struct watch *w, int cpu, const uint8_t *rec, size_t size)
{
	uint64_t addr, ts = 0;
	uint16_t olen, nlen;
	uint32_t pid = 0, tid = 0, rcpu = cpu;
	char s[256], ho[3 * 32 + 32], hn[3 * 32 + 32], dold[300], dnew[300], comm[32] = "?";
	char path[64], tsb[64];
	const uint8_t *id;
	struct tm tm;
	time_t sec;

	if (size < 8 + 8 + 4 + 24)
		return;
	memcpy(&addr, rec + 8, 8);
	memcpy(&olen, rec + 16, 2);
	memcpy(&nlen, rec + 18, 2);
	if (20 + (size_t)olen + nlen + 24 > size)
		return;
	id = rec + size - 24; /* sample_id: pid, tid, time, cpu, res */
	memcpy(&pid, id, 4);
	memcpy(&tid, id + 4, 4);
	memcpy(&ts, id + 8, 8);
	memcpy(&rcpu, id + 16, 4);
	w->pokes++;
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	if (pid && read_file_str(path, comm, sizeof(comm)) < 0)
		snprintf(comm, sizeof(comm), "?");
	if (!pid)
		snprintf(comm, sizeof(comm), "[kernel]");
	sym_str(w, addr, s, sizeof(s));
	describe(w, addr, rec + 20, olen, dold, sizeof(dold));
	describe(w, addr, rec + 20 + olen, nlen, dnew, sizeof(dnew));
	/* text shows at most 32 bytes (kprobe slots and BPF pages are pages) */
	hex(rec + 20, olen < 32 ? olen : 32, ho, sizeof(ho));
	if (olen > 32)
		snprintf(ho + strlen(ho), sizeof(ho) - strlen(ho), " ... (%u bytes)", olen);
	hex(rec + 20 + olen, nlen < 32 ? nlen : 32, hn, sizeof(hn));
	if (nlen > 32)
		snprintf(hn + strlen(hn), sizeof(hn) - strlen(hn), " ... (%u bytes)", nlen);
	sec = ts / 1000000000ULL;
	localtime_r(&sec, &tm);
	strftime(tsb, sizeof(tsb), "%H:%M:%S", &tm);
	if (env.c.json) {
		json_object *d = json_doc_new(SCHEMA, "text_poke", false);
		size_t hl = 2 * (size_t)(olen > nlen ? olen : nlen) + 1;
		char *hx = malloc(hl);

		if (!hx) {
			json_object_put(d);
			return;
		}

		json_object_object_add(d, "time_ns", json_u64(ts));
		json_object_object_add(d, "cpu", json_object_new_int(rcpu));
		json_object_object_add(d, "pid", json_object_new_int64(pid));
		json_object_object_add(d, "tid", json_object_new_int64(tid));
		json_object_object_add(d, "comm", json_object_new_string(comm));
		json_object_object_add(d, "addr", json_addr(addr));
		json_object_object_add(d, "symbol", json_object_new_string(s));
		json_object_object_add(d, "old",
				       json_object_new_string(hexs(rec + 20, olen, hx, hl)));
		json_object_object_add(d, "new",
				       json_object_new_string(hexs(rec + 20 + olen, nlen, hx, hl)));
		json_object_object_add(d, "old_insn",
				       dold[0] ? json_object_new_string(dold) : NULL);
		json_object_object_add(d, "new_insn",
				       dnew[0] ? json_object_new_string(dnew) : NULL);
		json_print_line(stdout, d);
		json_object_put(d);
		free(hx);
	} else {
		printf("%s.%06llu cpu %u pid %u %-12s %016" PRIx64 " %s\n    old %s%s%s%s\n    "
		       "new %s%s%s%s\n",
		       tsb, (unsigned long long)(ts % 1000000000ULL / 1000), rcpu, pid, comm, addr,
		       s, olen ? ho : "(none)", dold[0] ? " (" : "", dold, dold[0] ? ")" : "",
		       nlen ? hn : "(none)", dnew[0] ? " (" : "", dnew, dnew[0] ? ")" : "");
		fflush(stdout);
	}
}

/* PERF_RECORD_KSYMBOL: addr, len, type, flags, name (kallsyms is not readable any more) */
static void on_ksymbol(struct watch *w, const uint8_t *rec, size_t size)
{
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	const char *name = (const char *)rec + 24;
	size_t n;

	if (size < 25)
		return;
	w->ksym_events++;
	memcpy(&addr, rec + 8, 8);
	memcpy(&len, rec + 16, 4);
	memcpy(&flags, rec + 22, 2);
	n = strnlen(name, size - 24);
	for (size_t i = 0; i < w->nxs;) {
		if (w->xs[i].addr == addr) /* replaced or unregistered */
			w->xs[i] = w->xs[--w->nxs];
		else
			i++;
	}
	if (!(flags & PERF_RECORD_KSYMBOL_FLAGS_UNREGISTER)) {
		struct xsym *x = realloc(w->xs, (w->nxs + 1) * sizeof(*x));

		if (!x)
			return;
		w->xs = x;
		x = &w->xs[w->nxs++];
		x->addr = addr;
		x->len = len;
		snprintf(x->name, sizeof(x->name), "%.*s", (int)n, name);
	}
}

static void drain(struct watch *w, struct ring *r)
{
	struct perf_event_mmap_page *mp = r->base;
	uint8_t *data = (uint8_t *)r->base + w->page;
	uint64_t head = __atomic_load_n(&mp->data_head, __ATOMIC_ACQUIRE), tail = mp->data_tail;
	uint8_t rec[65536];

	while (tail < head) {
		struct perf_event_header h;
		size_t off = tail % r->size;

		for (size_t i = 0; i < sizeof(h); i++)
			((uint8_t *)&h)[i] = data[(off + i) % r->size];
		if (h.size < sizeof(h) || h.size > head - tail)
			break;
		for (size_t i = 0; i < h.size; i++)
			rec[i] = data[(off + i) % r->size];
		if (h.type == PERF_RECORD_TEXT_POKE)
			on_poke(w, r->cpu, rec, h.size);
		else if (h.type == PERF_RECORD_KSYMBOL)
			on_ksymbol(w, rec, h.size);
		else if (h.type == PERF_RECORD_LOST && h.size >= 24)
			w->lost += *(uint64_t *)(rec + 16);
		tail += h.size;
	}
	__atomic_store_n(&mp->data_tail, tail, __ATOMIC_RELEASE);
}

static int do_watch(void)
{
	struct watch w = { 0 };
	struct pollfd *pfd;
	char err[512];
	uint64_t start = now_ns(), deadline = env.c.duration_ns ? start + env.c.duration_ns : 0;
	int ret = 0;

	if (watch_open(&w, err, sizeof(err))) {
		err_msg("%s", err);
		watch_close(&w);
		return EXIT_RUNTIME;
	}
	if (drop_all_caps())
		warn_msg("could not drop capabilities: %s", strerror(errno));
	pfd = calloc(w.nrings, sizeof(*pfd));
	if (!pfd) {
		watch_close(&w);
		err_msg("out of memory");
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < w.nrings; i++)
		pfd[i] = (struct pollfd){ .fd = w.rings[i].fd, .events = POLLIN };
	fprintf(stderr, "Watching kernel text pokes (PERF_RECORD_TEXT_POKE) on %d CPUs... %s\n",
		w.nrings, env.c.duration_ns ? "" : "Hit Ctrl-C to end.");
	while (!exiting) {
		int timeout = 200;
		uint64_t now = now_ns();

		if (deadline && now >= deadline)
			break;
		if (deadline && (deadline - now) / 1000000 < (uint64_t)timeout)
			timeout = (deadline - now) / 1000000 + 1;
		if (poll(pfd, w.nrings, timeout) < 0 && errno != EINTR) {
			err_msg("poll: %s", strerror(errno));
			ret = EXIT_RUNTIME;
			break;
		}
		for (int i = 0; i < w.nrings; i++)
			drain(&w, &w.rings[i]);
		if (out_flush_check(stdout)) {
			ret = EXIT_RUNTIME;
			break;
		}
	}
	for (int i = 0; i < w.nrings; i++)
		drain(&w, &w.rings[i]);
	if (env.c.json) {
		json_object *d = json_doc_new(SCHEMA, "watch_end", false);
		json_object_object_add(d, "pokes", json_u64(w.pokes));
		json_object_object_add(d, "lost", json_u64(w.lost));
		json_object_object_add(d, "cpus", json_object_new_int(w.nrings));
		json_object_object_add(d, "duration_ns", json_u64(now_ns() - start));
		json_print_line(stdout, d);
		json_object_put(d);
	}
	fprintf(stderr, "%" PRIu64 " text pokes%s", w.pokes, w.lost ? "" : "\n");
	if (w.lost)
		fprintf(stderr, ", %" PRIu64 " records lost\n", w.lost);
	free(pfd);
	watch_close(&w);
	return ret;
}

/* --- command --------------------------------------------------------------------------- */

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
	if (env.dump && (env.live || env.watch || env.vmlinux || env.release)) {
		err_msg("patches: --dump goes alone (with --read or --json)");
		return EXIT_USAGE;
	}
	if (env.release && env.vmlinux) {
		err_msg("patches: --release applies without --vmlinux");
		return EXIT_USAGE;
	}
	if (env.c.duration_ns && !env.watch) {
		err_msg("patches: --duration applies to --watch");
		return EXIT_USAGE;
	}
	libbpf_setup_logging();
	signals_install();
	if (env.dump)
		return do_dump();
	if (env.watch && !env.live && !env.vmlinux && !env.release && !env.sites && !env.feature &&
	    !env.function)
		return do_watch();
	v = calloc(1, sizeof(*v));
	if (!v) {
		err_msg("out of memory");
		return EXIT_RUNTIME;
	}
	ret = inv_load(v, err, sizeof(err));
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
		if (live_run(v, &L, err, sizeof(err))) {
			err_msg("--live: %s", err);
			goto out;
		}
		kmem_close(&L.r); /* nothing stays loaded while printing */
	}
	if (env.c.json)
		print_json(v, env.live ? &L : NULL);
	else
		print_text(v, env.live ? &L : NULL);
	fflush(stdout);
	ret = 0;
	if (env.live && (L.n_neither || L.n_inconsistent || L.sc_bad || L.n_unread)) {
		err_msg("--live: %zu sites match no variant, %zu disagree with the feature bits, "
			"%zu unreadable, %zu static calls disagree with their key",
			L.n_neither, L.n_inconsistent, L.n_unread, L.sc_bad);
		ret = EXIT_RUNTIME;
	}
	if (env.watch && !exiting) {
		int r = do_watch();

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
