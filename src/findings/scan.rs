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
}

/// Every failed attempt of a capture, kept small: a SYN flood fails a million of them. An
/// attempt takes 32 bytes (its server as an index into the few servers seen); judging them
/// sorts the one list three ways and counts distinct sources in a dense array, with no map per
/// source or per pair (a spoofed flood has as many of those as attempts).
#[derive(Debug, Default)]
pub struct Attempts {
    list: Vec<Packed>,
    servers: Vec<IpAddr>,
    server_ids: HashMap<IpAddr, u32>,
}

#[derive(Clone, Copy, Debug)]
struct Packed {
    first_syn: Timestamp,
    source: IpAddr,
    server: u32,
    port: u16,
    failure: Failure,
}

impl Attempts {
    pub fn add(&mut self, a: SynAttempt) {
        let next = self.servers.len() as u32;
        let server = *self.server_ids.entry(a.server).or_insert(next);
        if server == next {
            self.servers.push(a.server);
        }
        self.list.push(Packed {
            first_syn: a.first_syn,
            source: a.source,
            server,
            port: a.port,
            failure: a.failure,
        });
    }
}

/// Counts of distinct keys (dense indexes below the universe's size) in a sliding window; kept
/// between runs of items and emptied by them.
struct Distinct {
    count: Vec<u32>,
    distinct: usize,
}

impl Distinct {
    fn new(universe: usize) -> Self {
        Distinct {
            count: vec![0; universe],
            distinct: 0,
        }
    }

    fn add(&mut self, k: usize) {
        self.count[k] += 1;
        if self.count[k] == 1 {
            self.distinct += 1;
        }
    }

    fn remove(&mut self, k: usize) {
        self.count[k] -= 1;
        if self.count[k] == 0 {
            self.distinct -= 1;
        }
    }
}

/// The window of `items` (sorted by time) holding the most of them: its start, its size, and
/// how many distinct keys `key` gives for them, at most `window` long. `d` is left empty.
fn best_window<T>(
    items: &[T],
    ts: impl Fn(&T) -> Timestamp,
    window: std::time::Duration,
    key: impl Fn(&T) -> usize,
    d: &mut Distinct,
    enough: impl Fn(usize, usize) -> bool,
) -> Option<(Timestamp, usize, usize)> {
    let mut best: Option<(Timestamp, usize, usize)> = None;
    let mut lo = 0;
    for (hi, item) in items.iter().enumerate() {
        d.add(key(item));
        let t = ts(item);
        while t.since(ts(&items[lo])) > window {
            d.remove(key(&items[lo]));
            lo += 1;
        }
        let (n, k) = (hi + 1 - lo, d.distinct);
        if enough(n, k) && best.is_none_or(|(_, bn, bk)| (n, k) > (bn, bk)) {
            best = Some((ts(&items[lo]), n, k));
        }
    }
    for item in &items[lo..] {
        d.remove(key(item));
    }
    best
}

/// The runs of `items` on which `same` holds between neighbours.
fn runs<T>(items: &[T], same: impl Fn(&T, &T) -> bool) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        let first = rest.first()?;
        let n = rest.iter().take_while(|x| same(first, x)).count();
        let (run, tail) = rest.split_at(n);
        rest = tail;
        Some(run)
    })
}

/// HS005 and SC001 over the whole capture: (hit, host it concerns, source when one).
pub(super) fn check_capture(a: Attempts, t: &Thresholds) -> Vec<(Hit, IpAddr, Option<IpAddr>)> {
    let mut out = Vec::new();
    let Attempts {
        mut list, servers, ..
    } = a;
    // Each source as a dense index, for counting distinct sources.
    let mut sources: Vec<IpAddr> = list.iter().map(|x| x.source).collect();
    sources.sort_unstable();
    sources.dedup();
    let source_id = |x: &Packed| sources.binary_search(&x.source).unwrap_or(0);
    let mut distinct = Distinct::new(sources.len());
    let min = usize::try_from(t.syn_flood_min).unwrap_or(usize::MAX);
    let min_sources = usize::try_from(t.syn_flood_sources).unwrap_or(usize::MAX);
    let server = |x: &Packed| servers[x.server as usize];
    // HS005: per server port, then per server from many sources; only the attempts that
    // flood, by time and source.
    let mut flooding: Vec<Packed> = list.iter().filter(|x| x.floods()).copied().collect();
    flooding.sort_unstable_by_key(|x| (server(x), x.port, x.first_syn, x.source));
    let mut flooded: Vec<IpAddr> = Vec::new();
    for v in runs(&flooding, |a, b| (a.server, a.port) == (b.server, b.port)) {
        let Some((start, n, srcs)) = best_window(
            v,
            |x| x.first_syn,
            t.syn_flood_window,
            source_id,
            &mut distinct,
            |n, _| n >= min,
        ) else {
            continue;
        };
        let host = server(&v[0]);
        flooded.push(host);
        out.push((
            super::handshake::flood_hit(
                &format!("{host}:{}", v[0].port),
                start,
                n,
                srcs,
                v.len(),
                t,
            ),
            host,
            None,
        ));
    }
    flooding.sort_unstable_by_key(|x| (server(x), x.first_syn, x.source));
    for v in runs(&flooding, |a, b| a.server == b.server) {
        let host = server(&v[0]);
        if flooded.contains(&host) {
            continue;
        }
        let Some((start, n, srcs)) = best_window(
            v,
            |x| x.first_syn,
            t.syn_flood_window,
            source_id,
            &mut distinct,
            |n, d| n >= min && d >= min_sources,
        ) else {
            continue;
        };
        out.push((
            super::handshake::flood_hit(&host.to_string(), start, n, srcs, v.len(), t),
            host,
            None,
        ));
    }
    drop(flooding);
    // SC001: per source and server, the ports.
    let min_ports = usize::try_from(t.scan_min_ports).unwrap_or(usize::MAX);
    let mut ports = Distinct::new(usize::from(u16::MAX) + 1);
    list.sort_unstable_by_key(|x| (x.source, server(x), x.first_syn, x.port));
    for v in runs(&list, |a, b| (a.source, a.server) == (b.source, b.server)) {
        // Fewer attempts than ports needed: no window can hold enough.
        if v.len() < min_ports {
            continue;
        }
        let Some((start, n, port_count)) = best_window(
            v,
            |x| x.first_syn,
            t.syn_flood_window,
            |x| usize::from(x.port),
            &mut ports,
            |_, d| d >= min_ports,
        ) else {
            continue;
        };
        let (source, host) = (v[0].source, server(&v[0]));
        let count = |f: Failure| v.iter().filter(|x| x.failure == f).count();
        out.push((
            hit(
                &SC001,
                None,
                Some(start),
                format!(
                    "{source} sent SYNs to {port_count} ports of {host} within {} ({n} attempts from {start}); in the capture {} refused, {} unanswered, {} reset by {source} after the SYN-ACK, {} left half-open",
                    secs(t.syn_flood_window),
                    count(Failure::Refused),
                    count(Failure::Unanswered),
                    count(Failure::ResetBySource),
                    count(Failure::HalfOpen),
                ),
            ),
            host,
            Some(source),
        ));
    }
    out
}

impl Packed {
    /// Counts toward a SYN flood: the server holds it half-open, or it was never answered.
    fn floods(&self) -> bool {
        matches!(self.failure, Failure::HalfOpen | Failure::Unanswered)
    }
}
