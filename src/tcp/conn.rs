//! One TCP connection and its two sides, driven segment by segment.
//!
//! Each segment is something its sender did and, as far as the capture can tell, something that
//! reached its receiver; the capture point may be at either end or in between. The sender's
//! events are applied first, then the receiver's, in RFC 9293 §3.10.7.4's order (RST, SYN, ACK,
//! FIN). Inference that later segments contradict is corrected: a SYN-ACK retransmitted after
//! the final ACK shows that ACK was lost; a FIN sent without acknowledging the peer's FIN shows
//! the two FINs crossed (simultaneous close).

use super::rst::{Challenged, IcmpAnswer, RstInfo, RstKind, RstPlace};
use super::side::{Attempt, PendingFin, Side};
use super::state::{next, Event, State};
use super::SeqNum;
use crate::decode::{Endpoint, TcpSegment};
use crate::time::Timestamp;
use std::fmt;
use std::time::Duration;

/// Which side of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// The originator: sender of the first SYN (or Zeek's pick for a connection without one).
    Orig,
    Resp,
}

impl Dir {
    pub fn idx(self) -> usize {
        match self {
            Dir::Orig => 0,
            Dir::Resp => 1,
        }
    }
    pub fn other(self) -> Dir {
        match self {
            Dir::Orig => Dir::Resp,
            Dir::Resp => Dir::Orig,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Dir::Orig => "orig",
            Dir::Resp => "resp",
        }
    }
}

impl fmt::Display for Dir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the connection was first seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// With its SYN.
    Syn,
    /// With the SYN-ACK: the SYN was not captured (orig and resp flipped to match).
    SynAck,
    /// Mid-stream, without any handshake segment.
    Midstream,
}

impl Opening {
    /// As the JSON report writes it: `syn`, `synack`, `midstream`.
    pub fn name(self) -> &'static str {
        match self {
            Opening::Syn => "syn",
            Opening::SynAck => "synack",
            Opening::Midstream => "midstream",
        }
    }
}

/// One change of one side's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The frame that caused it; `None` for a timeout (TIME-WAIT's 2×MSL).
    pub frame: Option<u64>,
    pub ts: Timestamp,
    pub side: Dir,
    pub from: State,
    pub to: State,
}

/// The same data sent again and again by one side (DT001): the latest run of retransmissions
/// of one sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtxRun {
    pub seq: SeqNum,
    /// Past the last byte of it.
    pub end: SeqNum,
    /// Retransmissions of it (the first send not counted).
    pub count: u32,
    /// Each gap at least (about) as long as the one before: a retransmission timer backing off.
    pub growing: bool,
    pub first_frame: u64,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    last_gap: Duration,
}

/// A side advertising a zero window (DT002): since when (while it still does), and its longest
/// stall so far with where it began.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZeroWindow {
    pub since: Option<(u64, Timestamp)>,
    pub longest: Duration,
    pub longest_from: Option<(u64, Timestamp)>,
}

/// Data-transfer trouble of both sides, boxed: most connections never have any.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DataTrouble {
    pub rtx: [Option<RtxRun>; 2],
    pub zero_window: [ZeroWindow; 2],
}

/// How a server showed it threw away a captured final ACK (its accept queue was full).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow {
    /// The final ACK it ignored.
    pub ack_frame: u64,
    /// The SYN-ACK it retransmitted after that ACK, or the RST it answered it with.
    pub frame: u64,
    pub ts: Timestamp,
    /// Answered with a RST (Linux with `tcp_abort_on_overflow=1`) rather than ignored.
    pub by_rst: bool,
}

/// SYN-ACKs that carried another ISN than the first one (rare: boxed, off the connection).
#[derive(Clone, Copy, Debug)]
struct OtherSynAck {
    /// The side that sent them.
    by: Dir,
    isn: SeqNum,
    sent: u32,
    first_frame: u64,
    first_ts: Timestamp,
    last_ts: Timestamp,
}

/// Settings the analysis of a connection depends on.
#[derive(Clone, Copy, Debug)]
pub struct TcpConfig {
    /// 2×MSL: how long TIME-WAIT lasts (Linux: 60 s).
    pub time_wait: Duration,
    /// Record every state change.
    pub transitions: bool,
    /// An unfinished connection without a segment for this long leaves the table as it is
    /// (Zeek's `tcp_inactivity_timeout`, 5 min); a later segment starts a new connection.
    pub idle_timeout: Duration,
    /// Follow Zeek's model too (conn_state, history, Zeek's byte counts): every report does;
    /// `lint` does not, no rule needing it (about 5% of its time, 350 bytes a connection).
    pub zeek: bool,
    /// A connection still only an attempt (SYNs and SYN-ACKs) is kept in a compact form once
    /// it has had no segment for this long (`flow::table`); None keeps every connection whole.
    /// Changes memory and time, never what is reported.
    pub compact_after: Option<Duration>,
    /// Keep each connection's first this many segments, to draw its ladder (`report --format
    /// html`); 0 keeps none.
    pub ladder_segments: usize,
}

/// How long an attempt stays whole after its last segment before the flow table keeps it
/// compact: longer than most handshakes' round trip (those complete whole, never replayed),
/// short enough that a SYN flood of 350 000 attempts a second keeps only 18 000 whole.
pub const COMPACT_AFTER: Duration = Duration::from_millis(50);

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            time_wait: Duration::from_secs(60),
            transitions: false,
            idle_timeout: Duration::from_secs(300),
            zeek: true,
            compact_after: Some(COMPACT_AFTER),
            ladder_segments: 0,
        }
    }
}

/// Handshake timing as seen from the capture point.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Handshake {
    /// From the last SYN before the first SYN-ACK, to that SYN-ACK.
    pub syn_to_synack: Option<Duration>,
    /// From the last SYN-ACK before the originator's first ACK of it, to that ACK.
    pub synack_to_ack: Option<Duration>,
    /// From the attempt's first SYN to the ACK that completes the handshake, SYN retries
    /// included: what connect() waited, as the capture point saw it.
    pub connect_time: Option<Duration>,
}

/// A connection: both sides, counters, and what its handshake and RSTs looked like.
#[derive(Clone, Debug)]
pub struct Connection {
    /// The frame number of its first segment: unique within a capture, and the same however the
    /// work is split.
    pub id: u64,
    pub orig: Endpoint,
    pub resp: Endpoint,
    pub opening: Opening,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    pub first_frame: u64,
    pub last_frame: u64,
    pub sides: [Side; 2],
    pub handshake: Handshake,
    pub rst: Option<RstInfo>,
    /// The first RST that closed something (the first RST may have been out of the window).
    pub accepted_rst: Option<RstInfo>,
    pub rst_segments: u32,
    /// RSTs outside the receiver's window, and the first of them.
    pub rst_out_of_window: u32,
    pub first_out_of_window_rst: Option<RstInfo>,
    /// RSTs in the receiver's window but not at its RCV.NXT (RFC 5961 §3.2): rare, boxed.
    pub challenged: Option<Box<Challenged>>,
    /// The side a challenged RST went to, until its next segment shows whether it answered.
    awaiting_challenge_ack: Option<Dir>,
    /// SYN-ACKs with another ISN than their sender's first: rare, boxed. If the peer
    /// acknowledges that ISN, it becomes the handshake's SYN-ACK.
    other_synack: Option<Box<OtherSynAck>>,
    /// The accepted RST came from an endpoint without state (RFC 9293 §3.10.7.1: no ACK bit,
    /// sequence number taken from the ACK of the data it answers): the peer had lost the
    /// connection (§3.5.1 half-open).
    pub lost_state_rst: bool,
    /// RSTs that answered the originator's SYN (the SYN retried after each: Windows does twice).
    pub refusals: u32,
    /// SYNs re-sent while the previous one had no answer (no SYN-ACK, RST or ICMP error between
    /// them): the lost ones HS001 is about.
    pub syn_retries_unanswered: u32,
    /// Something answered the originator's latest SYN.
    syn_answered: bool,
    /// The frame of the originator's ACK that completed the handshake (first ACK of the
    /// SYN-ACK).
    pub final_ack_frame: Option<u64>,
    /// The earliest ACK of the responder's SYN-ACK since its last SYN-ACK, while the responder
    /// has sent nothing but SYN-ACKs.
    unanswered_ack: Option<Timestamp>,
    /// How many SYN-ACKs the responder sent more than a round trip after such an ACK: each
    /// ignored an ACK that had arrived.
    pub ignored_acks: u8,
    /// The ICMP error that answered the SYN (a hard one, if any came).
    pub icmp: Option<IcmpAnswer>,
    /// Data re-sent again and again, zero windows (DT001, DT002).
    pub data_trouble: Option<Box<DataTrouble>>,
    /// The responder ignored a captured final ACK (it retransmitted its SYN-ACK after it) or
    /// reset it: accept-queue overflow, or TCP_DEFER_ACCEPT (HS006). Rare, boxed.
    pub overflow: Option<Box<Overflow>>,
    /// Segments with data or FIN a side sent after the peer's accepted RST: count, first frame,
    /// and which side.
    pub after_rst: Option<(Dir, u32, u64)>,
    /// The previous segment of this connection: who sent it, its ACK number, its payload
    /// length plus one for a FIN.
    prev: Option<(Dir, Option<SeqNum>, u32)>,
    /// Segments with SYN together with FIN or RST: not fed to the state machine.
    pub odd_flag_segments: u32,
    /// Every state change, when asked for.
    pub transitions: Option<Box<Vec<Transition>>>,
    /// A new SYN reused this 4-tuple while the previous connection on it was in TIME-WAIT.
    pub reused_time_wait: bool,
    /// When the connection left the table: 2×MSL after it finished, when a new SYN reused its
    /// 4-tuple, or the end of the capture. Set by the flow table.
    pub ended_at: Option<Timestamp>,
    /// The table was full and this connection, idle the longest, was retired before it ended.
    pub retired: bool,
    /// When it is due to leave the table, once finished (the flow table's bookkeeping).
    pub(crate) leave_at: Option<Timestamp>,
    /// When its one pending timer in the flow table fires, if it has one.
    pub(crate) timer_at: Option<Timestamp>,
    /// Its segments so far, while it is only an attempt: what the flow table keeps of it once
    /// it goes quiet (`flow::table`). None once it is more, or when the table compacts nothing.
    pub(crate) replay: Option<crate::decode::SegmentLog>,
    /// The timeline's clock at its latest segment (set by the flow table): its timers (2×MSL,
    /// the idle timeout) run from here, so a connection whose frames carry times behind the
    /// clock (two hosts' captures merged, clocks apart) is not taken for idle. Its own
    /// timestamps stay its own.
    pub(crate) clock: Timestamp,
    /// A side reached ESTABLISHED at some point.
    established: bool,
    /// 2×MSL, in nanoseconds: all a connection keeps of the run's `TcpConfig` (8 bytes, not 40).
    time_wait_ns: u64,
}

impl Connection {
    /// A connection whose first segment is `seg`, sent by `orig` (or by `resp` when the first
    /// segment is a SYN-ACK or Zeek's rule flipped a mid-stream pickup).
    pub fn new(seg: &TcpSegment, orig: Endpoint, resp: Endpoint, cfg: TcpConfig) -> Self {
        let opening = if seg.flags.syn() && !seg.flags.ack() {
            Opening::Syn
        } else if seg.flags.syn() {
            Opening::SynAck
        } else {
            Opening::Midstream
        };
        Connection {
            id: seg.frame,
            orig,
            resp,
            opening,
            first_ts: seg.ts,
            last_ts: seg.ts,
            first_frame: seg.frame,
            last_frame: seg.frame,
            sides: [Side::new(), Side::new()],
            handshake: Handshake::default(),
            rst: None,
            accepted_rst: None,
            rst_segments: 0,
            rst_out_of_window: 0,
            first_out_of_window_rst: None,
            challenged: None,
            awaiting_challenge_ack: None,
            other_synack: None,
            lost_state_rst: false,
            refusals: 0,
            syn_retries_unanswered: 0,
            syn_answered: false,
            final_ack_frame: None,
            unanswered_ack: None,
            ignored_acks: 0,
            icmp: None,
            data_trouble: None,
            overflow: None,
            after_rst: None,
            prev: None,
            odd_flag_segments: 0,
            // A connection through its handshake and close changes state about eight times.
            transitions: cfg.transitions.then(|| Box::new(Vec::with_capacity(8))),
            reused_time_wait: false,
            ended_at: None,
            retired: false,
            leave_at: None,
            timer_at: None,
            replay: None,
            clock: seg.ts,
            established: false,
            time_wait_ns: u64::try_from(cfg.time_wait.as_nanos()).unwrap_or(u64::MAX),
        }
    }

    pub fn side(&self, d: Dir) -> &Side {
        &self.sides[d.idx()]
    }

    fn side_mut(&mut self, d: Dir) -> &mut Side {
        &mut self.sides[d.idx()]
    }

    pub fn endpoint(&self, d: Dir) -> Endpoint {
        match d {
            Dir::Orig => self.orig,
            Dir::Resp => self.resp,
        }
    }

    /// The direction a segment travels in.
    pub fn dir_of(&self, seg: &TcpSegment) -> Dir {
        if seg.src == self.orig {
            Dir::Orig
        } else {
            Dir::Resp
        }
    }

    /// The handshake completed at some point (or the connection was picked up established).
    pub fn was_established(&self) -> bool {
        self.established
    }

    pub fn is_midstream(&self) -> bool {
        self.opening == Opening::Midstream
    }

    /// Neither side expects anything more: both are CLOSED, LISTEN or TIME-WAIT (or one of
    /// them is and the other never showed itself).
    pub fn is_finished(&self) -> bool {
        let [o, r] = [self.sides[0].state, self.sides[1].state];
        let done = |s: State| s.is_done() || s == State::Unknown;
        done(o) && done(r) && (o != State::Unknown || r != State::Unknown)
    }

    /// Applies `event` to side `d`, recording the change. A change that a side's TCP answers
    /// with an ACK (a SYN-ACK, a FIN, or an ACK reaching a side the capture knows nothing of)
    /// is inferred until the side sends something.
    fn apply(&mut self, d: Dir, event: Event, seg: &TcpSegment) {
        let side = &self.sides[d.idx()];
        let from = side.state;
        let to = next(from, event, side.passive);
        self.set_state(d, to, Some(seg.frame), seg.ts);
        if from != to {
            let answered = matches!(
                event,
                Event::RcvdSynAck | Event::RcvdSynchronizedAck | Event::RcvdFin
            );
            self.side_mut(d).inferred = answered;
        }
    }

    /// Every change of state goes through here.
    /// Takes side `d` back to `to`, the state it had before an inference that later segments
    /// contradicted (a SYN-ACK or a FIN taken as received too early); the transitions recorded
    /// since go with it. With [`Connection::set_state`], the only ways a state changes.
    fn undo_state(&mut self, d: Dir, to: State, transitions_before: usize) {
        let side = &mut self.sides[d.idx()];
        side.state = to;
        if to != State::CloseWait {
            side.close_wait_since = None;
        }
        if let Some(log) = &mut self.transitions {
            log.truncate(transitions_before);
        }
    }

    fn set_state(&mut self, d: Dir, to: State, frame: Option<u64>, ts: Timestamp) {
        let side = &mut self.sides[d.idx()];
        let from = side.state;
        if from == to {
            return;
        }
        side.state = to;
        side.state_since = Some(ts);
        self.established |= to == State::Established;
        if to == State::TimeWait {
            side.time_wait_since = Some(ts.max(self.clock));
        }
        if to == State::CloseWait {
            side.close_wait_since.get_or_insert(ts);
        }
        if let Some(log) = &mut self.transitions {
            log.push(Transition {
                frame,
                ts,
                side: d,
                from,
                to,
            });
        }
    }

    /// Ends TIME-WAIT for side `d` at `ts`: its 2×MSL elapsed while the connection was still
    /// unfinished (its peer in LAST-ACK), or in a simultaneous close. (A new SYN on the 4-tuple
    /// changes nothing of the old connection: its side finished in TIME-WAIT.)
    pub fn end_time_wait(&mut self, d: Dir, ts: Timestamp) {
        let side = &self.sides[d.idx()];
        let to = next(side.state, Event::TimeWaitElapsed, side.passive);
        self.set_state(d, to, None, ts);
    }

    /// When side `d`'s TIME-WAIT ends by the clock, if it is in TIME-WAIT.
    pub fn time_wait_deadline(&self, d: Dir) -> Option<Timestamp> {
        let s = self.side(d);
        (s.state == State::TimeWait)
            .then_some(s.time_wait_since)
            .flatten()
            .map(|t| t.saturating_add(Duration::from_nanos(self.time_wait_ns)))
    }

    /// The clock at its latest segment, or its latest time if later: what its timers run from.
    pub fn last_clock(&self) -> Timestamp {
        self.clock.max(self.last_ts)
    }

    /// Feeds one segment of this connection (or an ICMP error quoting one: see `on_icmp`).
    pub fn on_segment(&mut self, seg: &TcpSegment) {
        if seg.icmp.is_some() {
            return self.on_icmp(seg);
        }
        let d = self.dir_of(seg);
        self.last_ts = self.last_ts.max(seg.ts);
        self.last_frame = self.last_frame.max(seg.frame);
        if seg.duplicate {
            // A copy of a segment already fed (Zeek counts every frame it sees).
            let me = self.side_mut(d);
            me.duplicates = me.duplicates.saturating_add(1);
            return;
        }
        {
            let me = self.side_mut(d);
            me.packets += 1;
            me.ip_bytes += u64::from(seg.ip_len);
            me.payload_bytes += u64::from(seg.payload_len);
            me.first_ts.get_or_insert(seg.ts);
            me.last_ts = Some(me.last_ts.map_or(seg.ts, |t| t.max(seg.ts)));
        }
        let f = seg.flags;
        // What a side sends shows the state it is in: nothing about it is inferred any more
        // (a RST first asks whether it was: see `on_rst`).
        if !f.rst() {
            self.side_mut(d).inferred = false;
        }
        if self.awaiting_challenge_ack == Some(d) {
            // RFC 5961 §3.2: the receiver of a challenged RST answers with an ACK of its RCV.NXT.
            self.awaiting_challenge_ack = None;
            let pure_ack = f.ack() && !f.syn() && !f.fin() && !f.rst() && seg.payload_len == 0;
            if pure_ack && self.side(d).last_ack.is_none_or(|a| a == seg.ack) {
                if let Some(c) = &mut self.challenged {
                    c.ack_frame.get_or_insert(seg.frame);
                }
            }
        }
        // Still talking after the peer's RST: data or a FIN. (A RST answering is fine; a SYN
        // retried after a refusal is a new attempt, HS001's business.)
        if let Some(r) = self.accepted_rst {
            if r.by != d && !f.rst() && !f.syn() && (seg.payload_len > 0 || f.fin()) {
                let e = self.after_rst.get_or_insert((d, 0, seg.frame));
                e.1 += 1;
            }
        }
        // Flags normalized before the state machine sees them (SYN with FIN or RST is no state).
        if f.syn() && (f.fin() || f.rst()) {
            self.odd_flag_segments += 1;
        } else if f.rst() {
            self.on_rst(d, seg);
        } else if f.syn() {
            self.on_syn(d, seg);
        } else {
            self.on_other(d, seg);
        }
        let len = seg.payload_len.saturating_add(u32::from(f.fin()));
        self.prev = Some((d, f.ack().then_some(seg.ack), len));
    }

    fn on_syn(&mut self, d: Dir, seg: &TcpSegment) {
        let peer = d.other();
        let syn_end = seg.seq + 1 + seg.payload_len;
        let synack = seg.flags.ack();
        let same_isn = {
            let me = self.side_mut(d);
            let same_isn = match me.isn {
                None => {
                    me.isn = Some(seg.seq);
                    true
                }
                Some(isn) => isn == seg.seq,
            };
            // The same ISN again is a retransmission (§3.8.1). Another ISN on a live handshake is
            // no retransmission; the flow table decides whether a SYN with one is a new
            // connection, and a SYN-ACK with one is kept aside until the peer says which it took.
            if same_isn {
                // A SYN captured after its SYN-ACK (which told its ISN) still gives its options.
                me.options.get_or_insert(seg.options);
                if synack {
                    me.synack_isns = me.synack_isns.max(1);
                    me.synack.record(seg);
                } else {
                    me.syn.record(seg);
                }
                me.advance_snd_nxt(syn_end);
            }
            me.window = seg.window;
            same_isn
        };
        // A SYN re-sent while nothing answered the previous one was lost (HS001); one re-sent
        // after a RST or an ICMP error answered it is a client retrying a refusal.
        if !synack && same_isn && d == Dir::Orig {
            if self.side(d).syn.sent > 1 && !self.syn_answered {
                self.syn_retries_unanswered += 1;
            }
            self.syn_answered = false;
        }
        if synack && !same_isn {
            match &mut self.other_synack {
                Some(o) if o.by == d && o.isn == seg.seq => {
                    o.sent += 1;
                    o.last_ts = seg.ts;
                }
                o => {
                    let me = &mut self.sides[d.idx()];
                    me.synack_isns = me.synack_isns.saturating_add(1);
                    *o = Some(Box::new(OtherSynAck {
                        by: d,
                        isn: seg.seq,
                        sent: 1,
                        first_frame: seg.frame,
                        first_ts: seg.ts,
                        last_ts: seg.ts,
                    }));
                }
            }
        }
        if synack {
            self.side_mut(d).last_ack = Some(seg.ack);
            // SYN→SYN-ACK: from the last SYN sent before the first SYN-ACK.
            if self.side(d).synack.sent == 1 {
                if let Some(t) = self.side(peer).syn.last_ts {
                    self.handshake.syn_to_synack = Some(seg.ts.since(t));
                }
            }
            let crossed_ack = self.synack_after_ack(d, seg);
            let passive = matches!(
                self.side(d).state,
                State::Unknown | State::Closed | State::Listen
            );
            if passive {
                self.side_mut(d).passive = true;
            }
            // Sending a SYN-ACK from SYN-SENT's successor means the peer's SYN-ACK, taken as
            // received, had not arrived yet: the two crossed (simultaneous open, §3.5 Figure 8).
            let crossed = self.side_mut(d).pending_synack.take();
            if let Some((before, transitions_before)) = crossed {
                self.undo_state(d, before, transitions_before);
            }
            if !crossed_ack {
                self.apply(d, Event::SentSynAck, seg);
            }
            if crossed.is_some() {
                self.apply(d, Event::RcvdSynAck, seg);
            }
            let acks = {
                let p = self.side(peer);
                p.isn.is_none() || p.acked_syn_by(seg.ack)
            };
            if acks {
                if peer == Dir::Orig {
                    self.syn_answered = true;
                }
                let before = self.side(peer).state;
                let transitions_before = self.transitions.as_ref().map_or(0, |t| t.len());
                self.apply(peer, Event::RcvdSynAck, seg);
                if before == State::SynSent && self.side(peer).state == State::Established {
                    self.side_mut(peer).pending_synack = Some((before, transitions_before));
                }
            }
            // A SYN-ACK whose SYN the capture has not seen (yet) tells that SYN's ISN: a SYN
            // arriving later with it is the same attempt (reordered capture).
            let p = self.side_mut(peer);
            if p.isn.is_none() {
                p.isn = Some(seg.ack - 1);
            }
        } else {
            self.apply(d, Event::SentSyn, seg);
            self.apply(peer, Event::RcvdSyn, seg);
        }
    }

    fn on_other(&mut self, d: Dir, seg: &TcpSegment) {
        let peer = d.other();
        let f = seg.flags;
        // A segment that is no SYN shows this side holds an established socket.
        self.side_mut(d).deaf = false;
        // The peer's FIN this side was taken to have received: does this segment agree?
        let undone = self.undo_uncorroborated_fin(d, seg);
        // An ACK after the peer's SYN-ACK: that SYN-ACK did arrive first.
        self.side_mut(d).pending_synack = None;
        self.classify_data(d, seg);
        if f.ack() {
            let handshake_open = matches!(
                self.side(d).state,
                State::SynSent | State::SynReceived | State::Unknown
            );
            self.side_mut(d).last_ack = Some(seg.ack);
            if self
                .side(d)
                .pending_fin
                .is_some_and(|p| seg.ack.after(p.fin_seq))
            {
                self.side_mut(d).pending_fin = None;
            }
            if self.other_synack.as_ref().is_some_and(|o| o.by == peer) {
                self.take_acknowledged_synack(peer, seg.ack);
            }
            let p = self.side(peer);
            if p.passive && u64::from(p.synack.sent) == p.packets && p.acked_syn_by(seg.ack) {
                self.unanswered_ack.get_or_insert(seg.ts);
            }
            // SYN-ACK→ACK: from the last SYN-ACK to the originator's first ACK of it; the
            // attempt's first SYN to that ACK is what connect() waited.
            if d == Dir::Orig && self.handshake.synack_to_ack.is_none() {
                let p = self.side(peer);
                if let (Some(t), true) = (p.synack.last_ts, p.acked_syn_by(seg.ack)) {
                    self.final_ack_frame = Some(seg.frame);
                    self.handshake.synack_to_ack = Some(seg.ts.since(t));
                    self.handshake.connect_time =
                        self.side(d).syn.first_ts.map(|t0| seg.ts.since(t0));
                }
            }
            if handshake_open {
                self.apply(d, Event::SentHandshakeAck, seg);
            }
        }
        let seg_end = seg.seq + seg.payload_len + u32::from(f.fin());
        if f.fin() {
            let me = self.side_mut(d);
            me.fin_frame.get_or_insert(seg.frame);
            me.fin_ts.get_or_insert(seg.ts);
            match me.fin_seq {
                Some(fs) if fs == seg.seq + seg.payload_len => me.fin_retransmits += 1,
                _ => me.fin_seq = Some(seg.seq + seg.payload_len),
            }
            self.apply(d, Event::SentFin, seg);
        }
        {
            let me = self.side_mut(d);
            me.window = seg.window;
            me.advance_snd_nxt(seg_end);
        }
        self.note_window(d, seg);
        if let Some(fin) = undone {
            // The peer's FIN arrives after what this side just sent.
            self.receive_fin(d, fin, seg);
        }
        // What reached the peer: RFC 9293 §3.10.7.4 processes the ACK, then the FIN.
        if f.ack() {
            let p = self.side(peer);
            if p.state == State::SynReceived && p.acked_syn_by(seg.ack) && !p.deaf {
                self.apply(peer, Event::RcvdAckOfSyn, seg);
            }
            if self.side(peer).state == State::Unknown {
                self.apply(peer, Event::RcvdSynchronizedAck, seg);
            }
            if self.side(peer).acked_fin_by(seg.ack) {
                self.side_mut(peer).fin_acked = true;
                self.apply(peer, Event::RcvdAckOfFin, seg);
            }
        }
        if f.fin() {
            if let Some(fin) = self.side(d).fin_seq {
                self.receive_fin(peer, fin, seg);
            }
        }
    }

    /// A SYN-ACK retransmitted by the listener `d` after the capture showed an ACK of it. Sent
    /// within a round trip of that ACK (the handshake's, at the capture point), the two
    /// crossed: the ACK still arrives, and `true` says the SYN-ACK changes no state. Sent
    /// later, the listener ignored the ACK (RFC 9293 §3.10.7.4: SYN-RECEIVED retransmits until
    /// acknowledged): Linux drops the final ACK when the accept queue is full
    /// (tcp_abort_on_overflow=0), or while TCP_DEFER_ACCEPT waits for data, and every later
    /// ACK of the SYN-ACK too, so the listener stays SYN-RECEIVED until it sends a segment only
    /// an established endpoint sends (HS006). Seen from the client's side the ACK may instead
    /// have been lost after the capture point; HS006 says which the capture supports.
    fn synack_after_ack(&mut self, d: Dir, seg: &TcpSegment) -> bool {
        let me = self.side(d);
        if !me.passive || me.isn != Some(seg.seq) || me.synack.sent < 2 {
            return false;
        }
        let Some(ack_ts) = self.unanswered_ack else {
            return false;
        };
        let h = self.handshake;
        let rtt = h.syn_to_synack.unwrap_or_default() + h.synack_to_ack.unwrap_or_default();
        if seg.ts.since(ack_ts) <= rtt {
            return me.state == State::Established;
        }
        self.unanswered_ack = None;
        self.ignored_acks = self.ignored_acks.saturating_add(1);
        self.side_mut(d).deaf = true;
        if let Some(ack_frame) = self.final_ack_frame {
            self.overflow.get_or_insert(Box::new(Overflow {
                ack_frame,
                frame: seg.frame,
                ts: seg.ts,
                by_rst: false,
            }));
        }
        false
    }

    /// The handshake ACK `ack` acknowledges the SYN-ACK side `d` sent with another ISN than its
    /// first: that one is the handshake's, and its sends are the retransmission count and the
    /// timings (the SYN→SYN-ACK time runs to its first send).
    fn take_acknowledged_synack(&mut self, d: Dir, ack: SeqNum) {
        let Some(o) = self.other_synack.as_deref().copied() else {
            return;
        };
        if ack != o.isn + 1 || self.side(d).isn.is_some_and(|isn| ack == isn + 1) {
            return;
        }
        self.other_synack = None;
        let syn_last = self.side(d.other()).syn.last_ts;
        let me = self.side_mut(d);
        me.isn = Some(o.isn);
        me.snd_nxt = Some(o.isn + 1);
        me.synack = Attempt {
            sent: o.sent,
            first_ts: Some(o.first_ts),
            last_ts: Some(o.last_ts),
            first_frame: Some(o.first_frame),
            intervals_us: None,
        };
        if let Some(t) = syn_last {
            self.handshake.syn_to_synack = Some(o.first_ts.since(t));
        }
    }

    /// An ICMP destination-unreachable quoting `seg`, a segment of this connection (RFC 5927 §4:
    /// it belongs here only if the quoted sequence number lies in what its sender has sent).
    /// Quoting the SYN of an attempt still opening, it answers it: a hard error ends the
    /// attempt, a soft one (network or host unreachable) is recorded while the SYN retries go
    /// on (RFC 1122 §4.2.3.9).
    fn on_icmp(&mut self, seg: &TcpSegment) {
        let Some(error) = seg.icmp else { return };
        let d = self.dir_of(seg);
        let me = self.side(d).clone();
        let in_window = match (me.isn, me.snd_nxt) {
            (Some(isn), Some(nxt)) => !seg.seq.before(isn) && !seg.seq.after(nxt),
            (Some(isn), None) => seg.seq == isn,
            _ => true,
        };
        if !in_window {
            return;
        }
        let quotes_syn = if error.flags_quoted {
            seg.flags.syn() && !seg.flags.ack()
        } else {
            me.isn == Some(seg.seq)
        };
        let opening = matches!(me.state, State::SynSent | State::SynReceived);
        if !(quotes_syn && opening && d == Dir::Orig) {
            return;
        }
        self.syn_answered = true;
        let answer = IcmpAnswer {
            frame: seg.frame,
            ts: seg.ts,
            error,
        };
        match self.icmp {
            Some(a) if a.error.is_hard() || !error.is_hard() => {}
            _ => self.icmp = Some(answer),
        }
        if error.is_hard() {
            self.last_frame = self.last_frame.max(seg.frame);
            self.apply(d, Event::RcvdHardUnreachable, seg);
        }
    }

    /// The answer the attempt got when it never completed: the first RST, or else the ICMP
    /// error that quoted its SYN (kind `icmp`, "by" the side the SYN went to).
    pub fn answer(&self) -> Option<RstInfo> {
        self.rst.or_else(|| {
            let a = self.icmp.filter(|_| !self.established)?;
            Some(RstInfo {
                by: Dir::Resp,
                frame: a.frame,
                ts: a.ts,
                state: self.side(Dir::Resp).state,
                kind: RstKind::Icmp,
            })
        })
    }

    /// Side `d` receives the peer's FIN occupying `fin_seq`.
    fn receive_fin(&mut self, d: Dir, fin_seq: SeqNum, seg: &TcpSegment) {
        let before = self.side(d).state;
        let inferred_before = self.side(d).inferred;
        let transitions_before = self.transitions.as_ref().map_or(0, |t| t.len());
        self.apply(d, Event::RcvdFin, seg);
        let after = self.side(d).state;
        if after == State::TimeWait && before == State::TimeWait {
            // §3.10.7.4: a retransmitted FIN in TIME-WAIT restarts the 2 MSL timeout.
            self.side_mut(d).time_wait_since = Some(seg.ts.max(self.clock));
        }
        if matches!(after, State::CloseWait | State::Closing) && before != after {
            self.side_mut(d).pending_fin = Some(PendingFin {
                fin_seq,
                before,
                inferred_before,
                transitions_before,
            });
        }
    }

    /// The connection has ended: settle what only its whole history tells. A FIN sent again and
    /// again, never acknowledged, to a peer that sent nothing after it, did not arrive: the peer
    /// never left the state it was in (its kernel would have acknowledged the FIN at once).
    pub fn settle(&mut self) {
        for d in [Dir::Orig, Dir::Resp] {
            let sender = self.side(d.other());
            let (Some(fin_ts), Some(p)) = (sender.fin_ts, self.side(d).pending_fin) else {
                continue;
            };
            let silent_since = self.side(d).last_ts.is_none_or(|t| t < fin_ts);
            if sender.fin_retransmits > 0 && !sender.fin_acked && silent_since {
                let side = self.side_mut(d);
                side.pending_fin = None;
                side.inferred = p.inferred_before;
                self.undo_state(d, p.before, p.transitions_before);
            }
        }
    }

    /// If side `d` is taken to have received the peer's FIN but now sends a segment whose ACK does
    /// not cover it, the FIN had not arrived: go back to the state before it. Returns the FIN
    /// to apply again once this segment's own events are done.
    fn undo_uncorroborated_fin(&mut self, d: Dir, seg: &TcpSegment) -> Option<SeqNum> {
        let p = self.side(d).pending_fin?;
        if !seg.flags.ack() || seg.ack.after(p.fin_seq) {
            return None;
        }
        let side = self.side_mut(d);
        side.pending_fin = None;
        side.inferred = p.inferred_before;
        self.undo_state(d, p.before, p.transitions_before);
        Some(p.fin_seq)
    }

    /// Counts retransmitted data, keep-alives and zero-window probes.
    fn classify_data(&mut self, d: Dir, seg: &TcpSegment) {
        let peer_window = self.side(d.other()).window;
        let peer_seen = self.side(d.other()).packets > 0;
        let me = self.side_mut(d);
        let Some(nxt) = me.snd_nxt else { return };
        let len = seg.payload_len;
        if !seg.seq.before(nxt) {
            return;
        }
        // Keep-alive (RFC 9293 §3.8.4): one byte before SND.NXT, with zero or one byte of data.
        // Zero-window probe (§3.8.6.1): the same shape, while the peer advertises no window.
        let probe_shape = len <= 1 && seg.seq == nxt - 1 && !seg.flags.fin();
        if probe_shape {
            if peer_seen && peer_window == 0 {
                me.zero_window_probes += 1;
            } else {
                me.keepalives += 1;
            }
        } else if len > 0 {
            // All of it, or its start, was sent before.
            me.retransmits += 1;
            self.note_retransmission(d, seg);
        }
    }

    /// A run of retransmissions of the same data (DT001): the latest sequence number re-sent,
    /// how often, and whether the gaps grow as a retransmission timer's do (RFC 6298 §5.5).
    fn note_retransmission(&mut self, d: Dir, seg: &TcpSegment) {
        let t = self.data_trouble.get_or_insert_with(Default::default);
        let run = &mut t.rtx[d.idx()];
        match run {
            Some(r) if r.seq == seg.seq => {
                let gap = seg.ts.since(r.last_ts);
                // A timer backing off doubles the gap; jitter may shave a little off.
                r.growing &= gap.as_nanos() * 10 >= r.last_gap.as_nanos() * 9;
                r.last_gap = gap;
                r.count += 1;
                r.last_ts = seg.ts;
            }
            _ => {
                *run = Some(RtxRun {
                    seq: seg.seq,
                    end: seg.seq + seg.payload_len,
                    count: 1,
                    growing: true,
                    first_frame: seg.frame,
                    first_ts: seg.ts,
                    last_ts: seg.ts,
                    last_gap: Duration::ZERO,
                })
            }
        }
    }

    /// The window side `d` advertises (DT002): when it falls to zero, and how long it stays.
    fn note_window(&mut self, d: Dir, seg: &TcpSegment) {
        let zero = seg.window == 0;
        if !zero && self.data_trouble.is_none() {
            return;
        }
        let t = self.data_trouble.get_or_insert_with(Default::default);
        let z = &mut t.zero_window[d.idx()];
        match (zero, z.since) {
            (true, None) => z.since = Some((seg.frame, seg.ts)),
            (false, Some(from)) => {
                let held = seg.ts.since(from.1);
                if held > z.longest {
                    z.longest = held;
                    z.longest_from = Some(from);
                }
                z.since = None;
            }
            _ => {}
        }
    }

    fn on_rst(&mut self, d: Dir, seg: &TcpSegment) {
        let peer = d.other();
        self.rst_segments += 1;
        let sender = self.side(d);
        let receiver_state = self.side(peer).state;
        let place = self.rst_place(d, seg);
        // A side that never acknowledged anything, taken to be synchronized only because a
        // SYN-ACK reached it, that sends a RST without ACK has no TCB for the connection:
        // RFC 9293 §3.10.7.1, the answer of a CLOSED port (a scanner resetting the SYN-ACK its
        // raw SYN drew), not an abort from ESTABLISHED.
        let no_tcb = sender.inferred && sender.last_ack.is_none() && !seg.flags.ack();
        self.side_mut(d).inferred = false;
        let sender = self.side(d).clone();
        let kind = match place {
            RstPlace::OutOfWindow => RstKind::OutOfWindow,
            RstPlace::InWindow => RstKind::Challenged,
            RstPlace::Exact if receiver_state == State::SynSent => RstKind::Refused,
            RstPlace::Exact
                if matches!(
                    sender.state,
                    State::Closed | State::TimeWait | State::Listen
                ) =>
            {
                RstKind::AfterClose
            }
            RstPlace::Exact => RstKind::Abort,
        };
        // A RST answering a SYN comes from CLOSED too: no TCB exists for it (§3.10.7.1).
        let refused_unknown = kind == RstKind::Refused && sender.state == State::Unknown;
        // A listener that sent only SYN-ACKs and answers the final ACK with <SEQ=SEG.ACK><RST>
        // never accepted: Linux with tcp_abort_on_overflow=1 and a full accept queue.
        let answers_final_ack = place == RstPlace::Exact
            && !seg.flags.ack()
            && sender.passive
            && u64::from(sender.synack.sent) + 1 == sender.packets
            && self.final_ack_frame.is_some()
            && matches!(self.prev, Some((pd, Some(ack), 0)) if pd == peer && ack == seg.seq);
        if answers_final_ack {
            self.overflow.get_or_insert(Box::new(Overflow {
                ack_frame: self.final_ack_frame.unwrap_or_default(),
                frame: seg.frame,
                ts: seg.ts,
                by_rst: true,
            }));
        }
        let state = if (no_tcb && place == RstPlace::Exact) || refused_unknown {
            State::Closed
        } else if answers_final_ack {
            State::SynReceived
        } else {
            sender.state
        };
        let info = RstInfo {
            by: d,
            frame: seg.frame,
            ts: seg.ts,
            state,
            kind,
        };
        self.rst.get_or_insert(info);
        match place {
            RstPlace::OutOfWindow => {
                // RFC 5961 §3.2: out of the window, a RST is dropped and changes nothing.
                self.rst_out_of_window += 1;
                self.first_out_of_window_rst.get_or_insert(info);
                return;
            }
            RstPlace::InWindow => {
                // RFC 5961 §3.2: in the window but not exactly at RCV.NXT, the receiver sends a
                // challenge ACK and changes nothing.
                let c = self.challenged.get_or_insert_with(|| {
                    Box::new(Challenged {
                        count: 0,
                        first: info,
                        ack_frame: None,
                    })
                });
                c.count += 1;
                self.awaiting_challenge_ack = Some(peer);
                return;
            }
            RstPlace::Exact => {}
        }
        if kind == RstKind::Refused {
            self.refusals += 1;
            self.syn_answered = true;
        }
        if self.accepted_rst.is_none() {
            self.accepted_rst = Some(info);
            // §3.10.7.1: an endpoint without a TCB answers an ACK-bearing segment with
            // <SEQ=SEG.ACK><CTL=RST>, no ACK bit. Answering the peer's data on a connection that
            // was synchronized and never closed, that is the §3.5.1 half-open connection.
            // (A FIN counts as data here: `prev` adds one for it.)
            let answers_data = matches!(self.prev, Some((pd, Some(ack), len)) if pd == peer && len > 0 && ack == seg.seq);
            let no_close_before =
                self.side(d).fin_seq.is_none() && self.side(peer).fin_seq.is_none();
            self.lost_state_rst = kind == RstKind::Abort
                && !seg.flags.ack()
                && answers_data
                && no_close_before
                && self.established;
        }
        self.apply(d, Event::SentRst, seg);
        self.apply(peer, Event::RcvdRst, seg);
    }

    /// Where a RST from `d` falls for its receiver. RFC 9293 §3.10.7.3: in SYN-SENT the RST must
    /// acknowledge the SYN. Elsewhere RFC 5961 §3.2 (which §3.10.7.4 adopts): only a sequence
    /// number equal to RCV.NXT resets; elsewhere in the window it draws a challenge ACK;
    /// outside it, nothing. RCV.NXT is the last acknowledgment the receiver sent; the capture
    /// may sit nearer the sender than the receiver, so the sender's own SND.NXT (everything it
    /// sent has arrived) is RCV.NXT too.
    fn rst_place(&self, d: Dir, seg: &TcpSegment) -> RstPlace {
        let me = self.side(d);
        let rcv = self.side(d.other());
        if rcv.state == State::SynSent {
            return if seg.flags.ack() && rcv.acked_syn_by(seg.ack) {
                RstPlace::Exact
            } else {
                RstPlace::OutOfWindow
            };
        }
        if me.snd_nxt == Some(seg.seq) {
            return RstPlace::Exact;
        }
        let Some(rcv_nxt) = rcv.last_ack else {
            // The receiver never told its window: nothing to hold the RST against.
            return RstPlace::Exact;
        };
        if seg.seq == rcv_nxt {
            return RstPlace::Exact;
        }
        let scale = match (
            rcv.options.and_then(|o| o.wscale),
            me.options.and_then(|o| o.wscale),
        ) {
            (Some(r), Some(_)) => u32::from(r.min(14)),
            _ => 0,
        };
        let window = (u32::from(rcv.window) << scale).max(1);
        if seg.seq.in_window(rcv_nxt, window) {
            RstPlace::InWindow
        } else {
            RstPlace::OutOfWindow
        }
    }
}

#[cfg(test)]
mod tests;
