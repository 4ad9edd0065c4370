//! Half-open and half-closed connections: a peer that lost its state, a side that never
//! closes, a FIN nobody acknowledges.

use super::{hit, rules, secs, Hit, Thresholds};
use crate::tcp::{Connection, Dir, State};

rules! {
    /// What it means: one side sent data and the peer answered with a RST from an endpoint that
    /// has no state for the connection (no ACK bit, sequence number taken from the data's ACK),
    /// with no FIN seen before: the peer had silently lost the connection.
    ///
    /// Why it matters: this is RFC 9293's half-open connection: the peer crashed or rebooted,
    /// its process was killed without a RST getting out, or a NAT or load balancer in between
    /// dropped the mapping. The side that still holds the connection learns it only when it
    /// sends, and loses what it sent.
    ///
    /// What to do: find out why the peer lost the connection (a restart, an idle timeout of a
    /// NAT or firewall, a load balancer failover); enable TCP keep-alives shorter than the
    /// middlebox's idle timeout on long-lived idle connections.
    ///
    /// RFC reference: RFC 9293 §3.5.1 (half-open connections and other anomalies) and §3.10.7.1.
    HO001 = "HO001", "peer-lost-state", Warning,
    summary: "RFC 9293 §3.5.1 half-open: data to a peer answered by a RST, no close seen before",
    help: "find why the peer lost the connection (restart, NAT or firewall idle timeout, failover); use keep-alives shorter than the middlebox timeout";

    /// What it means: one side's FIN was acknowledged, but the other side did not close: it sat
    /// in CLOSE-WAIT for at least `close_wait_min` (5 s), until the capture ended or until a RST
    /// ended the connection (often the stalled application finally aborting, or the peer giving
    /// up). The message says which side stalled.
    ///
    /// Why it matters: CLOSE-WAIT is the application's turn: the kernel told it the peer closed
    /// (read() returned 0) and waits for it to call close(). A socket stuck there is almost
    /// always a leak in the application; they pile up until it runs out of file descriptors.
    /// Keep-alives keep such a connection alive but cannot close it.
    ///
    /// What to do: find the process holding the socket (`ss -tanp state close-wait`) and the code
    /// path that reads EOF without closing.
    ///
    /// RFC reference: RFC 9293 §3.6 (closing: CLOSE-WAIT waits for the local user's CLOSE) and
    /// §3.3.2 (state diagram).
    HO002 = "HO002", "close-wait-stalled", Warning,
    summary: "one side's FIN was acknowledged but the peer did not close for at least close_wait_min (5 s), until capture end or until a RST ended it",
    help: "find the process holding the socket (ss -tanp state close-wait) and make it close() after reading EOF";

    /// What it means: a FIN was never acknowledged by the end of the capture, and its sender is
    /// still waiting for that ACK (FIN-WAIT-1, CLOSING or LAST-ACK). A FIN that was re-sent and
    /// then acknowledged is not this finding: it is counted (`fin_retransmits`), nothing more.
    ///
    /// Why it matters: the closing side stays in FIN-WAIT-1 (or LAST-ACK) and retries with backoff
    /// (Linux: net.ipv4.tcp_orphan_retries); its peer never learns of the close, or its ACK never
    /// comes back. Lost FINs and ACKs point at the path; a peer that never acknowledges may be
    /// gone.
    ///
    /// What to do: capture near the peer to see whether the FIN arrived; check firewalls that
    /// drop FINs of connections they consider closed, and whether the peer is still alive.
    ///
    /// RFC reference: RFC 9293 §3.6 (closing), §3.8.1 (retransmission of FIN, which occupies a
    /// sequence number).
    HO003 = "HO003", "fin-unacknowledged", Warning,
    summary: "a FIN was never acknowledged by capture end: its sender left in FIN-WAIT-1, CLOSING or LAST-ACK (FINs re-sent and then acknowledged are counted, not flagged)",
    help: "capture near the peer to see whether the FIN arrived; check firewalls on the path and whether the peer is alive";
}

pub(super) fn check(c: &Connection, t: &Thresholds, out: &mut Vec<Hit>) {
    if c.lost_state_rst {
        if let Some(r) = c.accepted_rst {
            out.push(hit(
                &HO001,
                Some(r.frame),
                Some(r.ts),
                format!(
                    "{} answered {}'s data with a RST from CLOSED: it had lost the connection",
                    c.endpoint(r.by),
                    c.endpoint(r.by.other())
                ),
            ));
        }
    }
    let end = c.ended_at.unwrap_or(c.last_ts);
    for d in [Dir::Orig, Dir::Resp] {
        let s = c.side(d);
        let peer = c.side(d.other());
        // The peer's FIN acknowledged (so this side is known to have received it), then this
        // side did not close: to the capture's end, or until a RST ended the connection.
        let ended_by_rst = c
            .accepted_rst
            .filter(|_| s.state == State::Closed && s.fin_ts.is_none());
        if let (Some(since), true) = (s.close_wait_since, peer.fin_acked) {
            let until = match ended_by_rst {
                Some(r) => Some((r.ts, Some(r))),
                None => (s.state == State::CloseWait).then_some((end, None)),
            };
            if let Some((until, rst)) = until {
                let stalled = until.since(since);
                if stalled >= t.close_wait_min {
                    let how = match rst {
                        Some(r) => format!(
                            ", until {}'s RST ended it (frame {})",
                            c.endpoint(r.by),
                            r.frame
                        ),
                        None => ": left in CLOSE-WAIT".to_string(),
                    };
                    out.push(hit(
                        &HO002,
                        peer.fin_frame,
                        peer.fin_ts,
                        format!(
                            "{} stalled: it did not close for {} after {}'s FIN was acknowledged{how}",
                            c.endpoint(d),
                            secs(stalled),
                            c.endpoint(d.other())
                        ),
                    ));
                }
            }
        }
        let Some(fin_ts) = s.fin_ts else { continue };
        // Moot once the peer reset the connection.
        let peer_reset = c.accepted_rst.is_some_and(|r| r.by == d.other());
        let unacked_for = end.since(fin_ts);
        // Only a FIN never acknowledged by capture end, its sender left waiting (FIN-WAIT-1,
        // CLOSING, LAST-ACK); FINs re-sent and then acknowledged are counted, not flagged.
        // Unacknowledged is only known when the peer's segments are in the capture at all.
        let waiting = matches!(s.state, State::FinWait1 | State::Closing | State::LastAck);
        let never_acked = !s.fin_acked
            && waiting
            && !peer_reset
            && peer.packets > 0
            && unacked_for >= t.syn_timeout;
        if never_acked {
            let what = match s.fin_retransmits {
                0 => format!("never acknowledged in {}", secs(unacked_for)),
                n => format!("sent {} times and never acknowledged", n + 1),
            };
            out.push(hit(
                &HO003,
                s.fin_frame,
                s.fin_ts,
                format!(
                    "FIN from {} to {} {what}",
                    c.endpoint(d),
                    c.endpoint(d.other())
                ),
            ));
        }
    }
}
