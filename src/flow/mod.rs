//! Flow tracking: which connection a segment belongs to, when a connection starts and ends, and
//! when a side enters and leaves TIME-WAIT.
//!
//! Guarantees: a connection is keyed by its 4-tuple without direction; the originator is the
//! sender of the first SYN (a SYN-ACK seen first makes its sender the responder; a mid-stream
//! pickup follows Zeek's likely-server-port rule). A SYN with the same ISN is a retransmission of
//! the same attempt, however long after, even after a RST answered it; a SYN with a new ISN, or
//! any SYN after the previous connection was established and has finished, starts a new
//! connection on the same 4-tuple. Timeouts run on capture time only: the caller passes the
//! capture's clock (its latest timestamp) with every segment. A connection that has finished
//! goes to the sink shortly after its last segment (`CLOSE_DELAY` after a close with FINs,
//! `RESET_DELAY` after a RST or an ICMP error, for the copies and retries that still belong
//! to it); a 40-byte tombstone (`tombstone.rs`) stays for the rest of its 2×MSL, so later
//! segments are known as late and a TIME-WAIT runs its course: memory follows the connections
//! open at once. Each connection has one timer, at its next deadline. Attempts that have gone
//! quiet are kept compact (`table.rs`). When the trackers together hold more than
//! `--max-connections`, the longest idle are retired early, on the order of `analyze::limit`.
//!
//! Everything a tracker does depends only on its own connections, the clock, and those orders,
//! so the work can be split by [`FlowKey::shard`] across trackers with the same results.

mod models;
mod table;
mod time_wait;
mod tombstone;

pub use models::Flow;
pub use table::Ended;
use table::{ConnTable, Entry, Hashed};
pub use time_wait::{TimeWaitBook, TimeWaitEvent, TimeWaitHolder};
use tombstone::{Key4, Key6, PackedKey, Remains, Tomb, Tombstones};

use crate::decode::{Endpoint, TcpSegment};
use crate::tcp::{Connection, Dir, Opening, State, TcpConfig};
use crate::time::Timestamp;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::hash::BuildHasher;

/// A 4-tuple without direction, the lower endpoint first, as integers: it is built, hashed
/// and compared for every segment, and integers do that in a few instructions (comparing
/// `IpAddr`s goes through `memcmp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    lo: (u128, u16),
    hi: (u128, u16),
}

/// An endpoint as (address, port); an IPv4 address is taken in its IPv4-mapped IPv6 form (no
/// segment carries one of each, so no two real endpoints meet as one key).
fn wide(e: Endpoint) -> (u128, u16) {
    let addr = match e.addr {
        std::net::IpAddr::V4(a) => 0xffff_0000_0000 | u128::from(u32::from(a)),
        std::net::IpAddr::V6(a) => u128::from(a),
    };
    (addr, e.port)
}

impl FlowKey {
    /// The key of a connection's 4-tuple.
    pub fn of(conn: &Connection) -> Self {
        FlowKey::new(conn.orig, conn.resp)
    }

    pub fn new(a: Endpoint, b: Endpoint) -> Self {
        let (a, b) = (wide(a), wide(b));
        if a <= b {
            FlowKey { lo: a, hi: b }
        } else {
            FlowKey { lo: b, hi: a }
        }
    }

    /// Which of `n` trackers this 4-tuple belongs to: both directions, every run, the same.
    pub fn shard(&self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let h = foldhash::fast::FixedState::with_seed(0x5a_c4).hash_one(self);
        (h % n as u64) as usize
    }
}

/// Which connections' TIME-WAIT the per-host figures count (the report's `--host`, `--port`,
/// `--state`): asked once per side, when it enters TIME-WAIT; its exit follows the answer.
#[derive(Clone)]
pub struct TimeWaitScope(pub std::sync::Arc<dyn Fn(&Flow) -> bool + Send + Sync>);

impl std::fmt::Debug for TimeWaitScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TimeWaitScope")
    }
}

/// Receives every connection once it has ended (still compact if it was: made whole with
/// `cfg` when read, see [`Ended`]), and every TIME-WAIT entry and exit.
pub trait ConnSink {
    fn ended(&mut self, conn: Ended, cfg: &TcpConfig);
    /// Many at once (the capture's end), in order.
    fn ended_all(&mut self, conns: Vec<Ended>, cfg: &TcpConfig) {
        for c in conns {
            self.ended(c, cfg);
        }
    }
    fn time_wait(&mut self, _event: TimeWaitEvent) {}
}

impl<F: FnMut(Box<Flow>)> ConnSink for F {
    fn ended(&mut self, conn: Ended, cfg: &TcpConfig) {
        self(conn.into_connection(cfg))
    }
}

/// A connection's one timer: its next deadline (a side's 2×MSL, or the moment it is written).
/// Timers fire in (time, connection) order: the same whatever else the tracker holds. A timer
/// is live only while its connection's `timer_at` names it; a connection whose deadline moved
/// earlier gets a new one and the old one is skipped when it comes due.
///
/// 32 bytes: the connection is found by its key's hash and its id.
#[derive(Clone, Copy, Debug)]
struct Timer {
    at: Timestamp,
    conn: u64,
    hash: u64,
    /// Where the connection lived when the timer was set: only ever prefetched, never read
    /// (prefetching an address that is no longer the connection's is harmless).
    addr: usize,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
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
        (self.at, self.conn).cmp(&(other.at, other.conn))
    }
}

/// Timers in firing order. Every deadline is a segment's time plus 2×MSL, and segments come
/// (nearly) in time order, so a new timer almost always fires after every pending one: those go
/// to the back of a queue, O(1) and cache-friendly; the few that do not (a segment earlier than
/// the clock) go to a heap. The next timer is the earlier of the two fronts.
#[derive(Default)]
struct Timers {
    in_order: VecDeque<Timer>,
    late: BinaryHeap<Reverse<Timer>>,
}

impl Timers {
    fn push(&mut self, t: Timer) {
        match self.in_order.back() {
            Some(last) if *last > t => self.late.push(Reverse(t)),
            _ => self.in_order.push_back(t),
        }
    }

    fn peek(&self) -> Option<Timer> {
        match (self.in_order.front(), self.late.peek()) {
            (Some(a), Some(Reverse(b))) => Some(*a.min(b)),
            (Some(a), None) => Some(*a),
            (None, Some(Reverse(b))) => Some(*b),
            (None, None) => None,
        }
    }

    fn pop(&mut self) -> Option<Timer> {
        let late_first = match (self.in_order.front(), self.late.peek()) {
            (Some(a), Some(Reverse(b))) => b < a,
            (None, Some(_)) => true,
            _ => false,
        };
        if late_first {
            self.late.pop().map(|Reverse(t)| t)
        } else {
            self.in_order.pop_front()
        }
    }
}

/// Timers: kept apart from the table so both can be borrowed at once.
struct Books {
    cfg: TcpConfig,
    timers: Timers,
    /// None: every TIME-WAIT counts.
    scope: Option<TimeWaitScope>,
}

/// How long a connection that a RST (or an ICMP error) finished stays whole before it is written:
/// the SYNs a client retries after a refusal (Windows every 0.5 s, Linux 1 s after an ICMP
/// error), data still in flight, a repeated RST belong to it. Zeek waits 5 s
/// (`tcp_reset_delay`); every late segment of the corpus and of testdata comes within 1.3 s, and
/// on a busy server each second here holds 1 600 more connections (8% of 20 000 a second end
/// with a RST), so 2 s. A SYN with the same ISN later still never splits the connection: the
/// tombstone knows its ISN.
const RESET_DELAY: std::time::Duration = std::time::Duration::from_secs(2);

/// How long a connection closed with FINs stays whole before it is written: the window in which
/// copies of its last frames (a SPAN port's other VLAN) still arrive and are counted with it.
const CLOSE_DELAY: std::time::Duration = crate::analyze::dup::WINDOW;

/// The live connection table, and the tombstones of the connections written.
pub struct Tracker {
    table: ConnTable,
    tombs4: Tombstones<Key4>,
    tombs6: Tombstones<Key6>,
    /// Segments that came for connections already written.
    late: u64,
    books: Books,
    /// When the next idle sweep is due (at a batch end), and its reused list.
    next_sweep: Option<Timestamp>,
    expired: Vec<(Timestamp, u64, u64)>,
    started: u64,
    retired: u64,
    peak_live: usize,
}

impl Tracker {
    /// An empty table. How many connections it may hold is decided outside it (over every
    /// tracker at once: `analyze::limit`), which calls [`Tracker::retire_upto`].
    pub fn new(cfg: TcpConfig) -> Self {
        Tracker {
            table: ConnTable::new(cfg),
            tombs4: Tombstones::default(),
            tombs6: Tombstones::default(),
            late: 0,
            books: Books {
                cfg,
                timers: Timers::default(),
                scope: None,
            },
            next_sweep: None,
            expired: Vec::new(),
            started: 0,
            retired: 0,
            peak_live: 0,
        }
    }

    /// Counts in the TIME-WAIT figures only the connections `scope` keeps.
    pub fn with_time_wait_scope(mut self, scope: Option<TimeWaitScope>) -> Self {
        self.books.scope = scope;
        self
    }

    /// Whether connections started from now on get Zeek's model too (`synack show` follows
    /// one connection and needs no model of the others).
    pub fn set_zeek(&mut self, zeek: bool) {
        self.books.cfg.zeek = zeek;
        self.table.set_zeek(zeek);
    }

    /// Connections started so far.
    pub fn started(&self) -> u64 {
        self.started
    }

    /// Connections retired early because the table was full.
    pub fn retired(&self) -> u64 {
        self.retired
    }

    /// Connections in the table now (finished ones waiting out the reset delay included;
    /// tombstones not).
    pub fn live(&self) -> usize {
        self.table.len()
    }

    /// Of those, attempts held in the compact form.
    pub fn compact(&self) -> usize {
        self.table.compact_len()
    }

    /// Tombstones held now: written connections still within their 2×MSL.
    pub fn tombstones(&self) -> usize {
        self.tombs4.len() + self.tombs6.len()
    }

    /// Segments that came for connections already written (their tombstones counted them).
    pub fn late_segments(&self) -> u64 {
        self.late
    }

    /// The most connections the table held at once.
    pub fn peak_live(&self) -> usize {
        self.peak_live
    }

    /// The live connection of `key`, if any (made whole if it was compact).
    pub fn peek(&mut self, key: &FlowKey) -> Option<&Flow> {
        self.table.get_mut(&Hashed::new(*key)).map(|b| &**b)
    }

    /// Feeds one segment at capture clock `now` (the latest timestamp so far, at least
    /// `seg.ts`); what ends goes to `sink`.
    pub fn segment(&mut self, seg: &TcpSegment, now: Timestamp, sink: &mut impl ConnSink) {
        self.segment_keyed(seg, &Hashed::new(FlowKey::new(seg.src, seg.dst)), now, sink);
    }

    /// [`Tracker::segment`] with the segment's key, hashed.
    fn segment_keyed(
        &mut self,
        seg: &TcpSegment,
        key: &Hashed,
        now: Timestamp,
        sink: &mut impl ConnSink,
    ) {
        self.advance(now, sink);
        let idle = self.books.cfg.idle_timeout;
        match self.table.get_mut(key) {
            // A copy of a frame already fed goes where the original went, and an ICMP error
            // to the connection its quote names: neither opens a connection or ends one (a
            // copied SYN is no port reuse).
            Some(conn)
                if seg.duplicate
                    || (idle_deadline(conn, idle).is_none_or(|d| d > now)
                        && (seg.icmp.is_some() || !starts_new_connection(conn, seg))) =>
            {
                let before = [conn.sides[0].state, conn.sides[1].state];
                conn.clock = now;
                conn.on_segment(seg);
                table::record(conn, seg, now);
                conn.keep_for_ladder(seg, now, self.books.cfg.ladder_segments);
                self.books.account(conn, before, now, sink);
                self.books.schedule_leave(conn);
                self.books.arm(key, conn, now);
            }
            // An ICMP error for no live connection answers nothing synack follows.
            _ if seg.icmp.is_some() => {}
            _ => {
                let old = self.table.remove(key);
                if old.is_none() && self.late_segment(key, seg, now) {
                    return;
                }
                let reused_time_wait = match old {
                    Some(old) => match idle_deadline(&old, idle) {
                        Some(d) if d <= now => {
                            evict(Entry::Whole(old), d, now, false, &self.books.cfg, sink);
                            false
                        }
                        _ => supersede(old, now, &self.books.cfg, sink),
                    },
                    None => self.supersede_tomb(key, now, sink),
                };
                let mut conn = Box::new(Flow::new_from(seg, self.books.cfg));
                conn.reused_time_wait = reused_time_wait;
                conn.clock = now;
                if self.books.cfg.compact_after.is_some() {
                    conn.replay = Some(Default::default());
                }
                let before = [State::Unknown; 2];
                conn.on_segment(seg);
                table::record(&mut conn, seg, now);
                conn.keep_for_ladder(seg, now, self.books.cfg.ladder_segments);
                self.books.account(&mut conn, before, now, sink);
                self.started += 1;
                self.books.schedule_leave(&mut conn);
                self.books.arm(key, &mut conn, now);
                self.table.insert_new(key, conn);
                self.peak_live = self.peak_live.max(self.table.len());
            }
        }
    }

    /// Feeds a run of segments, each with the clock at it. While one is processed, the
    /// connection of one a few places ahead is fetched into the cache: the table is far larger
    /// than the CPU's nearer caches, and waiting on memory is most of the cost of a segment.
    pub fn segments(&mut self, segs: &[(TcpSegment, Timestamp)], sink: &mut impl ConnSink) {
        const AHEAD: usize = 8;
        let key = |s: &TcpSegment| Hashed::new(FlowKey::new(s.src, s.dst));
        // The keys of the segments ahead, each hashed once: slot i % AHEAD holds segment i's.
        let mut ahead: [Option<Hashed>; AHEAD] = [None; AHEAD];
        for (j, (s, _)) in segs.iter().enumerate().take(AHEAD) {
            ahead[j] = Some(self.fetch(key(s)));
        }
        for (i, (seg, now)) in segs.iter().enumerate() {
            let k = ahead[i % AHEAD].take().unwrap_or_else(|| key(seg));
            if let Some((next, _)) = segs.get(i + AHEAD) {
                ahead[i % AHEAD] = Some(self.fetch(key(next)));
            }
            self.segment_keyed(seg, &k, *now, sink);
        }
    }

    /// Starts fetching the connection of `key` into the cache.
    fn fetch(&self, key: Hashed) -> Hashed {
        if let Some((addr, len)) = self.table.addr_by_hash(key.hash) {
            prefetch_addr(addr, len);
        }
        key
    }

    /// Moves the clock to `now`: every timer due fires, every tombstone due goes.
    pub fn advance(&mut self, now: Timestamp, sink: &mut impl ConnSink) {
        self.expire_tombs(now, sink);
        while let Some(t) = self.books.timers.peek() {
            if t.at > now {
                break;
            }
            self.books.timers.pop();
            // The next timer's connection has long left the cache; it fires a few segments on.
            if let Some(next) = self.books.timers.peek() {
                prefetch_addr(next.addr, std::mem::size_of::<Connection>());
            }
            let Some(conn) = self.table.whole_by_id(t.hash, t.conn) else {
                continue;
            };
            if conn.timer_at != Some(t.at) {
                continue;
            }
            let key = Hashed {
                key: FlowKey::of(conn),
                hash: t.hash,
            };
            conn.timer_at = None;
            // Sides whose 2×MSL ran out while the connection was still live (its peer stuck in
            // LAST-ACK, a simultaneous close); then, once finished, it is written when due.
            for d in [Dir::Orig, Dir::Resp] {
                if conn.time_wait_deadline(d).is_some_and(|at| at <= t.at) {
                    conn.end_time_wait(d, t.at);
                    left_time_wait(conn, d, t.at, sink);
                }
            }
            self.books.schedule_leave(conn);
            if conn.leave_at.is_some_and(|at| at <= t.at) {
                if let Some(conn) = self.table.remove(&key) {
                    self.write(&key, conn, t.at, now, sink);
                }
            } else if self.books.compact_due(conn).is_some_and(|at| at <= t.at) {
                self.table.compact(&key);
            } else {
                self.books.arm(&key, conn, t.at);
            }
        }
    }

    /// A connection is written: it goes to the sink, and its tombstone stays for the rest of
    /// its 2×MSL.
    fn write(
        &mut self,
        key: &Hashed,
        conn: Box<Flow>,
        at: Timestamp,
        now: Timestamp,
        sink: &mut impl ConnSink,
    ) {
        let time_wait_until = [
            conn.time_wait_deadline(Dir::Orig),
            conn.time_wait_deadline(Dir::Resp),
        ];
        let until = time_wait_until.iter().flatten().copied().fold(
            conn.last_clock().saturating_add(self.books.cfg.time_wait),
            Timestamp::max,
        );
        if until <= now {
            // Already past its 2×MSL by the clock (a simultaneous close, written when its first
            // TIME-WAIT ended; or a connection written by the tracker's first segment in a
            // long while, the clock already past the whole 2×MSL): no tombstone, which would be
            // due before it was made and stay until the tracker's next segment, taking a SYN
            // for a late one on one split of the work and not on another. A TIME-WAIT still
            // counted ends at its own deadline.
            let mut conn = conn;
            for d in [Dir::Orig, Dir::Resp] {
                if let Some(end) = time_wait_until[d.idx()] {
                    left_time_wait(&mut conn, d, end, sink);
                }
            }
            hand_over(conn, at, &self.books.cfg, sink);
            return;
        }
        let remains = Remains {
            id: conn.id,
            until,
            time_wait_until,
            counted: [
                conn.side(Dir::Orig).time_wait_counted,
                conn.side(Dir::Resp).time_wait_counted,
            ],
            orig_is_lo: wide(conn.orig) == key.key.lo,
            isn: conn.side(Dir::Orig).isn.map(|s| s.0),
        };
        match Key4::pack(&key.key) {
            Some(k) => self.tombs4.add(key, k, remains),
            None => {
                if let Some(k) = Key6::pack(&key.key) {
                    self.tombs6.add(key, k, remains);
                }
            }
        }
        hand_over(conn, at, &self.books.cfg, sink);
    }

    /// A segment for a written connection: counted, and a FIN restarts the TIME-WAIT of the
    /// side it goes to. Returns false when the 4-tuple has no tombstone, or when the segment
    /// is a SYN that starts a new connection on it.
    fn late_segment(&mut self, key: &Hashed, seg: &TcpSegment, now: Timestamp) -> bool {
        let two_msl = self.books.cfg.time_wait;
        let src_is_lo = wide(seg.src) == key.key.lo;
        let found = match Key4::pack(&key.key) {
            Some(k) => self
                .tombs4
                .get_mut(key, k)
                .map(|t| on_late(t, seg, src_is_lo, now, two_msl)),
            None => Key6::pack(&key.key).and_then(|k| {
                self.tombs6
                    .get_mut(key, k)
                    .map(|t| on_late(t, seg, src_is_lo, now, two_msl))
            }),
        };
        let counted = found == Some(true);
        if counted && !seg.duplicate {
            self.late += 1;
        }
        counted
    }

    /// A new connection takes the 4-tuple of a written one: its tombstone goes, a TIME-WAIT
    /// still running on it ends now. Returns whether one was (TW003).
    fn supersede_tomb(&mut self, key: &Hashed, now: Timestamp, sink: &mut impl ConnSink) -> bool {
        match Key4::pack(&key.key) {
            Some(k) => self
                .tombs4
                .take(key, k)
                .is_some_and(|t| end_tomb(t, Some(now), sink)),
            None => Key6::pack(&key.key)
                .and_then(|k| self.tombs6.take(key, k))
                .is_some_and(|t| end_tomb(t, Some(now), sink)),
        }
    }

    /// Tombstones due at `now` go, ending the TIME-WAITs they held.
    fn expire_tombs(&mut self, now: Timestamp, sink: &mut impl ConnSink) {
        while let Some(t) = self.tombs4.pop_due(now) {
            end_tomb(t, None, sink);
        }
        while let Some(t) = self.tombs6.pop_due(now) {
            end_tomb(t, None, sink);
        }
    }

    /// The `n` live connections idle the longest, as (clock at their last segment, id), oldest
    /// first.
    pub fn oldest(&self, n: usize) -> Vec<(Timestamp, u64)> {
        let mut all: Vec<(Timestamp, u64)> =
            self.table.metas().map(|m| (m.last_clock, m.id)).collect();
        if n < all.len() {
            if n == 0 {
                return Vec::new();
            }
            all.select_nth_unstable(n - 1);
            all.truncate(n);
        }
        all.sort_unstable();
        all
    }

    /// Every live connection idle at least as long as `cutoff` ((clock at its last segment,
    /// id) no later) leaves now, as it is, retired early (CQ006), the longest idle first.
    pub fn retire_upto(
        &mut self,
        cutoff: (Timestamp, u64),
        now: Timestamp,
        sink: &mut impl ConnSink,
    ) {
        let mut idle: Vec<(Timestamp, u64, u64)> = self
            .table
            .metas()
            .filter(|m| (m.last_clock, m.id) <= cutoff)
            .map(|m| (m.last_clock, m.id, m.hash))
            .collect();
        idle.sort_unstable();
        for (_, id, hash) in idle {
            if let Some(e) = self.table.take_by_id(hash, id) {
                self.retired += 1;
                evict(e, now, now, true, &self.books.cfg, sink);
            }
        }
    }

    /// The end of a batch of frames at clock `now`: timers due fire, and now and then (every
    /// tenth of the idle timeout of capture time) connections idle past the idle timeout leave
    /// the table. Sweeping only here keeps the work the same however it is split: every tracker
    /// sees the same batch ends and clocks.
    pub fn end_batch(&mut self, now: Timestamp, sink: &mut impl ConnSink) {
        self.advance(now, sink);
        if self.next_sweep.is_none_or(|t| now >= t) {
            self.sweep_idle(now, sink);
            self.next_sweep = Some(now.saturating_add(self.books.cfg.idle_timeout / 10));
        }
    }

    /// Every unfinished connection idle past the idle timeout leaves, ended at its deadline (a
    /// segment arriving for one before the sweep finds it already gone: see `segment`).
    fn sweep_idle(&mut self, now: Timestamp, sink: &mut impl ConnSink) {
        let idle = self.books.cfg.idle_timeout;
        let mut expired = std::mem::take(&mut self.expired);
        expired.extend(self.table.metas().filter_map(|m| {
            let deadline = (!m.leaving).then(|| m.last_clock.saturating_add(idle));
            deadline.filter(|d| *d <= now).map(|d| (d, m.id, m.hash))
        }));
        expired.sort_unstable();
        for (deadline, id, hash) in expired.drain(..) {
            if let Some(e) = self.table.take_by_id(hash, id) {
                evict(e, deadline, now, false, &self.books.cfg, sink);
            }
        }
        self.expired = expired;
    }

    /// The capture has ended at `now`: every connection still in the table ends, in order of
    /// first appearance (sides still in TIME-WAIT stay there).
    pub fn finish(mut self, now: Timestamp, sink: &mut impl ConnSink) {
        self.finish_all(now, sink);
    }

    /// [`Tracker::finish`] for a tracker that is borrowed: the table is left empty.
    pub fn finish_all(&mut self, now: Timestamp, sink: &mut impl ConnSink) {
        self.advance(now, sink);
        self.sweep_idle(now, sink);
        // Sorted as boxes: the connections themselves do not move; compact ones stay compact
        // until read (a flood leaves a million of them).
        let mut rest: Vec<Ended> = self
            .table
            .drain()
            .map(|e| match e {
                Entry::Whole(c) => Ended::Whole(ended_at(c, now, sink)),
                Entry::Compact(b) => Ended::compact(b, now, false),
            })
            .collect();
        rest.sort_unstable_by_key(Ended::id);
        // The table's own memory goes before the connections are made whole.
        self.table = ConnTable::new(self.books.cfg);
        sink.ended_all(rest, &self.books.cfg);
        // TIME-WAITs still running at the end stay counted as held at the end.
        self.tombs4 = Tombstones::default();
        self.tombs6 = Tombstones::default();
    }
}

impl Books {
    /// When a connection that has just finished is written: closed with FINs (one side CLOSED,
    /// the other in TIME-WAIT, which goes on in its tombstone), [`CLOSE_DELAY`] after its last
    /// segment; finished by a RST or an ICMP error, [`RESET_DELAY`] after it. An unfinished one
    /// stays.
    fn schedule_leave(&self, conn: &mut Connection) {
        let [o, r] = [conn.side(Dir::Orig).state, conn.side(Dir::Resp).state];
        if !conn.is_finished() || (o == State::TimeWait && r == State::TimeWait) {
            // Both in TIME-WAIT (a simultaneous close): finished once the first 2×MSL ends.
            conn.leave_at = None;
            return;
        }
        let delay = if o == State::TimeWait || r == State::TimeWait {
            CLOSE_DELAY
        } else {
            RESET_DELAY
        };
        conn.leave_at = Some(
            conn.last_clock()
                .saturating_add(delay.min(self.cfg.time_wait)),
        );
    }

    /// Gives the connection a timer for its next deadline, unless the pending one comes first
    /// (it re-arms when it fires): one timer per connection, whatever its segments do.
    ///
    /// A side that just entered TIME-WAIT usually sees its connection finish an ACK later, and
    /// the tombstone then keeps its 2×MSL: a timer set for that 2×MSL would lie stale in the
    /// queue for a minute, one per closed connection (on a busy server 1.1 million, 120 MB). So
    /// a TIME-WAIT deadline is only armed once the connection is still unfinished
    /// [`CLOSE_DELAY`] after its last segment; until then a check at that moment stands in.
    fn arm(&mut self, key: &Hashed, conn: &mut Connection, now: Timestamp) {
        let time_wait = [
            conn.time_wait_deadline(Dir::Orig),
            conn.time_wait_deadline(Dir::Resp),
        ]
        .into_iter()
        .flatten()
        .min();
        let grace = conn.last_clock().saturating_add(CLOSE_DELAY);
        let time_wait = time_wait.map(|at| if now < grace { at.min(grace) } else { at });
        let Some(at) = [conn.leave_at, time_wait, self.compact_due(conn)]
            .into_iter()
            .flatten()
            .min()
        else {
            return;
        };
        if conn.timer_at.is_some_and(|pending| pending <= at) {
            return;
        }
        conn.timer_at = Some(at);
        self.timers.push(Timer {
            at,
            conn: conn.id,
            hash: key.hash,
            addr: conn as *const Connection as usize,
        });
    }

    /// When an attempt that keeps its log is due to be kept compact.
    fn compact_due(&self, conn: &Connection) -> Option<Timestamp> {
        let after = self.cfg.compact_after?;
        conn.replay
            .is_some()
            .then(|| conn.last_clock().saturating_add(after))
    }

    /// TIME-WAIT entries and exits after a connection's sides changed from `before`.
    fn account(
        &mut self,
        conn: &mut Flow,
        before: [State; 2],
        now: Timestamp,
        sink: &mut impl ConnSink,
    ) {
        for d in [Dir::Orig, Dir::Resp] {
            let (was, is) = (before[d.idx()], conn.side(d).state);
            let host = conn.endpoint(d).addr;
            if is == State::TimeWait {
                if was != State::TimeWait {
                    conn.sides[d.idx()].time_wait_entered.get_or_insert(now);
                    let counted = self.scope.as_ref().is_none_or(|s| (s.0)(conn));
                    conn.sides[d.idx()].time_wait_counted = counted;
                    if counted {
                        sink.time_wait(TimeWaitEvent::enter(now, host, conn.id));
                    }
                }
            } else if was == State::TimeWait {
                left_time_wait(conn, d, now, sink);
            }
        }
    }
}

/// A segment for a written connection, at its tombstone: false if it is a SYN that starts a new
/// connection on the 4-tuple; else counted, a FIN restarting the TIME-WAIT of the side it goes
/// to (RFC 9293 §3.10.7.4: TIME-WAIT acknowledges a retransmitted FIN and restarts 2×MSL).
fn on_late<K: PackedKey>(
    t: &mut Tomb<K>,
    seg: &TcpSegment,
    src_is_lo: bool,
    now: Timestamp,
    two_msl: std::time::Duration,
) -> bool {
    let f = seg.flags;
    let syn = f.syn() && !f.ack() && !f.rst() && !f.fin();
    // A SYN starts a new connection on the 4-tuple, unless it carries the written attempt's ISN
    // from its originator: then it is that SYN again, however late.
    if syn && !seg.duplicate && !(t.is_isn(seg.seq.0) && src_is_lo == t.is_lo(0)) {
        return false;
    }
    if !seg.duplicate {
        t.late = t.late.saturating_add(1);
        let to = if src_is_lo == t.is_lo(0) { 1 } else { 0 };
        if f.fin() && t.time_wait_until(to).is_some_and(|end| end > now) {
            t.restart_time_wait(to, now, two_msl);
        }
    }
    true
}

/// A tombstone goes: each side still in TIME-WAIT leaves it, at `superseded` (a new SYN took the
/// 4-tuple) if its 2×MSL was still running then, else when it ran out. Returns whether one was
/// still running at `superseded`.
fn end_tomb<K: PackedKey>(
    mut t: Tomb<K>,
    superseded: Option<Timestamp>,
    sink: &mut impl ConnSink,
) -> bool {
    let mut running = false;
    for side in 0..2 {
        let Some(end) = t.time_wait_until(side) else {
            continue;
        };
        let at = match superseded {
            Some(now) if end > now => {
                running = true;
                now
            }
            _ => end,
        };
        let host = t.host(side);
        if t.end_time_wait(side) {
            sink.time_wait(TimeWaitEvent::exit(at, host, t.id()));
        }
    }
    running
}

/// Side `d` leaves TIME-WAIT at `at`: the figures hear of it if they heard of its entry.
fn left_time_wait(conn: &mut Connection, d: Dir, at: Timestamp, sink: &mut impl ConnSink) {
    // Left before its 2×MSL ran out (or it already shows another state): the record says when.
    // At its deadline, `*_time_wait_until` says it already, whenever the record is written.
    if conn.time_wait_deadline(d).is_none_or(|end| at < end) {
        conn.sides[d.idx()].time_wait_left = Some(at);
    }
    let side = &mut conn.sides[d.idx()];
    if std::mem::take(&mut side.time_wait_counted) {
        sink.time_wait(TimeWaitEvent::exit(at, conn.endpoint(d).addr, conn.id));
    }
}

/// The previous connection on a 4-tuple gives way to a new SYN: its TIME-WAIT ends now.
/// Returns whether it was in TIME-WAIT.
fn supersede(
    mut old: Box<Flow>,
    now: Timestamp,
    cfg: &TcpConfig,
    sink: &mut impl ConnSink,
) -> bool {
    let mut was_tw = false;
    for d in [Dir::Orig, Dir::Resp] {
        // The side finished in TIME-WAIT and is reported so, with the end its 2×MSL had; the
        // per-host figures count it out now.
        if old.side(d).state == State::TimeWait {
            was_tw = true;
            left_time_wait(&mut old, d, now, sink);
        }
    }
    hand_over(old, now, cfg, sink);
    was_tw
}

/// Asks the CPU to bring `conn` into its cache (a hint: it never faults, and does nothing where
/// the architecture has no such instruction).
#[inline]
pub(crate) fn prefetch(conn: &Connection) {
    prefetch_addr(
        conn as *const Connection as usize,
        std::mem::size_of::<Connection>(),
    );
}

/// [`prefetch`] by address, for `len` bytes: the connection that lived there may be gone (a
/// hint about memory that is no longer the connection's only wastes a little cache).
#[inline]
pub(crate) fn prefetch_addr(addr: usize, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        for line in (0..len).step_by(64) {
            // SAFETY: prefetching is a hint: it reads nothing, cannot fault whatever the
            // address, and changes nothing a program can observe but timing.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(addr.wrapping_add(line) as *const i8) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (addr, len);
}

/// When an unfinished connection goes idle: `idle` after its last segment. None once finished
/// (2×MSL then takes it).
fn idle_deadline(conn: &Connection, idle: std::time::Duration) -> Option<Timestamp> {
    conn.leave_at
        .is_none()
        .then(|| conn.last_clock().saturating_add(idle))
}

/// A connection leaves the table before it finished (idle, or `retired` early because the
/// table was full), ended at `ended`, noticed at `now`: sides in TIME-WAIT leave the TIME-WAIT
/// count with it. A compact one (an attempt: never in TIME-WAIT) goes as it is.
fn evict(
    e: Entry,
    ended: Timestamp,
    now: Timestamp,
    retired: bool,
    cfg: &TcpConfig,
    sink: &mut impl ConnSink,
) {
    let mut conn = match e {
        Entry::Whole(c) => c,
        Entry::Compact(b) => return sink.ended(Ended::compact(b, ended, retired), cfg),
    };
    conn.retired = retired;
    for d in [Dir::Orig, Dir::Resp] {
        if conn.side(d).state == State::TimeWait {
            left_time_wait(&mut conn, d, now, sink);
        }
    }
    hand_over(conn, ended, cfg, sink);
}

/// A connection leaves the table at `at`: its last inferences settled, it goes to the sink.
fn hand_over(conn: Box<Flow>, at: Timestamp, cfg: &TcpConfig, sink: &mut impl ConnSink) {
    let conn = ended_at(conn, at, sink);
    sink.ended(Ended::Whole(conn), cfg);
}

/// A connection that leaves the table at `at`, its last inferences settled. A side whose
/// TIME-WAIT rested on a FIN its peer kept sending, never acknowledged, goes back to where it
/// was (`Connection::settle`): the figures count its TIME-WAIT as ended now, as its record says.
fn ended_at(mut conn: Box<Flow>, at: Timestamp, sink: &mut impl ConnSink) -> Box<Flow> {
    conn.ended_at = Some(at);
    conn.replay = None;
    let before = [conn.side(Dir::Orig).state, conn.side(Dir::Resp).state];
    conn.settle();
    for d in [Dir::Orig, Dir::Resp] {
        if before[d.idx()] == State::TimeWait && conn.side(d).state != State::TimeWait {
            left_time_wait(&mut conn, d, at, sink);
        }
    }
    conn
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
    // A SYN from before the capture's clock, on a connection past its handshake, is no
    // retransmission: the file holds the same trace again (or hosts' captures with clocks apart):
    // another incarnation, whatever its ISN.
    if seg.behind_clock && conn.was_established() && seg.ts <= conn.first_ts {
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

#[cfg(test)]
mod tests;
