//! The flow table's lifecycle: a connection written when it finishes, its tombstone after it.

use super::*;
use crate::decode::{TcpFlags, TcpSegment};
use crate::tcp::SeqNum;

const SYN: u16 = TcpFlags::SYN;
const ACK: u16 = TcpFlags::ACK;
const RST: u16 = TcpFlags::RST;
const FIN: u16 = TcpFlags::FIN;

fn ep(s: &str) -> Endpoint {
    let (a, p) = s.rsplit_once(':').unwrap();
    Endpoint {
        addr: a.parse().unwrap(),
        port: p.parse().unwrap(),
    }
}

#[derive(Default)]
struct Sink {
    ended: Vec<Flow>,
    events: Vec<TimeWaitEvent>,
}

impl ConnSink for Sink {
    fn ended(&mut self, conn: Ended, cfg: &TcpConfig) {
        self.ended.push(*conn.into_connection(cfg));
    }
    fn time_wait(&mut self, event: TimeWaitEvent) {
        self.events.push(event);
    }
}

/// Feeds segments to one tracker, each `(ms, from client, flags, seq, ack)`.
struct Run {
    t: Tracker,
    sink: Sink,
    frame: u64,
}

impl Run {
    fn new() -> Self {
        Run {
            t: Tracker::new(TcpConfig::default()),
            sink: Sink::default(),
            frame: 0,
        }
    }

    fn seg(&mut self, ms: i64, from_client: bool, flags: u16, seq: u32, ack: u32) -> &mut Self {
        let (c, s) = (ep("10.0.0.1:40000"), ep("10.0.0.2:80"));
        let (src, dst) = if from_client { (c, s) } else { (s, c) };
        self.seg_on(ms, src, dst, flags, seq, ack)
    }

    /// A segment from `src` to `dst`, any 4-tuple.
    fn seg_on(
        &mut self,
        ms: i64,
        src: Endpoint,
        dst: Endpoint,
        flags: u16,
        seq: u32,
        ack: u32,
    ) -> &mut Self {
        self.frame += 1;
        let ts = Timestamp::from_nanos(ms * 1_000_000);
        let seg = TcpSegment {
            frame: self.frame,
            ts,
            seq: SeqNum(seq),
            ack: SeqNum(ack),
            ..TcpSegment::test(src, dst, flags, 0)
        };
        self.t.segment(&seg, ts, &mut self.sink);
        self
    }

    fn at(&mut self, ms: i64) -> &mut Self {
        let now = Timestamp::from_nanos(ms * 1_000_000);
        self.t.end_batch(now, &mut self.sink);
        self
    }
}

#[test]
fn a_closed_connection_is_written_and_its_time_wait_goes_on_in_the_tombstone() {
    let mut r = Run::new();
    r.seg(0, true, SYN, 100, 0)
        .seg(1, false, SYN | ACK, 500, 101)
        .seg(2, true, ACK, 101, 501)
        .seg(10, true, FIN | ACK, 101, 501)
        .seg(11, false, FIN | ACK, 501, 102)
        .seg(12, true, ACK, 102, 502)
        .at(100);
    assert!(
        r.sink.ended.is_empty(),
        "copies of the last frames may still come"
    );
    r.at(200);
    assert_eq!(r.sink.ended.len(), 1, "written 150 ms after the close");
    let c = &r.sink.ended[0];
    assert_eq!(c.side(Dir::Orig).state, State::TimeWait);
    assert_eq!(r.t.live(), 0);
    assert_eq!(r.t.tombstones(), 1);
    // A late ACK is counted, not a new connection.
    r.seg(300, true, ACK, 102, 502);
    assert_eq!((r.t.live(), r.t.late_segments()), (0, 1));
    // 2×MSL after the client entered TIME-WAIT (11 ms) it leaves; the tombstone goes with the
    // 2×MSL of the last segment.
    r.at(61_000);
    let exits: Vec<_> = r.sink.events.iter().filter(|e| !e.enter).collect();
    assert_eq!(exits.len(), 1);
    assert_eq!(
        exits[0].ts,
        Timestamp::from_nanos(11_000_000 + 60_000_000_000)
    );
    r.at(61_500);
    assert_eq!(r.t.tombstones(), 0);
}

#[test]
fn a_syn_with_the_written_isn_is_late_a_new_isn_starts_a_connection() {
    let mut r = Run::new();
    // Refused: written 2 s after the RST.
    r.seg(0, true, SYN, 100, 0)
        .seg(1, false, RST | ACK, 0, 101)
        .at(1_000);
    assert!(r.sink.ended.is_empty());
    // Windows retries within the delay: the same attempt, refused again.
    r.seg(1_500, true, SYN, 100, 0)
        .seg(1_501, false, RST | ACK, 0, 101)
        .at(3_600);
    assert_eq!(r.sink.ended.len(), 1);
    assert_eq!(r.sink.ended[0].side(Dir::Orig).syn.sent, 2);
    // The same ISN after the write: the same SYN again, late.
    r.seg(10_000, true, SYN, 100, 0);
    assert_eq!((r.t.live(), r.t.late_segments()), (0, 1));
    // A new ISN: a new connection on the 4-tuple.
    r.seg(11_000, true, SYN, 7_000, 0);
    assert_eq!(r.t.live(), 1);
    assert_eq!(r.t.tombstones(), 0, "the new connection took the 4-tuple");
}

#[test]
fn a_new_syn_into_time_wait_ends_it_and_says_so() {
    let mut r = Run::new();
    r.seg(0, true, SYN, 100, 0)
        .seg(1, false, SYN | ACK, 500, 101)
        .seg(2, true, ACK, 101, 501)
        .seg(10, true, FIN | ACK, 101, 501)
        .seg(11, false, FIN | ACK, 501, 102)
        .seg(12, true, ACK, 102, 502)
        .at(1_000)
        .seg(2_000, true, SYN, 90_000, 0);
    let exit = r.sink.events.iter().find(|e| !e.enter).unwrap();
    assert_eq!(
        exit.ts,
        Timestamp::from_nanos(2_000_000_000),
        "ended by the SYN"
    );
    r.t.finish_all(Timestamp::from_nanos(3_000_000_000), &mut r.sink);
    assert!(r.sink.ended[1].reused_time_wait);
}

#[test]
fn one_timer_per_connection_whatever_follows_a_reset() {
    let mut r = Run::new();
    r.seg(0, true, SYN, 100, 0)
        .seg(1, false, SYN | ACK, 500, 101)
        .seg(2, true, ACK, 101, 501)
        .seg(3, false, RST, 501, 0);
    for i in 0..10_000 {
        r.seg(4 + i / 10, true, ACK, 101, 501);
    }
    assert!(r.t.books.timers.in_order.len() + r.t.books.timers.late.len() <= 1);
}

#[test]
fn an_expired_tombstone_behind_a_later_one_is_gone() {
    let (a_c, s) = (ep("10.0.0.1:40000"), ep("10.0.0.2:80"));
    let b_c = ep("10.0.0.3:40001");
    let mut r = Run::new();
    // B refused at 0.5 s: written at 2.5 s, its tombstone due at 60.5 s.
    r.seg_on(500, b_c, s, SYN, 100, 0)
        .seg_on(500, s, b_c, RST | ACK, 0, 101);
    // A closed at 1.0 s: written at 1.15 s, before B, its tombstone due at 61.0 s.
    r.seg_on(900, a_c, s, SYN, 7, 0)
        .seg_on(901, s, a_c, SYN | ACK, 70, 8)
        .seg_on(902, a_c, s, ACK, 8, 71)
        .seg_on(990, a_c, s, FIN | ACK, 8, 71)
        .seg_on(995, s, a_c, FIN | ACK, 71, 9)
        .seg_on(1000, a_c, s, ACK, 9, 72)
        .at(3000);
    assert_eq!((r.sink.ended.len(), r.t.tombstones()), (2, 2));
    // At 60.7 s B's tombstone is past its end, though the ring still has it behind A's: B's
    // SYN again (same ISN) is a new connection, not a late segment.
    r.seg_on(60_700, b_c, s, SYN, 100, 0);
    assert_eq!((r.t.live(), r.t.late_segments()), (1, 0));
}

/// A half-open attempt goes compact once quiet for `COMPACT_AFTER`, comes back whole with its
/// next segment (a SYN-ACK retransmission), and is written as if it had never been compact.
#[test]
fn a_quiet_attempt_is_kept_compact_and_replayed_whole() {
    let mut r = Run::new();
    r.seg(0, true, SYN, 100, 0)
        .seg(1, false, SYN | ACK, 500, 101);
    assert_eq!((r.t.live(), r.t.compact()), (1, 0), "whole while it is new");
    r.at(20);
    assert_eq!(r.t.compact(), 0);
    r.at(60);
    assert_eq!((r.t.live(), r.t.compact()), (1, 1), "compact after 50 ms");
    r.seg(1001, false, SYN | ACK, 500, 101);
    assert_eq!(r.t.compact(), 0, "whole again for its next segment");
    r.at(1100);
    assert_eq!(r.t.compact(), 1);
    // The handshake completes: whole for good.
    r.seg(1200, true, ACK, 101, 501).at(2000);
    assert_eq!((r.t.live(), r.t.compact()), (1, 0));
    let mut whole = Run {
        t: Tracker::new(TcpConfig {
            compact_after: None,
            ..TcpConfig::default()
        }),
        sink: Sink::default(),
        frame: 0,
    };
    whole
        .seg(0, true, SYN, 100, 0)
        .seg(1, false, SYN | ACK, 500, 101)
        .at(60)
        .seg(1001, false, SYN | ACK, 500, 101)
        .at(1100)
        .seg(1200, true, ACK, 101, 501)
        .at(2000);
    assert_eq!(whole.t.compact(), 0);
    let mut sink = std::mem::take(&mut r.sink);
    r.t.finish_all(Timestamp::from_nanos(3_000_000_000), &mut sink);
    let mut wsink = std::mem::take(&mut whole.sink);
    whole
        .t
        .finish_all(Timestamp::from_nanos(3_000_000_000), &mut wsink);
    assert_eq!(
        format!("{:?}", sink.ended),
        format!("{:?}", wsink.ended),
        "the same connection, compacted twice or never"
    );
}
