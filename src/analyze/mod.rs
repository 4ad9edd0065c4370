//! The pipeline over one capture (or several merged into one timeline): frames are read and
//! decoded, TCP segments go to the flow trackers, and connections that end come back to the
//! caller. Damage part-way (a cut or corrupt record) ends a capture early but keeps everything
//! read before it.
//!
//! The work goes in batches of frames. With `jobs` > 1 a reader thread decodes and deals each
//! segment to one of `jobs` tracker threads by its 4-tuple, and the calling thread collects
//! each batch from every tracker; with one job the same batches run inline. Either way, at the
//! end of a batch the connections that ended in it are handed over sorted by (end time, id),
//! and TIME-WAIT entries and exits are replayed in time order, so every `jobs` gives the same
//! output, `--max-connections` included (one limit over all trackers: `limit`).
//!
//! `result` holds what a run found, `timeline` reads and merges the inputs (with `clock` and
//! `dup`), `batch` is one tracker's batch, `collect` merges the batches back, `threads` runs
//! them; this file holds the options and the entry points.

mod batch;
mod clock;
mod collect;
pub(crate) mod dup;
mod follow;
mod limit;
mod result;
mod threads;
mod timeline;

use batch::*;
use collect::*;
pub use follow::{follow, replay, Followed, Marks, Step, Target};
use limit::{Board, Seat};
pub use result::{CaptureResult, CaptureSummary};
use threads::*;
use timeline::*;

use crate::capture::{CaptureError, CaptureReader};
use crate::flow::{Flow, TimeWaitBook, TimeWaitScope, Tracker};
use crate::tcp::TcpConfig;
use std::ops::ControlFlow;
use std::path::Path;

/// Frames per batch: the unit of work handed to the trackers.
pub const BATCH: usize = 8192;

/// Live connections retired beyond this by default (`--max-connections`, over all trackers:
/// `limit`). An open connection takes about 1.5 KB with its table slot, timer and Zeek's model
/// (1.1 KB without it, as in lint), a half-open attempt kept compact about 150 bytes: the table
/// stays within 1.5 GB if every connection is established, the budget `--help` states, and a
/// million-SYN flood (the one thing that reaches the limit in practice) within about 250 MB,
/// whole, without retiring anything. Tombstones do not count.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1_000_000;

/// How to run the pipeline.
#[derive(Clone, Debug)]
pub struct Options {
    pub tcp: TcpConfig,
    /// Tracker threads; 1 runs everything on the calling thread.
    pub jobs: usize,
    /// Live connections beyond which the longest idle are retired (CQ006).
    pub max_connections: usize,
    /// A progress bar on stderr while reading, when every input's size is known.
    pub progress: bool,
    /// Whose TIME-WAIT the per-host figures count (the report's filter); None: everyone's.
    pub time_wait_scope: Option<TimeWaitScope>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tcp: TcpConfig::default(),
            jobs: 1,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            progress: false,
            time_wait_scope: None,
        }
    }
}

impl From<TcpConfig> for Options {
    fn from(tcp: TcpConfig) -> Self {
        Options {
            tcp,
            ..Options::default()
        }
    }
}

/// Work done on each connection where it ended, before the connections are put in order: on
/// the tracker's thread with `jobs` > 1, so that building and serializing what a command keeps of
/// a connection runs on every core too. Bytes it appends to `bytes` (one buffer per batch, so
/// serializing allocates per batch, not per connection) reach `on_conn` with its output. Any
/// `Fn(Box<Flow>, &mut Vec<u8>) -> T + Sync` is one.
pub trait Prepare: Sync {
    type Output: Send;
    /// `prepare` reads the connection (worth bringing the next ones into the cache first).
    const READS: bool = true;
    fn prepare(&self, conn: Box<Flow>, bytes: &mut Vec<u8>) -> Self::Output;
}

/// Hands each connection over as it is: on one thread the connection is prepared only when it
/// is handed over.
struct AsIs;

impl Prepare for AsIs {
    type Output = Box<Flow>;
    const READS: bool = false;
    fn prepare(&self, conn: Box<Flow>, _: &mut Vec<u8>) -> Box<Flow> {
        conn
    }
}

impl<T: Send, F: Fn(Box<Flow>, &mut Vec<u8>) -> T + Sync> Prepare for F {
    type Output = T;
    fn prepare(&self, conn: Box<Flow>, bytes: &mut Vec<u8>) -> T {
        self(conn, bytes)
    }
}

/// Reads the capture at `path` (or stdin for `-`), calling `on_conn` for every connection as it
/// ends. Fails only when the input cannot be opened or is not a capture at all.
pub fn analyze_capture(
    path: &Path,
    opts: impl Into<Options>,
    on_conn: impl FnMut(Flow) -> ControlFlow<()>,
) -> Result<CaptureResult, CaptureError> {
    let reader = CaptureReader::open(path)?;
    Ok(run(
        path.display().to_string(),
        reader,
        opts.into(),
        on_conn,
    ))
}

/// Same as [`analyze_capture`] for a reader that is already open.
pub fn run(
    name: String,
    reader: CaptureReader,
    opts: Options,
    mut on_conn: impl FnMut(Flow) -> ControlFlow<()>,
) -> CaptureResult {
    let source = Source::new(vec![(name, reader)]);
    pipeline(
        source,
        opts,
        &|c, _: &mut Vec<u8>| c,
        |c: Box<Flow>, _: &[u8]| on_conn(*c),
    )
}

/// Several captures read as one timeline, merged by timestamp while streaming (tcpdump's
/// rotated files); one capture when `readers` holds one. Frames are numbered over the merged
/// timeline, as mergecap would. `prep` runs on each connection where it ended, `on_conn` on
/// its result (with the bytes it wrote in its batch's buffer), on this thread, in the order the
/// connections ended.
pub fn analyze_merged<P: Prepare>(
    readers: Vec<(String, CaptureReader)>,
    opts: Options,
    prep: &P,
    on_conn: impl FnMut(P::Output, &[u8]) -> ControlFlow<()>,
) -> CaptureResult {
    pipeline(Source::new(readers), opts, prep, on_conn)
}

/// Every connection of a capture, in the order they ended (tests and small tools).
pub fn connections(
    path: &Path,
    opts: impl Into<Options>,
) -> Result<(CaptureResult, Vec<Flow>), CaptureError> {
    let mut all = Vec::new();
    let res = analyze_capture(path, opts, |c| {
        all.push(c);
        ControlFlow::Continue(())
    })?;
    Ok((res, all))
}

fn pipeline<P: Prepare>(
    mut source: Source,
    opts: Options,
    prep: &P,
    mut on_conn: impl FnMut(P::Output, &[u8]) -> ControlFlow<()>,
) -> CaptureResult {
    if opts.progress {
        source.show_progress();
    }
    let jobs = opts.jobs.max(1);
    let (source, end, totals, book) = if jobs == 1 {
        // On one thread each connection is prepared just before it is handed over, while what
        // `prepare` made of it is still in the cache.
        let mut scratch = Vec::new();
        let mut col = Collector {
            on_conn: |c: Box<Flow>, _: &[u8]| {
                scratch.clear();
                let out = prep.prepare(c, &mut scratch);
                on_conn(out, &scratch)
            },
            book: TimeWaitBook::default(),
            stop: false,
        };
        let (source, end, totals) = run_inline(source, &opts, &mut col);
        (source, end, totals, col.book)
    } else {
        let mut col = Collector {
            on_conn,
            book: TimeWaitBook::default(),
            stop: false,
        };
        let (source, end, totals) = run_sharded(source, &opts, jobs, prep, &mut col);
        (source, end, totals, col.book)
    };
    let mut parts = source.finish();
    let (capture, parts) = if parts.len() == 1 {
        (parts.remove(0), Vec::new())
    } else {
        (CaptureSummary::merged(&parts), parts)
    };
    let (time_wait, time_wait_series) = book.into_parts();
    CaptureResult {
        capture,
        parts,
        time_wait,
        time_wait_series,
        end,
        connections: totals.started,
        retired: totals.retired,
        max_connections: opts.max_connections,
        peak_live: totals.peak_live,
        late_segments: totals.late,
    }
}

#[derive(Clone, Copy, Default, Debug)]
struct Totals {
    started: u64,
    retired: u64,
    peak_live: usize,
    late: u64,
}

impl Totals {
    fn of(t: &Tracker) -> Self {
        Totals {
            started: t.started(),
            retired: t.retired(),
            peak_live: t.peak_live(),
            late: t.late_segments(),
        }
    }
}
