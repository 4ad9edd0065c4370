//! Reader tests on hand-built files: one property each (byte order, timestamp units, interfaces,
//! damage). Real captures are exercised by tests/conformance.rs.
use super::*;
use std::io::Cursor;

fn pcap_header(magic_le: bool, nanos: bool, link: u32) -> Vec<u8> {
    let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let mut h = Vec::new();
    let put32 = |h: &mut Vec<u8>, v: u32| {
        h.extend_from_slice(&if magic_le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        })
    };
    put32(&mut h, magic);
    let v16 = |v: u16| {
        if magic_le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    };
    h.extend_from_slice(&v16(2));
    h.extend_from_slice(&v16(4));
    put32(&mut h, 0);
    put32(&mut h, 0);
    put32(&mut h, 65535);
    put32(&mut h, link);
    h
}

fn pcap_record(le: bool, sec: u32, frac: u32, data: &[u8], orig: u32) -> Vec<u8> {
    let mut r = Vec::new();
    for v in [sec, frac, data.len() as u32, orig] {
        r.extend_from_slice(&if le { v.to_le_bytes() } else { v.to_be_bytes() });
    }
    r.extend_from_slice(data);
    r
}

/// (number, ns, link, data, orig_len) of every frame, and the error that ended reading.
type Frames = (
    Vec<(u64, i64, LinkType, Vec<u8>, u32)>,
    Option<CaptureError>,
);

fn frames(bytes: Vec<u8>) -> Frames {
    let mut r = CaptureReader::from_read(Cursor::new(bytes)).expect("opens");
    let mut out = Vec::new();
    loop {
        match r.next_frame() {
            Ok(Some(f)) => out.push((
                f.number,
                f.ts.as_nanos(),
                f.link,
                f.data.to_vec(),
                f.orig_len,
            )),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

#[test]
fn pcap_both_byte_orders_and_units() {
    for le in [true, false] {
        for nanos in [false, true] {
            let mut f = pcap_header(le, nanos, 1);
            f.extend(pcap_record(le, 10, 5, b"abc", 3));
            f.extend(pcap_record(le, 11, 6, b"de", 60));
            let (fr, err) = frames(f);
            assert!(err.is_none(), "le={le} nanos={nanos}");
            let unit = if nanos { 1 } else { 1000 };
            assert_eq!(fr.len(), 2);
            assert_eq!(
                fr[0],
                (
                    1,
                    10_000_000_000 + 5 * unit,
                    LinkType::ETHERNET,
                    b"abc".to_vec(),
                    3
                )
            );
            assert_eq!(fr[1].0, 2);
            assert_eq!(
                fr[1].4, 60,
                "original length survives snap-length truncation"
            );
        }
    }
}

#[test]
fn pcap_cut_mid_record_keeps_whole_records() {
    let mut f = pcap_header(true, false, 1);
    f.extend(pcap_record(true, 1, 0, &[7; 40], 40));
    let whole = f.len();
    f.extend(pcap_record(true, 2, 0, &[8; 40], 40));
    f.truncate(whole + 30);
    let (fr, err) = frames(f);
    assert_eq!(fr.len(), 1);
    let err = err.expect("damage reported");
    assert!(err.is_cut());
    assert_eq!(err.offset, Some(whole as u64));
    assert!(err.to_string().contains("26 more bytes"), "{err}");
}

#[test]
fn pcap_bogus_record_length_is_corrupt() {
    let mut f = pcap_header(true, false, 1);
    f.extend(pcap_record(true, 1, 0, &[7; 40], 40));
    let at = f.len();
    let mut bad = pcap_record(true, 2, 0, &[8; 40], 40);
    bad[8..12].copy_from_slice(&3_900_000_000u32.to_le_bytes());
    f.extend(bad);
    let (fr, err) = frames(f);
    assert_eq!(fr.len(), 1);
    let err = err.unwrap();
    assert!(!err.is_cut());
    assert_eq!(err.offset, Some(at as u64));
    assert!(matches!(err.kind, ErrorKind::Corrupt(_)));
}

#[test]
fn big_records_grow_the_buffer() {
    let mut f = pcap_header(true, false, 1);
    f[16..20].copy_from_slice(&(4u32 << 20).to_le_bytes()); // snap length 4 MiB
    let big = vec![0x5a; 3 << 20];
    f.extend(pcap_record(true, 1, 0, &big, big.len() as u32));
    f.extend(pcap_record(true, 2, 0, b"x", 1));
    let (fr, err) = frames(f);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(fr.len(), 2);
    assert_eq!(fr[0].3.len(), 3 << 20);
}

/// A minimal pcapng writer for tests.
struct Ng {
    out: Vec<u8>,
    be: bool,
}

impl Ng {
    fn new(be: bool) -> Self {
        let mut ng = Ng {
            out: Vec::new(),
            be,
        };
        ng.shb();
        ng
    }
    fn u16(&self, v: u16) -> [u8; 2] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(&self, v: u32) -> [u8; 4] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn block(&mut self, ty: u32, body: &[u8]) {
        let mut body = body.to_vec();
        while body.len() % 4 != 0 {
            body.push(0);
        }
        let total = 12 + body.len() as u32;
        let (t, l) = (self.u32(ty), self.u32(total));
        self.out.extend_from_slice(&t);
        self.out.extend_from_slice(&l);
        self.out.extend_from_slice(&body);
        self.out.extend_from_slice(&l);
    }
    fn shb(&mut self) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u32(0x1a2b_3c4d));
        b.extend_from_slice(&self.u16(1));
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&[0xff; 8]);
        self.block(0x0a0d_0d0a, &b);
    }
    fn idb(&mut self, link: u16, tsresol: Option<u8>, tsoffset: Option<i64>) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u16(link));
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&self.u32(262_144));
        if let Some(r) = tsresol {
            b.extend_from_slice(&self.u16(9));
            b.extend_from_slice(&self.u16(1));
            b.extend_from_slice(&[r, 0, 0, 0]);
        }
        if let Some(o) = tsoffset {
            b.extend_from_slice(&self.u16(14));
            b.extend_from_slice(&self.u16(8));
            b.extend_from_slice(&if self.be {
                o.to_be_bytes()
            } else {
                o.to_le_bytes()
            });
        }
        if tsresol.is_some() || tsoffset.is_some() {
            b.extend_from_slice(&[0; 4]);
        }
        self.block(1, &b);
    }
    fn epb(&mut self, if_id: u32, ticks: u64, data: &[u8], orig: u32) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u32(if_id));
        b.extend_from_slice(&self.u32((ticks >> 32) as u32));
        b.extend_from_slice(&self.u32(ticks as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(&self.u32(orig));
        b.extend_from_slice(data);
        self.block(6, &b);
    }
    fn spb(&mut self, data: &[u8]) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(data);
        self.block(3, &b);
    }
    fn obsolete_pb(&mut self, if_id: u16, ticks: u64, data: &[u8]) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.u16(if_id));
        b.extend_from_slice(&self.u16(0));
        b.extend_from_slice(&self.u32((ticks >> 32) as u32));
        b.extend_from_slice(&self.u32(ticks as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(&self.u32(data.len() as u32));
        b.extend_from_slice(data);
        self.block(2, &b);
    }
}

#[test]
fn pcapng_interfaces_resolutions_offsets_and_block_kinds() {
    for be in [false, true] {
        let mut ng = Ng::new(be);
        ng.idb(1, None, None); // µs by default
        ng.idb(101, Some(9), Some(100)); // ns, +100 s
        ng.idb(113, Some(0x80 | 20), None); // 2^-20 s ticks
        ng.block(0x0bad, b"unknown block, skipped");
        ng.epb(0, 1_500_000, b"e0", 2);
        ng.epb(1, 2_000_000_007, b"raw", 3);
        ng.epb(2, 1 << 20, b"sll", 3);
        ng.spb(b"simple");
        ng.obsolete_pb(1, 5, b"old");
        // A new section forgets the old interfaces.
        ng.shb();
        ng.idb(228, None, None);
        ng.epb(0, 3_000_000, b"v4", 2);
        let (fr, err) = frames(ng.out);
        assert!(err.is_none(), "be={be}: {err:?}");
        let got: Vec<_> = fr.iter().map(|f| (f.0, f.1, f.2 .0, f.3.clone())).collect();
        assert_eq!(
            got,
            vec![
                (1, 1_500_000_000, 1, b"e0".to_vec()),
                (2, 102_000_000_007, 101, b"raw".to_vec()),
                (3, 1_000_000_000, 113, b"sll".to_vec()),
                (4, 1_000_000_000, 1, b"simple".to_vec()),
                (5, 100_000_000_005, 101, b"old".to_vec()),
                (6, 3_000_000_000, 228, b"v4".to_vec()),
            ],
            "be={be}"
        );
    }
}

#[test]
fn pcapng_packet_naming_a_missing_interface() {
    let mut ng = Ng::new(false);
    ng.idb(1, None, None);
    ng.epb(0, 1, b"ok", 2);
    let at = ng.out.len() as u64;
    ng.epb(3, 2, b"bad", 3);
    let (fr, err) = frames(ng.out);
    assert_eq!(fr.len(), 1);
    let err = err.unwrap();
    assert_eq!(err.offset, Some(at));
    assert!(err.to_string().contains("names interface 3"), "{err}");
}

#[test]
fn pcapng_bad_block_length() {
    let mut ng = Ng::new(false);
    ng.idb(1, None, None);
    ng.epb(0, 1, b"ok", 2);
    let at = ng.out.len();
    ng.epb(0, 2, b"bad", 3);
    ng.out[at + 4] = 0x0e; // 14: not a multiple of 4, and trailer no longer matches
    let (fr, err) = frames(ng.out);
    assert_eq!(fr.len(), 1);
    let err = err.unwrap();
    assert!(!err.is_cut(), "{err}");
    assert_eq!(err.offset, Some(at as u64));
}

#[test]
fn not_captures_are_refused_at_open() {
    let open = |b: &[u8]| {
        CaptureReader::from_read(Cursor::new(b.to_vec()))
            .err()
            .unwrap()
    };
    assert!(matches!(open(b"").kind, ErrorKind::Empty));
    let text = open(b"12:00:01.000 IP 10.0.0.1.80 > 10.0.0.2.5000: Flags [S]\n");
    assert!(matches!(
        text.kind,
        ErrorKind::NotACapture { text: true, .. }
    ));
    assert!(text.to_string().contains("looks like text"));
    let random = open(&[0x13, 0x37, 0x00, 0xff, 0x80, 0x90]);
    assert!(matches!(
        random.kind,
        ErrorKind::NotACapture { text: false, .. }
    ));
    assert!(matches!(
        open(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]).kind,
        ErrorKind::TooShort(6)
    ));
    assert_eq!(random.offset, Some(0));
}

#[test]
fn pcapng_timestamp_arithmetic_saturates() {
    let iface = Interface {
        link: LinkType::ETHERNET,
        snaplen: 0,
        tsresol: 0x7f,
        tsoffset: i64::MAX,
    };
    let _ = pcapng_ts(u64::MAX, iface);
    let _ = pcapng_ts(
        u64::MAX,
        Interface {
            tsresol: 0,
            tsoffset: i64::MIN,
            ..iface
        },
    );
    let _ = pcapng_ts(
        u64::MAX,
        Interface {
            tsresol: 0xff,
            ..iface
        },
    );
    let _ = pcapng_ts(
        u64::MAX,
        Interface {
            tsresol: 0x80,
            ..iface
        },
    );
}

#[test]
fn pcapng_times_past_2262_are_flagged() {
    let iface = Interface {
        link: LinkType::ETHERNET,
        snaplen: 0,
        tsresol: 6,
        tsoffset: 0,
    };
    // 2024 in microseconds: fine.
    assert!(!pcapng_ts(1_700_000_000_000_000, iface).1);
    // Seconds resolution, 2^63 s: far beyond what nanoseconds in 64 bits hold.
    let secs = Interface {
        tsresol: 0,
        ..iface
    };
    assert!(pcapng_ts(1 << 63, secs).1);
    // An offset that carries a valid tick count past 2262.
    let offset = Interface {
        tsoffset: 9_300_000_000,
        ..iface
    };
    assert!(pcapng_ts(1_000_000, offset).1);
}
