#!/usr/bin/env bats
# The JSON Schemas in docs/schemas and their checker (tests/json-schema-check.py):
# real documents pass, and documents that break the rules (a float time, a missing
# key, an unknown kind or field, an escaped slash, NaN) are rejected.
# json-samples.jsonl holds documents pvtrace printed in the host and guest suites.

load helpers

CHECK=$REPO/tests/json-schema-check.py
SAMPLES=$REPO/tests/bats/json-samples.jsonl

# sample SCHEMA KIND [PATTERN]: the first sample document of that schema and kind
# (that matches the grep PATTERN)
sample() {
	grep "^{\"schema\":\"$1\",\"kind\":\"$2\"" "$SAMPLES" | grep -m1 -e "${3:-}"
}

# mutate DOC PYTHON: DOC (as d) changed by the Python statements, compact JSON
mutate() {
	/usr/bin/python3 -c 'import json, sys
d = json.loads(sys.argv[1])
exec(sys.argv[2])
print(json.dumps(d, separators=(",", ":")))' "$1" "$2"
}

# rejected DOC WHAT: the checker fails DOC and names WHAT in its failure line
rejected() {
	printf '%s\n' "$1" >"$BATS_TEST_TMPDIR/doc.log"
	run /usr/bin/python3 "$CHECK" "$BATS_TEST_TMPDIR/doc.log"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "^not ok .*$2" <<<"$output"
}

@test "every schema file is a Draft 2020-12 schema named after the schema it checks" {
	run /usr/bin/python3 - "$REPO"/docs/schemas/*.json <<'EOF'
import json, os, sys
import jsonschema
for path in sys.argv[1:]:
    s = json.load(open(path))
    jsonschema.Draft202012Validator.check_schema(s)
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema", path
    for k in ("$id", "title", "description"):
        assert s.get(k), "%s: no %s" % (path, k)
    base = os.path.basename(path)[:-len(".json")]
    name = "%s/%s" % (base.rpartition(".v")[0], base.rpartition(".v")[2])
    assert s["properties"]["schema"] == {"const": name}, path
    assert s["$id"].endswith(name), path
    print("ok", name)
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ok' <<<"$output")" -eq "$(ls "$REPO"/docs/schemas/*.json | wc -l)" ]
}

@test "documents from real runs are valid, every schema and kind among them" {
	req=()
	for f in "$REPO"/docs/schemas/pvtrace.*.json; do
		b=$(basename "$f" .json)
		req+=(--require "${b%.v*}/${b##*.v}")
	done
	run /usr/bin/python3 "$CHECK" "${req[@]}" "$SAMPLES"
	echo "$output"
	[ "$status" -eq 0 ]
	# each kind a producer prints has a sample
	for k in latency.ioctl/2:report latency.hooks/1:report hooks/2:hooks hooks/2:change \
		hooks/2:steal vfio/2:event vfio/2:report patches/1:inventory patches/1:dump \
		patches/1:text_poke patches/1:watch_end bench/1:result results/1:list results/1:query \
		compare/1:comparison history/1:history exits/1:report vhost/1:report; do
		sample "pvtrace.${k%:*}" "${k#*:}" >/dev/null
	done
}

@test "pvtrace hooks --json, run now, is valid" {
	need_root
	run "$PVTRACE" hooks --json
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/hooks.log"
	run /usr/bin/python3 "$CHECK" --require pvtrace.hooks/2 "$BATS_TEST_TMPDIR/hooks.log"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a time in ns written as a float is rejected, even 1.0" {
	d=$(sample pvtrace.latency.ioctl/2 report)
	rejected "$(sed -E 's/"interval_ns":([0-9]+)/"interval_ns":\1.0/' <<<"$d")" \
		"at /interval_ns: .* is not of type 'integer'"
	rejected "$(mutate "$d" 'd["ioctls"][0]["histogram"]["p99"] = 1234.5')" \
		"at /ioctls/0/histogram/p99: .*1234.5.* is not of type 'integer'"
	rejected "$(sed -E 's/"ts_ns":([0-9]+)/"ts_ns":\1e0/' <<<"$(sample pvtrace.vfio/2 event)")" \
		"at /ts_ns: .* is not of type 'integer'"
	rejected "$(mutate "$(sample pvtrace.bench/1 result)" 'd["runs"] = 2.5')" \
		"at /runs: .*2.5.* is not of type 'integer'"
}

@test "a missing required key is rejected" {
	d=$(sample pvtrace.latency.ioctl/2 report)
	rejected "$(mutate "$d" 'del d["kind"]')" "'kind' is a required property"
	rejected "$(mutate "$d" 'del d["ioctls"][0]["histogram"]["p50"]')" \
		"at /ioctls/0/histogram: 'p50' is a required property"
	# per-process fields come together
	rejected "$(mutate "$d" 'd["ioctls"][0]["pid"] = 42')" "'comm' is a dependency of 'pid'"
	rejected "$(mutate "$(sample pvtrace.vfio/2 event '"event":"unregister"')" 'del d["task"]')" \
		"'task' is a required property"
	rejected "$(mutate "$(sample pvtrace.patches/1 watch_end)" 'del d["duration_ns"]')" \
		"'duration_ns' is a required property"
}

@test "an unknown kind, field or enum value is rejected" {
	rejected "$(mutate "$(sample pvtrace.hooks/2 hooks)" 'd["kind"] = "targets"')" \
		"at /kind: 'targets' is not one of"
	rejected "$(mutate "$(sample pvtrace.latency.ioctl/2 report)" 'd["kind"] = "event"')" \
		"at /kind: 'report' was expected"
	rejected "$(mutate "$(sample pvtrace.latency.ioctl/2 report)" 'd["mode"] = "auto"')" \
		"at /mode: 'auto' is not one of"
	rejected "$(mutate "$(sample pvtrace.vfio/2 report '"devices":\[{')" 'd["devices"][0]["extra"] = 1')" \
		"Additional properties are not allowed ('extra' was unexpected)"
	rejected "$(mutate "$(sample pvtrace.patches/1 inventory)" 'd["kind"] = "dump"')" \
		"'addr' is a required property"
	rejected "$(mutate "$(sample pvtrace.bench/1 result)" 'd["metrics"][0]["better"] = "faster"')" \
		"at /metrics/0/better: 'faster' is not one of"
	rejected '{"schema": "pvtrace.nosuch/1", "kind": "report"}' "schema pvtrace.nosuch/1"
	rejected '{"kind": "report"}' 'no "schema" key'
}

@test "null where a value is required, a value where null is required" {
	rejected "$(mutate "$(sample pvtrace.vfio/2 report '"devices":\[{')" 'd["devices"][0]["requests"] = None')" \
		"at /devices/0/requests: None is not of type 'integer'"
	rejected "$(mutate "$(sample pvtrace.hooks/2 steal)" 'd["total"]["steal_ns"] = None')" \
		"at /total/steal_ns_per_s: .* is not of type 'null'"
	d=$(sample pvtrace.latency.hooks/1 report '"traced":false')
	rejected "$(mutate "$d" '[h for h in d["hooks"] if not h["traced"]][0]["traced"] = True')" \
		"'mode' is a required property"
	d=$(sample pvtrace.latency.hooks/1 report '"traced":true')
	# a histogram with a count lists its buckets (and an empty one has none)
	rejected "$(mutate "$d" 'h = [h for h in d["hooks"] if h["traced"]][0]["histogram"]
h["count"], h["buckets"] = 5, []')" \
		"histogram/buckets: \[\] is too short"
}

@test "an escaped slash, NaN and bytes that are not UTF-8 are rejected, a plain slash is fine" {
	d=$(mutate "$(sample pvtrace.latency.ioctl/2 report '"pid":')" 'd["ioctls"][0]["vm"] = "qemu/42"')
	printf '%s\n' "$d" >"$BATS_TEST_TMPDIR/ok.log"
	run /usr/bin/python3 "$CHECK" "$BATS_TEST_TMPDIR/ok.log"
	[ "$status" -eq 0 ]
	rejected "${d/qemu\//qemu\\/}" "escaped slash"
	rejected "$(sed -E 's/"steal_pct":[0-9.e+-]+/"steal_pct":NaN/' <<<"$(sample pvtrace.hooks/2 steal)")" \
		"not JSON: NaN is not JSON"
	d=$(sample pvtrace.vfio/2 event '"event":"unregister"')
	rejected "${d/\"comm\":\"/\"comm\":\"$'\xff'}" "not JSON: 'utf-8' codec can't decode byte 0xff"
}

@test "exits: a reason without its uapi name, or a return without its count, is rejected" {
	doc=$(sample pvtrace.exits/1 report '"hardware_exits":"seen"')
	[ -n "$doc" ]
	rejected "$(mutate "$doc" 'd["vms"][0]["hardware"][0]["reason"] = "npf"')" pvtrace.exits/1
	rejected "$(mutate "$doc" 'd["vms"][0]["returns"][0]["reason"] = "IO"')" pvtrace.exits/1
	rejected "$(mutate "$doc" 'del d["vms"][0]["returns"][0]["count"]')" pvtrace.exits/1
	rejected "$(mutate "$doc" 'd["hardware_exits"] = "maybe"')" pvtrace.exits/1
}
