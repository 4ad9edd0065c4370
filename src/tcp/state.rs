//! The eleven states of RFC 9293 §3.3.2 (plus UNKNOWN for a side the capture says nothing about)
//! and the transitions between them, as one table.
//!
//! synack does not run a TCP; it watches one. Each [`Event`] is something the capture shows an
//! endpoint doing (sending a SYN, a FIN, a RST, an ACK that completes its handshake) or having
//! done to it (a SYN-ACK, an ACK of its FIN, a FIN, an acceptable RST reaching it). [`next`]
//! maps a state and an event to the next state, following the RFC's event processing
//! (§3.10) and its state diagram (§3.3.2, Figure 5).

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
    /// The side sent nothing and nothing the capture shows implies its state.
    Unknown,
}

impl State {
    pub const ALL: [State; 12] = [
        State::Closed,
        State::Listen,
        State::SynSent,
        State::SynReceived,
        State::Established,
        State::FinWait1,
        State::FinWait2,
        State::CloseWait,
        State::Closing,
        State::LastAck,
        State::TimeWait,
        State::Unknown,
    ];

    /// Spelled as RFC 9293 spells it.
    pub fn name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
            State::Unknown => "UNKNOWN",
        }
    }

    /// The synchronized states of RFC 9293 §3.5 (the handshake is behind them).
    pub fn is_synchronized(self) -> bool {
        matches!(
            self,
            State::Established
                | State::FinWait1
                | State::FinWait2
                | State::CloseWait
                | State::Closing
                | State::LastAck
                | State::TimeWait
        )
    }

    /// Nothing more is expected from a side in this state (TIME-WAIT only waits out 2×MSL).
    pub fn is_done(self) -> bool {
        matches!(self, State::Closed | State::Listen | State::TimeWait)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for State {
    type Err = String;
    /// Accepts the RFC spelling in any case, with `-` or `_`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let want = s.trim().to_ascii_uppercase().replace('_', "-");
        State::ALL
            .into_iter()
            .find(|st| st.name() == want)
            .ok_or_else(|| format!("unknown state {s:?}"))
    }
}

/// What the capture shows happening to one endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// It sent a SYN without ACK.
    SentSyn,
    /// It sent a SYN-ACK.
    SentSynAck,
    /// It sent a segment with ACK, no SYN, while its handshake was open: it has completed it.
    SentHandshakeAck,
    /// It sent a FIN.
    SentFin,
    /// It sent a RST (one the receiver can accept: a forged or stale one changes nothing).
    SentRst,
    /// A SYN without ACK reached it.
    RcvdSyn,
    /// A SYN-ACK acknowledging its SYN reached it.
    RcvdSynAck,
    /// An ACK of its SYN (or SYN-ACK) reached it.
    RcvdAckOfSyn,
    /// A segment with ACK reached it although it has sent nothing: its peer is synchronized, so
    /// it is too.
    RcvdSynchronizedAck,
    /// An ACK of its FIN reached it.
    RcvdAckOfFin,
    /// A FIN reached it.
    RcvdFin,
    /// An acceptable RST reached it (RFC 9293 §3.10.7.3/§3.10.7.4, RFC 5961 §3).
    RcvdRst,
    /// A hard ICMP destination-unreachable quoting its SYN reached it (port or protocol
    /// unreachable, administratively prohibited).
    RcvdHardUnreachable,
    /// 2×MSL passed in TIME-WAIT.
    TimeWaitElapsed,
}

/// The next state of an endpoint in `state` after `event`. `passive`: the endpoint reached
/// SYN-RECEIVED from LISTEN (it answered a SYN) rather than from SYN-SENT.
pub fn next(state: State, event: Event, passive: bool) -> State {
    use Event::*;
    use State::*;
    match (state, event) {
        // §3.10.1 OPEN, active: CLOSED → SYN-SENT, a SYN goes out. A SYN sent again from
        // SYN-SENT is its retransmission (§3.8.1).
        (Closed | Unknown | Listen | SynSent, SentSyn) => SynSent,
        // A SYN with the same ISN from a later state is an old duplicate; a new ISN is a new
        // connection, which the flow table starts.
        (_, SentSyn) => state,
        // §3.10.7.2 LISTEN: a SYN arrives → SYN-RECEIVED, a SYN-ACK goes out. Seeing the SYN-ACK
        // means the endpoint was listening.
        (Closed | Unknown | Listen, SentSynAck) => SynReceived,
        // §3.10.7.3 SYN-SENT, SYN without ACK arrives (simultaneous open) → SYN-RECEIVED, and
        // the endpoint sends SYN-ACK. A SYN-ACK sent again from SYN-RECEIVED is its
        // retransmission (§3.8.1).
        (SynSent | SynReceived, SentSynAck) => SynReceived,
        // §3.10.7.4 SYN-RECEIVED keeps retransmitting its SYN-ACK until it is acknowledged: a
        // retransmission after an ACK the capture saw means that ACK never reached a listener.
        // (In a simultaneous open the two SYN-ACKs cross; a late one changes nothing.)
        (Established, SentSynAck) if passive => SynReceived,
        (_, SentSynAck) => state,
        // §3.10.7.3 SYN-SENT: a SYN-ACK that acknowledges our SYN → ESTABLISHED and an ACK goes
        // out; §3.10.7.4 SYN-RECEIVED: once our SYN is acknowledged → ESTABLISHED. Sending an
        // ACK that is not a SYN shows the endpoint got there.
        (SynSent | SynReceived, SentHandshakeAck) => Established,
        // §3.5 A segment with ACK comes from a synchronized endpoint: picked up mid-stream.
        (Unknown, SentHandshakeAck) => Established,
        (_, SentHandshakeAck) => state,
        // §3.10.4 CLOSE: ESTABLISHED or SYN-RECEIVED → FIN-WAIT-1; CLOSE-WAIT → LAST-ACK. A FIN
        // sent again from FIN-WAIT-1, CLOSING or LAST-ACK is its retransmission.
        (Established | SynReceived, SentFin) => FinWait1,
        (CloseWait, SentFin) => LastAck,
        (_, SentFin) => state,
        // §3.10.5 ABORT: a RST goes out, the endpoint enters CLOSED.
        (_, SentRst) => Closed,
        // §3.10.7.3 SYN-SENT, a SYN without ACK arrives: simultaneous open → SYN-RECEIVED.
        (SynSent, RcvdSyn) => SynReceived,
        // §3.10.7.2: whether a SYN reaching an endpoint that sent nothing finds a listener, only
        // its answer tells (a SYN-ACK, a RST, or nothing at all).
        (_, RcvdSyn) => state,
        // §3.10.7.3 SYN-SENT: a SYN-ACK whose ACK is acceptable → ESTABLISHED. A SYN-ACK reaching
        // an endpoint that sent nothing implies it had sent the SYN (the capture missed it).
        (SynSent | Unknown, RcvdSynAck) => Established,
        // §3.10.7.4 SYN-RECEIVED after a simultaneous open: the peer's SYN-ACK acknowledges our
        // SYN → ESTABLISHED.
        (SynReceived, RcvdSynAck) => Established,
        (_, RcvdSynAck) => state,
        // §3.10.7.4 fifth, SYN-RECEIVED: SND.UNA < SEG.ACK =< SND.NXT → ESTABLISHED.
        (SynReceived, RcvdAckOfSyn) => Established,
        (_, RcvdAckOfSyn) => state,
        // §3.5 An ACK-bearing segment reaching an endpoint the capture knows nothing of: only a
        // synchronized endpoint receives those.
        (Unknown, RcvdSynchronizedAck) => Established,
        (_, RcvdSynchronizedAck) => state,
        // §3.10.7.4 fifth: FIN-WAIT-1, our FIN acknowledged → FIN-WAIT-2; CLOSING → TIME-WAIT;
        // LAST-ACK → CLOSED.
        (FinWait1, RcvdAckOfFin) => FinWait2,
        (Closing, RcvdAckOfFin) => TimeWait,
        (LastAck, RcvdAckOfFin) => Closed,
        (_, RcvdAckOfFin) => state,
        // §3.10.7.4 eighth, FIN: SYN-RECEIVED or ESTABLISHED → CLOSE-WAIT; FIN-WAIT-1 (our FIN
        // not yet acknowledged) → CLOSING; FIN-WAIT-2 → TIME-WAIT. In CLOSE-WAIT, CLOSING,
        // LAST-ACK and TIME-WAIT a FIN is a retransmission (TIME-WAIT restarts its 2 MSL wait).
        (SynReceived | Established, RcvdFin) => CloseWait,
        (FinWait1, RcvdFin) => Closing,
        (FinWait2, RcvdFin) => TimeWait,
        (_, RcvdFin) => state,
        // §3.10.7.4 second, RST: SYN-RECEIVED from a passive OPEN returns to LISTEN, from an
        // active one to CLOSED; every synchronized state → CLOSED. §3.10.7.3: SYN-SENT with an
        // acceptable ACK → CLOSED ("connection reset"/refused).
        (SynReceived, RcvdRst) if passive => Listen,
        (
            SynSent | SynReceived | Established | FinWait1 | FinWait2 | CloseWait | Closing
            | LastAck | TimeWait,
            RcvdRst,
        ) => Closed,
        (Closed | Listen | Unknown, RcvdRst) => state,
        // RFC 1122 §4.2.3.9 and RFC 5927 §4: a hard ICMP error (port or protocol unreachable,
        // administratively prohibited) aborts a connection still opening; a synchronized one
        // only reports it (Linux, unless IP_RECVERR).
        (SynSent | SynReceived, RcvdHardUnreachable) => Closed,
        (_, RcvdHardUnreachable) => state,
        // §3.10.8 Timeouts: the 2 MSL time-wait timeout deletes the TCB → CLOSED.
        (TimeWait, TimeWaitElapsed) => Closed,
        (_, TimeWaitElapsed) => state,
        // RFC 9293 §3.6.1 (and RFC 6191): a new SYN may reopen a 4-tuple in TIME-WAIT; the old
        // incarnation ends. Any other leftover state ends with it too.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Event::*;
    use State::*;

    /// Runs `events` from `start` and returns every state visited.
    #[track_caller]
    fn walk(start: State, events: &[Event]) -> Vec<State> {
        let mut s = start;
        let mut out = vec![s];
        for e in events {
            s = next(s, *e, true);
            out.push(s);
        }
        out
    }

    #[test]
    fn names_are_the_rfcs() {
        assert_eq!(SynReceived.to_string(), "SYN-RECEIVED");
        assert_eq!(FinWait2.to_string(), "FIN-WAIT-2");
        assert_eq!("time_wait".parse::<State>(), Ok(TimeWait));
        assert!("ESTAB".parse::<State>().is_err());
    }

    #[test]
    fn active_open_and_active_close() {
        assert_eq!(
            walk(
                Closed,
                &[
                    SentSyn,
                    RcvdSynAck,
                    SentFin,
                    RcvdAckOfFin,
                    RcvdFin,
                    TimeWaitElapsed
                ]
            ),
            vec![
                Closed,
                SynSent,
                Established,
                FinWait1,
                FinWait2,
                TimeWait,
                Closed
            ]
        );
    }

    #[test]
    fn passive_open_and_passive_close() {
        assert_eq!(
            walk(
                Unknown,
                &[SentSynAck, RcvdAckOfSyn, RcvdFin, SentFin, RcvdAckOfFin]
            ),
            vec![
                Unknown,
                SynReceived,
                Established,
                CloseWait,
                LastAck,
                Closed
            ]
        );
    }

    #[test]
    fn simultaneous_open() {
        assert_eq!(
            walk(Closed, &[SentSyn, RcvdSyn, SentSynAck, RcvdSynAck]),
            vec![Closed, SynSent, SynReceived, SynReceived, Established]
        );
    }

    #[test]
    fn simultaneous_close_goes_through_closing() {
        assert_eq!(
            walk(Established, &[SentFin, RcvdFin, RcvdAckOfFin]),
            vec![Established, FinWait1, Closing, TimeWait]
        );
    }

    #[test]
    fn rst_in_syn_received_returns_a_passive_open_to_listen() {
        assert_eq!(next(SynReceived, RcvdRst, true), Listen);
        assert_eq!(next(SynReceived, RcvdRst, false), Closed);
    }

    #[test]
    fn rst_closes_every_synchronized_state() {
        for s in State::ALL.into_iter().filter(|s| s.is_synchronized()) {
            assert_eq!(next(s, RcvdRst, true), Closed, "{s}");
            assert_eq!(next(s, SentRst, true), Closed, "{s}");
        }
    }

    #[test]
    fn lost_final_ack_puts_the_server_back_in_syn_received() {
        assert_eq!(
            walk(Unknown, &[SentSynAck, RcvdAckOfSyn, SentSynAck]),
            vec![Unknown, SynReceived, Established, SynReceived]
        );
    }

    #[test]
    fn retransmissions_change_nothing() {
        assert_eq!(next(SynSent, SentSyn, true), SynSent);
        assert_eq!(next(FinWait1, SentFin, true), FinWait1);
        assert_eq!(next(TimeWait, RcvdFin, true), TimeWait);
        assert_eq!(next(CloseWait, RcvdFin, true), CloseWait);
    }

    #[test]
    fn nothing_is_implied_for_a_silent_endpoint_by_a_syn() {
        assert_eq!(next(Unknown, RcvdSyn, true), Unknown);
        assert_eq!(next(Unknown, RcvdRst, true), Unknown);
        assert_eq!(next(Unknown, RcvdSynchronizedAck, true), Established);
    }
}
