#!/usr/bin/python3
"""Independent reader of a vmlinux's patch tables, to cross-check pvtrace patches.

    altinstr-reader.py VMLINUX   -> one JSON object on stdout

Shares no code with pvtrace: section bytes come from `readelf -SW` offsets, symbols
from `nm`, and every struct layout (alt_instr, static_call_site, paravirt_patch_site)
from the vmlinux's own BTF as `bpftool btf dump file VMLINUX format raw` prints it.
The only kernel facts built in are the meaning of the flag bits: ALT_FLAG_NOT (bit 0)
and ALT_FLAG_DIRECT_CALL (bit 1) of alt_instr.flags since 6.3, and before that, with
no flags member, ALTINSTR_FLAG_INV (bit 15 of the 16-bit cpuid).
"""
import json
import re
import subprocess
import sys


def btf_types(path):
    out = subprocess.run(["bpftool", "btf", "dump", "file", path, "format", "raw"],
                         check=True, capture_output=True, text=True).stdout
    types, cur = {}, None
    head = re.compile(r"^\[(\d+)\] (\w+) '([^']*)'(.*)$")
    memb = re.compile(r"^\t'([^']*)' type_id=(\d+) bits_offset=(\d+)(?: bitfield_size=(\d+))?")
    for line in out.splitlines():
        m = head.match(line)
        if m:
            attrs = dict(re.findall(r"(\w+)=(\S+)", m.group(4)))
            cur = {"kind": m.group(2), "name": m.group(3), "attrs": attrs, "members": []}
            types[int(m.group(1))] = cur
            continue
        m = memb.match(line)
        if m and cur is not None:
            cur["members"].append((m.group(1), int(m.group(2)), int(m.group(3)),
                                   int(m.group(4) or 0)))
    return types


def type_bits(types, tid):
    """Size in bits of a type, through typedefs and qualifiers."""
    while True:
        t = types[tid]
        if t["kind"] in ("TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG"):
            tid = int(t["attrs"]["type_id"])
            continue
        if t["kind"] == "PTR":
            return 64
        if t["kind"] == "ARRAY":
            return int(t["attrs"]["nr_elems"]) * type_bits(types, int(t["attrs"]["type_id"]))
        return 8 * int(t["attrs"]["size"])


def resolved(types, tid):
    while types[tid]["kind"] in ("TYPEDEF", "CONST", "VOLATILE", "RESTRICT", "TYPE_TAG"):
        tid = int(types[tid]["attrs"]["type_id"])
    return types[tid]


def fields(types, t, base=0):
    """{name: (bit offset, bits)} of a struct, anonymous members flattened."""
    out = {}
    for name, tid, off, bitfield in t["members"]:
        r = resolved(types, tid)
        if name == "(anon)" and r["kind"] in ("STRUCT", "UNION"):
            out.update(fields(types, r, base + off))
        else:
            out[name] = (base + off, bitfield or type_bits(types, tid))
    return out


def struct(types, name):
    found = [t for t in types.values() if t["kind"] == "STRUCT" and t["name"] == name]
    if not found:
        return None
    return {"size": int(found[0]["attrs"]["size"]), "fields": fields(types, found[0])}


def sections(path):
    out = subprocess.run(["readelf", "-SW", path], check=True, capture_output=True,
                         text=True).stdout
    secs = {}
    for m in re.finditer(r"\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", out):
        secs[m.group(1)] = {"addr": int(m.group(2), 16), "offset": int(m.group(3), 16),
                            "size": int(m.group(4), 16)}
    return secs


def symbols(path, names):
    out = subprocess.run(["nm", path], check=True, capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[2] in names:
            syms[p[2]] = int(p[0], 16)
    return syms


def main():
    path = sys.argv[1]
    types = btf_types(path)
    alt = struct(types, "alt_instr")
    scs = struct(types, "static_call_site")
    pps = struct(types, "paravirt_patch_site")
    secs = sections(path)
    f = alt["fields"]
    sec = secs[".altinstructions"]
    with open(path, "rb") as fh:
        fh.seek(sec["offset"])
        data = fh.read(sec["size"])
    size = alt["size"]
    if len(data) % size:
        sys.exit(f"{len(data)} bytes of .altinstructions is not a multiple of {size}")

    def get(e, name):
        off, bits = f[name]
        return (int.from_bytes(e, "little") >> off) & ((1 << bits) - 1)

    by_feature = {}
    n_not = n_direct = 0
    for i in range(0, len(data), size):
        e = data[i:i + size]
        cpuid = get(e, "cpuid")
        if "flags" in f:
            flags = get(e, "flags")
            is_not, direct = bool(flags & 1), bool(flags & 2)
        else:
            is_not, direct, cpuid = bool(cpuid & 0x8000), False, cpuid & 0x7fff
        b = by_feature.setdefault(str(cpuid), {"entries": 0, "not": 0, "direct_call": 0})
        b["entries"] += 1
        b["not"] += is_not
        b["direct_call"] += direct
        n_not += is_not
        n_direct += direct
    syms = symbols(path, {"__start_static_call_sites", "__stop_static_call_sites"})
    nsc = (syms["__stop_static_call_sites"] - syms["__start_static_call_sites"]) // scs["size"]
    para = None
    if ".parainstructions" in secs:
        para = secs[".parainstructions"]["size"] // pps["size"]
    json.dump({"layout": {"size": size, "fields": f}, "entries": len(data) // size,
               "not": n_not, "direct_call": n_direct, "by_feature": by_feature,
               "static_call_sites": nsc, "parainstructions": para}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
