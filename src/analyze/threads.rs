//! The threads: one reader that decodes and deals, `--jobs` trackers, and the calling thread
//! collecting; or everything inline with `-j 1`.

use super::*;
use crate::flow::Flow;
use crate::flow::Tracker;
use crate::time::Timestamp;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// One tracker on the calling thread, in the same batches as the sharded run.
pub(super) fn run_inline<F: FnMut(Box<Flow>, &[u8]) -> ControlFlow<()>>(
    mut source: Source,
    opts: &Options,
    col: &mut Collector<F>,
) -> (Source, Option<Timestamp>, Totals) {
    let mut tracker = (
        Tracker::new(opts.tcp).with_time_wait_scope(opts.time_wait_scope.clone()),
        Batch::default(),
        Seat::default(),
    );
    let board = Board::new(1, opts.max_connections);
    let mut clock: Option<Timestamp> = None;
    let mut segs = [Segments::with_capacity(BATCH)];
    loop {
        let last = !fill(&mut source, &mut clock, &mut segs) || col.stop;
        let mut totals = Totals::default();
        track_batch(
            &mut tracker,
            &board,
            &segs[0],
            clock,
            last,
            &AsIs,
            |chunk, t| {
                totals = t;
                col.take_one(chunk);
                true
            },
        );
        segs[0].clear();
        if last {
            return (source, clock, totals);
        }
    }
}

/// What the reader deals to a tracker per batch.
pub(super) struct Work {
    pub(super) segments: Segments,
    /// The clock at the end of the batch.
    pub(super) clock: Option<Timestamp>,
    pub(super) last: bool,
}

/// Batches a thread may run ahead of the next in the pipeline (reader → trackers → collector):
/// enough to ride out one being descheduled for a while when there are more threads than cores,
/// a few MB each.
pub(super) const SLACK: usize = 6;

pub(super) fn run_sharded<P: Prepare, F: FnMut(P::Output, &[u8]) -> ControlFlow<()>>(
    source: Source,
    opts: &Options,
    jobs: usize,
    prep: &P,
    col: &mut Collector<F>,
) -> (Source, Option<Timestamp>, Totals) {
    let stop = Arc::new(AtomicBool::new(false));
    let mut work_tx: Vec<SyncSender<Work>> = Vec::with_capacity(jobs);
    let mut result_rx: Vec<Receiver<BatchResult<P::Output>>> = Vec::with_capacity(jobs);
    let (recycle_tx, recycle_rx) = sync_channel::<Segments>(jobs * (SLACK + 2));
    let board = Board::new(jobs, opts.max_connections);
    let board = &board;
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let (wtx, wrx) = sync_channel::<Work>(SLACK);
            let (rtx, rrx) = sync_channel::<BatchResult<P::Output>>(SLACK);
            work_tx.push(wtx);
            result_rx.push(rrx);
            let recycle = recycle_tx.clone();
            let tcp = opts.tcp;
            let tracker = Tracker::new(tcp).with_time_wait_scope(opts.time_wait_scope.clone());
            scope.spawn(move || tracker_thread(wrx, rtx, recycle, tracker, board, prep));
        }
        drop(recycle_tx);
        let reader_stop = stop.clone();
        let reader =
            scope.spawn(move || reader_thread(source, work_tx, recycle_rx, jobs, reader_stop));
        // This thread collects: batch after batch, every tracker's part.
        let mut totals = Totals::default();
        loop {
            let mut parts = Vec::with_capacity(jobs);
            let mut last = false;
            let mut recv = |rx: &Receiver<BatchResult<P::Output>>| {
                let Ok(r) = rx.recv() else {
                    last = true;
                    return None;
                };
                if r.last {
                    totals.started += r.totals.started;
                    totals.retired += r.totals.retired;
                    totals.peak_live += r.totals.peak_live;
                    totals.late += r.totals.late;
                    last = true;
                }
                Some(r.ready)
            };
            for rx in &result_rx {
                let Some(chunk) = recv(rx) else { break };
                parts.push(chunk);
            }
            col.take(parts, |i| recv(&result_rx[i]));
            if col.stop {
                stop.store(true, Ordering::Relaxed);
            }
            if last {
                break;
            }
        }
        // Drain whatever the trackers still send after a stop.
        for rx in &result_rx {
            while rx.recv().is_ok() {}
        }
        let (source, clock) = reader
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (source, clock, totals)
    })
}

/// Reads and decodes, dealing each segment to its tracker; every tracker gets every batch, with
/// the clock at its end.
pub(super) fn reader_thread(
    mut source: Source,
    work: Vec<SyncSender<Work>>,
    recycle: Receiver<Segments>,
    jobs: usize,
    stop: Arc<AtomicBool>,
) -> (Source, Option<Timestamp>) {
    let fresh = |recycle: &Receiver<Segments>| {
        recycle
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH / jobs + 64))
    };
    let mut bufs: Vec<Segments> = (0..jobs).map(|_| fresh(&recycle)).collect();
    let mut clock: Option<Timestamp> = None;
    loop {
        let last = !fill(&mut source, &mut clock, &mut bufs) || stop.load(Ordering::Relaxed);
        for (i, tx) in work.iter().enumerate() {
            let segments = std::mem::replace(&mut bufs[i], fresh(&recycle));
            if tx
                .send(Work {
                    segments,
                    clock,
                    last,
                })
                .is_err()
            {
                return (source, clock);
            }
        }
        if last {
            return (source, clock);
        }
    }
}

pub(super) fn tracker_thread<P: Prepare>(
    work: Receiver<Work>,
    results: SyncSender<BatchResult<P::Output>>,
    recycle: SyncSender<Segments>,
    tracker: Tracker,
    board: &Board,
    prep: &P,
) {
    /// Leaves the board however the thread ends (done, stopped, or panicking): no other
    /// tracker waits for this one then.
    struct Leave<'a>(&'a Board);
    impl Drop for Leave<'_> {
        fn drop(&mut self) {
            self.0.leave();
        }
    }
    let _leave = Leave(board);
    let mut tracker = (tracker, Batch::default(), Seat::default());
    while let Ok(mut w) = work.recv() {
        let mut sent = true;
        track_batch(
            &mut tracker,
            board,
            &w.segments,
            w.clock,
            w.last,
            prep,
            |ready, totals| {
                let r = BatchResult {
                    last: w.last && !ready.more,
                    ready,
                    totals,
                };
                sent = results.send(r).is_ok();
                sent
            },
        );
        w.segments.clear();
        let _ = recycle.try_send(w.segments);
        if !sent || w.last {
            return;
        }
    }
}
