#!/usr/bin/env bash
# Set up (Debian packages), build, and run every test suite.
# The last line is "N passed, N failed, N skipped"; exit status 0 iff nothing failed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
make -s tests
exec scripts/run-tests.sh
