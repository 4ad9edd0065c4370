#!/usr/bin/env python3
"""Delay every packet sent to an NFQUEUE by a fixed time (a userspace stand-in for netem).

This kernel has no sch_netem and no nft "queue" expression, but it does have the
xtables NFQUEUE target and nfnetlink_queue.  record.sh puts an
`iptables -A OUTPUT ... -j NFQUEUE --queue-num N` rule into a namespace and runs
this program inside the same namespace; it holds each queued packet for DELAY
seconds and then returns an NF_ACCEPT verdict, so packets keep their order and
leave the host DELAY seconds late -- the same effect as `tc qdisc ... netem delay`.

Only the standard library is used: the nfnetlink_queue protocol is spoken over a
raw AF_NETLINK/NETLINK_NETFILTER socket.

usage: nfq_delay.py QUEUE_NUM DELAY_SECONDS
Prints "READY" once bound; stops on SIGTERM/SIGINT (remaining packets are accepted).
"""
import collections
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2
NF_ACCEPT = 1


def attr(atype, payload):
    length = 4 + len(payload)
    pad = (4 - length % 4) % 4
    return struct.pack("=HH", length, atype) + payload + b"\0" * pad


class Queue:
    def __init__(self, num):
        self.num = num
        self.seq = 0
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind((0, 0))

    def send(self, msg_type, attrs, flags=NLM_F_REQUEST):
        self.seq += 1
        nfgen = struct.pack("=BB", socket.AF_UNSPEC, 0) + struct.pack("!H", self.num)
        body = nfgen + b"".join(attrs)
        hdr = struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags, self.seq, 0)
        self.sock.send(hdr + body)

    def expect_ack(self):
        data = self.sock.recv(65536)
        _length, mtype = struct.unpack_from("=IH", data, 0)
        if mtype == NLMSG_ERROR:
            (err,) = struct.unpack_from("=i", data, 16)
            if err != 0:
                raise OSError(-err, "nfnetlink_queue config failed")

    def bind(self):
        self.send(NFQNL_MSG_CONFIG, [attr(NFQA_CFG_CMD, struct.pack("!BBH", NFQNL_CFG_CMD_BIND, 0, 0))],
                  NLM_F_REQUEST | NLM_F_ACK)
        self.expect_ack()
        self.send(NFQNL_MSG_CONFIG, [attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META))],
                  NLM_F_REQUEST | NLM_F_ACK)
        self.expect_ack()

    def accept(self, packet_id):
        self.send(NFQNL_MSG_VERDICT, [attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, packet_id))])

    def packet_ids(self):
        data = self.sock.recv(1 << 16)
        off = 0
        while off + 16 <= len(data):
            length, mtype = struct.unpack_from("=IH", data, off)
            if length < 16:
                break
            if mtype == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                a = off + 16 + 4
                end = off + length
                while a + 4 <= end:
                    alen, atype = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if atype & 0x3FFF == NFQA_PACKET_HDR:
                        yield struct.unpack_from("!I", data, a + 4)[0]
                    a += (alen + 3) & ~3
            off += (length + 3) & ~3


def main():
    num = int(sys.argv[1])
    delay = float(sys.argv[2])
    q = Queue(num)
    q.bind()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print("READY", flush=True)
    pending = collections.deque()
    count = 0
    while not stop:
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            q.accept(pending.popleft()[1])
        timeout = max(0.0, pending[0][0] - now) if pending else 0.5
        try:
            ready, _, _ = select.select([q.sock], [], [], timeout)
        except InterruptedError:
            continue
        if ready:
            t = time.monotonic()
            for pid in q.packet_ids():
                pending.append((t + delay, pid))
                count += 1
    while pending:
        q.accept(pending.popleft()[1])
    print(f"delayed {count} packets by {delay}s", flush=True)


if __name__ == "__main__":
    main()
