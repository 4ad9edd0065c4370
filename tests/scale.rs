//! The options for big captures, on real ones: `--jobs N` gives the output of `--jobs 1`,
//! `--merge` reads rotated files as the one capture they were cut from, `--idle-timeout` and
//! `--max-connections` bound the table, and the progress bar stays out of logs.

mod common;

use assert_cmd::Command;
use common::{corpus_dir, expected_captures, testdata};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

fn synack() -> Command {
    let mut c = Command::cargo_bin("synack").expect("binary");
    c.env_remove("NO_COLOR")
        .env_remove("SYNACK_JOBS")
        .env_remove("GITHUB_ACTIONS");
    c
}

/// stdout of a run that must exit 0 or 1 (lint's findings).
fn stdout(args: &[&str]) -> Vec<u8> {
    let out = synack().args(args).output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn json(args: &[&str]) -> Value {
    serde_json::from_slice(&stdout(args)).expect("one JSON document")
}

/// Every capture synack reads cleanly: testdata's, and the corpus's when it is there.
fn all_captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = expected_captures(&testdata(""))
        .into_iter()
        .map(|(name, _)| testdata(&name))
        .collect();
    if let Some(dir) = corpus_dir() {
        v.extend(
            expected_captures(&dir)
                .into_iter()
                .map(|(name, _)| dir.join(name)),
        );
    }
    v.retain(|p| p.is_file());
    v
}

/// stdout of a run, whatever its exit status (a damaged capture is still reported, exit 2).
fn any_stdout(args: &[&str]) -> Vec<u8> {
    synack().args(args).output().unwrap().stdout
}

#[test]
fn jobs_give_the_output_of_one_job_on_every_capture() {
    let captures = all_captures();
    assert!(captures.len() > 20, "{} captures", captures.len());
    let mut differ = Vec::new();
    for cap in &captures {
        let c = cap.to_str().unwrap();
        for (format, jobs) in [("json", "3"), ("jsonl", "2")] {
            let one = any_stdout(&["report", "--format", format, "--jobs", "1", c]);
            let many = any_stdout(&["report", "--format", format, "--jobs", jobs, c]);
            if one != many {
                differ.push(format!("{c}: report --format {format} --jobs {jobs}"));
            }
        }
        let one = any_stdout(&["lint", "--format", "json", "--jobs", "1", c]);
        let many = any_stdout(&["lint", "--format", "json", "--jobs", "2", c]);
        if one != many {
            differ.push(format!("{c}: lint --jobs 2"));
        }
    }
    assert!(
        differ.is_empty(),
        "differs from --jobs 1:\n{}",
        differ.join("\n")
    );
}

/// A generated capture whose end leaves thousands of connections open: the last batch reaches
/// the collector in many chunks from every tracker, and the merge must still give one order.
#[test]
fn jobs_give_the_output_of_one_job_when_whole_tables_end_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("gen.pcap");
    Command::cargo_bin("synack-bench")
        .expect("binary")
        .args([
            "gen", "--size", "3M", "--live", "4000", "--rate", "400", "--out",
        ])
        .arg(&cap)
        .assert()
        .success();
    let c = cap.to_str().unwrap();
    let report = json(&["report", "--format", "json", "--jobs", "1", c]);
    let open_at_end = report["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["orig_state"] != "CLOSED" || c["resp_state"] != "CLOSED")
        .count();
    // More than a chunk (512) for each of three trackers.
    assert!(open_at_end > 3 * 512, "{open_at_end} open at the end");
    for (format, jobs) in [("json", "3"), ("jsonl", "2"), ("csv", "2")] {
        assert_eq!(
            stdout(&["report", "--format", format, "--jobs", "1", c]),
            stdout(&["report", "--format", format, "--jobs", jobs, c]),
            "report --format {format} --jobs {jobs}"
        );
    }
    assert_eq!(
        stdout(&["lint", "--format", "json", "--jobs", "1", c]),
        stdout(&["lint", "--format", "json", "--jobs", "3", c]),
    );
}

#[test]
fn jobs_give_the_same_table_and_csv() {
    let c = testdata("kernel/fmt-mixed.pcap");
    let c = c.to_str().unwrap();
    for format in ["table", "csv", "zeek"] {
        assert_eq!(
            stdout(&["report", "--format", format, c]),
            stdout(&["report", "--format", format, "-j", "4", c]),
            "{format}"
        );
    }
}

/// A pcap's global header and its records.
fn pcap_records(bytes: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let (header, mut rest) = bytes.split_at(24);
    assert_eq!(
        &header[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "a little-endian pcap"
    );
    let mut records = Vec::new();
    while rest.len() >= 16 {
        let caplen = u32::from_le_bytes(rest[8..12].try_into().unwrap()) as usize;
        let (rec, tail) = rest.split_at(16 + caplen);
        records.push(rec.to_vec());
        rest = tail;
    }
    (header.to_vec(), records)
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// What a connection is, without the capture it was read from.
fn without_capture(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("capture");
    }
    for f in v["findings"].as_array_mut().into_iter().flatten() {
        if let Some(o) = f.as_object_mut() {
            o.remove("capture");
        }
    }
    v
}

/// A report's connections, each without the capture it was read from.
fn conns(doc: &Value) -> Vec<Value> {
    doc["connections"]
        .as_array()
        .unwrap()
        .iter()
        .cloned()
        .map(without_capture)
        .collect()
}

#[test]
fn merge_reads_rotated_files_as_the_capture_they_were_cut_from() {
    // 1001 connections opened and closed within 60 ms, cut into three files as `tcpdump -C`
    // would: many connections span two files.
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.pcap");
    let bytes = gunzip(&testdata("kernel/time-wait-excess.pcap.gz"));
    std::fs::write(&whole, &bytes).unwrap();
    let (header, records) = pcap_records(&bytes);
    let third = records.len() / 3 + 1;
    let parts: Vec<PathBuf> = records
        .chunks(third)
        .enumerate()
        .map(|(i, chunk)| {
            let p = dir.path().join(format!("rotated.pcap{i}"));
            let mut b = header.clone();
            chunk.iter().for_each(|r| b.extend_from_slice(r));
            std::fs::write(&p, b).unwrap();
            p
        })
        .collect();
    let part_args: Vec<&str> = parts.iter().map(|p| p.to_str().unwrap()).collect();

    let want = json(&["report", "--format", "json", whole.to_str().unwrap()]);
    let mut args = vec!["report", "--format", "json", "--merge"];
    args.extend(&part_args);
    let merged = json(&args);

    // Every connection, frame numbers and findings included, as in the uncut capture.
    assert_eq!(conns(&merged).len(), 1001);
    assert_eq!(conns(&merged), conns(&want));
    assert_eq!(
        merged["summary"]["conn_state"],
        want["summary"]["conn_state"]
    );
    assert_eq!(
        merged["summary"]["time_wait"][0]["peak"],
        want["summary"]["time_wait"][0]["peak"]
    );
    // One capture object for the timeline, listing its files.
    let cap = &merged["captures"][0];
    assert_eq!(merged["captures"].as_array().unwrap().len(), 1);
    assert_eq!(cap["packets"], want["captures"][0]["packets"]);
    assert_eq!(cap["files"].as_array().unwrap().len(), 3);
    assert_eq!(cap["path"], part_args.join("+"));
    assert_eq!(cap["complete"], true);

    // Read one after another instead, the cut connections come apart.
    let mut args = vec!["report", "--format", "json"];
    args.extend(&part_args);
    let apart = json(&args);
    assert_eq!(apart["captures"].as_array().unwrap().len(), 3);
    let n = apart["summary"]["connections"].as_u64().unwrap();
    assert!(n > 1001, "{n} connections");

    // --jobs changes nothing in a merged timeline either.
    let mut args = vec!["report", "--format", "json", "--merge", "--jobs", "2"];
    args.extend(&part_args);
    assert_eq!(json(&args), merged);
}

#[test]
fn merge_orders_files_by_time_not_by_argument() {
    // Two files given newest first: merged by timestamp, the handshakes come first again.
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(testdata("kernel/fmt-mixed.pcap")).unwrap();
    let (header, records) = pcap_records(&bytes);
    let half = records.len() / 2;
    let write = |name: &str, recs: &[Vec<u8>]| {
        let p = dir.path().join(name);
        let mut b = header.clone();
        recs.iter().for_each(|r| b.extend_from_slice(r));
        std::fs::write(&p, b).unwrap();
        p
    };
    let early = write("early.pcap", &records[..half]);
    let late = write("late.pcap", &records[half..]);
    let whole = testdata("kernel/fmt-mixed.pcap");
    let want = json(&["report", "--format", "json", whole.to_str().unwrap()]);
    let got = json(&[
        "report",
        "--format",
        "json",
        "--merge",
        late.to_str().unwrap(),
        early.to_str().unwrap(),
    ]);
    assert_eq!(conns(&got), conns(&want));
}

#[test]
fn merge_reports_a_damaged_file_by_name_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(testdata("kernel/fmt-mixed.pcap")).unwrap();
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let good = testdata("kernel/normal-close.pcap");
    let out = synack()
        .args(["report", "--format", "json", "--merge"])
        .arg(&good)
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "a cut tail is a warning");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(&format!("synack: warning: {}: ", cut.display())),
        "{err}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cap = &doc["captures"][0];
    assert_eq!(cap["complete"], false);
    assert_eq!(cap["files"][1]["complete"], false);
    assert_eq!(cap["files"][0]["complete"], true);
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "CQ005"
            && f["message"]
                .as_str()
                .unwrap()
                .starts_with(cut.to_str().unwrap())));
}

#[test]
fn idle_connections_leave_the_table_after_the_idle_timeout() {
    // Zeek's own test capture: the same 4-tuple silent for exactly 5 minutes. Zeek logs two
    // connections (its inactivity timeout); so does synack by default.
    let Some(dir) = corpus_dir() else { return };
    let cap = dir.join("zeek/retransmit-timeout.pcapng");
    let c = cap.to_str().unwrap();
    let n = |extra: &[&str]| {
        let mut args = vec!["report", "--format", "json"];
        args.extend_from_slice(extra);
        args.push(c);
        json(&args)["summary"]["connections"].as_u64().unwrap()
    };
    assert_eq!(n(&[]), 2);
    assert_eq!(n(&["--idle-timeout", "10m"]), 1);
    assert_eq!(n(&["--idle-timeout", "1m", "--jobs", "2"]), 2);
}

#[test]
fn max_connections_retires_the_longest_idle_and_says_so() {
    let cap = testdata("kernel/time-wait-excess.pcap.gz");
    let c = cap.to_str().unwrap();
    let doc = json(&["report", "--format", "json", "--max-connections", "100", c]);
    let retired = doc["captures"][0]["retired"].as_u64().unwrap();
    assert!(retired > 800, "{retired}");
    // Every connection is still reported, once.
    assert_eq!(doc["connections"].as_array().unwrap().len(), 1001);
    let cq006: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "CQ006")
        .collect();
    assert_eq!(cq006.len(), 1);
    assert!(cq006[0]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("{retired} connections retired")));
    // The default holds them all.
    let doc = json(&["report", "--format", "json", c]);
    assert_eq!(doc["captures"][0]["retired"], 0);
    synack()
        .args(["report", "--max-connections", "0", c])
        .assert()
        .code(2);
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    // The test harness pipes stderr: nothing but the report may be written, with or without
    // --quiet, in CI or not.
    let c = testdata("kernel/time-wait-excess.pcap.gz");
    for (quiet, ci) in [(false, false), (true, false), (false, true)] {
        let mut cmd = synack();
        cmd.args(["report", "--format", "jsonl"]).arg(&c);
        if quiet {
            cmd.arg("--quiet");
        }
        if ci {
            cmd.env("CI", "true");
        } else {
            cmd.env_remove("CI");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn jobs_from_the_environment_and_zero_for_every_core() {
    let c = testdata("kernel/fmt-mixed.pcap");
    let one = stdout(&["report", "--format", "json", c.to_str().unwrap()]);
    let out = synack()
        .env("SYNACK_JOBS", "0")
        .args(["report", "--format", "json"])
        .arg(&c)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, one);
}

/// `--max-connections` is one limit over every tracker: rounds of retirement in the middle of
/// a capture (not only at its end) retire the same connections, at the same moment, with one
/// tracker or two, and CQ006 counts them. The kernel's SYN flood (200 spoofed attempts left
/// half-open) repeated 150 times 10 s apart, each copy on new source ports: the attempts stay
/// for the 5-minute idle timeout, 6000 at once, against a limit of 1000.
#[test]
fn one_connection_limit_over_all_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("repeated.pcap");
    std::fs::write(
        &cap,
        common::repeated_with_new_ports(&testdata("kernel/syn-flood.pcap"), 150, 10),
    )
    .unwrap();
    let c = cap.to_str().unwrap();
    let run = |jobs: &str| {
        stdout(&[
            "report",
            "--format",
            "json",
            "--max-connections",
            "1000",
            "--jobs",
            jobs,
            c,
        ])
    };
    let one = run("1");
    assert!(one == run("2"), "-j1 and -j2 differ under the limit");
    let doc: Value = serde_json::from_slice(&one).unwrap();
    let retired = doc["captures"][0]["retired"].as_u64().unwrap();
    assert_eq!(doc["connections"].as_array().unwrap().len(), 30_000);
    // Rounds in the middle of the capture retired connections, not only the last one: at the
    // end the table holds the last 30 copies' attempts (6000), and a final round alone retires
    // 6000 - 900.
    assert!(retired > 5100, "only {retired} retired");
    let cq006 = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "CQ006")
        .expect("CQ006");
    assert!(cq006["message"]
        .as_str()
        .unwrap()
        .contains(&format!("{retired} connections retired")));
}
