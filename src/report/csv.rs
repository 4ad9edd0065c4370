//! `--format csv`: one row per connection, with a header row.
//!
//! A run where a capture could not be read never looks like a healthy CSV: the header is
//! written only once a capture has been read, and the document ends with one
//! `# synack: error: PATH: …` line per capture not read. Readers that take comments (pandas'
//! `comment="#"`, DuckDB's `comment = '#'`) skip them; the others stop on them, as they should.

use super::{ConnReport, Emitter, InputError, Summary};
use crate::analyze::CaptureResult;
use crate::findings::Verdict;
use std::io::{self, Write};

const HEADER: [&str; 27] = [
    "capture",
    "id",
    "orig_addr",
    "orig_port",
    "resp_addr",
    "resp_port",
    "first_ts",
    "last_ts",
    "first_frame",
    "last_frame",
    "duration",
    "orig_state",
    "resp_state",
    "conn_state",
    "history",
    "orig_packets",
    "resp_packets",
    "orig_bytes",
    "resp_bytes",
    "syn_retransmits",
    "synack_retransmits",
    "rst_by",
    "rst_kind",
    "syn_to_synack",
    "synack_to_ack",
    "midstream",
    "reused_time_wait",
];

pub struct CsvEmitter<W: Write> {
    /// Taken at the end, to write the error lines under the rows.
    out: Option<csv::Writer<W>>,
    header: bool,
    errors: Vec<InputError>,
}

impl<W: Write> CsvEmitter<W> {
    pub fn new(out: W) -> Self {
        CsvEmitter {
            out: Some(csv::Writer::from_writer(out)),
            header: false,
            errors: Vec::new(),
        }
    }

    fn out(&mut self) -> io::Result<&mut csv::Writer<W>> {
        self.out
            .as_mut()
            .ok_or_else(|| io::Error::other("the CSV document is finished"))
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.header {
            self.header = true;
            self.out()?.write_record(HEADER).map_err(io_error)?;
        }
        Ok(())
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

impl<W: Write> Emitter for CsvEmitter<W> {
    fn connection(&mut self, c: &ConnReport) -> io::Result<()> {
        self.header()?;
        let hs = c.handshake.as_ref();
        let row: [String; 27] = [
            c.capture.to_string(),
            c.id.to_string(),
            c.orig.addr.to_string(),
            c.orig.port.to_string(),
            c.resp.addr.to_string(),
            c.resp.port.to_string(),
            c.first_ts.as_secs_f64().to_string(),
            c.last_ts.as_secs_f64().to_string(),
            c.first_frame.to_string(),
            c.last_frame.to_string(),
            c.duration.to_string(),
            c.orig_state.to_string(),
            c.resp_state.to_string(),
            c.conn_state.name().to_string(),
            c.history.clone(),
            c.orig_packets.to_string(),
            c.resp_packets.to_string(),
            c.orig_bytes.to_string(),
            c.resp_bytes.to_string(),
            c.syn_retransmits.to_string(),
            c.synack_retransmits.to_string(),
            opt(c.rst.as_ref().map(|r| r.by)),
            opt(c.rst.as_ref().map(|r| r.kind)),
            opt(hs.and_then(|h| h.syn_to_synack)),
            opt(hs.and_then(|h| h.synack_to_ack)),
            c.midstream.to_string(),
            c.reused_time_wait.to_string(),
        ];
        self.out()?.write_record(&row).map_err(io_error)?;
        Ok(())
    }

    fn error(&mut self, e: &InputError) -> io::Result<()> {
        self.errors.push(e.clone());
        Ok(())
    }

    fn capture(&mut self, _: &CaptureResult, _: Option<&Verdict>) -> io::Result<()> {
        // A capture read with no connection still gets its header: an empty table, truly.
        self.header()
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        let Some(csv) = self.out.take() else {
            return Ok(());
        };
        let mut out = csv
            .into_inner()
            .map_err(|e| io::Error::new(e.error().kind(), e.error().to_string()))?;
        for e in &self.errors {
            // One line each: messages hold no newline, but a path might.
            let line = format!("# synack: error: {}: {}", e.path, e.located());
            writeln!(out, "{}", line.replace(['\n', '\r'], " "))?;
        }
        out.flush()
    }
}

/// csv's own error back to the I/O error under it, so a closed pipe stays a closed pipe.
fn io_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}
