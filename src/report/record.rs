//! What the report says about one connection: CONTRACT.md's connection object, built once when
//! the connection ends and shared by every output format.

use crate::decode::Endpoint;
use crate::tcp::{Dir, Opening, State, Transition};
use crate::time::Timestamp;
use crate::zeek::ConnState;
use crate::zeek::ZeekFields;
use serde::{Serialize, Serializer};
use std::sync::Arc;
use std::time::Duration;

fn secs(d: Duration) -> f64 {
    // Microsecond precision, like every timestamp in the report.
    (d.as_secs_f64() * 1e6).round() / 1e6
}

fn ser_state<S: Serializer>(s: &State, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.name())
}

fn ser_ts<S: Serializer>(t: &Timestamp, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_f64(t.as_secs_f64())
}

fn ser_opening<S: Serializer>(o: &Opening, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(o.name())
}

fn ser_conn_state<S: Serializer>(c: &ConnState, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(c.name())
}

fn ser_opt_ts<S: Serializer>(t: &Option<Timestamp>, ser: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => ser.serialize_f64(t.as_secs_f64()),
        None => ser.serialize_none(),
    }
}

/// Serialized as `{"addr": "10.0.0.1", "port": 80}` (IPv6 in RFC 5952 form).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct EndpointJson {
    pub addr: std::net::IpAddr,
    pub port: u16,
}

impl From<Endpoint> for EndpointJson {
    fn from(e: Endpoint) -> Self {
        EndpointJson {
            addr: e.addr,
            port: e.port,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RstJson {
    pub by: &'static str,
    pub frame: u64,
    pub state: &'static str,
    pub kind: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct HandshakeJson {
    pub syn_to_synack: Option<f64>,
    pub synack_to_ack: Option<f64>,
    pub connect_time: Option<f64>,
    pub mss: [Option<u16>; 2],
    pub wscale: [Option<u8>; 2],
    pub sack_permitted: [Option<bool>; 2],
    pub timestamps: [Option<bool>; 2],
}

#[derive(Clone, Debug, Serialize)]
pub struct TransitionJson {
    pub frame: Option<u64>,
    #[serde(serialize_with = "ser_ts")]
    pub ts: Timestamp,
    pub side: &'static str,
    #[serde(serialize_with = "ser_state")]
    pub from: State,
    #[serde(serialize_with = "ser_state")]
    pub to: State,
}

impl From<&Transition> for TransitionJson {
    fn from(t: &Transition) -> Self {
        TransitionJson {
            frame: t.frame,
            ts: t.ts,
            side: t.side.name(),
            from: t.from,
            to: t.to,
        }
    }
}

/// One side's counters beyond the contract's.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct SideDetail {
    pub ip_bytes: u64,
    /// Data segments sent again (keep-alives and zero-window probes excluded).
    pub retransmits: u32,
    pub keepalives: u32,
    pub zero_window_probes: u32,
    pub fin_retransmits: u32,
    /// Copies of its segments captured again (CQ007), not counted in its packets.
    pub duplicates: u32,
}

/// CONTRACT.md's connection object, plus added fields (after `findings`).
#[derive(Clone, Debug, Serialize)]
pub struct ConnReport {
    pub id: u64,
    pub orig: EndpointJson,
    pub resp: EndpointJson,
    #[serde(serialize_with = "ser_ts")]
    pub first_ts: Timestamp,
    #[serde(serialize_with = "ser_ts")]
    pub last_ts: Timestamp,
    pub first_frame: u64,
    pub last_frame: u64,
    #[serde(serialize_with = "ser_state")]
    pub orig_state: State,
    #[serde(serialize_with = "ser_state")]
    pub resp_state: State,
    /// The state rests only on segments travelling to that side (CONTRACT.md).
    pub orig_state_inferred: bool,
    pub resp_state_inferred: bool,
    /// When the side's 2×MSL ends, for a side that finished in TIME-WAIT (capture time).
    #[serde(serialize_with = "ser_opt_ts")]
    pub orig_time_wait_until: Option<Timestamp>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub resp_time_wait_until: Option<Timestamp>,
    #[serde(serialize_with = "ser_conn_state")]
    pub conn_state: ConnState,
    pub history: String,
    pub orig_packets: u64,
    pub resp_packets: u64,
    pub orig_bytes: u64,
    pub resp_bytes: u64,
    pub syn_retransmits: u32,
    pub syn_retransmit_intervals: Vec<f64>,
    pub synack_retransmits: u32,
    /// Distinct ISNs the responder's SYN-ACKs carried.
    pub synack_isns: u16,
    pub rst: Option<RstJson>,
    pub handshake: Option<HandshakeJson>,
    pub midstream: bool,
    pub findings: Vec<crate::findings::Finding>,
    /// Added: the capture the connection is in (ids are unique within one capture).
    pub capture: Arc<str>,
    /// Added: how it was first seen: `syn`, `synack` (SYN missed) or `midstream`.
    #[serde(serialize_with = "ser_opening")]
    pub opening: Opening,
    /// Added: last minus first timestamp, seconds.
    pub duration: f64,
    /// Added: Zeek's missed_bytes (content gaps the peer acknowledged).
    pub missed_bytes: u64,
    /// Added: a SYN reused the 4-tuple while the previous connection on it was in TIME-WAIT.
    pub reused_time_wait: bool,
    /// Added: when each side entered TIME-WAIT, and when it left it if it had by the time the
    /// record was written (else `*_time_wait_until` says when it will): the spell the
    /// summary's TIME-WAIT figures count, for a sweep over the records (README, "Parquet").
    #[serde(serialize_with = "ser_opt_ts")]
    pub orig_time_wait_from: Option<Timestamp>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub orig_time_wait_left: Option<Timestamp>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub resp_time_wait_from: Option<Timestamp>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub resp_time_wait_left: Option<Timestamp>,
    pub orig_detail: SideDetail,
    pub resp_detail: SideDetail,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitions: Option<Vec<TransitionJson>>,
    /// Zeek's own view (its orig may be synack's resp), for `--format zeek`.
    #[serde(skip)]
    pub zeek: ZeekFields,
    #[serde(skip)]
    pub orig_ep: Endpoint,
    #[serde(skip)]
    pub resp_ep: Endpoint,
    #[serde(skip)]
    pub handshake_rtt: Option<Duration>,
    #[serde(skip)]
    pub rst_segments: u32,
    /// An ICMP destination-unreachable answered the SYN and the handshake never completed.
    #[serde(skip)]
    pub rejected_icmp: bool,
    /// Its first segments, for a troubled connection's ladder (`--format html`).
    #[serde(skip)]
    pub ladder: Option<Box<crate::decode::SegmentLog>>,
    /// When each SYN retransmission and each SYN-ACK retransmission was sent (the charts').
    #[serde(skip)]
    pub retransmitted_at: [Vec<Timestamp>; 2],
}

/// When an attempt's retransmissions were sent: from its first send, by its intervals (the
/// first eight); any beyond, at its last send.
fn resent_at(a: &crate::tcp::Attempt) -> Vec<Timestamp> {
    let (Some(first), Some(last)) = (a.first_ts, a.last_ts) else {
        return Vec::new();
    };
    let mut t = first;
    let mut v: Vec<Timestamp> = a
        .intervals()
        .map(|d| {
            t = t.saturating_add(d);
            t
        })
        .collect();
    while (v.len() as u32) < a.retransmits() {
        v.push(last);
    }
    v
}

impl ConnReport {
    pub fn new(c: &crate::flow::Flow, capture: &Arc<str>) -> Self {
        let z = c.zeek_fields();
        let [o, r] = [c.side(Dir::Orig), c.side(Dir::Resp)];
        let handshake = (o.isn.is_some() || r.isn.is_some()).then(|| {
            let opt = |s: &crate::tcp::Side| s.options;
            let (oo, ro) = (opt(o), opt(r));
            HandshakeJson {
                syn_to_synack: c.handshake.syn_to_synack.map(secs),
                synack_to_ack: c.handshake.synack_to_ack.map(secs),
                connect_time: c.handshake.connect_time.map(secs),
                mss: [oo.and_then(|x| x.mss), ro.and_then(|x| x.mss)],
                wscale: [oo.and_then(|x| x.wscale), ro.and_then(|x| x.wscale)],
                sack_permitted: [oo.map(|x| x.sack_permitted), ro.map(|x| x.sack_permitted)],
                timestamps: [oo.map(|x| x.timestamps), ro.map(|x| x.timestamps)],
            }
        });
        let rtt = match (c.handshake.syn_to_synack, c.handshake.synack_to_ack) {
            (Some(a), Some(b)) => Some(a + b),
            (a, _) => a,
        };
        let answer = c.answer();
        let detail = |s: &crate::tcp::Side| SideDetail {
            ip_bytes: s.ip_bytes,
            retransmits: s.retransmits,
            keepalives: s.keepalives,
            zero_window_probes: s.zero_window_probes,
            fin_retransmits: s.fin_retransmits,
            duplicates: s.duplicates,
        };
        ConnReport {
            id: c.id,
            orig: c.orig.into(),
            resp: c.resp.into(),
            first_ts: c.first_ts,
            last_ts: c.last_ts,
            first_frame: c.first_frame,
            last_frame: c.last_frame,
            orig_state: o.state,
            resp_state: r.state,
            orig_state_inferred: o.inferred,
            resp_state_inferred: r.inferred,
            orig_time_wait_until: c.time_wait_deadline(Dir::Orig),
            resp_time_wait_until: c.time_wait_deadline(Dir::Resp),
            conn_state: z.conn_state,
            history: z.history.clone(),
            orig_packets: o.packets,
            resp_packets: r.packets,
            // Zeek's sequence-space sizes, per host (host 0 is synack's originator).
            orig_bytes: c.zeek_size_of(0),
            resp_bytes: c.zeek_size_of(1),
            syn_retransmits: o.syn.retransmits(),
            syn_retransmit_intervals: o.syn.intervals().map(secs).collect(),
            synack_retransmits: r.synack.retransmits(),
            synack_isns: r.synack_isns,
            rst: answer.map(|x| RstJson {
                by: x.by.name(),
                frame: x.frame,
                state: x.state.name(),
                kind: x.kind.name(),
            }),
            handshake,
            midstream: c.opening == Opening::Midstream,
            findings: Vec::new(),
            capture: capture.clone(),
            opening: c.opening,
            duration: secs(c.last_ts.since(c.first_ts)),
            missed_bytes: z.missed_bytes,
            reused_time_wait: c.reused_time_wait,
            orig_time_wait_from: o.time_wait_entered,
            orig_time_wait_left: o.time_wait_left,
            resp_time_wait_from: r.time_wait_entered,
            resp_time_wait_left: r.time_wait_left,
            orig_detail: detail(o),
            resp_detail: detail(r),
            transitions: c
                .transitions
                .as_ref()
                .map(|v| v.iter().map(TransitionJson::from).collect()),
            zeek: z,
            orig_ep: c.orig,
            resp_ep: c.resp,
            handshake_rtt: rtt,
            rst_segments: c.rst_segments,
            rejected_icmp: answer.is_some_and(|a| a.kind == crate::tcp::RstKind::Icmp),
            ladder: None,
            retransmitted_at: [resent_at(&o.syn), resent_at(&r.synack)],
        }
    }

    /// CONTRACT.md's half-open: the responder was left in SYN-RECEIVED (it sent a SYN-ACK and
    /// the final ACK never arrived, or was ignored): the server's half-open queue.
    pub fn half_open(&self) -> bool {
        self.resp_state == State::SynReceived
    }

    /// The SYN got no SYN-ACK, no RST and no ICMP error.
    pub fn syn_unanswered(&self) -> bool {
        self.opening == Opening::Syn && self.resp_packets == 0 && !self.rejected_icmp
    }

    /// Worth a look: not a clean SF or an open S1 without retransmitted handshakes.
    pub fn troubled(&self) -> bool {
        !self.conn_state.is_clean()
            || self.syn_retransmits > 0
            || self.synack_retransmits > 0
            || self.rst.is_some()
            || self.half_open()
            || self.syn_unanswered()
            || self.rejected_icmp
            || matches!(self.orig_state, State::CloseWait)
            || matches!(self.resp_state, State::CloseWait)
            || self
                .findings
                .iter()
                .any(|f| f.severity >= crate::findings::Severity::Warning)
    }
}
