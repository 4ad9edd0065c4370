#!/usr/bin/env bash
# record.sh - record small, real captures of the Linux kernel's own TCP stack for synack's tests.
#
# usage: sudo testdata/kernel/record.sh [SCENARIO ...]     (no argument = record everything)
#
# Every scenario runs in a fresh pair of network namespaces, synack-cli (10.99.0.1, fd00:99::1)
# and synack-srv (10.99.0.2, fd00:99::2), joined by the veth pair veth-cli <-> veth-srv.
# The capture is always taken inside synack-cli on veth-cli (or "any" for the SLL formats).
# sockets.py (this directory) does the socket work, nfq_delay.py stands in for netem.
# Right before a capture is stopped, `ss -tan` of both namespaces is saved as
# NAME.ss-client.txt / NAME.ss-server.txt.  The step log of every process goes to record.log.
# inject.py (this directory) sends with scapy what a socket cannot: RSTs into a connection, a
# scanner's bare SYN; it runs under $SCAPY_PYTHON (default /usr/bin/python3, Debian's
# python3-scapy). The dup-two-interfaces scenario adds a third namespace, synack-rtr, routing
# between the client's link and the server's.
# Needs root, iproute2, tcpdump, dumpcap, nft, iptables, ss, ping, gzip, python3, python3-scapy
# (ethtool optional).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$HERE}
PY=${PYTHON:-python3}
SOCK=$HERE/sockets.py
DELAY=$HERE/nfq_delay.py
INJECT=$HERE/inject.py
SCAPY_PY=${SCAPY_PYTHON:-/usr/bin/python3}

CLI=synack-cli SRV=synack-srv RTR=synack-rtr
VC=veth-cli VS=veth-srv
C4=10.99.0.1 S4=10.99.0.2 C6=fd00:99::1 S6=fd00:99::2

die() { echo "record.sh: $*" >&2; exit 1; }
note() { printf '== %s\n' "$*" >&2; }

[[ $EUID -eq 0 ]] || die "must run as root"
for tool in ip ss tcpdump dumpcap nft iptables ping gzip "$PY"; do
  command -v "$tool" >/dev/null || die "missing $tool (apt-get install -y iproute2 tcpdump tshark nftables iptables iputils-ping)"
done

WORK=$(mktemp -d /tmp/synack-record.XXXXXX)
declare -A PID=()
CAP_PID=""
RECORD_LOG=$OUT/record.log

in_cli() { ip netns exec "$CLI" "$@"; }
in_srv() { ip netns exec "$SRV" "$@"; }

# start NAME NS CMD...: run CMD in namespace NS in the background, output to $WORK/NAME.log
start() {
  local name=$1 ns=$2
  shift 2
  : >"$WORK/$name.log"
  ip netns exec "$ns" "$@" >"$WORK/$name.log" 2>&1 &
  PID[$name]=$!
}
# sock NAME NS STEP...: sockets.py in the background
sock() {
  local name=$1 ns=$2
  shift 2
  start "$name" "$ns" "$PY" -u "$SOCK" "$name" "$@"
}
# wait_for FILE REGEX SECONDS
wait_for() {
  local file=$1 re=$2 n=$(( $3 * 20 ))
  until grep -qE "$re" "$file" 2>/dev/null; do
    if (( n-- <= 0 )); then
      cat "$file" >&2 || true
      die "timed out waiting for /$re/ in $(basename "$file")"
    fi
    sleep 0.05
  done
}
# stop NAME...: SIGTERM the named background processes (by pid) and reap them
stop() {
  local name p
  for name in "$@"; do
    p=${PID[$name]:-}
    [[ -n $p ]] || continue
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    unset "PID[$name]"
  done
}
stop_all() { (( ${#PID[@]} == 0 )) || stop "${!PID[@]}"; }

ns_down() {
  local ns p
  for ns in "$CLI" "$SRV" "$RTR"; do
    [[ -e /run/netns/$ns ]] || continue
    # leftovers of an interrupted earlier run of this script
    for p in $(ip netns pids "$ns"); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$ns"
  done
}

ns_up() {
  ns_down
  ip netns add "$CLI"
  ip netns add "$SRV"
  local ns
  for ns in "$CLI" "$SRV"; do
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0
  done
  ip link add "$VC" netns "$CLI" type veth peer name "$VS" netns "$SRV"
  ip -n "$CLI" addr add "$C4/24" dev "$VC"
  ip -n "$CLI" addr add "$C6/64" dev "$VC" nodad
  ip -n "$SRV" addr add "$S4/24" dev "$VS"
  ip -n "$SRV" addr add "$S6/64" dev "$VS" nodad
  if command -v ethtool >/dev/null; then
    # software checksums, so the captured packets carry valid TCP checksums
    # (lo's checksum offload is fixed on: packets captured on lo keep partial checksums)
    in_cli ethtool -K "$VC" tx off >/dev/null 2>&1 || true
    in_srv ethtool -K "$VS" tx off >/dev/null 2>&1 || true
  fi
  ip -n "$CLI" link set "$VC" up
  ip -n "$SRV" link set "$VS" up
  local n=100
  until ip -n "$CLI" -o link show "$VC" | grep -q 'state UP' && ip -n "$SRV" -o link show "$VS" | grep -q 'state UP'; do
    (( n-- > 0 )) || die "veth did not come up"
    sleep 0.05
  done
  sleep 0.2
}

# capture FILE CMD...: start a capture program (tcpdump or dumpcap) inside synack-cli
capture() {
  local file=$1
  shift
  rm -f "$file"
  local ns=${CAP_NS:-$CLI}
  echo "capture command: ip netns exec $ns $*" >>"$WORK/scenario.log"
  ip netns exec "$ns" "$@" >"$WORK/cap.out" 2>"$WORK/cap.err" &
  CAP_PID=$!
  wait_for "$WORK/cap.err" 'listening on|Capturing on' 10
  sleep 0.3
}
tcpdump_cap() { # tcpdump_cap FILE [tcpdump options and filter]
  local file=$1
  shift
  capture "$file" tcpdump -i "$VC" -U --immediate-mode -B 16384 -Z root -w "$file" "$@"
}
capture_stop() {
  sleep 0.5
  kill -INT "$CAP_PID"
  wait "$CAP_PID" || true
  CAP_PID=""
  sed 's/^/capture: /' "$WORK/cap.err" >>"$WORK/scenario.log"
  # tcpdump: "N packets dropped by kernel"; dumpcap: "received/dropped on interface 'X': R/D (..."
  if grep -qE '^[1-9][0-9]* packets dropped by kernel|: [0-9]+/[1-9][0-9]* \(' "$WORK/cap.err"; then
    cat "$WORK/cap.err" >&2
    die "$CUR: the capture lost packets"
  fi
}
# snap NAME: ss of both namespaces, raw
snap() {
  in_cli ss -tan >"$OUT/$1.ss-client.txt"
  in_srv ss -tan >"$OUT/$1.ss-server.txt"
}

begin() {
  note "$1"
  CUR=$1
  : >"$WORK/scenario.log"
  ns_up
}
finish() {
  stop_all
  {
    echo "### $CUR"
    cat "$WORK/scenario.log"
    local f
    for f in "$WORK"/*.log; do
      [[ $(basename "$f") != scenario.log ]] || continue
      sed "s/^/$(basename "$f" .log): /" "$f"
      rm -f "$f"
    done
    echo
  } >"$WORK/section.$CUR"
  chmod 644 "$OUT/$CUR".* 2>/dev/null || true
  ns_down
}

# record.log keeps one section per scenario, in the order of LOG_ORDER; a partial run
# replaces only the sections of the scenarios it recorded.
merge_log() {
  "$PY" - "$RECORD_LOG" "$WORK" "${LOG_ORDER[@]}" <<'PYEOF'
import os, re, sys
log, work, order = sys.argv[1], sys.argv[2], sys.argv[3:]
sections = {}
if os.path.exists(log):
    for part in re.split(r"(?m)^(?=### )", open(log).read()):
        if part.startswith("### "):
            sections[part.split("\n", 1)[0][4:].strip()] = part
for name in order:
    f = os.path.join(work, "section." + name)
    if os.path.exists(f):
        sections[name] = open(f).read()
with open(log, "w") as out:
    for name in order:
        if name in sections:
            out.write(sections[name])
PYEOF
}

cleanup() {
  local rc=$?
  [[ -z $CAP_PID ]] || { kill -INT "$CAP_PID" 2>/dev/null || true; wait "$CAP_PID" 2>/dev/null || true; }
  stop_all
  ns_down
  if (( rc == 0 )) || rmdir "$WORK" 2>/dev/null; then
    rm -rf "$WORK"
  else
    echo "record.sh: failed, logs kept in $WORK" >&2
  fi
}
trap cleanup EXIT

# A short request/response connection whose client closes first.
simple_pair() { # simple_pair SERVER_ADDR PORT CLIENT_PORT
  sock server "$SRV" listen="$1,$2" accept recv send=pong recv-eof close hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$1,$2,$3" send=ping recv close hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" DONE 10
}

# delay_both PORT: hold every packet of PORT 50 ms in each namespace's OUTPUT (sch_netem is not
# available in this kernel; NFQUEUE + nfq_delay.py gives the same 50 ms egress delay on both sides)
delay_both() {
  local port=$1
  in_cli iptables -A OUTPUT -p tcp --dport "$port" -j NFQUEUE --queue-num 0
  in_srv iptables -A OUTPUT -p tcp --sport "$port" -j NFQUEUE --queue-num 0
  echo "synack-cli: iptables -A OUTPUT -p tcp --dport $port -j NFQUEUE --queue-num 0 + nfq_delay.py 0 0.05" >>"$WORK/scenario.log"
  echo "synack-srv: iptables -A OUTPUT -p tcp --sport $port -j NFQUEUE --queue-num 0 + nfq_delay.py 0 0.05" >>"$WORK/scenario.log"
  start delay-cli "$CLI" "$PY" -u "$DELAY" 0 0.05
  start delay-srv "$SRV" "$PY" -u "$DELAY" 0 0.05
  wait_for "$WORK/delay-cli.log" READY 5
  wait_for "$WORK/delay-srv.log" READY 5
}
# epoch_in SECONDS: the wall-clock time SECONDS from now (for the at=EPOCH barrier)
epoch_in() { "$PY" -c "import time; print(f'{time.time() + $1:.3f}')"; }
# before EPOCH WHAT: die unless the wall clock is still before EPOCH
before() {
  [[ $("$PY" -c "import time; print(int(time.time() < $1))") == 1 ]] || die "$CUR: $2 came too late (after the barrier)"
}
# nft_in NS: load the nft ruleset on stdin into namespace NS, and log the ruleset
nft_in() {
  local ns=$1
  ip netns exec "$ns" nft -f -
  ip netns exec "$ns" nft list ruleset | sed "s/^/$ns nft: /" >>"$WORK/scenario.log"
}
# nft_counters NS: log the rule counters (how many packets the drop rule kept off the wire)
nft_counters() {
  ip netns exec "$1" nft list ruleset | grep -E 'counter packets' | sed "s/^[[:space:]]*/$1 nft counter: /" >>"$WORK/scenario.log"
}

# ---------------------------------------------------------------- scenarios

sc_normal_close() { # client closes first -> client TIME-WAIT, server CLOSED
  local name=${1:-normal-close} addr=${2:-$S4} port=${3:-9001} cport=${4:-40001}
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  simple_pair "$addr" "$port" "$cport"
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

sc_ipv6_normal() { sc_normal_close ipv6-normal "$S6" 9010 40010; }

sc_server_close_first() { # server closes first -> server TIME-WAIT, client CLOSED
  local name=server-close-first port=9002 cport=40002
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port" accept recv send=pong close hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" send=ping recv recv-eof close hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" DONE 10
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

sc_refused() { # nobody listens on 9003 -> SYN, RST/ACK
  local name=refused port=9003 cport=40003
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock client "$CLI" connect="$S4,$port,$cport" hold
  wait_for "$WORK/client.log" DONE 10
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

sc_syn_blackhole() { # server netns drops SYNs to 9004 (after the capture point); client gives up after 2 retries
  local name=syn-blackhole port=9004 cport=40004
  begin "$name"
  in_cli sysctl -qw net.ipv4.tcp_syn_retries=2
  echo "synack-cli: sysctl net.ipv4.tcp_syn_retries=2" >>"$WORK/scenario.log"
  # Linux >= 6.x first retransmits SYNs with linear 1 s timeouts (tcp_syn_linear_timeouts,
  # default 4); switch that off so the capture shows the classic doubling RTO.
  if in_cli test -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts; then
    in_cli sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0
    echo "synack-cli: sysctl net.ipv4.tcp_syn_linear_timeouts=0" >>"$WORK/scenario.log"
  fi
  in_srv nft -f - <<EOF
table inet synack {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport $port tcp flags & (syn | ack) == syn drop
  }
}
EOF
  in_srv nft list ruleset | sed 's/^/synack-srv nft: /' >>"$WORK/scenario.log"
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port" hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" hold
  # SYN at 0 s, retransmissions at 1 s and 3 s; connect() gives up at 7 s.
  # The capture is stopped at ~4.5 s, while the client is still in SYN-SENT.
  sleep 4.5
  snap "$name"
  capture_stop
  wait_for "$WORK/client.log" DONE 10 # connect() fails with ETIMEDOUT, see record.log
  finish
}

sc_final_ack_dropped() { # client's handshake ACK never leaves the client; server retransmits SYN-ACK
  local name=final-ack-dropped port=9005 cport=40005
  begin "$name"
  in_srv sysctl -qw net.ipv4.tcp_synack_retries=2
  echo "synack-srv: sysctl net.ipv4.tcp_synack_retries=2" >>"$WORK/scenario.log"
  in_cli nft -f - <<EOF
table inet synack {
  chain output {
    type filter hook output priority filter; policy accept;
    ip daddr $S4 tcp dport $port tcp flags == ack drop
  }
}
EOF
  in_cli nft list ruleset | sed 's/^/synack-cli nft: /' >>"$WORK/scenario.log"
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port" hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" hold # connects, never sends
  # SYN-ACK at 0 s, retransmissions at 1 s and 3 s; the server would drop the
  # request at ~7 s.  Snapshot at ~4.5 s: server SYN-RECV, client ESTAB.
  sleep 4.5
  snap "$name"
  capture_stop
  finish
}

sc_abort_by_client() {
  local name=abort-by-client port=9006 cport=40006
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port" accept recv send=pong recv-eof hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" send=ping recv sleep=0.2 abort hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" DONE 10
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

sc_abort_by_server() {
  local name=abort-by-server port=9007 cport=40007
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port" accept recv send=pong sleep=0.2 abort hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" send=ping recv recv-eof hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" DONE 10
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

sc_simultaneous_close() { # both close() at the same wall-clock instant, 50 ms one-way delay each way
  local name=simultaneous-close port=9008 cport=40008
  begin "$name"
  delay_both "$port"
  tcpdump_cap "$OUT/$name.pcap" tcp
  local go
  go=$(epoch_in 2.0)
  sock server "$SRV" listen="$S4,$port" accept recv send=pong at="$go" close hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" send=ping recv at="$go" close hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" DONE 10
  sleep 0.6
  snap "$name"
  capture_stop
  finish
}

sc_close_wait_keepalive() { # client half-closes, server never closes but sends keep-alives
  local name=close-wait-keepalive port=9009 cport=40009
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port" accept keepalive=1,1 recv send=pong recv-eof hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" send=ping recv shutdown-wr hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" DONE 10
  # A keep-alive probe every second from 1 s after the FIN; the server stays in CLOSE-WAIT
  # for ~9.5 s after it acknowledged the FIN before ss and the end of the capture.
  sleep 9.5
  snap "$name"
  capture_stop
  finish
}

sc_port_reuse_time_wait() { # server TIME-WAIT, client reconnects from the same port within a second
  local name=port-reuse-time-wait port=9011 cport=40011
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port" accept recv send=pong1 close \
    accept recv send=pong2 recv-eof close hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" send=ping1 recv recv-eof close sleep=0.5 \
    connect="$S4,$port,$cport" send=ping2 recv close hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" DONE 10
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

sc_simultaneous_open() { # both connect() to each other at the same instant; the SYNs cross (50 ms delay each way)
  local name=simultaneous-open port=9012 cport=40012
  begin "$name"
  delay_both "$port"
  tcpdump_cap "$OUT/$name.pcap" tcp
  local go
  go=$(epoch_in 2.0)
  # No listener: the "server" binds 9012 and connects to the client's 40012.
  sock server "$SRV" at="$go" connect="$C4,$cport,$port" recv send=pong recv-eof close hold
  sock client "$CLI" at="$go" connect="$S4,$port,$cport" send=ping recv close hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" DONE 10
  sleep 0.6
  snap "$name"
  capture_stop
  finish
}

sc_last_ack() { # client closes first; its last ACK(s) never leave the client -> server LAST-ACK, FIN retransmitted
  local name=last-ack port=9013 cport=40013
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  local go
  go=$(epoch_in 1.5)
  sock server "$SRV" listen="$S4,$port" accept recv send=pong recv-eof at="$go" close hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" send=ping recv close hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" 'received EOF' 10
  sleep 0.3 # the server's (delayed) ACK of the client's FIN is out
  # From now on the client sends nothing but pure ACKs (of the server's FIN and of each
  # retransmission of it); all of them are dropped before the wire.
  nft_in "$CLI" <<EOF
table inet synack {
  chain output {
    type filter hook output priority filter; policy accept;
    ip daddr $S4 tcp dport $port tcp flags == ack counter drop
  }
}
EOF
  before "$go" "the nft rule"
  wait_for "$WORK/server.log" DONE 10
  # The server's FIN at 0 s is retransmitted ~0.2, 0.4, 0.8, 1.7 and 3.3 s later (a loss probe,
  # then the RTO of ~200 ms, doubling); no sysctl is needed for that.
  sleep 3.6
  snap "$name"
  capture_stop
  nft_counters "$CLI"
  finish
}

sc_fin_into_time_wait() { # the client's last ACK is captured but never reaches the server: its FIN comes again into the client's TIME-WAIT
  local name=fin-into-time-wait port=9040 cport=40040
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  local go
  go=$(epoch_in 1.5)
  sock server "$SRV" listen="$S4,$port" accept recv send=pong recv-eof at="$go" close hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" send=ping recv close hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" 'received EOF' 10
  sleep 0.3 # the server's (delayed) ACK of the client's FIN is in
  # From now on the server takes no pure ACK from the client: the capture (on the client's
  # side) sees each one leave, the server never gets it, stays in LAST-ACK and retransmits its
  # FIN into the client's TIME-WAIT, which acknowledges it again and restarts its 2xMSL.
  nft_in "$SRV" <<EOF
table inet synack {
  chain input {
    type filter hook input priority filter; policy accept;
    ip saddr $C4 tcp sport $cport tcp flags == ack counter drop
  }
}
EOF
  before "$go" "the nft rule"
  wait_for "$WORK/server.log" DONE 10
  sleep 3.6
  snap "$name"
  capture_stop
  nft_counters "$SRV"
  finish
}

sc_fin_unacked() { # the server never sees the client's FIN -> client FIN-WAIT-1, FIN retransmitted
  local name=fin-unacked port=9014 cport=40014
  begin "$name"
  nft_in "$SRV" <<EOF
table inet synack {
  chain input {
    type filter hook input priority filter; policy accept;
    ip saddr $C4 tcp dport $port tcp flags & fin == fin counter drop
  }
}
EOF
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port" accept recv send=pong hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" send=ping recv sleep=0.2 close hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" DONE 10
  # The client's FIN at 0 s is retransmitted ~0.2, 0.4, 0.8, 1.7 and 3.3 s later.
  sleep 3.6
  snap "$name"
  capture_stop
  nft_counters "$SRV"
  finish
}

sc_peer_lost_state() { # the server's socket vanishes silently (ss -K, its RST dropped); the client's next data gets a RST
  local name=peer-lost-state port=9015 cport=40015
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  local go
  go=$(epoch_in 1.5)
  sock server "$SRV" listen="$S4,$port" accept close-listener recv send=pong hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" send=ping recv at="$go" send=ping2 recv-eof hold
  wait_for "$WORK/server.log" DONE 10
  wait_for "$WORK/client.log" "received b'pong" 10
  sleep 0.3
  nft_in "$SRV" <<EOF
table inet synack {
  chain output {
    type filter hook output priority filter; policy accept;
    ip daddr $C4 tcp sport $port tcp flags & rst == rst counter drop
  }
}
EOF
  # ss -K destroys the socket (tcp_abort); the RST it sends is dropped by the rule above
  in_srv ss -K -tn dst "$C4" dport = ":$cport" | sed 's/^/synack-srv ss -K: /' >>"$WORK/scenario.log"
  in_srv ss -tan | sed 's/^/synack-srv ss -tan after ss -K: /' >>"$WORK/scenario.log"
  nft_counters "$SRV"
  in_srv nft delete table inet synack
  echo "synack-srv: nft delete table inet synack" >>"$WORK/scenario.log"
  before "$go" "ss -K"
  wait_for "$WORK/client.log" DONE 10
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

sc_time_wait_excess() { # 1001 connections, the server closes first every time -> 1001 TIME-WAIT sockets
  local name=time-wait-excess port=9016 cport=40016 n=1001
  begin "$name"
  in_srv sysctl -qw net.ipv4.tcp_max_tw_buckets=262144
  echo "synack-srv: sysctl net.ipv4.tcp_max_tw_buckets=262144" >>"$WORK/scenario.log"
  rm -f "$OUT/$name.pcap"
  tcpdump_cap "$WORK/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port" serve-close="$n" hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect-close="$S4,$port,$n,$cport" hold
  wait_for "$WORK/client.log" DONE 60
  wait_for "$WORK/server.log" DONE 10
  sleep 0.5
  snap "$name"
  capture_stop
  # only the gzip-compressed capture is kept
  gzip -9 -n -c "$WORK/$name.pcap" >"$OUT/$name.pcap.gz"
  rm -f "$WORK/$name.pcap"
  echo "kept only as $name.pcap.gz (gzip -9 -n)" >>"$WORK/scenario.log"
  finish
}

# snaplen_pair NAME PORT SNAPLEN: one connection, 1000-byte request and response, tcpdump -s SNAPLEN.
# Timestamps, SACK and window scaling are off in synack-cli, so the SYN and SYN-ACK carry only the
# MSS option: every TCP header is 24 (SYN, SYN-ACK) or 20 bytes, and 14+20+24 = 58 bytes.
# Note: with --immediate-mode (TPACKET_V2) libpcap 1.10.3 sizes the ring frames so that -s 60 keeps
# only 58 bytes of each packet (the file header still says 60); -s 40 keeps 40.
snaplen_pair() {
  local name=$1 port=$2 snaplen=$3
  begin "$name"
  in_cli sysctl -qw net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0 net.ipv4.tcp_window_scaling=0
  echo "synack-cli: sysctl net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0 net.ipv4.tcp_window_scaling=0" >>"$WORK/scenario.log"
  tcpdump_cap "$OUT/$name.pcap" -s "$snaplen" tcp
  sock server "$SRV" listen="$S4,$port" accept recv sendn=1000 recv-eof close hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$(( port + 31000 ))" sendn=1000 recv close hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" DONE 10
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}
sc_snaplen_cut() { # -s 60: data cut, TCP header complete; then snaplen-header-cut (-s 40)
  snaplen_pair snaplen-cut 9017 60
  snaplen_pair snaplen-header-cut 9018 40
}
sc_snaplen_header_cut() { snaplen_pair snaplen-header-cut 9018 40; } # -s 40: the TCP header itself is cut

sc_no_tcp() { # a ping and a UDP datagram, no TCP at all
  local name=no-tcp port=9019
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" not tcp and not ip6
  in_cli ping -c 1 -W 2 "$S4" >>"$WORK/scenario.log"
  in_cli "$PY" -u "$SOCK" udp udp="$S4,$port,hello over udp" >>"$WORK/scenario.log"
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

# rst_into_established NAME PORT OFFSET: a request and its answer, then (at 4 s) a RST injected
# from the server's address and port with sequence number = the client's RCV.NXT + OFFSET, then
# (at 5 s) more data from the client and a normal close: the RST must change nothing.
rst_into_established() {
  local name=$1 port=$2 offset=$3 cport=$(( $2 + 31000 ))
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  local go after
  go=$(epoch_in 4.0)
  after=$(epoch_in 5.0)
  sock server "$SRV" listen="$S4,$port" accept recv send=pong recv recv-eof close hold
  wait_for "$WORK/server.log" READY 5
  start inject "$SRV" "$SCAPY_PY" -u "$INJECT" rst "$VS" "$S4" "$port" "$C4" "$cport" "$offset" "$go"
  wait_for "$WORK/inject.log" 'inject: listening' 10
  sock client "$CLI" connect="$S4,$port,$cport" send=ping recv at="$after" send=after close hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" DONE 10
  wait_for "$WORK/inject.log" 'inject: sent' 5
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}
# in the window (64 KB and more), 5000 bytes past RCV.NXT: Linux answers with a challenge ACK
sc_rst_challenged() { rst_into_established rst-challenged 9021 5000; }
# 2^30 bytes past RCV.NXT: outside any window, dropped without an answer
sc_rst_out_of_window() { rst_into_established rst-out-of-window 9022 1073741824; }

# accept_overflow NAME PORT ABORT: a listen(0) socket that never accepts, two connects at once.
# The server's SYN-ACKs are held 50 ms (NFQUEUE + nfq_delay.py), so both SYNs sit in the SYN
# queue before the first final ACK fills the accept queue; the second final ACK overflows it:
# dropped with tcp_abort_on_overflow=0 (the SYN-ACK is retransmitted, each ACK of it dropped
# again), answered with a RST with tcp_abort_on_overflow=1.
accept_overflow() {
  local name=$1 port=$2 abort=$3 cport=$(( $2 + 31000 ))
  begin "$name"
  in_srv sysctl -qw net.ipv4.tcp_abort_on_overflow="$abort"
  echo "synack-srv: sysctl net.ipv4.tcp_abort_on_overflow=$abort" >>"$WORK/scenario.log"
  in_srv iptables -A OUTPUT -p tcp --sport "$port" --tcp-flags SYN,ACK SYN,ACK -j NFQUEUE --queue-num 0
  echo "synack-srv: iptables -A OUTPUT -p tcp --sport $port --tcp-flags SYN,ACK SYN,ACK -j NFQUEUE --queue-num 0 + nfq_delay.py 0 0.05" >>"$WORK/scenario.log"
  start delay-srv "$SRV" "$PY" -u "$DELAY" 0 0.05
  wait_for "$WORK/delay-srv.log" READY 5
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port,0" hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect-many="$S4,$port,2,$cport" hold
  wait_for "$WORK/client.log" DONE 15
  # SYN-ACK retransmissions at ~1 s and ~3 s, each answered by an ACK that is dropped again.
  sleep 4.5
  in_srv nstat -az TcpExtListenOverflows TcpExtListenDrops 2>&1 | sed 's/^/synack-srv nstat: /' >>"$WORK/scenario.log" || true
  snap "$name"
  capture_stop
  finish
}
# On the kernel these were recorded with (6.18) neither happens: the overflowing final ACK is
# dropped (TcpExtListenOverflows 1) and the request vanishes from `ss` without a SYN-ACK
# retransmission or a RST, so the capture shows nothing of it (see testdata/README.md).
sc_accept_overflow() { accept_overflow accept-overflow 9023 0; }
sc_accept_overflow_rst() { accept_overflow accept-overflow-rst 9024 1; }

sc_defer_accept() { # a listener with TCP_DEFER_ACCEPT ignores bare final ACKs, as an overflowing
  # accept queue does: it retransmits its SYN-ACK, and ignores the client's ACKs of the
  # retransmissions too, until data comes (the client sends at 8 s)
  local name=defer-accept port=9031 cport=40031
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port" defer-accept=5 accept recv send=pong recv-eof close hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" sleep=8 send=ping recv close hold
  wait_for "$WORK/client.log" DONE 15
  wait_for "$WORK/server.log" DONE 5
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

# reject NAME PORT HOW: the server's firewall rejects SYNs to PORT (nft `reject ...`)
reject() {
  local name=$1 port=$2 how=$3 cport=$(( $2 + 31000 ))
  begin "$name"
  nft_in "$SRV" <<EOF
table inet synack {
  chain input { type filter hook input priority filter; policy accept; tcp dport $port $how; }
}
EOF
  tcpdump_cap "$OUT/$name.pcap" tcp or icmp or icmp6
  sock client "$CLI" connect="$S4,$port,$cport" hold
  wait_for "$WORK/client.log" DONE 10
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}
sc_reject_icmp_port() { reject reject-icmp-port 9025 "reject with icmp type port-unreachable"; }
sc_reject_icmp_admin() { reject reject-icmp-admin 9026 "reject with icmp type admin-prohibited"; }
sc_reject_tcp_reset() { reject reject-tcp-reset 9027 "reject with tcp reset"; }

sc_scanner_rst() { # a SYN scanner: a bare SYN (scapy, no socket), the SYN-ACK, the client kernel's RST
  local name=scanner-rst port=9028 cport=40028
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port" hold
  wait_for "$WORK/server.log" READY 5
  in_cli "$SCAPY_PY" -u "$INJECT" syn "$VC" "$C4" "$cport" "$S4" "$port" >>"$WORK/scenario.log"
  sleep 1.5
  snap "$name"
  capture_stop
  finish
}

sc_syn_flood() { # 200 spoofed SYNs from 40 addresses of 10.98.0.0/16 (routed by the server
  # towards the client's namespace, which does not forward: the SYN-ACKs are captured, then
  # dropped); the server is left with 200 half-open connections and retransmits its SYN-ACKs
  local name=syn-flood port=9032
  begin "$name"
  in_srv ip route add 10.98.0.0/16 via "$C4"
  echo "synack-srv: ip route add 10.98.0.0/16 via $C4 (synack-cli does not forward)" >>"$WORK/scenario.log"
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port,4096" hold
  wait_for "$WORK/server.log" READY 5
  in_cli "$SCAPY_PY" -u "$INJECT" flood "$VC" "$S4" "$port" 200 40 >>"$WORK/scenario.log"
  sleep 2
  in_srv ss -tan state syn-recv | wc -l | sed 's/^/synack-srv SYN-RECV lines (with header): /' >>"$WORK/scenario.log"
  snap "$name"
  capture_stop
  finish
}

sc_zero_window() { # a server that stops reading: its window falls to zero for ~7 s while the
  # client, with 30 KB to send, probes; then the server reads it all and both close
  local name=zero-window port=9033 cport=40033
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" listen="$S4,$port" rcvbuf=4096 accept sleep=8 recv-eof close hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" connect="$S4,$port,$cport" sendn=30000 shutdown-wr recv-eof close hold
  wait_for "$WORK/client.log" DONE 20
  wait_for "$WORK/server.log" DONE 5
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

sc_tfo() { # TCP Fast Open: a first connection fetches the cookie, a second sends data in its SYN
  local name=tfo port=9029
  begin "$name"
  in_cli sysctl -qw net.ipv4.tcp_fastopen=1
  in_srv sysctl -qw net.ipv4.tcp_fastopen=2
  echo "synack-cli: sysctl net.ipv4.tcp_fastopen=1; synack-srv: sysctl net.ipv4.tcp_fastopen=2" >>"$WORK/scenario.log"
  tcpdump_cap "$OUT/$name.pcap" tcp
  sock server "$SRV" tfo-listen="$S4,$port" accept recv send=pong recv-eof close \
    accept recv send=pong recv-eof close hold
  wait_for "$WORK/server.log" READY 5
  sock client "$CLI" tfo-send="$S4,$port,40029,first" recv close sleep=0.3 \
    tfo-send="$S4,$port,40129,second" recv close hold
  wait_for "$WORK/client.log" DONE 10
  wait_for "$WORK/server.log" DONE 10
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

sc_dup_two_interfaces() { # client and server on two links routed by synack-rtr, captured on both
  # of the router's links (dumpcap -i rc -i rs): every packet is in the capture twice, the TTL one
  # less on the way out, as a SPAN of two VLANs or `tcpdump -i any` on a router records it.
  # (This kernel has neither 802.1Q nor bridges, so the two links are untagged; VLAN copies are
  # in the shared corpus's zeek/vlan-collisions.pcap.)
  local name=dup-two-interfaces port=9030 cport=40030 c4=10.99.10.1 s4=10.99.20.2
  begin "$name"
  # begin made the two-namespace veth; this scenario replaces it with two routed links
  ip -n "$CLI" link del "$VC"
  ip netns add "$RTR"
  ip -n "$RTR" link set lo up
  ip link add vc netns "$CLI" type veth peer name rc netns "$RTR"
  ip link add vs netns "$SRV" type veth peer name rs netns "$RTR"
  if command -v ethtool >/dev/null; then
    in_cli ethtool -K vc tx off >/dev/null 2>&1 || true
    in_srv ethtool -K vs tx off >/dev/null 2>&1 || true
  fi
  ip -n "$CLI" link set vc up
  ip -n "$RTR" link set rc up
  ip -n "$RTR" link set rs up
  ip -n "$SRV" link set vs up
  ip -n "$CLI" addr add "$c4/24" dev vc
  ip -n "$RTR" addr add 10.99.10.254/24 dev rc
  ip -n "$RTR" addr add 10.99.20.254/24 dev rs
  ip -n "$SRV" addr add "$s4/24" dev vs
  ip -n "$CLI" route add default via 10.99.10.254
  ip -n "$SRV" route add default via 10.99.20.254
  ip netns exec "$RTR" sysctl -qw net.ipv4.ip_forward=1
  echo "synack-cli vc $c4/24 -- synack-rtr rc 10.99.10.254/24, rs 10.99.20.254/24 (forwarding) -- synack-srv vs $s4/24" >>"$WORK/scenario.log"
  sleep 0.5
  CAP_NS=$RTR capture "$OUT/$name.pcapng" dumpcap -i rc -i rs -f tcp -w "$OUT/$name.pcapng"
  simple_pair "$s4" "$port" "$cport"
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

# ---------------------------------------------------------------- capture formats

fmt_simple() { # fmt_simple NAME PORT FILE CAPTURE-COMMAND...
  local name=$1 port=$2
  shift 2
  begin "$name"
  capture "$@"
  simple_pair "$S4" "$port" $(( port + 31000 ))
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

sc_fmt_pcap_usec() {
  fmt_simple fmt-pcap-usec 9101 "$OUT/fmt-pcap-usec.pcap" tcpdump -i "$VC" -U --immediate-mode -B 16384 -Z root -w "$OUT/fmt-pcap-usec.pcap" tcp
  gzip -9 -n -c "$OUT/fmt-pcap-usec.pcap" >"$OUT/fmt-pcap-usec.pcap.gz"
}
sc_fmt_pcap_nsec() {
  fmt_simple fmt-pcap-nsec 9102 "$OUT/fmt-pcap-nsec.pcap" tcpdump -i "$VC" -U --immediate-mode -B 16384 -Z root --time-stamp-precision=nano \
    -w "$OUT/fmt-pcap-nsec.pcap" tcp
}
sc_fmt_pcapng() {
  fmt_simple fmt-pcapng 9103 "$OUT/fmt-pcapng.pcapng" dumpcap -i "$VC" -f tcp -w "$OUT/fmt-pcapng.pcapng"
}
sc_fmt_sll() {
  fmt_simple fmt-sll 9105 "$OUT/fmt-sll.pcap" tcpdump -i any -y LINUX_SLL -U --immediate-mode -B 16384 -Z root -w "$OUT/fmt-sll.pcap" tcp
}
sc_fmt_sll2() {
  fmt_simple fmt-sll2 9106 "$OUT/fmt-sll2.pcap" tcpdump -i any -y LINUX_SLL2 -U --immediate-mode -B 16384 -Z root -w "$OUT/fmt-sll2.pcap" tcp
}
sc_fmt_pcapng_multi() { # two interfaces: veth-cli (to the server) and lo (inside synack-cli)
  local name=fmt-pcapng-multi port=9104
  begin "$name"
  capture "$OUT/$name.pcapng" dumpcap -f tcp -i "$VC" -i lo -w "$OUT/$name.pcapng"
  simple_pair "$S4" "$port" 40104
  sock lo-server "$CLI" listen="127.0.0.1,$port" accept recv send=pong recv-eof close hold
  wait_for "$WORK/lo-server.log" READY 5
  sock lo-client "$CLI" connect="127.0.0.1,$port,40204" send=ping recv close hold
  wait_for "$WORK/lo-client.log" DONE 10
  wait_for "$WORK/lo-server.log" DONE 10
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}
sc_fmt_mixed() { # unfiltered: ARP, ICMP echo, UDP (+ ICMP port unreachable), IPv6 ND/ICMPv6, TCP
  local name=fmt-mixed port=9107
  begin "$name"
  tcpdump_cap "$OUT/$name.pcap"
  in_cli ping -c 1 -W 2 "$S4" >>"$WORK/scenario.log"
  in_cli ping -6 -c 1 -W 2 "$S6" >>"$WORK/scenario.log"
  in_cli "$PY" -u "$SOCK" udp udp="$S4,$port,hello over udp" >>"$WORK/scenario.log"
  # Fragmented datagrams (3000-byte echo over a 1500-byte MTU), IPv4 and IPv6: counted as IP
  # fragments, never taken for TCP.
  in_cli ping -c 1 -W 2 -s 3000 "$S4" >>"$WORK/scenario.log"
  in_cli ping -6 -c 1 -W 2 -s 3000 "$S6" >>"$WORK/scenario.log"
  # A TCP SYN refused with an ICMP error that quotes it: the quoted header is not a segment.
  in_srv nft -f - <<EOF
table inet mixed {
  chain input { type filter hook input priority 0; tcp dport 9199 reject with icmp type admin-prohibited; }
}
EOF
  in_cli timeout 3 bash -c "exec 3<>/dev/tcp/$S4/9199" >>"$WORK/scenario.log" 2>&1 || true
  sleep 0.2
  simple_pair "$S4" "$port" 40107
  sleep 0.5
  snap "$name"
  capture_stop
  finish
}

ALL=(normal-close server-close-first refused syn-blackhole final-ack-dropped abort-by-client
  abort-by-server simultaneous-close close-wait-keepalive ipv6-normal port-reuse-time-wait
  simultaneous-open last-ack fin-unacked peer-lost-state time-wait-excess snaplen-cut no-tcp
  fmt-pcap-usec fmt-pcap-nsec fmt-pcapng fmt-pcapng-multi fmt-sll fmt-sll2 fmt-mixed
  rst-challenged rst-out-of-window accept-overflow accept-overflow-rst defer-accept reject-icmp-port
  reject-icmp-admin reject-tcp-reset scanner-rst syn-flood zero-window tfo dup-two-interfaces
  fin-into-time-wait)
# record.log sections, in this order (snaplen-cut also records snaplen-header-cut)
LOG_ORDER=()
for s in "${ALL[@]}"; do
  LOG_ORDER+=("$s")
  [[ $s != snaplen-cut ]] || LOG_ORDER+=(snaplen-header-cut)
done
unset s

main() {
  local list=("$@") s
  (( ${#list[@]} )) || list=("${ALL[@]}")
  for s in "${list[@]}"; do
    declare -F "sc_${s//-/_}" >/dev/null || die "unknown scenario $s (known: ${ALL[*]})"
  done
  for s in "${list[@]}"; do
    "sc_${s//-/_}"
  done
  merge_log
  note "done: $OUT"
}

main "$@"
