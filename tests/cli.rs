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

/// `synack report --format json -` with the testdata capture `name` on standard input.
fn json_report_of_stdin(name: &str) -> Value {
    let bytes = std::fs::read(testdata(name)).unwrap();
    let out = synack()
        .args(["report", "--format", "json", "-"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn standard_input_is_a_capture_too() {
    let doc = json_report_of_stdin("kernel/fmt-pcapng.pcapng");
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
    let doc = json_report_of_stdin("kernel/fmt-pcap-usec.pcap.gz");
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
    for format in ["table", "json", "jsonl", "csv", "zeek"] {
        broken_pipe(&["report", "--format", format]);
    }
    for format in ["human", "json", "github", "sarif", "junit"] {
        broken_pipe(&["lint", "--exit-zero", "--format", format]);
    }
}

/// `synack ARGS capture… | head -c 64` exits 0 without a word.
fn broken_pipe(args: &[&str]) {
    let capture = testdata("kernel/fmt-mixed.pcap");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("synack"));
    cmd.args(args);
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
    assert_eq!(status.code(), Some(0), "{args:?}: stderr: {err}");
    assert!(err.is_empty(), "{args:?}: silent: {err}");
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

fn stdout_of(args: &[&str]) -> String {
    let out = synack().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn kernel(name: &str) -> String {
    testdata(&format!("kernel/{name}"))
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn report_json_connection_object_has_every_contract_field() {
    let doc = json_report(&[&kernel("refused.pcap")]);
    let c = &doc["connections"][0];
    for field in [
        "id",
        "orig",
        "resp",
        "first_ts",
        "last_ts",
        "first_frame",
        "last_frame",
        "orig_state",
        "resp_state",
        "orig_state_inferred",
        "resp_state_inferred",
        "orig_time_wait_until",
        "resp_time_wait_until",
        "conn_state",
        "history",
        "orig_packets",
        "resp_packets",
        "orig_bytes",
        "resp_bytes",
        "syn_retransmits",
        "syn_retransmit_intervals",
        "synack_retransmits",
        "synack_isns",
        "rst",
        "handshake",
        "midstream",
        "findings",
    ] {
        assert!(c.get(field).is_some(), "missing {field} in {c}");
    }
    assert_eq!(c["orig"]["addr"], "10.99.0.1");
    assert_eq!(c["orig_state"], "CLOSED");
    assert_eq!(c["conn_state"], "REJ");
    assert_eq!(c["history"], "Sr");
    assert_eq!(c["rst"]["by"], "resp");
    assert_eq!(c["rst"]["kind"], "refused");
    assert_eq!(c["rst"]["state"], "CLOSED");
    assert_eq!(c["handshake"]["mss"][0], 1460);
    assert!(
        c["handshake"]["mss"][1].is_null(),
        "the server never sent a SYN-ACK"
    );
    let s = &doc["summary"];
    assert_eq!(s["connections"], 1);
    assert_eq!(s["conn_state"]["REJ"], 1);
    assert_eq!(s["final_state"]["orig"]["CLOSED"], 1);
    assert_eq!(s["rst_segments"], 1);
    assert_eq!(s["half_open"], 0);
}

#[test]
fn report_json_summary_counts_time_wait_and_half_open() {
    let doc = json_report(&[
        &kernel("server-close-first.pcap"),
        &kernel("syn-blackhole.pcap"),
    ]);
    let s = &doc["summary"];
    assert_eq!(s["connections"], 2);
    assert_eq!(s["syn_retransmissions"], 2);
    // The black hole's SYN got no answer at all: unanswered, not half-open (no SYN-RECEIVED).
    assert_eq!(s["half_open"], 0);
    assert_eq!(s["syn_unanswered"], 1);
    assert_eq!(s["rejected_icmp"], 0);
    let tw = &s["time_wait"][0];
    assert_eq!(tw["host"], "10.99.0.2");
    assert_eq!(
        (tw["peak"].as_u64(), tw["at_end"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(tw["peak_ts"].as_f64().unwrap() > 1.7e9);
    let black = doc["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["conn_state"] == "S0")
        .expect("the black-holed SYN");
    let iv = black["syn_retransmit_intervals"].as_array().unwrap();
    assert_eq!(iv.len(), 2);
    assert!((iv[0].as_f64().unwrap() - 1.0).abs() < 0.3);
}

#[test]
fn transitions_list_every_change() {
    let doc = json_report(&["--transitions", &kernel("simultaneous-close.pcap")]);
    let t = doc["connections"][0]["transitions"].as_array().unwrap();
    let resp: Vec<&str> = t
        .iter()
        .filter(|x| x["side"] == "resp")
        .map(|x| x["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        resp,
        [
            "SYN-RECEIVED",
            "ESTABLISHED",
            "FIN-WAIT-1",
            "CLOSING",
            "TIME-WAIT"
        ]
    );
    assert!(t.iter().all(|x| x["frame"].is_u64() && x["ts"].is_f64()));
    let without = json_report(&[&kernel("simultaneous-close.pcap")]);
    assert!(without["connections"][0].get("transitions").is_none());
}

#[test]
fn time_wait_ends_after_the_given_two_msl() {
    // The capture goes on 0.5 s after the first connection's TIME-WAIT began.
    let doc = json_report(&[
        "--time-wait",
        "100ms",
        "--transitions",
        &kernel("port-reuse-time-wait.pcap"),
    ]);
    let conns = doc["connections"].as_array().unwrap();
    let first = &conns[0];
    let last = first["transitions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["from"].as_str(), last["to"].as_str()),
        (Some("TIME-WAIT"), Some("CLOSED"))
    );
    assert!(last["frame"].is_null(), "a timeout has no frame");
    // With 2×MSL this short, the reused port found no TIME-WAIT left.
    assert_eq!(conns[1]["reused_time_wait"], false);
    synack()
        .args(["report", "--time-wait", "soon"])
        .arg(kernel("refused.pcap"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a duration"));
}

#[test]
fn filters_by_host_port_and_state() {
    let both = [kernel("refused.pcap"), kernel("ipv6-normal.pcap")];
    let ids = |extra: &[&str]| -> usize {
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(both.iter().map(String::as_str));
        json_report(&args)["connections"].as_array().unwrap().len()
    };
    assert_eq!(ids(&[]), 2);
    assert_eq!(ids(&["--host", "fd00:99::2"]), 1);
    assert_eq!(ids(&["--host", "[fd00:99::2]"]), 1);
    assert_eq!(ids(&["--port", "9003"]), 1);
    assert_eq!(ids(&["--state", "REJ"]), 1);
    assert_eq!(ids(&["--state", "time-wait"]), 1);
    assert_eq!(ids(&["--state", "REJ", "--state", "SF"]), 2);
    assert_eq!(ids(&["--state", "REJ", "--port", "9010"]), 0);
    synack()
        .args(["report", "--state", "ESTAB"])
        .arg(&both[0])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("neither an RFC 9293 state"));
}

#[test]
fn a_connection_is_written_when_it_finishes_with_its_time_wait_end() {
    // normal-close: the client's TIME-WAIT begins with the server's FIN (frame 8) and its ACK
    // (frame 9) closes the server; the record is written then, the client in TIME-WAIT until
    // 2×MSL after it entered.
    let doc = json_report(&[&kernel("normal-close.pcap")]);
    let c = &doc["connections"][0];
    assert_eq!(c["orig_state"], "TIME-WAIT");
    assert_eq!(c["resp_state"], "CLOSED");
    let until = c["orig_time_wait_until"].as_f64().unwrap();
    let last = c["last_ts"].as_f64().unwrap();
    assert!((until - last - 60.0).abs() < 0.001, "{until} vs {last}");
    assert!(c["resp_time_wait_until"].is_null());
    // port-reuse-time-wait: the first connection is written at its close, the server in
    // TIME-WAIT; the new SYN 0.5 s later reuses the 4-tuple (TW003) and the server's TIME-WAIT
    // leaves the per-host figures then. The later segments are the new connection's.
    let doc = json_report(&[&kernel("port-reuse-time-wait.pcap")]);
    let conns = doc["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 2);
    assert_eq!(conns[0]["resp_state"], "TIME-WAIT");
    assert!(
        conns[0]["resp_time_wait_until"].as_f64().unwrap() > conns[1]["first_ts"].as_f64().unwrap()
    );
    assert_eq!(conns[1]["reused_time_wait"], true);
    let tw = &doc["summary"]["time_wait"];
    let server = tw
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["host"] == "10.99.0.2")
        .unwrap();
    assert_eq!(
        (server["peak"].as_u64(), server["at_end"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(doc["captures"][0]["late_segments"], 0);
}

#[test]
fn time_wait_figures_follow_the_filter() {
    // normal-close: 10.99.0.1:40001 -> 10.99.0.2:9001, the client ends in TIME-WAIT and the
    // server in CLOSED (it was in LAST-ACK when the client entered TIME-WAIT).
    let nc = kernel("normal-close.pcap");
    let holders = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<&str> = extra.to_vec();
        args.push(&nc);
        json_report(&args)["summary"]["time_wait"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["host"].as_str().unwrap().to_string())
            .collect()
    };
    let client = vec!["10.99.0.1".to_string()];
    assert_eq!(holders(&[]), client);
    assert_eq!(holders(&["--port", "9001"]), client);
    assert!(holders(&["--port", "9011"]).is_empty());
    assert_eq!(
        holders(&["--host", "10.99.0.2"]),
        client,
        "the server's connections"
    );
    assert!(holders(&["--host", "10.98.0.0/16"]).is_empty());
    assert_eq!(holders(&["--state", "TIME-WAIT"]), client);
    assert_eq!(
        holders(&["--state", "CLOSED"]),
        client,
        "the server's final state"
    );
    assert_eq!(holders(&["--state", "SF"]), client);
    assert!(holders(&["--state", "REJ"]).is_empty());
    assert!(holders(&["--state", "SYN-SENT"]).is_empty());
    // The table's TIME-WAIT section follows it too.
    let table = |extra: &[&str]| {
        let out = synack()
            .arg("report")
            .args(extra)
            .arg(&nc)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(table(&[]).contains("TIME-WAIT"));
    assert!(!table(&["--port", "9011"]).contains("10.99.0.1"));
    // lint's TW001 counts only the TIME-WAIT of connections in scope.
    let tw001 = |extra: &[&str]| {
        synack()
            .args(["lint", "--select", "TW001", "--time-wait-max", "0"])
            .args(extra)
            .arg(&nc)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(tw001(&[]), Some(1));
    assert_eq!(tw001(&["--port", "9001"]), Some(1));
    assert_eq!(tw001(&["--port", "9999"]), Some(0));
    assert_eq!(tw001(&["--host", "10.98.0.0/16"]), Some(0));
}

#[test]
fn jsonl_lines_are_typed() {
    let out = stdout_of(&[
        "report",
        "--format",
        "jsonl",
        &kernel("refused.pcap"),
        &kernel("normal-close.pcap"),
    ]);
    let types: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        types,
        [
            "finding",
            "connection",
            "capture",
            "connection",
            "capture",
            "summary"
        ]
    );
}

#[test]
fn csv_has_a_header_and_a_row_per_connection() {
    let out = stdout_of(&[
        "report",
        "--format",
        "csv",
        &kernel("port-reuse-time-wait.pcap"),
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("capture,id,orig_addr,orig_port,resp_addr,resp_port,"));
    assert_eq!(lines.len(), 3);
    assert!(
        lines[2].contains(",TIME-WAIT,CLOSED,SF,ShADadFf,"),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].ends_with(",false,true"),
        "reused TIME-WAIT: {}",
        lines[2]
    );
}

#[test]
fn zeek_conn_log_reads_like_zeeks() {
    let out = stdout_of(&["report", "--format", "zeek", &kernel("normal-close.pcap")]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "#separator \\x09");
    assert_eq!(lines[4], "#path\tconn");
    assert!(lines[5].starts_with("#open\t2026-"));
    let fields: Vec<&str> = lines[6].split('\t').skip(1).collect();
    assert_eq!(
        fields,
        [
            "ts",
            "uid",
            "id.orig_h",
            "id.orig_p",
            "id.resp_h",
            "id.resp_p",
            "proto",
            "service",
            "duration",
            "orig_bytes",
            "resp_bytes",
            "conn_state",
            "local_orig",
            "local_resp",
            "missed_bytes",
            "history",
            "orig_pkts",
            "orig_ip_bytes",
            "resp_pkts",
            "resp_ip_bytes",
            "tunnel_parents"
        ]
    );
    let types = lines[7].split('\t').count();
    assert_eq!(types, fields.len() + 1);
    let row: Vec<&str> = lines[8].split('\t').collect();
    assert_eq!(row.len(), fields.len());
    assert_eq!(
        &row[2..8],
        ["10.99.0.1", "40001", "10.99.0.2", "9001", "tcp", "-"]
    );
    // IP bytes as tshark sums ip.len: 325 from the client, 221 from the server.
    assert_eq!(
        &row[9..],
        ["5", "5", "SF", "-", "-", "0", "ShADadFf", "6", "325", "4", "221", "-"]
    );
    assert!(lines.last().unwrap().starts_with("#close\t2026-"));
}

#[test]
fn table_report_has_summary_matrix_time_wait_and_connections() {
    let out = stdout_of(&[
        "report",
        &kernel("simultaneous-close.pcap"),
        &kernel("refused.pcap"),
    ]);
    for want in [
        "Summary",
        "conn_state",
        "SF 1 · REJ 1",
        "Final states",
        "orig ↓ / resp →",
        "TIME-WAIT held by",
        "Connections, troubled first",
        "10.99.0.1:40003 → 10.99.0.2:9003",
        "resp refused",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    // Troubled first: the refused connection comes before the clean one.
    let refused = out.find("9003 ").unwrap();
    let clean = out.find("10.99.0.2:9008").unwrap();
    assert!(refused < clean);
    // No colour when stdout is not a terminal.
    assert!(!out.contains('\u{1b}'));
}

#[test]
fn table_limit_and_all() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let echo = dir.join("zeek/echo-connections.pcap");
    let out = stdout_of(&["report", "--limit", "3", echo.to_str().unwrap()]);
    assert!(out.contains("3 of 500 connections shown"), "{out}");
    let all = stdout_of(&["report", "--all", echo.to_str().unwrap()]);
    assert!(!all.contains("connections shown"));
    assert!(all.matches("127.0.0.1:7000").count() >= 500);
}

#[test]
fn host_takes_a_cidr_prefix_and_scopes_lint_too() {
    let nc = kernel("normal-close.pcap");
    let n = |args: &[&str]| json_report(args)["connections"].as_array().unwrap().len();
    assert_eq!(n(&["--host", "10.99.0.0/24", &nc]), 1);
    assert_eq!(n(&["--host", "10.99.0.2", &nc]), 1);
    assert_eq!(n(&["--host", "10.98.0.0/16", &nc]), 0);
    assert_eq!(
        n(&["--host", "::/0", &nc]),
        0,
        "an IPv6 prefix holds no IPv4 address"
    );
    let bad = synack()
        .args(["report", "--host", "10.0.0.0/33", &nc])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("prefix length"));
    // lint judges only the connections in scope: the black hole's findings go away when the
    // scope is another network or port.
    let bh = kernel("syn-blackhole.pcap");
    let lint = |args: &[&str]| {
        synack()
            .arg("lint")
            .args(args)
            .arg(&bh)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(lint(&[]), Some(1));
    assert_eq!(lint(&["--host", "10.99.0.0/24"]), Some(1));
    assert_eq!(lint(&["--host", "192.168.0.0/16"]), Some(0));
    assert_eq!(lint(&["--port", "9004"]), Some(1));
    assert_eq!(lint(&["--port", "443"]), Some(0));
}

#[test]
fn github_format_caps_annotations_and_writes_the_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = synack()
        .args(["lint", "--format", "github", "--max-annotations", "3"])
        .arg(kernel("syn-flood.pcap"))
        .arg(kernel("normal-close.pcap"))
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let count = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).count();
    // 200 HS002 and 200 HS004: 3 of each, then a notice each; HS005 once.
    assert_eq!(count("::warning title=HS002"), 3, "{text}");
    assert_eq!(count("::warning title=HS004"), 3, "{text}");
    assert_eq!(count("::error title=HS005"), 1, "{text}");
    assert!(text.contains("::notice title=HS002 not all shown::197 more HS002 findings left out"));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("earlier step\n### synack lint"),
        "appended: {md}"
    );
    assert!(
        md.contains("| `") && md.contains("syn-flood.pcap` | failed | 1 | 400 | 0 |"),
        "{md}"
    );
    assert!(
        md.contains("normal-close.pcap` | passed | 0 | 0 | 0 |"),
        "{md}"
    );
}

#[test]
fn human_lint_lists_errors_first_then_warnings_then_info() {
    let out = synack()
        .args(["lint"])
        .arg(kernel("syn-flood.pcap"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let at = |code: &str| text.find(&format!("{code} ")).unwrap_or(usize::MAX);
    assert!(
        at("HS005") < at("HS002") && at("HS002") < at("HS004"),
        "{text}"
    );
}

#[test]
fn report_table_ranks_troubled_connections_by_severity_and_limits_time_wait_hosts() {
    // syn-flood: 200 half-open connections with warnings; normal-close: one clean connection.
    // In the table the flood's warnings come before the clean one whatever their ids.
    let out = synack()
        .args(["report", "--limit", "2"])
        .arg(kernel("normal-close.pcap"))
        .arg(kernel("syn-flood.pcap"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let table = text
        .split("Connections, troubled first")
        .nth(1)
        .expect("the table");
    assert!(
        table.contains("10.98.1.1:20000") && !table.contains("40001"),
        "{table}"
    );
    // time-wait-excess holds one TIME-WAIT host: no "more hosts" line; with --limit 0 it says 1.
    let out = synack()
        .args(["report", "--limit", "0"])
        .arg(kernel("time-wait-excess.pcap.gz"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 more host (--all shows every one)"),
        "{text}"
    );
}

/// A pcap file holding the header and the records `from..to` of a (µs, little-endian) pcap.
fn pcap_slice(src: &str, from: usize, to: usize, out: &std::path::Path) {
    let bytes = std::fs::read(src).unwrap();
    let mut w = bytes[..24].to_vec();
    let (mut at, mut i) = (24, 0);
    while at + 16 <= bytes.len() {
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        if (from..to).contains(&i) {
            w.extend_from_slice(&bytes[at..at + 16 + caplen]);
        }
        at += 16 + caplen;
        i += 1;
    }
    std::fs::write(out, w).unwrap();
}

#[test]
fn a_rotated_series_read_without_merge_gets_a_hint() {
    // close-wait-keepalive (27 frames over 10 s) cut in two as tcpdump -C would: the second
    // file starts mid-stream where the first ended.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("cap0"), dir.path().join("cap1"));
    let src = kernel("close-wait-keepalive.pcap");
    pcap_slice(&src, 0, 14, &a);
    pcap_slice(&src, 14, usize::MAX, &b);
    let stderr = |args: &[&str]| {
        let out = synack()
            .args(["report", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    assert!(
        stderr(&[a, b]).contains("look like one rotated series"),
        "hint"
    );
    assert!(
        !stderr(&["--merge", a, b]).contains("rotated"),
        "merged: no hint"
    );
    // Two unrelated captures: no hint.
    let (nc, rf) = (kernel("normal-close.pcap"), kernel("refused.pcap"));
    assert!(!stderr(&[&nc, &rf]).contains("rotated"));
}

#[test]
fn pcapng_packet_claiming_more_than_its_block_is_corrupt_and_buffers_nothing() {
    use std::io::Write as _;
    // fmt-pcapng.pcapng with its third packet block's captured length set to 2 GB, the block
    // still 100 bytes long, then 300 MB of good packet blocks after it, gzip-compressed (about
    // 1 MB). tshark: "total block length 100 of an EPB is too small for 2147418112 bytes".
    let mut b = std::fs::read(testdata("kernel/fmt-pcapng.pcapng")).unwrap();
    let blocks = pcapng_blocks(&b);
    let (at, _, len) = blocks
        .iter()
        .copied()
        .filter(|(_, ty, _)| *ty == 6)
        .nth(2)
        .unwrap();
    let good = b[at..at + len].to_vec();
    b[at + 20..at + 24].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&b).unwrap();
    for _ in 0..(300 << 20) / good.len() {
        gz.write_all(&good).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let p = write_temp(&dir, "overrun.pcapng.gz", &gz.finish().unwrap());
    let out = synack()
        .args(["report", "--format", "json"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "at byte {at}: a packet block of 100 bytes claims 2147418112 captured bytes"
        )),
        "{err}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["failed"], true);
    assert_eq!(
        doc["captures"][0]["packets"], 2,
        "analysed up to the damage"
    );
    // The reader stopped at the block: it did not buffer the 300 MB behind it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert!(
        usage.ru_maxrss < 200 * 1024,
        "a child of this test reached {} KB",
        usage.ru_maxrss
    );
}
