//! Conformance against real captures with independent expected results: the shared corpus
//! (../shared/corpus/expected.json) and the project's own kernel recordings
//! (testdata/expected.json). For every capture synack's `packets` and `tcp_segments` must equal
//! tshark's, except the deviations listed here with their reason. When the shared corpus is
//! absent its half says so and skips.

mod common;

use common::{corpus_dir, expected_captures};
use std::ops::ControlFlow;
use std::path::Path;
use synack::analyze::analyze_capture;
use synack::tcp::TcpConfig;

/// Captures where synack's counts differ from tshark's on purpose, and why.
const DEVIATIONS: &[(&str, &str)] = &[];

#[test]
fn corpus_counts_equal_tsharks() {
    let Some(dir) = corpus_dir() else { return };
    let (checked, failures) = compare_counts(&dir);
    assert!(checked > 90, "only {checked} captures read");
    assert!(
        failures.is_empty(),
        "{} of {checked} captures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn testdata_counts_equal_tsharks() {
    let dir = common::testdata("");
    let (checked, failures) = compare_counts(&dir);
    assert!(checked >= 19, "only {checked} captures read");
    assert!(
        failures.is_empty(),
        "{} of {checked} captures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Reads every capture of `dir/expected.json`; returns how many were read and what differed.
fn compare_counts(dir: &Path) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, exp) in expected_captures(dir) {
        let path = dir.join(&name);
        let summary =
            match analyze_capture(&path, TcpConfig::default(), |_| ControlFlow::Continue(())) {
                Ok(s) => s.capture,
                Err(e) => {
                    failures.push(format!("{name}: cannot read: {e}"));
                    continue;
                }
            };
        checked += 1;
        let want = (exp["packets"].as_u64(), exp["tcp_segments"].as_u64());
        let got = (
            Some(summary.stats.packets),
            Some(summary.stats.tcp_segments),
        );
        let deviation = DEVIATIONS.iter().find(|(n, _)| *n == name);
        match (want == got, deviation) {
            (true, None) => {}
            (true, Some(_)) => failures.push(format!(
                "{name}: listed as a deviation but now matches tshark; remove it from DEVIATIONS"
            )),
            (false, Some(_)) => {}
            (false, None) => failures.push(format!(
                "{name}: packets/tcp_segments {}/{} but tshark says {}/{}",
                got.0.unwrap_or(0),
                got.1.unwrap_or(0),
                want.0.unwrap_or(0),
                want.1.unwrap_or(0)
            )),
        }
        let damaged = exp["damaged"].as_bool().unwrap_or(false);
        if damaged == summary.complete() {
            failures.push(format!(
                "{name}: tshark says damaged={damaged}, synack read it complete={}",
                summary.complete()
            ));
        }
    }
    (checked, failures)
}
