//! One endpoint of a connection: its state, what it sent (SYN and SYN-ACK attempts, FIN, data
//! counts), and the inferences later segments may still undo.

use super::{SeqNum, State};
use crate::decode::{SynOptions, TcpSegment};
use crate::time::Timestamp;
use std::time::Duration;

/// SYNs (or SYN-ACKs) one side sent with its ISN.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attempt {
    /// Segments sent, the first included.
    pub sent: u32,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    pub first_frame: Option<u64>,
    /// Gaps between consecutive sends, the first [`MAX_INTERVALS`] of them, in microseconds
    /// (saturating at about 71 minutes). Boxed from the first retransmission on: most SYNs are
    /// sent once, and each side holds two attempts (64 bytes inline).
    pub(super) intervals_us: Option<Box<[u32; MAX_INTERVALS]>>,
}

/// Retransmission intervals kept per connection (Linux retries a SYN 6 times by default).
pub const MAX_INTERVALS: usize = 8;

impl Attempt {
    pub fn retransmits(&self) -> u32 {
        self.sent.saturating_sub(1)
    }

    pub fn intervals(&self) -> impl Iterator<Item = Duration> + '_ {
        let n = (self.retransmits() as usize).min(MAX_INTERVALS);
        let kept: &[u32] = self.intervals_us.as_deref().map_or(&[], |iv| &iv[..n]);
        kept.iter().map(|us| Duration::from_micros(u64::from(*us)))
    }

    pub(super) fn record(&mut self, seg: &TcpSegment) {
        if let Some(last) = self.last_ts {
            let at = self.sent.saturating_sub(1) as usize;
            if let Some(slot) = (at < MAX_INTERVALS)
                .then(|| self.intervals_us.get_or_insert_with(Default::default))
                .and_then(|iv| iv.get_mut(at))
            {
                *slot = u32::try_from(seg.ts.since(last).as_micros()).unwrap_or(u32::MAX);
            }
        } else {
            self.first_ts = Some(seg.ts);
            self.first_frame = Some(seg.frame);
        }
        self.sent = self.sent.saturating_add(1);
        self.last_ts = Some(seg.ts);
    }
}

/// What one endpoint has shown of itself.
#[derive(Clone, Debug)]
pub struct Side {
    pub state: State,
    /// The state rests only on segments travelling to this side: it got there by receiving a
    /// SYN-ACK, an ACK or a FIN that its TCP would have answered, and it has sent nothing since
    /// (a spoofed SYN's source, a silent peer). CONTRACT.md's `*_state_inferred`.
    pub inferred: bool,
    /// It reached SYN-RECEIVED by answering a SYN (a passive OPEN).
    pub passive: bool,
    /// Its TIME-WAIT counts in the per-host figures: the connection was in the report's scope
    /// (`--host/--port/--state`) when this side entered it. Set by the flow table.
    pub time_wait_counted: bool,
    /// When it entered TIME-WAIT (first time), and when it left it, if it has (its 2×MSL ran
    /// out, a RST ended it, a new SYN took the 4-tuple, the connection was written early): the
    /// spell the per-host figures count, as the record shows it. Set by the flow table.
    pub time_wait_entered: Option<Timestamp>,
    pub time_wait_left: Option<Timestamp>,
    /// The ISN of its SYN or SYN-ACK.
    pub isn: Option<SeqNum>,
    /// Its SYNs (without ACK): the first and its retransmissions.
    pub syn: Attempt,
    /// Its SYN-ACKs with the ISN the peer acknowledged (until then the first one's): the first
    /// and its retransmissions.
    pub synack: Attempt,
    /// Distinct ISNs its SYN-ACKs carried (more than one: it answered retried SYNs with new
    /// connections, or a middlebox answered too).
    pub synack_isns: u16,
    /// SND.NXT as the capture shows it: past the highest sequence number it sent.
    pub snd_nxt: Option<SeqNum>,
    /// The last acknowledgment number it sent (its RCV.NXT, as far as the peer was told).
    pub last_ack: Option<SeqNum>,
    /// The last window it advertised, unscaled.
    pub window: u16,
    /// When it sent its first and its last segment.
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// When its state last changed.
    pub state_since: Option<Timestamp>,
    /// The sequence number its FIN occupies.
    pub fin_seq: Option<SeqNum>,
    /// Frame and time of its first FIN.
    pub fin_frame: Option<u64>,
    pub fin_ts: Option<Timestamp>,
    pub fin_acked: bool,
    pub fin_retransmits: u32,
    /// When it entered TIME-WAIT (restarted by a retransmitted FIN, RFC 9293 §3.10.7.4).
    pub time_wait_since: Option<Timestamp>,
    /// When it entered CLOSE-WAIT (the peer's FIN arrived and it has not closed yet).
    pub close_wait_since: Option<Timestamp>,
    pub packets: u64,
    pub ip_bytes: u64,
    pub payload_bytes: u64,
    /// Data segments sent again (keep-alives and zero-window probes not included).
    pub retransmits: u32,
    pub keepalives: u32,
    pub zero_window_probes: u32,
    /// Copies of its segments captured again (another VLAN or interface): counted here only,
    /// never as segments or retransmissions.
    pub duplicates: u32,
    /// Options of its SYN or SYN-ACK.
    pub options: Option<SynOptions>,
    /// It retransmitted its SYN-ACK a round trip after the peer's final ACK: it dropped that
    /// ACK (a full accept queue, TCP_DEFER_ACCEPT), and ACKs of its SYN-ACK complete nothing
    /// until it sends a segment only an established endpoint sends.
    pub(super) deaf: bool,
    /// The peer's FIN, taken as received; undone when this side's next segment shows it had not
    /// arrived yet (the FINs crossed).
    pub(super) pending_fin: Option<PendingFin>,
    /// The peer's SYN-ACK, taken as received in SYN-SENT; undone when this side then sends its
    /// own SYN-ACK (the two crossed: a simultaneous open).
    pub(super) pending_synack: Option<(State, usize)>,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct PendingFin {
    pub(super) fin_seq: SeqNum,
    pub(super) before: State,
    pub(super) inferred_before: bool,
    pub(super) transitions_before: usize,
}

impl Side {
    pub(super) fn new() -> Self {
        Side {
            state: State::Unknown,
            inferred: false,
            time_wait_counted: false,
            time_wait_entered: None,
            time_wait_left: None,
            passive: false,
            isn: None,
            syn: Attempt::default(),
            synack: Attempt::default(),
            synack_isns: 0,
            snd_nxt: None,
            last_ack: None,
            window: 0,
            first_ts: None,
            last_ts: None,
            state_since: None,
            fin_seq: None,
            fin_frame: None,
            fin_ts: None,
            fin_acked: false,
            fin_retransmits: 0,
            time_wait_since: None,
            close_wait_since: None,
            packets: 0,
            ip_bytes: 0,
            payload_bytes: 0,
            retransmits: 0,
            keepalives: 0,
            zero_window_probes: 0,
            duplicates: 0,
            options: None,
            deaf: false,
            pending_fin: None,
            pending_synack: None,
        }
    }

    /// Whether `ack` acknowledges this side's SYN: SND.UNA < SEG.ACK =< SND.NXT (§3.10.7.4).
    pub(super) fn acked_syn_by(&self, ack: SeqNum) -> bool {
        match (self.isn, self.snd_nxt) {
            (Some(isn), Some(nxt)) => ack.after(isn) && !ack.after(nxt),
            (Some(isn), None) => ack.after(isn),
            _ => false,
        }
    }

    pub(super) fn acked_fin_by(&self, ack: SeqNum) -> bool {
        self.fin_seq.is_some_and(|f| ack.after(f))
    }

    pub(super) fn advance_snd_nxt(&mut self, end: SeqNum) {
        match self.snd_nxt {
            Some(n) if !end.after(n) => {}
            _ => self.snd_nxt = Some(end),
        }
    }
}
