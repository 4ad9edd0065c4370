//! `--format csv`: one row per connection, with a header row.

use super::{ConnReport, Emitter, Summary};
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
    out: csv::Writer<W>,
    header: bool,
}

impl<W: Write> CsvEmitter<W> {
    pub fn new(out: W) -> Self {
        CsvEmitter {
            out: csv::Writer::from_writer(out),
            header: false,
        }
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.header {
            self.header = true;
            self.out.write_record(HEADER).map_err(io_error)?;
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
            c.conn_state.to_string(),
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
        self.out.write_record(&row).map_err(io_error)?;
        Ok(())
    }

    fn capture(&mut self, _: &CaptureResult, _: Option<&Verdict>) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, _: &Summary) -> io::Result<()> {
        self.header()?;
        self.out.flush()
    }
}

/// csv's own error back to the I/O error under it, so a closed pipe stays a closed pipe.
fn io_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}
