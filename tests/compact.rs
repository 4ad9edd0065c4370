//! Compact attempts change memory, never a report: every capture of testdata and of the corpus,
//! reported with every attempt kept compact as soon as it can be (and replayed whole at its next
//! segment), and with none ever compact, gives the same JSON byte for byte, with
//! `--transitions`. (Debug builds also replay every compaction on the spot and compare.)
//!
//! The corpus part needs ../shared/corpus (or $SYNACK_CORPUS): without it, that part is
//! skipped with a note.

mod common;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;
use synack::analyze::Options;
use synack::capture::CaptureReader;
use synack::findings::RuleConfig;
use synack::pipeline;
use synack::report::JsonEmitter;
use synack::tcp::TcpConfig;

fn report(path: &Path, compact_after: Option<Duration>, jobs: usize) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("readable capture");
    let reader = CaptureReader::from_read(Cursor::new(bytes)).expect("a capture");
    let opts = Options {
        tcp: TcpConfig {
            transitions: true,
            compact_after,
            ..TcpConfig::default()
        },
        jobs,
        ..Options::default()
    };
    let mut out = Vec::new();
    pipeline::report(
        "capture",
        reader,
        opts,
        RuleConfig::default(),
        &mut JsonEmitter::new(&mut out),
    )
    .expect("writing to memory");
    out
}

fn captures_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            captures_under(&p, out);
        } else if p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
            [".pcap", ".pcapng", ".pcap.gz", ".cap"]
                .iter()
                .any(|ext| n.ends_with(ext))
        }) {
            out.push(p);
        }
    }
}

fn same_either_way(dir: &Path) -> usize {
    let mut paths = Vec::new();
    captures_under(dir, &mut paths);
    paths.sort();
    let mut compared = 0;
    for p in &paths {
        if CaptureReader::open(p).is_err() {
            continue;
        }
        let whole = report(p, None, 1);
        for jobs in [1, 2] {
            let compact = report(p, Some(Duration::ZERO), jobs);
            assert!(
                compact == whole,
                "{}: compact attempts changed the report (-j{jobs})",
                p.display()
            );
        }
        compared += 1;
    }
    compared
}

#[test]
fn compact_attempts_change_no_report_of_testdata() {
    let n = same_either_way(&common::testdata(""));
    assert!(n >= 30, "only {n} captures in testdata");
}

#[test]
fn compact_attempts_change_no_report_of_the_corpus() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let n = same_either_way(&dir);
    assert!(n >= 5, "only {n} captures in the corpus");
}
