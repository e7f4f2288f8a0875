#!/usr/bin/env bash
# Regenerate the seed corpus of the ELF fuzzer from the unit tests' fixtures
# (tests/unit/test_patches.c assembles and links them), plus a few header-only files.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=tests/fuzz/corpus
make -s build/tests/test_patches
rm -rf "$out" && mkdir -p "$out"
PVTRACE_SEED_DIR=$PWD/$out build/tests/test_patches >/dev/null 2>&1
head -c 64 "$out/fix.elf" >"$out/header-only"
head -c 2048 "$out/fix.elf" >"$out/truncated"
printf '\177ELF\002\001\001' >"$out/ident-only"
ls -l "$out"
