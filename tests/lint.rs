//! `synack lint` as a CI job meets it: each rule fires on a real capture and stays silent on a
//! clean one; the exit code and the exact output of every format are pinned on small kernel
//! captures; SARIF validates against the 2.1.0 schema; several captures are judged each on its
//! own; rules, severities and thresholds come from the command line and synack.toml.

mod common;

use assert_cmd::Command;
use common::{corpus_dir, testdata};
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn synack() -> Command {
    let mut c = Command::cargo_bin("synack").expect("binary");
    c.env_remove("NO_COLOR").env_remove("GITHUB_ACTIONS");
    c
}

/// Relative to the package root (where cargo runs the tests), so pinned output is the same on
/// every machine.
const BLACKHOLE: &str = "testdata/kernel/syn-blackhole.pcap";
const CLEAN: &str = "testdata/kernel/normal-close.pcap";

fn lint(args: &[&str]) -> (i32, String, String) {
    let out = synack().arg("lint").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The codes of the findings lint reports for one capture (all rules, nothing fails the run).
fn codes(capture: &Path, extra: &[&str]) -> Vec<(String, u64)> {
    let mut args = vec!["--format", "json", "--exit-zero"];
    args.extend_from_slice(extra);
    let cap = capture.to_str().unwrap();
    args.push(cap);
    let (code, out, err) = lint(&args);
    assert_eq!(code, 0, "{cap}: {err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    doc["captures"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_string(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Every rule and a real capture that shows it (with the options it needs): testdata's kernel
/// recordings, or the shared corpus.
const FIRES_ON: &[(&str, &str, &[&str])] = &[
    ("HS001", "kernel/syn-blackhole.pcap", &[]),
    ("HS002", "kernel/final-ack-dropped.pcap", &[]),
    ("HS003", "kernel/syn-blackhole.pcap", &[]),
    ("HS004", "kernel/final-ack-dropped.pcap", &[]),
    ("HS005", "kernel/syn-flood.pcap", &[]),
    ("SC001", "corpus:chrissanders-packets/synscan.pcapng", &[]),
    ("HS006", "kernel/defer-accept.pcap", &[]),
    ("RS001", "kernel/refused.pcap", &[]),
    ("RS002", "kernel/abort-by-client.pcap", &[]),
    ("RS003", "kernel/abort-by-server.pcap", &[]),
    ("RS004", "corpus:zeek/rst-inject-rae.pcap", &[]),
    ("RS005", "corpus:zeek/irc-starttls.pcap", &[]),
    ("RS006", "kernel/reject-icmp-port.pcap", &[]),
    ("RS006", "kernel/reject-icmp-admin.pcap", &[]),
    ("RS007", "kernel/rst-challenged.pcap", &[]),
    ("HO001", "kernel/peer-lost-state.pcap", &[]),
    ("HO002", "kernel/close-wait-keepalive.pcap", &[]),
    ("HO003", "kernel/last-ack.pcap", &[]),
    ("HO003", "kernel/fin-unacked.pcap", &[]),
    (
        "DT001",
        "corpus:chrissanders-packets/tcp_retransmissions.pcapng",
        &[],
    ),
    ("DT002", "kernel/zero-window.pcap", &[]),
    ("TW001", "kernel/time-wait-excess.pcap.gz", &[]),
    ("TW002", "kernel/server-close-first.pcap", &[]),
    ("TW003", "kernel/port-reuse-time-wait.pcap", &[]),
    (
        "CQ001",
        "corpus:chrissanders-packets/tcp_teardown.pcapng",
        &[],
    ),
    ("CQ002", "kernel/snaplen-cut.pcap", &[]),
    ("CQ003", "kernel/snaplen-header-cut.pcap", &[]),
    ("CQ004", "kernel/no-tcp.pcap", &[]),
    (
        "CQ005",
        "corpus:suricata-verify/http-mime-truncated.pcap",
        &[],
    ),
    ("CQ007", "kernel/dup-two-interfaces.pcapng", &[]),
    ("CQ007", "corpus:zeek/vlan-collisions.pcap", &[]),
    ("CQ008", "corpus:tcpdump/timestamp_invalid_micro.pcap", &[]),
    ("CQ008", "corpus:pcapplusplus/pcapng-example.pcapng", &[]),
    // 1001 connections in TIME-WAIT at once: more than 100 live.
    (
        "CQ006",
        "kernel/time-wait-excess.pcap.gz",
        &["--max-connections", "100"],
    ),
];

fn resolve(spec: &str) -> Option<PathBuf> {
    match spec.strip_prefix("corpus:") {
        Some(rel) => corpus_dir().map(|d| d.join(rel)),
        None => Some(testdata(spec)),
    }
}

#[test]
fn every_rule_has_a_real_capture() {
    let out = synack()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in rules.as_array().unwrap() {
        let code = r["code"].as_str().unwrap();
        assert!(
            FIRES_ON.iter().any(|(c, _, _)| *c == code),
            "{code} has no capture in FIRES_ON"
        );
    }
}

#[test]
fn every_rule_fires_on_a_real_capture() {
    for (code, spec, extra) in FIRES_ON {
        let Some(path) = resolve(spec) else { continue };
        let found = codes(&path, extra);
        assert!(
            found.iter().any(|(c, n)| c == code && *n > 0),
            "{code} does not fire on {spec}: {found:?}"
        );
    }
}

#[test]
fn a_clean_capture_has_no_finding_and_passes() {
    assert_eq!(codes(&testdata("kernel/normal-close.pcap"), &[]), vec![]);
    assert_eq!(codes(&testdata("kernel/ipv6-normal.pcap"), &[]), vec![]);
    let (code, out, _) = lint(&[CLEAN]);
    assert_eq!(code, 0);
    assert!(out.contains(": passed"), "{out}");
}

#[test]
fn human_format() {
    let (code, out, err) = lint(&[BLACKHOLE]);
    assert_eq!(code, 1, "{err}");
    assert!(err.is_empty(), "{err}");
    insta::assert_snapshot!(out);
}

#[test]
fn json_format() {
    let (code, out, _) = lint(&["--format", "json", BLACKHOLE]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn github_format() {
    let (code, out, _) = lint(&["--format", "github", BLACKHOLE]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("::warning title=HS001 syn-retransmitted,file="),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn sarif_format() {
    let (code, out, _) = lint(&["--format", "sarif", BLACKHOLE]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn junit_format() {
    let (code, out, _) = lint(&["--format", "junit", BLACKHOLE, CLEAN]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(out);
}

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let validator = common::sarif_validator();
    let mut captures = vec![BLACKHOLE.to_string(), CLEAN.to_string()];
    for f in [
        "refused",
        "abort-by-client",
        "port-reuse-time-wait",
        "final-ack-dropped",
    ] {
        captures.push(format!("testdata/kernel/{f}.pcap"));
    }
    let mut args = vec!["--format", "sarif"];
    args.extend(captures.iter().map(String::as_str));
    let (_, out, _) = lint(&args);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 30);
    assert!(run["results"].as_array().unwrap().len() >= 6);
    // The validator does check: a result with a level SARIF does not know is refused.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
    // And a capture with no finding at all.
    let (_, out, _) = lint(&["--format", "sarif", CLEAN]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert!(validator.is_valid(&doc));
}

#[test]
fn several_captures_are_judged_each_on_their_own() {
    let (code, out, _) = lint(&[CLEAN, BLACKHOLE]);
    assert_eq!(code, 1);
    assert!(out.contains("testdata/kernel/normal-close.pcap: 10 packets, 1 connection; 0 errors, 0 warnings, 0 info: passed"), "{out}");
    assert!(out.contains("testdata/kernel/syn-blackhole.pcap: 3 packets, 1 connection; 0 errors, 2 warnings, 0 info: failed"), "{out}");
    assert!(
        out.ends_with("fail-on warning: 1 of 2 failed: failed\n"),
        "{out}"
    );
    // Allowances count per capture: one HS001 in each of two captures is allowed with HS001=1.
    let (code, _, _) = lint(&[
        "--allow",
        "HS001=1",
        "--allow",
        "HS003=1",
        BLACKHOLE,
        "testdata/kernel/syn-blackhole.pcap",
    ]);
    assert_eq!(code, 0);
}

#[test]
fn fail_on_allow_exit_zero_select_ignore_and_severity() {
    assert_eq!(lint(&["--fail-on", "error", BLACKHOLE]).0, 0);
    assert_eq!(
        lint(&["--allow", "HS001=1", BLACKHOLE]).0,
        1,
        "HS003 still fails"
    );
    assert_eq!(
        lint(&["--allow", "HS001=1", "--allow", "HS003=1", BLACKHOLE]).0,
        0
    );
    assert_eq!(lint(&["--exit-zero", BLACKHOLE]).0, 0);
    assert_eq!(lint(&["--ignore", "HS", BLACKHOLE]).0, 0);
    assert_eq!(lint(&["--select", "RS,HO001", BLACKHOLE]).0, 0);
    assert_eq!(lint(&["--select", "HS003", BLACKHOLE]).0, 1);
    assert_eq!(
        lint(&[
            "--severity",
            "HS001=info",
            "--severity",
            "HS003=info",
            BLACKHOLE
        ])
        .0,
        0
    );
    // TW002 is info: it fails only with --fail-on info.
    let tw = "testdata/kernel/server-close-first.pcap";
    assert_eq!(lint(&[tw]).0, 0);
    assert_eq!(lint(&["--fail-on", "info", tw]).0, 1);
    assert_eq!(lint(&["--severity", "TW002=error", tw]).0, 1);
    // Bad values are usage errors.
    let (code, _, err) = lint(&["--select", "ZZ", BLACKHOLE]);
    assert_eq!(code, 2);
    assert!(err.contains("matches no rule"), "{err}");
    assert_eq!(lint(&["--allow", "HS001", BLACKHOLE]).0, 2);
    assert_eq!(lint(&["--fail-on", "fatal", BLACKHOLE]).0, 2);
}

#[test]
fn thresholds_on_the_command_line() {
    // CLOSE-WAIT for about 8 s: HO002 at the default 5 s, not with 60 s.
    let cw = "testdata/kernel/close-wait-keepalive.pcap";
    assert!(codes(&testdata("kernel/close-wait-keepalive.pcap"), &[])
        .iter()
        .any(|(c, _)| c == "HO002"));
    assert_eq!(lint(&["--close-wait-min", "60s", cw]).0, 0);
    // The SYN into the black hole is unanswered whatever the timeout; the 1 s and 2 s RTOs stay.
    assert_eq!(
        lint(&["--syn-timeout", "10s", "--select", "HS003", BLACKHOLE]).0,
        1
    );
    // TIME-WAIT held: 1001 over a threshold of 1000; not over 2000.
    let tw = "testdata/kernel/time-wait-excess.pcap.gz";
    assert_eq!(lint(&["--select", "TW001", tw]).0, 1);
    assert_eq!(
        lint(&["--select", "TW001", "--time-wait-max", "2000", tw]).0,
        0
    );
}

#[test]
fn synack_toml_in_the_current_directory_and_with_config() {
    let dir = tempfile::tempdir().unwrap();
    let capture = std::fs::canonicalize(BLACKHOLE).unwrap();
    std::fs::write(
        dir.path().join("synack.toml"),
        "[rules.HS001]\nallow = 1\n\n[rules.HS003]\nseverity = \"info\"\n",
    )
    .unwrap();
    synack()
        .current_dir(dir.path())
        .arg("lint")
        .arg(&capture)
        .assert()
        .code(0);
    // The command line wins over the file.
    synack()
        .current_dir(dir.path())
        .args(["lint", "--severity", "HS003=error"])
        .arg(&capture)
        .assert()
        .code(1);
    // --config names another file; a bad one is an error with its line.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "time_wait_max = 5\n[rules.HS001]\nalow = 3\n").unwrap();
    synack()
        .args(["lint", "--config"])
        .arg(&bad)
        .arg(&capture)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 3").and(predicate::str::contains("alow")));
    synack()
        .args(["lint", "--config", "/nonexistent/synack.toml"])
        .arg(&capture)
        .assert()
        .code(2);
}

#[test]
fn unreadable_capture_is_exit_2_even_with_findings() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let (code, out, err) = lint(&[BLACKHOLE, empty.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("empty.pcap: at byte 0: the file is empty"),
        "{err}"
    );
    assert!(
        out.contains("syn-blackhole.pcap"),
        "the readable capture is still judged"
    );
    assert_eq!(lint(&["--exit-zero", empty.to_str().unwrap()]).0, 2);
}

#[test]
fn explain_and_rules() {
    synack()
        .args(["explain", "HS004"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "HS004 handshake-incomplete (warning by default)",
        ))
        .stdout(predicate::str::contains("What it means:"))
        .stdout(predicate::str::contains("RFC reference:"));
    synack()
        .args(["explain", "syn-flood"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("HS005 syn-flood"));
    synack()
        .args(["explain", "HS999"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown rule \"HS999\"; known rules: HS001 HS002",
        ));
    let out = synack()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), 30);
    assert_eq!(rules[0]["code"], "HS001");
    assert_eq!(rules[4]["severity"], "error");
    synack().arg("rules").assert().success().stdout(
        predicate::str::contains("CQ006").and(predicate::str::contains("connection-limit")),
    );
}

#[test]
fn findings_appear_in_the_report() {
    let out = synack()
        .args(["report", "--format", "json", BLACKHOLE])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let conn = &doc["connections"][0];
    let per_conn: Vec<&str> = conn["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(per_conn, ["HS001", "HS003"]);
    let top = doc["findings"].as_array().unwrap();
    assert_eq!(top.len(), 2);
    let f = &top[0];
    assert_eq!(f["code"], "HS001");
    assert_eq!(f["name"], "syn-retransmitted");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["connection"], 1);
    assert_eq!(f["frame"], 1);
    assert!(f["ts"].as_f64().unwrap() > 1.7e9);
    assert_eq!(
        f["message"],
        "SYN from 10.99.0.1:40004 to 10.99.0.2:9004 sent 3 times (RTO 1.0 s, 2.0 s)"
    );
    // The table lists them too.
    synack()
        .args(["report", BLACKHOLE])
        .assert()
        .success()
        .stdout(predicate::str::contains("HS003").and(predicate::str::contains("syn-unanswered")));
}

/// The rules table of ../shared/CONTRACT.md, row by row: code, name, default severity and
/// "fires when" (markup dropped) are what `synack rules` says. Skipped without ../shared.
#[test]
fn rules_say_what_the_contract_says() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/CONTRACT.md");
    let Ok(contract) = std::fs::read_to_string(&path) else {
        common::skipped("../shared/CONTRACT.md not found");
        return;
    };
    let out = Command::cargo_bin("synack")
        .unwrap()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let ours: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut rows = 0;
    for line in contract.lines() {
        let cells: Vec<&str> = line
            .split(" | ")
            .map(|c| c.trim_matches(['|', ' ']))
            .collect();
        let [code, name, severity, fires] = cells[..] else {
            continue;
        };
        if code.len() != 5 || !code.ends_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        rows += 1;
        let rule = ours
            .iter()
            .find(|r| r["code"] == code)
            .unwrap_or_else(|| panic!("{code} is in CONTRACT.md but not in `synack rules`"));
        assert_eq!(rule["name"], name, "{code}");
        assert_eq!(rule["severity"], severity, "{code}");
        assert_eq!(rule["summary"], fires.replace('`', "").as_str(), "{code}");
    }
    assert_eq!(
        rows,
        ours.len(),
        "every rule of `synack rules` is in CONTRACT.md"
    );
}
