//! Where capture bytes come from: a file or standard input (`-`), gunzipped when the bytes start
//! with gzip's magic (never by file name). Reads are streamed; nothing holds the whole file.

use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The name that stands for standard input.
pub const STDIN: &str = "-";

/// What the reader learns about its input besides the bytes: the first I/O error (pcap-parser
/// folds every error into a bare `ReadError`, so the real one is kept here) and how many raw bytes
/// were read from the file, compressed or not, for progress reporting.
#[derive(Clone, Debug, Default)]
pub struct SourceStatus {
    error: Arc<Mutex<Option<io::Error>>>,
    raw_bytes: Arc<AtomicU64>,
}

impl SourceStatus {
    /// The I/O error that ended the input early, if one did.
    pub fn take_error(&self) -> Option<io::Error> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }

    /// Bytes read so far from the underlying file or pipe (compressed bytes for gzip).
    pub fn raw_bytes(&self) -> u64 {
        self.raw_bytes.load(Ordering::Relaxed)
    }
}

/// An opened input: the byte stream pcap-parser reads, plus what it is.
pub struct Input {
    pub stream: Source,
    pub gzip: bool,
    /// Size on disk, when the input is a regular file (for progress bars).
    pub size: Option<u64>,
    pub status: SourceStatus,
}

/// Opens `path` (or standard input for `-`) and unwraps gzip when the data says so.
pub fn open(path: &Path) -> io::Result<Input> {
    let (raw, size): (Box<dyn Read + Send>, Option<u64>) = if path.as_os_str() == STDIN {
        (Box::new(io::stdin()), None)
    } else {
        let f = File::open(path)?;
        let size = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        (Box::new(f), size)
    };
    Ok(from_reader(raw, size))
}

/// Wraps any byte stream the same way [`open`] wraps a file.
pub fn from_reader(raw: Box<dyn Read + Send>, size: Option<u64>) -> Input {
    let status = SourceStatus::default();
    let mut counted = Counted {
        inner: raw,
        count: status.raw_bytes.clone(),
    };
    let mut head = [0u8; 2];
    let (n, err) = read_full(&mut counted, &mut head);
    let head_reader = Cursor::new(head).take(n as u64);
    let gzip = n == 2 && head == GZIP_MAGIC;
    let stream: Box<dyn Read + Send> = if gzip {
        Box::new(MultiGzDecoder::new(BufReader::with_capacity(
            1 << 16,
            head_reader.chain(counted),
        )))
    } else {
        Box::new(head_reader.chain(counted))
    };
    if let Some(e) = err {
        store(&status, e);
    }
    Input {
        stream: Source {
            inner: stream,
            status: status.clone(),
            failed: false,
        },
        gzip,
        size,
        status,
    }
}

fn store(status: &SourceStatus, e: io::Error) {
    if let Ok(mut slot) = status.error.lock() {
        slot.get_or_insert(e);
    }
}

/// Reads until `buf` is full, the input ends, or an error: returns the bytes read and the error.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return (filled, Some(e)),
        }
    }
    (filled, None)
}

/// The stream handed to pcap-parser. Each `read` fills the whole buffer unless the input ends:
/// pcap-parser's readers read once per refill and would otherwise see a pipe's short reads as
/// missing data. An I/O error is parked in [`SourceStatus`] and the stream then looks ended, so
/// the reader stops at the last whole record and the error is reported with its offset.
pub struct Source {
    inner: Box<dyn Read + Send>,
    status: SourceStatus,
    failed: bool,
}

impl Source {
    /// Reads up to `n` bytes and puts them back, so the stream still starts at its first byte.
    pub fn peek(&mut self, n: usize) -> Vec<u8> {
        let mut head = vec![0u8; n];
        let (got, err) = read_full(&mut self.inner, &mut head);
        head.truncate(got);
        if let Some(e) = err {
            store(&self.status, e);
        }
        let rest = std::mem::replace(&mut self.inner, Box::new(io::empty()));
        self.inner = Box::new(Cursor::new(head.clone()).chain(rest));
        head
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Ok(0);
        }
        let (n, err) = read_full(&mut self.inner, buf);
        if let Some(e) = err {
            self.failed = true;
            store(&self.status, e);
        }
        Ok(n)
    }
}

/// Counts the raw bytes read, before any decompression.
struct Counted {
    inner: Box<dyn Read + Send>,
    count: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
