//! Rule table, configuration and verdict tests. Each rule firing on a real capture is tested in
//! tests/lint.rs.
use super::scan;
use super::*;
use std::time::Duration;

/// CONTRACT.md's table: code, name, default severity.
const CONTRACT: &[(&str, &str, Severity)] = &[
    ("HS001", "syn-retransmitted", Severity::Warning),
    ("HS002", "synack-retransmitted", Severity::Warning),
    ("HS003", "syn-unanswered", Severity::Warning),
    ("HS004", "handshake-incomplete", Severity::Warning),
    ("HS005", "syn-flood", Severity::Error),
    ("HS006", "accept-queue-overflow", Severity::Warning),
    ("SC001", "port-scan", Severity::Warning),
    ("RS001", "connection-refused", Severity::Warning),
    ("RS002", "reset-by-originator", Severity::Warning),
    ("RS003", "reset-by-responder", Severity::Warning),
    ("RS004", "reset-out-of-window", Severity::Warning),
    ("RS005", "data-after-reset", Severity::Warning),
    ("RS006", "rejected-by-icmp", Severity::Warning),
    ("RS007", "reset-challenged", Severity::Info),
    ("HO001", "peer-lost-state", Severity::Warning),
    ("HO002", "close-wait-stalled", Severity::Warning),
    ("HO003", "fin-unacknowledged", Severity::Warning),
    ("DT001", "data-unacknowledged", Severity::Warning),
    ("DT002", "zero-window-stall", Severity::Warning),
    ("TW001", "time-wait-excess", Severity::Error),
    ("TW002", "server-active-close", Severity::Info),
    ("TW003", "syn-in-time-wait", Severity::Warning),
    ("CQ001", "midstream", Severity::Info),
    ("CQ002", "truncated-packets", Severity::Info),
    ("CQ003", "undecodable", Severity::Info),
    ("CQ004", "no-tcp", Severity::Error),
    ("CQ005", "capture-damaged", Severity::Error),
    ("CQ006", "connection-limit", Severity::Warning),
    ("CQ007", "duplicate-frames", Severity::Info),
    ("CQ008", "clock-anomaly", Severity::Warning),
];

#[test]
fn every_rule_of_the_contract_and_no_other() {
    let ours: Vec<(&str, &str, Severity)> =
        all_rules().map(|r| (r.code, r.name, r.severity)).collect();
    assert_eq!(ours, CONTRACT);
}

#[test]
fn every_explain_text_has_the_four_parts() {
    for r in all_rules() {
        for part in [
            "What it means:",
            "Why it matters:",
            "What to do:",
            "RFC reference:",
        ] {
            assert!(r.explain.contains(part), "{} lacks {part:?}", r.code);
        }
        assert!(!r.help.is_empty() && !r.summary.is_empty(), "{}", r.code);
    }
}

#[test]
fn rules_are_found_by_code_or_name() {
    assert_eq!(rule("hs001").map(|r| r.code), Some("HS001"));
    assert_eq!(rule("syn-flood").map(|r| r.code), Some("HS005"));
    assert!(rule("XX999").is_none());
}

#[test]
fn select_and_ignore_take_codes_and_prefixes() {
    let hs001 = rule("HS001").unwrap();
    let rs001 = rule("RS001").unwrap();
    let mut cfg = RuleConfig {
        select: vec!["HS".into(), "RS001".into()],
        ..RuleConfig::default()
    };
    assert_eq!(cfg.severity_of(hs001), Some(Severity::Warning));
    assert_eq!(cfg.severity_of(rs001), Some(Severity::Warning));
    assert_eq!(cfg.severity_of(rule("RS002").unwrap()), None);
    cfg.ignore = vec!["hs00".into()];
    assert_eq!(cfg.severity_of(hs001), None, "ignore wins");
    cfg.severity.insert("RS001", Severity::Error);
    assert_eq!(cfg.severity_of(rs001), Some(Severity::Error));
    assert!(RuleConfig::check_patterns(&["ZZ".into()], "--select").is_err());
}

fn load(text: &str) -> Result<RuleConfig, String> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("synack.toml");
    std::fs::write(&p, text).unwrap();
    let mut cfg = RuleConfig::default();
    cfg.load_file(&p).map(|()| cfg)
}

#[test]
fn config_file_sets_thresholds_severities_and_allowances() {
    let cfg = load(
        r#"
time_wait_max = 10
syn_flood_window = "2s"
close_wait_min = 7
syn_timeout = "500ms"
time_wait = "30s"
idle_timeout = "10m"
ignore = ["CQ"]

[rules.HS001]
severity = "error"
allow = 5

[rules.syn-unanswered]
severity = "info"
"#,
    )
    .unwrap();
    let t = cfg.thresholds;
    assert_eq!(t.time_wait_max, 10);
    assert_eq!(t.syn_flood_window, Duration::from_secs(2));
    assert_eq!(t.close_wait_min, Duration::from_secs(7));
    assert_eq!(t.syn_timeout, Duration::from_millis(500));
    assert_eq!(t.time_wait, Duration::from_secs(30));
    assert_eq!(t.idle_timeout, Duration::from_secs(600));
    assert_eq!(t.syn_flood_min, 100, "untouched");
    assert_eq!(
        cfg.severity_of(rule("HS001").unwrap()),
        Some(Severity::Error)
    );
    assert_eq!(cfg.allowed("HS001"), 5);
    assert_eq!(
        cfg.severity_of(rule("HS003").unwrap()),
        Some(Severity::Info)
    );
    assert_eq!(cfg.severity_of(rule("CQ004").unwrap()), None);
}

#[test]
fn bad_config_files_name_their_line() {
    let e = load("time_wait_max = 10\n\n[rules.HS009]\nseverity = \"error\"\n").unwrap_err();
    assert!(
        e.contains("line 3") && e.contains("unknown rule \"HS009\""),
        "{e}"
    );
    let e = load("time_wait = \"soon\"\n").unwrap_err();
    assert!(e.contains("line 1") && e.contains("not a duration"), "{e}");
    let e = load("\ntime_wiat = 3\n").unwrap_err();
    assert!(e.contains("line 2") && e.contains("time_wiat"), "{e}");
    let e = load("[rules.HS001]\nseverity = \"fatal\"\n").unwrap_err();
    assert!(e.contains("line 2") && e.contains("not a severity"), "{e}");
    assert!(!e.contains('\n'), "one line: {e}");
}

#[test]
fn command_line_overrides_parse() {
    assert_eq!(
        parse_severity_override("hs001=error"),
        Ok(("HS001", Severity::Error))
    );
    assert_eq!(parse_allow("HS001=5"), Ok(("HS001", 5)));
    assert!(parse_allow("HS001=many").is_err());
    assert!(parse_severity_override("XX1=error")
        .unwrap_err()
        .contains("HS001"));
}

#[test]
fn verdict_fails_only_beyond_the_allowed_count_at_or_above_fail_on() {
    let mut cfg = RuleConfig::default();
    let codes: Counts = ["HS001", "HS001", "TW002"].into_iter().collect();
    let v = Verdict::judge("x", &codes, &cfg, Severity::Warning, false);
    assert!(v.failed());
    assert_eq!(v.findings(), 3);
    assert_eq!(v.by_severity(), (0, 2, 1));
    cfg.allow.insert("HS001", 2);
    assert!(!Verdict::judge("x", &codes, &cfg, Severity::Warning, false).failed());
    cfg.allow.clear();
    assert!(!Verdict::judge("x", &codes, &cfg, Severity::Error, false).failed());
    assert!(Verdict::judge("x", &codes, &cfg, Severity::Info, false).failed());
}

fn attempt(source: &str, port: u16, secs: i64, failure: Failure) -> SynAttempt {
    SynAttempt {
        source: source.parse().unwrap(),
        server: "10.0.0.2".parse().unwrap(),
        port,
        first_syn: Timestamp::from_parts(secs, 0),
        failure,
    }
}

fn judged(list: Vec<SynAttempt>, t: &Thresholds) -> Vec<(&'static str, String)> {
    let mut a = Attempts::default();
    for x in list {
        a.add(x);
    }
    scan::check_capture(a, t)
        .into_iter()
        .map(|(h, _, _)| (h.rule.code, h.message))
        .collect()
}

#[test]
fn syn_flood_counts_the_busiest_window_per_port() {
    let t = Thresholds {
        syn_flood_min: 3,
        syn_flood_window: Duration::from_secs(10),
        ..Thresholds::default()
    };
    let spread = [0, 20, 40].map(|s| attempt("10.9.0.1", 80, s, Failure::HalfOpen));
    assert!(judged(spread.to_vec(), &t).is_empty());
    let burst = [50, 0, 51, 52, 100].map(|s| attempt("10.9.0.1", 80, s, Failure::Unanswered));
    let found = judged(burst.to_vec(), &t);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "HS005");
    assert!(
        found[0].1.starts_with(
            "3 half-open or unanswered attempts to 10.0.0.2:80 within 10 s from 1 source"
        ),
        "{}",
        found[0].1
    );
}

#[test]
fn one_source_on_many_ports_is_a_scan_and_many_sources_on_one_host_a_flood() {
    let t = Thresholds {
        syn_flood_min: 20,
        syn_flood_sources: 5,
        scan_min_ports: 20,
        ..Thresholds::default()
    };
    // One source, 30 ports, a refusal or no answer each: a scan, no flood.
    let scan: Vec<SynAttempt> = (0..30)
        .map(|p| {
            attempt(
                "10.9.0.1",
                1000 + p,
                1,
                if p % 2 == 0 {
                    Failure::Refused
                } else {
                    Failure::Unanswered
                },
            )
        })
        .collect();
    let found = judged(scan, &t);
    assert_eq!(
        found.iter().map(|f| f.0).collect::<Vec<_>>(),
        ["SC001"],
        "{found:?}"
    );
    // Six sources, six ports each, all left half-open: a flood on the host (no single port
    // reaches 20), and no source scans 20 ports.
    let flood: Vec<SynAttempt> = (0..36)
        .map(|i| {
            attempt(
                &format!("10.9.1.{}", i / 6),
                2000 + (i % 6) as u16,
                1,
                Failure::HalfOpen,
            )
        })
        .collect();
    let found = judged(flood, &t);
    assert_eq!(
        found.iter().map(|f| f.0).collect::<Vec<_>>(),
        ["HS005"],
        "{found:?}"
    );
    assert!(found[0].1.contains("from 6 sources"), "{}", found[0].1);
}
