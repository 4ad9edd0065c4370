//! `--format json`: one document, CONTRACT.md's schema 1.

use super::{Emitter, SCHEMA_VERSION};
use crate::analyze::CaptureSummary;
use serde::Serialize;
use std::io::{self, Write};

/// The `captures[]` object of CONTRACT.md, plus the fields synack adds.
#[derive(Serialize)]
pub struct CaptureJson<'a> {
    pub path: &'a str,
    pub format: String,
    pub link_types: Vec<String>,
    pub packets: u64,
    pub tcp_segments: u64,
    pub non_tcp: u64,
    pub truncated: u64,
    pub undecodable: u64,
    pub first_ts: Option<f64>,
    pub last_ts: Option<f64>,
    pub complete: bool,
    /// Added: the capture was gzip-compressed.
    pub gzip: bool,
    /// Added: of `non_tcp`, IP fragments (never reassembled).
    pub ip_fragments: u64,
    /// Added: where and why reading stopped early, when it did.
    pub damage: Option<DamageJson>,
}

#[derive(Serialize)]
pub struct DamageJson {
    pub offset: Option<u64>,
    /// The file simply ends mid-record (true), or it is corrupt (false).
    pub cut: bool,
    pub message: String,
}

impl<'a> From<&'a CaptureSummary> for CaptureJson<'a> {
    fn from(c: &'a CaptureSummary) -> Self {
        CaptureJson {
            path: &c.path,
            format: c.format.to_string(),
            link_types: c.link_types.iter().map(|l| l.to_string()).collect(),
            packets: c.stats.packets,
            tcp_segments: c.stats.tcp_segments,
            non_tcp: c.stats.non_tcp,
            truncated: c.stats.truncated,
            undecodable: c.stats.undecodable,
            first_ts: c.first_ts.map(|t| t.as_secs_f64()),
            last_ts: c.last_ts.map(|t| t.as_secs_f64()),
            complete: c.complete(),
            gzip: c.gzip,
            ip_fragments: c.stats.ip_fragments,
            damage: c.damage.as_ref().map(|d| DamageJson {
                offset: d.offset,
                cut: d.is_cut(),
                message: d.to_string(),
            }),
        }
    }
}

pub struct JsonEmitter<W: Write> {
    out: W,
    captures: Vec<serde_json::Value>,
}

impl<W: Write> JsonEmitter<W> {
    pub fn new(out: W) -> Self {
        JsonEmitter {
            out,
            captures: Vec::new(),
        }
    }
}

impl<W: Write> Emitter for JsonEmitter<W> {
    fn capture(&mut self, capture: &CaptureSummary) -> io::Result<()> {
        let v = serde_json::to_value(CaptureJson::from(capture)).map_err(io::Error::other)?;
        self.captures.push(v);
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let doc = serde_json::json!({
            "schema": SCHEMA_VERSION,
            "synack_version": env!("CARGO_PKG_VERSION"),
            "captures": self.captures,
        });
        serde_json::to_writer_pretty(&mut self.out, &doc).map_err(io::Error::from)?;
        writeln!(self.out)?;
        self.out.flush()
    }
}
