//! Data-transfer rules: data sent again and again that is never acknowledged, and a receiver
//! whose zero window holds the sender off.

use super::{hit, rules, secs, Hit, Thresholds};
use crate::tcp::{Connection, Dir};

rules! {
    /// What it means: one side sent the same data again and again (at least `rto_min_retries`,
    /// 4, retransmissions, each gap as long as the last or longer: its retransmission timer
    /// backing off) and the capture never shows it acknowledged.
    ///
    /// Why it matters: the peer is gone (crashed, unplugged, its address reassigned), or the
    /// path drops everything one way (a firewall whose state expired, an MTU black hole for
    /// full-size segments). The sender keeps trying for minutes (Linux: tcp_retries2 = 15,
    /// about 15 minutes) before the application sees ETIMEDOUT.
    ///
    /// What to do: check that the peer is alive and reachable (ping, ARP), and the path: a
    /// stateful firewall or NAT that forgot the connection, or a PMTU black hole when only large
    /// segments go unanswered (try a smaller MSS).
    ///
    /// RFC reference: RFC 6298 §5 (retransmission timer and its back-off), RFC 9293 §3.8.3
    /// (user timeout), RFC 1122 §4.2.3.5 (excessive retransmissions).
    DT001 = "DT001", "data-unacknowledged", Warning,
    summary: "a side re-sent the same data at least rto_min_retries (4) times with growing intervals and never got it acknowledged (the peer or the path is gone)",
    help: "check that the peer is alive and reachable, and the path: a firewall or NAT that forgot the connection, a PMTU black hole";

    /// What it means: a receiver advertised a zero window, so its peer could send nothing, for
    /// at least `zero_window_min` (5 s).
    ///
    /// Why it matters: the receiving application is not reading: it is stuck, overloaded, or
    /// waiting on something else. The sender sits in persist mode, sending zero-window probes;
    /// requests and responses stall though the network is fine.
    ///
    /// What to do: look at the receiving process (CPU, blocked threads, a slow consumer of its
    /// socket); `ss -tnm` on that host shows a full receive queue (Recv-Q).
    ///
    /// RFC reference: RFC 9293 §3.8.6.1 (zero-window probing), RFC 1122 §4.2.2.17.
    DT002 = "DT002", "zero-window-stall", Warning,
    summary: "a receiver advertised a zero window for at least zero_window_min (5 s)",
    help: "look at the receiving application (blocked, overloaded, not reading); ss -tnm shows its full receive queue";
}

pub(super) fn check(c: &Connection, t: &Thresholds, out: &mut Vec<Hit>) {
    let Some(trouble) = c.data_trouble.as_deref() else {
        return;
    };
    let end = c.ended_at.unwrap_or(c.last_ts).max(c.last_ts);
    for d in [Dir::Orig, Dir::Resp] {
        let peer = c.side(d.other());
        if let Some(r) = trouble.rtx[d.idx()] {
            let acked = peer.last_ack.is_some_and(|a| !a.before(r.end));
            if r.count >= t.rto_min_retries && r.growing && !acked {
                out.push(hit(
                    &DT001,
                    Some(r.first_frame),
                    Some(r.first_ts),
                    format!(
                        "{} re-sent the same {} bytes to {} {} times over {}, each wait longer than the last, never acknowledged",
                        c.endpoint(d),
                        r.end.diff(r.seq),
                        c.endpoint(d.other()),
                        r.count,
                        secs(r.last_ts.since(r.first_ts))
                    ),
                ));
            }
        }
        let z = trouble.zero_window[d.idx()];
        // Still zero at the end: the stall lasts until then.
        let (held, from, until_end) = match z.since {
            Some(from) if end.since(from.1) > z.longest => (end.since(from.1), Some(from), true),
            _ => (z.longest, z.longest_from, false),
        };
        if let (Some((frame, ts)), true) = (from, held >= t.zero_window_min) {
            out.push(hit(
                &DT002,
                Some(frame),
                Some(ts),
                format!(
                    "{} advertised a zero window to {} for {}{}",
                    c.endpoint(d),
                    c.endpoint(d.other()),
                    secs(held),
                    if until_end { ", until the end" } else { "" }
                ),
            ));
        }
    }
}
