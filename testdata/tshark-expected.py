#!/usr/bin/env python3
"""Writes testdata/expected.json: tshark's independent counts for every capture in testdata/,
in the same shape as ../shared/corpus/expected.json (display filter "tcp && !icmp && !icmpv6").

Run after re-recording:  testdata/tshark-expected.py   (needs tshark)
"""
import json
import pathlib
import subprocess

HERE = pathlib.Path(__file__).resolve().parent
SUFFIXES = (".pcap", ".pcapng", ".pcap.gz", ".pcapng.gz")


def fields(path, *names, filt=None):
    cmd = ["tshark", "-r", str(path), "-T", "fields"]
    for n in names:
        cmd += ["-e", n]
    if filt:
        cmd += ["-Y", filt]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def count(path, filt):
    return len(fields(path, "frame.number", filt=filt))


def main():
    caps = {}
    for path in sorted(HERE.rglob("*")):
        if not path.name.endswith(SUFFIXES):
            continue
        rel = path.relative_to(HERE).as_posix()
        tcp = "tcp && !icmp && !icmpv6"
        streams = {r[0] for r in fields(path, "tcp.stream", filt=tcp) if r and r[0]}
        caps[rel] = {
            "packets": count(path, None),
            "tcp_segments": count(path, tcp),
            "syn": count(path, f"{tcp} && tcp.flags.syn==1 && tcp.flags.ack==0"),
            "synack": count(path, f"{tcp} && tcp.flags.syn==1 && tcp.flags.ack==1"),
            "rst": count(path, f"{tcp} && tcp.flags.reset==1"),
            "fin": count(path, f"{tcp} && tcp.flags.fin==1"),
            "syn_retransmissions": count(
                path, f"{tcp} && tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.analysis.retransmission"
            ),
            "synack_retransmissions": count(
                path, f"{tcp} && tcp.flags.syn==1 && tcp.flags.ack==1 && tcp.analysis.retransmission"
            ),
            "tcp_streams": len(streams),
            "damaged": False,
        }
    doc = {
        "_about": "tshark's counts for testdata/ captures, made by testdata/tshark-expected.py "
        "(same fields and display filter as ../shared/corpus/expected.json).",
        "captures": caps,
    }
    (HERE / "expected.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{len(caps)} captures -> {HERE / 'expected.json'}")


if __name__ == "__main__":
    main()
