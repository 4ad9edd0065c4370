//! Output. One [`Emitter`] per format; each receives the pipeline's results as they become final
//! and writes them to its own writer. Headers and footers belong to the human formats only.

mod json;
mod table;

pub use json::JsonEmitter;
pub use table::TableEmitter;

use crate::analyze::CaptureSummary;
use std::io;

/// Version of the JSON document's layout (CONTRACT.md's `schema`).
pub const SCHEMA_VERSION: u32 = 1;

pub trait Emitter {
    /// A capture has been read to its end (or to its damage).
    fn capture(&mut self, capture: &CaptureSummary) -> io::Result<()>;
    /// Everything has been read: write what remains and flush.
    fn finish(&mut self) -> io::Result<()>;
}
