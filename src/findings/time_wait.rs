//! TIME-WAIT rules: hosts holding too many, servers that close first, SYNs that land in it.

use super::{hit, rules, Hit, Thresholds};
use crate::analyze::CaptureResult;
use crate::tcp::{Connection, Dir, State};
use std::net::IpAddr;

rules! {
    /// What it means: one host held more than `time_wait_max` (1000) connections in TIME-WAIT at
    /// the same time (2×MSL after each of its active closes, by capture time).
    ///
    /// Why it matters: every TIME-WAIT entry pins a 4-tuple for 60 s on Linux. A host that opens
    /// many short connections to one server runs out of ephemeral ports (about 28 000 by
    /// default: connect() fails with EADDRNOTAVAIL), and a server that closes first keeps
    /// thousands of entries (Linux caps them at net.ipv4.tcp_max_tw_buckets and then logs "TCP:
    /// time wait bucket table overflow").
    ///
    /// What to do: reuse connections (HTTP keep-alive, connection pools) instead of opening one per
    /// request; let the client close first (see TW002); on clients, net.ipv4.tcp_tw_reuse = 1
    /// lets new outgoing connections reuse TIME-WAIT 4-tuples safely with timestamps. Do not use
    /// SO_LINGER 0 to avoid TIME-WAIT.
    ///
    /// RFC reference: RFC 9293 §3.6.1 (the TIME-WAIT state), RFC 1337 (TIME-WAIT hazards), RFC
    /// 6191 (reducing TIME-WAIT with timestamps).
    TW001 = "TW001", "time-wait-excess", Error,
    summary: "one host holds more than time_wait_max (1000) connections in TIME-WAIT at once",
    help: "reuse connections (keep-alive, pools) instead of one per request, and let clients close first";

    /// What it means: the responder sent the first FIN: the server closed first, so the server
    /// holds the TIME-WAIT (2×MSL, 60 s on Linux) instead of the client.
    ///
    /// Why it matters: harmless for one connection, but a server closing thousands of short
    /// connections a second piles up TIME-WAIT entries (TW001), each holding memory and a 4-tuple
    /// a returning client cannot reuse for a minute. HTTP/1.0 servers and "Connection: close"
    /// responses close first.
    ///
    /// What to do: let clients close (HTTP keep-alive, or have the protocol's client send the
    /// last message and close); if the server must close, check its TIME-WAIT count (`ss -tan
    /// state time-wait | wc -l`).
    ///
    /// RFC reference: RFC 9293 §3.6 (the side that closes first goes through TIME-WAIT), RFC 1337.
    TW002 = "TW002", "server-active-close", Info,
    summary: "the responder closed first, so the server holds the TIME-WAIT",
    help: "let the client close first (keep-alive, or the client sends the last message) when the server handles many short connections";

    /// What it means: a new SYN reused a 4-tuple while the previous connection on it was still in
    /// TIME-WAIT on one side.
    ///
    /// Why it matters: RFC 9293 lets a host in TIME-WAIT accept a new SYN only if its sequence
    /// number (or timestamp) is beyond the old connection's; otherwise the SYN is ignored or
    /// answered with an ACK, and the client retries or fails. It shows a client cycling through
    /// ports fast enough to wrap around, or using a fixed source port.
    ///
    /// What to do: let the OS choose source ports from a wide range, keep TCP timestamps on
    /// (RFC 6191 relies on them), and reuse connections instead of reopening them.
    ///
    /// RFC reference: RFC 9293 §3.6.1 and §3.10.7.4 (TIME-WAIT), RFC 6191.
    TW003 = "TW003", "syn-in-time-wait", Warning,
    summary: "a new SYN reuses a 4-tuple while the previous connection is still in TIME-WAIT",
    help: "let the OS pick source ports from a wide range, keep TCP timestamps on, and reuse connections";
}

pub(super) fn check(c: &Connection, out: &mut Vec<Hit>) {
    let (o, r) = (c.side(Dir::Orig), c.side(Dir::Resp));
    // The responder's FIN came first and the responder went through TIME-WAIT.
    let resp_first = match (r.fin_ts, o.fin_ts) {
        (Some(rf), Some(of)) => rf < of || (rf == of && r.fin_frame < o.fin_frame),
        (Some(_), None) => true,
        _ => false,
    };
    if resp_first && (r.time_wait_since.is_some() || r.state == State::TimeWait) {
        out.push(hit(
            &TW002,
            r.fin_frame,
            r.fin_ts,
            format!(
                "{} closed first and holds the TIME-WAIT, not {}",
                c.resp, c.orig
            ),
        ));
    }
    if c.reused_time_wait {
        out.push(hit(
            &TW003,
            Some(c.first_frame),
            Some(c.first_ts),
            format!(
                "SYN from {} to {} reused the 4-tuple while the previous connection was in TIME-WAIT",
                c.orig, c.resp
            ),
        ));
    }
}

pub(super) fn check_capture(r: &CaptureResult, t: &Thresholds) -> Vec<(Hit, IpAddr)> {
    r.time_wait
        .iter()
        .filter(|(_, h)| h.peak > t.time_wait_max)
        .map(|(host, h)| {
            let when = h.peak_ts.map(|x| x.to_string()).unwrap_or_default();
            (
                hit(
                    &TW001,
                    None,
                    h.peak_ts,
                    format!(
                        "{host} held {} connections in TIME-WAIT at once (more than {}) at {when}; {} at the end",
                        h.peak, t.time_wait_max, h.current
                    ),
                ),
                *host,
            )
        })
        .collect()
}
