//! The collecting side: batches from every tracker merged back into one order, TIME-WAIT events
//! replayed in capture time, connections handed to the caller.

use super::*;
use crate::flow::Flow;
use crate::flow::TimeWaitBook;
use crate::time::Timestamp;
use std::ops::ControlFlow;

/// What a tracker returns for a batch; its last one carries its totals.
pub(super) struct BatchResult<T> {
    pub(super) ready: Ready<T>,
    pub(super) last: bool,
    pub(super) totals: Totals,
}

/// The calling thread's side: hands connections over in a fixed order, replays TIME-WAIT.
pub(super) struct Collector<F> {
    pub(super) on_conn: F,
    pub(super) book: TimeWaitBook,
    pub(super) stop: bool,
}

impl<F> Collector<F> {
    /// One batch, from every tracker: the first chunk of each tracker's part in `parts`, the
    /// chunks that follow from `next_chunk(tracker)`; each part sorted, merged by (end, id),
    /// handed over.
    pub(super) fn take<T>(
        &mut self,
        parts: Vec<Ready<T>>,
        mut next_chunk: impl FnMut(usize) -> Option<Ready<T>>,
    ) where
        F: FnMut(T, &[u8]) -> ControlFlow<()>,
    {
        let mut events = Vec::with_capacity(parts.iter().map(|r| r.time_wait.len()).sum());
        let mut heads: Vec<_> = parts
            .into_iter()
            .map(|mut r| {
                events.append(&mut r.time_wait);
                Head::new(r)
            })
            .collect();
        loop {
            for (i, h) in heads.iter_mut().enumerate() {
                while h.conns.peek().is_none() && h.more {
                    match next_chunk(i) {
                        Some(mut r) => {
                            events.append(&mut r.time_wait);
                            *h = Head::new(r);
                        }
                        None => h.more = false,
                    }
                }
            }
            let next = heads
                .iter_mut()
                .enumerate()
                .filter_map(|(i, h)| h.conns.peek().map(|(t, id, _)| ((*t, *id), i)))
                .min();
            let Some((_, i)) = next else { break };
            let Some((_, _, item)) = heads[i].conns.next() else {
                break;
            };
            if !self.stop && (self.on_conn)(item, &heads[i].bytes).is_break() {
                self.stop = true;
            }
        }
        self.book.apply(&mut events);
    }
}

impl<F: FnMut(Box<Flow>, &[u8]) -> ControlFlow<()>> Collector<F> {
    /// One batch from the only tracker, its connections as they are, in order.
    pub(super) fn take_one(&mut self, mut part: Ready<Box<Flow>>) {
        let mut conns = part.conns.into_iter();
        while let Some((_, _, conn)) = conns.next() {
            if self.stop {
                break;
            }
            prefetch_ahead(conns.as_slice(), |(_, _, c)| c);
            if (self.on_conn)(conn, &part.bytes).is_break() {
                self.stop = true;
            }
        }
        self.book.apply(&mut part.time_wait);
    }
}

/// Where the merge stands in one tracker's part of a batch.
pub(super) struct Head<T> {
    pub(super) conns: std::iter::Peekable<std::vec::IntoIter<(Timestamp, u64, T)>>,
    pub(super) bytes: Vec<u8>,
    pub(super) more: bool,
}

impl<T> Head<T> {
    pub(super) fn new(r: Ready<T>) -> Self {
        Head {
            conns: r.conns.into_iter().peekable(),
            bytes: r.bytes,
            more: r.more,
        }
    }
}
