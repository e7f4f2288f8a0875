# pvtrace build. `make`, `make test`, `make install PREFIX=/usr/local DESTDIR=`, `make clean`.
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= cc
PKG_CONFIG ?= pkg-config
# The BPF target architecture, as libbpf's __TARGET_ARCH_* names it: x86, arm64, s390
# (uname -m's names are accepted too). Its vmlinux.h is ./vmlinux.h on x86 and
# vmlinux-$(ARCH).h elsewhere (scripts/gen-vmlinux-h.sh BTF_FILE vmlinux-$(ARCH).h);
# VMLINUX_H=FILE takes another.
ARCH      ?= $(shell uname -m)
override ARCH := $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(patsubst s390x,s390,$(ARCH))))
ifeq ($(ARCH),x86)
VMLINUX_H ?= vmlinux.h
else
VMLINUX_H ?= vmlinux-$(ARCH).h
endif
HOST_ARCH := $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(patsubst s390x,s390,$(shell uname -m))))
# Debian's multiarch triplet per ARCH: the cross compiler's prefix and the library directory
# of the ARCH's -dev packages (dpkg --add-architecture; scripts/deps.sh --cross ARCH)
triplet_x86   := x86_64-linux-gnu
triplet_arm64 := aarch64-linux-gnu
triplet_s390  := s390x-linux-gnu
TRIPLET   := $(triplet_$(ARCH))

LIBS_PKG  := libbpf libelf zlib json-c libcap sqlite3 libpq
ifeq ($(ARCH),$(HOST_ARCH))
OUT       := build
# the program, where the tests and README expect it
PVTRACE   := pvtrace
else
# A cross build: its own output tree and program, the ARCH's compiler and libraries.
# libpq-dev is not multiarch-installable beside the host's (Multi-Arch: no), so libpq comes
# from the ARCH's libpq5 runtime package and the host's arch-independent headers.
OUT       := build-$(ARCH)
PVTRACE   := $(OUT)/pvtrace
CROSS_COMPILE ?= $(TRIPLET)-
ifeq ($(origin CC),default)
CC        := $(CROSS_COMPILE)gcc
endif
export PKG_CONFIG_LIBDIR := /usr/lib/$(TRIPLET)/pkgconfig:/usr/share/pkgconfig
LIBS_PKG  := $(filter-out libpq,$(LIBS_PKG))
override CPPFLAGS += -I$(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
LDLIBS    += -l:libpq.so.5
endif
CFLAGS    ?= -O2 -g
# the language and the warnings, whatever CFLAGS the command line or the environment gives
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror
# user/core: the shared core; user/kvm: KVM knowledge shared by commands; one folder per
# capability, whose headers are included by their folder ("patches/kimage.h")
override CPPFLAGS += -D_GNU_SOURCE -Iuser -Iuser/core -Iuser/kvm -Ibpf -I$(OUT) \
	     $(shell $(PKG_CONFIG) --cflags $(LIBS_PKG))
LDLIBS    += $(shell $(PKG_CONFIG) --libs $(LIBS_PKG)) -lm -lpthread
# header dependencies: each target's .d beside it, hidden (.NAME.d: globs of build/tests/test_*
# see programs only), -include'd below
DEPFLAGS   = -MMD -MP -MF $(@D)/.$(@F).d -MT $@
# vmlinux.h for the BPF programs is the one of ARCH, staged as $(BPF_INC)/vmlinux.h
BPF_INC   := $(OUT)/include-$(ARCH)
# -Wno-unused-parameter: libbpf's BPF_PROG/BPF_KPROBE macros declare ctx
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -I$(BPF_INC) -Ibpf \
	      -Wall -Wextra -Wno-unused-parameter -Werror

# The version, from one place: the VERSION file, plus the commit (git describe --always
# --dirty, as a hash even where tags exist) when this tree is a git checkout of its own:
# 0.1.0+g4671a2b-dirty, one word (help2man takes a second one for the program name). In
# build/version.h, rewritten only when it changes.
VERSION_BASE := $(shell cat VERSION 2>/dev/null || echo unknown)
VERSION_GIT  := $(shell [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ] && \
		  git describe --always --dirty --exclude='*' 2>/dev/null)
PVTRACE_VERSION := $(VERSION_BASE)$(if $(VERSION_GIT),+g$(VERSION_GIT))

BPF_APPS  := latency kmem steal hooklat vfio exits vhost
USER_DIRS := core kvm latency exits vhost hooks patches vfio bench results stats compare dashboard
USER_HDRS := $(wildcard user/*.h $(patsubst %,user/%/*.h,$(USER_DIRS)))
# NAME_x86.c, NAME_arm64.c, NAME_s390.c: compiled for their ARCH only
ARCH_NAMES := x86 arm64 s390
CORE_SRCS := $(filter-out $(foreach a,$(filter-out $(ARCH),$(ARCH_NAMES)),%_$(a).c),\
	     $(wildcard $(patsubst %,user/%/*.c,$(USER_DIRS))))
CORE_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(CORE_SRCS))
SKELS     := $(patsubst %,$(OUT)/%.skel.h,$(BPF_APPS))

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all asan bench bench-churn tests test unit-test bats-test guest-test install uninstall man clean format format-check FORCE
all: $(PVTRACE)

$(BPF_INC)/vmlinux.h: $(VMLINUX_H)
	$(Q)mkdir -p $(@D)
	$(Q)ln -sf $(abspath $<) $@
ifeq ($(wildcard $(VMLINUX_H)),)
$(VMLINUX_H):
	@echo "pvtrace: no $(VMLINUX_H) for ARCH=$(ARCH): make it from that kernel's BTF with" \
		"scripts/gen-vmlinux-h.sh BTF_FILE $(VMLINUX_H), or give VMLINUX_H=FILE" >&2
	@exit 1
endif

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_INC)/vmlinux.h | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

# the skeletons exist before any user object compiles (a clean build); which object needs
# which skeleton or header after that, its .d file says
$(OUT)/user/%.o: user/%.c | $(SKELS) $(OUT)/user
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUT)/version.h: FORCE | $(OUT)/user
	$(Q)v='#define PVTRACE_VERSION "$(PVTRACE_VERSION)"'; \
	[ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" >$@
$(OUT)/user/core/cli.o $(OUT)/user/core/fingerprint.o: $(OUT)/version.h
# the textfile's pvtrace_build_info{version} (textfile.c takes PVTRACE_VERSION if defined)
$(OUT)/user/core/textfile.o: $(OUT)/version.h
$(OUT)/user/core/textfile.o: override CPPFLAGS += -include $(OUT)/version.h
# the dashboard page's generator and header line
$(OUT)/user/dashboard/html.o: $(OUT)/version.h
$(OUT)/user/dashboard/html.o: override CPPFLAGS += -include $(OUT)/version.h

$(OUT)/libpvtrace.a: $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(PVTRACE): $(OUT)/user/main.o $(OUT)/libpvtrace.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# AddressSanitizer + UBSan build of the CLI, for the CLI fuzz (tests/bats/cli.bats)
ASAN_CFLAGS := -O2 -g -fsanitize=address,undefined -fno-omit-frame-pointer
asan:
	$(Q)CFLAGS='$(ASAN_CFLAGS)' $(MAKE) --no-print-directory OUT=$(OUT)/asan $(OUT)/asan/pvtrace
ifneq ($(PVTRACE),$(OUT)/pvtrace)
$(OUT)/pvtrace: $(OUT)/user/main.o $(OUT)/libpvtrace.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)
endif

$(OUT)/bpf $(OUT)/user $(OUT)/tests:
	mkdir -p $@

# C unit tests (cmocka)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
$(OUT)/tests/%: tests/unit/%.c $(OUT)/libpvtrace.a | $(SKELS) $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(DEPFLAGS) $< -o $@ $(OUT)/libpvtrace.a $(LDLIBS) -lcmocka

# ksyms with a 4 KiB read chunk, so fixtures cross chunk boundaries
$(OUT)/tests/test_ksyms: $(OUT)/ksyms-4k/test_ksyms.o $(OUT)/ksyms-4k/ksyms.o | $(OUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka
$(OUT)/ksyms-4k/%.o: tests/unit/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -DKSYM_CHUNK=4096 $(DEPFLAGS) -c $< -o $@
$(OUT)/ksyms-4k/%.o: user/core/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -DKSYM_CHUNK=4096 $(DEPFLAGS) -c $< -o $@

# test helper programs
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(OUT)/tests/%,$(HELPER_SRCS))
$(OUT)/tests/%: tests/helpers/%.c $(OUT)/libpvtrace.a | $(SKELS) $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(DEPFLAGS) $< -o $@ $(OUT)/libpvtrace.a $(LDLIBS)

# benchmark floor: empty programs on the same hooks
$(OUT)/bpf/floor.bpf.o: tests/bench/floor.bpf.c $(BPF_INC)/vmlinux.h | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp
$(OUT)/tests/floor: tests/bench/floor.c | $(OUT)/floor.skel.h $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(DEPFLAGS) $< -o $@ $(LDLIBS)

# MANY_REGS v2 played in user space (LD_PRELOAD), for bench regs's MANY_REGS path
$(OUT)/tests/many_regs_shim.so: tests/bench/many_regs_shim.c | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -shared $(LDFLAGS) $(DEPFLAGS) $< -o $@ -ldl

# libFuzzer target over the kernel ELF reader (clang + libclang-rt-14-dev); tests/fuzz/run.sh.
# Its objects are built apart ($(OUT)/fuzz-obj), with the fuzzer's instrumentation.
FUZZ_CC     ?= $(CLANG)
FUZZ_CFLAGS ?= -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_LIBS   ?= -lbpf -lelf -lz
FUZZ_SRCS   := tests/fuzz/fuzz_kelf.c user/core/kelf.c user/core/kbtf.c user/patches/kimage.c user/patches/tables.c user/patches/x86_decode.c user/patches/altmodel.c
FUZZ_OBJS   := $(patsubst %.c,$(OUT)/fuzz-obj/%.o,$(FUZZ_SRCS))
$(OUT)/fuzz-obj/%.o: %.c
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -std=gnu11 -Wall -Wextra -Werror $(DEPFLAGS) -c $< -o $@
$(OUT)/tests/fuzz_kelf: $(FUZZ_OBJS) | $(OUT)/tests
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(LDFLAGS) $^ -o $@ $(FUZZ_LIBS)

BENCH_BINS := $(OUT)/tests/floor $(OUT)/tests/ioctlbench $(OUT)/tests/many_regs_shim.so
bench: all $(BENCH_BINS)
	scripts/bench-latency.py

# VM churn with node_exporter (scripts/bench-churn.py --help); BENCH_CHURN_ARGS="--max-series 64"
bench-churn: all $(OUT)/tests/vmident
	scripts/bench-churn.py $(BENCH_CHURN_ARGS)

tests: all $(UNIT_BINS) $(HELPER_BINS) $(BENCH_BINS)

test: tests
	scripts/run-tests.sh

# Man pages: one per command, made by help2man from the command's own --help (the CLI
# tables in user/*.c are the one source of --help, man pages and bash completion).
MANDIR    ?= $(PREFIX)/share/man
COMPDIR   ?= $(PREFIX)/share/bash-completion/completions
UNITDIR   ?= $(PREFIX)/lib/systemd/system
MAN_VERSION ?= $(PVTRACE_VERSION)
MAN_CMDS  := latency exits vhost hooks vfio patches bench results compare dashboard
MAN_PAGES := $(OUT)/man/pvtrace.1 $(patsubst %,$(OUT)/man/pvtrace-%.1,$(MAN_CMDS))
UNITS     := $(patsubst %.in,%,$(notdir $(wildcard dist/systemd/*.service.in)))
man_name_latency := latency histograms of KVM vCPU ioctls and paravirt hooks
man_name_exits   := KVM exits by reason per VM and vCPU, trips to user space, ports
man_name_hooks   := paravirt static call targets, their changes, and steal time
man_name_vfio    := vfio device requests, release latency and blocked unregisters
man_name_patches := ALTERNATIVE and static call sites of a kernel, live text, text pokes
man_name_bench   := benchmarks for kernel CI (bench ioctl, regs, overhead)
man_name_compare := compare two sets of benchmark results, with a verdict per metric
man_name_dashboard := a static HTML dashboard over a series of benchmark results
man_help_bench   := bench regs
man_name_results := the results store: import, list, query and export benchmark results

$(OUT)/man/pvtrace.1: pvtrace | $(OUT)/man
	$(call msg,MAN,$@)
	$(Q)help2man -N --no-discard-stderr --version-string="$(MAN_VERSION)" \
		-n "observability for KVM vCPU ioctls, paravirt hooks, code patching and vfio" \
		-o $@ ./pvtrace
$(OUT)/man/pvtrace-%.1: pvtrace | $(OUT)/man
	$(call msg,MAN,$@)
	$(Q)help2man -N --no-discard-stderr --version-string="$(MAN_VERSION)" -n "$(man_name_$*)" \
		-o $@.tmp "./pvtrace $(or $(man_help_$*),$*)"
	$(Q)sed 's/^\.TH PVTRACE /.TH PVTRACE-$(shell echo $* | tr a-z A-Z) /' $@.tmp >$@ && rm -f $@.tmp
$(OUT)/man:
	mkdir -p $@

man: $(MAN_PAGES)

# systemd units get BINDIR at install time
install: pvtrace $(MAN_PAGES)
	install -D -m 0755 pvtrace $(DESTDIR)$(BINDIR)/pvtrace
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPDIR) $(DESTDIR)$(UNITDIR)
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 dist/bash-completion/pvtrace $(DESTDIR)$(COMPDIR)/pvtrace
	for u in $(UNITS); do \
		sed 's|@BINDIR@|$(BINDIR)|g' dist/systemd/$$u.in >$(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pvtrace $(DESTDIR)$(COMPDIR)/pvtrace
	rm -f $(patsubst $(OUT)/man/%,$(DESTDIR)$(MANDIR)/man1/%,$(MAN_PAGES))
	rm -f $(patsubst %,$(DESTDIR)$(UNITDIR)/%,$(UNITS))

clean:
	rm -rf $(OUT) pvtrace

FORMAT_SRCS := $(filter-out user/kvm/kvm_ioctl_table.h user/kvm/vhost_ioctl_table.h user/kvm/kvm_ioctl_table_arm64.h user/kvm/kvm_ioctl_extra.h \
	user/kvm/kvm_exit_table.h,\
	$(wildcard user/*.c $(CORE_SRCS) $(USER_HDRS) bpf/*.c bpf/*.h tests/unit/*.c tests/helpers/*.c \
	tests/bench/*.c))
format:
	clang-format -i $(FORMAT_SRCS)
format-check:
	clang-format --dry-run -Werror $(FORMAT_SRCS)

.SECONDARY:
.DELETE_ON_ERROR:

# header dependencies of every object and program built so far (none on a clean tree)
-include $(shell find $(OUT) -name '*.d' 2>/dev/null)
