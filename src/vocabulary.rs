//! The words a report uses, for `synack explain`: Zeek's conn_state values and history
//! letters, RFC 9293's state names (also as Linux's `ss` and `netstat` spell them), and the
//! Linux settings that decide how long a socket stays in each. Rules explain themselves
//! (`crate::findings::Rule`); this is everything else a user meets in a report.
//!
//! Linux figures are those of current kernels' defaults (Documentation/networking/ip-sysctl,
//! include/net/tcp.h): TIME-WAIT is `TCP_TIMEWAIT_LEN`, 60 s, not a setting; an unanswered SYN
//! is sent 1 + `tcp_syn_retries` (6) times, 1 s apart and doubling, and given up after 127 s; a
//! SYN-ACK 1 + `tcp_synack_retries` (5) times, the request dropped after 63 s.

/// What kind of word a [`Term`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    ConnState,
    HistoryLetter,
    State,
    Setting,
}

impl Kind {
    pub fn title(self) -> &'static str {
        match self {
            Kind::ConnState => "Zeek conn_state",
            Kind::HistoryLetter => "Zeek history letter",
            Kind::State => "RFC 9293 state",
            Kind::Setting => "Linux setting",
        }
    }

    /// One of its words, for `explain --list`'s headings.
    pub fn example(self) -> &'static str {
        match self {
            Kind::ConnState => "S0",
            Kind::HistoryLetter => "h",
            Kind::State => "TIME-WAIT",
            Kind::Setting => "tcp_fin_timeout",
        }
    }
}

/// One word and what synack says about it: a line, then sections (heading, text).
#[derive(Debug)]
pub struct Term {
    pub name: &'static str,
    pub kind: Kind,
    /// Other spellings that find it (case and `-`/`_` do not matter): Linux's, netstat's.
    pub aliases: &'static [&'static str],
    pub summary: &'static str,
    pub sections: &'static [(&'static str, &'static str)],
}

const CHECK_TW: &str = "`synack report --state TIME-WAIT` lists the connections; the summary's \
time_wait rows give the peak per host (TW001 fires above --time-wait-max). On the host: \
`ss -tan state time-wait | wc -l`.";

/// Every term, in the order `explain --list` gives them.
pub static TERMS: &[Term] = &[
    // Zeek's conn_state (base/protocols/conn/main.zeek).
    Term {
        name: "S0",
        kind: Kind::ConnState,
        aliases: &[],
        summary: "Connection attempt seen, no reply.",
        sections: &[
            ("Means", "The originator sent a SYN (perhaps several) and nothing came back: no SYN-ACK, no RST. synack adds whether an ICMP error answered it (RS006) and whether it was given up on (HS003, after --syn-timeout)."),
            ("Usually", "The server is down or unreachable, a firewall drops the SYN silently, or the capture saw only one direction. Many S0s to one server within seconds, from many sources, are a SYN flood (HS005); to many ports of one host, a scan (SC001)."),
            ("Check next", "`synack report --state S0` and the SYN retransmissions (HS001): a client that retries on Linux's schedule (1, 3, 7, 15 s…) is real; one SYN each from thousands of addresses is spoofed. Whether the capture point sees both directions (one-sided traffic elsewhere in the report)."),
        ],
    },
    Term {
        name: "S1",
        kind: Kind::ConnState,
        aliases: &[],
        summary: "Connection established, not terminated.",
        sections: &[
            ("Means", "The handshake completed and neither side closed or reset before the capture ended (or before --idle-timeout took it). Both sides are normally ESTABLISHED."),
            ("Check next", "Nothing, for a capture that simply ended. Many S1s with no data for a long time are idle keep-alive connections; compare `last_ts` with the capture's end."),
        ],
    },
    Term {
        name: "SF",
        kind: Kind::ConnState,
        aliases: &[],
        summary: "Normal establishment and termination.",
        sections: &[
            ("Means", "Handshake, then a FIN from each side. The side that closed first normally ends in TIME-WAIT for 2×MSL, the other in CLOSED. Zeek also says SF when the FINs were seen but a side's state is odd; synack's per-side states tell those apart."),
            ("Check next", "Which side holds TIME-WAIT: a server that closes first (TW002) piles TIME-WAIT up on itself."),
        ],
    },
    Term {
        name: "REJ",
        kind: Kind::ConnState,
        aliases: &[],
        summary: "Connection attempt rejected.",
        sections: &[
            ("Means", "The SYN was answered by a RST: nothing listens on that port (Linux answers a closed port with RST,ACK), or a firewall rejects with a TCP reset (RS001)."),
            ("Check next", "`synack report --state REJ`; the port and whether the service should be there. An ICMP rejection instead of a RST is RS006."),
        ],
    },
    Term {
        name: "S2",
        kind: Kind::ConnState,
        aliases: &[],
        summary: "Established, and a close attempt by the originator seen (but no reply from the responder).",
        sections: &[
            ("Means", "The originator sent its FIN; the responder never sent one. The responder is in CLOSE-WAIT (its application has not closed) or the capture ended first."),
            ("Check next", "HO002 (close-wait-stalled) when the FIN was acknowledged long before the capture ended: the responder's application forgot to close the socket."),
        ],
    },
    Term {
        name: "S3",
        kind: Kind::ConnState,
        aliases: &[],
        summary: "Established, and a close attempt by the responder seen (but no reply from the originator).",
        sections: &[
            ("Means", "The responder sent its FIN; the originator never did: the originator sits in CLOSE-WAIT, or the capture ended first."),
            ("Check next", "HO002 on the originator's side; TW002 will follow when the originator does close."),
        ],
    },
    Term {
        name: "RSTO",
        kind: Kind::ConnState,
        aliases: &[],
        summary: "Established, originator aborted (sent a RST).",
        sections: &[
            ("Means", "The originator reset an established connection: its application aborted (SO_LINGER 0, a crash, a timeout in the client) or it had lost the connection's state (HO001)."),
            ("Check next", "RS002's message and the RST's `state`: a RST after close (kind `after-close`) is usually data arriving at a closed socket."),
        ],
    },
    Term {
        name: "RSTR",
        kind: Kind::ConnState,
        aliases: &[],
        summary: "Established, responder aborted (sent a RST).",
        sections: &[
            ("Means", "The responder reset an established connection: the server closed with unread data, aborted, restarted, or a middlebox reset it."),
            ("Check next", "RS003, and RS004/RS007 for resets outside the window (ignored by the stack) or challenged (RFC 5961)."),
        ],
    },
    Term {
        name: "RSTOS0",
        kind: Kind::ConnState,
        aliases: &[],
        summary: "Originator sent a SYN followed by a RST, never saw a SYN-ACK from the responder.",
        sections: &[
            ("Means", "The originator gave up on its own attempt: a scanner resetting its probes, or a client whose connect() timed out and that reset the half-made connection."),
            ("Check next", "SC001 when one source did it to many ports."),
        ],
    },
    Term {
        name: "RSTRH",
        kind: Kind::ConnState,
        aliases: &[],
        summary: "Responder sent a SYN-ACK followed by a RST, never saw a SYN from the (purported) originator.",
        sections: &[
            ("Means", "The capture missed the SYN (it started mid-handshake, or saw one direction) and the responder then reset: often a server refusing a handshake it could not complete (HS006 with tcp_abort_on_overflow=1)."),
        ],
    },
    Term {
        name: "SH",
        kind: Kind::ConnState,
        aliases: &[],
        summary: "Originator sent a SYN followed by a FIN, never saw a SYN-ACK from the responder (hence the connection was \"half\" open).",
        sections: &[
            ("Means", "Unusual: scanners (FIN probes after a SYN), or a capture that missed the responder's direction."),
        ],
    },
    Term {
        name: "SHR",
        kind: Kind::ConnState,
        aliases: &[],
        summary: "Responder sent a SYN-ACK followed by a FIN, never saw a SYN from the originator.",
        sections: &[
            ("Means", "The capture missed the SYN and saw the responder close: a capture that started mid-handshake or sees one direction."),
        ],
    },
    Term {
        name: "OTH",
        kind: Kind::ConnState,
        aliases: &[],
        summary: "No SYN seen, just midstream traffic (one example of this is a \"partial connection\" that was not later closed).",
        sections: &[
            ("Means", "The connection began before the capture did (CQ001). synack still follows each side from what it sees: states it could not see are marked inferred (`*_state_inferred`)."),
            ("Check next", "Rotated files: read them as one timeline with --merge, and a connection cut across two files is one connection again."),
        ],
    },
    // Zeek's history letters: upper case for the originator, lower case for the responder.
    Term {
        name: "s",
        kind: Kind::HistoryLetter,
        aliases: &[],
        summary: "a SYN without ACK",
        sections: &[("Repeats", "Once per direction, like H A D F R: a letter is written when it first happens in that direction. Retransmitted SYNs add nothing here; synack counts them in `syn_retransmits` (HS001).")],
    },
    Term {
        name: "h",
        kind: Kind::HistoryLetter,
        aliases: &[],
        summary: "a SYN-ACK (SYN with ACK)",
        sections: &[("Note", "A SYN-ACK normally comes from the responder: `h`. An `H` means the side Zeek calls originator sent it: a simultaneous open, or Zeek flipped the connection (see `^`). Retransmitted SYN-ACKs: HS002.")],
    },
    Term {
        name: "a",
        kind: Kind::HistoryLetter,
        aliases: &[],
        summary: "a pure ACK (no payload, no SYN, FIN or RST)",
        sections: &[],
    },
    Term {
        name: "d",
        kind: Kind::HistoryLetter,
        aliases: &[],
        summary: "a packet with payload (data)",
        sections: &[],
    },
    Term {
        name: "f",
        kind: Kind::HistoryLetter,
        aliases: &[],
        summary: "a packet with FIN set",
        sections: &[("Note", "Written again for a FIN at a new sequence number; a retransmitted FIN adds nothing (synack counts it in `*_detail.fin_retransmits`).")],
    },
    Term {
        name: "r",
        kind: Kind::HistoryLetter,
        aliases: &[],
        summary: "a packet with RST set",
        sections: &[("Note", "synack's `rst` object says who sent the first RST, in which state, and what kind it was (refused, abort, after-close, challenged, out-of-window).")],
    },
    Term {
        name: "c",
        kind: Kind::HistoryLetter,
        aliases: &[],
        summary: "a packet with a bad checksum",
        sections: &[("Note", "synack does not verify checksums (captures taken on the sending host show offloaded, unfinished checksums), so it never writes this letter. Counted at 1, 10, 100… like T W G.")],
    },
    Term {
        name: "g",
        kind: Kind::HistoryLetter,
        aliases: &[],
        summary: "a content gap: bytes the peer acknowledged that the capture never saw",
        sections: &[("Repeats", "Written when the count reaches 1, 10, 100, 1000…: `G` once means 1 to 9 gaps. synack's `missed_bytes` is Zeek's figure. Gaps mean the capture dropped packets, not the network.")],
    },
    Term {
        name: "t",
        kind: Kind::HistoryLetter,
        aliases: &[],
        summary: "a retransmitted packet with payload",
        sections: &[("Repeats", "Written at 1, 10, 100… retransmissions in that direction: `T` once means 1 to 9, `TT` 10 to 99. synack's `*_detail.retransmits` gives the exact count; DT001 fires when the same data is sent again and again, unacknowledged.")],
    },
    Term {
        name: "w",
        kind: Kind::HistoryLetter,
        aliases: &[],
        summary: "a zero window advertisement",
        sections: &[("Repeats", "At 1, 10, 100… advertisements. The receiver's application is not reading; DT002 fires when it lasts --zero-window-min (5 s) or more.")],
    },
    Term {
        name: "i",
        kind: Kind::HistoryLetter,
        aliases: &[],
        summary: "an inconsistent packet (SYN and RST both set)",
        sections: &[],
    },
    Term {
        name: "q",
        kind: Kind::HistoryLetter,
        aliases: &[],
        summary: "a multi-flag packet (SYN with FIN, or SYN with RST)",
        sections: &[],
    },
    Term {
        name: "^",
        kind: Kind::HistoryLetter,
        aliases: &[],
        summary: "the connection's direction was flipped: Zeek took the other side for the originator",
        sections: &[("Note", "Zeek flips a connection picked up mid-stream when the first packet seen looks like the responder's (from a well-known port to a high one). synack's `orig` is the sender of the first SYN; its `history` follows Zeek's own originator, as Zeek's conn.log would.")],
    },
    // RFC 9293's states (§3.3.2), with Linux's timers.
    Term {
        name: "CLOSED",
        kind: Kind::State,
        aliases: &["CLOSE"],
        summary: "No connection: the side has none, or it ended (after a RST, LAST-ACK, or TIME-WAIT).",
        sections: &[
            ("Gets there", "From LAST-ACK when its FIN is acknowledged; from TIME-WAIT after 2×MSL; from any state on sending or accepting a RST; a side that answered a SYN with RST never left it."),
            ("In synack", "The normal end of the side that closed second. With the other side in TIME-WAIT, the connection is finished and written."),
        ],
    },
    Term {
        name: "LISTEN",
        kind: Kind::State,
        aliases: &[],
        summary: "Waiting for a connection request: a server socket after listen().",
        sections: &[
            ("In synack", "A capture shows no packet from a listening socket; synack reports the responder's state from what it sent (SYN-RECEIVED once it answers)."),
            ("On Linux", "A listener has two queues: SYN-RECEIVED requests (tcp_max_syn_backlog; SYN cookies beyond, tcp_syncookies) and completed connections waiting for accept() (listen()'s backlog, at most somaxconn). `ss -ltn` shows the accept queue as Recv-Q / Send-Q."),
        ],
    },
    Term {
        name: "SYN-SENT",
        kind: Kind::State,
        aliases: &["SYN_SENT", "SYNSENT"],
        summary: "A SYN was sent; waiting for the SYN-ACK.",
        sections: &[
            ("Gets there", "connect(): the client sends its SYN."),
            ("Leaves", "To ESTABLISHED on a SYN-ACK (it sends the final ACK); to CLOSED on a RST (REJ, RS001) or when it gives up."),
            ("On Linux", "The SYN is retransmitted tcp_syn_retries (6) times, at 1, 3, 7, 15, 31 and 63 s; connect() fails with ETIMEDOUT after 127 s (less with the socket's TCP_SYNCNT or TCP_USER_TIMEOUT)."),
            ("Check next", "HS001 (syn-retransmitted) and HS003 (syn-unanswered); `synack report --state SYN-SENT`."),
        ],
    },
    Term {
        name: "SYN-RECEIVED",
        kind: Kind::State,
        aliases: &["SYN-RECV", "SYN_RECV", "SYN_RCVD", "SYN-RCVD", "NEW_SYN_RECV"],
        summary: "A SYN arrived and was answered with a SYN-ACK; waiting for the final ACK.",
        sections: &[
            ("Gets there", "A listener answers a SYN (the request joins its SYN queue), or a simultaneous open."),
            ("Leaves", "To ESTABLISHED on the final ACK (the connection moves to the accept queue); to CLOSED on a RST or when the server gives up."),
            ("On Linux", "The SYN-ACK is retransmitted tcp_synack_retries (5) times, at 1, 3, 7, 15 and 31 s; the request is dropped after 63 s. The SYN queue holds tcp_max_syn_backlog requests (default: 128 or more with the machine's memory); beyond it, with tcp_syncookies=1 (the default), SYN cookies answer without keeping state. `ss` shows these as SYN-RECV."),
            ("In synack", "A responder left here is `half_open` in the summary (HS004); many at once to one server, from many sources, are a SYN flood (HS005). A final ACK that arrived but was ignored means the accept queue was full (HS006)."),
            ("Check next", "`synack report --state SYN-RECEIVED`; on the server `nstat -az TcpExtListenOverflows TcpExtListenDrops TcpExtTCPReqQFullDrop` and `ss -ltn` for the accept queue (somaxconn, the application's listen backlog)."),
        ],
    },
    Term {
        name: "ESTABLISHED",
        kind: Kind::State,
        aliases: &["ESTAB"],
        summary: "The handshake is done; data flows both ways.",
        sections: &[
            ("Leaves", "To FIN-WAIT-1 when it closes first; to CLOSE-WAIT when the peer's FIN arrives; to CLOSED on a RST."),
            ("On Linux", "No timer while idle, unless SO_KEEPALIVE: probes after tcp_keepalive_time (7200 s), then every tcp_keepalive_intvl (75 s), tcp_keepalive_probes (9) of them. Unacknowledged data is retransmitted until tcp_retries2 (15, about 15 min) runs out."),
            ("Check next", "DT001 (data never acknowledged), DT002 (zero-window stall), HO001 (peer lost state)."),
        ],
    },
    Term {
        name: "FIN-WAIT-1",
        kind: Kind::State,
        aliases: &["FIN_WAIT1", "FIN-WAIT1", "FIN_WAIT_1"],
        summary: "It closed first: its FIN is sent and not yet acknowledged.",
        sections: &[
            ("Leaves", "To FIN-WAIT-2 when its FIN is acknowledged; to CLOSING when the peer's FIN crosses it (simultaneous close); to TIME-WAIT when the peer's FIN acknowledges its own."),
            ("On Linux", "The FIN is retransmitted with the data timers; an orphaned socket (closed by the application) gives up after tcp_orphan_retries (0, meaning 8) retries."),
            ("Check next", "HO003 (fin-unacknowledged) when the capture ends with it here."),
        ],
    },
    Term {
        name: "FIN-WAIT-2",
        kind: Kind::State,
        aliases: &["FIN_WAIT2", "FIN-WAIT2", "FIN_WAIT_2"],
        summary: "Its FIN is acknowledged; waiting for the peer's FIN.",
        sections: &[
            ("Leaves", "To TIME-WAIT when the peer's FIN arrives; to CLOSED on a RST."),
            ("On Linux", "An orphaned socket waits at most tcp_fin_timeout (60 s), then is dropped without TIME-WAIT; one still open by its application waits forever (a half-close, shutdown(SHUT_WR))."),
            ("Check next", "The peer is in CLOSE-WAIT: HO002 on it."),
        ],
    },
    Term {
        name: "CLOSE-WAIT",
        kind: Kind::State,
        aliases: &["CLOSE_WAIT", "CLOSEWAIT"],
        summary: "The peer closed (its FIN arrived); waiting for this side's application to close.",
        sections: &[
            ("Leaves", "To LAST-ACK when the application closes and its FIN goes out; to CLOSED on a RST."),
            ("On Linux", "No timer at all: the socket stays until the application calls close(). Hundreds in `ss -tan state close-wait` are a leak in that application."),
            ("Check next", "HO002 (close-wait-stalled): the FIN was acknowledged and the side did not close for --close-wait-min (5 s) or more."),
        ],
    },
    Term {
        name: "CLOSING",
        kind: Kind::State,
        aliases: &[],
        summary: "Both sides closed at once: its FIN is not yet acknowledged, the peer's has arrived.",
        sections: &[
            ("Leaves", "To TIME-WAIT when its FIN is acknowledged. Rare: a simultaneous close (both FINs cross)."),
            ("Check next", "HO003 when its FIN is never acknowledged."),
        ],
    },
    Term {
        name: "LAST-ACK",
        kind: Kind::State,
        aliases: &["LAST_ACK", "LASTACK"],
        summary: "It closed second: its FIN is sent, waiting for the acknowledgment.",
        sections: &[
            ("Leaves", "To CLOSED when its FIN is acknowledged (or on a RST)."),
            ("On Linux", "The FIN is retransmitted until acknowledged or the retries run out (tcp_orphan_retries for an orphan, tcp_retries2 otherwise)."),
            ("Check next", "HO003 when the capture ends with it here; a peer that answers with RST had already forgotten the connection."),
        ],
    },
    Term {
        name: "TIME-WAIT",
        kind: Kind::State,
        aliases: &["TIME_WAIT", "TIMEWAIT", "TW"],
        summary: "It closed first and the close is done; the socket waits 2×MSL before the 4-tuple may be reused.",
        sections: &[
            ("Why", "So that a delayed segment of this connection cannot be taken for one of a new connection on the same addresses and ports, and so that a lost final ACK can be sent again when the peer retransmits its FIN (RFC 9293 §3.6.1)."),
            ("Gets there", "From FIN-WAIT-2 on the peer's FIN, from CLOSING when its FIN is acknowledged, from FIN-WAIT-1 when the peer's FIN acknowledges its own. The side that closes first ends here: a server that closes its clients' connections holds them (TW002)."),
            ("Leaves", "To CLOSED after 2×MSL. A retransmitted FIN restarts the wait. A new SYN on the 4-tuple may take it over (TW003); Linux also ends it on a RST (tcp_rfc1337=0, the default)."),
            ("On Linux", "60 s (TCP_TIMEWAIT_LEN), fixed: tcp_fin_timeout does not change it. At most tcp_max_tw_buckets at once (beyond, they are destroyed and the kernel logs \"TCP: time wait bucket table overflow\"). tcp_tw_reuse lets outgoing connections reuse a TIME-WAIT 4-tuple when timestamps prove it safe (default 2: loopback only). synack uses --time-wait (60 s) for 2×MSL."),
            ("In synack", "`*_time_wait_until` says when its 2×MSL ends; the summary's time_wait rows count it per host, with the peak (TW001 above --time-wait-max)."),
            ("Check next", CHECK_TW),
        ],
    },
    Term {
        name: "UNKNOWN",
        kind: Kind::State,
        aliases: &[],
        summary: "synack's word, not the RFC's: the side sent nothing and nothing it received implies a state.",
        sections: &[("Usually", "A responder that never answered a SYN, seen from a capture point that shows only the SYNs: whether the SYN even arrived is unknown.")],
    },
    // Linux's settings (sysctl net.ipv4.* and net.core.somaxconn).
    Term {
        name: "tcp_syn_retries",
        kind: Kind::Setting,
        aliases: &["net.ipv4.tcp_syn_retries"],
        summary: "How many times an unanswered SYN is sent again (default 6).",
        sections: &[
            ("Effect", "Retries at 1, 3, 7, 15, 31 and 63 s after the first SYN (the RTO starts at 1 s and doubles); connect() fails after 127 s. A socket's TCP_SYNCNT overrides it."),
            ("In synack", "HS001 counts the retries and shows their intervals (`syn_retransmit_intervals`); HS003 says the SYN was never answered; state SYN-SENT."),
        ],
    },
    Term {
        name: "tcp_synack_retries",
        kind: Kind::Setting,
        aliases: &["net.ipv4.tcp_synack_retries"],
        summary: "How many times a server sends its SYN-ACK again when the final ACK does not come (default 5).",
        sections: &[
            ("Effect", "Retries at 1, 3, 7, 15 and 31 s; the request leaves the SYN queue after 63 s. Lowering it shortens how long a flood's spoofed requests occupy the queue."),
            ("In synack", "HS002 (synack-retransmitted), HS004 (handshake-incomplete), state SYN-RECEIVED, `half_open` in the summary."),
        ],
    },
    Term {
        name: "tcp_max_syn_backlog",
        kind: Kind::Setting,
        aliases: &["net.ipv4.tcp_max_syn_backlog"],
        summary: "How many connection requests (SYN-RECEIVED) a listener keeps (default: 128, more on machines with more memory).",
        sections: &[
            ("Effect", "Beyond it, with tcp_syncookies=1, the server answers with SYN cookies and keeps no state; with tcp_syncookies=0 it drops new SYNs (the clients retransmit: HS001)."),
            ("In synack", "HS004 and HS005 count the half-open requests; `synack explain SYN-RECEIVED`."),
            ("Check next", "`nstat -az TcpExtTCPReqQFullDrop TcpExtTCPReqQFullDoCookies TcpExtSyncookiesSent` on the server."),
        ],
    },
    Term {
        name: "somaxconn",
        kind: Kind::Setting,
        aliases: &["net.core.somaxconn"],
        summary: "The most a listen() backlog may be: the accept queue of completed connections (default 4096 since Linux 5.4, 128 before).",
        sections: &[
            ("Effect", "When the application does not accept() fast enough and the queue is full, Linux drops the client's final ACK (tcp_abort_on_overflow=0, the default) and the server keeps retransmitting its SYN-ACK; with tcp_abort_on_overflow=1 it answers with a RST."),
            ("In synack", "HS006 (accept-queue-overflow): the final ACK was captured, yet the SYN-ACK came again or a RST answered it."),
            ("Check next", "`ss -ltn` (Recv-Q against Send-Q on the listener) and `nstat -az TcpExtListenOverflows TcpExtListenDrops`; the application's own backlog argument, which somaxconn only caps."),
        ],
    },
    Term {
        name: "tcp_syncookies",
        kind: Kind::Setting,
        aliases: &["net.ipv4.tcp_syncookies"],
        summary: "Answer SYNs with cookies when the SYN queue is full (default 1).",
        sections: &[("In synack", "A server under a SYN flood that uses cookies still answers every SYN with a SYN-ACK but never retransmits it: HS005 counts the half-open attempts all the same.")],
    },
    Term {
        name: "tcp_abort_on_overflow",
        kind: Kind::Setting,
        aliases: &["net.ipv4.tcp_abort_on_overflow"],
        summary: "Reset, instead of ignoring, a final ACK that finds the accept queue full (default 0).",
        sections: &[("In synack", "HS006 either way: SYN-ACKs repeated after the captured final ACK (0), or a RST answering it (1).")],
    },
    Term {
        name: "tcp_fin_timeout",
        kind: Kind::Setting,
        aliases: &["net.ipv4.tcp_fin_timeout"],
        summary: "How long an orphaned socket waits in FIN-WAIT-2 for the peer's FIN (default 60 s).",
        sections: &[
            ("Not TIME-WAIT", "Despite advice found online, it does not shorten TIME-WAIT, which is fixed at 60 s on Linux."),
            ("In synack", "A side left in FIN-WAIT-2 at the capture's end; its peer in CLOSE-WAIT (HO002)."),
        ],
    },
    Term {
        name: "tcp_tw_reuse",
        kind: Kind::Setting,
        aliases: &["net.ipv4.tcp_tw_reuse"],
        summary: "Let new outgoing connections reuse a 4-tuple still in TIME-WAIT when TCP timestamps show it is safe (0 off, 1 on, 2 loopback only: the default).",
        sections: &[
            ("Effect", "Clients that open many short connections to one server run out of ephemeral ports while their TIME-WAITs last; reuse lets connect() take such a port at once. It acts on the client; a server's TIME-WAIT is taken over by a new SYN on its own (RFC 6191)."),
            ("In synack", "TW003 (syn-in-time-wait) and `reused_time_wait` show a 4-tuple reused while its previous connection was in TIME-WAIT; TW001 counts TIME-WAIT per host."),
        ],
    },
    Term {
        name: "tcp_max_tw_buckets",
        kind: Kind::Setting,
        aliases: &["net.ipv4.tcp_max_tw_buckets"],
        summary: "How many sockets may be in TIME-WAIT at once (default: half the established hash table).",
        sections: &[("Effect", "Beyond it, closing sockets skip TIME-WAIT and the kernel logs \"TCP: time wait bucket table overflow\". synack's TW001 threshold (--time-wait-max, 1000) is much lower on purpose: it flags the pile-up long before this limit.")],
    },
    Term {
        name: "tcp_orphan_retries",
        kind: Kind::Setting,
        aliases: &["net.ipv4.tcp_orphan_retries"],
        summary: "How many times a closed (orphaned) socket retransmits before giving up (default 0, which means 8).",
        sections: &[("In synack", "FIN-WAIT-1, CLOSING and LAST-ACK sides whose FIN is never acknowledged (HO003).")],
    },
    Term {
        name: "tcp_retries2",
        kind: Kind::Setting,
        aliases: &["net.ipv4.tcp_retries2"],
        summary: "How many times unacknowledged data is retransmitted before the connection is dropped (default 15, about 15 minutes).",
        sections: &[("In synack", "DT001 (data-unacknowledged): the same data sent again and again with growing intervals, never acknowledged.")],
    },
    Term {
        name: "tcp_keepalive_time",
        kind: Kind::Setting,
        aliases: &["net.ipv4.tcp_keepalive_time"],
        summary: "Idle time before the first keep-alive probe on a socket with SO_KEEPALIVE (default 7200 s).",
        sections: &[("In synack", "Keep-alives are counted per side (`*_detail.keepalives`), never as retransmissions or data.")],
    },
    Term {
        name: "tcp_rfc1337",
        kind: Kind::Setting,
        aliases: &["net.ipv4.tcp_rfc1337"],
        summary: "Ignore RSTs that arrive in TIME-WAIT (default 0: a RST ends TIME-WAIT early, the \"TIME-WAIT assassination\" of RFC 1337).",
        sections: &[("In synack", "A side whose TIME-WAIT a RST ended shows `*_time_wait_left` in its record.")],
    },
    Term {
        name: "2MSL",
        kind: Kind::Setting,
        aliases: &["2×MSL", "2XMSL", "MSL", "TCP_TIMEWAIT_LEN"],
        summary: "Twice the Maximum Segment Lifetime: how long TIME-WAIT lasts.",
        sections: &[
            ("Values", "RFC 9293 suggests an MSL of 2 minutes (TIME-WAIT of 4 minutes); Linux uses 60 s in all (TCP_TIMEWAIT_LEN, a compile-time constant), as does synack by default: `--time-wait 60s`, or `time_wait` in synack.toml."),
            ("Check next", CHECK_TW),
        ],
    },
];

/// What a word is: a rule, or one of [`TERMS`].
pub enum Found {
    Rule(&'static crate::findings::Rule),
    Term(&'static Term),
}

fn norm(s: &str) -> String {
    s.trim().to_ascii_uppercase().replace(['_', ' '], "-")
}

/// Looks a word up: a single character is a history letter (its case says whose), anything
/// else a rule code or name, a conn_state, a state (any common spelling) or a setting.
pub fn lookup(word: &str) -> Option<Found> {
    let w = word.trim();
    let mut chars = w.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        let lower = c.to_ascii_lowercase().to_string();
        return TERMS
            .iter()
            .find(|t| t.kind == Kind::HistoryLetter && t.name == lower)
            .map(Found::Term);
    }
    if let Some(r) = crate::findings::rule(w) {
        return Some(Found::Rule(r));
    }
    let want = norm(w.strip_prefix("net.ipv4.").unwrap_or(w));
    TERMS
        .iter()
        .filter(|t| t.kind != Kind::HistoryLetter)
        .find(|t| {
            norm(t.name) == want
                || t.aliases
                    .iter()
                    .any(|a| norm(a.strip_prefix("net.ipv4.").unwrap_or(a)) == want)
        })
        .map(Found::Term)
}

/// Terms whose name contains `word` (for "did you mean").
pub fn near(word: &str) -> Vec<&'static str> {
    let want = norm(word);
    if want.len() < 2 {
        return Vec::new();
    }
    TERMS
        .iter()
        .filter(|t| t.kind != Kind::HistoryLetter)
        .filter(|t| {
            let n = norm(t.name);
            n.contains(&want) || want.contains(&n)
        })
        .map(|t| t.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(w: &str) -> &'static str {
        match lookup(w) {
            Some(Found::Term(t)) => t.name,
            Some(Found::Rule(r)) => r.code,
            None => "-",
        }
    }

    #[test]
    fn every_spelling_finds_its_term() {
        assert_eq!(name("S0"), "S0");
        assert_eq!(name("rstos0"), "RSTOS0");
        assert_eq!(name("h"), "h");
        assert_eq!(name("H"), "h");
        assert_eq!(name("T"), "t");
        assert_eq!(name("TIME-WAIT"), "TIME-WAIT");
        assert_eq!(name("time_wait"), "TIME-WAIT");
        assert_eq!(name("syn_recv"), "SYN-RECEIVED");
        assert_eq!(name("SYN-RECV"), "SYN-RECEIVED");
        assert_eq!(name("estab"), "ESTABLISHED");
        assert_eq!(name("fin_wait2"), "FIN-WAIT-2");
        assert_eq!(name("net.ipv4.tcp_fin_timeout"), "tcp_fin_timeout");
        assert_eq!(name("net.core.somaxconn"), "somaxconn");
        assert_eq!(name("2×MSL"), "2MSL");
        assert_eq!(name("HS001"), "HS001");
        assert_eq!(name("syn-retransmitted"), "HS001");
        assert_eq!(name("nonsense"), "-");
        assert_eq!(name("x"), "-");
    }

    #[test]
    fn every_conn_state_and_state_has_a_term() {
        for cs in crate::zeek::ConnState::ALL {
            assert_eq!(name(cs.name()), cs.name());
        }
        for st in crate::tcp::State::ALL {
            assert_eq!(name(st.name()), st.name());
        }
        // No two terms share a spelling.
        let mut seen = std::collections::HashMap::new();
        for t in TERMS {
            let key = if t.kind == Kind::HistoryLetter {
                t.name.to_string()
            } else {
                norm(t.name)
            };
            for k in std::iter::once(key).chain(t.aliases.iter().map(|a| norm(a))) {
                let other = seen.insert(k.clone(), t.name);
                assert!(
                    other.is_none_or(|o| o == t.name),
                    "{k}: {} and {other:?}",
                    t.name
                );
            }
        }
    }
}
