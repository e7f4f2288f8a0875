#!/usr/bin/env bats
# pvtrace compare on synthetic result documents whose effects are known
# (tests/helpers/mkresult.py): A/A pairs and the false-positive rate of each method, known
# shifts, the practical threshold, too few runs; the JUnit (python3-junitparser) and KCIDB
# (python3-jsonschema, the KCIDB v5.3 schema) outputs; bad input.

load helpers
bats_require_minimum_version 1.5.0

MK=$REPO/tests/helpers/mkresult.py
KCIDB_SCHEMA=$REPO/tests/data/kcidb/kcidb.v5.3.schema.json

setup() {
	D=$BATS_TEST_TMPDIR
}

mk() { # mkresult.py ARGS... (Debian's python3)
	/usr/bin/python3 "$MK" "$@"
}

# py EXPR: EXPR evaluated with d = the JSON document in $output
py() {
	/usr/bin/python3 -c 'import json, sys
d = json.loads(sys.stdin.read())
print(eval(sys.argv[1]))' "$1" <<<"$output"
}

metric_field() { # NAME EXPR: EXPR on "m", the metric NAME of the document in $output
	py "(lambda m: m$2)([m for m in d['metrics'] if m['name'] == '$1'][0])"
}

@test "A/A: the same distribution, another seed: no regression, exit 0" {
	mk --seed 1 --metric KVM_GET_REGS.p50:800:0.02 --metric KVM_RUN.p50:3000:0.03 >"$D/a.jsonl"
	mk --seed 2 --metric KVM_GET_REGS.p50:800:0.02 --metric KVM_RUN.p50:3000:0.03 >"$D/b.jsonl"
	run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl" --json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(py "d['summary']['regressed']")" = 0 ]
	[ "$(py "d['summary']['same']")" = 2 ]
}

@test "A/A false positives over 50 seeded pairs: pvtrace's within alpha, every method measured" {
	# 50 pairs x 4 metrics, 10 runs, 2-3 % noise, one 2 % band for every method
	cd "$D"
	run /usr/bin/python3 - "$PVTRACE" "$MK" <<'EOF'
import json, subprocess, sys
pv, mk = sys.argv[1], sys.argv[2]
metrics = ["--metric", "a.p50:800:0.02", "--metric", "b.p50:3000:0.03",
           "--metric", "c.p99:5000:0.03", "--metric", "ratio.x:2.0:0.02:higher"]
methods = ["pvtrace", "pinpoint", "perfherder", "lkp"]
fp = {m: 0 for m in methods}
pairs = {m: 0 for m in methods}
n = 0
for k in range(50):
    for s, side in ((1000 + 2 * k, "b"), (1001 + 2 * k, "n")):
        with open("aa.%s" % side, "w") as f:
            subprocess.run(["/usr/bin/python3", mk, "--seed", str(s)] + metrics, stdout=f, check=True)
    for m in methods:
        r = subprocess.run([pv, "compare", "aa.b", "aa.n", "--json", "--method", m,
                            "--threshold", "0.02"], capture_output=True, text=True)
        assert r.returncode in (0, 1), r.stderr
        d = json.loads(r.stdout)
        flagged = d["summary"]["regressed"] + d["summary"]["improved"]
        fp[m] += flagged
        pairs[m] += flagged > 0
        assert (r.returncode == 1) == (d["summary"]["regressed"] > 0)
    n += 4
for m in methods:
    print("%s %d %d %d" % (m, fp[m], pairs[m], n))
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	while read -r m f p n; do
		echo "# A/A $m: $f false verdicts in $n metric comparisons, $p of 50 pairs" >&3
	done <<<"$output"
	read -r _ f p n <<<"$(grep '^pvtrace ' <<<"$output")"
	# Holm keeps the family-wise rate at alpha = 0.05: at most 5 of 50 pairs (10 %)
	[ "$p" -le 5 ]
	[ "$n" -eq 200 ]
	# the uncorrected min of two p-values (Pinpoint) flags at least as often as ours
	read -r _ fpp _ _ <<<"$(grep '^pinpoint ' <<<"$output")"
	[ "$fpp" -ge "$f" ]
}

@test "a known +5 % slowdown over 20 seeded pairs: the detection rate of each method" {
	cd "$D"
	run /usr/bin/python3 - "$PVTRACE" "$MK" <<'EOF'
import json, subprocess, sys
pv, mk = sys.argv[1], sys.argv[2]
methods = ["pvtrace", "pinpoint", "perfherder", "lkp"]
hit = {m: 0 for m in methods}
wrong = {m: 0 for m in methods}
same = {m: 0 for m in methods}
ratios = []
for k in range(20):
    for s, side, med in ((2000 + 2 * k, "b", 800), (2001 + 2 * k, "n", 840)):
        with open("sl.%s" % side, "w") as f:
            subprocess.run(["/usr/bin/python3", mk, "--seed", str(s), "--metric",
                            "a.p50:%d:0.02" % med], stdout=f, check=True)
    for m in methods:
        r = subprocess.run([pv, "compare", "sl.b", "sl.n", "--json", "--method", m,
                            "--threshold", "0.02"], capture_output=True, text=True)
        d = json.loads(r.stdout)
        v = d["metrics"][0]["verdict"]
        hit[m] += v == "regressed"
        wrong[m] += v == "improved"
        same[m] += v == "same"
        if m == "pvtrace":
            ratios.append(d["metrics"][0]["ratio"])
for m in methods:
    print("%s %d %d %d" % (m, hit[m], wrong[m], same[m]))
print("ratio %.4f %.4f 0" % (min(ratios), max(ratios)))
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	while read -r m h w sm; do
		if [ "$m" = ratio ]; then
			echo "# +5 %: pvtrace's ratios $h .. $w" >&3
			continue
		fi
		echo "# +5 % $m: $h of 20 regressed, $sm same, $w improved" >&3
		[ "$w" -eq 0 ]
	done <<<"$output"
	read -r _ h _ sm <<<"$(grep '^pvtrace ' <<<"$output")"
	# 10 runs of 2 % noise resolve a 5 % change against a 2 % band more often than not;
	# the rest are unknown (the interval reaches into the band), never "same"
	[ "$h" -ge 10 ]
	[ "$sm" -eq 0 ]
}

@test "a +10 % slowdown with 2 % noise, 10 runs: regressed, the interval holds 1.10, exit 1" {
	mk --seed 3 --metric KVM_GET_REGS.p50:800:0.02 --metric KVM_RUN.p50:3000:0.02 >"$D/a.jsonl"
	mk --seed 4 --metric KVM_GET_REGS.p50:880:0.02 --metric KVM_RUN.p50:3000:0.02 >"$D/b.jsonl"
	run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl" --json
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(metric_field KVM_GET_REGS.p50 "['verdict']")" = regressed ]
	[ "$(metric_field KVM_GET_REGS.p50 "['ci'][0] < 1.10 < m['ci'][1]")" = True ]
	[ "$(metric_field KVM_GET_REGS.p50 "['p_adjusted'] < 0.05")" = True ]
	[ "$(metric_field KVM_RUN.p50 "['verdict']")" = same ]
	echo "# +10 %: ratio $(metric_field KVM_GET_REGS.p50 "['ratio']") CI $(metric_field KVM_GET_REGS.p50 "['ci']")" >&3
	# the text table says the same
	run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q '^ioctl/KVM_GET_REGS.p50 .* regressed$' <<<"$output"
	grep -q '1 regressed, 0 improved, 1 same, 0 unknown' <<<"$output"
}

@test "every method detects the +10 % slowdown" {
	mk --seed 3 --metric KVM_GET_REGS.p50:800:0.02 >"$D/a.jsonl"
	mk --seed 4 --metric KVM_GET_REGS.p50:880:0.02 >"$D/b.jsonl"
	for m in pvtrace pinpoint perfherder lkp; do
		run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl" --json --method "$m"
		echo "$m: $output"
		[ "$status" -eq 1 ]
		[ "$(py "d['method']")" = "$m" ]
		[ "$(metric_field KVM_GET_REGS.p50 "['verdict']")" = regressed ]
	done
}

@test "-10 % on a better=lower metric: improved, exit 0" {
	mk --seed 5 --metric mix.mean_ns:1000:0.02 >"$D/a.jsonl"
	mk --seed 6 --metric mix.mean_ns:900:0.02 >"$D/b.jsonl"
	run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl" --json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(metric_field mix.mean_ns "['verdict']")" = improved ]
	[ "$(metric_field mix.mean_ns "['ci'][0] < 0.90 < m['ci'][1]")" = True ]
	echo "# -10 %: ratio $(metric_field mix.mean_ns "['ratio']") CI $(metric_field mix.mean_ns "['ci']")" >&3
}

@test "higher-is-better ratio metrics: a drop regresses, a rise improves" {
	mk --benchmark regs --seed 7 --metric ratio.get_one_over_many:2.0:0.02:higher >"$D/a.jsonl"
	mk --benchmark regs --seed 8 --metric ratio.get_one_over_many:1.8:0.02:higher >"$D/down.jsonl"
	mk --benchmark regs --seed 9 --metric ratio.get_one_over_many:2.2:0.02:higher >"$D/up.jsonl"
	run "$PVTRACE" compare "$D/a.jsonl" "$D/down.jsonl" --json
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(metric_field ratio.get_one_over_many "['verdict']")" = regressed ]
	[ "$(metric_field ratio.get_one_over_many "['better'] + m['unit']")" = higherx ]
	run "$PVTRACE" compare "$D/a.jsonl" "$D/up.jsonl" --json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(metric_field ratio.get_one_over_many "['verdict']")" = improved ]
}

@test "a shift below the threshold is the same, significant or not" {
	# +1 % with 0.5 % noise: significant, but inside the 5 % band
	mk --seed 10 --metric traced.p50:1000:0.005 >"$D/a.jsonl"
	mk --seed 11 --metric traced.p50:1010:0.005 >"$D/b.jsonl"
	run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl" --json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(metric_field traced.p50 "['verdict']")" = same ]
	[ "$(metric_field traced.p50 "['p_adjusted'] < 0.05")" = True ]
	# a threshold of 0.5 % makes it a regression
	run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl" --json --threshold 0.005
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(metric_field traced.p50 "['verdict']")" = regressed ]
}

@test "3 runs with big noise: unknown, with an estimate of the runs needed" {
	mk --runs 3 --seed 12 --metric KVM_RUN.p50:3000:0.15 >"$D/a.jsonl"
	mk --runs 3 --seed 13 --metric KVM_RUN.p50:3300:0.15 >"$D/b.jsonl"
	run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl" --json --min-runs 3
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(metric_field KVM_RUN.p50 "['verdict']")" = unknown ]
	[ "$(metric_field KVM_RUN.p50 "['needs_runs'] >= 1")" = True ]
	echo "# 3 runs, 15 % noise: needs $(metric_field KVM_RUN.p50 "['needs_runs']") more runs" >&3
	run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl" --min-runs 3
	echo "$output"
	grep -Eq '^ioctl/KVM_RUN.p50 .* unknown: needs [0-9]+ more runs$' <<<"$output"
	# under the default --min-runs 5: unknown as well, at least 2 more runs
	run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl" --json
	[ "$(metric_field KVM_RUN.p50 "['verdict']")" = unknown ]
	[ "$(metric_field KVM_RUN.p50 "['needs_runs'] >= 2")" = True ]
}

@test "documents pool their runs; metrics of one side only are reported; stdin" {
	mk --seed 14 --metric a.p50:100:0.01 --metric gone.p50:5:0.01 >"$D/a.jsonl"
	mk --seed 15 --metric a.p50:100:0.01 --metric gone.p50:5:0.01 >>"$D/a.jsonl"
	mk --seed 16 --metric a.p50:100:0.01 --metric fresh.p50:7:0.01 >"$D/b.jsonl"
	run "$PVTRACE" compare "$D/a.jsonl" - --json <"$D/b.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(metric_field a.p50 "['base']['runs']")" = 20 ]
	[ "$(metric_field a.p50 "['new']['runs']")" = 10 ]
	[ "$(metric_field gone.p50 "['verdict']")" = "base only" ]
	[ "$(metric_field fresh.p50 "['verdict']")" = "new only" ]
	[ "$(py "d['base']['documents']")" = 2 ]
}

@test "--json validates against docs/schemas/pvtrace.compare.v1.json" {
	mk --seed 17 --metric a.p50:100:0.02 --metric b.p50:0:0.0 --metric gone:1:0 >"$D/a.jsonl"
	mk --runs 3 --seed 18 --metric a.p50:120:0.02 --metric b.p50:1:0.0 --metric new:1:0 >"$D/b.jsonl"
	PVTRACE_JSON_LOG=$D/json.log run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl" --json
	echo "$output"
	[ "$(metric_field b.p50 "['reason']")" = "no ratio: BASE's median is not positive" ]
	run /usr/bin/python3 "$REPO/tests/json-schema-check.py" --require pvtrace.compare/1 "$D/json.log"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "--kcidb: a KCIDB v5.3 report that the schema accepts, statuses from the verdicts" {
	mk --seed 3 --build-id 5f1cabcd --metric KVM_GET_REGS.p50:800:0.02 \
		--metric KVM_RUN.p50:3000:0.02 --metric gone.p50:1:0.01 >"$D/a.jsonl"
	mk --seed 4 --build-id 5f1cabcd --metric KVM_GET_REGS.p50:880:0.02 \
		--metric KVM_RUN.p50:3000:0.02 >"$D/b.jsonl"
	run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl" --json --kcidb "$D/kcidb.json"
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" >"$D/cmp.json"
	run /usr/bin/python3 - "$KCIDB_SCHEMA" "$D/kcidb.json" "$D/cmp.json" <<'EOF'
import json, sys
import jsonschema
schema, doc, cmp = (json.load(open(p)) for p in sys.argv[1:])
jsonschema.validate(doc, schema)
assert doc["version"] == {"major": 5, "minor": 3}
status = {"same": "PASS", "improved": "PASS", "regressed": "FAIL", "unknown": "SKIP",
          "base only": "SKIP", "new only": "SKIP"}
tests = {t["path"]: t for t in doc["tests"]}
assert len(tests) == len(cmp["metrics"])
builds = {b["id"] for b in doc["builds"]}
for m in cmp["metrics"]:
    t = tests["pvtrace.%s.%s" % (m["benchmark"], m["name"])]
    assert t["status"] == status[m["verdict"]], (t, m)
    assert t["build_id"] in builds and t["id"].startswith("pvtrace:") and t["origin"] == "pvtrace"
    assert t["misc"]["verdict"] == m["verdict"]
    if m["new"]:
        assert abs(t["number"]["value"] - m["new"]["median"] * 1e-9) < 1e-15, t
        assert t["number"]["unit"] == "s"
print("kcidb ok", len(tests), "tests", sorted(builds))
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q 'kcidb ok 3 tests' <<<"$output"
	grep -q '5f1cabcd' <<<"$output"
}

@test "--junit: junitparser counts the failures and skips of the JSON verdicts" {
	mk --seed 3 --metric KVM_GET_REGS.p50:800:0.02 --metric KVM_RUN.p50:3000:0.02 \
		--metric gone.p50:1:0.01 >"$D/a.jsonl"
	mk --benchmark regs --seed 19 --metric ratio.x:2:0.2:higher >>"$D/a.jsonl"
	mk --seed 4 --metric KVM_GET_REGS.p50:880:0.02 --metric KVM_RUN.p50:3000:0.02 >"$D/b.jsonl"
	mk --benchmark regs --runs 4 --seed 20 --metric ratio.x:2:0.2:higher >>"$D/b.jsonl"
	run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl" --json --junit "$D/junit.xml"
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" >"$D/cmp.json"
	run /usr/bin/python3 - "$D/junit.xml" "$D/cmp.json" <<'EOF'
import json, sys
from junitparser import JUnitXml
xml = JUnitXml.fromfile(sys.argv[1])
cmp = json.load(open(sys.argv[2]))
fail = skip = cases = 0
verdict = {(m["benchmark"], m["name"]): m for m in cmp["metrics"]}
suites = set()
for suite in xml:
    suites.add(suite.name)
    for case in suite:
        cases += 1
        m = verdict[(suite.name, case.name)]
        kinds = [type(r).__name__ for r in case.result]
        if m["verdict"] == "regressed":
            assert kinds == ["Failure"], kinds
            fail += 1
        elif m["verdict"] in ("unknown", "base only", "new only"):
            assert kinds == ["Skipped"], kinds
            if m["verdict"] == "unknown":
                assert case.result[0].message == "needs %d more runs" % m["needs_runs"], case.result[0].message
            skip += 1
        else:
            assert kinds == [], kinds
s = cmp["summary"]
assert fail == s["regressed"] and skip == s["unknown"] + s["base_only"] + s["new_only"]
assert cases == len(cmp["metrics"]) and suites == {"ioctl", "regs"}
print("junit ok", cases, "cases", fail, "failures", skip, "skipped")
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q 'junit ok 4 cases 1 failures 2 skipped' <<<"$output"
}

@test "XML and KCIDB escape what they are given" {
	# compare does not insist on the schema's benchmark names: escaping must hold anyway
	mk --seed 3 --metric a.p50:800:0.02 | sed 's/"benchmark":"ioctl"/"benchmark":"x<\&\\"y'"'"'>"/' >"$D/a.jsonl"
	mk --seed 4 --metric a.p50:880:0.02 | sed 's/"benchmark":"ioctl"/"benchmark":"x<\&\\"y'"'"'>"/' >"$D/b.jsonl"
	run "$PVTRACE" compare "$D/a.jsonl" "$D/b.jsonl" --junit "$D/j.xml" --kcidb "$D/k.json"
	echo "$output"
	[ "$status" -eq 1 ]
	run /usr/bin/python3 - "$D/j.xml" "$D/k.json" "$KCIDB_SCHEMA" <<'EOF'
import json, sys
import jsonschema
from junitparser import JUnitXml
suites = [s.name for s in JUnitXml.fromfile(sys.argv[1])]
assert suites == ["x<&\"y'>"], suites
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[3])))
print("escaped ok")
EOF
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "bad input: one line, exit 2, no partial or temporary file left behind" {
	mk --seed 1 --metric a:1:0.01 >"$D/ok.jsonl"
	printf 'not json\n' >"$D/bad.jsonl"
	printf '{"schema":"pvtrace.latency.ioctl/2","kind":"report"}\n' >"$D/other.jsonl"
	: >"$D/empty.jsonl"
	printf '{"schema":"pvtrace.bench/1","benchmark":"ioctl","metrics":[{"name":"a","unit":"ns","better":"sideways","threshold":0.05,"values":[1]}]}\n' >"$D/better.jsonl"
	mkdir "$D/out"
	for args in "$D/none.jsonl $D/ok.jsonl" "$D/bad.jsonl $D/ok.jsonl" \
		"$D/ok.jsonl $D/other.jsonl" "$D/empty.jsonl $D/ok.jsonl" \
		"$D/ok.jsonl $D/better.jsonl" "- -" "$D/ok.jsonl" \
		"$D/ok.jsonl $D/ok.jsonl $D/ok.jsonl" "$D/ok.jsonl $D/ok.jsonl --alpha 0.7" \
		"$D/ok.jsonl $D/ok.jsonl --alpha x" "$D/ok.jsonl $D/ok.jsonl --method best" \
		"$D/ok.jsonl $D/ok.jsonl --threshold 0" "$D/ok.jsonl $D/ok.jsonl --min-runs 0" \
		"$D/ok.jsonl $D/bad.jsonl --junit $D/out/j.xml" \
		"$D/ok.jsonl $D/ok.jsonl --junit $D/nodir/j.xml" \
		"$D/ok.jsonl $D/ok.jsonl --kcidb $D/out/k.json --junit $D/nodir/j.xml" \
		"$D/ok.jsonl $D"; do
		# shellcheck disable=SC2086 # the arguments are words
		run "$PVTRACE" compare $args </dev/null
		echo "$args: $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "pvtrace"*": "* ]]
	done
	# the failures name the problem
	run "$PVTRACE" compare "$D/ok.jsonl" "$D/bad.jsonl"
	grep -q 'bad.jsonl:1: not JSON' <<<"$output"
	run "$PVTRACE" compare "$D/ok.jsonl" "$D/better.jsonl"
	grep -q 'better (lower|higher)' <<<"$output"
	# no temporaries; the JUnit file whose run failed on its input was never written
	run ls -A "$D/out"
	echo "out: $output"
	[ ! -e "$D/out/j.xml" ]
	[[ "$output" != *.XXXXXX* && "$output" != *.json.* && "$output" != *.xml.* ]]
	run ls -A "$D"
	[[ "$output" != *.json.* && "$output" != *.xml.* ]]
}

@test "--help has examples" {
	run "$PVTRACE" compare --help
	[ "$status" -eq 0 ]
	grep -q 'pvtrace compare base.jsonl new.jsonl' <<<"$output"
	grep -q -- '--method' <<<"$output"
}

@test "--db: selections from the results store compare as the same documents in files do" {
	mk --seed 3 --label base --started 2026-01-01T00:00:00Z --metric a.p50:800:0.02 \
		--metric b.p50:3000:0.01 >"$D/base.jsonl"
	mk --seed 4 --label new --started 2026-01-02T00:00:00Z --metric a.p50:880:0.02 \
		--metric b.p50:3000:0.01 >"$D/new.jsonl"
	"$PVTRACE" results import --db "$D/r.db" "$D/base.jsonl" "$D/new.jsonl"
	run "$PVTRACE" compare "$D/base.jsonl" "$D/new.jsonl" --json
	[ "$status" -eq 1 ]
	files=$output
	run "$PVTRACE" compare --db "$D/r.db" label=base label=new --json
	[ "$status" -eq 1 ]
	# the same figures and verdicts; only where the documents came from differs
	strip='del d["base"], d["new"]; [m.pop("sources", None) for m in d["metrics"]]; print(json.dumps(d, sort_keys=True))'
	a=$(/usr/bin/python3 -c "import json, sys; d = json.loads(sys.argv[1]); $strip" "$files")
	b=$(/usr/bin/python3 -c "import json, sys; d = json.loads(sys.argv[1]); $strip" "$output")
	[ "$a" = "$b" ]
	[ "$(py "[m['verdict'] for m in d['metrics']]")" = "['regressed', 'same']" ]
	# a selection that matches nothing, and an unknown term: one line, exit 2
	run "$PVTRACE" compare --db "$D/r.db" label=base label=nosuch
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"no result documents"* ]]
	run "$PVTRACE" compare --db "$D/r.db" label=base colour=blue
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	run "$PVTRACE" compare --db "$D/nosuch.db" label=base label=new
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[ ! -e "$D/nosuch.db" ]
}
