//! examples/spark: synack run by PySpark in local mode, one capture (or one merged set of
//! rotated files) per task, Parquet out to one directory; its Spark SQL answers must equal
//! DuckDB's answers to README.md's questions over the same directory. Needs python3 with
//! `pyspark` and `duckdb`, and a Java runtime (.ci/run installs them); skips visibly without.

mod common;

use common::fleet;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn java() -> bool {
    let ok = Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        common::skipped("the Spark example: no Java runtime (apt-get install default-jre-headless; .ci/run installs it)");
    }
    ok
}

/// Rows equal, numbers within a microsecond (timestamps as seconds since the epoch).
fn same_rows(what: &str, spark: &[Value], duck: &[Vec<Value>]) {
    assert_eq!(
        spark.len(),
        duck.len(),
        "{what}: rows\nspark {spark:?}\nduckdb {duck:?}"
    );
    for (s, d) in spark.iter().zip(duck) {
        let s = s.as_array().expect("a row");
        assert_eq!(s.len(), d.len(), "{what}: columns");
        for (a, b) in s.iter().zip(d) {
            let same = match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => (x - y).abs() < 1e-6,
                _ => a == b,
            };
            assert!(same, "{what}: Spark says {s:?}, DuckDB {d:?}");
        }
    }
}

#[test]
fn spark_example_answers_as_duckdb_does() {
    if !java()
        || !fleet::python_has("pyspark", "the Spark example")
        || !fleet::python_has(
            "duckdb",
            "the Spark example (its answers are compared with DuckDB's)",
        )
    {
        return;
    }
    let captures = fleet::captures();
    let work = tempfile::tempdir().unwrap();
    // One capture per line, and one line of two files read as one timeline (--merge), as the
    // rotated files of one host are.
    let mut list: Vec<String> = captures.iter().map(|p| p.display().to_string()).collect();
    let kernel = |n: &str| {
        common::testdata(&format!("kernel/{n}"))
            .display()
            .to_string()
    };
    list.push(format!(
        "{} {}",
        kernel("fin-into-time-wait.pcap"),
        kernel("normal-close.pcap")
    ));
    let list_file = work.path().join("captures.txt");
    std::fs::write(&list_file, list.join("\n")).unwrap();
    let out = work.path().join("tables");

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/spark/synack_spark.py");
    let run = Command::new("python3")
        .arg(&script)
        .args(["--master", "local[2]", "--json", "--synack"])
        .arg(assert_cmd::cargo::cargo_bin("synack"))
        .arg("--captures")
        .arg(&list_file)
        .arg("--output")
        .arg(&out)
        .env("PYSPARK_PYTHON", "python3")
        .output()
        .expect("python3 runs");
    assert!(
        run.status.success(),
        "the Spark example failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let answers: Value = serde_json::from_slice(
        run.stdout
            .split(|b| *b == b'\n')
            .rfind(|l| l.starts_with(b"{"))
            .expect("a JSON line"),
    )
    .expect("JSON answers");

    // Every line of the list got its directory of tables; the merged one lists its two files.
    let dirs = std::fs::read_dir(&out).unwrap().count();
    assert_eq!(dirs, list.len());
    let merged = out.join(format!("{:03}-fin-into-time-wait.pcap", list.len() - 1));
    assert!(merged.join("connections.parquet").is_file());
    let files = fleet::duckdb(
        &out,
        &format!(
            "SELECT len(files) FROM read_parquet('{}/captures.parquet')",
            merged.display()
        ),
    );
    assert_eq!(files, vec![vec![Value::from(2)]]);

    let queries = fleet::readme_queries();
    for (name, query) in ["conn_state", "syn_hosts", "time_wait"]
        .iter()
        .zip(&queries)
    {
        let duck = fleet::duckdb(&out, query);
        let spark = answers[name].as_array().expect("rows");
        assert!(!spark.is_empty(), "{name}: some rows");
        same_rows(name, spark, &duck);
    }
}
