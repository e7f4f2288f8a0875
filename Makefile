# pvtrace build. `make`, `make test`, `make install PREFIX=/usr/local DESTDIR=`, `make clean`.
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= cc
PKG_CONFIG ?= pkg-config
ARCH      := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

OUT       := build
LIBS_PKG  := libbpf libelf zlib json-c libcap
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iuser -Ibpf -I$(OUT) \
	     $(shell $(PKG_CONFIG) --cflags $(LIBS_PKG))
LDLIBS    += $(shell $(PKG_CONFIG) --libs $(LIBS_PKG)) -lm -lpthread
# -Wno-unused-parameter: libbpf's BPF_PROG/BPF_KPROBE macros declare ctx
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -I. -Ibpf \
	      -Wall -Wextra -Wno-unused-parameter -Werror

BPF_APPS  := latency patches hooks vfio
CORE_SRCS := $(filter-out user/main.c,$(wildcard user/*.c))
CORE_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(CORE_SRCS))
SKELS     := $(patsubst %,$(OUT)/%.skel.h,$(BPF_APPS))

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all bench tests test unit-test bats-test guest-test install clean format format-check
all: pvtrace

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c bpf/*.h vmlinux.h | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

$(OUT)/user/%.o: user/%.c user/*.h bpf/*.h $(SKELS) | $(OUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUT)/libpvtrace.a: $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

pvtrace: $(OUT)/user/main.o $(OUT)/libpvtrace.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(OUT)/bpf $(OUT)/user $(OUT)/tests:
	mkdir -p $@

# C unit tests (cmocka)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
$(OUT)/tests/%: tests/unit/%.c $(OUT)/libpvtrace.a | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(OUT)/libpvtrace.a $(LDLIBS) -lcmocka

# ksyms with a 4 KiB read chunk, so fixtures cross chunk boundaries
$(OUT)/tests/test_ksyms: tests/unit/test_ksyms.c user/ksyms.c | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -DKSYM_CHUNK=4096 $^ -o $@ $(LDLIBS) -lcmocka

# test helper programs
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(OUT)/tests/%,$(HELPER_SRCS))
$(OUT)/tests/%: tests/helpers/%.c $(OUT)/libpvtrace.a | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(OUT)/libpvtrace.a $(LDLIBS)

# benchmark floor: empty programs on the same hooks
$(OUT)/bpf/floor.bpf.o: tests/bench/floor.bpf.c vmlinux.h | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp
$(OUT)/tests/floor: tests/bench/floor.c $(OUT)/floor.skel.h | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@ $(LDLIBS)

# libFuzzer target over the kernel ELF reader (clang + libclang-rt-14-dev); tests/fuzz/run.sh
$(OUT)/tests/fuzz_kelf: tests/fuzz/fuzz_kelf.c user/kelf.c user/kelf.h user/kimage.c user/kimage.h user/kbtf.c user/kbtf.h user/x86_cpufeatures.h | $(OUT)/tests
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -g -O1 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iuser $(filter %.c,$^) -o $@ -lbpf -lelf -lz

BENCH_BINS := $(OUT)/tests/floor $(OUT)/tests/ioctlbench
bench: all $(BENCH_BINS)
	scripts/bench-latency.py

tests: all $(UNIT_BINS) $(HELPER_BINS) $(BENCH_BINS)

test: tests
	scripts/run-tests.sh

install: pvtrace
	install -D -m 0755 pvtrace $(DESTDIR)$(BINDIR)/pvtrace

clean:
	rm -rf $(OUT) pvtrace

FORMAT_SRCS := $(filter-out user/kvm_ioctl_table.h user/kvm_ioctl_extra.h,\
	$(wildcard user/*.c user/*.h bpf/*.c bpf/*.h tests/unit/*.c tests/helpers/*.c tests/bench/*.c))
format:
	clang-format -i $(FORMAT_SRCS)
format-check:
	clang-format --dry-run -Werror $(FORMAT_SRCS)

.SECONDARY:
