//! README.md's DuckDB questions, run as written over one Parquet directory per capture of
//! testdata and the corpus, each answer checked against synack's own JSON report of the same
//! captures. Needs python3 with the `duckdb` package (.ci/run installs it); skips visibly
//! without.

mod common;

use common::fleet;
use serde_json::Value;
use std::collections::BTreeMap;

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number: {v}"))
}

#[test]
fn readme_duckdb_queries_answer_as_synack_does() {
    if !fleet::python_has("duckdb", "README's DuckDB queries") {
        return;
    }
    let captures = fleet::captures();
    let root = tempfile::tempdir().unwrap();
    fleet::write_parquet(root.path(), &captures);
    let doc = fleet::json_report(&captures);
    let summary = &doc["summary"];
    let [per_state, syn_hosts, time_wait] =
        <[String; 3]>::try_from(fleet::readme_queries()).expect("three queries");

    // 1. Connections per conn_state: the summary's conn_state, every state.
    let got: BTreeMap<String, u64> = fleet::duckdb(root.path(), &per_state)
        .into_iter()
        .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_u64().unwrap()))
        .collect();
    let want: BTreeMap<String, u64> = summary["conn_state"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(got, want, "connections per conn_state");
    assert_eq!(
        got.values().sum::<u64>(),
        summary["connections"].as_u64().unwrap()
    );

    // 2. SYN retransmissions per responder, most first: the JSON connections' counts summed
    // per responder address; over all hosts, the summary's syn_retransmissions.
    let mut per_host: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for c in doc["connections"].as_array().unwrap() {
        let n = c["syn_retransmits"].as_u64().unwrap();
        if n > 0 {
            let e = per_host
                .entry(c["resp"]["addr"].as_str().unwrap().to_string())
                .or_default();
            e.0 += n;
            e.1 += 1;
        }
    }
    assert_eq!(
        per_host.values().map(|e| e.0).sum::<u64>(),
        summary["syn_retransmissions"].as_u64().unwrap()
    );
    let mut want: Vec<(String, u64, u64)> =
        per_host.into_iter().map(|(h, (n, c))| (h, n, c)).collect();
    want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    want.truncate(10);
    assert!(!want.is_empty(), "testdata has retransmitted SYNs");
    let got: Vec<(String, u64, u64)> = fleet::duckdb(root.path(), &syn_hosts)
        .into_iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_u64().unwrap(),
                r[2].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want, "hosts with the most SYN retransmissions");

    // 3. TIME-WAIT per host: the sweep's peak and when it was reached, for every host of
    // every capture, equal to the summary's time_wait rows.
    let got: BTreeMap<(String, String), (u64, f64)> = fleet::duckdb(root.path(), &time_wait)
        .into_iter()
        .map(|r| {
            (
                (r[0].as_str().unwrap().into(), r[1].as_str().unwrap().into()),
                (r[2].as_u64().unwrap(), num(&r[3])),
            )
        })
        .collect();
    let want: BTreeMap<(String, String), (u64, f64)> = summary["time_wait"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                (
                    t["capture"].as_str().unwrap().into(),
                    t["host"].as_str().unwrap().into(),
                ),
                (t["peak"].as_u64().unwrap(), num(&t["peak_ts"])),
            )
        })
        .collect();
    assert!(
        want.values().any(|(peak, _)| *peak > 1000),
        "time-wait-excess.pcap holds 1001 at once"
    );
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "hosts that held TIME-WAIT"
    );
    for (k, (peak, ts)) in &want {
        let (gp, gts) = got[k];
        assert_eq!(gp, *peak, "{k:?}: peak");
        assert!(
            (gts - ts).abs() < 1e-6,
            "{k:?}: peak at {gts}, synack says {ts}"
        );
    }
}
