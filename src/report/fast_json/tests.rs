use super::*;
use crate::analyze::{connections, Options};
use crate::findings::{Attempts, Checker, RuleConfig};
use crate::tcp::TcpConfig;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every capture of testdata, and of the shared corpus when it is there.
fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("testdata/kernel")];
    let corpus = root.join("../shared/corpus");
    if corpus.is_dir() {
        for e in std::fs::read_dir(&corpus).unwrap().flatten() {
            if e.path().is_dir() {
                dirs.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    for d in dirs {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            let name = p.to_string_lossy();
            if name.ends_with(".pcap") || name.ends_with(".pcapng") || name.ends_with(".gz") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn serde_bytes<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

#[test]
fn connections_and_findings_are_byte_for_byte_serdes() {
    let caps = captures();
    assert!(caps.len() >= 20, "{} captures", caps.len());
    // A capture name with every character JSON escapes, and one beyond ASCII.
    let name: Arc<str> = Arc::from("dir\\with \"quotes\"\ttab/é.pcap");
    let mut checker = Checker::new(RuleConfig::default());
    checker.begin_capture(&name);
    let mut compared = 0;
    for path in caps {
        for transitions in [false, true] {
            let opts = Options::from(TcpConfig {
                transitions,
                ..TcpConfig::default()
            });
            let Ok((result, conns)) = connections(&path, opts) else {
                continue;
            };
            let mut attempts = Attempts::default();
            for c in &conns {
                let mut rec = ConnReport::new(c, &name);
                let (findings, h) = checker.connection(c);
                rec.findings = findings;
                if let Some(a) = h {
                    attempts.add(a);
                }
                let mut ours = Vec::new();
                connection(&mut ours, &rec, None).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&serde_bytes(&rec)),
                    "{}: connection {}",
                    path.display(),
                    c.id
                );
                // The JSONL line: the same object with "type" first.
                let mut line = Vec::new();
                connection(&mut line, &rec, Some("connection")).unwrap();
                let tagged: serde_json::Value = serde_json::from_slice(&line).unwrap();
                let mut plain: serde_json::Value = serde_json::from_slice(&ours).unwrap();
                plain
                    .as_object_mut()
                    .unwrap()
                    .insert("type".into(), "connection".into());
                assert_eq!(tagged, plain);
                assert!(line.starts_with(b"{\"type\":\"connection\",\"id\":"));
                compared += 1;
            }
            // Capture-wide findings: no connection, no frame, one endpoint or none.
            for f in checker.capture_done(&result, attempts) {
                let mut ours = Vec::new();
                finding(&mut ours, &f, None).unwrap();
                assert_eq!(ours, serde_bytes(&f), "{}: {}", path.display(), f.code);
            }
        }
    }
    assert!(compared > 1000, "{compared} connections compared");
}
