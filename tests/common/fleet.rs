//! A "fleet" of captures as users keep them: one Parquet directory per capture, made by one
//! `synack report --format parquet` run each, and the questions README.md asks of them, run
//! with DuckDB from Python (`pip install duckdb`). Shared by `tests/duckdb.rs` and
//! `tests/spark.rs`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The captures: testdata's, and the corpus's when it is there.
pub fn captures() -> Vec<PathBuf> {
    let mut v = kernel_captures();
    if let Some(dir) = super::corpus_dir() {
        v.extend(
            super::expected_captures(&dir)
                .into_iter()
                .map(|(p, _)| dir.join(p)),
        );
    }
    v
}

/// testdata's captures, recorded from the Linux kernel, in name order.
pub fn kernel_captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(super::testdata("kernel"))
        .expect("testdata/kernel")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".pcap.gz")
        })
        .collect();
    v.sort();
    v
}

/// The directory each capture's tables go to under the fleet's root: its position and name.
pub fn dir_name(i: usize, capture: &Path) -> String {
    format!(
        "{i:03}-{}",
        capture.file_name().unwrap_or_default().to_string_lossy()
    )
}

/// One `report --format parquet` run per capture, each into its own directory of `root`.
pub fn write_parquet(root: &Path, captures: &[PathBuf]) {
    let bin = assert_cmd::cargo::cargo_bin("synack");
    for (i, c) in captures.iter().enumerate() {
        let out = Command::new(&bin)
            .args(["report", "-q", "-j", "1", "--format", "parquet", "--output"])
            .arg(root.join(dir_name(i, c)))
            .arg(c)
            .output()
            .expect("synack runs");
        // Damaged captures exit 2 and still write their tables.
        assert!(
            matches!(out.status.code(), Some(0 | 2)),
            "{}: {}",
            c.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// synack's own JSON report of the same captures, in one run.
pub fn json_report(captures: &[PathBuf]) -> Value {
    let out = Command::new(assert_cmd::cargo::cargo_bin("synack"))
        .args(["report", "-q", "--format", "json"])
        .args(captures)
        .output()
        .expect("synack runs");
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

/// The ```sql blocks of README.md's Parquet section, in order: connections per conn_state,
/// the hosts with the most SYN retransmissions, TIME-WAIT per host with its peak.
pub fn readme_queries() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = readme
        .find("## Parquet")
        .expect("README.md has a Parquet section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    let mut queries = Vec::new();
    let mut rest = section;
    while let Some(i) = rest.find("```sql\n") {
        let body = &rest[i + 7..];
        let end = body.find("```").expect("closed sql block");
        queries.push(body[..end].to_string());
        rest = &body[end + 3..];
    }
    assert_eq!(queries.len(), 3, "three questions in README.md");
    queries
}

/// Whether `python3` can import `module`; says visibly why not when it cannot.
pub fn python_has(module: &str, why: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        super::skipped(&format!(
            "{why}: python3 with the `{module}` package not found (python3 -m pip install {module}; .ci/run installs it)"
        ));
    }
    ok
}

/// Runs a query with DuckDB over the fleet at `root` (README's `synack-parquet/` is `root`):
/// its rows, timestamps as seconds since the epoch.
pub fn duckdb(root: &Path, query: &str) -> Vec<Vec<Value>> {
    let sql = query.replace("synack-parquet/", &format!("{}/", root.display()));
    let script = r#"
import datetime, duckdb, json, sys
def plain(v):
    if isinstance(v, datetime.datetime):
        return v.timestamp()
    return v
rows = duckdb.sql(sys.stdin.read()).fetchall()
print(json.dumps([[plain(v) for v in r] for r in rows]))
"#;
    run_python(&["-c", script], &sql)
}

/// Runs python3 with `args`, `input` on its stdin; its stdout as JSON rows.
pub fn run_python(args: &[&str], input: &str) -> Vec<Vec<Value>> {
    use std::io::Write;
    let mut child = Command::new("python3")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write the query");
    let out = child.wait_with_output().expect("python3 ends");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON rows ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
