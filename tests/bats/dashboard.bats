#!/usr/bin/env bats
# pvtrace dashboard: the page over a synthetic series (tests/helpers/mkseries.py: 12 results
# per benchmark, a known step in one metric, histograms), read without a browser
# (tests/helpers/dashparse.py, Python's html.parser) and in Debian's headless Chromium
# (tests/helpers/dashcheck.py, selenium + chromedriver): no console error, the points in the
# live DOM, no network request, and a screenshot kept as the test artifact
# build/artifacts/dashboard.png (also copied to $PVTRACE_ARTIFACTS when set).

bats_require_minimum_version 1.5.0

load helpers

PY=/usr/bin/python3
MKSERIES=$REPO/tests/helpers/mkseries.py
PARSE=$REPO/tests/helpers/dashparse.py
CHECK=$REPO/tests/helpers/dashcheck.py
ARTIFACT=$REPO/build/artifacts/dashboard.png

setup() {
	T=$BATS_TEST_TMPDIR
	PROFILE=$T/chromium-profile
}

teardown() {
	rm -rf "$PROFILE"
}

# series FILE ARGS...: a synthetic series (mkseries.py ARGS) into FILE
series() {
	local f=$1
	shift
	"$PY" "$MKSERIES" "$@" >"$f"
}

# parsed PAGE PYTHON: run the Python statements with d = dashparse.py's view of PAGE and
# s = the input documents ($T/s.jsonl, if any); an assert failing fails the test
parsed() {
	"$PY" "$PARSE" "$1" >"$T/parsed.json" || return 1
	"$PY" -c 'import json, os, sys
d = json.load(open(sys.argv[1]))
s = [json.loads(l) for l in open(sys.argv[2])] if os.path.exists(sys.argv[2]) else []
exec(sys.argv[3])' "$T/parsed.json" "$T/s.jsonl" "$2"
}

need_browser() {
	local why=
	[ -x /usr/bin/chromium ] || why="chromium not installed"
	[ -x /usr/bin/chromedriver ] || why="${why:+$why, }chromium-driver not installed"
	"$PY" -c 'import selenium' 2>/dev/null || why="${why:+$why, }python3-selenium not installed"
	[ -z "$why" ] && return 0
	# CI installs them (scripts/deps.sh): missing there is a failure, not a skip
	if [ "${CI:-}" = true ]; then
		echo "CI: $why (scripts/deps.sh installs chromium, chromium-driver, python3-selenium)"
		return 1
	fi
	skip "$why"
}

@test "dashboard: one point per result in every metric, each linked to its fingerprint row" {
	series "$T/s.jsonl" --count 12 --shuffle --step ioctl/KVM_GET_REGS.p50:7:1.2
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/site"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(ls -A "$T/site")" = index.html ]
	parsed "$T/site/index.html" '
want = {}
for doc in s:
    for m in doc["metrics"]:
        k = "metric %s/%s" % (doc["benchmark"], m["name"])
        want[k] = want.get(k, 0) + 1
got = {k: v for k, v in d["points"].items() if k.startswith("metric ")}
print("points per metric:", sorted(set(got.values())), "metrics:", len(got))
assert got == want, (got, want)
assert len(want) == 17 and set(want.values()) == {12}
# small multiples: one per ioctl command, p50
small = {k: v for k, v in d["points"].items() if k.startswith("ioctl ")}
assert small == {"ioctl ioctl/KVM_GET_REGS.p50": 12, "ioctl ioctl/KVM_RUN.p50": 12}, small
assert d["points"]["speedup regs/ratio.get_one_over_many"] == 12
assert d["points"]["speedup regs/ratio.set_one_over_many"] == 12
assert d["points"]["overhead overhead/added_ns"] == 12
# the table: one row per document, in started order; every link resolves
assert len(d["rows"]) == len(s) == 36
started = [r["cells"][1] for r in d["rows"]]
assert started == sorted(doc["started"] for doc in s), started
ids = set(d["ids"])
assert all(h.startswith("#") and h[1:] in ids for h in d["hrefs"]), d["hrefs"]
assert sum(h.startswith("#run-") for h in d["hrefs"]) >= sum(d["points"].values())
# the points of a metric in series order: their rows started at non-decreasing times
row_started = {int(r["id"][4:]): r["cells"][1] for r in d["rows"]}
for k, runs in d["runs"].items():
    t = [row_started[r] for r in runs]
    assert t == sorted(t) and len(set(runs)) == len(runs), (k, runs)
# each point: median, p10 and p90 of the runs of its document, as numpy computes them
import numpy
run_doc = {}
for r in d["rows"]:
    run_doc[int(r["id"][4:])] = r["cells"][1:3]  # started, benchmark
by_key = {(doc["started"], doc["benchmark"]): doc for doc in s}
for k, runs in d["runs"].items():
    name = k.split()[1].split("/", 1)[1]
    for run, got in zip(runs, d["stats"][k]):
        doc = by_key[tuple(run_doc[run])]
        v = next(m["values"] for m in doc["metrics"] if m["name"] == name)
        ref = numpy.percentile(v, [50, 10, 90])
        assert numpy.allclose(got, ref, rtol=1e-8, atol=0), (k, run, got, ref)
# the heatmap: a cell per non-empty bucket of each histogram of each result
want_cells = sum(1 for doc in s for h in doc.get("histograms", []) for b in h["buckets"] if b["count"] > 0)
assert d["cells"] == want_cells, (d["cells"], want_cells)
print("cells:", d["cells"])
'
}

@test "dashboard: a +20% step at index 7 is a change point there, upwards, and no other" {
	series "$T/s.jsonl" --count 12 --step ioctl/KVM_GET_REGS.p50:7:1.2 --seed 3
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/site"
	[ "$status" -eq 0 ]
	parsed "$T/site/index.html" '
cps = [c for c in d["changepoints"] if c["section"] == "metrics"]
print(cps)
assert len(cps) == 1, cps
c = cps[0]
assert c["metric"] == "ioctl/KVM_GET_REGS.p50" and c["index"] == 7 and c["direction"] == "up"
assert c["verdict"] == "worse" and 15 < c["change"] < 25, c
# its magnitude: the medians of the point medians before and after (numpy)
import numpy
med = [x[0] for x in d["stats"]["metric ioctl/KVM_GET_REGS.p50"]]
ref = (numpy.median(med[:7]), numpy.median(med[7:]))
assert numpy.allclose((c["before"], c["after"]), ref, rtol=1e-5), (c, ref)
assert abs(c["change"] - (ref[1] / ref[0] - 1) * 100) < 0.01, (c, ref)
# the run it points at is the 8th ioctl result of the series
ioctl = sorted((doc["started"], i) for i, doc in enumerate(s) if doc["benchmark"] == "ioctl")
rows = {r["id"]: r["cells"] for r in d["rows"]}
assert rows["run-%d" % c["run"]][1] == ioctl[7][0]
'
}

@test "dashboard: a series of labels on one machine is one line; --lines label splits it" {
	# twelve results, each its own label (commits), a +20 % step at the 8th
	series "$T/s.jsonl" --count 12 --step ioctl/KVM_GET_REGS.p50:7:1.2 --seed 3 \
		--labels c01,c02,c03,c04,c05,c06,c07,c08,c09,c10,c11,c12
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/site"
	[ "$status" -eq 0 ]
	parsed "$T/site/index.html" '
cps = [c for c in d["changepoints"] if c["section"] == "metrics"]
assert [(c["metric"], c["index"]) for c in cps] == [("ioctl/KVM_GET_REGS.p50", 7)], cps
# the one line is named after the machine, and its points are the twelve labels in order
assert {c["label"] for c in cps} == {"Synthetic CPU \u00b7 KVM"}, cps
assert d["points"]["metric ioctl/KVM_GET_REGS.p50"] == 12
'
	# the x axis names the results by their labels
	grep -q '>c08</text>' "$T/site/index.html"
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/site2" --lines label
	[ "$status" -eq 0 ]
	parsed "$T/site2/index.html" '
assert not [c for c in d["changepoints"] if c["section"] == "metrics"], d["changepoints"]
'
	# two machines: the other one's results make a line of their own, without a change
	/usr/bin/python3 - "$T/s.jsonl" >"$T/two.jsonl" <<'PY'
import json, sys
for i, l in enumerate(open(sys.argv[1])):
    d = json.loads(l)
    print(json.dumps(d))
    d["fingerprint"]["cpu_model"], d["fingerprint"]["emulated"] = "Other CPU", True
    d["label"] += "-tcg"
    for m in d["metrics"]:
        m["values"] = [v * 3 for v in m["values"]] if m["name"] != "KVM_GET_REGS.p50" else [3000.0] * len(m["values"])
    print(json.dumps(d))
PY
	run "$PVTRACE" dashboard "$T/two.jsonl" -o "$T/site3"
	[ "$status" -eq 0 ]
	grep -q '>Other CPU · KVM · TCG</text>' "$T/site3/index.html"
	parsed "$T/site3/index.html" '
cps = [(c["metric"], c["label"], c["index"]) for c in d["changepoints"] if c["section"] == "metrics"]
assert cps == [("ioctl/KVM_GET_REGS.p50", "Synthetic CPU \u00b7 KVM", 7)], cps
assert d["points"]["metric ioctl/KVM_GET_REGS.p50"] == 24
'
	run -2 "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/site4" --lines kernel
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"invalid --lines 'kernel' (machine or label)"* ]]
}

@test "dashboard --json: the page's series and change points as one history document" {
	series "$T/s.jsonl" --count 12 --step ioctl/KVM_GET_REGS.p50:7:1.2 --seed 3
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/site" --json
	[ "$status" -eq 0 ]
	echo "$output" >"$T/h.json"
	[ -s "$T/site/index.html" ]
	"$PY" "$PARSE" "$T/site/index.html" >"$T/parsed.json"
	"$PY" - "$T/h.json" "$T/parsed.json" "$REPO/docs/schemas/pvtrace.history.v1.json" <<'PY'
import json, sys, jsonschema, numpy
h = json.load(open(sys.argv[1]))
page = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator(json.load(open(sys.argv[3]))).validate(h)
assert h["schema"] == "pvtrace.history/1" and h["results"] == 36 and h["changes"] == 1, h["changes"]
m = {(x["benchmark"], x["name"]): x for x in h["metrics"]}
line = m[("ioctl", "KVM_GET_REGS.p50")]["lines"][0]
(c,) = line["changes"]
# the same change point as the page, the same points
(pc,) = [x for x in page["changepoints"] if x["section"] == "metrics"]
assert (c["index"], c["run"], c["verdict"]) == (pc["index"], pc["run"], pc["verdict"]) == (7, pc["run"], "worse")
med = [p["median"] for p in line["points"]]
assert med == [x[0] for x in page["stats"]["metric ioctl/KVM_GET_REGS.p50"]]
# its magnitude is numpy's medians of the point medians before and after
assert numpy.allclose((c["before"], c["after"]), (numpy.median(med[:7]), numpy.median(med[7:])))
assert abs(c["change"] - (c["after"] / c["before"] - 1)) < 1e-9 and 0.15 < c["change"] < 0.25
# every metric has every result of its benchmark, and only this one changes
assert all(len(l["points"]) == 12 for x in h["metrics"] for l in x["lines"])
assert sum(len(l["changes"]) for x in h["metrics"] for l in x["lines"]) == 1
PY
	# --json alone: no page needed
	run "$PVTRACE" dashboard "$T/s.jsonl" --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .changes <<<"$output")" = 1 ]
	run -2 "$PVTRACE" dashboard "$T/s.jsonl"
	[[ $output == *"-o DIR, or --json"* ]]
}

@test "dashboard: a step down in a higher-is-better ratio is a regression; flat series have none" {
	series "$T/s.jsonl" --count 12 --step regs/ratio.get_one_over_many:4:0.7 \
		--step overhead/added_ns:9:0.5 --seed 5
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/site"
	[ "$status" -eq 0 ]
	parsed "$T/site/index.html" '
cps = sorted((c["metric"], c["index"], c["direction"], c["verdict"]) for c in d["changepoints"] if c["section"] == "metrics")
print(cps)
assert cps == [("overhead/added_ns", 9, "down", "better"),
               ("regs/ratio.get_one_over_many", 4, "down", "worse")], cps
'
}

@test "dashboard: a series without regs or overhead results says no data in those panels" {
	series "$T/s.jsonl" --count 6 --benchmarks ioctl
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/site"
	[ "$status" -eq 0 ]
	grep -q '>no data<' "$T/site/index.html"
	parsed "$T/site/index.html" '
print(d["nodata"])
assert len(d["nodata"].get("speedup", [])) == 2 and len(d["nodata"].get("overhead", [])) == 1
assert not any(k.startswith(("speedup ", "overhead ")) for k in d["points"])
assert set(d["points"].values()) == {6}
'
	series "$T/r.jsonl" --count 5 --benchmarks regs
	run "$PVTRACE" dashboard "$T/r.jsonl" -o "$T/site2"
	[ "$status" -eq 0 ]
	rm -f "$T/s.jsonl"
	parsed "$T/site2/index.html" '
assert "ioctl" in d["nodata"] and "heatmaps" in d["nodata"] and "overhead" in d["nodata"], d["nodata"]
assert d["points"]["speedup regs/ratio.set_one_over_many"] == 5
'
}

@test "dashboard: strings from documents are HTML escaped and the page is valid UTF-8" {
	series "$T/s.jsonl" --count 3 --benchmarks regs
	# a label with markup, quotes, an ampersand and a byte that is not UTF-8
	"$PY" -c 'import sys
raw = open(sys.argv[1], "rb").read()
raw = raw.replace(b"\"label\":\"series\"", b"\"label\":\"<script>x()</script> & \\\"q\\\" \xff<b>\"")
open(sys.argv[1], "wb").write(raw)' "$T/s.jsonl"
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/site" --title 'T <i>&</i>'
	echo "$output"
	[ "$status" -eq 0 ]
	run ! grep -q -e '<script' -e '<b>' -e '<i>' "$T/site/index.html"
	grep -q '&lt;script&gt;x()&lt;/script&gt; &amp; &quot;q&quot; ' "$T/site/index.html"
	grep -q '<h1>T &lt;i&gt;&amp;&lt;/i&gt;</h1>' "$T/site/index.html"
	rm -f "$T/s.jsonl"
	parsed "$T/site/index.html" '
assert d["scripts"] == 0
labels = {r["cells"][3] for r in d["rows"]}
assert labels == {"<script>x()</script> & \"q\" \ufffd<b>"}, labels
'
}

@test "dashboard: errors are one line with exit 2 (input) or 1 (output), nothing left behind" {
	series "$T/s.jsonl" --count 2 --benchmarks overhead
	: >"$T/empty.jsonl"
	run "$PVTRACE" dashboard "$T/empty.jsonl" -o "$T/site"
	[ "$status" -eq 2 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"no result documents"* ]]
	run "$PVTRACE" dashboard "$T/missing.jsonl" -o "$T/site"
	[ "$status" -eq 2 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"missing.jsonl: No such file"* ]]
	{ cat "$T/s.jsonl"; echo '{"schema":"pvtrace.latency/1","kind":"report"}'; } >"$T/other.jsonl"
	run "$PVTRACE" dashboard "$T/other.jsonl" -o "$T/site"
	echo "$output"
	[ "$status" -eq 2 ] && [ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"other.jsonl:3: not a pvtrace.bench/1 document (schema 'pvtrace.latency/1')"* ]]
	{ cat "$T/s.jsonl"; echo '{"schema": "pvtrace.bench/1", '; } >"$T/cut.jsonl"
	run "$PVTRACE" dashboard "$T/cut.jsonl" -o "$T/site"
	[ "$status" -eq 2 ] && [[ "$output" == *"cut.jsonl:3: not JSON"* ]]
	run "$PVTRACE" dashboard "$T/s.jsonl"
	[ "$status" -eq 2 ] && [[ "$output" == *"-o DIR"* ]]
	run "$PVTRACE" dashboard -o "$T/site"
	[ "$status" -eq 2 ]
	run "$PVTRACE" dashboard "$T/s.jsonl" --select all -o "$T/site"
	[ "$status" -eq 2 ] && [[ "$output" == *"--select needs --db"* ]]
	run "$PVTRACE" dashboard "$T/s.jsonl" --db "$T/x.db" -o "$T/site"
	[ "$status" -eq 2 ] && [[ "$output" == *"not both"* ]]
	[ ! -e "$T/site" ] && [ ! -e "$T/x.db" ]
	# DIR below a regular file: cannot be created
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/s.jsonl/site"
	echo "$output"
	[ "$status" -eq 1 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"Not a directory"* ]]
	# created with parents; written again over the old page, no temporary left
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/a/b/site"
	[ "$status" -eq 0 ] && [ -s "$T/a/b/site/index.html" ]
	echo old >"$T/a/b/site/index.html"
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/a/b/site"
	[ "$status" -eq 0 ] && [ "$(ls -A "$T/a/b/site")" = index.html ]
	grep -q '</html>' "$T/a/b/site/index.html"
	# DIR is a file: the file stays as it was
	echo keep >"$T/plain"
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/plain"
	[ "$status" -eq 1 ] && [ "$(cat "$T/plain")" = keep ]
}

@test "dashboard: damaged documents are drawn or refused in one line, never a crash" {
	local drawn=0 refused=0
	for seed in $(seq 1 80); do
		series "$T/m.jsonl" --count 3 --mutate "$seed"
		rm -rf "$T/site"
		run "$PVTRACE" dashboard "$T/m.jsonl" -o "$T/site"
		if [ "$status" -eq 0 ]; then
			[ -z "$output" ]
			"$PY" "$PARSE" "$T/site/index.html" >/dev/null
			drawn=$((drawn + 1))
		else
			echo "seed $seed: $status: $output"
			[ "$status" -eq 2 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"m.jsonl:"* ]]
			[ ! -e "$T/site" ]
			refused=$((refused + 1))
		fi
	done
	echo "# damaged documents: $drawn drawn, $refused refused" >&3
	[ "$drawn" -gt 0 ] && [ "$refused" -gt 0 ]
}

@test "dashboard --db: the store's selection draws the same points as the files" {
	command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
	series "$T/s.jsonl" --count 8 --shuffle --step regs/ratio.set_one_over_many:4:1.5
	run "$PVTRACE" results import --db "$T/r.db" "$T/s.jsonl"
	[ "$status" -eq 0 ]
	run "$PVTRACE" dashboard --db "$T/r.db" -o "$T/all"
	[ "$status" -eq 0 ]
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/files"
	[ "$status" -eq 0 ]
	"$PY" "$PARSE" "$T/all/index.html" >"$T/a.json"
	"$PY" "$PARSE" "$T/files/index.html" >"$T/f.json"
	"$PY" -c 'import json, sys
a, f = (json.load(open(p)) for p in sys.argv[1:3])
assert a["points"] == f["points"] and a["changepoints"] == f["changepoints"], (a, f)
assert [r["cells"][1:] for r in a["rows"]] == [r["cells"][1:] for r in f["rows"]]
print(len(a["points"]), "panels,", sum(a["points"].values()), "points")' "$T/a.json" "$T/f.json"
	run "$PVTRACE" dashboard --db "$T/r.db" --select benchmark=regs -o "$T/regs"
	[ "$status" -eq 0 ]
	rm -f "$T/s.jsonl"
	parsed "$T/regs/index.html" '
assert all(k.split()[1].startswith("regs/") for k in d["points"]), d["points"]
assert len(d["rows"]) == 8 and set(d["points"].values()) == {8}
assert [(c["metric"], c["index"]) for c in d["changepoints"] if c["section"] == "metrics"] == [("regs/ratio.set_one_over_many", 4)]
'
	run "$PVTRACE" dashboard --db "$T/r.db" --select label=none -o "$T/none"
	[ "$status" -eq 2 ] && [ ! -e "$T/none" ]
	run "$PVTRACE" dashboard --db "$T/r.db" --select color=blue -o "$T/none"
	[ "$status" -eq 2 ] && [ ! -e "$T/none" ]
	run "$PVTRACE" dashboard --db "$T/nothere.db" -o "$T/none"
	[ "$status" -eq 1 ] && [ ! -e "$T/none" ] && [ ! -e "$T/nothere.db" ]
}

@test "dashboard in headless Chromium: no console error, every point, no request, a screenshot" {
	need_browser
	series "$T/s.jsonl" --count 12 --shuffle --step ioctl/KVM_GET_REGS.p50:7:1.2
	run "$PVTRACE" dashboard "$T/s.jsonl" -o "$T/site" --title 'pvtrace dashboard (synthetic series)'
	[ "$status" -eq 0 ]
	mkdir -p "$(dirname "$ARTIFACT")"
	rm -f "$ARTIFACT"
	run "$PY" "$CHECK" "$T/site/index.html" "$PROFILE" "$ARTIFACT"
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | tail -n 1 >"$T/live.json"
	"$PY" -c 'import json, sys
live = json.load(open(sys.argv[1]))
s = [json.loads(l) for l in open(sys.argv[2])]
page = "file://" + sys.argv[3]
assert live["console"] == [], live["console"]
want = {}
for doc in s:
    for m in doc["metrics"]:
        k = "metric %s/%s" % (doc["benchmark"], m["name"])
        want[k] = want.get(k, 0) + 1
got = {k: v for k, v in live["points"].items() if k.startswith("metric ")}
assert got == want, (got, want)
assert live["rows"] == len(s) and live["cells"] > 0
assert [(c["metric"], c["index"], c["direction"]) for c in live["changepoints"]] == [("ioctl/KVM_GET_REGS.p50", 7, "up")]
# what the page made the browser fetch: the page itself, nothing else
assert live["requests"] == [page], live["requests"]
print("live points per metric:", sorted(set(got.values())), "metrics:", len(got), "page height:", live["height"])
' "$T/live.json" "$T/s.jsonl" "$(realpath "$T/site/index.html")"
	# the page forbids every fetch (CSP default-src none; inline styles only)
	grep -q "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">" "$T/site/index.html"
	run ! grep -Eq '(src|href)="(https?:)?//' "$T/site/index.html"
	# a PNG, 1400 px wide
	"$PY" -c 'import struct, sys
b = open(sys.argv[1], "rb").read(24)
assert b[:8] == b"\x89PNG\r\n\x1a\n", b[:8]
w, h = struct.unpack(">II", b[16:24])
print("screenshot %dx%d" % (w, h))
assert w == 1400 and h > 1000' "$ARTIFACT"
	if [ -n "${PVTRACE_ARTIFACTS:-}" ]; then
		mkdir -p "$PVTRACE_ARTIFACTS"
		cp "$ARTIFACT" "$PVTRACE_ARTIFACTS/dashboard.png"
	fi
}

@test "the browser check sees a script error and a blocked request (it can fail)" {
	need_browser
	mkdir -p "$T/bad"
	cat >"$T/bad/index.html" <<'EOF'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>broken</title></head>
<body><p>broken</p><script>no_such_function();</script></body></html>
EOF
	run "$PY" "$CHECK" "$T/bad/index.html" "$PROFILE"
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | tail -n 1 >"$T/live.json"
	"$PY" -c 'import json, sys
live = json.load(open(sys.argv[1]))
assert any(e["level"] == "SEVERE" and "no_such_function" in e["message"] for e in live["console"]), live' "$T/live.json"
	# under the dashboard's CSP an image from the network is refused, and said so
	rm -rf "$PROFILE"
	cat >"$T/bad/index.html" <<'EOF'
<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>fetch</title></head><body><img src="http://192.0.2.1/x.png" alt=""></body></html>
EOF
	run "$PY" "$CHECK" "$T/bad/index.html" "$PROFILE"
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | tail -n 1 >"$T/live.json"
	"$PY" -c 'import json, sys
live = json.load(open(sys.argv[1]))
assert any("Content Security Policy" in e["message"] for e in live["console"]), live' "$T/live.json"
	# and without a CSP, a fetch of the page (here a file beside it) is seen as a request
	rm -rf "$PROFILE"
	cat >"$T/bad/index.html" <<'EOF'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>fetch</title></head>
<body><img src="beside.png" alt=""></body></html>
EOF
	run "$PY" "$CHECK" "$T/bad/index.html" "$PROFILE"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | tail -n 1 >"$T/live.json"
	"$PY" -c 'import json, sys
live = json.load(open(sys.argv[1]))
print(live["requests"])
assert len(live["requests"]) == 2 and live["requests"][1].endswith("/bad/beside.png"), live' "$T/live.json"
}
