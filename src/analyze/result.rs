//! What reading a capture found: per file and for the timeline (counts, times, damage), and
//! per host, the TIME-WAIT held.

use crate::capture::{CaptureError, Format, LinkType};
use crate::decode::DecodeStats;
use crate::flow::TimeWaitHolder;
use crate::time::Timestamp;
use std::net::IpAddr;

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
    pub(super) fn merged(parts: &[CaptureSummary]) -> CaptureSummary {
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
    /// How many the busiest hosts held over capture time (the first 64 hosts to hold any), in
    /// the order of `time_wait`.
    pub time_wait_series: Vec<(IpAddr, crate::series::Series)>,
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
