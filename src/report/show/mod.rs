//! `synack show`: one connection as a ladder diagram, the way textbooks draw a handshake. Two
//! columns for the two sides, headed by address and port; a row per segment with its frame, its
//! time since the first segment, an arrow in its direction labelled with its flags, relative
//! sequence and acknowledgment numbers (as Wireshark shows them: from each side's ISN), length,
//! the options of a SYN or SYN-ACK; each side's state beside the arrow whenever it changes (an
//! inferred one with `?`); retransmissions, duplicates, keep-alives, zero-window probes and the
//! connection's findings marked on their frames. [`Ladder`] is that model, built from what
//! `analyze::follow` saw; `text`, `svg` and the JSON rows (CONTRACT.md, "Pictures") draw it.

mod svg;
mod text;

pub use svg::svg;
pub use text::text;
pub(crate) use text::wrap;

use crate::analyze::{Followed, Step};
use crate::decode::TcpFlags;
use crate::findings::Finding;
use crate::tcp::{Dir, State};
use crate::time::Timestamp;
use serde::Serialize;

/// The ladder of one connection.
#[derive(Debug, Serialize)]
pub struct Ladder {
    pub capture: String,
    pub id: u64,
    /// The originator's and the responder's address and port.
    pub orig: String,
    pub resp: String,
    pub rows: Vec<Row>,
    /// The connection's findings (those with a frame are also on their row).
    pub findings: Vec<Finding>,
    /// What follows the last segment: a side left in TIME-WAIT until when, how it ended.
    pub notes: Vec<String>,
    /// Other connections on the same 4-tuple (port reuse), by id.
    pub other_connections: Vec<u64>,
}

/// One segment.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub frame: u64,
    #[serde(serialize_with = "secs_ts")]
    pub ts: Timestamp,
    /// Seconds since the connection's first segment.
    pub time: f64,
    /// "orig" (left to right) or "resp" (right to left).
    pub from: &'static str,
    /// Flag names joined with `,`: `SYN`, `SYN,ACK`, `FIN,ACK`, `RST`.
    pub flags: String,
    /// From the sender's ISN (or its first segment's sequence number, picked up mid-stream).
    pub seq: u32,
    /// From the receiver's ISN, when the ACK flag is set.
    pub ack: Option<u32>,
    pub len: u32,
    /// `mss=1460 ws=7 sack ts` on a SYN or SYN-ACK.
    pub options: Option<String>,
    pub orig_state: &'static str,
    pub orig_inferred: bool,
    pub resp_state: &'static str,
    pub resp_inferred: bool,
    /// The state changed with this segment (or this is the first row).
    pub orig_changed: bool,
    pub resp_changed: bool,
    /// `retransmission`, `SYN retransmission`, `SYN-ACK retransmission`, `FIN retransmission`,
    /// `duplicate`, `keep-alive`, `zero-window probe`, `RST out of window`.
    pub marks: Vec<&'static str>,
    /// Codes of the findings on this frame.
    pub findings: Vec<&'static str>,
}

fn secs_ts<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(t.as_secs_f64())
}

/// `SYN,ACK` and the like, in the order the header has them read by people.
pub fn flag_names(f: TcpFlags) -> String {
    let names = [
        (TcpFlags::SYN, "SYN"),
        (TcpFlags::FIN, "FIN"),
        (TcpFlags::RST, "RST"),
        (TcpFlags::PSH, "PSH"),
        (TcpFlags::ACK, "ACK"),
        (TcpFlags::URG, "URG"),
        (TcpFlags::ECE, "ECE"),
        (TcpFlags::CWR, "CWR"),
        (TcpFlags::AE, "AE"),
    ];
    let v: Vec<&str> = names
        .iter()
        .filter(|(b, _)| f.has(*b))
        .map(|(_, n)| *n)
        .collect();
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(",")
    }
}

impl Ladder {
    /// The ladder of `f`, with its connection's `findings`.
    pub fn new(capture: &str, f: &Followed, findings: Vec<Finding>) -> Ladder {
        let c = &f.flow;
        // Each direction's base: the sender's ISN, else its first sequence number.
        let mut base = [c.side(Dir::Orig).isn, c.side(Dir::Resp).isn].map(|s| s.map(|s| s.0));
        for s in &f.steps {
            base[s.dir.idx()].get_or_insert(s.seg.seq.0);
        }
        let first = f.steps.first().map_or(c.first_ts, |s| s.seg.ts);
        let mut prev: Option<[(State, bool); 2]> = None;
        let rows = f
            .steps
            .iter()
            .map(|s| {
                let row = row(s, &base, first, prev, &findings);
                prev = Some(s.after);
                row
            })
            .collect();
        let mut notes = Vec::new();
        for d in [Dir::Orig, Dir::Resp] {
            if let Some(until) = c.time_wait_deadline(d) {
                notes.push(format!(
                    "{} stays in TIME-WAIT until +{:.6} s",
                    c.endpoint(d),
                    until.since(first).as_secs_f64()
                ));
            }
        }
        if c.retired {
            notes.push("retired early (--max-connections)".to_string());
        }
        Ladder {
            capture: capture.to_string(),
            id: c.id,
            orig: c.orig.to_string(),
            resp: c.resp.to_string(),
            rows,
            findings,
            notes,
            other_connections: f.others.clone(),
        }
    }
}

fn row(
    s: &Step,
    base: &[Option<u32>; 2],
    first: Timestamp,
    prev: Option<[(State, bool); 2]>,
    findings: &[Finding],
) -> Row {
    let d = s.dir.idx();
    let rel = |v: u32, b: Option<u32>| v.wrapping_sub(b.unwrap_or(v));
    let f = s.seg.flags;
    let options = f.syn().then(|| {
        let o = s.seg.options;
        let mut parts = Vec::new();
        if let Some(m) = o.mss {
            parts.push(format!("mss={m}"));
        }
        if let Some(w) = o.wscale {
            parts.push(format!("ws={w}"));
        }
        if o.sack_permitted {
            parts.push("sack".to_string());
        }
        if o.timestamps {
            parts.push("ts".to_string());
        }
        parts.join(" ")
    });
    let m = s.marks;
    let marks: Vec<&'static str> = [
        (m.syn_retransmission && !f.ack(), "SYN retransmission"),
        (m.syn_retransmission && f.ack(), "SYN-ACK retransmission"),
        (m.retransmission, "retransmission"),
        (m.fin_retransmission, "FIN retransmission"),
        (m.duplicate, "duplicate"),
        (m.keepalive, "keep-alive"),
        (m.zero_window_probe, "zero-window probe"),
        (m.out_of_window_rst, "RST out of window"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, n)| n)
    .collect();
    let changed = |i: usize| prev.is_none_or(|p| p[i] != s.after[i]);
    Row {
        frame: s.seg.frame,
        ts: s.seg.ts,
        time: s.seg.ts.since(first).as_secs_f64(),
        from: if d == 0 { "orig" } else { "resp" },
        flags: flag_names(f),
        seq: rel(s.seg.seq.0, base[d]),
        ack: f.ack().then(|| rel(s.seg.ack.0, base[1 - d])),
        len: s.seg.payload_len,
        options: options.filter(|o| !o.is_empty()),
        orig_state: s.after[0].0.name(),
        orig_inferred: s.after[0].1,
        resp_state: s.after[1].0.name(),
        resp_inferred: s.after[1].1,
        orig_changed: changed(0),
        resp_changed: changed(1),
        marks,
        findings: findings
            .iter()
            .filter(|x| x.frame == Some(s.seg.frame))
            .map(|x| x.code)
            .collect(),
    }
}

/// What a segment chiefly is, for the colour of its arrow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Rst,
    /// A SYN or a SYN-ACK.
    Syn,
    Fin,
    Other,
}

impl Row {
    pub(crate) fn kind(&self) -> Kind {
        let has = |f: &str| self.flags.split(',').any(|x| x == f);
        if has("RST") {
            Kind::Rst
        } else if has("SYN") {
            Kind::Syn
        } else if has("FIN") {
            Kind::Fin
        } else {
            Kind::Other
        }
    }
}

/// The state as shown: its name, `?` when inferred.
pub(crate) fn state_label(name: &str, inferred: bool) -> String {
    if inferred {
        format!("{name}?")
    } else {
        name.to_string()
    }
}

/// The one-line label of a row's arrow (flags) and the detail under it (numbers, options,
/// marks, findings).
pub(crate) fn detail(r: &Row) -> String {
    let mut parts = vec![format!("seq={}", r.seq)];
    if let Some(a) = r.ack {
        parts.push(format!("ack={a}"));
    }
    parts.push(format!("len={}", r.len));
    if let Some(o) = &r.options {
        parts.push(o.clone());
    }
    parts.join(" ")
}
