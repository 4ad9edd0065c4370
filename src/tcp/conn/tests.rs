//! Connection state tests, grouped by the state they drive a side into. Each builds a
//! connection from hand-made segments of one client (10.0.0.1:40000) and one server
//! (10.0.0.2:80); the kernel's own behaviour is checked against real captures in tests/kernel.rs.
use super::*;
use crate::decode::TcpFlags;
use std::net::{IpAddr, Ipv4Addr};

const CLIENT: Endpoint = Endpoint {
    addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
    port: 40000,
};
const SERVER: Endpoint = Endpoint {
    addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
    port: 80,
};
const C_ISN: u32 = 1000;
const S_ISN: u32 = 5000;

const SYN: u16 = TcpFlags::SYN;
const ACK: u16 = TcpFlags::ACK;
const FIN: u16 = TcpFlags::FIN;
const RST: u16 = TcpFlags::RST;
const PSH: u16 = TcpFlags::PSH;

/// Builds the segments of one conversation, numbering frames and advancing time 10 ms each.
struct Talk {
    conn: Option<Connection>,
    frame: u64,
    /// Extra time before the next segments (see `wait`).
    later_ns: i64,
}

impl Talk {
    fn new() -> Self {
        Talk {
            conn: None,
            frame: 0,
            later_ns: 0,
        }
    }

    fn send(&mut self, from_client: bool, flags: u16, seq: u32, ack: u32, len: u32) -> &mut Self {
        self.send_win(from_client, flags, seq, ack, len, 64240)
    }

    fn send_win(
        &mut self,
        from_client: bool,
        flags: u16,
        seq: u32,
        ack: u32,
        len: u32,
        window: u16,
    ) -> &mut Self {
        self.frame += 1;
        let (src, dst) = if from_client {
            (CLIENT, SERVER)
        } else {
            (SERVER, CLIENT)
        };
        let seg = TcpSegment {
            frame: self.frame,
            ts: Timestamp::from_nanos(self.frame as i64 * 10_000_000 + self.later_ns),
            seq: SeqNum(seq),
            ack: SeqNum(ack),
            window,
            ..TcpSegment::test(src, dst, flags, len)
        };
        let cfg = TcpConfig {
            transitions: true,
            ..TcpConfig::default()
        };
        match &mut self.conn {
            Some(c) => c.on_segment(&seg),
            None => {
                let (o, r) = if flags & SYN != 0 && flags & ACK != 0 {
                    (dst, src)
                } else {
                    (src, dst)
                };
                let mut c = Connection::new(&seg, o, r, cfg);
                c.on_segment(&seg);
                self.conn = Some(c);
            }
        }
        self
    }

    fn c(&mut self, flags: u16, seq: u32, ack: u32, len: u32) -> &mut Self {
        self.send(true, flags, seq, ack, len)
    }

    fn s(&mut self, flags: u16, seq: u32, ack: u32, len: u32) -> &mut Self {
        self.send(false, flags, seq, ack, len)
    }

    /// The next segment comes `ms` later than it would (10 ms after the previous one).
    fn wait(&mut self, ms: i64) -> &mut Self {
        self.later_ns += ms * 1_000_000;
        self
    }

    fn conn(&self) -> &Connection {
        self.conn.as_ref().expect("a segment was sent")
    }

    #[track_caller]
    fn states(&self, orig: State, resp: State) -> &Self {
        let c = self.conn();
        assert_eq!(
            (c.side(Dir::Orig).state, c.side(Dir::Resp).state),
            (orig, resp),
            "transitions: {:#?}",
            c.transitions
        );
        self
    }
}

/// SYN sent, nothing back.
fn conn_in_syn_sent() -> Talk {
    let mut t = Talk::new();
    t.c(SYN, C_ISN, 0, 0);
    t
}

/// SYN, SYN-ACK: the server waits for the final ACK.
fn conn_in_syn_received() -> Talk {
    let mut t = conn_in_syn_sent();
    t.s(SYN | ACK, S_ISN, C_ISN + 1, 0);
    t
}

/// A full handshake and one request/response of 10 and 20 bytes.
fn conn_established() -> Talk {
    let mut t = conn_in_syn_received();
    t.c(ACK, C_ISN + 1, S_ISN + 1, 0)
        .c(PSH | ACK, C_ISN + 1, S_ISN + 1, 10)
        .s(PSH | ACK, S_ISN + 1, C_ISN + 11, 20)
        .c(ACK, C_ISN + 11, S_ISN + 21, 0);
    t
}

/// Next sequence numbers after conn_established().
const C_NXT: u32 = C_ISN + 11;
const S_NXT: u32 = S_ISN + 21;

mod syn_sent {
    use super::*;

    #[test]
    fn lone_syn_leaves_the_server_unknown() {
        conn_in_syn_sent().states(State::SynSent, State::Unknown);
    }

    #[test]
    fn retransmitted_syns_are_counted_with_their_intervals() {
        let mut t = conn_in_syn_sent();
        t.c(SYN, C_ISN, 0, 0).c(SYN, C_ISN, 0, 0);
        let syn = &t.conn().side(Dir::Orig).syn;
        assert_eq!(syn.retransmits(), 2);
        assert_eq!(
            syn.intervals().collect::<Vec<_>>(),
            [Duration::from_millis(10), Duration::from_millis(10)]
        );
        t.states(State::SynSent, State::Unknown);
    }

    #[test]
    fn refused_by_rst_ack() {
        let mut t = conn_in_syn_sent();
        t.s(RST | ACK, 0, C_ISN + 1, 0);
        t.states(State::Closed, State::Closed);
        let rst = t.conn().rst.expect("rst");
        assert_eq!(
            (rst.by, rst.kind, rst.state),
            (Dir::Resp, RstKind::Refused, State::Closed)
        );
    }

    #[test]
    fn rst_that_does_not_acknowledge_the_syn_is_ignored() {
        // RFC 9293 §3.10.7.3: in SYN-SENT a RST is acceptable only if its ACK acknowledges the SYN.
        let mut t = conn_in_syn_sent();
        t.s(RST | ACK, 0, C_ISN + 77, 0);
        t.states(State::SynSent, State::Unknown);
        assert_eq!(t.conn().rst.map(|r| r.kind), Some(RstKind::OutOfWindow));
    }

    #[test]
    fn syn_retried_after_a_refusal_reopens_the_attempt() {
        let mut t = conn_in_syn_sent();
        t.s(RST | ACK, 0, C_ISN + 1, 0).c(SYN, C_ISN, 0, 0);
        t.states(State::SynSent, State::Closed);
        assert_eq!(t.conn().side(Dir::Orig).syn.retransmits(), 1);
    }
}

mod syn_received {
    use super::*;

    #[test]
    fn syn_ack_puts_the_client_in_established_and_the_server_in_syn_received() {
        conn_in_syn_received().states(State::Established, State::SynReceived);
    }

    #[test]
    fn final_ack_completes_the_handshake() {
        let mut t = conn_in_syn_received();
        t.c(ACK, C_ISN + 1, S_ISN + 1, 0);
        t.states(State::Established, State::Established);
        assert!(t.conn().handshake.synack_to_ack.is_some());
        assert!(t.conn().handshake.syn_to_synack.is_some());
    }

    #[test]
    fn syn_ack_retransmitted_after_the_final_ack_means_the_ack_was_lost() {
        // A second SYN-ACK a second after the ACK (the handshake's round trip is 20 ms).
        let mut t = conn_in_syn_received();
        t.c(ACK, C_ISN + 1, S_ISN + 1, 0)
            .wait(1000)
            .s(SYN | ACK, S_ISN, C_ISN + 1, 0);
        t.states(State::Established, State::SynReceived);
        assert_eq!(t.conn().side(Dir::Resp).synack.retransmits(), 1);
        let ov = t.conn().overflow.as_deref().copied().expect("overflow");
        assert_eq!((ov.ack_frame, ov.frame, ov.by_rst), (3, 4, false));
        // The client's answer to it is ignored too: the accept queue is still full.
        t.c(ACK, C_ISN + 1, S_ISN + 1, 0)
            .states(State::Established, State::SynReceived);
        t.wait(2000).s(SYN | ACK, S_ISN, C_ISN + 1, 0);
        assert_eq!(t.conn().ignored_acks, 2);
        // Accepted at last: the server acknowledges the client's data.
        t.c(PSH | ACK, C_ISN + 1, S_ISN + 1, 10)
            .states(State::Established, State::SynReceived);
        t.s(ACK, S_ISN + 1, C_ISN + 11, 0)
            .states(State::Established, State::Established);
    }

    #[test]
    fn syn_ack_crossing_the_final_ack_changes_nothing() {
        // Sent within the handshake's round trip of the ACK: the two crossed on the wire.
        let mut t = conn_in_syn_received();
        t.c(ACK, C_ISN + 1, S_ISN + 1, 0)
            .s(SYN | ACK, S_ISN, C_ISN + 1, 0);
        t.states(State::Established, State::Established);
        assert_eq!(t.conn().side(Dir::Resp).synack.retransmits(), 1);
    }

    #[test]
    fn rst_answering_the_final_ack_is_an_overflow() {
        // tcp_abort_on_overflow=1: <SEQ=SEG.ACK><CTL=RST> to the final ACK.
        let mut t = conn_in_syn_received();
        t.c(ACK, C_ISN + 1, S_ISN + 1, 0).s(RST, S_ISN + 1, 0, 0);
        let c = t.conn();
        let ov = c.overflow.as_deref().copied().expect("overflow");
        assert!(ov.by_rst);
        let r = c.rst.unwrap();
        assert_eq!((r.by, r.state), (Dir::Resp, State::SynReceived));
        t.states(State::Closed, State::Closed);
    }

    #[test]
    fn syn_ack_with_another_isn_is_counted_and_the_acknowledged_one_wins() {
        // Two SYN-ACKs with ISN B, then one with ISN A; the client acknowledges A.
        let a = S_ISN + 777_000;
        let mut t = conn_in_syn_received();
        t.s(SYN | ACK, S_ISN, C_ISN + 1, 0)
            .s(SYN | ACK, a, C_ISN + 1, 0)
            .c(ACK, C_ISN + 1, a + 1, 0);
        t.states(State::Established, State::Established);
        let c = t.conn();
        let r = c.side(Dir::Resp);
        assert_eq!(r.synack_isns, 2);
        assert_eq!(r.isn, Some(SeqNum(a)));
        assert_eq!(r.synack.retransmits(), 0, "A was sent once");
        // frames: 1 SYN, 2-3 SYN-ACK(B), 4 SYN-ACK(A), 5 ACK
        assert_eq!(c.handshake.syn_to_synack, Some(Duration::from_millis(30)));
        assert_eq!(c.handshake.synack_to_ack, Some(Duration::from_millis(10)));
    }

    #[test]
    fn connect_time_runs_from_the_first_syn_to_the_completing_ack() {
        let mut t = conn_in_syn_sent();
        t.c(SYN, C_ISN, 0, 0)
            .s(SYN | ACK, S_ISN, C_ISN + 1, 0)
            .c(ACK, C_ISN + 1, S_ISN + 1, 0);
        let h = t.conn().handshake;
        assert_eq!(h.connect_time, Some(Duration::from_millis(30)));
        assert_eq!(h.syn_to_synack, Some(Duration::from_millis(10)));
    }

    #[test]
    fn syn_captured_after_its_syn_ack_gives_its_options() {
        let mut t = Talk::new();
        t.s(SYN | ACK, S_ISN, C_ISN + 1, 0);
        let mut syn = TcpSegment {
            frame: 2,
            ts: Timestamp::from_nanos(20_000_000),
            seq: SeqNum(C_ISN),
            ..TcpSegment::test(CLIENT, SERVER, SYN, 0)
        };
        syn.options.wscale = Some(4);
        t.conn.as_mut().unwrap().on_segment(&syn);
        assert_eq!(
            t.conn().side(Dir::Orig).options.and_then(|o| o.wscale),
            Some(4)
        );
    }

    #[test]
    fn rst_from_the_client_returns_the_server_to_listen() {
        let mut t = conn_in_syn_received();
        t.c(RST, C_ISN + 1, 0, 0);
        t.states(State::Closed, State::Listen);
    }

    #[test]
    fn syn_ack_first_flips_the_roles() {
        let mut t = Talk::new();
        t.s(SYN | ACK, S_ISN, C_ISN + 1, 0);
        let c = t.conn();
        assert_eq!(c.orig, CLIENT);
        assert_eq!(c.opening, Opening::SynAck);
        t.states(State::Established, State::SynReceived);
    }
}

mod simultaneous_open {
    use super::*;

    #[test]
    fn both_sides_send_syn_then_syn_ack() {
        let mut t = conn_in_syn_sent();
        t.s(SYN, S_ISN, 0, 0)
            .states(State::SynReceived, State::SynSent)
            .conn();
        t.s(SYN | ACK, S_ISN, C_ISN + 1, 0)
            .c(SYN | ACK, C_ISN, S_ISN + 1, 0)
            .states(State::Established, State::Established);
    }
}

mod simultaneous_open_crossing {
    use super::*;

    #[test]
    fn crossing_syn_acks_both_go_through_syn_received() {
        // Frames as a capture in the middle sees them: the SYNs cross, then the SYN-ACKs.
        let mut t = conn_in_syn_sent();
        t.s(SYN, S_ISN, 0, 0)
            .c(SYN | ACK, C_ISN, S_ISN + 1, 0)
            .s(SYN | ACK, S_ISN, C_ISN + 1, 0)
            .states(State::Established, State::Established);
        for d in [Dir::Orig, Dir::Resp] {
            let path: Vec<State> = t
                .conn()
                .transitions
                .iter()
                .flat_map(|t| t.iter())
                .filter(|x| x.side == d)
                .map(|x| x.to)
                .collect();
            assert_eq!(
                path,
                [State::SynSent, State::SynReceived, State::Established],
                "{d}"
            );
        }
    }
}

mod established {
    use super::*;

    #[test]
    fn request_and_response() {
        let t = conn_established();
        t.states(State::Established, State::Established);
        assert_eq!(t.conn().side(Dir::Orig).retransmits, 0);
    }

    #[test]
    fn midstream_pickup_is_established_on_both_sides() {
        let mut t = Talk::new();
        t.c(PSH | ACK, 77, 99, 10);
        t.states(State::Established, State::Established);
        assert!(t.conn().is_midstream());
    }

    #[test]
    fn data_sent_again_is_a_retransmission() {
        let mut t = conn_established();
        t.c(PSH | ACK, C_ISN + 1, S_NXT, 10);
        assert_eq!(t.conn().side(Dir::Orig).retransmits, 1);
    }

    #[test]
    fn keepalives_are_not_retransmissions() {
        let mut t = conn_established();
        // Linux: no data, one byte behind SND.NXT. Others send one garbage byte.
        t.c(ACK, C_NXT - 1, S_NXT, 0).c(ACK, C_NXT - 1, S_NXT, 1);
        let o = t.conn().side(Dir::Orig);
        assert_eq!((o.keepalives, o.retransmits), (2, 0));
        t.states(State::Established, State::Established);
    }

    #[test]
    fn zero_window_probes_are_not_retransmissions() {
        let mut t = conn_established();
        t.send_win(false, ACK, S_NXT, C_NXT, 0, 0)
            .c(ACK, C_NXT - 1, S_NXT, 0)
            .c(ACK, C_NXT - 1, S_NXT, 0);
        let o = t.conn().side(Dir::Orig);
        assert_eq!(
            (o.zero_window_probes, o.keepalives, o.retransmits),
            (2, 0, 0)
        );
    }
}

mod closing {
    use super::*;

    #[test]
    fn active_close_by_the_client() {
        let mut t = conn_established();
        t.c(FIN | ACK, C_NXT, S_NXT, 0)
            .states(State::FinWait1, State::CloseWait)
            .conn();
        t.s(ACK, S_NXT, C_NXT + 1, 0)
            .states(State::FinWait2, State::CloseWait)
            .conn();
        t.s(FIN | ACK, S_NXT, C_NXT + 1, 0)
            .states(State::TimeWait, State::LastAck)
            .conn();
        t.c(ACK, C_NXT + 1, S_NXT + 1, 0)
            .states(State::TimeWait, State::Closed);
        assert!(t.conn().is_finished());
    }

    #[test]
    fn server_closes_first_and_holds_time_wait() {
        let mut t = conn_established();
        t.s(FIN | ACK, S_NXT, C_NXT, 0)
            .c(FIN | ACK, C_NXT, S_NXT + 1, 0)
            .s(ACK, S_NXT + 1, C_NXT + 1, 0);
        t.states(State::Closed, State::TimeWait);
    }

    #[test]
    fn fin_and_ack_together_go_straight_to_time_wait() {
        // FIN-WAIT-1 receiving a FIN that also acknowledges our FIN (RFC 9293 §3.10.7.4).
        let mut t = conn_established();
        t.c(FIN | ACK, C_NXT, S_NXT, 0)
            .s(FIN | ACK, S_NXT, C_NXT + 1, 0)
            .states(State::TimeWait, State::LastAck);
    }

    #[test]
    fn simultaneous_close_goes_through_closing() {
        // The FINs cross: neither acknowledges the other.
        let mut t = conn_established();
        t.c(FIN | ACK, C_NXT, S_NXT, 0)
            .s(FIN | ACK, S_NXT, C_NXT, 0);
        t.states(State::Closing, State::Closing);
        t.s(ACK, S_NXT + 1, C_NXT + 1, 0)
            .c(ACK, C_NXT + 1, S_NXT + 1, 0);
        t.states(State::TimeWait, State::TimeWait);
        // The server's path is the RFC's: ESTABLISHED → FIN-WAIT-1 → CLOSING → TIME-WAIT.
        let path: Vec<State> = t
            .conn()
            .transitions
            .iter()
            .flat_map(|t| t.iter())
            .filter(|x| x.side == Dir::Resp)
            .map(|x| x.to)
            .collect();
        assert_eq!(
            path,
            [
                State::SynReceived,
                State::Established,
                State::FinWait1,
                State::Closing,
                State::TimeWait
            ]
        );
    }

    #[test]
    fn half_close_leaves_the_server_in_close_wait() {
        let mut t = conn_established();
        t.c(FIN | ACK, C_NXT, S_NXT, 0).s(ACK, S_NXT, C_NXT + 1, 0);
        t.states(State::FinWait2, State::CloseWait);
        // Keep-alives from the CLOSE-WAIT side change nothing.
        t.s(ACK, S_NXT - 1, C_NXT + 1, 0)
            .c(ACK, C_NXT + 1, S_NXT, 0);
        t.states(State::FinWait2, State::CloseWait);
        assert_eq!(t.conn().side(Dir::Resp).keepalives, 1);
    }

    #[test]
    fn retransmitted_fin_is_counted() {
        let mut t = conn_established();
        t.c(FIN | ACK, C_NXT, S_NXT, 0)
            .c(FIN | ACK, C_NXT, S_NXT, 0);
        assert_eq!(t.conn().side(Dir::Orig).fin_retransmits, 1);
        t.states(State::FinWait1, State::CloseWait);
    }

    #[test]
    fn time_wait_ends_after_two_msl() {
        let mut t = conn_established();
        t.c(FIN | ACK, C_NXT, S_NXT, 0)
            .s(FIN | ACK, S_NXT, C_NXT + 1, 0)
            .c(ACK, C_NXT + 1, S_NXT + 1, 0);
        let c = t.conn.as_mut().unwrap();
        let at = c.time_wait_deadline(Dir::Orig).expect("in TIME-WAIT");
        assert_eq!(
            at,
            c.side(Dir::Orig)
                .time_wait_since
                .unwrap()
                .saturating_add(Duration::from_secs(60))
        );
        c.end_time_wait(Dir::Orig, at);
        let last = *c.transitions.as_ref().unwrap().last().unwrap();
        assert_eq!(
            (last.frame, last.from, last.to),
            (None, State::TimeWait, State::Closed)
        );
        t.states(State::Closed, State::Closed);
    }
}

mod reset {
    use super::*;

    #[test]
    fn client_aborts_an_established_connection() {
        let mut t = conn_established();
        t.c(RST | ACK, C_NXT, S_NXT, 0);
        t.states(State::Closed, State::Closed);
        let r = t.conn().rst.unwrap();
        assert_eq!(
            (r.by, r.kind, r.state),
            (Dir::Orig, RstKind::Abort, State::Established)
        );
    }

    #[test]
    fn rst_outside_the_window_closes_nothing() {
        // RFC 5961 §3: only an in-window RST may close; this one is 1 MB ahead.
        let mut t = conn_established();
        t.s(RST, S_NXT + 1_000_000, 0, 0);
        t.states(State::Established, State::Established);
        assert_eq!(t.conn().rst.unwrap().kind, RstKind::OutOfWindow);
    }

    #[test]
    fn rst_at_the_senders_next_sequence_number_closes() {
        // In flight data: the receiver has not acknowledged it yet, the RST follows it.
        let mut t = conn_established();
        t.s(PSH | ACK, S_NXT, C_NXT, 100).s(RST, S_NXT + 100, 0, 0);
        t.states(State::Closed, State::Closed);
    }

    #[test]
    fn rst_after_close_is_after_close() {
        let mut t = conn_established();
        t.c(FIN | ACK, C_NXT, S_NXT, 0)
            .s(FIN | ACK, S_NXT, C_NXT + 1, 0)
            .c(ACK, C_NXT + 1, S_NXT + 1, 0)
            .s(RST, S_NXT + 1, 0, 0);
        assert_eq!(t.conn().rst.unwrap().kind, RstKind::AfterClose);
    }

    #[test]
    fn rst_in_the_window_but_not_at_rcv_nxt_is_challenged() {
        // RFC 5961 §3.2: 100 bytes past the client's RCV.NXT, inside its window. The client
        // answers with a challenge ACK and the connection goes on to a normal close.
        let mut t = conn_established();
        t.s(RST, S_NXT + 100, 0, 0).c(ACK, C_NXT, S_NXT, 0);
        t.states(State::Established, State::Established);
        let c = t.conn();
        assert_eq!(c.rst.unwrap().kind, RstKind::Challenged);
        assert!(c.accepted_rst.is_none());
        let ch = c.challenged.as_deref().expect("challenged");
        assert_eq!((ch.count, ch.ack_frame), (1, Some(8)));
        t.c(FIN | ACK, C_NXT, S_NXT, 0)
            .s(FIN | ACK, S_NXT, C_NXT + 1, 0)
            .c(ACK, C_NXT + 1, S_NXT + 1, 0);
        t.states(State::TimeWait, State::Closed);
    }

    #[test]
    fn rst_at_the_receivers_rcv_nxt_resets() {
        // The client acknowledged S_NXT: a RST with that sequence number is exact.
        let mut t = conn_established();
        t.s(RST, S_NXT, 0, 0);
        t.states(State::Closed, State::Closed);
        assert_eq!(t.conn().rst.unwrap().kind, RstKind::Abort);
    }

    #[test]
    fn scanner_resetting_the_syn_ack_has_no_tcb() {
        // SYN, SYN-ACK, then a bare RST at SEG.ACK of the SYN-ACK: the source never answered
        // the SYN-ACK, so it is not an abort from ESTABLISHED (RFC 9293 §3.10.7.1).
        let mut t = conn_in_syn_received();
        assert!(t.conn().side(Dir::Orig).inferred, "ESTABLISHED? only");
        t.c(RST, C_ISN + 1, 0, 0);
        t.states(State::Closed, State::Listen);
        let r = t.conn().rst.unwrap();
        assert_eq!((r.kind, r.state), (RstKind::Abort, State::Closed));
    }
}

mod inferred {
    use super::*;

    #[test]
    fn a_side_is_inferred_until_it_answers() {
        let mut t = conn_in_syn_received();
        let c = t.conn();
        assert!(c.side(Dir::Orig).inferred);
        assert!(!c.side(Dir::Resp).inferred, "the server sent its SYN-ACK");
        t.c(ACK, C_ISN + 1, S_ISN + 1, 0);
        assert!(!t.conn().side(Dir::Orig).inferred);
    }

    #[test]
    fn a_silent_peer_receiving_a_fin_is_inferred() {
        let mut t = conn_established();
        t.c(FIN | ACK, C_NXT, S_NXT, 0);
        t.states(State::FinWait1, State::CloseWait);
        assert!(t.conn().side(Dir::Resp).inferred);
        t.s(ACK, S_NXT, C_NXT + 1, 0);
        assert!(!t.conn().side(Dir::Resp).inferred);
        t.states(State::FinWait2, State::CloseWait);
        // FIN-WAIT-2 follows from the ACK of its own FIN: nothing to answer, not inferred.
        assert!(!t.conn().side(Dir::Orig).inferred);
    }

    #[test]
    fn midstream_peer_that_never_sends_is_inferred() {
        let mut t = Talk::new();
        t.c(ACK, C_NXT, S_NXT, 10);
        t.states(State::Established, State::Established);
        assert!(!t.conn().side(Dir::Orig).inferred);
        assert!(t.conn().side(Dir::Resp).inferred);
    }
}

mod reset_more {
    use super::*;

    #[test]
    fn syn_with_fin_or_rst_is_no_state() {
        let mut t = conn_established();
        t.c(SYN | FIN, C_NXT, 0, 0).c(SYN | RST, C_NXT, 0, 0);
        t.states(State::Established, State::Established);
        assert_eq!(t.conn().odd_flag_segments, 2);
    }
}
