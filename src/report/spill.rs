//! Output held back for the end of a document (the JSON report's `findings` come after every
//! connection): kept in memory up to a limit, then in an anonymous temporary file, so memory
//! stays flat however many findings a capture has.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};

/// In memory up to this many bytes.
const IN_MEMORY: usize = 4 << 20;

#[derive(Default)]
pub struct Spill {
    mem: Vec<u8>,
    file: Option<BufWriter<File>>,
}

impl Spill {
    /// Nothing written yet.
    pub fn is_empty(&self) -> bool {
        self.mem.is_empty() && self.file.is_none()
    }

    /// Writes everything held but its first `skip` bytes, in order, to `out`, and starts over.
    pub fn drain_to(&mut self, out: &mut impl Write, skip: usize) -> io::Result<()> {
        let mut skip = skip;
        if let Some(f) = self.file.take() {
            let mut f = f.into_inner().map_err(io::IntoInnerError::into_error)?;
            // The file holds at least IN_MEMORY bytes, far more than any skip.
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
        if self.mem.len() >= IN_MEMORY {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_across_memory_and_file() {
        let mut s = Spill::default();
        assert!(s.is_empty());
        let chunk = vec![b'x'; 1 << 20];
        for i in 0..10u8 {
            s.write_all(&[i]).unwrap();
            s.write_all(&chunk).unwrap();
        }
        assert!(s.file.is_some(), "spilled past the memory limit");
        let mut out = Vec::new();
        s.drain_to(&mut out, 0).unwrap();
        assert_eq!(out.len(), 10 * (1 + chunk.len()));
        for i in 0..10usize {
            assert_eq!(out[i * (1 + chunk.len())], i as u8);
        }
        assert!(s.is_empty());
        s.write_all(b",a,b").unwrap();
        let mut out = Vec::new();
        s.drain_to(&mut out, 1).unwrap();
        assert_eq!(out, b"a,b");
    }
}
