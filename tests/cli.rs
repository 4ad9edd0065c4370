//! The command line as users and scripts meet it: exit codes, the one-line errors of CONTRACT.md,
//! the capture report in each format, standard input, gzip, and broken pipes.

mod common;

use assert_cmd::Command;
use common::testdata;
use predicates::prelude::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn synack() -> Command {
    let mut c = Command::cargo_bin("synack").expect("binary");
    c.env_remove("NO_COLOR");
    c
}

fn json_report(args: &[&str]) -> Value {
    let out = synack()
        .args(["report", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

fn write_temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Runs `synack report FILE`, expects exit 2 and exactly one stderr line naming the file, and
/// returns that line.
#[track_caller]
fn fails_with_one_line(path: &Path) -> String {
    let out = synack().arg("report").arg(path).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with(&format!("synack: error: {}: ", path.display())),
        "{err}"
    );
    err
}

#[test]
fn report_table_shows_the_capture() {
    synack()
        .args(["report"])
        .arg(testdata("kernel/normal-close.pcap"))
        .assert()
        .success()
        .stdout(predicate::str::contains("TCP segments"))
        .stdout(predicate::str::contains("ETHERNET"))
        .stdout(predicate::str::contains("Duration"));
}

#[test]
fn report_json_names_the_contract_fields() {
    let doc = json_report(&[testdata("kernel/normal-close.pcap").to_str().unwrap()]);
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["synack_version"], env!("CARGO_PKG_VERSION"));
    let c = &doc["captures"][0];
    for field in [
        "path",
        "format",
        "link_types",
        "packets",
        "tcp_segments",
        "non_tcp",
        "truncated",
        "undecodable",
        "first_ts",
        "last_ts",
        "complete",
    ] {
        assert!(c.get(field).is_some(), "missing {field} in {c}");
    }
    assert_eq!(c["format"], "pcap");
    assert_eq!(c["link_types"], serde_json::json!(["ETHERNET"]));
    assert_eq!(c["complete"], true);
    let packets = c["packets"].as_u64().unwrap();
    assert_eq!(
        packets,
        c["tcp_segments"].as_u64().unwrap()
            + c["non_tcp"].as_u64().unwrap()
            + c["undecodable"].as_u64().unwrap()
    );
    assert!(c["first_ts"].as_f64().unwrap() <= c["last_ts"].as_f64().unwrap());
    assert!(doc["connections"].is_array());
    assert!(doc["summary"].is_object());
    assert!(doc["findings"].is_array());
}

#[test]
fn every_capture_format_reads() {
    let cases = [
        ("kernel/fmt-pcap-usec.pcap", "pcap", "ETHERNET", false),
        ("kernel/fmt-pcap-nsec.pcap", "pcap", "ETHERNET", false),
        ("kernel/fmt-pcap-usec.pcap.gz", "pcap", "ETHERNET", true),
        ("kernel/fmt-pcapng.pcapng", "pcapng", "ETHERNET", false),
        ("kernel/fmt-sll.pcap", "pcap", "LINUX_SLL", false),
        ("kernel/fmt-sll2.pcap", "pcap", "LINUX_SLL2", false),
    ];
    for (name, format, link, gzip) in cases {
        let doc = json_report(&[testdata(name).to_str().unwrap()]);
        let c = &doc["captures"][0];
        assert_eq!(c["format"], format, "{name}");
        assert_eq!(c["link_types"][0], link, "{name}");
        assert_eq!(c["gzip"], gzip, "{name}");
        assert!(c["tcp_segments"].as_u64().unwrap() >= 10, "{name}");
    }
    // µs and ns files of the same kind of exchange: the ns one keeps its nanoseconds.
    let ns = json_report(&[testdata("kernel/fmt-pcap-nsec.pcap").to_str().unwrap()]);
    let t = ns["captures"][0]["first_ts"].as_f64().unwrap();
    assert!(t > 1.7e9, "{t}");
}

#[test]
fn gzip_reads_like_the_plain_file() {
    let plain = json_report(&[testdata("kernel/fmt-pcap-usec.pcap").to_str().unwrap()]);
    let gz = json_report(&[testdata("kernel/fmt-pcap-usec.pcap.gz").to_str().unwrap()]);
    for k in ["packets", "tcp_segments", "first_ts", "last_ts"] {
        assert_eq!(plain["captures"][0][k], gz["captures"][0][k], "{k}");
    }
}

#[test]
fn multi_interface_pcapng_lists_its_link_types() {
    let doc = json_report(&[testdata("kernel/fmt-pcapng-multi.pcapng").to_str().unwrap()]);
    let c = &doc["captures"][0];
    assert_eq!(c["format"], "pcapng");
    assert!(c["tcp_segments"].as_u64().unwrap() > 10);
}

#[test]
fn standard_input_is_a_capture_too() {
    let bytes = std::fs::read(testdata("kernel/fmt-pcapng.pcapng")).unwrap();
    let out = synack()
        .args(["report", "--format", "json", "-"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = json_report(&[testdata("kernel/fmt-pcapng.pcapng").to_str().unwrap()]);
    assert_eq!(doc["captures"][0]["path"], "-");
    assert_eq!(
        doc["captures"][0]["packets"],
        file["captures"][0]["packets"]
    );
    assert_eq!(
        doc["captures"][0]["tcp_segments"],
        file["captures"][0]["tcp_segments"]
    );
}

#[test]
fn gzip_on_standard_input() {
    let bytes = std::fs::read(testdata("kernel/fmt-pcap-usec.pcap.gz")).unwrap();
    let out = synack()
        .args(["report", "--format", "json", "-"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["captures"][0]["gzip"], true);
}

#[test]
fn several_captures_are_reported_each() {
    let a = testdata("kernel/refused.pcap");
    let b = testdata("kernel/fmt-sll2.pcap");
    let doc = json_report(&[a.to_str().unwrap(), b.to_str().unwrap()]);
    let caps = doc["captures"].as_array().unwrap();
    assert_eq!(caps.len(), 2);
    assert_eq!(caps[0]["path"], a.to_str().unwrap());
    assert_eq!(caps[1]["link_types"][0], "LINUX_SLL2");
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_temp(&dir, "empty.pcap", b"");
    let err = fails_with_one_line(&p);
    assert!(err.contains("at byte 0") && err.contains("empty"), "{err}");
}

#[test]
fn random_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let p = write_temp(&dir, "random.bin", &bytes);
    let err = fails_with_one_line(&p);
    assert!(
        err.contains("at byte 0: not a pcap or pcapng capture"),
        "{err}"
    );
    assert!(err.contains("tcpdump -w"), "says what to do: {err}");
}

#[test]
fn text_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_temp(
        &dir,
        "capture.txt",
        b"18:14:03.123 IP 10.99.0.1.40001 > 10.99.0.2.9001: Flags [S], seq 1, win 64240\n",
    );
    let err = fails_with_one_line(&p);
    assert!(err.contains("looks like text"), "{err}");
}

#[test]
fn missing_file() {
    let err = fails_with_one_line(Path::new("/nonexistent/x.pcap"));
    assert!(err.contains("No such file"), "{err}");
}

/// Offsets of the blocks of a little-endian pcapng file: (offset, type, length).
fn pcapng_blocks(b: &[u8]) -> Vec<(usize, u32, usize)> {
    let mut v = Vec::new();
    let mut at = 0;
    while at + 8 <= b.len() {
        let ty = u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap()) as usize;
        v.push((at, ty, len));
        at += len;
    }
    v
}

#[test]
fn pcapng_block_with_a_bad_length() {
    let mut b = std::fs::read(testdata("kernel/fmt-pcapng.pcapng")).unwrap();
    let (at, _, _) = pcapng_blocks(&b)
        .into_iter()
        .filter(|(_, ty, _)| *ty == 6)
        .nth(2)
        .unwrap();
    b[at + 4..at + 8].copy_from_slice(&13u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let p = write_temp(&dir, "badlen.pcapng", &b);
    let out = synack().arg("report").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("at byte {at}: a pcapng block is invalid")),
        "{err}"
    );
    assert!(
        err.contains("analysed the 2 whole records before it"),
        "{err}"
    );
    // What precedes the damage is still reported.
    assert!(String::from_utf8_lossy(&out.stdout).contains("no: damaged"));
}

#[test]
fn pcapng_packet_naming_a_missing_interface() {
    let mut b = std::fs::read(testdata("kernel/fmt-pcapng.pcapng")).unwrap();
    let (at, _, _) = pcapng_blocks(&b)
        .into_iter()
        .find(|(_, ty, _)| *ty == 6)
        .unwrap();
    b[at + 8..at + 12].copy_from_slice(&5u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let p = write_temp(&dir, "badif.pcapng", &b);
    let err = fails_with_one_line(&p);
    assert!(
        err.contains(&format!("at byte {at}: packet 1 names interface 5")),
        "{err}"
    );
}

#[test]
fn link_type_with_nothing_decodable() {
    let mut b = std::fs::read(testdata("kernel/normal-close.pcap")).unwrap();
    b[20..24].copy_from_slice(&147u32.to_le_bytes()); // LINKTYPE_USER0
    let dir = tempfile::tempdir().unwrap();
    let p = write_temp(&dir, "user0.pcap", &b);
    let err = fails_with_one_line(&p);
    assert!(
        err.contains("link type USER (147) is not one synack decodes"),
        "{err}"
    );
}

#[test]
fn capture_cut_mid_record_is_reported_with_a_warning() {
    let b = std::fs::read(testdata("kernel/normal-close.pcap")).unwrap();
    let cut = b.len() - 7;
    let dir = tempfile::tempdir().unwrap();
    let p = write_temp(&dir, "cut.pcap", &b[..cut]);
    let out = synack()
        .args(["report", "--format", "json"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("synack: warning: {}: at byte ", p.display())),
        "{err}"
    );
    assert!(err.contains("ends in the middle of a record"), "{err}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &doc["captures"][0];
    assert_eq!(c["complete"], false);
    assert_eq!(c["damage"]["cut"], true);
    let whole = json_report(&[testdata("kernel/normal-close.pcap").to_str().unwrap()]);
    assert_eq!(
        c["packets"].as_u64().unwrap() + 1,
        whole["captures"][0]["packets"].as_u64().unwrap()
    );
}

#[test]
fn one_bad_capture_does_not_hide_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write_temp(&dir, "empty.pcap", b"");
    let good = testdata("kernel/refused.pcap");
    let out = synack()
        .args(["report", "--format", "json"])
        .arg(&bad)
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["captures"].as_array().unwrap().len(), 1);
}

#[test]
fn usage_errors_exit_2() {
    synack().arg("report").assert().code(2);
    synack()
        .args(["report", "--format", "yaml", "x.pcap"])
        .assert()
        .code(2);
    synack().arg("frobnicate").assert().code(2);
}

#[test]
fn broken_pipe_exits_0_silently() {
    let capture = testdata("kernel/fmt-mixed.pcap");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("synack"));
    cmd.arg("report");
    for _ in 0..3000 {
        cmd.arg(&capture);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout); // like `| head -c 64`
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    assert!(err.is_empty(), "silent: {err}");
    let _ = std::io::stdout().flush();
}

#[test]
fn corpus_damaged_files() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    // Cut in the middle of a packet: a warning, the report, exit 0.
    synack()
        .arg("report")
        .arg(dir.join("suricata-verify/http-mime-truncated.pcap"))
        .assert()
        .code(0)
        .stderr(
            predicate::str::contains("warning").and(predicate::str::contains("at byte 2715459")),
        );
    // A bogus 3.9 GB record length: corrupt, exit 2 after reporting the 18 records before it.
    let out = synack()
        .args(["report", "--format", "json"])
        .arg(dir.join("suricata-verify/smtp-to-comma.pcap"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["captures"][0]["packets"], 18);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("a record claims 3925868813 captured bytes")
    );
}

#[test]
fn fragments_and_icmp_quoting_tcp_are_not_segments() {
    // fmt-mixed.pcap holds a 3000-byte ping over IPv4 and IPv6 (3 fragments per datagram, both
    // ways) and two ICMP admin-prohibited errors quoting a SYN.
    let doc = json_report(&[testdata("kernel/fmt-mixed.pcap").to_str().unwrap()]);
    let c = &doc["captures"][0];
    assert_eq!(c["ip_fragments"], 12);
    assert_eq!(
        c["tcp_segments"], 12,
        "the TCP connection (10) and the refused SYN twice"
    );
    assert_eq!(c["undecodable"], 0);
}
