//! `--format parquet --output DIR`: the report as Parquet tables for DuckDB, Spark, Trino or
//! pandas, written with the Apache Arrow project's `arrow` and `parquet` crates.
//!
//! | file | one row per |
//! |---|---|
//! | `connections.parquet` | connection, as `connections[]` of the JSON report |
//! | `findings.parquet` | finding, as `findings[]` (connection findings and capture-wide ones) |
//! | `captures.parquet` | capture read (a `--merge` timeline: one row, its files in `files`) |
//! | `time_wait.parquet` | host that held TIME-WAIT in a capture, as `summary.time_wait[]` |
//! | `errors.parquet` | capture that could not be read, as `errors[]` (no rows when none) |
//! | `transitions.parquet` | state change, only with `--transitions` |
//!
//! Columns are named after the JSON fields, nested objects flattened with `_` (`orig_addr`,
//! `rst_kind`, `handshake_mss`, `orig_detail_retransmits`); JSON arrays stay lists. Points in
//! time are `TIMESTAMP` with microsecond precision, adjusted to UTC; durations stay seconds as
//! `DOUBLE`, as in the JSON. States, `conn_state` and every other closed vocabulary are
//! dictionary-encoded strings. A connection's `findings` column lists its rule codes; the
//! findings themselves are rows of `findings.parquet` (join on `capture` and `connection`).
//!
//! A connection's rows are encoded where it ended, on a tracker thread ([`ParquetRender`]);
//! the emitter appends them to Arrow builders and hands a batch to the writer thread every
//! [`BATCH`] rows; the writer closes a row group every [`ROW_GROUP`] rows or
//! [`ROW_GROUP_BYTES`], so memory stays flat however many connections a capture holds. Each
//! file is written under a hidden `.NAME.partial` name and renamed when the run ends, so a
//! reader globbing `*.parquet` never sees half a file; a run that stops early removes them.

use super::record::TransitionJson;
use super::summary::TimeWaitRow;
use super::{CaptureJson, ConnReport, Emitter, InputError, Render, Summary};
use crate::analyze::CaptureResult;
use crate::findings::{Finding, Verdict};
use crate::time::Timestamp;
use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
    StringDictionaryBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use std::fs::File;
use std::io::{self, BufWriter};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Rows gathered before they go to the writer.
pub const BATCH: usize = 1024;
/// Rows in a row group at most: what a reader skips or reads in parallel.
pub const ROW_GROUP: usize = 65_536;
/// A row group's encoded bytes, held until it is written, at most (about).
pub const ROW_GROUP_BYTES: usize = 1 << 20;

/// One column: an Arrow builder, the type it makes, and its values' form on the way from the
/// thread where a connection ended (see [`ParquetRender`]): each value is encoded there into
/// the batch's bytes, and decoded into the builder on the emitter's thread.
trait Column: Default {
    type Value<'a>;
    fn data_type() -> DataType;
    fn encode(out: &mut Vec<u8>, v: Self::Value<'_>);
    /// `None`: the bytes are not what `encode` wrote.
    fn decode(&mut self, input: &mut &[u8]) -> Option<()>;
    fn finish(&mut self) -> ArrayRef;
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Some(head)
}

fn take_u8(input: &mut &[u8]) -> Option<u8> {
    take(input, 1).map(|b| b[0])
}

fn take_u64(input: &mut &[u8]) -> Option<u64> {
    take(input, 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
}

fn take_u32(input: &mut &[u8]) -> Option<u32> {
    take(input, 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
}

fn take_str<'a>(input: &mut &'a [u8]) -> Option<&'a str> {
    let n = take_u32(input)? as usize;
    std::str::from_utf8(take(input, n)?).ok()
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Present (1 and 8 bytes) or null (0).
fn put_opt_u64(out: &mut Vec<u8>, v: Option<u64>) {
    match v {
        Some(x) => {
            out.push(1);
            out.extend_from_slice(&x.to_le_bytes());
        }
        None => out.push(0),
    }
}

fn take_opt_u64(input: &mut &[u8]) -> Option<Option<u64>> {
    match take_u8(input)? {
        0 => Some(None),
        1 => take_u64(input).map(Some),
        _ => None,
    }
}

/// A primitive column whose values travel as 8 bytes.
macro_rules! primitive {
    ($name:ident, $builder:ty, $ty:expr, $value:ty, $to:expr, $from:expr) => {
        #[derive(Default)]
        struct $name($builder);
        impl Column for $name {
            type Value<'a> = Option<$value>;
            fn data_type() -> DataType {
                $ty
            }
            fn encode(out: &mut Vec<u8>, v: Option<$value>) {
                put_opt_u64(out, v.map($to));
            }
            fn decode(&mut self, input: &mut &[u8]) -> Option<()> {
                let v = take_opt_u64(input)?;
                self.0.append_option(v.map($from));
                Some(())
            }
            fn finish(&mut self) -> ArrayRef {
                Arc::new(self.0.finish())
            }
        }
    };
}

primitive!(I64, Int64Builder, DataType::Int64, i64, |v| v as u64, |v| v
    as i64);
primitive!(
    I32,
    Int32Builder,
    DataType::Int32,
    i32,
    |v| v as u32 as u64,
    |v| v as u32 as i32
);
primitive!(
    F64,
    Float64Builder,
    DataType::Float64,
    f64,
    f64::to_bits,
    f64::from_bits
);
primitive!(
    Bool,
    BooleanBuilder,
    DataType::Boolean,
    bool,
    u64::from,
    |v| v != 0
);

/// Points in time: microseconds since the epoch, rounded to the nearest (as the JSON's
/// numbers are), adjusted to UTC.
struct Micros(TimestampMicrosecondBuilder);

impl Default for Micros {
    fn default() -> Self {
        Micros(TimestampMicrosecondBuilder::new().with_timezone("UTC"))
    }
}

fn micros(t: Timestamp) -> i64 {
    let n = t.as_nanos();
    n.div_euclid(1000) + i64::from(n.rem_euclid(1000) >= 500)
}

impl Column for Micros {
    type Value<'a> = Option<Timestamp>;
    fn data_type() -> DataType {
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    }
    fn encode(out: &mut Vec<u8>, v: Option<Timestamp>) {
        put_opt_u64(out, v.map(|t| micros(t) as u64));
    }
    fn decode(&mut self, input: &mut &[u8]) -> Option<()> {
        let v = take_opt_u64(input)?;
        self.0.append_option(v.map(|v| v as i64));
        Some(())
    }
    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

/// Strings: `Text` for values of their own (messages, history), `Dict` for a closed
/// vocabulary (states, codes, the capture), dictionary-encoded.
macro_rules! strings {
    ($name:ident, $builder:ty, $ty:expr) => {
        #[derive(Default)]
        struct $name($builder);
        impl Column for $name {
            type Value<'a> = Option<&'a str>;
            fn data_type() -> DataType {
                $ty
            }
            fn encode(out: &mut Vec<u8>, v: Option<&str>) {
                match v {
                    Some(s) => {
                        out.push(1);
                        put_str(out, s);
                    }
                    None => out.push(0),
                }
            }
            fn decode(&mut self, input: &mut &[u8]) -> Option<()> {
                match take_u8(input)? {
                    0 => self.0.append_null(),
                    1 => self.0.append_value(take_str(input)?),
                    _ => return None,
                }
                Some(())
            }
            fn finish(&mut self) -> ArrayRef {
                Arc::new(self.0.finish())
            }
        }
    };
}

strings!(Text, StringBuilder, DataType::Utf8);
strings!(
    Dict,
    StringDictionaryBuilder<Int32Type>,
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
);

/// An address, as the JSON writes it (IPv6 in RFC 5952 form).
#[derive(Default)]
struct Addr(StringBuilder);

impl Column for Addr {
    type Value<'a> = IpAddr;
    fn data_type() -> DataType {
        DataType::Utf8
    }
    fn encode(out: &mut Vec<u8>, v: IpAddr) {
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        super::fast_json::ip(out, v);
        let n = (out.len() - at - 4) as u32;
        out[at..at + 4].copy_from_slice(&n.to_le_bytes());
    }
    fn decode(&mut self, input: &mut &[u8]) -> Option<()> {
        self.0.append_value(take_str(input)?);
        Some(())
    }
    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

/// A list of numbers (a JSON array, never null).
#[derive(Default)]
struct F64List(ListBuilder<Float64Builder>);

impl Column for F64List {
    type Value<'a> = &'a [f64];
    fn data_type() -> DataType {
        DataType::new_list(DataType::Float64, true)
    }
    fn encode(out: &mut Vec<u8>, v: &[f64]) {
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        for x in v {
            out.extend_from_slice(&x.to_bits().to_le_bytes());
        }
    }
    fn decode(&mut self, input: &mut &[u8]) -> Option<()> {
        for _ in 0..take_u32(input)? {
            self.0
                .values()
                .append_value(f64::from_bits(take_u64(input)?));
        }
        self.0.append(true);
        Some(())
    }
    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

/// The handshake's `[orig, resp]` pairs: null without a handshake, each item null when that
/// side's SYN was not seen.
macro_rules! pair {
    ($name:ident, $builder:ty, $item:ty, $ty:expr, $to:expr, $from:expr) => {
        #[derive(Default)]
        struct $name(ListBuilder<$builder>);
        impl Column for $name {
            type Value<'a> = Option<[Option<$item>; 2]>;
            fn data_type() -> DataType {
                DataType::new_list($ty, true)
            }
            fn encode(out: &mut Vec<u8>, v: Self::Value<'_>) {
                match v {
                    Some(pair) => {
                        out.push(1);
                        for x in pair {
                            put_opt_u64(out, x.map($to));
                        }
                    }
                    None => out.push(0),
                }
            }
            fn decode(&mut self, input: &mut &[u8]) -> Option<()> {
                match take_u8(input)? {
                    0 => self.0.append(false),
                    1 => {
                        for _ in 0..2 {
                            let x = take_opt_u64(input)?;
                            self.0.values().append_option(x.map($from));
                        }
                        self.0.append(true);
                    }
                    _ => return None,
                }
                Some(())
            }
            fn finish(&mut self) -> ArrayRef {
                Arc::new(self.0.finish())
            }
        }
    };
}

pair!(
    I32Pair,
    Int32Builder,
    i32,
    DataType::Int32,
    |v| v as u32 as u64,
    |v| v as u32 as i32
);
pair!(
    BoolPair,
    BooleanBuilder,
    bool,
    DataType::Boolean,
    u64::from,
    |v| v != 0
);

/// A list of strings (never null).
#[derive(Default)]
struct TextList(ListBuilder<StringBuilder>);

impl Column for TextList {
    type Value<'a> = &'a mut dyn Iterator<Item = &'a str>;
    fn data_type() -> DataType {
        DataType::new_list(DataType::Utf8, true)
    }
    fn encode(out: &mut Vec<u8>, v: Self::Value<'_>) {
        let at = out.len();
        out.extend_from_slice(&[0; 4]);
        let mut n = 0u32;
        for s in v {
            put_str(out, s);
            n += 1;
        }
        out[at..at + 4].copy_from_slice(&n.to_le_bytes());
    }
    fn decode(&mut self, input: &mut &[u8]) -> Option<()> {
        for _ in 0..take_u32(input)? {
            self.0.values().append_value(take_str(input)?);
        }
        self.0.append(true);
        Some(())
    }
    fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

/// A number as an `I64` value (counters never come near `i64::MAX`; one that did would be null,
/// not wrapped).
fn n(v: impl TryInto<i64>) -> Option<i64> {
    v.try_into().ok()
}

fn pair_i32<T: Into<i32> + Copy>(p: &[Option<T>; 2]) -> [Option<i32>; 2] {
    p.map(|x| x.map(Into::into))
}

macro_rules! nullable {
    (null) => {
        true
    };
}

/// A table: its columns, in the file's order, each `name: Kind = value` where `value` is
/// computed from the row's source `$src`; `name: Kind or null = value` for a column that may
/// be null. The column's name in the file is `name`. `encode` writes a row's values,
/// `decode` appends them to the builders: both follow the one list, so they cannot disagree.
macro_rules! table {
    ($(#[$m:meta])* $table:ident($src:ident: $ty:ty) {
        $($col:ident : $kind:ident $(or $null:ident)? = $e:expr),* $(,)?
    }) => {
        $(#[$m])*
        #[derive(Default)]
        struct $table {
            $($col: $kind,)*
        }

        impl $table {
            #[allow(clippy::redundant_closure_call)]
            fn encode($src: $ty, out: &mut Vec<u8>) {
                $(<$kind as Column>::encode(out, $e);)*
            }
        }

        impl Columns for $table {
            fn schema() -> Schema {
                Schema::new(vec![
                    $(Field::new(stringify!($col), <$kind>::data_type(), false $(|| nullable!($null))?),)*
                ])
            }

            fn decode(&mut self, input: &mut &[u8]) -> Option<()> {
                $(self.$col.decode(input)?;)*
                Some(())
            }

            fn finish(&mut self) -> Vec<ArrayRef> {
                vec![$(self.$col.finish(),)*]
            }
        }
    };
}

trait Columns: Default {
    fn schema() -> Schema;
    /// One row, as the table's `encode` wrote it.
    fn decode(&mut self, input: &mut &[u8]) -> Option<()>;
    fn finish(&mut self) -> Vec<ArrayRef>;
}

table!(
    /// `connections.parquet`.
    Connections(c: &ConnReport) {
        capture: Dict = Some(&*c.capture),
        id: I64 = n(c.id),
        orig_addr: Addr = c.orig.addr,
        orig_port: I32 = Some(i32::from(c.orig.port)),
        resp_addr: Addr = c.resp.addr,
        resp_port: I32 = Some(i32::from(c.resp.port)),
        first_ts: Micros = Some(c.first_ts),
        last_ts: Micros = Some(c.last_ts),
        first_frame: I64 = n(c.first_frame),
        last_frame: I64 = n(c.last_frame),
        orig_state: Dict = Some(c.orig_state.name()),
        resp_state: Dict = Some(c.resp_state.name()),
        orig_state_inferred: Bool = Some(c.orig_state_inferred),
        resp_state_inferred: Bool = Some(c.resp_state_inferred),
        orig_time_wait_until: Micros or null = c.orig_time_wait_until,
        resp_time_wait_until: Micros or null = c.resp_time_wait_until,
        conn_state: Dict = Some(c.conn_state.name()),
        history: Text = Some(&c.history),
        orig_packets: I64 = n(c.orig_packets),
        resp_packets: I64 = n(c.resp_packets),
        orig_bytes: I64 = n(c.orig_bytes),
        resp_bytes: I64 = n(c.resp_bytes),
        syn_retransmits: I64 = n(c.syn_retransmits),
        syn_retransmit_intervals: F64List = &c.syn_retransmit_intervals,
        synack_retransmits: I64 = n(c.synack_retransmits),
        synack_isns: I32 = Some(i32::from(c.synack_isns)),
        rst_by: Dict or null = c.rst.as_ref().map(|r| r.by),
        rst_frame: I64 or null = c.rst.as_ref().and_then(|r| n(r.frame)),
        rst_state: Dict or null = c.rst.as_ref().map(|r| r.state),
        rst_kind: Dict or null = c.rst.as_ref().map(|r| r.kind),
        handshake_syn_to_synack: F64 or null = c.handshake.as_ref().and_then(|h| h.syn_to_synack),
        handshake_synack_to_ack: F64 or null = c.handshake.as_ref().and_then(|h| h.synack_to_ack),
        handshake_connect_time: F64 or null = c.handshake.as_ref().and_then(|h| h.connect_time),
        handshake_mss: I32Pair or null = c.handshake.as_ref().map(|h| pair_i32(&h.mss)),
        handshake_wscale: I32Pair or null = c.handshake.as_ref().map(|h| pair_i32(&h.wscale)),
        handshake_sack_permitted: BoolPair or null = c.handshake.as_ref().map(|h| h.sack_permitted),
        handshake_timestamps: BoolPair or null = c.handshake.as_ref().map(|h| h.timestamps),
        midstream: Bool = Some(c.midstream),
        // The codes; the findings themselves are rows of findings.parquet.
        findings: TextList = &mut c.findings.iter().map(|f| f.code),
        opening: Dict = Some(c.opening.name()),
        duration: F64 = Some(c.duration),
        missed_bytes: I64 = n(c.missed_bytes),
        reused_time_wait: Bool = Some(c.reused_time_wait),
        orig_time_wait_from: Micros or null = c.orig_time_wait_from,
        orig_time_wait_left: Micros or null = c.orig_time_wait_left,
        resp_time_wait_from: Micros or null = c.resp_time_wait_from,
        resp_time_wait_left: Micros or null = c.resp_time_wait_left,
        orig_detail_ip_bytes: I64 = n(c.orig_detail.ip_bytes),
        orig_detail_retransmits: I64 = n(c.orig_detail.retransmits),
        orig_detail_keepalives: I64 = n(c.orig_detail.keepalives),
        orig_detail_zero_window_probes: I64 = n(c.orig_detail.zero_window_probes),
        orig_detail_fin_retransmits: I64 = n(c.orig_detail.fin_retransmits),
        orig_detail_duplicates: I64 = n(c.orig_detail.duplicates),
        resp_detail_ip_bytes: I64 = n(c.resp_detail.ip_bytes),
        resp_detail_retransmits: I64 = n(c.resp_detail.retransmits),
        resp_detail_keepalives: I64 = n(c.resp_detail.keepalives),
        resp_detail_zero_window_probes: I64 = n(c.resp_detail.zero_window_probes),
        resp_detail_fin_retransmits: I64 = n(c.resp_detail.fin_retransmits),
        resp_detail_duplicates: I64 = n(c.resp_detail.duplicates),
    }
);

table!(
    /// `findings.parquet`.
    Findings(f: &Finding) {
        capture: Dict = Some(&*f.capture),
        connection: I64 or null = f.connection.and_then(n),
        code: Dict = Some(f.code),
        name: Dict = Some(f.name),
        severity: Dict = Some(f.severity.name()),
        frame: I64 or null = f.frame.and_then(n),
        ts: Micros or null = f.ts,
        orig: Text or null = f.orig.as_deref(),
        resp: Text or null = f.resp.as_deref(),
        message: Text = Some(&f.message),
        help: Dict = Some(f.help),
    }
);

table!(
    /// `captures.parquet`: a capture's object of the JSON, with the timestamps it was made of.
    Captures(x: (&CaptureJson<'_>, &CaptureResult)) {
        path: Text = Some(x.0.path),
        format: Dict = Some(&x.0.format),
        link_types: TextList = &mut x.0.link_types.iter().map(String::as_str),
        packets: I64 = n(x.0.packets),
        tcp_segments: I64 = n(x.0.tcp_segments),
        non_tcp: I64 = n(x.0.non_tcp),
        truncated: I64 = n(x.0.truncated),
        undecodable: I64 = n(x.0.undecodable),
        duplicates: I64 = n(x.0.duplicates),
        clock_anomalies: I64 = n(x.0.clock_anomalies),
        first_ts: Micros or null = x.1.capture.first_ts,
        last_ts: Micros or null = x.1.capture.last_ts,
        complete: Bool = Some(x.0.complete),
        gzip: Bool = Some(x.0.gzip),
        ip_fragments: I64 = n(x.0.ip_fragments),
        damage_offset: I64 or null = x.0.damage.as_ref().and_then(|d| d.offset).and_then(n),
        damage_cut: Bool or null = x.0.damage.as_ref().map(|d| d.cut),
        damage_message: Text or null = x.0.damage.as_ref().map(|d| d.message.as_str()),
        connections: I64 or null = x.0.connections.and_then(n),
        retired: I64 or null = x.0.retired.and_then(n),
        late_segments: I64 or null = x.0.late_segments.and_then(n),
        // A merged timeline's files (their figures are summed in this row).
        files: TextList = &mut x.0.files.iter().map(|f| f.path),
    }
);

table!(
    /// `time_wait.parquet`: the summary's TIME-WAIT rows.
    TimeWait(x: (&str, &TimeWaitRow)) {
        capture: Dict = Some(x.0),
        host: Addr = x.1.host,
        peak: I64 = n(x.1.holder.peak),
        peak_ts: Micros or null = x.1.holder.peak_ts,
        at_end: I64 = n(x.1.holder.current),
    }
);

table!(
    /// `errors.parquet`.
    Errors(e: &InputError) {
        path: Text = Some(&e.path),
        offset: I64 or null = e.offset.and_then(n),
        message: Text = Some(&e.message),
    }
);

table!(
    /// `transitions.parquet`, with `--transitions`.
    Transitions(x: (&ConnReport, &TransitionJson)) {
        capture: Dict = Some(&*x.0.capture),
        connection: I64 = n(x.0.id),
        frame: I64 or null = x.1.frame.and_then(n),
        ts: Micros = Some(x.1.ts),
        side: Dict = Some(x.1.side),
        from: Dict = Some(x.1.from.name()),
        to: Dict = Some(x.1.to.name()),
    }
);

/// A connection's rows, made on the thread where it ended: its `connections` row, its findings'
/// rows, its transitions' rows (with `--transitions`), each group led by its count. Building
/// Arrow columns from these bytes is all the emitter's thread does; made there from the records
/// instead, the 1 M-connection flood took 11.3 s instead of 5.9 s (2 cores): the records' many
/// small allocations were freed on another thread than the one that made them.
pub struct ParquetRender {
    transitions: bool,
}

impl Render for ParquetRender {
    fn render(&self, c: &ConnReport, out: &mut Vec<u8>) -> io::Result<usize> {
        let start = out.len();
        Connections::encode(c, out);
        out.extend_from_slice(&(c.findings.len() as u32).to_le_bytes());
        for f in &c.findings {
            Findings::encode(f, out);
        }
        let list = c.transitions.as_deref().filter(|_| self.transitions);
        let list = list.unwrap_or_default();
        out.extend_from_slice(&(list.len() as u32).to_le_bytes());
        for t in list {
            Transitions::encode((c, t), out);
        }
        Ok(out.len() - start)
    }
}

fn corrupt() -> io::Error {
    io::Error::other("internal error: a Parquet row was not read back as it was written")
}

/// One table's rows on their way: its builders, and where their batches go.
struct Table<C: Columns> {
    cols: C,
    rows: usize,
    schema: SchemaRef,
    /// The file's index on the writer thread.
    file: usize,
}

impl<C: Columns> Table<C> {
    fn new(file: usize) -> Self {
        Table {
            cols: C::default(),
            rows: 0,
            schema: Arc::new(C::schema()),
            file,
        }
    }

    /// One row, as its table's `encode` wrote it, from `input`: every [`BATCH`] rows go to
    /// the writer.
    fn row(&mut self, input: &mut &[u8], w: &mut Writer) -> io::Result<()> {
        self.cols.decode(input).ok_or_else(corrupt)?;
        self.rows += 1;
        if self.rows == BATCH {
            self.flush(w)?;
        }
        Ok(())
    }

    /// One row made on this thread: `encode` writes it into `scratch`, and it is read from there.
    fn encoded(
        &mut self,
        scratch: &mut Vec<u8>,
        w: &mut Writer,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> io::Result<()> {
        scratch.clear();
        encode(scratch);
        self.row(&mut &scratch[..], w)
    }

    fn flush(&mut self, w: &mut Writer) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        self.rows = 0;
        let batch = RecordBatch::try_new(self.schema.clone(), self.cols.finish())
            .map_err(io::Error::other)?;
        w.send(Msg::Batch(self.file, batch))
    }
}

/// A Parquet file, on the writer thread.
struct ParquetFile {
    writer: ArrowWriter<BufWriter<File>>,
    partial: PathBuf,
    path: PathBuf,
}

impl ParquetFile {
    fn create(dir: &Path, name: &str, schema: SchemaRef) -> io::Result<Self> {
        let path = dir.join(format!("{name}.parquet"));
        let partial = dir.join(format!(".{name}.parquet.partial"));
        let file = File::create(&partial).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create {}: {e}", partial.display()),
            )
        })?;
        // Parquet dictionaries for the closed vocabularies (the Arrow dictionary columns:
        // states, conn_state, codes, the capture) only. Tried on every column, the writer held
        // a dictionary for each of about 55 columns before giving up on those of ever-new
        // values: 7 MB more peak RSS on the busy 1 GB capture (72 MB against 65 MB), for files
        // a sixth smaller.
        let mut props = WriterProperties::builder().set_dictionary_enabled(false);
        for f in schema.fields() {
            if matches!(f.data_type(), DataType::Dictionary(..)) {
                props =
                    props.set_column_dictionary_enabled(ColumnPath::from(f.name().as_str()), true);
            }
        }
        let props = props
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP))
            .set_dictionary_page_size_limit(DICTIONARY_LIMIT)
            .set_data_page_size_limit(PAGE_LIMIT)
            .set_created_by(format!("synack {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer =
            ArrowWriter::try_new(BufWriter::with_capacity(1 << 16, file), schema, Some(props))
                .map_err(io::Error::other)?;
        Ok(ParquetFile {
            writer,
            partial,
            path,
        })
    }

    /// The footer, and the file under its own name.
    fn close(self) -> io::Result<()> {
        let out = self.writer.into_inner().map_err(io::Error::other)?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        std::fs::rename(&self.partial, &self.path)
    }
}

/// A column's dictionary page at most, in bytes.
const DICTIONARY_LIMIT: usize = 64 * 1024;
/// A data page at most, in bytes, before compression (the crate's default is 1 MB a column).
const PAGE_LIMIT: usize = 64 * 1024;

enum Msg {
    Batch(usize, RecordBatch),
    /// Every row has been sent: close the files.
    Finish,
}

/// The thread that encodes, compresses and writes the batches, so that the thread reading the
/// emitter's thread only fills builders. Measured on the 1 GB mixed bench capture (285 395
/// connections, 71 528 findings, 2 cores, `--jobs 2`, medians of 3): 1.65 s with the encoding
/// on the emitter's thread, 1.25 s with this thread (`--format json`: 1.1 s).
struct Writer {
    tx: Option<SyncSender<Msg>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Writer {
    fn start(files: Vec<ParquetFile>) -> Self {
        let (tx, rx) = sync_channel::<Msg>(2);
        let thread = std::thread::Builder::new()
            .name("parquet".into())
            .spawn(move || {
                let mut files = files;
                for msg in rx {
                    match msg {
                        Msg::Batch(i, batch) => {
                            let w = &mut files[i].writer;
                            w.write(&batch).map_err(io::Error::other)?;
                            // Wide rows close their group early: memory stays bounded.
                            if w.in_progress_size() > ROW_GROUP_BYTES {
                                w.flush().map_err(io::Error::other)?;
                            }
                        }
                        Msg::Finish => {
                            for f in files.drain(..) {
                                f.close()?;
                            }
                            return Ok(());
                        }
                    }
                }
                // The run stopped before its end: no file is given its name.
                for f in files {
                    let _ = std::fs::remove_file(&f.partial);
                }
                Ok(())
            });
        match thread {
            Ok(t) => Writer {
                tx: Some(tx),
                thread: Some(t),
            },
            // No thread: `send` reports it.
            Err(_) => Writer {
                tx: None,
                thread: None,
            },
        }
    }

    fn send(&mut self, msg: Msg) -> io::Result<()> {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(msg).is_ok());
        if sent {
            Ok(())
        } else {
            // The thread stopped on an error: that error.
            Err(self.join().err().unwrap_or_else(|| {
                io::Error::other("the Parquet writer thread could not be started")
            }))
        }
    }

    /// Waits for the thread; its error, if it had one.
    fn join(&mut self) -> io::Result<()> {
        self.tx = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(io::Error::other("the Parquet writer thread panicked")),
            None => Ok(()),
        }
    }
}

/// A run that stops before `finish` (an error writing): the thread, told nothing more, removes
/// the partial files; it is waited for, so they are gone before the process exits.
impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.join();
    }
}

/// The tables being filled.
struct Tables {
    connections: Table<Connections>,
    findings: Table<Findings>,
    captures: Table<Captures>,
    errors: Table<Errors>,
    time_wait: Table<TimeWait>,
    transitions: Option<Table<Transitions>>,
    writer: Writer,
    /// Where a row is encoded when it was not on another thread.
    scratch: Vec<u8>,
}

/// `--format parquet`.
pub struct ParquetEmitter {
    /// Taken by `finish`.
    tables: Option<Tables>,
    transitions: bool,
    dir: PathBuf,
}

impl ParquetEmitter {
    /// Creates `dir` when needed, and the files' partial forms in it (existing files of the
    /// same names are replaced when the run ends). `transitions`: `--transitions` was given.
    pub fn create(dir: &Path, transitions: bool) -> io::Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create directory {}: {e}", dir.display()),
            )
        })?;
        let mut files = Vec::new();
        let mut table = |name: &str, schema: Schema| -> io::Result<usize> {
            files.push(ParquetFile::create(dir, name, Arc::new(schema))?);
            Ok(files.len() - 1)
        };
        let connections = Table::new(table("connections", Connections::schema())?);
        let findings = Table::new(table("findings", Findings::schema())?);
        let captures = Table::new(table("captures", Captures::schema())?);
        let errors = Table::new(table("errors", Errors::schema())?);
        let time_wait = Table::new(table("time_wait", TimeWait::schema())?);
        let transitions_table = if transitions {
            Some(Table::new(table("transitions", Transitions::schema())?))
        } else {
            None
        };
        Ok(ParquetEmitter {
            tables: Some(Tables {
                connections,
                findings,
                captures,
                errors,
                time_wait,
                transitions: transitions_table,
                writer: Writer::start(files),
                scratch: Vec::new(),
            }),
            transitions,
            dir: dir.to_path_buf(),
        })
    }

    fn tables(&mut self) -> io::Result<&mut Tables> {
        self.tables
            .as_mut()
            .ok_or_else(|| io::Error::other("the Parquet files are finished"))
    }
}

/// A count of rows that follow, as [`ParquetRender`] writes it.
fn count(input: &mut &[u8]) -> io::Result<u32> {
    take_u32(input).ok_or_else(corrupt)
}

impl Tables {
    /// A connection's rows, as [`ParquetRender`] made them.
    fn connection(&mut self, mut input: &[u8]) -> io::Result<()> {
        let w = &mut self.writer;
        self.connections.row(&mut input, w)?;
        for _ in 0..count(&mut input)? {
            self.findings.row(&mut input, w)?;
        }
        let n = count(&mut input)?;
        if n > 0 {
            let t = self.transitions.as_mut().ok_or_else(corrupt)?;
            for _ in 0..n {
                t.row(&mut input, w)?;
            }
        }
        if input.is_empty() {
            Ok(())
        } else {
            Err(corrupt())
        }
    }
}

impl Emitter for ParquetEmitter {
    fn connection(&mut self, c: &ConnReport) -> io::Result<()> {
        let render = ParquetRender {
            transitions: self.transitions,
        };
        let t = self.tables()?;
        let mut buf = std::mem::take(&mut t.scratch);
        buf.clear();
        render.render(c, &mut buf)?;
        let r = t.connection(&buf);
        t.scratch = buf;
        r
    }

    fn rendered(&mut self, now: &[u8], _later: &[u8]) -> io::Result<()> {
        self.tables()?.connection(now)
    }

    fn renderer(&self) -> Option<Arc<dyn Render>> {
        Some(Arc::new(ParquetRender {
            transitions: self.transitions,
        }))
    }

    fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let t = self.tables()?;
        t.findings.encoded(&mut t.scratch, &mut t.writer, |out| {
            Findings::encode(f, out)
        })
    }

    fn error(&mut self, e: &InputError) -> io::Result<()> {
        let t = self.tables()?;
        t.errors
            .encoded(&mut t.scratch, &mut t.writer, |out| Errors::encode(e, out))
    }

    fn capture(&mut self, r: &CaptureResult, _: Option<&Verdict>) -> io::Result<()> {
        let t = self.tables()?;
        t.captures.encoded(&mut t.scratch, &mut t.writer, |out| {
            Captures::encode((&CaptureJson::of(r), r), out)
        })
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let Some(mut t) = self.tables.take() else {
            return Ok(());
        };
        for row in &summary.time_wait {
            t.time_wait.encoded(&mut t.scratch, &mut t.writer, |out| {
                TimeWait::encode((summary.capture_of(row), row), out)
            })?;
        }
        let w = &mut t.writer;
        t.connections.flush(w)?;
        t.findings.flush(w)?;
        t.captures.flush(w)?;
        t.errors.flush(w)?;
        t.time_wait.flush(w)?;
        if let Some(tr) = t.transitions.as_mut() {
            tr.flush(w)?;
        }
        w.send(Msg::Finish)?;
        w.join()?;
        if !self.transitions {
            // A previous run's, with --transitions: not this run's.
            match std::fs::remove_file(self.dir.join("transitions.parquet")) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_stops_early_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let count = || std::fs::read_dir(dir.path()).unwrap().count();
        let e = ParquetEmitter::create(dir.path(), true).unwrap();
        assert_eq!(count(), 6, "six partial files while it runs");
        drop(e);
        assert_eq!(count(), 0, "none once it stopped without finishing");
    }

    #[test]
    fn a_finished_run_names_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut e = ParquetEmitter::create(dir.path(), false).unwrap();
        e.finish(&Summary::default()).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "captures.parquet",
                "connections.parquet",
                "errors.parquet",
                "findings.parquet",
                "time_wait.parquet"
            ]
        );
    }

    #[test]
    fn a_run_without_transitions_removes_an_earlier_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut e = ParquetEmitter::create(dir.path(), true).unwrap();
        e.finish(&Summary::default()).unwrap();
        assert!(dir.path().join("transitions.parquet").is_file());
        let mut e = ParquetEmitter::create(dir.path(), false).unwrap();
        e.finish(&Summary::default()).unwrap();
        assert!(!dir.path().join("transitions.parquet").exists());
        assert!(dir.path().join("connections.parquet").is_file());
    }

    #[test]
    fn micros_round_to_the_nearest() {
        assert_eq!(micros(Timestamp::from_nanos(1_499)), 1);
        assert_eq!(micros(Timestamp::from_nanos(1_500)), 2);
        assert_eq!(micros(Timestamp::from_nanos(-1_500)), -1);
    }
}
