//! CONTRACT.md, "A failed run never looks clean": a capture that cannot be read (missing, a
//! directory, empty, random bytes, no read permission) or is read only up to a corrupt block
//! makes every report and lint format say so, alone or next to a good capture, with and without
//! `--merge`; the captures that could be read are still reported, and the exit status is 2.
//!
//! The unreadable file needs a process that permissions stop: as root the test runs synack as
//! `nobody` through `setpriv` (util-linux), and says "skipped" on stderr when it cannot.

mod common;

use common::testdata;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const REPORT: [&str; 7] = ["table", "json", "jsonl", "csv", "zeek", "html", "parquet"];
const LINT: [&str; 5] = ["human", "json", "github", "sarif", "junit"];

/// One kind of bad input, made in `dir`.
struct Bad {
    kind: &'static str,
    path: PathBuf,
    /// Where the error is, when the message names a byte.
    offset: Option<u64>,
    /// Read up to a corrupt block: its frames before it are still reported.
    partial: bool,
    /// Needs a process that file permissions stop.
    unprivileged: bool,
}

fn bad_inputs(dir: &Path) -> Vec<Bad> {
    let file = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let mut random = Vec::with_capacity(4096);
    let mut x: u32 = 0x9e37_79b9;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        random.push((x >> 24) as u8);
    }
    let sub = dir.join("a-directory.pcap");
    std::fs::create_dir(&sub).unwrap();
    let unreadable = file(
        "no-permission.pcap",
        &std::fs::read(testdata("kernel/normal-close.pcap")).unwrap(),
    );
    std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
    // A pcapng whose third packet block claims 13 bytes: corrupt there, read up to it.
    let mut ng = std::fs::read(testdata("kernel/fmt-pcapng.pcapng")).unwrap();
    let at = packet_block(&ng, 2);
    ng[at + 4..at + 8].copy_from_slice(&13u32.to_le_bytes());
    let bad = |kind, path, offset, partial, unprivileged| Bad {
        kind,
        path,
        offset,
        partial,
        unprivileged,
    };
    vec![
        bad("missing", dir.join("missing.pcap"), None, false, false),
        bad("directory", sub, None, false, false),
        bad("empty", file("empty.pcap", b""), Some(0), false, false),
        bad(
            "random",
            file("random.pcap", &random),
            Some(0),
            false,
            false,
        ),
        bad("unreadable", unreadable, None, false, true),
        bad(
            "corrupt block",
            file("corrupt.pcapng", &ng),
            Some(at as u64),
            true,
            false,
        ),
    ]
}

/// The byte offset of the `n`th Enhanced Packet Block (0-based) of a little-endian pcapng.
fn packet_block(b: &[u8], n: usize) -> usize {
    let mut at = 0;
    let mut seen = 0;
    while at + 8 <= b.len() {
        let ty = u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap()) as usize;
        if ty == 6 {
            if seen == n {
                return at;
            }
            seen += 1;
        }
        at += len;
    }
    panic!("no packet block {n}");
}

/// How synack must be started for a file's permissions to stop it: `None` when this process
/// cannot make that happen (then the unreadable case is skipped).
fn unprivileged_prefix(probe: &Path) -> Option<Vec<String>> {
    if std::fs::read(probe).is_err() {
        return Some(Vec::new());
    }
    let ok = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| {
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]
        .map(String::from)
        .to_vec()
    })
}

struct Run<'a> {
    bad: &'a Bad,
    good: Option<&'a Path>,
    merge: bool,
    command: &'static str,
    format: &'static str,
}

impl Run<'_> {
    fn what(&self) -> String {
        format!(
            "{} --format {} with {}{}{}",
            self.command,
            self.format,
            self.bad.kind,
            if self.good.is_some() {
                " next to a good capture"
            } else {
                " alone"
            },
            if self.merge { " --merge" } else { "" }
        )
    }

    /// Whether any capture is reported: a good one, or the part before a corrupt block.
    fn something_read(&self) -> bool {
        self.good.is_some() || self.bad.partial
    }
}

/// Where `--format parquet` writes, beside the step summary.
fn parquet_dir(summary_file: &Path) -> std::path::PathBuf {
    summary_file.with_file_name("parquet")
}

fn run(r: &Run, prefix: &[String], summary_file: &Path) -> Output {
    let bin = assert_cmd::cargo::cargo_bin("synack");
    let mut cmd = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    cmd.env_remove("NO_COLOR")
        .env("GITHUB_STEP_SUMMARY", summary_file)
        .args([r.command, "--format", r.format]);
    if r.merge {
        cmd.arg("--merge");
    }
    if r.format == "parquet" {
        let dir = parquet_dir(summary_file);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        // Open to `nobody`, who runs synack for the unreadable case.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        cmd.arg("--output").arg(dir);
    }
    cmd.arg(&r.bad.path);
    if let Some(g) = r.good {
        cmd.arg(g);
    }
    cmd.output().unwrap()
}

/// Every check of one run; returns what is wrong, if anything.
fn check(r: &Run, out: &Output, summary: &str, parquet: &Path) -> Result<(), String> {
    let bad = r.bad.path.display().to_string();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ensure = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{}: {what}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
                r.what()
            ))
        }
    };
    ensure(out.status.code() == Some(2), "exit status 2")?;
    ensure(
        stderr.contains(&format!("synack: error: {bad}: ")),
        "one stderr line names the file",
    )?;
    if let Some(o) = r.bad.offset {
        ensure(
            stderr.contains(&format!("at byte {o}: ")),
            "stderr names the offset",
        )?;
    }
    // The errors array of the JSON formats: this file, its offset, a message.
    let names_the_error = |errors: &Value| {
        errors.as_array().is_some_and(|a| {
            a.iter().any(|e| {
                e["path"] == bad.as_str()
                    && e["offset"].as_u64() == r.bad.offset
                    && e["message"].as_str().is_some_and(|m| m.len() > 10)
            })
        })
    };
    match (r.command, r.format) {
        ("report", "table") => {
            ensure(
                stdout.contains("Not read") && stdout.contains(&bad),
                "a Not read table naming the file",
            )?;
            if r.something_read() {
                ensure(
                    stdout.contains("Incomplete: "),
                    "an Incomplete line at the end",
                )?;
                ensure(stdout.contains("Summary"), "the summary of what was read")?;
            } else {
                ensure(!stdout.contains("Summary"), "no summary of nothing")?;
                ensure(
                    stdout.contains("No capture could be read"),
                    "says nothing was read",
                )?;
            }
        }
        // report's document and lint's: the same promise.
        (_, "json") => {
            let doc: Value = serde_json::from_str(&stdout).map_err(|e| e.to_string())?;
            ensure(doc["failed"] == true, "\"failed\": true")?;
            ensure(names_the_error(&doc["errors"]), "errors names the file")?;
            let captures = doc["captures"].as_array().map_or(0, Vec::len);
            ensure(
                (captures > 0) == r.something_read(),
                "captures read are reported",
            )?;
        }
        ("report", "jsonl") => {
            let lines: Vec<Value> = stdout
                .lines()
                .map(serde_json::from_str)
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?;
            ensure(
                lines
                    .iter()
                    .any(|l| l["type"] == "error" && l["path"] == bad.as_str()),
                "an error line",
            )?;
            let last = lines.last().cloned().unwrap_or_default();
            ensure(
                last["type"] == "summary" && last["failed"] == true,
                "the summary says failed",
            )?;
            ensure(
                names_the_error(&last["errors"]),
                "the summary's errors name the file",
            )?;
            let captures = lines.iter().filter(|l| l["type"] == "capture").count();
            ensure(
                (captures > 0) == r.something_read(),
                "captures read are reported",
            )?;
        }
        ("report", "csv") => {
            ensure(
                stdout
                    .lines()
                    .any(|l| l.starts_with(&format!("# synack: error: {bad}: "))),
                "a # synack: error line",
            )?;
            let header = stdout.starts_with("capture,id,");
            ensure(
                header == r.something_read(),
                "a header only when something was read",
            )?;
        }
        ("report", "zeek") => {
            ensure(
                stdout
                    .lines()
                    .any(|l| l.starts_with(&format!("#error\t{bad}\t"))),
                "an #error line",
            )?;
            ensure(
                stdout.contains("#fields\t") == r.something_read(),
                "a log header only when something was read",
            )?;
        }
        ("report", "parquet") => {
            ensure(stdout.is_empty(), "nothing on stdout")?;
            let (errors, _) = common::parquet::read(&parquet.join("errors.parquet"));
            ensure(
                names_the_error(&Value::Array(
                    errors.into_iter().map(Value::Object).collect(),
                )),
                "errors.parquet names the file, its offset, what went wrong",
            )?;
            let (captures, _) = common::parquet::read(&parquet.join("captures.parquet"));
            ensure(
                captures.is_empty() != r.something_read(),
                "a capture row only for what was read",
            )?;
        }
        ("report", "html") => {
            ensure(
                stdout.contains("id=\"errors\"") && stdout.contains(&bad),
                "the page says which capture was not read",
            )?;
            ensure(
                stdout.contains("id=\"summary\"") == r.something_read(),
                "a summary only when something was read",
            )?;
        }
        ("lint", "human") => {
            let last = stdout.lines().rev().find(|l| !l.is_empty()).unwrap_or("");
            ensure(
                last.starts_with("synack lint: ") && last.ends_with(": error"),
                "the verdict reads error",
            )?;
            ensure(!stdout.contains("passed"), "nothing reads passed")?;
            ensure(stdout.contains(&bad), "the file is named")?;
        }
        ("lint", "github") => {
            ensure(
                stdout.lines().any(|l| {
                    l.starts_with("::error title=synack: capture error,file=")
                        && l.contains(&bad.replace(':', "%3A").replace(',', "%2C"))
                }),
                "an ::error annotation for the file",
            )?;
            ensure(
                summary
                    .lines()
                    .any(|l| l.contains(&format!("`{bad}` | error |"))),
                "an error row in the step summary",
            )?;
        }
        ("lint", "sarif") => {
            let doc: Value = serde_json::from_str(&stdout).map_err(|e| e.to_string())?;
            let invalid: Vec<String> = common::sarif_validator()
                .iter_errors(&doc)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            ensure(
                invalid.is_empty(),
                &format!("valid SARIF 2.1.0: {invalid:?}"),
            )?;
            let inv = &doc["runs"][0]["invocations"][0];
            ensure(
                inv["executionSuccessful"] == false,
                "executionSuccessful: false",
            )?;
            let notes = inv["toolExecutionNotifications"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            ensure(
                notes.iter().any(|n| {
                    n["level"] == "error"
                        && n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                            == bad.as_str()
                        && n["locations"][0]["physicalLocation"]["region"]["byteOffset"].as_u64()
                            == r.bad.offset
                }),
                "a notification for the file",
            )?;
        }
        ("lint", "junit") => {
            let xml = roxmltree::Document::parse(&stdout).map_err(|e| e.to_string())?;
            let root = xml.root_element();
            ensure(
                root.attribute("errors").and_then(|e| e.parse::<u64>().ok()) >= Some(1),
                "testsuites counts the error",
            )?;
            let suites: Vec<_> = root
                .children()
                .filter(|n| n.has_tag_name("testsuite"))
                .collect();
            ensure(
                suites.iter().any(|s| {
                    s.attribute("errors") == Some("1")
                        && s.descendants().any(|e| {
                            e.has_tag_name("error") && e.text().is_some_and(|t| t.contains(&bad))
                        })
                }),
                "a testsuite with an <error> naming the file",
            )?;
            ensure(
                suites.len() == 1 + usize::from(r.good.is_some() && !(r.merge && r.bad.partial)),
                "a testsuite per input",
            )?;
        }
        _ => unreachable!(),
    }
    Ok(())
}

#[test]
fn a_failed_run_never_looks_clean_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    // Open to `nobody`, who runs synack for the unreadable case.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let summary_file = dir.path().join("step-summary.md");
    std::fs::write(&summary_file, "").unwrap();
    std::fs::set_permissions(&summary_file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let good = testdata("kernel/refused.pcap");
    let bads = bad_inputs(dir.path());
    let mut failures = Vec::new();
    let mut runs = 0;
    for bad in &bads {
        let prefix = if bad.unprivileged {
            match unprivileged_prefix(&bad.path) {
                Some(p) => p,
                None => {
                    eprintln!(
                        "skipped: the unreadable-file case (running as root without setpriv)"
                    );
                    continue;
                }
            }
        } else {
            Vec::new()
        };
        for (command, formats) in [("report", &REPORT[..]), ("lint", &LINT[..])] {
            for format in formats {
                for (good, merge) in [
                    (None, false),
                    (Some(good.as_path()), false),
                    (Some(good.as_path()), true),
                ] {
                    let r = Run {
                        bad,
                        good,
                        merge,
                        command,
                        format,
                    };
                    std::fs::write(&summary_file, "").unwrap();
                    let out = run(&r, &prefix, &summary_file);
                    let summary = std::fs::read_to_string(&summary_file).unwrap();
                    runs += 1;
                    if let Err(e) = check(&r, &out, &summary, &parquet_dir(&summary_file)) {
                        failures.push(e);
                    }
                }
            }
        }
    }
    assert!(runs >= 150, "{runs} runs");
    assert!(
        failures.is_empty(),
        "{} of {runs} runs look clean:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
