//! Conformance against real captures with independent expected results: the shared corpus
//! (../shared/corpus/expected.json) and the project's own kernel recordings
//! (testdata/expected.json). For every capture synack's `packets` and `tcp_segments` must equal
//! tshark's, except the deviations listed here with their reason. When the shared corpus is
//! absent its half says so and skips.

mod common;

use common::{corpus_dir, expected_captures};
use std::ops::ControlFlow;
use std::path::Path;
use synack::analyze::analyze_capture;
use synack::tcp::{Dir, State, TcpConfig};

/// Captures where synack's counts differ from tshark's on purpose, and why.
const DEVIATIONS: &[(&str, &str)] = &[(
    "kernel/snaplen-header-cut.pcap",
    "captured with tcpdump -s 40: only 6 bytes of each TCP header; tshark counts a cut header as TCP (malformed), synack needs the fixed 20 bytes for a segment and counts the frames as undecodable (CQ003)",
)];

#[test]
fn corpus_counts_equal_tsharks() {
    let Some(dir) = corpus_dir() else { return };
    let (checked, failures) = compare_counts(&dir);
    assert!(checked > 90, "only {checked} captures read");
    assert!(
        failures.is_empty(),
        "{} of {checked} captures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn testdata_counts_equal_tsharks() {
    let dir = common::testdata("");
    let (checked, failures) = compare_counts(&dir);
    assert!(checked >= 19, "only {checked} captures read");
    assert!(
        failures.is_empty(),
        "{} of {checked} captures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Reads every capture of `dir/expected.json`; returns how many were read and what differed.
fn compare_counts(dir: &Path) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, exp) in expected_captures(dir) {
        let path = dir.join(&name);
        let summary =
            match analyze_capture(&path, TcpConfig::default(), |_| ControlFlow::Continue(())) {
                Ok(s) => s.capture,
                Err(e) => {
                    failures.push(format!("{name}: cannot read: {e}"));
                    continue;
                }
            };
        checked += 1;
        let want = (exp["packets"].as_u64(), exp["tcp_segments"].as_u64());
        let got = (
            Some(summary.stats.packets),
            Some(summary.stats.tcp_segments),
        );
        let deviation = DEVIATIONS.iter().find(|(n, _)| *n == name);
        match (want == got, deviation) {
            (true, None) => {}
            (true, Some(_)) => failures.push(format!(
                "{name}: listed as a deviation but now matches tshark; remove it from DEVIATIONS"
            )),
            (false, Some(_)) => {}
            (false, None) => failures.push(format!(
                "{name}: packets/tcp_segments {}/{} but tshark says {}/{}",
                got.0.unwrap_or(0),
                got.1.unwrap_or(0),
                want.0.unwrap_or(0),
                want.1.unwrap_or(0)
            )),
        }
        let damaged = exp["damaged"].as_bool().unwrap_or(false);
        if damaged == summary.complete() {
            failures.push(format!(
                "{name}: tshark says damaged={damaged}, synack read it complete={}",
                summary.complete()
            ));
        }
    }
    (checked, failures)
}

/// One row of a Zeek baseline: the fields a baseline has (cut logs have only some).
#[derive(Debug, Default, Clone)]
struct ZeekRow {
    tuple: Option<(String, u16, String, u16)>,
    conn_state: Option<String>,
    history: Option<String>,
    orig_pkts: Option<u64>,
    resp_pkts: Option<u64>,
}

/// Parses a conn.log baseline, full (`#fields`) or cut (a header line of names); TCP rows only.
fn zeek_rows(text: &str) -> Vec<ZeekRow> {
    let mut names: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if line.starts_with("###") || line.is_empty() {
            continue;
        }
        if let Some(f) = line.strip_prefix("#fields\t") {
            names = f.split('\t').map(String::from).collect();
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if names.is_empty() {
            names = line.split('\t').map(String::from).collect();
            continue;
        }
        let vals: Vec<&str> = line.split('\t').collect();
        let get = |n: &str| {
            names
                .iter()
                .position(|x| x == n)
                .and_then(|i| vals.get(i))
                .map(|s| s.to_string())
        };
        if get("proto").is_some_and(|p| p != "tcp") {
            continue;
        }
        let tuple = match (
            get("id.orig_h"),
            get("id.orig_p"),
            get("id.resp_h"),
            get("id.resp_p"),
        ) {
            (Some(a), Some(b), Some(c), Some(d)) => {
                Some((a, b.parse().unwrap_or(0), c, d.parse().unwrap_or(0)))
            }
            _ => None,
        };
        rows.push(ZeekRow {
            tuple,
            conn_state: get("conn_state"),
            history: get("history"),
            orig_pkts: get("orig_pkts").and_then(|s| s.parse().ok()),
            resp_pkts: get("resp_pkts").and_then(|s| s.parse().ok()),
        });
    }
    rows
}

/// synack's connection as Zeek would log it: Zeek's orientation, conn_state, history, packets.
fn zeek_view(c: &synack::flow::Flow) -> ZeekRow {
    let z = c.zeek_fields();
    let (o, r) = if z.flipped {
        (c.resp, c.orig)
    } else {
        (c.orig, c.resp)
    };
    ZeekRow {
        tuple: Some((o.addr.to_string(), o.port, r.addr.to_string(), r.port)),
        conn_state: Some(z.conn_state.to_string()),
        history: Some(if z.history.is_empty() {
            "-".into()
        } else {
            z.history.clone()
        }),
        orig_pkts: Some(z.orig_pkts),
        resp_pkts: Some(z.resp_pkts),
    }
}

/// Zeek baselines where synack's Zeek fields differ on purpose, and why. Each entry:
/// (capture, what differs, reason). docs/zeek.md lists the same.
const ZEEK_DEVIATIONS: &[(&str, &str)] = &[
    ("zeek/localhost-bad-chksum.zeek-conn.log", "Zeek verifies TCP checksums (no -C) and drops the bad ones (history C, no packets); synack does not verify checksums, like tshark by default and zeek -C"),
    ("zeek/syn-bad-checksum.zeek-conn-cut.log", "Zeek verifies TCP checksums (no -C): the SYN with a bad checksum is only a C; synack does not verify checksums"),
    ("zeek/pop3.zeek-conn.log", "the SYN is retried with the same ISN after each RST (Windows): one attempt for synack, three REJ connections for Zeek (CONTRACT.md's main deviation)"),
    ("zeek/teredo.zeek-conn.log", "Zeek's 5 s close/attempt timers split each 4-tuple into several connections where synack keeps one; and Zeek opens the Teredo tunnel (UDP 3544), synack does not (nor does tshark by default)"),
    ("zeek/ssh-client-side-half-duplex.zeek-conn.log", "only the client side was captured: Zeek's 5 s attempt timer ends the S0 attempt and starts a new connection with the later packets; synack keeps one connection (SH)"),
    ("zeek/modbus-and-non-modbus-p502.zeek-conn.log", "after the originator's RST the peer keeps sending; Zeek's 5 s reset timer starts a new connection for those packets, synack keeps them in the reset connection (data after reset)"),
];

/// The other Zeek baselines: scripts printing `history, conn_state` or the final history;
/// the last field is the reason synack differs, for a listed deviation.
type Expected = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);
const ZEEK_EXPECTED: &[Expected] = &[
    ("zeek/syn-then-rst.pcap", "SR", Some("RSTOS0"), None),
    ("zeek/syn-then-ack-then-rst.pcap", "SaR", Some("RSTOS0"), None),
    ("zeek/syn-then-stuff-then-rst.pcap", "SaFR", Some("OTH"), None),
    ("zeek/single-rst.pcap", "R", Some("OTH"), None),
    ("zeek/ssh-dups.pcap", "ShADTadtTtFf", None, None),
    (
        "zeek/handshake-reorder.pcap",
        "Hs^ADadFf",
        None,
        Some("made with zeek -b: no likely server ports, so Zeek keeps the SYN-ACK's sender as orig until the SYN arrives; synack (and default Zeek) flip at the SYN-ACK: ^hSADadFf"),
    ),
];

fn compare_zeek(name: &str, want: &[ZeekRow], conns: &[synack::flow::Flow]) -> Vec<String> {
    let mut ours: Vec<ZeekRow> = conns.iter().map(zeek_view).collect();
    let mut out = Vec::new();
    let key = |t: &(String, u16, String, u16)| {
        let a = (t.0.clone(), t.1);
        let b = (t.2.clone(), t.3);
        if a <= b {
            (a, b)
        } else {
            (b, a)
        }
    };
    for (i, w) in want.iter().enumerate() {
        // Match on the 4-tuple in order of appearance; without a tuple, on position.
        let pos = match &w.tuple {
            Some(t) => ours
                .iter()
                .position(|o| o.tuple.as_ref().map(&key) == Some(key(t))),
            None => (!ours.is_empty()).then_some(0),
        };
        let Some(pos) = pos else {
            out.push(format!(
                "{name}: Zeek row {i} {:?}: no synack connection",
                w.tuple
            ));
            continue;
        };
        let o = ours.remove(pos);
        let mut diffs = Vec::new();
        if w.tuple.is_some() && w.tuple != o.tuple {
            diffs.push(format!("orientation {:?} vs {:?}", o.tuple, w.tuple));
        }
        macro_rules! cmp {
            ($f:ident) => {
                if w.$f.is_some() && w.$f != o.$f {
                    diffs.push(format!("{} {:?} vs Zeek {:?}", stringify!($f), o.$f, w.$f));
                }
            };
        }
        cmp!(conn_state);
        cmp!(history);
        cmp!(orig_pkts);
        cmp!(resp_pkts);
        if !diffs.is_empty() {
            out.push(format!(
                "{name}: row {i} {:?}: {}",
                w.tuple,
                diffs.join("; ")
            ));
        }
    }
    for o in ours {
        out.push(format!(
            "{name}: synack connection {:?} not in Zeek's log",
            o.tuple
        ));
    }
    out
}

#[test]
fn zeek_conn_state_and_history_equal_the_baselines() {
    let Some(dir) = corpus_dir() else { return };
    let mut failures = Vec::new();
    let mut compared = 0;
    for entry in std::fs::read_dir(dir.join("zeek")).expect("zeek dir") {
        let path = entry.expect("entry").path();
        let fname = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(stem) = fname
            .strip_suffix(".zeek-conn.log")
            .or_else(|| fname.strip_suffix(".zeek-conn-cut.log"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let want = zeek_rows(&text);
        if want
            .iter()
            .all(|r| r.history.is_none() && r.conn_state.is_none() && r.orig_pkts.is_none())
        {
            continue;
        }
        let cap = ["pcap", "pcapng"]
            .iter()
            .map(|e| dir.join("zeek").join(format!("{stem}.{e}")))
            .find(|p| p.is_file())
            .expect("capture beside its baseline");
        let (_, conns) = synack::analyze::connections(&cap, TcpConfig::default()).expect("reads");
        let name = format!("zeek/{fname}");
        compared += 1;
        let diffs = compare_zeek(&name, &want, &conns);
        let listed = ZEEK_DEVIATIONS.iter().any(|(n, _)| *n == name);
        match (diffs.is_empty(), listed) {
            (true, true) => {
                failures.push(format!("{name}: listed in ZEEK_DEVIATIONS but now matches"))
            }
            (false, false) => failures.extend(diffs),
            _ => {}
        }
    }
    assert!(compared >= 25, "only {compared} baselines compared");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn zeek_expected_histories() {
    let Some(dir) = corpus_dir() else { return };
    for (cap, history, conn_state, deviation) in ZEEK_EXPECTED {
        let (_, conns) =
            synack::analyze::connections(&dir.join(cap), TcpConfig::default()).unwrap();
        assert_eq!(conns.len(), 1, "{cap}");
        let z = conns[0].zeek_fields();
        if deviation.is_some() {
            assert_ne!(
                z.history, *history,
                "{cap} is listed as a deviation but now matches"
            );
            continue;
        }
        assert_eq!(z.history, *history, "{cap}");
        if let Some(cs) = conn_state {
            assert_eq!(z.conn_state, *cs, "{cap}");
        }
    }
}

/// Captures whose SYN / SYN-ACK retransmission totals differ from tshark's, and why.
const RETRANSMISSION_DEVIATIONS: &[(&str, &str)] = &[
    ("kernel/simultaneous-open.pcap", "simultaneous open: each side answers the other's SYN with a SYN-ACK carrying its own SYN's sequence number; tshark calls both SYN-ACKs retransmissions, synack counts each as that side's first SYN-ACK"),
    ("kernel/dup-two-interfaces.pcapng", COPIES),
    ("chrissanders-packets/nowebaccess3.pcapng", COPIES),
    ("pcapplusplus/many-protocols.pcap", COPIES),
    ("tcpdump/pptp.pcap", COPIES),
    ("zeek/ctu-64702-888.pcap", COPIES),
    ("zeek/m57-long-49583-80.pcap", COPIES),
    ("zeek/nflog-http.pcap", COPIES),
    ("zeek/vlan-collisions.pcap", COPIES),
    ("chrissanders-packets/activeosfingerprinting.pcapng", "nmap sends its SYN+FIN+PSH+URG probe four times; a SYN with FIN is no SYN to synack (flags normalized, counted as odd flags), so its repeats are no SYN retransmissions; tshark counts 3"),
    ("suricata-verify/tcp-split-handshake-4whs.pcap", "split handshake (synthetic): the client answers the server's SYN with a SYN-ACK carrying its own SYN's sequence number; tshark calls that SYN-ACK a retransmission, synack counts it as the client's first SYN-ACK"),
];

/// tests/per_connection.rs names each connection and its copies.
const COPIES: &str = "SYNs or SYN-ACKs captured more than once (another interface, VLAN or netfilter hook, or copied on the path) within 150 ms, same IP ID and checksum: duplicates (CQ007) for synack, retransmissions for tshark";

#[test]
fn syn_and_synack_retransmissions_equal_tsharks() {
    let mut failures = Vec::new();
    let mut dirs = vec![common::testdata("")];
    dirs.extend(corpus_dir());
    for dir in dirs {
        for (name, exp) in expected_captures(&dir) {
            let Ok((_, conns)) =
                synack::analyze::connections(&dir.join(&name), TcpConfig::default())
            else {
                continue;
            };
            let syn: u64 = conns
                .iter()
                .map(|c| u64::from(c.side(synack::tcp::Dir::Orig).syn.retransmits()))
                .sum();
            let synack: u64 = conns
                .iter()
                .map(|c| u64::from(c.side(synack::tcp::Dir::Resp).synack.retransmits()))
                .sum();
            let want = (
                exp["syn_retransmissions"].as_u64().unwrap_or(0),
                exp["synack_retransmissions"].as_u64().unwrap_or(0),
            );
            let listed = RETRANSMISSION_DEVIATIONS.iter().any(|(n, _)| *n == name);
            match ((syn, synack) == want, listed) {
                (false, false) => failures.push(format!(
                    "{name}: SYN/SYN-ACK retransmissions {syn}/{synack}, tshark {}/{}",
                    want.0, want.1
                )),
                (true, true) => failures.push(format!(
                    "{name}: listed in RETRANSMISSION_DEVIATIONS but now matches"
                )),
                _ => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every connection of a corpus capture, or `None` (and a note) without the corpus.
fn corpus_connections(name: &str) -> Option<Vec<synack::flow::Flow>> {
    let dir = corpus_dir()?;
    let (_, mut conns) =
        synack::analyze::connections(&dir.join(name), TcpConfig::default()).expect("reads");
    conns.sort_by_key(|c| c.id);
    Some(conns)
}

#[test]
fn timestamp_invalid_micro_is_one_connection_without_hs004() {
    // Frames 2 and 3 carry 1 000 000 and 2 147 483 648 µs: clock anomalies, not a 35-minute gap.
    let Some(c) = corpus_connections("tcpdump/timestamp_invalid_micro.pcap") else {
        return;
    };
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].side(Dir::Resp).state, State::Established);
    let checker = synack::findings::Checker::new(synack::findings::RuleConfig::default());
    let codes: Vec<&str> = checker.connection(&c[0]).0.iter().map(|f| f.code).collect();
    assert!(!codes.contains(&"HS004"), "{codes:?}");
}

#[test]
fn pcapng_example_has_tsharks_fifteen_connections() {
    // Frame 2 lies in 2061 and interface 1's frames past the year 2262.
    let Some(c) = corpus_connections("pcapplusplus/pcapng-example.pcapng") else {
        return;
    };
    assert_eq!(c.len(), 15);
}

#[test]
fn vlan_collisions_is_one_connection_without_retransmissions() {
    let Some(c) = corpus_connections("zeek/vlan-collisions.pcap") else {
        return;
    };
    assert_eq!(c.len(), 1);
    for d in [Dir::Orig, Dir::Resp] {
        let s = c[0].side(d);
        assert_eq!(
            (
                s.syn.retransmits(),
                s.synack.retransmits(),
                s.fin_retransmits,
                s.retransmits
            ),
            (0, 0, 0, 0),
            "{d}"
        );
        assert!(s.duplicates > 0, "{d}");
    }
}

#[test]
fn options_after_an_unknown_kind_and_a_syn_after_its_syn_ack() {
    // AccECN's experimental option (kind 254) stands before the SYN-ACK's window scale.
    if let Some(c) = corpus_connections("tcpdump/accecn_handshake.pcap") {
        let ws = |d| c[0].side(d).options.and_then(|o| o.wscale);
        assert_eq!((ws(Dir::Orig), ws(Dir::Resp)), (Some(6), Some(7)));
    }
    // The SYN is captured after its SYN-ACK.
    if let Some(c) = corpus_connections("zeek/handshake-reorder.pcap") {
        let o = c[0].side(Dir::Orig).options.expect("the SYN's options");
        assert_eq!((o.mss, o.wscale), (Some(1460), Some(4)));
        assert!(c[0].handshake.connect_time.is_some());
    }
}
