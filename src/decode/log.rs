//! A connection's segments written down compactly, to be read back exactly: what a half-open or
//! handshake-only attempt keeps instead of its whole state (see `flow::table`), replayed when
//! its next segment comes.
//!
//! Every field of [`TcpSegment`] survives the round trip, with the capture's clock at the
//! segment. The first segment carries the 4-tuple; the others a direction bit. Numbers are
//! deltas where that is shorter (frame, time) and LEB128 varints; sequence and acknowledgment
//! numbers, window, lengths and options are written only when they differ from the previous
//! segment in the same direction (a retransmitted SYN or SYN-ACK repeats them). A spoofed SYN
//! with its SYN-ACK and two retransmissions of it take about 100 bytes (the four decoded
//! segments are 4 × 88).

use super::{Endpoint, SeqNum, SynOptions, TcpFlags, TcpSegment, Unreachable};
use crate::time::Timestamp;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The segments written so far: only the bytes (24 bytes inline, one allocation), what the
/// next segment is written against is read back from them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SegmentLog {
    bytes: Vec<u8>,
}

/// A log written segment after segment without reading it back for each one: a whole
/// connection's segments (its ladder), where [`SegmentLog::push`] suits an attempt's few.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SegmentRecorder {
    log: SegmentLog,
    cur: Cursor,
    segments: usize,
}

impl SegmentRecorder {
    /// Room for `bytes` before the first regrowth (a short connection's 15 or so segments
    /// take about 250).
    pub fn with_capacity(bytes: usize) -> Self {
        SegmentRecorder {
            log: SegmentLog {
                bytes: Vec::with_capacity(bytes),
            },
            ..SegmentRecorder::default()
        }
    }

    pub fn push(&mut self, seg: &TcpSegment, now: Timestamp) {
        let mut cur = std::mem::take(&mut self.cur);
        self.log.push_at(&mut cur, seg, now);
        self.cur = cur;
        self.segments += 1;
    }

    /// Segments written.
    pub fn segments(&self) -> usize {
        self.segments
    }

    pub fn log(&self) -> &SegmentLog {
        &self.log
    }
}

/// Where reading (or writing) a log stands.
#[derive(Clone, Debug, Default, PartialEq)]
struct Cursor {
    /// The first segment's source: a later segment's direction is whether it comes from there.
    a: Option<Endpoint>,
    frame: u64,
    ts: i64,
    /// The previous segment from `a` (0) and to it (1).
    prev: [Option<TcpSegment>; 2],
}

impl Cursor {
    /// The acknowledgment number a segment in direction `dir` most likely carries: the previous
    /// one's in that direction, else the peer's sequence number plus one (a SYN-ACK's).
    fn expected_ack(&self, dir: usize) -> Option<SeqNum> {
        match (&self.prev[dir], &self.prev[1 - dir]) {
            (Some(p), _) => Some(p.ack),
            (None, Some(q)) => Some(SeqNum(q.seq.0.wrapping_add(1))),
            (None, None) => None,
        }
    }
}

/// What a log's first segment usually takes with its 4-tuple, and its SYN-ACK: one allocation.
const FIRST_CAPACITY: usize = 64;

// Bits of a segment's control word: the common ones in the first seven, so that it takes one
// byte unless a rare one is set.
const FROM_B: u32 = 1;
const SAME_SEQ: u32 = 1 << 1;
/// The acknowledgment number is the one expected ([`Cursor::expected_ack`]).
const SAME_ACK: u32 = 1 << 2;
const SAME_WINDOW: u32 = 1 << 3;
const SAME_OPTIONS: u32 = 1 << 4;
const SAME_LENGTHS: u32 = 1 << 5;
const CLOCK_AT_TS: u32 = 1 << 6;
const TRUNCATED: u32 = 1 << 7;
const DUPLICATE: u32 = 1 << 8;
const BEHIND_CLOCK: u32 = 1 << 9;
const ICMP: u32 = 1 << 10;

/// A time difference in nanoseconds, as a varint: whole microseconds (what pcap and most pcapng
/// files hold) in a thousandth of the room. 0 (which neither form makes) is followed by the
/// difference whole, for one too large to shift.
fn put_nanos(out: &mut Vec<u8>, d: i64) {
    let z = zigzag(d);
    if d % 1000 == 0 {
        put_varint(out, zigzag(d / 1000) << 1 | 1);
    } else if z < 1 << 63 {
        put_varint(out, z << 1);
    } else {
        out.push(0);
        out.extend_from_slice(&d.to_le_bytes());
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put_endpoint(out: &mut Vec<u8>, e: Endpoint) {
    match e.addr {
        IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
    }
    out.extend_from_slice(&e.port.to_le_bytes());
}

/// Reads what [`SegmentLog`] wrote; a log is only ever read back by the program that wrote it,
/// so running short is a bug, not bad input.
struct Reader<'a> {
    b: &'a [u8],
}

impl Reader<'_> {
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let (head, rest) = self.b.split_at(N);
        self.b = rest;
        head.try_into().expect("N bytes")
    }

    fn u8(&mut self) -> u8 {
        self.bytes::<1>()[0]
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.bytes())
    }

    fn varint(&mut self) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = self.u8();
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }

    fn nanos(&mut self) -> i64 {
        let v = self.varint();
        if v == 0 {
            return i64::from_le_bytes(self.bytes());
        }
        let d = unzigzag(v >> 1);
        if v & 1 != 0 {
            d * 1000
        } else {
            d
        }
    }

    fn endpoint(&mut self, v6: bool) -> Endpoint {
        let addr = if v6 {
            IpAddr::V6(Ipv6Addr::from(self.bytes::<16>()))
        } else {
            IpAddr::V4(Ipv4Addr::from(self.bytes::<4>()))
        };
        Endpoint {
            addr,
            port: self.u16(),
        }
    }
}

impl SegmentLog {
    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The written bytes, to keep.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The first segment's source, destination and frame number, read from a log's bytes.
    pub fn head(bytes: &[u8]) -> (Endpoint, Endpoint, u64) {
        let mut r = Reader { b: bytes };
        let v6 = r.u8() != 0;
        (r.endpoint(v6), r.endpoint(v6), r.varint())
    }

    /// Writes `seg`, which came at capture clock `now`.
    pub fn push(&mut self, seg: &TcpSegment, now: Timestamp) {
        let mut cur = read(&self.bytes, |_, _| {});
        self.push_at(&mut cur, seg, now);
    }

    /// [`SegmentLog::push`] with where the log stands already known; `cur` moves on.
    fn push_at(&mut self, cur: &mut Cursor, seg: &TcpSegment, now: Timestamp) {
        let out = &mut self.bytes;
        let first = cur.a.is_none();
        if first {
            out.reserve(FIRST_CAPACITY);
            out.push(u8::from(seg.src.addr.is_ipv6()));
            put_endpoint(out, seg.src);
            put_endpoint(out, seg.dst);
            put_varint(out, seg.frame);
            out.extend_from_slice(&seg.ts.as_nanos().to_le_bytes());
            cur.a = Some(seg.src);
        }
        let dir = usize::from(Some(seg.src) != cur.a);
        let prev = cur.prev[dir].as_ref();
        let same = |f: &dyn Fn(&TcpSegment) -> bool| prev.is_some_and(f);
        let mut ctrl = 0u32;
        let bits = [
            (dir == 1, FROM_B),
            (same(&|p| p.seq == seg.seq), SAME_SEQ),
            (cur.expected_ack(dir) == Some(seg.ack), SAME_ACK),
            (same(&|p| p.window == seg.window), SAME_WINDOW),
            (same(&|p| p.options == seg.options), SAME_OPTIONS),
            (
                same(&|p| {
                    (p.payload_len, p.payload_captured, p.ip_len)
                        == (seg.payload_len, seg.payload_captured, seg.ip_len)
                }),
                SAME_LENGTHS,
            ),
            (seg.truncated, TRUNCATED),
            (seg.duplicate, DUPLICATE),
            (seg.behind_clock, BEHIND_CLOCK),
            (seg.icmp.is_some(), ICMP),
            (now == seg.ts, CLOCK_AT_TS),
        ];
        for (on, bit) in bits {
            if on {
                ctrl |= bit;
            }
        }
        put_varint(out, u64::from(ctrl));
        put_varint(out, u64::from(seg.flags.0));
        if !first {
            put_varint(out, zigzag(seg.frame.wrapping_sub(cur.frame) as i64));
            put_nanos(out, seg.ts.as_nanos().wrapping_sub(cur.ts));
        }
        if ctrl & CLOCK_AT_TS == 0 {
            put_nanos(out, now.as_nanos().wrapping_sub(seg.ts.as_nanos()));
        }
        if ctrl & SAME_SEQ == 0 {
            out.extend_from_slice(&seg.seq.0.to_le_bytes());
        }
        if ctrl & SAME_ACK == 0 {
            out.extend_from_slice(&seg.ack.0.to_le_bytes());
        }
        if ctrl & SAME_WINDOW == 0 {
            out.extend_from_slice(&seg.window.to_le_bytes());
        }
        if ctrl & SAME_LENGTHS == 0 {
            put_varint(out, u64::from(seg.payload_len));
            put_varint(out, u64::from(seg.payload_captured));
            put_varint(out, u64::from(seg.ip_len));
        }
        if ctrl & SAME_OPTIONS == 0 {
            let o = seg.options;
            let present = u8::from(o.mss.is_some())
                | u8::from(o.wscale.is_some()) << 1
                | u8::from(o.sack_permitted) << 2
                | u8::from(o.timestamps) << 3;
            out.push(present);
            if let Some(mss) = o.mss {
                out.extend_from_slice(&mss.to_le_bytes());
            }
            if let Some(w) = o.wscale {
                out.push(w);
            }
        }
        out.extend_from_slice(&seg.checksum.to_le_bytes());
        out.extend_from_slice(&seg.ip_id.to_le_bytes());
        if let Some(u) = seg.icmp {
            out.push(u8::from(u.v6) | u8::from(u.flags_quoted) << 1);
            out.push(u.code);
        }
        cur.frame = seg.frame;
        cur.ts = seg.ts.as_nanos();
        cur.prev[dir] = Some(*seg);
    }

    /// Reads back a log written by [`SegmentLog::push`], calling `each` with every segment and
    /// the clock it came at, in order; returns the log, ready to take the next segment.
    pub fn replay(bytes: &[u8], each: impl FnMut(&TcpSegment, Timestamp)) -> SegmentLog {
        read(bytes, each);
        let mut log = Vec::with_capacity(bytes.len() + 32);
        log.extend_from_slice(bytes);
        SegmentLog { bytes: log }
    }
}

/// Reads a log, calling `each` with every segment; returns where it stands after the last.
fn read(bytes: &[u8], mut each: impl FnMut(&TcpSegment, Timestamp)) -> Cursor {
    let mut log = Cursor::default();
    if bytes.is_empty() {
        return log;
    }
    {
        let mut r = Reader { b: bytes };
        let v6 = r.u8() != 0;
        let (a, b) = (r.endpoint(v6), r.endpoint(v6));
        log.a = Some(a);
        log.frame = r.varint();
        log.ts = i64::from_le_bytes(r.bytes());
        let mut first = true;
        while !r.b.is_empty() {
            let ctrl = r.varint() as u32;
            let flags = TcpFlags(r.varint() as u16);
            let dir = usize::from(ctrl & FROM_B != 0);
            if !first {
                log.frame = log.frame.wrapping_add(unzigzag(r.varint()) as u64);
                log.ts = log.ts.wrapping_add(r.nanos());
            }
            first = false;
            let ts = Timestamp::from_nanos(log.ts);
            let now = if ctrl & CLOCK_AT_TS != 0 {
                ts
            } else {
                Timestamp::from_nanos(log.ts.wrapping_add(r.nanos()))
            };
            let prev = log.prev[dir];
            let seq = match prev {
                Some(p) if ctrl & SAME_SEQ != 0 => p.seq,
                _ => SeqNum(r.u32()),
            };
            let ack = match prev {
                _ if ctrl & SAME_ACK != 0 => log.expected_ack(dir).expect("written against one"),
                _ => SeqNum(r.u32()),
            };
            let window = match prev {
                Some(p) if ctrl & SAME_WINDOW != 0 => p.window,
                _ => r.u16(),
            };
            let (payload_len, payload_captured, ip_len) = match prev {
                Some(p) if ctrl & SAME_LENGTHS != 0 => {
                    (p.payload_len, p.payload_captured, p.ip_len)
                }
                _ => (r.varint() as u32, r.varint() as u32, r.varint() as u32),
            };
            let options = match prev {
                Some(p) if ctrl & SAME_OPTIONS != 0 => p.options,
                _ => {
                    let present = r.u8();
                    SynOptions {
                        mss: (present & 1 != 0).then(|| r.u16()),
                        wscale: (present & 2 != 0).then(|| r.u8()),
                        sack_permitted: present & 4 != 0,
                        timestamps: present & 8 != 0,
                    }
                }
            };
            let checksum = r.u16();
            let ip_id = r.u16();
            let icmp = (ctrl & ICMP != 0).then(|| {
                let bits = r.u8();
                Unreachable {
                    v6: bits & 1 != 0,
                    flags_quoted: bits & 2 != 0,
                    code: r.u8(),
                }
            });
            let (src, dst) = if dir == 0 { (a, b) } else { (b, a) };
            let seg = TcpSegment {
                frame: log.frame,
                ts,
                src,
                dst,
                seq,
                ack,
                flags,
                window,
                payload_len,
                payload_captured,
                ip_len,
                options,
                truncated: ctrl & TRUNCATED != 0,
                checksum,
                ip_id,
                duplicate: ctrl & DUPLICATE != 0,
                icmp,
                behind_clock: ctrl & BEHIND_CLOCK != 0,
            };
            each(&seg, now);
            log.prev[dir] = Some(seg);
        }
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(frame: u64, ts_us: i64, from_a: bool, flags: u16) -> TcpSegment {
        let a = Endpoint {
            addr: "10.1.2.3".parse().unwrap(),
            port: 40_000,
        };
        let b = Endpoint {
            addr: "192.168.1.1".parse().unwrap(),
            port: 80,
        };
        let (src, dst) = if from_a { (a, b) } else { (b, a) };
        TcpSegment {
            frame,
            ts: Timestamp::from_nanos(1_700_000_000_000_000_000 + ts_us * 1000),
            src,
            dst,
            seq: SeqNum(if from_a { 1000 } else { 9000 }),
            ack: SeqNum(if from_a { 0 } else { 1001 }),
            flags: TcpFlags(flags),
            window: 64_240,
            payload_len: 0,
            payload_captured: 0,
            ip_len: 60,
            options: SynOptions {
                mss: Some(1460),
                wscale: Some(7),
                sack_permitted: true,
                timestamps: true,
            },
            truncated: false,
            checksum: frame as u16 ^ 0x5a5a,
            ip_id: 0,
            duplicate: false,
            icmp: None,
            behind_clock: false,
        }
    }

    #[test]
    fn every_field_survives_and_a_flood_attempt_is_small() {
        let (syn, ack) = (TcpFlags::SYN, TcpFlags::SYN | TcpFlags::ACK);
        let mut odd = seg(9, 5_000_000, false, ack);
        odd.icmp = Some(Unreachable {
            v6: false,
            code: 3,
            flags_quoted: true,
        });
        odd.duplicate = true;
        odd.behind_clock = true;
        odd.truncated = true;
        odd.options.mss = None;
        odd.payload_len = 1_000_000;
        // Times far apart (a corrupt timestamp), in nanoseconds.
        odd.ts = Timestamp::from_nanos(i64::MIN + 7);
        let mut ipv6 = seg(3, 2, true, syn);
        ipv6.src.addr = "2001:db8::1".parse().unwrap();
        ipv6.dst.addr = "2001:db8::2".parse().unwrap();
        let segs = [
            (seg(1_000_000, 0, true, syn), 0),
            (seg(1_000_007, 100, false, ack), 100),
            (seg(1_300_000, 1_000_100, false, ack), 1_000_150),
            (seg(2_200_000, 3_000_100, false, ack), 3_000_100),
            // Frames and times going backwards, and every rare field.
            (odd, 2_000_000),
        ];
        let mut log = SegmentLog::default();
        let at = |us: i64| Timestamp::from_nanos(1_700_000_000_000_000_000 + us * 1000);
        for (i, (s, now)) in segs.iter().enumerate() {
            log.push(s, at(*now));
            if i == 3 {
                assert!(log.len() <= 98, "a flood attempt takes {} bytes", log.len());
            }
        }
        let mut back = Vec::new();
        let again = SegmentLog::replay(log.as_bytes(), |s, now| back.push((*s, now)));
        let want: Vec<_> = segs.iter().map(|(s, now)| (*s, at(*now))).collect();
        assert_eq!(back, want);
        assert_eq!(again, log);
        // The log read back takes the next segment as the original would have.
        let (mut a, mut b) = (log, again);
        a.push(&segs[1].0, at(7));
        b.push(&segs[1].0, at(7));
        assert_eq!(a, b);
        let mut v6 = SegmentLog::default();
        v6.push(&ipv6, at(2));
        let mut back = Vec::new();
        SegmentLog::replay(v6.as_bytes(), |s, now| back.push((*s, now)));
        assert_eq!(back, vec![(ipv6, at(2))]);
    }
}
