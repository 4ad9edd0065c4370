//! Every capture of the shared corpus judged: which rules fire on it and how often, pinned in
//! tests/corpus-lint.json. A change that makes a rule fire more or less anywhere fails here and
//! must be looked at; docs/findings.md says, for every capture where `synack lint` fails, what
//! the packets show. Bless a reviewed change with `SYNACK_BLESS=1 cargo test --test corpus_lint`.
//! Without ../shared/corpus it says so and skips.

mod common;

use std::collections::BTreeMap;
use synack::findings::{Attempts, Checker, RuleConfig, Severity};
use synack::tcp::TcpConfig;

/// Per capture: code → how many findings, and whether lint fails it (a warning or worse).
fn judge(dir: &std::path::Path, name: &str) -> (BTreeMap<String, u64>, bool) {
    let path = dir.join(name);
    let mut checker = Checker::new(RuleConfig::default());
    checker.begin_capture(name);
    let mut attempts = Attempts::default();
    let mut findings = Vec::new();
    let Ok((res, conns)) = synack::analyze::connections(&path, TcpConfig::default()) else {
        return (BTreeMap::from([("unreadable".to_string(), 1)]), true);
    };
    for c in &conns {
        let (f, a) = checker.connection(c);
        findings.extend(f);
        if let Some(a) = a {
            attempts.add(a);
        }
    }
    findings.extend(checker.capture_done(&res, attempts));
    let mut codes = BTreeMap::new();
    for f in &findings {
        *codes.entry(f.code.to_string()).or_default() += 1;
    }
    let fails = findings.iter().any(|f| f.severity >= Severity::Warning);
    (codes, fails)
}

#[test]
fn every_corpus_capture_judged_as_pinned() {
    let Some(dir) = common::corpus_dir() else {
        println!("skipped: ../shared/corpus not found");
        return;
    };
    let mut names: Vec<String> = common::expected_captures(&dir)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    names.sort();
    let mut got = serde_json::Map::new();
    for name in &names {
        let (codes, fails) = judge(&dir, name);
        got.insert(
            name.clone(),
            serde_json::json!({"fails": fails, "findings": codes}),
        );
    }
    let pinned_path = common::testdata("../tests/corpus-lint.json");
    let got = serde_json::Value::Object(got);
    if std::env::var_os("SYNACK_BLESS").is_some() {
        let text = serde_json::to_string_pretty(&got).unwrap();
        std::fs::write(&pinned_path, text + "\n").unwrap();
        return;
    }
    let pinned: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&pinned_path).unwrap()).unwrap();
    let mut diffs = Vec::new();
    for name in &names {
        if got[name] != pinned[name] {
            diffs.push(format!(
                "{name}: now {}, pinned {}",
                got[name], pinned[name]
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} captures judged differently (review, then SYNACK_BLESS=1):\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    // docs/findings.md explains every capture that fails.
    let doc = std::fs::read_to_string(common::testdata("../docs/findings.md")).unwrap();
    for name in &names {
        if got[name]["fails"] == true {
            assert!(
                doc.contains(&format!("`{name}`")),
                "docs/findings.md does not explain {name}"
            );
        }
    }
}
