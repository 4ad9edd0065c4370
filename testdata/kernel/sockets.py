#!/usr/bin/env python3
"""Tiny socket driver for record.sh: runs a list of steps against the kernel's TCP stack.

usage: sockets.py ROLE STEP [STEP ...]

ROLE is only a label for the log.  Steps run in order; every step prints one log
line ("+SECONDS ROLE step -> result") on stdout.  HOST may be IPv4 or IPv6.

  listen=HOST,PORT[,BACKLOG]  socket + SO_REUSEADDR + bind + listen(BACKLOG, default 8);
                          prints READY
  tfo-listen=HOST,PORT    listen= with TCP_FASTOPEN (queue 16) on the listener
  defer-accept=SECONDS    TCP_DEFER_ACCEPT on the listener: a final ACK without data is ignored
  rcvbuf=BYTES            SO_RCVBUF on the listener (its connections inherit it)
  accept                  accept one connection from the listener (it becomes current)
  connect=HOST,PORT[,CP]  new socket, SO_REUSEADDR, bind to local port CP (if given),
                          connect; a failure (refused, timeout) is logged, not fatal
  connect-many=HOST,PORT,N,CP  N non-blocking connects at once from local ports CP..CP+N-1,
                          then wait (up to 10 s) until each is connected or failed
  tfo-send=HOST,PORT,CP,TEXT  new socket from local port CP, sendto(TEXT, MSG_FASTOPEN):
                          the data rides in the SYN once the client holds a TFO cookie
  keepalive=IDLE,INTVL[,CNT]  SO_KEEPALIVE + TCP_KEEPIDLE/TCP_KEEPINTVL(/TCP_KEEPCNT)
                          on the current connection
  send=TEXT               sendall(TEXT + "\\n")
  sendn=N                 sendall(N bytes: N-1 times "x", then "\\n")
  recv                    read up to and including one "\\n" (or EOF)
  recv-eof                read until EOF (logs data, EOF, or a reset)
  shutdown-wr             shutdown(SHUT_WR): send FIN, keep the socket open
  close                   close()
  close-listener          close the listening socket (no socket left on its port)
  abort                   SO_LINGER {l_onoff=1, l_linger=0} + close(): sends RST
  sleep=SECONDS           sleep
  at=EPOCH                sleep until wall-clock time EPOCH (to sync two processes)
  udp=HOST,PORT,TEXT      send one UDP datagram
  serve-close=N           N times: accept, close() at once (the server closes first)
  connect-close=HOST,PORT,N,CP  N times: connect from local port CP+i (SO_REUSEADDR),
                          read until EOF, close(); one summary log line
  hold                    print DONE and keep every socket open until SIGTERM/SIGINT

Only the standard library is used.
"""
import os
import select
import signal
import socket
import struct
import sys
import time

T0 = time.monotonic()
ROLE = "?"


def log(msg):
    print(f"+{time.monotonic() - T0:7.3f} {ROLE} {msg}", flush=True)


def parse_hostport(arg):
    parts = arg.split(",")
    host, port = parts[0], int(parts[1])
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    return fam, host, port, parts[2:]


def main():
    global ROLE
    ROLE = sys.argv[1]
    steps = sys.argv[2:]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = None
    conn = None
    keep = []  # keep every socket object alive (and open) until exit

    for step in steps:
        name, _, arg = step.partition("=")
        if name in ("listen", "tfo-listen"):
            fam, host, port, rest = parse_hostport(arg)
            listener = socket.socket(fam, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if name == "tfo-listen":
                listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
            listener.bind((host, port))
            listener.listen(int(rest[0]) if rest else 8)
            keep.append(listener)
            log(f"listening on {host} port {port}")
            print("READY", flush=True)
        elif name == "rcvbuf":
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, int(arg))
            log(f"SO_RCVBUF {arg} on the listener")
        elif name == "defer-accept":
            listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, int(arg))
            log(f"TCP_DEFER_ACCEPT {arg} s on the listener")
        elif name == "accept":
            conn, peer = listener.accept()
            keep.append(conn)
            log(f"accepted {peer[0]} port {peer[1]}")
        elif name == "connect":
            fam, host, port, rest = parse_hostport(arg)
            conn = socket.socket(fam, socket.SOCK_STREAM)
            keep.append(conn)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if rest:
                conn.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", int(rest[0])))
            try:
                conn.connect((host, port))
                local = conn.getsockname()
                log(f"connected {local[0]} port {local[1]} -> {host} port {port}")
            except OSError as e:
                log(f"connect to {host} port {port} failed: {e.strerror} ({type(e).__name__})")
        elif name == "connect-many":
            fam, host, port, rest = parse_hostport(arg)
            n, first = int(rest[0]), int(rest[1])
            socks = []
            for i in range(n):
                c = socket.socket(fam, socket.SOCK_STREAM)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                c.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", first + i))
                c.setblocking(False)
                c.connect_ex((host, port))
                socks.append(c)
                keep.append(c)
            deadline = time.monotonic() + 10
            pending = list(socks)
            while pending and time.monotonic() < deadline:
                _, writable, _ = select.select([], pending, [], 0.1)
                for c in writable:
                    pending.remove(c)
                    err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    port_ = c.getsockname()[1]
                    log(f"connect from port {port_}: " + ("connected" if err == 0 else os.strerror(err)))
            for c in pending:
                log(f"connect from port {c.getsockname()[1]}: still pending")
            conn = socks[-1]
        elif name == "tfo-send":
            fam, host, port, rest = parse_hostport(arg)
            conn = socket.socket(fam, socket.SOCK_STREAM)
            keep.append(conn)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            conn.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", int(rest[0])))
            conn.sendto(rest[1].encode() + b"\n", socket.MSG_FASTOPEN, (host, port))
            log(f"sendto({rest[1]!r}, MSG_FASTOPEN) to {host} port {port}")
        elif name == "keepalive":
            vals = [int(v) for v in arg.split(",")]
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, vals[0])
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, vals[1])
            if len(vals) > 2:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, vals[2])
            log(f"SO_KEEPALIVE on, TCP_KEEPIDLE={vals[0]} TCP_KEEPINTVL={vals[1]}")
        elif name == "send":
            conn.sendall(arg.encode() + b"\n")
            log(f"sent {arg!r}")
        elif name == "sendn":
            n = int(arg)
            conn.sendall(b"x" * (n - 1) + b"\n")
            log(f"sent {n} bytes")
        elif name == "recv":
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                buf += chunk
            log(f"received {buf!r}" if len(buf) <= 40 else f"received {len(buf)} bytes")
        elif name == "recv-eof":
            try:
                while True:
                    chunk = conn.recv(4096)
                    if not chunk:
                        log("received EOF")
                        break
                    log(f"received {chunk!r}")
            except OSError as e:
                log(f"recv failed: {e.strerror} ({type(e).__name__})")
        elif name == "shutdown-wr":
            conn.shutdown(socket.SHUT_WR)
            log("shutdown(SHUT_WR)")
        elif name == "close":
            conn.close()
            log("close()")
        elif name == "close-listener":
            listener.close()
            log("closed the listener")
        elif name == "serve-close":
            n = int(arg)
            for i in range(n):
                c, peer = listener.accept()
                c.close()
                if i in (0, n - 1):
                    log(f"accepted and closed connection {i + 1}/{n} from {peer[0]} port {peer[1]}")
        elif name == "connect-close":
            fam, host, port, rest = parse_hostport(arg)
            n, first = int(rest[0]), int(rest[1])
            done = 0
            for i in range(n):
                c = socket.socket(fam, socket.SOCK_STREAM)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                c.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", first + i))
                c.connect((host, port))
                while c.recv(4096):
                    pass
                c.close()
                done += 1
            log(f"{done} connections from ports {first}..{first + n - 1} to {host} port {port}: "
                f"each read EOF, then close()")
        elif name == "abort":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            log("SO_LINGER {1,0} + close()")
        elif name == "sleep":
            time.sleep(float(arg))
        elif name == "at":
            delta = float(arg) - time.time()
            if delta > 0:
                time.sleep(delta)
            log(f"reached barrier (late by {max(0.0, -delta) * 1000:.1f} ms)")
        elif name == "udp":
            fam, host, port, rest = parse_hostport(arg)
            with socket.socket(fam, socket.SOCK_DGRAM) as u:
                u.sendto(",".join(rest).encode() + b"\n", (host, port))
            log(f"sent UDP datagram to {host} port {port}")
        elif name == "hold":
            log("holding sockets open")
            print("DONE", flush=True)
            while True:
                signal.pause()
        else:
            sys.exit(f"unknown step {step!r}")
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
