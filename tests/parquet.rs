//! `report --format parquet`: every file read back with the Parquet crate's Arrow reader and
//! every field compared with `--format json` of the same run, on testdata and on the corpus.

mod common;

use arrow_schema::{DataType, TimeUnit};
use assert_cmd::Command;
use common::parquet::read;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

fn synack() -> Command {
    Command::cargo_bin("synack").expect("binary")
}

/// What the JSON says for a flattened column name: `rst_kind` is `rst.kind` (null when `rst`
/// is), `orig_detail_retransmits` is `orig_detail.retransmits`.
fn lookup<'a>(obj: &'a Map<String, Value>, col: &str) -> Option<&'a Value> {
    if let Some(v) = obj.get(col) {
        return Some(v);
    }
    for (i, _) in col.match_indices('_') {
        let (head, rest) = (&col[..i], &col[i + 1..]);
        match obj.get(head) {
            Some(Value::Null) => return Some(&Value::Null),
            Some(Value::Object(inner)) => {
                if let Some(v) = lookup(inner, rest) {
                    return Some(v);
                }
            }
            _ => {}
        }
    }
    None
}

/// Every leaf of a JSON object as its flattened column name.
fn leaves(obj: &Map<String, Value>, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in obj {
        let name = format!("{prefix}{k}");
        match v {
            Value::Object(inner) => leaves(inner, &format!("{name}_"), out),
            _ => out.push(name),
        }
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            // Timestamps: microseconds in Parquet, the JSON's nanosecond-capable seconds.
            (x - y).abs() <= 1e-6_f64.max(y.abs() * 1e-12)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        _ => a == b,
    }
}

/// Each Parquet row equals its JSON object, field by field; every JSON field has a column
/// (but `skip`) and every column a JSON field. `fix` maps a JSON object's fields the Parquet
/// table shows differently.
fn compare(
    what: &str,
    rows: &[Map<String, Value>],
    json: &[Value],
    skip: &[&str],
    fix: impl Fn(&mut Map<String, Value>),
) {
    assert_eq!(rows.len(), json.len(), "{what}: rows");
    for (i, (row, obj)) in rows.iter().zip(json).enumerate() {
        let mut obj = obj.as_object().expect("object").clone();
        fix(&mut obj);
        for (col, got) in row {
            let want = lookup(&obj, col)
                .unwrap_or_else(|| panic!("{what} row {i}: column {col} is not in the JSON"));
            assert!(
                same(got, want),
                "{what} row {i} ({}): {col} is {got} in Parquet, {want} in JSON",
                obj.get("id").or(obj.get("path")).unwrap_or(&Value::Null)
            );
        }
        let mut names = Vec::new();
        leaves(&obj, "", &mut names);
        for name in names {
            if skip.contains(&name.as_str()) {
                continue;
            }
            // A null object's leaves are columns of its name's prefix.
            let covered = row.contains_key(&name)
                || (obj.get(&name) == Some(&Value::Null)
                    && row.keys().any(|c| c.starts_with(&format!("{name}_"))));
            assert!(covered, "{what} row {i}: JSON field {name} has no column");
        }
    }
}

/// Runs `report` as JSON and as Parquet over the same captures and arguments; compares every
/// table. Returns the Parquet directory's connections rows.
fn check(captures: &[PathBuf], args: &[&str], out: &Path) -> Vec<Map<String, Value>> {
    let json = synack()
        .arg("report")
        .args(["--format", "json"])
        .args(args)
        .args(captures)
        .output()
        .expect("run");
    let pq = synack()
        .arg("report")
        .args(["--format", "parquet", "--output"])
        .arg(out)
        .args(args)
        .args(captures)
        .output()
        .expect("run");
    assert_eq!(json.status.code(), pq.status.code(), "same exit status");
    assert!(
        pq.stdout.is_empty(),
        "nothing on stdout: {}",
        String::from_utf8_lossy(&pq.stdout)
    );
    let doc: Value = serde_json::from_slice(&json.stdout).expect("JSON report");

    let (conns, _) = read(&out.join("connections.parquet"));
    assert!(!conns.is_empty(), "connections");
    compare(
        "connections",
        &conns,
        doc["connections"].as_array().unwrap(),
        &["transitions"],
        |o| {
            // The connection's findings are rows of findings.parquet; its column has the codes.
            let codes: Vec<Value> = o["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].clone())
                .collect();
            o.insert("findings".into(), Value::Array(codes));
        },
    );

    let (findings, _) = read(&out.join("findings.parquet"));
    compare(
        "findings",
        &findings,
        doc["findings"].as_array().unwrap(),
        &[],
        |_| {},
    );

    let (caps, _) = read(&out.join("captures.parquet"));
    compare(
        "captures",
        &caps,
        doc["captures"].as_array().unwrap(),
        &[],
        |o| {
            // A merged timeline's files: their paths.
            let files: Vec<Value> = o
                .get("files")
                .and_then(Value::as_array)
                .map(|fs| fs.iter().map(|f| f["path"].clone()).collect())
                .unwrap_or_default();
            o.insert("files".into(), Value::Array(files));
        },
    );

    let (tw, _) = read(&out.join("time_wait.parquet"));
    compare(
        "time_wait",
        &tw,
        doc["summary"]["time_wait"].as_array().unwrap(),
        &[],
        |_| {},
    );

    let (errors, _) = read(&out.join("errors.parquet"));
    compare(
        "errors",
        &errors,
        doc["errors"].as_array().unwrap(),
        &[],
        |_| {},
    );
    assert_eq!(doc["failed"], Value::Bool(!errors.is_empty()));

    // No partial file is left behind.
    for e in std::fs::read_dir(out).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(!name.starts_with('.'), "left behind: {name}");
    }
    conns
}

#[test]
fn parquet_equals_json_on_testdata() {
    let dir = tempfile::tempdir().unwrap();
    let caps = common::fleet::kernel_captures();
    assert!(caps.len() > 30);
    let conns = check(&caps, &[], dir.path());
    // Dictionary-encoded and time-typed as the contract says.
    let file = std::fs::File::open(dir.path().join("connections.parquet")).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = builder.schema().clone();
    let group = builder.metadata().row_group(0);
    for col in [
        "orig_state",
        "resp_state",
        "conn_state",
        "capture",
        "rst_kind",
    ] {
        assert!(
            matches!(
                schema.field_with_name(col).unwrap().data_type(),
                DataType::Dictionary(..)
            ),
            "{col} is a dictionary for Arrow readers"
        );
        // And in the file itself, for DuckDB, Spark and every other Parquet reader.
        let chunk = (0..group.num_columns())
            .map(|i| group.column(i))
            .find(|c| c.column_path().string() == col)
            .unwrap();
        assert!(
            chunk
                .encodings()
                .any(|e| e == parquet::basic::Encoding::RLE_DICTIONARY),
            "{col} is dictionary-encoded in the file"
        );
    }
    for col in ["first_ts", "orig_time_wait_until"] {
        assert_eq!(
            schema.field_with_name(col).unwrap().data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        );
    }
    // Some of the testdata's sides end in TIME-WAIT: the column is not all nulls.
    assert!(conns
        .iter()
        .any(|c| c["orig_time_wait_until"] != Value::Null));
}

#[test]
fn parquet_merge_lists_files_and_transitions_match() {
    let dir = tempfile::tempdir().unwrap();
    let caps = [
        common::testdata("kernel/fin-into-time-wait.pcap"),
        common::testdata("kernel/abort-by-client.pcap"),
    ];
    check(&caps, &["--merge"], dir.path());
    let (rows, _) = read(&dir.path().join("captures.parquet"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["files"].as_array().unwrap().len(), 2);

    // --transitions: one row per state change, as each JSON connection's `transitions`.
    let out = dir.path().join("t");
    check(&caps[..1], &["--transitions"], &out);
    let json = synack()
        .args(["report", "--format", "json", "--transitions"])
        .arg(&caps[0])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    let want: Vec<Value> = doc["connections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            let (cap, id) = (c["capture"].clone(), c["id"].clone());
            c["transitions"].as_array().unwrap().iter().map(move |t| {
                let mut t = t.as_object().unwrap().clone();
                t.insert("capture".into(), cap.clone());
                t.insert("connection".into(), id.clone());
                Value::Object(t)
            })
        })
        .collect();
    assert!(want.len() >= 6, "the close passes through several states");
    let (rows, _) = read(&out.join("transitions.parquet"));
    compare("transitions", &rows, &want, &[], |_| {});
}

#[test]
fn parquet_equals_json_on_corpus() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let caps: Vec<PathBuf> = common::expected_captures(&dir)
        .into_iter()
        .map(|(p, _)| dir.join(p))
        .collect();
    let out = tempfile::tempdir().unwrap();
    check(&caps, &[], out.path());
    // The damaged captures say so.
    let (rows, _) = read(&out.path().join("captures.parquet"));
    assert!(rows.iter().any(|r| r["complete"] == Value::Bool(false)));
}

#[test]
fn parquet_streams_in_row_groups() {
    // 70 copies of a capture of 1001 connections, 100 s apart: more rows than a row group.
    let one = common::testdata("kernel/time-wait-excess.pcap.gz");
    let mut raw = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(&one).unwrap()),
        &mut raw,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("one.pcap");
    std::fs::write(&plain, raw).unwrap();
    let cap = dir.path().join("many.pcap");
    std::fs::write(&cap, common::repeated_over_time(&plain, 70)).unwrap();
    let out = dir.path().join("pq");
    synack()
        .args(["report", "--format", "parquet", "--quiet", "--output"])
        .arg(&out)
        .arg(&cap)
        .assert()
        .success();
    let (rows, groups) = read(&out.join("connections.parquet"));
    assert_eq!(rows.len(), 70 * 1001);
    assert!(groups >= 2, "at most 65 536 rows to a row group: {groups}");
}

#[test]
fn parquet_needs_a_directory_and_says_so() {
    let cap = common::testdata("kernel/fin-into-time-wait.pcap");
    let out = synack()
        .args(["report", "--format", "parquet"])
        .arg(&cap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--output DIR"), "{err}");

    // A file where the directory should be.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("taken");
    std::fs::write(&file, "x").unwrap();
    let out = synack()
        .args(["report", "--format", "parquet", "--output"])
        .arg(&file)
        .arg(&cap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("taken"), "{err}");
}

#[test]
fn output_writes_other_formats_to_a_file() {
    let cap = common::testdata("kernel/fin-into-time-wait.pcap");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.json");
    let out = synack()
        .args(["report", "--format", "json", "-o"])
        .arg(&file)
        .arg(&cap)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(doc["summary"]["connections"], 1);
}
