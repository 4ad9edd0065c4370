//! Conformance against the shared corpus of real captures (../shared/corpus): for every capture,
//! synack's `packets` and `tcp_segments` must equal tshark's (expected.json), except the
//! deviations listed here with their reason. When the corpus is absent the tests say so and pass.

mod common;

use common::{corpus_dir, expected_captures};
use synack::analyze::analyze_capture;

/// Captures where synack's counts differ from tshark's on purpose, and why.
const DEVIATIONS: &[(&str, &str)] = &[];

#[test]
fn packet_and_tcp_segment_counts_equal_tsharks() {
    let Some(dir) = corpus_dir() else { return };
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, exp) in expected_captures(&dir) {
        let path = dir.join(&name);
        let summary = match analyze_capture(&path, |_| {}) {
            Ok(s) => s,
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
    assert!(checked > 90, "only {checked} captures read");
    assert!(
        failures.is_empty(),
        "{} of {checked} captures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
