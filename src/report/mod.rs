//! Output. One [`Emitter`] per format; each receives the pipeline's results as they become final
//! (a connection when it ends, a capture when it has been read, the summary at the end) and writes
//! them to its own writer. Headers and footers belong to the human formats only.

mod csv;
mod json;
mod jsonl;
pub mod record;
pub mod summary;
mod table;
mod zeek;

pub use self::csv::CsvEmitter;
pub use json::{CaptureJson, JsonEmitter};
pub use jsonl::JsonlEmitter;
pub use record::ConnReport;
pub use summary::Summary;
pub use table::{TableEmitter, TableOptions};
pub use zeek::ZeekEmitter;

use crate::analyze::CaptureResult;
use std::io;

/// Version of the JSON document's layout (CONTRACT.md's `schema`).
pub const SCHEMA_VERSION: u32 = 1;

pub trait Emitter {
    /// A connection has ended.
    fn connection(&mut self, conn: &ConnReport) -> io::Result<()>;
    /// A capture has been read to its end (or to its damage); its connections have all been
    /// handed over.
    fn capture(&mut self, capture: &CaptureResult) -> io::Result<()>;
    /// Everything has been read: write what remains and flush.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}
