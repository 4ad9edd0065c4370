//! Regression tests named after the real captures that showed a false alarm: a finding that
//! fired where the packets do not show what it claims. Each needs ../shared/corpus and says so
//! when it is absent.

mod common;

use synack::findings::{Checker, Finding, RuleConfig};
use synack::tcp::TcpConfig;

/// Every connection finding of a corpus capture, or `None` without the corpus.
fn findings(name: &str) -> Option<Vec<Finding>> {
    let Some(dir) = common::corpus_dir() else {
        println!("skipped: ../shared/corpus not found");
        return None;
    };
    let (_, conns) = synack::analyze::connections(&dir.join(name), TcpConfig::default()).unwrap();
    let mut checker = Checker::new(RuleConfig::default());
    checker.begin_capture(name);
    Some(conns.iter().flat_map(|c| checker.connection(c).0).collect())
}

fn count(f: &[Finding], code: &str) -> usize {
    f.iter().filter(|x| x.code == code).count()
}

#[test]
fn nowebaccess2_is_three_refusals_not_a_lost_syn() {
    // A Windows client re-sends its SYN after each RST: refused three times, nothing lost.
    let Some(f) = findings("chrissanders-packets/nowebaccess2.pcapng") else {
        return;
    };
    assert_eq!(count(&f, "HS001"), 0, "{f:#?}");
    let rs001: Vec<&Finding> = f.iter().filter(|x| x.code == "RS001").collect();
    assert_eq!(rs001.len(), 1);
    assert!(rs001[0].message.contains("3 times"), "{}", rs001[0].message);
}

#[test]
fn tcpdump_ssh_fin_resent_and_acknowledged_is_no_ho003() {
    // The FIN is sent again with data and acknowledged 10 ms later.
    let Some(f) = findings("tcpdump/ssh.pcap") else {
        return;
    };
    assert_eq!(count(&f, "HO003"), 0, "{f:#?}");
}

#[test]
fn zeek_ssh_simultaneous_close_is_no_ho003() {
    // BSD's simultaneous close: each FIN re-sent once, each acknowledged.
    let Some(f) = findings("zeek/ssh.pcap") else {
        return;
    };
    assert_eq!(count(&f, "HO003"), 0, "{f:#?}");
}

#[test]
fn http_espn_fail_close_wait_ended_by_a_rst_is_ho002() {
    // Connection 44: the client never closes after the server's FIN is acknowledged; 45 s
    // later the server's RST ends it. The message names who stalled.
    let Some(f) = findings("chrissanders-packets/http_espn_fail.pcapng") else {
        return;
    };
    let ho002: Vec<&Finding> = f
        .iter()
        .filter(|x| x.code == "HO002" && x.connection == Some(44))
        .collect();
    assert_eq!(ho002.len(), 1, "{f:#?}");
    let m = &ho002[0].message;
    assert!(m.starts_with("172.16.16.154:64867 stalled"), "{m}");
    assert!(m.contains("RST ended it"), "{m}");
    // Its SYN RTO lists, cut at 8 intervals, say so.
    let hs001 = f.iter().find(|x| x.code == "HS001").unwrap();
    assert!(hs001.message.ends_with(", …)"), "{}", hs001.message);
}

#[test]
fn vlan_collisions_copies_are_no_retransmissions() {
    let Some(f) = findings("zeek/vlan-collisions.pcap") else {
        return;
    };
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn synscan_is_a_port_scan_not_a_syn_flood() {
    // One source, 1000 ports of one host, 1994 SYNs in 10 s: SC001, and no HS005.
    let Some(dir) = common::corpus_dir() else {
        println!("skipped: ../shared/corpus not found");
        return;
    };
    let name = "chrissanders-packets/synscan.pcapng";
    let (res, conns) = synack::analyze::connections(&dir.join(name), TcpConfig::default()).unwrap();
    let checker = Checker::new(RuleConfig::default());
    let mut attempts = synack::findings::Attempts::default();
    for c in &conns {
        if let Some(a) = checker.connection(c).1 {
            attempts.add(a);
        }
    }
    let f = checker.capture_done(&res, attempts);
    assert_eq!(count(&f, "HS005"), 0, "{f:#?}");
    let sc: Vec<&Finding> = f.iter().filter(|x| x.code == "SC001").collect();
    assert_eq!(sc.len(), 1, "{f:#?}");
    assert!(sc[0].message.contains("1000 ports"), "{}", sc[0].message);
}

#[test]
fn tcp_retransmissions_unacknowledged_data_fails_lint() {
    // The same 648 bytes re-sent 5 times over 9 s, the waits doubling, never acknowledged.
    let Some(f) = findings("chrissanders-packets/tcp_retransmissions.pcapng") else {
        return;
    };
    let dt: Vec<&Finding> = f.iter().filter(|x| x.code == "DT001").collect();
    assert_eq!(dt.len(), 1, "{f:#?}");
    assert!(
        dt[0].message.contains("648 bytes") && dt[0].message.contains("5 times"),
        "{}",
        dt[0].message
    );
}
