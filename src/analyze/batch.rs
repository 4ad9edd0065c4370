//! A batch of frames for one tracker: its segments dealt by 4-tuple, what ended in it prepared
//! in (end, id) order and handed over chunk by chunk.

use super::*;
use crate::decode::{Decoded, NotTcp, TcpSegment};
use crate::flow::{prefetch, prefetch_addr, ConnSink, Ended, FlowKey, TimeWaitEvent, Tracker};
use crate::tcp::{Connection, TcpConfig};
use crate::time::Timestamp;

/// Collects what ends during a batch.
#[derive(Default)]
pub(super) struct Batch {
    /// As they left the table: whole ones in the boxes they lived in, compact ones made whole
    /// only as their chunk is prepared.
    pub(super) ended: Vec<Ended>,
    /// The flow table's settings, to make compact ones whole.
    cfg: TcpConfig,
    pub(super) time_wait: Vec<TimeWaitEvent>,
    /// How many bytes `prepare` wrote for the last batch: the next one's first guess.
    pub(super) bytes_hint: usize,
}

impl ConnSink for Batch {
    fn ended(&mut self, conn: Ended, cfg: &TcpConfig) {
        self.cfg = *cfg;
        self.ended.push(conn);
    }
    fn ended_all(&mut self, mut conns: Vec<Ended>, cfg: &TcpConfig) {
        self.cfg = *cfg;
        if self.ended.is_empty() {
            // The list as it is: a capture's end may hand over a million.
            std::mem::swap(&mut self.ended, &mut conns);
        } else {
            self.ended.append(&mut conns);
        }
    }
    fn time_wait(&mut self, event: TimeWaitEvent) {
        self.time_wait.push(event);
    }
}

/// Connections handed over in one chunk at most: what a batch prepares is held at once only a
/// chunk at a time, even when a whole table leaves together (capture end, an idle sweep).
pub(super) const CHUNK: usize = 512;

/// How far ahead of the connection being prepared the next is brought into the cache.
pub(super) const PREFETCH_AHEAD: usize = 4;

/// A chunk of a batch's connections, prepared and sorted by (end, id), the bytes `prepare`
/// wrote for them, and (in the batch's first chunk) the batch's TIME-WAIT events.
pub(super) struct Ready<T> {
    pub(super) conns: Vec<(Timestamp, u64, T)>,
    pub(super) bytes: Vec<u8>,
    pub(super) time_wait: Vec<TimeWaitEvent>,
    /// More chunks of the same batch follow, continuing its (end, id) order.
    pub(super) more: bool,
}

impl Batch {
    /// Prepares what ended, in (end, id) order, and hands it to `emit` chunk by chunk, the
    /// events with the first (two allocations a chunk, each of its exact size; the batch keeps
    /// its own for the next one). Stops early when `emit` says so.
    pub(super) fn ready<P: Prepare>(
        &mut self,
        prep: &P,
        mut emit: impl FnMut(Ready<P::Output>) -> bool,
    ) {
        // Sorted while they are boxes: pointers move, not what `prepare` makes of them.
        self.ended.sort_unstable_by_key(|c| (c.ended_at(), c.id()));
        let mut time_wait = Vec::with_capacity(self.time_wait.len());
        time_wait.append(&mut self.time_wait);
        {
            let mut ended = self.ended.drain(..);
            loop {
                let n = ended.len().min(CHUNK);
                let mut bytes = Vec::with_capacity(self.bytes_hint);
                let mut conns = Vec::with_capacity(n);
                for _ in 0..n {
                    let Some(c) = ended.next() else { break };
                    if P::READS {
                        if let Some((addr, len)) =
                            ended.as_slice().get(PREFETCH_AHEAD).map(Ended::addr)
                        {
                            prefetch_addr(addr, len);
                        }
                    }
                    let (end, id) = (c.ended_at(), c.id());
                    let c = c.into_connection(&self.cfg);
                    conns.push((end, id, prep.prepare(c, &mut bytes)));
                }
                self.bytes_hint = bytes.len();
                let more = ended.len() > 0;
                let chunk = Ready {
                    conns,
                    bytes,
                    time_wait: std::mem::take(&mut time_wait),
                    more,
                };
                if !emit(chunk) || !more {
                    break;
                }
            }
        }
        // A list that took a whole table (an idle sweep after a flood) is not kept that large.
        if self.ended.capacity() > 64 * CHUNK {
            self.ended.shrink_to(CHUNK);
        }
    }
}

/// Connections that left the table a while ago have left the cache since: the one
/// [`PREFETCH_AHEAD`] into `rest` (those after the one being read) is brought back meanwhile.
pub(super) fn prefetch_ahead<T>(rest: &[T], conn: impl Fn(&T) -> &Connection) {
    if let Some(c) = rest.get(PREFETCH_AHEAD) {
        prefetch(conn(c));
    }
}

/// A batch's TCP segments for one tracker, each with the clock at it.
pub(super) type Segments = Vec<(TcpSegment, Timestamp)>;

/// Reads the next batch of frames, dealing each TCP segment, with the clock at it, to its
/// shard's list. False once the source is exhausted (this batch may still hold frames).
pub(super) fn fill(
    source: &mut Source,
    clock: &mut Option<Timestamp>,
    shards: &mut [Segments],
) -> bool {
    let n = shards.len();
    for _ in 0..BATCH {
        let Some(ts) = source.next() else {
            return false;
        };
        let d = &source.cur;
        let now = clock.map_or(ts, |c| c.max(ts));
        *clock = Some(now);
        // An ICMP error quoting a segment goes where that segment's connection is.
        if let Decoded::Tcp(seg) | Decoded::NotTcp(NotTcp::IcmpQuote(seg)) = d {
            let shard = if n == 1 {
                0
            } else {
                FlowKey::new(seg.src, seg.dst).shard(n)
            };
            shards[shard].push((*seg, now));
        }
    }
    true
}

/// One tracker's work on one batch: its segments, the batch end, and on the last batch the
/// end of the capture. The same whether it runs inline or on a tracker thread.
pub(super) fn track_batch<P: Prepare>(
    (tracker, batch, seat): &mut (Tracker, Batch, Seat),
    board: &Board,
    segs: &[(TcpSegment, Timestamp)],
    clock: Option<Timestamp>,
    last: bool,
    prep: &P,
    mut emit: impl FnMut(Ready<P::Output>, Totals) -> bool,
) {
    tracker.segments(segs, batch);
    if let Some(now) = clock {
        tracker.end_batch(now, batch);
    }
    board.batch_end(seat, last, tracker, clock, batch);
    let totals = Totals::of(tracker);
    if last {
        if let Some(now) = clock {
            tracker.finish_all(now, batch);
        }
    }
    batch.ready(prep, |chunk| emit(chunk, totals));
}
