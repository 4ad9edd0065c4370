//! Capture reading: pcap (both byte orders, µs and ns magic) and pcapng (several sections, several
//! interfaces each with its own link type, `if_tsresol`, `if_tsoffset`; Enhanced, Simple and
//! obsolete Packet Blocks; other blocks skipped), plain or gzip-compressed, from a file or stdin.
//!
//! Guarantees: memory is constant (pcap-parser's streaming reader over a bounded buffer); frames
//! are numbered from 1 as Wireshark numbers them; nothing in the file's bytes can make this module
//! panic. A file that is not a capture fails at open with an error naming the byte offset. Damage
//! later in the file (a record cut short, a corrupt block, a packet naming a missing interface)
//! ends the frame stream with a [`CaptureError`] after every whole record before it was handed out.

mod linktype;
pub mod source;

pub use linktype::LinkType;

use crate::time::Timestamp;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError, PcapNGReader};
use source::{Input, Source, SourceStatus};
use std::fmt;
use std::io::{self, Read};
use std::path::Path;

/// One captured frame, borrowed from the reader's buffer until the next call.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// 1-based, counting every packet record of the file as Wireshark does.
    pub number: u64,
    pub ts: Timestamp,
    pub link: LinkType,
    /// The captured bytes (at most the snap length).
    pub data: &'a [u8],
    /// The frame's length on the wire; larger than `data.len()` when the snap length cut it.
    pub orig_len: u32,
    /// The timestamp as written cannot be right: a pcap fraction of a second of 10⁶ µs (10⁹ ns)
    /// or more (`ts` then holds the whole seconds only), or a pcapng time beyond what 64 bits
    /// of nanoseconds hold (past the year 2262; `ts` saturates). A clock anomaly (CQ008).
    pub ts_invalid: bool,
}

impl Frame<'_> {
    pub fn is_truncated(&self) -> bool {
        (self.data.len() as u64) < u64::from(self.orig_len)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap,
    PcapNg,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
        })
    }
}

/// Why reading stopped before the end, or never started.
#[derive(Debug)]
pub struct CaptureError {
    /// Byte offset in the (decompressed) capture where the problem is.
    pub offset: Option<u64>,
    pub kind: ErrorKind,
}

#[derive(Debug)]
pub enum ErrorKind {
    /// The file could not be opened or read.
    Io(io::Error),
    Empty,
    /// Fewer bytes than a file header.
    TooShort(usize),
    /// The first bytes are no pcap or pcapng magic.
    NotACapture {
        magic: [u8; 4],
        text: bool,
    },
    /// A file header or block that cannot be right (bad length, missing interface, ...).
    Corrupt(String),
    /// The data ends inside a record: the capture was cut while being written or copied.
    CutMidRecord {
        needed: Option<u64>,
    },
}

impl CaptureError {
    fn at(offset: u64, kind: ErrorKind) -> Self {
        CaptureError {
            offset: Some(offset),
            kind,
        }
    }

    /// Damage after which the frames read so far are still a faithful prefix of the capture.
    pub fn is_cut(&self) -> bool {
        matches!(self.kind, ErrorKind::CutMidRecord { .. })
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(o) = self.offset {
            write!(f, "at byte {o}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

/// What went wrong and what to do, without the offset.
impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const GIVE: &str = "give a capture written by tcpdump -w, dumpcap, tshark or Wireshark";
        match self {
            ErrorKind::Io(e) if e.kind() == io::ErrorKind::IsADirectory => write!(
                f,
                "is a directory, not a capture; give the capture files in it (for example DIR/*.pcap)"
            ),
            ErrorKind::Io(e) => write!(f, "cannot read the capture: {e}; check the path and permissions"),
            ErrorKind::Empty => write!(f, "the file is empty; {GIVE}"),
            ErrorKind::TooShort(n) => write!(
                f,
                "only {n} bytes, too short for a pcap or pcapng file header; the capture was cut before its header was written, re-copy or re-record it"
            ),
            ErrorKind::NotACapture { magic, text } => {
                write!(
                    f,
                    "not a pcap or pcapng capture (starts with {:02x} {:02x} {:02x} {:02x}",
                    magic[0], magic[1], magic[2], magic[3]
                )?;
                if *text {
                    write!(f, ", looks like text: tcpdump's printed output is not a capture")?;
                }
                write!(f, "); {GIVE}")
            }
            ErrorKind::Corrupt(what) => write!(
                f,
                "{what}; the capture is damaged here: analyse what precedes it, or try `editcap` or Wireshark's \"Export Specified Packets\" to salvage the rest"
            ),
            ErrorKind::CutMidRecord { needed } => {
                write!(f, "the capture ends in the middle of a record")?;
                if let Some(n) = needed {
                    write!(f, " ({n} more bytes expected)")?;
                }
                write!(f, "; it was cut while being written or copied, everything before this point was read")
            }
        }
    }
}

impl std::error::Error for CaptureError {}

/// A pcapng interface, as its Interface Description Block declares it.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    /// `if_tsresol`: bit 7 clear = 10^-n seconds per tick, set = 2^-n.
    tsresol: u8,
    /// `if_tsoffset`, seconds added to every timestamp.
    tsoffset: i64,
}

/// Largest record a legacy pcap may hold before its length counts as corrupt (Wireshark's limit,
/// unless the file's own snap length is larger).
const MAX_PCAP_RECORD: u64 = 262_144;
/// Largest pcapng block we will buffer (Wireshark refuses blocks above 16 MiB too).
const MAX_PCAPNG_BLOCK: u64 = 16 * 1024 * 1024;
const BUFFER: usize = 1 << 20;
/// Bytes sniffed before choosing a parser: a pcap header is 24, a pcapng SHB at least 28.
const SNIFF: usize = 28;

enum Inner {
    Pcap(LegacyPcapReader<Source>),
    Ng(PcapNGReader<Source>),
}

/// Bookkeeping that changes as blocks go by; kept apart from the pcap-parser reader so both can be
/// borrowed at once.
struct State {
    format: Format,
    big_endian: bool,
    /// Legacy pcap: the file header's link type, snap length and timestamp unit.
    pcap_link: LinkType,
    pcap_snaplen: u32,
    pcap_nanos: bool,
    /// pcapng: the interfaces of the current section.
    interfaces: Vec<Interface>,
    /// Every link type declared so far, in order of first appearance.
    link_types: Vec<LinkType>,
    frames: u64,
    last_ts: Timestamp,
}

/// Streams the frames of one capture. See the module notes.
pub struct CaptureReader {
    inner: Inner,
    state: State,
    status: SourceStatus,
    gzip: bool,
    size: Option<u64>,
    /// Length of the block whose frame was handed out last; consumed on the next call.
    pending: usize,
    finished: bool,
}

/// What one parsed block means, detached from the buffer it was parsed from.
enum Step {
    Packet {
        len: usize,
        start: usize,
        caplen: usize,
        orig_len: u32,
        ts: Timestamp,
        ts_invalid: bool,
        link: LinkType,
    },
    Skip(usize),
    /// More data is needed: refill, or grow the buffer when it is full.
    Refill,
    End,
    Fail(ErrorKind),
}

impl CaptureReader {
    /// Opens a capture file, or standard input for `-`.
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        let input = source::open(path).map_err(|e| CaptureError {
            offset: None,
            kind: ErrorKind::Io(e),
        })?;
        Self::from_input(input)
    }

    /// Reads a capture from any byte stream (tests, fuzzing, benches).
    pub fn from_read(r: impl Read + Send + 'static) -> Result<Self, CaptureError> {
        Self::from_input(source::from_reader(Box::new(r), None))
    }

    fn from_input(mut input: Input) -> Result<Self, CaptureError> {
        let head = input.stream.peek(SNIFF);
        let n = head.len();
        if n == 0 {
            if let Some(e) = input.status.take_error() {
                // A directory opens on Unix and fails at its first read: no offset to name.
                let offset = (e.kind() != io::ErrorKind::IsADirectory).then_some(0);
                return Err(CaptureError {
                    offset,
                    kind: ErrorKind::Io(e),
                });
            }
        }
        let format = sniff(&head)?;
        let big_endian = match format {
            Format::Pcap => matches!(head.get(..4), Some([0xa1, 0xb2, ..])),
            Format::PcapNg => matches!(head.get(8..12), Some([0x1a, 0x2b, 0x3c, 0x4d])),
        };
        let stream = input.stream;
        let bad_header = |e: PcapError<&[u8]>| {
            CaptureError::at(
                0,
                match e {
                    PcapError::Incomplete(_) | PcapError::UnexpectedEof | PcapError::Eof => {
                        ErrorKind::TooShort(n)
                    }
                    other => {
                        ErrorKind::Corrupt(format!("the {format} file header is invalid ({other})"))
                    }
                },
            )
        };
        let state = State {
            format,
            big_endian,
            pcap_link: LinkType(0),
            pcap_snaplen: 0,
            pcap_nanos: false,
            interfaces: Vec::new(),
            link_types: Vec::new(),
            frames: 0,
            last_ts: Timestamp::from_nanos(0),
        };
        let inner = match format {
            Format::Pcap => Inner::Pcap(LegacyPcapReader::new(BUFFER, stream).map_err(bad_header)?),
            Format::PcapNg => Inner::Ng(PcapNGReader::new(BUFFER, stream).map_err(bad_header)?),
        };
        Ok(CaptureReader {
            inner,
            state,
            status: input.status,
            gzip: input.gzip,
            size: input.size,
            pending: 0,
            finished: false,
        })
    }

    pub fn format(&self) -> Format {
        self.state.format
    }

    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// Size of the file on disk, when known (not for stdin).
    pub fn file_size(&self) -> Option<u64> {
        self.size
    }

    /// Raw bytes read from the file so far (compressed bytes for gzip), for progress reporting.
    pub fn bytes_read(&self) -> u64 {
        self.status.raw_bytes()
    }

    /// Link types declared by the capture so far, in order of first appearance.
    pub fn link_types(&self) -> &[LinkType] {
        &self.state.link_types
    }

    /// Frames handed out so far.
    pub fn frames(&self) -> u64 {
        self.state.frames
    }

    /// The next frame, `Ok(None)` at the end, or the damage that ends the capture early.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        if self.finished {
            return Ok(None);
        }
        let it: &mut dyn PcapReaderIterator = match &mut self.inner {
            Inner::Pcap(r) => r,
            Inner::Ng(r) => r,
        };
        if self.pending > 0 {
            it.consume(self.pending);
            self.pending = 0;
        }
        loop {
            let base = it.data().as_ptr() as usize;
            let step = match it.next() {
                Ok((len, block)) => classify(&mut self.state, len, block, base),
                Err(e) => match e {
                    PcapError::Incomplete(_) | PcapError::BufferTooSmall => Step::Refill,
                    PcapError::Eof => Step::End,
                    PcapError::UnexpectedEof => Step::End,
                    PcapError::ReadError => Step::End,
                    other => Step::Fail(ErrorKind::Corrupt(describe_parse_error(
                        &self.state,
                        &other,
                    ))),
                },
            };
            let offset = it.consumed() as u64;
            match step {
                Step::Packet {
                    len,
                    start,
                    caplen,
                    orig_len,
                    ts,
                    ts_invalid,
                    link,
                } => {
                    self.pending = len;
                    self.state.frames += 1;
                    let Some(data) = it.data().get(start..start.saturating_add(caplen)) else {
                        self.finished = true;
                        return Err(CaptureError::at(
                            offset,
                            ErrorKind::Corrupt("a packet's data lies outside its block".into()),
                        ));
                    };
                    return Ok(Some(Frame {
                        number: self.state.frames,
                        ts,
                        link,
                        data,
                        orig_len,
                        ts_invalid,
                    }));
                }
                Step::Skip(len) => it.consume(len),
                Step::Refill => {
                    // A whole block is buffered and still does not parse: what it holds claims
                    // more than its length (an EPB's captured length beyond its block). Waiting
                    // for more data would buffer the rest of the file.
                    if let Some(kind) = block_overrun(it.data(), &self.state) {
                        self.finished = true;
                        return Err(CaptureError::at(offset, kind));
                    }
                    let before = it.data().len();
                    if it.refill().is_err() {
                        self.finished = true;
                        return Err(ended(&*it, &self.state, &self.status, offset));
                    }
                    // The buffer is full and still holds no whole record: make room, unless the
                    // record's declared length is beyond anything real. A stream that ended
                    // instead is reported by the next parse as a cut record.
                    if !it.reader_exhausted() && it.data().len() == before {
                        if let Err(e) = grow(it, &self.state) {
                            self.finished = true;
                            return Err(CaptureError::at(offset, e));
                        }
                    }
                }
                Step::End => {
                    self.finished = true;
                    if it.data().is_empty() {
                        return match self.status.take_error() {
                            Some(e) => Err(io_damage(offset, e)),
                            None => Ok(None),
                        };
                    }
                    return Err(ended(&*it, &self.state, &self.status, offset));
                }
                Step::Fail(kind) => {
                    self.finished = true;
                    return Err(CaptureError::at(offset, kind));
                }
            }
        }
    }
}

/// The input ended (or failed) with part of a record left over: a cut capture, unless the
/// record's declared length could never have been real.
fn ended(
    it: &dyn PcapReaderIterator,
    state: &State,
    status: &SourceStatus,
    offset: u64,
) -> CaptureError {
    if let Some(e) = status.take_error() {
        return io_damage(offset, e);
    }
    if let Some(kind) = block_overrun(it.data(), state) {
        return CaptureError::at(offset, kind);
    }
    match plausible_len(it.data(), state) {
        Err(corrupt) => CaptureError::at(offset, corrupt),
        Ok(total) => {
            let have = it.data().len() as u64;
            let needed = total.map(|t| t.saturating_sub(have));
            CaptureError::at(offset, ErrorKind::CutMidRecord { needed })
        }
    }
}

/// An I/O error in the middle of the data: a gzip stream cut short is a cut capture, a corrupt
/// one is damage, anything else is a read error.
fn io_damage(offset: u64, e: io::Error) -> CaptureError {
    let kind = match e.kind() {
        io::ErrorKind::UnexpectedEof => ErrorKind::CutMidRecord { needed: None },
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => {
            ErrorKind::Corrupt(format!("the compressed data is corrupt ({e})"))
        }
        _ => ErrorKind::Io(e),
    };
    CaptureError::at(offset, kind)
}

/// Chooses the parser from the first bytes, or says why the file is not a capture.
fn sniff(head: &[u8]) -> Result<Format, CaptureError> {
    const PCAP_MAGICS: [[u8; 4]; 6] = [
        [0xd4, 0xc3, 0xb2, 0xa1], // µs, little-endian
        [0xa1, 0xb2, 0xc3, 0xd4], // µs, big-endian
        [0x4d, 0x3c, 0xb2, 0xa1], // ns, little-endian
        [0xa1, 0xb2, 0x3c, 0x4d], // ns, big-endian
        [0x34, 0xcd, 0xb2, 0xa1], // Kuznetzov's modified pcap, little-endian
        [0xa1, 0xb2, 0xcd, 0x34], // modified pcap, big-endian
    ];
    const PCAPNG_SHB: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
    if head.is_empty() {
        return Err(CaptureError::at(0, ErrorKind::Empty));
    }
    let mut magic = [0u8; 4];
    let n = head.len().min(4);
    magic[..n].copy_from_slice(&head[..n]);
    let format = if magic == PCAPNG_SHB {
        Format::PcapNg
    } else if PCAP_MAGICS.contains(&magic) {
        Format::Pcap
    } else {
        let text = head
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
        return Err(CaptureError::at(0, ErrorKind::NotACapture { magic, text }));
    };
    let min = if format == Format::Pcap { 24 } else { SNIFF };
    if head.len() < min {
        return Err(CaptureError::at(0, ErrorKind::TooShort(head.len())));
    }
    Ok(format)
}

fn read_u32(b: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    })
}

/// The total length the record at the start of `data` declares, header included.
fn declared_len(data: &[u8], state: &State) -> Option<u64> {
    match state.format {
        Format::Pcap => read_u32(data, 8, state.big_endian).map(|caplen| u64::from(caplen) + 16),
        Format::PcapNg => {
            // A Section Header Block declares its own byte order.
            let be = if data.get(..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a]) {
                data.get(8..12) == Some(&[0x1a, 0x2b, 0x3c, 0x4d])
            } else {
                state.big_endian
            };
            read_u32(data, 4, be).map(u64::from)
        }
    }
}

/// A pcapng block wholly in `data` that the parser still wants more data for: its contents claim
/// more than its declared length (tshark: "total block length N of an EPB is too small for M
/// bytes of packet data").
fn block_overrun(data: &[u8], state: &State) -> Option<ErrorKind> {
    if state.format != Format::PcapNg {
        return None;
    }
    let total = declared_len(data, state)?;
    if (data.len() as u64) < total {
        return None;
    }
    let ty = read_u32(data, 0, state.big_endian)?;
    let what = match ty {
        // Enhanced Packet Block: captured length at +20, data from +28.
        6 => read_u32(data, 20, state.big_endian).map_or_else(
            || "a packet block is shorter than its header".to_string(),
            |caplen| {
                format!("a packet block of {total} bytes claims {caplen} captured bytes, more than it holds")
            },
        ),
        // Simple Packet Block: original length at +8, data from +12.
        3 => format!("a simple packet block of {total} bytes is too short for its packet"),
        _ => format!("a pcapng block (type {ty:#x}) of {total} bytes is too short for its contents"),
    };
    Some(ErrorKind::Corrupt(what))
}

/// The declared length of the record at the start of `data`, or why it cannot be real: a legacy
/// pcap record beyond the snap length and Wireshark's 256 KiB limit, a pcapng block above 16 MiB.
fn plausible_len(data: &[u8], state: &State) -> Result<Option<u64>, ErrorKind> {
    let Some(total) = declared_len(data, state) else {
        return Ok(None);
    };
    let limit = match state.format {
        Format::Pcap => MAX_PCAP_RECORD.max(u64::from(state.pcap_snaplen)) + 16,
        Format::PcapNg => MAX_PCAPNG_BLOCK,
    };
    if total <= limit {
        return Ok(Some(total));
    }
    Err(ErrorKind::Corrupt(match state.format {
        Format::Pcap => format!(
            "a record claims {} captured bytes, more than the snap length {} or any real packet",
            total - 16,
            state.pcap_snaplen
        ),
        Format::PcapNg => format!("a block claims a length of {total} bytes"),
    }))
}

/// Makes the buffer big enough for the record at its start.
fn grow(it: &mut dyn PcapReaderIterator, state: &State) -> Result<(), ErrorKind> {
    let Some(total) = plausible_len(it.data(), state)? else {
        return Err(ErrorKind::Corrupt("a record header cannot be read".into()));
    };
    // Room for the record and some of what follows it.
    let want = usize::try_from(total)
        .unwrap_or(usize::MAX)
        .max(it.data().len())
        .saturating_add(1 << 16);
    if !it.grow(want) {
        return Err(ErrorKind::Corrupt(format!(
            "a record of {total} bytes does not fit in memory"
        )));
    }
    Ok(())
}

fn describe_parse_error(state: &State, e: &PcapError<&[u8]>) -> String {
    match state.format {
        Format::Pcap => format!("a pcap record is invalid ({e})"),
        Format::PcapNg => format!(
            "a pcapng block is invalid: bad block length or malformed contents ({})",
            match e {
                PcapError::NomError(_, k) | PcapError::OwnedNomError(_, k) => format!("{k:?}"),
                other => other.to_string(),
            }
        ),
    }
}

/// Interprets one parsed block. `base` is the address of the buffer's first byte, so a packet's
/// data can be found again as an offset once the block (which borrows the buffer) is dropped.
fn classify(state: &mut State, len: usize, block: PcapBlockOwned<'_>, base: usize) -> Step {
    let at = |data: &[u8]| (data.as_ptr() as usize).wrapping_sub(base);
    match block {
        PcapBlockOwned::LegacyHeader(h) => {
            state.pcap_link = LinkType::from_header_field(h.network.0 as u32);
            state.pcap_snaplen = h.snaplen;
            state.pcap_nanos = h.is_nanosecond_precision();
            state.link_types.push(state.pcap_link);
            Step::Skip(len)
        }
        PcapBlockOwned::Legacy(b) => {
            let frac = i64::from(b.ts_usec);
            let nanos = if state.pcap_nanos { frac } else { frac * 1000 };
            // A fraction of a whole second or more cannot be right (tcpdump prints
            // "(invalid us)"): only the seconds are kept.
            let ts_invalid = nanos >= 1_000_000_000;
            let nanos = if ts_invalid { 0 } else { nanos };
            let ts = Timestamp::from_parts(i64::from(b.ts_sec), nanos);
            state.last_ts = ts;
            Step::Packet {
                len,
                start: at(b.data),
                caplen: b.data.len(),
                orig_len: b.origlen.max(b.caplen),
                ts,
                ts_invalid,
                link: state.pcap_link,
            }
        }
        PcapBlockOwned::NG(block) => classify_ng(state, len, block, at),
    }
}

fn classify_ng(
    state: &mut State,
    len: usize,
    block: Block<'_>,
    at: impl Fn(&[u8]) -> usize,
) -> Step {
    match block {
        Block::SectionHeader(shb) => {
            state.big_endian = shb.big_endian();
            state.interfaces.clear();
            Step::Skip(len)
        }
        Block::InterfaceDescription(idb) => {
            let link = LinkType::from_header_field(u32::from(idb.linktype.0 as u16));
            if !state.link_types.contains(&link) {
                state.link_types.push(link);
            }
            state.interfaces.push(Interface {
                link,
                snaplen: idb.snaplen,
                tsresol: idb.if_tsresol,
                // pcap-parser reads if_tsoffset little-endian whatever the section's byte order.
                tsoffset: if state.big_endian {
                    i64::from_be_bytes(idb.if_tsoffset.to_le_bytes())
                } else {
                    idb.if_tsoffset
                },
            });
            Step::Skip(len)
        }
        Block::EnhancedPacket(epb) => {
            let Some(iface) = state.interfaces.get(epb.if_id as usize).copied() else {
                return missing_interface(state, epb.if_id);
            };
            let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
            let (ts, ts_invalid) = pcapng_ts(ticks, iface);
            state.last_ts = ts;
            let data = epb.packet_data();
            Step::Packet {
                len,
                start: at(data),
                caplen: data.len(),
                orig_len: epb.origlen.max(epb.caplen),
                ts,
                ts_invalid,
                link: iface.link,
            }
        }
        Block::SimplePacket(spb) => {
            // An SPB belongs to interface 0 and carries no timestamp: it inherits the last one.
            let Some(iface) = state.interfaces.first().copied() else {
                return missing_interface(state, 0);
            };
            let mut caplen = spb.data.len().min(spb.origlen as usize);
            if iface.snaplen > 0 {
                caplen = caplen.min(iface.snaplen as usize);
            }
            Step::Packet {
                len,
                start: at(spb.data),
                caplen,
                orig_len: spb.origlen,
                ts: state.last_ts,
                ts_invalid: false,
                link: iface.link,
            }
        }
        // pcap-parser reads an unknown block's type little-endian whatever the section's order.
        Block::Unknown(ub)
            if OBSOLETE_PACKET_BLOCK
                == if state.big_endian {
                    ub.block_type.swap_bytes()
                } else {
                    ub.block_type
                } =>
        {
            classify_obsolete_packet(state, len, ub.data, at)
        }
        _ => Step::Skip(len),
    }
}

/// Block type of the obsolete Packet Block (pcapng draft; still written by old tools).
const OBSOLETE_PACKET_BLOCK: u32 = 2;

/// Obsolete Packet Block body: interface id (u16), drops (u16), timestamp high, timestamp low,
/// captured length, original length, then the packet data.
fn classify_obsolete_packet(
    state: &mut State,
    len: usize,
    body: &[u8],
    at: impl Fn(&[u8]) -> usize,
) -> Step {
    let be = state.big_endian;
    let field16 = |i: usize| {
        body.get(i..i + 2).map(|b| {
            let b = [b[0], b[1]];
            if be {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            }
        })
    };
    let (Some(if_id), Some(hi), Some(lo), Some(caplen), Some(orig)) = (
        field16(0),
        read_u32(body, 4, be),
        read_u32(body, 8, be),
        read_u32(body, 12, be),
        read_u32(body, 16, be),
    ) else {
        return Step::Fail(ErrorKind::Corrupt(
            "an obsolete Packet Block is too short".into(),
        ));
    };
    let Some(iface) = state.interfaces.get(usize::from(if_id)).copied() else {
        return missing_interface(state, u32::from(if_id));
    };
    let Some(data) = body.get(20..20usize.saturating_add(caplen as usize)) else {
        return Step::Fail(ErrorKind::Corrupt(
            "an obsolete Packet Block's captured length exceeds the block".into(),
        ));
    };
    let (ts, ts_invalid) = pcapng_ts((u64::from(hi) << 32) | u64::from(lo), iface);
    state.last_ts = ts;
    Step::Packet {
        len,
        start: at(data),
        caplen: data.len(),
        orig_len: orig.max(caplen),
        ts,
        ts_invalid,
        link: iface.link,
    }
}

fn missing_interface(state: &State, id: u32) -> Step {
    Step::Fail(ErrorKind::Corrupt(format!(
        "packet {} names interface {id}, but its section describes {} interface{}",
        state.frames + 1,
        state.interfaces.len(),
        if state.interfaces.len() == 1 { "" } else { "s" }
    )))
}

/// Converts pcapng timestamp ticks to nanoseconds since the epoch, per `if_tsresol` and
/// `if_tsoffset`. Saturates instead of overflowing on absurd values, and says so (`true`: the
/// time lies beyond what a [`Timestamp`] holds, past the year 2262).
fn pcapng_ts(ticks: u64, iface: Interface) -> (Timestamp, bool) {
    let exp = u32::from(iface.tsresol & 0x7f);
    let ticks = i128::from(ticks);
    let nanos: i128 = if iface.tsresol & 0x80 == 0 {
        // 10^-exp seconds per tick.
        if exp <= 9 {
            ticks * 10i128.pow(9 - exp)
        } else {
            10i128.checked_pow(exp - 9).map_or(0, |d| ticks / d)
        }
    } else {
        // 2^-exp seconds per tick.
        if exp >= 127 {
            0
        } else {
            (ticks * 1_000_000_000) >> exp
        }
    };
    let Ok(nanos) = i64::try_from(nanos) else {
        return (Timestamp::from_nanos(i64::MAX), true);
    };
    let secs = i128::from(iface.tsoffset) + i128::from(nanos.div_euclid(1_000_000_000));
    let beyond = i64::try_from(secs.saturating_mul(1_000_000_000)).is_err();
    (Timestamp::from_parts(iface.tsoffset, nanos), beyond)
}

#[cfg(test)]
mod tests;
