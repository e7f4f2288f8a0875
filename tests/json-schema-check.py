#!/usr/bin/python3
"""Validate JSON documents pvtrace printed against the schema each one names.

Usage: tests/json-schema-check.py [--require SCHEMA]... LOG...

Each LOG holds one JSON document per line (PVTRACE_JSON_LOG). A document's
"schema" value "pvtrace.X/N" selects docs/schemas/pvtrace.X.vN.json (JSON
Schema 2020-12, checked itself first). Prints TAP: one line per schema with
the number of documents validated, and a failing line for each invalid
document, unknown schema, or line that is not JSON. --require fails when a
schema was not seen at all. Uses Debian's python3-jsonschema.

Stricter than JSON Schema alone: a number written with a fraction or an
exponent (1.0, 1e3) is not an "integer" here (JSON Schema counts 1.0 as
one), NaN and Infinity are not JSON, no slash may be escaped, and a line
that is not UTF-8 fails by itself.
"""
import decimal
import json
import os
import re
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(os.path.dirname(HERE), "docs", "schemas")
# a backslash that escapes a slash: preceded by an even number of backslashes
ESCAPED_SLASH = re.compile(r'(?<!\\)(?:\\\\)*\\/')


def not_json(name):
    raise ValueError("%s is not JSON" % name)


def schema_path(name):
    base, _, version = name.rpartition("/")
    return os.path.join(SCHEMAS, "%s.v%s.json" % (base, version))


def main(argv):
    required, logs = [], []
    args = iter(argv)
    for a in args:
        if a == "--require":
            required.append(next(args))
        else:
            logs.append(a)
    validators, counts, failures = {}, {}, []
    for log in logs:
        if not os.path.exists(log):
            continue
        with open(log, "rb") as f:
            for lineno, raw in enumerate(f, 1):
                where = "%s:%d" % (os.path.basename(log), lineno)
                try:
                    # JSON is UTF-8: a line that is not fails alone
                    line = raw.decode("utf-8", errors="strict")
                    # Decimal: 1.0 stays a non-integer, as written
                    doc = json.loads(line, parse_float=decimal.Decimal,
                                     parse_constant=not_json)
                except ValueError as e:
                    failures.append("%s: not JSON: %s" % (where, e))
                    continue
                escaped = ESCAPED_SLASH.search(line) is not None
                if escaped:
                    failures.append("%s: escaped slash (\\/)" % where)
                name = doc.get("schema") if isinstance(doc, dict) else None
                if not isinstance(name, str):
                    failures.append("%s: no \"schema\" key" % where)
                    continue
                if name not in validators:
                    path = schema_path(name)
                    try:
                        with open(path, encoding="utf-8") as s:
                            schema = json.load(s)
                        jsonschema.Draft202012Validator.check_schema(schema)
                        validators[name] = jsonschema.Draft202012Validator(schema)
                    except (OSError, ValueError, jsonschema.SchemaError) as e:
                        validators[name] = None
                        failures.append("%s: schema %s: %s" % (where, name, e))
                v = validators[name]
                if v is None:
                    continue
                errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
                for e in errs[:3]:
                    failures.append("%s: %s at /%s: %s" % (
                        where, name, "/".join(str(p) for p in e.path), e.message[:200]))
                counts[name] = counts.get(name, 0) + (0 if errs or escaped else 1)
    n = 0
    for name in sorted(counts):
        n += 1
        print("ok %d - %s: %d documents valid" % (n, name, counts[name]))
    for name in required:
        if name not in counts:
            n += 1
            print("not ok %d - %s: no document of this schema was produced" % (n, name))
            failures.append(name)
    for f in failures[:50]:
        n += 1
        print("not ok %d - %s" % (n, f))
    if len(failures) > 50:
        print("# ... and %d more failures" % (len(failures) - 50))
    if n == 0:
        print("not ok 1 - no JSON document in %s" % " ".join(logs))
        return 1
    print("1..%d" % n)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
