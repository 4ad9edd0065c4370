//! Runs one capture through the pipeline: frames are read, decoded, counted, and each TCP
//! segment is handed on. Damage part-way (a cut or corrupt record) ends the capture early but
//! keeps everything read before it.

use crate::capture::{CaptureError, CaptureReader, Format, LinkType};
use crate::decode::{decode, DecodeStats, Decoded, TcpSegment};
use crate::time::Timestamp;
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

/// Reads the capture at `path` (or stdin for `-`), calling `on_segment` for every TCP segment in
/// capture order. Fails only when the input cannot be opened or is not a capture at all.
pub fn analyze_capture(
    path: &Path,
    on_segment: impl FnMut(&TcpSegment),
) -> Result<CaptureSummary, CaptureError> {
    let reader = CaptureReader::open(path)?;
    Ok(run(path.display().to_string(), reader, on_segment))
}

/// Same as [`analyze_capture`] for a reader that is already open.
pub fn run(
    name: String,
    mut reader: CaptureReader,
    mut on_segment: impl FnMut(&TcpSegment),
) -> CaptureSummary {
    let mut stats = DecodeStats::default();
    let mut first_ts = None;
    let mut last_ts = None;
    let damage = loop {
        match reader.next_frame() {
            Ok(Some(frame)) => {
                first_ts.get_or_insert(frame.ts);
                last_ts = Some(frame.ts);
                let d = decode(&frame);
                stats.count(&d);
                if let Decoded::Tcp(seg) = &d {
                    on_segment(seg);
                }
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    CaptureSummary {
        path: name,
        format: reader.format(),
        gzip: reader.is_gzip(),
        link_types: reader.link_types().to_vec(),
        stats,
        first_ts,
        last_ts,
        damage,
    }
}
