#!/usr/bin/env bash
# The kernel-CI workflow for real, over the kernels the guest suites booted: the result
# documents they wrote (tests/guest/bench.sh into PVTRACE_RESULTS_DIR) and this host's own go
# into one store; pvtrace compare runs between kernels (JUnit read back with python3-junitparser,
# KCIDB validated against its schema); the dashboard is built from the store and loaded in
# headless Chromium; A/A pairs on this host give the false-positive rate, and a tracer attached
# to the same workload must be found as a regression of the size bench overhead measures.
#   scripts/kci.sh [RESULTS_DIR]   (default $PVTRACE_RESULTS_DIR)
# Artifacts (store, comparisons, dashboard, screenshot) go to ${PVTRACE_ARTIFACTS:-build/artifacts}/kci.
# TAP on stdout; exit status non-zero if a check failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
res=${1:-${PVTRACE_RESULTS_DIR:-}}
if [ -z "$res" ] || [ ! -d "$res" ]; then
	echo "kci: no results directory (give one or set PVTRACE_RESULTS_DIR)" >&2
	exit 2
fi
pv=${PVTRACE:-./pvtrace}
art=${PVTRACE_ARTIFACTS:-build/artifacts}/kci
py=/usr/bin/python3
mkdir -p "$art"
rm -rf "${art:?}"/*
n=0 rc=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; rc=1; }
# the TAP of a sub-script, renumbered into ours; "# status N" (its exit status) last
relay() { # NAME
	local l
	while IFS= read -r l; do
		case $l in
		"ok "[0-9]*) ok "${l#ok * - }" ;;
		"not ok "[0-9]*) notok "${l#not ok * - }" ;;
		"# status 0" | 1..*) ;;
		"# status "*) notok "$1 exited with status ${l#\# status }" ;;
		*) echo "$l" ;;
		esac
	done
}
check() { # DESCRIPTION CMD... (ok iff CMD succeeds; its output is shown as comments)
	local d=$1 o st
	shift
	o=$("$@" 2>&1)
	st=$?
	[ -z "$o" ] || printf '%s\n' "$o" | head -n 60 | sed 's/^/# /'
	if [ $st -eq 0 ]; then ok "$d"; else notok "$d (status $st)"; fi
	return $st
}

echo "# kci: results from the guests in $res: $(find "$res" -name '*.json' | wc -l) documents"
host=host-$(uname -r)
relay tests/guest/bench.sh < <(
	PVTRACE_RESULTS_DIR=$res PVTRACE_KCI_LABEL=$host tests/guest/bench.sh
	echo "# status $?"
)

db=$art/results.db
mapfile -t docs < <(find "$res" -maxdepth 1 -name '*.json' | sort)
check "results import: ${#docs[@]} documents into one store" "$pv" results import --db "$db" "${docs[@]}"
stored=$("$pv" results list --db "$db" --json 2>/dev/null | jq '.results | length')
if [ "$stored" = "${#docs[@]}" ]; then
	ok "the store holds all ${#docs[@]} documents"
else
	notok "the store holds $stored documents, not ${#docs[@]}"
fi
labels=$("$pv" results list --db "$db" --json | jq -r '.results[].label' | sort -u | tr '\n' ' ')
echo "# labels in the store: $labels"

# one comparison; its JUnit read by junitparser and its KCIDB validated against the schema
compare_pair() { # BASE NEW
	local b=$1 nw=$2 f=$art/compare-$1-vs-$2 st
	"$pv" compare --db "$db" --junit "$f.junit.xml" --kcidb "$f.kcidb.json" \
		"label=$b" "label=$nw" >"$f.txt" 2>&1
	st=$?
	sed 's/^/# /' "$f.txt" | head -n 80
	"$pv" compare --db "$db" --json "label=$b" "label=$nw" >"$f.json" 2>/dev/null
	if [ $st -gt 1 ] || ! jq -e . "$f.json" >/dev/null 2>&1; then
		notok "compare $b -> $nw: status $st"
		return 2
	fi
	ok "compare $b -> $nw: status $st ($(jq -r '[.metrics[].verdict] | group_by(.) | map("\(.[0]) \(length)") | join(", ")' "$f.json"))"
	check "compare $b -> $nw: JUnit read by junitparser, one case per metric, failures = regressions" \
		$py - "$f.junit.xml" "$f.json" <<'EOF'
import json, sys
from junitparser import JUnitXml, Failure, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
doc = json.load(open(sys.argv[2]))
cases = [c for s in xml for c in s]
fail = sum(1 for c in cases if any(isinstance(r, Failure) for r in c.result))
skip = sum(1 for c in cases if any(isinstance(r, Skipped) for r in c.result))
want_fail = sum(1 for m in doc["metrics"] if m["verdict"] == "regressed")
print("cases %d failures %d skipped %d (compare: %d metrics, %d regressed)" % (len(cases), fail, skip, len(doc["metrics"]), want_fail))
sys.exit(0 if len(cases) == len(doc["metrics"]) and fail == want_fail else 1)
EOF
	check "compare $b -> $nw: KCIDB v5.3 valid" $py -c '
import json, sys, jsonschema
s = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator(s).validate(d)
print("%d tests" % len(d.get("tests", [])))' tests/data/kcidb/kcidb.v5.3.schema.json "$f.kcidb.json"
	return "$st"
}

# MANY_REGS in the patched kernel: new metrics, and the ONE_REG loop over MANY_REGS speedup:
# more than 2x over the runs (the median; CI runs give 4-5.5x) and MANY_REGS faster in every
# run. Not 2x in every run: a TCG guest starved for a moment during one run's timed
# repetitions (a CI host's two lanes at once) dents that run alone, and the median is what
# the claim is about.
many_regs_checks() { # COMPARE_JSON
	local f=$1 missing ratios
	missing=$(jq -r '[.metrics[] | select(.benchmark == "regs" and (.name | test("^(many_regs|one_reg|ratio)\\."))
		and .verdict != "new only") | .name] | join(" ")' "$f")
	ratios=$("$pv" results export --db "$db" label=patched-6.12,benchmark=regs |
		jq -r '.metrics[] | select(.name | startswith("ratio.")) | (.values | sort) as $v |
			($v | length) as $n | "\(.name) \($v[0]) \(($v[($n - 1) / 2 | floor] + $v[$n / 2 | floor]) / 2) \($v[-1])"')
	echo "# patched-6.12 ONE_REG loop / MANY_REGS over runs: min, median, max"
	printf '%s\n' "$ratios" | sed 's/^/#   /'
	if [ -z "$missing" ] && [ -n "$ratios" ] &&
		awk '$2 <= 1 || $3 < 2 { bad = 1 } END { exit bad }' <<<"$ratios"; then
		ok "MANY_REGS: new in patched-6.12, more than 2x faster than the ONE_REG loop over the runs and faster in each"
	else
		notok "MANY_REGS: new in patched-6.12, 2x the ONE_REG loop over the runs, faster in each (not new: ${missing:-none})"
	fi
}

# A comparison between two boots must show no regression, except under TCG (the guests'
# "emulated": true): there the runs of one boot do not carry the boot-to-boot variance of
# emulated timings (a clean-clone CI run found 4 "regressions" of 8-29 % between the base
# and the patched kernel in ioctls the series does not touch), so the verdicts are reported,
# not judged; the host's calibration (scripts/kci-calibrate.py) judges on real timings.
judge() { # WHAT BASE_LABEL COMPARE_STATUS COMPARE_JSON
	local reg emu
	reg=$(jq -r '[.metrics[] | select(.verdict == "regressed") | "\(.benchmark)/\(.name) x\(.ratio * 1000 | round / 1000)"] | join(", ")' "$4")
	emu=$("$pv" results export --db "$db" "label=$2,benchmark=ioctl" | jq -r .fingerprint.emulated | head -n 1)
	if [ "$3" -eq 0 ]; then
		ok "$1: no regression"
	elif [ "$emu" = true ]; then
		ok "$1: reported, not judged under TCG: ${reg:-none} regressed between the boots"
	else
		notok "$1: regressed: $reg"
	fi
}

# A/A: the same kernel booted twice must not regress
if [[ " $labels " == *" stock-6.12 "* && " $labels " == *" stock-6.12-again "* ]]; then
	compare_pair stock-6.12 stock-6.12-again
	st=$?
	f=$art/compare-stock-6.12-vs-stock-6.12-again.json
	judge "A/A, stock 6.12 booted twice" stock-6.12 "$st" "$f"
fi

# the series against its own base (the same source and configuration): the series' effect
# alone. Nothing may regress.
if [[ " $labels " == *" base-6.12 "* && " $labels " == *" patched-6.12 "* ]]; then
	compare_pair base-6.12 patched-6.12
	st=$?
	f=$art/compare-base-6.12-vs-patched-6.12.json
	judge "base-6.12 -> patched-6.12" base-6.12 "$st" "$f"
	many_regs_checks "$f"
fi
# against Debian's stock 6.12: the series and a different configuration (Debian's, not the
# test kernel's tinyconfig), so differences are reported, not judged
if [[ " $labels " == *" stock-6.12 "* && " $labels " == *" patched-6.12 "* ]]; then
	compare_pair stock-6.12 patched-6.12
	many_regs_checks "$art/compare-stock-6.12-vs-patched-6.12.json"
fi
if [[ " $labels " == *" stock-6.1 "* && " $labels " == *" stock-6.12 "* ]]; then
	compare_pair stock-6.1 stock-6.12
fi

# the dashboard over the whole store, as a browser sees it
check "dashboard built from the store" "$pv" dashboard --db "$db" -o "$art/dashboard" \
	--title "pvtrace kernel CI: the kernels this run booted"
# the same series as data: the change points between the kernels, for a CI job to act on
if "$pv" dashboard --db "$db" --json >"$art/history.json"; then
	ok "history: $(jq -r '"\(.results) results, \(.changes) change points"' "$art/history.json")"
	jq -r '.metrics[] | . as $m | .lines[] | . as $l | .changes[] |
		"#   \($m.benchmark)/\($m.name) on \($l.line): at \(.label) \(.before) -> \(.after) \($m.unit) (\(.verdict))"' \
		"$art/history.json" | head -n 30
else
	notok "history: pvtrace dashboard --json failed"
fi
prof=$(mktemp -d)
if $py tests/helpers/dashcheck.py "$art/dashboard/index.html" "$prof" "$art/dashboard.png" \
	>"$art/dashcheck.json" 2>"$art/dashcheck.err"; then
	check "dashboard in headless Chromium: no console error, a point per result and metric, one request" \
		$py - "$art/dashcheck.json" "$db" "$pv" <<'EOF'
import json, subprocess, sys
c = json.load(open(sys.argv[1]))
out = subprocess.run([sys.argv[3], "results", "export", "--db", sys.argv[2]],
                     capture_output=True, text=True, check=True).stdout
want = {}
for d in map(json.loads, out.splitlines()):
    for m in d["metrics"]:
        k = "metric %s/%s" % (d["benchmark"], m["name"])
        want[k] = want.get(k, 0) + 1
errors = [e for e in c["console"] if e["level"] in ("SEVERE", "ERROR")]
bad = ["%s: %s points, want %d" % (k, c["points"].get(k), n) for k, n in sorted(want.items())
       if c["points"].get(k) != n]
print("%d metric panels, %d points, %d console errors, %d requests, %d heatmap cells" % (
    len(want), sum(c["points"].values()), len(errors), len(c["requests"]), c["cells"]))
for x in bad[:10] + [e["message"] for e in errors[:5]]:
    print(x)
sys.exit(1 if errors or bad or len(c["requests"]) != 1 else 0)
EOF
else
	notok "dashboard in headless Chromium: $(head -n 1 "$art/dashcheck.err")"
fi
rm -rf "$prof"
[ ! -s "$art/dashboard.png" ] || echo "# screenshot: $art/dashboard.png"

# A/A false positives and real slowdowns on this host, with real runs
relay scripts/kci-calibrate.py < <(
	$py scripts/kci-calibrate.py --pairs "${PVTRACE_KCI_PAIRS:-10}" --runs 5 \
		--out "$art/calibration" --pvtrace "$pv" 2>&1
	echo "# status $?"
)
echo "1..$n"
exit $rc
