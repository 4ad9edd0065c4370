//! What only many connections together show: a SYN flood (HS005) and a port scan (SC001).
//! Each connection that opened with a SYN and did not get through its handshake leaves one
//! [`SynAttempt`]; once the capture has been read, the attempts are grouped by server and port,
//! by server, and by source and server, and judged over sliding windows of capture time.

use super::{hit, rules, secs, Hit, Thresholds};
use crate::tcp::{Connection, Dir, RstKind, State};
use crate::time::Timestamp;
use std::collections::HashMap;
use std::net::IpAddr;

rules! {
    /// What it means: one source sent SYNs to at least `scan_min_ports` (20) ports of one host
    /// within `syn_flood_window` (10 s), and those attempts failed: refused with a RST,
    /// rejected by ICMP, unanswered, or reset by the source itself right after the SYN-ACK (a
    /// SYN scan such as `nmap -sS` never completes a handshake).
    ///
    /// Why it matters: somebody is mapping which ports of the host are open. From outside it
    /// is reconnaissance; from inside it may be a monitoring or inventory tool, or a
    /// compromised host. It is not a SYN flood (HS005): one source, many ports, few attempts
    /// per port.
    ///
    /// What to do: identify the source; if the scan is not yours, block it upstream and check
    /// what the open ports (the SYN-ACKs) expose.
    ///
    /// RFC reference: RFC 9293 §3.10.7.1 (closed ports answer with RST), RFC 4987 §2 (SYN
    /// scans and floods).
    SC001 = "SC001", "port-scan", Warning,
    summary: "one source sent SYNs to at least scan_min_ports (20) ports of one host within syn_flood_window, most of them refused, unanswered, or reset by the source after the SYN-ACK",
    help: "identify the source; block it upstream if the scan is not yours, and check what the open ports expose";
}

/// How an attempt that did not get through ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The responder sent a SYN-ACK and was left in SYN-RECEIVED.
    HalfOpen,
    /// Nothing came back.
    Unanswered,
    /// A RST (or an ICMP error) answered the SYN.
    Refused,
    /// The source reset right after the SYN-ACK, having never acknowledged it.
    ResetBySource,
}

/// One connection attempt that did not get through its handshake.
#[derive(Clone, Copy, Debug)]
pub struct SynAttempt {
    pub source: IpAddr,
    pub server: IpAddr,
    pub port: u16,
    pub first_syn: Timestamp,
    pub failure: Failure,
}

impl SynAttempt {
    /// The attempt of `c`, if it opened with a SYN and failed.
    pub fn of(c: &Connection) -> Option<SynAttempt> {
        let (o, r) = (c.side(Dir::Orig), c.side(Dir::Resp));
        let first_syn = o.syn.first_ts?;
        let refused = c.refusals > 0 || (c.icmp.is_some() && !c.was_established());
        let reset_by_source = c.accepted_rst.is_some_and(|x| {
            x.by == Dir::Orig && x.state == State::Closed && x.kind == RstKind::Abort
        });
        let failure = if refused {
            Failure::Refused
        } else if reset_by_source {
            Failure::ResetBySource
        } else if r.state == State::SynReceived {
            Failure::HalfOpen
        } else if r.packets == 0 {
            Failure::Unanswered
        } else {
            return None;
        };
        Some(SynAttempt {
            source: c.orig.addr,
            server: c.resp.addr,
            port: c.resp.port,
            first_syn,
            failure,
        })
    }

    /// Counts toward a SYN flood: the server holds it half-open, or it was never answered.
    fn floods(&self) -> bool {
        matches!(self.failure, Failure::HalfOpen | Failure::Unanswered)
    }
}

/// Every failed attempt of a capture, in the order the connections ended.
#[derive(Debug, Default)]
pub struct Attempts(Vec<SynAttempt>);

impl Attempts {
    pub fn add(&mut self, a: SynAttempt) {
        self.0.push(a);
    }
}

/// The window of `items` (sorted by time) holding the most of them: its start, its size, and
/// what `key` gives for them, at most `window` long.
fn best_window<T: Copy, K: Eq + std::hash::Hash>(
    items: &[(Timestamp, T)],
    window: std::time::Duration,
    key: impl Fn(&T) -> K,
    enough: impl Fn(usize, usize) -> bool,
) -> Option<(Timestamp, usize, usize)> {
    let mut distinct: HashMap<K, usize> = HashMap::new();
    let mut best: Option<(Timestamp, usize, usize)> = None;
    let mut lo = 0;
    for (hi, (t, v)) in items.iter().enumerate() {
        *distinct.entry(key(v)).or_default() += 1;
        while t.since(items[lo].0) > window {
            let k = key(&items[lo].1);
            if let Some(n) = distinct.get_mut(&k) {
                *n -= 1;
                if *n == 0 {
                    distinct.remove(&k);
                }
            }
            lo += 1;
        }
        let (n, d) = (hi + 1 - lo, distinct.len());
        if enough(n, d) && best.is_none_or(|(_, bn, bd)| (n, d) > (bn, bd)) {
            best = Some((items[lo].0, n, d));
        }
    }
    best
}

/// When a source tried a port, and how it failed.
type PortTry = (Timestamp, (u16, Failure));

/// HS005 and SC001 over the whole capture: (hit, host it concerns, source when one).
pub(super) fn check_capture(a: Attempts, t: &Thresholds) -> Vec<(Hit, IpAddr, Option<IpAddr>)> {
    let mut out = Vec::new();
    // HS005: per server port, then per server from many sources.
    let mut by_port: HashMap<(IpAddr, u16), Vec<(Timestamp, IpAddr)>> = HashMap::new();
    let mut by_host: HashMap<IpAddr, Vec<(Timestamp, IpAddr)>> = HashMap::new();
    // SC001: per source and server, the ports.
    let mut by_pair: HashMap<(IpAddr, IpAddr), Vec<PortTry>> = HashMap::new();
    for x in &a.0 {
        if x.floods() {
            by_port
                .entry((x.server, x.port))
                .or_default()
                .push((x.first_syn, x.source));
            by_host
                .entry(x.server)
                .or_default()
                .push((x.first_syn, x.source));
        }
        by_pair
            .entry((x.source, x.server))
            .or_default()
            .push((x.first_syn, (x.port, x.failure)));
    }
    let min = usize::try_from(t.syn_flood_min).unwrap_or(usize::MAX);
    let sources = usize::try_from(t.syn_flood_sources).unwrap_or(usize::MAX);
    let mut flooded: Vec<IpAddr> = Vec::new();
    let mut ports: Vec<_> = by_port.into_iter().collect();
    ports.sort_by_key(|(k, _)| *k);
    for ((server, port), mut v) in ports {
        v.sort_unstable();
        let Some((start, n, srcs)) = best_window(&v, t.syn_flood_window, |s| *s, |n, _| n >= min)
        else {
            continue;
        };
        flooded.push(server);
        out.push((
            super::handshake::flood_hit(&format!("{server}:{port}"), start, n, srcs, v.len(), t),
            server,
            None,
        ));
    }
    let mut hosts: Vec<_> = by_host.into_iter().collect();
    hosts.sort_by_key(|(k, _)| *k);
    for (server, mut v) in hosts {
        if flooded.contains(&server) {
            continue;
        }
        v.sort_unstable();
        let Some((start, n, srcs)) = best_window(
            &v,
            t.syn_flood_window,
            |s| *s,
            |n, d| n >= min && d >= sources,
        ) else {
            continue;
        };
        out.push((
            super::handshake::flood_hit(&server.to_string(), start, n, srcs, v.len(), t),
            server,
            None,
        ));
    }
    let min_ports = usize::try_from(t.scan_min_ports).unwrap_or(usize::MAX);
    let mut pairs: Vec<_> = by_pair.into_iter().collect();
    pairs.sort_by_key(|(k, _)| *k);
    for ((source, server), mut v) in pairs {
        v.sort_unstable_by_key(|(ts, (port, _))| (*ts, *port));
        let Some((start, n, ports)) =
            best_window(&v, t.syn_flood_window, |(p, _)| *p, |_, d| d >= min_ports)
        else {
            continue;
        };
        let count = |f: Failure| v.iter().filter(|(_, (_, x))| *x == f).count();
        out.push((
            hit(
                &SC001,
                None,
                Some(start),
                format!(
                    "{source} sent SYNs to {ports} ports of {server} within {} ({n} attempts from {start}); in the capture {} refused, {} unanswered, {} reset by {source} after the SYN-ACK, {} left half-open",
                    secs(t.syn_flood_window),
                    count(Failure::Refused),
                    count(Failure::Unanswered),
                    count(Failure::ResetBySource),
                    count(Failure::HalfOpen),
                ),
            ),
            server,
            Some(source),
        ));
    }
    out
}
