#!/usr/bin/env bash
# Set up (Debian packages), build, and run every test suite.
# The last line is "N passed, N failed, N skipped"; exit status 0 iff nothing failed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
make -s tests
# pvtrace cross-built for the arm64 guest (scripts/guest-tests.sh: arm64)
make -s ARCH=arm64 tests
exec scripts/run-tests.sh
