#!/usr/bin/env bats
# scripts/compare-kernels.sh, the kernel-CI workflow for a user's own pair of kernels: usage
# errors, and real boots under qemu of two Debian kernels and of a kernel package built here
# from the project's base kernel, each benchmarked inside, stored, compared (JUnit read by
# python3-junitparser, KCIDB validated against the v5.3 schema) and plotted.

load helpers
bats_require_minimum_version 1.5.0

CK=$REPO/scripts/compare-kernels.sh
KCIDB_SCHEMA=$REPO/tests/data/kcidb/kcidb.v5.3.schema.json

setup() {
	D=$BATS_TEST_TMPDIR
}

# the files a CI reads after compare-kernels.sh OUT: valid, and consistent with each other
check_outputs() { # OUT BASE_RELEASE_PREFIX NEW_RELEASE_PREFIX
	local o=$1
	for f in base.ioctl base.regs base.overhead new.ioctl new.regs new.overhead; do
		[ -s "$o/$f.json" ]
	done
	# each side's documents came from the kernel it names
	[[ $(jq -r .fingerprint.kernel_release "$o/base.ioctl.json") == "$2"* ]]
	[[ $(jq -r .fingerprint.kernel_release "$o/new.ioctl.json") == "$3"* ]]
	[ "$(jq -r .fingerprint.emulated "$o/new.ioctl.json")" = true ]
	[ "$(jq -r .label "$o/base.regs.json")" = base ]
	[ "$(jq -r .label "$o/new.regs.json")" = new ]
	# the store holds the six documents
	[ "$("$PVTRACE" results list --db "$o/results.db" --json | jq '.results | length')" = 6 ]
	# JUnit: one case per compared metric, failures exactly the regressions
	/usr/bin/python3 - "$o/compare.junit.xml" "$o/compare.json" <<'EOF'
import json, sys
from junitparser import JUnitXml, Failure
cases = [c for s in JUnitXml.fromfile(sys.argv[1]) for c in s]
doc = json.load(open(sys.argv[2]))
fail = sum(1 for c in cases if any(isinstance(r, Failure) for r in c.result))
reg = sum(1 for m in doc["metrics"] if m["verdict"] == "regressed")
print("cases", len(cases), "failures", fail, "regressed", reg)
sys.exit(0 if len(cases) == len(doc["metrics"]) > 0 and fail == reg else 1)
EOF
	/usr/bin/python3 -c 'import json, sys, jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))' \
		"$KCIDB_SCHEMA" "$o/compare.kcidb.json"
	grep -q 'class="pt"' "$o/dashboard/index.html"
	# the exit status is compare's: 1 exactly when something regressed
	reg=$(jq '[.metrics[] | select(.verdict == "regressed")] | length' "$o/compare.json")
	if [ "$reg" -gt 0 ]; then [ "$st" -eq 1 ]; else [ "$st" -eq 0 ]; fi
}

@test "compare-kernels.sh: usage errors are one line and exit 2" {
	cd "$D"
	run -2 "$CK"
	[[ $output == *"give BASE and NEW"* ]]
	[ "${#lines[@]}" -eq 1 ]
	run -2 "$CK" --runs 0 stock stock-6.1
	[[ $output == *"--runs"* ]]
	run -2 "$CK" "$D/nosuch" stock
	[[ $output == *"no such kernel image"* ]]
	run -2 "$CK" "$D/nosuch.deb" stock
	[[ $output == *"no such package"* ]]
	run -2 "$CK" --colour stock stock-6.1
	[[ $output == *"unknown option"* ]]
	[ "${#lines[@]}" -eq 1 ]
	run -0 "$CK" --help
	[[ $output == *"compare-kernels.sh [--runs N]"* ]]
	# nothing was created for a refused command line
	[ ! -e kci-out ]
}

@test "compare-kernels.sh: Debian's 6.1 against 6.12, booted, benchmarked, compared, plotted" {
	need_root
	run "$CK" --runs 3 -o "$D/out" stock-6.1 stock
	st=$status
	echo "$output" | tail -n 20
	[ "$st" -le 1 ]
	check_outputs "$D/out" 6.1.0 6.12.
	# no temporary file of the script or the guest is left
	[ -z "$(find "$D/out" -name '*.tmp')" ]
}

@test "compare-kernels.sh: a Debian kernel package (the project's base kernel, packaged here)" {
	need_root
	bz=$("$REPO/scripts/kbuild-dir.sh")/build-x86-base/arch/x86/boot/bzImage
	if [ ! -s "$bz" ]; then
		# the kernel suite builds it (scripts/kernel-build.sh --base) and fails if it cannot
		[ "${CI:-}" != true ] || { echo "CI: no base kernel at $bz"; false; }
		skip "no base kernel at $bz (scripts/kernel-build.sh --base)"
	fi
	mkdir -p "$D/pkg/DEBIAN" "$D/pkg/boot"
	cp "$bz" "$D/pkg/boot/vmlinuz-6.12.117-pvtrace-base"
	printf 'Package: linux-image-pvtrace-base\nVersion: 1\nArchitecture: amd64\nMaintainer: pvtrace tests <dev@pvtrace.example>\nDescription: the project base kernel, for a test\n' \
		>"$D/pkg/DEBIAN/control"
	dpkg-deb -b --root-owner-group "$D/pkg" "$D/linux-image-pvtrace-base.deb" >/dev/null
	run "$CK" --runs 3 -o "$D/out" "$D/linux-image-pvtrace-base.deb" stock
	st=$status
	echo "$output" | tail -n 20
	[ "$st" -le 1 ]
	check_outputs "$D/out" 6.12.117+ 6.12.
}
