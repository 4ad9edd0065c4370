//! `--format json`: one document, CONTRACT.md's schema 1, written while the capture is read:
//! each connection as it ends, then `failed` and `errors`, the captures, the summary and the findings. Consumers must
//! not rely on key order.

use super::fast_json;
use super::spill::Spill;
use super::{ConnReport, Emitter, InputError, Render, Summary, SCHEMA_VERSION};
use crate::analyze::{CaptureResult, CaptureSummary};
use crate::findings::Verdict;
use serde::Serialize;
use std::io::{self, Write};
use std::sync::Arc;

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
    /// Copies of a frame captured again (several VLANs or interfaces), CQ007.
    pub duplicates: u64,
    /// Timestamps invalid, far ahead or far back, CQ008.
    pub clock_anomalies: u64,
    pub first_ts: Option<f64>,
    pub last_ts: Option<f64>,
    pub complete: bool,
    /// Added: the capture was gzip-compressed.
    pub gzip: bool,
    /// Added: of `non_tcp`, IP fragments (never reassembled).
    pub ip_fragments: u64,
    /// Added: where and why reading stopped early, when it did.
    pub damage: Option<DamageJson>,
    /// Added: TCP connections in the capture (before any filter); not for the files of a merged
    /// timeline, whose connections span them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections: Option<u64>,
    /// Added: of those, retired early because more than `--max-connections` were live (CQ006).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_segments: Option<u64>,
    /// Added, with `--merge`: each file of the timeline (the object itself sums them, its
    /// `path` joins theirs with `+`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<CaptureJson<'a>>,
}

#[derive(Serialize)]
pub struct DamageJson {
    pub offset: Option<u64>,
    /// The file simply ends mid-record (true), or it is corrupt (false).
    pub cut: bool,
    pub message: String,
}

impl<'a> CaptureJson<'a> {
    pub fn new(c: &'a CaptureSummary, connections: Option<u64>) -> Self {
        CaptureJson {
            path: &c.path,
            format: c.format.to_string(),
            link_types: c.link_types.iter().map(|l| l.to_string()).collect(),
            packets: c.stats.packets,
            tcp_segments: c.stats.tcp_segments,
            non_tcp: c.stats.non_tcp,
            truncated: c.stats.truncated,
            undecodable: c.stats.undecodable,
            duplicates: c.stats.duplicates,
            clock_anomalies: c.stats.clock_anomalies,
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
            connections,
            retired: None,
            late_segments: None,
            files: Vec::new(),
        }
    }

    /// A capture's object; a merged timeline's lists its files.
    pub fn of(r: &'a CaptureResult) -> Self {
        let mut c = CaptureJson::new(&r.capture, Some(r.connections));
        c.retired = Some(r.retired);
        c.late_segments = Some(r.late_segments);
        if !r.parts.is_empty() {
            c.complete = r.parts.iter().all(CaptureSummary::complete);
            c.files = r.parts.iter().map(|p| CaptureJson::new(p, None)).collect();
        }
        c
    }
}

pub struct JsonEmitter<W: Write> {
    out: W,
    started: bool,
    connections: usize,
    captures: Vec<String>,
    /// Findings, already serialized and comma-separated, for the end of the document.
    findings: Spill,
    /// Where a connection is serialized before it is written.
    scratch: Vec<u8>,
    /// Captures not read: `failed` and `errors`.
    errors: Vec<InputError>,
}

impl<W: Write> JsonEmitter<W> {
    pub fn new(out: W) -> Self {
        JsonEmitter {
            out,
            started: false,
            connections: 0,
            captures: Vec::new(),
            findings: Spill::default(),
            scratch: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Before each connection: the first item of an array goes without the comma.
    fn separate(&mut self) -> io::Result<()> {
        self.start()?;
        let sep = if self.connections == 0 {
            &ITEM[1..]
        } else {
            ITEM
        };
        self.connections += 1;
        self.out.write_all(sep)
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            write!(
                self.out,
                "{{\n  \"schema\": {SCHEMA_VERSION},\n  \"synack_version\": \"{}\",\n  \"connections\": [",
                env!("CARGO_PKG_VERSION")
            )?;
        }
        Ok(())
    }
}

fn compact<T: Serialize>(v: &T) -> io::Result<String> {
    serde_json::to_string(v).map_err(io::Error::other)
}

/// A connection as `connections[]` holds it, and its findings for the final `findings[]`.
pub struct JsonRender;

/// How items are separated in the document's arrays.
const ITEM: &[u8] = b",\n    ";

impl Render for JsonRender {
    fn render(&self, rec: &ConnReport, out: &mut Vec<u8>) -> io::Result<usize> {
        let start = out.len();
        fast_json::connection(out, rec, None)?;
        let now = out.len() - start;
        for f in &rec.findings {
            out.extend_from_slice(ITEM);
            fast_json::finding(out, f, None)?;
        }
        Ok(now)
    }
}

impl<W: Write> Emitter for JsonEmitter<W> {
    fn connection(&mut self, conn: &ConnReport) -> io::Result<()> {
        self.separate()?;
        // Serialized into memory first: the serializer's many small writes are cheaper there
        // than through the output's buffer.
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        let now = JsonRender.render(conn, &mut buf)?;
        let (now, later) = buf.split_at(now);
        self.out.write_all(now)?;
        self.findings.write_all(later)?;
        self.scratch = buf;
        Ok(())
    }

    fn rendered(&mut self, now: &[u8], later: &[u8]) -> io::Result<()> {
        self.separate()?;
        self.out.write_all(now)?;
        self.findings.write_all(later)
    }

    fn finding(&mut self, f: &crate::findings::Finding) -> io::Result<()> {
        self.findings.write_all(ITEM)?;
        serde_json::to_writer(&mut self.findings, f)?;
        Ok(())
    }

    fn renderer(&self) -> Option<Arc<dyn Render>> {
        Some(Arc::new(JsonRender))
    }

    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.errors.push(e.clone());
        Ok(())
    }

    fn capture(&mut self, c: &CaptureResult, _: Option<&Verdict>) -> io::Result<()> {
        self.start()?;
        self.captures.push(compact(&CaptureJson::of(c))?);
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.start()?;
        let close = if self.connections == 0 { "]" } else { "\n  ]" };
        write!(
            self.out,
            "{close},\n  \"failed\": {},\n  \"errors\": {},\n  \"captures\": [",
            !self.errors.is_empty(),
            compact(&self.errors)?
        )?;
        for (i, c) in self.captures.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(self.out, "{sep}\n    {c}")?;
        }
        let close = if self.captures.is_empty() {
            "]"
        } else {
            "\n  ]"
        };
        let close_findings = if self.findings.is_empty() { "" } else { "\n  " };
        write!(
            self.out,
            "{close},\n  \"summary\": {},\n  \"findings\": [",
            compact(&summary.to_json())?,
        )?;
        // Every finding was written led by a comma: the first one's is dropped.
        self.findings.drain_to(&mut self.out, 1)?;
        write!(self.out, "{close_findings}]\n}}\n")?;
        self.out.flush()
    }
}
