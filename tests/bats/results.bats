#!/usr/bin/env bats
# pvtrace results import|list|query|export on SQLite and on a real PostgreSQL server that
# this file starts on 127.0.0.1 (initdb into a temp dir, as the postgres OS user), the same
# checks on both. What pvtrace wrote is read back with the engines' own CLIs (sqlite3, psql),
# the medians and percentiles are checked against numpy, the digests against sha256sum.
# Without PostgreSQL installed the PostgreSQL tests fail under CI=true, else skip with the
# reason.

load helpers
bats_require_minimum_version 1.5.0

MKRESULT=$REPO/tests/helpers/mkresult.py
PY=/usr/bin/python3

# pg_bin: the newest installed server's bin directory, or nothing
pg_bin() {
	local d
	d=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && echo "$d"
}

# as_pg CMD...: run CMD as the server's OS user (the postgres user; without one in the
# passwd database, a uid nss_wrapper names postgres; not root: ourselves)
as_pg() {
	if [ "$(id -u)" != 0 ]; then
		"$@"
	elif [ -z "$PG_NSS" ]; then
		runuser -u postgres -- "$@"
	else
		LD_PRELOAD=$PG_NSS NSS_WRAPPER_PASSWD=$PG_DIR/passwd NSS_WRAPPER_GROUP=$PG_DIR/group \
			setpriv --reuid="$PG_UID" --regid="$PG_UID" --clear-groups -- "$@"
	fi
}

pg_stop() {
	if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
		if [ -f "$PG_DIR/data/postmaster.pid" ]; then
			as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
				kill -9 "$(head -n 1 "$PG_DIR/data/postmaster.pid")" 2>/dev/null
		fi
		rm -rf "$PG_DIR"
	fi
	return 0
}

pg_start() {
	local port
	PG_BIN=$(pg_bin) || { PG_UNAVAILABLE="no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb; scripts/deps.sh installs postgresql)"; return 0; }
	command -v psql >/dev/null || { PG_UNAVAILABLE="no psql (postgresql-client)"; return 0; }
	PG_DIR=$(mktemp -d /tmp/pvtrace-pg.XXXXXX)
	PG_NSS='' PG_UID=''
	if [ "$(id -u)" = 0 ]; then
		if id -u postgres >/dev/null 2>&1; then
			PG_UID=$(id -u postgres)
		else
			PG_NSS=$(find /usr/lib -name libnss_wrapper.so -print -quit 2>/dev/null)
			if [ -z "$PG_NSS" ]; then
				PG_UNAVAILABLE="no postgres OS user and no libnss_wrapper.so (scripts/deps.sh installs libnss-wrapper)"
				rm -rf "$PG_DIR"
				return 0
			fi
			PG_UID=64123
			echo "postgres:x:$PG_UID:$PG_UID:PostgreSQL:$PG_DIR:/bin/sh" >"$PG_DIR/passwd"
			echo "postgres:x:$PG_UID:" >"$PG_DIR/group"
		fi
		chown "$PG_UID" "$PG_DIR"
	fi
	as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C \
		>"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
	port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off" start >/dev/null ||
		{ cat "$PG_DIR/server.log" >&2; return 1; }
	PG_PORT=$port
}

setup_file() {
	export PG_UNAVAILABLE='' PG_DIR='' PG_BIN='' PG_NSS='' PG_UID='' PG_PORT=''
	if ! pg_start; then
		pg_stop
		PG_UNAVAILABLE="the PostgreSQL server did not start"
	fi
	export PG_UNAVAILABLE PG_DIR PG_BIN PG_NSS PG_UID PG_PORT
}

teardown_file() {
	pg_stop
}

# need_pg: the test's own database, DB set to its URL
need_pg() {
	if [ -n "$PG_UNAVAILABLE" ]; then
		if [ "${CI:-}" = true ]; then
			echo "CI: $PG_UNAVAILABLE" >&2
			return 1
		fi
		skip "$PG_UNAVAILABLE"
	fi
	local name="t$BATS_SUITE_TEST_NUMBER"
	PGOPTIONS='-c client_min_messages=warning' psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $name" \
		-c "CREATE DATABASE $name" >/dev/null
	DB="postgresql://postgres@127.0.0.1:$PG_PORT/$name"
}

use_sqlite() {
	DB=$BATS_TEST_TMPDIR/store.db
}

# sql QUERY: rows the engine's own CLI reads from DB, fields joined by |
sql() {
	case $DB in
	postgres*) psql -X -A -t -F '|' "$DB" -c "$1" ;;
	*) sqlite3 -batch -separator '|' "$DB" "$1" ;;
	esac
}

# three documents in started order: a.jsonl (two lines: ioctl x2), r.json (regs)
make_docs() {
	T=$BATS_TEST_TMPDIR
	{
		$PY "$MKRESULT" --label stock --seed 1 --started 2026-01-01T10:00:00Z \
			--kernel 6.12.1 --build-id 00aa --metric KVM_RUN.p50:1000:0.05 \
			--metric KVM_GET_REGS.p50:800:0.1
		$PY "$MKRESULT" --label patched --seed 2 --runs 7 --started 2026-01-02T10:00:00Z \
			--kernel 6.12.1-p --build-id 00bb --metric KVM_RUN.p50:1010:0.05 \
			--metric KVM_GET_REGS.p50:400:0.1
	} >"$T/a.jsonl"
	$PY "$MKRESULT" --benchmark regs --label stock --seed 3 --runs 5 \
		--started 2026-01-03T10:00:00Z --kernel 6.12.1 \
		--metric many_regs.get.p50:5000:0.02 --metric ratio.get_one_over_many:9:0.05:higher \
		>"$T/r.json"
	cat "$T/a.jsonl" "$T/r.json" >"$T/all.jsonl"
}

check_import_list() {
	make_docs
	run "$PVTRACE" results import --db "$DB" "$T/a.jsonl" "$T/r.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'imported as id' <<<"$output")" -eq 3 ]
	grep -qx '3 imported, 0 already stored, 0 files failed' <<<"$output"
	# the engine's own reader: rows, samples (runs x metrics), digests of the lines
	[ "$(sql 'SELECT COUNT(*) FROM results')" -eq 3 ]
	[ "$(sql 'SELECT COUNT(*) FROM samples')" -eq $((10 * 2 + 7 * 2 + 5 * 2)) ]
	[ "$(sql "SELECT COUNT(*) FROM samples s JOIN results r ON r.id = s.result_id WHERE r.label = 'patched' AND s.metric = 'KVM_RUN.p50'")" -eq 7 ]
	[ "$(sql 'SELECT MAX(version) FROM schema_version')" -eq 1 ]
	want=$(while IFS= read -r l; do printf '%s' "$l" | sha256sum | cut -d' ' -f1; done <"$T/all.jsonl")
	[ "$(sql 'SELECT digest FROM results ORDER BY started, id')" = "$want" ]
	[ "$(sql "SELECT kernel_build_id FROM results WHERE label = 'patched'")" = 00bb ]
	[ "$(sql "SELECT runs || ' ' || emulated || ' ' || attach_mode FROM results WHERE benchmark = 'regs'")" = "5 0 none" ]
	# list: the same rows in the same order as the reader's
	run "$PVTRACE" results list --db "$DB"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(tail -n +2 <<<"$output" | awk '{ print $1 "|" $3 "|" $4 "|" $5 "|" $6 }')" = \
		"$(sql 'SELECT id, benchmark, label, kernel_release, runs FROM results ORDER BY started, id')" ]
	run "$PVTRACE" results list --db "$DB" --json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.results[] | "\(.id)|\(.started)|\(.metrics | length)"' <<<"$output")" = \
		"$(sql 'SELECT r.id, r.started, COUNT(DISTINCT s.metric) FROM results r JOIN samples s ON s.result_id = r.id GROUP BY r.id, r.started ORDER BY r.started, r.id')" ]
	printf '%s\n' "$output" >"$T/list.json"
	run "$PY" "$REPO/tests/json-schema-check.py" --require pvtrace.results/1 "$T/list.json"
	echo "$output"
	[ "$status" -eq 0 ]
}

check_query() {
	make_docs
	"$PVTRACE" results import --db "$DB" "$T/all.jsonl" >/dev/null
	run "$PVTRACE" results query --db "$DB" --json
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$T/q.json"
	# numpy's percentiles (linear, its default) of the documents' values, and the SQL
	# reader's run counts
	sql 'SELECT r.id, s.metric, COUNT(*) FROM results r JOIN samples s ON s.result_id = r.id GROUP BY r.id, s.metric' >"$T/counts"
	run "$PY" - "$T/all.jsonl" "$T/q.json" "$T/counts" <<'EOF'
import json, sys
import numpy as np
docs = [json.loads(l) for l in open(sys.argv[1])]
q = json.load(open(sys.argv[2]))
counts = {}
for l in open(sys.argv[3]):
    i, m, c = l.strip().split("|")
    counts[(int(i), m)] = int(c)
rows = q["metrics"]
assert len(rows) == sum(len(d["metrics"]) for d in docs) == len(counts), len(rows)
byid = {}
for r in rows:
    byid.setdefault(r["id"], r["label"])
ids = sorted(byid)  # imported in started order: ids ascend with it
for r in rows:
    d = docs[ids.index(r["id"])]
    m = [m for m in d["metrics"] if m["name"] == r["metric"]][0]
    v = np.array(m["values"])
    for k, p in (("median", 50), ("p10", 10), ("p90", 90)):
        assert abs(r[k] - np.percentile(v, p)) <= 1e-9 * abs(np.percentile(v, p)), (r, k)
    assert r["runs"] == len(v) == counts[(r["id"], r["metric"])]
    assert (r["label"], r["unit"], r["better"]) == (d["label"], m["unit"], m["better"])
print("checked", len(rows))
EOF
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'checked 6' <<<"$output"
	# --metric and a selection narrow it; --csv has the same figures
	run "$PVTRACE" results query --db "$DB" label=stock --metric KVM_RUN.p50 --csv
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(wc -l <<<"$output")" -eq 2 ]
	head -n 1 <<<"$output" | grep -qx 'id,started,benchmark,label,metric,unit,better,runs,median,p10,p90'
	want=$(jq -r '.metrics[] | select(.label == "stock" and .metric == "KVM_RUN.p50") | .median' "$T/q.json")
	$PY -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); assert abs(a - b) <= 1e-9 * abs(b)' \
		"$(tail -n 1 <<<"$output" | cut -d, -f9)" "$want"
	run "$PVTRACE" results query --db "$DB" --metric KVM_RUN.p50
	[ "$status" -eq 0 ]
	[ "$(tail -n +2 <<<"$output" | wc -l)" -eq 2 ]
	printf '%s\n' "$(cat "$T/q.json")" >"$T/q.log"
	run "$PY" "$REPO/tests/json-schema-check.py" --require pvtrace.results/1 "$T/q.log"
	[ "$status" -eq 0 ]
}

check_export() {
	make_docs
	"$PVTRACE" results import --db "$DB" "$T/r.json" "$T/a.jsonl" >/dev/null
	# oldest first whatever the import order, byte for byte
	run --separate-stderr "$PVTRACE" results export --db "$DB"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | cmp - "$T/all.jsonl"
	"$PVTRACE" results export --db "$DB" -o "$T/out.jsonl"
	cmp "$T/out.jsonl" "$T/all.jsonl"
	# no temporary file left beside it
	[ "$(find "$T" -name 'out.jsonl*' | wc -l)" -eq 1 ]
	"$PVTRACE" results export --db "$DB" benchmark=ioctl,since=2026-01-02 -o "$T/sel.jsonl"
	sed -n 2p "$T/all.jsonl" | cmp - "$T/sel.jsonl"
	# UTF-8 text (not \u escapes) and a CRLF line end come back as they went in
	$PY - "$T/r.json" >"$T/u.json" <<'EOF'
import json, sys
d = json.loads(open(sys.argv[1]).read())
d["label"] = "stock-\u00e4-\u2713-\U0001f600"
d["started"] = "2026-02-01T00:00:00Z"
sys.stdout.write(json.dumps(d, separators=(",", ":"), ensure_ascii=False) + "\r\n")
EOF
	"$PVTRACE" results import --db "$DB" "$T/u.json" >/dev/null
	"$PVTRACE" results export --db "$DB" since=2026-02-01 | cmp - "$T/u.json"
	[ "$(sql "SELECT COUNT(*) FROM results WHERE label = 'stock-ä-✓-😀'")" -eq 1 ]
	"$PVTRACE" results list --db "$DB" --json 'label=stock-ä-✓-😀' | jq -e '.results | length == 1'
	run "$PVTRACE" results export --db "$DB" -o "$T/no/such/dir/x.jsonl"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	grep -q 'No such file or directory' <<<"$output"
}

check_dedupe() {
	make_docs
	"$PVTRACE" results import --db "$DB" "$T/a.jsonl" >/dev/null
	run "$PVTRACE" results import --db "$DB" "$T/all.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'already stored as id' <<<"$output")" -eq 2 ]
	grep -qx '1 imported, 2 already stored, 0 files failed' <<<"$output"
	[ "$(sql 'SELECT COUNT(*) FROM results')" -eq 3 ]
	[ "$(sql 'SELECT COUNT(*) FROM samples')" -eq 44 ]
	# the same document twice in one stdin stream: stored once
	$PY "$MKRESULT" --label twice --metric m.x:1:0 >"$T/t.json"
	run "$PVTRACE" results import --db "$DB" - < <(cat "$T/t.json" "$T/t.json")
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^stdin:2: already stored as id' <<<"$output"
	[ "$(sql "SELECT COUNT(*) FROM results WHERE label = 'twice'")" -eq 1 ]
}

# bad DOC-PYTHON WHAT: a file whose 2nd document is the first changed by DOC-PYTHON is
# refused whole with WHAT on one line; the good file beside it is imported
bad() {
	$PY - "$T/good.json" "$1" >"$T/bad.jsonl" <<'EOF'
import json, sys
d = json.loads(open(sys.argv[1]).read())
line = json.dumps(d, separators=(",", ":"))
exec(sys.argv[2])
print(line)
print(d if isinstance(d, str) else json.dumps(d, separators=(",", ":"), allow_nan=True))
EOF
	before=$(sql 'SELECT COUNT(*) FROM results')
	run "$PVTRACE" results import --db "$DB" "$T/bad.jsonl" "$T/other.json"
	echo "$output"
	[ "$status" -eq 2 ]
	[ "$(grep -c '^pvtrace: ' <<<"$output")" -eq 1 ]
	grep -q "^pvtrace: results import: $T/bad.jsonl:2: .*$2.*; nothing of $T/bad.jsonl imported\$" <<<"$output"
	grep -qx '[01] imported, [01] already stored, 1 file failed' <<<"$output"
	[ "$(sql 'SELECT COUNT(*) FROM results')" -le $((before + 1)) ]
	[ "$(sql "SELECT COUNT(*) FROM results WHERE label = 'other'")" -eq 1 ]
	[ "$(sql "SELECT COUNT(*) FROM results WHERE label = 'good'")" -eq 0 ]
}

check_bad_input() {
	T=$BATS_TEST_TMPDIR
	$PY "$MKRESULT" --label good --runs 3 --metric a.b:10:0.1 >"$T/good.json"
	$PY "$MKRESULT" --label other --metric a.b:10:0.1 >"$T/other.json"
	$PY "$MKRESULT" --label first --metric a.b:10:0.1 >"$T/first.json"
	"$PVTRACE" results import --db "$DB" "$T/first.json" >/dev/null
	bad 'd["schema"] = "pvtrace.bench/2"' "schema 'pvtrace.bench/2' is not pvtrace.bench/1"
	bad 'd["metrics"][0]["values"].pop()' 'metrics\[0\].values: 2 numbers, runs is 3'
	bad 'd["metrics"][0]["values"][1] = float("nan")' 'metrics\[0\].values\[1\]: not a finite number'
	bad 'd["metrics"][0]["values"][1] = "1"' 'metrics\[0\].values\[1\]: not a number'
	bad 'd = line[:-5]' 'not JSON'
	bad 'del d["fingerprint"]["kernel_release"]' 'fingerprint.kernel_release: missing'
	bad 'd["runs"] = 0' 'runs: 0 is not in'
	bad 'd["started"] = "2026-01-01 00:00:00"' 'started: .* is not YYYY-MM-DDTHH:MM:SSZ'
	bad 'd["metrics"].append(dict(d["metrics"][0]))' "metrics\[1\].name: 'a.b' again"
	bad 'import re; d = re.sub(r"\"values\":\[[^,\]]+", "\"values\":[1e999", line, count=1)' \
		'metrics\[0\].values\[0\]: not a finite number'
	bad 'd = line + " {}"' 'not JSON: unexpected character'
	bad 'd["extra"] = 1' "'extra': not a field of pvtrace.bench/1"
	bad 'd["fingerprint"]["colour"] = "red"' "fingerprint: 'colour': not a field"
	bad 'd["histograms"] = [{"name": "KVM_RUN", "unit": "ns", "buckets": [{"lo": 1, "hi": 2, "count": -1}]}]' \
		'histograms\[0\].buckets\[0\].count: negative'
	bad 'd["histograms"] = [{"name": "KVM_RUN", "unit": "us", "buckets": []}]' 'histograms\[0\].unit'
	# histograms as bench ioctl writes them are taken, u64 counts too
	$PY - "$T/good.json" >"$T/hist.json" <<'EOF'
import json, sys
d = json.loads(open(sys.argv[1]).read())
d["label"] = "hist"
d["histograms"] = [{"name": "KVM_RUN", "unit": "ns", "buckets": [
    {"lo": 512, "hi": 1023, "count": 19870}, {"lo": 1024, "hi": 2047, "count": 18446744073709551615}]}]
print(json.dumps(d, separators=(",", ":")))
EOF
	"$PVTRACE" results import --db "$DB" "$T/hist.json"
	"$PVTRACE" results export --db "$DB" label=hist | cmp - "$T/hist.json"
	# an unreadable file and an empty one
	run "$PVTRACE" results import --db "$DB" "$T/nonexistent.json"
	[ "$status" -eq 2 ]
	grep -qx "pvtrace: results import: $T/nonexistent.json: No such file or directory" <<<"$output"
	: >"$T/empty.json"
	run "$PVTRACE" results import --db "$DB" "$T/empty.json"
	[ "$status" -eq 2 ]
	grep -q "empty.json: no result document in it" <<<"$output"
}

check_selection() {
	make_docs
	"$PVTRACE" results import --db "$DB" "$T/all.jsonl" >/dev/null
	ids() { "$PVTRACE" results list --db "$DB" --json "$@" | jq -r '[.results[].id] | join(" ")'; }
	[ "$(ids label=stock)" = "$(sql "SELECT id FROM results WHERE label = 'stock' ORDER BY started" | xargs)" ]
	[ "$(ids label=stock,benchmark=regs)" = "$(sql "SELECT id FROM results WHERE benchmark = 'regs'")" ]
	[ "$(ids kernel=6.12.1-p)" = "$(sql "SELECT id FROM results WHERE label = 'patched'")" ]
	[ "$(ids build_id=00aa)" = "$(sql "SELECT id FROM results WHERE started LIKE '2026-01-01%'")" ]
	[ "$(ids since=2026-01-02,until=2026-01-02)" = "$(sql "SELECT id FROM results WHERE label = 'patched'")" ]
	[ "$(ids until=2026-01-02T10:00:00Z | wc -w)" -eq 2 ]
	[ "$(ids since=2026-01-02T10:00:01Z | wc -w)" -eq 1 ]
	[ "$(ids all | wc -w)" -eq 3 ]
	id=$(sql "SELECT id FROM results WHERE benchmark = 'regs'")
	[ "$(ids "id=$id")" = "$id" ]
	[ -z "$(ids label=nothing)" ]
	for s in color=red label= since=yesterday id=x label=a,label=b "label=a,all" noequals; do
		run "$PVTRACE" results list --db "$DB" "$s"
		echo "$s: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		grep -q '^pvtrace: results list: selection: ' <<<"$output"
	done
	run "$PVTRACE" results query --db "$DB" color=red
	[ "$status" -eq 2 ]
	grep -qx "pvtrace: results query: selection: unknown term 'color' (id, label, benchmark, kernel, build_id, since, until or all)" <<<"$output"
}

@test "sqlite: import and list, read back with the sqlite3 CLI" {
	use_sqlite
	check_import_list
}

@test "postgresql: import and list, read back with psql" {
	need_pg
	check_import_list
}

@test "sqlite: query's median, p10, p90 are numpy's" {
	use_sqlite
	check_query
}

@test "postgresql: query's median, p10, p90 are numpy's" {
	need_pg
	check_query
}

@test "sqlite: export gives the imported documents back byte for byte" {
	use_sqlite
	check_export
}

@test "postgresql: export gives the imported documents back byte for byte" {
	need_pg
	check_export
}

@test "sqlite: a document imported twice is stored once, and said so" {
	use_sqlite
	check_dedupe
}

@test "postgresql: a document imported twice is stored once, and said so" {
	need_pg
	check_dedupe
}

@test "sqlite: a bad file is refused whole with a one-line error, the others imported" {
	use_sqlite
	check_bad_input
}

@test "postgresql: a bad file is refused whole with a one-line error, the others imported" {
	need_pg
	check_bad_input
}

@test "sqlite: selections, and an unknown term is a usage error" {
	use_sqlite
	check_selection
}

@test "postgresql: selections, and an unknown term is a usage error" {
	need_pg
	check_selection
}

@test "a store moves SQLite -> PostgreSQL -> SQLite unchanged" {
	need_pg
	make_docs
	pg=$DB
	"$PVTRACE" results import --db "$T/one.db" "$T/all.jsonl" >/dev/null
	"$PVTRACE" results export --db "$T/one.db" 2>/dev/null |
		"$PVTRACE" results import --db "$pg" - >/dev/null
	"$PVTRACE" results export --db "$pg" 2>/dev/null |
		"$PVTRACE" results import --db "$T/two.db" - >/dev/null
	"$PVTRACE" results export --db "$T/two.db" -o "$T/back.jsonl"
	cmp "$T/back.jsonl" "$T/all.jsonl"
	DB=$pg
	[ "$(sql 'SELECT COUNT(*) FROM samples')" -eq 44 ]
	# the same sample rows on both engines
	DB=$T/two.db
	a=$(sql 'SELECT r.label, s.metric, s.run, s.value FROM samples s JOIN results r ON r.id = s.result_id ORDER BY 1, 2, 3')
	DB=$pg
	b=$(sql 'SELECT r.label, s.metric, s.run, s.value FROM samples s JOIN results r ON r.id = s.result_id ORDER BY 1, 2, 3')
	[ "$(wc -l <<<"$a")" -eq 44 ]
	# PostgreSQL prints float8 in its shortest exact form; compare as numbers
	run "$PY" -c 'import sys
a = [l.split("|") for l in sys.argv[1].splitlines()]
b = [l.split("|") for l in sys.argv[2].splitlines()]
assert len(a) == len(b)
for x, y in zip(a, b):
    assert x[:3] == y[:3] and float(x[3]) == float(y[3]), (x, y)' "$a" "$b"
	[ "$status" -eq 0 ]
}

@test "a store that cannot be opened: one line, exit 1" {
	T=$BATS_TEST_TMPDIR
	run "$PVTRACE" results import --db "$T/no/such/dir/s.db" "$MKRESULT"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	grep -q "^pvtrace: results import: $T/no/such/dir/s.db: " <<<"$output"
	# list does not create a store
	run "$PVTRACE" results list --db "$T/absent.db"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[ ! -e "$T/absent.db" ]
	# a file that is no SQLite database, an SQLite database that is no store
	echo hello >"$T/text.db"
	run "$PVTRACE" results list --db "$T/text.db"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q "^pvtrace: results list: $T/text.db: not a pvtrace results store (file is not a database)" <<<"$output"
	sqlite3 "$T/other.db" 'CREATE TABLE t (x)'
	run "$PVTRACE" results query --db "$T/other.db"
	[ "$status" -eq 1 ]
	grep -q 'not a pvtrace results store (no such table: schema_version)' <<<"$output"
	# a later schema version is refused, not misread
	$PY "$MKRESULT" --metric a.b:1:0 | "$PVTRACE" results import --db "$T/v.db" - >/dev/null
	sqlite3 "$T/v.db" 'UPDATE schema_version SET version = 2'
	run "$PVTRACE" results list --db "$T/v.db"
	[ "$status" -eq 1 ]
	grep -q 'store schema version 2 is newer than this pvtrace' <<<"$output"
}

@test "a PostgreSQL URL that does not connect: libpq's first line, exit 1" {
	port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run "$PVTRACE" results list --db "postgresql://nobody@127.0.0.1:$port/x?connect_timeout=5"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	grep -q '^pvtrace: results list: PostgreSQL: connection to server at "127.0.0.1", port [0-9]* failed: Connection refused' <<<"$output"
	run "$PVTRACE" results import --db "postgres://[bad" "$MKRESULT"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	grep -q '^pvtrace: results import: PostgreSQL: .*IPv6 host address in URI' <<<"$output"
}

@test "usage errors: one line, exit 2" {
	for args in "results" "results frob" "results list" "results import --db x.db" \
		"results list --db x.db --bogus" "results query --db x.db --json --csv" \
		"results list --db x.db a=1 b=2" "results import --db $BATS_TEST_TMPDIR/s.db - -"; do
		# shellcheck disable=SC2086 # one word per argument
		run "$PVTRACE" $args
		echo "$args: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
	done
	[ ! -e "$BATS_TEST_TMPDIR/s.db" ]
	for args in "results -V" "results list -V" "results import --version" "results export -V"; do
		# shellcheck disable=SC2086 # one word per argument
		run "$PVTRACE" $args
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "pvtrace "* ]]
	done
	for sub in import list query export; do
		run "$PVTRACE" results "$sub" --help
		[ "$status" -eq 0 ]
		grep -q '^Examples:' <<<"$output"
		grep -q -- '--db DB' <<<"$output"
	done
}
