//! `synack explain`: every word the reports of real captures use has an explanation, the
//! terms the issue names explain what they should, and `--list` lists them all.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;

fn explain(word: &str) -> (Option<i32>, String, String) {
    let out = Command::cargo_bin("synack")
        .unwrap()
        .args(["explain", word])
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_word_of_real_reports_is_explained() {
    let captures = common::fleet::captures();
    let out = Command::cargo_bin("synack")
        .unwrap()
        .args(["report", "-q", "--format", "json"])
        .args(&captures)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut words = BTreeSet::new();
    for c in doc["connections"].as_array().unwrap() {
        for key in ["conn_state", "orig_state", "resp_state"] {
            words.insert(c[key].as_str().unwrap().to_string());
        }
        for ch in c["history"].as_str().unwrap().chars() {
            words.insert(ch.to_string());
        }
    }
    for f in doc["findings"].as_array().unwrap() {
        words.insert(f["code"].as_str().unwrap().to_string());
    }
    // The reports of testdata alone use S0, SF, REJ, TIME-WAIT, SYN-RECEIVED, h, T, ...
    for w in [
        "S0",
        "SF",
        "REJ",
        "TIME-WAIT",
        "SYN-RECEIVED",
        "h",
        "T",
        "^",
    ] {
        assert!(words.contains(w), "{w} is in the reports");
    }
    for w in &words {
        let (code, stdout, stderr) = explain(w);
        assert_eq!(code, Some(0), "explain {w}: {stderr}");
        let first = stdout.lines().next().unwrap_or_default();
        assert!(first.starts_with(w.as_str()), "explain {w} starts: {first}");
        assert!(stdout.lines().count() >= 2, "explain {w} says something");
    }
}

#[test]
fn the_named_terms_say_what_linux_does() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("S0", "S0 (Zeek conn_state)", &["no reply", "HS003"]),
        (
            "h",
            "h (Zeek history letter)",
            &["The responder sent a SYN-ACK"],
        ),
        (
            "H",
            "H (Zeek history letter)",
            &["The originator sent a SYN-ACK"],
        ),
        (
            "T",
            "T (Zeek history letter)",
            &["retransmitted", "10, 100"],
        ),
        (
            "TIME-WAIT",
            "TIME-WAIT (RFC 9293 state)",
            &[
                "60 s",
                "tcp_tw_reuse",
                "tcp_fin_timeout does not change it",
                "2×MSL",
            ],
        ),
        (
            "syn_recv",
            "SYN-RECEIVED (RFC 9293 state)",
            &[
                "tcp_synack_retries",
                "63 s",
                "tcp_max_syn_backlog",
                "somaxconn",
            ],
        ),
        ("SYN-SENT", "SYN-SENT", &["tcp_syn_retries", "127 s"]),
        (
            "tcp_syn_retries",
            "tcp_syn_retries (Linux setting)",
            &["default 6"],
        ),
        (
            "tcp_synack_retries",
            "tcp_synack_retries",
            &["default 5", "63 s"],
        ),
        (
            "tcp_max_syn_backlog",
            "tcp_max_syn_backlog",
            &["SYN cookies"],
        ),
        (
            "net.core.somaxconn",
            "somaxconn (Linux setting)",
            &["accept queue", "HS006"],
        ),
        (
            "tcp_fin_timeout",
            "tcp_fin_timeout",
            &["FIN-WAIT-2", "60 s"],
        ),
        ("tcp_tw_reuse", "tcp_tw_reuse", &["loopback", "TW003"]),
        ("2×MSL", "2MSL (Linux setting)", &["60 s", "--time-wait"]),
        ("HS001", "HS001 syn-retransmitted", &["Help:"]),
    ];
    for (word, first, says) in cases {
        let (code, out, err) = explain(word);
        assert_eq!(code, Some(0), "explain {word}: {err}");
        assert!(out.starts_with(first), "explain {word}:\n{out}");
        let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
        for s in *says {
            assert!(flat.contains(s), "explain {word} says {s:?}:\n{out}");
        }
        assert!(
            out.lines().all(|l| l.chars().count() <= 100),
            "explain {word} fits the terminal"
        );
    }
}

#[test]
fn the_syn_schedule_explained_is_the_kernels() {
    // syn-blackhole.pcap: a Linux client's SYN into a namespace that drops it. The explanation
    // says the retries come 1 s, then 3 s after the first (the RTO doubling from 1 s).
    let out = Command::cargo_bin("synack")
        .unwrap()
        .args(["report", "--format", "json"])
        .arg(common::testdata("kernel/syn-blackhole.pcap"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let iv: Vec<f64> = doc["connections"][0]["syn_retransmit_intervals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(iv.len() >= 2);
    let (first, second) = (iv[0], iv[0] + iv[1]);
    assert!(
        (first - 1.0).abs() < 0.1 && (second - 3.0).abs() < 0.1,
        "{iv:?}"
    );
    let (_, text, _) = explain("tcp_syn_retries");
    assert!(text.contains("1, 3, 7, 15"), "{text}");
}

#[test]
fn list_has_every_term_and_unknown_words_fail() {
    let out = Command::cargo_bin("synack")
        .unwrap()
        .args(["explain", "--list"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let list = String::from_utf8_lossy(&out.stdout);
    let names: BTreeSet<&str> = list
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for w in [
        "HS001",
        "CQ008",
        "S0",
        "OTH",
        "RSTOS0",
        "H/h",
        "T/t",
        "^",
        "TIME-WAIT",
        "SYN-RECEIVED",
        "UNKNOWN",
        "tcp_syn_retries",
        "tcp_synack_retries",
        "tcp_max_syn_backlog",
        "somaxconn",
        "tcp_fin_timeout",
        "tcp_tw_reuse",
        "2MSL",
    ] {
        assert!(names.contains(w), "--list has {w}:\n{list}");
    }
    // Each listed term explains itself.
    for n in &names {
        let word = n.split('/').next().unwrap();
        let (code, text, _) = explain(word);
        assert_eq!(code, Some(0), "explain {word}");
        assert!(
            text.lines().all(|l| l.chars().count() <= 100),
            "explain {word} fits 100 columns"
        );
    }

    let (code, out, err) = explain("TIMEWAIT-ish");
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert!(err.contains("synack explain --list"), "{err}");
    let (_, _, err) = explain("wait");
    assert!(err.contains("TIME-WAIT"), "suggests: {err}");
}
