#!/usr/bin/env python3
"""Writes tests/tshark/corpus.json: tshark's view of every TCP conversation (tcp.stream) in every
capture of the shared corpus, for tests/conformance.rs's per-connection comparison.

For each stream: its first frame, its 4-tuple as first seen, how many SYNs and SYN-ACKs tshark
marks as retransmissions (tcp.analysis.retransmission), the frame of its first RST, and the
options of its first SYN and first SYN-ACK (MSS, window scale, SACK permitted, timestamps).
Display filter "tcp && !icmp && !icmpv6" (TCP headers quoted in ICMP errors are not segments),
the same as ../shared/corpus/expected.json.

usage: tests/tshark/per-connection.py [CORPUS_DIR]   (default ../shared/corpus; needs tshark)
"""
import json
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
FIELDS = [
    "tcp.stream", "frame.number", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst",
    "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.reset",
    "tcp.analysis.retransmission", "tcp.options.mss_val", "tcp.options.wscale.shift",
    "tcp.options.sack_perm", "tcp.options.timestamp.tsval",
]


def streams(path):
    cmd = ["tshark", "-n", "-r", str(path), "-Y", "tcp && !icmp && !icmpv6", "-T", "fields",
           "-E", "occurrence=l", "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    by = {}
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        if not v.get("tcp.stream"):
            continue
        s = by.setdefault(int(v["tcp.stream"]), {
            "first_frame": int(v["frame.number"]),
            "src": [v["ip.src"] or v["ipv6.src"], int(v["tcp.srcport"] or 0)],
            "dst": [v["ip.dst"] or v["ipv6.dst"], int(v["tcp.dstport"] or 0)],
            "syn_retransmits": 0, "synack_retransmits": 0, "first_rst": None,
            "syn": None, "synack": None,
        })
        syn, ack = v["tcp.flags.syn"] in ("1", "True"), v["tcp.flags.ack"] in ("1", "True")
        rtx = v["tcp.analysis.retransmission"] != ""
        if v["tcp.flags.reset"] in ("1", "True") and s["first_rst"] is None:
            s["first_rst"] = int(v["frame.number"])
        if syn:
            key = "synack" if ack else "syn"
            if rtx:
                s[key + "_retransmits"] += 1
            if s[key] is None:
                s[key] = {
                    "mss": int(v["tcp.options.mss_val"]) if v["tcp.options.mss_val"] else None,
                    "wscale": int(v["tcp.options.wscale.shift"]) if v["tcp.options.wscale.shift"] else None,
                    "sack_permitted": v["tcp.options.sack_perm"] != "",
                    "timestamps": v["tcp.options.timestamp.tsval"] != "",
                }
    return [by[k] for k in sorted(by)]


def main():
    corpus = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else HERE.parent.parent.parent / "shared" / "corpus")
    out = {}
    for p in sorted(corpus.rglob("*")):
        if p.suffix in (".pcap", ".pcapng") and p.is_file():
            out[str(p.relative_to(corpus))] = streams(p)
    version = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    doc = {"tshark": version, "captures": out}
    # One capture a line: small in the repository, readable in a diff.
    lines = ",\n".join(
        f"{json.dumps(name)}:{json.dumps(streams_, separators=(',', ':'), sort_keys=True)}"
        for name, streams_ in out.items()
    )
    text = f'{{"tshark":{json.dumps(version)},"captures":{{\n{lines}\n}}}}\n'
    json.loads(text)
    (HERE / "corpus.json").write_text(text)
    print(f"{len(out)} captures, {sum(len(v) for v in out.values())} streams -> {HERE / 'corpus.json'}")


if __name__ == "__main__":
    main()
