//! Output held back for the end of a document (the JSON report's `findings` come after every
//! connection): kept in memory up to a limit, then in an anonymous temporary file, so memory
//! stays flat however many findings a capture has.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};

/// In memory up to this many bytes, by default.
const IN_MEMORY: usize = 1 << 20;

pub struct Spill {
    mem: Vec<u8>,
    file: Option<BufWriter<File>>,
    limit: usize,
}

impl Default for Spill {
    fn default() -> Self {
        Spill::with_limit(IN_MEMORY)
    }
}

impl Spill {
    /// Kept in memory up to `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        Spill {
            mem: Vec::new(),
            file: None,
            limit,
        }
    }

    /// Nothing written yet.
    pub fn is_empty(&self) -> bool {
        self.mem.is_empty() && self.file.is_none()
    }

    /// Writes everything held but its first `skip` bytes, in order, to `out`, and starts over.
    pub fn drain_to(&mut self, out: &mut impl Write, skip: usize) -> io::Result<()> {
        let mut skip = skip;
        if let Some(f) = self.file.take() {
            let mut f = f.into_inner().map_err(io::IntoInnerError::into_error)?;
            // The file holds at least `limit` bytes, more than any skip.
            f.seek(SeekFrom::Start(skip as u64))?;
            skip = 0;
            io::copy(&mut f, out)?;
        }
        out.write_all(self.mem.get(skip..).unwrap_or_default())?;
        self.mem.clear();
        Ok(())
    }
}

impl Write for Spill {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.mem.extend_from_slice(buf);
        if self.mem.len() >= self.limit {
            if self.file.is_none() {
                match tempfile::tempfile() {
                    Ok(f) => self.file = Some(BufWriter::with_capacity(1 << 16, f)),
                    // No writable temporary directory: keep it in memory rather than fail.
                    Err(_) => return Ok(()),
                }
            }
            if let Some(f) = &mut self.file {
                f.write_all(&self.mem)?;
                self.mem.clear();
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Output held back per rule (lint's human and JUnit formats list findings grouped by rule):
/// one [`Spill`] per rule code, each kept small in memory.
#[derive(Default)]
pub struct Grouped {
    groups: Vec<(&'static str, Spill)>,
}

impl Grouped {
    /// Where to write more for `code`.
    pub fn group(&mut self, code: &'static str) -> &mut Spill {
        let i = match self.groups.iter().position(|(c, _)| *c == code) {
            Some(i) => i,
            None => {
                self.groups.push((code, Spill::with_limit(64 << 10)));
                self.groups.len() - 1
            }
        };
        &mut self.groups[i].1
    }

    /// Writes what `code` holds but its first `skip` bytes to `out`, and forgets it.
    pub fn drain_to(&mut self, code: &str, out: &mut impl Write, skip: usize) -> io::Result<()> {
        match self.groups.iter().position(|(c, _)| *c == code) {
            Some(i) => self.groups.swap_remove(i).1.drain_to(out, skip),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
