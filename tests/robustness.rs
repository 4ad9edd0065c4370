//! Never a panic on input: every prefix of a few real captures, and thousands of seeded random
//! mutations of them, go through the reader and the decoder. Whatever the bytes, reading ends with
//! frames, a clean end, or a typed error, and the decode counts add up.

mod common;

use std::io::Cursor;
use synack::capture::CaptureReader;
use synack::decode::{decode, DecodeStats};

fn read_all(bytes: Vec<u8>) -> Option<DecodeStats> {
    let mut reader = CaptureReader::from_read(Cursor::new(bytes)).ok()?;
    let mut stats = DecodeStats::default();
    while let Ok(Some(frame)) = reader.next_frame() {
        stats.count(&decode(&frame));
    }
    assert_eq!(
        stats.packets,
        stats.tcp_segments + stats.non_tcp + stats.undecodable
    );
    assert_eq!(stats.packets, reader.frames());
    Some(stats)
}

fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for name in [
        "kernel/fmt-pcapng-multi.pcapng",
        "kernel/fmt-sll2.pcap",
        "kernel/fmt-pcap-nsec.pcap",
        "kernel/fmt-mixed.pcap",
        "kernel/fmt-pcap-usec.pcap.gz",
    ] {
        let p = common::testdata(name);
        v.push((
            name.to_string(),
            std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
        ));
    }
    if let Some(dir) = common::corpus_dir() {
        for name in [
            "pcapplusplus/pcapng-example.pcapng",
            "zeek/truncated-header.pcap",
        ] {
            if let Ok(b) = std::fs::read(dir.join(name)) {
                v.push((name.to_string(), b));
            }
        }
    }
    v
}

#[test]
fn every_prefix_reads_without_panic() {
    for (name, bytes) in seeds() {
        let full = read_all(bytes.clone()).unwrap_or_else(|| panic!("{name} opens"));
        let mut last = 0;
        for n in 0..bytes.len() {
            if let Some(st) = read_all(bytes[..n].to_vec()) {
                assert!(
                    st.packets >= last || name.ends_with(".gz"),
                    "{name}: prefix {n} lost frames"
                );
                last = st.packets;
                assert!(
                    st.packets <= full.packets,
                    "{name}: prefix {n} has more frames than the whole"
                );
            }
        }
    }
}

/// xorshift64*, seeded: the same mutations on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn seeded_mutations_read_without_panic() {
    let mut rng = Rng(0x5eed_5ac4);
    let mut runs = 0;
    for (_, bytes) in seeds() {
        for _ in 0..1500 {
            let mut m = bytes.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(m.len());
                match rng.below(6) {
                    0 => m[at] = rng.next() as u8,
                    1 => m[at] ^= 1 << rng.below(8),
                    // Lengths and counts: the interesting bytes are small and big.
                    2 => m[at] = [0x00, 0xff, 0x7f, 0x80, 0x01][rng.below(5)],
                    3 => m.truncate(at),
                    4 => {
                        let len = rng.below(64).min(m.len() - at);
                        let chunk: Vec<u8> = m[at..at + len].to_vec();
                        let to = rng.below(m.len());
                        m.splice(to..to, chunk);
                    }
                    _ => {
                        let end = (at + rng.below(64)).min(m.len());
                        m.drain(at..end);
                    }
                }
                if m.is_empty() {
                    break;
                }
            }
            let _ = read_all(m);
            runs += 1;
        }
    }
    assert!(runs >= 7500, "{runs} mutated captures");
}
