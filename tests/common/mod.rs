//! Shared by the integration tests: where the corpus is, and what expected.json says.
#![allow(dead_code)]

pub mod fleet;
pub mod parquet;

use std::path::PathBuf;

/// The shared corpus: `$SYNACK_CORPUS`, or `../shared/corpus` beside the repository. `None` (and
/// a note on stderr) when it is not there, so the tests that need it skip.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SYNACK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if dir.join("expected.json").is_file() {
        Some(dir)
    } else {
        skipped(&format!(
            "../shared/corpus not found (looked in {}; set SYNACK_CORPUS)",
            dir.display()
        ));
        None
    }
}

/// `(relative path, expected counts)` for every capture of expected.json, in file order.
pub fn expected_captures(dir: &std::path::Path) -> Vec<(String, serde_json::Value)> {
    let text = std::fs::read_to_string(dir.join("expected.json")).expect("expected.json");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("expected.json is JSON");
    let caps = doc["captures"].as_object().expect("captures object");
    caps.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Says on stderr, visibly (past the test harness's capture of `eprintln!`, which shows only
/// under `--nocapture`), that a test skipped something and why.
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

/// The repository's testdata directory.
pub fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// SARIF 2.1.0's schema: ../shared/schemas' copy when present, else the same file vendored in
/// tests/ (OASIS, sarif-spec master).
pub fn sarif_validator() -> jsonschema::Validator {
    let shared =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-schema-2.1.0.json");
    let path = if shared.is_file() {
        shared
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sarif-schema-2.1.0.json")
    };
    let text = std::fs::read_to_string(&path).expect("schema");
    // The official schema's `language` pattern ends in a stray `]` that JavaScript regexes take
    // literally and the Rust validator rejects as a pattern; synack writes no `language`, so
    // the pattern is only made well-formed here, with the meaning JavaScript gives it.
    let text = text.replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#,
    );
    let schema = serde_json::from_str::<serde_json::Value>(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("schema: {e}"))
}

/// `copies` × the records of a real little-endian pcap, each copy `gap` seconds after the
/// previous one; `each(copy, frame)` may change a copy's frames.
fn repeated(
    path: &std::path::Path,
    copies: u32,
    gap: u32,
    mut each: impl FnMut(u32, &mut [u8]),
) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("testdata capture");
    let (header, records) = bytes.split_at(24);
    let mut out = header.to_vec();
    for copy in 0..copies {
        let mut at = 0;
        while at + 16 <= records.len() {
            let caplen = u32::from_le_bytes(records[at + 8..at + 12].try_into().unwrap()) as usize;
            let mut rec = records[at..at + 16 + caplen].to_vec();
            let sec = u32::from_le_bytes(rec[0..4].try_into().unwrap()) + copy * gap;
            rec[0..4].copy_from_slice(&sec.to_le_bytes());
            each(copy, &mut rec[16..]);
            out.extend_from_slice(&rec);
            at += 16 + caplen;
        }
    }
    out
}

/// `copies` × the records of a real pcap, each copy 100 s after the previous one, so the
/// connections of one copy have left the table (2×MSL = 60 s) before the next copy reuses them.
pub fn repeated_over_time(path: &std::path::Path, copies: u32) -> Vec<u8> {
    repeated(path, copies, 100, |_, _| {})
}

/// `copies` × the records of a real Ethernet/IPv4 pcap, each copy `gap` seconds after the
/// previous one, with the TCP port of every endpoint in 10.98.0.0/16 (the spoofed sources of
/// `syn-flood.pcap`) moved up by 200 a copy: each copy's attempts are new connections, and
/// the earlier copies' stay open for the idle timeout, so the table holds many at once.
pub fn repeated_with_new_ports(path: &std::path::Path, copies: u32, gap: u32) -> Vec<u8> {
    repeated(path, copies, gap, |copy, frame| {
        // Ethernet, IPv4 without options, TCP.
        if frame.len() >= 38 && frame[12..14] == [8, 0] && frame[23] == 6 {
            for (addr, port) in [(26, 34), (30, 36)] {
                if frame[addr..addr + 2] == [10, 98] {
                    let p = u16::from_be_bytes([frame[port], frame[port + 1]]);
                    let moved = p.wrapping_add((copy * 200) as u16);
                    frame[port..port + 2].copy_from_slice(&moved.to_be_bytes());
                }
            }
        }
    })
}
