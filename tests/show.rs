//! `synack show`: the ladder of one connection, pinned on the kernel's own recordings (a normal
//! close, a refused attempt, a lost final ACK, a simultaneous close), checked against what
//! `synack report` says of the same connection, and drawn as SVG that parses and JSON rows.

mod common;

use assert_cmd::Command;
use serde_json::Value;

fn synack() -> Command {
    let mut c = Command::cargo_bin("synack").expect("binary");
    c.env_remove("NO_COLOR").env_remove("GITHUB_ACTIONS");
    c
}

/// Relative to the package root, so pinned output does not depend on where the checkout is.
fn cap(name: &str) -> String {
    format!("testdata/kernel/{name}")
}

fn show(args: &[&str]) -> String {
    let out = synack().arg("show").args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn report(capture: &str) -> Value {
    let out = synack()
        .args(["report", "--format", "json", capture])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every connection of the capture, drawn by id: the ladder ends in the states the report gives,
/// has a row for every packet the report counts, and fits 80 columns without colour codes.
fn agrees_with_report(name: &str) {
    let c = cap(name);
    let doc = report(&c);
    for conn in doc["connections"].as_array().unwrap() {
        let id = conn["id"].as_u64().unwrap().to_string();
        let rows: Value =
            serde_json::from_str(&show(&[&c, "--conn", &id, "--format", "json"])).unwrap();
        let rows = rows["rows"].as_array().unwrap();
        let last = rows.last().unwrap();
        assert_eq!(last["orig_state"], conn["orig_state"], "{name} conn {id}");
        assert_eq!(last["resp_state"], conn["resp_state"], "{name} conn {id}");
        let packets =
            conn["orig_packets"].as_u64().unwrap() + conn["resp_packets"].as_u64().unwrap();
        let dups = conn["orig_detail"]["duplicates"].as_u64().unwrap_or(0)
            + conn["resp_detail"]["duplicates"].as_u64().unwrap_or(0);
        assert_eq!(
            rows.len() as u64,
            packets + dups,
            "{name} conn {id}: one row a segment"
        );
        let text = show(&[&c, "--conn", &id]);
        assert!(!text.contains('\x1b'), "no colour when not a terminal");
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80,
                "{name}: {line:?} is wider than 80 columns"
            );
        }
    }
}

#[test]
fn normal_close() {
    agrees_with_report("normal-close.pcap");
    insta::assert_snapshot!(show(&[&cap("normal-close.pcap"), "--conn", "1"]));
}

#[test]
fn refused() {
    agrees_with_report("refused.pcap");
    insta::assert_snapshot!(show(&[&cap("refused.pcap"), "--conn", "1"]));
}

#[test]
fn final_ack_lost() {
    agrees_with_report("final-ack-dropped.pcap");
    insta::assert_snapshot!(show(&[&cap("final-ack-dropped.pcap"), "--conn", "1"]));
}

#[test]
fn simultaneous_close() {
    agrees_with_report("simultaneous-close.pcap");
    insta::assert_snapshot!(show(&[&cap("simultaneous-close.pcap"), "--conn", "1"]));
}

/// A 4-tuple in either order picks the same connection as its id; an unknown one is an error.
#[test]
fn by_four_tuple_and_errors() {
    let c = cap("normal-close.pcap");
    let by_id = show(&[&c, "--conn", "1", "--format", "json"]);
    for t in [
        "10.99.0.1:40001-10.99.0.2:9001",
        "10.99.0.2:9001,10.99.0.1:40001",
    ] {
        assert_eq!(show(&[&c, "--conn", t, "--format", "json"]), by_id, "{t}");
    }
    for (conn, says) in [
        ("99999", "no connection 99999"),
        ("10.0.0.1:1-10.0.0.2:2", "no connection between"),
        ("nonsense", "ADDR:PORT"),
    ] {
        let out = synack()
            .args(["show", &c, "--conn", conn])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{conn}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{conn}: {err}");
    }
}

/// The SVG is one XML document with an arrow per segment, its state labels and the title.
#[test]
fn svg_parses() {
    for name in [
        "normal-close.pcap",
        "refused.pcap",
        "final-ack-dropped.pcap",
    ] {
        let svg = show(&[&cap(name), "--conn", "1", "--format", "svg"]);
        let doc = roxmltree::Document::parse(&svg).expect("SVG parses as XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        let json: Value =
            serde_json::from_str(&show(&[&cap(name), "--conn", "1", "--format", "json"])).unwrap();
        let segments = root
            .descendants()
            .filter(|n| n.attribute("class") == Some("segment"))
            .count();
        assert_eq!(segments, json["rows"].as_array().unwrap().len(), "{name}");
        assert!(svg.contains("ESTABLISHED") || name == "refused.pcap");
        assert!(
            !svg.contains("http://") || svg.matches("http://").count() == 1,
            "only the SVG namespace"
        );
    }
}

/// Two connections on one 4-tuple (the second SYN into the first's TIME-WAIT): each, by id, is
/// the report's; by 4-tuple the first is drawn and the other named.
#[test]
fn port_reuse() {
    agrees_with_report("port-reuse-time-wait.pcap");
    let c = cap("port-reuse-time-wait.pcap");
    let doc = report(&c);
    let conns = doc["connections"].as_array().unwrap();
    let (first, second) = (&conns[0], &conns[1]);
    let tuple = format!(
        "{}:{}-{}:{}",
        first["orig"]["addr"].as_str().unwrap(),
        first["orig"]["port"],
        first["resp"]["addr"].as_str().unwrap(),
        first["resp"]["port"]
    );
    let rows: Value =
        serde_json::from_str(&show(&[&c, "--conn", &tuple, "--format", "json"])).unwrap();
    assert_eq!(rows["id"], first["id"]);
    assert_eq!(rows["other_connections"][0], second["id"]);
    assert!(show(&[&c, "--conn", &tuple]).contains("port reuse"));
}

/// Colour on a terminal (a pseudo-terminal from util-linux's `script`), never with NO_COLOR.
/// Needs `script`: skipped, saying so, without it.
#[test]
fn colour_on_a_terminal_only() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        common::skipped("util-linux `script` not found (no pseudo-terminal to test colour)");
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("synack");
    let cmd = format!(
        "{} show {} --conn 1",
        bin.display(),
        cap("final-ack-dropped.pcap")
    );
    let run = |no_color: bool| {
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"]);
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    let coloured = run(false);
    assert!(coloured.contains("\x1b[36m"), "{coloured}");
    assert!(!run(true).contains('\x1b'));
    // Without the colour codes, the same ladder as in a pipe.
    let plain: String = coloured.replace("\r\n", "\n");
    let mut stripped = String::new();
    let mut chars = plain.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            stripped.push(c);
        }
    }
    assert_eq!(
        stripped,
        show(&[&cap("final-ack-dropped.pcap"), "--conn", "1"])
    );
}

/// The table report's sparklines: on the kernel's 1001 connections closed by the server, the
/// server's TIME-WAIT climbs to its peak at the end, on one time axis with the connections
/// open, in 80 columns.
#[test]
fn table_report_over_time() {
    let out = synack()
        .args(["report", &cap("time-wait-excess.pcap.gz")])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let section: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Over time:"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(section.len(), 3, "{text}");
    assert!(section[1].starts_with("open connections (mean)"));
    let tw = section[2];
    assert!(
        tw.starts_with("TIME-WAIT 10.99.0.2") && tw.ends_with("peak 1001"),
        "{tw}"
    );
    let bars: Vec<char> = tw.chars().skip(27).take(40).collect();
    assert_eq!(bars.last(), Some(&'█'), "{tw}");
    assert!(bars.first() == Some(&' '), "none held at the start: {tw}");
    for l in &section {
        assert!(l.chars().count() <= 80, "{l:?}");
    }
}

/// In 80 columns (`COLUMNS=80`, as a narrow terminal has it) the table report takes its compact
/// layout: no line wider, and every endpoint and state name whole, on every kernel recording.
#[test]
fn table_report_fits_80_columns() {
    let dir = common::testdata("kernel");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng") || name.ends_with(".gz")) {
            continue;
        }
        let c = format!("testdata/kernel/{name}");
        let out = synack()
            .env("COLUMNS", "80")
            .args(["report", "--all", &c])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{name}: {line:?}");
        }
        let doc = report(&c);
        for conn in doc["connections"].as_array().unwrap() {
            for side in ["orig", "resp"] {
                let ep = &conn[side];
                let addr = ep["addr"].as_str().unwrap();
                let shown = if addr.contains(':') {
                    format!("[{addr}]:{}", ep["port"])
                } else {
                    format!("{addr}:{}", ep["port"])
                };
                assert!(text.contains(&shown), "{name}: {shown} not whole");
                let state = conn[format!("{side}_state")].as_str().unwrap();
                assert!(text.contains(state), "{name}: {state} not whole");
            }
        }
        n += 1;
    }
    assert!(n >= 30, "{n} captures");
}
