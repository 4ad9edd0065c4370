//! Flow tracking: which connection a segment belongs to, when a connection starts and ends, and
//! who holds TIME-WAIT.
//!
//! Guarantees: a connection is keyed by its 4-tuple without direction; the originator is the
//! sender of the first SYN (a SYN-ACK seen first makes its sender the responder; a mid-stream
//! pickup follows Zeek's likely-server-port rule). A SYN with the same ISN is a retransmission of
//! the same attempt, however long after, even after a RST answered it; a SYN with a new ISN, or
//! any SYN after the previous connection was established and has finished, starts a new
//! connection on the same 4-tuple. Timeouts run on capture time only. A connection that has
//! finished leaves the table 2×MSL after its last segment (so late retransmissions and SYN
//! retries still find it), and is handed to the sink: memory follows live connections.

use crate::decode::{Endpoint, TcpSegment};
use crate::tcp::{Connection, Dir, Opening, State, TcpConfig};
use crate::time::Timestamp;
use crate::zeek::zeek_flips_first_packet;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::net::IpAddr;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// A 4-tuple without direction: the lower endpoint first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    lo: Endpoint,
    hi: Endpoint,
}

impl FlowKey {
    pub fn new(a: Endpoint, b: Endpoint) -> Self {
        if a <= b {
            FlowKey { lo: a, hi: b }
        } else {
            FlowKey { lo: b, hi: a }
        }
    }
}

/// Receives every connection once it has ended (or the capture has).
pub trait ConnSink {
    fn ended(&mut self, conn: Connection);
}

impl<F: FnMut(Connection)> ConnSink for F {
    fn ended(&mut self, conn: Connection) {
        self(conn)
    }
}

/// How many connections one host held in TIME-WAIT.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeWaitHolder {
    pub current: u64,
    pub peak: u64,
    pub peak_ts: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimerKind {
    /// Side `Dir`'s 2×MSL is up.
    TimeWaitEnds(Dir),
    /// The connection finished 2×MSL ago: it leaves the table.
    Leave,
}

#[derive(Clone, Copy, Debug)]
struct Timer {
    at: Timestamp,
    /// Insertion order breaks ties, so expiry is deterministic.
    seq: u64,
    key: FlowKey,
    conn: u64,
    kind: TimerKind,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timer {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A live connection and what the table knows about it.
struct Live {
    conn: Connection,
    /// When it leaves the table, once finished.
    leave_at: Option<Timestamp>,
}

/// Timers and TIME-WAIT bookkeeping: kept apart from the table so both can be borrowed at once.
struct Books {
    cfg: TcpConfig,
    timers: BinaryHeap<Reverse<Timer>>,
    timer_seq: u64,
    time_wait: FastMap<IpAddr, TimeWaitHolder>,
}

/// The live connection table.
pub struct Tracker {
    /// Boxed: the map moves small pointers when it grows, not whole connections.
    table: FastMap<FlowKey, Box<Live>>,
    books: Books,
    clock: Option<Timestamp>,
    started: u64,
    peak_live: usize,
}

impl Tracker {
    pub fn new(cfg: TcpConfig) -> Self {
        Tracker {
            table: FastMap::default(),
            books: Books {
                cfg,
                timers: BinaryHeap::new(),
                timer_seq: 0,
                time_wait: FastMap::default(),
            },
            clock: None,
            started: 0,
            peak_live: 0,
        }
    }

    /// Connections started so far.
    pub fn started(&self) -> u64 {
        self.started
    }

    /// Connections in the table now (including finished ones waiting out 2×MSL).
    pub fn live(&self) -> usize {
        self.table.len()
    }

    /// The most connections the table held at once.
    pub fn peak_live(&self) -> usize {
        self.peak_live
    }

    /// The capture's clock: the latest timestamp seen (timestamps are not always monotonic).
    pub fn clock(&self) -> Option<Timestamp> {
        self.clock
    }

    /// Feeds one segment; connections that end are handed to `sink`.
    pub fn segment(&mut self, seg: &TcpSegment, sink: &mut impl ConnSink) {
        let now = self.clock.map_or(seg.ts, |c| c.max(seg.ts));
        self.clock = Some(now);
        run_timers(&mut self.table, &mut self.books, now, sink);
        let key = FlowKey::new(seg.src, seg.dst);
        match self.table.get_mut(&key) {
            Some(live) if !starts_new_connection(&live.conn, seg) => {
                let before = [live.conn.sides[0].state, live.conn.sides[1].state];
                live.conn.on_segment(seg);
                self.books.account(&key, &live.conn, before, seg.ts);
                self.books.schedule_leave(&key, live);
            }
            _ => {
                let reused_time_wait = match self.table.remove(&key) {
                    Some(old) => self.books.supersede(*old, seg.ts, sink),
                    None => false,
                };
                let mut conn = self.books.new_connection(seg);
                conn.reused_time_wait = reused_time_wait;
                self.started += 1;
                let mut live = Box::new(Live {
                    conn,
                    leave_at: None,
                });
                self.books.schedule_leave(&key, &mut live);
                self.table.insert(key, live);
                self.peak_live = self.peak_live.max(self.table.len());
            }
        }
    }

    /// The capture has ended: every connection still in the table ends, in order of first
    /// appearance. Returns the TIME-WAIT holders (peak and still held at the end).
    pub fn finish(mut self, sink: &mut impl ConnSink) -> Vec<(IpAddr, TimeWaitHolder)> {
        if let Some(now) = self.clock {
            run_timers(&mut self.table, &mut self.books, now, sink);
        }
        let mut rest: Vec<Connection> = self.table.drain().map(|(_, l)| l.conn).collect();
        rest.sort_by_key(|c| c.id);
        for c in rest {
            hand_over(c, self.clock, sink);
        }
        let mut holders: Vec<(IpAddr, TimeWaitHolder)> = self.books.time_wait.into_iter().collect();
        holders.sort_by(|a, b| b.1.peak.cmp(&a.1.peak).then(a.0.cmp(&b.0)));
        holders
    }
}

impl Books {
    fn new_connection(&mut self, seg: &TcpSegment) -> Connection {
        // The originator sends the first SYN; a SYN-ACK's sender is the responder; a mid-stream
        // pickup follows Zeek's port heuristic.
        let f = seg.flags;
        let flip = if f.syn() && !f.ack() {
            false
        } else if f.syn() {
            true
        } else {
            zeek_flips_first_packet(seg)
        };
        let (orig, resp) = if flip {
            (seg.dst, seg.src)
        } else {
            (seg.src, seg.dst)
        };
        let mut conn = Connection::new(seg, orig, resp, self.cfg);
        let before = [State::Unknown; 2];
        conn.on_segment(seg);
        self.account(&FlowKey::new(orig, resp), &conn, before, seg.ts);
        conn
    }

    /// Schedules the departure of a connection that has finished: 2×MSL after its last segment.
    fn schedule_leave(&mut self, key: &FlowKey, live: &mut Live) {
        if live.conn.is_finished() {
            let at = live.conn.last_ts.saturating_add(self.cfg.time_wait);
            if live.leave_at != Some(at) {
                live.leave_at = Some(at);
                self.schedule(at, *key, live.conn.id, TimerKind::Leave);
            }
        } else {
            live.leave_at = None;
        }
    }

    fn schedule(&mut self, at: Timestamp, key: FlowKey, conn: u64, kind: TimerKind) {
        self.timer_seq += 1;
        self.timers.push(Reverse(Timer {
            at,
            seq: self.timer_seq,
            key,
            conn,
            kind,
        }));
    }

    /// TIME-WAIT bookkeeping after a connection's sides changed from `before`.
    fn account(&mut self, key: &FlowKey, conn: &Connection, before: [State; 2], now: Timestamp) {
        for d in [Dir::Orig, Dir::Resp] {
            let (was, is) = (before[d.idx()], conn.side(d).state);
            let host = conn.endpoint(d).addr;
            if is == State::TimeWait {
                if was != State::TimeWait {
                    let h = self.time_wait.entry(host).or_default();
                    h.current += 1;
                    if h.current > h.peak {
                        h.peak = h.current;
                        h.peak_ts = Some(now);
                    }
                }
                if let Some(at) = conn.time_wait_deadline(d) {
                    if was != State::TimeWait || conn.side(d).time_wait_since == Some(now) {
                        self.schedule(at, *key, conn.id, TimerKind::TimeWaitEnds(d));
                    }
                }
            } else if was == State::TimeWait {
                self.leave_time_wait(host);
            }
        }
    }

    fn leave_time_wait(&mut self, host: IpAddr) {
        if let Some(h) = self.time_wait.get_mut(&host) {
            h.current = h.current.saturating_sub(1);
        }
    }

    /// The previous connection on a 4-tuple gives way to a new SYN: its TIME-WAIT ends now.
    /// Returns whether it was in TIME-WAIT.
    fn supersede(&mut self, mut old: Live, ts: Timestamp, sink: &mut impl ConnSink) -> bool {
        let mut was_tw = false;
        for d in [Dir::Orig, Dir::Resp] {
            if old.conn.side(d).state == State::TimeWait {
                was_tw = true;
                old.conn.end_time_wait(d, ts, true);
                self.leave_time_wait(old.conn.endpoint(d).addr);
            }
        }
        hand_over(old.conn, Some(ts), sink);
        was_tw
    }
}

/// A connection leaves the table at `at`: its last inferences settled, it goes to the sink.
fn hand_over(mut conn: Connection, at: Option<Timestamp>, sink: &mut impl ConnSink) {
    conn.ended_at = at;
    conn.settle();
    sink.ended(conn);
}

/// Fires every timer due at or before `now`.
fn run_timers(
    table: &mut FastMap<FlowKey, Box<Live>>,
    books: &mut Books,
    now: Timestamp,
    sink: &mut impl ConnSink,
) {
    while let Some(Reverse(t)) = books.timers.peek().copied() {
        if t.at > now {
            break;
        }
        books.timers.pop();
        let Some(live) = table.get_mut(&t.key) else {
            continue;
        };
        if live.conn.id != t.conn {
            continue;
        }
        match t.kind {
            TimerKind::TimeWaitEnds(d) => {
                // Stale if the FIN was retransmitted (restarting 2×MSL) or TIME-WAIT ended.
                if live.conn.time_wait_deadline(d) == Some(t.at) {
                    live.conn.end_time_wait(d, t.at, false);
                    let host = live.conn.endpoint(d).addr;
                    books.leave_time_wait(host);
                }
            }
            TimerKind::Leave => {
                if live.leave_at == Some(t.at) {
                    if let Some(live) = table.remove(&t.key) {
                        hand_over(live.conn, Some(t.at), sink);
                    }
                }
            }
        }
    }
}

/// Whether `seg` starts a new connection on the 4-tuple of `conn` (port reuse).
fn starts_new_connection(conn: &Connection, seg: &TcpSegment) -> bool {
    let f = seg.flags;
    if !f.syn() || f.rst() || f.fin() {
        return false;
    }
    let d = conn.dir_of(seg);
    let side = conn.side(d);
    // Once the connection got through its handshake and has finished, any SYN is a new one.
    if conn.is_finished() && conn.was_established() {
        return true;
    }
    match (d, f.ack()) {
        // The originator's SYN: its retransmission carries the same ISN.
        (Dir::Orig, false) => side.isn != Some(seg.seq),
        // The responder's SYN without ACK: a simultaneous open, unless the responder already
        // used another ISN.
        (Dir::Resp, false) => {
            conn.opening == Opening::Midstream || side.isn.is_some_and(|isn| isn != seg.seq)
        }
        // A SYN-ACK only starts a new connection after the old one finished with another ISN.
        (_, true) => conn.is_finished() && side.isn != Some(seg.seq),
    }
}
