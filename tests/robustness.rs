//! Never a panic on input: every prefix of a few real captures, and thousands of seeded random
//! mutations of them, go through the reader and the decoder. Whatever the bytes, reading ends with
//! frames, a clean end, or a typed error, and the decode counts add up. Mutations of
//! connection-rich captures also go through the whole pipeline — tracker, findings, and every
//! report emitter — and the JSON, JSONL and CSV they write must parse.

mod common;

use std::io::Cursor;
use synack::analyze::{CaptureResult, Options};
use synack::capture::CaptureReader;
use synack::decode::{decode, DecodeStats};
use synack::findings::RuleConfig;
use synack::pipeline;
use synack::report::{
    CsvEmitter, Emitter, JsonEmitter, JsonlEmitter, TableEmitter, TableOptions, ZeekEmitter,
};
use synack::tcp::TcpConfig;

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
            let m = mutate(&bytes, &mut rng);
            let _ = read_all(m);
            runs += 1;
        }
    }
    assert!(runs >= 7500, "{runs} mutated captures");
}

/// One seeded mutation of `bytes`: a few bytes changed, flipped, set to a boundary value, the
/// file cut, a chunk copied elsewhere or removed.
fn mutate(bytes: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut m = bytes.to_vec();
    for _ in 0..1 + rng.below(8) {
        if m.is_empty() {
            break;
        }
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
    }
    m
}

/// The whole report of `bytes` in `format`, if they open as a capture; the output must be
/// what the format promises.
fn report_all(bytes: &[u8], format: &str) -> Option<CaptureResult> {
    let reader = CaptureReader::from_read(Cursor::new(bytes.to_vec())).ok()?;
    let mut out = Vec::new();
    let opts = Options {
        tcp: TcpConfig {
            transitions: true,
            ..TcpConfig::default()
        },
        ..Options::default()
    };
    let result = {
        let mut emitter: Box<dyn Emitter + '_> = match format {
            "json" => Box::new(JsonEmitter::new(&mut out)),
            "jsonl" => Box::new(JsonlEmitter::new(&mut out)),
            "csv" => Box::new(CsvEmitter::new(&mut out)),
            "zeek" => Box::new(ZeekEmitter::new(&mut out)),
            "html" => Box::new(synack::report::html::HtmlEmitter::new(
                &mut out,
                20,
                TcpConfig::default(),
            )),
            _ => Box::new(TableEmitter::new(
                &mut out,
                TableOptions {
                    all: true,
                    limit: 20,
                    color: false,
                    width: None,
                },
            )),
        };
        pipeline::report(
            "mutated.pcap",
            reader,
            opts,
            RuleConfig::default(),
            emitter.as_mut(),
        )
        .expect("writing to memory")
    };
    let text = String::from_utf8(out).expect("UTF-8 output");
    match format {
        "json" => {
            let doc: serde_json::Value = serde_json::from_str(&text).expect("one JSON document");
            assert_eq!(
                doc["connections"].as_array().map(Vec::len),
                Some(result.connections as usize)
            );
        }
        "jsonl" => {
            for line in text.lines() {
                let _: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            }
        }
        "csv" => {
            let mut r = csv::Reader::from_reader(text.as_bytes());
            assert_eq!(r.records().count() as u64, result.connections);
        }
        "html" => {
            // Each chart is well-formed SVG, and the page ends.
            for part in text.split("<svg").skip(1) {
                let svg = format!("<svg{}", &part[..part.find("</svg>").expect("closed") + 6]);
                roxmltree::Document::parse(&svg).expect("a chart parses");
            }
            assert!(text.trim_end().ends_with("</html>"));
        }
        _ => assert!(!text.is_empty()),
    }
    Some(result)
}

#[test]
fn seeded_mutations_go_through_the_tracker_and_every_report_format() {
    // Captures with many connections and states: every mutation changes what the tracker sees.
    let mut inputs: Vec<Vec<u8>> = [
        "kernel/port-reuse-time-wait.pcap",
        "kernel/rst-challenged.pcap",
        "kernel/syn-flood.pcap",
        "kernel/fin-into-time-wait.pcap",
        "kernel/dup-two-interfaces.pcapng",
    ]
    .iter()
    .map(|n| std::fs::read(common::testdata(n)).unwrap())
    .collect();
    if let Some(dir) = common::corpus_dir() {
        if let Ok(b) = std::fs::read(dir.join("zeek/ssh.pcap")) {
            inputs.push(b);
        }
    }
    let mut rng = Rng(0xf022_5ac4);
    let mut reported = 0;
    for bytes in &inputs {
        assert!(report_all(bytes, "json").is_some(), "the original reports");
        for i in 0..300 {
            let m = mutate(bytes, &mut rng);
            let format = ["json", "jsonl", "csv", "zeek", "table", "html"][i % 6];
            reported += usize::from(report_all(&m, format).is_some());
        }
    }
    assert!(reported >= 1000, "only {reported} mutated captures opened");
}
