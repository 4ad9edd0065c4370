//! Output. One [`Emitter`] per format; each receives the pipeline's results as they become final
//! (a connection when it ends, a capture when it has been read, the summary at the end) and writes
//! them to its own writer. Headers and footers belong to the human formats only.

mod csv;
mod fast_json;
pub mod html;
mod json;
mod jsonl;
mod lint;
mod parquet;
pub mod record;
pub mod show;
pub(crate) mod spill;
pub mod summary;
mod table;
mod zeek;

pub use self::csv::CsvEmitter;
pub use json::{CaptureJson, JsonEmitter};
pub use jsonl::JsonlEmitter;
pub use lint::{GithubEmitter, HumanEmitter, JunitEmitter, LintJsonEmitter, SarifEmitter};
pub use parquet::ParquetEmitter;
pub use record::ConnReport;
pub use summary::Summary;
pub use table::{TableEmitter, TableOptions};
pub use zeek::ZeekEmitter;

use crate::analyze::CaptureResult;
use crate::findings::{Finding, Verdict};
use std::io;
use std::sync::Arc;

/// Version of the JSON document's layout (CONTRACT.md's `schema`).
pub const SCHEMA_VERSION: u32 = 1;

/// A capture that could not be read, or only up to a corrupt block, or held nothing synack
/// decodes: one entry of the document's `errors` (CONTRACT.md, "A failed run never looks
/// clean"). Each format shows every one, and a run with any exits 2.
#[derive(Clone, Debug, serde::Serialize)]
pub struct InputError {
    /// The file, as given on the command line (one file of a `--merge`, not the merged name).
    pub path: String,
    /// Byte offset in the (decompressed) capture, where there is one.
    pub offset: Option<u64>,
    /// What went wrong and what to do, without the offset.
    pub message: String,
}

impl InputError {
    pub fn new(path: &str, offset: Option<u64>, message: String) -> Self {
        InputError {
            path: path.to_string(),
            offset,
            message,
        }
    }

    /// `at byte N: message`, or the message alone.
    pub fn located(&self) -> String {
        match self.offset {
            Some(o) => format!("at byte {o}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

/// The part of a format that needs no writer: turning a connection and its findings into the
/// bytes the emitter will write. It runs on the tracker threads with `--jobs`, so serializing
/// uses every core as well.
pub trait Render: Send + Sync {
    /// Appends to `out` the bytes for the output now, then the bytes held for the end of the
    /// document (the JSON report's `findings`, each led by a comma); returns how many of the
    /// appended bytes are for now.
    fn render(&self, rec: &ConnReport, out: &mut Vec<u8>) -> io::Result<usize>;
}

/// The one output trait: report formats use connections and the summary, lint formats use
/// findings and verdicts; each ignores what it does not show.
pub trait Emitter {
    /// A connection has ended, with its findings (report only).
    fn connection(&mut self, _conn: &ConnReport) -> io::Result<()> {
        Ok(())
    }
    /// A connection has ended, already turned into bytes by this format's
    /// [`Emitter::renderer`]: `now` for the output, `later` for the end of the document.
    fn rendered(&mut self, _now: &[u8], _later: &[u8]) -> io::Result<()> {
        Ok(())
    }
    /// A finding of no connection (capture-wide); for lint, every finding.
    fn finding(&mut self, _finding: &Finding) -> io::Result<()> {
        Ok(())
    }
    /// Serializes connections on other threads, when the format can.
    fn renderer(&self) -> Option<Arc<dyn Render>> {
        None
    }
    /// A capture could not be read (no [`Emitter::capture`] follows for it), or was read only
    /// up to a corrupt block (its `capture` follows). Every format must show it: a run with an
    /// error never looks clean.
    fn error(&mut self, error: &InputError) -> io::Result<()>;
    /// A capture has been read to its end (or to its damage); its connections and findings have
    /// all been handed over. `verdict` is lint's judgement of it.
    fn capture(&mut self, capture: &CaptureResult, verdict: Option<&Verdict>) -> io::Result<()>;
    /// Everything has been read: write what remains and flush.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}
