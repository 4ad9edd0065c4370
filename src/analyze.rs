//! Runs one capture through the pipeline: frames are read, decoded and counted, each TCP segment
//! goes to the flow tracker, and each connection that ends goes to the caller. Damage part-way
//! (a cut or corrupt record) ends the capture early but keeps everything read before it.

use crate::capture::{CaptureError, CaptureReader, Format, LinkType};
use crate::decode::{decode, DecodeStats, Decoded};
use crate::flow::{ConnSink, TimeWaitHolder, Tracker};
use crate::tcp::{Connection, TcpConfig};
use crate::time::Timestamp;
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::path::Path;

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
}

/// A capture's connections are known: the capture itself, and what only the whole tells.
#[derive(Debug)]
pub struct CaptureResult {
    pub capture: CaptureSummary,
    /// Every host that held TIME-WAIT: peak at once (with when) and still held at the end.
    pub time_wait: Vec<(IpAddr, TimeWaitHolder)>,
    /// The capture's end: its latest timestamp.
    pub end: Option<Timestamp>,
    /// Connections started.
    pub connections: u64,
    /// Most connections held in the live table at once.
    pub peak_live: usize,
    /// The caller asked to stop before the end (for example, its output went away).
    pub stopped: bool,
}

/// Hands ended connections to the caller until it says stop.
struct Forward<F> {
    on_conn: F,
    stop: bool,
}

impl<F: FnMut(Connection) -> ControlFlow<()>> ConnSink for Forward<F> {
    fn ended(&mut self, conn: Connection) {
        if !self.stop && (self.on_conn)(conn).is_break() {
            self.stop = true;
        }
    }
}

/// Reads the capture at `path` (or stdin for `-`), calling `on_conn` for every connection as it
/// ends. Fails only when the input cannot be opened or is not a capture at all.
pub fn analyze_capture(
    path: &Path,
    cfg: TcpConfig,
    on_conn: impl FnMut(Connection) -> ControlFlow<()>,
) -> Result<CaptureResult, CaptureError> {
    let reader = CaptureReader::open(path)?;
    Ok(run(path.display().to_string(), reader, cfg, on_conn))
}

/// Same as [`analyze_capture`] for a reader that is already open.
pub fn run(
    name: String,
    mut reader: CaptureReader,
    cfg: TcpConfig,
    on_conn: impl FnMut(Connection) -> ControlFlow<()>,
) -> CaptureResult {
    let mut sink = Forward {
        on_conn,
        stop: false,
    };
    let mut tracker = Tracker::new(cfg);
    let mut stats = DecodeStats::default();
    let mut first_ts = None;
    let mut last_ts = None;
    let damage = loop {
        if sink.stop {
            break None;
        }
        match reader.next_frame() {
            Ok(Some(frame)) => {
                first_ts.get_or_insert(frame.ts);
                last_ts = Some(frame.ts);
                let d = decode(&frame);
                stats.count(&d);
                if let Decoded::Tcp(seg) = &d {
                    tracker.segment(seg, &mut sink);
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let end = tracker.clock();
    let connections = tracker.started();
    let peak_live = tracker.peak_live();
    let time_wait = tracker.finish(&mut sink);
    CaptureResult {
        capture: CaptureSummary {
            path: name,
            format: reader.format(),
            gzip: reader.is_gzip(),
            link_types: reader.link_types().to_vec(),
            stats,
            first_ts,
            last_ts,
            damage,
        },
        time_wait,
        end,
        connections,
        peak_live,
        stopped: sink.stop,
    }
}

/// Every connection of a capture, in the order they ended (tests and small tools).
pub fn connections(
    path: &Path,
    cfg: TcpConfig,
) -> Result<(CaptureResult, Vec<Connection>), CaptureError> {
    let mut all = Vec::new();
    let res = analyze_capture(path, cfg, |c| {
        all.push(c);
        ControlFlow::Continue(())
    })?;
    Ok((res, all))
}
