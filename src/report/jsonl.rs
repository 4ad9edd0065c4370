//! `--format jsonl`: one JSON object per line, each with a `type` of `capture`, `connection`,
//! `finding`, `error` or `summary`; connections are written as they end, errors as they happen
//! (and again in the summary's `errors`, with `failed`).

use super::fast_json;
use super::{CaptureJson, ConnReport, Emitter, InputError, Render, Summary, SCHEMA_VERSION};
use crate::analyze::CaptureResult;
use crate::findings::Verdict;
use serde::Serialize;
use std::io::{self, Write};
use std::sync::Arc;

#[derive(Serialize)]
struct Tagged<'a, T: Serialize> {
    #[serde(rename = "type")]
    ty: &'static str,
    #[serde(flatten)]
    inner: &'a T,
}

pub struct JsonlEmitter<W: Write> {
    out: W,
    /// Repeated in the summary line, after each was written as it happened.
    errors: Vec<InputError>,
    /// Where a connection's lines are made before they are written.
    scratch: Vec<u8>,
}

impl<W: Write> JsonlEmitter<W> {
    pub fn new(out: W) -> Self {
        JsonlEmitter {
            out,
            errors: Vec::new(),
            scratch: Vec::new(),
        }
    }

    fn line<T: Serialize>(&mut self, ty: &'static str, inner: &T) -> io::Result<()> {
        line(&mut self.out, ty, inner)
    }
}

fn line<T: Serialize>(out: &mut impl Write, ty: &'static str, inner: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &Tagged { ty, inner })?;
    out.write_all(b"\n")
}

/// A connection's findings, then the connection: the lines the emitter would write.
pub struct JsonlRender;

impl Render for JsonlRender {
    fn render(&self, rec: &ConnReport, out: &mut Vec<u8>) -> io::Result<usize> {
        let start = out.len();
        for f in &rec.findings {
            fast_json::finding(out, f, Some("finding"))?;
            out.push(b'\n');
        }
        fast_json::connection(out, rec, Some("connection"))?;
        out.push(b'\n');
        Ok(out.len() - start)
    }
}

impl<W: Write> Emitter for JsonlEmitter<W> {
    fn connection(&mut self, conn: &ConnReport) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        JsonlRender.render(conn, &mut buf)?;
        self.out.write_all(&buf)?;
        self.scratch = buf;
        Ok(())
    }

    fn rendered(&mut self, now: &[u8], _: &[u8]) -> io::Result<()> {
        self.out.write_all(now)
    }

    fn renderer(&self) -> Option<Arc<dyn Render>> {
        Some(Arc::new(JsonlRender))
    }

    fn finding(&mut self, f: &crate::findings::Finding) -> io::Result<()> {
        self.line("finding", f)
    }

    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.line("error", e)?;
        self.errors.push(e.clone());
        self.out.flush()
    }

    fn capture(&mut self, c: &CaptureResult, _: Option<&Verdict>) -> io::Result<()> {
        self.line("capture", &CaptureJson::of(c))?;
        // A consumer reading the stream live sees each capture as soon as it is done.
        self.out.flush()
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        #[derive(Serialize)]
        struct Versioned<'a, T: Serialize> {
            schema: u32,
            synack_version: &'static str,
            failed: bool,
            errors: &'a [InputError],
            #[serde(flatten)]
            summary: &'a T,
        }
        let v = Versioned {
            schema: SCHEMA_VERSION,
            synack_version: env!("CARGO_PKG_VERSION"),
            failed: !self.errors.is_empty(),
            errors: &self.errors,
            summary: &summary.to_json(),
        };
        line(&mut self.out, "summary", &v)?;
        self.out.flush()
    }
}
