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
//! output (unless `--max-connections` retires connections: each tracker then holds its share).

mod clock;
pub(crate) mod dup;

use crate::capture::{CaptureError, CaptureReader, Format, LinkType};
use crate::decode::{decode, DecodeStats, Decoded, NotTcp, TcpSegment};
use crate::flow::{
    prefetch, ConnSink, FlowKey, TimeWaitBook, TimeWaitEvent, TimeWaitHolder, TimeWaitScope,
    Tracker,
};
use crate::tcp::{Connection, TcpConfig};
use crate::time::Timestamp;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// Frames per batch: the unit of work handed to the trackers.
pub const BATCH: usize = 8192;

/// Live connections retired beyond this by default (`--max-connections`).
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

/// What one capture held, as far as it could be read.
#[derive(Debug)]
pub struct CaptureSummary {
    /// The name the user gave (`-` for standard input).
    pub path: String,
    pub format: Format,
    pub gzip: bool,
    pub link_types: Vec<LinkType>,
    pub stats: DecodeStats,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// Why reading stopped before the end of the file, if it did.
    pub damage: Option<CaptureError>,
}

impl CaptureSummary {
    /// Read to the end without damage.
    pub fn complete(&self) -> bool {
        self.damage.is_none()
    }

    /// Damage that is more than a cut tail: the file is corrupt, or a read failed.
    pub fn is_corrupt(&self) -> bool {
        self.damage.as_ref().is_some_and(|d| !d.is_cut())
    }

    /// CONTRACT.md's exit-2 case: a link type synack cannot decode, and no TCP decoded.
    pub fn nothing_decodable(&self) -> bool {
        self.stats.tcp_segments == 0 && !self.unsupported_link_types().is_empty()
    }

    /// Link types that carried frames synack could not decode.
    pub fn unsupported_link_types(&self) -> Vec<LinkType> {
        self.link_types
            .iter()
            .copied()
            .filter(|l| !l.is_supported())
            .collect()
    }

    /// The captures of a merged timeline as one: counts summed, times spanning all of them.
    fn merged(parts: &[CaptureSummary]) -> CaptureSummary {
        let mut stats = DecodeStats::default();
        let mut link_types = Vec::new();
        for p in parts {
            let s = &p.stats;
            stats.packets += s.packets;
            stats.tcp_segments += s.tcp_segments;
            stats.non_tcp += s.non_tcp;
            stats.ip_fragments += s.ip_fragments;
            stats.truncated += s.truncated;
            stats.undecodable += s.undecodable;
            stats.unsupported_link += s.unsupported_link;
            stats.duplicates += s.duplicates;
            stats.clock_anomalies += s.clock_anomalies;
            for l in &p.link_types {
                if !link_types.contains(l) {
                    link_types.push(*l);
                }
            }
        }
        CaptureSummary {
            path: parts
                .iter()
                .map(|p| p.path.as_str())
                .collect::<Vec<_>>()
                .join("+"),
            format: parts.first().map_or(Format::Pcap, |p| p.format),
            gzip: parts.iter().any(|p| p.gzip),
            link_types,
            stats,
            first_ts: parts.iter().filter_map(|p| p.first_ts).min(),
            last_ts: parts.iter().filter_map(|p| p.last_ts).max(),
            damage: None,
        }
    }
}

/// A capture's connections are known: the capture itself, and what only the whole tells.
#[derive(Debug)]
pub struct CaptureResult {
    pub capture: CaptureSummary,
    /// With `--merge`, each capture of the timeline (`capture` then sums them).
    pub parts: Vec<CaptureSummary>,
    /// Every host that held TIME-WAIT: peak at once (with when) and still held at the end.
    pub time_wait: Vec<(IpAddr, TimeWaitHolder)>,
    /// The capture's end: its latest timestamp.
    pub end: Option<Timestamp>,
    /// Connections started.
    pub connections: u64,
    /// Connections retired early because more than `max_connections` were live (CQ006).
    pub retired: u64,
    /// The limit they were retired at.
    pub max_connections: usize,
    /// Most connections held in the live tables at once (summed over trackers).
    pub peak_live: usize,
    /// Segments that came for connections already written, within their 2×MSL: their
    /// tombstones counted them (a RST long after the close, a FIN retransmitted into
    /// TIME-WAIT).
    pub late_segments: u64,
}

impl CaptureResult {
    /// The files read: the parts of a merged timeline, or the one capture.
    pub fn files(&self) -> &[CaptureSummary] {
        if self.parts.is_empty() {
            std::slice::from_ref(&self.capture)
        } else {
            &self.parts
        }
    }
}

/// Work done on each connection where it ended, before the connections are put in order: on
/// the tracker's thread with `jobs` > 1, so that building and serializing what a command keeps of
/// a connection runs on every core too. Bytes it appends to `bytes` (one buffer per batch, so
/// serializing allocates per batch, not per connection) reach `on_conn` with its output. Any
/// `Fn(Box<Connection>, &mut Vec<u8>) -> T + Sync` is one.
pub trait Prepare: Sync {
    type Output: Send;
    /// `prepare` reads the connection (worth bringing the next ones into the cache first).
    const READS: bool = true;
    fn prepare(&self, conn: Box<Connection>, bytes: &mut Vec<u8>) -> Self::Output;
}

/// Hands each connection over as it is: on one thread the connection is prepared only when it
/// is handed over.
struct AsIs;

impl Prepare for AsIs {
    type Output = Box<Connection>;
    const READS: bool = false;
    fn prepare(&self, conn: Box<Connection>, _: &mut Vec<u8>) -> Box<Connection> {
        conn
    }
}

impl<T: Send, F: Fn(Box<Connection>, &mut Vec<u8>) -> T + Sync> Prepare for F {
    type Output = T;
    fn prepare(&self, conn: Box<Connection>, bytes: &mut Vec<u8>) -> T {
        self(conn, bytes)
    }
}

/// Reads the capture at `path` (or stdin for `-`), calling `on_conn` for every connection as it
/// ends. Fails only when the input cannot be opened or is not a capture at all.
pub fn analyze_capture(
    path: &Path,
    opts: impl Into<Options>,
    on_conn: impl FnMut(Connection) -> ControlFlow<()>,
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
    mut on_conn: impl FnMut(Connection) -> ControlFlow<()>,
) -> CaptureResult {
    let source = Source::new(vec![(name, reader)]);
    pipeline(
        source,
        opts,
        &|c, _: &mut Vec<u8>| c,
        |c: Box<Connection>, _: &[u8]| on_conn(*c),
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
) -> Result<(CaptureResult, Vec<Connection>), CaptureError> {
    let mut all = Vec::new();
    let res = analyze_capture(path, opts, |c| {
        all.push(c);
        ControlFlow::Continue(())
    })?;
    Ok((res, all))
}

/// One input of the timeline, with what it has shown so far.
struct Input {
    name: String,
    reader: CaptureReader,
    stats: DecodeStats,
    first_ts: Option<Timestamp>,
    last_ts: Option<Timestamp>,
    damage: Option<CaptureError>,
    done: bool,
}

/// A frame as read: its time as written, and whether that time is invalid.
type Stamp = (Timestamp, bool);

impl Input {
    /// The next frame, decoded into `out` (in place: a frame is only moved once, into its
    /// shard's list; every by-value pass of the 120-byte `Decoded` showed in the profile).
    #[inline]
    fn next(&mut self, out: &mut Decoded) -> Option<Stamp> {
        if self.done {
            return None;
        }
        match self.reader.next_frame() {
            Ok(Some(frame)) => {
                *out = decode(&frame);
                self.stats.count(out);
                Some((frame.ts, frame.ts_invalid))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                self.damage = Some(e);
                None
            }
        }
    }

    fn summary(self) -> CaptureSummary {
        CaptureSummary {
            path: self.name,
            format: self.reader.format(),
            gzip: self.reader.is_gzip(),
            link_types: self.reader.link_types().to_vec(),
            stats: self.stats,
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            damage: self.damage,
        }
    }
}

/// The frames of the timeline, in time order across inputs (one input: file order), each
/// with a time the clock accepts (`clock`) and copies of one packet marked (`dup`).
struct Source {
    inputs: Vec<Input>,
    /// Next frame of each input: (time, input) → its decoded frame.
    heads: BinaryHeap<Reverse<(Timestamp, usize)>>,
    pending: Vec<Option<(bool, Decoded)>>,
    /// The frame being handed out.
    cur: Decoded,
    /// Its duplicate-table fingerprint, when it is a segment (its slot is being prefetched).
    cur_fp: u64,
    frames: u64,
    progress: Option<indicatif::ProgressBar>,
    clock: clock::Clock,
    dups: dup::Duplicates,
    /// The frame after one far ahead of the clock, read to judge it: its input, time, frame.
    held: Option<(usize, Stamp, Decoded)>,
}

impl Source {
    fn new(readers: Vec<(String, CaptureReader)>) -> Source {
        let inputs: Vec<Input> = readers
            .into_iter()
            .map(|(name, reader)| Input {
                name,
                reader,
                stats: DecodeStats::default(),
                first_ts: None,
                last_ts: None,
                damage: None,
                done: false,
            })
            .collect();
        let n = inputs.len();
        let mut s = Source {
            inputs,
            heads: BinaryHeap::new(),
            pending: (0..n).map(|_| None).collect(),
            cur: Decoded::NotTcp(NotTcp::NotIp),
            cur_fp: 0,
            frames: 0,
            progress: None,
            clock: clock::Clock::default(),
            dups: dup::Duplicates::default(),
            held: None,
        };
        // One input needs no merge: its frames are read straight through.
        if n > 1 {
            for i in 0..n {
                s.refill(i);
            }
        }
        s
    }

    /// A bar on stderr (hidden when stderr is not a terminal): bytes read of the total,
    /// packets/s, time left. Only when every input's size is known.
    fn show_progress(&mut self) {
        let sizes: Option<Vec<u64>> = self.inputs.iter().map(|i| i.reader.file_size()).collect();
        let Some(total) = sizes.map(|s| s.iter().sum::<u64>()) else {
            return;
        };
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} {msg} ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr_with_hz(4),
        )
        .with_style(style);
        self.progress = Some(bar);
    }

    fn refill(&mut self, i: usize) {
        let mut d = Decoded::NotTcp(NotTcp::NotIp);
        if let Some((ts, invalid)) = self.inputs[i].next(&mut d) {
            self.pending[i] = Some((invalid, d));
            self.heads.push(Reverse((ts, i)));
        }
    }

    /// The next frame of the timeline as read, with its input, numbered over the timeline
    /// (the file's own numbering when there is one input).
    #[inline]
    fn next_raw(&mut self) -> Option<(usize, Stamp)> {
        let (i, stamp) = if let [only] = self.inputs.as_mut_slice() {
            (0, only.next(&mut self.cur)?)
        } else {
            let Reverse((ts, i)) = self.heads.pop()?;
            let (invalid, d) = self.pending[i].take()?;
            self.cur = d;
            self.refill(i);
            (i, (ts, invalid))
        };
        self.frames += 1;
        match &mut self.cur {
            Decoded::Tcp(seg) => {
                seg.frame = self.frames;
                self.cur_fp = self.dups.prefetch(seg);
            }
            Decoded::NotTcp(NotTcp::IcmpQuote(seg)) => seg.frame = self.frames,
            _ => {}
        }
        if self.frames % 65_536 == 0 {
            if let Some(p) = &self.progress {
                p.set_position(self.inputs.iter().map(|i| i.reader.bytes_read()).sum());
                let secs = p.elapsed().as_secs_f64().max(1e-3);
                p.set_message(format!("{:.0}k packets/s", self.frames as f64 / secs / 1e3));
            }
        }
        Some((i, stamp))
    }

    /// The next frame of the timeline: the time it takes on the clock; the frame is `self.cur`.
    #[inline]
    fn next(&mut self) -> Option<Timestamp> {
        let (i, (ts, invalid)) = match self.held.take() {
            Some((i, stamp, d)) => {
                self.cur = d;
                if let Decoded::Tcp(seg) = &self.cur {
                    self.cur_fp = self.dups.prefetch(seg);
                }
                (i, stamp)
            }
            None => self.next_raw()?,
        };
        let (t, anomaly) = match self.clock.judge(ts, invalid) {
            clock::Verdict::Fine => (ts, false),
            clock::Verdict::Anomaly(t) => (t, true),
            clock::Verdict::Behind => {
                if let Decoded::Tcp(seg) = &mut self.cur {
                    seg.behind_clock = true;
                }
                (ts, true)
            }
            clock::Verdict::Ahead => {
                // Rare: read the next frame to judge this one, and hold it.
                let (this, fp) = (self.cur, self.cur_fp);
                self.held = self.next_raw().map(|(j, stamp)| (j, stamp, self.cur));
                (self.cur, self.cur_fp) = (this, fp);
                let next = self.held.as_ref().map(|(_, stamp, _)| *stamp);
                self.clock.settle_ahead(ts, next)
            }
        };
        let input = self.inputs.get_mut(i)?;
        input.stats.clock_anomalies += u64::from(anomaly);
        input.first_ts.get_or_insert(t);
        input.last_ts = Some(t);
        match &mut self.cur {
            Decoded::Tcp(seg) => {
                seg.ts = t;
                let now = self.clock.now().unwrap_or(t);
                if !seg.behind_clock && self.dups.is_copy_fp(seg, self.cur_fp, now) {
                    seg.duplicate = true;
                    input.stats.duplicates += 1;
                }
            }
            Decoded::NotTcp(NotTcp::IcmpQuote(seg)) => seg.ts = t,
            _ => {}
        }
        Some(t)
    }

    fn finish(self) -> Vec<CaptureSummary> {
        if let Some(p) = &self.progress {
            p.finish_and_clear();
        }
        self.inputs.into_iter().map(Input::summary).collect()
    }
}

/// Collects what ends during a batch.
#[derive(Default)]
struct Batch {
    /// Boxed on purpose: the connections left the table in these boxes, and go on in them.
    #[allow(clippy::vec_box)]
    ended: Vec<Box<Connection>>,
    time_wait: Vec<TimeWaitEvent>,
    /// How many bytes `prepare` wrote for the last batch: the next one's first guess.
    bytes_hint: usize,
}

impl ConnSink for Batch {
    fn ended(&mut self, conn: Box<Connection>) {
        self.ended.push(conn);
    }
    fn time_wait(&mut self, event: TimeWaitEvent) {
        self.time_wait.push(event);
    }
}

/// Connections handed over in one chunk at most: what a batch prepares is held at once only a
/// chunk at a time, even when a whole table leaves together (capture end, an idle sweep).
const CHUNK: usize = 512;

/// How far ahead of the connection being prepared the next is brought into the cache.
const PREFETCH_AHEAD: usize = 4;

/// A chunk of a batch's connections, prepared and sorted by (end, id), the bytes `prepare`
/// wrote for them, and (in the batch's first chunk) the batch's TIME-WAIT events.
struct Ready<T> {
    conns: Vec<(Timestamp, u64, T)>,
    bytes: Vec<u8>,
    time_wait: Vec<TimeWaitEvent>,
    /// More chunks of the same batch follow, continuing its (end, id) order.
    more: bool,
}

impl Batch {
    /// Prepares what ended, in (end, id) order, and hands it to `emit` chunk by chunk, the
    /// events with the first (two allocations a chunk, each of its exact size; the batch keeps
    /// its own for the next one). Stops early when `emit` says so.
    fn ready<P: Prepare>(&mut self, prep: &P, mut emit: impl FnMut(Ready<P::Output>) -> bool) {
        // Sorted while they are boxes: pointers move, not what `prepare` makes of them.
        self.ended
            .sort_unstable_by_key(|c| (c.ended_at.unwrap_or_default(), c.id));
        let mut time_wait = Vec::with_capacity(self.time_wait.len());
        time_wait.append(&mut self.time_wait);
        let mut ended = self.ended.drain(..);
        loop {
            let n = ended.len().min(CHUNK);
            let mut bytes = Vec::with_capacity(self.bytes_hint);
            let mut conns = Vec::with_capacity(n);
            for _ in 0..n {
                let Some(c) = ended.next() else { break };
                if P::READS {
                    prefetch_ahead(ended.as_slice(), |c| c);
                }
                let (end, id) = (c.ended_at.unwrap_or_default(), c.id);
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
                return;
            }
        }
    }
}

/// What a tracker returns for a batch; its last one carries its totals.
struct BatchResult<T> {
    ready: Ready<T>,
    last: bool,
    totals: Totals,
}

/// The calling thread's side: hands connections over in a fixed order, replays TIME-WAIT.
struct Collector<F> {
    on_conn: F,
    book: TimeWaitBook,
    stop: bool,
}

impl<F> Collector<F> {
    /// One batch, from every tracker: the first chunk of each tracker's part in `parts`, the
    /// chunks that follow from `next_chunk(tracker)`; each part sorted, merged by (end, id),
    /// handed over.
    fn take<T>(
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

impl<F: FnMut(Box<Connection>, &[u8]) -> ControlFlow<()>> Collector<F> {
    /// One batch from the only tracker, its connections as they are, in order.
    fn take_one(&mut self, mut part: Ready<Box<Connection>>) {
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

/// Connections that left the table a while ago have left the cache since: the one
/// [`PREFETCH_AHEAD`] into `rest` (those after the one being read) is brought back meanwhile.
fn prefetch_ahead<T>(rest: &[T], conn: impl Fn(&T) -> &Connection) {
    if let Some(c) = rest.get(PREFETCH_AHEAD) {
        prefetch(conn(c));
    }
}

/// Where the merge stands in one tracker's part of a batch.
struct Head<T> {
    conns: std::iter::Peekable<std::vec::IntoIter<(Timestamp, u64, T)>>,
    bytes: Vec<u8>,
    more: bool,
}

impl<T> Head<T> {
    fn new(r: Ready<T>) -> Self {
        Head {
            conns: r.conns.into_iter().peekable(),
            bytes: r.bytes,
            more: r.more,
        }
    }
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
            on_conn: |c: Box<Connection>, _: &[u8]| {
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
    CaptureResult {
        capture,
        parts,
        time_wait: book.holders(),
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

/// A batch's TCP segments for one tracker, each with the clock at it.
type Segments = Vec<(TcpSegment, Timestamp)>;

/// Reads the next batch of frames, dealing each TCP segment, with the clock at it, to its
/// shard's list. False once the source is exhausted (this batch may still hold frames).
fn fill(source: &mut Source, clock: &mut Option<Timestamp>, shards: &mut [Segments]) -> bool {
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
fn track_batch<P: Prepare>(
    (tracker, batch): &mut (Tracker, Batch),
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
    let totals = Totals::of(tracker);
    if last {
        if let Some(now) = clock {
            tracker.finish_all(now, batch);
        }
    }
    batch.ready(prep, |chunk| emit(chunk, totals));
}

/// One tracker on the calling thread, in the same batches as the sharded run.
fn run_inline<F: FnMut(Box<Connection>, &[u8]) -> ControlFlow<()>>(
    mut source: Source,
    opts: &Options,
    col: &mut Collector<F>,
) -> (Source, Option<Timestamp>, Totals) {
    let mut tracker = (
        Tracker::new(opts.tcp, opts.max_connections)
            .with_time_wait_scope(opts.time_wait_scope.clone()),
        Batch::default(),
    );
    let mut clock: Option<Timestamp> = None;
    let mut segs = [Segments::with_capacity(BATCH)];
    loop {
        let last = !fill(&mut source, &mut clock, &mut segs) || col.stop;
        let mut totals = Totals::default();
        track_batch(&mut tracker, &segs[0], clock, last, &AsIs, |chunk, t| {
            totals = t;
            col.take_one(chunk);
            true
        });
        segs[0].clear();
        if last {
            return (source, clock, totals);
        }
    }
}

/// What the reader deals to a tracker per batch.
struct Work {
    segments: Segments,
    /// The clock at the end of the batch.
    clock: Option<Timestamp>,
    last: bool,
}

/// Batches a thread may run ahead of the next in the pipeline (reader → trackers → collector):
/// enough to ride out one being descheduled for a while when there are more threads than cores,
/// a few MB each.
const SLACK: usize = 6;

fn run_sharded<P: Prepare, F: FnMut(P::Output, &[u8]) -> ControlFlow<()>>(
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
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let (wtx, wrx) = sync_channel::<Work>(SLACK);
            let (rtx, rrx) = sync_channel::<BatchResult<P::Output>>(SLACK);
            work_tx.push(wtx);
            result_rx.push(rrx);
            let recycle = recycle_tx.clone();
            let tcp = opts.tcp;
            let max = (opts.max_connections / jobs).max(1);
            let tracker = Tracker::new(tcp, max).with_time_wait_scope(opts.time_wait_scope.clone());
            scope.spawn(move || tracker_thread(wrx, rtx, recycle, tracker, prep));
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
fn reader_thread(
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

fn tracker_thread<P: Prepare>(
    work: Receiver<Work>,
    results: SyncSender<BatchResult<P::Output>>,
    recycle: SyncSender<Segments>,
    tracker: Tracker,
    prep: &P,
) {
    let mut tracker = (tracker, Batch::default());
    while let Ok(mut w) = work.recv() {
        let mut sent = true;
        track_batch(
            &mut tracker,
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
