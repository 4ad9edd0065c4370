//! The summary of CONTRACT.md: counts over every reported connection, and the TIME-WAIT holders.

use super::record::ConnReport;
use crate::analyze::CaptureResult;
use crate::flow::TimeWaitHolder;
use crate::tcp::State;
use crate::zeek::ConnState;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::net::IpAddr;

/// One host that held TIME-WAIT in one capture (`capture` indexes `Summary::captures`).
#[derive(Clone, Copy, Debug)]
pub struct TimeWaitRow {
    pub capture: usize,
    pub host: IpAddr,
    pub holder: TimeWaitHolder,
}

/// `summary.time_wait[]` as CONTRACT.md names it, serialized straight from the rows.
#[derive(Serialize)]
struct TimeWaitJson<'a> {
    host: IpAddr,
    peak: u64,
    peak_ts: Option<f64>,
    at_end: u64,
    capture: &'a str,
}

/// The summary as JSON.
#[derive(Serialize)]
pub struct SummaryJson<'a> {
    connections: u64,
    conn_state: Map<String, Value>,
    final_state: Value,
    syn_retransmissions: u64,
    synack_retransmissions: u64,
    rst_segments: u64,
    half_open: u64,
    syn_unanswered: u64,
    rejected_icmp: u64,
    time_wait: TimeWaitList<'a>,
}

/// Serializes the TIME-WAIT rows one by one.
pub struct TimeWaitList<'a>(&'a Summary);

impl Serialize for TimeWaitList<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let s = self.0;
        let mut seq = ser.serialize_seq(Some(s.time_wait.len()))?;
        for t in &s.time_wait {
            seq.serialize_element(&TimeWaitJson {
                host: t.host,
                peak: t.holder.peak,
                peak_ts: t.holder.peak_ts.map(|x| x.as_secs_f64()),
                at_end: t.holder.current,
                capture: s.capture_of(t),
            })?;
        }
        seq.end()
    }
}

/// The few facts of a connection the summary counts: small enough to travel between threads
/// instead of the whole record.
#[derive(Clone, Copy, Debug)]
pub struct Tally {
    conn_state: ConnState,
    orig_state: State,
    resp_state: State,
    syn_retransmits: u32,
    synack_retransmits: u32,
    rst_segments: u32,
    half_open: bool,
    syn_unanswered: bool,
    rejected_icmp: bool,
    first_ts: crate::time::Timestamp,
    last_ts: crate::time::Timestamp,
}

impl Tally {
    pub fn of(c: &ConnReport) -> Self {
        Tally {
            conn_state: c.conn_state,
            orig_state: c.orig_state,
            resp_state: c.resp_state,
            syn_retransmits: c.syn_retransmits,
            synack_retransmits: c.synack_retransmits,
            rst_segments: c.rst_segments,
            half_open: c.half_open(),
            syn_unanswered: c.syn_unanswered(),
            rejected_icmp: c.rejected_icmp,
            first_ts: c.first_ts,
            last_ts: c.last_ts,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub connections: u64,
    pub conn_state: [u64; ConnState::ALL.len()],
    /// `[side][state]`, states indexed as `State::ALL`.
    pub final_state: [[u64; 12]; 2],
    /// `[orig state][resp state]`.
    pub matrix: [[u64; 12]; 12],
    pub syn_retransmissions: u64,
    pub synack_retransmissions: u64,
    pub rst_segments: u64,
    /// Responders left in SYN-RECEIVED.
    pub half_open: u64,
    /// SYNs that got no SYN-ACK, no RST and no ICMP error.
    pub syn_unanswered: u64,
    /// Attempts an ICMP destination-unreachable answered.
    pub rejected_icmp: u64,
    pub time_wait: Vec<TimeWaitRow>,
    /// The captures the TIME-WAIT rows point into.
    pub captures: Vec<String>,
    /// Connections open over capture time, from first to last segment (time-weighted).
    pub open: crate::series::Series,
    /// How many the busiest hosts held in TIME-WAIT over time, per capture (index into
    /// `captures`).
    pub time_wait_series: Vec<(usize, IpAddr, crate::series::Series)>,
}

fn state_idx(s: State) -> usize {
    State::ALL
        .iter()
        .position(|x| *x == s)
        .unwrap_or(State::ALL.len() - 1)
}

impl Summary {
    pub fn add(&mut self, c: &ConnReport) {
        self.add_tally(&Tally::of(c));
    }

    /// What the summary counts of one connection.
    pub fn add_tally(&mut self, t: &Tally) {
        self.connections += 1;
        self.open.span(t.first_ts, t.last_ts, 1.0);
        self.conn_state[t.conn_state as usize] += 1;
        let (o, r) = (state_idx(t.orig_state), state_idx(t.resp_state));
        self.final_state[0][o] += 1;
        self.final_state[1][r] += 1;
        self.matrix[o][r] += 1;
        self.syn_retransmissions += u64::from(t.syn_retransmits);
        self.synack_retransmissions += u64::from(t.synack_retransmits);
        self.rst_segments += u64::from(t.rst_segments);
        self.half_open += u64::from(t.half_open);
        self.syn_unanswered += u64::from(t.syn_unanswered);
        self.rejected_icmp += u64::from(t.rejected_icmp);
    }

    /// The TIME-WAIT figures of a capture read: who held how many, and over time.
    pub fn add_time_wait(&mut self, r: &CaptureResult) {
        let idx = self.captures.len();
        self.captures.push(r.capture.path.clone());
        self.time_wait_series
            .extend(r.time_wait_series.iter().map(|(h, s)| (idx, *h, s.clone())));
        self.time_wait
            .extend(r.time_wait.iter().map(|(host, h)| TimeWaitRow {
                capture: idx,
                host: *host,
                holder: *h,
            }));
    }

    /// The capture a TIME-WAIT row belongs to.
    pub fn capture_of(&self, row: &TimeWaitRow) -> &str {
        self.captures.get(row.capture).map_or("", String::as_str)
    }

    /// CONTRACT.md's `summary` object (zero counts left out), serialized without building a
    /// JSON tree: the TIME-WAIT list can hold a row per client host.
    pub fn to_json(&self) -> SummaryJson<'_> {
        let mut cs = Map::new();
        for (name, n) in ConnState::ALL.iter().map(|c| c.name()).zip(self.conn_state) {
            if n > 0 {
                cs.insert(name.to_string(), n.into());
            }
        }
        let side = |i: usize| {
            let mut m = Map::new();
            for (st, n) in State::ALL.iter().zip(self.final_state[i]) {
                if n > 0 {
                    m.insert(st.name().to_string(), n.into());
                }
            }
            Value::Object(m)
        };
        SummaryJson {
            connections: self.connections,
            conn_state: cs,
            final_state: json!({"orig": side(0), "resp": side(1)}),
            syn_retransmissions: self.syn_retransmissions,
            synack_retransmissions: self.synack_retransmissions,
            rst_segments: self.rst_segments,
            half_open: self.half_open,
            syn_unanswered: self.syn_unanswered,
            rejected_icmp: self.rejected_icmp,
            time_wait: TimeWaitList(self),
        }
    }
}
